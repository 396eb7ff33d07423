// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Queue pairs: creation, the IBTA state machine (RESET, INIT, RTR, RTS,
 * SQD, SQE, ERR), queries and destruction. A QP lives in one slot of one
 * of its context's sockets, which gives it its number.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "providers/uroce/qp_attr.h"
#include "providers/uroce/comp.h"
#include "providers/uroce/cq.h"
#include "providers/uroce/dp.h"
#include "providers/uroce/lag.h"
#include "providers/uroce/mcast.h"
#include "providers/uroce/path.h"
#include "providers/uroce/pd.h"
#include "providers/uroce/peer_watch.h"
#include "providers/uroce/qp.h"
#include "providers/uroce/sport.h"
#include "providers/uroce/req.h"
#include "providers/uroce/resp.h"
#include "providers/uroce/sock.h"
#include "providers/uroce/uroce.h"

static uint32_t pow2(uint32_t n)
{
	uint32_t s = 1;

	while (s < n)
		s <<= 1;
	return s;
}

static int ring_init(struct uroce_qp *qp, struct uroce_ring *r, uint32_t n,
		     size_t stride, uint64_t type)
{
	r->size = pow2(n ? n : 1);
	r->stride = (uint32_t)((stride + 7) & ~(size_t)7);
	r->head = r->tail = 0;
	r->buf = uroce_buf_alloc(qp->dom, (size_t)r->size * r->stride, type,
				 &r->ext);
	return r->buf ? 0 : ENOMEM;
}

static int check_init_attr(struct uroce_pd *pd, struct ibv_qp_init_attr *a)
{
	if (a->qp_type != IBV_QPT_RC && a->qp_type != IBV_QPT_UC &&
	    a->qp_type != IBV_QPT_UD)
		return EOPNOTSUPP;
	if (!a->send_cq || !a->recv_cq)
		return EINVAL;
	if (a->send_cq->context != pd->ibv_pd.context ||
	    a->recv_cq->context != pd->ibv_pd.context)
		return EINVAL;
	if (a->cap.max_send_wr > UROCE_MAX_QP_WR ||
	    a->cap.max_send_sge > UROCE_MAX_SGE ||
	    a->cap.max_inline_data > UROCE_MAX_INLINE)
		return EINVAL;
	if (!a->srq && (a->cap.max_recv_wr > UROCE_MAX_QP_WR ||
			a->cap.max_recv_sge > UROCE_MAX_SGE))
		return EINVAL;
	return 0;
}

static void qp_free(struct uroce_qp *qp)
{
	if (qp->sq.buf)
		uroce_buf_free(qp->dom, qp->sq.buf, UROCE_RES_TYPE_SQ,
			       qp->sq.ext);
	if (qp->rq.buf)
		uroce_buf_free(qp->dom, qp->rq.buf, UROCE_RES_TYPE_RQ,
			       qp->rq.ext);
	uroce_pd_domain_put(qp->dom);
	free(qp->resp.rwqe_buf);
	free(qp->resp.hist);
	free(qp->wrb);
	free(qp->odp_bounce);
	pthread_mutex_destroy(&qp->lock);
	free(qp);
}

struct ibv_qp *uroce_create_qp(struct ibv_pd *ibpd,
			       struct ibv_qp_init_attr *attr)
{
	struct uroce_context *ctx = to_uctx(ibpd->context);
	struct uroce_pd *pd = to_upd(ibpd);
	struct uroce_qp *qp;
	uint32_t nsge, inl;
	uint16_t port;
	int ret;

	ret = check_init_attr(pd, attr);
	if (ret)
		goto err;
	if (!ctx->dp) {
		ret = ENODEV;
		goto err;
	}
	ret = ENOMEM;
	if (!uroce_count_get(&ctx->nqp, ctx->dev->limits.qp))
		goto err;
	qp = calloc(1, sizeof(*qp));
	if (!qp)
		goto err_count;
	pthread_mutex_init(&qp->lock, NULL);
	qp->ctx = ctx;
	qp->pd = pd;
	qp->dom = uroce_pd_domain(ibpd);
	qp->scq = to_ucq(attr->send_cq);
	qp->rcq = to_ucq(attr->recv_cq);
	qp->srq = attr->srq ? to_usrq(attr->srq) : NULL;
	qp->sq_sig_all = attr->sq_sig_all;

