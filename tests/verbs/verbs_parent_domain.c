// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Parent domains: a parent domain stands for its PD (MRs, QPs, SRQs on
 * it work with objects of the PD), its allocators provide the queue
 * buffers of the QPs, SRQs and CQs created on it with pd_context passed
 * back, IBV_ALLOCATOR_USE_DEFAULT and a failing allocator behave as
 * rdma-core documents, and nothing it or its PD serves can go first.
 */
#include "rc_pair.h"

#define UROCE_RES_TYPE_SQ 1
#define UROCE_RES_TYPE_RQ 2
#define UROCE_RES_TYPE_SRQ 3
#define UROCE_RES_TYPE_CQ 4

static struct ibv_context *ctx;
static struct ibv_pd *pd;
static int token; /* its address is the pd_context */

enum mode { MODE_OWN, MODE_DEFAULT, MODE_FAIL };

static struct {
	enum mode mode;
	int allocs[5], frees[5];
	int live;
	struct ibv_pd *pd;
	int bad_args;
} al;

static void *test_alloc(struct ibv_pd *p, void *pd_context, size_t size,
			size_t alignment, uint64_t type)
{
	void *ptr;

	if (pd_context != &token || p != al.pd || type < 1 || type > 4 ||
	    !alignment || (alignment & (alignment - 1)))
		al.bad_args++;
	if (al.mode == MODE_FAIL)
		return NULL;
	if (al.mode == MODE_DEFAULT)
		return IBV_ALLOCATOR_USE_DEFAULT;
	if (posix_memalign(&ptr, alignment, size))
		return NULL;
	memset(ptr, 0xee, size); /* the provider must clear it */
	al.allocs[type]++;
	al.live++;
	return ptr;
}

static void test_free(struct ibv_pd *p, void *pd_context, void *ptr,
		      uint64_t type)
{
	if (pd_context != &token || p != al.pd || type < 1 || type > 4)
		al.bad_args++;
	al.frees[type < 5 ? type : 0]++;
	al.live--;
	free(ptr);
}

static struct ibv_pd *parent(void)
{
	struct ibv_parent_domain_init_attr a = {
		.pd = pd,
		.comp_mask = IBV_PARENT_DOMAIN_INIT_ATTR_ALLOCATORS |
			     IBV_PARENT_DOMAIN_INIT_ATTR_PD_CONTEXT,
		.alloc = test_alloc,
		.free = test_free,
		.pd_context = &token,
	};
	struct ibv_pd *p = ibv_alloc_parent_domain(ctx, &a);

	REQUIRE(p);
	CHECK(p->context == ctx);
	al.pd = p;
	return p;
}

static void check_attr_errors(void)
{
	struct ibv_parent_domain_init_attr a = { .pd = pd };
	struct ibv_pd *p;

	a.pd = NULL;
	CHECK_NULL(ibv_alloc_parent_domain(ctx, &a), EINVAL);
	a.pd = pd;
	a.comp_mask = 1 << 2;
	CHECK_NULL(ibv_alloc_parent_domain(ctx, &a), EINVAL);
	a.comp_mask = IBV_PARENT_DOMAIN_INIT_ATTR_ALLOCATORS;
	a.alloc = test_alloc; /* no free */
	CHECK_NULL(ibv_alloc_parent_domain(ctx, &a), EINVAL);
	a.comp_mask = 0;
	a.td = (struct ibv_td *)&token; /* uroce has no thread domains */
	CHECK_NULL(ibv_alloc_parent_domain(ctx, &a), EINVAL);
	a.td = NULL;
	p = ibv_alloc_parent_domain(ctx, &a);
	REQUIRE(p);
	/* No parent of a parent; the PD stays while a parent uses it. */
	a.pd = p;
	CHECK_NULL(ibv_alloc_parent_domain(ctx, &a), EINVAL);
	CHECK_RET(ibv_dealloc_pd(pd), EBUSY);
	CHECK_RET(ibv_dealloc_pd(p), 0);
}

static struct ibv_cq *cq_on(struct ibv_pd *p)
{
	struct ibv_cq_init_attr_ex a = {
		.cqe = 64,
		.comp_mask = IBV_CQ_INIT_ATTR_MASK_PD,
		.parent_domain = p,
	};
	struct ibv_cq_ex *cq = ibv_create_cq_ex(ctx, &a);

	return cq ? ibv_cq_ex_to_cq(cq) : NULL;
}

/*
 * RC traffic between a QP on the parent domain (own CQ and SRQ from the
 * allocator) and one on the plain PD, through MRs of both.
 */
