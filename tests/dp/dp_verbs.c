// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dp_verbs DEVICE [stress N]: data path checks that Debian's binaries do
 * not make, between two RC QPs of one process on DEVICE:
 *
 * - WRITE with several SGEs, READ of 1 MiB, SEND with immediate and
 *   inline data: every byte compared; atomics' results exact;
 * - wrong rkey, out-of-bounds address, misaligned atomic, short receive
 *   buffer, missing receive (RNR), vanished peer (retry exceeded): the
 *   statuses rdma-core documents, target memory untouched, later WRs
 *   flushed;
 * - forged packets (wrong source port, wrong PSN, bad ICRC, wrong rkey,
 *   out of bounds) sent from a UDP socket that poses as the peer: memory
 *   changes only for the one valid packet.
 *
 * "stress N" runs N mixed SENDs, WRITEs, READs and FETCH_ADDs instead and
 * verifies every byte and every atomic result (the test script sets
 * UROCE_FAULT or nftables drops around it).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <infiniband/verbs.h>

#include "providers/uroce/pkt.h"
#include "tests/lib/check.h"
#include "tests/lib/clock.h"
#include "tests/lib/qp.h"

#define BUF (4u << 20)
#define WAIT_SEC 30

static struct ibv_context *ctx;
static struct ibv_pd *pd;
static uint8_t *lbuf, *rbuf;
static struct ibv_mr *lmr, *rmr;
static union ibv_gid gid0;

struct end {
	struct ibv_qp *qp;
	struct ibv_cq *cq;
};

static struct end make_end(void)
{
	const struct ibv_qp_cap cap = { .max_send_wr = 2048,
					.max_recv_wr = 2048,
					.max_send_sge = 4,
					.max_recv_sge = 4,
					.max_inline_data = 256 };
	struct end e;

	e.cq = ibv_create_cq(ctx, 8192, NULL, NULL, 0);
	REQUIRE(e.cq);
	e.qp = test_rc_qp(pd, e.cq, &cap);
	return e;
}

static void free_end(struct end *e)
{
	CHECK(!ibv_destroy_qp(e->qp));
	CHECK(!ibv_destroy_cq(e->cq));
}

/* Every QP here: all remote accesses, MTU 1024, 16 RDMA READs/atomics. */
static const struct test_conn conn = {
	TEST_CONN_ALL_ACCESS,
	.rd_atomic = 16,
};

static void to_init(struct ibv_qp *qp)
{
	test_qp_init(qp, &conn);
}

static void to_rtr(struct ibv_qp *qp, uint32_t dqpn, uint32_t rq_psn)
{
	test_qp_rtr(qp, &conn, &gid0, dqpn, rq_psn);
}

static void to_rts(struct ibv_qp *qp, uint32_t sq_psn, int timeout, int retry,
		   int rnr_retry)
{
	struct test_conn c = conn;

	c.timeout = (uint8_t)timeout;
	c.retry_cnt = (uint8_t)retry;
	c.rnr_retry = (uint8_t)rnr_retry;
	test_qp_rts(qp, &c, sq_psn);
}

static void connect_pair(struct end *a, struct end *b, int rnr_retry)
{
	to_init(a->qp);
	to_init(b->qp);
	to_rtr(a->qp, b->qp->qp_num, 0xfffff0);
	to_rtr(b->qp, a->qp->qp_num, 0x123);
	to_rts(a->qp, 0x123, 14, 7, rnr_retry);
	to_rts(b->qp, 0xfffff0, 14, 7, rnr_retry);
}

/* Polls @n completions into @wc; fails the test on a timeout. */
static void wait_wc(struct ibv_cq *cq, int n, struct ibv_wc *wc)
{
	double end = now_s() + test_secs(WAIT_SEC);
	int got = 0, r;

	while (got < n) {
		r = ibv_poll_cq(cq, n - got, wc + got);
		REQUIRE(r >= 0);
		got += r;
		if (!r && now_s() > end) {
			fprintf(stderr, "timeout: %d of %d completions\n", got,
				n);
			exit(1);
		}
	}
}

static enum ibv_wc_status one_wc(struct ibv_cq *cq)
{
	struct ibv_wc wc;

	wait_wc(cq, 1, &wc);
	return wc.status;
}

static int post(struct ibv_qp *qp, enum ibv_wr_opcode op, void *laddr,
		uint32_t len, uint64_t raddr, uint32_t rkey, uint64_t wr_id)
{
	struct ibv_sge sge = { (uintptr_t)laddr, len, lmr->lkey };
	struct ibv_send_wr wr, *bad;

	memset(&wr, 0, sizeof(wr));
	wr.wr_id = wr_id;
	wr.opcode = op;
	wr.sg_list = &sge;
	wr.num_sge = 1;
	wr.send_flags = IBV_SEND_SIGNALED;
	wr.wr.rdma.remote_addr = raddr;
	wr.wr.rdma.rkey = rkey;
	return ibv_post_send(qp, &wr, &bad);
}

