// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The per-context engine thread. Created by alloc_context, it lives in the
 * context's network namespace, so it also creates the sockets that a
 * thread which has since moved to another namespace asks for (netns.c).
 * It drains
 * sockets nobody else is polling (a one-sided target never calls into the
 * library) and runs the QPs' timers: epoll's timeout is the nearest
 * deadline, at most a tick while any timer is armed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "providers/uroce/comp.h"
#include "providers/uroce/dp.h"
#include "providers/uroce/engine.h"
#include "providers/uroce/sport.h"
#include "providers/uroce/fault.h"
#include "providers/uroce/lag.h"
#include "providers/uroce/mcast.h"
#include "providers/uroce/netns.h"
#include "providers/uroce/peer_watch.h"
#include "providers/uroce/qp.h"
#include "providers/uroce/resp.h"
#include "providers/uroce/rx.h"
#include "providers/uroce/sock.h"
#include "providers/uroce/uroce.h"
#include "util/log.h"
#include "util/steer_group.h"

#define TICK_MS 5
/*
 * An application that found its CQ empty this recently busy-polls and
 * drains the sockets itself: the engine takes a socket out of its epoll
 * set instead of racing it for the packets (a thread hop, and on few
 * cores a context switch), and puts it back once polling has stopped for
 * PARK_NS or the application arms a CQ to sleep. PARK_NS is short: an
 * application that spins on memory instead (a WRITE target, as in
 * ib_write_lat) waits at most that long for the engine to take over.
 */
#define PARK_NS 200000ull
/* Ticks without a timer before the engine sleeps until kicked. */
#define IDLE_TICKS 200

/* Runs expired timers; returns the earliest deadline left, or 0. */
static uint64_t run_timers(struct uroce_dp *dp)
{
	uint64_t now = uroce_now_ns(), next = 0, d;
	struct uroce_list *n;
	struct uroce_qp *qp;

	pthread_mutex_lock(&dp->qp_list_lock);
	for (n = dp->qps.next; n != &dp->qps; n = n->next) {
		qp = container_of(n, struct uroce_qp, node);
		pthread_mutex_lock(&qp->lock);
		d = uroce_comp_timers(qp, now);
		if (d && (!next || d < next))
			next = d;
		d = uroce_resp_timers(qp, now);
		pthread_mutex_unlock(&qp->lock);
		if (d && (!next || d < next))
			next = d;
	}
	pthread_mutex_unlock(&dp->qp_list_lock);
	return next;
}

static bool app_polling(struct uroce_dp *dp, uint64_t now)
{
	uint64_t t = atomic_load_explicit(&dp->last_poll, memory_order_relaxed);

	/* t > now: a poller stamped it after we read the clock. */
	return t && (t > now || now - t < PARK_NS);
}

static void sock_park(struct uroce_dp *dp, struct uroce_sock *s, bool park)
{
	struct epoll_event ev = { .events = park ? 0 : EPOLLIN, .data.ptr = s };

	if (epoll_ctl(dp->epfd, EPOLL_CTL_MOD, s->fd, &ev))
		return;
	s->parked = park;
	if (park)
		atomic_fetch_add(&dp->nparked, 1);
	else
		atomic_fetch_sub(&dp->nparked, 1);
}

/* Gives parked sockets back to epoll once the application stopped. */
static void unpark_all(struct uroce_dp *dp)
{
	unsigned int i, n = atomic_load(&dp->nsocks);

	for (i = 0; i < n; i++)
		if (dp->socks[i]->parked)
			sock_park(dp, dp->socks[i], false);
}

/*
 * Sends the ACKs a polling application held back (rx.c) once it has
 * stopped polling; returns whether any are still held.
 */
static bool flush_deferred_acks(struct uroce_dp *dp, uint64_t now)
{
	unsigned int i, n = atomic_load(&dp->nsocks);
	struct uroce_sock *s;
	bool held = false;

	for (i = 0; i < n; i++) {
		s = dp->socks[i];
		if (!__atomic_load_n(&s->ndeferred, __ATOMIC_RELAXED))
			continue;
		if (app_polling(dp, now) || !uroce_rx_drain(dp, s, true))
			held = true;
	}
	return held;
}

/*
 * epoll_wait with a timeout finer than a millisecond. epoll_pwait2 is
 * Linux 5.11's, and a seccomp filter (ENOSYS, EPERM) or valgrind may
 * refuse it: then ppoll on the epoll fd waits as finely, and a second
 * call fetches what is ready.
 */
