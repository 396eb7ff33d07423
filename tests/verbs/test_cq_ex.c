// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Extended CQs: ibv_create_cq_ex's attribute checks (each refusal with
 * its errno, no fd or channel reference left behind), the poll API on an
 * empty CQ, and the legacy verbs on an extended CQ (ibv_poll_cq,
 * ibv_req_notify_cq, completion channels, ibv_resize_cq, ibv_destroy_cq).
 *
 * Completions come only from QPs. While the provider has none (create_qp
 * answers EOPNOTSUPP) that part is skipped and says so; once it has, an
 * RC QP pair on the loopback device sends to itself and the completions
 * are read back through ibv_start_poll and the ibv_wc_read_*() accessors,
 * through a completion channel and through ibv_poll_cq.
 */
#include <endian.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

#include "tests/lib/verbs.h"

#define CHECK_CQ_EX_FAILS(ctx, attr, err)                     \
	do {                                                  \
		int __fds = count_fds();                      \
		CHECK_NULL(ibv_create_cq_ex(ctx, attr), err); \
		CHECK_EQ(count_fds(), __fds);                 \
	} while (0)

static uint64_t now_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* No completion event is pending on @ch. */
static int channel_idle(struct ibv_comp_channel *ch)
{
	struct pollfd p = { .fd = ch->fd, .events = POLLIN };

	return poll(&p, 1, 0) == 0;
}

static void check_accessors_set(struct ibv_cq_ex *cq)
{
	CHECK(cq->start_poll && cq->next_poll && cq->end_poll);
	CHECK(cq->read_opcode && cq->read_vendor_err && cq->read_byte_len);
	CHECK(cq->read_imm_data && cq->read_qp_num && cq->read_src_qp);
	CHECK(cq->read_wc_flags && cq->read_slid && cq->read_sl);
	CHECK(cq->read_dlid_path_bits && cq->read_completion_ts);
	CHECK(cq->read_cvlan && cq->read_flow_tag && cq->read_tm_info);
	CHECK(cq->read_completion_wallclock_ns);
}

/* An empty CQ: ENOENT, again and again (no session left open). */
static void check_empty(struct ibv_cq_ex *cq)
{
	struct ibv_poll_cq_attr pattr = { .comp_mask = 0 };
	struct ibv_wc wc[4];
	int i;

	for (i = 0; i < 3; i++)
		CHECK_RET(ibv_start_poll(cq, &pattr), ENOENT);
	pattr.comp_mask = 1;
	CHECK_RET(ibv_start_poll(cq, &pattr), EINVAL);
	pattr.comp_mask = 0;
	CHECK_RET(ibv_start_poll(cq, &pattr), ENOENT);
	CHECK_EQ(ibv_poll_cq(ibv_cq_ex_to_cq(cq), 4, wc), 0);
}

