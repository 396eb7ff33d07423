// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Address handles: the destination GID resolved to an IP address once, and
 * the source address from the AH's sgid_index. The UDP port comes from
 * each work request's remote QPN.
 */
#include <errno.h>
#include <stdlib.h>

#include "providers/uroce/caps.h"
#include "providers/uroce/ah.h"
#include "providers/uroce/dp.h"
#include "providers/uroce/path.h"
#include "providers/uroce/uroce.h"

struct ibv_ah *uroce_create_ah(struct ibv_pd *ibpd, struct ibv_ah_attr *attr)
{
	struct uroce_context *ctx = to_uctx(ibpd->context);
	struct uroce_ah *ah;
	int ret;

	/* RoCE carries no LRH: an AH without a GRH cannot be routed. */
	if (!attr->is_global || attr->port_num != UROCE_PORT) {
		errno = EINVAL;
		return NULL;
	}
	ah = uroce_count_alloc(&ctx->nah, ctx->dev->limits.ah, sizeof(*ah));
	if (!ah)
		return NULL;
	ret = uroce_gid_path(ctx, attr->grh.sgid_index, &attr->grh.dgid,
			     &ah->path);
	if (ret)
		goto err;
	ah->pd = to_upd(ibpd);
	atomic_fetch_add(&ah->pd->use, 1);
	pthread_mutex_lock(&ctx->obj_lock);
	uroce_list_add(&ctx->ahs, &ah->node);
	pthread_mutex_unlock(&ctx->obj_lock);
	return &ah->ibv_ah;
err:
	free(ah);
	uroce_count_put(&ctx->nah);
	errno = ret;
	return NULL;
}

int uroce_destroy_ah(struct ibv_ah *ibah)
{
	struct uroce_context *ctx = to_uctx(ibah->context);
	struct uroce_ah *ah = to_uah(ibah);

	pthread_mutex_lock(&ctx->obj_lock);
	uroce_list_del(&ah->node);
	pthread_mutex_unlock(&ctx->obj_lock);
	atomic_fetch_sub(&ah->pd->use, 1);
	uroce_count_put(&ctx->nah);
	free(ah);
	return 0;
}

/* ibv_close_device with AHs left: free them as the kernel would. */
void uroce_ah_destroy_all(struct uroce_context *ctx)
{
	uroce_list_drain(&ctx->ahs, struct uroce_ah, node, free);
}
