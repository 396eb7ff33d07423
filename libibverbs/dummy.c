// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The ops a provider leaves unset: each fails as rdma-core does for an
 * unsupported operation, with EOPNOTSUPP (or NULL and errno EOPNOTSUPP).
 */
#include <string.h>

#include "ibverbs.h"

static int fail_int(void)
{
	return EOPNOTSUPP;
}

static void *fail_ptr(void)
{
	errno = EOPNOTSUPP;
	return NULL;
}

static int dummy_query_device_ex(struct ibv_context *context,
				 const struct ibv_query_device_ex_input *input,
				 struct ibv_device_attr_ex *attr,
				 size_t attr_size)
{
	return fail_int();
}

static int dummy_query_port(struct ibv_context *context, uint8_t port_num,
			    struct ibv_port_attr *port_attr,
			    size_t port_attr_len)
{
	return fail_int();
}

static int dummy_query_gid_ex(struct ibv_context *context, uint32_t port_num,
			      uint32_t gid_index, struct ibv_gid_entry *entry)
{
	return fail_int();
}

static int dummy_query_pkey(struct ibv_context *context, uint8_t port_num,
			    int index, __be16 *pkey)
{
	return fail_int();
}

static void dummy_async_event(struct ibv_context *context,
			      struct ibv_async_event *event)
{
}

static struct ibv_pd *dummy_alloc_pd(struct ibv_context *context)
{
	return fail_ptr();
}

static int dummy_dealloc_pd(struct ibv_pd *pd)
{
	return fail_int();
}

static struct ibv_mr *dummy_reg_mr(struct ibv_pd *pd, void *addr, size_t length,
				   uint64_t hca_va, int access)
{
	return fail_ptr();
}

static int dummy_rereg_mr(struct ibv_mr *mr, int flags, struct ibv_pd *pd,
			  void *addr, size_t length, int access)
{
	return fail_int();
}

static int dummy_dereg_mr(struct ibv_mr *mr)
{
	return fail_int();
}

static struct ibv_mw *dummy_alloc_mw(struct ibv_pd *pd, enum ibv_mw_type type)
{
	return fail_ptr();
}

static int dummy_dealloc_mw(struct ibv_mw *mw)
{
	return fail_int();
}

static int dummy_bind_mw(struct ibv_qp *qp, struct ibv_mw *mw,
			 struct ibv_mw_bind *mw_bind)
{
	return fail_int();
}

static struct ibv_cq *dummy_create_cq(struct ibv_context *context, int cqe,
				      struct ibv_comp_channel *channel,
				      int comp_vector)
{
	return fail_ptr();
}

static struct ibv_cq_ex *
dummy_create_cq_ex(struct ibv_context *context,
		   struct ibv_cq_init_attr_ex *init_attr)
{
	return fail_ptr();
}

/* poll_cq reports errors as a negative count. */
static int dummy_poll_cq(struct ibv_cq *cq, int num_entries, struct ibv_wc *wc)
{
	return -EOPNOTSUPP;
}

static int dummy_req_notify_cq(struct ibv_cq *cq, int solicited_only)
{
	return fail_int();
}

static void dummy_cq_event(struct ibv_cq *cq)
{
}

static int dummy_resize_cq(struct ibv_cq *cq, int cqe)
{
	return fail_int();
}

static int dummy_modify_cq(struct ibv_cq *cq, struct ibv_modify_cq_attr *attr)
{
	return fail_int();
}

static int dummy_destroy_cq(struct ibv_cq *cq)
{
	return fail_int();
}

static struct ibv_srq *dummy_create_srq(struct ibv_pd *pd,
					struct ibv_srq_init_attr *attr)
{
	return fail_ptr();
}

static struct ibv_srq *dummy_create_srq_ex(struct ibv_context *context,
					   struct ibv_srq_init_attr_ex *attr)
{
	return fail_ptr();
}

static int dummy_modify_srq(struct ibv_srq *srq, struct ibv_srq_attr *attr,
			    int mask)
{
	return fail_int();
}

static int dummy_query_srq(struct ibv_srq *srq, struct ibv_srq_attr *attr)
{
	return fail_int();
}

static int dummy_destroy_srq(struct ibv_srq *srq)
{
	return fail_int();
}

static int dummy_post_srq_recv(struct ibv_srq *srq, struct ibv_recv_wr *wr,
			       struct ibv_recv_wr **bad_wr)
{
	if (bad_wr)
		*bad_wr = wr;
	return fail_int();
}

static struct ibv_qp *dummy_create_qp(struct ibv_pd *pd,
				      struct ibv_qp_init_attr *attr)
{
	return fail_ptr();
}

static struct ibv_qp *dummy_create_qp_ex(struct ibv_context *context,
					 struct ibv_qp_init_attr_ex *attr)
{
	return fail_ptr();
}

static int dummy_modify_qp(struct ibv_qp *qp, struct ibv_qp_attr *attr,
			   int mask)
{
	return fail_int();
}

static int dummy_query_qp(struct ibv_qp *qp, struct ibv_qp_attr *attr, int mask,
			  struct ibv_qp_init_attr *init_attr)
{
	return fail_int();
}

