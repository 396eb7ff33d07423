/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What poll.c offers the rest of the provider. */
#ifndef UROCE_POLL_H
#define UROCE_POLL_H

#include "providers/uroce/uroce.h"

/* The poll_cq op; asked for no entry it takes in all that has arrived. */
int uroce_poll_cq_dp(struct ibv_cq *ibcq, int num_entries, struct ibv_wc *wc);

/* The progress of a poll that takes nothing and waits for no drainer. */
void uroce_cq_progress_dp(struct ibv_cq *ibcq);

/* The req_notify_cq op: the application sleeps, the engine drains. */
int uroce_req_notify_cq_dp(struct ibv_cq *ibcq, int solicited_only);

#endif /* UROCE_POLL_H */
