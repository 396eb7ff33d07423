/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The interface between libibverbs and its providers. Not installed as a
 * public header: a provider is built in this tree and loaded from the
 * provider directory (see provider.c).
 */
#ifndef UROCE_DRIVER_H
#define UROCE_DRIVER_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <infiniband/verbs.h>

#define VERBS_PROVIDER_ABI 1

struct verbs_provider;

/*
 * A device as libibverbs sees it. The provider allocates it (embedding it
 * in its own struct if it likes) and fills in everything but refcount.
 * libibverbs holds one reference per device list that contains it and one
 * per open context, and calls provider->free_device when the last goes.
 */
struct verbs_device {
	struct ibv_device device; /* must be first */
	const struct verbs_provider *provider;
	atomic_int refcount;
	__be64 node_guid;
	uint32_t index; /* ibv_get_device_index() */
};

static inline struct verbs_device *verbs_get_device(struct ibv_device *dev)
{
	return (struct verbs_device *)dev;
}

/*
 * Every operation a provider may implement. An op left NULL fails with
 * EOPNOTSUPP (or NULL and errno EOPNOTSUPP): libibverbs fills the gaps.
 * The signatures are those of the public verbs they implement.
 */
struct verbs_context_ops {
	/* device and port */
	int (*query_device_ex)(struct ibv_context *context,
			       const struct ibv_query_device_ex_input *input,
			       struct ibv_device_attr_ex *attr,
			       size_t attr_size);
	int (*query_port)(struct ibv_context *context, uint8_t port_num,
			  struct ibv_port_attr *port_attr,
			  size_t port_attr_len);
	/* entry->gid_index and ->port_num are filled by libibverbs */
	int (*query_gid_ex)(struct ibv_context *context, uint32_t port_num,
			    uint32_t gid_index, struct ibv_gid_entry *entry);
	int (*query_pkey)(struct ibv_context *context, uint8_t port_num,
			  int index, __be16 *pkey);
	void (*async_event)(struct ibv_context *context,
			    struct ibv_async_event *event);

	/* protection domains and memory */
	struct ibv_pd *(*alloc_pd)(struct ibv_context *context);
	int (*dealloc_pd)(struct ibv_pd *pd);
	struct ibv_mr *(*reg_mr)(struct ibv_pd *pd, void *addr, size_t length,
				 uint64_t hca_va, int access);
	int (*rereg_mr)(struct ibv_mr *mr, int flags, struct ibv_pd *pd,
			void *addr, size_t length, int access);
	int (*dereg_mr)(struct ibv_mr *mr);
	struct ibv_mw *(*alloc_mw)(struct ibv_pd *pd, enum ibv_mw_type type);
	int (*dealloc_mw)(struct ibv_mw *mw);
	int (*bind_mw)(struct ibv_qp *qp, struct ibv_mw *mw,
		       struct ibv_mw_bind *mw_bind);

	/* completion queues */
	struct ibv_cq *(*create_cq)(struct ibv_context *context, int cqe,
				    struct ibv_comp_channel *channel,
				    int comp_vector);
	struct ibv_cq_ex *(*create_cq_ex)(struct ibv_context *context,
					  struct ibv_cq_init_attr_ex *init_attr);
	int (*poll_cq)(struct ibv_cq *cq, int num_entries, struct ibv_wc *wc);
	int (*req_notify_cq)(struct ibv_cq *cq, int solicited_only);
	void (*cq_event)(struct ibv_cq *cq);
	int (*resize_cq)(struct ibv_cq *cq, int cqe);
	int (*modify_cq)(struct ibv_cq *cq, struct ibv_modify_cq_attr *attr);
	int (*destroy_cq)(struct ibv_cq *cq);

	/* shared receive queues */
	struct ibv_srq *(*create_srq)(struct ibv_pd *pd,
				      struct ibv_srq_init_attr *srq_init_attr);
	struct ibv_srq *(*create_srq_ex)(
		struct ibv_context *context,
		struct ibv_srq_init_attr_ex *srq_init_attr_ex);
	int (*modify_srq)(struct ibv_srq *srq, struct ibv_srq_attr *srq_attr,
			  int srq_attr_mask);
	int (*query_srq)(struct ibv_srq *srq, struct ibv_srq_attr *srq_attr);
	int (*destroy_srq)(struct ibv_srq *srq);
	int (*post_srq_recv)(struct ibv_srq *srq, struct ibv_recv_wr *recv_wr,
			     struct ibv_recv_wr **bad_recv_wr);

