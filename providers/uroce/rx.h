/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What rx.c offers the rest of the provider. */
#ifndef UROCE_RX_H
#define UROCE_RX_H

#include "providers/uroce/dp.h"

/* Receives and processes what @s holds; false if another thread was. */
bool uroce_rx_drain(struct uroce_dp *dp, struct uroce_sock *s, bool engine);

/* Waits for the drainer of @s, then receives all that has arrived. */
void uroce_rx_drain_wait(struct uroce_dp *dp, struct uroce_sock *s);

/* Sends the ACKs that drains held back, where no drainer is busy. */
void uroce_rx_flush_deferred(struct uroce_dp *dp);
/*
 * Sends the transmit batches QPs hold back (tx.c); true if a socket's
 * drainer was busy, which may have left some.
 */
bool uroce_rx_flush_held(struct uroce_dp *dp);

#ifdef UROCE_FUZZ
/*
 * Fuzz build only: processes datagrams [0, @n) of @s's batch (msg, iov
 * contents, from, cmsg) as a drain would after recvmmsg; under s->lock.
 */
void uroce_rx_fuzz_batch(struct uroce_dp *dp, struct uroce_sock *s,
			 unsigned int n);
#endif

#endif /* UROCE_RX_H */
