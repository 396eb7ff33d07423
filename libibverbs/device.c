// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Device lists, contexts and the async event queue. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <string.h>
#include <unistd.h>

#include "ibverbs.h"
#include "util/log.h"

static void device_get(struct verbs_device *vdev)
{
	atomic_fetch_add(&vdev->refcount, 1);
}

void verbs_device_put(struct verbs_device *vdev)
{
	if (atomic_fetch_sub(&vdev->refcount, 1) == 1)
		vdev->provider->free_device(vdev);
}

/*
 * Each call asks every provider for the devices the calling thread can see
 * now, so a thread that moved to another network namespace gets that
 * namespace's devices. Device objects live on while a context uses them.
 */
struct ibv_device **ibv_get_device_list(int *num_devices)
{
	const struct verbs_provider **prov;
	struct ibv_device **list = NULL, **grown;
	struct verbs_device **found;
	int total = 0, n, i, err = 0;

	uroce_log_init();
	verbs_load_providers(&prov);
	list = calloc(1, sizeof(*list));
	if (!list) {
		errno = ENOMEM;
		return NULL;
	}
	for (; *prov; prov++) {
		n = (*prov)->list_devices(&found);
		if (n < 0) {
			uroce_warn("provider %s: cannot list devices: %s",
				   (*prov)->name, strerror(-n));
			err = -n;
			continue;
		}
		grown = realloc(list, (total + n + 1) * sizeof(*list));
		if (!grown) {
			for (i = 0; i < n; i++)
				(*prov)->free_device(found[i]);
			free(found);
			err = ENOMEM;
			goto fail;
		}
		list = grown;
		for (i = 0; i < n; i++) {
			found[i]->provider = *prov;
			atomic_store(&found[i]->refcount, 1);
			list[total++] = &found[i]->device;
		}
		list[total] = NULL;
		free(found);
	}
	if (num_devices)
		*num_devices = total;
	return list;

fail:
	ibv_free_device_list(list);
	errno = err;
	return NULL;
}

void ibv_free_device_list(struct ibv_device **list)
{
	struct ibv_device **dev;

	if (!list)
		return;
	for (dev = list; *dev; dev++)
		verbs_device_put(verbs_get_device(*dev));
	free(list);
}

const char *ibv_get_device_name(struct ibv_device *device)
{
	if (!device) {
		errno = EINVAL;
		return NULL;
	}
	return device->name;
}

__be64 ibv_get_device_guid(struct ibv_device *device)
{
	if (!device) {
		errno = EINVAL;
		return 0;
	}
	return verbs_get_device(device)->node_guid;
}

int ibv_get_device_index(struct ibv_device *device)
{
	if (!device) {
		errno = EINVAL;
		return -1;
	}
	return verbs_get_device(device)->index;
}

/*
 * A pipe for events: the application reads (and may make its end
 * non-blocking); the writer never blocks, so an application that does not
 * read its events cannot stall the provider's threads. An event that finds
 * the pipe full is dropped and logged.
 */
static int event_pipe(int fds[2])
{
	if (pipe2(fds, O_CLOEXEC))
		return -1;
	if (fcntl(fds[1], F_SETFL, O_NONBLOCK)) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	return 0;
}

int verbs_init_context(struct verbs_context *vctx, struct ibv_device *dev)
{
	struct ibv_context *ctx = &vctx->context;
	struct verbs_ex_private *priv;
	int fds[2];

	priv = calloc(1, sizeof(*priv));
	if (!priv)
		return ENOMEM;
	if (event_pipe(fds)) {
		free(priv);
		return errno;
	}
	/*
	 * The kernel's cmd_fd is the uverbs device file; uroce has no kernel
	 * object, but callers dup(), poll or pass it on (ibv_import_device,
	 * which then fails with EOPNOTSUPP rather than EBADF). An eventfd
	 * that is never signalled needs no file system and no privilege.
	 */
	ctx->cmd_fd = eventfd(0, EFD_CLOEXEC);
	if (ctx->cmd_fd < 0) {
		int ret = errno;

		close(fds[0]);
		close(fds[1]);
		free(priv);
		return ret;
	}
	vctx->priv = priv;
	vctx->sz = sizeof(*vctx);
	ctx->device = dev;
	ctx->async_fd = fds[0];
	priv->async_wfd = fds[1];
	ctx->num_comp_vectors = 1;
	/* Tells verbs_get_ctx() in applications that vctx surrounds ctx. */
	ctx->abi_compat = __VERBS_ABI_IS_EXTENDED;
	pthread_mutex_init(&ctx->mutex, NULL);
	verbs_set_ops(vctx, &verbs_dummy_ops);
	return 0;
}

