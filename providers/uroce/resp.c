// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The responder: executes SENDs, WRITEs, READs and atomics that passed the
 * delivery checks (QP state, transport, peer, P_Key: deliver.c), after its
 * own: Q_Key
 * (UD), PSN (RC: sequence NAK once per gap, duplicates answered again;
 * UC: a gap drops the rest of the message), then rkey, PD, access and
 * bounds. Memory is touched only after all of them. ACKs are coalesced:
 * one per QP per received batch (see uroce_rx_drain). What RC refuses
 * is NAKed; what UC and UD refuse is dropped and counted by its reason.
 * The receive queue's work completions are built here.
 */
#include <string.h>

#include "util/fault_guard.h"
#include "providers/uroce/comp.h"
#include "providers/uroce/cq.h"
#include "providers/uroce/dp.h"
#include "providers/uroce/engine.h"
#include "providers/uroce/mem.h"
#include "providers/uroce/mw.h"
#include "providers/uroce/resp.h"
#include "providers/uroce/srq.h"
#include "providers/uroce/tx.h"
#include "providers/uroce/uroce.h"

static void send_aeth(struct uroce_qp *qp, uint8_t opcode, uint32_t psn,
		      uint8_t syndrome, uint64_t atmack)
{
	struct uroce_pkt pkt;

	memset(&pkt, 0, sizeof(pkt));
	pkt.bth.opcode = opcode;
	pkt.bth.pkey = UROCE_DEFAULT_PKEY;
	pkt.bth.dqpn = qp->attr.dest_qp_num;
	pkt.bth.psn = psn;
	pkt.aeth.syndrome = syndrome;
	pkt.aeth.msn = qp->resp.msn & UROCE_PSN_MASK;
	pkt.atmack = atmack;
	qp->cnt.tx_bytes +=
		uroce_tx_add(qp->ctx, &qp->txb, &qp->path, &pkt, NULL, 0);
	qp->cnt.tx_pkts++;
}

static void send_nak(struct uroce_qp *qp, uint32_t psn, uint8_t syndrome)
{
	send_aeth(qp, UROCE_OP_RC_ACK, psn, syndrome, 0);
	uroce_tx_flush(qp->ctx, &qp->txb);
}

static struct uroce_rd_hist *rd_next(struct uroce_qp *qp);

/*
 * A long READ's responses go a window at a time, at most one window per
 * this long after the first: the writer of mr_lock (ibv_reg_mr) and the
 * socket's other QPs get their turn in between, and what one request
 * makes the target send is bounded by the time it takes (512 KiB per
 * millisecond at most).
 */
#define READ_PACE_NS (1000ull * 1000)

/*
 * Whether what was received after a READ whose responses are still to
 * go must wait: an ACK or NAK of a later PSN would tell the requester
 * that they were lost (responses come in PSN order).
 */
static bool rd_holds(struct uroce_qp *qp, uint32_t psn)
{
	struct uroce_rd_hist *h;

	if (!qp->resp.rd_busy)
		return false;
	h = rd_next(qp);
	return h && uroce_psn_after(psn, h->psn);
}

void uroce_resp_queue_ack(struct uroce_qp *qp)
{
	if (qp->resp.ack_pending && !rd_holds(qp, qp->resp.ack_psn)) {
		qp->resp.ack_pending = false;
		qp->resp.lazy_ack = 0;
		send_aeth(qp, UROCE_OP_RC_ACK, qp->resp.ack_psn,
			  uroce_aeth_ack(UROCE_AETH_CREDITS_INVALID), 0);
	}
}

void uroce_resp_flush_ack(struct uroce_qp *qp)
{
	uroce_resp_queue_ack(qp);
	uroce_tx_flush(qp->ctx, &qp->txb);
}

/* A fatal request error: NAK it and put the QP in error (RC). */
/* Takes the next receive WQE into @buf; false if none. */
static bool recv_take(struct uroce_qp *qp, struct uroce_recv_wqe *buf)
{
	struct uroce_recv_wqe *wqe;

	if (qp->rq.tail == qp->rq.head)
		return false;
	wqe = uroce_ring_at(&qp->rq, qp->rq.tail);
	memcpy(buf, wqe, sizeof(*wqe) + wqe->num_sge * sizeof(struct ibv_sge));
	qp->rq.tail++;
	return true;
}

static void recv_complete(struct uroce_qp *qp, struct uroce_recv_wqe *wqe,
			  const struct ibv_wc *wc, bool solicited)
{
	struct ibv_wc c = *wc;

	c.wr_id = wqe->wr_id;
	c.qp_num = qp->ibv_qp.qp_num;
	uroce_cq_push(qp->rcq, &c, solicited);
	uroce_qp_note_idle(qp, qp->rcq);
}

