/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What sq.c offers the rest of the provider. */
#ifndef UROCE_SQ_H
#define UROCE_SQ_H

#include "providers/uroce/dp.h"

int uroce_bind_mw(struct ibv_qp *ibqp, struct ibv_mw *ibmw,
		  struct ibv_mw_bind *mw_bind);
int uroce_post_send(struct ibv_qp *ibqp, struct ibv_send_wr *wr,
		    struct ibv_send_wr **bad_wr);

/* Adds a validated copy of @wr to the send ring; under qp->lock. */
int uroce_send_enqueue(struct uroce_qp *qp, const struct ibv_send_wr *wr);

#endif /* UROCE_SQ_H */
