// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * UDP sockets and addressing. A context's sockets are IPv6 dual-stack
 * (IPv4 peers appear as ::ffff:a.b.c.d), bound to the wildcard address on
 * an ephemeral port P, and carry 256 QP slots: qpn = (P << 8) | slot.
 * Receiving: whoever holds a socket's lock drains it with recvmmsg and
 * runs the security checks, then the responder or the completer of the
 * destination QP.
 */
#include <arpa/inet.h>
#include <netinet/udp.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "util/log.h"
#include "providers/uroce/uroce.h"

/* The IPv4 ID and flags the ICRC covers; both ends assume them. */
#define ICRC_IP_ID 0
#define ICRC_IP_FRAG_OFF 0x4000 /* DF */
#define SOCK_BUF_BYTES (4 << 20)

int uroce_sock_open(bool mcast)
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

static struct uroce_sock *sock_new(struct uroce_dp *dp, bool mcast)
{
	struct sockaddr_in6 sa;
	socklen_t len = sizeof(sa);
	struct epoll_event ev;
	struct uroce_sock *s;
	int fd, i;

	fd = uroce_engine_socket(dp, mcast);
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		goto err;
	s->bufs = malloc((size_t)UROCE_RX_BATCH * UROCE_RX_BUF);
	if (!s->bufs)
		goto err;
	if (getsockname(fd, (struct sockaddr *)&sa, &len))
		goto err;
	s->fd = fd;
	s->port = ntohs(sa.sin6_port);
	pthread_mutex_init(&s->lock, NULL);
	for (i = 0; i < UROCE_RX_BATCH; i++) {
		s->iov[i].iov_base = s->bufs + (size_t)i * UROCE_RX_BUF;
		s->iov[i].iov_len = UROCE_RX_BUF;
	}
	/* Slot 255 of port 65535 would be QPN 0xFFFFFF. */
	if (s->port == 0xffff)
		s->slots[UROCE_SOCK_SLOTS - 1] = (struct uroce_qp *)s;
	/* The multicast socket's slots are all taken: it numbers no QP. */
	s->mcast = mcast;
	for (i = 0; mcast && i < UROCE_SOCK_SLOTS; i++)
		s->slots[i] = (struct uroce_qp *)s;
	if (mcast)
		s->nused = UROCE_SOCK_SLOTS;
	ev.events = EPOLLIN;
	ev.data.ptr = s;
	if (epoll_ctl(dp->epfd, EPOLL_CTL_ADD, fd, &ev))
		goto err;
	return s;
err:
	if (s)
		free(s->bufs);
	free(s);
	close(fd);
	errno = ENOMEM;
	return NULL;
}

void uroce_sock_free(struct uroce_sock *s)
{
	close(s->fd);
	pthread_mutex_destroy(&s->lock);
	free(s->bufs);
	free(s);
}