static void flush_wc(struct uroce_qp *qp, uint64_t wr_id)
{
	struct ibv_wc wc;

	memset(&wc, 0, sizeof(wc));
	wc.wr_id = wr_id;
	wc.status = IBV_WC_WR_FLUSH_ERR;
	wc.opcode = IBV_WC_RECV;
	wc.qp_num = qp->ibv_qp.qp_num;
	uroce_cq_push(qp->rcq, &wc, false);
}

void uroce_resp_flush(struct uroce_qp *qp)
{
	struct uroce_recv_wqe *rw;

	if (qp->resp.wqe_valid) {
		flush_wc(qp, qp->resp.wqe->wr_id);
		qp->resp.wqe_valid = false;
	}
	while (qp->rq.tail != qp->rq.head) {
		rw = uroce_ring_at(&qp->rq, qp->rq.tail);
		flush_wc(qp, rw->wr_id);
		qp->rq.tail++;
	}
}

static void fatal_nak(struct uroce_qp *qp, uint32_t psn, enum uroce_nak_code c)
{
	if (qp->ibv_qp.qp_type != IBV_QPT_RC)
		return;
	qp->cnt.err_naks_sent++;
	send_nak(qp, psn, uroce_aeth_nak(c));
	uroce_qp_error(qp);
}

/*
 * The PD a receive WQE's lkeys belong to: its SRQ's, not the QP's, for a
 * QP on an SRQ (the two may differ; the IBTA and rxe check the SRQ's).
 */
static struct uroce_pd *recv_pd(const struct uroce_qp *qp)
{
	return qp->srq ? qp->srq->pd : qp->pd;
}

/* RC: no receive WQE for the request at @psn (held behind a READ). */
static void rnr_nak(struct uroce_qp *qp, uint32_t psn)
{
	if (qp->ibv_qp.qp_type != IBV_QPT_RC || rd_holds(qp, psn))
		return;
	qp->cnt.rnr_naks_sent++;
	send_nak(qp, psn, uroce_aeth_rnr_nak(qp->attr.min_rnr_timer));
}

static bool take_wqe(struct uroce_qp *qp)
{
	if (qp->resp.wqe_valid)
		return true;
	if (qp->srq ? uroce_srq_take(qp->srq, qp->resp.wqe) :
		      recv_take(qp, qp->resp.wqe)) {
		qp->resp.wqe_valid = true;
		qp->resp.offset = 0;
		return true;
	}
	return false;
}

static void recv_done(struct uroce_qp *qp, struct uroce_pkt *pkt,
		      enum ibv_wc_opcode op, enum ibv_wc_status status,
		      uint32_t len)
{
	struct ibv_wc wc;

	memset(&wc, 0, sizeof(wc));
	wc.status = status;
	wc.opcode = op;
	wc.byte_len = len;
	wc.src_qp = qp->attr.dest_qp_num;
	if (pkt->info->flags & UROCE_OPF_IMM) {
		wc.imm_data = pkt->imm;
		wc.wc_flags |= IBV_WC_WITH_IMM;
	}
	if (pkt->info->flags & UROCE_OPF_INV) {
		wc.invalidated_rkey = pkt->ieth;
		wc.wc_flags |= IBV_WC_WITH_INV;
	}
	qp->resp.wqe_valid = false;
	recv_complete(qp, qp->resp.wqe, &wc, pkt->bth.se);
}

/*
 * The 40 bytes in front of a UD message: a GRH, or IPv4's header last,
 * with its checksum (ibv_init_ah_from_wc() tells the two apart by it).
 * @len: the UDP payload, BTH to ICRC.
 */
static void build_grh(struct uroce_qp *qp, uint8_t *grh, uint32_t len)
{
	const struct in6_addr *src = &qp->resp.ud_from.sin6_addr;
	const struct in6_addr *dst = &qp->resp.ud_dst;
	uint32_t udp_len = 8 + len, sum = 0;
	unsigned int i;

	memset(grh, 0, 40);
	if (IN6_IS_ADDR_V4MAPPED(src)) {
		uint8_t *ip = grh + 20;

		ip[0] = 0x45;
		uroce_put_be16(ip + 2, (uint16_t)(20 + udp_len));
		uroce_put_be16(ip + 6, 0x4000);
		ip[8] = 64;
		ip[9] = IPPROTO_UDP;
		memcpy(ip + 12, &src->s6_addr[12], 4);
		memcpy(ip + 16, &dst->s6_addr[12], 4);
		for (i = 0; i < 20; i += 2)
			sum += (uint32_t)ip[i] << 8 | ip[i + 1];
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		uroce_put_be16(ip + 10, (uint16_t)~sum);
	} else {
		grh[0] = 0x60;
		uroce_put_be16(grh + 4, (uint16_t)udp_len);
		grh[6] = IPPROTO_UDP;
		grh[7] = 64;
		memcpy(grh + 8, src, 16);
		memcpy(grh + 24, dst, 16);
	}
}

