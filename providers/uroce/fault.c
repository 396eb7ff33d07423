// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fault injection for tests: UROCE_FAULT="drop=0.01,dup=0.01,reorder=0.01"
 * drops, duplicates or swaps with its successor that fraction of the
 * packets this process sends (ACKs and responses included).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/log.h"
#include "providers/uroce/counters.h"
#include "providers/uroce/fault.h"
#include "providers/uroce/uroce.h"

static double f_drop, f_dup, f_reorder;
static bool f_on;
static pthread_once_t f_once = PTHREAD_ONCE_INIT;

static void parse(void)
{
	const char *env = secure_getenv("UROCE_FAULT");
	char *copy, *tok, *save = NULL, *eq;
	double v;

	if (!env || !*env)
		return;
	copy = strdup(env);
	if (!copy)
		return;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		eq = strchr(tok, '=');
		if (!eq)
			continue;
		*eq = '\0';
		v = strtod(eq + 1, NULL);
		if (v < 0 || v > 1)
			continue;
		if (!strcmp(tok, "drop"))
			f_drop = v;
		else if (!strcmp(tok, "dup"))
			f_dup = v;
		else if (!strcmp(tok, "reorder"))
			f_reorder = v;
		else
			uroce_warn("UROCE_FAULT: unknown key %s", tok);
	}
	free(copy);
	f_on = f_drop > 0 || f_dup > 0 || f_reorder > 0;
}

void uroce_fault_init(void)
{
	pthread_once(&f_once, parse);
}

bool uroce_fault_on(void)
{
	return f_on;
}

/* xorshift64*, one state per thread; seeded from the clock. */
static double rnd(void)
{
	static __thread uint64_t s;
	struct timespec ts;

	if (!s) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		s = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^
		    (uint64_t)(uintptr_t)&ts;
		s |= 1;
	}
	s ^= s >> 12;
	s ^= s << 25;
	s ^= s >> 27;
	return (double)((s * 0x2545f4914f6cdd1dull) >> 11) / 9007199254740992.0;
}

unsigned int uroce_fault_apply(struct uroce_counters *cnt, struct mmsghdr *msg,
			       unsigned int n, struct mmsghdr *out)
{
	unsigned int i, m = 0;
	struct mmsghdr t;

	for (i = 0; i < n; i++) {
		if (rnd() < f_drop) {
			uroce_cnt_add(cnt->fault_drop, 1);
			continue;
		}
		out[m++] = msg[i];
		if (rnd() < f_dup) {
			uroce_cnt_add(cnt->fault_dup, 1);
			out[m++] = msg[i];
		}
	}
	for (i = 0; i + 1 < m; i++) {
		if (rnd() < f_reorder) {
			uroce_cnt_add(cnt->fault_reorder, 1);
			t = out[i];
			out[i] = out[i + 1];
			out[i + 1] = t;
			i++;
		}
	}
	return m;
}
