// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Parsing a query endpoint's reply, looking up its records, and the
 * filters of uroce res and uroce stat; see endpoint.h. A reply comes from
 * another process: nothing in it is trusted to be well formed.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/uroce/endpoint.h"
#include "tools/uroce/uroce.h"

/* \xHH becomes the byte; anything else stays as it is. */
static void unescape(char *s)
{
	char *w = s, hex[3] = "";

	while (*s) {
		if (s[0] == '\\' && s[1] == 'x' &&
		    isxdigit((unsigned char)s[2]) &&
		    isxdigit((unsigned char)s[3])) {
			hex[0] = s[2];
			hex[1] = s[3];
			*w++ = (char)strtoul(hex, NULL, 16);
			s += 4;
			continue;
		}
		*w++ = *s++;
	}
	*w = '\0';
}

/* Splits line into r: its kind, then its key=value tokens. */
static void parse_line(char *line, struct ep_rec *r, struct ep_kv *kv)
{
	char *tok, *save = NULL, *eq;

	r->kind = strtok_r(line, " \t\r", &save);
	r->kv = kv;
	r->nkv = 0;
	while ((tok = strtok_r(NULL, " \t\r", &save))) {
		eq = strchr(tok, '=');
		if (!eq || eq == tok)
			continue;
		*eq = '\0';
		unescape(eq + 1);
		kv[r->nkv].key = tok;
		kv[r->nkv].val = eq + 1;
		r->nkv++;
	}
}

/* A number: 0x hex or decimal (never octal). */
static bool parse_u64(const char *s, uint64_t *v)
{
	int base = 10;
	char *end;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16;
	if (!isxdigit((unsigned char)s[base == 16 ? 2 : 0]))
		return false;
	errno = 0;
	*v = strtoull(s, &end, base);
	return !errno && !*end;
}

static const char *check_header(struct ep_proc *p, const struct ep_kind *k)
{
	static char why[64];
	const struct ep_rec *h = p->rec;
	const char *comm;
	char *c;

	if (!p->nrec || strcmp(h->kind, k->header)) {
		snprintf(why, sizeof(why), "no %.20s header", k->header);
		return why;
	}
	if (ep_num(h, "version") != (uint64_t)k->version) {
		snprintf(why, sizeof(why), "protocol version %.20s, not %d",
			 ep_get(h, "version") ?: "?", k->version);
		return why;
	}
	comm = ep_get(h, "comm");
	p->comm = comm ?: "";
	p->comm_text = strdup(p->comm);
	if (!p->comm_text)
		return strerror(ENOMEM);
	for (c = p->comm_text; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return NULL;
}

const char *ep_parse(char *buf, size_t len, const struct ep_kind *k,
		     struct ep_proc *p)
{
	size_t lines = 1, pairs = 0, i;
	char *line, *next, *nl;
	struct ep_rec *r;
	bool end = false;
	const char *why;

	memset(p, 0, sizeof(*p));
	p->buf = buf;
	for (i = 0; i < len; i++) {
		if (buf[i] == '\n')
			lines++;
		else if (isspace((unsigned char)buf[i]))
			pairs++;
	}
	p->rec = calloc(lines, sizeof(*p->rec));
	p->kvs = calloc(pairs + 1, sizeof(*p->kvs));
	if (!p->rec || !p->kvs) {
		why = strerror(ENOMEM);
		goto fail;
	}
	pairs = 0;
	for (line = buf; line < buf + len; line = next) {
		nl = memchr(line, '\n', buf + len - line);
		next = nl ? nl + 1 : buf + len;
		if (nl)
			*nl = '\0';
		r = &p->rec[p->nrec];
		parse_line(line, r, p->kvs + pairs);
		if (!r->kind)
			continue;
		if (!strcmp(r->kind, "end")) {
			end = true;
			break;
		}
		pairs += r->nkv;
		p->nrec++;
	}
	why = check_header(p, k);
	if (!why && !end)
		why = "truncated reply (no end line)";
	if (why)
		goto fail;
	return NULL;
fail:
	p->buf = NULL; /* still the caller's */
	ep_proc_free(p);
	return why;
}

void ep_proc_free(struct ep_proc *p)
{
	free(p->rec);
	free(p->kvs);
	free(p->comm_text);
	free(p->buf);
	memset(p, 0, sizeof(*p));
}

const char *ep_get(const struct ep_rec *r, const char *key)
{
	unsigned int i;

	for (i = 0; i < r->nkv; i++)
		if (!strcmp(r->kv[i].key, key))
			return r->kv[i].val;
	return NULL;
}

uint64_t ep_num(const struct ep_rec *r, const char *key)
{
	const char *s = ep_get(r, key);
	uint64_t v;

	return s && parse_u64(s, &v) ? v : 0;
}

const char *ep_dev(const struct ep_proc *p, const struct ep_rec *r)
{
	const char *dev = ep_get(r, "dev"), *ctx = ep_get(r, "ctx"), *id;
	unsigned int i;

	if (dev)
		return dev;
	for (i = 0; ctx && i < p->nrec; i++) {
		if (strcmp(p->rec[i].kind, "ctx"))
			continue;
		id = ep_get(&p->rec[i], "id");
		if (id && !strcmp(id, ctx))
			return ep_get(&p->rec[i], "dev") ?: "-";
	}
	return "-";
}

/* val NULL: missing. Returns 1, the exit code. */
static int bad_value(const char *key, const char *val, const char *object)
{
	if (val)
		fprintf(stderr, "Invalid %s \"%s\"", key, val);
	else
		fprintf(stderr, "Missing value of \"%s\"", key);
	fprintf(stderr, ", try \"uroce %s help\".\n", object);
	return 1;
}

int ep_filter_parse(struct ep_filter *f, int argc, char **argv,
		    const char *object, bool qpn)
{
	const char *key, *val;
	char *slash;
	uint64_t v;
	int i;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < argc; i += 2) {
		key = argv[i];
		val = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(key, "dev") && strcmp(key, "link") &&
		    strcmp(key, "pid") &&
		    (!qpn || (strcmp(key, "qpn") && strcmp(key, "lqpn"))))
			return unknown_arg(object, key);
		if (!val)
			return bad_value(key, NULL, object);
		if (!strcmp(key, "dev") || !strcmp(key, "link")) {
			/* link DEV/PORT as rdma(8) takes it; one port */
			slash = strchr(argv[i + 1], '/');
			if (slash && !strcmp(key, "link"))
				*slash = '\0';
			f->dev = argv[i + 1];
		} else if (!strcmp(key, "pid")) {
			if (!parse_u64(val, &v) || !v || v > INT_MAX)
				return bad_value(key, val, object);
			f->pid = v;
		} else {
			if (!parse_u64(val, &v) || v > 0xffffff)
				return bad_value(key, val, object);
			f->has_qpn = true;
			f->qpn = v;
		}
	}
	return 0;
}

bool ep_filter_match(const struct ep_filter *f, const struct ep_proc *p,
		     const struct ep_rec *r)
{
	if (f->pid && p->pid != f->pid)
		return false;
	if (f->dev && strcmp(ep_dev(p, r), f->dev))
		return false;
	if (f->has_qpn && ep_get(r, "qpn") && ep_num(r, "qpn") != f->qpn)
		return false;
	return true;
}