/*
 * A RoCE UD receive's sl is the packet type, as mlx5 and hns report it
 * (RoCE has no SL on the wire): bit 3 for a UDP (RoCE v2) frame, then 2
 * for IPv4 or 1 for IPv6. UCX's ud_verbs reads it to find the DGID in the
 * GRH area and drops the packet when it is wrong.
 */
#define ROCE_PKT_UDP 0x8
#define ROCE_PKT_IPV6 0x1
#define ROCE_PKT_IPV4 0x2

static uint8_t roce_pkt_type(const struct in6_addr *src)
{
	return ROCE_PKT_UDP |
	       (IN6_IS_ADDR_V4MAPPED(src) ? ROCE_PKT_IPV4 : ROCE_PKT_IPV6);
}

static void rx_ud(struct uroce_qp *qp, struct uroce_pkt *pkt)
{
	struct uroce_context *ctx = qp->ctx;
	uint8_t grh[40];
	struct ibv_wc wc;
	int err;

	if (pkt->deth.qkey != qp->attr.qkey) {
		uroce_qp_drop(qp, UROCE_DROP_BAD_QKEY);
		return;
	}
	if (!take_wqe(qp)) {
		uroce_qp_drop(qp, UROCE_DROP_NO_RECV_WQE); /* UD has no RNR */
		return;
	}
	build_grh(qp, grh, pkt->len);
	pthread_rwlock_rdlock(&ctx->mr_lock);
	err = uroce_sge_copy(ctx, recv_pd(qp), qp->resp.wqe->sge,
			     qp->resp.wqe->num_sge, 0, grh, sizeof(grh), true);
	if (!err)
		err = uroce_sge_copy(ctx, recv_pd(qp), qp->resp.wqe->sge,
				     qp->resp.wqe->num_sge, sizeof(grh),
				     (void *)pkt->payload, pkt->paylen, true);
	pthread_rwlock_unlock(&ctx->mr_lock);
	if (err) /* completes in error: the data is lost */
		uroce_qp_drop(qp, UROCE_DROP_LOCAL_ERROR);
	memset(&wc, 0, sizeof(wc));
	wc.status = err ? (enum ibv_wc_status)err : IBV_WC_SUCCESS;
	wc.opcode = IBV_WC_RECV;
	wc.byte_len = pkt->paylen + 40;
	wc.src_qp = pkt->deth.sqpn;
	wc.sl = roce_pkt_type(&qp->resp.ud_from.sin6_addr);
	wc.wc_flags = IBV_WC_GRH;
	if (pkt->info->flags & UROCE_OPF_IMM) {
		wc.imm_data = pkt->imm;
		wc.wc_flags |= IBV_WC_WITH_IMM;
	}
	qp->resp.wqe_valid = false;
	recv_complete(qp, qp->resp.wqe, &wc, pkt->bth.se);
}

/*
 * SEND packets. Returns 0, or the drop reason of a packet refused: RC
 * has NAKed it (RNR or error), UC drops it.
 */
static int rx_send(struct uroce_qp *qp, struct uroce_pkt *pkt)
{
	struct uroce_context *ctx = qp->ctx;
	uint16_t f = pkt->info->flags;
	int err;

	if (f & UROCE_OPF_START) {
		if (!take_wqe(qp)) {
			rnr_nak(qp, pkt->bth.psn);
			return UROCE_DROP_NO_RECV_WQE;
		}
		qp->resp.offset = 0;
		qp->resp.in_send = true;
	} else if (!qp->resp.in_send) {
		fatal_nak(qp, pkt->bth.psn, UROCE_NAK_INVALID_REQ);
		return UROCE_DROP_BAD_REQUEST;
	}
	pthread_rwlock_rdlock(&ctx->mr_lock);
	err = uroce_sge_copy(ctx, recv_pd(qp), qp->resp.wqe->sge,
			     qp->resp.wqe->num_sge, qp->resp.offset,
			     (void *)pkt->payload, pkt->paylen, true);
	pthread_rwlock_unlock(&ctx->mr_lock);
	if (err) {
		qp->resp.in_send = false;
		recv_done(qp, pkt, IBV_WC_RECV, (enum ibv_wc_status)err, 0);
		fatal_nak(qp, pkt->bth.psn,
			  err == IBV_WC_LOC_LEN_ERR ? UROCE_NAK_INVALID_REQ :
						      UROCE_NAK_REMOTE_OP_ERR);
		return UROCE_DROP_LOCAL_ERROR;
	}
	qp->resp.offset += pkt->paylen;
	if (!(f & UROCE_OPF_END))
		return 0;
	qp->resp.in_send = false;
	/*
	 * SEND with Invalidate: the key is invalid before the completion
	 * says so. One that cannot be invalidated fails the message (rxe's
	 * class J) and is NAKed as an invalid request.
	 */
	if ((f & UROCE_OPF_INV) && uroce_mw_remote_inv(qp, pkt->ieth)) {
		recv_done(qp, pkt, IBV_WC_RECV, IBV_WC_REM_INV_REQ_ERR,
			  qp->resp.offset);
		fatal_nak(qp, pkt->bth.psn, UROCE_NAK_INVALID_REQ);
		return UROCE_DROP_BAD_REQUEST;
	}
	recv_done(qp, pkt, IBV_WC_RECV, IBV_WC_SUCCESS, qp->resp.offset);
	return 0;
}