static int post_atomic(struct ibv_qp *qp, enum ibv_wr_opcode op, void *laddr,
		       uint64_t raddr, uint32_t rkey, uint64_t cmp_add,
		       uint64_t swap, uint64_t wr_id)
{
	struct ibv_sge sge = { (uintptr_t)laddr, 8, lmr->lkey };
	struct ibv_send_wr wr, *bad;

	memset(&wr, 0, sizeof(wr));
	wr.wr_id = wr_id;
	wr.opcode = op;
	wr.sg_list = &sge;
	wr.num_sge = 1;
	wr.send_flags = IBV_SEND_SIGNALED;
	wr.wr.atomic.remote_addr = raddr;
	wr.wr.atomic.rkey = rkey;
	wr.wr.atomic.compare_add = cmp_add;
	wr.wr.atomic.swap = swap;
	return ibv_post_send(qp, &wr, &bad);
}

static void post_recv(struct ibv_qp *qp, void *addr, uint32_t len,
		      uint64_t wr_id)
{
	struct ibv_sge sge = { (uintptr_t)addr, len, rmr->lkey };
	struct ibv_recv_wr wr = { .wr_id = wr_id,
				  .sg_list = &sge,
				  .num_sge = 1 };
	struct ibv_recv_wr *bad;

	REQUIRE(!ibv_post_recv(qp, &wr, &bad));
}

static void fill(uint8_t *p, size_t n, unsigned int seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed * 31 + i * 7 + (i >> 8));
}

static void settle(struct ibv_cq *cq);

static uint64_t raddr(size_t off)
{
	return (uintptr_t)rbuf + off;
}

