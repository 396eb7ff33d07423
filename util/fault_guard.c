// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Faults turned into errors for memory another party controls.
 *
 * A guarded access records, in a thread-local pointer, a jump buffer
 * (sigsetjmp without the signal mask: no system call) and the ranges it
 * may fault in, then runs. The SIGSEGV/SIGBUS handler, run by the kernel
 * on the faulting thread, jumps back when a kernel-generated fault hit
 * one of the ranges of a guard that thread is in; it hands anything else
 * to the handler that was installed before. SA_NODEFER keeps the signal
 * unblocked, so jumping out without restoring the mask leaves the thread
 * as it was.
 *
 * DESIGN-COSTS
 *
 * Rejected: process_vm_readv/writev on the own process for every access
 * (mem.c's fault-safe copy for ODP MRs): one system call per access, and
 * no atomics or CRC in place (a bounce copy first). Interposing munmap and
 * mprotect to see registered memory go: incomplete (glibc's free() and
 * the dynamic loader unmap without going through the symbol, and so do
 * raw system calls, mremap, madvise(MADV_DONTNEED) of file pages and a
 * file truncated under a mapping), and it could only refuse, not make the
 * access safe.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

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
	struct iovec one;
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

	if (!(p->sa_flags & SA_SIGINFO) &&
	    (p->sa_handler == SIG_DFL || p->sa_handler == SIG_IGN)) {
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
	int saved_errno = errno;
	struct guard *g;

	if (is_fault(si)) {
		for (g = guard_cur; g; g = g->prev) {
			if (in_guard(g, (uintptr_t)si->si_addr)) {
				/* The guards inside @g end without their pop. */
				valgrind_leave(guard_cur, g);
				guard_cur = g->prev;
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

static inline void guard_one(struct guard *g, const void *p, size_t n)
{
	g->one.iov_base = (void *)p;
	g->one.iov_len = n;
	g->range = &g->one;
	g->nrange = 1;
}

/*
 * Each function below calls sigsetjmp itself: the jump buffer must belong
 * to a frame that is live when the handler jumps.
 */
int uroce_guard_read(void *dst, const void *src, size_t n)
{
	struct guard g;
	int ret = guard_ready();

	if (ret)
		return ret;
	guard_one(&g, src, n);
	if (sigsetjmp(g.env, 0))
		return guard_faulted();
	guard_push(&g);
	memcpy(dst, src, n);
	guard_pop(&g);
	return 0;
}

int uroce_guard_write(void *dst, const void *src, size_t n)
{
	struct guard g;
	int ret = guard_ready();

	if (ret)
		return ret;
	guard_one(&g, dst, n);
	if (sigsetjmp(g.env, 0))
		return guard_faulted();
	guard_push(&g);
	memcpy(dst, src, n);
	guard_pop(&g);
	return 0;
}

int uroce_guard_crc32(uroce_crc32_fn *fn, uint32_t *crc, const void *buf,
		      size_t n)
{
	struct guard g;
	uint32_t c;
	int ret = guard_ready();

	if (ret)
		return ret;
	guard_one(&g, buf, n);
	if (sigsetjmp(g.env, 0))
		return guard_faulted();
	guard_push(&g);
	c = fn(*crc, buf, n);
	guard_pop(&g);
	*crc = c;
	return 0;
}

int uroce_guard_cmp_swap(uint64_t *p, uint64_t compare, uint64_t swap,
			 uint64_t *orig)
{
	struct guard g;
	uint64_t o = compare;
	int ret = guard_ready();

	if (ret)
		return ret;
	guard_one(&g, p, sizeof(*p));
	if (sigsetjmp(g.env, 0))
		return guard_faulted();
	guard_push(&g);
	__atomic_compare_exchange_n(p, &o, swap, false, __ATOMIC_SEQ_CST,
				    __ATOMIC_SEQ_CST);
	guard_pop(&g);
	*orig = o;
	return 0;
}

int uroce_guard_fetch_add(uint64_t *p, uint64_t add, uint64_t *orig)
{
	struct guard g;
	uint64_t o;
	int ret = guard_ready();

	if (ret)
		return ret;
	guard_one(&g, p, sizeof(*p));
	if (sigsetjmp(g.env, 0))
		return guard_faulted();
	guard_push(&g);
	o = __atomic_fetch_add(p, add, __ATOMIC_SEQ_CST);
	guard_pop(&g);
	*orig = o;
	return 0;
}

int uroce_guard_store64(uint64_t *p, uint64_t val)
{
	struct guard g;
	int ret = guard_ready();

	if (ret)
		return ret;
	guard_one(&g, p, sizeof(*p));
	if (sigsetjmp(g.env, 0))
		return guard_faulted();
	guard_push(&g);
	__atomic_store_n(p, val, __ATOMIC_SEQ_CST);
	guard_pop(&g);
	return 0;
}

int uroce_guard_call(const struct iovec *range, int nrange,
		     void (*fn)(void *arg), void *arg)
{
	struct guard g;
	int ret = guard_ready();

	if (ret)
		return ret;
	g.range = range;
	g.nrange = nrange;
	if (sigsetjmp(g.env, 0))
		return guard_faulted();
	guard_push(&g);
	fn(arg);
	guard_pop(&g);
	return 0;
}
