// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Verbs the provider does not implement fail as rdma-core's do for an
 * unsupported operation: EOPNOTSUPP (NULL and errno EOPNOTSUPP), never a
 * crash, and leave everything as it was. Verbs that uroce is to implement
 * (QPs, SRQs, AHs, MWs, extended CQs...) may instead work: then the object
 * is destroyed again. Each verb's outcome is printed.
 */
#include <fcntl.h>
#include <unistd.h>

#include "tests/lib/verbs.h"

static struct ibv_context *ctx;
static struct ibv_pd *pd;
static struct ibv_cq *cq;
static struct ibv_mr *mr;
static char buf[4096];
static int fds;

/* After a failure: the context works, the fds are the same. */
static void check_unharmed(const char *verb)
{
	struct ibv_device_attr attr;
	struct ibv_port_attr pattr;

	if (ibv_query_device(ctx, &attr) || ibv_query_port(ctx, 1, &pattr) ||
	    count_fds() != fds) {
		fprintf(stderr, "context harmed after %s\n", verb);
		check_failures++;
	}
}

static void outcome(const char *verb, int supported)
{
	printf("%-28s %s\n", verb, supported ? "supported" : "EOPNOTSUPP");
	/*
	 * A verb that worked may leave per-context resources behind on
	 * purpose (the first QP opens the context's UDP socket): the fds a
	 * later failure must not change are counted anew.
	 */
	if (supported)
		fds = count_fds();
	else
		check_unharmed(verb);
}

