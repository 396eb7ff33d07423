// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * uroce.conf and the UROCE_* environment; the format is in uroce.conf(5).
 *
 * A line is applied whole or not at all: a bad line is reported and
 * skipped while the others still apply, so that a typo costs one setting,
 * not every device of the process.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "providers/uroce/caps.h"
#include "providers/uroce/config.h"
#include "util/log.h"

#define CONF_DEV_PREFIX "uroce_"
#define CONF_MAX_FILE (1024 * 1024)
#define CONF_MAX_LINE 4096
#define CONF_MAX_WORDS 64
#define CONF_MAX_ITEMS 128
#define CONF_GLOB_MAX 256

#define CONF_SPACE " \t\r\v\f"
#define CONF_ENV_SEPS " \t\r\n\v\f,"

struct conf_parser {
	struct uroce_conf *conf;
	const char *origin;
	unsigned int line; /* 0 when not from a file (the environment) */
	char *err;
	size_t errlen;
	bool failed;
	bool warn; /* log every error, not only return the first */
};

static void conf_error(struct conf_parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void conf_error(struct conf_parser *p, const char *fmt, ...)
{
	char msg[256];
	char where[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->line)
		snprintf(where, sizeof(where), "%.100s:%u", p->origin, p->line);
	else
		snprintf(where, sizeof(where), "%.100s", p->origin);

	if (p->warn)
		uroce_warn("%s: %s", where, msg);
	if (!p->failed && p->err && p->errlen)
		snprintf(p->err, p->errlen, "%s: %s", where, msg);
	p->failed = true;
}

/*
 * Splits @s in place at any character of @seps, skipping empty fields.
 * Returns the number of fields or -E2BIG if there are more than @max.
 */
static int conf_split(char *s, const char *seps, char **fields, int max)
{
	int n = 0;

	for (;;) {
		s += strspn(s, seps);
		if (!*s)
			return n;
		if (n == max)
			return -E2BIG;
		fields[n++] = s;
		s += strcspn(s, seps);
		if (*s)
			*s++ = '\0';
	}
}

static int conf_parse_bool(const char *s, bool *val)
{
	static const char *const yes[] = { "on", "1", "yes", "true" };
	static const char *const no[] = { "off", "0", "no", "false" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(s, yes[i])) {
			*val = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*val = false;
			return 0;
		}
	}
	return -EINVAL;
}

static void conf_strv_free(char ***v, size_t *n)
{
	size_t i;

	for (i = 0; i < *n; i++)
		free((*v)[i]);
	free(*v);
	*v = NULL;
	*n = 0;
}

/* Appends copies of @items; on failure the list is unchanged. */
static int conf_strv_append(char ***v, size_t *n, char **items, size_t k)
{
	char **nv;
	size_t i;

	if (!k)
		return 0;
	nv = realloc(*v, (*n + k) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	*v = nv;
	for (i = 0; i < k; i++) {
		nv[*n + i] = strdup(items[i]);
		if (!nv[*n + i])
			goto err;
	}
	*n += k;
	return 0;
err:
	while (i--)
		free(nv[*n + i]);
	return -ENOMEM;
}

/* Splits every word at commas into @items; returns the count or -E2BIG. */
static int conf_split_lists(char **words, int nwords, char **items)
{
	int i, k, n = 0;

	for (i = 0; i < nwords; i++) {
		k = conf_split(words[i], ",", items + n, CONF_MAX_ITEMS - n);
		if (k < 0)
			return k;
		n += k;
	}
	return n;
}

static int conf_check_globs(struct conf_parser *p, const char *what,
			    char **globs, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (strlen(globs[i]) >= CONF_GLOB_MAX) {
			conf_error(p, "%s: pattern too long", what);
			return -EINVAL;
		}
	}
	return 0;
}

static struct uroce_lag *conf_find_lag(const struct uroce_conf *conf,
				       const char *name)
{
	size_t i;

	for (i = 0; i < conf->nlags; i++)
		if (!strcmp(conf->lags[i].name, name))
			return &conf->lags[i];
	return NULL;
}