static void test_data(void)
{
	struct end a = make_end(), b = make_end();
	struct ibv_sge sg[3];
	struct ibv_send_wr wr, *bad;
	struct ibv_wc wc[2];
	uint64_t *res = (uint64_t *)(lbuf + BUF - 64);
	uint64_t *tgt = (uint64_t *)(rbuf + 4096);
	uint8_t inl[200];
	uint32_t rdlen;

	connect_pair(&a, &b, 7);

	/* WRITE from three SGEs, 300000 bytes, PSNs wrapping past 2^24. */
	fill(lbuf, 300000, 1);
	memset(rbuf, 0, 400000);
	sg[0] = (struct ibv_sge){ (uintptr_t)lbuf, 1000, lmr->lkey };
	sg[1] = (struct ibv_sge){ (uintptr_t)lbuf + 1000, 99000, lmr->lkey };
	sg[2] = (struct ibv_sge){ (uintptr_t)lbuf + 100000, 200000, lmr->lkey };
	memset(&wr, 0, sizeof(wr));
	wr.opcode = IBV_WR_RDMA_WRITE;
	wr.sg_list = sg;
	wr.num_sge = 3;
	wr.send_flags = IBV_SEND_SIGNALED;
	wr.wr.rdma.remote_addr = raddr(8192);
	wr.wr.rdma.rkey = rmr->rkey;
	REQUIRE(!ibv_post_send(a.qp, &wr, &bad));
	CHECK(one_wc(a.cq) == IBV_WC_SUCCESS);
	CHECK(!memcmp(rbuf + 8192, lbuf, 300000));
	CHECK(rbuf[8191] == 0 && rbuf[8192 + 300000] == 0);

	/*
	 * READ 1 MiB back (DP_VERBS_READ bytes under valgrind, whose pace
	 * makes a 1 MiB burst overflow the socket buffer round after round).
	 */
	rdlen = getenv("DP_VERBS_READ") ?
			(uint32_t)atol(getenv("DP_VERBS_READ")) :
			1u << 20;
	if (!rdlen || rdlen > 1u << 20)
		rdlen = 1u << 20;
	fill(rbuf, rdlen, 2);
	memset(lbuf, 0, rdlen);
	REQUIRE(!post(a.qp, IBV_WR_RDMA_READ, lbuf, rdlen, raddr(0), rmr->rkey,
		      7));
	wait_wc(a.cq, 1, wc);
	CHECK(wc[0].status == IBV_WC_SUCCESS && wc[0].wr_id == 7 &&
	      wc[0].opcode == IBV_WC_RDMA_READ && wc[0].byte_len == rdlen);
	CHECK(!memcmp(lbuf, rbuf, rdlen));

	/* Atomics: exact original values and results. */
	*tgt = 5;
	REQUIRE(!post_atomic(a.qp, IBV_WR_ATOMIC_FETCH_AND_ADD, res,
			     raddr(4096), rmr->rkey, 3, 0, 1));
	wait_wc(a.cq, 1, wc);
	CHECK(wc[0].status == IBV_WC_SUCCESS &&
	      wc[0].opcode == IBV_WC_FETCH_ADD && *res == 5 && *tgt == 8);
	REQUIRE(!post_atomic(a.qp, IBV_WR_ATOMIC_CMP_AND_SWP, res, raddr(4096),
			     rmr->rkey, 8, 100, 2));
	wait_wc(a.cq, 1, wc);
	CHECK(wc[0].status == IBV_WC_SUCCESS && *res == 8 && *tgt == 100);
	REQUIRE(!post_atomic(a.qp, IBV_WR_ATOMIC_CMP_AND_SWP, res, raddr(4096),
			     rmr->rkey, 7, 1, 3));
	wait_wc(a.cq, 1, wc);
	CHECK(wc[0].status == IBV_WC_SUCCESS && *res == 100 && *tgt == 100);

	/* SEND with immediate, 100000 bytes, into two receive WQEs' worth. */
	memset(rbuf, 0, 200000);
	post_recv(b.qp, rbuf, 150000, 11);
	fill(lbuf, 100000, 3);
	memset(&wr, 0, sizeof(wr));
	sg[0] = (struct ibv_sge){ (uintptr_t)lbuf, 100000, lmr->lkey };
	wr.opcode = IBV_WR_SEND_WITH_IMM;
	wr.imm_data = htonl(0xabcd1234);
	wr.sg_list = sg;
	wr.num_sge = 1;
	wr.send_flags = IBV_SEND_SIGNALED | IBV_SEND_SOLICITED;
	REQUIRE(!ibv_post_send(a.qp, &wr, &bad));
	CHECK(one_wc(a.cq) == IBV_WC_SUCCESS);
	wait_wc(b.cq, 1, wc);
	CHECK(wc[0].status == IBV_WC_SUCCESS && wc[0].wr_id == 11 &&
	      wc[0].opcode == IBV_WC_RECV && wc[0].byte_len == 100000 &&
	      (wc[0].wc_flags & IBV_WC_WITH_IMM) &&
	      wc[0].imm_data == htonl(0xabcd1234) &&
	      wc[0].src_qp == a.qp->qp_num);
	CHECK(!memcmp(rbuf, lbuf, 100000));

	/* Inline SEND: the buffer may change right after posting. */
	post_recv(b.qp, rbuf, 4096, 12);
	fill(inl, sizeof(inl), 4);
	sg[0] = (struct ibv_sge){ (uintptr_t)inl, sizeof(inl), 0 };
	wr.opcode = IBV_WR_SEND;
	wr.send_flags = IBV_SEND_SIGNALED | IBV_SEND_INLINE;
	REQUIRE(!ibv_post_send(a.qp, &wr, &bad));
	memset(inl, 0xee, sizeof(inl));
	CHECK(one_wc(a.cq) == IBV_WC_SUCCESS);
	wait_wc(b.cq, 1, wc);
	fill(inl, sizeof(inl), 4);
	CHECK(wc[0].status == IBV_WC_SUCCESS && wc[0].byte_len == 200 &&
	      !memcmp(rbuf, inl, 200));

	/* WRITE with immediate consumes a receive WQE. */
	post_recv(b.qp, rbuf, 16, 13);
	fill(lbuf, 5000, 5);
	sg[0] = (struct ibv_sge){ (uintptr_t)lbuf, 5000, lmr->lkey };
	wr.opcode = IBV_WR_RDMA_WRITE_WITH_IMM;
	wr.send_flags = IBV_SEND_SIGNALED;
	wr.imm_data = htonl(77);
	wr.wr.rdma.remote_addr = raddr(65536);
	wr.wr.rdma.rkey = rmr->rkey;
	REQUIRE(!ibv_post_send(a.qp, &wr, &bad));
	CHECK(one_wc(a.cq) == IBV_WC_SUCCESS);
	wait_wc(b.cq, 1, wc);
	CHECK(wc[0].status == IBV_WC_SUCCESS &&
	      wc[0].opcode == IBV_WC_RECV_RDMA_WITH_IMM &&
	      wc[0].imm_data == htonl(77) && wc[0].byte_len == 5000);
	CHECK(!memcmp(rbuf + 65536, lbuf, 5000));

	free_end(&a);
	free_end(&b);
	printf("data: ok\n");
}

/*
 * QPs created by a thread that has moved to another network namespace
 * still get their sockets in the context's namespace (the engine thread
 * makes them). Runs first, so that the first socket is made this way.
 */