static bool sock_take_slot(struct uroce_sock *s, struct uroce_qp *qp)
{
	unsigned int i;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < UROCE_SOCK_SLOTS; i++) {
		if (!s->slots[i]) {
			s->slots[i] = qp;
			s->nused++;
			qp->sock = s;
			qp->ibv_qp.qp_num = (uint32_t)s->port << 8 | i;
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return i < UROCE_SOCK_SLOTS;
}

int uroce_sock_attach(struct uroce_dp *dp, struct uroce_qp *qp)
{
	struct uroce_sock *s;
	unsigned int i, n;
	int ret = 0;

	pthread_mutex_lock(&dp->sock_lock);
	n = atomic_load(&dp->nsocks);
	for (i = 0; i < n; i++)
		if (sock_take_slot(dp->socks[i], qp))
			goto out;
	if (n == UROCE_MAX_SOCKS) {
		ret = ENOMEM;
		goto out;
	}
	s = sock_new(dp, false);
	if (!s) {
		ret = errno;
		goto out;
	}
	sock_take_slot(s, qp);
	dp->socks[n] = s;
	atomic_store(&dp->nsocks, n + 1);
out:
	pthread_mutex_unlock(&dp->sock_lock);
	return ret;
}

/*
 * In socks[] with the QPs' sockets, the multicast socket is drained by
 * whoever drains those (poll_cq, the engine), and lives as long as they.
 */
struct uroce_sock *uroce_sock_add_mcast(struct uroce_dp *dp)
{
	struct uroce_sock *s = NULL;
	unsigned int n;

	pthread_mutex_lock(&dp->sock_lock);
	n = atomic_load(&dp->nsocks);
	if (n == UROCE_MAX_SOCKS) {
		errno = ENOMEM;
		goto out;
	}
	s = sock_new(dp, true);
	if (!s)
		goto out;
	dp->socks[n] = s;
	atomic_store(&dp->nsocks, n + 1);
out:
	pthread_mutex_unlock(&dp->sock_lock);
	return s;
}

/* Once this returns no drainer can reach @qp any more. */
void uroce_sock_detach(struct uroce_qp *qp)
{
	struct uroce_sock *s = qp->sock;
	unsigned int i;

	pthread_mutex_lock(&s->lock);
	s->slots[qp->ibv_qp.qp_num & 0xff] = NULL;
	s->nused--;
	/*
	 * A held-back ACK still goes out: the peer may be waiting for it to
	 * complete its last SEND (a receiver often exits right after its
	 * last completion).
	 */
	for (i = 0; i < s->ndeferred; i++) {
		if (s->deferred[i] != qp)
			continue;
		pthread_mutex_lock(&qp->lock);
		qp->resp.ack_deferred = false;
		uroce_resp_flush_ack(qp);
		pthread_mutex_unlock(&qp->lock);
		s->deferred[i] = s->deferred[--s->ndeferred];
		break;
	}
	pthread_mutex_unlock(&s->lock);
}

void uroce_path_set_ports(struct uroce_path *path, uint16_t sport,
			  uint16_t dport)
{
	path->dst.sin6_port = htons(dport);
	path->icrc.sport = sport;
	path->icrc.dport = dport;
}

static bool addr_v4(const struct in6_addr *a)
{
	return IN6_IS_ADDR_V4MAPPED(a);
}

/* The ICRC's view of the IP header between @src and @dst. */
static void icrc_addrs(struct uroce_icrc_hdr *h, const struct in6_addr *src,
		       const struct in6_addr *dst)
{
	if (addr_v4(src)) {
		h->family = AF_INET;
		memcpy(&h->src.v4, &src->s6_addr[12], 4);
		memcpy(&h->dst.v4, &dst->s6_addr[12], 4);
		h->ip_id = ICRC_IP_ID;
		h->ip_frag_off = ICRC_IP_FRAG_OFF;
	} else {
		h->family = AF_INET6;
		h->src.v6 = *src;
		h->dst.v6 = *dst;
	}
}

int uroce_gid_path(struct uroce_context *ctx, unsigned int sgid_index,
		   const union ibv_gid *dgid, struct uroce_path *path)
{
	struct in6_addr dst;
	int ifindex;

	memset(path, 0, sizeof(*path));
	memcpy(&dst, dgid->raw, sizeof(dst));
	pthread_mutex_lock(&ctx->state_lock);
	if (sgid_index >= ctx->state.ngids) {
		pthread_mutex_unlock(&ctx->state_lock);
		return EINVAL;
	}
	memcpy(&path->src, ctx->state.gids[sgid_index].gid.raw,
	       sizeof(path->src));
	ifindex = ctx->state.gids[sgid_index].ifindex;
	pthread_mutex_unlock(&ctx->state_lock);
	if (addr_v4(&path->src) != addr_v4(&dst))
		return EINVAL;
	path->dst.sin6_family = AF_INET6;
	path->dst.sin6_addr = dst;
	/* These leave by the GID's netdev (tx.c), not by a route. */
	if (IN6_IS_ADDR_LINKLOCAL(&dst) || uroce_addr_mcast(&dst))
		path->dst.sin6_scope_id = (uint32_t)ifindex;
	icrc_addrs(&path->icrc, &path->src, &dst);
	return 0;
}

static void drop(struct uroce_dp *dp, struct uroce_qp *qp, int reason)
{
	if (reason < 0)
		reason = -reason;
	if (reason >= UROCE_DROP_MAX)
		reason = 0;
	uroce_cnt_add(dp->cnt.drops[reason], 1);
	if (qp)
		qp->cnt.drops[reason]++;
}

/* The QP state, transport, peer and P_Key checks. */
static int qp_accepts(struct uroce_qp *qp, const struct uroce_pkt *pkt,
		      const struct sockaddr_in6 *from)
{
	enum uroce_transport tr = uroce_opcode_transport(pkt->bth.opcode);
	enum ibv_qp_type type = qp->ibv_qp.qp_type;

	if ((type == IBV_QPT_RC && tr != UROCE_TR_RC) ||
	    (type == IBV_QPT_UC && tr != UROCE_TR_UC) ||
	    (type == IBV_QPT_UD && tr != UROCE_TR_UD))
		return -UROCE_DROP_BAD_TRANSPORT;
	if (pkt->info->flags & UROCE_OPF_REQ) {
		if (qp->state != IBV_QPS_RTR && qp->state != IBV_QPS_RTS &&
		    qp->state != IBV_QPS_SQD && qp->state != IBV_QPS_SQE)
			return -UROCE_DROP_BAD_QP_STATE;
	} else if (qp->state != IBV_QPS_RTS && qp->state != IBV_QPS_SQD) {
		return -UROCE_DROP_BAD_QP_STATE;
	}
	if (type != IBV_QPT_UD &&
	    (from->sin6_port != qp->path.dst.sin6_port ||
	     memcmp(&from->sin6_addr, &qp->path.dst.sin6_addr,
		    sizeof(from->sin6_addr))))
		return -UROCE_DROP_BAD_PEER;
	if ((pkt->bth.pkey & 0x7fff) != (UROCE_DEFAULT_PKEY & 0x7fff))
		return -UROCE_DROP_BAD_PKEY;
	return 0;
}

/*
 * The destination address the kernel reported, as an IPv6 address, and
 * the netdev the datagram came in on.
 */
static bool rx_dst(struct msghdr *mh, struct in6_addr *dst, int *ifindex)
{
	struct cmsghdr *cm;

	for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level == IPPROTO_IPV6 &&
		    cm->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			*dst = pi.ipi6_addr;
			*ifindex = (int)pi.ipi6_ifindex;
			return true;
		}
		if (cm->cmsg_level == IPPROTO_IP &&
		    cm->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			memset(dst, 0, sizeof(*dst));
			dst->s6_addr[10] = 0xff;
			dst->s6_addr[11] = 0xff;
			memcpy(&dst->s6_addr[12], &pi.ipi_addr, 4);
			*ifindex = pi.ipi_ifindex;
			return true;
		}
	}
	return false;
}

