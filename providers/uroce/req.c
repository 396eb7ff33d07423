// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The requester: turns send WQEs into packets, a path MTU at a time, in
 * the thread that posts (or that processes the ACK which opened the
 * window). RC keeps at most cwnd packets unacknowledged (uroce_rc_window(),
 * halved by each loss) and max_rd_atomic READs and atomics outstanding;
 * UC and UD complete a WQE as soon as its packets have left.
 */
#include <errno.h>
#include <string.h>

#include "util/fault_guard.h"
#include "providers/uroce/comp.h"
#include "providers/uroce/dp.h"
#include "providers/uroce/engine.h"
#include "providers/uroce/mem.h"
#include "providers/uroce/mw.h"
#include "providers/uroce/req.h"
#include "providers/uroce/resp.h"
#include "providers/uroce/tx.h"
#include "providers/uroce/uroce.h"

/*
 * Posts closer together than this stream: their packets may wait for one
 * another in the transmit batch. Far below any round trip, so that a
 * ping-pong never waits.
 */
#define TX_STREAM_NS 3000

/* Requests answered by a READ response or an atomic ACK. */
static bool is_rd_atomic(uint32_t op)
{
	return op == IBV_WR_RDMA_READ || op == IBV_WR_ATOMIC_CMP_AND_SWP ||
	       op == IBV_WR_ATOMIC_FETCH_AND_ADD || op == IBV_WR_ATOMIC_WRITE;
}

static uint32_t wqe_npkts(struct uroce_qp *qp, struct uroce_send_wqe *wqe)
{
	if (wqe->opcode == IBV_WR_ATOMIC_CMP_AND_SWP ||
	    wqe->opcode == IBV_WR_ATOMIC_FETCH_AND_ADD || !wqe->length)
		return 1;
	return (wqe->length + qp->mtu - 1) / qp->mtu;
}

/*
 * The responses a READ asks for from packet @k on. Its responder sends
 * them in one burst, which only the requester can pace: a READ is asked
 * for a window at a time, the next part once the last is in (as ACKs
 * clock a WRITE); a retry then resends one part, not the whole rest.
 */
static uint32_t read_pkts(struct uroce_qp *qp, struct uroce_send_wqe *wqe,
			  uint32_t k)
{
	uint32_t n = wqe->npkts - k, w = uroce_rc_cwnd(qp);

	return n < w ? n : w;
}

/* The opcode of packet @k of @n of a SEND or WRITE. */
static uint8_t seg_opcode(struct uroce_qp *qp, struct uroce_send_wqe *wqe,
			  uint32_t k, uint32_t n)
{
	bool inv = wqe->opcode == IBV_WR_SEND_WITH_INV; /* RC only */
	bool send = wqe->opcode == IBV_WR_SEND ||
		    wqe->opcode == IBV_WR_SEND_WITH_IMM || inv;
	bool imm = wqe->opcode == IBV_WR_SEND_WITH_IMM ||
		   wqe->opcode == IBV_WR_RDMA_WRITE_WITH_IMM;
	uint8_t base = qp->ibv_qp.qp_type == IBV_QPT_UC ? 0x20 : 0;
	uint8_t op;

	if (qp->ibv_qp.qp_type == IBV_QPT_UD)
		return imm ? UROCE_OP_UD_SEND_ONLY_IMM : UROCE_OP_UD_SEND_ONLY;
	if (inv && k + 1 == n)
		return n == 1 ? UROCE_OP_RC_SEND_ONLY_INV :
				UROCE_OP_RC_SEND_LAST_INV;
	if (n == 1)
		op = send ? (imm ? UROCE_OP_RC_SEND_ONLY_IMM :
				   UROCE_OP_RC_SEND_ONLY) :
			    (imm ? UROCE_OP_RC_WRITE_ONLY_IMM :
				   UROCE_OP_RC_WRITE_ONLY);
	else if (k == 0)
		op = send ? UROCE_OP_RC_SEND_FIRST : UROCE_OP_RC_WRITE_FIRST;
	else if (k + 1 < n)
		op = send ? UROCE_OP_RC_SEND_MIDDLE : UROCE_OP_RC_WRITE_MIDDLE;
	else
		op = send ? (imm ? UROCE_OP_RC_SEND_LAST_IMM :
				   UROCE_OP_RC_SEND_LAST) :
			    (imm ? UROCE_OP_RC_WRITE_LAST_IMM :
				   UROCE_OP_RC_WRITE_LAST);
	return op + base;
}

