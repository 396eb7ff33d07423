// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Memory windows on uroce_lo, between RC QPs of one process: A (the
 * requester) and B (the target, which owns the windows), C and D another
 * pair in the same PD.
 *
 * - caps, ibv_alloc_mw / ibv_dealloc_mw and their errors;
 * - type 1 (ibv_bind_mw) and type 2 (IBV_WR_BIND_MW, ibv_wr_bind_mw):
 *   WRITE, READ and atomics through a window, every byte checked;
 * - bounds, access and QP violations end in IBV_WC_REM_ACCESS_ERR with the
 *   target memory untouched; bind errors in IBV_WC_MW_BIND_ERR;
 * - a rebind changes the key byte and the old rkey fails;
 * - LOCAL_INV and SEND with Invalidate (one and several packets), the
 *   receiver's IBV_WC_WITH_INV and invalidated rkey, then access fails;
 * - an MR with a bound window cannot be deregistered;
 * - a window deallocated under a stream of WRITEs: nothing lands after
 *   ibv_dealloc_mw returned.
 */
#include <pthread.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

#include "tests/lib/clock.h"
#include "tests/lib/qp.h"
#include "tests/lib/verbs.h"

#define TBUF (64 * 1024)
#define WAIT_SEC 20

static struct ibv_context *ctx;
static struct ibv_pd *pd;
static union ibv_gid gid0;
static uint8_t *lbuf, *tbuf, *nbuf;
static struct ibv_mr *lmr, *tmr, *nomw_mr, *ro_mr;

struct end {
	struct ibv_qp *qp;
	struct ibv_cq *cq;
	struct ibv_qp_ex *x; /* A and B are extended QPs */
};

static struct end a, b, c, d;

static void make_end(struct end *e, bool ext)
{
	struct ibv_qp_init_attr_ex ia;

	e->cq = ibv_create_cq(ctx, 256, NULL, NULL, 0);
	REQUIRE(e->cq);
	memset(&ia, 0, sizeof(ia));
	ia.send_cq = e->cq;
	ia.recv_cq = e->cq;
	ia.qp_type = IBV_QPT_RC;
	ia.cap.max_send_wr = 64;
	ia.cap.max_recv_wr = 64;
	ia.cap.max_send_sge = 1;
	ia.cap.max_recv_sge = 1;
	ia.comp_mask = IBV_QP_INIT_ATTR_PD;
	ia.pd = pd;
	if (ext) {
		ia.comp_mask |= IBV_QP_INIT_ATTR_SEND_OPS_FLAGS;
		ia.send_ops_flags =
			IBV_QP_EX_WITH_SEND | IBV_QP_EX_WITH_RDMA_WRITE |
			IBV_QP_EX_WITH_BIND_MW | IBV_QP_EX_WITH_LOCAL_INV |
			IBV_QP_EX_WITH_SEND_WITH_INV;
	}
	e->qp = ibv_create_qp_ex(ctx, &ia);
	REQUIRE(e->qp);
	e->x = ext ? ibv_qp_to_qp_ex(e->qp) : NULL;
	REQUIRE(!ext || e->x);
}

static void free_end(struct end *e)
{
	CHECK_RET(ibv_destroy_qp(e->qp), 0);
	CHECK_RET(ibv_destroy_cq(e->cq), 0);
}

/* RESET, then RTS towards @peer; a QP in error is usable again after. */
static void connect_qp(struct end *e, const struct end *peer)
{
	static const struct test_conn conn = {
		TEST_CONN_ALL_ACCESS, .rd_atomic = 4, .timeout = 14,
		.retry_cnt = 7,	      .rnr_retry = 7,
	};

	test_qp_reset(e->qp);
	test_qp_connect(e->qp, &conn, &gid0, peer->qp->qp_num, 0, 0);
}

static void drain(struct ibv_cq *cq)
{
	struct ibv_wc wc;

	while (ibv_poll_cq(cq, 1, &wc) > 0)
		;
}

/* After an error: both QPs of the pair back to RTS, CQs empty. */
static void reconnect(struct end *x, struct end *y)
{
	drain(x->cq);
	drain(y->cq);
	connect_qp(x, y);
	connect_qp(y, x);
}

static struct ibv_wc wait_wc(struct ibv_cq *cq)
{
	double end = now_s() + test_secs(WAIT_SEC);
	struct ibv_wc wc;
	int r;