static const struct uroce_lag *conf_lag_of(const struct uroce_conf *conf,
					   const char *ifname)
{
	unsigned int m;
	size_t i;

	for (i = 0; i < conf->nlags; i++)
		for (m = 0; m < conf->lags[i].nmembers; m++)
			if (!strcmp(conf->lags[i].members[m], ifname))
				return &conf->lags[i];
	return NULL;
}

static struct uroce_rename *conf_find_rename(const struct uroce_conf *conf,
					     const char *ifname)
{
	size_t i;

	for (i = 0; i < conf->nrenames; i++)
		if (!strcmp(conf->renames[i].ifname, ifname))
			return &conf->renames[i];
	return NULL;
}

static int conf_globs(struct conf_parser *p, const char *kw, char **args,
		      int nargs, char ***list, size_t *n)
{
	char *items[CONF_MAX_ITEMS];
	int k;

	k = conf_split_lists(args, nargs, items);
	if (k < 0) {
		conf_error(p, "%s: more than %d patterns", kw, CONF_MAX_ITEMS);
		return -EINVAL;
	}
	if (!k) {
		conf_error(p, "%s: expected at least one pattern", kw);
		return -EINVAL;
	}
	if (conf_check_globs(p, kw, items, k))
		return -EINVAL;
	return conf_strv_append(list, n, items, k);
}

static int conf_kw_include(struct conf_parser *p, char **args, int nargs)
{
	return conf_globs(p, "include", args, nargs, &p->conf->include,
			  &p->conf->ninclude);
}

static int conf_kw_exclude(struct conf_parser *p, char **args, int nargs)
{
	return conf_globs(p, "exclude", args, nargs, &p->conf->exclude,
			  &p->conf->nexclude);
}

static int conf_kw_loopback(struct conf_parser *p, char **args, int nargs)
{
	bool val;

	if (nargs != 1 || conf_parse_bool(args[0], &val)) {
		conf_error(p, "loopback: expected on or off");
		return -EINVAL;
	}
	p->conf->lo = val;
	return 0;
}

static int conf_rename(struct conf_parser *p, const char *ifname,
		       const char *devname)
{
	struct uroce_conf *conf = p->conf;
	struct uroce_rename *r;
	size_t i;

	if (!uroce_valid_ifname(ifname)) {
		conf_error(p, "rename: invalid interface name '%.64s'", ifname);
		return -EINVAL;
	}
	if (!uroce_valid_devname(devname)) {
		conf_error(p, "rename: invalid device name '%.64s'", devname);
		return -EINVAL;
	}
	for (i = 0; i < conf->nrenames; i++) {
		if (!strcmp(conf->renames[i].devname, devname) &&
		    strcmp(conf->renames[i].ifname, ifname)) {
			conf_error(p, "rename: %s is already the name of %s",
				   devname, conf->renames[i].ifname);
			return -EINVAL;
		}
	}
	if (conf_find_lag(conf, devname)) {
		conf_error(p, "rename: %s is already the name of a lag",
			   devname);
		return -EINVAL;
	}

	r = conf_find_rename(conf, ifname);
	if (!r) {
		r = realloc(conf->renames,
			    (conf->nrenames + 1) * sizeof(*conf->renames));
		if (!r)
			return -ENOMEM;
		conf->renames = r;
		r += conf->nrenames++;
		strcpy(r->ifname, ifname);
	}
	strcpy(r->devname, devname);
	return 0;
}

static int conf_kw_rename(struct conf_parser *p, char **args, int nargs)
{
	if (nargs != 2) {
		conf_error(p, "rename: expected IFNAME DEVNAME");
		return -EINVAL;
	}
	return conf_rename(p, args[0], args[1]);
}

