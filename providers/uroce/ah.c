// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Address handles: the destination GID resolved to an IP address once, and
 * the source address from the AH's sgid_index. The UDP port comes from
 * each work request's remote QPN.
 */
#include <errno.h>
#include <stdlib.h>

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
	ah = calloc(1, sizeof(*ah));
	if (!ah) {
		errno = ENOMEM;
		return NULL;
	}
	ret = uroce_gid_path(ctx, attr->grh.sgid_index, &attr->grh.dgid,
			     &ah->path);
	if (ret) {
		free(ah);
		errno = ret;
		return NULL;
	}
	ah->pd = to_upd(ibpd);
	atomic_fetch_add(&ah->pd->use, 1);
	return &ah->ibv_ah;
}

int uroce_destroy_ah(struct ibv_ah *ibah)
{
	struct uroce_ah *ah = to_uah(ibah);

	atomic_fetch_sub(&ah->pd->use, 1);
	free(ah);
	return 0;
}
