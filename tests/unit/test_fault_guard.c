// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * util/fault_guard: copies, CRCs and atomics on memory that was unmapped,
 * protected or truncated under its mapping return -EFAULT and write
 * nothing outside their range; from many threads at once, and from a
 * thread that blocks every signal. Faults outside a guard still end the
 * process as before (checked in children), and a handler the application
 * installed before ours still gets its own.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/icrc.h"
#include "tests/lib/check.h"
#include "util/fault_guard.h"

#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#else
#define RUNNING_ON_VALGRIND 0
#define VALGRIND_DISABLE_ADDR_ERROR_REPORTING_IN_RANGE(p, n)
#define VALGRIND_ENABLE_ADDR_ERROR_REPORTING_IN_RANGE(p, n)
#endif

/* A sanitizer whose handler reports a fault and exits (GCC's, clang's). */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#define SANITIZED \
	(__has_feature(address_sanitizer) || __has_feature(thread_sanitizer))
#else
#define SANITIZED 0
#endif

/* How the middle page of three is made to fault. */
enum bad {
	BAD_UNMAPPED, /* SIGSEGV, not mapped */
	BAD_PROT_NONE, /* SIGSEGV, no access */
	BAD_READ_ONLY, /* SIGSEGV on writes only */
	BAD_BEYOND_EOF, /* SIGBUS: a file page past the end of the file */
	NR_BAD,
};

static size_t pg;

/* Pages 0 and 2 readable and writable, page 1 as @bad says. */
static uint8_t *area_new(enum bad bad)
{
	uint8_t *a;
	int fd;

	a = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(a != MAP_FAILED);
	memset(a, 0xa5, 3 * pg);
	switch (bad) {
	case BAD_UNMAPPED:
		REQUIRE(!munmap(a + pg, pg));
		break;
	case BAD_PROT_NONE:
		REQUIRE(!mprotect(a + pg, pg, PROT_NONE));
		break;
	case BAD_READ_ONLY:
		REQUIRE(!mprotect(a + pg, pg, PROT_READ));
		break;
	case BAD_BEYOND_EOF:
		/* One page long; its second page is mapped in page 1. */
		fd = memfd_create("fault_guard", MFD_CLOEXEC);
		REQUIRE(fd >= 0);
		REQUIRE(!ftruncate(fd, (off_t)pg));
		REQUIRE(mmap(a + pg, pg, PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_FIXED, fd, (off_t)pg) == a + pg);
		close(fd);
		break;
	default:
		REQUIRE(0);
	}
	return a;
}

static void area_free(uint8_t *a)
{
	REQUIRE(!munmap(a, 3 * pg));
}

static bool all(const uint8_t *p, int c, size_t n)
{
	while (n--)
		if (*p++ != c)
			return false;
	return true;
}

/* The signals a caught fault must leave unblocked, as they were. */
static void check_unblocked(void)
{
	sigset_t cur;

	REQUIRE(!pthread_sigmask(SIG_BLOCK, NULL, &cur));
	REQUIRE(!sigismember(&cur, SIGSEGV) && !sigismember(&cur, SIGBUS));
}

/* Copies out of a range that runs from page 0 into page 1. */
static void test_read(enum bad bad)
{
	uint8_t *a = area_new(bad), dst[96];
	int ret;

	memset(dst, 0x3c, sizeof(dst));
	ret = uroce_guard_read(dst, a + pg - 16, 64);
	if (bad == BAD_READ_ONLY) {
		REQUIRE(ret == 0);
		REQUIRE(all(dst, 0xa5, 64));
	} else {
		REQUIRE(ret == -EFAULT);
	}
	REQUIRE(all(dst + 64, 0x3c, sizeof(dst) - 64));
	/* The same memory where it is mapped. */
	REQUIRE(uroce_guard_read(dst, a + 2 * pg, sizeof(dst)) == 0);
	REQUIRE(all(dst, 0xa5, sizeof(dst)));
	check_unblocked();
	area_free(a);
}

/* Copies into a range that runs from page 0 into page 1. */
static void test_write(enum bad bad)
{
	uint8_t *a = area_new(bad), src[64];

	memset(src, 0x3c, sizeof(src));
	REQUIRE(uroce_guard_write(a + pg - 16, src, sizeof(src)) == -EFAULT);
	REQUIRE(all(a, 0xa5, pg - 16));
	REQUIRE(all(a + 2 * pg, 0xa5, pg));
	if (bad == BAD_READ_ONLY)
		REQUIRE(all(a + pg, 0xa5, pg));
	/* Where it is mapped, and a zero-length copy into the bad page. */
	REQUIRE(uroce_guard_write(a + 2 * pg, src, sizeof(src)) == 0);
	REQUIRE(all(a + 2 * pg, 0x3c, sizeof(src)));
	REQUIRE(all(a + 2 * pg + sizeof(src), 0xa5, pg - sizeof(src)));
	REQUIRE(uroce_guard_write(a + pg, src, 0) == 0);
	check_unblocked();
	area_free(a);
}

