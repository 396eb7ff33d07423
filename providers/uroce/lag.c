// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * RoCE LAG: one device over member netdevs that carry the same address.
 *
 * Every QP of a LAG device has a member, the least loaded when it is
 * created: its requests leave by that member, and its responses (ACKs,
 * READ responses) by the member its peer's last request came in on, so
 * that both directions of a connection share the link whose failure its
 * requester's timer detects. The sockets stay bound to the wildcard
 * address, so a datagram to a QP's port arrives whatever member it
 * crossed (and over lo from the namespace itself); a packet is sent out
 * of its member by the ifindex of its IPV6_PKTINFO (tx.c), which the
 * kernel takes as the output interface for IPv4 and IPv6 alike.
 *
 * A member whose link goes down (the monitor thread) loses its QPs to
 * the least loaded live members at once, and each resends from its
 * oldest unacknowledged PSN: no error and no event, a counter and a log
 * line. One whose link stays up but whose QPs see LAG_SUSPECT_TIMEOUTS
 * retransmission timeouts in a row is suspected of a black hole and is
 * avoided for a hold that doubles with each suspicion in a row. When a
 * member comes back (its link, or its hold ends), QPs move onto it until
 * the loads differ by one at most; they lose nothing, the reordering the
 * move causes is what PSN sequence NAKs repair. With every member down
 * the QPs stay where they are and retry within their budget.
 *
 * Locking: lag->lock serialises moving passes, which walk the QP list
 * as the engine's timers do (qp_list_lock, then each QP's lock). A QP's
 * member changes only under its lock; loads are atomics.
 */
#include <string.h>

#include "util/log.h"
#include "providers/uroce/uroce.h"

/* Retransmission timeouts in a row that make a member suspect. */
#define LAG_SUSPECT_TIMEOUTS 2
/* The first hold of a suspect member, doubled up to 2^LAG_MAX_STRIKES. */
#define LAG_HOLD_NS (1000ull * 1000 * 1000)
#define LAG_MAX_STRIKES 5
/* A suspicion this long after the last one starts the backoff again. */
#define LAG_FORGET_NS (60ull * 1000 * 1000 * 1000)

static const char *dev_name(const struct uroce_lag_set *lag)
{
	const struct uroce_dp *dp = container_of(lag, struct uroce_dp, lag);

	return dp->ctx->dev->vdev.device.name;
}

void uroce_lag_init(struct uroce_context *ctx, struct uroce_dp *dp)
{
	struct uroce_lag_set *lag = &dp->lag;
	struct uroce_device *dev = ctx->dev;
	uint32_t running;
	unsigned int i;

	pthread_mutex_init(&lag->lock, NULL);
	if (!dev->lag)
		return;
	/* The monitor thread may be refreshing the state meanwhile. */
	pthread_mutex_lock(&ctx->state_lock);
	running = ctx->state.members_running;
	pthread_mutex_unlock(&ctx->state_lock);
	for (i = 0; i < dev->nmembers; i++) {
		lag->m[i].ifindex = dev->members[i].ifindex;
		memcpy(lag->m[i].ifname, dev->members[i].ifname, IF_NAMESIZE);
		atomic_store(&lag->m[i].up, !!(running & 1u << i));
	}
	lag->n = dev->nmembers;
}

void uroce_lag_fini(struct uroce_dp *dp)
{
	pthread_mutex_destroy(&dp->lag.lock);
}

static bool usable(struct uroce_lag_member *m, uint64_t now)
{
	uint64_t bad =
		atomic_load_explicit(&m->bad_until, memory_order_relaxed);

	return atomic_load_explicit(&m->up, memory_order_relaxed) &&
	       (!bad || now >= bad);
}

