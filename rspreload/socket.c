// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The calls that make, connect, name and end sockets. Before a connection
 * exists, whatever rsockets cannot do (bind to an address without a uroce
 * device, listen, reach a peer that is not on uroce) turns the socket into
 * the plain socket its shadow already is, as if the shim were not there.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preload/real.h"
#include "rspreload/shim.h"
#include "util/log.h"

int shim_new_rsock(int fd, int rfd, int domain, int type,
		   enum rsock_state state)
{
	struct rsock *s = calloc(1, sizeof(*s));
	int err = ENOMEM;

	if (s) {
		s->rfd = rfd;
		s->domain = domain;
		s->type = type;
		s->state = state;
		err = fd_attach(fd, s);
		if (!err)
			return 0;
		free(s);
	}
	if (rfd >= 0)
		RS_CALL(rs.close(rfd));
	errno = err;
	return -1;
}

/* From now on @s (every fd that shares it) is its real shadow socket. */
static void to_real(struct rsock *s, const char *why, int err)
{
	int rfd = __atomic_exchange_n(&s->rfd, -1, __ATOMIC_ACQ_REL);

	if (rfd < 0)
		return;
	uroce_info("rspreload: rsocket %s failed (%s); using a real socket\n",
		   why, strerror(err));
	RS_CALL(rs.close(rfd));
	s->state = RS_READY;
}

int socket(int domain, int type, int protocol)
{
	int fd, rfd, base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);

	shim_init();
	fd = REAL(socket)(domain, type, protocol);
	if (fd < 0 || shim_busy || !rs.socket ||
	    !config_intercept(domain, base, protocol) ||
	    shim_own_code(__builtin_return_address(0)))
		return fd;
	if (shim_cfg.fork_safe && base == SOCK_STREAM) {
		shim_new_rsock(fd, -1, domain, base, RS_FORK);
		return fd;
	}
	rfd = RS_CALL(rs.socket(domain, base, protocol));
	if (rfd < 0)
		return fd; /* a family or type rsockets cannot carry */
	if (type & SOCK_NONBLOCK)
		RS_CALL(rs.fcntl(rfd, F_SETFL, O_NONBLOCK));
	shim_rsock_options(rfd);
	shim_new_rsock(fd, rfd, domain, base, RS_READY);
	return fd;
}

int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct rsock *s = fd_rs(fd);
	int err;

	if (!s)
		return REAL(bind)(fd, addr, len);
	if (!RS_CALL(rs.bind(s->rfd, addr, len))) {
		/* The shadow too, for a fallback connect; best effort. */
		err = errno;
		REAL(bind)(fd, addr, len);
		errno = err;
		return 0;
	}
	if (errno == EADDRINUSE)
		return -1;
	to_real(s, "bind", errno);
	return REAL(bind)(fd, addr, len);
}

int listen(int fd, int backlog)
{
	struct rsock *s = fd_rsock(fd);
	int ret;

	if (s && s->rfd >= 0) {
		if (!RS_CALL(rs.listen(s->rfd, backlog)))
			return 0;
		to_real(s, "listen", errno);
	}
	ret = REAL(listen)(fd, backlog);
	if (!ret && s && s->state == RS_FORK)
		s->state = RS_FORK_LISTEN;
	return ret;
}

static int shim_accept(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	struct rsock *s = fd_rsock(fd);
	int nfd, rfd, err;

	if (!s || (s->rfd < 0 && s->state != RS_FORK_LISTEN))
		return REAL(accept4)(fd, addr, len, flags);
	if (s->rfd < 0) {
		nfd = REAL(accept4)(fd, addr, len, flags);
		if (nfd >= 0)
			shim_new_rsock(nfd, -1, s->domain, s->type,
				       RS_FORK_PASSIVE);
		return nfd;
	}
	rfd = RS_CALL(rs.accept(s->rfd, addr, len));
	if (rfd < 0)
		return -1;
	RS_CALL(rs.fcntl(rfd, F_SETFL, flags & SOCK_NONBLOCK ? O_NONBLOCK : 0));
	nfd = REAL(socket)(s->domain, s->type | flags, 0);
	if (nfd < 0) {
		err = errno;
		RS_CALL(rs.close(rfd));
		errno = err;
		return -1;
	}
	if (shim_new_rsock(nfd, rfd, s->domain, s->type, RS_READY)) {
		err = errno;
		REAL(close)(nfd);
		errno = err;
		return -1;
	}
	return nfd;
}

int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	return shim_accept(fd, addr, len, 0);
}

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	return shim_accept(fd, addr, len, flags);
}

/*
 * A non-blocking socket connects its rsocket blocking (a round trip of
 * the connection manager), so that a peer that is not on uroce is known
 * before the call returns and the real connect can start instead.
 */
