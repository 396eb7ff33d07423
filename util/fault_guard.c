// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Faults turned into errors for memory another party controls.
 *
 * A guarded access records, in a thread-local pointer, a jump buffer
 * (sigsetjmp without the signal mask: no system call) and the ranges it
 * may fault in, then runs. The SIGSEGV/SIGBUS handler, run by the kernel
 * on the faulting thread, jumps back when a kernel-generated fault hit
 * one of the ranges of a guard that thread is in; it hands anything else
 * to the handler that was installed before. The jump restores the signal
 * mask of the interrupted code, which the signal's context holds: a
 * handler that wraps ours (ThreadSanitizer's) runs it with every signal
 * blocked, and a jump that kept that mask would leave the thread to die
 * of its next fault. That system call is the fault's, not the guard's.
 *
 * Costs (uroce_guard_bench, best of 7 runs, on a busy two-core machine):
 * a guard adds 5 to 10 ns to an access, most of it the sigsetjmp (about
 * 5 ns): a 64-byte copy 7-10 ns plain, 13-18 guarded; 4 KiB 53-85 plain,
 * 65-100 guarded; the CRC of 4 KiB 330-450 either way; an 8-byte
 * fetch-and-add 2-4 ns plain, 7-10 guarded. A caught fault costs 2-4 us
 * (the kernel's signal delivery and one sigprocmask).
 *
 * Rejected: process_vm_readv/writev on the own process for every access,
 * as mem.c copies ODP memory: 1.4-2.3 us for 64 bytes (a system call and
 * the page-table walk of the "remote" side), no atomics or CRC in place
 * (a bounce copy first), and a seccomp filter may refuse it (EPERM: mem.c
 * then falls back to a pipe, slower still). The guard serves ODP memory
 * as well: nothing in it depends on how the memory was registered.
 * Interposing munmap and mprotect to see registered memory go: incomplete
 * (glibc's free() and the dynamic loader unmap without the symbol, and so
 * do raw system calls, mremap, madvise(MADV_DONTNEED) of file pages and a
 * file truncated under its mapping, which leaves SIGBUS), and it could
 * only refuse, not make the access safe.
 *
 * What the guard needs from the process: SIGSEGV and SIGBUS unblocked in
 * the threads that run guards (done at each thread's first guard), and our
 * handler still installed. An application that installs its own handler
 * afterwards gets the faults of guarded ranges in it (a handler that
 * chains to the one it replaced, as ours does, keeps the guard working).
 * ASan's and valgrind's handlers are installed before ours and get the
 * faults we do not take; ThreadSanitizer wraps ours, and its report of a
 * fault we hand back to it ends with "nested bug" (the process still dies
 * as it would). Guarded atomics are not instrumented by ThreadSanitizer
 * (see RAW_ATOMIC), and it may record a guarded copy's access that then
 * faulted as if it had happened.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <ucontext.h>

#include "util/fault_guard.h"

/*
 * Under valgrind, memcheck reports each access to memory that is not
 * mapped before the fault reaches us: a guard turns its reports off for
 * what it runs (they are expected and answered).
 */
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#define VALGRIND_DISABLE_ERROR_REPORTING
#define VALGRIND_ENABLE_ERROR_REPORTING
#endif

struct guard {
	sigjmp_buf env;
	const struct iovec *range;
	int nrange;
	struct guard *prev; /* the guard this one runs inside, if any */
};

/*
 * Initial-exec: read in the signal handler, where a dynamically loaded
 * module's TLS (__tls_get_addr) could allocate.
 */
#define GUARD_TLS __thread __attribute__((tls_model("initial-exec")))

static GUARD_TLS struct guard *guard_cur;
static GUARD_TLS bool thread_ready;

static const int guard_sigs[] = { SIGSEGV, SIGBUS };
#define NSIGS (sizeof(guard_sigs) / sizeof(guard_sigs[0]))

/* The actions before ours; written before ours is installed. */
static struct sigaction prev_action[NSIGS];
static pthread_once_t install_once = PTHREAD_ONCE_INIT;
static int install_err;
static bool on_valgrind;

static struct sigaction *prev_of(int sig)
{
	return &prev_action[sig == SIGBUS];
}

/* A fault the kernel raised for an access, not a signal someone sent. */
static bool is_fault(const siginfo_t *si)
{
	return si->si_code > 0 && si->si_code != SI_KERNEL
#ifdef BUS_MCEERR_AO
	       && !(si->si_signo == SIGBUS && si->si_code == BUS_MCEERR_AO)
#endif
		;
}

static bool in_guard(const struct guard *g, uintptr_t a)
{
	int i;

	for (i = 0; i < g->nrange; i++) {
		uintptr_t lo = (uintptr_t)g->range[i].iov_base;

		if (a >= lo && a - lo < g->range[i].iov_len)
			return true;
	}
	return false;
}

/* Reports back on for the guards from @g out to @end, as their pops do. */
static void valgrind_leave(const struct guard *g, const struct guard *end)
{
	if (!on_valgrind)
		return;
	for (; g != end; g = g->prev)
		VALGRIND_ENABLE_ERROR_REPORTING;
}

static void valgrind_enter(const struct guard *g)
{
	if (!on_valgrind)
		return;
	for (; g; g = g->prev)
		VALGRIND_DISABLE_ERROR_REPORTING;
}

static void set_default(int sig)
{
	struct sigaction dfl;

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(sig, &dfl, NULL);
}

/*
 * What the kernel would have done with the handler before ours. Called
 * from the handler: async-signal-safe calls only.
 */
static void chain(int sig, siginfo_t *si, void *uc)
{
	const struct sigaction *p = prev_of(sig);
	struct guard *saved;
	sigset_t mask;

	/* The union's two members: SA_SIGINFO does not make 0 a function. */
	if (p->sa_handler == SIG_DFL || p->sa_handler == SIG_IGN) {
		if (p->sa_handler == SIG_IGN && !is_fault(si))
			return;
		/*
		 * A fault cannot be ignored: the kernel forces the default.
		 * Returning faults again, now fatally, and the core shows the
		 * faulting instruction; a signal that was sent is sent again.
		 */
		set_default(sig);
		if (!is_fault(si))
			raise(sig);
		return;
	}
	if (p->sa_flags & SA_RESETHAND)
		set_default(sig);
	mask = p->sa_mask;
	if (!(p->sa_flags & SA_NODEFER))
		sigaddset(&mask, sig);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	/* A handler that jumps away leaves no guard behind it. */
	saved = guard_cur;
	valgrind_leave(saved, NULL);
	guard_cur = NULL;
	if (p->sa_flags & SA_SIGINFO)
		p->sa_sigaction(sig, si, uc);
	else
		p->sa_handler(sig);
	guard_cur = saved;
	valgrind_enter(saved);
	/* The kernel restores the mask of the interrupted code. */
}

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	const ucontext_t *u = uc;
	int saved_errno = errno;
	struct guard *g;

	if (is_fault(si)) {
		for (g = guard_cur; g; g = g->prev) {
			if (in_guard(g, (uintptr_t)si->si_addr)) {
				/* The guards inside @g end without their pop. */
				valgrind_leave(guard_cur, g);
				guard_cur = g->prev;
				pthread_sigmask(SIG_SETMASK, &u->uc_sigmask,
						NULL);
				siglongjmp(g->env, 1);
			}
		}
	}
	chain(sig, si, uc);
	errno = saved_errno;
}

static void install(void)
{
	struct sigaction sa, old;
	unsigned int i;

	on_valgrind = RUNNING_ON_VALGRIND;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < NSIGS; i++) {
		if (sigaction(guard_sigs[i], NULL, &prev_action[i]))
			goto err;
		sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER |
			      (prev_action[i].sa_flags & SA_RESTART);
		if (sigaction(guard_sigs[i], &sa, &old))
			goto err;
		/* Changed by another thread in between: chain to that. */
		if (old.sa_sigaction != prev_action[i].sa_sigaction)
			prev_action[i] = old;
	}
	return;
err:
	install_err = -errno;
}

int uroce_fault_guard_init(void)
{
	pthread_once(&install_once, install);
	return install_err;
}

bool uroce_fault_guard_owned(void)
{
	struct sigaction cur;
	unsigned int i;

	for (i = 0; i < NSIGS; i++) {
		if (sigaction(guard_sigs[i], NULL, &cur) ||
		    !(cur.sa_flags & SA_SIGINFO) ||
		    cur.sa_sigaction != on_fault)
			return false;
	}
	return true;
}

/* Once per thread: the handler, and the two signals unblocked. */
static int prepare_thread(void)
{
	sigset_t set;
	int ret;

	ret = uroce_fault_guard_init();
	if (ret)
		return ret;
	sigemptyset(&set);
	sigaddset(&set, SIGSEGV);
	sigaddset(&set, SIGBUS);
	ret = pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	if (ret)
		return -ret;
	thread_ready = true;
	return 0;
}

static inline int guard_ready(void)
{
	return __builtin_expect(thread_ready, 1) ? 0 : prepare_thread();
}

/*
 * Between push and pop, the compiler keeps the guarded accesses (signal
 * fences: the handler runs on this thread).
 */
static inline void guard_push(struct guard *g)
{
	if (__builtin_expect(on_valgrind, 0))
		VALGRIND_DISABLE_ERROR_REPORTING;
	g->prev = guard_cur;
	guard_cur = g;
	atomic_signal_fence(memory_order_seq_cst);
}

static inline void guard_pop(struct guard *g)
{
	atomic_signal_fence(memory_order_seq_cst);
	guard_cur = g->prev;
	if (__builtin_expect(on_valgrind, 0))
		VALGRIND_ENABLE_ERROR_REPORTING;
}

/* After the handler jumped back: guard_cur is already restored. */
static inline int guard_faulted(void)
{
	if (__builtin_expect(on_valgrind, 0))
		VALGRIND_ENABLE_ERROR_REPORTING;
	return -EFAULT;
}

/*
 * The body of each guarded function: returns the guard's error, or runs
 * @stmt with faults in @nrange ranges at @range caught (-EFAULT returned)
 * and goes on. A macro: the jump buffer must belong to the frame of the
 * function that returns -EFAULT, live when the handler jumps.
 */
#define GUARDED(range_, nrange_, stmt)          \
	do {                                    \
		struct guard g_;                \
		int err_ = guard_ready();       \
                                                \
		if (err_)                       \
			return err_;            \
		g_.range = (range_);            \
		g_.nrange = (nrange_);          \
		if (sigsetjmp(g_.env, 0))       \
			return guard_faulted(); \
		guard_push(&g_);                \
		stmt;                           \
		guard_pop(&g_);                 \
	} while (0)

/* One range: [p, p + n). */
#define RANGE(p, n) (&(struct iovec){ .iov_base = (void *)(p), .iov_len = (n) })

int uroce_guard_read(void *dst, const void *src, size_t n)
{
	GUARDED(RANGE(src, n), 1, memcpy(dst, src, n));
	return 0;
}

int uroce_guard_write(void *dst, const void *src, size_t n)
{
	GUARDED(RANGE(dst, n), 1, memcpy(dst, src, n));
	return 0;
}

int uroce_guard_crc32(uroce_crc32_fn *fn, uint32_t *crc, const void *buf,
		      size_t n)
{
	uint32_t c;

	GUARDED(RANGE(buf, n), 1, c = fn(*crc, buf, n));
	*crc = c;
	return 0;
}

/*
 * ThreadSanitizer runs an instrumented atomic under a lock of its own,
 * which a fault inside it would leave held: the next atomic on that
 * address would wait forever. The guarded ones are not instrumented (and
 * not inlined into a caller that is).
 */
#if defined(__clang__) && __has_attribute(disable_sanitizer_instrumentation)
#define RAW_ATOMIC __attribute__((disable_sanitizer_instrumentation, noinline))
#else
#define RAW_ATOMIC __attribute__((no_sanitize("thread"), noinline))
#endif

static RAW_ATOMIC uint64_t raw_cmp_swap(uint64_t *p, uint64_t compare,
					uint64_t swap)
{
	__atomic_compare_exchange_n(p, &compare, swap, false, __ATOMIC_SEQ_CST,
				    __ATOMIC_SEQ_CST);
	return compare;
}

static RAW_ATOMIC uint64_t raw_fetch_add(uint64_t *p, uint64_t add)
{
	return __atomic_fetch_add(p, add, __ATOMIC_SEQ_CST);
}

static RAW_ATOMIC void raw_store(uint64_t *p, uint64_t val)
{
	__atomic_store_n(p, val, __ATOMIC_SEQ_CST);
}

int uroce_guard_cmp_swap(uint64_t *p, uint64_t compare, uint64_t swap,
			 uint64_t *orig)
{
	uint64_t o;

	GUARDED(RANGE(p, sizeof(*p)), 1, o = raw_cmp_swap(p, compare, swap));
	*orig = o;
	return 0;
}

int uroce_guard_fetch_add(uint64_t *p, uint64_t add, uint64_t *orig)
{
	uint64_t o;

	GUARDED(RANGE(p, sizeof(*p)), 1, o = raw_fetch_add(p, add));
	*orig = o;
	return 0;
}

int uroce_guard_store64(uint64_t *p, uint64_t val)
{
	GUARDED(RANGE(p, sizeof(*p)), 1, raw_store(p, val));
	return 0;
}

int uroce_guard_call(const struct iovec *range, int nrange,
		     void (*fn)(void *arg), void *arg)
{
	GUARDED(range, nrange, fn(arg));
	return 0;
}
