// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Shared receive queues: a ring of receive WQEs under a spinlock that the
 * responders of the QPs using it take from. Arming a limit posts
 * IBV_EVENT_SRQ_LIMIT_REACHED once fewer WQEs than the limit are left.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "providers/uroce/dp.h"
#include "providers/uroce/pd.h"
#include "providers/uroce/recv_wqe.h"
#include "providers/uroce/srq.h"
#include "providers/uroce/uroce.h"

struct ibv_srq *uroce_create_srq(struct ibv_pd *ibpd,
				 struct ibv_srq_init_attr *attr)
{
	struct uroce_context *ctx = to_uctx(ibpd->context);
	struct uroce_srq *srq;
	uint32_t n, nsge;

	if (!attr->attr.max_wr || attr->attr.max_wr > UROCE_MAX_SRQ_WR ||
	    attr->attr.max_sge > UROCE_MAX_SRQ_SGE ||
	    attr->attr.srq_limit > attr->attr.max_wr) {
		errno = EINVAL;
		return NULL;
	}
	srq = uroce_count_alloc(&ctx->nsrq, ctx->dev->limits.srq, sizeof(*srq));
	if (!srq)
		return NULL;
	n = 1;
	while (n < attr->attr.max_wr)
		n <<= 1;
	nsge = attr->attr.max_sge ? attr->attr.max_sge : 1;
	srq->rq.size = n;
	srq->rq.stride = (uint32_t)(sizeof(struct uroce_recv_wqe) +
				    nsge * sizeof(struct ibv_sge));
	srq->dom = uroce_pd_domain(ibpd);
	srq->rq.buf = uroce_buf_alloc(srq->dom, (size_t)n * srq->rq.stride,
				      UROCE_RES_TYPE_SRQ, &srq->rq.ext);
	if (!srq->rq.buf) {
		uroce_pd_domain_put(srq->dom);
		free(srq);
		uroce_count_put(&ctx->nsrq);
		errno = ENOMEM;
		return NULL;
	}
	pthread_spin_init(&srq->lock, PTHREAD_PROCESS_PRIVATE);
	srq->pd = to_upd(ibpd);
	srq->max_wr = attr->attr.max_wr;
	srq->max_sge = nsge;
	srq->limit = attr->attr.srq_limit;
	atomic_fetch_add(&srq->pd->use, 1);
	srq->ibv_srq.handle = atomic_fetch_add(&ctx->next_handle, 1);
	pthread_mutex_lock(&ctx->obj_lock);
	uroce_list_add(&ctx->srqs, &srq->node);
	pthread_mutex_unlock(&ctx->obj_lock);
	attr->attr.max_sge = nsge;
	return &srq->ibv_srq;
}

int uroce_modify_srq(struct ibv_srq *ibsrq, struct ibv_srq_attr *attr, int mask)
{
	struct uroce_srq *srq = to_usrq(ibsrq);
	int ret = 0;

	if (mask & ~(IBV_SRQ_MAX_WR | IBV_SRQ_LIMIT))
		return EINVAL;
	/* Resizing is not offered (no IBV_DEVICE_SRQ_RESIZE). */
	if (mask & IBV_SRQ_MAX_WR)
		return EINVAL;
	pthread_spin_lock(&srq->lock);
	if (attr->srq_limit > srq->max_wr)
		ret = EINVAL;
	else
		srq->limit = attr->srq_limit;
	pthread_spin_unlock(&srq->lock);
	return ret;
}

int uroce_query_srq(struct ibv_srq *ibsrq, struct ibv_srq_attr *attr)
{
	struct uroce_srq *srq = to_usrq(ibsrq);

	pthread_spin_lock(&srq->lock);
	attr->max_wr = srq->max_wr;
	attr->max_sge = srq->max_sge;
	attr->srq_limit = srq->limit;
	pthread_spin_unlock(&srq->lock);
	return 0;
}

static void srq_free(struct uroce_srq *srq)
{
	atomic_fetch_sub(&srq->pd->use, 1);
	pthread_spin_destroy(&srq->lock);
	uroce_buf_free(srq->dom, srq->rq.buf, UROCE_RES_TYPE_SRQ, srq->rq.ext);
	uroce_pd_domain_put(srq->dom);
	free(srq);
}

int uroce_destroy_srq(struct ibv_srq *ibsrq)
{
	struct uroce_context *ctx = to_uctx(ibsrq->context);
	struct uroce_srq *srq = to_usrq(ibsrq);

	if (atomic_load(&srq->use))
		return EBUSY;
	pthread_mutex_lock(&ctx->obj_lock);
	uroce_list_del(&srq->node);
	pthread_mutex_unlock(&ctx->obj_lock);
	srq_free(srq);
	uroce_count_put(&ctx->nsrq);
	return 0;
}

/* ibv_close_device with SRQs left, after their QPs are gone. */
void uroce_srq_destroy_all(struct uroce_context *ctx)
{
	uroce_list_drain(&ctx->srqs, struct uroce_srq, node, srq_free);
}

int uroce_post_srq_recv(struct ibv_srq *ibsrq, struct ibv_recv_wr *wr,
			struct ibv_recv_wr **bad_wr)
{
	struct uroce_srq *srq = to_usrq(ibsrq);
	int ret;

	pthread_spin_lock(&srq->lock);
	ret = uroce_rq_post(&srq->rq, srq->max_wr, srq->max_sge, wr, bad_wr);
	pthread_spin_unlock(&srq->lock);
	return ret;
}

bool uroce_srq_take(struct uroce_srq *srq, struct uroce_recv_wqe *buf)
{
	struct ibv_async_event ev;
	struct uroce_recv_wqe *wqe;
	bool limit = false;

	pthread_spin_lock(&srq->lock);
	if (srq->rq.tail == srq->rq.head) {
		pthread_spin_unlock(&srq->lock);
		return false;
	}
	wqe = uroce_ring_at(&srq->rq, srq->rq.tail);
	memcpy(buf, wqe, sizeof(*wqe) + wqe->num_sge * sizeof(struct ibv_sge));
	srq->rq.tail++;
	if (srq->limit && srq->rq.head - srq->rq.tail < srq->limit) {
		srq->limit = 0; /* the event disarms it */
		limit = true;
	}
	pthread_spin_unlock(&srq->lock);
	if (limit) {
		memset(&ev, 0, sizeof(ev));
		ev.event_type = IBV_EVENT_SRQ_LIMIT_REACHED;
		ev.element.srq = &srq->ibv_srq;
		verbs_post_async_event(srq->ibv_srq.context, &ev);
	}
	return true;
}