static int conf_kw_lag(struct conf_parser *p, char **args, int nargs)
{
	struct uroce_conf *conf = p->conf;
	char *members[CONF_MAX_ITEMS];
	const struct uroce_lag *other;
	struct uroce_lag lag, *slot;
	int i, j, k;

	if (nargs < 2) {
		conf_error(p, "lag: expected NAME IFNAME,IFNAME...");
		return -EINVAL;
	}
	if (!uroce_valid_devname(args[0])) {
		conf_error(p, "lag: invalid device name '%.64s'", args[0]);
		return -EINVAL;
	}
	for (i = 0; i < (int)conf->nrenames; i++) {
		if (!strcmp(conf->renames[i].devname, args[0])) {
			conf_error(p, "lag: %s is already the name of %s",
				   args[0], conf->renames[i].ifname);
			return -EINVAL;
		}
	}
	k = conf_split_lists(args + 1, nargs - 1, members);
	if (k < 2 || k > UROCE_LAG_MAX_MEMBERS) {
		conf_error(p, "lag %s: needs 2 to %d members", args[0],
			   UROCE_LAG_MAX_MEMBERS);
		return -EINVAL;
	}

	memset(&lag, 0, sizeof(lag));
	strcpy(lag.name, args[0]);
	for (i = 0; i < k; i++) {
		if (!uroce_valid_ifname(members[i])) {
			conf_error(p, "lag %s: invalid interface name '%.64s'",
				   lag.name, members[i]);
			return -EINVAL;
		}
		for (j = 0; j < i; j++) {
			if (!strcmp(members[i], members[j])) {
				conf_error(p, "lag %s: %s listed twice",
					   lag.name, members[i]);
				return -EINVAL;
			}
		}
		other = conf_lag_of(conf, members[i]);
		if (other && strcmp(other->name, lag.name)) {
			conf_error(p, "lag %s: %s is already a member of %s",
				   lag.name, members[i], other->name);
			return -EINVAL;
		}
		strcpy(lag.members[i], members[i]);
	}
	lag.nmembers = k;

	/* Redefining a lag replaces it. */
	slot = conf_find_lag(conf, lag.name);
	if (!slot) {
		slot = realloc(conf->lags, (conf->nlags + 1) * sizeof(*slot));
		if (!slot)
			return -ENOMEM;
		conf->lags = slot;
		slot += conf->nlags++;
	}
	*slot = lag;
	return 0;
}

/*
 * The object limits: keyword, environment variable, field and the
 * device's own limit (caps.h), which is also the default and "max".
 */
static const struct conf_limit {
	const char *kw;
	const char *env;
	size_t off;
	unsigned int cap;
} conf_limits[] = {
#define CONF_LIMIT(f, F)                                                      \
	{                                                                     \
		"max_" #f, "UROCE_MAX_" #F, offsetof(struct uroce_limits, f), \
			UROCE_MAX_##F                                         \
	}
	CONF_LIMIT(qp, QP), CONF_LIMIT(cq, CQ),	  CONF_LIMIT(mr, MR),
	CONF_LIMIT(pd, PD), CONF_LIMIT(srq, SRQ), CONF_LIMIT(ah, AH),
	CONF_LIMIT(mw, MW),
#undef CONF_LIMIT
};

#define CONF_NLIMITS (sizeof(conf_limits) / sizeof(conf_limits[0]))

static unsigned int *conf_limit_field(struct uroce_conf *conf,
				      const struct conf_limit *l)
{
	return (unsigned int *)((char *)&conf->limits + l->off);
}

/* "max" (the device's limit) or a decimal number from 0 to it. */
static int conf_limit_set(struct conf_parser *p, const struct conf_limit *l,
			  char **args, int nargs)
{
	unsigned long v;
	char *end;

	if (nargs == 1 && !strcmp(args[0], "max")) {
		*conf_limit_field(p->conf, l) = l->cap;
		return 0;
	}
	if (nargs == 1 && isdigit((unsigned char)args[0][0])) {
		errno = 0;
		v = strtoul(args[0], &end, 10);
		if (!errno && !*end && v <= l->cap) {
			*conf_limit_field(p->conf, l) = v;
			return 0;
		}
	}
	conf_error(p, "%s: expected 0 to %u or max", l->kw, l->cap);
	return -EINVAL;
}

static int conf_wire_add(struct uroce_conf *conf, bool roce, char **globs,
			 int n)
{
	struct uroce_wire_rule *nw;
	int i;

	nw = realloc(conf->wire, (conf->nwire + (size_t)n) * sizeof(*nw));
	if (!nw)
		return -ENOMEM;
	conf->wire = nw;
	for (i = 0; i < n; i++) {
		nw[conf->nwire].roce = roce;
		nw[conf->nwire].glob = strdup(globs[i]);
		if (!nw[conf->nwire].glob)
			return -ENOMEM;
		conf->nwire++;
	}
	return 0;
}