	nsge = attr->cap.max_send_sge ? attr->cap.max_send_sge : 1;
	inl = attr->cap.max_inline_data < 64 ? 64 : attr->cap.max_inline_data;
	if (ring_init(qp, &qp->sq, attr->cap.max_send_wr,
		      sizeof(struct uroce_send_wqe) +
			      nsge * sizeof(struct ibv_sge) + inl,
		      UROCE_RES_TYPE_SQ))
		goto err_free;
	qp->cap.max_send_wr = attr->cap.max_send_wr;
	qp->cap.max_send_sge = nsge;
	qp->cap.max_inline_data = inl;
	if (!qp->srq) {
		nsge = attr->cap.max_recv_sge ? attr->cap.max_recv_sge : 1;
		if (ring_init(qp, &qp->rq, attr->cap.max_recv_wr,
			      sizeof(struct uroce_recv_wqe) +
				      nsge * sizeof(struct ibv_sge),
			      UROCE_RES_TYPE_RQ))
			goto err_free;
		qp->cap.max_recv_wr = attr->cap.max_recv_wr;
		qp->cap.max_recv_sge = nsge;
	}
	qp->resp.rwqe_buf = malloc(sizeof(struct uroce_recv_wqe) +
				   UROCE_MAX_SGE * sizeof(struct ibv_sge));
	qp->resp.wqe = (struct uroce_recv_wqe *)qp->resp.rwqe_buf;
	qp->resp.nhist = UROCE_MAX_QP_RD_ATOM;
	qp->resp.hist = calloc(qp->resp.nhist, sizeof(*qp->resp.hist));
	if (!qp->resp.rwqe_buf || !qp->resp.hist)
		goto err_free;

	ret = uroce_sock_attach(ctx->dp, qp);
	if (ret)
		goto err_free;
	qp->txb.fd = qp->sock->fd;
	qp->sport = qp->sock->port;
	qp->txb.gso_ids = qp->sock->steer != NULL;
	if (qp->sock->steer) {
		port = uroce_sport_qp(qp->ibv_qp.qp_num);
		uroce_sport_set(qp, uroce_sport_fd(ctx->dp, &port), port);
	}
	uroce_lag_qp_init(qp);
	qp->state = IBV_QPS_RESET;
	qp->attr.pkey_index = 0;
	qp->attr.port_num = UROCE_PORT;
	qp->mtu = 1024;

	pthread_mutex_lock(&ctx->dp->qp_list_lock);
	uroce_list_add(&ctx->dp->qps, &qp->node);
	pthread_mutex_unlock(&ctx->dp->qp_list_lock);
	atomic_fetch_add(&qp->scq->use, 1);
	atomic_fetch_add(&qp->rcq->use, 1);
	atomic_fetch_add(&pd->use, 1);
	if (qp->srq)
		atomic_fetch_add(&qp->srq->use, 1);

	attr->cap = qp->cap;
	if (qp->srq) {
		attr->cap.max_recv_wr = 0;
		attr->cap.max_recv_sge = 0;
	}
	qp->ibv_qp.context = ibpd->context;
	qp->ibv_qp.pd = ibpd;
	qp->ibv_qp.handle = atomic_fetch_add(&ctx->next_handle, 1);
	qp->ibv_qp.state = IBV_QPS_RESET;
	return &qp->ibv_qp;

err_free:
	qp_free(qp);
err_count:
	uroce_count_put(&ctx->nqp);
err:
	errno = ret;
	return NULL;
}

static void copy_attrs(struct uroce_qp *qp, struct ibv_qp_attr *a, int mask)
{
	struct ibv_qp_attr *q = &qp->attr;

	if (mask & IBV_QP_PKEY_INDEX)
		q->pkey_index = a->pkey_index;
	if (mask & IBV_QP_PORT)
		q->port_num = a->port_num;
	if (mask & IBV_QP_QKEY)
		q->qkey = a->qkey;
	if (mask & IBV_QP_ACCESS_FLAGS)
		q->qp_access_flags = a->qp_access_flags;
	if (mask & IBV_QP_PATH_MTU) {
		q->path_mtu = a->path_mtu;
		qp->mtu = 128u << a->path_mtu;
	}
	if (mask & IBV_QP_AV)
		q->ah_attr = a->ah_attr;
	if (mask & IBV_QP_DEST_QPN)
		q->dest_qp_num = a->dest_qp_num;
	/* Only the low 24 bits are a PSN; the rest is ignored, as rxe does. */
	if (mask & IBV_QP_RQ_PSN)
		q->rq_psn = a->rq_psn & UROCE_PSN_MASK;
	if (mask & IBV_QP_SQ_PSN)
		q->sq_psn = a->sq_psn & UROCE_PSN_MASK;
	if (mask & IBV_QP_TIMEOUT)
		q->timeout = a->timeout;
	if (mask & IBV_QP_RETRY_CNT)
		q->retry_cnt = a->retry_cnt;
	if (mask & IBV_QP_RNR_RETRY)
		q->rnr_retry = a->rnr_retry;
	if (mask & IBV_QP_MIN_RNR_TIMER)
		q->min_rnr_timer = a->min_rnr_timer;
	if (mask & IBV_QP_MAX_QP_RD_ATOMIC)
		q->max_rd_atomic = a->max_rd_atomic;
	if (mask & IBV_QP_MAX_DEST_RD_ATOMIC)
		q->max_dest_rd_atomic = a->max_dest_rd_atomic;
	if (mask & IBV_QP_EN_SQD_ASYNC_NOTIFY)
		q->en_sqd_async_notify = a->en_sqd_async_notify;
}

