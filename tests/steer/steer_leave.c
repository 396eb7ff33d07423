// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * steer_leave leave|kill ROUNDS PORT: how long a member's datagrams reach
 * another member after a third one leaves (steer_group_leave) or is
 * killed (SIGKILL). The kernel then moves the group's last socket, B's,
 * into the freed slot, and B's datagrams go by hash until the leader's
 * next program (Documentation/roce-v2-sharing.md).
 *
 * Each round: the leader L, then A, then B join 127.0.0.1:PORT, each
 * once the one before has joined; this process sends B's QPN a datagram
 * every 20 us from 16 source ports (so that the hash spreads them) for
 * 60 ms, and A goes 10 ms in. L notes the send times of those that reach
 * it. Prints the window (the first to the
 * last misdelivered datagram) on average and at most; exit status 1 when
 * one exceeds 25 ms, 2 on a setup error. Run it in a namespace of its own
 * with lo up (tests/steer/leave.sh).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/steer_group.h"

#define MAX_WINDOW_MS 25.0
#define NR_SRC 16

static struct sockaddr_in addr = { .sin_family = AF_INET };
static volatile sig_atomic_t quit;

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void on_term(int sig)
{
	(void)sig;
	quit = 1;
}

static struct steer_group *join(void)
{
	struct steer_group *g;

	g = steer_group_join((struct sockaddr *)&addr, sizeof(addr));
	if (!g) {
		perror("steer_group_join");
		_exit(2);
	}
	return g;
}

/* Waits up to 5 s for a line or byte on @fd: false if none came. */
static bool wait_for(int fd, char *buf, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 5000) == 1 && read(fd, buf, len) > 0;
}

/* Runs the group until SIGTERM; @report: where to write what it saw. */
static void serve(struct steer_group *g, int report)
{
	double first = 0, last = 0, ts;
	uint8_t buf[64];
	long mis = 0;
	uint32_t qpn;
	ssize_t r;

	while (!quit) {
		struct pollfd p[2] = {
			{ .fd = steer_group_udp_fd(g), .events = POLLIN },
			{ .fd = steer_group_fd(g), .events = POLLIN },
		};
		int t = steer_group_timeout(g);

		poll(p, 2, t < 0 || t > 5 ? 5 : t);
		while ((r = recv(steer_group_udp_fd(g), buf, sizeof(buf),
				 MSG_DONTWAIT)) > 0) {
			if (steer_group_rx(g, buf, (size_t)r) || r < 24)
				continue;
			qpn = (uint32_t)buf[5] << 16 | buf[6] << 8 | buf[7];
			if (qpn >> STEER_QPN_SHIFT == steer_group_tag(g))
				continue;
			memcpy(&ts, buf + 16, sizeof(ts));
			if (!mis++)
				first = ts;
			last = ts;
		}
		steer_group_run(g);
	}
	if (report >= 0) {
		struct steer_group_stats st;

		steer_group_stats(g, &st);
		dprintf(report, "%ld %.3f %llu\n", mis, mis ? last - first : 0,
			(unsigned long long)st.failed_rounds);
	}
}

/* A member in a process of its own, once it has joined; leaves at SIGTERM. */
static pid_t member(const int ready[2], int report)
{
	struct steer_group *g;
	char c = 1, buf;
	pid_t pid = fork();

	if (pid < 0)
		exit(2);
	if (pid) {
		if (!wait_for(ready[0], &buf, 1))
			exit(2);
		return pid;
	}
	g = join();
	if (write(ready[1], &c, 1) != 1)
		_exit(2);
	serve(g, report);
	steer_group_leave(g);
	_exit(0);
}

/* A round: returns the window, or -1 if no datagram went astray. */
static double round_(bool kill_a, long *mis, unsigned long long *failed)
{
	struct sockaddr_in to = addr;
	uint8_t pkt[24] = { 0x64 };
	struct steer_group *g;
	int fds[NR_SRC], pfd[2], rdy[2], i;
	double t0, ts, span = -1;
	pid_t l, a, b;
	char line[64] = "";
	bool gone = false;
	uint32_t qpn;

	if (pipe(pfd) || pipe(rdy))
		exit(2);
	l = member(rdy, pfd[1]);
	close(pfd[1]);
	a = member(rdy, -1);
	/* B joins here, runs in a child: its tag, QPN known here. */
	g = join();
	qpn = steer_group_tag(g) << STEER_QPN_SHIFT | 5;
	b = fork();
	if (!b) {
		serve(g, -1);
		_exit(0);
	}
	pkt[5] = (uint8_t)(qpn >> 16);
	pkt[6] = (uint8_t)(qpn >> 8);
	pkt[7] = (uint8_t)qpn;
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; i < NR_SRC; i++)
		fds[i] = socket(AF_INET, SOCK_DGRAM, 0);
	usleep(20000);
	t0 = now_ms();
	for (i = 0; (ts = now_ms()) - t0 < 60; i++) {
		memcpy(pkt + 16, &ts, sizeof(ts));
		sendto(fds[i % NR_SRC], pkt, sizeof(pkt), 0,
		       (struct sockaddr *)&to, sizeof(to));
		if (!gone && ts - t0 > 10) {
			kill(a, kill_a ? SIGKILL : SIGTERM);
			gone = true;
		}
		usleep(20);
	}
	usleep(20000);
	kill(l, SIGTERM);
	if (!wait_for(pfd[0], line, sizeof(line) - 1))
		exit(2);
	if (sscanf(line, "%ld %lf %llu", mis, &span, failed) == 3 && !*mis)
		span = -1;
	kill(b, SIGTERM);
	waitpid(l, NULL, 0);
	waitpid(a, NULL, 0);
	waitpid(b, NULL, 0);
	steer_group_leave(g); /* B's child has gone: closes our copies */
	for (i = 0; i < NR_SRC; i++)
		close(fds[i]);
	close(pfd[0]);
	close(rdy[0]);
	close(rdy[1]);
	return span;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_term };
	int rounds, k, hit = 0;
	double span, sum = 0, max = 0;
	unsigned long long failed = 0, failed_all = 0;
	long mis, total = 0;
	bool kill_a;

	if (argc != 4 ||
	    (strcmp(argv[1], "leave") && strcmp(argv[1], "kill"))) {
		fprintf(stderr, "usage: steer_leave leave|kill ROUNDS PORT\n");
		return 2;
	}
	kill_a = !strcmp(argv[1], "kill");
	rounds = atoi(argv[2]);
	addr.sin_port = htons((uint16_t)atoi(argv[3]));
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sigaction(SIGTERM, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (k = 0; k < rounds; k++) {
		mis = 0;
		span = round_(kill_a, &mis, &failed);
		total += mis;
		failed_all += failed;
		if (span < 0)
			continue;
		hit++;
		sum += span;
		max = span > max ? span : max;
	}
	printf("%s: %d rounds, %d with datagrams astray (%ld in all); "
	       "window %.3f ms on average, %.3f ms at most; %llu failed "
	       "probe rounds\n",
	       argv[1], rounds, hit, total, hit ? sum / hit : 0.0, max,
	       failed_all);
	if (max > MAX_WINDOW_MS) {
		printf("FAIL: a window over %.0f ms\n", MAX_WINDOW_MS);
		return 1;
	}
	return 0;
}
