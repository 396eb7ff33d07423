// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * lag_traffic DEV_A NETNS_B DEV_B MODE [-q QPS] [-s BYTES] [-t SECS]
 *             [-T TIMEOUT] [-e SECS:COMMAND]...
 * RC traffic between QPs of DEV_A (this namespace) and of DEV_B (a
 * context opened inside NETNS_B), over a LAG device on each side. The
 * -e commands run with sh at SECS after the start, from another thread,
 * so that links can be failed under load.
 *   bw      RC WRITEs of BYTES (64 KiB) on QPS QPs, 16 outstanding per
 *           QP, for SECS: "result gbps=" of payload, the first 0.5 s left
 *           out.
 *   steady  WRITE, SEND and READ in turn on QPS QPs, 4 outstanding per
 *           QP, every byte compared, for SECS: every work request must
 *           succeed; "result gap_ms=" is the longest time without a
 *           completion, and a timeline in 250 ms steps is printed.
 *   alldown one WRITE per QP with both links of A down (-e runs first):
 *           it must end in IBV_WC_RETRY_EXC_ERR, and A's context must see
 *           IBV_EVENT_PORT_ERR, within 30 s.
 * -T sets the QPs' attr.timeout (14 by default: 67 ms a try, 7 retries).
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "tests/lib/clock.h"
#include "tests/lib/qp.h"
#include "tests/lib/verbs.h"

#define MAX_QPS 16
#define MAX_EVENTS 8
#define DEPTH_BW 16
#define DEPTH_STEADY 4
#define STEP_S 0.25

struct side {
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_qp *qp[MAX_QPS];
	union ibv_gid gid;
	enum ibv_mtu mtu;
	uint8_t *buf;
	size_t len;
	struct ibv_mr *mr;
};

/* One outstanding work request of a QP, with its regions in A and B. */
struct slot {
	int op; /* IBV_WR_*, -1: free */
	uint64_t seed;
	bool send_done, recv_done;
};

static struct {
	double at;
	const char *cmd;
} events[MAX_EVENTS];
static int nevents;
static double t0;

static void *run_events(void *arg)
{
	double d;
	int i;

	(void)arg;
	for (i = 0; i < nevents; i++) {
		d = t0 + events[i].at - now_s();
		if (d > 0)
			usleep((useconds_t)(d * 1e6));
		printf("%.3f s: %s\n", now_s() - t0, events[i].cmd);
		if (system(events[i].cmd))
			fprintf(stderr, "event command failed: %s\n",
				events[i].cmd);
	}
	return NULL;
}

static void fill(uint8_t *p, size_t bytes, uint64_t seed)
{
	uint64_t *w = (uint64_t *)p, x;
	size_t i;

	for (i = 0; i < bytes / 8; i++) {
		x = (i + 1) * 0x9e3779b97f4a7c15ull ^ seed;
		w[i] = x ^ (x >> 29);
	}
}

static bool same(const uint8_t *p, size_t bytes, uint64_t seed)
{
	const uint64_t *w = (const uint64_t *)p;
	uint64_t x;
	size_t i;

	for (i = 0; i < bytes / 8; i++) {
		x = (i + 1) * 0x9e3779b97f4a7c15ull ^ seed;
		if (w[i] != (x ^ (x >> 29)))
			return false;
	}
	return true;
}

static void side_open(struct side *s, const char *dev, int nqps, size_t len)
{
	const struct ibv_qp_cap cap = { .max_send_wr = DEPTH_BW,
					.max_recv_wr = DEPTH_BW,
					.max_send_sge = 1,
					.max_recv_sge = 1 };
	struct ibv_port_attr pa;
	int i;

	s->ctx = open_dev(dev);
	REQUIRE(!ibv_query_port(s->ctx, 1, &pa));
	s->mtu = pa.active_mtu;
	REQUIRE(!ibv_query_gid(s->ctx, 1, 0, &s->gid));
	s->pd = ibv_alloc_pd(s->ctx);
	REQUIRE(s->pd);
	s->cq = ibv_create_cq(s->ctx, 4096, NULL, NULL, 0);
	REQUIRE(s->cq);
	s->len = len;
	s->buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(s->buf != MAP_FAILED);
	s->mr = ibv_reg_mr(s->pd, s->buf, len,
			   IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
				   IBV_ACCESS_REMOTE_READ);
	REQUIRE(s->mr);
	for (i = 0; i < nqps; i++)
		s->qp[i] = test_rc_qp(s->pd, s->cq, &cap);
}

