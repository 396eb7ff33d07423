// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The object verbs: argument checks that do not depend on the provider,
 * then the provider's op, then the generic fields of the new object.
 */
#include <netinet/in.h>
#include <string.h>

#include "ibverbs.h"
#include "qp_hook.h"

struct ibv_pd *ibv_alloc_pd(struct ibv_context *context)
{
	struct ibv_pd *pd;

	if (!context) {
		errno = EINVAL;
		return NULL;
	}
	pd = get_ops(context)->alloc_pd(context);
	if (pd)
		pd->context = context;
	return pd;
}

int ibv_dealloc_pd(struct ibv_pd *pd)
{
	if (!pd)
		return EINVAL;
	return get_ops(pd->context)->dealloc_pd(pd);
}

struct ibv_mr *ibv_reg_mr_iova2(struct ibv_pd *pd, void *addr, size_t length,
				uint64_t iova, unsigned int access)
{
	struct ibv_mr *mr;

	if (!pd) {
		errno = EINVAL;
		return NULL;
	}
	mr = get_ops(pd->context)->reg_mr(pd, addr, length, iova, access);
	if (mr) {
		mr->context = pd->context;
		mr->pd = pd;
		mr->addr = addr;
		mr->length = length;
	}
	return mr;
}

#undef ibv_reg_mr
struct ibv_mr *ibv_reg_mr(struct ibv_pd *pd, void *addr, size_t length,
			  int access)
{
	return ibv_reg_mr_iova2(pd, addr, length, (uintptr_t)addr, access);
}

#undef ibv_reg_mr_iova
struct ibv_mr *ibv_reg_mr_iova(struct ibv_pd *pd, void *addr, size_t length,
			       uint64_t iova, int access)
{
	return ibv_reg_mr_iova2(pd, addr, length, iova, access);
}

/*
 * rdma-core's checks and return values (ibv_rereg_mr(3)): bad input is
 * IBV_REREG_MR_ERR_INPUT with the MR unchanged (also for no flag and for
 * CHANGE_PD without a PD, which rdma-core hands to the kernel or
 * dereferences), a provider failure
 * IBV_REREG_MR_ERR_CMD, errno set either way. Nothing is pinned, so the
 * fork-range steps (ERR_DONT_FORK_NEW, ERR_DO_FORK_OLD) cannot fail.
 * The provider updates the ibv_mr fields under its own lock; they are
 * written here only if it did not, so no reader sees a torn update.
 */
int ibv_rereg_mr(struct ibv_mr *mr, int flags, struct ibv_pd *pd, void *addr,
		 size_t length, int access)
{
	int ret;

	if (!mr || !flags || (flags & ~IBV_REREG_MR_FLAGS_SUPPORTED) ||
	    ((flags & IBV_REREG_MR_CHANGE_PD) && !pd) ||
	    ((flags & IBV_REREG_MR_CHANGE_TRANSLATION) && (!addr || !length)) ||
	    (access && !(flags & IBV_REREG_MR_CHANGE_ACCESS))) {
		errno = EINVAL;
		return IBV_REREG_MR_ERR_INPUT;
	}
	ret = get_ops(mr->context)
		      ->rereg_mr(mr, flags, pd, addr, length, access);
	if (ret) {
		errno = ret;
		return IBV_REREG_MR_ERR_CMD;
	}
	if ((flags & IBV_REREG_MR_CHANGE_PD) && mr->pd != pd)
		mr->pd = pd;
	if (flags & IBV_REREG_MR_CHANGE_TRANSLATION) {
		if (mr->addr != addr)
			mr->addr = addr;
		if (mr->length != length)
			mr->length = length;
	}
	return 0;
}

int ibv_dereg_mr(struct ibv_mr *mr)
{
	if (!mr)
		return EINVAL;
	return get_ops(mr->context)->dereg_mr(mr);
}

