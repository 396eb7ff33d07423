// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dp_big DEV_A NETNS_B DEV_B [WRITE_BYTES [BYTES]]: one RC WRITE of
 * WRITE_BYTES (default 2^31, the ports' max_msg_sz), one RC SEND and one
 * RC READ of BYTES (default 256 MiB: at 2 GiB they take a minute each
 * here) between a QP in A and one in B (a context opened inside
 * NETNS_B), segmented at the port's active MTU; every byte is compared.
 * Also: max_msg_sz is 2^31, and a work request whose SGEs add up to more
 * is refused with EINVAL (as rxe).
 */
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "tests/lib/clock.h"
#include "tests/lib/qp.h"
#include "tests/lib/verbs.h"

#define WAIT_SEC 120
#define MAX_MSG (1ull << 31)

struct end {
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_qp *qp;
	union ibv_gid gid;
	enum ibv_mtu mtu;
	uint64_t *buf;
	struct ibv_mr *mr;
};

/* A pattern no shifted or stale copy matches: word i of message @seed. */
static uint64_t word(size_t i, uint64_t seed)
{
	uint64_t x = (i + 1) * 0x9e3779b97f4a7c15ull ^ seed;

	return x ^ (x >> 29);
}

static void fill(uint64_t *p, size_t bytes, uint64_t seed)
{
	size_t i;

	for (i = 0; i < bytes / 8; i++)
		p[i] = word(i, seed);
}

/* The first word that differs, or -1. */
static long long compare(const uint64_t *p, size_t bytes, uint64_t seed)
{
	size_t i;

	for (i = 0; i < bytes / 8; i++)
		if (p[i] != word(i, seed))
			return (long long)i;
	return -1;
}

static void end_open(struct end *e, const char *dev, size_t bytes)
{
	const struct ibv_qp_cap cap = { .max_send_wr = 4,
					.max_recv_wr = 4,
					.max_send_sge = 2,
					.max_recv_sge = 1 };
	struct ibv_port_attr pa;

	e->ctx = open_dev(dev);
	REQUIRE(!ibv_query_port(e->ctx, 1, &pa));
	/* rxe's and uroce's limit: 2 GiB. */
	CHECK_EQ(pa.max_msg_sz, MAX_MSG);
	e->mtu = pa.active_mtu;
	REQUIRE(!ibv_query_gid(e->ctx, 1, 0, &e->gid));
	e->pd = ibv_alloc_pd(e->ctx);
	REQUIRE(e->pd);
	e->cq = ibv_create_cq(e->ctx, 16, NULL, NULL, 0);
	REQUIRE(e->cq);
	e->qp = test_rc_qp(e->pd, e->cq, &cap);
	/* Untouched until filled: the two ends' 4 GiB cost only what is used. */
	e->buf = mmap(NULL, bytes + 8, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	REQUIRE(e->buf != MAP_FAILED);
	e->mr = ibv_reg_mr(e->pd, e->buf, bytes + 8,
			   IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
				   IBV_ACCESS_REMOTE_READ);
	REQUIRE(e->mr);
}

static void end_close(struct end *e, size_t bytes)
{
	CHECK(!ibv_destroy_qp(e->qp));
	CHECK(!ibv_destroy_cq(e->cq));
	CHECK(!ibv_dereg_mr(e->mr));
	CHECK(!ibv_dealloc_pd(e->pd));
	CHECK(!ibv_close_device(e->ctx));
	munmap(e->buf, bytes + 8);
}

static void connect_qp(struct end *e, const struct end *peer, enum ibv_mtu mtu)
{
	const struct test_conn conn = {
		.access = IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ,
		.mtu = mtu,
		.hop_limit = 1,
		.rd_atomic = 1,
		.timeout =
			18, /* 1 s: a busy machine may stall a peer a while */
		.retry_cnt = 7,
		.rnr_retry = 7,
	};

	test_qp_connect(e->qp, &conn, &peer->gid, peer->qp->qp_num, 0x10, 0x10);
}

/* The next completion of @e (the other end's engine drives it). */
static struct ibv_wc wait_wc(struct end *e)
{
	double end = now_s() + test_secs(WAIT_SEC);
	struct ibv_wc wc;
	int r;

	while (!(r = ibv_poll_cq(e->cq, 1, &wc))) {
		if (now_s() > end) {
			fprintf(stderr, "no completion in %.0f s\n",
				test_secs(WAIT_SEC));
			exit(1);
		}
	}
	REQUIRE(r == 1);
	if (wc.status)
		fprintf(stderr, "completion: wr_id %llu opcode %d status %s\n",
			(unsigned long long)wc.wr_id, wc.opcode,
			ibv_wc_status_str(wc.status));
	return wc;
}

static int post(struct end *e, enum ibv_wr_opcode op, size_t bytes,
		const struct end *peer)
{
	struct ibv_sge sge = { (uintptr_t)e->buf, (uint32_t)bytes,
			       e->mr->lkey };
	struct ibv_send_wr wr, *bad;

	memset(&wr, 0, sizeof(wr));
	wr.wr_id = op;
	wr.opcode = op;
	wr.sg_list = &sge;
	wr.num_sge = 1;
	wr.send_flags = IBV_SEND_SIGNALED;
	wr.wr.rdma.remote_addr = (uintptr_t)peer->buf;
	wr.wr.rdma.rkey = peer->mr->rkey;
	return ibv_post_send(e->qp, &wr, &bad);
}

/* Compares the bytes and reports; @fails: check_failures before. */
static void check_bytes(const uint64_t *p, size_t bytes, uint64_t seed,
			const char *what, double t, int fails)
{
	long long at = compare(p, bytes, seed);

	if (at >= 0) {
		fprintf(stderr, "%s: first wrong byte at %lld\n", what, at * 8);
		check_failures++;
	}
	if (check_failures == fails)
		printf("%s of %zu bytes: every byte right, %.1f s (%.0f MB/s)\n",
		       what, bytes, t, bytes / t / 1e6);
}

/* A's buffer into a receive of B's. */
static void test_send(struct end *a, struct end *b, size_t bytes)
{
	struct ibv_sge sge = { (uintptr_t)b->buf, (uint32_t)bytes,
			       b->mr->lkey };
	struct ibv_recv_wr rwr = { .wr_id = 7, .sg_list = &sge, .num_sge = 1 };
	struct ibv_recv_wr *rbad;
	int fails = check_failures;
	struct ibv_wc wc;
	double t;

	fill(a->buf, bytes, 1);
	REQUIRE(!ibv_post_recv(b->qp, &rwr, &rbad));
	t = now_s();
	REQUIRE(!post(a, IBV_WR_SEND, bytes, b));
	wc = wait_wc(a);
	t = now_s() - t;
	CHECK_EQ(wc.status, IBV_WC_SUCCESS);
	CHECK_EQ(wc.opcode, IBV_WC_SEND);
	CHECK_EQ(wc.byte_len, bytes);
	wc = wait_wc(b); /* acknowledged: done already */
	CHECK_EQ(wc.status, IBV_WC_SUCCESS);
	CHECK_EQ(wc.opcode, IBV_WC_RECV);
	CHECK_EQ(wc.wr_id, 7);
	CHECK_EQ(wc.byte_len, bytes);
	check_bytes(b->buf, bytes, 1, "SEND", t, fails);
}

/* A's buffer over B's. */
static void test_write(struct end *a, struct end *b, size_t bytes)
{
	int fails = check_failures;
	struct ibv_wc wc;
	double t;

	fill(a->buf, bytes, 2);
	t = now_s();
	REQUIRE(!post(a, IBV_WR_RDMA_WRITE, bytes, b));
	wc = wait_wc(a);
	t = now_s() - t;
	CHECK_EQ(wc.status, IBV_WC_SUCCESS);
	CHECK_EQ(wc.opcode, IBV_WC_RDMA_WRITE);
	CHECK_EQ(wc.byte_len, bytes);
	check_bytes(b->buf, bytes, 2, "WRITE", t, fails);
}

/* B's buffer, refilled, into A's. */
static void test_read(struct end *a, struct end *b, size_t bytes)
{
	int fails = check_failures;
	struct ibv_wc wc;
	double t;

	fill(b->buf, bytes, 3);
	t = now_s();
	REQUIRE(!post(a, IBV_WR_RDMA_READ, bytes, b));
	wc = wait_wc(a);
	t = now_s() - t;
	CHECK_EQ(wc.status, IBV_WC_SUCCESS);
	CHECK_EQ(wc.opcode, IBV_WC_RDMA_READ);
	CHECK_EQ(wc.byte_len, bytes);
	check_bytes(a->buf, bytes, 3, "READ", t, fails);
}

/* More than max_msg_sz: refused when posted, nothing sent. */
static void test_too_big(struct end *a, struct end *b)
{
	struct ibv_sge sge[2] = {
		{ (uintptr_t)a->buf, (uint32_t)MAX_MSG, a->mr->lkey },
		{ (uintptr_t)a->buf, 8, a->mr->lkey },
	};
	struct ibv_send_wr wr, *bad;

	memset(&wr, 0, sizeof(wr));
	wr.opcode = IBV_WR_RDMA_WRITE;
	wr.sg_list = sge;
	wr.num_sge = 2;
	wr.send_flags = IBV_SEND_SIGNALED;
	wr.wr.rdma.remote_addr = (uintptr_t)b->buf;
	wr.wr.rdma.rkey = b->mr->rkey;
	CHECK_EQ(ibv_post_send(a->qp, &wr, &bad), EINVAL);
	CHECK(bad == &wr);
	wr.opcode = IBV_WR_SEND;
	CHECK_EQ(ibv_post_send(a->qp, &wr, &bad), EINVAL);
	CHECK(bad == &wr);
	wr.opcode = IBV_WR_RDMA_READ;
	CHECK_EQ(ibv_post_send(a->qp, &wr, &bad), EINVAL);
	CHECK(bad == &wr);
	printf("%llu bytes and more: EINVAL\n", MAX_MSG + 1);
}

static size_t arg_bytes(const char *s)
{
	size_t n = strtoull(s, NULL, 0) & ~7ull;

	REQUIRE(n >= 8 && n <= MAX_MSG);
	return n;
}

int main(int argc, char **argv)
{
	size_t wbytes = MAX_MSG, bytes = 256u << 20, max;
	struct end a, b;
	enum ibv_mtu mtu;
	int home, fd;

	if (argc < 4) {
		fprintf(stderr,
			"usage: %s DEV_A NETNS_B DEV_B [WRITE_BYTES [BYTES]]\n",
			argv[0]);
		return 2;
	}
	if (argc > 4)
		wbytes = arg_bytes(argv[4]);
	if (argc > 5)
		bytes = arg_bytes(argv[5]);
	max = wbytes > bytes ? wbytes : bytes;
	setvbuf(stdout, NULL, _IOLBF, 0);
	home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	REQUIRE(home >= 0);
	end_open(&a, argv[1], max);
	fd = open(argv[2], O_RDONLY | O_CLOEXEC);
	REQUIRE(fd >= 0);
	REQUIRE(!setns(fd, CLONE_NEWNET));
	close(fd);
	end_open(&b, argv[3], max);
	REQUIRE(!setns(home, CLONE_NEWNET));
	close(home);
	mtu = a.mtu < b.mtu ? a.mtu : b.mtu;
	connect_qp(&a, &b, mtu);
	connect_qp(&b, &a, mtu);
	printf("path MTU %d\n", 128 << mtu);

	test_too_big(&a, &b);
	test_send(&a, &b, bytes);
	test_write(&a, &b, wbytes);
	test_read(&a, &b, bytes);
	/* Nothing else completed on either side. */
	CHECK_EQ(ibv_poll_cq(a.cq, 1, &(struct ibv_wc){ 0 }), 0);
	CHECK_EQ(ibv_poll_cq(b.cq, 1, &(struct ibv_wc){ 0 }), 0);

	end_close(&a, max);
	end_close(&b, max);
	return check_report("dp_big");
}
