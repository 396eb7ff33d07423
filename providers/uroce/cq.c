// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Completion queues: a ring of struct ibv_wc per CQ under its own lock.
 * The data path adds completions with uroce_cq_push(); the application
 * takes them with ibv_poll_cq().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "providers/uroce/caps.h"
#include "providers/uroce/cq.h"
#include "providers/uroce/dp.h"
#include "providers/uroce/pd.h"
#include "providers/uroce/uroce.h"

/* The ring for @cqe usable entries: one slot stays free. */
static uint32_t ring_size(int cqe)
{
	uint32_t size = 1;

	while (size < (uint32_t)cqe + 1)
		size <<= 1;
	return size;
}

/* The completion ring, from the parent domain's allocator if any. */
static struct ibv_wc *ring_alloc(struct uroce_cq *cq, uint32_t size, bool *ext)
{
	return uroce_buf_alloc(cq->dom, (size_t)size * sizeof(*cq->ring),
			       UROCE_RES_TYPE_CQ, ext);
}

static void ring_free(struct uroce_cq *cq, struct ibv_wc *ring, bool ext)
{
	if (ring)
		uroce_buf_free(cq->dom, ring, UROCE_RES_TYPE_CQ, ext);
}

/*
 * Creates a CQ for ibv_create_cq and ibv_create_cq_ex (cq_ex.c), with
 * cq_context NULL. @timestamps: keep a completion time per ring slot.
 * @dom: the parent domain it is created on (held), or NULL.
 * Returns NULL with errno set on failure.
 */
struct uroce_cq *uroce_cq_create(struct ibv_context *ibctx, int cqe,
				 struct ibv_comp_channel *channel,
				 int comp_vector, bool timestamps,
				 struct uroce_pd *dom)
{
	struct uroce_context *ctx = to_uctx(ibctx);
	struct uroce_cq *cq;
	int ret;

	if (cqe < 1 || cqe > UROCE_MAX_CQE || comp_vector < 0 ||
	    comp_vector >= ibctx->num_comp_vectors) {
		uroce_pd_domain_put(dom);
		errno = EINVAL;
		return NULL;
	}
	cq = uroce_count_alloc(&ctx->ncq, ctx->dev->limits.cq, sizeof(*cq));
	if (!cq) {
		uroce_pd_domain_put(dom);
		return NULL;
	}
	ret = ENOMEM;
	cq->dom = dom;
	cq->size = ring_size(cqe);
	cq->ring = ring_alloc(cq, cq->size, &cq->ring_ext);
	if (!cq->ring)
		goto err_free;
	if (timestamps) {
		cq->ts = calloc(cq->size, sizeof(*cq->ts));
		if (!cq->ts)
			goto err_free;
		cq->timestamps = true;
	}
	ret = pthread_spin_init(&cq->lock, PTHREAD_PROCESS_PRIVATE);
	if (ret)
		goto err_free;
	ret = pthread_spin_init(&cq->poll_lock, PTHREAD_PROCESS_PRIVATE);
	if (ret)
		goto err_lock;

	verbs_init_cq(&cq->ibv_cq, ibctx, channel, NULL);
	cq->ibv_cq.cqe = cq->size - 1;
	cq->ibv_cq.handle = atomic_fetch_add(&ctx->next_handle, 1);
	pthread_mutex_lock(&ctx->obj_lock);
	uroce_list_add(&ctx->cqs, &cq->node);
	pthread_mutex_unlock(&ctx->obj_lock);
	return cq;

err_lock:
	pthread_spin_destroy(&cq->lock);
err_free:
	free(cq->ts);
	ring_free(cq, cq->ring, cq->ring_ext);
	free(cq);
	uroce_pd_domain_put(dom);
	uroce_count_put(&ctx->ncq);
	errno = ret;
	return NULL;
}

struct ibv_cq *uroce_create_cq(struct ibv_context *ibctx, int cqe,
			       struct ibv_comp_channel *channel,
			       int comp_vector)
{
	struct uroce_cq *cq;

	cq = uroce_cq_create(ibctx, cqe, channel, comp_vector, false, NULL);
	return cq ? &cq->ibv_cq : NULL;
}

/* cq_ex.c's start_poll/next_poll drain the ring too: keep them in step. */
int uroce_poll_cq(struct ibv_cq *ibcq, int num_entries, struct ibv_wc *wc)
{
	struct uroce_cq *cq = to_ucq(ibcq);
	uint32_t avail, i;

	if (num_entries < 0 || (num_entries && !wc))
		return -EINVAL;

	pthread_spin_lock(&cq->lock);
	avail = cq->tail - cq->head;
	if (avail > (uint32_t)num_entries)
		avail = num_entries;
	for (i = 0; i < avail; i++)
		wc[i] = cq->ring[(cq->head + i) & (cq->size - 1)];
	cq->head += avail;
	pthread_spin_unlock(&cq->lock);
	return avail;
}

/*
 * Drops @qp_num's completions not yet polled, as mlx4/mlx5 do when a QP
 * is reset: a QP brought back from ERR through RESET does not hand the
 * flushes of its old life to the application's next poll.
 */
