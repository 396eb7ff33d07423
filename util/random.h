/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef UROCE_UTIL_RANDOM_H
#define UROCE_UTIL_RANDOM_H

#include <stddef.h>

/*
 * Fills @buf with @len bytes from the kernel's generator: getrandom, or
 * /dev/urandom where a filter refuses the call. Keys, PSNs and IDs that
 * another party must not guess have no weaker fallback: 0 or -errno.
 */
int uroce_random(void *buf, size_t len);

#endif
