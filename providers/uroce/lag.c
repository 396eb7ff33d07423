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
 * avoided for a hold that doubles with each suspicion in a row (lag_qp.c). When a
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
#include "providers/uroce/dp.h"
#include "providers/uroce/lag.h"
#include "providers/uroce/req.h"
#include "providers/uroce/uroce.h"

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

/*
 * Moves @qp, whose member failed, to member @to: what it has not seen
 * acknowledged is lost, so it is sent again now rather than after a
 * timeout.
 */
static void fail_over(struct uroce_qp *qp, int to)
{
	struct uroce_lag_set *lag = qp->txb.lag;
	int from = qp->txb.member;

	uroce_lag_move(qp, to);
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
	if (uroce_lag_least_loaded(lag, now, -1) < 0)
		goto out; /* all down: the QPs retry where they are */
	pthread_mutex_lock(&dp->qp_list_lock);
	for (n = dp->qps.next; n != &dp->qps; n = n->next) {
		qp = container_of(n, struct uroce_qp, node);
		pthread_mutex_lock(&qp->lock);
		m = qp->txb.member;
		if (!uroce_lag_usable(&lag->m[m], now)) {
			fail_over(qp, uroce_lag_least_loaded(lag, now, m));
			(*failed)++;
		}
		pthread_mutex_unlock(&qp->lock);
	}
	for (n = dp->qps.next; n != &dp->qps; n = n->next) {
		qp = container_of(n, struct uroce_qp, node);
		pthread_mutex_lock(&qp->lock);
		m = qp->txb.member;
		to = uroce_lag_least_loaded(lag, now, m);
		if (to >= 0 && atomic_load(&lag->m[m].nqps) >=
				       atomic_load(&lag->m[to].nqps) + 2) {
			uroce_lag_move(qp, to);
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
		uroce_warn("%s: %s: %u QPs failed over",
			   uroce_lag_name(&dp->lag), why, failed);
	if (rebalanced)
		uroce_info("%s: %s: %u QPs rebalanced",
			   uroce_lag_name(&dp->lag), why, rebalanced);
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
		uroce_warn("%s: member %s link %s", uroce_lag_name(lag),
			   lag->m[i].ifname, up ? "up" : "down");
	}
	if (changed)
		apply_and_log(dp, "link change");
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
		uroce_info("%s: member %s in use again", uroce_lag_name(lag),
			   lag->m[i].ifname);
	}
	if (atomic_load_explicit(&lag->dirty, memory_order_relaxed) &&
	    atomic_exchange(&lag->dirty, false))
		apply_and_log(dp, "suspected black hole");
	else if (back)
		apply_and_log(dp, "hold over");
}
