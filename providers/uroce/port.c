// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Port, GID and P_Key queries. They are answered from the context's
 * snapshot, never from a fresh dump: the calling thread may have moved to
 * another namespace since the context was opened.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "providers/uroce/port.h"
#include "providers/uroce/uroce.h"

int uroce_query_port(struct ibv_context *ibctx, uint8_t port_num,
		     struct ibv_port_attr *port_attr, size_t port_attr_len)
{
	struct uroce_context *ctx = to_uctx(ibctx);
	struct ibv_port_attr attr;

	if (port_num != UROCE_PORT || !port_attr)
		return EINVAL;

	memset(&attr, 0, sizeof(attr));
	pthread_mutex_lock(&ctx->state_lock);
	attr.state = ctx->state.running ? IBV_PORT_ACTIVE : IBV_PORT_DOWN;
	attr.phys_state = ctx->state.running ? UROCE_PHYS_STATE_LINK_UP :
					       UROCE_PHYS_STATE_DISABLED;
	attr.active_mtu = ctx->state.active_mtu;
	attr.active_width = ctx->state.active_width;
	attr.active_speed = ctx->state.active_speed;
	pthread_mutex_unlock(&ctx->state_lock);

	attr.max_mtu = IBV_MTU_4096;
	attr.gid_tbl_len = UROCE_GID_TBL_LEN;
	attr.port_cap_flags = UROCE_PORT_CAP_FLAGS;
	attr.max_msg_sz = 1U << 31;
	attr.pkey_tbl_len = 1;
	attr.max_vl_num = 1; /* VL0 only */
	attr.link_layer = IBV_LINK_LAYER_ETHERNET;
	/*
	 * lid, sm_lid, lmc, sm_sl and the counters stay 0: there is no
	 * subnet manager on Ethernet. rdma-core 44's struct has no
	 * active_speed_ex; 4X NDR is the fastest rate reported anyway.
	 */

	/* Older binaries pass a shorter struct: fill what they have. */
	if (port_attr_len > sizeof(attr))
		port_attr_len = sizeof(attr);
	memcpy(port_attr, &attr, port_attr_len);
	return 0;
}

int uroce_query_gid_ex(struct ibv_context *ibctx, uint32_t port_num,
		       uint32_t gid_index, struct ibv_gid_entry *entry)
{
	struct uroce_context *ctx = to_uctx(ibctx);
	int ret = 0;

	if (port_num != UROCE_PORT || gid_index >= UROCE_GID_TBL_LEN || !entry)
		return EINVAL;

	pthread_mutex_lock(&ctx->state_lock);
	if (gid_index < ctx->state.ngids) {
		const struct uroce_gid *g = &ctx->state.gids[gid_index];

		entry->gid = g->gid;
		entry->gid_type = IBV_GID_TYPE_ROCE_V2;
		entry->ndev_ifindex = g->ifindex;
	} else {
		/* An empty slot inside the table, as rdma-core reports it. */
		ret = ENODATA;
	}
	pthread_mutex_unlock(&ctx->state_lock);
	return ret;
}

int uroce_query_pkey(struct ibv_context *ibctx, uint8_t port_num, int index,
		     __be16 *pkey)
{
	if (port_num != UROCE_PORT || index != 0 || !pkey)
		return EINVAL;
	*pkey = htobe16(0xffff); /* the default, full-member P_Key */
	return 0;
}
