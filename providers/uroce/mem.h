/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What mem.c offers the rest of the provider. */
#ifndef UROCE_MEM_H
#define UROCE_MEM_H

#include "providers/uroce/uroce.h"

/* Checked access to registered memory, under ctx->mr_lock */

/*
 * The host address of [va, va + len) in the MR of @key, if the MR belongs
 * to @pd, allows @access and covers the range; NULL otherwise.
 */
void *uroce_mem_map(struct uroce_context *ctx, struct uroce_pd *pd,
		    uint32_t key, uint64_t va, uint64_t len, int access);

/* Whether @key names an ODP MR (an MW or a bad key: not ODP). */
bool uroce_mem_is_odp(struct uroce_context *ctx, uint32_t key);

/*
 * memcpy to or from registered memory; false, with nothing done past the
 * fault, when a page of either range is not mapped (or not writable for
 * @dst) any more.
 */
bool uroce_mem_copy(void *dst, const void *src, size_t n);

/*
 * Copies between @buf and the scatter list @sge at byte @offset of it.
 * @to_sge: write into the list (needs LOCAL_WRITE). Returns 0,
 * IBV_WC_LOC_LEN_ERR or IBV_WC_LOC_PROT_ERR.
 */
int uroce_sge_copy(struct uroce_context *ctx, struct uroce_pd *pd,
		   const struct ibv_sge *sge, uint32_t nsge, uint32_t offset,
		   void *buf, uint32_t len, bool to_sge);

/*
 * Fills @iov with the *@niov pieces of [offset, offset + len) of @sge;
 * *@odp says whether one of them is in an ODP MR (to be copied
 * fault-safely). Returns 0, IBV_WC_LOC_LEN_ERR or IBV_WC_LOC_PROT_ERR.
 */
int uroce_sge_iov(struct uroce_context *ctx, struct uroce_pd *pd,
		  const struct ibv_sge *sge, uint32_t nsge, uint32_t offset,
		  uint32_t len, struct iovec *iov, int maxiov, int *niov,
		  bool *odp);

#endif /* UROCE_MEM_H */