/*
 * AckReq on an RC SEND or WRITE packet. The end of a message the
 * application wants to see complete asks; other messages are acknowledged
 * lazily (resp.c), so a ping-pong of unsignaled SENDs carries no ACK
 * packets. But the window, the send queue and a retransmission never wait
 * for a lazy ACK: AckReq also every UROCE_ACKREQ_EVERY PSNs, from half the
 * window on, at the end of a message that leaves the send queue half
 * full, and on the last packet a retransmission resends.
 */
static bool want_ackreq(const struct uroce_qp *qp,
			const struct uroce_send_wqe *wqe, uint32_t psn,
			bool last)
{
	uint32_t win = uroce_rc_cwnd(qp);

	if (last && (qp->sq_sig_all || (wqe->send_flags & IBV_SEND_SIGNALED) ||
		     qp->sq.head - qp->sq.tail >= qp->cap.max_send_wr / 2))
		return true;
	return !(psn % UROCE_ACKREQ_EVERY) ||
	       uroce_psn_sub(psn, qp->comp.psn) + 1 >= win / 2 ||
	       uroce_psn_add(psn, 1) == qp->req.max_psn;
}

/*
 * A payload of @len bytes mapped by @iov, copied into the batch's next
 * slot so that the batch can be held back (tx.c). Returns 0, -E2BIG if
 * it is too long for that, -EFAULT if the application unmapped it.
 */
static int copy_payload(struct uroce_qp *qp, struct iovec *iov, int *niov,
			uint32_t len)
{
	uint8_t *p, *dst;
	int i;

	if (len > UROCE_TX_COPY)
		return -E2BIG;
	dst = p = uroce_tx_copy_slot(qp->ctx, &qp->txb);
	for (i = 0; i < *niov; i++) {
		if (uroce_guard_read(p, iov[i].iov_base, iov[i].iov_len))
			return -EFAULT;
		p += iov[i].iov_len;
	}
	iov[0].iov_base = dst;
	iov[0].iov_len = len;
	*niov = len ? 1 : 0;
	return 0;
}

/*
 * Sends packet req.cur_pkt of @wqe; returns 0 or an ibv_wc_status.
 * @hold: the batch may be held back, small payloads are copied into it.
 */
