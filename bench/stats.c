// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Time, percentiles and the result lines. Latency is printed as the
 * round trip (what the client measured between posting and seeing the
 * reply), plus half of its median for comparison with perftest, whose
 * t_typical is half a round trip.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench/bench.h"

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

uint64_t stats_pct(uint64_t *v, size_t n, double pct)
{
	size_t rank;

	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_u64);
	/* Nearest rank: the smallest value with pct% at or below it. */
	rank = (size_t)(pct / 100.0 * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

void stats_print_lat(const char *prefix, uint64_t *rtt, size_t n)
{
	uint64_t med = stats_pct(rtt, n, 50), p99 = stats_pct(rtt, n, 99);

	printf("result %s samples=%zu rtt_med_us=%.2f rtt_p99_us=%.2f "
	       "rtt_min_us=%.2f rtt_max_us=%.2f half_rtt_med_us=%.2f\n",
	       prefix, n, (double)med / 1e3, (double)p99 / 1e3,
	       (double)rtt[0] / 1e3, (double)rtt[n - 1] / 1e3,
	       (double)med / 2e3);
	fflush(stdout);
}

void stats_print_bw(const char *prefix, uint64_t bytes, uint64_t msgs,
		    uint64_t ns)
{
	double s;

	if (!ns)
		ns = 1;
	s = (double)ns / 1e9;
	printf("result %s bytes=%llu msgs=%llu secs=%.3f gbps=%.3f "
	       "mbytes_s=%.1f kmsgs_s=%.1f\n",
	       prefix, (unsigned long long)bytes, (unsigned long long)msgs, s,
	       (double)bytes * 8 / (double)ns, (double)bytes / 1e6 / s,
	       (double)msgs / 1e3 / s);
	fflush(stdout);
}