bool uroce_sock_deliver(struct uroce_dp *dp, struct uroce_qp *qp,
			struct uroce_pkt *pkt, const struct sockaddr_in6 *from,
			const struct in6_addr *dst, int member)
{
	int ret;

	pthread_mutex_lock(&qp->lock);
	ret = qp_accepts(qp, pkt, from);
	if (ret) {
		drop(dp, qp, ret);
		pthread_mutex_unlock(&qp->lock);
		return false;
	}
	qp->cnt.rx_pkts++;
	qp->cnt.rx_bytes += pkt->len;
	/* A LAG QP answers by the member its peer's requests take. */
	if (member >= 0 && (pkt->info->flags & UROCE_OPF_REQ))
		qp->txb.reply_member = member;
	if (pkt->info->flags & UROCE_OPF_REQ) {
		if (qp->ibv_qp.qp_type == IBV_QPT_UD) {
			/* The GRH needs the source: hand it over in the path. */
			qp->resp.ud_from = *from;
			qp->resp.ud_dst = *dst;
		}
		uroce_resp_rx(qp, pkt);
	} else {
		uroce_comp_rx(qp, pkt);
	}
	pthread_mutex_unlock(&qp->lock);
	return true;
}

/*
 * The segment size of a datagram the kernel coalesced (UDP_GRO), or 0.
 */
