// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* What uroce_devinfo -v adds to a device: its limits and capabilities. */
#include <stdio.h>

#include "tools/common/names.h"
#include "tools/devinfo.h"

#define LIMIT(a, f) field(1, DEV_COL, #f, "%d", (a)->f)

static void print_flag_list(uint64_t flags, uint64_t known,
			    const char *const *names)
{
	int i;

	for (i = 0; i < 64; i++)
		if ((flags & known & (1ULL << i)) && names[i])
			flag_line(names[i], 1ULL << i, NULL);
	if (flags & ~known)
		flag_line(NULL, flags & ~known, NULL);
}

static void print_odp(const struct ibv_device_attr_ex *attr)
{
	static const char *const general[64] = {
		[0] = "ODP_SUPPORT",
		[1] = "ODP_SUPPORT_IMPLICIT",
	};
	static const char *const transport[64] = {
		[0] = "SUPPORT_SEND",	[1] = "SUPPORT_RECV",
		[2] = "SUPPORT_WRITE",	[3] = "SUPPORT_READ",
		[4] = "SUPPORT_ATOMIC", [5] = "SUPPORT_SRQ",
	};
	const struct ibv_odp_caps *odp = &attr->odp_caps;
	const struct {
		const char *name;
		uint32_t caps;
	} per[] = {
		{ "rc_odp_caps", odp->per_transport_caps.rc_odp_caps },
		{ "uc_odp_caps", odp->per_transport_caps.uc_odp_caps },
		{ "ud_odp_caps", odp->per_transport_caps.ud_odp_caps },
		{ "xrc_odp_caps", attr->xrc_odp_caps },
	};
	unsigned int i;

	printf("\tgeneral_odp_caps:\n");
	print_flag_list(odp->general_caps,
			IBV_ODP_SUPPORT | IBV_ODP_SUPPORT_IMPLICIT, general);
	for (i = 0; i < sizeof(per) / sizeof(per[0]); i++) {
		printf("\t%s:\n", per[i].name);
		if (!per[i].caps)
			printf("\t\t\t\t\tNO SUPPORT\n");
		else
			print_flag_list(per[i].caps, 0x3f, transport);
	}
}

/* Which of the raw packet and UD QP types a capability applies to. */
static void print_qp_types(uint32_t qpts)
{
	const uint32_t raw = 1 << IBV_QPT_RAW_PACKET, ud = 1 << IBV_QPT_UD;

	printf("\t\tsupported_qp:\n");
	if (qpts & raw)
		flag_line("SUPPORT_RAW_PACKET", raw, NULL);
	if (qpts & ud)
		flag_line("SUPPORT_UD", ud, NULL);
	if (qpts & ~(raw | ud))
		flag_line(NULL, qpts & ~(raw | ud), NULL);
}

static void print_offloads(const struct ibv_device_attr_ex *attr)
{
	static const char *const raw[64] = {
		[0] = "C-VLAN stripping offload",
		[1] = "Scatter FCS offload",
		[2] = "IP csum offload",
		[3] = "Delay drop",
	};
	const struct ibv_rss_caps *rss = &attr->rss_caps;

	if (attr->raw_packet_caps) {
		printf("\traw packet caps:\n");
		/* ibv_devinfo does not report unknown bits here */
		print_flag_list(attr->raw_packet_caps & 0xf, 0xf, raw);
	}
	field(1, DEV_COL, "device_cap_flags_ex", "0x%llX",
	      (unsigned long long)attr->device_cap_flags_ex);
	for_each_cap_flag(attr->device_cap_flags_ex, 1, flag_line, NULL);

	printf("\ttso_caps:\n");
	field(2, PORT_COL, "max_tso", "%u", attr->tso_caps.max_tso);
	if (attr->tso_caps.max_tso)
		print_qp_types(attr->tso_caps.supported_qpts);

	printf("\trss_caps:\n");
	field(2, 64, "max_rwq_indirection_tables", "%u",
	      rss->max_rwq_indirection_tables);
	field(2, 64, "max_rwq_indirection_table_size", "%u",
	      rss->max_rwq_indirection_table_size);
	field(2, 64, "rx_hash_function", "0x%x", rss->rx_hash_function);
	field(2, 64, "rx_hash_fields_mask", "0x%llX",
	      (unsigned long long)rss->rx_hash_fields_mask);
	if (rss->supported_qpts)
		print_qp_types(rss->supported_qpts);
	field(1, DEV_COL, "max_wq_type_rq", "%u", attr->max_wq_type_rq);

	printf("\tpacket_pacing_caps:\n");
	field(2, 40, "qp_rate_limit_min", "%ukbps",
	      attr->packet_pacing_caps.qp_rate_limit_min);
	field(2, 40, "qp_rate_limit_max", "%ukbps",
	      attr->packet_pacing_caps.qp_rate_limit_max);
	if (attr->packet_pacing_caps.qp_rate_limit_max)
		print_qp_types(attr->packet_pacing_caps.supported_qpts);
}

