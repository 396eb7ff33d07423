/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * RC queue pairs for the bandwidth and latency runs: one context, PD, CQ
 * and MR, and up to BENCH_MAX_QPS QPs, connected through the control
 * connection. Each QP has two regions of the MR: one it sends from and
 * one the peer writes (or sends) into.
 */
#ifndef UROCE_BENCH_RC_H
#define UROCE_BENCH_RC_H

#include <infiniband/verbs.h>

#include "bench/bench.h"

/* What each end tells the other about one of its QPs. */
struct rc_peer {
	uint32_t qpn;
	uint32_t psn;
	uint32_t rkey;
	uint32_t pad;
	uint64_t addr; /* the QP's receive region */
	uint8_t gid[16];
};

struct rc {
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_comp_channel *channel; /* NULL unless asked for */
	struct ibv_cq *cq; /* sends and receives of every QP */
	struct ibv_mr *mr;
	uint8_t *buf;
	size_t region;
	unsigned int nqps;
	uint32_t max_inline;
	struct ibv_qp *qp[BENCH_MAX_QPS];
	struct rc_peer peer[BENCH_MAX_QPS];
};

struct rc_sizes {
	size_t region; /* bytes per region */
	uint32_t sq, rq, cqe; /* queue depths */
	bool channel;
};

int rc_open(struct rc *rc, const struct bench_opts *o, unsigned int nqps,
	    const struct rc_sizes *sz);
/* Brings every QP to RTS against the peer's, whose details it swaps. */
int rc_connect(struct rc *rc, const struct bench_opts *o, int ctl);
void rc_close(struct rc *rc);

static inline uint8_t *rc_sbuf(struct rc *rc, unsigned int i)
{
	return rc->buf + 2 * i * rc->region;
}

static inline uint8_t *rc_rbuf(struct rc *rc, unsigned int i)
{
	return rc->buf + (2 * i + 1) * rc->region;
}

/* Posts @n receives of @len bytes into QP @i's receive region. */
int rc_post_recv(struct rc *rc, unsigned int i, unsigned int n, uint32_t len);
/* Fails loudly on a completion in error. */
int rc_wc_ok(const struct ibv_wc *wc);

#endif /* UROCE_BENCH_RC_H */