static void qp_reset(struct uroce_qp *qp)
{
	qp->sq.head = qp->sq.tail = 0;
	qp->rq.head = qp->rq.tail = 0;
	memset(&qp->req, 0, sizeof(qp->req));
	memset(&qp->comp, 0, sizeof(qp->comp));
	qp->resp.psn = 0;
	qp->resp.msn = 0;
	qp->resp.nak_sent = false;
	qp->resp.ack_pending = false;
	qp->resp.lazy_ack = 0;
	qp->resp.in_send = false;
	qp->resp.wqe_valid = false;
	qp->resp.in_write = false;
	qp->resp.drop_msg = false;
	memset(qp->resp.hist, 0, qp->resp.nhist * sizeof(*qp->resp.hist));
	qp->txb.n = 0;
	uroce_cq_clean(qp->scq, qp->ibv_qp.qp_num);
	if (qp->rcq != qp->scq)
		uroce_cq_clean(qp->rcq, qp->ibv_qp.qp_num);
}

/*
 * A QP that stops (moved to ERR by the application, or destroyed) first
 * sends the lazy ACK it owes (resp.c): an RNIC would have acknowledged the
 * message at once, and a peer that closes right after its last receive
 * (libfabric's rxm) would otherwise leave the sender's unsignaled SEND
 * unacknowledged, to be flushed in error when the connection goes.
 */
static void ack_before_stop(struct uroce_qp *qp)
{
	if (!qp->resp.lazy_ack ||
	    (qp->state != IBV_QPS_RTR && qp->state != IBV_QPS_RTS &&
	     qp->state != IBV_QPS_SQD))
		return;
	qp->resp.ack_pending = true;
	uroce_resp_flush_ack(qp);
}

static void post_qp_event(struct uroce_qp *qp, enum ibv_event_type type)
{
	struct ibv_async_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.event_type = type;
	ev.element.qp = &qp->ibv_qp;
	verbs_post_async_event(qp->ibv_qp.context, &ev);
}

int uroce_modify_qp(struct ibv_qp *ibqp, struct ibv_qp_attr *attr,
		    int attr_mask)
{
	struct uroce_qp *qp = to_uqp(ibqp);
	enum ibv_qp_state cur, next;
	struct uroce_path path;
	bool sqd_event = false;
	uint16_t sport = 0;
	int ret, sport_fd = -1;

	/*
	 * "wire roce": the flow's port, as rxe sets it with the path; its
	 * socket is opened before the QP is locked (sport.h).
	 */
	if ((attr_mask & IBV_QP_AV) && ibqp->qp_type != IBV_QPT_UD &&
	    qp->sock->steer) {
		sport = uroce_sport_flow(attr->ah_attr.grh.flow_label,
					 ibqp->qp_num,
					 (attr_mask & IBV_QP_DEST_QPN) ?
						 attr->dest_qp_num :
						 qp->attr.dest_qp_num);
		sport_fd = uroce_sport_fd(qp->ctx->dp, &sport);
	}
	pthread_mutex_lock(&qp->lock);
	cur = qp->state;
	next = (attr_mask & IBV_QP_STATE) ? attr->qp_state : cur;
	ret = uroce_qp_modify_check(ibqp->qp_type, cur, attr, attr_mask);
	if (ret)
		goto out;
	if ((attr_mask & IBV_QP_AV) && ibqp->qp_type != IBV_QPT_UD) {
		ret = uroce_gid_path(qp->ctx, attr->ah_attr.grh.sgid_index,
				     &attr->ah_attr.grh.dgid, &path);
		if (ret)
			goto out;
		qp->path = path;
	}
	copy_attrs(qp, attr, attr_mask);
	if (sport)
		uroce_sport_set(qp, sport_fd, sport);
	if (ibqp->qp_type != IBV_QPT_UD)
		uroce_path_set_qpn(&qp->path, qp, qp->attr.dest_qp_num);
	ret = 0;
	if (!(attr_mask & IBV_QP_STATE))
		goto out;

	switch (next) {
	case IBV_QPS_RESET:
		uroce_peer_watch_disarm(qp);
		qp_reset(qp);
		break;
	case IBV_QPS_RTR:
		if (cur == IBV_QPS_INIT) {
			qp->resp.psn = qp->attr.rq_psn;
			qp->resp.msn = 0;
			uroce_peer_watch_arm(qp);
		}
		break;
	case IBV_QPS_RTS:
		if (cur == IBV_QPS_RTR) {
			qp->req.psn = qp->attr.sq_psn;
			qp->req.max_psn = qp->attr.sq_psn;
			qp->req.cwnd = uroce_rc_window(qp);
			qp->comp.psn = qp->attr.sq_psn;
			qp->req.cur = qp->sq.tail;
			qp->req.cur_pkt = 0;
		}
		qp->req.retry = qp->attr.retry_cnt;
		qp->req.rnr_retry = qp->attr.rnr_retry;
		break;
	case IBV_QPS_SQD:
		sqd_event = qp->attr.en_sqd_async_notify;
		break;
	case IBV_QPS_ERR:
		ack_before_stop(qp);
		uroce_qp_error(qp);
		break;
	default:
		break;
	}
	qp->state = next;
	if (next == IBV_QPS_RTS)
		uroce_req_progress(qp);
out:
	pthread_mutex_unlock(&qp->lock);
	/* Nothing is in flight on the wire that SQD would wait for. */
	if (sqd_event)
		post_qp_event(qp, IBV_EVENT_SQ_DRAINED);
	return ret;
}

