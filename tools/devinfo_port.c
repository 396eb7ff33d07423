// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* uroce_devinfo's port section, GIDs included. */
#include <stdio.h>
#include <stdlib.h>

#include "tools/common/names.h"
#include "tools/common/query.h"
#include "tools/devinfo.h"

static const char *vl_name(uint8_t max_vl_num)
{
	static const char *const names[] = { NULL, "1", "2", "4", "8", "15" };

	if (max_vl_num >= sizeof(names) / sizeof(names[0]) ||
	    !names[max_vl_num])
		return "invalid value";
	return names[max_vl_num];
}

/*
 * As ibv_devinfo prints them (inet_ntop, then the type on Ethernet), plus
 * the netdev whose address each GID is, which ibv_devinfo cannot know.
 */
static int print_gids(struct ibv_context *ctx, uint8_t port,
		      const struct ibv_port_attr *pattr)
{
	struct port_gid *g;
	ssize_t n, i;

	n = query_port_gids(ctx, port, &g);
	if (n < 0) {
		fprintf(stderr, "Failed to query the GIDs of port %u\n", port);
		return 1;
	}
	for (i = 0; i < n; i++) {
		printf("\t\t\tGID[%3u]:\t\t%s", g[i].entry.gid_index, g[i].gid);
		if (pattr->link_layer == IBV_LINK_LAYER_ETHERNET)
			printf(", %s", gid_type_name(g[i].entry.gid_type));
		if (g[i].netdev[0])
			printf(", netdev %s", g[i].netdev);
		printf("\n");
	}
	free(g);
	return 0;
}

static void print_port_limits(struct ibv_context *ctx,
			      const struct ibv_port_attr *p)
{
	field(3, PORT_COL, "max_msg_sz", "0x%x", p->max_msg_sz);
	field(3, PORT_COL, "port_cap_flags", "0x%08x", p->port_cap_flags);
	field(3, PORT_COL, "port_cap_flags2", "0x%04x", p->port_cap_flags2);
	field(3, PORT_COL, "max_vl_num", "%s (%d)", vl_name(p->max_vl_num),
	      p->max_vl_num);
	field(3, PORT_COL, "bad_pkey_cntr", "0x%x", p->bad_pkey_cntr);
	field(3, PORT_COL, "qkey_viol_cntr", "0x%x", p->qkey_viol_cntr);
	field(3, PORT_COL, "sm_sl", "%d", p->sm_sl);
	field(3, PORT_COL, "pkey_tbl_len", "%d", p->pkey_tbl_len);
	field(3, PORT_COL, "gid_tbl_len", "%d", p->gid_tbl_len);
	field(3, PORT_COL, "subnet_timeout", "%d", p->subnet_timeout);
	field(3, PORT_COL, "init_type_reply", "%d", p->init_type_reply);
	field(3, PORT_COL, "active_width", "%sX (%d)",
	      width_name(p->active_width), p->active_width);
	field(3, PORT_COL, "active_speed", "%s (%d)",
	      lane_speed_name(p->active_speed), p->active_speed);
	if (ctx->device->transport_type == IBV_TRANSPORT_IB)
		field(3, PORT_COL, "phys_state", "%s (%d)",
		      phys_state_name(p->phys_state), p->phys_state);
}

int print_port(struct ibv_context *ctx, uint8_t port, int verbose)
{
	struct ibv_port_attr p;
	int rc;

	rc = ibv_query_port(ctx, port, &p);
	if (rc) {
		fprintf(stderr, "Failed to query port %u props\n", port);
		return rc;
	}
	printf("\t\tport:\t%u\n", port);
	field(3, PORT_COL, "state", "PORT_%s (%d)", port_state_name(p.state),
	      p.state);
	field(3, PORT_COL, "max_mtu", "%s (%d)", mtu_name(p.max_mtu),
	      p.max_mtu);
	field(3, PORT_COL, "active_mtu", "%s (%d)", mtu_name(p.active_mtu),
	      p.active_mtu);
	field(3, PORT_COL, "sm_lid", "%d", p.sm_lid);
	field(3, PORT_COL, "port_lid", "%d", p.lid);
	field(3, PORT_COL, "port_lmc", "0x%02x", p.lmc);
	field(3, PORT_COL, "link_layer", "%s", link_layer_name(p.link_layer));
	if (verbose) {
		print_port_limits(ctx, &p);
		rc = print_gids(ctx, port, &p);
		if (rc)
			return rc;
	}
	printf("\n");
	return 0;
}
