// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Protection domains and memory regions: ibv_alloc_pd, ibv_dealloc_pd,
 * ibv_reg_mr, ibv_reg_mr_iova2 and ibv_dereg_mr, their bad arguments, and
 * a PD that is still in use.
 */
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "tests/lib/verbs.h"

#define NMR 16

static long page;

/*
 * A check that registration failed with @err and left nothing behind. An
 * MR registered by mistake is deregistered so that the checks after it do
 * not fail for that reason too.
 */
#define CHECK_REG_FAILS(call, err)            \
	do {                                  \
		int __fds = count_fds();      \
		struct ibv_mr *__mr;          \
		errno = 0;                    \
		__mr = (call);                \
		CHECK(__mr == NULL);          \
		CHECK_EQ(errno, (err));       \
		if (__mr)                     \
			ibv_dereg_mr(__mr);   \
		CHECK_EQ(count_fds(), __fds); \
	} while (0)

static void check_pd(struct ibv_context *ctx)
{
	struct ibv_pd *pd, *pd2;

	CHECK_NULL(ibv_alloc_pd(NULL), EINVAL);
	CHECK_RET(ibv_dealloc_pd(NULL), EINVAL);

	pd = ibv_alloc_pd(ctx);
	REQUIRE(pd);
	CHECK(pd->context == ctx);
	pd2 = ibv_alloc_pd(ctx);
	REQUIRE(pd2);
	CHECK(pd2 != pd);
	CHECK(pd2->handle != pd->handle);
	CHECK_RET(ibv_dealloc_pd(pd2), 0);
	CHECK_RET(ibv_dealloc_pd(pd), 0);
}

/* The keys are distinct and do not follow each other at a fixed step. */
static void check_keys(struct ibv_mr **mrs, int n)
{
	bool same_step = true;
	int i, j;

	for (i = 0; i < n; i++) {
		CHECK(mrs[i]->lkey != 0);
		CHECK(mrs[i]->rkey != 0);
		for (j = 0; j < i; j++) {
			CHECK(mrs[i]->lkey != mrs[j]->lkey);
			CHECK(mrs[i]->rkey != mrs[j]->rkey);
		}
		if (i >= 2 && mrs[i]->rkey - mrs[i - 1]->rkey !=
				      mrs[1]->rkey - mrs[0]->rkey)
			same_step = false;
	}
	if (same_step)
		fprintf(stderr, "rkeys step by %u: predictable\n",
			mrs[1]->rkey - mrs[0]->rkey);
	CHECK(!same_step);
}

static void check_mr(struct ibv_context *ctx)
{
	const int rw = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
		       IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_ATOMIC;
	struct ibv_mr *mrs[NMR], *mr;
	struct ibv_pd *pd, *pd2;
	char *buf;
	int i;

	buf = malloc(NMR * 4096);
	REQUIRE(buf);
	pd = ibv_alloc_pd(ctx);
	REQUIRE(pd);

	for (i = 0; i < NMR; i++) {
		if (i % 2)
			mrs[i] = ibv_reg_mr(pd, buf + i * 4096, 4096, rw);
		else
			/* The IOVA keeps the address's page offset. */
			mrs[i] = ibv_reg_mr_iova2(pd, buf + i * 4096, 4096,
						  0x100000000ull * (i + 1) +
							  ((uintptr_t)buf &
							   (page - 1)),
						  IBV_ACCESS_LOCAL_WRITE);
		REQUIRE(mrs[i]);
		CHECK(mrs[i]->context == ctx);
		CHECK(mrs[i]->pd == pd);
		CHECK(mrs[i]->addr == buf + i * 4096);
		CHECK_EQ(mrs[i]->length, 4096);
	}
	check_keys(mrs, NMR);

	/* The same memory can be registered twice, with different keys. */
	mr = ibv_reg_mr(pd, buf, 4096, IBV_ACCESS_LOCAL_WRITE);
	REQUIRE(mr);
	CHECK(mr->lkey != mrs[0]->lkey && mr->rkey != mrs[0]->rkey);
	CHECK_RET(ibv_dereg_mr(mr), 0);

	/* A byte, and an odd range that spans pages. */
	mr = ibv_reg_mr(pd, buf + 1, 1, 0);
	REQUIRE(mr);
	CHECK_RET(ibv_dereg_mr(mr), 0);
	mr = ibv_reg_mr(pd, buf + 4095, 4097 + 13, IBV_ACCESS_LOCAL_WRITE);
	REQUIRE(mr);
	CHECK_RET(ibv_dereg_mr(mr), 0);

	/* Optional access bits are ignored when unsupported, as rdma-core. */
	mr = ibv_reg_mr(pd, buf, 4096,
			IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_RELAXED_ORDERING);
	CHECK(mr != NULL);
	if (mr)
		CHECK_RET(ibv_dereg_mr(mr), 0);

	/* Two PDs' MRs are independent. */
	pd2 = ibv_alloc_pd(ctx);
	REQUIRE(pd2);
	mr = ibv_reg_mr(pd2, buf, 4096, rw);
	REQUIRE(mr);
	CHECK(mr->pd == pd2);
	CHECK_RET(ibv_dealloc_pd(pd2), EBUSY);
	CHECK_RET(ibv_dereg_mr(mr), 0);
	CHECK_RET(ibv_dealloc_pd(pd2), 0);

	for (i = 0; i < NMR; i++)
		CHECK_RET(ibv_dereg_mr(mrs[i]), 0);
	CHECK_RET(ibv_dealloc_pd(pd), 0);
	free(buf);
}