/* WRITE packets; returns as rx_send(). */
static int rx_write(struct uroce_qp *qp, struct uroce_pkt *pkt)
{
	struct uroce_context *ctx = qp->ctx;
	uint16_t f = pkt->info->flags;
	void *mem;

	if (f & UROCE_OPF_START) {
		qp->resp.va = pkt->reth.va;
		qp->resp.rkey = pkt->reth.rkey;
		qp->resp.resid = pkt->reth.len;
		qp->resp.write_len = pkt->reth.len;
		qp->resp.in_write = true;
		if (!(qp->attr.qp_access_flags & IBV_ACCESS_REMOTE_WRITE)) {
			fatal_nak(qp, pkt->bth.psn,
				  UROCE_NAK_REMOTE_ACCESS_ERR);
			return UROCE_DROP_BAD_ACCESS;
		}
	} else if (!qp->resp.in_write) {
		fatal_nak(qp, pkt->bth.psn, UROCE_NAK_INVALID_REQ);
		return UROCE_DROP_BAD_REQUEST;
	}
	if (pkt->paylen > qp->resp.resid ||
	    ((f & UROCE_OPF_END) && pkt->paylen != qp->resp.resid)) {
		qp->resp.in_write = false;
		fatal_nak(qp, pkt->bth.psn, UROCE_NAK_INVALID_REQ);
		return UROCE_DROP_BAD_REQUEST;
	}
	/* WRITE with immediate consumes a receive WQE: RNR before writing. */
	if ((f & UROCE_OPF_END) && (f & UROCE_OPF_IMM) && !take_wqe(qp)) {
		rnr_nak(qp, pkt->bth.psn);
		return UROCE_DROP_NO_RECV_WQE;
	}
	if (pkt->paylen) {
		pthread_rwlock_rdlock(&ctx->mr_lock);
		mem = uroce_rkey_map(qp, qp->resp.rkey, qp->resp.va,
				     pkt->paylen, IBV_ACCESS_REMOTE_WRITE);
		if (mem && !uroce_mem_copy(mem, pkt->payload, pkt->paylen))
			mem = NULL; /* a page no longer mapped */
		pthread_rwlock_unlock(&ctx->mr_lock);
		if (!mem) {
			qp->resp.in_write = false;
			fatal_nak(qp, pkt->bth.psn,
				  UROCE_NAK_REMOTE_ACCESS_ERR);
			return UROCE_DROP_BAD_ACCESS;
		}
	}
	qp->resp.va += pkt->paylen;
	qp->resp.resid -= pkt->paylen;
	if (f & UROCE_OPF_END) {
		qp->resp.in_write = false;
		if (f & UROCE_OPF_IMM)
			recv_done(qp, pkt, IBV_WC_RECV_RDMA_WITH_IMM,
				  IBV_WC_SUCCESS, qp->resp.write_len);
	}
	return 0;
}

/*
 * Sends up to @budget responses of READ @h (an ATOMIC WRITE's is a
 * zero-length one) from h->next on, numbered from its first PSN as the
 * original; returns how many went out. The MR is looked up again for
 * each batch: it may have gone since the last one.
 */
