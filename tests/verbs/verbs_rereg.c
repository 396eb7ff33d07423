// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ibv_rereg_mr: each flag changes what remote peers reach through the
 * same keys, the ibv_mr fields follow, and each wrong input gets the
 * return value and errno of ibv_rereg_mr(3) with the MR left working as
 * it was.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "rc_pair.h"

static struct ibv_context *ctx;
static struct ibv_pd *pd;
static struct rc_end c, s;
static char lbuf[4096];
static struct ibv_mr *lmr;

/* A remote WRITE of 64 bytes of 'v' to @raddr of @rkey, reconnecting. */
static enum ibv_wc_status write64(uint64_t raddr, uint32_t rkey, char v)
{
	memset(lbuf, v, 64);
	rc_connect(ctx, &c, &s);
	CHECK_RET(rc_post(c.qp, IBV_WR_RDMA_WRITE, lbuf, 64, lmr->lkey, raddr,
			  rkey),
		  0);
	return rc_wait(c.cq).status;
}

/* ibv_rereg_mr returns @ret with errno @err. */
#define CHECK_REREG(call, ret, err)      \
	do {                             \
		errno = 0;               \
		CHECK_EQ((call), (ret)); \
		CHECK_EQ(errno, (err));  \
	} while (0)

static void check_access(void)
{
	static char a[4096];
	struct ibv_mr *mr;
	uint32_t key;

	mr = ibv_reg_mr(pd, a, sizeof(a), IBV_ACCESS_LOCAL_WRITE);
	REQUIRE(mr);
	key = mr->rkey;
	CHECK_EQ(write64((uintptr_t)a, mr->rkey, 1), IBV_WC_REM_ACCESS_ERR);
	CHECK_RET(ibv_rereg_mr(mr, IBV_REREG_MR_CHANGE_ACCESS, NULL, NULL, 0,
			       IBV_ACCESS_LOCAL_WRITE |
				       IBV_ACCESS_REMOTE_WRITE),
		  0);
	CHECK_EQ(mr->rkey, key);
	CHECK_EQ(write64((uintptr_t)a, mr->rkey, 2), IBV_WC_SUCCESS);
	CHECK_EQ(a[0], 2);

	/* Refused: the MR keeps its access. */
	CHECK_REREG(ibv_rereg_mr(mr, IBV_REREG_MR_CHANGE_ACCESS, NULL, NULL, 0,
				 IBV_ACCESS_REMOTE_WRITE),
		    IBV_REREG_MR_ERR_CMD, EINVAL);
	CHECK_REREG(ibv_rereg_mr(mr, IBV_REREG_MR_CHANGE_PD, pd, NULL, 0,
				 IBV_ACCESS_LOCAL_WRITE),
		    IBV_REREG_MR_ERR_INPUT, EINVAL);
	CHECK_REREG(ibv_rereg_mr(mr, 1 << 3, NULL, NULL, 0, 0),
		    IBV_REREG_MR_ERR_INPUT, EINVAL);
	CHECK_EQ(write64((uintptr_t)a, mr->rkey, 3), IBV_WC_SUCCESS);
	CHECK_EQ(a[0], 3);

	/* Taken away again: remote writes fail. */
	CHECK_RET(ibv_rereg_mr(mr, IBV_REREG_MR_CHANGE_ACCESS, NULL, NULL, 0,
			       IBV_ACCESS_LOCAL_WRITE),
		  0);
	CHECK_EQ(write64((uintptr_t)a, mr->rkey, 4), IBV_WC_REM_ACCESS_ERR);
	CHECK_EQ(a[0], 3);
	CHECK_RET(ibv_dereg_mr(mr), 0);
}

