// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Transmit batches: packets are built in place (header, payload iovecs
 * pointing at the application's memory, pad and ICRC) and leave in one
 * sendmmsg per batch. The source address rides in an IPV6_PKTINFO
 * control message so that the kernel uses the address the ICRC covers.
 *
 * A run of packets to one peer, all of one length but the last (the
 * middle packets of a message), leaves as one UDP GSO send: the kernel
 * handles one buffer instead of one per packet, and a receiver with
 * UDP_GRO gets it back whole (rx.c). Each segment is still a complete
 * RoCEv2 packet with its own headers and ICRC.
 *
 * An application that streams small messages, one ibv_post_send each
 * (perftest's ib_write_bw), would pay one sendmmsg per message: the
 * requester holds such a batch back (uroce_tx_hold), so that the run of
 * packets leaves as one GSO send: when the batch is full, at a drain of
 * the socket (the application's poll_cq once it has been held TX_HOLD_NS,
 * so that a loop of one post and one poll still fills it; the engine's at
 * once), when the next ACK makes the requester run, or at the engine's
 * next wake-up. It
 * holds only while one of those is sure to come soon: an ACK is due for
 * packets sent before, or the application polls and the engine wakes
 * within PARK_NS of its last poll (engine.c). A message posted on its own
 * leaves at once.
 */
#include <errno.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "util/fault_guard.h"
#include "util/log.h"
#include "providers/uroce/dp.h"
#include "providers/uroce/fault.h"
#include "providers/uroce/tx.h"
#include "providers/uroce/uroce.h"

/* How long a full send buffer may hold up a sender. */
#define TX_WAIT_MS 5
/* One GSO send: its UDP payload, its segments and its iovecs at most. */
#define GSO_MAX_BYTES 61440
#define GSO_MAX_SEGS 64
#define GSO_MAX_IOV 512

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

/* Cleared for good when the kernel refuses a GSO send. */
static atomic_bool gso_ok = true;

/* The messages of a batch after merging runs into GSO sends. */
struct gso_batch {
	struct mmsghdr msg[UROCE_TX_BATCH];
	unsigned int first[UROCE_TX_BATCH]; /* its first packet in the txb */
	unsigned int npkts[UROCE_TX_BATCH];
	struct iovec iov[GSO_MAX_IOV];
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
			 CMSG_SPACE(sizeof(uint16_t))];
		size_t align; /* a cmsghdr's, whose flexible array clang refuses */
	} cmsg[UROCE_TX_BATCH];
};

static bool is_response(uint8_t opcode)
{
	return opcode >= UROCE_OP_RC_READ_RESP_FIRST &&
	       opcode <= UROCE_OP_RC_ATOMIC_ACK;
}

/* The netdev a packet of @opcode leaves by; under the QP's lock. */
static int lag_tx_ifindex(const struct uroce_txb *txb, uint8_t opcode)
{
	struct uroce_lag_set *lag = txb->lag;
	int m = txb->member;

	if (is_response(opcode) && txb->reply_member >= 0 &&
	    atomic_load_explicit(&lag->m[txb->reply_member].up,
				 memory_order_relaxed))
		m = txb->reply_member;
	return lag->m[m].ifindex;
}

/* Counts a message sendmmsg took, of @npkts packets, for its member. */
static void lag_count_tx(struct uroce_lag_set *lag, const struct mmsghdr *msg,
			 unsigned int npkts)
{
	const struct msghdr *mh = &msg->msg_hdr;
	struct in6_pktinfo pi;
	int m;

	if (!mh->msg_controllen)
		return;
	memcpy(&pi, CMSG_DATA(CMSG_FIRSTHDR(mh)), sizeof(pi));
	m = uroce_lag_member(lag, (int)pi.ipi6_ifindex);
	if (m < 0)
		return;
	uroce_cnt_add(lag->m[m].tx_pkts, npkts);
	/* The length of a GSO send is that of every segment together. */
	uroce_cnt_add(lag->m[m].tx_bytes, msg->msg_len);
}

