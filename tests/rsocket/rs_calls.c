// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * rs_calls: rsockets' calls on one host (127.0.0.1, the loopback device):
 * error returns (EBADF, ENOTCONN, EINVAL, ENOTSUP, EAGAIN), a non-blocking
 * connect finished through rpoll, rpoll and rselect over rsockets and a
 * pipe together (nothing ready, a timeout, each kind ready alone, a
 * sleeper woken by data from another thread), MSG_PEEK, MSG_DONTWAIT,
 * rfcntl, options, keepalive, half-close, fork, and the end of a
 * connection.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rdma/rsocket.h>

#include "tests/lib/check.h"

#define CHECK_ERR(call, e)                           \
	do {                                         \
		errno = 0;                           \
		CHECK((call) == -1 && errno == (e)); \
	} while (0)

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	       (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static void errors(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd, p[2], val = 1;
	char c;

	CHECK(!pipe(p));
	/* an ordinary descriptor, and one that is not open */
	CHECK_ERR(rsend(p[1], "x", 1, 0), EBADF);
	CHECK_ERR(rrecv(p[0], &c, 1, 0), EBADF);
	CHECK_ERR(rclose(p[0]), EBADF);
	CHECK_ERR(rshutdown(-1, SHUT_RDWR), EBADF);
	CHECK_ERR(rsetsockopt(9999, SOL_SOCKET, SO_REUSEADDR, &val,
			      sizeof(val)),
		  EBADF);
	CHECK_ERR(rfcntl(9999, F_GETFL), EBADF);
	CHECK_ERR(rgetpeername(9999, (struct sockaddr *)&sin, &len), EBADF);
	close(p[0]);
	close(p[1]);

	CHECK_ERR(rsocket(AF_UNIX, SOCK_STREAM, 0), ENOTSUP);
	CHECK_ERR(rsocket(AF_INET, SOCK_STREAM, IPPROTO_UDP), ENOTSUP);

	fd = rsocket(AF_INET, SOCK_STREAM, 0);
	CHECK(fd >= 0);
	/* a real descriptor: no ordinary open may take its number */
	CHECK(fcntl(fd, F_GETFD) >= 0);
	CHECK_ERR(rsend(fd, "x", 1, 0), ENOTCONN);
	CHECK_ERR(rrecv(fd, &c, 1, 0), ENOTCONN);
	CHECK_ERR(rgetpeername(fd, (struct sockaddr *)&sin, &len), ENOTCONN);
	CHECK_ERR(rshutdown(fd, SHUT_RDWR), ENOTCONN);
	CHECK_ERR(rshutdown(fd, 42), EINVAL);
	CHECK_ERR(rsetsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &val, 1), EINVAL);
	CHECK_ERR(rsetsockopt(fd, SOL_SOCKET, SO_REUSEADDR, NULL, 4), EINVAL);
	CHECK_ERR(rsetsockopt(fd, 12345, 1, &val, sizeof(val)), ENOTSUP);
	CHECK_ERR(rsetsockopt(fd, SOL_RDMA, 99, &val, sizeof(val)), ENOTSUP);
	CHECK_ERR(rbind(fd, NULL, 0), EINVAL);
	CHECK_ERR(raccept(fd, NULL, NULL), EINVAL);
	CHECK_ERR(rfcntl(fd, F_DUPFD, 0), ENOTSUP);
	CHECK(!rclose(fd));
	/* closed: the number is no rsocket any more */
	CHECK_ERR(rclose(fd), EBADF);
}

static void options(int fd)
{
	struct linger l;
	socklen_t len;
	int val;

	val = 1 << 16;
	CHECK(!rsetsockopt(fd, SOL_SOCKET, SO_SNDBUF, &val, sizeof(val)));
	CHECK(!rsetsockopt(fd, SOL_SOCKET, SO_RCVBUF, &val, sizeof(val)));
	len = sizeof(val);
	CHECK(!rgetsockopt(fd, SOL_SOCKET, SO_SNDBUF, &val, &len));
	CHECK(val == 1 << 17 && len == sizeof(int));
	val = 1;
	CHECK(!rsetsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &val, sizeof(val)));
	len = sizeof(val);
	val = 0;
	CHECK(!rgetsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &val, &len));
	CHECK(val == 1);
	val = 128;
	CHECK(!rsetsockopt(fd, SOL_RDMA, RDMA_SQSIZE, &val, sizeof(val)));
	len = sizeof(val);
	CHECK(!rgetsockopt(fd, SOL_RDMA, RDMA_SQSIZE, &val, &len));
	CHECK(val == 128);
	len = sizeof(l);
	CHECK(!rgetsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &len));
	CHECK(l.l_onoff == 1);
	len = sizeof(val);
	CHECK(!rgetsockopt(fd, SOL_SOCKET, SO_ERROR, &val, &len));
	CHECK(val == 0);
	CHECK_ERR(rgetsockopt(fd, SOL_SOCKET, SO_TYPE, &val, &len), ENOTSUP);
}

