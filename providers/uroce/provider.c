// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What the provider exports to libibverbs: the verbs_provider symbol (the
 * only one the version script lets out) and the context ops.
 */
#include "providers/uroce/uroce.h"

/* Ops left out fail with EOPNOTSUPP in libibverbs. */
const struct verbs_context_ops uroce_ops = {
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

extern const struct verbs_provider verbs_provider;

/* device.c lists devices for the sysfs interposer too: the provider is ours. */
static int list_devices(struct verbs_device ***list)
{
	int i, n = uroce_list_devices(list);

	for (i = 0; i < n; i++)
		(*list)[i]->provider = &verbs_provider;
	return n;
}

const struct verbs_provider verbs_provider = {
	.name = "uroce",
	.abi = VERBS_PROVIDER_ABI,
	.list_devices = list_devices,
	.alloc_context = uroce_alloc_context,
	.free_device = uroce_free_device,
};
