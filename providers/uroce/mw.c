// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Memory windows, as the kernel's soft-RoCE (rxe) provides them: type 1
 * (bound with ibv_bind_mw, which posts a bind WQE) and type 2B (bound with
 * an IBV_WR_BIND_MW work request, to the QP that posts it, and invalidated
 * by IBV_WR_LOCAL_INV or a SEND with Invalidate). A window's rkey keeps its
 * index (the upper 24 bits) for life; the key byte changes at each bind.
 *
 * Windows live in ctx->mws, keyed by index, under ctx->mr_lock like the
 * MRs: the data path reads them holding it for reading until it is done
 * with the memory, and binds, invalidations and ibv_dealloc_mw change them
 * holding it for writing, so once one returns (or its WQE completed) no
 * packet can still reach memory through the old binding.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "providers/uroce/caps.h"
#include "providers/uroce/dp.h"
#include "providers/uroce/mem.h"
#include "providers/uroce/mr.h"
#include "providers/uroce/mw.h"
#include "providers/uroce/uroce.h"

/* The flags a window may carry; MW_BIND is accepted and means nothing. */
#define MW_ACCESS                                            \
	(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |  \
	 IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_ATOMIC | \
	 IBV_ACCESS_MW_BIND | IBV_ACCESS_ZERO_BASED)

/* Called with mr_lock held for writing. */
static int mw_insert(struct uroce_context *ctx, struct uroce_mw *mw)
{
	uint32_t key;
	int ret;

	do {
		ret = uroce_random_key(&key);
		if (ret)
			return ret;
		key |= UROCE_MW_KEY_BIT;
		ret = uroce_keytab_insert(&ctx->mws, key >> 8, mw);
	} while (ret == EEXIST);
	if (ret)
		return ret;
	mw->index = key >> 8;
	mw->rkey = key;
	return 0;
}

struct ibv_mw *uroce_alloc_mw(struct ibv_pd *ibpd, enum ibv_mw_type type)
{
	struct uroce_context *ctx = to_uctx(ibpd->context);
	struct uroce_mw *mw;
	int ret;

	if (type != IBV_MW_TYPE_1 && type != IBV_MW_TYPE_2) {
		ret = EINVAL;
		goto err;
	}
	mw = uroce_count_alloc(&ctx->nmw, ctx->dev->limits.mw, sizeof(*mw));
	if (!mw)
		return NULL;
	mw->ibv_mw.context = ibpd->context;
	mw->ibv_mw.pd = ibpd;
	mw->ibv_mw.type = type;
	mw->ibv_mw.handle = atomic_fetch_add(&ctx->next_handle, 1);
	mw->pd = to_upd(ibpd);

	pthread_rwlock_wrlock(&ctx->mr_lock);
	ret = mw_insert(ctx, mw);
	pthread_rwlock_unlock(&ctx->mr_lock);
	if (ret)
		goto err_free;
	mw->ibv_mw.rkey = mw->rkey;
	atomic_fetch_add(&mw->pd->use, 1);
	return &mw->ibv_mw;

err_free:
	free(mw);
	uroce_count_put(&ctx->nmw);
err:
	errno = ret;
	return NULL;
}

/* Drops the binding; under mr_lock for writing. */
static void mw_unbind(struct uroce_mw *mw)
{
	if (mw->mr)
		mw->mr->nmw--;
	mw->mr = NULL;
	mw->addr = 0;
	mw->length = 0;
	mw->access = 0;
}

int uroce_dealloc_mw(struct ibv_mw *ibmw)
{
	struct uroce_context *ctx = to_uctx(ibmw->context);
	struct uroce_mw *mw = to_umw(ibmw);
	void *found;

	/* Once the write lock is ours no packet is inside the window. */
	pthread_rwlock_wrlock(&ctx->mr_lock);
	found = uroce_keytab_lookup(&ctx->mws, mw->index);
	if (found == mw) {
		uroce_keytab_remove(&ctx->mws, mw->index);
		mw_unbind(mw);
	}
	pthread_rwlock_unlock(&ctx->mr_lock);
	if (found != mw)
		return EINVAL;

	atomic_fetch_sub(&mw->pd->use, 1);
	uroce_count_put(&ctx->nmw);
	free(mw);
	return 0;
}

