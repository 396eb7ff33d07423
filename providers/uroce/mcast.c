// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * UD multicast. A group is a multicast GID: an IPv4-mapped 224.0.0.0/4
 * address or an IPv6 ff00::/8 one. Sending needs nothing special: a UD
 * send through an AH to the group with remote QPN 0xFFFFFF goes to the
 * group's IP at UDP port 0xFFFF, as direct addressing says.
 *
 * Receiving: at its first attach a context opens one multicast socket,
 * bound to port 0xFFFF with SO_REUSEADDR beside those of the other
 * contexts and processes of the namespace, and joins each group on the
 * device's netdev while at least one of its QPs is attached. The socket
 * is drained with the QPs' sockets; a datagram for a group goes to every
 * QP of the context attached to it, each checking its Q_Key and taking a
 * receive WQE of its own. The group table is read under a read lock on
 * that path, and QPs are removed from it under the write lock, so once a
 * detach or destroy returns no receiver can reach the QP.
 *
 * "wire roce": RoCE v2 multicast goes to the group's IP at port 4791,
 * where the namespace's processes share [::]:4791 as one SO_REUSEPORT
 * group. Joined there, a datagram that one member alone joined is handed
 * to whichever member the group's steering program picks (the kernel's
 * early demultiplexing finds the one socket and then applies the
 * program, which steers by QPN and cannot know the group). So each
 * context binds one socket per group to the group's address at 4791
 * (beside [::]:4791, with SO_REUSEPORT) and joins it there; the 4791
 * sockets join nothing and take no multicast (IP_MULTICAST_ALL off,
 * netns.c). Every context that attached gets its copy. A group's socket
 * lives while a QP of the context is attached: at the last detach its
 * fd is replaced by an unbound socket (dup2), which closes it and leaves
 * the group; the next group to be joined reuses the slot, as sockets
 * stay in the context's table until it closes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "providers/uroce/deliver.h"
#include "providers/uroce/dp.h"
#include "providers/uroce/mcast.h"
#include "providers/uroce/netns.h"
#include "providers/uroce/sock.h"
#include "providers/uroce/uroce.h"

struct mcast_grp {
	struct in6_addr addr;
	int ifindex; /* the netdev it was joined on */
	struct uroce_sock *sock; /* "wire roce": its own, joined */
	unsigned int nqps;
	struct uroce_qp *qps[UROCE_MAX_MCAST_QP_ATTACH];
};

struct uroce_mcast {
	pthread_rwlock_t lock; /* everything below */
	struct uroce_sock *sock; /* NULL until one could be opened */
	struct mcast_grp *grps;
	unsigned int ngrps, cap;
	/* "wire roce": group sockets left, their fds unbound sockets */
	struct uroce_sock **idle;
	unsigned int nidle;
};

/* The context's multicast state, made at the first attach. */
static struct uroce_mcast *mcast_get(struct uroce_dp *dp)
{
	struct uroce_mcast *mc = atomic_load(&dp->mcast);

	if (mc)
		return mc;
	pthread_mutex_lock(&dp->sock_lock);
	mc = atomic_load(&dp->mcast);
	if (!mc) {
		mc = calloc(1, sizeof(*mc));
		if (mc) {
			pthread_rwlock_init(&mc->lock, NULL);
			atomic_store(&dp->mcast, mc);
		}
	}
	pthread_mutex_unlock(&dp->sock_lock);
	return mc;
}

static struct mcast_grp *grp_find(struct uroce_mcast *mc,
				  const struct in6_addr *addr)
{
	unsigned int i;

	for (i = 0; i < mc->ngrps; i++)
		if (!memcmp(&mc->grps[i].addr, addr, sizeof(*addr)))
			return &mc->grps[i];
	return NULL;
}

static int grp_qp_index(const struct mcast_grp *g, const struct uroce_qp *qp)
{
	unsigned int i;

	for (i = 0; i < g->nqps; i++)
		if (g->qps[i] == qp)
			return (int)i;
	return -1;
}

/* Joins or leaves @g on socket @fd; an errno value. */
static int membership(int fd, const struct mcast_grp *g, bool join)
{
	const struct in6_addr *a = &g->addr;
	int ret;

	if (IN6_IS_ADDR_V4MAPPED(a)) {
		struct ip_mreqn m = { .imr_ifindex = g->ifindex };

		memcpy(&m.imr_multiaddr, &a->s6_addr[12], 4);
		ret = setsockopt(fd, IPPROTO_IP,
				 join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP,
				 &m, sizeof(m));
	} else {
		struct ipv6_mreq m = { .ipv6mr_multiaddr = *a,
				       .ipv6mr_interface =
					       (unsigned int)g->ifindex };

		ret = setsockopt(fd, IPPROTO_IPV6,
				 join ? IPV6_JOIN_GROUP : IPV6_LEAVE_GROUP, &m,
				 sizeof(m));
	}
	return ret ? errno : 0;
}

