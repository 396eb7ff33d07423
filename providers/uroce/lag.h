/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What lag.c, lag_qp.c offer the rest of the provider. */
#ifndef UROCE_LAG_H
#define UROCE_LAG_H

#include "providers/uroce/dp.h"

/* lag.c: the LAG members of a context, see the comment there */

/* Before the context's dp is published. */
void uroce_lag_init(struct uroce_context *ctx, struct uroce_dp *dp);
void uroce_lag_fini(struct uroce_dp *dp);

/* Links changed (the monitor thread): move QPs off the members down. */
void uroce_lag_links(struct uroce_context *ctx);

/* From the engine: suspicions to act on, holds that ended. */
void uroce_lag_tick(struct uroce_dp *dp, uint64_t now);

/* lag_qp.c: a QP's member */

/* Gives a new QP the least loaded member. */
void uroce_lag_qp_init(struct uroce_qp *qp);

/* A QP no thread can reach any more gives its member up. */
void uroce_lag_qp_fini(struct uroce_qp *qp);

/* A retransmission timeout of @qp; under its lock. */
void uroce_lag_timeout(struct uroce_qp *qp);

/* Moves @qp to member @to, under its lock. */
void uroce_lag_move(struct uroce_qp *qp, int to);

/* Not down, not held as a suspect at @now. */
bool uroce_lag_usable(struct uroce_lag_member *m, uint64_t now);

/* The usable member with the fewest QPs but @except, or -1. */
int uroce_lag_least_loaded(struct uroce_lag_set *lag, uint64_t now, int except);

/* The LAG device's name, for the log. */
const char *uroce_lag_name(const struct uroce_lag_set *lag);

#endif /* UROCE_LAG_H */
