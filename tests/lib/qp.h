/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The QP setup of the test programs: an RC QP on one CQ, and the
 * RESET -> INIT -> RTR -> RTS transitions towards a peer that the CM would
 * otherwise make. What differs between programs (MTU, accesses, retries)
 * is a struct test_conn; the rest is common: port 1, the peer's GID as a
 * global route from GID 0, a minimum RNR timer of 1 (0.01 ms).
 * A failed verb ends the test (REQUIRE).
 */
#ifndef UROCE_TESTS_LIB_QP_H
#define UROCE_TESTS_LIB_QP_H

#include <stdint.h>
#include <string.h>
#include <infiniband/verbs.h>

#include "tests/lib/check.h"

struct test_conn {
	unsigned int access; /* RC, UC: the remote accesses (INIT) */
	uint32_t qkey; /* UD (INIT) */
	enum ibv_mtu mtu; /* RC, UC (RTR) */
	uint8_t hop_limit; /* RC, UC (RTR) */
	uint8_t rd_atomic; /* RC: max_dest_rd_atomic and max_rd_atomic */
	uint8_t timeout; /* RC (RTS) */
	uint8_t retry_cnt; /* RC (RTS) */
	uint8_t rnr_retry; /* RC (RTS) */
	uint8_t sgid_index; /* RC, UC (RTR): the source GID */
};

/* The start of a test_conn: every remote access, MTU 1024, one hop. */
#define TEST_CONN_ALL_ACCESS                                         \
	.access = IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ | \
		  IBV_ACCESS_REMOTE_ATOMIC,                          \
	.mtu = IBV_MTU_1024, .hop_limit = 1

/* An RC QP of @pd that sends and receives on @cq, of capacities @cap. */
static inline struct ibv_qp *test_rc_qp(struct ibv_pd *pd, struct ibv_cq *cq,
					const struct ibv_qp_cap *cap)
{
	struct ibv_qp_init_attr ia;
	struct ibv_qp *qp;

	memset(&ia, 0, sizeof(ia));
	ia.send_cq = cq;
	ia.recv_cq = cq;
	ia.qp_type = IBV_QPT_RC;
	ia.cap = *cap;
	qp = ibv_create_qp(pd, &ia);
	REQUIRE(qp);
	return qp;
}

static inline void test_qp_reset(struct ibv_qp *qp)
{
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_RESET };

	REQUIRE(!ibv_modify_qp(qp, &a, IBV_QP_STATE));
}

static inline void test_qp_init(struct ibv_qp *qp, const struct test_conn *c)
{
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_INIT, .port_num = 1 };
	int mask = IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT;

	if (qp->qp_type == IBV_QPT_UD) {
		a.qkey = c->qkey;
		mask |= IBV_QP_QKEY;
	} else {
		a.qp_access_flags = c->access;
		mask |= IBV_QP_ACCESS_FLAGS;
	}
	REQUIRE(!ibv_modify_qp(qp, &a, mask));
}

/* RTR towards QP @dqpn at @dgid (RC, UC; a UD QP needs neither). */
static inline void test_qp_rtr(struct ibv_qp *qp, const struct test_conn *c,
			       const union ibv_gid *dgid, uint32_t dqpn,
			       uint32_t rq_psn)
{
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_RTR };
	int mask = IBV_QP_STATE;

	if (qp->qp_type != IBV_QPT_UD) {
		a.path_mtu = c->mtu;
		a.dest_qp_num = dqpn;
		a.rq_psn = rq_psn;
		a.ah_attr.is_global = 1;
		a.ah_attr.grh.dgid = *dgid;
		a.ah_attr.grh.hop_limit = c->hop_limit;
		a.ah_attr.grh.sgid_index = c->sgid_index;
		a.ah_attr.port_num = 1;
		mask |= IBV_QP_AV | IBV_QP_PATH_MTU | IBV_QP_DEST_QPN |
			IBV_QP_RQ_PSN;
	}
	if (qp->qp_type == IBV_QPT_RC) {
		a.max_dest_rd_atomic = c->rd_atomic;
		a.min_rnr_timer = 1;
		mask |= IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER;
	}
	REQUIRE(!ibv_modify_qp(qp, &a, mask));
}

static inline void test_qp_rts(struct ibv_qp *qp, const struct test_conn *c,
			       uint32_t sq_psn)
{
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_RTS, .sq_psn = sq_psn };
	int mask = IBV_QP_STATE | IBV_QP_SQ_PSN;

	if (qp->qp_type == IBV_QPT_RC) {
		a.timeout = c->timeout;
		a.retry_cnt = c->retry_cnt;
		a.rnr_retry = c->rnr_retry;
		a.max_rd_atomic = c->rd_atomic;
		mask |= IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
			IBV_QP_MAX_QP_RD_ATOMIC;
	}
	REQUIRE(!ibv_modify_qp(qp, &a, mask));
}

/* INIT, RTR and RTS towards QP @dqpn at @dgid, from RESET. */
static inline void test_qp_connect(struct ibv_qp *qp, const struct test_conn *c,
				   const union ibv_gid *dgid, uint32_t dqpn,
				   uint32_t rq_psn, uint32_t sq_psn)
{
	test_qp_init(qp, c);
	test_qp_rtr(qp, c, dgid, dqpn, rq_psn);
	test_qp_rts(qp, c, sq_psn);
}

#endif /* UROCE_TESTS_LIB_QP_H */
