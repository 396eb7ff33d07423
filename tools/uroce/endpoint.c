// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Finding and reading the query endpoints of the caller's network
 * namespace; see endpoint.h, and util/endpoint.h and util/cm_endpoint.h
 * for the protocol.
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
#include "util/endpoint.h"
#include "tools/uroce/endpoint.h"

/* One endpoint gets this long to connect and reply in full. */
#define EP_TIMEOUT_MS 1000
/* A reply larger than this is not one an endpoint writes. */
#define EP_MAX_REPLY (64u << 20)
/* __SO_ACCEPTCON in /proc/net/unix's Flags: a listening socket. */
#define UNIX_LISTENING 0x10000

const struct ep_kind ep_verbs = { UROCE_EP_PREFIX, UROCE_EP_HEADER,
				  UROCE_EP_VERSION };
const struct ep_kind ep_cm = { UROCE_CM_EP_PREFIX, UROCE_CM_EP_HEADER,
			       UROCE_CM_EP_VERSION };

static int ms_left(const struct timespec *deadline)
{
	struct timespec now;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (deadline->tv_sec - now.tv_sec) * 1000 +
	     (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms > 0 ? ms : 0;
}

/* Returns a connected socket or a negative errno. */
static int ep_connect(const char *name, const struct timespec *deadline)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = strlen(name);
	struct pollfd pfd;
	socklen_t elen = sizeof(int);
	int fd, err;

	/* Abstract: a NUL, then the name with no terminator. */
	if (len + 1 > sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path + 1, name, len);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	while (connect(fd, (struct sockaddr *)&sa,
		       offsetof(struct sockaddr_un, sun_path) + 1 + len)) {
		err = errno;
		if (err == EINTR)
			continue;
		/* A full backlog: AF_UNIX says EAGAIN, not EINPROGRESS. */
		if (err == EAGAIN && ms_left(deadline)) {
			poll(NULL, 0, 10);
			continue;
		}
		if (err != EINPROGRESS)
			goto fail;
		pfd = (struct pollfd){ .fd = fd, .events = POLLOUT };
		err = ETIMEDOUT;
		if (poll(&pfd, 1, ms_left(deadline)) <= 0)
			goto fail;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen))
			err = errno;
		if (err)
			goto fail;
		break;
	}
	return fd;
fail:
	close(fd);
	return -err;
}

/*
 * Reads to EOF into a malloc'd, NUL-terminated buffer. Returns its length,
 * or a negative errno (-ETIMEDOUT, -EFBIG) with *buf still set to what
 * came, which the caller frees either way.
 */
static ssize_t read_reply(int fd, char **buf, const struct timespec *deadline)
{
	size_t len = 0, cap = 0;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char *p;
	ssize_t n;

	*buf = NULL;
	for (;;) {
		if (cap - len < 4096 + 1) {
			if (cap >= EP_MAX_REPLY)
				return -EFBIG;
			cap = cap ? cap * 2 : 16384;
			p = realloc(*buf, cap);
			if (!p)
				return -ENOMEM;
			*buf = p;
		}
		n = read(fd, *buf + len, cap - len - 1);
		if (n > 0) {
			len += n;
			(*buf)[len] = '\0';
			continue;
		}
		if (!n)
			break;
		if (errno == EINTR)
			continue;
		/* Closed at once, as for a caller it refuses. */
		if (errno == ECONNRESET)
			break;
		if (errno != EAGAIN)
			return -errno;
		n = poll(&pfd, 1, ms_left(deadline));
		if (n < 0 && errno != EINTR)
			return -errno;
		if (!n)
			return -ETIMEDOUT;
	}
	if (*buf)
		(*buf)[len] = '\0';
	return len;
}

/*
 * Asks the endpoint called name (without its leading NUL). Returns 1 with
 * *p filled, 0 if it is to be skipped silently (the owner is not visible
 * from here, or it refused the caller, or it is closing), -1 if it is to
 * be skipped with a warning, which this prints.
 */
