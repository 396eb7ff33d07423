/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * 24-bit packet sequence number arithmetic (IBTA 9.7.1). PSNs wrap modulo
 * 2^24, so "before" and "after" only make sense within half the space: a
 * PSN exactly 2^23 away from another counts as before it, which is what an
 * RC responder needs (it treats that PSN as a duplicate, not as a future
 * one). Arguments must already be 24-bit values.
 */
#ifndef UROCE_PSN_H
#define UROCE_PSN_H

#include <stdbool.h>
#include <stdint.h>

#define UROCE_PSN_BITS 24
#define UROCE_PSN_MASK 0xffffffu
#define UROCE_PSN_HALF 0x800000u

static inline bool uroce_psn_valid(uint32_t psn)
{
	return psn <= UROCE_PSN_MASK;
}

static inline uint32_t uroce_psn_add(uint32_t psn, uint32_t n)
{
	return (psn + n) & UROCE_PSN_MASK;
}

static inline uint32_t uroce_psn_inc(uint32_t psn)
{
	return uroce_psn_add(psn, 1);
}

/* (a - b) mod 2^24: how far a is ahead of b, counting forward only. */
static inline uint32_t uroce_psn_sub(uint32_t a, uint32_t b)
{
	return (a - b) & UROCE_PSN_MASK;
}

/* a - b as a signed distance in [-2^23, 2^23 - 1]. */
static inline int32_t uroce_psn_diff(uint32_t a, uint32_t b)
{
	/* Flipping bit 23 then subtracting it sign-extends without UB. */
	return (int32_t)(uroce_psn_sub(a, b) ^ UROCE_PSN_HALF) -
	       (int32_t)UROCE_PSN_HALF;
}

static inline bool uroce_psn_before(uint32_t a, uint32_t b)
{
	return uroce_psn_diff(a, b) < 0;
}

static inline bool uroce_psn_before_eq(uint32_t a, uint32_t b)
{
	return uroce_psn_diff(a, b) <= 0;
}

static inline bool uroce_psn_after(uint32_t a, uint32_t b)
{
	return uroce_psn_diff(a, b) > 0;
}

static inline bool uroce_psn_after_eq(uint32_t a, uint32_t b)
{
	return uroce_psn_diff(a, b) >= 0;
}

/* Whether psn lies in the n PSNs that start at start: [start, start + n). */
static inline bool uroce_psn_in_window(uint32_t psn, uint32_t start, uint32_t n)
{
	return uroce_psn_sub(psn, start) < n;
}

/* Whether psn lies in [first, last], walking forward from first. */
static inline bool uroce_psn_in_range(uint32_t psn, uint32_t first,
				      uint32_t last)
{
	return uroce_psn_sub(psn, first) <= uroce_psn_sub(last, first);
}

#endif /* UROCE_PSN_H */