static void *netns_thread(void *arg)
{
	struct end *e = arg;

	/* A new, empty namespace for this thread only. */
	if (unshare(CLONE_NEWNET))
		return NULL;
	e[0] = make_end();
	e[1] = make_end();
	return arg;
}

static void test_netns(void)
{
	struct end e[2];
	pthread_t t;
	void *ret;

	REQUIRE(!pthread_create(&t, NULL, netns_thread, e));
	REQUIRE(!pthread_join(t, &ret));
	if (!ret) {
		printf("netns: skipped (cannot unshare: %s)\n",
		       strerror(errno));
		return;
	}
	connect_pair(&e[0], &e[1], 7);
	fill(lbuf, 5000, 33);
	memset(rbuf, 0, 5000);
	REQUIRE(!post(e[0].qp, IBV_WR_RDMA_WRITE, lbuf, 5000, raddr(0),
		      rmr->rkey, 1));
	CHECK(one_wc(e[0].cq) == IBV_WC_SUCCESS);
	CHECK(!memcmp(rbuf, lbuf, 5000));
	free_end(&e[0]);
	free_end(&e[1]);
	printf("netns: ok\n");
}

/* The ibv_wr_* API on a QP from ibv_create_qp_ex. */
static void test_qp_ex(void)
{
	struct end b = make_end(), a;
	struct ibv_qp_init_attr_ex ia;
	struct ibv_qp_ex *x;
	struct ibv_wc wc[3];
	uint64_t *res = (uint64_t *)(lbuf + BUF - 64);
	char msg[] = "inline via ibv_wr_set_inline_data";

	a.cq = ibv_create_cq(ctx, 64, NULL, NULL, 0);
	REQUIRE(a.cq);
	memset(&ia, 0, sizeof(ia));
	ia.send_cq = a.cq;
	ia.recv_cq = a.cq;
	ia.qp_type = IBV_QPT_RC;
	ia.cap.max_send_wr = 16;
	ia.cap.max_recv_wr = 16;
	ia.cap.max_send_sge = 1;
	ia.cap.max_recv_sge = 1;
	ia.cap.max_inline_data = 64;
	ia.comp_mask = IBV_QP_INIT_ATTR_PD | IBV_QP_INIT_ATTR_SEND_OPS_FLAGS;
	ia.pd = pd;
	ia.send_ops_flags = IBV_QP_EX_WITH_RDMA_WRITE | IBV_QP_EX_WITH_SEND |
			    IBV_QP_EX_WITH_ATOMIC_FETCH_AND_ADD;
	a.qp = ibv_create_qp_ex(ctx, &ia);
	REQUIRE(a.qp);
	x = ibv_qp_to_qp_ex(a.qp);
	REQUIRE(x);
	connect_pair(&a, &b, 7);

	fill(lbuf, 3000, 21);
	memset(rbuf, 0, 8192);
	*(uint64_t *)(rbuf + 4096) = 40;
	post_recv(b.qp, rbuf + 6000, 100, 1);
	ibv_wr_start(x);
	x->wr_id = 100;
	x->wr_flags = IBV_SEND_SIGNALED;
	ibv_wr_rdma_write(x, rmr->rkey, raddr(0));
	ibv_wr_set_sge(x, lmr->lkey, (uintptr_t)lbuf, 3000);
	x->wr_id = 101;
	ibv_wr_send(x);
	ibv_wr_set_inline_data(x, msg, sizeof(msg));
	x->wr_id = 102;
	ibv_wr_atomic_fetch_add(x, rmr->rkey, raddr(4096), 2);
	ibv_wr_set_sge(x, lmr->lkey, (uintptr_t)res, 8);
	memset(msg, 0, sizeof(msg));
	CHECK(ibv_wr_complete(x) == 0);
	wait_wc(a.cq, 3, wc);
	CHECK(wc[0].wr_id == 100 && wc[0].status == IBV_WC_SUCCESS);
	CHECK(wc[1].wr_id == 101 && wc[1].status == IBV_WC_SUCCESS);
	CHECK(wc[2].wr_id == 102 && wc[2].status == IBV_WC_SUCCESS);
	CHECK(!memcmp(rbuf, lbuf, 3000));
	CHECK(*res == 40 && *(uint64_t *)(rbuf + 4096) == 42);
	wait_wc(b.cq, 1, wc);
	CHECK(wc[0].status == IBV_WC_SUCCESS &&
	      !strcmp((char *)rbuf + 6000,
		      "inline via ibv_wr_set_inline_data"));

	/* An aborted batch posts nothing. */
	ibv_wr_start(x);
	ibv_wr_rdma_write(x, rmr->rkey, raddr(0));
	ibv_wr_set_sge(x, lmr->lkey, (uintptr_t)lbuf, 8);
	ibv_wr_abort(x);
	settle(a.cq);
	free_end(&a);
	free_end(&b);
	printf("qp_ex: ok\n");
}

