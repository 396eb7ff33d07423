// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The RC completer: ACKs, NAKs, READ responses and atomic ACKs retire send
 * WQEs in order; sequence NAKs and timeouts make the requester resend from
 * the oldest unacknowledged PSN; RNR NAKs pause it for the responder's
 * RNR timer. Exhausted retries end in RETRY_EXC_ERR / RNR_RETRY_EXC_ERR
 * and the QP goes to ERR. A response that answers nothing outstanding is
 * dropped and counted before it can retire or resend anything. The send
 * queue's work completions are built here, in WQE order, and a QP in
 * error has its queues flushed.
 */
#include <string.h>

#include "providers/uroce/comp.h"
#include "providers/uroce/cq.h"
#include "providers/uroce/dp.h"
#include "providers/uroce/engine.h"
#include "providers/uroce/lag.h"
#include "providers/uroce/mem.h"
#include "providers/uroce/req.h"
#include "providers/uroce/resp.h"
#include "providers/uroce/uroce.h"

/* Requests answered by a READ response or an atomic ACK. */
static bool is_rd_atomic(uint32_t op)
{
	return op == IBV_WR_RDMA_READ || op == IBV_WR_ATOMIC_CMP_AND_SWP ||
	       op == IBV_WR_ATOMIC_FETCH_AND_ADD || op == IBV_WR_ATOMIC_WRITE;
}

static enum ibv_wc_opcode wc_opcode(uint32_t op)
{
	switch (op) {
	case IBV_WR_RDMA_WRITE:
	case IBV_WR_RDMA_WRITE_WITH_IMM:
		return IBV_WC_RDMA_WRITE;
	case IBV_WR_RDMA_READ:
		return IBV_WC_RDMA_READ;
	case IBV_WR_ATOMIC_CMP_AND_SWP:
		return IBV_WC_COMP_SWAP;
	case IBV_WR_ATOMIC_FETCH_AND_ADD:
		return IBV_WC_FETCH_ADD;
	case IBV_WR_BIND_MW:
		return IBV_WC_BIND_MW;
	case IBV_WR_LOCAL_INV:
		return IBV_WC_LOCAL_INV;
	case IBV_WR_ATOMIC_WRITE:
		return IBV_WC_ATOMIC_WRITE;
	default:
		return IBV_WC_SEND;
	}
}

static void complete_one(struct uroce_qp *qp, struct uroce_send_wqe *wqe,
			 enum ibv_wc_status status)
{
	struct ibv_wc wc;
	bool pushed = false;

	if (status != IBV_WC_SUCCESS || qp->sq_sig_all ||
	    (wqe->send_flags & IBV_SEND_SIGNALED)) {
		memset(&wc, 0, sizeof(wc));
		wc.wr_id = wqe->wr_id;
		wc.status = status;
		wc.opcode = wc_opcode(wqe->opcode);
		wc.qp_num = qp->ibv_qp.qp_num;
		if (status == IBV_WC_SUCCESS)
			wc.byte_len = uroce_wr_is_atomic(wqe->opcode) ?
					      8 :
					      wqe->length;
		uroce_cq_push(qp->scq, &wc, false);
		pushed = true;
	}
	if ((wqe->opcode == IBV_WR_RDMA_READ ||
	     uroce_wr_is_atomic(wqe->opcode) ||
	     wqe->opcode == IBV_WR_ATOMIC_WRITE) &&
	    (wqe->flags & UROCE_WQE_STARTED) && qp->req.rd_out)
		qp->req.rd_out--;
	qp->sq.tail++;
	if (pushed)
		uroce_qp_note_idle(qp, qp->scq);
}

void uroce_comp_complete(struct uroce_qp *qp, struct uroce_send_wqe *wqe,
			 enum ibv_wc_status status)
{
	complete_one(qp, wqe, status);
	/* Local operations carried out meanwhile complete in order. */
	while (qp->sq.tail != qp->sq.head) {
		wqe = uroce_ring_at(&qp->sq, qp->sq.tail);
		if (!(wqe->flags & UROCE_WQE_DONE))
			break;
		complete_one(qp, wqe, IBV_WC_SUCCESS);
	}
}

