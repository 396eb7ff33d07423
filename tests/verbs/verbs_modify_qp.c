// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ibv_modify_qp through the public API: the rules of the one validator
 * (qp_attr.c) hold for the QPs an application modifies. A refused modify
 * returns EINVAL and leaves the QP's state and attributes as they were;
 * an accepted one is what ibv_query_qp reports, and the pair then moves
 * data.
 */
#include "rc_pair.h"

static struct ibv_context *ctx;
static struct ibv_pd *pd;
static struct rc_end c, s;

static enum ibv_qp_state qp_state(struct ibv_qp *qp, struct ibv_qp_attr *a)
{
	struct ibv_qp_init_attr ia;

	REQUIRE(!ibv_query_qp(qp, a,
			      IBV_QP_STATE | IBV_QP_SQ_PSN | IBV_QP_RQ_PSN |
				      IBV_QP_ACCESS_FLAGS,
			      &ia));
	return a->qp_state;
}

/* @mask with @a is refused and changes nothing of @qp. */
static void check_refused(struct ibv_qp *qp, struct ibv_qp_attr *a, int mask,
			  int line)
{
	struct ibv_qp_attr before, after;

	qp_state(qp, &before);
	if (ibv_modify_qp(qp, a, mask) != EINVAL) {
		fprintf(stderr, "line %d: modify not refused with EINVAL\n",
			line);
		check_failures++;
	}
	qp_state(qp, &after);
	CHECK_EQ(after.qp_state, before.qp_state);
	CHECK_EQ(after.sq_psn, before.sq_psn);
	CHECK_EQ(after.rq_psn, before.rq_psn);
	CHECK_EQ(after.qp_access_flags, before.qp_access_flags);
}

#define REFUSED(qp, a, mask) check_refused(qp, a, mask, __LINE__)

static void init_attr(struct ibv_qp_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->qp_state = IBV_QPS_INIT;
	a->port_num = 1;
	a->qp_access_flags = IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ;
}

#define INIT_MASK \
	(IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT | IBV_QP_ACCESS_FLAGS)

static void rtr_attr(struct ibv_qp_attr *a, uint32_t dqpn)
{
	union ibv_gid gid;

	REQUIRE(!ibv_query_gid(ctx, 1, 0, &gid));
	memset(a, 0, sizeof(*a));
	a->qp_state = IBV_QPS_RTR;
	a->path_mtu = IBV_MTU_1024;
	a->dest_qp_num = dqpn;
	a->rq_psn = 0x123;
	a->max_dest_rd_atomic = 4;
	a->min_rnr_timer = 1;
	a->ah_attr.is_global = 1;
	a->ah_attr.grh.dgid = gid;
	a->ah_attr.grh.hop_limit = 1;
	a->ah_attr.port_num = 1;
}

#define RTR_MASK                                                        \
	(IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU | IBV_QP_DEST_QPN | \
	 IBV_QP_RQ_PSN | IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER)

/* Transitions the IBTA does not have, and masks that do not fit them. */
static void check_transitions(void)
{
	struct ibv_qp_attr a, q;

	rc_end_init(&c, ctx, pd);
	CHECK_EQ(qp_state(c.qp, &q), IBV_QPS_RESET);
	rtr_attr(&a, 1);
	REFUSED(c.qp, &a, RTR_MASK); /* RESET -> RTR */
	a.qp_state = IBV_QPS_ERR;
	REFUSED(c.qp, &a, IBV_QP_STATE); /* RESET -> ERR */
	init_attr(&a);
	REFUSED(c.qp, &a, INIT_MASK & ~IBV_QP_ACCESS_FLAGS); /* required */
	REFUSED(c.qp, &a, INIT_MASK | IBV_QP_QKEY); /* not RC's */
	a.qp_state = IBV_QPS_UNKNOWN;
	REFUSED(c.qp, &a, INIT_MASK);
	/* The consumer's idea of the current state must be right. */
	init_attr(&a);
	a.cur_qp_state = IBV_QPS_INIT;
	REFUSED(c.qp, &a, INIT_MASK | IBV_QP_CUR_STATE);
	rc_end_free(&c);
}