static size_t rx_gro_size(struct msghdr *mh)
{
	struct cmsghdr *cm;
	int gso;

	for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level == SOL_UDP && cm->cmsg_type == UDP_GRO) {
			memcpy(&gso, CMSG_DATA(cm), sizeof(gso));
			return gso > 0 ? (size_t)gso : 0;
		}
	}
	return 0;
}

/*
 * One packet of @len bytes at @buf from @from to @dst (NULL: unknown),
 * in through LAG member @member (-1: none or not a LAG). Returns the QP
 * that got the packet (for the ACK flush), or NULL.
 */
static struct uroce_qp *rx_one(struct uroce_dp *dp, struct uroce_sock *s,
			       const uint8_t *buf, size_t len,
			       const struct sockaddr_in6 *from,
			       const struct in6_addr *dst, int member)
{
	struct uroce_icrc_hdr ih;
	struct uroce_pkt pkt;
	struct uroce_qp *qp;
	uint32_t qpn;
	int ret;

	uroce_cnt_add(dp->cnt.rx_pkts, 1);
	uroce_cnt_add(dp->cnt.rx_bytes, len);
	ret = uroce_pkt_parse(buf, len, &pkt);
	if (ret)
		goto drop;
	if (!dst) {
		ret = -UROCE_DROP_BAD_PEER;
		goto drop;
	}
	memset(&ih, 0, sizeof(ih));
	icrc_addrs(&ih, &from->sin6_addr, dst);
	ih.sport = ntohs(from->sin6_port);
	ih.dport = s->port;
	ret = uroce_pkt_check_icrc(&pkt, &ih);
	if (ret)
		goto drop;
	if (s->mcast) {
		uroce_mcast_rx(dp, &pkt, from, dst);
		return NULL; /* UD: no ACK to flush */
	}
	qpn = pkt.bth.dqpn;
	qp = (qpn >> 8) == s->port ? s->slots[qpn & 0xff] : NULL;
	if (!qp || qp == (struct uroce_qp *)s) {
		ret = -UROCE_DROP_NO_QP;
		goto drop;
	}
	return uroce_sock_deliver(dp, qp, &pkt, from, dst, member) ? qp : NULL;
drop:
	drop(dp, NULL, ret);
	return NULL;
}

static unsigned int sock_recv(struct uroce_sock *s)
{
	unsigned int i;
	int n;

	for (i = 0; i < UROCE_RX_BATCH; i++) {
		struct msghdr *mh = &s->msg[i].msg_hdr;

		mh->msg_name = &s->from[i];
		mh->msg_namelen = sizeof(s->from[i]);
		mh->msg_iov = &s->iov[i];
		mh->msg_iovlen = 1;
		mh->msg_control = s->cmsg.buf[i];
		mh->msg_controllen = sizeof(s->cmsg.buf[i]);
		mh->msg_flags = 0;
	}
	do {
		n = recvmmsg(s->fd, s->msg, UROCE_RX_BATCH, MSG_DONTWAIT, NULL);
	} while (n < 0 && errno == EINTR);
	return n > 0 ? (unsigned int)n : 0;
}

/* Sends the ACKs held back by the last drain; under s->lock. */
static void flush_deferred(struct uroce_sock *s)
{
	struct uroce_qp *qp;
	unsigned int i;

	for (i = 0; i < s->ndeferred; i++) {
		qp = s->deferred[i];
		pthread_mutex_lock(&qp->lock);
		qp->resp.ack_deferred = false;
		uroce_resp_flush_ack(qp);
		pthread_mutex_unlock(&qp->lock);
	}
	__atomic_store_n(&s->ndeferred, 0, __ATOMIC_RELAXED);
}

