// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * uroce res cm_id [FILTERS]: the CM IDs of every librdmacm process of the
 * caller's network namespace that its PID namespace sees, from their query
 * endpoints (util/cm_endpoint.h), as rdma resource show cm_id shows the
 * kernel's. The same visibility as the verbs endpoints: /proc/net/unix
 * lists the caller's namespace only, SO_PEERCRED gives the owner's PID as
 * the caller's PID namespace numbers it (0: not visible, skipped), and the
 * endpoint answers only its user or root.
 */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "util/cm_endpoint.h"
#include "tools/uroce/endpoint.h"
#include "tools/uroce/uroce.h"

#define CM_EP_TIMEOUT_MS 1000
#define CM_EP_MAX_REPLY (16u << 20)
#define UNIX_LISTENING 0x10000 /* __SO_ACCEPTCON in /proc/net/unix */

/* A parsed reply: its records point into buf. */
struct cm_proc {
	pid_t pid;
	char *buf;
	char *comm;
	struct ep_rec *rec;
	struct ep_kv *kv;
	unsigned int nrec;
};

/* \xHH becomes the byte; anything else stays. */
static void unescape(char *s)
{
	char *w = s;
	unsigned int v;

	while (*s) {
		if (s[0] == '\\' && s[1] == 'x' &&
		    sscanf(s + 2, "%2x", &v) == 1 && s[2] && s[3]) {
			*w++ = (char)v;
			s += 4;
			continue;
		}
		*w++ = *s++;
	}
	*w = '\0';
}

/* Splits buf (modified) into records; NULL, or why it is refused. */
static const char *parse(struct cm_proc *p)
{
	size_t nl = 1, nsp = 1;
	char *line, *next, *tok, *save, *eq;
	struct ep_rec *r;
	bool end = false;
	unsigned int nkv = 0;

	for (line = p->buf; *line; line++) {
		nl += *line == '\n';
		nsp += *line == ' ';
	}
	p->rec = calloc(nl, sizeof(*p->rec));
	p->kv = calloc(nsp, sizeof(*p->kv));
	if (!p->rec || !p->kv)
		return strerror(ENOMEM);
	for (line = p->buf; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		save = NULL;
		r = &p->rec[p->nrec];
		r->kind = strtok_r(line, " \t\r", &save);
		if (!r->kind)
			continue;
		if (!strcmp(r->kind, "end")) {
			end = true;
			break;
		}
		r->kv = p->kv + nkv;
		while ((tok = strtok_r(NULL, " \t\r", &save)) && nkv < nsp) {
			eq = strchr(tok, '=');
			if (!eq || eq == tok)
				continue;
			*eq = '\0';
			unescape(eq + 1);
			p->kv[nkv].key = tok;
			p->kv[nkv].val = eq + 1;
			nkv++;
			r->nkv++;
		}
		p->nrec++;
	}
	if (!p->nrec || strcmp(p->rec[0].kind, "uroce-cm"))
		return "no uroce-cm header";
	if (ep_num(&p->rec[0], "version") != UROCE_CM_EP_VERSION)
		return "another protocol version";
	if (!end)
		return "truncated reply (no end line)";
	p->comm = strdup(ep_get(&p->rec[0], "comm") ?: "");
	if (!p->comm)
		return strerror(ENOMEM);
	return NULL;
}

static void proc_free(struct cm_proc *p)
{
	free(p->buf);
	free(p->comm);
	free(p->rec);
	free(p->kv);
	memset(p, 0, sizeof(*p));
}

static int ms_left(const struct timespec *deadline)
{
	struct timespec now;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (deadline->tv_sec - now.tv_sec) * 1000 +
	     (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms > 0 ? (int)ms : 0;
}

/* Reads to EOF: the reply's length, or a negative errno. */
static ssize_t read_all(int fd, char **buf, const struct timespec *deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t len = 0, cap = 0;
	ssize_t n;
	char *q;

	for (;;) {
		if (cap - len < 4097) {
			if (cap >= CM_EP_MAX_REPLY)
				return -EFBIG;
			cap = cap ? cap * 2 : 16384;
			q = realloc(*buf, cap);
			if (!q)
				return -ENOMEM;
			*buf = q;
		}
		n = read(fd, *buf + len, cap - len - 1);
		if (n > 0) {
			len += (size_t)n;
			continue;
		}
		if (!n || (n < 0 && errno == ECONNRESET))
			break;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		n = poll(&pfd, 1, ms_left(deadline));
		if (!n)
			return -ETIMEDOUT;
	}
	(*buf)[len] = '\0';
	return (ssize_t)len;
}

/* 1: p filled; 0: skip silently (gone, invisible, refused); -1: warned. */
static int ask(const char *name, struct cm_proc *p)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct pollfd pfd;
	struct timespec deadline;
	struct ucred cred;
	socklen_t clen = sizeof(cred), alen;
	size_t len = strlen(name);
	const char *why = NULL;
	ssize_t n;
	int fd, ret = 0, err = 0;

	memset(p, 0, sizeof(*p));
	if (len + 1 > sizeof(sa.sun_path))
		return 0;
	memcpy(sa.sun_path + 1, name, len);
	alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += CM_EP_TIMEOUT_MS / 1000;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	if (connect(fd, (struct sockaddr *)&sa, alen)) {
		err = errno;
		if (err == EINPROGRESS || err == EAGAIN) {
			pfd = (struct pollfd){ .fd = fd, .events = POLLOUT };
			err = poll(&pfd, 1, ms_left(&deadline)) > 0 ? 0 :
								      ETIMEDOUT;
		}
	}
	if (err) {
		if (err != ECONNREFUSED && err != ENOENT) {
			fprintf(stderr, "uroce: cannot connect to @%s: %s\n",
				name, strerror(err));
			ret = -1;
		}
		goto out;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) || !cred.pid)
		goto out;
	n = read_all(fd, &p->buf, &deadline);
	if (!n)
		goto out; /* refused: another user's */
	why = n < 0 ? strerror((int)-n) : parse(p);
	if (why) {
		fprintf(stderr, "uroce: skipping @%s (pid %d): %s\n", name,
			(int)cred.pid, why);
		ret = -1;
		goto out;
	}
	p->pid = cred.pid;
	ret = 1;
