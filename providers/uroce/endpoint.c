// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The query endpoint of a context (util/endpoint.h): an abstract unix
 * socket in the context's network namespace, answered by the monitor
 * thread, so that a query never runs on an application's thread and never
 * stops its traffic. The endpoint reads nothing from its clients: no input
 * can change state.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/endpoint.h"
#include "util/log.h"
#include "providers/uroce/uroce.h"

#define EP_BACKLOG 16
/* A client that does not read its reply is dropped after this long. */
#define EP_SEND_TIMEOUT_MS 1000
#define CAP_SYS_ADMIN_BIT 21

static atomic_uint ep_next_id;

void uroce_buf_printf(struct uroce_buf *b, const char *fmt, ...)
{
	va_list ap;
	size_t cap;
	char *p;
	int n;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL,
			      b->p ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if (b->p && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		cap = b->cap ? b->cap * 2 : 4096;
		while (cap <= b->len + (size_t)n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
}

int uroce_ep_open(struct uroce_context *ctx)
{
	int fd = uroce_ep_listen(UROCE_EP_PREFIX, EP_BACKLOG);

	if (fd < 0)
		return -fd;
	ctx->ep_fd = fd;
	ctx->ep_id = atomic_fetch_add(&ep_next_id, 1);
	return 0;
}

/* Reads a small /proc file whole; false if it cannot. */
static bool read_small(const char *path, char *buf, size_t size)
{
	size_t n;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return false;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = 0;
	return true;
}

/*
 * CAP_SYS_ADMIN in the endpoint's own user namespace. /proc/PID/ns/user
 * cannot be read across UIDs, but uid_map and status can: the same map
 * stands for the same user namespace.
 */
static bool peer_is_admin(pid_t pid)
{
	char path[64], line[256], mine[512], theirs[512];
	unsigned long long caps = 0;
	bool found = false;
	FILE *f;

	if (pid <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/uid_map", pid);
	if (!read_small("/proc/self/uid_map", mine, sizeof(mine)) ||
	    !read_small(path, theirs, sizeof(theirs)) || strcmp(mine, theirs))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &caps) == 1) {
			found = true;
			break;
		}
	fclose(f);
	return found && (caps >> CAP_SYS_ADMIN_BIT) & 1;
}

static bool peer_allowed(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return false;
	return cred.uid == geteuid() || peer_is_admin(cred.pid);
}

/*
 * Writes @b whole, or gives up once the client has had EP_SEND_TIMEOUT_MS
 * in all: a slow reader must not hold up the monitor's async events.
 */
static void send_all(int fd, const struct uroce_buf *b)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	uint64_t deadline = uroce_now_ns() + EP_SEND_TIMEOUT_MS * 1000000ull;
	size_t off = 0;
	int64_t left;
	ssize_t n;

	while (off < b->len) {
		n = send(fd, b->p + off, b->len - off,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		left = (int64_t)(deadline - uroce_now_ns()) / 1000000;
		if (n < 0 && errno == EAGAIN && left > 0 &&
		    poll(&pfd, 1, (int)left) > 0)
			continue;
		return;
	}
}

static void comm_escaped(struct uroce_buf *b)
{
	char comm[32] = "";
	size_t i;
	FILE *f;

	f = fopen("/proc/self/comm", "re");
	if (f) {
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = 0;
		fclose(f);
	}
	comm[strcspn(comm, "\n")] = 0;
	for (i = 0; comm[i]; i++) {
		unsigned char c = (unsigned char)comm[i];

		if (c > ' ' && c <= '~' && c != '\\')
			uroce_buf_printf(b, "%c", c);
		else
			uroce_buf_printf(b, "\\x%02x", c);
	}
}

static void serve_one(struct uroce_context *ctx, int fd)
{
	struct uroce_buf b = {};

	if (!peer_allowed(fd))
		return;
	uroce_buf_printf(&b,
			 "uroce-ep version=%d pid=%d comm=", UROCE_EP_VERSION,
			 getpid());
	comm_escaped(&b);
	uroce_buf_printf(&b, " uid=%u\n", geteuid());
	uroce_ep_reply(ctx, &b);
	uroce_buf_printf(&b, "end\n");
	/* Half a reply would mislead: without the end line it is refused. */
	if (!b.oom)
		send_all(fd, &b);
	free(b.p);
}

void uroce_ep_serve(struct uroce_context *ctx)
{
	int fd;

	for (;;) {
		fd = accept4(ctx->ep_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN)
				uroce_warn("%s: query endpoint: accept: %s",
					   ctx->dev->vdev.device.name,
					   strerror(errno));
			return;
		}
		serve_one(ctx, fd);
		close(fd);
	}
}