	while ((r = ibv_poll_cq(cq, 1, &wc)) == 0)
		REQUIRE(now_s() < end);
	REQUIRE(r == 1);
	return wc;
}

static enum ibv_wc_status one_status(struct ibv_cq *cq)
{
	return wait_wc(cq).status;
}

/* An RDMA WRITE or READ of @len bytes at lbuf + @loff. */
static int rdma(struct end *e, enum ibv_wr_opcode op, size_t loff, uint32_t len,
		uint64_t raddr, uint32_t rkey)
{
	struct ibv_sge sge = { (uintptr_t)lbuf + loff, len, lmr->lkey };
	struct ibv_send_wr wr, *bad;

	memset(&wr, 0, sizeof(wr));
	wr.opcode = op;
	wr.sg_list = &sge;
	wr.num_sge = 1;
	wr.send_flags = IBV_SEND_SIGNALED;
	wr.wr.rdma.remote_addr = raddr;
	wr.wr.rdma.rkey = rkey;
	return ibv_post_send(e->qp, &wr, &bad);
}

static enum ibv_wc_status rdma_wait(struct end *e, enum ibv_wr_opcode op,
				    size_t loff, uint32_t len, uint64_t raddr,
				    uint32_t rkey)
{
	REQUIRE(!rdma(e, op, loff, len, raddr, rkey));
	return one_status(e->cq);
}

static enum ibv_wc_status fetch_add(struct end *e, uint64_t raddr,
				    uint32_t rkey, uint64_t add)
{
	struct ibv_sge sge = { (uintptr_t)lbuf, 8, lmr->lkey };
	struct ibv_send_wr wr, *bad;

	memset(&wr, 0, sizeof(wr));
	wr.opcode = IBV_WR_ATOMIC_FETCH_AND_ADD;
	wr.sg_list = &sge;
	wr.num_sge = 1;
	wr.send_flags = IBV_SEND_SIGNALED;
	wr.wr.atomic.remote_addr = raddr;
	wr.wr.atomic.rkey = rkey;
	wr.wr.atomic.compare_add = add;
	REQUIRE(!ibv_post_send(e->qp, &wr, &bad));
	return one_status(e->cq);
}

/* A type 2 bind posted on @e; returns the completion. */
static struct ibv_wc bind2(struct end *e, struct ibv_mw *mw, uint32_t rkey,
			   struct ibv_mr *mr, uint64_t addr, uint64_t len,
			   unsigned int access)
{
	struct ibv_send_wr wr, *bad;

	memset(&wr, 0, sizeof(wr));
	wr.wr_id = 0xb1d;
	wr.opcode = IBV_WR_BIND_MW;
	wr.send_flags = IBV_SEND_SIGNALED;
	wr.bind_mw.mw = mw;
	wr.bind_mw.rkey = rkey;
	wr.bind_mw.bind_info.mr = mr;
	wr.bind_mw.bind_info.addr = addr;
	wr.bind_mw.bind_info.length = len;
	wr.bind_mw.bind_info.mw_access_flags = access;
	REQUIRE(!ibv_post_send(e->qp, &wr, &bad));
	return wait_wc(e->cq);
}

/* A type 1 bind with ibv_bind_mw on @e; 0 or its errno, @wc on 0. */
static int bind1(struct end *e, struct ibv_mw *mw, struct ibv_mr *mr,
		 uint64_t addr, uint64_t len, unsigned int access,
		 struct ibv_wc *wc)
{
	struct ibv_mw_bind mb;
	int ret;

	memset(&mb, 0, sizeof(mb));
	mb.wr_id = 0xb1;
	mb.send_flags = IBV_SEND_SIGNALED;
	mb.bind_info.mr = mr;
	mb.bind_info.addr = addr;
	mb.bind_info.length = len;
	mb.bind_info.mw_access_flags = access;
	ret = ibv_bind_mw(e->qp, mw, &mb);
	if (!ret)
		*wc = wait_wc(e->cq);
	return ret;
}

static enum ibv_wc_status local_inv(struct end *e, uint32_t rkey)
{
	struct ibv_send_wr wr, *bad;

	memset(&wr, 0, sizeof(wr));
	wr.opcode = IBV_WR_LOCAL_INV;
	wr.send_flags = IBV_SEND_SIGNALED;
	wr.invalidate_rkey = rkey;
	REQUIRE(!ibv_post_send(e->qp, &wr, &bad));
	return one_status(e->cq);
}

