// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The UDP sockets of a context, opened in its network namespace: by the
 * calling thread when it is there, else by the engine thread, which lives
 * there (a thread that moved to another namespace since the context was
 * opened still gets the context's sockets).
 */
#include <linux/filter.h>
#include <netinet/udp.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "providers/uroce/dp.h"
#include "providers/uroce/engine.h"
#include "providers/uroce/netns.h"
#include "providers/uroce/uroce.h"
#include "util/steer_group.h"

#define SOCK_BUF_BYTES (4 << 20)
/* ECN-capable transport, ECT(0), in the IPv4 TOS and IPv6 traffic class */
#define ROCE_ECT0 0x02
#ifndef UDP_NO_CHECK6_RX
#define UDP_NO_CHECK6_RX 102
#endif

/* The options every socket of a context has; 0 or -errno. */
static int sock_setopts(int fd, enum uroce_sock_kind kind)
{
	int off = 0, on = 1, sz = SOCK_BUF_BYTES;

	if (setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on)) ||
	    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)))
		return -errno;
	/*
	 * Multicast arrives only on the multicast socket (mcast.c), and only
	 * for the groups it joined rather than all those that some socket
	 * joined; best effort: mcast.c filters by group anyway.
	 */
	setsockopt(fd, IPPROTO_IP, IP_MULTICAST_ALL, &off, sizeof(off));
	setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, &off, sizeof(off));
	/*
	 * A GSO send from a peer (tx.c) arrives whole, one buffer for
	 * many packets; best effort, as the kernel may lack it.
	 */
	if (kind != UROCE_SOCK_MCAST)
		setsockopt(fd, IPPROTO_UDP, UDP_GRO, &on, sizeof(on));
	/* Larger buffers only soften bursts: failure is not fatal. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (kind != UROCE_SOCK_ROCE && kind != UROCE_SOCK_SPORT &&
	    kind != UROCE_SOCK_MCAST_ROCE)
		return 0;
	/*
	 * The ICRC covers the IPv4 ID and flags: an unconnected socket that
	 * never fragments sends ID 0 with DF (path.c), which the ICRC
	 * assumes. A peer's own are checked whatever its ID (util/icrc.h).
	 */
	on = IP_PMTUDISC_DO;
	if (setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &on, sizeof(on)))
		return -errno;
	on = IPV6_PMTUDISC_DO;
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &on, sizeof(on)))
		return -errno;
	/*
	 * The kernel's rxe sends IPv6 RoCE v2 with a zero UDP checksum, as
	 * RFC 6935 lets tunnels do (the ICRC covers the packet): accepted.
	 */
	on = 1;
	if (setsockopt(fd, IPPROTO_UDP, UDP_NO_CHECK6_RX, &on, sizeof(on)))
		return -errno;
	/* ECN-capable, as RoCE v2 congestion control expects; best effort. */
	on = ROCE_ECT0;
	setsockopt(fd, IPPROTO_IP, IP_TOS, &on, sizeof(on));
	setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &on, sizeof(on));
	return 0;
}

/*
 * The context's member of the namespace's group on [::]:4791, dual-stack:
 * one bound address for IPv4 and IPv6 peers, as the group needs every
 * member bound alike. EADDRINUSE: another UID holds the port.
 */
static int roce_open(struct steer_group **group)
{
	struct sockaddr_in6 sa = {
		.sin6_family = AF_INET6,
		.sin6_port = htons(UROCE_ROCE_PORT),
		.sin6_addr = IN6ADDR_ANY_INIT,
	};
	struct steer_group *g;
	int fd, ret;

	g = steer_group_join((struct sockaddr *)&sa, sizeof(sa));
	if (!g)
		return -errno;
	fd = steer_group_udp_fd(g);
	ret = sock_setopts(fd, UROCE_SOCK_ROCE);
	if (ret) {
		steer_group_leave(g);
		return ret;
	}
	*group = g;
	return fd;
}

/*
 * A flow's source port: RoCE peers send only to 4791, so the socket
 * drops all it would receive (a filter returning 0, which needs no
 * privilege), and shares the port (SO_REUSEPORT) with the other
 * processes of the user whose flows hash to it.
 */
static int sport_setopts(int fd)
{
	struct sock_filter drop = BPF_STMT(BPF_RET | BPF_K, 0);
	struct sock_fprog prog = { .len = 1, .filter = &drop };
	int on = 1;

	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)))
		return -errno;
	return 0;
}

/* @kind: see netns.h; @port, UROCE_SOCK_SPORT's. */
static int sock_open(enum uroce_sock_kind kind, uint16_t port,
		     struct steer_group **group)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };
	int fd, off = 0, on = 1, ret;

	if (kind == UROCE_SOCK_ROCE)
		return roce_open(group);
	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)))
		goto err;
	ret = sock_setopts(fd, kind);
	if (!ret && kind == UROCE_SOCK_SPORT)
		ret = sport_setopts(fd);
	/*
	 * A group's address at port 4791 overlaps the [::]:4791 that the
	 * namespace's group holds: the kernel lets it be bound beside it
	 * with SO_REUSEPORT (same UID), as a reuseport group of its own.
	 */
	if (!ret && kind == UROCE_SOCK_MCAST_ROCE &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)))
		ret = -errno;
	if (ret) {
		close(fd);
		return ret;
	}
	if (kind == UROCE_SOCK_MCAST_ROCE)
		return fd;
	if (kind == UROCE_SOCK_SPORT)
		sa.sin6_port = htons(port);
	/* Each context with a group attached binds the port and gets a copy. */
	if (kind == UROCE_SOCK_MCAST) {
		sa.sin6_port = htons(UROCE_MCAST_PORT);
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)))
			goto err;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
		goto err;
	return fd;
err:
	ret = -errno;
	close(fd);
	return ret;
}

/* Whether the calling thread is in the context's network namespace. */
static bool in_ctx_netns(struct uroce_context *ctx)
{
	struct stat a, b;

	if (stat("/proc/thread-self/ns/net", &a) || fstat(ctx->netns_fd, &b))
		return false;
	return a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

static int netns_open(struct uroce_dp *dp, enum uroce_sock_kind kind,
		      uint16_t port, struct steer_group **group)
{
	int fd;

	if (in_ctx_netns(dp->ctx))
		return sock_open(kind, port, group);
	pthread_mutex_lock(&dp->req_lock);
	dp->req_pending = true;
	dp->req_kind = kind;
	dp->req_port = port;
	uroce_engine_kick(dp);
	while (dp->req_pending)
		pthread_cond_wait(&dp->req_cond, &dp->req_lock);
	fd = dp->req_fd;
	if (group)
		*group = dp->req_group;
	pthread_mutex_unlock(&dp->req_lock);
	return fd;
}

int uroce_netns_socket(struct uroce_dp *dp, enum uroce_sock_kind kind,
		       struct steer_group **group)
{
	return netns_open(dp, kind, 0, group);
}

int uroce_netns_sport_socket(struct uroce_dp *dp, uint16_t port)
{
	return netns_open(dp, UROCE_SOCK_SPORT, port, NULL);
}

void uroce_netns_serve(struct uroce_dp *dp)
{
	pthread_mutex_lock(&dp->req_lock);
	if (dp->req_pending) {
		dp->req_group = NULL;
		dp->req_fd = sock_open((enum uroce_sock_kind)dp->req_kind,
				       dp->req_port, &dp->req_group);
		dp->req_pending = false;
		pthread_cond_broadcast(&dp->req_cond);
	}
	pthread_mutex_unlock(&dp->req_lock);
}
