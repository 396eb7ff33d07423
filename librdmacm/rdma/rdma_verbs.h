/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * uroce - <rdma/rdma_verbs.h>
 *
 * Convenience wrappers over the verbs for the resources an rdma_cm_id owns
 * (its PD, QP, SRQ, CQs and completion channels, as set up by
 * rdma_create_ep() or rdma_create_qp()).  The wrappers are static inlines
 * that applications compile in, so their logic is part of the ABI: each
 * one calls the same verbs, in the same order, with the same work requests
 * and the same error convention as rdma-core 44's.
 *
 * Error convention: the helpers that return int give 0 (or a completion
 * count) on success and -1 with errno set on failure.  Two quirks are
 * kept on purpose, since programs may rely on them: a negative value from
 * ibv_poll_cq() ends up in errno as is, and an ibv_get_cq_event() failure
 * is returned unchanged.
 *
 * The ABI test in tests/abi/ compares this header with the system's.
 */
#if !defined(RDMA_VERBS_H)
#define RDMA_VERBS_H

#include <assert.h>
#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>
#include <errno.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Turn a verbs-style positive error number into -1 and errno */
static inline int rdma_seterrno(int ret)
{
	if (ret == 0)
		return 0;
	errno = ret;
	return -1;
}

/* SRQs shared by the QPs of an id (the id's srq member) */
int rdma_create_srq(struct rdma_cm_id *id, struct ibv_pd *pd,
		    struct ibv_srq_init_attr *attr);
int rdma_create_srq_ex(struct rdma_cm_id *id,
		       struct ibv_srq_init_attr_ex *attr);
void rdma_destroy_srq(struct rdma_cm_id *id);

/*
 * Register memory on the id's PD: for sends and receives only, or also as
 * the target of the peer's RDMA reads or writes.  Release it with
 * rdma_dereg_mr().  The access flags stay constant expressions, since the
 * ibv_reg_mr() macro picks its entry point on that; they are passed as int
 * so that C++20 does not warn about mixing enum types inside that macro.
 */
static inline struct ibv_mr *rdma_reg_msgs(struct rdma_cm_id *id, void *addr,
					   size_t length)
{
	return ibv_reg_mr(id->pd, addr, length, (int)IBV_ACCESS_LOCAL_WRITE);
}

static inline struct ibv_mr *rdma_reg_read(struct rdma_cm_id *id, void *addr,
					   size_t length)
{
	return ibv_reg_mr(id->pd, addr, length,
			  (int)(IBV_ACCESS_LOCAL_WRITE |
				IBV_ACCESS_REMOTE_READ));
}

static inline struct ibv_mr *rdma_reg_write(struct rdma_cm_id *id, void *addr,
					    size_t length)
{
	return ibv_reg_mr(id->pd, addr, length,
			  (int)(IBV_ACCESS_LOCAL_WRITE |
				IBV_ACCESS_REMOTE_WRITE));
}

static inline int rdma_dereg_mr(struct ibv_mr *mr)
{
	return rdma_seterrno(ibv_dereg_mr(mr));
}

/*
 * Post one work request built from a scatter/gather list.  The context
 * becomes the wr_id and comes back in the completion.  Receives go to the
 * id's SRQ when it has one, to its QP otherwise.
 */
static inline int rdma_post_recvv(struct rdma_cm_id *id, void *context,
				  struct ibv_sge *sgl, int nsge)
{
	struct ibv_recv_wr wr, *bad;
	int ret;

	wr.wr_id = (uintptr_t)context;
	wr.next = NULL;
	wr.sg_list = sgl;
	wr.num_sge = nsge;

	if (id->srq)
		ret = ibv_post_srq_recv(id->srq, &wr, &bad);
	else
		ret = ibv_post_recv(id->qp, &wr, &bad);
	return rdma_seterrno(ret);
}

static inline int rdma_post_sendv(struct rdma_cm_id *id, void *context,
				  struct ibv_sge *sgl, int nsge, int flags)
{
	struct ibv_send_wr wr, *bad;

	wr.wr_id = (uintptr_t)context;
	wr.next = NULL;
	wr.sg_list = sgl;
	wr.num_sge = nsge;
	wr.opcode = IBV_WR_SEND;
	wr.send_flags = flags;
	return rdma_seterrno(ibv_post_send(id->qp, &wr, &bad));
}

static inline int rdma_post_readv(struct rdma_cm_id *id, void *context,
				  struct ibv_sge *sgl, int nsge, int flags,
				  uint64_t remote_addr, uint32_t rkey)
{
	struct ibv_send_wr wr, *bad;

	wr.wr_id = (uintptr_t)context;
	wr.next = NULL;
	wr.sg_list = sgl;
	wr.num_sge = nsge;
	wr.opcode = IBV_WR_RDMA_READ;
	wr.send_flags = flags;
	wr.wr.rdma.remote_addr = remote_addr;
	wr.wr.rdma.rkey = rkey;
	return rdma_seterrno(ibv_post_send(id->qp, &wr, &bad));
}

static inline int rdma_post_writev(struct rdma_cm_id *id, void *context,
				   struct ibv_sge *sgl, int nsge, int flags,
				   uint64_t remote_addr, uint32_t rkey)
{
	struct ibv_send_wr wr, *bad;

	wr.wr_id = (uintptr_t)context;
	wr.next = NULL;
	wr.sg_list = sgl;
	wr.num_sge = nsge;
	wr.opcode = IBV_WR_RDMA_WRITE;
	wr.send_flags = flags;
	wr.wr.rdma.remote_addr = remote_addr;
	wr.wr.rdma.rkey = rkey;
	return rdma_seterrno(ibv_post_send(id->qp, &wr, &bad));
}