/* One remote error on a fresh pair: the status, then the rest flushed. */
static void remote_error(const char *what, enum ibv_wr_opcode op, uint64_t addr,
			 uint32_t len, uint32_t rkey, enum ibv_wc_status want)
{
	struct end a = make_end(), b = make_end();
	struct ibv_wc wc[2];
	uint8_t canary[4096];

	connect_pair(&a, &b, 7);
	memset(rbuf, 0x5a, 1 << 20);
	memset(rbuf + BUF - 4096, 0x5a, 4096);
	memset(canary, 0x5a, sizeof(canary));
	fill(lbuf, 1 << 16, 9);
	if (op == IBV_WR_ATOMIC_FETCH_AND_ADD)
		REQUIRE(!post_atomic(a.qp, op, lbuf, addr, rkey, 1, 0, 1));
	else
		REQUIRE(!post(a.qp, op, lbuf, len, addr, rkey, 1));
	REQUIRE(!post(a.qp, IBV_WR_RDMA_WRITE, lbuf, 16, raddr(0), rmr->rkey,
		      2));
	wait_wc(a.cq, 2, wc);
	CHECK(wc[0].wr_id == 1 && wc[0].status == want);
	CHECK(wc[1].wr_id == 2 && wc[1].status == IBV_WC_WR_FLUSH_ERR);
	if (wc[0].status != want)
		fprintf(stderr, "%s: status %s\n", what,
			ibv_wc_status_str(wc[0].status));
	/* Nothing of the target changed, in or around the region. */
	CHECK(!memcmp(rbuf, canary, sizeof(canary)));
	CHECK(!memcmp(rbuf + BUF - sizeof(canary), canary, sizeof(canary)) ||
	      op != IBV_WR_RDMA_WRITE);
	free_end(&a);
	free_end(&b);
	printf("%s: ok\n", what);
}

static void test_errors(void)
{
	struct end a, b;
	struct ibv_wc wc[2];
	double retry_sec;
	uint32_t dead;

	remote_error("write wrong rkey", IBV_WR_RDMA_WRITE, raddr(0), 100,
		     rmr->rkey ^ 0x5555, IBV_WC_REM_ACCESS_ERR);
	remote_error("write out of bounds", IBV_WR_RDMA_WRITE, raddr(BUF - 100),
		     4096, rmr->rkey, IBV_WC_REM_ACCESS_ERR);
	remote_error("write below the region", IBV_WR_RDMA_WRITE, raddr(0) - 64,
		     128, rmr->rkey, IBV_WC_REM_ACCESS_ERR);
	remote_error("write wrapping around", IBV_WR_RDMA_WRITE,
		     UINT64_MAX - 10, 100, rmr->rkey, IBV_WC_REM_ACCESS_ERR);
	remote_error("read wrong rkey", IBV_WR_RDMA_READ, raddr(0), 100,
		     rmr->rkey + 1, IBV_WC_REM_ACCESS_ERR);
	remote_error("read out of bounds", IBV_WR_RDMA_READ, raddr(BUF - 8),
		     4096, rmr->rkey, IBV_WC_REM_ACCESS_ERR);
	remote_error("atomic misaligned", IBV_WR_ATOMIC_FETCH_AND_ADD, raddr(4),
		     8, rmr->rkey, IBV_WC_REM_INV_REQ_ERR);
	remote_error("atomic wrong rkey", IBV_WR_ATOMIC_FETCH_AND_ADD, raddr(8),
		     8, rmr->rkey ^ 1, IBV_WC_REM_ACCESS_ERR);

	/* A receive buffer too small: LOC_LEN_ERR there, REM_INV_REQ here. */
	a = make_end();
	b = make_end();
	connect_pair(&a, &b, 7);
	post_recv(b.qp, rbuf, 100, 5);
	REQUIRE(!post(a.qp, IBV_WR_SEND, lbuf, 5000, 0, 0, 6));
	CHECK(one_wc(a.cq) == IBV_WC_REM_INV_REQ_ERR);
	wait_wc(b.cq, 1, wc);
	CHECK(wc[0].wr_id == 5 && wc[0].status == IBV_WC_LOC_LEN_ERR);
	free_end(&a);
	free_end(&b);
	printf("short receive: ok\n");

	/* No receive WQE and rnr_retry 1: RNR_RETRY_EXC_ERR. */
	a = make_end();
	b = make_end();
	connect_pair(&a, &b, 1);
	REQUIRE(!post(a.qp, IBV_WR_SEND, lbuf, 10, 0, 0, 7));
	CHECK(one_wc(a.cq) == IBV_WC_RNR_RETRY_EXC_ERR);
	free_end(&a);
	free_end(&b);
	printf("rnr: ok\n");

	/* A local protection error: bad lkey. */
	a = make_end();
	b = make_end();
	connect_pair(&a, &b, 7);
	{
		struct ibv_sge sge = { (uintptr_t)lbuf, 10, lmr->lkey ^ 7 };
		struct ibv_send_wr wr = { .wr_id = 8,
					  .sg_list = &sge,
					  .num_sge = 1,
					  .opcode = IBV_WR_RDMA_WRITE,
					  .send_flags = IBV_SEND_SIGNALED };
		struct ibv_send_wr *bad;

		wr.wr.rdma.remote_addr = raddr(0);
		wr.wr.rdma.rkey = rmr->rkey;
		REQUIRE(!ibv_post_send(a.qp, &wr, &bad));
		CHECK(one_wc(a.cq) == IBV_WC_LOC_PROT_ERR);
	}
	free_end(&a);
	free_end(&b);
	printf("local protection: ok\n");

	/*
	 * The peer is gone: RETRY_EXC_ERR within the budget, then flush.
	 * Three tries of a short timeout take well under a second; the
	 * bound is for a QP that gives up late, stretched where programs
	 * run slower (valgrind, sanitizers).
	 */
	retry_sec = test_secs(10);
	a = make_end();
	b = make_end();
	dead = b.qp->qp_num;
	free_end(&b);
	to_init(a.qp);
	to_rtr(a.qp, dead, 0);
	to_rts(a.qp, 0, 1, 2, 7);
	{
		double t0 = now_s();

		REQUIRE(!post(a.qp, IBV_WR_SEND, lbuf, 10, 0, 0, 9));
		REQUIRE(!post(a.qp, IBV_WR_RDMA_WRITE, lbuf, 10, raddr(0),
			      rmr->rkey, 10));
		wait_wc(a.cq, 2, wc);
		CHECK(wc[0].status == IBV_WC_RETRY_EXC_ERR);
		CHECK(wc[1].status == IBV_WC_WR_FLUSH_ERR);
		CHECK(now_s() - t0 < retry_sec);
	}
	free_end(&a);
	printf("retry exceeded: ok\n");
}