/* A verb uroce does not provide at all: must fail with EOPNOTSUPP. */
#define UNSUPPORTED_PTR(call)                 \
	do {                                  \
		CHECK_NULL(call, EOPNOTSUPP); \
		outcome(#call, 0);            \
	} while (0)

#define UNSUPPORTED_INT(call)                \
	do {                                 \
		CHECK_RET(call, EOPNOTSUPP); \
		outcome(#call, 0);           \
	} while (0)

/*
 * A verb uroce may provide: NULL and EOPNOTSUPP, or an object that
 * @destroy (an expression of 'obj') frees with 0.
 */
#define MAYBE_PTR(type, call, destroy)               \
	do {                                         \
		type *obj;                           \
		errno = 0;                           \
		obj = (call);                        \
		if (obj) {                           \
			CHECK_RET(destroy, 0);       \
		} else {                             \
			CHECK_EQ(errno, EOPNOTSUPP); \
		}                                    \
		outcome(#call, obj != NULL);         \
	} while (0)

static void check_objects(void)
{
	struct ibv_srq_init_attr srq_attr = {
		.attr = { .max_wr = 16, .max_sge = 1 },
	};
	struct ibv_srq_init_attr_ex srq_ex = {
		.attr = { .max_wr = 16, .max_sge = 1 },
		.comp_mask = IBV_SRQ_INIT_ATTR_PD | IBV_SRQ_INIT_ATTR_TYPE |
			     IBV_SRQ_INIT_ATTR_CQ,
		.srq_type = IBV_SRQT_BASIC,
	};
	struct ibv_qp_init_attr qp_attr = {
		.send_cq = NULL,
		.recv_cq = NULL,
		.cap = { .max_send_wr = 16,
			 .max_recv_wr = 16,
			 .max_send_sge = 1,
			 .max_recv_sge = 1 },
		.qp_type = IBV_QPT_RC,
	};
	struct ibv_qp_init_attr_ex qp_ex = {
		.cap = { .max_send_wr = 16,
			 .max_recv_wr = 16,
			 .max_send_sge = 1,
			 .max_recv_sge = 1 },
		.qp_type = IBV_QPT_RC,
		.comp_mask = IBV_QP_INIT_ATTR_PD |
			     IBV_QP_INIT_ATTR_SEND_OPS_FLAGS,
		.send_ops_flags = IBV_QP_EX_WITH_SEND,
	};
	struct ibv_ah_attr ah_attr = {
		.is_global = 1,
		.grh = { .sgid_index = 0, .hop_limit = 64 },
		.port_num = 1,
	};
	struct ibv_cq_init_attr_ex cq_ex = { .cqe = 16 };
	struct ibv_parent_domain_init_attr pdom = { .pd = pd };
	struct ibv_modify_cq_attr mod = {
		.attr_mask = IBV_CQ_ATTR_MODERATE,
		.moderate = { .cq_count = 4, .cq_period = 10 },
	};

	qp_attr.send_cq = cq;
	qp_attr.recv_cq = cq;
	qp_ex.send_cq = cq;
	qp_ex.recv_cq = cq;
	qp_ex.pd = pd;
	srq_ex.pd = pd;
	srq_ex.cq = cq;
	ah_attr.grh.dgid.raw[10] = 0xff;
	ah_attr.grh.dgid.raw[11] = 0xff;
	ah_attr.grh.dgid.raw[12] = 127;
	ah_attr.grh.dgid.raw[15] = 1;

	MAYBE_PTR(struct ibv_mw, ibv_alloc_mw(pd, IBV_MW_TYPE_1),
		  ibv_dealloc_mw(obj));
	MAYBE_PTR(struct ibv_mw, ibv_alloc_mw(pd, IBV_MW_TYPE_2),
		  ibv_dealloc_mw(obj));
	MAYBE_PTR(struct ibv_srq, ibv_create_srq(pd, &srq_attr),
		  ibv_destroy_srq(obj));
	MAYBE_PTR(struct ibv_srq, ibv_create_srq_ex(ctx, &srq_ex),
		  ibv_destroy_srq(obj));
	MAYBE_PTR(struct ibv_qp, ibv_create_qp(pd, &qp_attr),
		  ibv_destroy_qp(obj));
	qp_attr.qp_type = IBV_QPT_UD;
	MAYBE_PTR(struct ibv_qp, ibv_create_qp(pd, &qp_attr),
		  ibv_destroy_qp(obj));
	MAYBE_PTR(struct ibv_qp, ibv_create_qp_ex(ctx, &qp_ex),
		  ibv_destroy_qp(obj));
	MAYBE_PTR(struct ibv_ah, ibv_create_ah(pd, &ah_attr),
		  ibv_destroy_ah(obj));
	MAYBE_PTR(struct ibv_cq_ex, ibv_create_cq_ex(ctx, &cq_ex),
		  ibv_destroy_cq(ibv_cq_ex_to_cq(obj)));
	MAYBE_PTR(struct ibv_pd, ibv_alloc_parent_domain(ctx, &pdom),
		  ibv_dealloc_pd(obj));

	/* Whatever the provider supports, NULL attributes are refused. */
	CHECK_NULL(ibv_create_srq(pd, NULL), EINVAL);
	CHECK_NULL(ibv_create_srq(NULL, &srq_attr), EINVAL);
	CHECK_NULL(ibv_create_qp(pd, NULL), EINVAL);
	CHECK_NULL(ibv_create_qp(NULL, &qp_attr), EINVAL);
	CHECK_NULL(ibv_create_ah(pd, NULL), EINVAL);
	CHECK_NULL(ibv_create_ah(NULL, &ah_attr), EINVAL);
	check_unharmed("NULL attributes");

	{
		int ret = ibv_modify_cq(cq, &mod);

		CHECK(ret == 0 || ret == EOPNOTSUPP);
		outcome("ibv_modify_cq(cq, &mod)", ret == 0);
	}
	{
		int ret;

		errno = 0;
		ret = ibv_rereg_mr(mr, IBV_REREG_MR_CHANGE_ACCESS, NULL, NULL,
				   0, IBV_ACCESS_LOCAL_WRITE);
		if (ret) {
			CHECK_EQ(ret, IBV_REREG_MR_ERR_CMD);
			CHECK_EQ(errno, EOPNOTSUPP);
		}
		outcome("ibv_rereg_mr(CHANGE_ACCESS)", ret == 0);
		/* Bad flags are refused whatever the provider does. */
		errno = 0;
		CHECK_EQ(ibv_rereg_mr(mr, 0, NULL, NULL, 0, 0),
			 IBV_REREG_MR_ERR_INPUT);
		CHECK_EQ(errno, EINVAL);
		errno = 0;
		CHECK_EQ(ibv_rereg_mr(mr, IBV_REREG_MR_CHANGE_PD, NULL, NULL, 0,
				      0),
			 IBV_REREG_MR_ERR_INPUT);
		CHECK_EQ(errno, EINVAL);
		errno = 0;
		CHECK_EQ(ibv_rereg_mr(NULL, IBV_REREG_MR_CHANGE_ACCESS, NULL,
				      NULL, 0, 0),
			 IBV_REREG_MR_ERR_INPUT);
		CHECK_EQ(errno, EINVAL);
	}
}

static void check_never(void)
{
	struct ibv_xrcd_init_attr xrcd = {
		.comp_mask = IBV_XRCD_INIT_ATTR_FD | IBV_XRCD_INIT_ATTR_OFLAGS,
		.fd = -1,
		.oflags = O_CREAT,
	};
	struct ibv_alloc_dm_attr dm = { .length = 4096 };
	struct ibv_td_init_attr td = {};
	struct ibv_wq_init_attr wq = {
		.wq_type = IBV_WQT_RQ,
		.max_wr = 16,
		.max_sge = 1,
	};
	struct ibv_rwq_ind_table_init_attr ind = {};
	struct ibv_counters_init_attr counters = {};
	struct ibv_flow_action_esp_attr esp = {};
	struct ibv_qp_open_attr open_qp = {};
	struct ibv_values_ex values = { .comp_mask =
						IBV_VALUES_MASK_RAW_CLOCK };
	struct ibv_sge sge = {
		.addr = (uintptr_t)buf,
		.length = sizeof(buf),
		.lkey = mr->lkey,
	};

	wq.pd = pd;
	wq.cq = cq;

	UNSUPPORTED_PTR(ibv_open_xrcd(ctx, &xrcd));
	UNSUPPORTED_PTR(ibv_alloc_dm(ctx, &dm));
	UNSUPPORTED_PTR(ibv_alloc_td(ctx, &td));
	UNSUPPORTED_PTR(ibv_create_wq(ctx, &wq));
	UNSUPPORTED_PTR(ibv_create_rwq_ind_table(ctx, &ind));
	UNSUPPORTED_PTR(ibv_create_counters(ctx, &counters));
	UNSUPPORTED_PTR(ibv_create_flow_action_esp(ctx, &esp));
	UNSUPPORTED_PTR(ibv_open_qp(ctx, &open_qp));
	UNSUPPORTED_PTR(ibv_alloc_null_mr(pd));
	UNSUPPORTED_PTR(ibv_import_device(-1));
	/* cmd_fd is an open fd (an importer gets EOPNOTSUPP, not EBADF). */
	{
		int dup_fd = dup(ctx->cmd_fd);

		CHECK(dup_fd >= 0);
		fds = count_fds();
		UNSUPPORTED_PTR(ibv_import_device(dup_fd));
		CHECK_RET(close(dup_fd), 0);
		fds = count_fds();
	}
	UNSUPPORTED_PTR(ibv_import_pd(ctx, pd->handle));
	UNSUPPORTED_PTR(ibv_import_mr(pd, mr->handle));
	UNSUPPORTED_PTR(ibv_import_dm(ctx, 1));
	UNSUPPORTED_PTR(
		ibv_reg_dmabuf_mr(pd, 0, 4096, 0, 0, IBV_ACCESS_LOCAL_WRITE));
	UNSUPPORTED_INT(ibv_query_rt_values_ex(ctx, &values));
	/* ODP is supported (verbs_odp); advice on a non-ODP MR is EINVAL. */
	CHECK_RET(ibv_advise_mr(pd, IBV_ADVISE_MR_ADVICE_PREFETCH, 0, &sge, 1),
		  EINVAL);
	{
		struct ibv_qp_init_attr ia = {
			.send_cq = cq,
			.recv_cq = cq,
			.cap = { .max_send_wr = 1, .max_recv_wr = 1 },
			.qp_type = IBV_QPT_RC,
		};
		struct ibv_ece ece = {};
		struct ibv_qp *qp = ibv_create_qp(pd, &ia);

		REQUIRE(qp);
		fds = count_fds();
		UNSUPPORTED_INT(ibv_query_ece(qp, &ece));
		UNSUPPORTED_INT(ibv_set_ece(qp, &ece));
		CHECK_RET(ibv_destroy_qp(qp), 0);
	}
}

int main(void)
{
	test_env();
	fds = count_fds();
	ctx = open_dev(TEST_DEV);
	pd = ibv_alloc_pd(ctx);
	REQUIRE(pd);
	cq = ibv_create_cq(ctx, 64, NULL, NULL, 0);
	REQUIRE(cq);
	mr = ibv_reg_mr(pd, buf, sizeof(buf), IBV_ACCESS_LOCAL_WRITE);
	REQUIRE(mr);
	fds = count_fds();

	check_objects();
	check_never();

	/* Each object goes exactly once, as if nothing had been tried. */
	CHECK_RET(ibv_dealloc_pd(pd), EBUSY);
	CHECK_RET(ibv_dereg_mr(mr), 0);
	CHECK_RET(ibv_dealloc_pd(pd), 0);
	CHECK_RET(ibv_destroy_cq(cq), 0);
	CHECK_RET(ibv_close_device(ctx), 0);
	return check_report("verbs_unsupported");
}