static uint64_t taddr(size_t off)
{
	return (uintptr_t)tbuf + off;
}

/* Bytes [off, off + len) of the target are all @v. */
static bool target_is(size_t off, size_t len, uint8_t v)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (tbuf[off + i] != v)
			return false;
	return true;
}

static void check_caps(void)
{
	struct ibv_device_attr attr;

	REQUIRE(!ibv_query_device(ctx, &attr));
	CHECK(attr.max_mw > 0);
	CHECK(attr.device_cap_flags & IBV_DEVICE_MEM_WINDOW);
	CHECK(attr.device_cap_flags & IBV_DEVICE_MEM_WINDOW_TYPE_2B);
}

static void check_alloc(void)
{
	struct ibv_pd *pd2 = ibv_alloc_pd(ctx);
	struct ibv_mw *m1, *m2, *m3;

	REQUIRE(pd2);
	CHECK_NULL(ibv_alloc_mw(pd, (enum ibv_mw_type)3), EINVAL);
	m1 = ibv_alloc_mw(pd, IBV_MW_TYPE_1);
	m2 = ibv_alloc_mw(pd, IBV_MW_TYPE_2);
	REQUIRE(m1 && m2);
	CHECK(m1->pd == pd && m1->context == ctx && m1->type == IBV_MW_TYPE_1);
	CHECK(m2->type == IBV_MW_TYPE_2);
	CHECK(m1->rkey && m2->rkey && m1->rkey != m2->rkey);
	CHECK(m1->rkey >> 8 != m2->rkey >> 8);
	CHECK(m1->rkey != tmr->rkey && m1->rkey != lmr->rkey);
	CHECK(m1->handle != m2->handle);
	CHECK_RET(ibv_dealloc_mw(m1), 0);
	CHECK_RET(ibv_dealloc_mw(m2), 0);
	/* A PD with a window is in use. */
	m3 = ibv_alloc_mw(pd2, IBV_MW_TYPE_2);
	REQUIRE(m3);
	CHECK_RET(ibv_dealloc_pd(pd2), EBUSY);
	CHECK_RET(ibv_dealloc_mw(m3), 0);
	CHECK_RET(ibv_dealloc_pd(pd2), 0);
}

