/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What tx.c offers the rest of the provider. */
#ifndef UROCE_TX_H
#define UROCE_TX_H

#include <sys/types.h>

#include "providers/uroce/dp.h"

/*
 * Queues a packet on @txb; returns its UDP payload length, 0 if dropped,
 * -EFAULT (nothing queued) if the payload @pay is not mapped any more.
 */
ssize_t uroce_tx_add(struct uroce_context *ctx, struct uroce_txb *txb,
		     const struct uroce_path *path, struct uroce_pkt *pkt,
		     const struct iovec *pay, int npay);
void uroce_tx_flush(struct uroce_context *ctx, struct uroce_txb *txb);

/* Where the packet @txb takes next may keep a copy of its payload. */
uint8_t *uroce_tx_copy_slot(struct uroce_context *ctx, struct uroce_txb *txb);

/*
 * Leaves @qp's batch for a later flush (under qp->lock); false when it
 * cannot be held: the caller flushes it. @ack_due: packets sent before
 * the batch's wait for an ACK.
 */
bool uroce_tx_hold(struct uroce_qp *qp, bool ack_due);

/*
 * Sends the batches the QPs of @s hold back, those held @min_age ns at
 * least; under s->lock.
 */
void uroce_tx_flush_held(struct uroce_sock *s, uint64_t min_age);

/* How long a polling application's drains leave a held batch. */
#define UROCE_TX_HOLD_NS 10000

/*
 * Where the packet that @qp's txb takes next keeps a copy of ODP memory
 * until the batch leaves; NULL if it cannot be allocated.
 */
uint8_t *uroce_odp_bounce(struct uroce_qp *qp);

#endif /* UROCE_TX_H */
