// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The CM's UDP sockets. A listener, and any ID bound with
 * rdma_bind_addr(), owns a socket bound to its address and RDMA CM port,
 * so the kernel gives EADDRINUSE within a namespace and isolation between
 * namespaces. Every other ID (active IDs that did not bind, passive
 * children) sends from its namespace's shared socket, one per address
 * family, choosing the source address with IP(V6)_PKTINFO: a thousand
 * connections cost no descriptor. Messages are demultiplexed by
 * communication ID, never by port.
 *
 * Sockets have IP(V6)_RECVERR set: an ICMP port unreachable that quotes
 * one of our REQs tells at once that nothing listens on the port (the
 * kernel's CM would get a REJ from the peer's); one that does not is
 * ignored (quoted_id()).
 */
#include <errno.h>
#include <time.h> /* before linux/errqueue.h, which needs timespec */
#include <linux/errqueue.h>
#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "librdmacm/cma.h"
#include "util/log.h"

#define CM_RX_BATCH 64
#define CM_RCVBUF (4 << 20)

uint64_t cm_rx_drops, cm_icmp_ignored;

static struct cm_sock *sock_new(struct cm_ns *ns, int family, int reuse,
				int v6only, const struct sockaddr *addr,
				int *err)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct cm_sock *s;
	int fd, one = 1, rcvbuf = CM_RCVBUF;

	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*err = -errno;
		return NULL;
	}
	if (family == AF_INET6) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
			   sizeof(v6only));
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof(one));
	} else {
		setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one));
	}
	if (reuse)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* Bursts of requests (cmtime) must not overflow; the kernel caps. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, addr, cm_sockaddr_len(addr)) ||
	    getsockname(fd, (struct sockaddr *)&ss, &len)) {
		*err = -errno;
		close(fd);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		*err = -ENOMEM;
		close(fd);
		return NULL;
	}
	s->kind = CM_FD_SOCK;
	s->fd = fd;
	s->family = family;
	s->port = cm_sockaddr_port((struct sockaddr *)&ss);
	s->wildcard = cm_sockaddr_any(addr);
	s->ns = ns;
	*err = cm_thread_add_fd(fd, s, EPOLLIN);
	if (*err) {
		close(fd);
		free(s);
		return NULL;
	}
	return s;
}

int cm_sock_bind(struct cm_id *cid, struct sockaddr *addr)
{
	int err, v6only = cid->afonly;

	cid->sock = sock_new(cid->ns, addr->sa_family, cid->reuseaddr, v6only,
			     addr, &err);
	if (!cid->sock)
		return err;
	cid->own_sock = true;
	return 0;
}

struct cm_sock *cm_sock_shared(struct cm_ns *ns, int family)
{
	struct sockaddr_storage any = { .ss_family = family };
	int i = family == AF_INET6, err;

	if (family != AF_INET && family != AF_INET6)
		return NULL;
	if (!ns->shared[i]) {
		ns->shared[i] = sock_new(ns, family, 0, 1,
					 (struct sockaddr *)&any, &err);
		if (ns->shared[i])
			ns->shared[i]->shared = true;
	}
	return ns->shared[i];
}

/* Freed by the CM thread once no epoll batch can still name it. */
static struct cm_sock *graveyard;

void cm_sock_close(struct cm_sock *s)
{
	if (!s)
		return;
	cm_thread_del_fd(s->fd);
	close(s->fd);
	s->fd = -1;
	s->dead = true;
	s->next = graveyard;
	graveyard = s;
	cm_thread_kick();
}

void cm_sock_reap(void)
{
	struct cm_sock *s;

	while ((s = graveyard)) {
		graveyard = s->next;
		free(s);
	}
}

/* Puts the one control message of @msg, whose buffer is there already. */
static void set_cmsg(struct msghdr *msg, int level, int type, const void *data,
		     size_t len)
{
	struct cmsghdr *c = (struct cmsghdr *)msg->msg_control;

	msg->msg_controllen = CMSG_SPACE(len);
	c->cmsg_level = level;
	c->cmsg_type = type;
	c->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(c), data, len);
}

