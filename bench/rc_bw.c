// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * RC bandwidth: the client keeps up to `window` WRITEs or SENDs of one
 * size outstanding on each QP for the run's duration, then ends each QP
 * with one WITH_IMM message, which consumes a receive at the server and
 * tells it the run is over. Every QP writes from one region into one
 * region of its peer, as perftest does. Bandwidth is message payload
 * over the client's time from the first post to the last completion.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/rc.h"

#define MAX_POST_LIST 64
#define POLL_BATCH 64
#define SEQ_MASK ((1ull << 48) - 1)
/* A run that makes no progress for this long has failed. */
#define STALL_NS (5ull * 1000 * 1000 * 1000)
/* Twice what uroce's RC window keeps in flight at a 4096-byte MTU. */
#define WINDOW_BYTES (8u << 20)

struct bw_qp {
	uint64_t posted, done;
	bool marker_posted, marker_done;
};

/* What the server counted for one trial. */
struct bw_result {
	uint64_t msgs;
	uint64_t bytes;
};

/* What the client measured in one trial. */
struct bw_trial {
	uint64_t bytes;
	uint64_t msgs;
	uint64_t ns;
};

/*
 * Outstanding WRs per QP: the window, but no more than WINDOW_BYTES, so
 * that large messages do not queue seconds of work behind the deadline.
 */
static uint32_t window(const struct bench_params *p, uint32_t size)
{
	uint32_t w = WINDOW_BYTES / size;

	if (w < 2)
		w = 2;
	return w < p->window ? w : p->window;
}

static int post_batch(struct rc *rc, const struct bench_params *p,
		      unsigned int i, struct bw_qp *q, uint32_t size,
		      unsigned int k, bool marker)
{
	struct ibv_send_wr wr[MAX_POST_LIST], *bad;
	struct ibv_sge sge[MAX_POST_LIST];
	uint32_t sig = window(p, size) / 4 ? window(p, size) / 4 : 1;
	unsigned int j;
	uint64_t seq;
	int ret;

	for (j = 0; j < k; j++) {
		seq = q->posted + j;
		sge[j].addr = (uintptr_t)rc_sbuf(rc, i);
		sge[j].length = size;
		sge[j].lkey = rc->mr->lkey;
		memset(&wr[j], 0, sizeof(wr[j]));
		wr[j].wr_id = (uint64_t)i << 48 | seq;
		wr[j].sg_list = &sge[j];
		wr[j].num_sge = 1;
		if (p->op_send)
			wr[j].opcode = marker ? IBV_WR_SEND_WITH_IMM :
						IBV_WR_SEND;
		else
			wr[j].opcode = marker ? IBV_WR_RDMA_WRITE_WITH_IMM :
						IBV_WR_RDMA_WRITE;
		wr[j].imm_data = htonl(1);
		wr[j].wr.rdma.remote_addr = rc->peer[i].addr;
		wr[j].wr.rdma.rkey = rc->peer[i].rkey;
		/* RC completes in order: one signal covers those before. */
		if (marker || (seq + 1) % sig == 0)
			wr[j].send_flags = IBV_SEND_SIGNALED;
		if (size <= rc->max_inline)
			wr[j].send_flags |= IBV_SEND_INLINE;
		wr[j].next = j + 1 < k ? &wr[j + 1] : NULL;
	}
	ret = ibv_post_send(rc->qp[i], wr, &bad);
	if (ret) {
		fprintf(stderr, "ibv_post_send: %s\n", strerror(ret));
		return -1;
	}
	q->posted += k;
	return 0;
}

/* Posts what QP @i's window allows; the marker once @stop. */
static int fill_qp(struct rc *rc, const struct bench_params *p, unsigned int i,
		   struct bw_qp *q, uint32_t size, bool stop)
{
	uint64_t room = window(p, size) - (q->posted - q->done);

	if (q->marker_posted || !room)
		return 0;
	if (stop) {
		q->marker_posted = true;
		return post_batch(rc, p, i, q, size, 1, true);
	}
	if (room > p->post_list)
		room = p->post_list;
	return post_batch(rc, p, i, q, size, (unsigned int)room, false);
}