void verbs_uninit_context(struct verbs_context *vctx)
{
	struct verbs_ex_private *priv = vctx->priv;

	if (!priv)
		return;
	close(vctx->context.async_fd);
	close(vctx->context.cmd_fd);
	close(priv->async_wfd);
	pthread_mutex_destroy(&vctx->context.mutex);
	free(priv);
	vctx->priv = NULL;
}

struct ibv_context *ibv_open_device(struct ibv_device *device)
{
	struct verbs_device *vdev;
	struct verbs_context *vctx;

	if (!device) {
		errno = EINVAL;
		return NULL;
	}
	vdev = verbs_get_device(device);
	device_get(vdev);
	vctx = vdev->provider->alloc_context(device, NULL);
	if (!vctx) {
		int err = errno ? errno : ENOMEM;

		verbs_device_put(vdev);
		errno = err;
		return NULL;
	}
	return &vctx->context;
}

int ibv_close_device(struct ibv_context *context)
{
	struct verbs_device *vdev;

	if (!context)
		return EINVAL;
	vdev = verbs_get_device(context->device);
	get_ops(context)->free_context(context);
	verbs_device_put(vdev);
	return 0;
}

int verbs_post_async_event(struct ibv_context *ctx,
			   const struct ibv_async_event *event)
{
	struct verbs_async_rec rec = { .event = *event };
	ssize_t n;

	/* A record is far below PIPE_BUF, so the write is atomic. */
	do {
		n = write(verbs_priv(ctx)->async_wfd, &rec, sizeof(rec));
	} while (n < 0 && errno == EINTR);
	if (n == sizeof(rec))
		return 0;
	uroce_warn("async event %s dropped: %s",
		   ibv_event_type_str(event->event_type), strerror(errno));
	return errno;
}

int ibv_get_async_event(struct ibv_context *context,
			struct ibv_async_event *event)
{
	struct verbs_async_rec rec;
	ssize_t n;

	if (!context || !event) {
		errno = EINVAL;
		return -1;
	}
	do {
		n = read(context->async_fd, &rec, sizeof(rec));
	} while (n < 0 && errno == EINTR);
	if (n != sizeof(rec)) {
		if (n >= 0)
			errno = EIO;
		return -1;
	}
	*event = rec.event;
	get_ops(context)->async_event(context, event);
	return 0;
}

static void count_event(pthread_mutex_t *mutex, pthread_cond_t *cond,
			uint32_t *counter)
{
	pthread_mutex_lock(mutex);
	++*counter;
	pthread_cond_signal(cond);
	pthread_mutex_unlock(mutex);
}

void ibv_ack_async_event(struct ibv_async_event *event)
{
	if (!event)
		return;
	switch (event->event_type) {
	case IBV_EVENT_CQ_ERR:
		count_event(&event->element.cq->mutex, &event->element.cq->cond,
			    &event->element.cq->async_events_completed);
		break;
	case IBV_EVENT_QP_FATAL:
	case IBV_EVENT_QP_REQ_ERR:
	case IBV_EVENT_QP_ACCESS_ERR:
	case IBV_EVENT_COMM_EST:
	case IBV_EVENT_SQ_DRAINED:
	case IBV_EVENT_PATH_MIG:
	case IBV_EVENT_PATH_MIG_ERR:
	case IBV_EVENT_QP_LAST_WQE_REACHED:
		count_event(&event->element.qp->mutex, &event->element.qp->cond,
			    &event->element.qp->events_completed);
		break;
	case IBV_EVENT_SRQ_ERR:
	case IBV_EVENT_SRQ_LIMIT_REACHED:
		count_event(&event->element.srq->mutex,
			    &event->element.srq->cond,
			    &event->element.srq->events_completed);
		break;
	case IBV_EVENT_WQ_FATAL:
		count_event(&event->element.wq->mutex, &event->element.wq->cond,
			    &event->element.wq->events_completed);
		break;
	default:
		break;
	}
}

