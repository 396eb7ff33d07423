// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * RDMAV_FORK_SAFE=1: an RDMA connection cannot be handed to a forked
 * child, so a stream socket connects and accepts over TCP, and moves onto
 * an rsocket at its first data call, in whichever process makes it:
 *
 * - the accepted end listens with an rsocket on its own address and port,
 *   then sends four zero bytes over TCP;
 * - the connecting end waits for those bytes and connects its rsocket to
 *   the TCP peer's address.
 *
 * Then the TCP connection is closed and the fd becomes a fresh shadow.
 * The listeners are serialized across processes by an flock on
 * /dev/shm/uroce-rsocket-fork.lock (/tmp/... without /dev/shm), which the
 * kernel drops when its holder dies: a process killed mid-move cannot
 * block the next ones, as a named semaphore left at 0 would. A connecting
 * end whose peer sends anything else first stays on TCP; one whose peer
 * waits for it to speak first (a TCP server without the shim) waits too:
 * both ends must run the shim in this mode.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/file.h>

#include "preload/real.h"
#include "rspreload/shim.h"
#include "util/log.h"

static pthread_mutex_t fork_lock = PTHREAD_MUTEX_INITIALIZER;

/* TCP_NODELAY and O_NONBLOCK of the TCP socket @fd onto @rfd. */
static void copy_options(int fd, int rfd)
{
	int one = 0, fl;
	socklen_t len = sizeof(one);

	fl = REAL(fcntl)(fd, F_GETFL);
	if (fl >= 0)
		RS_CALL(rs.fcntl(rfd, F_SETFL, fl & O_NONBLOCK));
	if (!REAL(getsockopt)(fd, IPPROTO_TCP, TCP_NODELAY, &one, &len) && one)
		RS_CALL(rs.setsockopt(rfd, IPPROTO_TCP, TCP_NODELAY, &one,
				      sizeof(one)));
}

/* Ends the TCP connection of @fd, which becomes a fresh shadow of @s. */
static void swap_in(int fd, struct rsock *s, int rfd)
{
	int nfd, fdfl, fl;

	copy_options(fd, rfd);
	fdfl = REAL(fcntl)(fd, F_GETFD);
	fl = REAL(fcntl)(fd, F_GETFL);
	REAL(shutdown)(fd, SHUT_RDWR);
	nfd = REAL(socket)(s->domain, s->type, 0);
	if (nfd >= 0) {
		REAL(dup2)(nfd, fd);
		REAL(close)(nfd);
		if (fdfl >= 0)
			REAL(fcntl)(fd, F_SETFD, fdfl);
		if (fl >= 0)
			REAL(fcntl)(fd, F_SETFL, fl);
	}
	shim_rsock_options(rfd);
	__atomic_store_n(&s->rfd, rfd, __ATOMIC_RELEASE);
}

/* The host-wide lock of the moves' listeners: its fd, or -1. */
static int lock_listeners(void)
{
	static const char *const paths[] = {
		"/dev/shm/uroce-rsocket-fork.lock",
		"/tmp/uroce-rsocket-fork.lock",
	};
	unsigned int i;
	int fd;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		fd = open(paths[i], O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0)
			continue;
		if (!flock(fd, LOCK_EX))
			return fd;
		REAL(close)(fd);
	}
	return -1;
}

static int passive(int fd, struct rsock *s)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int lfd, lock, rfd = -1, one = 1;
	uint32_t ready = 0;

	if (REAL(getsockname)(fd, (struct sockaddr *)&ss, &len))
		return -1;
	lfd = RS_CALL(rs.socket(s->domain, SOCK_STREAM, 0));
	if (lfd < 0)
		return -1;
	RS_CALL(rs.setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one,
			      sizeof(one)));
	lock = lock_listeners();
	if (lock >= 0 && !RS_CALL(rs.bind(lfd, (struct sockaddr *)&ss, len)) &&
	    !RS_CALL(rs.listen(lfd, 1)) &&
	    REAL(write)(fd, &ready, sizeof(ready)) == sizeof(ready))
		rfd = RS_CALL(rs.accept(lfd, NULL, NULL));
	RS_CALL(rs.close(lfd));
	if (lock >= 0)
		REAL(close)(lock);
	return rfd;
}

static int active(int fd, struct rsock *s)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	uint32_t msg = 1;
	int rfd, fl;

	fl = REAL(fcntl)(fd, F_GETFL);
	REAL(fcntl)(fd, F_SETFL, fl & ~O_NONBLOCK);
	if (REAL(recv)(fd, &msg, sizeof(msg), MSG_PEEK | MSG_WAITALL) !=
	    sizeof(msg))
		msg = 1;
	REAL(fcntl)(fd, F_SETFL, fl);
	if (msg || REAL(getpeername)(fd, (struct sockaddr *)&ss, &len))
		return -1;
	rfd = RS_CALL(rs.socket(s->domain, SOCK_STREAM, 0));
	if (rfd >= 0 && RS_CALL(rs.connect(rfd, (struct sockaddr *)&ss, len))) {
		RS_CALL(rs.close(rfd));
		rfd = -1;
	}
	return rfd;
}

void fork_resolve(int fd, struct rsock *s)
{
	int rfd;

	pthread_mutex_lock(&fork_lock);
	if (s->state == RS_FORK_PASSIVE || s->state == RS_FORK_ACTIVE) {
		rfd = s->state == RS_FORK_PASSIVE ? passive(fd, s) :
						    active(fd, s);
		if (rfd >= 0) {
			swap_in(fd, s, rfd);
			uroce_info("rspreload: fd %d moved onto an rsocket\n",
				   fd);
		} else {
			uroce_info("rspreload: fd %d stays on TCP\n", fd);
		}
		s->state = RS_READY;
	}
	pthread_mutex_unlock(&fork_lock);
}
