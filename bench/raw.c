// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The limits of the path, measured without uroce: a UDP ping-pong with
 * both ends spinning on non-blocking recv, a UDP stream (one datagram per
 * send, a sendmmsg of several, or one UDP GSO send of several received
 * with UDP_GRO: what uroce's transmit batches do), and one TCP stream. The
 * client always sends; the server receives, and for the streams sends
 * back what it counted.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "bench/bench.h"

/* uroce asks for these socket buffers: the UDP stream gets the same. */
#define UDP_BUF_BYTES (4 << 20)
/* A ping-pong reply or a stream's data later than this is lost. */
#define STALL_NS (2ull * 1000 * 1000 * 1000)
/* The receiver ends a UDP stream after this long without a datagram. */
#define UDP_QUIET_MS 200
/* A stream's sends: datagrams in one sendmmsg or one GSO send, at most. */
#define UDP_BATCH 64

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

struct stream_result {
	uint64_t bytes;
	uint64_t msgs;
	uint64_t ns; /* first to last byte received */
};

static int udp_socket(const struct bench_opts *o, bool bind_it)
{
	struct sockaddr_storage sa;
	int fd, sz = UDP_BUF_BYTES;
	unsigned int salen;

	if (xchg_sockaddr(o->addr, o->port, &sa, &salen))
		return -1;
	fd = socket(sa.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("socket");
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (bind_it ? bind(fd, (struct sockaddr *)&sa, salen) :
		      connect(fd, (struct sockaddr *)&sa, salen)) {
		fprintf(stderr, "udp port %u: %s\n", o->port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Spins on a non-blocking recv; -1 after STALL_NS without a datagram. */
static ssize_t spin_recv(int fd, void *buf, size_t len)
{
	uint64_t deadline = 0;
	unsigned int spins = 0;
	ssize_t n;

	for (;;) {
		n = recv(fd, buf, len, MSG_DONTWAIT);
		if (n >= 0)
			return n;
		if (errno != EAGAIN && errno != EINTR) {
			perror("recv");
			return -1;
		}
		if (++spins % 4096)
			continue;
		if (!deadline) {
			deadline = now_ns() + STALL_NS;
		} else if (now_ns() > deadline) {
			fprintf(stderr, "udp ping-pong: no datagram for 2 s\n");
			return -1;
		}
	}
}

int raw_udp_pingpong(const struct bench_opts *o, int ctl)
{
	const struct bench_params *p = &o->p;
	uint32_t i, n = p->warmup + p->iters, size = p->sizes[0];
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	uint64_t *rtt = NULL, t0;
	char buf[65536];
	int fd, ret = -1;

	if (size > sizeof(buf)) {
		fprintf(stderr, "udp ping-pong: size at most %zu\n",
			sizeof(buf));
		return -1;
	}
	memset(buf, 0x5a, sizeof(buf));
	fd = udp_socket(o, o->server);
	if (fd < 0)
		return -1;
	if (o->server) {
		struct timeval tv = { .tv_sec = 10 };

		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (xchg_sync(ctl))
			goto out;
		/* The first datagram tells where the client is. */
		if (recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer,
			     &plen) < 0 ||
		    connect(fd, (struct sockaddr *)&peer, plen) ||
		    send(fd, buf, size, 0) < 0) {
			perror("udp ping-pong");
			goto out;
		}
		for (i = 1; i < n; i++)
			if (spin_recv(fd, buf, sizeof(buf)) < 0 ||
			    send(fd, buf, size, 0) < 0)
				goto out;
		ret = xchg_sync(ctl);
		goto out;
	}
	rtt = calloc(n, sizeof(*rtt));
	if (!rtt || xchg_sync(ctl))
		goto out;
	for (i = 0; i < n; i++) {
		t0 = now_ns();
		if (send(fd, buf, size, 0) < 0) {
			perror("send");
			goto out;
		}
		if (spin_recv(fd, buf, sizeof(buf)) < 0)
			goto out;
		rtt[i] = now_ns() - t0;
	}
	if (xchg_sync(ctl))
		goto out;
	{
		char prefix[64];

		snprintf(prefix, sizeof(prefix), "udp-pingpong size=%u", size);
		stats_print_lat(prefix, rtt + p->warmup, p->iters);
	}
	ret = 0;
out:
	free(rtt);
	close(fd);
	return ret;
}

/*
 * The receiving end of a UDP stream, spinning on a non-blocking recv as
 * uroce's pollers do; the client says when it stopped sending.
 */
static int udp_stream_recv(int fd, int ctl, const struct bench_params *p,
			   struct stream_result *r)
{
	uint64_t first = 0, last = 0, limit, sent, now;
	struct pollfd pfd = { .fd = ctl, .events = POLLIN };
	static char buf[65536];
	unsigned int spins = 0;
	bool done = false;
	ssize_t n;

	memset(r, 0, sizeof(*r));
	if (xchg_sync(ctl))
		return -1;
	limit = now_ns() + p->duration_ns + 10 * STALL_NS;
	for (;;) {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n >= 0) {
			last = now_ns();
			if (!first)
				first = last;
			r->bytes += (uint64_t)n;
			/* UDP_GRO may have merged datagrams of one size. */
			r->msgs += n ? ((uint64_t)n + p->sizes[0] - 1) /
						   p->sizes[0] :
				       1;
			continue;
		}
		if (errno != EAGAIN && errno != EINTR) {
			perror("recv");
			return -1;
		}
		if (++spins % 1024)
			continue;
		/* Quiet for a while: finished once the sender said so. */
		now = now_ns();
		if (last && now - last < UDP_QUIET_MS * 1000000ull)
			continue;
		if (!done && poll(&pfd, 1, 0) == 1) {
			if (xchg_recv(ctl, &sent, sizeof(sent)))
				return -1;
			done = true;
		}
		if (done)
			break;
		if (now > limit) {
			fprintf(stderr, "udp stream: the sender never ended\n");
			return -1;
		}
	}
	r->ns = last - first;
	return 0;
}

/*
 * One send of the stream: @n datagrams of @size bytes, one by one, as a
 * sendmmsg, or as one GSO send. Returns the datagrams sent, -1 on error.
 */
static int udp_send(int fd, const char *buf, uint32_t size, uint32_t n,
		    bool gso)
{
	static struct iovec iov[UDP_BATCH];
	static struct mmsghdr msg[UDP_BATCH];
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} cm;
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = n };
	struct cmsghdr *c;
	uint32_t i;
	int ret;

	if (n == 1)
		return send(fd, buf, size, 0) == (ssize_t)size ? 1 : -1;
	for (i = 0; i < n; i++) {
		iov[i].iov_base = (void *)(buf + (size_t)i * size);
		iov[i].iov_len = size;
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
	}
	if (!gso)
		return sendmmsg(fd, msg, n, 0);
	memset(&cm, 0, sizeof(cm));
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof(cm.buf);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_UDP;
	c->cmsg_type = UDP_SEGMENT;
	c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
	*(uint16_t *)(void *)CMSG_DATA(c) = (uint16_t)size;
	ret = (int)sendmsg(fd, &mh, 0);
	return ret < 0 ? -1 : (int)n;
}

int raw_udp_stream(const struct bench_opts *o, int ctl)
{
	const struct bench_params *p = &o->p;
	uint32_t size = p->sizes[0], batch = p->post_list;
	struct stream_result r;
	uint64_t t0, end, sent = 0, msgs = 0, loops = 0, t;
	int one = 1, k;
	static char buf[65536];
	char prefix[64];
	int fd, ret = -1;

	if ((size_t)size * batch > sizeof(buf) || batch > UDP_BATCH) {
		fprintf(stderr,
			"udp stream: %u datagrams of %u bytes at most\n",
			UDP_BATCH, (unsigned int)sizeof(buf) / batch);
		return -1;
	}
	fd = udp_socket(o, o->server);
	if (fd < 0)
		return -1;
	if (o->server) {
		if (p->gso &&
		    setsockopt(fd, IPPROTO_UDP, UDP_GRO, &one, sizeof(one)))
			perror("UDP_GRO");
		if (udp_stream_recv(fd, ctl, p, &r))
			goto out;
		ret = xchg_send(ctl, &r, sizeof(r));
		goto out;
	}
	memset(buf, 0x5a, sizeof(buf));
	if (xchg_sync(ctl))
		goto out;
	t0 = now_ns();
	end = t0 + p->duration_ns;
	do {
		/* A full queue drops, as the receiver's would: count sent. */
		k = udp_send(fd, buf, size, batch, p->gso);
		if (k > 0) {
			sent += (uint64_t)size * (uint64_t)k;
			msgs += (uint64_t)k;
		} else if (errno != ENOBUFS && errno != EAGAIN &&
			   errno != ECONNREFUSED && errno != EINTR) {
			perror("send");
			goto out;
		}
		t = (++loops & 63) ? 0 : now_ns();
	} while (!t || t < end);
	t = now_ns() - t0;
	if (xchg_send(ctl, &sent, sizeof(sent)) ||
	    xchg_recv(ctl, &r, sizeof(r)))
		goto out;
	snprintf(prefix, sizeof(prefix), "udp-stream size=%u batch=%u gso=%u",
		 size, batch, p->gso);
	stats_print_bw(prefix, r.bytes, r.msgs, r.ns);
	snprintf(prefix, sizeof(prefix),
		 "udp-stream-sent size=%u batch=%u gso=%u", size, batch,
		 p->gso);
	stats_print_bw(prefix, sent, msgs, t);
	ret = 0;
out:
	close(fd);
	return ret;
}

static int tcp_stream_recv(int fd, struct stream_result *r)
{
	static char buf[1 << 20];
	uint64_t first = 0;
	ssize_t n;

	memset(r, 0, sizeof(*r));
	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("tcp stream: recv");
			return -1;
		}
		if (!n)
			break;
		if (!first)
			first = now_ns();
		r->bytes += (uint64_t)n;
		r->msgs++;
	}
	r->ns = first ? now_ns() - first : 0;
	return 0;
}