static uint32_t send_read(struct uroce_qp *qp, struct uroce_rd_hist *h,
			  uint32_t budget)
{
	struct uroce_context *ctx = qp->ctx;
	uint32_t n = uroce_psn_sub(h->last_psn, h->psn) + 1;
	uint32_t k0 = uroce_psn_sub(h->next, h->psn), k = k0, end, off, len;
	uint32_t blen = 0, boff = k0 * qp->mtu;
	struct uroce_pkt pkt;
	struct iovec iov;
	uint8_t *mem = NULL;
	bool odp = false; /* each packet from a fault-safe copy */
	uint8_t *bounce;
	ssize_t tx;

	end = uroce_psn_sub(h->end, h->psn) + 1;
	if (end - k0 > budget)
		end = k0 + budget;
	if (h->len) {
		off = end * qp->mtu;
		blen = (off < h->len ? off : h->len) - boff;
	}
	pthread_rwlock_rdlock(&ctx->mr_lock);
	if (blen) {
		mem = uroce_rkey_map(qp, h->rkey, h->va + boff, blen,
				     IBV_ACCESS_REMOTE_READ);
		if (!mem)
			goto fail;
		odp = uroce_mem_is_odp(ctx, h->rkey);
	}
	for (k = k0; k < end; k++) {
		memset(&pkt, 0, sizeof(pkt));
		if (n == 1)
			pkt.bth.opcode = UROCE_OP_RC_READ_RESP_ONLY;
		else if (k == 0)
			pkt.bth.opcode = UROCE_OP_RC_READ_RESP_FIRST;
		else if (k + 1 == n)
			pkt.bth.opcode = UROCE_OP_RC_READ_RESP_LAST;
		else
			pkt.bth.opcode = UROCE_OP_RC_READ_RESP_MIDDLE;
		pkt.bth.pkey = UROCE_DEFAULT_PKEY;
		pkt.bth.dqpn = qp->attr.dest_qp_num;
		pkt.bth.psn = uroce_psn_add(h->psn, k);
		pkt.aeth.syndrome = uroce_aeth_ack(UROCE_AETH_CREDITS_INVALID);
		pkt.aeth.msn = qp->resp.msn & UROCE_PSN_MASK;
		off = k * qp->mtu;
		len = h->len - off < qp->mtu ? h->len - off : qp->mtu;
		pkt.paylen = len;
		/* A zero-length READ maps nothing: no address to offset. */
		iov.iov_base = len ? mem + (off - boff) : NULL;
		iov.iov_len = len;
		if (odp && len) {
			bounce = uroce_odp_bounce(qp);
			if (!bounce ||
			    !uroce_mem_copy(bounce, iov.iov_base, len))
				goto fail;
			iov.iov_base = bounce;
		}
		tx = uroce_tx_add(ctx, &qp->txb, &qp->path, &pkt, &iov,
				  len ? 1 : 0);
		if (tx < 0)
			goto fail; /* a page no longer mapped */
		qp->cnt.tx_bytes += (size_t)tx;
		qp->cnt.tx_pkts++;
	}
	/* The iovecs point into the MR: out before dereg may proceed. */
	uroce_tx_flush(ctx, &qp->txb);
	pthread_rwlock_unlock(&ctx->mr_lock);
	h->next = uroce_psn_add(h->psn, end);
	if (k == uroce_psn_sub(h->end, h->psn) + 1)
		h->pending = false;
	return end - k0;

fail:
	uroce_tx_flush(ctx, &qp->txb);
	pthread_rwlock_unlock(&ctx->mr_lock);
	h->pending = false;
	fatal_nak(qp, uroce_psn_add(h->psn, k), UROCE_NAK_REMOTE_ACCESS_ERR);
	return budget;
}

/* The READ or atomic whose responses are next, or NULL. */
static struct uroce_rd_hist *rd_next(struct uroce_qp *qp)
{
	struct uroce_rd_hist *o = NULL, *h;
	unsigned int i;

	for (i = 0; i < qp->resp.nhist; i++) {
		h = &qp->resp.hist[i];
		if (h->pending && (!o || uroce_psn_before(h->psn, o->psn)))
			o = h;
	}
	return o;
}

/*
 * A turn of the responses due, in PSN order: a window of packets at most
 * (what the requester may have in flight), so that a long READ holds the
 * QP's locks and mr_lock for one window at a time and the rest follows
 * from the engine's timers (uroce_resp_timers), one window per
 * READ_PACE_NS, as rxe's responder sends a READ a packet per run of its
 * task. A requester of this provider asks for a window at a time (req.c):
 * its READs are answered whole at once. Returns whether some are left.
 */
static bool rd_turn(struct uroce_qp *qp)
{
	uint32_t budget = uroce_rc_window(qp), n;
	struct uroce_rd_hist *h;

	if (!qp->resp.rd_busy)
		return false;
	while (budget && qp->state != IBV_QPS_ERR && (h = rd_next(qp))) {
		if (h->atomic) {
			h->pending = false;
			send_aeth(qp, UROCE_OP_RC_ATOMIC_ACK, h->psn,
				  uroce_aeth_ack(UROCE_AETH_CREDITS_INVALID),
				  h->orig);
			uroce_tx_flush(qp->ctx, &qp->txb);
			budget--;
			continue;
		}
		n = send_read(qp, h, budget);
		budget -= n < budget ? n : budget;
	}
	if (qp->state == IBV_QPS_ERR)
		return false;
	if (rd_next(qp)) {
		/* An idle engine sleeps until kicked (as for req.timer). */
		qp->resp.rd_due = uroce_now_ns() + READ_PACE_NS;
		if (atomic_load(&qp->ctx->dp->idle))
			uroce_engine_kick(qp->ctx->dp);
		return true;
	}
	qp->resp.rd_busy = false;
	/* What came after the READ was held back: acknowledged now. */
	if (qp->resp.ack_pending)
		uroce_resp_flush_ack(qp);
	return false;
}

/* Responses from @psn through @end of @h are due: out in turn. */
static void rd_queue(struct uroce_qp *qp, struct uroce_rd_hist *h, uint32_t psn,
		     uint32_t end)
{
	h->next = psn;
	h->end = end;
	h->pending = true;
	qp->resp.rd_busy = true;
	rd_turn(qp);
}

