/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What deliver.c offers the rest of the provider. */
#ifndef UROCE_DELIVER_H
#define UROCE_DELIVER_H

#include "providers/uroce/dp.h"

/*
 * Hands a packet that passed the socket's checks to @qp, after the QP's
 * own and, with @ih, its ICRC over those headers; false if it was
 * dropped. @dst: the IP destination (for the GRH).
 */
bool uroce_deliver(struct uroce_dp *dp, struct uroce_qp *qp,
		   struct uroce_pkt *pkt, const struct sockaddr_in6 *from,
		   const struct in6_addr *dst, int member,
		   const struct uroce_icrc_hdr *ih);

#endif /* UROCE_DELIVER_H */