static void check_create(struct ibv_context *ctx,
			 const struct ibv_device_attr *dattr)
{
	struct ibv_cq_init_attr_ex attr;
	struct ibv_cq_ex *cq, *cq2;
	struct ibv_cq *ibcq;
	int tag;

	/* The smallest request: no fields, no flags. */
	memset(&attr, 0, sizeof(attr));
	attr.cqe = 1;
	cq = ibv_create_cq_ex(ctx, &attr);
	REQUIRE(cq);
	CHECK(cq->context == ctx);
	CHECK(cq->cq_context == NULL);
	CHECK(cq->channel == NULL);
	CHECK(cq->cqe >= 1 && cq->cqe <= dattr->max_cqe);
	CHECK_EQ(cq->comp_mask, 0);
	check_accessors_set(cq);
	check_empty(cq);

	/* Every field uroce supports, and the flags. */
	memset(&attr, 0, sizeof(attr));
	attr.cqe = 100;
	attr.cq_context = &tag;
	attr.wc_flags = IBV_WC_STANDARD_FLAGS |
			IBV_WC_EX_WITH_COMPLETION_TIMESTAMP |
			IBV_WC_EX_WITH_COMPLETION_TIMESTAMP_WALLCLOCK;
	attr.comp_mask = IBV_CQ_INIT_ATTR_MASK_FLAGS;
	attr.flags = IBV_CREATE_CQ_ATTR_SINGLE_THREADED;
	attr.comp_vector = ctx->num_comp_vectors - 1;
	cq2 = ibv_create_cq_ex(ctx, &attr);
	REQUIRE(cq2);
	CHECK(cq2 != cq);
	CHECK(cq2->cq_context == &tag);
	CHECK(cq2->cqe >= 100);
	CHECK(cq2->handle != cq->handle);
	check_accessors_set(cq2);
	check_empty(cq2);

	/* The legacy verbs on it. */
	ibcq = ibv_cq_ex_to_cq(cq2);
	CHECK((void *)ibcq == (void *)cq2);
	CHECK(ibcq->context == ctx && ibcq->cq_context == &tag);
	CHECK_RET(ibv_req_notify_cq(ibcq, 0), 0);
	CHECK_RET(ibv_req_notify_cq(ibcq, 1), 0);
	CHECK_RET(ibv_resize_cq(ibcq, 1000), 0);
	CHECK(cq2->cqe >= 1000);
	CHECK_RET(ibv_resize_cq(ibcq, 2), 0);
	CHECK(cq2->cqe >= 2 && cq2->cqe < 1000);
	check_empty(cq2);

	/* The largest. */
	memset(&attr, 0, sizeof(attr));
	attr.cqe = dattr->max_cqe;
	attr.wc_flags = IBV_WC_EX_WITH_COMPLETION_TIMESTAMP;
	cq = ibv_create_cq_ex(ctx, &attr);
	REQUIRE(cq);
	CHECK(cq->cqe >= dattr->max_cqe);
	check_empty(cq);
	CHECK_RET(ibv_destroy_cq(ibv_cq_ex_to_cq(cq)), 0);
	CHECK_RET(ibv_destroy_cq(ibcq), 0);
	/* The first CQ is left for ibv_close_device to free. */
}

