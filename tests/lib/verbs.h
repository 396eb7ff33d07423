/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Verbs helpers of the test programs: a configuration that does not
 * depend on the host, opening a device by name, counting open fds.
 */
#ifndef UROCE_TESTS_LIB_VERBS_H
#define UROCE_TESTS_LIB_VERBS_H

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <infiniband/verbs.h>

#include "tests/lib/check.h"

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

#endif /* UROCE_TESTS_LIB_VERBS_H */