void uroce_qp_error(struct uroce_qp *qp)
{
	qp->state = IBV_QPS_ERR;
	qp->ibv_qp.state = IBV_QPS_ERR;
	qp->req.timer = 0;
	qp->req.rnr_timer = 0;
	qp->txb.n = 0;
	while (qp->sq.tail != qp->sq.head)
		uroce_comp_complete(qp, uroce_ring_at(&qp->sq, qp->sq.tail),
				    IBV_WC_WR_FLUSH_ERR);
	qp->req.cur = qp->sq.tail;
	qp->req.cur_pkt = 0;
	uroce_resp_flush(qp);
}

static struct uroce_send_wqe *tail_wqe(struct uroce_qp *qp)
{
	struct uroce_send_wqe *wqe;

	if (qp->sq.tail == qp->sq.head)
		return NULL;
	wqe = uroce_ring_at(&qp->sq, qp->sq.tail);
	return (wqe->flags & UROCE_WQE_STARTED) || wqe->status ? wqe : NULL;
}

/* Completes the oldest WQE with @status and moves the QP to ERR. */
static void fail(struct uroce_qp *qp, enum ibv_wc_status status)
{
	struct uroce_send_wqe *wqe = tail_wqe(qp);

	if (wqe)
		uroce_comp_complete(qp, wqe, status);
	uroce_qp_error(qp);
}

/*
 * Everything up to @psn has been received by the responder: retire the
 * SENDs and WRITEs it covers. A READ or atomic it covers whose response
 * is missing was lost: resend it.
 */
static void ack_through(struct uroce_qp *qp, uint32_t psn, bool from_ack)
{
	struct uroce_send_wqe *wqe;

	while ((wqe = tail_wqe(qp))) {
		if (wqe->status) {
			fail(qp, wqe->status);
			return;
		}
		if (is_rd_atomic(wqe->opcode)) {
			if (!uroce_psn_before_eq(wqe->first_psn, psn))
				break;
			/* Covered but unanswered: its response was lost. */
			if (uroce_psn_before(qp->comp.psn, wqe->first_psn))
				qp->comp.psn = wqe->first_psn;
			if (from_ack)
				uroce_req_rewind(qp, qp->comp.psn);
			return;
		}
		if (!uroce_psn_before_eq(wqe->last_psn, psn))
			break;
		uroce_comp_complete(qp, wqe, IBV_WC_SUCCESS);
	}
	if (uroce_psn_after_eq(psn, qp->comp.psn) &&
	    uroce_psn_before(psn, qp->req.max_psn))
		qp->comp.psn = uroce_psn_inc(psn);
	uroce_req_sync(qp);
}

static void progressed(struct uroce_qp *qp)
{
	if (qp->req.cwnd < uroce_rc_window(qp))
		qp->req.cwnd++;
	qp->req.retry = qp->attr.retry_cnt;
	qp->req.timer = 0;
	qp->req.nak_seen = false;
	qp->lag_timeouts = 0;
}

static void rx_ack(struct uroce_qp *qp, struct uroce_pkt *pkt)
{
	uint32_t psn = pkt->bth.psn;
	uint8_t syn = pkt->aeth.syndrome;
	uint32_t prev = uroce_psn_add(psn, UROCE_PSN_MASK);

	switch (uroce_aeth_type(syn)) {
	case UROCE_AETH_ACK:
		ack_through(qp, psn, true);
		progressed(qp);
		qp->req.rnr_retry = qp->attr.rnr_retry;
		break;
	case UROCE_AETH_RNR_NAK:
		qp->cnt.rnr_naks_rcvd++;
		ack_through(qp, prev, true);
		if (qp->state == IBV_QPS_ERR)
			return;
		if (qp->attr.rnr_retry != 7) {
			if (!qp->req.rnr_retry) {
				fail(qp, IBV_WC_RNR_RETRY_EXC_ERR);
				return;
			}
			qp->req.rnr_retry--;
		}
		uroce_req_rewind(qp, psn);
		qp->req.timer = 0;
		qp->req.rnr_timer =
			uroce_now_ns() +
			1000ull * uroce_rnr_timer_us[uroce_aeth_value(syn)];
		if (atomic_load(&qp->ctx->dp->idle))
			uroce_engine_kick(qp->ctx->dp);
		return;
	case UROCE_AETH_NAK:
		if (uroce_aeth_value(syn) == UROCE_NAK_PSN_SEQ_ERR) {
			qp->cnt.seq_naks_rcvd++;
			ack_through(qp, prev, true);
			if (qp->state == IBV_QPS_ERR)
				return;
			/* One resend per NAKed PSN: later copies are echoes. */
			if (!qp->req.nak_seen || qp->req.last_nak_psn != psn) {
				qp->req.nak_seen = true;
				qp->req.last_nak_psn = psn;
				uroce_req_rewind(qp, psn);
			}
			qp->req.timer = 0;
			break;
		}
		qp->cnt.err_naks_rcvd++;
		ack_through(qp, prev, true);
		if (qp->state == IBV_QPS_ERR)
			return;
		switch (uroce_aeth_value(syn)) {
		case UROCE_NAK_INVALID_REQ:
			fail(qp, IBV_WC_REM_INV_REQ_ERR);
			break;
		case UROCE_NAK_REMOTE_ACCESS_ERR:
			fail(qp, IBV_WC_REM_ACCESS_ERR);
			break;
		case UROCE_NAK_INVALID_RD_REQ:
			fail(qp, IBV_WC_REM_INV_RD_REQ_ERR);
			break;
		default:
			fail(qp, IBV_WC_REM_OP_ERR);
			break;
		}
		return;
	default: /* the parser refuses reserved syndromes */
		uroce_qp_drop(qp, UROCE_DROP_BAD_AETH);
		return;
	}
	uroce_req_progress(qp);
}

