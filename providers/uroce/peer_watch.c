// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Local peers' sockets. A connected QP takes its peer's packets by their
 * source address and port, and on one host a port is free again once the
 * peer's socket closes: any local user may bind it. So when an RC/UC QP's
 * peer is an address of the namespace, the QP records the socket that
 * holds the peer's port (its cookie, which the kernel never reuses), from
 * the kernel's socket diagnostics (NETLINK_SOCK_DIAG, an exact lookup: no
 * privilege needed). A packet from that port is delivered only once a
 * lookup made after the packet was received found the same socket there:
 * as sockets cannot rebind, that socket then held the port all along and
 * sent it. One lookup covers a receive batch. When the socket has gone,
 * the QP moves to ERR (IBV_EVENT_QP_FATAL); the engine also looks every
 * UROCE_PEER_WATCH_NS, so that an idle QP learns it too.
 *
 * "wire roce": every local uroce process of the namespace is a member of
 * the one SO_REUSEPORT group on 4791, whose sockets share a UID, and a
 * peer sends from per-flow source ports: a packet from a local address
 * must come from a socket of the UID that held 4791 at RTR.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "providers/uroce/comp.h"
#include "providers/uroce/dp.h"
#include "providers/uroce/peer_watch.h"
#include "providers/uroce/uroce.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/rtnl.h"

#define NFOUND 8

struct uroce_peer_watch {
	pthread_mutex_t lock; /* the sockets: one query at a time */
	int diag_fd; /* NETLINK_SOCK_DIAG */
	int route_fd; /* rtnetlink, for whether an address is local */
	uint32_t seq;
	atomic_uint nqps; /* QPs watched */
	uint64_t next_ns; /* the engine's next pass; engine only */
	/*
	 * Peer sockets found lately, under lock: a socket that still exists
	 * holds its port, so one lookup serves every QP connected to it.
	 */
	struct {
		uint32_t cookie[2];
		struct in6_addr addr;
		uint64_t ns;
	} found[NFOUND];
	unsigned int next_found;
};

/* What a lookup found at an address and port. */
struct peer_found {
	uint32_t cookie[2];
	uint32_t ino, uid;
	uint64_t ns; /* it was there at least since then (the query's start) */
};

static void fill_addr(__be32 *dst, int family, const struct in6_addr *a)
{
	if (family == AF_INET)
		memcpy(dst, &a->s6_addr[12], 4);
	else
		memcpy(dst, a, 16);
}

/*
 * The socket that takes datagrams sent from @src:@sport to @addr:@port
 * (ports in network order), if its cookie is @cookie (NULL: any), found
 * there after @after (ns; a cookie found since is not asked for again).
 * Returns 0, -ENOENT (none), -ESTALE (another) or another negative errno.
 */
