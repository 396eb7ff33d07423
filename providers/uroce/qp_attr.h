/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ibv_modify_qp's checks: the IBTA QP state transitions with the required
 * and optional attributes of each, per QP type, and the ranges of the
 * attribute values. Pure functions of their arguments: the QP's modify_qp
 * calls them before it changes anything.
 */
#ifndef UROCE_QP_ATTR_H
#define UROCE_QP_ATTR_H

#include <infiniband/verbs.h>

/*
 * Whether a QP of @type may go from @cur to @next with @attr_mask (enum
 * ibv_qp_attr_mask). Returns 0 or EINVAL. EINVAL when:
 * - @type is not RC, UC or UD (uroce has no RAW_PACKET or XRC QPs);
 * - @cur or @next is not a state (IBV_QPS_UNKNOWN included);
 * - the transition is not one of the IBTA's (see qp_attr.c);
 * - a required attribute is missing, or one is neither required nor
 *   optional for it. IBV_QP_STATE is always allowed, never required.
 *
 * Any state may go to RESET, and any state but RESET to ERR, with no
 * other attribute (RESET to ERR is refused, as the kernel does).
 * IBV_QP_CUR_STATE is optional only on the transitions to RTS (from RTR,
 * RTS, SQD and SQE), elsewhere an extra bit.
 */
int uroce_qp_attr_check(enum ibv_qp_type type, enum ibv_qp_state cur,
			enum ibv_qp_state next, int attr_mask);

/*
 * The values in @attr of the attributes in @attr_mask. Returns 0 or
 * EINVAL. Only bits in @attr_mask are looked at:
 * - QP_STATE, CUR_STATE: a state (RESET .. ERR);
 * - PKEY_INDEX: 0 (one P_Key); PORT: 1 (one port);
 * - ACCESS_FLAGS: any; REMOTE_WRITE, REMOTE_READ and REMOTE_ATOMIC are
 *   what the responder honours, other bits are ignored as the kernel
 *   does (rdma-core's own tests pass MR flags such as ON_DEMAND here);
 * - AV: port_num 1, a GRH (is_global: RoCE), sgid_index within the GID
 *   table's size (whether it is populated is for the caller), sl <= 15;
 * - PATH_MTU: IBV_MTU_256 .. IBV_MTU_4096;
 * - TIMEOUT, MIN_RNR_TIMER: <= 31; RETRY_CNT, RNR_RETRY: <= 7;
 * - MAX_QP_RD_ATOMIC <= max_qp_init_rd_atom, MAX_DEST_RD_ATOMIC <=
 *   max_qp_rd_atom (caps.h);
 * - DEST_QPN: 24 bits;
 * - ALT_PATH: always EINVAL (no alternate paths on RoCE, as the kernel);
 *   PATH_MIG_STATE: IBV_MIG_MIGRATED only, for the same reason.
 * RQ_PSN and SQ_PSN are not refused: the caller keeps their low 24 bits,
 * as the kernel's soft-RoCE does. QKEY takes any value.
 *
 * uroce_qp_modify_check() is what ibv_modify_qp runs: there is no other
 * copy of these rules.
 */
int uroce_qp_attr_values_check(const struct ibv_qp_attr *attr, int attr_mask);

/*
 * Both checks for ibv_modify_qp(qp, @attr, @attr_mask) on a QP of @type
 * that is in @state. With IBV_QP_CUR_STATE, attr->cur_qp_state must be
 * @state (the consumer's view of it must be right); the target is
 * attr->qp_state with IBV_QP_STATE, else @state. Returns 0 or EINVAL.
 */
int uroce_qp_modify_check(enum ibv_qp_type type, enum ibv_qp_state state,
			  const struct ibv_qp_attr *attr, int attr_mask);

#endif /* UROCE_QP_ATTR_H */