static int conf_wire_mode(const char *s, bool *roce)
{
	if (!strcmp(s, "roce"))
		*roce = true;
	else if (!strcmp(s, "direct"))
		*roce = false;
	else
		return -EINVAL;
	return 0;
}

/* "wire roce|direct [glob ...]": no glob means every device. */
static int conf_kw_wire(struct conf_parser *p, char **args, int nargs)
{
	char *items[CONF_MAX_ITEMS], all[] = "*", *allp = all;
	bool roce;
	int k;

	if (nargs < 1 || conf_wire_mode(args[0], &roce)) {
		conf_error(p, "wire: expected roce or direct");
		return -EINVAL;
	}
	k = conf_split_lists(args + 1, nargs - 1, items);
	if (k < 0) {
		conf_error(p, "wire: more than %d patterns", CONF_MAX_ITEMS);
		return -EINVAL;
	}
	if (conf_check_globs(p, "wire", items, k))
		return -EINVAL;
	if (!k)
		return conf_wire_add(p->conf, roce, &allp, 1);
	return conf_wire_add(p->conf, roce, items, k);
}

static const struct {
	const char *name;
	int (*parse)(struct conf_parser *p, char **args, int nargs);
} conf_keywords[] = {
	{ "include", conf_kw_include },	  { "exclude", conf_kw_exclude },
	{ "loopback", conf_kw_loopback }, { "rename", conf_kw_rename },
	{ "lag", conf_kw_lag },		  { "wire", conf_kw_wire },
};

static int conf_parse_line(struct conf_parser *p, char *line)
{
	char *words[CONF_MAX_WORDS];
	size_t i;
	int n;

	/* '#' starts a comment at the start of a line or after a blank. */
	for (i = 0; line[i]; i++) {
		if (line[i] == '#' && (!i || strchr(CONF_SPACE, line[i - 1]))) {
			line[i] = '\0';
			break;
		}
	}
	n = conf_split(line, CONF_SPACE, words, CONF_MAX_WORDS);
	if (n < 0) {
		conf_error(p, "more than %d words", CONF_MAX_WORDS);
		return -EINVAL;
	}
	if (!n)
		return 0;
	for (i = 0; i < sizeof(conf_keywords) / sizeof(conf_keywords[0]); i++)
		if (!strcmp(words[0], conf_keywords[i].name))
			return conf_keywords[i].parse(p, words + 1, n - 1);
	for (i = 0; i < CONF_NLIMITS; i++)
		if (!strcmp(words[0], conf_limits[i].kw))
			return conf_limit_set(p, &conf_limits[i], words + 1,
					      n - 1);
	conf_error(p, "unknown keyword '%.64s'", words[0]);
	return -EINVAL;
}

static int conf_parse(struct uroce_conf *conf, const char *text,
		      const char *origin, char *err, size_t errlen, bool warn)
{
	struct conf_parser p = {
		.conf = conf,
		.origin = origin ? origin : "config",
		.err = err,
		.errlen = errlen,
		.warn = warn,
	};
	char line[CONF_MAX_LINE + 1];
	size_t len;
	int ret;

	if (err && errlen)
		err[0] = '\0';
	while (*text) {
		p.line++;
		len = strcspn(text, "\n");
		if (len > CONF_MAX_LINE) {
			conf_error(&p, "line longer than %d characters",
				   CONF_MAX_LINE);
		} else {
			memcpy(line, text, len);
			line[len] = '\0';
			ret = conf_parse_line(&p, line);
			if (ret == -ENOMEM)
				return ret;
		}
		text += len;
		if (*text)
			text++;
	}
	return p.failed ? -EINVAL : 0;
}

int uroce_conf_parse(struct uroce_conf *conf, const char *text,
		     const char *origin, char *err, size_t errlen)
{
	return conf_parse(conf, text, origin, err, errlen, false);
}

/*
 * Reads @path into a NUL-terminated string. A file that cannot be used is
 * logged and yields *text == NULL; only -ENOMEM is an error.
 */
