// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The UDP sockets of a context, opened in its network namespace: by the
 * calling thread when it is there, else by the engine thread, which lives
 * there (a thread that moved to another namespace since the context was
 * opened still gets the context's sockets).
 */
#include <netinet/udp.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "providers/uroce/dp.h"
#include "providers/uroce/engine.h"
#include "providers/uroce/netns.h"
#include "providers/uroce/uroce.h"

#define SOCK_BUF_BYTES (4 << 20)

/* @mcast: bound to UROCE_MCAST_PORT, shared; else an ephemeral port. */
static int sock_open(bool mcast)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };
	int fd, off = 0, on = 1, sz = SOCK_BUF_BYTES;

	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on)) ||
	    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)))
		goto err;
	/*
	 * Multicast arrives only on the multicast socket (mcast.c), and only
	 * for the groups it joined rather than all those that some socket
	 * joined; best effort: mcast.c filters by group anyway.
	 */
	setsockopt(fd, IPPROTO_IP, IP_MULTICAST_ALL, &off, sizeof(off));
	setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, &off, sizeof(off));
	/* Each context with a group attached binds the port and gets a copy. */
	if (mcast) {
		sa.sin6_port = htons(UROCE_MCAST_PORT);
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)))
			goto err;
	} else {
		/*
		 * A GSO send from a peer (tx.c) arrives whole, one buffer for
		 * many packets; best effort, as the kernel may lack it.
		 */
		setsockopt(fd, IPPROTO_UDP, UDP_GRO, &on, sizeof(on));
	}
	/* Larger buffers only soften bursts: failure is not fatal. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
		goto err;
	return fd;
err:
	off = -errno;
	close(fd);
	return off;
}

/* Whether the calling thread is in the context's network namespace. */
static bool in_ctx_netns(struct uroce_context *ctx)
{
	struct stat a, b;

	if (stat("/proc/thread-self/ns/net", &a) || fstat(ctx->netns_fd, &b))
		return false;
	return a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

int uroce_netns_socket(struct uroce_dp *dp, bool mcast)
{
	int fd;

	if (in_ctx_netns(dp->ctx))
		return sock_open(mcast);
	pthread_mutex_lock(&dp->req_lock);
	dp->req_pending = true;
	dp->req_mcast = mcast;
	uroce_engine_kick(dp);
	while (dp->req_pending)
		pthread_cond_wait(&dp->req_cond, &dp->req_lock);
	fd = dp->req_fd;
	pthread_mutex_unlock(&dp->req_lock);
	return fd;
}

void uroce_netns_serve(struct uroce_dp *dp)
{
	pthread_mutex_lock(&dp->req_lock);
	if (dp->req_pending) {
		dp->req_fd = sock_open(dp->req_mcast);
		dp->req_pending = false;
		pthread_cond_broadcast(&dp->req_cond);
	}
	pthread_mutex_unlock(&dp->req_lock);
}