struct waker {
	int fd;
	int delay_ms;
};

static void *wake(void *arg)
{
	struct waker *w = arg;

	usleep(w->delay_ms * 1000);
	CHECK(rsend(w->fd, "w", 1, 0) == 1);
	return NULL;
}

static void poll_mix(int srv, int cli)
{
	struct pollfd fds[3];
	struct timespec t0;
	struct timeval tv;
	struct waker w = { .fd = cli, .delay_ms = 200 };
	pthread_t th;
	fd_set rd, wr;
	int p[2], n, maxfd;
	char buf[16];

	CHECK(!pipe(p));
	fds[0] = (struct pollfd){ .fd = p[0], .events = POLLIN };
	fds[1] = (struct pollfd){ .fd = srv, .events = POLLIN };
	fds[2] = (struct pollfd){ .fd = cli, .events = POLLIN };

	/* nothing to read anywhere: the timeout */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(rpoll(fds, 3, 150) == 0);
	CHECK(ms_since(&t0) >= 140);
	CHECK(!fds[0].revents && !fds[1].revents && !fds[2].revents);

	/* the pipe alone */
	CHECK(write(p[1], "p", 1) == 1);
	CHECK(rpoll(fds, 3, 1000) == 1);
	CHECK(fds[0].revents == POLLIN && !fds[1].revents && !fds[2].revents);
	CHECK(read(p[0], buf, 1) == 1);

	/* the rsocket alone */
	CHECK(rsend(cli, "hello", 5, 0) == 5);
	CHECK(rpoll(fds, 3, 1000) == 1);
	CHECK(!fds[0].revents && fds[1].revents == POLLIN && !fds[2].revents);
	CHECK(rrecv(srv, buf, 2, MSG_PEEK) == 2 && !memcmp(buf, "he", 2));
	CHECK(rrecv(srv, buf, sizeof(buf), 0) == 5 && !memcmp(buf, "hello", 5));
	CHECK_ERR(rrecv(srv, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);

	/* writable: credits are there */
	fds[2].events = POLLOUT;
	CHECK(rpoll(&fds[2], 1, 0) == 1 && fds[2].revents == POLLOUT);
	fds[2].events = POLLIN;

	/* asleep in rpoll until another thread sends */
	CHECK(!pthread_create(&th, NULL, wake, &w));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(rpoll(fds, 3, 5000) == 1 && fds[1].revents == POLLIN);
	CHECK(ms_since(&t0) >= 150 && ms_since(&t0) < 4000);
	pthread_join(th, NULL);
	CHECK(rrecv(srv, buf, sizeof(buf), 0) == 1 && buf[0] == 'w');

	/* asleep in a blocking rrecv */
	CHECK(!pthread_create(&th, NULL, wake, &w));
	CHECK(rrecv(srv, buf, sizeof(buf), 0) == 1 && buf[0] == 'w');
	pthread_join(th, NULL);

	/* rselect: the pipe readable, the rsocket readable and writable */
	CHECK(write(p[1], "q", 1) == 1);
	CHECK(rsend(cli, "abc", 3, 0) == 3);
	usleep(100000);
	maxfd = (p[0] > srv ? p[0] : srv) + 1;
	FD_ZERO(&rd);
	FD_ZERO(&wr);
	FD_SET(p[0], &rd);
	FD_SET(srv, &rd);
	FD_SET(srv, &wr);
	tv = (struct timeval){ .tv_sec = 1 };
	n = rselect(maxfd, &rd, &wr, NULL, &tv);
	CHECK(n == 3);
	CHECK(FD_ISSET(p[0], &rd) && FD_ISSET(srv, &rd) && FD_ISSET(srv, &wr));
	CHECK(rrecv(srv, buf, sizeof(buf), 0) == 3);
	CHECK(read(p[0], buf, 1) == 1);
	/* rselect with nothing readable: its timeout */
	FD_ZERO(&rd);
	FD_SET(p[0], &rd);
	FD_SET(srv, &rd);
	tv = (struct timeval){ .tv_usec = 100000 };
	CHECK(rselect(maxfd, &rd, NULL, NULL, &tv) == 0);
	CHECK(!FD_ISSET(p[0], &rd) && !FD_ISSET(srv, &rd));
	close(p[1]);
	/* a descriptor that is not open */
	FD_ZERO(&rd);
	FD_SET(p[1], &rd);
	tv = (struct timeval){ .tv_usec = 1000 };
	CHECK_ERR(rselect(p[1] + 1, &rd, NULL, NULL, &tv), EBADF);
	close(p[0]);
}

/* A large transfer both ways at once, checked byte by byte. */
static void *bulk_send(void *arg)
{
	int fd = *(int *)arg;
	static unsigned char buf[1 << 20];
	size_t i, off = 0;
	ssize_t n;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 7 + 3);
	while (off < sizeof(buf)) {
		n = rsend(fd, buf + off, sizeof(buf) - off, 0);
		if (n <= 0)
			break;
		off += n;
	}
	CHECK(off == sizeof(buf));
	return NULL;
}