static void sendto_src(int fd, const uint8_t *buf,
		       const struct sockaddr_storage *to,
		       const struct sockaddr *src)
{
	union {
		char v4[CMSG_SPACE(sizeof(struct in_pktinfo))];
		char v6[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} cbuf;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = CM_MAD_SIZE };
	struct msghdr msg = {
		.msg_name = (void *)to,
		.msg_namelen = cm_sockaddr_len((const struct sockaddr *)to),
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};
	int tries;

	if (src && !cm_sockaddr_any(src) && src->sa_family == to->ss_family) {
		memset(&cbuf, 0, sizeof(cbuf));
		msg.msg_control = &cbuf;
		if (src->sa_family == AF_INET) {
			struct in_pktinfo pi = {
				.ipi_spec_dst =
					((const struct sockaddr_in *)src)
						->sin_addr,
			};

			set_cmsg(&msg, IPPROTO_IP, IP_PKTINFO, &pi, sizeof(pi));
		} else {
			struct in6_pktinfo pi = {
				.ipi6_addr = ((const struct sockaddr_in6 *)src)
						     ->sin6_addr,
			};

			set_cmsg(&msg, IPPROTO_IPV6, IPV6_PKTINFO, &pi,
				 sizeof(pi));
		}
	}
	/*
	 * An ICMP error for an earlier datagram (of any ID) may be reported
	 * by this send: that one is not ours, so send again.
	 */
	for (tries = 0; tries < 3; tries++) {
		if (sendmsg(fd, &msg, MSG_DONTWAIT) >= 0)
			return;
		if (errno != ECONNREFUSED && errno != EHOSTUNREACH &&
		    errno != ENETUNREACH && errno != EINTR)
			break;
	}
	uroce_dbg("rdmacm: send: %s", strerror(errno));
}

int cm_send(struct cm_id *cid, const uint8_t *buf)
{
	struct cm_sock *s = cid->sock;

	if (cid->ns && cid->ns->roce) {
		cm_roce_send(cid->ns, &cid->peer, &cid->id.route.addr.src_addr,
			     buf);
		return 0;
	}
	if (!s || s->dead || s->family != cid->peer.ss_family) {
		s = cm_sock_shared(cid->ns, cid->peer.ss_family);
		if (!s)
			return -EAFNOSUPPORT;
		cid->sock = s;
	}
	sendto_src(s->fd, buf, &cid->peer,
		   s->wildcard ? &cid->id.route.addr.src_addr : NULL);
	return 0;
}

void cm_send_to(struct cm_sock *s, const struct sockaddr_storage *to,
		const uint8_t *buf)
{
	if (s->roce) {
		cm_roce_send(s->ns, to, (struct sockaddr *)&s->rx_local, buf);
		return;
	}
	if (s->family != to->ss_family)
		s = cm_sock_shared(s->ns, to->ss_family);
	if (s)
		sendto_src(s->fd, buf, to, NULL);
}

void cm_sockaddr_unmap(struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in sin = { .sin_family = AF_INET };

	if (ss->ss_family != AF_INET6 ||
	    !IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
		return;
	sin.sin_port = sin6->sin6_port;
	memcpy(&sin.sin_addr, sin6->sin6_addr.s6_addr + 12, 4);
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, &sin, sizeof(sin));
}

void cm_rx_batch_init(struct mmsghdr *msgs, struct iovec *iov, int n,
		      void *bufs, size_t buf_len, struct sockaddr_storage *from,
		      void *cbufs, size_t cbuf_len)
{
	int i;

	for (i = 0; i < n; i++) {
		iov[i].iov_base = (uint8_t *)bufs + (size_t)i * buf_len;
		iov[i].iov_len = buf_len;
		memset(&msgs[i], 0, sizeof(msgs[i]));
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &from[i];
		msgs[i].msg_hdr.msg_namelen = sizeof(from[i]);
		if (cbufs) {
			msgs[i].msg_hdr.msg_control =
				(char *)cbufs + (size_t)i * cbuf_len;
			msgs[i].msg_hdr.msg_controllen = cbuf_len;
		}
	}
}

