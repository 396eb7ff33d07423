// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * providers/uroce/qp_attr.c: ibv_modify_qp's transition and attribute
 * checks. The expectations are a model written here, per QP type, from
 * the IBTA's Modify QP tables (not from qp_attr.c's table); every
 * transition of every type is compared with it, with every single-bit
 * change around the required set and with random masks.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/uroce/qp_attr.h"

#include "tests/lib/check.h"

/* A failed comparison names the case. */
#define REQUIRE_CASE(cond, type, cur, next, mask)                              \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr,                                        \
				"%s:%d: check failed: %s (type %d, %s -> %s, " \
				"mask 0x%x)\n",                                \
				__FILE__, __LINE__, #cond, type,               \
				state_name(cur), state_name(next),             \
				(unsigned int)(mask));                         \
			exit(1);                                               \
		}                                                              \
	} while (0)

static const char *state_name(int s)
{
	static const char *const names[] = {
		"RESET", "INIT", "RTR", "RTS", "SQD", "SQE", "ERR", "UNKNOWN"
	};

	return s >= 0 && s <= 7 ? names[s] : "?";
}

/* The model: true if the transition exists, with its masks. */
struct expect {
	bool valid;
	int req, opt;
};

/* Reliable connected. */
static struct expect model_rc(int cur, int next)
{
	struct expect e = { false, 0, 0 };

	if (next == IBV_QPS_RESET || (next == IBV_QPS_ERR && cur != 0)) {
		e.valid = true;
	} else if (cur == IBV_QPS_RESET && next == IBV_QPS_INIT) {
		e.valid = true;
		e.req = IBV_QP_PKEY_INDEX | IBV_QP_PORT | IBV_QP_ACCESS_FLAGS;
	} else if (cur == IBV_QPS_INIT && next == IBV_QPS_INIT) {
		e.valid = true;
		e.opt = IBV_QP_PKEY_INDEX | IBV_QP_PORT | IBV_QP_ACCESS_FLAGS;
	} else if (cur == IBV_QPS_INIT && next == IBV_QPS_RTR) {
		e.valid = true;
		e.req = IBV_QP_AV | IBV_QP_PATH_MTU | IBV_QP_DEST_QPN |
			IBV_QP_RQ_PSN | IBV_QP_MAX_DEST_RD_ATOMIC |
			IBV_QP_MIN_RNR_TIMER;
		e.opt = IBV_QP_ALT_PATH | IBV_QP_ACCESS_FLAGS |
			IBV_QP_PKEY_INDEX;
	} else if (cur == IBV_QPS_RTR && next == IBV_QPS_RTS) {
		e.valid = true;
		e.req = IBV_QP_SQ_PSN | IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT |
			IBV_QP_RNR_RETRY | IBV_QP_MAX_QP_RD_ATOMIC;
		e.opt = IBV_QP_CUR_STATE | IBV_QP_ALT_PATH |
			IBV_QP_ACCESS_FLAGS | IBV_QP_MIN_RNR_TIMER |
			IBV_QP_PATH_MIG_STATE;
	} else if ((cur == IBV_QPS_RTS || cur == IBV_QPS_SQD) &&
		   next == IBV_QPS_RTS) {
		e.valid = true;
		e.opt = IBV_QP_CUR_STATE | IBV_QP_ALT_PATH |
			IBV_QP_ACCESS_FLAGS | IBV_QP_MIN_RNR_TIMER |
			IBV_QP_PATH_MIG_STATE;
	} else if (cur == IBV_QPS_RTS && next == IBV_QPS_SQD) {
		e.valid = true;
		e.opt = IBV_QP_EN_SQD_ASYNC_NOTIFY;
	} else if (cur == IBV_QPS_SQD && next == IBV_QPS_SQD) {
		e.valid = true;
		e.opt = IBV_QP_PORT | IBV_QP_AV | IBV_QP_TIMEOUT |
			IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
			IBV_QP_MAX_QP_RD_ATOMIC | IBV_QP_MAX_DEST_RD_ATOMIC |
			IBV_QP_ALT_PATH | IBV_QP_ACCESS_FLAGS |
			IBV_QP_PKEY_INDEX | IBV_QP_MIN_RNR_TIMER |
			IBV_QP_PATH_MIG_STATE;
	} else if (cur == IBV_QPS_SQE && next == IBV_QPS_RTS) {
		/* RC never enters SQE: the transition exists, takes nothing */
		e.valid = true;
	}
	return e;
}