/*
 * The same for a single buffer.  Sends and writes accept a NULL mr (lkey
 * 0, for IBV_SEND_INLINE data); receives and reads need one, and a receive
 * buffer must lie inside its mr (checked by assert()).
 */
static inline int rdma_post_recv(struct rdma_cm_id *id, void *context,
				 void *addr, size_t length, struct ibv_mr *mr)
{
	struct ibv_sge sge;

	assert(addr >= mr->addr &&
	       (uint8_t *)addr + length <= (uint8_t *)mr->addr + mr->length);
	sge.addr = (uint64_t)(uintptr_t)addr;
	sge.length = (uint32_t)length;
	sge.lkey = mr->lkey;
	return rdma_post_recvv(id, context, &sge, 1);
}

static inline int rdma_post_send(struct rdma_cm_id *id, void *context,
				 void *addr, size_t length, struct ibv_mr *mr,
				 int flags)
{
	struct ibv_sge sge;

	sge.addr = (uint64_t)(uintptr_t)addr;
	sge.length = (uint32_t)length;
	sge.lkey = mr ? mr->lkey : 0;
	return rdma_post_sendv(id, context, &sge, 1, flags);
}

static inline int rdma_post_read(struct rdma_cm_id *id, void *context,
				 void *addr, size_t length, struct ibv_mr *mr,
				 int flags, uint64_t remote_addr, uint32_t rkey)
{
	struct ibv_sge sge;

	sge.addr = (uint64_t)(uintptr_t)addr;
	sge.length = (uint32_t)length;
	sge.lkey = mr->lkey;
	return rdma_post_readv(id, context, &sge, 1, flags, remote_addr, rkey);
}

static inline int rdma_post_write(struct rdma_cm_id *id, void *context,
				  void *addr, size_t length, struct ibv_mr *mr,
				  int flags, uint64_t remote_addr,
				  uint32_t rkey)
{
	struct ibv_sge sge;

	sge.addr = (uint64_t)(uintptr_t)addr;
	sge.length = (uint32_t)length;
	sge.lkey = mr ? mr->lkey : 0;
	return rdma_post_writev(id, context, &sge, 1, flags, remote_addr, rkey);
}

/* A datagram send on a UD id, to remote_qpn through ah, with the CM Q_Key */
static inline int rdma_post_ud_send(struct rdma_cm_id *id, void *context,
				    void *addr, size_t length,
				    struct ibv_mr *mr, int flags,
				    struct ibv_ah *ah, uint32_t remote_qpn)
{
	struct ibv_send_wr wr, *bad;
	struct ibv_sge sge;

	sge.addr = (uint64_t)(uintptr_t)addr;
	sge.length = (uint32_t)length;
	sge.lkey = mr ? mr->lkey : 0;

	wr.wr_id = (uintptr_t)context;
	wr.next = NULL;
	wr.sg_list = &sge;
	wr.num_sge = 1;
	wr.opcode = IBV_WR_SEND;
	wr.send_flags = flags;
	wr.wr.ud.ah = ah;
	wr.wr.ud.remote_qpn = remote_qpn;
	wr.wr.ud.remote_qkey = RDMA_UDP_QKEY;
	return rdma_seterrno(ibv_post_send(id->qp, &wr, &bad));
}

/*
 * Wait for one completion on the id's send (recv) CQ and return it in
 * *wc: returns 1, or -1 with errno set.  The CQ is polled first; only when
 * it is empty is notification armed, the CQ polled once more (to close the
 * race with a completion that arrived meanwhile) and the completion
 * channel read, and then the loop starts over.  The CQ must have been
 * created on the id's channel with the id as its context.
 */
static inline int rdma_get_send_comp(struct rdma_cm_id *id, struct ibv_wc *wc)
{
	struct ibv_cq *ev_cq;
	void *ev_ctx;
	int ret;

	for (;;) {
		ret = ibv_poll_cq(id->send_cq, 1, wc);
		if (ret)
			break;
		ret = ibv_req_notify_cq(id->send_cq, 0);
		if (ret)
			return rdma_seterrno(ret);
		ret = ibv_poll_cq(id->send_cq, 1, wc);
		if (ret)
			break;
		ret = ibv_get_cq_event(id->send_cq_channel, &ev_cq, &ev_ctx);
		if (ret)
			return ret;
		assert(ev_cq == id->send_cq && ev_ctx == id);
		ibv_ack_cq_events(id->send_cq, 1);
	}
	if (ret < 0)
		return rdma_seterrno(ret);
	return ret;
}

static inline int rdma_get_recv_comp(struct rdma_cm_id *id, struct ibv_wc *wc)
{
	struct ibv_cq *ev_cq;
	void *ev_ctx;
	int ret;

	for (;;) {
		ret = ibv_poll_cq(id->recv_cq, 1, wc);
		if (ret)
			break;
		ret = ibv_req_notify_cq(id->recv_cq, 0);
		if (ret)
			return rdma_seterrno(ret);
		ret = ibv_poll_cq(id->recv_cq, 1, wc);
		if (ret)
			break;
		ret = ibv_get_cq_event(id->recv_cq_channel, &ev_cq, &ev_ctx);
		if (ret)
			return ret;
		assert(ev_cq == id->recv_cq && ev_ctx == id);
		ibv_ack_cq_events(id->recv_cq, 1);
	}
	if (ret < 0)
		return rdma_seterrno(ret);
	return ret;
}

#ifdef __cplusplus
}
#endif

#endif /* RDMA_VERBS_H */
