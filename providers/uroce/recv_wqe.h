/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What recv_wqe.c offers the rest of the provider. */
#ifndef UROCE_RECV_WQE_H
#define UROCE_RECV_WQE_H

#include "providers/uroce/dp.h"

/* Copies receive WRs into @rq, a QP's or an SRQ's ring. */
int uroce_rq_post(struct uroce_ring *rq, uint32_t max_wr, uint32_t max_sge,
		  struct ibv_recv_wr *wr, struct ibv_recv_wr **bad_wr);

#endif /* UROCE_RECV_WQE_H */
