// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Resource limits on uroce_lo:
 *
 *   limits objects     creates PDs, MRs, CQs, SRQs, AHs and QPs until the
 *                      limit ibv_query_device reports (max_pd, max_mr, ...)
 *                      or until creation fails: the failure must come at
 *                      the limit (not before: a little slack for the
 *                      objects other kinds need), with ENOMEM, and change
 *                      nothing (freeing one object lets one more be
 *                      made). Requests over a per-object maximum (max_cqe,
 *                      max_qp_wr, max_sge, ...) fail with EINVAL.
 *   limits configured  the same, exactly at limits set in a uroce.conf it
 *                      writes (UROCE_CONF) and in UROCE_MAX_* variables,
 *                      which override the file; ibv_query_device must
 *                      report them. An invalid variable is ignored (the
 *                      file's value stays) and "max" is the device's own.
 *   limits memory      run in a memory cgroup with a small limit (memcg.sh):
 *                      CQs, then QPs, with large queues until creation
 *                      fails, which must be ENOMEM; then MRs until
 *                      max_mr (UROCE_MAX_MR): their memory is the
 *                      application's. After the destroys, creation works
 *                      again. Prints the counts.
 *   limits close_live  makes objects of every kind, a QP in RTS with work
 *                      posted, and closes the device without destroying
 *                      them: the leak checker (ASan's, or valgrind) sees
 *                      whether the close released everything.
 *   limits cycles [N]  N (default 10000) ibv_open_device/ibv_close_device
 *                      cycles: the fd count must not move and memory
 *                      (RSS, and the heap in use as mallinfo2 sees it)
 *                      must stay flat; prints the figures.
 */
#include <errno.h>
#include <stdbool.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include "tests/lib/check.h"
#include "tests/lib/verbs.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

/* Objects of one kind, made until failure. */
struct pool {
	void **obj;
	size_t n, cap;
};

static void pool_add(struct pool *p, void *obj)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 1024;
		p->obj = realloc(p->obj, p->cap * sizeof(*p->obj));
		REQUIRE(p->obj);
	}
	p->obj[p->n++] = obj;
}

/* Objects the others need may be made before the limit: 0 when exact. */
static bool exact;

/*
 * Reports how creation of @what ended after @n objects against @max (the
 * device limit) with @err (0: one more than @max was made), and checks
 * it: ENOMEM, at the limit give or take @slack. A failed check is counted
 * and the test goes on, so that every kind is reported; returns whether
 * the limit held (and the free-one-then-retry check makes sense).
 */
static bool report(const char *what, size_t n, int max, int err, size_t slack)
{
	bool ok;

	if (exact)
		slack = 0;
	ok = err == ENOMEM && n + slack >= (size_t)max && n <= (size_t)max;

	printf("limits: %-4s %zu created, max_%s %d, then %s%s\n", what, n,
	       what, max,
	       err ? strerror(err) : "no failure: the limit is not enforced",
	       ok ? "" : "  <-- FAIL");
	if (!ok)
		check_failures++;
	return ok;
}

/* At the limit: a further creation fails (@err), then one free and retry. */
static void pds(struct ibv_context *ctx, const struct ibv_device_attr *a)
{
	struct pool p = { 0 };
	struct ibv_pd *pd;
	int err = 0;

	while (p.n < (size_t)a->max_pd + 1) {
		pd = ibv_alloc_pd(ctx);
		if (!pd) {
			err = errno;
			break;
		}
		pool_add(&p, pd);
	}
	if (report("pd", p.n, a->max_pd, err, 16)) {
		REQUIRE(!ibv_dealloc_pd(p.obj[--p.n]));
		pd = ibv_alloc_pd(ctx);
		REQUIRE(pd);
		pool_add(&p, pd);
	}
	while (p.n)
		REQUIRE(!ibv_dealloc_pd(p.obj[--p.n]));
	free(p.obj);
}

