/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Time in the test programs: the monotonic clock, and the one knob that
 * stretches their time bounds. A bound is for a program that is stuck,
 * or, where speed is the point (a retry budget, a failover gap), a
 * generous one: UROCE_TEST_TIME_SCALE (at least 1) multiplies it where
 * programs run slower (sanitizer builds set it through ctest, valgrind
 * runs in tests/valgrind/vg.sh), so that no verdict depends on how busy
 * the machine is.
 */
#ifndef UROCE_TESTS_LIB_CLOCK_H
#define UROCE_TESTS_LIB_CLOCK_H

#include <stdlib.h>
#include <time.h>

/* Seconds on the monotonic clock. */
static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A time bound of @sec seconds, scaled by UROCE_TEST_TIME_SCALE. */
static inline double test_secs(double sec)
{
	const char *s = getenv("UROCE_TEST_TIME_SCALE");
	double k = s ? atof(s) : 1;

	return sec * (k > 1 ? k : 1);
}

#endif /* UROCE_TESTS_LIB_CLOCK_H */