int uroce_query_qp(struct ibv_qp *ibqp, struct ibv_qp_attr *attr, int attr_mask,
		   struct ibv_qp_init_attr *init_attr)
{
	struct uroce_qp *qp = to_uqp(ibqp);

	(void)attr_mask;
	pthread_mutex_lock(&qp->lock);
	*attr = qp->attr;
	attr->qp_state = qp->state;
	attr->cur_qp_state = qp->state;
	attr->cap = qp->cap;
	attr->sq_draining = 0;
	attr->path_mig_state = IBV_MIG_MIGRATED;
	memset(init_attr, 0, sizeof(*init_attr));
	init_attr->qp_context = ibqp->qp_context;
	init_attr->send_cq = ibqp->send_cq;
	init_attr->recv_cq = ibqp->recv_cq;
	init_attr->srq = ibqp->srq;
	init_attr->cap = qp->cap;
	init_attr->qp_type = ibqp->qp_type;
	init_attr->sq_sig_all = qp->sq_sig_all;
	pthread_mutex_unlock(&qp->lock);
	return 0;
}

/* Unlinks @qp so that no thread can reach it, then frees it. */
static void qp_destroy(struct uroce_dp *dp, struct uroce_qp *qp, bool unlink)
{
	pthread_mutex_lock(&qp->lock);
	ack_before_stop(qp);
	uroce_peer_watch_disarm(qp);
	pthread_mutex_unlock(&qp->lock);
	uroce_sock_detach(qp);
	uroce_mcast_qp_destroy(qp);
	/* Its counters stay in the device totals (the query endpoint). */
	pthread_mutex_lock(&dp->qp_list_lock);
	pthread_mutex_lock(&qp->lock);
	uroce_qp_counters_add(&dp->retired, &qp->cnt);
	if (unlink)
		uroce_list_del(&qp->node);
	pthread_mutex_unlock(&qp->lock);
	pthread_mutex_unlock(&dp->qp_list_lock);
	/* Unlinked: no moving pass can reach it. */
	uroce_lag_qp_fini(qp);
	/* A drainer or the engine may still hold the lock: wait for it. */
	pthread_mutex_lock(&qp->lock);
	pthread_mutex_unlock(&qp->lock);
	atomic_fetch_sub(&qp->scq->use, 1);
	atomic_fetch_sub(&qp->rcq->use, 1);
	atomic_fetch_sub(&qp->pd->use, 1);
	if (qp->srq)
		atomic_fetch_sub(&qp->srq->use, 1);
	uroce_count_put(&qp->ctx->nqp);
	qp_free(qp);
}

int uroce_destroy_qp(struct ibv_qp *ibqp)
{
	struct uroce_qp *qp = to_uqp(ibqp);

	qp_destroy(qp->ctx->dp, qp, true);
	return 0;
}

/* ibv_close_device with QPs left, after the engine has stopped. */
void uroce_qp_destroy_all(struct uroce_context *ctx)
{
	struct uroce_dp *dp = ctx->dp;
	struct uroce_qp *qp;

	while (dp->qps.next != &dp->qps) {
		qp = container_of(dp->qps.next, struct uroce_qp, node);
		uroce_list_del(&qp->node);
		qp_destroy(dp, qp, false);
	}
}
