/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What qp.c, qp_ex.c offer the rest of the provider. */
#ifndef UROCE_QP_H
#define UROCE_QP_H

#include "providers/uroce/uroce.h"

struct ibv_qp *uroce_create_qp(struct ibv_pd *ibpd,
			       struct ibv_qp_init_attr *attr);
int uroce_modify_qp(struct ibv_qp *ibqp, struct ibv_qp_attr *attr,
		    int attr_mask);
int uroce_query_qp(struct ibv_qp *ibqp, struct ibv_qp_attr *attr, int attr_mask,
		   struct ibv_qp_init_attr *init_attr);
int uroce_destroy_qp(struct ibv_qp *ibqp);
struct ibv_qp *uroce_create_qp_ex(struct ibv_context *ibctx,
				  struct ibv_qp_init_attr_ex *attr);
struct ibv_qp_ex *uroce_qp_to_qp_ex(struct ibv_qp *ibqp);
void uroce_qp_destroy_all(struct uroce_context *ctx);

#endif /* UROCE_QP_H */