static int send_pkt(struct uroce_qp *qp, struct uroce_send_wqe *wqe, bool hold)
{
	struct iovec iov[UROCE_MAX_SGE + 1];
	const struct uroce_path *path = &qp->path;
	uint32_t k = qp->req.cur_pkt, n = wqe->npkts, off, len;
	struct uroce_pkt pkt;
	uint8_t *bounce;
	bool odp = false;
	int niov = 0, err;
	ssize_t tx;

	memset(&pkt, 0, sizeof(pkt));
	pkt.bth.pkey = UROCE_DEFAULT_PKEY;
	pkt.bth.dqpn = qp->attr.dest_qp_num;
	pkt.bth.psn = uroce_psn_add(wqe->first_psn, k);
	off = k * qp->mtu;

	if (wqe->opcode == IBV_WR_RDMA_READ) {
		pkt.bth.opcode = UROCE_OP_RC_READ_REQ;
		pkt.reth.va = wqe->remote_addr + off;
		pkt.reth.rkey = wqe->rkey;
		len = read_pkts(qp, wqe, k) * qp->mtu;
		if (len > wqe->length - off)
			len = wqe->length - off;
		pkt.reth.len = len;
		pkt.bth.ackreq = true;
		goto send;
	}
	if (wqe->opcode == IBV_WR_ATOMIC_CMP_AND_SWP ||
	    wqe->opcode == IBV_WR_ATOMIC_FETCH_AND_ADD) {
		pkt.bth.opcode = wqe->opcode == IBV_WR_ATOMIC_CMP_AND_SWP ?
					 UROCE_OP_RC_CMP_SWAP :
					 UROCE_OP_RC_FETCH_ADD;
		pkt.atmeth.va = wqe->remote_addr;
		pkt.atmeth.rkey = wqe->rkey;
		pkt.atmeth.swap_add = wqe->opcode == IBV_WR_ATOMIC_CMP_AND_SWP ?
					      wqe->swap :
					      wqe->compare_add;
		pkt.atmeth.compare = wqe->compare_add;
		pkt.bth.ackreq = true;
		goto send;
	}

	pkt.bth.opcode = wqe->opcode == IBV_WR_ATOMIC_WRITE ?
				 UROCE_OP_RC_ATOMIC_WRITE :
				 seg_opcode(qp, wqe, k, n);
	len = wqe->length - off;
	if (len > qp->mtu)
		len = qp->mtu;
	pkt.paylen = len;
	if (wqe->flags & UROCE_WQE_INLINE) {
		iov[0].iov_base =
			(uint8_t *)&wqe->sge[qp->cap.max_send_sge] + off;
		iov[0].iov_len = len;
		niov = len ? 1 : 0;
	} else {
		err = uroce_sge_iov(qp->ctx, qp->pd, wqe->sge, wqe->num_sge,
				    off, len, iov, UROCE_MAX_SGE + 1, &niov,
				    &odp);
		if (err)
			return err;
		if (odp) {
			/* ODP memory may be gone: copied fault-safely */
			bounce = uroce_odp_bounce(qp);
			if (!bounce)
				return IBV_WC_LOC_QP_OP_ERR;
			err = uroce_sge_copy(qp->ctx, qp->pd, wqe->sge,
					     wqe->num_sge, off, bounce, len,
					     false);
			if (err)
				return err;
			iov[0].iov_base = bounce;
			iov[0].iov_len = len;
			niov = len ? 1 : 0;
		} else {
			err = hold ? copy_payload(qp, iov, &niov, len) : -E2BIG;
			if (err == -EFAULT)
				return IBV_WC_LOC_PROT_ERR; /* unmapped */
			if (err)
				qp->txb.refs_app = true;
		}
	}
	if (k == 0) {
		pkt.reth.va = wqe->remote_addr;
		pkt.reth.rkey = wqe->rkey;
		pkt.reth.len = wqe->length;
	}
	pkt.imm = wqe->imm;
	pkt.ieth = wqe->imm; /* the encoder writes what the opcode has */
	if (k + 1 == n)
		pkt.bth.se = wqe->send_flags & IBV_SEND_SOLICITED;
	pkt.bth.ackreq = wqe->opcode == IBV_WR_ATOMIC_WRITE ||
			 want_ackreq(qp, wqe, pkt.bth.psn, k + 1 == n);
	if (qp->ibv_qp.qp_type == IBV_QPT_UD) {
		path = &wqe->ud_path;
		pkt.bth.dqpn = wqe->remote_qpn;
		pkt.deth.qkey = wqe->remote_qkey;
		pkt.deth.sqpn = qp->ibv_qp.qp_num;
		pkt.bth.ackreq = false;
	} else if (qp->ibv_qp.qp_type == IBV_QPT_UC) {
		pkt.bth.ackreq = false;
	}
send:
	tx = uroce_tx_add(qp->ctx, &qp->txb, path, &pkt, iov, niov);
	if (tx < 0)
		return IBV_WC_LOC_PROT_ERR; /* the application unmapped it */
	qp->cnt.tx_bytes += (size_t)tx;
	qp->cnt.tx_pkts++;
	if (uroce_psn_before(pkt.bth.psn, qp->req.max_psn) &&
	    qp->ibv_qp.qp_type == IBV_QPT_RC)
		qp->cnt.retrans_pkts++;
	return 0;
}

/*
 * A BIND_MW or LOCAL_INV WQE at req.cur, in the order of the send queue:
 * what was posted before it has been sent, what comes after waits for
 * it. It takes ctx->mr_lock for writing, so the caller's read lock is let
 * go around it, once the packets that point into registered memory are
 * out. Returns false if the WQE failed: it completes with its status in
 * turn, and the QP goes to the error state then, as rxe does.
 */
static bool local_op(struct uroce_qp *qp, struct uroce_send_wqe *wqe)
{
	struct uroce_context *ctx = qp->ctx;
	int err = wqe->status;

	if (!(wqe->flags & UROCE_WQE_DONE) && !err) {
		uroce_tx_flush(ctx, &qp->txb);
		pthread_rwlock_unlock(&ctx->mr_lock);
		err = uroce_mw_local_op(qp, wqe);
		pthread_rwlock_rdlock(&ctx->mr_lock);
	}
	if (err) {
		wqe->status = err;
		return false;
	}
	wqe->flags |= UROCE_WQE_STARTED | UROCE_WQE_DONE;
	qp->req.cur++;
	qp->req.cur_pkt = 0;
	return true;
}