/* A forged WRITE_ONLY packet to @qpn from socket @fd. */
static void forge(int fd, const struct sockaddr_in6 *to, uint16_t sport,
		  uint32_t qpn, uint32_t psn, uint64_t va, uint32_t rkey,
		  const void *data, uint32_t len, bool bad_icrc)
{
	uint8_t pkt_buf[2048];
	struct uroce_icrc_hdr ih;
	struct uroce_pkt pkt;
	struct iovec iov;
	int hlen;

	memset(&pkt, 0, sizeof(pkt));
	pkt.bth.opcode = UROCE_OP_RC_WRITE_ONLY;
	pkt.bth.pkey = 0xffff;
	pkt.bth.dqpn = qpn;
	pkt.bth.psn = psn;
	pkt.bth.ackreq = true;
	pkt.reth.va = va;
	pkt.reth.rkey = rkey;
	pkt.reth.len = len;
	pkt.paylen = len;
	hlen = uroce_pkt_build(pkt_buf, sizeof(pkt_buf), &pkt);
	REQUIRE(hlen > 0 && len % 4 == 0);
	memcpy(pkt_buf + hlen, data, len);
	memset(&ih, 0, sizeof(ih));
	ih.family = AF_INET;
	memcpy(&ih.src.v4, &gid0.raw[12], 4);
	memcpy(&ih.dst.v4, &gid0.raw[12], 4);
	ih.sport = sport;
	ih.dport = ntohs(to->sin6_port);
	ih.ip_frag_off = 0x4000;
	iov.iov_base = pkt_buf;
	iov.iov_len = hlen + len;
	uroce_icrc_put(pkt_buf + hlen + len,
		       uroce_icrc(&ih, &iov, 1) ^ (bad_icrc ? 1 : 0));
	REQUIRE(sendto(fd, pkt_buf, hlen + len + 4, 0,
		       (const struct sockaddr *)to, sizeof(*to)) > 0);
}

static int udp_socket(uint16_t *port)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET6, SOCK_DGRAM, 0), off = 0;

	REQUIRE(fd >= 0);
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	REQUIRE(!bind(fd, (struct sockaddr *)&sa, sizeof(sa)));
	REQUIRE(!getsockname(fd, (struct sockaddr *)&sa, &len));
	*port = ntohs(sa.sin6_port);
	return fd;
}