	/* queue pairs */
	struct ibv_qp *(*create_qp)(struct ibv_pd *pd,
				    struct ibv_qp_init_attr *attr);
	struct ibv_qp *(*create_qp_ex)(
		struct ibv_context *context,
		struct ibv_qp_init_attr_ex *qp_init_attr_ex);
	int (*modify_qp)(struct ibv_qp *qp, struct ibv_qp_attr *attr,
			 int attr_mask);
	int (*query_qp)(struct ibv_qp *qp, struct ibv_qp_attr *attr,
			int attr_mask, struct ibv_qp_init_attr *init_attr);
	int (*destroy_qp)(struct ibv_qp *qp);
	/* NULL unless @qp was created with IBV_QP_INIT_ATTR_SEND_OPS_FLAGS */
	struct ibv_qp_ex *(*qp_to_qp_ex)(struct ibv_qp *qp);
	int (*post_send)(struct ibv_qp *qp, struct ibv_send_wr *wr,
			 struct ibv_send_wr **bad_wr);
	int (*post_recv)(struct ibv_qp *qp, struct ibv_recv_wr *wr,
			 struct ibv_recv_wr **bad_wr);

	/* address handles and multicast */
	struct ibv_ah *(*create_ah)(struct ibv_pd *pd,
				    struct ibv_ah_attr *attr);
	int (*destroy_ah)(struct ibv_ah *ah);
	int (*attach_mcast)(struct ibv_qp *qp, const union ibv_gid *gid,
			    uint16_t lid);
	int (*detach_mcast)(struct ibv_qp *qp, const union ibv_gid *gid,
			    uint16_t lid);

	/* the context itself; called by ibv_close_device */
	void (*free_context)(struct ibv_context *context);

	/* extended verbs reached through struct verbs_context */
	int (*advise_mr)(struct ibv_pd *pd, enum ibv_advise_mr_advice advice,
			 uint32_t flags, struct ibv_sge *sg_list,
			 uint32_t num_sges);
	struct ibv_pd *(*alloc_parent_domain)(
		struct ibv_context *context,
		struct ibv_parent_domain_init_attr *attr);
};

/*
 * What a provider shared object exports, as the symbol named
 * VERBS_PROVIDER_SYMBOL.
 */
struct verbs_provider {
	const char *name;
	unsigned int abi; /* VERBS_PROVIDER_ABI */
	/*
	 * The devices visible to the calling thread now, in its network
	 * namespace. Returns the number of devices and stores a malloc'd
	 * array of new devices (refcount 0) in *list, or a negative errno.
	 */
	int (*list_devices)(struct verbs_device ***list);
	/*
	 * Opens a context for @dev. The provider allocates its own struct
	 * that embeds a struct verbs_context, calls verbs_init_context() on
	 * it, then verbs_set_ops(). Returns NULL with errno set on failure.
	 */
	struct verbs_context *(*alloc_context)(struct ibv_device *dev,
					       void *private_data);
	void (*free_device)(struct verbs_device *dev);
};

#define VERBS_PROVIDER_SYMBOL "verbs_provider"

/* Exported by libibverbs (version UROCE_PRIVATE_1) for providers. */

/* Sets up the library's part of @vctx: async fd, mutex, ops defaults. */
int verbs_init_context(struct verbs_context *vctx, struct ibv_device *dev);
/* Installs the provider's ops; NULL entries keep their EOPNOTSUPP stubs. */
void verbs_set_ops(struct verbs_context *vctx,
		   const struct verbs_context_ops *ops);
/* Releases what verbs_init_context() set up. */
void verbs_uninit_context(struct verbs_context *vctx);
/* The ops of a context, as installed by verbs_set_ops(). */
const struct verbs_context_ops *verbs_get_ops(struct ibv_context *ctx);

/*
 * Queues an async event for ibv_get_async_event(). Safe from any thread.
 * Returns 0 or an errno value.
 */
int verbs_post_async_event(struct ibv_context *ctx,
			   const struct ibv_async_event *event);
/*
 * Signals a completion event on @channel for @cq (the provider calls it
 * when an armed CQ gets a completion). Safe from any thread.
 */
int verbs_post_comp_event(struct ibv_comp_channel *channel, struct ibv_cq *cq);

/*
 * Fills the generic fields of a CQ a provider creates and takes a reference
 * on @channel (dropped by libibverbs when the CQ is destroyed).
 */
void verbs_init_cq(struct ibv_cq *cq, struct ibv_context *ctx,
		   struct ibv_comp_channel *channel, void *cq_context);

#endif /* UROCE_DRIVER_H */