static void mw_free(void *obj, void *arg)
{
	free(obj);
}

/* ibv_close_device with windows left: free them (before the MRs). */
void uroce_mw_destroy_all(struct uroce_context *ctx)
{
	uroce_keytab_for_each(&ctx->mws, mw_free, NULL);
	uroce_keytab_free(&ctx->mws);
}

int uroce_mw_copy_wr(struct uroce_qp *qp, const struct ibv_send_wr *wr,
		     struct uroce_send_wqe *wqe)
{
	const struct ibv_mw_bind_info *info = &wr->bind_mw.bind_info;
	struct uroce_mw *mw;

	memset(wqe, 0, sizeof(*wqe));
	wqe->wr_id = wr->wr_id;
	wqe->opcode = wr->opcode;
	wqe->send_flags = wr->send_flags;
	wqe->flags = UROCE_WQE_LOCAL;
	if (wr->opcode == IBV_WR_LOCAL_INV) {
		wqe->imm = wr->invalidate_rkey;
		return 0;
	}
	if (!wr->bind_mw.mw || wr->bind_mw.mw->context != qp->ibv_qp.context)
		return EINVAL;
	mw = to_umw(wr->bind_mw.mw);
	wqe->rkey = wr->bind_mw.rkey;
	wqe->remote_addr = info->addr;
	wqe->bind.length = info->length;
	wqe->bind.mr_lkey = info->mr && info->length ? info->mr->lkey : 0;
	wqe->bind.access = info->mw_access_flags;
	/*
	 * The new rkey keeps the window's index (ibv_inc_rkey()); a key of
	 * another window fails the bind when its turn comes. The window is
	 * found again by index then: it may be gone by that time.
	 */
	if (wqe->rkey >> 8 != mw->index)
		wqe->status = IBV_WC_MW_BIND_ERR;
	return 0;
}

/*
 * The checks of a bind (rxe's and IBTA's), with ctx->mr_lock held for
 * writing; true if @mw may be bound as @wqe asks, to @mr (NULL when
 * the bind has length 0).
 */
static bool bind_ok(struct uroce_qp *qp, const struct uroce_send_wqe *wqe,
		    const struct uroce_mw *mw, const struct uroce_mr *mr)
{
	uint32_t access = wqe->bind.access;
	uint64_t len = wqe->bind.length, addr = wqe->remote_addr;

	if (access & ~MW_ACCESS)
		return false;
	if (mw->ibv_mw.type == IBV_MW_TYPE_1) {
		if (access & IBV_ACCESS_ZERO_BASED) /* o10-36.2.2 */
			return false;
	} else {
		/* o10-37.2.30, C10-72, o10-37.2.40 */
		if (mw->mr || qp->pd != mw->pd || !len)
			return false;
	}
	if (!len)
		return true;
	if (!mr || mr->pd != mw->pd || (mr->access & IBV_ACCESS_ZERO_BASED))
		return false;
	if (!(mr->access & IBV_ACCESS_MW_BIND)) /* C10-73 */
		return false;
	/* C10-74: remote writers need a locally writable MR */
	if ((access & (IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_ATOMIC)) &&
	    !(mr->access & IBV_ACCESS_LOCAL_WRITE))
		return false;
	/* C10-75: inside the MR, without overflow */
	return addr >= mr->iova && addr - mr->iova <= mr->ibv_mr.length &&
	       len <= mr->ibv_mr.length - (addr - mr->iova);
}

static int do_bind(struct uroce_qp *qp, const struct uroce_send_wqe *wqe)
{
	struct uroce_context *ctx = qp->ctx;
	struct uroce_mr *mr = NULL;
	struct uroce_mw *mw;

	mw = uroce_keytab_lookup(&ctx->mws, wqe->rkey >> 8);
	if (!mw)
		return IBV_WC_MW_BIND_ERR;
	if (wqe->bind.length) {
		mr = uroce_mr_lookup(ctx, wqe->bind.mr_lkey);
		if (!mr)
			return IBV_WC_MW_BIND_ERR;
	}
	if (!bind_ok(qp, wqe, mw, mr))
		return IBV_WC_MW_BIND_ERR;
	mw_unbind(mw);
	mw->rkey = wqe->rkey;
	if (mr) {
		mw->mr = mr;
		mr->nmw++;
		mw->addr = wqe->remote_addr;
		mw->length = wqe->bind.length;
		mw->access = (int)wqe->bind.access;
		mw->qp_handle = qp->ibv_qp.handle;
	}
	return 0;
}

