/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The test programs' assertions. Both print file:line, the condition and
 * errno as it was right after the condition was evaluated.
 *
 * CHECK(c): soft. A failure is reported and counted in check_failures and
 * the test goes on, so that one run shows every broken case. A program
 * whose check failed exits 1 even if it returns 0 (see check_exit).
 *
 * REQUIRE(c): fatal. A failure ends the program with status 1: what
 * follows depends on it.
 */
#ifndef UROCE_TESTS_LIB_CHECK_H
#define UROCE_TESTS_LIB_CHECK_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int check_failures __attribute__((unused));

#define CHECK(cond)                                             \
	do {                                                    \
		int __ok = !!(cond);                            \
		int __e = errno;                                \
		if (!__ok) {                                    \
			fprintf(stderr,                         \
				"%s:%d: CHECK(%s) failed "      \
				"(errno %d: %s)\n",             \
				__FILE__, __LINE__, #cond, __e, \
				strerror(__e));                 \
			check_failures++;                       \
		}                                               \
		errno = __e;                                    \
	} while (0)

#define REQUIRE(cond)                                           \
	do {                                                    \
		int __ok = !!(cond);                            \
		int __e = errno;                                \
		if (!__ok) {                                    \
			fprintf(stderr,                         \
				"%s:%d: REQUIRE(%s) failed "    \
				"(errno %d: %s)\n",             \
				__FILE__, __LINE__, #cond, __e, \
				strerror(__e));                 \
			exit(1);                                \
		}                                               \
		errno = __e;                                    \
	} while (0)

/* Two integers compare equal; both values are printed on failure. */
#define CHECK_EQ(a, b)                                                     \
	do {                                                               \
		long long __a = (long long)(a), __b = (long long)(b);      \
		int __e = errno;                                           \
		if (__a != __b) {                                          \
			fprintf(stderr,                                    \
				"%s:%d: CHECK_EQ(%s, %s) failed: "         \
				"%lld != %lld (errno %d: %s)\n",           \
				__FILE__, __LINE__, #a, #b, __a, __b, __e, \
				strerror(__e));                            \
			check_failures++;                                  \
		}                                                          \
		errno = __e;                                               \
	} while (0)

/* A call that returns an errno value (0 on success) returns @err. */
#define CHECK_RET(call, err) CHECK_EQ((call), (err))

/*
 * A call that returns -1 and sets errno fails with @err. errno is cleared
 * first so that a stale value cannot pass the check.
 */
#define CHECK_ERRNO(call, err)           \
	do {                             \
		long long __r;           \
		errno = 0;               \
		__r = (long long)(call); \
		CHECK_EQ(__r, -1);       \
		CHECK_EQ(errno, (err));  \
	} while (0)

/*
 * A call that returns a pointer fails with NULL and errno @err. A pointer
 * it returns by mistake is leaked rather than freed with an unknown call.
 */
#define CHECK_NULL(call, err)               \
	do {                                \
		const void *__p;            \
		errno = 0;                  \
		__p = (const void *)(call); \
		CHECK(__p == NULL);         \
		CHECK_EQ(errno, (err));     \
	} while (0)

/* Prints the verdict of test @test; returns its exit status. */
static inline int check_report(const char *test)
{
	if (check_failures) {
		fprintf(stderr, "%s: %d check(s) failed\n", test,
			check_failures);
		return 1;
	}
	printf("%s: all checks passed\n", test);
	return 0;
}

/*
 * A failed CHECK fails the program whatever main returns: a test cannot
 * pass by forgetting to look at check_failures. Runs in exit(), after
 * main; exits 1 without the handlers that have not run yet.
 */
__attribute__((destructor, unused)) static void check_exit(void)
{
	if (check_failures) {
		fflush(NULL);
		_exit(1);
	}
}

#endif /* UROCE_TESTS_LIB_CHECK_H */