static void check_traffic(void)
{
	struct ibv_srq_init_attr sa = { .attr = { .max_wr = 8, .max_sge = 1 } };
	static char sbuf[256], rbuf[256];
	struct ibv_qp_init_attr ia;
	struct ibv_mr *smr, *rmr;
	struct rc_end c, s;
	struct ibv_srq *srq;
	struct ibv_pd *p;
	struct ibv_wc wc;

	p = parent();
	memset(&al.allocs, 0, sizeof(al.allocs));
	al.mode = MODE_OWN;
	s.cq = cq_on(p);
	REQUIRE(s.cq);
	CHECK_EQ(al.allocs[UROCE_RES_TYPE_CQ], 1);
	CHECK_NULL(cq_on(pd), EINVAL); /* a plain PD is no parent domain */
	srq = ibv_create_srq(p, &sa);
	REQUIRE(srq);
	CHECK_EQ(al.allocs[UROCE_RES_TYPE_SRQ], 1);
	memset(&ia, 0, sizeof(ia));
	ia.send_cq = s.cq;
	ia.recv_cq = s.cq;
	ia.srq = srq;
	ia.qp_type = IBV_QPT_RC;
	ia.cap.max_send_wr = 8;
	ia.cap.max_send_sge = 1;
	s.qp = ibv_create_qp(p, &ia);
	REQUIRE(s.qp);
	CHECK(s.qp->pd == p);
	CHECK_EQ(al.allocs[UROCE_RES_TYPE_SQ], 1);
	CHECK_EQ(al.allocs[UROCE_RES_TYPE_RQ], 0); /* the SRQ receives */
	rc_end_init(&c, ctx, pd);

	rmr = ibv_reg_mr(p, rbuf, sizeof(rbuf), IBV_ACCESS_LOCAL_WRITE);
	smr = ibv_reg_mr(pd, sbuf, sizeof(sbuf), IBV_ACCESS_LOCAL_WRITE);
	REQUIRE(rmr && smr);
	CHECK(rmr->pd == p);
	rc_connect(ctx, &c, &s);
	{
		struct ibv_sge sge = { (uintptr_t)rbuf, sizeof(rbuf),
				       rmr->lkey };
		struct ibv_recv_wr wr = { .sg_list = &sge, .num_sge = 1 };
		struct ibv_recv_wr *bad;

		CHECK_RET(ibv_post_srq_recv(srq, &wr, &bad), 0);
	}
	memcpy(sbuf, "parent domain", 14);
	CHECK_RET(rc_post(c.qp, IBV_WR_SEND, sbuf, 14, smr->lkey, 0, 0), 0);
	CHECK_EQ(rc_wait(c.cq).status, IBV_WC_SUCCESS);
	wc = rc_wait(s.cq);
	CHECK_EQ(wc.status, IBV_WC_SUCCESS);
	CHECK_EQ(wc.byte_len, 14);
	CHECK(!memcmp(rbuf, "parent domain", 14));

	/* Nothing goes while something created on it remains. */
	CHECK_RET(ibv_dealloc_pd(p), EBUSY);
	CHECK_RET(ibv_dealloc_pd(pd), EBUSY);
	CHECK_RET(ibv_resize_cq(s.cq, 200), 0);
	CHECK_EQ(al.allocs[UROCE_RES_TYPE_CQ], 2);
	CHECK_EQ(al.frees[UROCE_RES_TYPE_CQ], 1);

	CHECK_RET(ibv_dereg_mr(rmr), 0);
	CHECK_RET(ibv_dereg_mr(smr), 0);
	rc_end_free(&c);
	rc_end_free(&s); /* the QP, then the CQ */
	CHECK_RET(ibv_destroy_srq(srq), 0);
	CHECK_EQ(al.live, 0);
	CHECK_EQ(al.frees[UROCE_RES_TYPE_SQ], 1);
	CHECK_EQ(al.frees[UROCE_RES_TYPE_SRQ], 1);
	CHECK_EQ(al.frees[UROCE_RES_TYPE_CQ], 2);
	CHECK_RET(ibv_dealloc_pd(p), 0);
}

/* USE_DEFAULT: the provider allocates and frees; a NULL is ENOMEM. */
static void check_default_and_failure(void)
{
	struct ibv_qp_init_attr ia;
	struct ibv_cq *cq;
	struct ibv_qp *qp;
	struct ibv_pd *p;

	p = parent();
	memset(&al.frees, 0, sizeof(al.frees));
	al.mode = MODE_DEFAULT;
	cq = cq_on(p);
	REQUIRE(cq);
	memset(&ia, 0, sizeof(ia));
	ia.send_cq = cq;
	ia.recv_cq = cq;
	ia.qp_type = IBV_QPT_UD;
	ia.cap.max_send_wr = 4;
	ia.cap.max_recv_wr = 4;
	qp = ibv_create_qp(p, &ia);
	REQUIRE(qp);
	CHECK_RET(ibv_destroy_qp(qp), 0);
	al.mode = MODE_FAIL;
	CHECK_NULL(ibv_create_qp(p, &ia), ENOMEM);
	CHECK_NULL(cq_on(p), ENOMEM);
	CHECK_RET(ibv_destroy_cq(cq), 0);
	CHECK_EQ(al.frees[UROCE_RES_TYPE_SQ] + al.frees[UROCE_RES_TYPE_RQ] +
			 al.frees[UROCE_RES_TYPE_CQ],
		 0);
	CHECK_RET(ibv_dealloc_pd(p), 0);
}

int main(void)
{
	test_env();
	ctx = open_dev(TEST_DEV);
	pd = ibv_alloc_pd(ctx);
	REQUIRE(pd);

	check_attr_errors();
	check_traffic();
	check_default_and_failure();
	CHECK_EQ(al.bad_args, 0);

	CHECK_RET(ibv_dealloc_pd(pd), 0);
	CHECK_RET(ibv_close_device(ctx), 0);
	return check_report("verbs_parent_domain");
}
