/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What context.c offers the rest of the provider. */
#ifndef UROCE_CONTEXT_H
#define UROCE_CONTEXT_H

#include "providers/uroce/uroce.h"

struct verbs_context *uroce_alloc_context(struct ibv_device *ibdev,
					  void *private_data);
void uroce_free_context(struct ibv_context *ibctx);

#endif /* UROCE_CONTEXT_H */
