// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The per-context monitor thread. It is created by alloc_context, so it
 * lives in the context's network namespace for good; on every rtnetlink
 * notification it re-reads the port state there, swaps the snapshot that
 * queries are served from, and posts the async events the change calls for.
 * It also answers the context's query endpoint (endpoint.c).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "util/log.h"
#include "util/rtnl.h"
#include "providers/uroce/endpoint.h"
#include "providers/uroce/lag.h"
#include "providers/uroce/monitor.h"
#include "providers/uroce/state.h"
#include "providers/uroce/uroce.h"

/* A failed dump (e.g. out of memory) is retried after this long. */
#define MONITOR_RETRY_MS 200

static void post_event(struct uroce_context *ctx, enum ibv_event_type type)
{
	struct ibv_async_event ev;
	int ret;

	memset(&ev, 0, sizeof(ev));
	ev.event_type = type;
	if (type != IBV_EVENT_DEVICE_FATAL)
		ev.element.port_num = UROCE_PORT;
	ret = verbs_post_async_event(&ctx->vctx.context, &ev);
	if (ret)
		uroce_warn("%s: async event %d lost: %s",
			   ctx->dev->vdev.device.name, type, strerror(ret));
}

static bool gids_differ(const struct uroce_port_state *a,
			const struct uroce_port_state *b)
{
	unsigned int i;

	if (a->ngids != b->ngids)
		return true;
	/* A LAG moving to another member keeps its GIDs: compare them only. */
	for (i = 0; i < a->ngids; i++)
		if (memcmp(a->gids[i].gid.raw, b->gids[i].gid.raw,
			   sizeof(a->gids[i].gid.raw)))
			return true;
	return false;
}

static int monitor_refresh(struct uroce_context *ctx)
{
	struct uroce_port_state st;
	bool was_running, gid_change;
	int ret;

	ret = uroce_state_read(ctx->dev, &st);
	if (ret)
		return ret;

	pthread_mutex_lock(&ctx->state_lock);
	was_running = ctx->state.running;
	gid_change = gids_differ(&ctx->state, &st);
	ctx->state = st;
	pthread_mutex_unlock(&ctx->state_lock);

	if (!st.present) {
		/* Deleted, or moved to another namespace: it is gone for us. */
		uroce_info("%s: netdev gone, device fatal",
			   ctx->dev->vdev.device.name);
		ctx->fatal = true;
		post_event(ctx, IBV_EVENT_PORT_ERR);
		post_event(ctx, IBV_EVENT_DEVICE_FATAL);
		return 0;
	}
	/* Before the events: a member's QPs move within milliseconds. */
	uroce_lag_links(ctx);
	if (was_running != st.running)
		post_event(ctx, st.running ? IBV_EVENT_PORT_ACTIVE :
					     IBV_EVENT_PORT_ERR);
	if (gid_change)
		post_event(ctx, IBV_EVENT_GID_CHANGE);
	return 0;
}

static void *monitor_main(void *arg)
{
	struct uroce_context *ctx = arg;
	/* The query endpoint last: -1 when there is none, which poll skips. */
	struct pollfd pfd[3] = {
		{ .fd = ctx->stop_fd, .events = POLLIN },
		{ .fd = ctx->mon_fd, .events = POLLIN },
		{ .fd = ctx->ep_fd, .events = POLLIN },
	};
	int timeout = -1, n, ret;
	bool watch = true;

	for (;;) {
		/* Once the netdev is gone only the stop request matters. */
		if (ctx->fatal)
			watch = false;
		pfd[1].fd = watch ? ctx->mon_fd : -1;
		n = poll(pfd, 3, watch ? timeout : -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			uroce_err("monitor: poll: %s", strerror(errno));
			break;
		}
		if (pfd[0].revents)
			break;
		if (pfd[2].revents)
			uroce_ctx_ep_serve(ctx);
		/* Woken by a query alone: the port has not changed. */
		if (n > 0 && !pfd[1].revents)
			continue;
		if (n > 0) {
			ret = rtnl_monitor_drain(ctx->mon_fd);
			if (!ret)
				continue;
			if (ret < 0 && ret != -ENOMEM) {
				/* Not transient: polling again would spin. */
				uroce_err("%s: monitor socket: %s; port state "
					  "no longer follows the netdev",
					  ctx->dev->vdev.device.name,
					  strerror(-ret));
				watch = false;
				continue;
			}
		}
		ret = monitor_refresh(ctx);
		if (ret)
			uroce_warn("%s: cannot read the port state: %s",
				   ctx->dev->vdev.device.name, strerror(-ret));
		timeout = ret ? MONITOR_RETRY_MS : -1;
	}
	return NULL;
}

int uroce_monitor_start(struct uroce_context *ctx)
{
	sigset_t all, old;
	int ret;

	ctx->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (ctx->stop_fd < 0)
		return errno;
	/* The application's signals belong to the application's threads. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = pthread_create(&ctx->mon_thread, NULL, monitor_main, ctx);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret) {
		close(ctx->stop_fd);
		ctx->stop_fd = -1;
		return ret;
	}
	pthread_setname_np(ctx->mon_thread, "uroce-monitor");
	ctx->mon_running = true;
	return 0;
}

void uroce_monitor_stop(struct uroce_context *ctx)
{
	uint64_t one = 1;
	ssize_t n;

	if (!ctx->mon_running)
		return;
	do {
		n = write(ctx->stop_fd, &one, sizeof(one));
	} while (n < 0 && errno == EINTR);
	pthread_join(ctx->mon_thread, NULL);
	ctx->mon_running = false;
	close(ctx->stop_fd);
	ctx->stop_fd = -1;
}
