/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * CHECK(c): a test program's soft assertion. It reports the failed
 * condition with its place and counts it in the including file's
 * `failures`, which decides the exit status; the test goes on
 * (tests/unit/check.h's CHECK exits at the first failure instead).
 */
#ifndef UROCE_TESTS_CHECK_H
#define UROCE_TESTS_CHECK_H

#include <stdio.h>

#define CHECK(c)                                                               \
	do {                                                                   \
		if (!(c)) {                                                    \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, \
				__LINE__, #c);                                 \
			failures++;                                            \
		}                                                              \
	} while (0)

#endif
