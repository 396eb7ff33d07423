/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What srq.c offers the rest of the provider. */
#ifndef UROCE_SRQ_H
#define UROCE_SRQ_H

#include "providers/uroce/dp.h"

struct ibv_srq *uroce_create_srq(struct ibv_pd *ibpd,
				 struct ibv_srq_init_attr *attr);
int uroce_modify_srq(struct ibv_srq *ibsrq, struct ibv_srq_attr *attr,
		     int mask);
int uroce_query_srq(struct ibv_srq *ibsrq, struct ibv_srq_attr *attr);
int uroce_destroy_srq(struct ibv_srq *ibsrq);
int uroce_post_srq_recv(struct ibv_srq *ibsrq, struct ibv_recv_wr *wr,
			struct ibv_recv_wr **bad_wr);
bool uroce_srq_take(struct uroce_srq *srq, struct uroce_recv_wqe *buf);
void uroce_srq_destroy_all(struct uroce_context *ctx);

#endif /* UROCE_SRQ_H */