struct icrc_job {
	const struct uroce_icrc_hdr *hdr;
	const struct iovec *iov;
	int n;
	uint32_t icrc;
};

static void icrc_run(void *arg)
{
	struct icrc_job *j = arg;

	j->icrc = uroce_icrc(j->hdr, j->iov, j->n);
}

ssize_t uroce_tx_add(struct uroce_context *ctx, struct uroce_txb *txb,
		     const struct uroce_path *path, struct uroce_pkt *pkt,
		     const struct iovec *pay, int npay)
{
	struct icrc_job job;
	struct uroce_txpkt *t;
	struct in6_pktinfo *pi;
	struct cmsghdr *cm;
	struct msghdr *mh;
	unsigned int pad;
	size_t len = 0;
	int hlen, n, i;

	if (txb->n == UROCE_TX_BATCH)
		uroce_tx_flush(ctx, txb);
	t = &txb->pkt[txb->n];
	hlen = uroce_pkt_build(t->hdr, sizeof(t->hdr), pkt);
	if (hlen < 0) {
		uroce_warn("cannot build opcode %#x: %d", pkt->bth.opcode,
			   hlen);
		return 0;
	}
	t->iov[0].iov_base = t->hdr;
	t->iov[0].iov_len = (size_t)hlen;
	n = 1;
	for (i = 0; i < npay && n < UROCE_TX_IOV - 1; i++)
		t->iov[n++] = pay[i];
	pad = uroce_pkt_pad(pkt->paylen);
	memset(t->trailer, 0, sizeof(t->trailer));
	t->iov[n].iov_base = t->trailer;
	t->iov[n].iov_len = pad;
	/*
	 * The ICRC is the first read of the payload: registered memory the
	 * application has unmapped since fails here, not in a signal.
	 */
	job = (struct icrc_job){ &path->icrc, t->iov, n + 1, 0 };
	if (!npay)
		icrc_run(&job);
	else if (uroce_guard_call(pay, npay, icrc_run, &job))
		return -EFAULT;
	t->iov[n].iov_len = uroce_pkt_trailer(t->trailer, pad, job.icrc);
	n++;
	for (i = 0; i < n; i++)
		len += t->iov[i].iov_len;
	t->len = len;

	t->dst = path->dst;
	mh = &txb->msg[txb->n].msg_hdr;
	memset(mh, 0, sizeof(*mh));
	mh->msg_name = &t->dst;
	mh->msg_namelen = sizeof(t->dst);
	mh->msg_iov = t->iov;
	mh->msg_iovlen = (size_t)n;
	mh->msg_control = t->cmsg.buf;
	mh->msg_controllen = sizeof(t->cmsg.buf);
	cm = CMSG_FIRSTHDR(mh);
	cm->cmsg_level = IPPROTO_IPV6;
	cm->cmsg_type = IPV6_PKTINFO;
	cm->cmsg_len = CMSG_LEN(sizeof(*pi));
	pi = (struct in6_pktinfo *)CMSG_DATA(cm);
	memset(pi, 0, sizeof(*pi));
	pi->ipi6_addr = path->src;
	/* Link-local and multicast: the netdev (IPv4's multicast route too). */
	pi->ipi6_ifindex = path->dst.sin6_scope_id;
	/* A LAG: the member, which a scope must then name too. */
	if (txb->lag) {
		pi->ipi6_ifindex =
			(uint32_t)lag_tx_ifindex(txb, pkt->bth.opcode);
		if (t->dst.sin6_scope_id)
			t->dst.sin6_scope_id = pi->ipi6_ifindex;
	}
	txb->n++;
	return (ssize_t)len;
}

/*
 * Whether a GSO send failed for being one. A route or link that fails
 * (ENETUNREACH while a LAG member is down, EPERM from a firewall) fails
 * single packets as well: those are lost packets, not a refusal.
 */
static bool gso_refused(int err)
{
	return err == EINVAL || err == EIO || err == EOPNOTSUPP ||
	       err == EMSGSIZE;
}

