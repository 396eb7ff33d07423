/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What resp.c offers the rest of the provider. */
#ifndef UROCE_RESP_H
#define UROCE_RESP_H

#include "providers/uroce/dp.h"

/* A request packet for @qp, from @from; under qp->lock */
void uroce_resp_rx(struct uroce_qp *qp, struct uroce_pkt *pkt);
void uroce_resp_flush_ack(struct uroce_qp *qp);

/* Flushes the receive queue in error (uroce_qp_error). */
void uroce_resp_flush(struct uroce_qp *qp);

/* Adds a pending ACK to the QP's transmit batch, without sending it. */
void uroce_resp_queue_ack(struct uroce_qp *qp);

/* Sends a lazy ACK that is due; returns when the next one is, or 0. */
uint64_t uroce_resp_timers(struct uroce_qp *qp, uint64_t now);

#endif /* UROCE_RESP_H */