static int epoll_wait_ns(struct uroce_dp *dp, struct epoll_event *ev, int max,
			 const struct timespec *ts)
{
	static atomic_bool no_pwait2;
	struct pollfd pfd = { .fd = dp->epfd, .events = POLLIN };
	int n;

	if (!atomic_load_explicit(&no_pwait2, memory_order_relaxed)) {
		n = epoll_pwait2(dp->epfd, ev, max, ts, NULL);
		if (n >= 0 || (errno != ENOSYS && errno != EPERM))
			return n;
		atomic_store_explicit(&no_pwait2, true, memory_order_relaxed);
	}
	n = ppoll(&pfd, 1, ts, NULL);
	if (n <= 0)
		return n;
	return epoll_wait(dp->epfd, ev, max, 0);
}

/* epoll_wait until PARK_NS after the last poll, or @timeout_ms. */
static int wait_parked(struct uroce_dp *dp, struct epoll_event *ev, int max,
		       int timeout_ms)
{
	uint64_t t = atomic_load_explicit(&dp->last_poll, memory_order_relaxed);
	uint64_t now = uroce_now_ns(), wait = PARK_NS;
	struct timespec ts;

	if (t && t <= now && now - t < PARK_NS)
		wait = PARK_NS - (now - t);
	if (timeout_ms >= 0 && (uint64_t)timeout_ms * 1000000ull < wait)
		wait = (uint64_t)timeout_ms * 1000000ull;
	ts.tv_sec = (time_t)(wait / 1000000000ull);
	ts.tv_nsec = (long)(wait % 1000000000ull);
	return epoll_wait_ns(dp, ev, max, &ts);
}

static void mark_polling(struct uroce_dp *dp, struct uroce_sock *s,
			 uint64_t now)
{
	atomic_store_explicit(&dp->last_poll, now, memory_order_relaxed);
	sock_park(dp, s, true);
}

/*
 * "wire roce": the group's control messages and timers (its probe rounds
 * when this member leads), when its fd is ready or its timeout is due.
 * Returns the ms until it is due again, or -1.
 */
static int steer_run(struct uroce_dp *dp, bool ready)
{
	struct steer_group *g = atomic_load(&dp->steer);
	int t, err;

	if (!g)
		return -1;
	pthread_mutex_lock(&dp->steer_lock);
	t = steer_group_timeout(g);
	if (ready || !t) {
		err = steer_group_run(g);
		/* Its datagrams still come, by hash: RC recovers, UD may not. */
		if (err && !dp->steer_failed) {
			dp->steer_failed = true;
			uroce_warn("port %d: the group's membership failed: %s",
				   UROCE_ROCE_PORT, strerror(-err));
		}
		t = steer_group_timeout(g);
	}
	pthread_mutex_unlock(&dp->steer_lock);
	return t;
}

static void *engine_main(void *arg)
{
	struct uroce_dp *dp = arg;
	struct epoll_event ev[16];
	unsigned int idle_ticks = 0;
	uint64_t next, now, buf;
	int n, i, timeout, st;
	bool left;

	/* Park waits are tens of microseconds: the default slack is 50. */
	prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
	while (!atomic_load(&dp->stop)) {
		/* Idle first, then scan: a timer armed meanwhile kicks us. */
		atomic_store(&dp->idle, idle_ticks >= IDLE_TICKS);
		next = run_timers(dp);
		uroce_lag_tick(dp, uroce_now_ns());
		if (next) {
			atomic_store(&dp->idle, false);
			idle_ticks = 0;
			now = uroce_now_ns();
			timeout =
				next <= now ?
					0 :
					(int)((next - now + 999999) / 1000000);
			if (timeout > TICK_MS)
				timeout = TICK_MS;
		} else if (idle_ticks < IDLE_TICKS) {
			idle_ticks++;
			timeout = TICK_MS;
		} else {
			timeout = -1;
		}
		if (dp->nparked && !app_polling(dp, uroce_now_ns()))
			unpark_all(dp);
		/*
		 * Held-back ACKs wait a millisecond at most. Held transmit
		 * batches go now: after unparking, as tx.c expects.
		 */
		left = flush_deferred_acks(dp, uroce_now_ns());
		left |= uroce_rx_flush_held(dp); /* both run, always */
		if (left && (timeout < 0 || timeout > 1))
			timeout = 1;
		st = steer_run(dp, false);
		if (st >= 0 && (timeout < 0 || timeout > st))
			timeout = st;
		st = uroce_peer_watch_tick(dp, uroce_now_ns());
		if (st >= 0 && (timeout < 0 || timeout > st))
			timeout = st;
		/*
		 * Parked: wake when polling would have stopped for PARK_NS
		 * (uroce_req_notify_cq_dp kicks us when it stops earlier).
		 */
		if (dp->nparked)
			n = wait_parked(dp, ev, 16, timeout);
		else
			n = epoll_wait(dp->epfd, ev, 16, timeout);
		for (i = 0; i < n; i++) {
			if (!ev[i].data.ptr) {
				if (read(dp->evfd, &buf, sizeof(buf)) < 0)
					buf = 0;
				uroce_netns_serve(dp);
				idle_ticks = 0;
				continue;
			}
			if (ev[i].data.ptr == dp) { /* the group's (sock.c) */
				steer_run(dp, true);
				continue;
			}
			/* A poller holding the socket drains it: step aside. */
			now = uroce_now_ns();
			if (app_polling(dp, now))
				sock_park(dp, ev[i].data.ptr, true);
			else if (!uroce_rx_drain(dp, ev[i].data.ptr, true))
				/* Its poll_cq holds the lock: it polls. */
				mark_polling(dp, ev[i].data.ptr, now);
		}
	}
	return NULL;
}