/*
 * Invalidates @rkey for @qp: only a bound type 2 window can be (o10-37.2.26),
 * by a QP of its PD locally, by the QP it is bound to remotely. MRs
 * registered with ibv_reg_mr cannot be invalidated (rxe invalidates only
 * fast-registration MRs, which userspace has not). Under mr_lock (write).
 */
static int invalidate(struct uroce_qp *qp, uint32_t rkey, bool remote)
{
	struct uroce_mw *mw;

	if (!uroce_key_is_mw(rkey))
		return EINVAL;
	mw = uroce_keytab_lookup(&qp->ctx->mws, rkey >> 8);
	if (!mw || mw->rkey != rkey || mw->ibv_mw.type != IBV_MW_TYPE_2 ||
	    !mw->mr)
		return EINVAL;
	if (remote ? mw->qp_handle != qp->ibv_qp.handle : mw->pd != qp->pd)
		return EINVAL;
	mw_unbind(mw);
	return 0;
}

int uroce_mw_local_op(struct uroce_qp *qp, struct uroce_send_wqe *wqe)
{
	struct uroce_context *ctx = qp->ctx;
	int ret;

	pthread_rwlock_wrlock(&ctx->mr_lock);
	if (wqe->opcode == IBV_WR_BIND_MW)
		ret = do_bind(qp, wqe);
	else
		ret = invalidate(qp, wqe->imm, false) ? IBV_WC_LOC_QP_OP_ERR :
							0;
	pthread_rwlock_unlock(&ctx->mr_lock);
	return ret;
}

int uroce_mw_remote_inv(struct uroce_qp *qp, uint32_t rkey)
{
	struct uroce_context *ctx = qp->ctx;
	int ret;

	pthread_rwlock_wrlock(&ctx->mr_lock);
	ret = invalidate(qp, rkey, true);
	pthread_rwlock_unlock(&ctx->mr_lock);
	return ret;
}

/*
 * A window's rkey: it must be the window's key now, the window bound and
 * allowing @access, in the QP's PD (type 1) or bound to the QP (type 2),
 * and [va, va + len) inside it (@va counts from its start when it is
 * zero based) and inside its MR, whatever happened to the MR since.
 */
static void *mw_map(struct uroce_qp *qp, uint32_t rkey, uint64_t va,
		    uint64_t len, int access)
{
	struct uroce_mw *mw = uroce_keytab_lookup(&qp->ctx->mws, rkey >> 8);
	uint64_t off;

	if (!mw || mw->rkey != rkey || !mw->mr || mw->pd != qp->pd ||
	    (mw->access & access) != access)
		return NULL;
	if (mw->ibv_mw.type == IBV_MW_TYPE_2 &&
	    mw->qp_handle != qp->ibv_qp.handle)
		return NULL;
	if (mw->access & IBV_ACCESS_ZERO_BASED) {
		off = va;
	} else {
		if (va < mw->addr)
			return NULL;
		off = va - mw->addr;
	}
	if (off > mw->length || len > mw->length - off)
		return NULL;
	/* The MR as it is now: its bounds, its PD still the window's. */
	return uroce_mem_map(qp->ctx, mw->pd, mw->mr->ibv_mr.lkey,
			     mw->addr + off, len, 0);
}

void *uroce_rkey_map(struct uroce_qp *qp, uint32_t rkey, uint64_t va,
		     uint64_t len, int access)
{
	if (uroce_key_is_mw(rkey))
		return mw_map(qp, rkey, va, len, access);
	return uroce_mem_map(qp->ctx, qp->pd, rkey, va, len, access);
}
