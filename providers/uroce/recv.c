// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* ibv_post_recv and the receive queue the responder takes WQEs from. */
#include <errno.h>
#include <string.h>

#include "providers/uroce/uroce.h"

int uroce_post_recv(struct ibv_qp *ibqp, struct ibv_recv_wr *wr,
		    struct ibv_recv_wr **bad_wr)
{
	struct uroce_qp *qp = to_uqp(ibqp);
	struct uroce_recv_wqe *wqe;
	uint64_t len;
	int ret = 0, i;

	pthread_mutex_lock(&qp->lock);
	if (qp->srq || qp->state == IBV_QPS_RESET) {
		*bad_wr = wr;
		pthread_mutex_unlock(&qp->lock);
		return EINVAL;
	}
	for (; wr; wr = wr->next) {
		if (wr->num_sge < 0 ||
		    (uint32_t)wr->num_sge > qp->cap.max_recv_sge) {
			ret = EINVAL;
			break;
		}
		if (qp->rq.head - qp->rq.tail >= qp->cap.max_recv_wr) {
			ret = ENOMEM;
			break;
		}
		wqe = uroce_ring_at(&qp->rq, qp->rq.head);
		wqe->wr_id = wr->wr_id;
		wqe->num_sge = (uint32_t)wr->num_sge;
		memcpy(wqe->sge, wr->sg_list, wr->num_sge * sizeof(*wqe->sge));
		for (len = 0, i = 0; i < wr->num_sge; i++)
			len += wr->sg_list[i].length;
		wqe->length = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
		qp->rq.head++;
	}
	if (ret)
		*bad_wr = wr;
	if (qp->state == IBV_QPS_ERR)
		uroce_qp_error(qp);
	pthread_mutex_unlock(&qp->lock);
	return ret;
}

bool uroce_recv_take(struct uroce_qp *qp, struct uroce_recv_wqe *buf)
{
	struct uroce_recv_wqe *wqe;

	if (qp->rq.tail == qp->rq.head)
		return false;
	wqe = uroce_ring_at(&qp->rq, qp->rq.tail);
	memcpy(buf, wqe, sizeof(*wqe) + wqe->num_sge * sizeof(struct ibv_sge));
	qp->rq.tail++;
	return true;
}

void uroce_recv_complete(struct uroce_qp *qp, struct uroce_recv_wqe *wqe,
			 const struct ibv_wc *wc, bool solicited)
{
	struct ibv_wc c = *wc;

	c.wr_id = wqe->wr_id;
	c.qp_num = qp->ibv_qp.qp_num;
	uroce_cq_push(qp->rcq, &c, solicited);
}
