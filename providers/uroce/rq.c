// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ibv_post_recv: receive work requests are copied into the QP's receive
 * ring (or an SRQ's, srq.c), which the responder takes WQEs from.
 */
#include <errno.h>
#include <string.h>

#include "providers/uroce/comp.h"
#include "providers/uroce/dp.h"
#include "providers/uroce/rq.h"
#include "providers/uroce/uroce.h"

/*
 * Copies a chain of receive WRs into @rq (a QP's or an SRQ's ring; the
 * caller holds its lock). Stops at the first WR that does not fit.
 */
int uroce_rq_post(struct uroce_ring *rq, uint32_t max_wr, uint32_t max_sge,
		  struct ibv_recv_wr *wr, struct ibv_recv_wr **bad_wr)
{
	struct uroce_recv_wqe *wqe;
	uint64_t len;
	int ret = 0, i;

	for (; wr; wr = wr->next) {
		if (wr->num_sge < 0 || (uint32_t)wr->num_sge > max_sge) {
			ret = EINVAL;
			break;
		}
		if (rq->head - rq->tail >= max_wr) {
			ret = ENOMEM;
			break;
		}
		wqe = uroce_ring_at(rq, rq->head);
		wqe->wr_id = wr->wr_id;
		wqe->num_sge = (uint32_t)wr->num_sge;
		if (wr->num_sge)
			memcpy(wqe->sge, wr->sg_list,
			       wr->num_sge * sizeof(*wqe->sge));
		for (len = 0, i = 0; i < wr->num_sge; i++)
			len += wr->sg_list[i].length;
		wqe->length = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
		rq->head++;
	}
	if (ret)
		*bad_wr = wr;
	return ret;
}

int uroce_post_recv(struct ibv_qp *ibqp, struct ibv_recv_wr *wr,
		    struct ibv_recv_wr **bad_wr)
{
	struct uroce_qp *qp = to_uqp(ibqp);
	int ret;

	pthread_mutex_lock(&qp->lock);
	if (qp->srq || qp->state == IBV_QPS_RESET) {
		*bad_wr = wr;
		pthread_mutex_unlock(&qp->lock);
		return EINVAL;
	}
	ret = uroce_rq_post(&qp->rq, qp->cap.max_recv_wr, qp->cap.max_recv_sge,
			    wr, bad_wr);
	if (qp->state == IBV_QPS_ERR)
		uroce_qp_error(qp);
	pthread_mutex_unlock(&qp->lock);
	return ret;
}