/* The values the validator refuses, each alone in an otherwise good set. */
static void check_values(void)
{
	struct ibv_qp_attr a, q;

	rc_end_init(&c, ctx, pd);
	init_attr(&a);
	a.port_num = 2;
	REFUSED(c.qp, &a, INIT_MASK);
	init_attr(&a);
	a.pkey_index = 1;
	REFUSED(c.qp, &a, INIT_MASK);

	/*
	 * Access flags beyond the QP's own are ignored, as the kernel does:
	 * rdma-core's tests pass an MR's flags (ON_DEMAND) here.
	 */
	init_attr(&a);
	a.qp_access_flags |= IBV_ACCESS_ON_DEMAND | IBV_ACCESS_LOCAL_WRITE;
	CHECK_RET(ibv_modify_qp(c.qp, &a, INIT_MASK), 0);
	CHECK_EQ(qp_state(c.qp, &q), IBV_QPS_INIT);

	rtr_attr(&a, 1);
	a.ah_attr.port_num = 2;
	REFUSED(c.qp, &a, RTR_MASK);
	rtr_attr(&a, 1);
	a.ah_attr.is_global = 0;
	REFUSED(c.qp, &a, RTR_MASK);
	rtr_attr(&a, 1);
	a.ah_attr.sl = 16;
	REFUSED(c.qp, &a, RTR_MASK);
	rtr_attr(&a, 1);
	a.path_mtu = IBV_MTU_4096 + 1;
	REFUSED(c.qp, &a, RTR_MASK);
	rtr_attr(&a, 1);
	a.dest_qp_num = 1u << 24;
	REFUSED(c.qp, &a, RTR_MASK);
	rtr_attr(&a, 1);
	a.min_rnr_timer = 32;
	REFUSED(c.qp, &a, RTR_MASK);
	/* No alternate path: the device has no automatic path migration. */
	rtr_attr(&a, 1);
	a.alt_ah_attr = a.ah_attr;
	a.alt_port_num = 1;
	REFUSED(c.qp, &a, RTR_MASK | IBV_QP_ALT_PATH);

	/* A PSN keeps its low 24 bits, as the kernel's soft-RoCE does. */
	rtr_attr(&a, 1);
	a.rq_psn = 0xab000456;
	CHECK_RET(ibv_modify_qp(c.qp, &a, RTR_MASK), 0);
	CHECK_EQ(qp_state(c.qp, &q), IBV_QPS_RTR);
	CHECK_EQ(q.rq_psn, 0x456);

	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTS;
	a.sq_psn = 0xff000789;
	a.timeout = 10;
	a.retry_cnt = 8;
	a.rnr_retry = 3;
	a.max_rd_atomic = 4;
	REFUSED(c.qp, &a,
		IBV_QP_STATE | IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT |
			IBV_QP_RNR_RETRY | IBV_QP_SQ_PSN |
			IBV_QP_MAX_QP_RD_ATOMIC);
	a.retry_cnt = 3;
	a.path_mig_state = IBV_MIG_ARMED;
	REFUSED(c.qp, &a,
		IBV_QP_STATE | IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT |
			IBV_QP_RNR_RETRY | IBV_QP_SQ_PSN |
			IBV_QP_MAX_QP_RD_ATOMIC | IBV_QP_PATH_MIG_STATE);
	a.path_mig_state = IBV_MIG_MIGRATED;
	CHECK_RET(ibv_modify_qp(c.qp, &a,
				IBV_QP_STATE | IBV_QP_TIMEOUT |
					IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
					IBV_QP_SQ_PSN |
					IBV_QP_MAX_QP_RD_ATOMIC |
					IBV_QP_PATH_MIG_STATE),
		  0);
	CHECK_EQ(qp_state(c.qp, &q), IBV_QPS_RTS);
	CHECK_EQ(q.sq_psn, 0x789);
	rc_end_free(&c);
}

/* PSNs given with high bits set still connect a working pair. */
static void check_traffic(void)
{
	static char src[64], dst[64];
	struct ibv_mr *smr, *dmr;
	struct ibv_wc wc;

	rc_end_init(&c, ctx, pd);
	rc_end_init(&s, ctx, pd);
	rc_connect_one(ctx, c.qp, s.qp->qp_num, 0x7f000010);
	rc_connect_one(ctx, s.qp, c.qp->qp_num, 0x01000010);
	smr = ibv_reg_mr(pd, src, sizeof(src), 0);
	dmr = ibv_reg_mr(pd, dst, sizeof(dst),
			 IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE);
	REQUIRE(smr && dmr);
	memset(src, 'm', sizeof(src));
	CHECK_RET(rc_post(c.qp, IBV_WR_RDMA_WRITE, src, sizeof(src), smr->lkey,
			  (uintptr_t)dst, dmr->rkey),
		  0);
	wc = rc_wait(c.cq);
	CHECK_EQ(wc.status, IBV_WC_SUCCESS);
	CHECK(!memcmp(src, dst, sizeof(dst)));
	CHECK_RET(ibv_dereg_mr(smr), 0);
	CHECK_RET(ibv_dereg_mr(dmr), 0);
	rc_end_free(&c);
	rc_end_free(&s);
}

int main(void)
{
	test_env();
	ctx = open_dev(TEST_DEV);
	pd = ibv_alloc_pd(ctx);
	REQUIRE(pd);
	check_transitions();
	check_values();
	check_traffic();
	CHECK_RET(ibv_dealloc_pd(pd), 0);
	CHECK_RET(ibv_close_device(ctx), 0);
	return check_report("verbs_modify_qp");
}
