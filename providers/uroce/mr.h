/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What mr.c offers the rest of the provider. */
#ifndef UROCE_MR_H
#define UROCE_MR_H

#include "providers/uroce/uroce.h"

struct ibv_mr *uroce_reg_mr(struct ibv_pd *ibpd, void *addr, size_t length,
			    uint64_t hca_va, int access);
int uroce_rereg_mr(struct ibv_mr *ibmr, int flags, struct ibv_pd *ibpd,
		   void *addr, size_t length, int access);
int uroce_dereg_mr(struct ibv_mr *ibmr);
int uroce_advise_mr(struct ibv_pd *ibpd, enum ibv_advise_mr_advice advice,
		    uint32_t flags, struct ibv_sge *sg_list, uint32_t num_sges);
void uroce_mr_destroy_all(struct uroce_context *ctx);

/*
 * The MR that @key (an lkey or an rkey: uroce uses one key for both)
 * names, or NULL. The caller holds ctx->mr_lock for reading and checks
 * the MR's access flags and bounds itself.
 */
static inline struct uroce_mr *uroce_mr_lookup(struct uroce_context *ctx,
					       uint32_t key)
{
	return uroce_keytab_lookup(&ctx->mrs, key);
}

/* A random key for an MR or a window: not guessable from the others. */
int uroce_random_key(uint32_t *key);

#endif /* UROCE_MR_H */