/* Whether @pkt, a READ response or atomic ACK, is what @wqe asked for. */
static bool answers(const struct uroce_send_wqe *wqe,
		    const struct uroce_pkt *pkt)
{
	bool atomic = pkt->bth.opcode == UROCE_OP_RC_ATOMIC_ACK;

	/* An ATOMIC WRITE is answered by a zero-length READ response. */
	return is_rd_atomic(wqe->opcode) &&
	       atomic == (wqe->opcode == IBV_WR_ATOMIC_CMP_AND_SWP ||
			  wqe->opcode == IBV_WR_ATOMIC_FETCH_AND_ADD) &&
	       uroce_psn_in_range(pkt->bth.psn, wqe->first_psn, wqe->last_psn);
}

/*
 * Why a READ response or atomic ACK that is not the oldest WQE's is
 * dropped: a later one's comes after a lost response; else it answers
 * none of the requests its PSN was sent with.
 */
static int unexpected_data(struct uroce_qp *qp, const struct uroce_pkt *pkt)
{
	struct uroce_send_wqe *wqe;
	uint32_t i;

	wqe = uroce_sq_find_psn(qp, pkt->bth.psn, &i);
	return wqe && answers(wqe, pkt) ? UROCE_DROP_BAD_PSN :
					  UROCE_DROP_BAD_RESPONSE;
}

/* A READ response or atomic ACK for the oldest WQE. */
static void rx_data(struct uroce_qp *qp, struct uroce_pkt *pkt)
{
	uint32_t psn = pkt->bth.psn, off;
	struct uroce_send_wqe *wqe;
	uint64_t orig;
	bool last;
	int err;

	/* Responses come in order: what precedes this one arrived. */
	ack_through(qp, uroce_psn_add(psn, UROCE_PSN_MASK), false);
	if (qp->state == IBV_QPS_ERR) {
		uroce_qp_drop(qp, UROCE_DROP_BAD_QP_STATE);
		return;
	}
	wqe = tail_wqe(qp);
	if (!wqe || !answers(wqe, pkt)) {
		uroce_qp_drop(qp, unexpected_data(qp, pkt));
		return;
	}
	if (uroce_psn_before(qp->comp.psn, wqe->first_psn))
		qp->comp.psn = wqe->first_psn;
	if (psn != qp->comp.psn) {
		/* After it (check_psn() let nothing older through). */
		uroce_qp_drop(qp, UROCE_DROP_BAD_PSN);
		if (!qp->req.nak_seen || qp->req.last_nak_psn != qp->comp.psn) {
			/* A lost response: ask again from there. */
			qp->req.nak_seen = true;
			qp->req.last_nak_psn = qp->comp.psn;
			uroce_req_rewind(qp, qp->comp.psn);
			uroce_req_progress(qp);
		}
		return;
	}

	pthread_rwlock_rdlock(&qp->ctx->mr_lock);
	if (wqe->opcode == IBV_WR_ATOMIC_WRITE) {
		if (pkt->paylen) {
			pthread_rwlock_unlock(&qp->ctx->mr_lock);
			uroce_qp_drop(qp, UROCE_DROP_BAD_RESPONSE);
			return;
		}
		err = 0;
		last = true;
	} else if (pkt->bth.opcode == UROCE_OP_RC_ATOMIC_ACK) {
		orig = pkt->atmack;
		err = uroce_sge_copy(qp->ctx, qp->pd, wqe->sge, 1, 0, &orig, 8,
				     true);
		last = true;
	} else {
		off = uroce_psn_sub(psn, wqe->first_psn) * qp->mtu;
		last = psn == wqe->last_psn;
		if (off + pkt->paylen > wqe->length ||
		    (last && off + pkt->paylen != wqe->length) ||
		    (!last && pkt->paylen != qp->mtu)) {
			pthread_rwlock_unlock(&qp->ctx->mr_lock);
			uroce_qp_drop(qp, UROCE_DROP_BAD_RESPONSE);
			return;
		}
		err = uroce_sge_copy(qp->ctx, qp->pd, wqe->sge, wqe->num_sge,
				     off, (void *)pkt->payload, pkt->paylen,
				     true);
	}
	pthread_rwlock_unlock(&qp->ctx->mr_lock);
	if (err) {
		uroce_qp_drop(qp, UROCE_DROP_LOCAL_ERROR);
		fail(qp, err);
		return;
	}
	qp->comp.psn = uroce_psn_inc(psn);
	uroce_req_sync(qp);
	progressed(qp);
	if (last) {
		uroce_comp_complete(qp, wqe, IBV_WC_SUCCESS);
		/* A following local error completes in turn. */
		ack_through(qp, psn, false);
	}
	uroce_req_progress(qp);
}