void cm_sock_drain(struct cm_sock *s)
{
	static uint8_t bufs[CM_RX_BATCH][CM_MAD_SIZE + 1];
	static struct sockaddr_storage from[CM_RX_BATCH];
	struct mmsghdr msgs[CM_RX_BATCH];
	struct iovec iov[CM_RX_BATCH];
	struct cm_msg m;
	int i, n;

	do {
		cm_rx_batch_init(msgs, iov, CM_RX_BATCH, bufs, sizeof(bufs[0]),
				 from, NULL, 0);
		n = recvmmsg(s->fd, msgs, CM_RX_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			/* A pending ICMP error is reported here first. */
			if (errno == ECONNREFUSED || errno == EHOSTUNREACH ||
			    errno == EINTR)
				continue;
			return;
		}
		for (i = 0; i < n && !s->dead; i++) {
			if (cm_msg_decode(bufs[i], msgs[i].msg_len, &m)) {
				cm_rx_drops++;
				continue;
			}
			cm_sockaddr_unmap(&from[i]);
			cm_recv(s, &from[i], &m, bufs[i]);
		}
	} while (n == CM_RX_BATCH && !s->dead);
}

static bool port_unreachable(const struct sock_extended_err *ee)
{
	if (ee->ee_origin == SO_EE_ORIGIN_ICMP)
		return ee->ee_type == ICMP_DEST_UNREACH &&
		       ee->ee_code == ICMP_PORT_UNREACH;
	if (ee->ee_origin == SO_EE_ORIGIN_ICMP6)
		return ee->ee_type == ICMP6_DST_UNREACH &&
		       ee->ee_code == ICMP6_DST_UNREACH_NOPORT;
	return false;
}

/*
 * The ID whose kept message (REQ, SIDR_REQ or DREQ) an ICMP error quotes
 * in full, sent to @to, or NULL. Only the peer's host, or one on the
 * path, saw that message and its random communication ID. An error forged
 * by anyone else, who may know the addresses and ports but not the ID,
 * quotes none of ours, or too little of one: it is ignored, and the
 * message is resent at its timeout as if nothing had come.
 */
static struct cm_id *quoted_id(const uint8_t *data, ssize_t len,
			       const struct sockaddr_storage *to)
{
	struct cm_id *cid;
	struct cm_msg m;

	if (len < CM_MAD_SIZE || cm_msg_decode(data, CM_MAD_SIZE, &m))
		return NULL;
	cid = cm_id_find(m.local_id);
	if (!cid || !cid->msg_valid || memcmp(cid->msg, data, CM_MAD_SIZE) ||
	    !cid->peer.ss_family || !cm_same_ip(&cid->peer, to) ||
	    cm_sockaddr_port((void *)&cid->peer) !=
		    cm_sockaddr_port((const void *)to))
		return NULL;
	return cid;
}

void cm_sock_errqueue(struct cm_sock *s)
{
	char cbuf[512];
	uint8_t data[CM_MAD_SIZE];
	struct sockaddr_storage to;
	struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
	struct msghdr msg;
	struct cmsghdr *c;
	struct cm_id *cid;
	ssize_t n;

	for (;;) {
		memset(&msg, 0, sizeof(msg));
		memset(&to, 0, sizeof(to));
		msg.msg_name = &to;
		msg.msg_namelen = sizeof(to);
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		n = recvmsg(s->fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT);
		if (n < 0)
			return;
		for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
			const struct sock_extended_err *ee;

			if (!((c->cmsg_level == IPPROTO_IP &&
			       c->cmsg_type == IP_RECVERR) ||
			      (c->cmsg_level == IPPROTO_IPV6 &&
			       c->cmsg_type == IPV6_RECVERR)))
				continue;
			ee = (const void *)CMSG_DATA(c);
			if (!port_unreachable(ee))
				continue;
			cm_sockaddr_unmap(&to);
			/* Its sender learns that nobody listens there. */
			cid = quoted_id(data, n, &to);
			if (cid)
				cm_unreachable(cid);
			else
				cm_icmp_ignored++;
		}
	}
}
