/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What path.c offers the rest of the provider. */
#ifndef UROCE_PATH_H
#define UROCE_PATH_H

#include "providers/uroce/dp.h"

int uroce_gid_path(struct uroce_context *ctx, unsigned int sgid_index,
		   const union ibv_gid *dgid, struct uroce_path *path);
/* The UDP ports of packets to QP @dqpn from @qp. */
void uroce_path_set_qpn(struct uroce_path *path, const struct uroce_qp *qp,
			uint32_t dqpn);

/* The ICRC's view of the IP header between @src and @dst. */
void uroce_icrc_addrs(struct uroce_icrc_hdr *h, const struct in6_addr *src,
		      const struct in6_addr *dst);

#endif /* UROCE_PATH_H */