struct ibv_comp_channel *ibv_create_comp_channel(struct ibv_context *context)
{
	struct verbs_comp_channel *vch;
	int fds[2];

	if (!context) {
		errno = EINVAL;
		return NULL;
	}
	vch = calloc(1, sizeof(*vch));
	if (!vch) {
		errno = ENOMEM;
		return NULL;
	}
	if (event_pipe(fds)) {
		free(vch);
		return NULL;
	}
	vch->channel.context = context;
	vch->channel.fd = fds[0];
	vch->channel.refcnt = 0;
	vch->wfd = fds[1];
	return &vch->channel;
}

int ibv_destroy_comp_channel(struct ibv_comp_channel *channel)
{
	struct verbs_comp_channel *vch;
	int busy;

	if (!channel)
		return EINVAL;
	vch = (struct verbs_comp_channel *)channel;
	pthread_mutex_lock(&channel->context->mutex);
	busy = channel->refcnt;
	pthread_mutex_unlock(&channel->context->mutex);
	if (busy)
		return EBUSY;
	close(channel->fd);
	close(vch->wfd);
	free(vch);
	return 0;
}

int verbs_post_comp_event(struct ibv_comp_channel *channel, struct ibv_cq *cq)
{
	struct verbs_comp_channel *vch = (struct verbs_comp_channel *)channel;
	ssize_t n;

	if (!channel)
		return 0;
	do {
		n = write(vch->wfd, &cq, sizeof(cq));
	} while (n < 0 && errno == EINTR);
	if (n == sizeof(cq))
		return 0;
	uroce_warn("completion event dropped: %s", strerror(errno));
	return errno;
}

int ibv_get_cq_event(struct ibv_comp_channel *channel, struct ibv_cq **cq,
		     void **cq_context)
{
	struct ibv_cq *ev_cq;
	ssize_t n;

	if (!channel || !cq || !cq_context) {
		errno = EINVAL;
		return -1;
	}
	do {
		n = read(channel->fd, &ev_cq, sizeof(ev_cq));
	} while (n < 0 && errno == EINTR);
	if (n != sizeof(ev_cq)) {
		if (n >= 0)
			errno = EIO;
		return -1;
	}
	*cq = ev_cq;
	*cq_context = ev_cq->cq_context;
	get_ops(ev_cq->context)->cq_event(ev_cq);
	return 0;
}

void ibv_ack_cq_events(struct ibv_cq *cq, unsigned int nevents)
{
	if (!cq)
		return;
	pthread_mutex_lock(&cq->mutex);
	cq->comp_events_completed += nevents;
	pthread_cond_signal(&cq->cond);
	pthread_mutex_unlock(&cq->mutex);
}

void verbs_init_cq(struct ibv_cq *cq, struct ibv_context *ctx,
		   struct ibv_comp_channel *channel, void *cq_context)
{
	cq->context = ctx;
	cq->channel = channel;
	cq->cq_context = cq_context;
	cq->comp_events_completed = 0;
	cq->async_events_completed = 0;
	pthread_mutex_init(&cq->mutex, NULL);
	pthread_cond_init(&cq->cond, NULL);
	if (channel) {
		pthread_mutex_lock(&ctx->mutex);
		channel->refcnt++;
		pthread_mutex_unlock(&ctx->mutex);
	}
}