static void mrs(struct ibv_context *ctx, const struct ibv_device_attr *a)
{
	static char buf[4096];
	struct pool p = { 0 };
	struct ibv_mr *mr;
	struct ibv_pd *pd;
	int err = 0;

	pd = ibv_alloc_pd(ctx);
	REQUIRE(pd);
	/* Many MRs over the same bytes, as applications do. */
	while (p.n < (size_t)a->max_mr + 1) {
		mr = ibv_reg_mr(pd, buf, sizeof(buf), IBV_ACCESS_LOCAL_WRITE);
		if (!mr) {
			err = errno;
			break;
		}
		pool_add(&p, mr);
	}
	/* In use: the PD cannot go. */
	REQUIRE(ibv_dealloc_pd(pd) == EBUSY);
	if (report("mr", p.n, a->max_mr, err, 0)) {
		REQUIRE(!ibv_dereg_mr(p.obj[--p.n]));
		mr = ibv_reg_mr(pd, buf, sizeof(buf), IBV_ACCESS_LOCAL_WRITE);
		REQUIRE(mr);
		pool_add(&p, mr);
	}
	while (p.n)
		REQUIRE(!ibv_dereg_mr(p.obj[--p.n]));
	free(p.obj);
	REQUIRE(!ibv_dealloc_pd(pd));
}

static void cqs(struct ibv_context *ctx, const struct ibv_device_attr *a)
{
	struct pool p = { 0 };
	struct ibv_cq *cq;
	int err = 0;

	errno = 0;
	REQUIRE(!ibv_create_cq(ctx, a->max_cqe + 1, NULL, NULL, 0));
	REQUIRE(errno == EINVAL);
	errno = 0;
	REQUIRE(!ibv_create_cq(ctx, 0, NULL, NULL, 0));
	REQUIRE(errno == EINVAL);
	cq = ibv_create_cq(ctx, a->max_cqe, NULL, NULL, 0);
	REQUIRE(cq);
	REQUIRE(!ibv_destroy_cq(cq));
	while (p.n < (size_t)a->max_cq + 1) {
		cq = ibv_create_cq(ctx, 1, NULL, NULL, 0);
		if (!cq) {
			err = errno;
			break;
		}
		pool_add(&p, cq);
	}
	if (report("cq", p.n, a->max_cq, err, 0)) {
		REQUIRE(!ibv_destroy_cq(p.obj[--p.n]));
		cq = ibv_create_cq(ctx, 1, NULL, NULL, 0);
		REQUIRE(cq);
		pool_add(&p, cq);
	}
	while (p.n)
		REQUIRE(!ibv_destroy_cq(p.obj[--p.n]));
	free(p.obj);
}

static void srqs(struct ibv_context *ctx, const struct ibv_device_attr *a)
{
	struct ibv_srq_init_attr sa = { .attr = { .max_wr = 1, .max_sge = 1 } };
	struct pool p = { 0 };
	struct ibv_srq *srq;
	struct ibv_pd *pd;
	int err = 0;

	pd = ibv_alloc_pd(ctx);
	REQUIRE(pd);
	sa.attr.max_wr = a->max_srq_wr + 1;
	errno = 0;
	REQUIRE(!ibv_create_srq(pd, &sa));
	REQUIRE(errno == EINVAL);
	sa.attr.max_wr = 1;
	sa.attr.max_sge = a->max_srq_sge + 1;
	errno = 0;
	REQUIRE(!ibv_create_srq(pd, &sa));
	REQUIRE(errno == EINVAL);
	sa.attr.max_sge = 1;
	while (p.n < (size_t)a->max_srq + 1) {
		srq = ibv_create_srq(pd, &sa);
		if (!srq) {
			err = errno;
			break;
		}
		pool_add(&p, srq);
	}
	if (report("srq", p.n, a->max_srq, err, 0)) {
		REQUIRE(!ibv_destroy_srq(p.obj[--p.n]));
		srq = ibv_create_srq(pd, &sa);
		REQUIRE(srq);
		pool_add(&p, srq);
	}
	while (p.n)
		REQUIRE(!ibv_destroy_srq(p.obj[--p.n]));
	free(p.obj);
	REQUIRE(!ibv_dealloc_pd(pd));
}