static void check_mr_bad(struct ibv_context *ctx)
{
	struct ibv_pd *pd;
	char *buf, *map;

	buf = malloc(4096);
	REQUIRE(buf);
	pd = ibv_alloc_pd(ctx);
	REQUIRE(pd);

	CHECK_REG_FAILS(ibv_reg_mr(NULL, buf, 4096, 0), EINVAL);
	CHECK_REG_FAILS(ibv_reg_mr_iova2(NULL, buf, 4096, (uintptr_t)buf, 0),
			EINVAL);
	CHECK_RET(ibv_dereg_mr(NULL), EINVAL);

	/* Unknown access bits, outside the optional range. */
	CHECK_REG_FAILS(ibv_reg_mr(pd, buf, 4096, 1 << 12), EINVAL);
	CHECK_REG_FAILS(ibv_reg_mr(pd, buf, 4096,
				   IBV_ACCESS_LOCAL_WRITE | (1 << 15)),
			EINVAL);
	CHECK_REG_FAILS(ibv_reg_mr(pd, buf, 4096, 1 << 30), EINVAL);
	CHECK_REG_FAILS(ibv_reg_mr_iova2(pd, buf, 4096, (uintptr_t)buf,
					 1u << 31),
			EINVAL);

	/* Remote write or atomic needs local write (IBTA 10.6.3.1). */
	CHECK_REG_FAILS(ibv_reg_mr(pd, buf, 4096, IBV_ACCESS_REMOTE_WRITE),
			EINVAL);
	CHECK_REG_FAILS(ibv_reg_mr(pd, buf, 4096,
				   IBV_ACCESS_REMOTE_WRITE |
					   IBV_ACCESS_REMOTE_READ),
			EINVAL);
	CHECK_REG_FAILS(ibv_reg_mr(pd, buf, 4096, IBV_ACCESS_REMOTE_ATOMIC),
			EINVAL);
	CHECK_REG_FAILS(ibv_reg_mr_iova2(pd, buf, 4096, (uintptr_t)buf,
					 IBV_ACCESS_REMOTE_WRITE),
			EINVAL);

	/*
	 * An IOVA whose page offset is not the address's, as the kernel's
	 * ib_uverbs_reg_mr() refuses it.
	 */
	CHECK_REG_FAILS(
		ibv_reg_mr_iova2(pd, buf, 4096,
				 ((uintptr_t)buf & ~(page - 1)) +
					 (((uintptr_t)buf + 1) & (page - 1)),
				 IBV_ACCESS_LOCAL_WRITE),
		EINVAL);

	/* Empty, NULL or wrapping ranges. */
	CHECK_REG_FAILS(ibv_reg_mr(pd, buf, 0, IBV_ACCESS_LOCAL_WRITE), EINVAL);
	CHECK_REG_FAILS(ibv_reg_mr_iova2(pd, buf, 0, (uintptr_t)buf, 0),
			EINVAL);
	CHECK_REG_FAILS(ibv_reg_mr(pd, NULL, 4096, IBV_ACCESS_LOCAL_WRITE),
			EINVAL);
	CHECK_REG_FAILS(ibv_reg_mr(pd, buf, SIZE_MAX, IBV_ACCESS_LOCAL_WRITE),
			EINVAL);

	/* Memory that is not mapped, in whole or in part. */
	map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(map != MAP_FAILED);
	REQUIRE(munmap(map + page, page) == 0);
	CHECK_REG_FAILS(ibv_reg_mr(pd, map + page, page,
				   IBV_ACCESS_LOCAL_WRITE),
			EFAULT);
	CHECK_REG_FAILS(ibv_reg_mr(pd, map, 2 * page, IBV_ACCESS_LOCAL_WRITE),
			EFAULT);
	CHECK_REG_FAILS(ibv_reg_mr(pd, map + page - 8, 16, 0), EFAULT);
	REQUIRE(munmap(map, page) == 0);
	CHECK_REG_FAILS(ibv_reg_mr(pd, map, page, IBV_ACCESS_LOCAL_WRITE),
			EFAULT);
	CHECK_REG_FAILS(ibv_reg_mr_iova2(pd, map, page, 0x10000000, 0), EFAULT);

	/*
	 * Inaccessible memory fails, and read-only memory cannot be
	 * registered writable, as the kernel's ib_umem_get() decides.
	 */
	map = mmap(NULL, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(map != MAP_FAILED);
	CHECK_REG_FAILS(ibv_reg_mr(pd, map, page, 0), EFAULT);
	REQUIRE(mprotect(map, page, PROT_READ) == 0);
	CHECK_REG_FAILS(ibv_reg_mr(pd, map, page, IBV_ACCESS_LOCAL_WRITE),
			EFAULT);
	{
		struct ibv_mr *ro =
			ibv_reg_mr(pd, map, page, IBV_ACCESS_REMOTE_READ);

		CHECK(ro != NULL);
		if (ro)
			CHECK_RET(ibv_dereg_mr(ro), 0);
	}
	REQUIRE(munmap(map, page) == 0);

	/* Nothing was left behind: the PD is free to go, once. */
	CHECK_RET(ibv_dealloc_pd(pd), 0);
	free(buf);
}

/* A PD with an MR cannot go; the MR keeps working until deregistered. */
static void check_pd_busy(struct ibv_context *ctx)
{
	struct ibv_mr *mr, *mr2, saved;
	struct ibv_pd *pd;
	char *buf;

	buf = malloc(8192);
	REQUIRE(buf);
	pd = ibv_alloc_pd(ctx);
	REQUIRE(pd);
	mr = ibv_reg_mr(pd, buf, 8192,
			IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE);
	REQUIRE(mr);
	saved = *mr;

	CHECK_RET(ibv_dealloc_pd(pd), EBUSY);
	CHECK_RET(ibv_dealloc_pd(pd), EBUSY);
	CHECK(mr->pd == pd && mr->lkey == saved.lkey &&
	      mr->rkey == saved.rkey && mr->addr == saved.addr &&
	      mr->length == saved.length && mr->handle == saved.handle);

	/* The PD is still usable. */
	mr2 = ibv_reg_mr(pd, buf, 4096, IBV_ACCESS_LOCAL_WRITE);
	REQUIRE(mr2);
	CHECK(mr2->lkey != mr->lkey);
	CHECK_RET(ibv_dereg_mr(mr2), 0);
	CHECK_RET(ibv_dealloc_pd(pd), EBUSY);

	CHECK_RET(ibv_dereg_mr(mr), 0);
	CHECK_RET(ibv_dealloc_pd(pd), 0);
	free(buf);
}

/* uroce pins nothing: RLIMIT_MEMLOCK does not limit registration. */
static void check_memlock(struct ibv_context *ctx)
{
	struct rlimit old, rl;
	struct ibv_mr *mr;
	struct ibv_pd *pd;
	size_t len = 64 << 20;
	char *buf;

	REQUIRE(getrlimit(RLIMIT_MEMLOCK, &old) == 0);
	rl = old;
	rl.rlim_cur = 0;
	REQUIRE(setrlimit(RLIMIT_MEMLOCK, &rl) == 0);

	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(buf != MAP_FAILED);
	pd = ibv_alloc_pd(ctx);
	REQUIRE(pd);
	mr = ibv_reg_mr(pd, buf, len,
			IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_READ);
	CHECK(mr != NULL);
	if (mr)
		CHECK_RET(ibv_dereg_mr(mr), 0);
	CHECK_RET(ibv_dealloc_pd(pd), 0);
	munmap(buf, len);
	REQUIRE(setrlimit(RLIMIT_MEMLOCK, &old) == 0);
}

int main(void)
{
	struct ibv_device_attr attr;
	struct ibv_context *ctx;
	int fds;

	test_env();
	page = sysconf(_SC_PAGESIZE);
	fds = count_fds();
	ctx = open_dev(TEST_DEV);

	check_pd(ctx);
	check_mr(ctx);
	check_mr_bad(ctx);
	check_pd_busy(ctx);
	check_memlock(ctx);

	/* The context is unharmed. */
	CHECK_RET(ibv_query_device(ctx, &attr), 0);
	CHECK_RET(ibv_close_device(ctx), 0);
	CHECK_EQ(count_fds(), fds);
	return check_report("verbs_pd_mr");
}