/* Gives the target time to process what was sent. */
static void settle(struct ibv_cq *cq)
{
	struct ibv_wc wc;
	double end = now_s() + 0.3;

	while (now_s() < end)
		CHECK(ibv_poll_cq(cq, 1, &wc) == 0);
}

static void test_forged(void)
{
	struct end t = make_end();
	struct sockaddr_in6 to = { .sin6_family = AF_INET6 };
	uint8_t data[64], zero[64] = { 0 };
	uint16_t peer_port, other_port;
	uint32_t qpn = t.qp->qp_num;
	int peer, other;

	if (gid0.raw[10] != 0xff) {
		printf("forged: skipped (GID 0 is not IPv4)\n");
		free_end(&t);
		return;
	}
	peer = udp_socket(&peer_port);
	other = udp_socket(&other_port);
	memcpy(&to.sin6_addr, gid0.raw, 16);
	to.sin6_port = htons((uint16_t)(qpn >> 8));
	to_init(t.qp);
	to_rtr(t.qp, (uint32_t)peer_port << 8 | 1, 100);
	memset(rbuf, 0, 4096);
	memset(rbuf + BUF - 4096, 0, 4096);
	memset(data, 0xab, sizeof(data));

	forge(other, &to, other_port, qpn, 100, raddr(0), rmr->rkey, data, 64,
	      false);
	settle(t.cq);
	CHECK(!memcmp(rbuf, zero, 64)); /* wrong source port */
	forge(peer, &to, peer_port, qpn, 105, raddr(0), rmr->rkey, data, 64,
	      false);
	settle(t.cq);
	CHECK(!memcmp(rbuf, zero, 64)); /* PSN ahead */
	forge(peer, &to, peer_port, qpn, 99, raddr(0), rmr->rkey, data, 64,
	      false);
	settle(t.cq);
	CHECK(!memcmp(rbuf, zero, 64)); /* PSN behind: a duplicate */
	forge(peer, &to, peer_port, qpn, 100, raddr(0), rmr->rkey, data, 64,
	      true);
	settle(t.cq);
	CHECK(!memcmp(rbuf, zero, 64)); /* bad ICRC */
	forge(peer, &to, peer_port, qpn ^ 0x80, 100, raddr(0), rmr->rkey, data,
	      64, false);
	settle(t.cq);
	CHECK(!memcmp(rbuf, zero, 64)); /* no such QP */
	forge(peer, &to, peer_port, qpn, 100, raddr(0), rmr->rkey, data, 64,
	      false);
	settle(t.cq);
	CHECK(!memcmp(rbuf, data, 64)); /* the valid one lands */
	memset(rbuf, 0, 64);
	forge(peer, &to, peer_port, qpn, 101, raddr(BUF - 32), rmr->rkey, data,
	      64, false);
	settle(t.cq);
	CHECK(!memcmp(rbuf + BUF - 32, zero, 32)); /* out of bounds */
	forge(peer, &to, peer_port, qpn, 101, raddr(0), rmr->rkey ^ 0x100, data,
	      64, false);
	settle(t.cq);
	CHECK(!memcmp(rbuf, zero, 64)); /* wrong rkey (QP now in error) */
	close(peer);
	close(other);
	free_end(&t);
	printf("forged: ok\n");
}

/*
 * Mixed RC traffic, a batch at a time: WRITEs to distinct slots, SENDs
 * into posted receives, FETCH_ADDs on one counter, then READs of every
 * slot written; everything verified.
 */