/*
 * The history entry of a new READ or atomic at @pkt's PSN, the oldest
 * one's; NULL, NAKed, if that one's responses are still to go: more
 * READs and atomics outstanding than max_dest_rd_atomic allows.
 */
static struct uroce_rd_hist *hist_new(struct uroce_qp *qp,
				      const struct uroce_pkt *pkt)
{
	unsigned int n = qp->attr.max_dest_rd_atomic;
	struct uroce_rd_hist *h;

	if (!n || n > qp->resp.nhist)
		n = n ? qp->resp.nhist : 1;
	h = &qp->resp.hist[qp->resp.hist_next % n];
	if (h->pending) {
		fatal_nak(qp, pkt->bth.psn, UROCE_NAK_INVALID_REQ);
		return NULL;
	}
	qp->resp.hist_next = (qp->resp.hist_next + 1) % n;
	memset(h, 0, sizeof(*h));
	h->valid = true;
	h->psn = h->last_psn = pkt->bth.psn;
	return h;
}

static struct uroce_rd_hist *hist_find(struct uroce_qp *qp, uint32_t psn)
{
	unsigned int i;

	for (i = 0; i < qp->resp.nhist; i++) {
		struct uroce_rd_hist *h = &qp->resp.hist[i];

		if (h->valid && uroce_psn_in_range(psn, h->psn, h->last_psn))
			return h;
	}
	return NULL;
}

static void rx_read(struct uroce_qp *qp, struct uroce_pkt *pkt)
{
	struct uroce_context *ctx = qp->ctx;
	struct uroce_rd_hist *h;
	uint32_t n;
	void *mem = NULL;

	if (!(qp->attr.qp_access_flags & IBV_ACCESS_REMOTE_READ)) {
		fatal_nak(qp, pkt->bth.psn, UROCE_NAK_REMOTE_ACCESS_ERR);
		return;
	}
	if (pkt->reth.len > 0x80000000u) {
		fatal_nak(qp, pkt->bth.psn, UROCE_NAK_INVALID_REQ);
		return;
	}
	if (pkt->reth.len) {
		pthread_rwlock_rdlock(&ctx->mr_lock);
		mem = uroce_rkey_map(qp, pkt->reth.rkey, pkt->reth.va,
				     pkt->reth.len, IBV_ACCESS_REMOTE_READ);
		pthread_rwlock_unlock(&ctx->mr_lock);
		if (!mem) {
			fatal_nak(qp, pkt->bth.psn,
				  UROCE_NAK_REMOTE_ACCESS_ERR);
			return;
		}
	}
	n = pkt->reth.len ? (pkt->reth.len + qp->mtu - 1) / qp->mtu : 1;
	h = hist_new(qp, pkt);
	if (!h)
		return;
	h->last_psn = uroce_psn_add(h->psn, n - 1);
	h->va = pkt->reth.va;
	h->rkey = pkt->reth.rkey;
	h->len = pkt->reth.len;
	qp->resp.msn++;
	qp->resp.psn = uroce_psn_inc(h->last_psn);
	rd_queue(qp, h, h->psn, h->last_psn);
}

static void rx_atomic(struct uroce_qp *qp, struct uroce_pkt *pkt)
{
	struct uroce_context *ctx = qp->ctx;
	const struct uroce_atmeth *a = &pkt->atmeth;
	struct uroce_rd_hist *h;
	uint64_t *mem, orig;

	if (!(qp->attr.qp_access_flags & IBV_ACCESS_REMOTE_ATOMIC)) {
		fatal_nak(qp, pkt->bth.psn, UROCE_NAK_REMOTE_ACCESS_ERR);
		return;
	}
	if (a->va & 7) {
		fatal_nak(qp, pkt->bth.psn, UROCE_NAK_INVALID_REQ);
		return;
	}
	h = hist_new(qp, pkt);
	if (!h)
		return;
	pthread_rwlock_rdlock(&ctx->mr_lock);
	mem = uroce_rkey_map(qp, a->rkey, a->va, 8, IBV_ACCESS_REMOTE_ATOMIC);
	/* A page no longer mapped fails the atomic. */
	if (mem && pkt->bth.opcode == UROCE_OP_RC_CMP_SWAP) {
		if (uroce_guard_cmp_swap(mem, a->compare, a->swap_add, &orig))
			mem = NULL;
	} else if (mem) {
		if (uroce_guard_fetch_add(mem, a->swap_add, &orig))
			mem = NULL;
	}
	pthread_rwlock_unlock(&ctx->mr_lock);
	if (!mem) {
		h->valid = false;
		fatal_nak(qp, pkt->bth.psn, UROCE_NAK_REMOTE_ACCESS_ERR);
		return;
	}
	h->atomic = true;
	h->va = a->va;
	h->rkey = a->rkey;
	h->orig = orig;
	qp->resp.msn++;
	qp->resp.psn = uroce_psn_inc(pkt->bth.psn);
	rd_queue(qp, h, h->psn, h->psn);
}