static int conf_read_file(const char *path, char **textp)
{
	size_t len = 0, cap = 4096;
	char *buf = NULL, *nbuf, eb[128];
	ssize_t n;
	int fd, ret = 0;

	*textp = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT)
			uroce_dbg("%s: not found, using defaults", path);
		else
			uroce_warn("%s: %s", path,
				   strerror_r(errno, eb, sizeof(eb)));
		return 0;
	}
	for (;;) {
		if (!buf || len == cap) {
			if (buf)
				cap *= 2;
			nbuf = realloc(buf, cap + 1);
			if (!nbuf) {
				ret = -ENOMEM;
				goto out;
			}
			buf = nbuf;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			uroce_warn("%s: %s", path,
				   strerror_r(errno, eb, sizeof(eb)));
			goto out;
		}
		if (!n)
			break;
		len += n;
		if (len > CONF_MAX_FILE) {
			uroce_warn("%s: larger than %d bytes, ignored", path,
				   CONF_MAX_FILE);
			goto out;
		}
	}
	if (memchr(buf, '\0', len)) {
		uroce_warn("%s: not a text file, ignored", path);
		goto out;
	}
	buf[len] = '\0';
	*textp = buf;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return ret;
}

/* UROCE_INCLUDE / UROCE_EXCLUDE: when set, even empty, replace the list. */
static int conf_env_globs(struct uroce_conf *conf, const char *var,
			  char ***list, size_t *n)
{
	struct conf_parser p = { .conf = conf, .origin = var, .warn = true };
	char *items[CONF_MAX_ITEMS];
	const char *val = secure_getenv(var);
	char **nv = NULL;
	size_t nn = 0;
	char *copy;
	int k, ret = 0;

	if (!val)
		return 0;
	copy = strdup(val);
	if (!copy)
		return -ENOMEM;
	k = conf_split(copy, CONF_ENV_SEPS, items, CONF_MAX_ITEMS);
	if (k < 0) {
		conf_error(&p, "more than %d patterns, ignored",
			   CONF_MAX_ITEMS);
		goto out;
	}
	if (conf_check_globs(&p, var, items, k))
		goto out;
	ret = conf_strv_append(&nv, &nn, items, k);
	if (ret)
		goto out;
	conf_strv_free(list, n);
	*list = nv;
	*n = nn;
out:
	free(copy);
	return ret;
}

static void conf_env_lo(struct uroce_conf *conf)
{
	const char *val = secure_getenv("UROCE_LO");
	bool lo;

	if (!val)
		return;
	if (conf_parse_bool(val, &lo))
		uroce_warn("UROCE_LO: expected 0, 1, on or off, not '%.64s'",
			   val);
	else
		conf->lo = lo;
}

/* UROCE_RENAME="eth0=mydev,eth1=other": a bad pair is skipped alone. */
static int conf_env_rename(struct uroce_conf *conf)
{
	struct conf_parser p = {
		.conf = conf,
		.origin = "UROCE_RENAME",
		.warn = true,
	};
	const char *val = secure_getenv("UROCE_RENAME");
	char *items[CONF_MAX_ITEMS];
	char *copy, *eq;
	int i, k, ret = 0;

	if (!val)
		return 0;
	copy = strdup(val);
	if (!copy)
		return -ENOMEM;
	k = conf_split(copy, CONF_ENV_SEPS, items, CONF_MAX_ITEMS);
	if (k < 0) {
		conf_error(&p, "more than %d entries, ignored", CONF_MAX_ITEMS);
		goto out;
	}
	for (i = 0; i < k; i++) {
		eq = strchr(items[i], '=');
		if (!eq) {
			conf_error(&p, "expected IFNAME=DEVNAME, not '%.64s'",
				   items[i]);
			continue;
		}
		*eq = '\0';
		ret = conf_rename(&p, items[i], eq + 1);
		if (ret == -ENOMEM)
			goto out;
		ret = 0;
	}
out:
	free(copy);
	return ret;
}

/* UROCE_MAX_QP=16 ...: as the keywords; a bad value is skipped alone. */
static void conf_env_limits(struct uroce_conf *conf)
{
	struct conf_parser p = { .conf = conf, .warn = true };
	char copy[32], *args[2];
	const char *val;
	size_t i;
	int n;

	for (i = 0; i < CONF_NLIMITS; i++) {
		val = secure_getenv(conf_limits[i].env);
		if (!val)
			continue;
		p.origin = conf_limits[i].env;
		/* Too long for any valid value: no argument, an error. */
		n = 0;
		if (strlen(val) < sizeof(copy)) {
			strcpy(copy, val);
			n = conf_split(copy, CONF_ENV_SEPS, args, 2);
		}
		conf_limit_set(&p, &conf_limits[i], args, n < 0 ? 0 : n);
	}
}

