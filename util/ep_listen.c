// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The listening socket of a query endpoint (the provider's and
 * librdmacm's): an abstract unix socket named PREFIX<16 hex digits>.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/endpoint.h"

#define EP_NAME_TRIES 8

int uroce_ep_listen(const char *prefix, int backlog)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t plen = strlen(prefix);
	uint64_t rnd;
	socklen_t len;
	int fd, i, ret;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Random names: PIDs repeat across PID namespaces sharing the net. */
	for (i = 0; i < EP_NAME_TRIES; i++) {
		if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd)) {
			ret = -errno;
			goto err;
		}
		memcpy(sun.sun_path + 1, prefix, plen);
		snprintf(sun.sun_path + 1 + plen,
			 sizeof(sun.sun_path) - 1 - plen, "%016llx",
			 (unsigned long long)rnd);
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
				  plen + 16);
		if (!bind(fd, (struct sockaddr *)&sun, len))
			break;
		ret = -errno;
		if (ret != -EADDRINUSE)
			goto err;
	}
	if (i == EP_NAME_TRIES)
		goto err;
	if (listen(fd, backlog)) {
		ret = -errno;
		goto err;
	}
	return fd;
err:
	close(fd);
	return ret;
}