static void print_tag_matching(const struct ibv_tm_caps *tm)
{
	if (!tm->max_num_tags) {
		printf("\ttag matching not supported\n");
		return;
	}
	field(1, DEV_COL, "max_rndv_hdr_size", "%u", tm->max_rndv_hdr_size);
	field(1, DEV_COL, "max_num_tags", "%u", tm->max_num_tags);
	field(1, DEV_COL, "max_ops", "%u", tm->max_ops);
	field(1, DEV_COL, "max_sge", "%u", tm->max_sge);
	printf("\tflags:\n");
	if (tm->flags & IBV_TM_CAP_RC)
		flag_line("IBV_TM_CAP_RC", IBV_TM_CAP_RC, NULL);
}

void print_device_limits(struct ibv_context *ctx,
			 const struct ibv_device_attr_ex *attr)
{
	const struct ibv_device_attr *a = &attr->orig_attr;

	field(1, DEV_COL, "max_mr_size", "0x%llx",
	      (unsigned long long)a->max_mr_size);
	field(1, DEV_COL, "page_size_cap", "0x%llx",
	      (unsigned long long)a->page_size_cap);
	LIMIT(a, max_qp);
	LIMIT(a, max_qp_wr);
	field(1, DEV_COL, "device_cap_flags", "0x%08x", a->device_cap_flags);
	for_each_cap_flag(a->device_cap_flags, 0, flag_line, NULL);
	LIMIT(a, max_sge);
	LIMIT(a, max_sge_rd);
	LIMIT(a, max_cq);
	LIMIT(a, max_cqe);
	LIMIT(a, max_mr);
	LIMIT(a, max_pd);
	LIMIT(a, max_qp_rd_atom);
	LIMIT(a, max_ee_rd_atom);
	LIMIT(a, max_res_rd_atom);
	LIMIT(a, max_qp_init_rd_atom);
	LIMIT(a, max_ee_init_rd_atom);
	field(1, DEV_COL, "atomic_cap", "%s (%d)",
	      atomic_cap_name(a->atomic_cap), a->atomic_cap);
	LIMIT(a, max_ee);
	LIMIT(a, max_rdd);
	LIMIT(a, max_mw);
	LIMIT(a, max_raw_ipv6_qp);
	LIMIT(a, max_raw_ethy_qp);
	LIMIT(a, max_mcast_grp);
	LIMIT(a, max_mcast_qp_attach);
	LIMIT(a, max_total_mcast_qp_attach);
	LIMIT(a, max_ah);
	LIMIT(a, max_fmr);
	if (a->max_fmr)
		LIMIT(a, max_map_per_fmr);
	LIMIT(a, max_srq);
	if (a->max_srq) {
		LIMIT(a, max_srq_wr);
		LIMIT(a, max_srq_sge);
	}
	LIMIT(a, max_pkeys);
	LIMIT(a, local_ca_ack_delay);

	print_odp(attr);
	if (attr->completion_timestamp_mask)
		field(1, 56, "completion timestamp_mask", "0x%016llx",
		      (unsigned long long)attr->completion_timestamp_mask);
	else
		printf("\tcompletion_timestamp_mask not supported\n");
	if (attr->hca_core_clock)
		field(1, DEV_COL, "hca_core_clock", "%llukHZ",
		      (unsigned long long)attr->hca_core_clock);
	else
		printf("\tcore clock not supported\n");
	print_offloads(attr);
	print_tag_matching(&attr->tm_caps);
	if (attr->cq_mod_caps.max_cq_count && attr->cq_mod_caps.max_cq_period) {
		printf("\n\tcq moderation caps:\n");
		field(2, 32, "max_cq_count", "%u",
		      attr->cq_mod_caps.max_cq_count);
		field(2, 32, "max_cq_period", "%u us\n",
		      attr->cq_mod_caps.max_cq_period);
	}
	if (attr->max_dm_size)
		field(1, DEV_COL, "maximum available device memory",
		      "%lluBytes\n", (unsigned long long)attr->max_dm_size);
	field(1, DEV_COL, "num_comp_vectors", "%d", ctx->num_comp_vectors);
}
