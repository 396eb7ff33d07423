// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * uroce dev [show [DEV]]: one line per device, as rdma dev shows them;
 * -d adds the device's limits and capability flags.
 */
#include <stdio.h>
#include <string.h>

#include "tools/common/format.h"
#include "tools/common/names.h"
#include "tools/uroce/uroce.h"

#define OUT_LIMIT(u, a, f) out_uint(u, #f, (a)->f)

struct cap_list {
	struct uroce *u;
	bool first;
};

static void cap_item(const char *name, uint64_t bits, void *arg)
{
	struct cap_list *l = arg;
	char buf[sizeof("0x") + 16];

	/* bits nobody named show as a number */
	if (!name) {
		snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)bits);
		name = buf;
	}
	if (l->u->json)
		json_str(&l->u->jw, name);
	else
		printf("%s%s", l->first ? "" : ", ", name);
	l->first = false;
}

/* As rdma(8) prints capabilities: caps: <A, B, C> */
static void print_caps(struct uroce *u, const struct ibv_device_attr_ex *attr)
{
	struct cap_list l = { .u = u, .first = true };

	out_detail_line(u);
	out_list_begin(u, "caps");
	out_text(u, " caps: <");
	for_each_cap_flag(attr->orig_attr.device_cap_flags, 0, cap_item, &l);
	for_each_cap_flag(attr->device_cap_flags_ex, 1, cap_item, &l);
	out_text(u, ">");
	out_list_end(u);
}

static void print_details(struct uroce *u, struct ibv_device *dev,
			  const struct ibv_device_attr_ex *attr)
{
	const struct ibv_device_attr *a = &attr->orig_attr;

	out_detail_line(u);
	out_str(u, "transport", transport_name(dev->transport_type));
	out_hex(u, "vendor_id", a->vendor_id);
	out_uint(u, "vendor_part_id", a->vendor_part_id);
	out_hex(u, "hw_ver", a->hw_ver);
	out_uint(u, "phys_port_cnt", a->phys_port_cnt);
	out_detail_line(u);
	OUT_LIMIT(u, a, max_qp);
	OUT_LIMIT(u, a, max_qp_wr);
	OUT_LIMIT(u, a, max_sge);
	OUT_LIMIT(u, a, max_sge_rd);
	OUT_LIMIT(u, a, max_srq);
	OUT_LIMIT(u, a, max_srq_wr);
	OUT_LIMIT(u, a, max_srq_sge);
	out_detail_line(u);
	OUT_LIMIT(u, a, max_cq);
	OUT_LIMIT(u, a, max_cqe);
	OUT_LIMIT(u, a, max_mr);
	OUT_LIMIT(u, a, max_pd);
	OUT_LIMIT(u, a, max_mw);
	OUT_LIMIT(u, a, max_ah);
	out_detail_line(u);
	OUT_LIMIT(u, a, max_qp_rd_atom);
	OUT_LIMIT(u, a, max_qp_init_rd_atom);
	OUT_LIMIT(u, a, max_res_rd_atom);
	out_detail_line(u);
	OUT_LIMIT(u, a, max_mcast_grp);
	OUT_LIMIT(u, a, max_mcast_qp_attach);
	OUT_LIMIT(u, a, max_total_mcast_qp_attach);
	out_str(u, "atomic_cap", atomic_cap_name(a->atomic_cap));
	out_detail_line(u);
	out_hex(u, "max_mr_size", a->max_mr_size);
	out_hex(u, "page_size_cap", a->page_size_cap);
	out_uint(u, "max_pkeys", a->max_pkeys);
	out_uint(u, "local_ca_ack_delay", a->local_ca_ack_delay);
	print_caps(u, attr);
}

static int show_one(struct uroce *u, struct ibv_device *dev,
		    struct ibv_context *ctx, void *arg)
{
	struct ibv_device_attr_ex attr;
	char guid[GUID_STR_LEN];
	const char *name = ibv_get_device_name(dev);
	int index = ibv_get_device_index(dev);
	int ret;

	ret = ibv_query_device_ex(ctx, NULL, &attr);
	if (ret) {
		fprintf(stderr, "uroce: cannot query %s: %s\n", name,
			strerror(ret));
		return 1;
	}
	out_begin(u);
	out_text(u, "%d: %s:", index, name);
	out_json_uint(u, "ifindex", index);
	out_json_str(u, "ifname", name);
	out_str(u, "node_type", node_type_name(dev->node_type));
	if (attr.orig_attr.fw_ver[0])
		out_str(u, "fw", attr.orig_attr.fw_ver);
	out_str(u, "node_guid", format_guid(attr.orig_attr.node_guid, guid));
	out_str(u, "sys_image_guid",
		format_guid(attr.orig_attr.sys_image_guid, guid));
	if (u->details)
		print_details(u, dev, &attr);
	out_end(u);
	return 0;
}

static int dev_show(struct uroce *u, int argc, char **argv)
{
	if (argc > 1)
		return unknown_arg("dev", argv[1]);
	return each_device(u, argc ? argv[0] : NULL, show_one, NULL);
}

static int dev_help(struct uroce *u, int argc, char **argv)
{
	printf("Usage: uroce dev [ show [ DEV ] ]\n"
	       "       uroce dev help\n"
	       "\n"
	       "Shows each device, or DEV: its index, node type, firmware\n"
	       "version, node GUID and system image GUID. With -d, also its\n"
	       "transport, vendor, limits (max_qp, max_cqe, ...) and\n"
	       "capability flags.\n");
	return 0;
}

int do_dev(struct uroce *u, int argc, char **argv)
{
	static const struct uroce_cmd cmds[] = {
		{ "show", dev_show },
		{ "list", dev_show },
		{ "help", dev_help },
		{},
	};

	return dispatch(u, cmds, argc, argv, "dev");
}