static void check_type1(void)
{
	unsigned int rw = IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ |
			  IBV_ACCESS_REMOTE_ATOMIC;
	uint32_t old, first;
	struct ibv_mw *mw;
	struct ibv_wc wc;
	int i;

	mw = ibv_alloc_mw(pd, IBV_MW_TYPE_1);
	REQUIRE(mw);
	/* Unbound: nothing goes through it. */
	memset(tbuf, 0x55, TBUF);
	CHECK_EQ(rdma_wait(&a, IBV_WR_RDMA_WRITE, 0, 8, taddr(4096), mw->rkey),
		 IBV_WC_REM_ACCESS_ERR);
	reconnect(&a, &b);

	old = mw->rkey;
	CHECK_RET(bind1(&b, mw, tmr, taddr(4096), 8192, rw, &wc), 0);
	CHECK(wc.status == IBV_WC_SUCCESS && wc.opcode == IBV_WC_BIND_MW &&
	      wc.wr_id == 0xb1);
	CHECK(mw->rkey != old && mw->rkey >> 8 == old >> 8);
	/* The MR cannot go while the window is bound to it. */
	CHECK_RET(ibv_dereg_mr(tmr), EINVAL);

	/* WRITE, READ, FETCH_ADD through the window. */
	for (i = 0; i < 200; i++)
		lbuf[i] = (uint8_t)(i * 7 + 1);
	CHECK_EQ(rdma_wait(&a, IBV_WR_RDMA_WRITE, 0, 200, taddr(4096),
			   mw->rkey),
		 IBV_WC_SUCCESS);
	CHECK(!memcmp(tbuf + 4096, lbuf, 200));
	memset(lbuf + 1000, 0, 200);
	CHECK_EQ(rdma_wait(&a, IBV_WR_RDMA_READ, 1000, 200, taddr(4096),
			   mw->rkey),
		 IBV_WC_SUCCESS);
	CHECK(!memcmp(lbuf + 1000, lbuf, 200));
	*(uint64_t *)(tbuf + 8192) = 40;
	CHECK_EQ(fetch_add(&a, taddr(8192), mw->rkey, 2), IBV_WC_SUCCESS);
	CHECK(*(uint64_t *)lbuf == 40 && *(uint64_t *)(tbuf + 8192) == 42);

	/* Past its end and before its start: refused, nothing written. */
	memset(tbuf, 0x55, TBUF);
	CHECK_EQ(rdma_wait(&a, IBV_WR_RDMA_WRITE, 0, 100,
			   taddr(4096 + 8192 - 50), mw->rkey),
		 IBV_WC_REM_ACCESS_ERR);
	reconnect(&a, &b);
	CHECK_EQ(rdma_wait(&a, IBV_WR_RDMA_WRITE, 0, 16, taddr(4096 - 8),
			   mw->rkey),
		 IBV_WC_REM_ACCESS_ERR);
	reconnect(&a, &b);
	CHECK(target_is(0, TBUF, 0x55));
	/* The MR's own key has no remote access. */
	CHECK_EQ(rdma_wait(&a, IBV_WR_RDMA_WRITE, 0, 16, taddr(4096),
			   tmr->rkey),
		 IBV_WC_REM_ACCESS_ERR);
	reconnect(&a, &b);

	/* Rebind read-only: new key byte, the old key is dead. */
	old = mw->rkey;
	CHECK_RET(bind1(&b, mw, tmr, taddr(4096), 8192, IBV_ACCESS_REMOTE_READ,
			&wc),
		  0);
	CHECK(wc.status == IBV_WC_SUCCESS && mw->rkey != old);
	CHECK_EQ(rdma_wait(&a, IBV_WR_RDMA_READ, 0, 64, taddr(4096), old),
		 IBV_WC_REM_ACCESS_ERR);
	reconnect(&a, &b);
	CHECK_EQ(rdma_wait(&a, IBV_WR_RDMA_WRITE, 0, 64, taddr(4096), mw->rkey),
		 IBV_WC_REM_ACCESS_ERR);
	reconnect(&a, &b);
	CHECK(target_is(0, TBUF, 0x55));
	CHECK_EQ(rdma_wait(&a, IBV_WR_RDMA_READ, 0, 64, taddr(4096), mw->rkey),
		 IBV_WC_SUCCESS);

	/* Every bind changes the key byte, never the index. */
	first = mw->rkey;
	for (i = 0; i < 10; i++) {
		old = mw->rkey;
		CHECK_RET(bind1(&b, mw, tmr, taddr(0), 64,
				IBV_ACCESS_REMOTE_READ, &wc),
			  0);
		CHECK(wc.status == IBV_WC_SUCCESS);
		CHECK(mw->rkey != old && mw->rkey >> 8 == first >> 8);
	}

	/* Unbind (length 0): the key no longer works; the MR may go. */
	CHECK_RET(bind1(&b, mw, tmr, taddr(0), 0, 0, &wc), 0);
	CHECK(wc.status == IBV_WC_SUCCESS);
	CHECK_EQ(rdma_wait(&a, IBV_WR_RDMA_READ, 0, 8, taddr(0), mw->rkey),
		 IBV_WC_REM_ACCESS_ERR);
	reconnect(&a, &b);

	/* Refused before posting: zero based, another PD's MR. */
	CHECK_RET(bind1(&b, mw, tmr, taddr(0), 64,
			IBV_ACCESS_REMOTE_READ | IBV_ACCESS_ZERO_BASED, &wc),
		  EINVAL);
	{
		struct ibv_pd *pd2 = ibv_alloc_pd(ctx);
		struct ibv_mr *mr2;

		REQUIRE(pd2);
		mr2 = ibv_reg_mr(pd2, nbuf, 4096,
				 IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_MW_BIND);
		REQUIRE(mr2);
		CHECK_RET(bind1(&b, mw, mr2, (uintptr_t)nbuf, 64,
				IBV_ACCESS_REMOTE_READ, &wc),
			  EPERM);
		CHECK_RET(ibv_dereg_mr(mr2), 0);
		CHECK_RET(ibv_dealloc_pd(pd2), 0);
	}
	CHECK_RET(ibv_dealloc_mw(mw), 0);
}

/* A bind that must fail: MW_BIND_ERR, and the QP is in error after. */
static void bind_fails(struct ibv_mw *mw, uint32_t rkey, struct ibv_mr *mr,
		       uint64_t addr, uint64_t len, unsigned int access)
{
	struct ibv_wc wc = bind2(&b, mw, rkey, mr, addr, len, access);

	CHECK_EQ(wc.status, IBV_WC_MW_BIND_ERR);
	CHECK_EQ(wc.wr_id, 0xb1d);
	reconnect(&a, &b);
}

