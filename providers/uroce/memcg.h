/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What memcg.c offers the rest of the provider. */
#ifndef UROCE_MEMCG_H
#define UROCE_MEMCG_H

#include "providers/uroce/uroce.h"

/*
 * ENOMEM unless the caller's memory cgroup, and every one above
 * it, has room for @size more bytes and a margin; 0 otherwise. Queue
 * buffers of UROCE_MEMCG_MIN bytes and more are checked and committed.
 */
#define UROCE_MEMCG_MIN (64 * 1024)
int uroce_memcg_room(size_t size);

#endif /* UROCE_MEMCG_H */