/* "wire roce": closes @g's socket, keeping its slot for another group. */
static void grp_sock_close(struct uroce_mcast *mc, struct mcast_grp *g)
{
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	/* An unbound socket receives nothing; drainers may still read it. */
	if (fd < 0 || dup2(fd, g->sock->fd) < 0)
		membership(g->sock->fd, g, false); /* bound, but left */
	if (fd >= 0)
		close(fd);
	/* Room for every group was made as it was joined (grp_sock_open). */
	mc->idle[mc->nidle++] = g->sock;
}

/* Takes @qp out of @g, and @g out of the table once it is empty. */
static void grp_remove(struct uroce_mcast *mc, struct mcast_grp *g,
		       unsigned int idx)
{
	g->qps[idx] = g->qps[--g->nqps];
	if (g->nqps)
		return;
	/* Leaving cannot fail for a group joined; nothing to undo if so. */
	if (g->sock)
		grp_sock_close(mc, g);
	else
		membership(mc->sock->fd, g, false);
	*g = mc->grps[--mc->ngrps];
}

static bool gid_ok(struct ibv_qp *ibqp, const union ibv_gid *gid)
{
	/* As the kernel's ib_attach_mcast: UD QPs and multicast GIDs only. */
	return ibqp->qp_type == IBV_QPT_UD &&
	       uroce_addr_mcast((const struct in6_addr *)gid->raw);
}

/*
 * "wire roce": @g's socket, @fd (unbound, taken) bound to the group's
 * address at port 4791 and joined; an errno value.
 */
static int grp_sock_open(struct uroce_dp *dp, struct uroce_mcast *mc,
			 struct mcast_grp *g, int *fd)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6,
				   .sin6_port = htons(UROCE_ROCE_PORT),
				   .sin6_addr = g->addr,
				   .sin6_scope_id = (uint32_t)g->ifindex };
	struct epoll_event ev = { .events = EPOLLIN };
	struct uroce_sock **idle;
	int ret;

	/* Room to keep its slot once it is left (grp_sock_close). */
	idle = realloc(mc->idle, (mc->ngrps + mc->nidle + 1) * sizeof(*idle));
	if (!idle)
		return ENOMEM;
	mc->idle = idle;
	/* Interface- and link-local groups are bound on the GID's netdev. */
	if (IN6_IS_ADDR_V4MAPPED(&g->addr) || (g->addr.s6_addr[1] & 0xf) > 2)
		sa.sin6_scope_id = 0;
	if (bind(*fd, (struct sockaddr *)&sa, sizeof(sa)))
		return errno;
	ret = membership(*fd, g, true);
	if (ret)
		return ret;
	if (!mc->nidle) {
		g->sock = uroce_sock_add_mcast(dp, *fd);
		*fd = -1;
		return g->sock ? 0 : errno;
	}
	g->sock = mc->idle[--mc->nidle];
	ev.data.ptr = g->sock;
	/* Closes the unbound socket it held; epoll forgot that one. */
	if (dup2(*fd, g->sock->fd) < 0) {
		ret = errno;
		mc->idle[mc->nidle++] = g->sock;
		g->sock = NULL;
		return ret;
	}
	if (epoll_ctl(dp->epfd, EPOLL_CTL_ADD, g->sock->fd, &ev)) {
		ret = errno;
		grp_sock_close(mc, g); /* back to the idle slots, unbound */
		g->sock = NULL;
		return ret;
	}
	close(*fd);
	*fd = -1;
	return 0;
}

/*
 * A new group for @addr, joined; NULL and an errno value in @ret. @fd:
 * "wire roce", an unbound group socket to take, else -1.
 */
static struct mcast_grp *grp_add(struct uroce_context *ctx,
				 struct uroce_mcast *mc,
				 const struct in6_addr *addr, int *fd, int *ret)
{
	struct mcast_grp *g;
	unsigned int cap;

	if (mc->ngrps == UROCE_MAX_MCAST_GRP) {
		*ret = ENOMEM;
		return NULL;
	}
	if (mc->ngrps == mc->cap) {
		cap = mc->cap ? mc->cap * 2 : 4;
		g = realloc(mc->grps, cap * sizeof(*g));
		if (!g) {
			*ret = ENOMEM;
			return NULL;
		}
		mc->grps = g;
		mc->cap = cap;
	}
	g = &mc->grps[mc->ngrps];
	memset(g, 0, sizeof(*g));
	g->addr = *addr;
	pthread_mutex_lock(&ctx->state_lock);
	g->ifindex = ctx->state.ifindex;
	pthread_mutex_unlock(&ctx->state_lock);
	if (*fd >= 0)
		*ret = grp_sock_open(ctx->dp, mc, g, fd);
	else
		*ret = membership(mc->sock->fd, g, true);
	if (*ret)
		return NULL;
	mc->ngrps++;
	return g;
}

