/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * parse_addr(): an IPv4 or IPv6 address and a port for the probes of
 * tests/cm (cm_probe, cm_calls); -1 with a message if it is neither.
 */
#ifndef UROCE_TESTS_CM_PARSE_ADDR_H
#define UROCE_TESTS_CM_PARSE_ADDR_H

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static inline int parse_addr(const char *s, uint16_t port,
			     struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		return 0;
	}
	if (inet_pton(AF_INET6, s, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		return 0;
	}
	fprintf(stderr, "bad address '%s'\n", s);
	return -1;
}

#endif
