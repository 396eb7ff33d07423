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

/*
 * Where the packet that @qp's txb takes next keeps a copy of ODP memory
 * until the batch leaves; NULL if it cannot be allocated.
 */
uint8_t *uroce_odp_bounce(struct uroce_qp *qp);

#endif /* UROCE_TX_H */