int uroce_attach_mcast(struct ibv_qp *ibqp, const union ibv_gid *gid,
		       uint16_t lid)
{
	struct uroce_qp *qp = to_uqp(ibqp);
	struct uroce_dp *dp = qp->ctx->dp;
	const struct in6_addr *addr = (const struct in6_addr *)gid->raw;
	struct uroce_mcast *mc;
	struct mcast_grp *g;
	int ret = 0, fd = -1;

	/* RoCE has no LIDs: @lid is ignored, as the kernel does for RoCE. */
	if (!gid_ok(ibqp, gid))
		return EINVAL;
	mc = mcast_get(dp);
	if (!mc)
		return ENOMEM;
	/*
	 * "wire roce": a socket for the group, opened before the lock, as
	 * the engine thread may open it and takes the lock to deliver.
	 */
	if (qp->sock->steer) {
		fd = uroce_netns_socket(dp, UROCE_SOCK_MCAST_ROCE, NULL);
		if (fd < 0)
			return -fd;
	}
	pthread_rwlock_wrlock(&mc->lock);
	/* No receiver takes this lock before the socket exists. */
	if (!mc->sock && fd < 0) {
		mc->sock = uroce_sock_add_mcast(dp, -1);
		if (!mc->sock) {
			ret = errno;
			goto out;
		}
	}
	g = grp_find(mc, addr);
	if (!g) {
		g = grp_add(qp->ctx, mc, addr, &fd, &ret);
		if (!g)
			goto out;
	} else if (grp_qp_index(g, qp) >= 0) {
		goto out; /* attached already: success, as rxe */
	} else if (g->nqps == UROCE_MAX_MCAST_QP_ATTACH) {
		ret = ENOMEM;
		goto out;
	}
	g->qps[g->nqps++] = qp;
out:
	pthread_rwlock_unlock(&mc->lock);
	if (fd >= 0)
		close(fd);
	return ret;
}

int uroce_detach_mcast(struct ibv_qp *ibqp, const union ibv_gid *gid,
		       uint16_t lid)
{
	struct uroce_qp *qp = to_uqp(ibqp);
	struct uroce_mcast *mc = atomic_load(&qp->ctx->dp->mcast);
	struct mcast_grp *g;
	int ret = EINVAL, i;

	if (!gid_ok(ibqp, gid) || !mc)
		return EINVAL;
	pthread_rwlock_wrlock(&mc->lock);
	g = grp_find(mc, (const struct in6_addr *)gid->raw);
	i = g ? grp_qp_index(g, qp) : -1;
	if (i >= 0) {
		grp_remove(mc, g, (unsigned int)i);
		ret = 0;
	}
	pthread_rwlock_unlock(&mc->lock);
	return ret;
}

void uroce_mcast_qp_destroy(struct uroce_qp *qp)
{
	struct uroce_mcast *mc = atomic_load(&qp->ctx->dp->mcast);
	unsigned int n;
	int i;

	if (!mc || qp->ibv_qp.qp_type != IBV_QPT_UD)
		return;
	pthread_rwlock_wrlock(&mc->lock);
	/* Backwards: removing a group moves the last one into its place. */
	for (n = mc->ngrps; n--;) {
		i = grp_qp_index(&mc->grps[n], qp);
		if (i >= 0)
			grp_remove(mc, &mc->grps[n], (unsigned int)i);
	}
	pthread_rwlock_unlock(&mc->lock);
}

void uroce_mcast_rx(struct uroce_dp *dp, struct uroce_pkt *pkt,
		    const struct sockaddr_in6 *from, const struct in6_addr *dst)
{
	struct uroce_mcast *mc = atomic_load(&dp->mcast);
	struct mcast_grp *g;
	unsigned int i;

	if (!mc || pkt->bth.dqpn != UROCE_MCAST_QPN) {
		uroce_cnt_add(dp->cnt.drops[UROCE_DROP_NO_QP], 1);
		return;
	}
	pthread_rwlock_rdlock(&mc->lock);
	g = grp_find(mc, dst);
	if (!g)
		uroce_cnt_add(dp->cnt.drops[UROCE_DROP_NO_QP], 1);
	/* Each QP checks transport, state, P_Key and Q_Key and counts. */
	for (i = 0; g && i < g->nqps; i++)
		uroce_deliver(dp, g->qps[i], pkt, from, dst, -1, NULL);
	pthread_rwlock_unlock(&mc->lock);
}

/* After the QPs (which detached) and the sockets are gone. */
void uroce_mcast_free(struct uroce_dp *dp)
{
	struct uroce_mcast *mc = atomic_load(&dp->mcast);

	if (!mc)
		return;
	pthread_rwlock_destroy(&mc->lock);
	free(mc->idle);
	free(mc->grps);
	free(mc);
	atomic_store(&dp->mcast, NULL);
}