static void bulk(int srv, int cli)
{
	static unsigned char buf[1 << 20];
	struct iovec iov[3];
	pthread_t th;
	size_t i, off = 0;
	ssize_t n;

	CHECK(!pthread_create(&th, NULL, bulk_send, &cli));
	while (off < sizeof(buf)) {
		iov[0] = (struct iovec){ buf + off, 1 };
		iov[1] = (struct iovec){ buf + off + 1, 0 };
		iov[2] = (struct iovec){ buf + off + 1, sizeof(buf) - off - 1 };
		n = off + 1 < sizeof(buf) ? rreadv(srv, iov, 3) :
					    rrecv(srv, buf + off, 1, 0);
		if (n <= 0)
			break;
		off += n;
	}
	pthread_join(th, NULL);
	CHECK(off == sizeof(buf));
	for (i = 0; i < sizeof(buf); i++) {
		if (buf[i] != (unsigned char)(i * 7 + 3)) {
			CHECK(!"bulk data differs");
			break;
		}
	}
}

static void half_close(int srv, int cli)
{
	struct pollfd p = { .fd = srv, .events = POLLIN };
	char buf[8];

	CHECK(rsend(cli, "end", 3, 0) == 3);
	CHECK(!rshutdown(cli, SHUT_WR));
	CHECK_ERR(rsend(cli, "x", 1, 0), EPIPE);
	/* the data, then the end */
	CHECK(rrecv(srv, buf, sizeof(buf), MSG_WAITALL) == 3);
	CHECK(rrecv(srv, buf, sizeof(buf), 0) == 0);
	/* the other way still works */
	CHECK(rsend(srv, "back", 4, 0) == 4);
	CHECK(rrecv(cli, buf, 4, MSG_WAITALL) == 4);
	CHECK(!memcmp(buf, "back", 4));
	CHECK(!rclose(cli));
	/* the peer is gone: readable (end of stream) and hung up */
	CHECK(rpoll(&p, 1, 5000) == 1);
	CHECK((p.revents & POLLIN) && (p.revents & POLLHUP));
	CHECK(rrecv(srv, buf, sizeof(buf), 0) == 0);
}

/*
 * fork: the child cannot make rsockets (the CM thread stayed with the
 * parent), and says so at once; the parent's connection carries on.
 */
static void fork_child(int srv, int cli)
{
	char buf[8];
	pid_t pid;
	int st;

	pid = fork();
	if (!pid) {
		errno = 0;
		_exit(rsocket(AF_INET, SOCK_STREAM, 0) == -1 &&
				      errno == ENOTSUP ?
			      0 :
			      1);
	}
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK(rsend(cli, "fork", 4, 0) == 4);
	CHECK(rrecv(srv, buf, 4, MSG_WAITALL) == 4 && !memcmp(buf, "fork", 4));
}

/* SO_KEEPALIVE: its zero-length writes go unseen by the peer. */
static void keepalive(int srv, int cli)
{
	socklen_t len = sizeof(int);
	int val = 1;
	char buf[4];

	CHECK(!rsetsockopt(cli, SOL_SOCKET, SO_KEEPALIVE, &val, sizeof(val)));
	CHECK(!rsetsockopt(cli, IPPROTO_TCP, TCP_KEEPIDLE, &val, sizeof(val)));
	val = 0;
	CHECK(!rgetsockopt(cli, SOL_SOCKET, SO_KEEPALIVE, &val, &len) && val);
	CHECK(!rgetsockopt(cli, IPPROTO_TCP, TCP_KEEPIDLE, &val, &len) &&
	      val == 1);
	CHECK_ERR(rsetsockopt(cli, IPPROTO_TCP, TCP_KEEPIDLE, &(int){ 0 },
			      sizeof(int)),
		  EINVAL);
	usleep(2500000); /* two keepalives */
	CHECK(rsend(cli, "ka", 2, 0) == 2);
	CHECK(rrecv(srv, buf, 2, MSG_WAITALL) == 2 && !memcmp(buf, "ka", 2));
	CHECK_ERR(rrecv(srv, buf, 1, MSG_DONTWAIT), EAGAIN);
	val = 0;
	CHECK(!rsetsockopt(cli, SOL_SOCKET, SO_KEEPALIVE, &val, sizeof(val)));
}