static int ask(const char *name, const struct ep_kind *k, struct ep_proc *p)
{
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	struct timespec deadline;
	const char *why = NULL;
	char *buf = NULL;
	ssize_t n;
	int fd, ret = 0;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += EP_TIMEOUT_MS / 1000;
	deadline.tv_nsec += (EP_TIMEOUT_MS % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	fd = ep_connect(name, &deadline);
	if (fd < 0) {
		/* The owner closed it between the listing and now. */
		if (fd == -ECONNREFUSED || fd == -ENOENT)
			return 0;
		fprintf(stderr, "uroce: cannot connect to @%s: %s\n", name,
			strerror(-fd));
		return -1;
	}
	/* The kernel gives the owner's PID as our PID namespace sees it. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) || !cred.pid)
		goto out;
	n = read_reply(fd, &buf, &deadline);
	if (n == -ETIMEDOUT)
		why = "no reply in time";
	else if (n == -EFBIG)
		why = "reply too large";
	else if (n < 0)
		why = strerror(-n);
	else if (!n)
		goto out; /* refused: another user's, or closing */
	else
		why = ep_parse(buf, n, k, p);
	if (why) {
		fprintf(stderr, "uroce: skipping @%s (pid %d): %s\n", name,
			(int)cred.pid, why);
		ret = -1;
		goto out;
	}
	p->pid = cred.pid;
	buf = NULL; /* p owns it */
	ret = 1;
out:
	free(buf);
	close(fd);
	return ret;
}

/*
 * The names of listening abstract sockets that start with prefix,
 * from /proc/net/unix (which shows the caller's network namespace): one
 * per line in a malloc'd buffer, without their '@'. Accepted connections
 * carry the listener's name too; their Flags lack UNIX_LISTENING.
 */
static int list_endpoints(const char *prefix, char **names, size_t *count)
{
	char line[512], *path, *nl, *out = NULL, *p;
	size_t len = 0, plen = strlen(prefix);
	unsigned int flags, type;
	FILE *f;
	int off;

	*count = 0;
	f = fopen("/proc/net/unix", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		off = 0;
		if (sscanf(line, "%*s %*x %*x %x %x %*x %*u %n", &flags, &type,
			   &off) != 2 ||
		    !off)
			continue;
		path = line + off;
		nl = strchr(path, '\n');
		if (nl)
			*nl = '\0';
		if (!(flags & UNIX_LISTENING) || type != SOCK_STREAM ||
		    path[0] != '@' || strncmp(path + 1, prefix, plen))
			continue;
		p = realloc(out, len + strlen(path) + 1);
		if (!p) {
			fclose(f);
			free(out);
			return -ENOMEM;
		}
		out = p;
		strcpy(out + len, path + 1);
		len += strlen(path);
		(*count)++;
	}
	fclose(f);
	*names = out;
	return 0;
}

static int by_pid(const void *a, const void *b)
{
	const struct ep_proc *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

int ep_collect(struct ep_list *l, const struct ep_kind *k)
{
	char *names = NULL, *name;
	size_t count, i;
	int ret;

	l->p = NULL;
	l->n = 0;
	ret = list_endpoints(k->prefix, &names, &count);
	if (ret) {
		fprintf(stderr, "uroce: cannot read /proc/net/unix: %s\n",
			strerror(-ret));
		return ret;
	}
	l->p = calloc(count ? count : 1, sizeof(*l->p));
	if (!l->p) {
		free(names);
		return -ENOMEM;
	}
	for (i = 0, name = names; i < count; i++, name += strlen(name) + 1)
		if (ask(name, k, &l->p[l->n]) > 0)
			l->n++;
	free(names);
	qsort(l->p, l->n, sizeof(*l->p), by_pid);
	return 0;
}

void ep_list_free(struct ep_list *l)
{
	unsigned int i;

	for (i = 0; i < l->n; i++)
		ep_proc_free(&l->p[i]);
	free(l->p);
	l->p = NULL;
	l->n = 0;
}