/* Unreliable connected: no RDMA READ/atomics, no RNR, no ACK timeout. */
static struct expect model_uc(int cur, int next)
{
	struct expect e = { false, 0, 0 };

	if (next == IBV_QPS_RESET || (next == IBV_QPS_ERR && cur != 0)) {
		e.valid = true;
	} else if (cur == IBV_QPS_RESET && next == IBV_QPS_INIT) {
		e.valid = true;
		e.req = IBV_QP_PKEY_INDEX | IBV_QP_PORT | IBV_QP_ACCESS_FLAGS;
	} else if (cur == IBV_QPS_INIT && next == IBV_QPS_INIT) {
		e.valid = true;
		e.opt = IBV_QP_PKEY_INDEX | IBV_QP_PORT | IBV_QP_ACCESS_FLAGS;
	} else if (cur == IBV_QPS_INIT && next == IBV_QPS_RTR) {
		e.valid = true;
		e.req = IBV_QP_AV | IBV_QP_PATH_MTU | IBV_QP_DEST_QPN |
			IBV_QP_RQ_PSN;
		e.opt = IBV_QP_ALT_PATH | IBV_QP_ACCESS_FLAGS |
			IBV_QP_PKEY_INDEX;
	} else if (cur == IBV_QPS_RTR && next == IBV_QPS_RTS) {
		e.valid = true;
		e.req = IBV_QP_SQ_PSN;
		e.opt = IBV_QP_CUR_STATE | IBV_QP_ALT_PATH |
			IBV_QP_ACCESS_FLAGS | IBV_QP_PATH_MIG_STATE;
	} else if ((cur == IBV_QPS_RTS || cur == IBV_QPS_SQD) &&
		   next == IBV_QPS_RTS) {
		e.valid = true;
		e.opt = IBV_QP_CUR_STATE | IBV_QP_ALT_PATH |
			IBV_QP_ACCESS_FLAGS | IBV_QP_PATH_MIG_STATE;
	} else if (cur == IBV_QPS_RTS && next == IBV_QPS_SQD) {
		e.valid = true;
		e.opt = IBV_QP_EN_SQD_ASYNC_NOTIFY;
	} else if (cur == IBV_QPS_SQD && next == IBV_QPS_SQD) {
		e.valid = true;
		e.opt = IBV_QP_AV | IBV_QP_ALT_PATH | IBV_QP_ACCESS_FLAGS |
			IBV_QP_PKEY_INDEX | IBV_QP_PATH_MIG_STATE;
	} else if (cur == IBV_QPS_SQE && next == IBV_QPS_RTS) {
		e.valid = true;
		e.opt = IBV_QP_CUR_STATE | IBV_QP_ACCESS_FLAGS;
	}
	return e;
}

/* Unreliable datagram: Q_Key instead of access flags, no path. */
static struct expect model_ud(int cur, int next)
{
	struct expect e = { false, 0, 0 };

	if (next == IBV_QPS_RESET || (next == IBV_QPS_ERR && cur != 0)) {
		e.valid = true;
	} else if (cur == IBV_QPS_RESET && next == IBV_QPS_INIT) {
		e.valid = true;
		e.req = IBV_QP_PKEY_INDEX | IBV_QP_PORT | IBV_QP_QKEY;
	} else if (cur == IBV_QPS_INIT && next == IBV_QPS_INIT) {
		e.valid = true;
		e.opt = IBV_QP_PKEY_INDEX | IBV_QP_PORT | IBV_QP_QKEY;
	} else if (cur == IBV_QPS_INIT && next == IBV_QPS_RTR) {
		e.valid = true;
		e.opt = IBV_QP_PKEY_INDEX | IBV_QP_QKEY;
	} else if (cur == IBV_QPS_RTR && next == IBV_QPS_RTS) {
		e.valid = true;
		e.req = IBV_QP_SQ_PSN;
		e.opt = IBV_QP_CUR_STATE | IBV_QP_QKEY;
	} else if ((cur == IBV_QPS_RTS || cur == IBV_QPS_SQD ||
		    cur == IBV_QPS_SQE) &&
		   next == IBV_QPS_RTS) {
		e.valid = true;
		e.opt = IBV_QP_CUR_STATE | IBV_QP_QKEY;
	} else if (cur == IBV_QPS_RTS && next == IBV_QPS_SQD) {
		e.valid = true;
		e.opt = IBV_QP_EN_SQD_ASYNC_NOTIFY;
	} else if (cur == IBV_QPS_SQD && next == IBV_QPS_SQD) {
		e.valid = true;
		e.opt = IBV_QP_PKEY_INDEX | IBV_QP_QKEY;
	}
	return e;
}

