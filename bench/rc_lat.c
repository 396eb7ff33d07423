// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * RC latency: a ping-pong of one small message on one QP, timed by the
 * client from posting its message to seeing the reply.
 *
 * SEND: both ends poll their CQ for the receive (which in uroce also
 * drains the sockets); sends are signaled one in SIG_EVERY.
 * WRITE: as ib_write_lat does, each end writes the iteration's counter
 * into the last byte of the peer's buffer, polls its CQ for that WRITE's
 * completion, then spins on its own buffer for the peer's write (with
 * spin_poll, it polls the CQ while spinning too).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/rc.h"

#define LAT_SQ 64
#define LAT_RQ 64
#define SIG_EVERY 16
#define STALL_NS (2ull * 1000 * 1000 * 1000)

struct lat {
	struct rc *rc;
	const struct bench_params *p;
	uint32_t size;
	uint64_t posted, done; /* sends */
	uint64_t recvd; /* receives not yet consumed */
	uint8_t want; /* WRITE: the peer's counter for this round */
};

/* Polls once; returns completions seen or -1. */
static int lat_poll(struct lat *l)
{
	struct ibv_wc wc[16];
	int n, k;

	n = ibv_poll_cq(l->rc->cq, 16, wc);
	if (n < 0) {
		fprintf(stderr, "ibv_poll_cq: %d\n", n);
		return -1;
	}
	for (k = 0; k < n; k++) {
		if (rc_wc_ok(&wc[k]))
			return -1;
		if (wc[k].opcode & IBV_WC_RECV) {
			l->recvd++;
			if (rc_post_recv(l->rc, 0, 1, l->size))
				return -1;
		} else {
			l->done = wc[k].wr_id + 1;
		}
	}
	return n;
}

/* Calls @cond until it holds, failing after STALL_NS. */
static int lat_wait(struct lat *l, bool (*cond)(struct lat *l), bool poll_cq)
{
	uint64_t spins = 0, deadline = 0;

	while (!cond(l)) {
		if (poll_cq && lat_poll(l) < 0)
			return -1;
		if (++spins & 0xfff)
			continue;
		if (!deadline) {
			deadline = now_ns() + STALL_NS;
		} else if (now_ns() > deadline) {
			fprintf(stderr, "rc-lat: the peer stopped answering\n");
			return -1;
		}
	}
	return 0;
}

static bool got_recv(struct lat *l)
{
	return l->recvd > 0;
}

static bool sq_room(struct lat *l)
{
	return l->posted - l->done < LAT_SQ - 1;
}

static bool sent(struct lat *l)
{
	return l->done == l->posted;
}

/* The peer's counter for this round is in the last byte. */
static bool written(struct lat *l)
{
	volatile uint8_t *b = rc_rbuf(l->rc, 0) + l->size - 1;

	return *b == l->want;
}

static int lat_post(struct lat *l, bool signaled)
{
	struct rc *rc = l->rc;
	struct ibv_sge sge = { .addr = (uintptr_t)rc_sbuf(rc, 0),
			       .length = l->size,
			       .lkey = rc->mr->lkey };
	struct ibv_send_wr wr = { .wr_id = l->posted,
				  .sg_list = &sge,
				  .num_sge = 1 },
			   *bad;
	int ret;

	if (lat_wait(l, sq_room, true))
		return -1;
	wr.opcode = l->p->op_send ? IBV_WR_SEND : IBV_WR_RDMA_WRITE;
	wr.wr.rdma.remote_addr = rc->peer[0].addr;
	wr.wr.rdma.rkey = rc->peer[0].rkey;
	if (signaled)
		wr.send_flags = IBV_SEND_SIGNALED;
	if (l->size <= rc->max_inline)
		wr.send_flags |= IBV_SEND_INLINE;
	ret = ibv_post_send(rc->qp[0], &wr, &bad);
	if (ret) {
		fprintf(stderr, "ibv_post_send: %s\n", strerror(ret));
		return -1;
	}
	l->posted++;
	return 0;
}

/* One round of a SEND ping-pong. */
static int round_send(struct lat *l, bool server)
{
	if (server && lat_wait(l, got_recv, true))
		return -1;
	if (server)
		l->recvd--;
	if (lat_post(l, (l->posted + 1) % SIG_EVERY == 0))
		return -1;
	if (!server && lat_wait(l, got_recv, true))
		return -1;
	if (!server)
		l->recvd--;
	return 0;
}

/* One round of a WRITE ping-pong, in ib_write_lat's order. */
static int round_write(struct lat *l, bool server, uint8_t val)
{
	l->want = val;
	if (server && lat_wait(l, written, l->p->spin_poll))
		return -1;
	rc_sbuf(l->rc, 0)[l->size - 1] = val;
	if (lat_post(l, true) || lat_wait(l, sent, true))
		return -1;
	if (!server && lat_wait(l, written, l->p->spin_poll))
		return -1;
	return 0;
}

int rc_lat(const struct bench_opts *o, int ctl)
{
	const struct bench_params *p = &o->p;
	uint32_t i, n = p->warmup + p->iters;
	struct rc_sizes sz = { .sq = LAT_SQ, .rq = LAT_RQ };
	struct lat l = { .p = p, .size = p->sizes[0] };
	uint64_t *rtt = NULL, t0;
	char prefix[96];
	struct rc rc;
	int ret = -1;

	sz.region = l.size < 64 ? 64 : l.size;
	sz.cqe = LAT_SQ + LAT_RQ;
	if (rc_open(&rc, o, 1, &sz))
		return -1;
	l.rc = &rc;
	rtt = calloc(n, sizeof(*rtt));
	/* WRITE posts no receive, as ib_write_lat. */
	if (!rtt || (p->op_send && rc_post_recv(&rc, 0, LAT_RQ, l.size)) ||
	    rc_connect(&rc, o, ctl))
		goto out;
	for (i = 0; i < n; i++) {
		t0 = now_ns();
		if (p->op_send ? round_send(&l, o->server) :
				 round_write(&l, o->server, (uint8_t)(i + 1)))
			goto out;
		rtt[i] = now_ns() - t0;
	}
	if (xchg_sync(ctl))
		goto out;
	if (!o->server) {
		snprintf(prefix, sizeof(prefix), "rc-lat op=%s%s size=%u",
			 p->op_send ? "send" : "write",
			 !p->op_send && p->spin_poll ? "-poll" : "", l.size);
		stats_print_lat(prefix, rtt + p->warmup, p->iters);
	}
	ret = 0;
out:
	free(rtt);
	rc_close(&rc);
	return ret;
}