static struct ibv_ah *make_ah(struct ibv_pd *pd)
{
	struct ibv_ah_attr aa = { .is_global = 1, .port_num = 1 };

	/* ::ffff:127.0.0.1 */
	aa.grh.dgid.raw[10] = 0xff;
	aa.grh.dgid.raw[11] = 0xff;
	aa.grh.dgid.raw[12] = 127;
	aa.grh.dgid.raw[15] = 1;
	return ibv_create_ah(pd, &aa);
}

static void ahs(struct ibv_context *ctx, const struct ibv_device_attr *a)
{
	struct pool p = { 0 };
	struct ibv_ah *ah;
	struct ibv_pd *pd;
	int err = 0;

	pd = ibv_alloc_pd(ctx);
	REQUIRE(pd);
	while (p.n < (size_t)a->max_ah + 1) {
		ah = make_ah(pd);
		if (!ah) {
			err = errno;
			break;
		}
		pool_add(&p, ah);
	}
	if (report("ah", p.n, a->max_ah, err, 0)) {
		REQUIRE(!ibv_destroy_ah(p.obj[--p.n]));
		ah = make_ah(pd);
		REQUIRE(ah);
		pool_add(&p, ah);
	}
	while (p.n)
		REQUIRE(!ibv_destroy_ah(p.obj[--p.n]));
	free(p.obj);
	REQUIRE(!ibv_dealloc_pd(pd));
}

static void mws(struct ibv_context *ctx, const struct ibv_device_attr *a)
{
	struct pool p = { 0 };
	struct ibv_mw *mw;
	struct ibv_pd *pd;
	int err = 0;

	pd = ibv_alloc_pd(ctx);
	REQUIRE(pd);
	while (p.n < (size_t)a->max_mw + 1) {
		mw = ibv_alloc_mw(pd, IBV_MW_TYPE_1);
		if (!mw) {
			err = errno;
			break;
		}
		pool_add(&p, mw);
	}
	if (report("mw", p.n, a->max_mw, err, 0)) {
		REQUIRE(!ibv_dealloc_mw(p.obj[--p.n]));
		mw = ibv_alloc_mw(pd, IBV_MW_TYPE_1);
		REQUIRE(mw);
		pool_add(&p, mw);
	}
	while (p.n)
		REQUIRE(!ibv_dealloc_mw(p.obj[--p.n]));
	free(p.obj);
	REQUIRE(!ibv_dealloc_pd(pd));
}

static struct ibv_qp *make_qp(struct ibv_pd *pd, struct ibv_cq *cq,
			      enum ibv_qp_type type,
			      const struct ibv_qp_cap *cap)
{
	struct ibv_qp_init_attr ia = {
		.send_cq = cq,
		.recv_cq = cq,
		.cap = *cap,
		.qp_type = type,
	};

	return ibv_create_qp(pd, &ia);
}