static void check_bad(struct ibv_context *ctx,
		      const struct ibv_device_attr *dattr)
{
	static const uint64_t unsupported_wc[] = {
		IBV_WC_EX_WITH_CVLAN,
		IBV_WC_EX_WITH_FLOW_TAG,
		IBV_WC_EX_WITH_TM_INFO,
		1ull << 12,
		1ull << 40,
		IBV_WC_STANDARD_FLAGS | IBV_WC_EX_WITH_CVLAN,
	};
	struct ibv_comp_channel *other_ch, *ch;
	struct ibv_cq_init_attr_ex attr;
	struct ibv_context *other;
	struct ibv_pd *pd;
	size_t i;

	CHECK_CQ_EX_FAILS(ctx, NULL, EINVAL);

	/* Sizes and vectors. */
	memset(&attr, 0, sizeof(attr));
	attr.cqe = 0;
	CHECK_CQ_EX_FAILS(ctx, &attr, EINVAL);
	attr.cqe = dattr->max_cqe + 1;
	CHECK_CQ_EX_FAILS(ctx, &attr, EINVAL);
	attr.cqe = UINT32_MAX;
	CHECK_CQ_EX_FAILS(ctx, &attr, EINVAL);
	attr.cqe = 0x80000000u;
	CHECK_CQ_EX_FAILS(ctx, &attr, EINVAL);
	attr.cqe = 16;
	attr.comp_vector = ctx->num_comp_vectors;
	CHECK_CQ_EX_FAILS(ctx, &attr, EINVAL);
	attr.comp_vector = UINT32_MAX;
	CHECK_CQ_EX_FAILS(ctx, &attr, EINVAL);
	attr.comp_vector = 0;

	/* comp_mask: undefined bits; a PD that is no parent domain. */
	attr.comp_mask = 1u << 2;
	CHECK_CQ_EX_FAILS(ctx, &attr, EINVAL);
	attr.comp_mask = 1u << 31;
	CHECK_CQ_EX_FAILS(ctx, &attr, EINVAL);
	attr.comp_mask = IBV_CQ_INIT_ATTR_MASK_PD;
	attr.parent_domain = NULL;
	CHECK_CQ_EX_FAILS(ctx, &attr, EINVAL);
	pd = ibv_alloc_pd(ctx);
	REQUIRE(pd);
	attr.parent_domain = pd;
	CHECK_CQ_EX_FAILS(ctx, &attr, EINVAL);
	CHECK_RET(ibv_dealloc_pd(pd), 0);
	attr.parent_domain = NULL;

	/* flags: undefined bits; no overrun-ignoring CQs. */
	attr.comp_mask = IBV_CQ_INIT_ATTR_MASK_FLAGS;
	attr.flags = 1u << 2;
	CHECK_CQ_EX_FAILS(ctx, &attr, EINVAL);
	attr.flags = IBV_CREATE_CQ_ATTR_IGNORE_OVERRUN;
	CHECK_CQ_EX_FAILS(ctx, &attr, EOPNOTSUPP);
	attr.flags = IBV_CREATE_CQ_ATTR_IGNORE_OVERRUN |
		     IBV_CREATE_CQ_ATTR_SINGLE_THREADED;
	CHECK_CQ_EX_FAILS(ctx, &attr, EOPNOTSUPP);
	/* flags are looked at only with their comp_mask bit */
	attr.comp_mask = 0;
	{
		struct ibv_cq_ex *cq = ibv_create_cq_ex(ctx, &attr);

		CHECK(cq != NULL);
		if (cq)
			CHECK_RET(ibv_destroy_cq(ibv_cq_ex_to_cq(cq)), 0);
	}
	attr.flags = 0;

	/* Fields uroce never produces. */
	for (i = 0; i < sizeof(unsupported_wc) / sizeof(unsupported_wc[0]);
	     i++) {
		attr.wc_flags = unsupported_wc[i];
		CHECK_CQ_EX_FAILS(ctx, &attr, EOPNOTSUPP);
	}
	attr.wc_flags = 0;

	/* A channel of another context; refusals keep no reference. */
	other = open_dev(TEST_DEV);
	other_ch = ibv_create_comp_channel(other);
	REQUIRE(other_ch);
	attr.channel = other_ch;
	CHECK_CQ_EX_FAILS(ctx, &attr, EINVAL);
	CHECK_RET(ibv_destroy_comp_channel(other_ch), 0);
	CHECK_RET(ibv_close_device(other), 0);

	ch = ibv_create_comp_channel(ctx);
	REQUIRE(ch);
	attr.channel = ch;
	attr.cqe = 0;
	CHECK_CQ_EX_FAILS(ctx, &attr, EINVAL);
	attr.cqe = 16;
	attr.wc_flags = IBV_WC_EX_WITH_FLOW_TAG;
	CHECK_CQ_EX_FAILS(ctx, &attr, EOPNOTSUPP);
	CHECK_RET(ibv_destroy_comp_channel(ch), 0);
}

/* An extended CQ on a completion channel, used through the legacy verbs. */
static void check_channel(struct ibv_context *ctx)
{
	struct ibv_cq_init_attr_ex attr;
	struct ibv_comp_channel *ch;
	struct ibv_cq *ev_cq;
	struct ibv_cq_ex *cq;
	void *ev_ctx;
	int fd, flags, tag;

	ch = ibv_create_comp_channel(ctx);
	REQUIRE(ch);
	memset(&attr, 0, sizeof(attr));
	attr.cqe = 64;
	attr.channel = ch;
	attr.cq_context = &tag;
	attr.wc_flags = IBV_WC_EX_WITH_BYTE_LEN | IBV_WC_EX_WITH_QP_NUM;
	cq = ibv_create_cq_ex(ctx, &attr);
	REQUIRE(cq);
	CHECK(cq->channel == ch);
	CHECK_RET(ibv_req_notify_cq(ibv_cq_ex_to_cq(cq), 0), 0);
	CHECK(channel_idle(ch));

	fd = ch->fd;
	flags = fcntl(fd, F_GETFL);
	REQUIRE(flags >= 0);
	REQUIRE(fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0);
	CHECK_ERRNO(ibv_get_cq_event(ch, &ev_cq, &ev_ctx), EAGAIN);
	REQUIRE(fcntl(fd, F_SETFL, flags) == 0);

	/* The CQ holds the channel. */
	CHECK_RET(ibv_destroy_comp_channel(ch), EBUSY);
	check_empty(cq);
	CHECK_RET(ibv_destroy_cq(ibv_cq_ex_to_cq(cq)), 0);
	CHECK_RET(ibv_destroy_comp_channel(ch), 0);
}