/* 4.096 us << timeout; timeout 0 means no timer at all (IBTA, rxe). */
static uint64_t timeout_ns(struct uroce_qp *qp)
{
	uint64_t t = 4096ull << qp->attr.timeout;

	if (!qp->attr.timeout)
		return 0;
	return t < UROCE_MIN_TIMEOUT_NS ? UROCE_MIN_TIMEOUT_NS : t;
}

static void progress(struct uroce_qp *qp, bool hold)
{
	struct uroce_context *ctx = qp->ctx;
	bool rc = qp->ibv_qp.qp_type == IBV_QPT_RC;
	struct uroce_send_wqe *wqe;
	uint32_t max_rd, n;
	int err;

	if (qp->state != IBV_QPS_RTS || qp->req.rnr_timer)
		return;
	if (!qp->txb.n)
		qp->txb.held_psn = qp->req.psn;
	max_rd = qp->attr.max_rd_atomic ? qp->attr.max_rd_atomic : 1;
	pthread_rwlock_rdlock(&ctx->mr_lock);
	while (qp->req.cur != qp->sq.head) {
		wqe = uroce_ring_at(&qp->sq, qp->req.cur);
		/* A fence waits for everything before it to complete (rxe). */
		if (rc && (wqe->send_flags & IBV_SEND_FENCE) &&
		    !(wqe->flags & UROCE_WQE_STARTED) &&
		    qp->sq.tail != qp->req.cur)
			break;
		if (wqe->flags & UROCE_WQE_LOCAL) {
			if (!local_op(qp, wqe))
				break;
			continue;
		}
		/* cwnd: what loss left of uroce_rc_window(). */
		if (rc && uroce_psn_sub(qp->req.psn, qp->comp.psn) >=
				  uroce_rc_cwnd(qp))
			break;
		if (!(wqe->flags & UROCE_WQE_STARTED)) {
			if (wqe->status)
				break;
			if (is_rd_atomic(wqe->opcode)) {
				if (qp->req.rd_out >= max_rd)
					break;
				qp->req.rd_out++;
			}
			wqe->flags |= UROCE_WQE_STARTED;
			wqe->first_psn = qp->req.psn;
			wqe->npkts = wqe_npkts(qp, wqe);
			wqe->last_psn =
				uroce_psn_add(wqe->first_psn, wqe->npkts - 1);
		} else if (wqe->opcode == IBV_WR_RDMA_READ &&
			   !uroce_psn_before(qp->req.psn, qp->req.max_psn) &&
			   qp->comp.psn != qp->req.psn) {
			break; /* a new part of a READ: the last one first */
		}
		n = wqe->opcode == IBV_WR_RDMA_READ ?
			    read_pkts(qp, wqe, qp->req.cur_pkt) :
			    1;
		err = send_pkt(qp, wqe, hold);
		if (err) {
			/* A local error: the WQE completes with it in turn. */
			wqe->status = err;
			if (rc) {
				if (!qp->req.cur_pkt) {
					wqe->flags &= ~UROCE_WQE_STARTED;
					if (is_rd_atomic(wqe->opcode))
						qp->req.rd_out--;
				}
				break;
			}
			qp->req.cur++;
			qp->req.cur_pkt = 0;
			continue;
		}
		qp->req.cur_pkt += n;
		qp->req.psn = uroce_psn_add(qp->req.psn, n);
		if (uroce_psn_after(qp->req.psn, qp->req.max_psn))
			qp->req.max_psn = qp->req.psn;
		if (qp->req.cur_pkt >= wqe->npkts) {
			qp->req.cur++;
			qp->req.cur_pkt = 0;
		}
	}
	/* A held-back ACK (rx.c) leaves with these packets. */
	if (qp->resp.ack_deferred)
		uroce_resp_queue_ack(qp);
	if (!hold || !qp->txb.n ||
	    !uroce_tx_hold(qp,
			   uroce_psn_before(qp->comp.psn, qp->txb.held_psn)))
		uroce_tx_flush(ctx, &qp->txb);
	pthread_rwlock_unlock(&ctx->mr_lock);

	/* Sent (UC), or local operations at the head: they complete now. */
	while (qp->sq.tail != qp->req.cur) {
		wqe = uroce_ring_at(&qp->sq, qp->sq.tail);
		if (rc && !(wqe->flags & UROCE_WQE_DONE))
			break;
		uroce_comp_complete(qp, wqe, wqe->status);
	}
	wqe = qp->sq.tail != qp->sq.head ? uroce_ring_at(&qp->sq, qp->sq.tail) :
					   NULL;
	if (wqe && wqe->status) {
		/* The oldest WQE failed locally: nothing before it is left. */
		uroce_comp_complete(qp, wqe, wqe->status);
		uroce_qp_error(qp);
		return;
	}
	if (!rc)
		return;
	if (qp->req.max_psn != qp->comp.psn && !qp->req.timer &&
	    timeout_ns(qp)) {
		qp->req.timer = uroce_now_ns() + timeout_ns(qp);
		if (atomic_load(&ctx->dp->idle))
			uroce_engine_kick(ctx->dp);
	}
}

