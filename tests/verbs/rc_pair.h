/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Two connected RC QPs of one process on one context, for the verbs tests
 * that need traffic (ODP, rereg, parent domains): one CQ each, GID 0,
 * every remote access allowed by the QPs so that the MRs decide.
 */
#ifndef UROCE_TEST_RC_PAIR_H
#define UROCE_TEST_RC_PAIR_H

#include "tests/lib/clock.h"
#include "tests/lib/qp.h"
#include "tests/lib/verbs.h"

struct rc_end {
	struct ibv_qp *qp;
	struct ibv_cq *cq;
};

static inline void rc_end_init(struct rc_end *e, struct ibv_context *ctx,
			       struct ibv_pd *pd)
{
	const struct ibv_qp_cap cap = { .max_send_wr = 16,
					.max_recv_wr = 16,
					.max_send_sge = 1,
					.max_recv_sge = 1 };

	e->cq = ibv_create_cq(ctx, 64, NULL, NULL, 0);
	REQUIRE(e->cq);
	e->qp = test_rc_qp(pd, e->cq, &cap);
}

static inline void rc_end_free(struct rc_end *e)
{
	CHECK_RET(ibv_destroy_qp(e->qp), 0);
	CHECK_RET(ibv_destroy_cq(e->cq), 0);
}

/*
 * RESET -> INIT -> RTR -> RTS towards @dqpn, both directions starting at
 * @psn; few retries, short timeout.
 */
static inline void rc_connect_one(struct ibv_context *ctx, struct ibv_qp *qp,
				  uint32_t dqpn, uint32_t psn)
{
	static const struct test_conn conn = {
		TEST_CONN_ALL_ACCESS, .rd_atomic = 4, .timeout = 10,
		.retry_cnt = 3,	      .rnr_retry = 3,
	};
	union ibv_gid gid;

	REQUIRE(!ibv_query_gid(ctx, 1, 0, &gid));
	test_qp_reset(qp);
	test_qp_connect(qp, &conn, &gid, dqpn, psn, psn);
}

/*
 * (Re)connects @a and @b from any state. Each connection starts at other
 * PSNs, as the CM would choose them: a late packet of the last one (a
 * retransmission, its answer) then answers nothing of this one.
 */
static inline void rc_connect(struct ibv_context *ctx, struct rc_end *a,
			      struct rc_end *b)
{
	static uint32_t psn = 0x100;

	psn = (psn + 0x10000) & 0xffffff;
	rc_connect_one(ctx, a->qp, b->qp->qp_num, psn);
	rc_connect_one(ctx, b->qp, a->qp->qp_num, psn);
}

/* The next completion of @cq (the test fails after 20 s without one). */
static inline struct ibv_wc rc_wait(struct ibv_cq *cq)
{
	double end = now_s() + test_secs(20);
	struct ibv_wc wc;
	int n;

	for (;;) {
		n = ibv_poll_cq(cq, 1, &wc);
		REQUIRE(n >= 0);
		if (n)
			return wc;
		REQUIRE(now_s() < end);
	}
}

/* Posts one signalled WR of one SGE; 0 or an errno value. */
static inline int rc_post(struct ibv_qp *qp, enum ibv_wr_opcode op, void *laddr,
			  uint32_t len, uint32_t lkey, uint64_t raddr,
			  uint32_t rkey)
{
	struct ibv_sge sge = { (uintptr_t)laddr, len, lkey };
	struct ibv_send_wr wr, *bad;

	memset(&wr, 0, sizeof(wr));
	wr.opcode = op;
	wr.sg_list = &sge;
	wr.num_sge = 1;
	wr.send_flags = IBV_SEND_SIGNALED;
	if (op == IBV_WR_ATOMIC_FETCH_AND_ADD ||
	    op == IBV_WR_ATOMIC_CMP_AND_SWP) {
		wr.wr.atomic.remote_addr = raddr;
		wr.wr.atomic.rkey = rkey;
		wr.wr.atomic.compare_add = 1;
	} else {
		wr.wr.rdma.remote_addr = raddr;
		wr.wr.rdma.rkey = rkey;
	}
	return ibv_post_send(qp, &wr, &bad);
}

static inline int rc_post_recv(struct ibv_qp *qp, void *addr, uint32_t len,
			       uint32_t lkey)
{
	struct ibv_sge sge = { (uintptr_t)addr, len, lkey };
	struct ibv_recv_wr wr, *bad;

	memset(&wr, 0, sizeof(wr));
	wr.sg_list = &sge;
	wr.num_sge = 1;
	return ibv_post_recv(qp, &wr, &bad);
}

#endif /* UROCE_TEST_RC_PAIR_H */
