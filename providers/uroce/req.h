/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What req.c offers the rest of the provider. */
#ifndef UROCE_REQ_H
#define UROCE_REQ_H

#include "providers/uroce/dp.h"

/* Sends what it can; under qp->lock */
void uroce_req_progress(struct uroce_qp *qp);
/*
 * The same after the application posted (under qp->lock): a stream of
 * small messages may leave in one send, later (tx.c).
 */
void uroce_req_post(struct uroce_qp *qp);

/* Resends from @psn on. */
void uroce_req_rewind(struct uroce_qp *qp, uint32_t psn);

/*
 * The started WQE whose PSNs hold @psn, and its index in @idx; else NULL,
 * @idx then the first WQE not started (or sq.head).
 */
struct uroce_send_wqe *uroce_sq_find_psn(struct uroce_qp *qp, uint32_t psn,
					 uint32_t *idx);

/* After ACKs overtook a rewind: restarts from the oldest unacked PSN. */
void uroce_req_sync(struct uroce_qp *qp);

/*
 * Sends again every packet of @qp not acknowledged yet, from the oldest
 * on, as a retransmission timeout or a LAG failover asks.
 */
void uroce_req_requeue(struct uroce_qp *qp);

#endif /* UROCE_REQ_H */