static void stress(long n)
{
	struct end a = make_end(), b = make_end();
	const uint32_t slot = 8192, batch = 64;
	uint64_t *ctr = (uint64_t *)(rbuf + BUF - 8), expect = 0;
	static struct ibv_wc wc[256];
	long done = 0, k;
	unsigned int seed = 1;

	connect_pair(&a, &b, 7);
	*ctr = 0;
	while (done < n) {
		uint32_t i, nwr = 0, nrecv = 0, nfaa = 0;
		uint32_t len[64];
		uint8_t kind[64];

		for (i = 0; i < batch; i++) {
			uint8_t *src = lbuf + i * slot;

			kind[i] = (uint8_t)((seed + i) % 3);
			len[i] = 1 +
				 (seed * 2654435761u + i * 40503u) % (slot - 1);
			fill(src, len[i], seed + i);
			if (kind[i] == 0) {
				REQUIRE(!post(a.qp, IBV_WR_RDMA_WRITE, src,
					      len[i], raddr(i * slot),
					      rmr->rkey, i));
			} else if (kind[i] == 1) {
				post_recv(b.qp, rbuf + (batch + i) * slot, slot,
					  i);
				REQUIRE(!post(a.qp, IBV_WR_SEND, src, len[i], 0,
					      0, i));
				nrecv++;
			} else {
				REQUIRE(!post_atomic(
					a.qp, IBV_WR_ATOMIC_FETCH_AND_ADD,
					lbuf + (2 * batch + i) * slot,
					raddr(BUF - 8), rmr->rkey, i + 1, 0,
					i));
				nfaa++;
			}
			nwr++;
		}
		wait_wc(a.cq, (int)nwr, wc);
		for (i = 0; i < nwr; i++) {
			if (wc[i].status != IBV_WC_SUCCESS) {
				fprintf(stderr, "stress: wr %lu: %s\n",
					(unsigned long)wc[i].wr_id,
					ibv_wc_status_str(wc[i].status));
				exit(1);
			}
			CHECK(wc[i].wr_id == i);
		}
		wait_wc(b.cq, (int)nrecv, wc);
		for (i = 0; i < nrecv; i++) {
			uint32_t j = (uint32_t)wc[i].wr_id;

			CHECK(wc[i].status == IBV_WC_SUCCESS &&
			      wc[i].byte_len == len[j]);
			CHECK(!memcmp(rbuf + (batch + j) * slot,
				      lbuf + j * slot, len[j]));
		}
		/* FETCH_ADDs run in order: each saw the sum before it. */
		for (i = 0; i < batch; i++) {
			if (kind[i] != 2)
				continue;
			CHECK(*(uint64_t *)(lbuf + (2 * batch + i) * slot) ==
			      expect);
			expect += i + 1;
		}
		CHECK(*ctr == expect);
		/* READ back every slot written and compare. */
		for (i = 0, k = 0; i < batch; i++) {
			if (kind[i] != 0)
				continue;
			memset(lbuf + (3 * batch + i) * slot, 0, len[i]);
			REQUIRE(!post(a.qp, IBV_WR_RDMA_READ,
				      lbuf + (3 * batch + i) * slot, len[i],
				      raddr(i * slot), rmr->rkey, i));
			k++;
		}
		wait_wc(a.cq, (int)k, wc);
		for (i = 0; i < (uint32_t)k; i++)
			CHECK(wc[i].status == IBV_WC_SUCCESS);
		for (i = 0; i < batch; i++) {
			if (kind[i] != 0)
				continue;
			CHECK(!memcmp(lbuf + (3 * batch + i) * slot,
				      lbuf + i * slot, len[i]));
			CHECK(!memcmp(rbuf + i * slot, lbuf + i * slot,
				      len[i]));
		}
		done += nwr + k;
		seed++;
		if (check_failures) {
			fprintf(stderr, "stress: failed after %ld ops\n", done);
			exit(1);
		}
	}
	free_end(&a);
	free_end(&b);
	printf("stress: %ld operations verified\n", done);
}

int main(int argc, char **argv)
{
	struct ibv_device **list;
	int i, n;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DEVICE [stress N]\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	list = ibv_get_device_list(&n);
	REQUIRE(list);
	for (i = 0; i < n; i++)
		if (!strcmp(ibv_get_device_name(list[i]), argv[1]))
			break;
	REQUIRE(i < n);
	ctx = ibv_open_device(list[i]);
	REQUIRE(ctx);
	ibv_free_device_list(list);
	REQUIRE(!ibv_query_gid(ctx, 1, 0, &gid0));
	pd = ibv_alloc_pd(ctx);
	REQUIRE(pd);
	lbuf = aligned_alloc(4096, BUF);
	rbuf = aligned_alloc(4096, BUF);
	REQUIRE(lbuf && rbuf);
	memset(lbuf, 0, BUF);
	memset(rbuf, 0, BUF);
	lmr = ibv_reg_mr(pd, lbuf, BUF, IBV_ACCESS_LOCAL_WRITE);
	rmr = ibv_reg_mr(pd, rbuf, BUF,
			 IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
				 IBV_ACCESS_REMOTE_READ |
				 IBV_ACCESS_REMOTE_ATOMIC);
	REQUIRE(lmr && rmr);

	if (argc >= 4 && !strcmp(argv[2], "stress")) {
		stress(atol(argv[3]));
	} else {
		test_netns();
		test_data();
		test_qp_ex();
		test_errors();
		test_forged();
	}

	CHECK(!ibv_dereg_mr(lmr));
	CHECK(!ibv_dereg_mr(rmr));
	CHECK(!ibv_dealloc_pd(pd));
	CHECK(!ibv_close_device(ctx));
	free(lbuf);
	free(rbuf);
	if (check_failures) {
		fprintf(stderr, "%d check(s) failed\n", check_failures);
		return 1;
	}
	printf("all ok\n");
	return 0;
}