static void connect_qp(struct ibv_qp *qp, const struct side *peer,
		       struct ibv_qp *pqp, enum ibv_mtu mtu, uint8_t timeout,
		       uint8_t retry)
{
	const struct test_conn conn = {
		.access = IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ,
		.mtu = mtu,
		.hop_limit = 1,
		.rd_atomic = 4,
		.timeout = timeout,
		.retry_cnt = retry,
		.rnr_retry = 7,
	};

	test_qp_connect(qp, &conn, &peer->gid, pqp->qp_num, 0x10, 0x10);
}

static int post(struct side *a, struct side *b, int q, uint64_t wr_id, int op,
		size_t off, size_t bytes)
{
	struct ibv_sge sge = { (uintptr_t)(a->buf + off), (uint32_t)bytes,
			       a->mr->lkey };
	struct ibv_send_wr wr, *bad;

	memset(&wr, 0, sizeof(wr));
	wr.wr_id = wr_id;
	wr.opcode = op;
	wr.sg_list = &sge;
	wr.num_sge = 1;
	wr.send_flags = IBV_SEND_SIGNALED;
	wr.wr.rdma.remote_addr = (uintptr_t)(b->buf + off);
	wr.wr.rdma.rkey = b->mr->rkey;
	return ibv_post_send(a->qp[q], &wr, &bad);
}

static int post_recv(struct side *b, int q, uint64_t wr_id, size_t off,
		     size_t bytes)
{
	struct ibv_sge sge = { (uintptr_t)(b->buf + off), (uint32_t)bytes,
			       b->mr->lkey };
	struct ibv_recv_wr wr = { .wr_id = wr_id,
				  .sg_list = &sge,
				  .num_sge = 1 };
	struct ibv_recv_wr *bad;

	return ibv_post_recv(b->qp[q], &wr, &bad);
}

static void die_wc(const char *who, const struct ibv_wc *wc)
{
	fprintf(stderr, "%.3f s: %s completion wr_id %llu opcode %d: %s\n",
		now_s() - t0, who, (unsigned long long)wc->wr_id, wc->opcode,
		ibv_wc_status_str(wc->status));
	exit(1);
}

static int mode_bw(struct side *a, struct side *b, int nqps, size_t bytes,
		   double secs)
{
	double start, warm, end, t;
	uint64_t done = 0;
	struct ibv_wc wc[32];
	int q, k, n, i;

	start = now_s();
	warm = start + 0.5;
	end = warm + secs;
	for (q = 0; q < nqps; q++)
		for (k = 0; k < DEPTH_BW; k++)
			REQUIRE(!post(a, b, q, q, IBV_WR_RDMA_WRITE,
				      (size_t)(q * DEPTH_BW + k) * bytes,
				      bytes));
	for (;;) {
		n = ibv_poll_cq(a->cq, 32, wc);
		REQUIRE(n >= 0);
		t = now_s();
		for (i = 0; i < n; i++) {
			if (wc[i].status)
				die_wc("A", &wc[i]);
			if (t >= warm)
				done += bytes;
			q = (int)wc[i].wr_id;
			if (t < end)
				REQUIRE(!post(a, b, q, q, IBV_WR_RDMA_WRITE,
					      (size_t)q * DEPTH_BW * bytes,
					      bytes));
		}
		if (t >= end)
			break;
	}
	printf("result qps=%d bytes=%zu gbps=%.3f\n", nqps, bytes,
	       done * 8 / secs / 1e9);
	return 0;
}

/* The offset of slot @k of QP @q: its region in A's buffer and in B's. */
static size_t slot_off(int q, int k, size_t bytes)
{
	return (size_t)(q * DEPTH_STEADY + k) * bytes;
}

