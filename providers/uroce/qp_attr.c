// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The QP state transitions of the IBTA (vol. 1, ch. 10.3 and 11.2.5),
 * with the attributes Modify QP requires and accepts on each, for RC, UC
 * and UD QPs; and the ranges of the attribute values. See qp_attr.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#include "providers/uroce/caps.h"
#include "providers/uroce/gid.h"
#include "providers/uroce/qp_attr.h"
#include "providers/uroce/uroce.h"

enum { T_RC, T_UC, T_UD, T_NUM };

/* Attribute mask names, short enough for the table to stay readable. */
#define CUR IBV_QP_CUR_STATE
#define SQD_NOTIFY IBV_QP_EN_SQD_ASYNC_NOTIFY
#define ACCESS IBV_QP_ACCESS_FLAGS
#define PKEY IBV_QP_PKEY_INDEX
#define PORT IBV_QP_PORT
#define QKEY IBV_QP_QKEY
#define AV IBV_QP_AV
#define MTU IBV_QP_PATH_MTU
#define TIMEOUT IBV_QP_TIMEOUT
#define RETRY IBV_QP_RETRY_CNT
#define RNR_RETRY IBV_QP_RNR_RETRY
#define RQ_PSN IBV_QP_RQ_PSN
#define RD_ATOMIC IBV_QP_MAX_QP_RD_ATOMIC
#define ALT IBV_QP_ALT_PATH
#define RNR_TIMER IBV_QP_MIN_RNR_TIMER
#define SQ_PSN IBV_QP_SQ_PSN
#define DEST_RD_ATOMIC IBV_QP_MAX_DEST_RD_ATOMIC
#define MIG IBV_QP_PATH_MIG_STATE
#define DEST_QPN IBV_QP_DEST_QPN

/*
 * One transition: what it requires and what it also accepts, per type
 * (indexed T_RC, T_UC, T_UD). The transitions to RESET and ERR take no
 * attribute and are not listed: see trans_find().
 */
struct qp_trans {
	enum ibv_qp_state from, to;
	int req[T_NUM];
	int opt[T_NUM];
};

static const struct qp_trans trans_table[] = {
	{ IBV_QPS_RESET, IBV_QPS_INIT,
	  .req = { [T_RC] = PKEY | PORT | ACCESS,
		   [T_UC] = PKEY | PORT | ACCESS,
		   [T_UD] = PKEY | PORT | QKEY } },
	{ IBV_QPS_INIT, IBV_QPS_INIT,
	  .opt = { [T_RC] = PKEY | PORT | ACCESS,
		   [T_UC] = PKEY | PORT | ACCESS,
		   [T_UD] = PKEY | PORT | QKEY } },
	{ IBV_QPS_INIT, IBV_QPS_RTR,
	  .req = { [T_RC] = AV | MTU | DEST_QPN | RQ_PSN | DEST_RD_ATOMIC |
			    RNR_TIMER,
		   [T_UC] = AV | MTU | DEST_QPN | RQ_PSN },
	  .opt = { [T_RC] = ALT | ACCESS | PKEY,
		   [T_UC] = ALT | ACCESS | PKEY,
		   [T_UD] = PKEY | QKEY } },
	{ IBV_QPS_RTR, IBV_QPS_RTS,
	  .req = { [T_RC] = SQ_PSN | TIMEOUT | RETRY | RNR_RETRY | RD_ATOMIC,
		   [T_UC] = SQ_PSN,
		   [T_UD] = SQ_PSN },
	  .opt = { [T_RC] = CUR | ALT | ACCESS | RNR_TIMER | MIG,
		   [T_UC] = CUR | ALT | ACCESS | MIG,
		   [T_UD] = CUR | QKEY } },
	{ IBV_QPS_RTS, IBV_QPS_RTS,
	  .opt = { [T_RC] = CUR | ALT | ACCESS | RNR_TIMER | MIG,
		   [T_UC] = CUR | ALT | ACCESS | MIG,
		   [T_UD] = CUR | QKEY } },
	{ IBV_QPS_RTS, IBV_QPS_SQD,
	  .opt = { [T_RC] = SQD_NOTIFY,
		   [T_UC] = SQD_NOTIFY,
		   [T_UD] = SQD_NOTIFY, } },
	{ IBV_QPS_SQD, IBV_QPS_RTS,
	  .opt = { [T_RC] = CUR | ALT | ACCESS | RNR_TIMER | MIG,
		   [T_UC] = CUR | ALT | ACCESS | MIG,
		   [T_UD] = CUR | QKEY } },
	/* While drained, the path and most parameters may change. */
	{ IBV_QPS_SQD, IBV_QPS_SQD,
	  .opt = { [T_RC] = PORT | AV | ALT | PKEY | ACCESS | MIG | TIMEOUT |
			    RETRY | RNR_RETRY | RNR_TIMER | RD_ATOMIC |
			    DEST_RD_ATOMIC,
		   [T_UC] = AV | ALT | PKEY | ACCESS | MIG,
		   [T_UD] = PKEY | QKEY } },
	/*
	 * SQE is the send queue error state of UC and UD QPs; an RC QP goes
	 * to ERR instead and never gets here, so it takes nothing else.
	 */
	{ IBV_QPS_SQE, IBV_QPS_RTS,
	  .opt = { [T_UC] = CUR | ACCESS, [T_UD] = CUR | QKEY } },
};

