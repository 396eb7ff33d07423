// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * uroce_bench MODE server|client [options]: one measurement between a
 * server and a client, usually in two network namespaces. The client
 * decides the parameters and prints the results; scripts/bench.sh runs
 * every mode and makes the table.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench.h"

#define DEFAULT_PORT 18515
#define MAX_SIZE (64u << 20)

static const char *const mode_names[] = {
	[MODE_UDP_PINGPONG] = "udp-pingpong",
	[MODE_UDP_STREAM] = "udp-stream",
	[MODE_TCP_STREAM] = "tcp-stream",
	[MODE_RC_BW] = "rc-bw",
	[MODE_RC_LAT] = "rc-lat",
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: uroce_bench MODE server|client [options]\n"
		"modes:\n"
		"  udp-pingpong  UDP round trips, both ends spinning on recv\n"
		"  udp-stream    one datagram per send; the receiver counts\n"
		"  tcp-stream    one TCP connection, client to server\n"
		"  rc-bw         RC WRITE or SEND bandwidth over 1..%u QPs\n"
		"  rc-lat        RC WRITE or SEND ping-pong round trips\n"
		"options (the client's count; the server takes them from it):\n"
		"  -a ADDR   client: the server's address; server: bind to it\n"
		"  -p PORT   control TCP port, and the UDP data port (%u)\n"
		"  -d DEV    RDMA device, e.g. uroce_eth0 (the first one)\n"
		"  -g IDX    GID index (0: the IPv4-mapped RoCE v2 GID)\n"
		"  -o OP     write or send (write)\n"
		"  -q N      QPs for rc-bw (1)\n"
		"  -s LIST   message sizes, e.g. 64,4K,1M\n"
		"  -t SECS   seconds per trial for bandwidth and streams (1)\n"
		"  -r N      rc-bw: trials per size, the median printed (1)\n"
		"  -n N      round trips to time for latency (20000)\n"
		"  -W N      untimed warm-up round trips (1000)\n"
		"  -w N      rc-bw: outstanding WRs per QP (128)\n"
		"  -l N      rc-bw: WRs per ibv_post_send; udp-stream:\n"
		"            datagrams per sendmmsg (1)\n"
		"  -G        udp-stream: the -l datagrams as one UDP GSO send,\n"
		"            received with UDP_GRO\n"
		"  -e        rc-bw server: sleep on a completion channel\n"
		"  -P        rc-lat WRITE: poll the CQ while spinning\n"
		"  -T SECS   how long to wait for the peer (30)\n",
		BENCH_MAX_QPS, DEFAULT_PORT);
}

static int parse_uint(const char *s, unsigned long max, uint32_t *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (*end == 'K' || *end == 'k')
		v <<= 10, end++;
	else if (*end == 'M' || *end == 'm')
		v <<= 20, end++;
	if (errno || end == s || *end || v > max) {
		fprintf(stderr, "bad number '%s' (at most %lu)\n", s, max);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

/* Seconds, with a fraction if wanted: 0.01 to 600. */
static int parse_secs(const char *s, uint64_t *ns)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0.01 && v <= 600)) {
		fprintf(stderr, "bad duration '%s' (0.01 to 600 s)\n", s);
		return -1;
	}
	*ns = (uint64_t)(v * 1e9);
	return 0;
}

static int parse_sizes(char *list, struct bench_params *p)
{
	char *tok, *save = NULL;

	p->nsizes = 0;
	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (p->nsizes == BENCH_MAX_SIZES) {
			fprintf(stderr, "at most %u sizes\n", BENCH_MAX_SIZES);
			return -1;
		}
		if (parse_uint(tok, MAX_SIZE, &p->sizes[p->nsizes]))
			return -1;
		if (!p->sizes[p->nsizes]) {
			fprintf(stderr, "a size must be at least 1\n");
			return -1;
		}
		p->nsizes++;
	}
	return p->nsizes ? 0 : -1;
}

static void set_defaults(struct bench_params *p)
{
	static const uint32_t bw_sizes[] = { 64,    256,   1024,   4096,
					     16384, 65536, 262144, 1048576 };

	switch (p->mode) {
	case MODE_UDP_PINGPONG:
		/* The datagram uroce sends for a 2-byte message:
		 * BTH, payload, pad, ICRC. */
		p->sizes[0] = 20;
		break;
	case MODE_UDP_STREAM:
		p->sizes[0] = 4096;
		break;
	case MODE_TCP_STREAM:
		p->sizes[0] = 128 << 10;
		break;
	case MODE_RC_LAT:
		p->sizes[0] = 2;
		break;
	case MODE_RC_BW:
		memcpy(p->sizes, bw_sizes, sizeof(bw_sizes));
		p->nsizes = sizeof(bw_sizes) / sizeof(bw_sizes[0]);
		break;
	}
	if (!p->nsizes)
		p->nsizes = 1;
	p->qps = 1;
	p->iters = 20000;
	p->warmup = 1000;
	p->window = 128;
	p->post_list = 1;
	p->reps = 1;
	p->duration_ns = 1000000000ull;
}