static void steady_post(struct side *a, struct side *b, struct slot *sl, int q,
			int k, size_t bytes, uint64_t *counter)
{
	static const int ops[] = { IBV_WR_RDMA_WRITE, IBV_WR_SEND,
				   IBV_WR_RDMA_READ };
	size_t off = slot_off(q, k, bytes);
	uint64_t id = (uint64_t)q << 8 | (uint64_t)k;

	sl->op = ops[*counter % 3];
	sl->seed = ++*counter;
	sl->send_done = false;
	sl->recv_done = sl->op != IBV_WR_SEND;
	if (sl->op == IBV_WR_RDMA_READ) {
		fill(b->buf + off, bytes, sl->seed);
		memset(a->buf + off, 0, bytes);
	} else {
		fill(a->buf + off, bytes, sl->seed);
		memset(b->buf + off, 0, bytes);
	}
	if (sl->op == IBV_WR_SEND)
		REQUIRE(!post_recv(b, q, id, off, bytes));
	REQUIRE(!post(a, b, q, id, sl->op, off, bytes));
}

static int mode_steady(struct side *a, struct side *b, int nqps, size_t bytes,
		       double secs)
{
	static struct slot slots[MAX_QPS][DEPTH_STEADY];
	double start, last, gap = 0, t, end;
	uint64_t counter = 0, ops = 0;
	unsigned int nsteps = (unsigned int)(secs / STEP_S) + 2, step;
	uint64_t *bins = calloc(nsteps, sizeof(*bins));
	struct ibv_wc wc[32];
	struct slot *sl;
	bool posting = true, busy;
	int q, k, n, i, j;
	size_t off;

	REQUIRE(bins);
	start = last = now_s();
	end = start + secs;
	for (q = 0; q < nqps; q++)
		for (k = 0; k < DEPTH_STEADY; k++)
			steady_post(a, b, &slots[q][k], q, k, bytes, &counter);
	for (;;) {
		for (j = 0; j < 2; j++) {
			struct side *s = j ? b : a;

			n = ibv_poll_cq(s->cq, 32, wc);
			REQUIRE(n >= 0);
			t = now_s();
			for (i = 0; i < n; i++) {
				if (wc[i].status)
					die_wc(j ? "B" : "A", &wc[i]);
				q = (int)(wc[i].wr_id >> 8);
				k = (int)(wc[i].wr_id & 0xff);
				sl = &slots[q][k];
				off = slot_off(q, k, bytes);
				if (j)
					sl->recv_done = true;
				else
					sl->send_done = true;
				if (!sl->send_done || !sl->recv_done)
					continue;
				if (!same((sl->op == IBV_WR_RDMA_READ ?
						   a->buf :
						   b->buf) +
						  off,
					  bytes, sl->seed)) {
					fprintf(stderr,
						"QP %d slot %d op %d: data "
						"differs\n",
						q, k, sl->op);
					return 1;
				}
				ops++;
				if (t - last > gap)
					gap = t - last;
				last = t;
				step = (unsigned int)((t - start) / STEP_S);
				if (step < nsteps)
					bins[step] += bytes;
				sl->op = -1;
				if (posting)
					steady_post(a, b, sl, q, k, bytes,
						    &counter);
			}
		}
		t = now_s();
		if (posting && t >= end)
			posting = false;
		busy = false;
		for (q = 0; q < nqps && !busy; q++)
			for (k = 0; k < DEPTH_STEADY; k++)
				busy |= slots[q][k].op >= 0;
		if (!posting && !busy)
			break;
		if (t > end + 30) {
			fprintf(stderr, "work requests still outstanding "
					"30 s after the end\n");
			return 1;
		}
	}
	printf("timeline (Gbit/s per %.2f s):", STEP_S);
	for (step = 0; step < nsteps; step++)
		printf(" %.2f", bins[step] * 8 / STEP_S / 1e9);
	printf("\nresult ops=%llu gap_ms=%.0f\n", (unsigned long long)ops,
	       gap * 1e3);
	free(bins);
	return 0;
}

/* Whether @ctx has seen @type within @secs. */
static bool async_seen(struct ibv_context *ctx, enum ibv_event_type type,
		       double secs)
{
	struct ibv_async_event ev;
	double end = now_s() + secs;
	int fl = fcntl(ctx->async_fd, F_GETFL);

	fcntl(ctx->async_fd, F_SETFL, fl | O_NONBLOCK);
	while (now_s() < end) {
		if (ibv_get_async_event(ctx, &ev)) {
			usleep(10000);
			continue;
		}
		ibv_ack_async_event(&ev);
		printf("%.3f s: async event %s\n", now_s() - t0,
		       ibv_event_type_str(ev.event_type));
		if (ev.event_type == type)
			return true;
	}
	return false;
}