static void check_translation(void)
{
	const int access = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE;
	long page = sysconf(_SC_PAGESIZE);
	static char a[4096], b[8192];
	struct ibv_mr *mr;
	void *hole;

	mr = ibv_reg_mr(pd, a, sizeof(a), access);
	REQUIRE(mr);
	CHECK_RET(ibv_rereg_mr(mr, IBV_REREG_MR_CHANGE_TRANSLATION, NULL, b,
			       sizeof(b), 0),
		  0);
	CHECK(mr->addr == b);
	CHECK_EQ(mr->length, sizeof(b));
	CHECK_EQ(write64((uintptr_t)b + 8000, mr->rkey, 5), IBV_WC_SUCCESS);
	CHECK_EQ(b[8000], 5);
	/* The old range is no longer the MR's (unless it overlaps b). */
	if ((uintptr_t)a + sizeof(a) <= (uintptr_t)b ||
	    (uintptr_t)a >= (uintptr_t)b + sizeof(b))
		CHECK_EQ(write64((uintptr_t)a, mr->rkey, 6),
			 IBV_WC_REM_ACCESS_ERR);

	/* Refused: unmapped memory, no address; the MR stays on b. */
	hole = mmap(NULL, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(hole != MAP_FAILED);
	CHECK_REREG(ibv_rereg_mr(mr, IBV_REREG_MR_CHANGE_TRANSLATION, NULL,
				 hole, page, 0),
		    IBV_REREG_MR_ERR_CMD, EFAULT);
	CHECK_REREG(ibv_rereg_mr(mr, IBV_REREG_MR_CHANGE_TRANSLATION, NULL,
				 NULL, page, 0),
		    IBV_REREG_MR_ERR_INPUT, EINVAL);
	CHECK(mr->addr == b);
	CHECK_EQ(write64((uintptr_t)b, mr->rkey, 7), IBV_WC_SUCCESS);
	CHECK_EQ(b[0], 7);

	/* All three at once. */
	CHECK_RET(ibv_rereg_mr(mr,
			       IBV_REREG_MR_CHANGE_TRANSLATION |
				       IBV_REREG_MR_CHANGE_PD |
				       IBV_REREG_MR_CHANGE_ACCESS,
			       pd, a, sizeof(a), IBV_ACCESS_LOCAL_WRITE),
		  0);
	CHECK_EQ(write64((uintptr_t)a, mr->rkey, 8), IBV_WC_REM_ACCESS_ERR);
	munmap(hole, page);
	CHECK_RET(ibv_dereg_mr(mr), 0);
}

static void check_pd(void)
{
	struct ibv_context *other;
	struct ibv_pd *pd2, *opd;
	static char a[4096];
	struct ibv_mr *mr;

	pd2 = ibv_alloc_pd(ctx);
	REQUIRE(pd2);
	mr = ibv_reg_mr(pd, a, sizeof(a),
			IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE);
	REQUIRE(mr);
	CHECK_RET(ibv_rereg_mr(mr, IBV_REREG_MR_CHANGE_PD, pd2, NULL, 0, 0), 0);
	CHECK(mr->pd == pd2);
	/* The QPs are on pd: the MR is out of their reach, pd2 is in use. */
	CHECK_EQ(write64((uintptr_t)a, mr->rkey, 9), IBV_WC_REM_ACCESS_ERR);
	CHECK_RET(ibv_dealloc_pd(pd2), EBUSY);

	/* A PD of another context is refused. */
	other = open_dev(TEST_DEV);
	opd = ibv_alloc_pd(other);
	REQUIRE(opd);
	CHECK_REREG(ibv_rereg_mr(mr, IBV_REREG_MR_CHANGE_PD, opd, NULL, 0, 0),
		    IBV_REREG_MR_ERR_CMD, EINVAL);
	CHECK(mr->pd == pd2);
	CHECK_RET(ibv_dealloc_pd(opd), 0);
	CHECK_RET(ibv_close_device(other), 0);

	CHECK_RET(ibv_rereg_mr(mr, IBV_REREG_MR_CHANGE_PD, pd, NULL, 0, 0), 0);
	CHECK_EQ(write64((uintptr_t)a, mr->rkey, 10), IBV_WC_SUCCESS);
	CHECK_EQ(a[0], 10);
	CHECK_RET(ibv_dealloc_pd(pd2), 0);
	CHECK_RET(ibv_dereg_mr(mr), 0);
}

int main(void)
{
	test_env();
	ctx = open_dev(TEST_DEV);
	pd = ibv_alloc_pd(ctx);
	REQUIRE(pd);
	lmr = ibv_reg_mr(pd, lbuf, sizeof(lbuf), IBV_ACCESS_LOCAL_WRITE);
	REQUIRE(lmr);
	rc_end_init(&c, ctx, pd);
	rc_end_init(&s, ctx, pd);

	check_access();
	check_translation();
	check_pd();

	rc_end_free(&c);
	rc_end_free(&s);
	CHECK_RET(ibv_dereg_mr(lmr), 0);
	CHECK_RET(ibv_dealloc_pd(pd), 0);
	CHECK_RET(ibv_close_device(ctx), 0);
	return check_report("verbs_rereg");
}
