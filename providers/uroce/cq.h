/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What cq.c, cq_ex.c offer the rest of the provider. */
#ifndef UROCE_CQ_H
#define UROCE_CQ_H

#include "providers/uroce/uroce.h"
#include "util/clock.h"

struct uroce_cq *uroce_cq_create(struct ibv_context *ibctx, int cqe,
				 struct ibv_comp_channel *channel,
				 int comp_vector, bool timestamps,
				 struct uroce_pd *dom);
struct ibv_cq *uroce_create_cq(struct ibv_context *ibctx, int cqe,
			       struct ibv_comp_channel *channel,
			       int comp_vector);
int uroce_poll_cq(struct ibv_cq *ibcq, int num_entries, struct ibv_wc *wc);
int uroce_req_notify_cq(struct ibv_cq *ibcq, int solicited_only);
int uroce_resize_cq(struct ibv_cq *ibcq, int cqe);
int uroce_destroy_cq(struct ibv_cq *ibcq);
void uroce_cq_destroy_all(struct uroce_context *ctx);

/*
 * Adds a completion (the data path's entry point). @solicited: the
 * completion is for a message with the solicited event bit. Returns 0,
 * or ENOSPC on overrun, after which the CQ is in error and
 * IBV_EVENT_CQ_ERR has been posted.
 */
int uroce_cq_push(struct uroce_cq *cq, const struct ibv_wc *wc, bool solicited);
void uroce_cq_clean(struct uroce_cq *cq, uint32_t qp_num);
struct ibv_cq_ex *uroce_create_cq_ex(struct ibv_context *ibctx,
				     struct ibv_cq_init_attr_ex *attr);

/* The clock of completion timestamps: CLOCK_MONOTONIC in ns. */
static inline uint64_t uroce_cq_clock_ns(void)
{
	return uroce_now_ns();
}

#endif /* UROCE_CQ_H */