void uroce_cq_clean(struct uroce_cq *cq, uint32_t qp_num)
{
	uint32_t i, n, mask = cq->size - 1;

	pthread_spin_lock(&cq->lock);
	for (i = n = cq->head; i != cq->tail; i++) {
		if (cq->ring[i & mask].qp_num == qp_num)
			continue;
		if (n != i) {
			cq->ring[n & mask] = cq->ring[i & mask];
			if (cq->ts)
				cq->ts[n & mask] = cq->ts[i & mask];
		}
		n++;
	}
	cq->tail = n;
	pthread_spin_unlock(&cq->lock);
}

int uroce_req_notify_cq(struct ibv_cq *ibcq, int solicited_only)
{
	struct uroce_cq *cq = to_ucq(ibcq);

	pthread_spin_lock(&cq->lock);
	/* A request for any completion is not narrowed by a later one. */
	if (cq->armed)
		cq->solicited_only = cq->solicited_only && solicited_only;
	else
		cq->solicited_only = solicited_only;
	cq->armed = true;
	pthread_spin_unlock(&cq->lock);
	return 0;
}

int uroce_cq_push(struct uroce_cq *cq, const struct ibv_wc *wc, bool solicited)
{
	bool notify = false, overrun = false;
	struct ibv_async_event ev;
	uint64_t now = cq->timestamps ? uroce_cq_clock_ns() : 0;

	pthread_spin_lock(&cq->lock);
	if (cq->overrun || cq->tail - cq->head >= cq->size - 1) {
		/* Overrun leaves the CQ in error for good (IBTA CQ overrun). */
		overrun = !cq->overrun;
		cq->overrun = true;
		cq->overflows++;
		pthread_spin_unlock(&cq->lock);
		uroce_cnt_add(to_uctx(cq->ibv_cq.context)->dp->cnt.cq_overflows,
			      1);
		if (overrun) {
			memset(&ev, 0, sizeof(ev));
			ev.event_type = IBV_EVENT_CQ_ERR;
			ev.element.cq = &cq->ibv_cq;
			verbs_post_async_event(cq->ibv_cq.context, &ev);
		}
		return ENOSPC;
	}
	cq->ring[cq->tail & (cq->size - 1)] = *wc;
	if (cq->ts)
		cq->ts[cq->tail & (cq->size - 1)] = now;
	cq->tail++;
	/* Solicited-only arming also fires on errors, as the IBTA asks. */
	if (cq->armed && (!cq->solicited_only || solicited ||
			  wc->status != IBV_WC_SUCCESS)) {
		cq->armed = false;
		notify = true;
	}
	pthread_spin_unlock(&cq->lock);

	if (notify && cq->ibv_cq.channel)
		verbs_post_comp_event(cq->ibv_cq.channel, &cq->ibv_cq);
	return 0;
}

int uroce_resize_cq(struct ibv_cq *ibcq, int cqe)
{
	struct uroce_cq *cq = to_ucq(ibcq);
	struct ibv_wc *ring, *old;
	uint64_t *ts = NULL, *old_ts;
	uint32_t size, used, i;
	bool ext, old_ext;

	if (cqe < 1 || cqe > UROCE_MAX_CQE)
		return EINVAL;
	size = ring_size(cqe);
	ring = ring_alloc(cq, size, &ext);
	if (!ring)
		return ENOMEM;
	if (cq->timestamps) {
		ts = calloc(size, sizeof(*ts));
		if (!ts) {
			ring_free(cq, ring, ext);
			return ENOMEM;
		}
	}

	pthread_spin_lock(&cq->lock);
	used = cq->tail - cq->head;
	if (used > size - 1) {
		pthread_spin_unlock(&cq->lock);
		free(ts);
		ring_free(cq, ring, ext);
		return EINVAL;
	}
	for (i = 0; i < used; i++) {
		ring[i] = cq->ring[(cq->head + i) & (cq->size - 1)];
		if (ts)
			ts[i] = cq->ts[(cq->head + i) & (cq->size - 1)];
	}
	old = cq->ring;
	old_ext = cq->ring_ext;
	old_ts = cq->ts;
	cq->ring = ring;
	cq->ring_ext = ext;
	cq->ts = ts;
	cq->size = size;
	cq->head = 0;
	cq->tail = used;
	cq->ibv_cq.cqe = size - 1;
	pthread_spin_unlock(&cq->lock);
	ring_free(cq, old, old_ext);
	free(old_ts);
	return 0;
}

static void cq_free(struct uroce_cq *cq)
{
	pthread_spin_destroy(&cq->poll_lock);
	pthread_spin_destroy(&cq->lock);
	free(cq->ts);
	ring_free(cq, cq->ring, cq->ring_ext);
	uroce_pd_domain_put(cq->dom);
	free(cq);
}

int uroce_destroy_cq(struct ibv_cq *ibcq)
{
	struct uroce_context *ctx = to_uctx(ibcq->context);
	struct uroce_cq *cq = to_ucq(ibcq);

	if (atomic_load(&cq->use))
		return EBUSY;
	pthread_mutex_lock(&ctx->obj_lock);
	uroce_list_del(&cq->node);
	pthread_mutex_unlock(&ctx->obj_lock);
	uroce_count_put(&ctx->ncq);
	cq_free(cq);
	return 0;
}

/* ibv_close_device with CQs left: free them as the kernel would. */
void uroce_cq_destroy_all(struct uroce_context *ctx)
{
	uroce_list_drain(&ctx->cqs, struct uroce_cq, node, cq_free);
}
