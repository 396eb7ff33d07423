// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The data calls: an rsocket's go to librdmacm, every other fd's to libc. */
#include <errno.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "preload/real.h"
#include "rspreload/shim.h"

/* @s for an fd the shim owns, outside the shim's own calls. */
#define RS_OF(fd, s) (!shim_busy && ((s) = fd_data_rsock(fd)))

ssize_t read(int fd, void *buf, size_t n)
{
	struct rsock *s;

	return RS_OF(fd, s) ? RS_CALL(rs.read(s->rfd, buf, n)) :
			      REAL(read)(fd, buf, n);
}

ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
	struct rsock *s;

	return RS_OF(fd, s) ? RS_CALL(rs.readv(s->rfd, iov, cnt)) :
			      REAL(readv)(fd, iov, cnt);
}

ssize_t recv(int fd, void *buf, size_t n, int flags)
{
	struct rsock *s;

	return RS_OF(fd, s) ? RS_CALL(rs.recv(s->rfd, buf, n, flags)) :
			      REAL(recv)(fd, buf, n, flags);
}

ssize_t recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *addr,
		 socklen_t *len)
{
	struct rsock *s;

	return RS_OF(fd, s) ?
		       RS_CALL(rs.recvfrom(s->rfd, buf, n, flags, addr, len)) :
		       REAL(recvfrom)(fd, buf, n, flags, addr, len);
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	struct rsock *s;

	return RS_OF(fd, s) ? RS_CALL(rs.recvmsg(s->rfd, msg, flags)) :
			      REAL(recvmsg)(fd, msg, flags);
}

ssize_t write(int fd, const void *buf, size_t n)
{
	struct rsock *s;

	return RS_OF(fd, s) ? RS_CALL(rs.write(s->rfd, buf, n)) :
			      REAL(write)(fd, buf, n);
}

ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
	struct rsock *s;

	return RS_OF(fd, s) ? RS_CALL(rs.writev(s->rfd, iov, cnt)) :
			      REAL(writev)(fd, iov, cnt);
}

ssize_t send(int fd, const void *buf, size_t n, int flags)
{
	struct rsock *s;

	return RS_OF(fd, s) ? RS_CALL(rs.send(s->rfd, buf, n, flags)) :
			      REAL(send)(fd, buf, n, flags);
}

ssize_t sendto(int fd, const void *buf, size_t n, int flags,
	       const struct sockaddr *addr, socklen_t len)
{
	struct rsock *s;

	return RS_OF(fd, s) ?
		       RS_CALL(rs.sendto(s->rfd, buf, n, flags, addr, len)) :
		       REAL(sendto)(fd, buf, n, flags, addr, len);
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct rsock *s;

	return RS_OF(fd, s) ? RS_CALL(rs.sendmsg(s->rfd, msg, flags)) :
			      REAL(sendmsg)(fd, msg, flags);
}

/*
 * sendfile to an rsocket: the file is read in chunks and written; with
 * @off, from *off without moving the file offset, as sendfile does.
 */
static ssize_t file_to_rsock(int rfd, int in, off_t *off, size_t count)
{
	char buf[32768];
	size_t done = 0;
	ssize_t r, w;

	while (done < count) {
		r = count - done < sizeof(buf) ? count - done : sizeof(buf);
		r = off ? pread(in, buf, r, *off + done) :
			  REAL(read)(in, buf, r);
		if (r <= 0) {
			if (r < 0 && !done)
				return -1;
			break;
		}
		w = RS_CALL(rs.write(rfd, buf, r));
		if (w < r && !off)
			lseek(in, w < 0 ? -r : w - r, SEEK_CUR);
		if (w < 0) {
			if (!done)
				return -1;
			break;
		}
		done += w;
		if (w < r)
			break;
	}
	if (off)
		*off += done;
	return done;
}

ssize_t sendfile(int out, int in, off_t *off, size_t count)
{
	struct rsock *s;

	return RS_OF(out, s) ? file_to_rsock(s->rfd, in, off, count) :
			       REAL(sendfile)(out, in, off, count);
}

ssize_t sendfile64(int out, int in, off64_t *off, size_t count)
{
	struct rsock *s;

	return RS_OF(out, s) ? file_to_rsock(s->rfd, in, off, count) :
			       REAL(sendfile64)(out, in, off, count);
}