int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct rsock *s = fd_rsock(fd);
	int ret, flags, err;

	if (s && s->state == RS_FORK) {
		ret = REAL(connect)(fd, addr, len);
		if (!ret || errno == EINPROGRESS)
			s->state = RS_FORK_ACTIVE;
		return ret;
	}
	if (!s || s->rfd < 0)
		return REAL(connect)(fd, addr, len);
	flags = RS_CALL(rs.fcntl(s->rfd, F_GETFL));
	if (flags > 0 && (flags & O_NONBLOCK))
		RS_CALL(rs.fcntl(s->rfd, F_SETFL, flags & ~O_NONBLOCK));
	ret = RS_CALL(rs.connect(s->rfd, addr, len));
	err = errno;
	if (flags > 0 && (flags & O_NONBLOCK))
		RS_CALL(rs.fcntl(s->rfd, F_SETFL, flags));
	if (!ret)
		return 0;
	if (err == EISCONN || err == EALREADY || err == EFAULT) {
		errno = err;
		return -1;
	}
	to_real(s, "connect", err);
	return REAL(connect)(fd, addr, len);
}

int shutdown(int fd, int how)
{
	struct rsock *s = fd_rs(fd);

	return s ? RS_CALL(rs.shutdown(s->rfd, how)) : REAL(shutdown)(fd, how);
}

/* The mapping goes before the fd: its number may be reused at once. */
int close(int fd)
{
	struct rsock *s = shim_busy ? NULL : fd_detach(fd);
	int ret, err;

	ret = REAL(close)(fd);
	if (s) {
		err = errno;
		rsock_put(s);
		errno = err;
	}
	return ret;
}

/* After a successful dup of @oldfd to @newfd: @newfd shares its rsocket. */
static int dup_track(int oldfd, int newfd)
{
	struct rsock *s, *old;

	if (newfd < 0 || newfd == oldfd)
		return newfd;
	old = fd_detach(newfd); /* the real dup closed it */
	if (old)
		rsock_put(old);
	s = fd_rsock(oldfd);
	if (s && fd_attach(newfd, s)) {
		REAL(close)(newfd);
		errno = ENOMEM;
		return -1;
	}
	return newfd;
}

int dup(int oldfd)
{
	return dup_track(oldfd, REAL(dup)(oldfd));
}

int dup2(int oldfd, int newfd)
{
	return dup_track(oldfd, REAL(dup2)(oldfd, newfd));
}

int dup3(int oldfd, int newfd, int flags)
{
	return dup_track(oldfd, REAL(dup3)(oldfd, newfd, flags));
}

/*
 * O_NONBLOCK goes to both the rsocket and the shadow, so the shadow's
 * flags answer F_GETFL; the fd flags (FD_CLOEXEC) are the shadow's own.
 */
static int shim_fcntl(int fd, int cmd, unsigned long arg,
		      __typeof__(&fcntl) real)
{
	struct rsock *s;

	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		return dup_track(fd, real(fd, cmd, arg));
	case F_SETFL:
		s = fd_rs(fd);
		if (s && RS_CALL(rs.fcntl(s->rfd, F_SETFL, (int)arg)))
			return -1;
		break;
	}
	return real(fd, cmd, arg);
}

int fcntl(int fd, int cmd, ...)
{
	unsigned long arg;
	va_list ap;

	va_start(ap, cmd);
	arg = va_arg(ap, unsigned long);
	va_end(ap);
	return shim_fcntl(fd, cmd, arg, REAL(fcntl));
}

int fcntl64(int fd, int cmd, ...)
{
	unsigned long arg;
	va_list ap;

	va_start(ap, cmd);
	arg = va_arg(ap, unsigned long);
	va_end(ap);
	return shim_fcntl(fd, cmd, arg, REAL(fcntl64));
}

/* Options rsockets does not know are the shadow's. */
static bool rs_unknown_opt(int err)
{
	return err == ENOPROTOOPT || err == ENOTSUP;
}

int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	struct rsock *s = fd_rs(fd);
	int ret, sret, err;

	if (!s)
		return REAL(setsockopt)(fd, level, name, val, len);
	ret = RS_CALL(rs.setsockopt(s->rfd, level, name, val, len));
	err = errno;
	/* The shadow too, which carries the socket on a fallback. */
	sret = REAL(setsockopt)(fd, level, name, val, len);
	if (!ret)
		return 0;
	if (rs_unknown_opt(err))
		return sret;
	errno = err;
	return -1;
}

int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	struct rsock *s = fd_rs(fd);
	int ret;

	if (s) {
		ret = RS_CALL(rs.getsockopt(s->rfd, level, name, val, len));
		if (!ret || !rs_unknown_opt(errno))
			return ret;
	}
	return REAL(getsockopt)(fd, level, name, val, len);
}

int getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
	struct rsock *s = fd_rs(fd);

	return s ? RS_CALL(rs.getpeername(s->rfd, addr, len)) :
		   REAL(getpeername)(fd, addr, len);
}

int getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	struct rsock *s = fd_rs(fd);

	return s ? RS_CALL(rs.getsockname(s->rfd, addr, len)) :
		   REAL(getsockname)(fd, addr, len);
}