static void check_bind_errors(void)
{
	struct ibv_mw *mw = ibv_alloc_mw(pd, IBV_MW_TYPE_2);
	uint32_t k;

	REQUIRE(mw);
	k = ibv_inc_rkey(mw->rkey);
	/* MR without IBV_ACCESS_MW_BIND (C10-73) */
	bind_fails(mw, k, nomw_mr, (uintptr_t)nbuf, 64, IBV_ACCESS_REMOTE_READ);
	/* remote write on an MR without local write (C10-74) */
	bind_fails(mw, k, ro_mr, (uintptr_t)ro_mr->addr, 64,
		   IBV_ACCESS_REMOTE_WRITE);
	/* outside the MR (C10-75) */
	bind_fails(mw, k, tmr, taddr(TBUF - 32), 64, IBV_ACCESS_REMOTE_READ);
	bind_fails(mw, k, tmr, taddr(0) - 4096, 64, IBV_ACCESS_REMOTE_READ);
	/* a type 2 bind of length 0 (o10-37.2.40) */
	bind_fails(mw, k, tmr, taddr(0), 0, IBV_ACCESS_REMOTE_READ);
	/* an rkey of another index */
	bind_fails(mw, k ^ 0x100, tmr, taddr(0), 64, IBV_ACCESS_REMOTE_READ);
	/* an access flag a window cannot have */
	bind_fails(mw, k, tmr, taddr(0), 64, IBV_ACCESS_HUGETLB);
	CHECK_RET(ibv_dealloc_mw(mw), 0);
}

static enum ibv_wc_status send_inv(struct end *e, uint32_t len, uint32_t rkey)
{
	struct ibv_sge sge = { (uintptr_t)lbuf, len, lmr->lkey };
	struct ibv_send_wr wr, *bad;

	memset(&wr, 0, sizeof(wr));
	wr.opcode = IBV_WR_SEND_WITH_INV;
	wr.sg_list = &sge;
	wr.num_sge = len ? 1 : 0;
	wr.send_flags = IBV_SEND_SIGNALED;
	wr.invalidate_rkey = rkey;
	REQUIRE(!ibv_post_send(e->qp, &wr, &bad));
	return one_status(e->cq);
}

static void post_recv(struct end *e, size_t off, uint32_t len)
{
	struct ibv_sge sge = { (uintptr_t)lbuf + off, len, lmr->lkey };
	struct ibv_recv_wr wr = { .wr_id = 0x2ec,
				  .sg_list = &sge,
				  .num_sge = 1 };
	struct ibv_recv_wr *bad;

	REQUIRE(!ibv_post_recv(e->qp, &wr, &bad));
}

/* Binds @mw (type 2) on B with ibv_wr_bind_mw; returns the new rkey. */
static uint32_t wr_bind(struct ibv_mw *mw, uint32_t rkey, size_t off,
			uint64_t len, unsigned int access)
{
	struct ibv_mw_bind_info bi = { tmr, taddr(off), len, access };
	struct ibv_wc wc;

	ibv_wr_start(b.x);
	b.x->wr_id = 0xe1;
	b.x->wr_flags = IBV_SEND_SIGNALED;
	ibv_wr_bind_mw(b.x, mw, rkey, &bi);
	REQUIRE(!ibv_wr_complete(b.x));
	wc = wait_wc(b.cq);
	CHECK(wc.status == IBV_WC_SUCCESS && wc.opcode == IBV_WC_BIND_MW &&
	      wc.wr_id == 0xe1);
	return rkey;
}