/*
 * Sends @n messages; @npkts, when given, counts the packets of each.
 * Returns how many were handled, short only when a GSO send was refused
 * (errno EINVAL, EIO...): the caller sends its packets one by one.
 */
static unsigned int send_batch(struct uroce_context *ctx, int fd,
			       struct mmsghdr *msg, const unsigned int *npkts,
			       unsigned int n)
{
	struct uroce_counters *cnt = &ctx->dp->cnt;
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	unsigned int done = 0, i, waits = 0;
	int ret;

	while (done < n) {
		/*
		 * Never block with locks held: a full send buffer gets a short
		 * wait, then the packets are lost like any others and the
		 * protocol recovers.
		 */
		ret = sendmmsg(fd, msg + done, n - done, MSG_DONTWAIT);
		if (ret < 0) {
			if (errno == EINTR)
				continue;
			if ((errno == EAGAIN || errno == ENOBUFS) &&
			    waits++ < 3 && poll(&pfd, 1, TX_WAIT_MS) > 0)
				continue;
			if (npkts && npkts[done] > 1 && gso_refused(errno))
				return done;
			uroce_cnt_add(cnt->tx_errors, npkts ? npkts[done] : 1);
			done++;
			continue;
		}
		for (i = done; i < done + (unsigned int)ret; i++) {
			uroce_cnt_add(cnt->tx_bytes, msg[i].msg_len);
			uroce_cnt_add(cnt->tx_pkts, npkts ? npkts[i] : 1);
			if (ctx->dp->lag.n)
				lag_count_tx(&ctx->dp->lag, &msg[i],
					     npkts ? npkts[i] : 1);
		}
		done += (unsigned int)ret;
	}
	return n;
}

/*
 * Whether packet @j can join the GSO run of packets @i..@j-1, which
 * hold @bytes in @niov iovecs: same peer and source, the same length as
 * packet @i but the last, which may be shorter.
 */
static bool gso_joins(const struct uroce_txb *txb, unsigned int i,
		      unsigned int j, size_t bytes, size_t niov)
{
	const struct msghdr *a = &txb->msg[i].msg_hdr;
	const struct msghdr *b = &txb->msg[j].msg_hdr;
	size_t seg = txb->pkt[i].len, len = txb->pkt[j].len;

	if (j - i >= GSO_MAX_SEGS || bytes + len > GSO_MAX_BYTES ||
	    niov + b->msg_iovlen > GSO_MAX_IOV || len > seg ||
	    txb->pkt[j - 1].len != seg)
		return false;
	return !memcmp(&txb->pkt[i].dst, &txb->pkt[j].dst,
		       sizeof(txb->pkt[i].dst)) &&
	       !memcmp(CMSG_DATA(CMSG_FIRSTHDR(a)), CMSG_DATA(CMSG_FIRSTHDR(b)),
		       sizeof(struct in6_pktinfo));
}

/*
 * "wire roce": IPv4 packets @i..@j-1 go as one GSO send, whose segments
 * the kernel numbers 0, 1, 2... (IP_PMTUDISC_DO; measured on Linux 6.18
 * for the software segmentation, which the tests' captures force:
 * capture_start, tests/wire/roce_load.sh): each one's ICRC, computed for
 * ID 0, is changed for its ID. Doing it again undoes it, for a send the
 * kernel refused.
 */
static void gso_ids(struct uroce_txb *txb, unsigned int i, unsigned int j)
{
	uint32_t shift = 0;
	size_t len = 0;
	struct iovec *tr;
	uint8_t *icrc;
	unsigned int k;

	if (!txb->gso_ids || !IN6_IS_ADDR_V4MAPPED(&txb->pkt[i].dst.sin6_addr))
		return;
	for (k = 1; k < j - i; k++) {
		struct uroce_txpkt *t = &txb->pkt[i + k];

		if (t->len != len) {
			len = t->len;
			shift = uroce_icrc_id_shift(len - UROCE_ICRC_LEN);
		}
		tr = &txb->msg[i + k]
			      .msg_hdr
			      .msg_iov[txb->msg[i + k].msg_hdr.msg_iovlen - 1];
		icrc = (uint8_t *)tr->iov_base + tr->iov_len - UROCE_ICRC_LEN;
		uroce_icrc_put(icrc,
			       uroce_icrc_get(icrc) ^
				       uroce_icrc_id_delta((uint16_t)k, shift));
	}
}

