// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * uroce link [show [DEV[/PORT]]]: one line per port, as rdma link shows
 * them, plus what a namespaced software device adds: the network
 * namespace, the active MTU and the speed. -d adds port attributes and
 * the GIDs with their netdevs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/common/format.h"
#include "tools/common/names.h"
#include "tools/common/netns.h"
#include "tools/common/query.h"
#include "tools/uroce/uroce.h"

struct link_filter {
	unsigned int port; /* 0: every port */
	const char *netns; /* the caller's, the same for every port */
};

static int print_gids(struct uroce *u, struct ibv_context *ctx, uint8_t port)
{
	char gid[GID_STR_LEN], ifname[IF_NAMESIZE];
	struct ibv_gid_entry *e;
	const char *netdev;
	ssize_t n, i;

	n = query_gids(ctx, &e);
	if (n < 0) {
		fprintf(stderr, "uroce: cannot query the GIDs of %s: %s\n",
			ibv_get_device_name(ctx->device), strerror(-n));
		return 1;
	}
	out_list_begin(u, "gids");
	for (i = 0; i < n; i++) {
		if (e[i].port_num != port)
			continue;
		format_gid(&e[i].gid, gid);
		netdev = gid_netdev(&e[i], ifname);
		if (!u->json) {
			printf("\n    gid %u %s type %s netdev %s",
			       e[i].gid_index, gid,
			       gid_type_name(e[i].gid_type),
			       netdev ? netdev : "-");
			continue;
		}
		json_begin_object(&u->jw);
		json_kv_uint(&u->jw, "index", e[i].gid_index);
		json_kv_str(&u->jw, "gid", gid);
		json_kv_str(&u->jw, "type", gid_type_name(e[i].gid_type));
		if (netdev)
			json_kv_str(&u->jw, "netdev", netdev);
		json_end_object(&u->jw);
	}
	out_list_end(u);
	free(e);
	return 0;
}

static void print_details(struct uroce *u, const struct ibv_port_attr *p)
{
	char width[sizeof("invalid widthX")];

	snprintf(width, sizeof(width), "%sX", width_name(p->active_width));
	out_detail_line(u);
	out_uint(u, "max_mtu", mtu_bytes(p->max_mtu));
	out_str(u, "link_layer", link_layer_name(p->link_layer));
	out_uint(u, "lid", p->lid);
	out_uint(u, "sm_lid", p->sm_lid);
	out_uint(u, "lmc", p->lmc);
	out_detail_line(u);
	out_uint(u, "gid_tbl_len", p->gid_tbl_len);
	out_uint(u, "pkey_tbl_len", p->pkey_tbl_len);
	out_hex(u, "max_msg_sz", p->max_msg_sz);
	out_hex(u, "port_cap_flags", p->port_cap_flags);
	out_str(u, "width", width);
	out_str(u, "lane_speed", lane_speed_name(p->active_speed));
}

static int show_port(struct uroce *u, struct ibv_context *ctx, uint8_t port,
		     const struct link_filter *f)
{
	const char *name = ibv_get_device_name(ctx->device);
	char ifname[IF_NAMESIZE], rate[RATE_STR_LEN];
	struct ibv_port_attr p;
	const char *netdev;
	unsigned int ifindex;
	uint32_t mbps;
	int ret;

	ret = ibv_query_port(ctx, port, &p);
	if (ret) {
		fprintf(stderr, "uroce: cannot query %s/%u: %s\n", name, port,
			strerror(ret));
		return 1;
	}
	netdev = port_netdev(ctx, port, ifname, &ifindex);
	mbps = port_rate_mbps(p.active_width, p.active_speed);

	out_begin(u);
	out_text(u, "link %s/%u", name, port);
	out_json_uint(u, "ifindex", ibv_get_device_index(ctx->device));
	out_json_str(u, "ifname", name);
	out_json_uint(u, "port", port);
	out_str(u, "state", port_state_name(p.state));
	out_str(u, "physical_state", phys_state_name(p.phys_state));
	if (netdev) {
		out_str(u, "netdev", netdev);
		out_json_uint(u, "netdev_index", ifindex);
	} else {
		out_text(u, " netdev -");
	}
	out_str(u, "netns", f->netns);
	out_uint(u, "mtu", mtu_bytes(p.active_mtu));
	if (mbps)
		out_str(u, "speed", format_rate(mbps, rate));
	if (u->details) {
		print_details(u, &p);
		ret = print_gids(u, ctx, port);
	}
	out_end(u);
	return ret;
}

static int show_device(struct uroce *u, struct ibv_device *dev,
		       struct ibv_context *ctx, void *arg)
{
	const struct link_filter *f = arg;
	struct ibv_device_attr attr;
	unsigned int port;
	int ret;

	ret = ibv_query_device(ctx, &attr);
	if (ret) {
		fprintf(stderr, "uroce: cannot query %s: %s\n",
			ibv_get_device_name(dev), strerror(ret));
		return 1;
	}
	if (f->port > attr.phys_port_cnt) {
		fprintf(stderr, "Port %u of %s does not exist.\n", f->port,
			ibv_get_device_name(dev));
		return 1;
	}
	for (port = 1; port <= attr.phys_port_cnt; port++)
		if (!f->port || port == f->port)
			ret |= show_port(u, ctx, port, f);
	return ret;
}

/* DEV or DEV/PORT; a port is a decimal number from 1. */
static int parse_target(char *arg, unsigned int *port)
{
	char *slash = strrchr(arg, '/'), *end;
	unsigned long n;

	*port = 0;
	if (!slash)
		return 0;
	*slash = '\0';
	errno = 0;
	n = strtoul(slash + 1, &end, 10);
	if (slash[1] < '1' || slash[1] > '9' || *end || errno || n > 255) {
		fprintf(stderr, "Invalid port \"%s\".\n", slash + 1);
		return -1;
	}
	*port = n;
	return 0;
}

static int link_show(struct uroce *u, int argc, char **argv)
{
	struct link_filter f = {};
	char netns[256];
	int ret;

	if (argc > 1)
		return unknown_arg("link", argv[1]);
	if (argc && parse_target(argv[0], &f.port))
		return 1;
	ret = netns_identify(netns, sizeof(netns));
	if (ret) {
		fprintf(stderr,
			"uroce: cannot identify the network namespace: %s\n",
			strerror(-ret));
		return 1;
	}
	f.netns = netns;
	return each_device(u, argc ? argv[0] : NULL, show_device, &f);
}

static int link_help(struct uroce *u, int argc, char **argv)
{
	printf("Usage: uroce link [ show [ DEV[/PORT] ] ]\n"
	       "       uroce link help\n"
	       "\n"
	       "Shows each port, or those of DEV, or port PORT of DEV: its\n"
	       "state, physical state, netdev (that of GID index 0), network\n"
	       "namespace (its name in " NETNS_DIR ", else net:[inode]),\n"
	       "active MTU and speed. With -d, also its attributes and every\n"
	       "GID with its type and netdev.\n");
	return 0;
}

int do_link(struct uroce *u, int argc, char **argv)
{
	static const struct uroce_cmd cmds[] = {
		{ "show", link_show },
		{ "list", link_show },
		{ "help", link_help },
		{},
	};

	return dispatch(u, cmds, argc, argv, "link");
}
