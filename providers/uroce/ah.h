/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What ah.c offers the rest of the provider. */
#ifndef UROCE_AH_H
#define UROCE_AH_H

#include "providers/uroce/uroce.h"

void uroce_ah_destroy_all(struct uroce_context *ctx);
struct ibv_ah *uroce_create_ah(struct ibv_pd *ibpd, struct ibv_ah_attr *attr);
int uroce_destroy_ah(struct ibv_ah *ibah);

#endif /* UROCE_AH_H */