static void qps(struct ibv_context *ctx, const struct ibv_device_attr *a)
{
	struct ibv_qp_cap cap = { .max_send_wr = 1,
				  .max_recv_wr = 1,
				  .max_send_sge = 1,
				  .max_recv_sge = 1 };
	struct ibv_qp_cap big;
	struct pool p = { 0 };
	struct ibv_qp *qp;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	int err = 0;

	pd = ibv_alloc_pd(ctx);
	cq = ibv_create_cq(ctx, 16, NULL, NULL, 0);
	REQUIRE(pd && cq);
	big = cap;
	big.max_send_wr = a->max_qp_wr + 1;
	errno = 0;
	REQUIRE(!make_qp(pd, cq, IBV_QPT_RC, &big));
	REQUIRE(errno == EINVAL);
	big = cap;
	big.max_recv_sge = a->max_sge + 1;
	errno = 0;
	REQUIRE(!make_qp(pd, cq, IBV_QPT_RC, &big));
	REQUIRE(errno == EINVAL);
	big = cap;
	big.max_send_wr = a->max_qp_wr;
	big.max_recv_wr = a->max_qp_wr;
	qp = make_qp(pd, cq, IBV_QPT_RC, &big);
	REQUIRE(qp);
	REQUIRE(!ibv_destroy_qp(qp));
	/* Some QP numbers (and sockets) are taken by nothing: a little slack. */
	while (p.n < (size_t)a->max_qp + 1) {
		qp = make_qp(pd, cq, p.n & 1 ? IBV_QPT_UD : IBV_QPT_RC, &cap);
		if (!qp) {
			err = errno;
			break;
		}
		pool_add(&p, qp);
	}
	REQUIRE(ibv_destroy_cq(cq) == EBUSY);
	if (report("qp", p.n, a->max_qp, err, 512)) {
		REQUIRE(!ibv_destroy_qp(p.obj[--p.n]));
		qp = make_qp(pd, cq, IBV_QPT_RC, &cap);
		REQUIRE(qp);
		pool_add(&p, qp);
	}
	while (p.n)
		REQUIRE(!ibv_destroy_qp(p.obj[--p.n]));
	free(p.obj);
	REQUIRE(!ibv_destroy_cq(cq));
	REQUIRE(!ibv_dealloc_pd(pd));
}

static void all_kinds(struct ibv_context *ctx, const struct ibv_device_attr *a)
{
	pds(ctx, a);
	mrs(ctx, a);
	cqs(ctx, a);
	srqs(ctx, a);
	ahs(ctx, a);
	mws(ctx, a);
	qps(ctx, a);
}

static int objects(void)
{
	struct ibv_context *ctx = open_dev(TEST_DEV);
	struct ibv_device_attr a;

	REQUIRE(!ibv_query_device(ctx, &a));
	all_kinds(ctx, &a);
	REQUIRE(!ibv_close_device(ctx));
	printf("limits: objects: %s\n", check_failures ? "FAILED" : "ok");
	return check_failures ? 1 : 0;
}

/* Creates by @make until it fails; returns how many, errno in *err. */
static size_t fill(struct pool *p, void *(*make)(void *arg), void *arg,
		   size_t max, int *err)
{
	void *obj;

	*err = 0;
	while (p->n < max) {
		errno = 0;
		obj = make(arg);
		if (!obj) {
			*err = errno;
			break;
		}
		pool_add(p, obj);
	}
	return p->n;
}

#define MEM_CQE 65535 /* a 3 MiB ring */
#define MEM_WR 8192 /* rings of about 1.5 MiB and 0.3 MiB */
/* Never more than 200 of each (some 600 MiB): no limit fails the test. */
#define MEM_MAX 200

struct mem_objs {
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
};

static void *mem_cq(void *arg)
{
	return ibv_create_cq(((struct mem_objs *)arg)->ctx, MEM_CQE, NULL, NULL,
			     0);
}

static void *mem_qp(void *arg)
{
	struct mem_objs *m = arg;
	struct ibv_qp_cap cap = { .max_send_wr = MEM_WR,
				  .max_recv_wr = MEM_WR,
				  .max_send_sge = 1,
				  .max_recv_sge = 1 };

	return make_qp(m->pd, m->cq, IBV_QPT_RC, &cap);
}

static void *mem_mr(void *arg)
{
	static char buf[4096];

	return ibv_reg_mr(((struct mem_objs *)arg)->pd, buf, sizeof(buf),
			  IBV_ACCESS_LOCAL_WRITE);
}