static int client_trial(struct rc *rc, const struct bench_params *p, int ctl,
			uint32_t size, struct bw_trial *tr)
{
	struct bw_qp q[BENCH_MAX_QPS];
	struct ibv_wc wc[POLL_BATCH];
	uint64_t t0, end, t, last, msgs = 0;
	unsigned int i, nmarkers = 0;
	struct bw_result r;
	uint32_t ready;
	bool stop = false;
	int n, k;

	memset(q, 0, sizeof(q));
	if (xchg_swap(ctl, &size, &ready, sizeof(size)))
		return -1;
	t0 = now_ns();
	end = t0 + p->duration_ns;
	last = t0;
	while (nmarkers < rc->nqps) {
		t = now_ns();
		if (t >= end)
			stop = true;
		for (i = 0; i < rc->nqps; i++)
			if (fill_qp(rc, p, i, &q[i], size, stop))
				return -1;
		n = ibv_poll_cq(rc->cq, POLL_BATCH, wc);
		if (n < 0) {
			fprintf(stderr, "ibv_poll_cq: %d\n", n);
			return -1;
		}
		if (!n && t - last > STALL_NS) {
			fprintf(stderr, "rc-bw: no completion for 5 s\n");
			return -1;
		}
		if (n)
			last = t;
		for (k = 0; k < n; k++) {
			if (rc_wc_ok(&wc[k]))
				return -1;
			i = (unsigned int)(wc[k].wr_id >> 48);
			q[i].done = (wc[k].wr_id & SEQ_MASK) + 1;
			if (q[i].marker_posted && q[i].done == q[i].posted) {
				q[i].marker_done = true;
				nmarkers++;
			}
		}
	}
	t = now_ns() - t0;
	for (i = 0; i < rc->nqps; i++)
		msgs += q[i].posted;
	if (xchg_recv(ctl, &r, sizeof(r)))
		return -1;
	if (p->op_send && r.msgs != msgs)
		fprintf(stderr, "rc-bw: sent %llu messages, received %llu\n",
			(unsigned long long)msgs, (unsigned long long)r.msgs);
	tr->bytes = msgs * size;
	tr->msgs = msgs;
	tr->ns = t;
	return 0;
}

static double trial_gbps(const struct bw_trial *t)
{
	return (double)t->bytes * 8 / (double)(t->ns ? t->ns : 1);
}

static int cmp_trial(const void *a, const void *b)
{
	double x = trial_gbps(a), y = trial_gbps(b);

	return x < y ? -1 : x > y;
}

/*
 * One size: @p->reps trials, of which the median is printed with the
 * spread, since one lost packet can cost a trial a retransmit timeout.
 */
static int client_size(struct rc *rc, const struct bench_params *p, int ctl,
		       uint32_t size)
{
	struct bw_trial tr[100], *med;
	char prefix[160];
	uint32_t k;

	for (k = 0; k < p->reps; k++)
		if (client_trial(rc, p, ctl, size, &tr[k]))
			return -1;
	qsort(tr, p->reps, sizeof(tr[0]), cmp_trial);
	med = &tr[p->reps / 2];
	snprintf(prefix, sizeof(prefix),
		 "rc-bw op=%s qps=%u size=%u trials=%u gbps_min=%.3f "
		 "gbps_max=%.3f",
		 p->op_send ? "send" : "write", rc->nqps, size, p->reps,
		 trial_gbps(&tr[0]), trial_gbps(&tr[p->reps - 1]));
	stats_print_bw(prefix, med->bytes, med->msgs, med->ns);
	return 0;
}

