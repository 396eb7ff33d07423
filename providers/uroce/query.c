// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* ibv_query_device(_ex): the device's attributes and limits (caps.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "providers/uroce/caps.h"
#include "providers/uroce/query.h"
#include "providers/uroce/uroce.h"

/*
 * Only what uroce does: RNR NAKs, port events, a system image GUID, UD
 * address vectors bound to the port, memory windows of types 1 and 2B and
 * the memory management extensions userspace can use (LOCAL_INV, SEND
 * with Invalidate), as rxe reports them. SRQs are not resizable (srq.c).
 */
#define UROCE_DEVICE_CAP_FLAGS                                          \
	(IBV_DEVICE_RC_RNR_NAK_GEN | IBV_DEVICE_SYS_IMAGE_GUID |        \
	 IBV_DEVICE_PORT_ACTIVE_EVENT | IBV_DEVICE_UD_AV_PORT_ENFORCE | \
	 IBV_DEVICE_MEM_WINDOW | IBV_DEVICE_MEM_WINDOW_TYPE_2B |        \
	 IBV_DEVICE_MEM_MGT_EXTENSIONS)

/* The kernel's IB_UVERBS_DEVICE_ATOMIC_WRITE (rdma-core 44 has no name). */
#define DEVICE_ATOMIC_WRITE (1ULL << 40)

#define ODP_UD_CAPS (IBV_ODP_SUPPORT_SEND | IBV_ODP_SUPPORT_RECV)
#define ODP_UC_CAPS \
	(ODP_UD_CAPS | IBV_ODP_SUPPORT_WRITE | IBV_ODP_SUPPORT_SRQ_RECV)
#define ODP_RC_CAPS \
	(ODP_UC_CAPS | IBV_ODP_SUPPORT_READ | IBV_ODP_SUPPORT_ATOMIC)

static void fill_attr(const struct uroce_device *dev, struct ibv_device_attr *a)
{
	snprintf(a->fw_ver, sizeof(a->fw_ver), "%s", UROCE_PROVIDER_VERSION);
	a->node_guid = dev->vdev.node_guid;
	a->sys_image_guid = dev->vdev.node_guid;
	a->max_mr_size = UINT64_MAX;
	a->page_size_cap = UROCE_PAGE_SIZE_CAP;
	a->vendor_id = UROCE_VENDOR_ID;
	a->vendor_part_id = UROCE_VENDOR_PART_ID;
	a->hw_ver = UROCE_HW_VER;
	a->max_qp = dev->limits.qp;
	a->max_qp_wr = UROCE_MAX_QP_WR;
	a->device_cap_flags = UROCE_DEVICE_CAP_FLAGS;
	a->max_sge = UROCE_MAX_SGE;
	a->max_sge_rd = UROCE_MAX_SGE_RD;
	a->max_cq = dev->limits.cq;
	a->max_cqe = UROCE_MAX_CQE;
	a->max_mr = dev->limits.mr;
	a->max_pd = dev->limits.pd;
	a->max_mw = dev->limits.mw;
	a->max_qp_rd_atom = UROCE_MAX_QP_RD_ATOM;
	a->max_res_rd_atom = UROCE_MAX_RES_RD_ATOM;
	a->max_qp_init_rd_atom = UROCE_MAX_QP_INIT_RD_ATOM;
	a->atomic_cap = IBV_ATOMIC_HCA;
	a->max_mcast_grp = dev->wire_roce ? UROCE_ROCE_MAX_MCAST_GRP :
					    UROCE_MAX_MCAST_GRP;
	a->max_mcast_qp_attach = UROCE_MAX_MCAST_QP_ATTACH;
	a->max_total_mcast_qp_attach = UROCE_MAX_TOTAL_MCAST_QP_ATTACH;
	a->max_ah = dev->limits.ah;
	a->max_srq = dev->limits.srq;
	a->max_srq_wr = UROCE_MAX_SRQ_WR;
	a->max_srq_sge = UROCE_MAX_SRQ_SGE;
	a->max_pkeys = UROCE_MAX_PKEYS;
	a->local_ca_ack_delay = UROCE_LOCAL_CA_ACK_DELAY;
	a->phys_port_cnt = 1;
}

int uroce_query_device_ex(struct ibv_context *ibctx,
			  const struct ibv_query_device_ex_input *input,
			  struct ibv_device_attr_ex *attr, size_t attr_size)
{
	struct uroce_context *ctx = to_uctx(ibctx);
	struct ibv_device_attr_ex a;

	if ((input && input->comp_mask) || !attr ||
	    attr_size < sizeof(attr->orig_attr))
		return EINVAL;

	memset(&a, 0, sizeof(a));
	fill_attr(ctx->dev, &a.orig_attr);
	a.device_cap_flags_ex = UROCE_DEVICE_CAP_FLAGS | DEVICE_ATOMIC_WRITE;
	a.phys_port_cnt_ex = 1;
	/*
	 * Nothing is pinned: every MR is on demand, implicit ODP included
	 * (mr.c), for every operation of every transport (no XRC). Copies
	 * from and to ODP memory fail cleanly when it is unmapped (mem.c).
	 */
	a.odp_caps.general_caps = IBV_ODP_SUPPORT | IBV_ODP_SUPPORT_IMPLICIT;
	a.odp_caps.per_transport_caps.rc_odp_caps = ODP_RC_CAPS;
	a.odp_caps.per_transport_caps.uc_odp_caps = ODP_UC_CAPS;
	a.odp_caps.per_transport_caps.ud_odp_caps = ODP_UD_CAPS;
	/*
	 * Completion timestamps: CLOCK_MONOTONIC in ns, a 64-bit counter at
	 * 1 GHz (cq_ex.c). No TSO, RSS, tag matching or DM: all zero.
	 */
	a.completion_timestamp_mask = UINT64_MAX;
	a.hca_core_clock = 1000000; /* kHz */

	/* Never write past attr_size; zero what a newer caller added. */
	if (attr_size > sizeof(a)) {
		memset((char *)attr + sizeof(a), 0, attr_size - sizeof(a));
		attr_size = sizeof(a);
	}
	memcpy(attr, &a, attr_size);
	return 0;
}
