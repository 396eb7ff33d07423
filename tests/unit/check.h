/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The unit tests' one check: report file:line and the condition, exit 1. */
#ifndef UROCE_UNIT_CHECK_H
#define UROCE_UNIT_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                              \
			exit(1);                                               \
		}                                                              \
	} while (0)

#endif /* UROCE_UNIT_CHECK_H */
