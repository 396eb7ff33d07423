// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * wire_ops DEV_A NETNS_B DEV_B: the packets no Debian tool makes, for the
 * capture of capture.sh. Run in A; B's device is opened from inside B.
 * Three RC connections from A to B over GID 0 (or $WIRE_OPS_GID), each
 * with its own QPs:
 *   imm:    A WRITEs 64 bytes with immediate data 0x12345678 to B, which
 *           has a receive posted: success at both ends;
 *   rnr:    A SENDs 64 bytes while B has no receive posted, with
 *           rnr_retry 0: one RNR NAK, then IBV_WC_RNR_RETRY_EXC_ERR;
 *   access: A WRITEs 64 bytes with an rkey that is not B's: a remote
 *           access NAK, then IBV_WC_REM_ACCESS_ERR.
 * Prints, for each, "NAME A QPN 0x... PSN 0x... B QPN 0x... PSN 0x...
 * RKey 0x... VAddr 0x..." (B's buffer) for check.py.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tests/lib/check.h"
#include "tests/lib/clock.h"
#include "tests/lib/qp.h"
#include "tests/lib/verbs.h"

struct side {
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_qp *qp;
	struct ibv_mr *mr;
	union ibv_gid gid;
	char buf[64];
};

static uint8_t gid_index;

static void side_open(struct side *s, const char *dev)
{
	struct ibv_qp_cap cap = { .max_send_wr = 4,
				  .max_recv_wr = 4,
				  .max_send_sge = 1,
				  .max_recv_sge = 1 };

	s->ctx = open_dev(dev);
	s->pd = ibv_alloc_pd(s->ctx);
	REQUIRE(s->pd);
	REQUIRE(!ibv_query_gid(s->ctx, 1, gid_index, &s->gid));
	s->cq = ibv_create_cq(s->ctx, 8, NULL, NULL, 0);
	REQUIRE(s->cq);
	s->qp = test_rc_qp(s->pd, s->cq, &cap);
	s->mr = ibv_reg_mr(s->pd, s->buf, sizeof(s->buf),
			   IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE);
	REQUIRE(s->mr);
}

static void side_close(struct side *s)
{
	REQUIRE(!ibv_destroy_qp(s->qp));
	REQUIRE(!ibv_dereg_mr(s->mr));
	REQUIRE(!ibv_destroy_cq(s->cq));
	REQUIRE(!ibv_dealloc_pd(s->pd));
	REQUIRE(!ibv_close_device(s->ctx));
}

/* One completion of @s, within 10 s (scaled). */
static struct ibv_wc wait_wc(struct side *s)
{
	double end = now_s() + test_secs(10);
	struct ibv_wc wc;
	int n;

	while (!(n = ibv_poll_cq(s->cq, 1, &wc)))
		REQUIRE(now_s() < end);
	REQUIRE(n == 1);
	return wc;
}

static void run(const char *name, const char *dev_a, int ns_b,
		const char *dev_b, enum ibv_wr_opcode op,
		enum ibv_wc_status want)
{
	struct test_conn c = { TEST_CONN_ALL_ACCESS, .rd_atomic = 1,
			       .timeout = 14,	     .retry_cnt = 7,
			       .rnr_retry = 0,	     .sgid_index = gid_index };
	uint32_t psn_a = 0x123456, psn_b = 0x654321;
	struct side a, b;
	struct ibv_send_wr wr = { 0 }, *bad;
	struct ibv_recv_wr rwr = { 0 }, *rbad;
	struct ibv_sge sge, rsge;
	struct ibv_wc wc;
	int home;

	home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	REQUIRE(home >= 0);
	side_open(&a, dev_a);
	REQUIRE(!setns(ns_b, CLONE_NEWNET));
	side_open(&b, dev_b);
	REQUIRE(!setns(home, CLONE_NEWNET));
	close(home);
	test_qp_connect(a.qp, &c, &b.gid, b.qp->qp_num, psn_b, psn_a);
	test_qp_connect(b.qp, &c, &a.gid, a.qp->qp_num, psn_a, psn_b);
	printf("%s A QPN 0x%06x PSN 0x%06x B QPN 0x%06x PSN 0x%06x "
	       "RKey 0x%08x VAddr 0x%016llx\n",
	       name, a.qp->qp_num, psn_a, b.qp->qp_num, psn_b, b.mr->rkey,
	       (unsigned long long)(uintptr_t)b.buf);

	sge.addr = (uintptr_t)a.buf;
	sge.length = sizeof(a.buf);
	sge.lkey = a.mr->lkey;
	wr.sg_list = &sge;
	wr.num_sge = 1;
	wr.opcode = op;
	wr.send_flags = IBV_SEND_SIGNALED;
	wr.wr.rdma.remote_addr = (uintptr_t)b.buf;
	wr.wr.rdma.rkey = b.mr->rkey;
	if (op == IBV_WR_RDMA_WRITE_WITH_IMM) {
		wr.imm_data = htonl(0x12345678);
		rsge.addr = (uintptr_t)b.buf;
		rsge.length = sizeof(b.buf);
		rsge.lkey = b.mr->lkey;
		rwr.sg_list = &rsge;
		rwr.num_sge = 1;
		REQUIRE(!ibv_post_recv(b.qp, &rwr, &rbad));
	} else if (op == IBV_WR_RDMA_WRITE) {
		wr.wr.rdma.rkey ^= 0x5a5a; /* not B's */
	}
	REQUIRE(!ibv_post_send(a.qp, &wr, &bad));
	wc = wait_wc(&a);
	CHECK_EQ(wc.status, want);
	if (op == IBV_WR_RDMA_WRITE_WITH_IMM) {
		wc = wait_wc(&b);
		CHECK_EQ(wc.status, IBV_WC_SUCCESS);
		CHECK_EQ(wc.opcode, IBV_WC_RECV_RDMA_WITH_IMM);
		CHECK_EQ(ntohl(wc.imm_data), 0x12345678u);
	}
	side_close(&b);
	side_close(&a);
}

int main(int argc, char **argv)
{
	int ns_b;

	if (argc != 4) {
		fprintf(stderr, "usage: %s DEV_A NETNS_B DEV_B\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (getenv("WIRE_OPS_GID"))
		gid_index = (uint8_t)atoi(getenv("WIRE_OPS_GID"));
	ns_b = open(argv[2], O_RDONLY | O_CLOEXEC);
	REQUIRE(ns_b >= 0);
	run("imm", argv[1], ns_b, argv[3], IBV_WR_RDMA_WRITE_WITH_IMM,
	    IBV_WC_SUCCESS);
	run("rnr", argv[1], ns_b, argv[3], IBV_WR_SEND,
	    IBV_WC_RNR_RETRY_EXC_ERR);
	run("access", argv[1], ns_b, argv[3], IBV_WR_RDMA_WRITE,
	    IBV_WC_REM_ACCESS_ERR);
	close(ns_b);
	return check_report("wire_ops");
}
