/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A ring of fixed-stride entries, for work queues: head and tail run
 * free, the size is a power of two. Not locked: its owner's lock covers it.
 */
#ifndef UROCE_UTIL_RING_H
#define UROCE_UTIL_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct uroce_ring {
	uint8_t *buf;
	bool ext; /* buf is from the owner's own allocator */
	uint32_t size; /* a power of two */
	uint32_t stride;
	uint32_t head; /* next to fill */
	uint32_t tail; /* oldest in use */
};

static inline void *uroce_ring_at(struct uroce_ring *r, uint32_t idx)
{
	return r->buf + (size_t)(idx & (r->size - 1)) * r->stride;
}

#endif /* UROCE_UTIL_RING_H */
