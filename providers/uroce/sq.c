// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ibv_post_send: work requests are copied into the QP's send ring
 * (fixed-stride entries, inline data copied in), then the requester runs
 * in the posting thread and sends what the window allows. ibv_wr_*
 * (qp_ex.c) commits into the same ring, and ibv_bind_mw posts a BIND_MW
 * work request here.
 */
#include <errno.h>
#include <string.h>

#include "providers/uroce/comp.h"
#include "providers/uroce/dp.h"
#include "providers/uroce/mw.h"
#include "providers/uroce/path.h"
#include "providers/uroce/req.h"
#include "providers/uroce/sq.h"
#include "providers/uroce/uroce.h"

static int check_wr(struct uroce_qp *qp, const struct ibv_send_wr *wr)
{
	enum ibv_qp_type type = qp->ibv_qp.qp_type;

	if ((uint32_t)wr->num_sge > qp->cap.max_send_sge || wr->num_sge < 0)
		return EINVAL;
	switch (wr->opcode) {
	case IBV_WR_SEND:
	case IBV_WR_SEND_WITH_IMM:
		break;
	case IBV_WR_SEND_WITH_INV: /* IBTA defines it for RC only */
		if (type != IBV_QPT_RC)
			return EINVAL;
		break;
	case IBV_WR_BIND_MW:
	case IBV_WR_LOCAL_INV:
		return type == IBV_QPT_UD ? EINVAL : 0;
	case IBV_WR_RDMA_WRITE:
	case IBV_WR_RDMA_WRITE_WITH_IMM:
		if (type == IBV_QPT_UD)
			return EINVAL;
		break;
	case IBV_WR_RDMA_READ:
		if (type != IBV_QPT_RC || (wr->send_flags & IBV_SEND_INLINE))
			return EINVAL;
		break;
	case IBV_WR_ATOMIC_CMP_AND_SWP:
	case IBV_WR_ATOMIC_FETCH_AND_ADD:
		if (type != IBV_QPT_RC || wr->num_sge != 1 ||
		    wr->sg_list[0].length < 8 ||
		    (wr->send_flags & IBV_SEND_INLINE))
			return EINVAL;
		break;
	case IBV_WR_ATOMIC_WRITE:
		/* Its 8 bytes: one SGE, or inline (ibv_wr_atomic_write). */
		if (type != IBV_QPT_RC || wr->num_sge != 1 ||
		    wr->sg_list[0].length != 8)
			return EINVAL;
		break;
	default:
		return EINVAL;
	}
	if (type == IBV_QPT_UD && !wr->wr.ud.ah)
		return EINVAL;
	return 0;
}

static int copy_wr(struct uroce_qp *qp, const struct ibv_send_wr *wr,
		   struct uroce_send_wqe *wqe)
{
	uint8_t *inl = (uint8_t *)&wqe->sge[qp->cap.max_send_sge];
	uint64_t len = 0;
	int i;

	memset(wqe, 0, sizeof(*wqe));
	wqe->wr_id = wr->wr_id;
	wqe->opcode = wr->opcode;
	wqe->send_flags = wr->send_flags;
	wqe->imm = wr->imm_data;
	for (i = 0; i < wr->num_sge; i++)
		len += wr->sg_list[i].length;
	if (len > 0x80000000ull)
		return EINVAL;
	if (uroce_wr_is_atomic(wr->opcode)) {
		wqe->remote_addr = wr->wr.atomic.remote_addr;
		wqe->rkey = wr->wr.atomic.rkey;
		wqe->compare_add = wr->wr.atomic.compare_add;
		wqe->swap = wr->wr.atomic.swap;
		len = 8;
	} else if (qp->ibv_qp.qp_type != IBV_QPT_UD) {
		wqe->remote_addr = wr->wr.rdma.remote_addr;
		wqe->rkey = wr->wr.rdma.rkey;
	} else {
		struct uroce_ah *ah = to_uah(wr->wr.ud.ah);

		if (len > qp->mtu)
			return EINVAL;
		wqe->ud_path = ah->path;
		wqe->remote_qpn = wr->wr.ud.remote_qpn & UROCE_QPN_MASK;
		/* The high bit asks for the QP's own Q_Key. */
		wqe->remote_qkey = (wr->wr.ud.remote_qkey & 0x80000000u) ?
					   qp->attr.qkey :
					   wr->wr.ud.remote_qkey;
		uroce_path_set_qpn(&wqe->ud_path, qp, wqe->remote_qpn);
	}
	wqe->length = (uint32_t)len;
	if ((wr->send_flags & IBV_SEND_INLINE) &&
	    wr->opcode != IBV_WR_RDMA_READ && !uroce_wr_is_atomic(wr->opcode)) {
		if (len > qp->cap.max_inline_data)
			return EINVAL;
		for (i = 0; i < wr->num_sge; i++) {
			memcpy(inl, (void *)(uintptr_t)wr->sg_list[i].addr,
			       wr->sg_list[i].length);
			inl += wr->sg_list[i].length;
		}
		wqe->flags = UROCE_WQE_INLINE;
		wqe->num_sge = 0;
	} else {
		if (wr->num_sge)
			memcpy(wqe->sge, wr->sg_list,
			       wr->num_sge * sizeof(*wqe->sge));
		wqe->num_sge = (uint32_t)wr->num_sge;
	}
	return 0;
}

