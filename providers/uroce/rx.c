// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The receive path. Whoever holds a socket's lock (an application's
 * poll_cq, or the engine) drains it: recvmmsg, UDP_GRO datagrams split
 * into packets, each parsed once (pkt.c), its ICRC checked, demultiplexed
 * by destination QPN to the socket's QP slot and delivered (deliver.c).
 * The ACKs a batch owes go out once per QP after it; a polling
 * application's drain may hold them back to leave with its reply.
 */
#include <arpa/inet.h>
#include <netinet/udp.h>
#include <errno.h>
#include <string.h>

#include "providers/uroce/deliver.h"
#include "providers/uroce/dp.h"
#include "providers/uroce/mcast.h"
#include "providers/uroce/path.h"
#include "providers/uroce/resp.h"
#include "providers/uroce/rx.h"
#include "providers/uroce/sock.h"
#include "providers/uroce/tx.h"
#include "providers/uroce/uroce.h"
#include "util/qpn_steer.h"
#include "util/steer_group.h"

/* How long a polling application's drains may hold an ACK back. */
#define ACK_HOLD_NS 10000

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
	/* A congestion notification: counted, never answered (uroce(7)). */
	if (len && buf[0] == UROCE_OP_CNP) {
		ret = UROCE_DROP_CNP;
		goto drop;
	}
	/* The codec returns a negated drop reason. */
	ret = -uroce_pkt_parse(buf, len, &pkt);
	if (ret)
		goto drop;
	if (!dst) {
		ret = UROCE_DROP_BAD_PEER;
		goto drop;
	}
	memset(&ih, 0, sizeof(ih));
	uroce_icrc_addrs(&ih, &from->sin6_addr, dst);
	ih.sport = ntohs(from->sin6_port);
	ih.dport = s->port;
	/* A RoCE v2 peer's IPv4 ID is its own choice. */
	ih.any_ip_id = dp->ctx->dev->wire_roce;
	if (s->mcast) {
		/* Checked once for every QP of the group. */
		ret = -uroce_pkt_check_icrc(&pkt, &ih);
		if (ret)
			goto drop;
		uroce_mcast_rx(dp, &pkt, from, dst);
		return NULL; /* UD: no ACK to flush */
	}
	/* The ICRC after the QP's checks (deliver.c): junk costs no CRC. */
	qpn = pkt.bth.dqpn;
	qp = uroce_sock_qp(s, qpn);
	if (!qp || qp == (struct uroce_qp *)s) {
		/* No CM of the provider's own reads the GSI's MADs yet. */
		ret = s->steer && qpn == UROCE_GSI_QPN ? UROCE_DROP_GSI :
							 UROCE_DROP_NO_QP;
		goto drop;
	}
	return uroce_deliver(dp, qp, &pkt, from, dst, member, &ih) ? qp : NULL;
drop:
	uroce_cnt_add(dp->cnt.drops[ret], 1);
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
	/* What came in before this: one lookup covers it (peer_watch.c). */
	if (n > 0)
		s->rx_ns = uroce_now_ns();
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
	if (!s->ndeferred)
		s->deferred_at = uroce_now_ns();
	s->deferred[s->ndeferred] = qp;
	__atomic_store_n(&s->ndeferred, s->ndeferred + 1, __ATOMIC_RELAXED);
}

/* Whether a QP of @s holds its transmit batch back (tx.c). */
static bool sock_held(struct uroce_sock *s)
{
	unsigned int w;

	for (w = 0; w < UROCE_SOCK_SLOTS / 64; w++)
		if (atomic_load(&s->held[w]))
			return true;
	return false;
}

void uroce_rx_flush_deferred(struct uroce_dp *dp)
{
	unsigned int i, n = atomic_load(&dp->nsocks);
	struct uroce_sock *s;

	for (i = 0; i < n; i++) {
		s = dp->socks[i];
		if ((!__atomic_load_n(&s->ndeferred, __ATOMIC_RELAXED) &&
		     !sock_held(s)) ||
		    pthread_mutex_trylock(&s->lock))
			continue;
		flush_deferred(s);
		uroce_tx_flush_held(s, 0);
		pthread_mutex_unlock(&s->lock);
	}
}

bool uroce_rx_flush_held(struct uroce_dp *dp)
{
	unsigned int i, n = atomic_load(&dp->nsocks);
	struct uroce_sock *s;
	bool left = false;

	for (i = 0; i < n; i++) {
		s = dp->socks[i];
		if (!sock_held(s))
			continue;
		/* A drainer sends them once done; it may be done already. */
		if (pthread_mutex_trylock(&s->lock)) {
			left = true;
			continue;
		}
		uroce_tx_flush_held(s, 0);
		pthread_mutex_unlock(&s->lock);
	}
	return left;
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

/*
 * "wire roce": whether the datagram is the group's membership probe,
 * which it consumes (answers) instead of the transport.
 */
static bool rx_steer_probe(struct uroce_dp *dp, struct uroce_sock *s,
			   const uint8_t *buf, size_t len)
{
	uint32_t index;
	uint64_t nonce;
	bool probe;

	if (!qpn_steer_probe_parse(buf, len, &index, &nonce))
		return false;
	pthread_mutex_lock(&dp->steer_lock);
	probe = steer_group_rx(s->steer, buf, len);
	pthread_mutex_unlock(&dp->steer_lock);
	return probe;
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

	if (s->steer && rx_steer_probe(dp, s, buf, len))
		return;
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

	/*
	 * A polling application often polls another CQ (perftest: the send
	 * CQ, then the receive CQ) before it posts the reply a held ACK
	 * waits for: that drain leaves it held, for ACK_HOLD_NS at most.
	 */
	if (s->ndeferred &&
	    (!hold || uroce_now_ns() - s->deferred_at >= ACK_HOLD_NS))
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
	/*
	 * What a QP held back goes: the engine's drain sends all, a poller's
	 * what has waited UROCE_TX_HOLD_NS (an application may post one
	 * message and poll once in a loop, as perftest does).
	 */
	uroce_tx_flush_held(s, hold ? UROCE_TX_HOLD_NS : 0);
}

#ifdef UROCE_FUZZ
/*
 * The fuzz build's way in: datagrams [0, @n) staged in @s's batch, then
 * what the engine's drain sends.
 */
void uroce_rx_fuzz_batch(struct uroce_dp *dp, struct uroce_sock *s,
			 unsigned int n)
{
	struct uroce_qp *acks[UROCE_SOCK_SLOTS];
	unsigned int i, nacks = 0;

	for (i = 0; i < n; i++)
		rx_datagram(dp, s, i, acks, &nacks);
	for (i = 0; i < nacks; i++) {
		pthread_mutex_lock(&acks[i]->lock);
		uroce_resp_flush_ack(acks[i]);
		pthread_mutex_unlock(&acks[i]->lock);
	}
	uroce_tx_flush_held(s, 0); /* as the engine's drain */
}
#endif

bool uroce_rx_drain(struct uroce_dp *dp, struct uroce_sock *s, bool engine)
{
	/* Never wait: whoever holds the lock is draining already. */
	if (pthread_mutex_trylock(&s->lock))
		return false;
	drain_locked(dp, s, engine ? 64 : 4, !engine);
	pthread_mutex_unlock(&s->lock);
	return true;
}

void uroce_rx_drain_wait(struct uroce_dp *dp, struct uroce_sock *s)
{
	pthread_mutex_lock(&s->lock);
	drain_locked(dp, s, 64, false);
	pthread_mutex_unlock(&s->lock);
}