/* A transition that takes no attribute (to RESET, to ERR). */
static const struct qp_trans trans_bare;

static int type_index(enum ibv_qp_type type)
{
	switch (type) {
	case IBV_QPT_RC:
		return T_RC;
	case IBV_QPT_UC:
		return T_UC;
	case IBV_QPT_UD:
		return T_UD;
	default:
		/* RAW_PACKET, XRC, DRIVER: uroce creates none of them. */
		return -1;
	}
}

static bool is_state(enum ibv_qp_state s)
{
	return (unsigned int)s <= IBV_QPS_ERR;
}

/* The row for @from -> @to, or NULL if the IBTA has no such transition. */
static const struct qp_trans *trans_find(enum ibv_qp_state from,
					 enum ibv_qp_state to)
{
	size_t i;

	if (to == IBV_QPS_RESET)
		return &trans_bare;
	if (to == IBV_QPS_ERR)
		return from == IBV_QPS_RESET ? NULL : &trans_bare;
	for (i = 0; i < sizeof(trans_table) / sizeof(trans_table[0]); i++)
		if (trans_table[i].from == from && trans_table[i].to == to)
			return &trans_table[i];
	return NULL;
}

int uroce_qp_attr_check(enum ibv_qp_type type, enum ibv_qp_state cur,
			enum ibv_qp_state next, int attr_mask)
{
	const struct qp_trans *t;
	int idx = type_index(type);
	unsigned int req, allowed, mask = attr_mask;

	if (idx < 0 || !is_state(cur) || !is_state(next))
		return EINVAL;
	t = trans_find(cur, next);
	if (!t)
		return EINVAL;
	req = t->req[idx];
	allowed = req | t->opt[idx] | IBV_QP_STATE;
	if ((mask & req) != req || (mask & ~allowed))
		return EINVAL;
	return 0;
}

static int check_av(const struct ibv_ah_attr *ah)
{
	if (ah->port_num != UROCE_PORT || !ah->is_global)
		return EINVAL;
	if (ah->grh.sgid_index >= UROCE_GID_TBL_LEN || ah->sl > 15)
		return EINVAL;
	return 0;
}

int uroce_qp_attr_values_check(const struct ibv_qp_attr *attr, int attr_mask)
{
	if ((attr_mask & IBV_QP_STATE) && !is_state(attr->qp_state))
		return EINVAL;
	if ((attr_mask & IBV_QP_CUR_STATE) && !is_state(attr->cur_qp_state))
		return EINVAL;
	if ((attr_mask & PKEY) && attr->pkey_index >= UROCE_MAX_PKEYS)
		return EINVAL;
	if ((attr_mask & PORT) && attr->port_num != UROCE_PORT)
		return EINVAL;
	if ((attr_mask & AV) && check_av(&attr->ah_attr))
		return EINVAL;
	if ((attr_mask & MTU) &&
	    (attr->path_mtu < IBV_MTU_256 || attr->path_mtu > IBV_MTU_4096))
		return EINVAL;
	if ((attr_mask & TIMEOUT) && attr->timeout > 31)
		return EINVAL;
	if ((attr_mask & RNR_TIMER) && attr->min_rnr_timer > 31)
		return EINVAL;
	if ((attr_mask & RETRY) && attr->retry_cnt > 7)
		return EINVAL;
	if ((attr_mask & RNR_RETRY) && attr->rnr_retry > 7)
		return EINVAL;
	if ((attr_mask & RD_ATOMIC) &&
	    attr->max_rd_atomic > UROCE_MAX_QP_INIT_RD_ATOM)
		return EINVAL;
	if ((attr_mask & DEST_RD_ATOMIC) &&
	    attr->max_dest_rd_atomic > UROCE_MAX_QP_RD_ATOM)
		return EINVAL;
	if ((attr_mask & DEST_QPN) && attr->dest_qp_num > 0xffffff)
		return EINVAL;
	if (attr_mask & ALT)
		return EINVAL;
	if ((attr_mask & MIG) && attr->path_mig_state != IBV_MIG_MIGRATED)
		return EINVAL;
	return 0;
}

int uroce_qp_modify_check(enum ibv_qp_type type, enum ibv_qp_state state,
			  const struct ibv_qp_attr *attr, int attr_mask)
{
	enum ibv_qp_state next = state;
	int ret;

	if (!attr)
		return EINVAL;
	if ((attr_mask & IBV_QP_CUR_STATE) && attr->cur_qp_state != state)
		return EINVAL;
	if (attr_mask & IBV_QP_STATE)
		next = attr->qp_state;
	ret = uroce_qp_attr_check(type, state, next, attr_mask);
	if (ret)
		return ret;
	return uroce_qp_attr_values_check(attr, attr_mask);
}
