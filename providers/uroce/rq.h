/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What rq.c offers the rest of the provider. */
#ifndef UROCE_RQ_H
#define UROCE_RQ_H

#include "providers/uroce/uroce.h"

int uroce_post_recv(struct ibv_qp *ibqp, struct ibv_recv_wr *wr,
		    struct ibv_recv_wr **bad_wr);

#endif /* UROCE_RQ_H */
