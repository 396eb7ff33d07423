/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * uroce_bench: one program, one measurement per run. The server waits on
 * a TCP control port, the client connects, sends the parameters of the
 * run and prints one "result key=value ..." line per figure; the server
 * prints nothing but errors.
 */
#ifndef UROCE_BENCH_H
#define UROCE_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BENCH_MAX_QPS 16
#define BENCH_MAX_SIZES 24
#define BENCH_MAX_ITERS 10000000u

/* What the client sends the server first: both ends then agree. */
struct bench_params {
	uint32_t magic;
	uint32_t mode; /* enum bench_mode */
	uint32_t op_send; /* rc: SEND, else RDMA WRITE */
	uint32_t qps;
	uint32_t nsizes;
	uint32_t sizes[BENCH_MAX_SIZES];
	uint32_t iters;
	uint32_t warmup;
	uint32_t window; /* rc-bw: outstanding WRs per QP */
	uint32_t post_list; /* rc-bw: WRs per ibv_post_send */
	uint32_t spin_poll; /* rc-lat WRITE: poll the CQ while spinning */
	uint32_t events; /* rc-bw WRITE: the target sleeps on a channel */
	uint32_t reps; /* rc-bw: trials per size; the median is printed */
	uint32_t gso; /* udp-stream: post_list datagrams as one UDP GSO send */
	uint64_t duration_ns; /* per trial, for bandwidth and streams */
};

enum bench_mode {
	MODE_UDP_PINGPONG,
	MODE_UDP_STREAM,
	MODE_TCP_STREAM,
	MODE_RC_BW,
	MODE_RC_LAT,
};

struct bench_opts {
	bool server;
	const char *addr; /* client: the server; server: bind (NULL: any) */
	uint16_t port; /* TCP control port (and UDP data port) */
	const char *dev; /* RDMA device */
	int gid_index;
	unsigned int wait_secs; /* server: accept; client: connect */
	struct bench_params p;
};

/* exchange.c: the out-of-band TCP control connection */
int xchg_accept(const char *addr, uint16_t port, unsigned int secs);
int xchg_connect(const char *addr, uint16_t port, unsigned int secs);
int xchg_send(int fd, const void *buf, size_t len);
int xchg_recv(int fd, void *buf, size_t len);
/* Sends @mine and receives the peer's @theirs of the same length. */
int xchg_swap(int fd, const void *mine, void *theirs, size_t len);
/* Both ends get here before either goes on. */
int xchg_sync(int fd);
/* The parameters: the client sends @p, the server receives them. */
int xchg_params(int fd, bool server, struct bench_params *p);
/* A socket address for @addr and @port (IPv4 or IPv6). */
int xchg_sockaddr(const char *addr, uint16_t port, void *sa,
		  unsigned int *salen);

/* stats.c */
uint64_t now_ns(void);
/* Sorts @v and returns the @pct percentile (nearest rank). */
uint64_t stats_pct(uint64_t *v, size_t n, double pct);
/* Prints median, p99, min and max of the round trips @rtt, in µs. */
void stats_print_lat(const char *prefix, uint64_t *rtt, size_t n);
/* Prints a bandwidth figure: @bytes of payload in @ns. */
void stats_print_bw(const char *prefix, uint64_t bytes, uint64_t msgs,
		    uint64_t ns);

/* raw.c: the limits of the path, without uroce */
int raw_udp_pingpong(const struct bench_opts *o, int ctl);
int raw_udp_stream(const struct bench_opts *o, int ctl);
int raw_tcp_stream(const struct bench_opts *o, int ctl);

/* rc_bw.c, rc_lat.c */
int rc_bw(const struct bench_opts *o, int ctl);
int rc_lat(const struct bench_opts *o, int ctl);

#endif /* UROCE_BENCH_H */