int uroce_engine_start(struct uroce_context *ctx)
{
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t all, old;
	struct uroce_dp *dp;
	int ret;

	uroce_fault_init();
	dp = calloc(1, sizeof(*dp));
	if (!dp)
		return ENOMEM;
	dp->ctx = ctx;
	dp->evfd = -1;
	pthread_mutex_init(&dp->sock_lock, NULL);
	pthread_mutex_init(&dp->qp_list_lock, NULL);
	pthread_mutex_init(&dp->req_lock, NULL);
	pthread_cond_init(&dp->req_cond, NULL);
	pthread_mutex_init(&dp->steer_lock, NULL);
	uroce_list_init(&dp->qps);
	dp->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (dp->epfd < 0)
		goto err_errno;
	dp->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (dp->evfd < 0)
		goto err_errno;
	ev.data.ptr = NULL;
	if (epoll_ctl(dp->epfd, EPOLL_CTL_ADD, dp->evfd, &ev))
		goto err_errno;
	uroce_lag_init(ctx, dp);
	/* In the context's namespace, as the caller is now. */
	ret = uroce_peer_watch_open(dp);
	if (ret)
		goto err;
	/* The monitor thread reads it to move LAG QPs (lag.c). */
	__atomic_store_n(&ctx->dp, dp, __ATOMIC_RELEASE);
	/* The application's signals are for its own threads. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = pthread_create(&dp->thread, NULL, engine_main, dp);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret) {
		__atomic_store_n(&ctx->dp, NULL, __ATOMIC_RELEASE);
		uroce_peer_watch_close(dp);
		goto err;
	}
	dp->running = true;
	/* A link that changed since the context read its state. */
	uroce_lag_links(ctx);
	return 0;
err_errno:
	ret = errno;
err:
	if (dp->evfd >= 0)
		close(dp->evfd);
	if (dp->epfd >= 0)
		close(dp->epfd);
	free(dp);
	return ret;
}

void uroce_engine_stop(struct uroce_context *ctx)
{
	struct uroce_dp *dp = ctx->dp;
	unsigned int i;

	if (!dp)
		return;
	if (dp->running) {
		atomic_store(&dp->stop, true);
		uroce_engine_kick(dp);
		pthread_join(dp->thread, NULL);
	}
	uroce_qp_destroy_all(ctx);
	for (i = 0; i < atomic_load(&dp->nsocks); i++)
		uroce_sock_free(dp->socks[i]);
	uroce_sport_close(dp);
	uroce_mcast_free(dp);
	close(dp->evfd);
	close(dp->epfd);
	uroce_lag_fini(dp);
	uroce_peer_watch_close(dp);
	pthread_mutex_destroy(&dp->sock_lock);
	pthread_mutex_destroy(&dp->qp_list_lock);
	pthread_mutex_destroy(&dp->req_lock);
	pthread_cond_destroy(&dp->req_cond);
	pthread_mutex_destroy(&dp->steer_lock);
	free(dp);
	ctx->dp = NULL;
}