/*
 * The loopback part: an RC QP pair on one CQ. Returns false (skipped)
 * when the provider has no QPs yet.
 */
struct loop {
	struct ibv_pd *pd;
	struct ibv_mr *mr;
	struct ibv_qp *a, *b;
	char buf[2][256];
};

static int qp_connect(struct ibv_qp *qp, uint32_t dest,
		      const union ibv_gid *gid)
{
	struct ibv_qp_attr at;
	int ret;

	memset(&at, 0, sizeof(at));
	at.qp_state = IBV_QPS_INIT;
	at.pkey_index = 0;
	at.port_num = 1;
	at.qp_access_flags = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE;
	ret = ibv_modify_qp(qp, &at,
			    IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT |
				    IBV_QP_ACCESS_FLAGS);
	if (ret)
		return ret;

	memset(&at, 0, sizeof(at));
	at.qp_state = IBV_QPS_RTR;
	at.path_mtu = IBV_MTU_1024;
	at.dest_qp_num = dest;
	at.rq_psn = 0;
	at.max_dest_rd_atomic = 1;
	at.min_rnr_timer = 12;
	at.ah_attr.is_global = 1;
	at.ah_attr.grh.dgid = *gid;
	at.ah_attr.grh.sgid_index = 0;
	at.ah_attr.grh.hop_limit = 64;
	at.ah_attr.port_num = 1;
	ret = ibv_modify_qp(qp, &at,
			    IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
				    IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
				    IBV_QP_MAX_DEST_RD_ATOMIC |
				    IBV_QP_MIN_RNR_TIMER);
	if (ret)
		return ret;

	memset(&at, 0, sizeof(at));
	at.qp_state = IBV_QPS_RTS;
	at.sq_psn = 0;
	at.timeout = 14;
	at.retry_cnt = 7;
	at.rnr_retry = 7;
	at.max_rd_atomic = 1;
	return ibv_modify_qp(qp, &at,
			     IBV_QP_STATE | IBV_QP_SQ_PSN | IBV_QP_TIMEOUT |
				     IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
				     IBV_QP_MAX_QP_RD_ATOMIC);
}

static bool loop_open(struct ibv_context *ctx, struct ibv_cq_ex *cq,
		      struct loop *l)
{
	struct ibv_qp_init_attr qa;
	union ibv_gid gid;
	int ret;

	memset(l, 0, sizeof(*l));
	l->pd = ibv_alloc_pd(ctx);
	REQUIRE(l->pd);
	l->mr = ibv_reg_mr(l->pd, l->buf, sizeof(l->buf),
			   IBV_ACCESS_LOCAL_WRITE);
	REQUIRE(l->mr);

	memset(&qa, 0, sizeof(qa));
	qa.send_cq = ibv_cq_ex_to_cq(cq);
	qa.recv_cq = ibv_cq_ex_to_cq(cq);
	qa.qp_type = IBV_QPT_RC;
	qa.cap.max_send_wr = 8;
	qa.cap.max_recv_wr = 8;
	qa.cap.max_send_sge = 1;
	qa.cap.max_recv_sge = 1;
	errno = 0;
	l->a = ibv_create_qp(l->pd, &qa);
	if (!l->a && errno == EOPNOTSUPP) {
		CHECK_RET(ibv_dereg_mr(l->mr), 0);
		CHECK_RET(ibv_dealloc_pd(l->pd), 0);
		return false;
	}
	REQUIRE(l->a);
	l->b = ibv_create_qp(l->pd, &qa);
	REQUIRE(l->b);
	REQUIRE(ibv_query_gid(ctx, 1, 0, &gid) == 0);
	ret = qp_connect(l->a, l->b->qp_num, &gid);
	CHECK_RET(ret, 0);
	if (!ret) {
		ret = qp_connect(l->b, l->a->qp_num, &gid);
		CHECK_RET(ret, 0);
	}
	REQUIRE(ret == 0);
	return true;
}