/* One kind until failure: ENOMEM, then everything goes and one comes. */
static void mem_kind(const char *what, struct mem_objs *m,
		     void *(*make)(void *arg), int (*destroy)(void *obj),
		     size_t max)
{
	struct pool p = { 0 };
	void *obj;
	int err;

	fill(&p, make, m, max, &err);
	printf("limits: memory: %zu %ss, then %s%s\n", p.n, what,
	       err ? strerror(err) : "no failure",
	       err == ENOMEM && p.n ? "" : "  <-- FAIL");
	if (err != ENOMEM || !p.n)
		check_failures++;
	while (p.n)
		REQUIRE(!destroy(p.obj[--p.n]));
	free(p.obj);
	obj = make(m);
	REQUIRE(obj);
	REQUIRE(!destroy(obj));
}

static int destroy_cq(void *obj)
{
	return ibv_destroy_cq(obj);
}

static int destroy_qp(void *obj)
{
	return ibv_destroy_qp(obj);
}

static int dereg_mr(void *obj)
{
	return ibv_dereg_mr(obj);
}

static int memory(void)
{
	struct mem_objs m;
	struct ibv_device_attr a;

	m.ctx = open_dev(TEST_DEV);
	REQUIRE(!ibv_query_device(m.ctx, &a));
	m.pd = ibv_alloc_pd(m.ctx);
	m.cq = ibv_create_cq(m.ctx, 16, NULL, NULL, 0);
	REQUIRE(m.pd && m.cq);
	mem_kind("CQ", &m, mem_cq, destroy_cq, MEM_MAX);
	mem_kind("QP", &m, mem_qp, destroy_qp, MEM_MAX);
	mem_kind("MR", &m, mem_mr, dereg_mr, a.max_mr + 1);
	REQUIRE(!ibv_destroy_cq(m.cq));
	REQUIRE(!ibv_dealloc_pd(m.pd));
	REQUIRE(!ibv_close_device(m.ctx));
	printf("limits: memory: %s\n", check_failures ? "FAILED" : "ok");
	return check_failures ? 1 : 0;
}

/* The limits a device reports, as uroce.conf names them. */
static void print_limits(const char *when, const struct ibv_device_attr *a)
{
	printf("limits: %s: max_qp %d max_cq %d max_mr %d max_pd %d "
	       "max_srq %d max_ah %d max_mw %d\n",
	       when, a->max_qp, a->max_cq, a->max_mr, a->max_pd, a->max_srq,
	       a->max_ah, a->max_mw);
}

static int configured(void)
{
	static const char conf[] = "max_qp 10\nmax_cq 6\nmax_mr 1000\n"
				   "max_pd 5\nmax_srq 3\nmax_ah 4\n"
				   "max_mw 3\nmax_mw 1000000000\n";
	char path[] = "/tmp/uroce-limits-XXXXXX";
	struct ibv_device_attr dflt, a;
	struct ibv_context *ctx;
	FILE *f;
	int fd;

	ctx = open_dev(TEST_DEV);
	REQUIRE(!ibv_query_device(ctx, &dflt));
	REQUIRE(!ibv_close_device(ctx));
	print_limits("defaults", &dflt);

	fd = mkstemp(path);
	REQUIRE(fd >= 0);
	f = fdopen(fd, "w");
	REQUIRE(f && fputs(conf, f) >= 0 && !fclose(f));
	setenv("UROCE_CONF", path, 1);
	/* The environment wins; a bad value is skipped; max is the device's. */
	setenv("UROCE_MAX_MR", "9", 1);
	setenv("UROCE_MAX_SRQ", "-1", 1);
	setenv("UROCE_MAX_AH", "max", 1);
	ctx = open_dev(TEST_DEV);
	REQUIRE(!ibv_query_device(ctx, &a));
	print_limits("configured", &a);
	REQUIRE(a.max_qp == 10 && a.max_cq == 6 && a.max_mr == 9 &&
		a.max_pd == 5 && a.max_srq == 3 && a.max_ah == dflt.max_ah &&
		a.max_mw == 3);
	REQUIRE(a.max_qp_wr == dflt.max_qp_wr && a.max_cqe == dflt.max_cqe);
	REQUIRE(!ibv_close_device(ctx));

	setenv("UROCE_MAX_AH", "4", 1);
	exact = true;
	ctx = open_dev(TEST_DEV);
	REQUIRE(!ibv_query_device(ctx, &a));
	REQUIRE(a.max_ah == 4);
	all_kinds(ctx, &a);
	REQUIRE(!ibv_close_device(ctx));
	/* The limits count per context: a new one starts from zero. */
	ctx = open_dev(TEST_DEV);
	pds(ctx, &a);
	REQUIRE(!ibv_close_device(ctx));
	REQUIRE(!unlink(path));
	printf("limits: configured: %s\n", check_failures ? "FAILED" : "ok");
	return check_failures ? 1 : 0;
}

