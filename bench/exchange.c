// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The out-of-band TCP connection: run parameters, QP numbers, GIDs,
 * rkeys and addresses, barriers between measurements and the receiver's
 * figures travel over it. Every wait on it is bounded, so that a peer
 * that died cannot hang the other end.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench/bench.h"

#define BENCH_MAGIC 0x75626e63 /* "ubnc" */
/* No exchange waits longer than this: a measurement is a few seconds. */
#define IO_TIMEOUT_S 60

int xchg_sockaddr(const char *addr, uint16_t port, void *sa,
		  unsigned int *salen)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_PASSIVE,
				  .ai_socktype = SOCK_STREAM };
	struct addrinfo *res;
	char serv[8];
	int ret;

	snprintf(serv, sizeof(serv), "%u", port);
	ret = getaddrinfo(addr, serv, &hints, &res);
	if (ret) {
		fprintf(stderr, "address %s: %s\n", addr ? addr : "(any)",
			gai_strerror(ret));
		return -1;
	}
	memcpy(sa, res->ai_addr, res->ai_addrlen);
	*salen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static void set_io_options(int fd)
{
	struct timeval tv = { .tv_sec = IO_TIMEOUT_S };
	int on = 1;

	/* Small request/response messages: Nagle would delay them. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

int xchg_accept(const char *addr, uint16_t port, unsigned int secs)
{
	struct sockaddr_storage sa;
	unsigned int salen;
	struct pollfd pfd;
	int lfd, fd = -1, on = 1;

	if (xchg_sockaddr(addr, port, &sa, &salen))
		return -1;
	lfd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0) {
		perror("socket");
		return -1;
	}
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(lfd, (struct sockaddr *)&sa, salen) || listen(lfd, 1)) {
		fprintf(stderr, "listen on port %u: %s\n", port,
			strerror(errno));
		goto out;
	}
	pfd.fd = lfd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, (int)secs * 1000) != 1) {
		fprintf(stderr, "no client within %u s\n", secs);
		goto out;
	}
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		perror("accept");
	else
		set_io_options(fd);
out:
	close(lfd);
	return fd;
}

int xchg_connect(const char *addr, uint16_t port, unsigned int secs)
{
	struct sockaddr_storage sa;
	unsigned int salen, tries;
	int fd;

	if (xchg_sockaddr(addr, port, &sa, &salen))
		return -1;
	/* The server may not be listening yet: retry every 20 ms. */
	for (tries = 0; tries < secs * 50; tries++) {
		fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			perror("socket");
			return -1;
		}
		if (!connect(fd, (struct sockaddr *)&sa, salen)) {
			set_io_options(fd);
			return fd;
		}
		close(fd);
		if (errno != ECONNREFUSED && errno != EINTR) {
			fprintf(stderr, "connect to %s port %u: %s\n", addr,
				port, strerror(errno));
			return -1;
		}
		usleep(20000);
	}
	fprintf(stderr, "connect to %s port %u: no server within %u s\n", addr,
		port, secs);
	return -1;
}

int xchg_send(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			perror("control connection: send");
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int xchg_recv(int fd, void *buf, size_t len)
{
	char *p = buf;
	ssize_t n;

	while (len) {
		n = recv(fd, p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "control connection: %s\n",
				n ? strerror(errno) : "peer closed it");
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int xchg_swap(int fd, const void *mine, void *theirs, size_t len)
{
	if (xchg_send(fd, mine, len))
		return -1;
	return xchg_recv(fd, theirs, len);
}

int xchg_sync(int fd)
{
	char a = 's', b;

	return xchg_swap(fd, &a, &b, 1);
}

int xchg_params(int fd, bool server, struct bench_params *p)
{
	if (!server) {
		p->magic = BENCH_MAGIC;
		return xchg_send(fd, p, sizeof(*p));
	}
	if (xchg_recv(fd, p, sizeof(*p)))
		return -1;
	if (p->magic != BENCH_MAGIC) {
		fprintf(stderr, "the client is not uroce_bench\n");
		return -1;
	}
	return 0;
}