static void check_type2(void)
{
	unsigned int zb = IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ |
			  IBV_ACCESS_ZERO_BASED;
	struct ibv_mw *mw;
	struct ibv_wc wc;
	uint32_t key, old;
	int i;

	mw = ibv_alloc_mw(pd, IBV_MW_TYPE_2);
	REQUIRE(mw);
	memset(tbuf, 0x55, TBUF);

	/* Zero based: remote addresses count from the window's start. */
	key = ibv_inc_rkey(mw->rkey);
	wc = bind2(&b, mw, key, tmr, taddr(16384), 4096, zb);
	CHECK(wc.status == IBV_WC_SUCCESS && wc.opcode == IBV_WC_BIND_MW &&
	      wc.wr_id == 0xb1d);
	for (i = 0; i < 300; i++)
		lbuf[i] = (uint8_t)(i * 3 + 2);
	CHECK_EQ(rdma_wait(&a, IBV_WR_RDMA_WRITE, 0, 300, 100, key),
		 IBV_WC_SUCCESS);
	CHECK(!memcmp(tbuf + 16384 + 100, lbuf, 300));
	CHECK(target_is(16384 + 400, 4096 - 400, 0x55));
	CHECK_EQ(rdma_wait(&a, IBV_WR_RDMA_READ, 2048, 300, 100, key),
		 IBV_WC_SUCCESS);
	CHECK(!memcmp(lbuf + 2048, lbuf, 300));
	/* Atomics were not granted. */
	CHECK_EQ(fetch_add(&a, 0, key, 1), IBV_WC_REM_ACCESS_ERR);
	reconnect(&a, &b);
	/* Past the end of the window. */
	CHECK_EQ(rdma_wait(&a, IBV_WR_RDMA_READ, 0, 200, 4000, key),
		 IBV_WC_REM_ACCESS_ERR);
	reconnect(&a, &b);
	/* Another QP of the PD: the window is B's alone. */
	memset(tbuf, 0x55, TBUF);
	CHECK_EQ(rdma_wait(&c, IBV_WR_RDMA_WRITE, 0, 16, 0, key),
		 IBV_WC_REM_ACCESS_ERR);
	reconnect(&c, &d);
	/* Bound already: a type 2 window is invalidated before a rebind. */
	wc = bind2(&b, mw, ibv_inc_rkey(key), tmr, taddr(0), 64,
		   IBV_ACCESS_REMOTE_READ);
	CHECK_EQ(wc.status, IBV_WC_MW_BIND_ERR);
	reconnect(&a, &b);
	CHECK_EQ(rdma_wait(&a, IBV_WR_RDMA_WRITE, 0, 16, 0, key),
		 IBV_WC_SUCCESS);
	memset(tbuf, 0x55, TBUF);

	/*
	 * LOCAL_INV, fenced behind an unsignaled SEND: it completes after
	 * the SEND did, and the key is dead once it completed.
	 */
	post_recv(&a, 8192, 4096);
	{
		struct ibv_sge sge = { (uintptr_t)lbuf, 64, lmr->lkey };
		struct ibv_send_wr wr[2], *bad;

		memset(wr, 0, sizeof(wr));
		wr[0].opcode = IBV_WR_SEND;
		wr[0].sg_list = &sge;
		wr[0].num_sge = 1;
		wr[0].next = &wr[1];
		wr[1].opcode = IBV_WR_LOCAL_INV;
		wr[1].wr_id = 0x1f;
		wr[1].send_flags = IBV_SEND_SIGNALED | IBV_SEND_FENCE;
		wr[1].invalidate_rkey = key;
		REQUIRE(!ibv_post_send(b.qp, wr, &bad));
		wc = wait_wc(b.cq);
		CHECK(wc.status == IBV_WC_SUCCESS && wc.wr_id == 0x1f &&
		      wc.opcode == IBV_WC_LOCAL_INV);
		CHECK_EQ(one_status(a.cq), IBV_WC_SUCCESS);
	}
	CHECK_EQ(rdma_wait(&a, IBV_WR_RDMA_WRITE, 0, 16, 0, key),
		 IBV_WC_REM_ACCESS_ERR);
	reconnect(&a, &b);
	CHECK(target_is(0, TBUF, 0x55));
	/* Not twice; an MR key cannot be invalidated (as rxe). */
	CHECK_EQ(local_inv(&b, key), IBV_WC_LOC_QP_OP_ERR);
	reconnect(&a, &b);
	CHECK_EQ(local_inv(&b, tmr->rkey), IBV_WC_LOC_QP_OP_ERR);
	reconnect(&a, &b);

	/* Rebound with ibv_wr_bind_mw: the new key works, the old not. */
	old = key;
	key = wr_bind(mw, ibv_inc_rkey(key), 0, 8192,
		      IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ |
			      IBV_ACCESS_REMOTE_ATOMIC);
	CHECK(key != old);
	*(uint64_t *)(tbuf + 64) = 7;
	CHECK_EQ(fetch_add(&a, taddr(64), key, 5), IBV_WC_SUCCESS);
	CHECK(*(uint64_t *)lbuf == 7 && *(uint64_t *)(tbuf + 64) == 12);
	memset(tbuf, 0x55, TBUF);
	CHECK_EQ(rdma_wait(&a, IBV_WR_RDMA_WRITE, 0, 16, taddr(0), old),
		 IBV_WC_REM_ACCESS_ERR);
	reconnect(&a, &b);
	CHECK(target_is(0, TBUF, 0x55));
	CHECK_EQ(rdma_wait(&a, IBV_WR_RDMA_WRITE, 0, 16, taddr(0), key),
		 IBV_WC_SUCCESS);

	/* SEND with Invalidate, one packet, then three (MTU 1024). */
	for (i = 0; i < 2; i++) {
		uint32_t len = i ? 3000 : 10;

		post_recv(&b, 8192, 4096);
		CHECK_EQ(send_inv(&a, len, key), IBV_WC_SUCCESS);
		wc = wait_wc(b.cq);
		CHECK(wc.status == IBV_WC_SUCCESS && wc.opcode == IBV_WC_RECV &&
		      wc.byte_len == len);
		CHECK(wc.wc_flags & IBV_WC_WITH_INV);
		CHECK_EQ(wc.invalidated_rkey, key);
		CHECK(!memcmp(lbuf + 8192, lbuf, len));
		memset(tbuf, 0x55, TBUF);
		CHECK_EQ(rdma_wait(&a, IBV_WR_RDMA_WRITE, 0, 16, taddr(0), key),
			 IBV_WC_REM_ACCESS_ERR);
		reconnect(&a, &b);
		CHECK(target_is(0, TBUF, 0x55));
		key = wr_bind(mw, ibv_inc_rkey(key), 0, 8192,
			      IBV_ACCESS_REMOTE_WRITE);
	}

	/* SEND with Invalidate of a key that is not valid: both fail. */
	post_recv(&b, 8192, 4096);
	CHECK_EQ(send_inv(&a, 0, ibv_inc_rkey(key)), IBV_WC_REM_INV_REQ_ERR);
	CHECK_EQ(one_status(b.cq), IBV_WC_REM_INV_REQ_ERR);
	reconnect(&a, &b);
	/* Nor by a QP the window is not bound to. */
	post_recv(&d, 8192, 4096);
	CHECK_EQ(send_inv(&c, 0, key), IBV_WC_REM_INV_REQ_ERR);
	CHECK_EQ(one_status(d.cq), IBV_WC_REM_INV_REQ_ERR);
	reconnect(&c, &d);
	/* It still works for B; ibv_wr_send_inv and ibv_wr_local_inv. */
	CHECK_EQ(rdma_wait(&a, IBV_WR_RDMA_WRITE, 0, 16, taddr(0), key),
		 IBV_WC_SUCCESS);
	post_recv(&b, 8192, 4096);
	ibv_wr_start(a.x);
	a.x->wr_id = 0x51;
	a.x->wr_flags = IBV_SEND_SIGNALED;
	ibv_wr_send_inv(a.x, key);
	ibv_wr_set_sge(a.x, lmr->lkey, (uintptr_t)lbuf, 8);
	REQUIRE(!ibv_wr_complete(a.x));
	CHECK_EQ(one_status(a.cq), IBV_WC_SUCCESS);
	wc = wait_wc(b.cq);
	CHECK(wc.status == IBV_WC_SUCCESS && (wc.wc_flags & IBV_WC_WITH_INV) &&
	      wc.invalidated_rkey == key);
	key = wr_bind(mw, ibv_inc_rkey(key), 0, 64, IBV_ACCESS_REMOTE_READ);
	ibv_wr_start(b.x);
	b.x->wr_id = 0x1c;
	b.x->wr_flags = IBV_SEND_SIGNALED;
	ibv_wr_local_inv(b.x, key);
	REQUIRE(!ibv_wr_complete(b.x));
	wc = wait_wc(b.cq);
	CHECK(wc.status == IBV_WC_SUCCESS && wc.opcode == IBV_WC_LOCAL_INV);
	CHECK_EQ(rdma_wait(&a, IBV_WR_RDMA_READ, 0, 8, taddr(0), key),
		 IBV_WC_REM_ACCESS_ERR);
	reconnect(&a, &b);

	/* Deallocated while bound: the key is dead, the MR free. */
	key = wr_bind(mw, ibv_inc_rkey(key), 0, 64, IBV_ACCESS_REMOTE_READ);
	CHECK_RET(ibv_dealloc_mw(mw), 0);
	CHECK_EQ(rdma_wait(&a, IBV_WR_RDMA_READ, 0, 8, taddr(0), key),
		 IBV_WC_REM_ACCESS_ERR);
	reconnect(&a, &b);
}

