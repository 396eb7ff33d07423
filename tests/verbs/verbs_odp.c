// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * On-demand paging: uroce pins nothing, so every MR is on demand. The
 * device reports it; IBV_ACCESS_ON_DEMAND and implicit ODP register;
 * ibv_advise_mr checks its ranges as rxe does; and memory unmapped (or
 * made read-only) under an ODP MR fails the access that touches it, at
 * either end, with the IBTA's statuses, while the process carries on.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "rc_pair.h"

static struct ibv_context *ctx;
static struct ibv_pd *pd;
static long page;

static void check_caps(void)
{
	struct ibv_device_attr_ex a;
	const uint32_t rc = IBV_ODP_SUPPORT_SEND | IBV_ODP_SUPPORT_RECV |
			    IBV_ODP_SUPPORT_WRITE | IBV_ODP_SUPPORT_READ |
			    IBV_ODP_SUPPORT_ATOMIC | IBV_ODP_SUPPORT_SRQ_RECV;

	REQUIRE(!ibv_query_device_ex(ctx, NULL, &a));
	CHECK_EQ(a.odp_caps.general_caps,
		 IBV_ODP_SUPPORT | IBV_ODP_SUPPORT_IMPLICIT);
	CHECK_EQ(a.odp_caps.per_transport_caps.rc_odp_caps, rc);
	CHECK_EQ(a.odp_caps.per_transport_caps.ud_odp_caps,
		 IBV_ODP_SUPPORT_SEND | IBV_ODP_SUPPORT_RECV);
	CHECK_EQ(a.xrc_odp_caps, 0);
}