static int mode_alldown(struct side *a, struct side *b, int nqps, size_t bytes)
{
	struct ibv_wc wc;
	double end;
	int q, got = 0, n;

	for (q = 0; q < nqps; q++)
		REQUIRE(!post(a, b, q, q, IBV_WR_RDMA_WRITE, 0, bytes));
	end = now_s() + 30;
	while (got < nqps && now_s() < end) {
		n = ibv_poll_cq(a->cq, 1, &wc);
		REQUIRE(n >= 0);
		if (!n)
			continue;
		got++;
		printf("%.3f s: QP %llu: %s\n", now_s() - t0,
		       (unsigned long long)wc.wr_id,
		       ibv_wc_status_str(wc.status));
		CHECK_EQ(wc.status, IBV_WC_RETRY_EXC_ERR);
	}
	CHECK_EQ(got, nqps);
	CHECK(async_seen(a->ctx, IBV_EVENT_PORT_ERR, 5));
	return check_failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	size_t bytes = 64 * 1024, len;
	int nqps = 2, home, fd, opt, q, ret;
	const char *mode;
	uint8_t timeout = 14, retry = 7;
	double secs = 5;
	struct side a, b;
	enum ibv_mtu mtu;
	pthread_t th;
	char *colon;

	if (argc < 5) {
		fprintf(stderr,
			"usage: %s DEV_A NETNS_B DEV_B bw|steady|alldown "
			"[-q QPS] [-s BYTES] [-t SECS] [-T TIMEOUT] "
			"[-e SECS:CMD]...\n",
			argv[0]);
		return 2;
	}
	mode = argv[4];
	optind = 5;
	while ((opt = getopt(argc, argv, "q:s:t:T:e:")) != -1) {
		switch (opt) {
		case 'q':
			nqps = atoi(optarg);
			break;
		case 's':
			bytes = strtoull(optarg, NULL, 0) & ~7ull;
			break;
		case 't':
			secs = atof(optarg);
			break;
		case 'T':
			timeout = (uint8_t)atoi(optarg);
			break;
		case 'e':
			colon = strchr(optarg, ':');
			REQUIRE(colon && nevents < MAX_EVENTS);
			*colon = '\0';
			events[nevents].at = atof(optarg);
			events[nevents++].cmd = colon + 1;
			break;
		default:
			return 2;
		}
	}
	REQUIRE(nqps >= 1 && nqps <= MAX_QPS && bytes >= 8);
	if (!strcmp(mode, "alldown")) {
		/* 67 ms a try, 3 retries: the budget is about 270 ms. */
		timeout = 14;
		retry = 3;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	len = (size_t)MAX_QPS * DEPTH_BW * bytes;
	home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	REQUIRE(home >= 0);
	side_open(&a, argv[1], nqps, len);
	fd = open(argv[2], O_RDONLY | O_CLOEXEC);
	REQUIRE(fd >= 0);
	REQUIRE(!setns(fd, CLONE_NEWNET));
	side_open(&b, argv[3], nqps, len);
	REQUIRE(!setns(home, CLONE_NEWNET));
	close(fd);
	close(home);
	mtu = a.mtu < b.mtu ? a.mtu : b.mtu;
	for (q = 0; q < nqps; q++) {
		connect_qp(a.qp[q], &b, b.qp[q], mtu, timeout, retry);
		connect_qp(b.qp[q], &a, a.qp[q], mtu, timeout, retry);
	}
	t0 = now_s();
	if (nevents) {
		REQUIRE(!pthread_create(&th, NULL, run_events, NULL));
		/* alldown: the links go down before anything is posted. */
		if (!strcmp(mode, "alldown"))
			pthread_join(th, NULL);
	}
	if (!strcmp(mode, "bw"))
		ret = mode_bw(&a, &b, nqps, bytes, secs);
	else if (!strcmp(mode, "steady"))
		ret = mode_steady(&a, &b, nqps, bytes, secs);
	else if (!strcmp(mode, "alldown"))
		ret = mode_alldown(&a, &b, nqps, bytes);
	else
		ret = 2;
	if (nevents && strcmp(mode, "alldown"))
		pthread_join(th, NULL);
	printf("%s: %s\n", mode, ret ? "FAILED" : "passed");
	return ret;
}
