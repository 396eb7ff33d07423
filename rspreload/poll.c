// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * poll and select over any mix of fds: when one is an rsocket, the set
 * goes to rpoll with each rsocket's fd in place of the application's;
 * otherwise straight to libc.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "preload/real.h"
#include "rspreload/shim.h"

#define STACK_FDS 64

static bool any_rsock(const struct pollfd *fds, nfds_t n)
{
	nfds_t i;

	for (i = 0; i < n; i++)
		if (fd_rs(fds[i].fd))
			return true;
	return false;
}

/* rpoll on @fds, whose application fds are swapped for rsockets. */
static int rpoll_fds(struct pollfd *fds, nfds_t n, int timeout)
{
	struct pollfd stack[STACK_FDS], *rfds = stack;
	struct rsock *s;
	nfds_t i;
	int ret, err;

	if (n > STACK_FDS) {
		rfds = calloc(n, sizeof(*rfds));
		if (!rfds) {
			errno = ENOMEM;
			return -1;
		}
	}
	for (i = 0; i < n; i++) {
		rfds[i] = fds[i];
		s = fd_rs(fds[i].fd);
		if (s)
			rfds[i].fd = s->rfd;
	}
	ret = RS_CALL(rs.poll(rfds, n, timeout));
	err = errno;
	for (i = 0; i < n; i++)
		fds[i].revents = rfds[i].revents;
	if (rfds != stack)
		free(rfds);
	errno = err;
	return ret;
}

int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	if (shim_busy || !any_rsock(fds, n))
		return REAL(poll)(fds, n, timeout);
	return rpoll_fds(fds, n, timeout);
}

#define IN_SET (POLLIN | POLLRDNORM | POLLRDBAND | POLLHUP | POLLERR)
#define OUT_SET (POLLOUT | POLLWRNORM | POLLWRBAND | POLLERR)
#define EX_SET (POLLPRI)

static bool in(const fd_set *set, int fd)
{
	return set && FD_ISSET(fd, set);
}

/* The fd_sets as pollfds (events 0: none of interest), and the count. */
static nfds_t sets_to_fds(int nfds, fd_set *r, fd_set *w, fd_set *e,
			  struct pollfd *fds, bool *rsock)
{
	nfds_t n = 0;
	int fd;

	*rsock = false;
	for (fd = 0; fd < nfds; fd++) {
		if (!in(r, fd) && !in(w, fd) && !in(e, fd))
			continue;
		if (fds) {
			fds[n].fd = fd;
			fds[n].events = (in(r, fd) ? POLLIN : 0) |
					(in(w, fd) ? POLLOUT : 0) |
					(in(e, fd) ? POLLPRI : 0);
			fds[n].revents = 0;
		}
		if (fd_rs(fd))
			*rsock = true;
		n++;
	}
	return n;
}

static int fds_to_sets(const struct pollfd *fds, nfds_t n, fd_set *r, fd_set *w,
		       fd_set *e)
{
	int cnt = 0;
	nfds_t i;

	for (i = 0; i < n; i++)
		if (fds[i].revents & POLLNVAL) {
			errno = EBADF;
			return -1;
		}
	if (r)
		FD_ZERO(r);
	if (w)
		FD_ZERO(w);
	if (e)
		FD_ZERO(e);
	for (i = 0; i < n; i++) {
		short ev = fds[i].revents;

		if (r && (fds[i].events & POLLIN) && (ev & IN_SET)) {
			FD_SET(fds[i].fd, r);
			cnt++;
		}
		if (w && (fds[i].events & POLLOUT) && (ev & OUT_SET)) {
			FD_SET(fds[i].fd, w);
			cnt++;
		}
		if (e && (fds[i].events & POLLPRI) && (ev & EX_SET)) {
			FD_SET(fds[i].fd, e);
			cnt++;
		}
	}
	return cnt;
}

int select(int nfds, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv)
{
	struct pollfd stack[STACK_FDS], *fds = stack;
	int ret, timeout = -1;
	bool rsock;
	nfds_t n;

	if (shim_busy || nfds < 0 || nfds > FD_SETSIZE)
		return REAL(select)(nfds, r, w, e, tv);
	n = sets_to_fds(nfds, r, w, e, NULL, &rsock);
	if (!rsock)
		return REAL(select)(nfds, r, w, e, tv);
	if (tv) {
		if (tv->tv_sec < 0 || tv->tv_usec < 0) {
			errno = EINVAL;
			return -1;
		}
		timeout =
			tv->tv_sec >= INT_MAX / 1000 - 1 ?
				INT_MAX :
				tv->tv_sec * 1000 + (tv->tv_usec + 999) / 1000;
	}
	if (n > STACK_FDS) {
		fds = calloc(n, sizeof(*fds));
		if (!fds) {
			errno = ENOMEM;
			return -1;
		}
	}
	sets_to_fds(nfds, r, w, e, fds, &rsock);
	ret = rpoll_fds(fds, n, timeout);
	if (ret >= 0)
		ret = fds_to_sets(fds, n, r, w, e);
	if (fds != stack)
		free(fds);
	return ret;
}