/* Message @m: packets @i..@j-1 as one GSO send of @seg-byte segments. */
static void gso_build(struct uroce_txb *txb, struct gso_batch *g,
		      unsigned int m, unsigned int i, unsigned int j,
		      size_t seg, size_t *niov)
{
	struct msghdr *mh = &g->msg[m].msg_hdr, *src;
	struct cmsghdr *cm;
	unsigned int k;

	gso_ids(txb, i, j);
	mh->msg_iov = &g->iov[*niov];
	mh->msg_iovlen = 0;
	for (k = i; k < j; k++) {
		src = &txb->msg[k].msg_hdr;
		memcpy(&g->iov[*niov], src->msg_iov,
		       src->msg_iovlen * sizeof(struct iovec));
		*niov += src->msg_iovlen;
		mh->msg_iovlen += src->msg_iovlen;
	}
	/* Zeroed: the kernel reads the padding of the control messages. */
	memset(g->cmsg[m].buf, 0, sizeof(g->cmsg[m].buf));
	memcpy(g->cmsg[m].buf, txb->msg[i].msg_hdr.msg_control,
	       CMSG_SPACE(sizeof(struct in6_pktinfo)));
	mh->msg_control = g->cmsg[m].buf;
	mh->msg_controllen = sizeof(g->cmsg[m].buf);
	cm = CMSG_NXTHDR(mh, CMSG_FIRSTHDR(mh));
	cm->cmsg_level = SOL_UDP;
	cm->cmsg_type = UDP_SEGMENT;
	cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
	*(uint16_t *)CMSG_DATA(cm) = (uint16_t)seg;
}

/* Merges the batch's runs into GSO sends; returns the messages. */
static unsigned int gso_merge(struct uroce_txb *txb, struct gso_batch *g)
{
	unsigned int i = 0, j, m = 0;
	size_t niov = 0, runiov, bytes, seg;

	while (i < txb->n) {
		seg = txb->pkt[i].len;
		bytes = seg;
		runiov = txb->msg[i].msg_hdr.msg_iovlen;
		for (j = i + 1;
		     j < txb->n && gso_joins(txb, i, j, bytes, niov + runiov);
		     j++) {
			bytes += txb->pkt[j].len;
			runiov += txb->msg[j].msg_hdr.msg_iovlen;
		}
		g->first[m] = i;
		g->npkts[m] = j - i;
		g->msg[m] = txb->msg[i];
		if (j - i > 1)
			gso_build(txb, g, m, i, j, seg, &niov);
		m++;
		i = j;
	}
	return m;
}

/* Sends the batch, with GSO where runs allow it. */
static void send_gso(struct uroce_context *ctx, struct uroce_txb *txb)
{
	struct gso_batch g;
	unsigned int m, done, i;

	m = gso_merge(txb, &g);
	if (m == txb->n) {
		send_batch(ctx, txb->fd, txb->msg, NULL, txb->n);
		return;
	}
	done = send_batch(ctx, txb->fd, g.msg, g.npkts, m);
	if (done == m)
		return;
	uroce_warn("UDP GSO refused (%s): sending packets one by one",
		   strerror(errno));
	atomic_store(&gso_ok, false);
	for (i = done; i < m; i++)
		if (g.npkts[i] > 1)
			gso_ids(txb, g.first[i], g.first[i] + g.npkts[i]);
	send_batch(ctx, txb->fd, txb->msg + g.first[done], NULL,
		   txb->n - g.first[done]);
}

