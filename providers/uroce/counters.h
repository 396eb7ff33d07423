/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Data path counters, always on. Per-context counters are bumped with
 * relaxed atomics by whichever thread sees the event; per-QP counters are
 * plain fields under the QP's lock.
 */
#ifndef UROCE_COUNTERS_H
#define UROCE_COUNTERS_H

#include <stdint.h>

#include "providers/uroce/pkt.h"

struct uroce_counters {
	uint64_t tx_pkts, tx_bytes;
	uint64_t rx_pkts, rx_bytes;
	uint64_t tx_errors; /* sendmmsg failed */
	uint64_t drops[UROCE_DROP_MAX]; /* by enum uroce_drop_reason */
	uint64_t fault_drop, fault_dup, fault_reorder;
};

struct uroce_qp_counters {
	uint64_t tx_pkts, rx_pkts;
	uint64_t retrans; /* rewinds of the requester */
	uint64_t timeouts;
	uint64_t seq_naks_sent, seq_naks_rcvd;
	uint64_t rnr_naks_sent, rnr_naks_rcvd;
	uint64_t err_naks_sent, err_naks_rcvd;
	uint64_t dup_reqs; /* duplicates the responder answered again */
	uint64_t drops[UROCE_DROP_MAX];
};

#define uroce_cnt_add(field, n) \
	__atomic_fetch_add(&(field), (n), __ATOMIC_RELAXED)

#endif /* UROCE_COUNTERS_H */