/*
 * Holds back @qp's ACK (under s->lock and qp->lock): the application that
 * polls is likely to answer, and the ACK can go with the answer.
 */
static void defer_ack(struct uroce_sock *s, struct uroce_qp *qp)
{
	uroce_tx_flush(qp->ctx, &qp->txb);
	if (qp->resp.ack_deferred)
		return;
	qp->resp.ack_deferred = true;
	s->deferred[s->ndeferred] = qp;
	__atomic_store_n(&s->ndeferred, s->ndeferred + 1, __ATOMIC_RELAXED);
}

void uroce_sock_flush_deferred(struct uroce_dp *dp)
{
	unsigned int i, n = atomic_load(&dp->nsocks);
	struct uroce_sock *s;

	for (i = 0; i < n; i++) {
		s = dp->socks[i];
		if (!__atomic_load_n(&s->ndeferred, __ATOMIC_RELAXED) ||
		    pthread_mutex_trylock(&s->lock))
			continue;
		flush_deferred(s);
		pthread_mutex_unlock(&s->lock);
	}
}

/* Adds @qp to the QPs whose ACK the batch owes, once. */
static void note_ack(struct uroce_qp **acks, unsigned int *nacks,
		     struct uroce_qp *qp)
{
	unsigned int j;

	if (!qp)
		return;
	for (j = 0; j < *nacks && acks[j] != qp; j++)
		;
	if (j == *nacks) /* a socket's QPs fit: UROCE_SOCK_SLOTS */
		acks[(*nacks)++] = qp;
}

/* Counts a datagram of @len bytes, @npkts packets, for LAG member @m. */
static void rx_count_member(struct uroce_dp *dp, int m, size_t len,
			    size_t npkts)
{
	if (m < 0)
		return;
	uroce_cnt_add(dp->lag.m[m].rx_pkts, npkts);
	uroce_cnt_add(dp->lag.m[m].rx_bytes, len);
}

/* Datagram @i of the batch: one packet, or segments the kernel merged. */
static void rx_datagram(struct uroce_dp *dp, struct uroce_sock *s,
			unsigned int i, struct uroce_qp **acks,
			unsigned int *nacks)
{
	struct msghdr *mh = &s->msg[i].msg_hdr;
	const uint8_t *buf = s->iov[i].iov_base;
	size_t len = s->msg[i].msg_len, seg, off;
	struct in6_addr dst;
	int ifindex = 0, m = -1;
	bool known;

	known = mh->msg_namelen == sizeof(s->from[i]) &&
		rx_dst(mh, &dst, &ifindex);
	if (dp->lag.n)
		m = uroce_lag_member(&dp->lag, ifindex);
	seg = rx_gro_size(mh);
	if (!seg || seg >= len) {
		rx_count_member(dp, m, len, 1);
		note_ack(acks, nacks,
			 rx_one(dp, s, buf, len, &s->from[i],
				known ? &dst : NULL, m));
		return;
	}
	rx_count_member(dp, m, len, (len + seg - 1) / seg);
	for (off = 0; off < len; off += seg)
		note_ack(acks, nacks,
			 rx_one(dp, s, buf + off,
				len - off < seg ? len - off : seg, &s->from[i],
				known ? &dst : NULL, m));
}

/*
 * Receives and processes what @s holds, at most @rounds batches, under
 * s->lock. @hold: a polling application's drain, which may hold back an
 * ACK for the reply it is likely to post (defer_ack).
 */
