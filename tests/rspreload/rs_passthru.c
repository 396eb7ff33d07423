// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * rs_passthru [udp]: run under an rsockets shim (LD_PRELOAD), the fds the
 * shim must leave alone behave as without it: pipes, a file (read, write,
 * dup2, F_DUPFD, sendfile), AF_UNIX sockets (data, SCM_RIGHTS, a
 * listener), a raw socket, and with "udp" a UDP socket on lo. Each goes
 * through poll and select too. Exit 0 when all checks pass.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "tests/lib/check.h"

/* The pair (@rfd, @wfd) carries data, and poll and select see it. */
static void check_pair(const char *what, int rfd, int wfd)
{
	char buf[64] = "";
	struct pollfd p = { .fd = rfd, .events = POLLIN };
	struct timeval tv = { 0, 0 };
	fd_set set;

	fprintf(stderr, "%s\n", what);
	CHECK(poll(&p, 1, 0) == 0);
	FD_ZERO(&set);
	FD_SET(rfd, &set);
	CHECK(select(rfd + 1, &set, NULL, NULL, &tv) == 0);
	CHECK(write(wfd, "hello", 5) == 5);
	CHECK(poll(&p, 1, 1000) == 1 && (p.revents & POLLIN));
	FD_ZERO(&set);
	FD_SET(rfd, &set);
	tv.tv_sec = 1;
	CHECK(select(rfd + 1, &set, NULL, NULL, &tv) == 1 &&
	      FD_ISSET(rfd, &set));
	CHECK(read(rfd, buf, sizeof(buf)) == 5 && !memcmp(buf, "hello", 5));
}

static void check_pipe(void)
{
	struct iovec iov[2] = { { "ab", 2 }, { "cd", 2 } };
	char buf[8] = "";
	int p[2];

	CHECK(!pipe(p));
	check_pair("pipe", p[0], p[1]);
	CHECK(writev(p[1], iov, 2) == 4);
	iov[0].iov_base = buf;
	iov[1].iov_base = buf + 2;
	CHECK(readv(p[0], iov, 2) == 4 && !memcmp(buf, "abcd", 4));
	CHECK(!close(p[0]) && !close(p[1]));
}

static void check_file(void)
{
	char path[] = "/tmp/rs_passthru.XXXXXX", buf[16] = "";
	int fd = mkstemp(path), hi, dfd, p[2];
	off_t off = 0;

	fprintf(stderr, "file\n");
	CHECK(fd >= 0);
	unlink(path);
	CHECK(write(fd, "0123456789", 10) == 10);
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	hi = dup2(fd, 200);
	CHECK(hi == 200);
	CHECK(read(hi, buf, 4) == 4 && !memcmp(buf, "0123", 4));
	dfd = fcntl(fd, F_DUPFD_CLOEXEC, 300);
	CHECK(dfd >= 300 && (fcntl(dfd, F_GETFD) & FD_CLOEXEC));
	CHECK(read(dfd, buf, 2) == 2 && !memcmp(buf, "45", 2));
	CHECK(!pipe(p));
	CHECK(sendfile(p[1], fd, &off, 10) == 10 && off == 10);
	CHECK(read(p[0], buf, 16) == 10 && !memcmp(buf, "0123456789", 10));
	CHECK(!close(hi) && !close(dfd) && !close(fd));
	CHECK(close(fd) == -1 && errno == EBADF);
	close(p[0]);
	close(p[1]);
}

/* Sends @fd over the AF_UNIX socket @s; @r receives it. */
static void check_scm_rights(int s, int r, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 }, c = 'x';
	struct iovec iov = { &c, 1 };
	struct msghdr m = { .msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	int got = -1;

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	CHECK(sendmsg(s, &m, 0) == 1);
	memset(cbuf, 0, sizeof(cbuf));
	c = 0;
	CHECK(recvmsg(r, &m, 0) == 1 && c == 'x');
	cm = CMSG_FIRSTHDR(&m);
	CHECK(cm && cm->cmsg_type == SCM_RIGHTS);
	if (cm)
		memcpy(&got, CMSG_DATA(cm), sizeof(int));
	CHECK(got >= 0 && write(got, "z", 1) == 1);
	if (got >= 0)
		close(got);
}

static void check_unix(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX }, peer;
	socklen_t len, plen;
	int sp[2], l, c, a, p[2];
	char buf[4];

	CHECK(!socketpair(AF_UNIX, SOCK_STREAM, 0, sp));
	check_pair("AF_UNIX socketpair", sp[0], sp[1]);
	CHECK(send(sp[0], "x", 1, 0) == 1 &&
	      recv(sp[1], buf, sizeof(buf), 0) == 1);
	CHECK(!pipe(p));
	check_scm_rights(sp[0], sp[1], p[1]);
	CHECK(read(p[0], buf, 1) == 1 && buf[0] == 'z');

	fprintf(stderr, "AF_UNIX listener\n");
	snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1, "rs_passthru.%d",
		 getpid());
	len = offsetof(struct sockaddr_un, sun_path) + 1 +
	      strlen(sa.sun_path + 1);
	l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(l >= 0 && !bind(l, (struct sockaddr *)&sa, len) && !listen(l, 1));
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(c >= 0 && !connect(c, (struct sockaddr *)&sa, len));
	a = accept(l, NULL, NULL);
	CHECK(a >= 0);
	check_pair("AF_UNIX accepted", a, c);
	plen = sizeof(peer);
	CHECK(!getsockname(l, (struct sockaddr *)&peer, &plen) && plen == len &&
	      peer.sun_family == AF_UNIX && !memcmp(&peer, &sa, len));
	CHECK(!shutdown(c, SHUT_WR) && read(a, buf, 1) == 0);
	close(a);
	close(c);
	close(l);
	close(sp[0]);
	close(sp[1]);
	close(p[0]);
	close(p[1]);
}

static void check_raw(void)
{
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), type = 0;
	socklen_t len = sizeof(type);

	if (fd < 0 && (errno == EPERM || errno == EACCES)) {
		fprintf(stderr, "raw socket: not permitted here, skipped\n");
		return;
	}
	fprintf(stderr, "raw socket\n");
	CHECK(fd >= 0);
	CHECK(!getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) &&
	      type == SOCK_RAW);
	close(fd);
}

static void check_udp(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int r = socket(AF_INET, SOCK_DGRAM, 0),
	    w = socket(AF_INET, SOCK_DGRAM, 0);

	CHECK(r >= 0 && w >= 0);
	CHECK(!bind(r, (struct sockaddr *)&sa, sizeof(sa)));
	CHECK(!getsockname(r, (struct sockaddr *)&sa, &len) && sa.sin_port);
	CHECK(!connect(w, (struct sockaddr *)&sa, sizeof(sa)));
	check_pair("UDP on lo", r, w);
	close(r);
	close(w);
}

int main(int argc, char **argv)
{
	Dl_info info = { 0 };

	/* The test means nothing unless a shim serves these calls. */
	if (!dladdr(dlsym(RTLD_DEFAULT, "socket"), &info) || !info.dli_fname ||
	    !strstr(info.dli_fname, "rspreload")) {
		fprintf(stderr, "socket() is %s's, not a shim's\n",
			info.dli_fname ? info.dli_fname : "?");
		return 1;
	}
	fprintf(stderr, "socket() from %s\n", info.dli_fname);
	check_pipe();
	check_file();
	check_unix();
	check_raw();
	if (argc > 1 && !strcmp(argv[1], "udp"))
		check_udp();
	if (check_failures)
		fprintf(stderr, "%d checks failed\n", check_failures);
	return check_failures ? 1 : 0;
}