struct ibv_cq *ibv_create_cq(struct ibv_context *context, int cqe,
			     void *cq_context, struct ibv_comp_channel *channel,
			     int comp_vector)
{
	struct ibv_cq *cq;

	if (!context || (channel && channel->context != context)) {
		errno = EINVAL;
		return NULL;
	}
	cq = get_ops(context)->create_cq(context, cqe, channel, comp_vector);
	if (cq)
		cq->cq_context = cq_context;
	return cq;
}

int ibv_resize_cq(struct ibv_cq *cq, int cqe)
{
	if (!cq)
		return EINVAL;
	return get_ops(cq->context)->resize_cq(cq, cqe);
}

int ibv_destroy_cq(struct ibv_cq *cq)
{
	struct ibv_comp_channel *channel;
	struct ibv_context *context;
	int ret;

	if (!cq)
		return EINVAL;
	channel = cq->channel;
	context = cq->context;
	ret = get_ops(context)->destroy_cq(cq);
	if (ret || !channel)
		return ret;
	pthread_mutex_lock(&context->mutex);
	channel->refcnt--;
	pthread_mutex_unlock(&context->mutex);
	return 0;
}

static void init_srq(struct ibv_srq *srq, struct ibv_context *context,
		     struct ibv_pd *pd, void *srq_context)
{
	srq->context = context;
	srq->pd = pd;
	srq->srq_context = srq_context;
	srq->events_completed = 0;
	pthread_mutex_init(&srq->mutex, NULL);
	pthread_cond_init(&srq->cond, NULL);
}

struct ibv_srq *ibv_create_srq(struct ibv_pd *pd,
			       struct ibv_srq_init_attr *srq_init_attr)
{
	struct ibv_srq *srq;

	if (!pd || !srq_init_attr) {
		errno = EINVAL;
		return NULL;
	}
	srq = get_ops(pd->context)->create_srq(pd, srq_init_attr);
	if (srq)
		init_srq(srq, pd->context, pd, srq_init_attr->srq_context);
	return srq;
}

int ibv_modify_srq(struct ibv_srq *srq, struct ibv_srq_attr *srq_attr,
		   int srq_attr_mask)
{
	if (!srq || !srq_attr)
		return EINVAL;
	return get_ops(srq->context)->modify_srq(srq, srq_attr, srq_attr_mask);
}

int ibv_query_srq(struct ibv_srq *srq, struct ibv_srq_attr *srq_attr)
{
	if (!srq || !srq_attr)
		return EINVAL;
	return get_ops(srq->context)->query_srq(srq, srq_attr);
}

int ibv_destroy_srq(struct ibv_srq *srq)
{
	if (!srq)
		return EINVAL;
	return get_ops(srq->context)->destroy_srq(srq);
}

struct ibv_qp *ibv_create_qp(struct ibv_pd *pd,
			     struct ibv_qp_init_attr *qp_init_attr)
{
	struct ibv_qp *qp;

	if (!pd || !qp_init_attr) {
		errno = EINVAL;
		return NULL;
	}
	qp = get_ops(pd->context)->create_qp(pd, qp_init_attr);
	if (!qp)
		return NULL;
	qp->context = pd->context;
	qp->qp_context = qp_init_attr->qp_context;
	qp->pd = pd;
	qp->send_cq = qp_init_attr->send_cq;
	qp->recv_cq = qp_init_attr->recv_cq;
	qp->srq = qp_init_attr->srq;
	qp->qp_type = qp_init_attr->qp_type;
	qp->state = IBV_QPS_RESET;
	qp->events_completed = 0;
	pthread_mutex_init(&qp->mutex, NULL);
	pthread_cond_init(&qp->cond, NULL);
	return qp;
}

struct ibv_qp_ex *ibv_qp_to_qp_ex(struct ibv_qp *qp)
{
	if (!qp) {
		errno = EINVAL;
		return NULL;
	}
	return get_ops(qp->context)->qp_to_qp_ex(qp);
}