static int diag_lookup(struct uroce_peer_watch *w, const struct in6_addr *addr,
		       uint16_t port, const struct in6_addr *src,
		       uint16_t sport, uint32_t ifindex, const uint32_t *cookie,
		       uint64_t after, struct peer_found *out)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req;
	union {
		struct nlmsghdr nlh;
		char buf[2048];
	} rsp;
	int family = IN6_IS_ADDR_V4MAPPED(addr) ? AF_INET : AF_INET6;
	struct inet_diag_msg *m;
	struct nlmsgerr *e;
	unsigned int i;
	ssize_t n;
	int ret;

	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST;
	req.r.sdiag_family = (uint8_t)family;
	req.r.sdiag_protocol = IPPROTO_UDP;
	req.r.idiag_states = ~0u;
	/* As the kernel looks up a datagram's receiver: dst is the bound. */
	fill_addr(req.r.id.idiag_dst, family, addr);
	req.r.id.idiag_dport = port;
	fill_addr(req.r.id.idiag_src, family, src);
	req.r.id.idiag_sport = sport;
	req.r.id.idiag_if = ifindex;
	req.r.id.idiag_cookie[0] = cookie ? cookie[0] : INET_DIAG_NOCOOKIE;
	req.r.id.idiag_cookie[1] = cookie ? cookie[1] : INET_DIAG_NOCOOKIE;
	pthread_mutex_lock(&w->lock);
	/* Found since @after: no need to ask. */
	for (i = 0; cookie && i < NFOUND; i++) {
		if (w->found[i].ns > after &&
		    !memcmp(w->found[i].cookie, cookie,
			    sizeof(w->found[i].cookie)) &&
		    IN6_ARE_ADDR_EQUAL(&w->found[i].addr, addr)) {
			out->ns = w->found[i].ns;
			ret = 0;
			goto out;
		}
	}
	out->ns = uroce_now_ns();
	req.nlh.nlmsg_seq = ++w->seq;
	if (send(w->diag_fd, &req, sizeof(req), 0) < 0) {
		ret = -errno;
		goto out;
	}
	/* The kernel answers within send(): a late answer is a stale one. */
	do {
		n = recv(w->diag_fd, &rsp, sizeof(rsp), MSG_DONTWAIT);
	} while (n >= (ssize_t)sizeof(rsp.nlh) &&
		 rsp.nlh.nlmsg_seq != req.nlh.nlmsg_seq);
	if (n < 0) {
		ret = -errno;
		goto out;
	}
	ret = -EPROTO;
	if (n < (ssize_t)sizeof(rsp.nlh) || rsp.nlh.nlmsg_len > (size_t)n)
		goto out;
	if (rsp.nlh.nlmsg_type == NLMSG_ERROR) {
		e = NLMSG_DATA(&rsp.nlh);
		if (rsp.nlh.nlmsg_len >= NLMSG_LENGTH(sizeof(*e)))
			ret = e->error ? e->error : -EPROTO;
		goto out;
	}
	if (rsp.nlh.nlmsg_type != SOCK_DIAG_BY_FAMILY ||
	    rsp.nlh.nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		goto out;
	m = NLMSG_DATA(&rsp.nlh);
	out->cookie[0] = m->id.idiag_cookie[0];
	out->cookie[1] = m->id.idiag_cookie[1];
	out->ino = m->idiag_inode;
	out->uid = m->idiag_uid;
	if (cookie) {
		i = w->next_found++ % NFOUND;
		memcpy(w->found[i].cookie, cookie, sizeof(w->found[i].cookie));
		w->found[i].addr = *addr;
		w->found[i].ns = out->ns;
	}
	ret = 0;
out:
	pthread_mutex_unlock(&w->lock);
	return ret;
}

/* Whether the diagnostics find a socket of ours: else they are absent. */
static bool diag_works(struct uroce_peer_watch *w)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };
	socklen_t len = sizeof(sa);
	struct peer_found f;
	bool ok = false;
	int fd;

	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	if (!bind(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	    !getsockname(fd, (struct sockaddr *)&sa, &len))
		ok = !diag_lookup(w, &in6addr_any, sa.sin6_port, &in6addr_any,
				  0, 0, NULL, 0, &f);
	close(fd);
	return ok;
}

int uroce_peer_watch_open(struct uroce_dp *dp)
{
	struct uroce_peer_watch *w;

	w = calloc(1, sizeof(*w));
	if (!w)
		return ENOMEM;
	pthread_mutex_init(&w->lock, NULL);
	w->diag_fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
			    NETLINK_SOCK_DIAG);
	w->route_fd = rtnl_query_open();
	if (w->diag_fd < 0 || w->route_fd < 0 || !diag_works(w)) {
		/* A kernel without UDP diagnostics: documented in uroce(7). */
		uroce_info("local peers' sockets cannot be watched: %s",
			   w->diag_fd < 0 || w->route_fd < 0 ?
				   strerror(errno) :
				   "no UDP socket diagnostics");
		if (w->diag_fd >= 0)
			close(w->diag_fd);
		if (w->route_fd >= 0)
			close(w->route_fd);
		pthread_mutex_destroy(&w->lock);
		free(w);
		return 0;
	}
	dp->watch = w;
	return 0;
}

void uroce_peer_watch_close(struct uroce_dp *dp)
{
	struct uroce_peer_watch *w = dp->watch;

	if (!w)
		return;
	close(w->diag_fd);
	close(w->route_fd);
	pthread_mutex_destroy(&w->lock);
	free(w);
	dp->watch = NULL;
}