/* WRITEs through @rkey until one fails; counts the ones that landed. */
struct writer {
	uint32_t rkey;
	long ok;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	enum ibv_wc_status st;

	memset(lbuf, 0x11, 4096);
	do {
		st = rdma_wait(&a, IBV_WR_RDMA_WRITE, 0, 4096, taddr(0),
			       w->rkey);
		if (st == IBV_WC_SUCCESS)
			__atomic_fetch_add(&w->ok, 1, __ATOMIC_RELAXED);
	} while (st == IBV_WC_SUCCESS);
	CHECK_EQ(st, IBV_WC_REM_ACCESS_ERR);
	return NULL;
}

/* ibv_dealloc_mw returns once no packet can reach the memory any more. */
static void check_dealloc_race(void)
{
	struct ibv_mw *mw = ibv_alloc_mw(pd, IBV_MW_TYPE_2);
	struct writer w = { 0, 0 };
	pthread_t th;

	REQUIRE(mw);
	w.rkey = wr_bind(mw, ibv_inc_rkey(mw->rkey), 0, 4096,
			 IBV_ACCESS_REMOTE_WRITE);
	memset(tbuf, 0, TBUF);
	REQUIRE(!pthread_create(&th, NULL, writer_main, &w));
	while (__atomic_load_n(&w.ok, __ATOMIC_RELAXED) < 3)
		usleep(100);
	CHECK_RET(ibv_dealloc_mw(mw), 0);
	memset(tbuf, 0xee, 4096);
	REQUIRE(!pthread_join(th, NULL));
	CHECK(w.ok > 0);
	CHECK(target_is(0, 4096, 0xee));
	reconnect(&a, &b);
}

