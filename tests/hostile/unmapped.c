// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Registered memory the application no longer maps: nothing pins it, so
 * a remote READ, WRITE or atomic into a page that was unmapped, made
 * PROT_NONE, made read-only (for a write) or lies beyond the end of its
 * file must complete with IBV_WC_REM_ACCESS_ERR at the requester, the
 * target (this very process, on uroce_lo) must live on, and no byte
 * outside the pages the request named may change. Afterwards the same MR
 * still serves the pages that are mapped.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tests/verbs/rc_pair.h"

#define NPAGES 4

static struct ibv_context *ctx;
static struct ibv_pd *pd;
static struct rc_end c, s;
static long pg;
static uint8_t *lbuf;
static struct ibv_mr *lmr;

/* One request of @op on a fresh connection; its completion status. */
static enum ibv_wc_status one(enum ibv_wr_opcode op, uint64_t raddr,
			      uint32_t len, uint32_t rkey)
{
	rc_connect(ctx, &c, &s);
	REQUIRE(!rc_post(c.qp, op, lbuf, len, lmr->lkey, raddr, rkey));
	return rc_wait(c.cq).status;
}

/* Every request aimed at page 1 of @mem fails; pages 0 and 3 stay put. */
static void attack(const char *what, uint8_t *mem, struct ibv_mr *mr,
		   bool writable_left)
{
	uint64_t p1 = (uintptr_t)mem + pg, p0 = (uintptr_t)mem;
	static const struct {
		enum ibv_wr_opcode op;
		uint32_t len;
		uint64_t at; /* offset from page 1 */
	} req[] = {
		{ IBV_WR_RDMA_READ, 64, 0 },
		{ IBV_WR_RDMA_READ, 8192, 0 },
		{ IBV_WR_RDMA_WRITE, 64, 128 },
		{ IBV_WR_RDMA_WRITE, 3000, 0 },
		{ IBV_WR_ATOMIC_CMP_AND_SWP, 8, 8 },
		{ IBV_WR_ATOMIC_FETCH_AND_ADD, 8, 16 },
	};
	enum ibv_wc_status st;
	size_t i;

	for (i = 0; i < sizeof(req) / sizeof(req[0]); i++) {
		memset(lbuf, 0xee, 8192);
		st = one(req[i].op, p1 + req[i].at, req[i].len, mr->rkey);
		if (st != IBV_WC_REM_ACCESS_ERR) {
			fprintf(stderr, "%s: op %d of %u bytes: %s\n", what,
				req[i].op, req[i].len, ibv_wc_status_str(st));
			check_failures++;
		}
	}
	/* A READ across a mapped page into the bad one fails too. */
	CHECK_EQ(one(IBV_WR_RDMA_READ, p1 - 64, 128, mr->rkey),
		 IBV_WC_REM_ACCESS_ERR);
	/* The pages around are what they were, and still work. */
	for (i = 0; i < (size_t)pg; i++)
		if (mem[i] != 0x5a || mem[3 * pg + i] != 0xa5) {
			fprintf(stderr, "%s: byte %zu of a good page changed\n",
				what, i);
			check_failures++;
			break;
		}
	CHECK_EQ(one(IBV_WR_RDMA_READ, p0, 64, mr->rkey), IBV_WC_SUCCESS);
	CHECK(lbuf[0] == 0x5a && lbuf[63] == 0x5a);
	if (writable_left) {
		memset(lbuf, 0x5a, 64);
		CHECK_EQ(one(IBV_WR_RDMA_WRITE, p0, 64, mr->rkey),
			 IBV_WC_SUCCESS);
	}
}