/* UROCE_WIRE=roce|direct: every device, whatever the file says. */
static int conf_env_wire(struct uroce_conf *conf)
{
	const char *val = secure_getenv("UROCE_WIRE");
	char all[] = "*", *allp = all;
	bool roce;

	if (!val)
		return 0;
	if (conf_wire_mode(val, &roce)) {
		uroce_warn("UROCE_WIRE: expected roce or direct, not '%.64s'",
			   val);
		return 0;
	}
	return conf_wire_add(conf, roce, &allp, 1);
}

void uroce_conf_init(struct uroce_conf *conf)
{
	size_t i;

	memset(conf, 0, sizeof(*conf));
	conf->lo = true;
	for (i = 0; i < CONF_NLIMITS; i++)
		*conf_limit_field(conf, &conf_limits[i]) = conf_limits[i].cap;
}

int uroce_conf_load(struct uroce_conf *conf)
{
	const char *path;
	char *text;
	int ret;

	uroce_conf_init(conf);

	/* Empty UROCE_CONF means no file at all. */
	path = secure_getenv("UROCE_CONF");
	if (!path)
		path = UROCE_CONF_DEFAULT_PATH;
	if (*path) {
		ret = conf_read_file(path, &text);
		if (ret)
			goto err;
		if (text) {
			ret = conf_parse(conf, text, path, NULL, 0, true);
			free(text);
			if (ret == -ENOMEM)
				goto err;
		}
	}

	ret = conf_env_globs(conf, "UROCE_INCLUDE", &conf->include,
			     &conf->ninclude);
	if (ret)
		goto err;
	ret = conf_env_globs(conf, "UROCE_EXCLUDE", &conf->exclude,
			     &conf->nexclude);
	if (ret)
		goto err;
	conf_env_lo(conf);
	conf_env_limits(conf);
	ret = conf_env_wire(conf);
	if (ret)
		goto err;
	ret = conf_env_rename(conf);
	if (ret)
		goto err;
	return 0;
err:
	uroce_conf_free(conf);
	return ret;
}

void uroce_conf_free(struct uroce_conf *conf)
{
	conf_strv_free(&conf->include, &conf->ninclude);
	conf_strv_free(&conf->exclude, &conf->nexclude);
	free(conf->renames);
	free(conf->lags);
	while (conf->nwire)
		free(conf->wire[--conf->nwire].glob);
	free(conf->wire);
	memset(conf, 0, sizeof(*conf));
}

static bool conf_match_any(char *const *globs, size_t n, const char *ifname)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!fnmatch(globs[i], ifname, 0))
			return true;
	return false;
}

bool uroce_conf_netdev_device(const struct uroce_conf *conf, const char *ifname,
			      bool is_loopback, char *devname,
			      size_t devname_len)
{
	const struct uroce_rename *r;

	if (!ifname || !*ifname || conf_lag_of(conf, ifname))
		return false;
	/*
	 * lo is governed by "loopback", not by include: narrowing the other
	 * netdevs must not leave a lone container without a device.
	 */
	if (is_loopback) {
		if (!conf->lo)
			return false;
	} else if (conf->ninclude &&
		   !conf_match_any(conf->include, conf->ninclude, ifname)) {
		return false;
	}
	if (conf_match_any(conf->exclude, conf->nexclude, ifname))
		return false;

	if (devname && devname_len) {
		r = conf_find_rename(conf, ifname);
		if (r)
			snprintf(devname, devname_len, "%s", r->devname);
		else
			snprintf(devname, devname_len, CONF_DEV_PREFIX "%s",
				 ifname);
	}
	return true;
}

bool uroce_conf_wire_roce(const struct uroce_conf *conf, const char *devname,
			  const char *ifname)
{
	size_t i = conf->nwire;

	while (i--)
		if (!fnmatch(conf->wire[i].glob, devname, 0) ||
		    !fnmatch(conf->wire[i].glob, ifname, 0))
			return conf->wire[i].roce;
	return false;
}