static void drain_locked(struct uroce_dp *dp, struct uroce_sock *s,
			 unsigned int rounds, bool hold)
{
	struct uroce_qp *acks[UROCE_SOCK_SLOTS];
	unsigned int n, i, j, nacks;

	flush_deferred(s);
	while (rounds--) {
		n = sock_recv(s);
		nacks = 0;
		for (i = 0; i < n; i++)
			rx_datagram(dp, s, i, acks, &nacks);
		/* Coalesced ACKs: one per QP per batch. The socket lock
		 * keeps the QPs alive. */
		for (j = 0; j < nacks; j++) {
			pthread_mutex_lock(&acks[j]->lock);
			/*
			 * Only while the engine is parked: it wakes within
			 * PARK_NS of the last poll to send what is held.
			 */
			if (hold && acks[j]->resp.ack_pending &&
			    atomic_load_explicit(&dp->nparked,
						 memory_order_relaxed))
				defer_ack(s, acks[j]);
			else
				uroce_resp_flush_ack(acks[j]);
			pthread_mutex_unlock(&acks[j]->lock);
		}
		if (n < UROCE_RX_BATCH)
			break;
	}
}

bool uroce_sock_drain(struct uroce_dp *dp, struct uroce_sock *s, bool engine)
{
	/* Never wait: whoever holds the lock is draining already. */
	if (pthread_mutex_trylock(&s->lock))
		return false;
	drain_locked(dp, s, engine ? 64 : 4, !engine);
	pthread_mutex_unlock(&s->lock);
	return true;
}

/*
 * ibv_poll_cq asked for no entry: takes in everything that had arrived
 * when it was called, as an RNIC would have on its own, waiting for a
 * drain that another thread has begun (it may hold packets it has read
 * but not processed yet). librdmacm calls it before it reports
 * DISCONNECTED, so that the ACK of the last SEND, which the peer sent
 * before its DREQ, is completed first: a consumer that closes on
 * DISCONNECTED (libfabric's rxm) would see the SEND flushed otherwise.
 * Only this call waits; the application's polls never do.
 */
static void take_in_all(struct uroce_dp *dp)
{
	unsigned int i, n = atomic_load(&dp->nsocks);
	struct uroce_sock *s;

	for (i = 0; i < n; i++) {
		s = dp->socks[i];
		pthread_mutex_lock(&s->lock);
		drain_locked(dp, s, 64, false);
		pthread_mutex_unlock(&s->lock);
	}
}

static int poll_dp(struct ibv_cq *ibcq, int num_entries, struct ibv_wc *wc)
{
	struct uroce_dp *dp = to_uctx(ibcq->context)->dp;
	struct uroce_cq *cq = to_ucq(ibcq);
	bool busy = false;
	unsigned int i, n;
	int ret;

	if (dp) {
		n = atomic_load(&dp->nsocks);
		for (i = 0; i < n; i++)
			busy |= !uroce_sock_drain(dp, dp->socks[i], false);
	}
	ret = uroce_poll_cq(ibcq, num_entries, wc);
	if (!dp)
		return ret;
	/*
	 * Another thread drains (the engine, mostly): on few cores it may
	 * be waiting for this CPU, holding the packets this poll waits for.
	 */
	if (busy && !ret)
		sched_yield();
	/*
	 * Its last work request done, the application may go on spinning
	 * on memory rather than polling: the engine takes over now.
	 * Otherwise an empty poll means it busy-polls (see engine.c).
	 */
	if (atomic_load_explicit(&cq->idle_hint, memory_order_relaxed) &&
	    atomic_exchange(&cq->idle_hint, false))
		uroce_engine_release(dp);
	else if (!ret)
		atomic_store_explicit(&dp->last_poll, uroce_now_ns(),
				      memory_order_relaxed);
	return ret;
}

int uroce_poll_cq_dp(struct ibv_cq *ibcq, int num_entries, struct ibv_wc *wc)
{
	struct uroce_dp *dp = to_uctx(ibcq->context)->dp;

	if (num_entries || !dp)
		return poll_dp(ibcq, num_entries, wc);
	take_in_all(dp);
	return uroce_poll_cq(ibcq, 0, wc);
}

void uroce_cq_progress_dp(struct ibv_cq *ibcq)
{
	poll_dp(ibcq, 0, NULL);
}
