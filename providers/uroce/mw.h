/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What mw.c offers the rest of the provider. */
#ifndef UROCE_MW_H
#define UROCE_MW_H

#include "providers/uroce/dp.h"

struct ibv_mw *uroce_alloc_mw(struct ibv_pd *ibpd, enum ibv_mw_type type);
int uroce_dealloc_mw(struct ibv_mw *ibmw);
void uroce_mw_destroy_all(struct uroce_context *ctx);

/* Memory windows on the data path */

/* Copies a BIND_MW or LOCAL_INV work request; 0 or EINVAL. */
int uroce_mw_copy_wr(struct uroce_qp *qp, const struct ibv_send_wr *wr,
		     struct uroce_send_wqe *wqe);

/*
 * Carries out a BIND_MW or LOCAL_INV WQE; returns 0 or its completion
 * status. Takes ctx->mr_lock for writing: the caller holds no mr_lock.
 */
int uroce_mw_local_op(struct uroce_qp *qp, struct uroce_send_wqe *wqe);

/*
 * Invalidates @rkey as a SEND with Invalidate to @qp asks; 0 or EINVAL.
 * Takes ctx->mr_lock for writing.
 */
int uroce_mw_remote_inv(struct uroce_qp *qp, uint32_t rkey);

/*
 * The host address of [va, va + len) for a remote request of @qp with
 * @rkey (an MR's or a window's) that needs @access; NULL if refused.
 * Under ctx->mr_lock for reading.
 */
void *uroce_rkey_map(struct uroce_qp *qp, uint32_t rkey, uint64_t va,
		     uint64_t len, int access);

#endif /* UROCE_MW_H */