/* Whether @a is an address of the namespace (its route is RTN_LOCAL). */
static bool addr_local(struct uroce_peer_watch *w, const struct in6_addr *a)
{
	struct rtnl_route rt;
	int ret;

	pthread_mutex_lock(&w->lock);
	if (IN6_IS_ADDR_V4MAPPED(a))
		ret = rtnl_get_route(w->route_fd, AF_INET, &a->s6_addr[12],
				     NULL, &rt);
	else
		ret = rtnl_get_route(w->route_fd, AF_INET6, a, NULL, &rt);
	pthread_mutex_unlock(&w->lock);
	return !ret && rt.type == RTN_LOCAL;
}

static int qp_lookup(struct uroce_qp *qp, uint16_t port, const uint32_t *cookie,
		     uint64_t after, struct peer_found *f)
{
	return diag_lookup(qp->ctx->dp->watch, &qp->path.dst.sin6_addr, port,
			   &qp->path.src, htons(qp->sock->port),
			   qp->path.dst.sin6_scope_id, cookie, after, f);
}

/*
 * Whether local port @port (network order) is one of @dp's sockets: they
 * live until the context closes, and are bound to every address.
 */
static bool own_port(struct uroce_dp *dp, uint16_t port)
{
	unsigned int i, n = atomic_load(&dp->nsocks);

	for (i = 0; i < n; i++)
		if (!dp->socks[i]->mcast && htons(dp->socks[i]->port) == port)
			return true;
	return false;
}

void uroce_peer_watch_arm(struct uroce_qp *qp)
{
	struct uroce_peer_watch *w = qp->ctx->dp->watch;
	struct uroce_peer_sock *p = &qp->peer;
	struct peer_found f = { .ns = 0 };
	int ret;

	uroce_peer_watch_disarm(qp);
	if (!w || qp->ibv_qp.qp_type == IBV_QPT_UD ||
	    !addr_local(w, &qp->path.dst.sin6_addr))
		return;
	/* A peer QP of this context: its socket goes only with ours. */
	if (!qp->path.any_sport &&
	    own_port(qp->ctx->dp, qp->path.dst.sin6_port))
		return;
	p->by_uid = qp->path.any_sport;
	/* "wire roce": the group's port, whatever the peer sends from. */
	ret = qp_lookup(qp, qp->path.dst.sin6_port, NULL, 0, &f);
	if (ret && ret != -ENOENT)
		uroce_warn(
			"QP %#x: its local peer's port cannot be looked up: %s",
			qp->ibv_qp.qp_num, strerror(-ret));
	p->on = true;
	/* Nobody's: nothing from the port is ever the peer's. */
	p->absent = ret != 0;
	p->cookie[0] = f.cookie[0];
	p->cookie[1] = f.cookie[1];
	p->ino = ret ? 0 : f.ino;
	p->uid = ret ? 0 : f.uid;
	p->port = qp->path.dst.sin6_port;
	p->checked_ns = f.ns;
	atomic_fetch_add(&w->nqps, 1);
	uroce_dbg("QP %#x: local peer port %u: socket %u of uid %u%s",
		  qp->ibv_qp.qp_num, ntohs(p->port), p->ino, p->uid,
		  p->absent ? " (none)" : "");
}

void uroce_peer_watch_disarm(struct uroce_qp *qp)
{
	struct uroce_peer_watch *w = qp->ctx->dp->watch;

	if (!qp->peer.on)
		return;
	memset(&qp->peer, 0, sizeof(qp->peer));
	atomic_fetch_sub(&w->nqps, 1);
}

/*
 * The peer's socket has gone: @qp goes to ERR as after a transport
 * failure (the request in flight completes with RETRY_EXC_ERR, the rest
 * is flushed) and nothing more from the port reaches it.
 */
static void peer_gone(struct uroce_qp *qp)
{
	struct uroce_send_wqe *wqe;

	uroce_warn("QP %#x: the socket of its local peer (port %u) has gone",
		   qp->ibv_qp.qp_num, ntohs(qp->path.dst.sin6_port));
	if (qp->sq.tail != qp->sq.head) {
		wqe = uroce_ring_at(&qp->sq, qp->sq.tail);
		if (wqe->flags & UROCE_WQE_STARTED)
			uroce_comp_complete(qp, wqe, IBV_WC_RETRY_EXC_ERR);
	}
	uroce_qp_error(qp);
	uroce_peer_watch_disarm(qp);
}