out:
	close(fd);
	if (ret != 1)
		proc_free(p);
	return ret;
}

static int by_pid(const void *a, const void *b)
{
	const struct cm_proc *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* The endpoints listening in the caller's network namespace. */
static int collect(struct cm_proc **procs, unsigned int *nprocs)
{
	size_t plen = strlen(UROCE_CM_EP_PREFIX);
	unsigned int flags, type, n = 0, cap = 0;
	struct cm_proc *ps = NULL, *q;
	char line[512], *path;
	FILE *f;
	int off;

	f = fopen("/proc/net/unix", "re");
	if (!f) {
		fprintf(stderr, "uroce: cannot read /proc/net/unix: %s\n",
			strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		off = 0;
		if (sscanf(line, "%*s %*x %*x %x %x %*x %*u %n", &flags, &type,
			   &off) != 2 ||
		    !off)
			continue;
		path = line + off;
		path[strcspn(path, "\n")] = '\0';
		if (!(flags & UNIX_LISTENING) || type != SOCK_STREAM ||
		    path[0] != '@' ||
		    strncmp(path + 1, UROCE_CM_EP_PREFIX, plen))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 8;
			q = realloc(ps, cap * sizeof(*ps));
			if (!q)
				break;
			ps = q;
		}
		if (ask(path + 1, &ps[n]) > 0)
			n++;
	}
	fclose(f);
	if (n)
		qsort(ps, n, sizeof(*ps), by_pid);
	*procs = ps;
	*nprocs = n;
	return 0;
}

static void field(struct uroce *u, const char *name, const struct ep_rec *r,
		  const char *key)
{
	const char *v = ep_get(r, key);

	if (v && *v)
		out_str(u, name, v);
}

static void print_id(struct uroce *u, const struct cm_proc *p,
		     const struct ep_rec *r)
{
	const char *dev = ep_get(r, "dev") ?: "-";

	out_begin(u);
	out_text(u, "dev %s", dev);
	out_json_str(u, "ifname", dev);
	out_hex(u, "cm-idn", ep_num(r, "id"));
	field(u, "state", r, "state");
	field(u, "ps", r, "ps");
	field(u, "qp-type", r, "qp_type");
	field(u, "src-addr", r, "src");
	field(u, "dst-addr", r, "dst");
	if (ep_num(r, "lqpn"))
		out_uint(u, "lqpn", ep_num(r, "lqpn"));
	if (ep_num(r, "rqpn"))
		out_uint(u, "rqpn", ep_num(r, "rqpn"));
	if (ep_num(r, "rid"))
		out_hex(u, "rid", ep_num(r, "rid"));
	if (ep_num(r, "listen"))
		out_uint(u, "listen", 1);
	if (ep_num(r, "destroyed"))
		out_uint(u, "destroyed", 1);
	out_uint(u, "pid", (uint64_t)p->pid);
	out_text(u, " comm %s", p->comm);
	out_json_str(u, "comm", p->comm);
	out_end(u);
}

static bool match(const struct ep_filter *f, const struct cm_proc *p,
		  const struct ep_rec *r)
{
	const char *dev = ep_get(r, "dev");

	if (f->pid && f->pid != p->pid)
		return false;
	if (f->dev && (!dev || strcmp(dev, f->dev)))
		return false;
	return true;
}

int do_res_cm_id(struct uroce *u, int argc, char **argv)
{
	struct cm_proc *ps = NULL;
	unsigned int n = 0, i, j;
	struct ep_filter f;
	char *c;
	int ret;

	ret = ep_filter_parse(&f, argc, argv, "res", false);
	if (ret)
		return ret;
	if (collect(&ps, &n))
		return 1;
	if (u->json)
		json_begin_array(&u->jw);
	for (i = 0; i < n; i++) {
		/* text output: control characters of comm as '?' */
		for (c = ps[i].comm; !u->json && *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				*c = '?';
		for (j = 1; j < ps[i].nrec; j++)
			if (!strcmp(ps[i].rec[j].kind, "cm_id") &&
			    match(&f, &ps[i], &ps[i].rec[j]))
				print_id(u, &ps[i], &ps[i].rec[j]);
	}
	if (u->json)
		json_end_array(&u->jw);
	for (i = 0; i < n; i++)
		proc_free(&ps[i]);
	free(ps);
	return 0;
}
