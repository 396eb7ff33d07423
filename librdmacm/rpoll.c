// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * rpoll: the one rsocket call that programs poll plain descriptors with
 * (the librdmacm examples poll event channels through it, and so import
 * it). uroce has no rsockets, so every descriptor is a plain one and
 * rpoll is poll.
 */
#include <poll.h>

int rpoll(struct pollfd *fds, nfds_t nfds, int timeout);

int rpoll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	return poll(fds, nfds, timeout);
}