void uroce_req_progress(struct uroce_qp *qp)
{
	progress(qp, false);
}

void uroce_req_post(struct uroce_qp *qp)
{
	uint64_t now = uroce_now_ns();

	/*
	 * A message posted right after the last post returned, behind WQEs
	 * not completed yet, to an RC QP: the application streams (the held
	 * batch waits for no completion, which needs the ACK of what it
	 * holds). A lone message leaves at once.
	 */
	progress(qp, qp->ibv_qp.qp_type == IBV_QPT_RC &&
			     now - qp->txb.last_post < TX_STREAM_NS &&
			     qp->sq.head - qp->sq.tail > 1);
	qp->txb.last_post = uroce_now_ns();
}

struct uroce_send_wqe *uroce_sq_find_psn(struct uroce_qp *qp, uint32_t psn,
					 uint32_t *idx)
{
	struct uroce_send_wqe *wqe;
	uint32_t i;

	for (i = qp->sq.tail; i != qp->sq.head; i++) {
		wqe = uroce_ring_at(&qp->sq, i);
		if (!(wqe->flags & UROCE_WQE_STARTED))
			break;
		if (wqe->flags & UROCE_WQE_LOCAL) /* holds no PSN */
			continue;
		if (uroce_psn_in_range(psn, wqe->first_psn, wqe->last_psn)) {
			*idx = i;
			return wqe;
		}
	}
	*idx = i;
	return NULL;
}

void uroce_req_sync(struct uroce_qp *qp)
{
	struct uroce_send_wqe *wqe;
	uint32_t i;

	if ((int32_t)(qp->req.cur - qp->sq.tail) < 0) {
		qp->req.cur = qp->sq.tail;
		qp->req.cur_pkt = 0;
	}
	/* Completed WQEs are acknowledged, whatever the last ACK said. */
	if (qp->sq.tail != qp->sq.head) {
		wqe = uroce_ring_at(&qp->sq, qp->sq.tail);
		if ((wqe->flags & UROCE_WQE_STARTED) &&
		    uroce_psn_before(qp->comp.psn, wqe->first_psn))
			qp->comp.psn = wqe->first_psn;
	}
	if (!uroce_psn_before(qp->req.psn, qp->comp.psn))
		return;
	wqe = uroce_sq_find_psn(qp, qp->comp.psn, &i);
	/* None: everything sent is acknowledged, go on with the first new. */
	qp->req.cur = i;
	qp->req.cur_pkt = wqe ? uroce_psn_sub(qp->comp.psn, wqe->first_psn) : 0;
	qp->req.psn = qp->comp.psn;
}

void uroce_req_requeue(struct uroce_qp *qp)
{
	qp->req.nak_seen = false;
	qp->req.timer = 0;
	uroce_req_sync(qp);
	uroce_req_rewind(qp, qp->comp.psn);
	/*
	 * A timeout (nothing came back) or a failover: the window was lost,
	 * not a packet of it. Halving it once per timeout took more timeouts
	 * than retry_cnt allows for a thousand QPs to fit the peer's sockets.
	 */
	qp->req.cwnd = uroce_rc_floor(qp);
	uroce_req_progress(qp);
}

void uroce_req_rewind(struct uroce_qp *qp, uint32_t psn)
{
	struct uroce_send_wqe *wqe;
	uint32_t i, least;

	wqe = uroce_sq_find_psn(qp, psn, &i);
	if (!wqe)
		return;
	qp->req.cur = i;
	qp->req.cur_pkt = uroce_psn_sub(psn, wqe->first_psn);
	qp->req.psn = psn;
	qp->cnt.retrans++;
	qp->req.cwnd /= 2;
	least = uroce_rc_floor(qp);
	if (qp->req.cwnd < least)
		qp->req.cwnd = least;
}
