// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Contexts: what ibv_open_device creates, and the verbs they serve. A
 * context belongs to the network namespace of the thread that opened it,
 * whatever that thread does later.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"
#include "util/rtnl.h"
#include "providers/uroce/ah.h"
#include "providers/uroce/context.h"
#include "providers/uroce/cq.h"
#include "providers/uroce/device.h"
#include "providers/uroce/endpoint.h"
#include "providers/uroce/engine.h"
#include "providers/uroce/mcast.h"
#include "providers/uroce/monitor.h"
#include "providers/uroce/mr.h"
#include "providers/uroce/mw.h"
#include "providers/uroce/pd.h"
#include "providers/uroce/poll.h"
#include "providers/uroce/port.h"
#include "providers/uroce/qp.h"
#include "providers/uroce/query.h"
#include "providers/uroce/rq.h"
#include "providers/uroce/sq.h"
#include "providers/uroce/srq.h"
#include "providers/uroce/state.h"
#include "providers/uroce/uroce.h"

/* A device listed in one namespace cannot be opened from another. */
static int check_netns(const struct uroce_device *dev, int fd)
{
	dev_t ns_dev;
	ino_t ns_ino;
	int ret;

	ret = uroce_netns_id(fd, &ns_dev, &ns_ino);
	if (ret)
		return ret;
	if (dev->netns_ino &&
	    (ns_dev != dev->netns_dev || ns_ino != dev->netns_ino))
		return ENODEV;
	return 0;
}

static void context_free(struct uroce_context *ctx)
{
	uroce_srq_destroy_all(ctx);
	uroce_ah_destroy_all(ctx);
	uroce_mw_destroy_all(ctx);
	uroce_mr_destroy_all(ctx);
	uroce_cq_destroy_all(ctx);
	uroce_pd_destroy_all(ctx);
	uroce_keytab_free(&ctx->mrs);
	if (ctx->mon_fd >= 0)
		close(ctx->mon_fd);
	if (ctx->ep_fd >= 0)
		close(ctx->ep_fd);
	if (ctx->netns_fd >= 0)
		close(ctx->netns_fd);
	pthread_rwlock_destroy(&ctx->mr_lock);
	pthread_mutex_destroy(&ctx->obj_lock);
	pthread_mutex_destroy(&ctx->state_lock);
	verbs_uninit_context(&ctx->vctx);
	free(ctx);
}

/* Ops left out fail with EOPNOTSUPP in libibverbs. */
static const struct verbs_context_ops uroce_ops = {
	.query_device_ex = uroce_query_device_ex,
	.query_port = uroce_query_port,
	.query_gid_ex = uroce_query_gid_ex,
	.query_pkey = uroce_query_pkey,

	.alloc_pd = uroce_alloc_pd,
	.dealloc_pd = uroce_dealloc_pd,
	.alloc_parent_domain = uroce_alloc_parent_domain,
	.reg_mr = uroce_reg_mr,
	.rereg_mr = uroce_rereg_mr,
	.dereg_mr = uroce_dereg_mr,
	.alloc_mw = uroce_alloc_mw,
	.dealloc_mw = uroce_dealloc_mw,
	.bind_mw = uroce_bind_mw,
	.advise_mr = uroce_advise_mr,

	.create_cq = uroce_create_cq,
	.create_cq_ex = uroce_create_cq_ex,
	/* drains the context's sockets, then uroce_poll_cq */
	.poll_cq = uroce_poll_cq_dp,
	/* lets the engine drain again, then uroce_req_notify_cq */
	.req_notify_cq = uroce_req_notify_cq_dp,
	.resize_cq = uroce_resize_cq,
	.destroy_cq = uroce_destroy_cq,

	.create_srq = uroce_create_srq,
	.modify_srq = uroce_modify_srq,
	.query_srq = uroce_query_srq,
	.destroy_srq = uroce_destroy_srq,
	.post_srq_recv = uroce_post_srq_recv,

	.create_qp = uroce_create_qp,
	.create_qp_ex = uroce_create_qp_ex,
	.qp_to_qp_ex = uroce_qp_to_qp_ex,
	.modify_qp = uroce_modify_qp,
	.query_qp = uroce_query_qp,
	.destroy_qp = uroce_destroy_qp,
	.post_send = uroce_post_send,
	.post_recv = uroce_post_recv,
	.attach_mcast = uroce_attach_mcast,
	.detach_mcast = uroce_detach_mcast,

	.create_ah = uroce_create_ah,
	.destroy_ah = uroce_destroy_ah,

	.free_context = uroce_free_context,
};

struct verbs_context *uroce_alloc_context(struct ibv_device *ibdev,
					  void *private_data)
{
	struct uroce_device *dev = to_udev(ibdev);
	struct uroce_context *ctx;
	int ret;

	ctx = calloc(1, sizeof(*ctx));
	if (!ctx) {
		errno = ENOMEM;
		return NULL;
	}
	ret = verbs_init_context(&ctx->vctx, ibdev);
	if (ret) {
		free(ctx);
		errno = ret < 0 ? -ret : ret;
		return NULL;
	}
	verbs_set_ops(&ctx->vctx, &uroce_ops);
	ctx->dev = dev;
	ctx->mon_fd = -1;
	ctx->stop_fd = -1;
	ctx->ep_fd = -1;
	pthread_mutex_init(&ctx->state_lock, NULL);
	pthread_mutex_init(&ctx->obj_lock, NULL);
	pthread_rwlock_init(&ctx->mr_lock, NULL);
	uroce_keytab_init(&ctx->mrs);
	uroce_keytab_init(&ctx->mws);
	uroce_list_init(&ctx->pds);
	uroce_list_init(&ctx->cqs);
	uroce_list_init(&ctx->srqs);
	uroce_list_init(&ctx->ahs);

	ctx->netns_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (ctx->netns_fd < 0) {
		ret = errno;
		uroce_err("%s: cannot open /proc/thread-self/ns/net: %s",
			  ibdev->name, strerror(ret));
		goto err;
	}
	ret = check_netns(dev, ctx->netns_fd);
	if (ret)
		goto err;

	/* Subscribe before the first dump so that no change slips between. */
	ctx->mon_fd = rtnl_monitor_open();
	if (ctx->mon_fd < 0) {
		ret = -ctx->mon_fd;
		goto err;
	}
	ret = -uroce_state_read(dev, &ctx->state);
	if (ret)
		goto err;
	if (!ctx->state.present) {
		ret = ENODEV;
		goto err;
	}
	/* In the opening thread: the endpoint joins the context's netns. */
	ret = uroce_ep_open(ctx);
	if (ret)
		uroce_warn("%s: no query endpoint: %s", ibdev->name,
			   strerror(ret));
	/* The monitor serves the endpoint, which reads ctx->dp: engine first. */
	ret = uroce_engine_start(ctx);
	if (ret)
		goto err;
	ret = uroce_monitor_start(ctx);
	if (ret) {
		uroce_engine_stop(ctx);
		goto err;
	}
	return &ctx->vctx;
err:
	context_free(ctx);
	errno = ret;
	return NULL;
}

void uroce_free_context(struct ibv_context *ibctx)
{
	struct uroce_context *ctx = to_uctx(ibctx);

	uroce_monitor_stop(ctx);
	/* QPs first: they hold CQs, PDs and MRs. */
	uroce_engine_stop(ctx);
	context_free(ctx);
}
