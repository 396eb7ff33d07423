// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The LAG member of a QP (see lag.c): the least loaded usable one when the
 * QP is created, another one after LAG_SUSPECT_TIMEOUTS retransmission
 * timeouts in a row on it, when the member is suspected of a black hole
 * (the completer calls uroce_lag_timeout; it resends what is outstanding
 * itself). Moving a QP is under its lock; loads are atomics.
 */
#include "util/log.h"
#include "providers/uroce/dp.h"
#include "providers/uroce/lag.h"
#include "providers/uroce/tx.h"
#include "providers/uroce/uroce.h"

/* Retransmission timeouts in a row that make a member suspect. */
#define LAG_SUSPECT_TIMEOUTS 2
/* The first hold of a suspect member, doubled up to 2^LAG_MAX_STRIKES. */
#define LAG_HOLD_NS (1000ull * 1000 * 1000)
#define LAG_MAX_STRIKES 5
/* A suspicion this long after the last one starts the backoff again. */
#define LAG_FORGET_NS (60ull * 1000 * 1000 * 1000)

const char *uroce_lag_name(const struct uroce_lag_set *lag)
{
	const struct uroce_dp *dp = container_of(lag, struct uroce_dp, lag);

	return dp->ctx->dev->vdev.device.name;
}

bool uroce_lag_usable(struct uroce_lag_member *m, uint64_t now)
{
	uint64_t bad =
		atomic_load_explicit(&m->bad_until, memory_order_relaxed);

	return atomic_load_explicit(&m->up, memory_order_relaxed) &&
	       (!bad || now >= bad);
}

/* The usable member with the fewest QPs but @except, or -1. */
int uroce_lag_least_loaded(struct uroce_lag_set *lag, uint64_t now, int except)
{
	unsigned int i, n, best_n = 0;
	int best = -1;

	for (i = 0; i < lag->n; i++) {
		if ((int)i == except || !uroce_lag_usable(&lag->m[i], now))
			continue;
		n = atomic_load(&lag->m[i].nqps);
		if (best < 0 || n < best_n) {
			best = (int)i;
			best_n = n;
		}
	}
	return best;
}

void uroce_lag_qp_init(struct uroce_qp *qp)
{
	struct uroce_lag_set *lag = &qp->ctx->dp->lag;
	int m;

	qp->txb.lag = NULL;
	qp->txb.member = -1;
	qp->txb.reply_member = -1;
	if (!lag->n)
		return;
	pthread_mutex_lock(&lag->lock);
	m = uroce_lag_least_loaded(lag, uroce_now_ns(), -1);
	/* Every member down: the first, until one comes back. */
	if (m < 0)
		m = 0;
	atomic_fetch_add(&lag->m[m].nqps, 1);
	pthread_mutex_unlock(&lag->lock);
	qp->txb.member = m;
	qp->txb.lag = lag;
}

void uroce_lag_qp_fini(struct uroce_qp *qp)
{
	if (qp->txb.lag)
		atomic_fetch_sub(&qp->txb.lag->m[qp->txb.member].nqps, 1);
}

/* Moves @qp to member @to, under its lock. */
void uroce_lag_move(struct uroce_qp *qp, int to)
{
	struct uroce_lag_set *lag = qp->txb.lag;
	int from = qp->txb.member;

	/* What is queued leaves by the old member: it was built for it. */
	uroce_tx_flush(qp->ctx, &qp->txb);
	atomic_fetch_sub(&lag->m[from].nqps, 1);
	atomic_fetch_add(&lag->m[to].nqps, 1);
	qp->txb.member = to;
	qp->lag_timeouts = 0;
}

void uroce_lag_timeout(struct uroce_qp *qp)
{
	struct uroce_lag_set *lag = qp->txb.lag;
	struct uroce_lag_member *m;
	uint64_t now, hold;
	int to;

	if (!lag || ++qp->lag_timeouts < LAG_SUSPECT_TIMEOUTS)
		return;
	qp->lag_timeouts = 0;
	m = &lag->m[qp->txb.member];
	now = uroce_now_ns();
	/* A link down is the monitor's; without an alternative, stay. */
	if (!atomic_load(&m->up))
		return;
	to = uroce_lag_least_loaded(lag, now, qp->txb.member);
	if (to < 0)
		return;
	if (uroce_lag_usable(m, now)) {
		pthread_mutex_lock(&lag->lock);
		if (uroce_lag_usable(m, now)) {
			if (now - m->last_bad > LAG_FORGET_NS)
				m->strikes = 0;
			hold = LAG_HOLD_NS << m->strikes;
			if (m->strikes < LAG_MAX_STRIKES)
				m->strikes++;
			m->last_bad = now;
			atomic_store(&m->bad_until, now + hold);
			uroce_cnt_add(m->blackholes, 1);
			uroce_warn("%s: member %s: %u retransmission timeouts "
				   "in a row with its link up, avoided for "
				   "%llu ms",
				   uroce_lag_name(lag), m->ifname,
				   LAG_SUSPECT_TIMEOUTS,
				   (unsigned long long)(hold / 1000000));
			/* The engine moves the member's other QPs. */
			atomic_store(&lag->dirty, true);
		}
		pthread_mutex_unlock(&lag->lock);
	}
	/* The caller resends what is outstanding, by the new member. */
	uroce_cnt_add(m->failovers, 1);
	uroce_lag_move(qp, to);
}