int ibv_modify_qp(struct ibv_qp *qp, struct ibv_qp_attr *attr, int attr_mask)
{
	int ret;

	if (!qp || !attr)
		return EINVAL;
	ret = get_ops(qp->context)->modify_qp(qp, attr, attr_mask);
	if (!ret && (attr_mask & IBV_QP_STATE))
		qp->state = attr->qp_state;
	return ret;
}

int ibv_query_qp(struct ibv_qp *qp, struct ibv_qp_attr *attr, int attr_mask,
		 struct ibv_qp_init_attr *init_attr)
{
	int ret;

	if (!qp || !attr || !init_attr)
		return EINVAL;
	ret = get_ops(qp->context)->query_qp(qp, attr, attr_mask, init_attr);
	if (!ret && (attr_mask & IBV_QP_STATE))
		qp->state = attr->qp_state;
	return ret;
}

int ibv_query_qp_data_in_order(struct ibv_qp *qp, enum ibv_wr_opcode op,
			       uint32_t flags)
{
	/* No in-order guarantee is advertised, as rdma-core without one. */
	return 0;
}

static void (*destroy_qp_hook)(struct ibv_qp *qp);

void uroce_set_destroy_qp_hook(void (*fn)(struct ibv_qp *qp))
{
	__atomic_store_n(&destroy_qp_hook, fn, __ATOMIC_RELEASE);
}

int ibv_destroy_qp(struct ibv_qp *qp)
{
	void (*hook)(struct ibv_qp *);

	if (!qp)
		return EINVAL;
	hook = __atomic_load_n(&destroy_qp_hook, __ATOMIC_ACQUIRE);
	if (hook)
		hook(qp);
	return get_ops(qp->context)->destroy_qp(qp);
}

struct ibv_ah *ibv_create_ah(struct ibv_pd *pd, struct ibv_ah_attr *attr)
{
	struct ibv_ah *ah;

	if (!pd || !attr) {
		errno = EINVAL;
		return NULL;
	}
	ah = get_ops(pd->context)->create_ah(pd, attr);
	if (ah) {
		ah->context = pd->context;
		ah->pd = pd;
	}
	return ah;
}

int ibv_destroy_ah(struct ibv_ah *ah)
{
	if (!ah)
		return EINVAL;
	return get_ops(ah->context)->destroy_ah(ah);
}

/* Finds the index of @gid in the port's table, or -1. */
static int find_gid_index(struct ibv_context *context, uint8_t port_num,
			  const union ibv_gid *gid)
{
	struct ibv_port_attr pattr;
	struct ibv_gid_entry e;
	int i;

	if (get_ops(context)->query_port(context, port_num, &pattr,
					 sizeof(pattr)))
		return -1;
	for (i = 0; i < pattr.gid_tbl_len; i++) {
		if (_ibv_query_gid_ex(context, port_num, i, &e, 0, sizeof(e)))
			continue;
		if (!memcmp(&e.gid, gid, sizeof(*gid)))
			return i;
	}
	return -1;
}

static void ipv4_to_gid(union ibv_gid *gid, const uint8_t *ip)
{
	memset(gid, 0, sizeof(*gid));
	gid->raw[10] = 0xff;
	gid->raw[11] = 0xff;
	memcpy(&gid->raw[12], ip, 4);
}

