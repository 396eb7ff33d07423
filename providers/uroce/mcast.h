/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What mcast.c offers the rest of the provider. */
#ifndef UROCE_MCAST_H
#define UROCE_MCAST_H

#include "providers/uroce/dp.h"

int uroce_attach_mcast(struct ibv_qp *ibqp, const union ibv_gid *gid,
		       uint16_t lid);
int uroce_detach_mcast(struct ibv_qp *ibqp, const union ibv_gid *gid,
		       uint16_t lid);

/* Detaches @qp from every group; no receiver can reach it afterwards. */
void uroce_mcast_qp_destroy(struct uroce_qp *qp);

/* A packet the multicast socket received for group @dst. */
void uroce_mcast_rx(struct uroce_dp *dp, struct uroce_pkt *pkt,
		    const struct sockaddr_in6 *from,
		    const struct in6_addr *dst);
void uroce_mcast_free(struct uroce_dp *dp);

#endif /* UROCE_MCAST_H */