int uroce_send_enqueue(struct uroce_qp *qp, const struct ibv_send_wr *wr)
{
	int ret;

	if (qp->sq.head - qp->sq.tail >= qp->cap.max_send_wr)
		return ENOMEM;
	ret = check_wr(qp, wr);
	if (!ret &&
	    (wr->opcode == IBV_WR_BIND_MW || wr->opcode == IBV_WR_LOCAL_INV))
		ret = uroce_mw_copy_wr(qp, wr,
				       uroce_ring_at(&qp->sq, qp->sq.head));
	else if (!ret)
		ret = copy_wr(qp, wr, uroce_ring_at(&qp->sq, qp->sq.head));
	if (!ret)
		qp->sq.head++;
	return ret;
}

int uroce_post_send(struct ibv_qp *ibqp, struct ibv_send_wr *wr,
		    struct ibv_send_wr **bad_wr)
{
	struct uroce_qp *qp = to_uqp(ibqp);
	int ret = 0;

	pthread_mutex_lock(&qp->lock);
	if (qp->state == IBV_QPS_RESET || qp->state == IBV_QPS_INIT ||
	    qp->state == IBV_QPS_RTR) {
		ret = EINVAL;
		*bad_wr = wr;
		goto out;
	}
	for (; wr; wr = wr->next) {
		ret = uroce_send_enqueue(qp, wr);
		if (ret)
			break;
	}
	if (ret)
		*bad_wr = wr;
	if (qp->state == IBV_QPS_ERR)
		uroce_qp_error(qp);
	else
		uroce_req_post(qp);
out:
	pthread_mutex_unlock(&qp->lock);
	return ret;
}

/*
 * ibv_bind_mw: a type 1 bind is a BIND_MW work request with the next key
 * byte (rdma-core's rxe provider does the same). The window's rkey is
 * the new one from here on; the application restores it if the bind
 * completes in error (ibv_bind_mw(3)).
 */
int uroce_bind_mw(struct ibv_qp *ibqp, struct ibv_mw *ibmw,
		  struct ibv_mw_bind *mw_bind)
{
	struct ibv_mw_bind_info *info = &mw_bind->bind_info;
	struct ibv_send_wr wr, *bad;
	int ret;

	if (ibmw->type != IBV_MW_TYPE_1)
		return EINVAL;
	if (!info->mr && (info->addr || info->length))
		return EINVAL;
	/* o10-36.2.2: a type 1 window is never zero based. */
	if (info->mw_access_flags & IBV_ACCESS_ZERO_BASED)
		return EINVAL;
	if (info->mr && info->mr->pd != ibmw->pd)
		return EPERM;

	memset(&wr, 0, sizeof(wr));
	wr.wr_id = mw_bind->wr_id;
	wr.opcode = IBV_WR_BIND_MW;
	wr.send_flags = mw_bind->send_flags;
	wr.bind_mw.mw = ibmw;
	wr.bind_mw.rkey = ibv_inc_rkey(ibmw->rkey);
	wr.bind_mw.bind_info = *info;
	ret = uroce_post_send(ibqp, &wr, &bad);
	if (!ret)
		ibmw->rkey = wr.bind_mw.rkey;
	return ret;
}