/*
 * ATOMIC WRITE (IBTA 1.5, as rxe): 8 bytes stored at once where
 * REMOTE_WRITE allows, answered as a zero-length READ, whose history
 * entry answers a duplicate without storing again.
 */
static void rx_atomic_write(struct uroce_qp *qp, struct uroce_pkt *pkt)
{
	struct uroce_context *ctx = qp->ctx;
	uint32_t rkey = pkt->reth.rkey;
	struct uroce_rd_hist *h;
	uint64_t *mem, val;

	if (!(qp->attr.qp_access_flags & IBV_ACCESS_REMOTE_WRITE)) {
		fatal_nak(qp, pkt->bth.psn, UROCE_NAK_REMOTE_ACCESS_ERR);
		return;
	}
	if (pkt->paylen != 8 || pkt->reth.len != 8 || (pkt->reth.va & 7)) {
		fatal_nak(qp, pkt->bth.psn, UROCE_NAK_INVALID_REQ);
		return;
	}
	h = hist_new(qp, pkt);
	if (!h)
		return;
	memcpy(&val, pkt->payload, 8);
	pthread_rwlock_rdlock(&ctx->mr_lock);
	mem = uroce_rkey_map(qp, rkey, pkt->reth.va, 8,
			     IBV_ACCESS_REMOTE_WRITE);
	if (mem && uroce_guard_store64(mem, val))
		mem = NULL; /* a page no longer mapped */
	pthread_rwlock_unlock(&ctx->mr_lock);
	if (!mem) {
		h->valid = false;
		fatal_nak(qp, pkt->bth.psn, UROCE_NAK_REMOTE_ACCESS_ERR);
		return;
	}
	h->va = pkt->reth.va;
	h->rkey = rkey;
	qp->resp.msn++;
	qp->resp.psn = uroce_psn_inc(pkt->bth.psn);
	rd_queue(qp, h, h->psn, h->psn);
}

/*
 * Whether @f breaks the opcode sequence (IBTA 9.7.5.1.6 (RC), rxe's
 * check_op_seq): once a multi-packet SEND or WRITE is open, only its
 * MIDDLE and LAST packets may come until it ends. RC NAKs anything else
 * as an invalid request; UC gives the open message up for a new one that
 * starts here (IBTA 9.7.8). A MIDDLE or LAST with nothing open is the
 * SEND's and WRITE's own check.
 */
static bool op_seq_broken(struct uroce_qp *qp, uint16_t f)
{
	uint16_t open = qp->resp.in_send  ? UROCE_OPF_SEND :
			qp->resp.in_write ? UROCE_OPF_WRITE :
					    0;

	if (!open || ((f & open) && !(f & UROCE_OPF_START)))
		return false;
	if (qp->ibv_qp.qp_type == IBV_QPT_RC)
		return true;
	qp->resp.in_send = false;
	qp->resp.in_write = false;
	return false;
}

/*
 * Whether duplicate @pkt asks again for what @h answered: the same kind,
 * key and address (for a READ, the one of its PSN's packet, as a
 * requester that resends from a lost response computes it). The replay
 * ends where the duplicate's length does, within the original's PSNs:
 * its last in @end.
 */
static bool dup_matches(struct uroce_qp *qp, const struct uroce_rd_hist *h,
			const struct uroce_pkt *pkt, uint32_t *end)
{
	uint32_t k = uroce_psn_sub(pkt->bth.psn, h->psn), n;

	*end = h->last_psn;
	if (pkt->info->flags & UROCE_OPF_ATOMIC)
		return h->atomic && pkt->atmeth.va == h->va &&
		       pkt->atmeth.rkey == h->rkey;
	if (h->atomic || pkt->reth.rkey != h->rkey ||
	    pkt->reth.va != h->va + (uint64_t)k * qp->mtu)
		return false;
	if (pkt->bth.opcode == UROCE_OP_RC_ATOMIC_WRITE)
		return !h->len;
	n = pkt->reth.len ? (pkt->reth.len + qp->mtu - 1) / qp->mtu : 1;
	if (n - 1 < uroce_psn_sub(h->last_psn, pkt->bth.psn))
		*end = uroce_psn_add(pkt->bth.psn, n - 1);
	return true;
}

/* An RC request with a PSN before the expected one. */
static void rx_duplicate(struct uroce_qp *qp, struct uroce_pkt *pkt)
{
	uint16_t f = pkt->info->flags;
	struct uroce_rd_hist *h;
	uint32_t end;

	if (f & (UROCE_OPF_READ | UROCE_OPF_ATOMIC)) {
		h = hist_find(qp, pkt->bth.psn);
		if (!h || !dup_matches(qp, h, pkt, &end)) {
			/* Too old, or not what ran at that PSN: no answer. */
			uroce_qp_drop(qp, UROCE_DROP_STALE_REQUEST);
			return;
		}
		qp->cnt.dup_reqs++;
		rd_queue(qp, h, pkt->bth.psn, end);
		return;
	}
	/* SEND or WRITE already executed: acknowledge again. */
	qp->cnt.dup_reqs++;
	qp->resp.ack_pending = true;
	qp->resp.ack_psn = uroce_psn_add(qp->resp.psn, UROCE_PSN_MASK);
}