static void check_reg(void)
{
	const int odp = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_ON_DEMAND;
	struct ibv_mr *mr;
	void *p;

	/*
	 * An ODP range need not be accessible yet; an ordinary one must. The
	 * range stays reserved (PROT_NONE, which the kernel refuses to pin as
	 * it does a hole): an unmapped one could be taken by another thread's
	 * mapping (the sanitizer's allocator) before the registration.
	 */
	p = mmap(NULL, 4 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(p != MAP_FAILED);
	mr = ibv_reg_mr(pd, p, 4 * page, odp);
	CHECK(mr);
	if (mr)
		CHECK_RET(ibv_dereg_mr(mr), 0);
	CHECK_NULL(ibv_reg_mr(pd, p, 4 * page, IBV_ACCESS_LOCAL_WRITE), EFAULT);
	REQUIRE(!munmap(p, 4 * page));

	/* Implicit ODP: the whole address space, only with ON_DEMAND. */
	mr = ibv_reg_mr(pd, NULL, SIZE_MAX, odp | IBV_ACCESS_REMOTE_WRITE);
	CHECK(mr);
	if (mr)
		CHECK_RET(ibv_dereg_mr(mr), 0);
	CHECK_NULL(ibv_reg_mr(pd, NULL, SIZE_MAX, IBV_ACCESS_LOCAL_WRITE),
		   EINVAL);
	CHECK_NULL(ibv_reg_mr_iova(pd, NULL, SIZE_MAX, 4096, odp), EINVAL);
}

static void check_advise(void)
{
	static char buf[8192];
	struct ibv_mr *odp, *plain;
	struct ibv_sge sge;

	odp = ibv_reg_mr(pd, buf, sizeof(buf),
			 IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_ON_DEMAND);
	plain = ibv_reg_mr(pd, buf, sizeof(buf), IBV_ACCESS_LOCAL_WRITE);
	REQUIRE(odp && plain);
	sge = (struct ibv_sge){ (uintptr_t)buf, sizeof(buf), odp->lkey };
	CHECK_RET(ibv_advise_mr(pd, IBV_ADVISE_MR_ADVICE_PREFETCH, 0, &sge, 1),
		  0);
	CHECK_RET(ibv_advise_mr(pd, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE,
				IBV_ADVISE_MR_FLAG_FLUSH, &sge, 1),
		  0);
	CHECK_RET(ibv_advise_mr(pd, IBV_ADVISE_MR_ADVICE_PREFETCH_NO_FAULT, 0,
				&sge, 1),
		  0);
	CHECK_RET(ibv_advise_mr(pd, 7, 0, &sge, 1), EOPNOTSUPP);
	CHECK_RET(ibv_advise_mr(pd, IBV_ADVISE_MR_ADVICE_PREFETCH, 2, &sge, 1),
		  EOPNOTSUPP);
	CHECK_RET(ibv_advise_mr(pd, IBV_ADVISE_MR_ADVICE_PREFETCH, 0, &sge, 0),
		  EINVAL);
	sge.length = sizeof(buf) + 1; /* beyond the MR */
	CHECK_RET(ibv_advise_mr(pd, IBV_ADVISE_MR_ADVICE_PREFETCH, 0, &sge, 1),
		  EINVAL);
	sge = (struct ibv_sge){ (uintptr_t)buf, sizeof(buf), plain->lkey };
	CHECK_RET(ibv_advise_mr(pd, IBV_ADVISE_MR_ADVICE_PREFETCH, 0, &sge, 1),
		  EINVAL);
	CHECK_RET(ibv_dereg_mr(odp), 0);
	CHECK_RET(ibv_dereg_mr(plain), 0);
}

/*
 * WRITE, READ and an atomic through an implicit ODP MR on the target, and
 * the data checked: any address of the process is reachable through it.
 */
static void check_implicit(struct rc_end *c, struct rc_end *s)
{
	static uint64_t src[512], dst[512];
	struct ibv_mr *lmr, *imr;
	size_t i;

	/* The local side ODP too: its packets are copied fault-safely. */
	lmr = ibv_reg_mr(pd, src, sizeof(src),
			 IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_ON_DEMAND);
	imr = ibv_reg_mr(pd, NULL, SIZE_MAX,
			 IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_ON_DEMAND |
				 IBV_ACCESS_REMOTE_WRITE |
				 IBV_ACCESS_REMOTE_READ |
				 IBV_ACCESS_REMOTE_ATOMIC);
	REQUIRE(lmr && imr);
	for (i = 0; i < 512; i++)
		src[i] = i * 0x0101010101010101ull;
	rc_connect(ctx, c, s);
	CHECK_RET(rc_post(c->qp, IBV_WR_RDMA_WRITE, src, sizeof(src), lmr->lkey,
			  (uintptr_t)dst, imr->rkey),
		  0);
	CHECK_EQ(rc_wait(c->cq).status, IBV_WC_SUCCESS);
	CHECK(!memcmp(src, dst, sizeof(src)));
	memset(src, 0, sizeof(src));
	CHECK_RET(rc_post(c->qp, IBV_WR_RDMA_READ, src, sizeof(src), lmr->lkey,
			  (uintptr_t)dst, imr->rkey),
		  0);
	CHECK_EQ(rc_wait(c->cq).status, IBV_WC_SUCCESS);
	CHECK(!memcmp(src, dst, sizeof(src)));
	CHECK_RET(rc_post(c->qp, IBV_WR_ATOMIC_FETCH_AND_ADD, src, 8, lmr->lkey,
			  (uintptr_t)&dst[3], imr->rkey),
		  0);
	CHECK_EQ(rc_wait(c->cq).status, IBV_WC_SUCCESS);
	CHECK_EQ(src[0], 3 * 0x0101010101010101ull);
	CHECK_EQ(dst[3], 3 * 0x0101010101010101ull + 1);
	CHECK_RET(ibv_dereg_mr(imr), 0);
	CHECK_RET(ibv_dereg_mr(lmr), 0);
}

/* One remote operation on @raddr of @rkey, on a fresh connection. */
static enum ibv_wc_status remote_op(struct rc_end *c, struct rc_end *s,
				    enum ibv_wr_opcode op, void *lbuf,
				    uint32_t len, uint32_t lkey, uint64_t raddr,
				    uint32_t rkey)
{
	rc_connect(ctx, c, s);
	CHECK_RET(rc_post(c->qp, op, lbuf, len, lkey, raddr, rkey), 0);
	return rc_wait(c->cq).status;
}

/*
 * The target's ODP MR covers 4 pages: the first mapped, the second
 * unmapped after registration, the third made read-only. Accesses that
 * touch the missing or read-only pages fail; the process survives and
 * the mapped page still serves.
 */
static void check_unmapped(struct rc_end *c, struct rc_end *s)
{
	const int access = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_ON_DEMAND |
			   IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ |
			   IBV_ACCESS_REMOTE_ATOMIC;
	static char lbuf[16384];
	struct ibv_mr *lmr, *rmr;
	uint64_t base;
	uint8_t *r;

	r = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(r != MAP_FAILED);
	memset(r, 0x5a, 4 * page);
	lmr = ibv_reg_mr(pd, lbuf, sizeof(lbuf), access);
	rmr = ibv_reg_mr(pd, r, 4 * page, access);
	REQUIRE(lmr && rmr);
	REQUIRE(!munmap(r + page, page));
	REQUIRE(!mprotect(r + 2 * page, page, PROT_READ));
	base = (uintptr_t)r;

	/* The mapped page works. */
	memset(lbuf, 0x11, 64);
	CHECK_EQ(remote_op(c, s, IBV_WR_RDMA_WRITE, lbuf, 64, lmr->lkey, base,
			   rmr->rkey),
		 IBV_WC_SUCCESS);
	CHECK_EQ(r[63], 0x11);

	CHECK_EQ(remote_op(c, s, IBV_WR_RDMA_WRITE, lbuf, 64, lmr->lkey,
			   base + page, rmr->rkey),
		 IBV_WC_REM_ACCESS_ERR);
	CHECK_EQ(remote_op(c, s, IBV_WR_RDMA_WRITE, lbuf, 64, lmr->lkey,
			   base + 2 * page, rmr->rkey),
		 IBV_WC_REM_ACCESS_ERR);
	CHECK_EQ(r[2 * page], 0x5a);
	/* A READ across the hole: its first packets leave, then the NAK. */
	CHECK_EQ(remote_op(c, s, IBV_WR_RDMA_READ, lbuf, 2 * page, lmr->lkey,
			   base, rmr->rkey),
		 IBV_WC_REM_ACCESS_ERR);
	CHECK_EQ(remote_op(c, s, IBV_WR_RDMA_READ, lbuf, 64, lmr->lkey,
			   base + page + 8, rmr->rkey),
		 IBV_WC_REM_ACCESS_ERR);
	CHECK_EQ(remote_op(c, s, IBV_WR_ATOMIC_FETCH_AND_ADD, lbuf, 8,
			   lmr->lkey, base + page, rmr->rkey),
		 IBV_WC_REM_ACCESS_ERR);

	/* A receive buffer in the hole: the SEND fails at both ends. */
	rc_connect(ctx, c, s);
	CHECK_RET(rc_post_recv(s->qp, r + page, 64, rmr->lkey), 0);
	CHECK_RET(rc_post(c->qp, IBV_WR_SEND, lbuf, 64, lmr->lkey, 0, 0), 0);
	CHECK_EQ(rc_wait(c->cq).status, IBV_WC_REM_OP_ERR);
	CHECK_EQ(rc_wait(s->cq).status, IBV_WC_LOC_PROT_ERR);

	/* A local ODP buffer that is gone: as source, as READ target. */
	CHECK_EQ(remote_op(c, s, IBV_WR_RDMA_WRITE, r + page, 64, rmr->lkey,
			   base, rmr->rkey),
		 IBV_WC_LOC_PROT_ERR);
	CHECK_EQ(remote_op(c, s, IBV_WR_SEND, r + page, 64, rmr->lkey, 0, 0),
		 IBV_WC_LOC_PROT_ERR);
	CHECK_EQ(remote_op(c, s, IBV_WR_RDMA_READ, r + page, 64, rmr->lkey,
			   base, rmr->rkey),
		 IBV_WC_LOC_PROT_ERR);

	/* Still alive, and the mapped page still serves. */
	CHECK_EQ(remote_op(c, s, IBV_WR_RDMA_READ, lbuf, 64, lmr->lkey, base,
			   rmr->rkey),
		 IBV_WC_SUCCESS);
	CHECK_EQ(lbuf[0], 0x11);
	CHECK_RET(ibv_dereg_mr(rmr), 0);
	CHECK_RET(ibv_dereg_mr(lmr), 0);
	munmap(r, page);
	munmap(r + 2 * page, 2 * page);
}

int main(void)
{
	struct rc_end c, s;

	test_env();
	page = sysconf(_SC_PAGESIZE);
	ctx = open_dev(TEST_DEV);
	pd = ibv_alloc_pd(ctx);
	REQUIRE(pd);

	check_caps();
	check_reg();
	check_advise();
	rc_end_init(&c, ctx, pd);
	rc_end_init(&s, ctx, pd);
	check_implicit(&c, &s);
	check_unmapped(&c, &s);
	rc_end_free(&c);
	rc_end_free(&s);

	CHECK_RET(ibv_dealloc_pd(pd), 0);
	CHECK_RET(ibv_close_device(ctx), 0);
	return check_report("verbs_odp");
}
