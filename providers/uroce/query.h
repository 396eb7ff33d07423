/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What query.c offers the rest of the provider. */
#ifndef UROCE_QUERY_H
#define UROCE_QUERY_H

#include "providers/uroce/uroce.h"

int uroce_query_device_ex(struct ibv_context *ibctx,
			  const struct ibv_query_device_ex_input *input,
			  struct ibv_device_attr_ex *attr, size_t attr_size);

#endif /* UROCE_QUERY_H */