/* The server checks what the client asked for. */
static int check_params(const struct bench_params *p, enum bench_mode mode)
{
	uint32_t i;

	if (p->mode != mode) {
		fprintf(stderr, "the client runs %s, this server %s\n",
			p->mode < MODE_RC_LAT + 1 ? mode_names[p->mode] : "?",
			mode_names[mode]);
		return -1;
	}
	if (!p->qps || p->qps > BENCH_MAX_QPS || !p->nsizes ||
	    p->nsizes > BENCH_MAX_SIZES || !p->window || p->window > 4096 ||
	    !p->post_list || p->post_list > 64 || !p->iters || !p->reps ||
	    p->reps > 100 || p->iters > BENCH_MAX_ITERS ||
	    p->warmup > BENCH_MAX_ITERS ||
	    p->duration_ns > 600ull * 1000000000ull) {
		fprintf(stderr, "bad parameters from the client\n");
		return -1;
	}
	for (i = 0; i < p->nsizes; i++)
		if (!p->sizes[i] || p->sizes[i] > MAX_SIZE) {
			fprintf(stderr, "bad size from the client\n");
			return -1;
		}
	return 0;
}

static int parse_args(int argc, char **argv, struct bench_opts *o)
{
	struct bench_params *p = &o->p;
	uint32_t v;
	int c, m;

	if (argc == 2 &&
	    (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		exit(0);
	}
	if (argc < 3) {
		usage(stderr);
		return -1;
	}
	for (m = 0; m <= MODE_RC_LAT; m++)
		if (!strcmp(argv[1], mode_names[m]))
			break;
	if (m > MODE_RC_LAT ||
	    (strcmp(argv[2], "server") && strcmp(argv[2], "client"))) {
		usage(stderr);
		return -1;
	}
	memset(o, 0, sizeof(*o));
	p->mode = (uint32_t)m;
	o->server = !strcmp(argv[2], "server");
	o->port = DEFAULT_PORT;
	o->wait_secs = 30;
	set_defaults(p);
	optind = 3;
	while ((c = getopt(argc, argv, "a:p:d:g:o:q:s:t:r:n:W:w:l:eGPT:h")) !=
	       -1) {
		switch (c) {
		case 'a':
			o->addr = optarg;
			break;
		case 'p':
			if (parse_uint(optarg, 65534, &v))
				return -1;
			o->port = (uint16_t)v;
			break;
		case 'd':
			o->dev = optarg;
			break;
		case 'g':
			if (parse_uint(optarg, 255, &v))
				return -1;
			o->gid_index = (int)v;
			break;
		case 'o':
			if (strcmp(optarg, "write") && strcmp(optarg, "send")) {
				fprintf(stderr, "-o write or -o send\n");
				return -1;
			}
			p->op_send = !strcmp(optarg, "send");
			break;
		case 'q':
			if (parse_uint(optarg, BENCH_MAX_QPS, &p->qps))
				return -1;
			break;
		case 's':
			if (parse_sizes(optarg, p))
				return -1;
			break;
		case 't':
			if (parse_secs(optarg, &p->duration_ns))
				return -1;
			break;
		case 'r':
			if (parse_uint(optarg, 100, &p->reps) || !p->reps)
				return -1;
			break;
		case 'n':
			if (parse_uint(optarg, BENCH_MAX_ITERS, &p->iters))
				return -1;
			break;
		case 'W':
			if (parse_uint(optarg, BENCH_MAX_ITERS, &p->warmup))
				return -1;
			break;
		case 'w':
			if (parse_uint(optarg, 4096, &p->window))
				return -1;
			break;
		case 'l':
			if (parse_uint(optarg, 64, &p->post_list))
				return -1;
			break;
		case 'e':
			p->events = 1;
			break;
		case 'G':
			p->gso = 1;
			break;
		case 'P':
			p->spin_poll = 1;
			break;
		case 'T':
			if (parse_uint(optarg, 3600, &o->wait_secs))
				return -1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc || (!o->server && !o->addr)) {
		fprintf(stderr, "%s\n",
			o->server ? "extra arguments" :
				    "the client needs -a ADDR");
		return -1;
	}
	return check_params(p, (enum bench_mode)m);
}

int main(int argc, char **argv)
{
	static int (*const run[])(const struct bench_opts *, int) = {
		[MODE_UDP_PINGPONG] = raw_udp_pingpong,
		[MODE_UDP_STREAM] = raw_udp_stream,
		[MODE_TCP_STREAM] = raw_tcp_stream,
		[MODE_RC_BW] = rc_bw,
		[MODE_RC_LAT] = rc_lat,
	};
	enum bench_mode mode;
	struct bench_opts o;
	uint32_t events;
	int ctl, ret;

	if (parse_args(argc, argv, &o))
		return 2;
	ctl = o.server ? xchg_accept(o.addr, o.port, o.wait_secs) :
			 xchg_connect(o.addr, o.port, o.wait_secs);
	if (ctl < 0)
		return 1;
	/* The server's own -e stands; the rest is the client's. */
	events = o.p.events;
	mode = (enum bench_mode)o.p.mode;
	if (xchg_params(ctl, o.server, &o.p) ||
	    (o.server && check_params(&o.p, mode))) {
		close(ctl);
		return 1;
	}
	if (o.server)
		o.p.events = events;
	ret = run[o.p.mode](&o, ctl);
	close(ctl);
	return ret ? 1 : 0;
}