/*
 * 0 if a response's PSN is one this QP waits on, else the drop reason.
 * A positive ACK may repeat the last one (it acknowledges a duplicate
 * again); a NAK or data answers a PSN sent and not yet acknowledged.
 */
static int check_psn(struct uroce_qp *qp, const struct uroce_pkt *pkt)
{
	uint32_t psn = pkt->bth.psn, una = qp->comp.psn;

	if (!uroce_psn_before(psn, qp->req.max_psn))
		return UROCE_DROP_GHOST_RESPONSE;
	if (pkt->bth.opcode == UROCE_OP_RC_ACK &&
	    uroce_aeth_type(pkt->aeth.syndrome) == UROCE_AETH_ACK)
		una = uroce_psn_add(una, UROCE_PSN_MASK);
	return uroce_psn_before(psn, una) ? UROCE_DROP_STALE_RESPONSE : 0;
}

void uroce_comp_rx(struct uroce_qp *qp, struct uroce_pkt *pkt)
{
	int drop;

	/* deliver.c let only RC responses through: nothing else asks. */
	drop = qp->ibv_qp.qp_type == IBV_QPT_RC ? check_psn(qp, pkt) :
						  UROCE_DROP_BAD_TRANSPORT;
	if (drop) {
		uroce_qp_drop(qp, drop);
		return;
	}
	if (pkt->bth.opcode == UROCE_OP_RC_ACK)
		rx_ack(qp, pkt);
	else
		rx_data(qp, pkt);
	/* Re-arm for what is still outstanding. */
	if (qp->state == IBV_QPS_RTS && qp->req.max_psn != qp->comp.psn &&
	    !qp->req.timer && !qp->req.rnr_timer)
		uroce_req_progress(qp);
}

uint64_t uroce_comp_timers(struct uroce_qp *qp, uint64_t now)
{
	uint64_t next;

	if (qp->state != IBV_QPS_RTS && qp->state != IBV_QPS_SQD)
		return 0;
	if (qp->req.rnr_timer && now >= qp->req.rnr_timer) {
		qp->req.rnr_timer = 0;
		uroce_req_progress(qp);
	}
	if (qp->req.timer && now >= qp->req.timer) {
		qp->req.timer = 0;
		if (qp->req.max_psn == qp->comp.psn) {
			uroce_req_progress(qp);
		} else {
			qp->cnt.timeouts++;
			if (!qp->req.retry) {
				fail(qp, IBV_WC_RETRY_EXC_ERR);
				return 0;
			}
			qp->req.retry--;
			/* A LAG member that keeps losing: try another. */
			uroce_lag_timeout(qp);
			uroce_req_requeue(qp);
		}
	}
	next = qp->req.timer;
	if (qp->req.rnr_timer && (!next || qp->req.rnr_timer < next))
		next = qp->req.rnr_timer;
	return next;
}