/* IPv4's header checksum over the 20 bytes at @ip: 0 if it is intact. */
static uint16_t ipv4_csum(const uint8_t *ip)
{
	uint32_t sum = 0;
	int i;

	for (i = 0; i < 20; i += 2)
		sum += (uint32_t)ip[i] << 8 | ip[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/*
 * With RoCE v2 over IPv4 the 40 bytes in front of a UD receive hold the
 * IPv4 header in their last 20 bytes; over IPv6 they hold the IPv6 header,
 * which has the GRH's layout. As rdma-core: IPv6 when the first nibble is
 * 6, unless an intact IPv4 header (IHL 5, checksum right) sits at byte 20
 * (an IPv6 source address may start that way); else IPv4 if that header
 * says version 4. -1 for neither.
 */
static int grh_version(const struct ibv_grh *grh)
{
	const uint8_t *ip4 = (const uint8_t *)grh + 20;

	if (be32toh(grh->version_tclass_flow) >> 28 != 6)
		return ip4[0] >> 4 == 4 ? 4 : -1;
	return (ip4[0] & 0xf) == 5 && !ipv4_csum(ip4) ? 4 : 6;
}

/* Returns 0, or -1 with errno set, as rdma-core documents. */
int ibv_init_ah_from_wc(struct ibv_context *context, uint8_t port_num,
			struct ibv_wc *wc, struct ibv_grh *grh,
			struct ibv_ah_attr *ah_attr)
{
	const uint8_t *ip4;
	union ibv_gid dgid;
	uint32_t flow;
	int index;

	if (!context || !wc || !ah_attr || (wc->wc_flags & IBV_WC_GRH && !grh))
		goto einval;
	memset(ah_attr, 0, sizeof(*ah_attr));
	ah_attr->dlid = wc->slid;
	ah_attr->sl = wc->sl;
	ah_attr->src_path_bits = wc->dlid_path_bits;
	ah_attr->port_num = port_num;
	if (!(wc->wc_flags & IBV_WC_GRH))
		return 0;

	/* Only now: @grh may be NULL without IBV_WC_GRH. */
	ip4 = (const uint8_t *)grh + 20;
	ah_attr->is_global = 1;
	switch (grh_version(grh)) {
	case 4:
		ipv4_to_gid(&ah_attr->grh.dgid, ip4 + 12);
		ipv4_to_gid(&dgid, ip4 + 16);
		ah_attr->grh.traffic_class = ip4[1];
		ah_attr->grh.hop_limit = ip4[8];
		/* A group is no GID of ours to answer from. */
		if ((ip4[16] & 0xf0) == 0xe0)
			goto einval;
		break;
	case 6:
		/* RoCE v1 (next header 0x1b) has no GIDs here. */
		if (grh->next_hdr != IPPROTO_UDP) {
			errno = EPROTONOSUPPORT;
			return -1;
		}
		ah_attr->grh.dgid = grh->sgid;
		dgid = grh->dgid;
		flow = be32toh(grh->version_tclass_flow);
		ah_attr->grh.flow_label = flow & 0xfffff;
		ah_attr->grh.traffic_class = (flow >> 20) & 0xff;
		ah_attr->grh.hop_limit = grh->hop_limit;
		if (dgid.raw[0] == 0xff)
			goto einval;
		break;
	default:
		errno = EPROTONOSUPPORT;
		return -1;
	}
	index = find_gid_index(context, port_num, &dgid);
	if (index < 0) {
		errno = ENOENT;
		return -1;
	}
	ah_attr->grh.sgid_index = index;
	return 0;
einval:
	errno = EINVAL;
	return -1;
}

struct ibv_ah *ibv_create_ah_from_wc(struct ibv_pd *pd, struct ibv_wc *wc,
				     struct ibv_grh *grh, uint8_t port_num)
{
	struct ibv_ah_attr ah_attr;

	if (!pd) {
		errno = EINVAL;
		return NULL;
	}
	if (ibv_init_ah_from_wc(pd->context, port_num, wc, grh, &ah_attr))
		return NULL;
	return ibv_create_ah(pd, &ah_attr);
}

int ibv_attach_mcast(struct ibv_qp *qp, const union ibv_gid *gid, uint16_t lid)
{
	if (!qp || !gid)
		return EINVAL;
	return get_ops(qp->context)->attach_mcast(qp, gid, lid);
}

int ibv_detach_mcast(struct ibv_qp *qp, const union ibv_gid *gid, uint16_t lid)
{
	if (!qp || !gid)
		return EINVAL;
	return get_ops(qp->context)->detach_mcast(qp, gid, lid);
}
