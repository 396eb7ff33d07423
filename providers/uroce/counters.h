/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Data path counters, always on. Per-context counters are bumped with
 * relaxed atomics by whichever thread sees the event; per-QP counters are
 * plain fields under the QP's lock. A packet received and not used is
 * counted once under its enum uroce_drop_reason, in its QP's drops when it
 * reached one and in its context's (uroce_qp_drop()); one answered instead
 * (dup_reqs, a NAK sent) is no drop.
 */
#ifndef UROCE_COUNTERS_H
#define UROCE_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

#include "providers/uroce/pkt.h"

struct uroce_counters {
	uint64_t tx_pkts, tx_bytes; /* accepted by the kernel */
	uint64_t rx_pkts, rx_bytes;
	uint64_t tx_errors; /* sendmmsg failed */
	uint64_t cq_overflows;
	uint64_t drops[UROCE_DROP_MAX]; /* by enum uroce_drop_reason */
	uint64_t fault_drop, fault_dup, fault_reorder;
};

struct uroce_qp_counters {
	uint64_t tx_pkts, tx_bytes; /* built, retransmissions included */
	uint64_t rx_pkts, rx_bytes; /* accepted for this QP */
	uint64_t retrans; /* rewinds of the requester */
	uint64_t retrans_pkts; /* RC packets sent again */
	uint64_t timeouts;
	uint64_t seq_naks_sent, seq_naks_rcvd;
	uint64_t rnr_naks_sent, rnr_naks_rcvd;
	uint64_t err_naks_sent, err_naks_rcvd;
	uint64_t dup_reqs; /* duplicates the responder answered again */
	uint64_t drops[UROCE_DROP_MAX];
};

/* @to += @from, field by field: every field is a uint64_t. */
static inline void uroce_qp_counters_add(struct uroce_qp_counters *to,
					 const struct uroce_qp_counters *from)
{
	uint64_t *t = (uint64_t *)to;
	const uint64_t *f = (const uint64_t *)from;
	size_t i;

	_Static_assert(sizeof(*to) % sizeof(uint64_t) == 0, "uint64 only");
	for (i = 0; i < sizeof(*to) / sizeof(uint64_t); i++)
		t[i] += f[i];
}

#define uroce_cnt_add(field, n) \
	__atomic_fetch_add(&(field), (n), __ATOMIC_RELAXED)

#endif /* UROCE_COUNTERS_H */