/* The data goes over its own connection, on the control port + 1. */
int raw_tcp_stream(const struct bench_opts *o, int ctl)
{
	const struct bench_params *p = &o->p;
	uint32_t size = p->sizes[0];
	struct stream_result r;
	uint64_t end, msgs = 0;
	char *buf = NULL, prefix[64];
	int fd = -1, ret = -1;
	ssize_t n;

	if (o->server) {
		if (xchg_sync(ctl))
			return -1;
		fd = xchg_accept(o->addr, o->port + 1, o->wait_secs);
		if (fd < 0 || tcp_stream_recv(fd, &r))
			goto out;
		ret = xchg_send(ctl, &r, sizeof(r));
		goto out;
	}
	buf = malloc(size);
	if (!buf || xchg_sync(ctl))
		goto out;
	memset(buf, 0x5a, size);
	fd = xchg_connect(o->addr, o->port + 1, o->wait_secs);
	if (fd < 0)
		goto out;
	end = now_ns() + p->duration_ns;
	while (now_ns() < end) {
		n = send(fd, buf, size, MSG_NOSIGNAL);
		if (n < 0 && errno != EINTR) {
			perror("tcp stream: send");
			goto out;
		}
		msgs++;
	}
	shutdown(fd, SHUT_WR);
	if (xchg_recv(ctl, &r, sizeof(r)))
		goto out;
	snprintf(prefix, sizeof(prefix), "tcp-stream size=%u", size);
	stats_print_bw(prefix, r.bytes, msgs, r.ns);
	ret = 0;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return ret;
}