void uroce_tx_flush(struct uroce_context *ctx, struct uroce_txb *txb)
{
	struct mmsghdr out[2 * UROCE_TX_BATCH];
	unsigned int n;

	/* Emptied elsewhere (a QP reset) it is no longer held either. */
	if (!txb->n)
		goto out;
	if (uroce_fault_on()) {
		n = uroce_fault_apply(&ctx->dp->cnt, txb->msg, txb->n, out);
		send_batch(ctx, txb->fd, out, NULL, n);
	} else if (txb->n > 1 &&
		   atomic_load_explicit(&gso_ok, memory_order_relaxed)) {
		send_gso(ctx, txb);
	} else {
		send_batch(ctx, txb->fd, txb->msg, NULL, txb->n);
	}
out:
	txb->n = 0;
	txb->refs_app = false;
	txb->held = false;
}

uint8_t *uroce_tx_copy_slot(struct uroce_context *ctx, struct uroce_txb *txb)
{
	if (txb->n == UROCE_TX_BATCH)
		uroce_tx_flush(ctx, txb);
	return txb->pkt[txb->n].copy;
}

bool uroce_tx_hold(struct uroce_qp *qp, bool ack_due)
{
	struct uroce_sock *s = qp->sock;
	unsigned int slot = qp->ibv_qp.qp_num & 0xff;

	if (qp->txb.refs_app)
		return false;
	if (!qp->txb.held) {
		qp->txb.held = true;
		qp->txb.held_at = uroce_now_ns();
		atomic_fetch_or(&s->held[slot / 64], 1ull << (slot % 64));
	}
	/*
	 * An ACK on its way makes the requester run again, which sends the
	 * batch (lazy ACKs come within UROCE_LAZY_ACK_NS). Else only while
	 * the engine is parked: it wakes within PARK_NS of the last poll.
	 * Read after the bit is set: the engine unparks, then reads the
	 * bits (engine.c), so one of the two sends the batch.
	 */
	return ack_due || atomic_load(&qp->ctx->dp->nparked) != 0;
}

void uroce_tx_flush_held(struct uroce_sock *s, uint64_t min_age)
{
	uint64_t bits, bit, now = min_age ? uroce_now_ns() : 0;
	struct uroce_qp *qp;
	unsigned int w, b;

	for (w = 0; w < UROCE_SOCK_SLOTS / 64; w++) {
		bits = atomic_load(&s->held[w]);
		for (; bits; bits &= bits - 1) {
			b = w * 64 + (unsigned int)__builtin_ctzll(bits);
			bit = 1ull << (b % 64);
			qp = s->slots[b];
			/* A slot that a QP left, or the multicast socket's */
			if (!qp || qp == (struct uroce_qp *)s) {
				atomic_fetch_and(&s->held[w], ~bit);
				continue;
			}
			/* The bit changes under the QP's lock (uroce_tx_hold). */
			pthread_mutex_lock(&qp->lock);
			if (!qp->txb.held) {
				atomic_fetch_and(&s->held[w], ~bit);
			} else if (now - qp->txb.held_at >= min_age) {
				atomic_fetch_and(&s->held[w], ~bit);
				uroce_tx_flush(qp->ctx, &qp->txb);
			}
			pthread_mutex_unlock(&qp->lock);
		}
	}
}

/*
 * The ICRC reads a packet's payload when it is added to the batch, the
 * kernel when the batch leaves: an ODP payload is copied (fault-safely)
 * into a slot of its own per batch position, so ODP packets still leave
 * in batches. Allocated at the QP's first ODP packet.
 */
uint8_t *uroce_odp_bounce(struct uroce_qp *qp)
{
	if (!qp->odp_bounce) {
		qp->odp_bounce = malloc((size_t)UROCE_TX_BATCH * UROCE_MTU_MAX);
		if (!qp->odp_bounce)
			return NULL;
	}
	if (qp->txb.n == UROCE_TX_BATCH)
		uroce_tx_flush(qp->ctx, &qp->txb);
	return qp->odp_bounce + (size_t)qp->txb.n * UROCE_MTU_MAX;
}
