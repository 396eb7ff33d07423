// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Protection domains. */
#include <errno.h>
#include <stdlib.h>

#include "providers/uroce/caps.h"
#include "providers/uroce/uroce.h"

struct ibv_pd *uroce_alloc_pd(struct ibv_context *ibctx)
{
	struct uroce_context *ctx = to_uctx(ibctx);
	struct uroce_pd *pd;

	if (!uroce_count_get(&ctx->npd, UROCE_MAX_PD)) {
		errno = ENOMEM;
		return NULL;
	}
	pd = calloc(1, sizeof(*pd));
	if (!pd) {
		uroce_count_put(&ctx->npd);
		errno = ENOMEM;
		return NULL;
	}
	pd->ibv_pd.context = ibctx;
	pd->ibv_pd.handle = atomic_fetch_add(&ctx->next_handle, 1);
	pthread_mutex_lock(&ctx->obj_lock);
	uroce_list_add(&ctx->pds, &pd->node);
	pthread_mutex_unlock(&ctx->obj_lock);
	return &pd->ibv_pd;
}

int uroce_dealloc_pd(struct ibv_pd *ibpd)
{
	struct uroce_context *ctx = to_uctx(ibpd->context);
	struct uroce_pd *pd = to_upd(ibpd);

	/* Objects created on it still hold it: refuse, as the kernel does. */
	if (atomic_load(&pd->use))
		return EBUSY;
	pthread_mutex_lock(&ctx->obj_lock);
	uroce_list_del(&pd->node);
	pthread_mutex_unlock(&ctx->obj_lock);
	uroce_count_put(&ctx->npd);
	free(pd);
	return 0;
}

/* ibv_close_device with PDs left: free them as the kernel would. */
void uroce_pd_destroy_all(struct uroce_context *ctx)
{
	struct uroce_pd *pd;

	while (ctx->pds.next != &ctx->pds) {
		pd = container_of(ctx->pds.next, struct uroce_pd, node);
		uroce_list_del(&pd->node);
		free(pd);
	}
}