static struct expect model(int type, int cur, int next)
{
	struct expect none = { false, 0, 0 };

	if (cur < 0 || cur > IBV_QPS_ERR || next < 0 || next > IBV_QPS_ERR)
		return none;
	switch (type) {
	case IBV_QPT_RC:
		return model_rc(cur, next);
	case IBV_QPT_UC:
		return model_uc(cur, next);
	case IBV_QPT_UD:
		return model_ud(cur, next);
	default:
		return none;
	}
}

static bool model_ok(int type, int cur, int next, int mask)
{
	struct expect e = model(type, cur, next);
	unsigned int m = mask;

	if (!e.valid)
		return false;
	if ((m & e.req) != (unsigned int)e.req)
		return false;
	return !(m & ~(unsigned int)(e.req | e.opt | IBV_QP_STATE));
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static void check_one(int type, int cur, int next, int mask)
{
	int want = model_ok(type, cur, next, mask) ? 0 : EINVAL;
	int got = uroce_qp_attr_check(type, cur, next, mask);

	REQUIRE_CASE(got == want, type, cur, next, mask);
}

static unsigned long nvalid, ncalls;

/* Every transition of @type, each bit on its own and random masks. */
static void check_exhaustive(int type)
{
	int cur, next, bit, i;

	for (cur = IBV_QPS_RESET; cur <= IBV_QPS_UNKNOWN + 1; cur++) {
		for (next = IBV_QPS_RESET; next <= IBV_QPS_UNKNOWN + 1;
		     next++) {
			struct expect e = model(type, cur, next);

			nvalid += e.valid;
			check_one(type, cur, next, 0);
			check_one(type, cur, next, IBV_QP_STATE);
			check_one(type, cur, next, e.req);
			check_one(type, cur, next, e.req | IBV_QP_STATE);
			check_one(type, cur, next,
				  e.req | e.opt | IBV_QP_STATE);
			check_one(type, cur, next, -1);
			ncalls += 6;
			for (bit = 0; bit < 32; bit++) {
				int b = (int)(1u << bit);

				/* Added to the required set. */
				check_one(type, cur, next, e.req | b);
				/* Taken from the full set. */
				check_one(type, cur, next,
					  (e.req | e.opt | IBV_QP_STATE) & ~b);
				ncalls += 2;
			}
			for (i = 0; i < 2000; i++) {
				int m = e.req | (rnd() & e.opt);

				/* Now and then a bit too few or too many. */
				if (!(rnd() % 4))
					m &= ~(int)(1u << (rnd() % 32));
				if (!(rnd() % 4))
					m |= (int)(1u << (rnd() % 32));
				if (rnd() % 2)
					m |= IBV_QP_STATE;
				check_one(type, cur, next, m);
				ncalls++;
			}
		}
	}
}

/* Types uroce does not have: every transition is refused. */
static void check_other_types(void)
{
	static const int types[] = { 0,
				     1,
				     IBV_QPT_RAW_PACKET,
				     IBV_QPT_XRC_SEND,
				     IBV_QPT_XRC_RECV,
				     IBV_QPT_DRIVER,
				     -1 };
	size_t t;
	int cur, next;

	for (t = 0; t < sizeof(types) / sizeof(types[0]); t++)
		for (cur = 0; cur <= IBV_QPS_ERR; cur++)
			for (next = 0; next <= IBV_QPS_ERR; next++) {
				REQUIRE(uroce_qp_attr_check(types[t], cur, next,
							    IBV_QP_STATE) ==
					EINVAL);
				REQUIRE(uroce_qp_attr_check(
						types[t], cur, next,
						IBV_QP_STATE | IBV_QP_PORT) ==
					EINVAL);
			}
	/* RAW_PACKET's RESET -> INIT would need the port only: refused. */
	REQUIRE(uroce_qp_attr_check(IBV_QPT_RAW_PACKET, IBV_QPS_RESET,
				    IBV_QPS_INIT,
				    IBV_QP_STATE | IBV_QP_PORT) == EINVAL);
}

#define OK(type, cur, next, mask) \
	REQUIRE(uroce_qp_attr_check(type, cur, next, mask) == 0)
#define BAD(type, cur, next, mask) \
	REQUIRE(uroce_qp_attr_check(type, cur, next, mask) == EINVAL)

/* The transitions of a connection, as applications write them. */
static void check_spots(void)
{
	const int S = IBV_QP_STATE;
	const int rc_init = S | IBV_QP_PKEY_INDEX | IBV_QP_PORT |
			    IBV_QP_ACCESS_FLAGS;
	const int rc_rtr = S | IBV_QP_AV | IBV_QP_PATH_MTU | IBV_QP_DEST_QPN |
			   IBV_QP_RQ_PSN | IBV_QP_MAX_DEST_RD_ATOMIC |
			   IBV_QP_MIN_RNR_TIMER;
	const int rc_rts = S | IBV_QP_SQ_PSN | IBV_QP_TIMEOUT |
			   IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
			   IBV_QP_MAX_QP_RD_ATOMIC;
	const int ud_init = S | IBV_QP_PKEY_INDEX | IBV_QP_PORT | IBV_QP_QKEY;
	int t;

	OK(IBV_QPT_RC, IBV_QPS_RESET, IBV_QPS_INIT, rc_init);
	OK(IBV_QPT_RC, IBV_QPS_INIT, IBV_QPS_RTR, rc_rtr);
	OK(IBV_QPT_RC, IBV_QPS_RTR, IBV_QPS_RTS, rc_rts);
	/* One short each. */
	BAD(IBV_QPT_RC, IBV_QPS_RESET, IBV_QPS_INIT,
	    rc_init & ~IBV_QP_ACCESS_FLAGS);
	BAD(IBV_QPT_RC, IBV_QPS_INIT, IBV_QPS_RTR,
	    rc_rtr & ~IBV_QP_MIN_RNR_TIMER);
	BAD(IBV_QPT_RC, IBV_QPS_INIT, IBV_QPS_RTR,
	    rc_rtr & ~IBV_QP_MAX_DEST_RD_ATOMIC);
	BAD(IBV_QPT_RC, IBV_QPS_RTR, IBV_QPS_RTS, rc_rts & ~IBV_QP_RNR_RETRY);
	/* RC's set on UC: the RC-only attributes are too many. */
	BAD(IBV_QPT_UC, IBV_QPS_INIT, IBV_QPS_RTR, rc_rtr);
	BAD(IBV_QPT_UC, IBV_QPS_RTR, IBV_QPS_RTS, rc_rts);
	OK(IBV_QPT_UC, IBV_QPS_RESET, IBV_QPS_INIT, rc_init);
	OK(IBV_QPT_UC, IBV_QPS_INIT, IBV_QPS_RTR,
	   S | IBV_QP_AV | IBV_QP_PATH_MTU | IBV_QP_DEST_QPN | IBV_QP_RQ_PSN);
	OK(IBV_QPT_UC, IBV_QPS_RTR, IBV_QPS_RTS, S | IBV_QP_SQ_PSN);

	OK(IBV_QPT_UD, IBV_QPS_RESET, IBV_QPS_INIT, ud_init);
	BAD(IBV_QPT_UD, IBV_QPS_RESET, IBV_QPS_INIT, rc_init);
	BAD(IBV_QPT_RC, IBV_QPS_RESET, IBV_QPS_INIT, ud_init);
	OK(IBV_QPT_UD, IBV_QPS_INIT, IBV_QPS_RTR, S);
	OK(IBV_QPT_UD, IBV_QPS_INIT, IBV_QPS_RTR, S | IBV_QP_QKEY);
	BAD(IBV_QPT_UD, IBV_QPS_INIT, IBV_QPS_RTR, S | IBV_QP_AV);
	OK(IBV_QPT_UD, IBV_QPS_RTR, IBV_QPS_RTS, S | IBV_QP_SQ_PSN);
	BAD(IBV_QPT_UD, IBV_QPS_RTR, IBV_QPS_RTS, S);

	for (t = IBV_QPT_RC; t <= IBV_QPT_UD; t++) {
		int s;

		/* Skipping states, or going back, is not a transition. */
		BAD(t, IBV_QPS_RESET, IBV_QPS_RTS, S | 0x3ffff);
		BAD(t, IBV_QPS_RESET, IBV_QPS_RTR, rc_rtr);
		BAD(t, IBV_QPS_INIT, IBV_QPS_RTS, rc_rts);
		BAD(t, IBV_QPS_RTS, IBV_QPS_RTR, S);
		BAD(t, IBV_QPS_RTS, IBV_QPS_INIT, S);
		BAD(t, IBV_QPS_ERR, IBV_QPS_INIT, S);
		BAD(t, IBV_QPS_ERR, IBV_QPS_RTS, S);
		BAD(t, IBV_QPS_RESET, IBV_QPS_SQE, S);
		BAD(t, IBV_QPS_RTS, IBV_QPS_SQE, S); /* only the QP does that */
		BAD(t, IBV_QPS_SQD, IBV_QPS_INIT, S);
		/* To RESET from anywhere, to ERR but from RESET: state only */
		for (s = IBV_QPS_RESET; s <= IBV_QPS_ERR; s++) {
			OK(t, s, IBV_QPS_RESET, S);
			BAD(t, s, IBV_QPS_RESET, S | IBV_QP_PORT);
			BAD(t, s, IBV_QPS_RESET, S | IBV_QP_CUR_STATE);
			if (s == IBV_QPS_RESET) {
				BAD(t, s, IBV_QPS_ERR, S);
				continue;
			}
			OK(t, s, IBV_QPS_ERR, S);
			BAD(t, s, IBV_QPS_ERR, S | IBV_QP_QKEY);
			BAD(t, s, IBV_QPS_ERR, S | IBV_QP_CUR_STATE);
		}
		/* Drain and resume. */
		OK(t, IBV_QPS_RTS, IBV_QPS_SQD, S);
		OK(t, IBV_QPS_RTS, IBV_QPS_SQD, S | IBV_QP_EN_SQD_ASYNC_NOTIFY);
		OK(t, IBV_QPS_SQD, IBV_QPS_RTS, S);
		OK(t, IBV_QPS_SQD, IBV_QPS_SQD, S);
		BAD(t, IBV_QPS_SQD, IBV_QPS_SQD, S | IBV_QP_SQ_PSN);
		/* CUR_STATE: on the transitions to RTS only */
		OK(t, IBV_QPS_RTS, IBV_QPS_RTS, S | IBV_QP_CUR_STATE);
		OK(t, IBV_QPS_SQD, IBV_QPS_RTS,
		   IBV_QP_STATE | IBV_QP_CUR_STATE);
		BAD(t, IBV_QPS_INIT, IBV_QPS_INIT, S | IBV_QP_CUR_STATE);
		BAD(t, IBV_QPS_RTS, IBV_QPS_SQD, S | IBV_QP_CUR_STATE);
		BAD(t, IBV_QPS_SQD, IBV_QPS_SQD, S | IBV_QP_CUR_STATE);
		/* No attribute at all: RESET->RESET, INIT->INIT, RTS->RTS. */
		OK(t, IBV_QPS_RESET, IBV_QPS_RESET, 0);
		OK(t, IBV_QPS_INIT, IBV_QPS_INIT, 0);
		OK(t, IBV_QPS_RTS, IBV_QPS_RTS, 0);
		BAD(t, IBV_QPS_RTR, IBV_QPS_RTR, 0);
		/* Never through modify_qp: capabilities, rate limit, junk. */
		BAD(t, IBV_QPS_RTS, IBV_QPS_RTS, S | IBV_QP_CAP);
		BAD(t, IBV_QPS_RTS, IBV_QPS_RTS, S | IBV_QP_RATE_LIMIT);
		BAD(t, IBV_QPS_RTS, IBV_QPS_RTS, S | (1 << 21));
		BAD(t, IBV_QPS_RTS, IBV_QPS_RTS, S | (1 << 30));
		BAD(t, IBV_QPS_UNKNOWN, IBV_QPS_RESET, S);
		BAD(t, IBV_QPS_RTS, IBV_QPS_UNKNOWN, S);
	}
	/* Optional bits per type. */
	OK(IBV_QPT_RC, IBV_QPS_RTS, IBV_QPS_RTS, S | IBV_QP_MIN_RNR_TIMER);
	BAD(IBV_QPT_UC, IBV_QPS_RTS, IBV_QPS_RTS, S | IBV_QP_MIN_RNR_TIMER);
	BAD(IBV_QPT_UD, IBV_QPS_RTS, IBV_QPS_RTS, S | IBV_QP_ACCESS_FLAGS);
	OK(IBV_QPT_UD, IBV_QPS_RTS, IBV_QPS_RTS, S | IBV_QP_QKEY);
	BAD(IBV_QPT_RC, IBV_QPS_RTS, IBV_QPS_RTS, S | IBV_QP_QKEY);
	BAD(IBV_QPT_RC, IBV_QPS_RTS, IBV_QPS_RTS, S | IBV_QP_TIMEOUT);
	OK(IBV_QPT_RC, IBV_QPS_SQD, IBV_QPS_SQD,
	   S | IBV_QP_TIMEOUT | IBV_QP_AV);
	BAD(IBV_QPT_UC, IBV_QPS_SQD, IBV_QPS_SQD, S | IBV_QP_TIMEOUT);
	OK(IBV_QPT_UC, IBV_QPS_SQE, IBV_QPS_RTS,
	   S | IBV_QP_CUR_STATE | IBV_QP_ACCESS_FLAGS);
	OK(IBV_QPT_UD, IBV_QPS_SQE, IBV_QPS_RTS,
	   S | IBV_QP_CUR_STATE | IBV_QP_QKEY);
	OK(IBV_QPT_RC, IBV_QPS_SQE, IBV_QPS_RTS, S);
	BAD(IBV_QPT_RC, IBV_QPS_SQE, IBV_QPS_RTS, S | IBV_QP_CUR_STATE);
	OK(IBV_QPT_RC, IBV_QPS_INIT, IBV_QPS_INIT, S | IBV_QP_ACCESS_FLAGS);
	BAD(IBV_QPT_RC, IBV_QPS_INIT, IBV_QPS_INIT, S | IBV_QP_QKEY);
	OK(IBV_QPT_UD, IBV_QPS_INIT, IBV_QPS_INIT, S | IBV_QP_QKEY);
}

/* A good attribute set for an RC QP going through RESET..RTS. */
static void good_attr(struct ibv_qp_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->pkey_index = 0;
	a->port_num = 1;
	a->qp_access_flags = IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ |
			     IBV_ACCESS_REMOTE_ATOMIC | IBV_ACCESS_LOCAL_WRITE;
	a->ah_attr.is_global = 1;
	a->ah_attr.port_num = 1;
	a->ah_attr.grh.sgid_index = 0;
	a->ah_attr.grh.hop_limit = 64;
	a->path_mtu = IBV_MTU_4096;
	a->dest_qp_num = 0xffffff;
	a->rq_psn = 0xffffff;
	a->sq_psn = 0xffffffff; /* masked by the caller, not refused */
	a->max_dest_rd_atomic = 128;
	a->max_rd_atomic = 128;
	a->min_rnr_timer = 31;
	a->timeout = 31;
	a->retry_cnt = 7;
	a->rnr_retry = 7;
	a->path_mig_state = IBV_MIG_MIGRATED;
}

#define ALL_VALUES                                                             \
	(IBV_QP_STATE | IBV_QP_CUR_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT |   \
	 IBV_QP_ACCESS_FLAGS | IBV_QP_AV | IBV_QP_PATH_MTU | IBV_QP_DEST_QPN | \
	 IBV_QP_RQ_PSN | IBV_QP_SQ_PSN | IBV_QP_MAX_DEST_RD_ATOMIC |           \
	 IBV_QP_MAX_QP_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER | IBV_QP_TIMEOUT |     \
	 IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY | IBV_QP_PATH_MIG_STATE |         \
	 IBV_QP_QKEY | IBV_QP_EN_SQD_ASYNC_NOTIFY)

/* One value out of range fails with its bit, passes without it. */
#define BAD_VALUE(field, value, bit)                                           \
	do {                                                                   \
		struct ibv_qp_attr __a;                                        \
		good_attr(&__a);                                               \
		__a.field = (value);                                           \
		REQUIRE(uroce_qp_attr_values_check(&__a, ALL_VALUES) ==        \
			EINVAL);                                               \
		REQUIRE(uroce_qp_attr_values_check(&__a, bit) == EINVAL);      \
		REQUIRE(uroce_qp_attr_values_check(&__a,                       \
						   ALL_VALUES & ~(bit)) == 0); \
	} while (0)

static void check_values(void)
{
	struct ibv_qp_attr a;
	int mtu;

	good_attr(&a);
	REQUIRE(uroce_qp_attr_values_check(&a, ALL_VALUES) == 0);
	REQUIRE(uroce_qp_attr_values_check(&a, 0) == 0);
	a.qp_access_flags = 0;
	a.max_rd_atomic = 0;
	a.max_dest_rd_atomic = 0;
	a.timeout = 0;
	a.min_rnr_timer = 0;
	a.retry_cnt = 0;
	a.rnr_retry = 0;
	a.dest_qp_num = 0;
	a.qkey = 0xffffffff;
	REQUIRE(uroce_qp_attr_values_check(&a, ALL_VALUES) == 0);
	for (mtu = IBV_MTU_256; mtu <= IBV_MTU_4096; mtu++) {
		a.path_mtu = mtu;
		REQUIRE(uroce_qp_attr_values_check(&a, IBV_QP_PATH_MTU) == 0);
	}

	BAD_VALUE(qp_state, IBV_QPS_UNKNOWN, IBV_QP_STATE);
	BAD_VALUE(cur_qp_state, IBV_QPS_UNKNOWN, IBV_QP_CUR_STATE);
	BAD_VALUE(pkey_index, 1, IBV_QP_PKEY_INDEX);
	BAD_VALUE(port_num, 0, IBV_QP_PORT);
	BAD_VALUE(port_num, 2, IBV_QP_PORT);
	BAD_VALUE(ah_attr.is_global, 0, IBV_QP_AV);
	BAD_VALUE(ah_attr.port_num, 2, IBV_QP_AV);
	BAD_VALUE(ah_attr.grh.sgid_index, 255, IBV_QP_AV);
	BAD_VALUE(ah_attr.sl, 16, IBV_QP_AV);
	BAD_VALUE(path_mtu, 0, IBV_QP_PATH_MTU);
	BAD_VALUE(path_mtu, IBV_MTU_4096 + 1, IBV_QP_PATH_MTU);
	BAD_VALUE(timeout, 32, IBV_QP_TIMEOUT);
	BAD_VALUE(min_rnr_timer, 32, IBV_QP_MIN_RNR_TIMER);
	BAD_VALUE(retry_cnt, 8, IBV_QP_RETRY_CNT);
	BAD_VALUE(rnr_retry, 8, IBV_QP_RNR_RETRY);
	BAD_VALUE(max_rd_atomic, 129, IBV_QP_MAX_QP_RD_ATOMIC);
	BAD_VALUE(max_dest_rd_atomic, 129, IBV_QP_MAX_DEST_RD_ATOMIC);
	BAD_VALUE(dest_qp_num, 0x1000000, IBV_QP_DEST_QPN);
	BAD_VALUE(path_mig_state, IBV_MIG_ARMED, IBV_QP_PATH_MIG_STATE);
	BAD_VALUE(path_mig_state, IBV_MIG_REARM, IBV_QP_PATH_MIG_STATE);

	/*
	 * Access flags other than the QP's are ignored, as the kernel
	 * does: rdma-core's ODP test passes its MR flags to the QP.
	 */
	good_attr(&a);
	a.qp_access_flags |= IBV_ACCESS_ON_DEMAND | IBV_ACCESS_MW_BIND;
	REQUIRE(uroce_qp_attr_values_check(&a, IBV_QP_ACCESS_FLAGS) == 0);
	a.qp_access_flags = 1 << 30;
	REQUIRE(uroce_qp_attr_values_check(&a, IBV_QP_ACCESS_FLAGS) == 0);

	/* Any PSN: ibv_modify_qp keeps its low 24 bits. */
	good_attr(&a);
	a.rq_psn = 0xffffffff;
	REQUIRE(uroce_qp_attr_values_check(&a, IBV_QP_RQ_PSN | IBV_QP_SQ_PSN) ==
		0);

	/* RETRY_CNT alone does not look at rnr_retry, nor the reverse. */
	good_attr(&a);
	a.rnr_retry = 200;
	REQUIRE(uroce_qp_attr_values_check(&a, IBV_QP_RETRY_CNT) == 0);
	good_attr(&a);
	a.retry_cnt = 200;
	REQUIRE(uroce_qp_attr_values_check(&a, IBV_QP_RNR_RETRY) == 0);

	/* No alternate path on RoCE, whatever it holds. */
	good_attr(&a);
	a.alt_ah_attr = a.ah_attr;
	a.alt_port_num = 1;
	REQUIRE(uroce_qp_attr_values_check(&a, IBV_QP_ALT_PATH) == EINVAL);
}

/* The combined check, as modify_qp calls it. */
static void check_modify(void)
{
	struct ibv_qp_attr a;
	const int rc_rts = IBV_QP_STATE | IBV_QP_SQ_PSN | IBV_QP_TIMEOUT |
			   IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
			   IBV_QP_MAX_QP_RD_ATOMIC;

	good_attr(&a);
	a.qp_state = IBV_QPS_INIT;
	REQUIRE(uroce_qp_modify_check(IBV_QPT_RC, IBV_QPS_RESET, &a,
				      IBV_QP_STATE | IBV_QP_PKEY_INDEX |
					      IBV_QP_PORT |
					      IBV_QP_ACCESS_FLAGS) == 0);
	a.port_num = 2;
	REQUIRE(uroce_qp_modify_check(IBV_QPT_RC, IBV_QPS_RESET, &a,
				      IBV_QP_STATE | IBV_QP_PKEY_INDEX |
					      IBV_QP_PORT |
					      IBV_QP_ACCESS_FLAGS) == EINVAL);
	REQUIRE(uroce_qp_modify_check(IBV_QPT_RC, IBV_QPS_RESET, NULL,
				      IBV_QP_STATE) == EINVAL);

	/* CUR_STATE must match the QP's state. */
	good_attr(&a);
	a.qp_state = IBV_QPS_RTS;
	a.cur_qp_state = IBV_QPS_RTR;
	REQUIRE(uroce_qp_modify_check(IBV_QPT_RC, IBV_QPS_RTR, &a,
				      rc_rts | IBV_QP_CUR_STATE) == 0);
	REQUIRE(uroce_qp_modify_check(IBV_QPT_RC, IBV_QPS_RTS, &a,
				      rc_rts | IBV_QP_CUR_STATE) == EINVAL);
	a.cur_qp_state = IBV_QPS_SQE;
	REQUIRE(uroce_qp_modify_check(IBV_QPT_UD, IBV_QPS_SQE, &a,
				      IBV_QP_STATE | IBV_QP_CUR_STATE) == 0);
	REQUIRE(uroce_qp_modify_check(IBV_QPT_UD, IBV_QPS_RTS, &a,
				      IBV_QP_STATE | IBV_QP_CUR_STATE) ==
		EINVAL);

	/* Without IBV_QP_STATE the QP stays where it is. */
	REQUIRE(uroce_qp_modify_check(IBV_QPT_RC, IBV_QPS_RTS, &a,
				      IBV_QP_MIN_RNR_TIMER) == 0);
	REQUIRE(uroce_qp_modify_check(IBV_QPT_RC, IBV_QPS_RTR, &a,
				      IBV_QP_MIN_RNR_TIMER) == EINVAL);
	REQUIRE(uroce_qp_modify_check(IBV_QPT_UD, IBV_QPS_INIT, &a,
				      IBV_QP_QKEY) == 0);
	/* A bad value in an attribute the transition accepts. */
	a.min_rnr_timer = 32;
	REQUIRE(uroce_qp_modify_check(IBV_QPT_RC, IBV_QPS_RTS, &a,
				      IBV_QP_MIN_RNR_TIMER) == EINVAL);
	/* To ERR and RESET: the state alone; RESET -> ERR refused. */
	a.qp_state = IBV_QPS_ERR;
	REQUIRE(uroce_qp_modify_check(IBV_QPT_RC, IBV_QPS_RTS, &a,
				      IBV_QP_STATE) == 0);
	REQUIRE(uroce_qp_modify_check(IBV_QPT_RC, IBV_QPS_RESET, &a,
				      IBV_QP_STATE) == EINVAL);
	a.qp_state = IBV_QPS_RESET;
	REQUIRE(uroce_qp_modify_check(IBV_QPT_UC, IBV_QPS_ERR, &a,
				      IBV_QP_STATE) == 0);
	a.qp_state = IBV_QPS_UNKNOWN;
	REQUIRE(uroce_qp_modify_check(IBV_QPT_UC, IBV_QPS_ERR, &a,
				      IBV_QP_STATE) == EINVAL);
}

int main(void)
{
	check_exhaustive(IBV_QPT_RC);
	check_exhaustive(IBV_QPT_UC);
	check_exhaustive(IBV_QPT_UD);
	/* 22 valid transitions per type, RESET->ERR not among them. */
	REQUIRE(nvalid == 3 * 22);
	check_other_types();
	check_spots();
	check_values();
	check_modify();
	printf("test_qp_attr: %lu transitions valid, %lu masks compared: ok\n",
	       nvalid, ncalls);
	return 0;
}