static void loop_close(struct loop *l)
{
	CHECK_RET(ibv_destroy_qp(l->a), 0);
	CHECK_RET(ibv_destroy_qp(l->b), 0);
	CHECK_RET(ibv_dereg_mr(l->mr), 0);
	CHECK_RET(ibv_dealloc_pd(l->pd), 0);
}

/* Posts a receive on b and a SEND_WITH_IMM of @len bytes from a. */
static void loop_send(struct loop *l, uint32_t len, uint32_t imm, int id)
{
	struct ibv_sge rs = { (uintptr_t)l->buf[1], sizeof(l->buf[1]),
			      l->mr->lkey };
	struct ibv_sge ss = { (uintptr_t)l->buf[0], len, l->mr->lkey };
	struct ibv_recv_wr rwr = { .wr_id = 1000 + id,
				   .sg_list = &rs,
				   .num_sge = 1 };
	struct ibv_send_wr swr = { .wr_id = id,
				   .sg_list = &ss,
				   .num_sge = 1,
				   .opcode = IBV_WR_SEND_WITH_IMM,
				   .send_flags = IBV_SEND_SIGNALED,
				   .imm_data = htobe32(imm) };
	struct ibv_recv_wr *bad_r;
	struct ibv_send_wr *bad_s;

	memset(l->buf[0], id, len);
	CHECK_RET(ibv_post_recv(l->b, &rwr, &bad_r), 0);
	CHECK_RET(ibv_post_send(l->a, &swr, &bad_s), 0);
}

/* Reads one completion through the accessors and checks it. */
static void check_wc(struct ibv_cq_ex *cq, struct loop *l, uint32_t len,
		     uint32_t imm, int id, int *seen)
{
	uint64_t ts = ibv_wc_read_completion_ts(cq);
	uint64_t wall = ibv_wc_read_completion_wallclock_ns(cq);
	uint64_t mono = now_ns(CLOCK_MONOTONIC);
	uint64_t real = now_ns(CLOCK_REALTIME);
	struct ibv_wc_tm_info tm = { 1, 1 };

	CHECK_EQ(cq->status, IBV_WC_SUCCESS);
	CHECK(ts != 0 && ts <= mono && mono - ts < 10000000000ull);
	CHECK(wall < real + 1000000000ull && wall + 10000000000ull > real);
	CHECK_EQ(ibv_wc_read_vendor_err(cq), 0);
	CHECK_EQ(ibv_wc_read_cvlan(cq), 0);
	CHECK_EQ(ibv_wc_read_flow_tag(cq), 0);
	ibv_wc_read_tm_info(cq, &tm);
	CHECK(tm.tag == 0 && tm.priv == 0);
	if (cq->wr_id == (uint64_t)id) {
		CHECK_EQ(ibv_wc_read_opcode(cq), IBV_WC_SEND);
		CHECK_EQ(ibv_wc_read_qp_num(cq), l->a->qp_num);
		*seen |= 1;
	} else if (cq->wr_id == (uint64_t)1000 + id) {
		CHECK_EQ(ibv_wc_read_opcode(cq), IBV_WC_RECV);
		CHECK_EQ(ibv_wc_read_qp_num(cq), l->b->qp_num);
		CHECK_EQ(ibv_wc_read_byte_len(cq), len);
		CHECK(ibv_wc_read_wc_flags(cq) & IBV_WC_WITH_IMM);
		CHECK_EQ(be32toh(ibv_wc_read_imm_data(cq)), imm);
		CHECK_EQ(l->buf[1][len - 1], (char)id);
		*seen |= 2;
	} else {
		CHECK(!"unexpected wr_id");
	}
}

/* Polls with ibv_start_poll until both completions of @id are in. */
static void poll_both(struct ibv_cq_ex *cq, struct loop *l, uint32_t len,
		      uint32_t imm, int id)
{
	struct ibv_poll_cq_attr pattr = { 0 };
	uint64_t end = now_ns(CLOCK_MONOTONIC) + 10000000000ull;
	int seen = 0, ret;

	while (seen != 3 && now_ns(CLOCK_MONOTONIC) < end) {
		ret = ibv_start_poll(cq, &pattr);
		if (ret == ENOENT)
			continue;
		CHECK_RET(ret, 0);
		if (ret)
			return;
		do
			check_wc(cq, l, len, imm, id, &seen);
		while (!ibv_next_poll(cq));
		ibv_end_poll(cq);
	}
	CHECK_EQ(seen, 3);
}