static void test_crc(enum bad bad)
{
	uint8_t *a = area_new(bad);
	uint32_t crc = 7, want;
	int ret;

	/* Long enough for the CRC's folding path, which reads 64 at once. */
	ret = uroce_guard_crc32(uroce_crc32, &crc, a + pg - 200, 1000);
	if (bad == BAD_READ_ONLY) {
		REQUIRE(ret == 0);
		REQUIRE(crc == uroce_crc32(7, a + pg - 200, 1000));
	} else {
		REQUIRE(ret == -EFAULT);
		REQUIRE(crc == 7);
	}
	want = uroce_crc32(0, a + 2 * pg, 1000);
	crc = 0;
	REQUIRE(uroce_guard_crc32(uroce_crc32, &crc, a + 2 * pg, 1000) == 0);
	REQUIRE(crc == want);
	check_unblocked();
	area_free(a);
}

/* Each atomic writes: it faults in every kind of bad page. */
static void test_atomics(enum bad bad)
{
	uint8_t *a = area_new(bad);
	uint64_t *bad8 = (uint64_t *)(a + pg), *good = (uint64_t *)(a + 2 * pg);
	uint64_t orig = 99, pattern;

	memset(&pattern, 0xa5, sizeof(pattern));
	REQUIRE(uroce_guard_cmp_swap(bad8, pattern, 1, &orig) == -EFAULT);
	REQUIRE(uroce_guard_fetch_add(bad8, 1, &orig) == -EFAULT);
	REQUIRE(uroce_guard_store64(bad8, 1) == -EFAULT);
	REQUIRE(orig == 99);
	if (bad == BAD_READ_ONLY)
		REQUIRE(all(a + pg, 0xa5, pg));
	REQUIRE(all(a, 0xa5, pg) && all(a + 2 * pg, 0xa5, pg));

	good[1] = 5;
	REQUIRE(uroce_guard_cmp_swap(&good[1], 5, 6, &orig) == 0 && orig == 5);
	REQUIRE(uroce_guard_cmp_swap(&good[1], 5, 7, &orig) == 0 && orig == 6);
	REQUIRE(uroce_guard_fetch_add(&good[1], 10, &orig) == 0 && orig == 6);
	REQUIRE(uroce_guard_store64(&good[1], 42) == 0 && good[1] == 42);
	REQUIRE(good[0] == pattern && good[2] == pattern);
	check_unblocked();
	area_free(a);
}

/* Guarded ranges given as a list, as the ICRC over a packet's iovecs. */
struct crc_iov {
	const struct iovec *iov;
	int n;
	uint32_t crc;
};

static void crc_iov(void *arg)
{
	struct crc_iov *c = arg;
	int i;

	for (i = 0; i < c->n; i++)
		c->crc = uroce_crc32(c->crc, c->iov[i].iov_base,
				     c->iov[i].iov_len);
}

static void test_call(void)
{
	uint8_t *a = area_new(BAD_PROT_NONE), hdr[12] = { 1, 2, 3 };
	struct iovec iov[3] = { { hdr, sizeof(hdr) },
				{ a + 2 * pg, 256 },
				{ a + pg - 8, 16 } };
	struct crc_iov c = { iov, 2, 0 };

	REQUIRE(uroce_guard_call(&iov[1], 2, crc_iov, &c) == 0);
	c.n = 3;
	REQUIRE(uroce_guard_call(&iov[1], 2, crc_iov, &c) == -EFAULT);
	check_unblocked();
	area_free(a);
}

/* Threads that fault and succeed in turn, all at once. */
#define NR_THREADS 8
#define ROUNDS 2000

static uint8_t *shared_bad;

