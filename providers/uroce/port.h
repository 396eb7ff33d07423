/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What port.c offers the rest of the provider. */
#ifndef UROCE_PORT_H
#define UROCE_PORT_H

#include "providers/uroce/uroce.h"

int uroce_query_port(struct ibv_context *ibctx, uint8_t port_num,
		     struct ibv_port_attr *port_attr, size_t port_attr_len);
int uroce_query_gid_ex(struct ibv_context *ibctx, uint32_t port_num,
		       uint32_t gid_index, struct ibv_gid_entry *entry);
int uroce_query_pkey(struct ibv_context *ibctx, uint8_t port_num, int index,
		     __be16 *pkey);

#endif /* UROCE_PORT_H */