/* Sleeps on the armed completion channel until it fires. */
static int wait_event(struct rc *rc, uint64_t deadline)
{
	struct pollfd pfd = { .fd = rc->channel->fd, .events = POLLIN };
	struct ibv_cq *cq;
	void *cq_ctx;
	int n;

	for (;;) {
		n = poll(&pfd, 1, 100);
		if (n == 1)
			break;
		if (n < 0 && errno != EINTR) {
			perror("poll");
			return -1;
		}
		if (now_ns() > deadline) {
			fprintf(stderr, "rc-bw: the client never ended\n");
			return -1;
		}
	}
	if (ibv_get_cq_event(rc->channel, &cq, &cq_ctx)) {
		perror("ibv_get_cq_event");
		return -1;
	}
	ibv_ack_cq_events(cq, 1);
	return 0;
}

static int server_trial(struct rc *rc, const struct bench_params *p, int ctl)
{
	unsigned int repost[BENCH_MAX_QPS], i, nmarkers = 0;
	struct ibv_wc wc[POLL_BATCH];
	struct bw_result r = { 0 };
	uint64_t deadline, spins = 0;
	bool armed = false;
	uint32_t size;
	int n, k;

	if (xchg_recv(ctl, &size, sizeof(size)))
		return -1;
	/* Receives are already posted: every consumed one is replaced. */
	if (xchg_send(ctl, &size, sizeof(size)))
		return -1;
	deadline = now_ns() + p->duration_ns + 6 * STALL_NS;
	while (nmarkers < rc->nqps) {
		n = ibv_poll_cq(rc->cq, POLL_BATCH, wc);
		if (n < 0) {
			fprintf(stderr, "ibv_poll_cq: %d\n", n);
			return -1;
		}
		if (!n && p->events) {
			/* Arm, then poll once more: a completion may have
			 * come in between. */
			if (!armed && ibv_req_notify_cq(rc->cq, 0)) {
				perror("ibv_req_notify_cq");
				return -1;
			}
			if (armed && wait_event(rc, deadline))
				return -1;
			armed = !armed;
			continue;
		}
		if (!n) {
			if (!(++spins & 0xffff) && now_ns() > deadline) {
				fprintf(stderr,
					"rc-bw: the client never ended\n");
				return -1;
			}
			continue;
		}
		memset(repost, 0, sizeof(repost));
		for (k = 0; k < n; k++) {
			if (rc_wc_ok(&wc[k]))
				return -1;
			i = (unsigned int)wc[k].wr_id;
			repost[i]++;
			r.msgs++;
			r.bytes += wc[k].byte_len;
			if (wc[k].wc_flags & IBV_WC_WITH_IMM)
				nmarkers++;
		}
		for (i = 0; i < rc->nqps; i++)
			if (repost[i] && rc_post_recv(rc, i, repost[i],
						      (uint32_t)rc->region))
				return -1;
	}
	return xchg_send(ctl, &r, sizeof(r));
}

int rc_bw(const struct bench_opts *o, int ctl)
{
	const struct bench_params *p = &o->p;
	struct rc_sizes sz = { .region = 0 };
	uint32_t i, k, rq;
	struct rc rc;
	int ret = -1;

	for (i = 0; i < p->nsizes; i++)
		if (p->sizes[i] > sz.region)
			sz.region = p->sizes[i];
	/* A SEND receiver keeps twice the sender's window posted. */
	rq = p->op_send ? 2 * p->window : 2;
	sz.sq = p->window + 1;
	sz.rq = rq;
	sz.cqe = p->qps * (p->window + rq + 2);
	sz.channel = o->server && p->events;
	if (rc_open(&rc, o, p->qps, &sz))
		return -1;
	if (o->server)
		for (i = 0; i < p->qps; i++)
			if (rc_post_recv(&rc, i, rq, (uint32_t)sz.region))
				goto out;
	if (rc_connect(&rc, o, ctl))
		goto out;
	for (i = 0; i < p->nsizes; i++) {
		if (!o->server) {
			if (client_size(&rc, p, ctl, p->sizes[i]))
				goto out;
			continue;
		}
		for (k = 0; k < p->reps; k++)
			if (server_trial(&rc, p, ctl))
				goto out;
	}
	ret = xchg_sync(ctl);
out:
	rc_close(&rc);
	return ret;
}