/*
 * The peer process for vanished(): connects, sends one byte, and exits
 * without closing (no DISCONNECT, no DREQ: as if killed).
 */
static int peer_main(const char *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd = rsocket(AF_INET, SOCK_STREAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(atoi(port));
	if (fd < 0 || rconnect(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    rsend(fd, "x", 1, 0) != 1)
		return 1;
	usleep(200000);
	_exit(0);
}

/*
 * A peer that vanishes: with SO_KEEPALIVE, the keepalive write fails
 * after the QP's retries and a blocked rrecv returns (the stream ends)
 * instead of waiting for ever.
 */
static void vanished(int lfd, const char *self, int port)
{
	struct timespec t0;
	char arg[16], c;
	int fd, one = 1, st;
	pid_t pid;
	ssize_t n;

	snprintf(arg, sizeof(arg), "%d", port);
	pid = fork();
	if (!pid) {
		execl(self, self, "peer", arg, (char *)NULL);
		_exit(127);
	}
	fd = raccept(lfd, NULL, NULL);
	CHECK(fd >= 0);
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && !WEXITSTATUS(st));
	CHECK(!rsetsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)));
	CHECK(!rsetsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &one, sizeof(one)));
	CHECK(rrecv(fd, &c, 1, 0) == 1 && c == 'x');
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = rrecv(fd, &c, 1, 0);
	CHECK(n <= 0);
	CHECK(ms_since(&t0) < 30000);
	printf("rs_calls: a vanished peer noticed after %ld ms (%zd)\n",
	       ms_since(&t0), n);
	CHECK(!rclose(fd));
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	struct pollfd p;
	int lfd, cli, srv, val, fl, lport;

	if (argc == 3 && !strcmp(argv[1], "peer"))
		return peer_main(argv[2]);
	errors();

	lfd = rsocket(AF_INET, SOCK_STREAM, 0);
	CHECK(lfd >= 0);
	val = 1;
	CHECK(!rsetsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &val, sizeof(val)));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(!rbind(lfd, (struct sockaddr *)&sin, sizeof(sin)));
	CHECK(!rlisten(lfd, 8));
	CHECK(!rgetsockname(lfd, (struct sockaddr *)&sin, &len));
	CHECK(sin.sin_port != 0);
	lport = ntohs(sin.sin_port);
	CHECK(!rfcntl(lfd, F_SETFL, O_NONBLOCK));
	CHECK(rfcntl(lfd, F_GETFL) == O_NONBLOCK);
	CHECK_ERR(raccept(lfd, NULL, NULL), EAGAIN);

	cli = rsocket(AF_INET, SOCK_STREAM, 0);
	CHECK(cli >= 0);
	options(cli);
	fl = rfcntl(cli, F_GETFL);
	CHECK(!rfcntl(cli, F_SETFL, fl | O_NONBLOCK));
	errno = 0;
	CHECK(rconnect(cli, (struct sockaddr *)&sin, sizeof(sin)) == -1 &&
	      errno == EINPROGRESS);
	/* the listener becomes readable with the request */
	p = (struct pollfd){ .fd = lfd, .events = POLLIN };
	CHECK(rpoll(&p, 1, 5000) == 1 && p.revents == POLLIN);
	CHECK(!rfcntl(lfd, F_SETFL, 0));
	srv = raccept(lfd, NULL, NULL);
	CHECK(srv >= 0);
	/* the connect completes: writable, no error */
	p = (struct pollfd){ .fd = cli, .events = POLLOUT };
	CHECK(rpoll(&p, 1, 5000) == 1 && p.revents == POLLOUT);
	len = sizeof(val);
	CHECK(!rgetsockopt(cli, SOL_SOCKET, SO_ERROR, &val, &len) && !val);
	CHECK(!rfcntl(cli, F_SETFL, fl));
	val = 64;
	CHECK_ERR(rsetsockopt(cli, SOL_RDMA, RDMA_INLINE, &val, sizeof(val)),
		  EINVAL);
	CHECK_ERR(rconnect(cli, (struct sockaddr *)&sin, sizeof(sin)), EISCONN);
	len = sizeof(sin);
	CHECK(!rgetpeername(srv, (struct sockaddr *)&sin, &len));
	CHECK(sin.sin_addr.s_addr == htonl(INADDR_LOOPBACK));

	fork_child(srv, cli);
	keepalive(srv, cli);
	poll_mix(srv, cli);
	bulk(srv, cli);
	half_close(srv, cli);
	CHECK(!rclose(srv));
	vanished(lfd, argv[0], lport);
	CHECK(!rclose(lfd));
	printf("rs_calls: %d failure(s)\n", check_failures);
	return check_failures ? 1 : 0;
}