/* The usable member with the fewest QPs but @except, or -1. */
static int least_loaded(struct uroce_lag_set *lag, uint64_t now, int except)
{
	unsigned int i, n, best_n = 0;
	int best = -1;

	for (i = 0; i < lag->n; i++) {
		if ((int)i == except || !usable(&lag->m[i], now))
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
	m = least_loaded(lag, uroce_now_ns(), -1);
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

/*
 * Moves @qp to member @to, under its lock. @resend: its member failed,
 * so what it has not seen acknowledged is lost: send it again now
 * rather than after a timeout.
 */
static void move_qp(struct uroce_qp *qp, int to, bool resend)
{
	struct uroce_lag_set *lag = qp->txb.lag;
	int from = qp->txb.member;

	/* What is queued leaves by the old member: it was built for it. */
	uroce_tx_flush(qp->ctx, &qp->txb);
	atomic_fetch_sub(&lag->m[from].nqps, 1);
	atomic_fetch_add(&lag->m[to].nqps, 1);
	qp->txb.member = to;
	qp->lag_timeouts = 0;
	if (!resend)
		return;
	uroce_cnt_add(lag->m[from].failovers, 1);
	if (qp->ibv_qp.qp_type != IBV_QPT_RC ||
	    (qp->state != IBV_QPS_RTS && qp->state != IBV_QPS_SQD) ||
	    qp->req.max_psn == qp->comp.psn)
		return;
	uroce_req_requeue(qp);
}

/*
 * Moves the QPs of unusable members to usable ones, then evens out the
 * loads. Returns how many QPs failed over through @failed.
 */
static void lag_apply(struct uroce_dp *dp, unsigned int *failed,
		      unsigned int *rebalanced)
{
	struct uroce_lag_set *lag = &dp->lag;
	uint64_t now = uroce_now_ns();
	struct uroce_list *n;
	struct uroce_qp *qp;
	int m, to;

	*failed = *rebalanced = 0;
	pthread_mutex_lock(&lag->lock);
	if (least_loaded(lag, now, -1) < 0)
		goto out; /* all down: the QPs retry where they are */
	pthread_mutex_lock(&dp->qp_list_lock);
	for (n = dp->qps.next; n != &dp->qps; n = n->next) {
		qp = container_of(n, struct uroce_qp, node);
		pthread_mutex_lock(&qp->lock);
		m = qp->txb.member;
		if (!usable(&lag->m[m], now)) {
			move_qp(qp, least_loaded(lag, now, m), true);
			(*failed)++;
		}
		pthread_mutex_unlock(&qp->lock);
	}
	for (n = dp->qps.next; n != &dp->qps; n = n->next) {
		qp = container_of(n, struct uroce_qp, node);
		pthread_mutex_lock(&qp->lock);
		m = qp->txb.member;
		to = least_loaded(lag, now, m);
		if (to >= 0 && atomic_load(&lag->m[m].nqps) >=
				       atomic_load(&lag->m[to].nqps) + 2) {
			move_qp(qp, to, false);
			(*rebalanced)++;
		}
		pthread_mutex_unlock(&qp->lock);
	}
	pthread_mutex_unlock(&dp->qp_list_lock);
	uroce_cnt_add(lag->rebalances, *rebalanced);
out:
	pthread_mutex_unlock(&lag->lock);
}

static void apply_and_log(struct uroce_dp *dp, const char *why)
{
	unsigned int failed, rebalanced;

	lag_apply(dp, &failed, &rebalanced);
	if (failed)
		uroce_warn("%s: %s: %u QPs failed over", dev_name(&dp->lag),
			   why, failed);
	if (rebalanced)
		uroce_info("%s: %s: %u QPs rebalanced", dev_name(&dp->lag), why,
			   rebalanced);
}

void uroce_lag_links(struct uroce_context *ctx)
{
	struct uroce_dp *dp = __atomic_load_n(&ctx->dp, __ATOMIC_ACQUIRE);
	struct uroce_lag_set *lag;
	uint32_t running;
	bool changed = false, up;
	unsigned int i;

	if (!dp || !dp->lag.n)
		return;
	lag = &dp->lag;
	pthread_mutex_lock(&ctx->state_lock);
	running = ctx->state.members_running;
	pthread_mutex_unlock(&ctx->state_lock);
	for (i = 0; i < lag->n; i++) {
		up = running & 1u << i;
		if (atomic_exchange(&lag->m[i].up, up) == up)
			continue;
		changed = true;
		uroce_warn("%s: member %s link %s", dev_name(lag),
			   lag->m[i].ifname, up ? "up" : "down");
	}
	if (changed)
		apply_and_log(dp, "link change");
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
	to = least_loaded(lag, now, qp->txb.member);
	if (to < 0)
		return;
	if (usable(m, now)) {
		pthread_mutex_lock(&lag->lock);
		if (usable(m, now)) {
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
				   dev_name(lag), m->ifname,
				   LAG_SUSPECT_TIMEOUTS,
				   (unsigned long long)(hold / 1000000));
			/* The engine moves the member's other QPs. */
			atomic_store(&lag->dirty, true);
		}
		pthread_mutex_unlock(&lag->lock);
	}
	/* The caller resends what is outstanding, by the new member. */
	uroce_cnt_add(m->failovers, 1);
	move_qp(qp, to, false);
}

void uroce_lag_tick(struct uroce_dp *dp, uint64_t now)
{
	struct uroce_lag_set *lag = &dp->lag;
	bool back = false;
	uint64_t bad;
	unsigned int i;

	if (!lag->n)
		return;
	for (i = 0; i < lag->n; i++) {
		bad = atomic_load_explicit(&lag->m[i].bad_until,
					   memory_order_relaxed);
		if (!bad || now < bad ||
		    !atomic_compare_exchange_strong(&lag->m[i].bad_until, &bad,
						    0))
			continue;
		back = true;
		uroce_info("%s: member %s in use again", dev_name(lag),
			   lag->m[i].ifname);
	}
	if (atomic_load_explicit(&lag->dirty, memory_order_relaxed) &&
	    atomic_exchange(&lag->dirty, false))
		apply_and_log(dp, "suspected black hole");
	else if (back)
		apply_and_log(dp, "hold over");
}
