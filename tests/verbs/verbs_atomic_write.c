// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ATOMIC WRITE (IBV_WR_ATOMIC_WRITE, ibv_wr_atomic_write): 8 bytes land
 * at once at an aligned remote address of an MR with REMOTE_WRITE, the
 * completion says IBV_WC_ATOMIC_WRITE, and the IBTA's errors come back
 * for a misaligned address and an MR without REMOTE_WRITE.
 */
#include "rc_pair.h"

static struct ibv_context *ctx;
static struct ibv_pd *pd;

static void make_end(struct rc_end *e)
{
	struct ibv_qp_init_attr_ex ia = {
		.qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = 8,
			 .max_recv_wr = 8,
			 .max_send_sge = 1,
			 .max_recv_sge = 1 },
		.comp_mask = IBV_QP_INIT_ATTR_PD |
			     IBV_QP_INIT_ATTR_SEND_OPS_FLAGS,
		.send_ops_flags = IBV_QP_EX_WITH_ATOMIC_WRITE |
				  IBV_QP_EX_WITH_RDMA_WRITE,
	};

	e->cq = ibv_create_cq(ctx, 16, NULL, NULL, 0);
	REQUIRE(e->cq);
	ia.send_cq = e->cq;
	ia.recv_cq = e->cq;
	ia.pd = pd;
	e->qp = ibv_create_qp_ex(ctx, &ia);
	REQUIRE(e->qp);
}

/* ibv_wr_atomic_write of @v to @raddr; the completion's status. */
static enum ibv_wc_status awrite(struct rc_end *c, struct rc_end *s,
				 uint32_t rkey, uint64_t raddr, uint64_t v)
{
	struct ibv_qp_ex *x = ibv_qp_to_qp_ex(c->qp);
	struct ibv_wc wc;

	rc_connect(ctx, c, s);
	ibv_wr_start(x);
	x->wr_id = 7;
	x->wr_flags = IBV_SEND_SIGNALED;
	ibv_wr_atomic_write(x, rkey, raddr, &v);
	v = 0; /* the data was taken at the call */
	CHECK_RET(ibv_wr_complete(x), 0);
	wc = rc_wait(c->cq);
	if (wc.status == IBV_WC_SUCCESS) {
		CHECK_EQ(wc.opcode, IBV_WC_ATOMIC_WRITE);
		CHECK_EQ(wc.wr_id, 7);
	}
	return wc.status;
}

int main(void)
{
	static uint64_t target[4], src = 0x1122334455667788ull;
	struct ibv_device_attr_ex a;
	struct ibv_mr *tmr, *ro, *smr;
	struct rc_end c, s;

	test_env();
	ctx = open_dev(TEST_DEV);
	pd = ibv_alloc_pd(ctx);
	REQUIRE(pd);
	REQUIRE(!ibv_query_device_ex(ctx, NULL, &a));
	CHECK(a.device_cap_flags_ex & (1ULL << 40)); /* ATOMIC_WRITE */
	make_end(&c);
	make_end(&s);
	tmr = ibv_reg_mr(pd, target, sizeof(target),
			 IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE);
	ro = ibv_reg_mr(pd, target, sizeof(target),
			IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_READ);
	smr = ibv_reg_mr(pd, &src, sizeof(src), IBV_ACCESS_LOCAL_WRITE);
	REQUIRE(tmr && ro && smr);

	CHECK_EQ(awrite(&c, &s, tmr->rkey, (uintptr_t)&target[1],
			0xa5a5a5a5deadbeefull),
		 IBV_WC_SUCCESS);
	CHECK_EQ(target[1], 0xa5a5a5a5deadbeefull);
	CHECK_EQ(target[0] | target[2], 0);
	CHECK_EQ(awrite(&c, &s, tmr->rkey, (uintptr_t)&target[1] + 4, 1),
		 IBV_WC_REM_INV_REQ_ERR);
	CHECK_EQ(awrite(&c, &s, ro->rkey, (uintptr_t)&target[2], 1),
		 IBV_WC_REM_ACCESS_ERR);
	CHECK_EQ(target[2], 0);

	/* ibv_post_send: the 8 bytes from the one SGE. */
	rc_connect(ctx, &c, &s);
	CHECK_RET(rc_post(c.qp, IBV_WR_ATOMIC_WRITE, &src, 8, smr->lkey,
			  (uintptr_t)&target[3], tmr->rkey),
		  0);
	CHECK_EQ(rc_wait(c.cq).status, IBV_WC_SUCCESS);
	CHECK_EQ(target[3], src);
	CHECK_RET(rc_post(c.qp, IBV_WR_ATOMIC_WRITE, &src, 4, smr->lkey,
			  (uintptr_t)&target[3], tmr->rkey),
		  EINVAL);

	CHECK_RET(ibv_dereg_mr(tmr), 0);
	CHECK_RET(ibv_dereg_mr(ro), 0);
	CHECK_RET(ibv_dereg_mr(smr), 0);
	rc_end_free(&c);
	rc_end_free(&s);
	CHECK_RET(ibv_dealloc_pd(pd), 0);
	CHECK_RET(ibv_close_device(ctx), 0);
	return check_report("verbs_atomic_write");
}
