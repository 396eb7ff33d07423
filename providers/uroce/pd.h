/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What pd.c offers the rest of the provider. */
#ifndef UROCE_PD_H
#define UROCE_PD_H

#include "providers/uroce/uroce.h"

struct ibv_pd *uroce_alloc_pd(struct ibv_context *ibctx);
int uroce_dealloc_pd(struct ibv_pd *ibpd);
struct ibv_pd *
uroce_alloc_parent_domain(struct ibv_context *ibctx,
			  struct ibv_parent_domain_init_attr *attr);
bool uroce_pd_is_parent(struct ibv_pd *ibpd);
struct uroce_pd *uroce_pd_domain(struct ibv_pd *ibpd);
void uroce_pd_domain_put(struct uroce_pd *dom);
void *uroce_buf_alloc(struct uroce_pd *dom, size_t size, uint64_t type,
		      bool *ext);
void uroce_buf_free(struct uroce_pd *dom, void *ptr, uint64_t type, bool ext);
void uroce_pd_destroy_all(struct uroce_context *ctx);

#endif /* UROCE_PD_H */
