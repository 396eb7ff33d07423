// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Receive WQEs: a chain of ibv_recv_wr copied into a receive ring, a QP's
 * (rq.c) or an SRQ's (srq.c). The responder takes them out (resp.c).
 */
#include <errno.h>
#include <string.h>

#include "providers/uroce/dp.h"
#include "providers/uroce/recv_wqe.h"

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
