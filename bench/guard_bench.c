// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * uroce_guard_bench: what util/fault_guard costs per access, beside the
 * plain operation and beside process_vm_readv on the own process (the
 * alternative that needs no handler). Each figure is the best of several
 * runs, in nanoseconds per operation. Usage: uroce_guard_bench [iters]
 */
#include <errno.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "util/icrc.h"
#include "util/fault_guard.h"

#define RUNS 7

enum op {
	OP_MEMCPY,
	OP_GUARD_READ,
	OP_GUARD_WRITE,
	OP_PVM_READ,
	OP_CRC,
	OP_GUARD_CRC,
	OP_FETCH_ADD,
	OP_GUARD_FETCH_ADD,
	OP_SIGSETJMP,
	OP_FAULT,
};

static uint8_t *src, *dst, *bad;
static uint64_t *word;

/* Keeps the compiler from dropping or merging the measured work. */
static void clobber(void)
{
	__asm__ volatile("" ::: "memory");
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int run_once(enum op op, size_t n)
{
	struct iovec local = { dst, n }, remote = { src, n };
	static sigjmp_buf env;
	uint32_t crc = 0;
	uint64_t orig;

	switch (op) {
	case OP_MEMCPY:
		memcpy(dst, src, n);
		return 0;
	case OP_GUARD_READ:
		return uroce_guard_read(dst, src, n);
	case OP_GUARD_WRITE:
		return uroce_guard_write(dst, src, n);
	case OP_PVM_READ:
		return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) ==
				       (ssize_t)n ?
			       0 :
			       -errno;
	case OP_CRC:
		crc = uroce_crc32(crc, src, n);
		*(volatile uint32_t *)dst = crc;
		return 0;
	case OP_GUARD_CRC:
		return uroce_guard_crc32(uroce_crc32, &crc, src, n);
	case OP_FETCH_ADD:
		__atomic_fetch_add(word, 1, __ATOMIC_SEQ_CST);
		return 0;
	case OP_GUARD_FETCH_ADD:
		return uroce_guard_fetch_add(word, 1, &orig);
	case OP_SIGSETJMP:
		return sigsetjmp(env, 0);
	case OP_FAULT:
		return uroce_guard_read(dst, bad, n) == -EFAULT ? 0 : -1;
	}
	return -1;
}

static double measure(enum op op, size_t n, long iters)
{
	double best = 0, ns;
	uint64_t t0;
	long i;
	int r;

	for (r = 0; r < RUNS; r++) {
		t0 = now_ns();
		for (i = 0; i < iters; i++) {
			if (run_once(op, n)) {
				fprintf(stderr, "operation %d failed\n", op);
				exit(1);
			}
			clobber();
		}
		ns = (double)(now_ns() - t0) / (double)iters;
		if (!r || ns < best)
			best = ns;
	}
	return best;
}

static const struct {
	const char *name;
	enum op op;
} rows[] = {
	{ "memcpy", OP_MEMCPY },
	{ "guarded read (memcpy)", OP_GUARD_READ },
	{ "guarded write (memcpy)", OP_GUARD_WRITE },
	{ "process_vm_readv (self)", OP_PVM_READ },
	{ "uroce_crc32", OP_CRC },
	{ "guarded uroce_crc32", OP_GUARD_CRC },
};

int main(int argc, char **argv)
{
	long iters = argc > 1 ? atol(argv[1]) : 200000;
	unsigned int i;

	src = aligned_alloc(64, 4096);
	dst = aligned_alloc(64, 4096);
	word = aligned_alloc(64, 64);
	bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!src || !dst || !word || bad == MAP_FAILED || iters < 1)
		return 1;
	memset(src, 0x5a, 4096);
	memset(dst, 0, 4096);
	*word = 0;
	if (uroce_fault_guard_init())
		return 1;

	printf("%-28s %10s %10s\n", "ns per operation", "64 B", "4 KiB");
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		printf("%-28s %10.1f %10.1f\n", rows[i].name,
		       measure(rows[i].op, 64, iters),
		       measure(rows[i].op, 4096, iters));
	printf("%-28s %10.1f\n", "atomic fetch_add",
	       measure(OP_FETCH_ADD, 8, iters));
	printf("%-28s %10.1f\n", "guarded fetch_add",
	       measure(OP_GUARD_FETCH_ADD, 8, iters));
	printf("%-28s %10.1f\n", "sigsetjmp(env, 0) alone",
	       measure(OP_SIGSETJMP, 0, iters));
	printf("%-28s %10.1f\n", "a caught fault (64 B read)",
	       measure(OP_FAULT, 64, iters / 20 + 1));
	munmap(bad, 4096);
	free(word);
	free(dst);
	free(src);
	return 0;
}
