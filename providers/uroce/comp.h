/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What comp.c offers the rest of the provider. */
#ifndef UROCE_COMP_H
#define UROCE_COMP_H

#include "providers/uroce/dp.h"

/* A response packet for @qp; under qp->lock */
void uroce_comp_rx(struct uroce_qp *qp, struct uroce_pkt *pkt);

/*
 * Completes @wqe, the oldest send WQE, with @status, then the local
 * operations carried out after it; under qp->lock.
 */
void uroce_comp_complete(struct uroce_qp *qp, struct uroce_send_wqe *wqe,
			 enum ibv_wc_status status);

/* Moves @qp to ERR and flushes its queues; under qp->lock. */
void uroce_qp_error(struct uroce_qp *qp);

/* Runs @qp's expired timers; returns its next deadline or 0. */
uint64_t uroce_comp_timers(struct uroce_qp *qp, uint64_t now);

#endif /* UROCE_COMP_H */
