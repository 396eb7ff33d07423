// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ibv_post_recv: receive work requests are copied into the QP's receive
 * ring (or an SRQ's, srq.c), which the responder takes WQEs from.
 */
#include <errno.h>

#include "providers/uroce/comp.h"
#include "providers/uroce/dp.h"
#include "providers/uroce/recv_wqe.h"
#include "providers/uroce/rq.h"
#include "providers/uroce/uroce.h"

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
