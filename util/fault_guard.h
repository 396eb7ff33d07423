/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Guarded access to memory that its owner may unmap or protect at any time:
 * registered memory, which nothing pins. A copy, a CRC or an 8-byte atomic
 * on it returns 0, or -EFAULT when the memory faulted (a SIGSEGV or SIGBUS
 * at an address inside the guarded range) instead of killing the process.
 * After -EFAULT, whatever part of the guarded range preceded the fault may
 * have been written (for a copy into it); nothing outside it was.
 *
 * A fault anywhere else, in a guard or not, goes to the handler installed
 * before ours, as if ours were not there: the default action kills the
 * process as it would have. The handler is installed at the first guarded
 * access or by uroce_fault_guard_init(); each thread's first guarded access
 * also unblocks SIGSEGV and SIGBUS in it (the kernel kills a thread that
 * faults with them blocked, whatever the handler). The data path makes no
 * system call: a guard costs a sigsetjmp without the signal mask.
 *
 * A handler that the application installs after ours replaces it: its
 * faults in guarded ranges then go to the application's handler, as
 * without the guard (uroce_fault_guard_owned() tells).
 */
#ifndef UROCE_UTIL_FAULT_GUARD_H
#define UROCE_UTIL_FAULT_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Installs the SIGSEGV and SIGBUS handler once: 0 or -errno. */
int uroce_fault_guard_init(void);
/* Whether our handler still handles both signals (one system call each). */
bool uroce_fault_guard_owned(void);

/* memcpy from guarded @src: only faults in [src, src + n) are caught. */
int uroce_guard_read(void *dst, const void *src, size_t n);
/* memcpy into guarded @dst: only faults in [dst, dst + n) are caught. */
int uroce_guard_write(void *dst, const void *src, size_t n);

typedef uint32_t uroce_crc32_fn(uint32_t crc, const void *buf, size_t len);
/* *@crc = @fn(*@crc, @buf, @n) over guarded @buf; *@crc kept on -EFAULT. */
int uroce_guard_crc32(uroce_crc32_fn *fn, uint32_t *crc, const void *buf,
		      size_t n);

/* 8-byte atomics (sequentially consistent) on guarded, aligned @p. */
int uroce_guard_cmp_swap(uint64_t *p, uint64_t compare, uint64_t swap,
			 uint64_t *orig);
int uroce_guard_fetch_add(uint64_t *p, uint64_t add, uint64_t *orig);
int uroce_guard_store64(uint64_t *p, uint64_t val);

/*
 * Runs @fn(@arg) with faults in the @nrange ranges @range turned into
 * -EFAULT (for example the ICRC over a packet's iovecs, @range being those
 * that point into registered memory). @fn must not leave by longjmp, and
 * on -EFAULT it did not finish: it must hold no lock or resource that a
 * jump out of it would leak.
 */
int uroce_guard_call(const struct iovec *range, int nrange,
		     void (*fn)(void *arg), void *arg);

#endif /* UROCE_UTIL_FAULT_GUARD_H */
