/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The monotonic clock in nanoseconds, for timers and timestamps: one
 * clock, so that a deadline one file sets is one another file can read.
 */
#ifndef UROCE_UTIL_CLOCK_H
#define UROCE_UTIL_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t uroce_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif /* UROCE_UTIL_CLOCK_H */