/* Everything left alive, a QP with work in flight to a silent peer. */
static int close_live(void)
{
	struct ibv_qp_cap cap = { .max_send_wr = 8,
				  .max_recv_wr = 8,
				  .max_send_sge = 1,
				  .max_recv_sge = 1 };
	struct ibv_srq_init_attr sa = { .attr = { .max_wr = 4, .max_sge = 1 } };
	struct ibv_qp_attr qa = { .qp_state = IBV_QPS_INIT, .port_num = 1 };
	struct ibv_context *ctx = open_dev(TEST_DEV);
	struct ibv_send_wr wr = { 0 }, *bad;
	struct ibv_recv_wr rwr = { 0 }, *rbad;
	struct ibv_sge sge;
	struct ibv_qp *qp, *ud;
	struct ibv_srq *srq;
	struct ibv_cq *cq;
	struct ibv_mr *mr;
	struct ibv_pd *pd;
	struct ibv_device_attr da;
	char *buf;
	int i, nqp;

	buf = calloc(1, 65536);
	pd = ibv_alloc_pd(ctx);
	REQUIRE(buf && pd);
	cq = ibv_create_cq(ctx, 64, NULL, NULL, 0);
	mr = ibv_reg_mr(pd, buf, 65536,
			IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE);
	srq = ibv_create_srq(pd, &sa);
	REQUIRE(cq && mr && srq && make_ah(pd));
	REQUIRE(!ibv_req_notify_cq(cq, 0));
	/* Sockets of QPs; a wire roce device has one, of 256 (max_qp). */
	REQUIRE(!ibv_query_device(ctx, &da));
	nqp = da.max_qp - 2 < 300 ? da.max_qp - 2 : 300;
	for (i = 0; i < nqp; i++)
		REQUIRE(make_qp(pd, cq, i & 1 ? IBV_QPT_UD : IBV_QPT_RC, &cap));
	ud = make_qp(pd, cq, IBV_QPT_UD, &cap);
	qp = make_qp(pd, cq, IBV_QPT_RC, &cap);
	REQUIRE(ud && qp);

	/* An RC QP in RTS sending to a port nobody answers on. */
	qa.qp_access_flags = IBV_ACCESS_REMOTE_WRITE;
	REQUIRE(!ibv_modify_qp(qp, &qa,
			       IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT |
				       IBV_QP_ACCESS_FLAGS));
	memset(&qa, 0, sizeof(qa));
	qa.qp_state = IBV_QPS_RTR;
	qa.path_mtu = IBV_MTU_1024;
	qa.dest_qp_num = 0x000901;
	qa.max_dest_rd_atomic = 1;
	qa.min_rnr_timer = 1;
	qa.ah_attr.is_global = 1;
	qa.ah_attr.port_num = 1;
	qa.ah_attr.grh.dgid.raw[10] = 0xff;
	qa.ah_attr.grh.dgid.raw[11] = 0xff;
	qa.ah_attr.grh.dgid.raw[12] = 127;
	qa.ah_attr.grh.dgid.raw[15] = 1;
	REQUIRE(!ibv_modify_qp(qp, &qa,
			       IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
				       IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
				       IBV_QP_MAX_DEST_RD_ATOMIC |
				       IBV_QP_MIN_RNR_TIMER));
	memset(&qa, 0, sizeof(qa));
	qa.qp_state = IBV_QPS_RTS;
	qa.timeout = 14;
	qa.retry_cnt = 7;
	qa.rnr_retry = 7;
	qa.max_rd_atomic = 1;
	REQUIRE(!ibv_modify_qp(qp, &qa,
			       IBV_QP_STATE | IBV_QP_SQ_PSN | IBV_QP_TIMEOUT |
				       IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
				       IBV_QP_MAX_QP_RD_ATOMIC));
	sge.addr = (uintptr_t)buf;
	sge.length = 4096;
	sge.lkey = mr->lkey;
	rwr.sg_list = &sge;
	rwr.num_sge = 1;
	for (i = 0; i < 4; i++)
		REQUIRE(!ibv_post_recv(qp, &rwr, &rbad));
	REQUIRE(!ibv_post_srq_recv(srq, &rwr, &rbad));
	wr.sg_list = &sge;
	wr.num_sge = 1;
	wr.opcode = IBV_WR_SEND;
	wr.send_flags = IBV_SEND_SIGNALED;
	for (i = 0; i < 4; i++)
		REQUIRE(!ibv_post_send(qp, &wr, &bad));
	/* Nothing destroyed: ibv_close_device releases it all. */
	REQUIRE(!ibv_close_device(ctx));
	/* The MR's buffer is the application's. */
	free(buf);
	printf("limits: close_live: closed with %d QPs, SRQ, MR, CQ, AH "
	       "alive\n",
	       nqp + 2);
	return 0;
}