void uroce_resp_rx(struct uroce_qp *qp, struct uroce_pkt *pkt)
{
	uint16_t f = pkt->info->flags;
	bool rc = qp->ibv_qp.qp_type == IBV_QPT_RC;
	int32_t d;
	int drop;

	if (qp->ibv_qp.qp_type == IBV_QPT_UD) {
		rx_ud(qp, pkt);
		return;
	}
	d = uroce_psn_diff(pkt->bth.psn, qp->resp.psn);
	if (rc && d > 0) {
		uroce_qp_drop(qp, UROCE_DROP_BAD_PSN);
		if (!qp->resp.nak_sent && !rd_holds(qp, qp->resp.psn)) {
			qp->resp.nak_sent = true;
			qp->cnt.seq_naks_sent++;
			send_nak(qp, qp->resp.psn,
				 uroce_aeth_nak(UROCE_NAK_PSN_SEQ_ERR));
		}
		return;
	}
	if (rc && d < 0) {
		rx_duplicate(qp, pkt);
		return;
	}
	if (!rc && d != 0) {
		/*
		 * UC: a gap. A message that starts here is taken; one that
		 * lost its start is dropped to its end.
		 */
		qp->resp.in_send = false;
		qp->resp.in_write = false;
		qp->resp.psn = pkt->bth.psn;
		qp->resp.drop_msg = !(f & UROCE_OPF_START);
	}
	qp->resp.nak_sent = false;
	if (!rc && qp->resp.drop_msg) {
		if (!(f & UROCE_OPF_START)) {
			/* The packet after the gap, or one after it. */
			uroce_qp_drop(qp, d ? UROCE_DROP_BAD_PSN :
					      UROCE_DROP_BROKEN_MSG);
			if (f & UROCE_OPF_END)
				qp->resp.drop_msg = false;
			qp->resp.psn = uroce_psn_inc(pkt->bth.psn);
			return;
		}
		qp->resp.drop_msg = false;
	}

	if (op_seq_broken(qp, f)) {
		fatal_nak(qp, pkt->bth.psn, UROCE_NAK_INVALID_REQ);
		return;
	}
	/* READ and atomics are RC's (deliver.c checked): answered, PSN moved. */
	if (f & UROCE_OPF_READ) {
		if (pkt->bth.opcode == UROCE_OP_RC_ATOMIC_WRITE)
			rx_atomic_write(qp, pkt);
		else
			rx_read(qp, pkt);
		return;
	}
	if (f & UROCE_OPF_ATOMIC) {
		rx_atomic(qp, pkt);
		return;
	}
	drop = f & UROCE_OPF_SEND ? rx_send(qp, pkt) : rx_write(qp, pkt);
	if (drop) {
		if (rc)
			return; /* NAKed */
		/* UC has no NAK: the message is given up, its rest dropped. */
		uroce_qp_drop(qp, drop);
		qp->resp.in_send = false;
		qp->resp.in_write = false;
		qp->resp.drop_msg = !(f & UROCE_OPF_END);
		qp->resp.psn = uroce_psn_inc(pkt->bth.psn);
		return;
	}
	qp->resp.psn = uroce_psn_inc(pkt->bth.psn);
	if (f & UROCE_OPF_END)
		qp->resp.msn++;
	if (!rc)
		return;
	qp->resp.ack_psn = pkt->bth.psn;
	if (pkt->bth.ackreq) {
		qp->resp.ack_pending = true;
	} else if (!qp->resp.lazy_ack) {
		qp->resp.lazy_ack = uroce_now_ns() + UROCE_LAZY_ACK_NS;
		/* An idle engine sleeps until kicked (as for req.timer). */
		if (atomic_load(&qp->ctx->dp->idle))
			uroce_engine_kick(qp->ctx->dp);
	}
}

uint64_t uroce_resp_timers(struct uroce_qp *qp, uint64_t now)
{
	if (qp->state != IBV_QPS_RTR && qp->state != IBV_QPS_RTS &&
	    qp->state != IBV_QPS_SQD) {
		qp->resp.lazy_ack = 0;
		return 0;
	}
	/* The next window of a long READ. */
	if (qp->resp.rd_busy && now < qp->resp.rd_due)
		return qp->resp.rd_due;
	if (rd_turn(qp))
		return qp->resp.rd_due;
	if (!qp->resp.lazy_ack)
		return 0;
	if (now < qp->resp.lazy_ack)
		return qp->resp.lazy_ack;
	qp->resp.ack_pending = true;
	uroce_resp_flush_ack(qp);
	return 0;
}
