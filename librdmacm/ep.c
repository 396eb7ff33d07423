// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The endpoint helpers: rdma_create_ep / rdma_destroy_ep make and tear
 * down a synchronous ID (resolved, or bound for listening) with its QP,
 * and rdma_get_request hands out the next connection request of a
 * synchronous listener, with a QP made from the listener's template.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "librdmacm/cma.h"

#define CM_EP_TIMEOUT_MS 2000

int rdma_create_ep(struct rdma_cm_id **id, struct rdma_addrinfo *res,
		   struct ibv_pd *pd, struct ibv_qp_init_attr *qp_init_attr)
{
	struct rdma_cm_id *cm_id;
	struct cm_id *cid;
	int ret;

	if (!id || !res) {
		errno = EINVAL;
		return -1;
	}
	if (cm_create_id(NULL, &cm_id, NULL, res->ai_port_space,
			 res->ai_qp_type))
		return -1;
	cid = to_cm_id(cm_id);
	if (res->ai_flags & RAI_PASSIVE) {
		ret = rdma_bind_addr(cm_id, res->ai_src_addr);
	} else {
		ret = rdma_resolve_addr(
			cm_id, res->ai_src_len ? res->ai_src_addr : NULL,
			res->ai_dst_addr, CM_EP_TIMEOUT_MS);
		if (!ret)
			ret = rdma_resolve_route(cm_id, CM_EP_TIMEOUT_MS);
	}
	if (ret)
		goto err;
	if (pd)
		cm_id->pd = pd;
	if (qp_init_attr) {
		/* The address info, not the caller, says what the QP is. */
		qp_init_attr->qp_type = res->ai_qp_type;
		if (res->ai_flags & RAI_PASSIVE) {
			/* The template for rdma_get_request's QPs. */
			cid->ep_qp_attr = malloc(sizeof(*qp_init_attr));
			if (!cid->ep_qp_attr) {
				errno = ENOMEM;
				goto err;
			}
			*cid->ep_qp_attr = *qp_init_attr;
		} else if (rdma_create_qp(cm_id, pd, qp_init_attr)) {
			goto err;
		}
	}
	*id = cm_id;
	return 0;
err:
	ret = errno;
	rdma_destroy_ep(cm_id);
	errno = ret;
	return -1;
}

void rdma_destroy_ep(struct rdma_cm_id *id)
{
	struct cm_id *cid = to_cm_id(id);

	if (!id)
		return;
	if (id->qp)
		rdma_destroy_qp(id);
	if (id->srq)
		rdma_destroy_srq(id);
	free(cid->ep_qp_attr);
	cid->ep_qp_attr = NULL;
	rdma_destroy_id(id);
}

int rdma_get_request(struct rdma_cm_id *listen, struct rdma_cm_id **id)
{
	struct cm_id *lid = to_cm_id(listen);
	struct rdma_cm_event *event;
	struct ibv_qp_init_attr attr;
	struct rdma_cm_id *child;
	int ret;

	if (!listen || !id || !lid->sync) {
		errno = EINVAL;
		return -1;
	}
	if (rdma_get_cm_event(listen->channel, &event))
		return -1;
	if (event->status) {
		ret = event->status < 0 ? -event->status : event->status;
		goto err_ack;
	}
	if (event->event != RDMA_CM_EVENT_CONNECT_REQUEST) {
		ret = EINVAL;
		goto err_ack;
	}
	child = event->id;
	/* Acked by rdma_accept / rdma_reject / rdma_destroy_id. */
	child->event = event;
	if (lid->ep_qp_attr) {
		attr = *lid->ep_qp_attr;
		if (listen->srq && !attr.srq)
			attr.srq = listen->srq;
		if (rdma_create_qp(child, listen->pd, &attr)) {
			ret = errno;
			rdma_destroy_id(child);
			errno = ret;
			return -1;
		}
	}
	*id = child;
	return 0;
err_ack:
	rdma_ack_cm_event(event);
	errno = ret;
	return -1;
}