int main(void)
{
	long page = sysconf(_SC_PAGESIZE);

	test_env();
	setvbuf(stdout, NULL, _IOLBF, 0);
	ctx = open_dev(TEST_DEV);
	REQUIRE(!ibv_query_gid(ctx, 1, 0, &gid0));
	pd = ibv_alloc_pd(ctx);
	REQUIRE(pd);
	lbuf = aligned_alloc(page, TBUF);
	tbuf = aligned_alloc(page, TBUF);
	nbuf = aligned_alloc(page, 2 * page);
	REQUIRE(lbuf && tbuf && nbuf);
	memset(lbuf, 0, TBUF);
	memset(nbuf, 0, 2 * page);
	lmr = ibv_reg_mr(pd, lbuf, TBUF, IBV_ACCESS_LOCAL_WRITE);
	/* Only windows open the target to the peer. */
	tmr = ibv_reg_mr(pd, tbuf, TBUF,
			 IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_MW_BIND);
	nomw_mr = ibv_reg_mr(pd, nbuf, page,
			     IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_READ);
	ro_mr = ibv_reg_mr(pd, nbuf + page, page,
			   IBV_ACCESS_MW_BIND | IBV_ACCESS_REMOTE_READ);
	REQUIRE(lmr && tmr && nomw_mr && ro_mr);
	make_end(&a, true);
	make_end(&b, true);
	make_end(&c, false);
	make_end(&d, false);
	reconnect(&a, &b);
	reconnect(&c, &d);

	check_caps();
	check_alloc();
	check_type1();
	check_bind_errors();
	check_type2();
	check_dealloc_race();

	free_end(&a);
	free_end(&b);
	free_end(&c);
	free_end(&d);
	CHECK_RET(ibv_dereg_mr(ro_mr), 0);
	CHECK_RET(ibv_dereg_mr(nomw_mr), 0);
	CHECK_RET(ibv_dereg_mr(tmr), 0);
	CHECK_RET(ibv_dereg_mr(lmr), 0);
	CHECK_RET(ibv_dealloc_pd(pd), 0);
	CHECK_RET(ibv_close_device(ctx), 0);
	free(lbuf);
	free(tbuf);
	free(nbuf);
	return check_report("verbs_mw");
}
