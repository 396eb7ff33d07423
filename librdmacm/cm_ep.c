// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The CM query endpoint (util/cm_endpoint.h): an abstract unix socket,
 * answered by the CM thread with a snapshot of every CM ID.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "librdmacm/cma.h"
#include "util/cm_endpoint.h"
#include "util/endpoint.h"

#define CM_EP_SEND_TIMEOUT_MS 1000

static int ep_fd = -1;
static int ep_kind = CM_FD_EP;

struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	size_t cap;
	char *p;
	int n;

	if (b->oom)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	if (b->len + (size_t)n + 1 > b->cap) {
		cap = b->cap ? b->cap : 4096;
		while (cap < b->len + (size_t)n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static void sb_addr(struct sbuf *b, const struct sockaddr *sa)
{
	char ip[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
			  ip, sizeof(ip));
		sb_printf(b, "%s:%u", ip, cm_sockaddr_port(sa));
	} else if (sa->sa_family == AF_INET6) {
		inet_ntop(AF_INET6,
			  &((const struct sockaddr_in6 *)sa)->sin6_addr, ip,
			  sizeof(ip));
		sb_printf(b, "[%s]:%u", ip, cm_sockaddr_port(sa));
	} else {
		sb_printf(b, "-");
	}
}

static const char *ps_name(enum rdma_port_space ps)
{
	switch (ps) {
	case RDMA_PS_TCP:
		return "TCP";
	case RDMA_PS_UDP:
		return "UDP";
	case RDMA_PS_IB:
		return "IB";
	case RDMA_PS_IPOIB:
		return "IPOIB";
	}
	return "?";
}

static const char *qpt_name(enum ibv_qp_type t)
{
	return t == IBV_QPT_RC ? "RC" : t == IBV_QPT_UC ? "UC" : "UD";
}

/* Called with cm_lock held. */
static void dump_ids(struct sbuf *b)
{
	struct cm_id *cid;

	for (cid = cm_id_first(); cid; cid = cid->next) {
		sb_printf(b, "cm_id id=0x%x ps=%s qp_type=%s state=%s src=",
			  cid->local_id, ps_name(cid->id.ps),
			  qpt_name(cid->id.qp_type), cm_state_str(cid->state));
		sb_addr(b, &cid->id.route.addr.src_addr);
		sb_printf(b, " dst=");
		sb_addr(b, &cid->id.route.addr.dst_addr);
		sb_printf(b,
			  " dev=%s lqpn=%u rqpn=%u rid=0x%x listen=%d "
			  "destroyed=%d\n",
			  cid->dev ? cid->dev->name : "-",
			  cid->id.qp ? cid->id.qp->qp_num : cid->local_qpn,
			  cid->remote_qpn, cid->remote_id,
			  cid->state == CMS_LISTEN, cid->destroyed);
	}
	sb_printf(b, "stat rx_drops=%llu\n", (unsigned long long)cm_rx_drops);
}

char *cm_dump_ids(void)
{
	struct sbuf b = { 0 };

	pthread_mutex_lock(&cm_lock);
	dump_ids(&b);
	pthread_mutex_unlock(&cm_lock);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

int cm_ep_start(void)
{
	int fd = uroce_ep_listen(UROCE_CM_EP_PREFIX, 8);

	if (fd < 0) {
		errno = -fd;
		return -1;
	}
	if (cm_thread_add_fd(fd, &ep_kind, EPOLLIN)) {
		close(fd);
		return -1;
	}
	ep_fd = fd;
	return 0;
}

static bool peer_allowed(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return false;
	return cred.uid == geteuid() || cred.uid == 0;
}

static void send_all(int fd, const char *p, size_t len)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	ssize_t n;

	while (len) {
		n = send(fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		/* A client that does not read must not stall the CM. */
		if (n < 0 && errno == EAGAIN &&
		    poll(&pfd, 1, CM_EP_SEND_TIMEOUT_MS) > 0)
			continue;
		return;
	}
}

void cm_ep_serve(void)
{
	struct sbuf b = { 0 };
	char comm[32] = "";
	FILE *f;
	size_t i;
	int fd;

	for (;;) {
		fd = accept4(ep_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return;
		}
		if (!peer_allowed(fd)) {
			close(fd);
			continue;
		}
		f = fopen("/proc/self/comm", "re");
		if (f) {
			if (!fgets(comm, sizeof(comm), f))
				comm[0] = 0;
			fclose(f);
		}
		comm[strcspn(comm, "\n")] = 0;
		b.len = 0;
		sb_printf(&b, "uroce-cm version=%d pid=%d comm=",
			  UROCE_CM_EP_VERSION, getpid());
		for (i = 0; comm[i]; i++) {
			unsigned char c = (unsigned char)comm[i];

			if (c > ' ' && c <= '~' && c != '\\')
				sb_printf(&b, "%c", c);
			else
				sb_printf(&b, "\\x%02x", c);
		}
		sb_printf(&b, " uid=%u\n", geteuid());
		dump_ids(&b); /* the CM thread holds cm_lock */
		sb_printf(&b, "end\n");
		if (!b.oom)
			send_all(fd, b.p, b.len);
		close(fd);
	}
	free(b.p);
}