static void *fault_loop(void *arg)
{
	uintptr_t id = (uintptr_t)arg;
	stack_t ss = { 0 };
	uint8_t *mine, buf[64];
	uint64_t orig;
	int i;

	mine = mmap(NULL, pg, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(mine != MAP_FAILED);
	/* Some run the handler on an alternate stack, and jump off it. */
	if (id % 4 == 0) {
		ss.ss_sp = malloc(SIGSTKSZ);
		ss.ss_size = SIGSTKSZ;
		REQUIRE(ss.ss_sp && !sigaltstack(&ss, NULL));
	}
	for (i = 0; i < ROUNDS; i++) {
		memset(buf, (int)id, sizeof(buf));
		REQUIRE(uroce_guard_write(mine, buf, sizeof(buf)) == 0);
		/*
		 * Writes each to its own bytes, apart from the reads:
		 * ThreadSanitizer records an access before it faults, and
		 * would take two for a race.
		 */
		REQUIRE(uroce_guard_read(buf, shared_bad + pg / 2 + (i % 64),
					 64) == -EFAULT);
		REQUIRE(uroce_guard_write(shared_bad + 64 * id, buf, 32) ==
			-EFAULT);
		REQUIRE(uroce_guard_fetch_add(
				(uint64_t *)(shared_bad + pg / 4) + id, 1,
				&orig) == -EFAULT);
		memset(buf, 0, sizeof(buf));
		REQUIRE(uroce_guard_read(buf, mine, sizeof(buf)) == 0);
		REQUIRE(all(buf, (int)id, sizeof(buf)));
	}
	check_unblocked();
	if (id % 4 == 0) {
		REQUIRE(!sigaltstack(NULL, &ss) && !(ss.ss_flags & SS_ONSTACK));
		ss.ss_flags = SS_DISABLE;
		REQUIRE(!sigaltstack(&ss, NULL));
		free(ss.ss_sp);
	}
	REQUIRE(!munmap(mine, pg));
	return NULL;
}

static void test_threads(void)
{
	pthread_t t[NR_THREADS];
	sigset_t all_sigs, old;
	uintptr_t i;

	shared_bad =
		mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(shared_bad != MAP_FAILED);
	/* Half of them block every signal, as the provider's threads do. */
	sigfillset(&all_sigs);
	for (i = 0; i < NR_THREADS; i++) {
		if (i % 2)
			REQUIRE(!pthread_sigmask(SIG_SETMASK, &all_sigs, &old));
		REQUIRE(!pthread_create(&t[i], NULL, fault_loop,
					(void *)(i + 1)));
		if (i % 2)
			REQUIRE(!pthread_sigmask(SIG_SETMASK, &old, NULL));
	}
	for (i = 0; i < NR_THREADS; i++)
		REQUIRE(!pthread_join(t[i], NULL));
	REQUIRE(!munmap(shared_bad, pg));
}

/* A PROT_NONE page that the children fault on. */
static volatile uint8_t *child_bad;
/* Where the children's loads go: valgrind drops a load that goes nowhere. */
static volatile uint8_t sink;

/*
 * Children: each runs @fn and reports how it ended. No core files; and
 * an alarm bounds a child that would loop on its fault.
 */
static int child_status(void (*fn)(void))
{
	struct rlimit none = { 0, 0 };
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	REQUIRE(pid >= 0);
	if (!pid) {
		setrlimit(RLIMIT_CORE, &none);
		alarm(20);
		/* Its unguarded accesses to child_bad are meant. */
		VALGRIND_DISABLE_ADDR_ERROR_REPORTING_IN_RANGE(child_bad, pg);
		fn();
		VALGRIND_ENABLE_ADDR_ERROR_REPORTING_IN_RANGE(child_bad, pg);
		_exit(0);
	}
	REQUIRE(waitpid(pid, &status, 0) == pid);
	return status;
}

static bool killed_by(int status, int sig)
{
	return WIFSIGNALED(status) && WTERMSIG(status) == sig;
}

/* The same faults in a process without a guard. */
static void plain_segv(void)
{
	child_bad[0] = 1;
}

static void plain_sigbus(void)
{
	uint8_t *a = area_new(BAD_BEYOND_EOF);

	sink = *(volatile uint8_t *)(a + pg);
}

static void plain_sent(void)
{
	kill(getpid(), SIGSEGV);
}

static void plain_ignored(void)
{
	signal(SIGSEGV, SIG_IGN);
	child_bad[0] = 1;
}

static void caught_then_unguarded(void)
{
	uint8_t buf[8];

	REQUIRE(uroce_guard_read(buf, (void *)child_bad, 8) == -EFAULT);
	child_bad[0] = 1;
}

static void touch_bad(void *arg)
{
	(void)arg;
	child_bad[0] = 1;
}

static void guarded_elsewhere(void)
{
	uint8_t buf[64];
	struct iovec iov = { buf, sizeof(buf) };

	uroce_guard_call(&iov, 1, touch_bad, NULL);
}

static void unguarded_sigbus(void)
{
	uint8_t *a = area_new(BAD_BEYOND_EOF);
	uint8_t buf[8];

	REQUIRE(uroce_guard_read(buf, a + pg, 8) == -EFAULT);
	sink = *(volatile uint8_t *)(a + pg);
}

static void sent_sigsegv(void)
{
	REQUIRE(!uroce_fault_guard_init());
	kill(getpid(), SIGSEGV);
}

static void ignored_then_fault(void)
{
	signal(SIGSEGV, SIG_IGN);
	caught_then_unguarded();
}

/*
 * @fn ends its child as @plain, the same fault in a process without a
 * guard, ends its own: killed by @sig, or a sanitizer's report.
 */
static void check_same_end(void (*fn)(void), void (*plain)(void), int sig)
{
	int want = child_status(plain), got = child_status(fn);

	if (!SANITIZED)
		REQUIRE(killed_by(want, sig));
	if (got != want)
		fprintf(stderr, "ends with %#x, without a guard %#x\n", got,
			want);
	REQUIRE(got == want);
}

/* An application's handler that makes the page writable and returns. */
static volatile void *app_addr;
static volatile int app_calls;

static void app_fixer(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (sig != SIGSEGV)
		_exit(3);
	app_calls++;
	app_addr = si->si_addr;
	mprotect((void *)child_bad, pg, PROT_READ | PROT_WRITE);
}

static void app_handler_first(void)
{
	struct sigaction sa;
	uint8_t buf[8], *other;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = app_fixer;
	sa.sa_flags = SA_SIGINFO;
	REQUIRE(!sigaction(SIGSEGV, &sa, NULL));
	REQUIRE(!uroce_fault_guard_init());
	REQUIRE(uroce_fault_guard_owned());
	/* Ours in its range; the application's elsewhere. */
	other = mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(other != MAP_FAILED);
	REQUIRE(uroce_guard_read(buf, other, 8) == -EFAULT);
	REQUIRE(app_calls == 0);
	child_bad[5] = 7;
	REQUIRE(app_calls == 1 && app_addr == child_bad + 5);
	REQUIRE(child_bad[5] == 7);
	/* A signal sent to the process reaches it too. */
	kill(getpid(), SIGSEGV);
	REQUIRE(app_calls == 2);
}

static void app_exit(int sig)
{
	_exit(sig == SIGBUS ? 42 : 43);
}

static void plain_handler_first(void)
{
	uint8_t *a = area_new(BAD_BEYOND_EOF), buf[8];

	signal(SIGBUS, app_exit);
	REQUIRE(uroce_guard_read(buf, a + pg, 8) == -EFAULT);
	sink = *(volatile uint8_t *)(a + pg);
}

/* Installed after ours, the application's handler takes its faults. */
static void app_handler_after(void)
{
	uint8_t buf[8];

	REQUIRE(!uroce_fault_guard_init());
	REQUIRE(uroce_fault_guard_owned());
	signal(SIGSEGV, app_exit);
	REQUIRE(!uroce_fault_guard_owned());
	uroce_guard_read(buf, (void *)child_bad, 8);
}

static void test_children(void)
{
	int status;

	child_bad =
		mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(child_bad != MAP_FAILED);
	check_same_end(caught_then_unguarded, plain_segv, SIGSEGV);
	check_same_end(guarded_elsewhere, plain_segv, SIGSEGV);
	/*
	 * When a handler returns from a SIGBUS beyond the end of a file,
	 * valgrind (3.19) does not always run the access again: the process
	 * may go on instead of dying. Not checked there.
	 */
	if (!RUNNING_ON_VALGRIND)
		check_same_end(unguarded_sigbus, plain_sigbus, SIGBUS);
	check_same_end(sent_sigsegv, plain_sent, SIGSEGV);
	check_same_end(ignored_then_fault, plain_ignored, SIGSEGV);
	status = child_status(app_handler_first);
	if (status)
		fprintf(stderr, "app_handler_first: %#x\n", status);
	REQUIRE(status == 0);
	status = child_status(plain_handler_first);
	REQUIRE(WIFEXITED(status) && WEXITSTATUS(status) == 42);
	status = child_status(app_handler_after);
	REQUIRE(WIFEXITED(status) && WEXITSTATUS(status) == 43);
	REQUIRE(!munmap((void *)child_bad, pg));
}

int main(void)
{
	int bad;

	pg = (size_t)sysconf(_SC_PAGESIZE);
	/* Before any guard: the children start from a process without one. */
	test_children();
	for (bad = 0; bad < NR_BAD; bad++) {
		test_read(bad);
		test_write(bad);
		test_crc(bad);
		test_atomics(bad);
	}
	test_call();
	test_threads();
	printf("test_fault_guard: ok\n");
	return 0;
}