static uint8_t *pages(void)
{
	uint8_t *m = mmap(NULL, NPAGES * pg, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	REQUIRE(m != MAP_FAILED);
	memset(m, 0x5a, 3 * pg);
	memset(m + 3 * pg, 0xa5, pg);
	return m;
}

static struct ibv_mr *reg(void *m)
{
	struct ibv_mr *mr = ibv_reg_mr(
		pd, m, NPAGES * pg,
		IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_READ |
			IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_ATOMIC);

	REQUIRE(mr);
	return mr;
}

int main(void)
{
	char path[] = "/tmp/uroce-unmapped-XXXXXX";
	struct ibv_mr *mr;
	uint8_t *m;
	int fd;

	test_env();
	pg = sysconf(_SC_PAGESIZE);
	ctx = open_dev(TEST_DEV);
	pd = ibv_alloc_pd(ctx);
	REQUIRE(pd);
	rc_end_init(&c, ctx, pd);
	rc_end_init(&s, ctx, pd);
	lbuf = calloc(1, 8192);
	REQUIRE(lbuf);
	lmr = ibv_reg_mr(pd, lbuf, 8192, IBV_ACCESS_LOCAL_WRITE);
	REQUIRE(lmr);

	/* Page 1 unmapped after registration. */
	m = pages();
	mr = reg(m);
	REQUIRE(!munmap(m + pg, pg));
	attack("munmap", m, mr, true);
	CHECK_RET(ibv_dereg_mr(mr), 0);
	munmap(m, NPAGES * pg);

	/* Page 1 PROT_NONE. */
	m = pages();
	mr = reg(m);
	REQUIRE(!mprotect(m + pg, pg, PROT_NONE));
	attack("PROT_NONE", m, mr, true);
	CHECK_RET(ibv_dereg_mr(mr), 0);
	munmap(m, NPAGES * pg);

	/* Pages 1 and 2 read-only: WRITEs and atomics fail, READs work. */
	m = pages();
	mr = reg(m);
	REQUIRE(!mprotect(m + pg, 2 * pg, PROT_READ));
	CHECK_EQ(one(IBV_WR_RDMA_WRITE, (uintptr_t)m + pg, 64, mr->rkey),
		 IBV_WC_REM_ACCESS_ERR);
	CHECK_EQ(one(IBV_WR_ATOMIC_FETCH_AND_ADD, (uintptr_t)m + pg, 8,
		     mr->rkey),
		 IBV_WC_REM_ACCESS_ERR);
	CHECK(m[pg] == 0x5a && m[pg + 64] == 0x5a);
	CHECK_EQ(one(IBV_WR_RDMA_READ, (uintptr_t)m + pg, 64, mr->rkey),
		 IBV_WC_SUCCESS);
	CHECK(lbuf[0] == 0x5a);
	CHECK_RET(ibv_dereg_mr(mr), 0);
	munmap(m, NPAGES * pg);

	/* A file mapping whose file shrank: SIGBUS beyond its end. */
	fd = mkstemp(path);
	REQUIRE(fd >= 0);
	unlink(path);
	REQUIRE(!ftruncate(fd, NPAGES * pg));
	m = mmap(NULL, NPAGES * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	REQUIRE(m != MAP_FAILED);
	memset(m, 0x5a, 3 * pg);
	memset(m + 3 * pg, 0xa5, pg);
	mr = reg(m);
	REQUIRE(!ftruncate(fd, pg));
	CHECK_EQ(one(IBV_WR_RDMA_READ, (uintptr_t)m + pg, 64, mr->rkey),
		 IBV_WC_REM_ACCESS_ERR);
	CHECK_EQ(one(IBV_WR_RDMA_WRITE, (uintptr_t)m + 2 * pg, 64, mr->rkey),
		 IBV_WC_REM_ACCESS_ERR);
	CHECK_EQ(one(IBV_WR_RDMA_READ, (uintptr_t)m, 64, mr->rkey),
		 IBV_WC_SUCCESS);
	CHECK_RET(ibv_dereg_mr(mr), 0);
	munmap(m, NPAGES * pg);
	close(fd);

	CHECK_RET(ibv_dereg_mr(lmr), 0);
	free(lbuf);
	rc_end_free(&c);
	rc_end_free(&s);
	CHECK_RET(ibv_dealloc_pd(pd), 0);
	CHECK_RET(ibv_close_device(ctx), 0);
	return check_report("unmapped");
}