/*
 * Checks @port against @qp's peer as found after @after: 0, a drop
 * reason, or -1 when the peer's socket has gone.
 */
static int check(struct uroce_qp *qp, uint16_t port, uint64_t after)
{
	struct uroce_peer_sock *p = &qp->peer;
	struct peer_found f;
	int ret;

	if (p->absent)
		return UROCE_DROP_BAD_PEER;
	if (p->by_uid) {
		ret = qp_lookup(qp, port, NULL, 0, &f);
		if (ret || f.uid != p->uid)
			return UROCE_DROP_BAD_PEER;
	} else {
		ret = qp_lookup(qp, port, p->cookie, after, &f);
		if (ret == -ENOENT || ret == -ESTALE)
			return -1;
		if (ret)
			return UROCE_DROP_BAD_PEER; /* unknown: resent later */
	}
	p->port = port;
	p->checked_ns = f.ns;
	return 0;
}

int uroce_peer_watch_rx(struct uroce_qp *qp, uint16_t port, uint64_t rx_ns,
			bool *gone)
{
	struct uroce_peer_sock *p = &qp->peer;
	int ret;

	*gone = false;
	/* Found there after the packet came: it is the peer's. */
	if (port == p->port && p->checked_ns > rx_ns && !p->absent)
		return 0;
	ret = check(qp, port, rx_ns);
	if (ret >= 0)
		return ret;
	peer_gone(qp);
	*gone = true;
	return UROCE_DROP_BAD_PEER;
}

void uroce_peer_watch_event(struct uroce_qp *qp)
{
	struct ibv_async_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.event_type = IBV_EVENT_QP_FATAL;
	ev.element.qp = &qp->ibv_qp;
	verbs_post_async_event(qp->ibv_qp.context, &ev);
}

int uroce_peer_watch_tick(struct uroce_dp *dp, uint64_t now)
{
	struct uroce_peer_watch *w = dp->watch;
	struct uroce_list *n;
	struct uroce_qp *qp;
	bool gone;

	if (!w || !atomic_load(&w->nqps)) {
		if (w)
			w->next_ns = 0;
		return -1;
	}
	if (!w->next_ns)
		w->next_ns = now + UROCE_PEER_WATCH_NS;
	if (now < w->next_ns)
		return (int)((w->next_ns - now + 999999) / 1000000);
	/*
	 * One lookup per peer socket not found since the last pass (traffic
	 * verifies it meanwhile; diag_lookup's cache serves its other QPs).
	 * "wire roce": our own member keeps 4791 our UID's. The list lock
	 * keeps the QPs alive.
	 */
	pthread_mutex_lock(&dp->qp_list_lock);
	for (n = dp->qps.next; n != &dp->qps; n = n->next) {
		qp = container_of(n, struct uroce_qp, node);
		pthread_mutex_lock(&qp->lock);
		gone = false;
		/* In ERR (a transport failure, the application): no peer. */
		if (qp->peer.on && qp->state != IBV_QPS_RTR &&
		    qp->state != IBV_QPS_RTS && qp->state != IBV_QPS_SQD &&
		    qp->state != IBV_QPS_SQE)
			uroce_peer_watch_disarm(qp);
		if (!qp->peer.on || qp->peer.absent || qp->peer.by_uid ||
		    qp->peer.checked_ns + UROCE_PEER_WATCH_NS > now)
			goto next;
		if (check(qp, qp->path.dst.sin6_port,
			  now - UROCE_PEER_WATCH_NS) < 0) {
			peer_gone(qp);
			gone = true;
		}
next:
		pthread_mutex_unlock(&qp->lock);
		if (gone)
			uroce_peer_watch_event(qp);
	}
	pthread_mutex_unlock(&dp->qp_list_lock);
	w->next_ns = uroce_now_ns() + UROCE_PEER_WATCH_NS;
	return (int)(UROCE_PEER_WATCH_NS / 1000000);
}
