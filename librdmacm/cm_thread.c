// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The CM thread: one per process, started by the first channel or ID. It
 * waits in epoll on every CM socket, the namespaces' rtnetlink monitors
 * and the query endpoint, and runs the IDs' retransmission and timewait
 * timers. Everything it does is under cm_lock.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "librdmacm/cma.h"
#include "util/log.h"
#include "util/rtnl.h"

#define CM_EPOLL_BATCH 32

static int cm_epfd = -1;
static int cm_kickfd = -1;
static pthread_t cm_tid;
static bool cm_started;
static pid_t cm_pid; /* the process cm_tid runs in (not a forked child) */
static atomic_bool cm_stop;
static int kick_kind = CM_FD_KICK;

bool cm_in_thread(void)
{
	return cm_started && pthread_equal(pthread_self(), cm_tid);
}

int cm_thread_add_fd(int fd, void *ptr, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = ptr };

	if (epoll_ctl(cm_epfd, EPOLL_CTL_ADD, fd, &ev))
		return -errno;
	return 0;
}

void cm_thread_del_fd(int fd)
{
	epoll_ctl(cm_epfd, EPOLL_CTL_DEL, fd, NULL);
}

void cm_thread_kick(void)
{
	uint64_t one = 1;

	if (cm_kickfd >= 0 && !cm_in_thread() &&
	    write(cm_kickfd, &one, sizeof(one)) < 0)
		uroce_dbg("rdmacm: kick: %s", strerror(errno));
}

void cm_arm(struct cm_id *cid, unsigned int ms)
{
	cid->deadline = cm_now_ms() + ms;
	if (!cid->deadline)
		cid->deadline = 1;
	cm_thread_kick();
}

void cm_disarm(struct cm_id *cid)
{
	cid->deadline = 0;
}

/* Fires due timers; returns ms to the next one, -1 if none. */
static int run_timers(void)
{
	uint64_t now = cm_now_ms(), next = UINT64_MAX;
	struct cm_id *cid, *n;

	for (cid = cm_id_first(); cid; cid = n) {
		n = cid->next;
		if (!cid->deadline)
			continue;
		if (cid->deadline <= now) {
			cid->deadline = 0;
			cm_timeout(cid);
			/* cm_timeout may free cid, never another ID */
			continue;
		}
		if (cid->deadline < next)
			next = cid->deadline;
	}
	/* A timer armed by a timeout is found on the next turn. */
	for (cid = cm_id_first(); cid; cid = cid->next)
		if (cid->deadline && cid->deadline < next)
			next = cid->deadline;
	if (next == UINT64_MAX)
		return -1;
	now = cm_now_ms();
	return next <= now ? 0 : (int)(next - now);
}

static void handle(struct epoll_event *e, bool *ep_ready)
{
	int kind = *(int *)e->data.ptr;
	uint64_t v;

	switch (kind) {
	case CM_FD_SOCK: {
		struct cm_sock *s = e->data.ptr;

		if (s->dead)
			break;
		if (e->events & EPOLLERR)
			cm_sock_errqueue(s);
		if (!s->dead && (e->events & EPOLLIN) && s->roce)
			cm_roce_drain(s);
		else if (!s->dead && (e->events & EPOLLIN))
			cm_sock_drain(s);
		break;
	}
	case CM_FD_NS: {
		struct cm_ns *ns = e->data.ptr;

		if (rtnl_monitor_drain(ns->mon_fd) > 0)
			cm_ns_changed(ns);
		break;
	}
	case CM_FD_KICK:
		if (read(cm_kickfd, &v, sizeof(v)) < 0)
			break;
		break;
	case CM_FD_EP:
		*ep_ready = true;
		break;
	case CM_FD_STEER:
		cm_roce_run(e->data.ptr);
		break;
	}
}

static void *cm_thread(void *arg)
{
	struct epoll_event evs[CM_EPOLL_BATCH];
	int i, n, timeout;
	bool ep_ready;

	pthread_mutex_lock(&cm_lock);
	for (;;) {
		timeout = cm_roce_timeout(run_timers());
		cm_sock_reap();
		pthread_mutex_unlock(&cm_lock);
		n = epoll_wait(cm_epfd, evs, CM_EPOLL_BATCH, timeout);
		pthread_mutex_lock(&cm_lock);
		if (atomic_load(&cm_stop))
			break;
		ep_ready = false;
		for (i = 0; i < n; i++)
			handle(&evs[i], &ep_ready);
		/* After the batch, whose sockets it could let go. */
		if (ep_ready) {
			pthread_mutex_unlock(&cm_lock);
			cm_ep_serve();
			pthread_mutex_lock(&cm_lock);
		}
	}
	pthread_mutex_unlock(&cm_lock);
	return NULL;
}

int cm_thread_start(void)
{
	static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;
	sigset_t all, old;
	int ret = 0;

	pthread_mutex_lock(&start_lock);
	if (cm_started)
		goto out;
	uroce_log_init();
	cm_epfd = epoll_create1(EPOLL_CLOEXEC);
	if (cm_epfd < 0) {
		ret = -errno;
		goto out;
	}
	cm_kickfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (cm_kickfd < 0) {
		ret = -errno;
		goto err_ep;
	}
	ret = cm_thread_add_fd(cm_kickfd, &kick_kind, EPOLLIN);
	if (ret)
		goto err_kick;
	/* Signals belong to the application's threads. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = -pthread_create(&cm_tid, NULL, cm_thread, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret)
		goto err_kick;
	cm_pid = getpid();
	cm_started = true;
	cm_ep_start();
	goto out;
err_kick:
	close(cm_kickfd);
	cm_kickfd = -1;
err_ep:
	close(cm_epfd);
	cm_epfd = -1;
out:
	pthread_mutex_unlock(&start_lock);
	return ret;
}

bool cm_forked_child(void)
{
	return cm_started && cm_pid != getpid();
}

/*
 * Ends the CM thread, at exit or unload. Only in the process that started
 * it: a forked child has a copy of cm_tid but no thread to join.
 */
void cm_thread_stop(void)
{
	if (!cm_started || cm_pid != getpid() || cm_in_thread())
		return;
	atomic_store(&cm_stop, true);
	cm_thread_kick();
	pthread_join(cm_tid, NULL);
	cm_started = false;
}