static void check_loopback(struct ibv_context *ctx)
{
	struct ibv_cq_init_attr_ex attr;
	struct ibv_comp_channel *ch;
	struct pollfd pfd;
	struct ibv_cq *ev_cq, *ibcq;
	struct ibv_cq_ex *cq;
	struct ibv_wc wc[4];
	struct loop l;
	void *ev_ctx;
	int n, got;
	uint64_t end;

	ch = ibv_create_comp_channel(ctx);
	REQUIRE(ch);
	memset(&attr, 0, sizeof(attr));
	attr.cqe = 16;
	attr.channel = ch;
	attr.wc_flags = IBV_WC_STANDARD_FLAGS |
			IBV_WC_EX_WITH_COMPLETION_TIMESTAMP |
			IBV_WC_EX_WITH_COMPLETION_TIMESTAMP_WALLCLOCK;
	cq = ibv_create_cq_ex(ctx, &attr);
	REQUIRE(cq);
	ibcq = ibv_cq_ex_to_cq(cq);

	if (!loop_open(ctx, cq, &l)) {
		printf("loopback: no QPs yet (create_qp: EOPNOTSUPP), "
		       "completions not tested\n");
		goto out;
	}

	/* start_poll / next_poll / end_poll with every accessor. */
	loop_send(&l, 100, 0x12345678, 1);
	poll_both(cq, &l, 100, 0x12345678, 1);
	CHECK_RET(ibv_start_poll(cq, &(struct ibv_poll_cq_attr){ 0 }), ENOENT);

	/* A completion event for the armed CQ, then the same completions. */
	CHECK_RET(ibv_req_notify_cq(ibcq, 0), 0);
	loop_send(&l, 7, 7, 2);
	pfd.fd = ch->fd;
	pfd.events = POLLIN;
	CHECK_EQ(poll(&pfd, 1, 10000), 1);
	CHECK_EQ(ibv_get_cq_event(ch, &ev_cq, &ev_ctx), 0);
	CHECK(ev_cq == ibcq);
	ibv_ack_cq_events(ev_cq, 1);
	poll_both(cq, &l, 7, 7, 2);

	/* ibv_poll_cq on the same CQ. */
	loop_send(&l, 1, 3, 3);
	end = now_ns(CLOCK_MONOTONIC) + 10000000000ull;
	for (got = 0; got < 2 && now_ns(CLOCK_MONOTONIC) < end; got += n) {
		n = ibv_poll_cq(ibcq, 4, wc + got);
		CHECK(n >= 0);
		if (n < 0)
			break;
	}
	CHECK_EQ(got, 2);
	CHECK_EQ(wc[0].status, IBV_WC_SUCCESS);
	CHECK_EQ(wc[1].status, IBV_WC_SUCCESS);
	loop_close(&l);
	printf("loopback: completions read through start_poll, a channel "
	       "and ibv_poll_cq\n");
out:
	CHECK_RET(ibv_destroy_cq(ibcq), 0);
	CHECK_RET(ibv_destroy_comp_channel(ch), 0);
}

int main(void)
{
	struct ibv_device_attr dattr;
	struct ibv_context *ctx;
	int fds;

	alarm(120); /* a poll session left locked would hang */
	test_env();
	fds = count_fds();
	ctx = open_dev(TEST_DEV);
	REQUIRE(ibv_query_device(ctx, &dattr) == 0);

	check_create(ctx, &dattr);
	check_bad(ctx, &dattr);
	check_channel(ctx);
	check_loopback(ctx);

	CHECK_RET(ibv_query_device(ctx, &dattr), 0);
	CHECK_RET(ibv_close_device(ctx), 0);
	CHECK_EQ(count_fds(), fds);
	return check_report("test_cq_ex");
}
