/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A tiny test harness for the verbs tests: checks that print file:line and
 * errno, and helpers to open the loopback device and count open fds. The
 * tests use the public API only.
 */
#ifndef UROCE_TEST_CHECK_H
#define UROCE_TEST_CHECK_H

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <infiniband/verbs.h>

static int check_failures;

/* A failed CHECK is reported and counted; the test goes on. */
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

/* A failed REQUIRE ends the test: what follows depends on it. */
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

/* A verb that returns an errno value (0 on success) returns @err. */
#define CHECK_RET(call, err) CHECK_EQ((call), (err))

/*
 * A verb that returns -1 and sets errno fails with @err. errno is cleared
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
 * A verb that returns a pointer fails with NULL and errno @err. A pointer
 * it returns by mistake is leaked rather than freed with an unknown verb.
 */
#define CHECK_NULL(call, err)               \
	do {                                \
		const void *__p;            \
		errno = 0;                  \
		__p = (const void *)(call); \
		CHECK(__p == NULL);         \
		CHECK_EQ(errno, (err));     \
	} while (0)

/* Open file descriptors of the process (the directory's own excluded). */
static inline int count_fds(void)
{
	struct dirent *d;
	DIR *dir;
	int n = 0;

	dir = opendir("/proc/self/fd");
	REQUIRE(dir);
	while ((d = readdir(dir)))
		if (d->d_name[0] != '.')
			n++;
	closedir(dir);
	return n - 1;
}

/*
 * The tests do not depend on the host's configuration: no file, no
 * environment, so the loopback device is always there.
 */
static inline void test_env(void)
{
	setenv("UROCE_CONF", "", 1);
	unsetenv("UROCE_INCLUDE");
	unsetenv("UROCE_EXCLUDE");
	unsetenv("UROCE_LO");
	unsetenv("UROCE_RENAME");
}

#define TEST_DEV "uroce_lo"

/* Opens device @name, or ends the test with the list of devices. */
static inline struct ibv_context *open_dev(const char *name)
{
	struct ibv_device **list;
	struct ibv_context *ctx = NULL;
	int i, n = -1;

	list = ibv_get_device_list(&n);
	REQUIRE(list);
	for (i = 0; i < n; i++) {
		if (!strcmp(ibv_get_device_name(list[i]), name)) {
			ctx = ibv_open_device(list[i]);
			REQUIRE(ctx);
			break;
		}
	}
	if (!ctx) {
		fprintf(stderr, "device %s not found; the %d devices are:\n",
			name, n);
		for (i = 0; i < n; i++)
			fprintf(stderr, "  %s\n", ibv_get_device_name(list[i]));
		exit(1);
	}
	ibv_free_device_list(list);
	return ctx;
}

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

#endif /* UROCE_TEST_CHECK_H */
