// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The poll_cq and req_notify_cq entry points of the data path. A poll
 * first drains the context's sockets in the polling thread (rx.c), so a
 * busy-polling application runs its own receive path; while it polls the
 * engine steps aside (engine.c), and it gives the sockets back to the
 * engine when its last work request completed or it arms a CQ to sleep.
 */
#include <sched.h>

#include "providers/uroce/cq.h"
#include "providers/uroce/dp.h"
#include "providers/uroce/engine.h"
#include "providers/uroce/poll.h"
#include "providers/uroce/rx.h"
#include "providers/uroce/uroce.h"

/*
 * ibv_poll_cq asked for no entry: takes in everything that had arrived
 * when it was called, as an RNIC would have on its own, waiting for a
 * drain that another thread has begun (it may hold packets it has read
 * but not processed yet). librdmacm calls it before it reports
 * DISCONNECTED, so that the ACK of the last SEND, which the peer sent
 * before its DREQ, is completed first: a consumer that closes on
 * DISCONNECTED (libfabric's rxm) would see the SEND flushed otherwise.
 * Only this call waits; the application's polls never do.
 */
static void take_in_all(struct uroce_dp *dp)
{
	unsigned int i, n = atomic_load(&dp->nsocks);

	for (i = 0; i < n; i++)
		uroce_rx_drain_wait(dp, dp->socks[i]);
}

/*
 * The caller sends the ACKs its polling held back itself: waking the
 * engine for them would cost as much, and on few cores a thread woken
 * twice in a row may wait for the scheduler's next tick.
 */
static void release(struct uroce_dp *dp)
{
	atomic_store_explicit(&dp->last_poll, 0, memory_order_relaxed);
	uroce_rx_flush_deferred(dp);
	if (atomic_load_explicit(&dp->nparked, memory_order_relaxed))
		uroce_engine_kick(dp);
}

static int poll_dp(struct ibv_cq *ibcq, int num_entries, struct ibv_wc *wc)
{
	struct uroce_dp *dp = to_uctx(ibcq->context)->dp;
	struct uroce_cq *cq = to_ucq(ibcq);
	bool busy = false;
	unsigned int i, n;
	int ret;

	if (dp) {
		n = atomic_load(&dp->nsocks);
		for (i = 0; i < n; i++)
			busy |= !uroce_rx_drain(dp, dp->socks[i], false);
	}
	ret = uroce_poll_cq(ibcq, num_entries, wc);
	if (!dp)
		return ret;
	/*
	 * Another thread drains (the engine, mostly): on few cores it may
	 * be waiting for this CPU, holding the packets this poll waits for.
	 */
	if (busy && !ret)
		sched_yield();
	/*
	 * Its last work request done, the application may go on spinning
	 * on memory rather than polling: the engine takes over now.
	 * Otherwise an empty poll means it busy-polls (see engine.c).
	 */
	if (atomic_load_explicit(&cq->idle_hint, memory_order_relaxed) &&
	    atomic_exchange(&cq->idle_hint, false))
		release(dp);
	else if (!ret)
		atomic_store_explicit(&dp->last_poll, uroce_now_ns(),
				      memory_order_relaxed);
	return ret;
}

int uroce_poll_cq_dp(struct ibv_cq *ibcq, int num_entries, struct ibv_wc *wc)
{
	struct uroce_dp *dp = to_uctx(ibcq->context)->dp;

	if (num_entries || !dp)
		return poll_dp(ibcq, num_entries, wc);
	take_in_all(dp);
	return uroce_poll_cq(ibcq, 0, wc);
}

void uroce_cq_progress_dp(struct ibv_cq *ibcq)
{
	poll_dp(ibcq, 0, NULL);
}

int uroce_req_notify_cq_dp(struct ibv_cq *ibcq, int solicited_only)
{
	struct uroce_dp *dp = to_uctx(ibcq->context)->dp;

	/* The application is about to sleep: the engine drains again. */
	if (dp)
		release(dp);
	return uroce_req_notify_cq(ibcq, solicited_only);
}