static int dummy_destroy_qp(struct ibv_qp *qp)
{
	return fail_int();
}

static struct ibv_qp_ex *dummy_qp_to_qp_ex(struct ibv_qp *qp)
{
	return fail_ptr();
}

static int dummy_post_send(struct ibv_qp *qp, struct ibv_send_wr *wr,
			   struct ibv_send_wr **bad_wr)
{
	if (bad_wr)
		*bad_wr = wr;
	return fail_int();
}

static int dummy_post_recv(struct ibv_qp *qp, struct ibv_recv_wr *wr,
			   struct ibv_recv_wr **bad_wr)
{
	if (bad_wr)
		*bad_wr = wr;
	return fail_int();
}

static struct ibv_ah *dummy_create_ah(struct ibv_pd *pd,
				      struct ibv_ah_attr *attr)
{
	return fail_ptr();
}

static int dummy_destroy_ah(struct ibv_ah *ah)
{
	return fail_int();
}

static int dummy_mcast(struct ibv_qp *qp, const union ibv_gid *gid,
		       uint16_t lid)
{
	return fail_int();
}

static void dummy_free_context(struct ibv_context *context)
{
}

const struct verbs_context_ops verbs_dummy_ops = {
	.query_device_ex = dummy_query_device_ex,
	.query_port = dummy_query_port,
	.query_gid_ex = dummy_query_gid_ex,
	.query_pkey = dummy_query_pkey,
	.async_event = dummy_async_event,
	.alloc_pd = dummy_alloc_pd,
	.dealloc_pd = dummy_dealloc_pd,
	.reg_mr = dummy_reg_mr,
	.rereg_mr = dummy_rereg_mr,
	.dereg_mr = dummy_dereg_mr,
	.alloc_mw = dummy_alloc_mw,
	.dealloc_mw = dummy_dealloc_mw,
	.bind_mw = dummy_bind_mw,
	.create_cq = dummy_create_cq,
	.create_cq_ex = dummy_create_cq_ex,
	.poll_cq = dummy_poll_cq,
	.req_notify_cq = dummy_req_notify_cq,
	.cq_event = dummy_cq_event,
	.resize_cq = dummy_resize_cq,
	.modify_cq = dummy_modify_cq,
	.destroy_cq = dummy_destroy_cq,
	.create_srq = dummy_create_srq,
	.create_srq_ex = dummy_create_srq_ex,
	.modify_srq = dummy_modify_srq,
	.query_srq = dummy_query_srq,
	.destroy_srq = dummy_destroy_srq,
	.post_srq_recv = dummy_post_srq_recv,
	.create_qp = dummy_create_qp,
	.create_qp_ex = dummy_create_qp_ex,
	.modify_qp = dummy_modify_qp,
	.query_qp = dummy_query_qp,
	.destroy_qp = dummy_destroy_qp,
	.qp_to_qp_ex = dummy_qp_to_qp_ex,
	.post_send = dummy_post_send,
	.post_recv = dummy_post_recv,
	.create_ah = dummy_create_ah,
	.destroy_ah = dummy_destroy_ah,
	.attach_mcast = dummy_mcast,
	.detach_mcast = dummy_mcast,
	.free_context = dummy_free_context,
};

#define SET_OP(dst, src, name)                     \
	do {                                       \
		if ((src)->name)                   \
			(dst)->name = (src)->name; \
	} while (0)

void verbs_set_ops(struct verbs_context *vctx,
		   const struct verbs_context_ops *ops)
{
	struct verbs_context_ops *priv = &vctx->priv->ops;
	struct ibv_context_ops *legacy = &vctx->context.ops;

	/* Every slot is a function pointer: copy the ones that are set. */
	for (size_t i = 0; i < sizeof(*ops) / sizeof(void (*)(void)); i++) {
		void (*const *src)(void) = (void (*const *)(void))ops + i;
		void (**dst)(void) = (void (**)(void))priv + i;

		if (*src)
			*dst = *src;
	}

	/* Binaries built against rdma-core call these through the context. */
	legacy->poll_cq = priv->poll_cq;
	legacy->req_notify_cq = priv->req_notify_cq;
	legacy->post_send = priv->post_send;
	legacy->post_recv = priv->post_recv;
	legacy->post_srq_recv = priv->post_srq_recv;
	legacy->alloc_mw = priv->alloc_mw;
	legacy->dealloc_mw = priv->dealloc_mw;
	legacy->bind_mw = priv->bind_mw;

	/*
	 * The extended slots stay NULL unless the provider implements them:
	 * the inline wrappers in verbs.h then fail with EOPNOTSUPP themselves
	 * or fall back to the legacy entry points.
	 */
	SET_OP(vctx, ops, query_port);
	SET_OP(vctx, ops, query_device_ex);
	SET_OP(vctx, ops, create_cq_ex);
	SET_OP(vctx, ops, modify_cq);
	SET_OP(vctx, ops, create_qp_ex);
	SET_OP(vctx, ops, create_srq_ex);
	SET_OP(vctx, ops, advise_mr);
	SET_OP(vctx, ops, alloc_parent_domain);
}

const struct verbs_context_ops *verbs_get_ops(struct ibv_context *ctx)
{
	return get_ops(ctx);
}