static long rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f;

	f = fopen("/proc/self/status", "re");
	REQUIRE(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static int cycles(long n)
{
	struct ibv_device **list, *dev = NULL;
	long fd0, rss0, fd1, rss1, i, warm = n / 10 ? n / 10 : 1;
	size_t heap0, heap1;
	struct ibv_context *ctx;
	int k, ndev;

	list = ibv_get_device_list(&ndev);
	REQUIRE(list);
	for (k = 0; k < ndev; k++)
		if (!strcmp(ibv_get_device_name(list[k]), "uroce_lo"))
			dev = list[k];
	REQUIRE(dev);
	fd0 = rss0 = 0;
	heap0 = 0;
	for (i = 0; i < n; i++) {
		/* After a warm-up: allocator pools and caches filled. */
		if (i == warm) {
			fd0 = count_fds();
			rss0 = rss_kb();
			heap0 = mallinfo2().uordblks;
		}
		ctx = ibv_open_device(dev);
		REQUIRE(ctx);
		REQUIRE(!ibv_close_device(ctx));
	}
	fd1 = count_fds();
	rss1 = rss_kb();
	heap1 = mallinfo2().uordblks;
	ibv_free_device_list(list);
	printf("limits: %ld open/close cycles: fds %ld -> %ld, RSS %ld -> %ld "
	       "kB, heap in use %zu -> %zu bytes (from cycle %ld)\n",
	       n, fd0, fd1, rss0, rss1, heap0, heap1, warm);
	REQUIRE(fd1 == fd0);
	/*
	 * ASan keeps freed memory in quarantine, and its allocator is not
	 * the one mallinfo2 sees: only the fds are comparable there.
	 */
	if (!UNDER_ASAN) {
		REQUIRE(heap1 <= heap0 + 64 * 1024);
		REQUIRE(rss1 <= rss0 + 4 * 1024);
	}
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && !strcmp(argv[1], "objects"))
		return objects();
	if (argc >= 2 && !strcmp(argv[1], "memory"))
		return memory();
	if (argc >= 2 && !strcmp(argv[1], "configured"))
		return configured();
	if (argc >= 2 && !strcmp(argv[1], "close_live"))
		return close_live();
	if (argc >= 2 && !strcmp(argv[1], "cycles"))
		return cycles(argc > 2 ? atol(argv[2]) : 10000);
	fprintf(stderr, "usage: limits objects | configured | memory | "
			"close_live | cycles [N]\n");
	return 2;
}
