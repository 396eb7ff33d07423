// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Names of verbs enum values; see names.h. */
#include "tools/common/names.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A sparse table lookup: NULL slots and values past the end are unknown. */
static const char *lookup(const char *const *table, size_t n, long i,
			  const char *unknown)
{
	if (i < 0 || (size_t)i >= n || !table[i])
		return unknown;
	return table[i];
}

#define LOOKUP(table, i, unknown) \
	lookup(table, ARRAY_SIZE(table), (long)(i), unknown)

const char *transport_name(enum ibv_transport_type transport)
{
	static const char *const names[] = {
		[IBV_TRANSPORT_IB] = "InfiniBand",
		[IBV_TRANSPORT_IWARP] = "iWARP",
		[IBV_TRANSPORT_USNIC] = "usNIC",
		[IBV_TRANSPORT_USNIC_UDP] = "usNIC UDP",
		[IBV_TRANSPORT_UNSPECIFIED] = "unspecified",
	};

	return LOOKUP(names, transport, "invalid transport");
}

const char *node_type_name(enum ibv_node_type type)
{
	static const char *const names[] = {
		[IBV_NODE_CA] = "ca",
		[IBV_NODE_SWITCH] = "switch",
		[IBV_NODE_ROUTER] = "router",
		[IBV_NODE_RNIC] = "rnic",
		[IBV_NODE_USNIC] = "usnic",
		[IBV_NODE_USNIC_UDP] = "usnic_udp",
		[IBV_NODE_UNSPECIFIED] = "unspecified",
	};

	return LOOKUP(names, type, "unknown");
}

const char *port_state_name(enum ibv_port_state state)
{
	static const char *const names[] = {
		[IBV_PORT_NOP] = "NOP",
		[IBV_PORT_DOWN] = "DOWN",
		[IBV_PORT_INIT] = "INIT",
		[IBV_PORT_ARMED] = "ARMED",
		[IBV_PORT_ACTIVE] = "ACTIVE",
		[IBV_PORT_ACTIVE_DEFER] = "ACTIVE_DEFER",
	};

	return LOOKUP(names, state, "UNKNOWN");
}

/* The PortPhysicalState values of the IBTA spec (PortInfo). */
const char *phys_state_name(uint8_t phys_state)
{
	static const char *const names[] = {
		[1] = "SLEEP",	  [2] = "POLLING",
		[3] = "DISABLED", [4] = "PORT_CONFIGURATION_TRAINING",
		[5] = "LINK_UP",  [6] = "LINK_ERROR_RECOVERY",
		[7] = "PHY_TEST",
	};

	return LOOKUP(names, phys_state, "UNKNOWN");
}

const char *mtu_name(enum ibv_mtu mtu)
{
	static const char *const names[] = {
		[IBV_MTU_256] = "256",	 [IBV_MTU_512] = "512",
		[IBV_MTU_1024] = "1024", [IBV_MTU_2048] = "2048",
		[IBV_MTU_4096] = "4096",
	};

	return LOOKUP(names, mtu, "invalid MTU");
}

unsigned int mtu_bytes(enum ibv_mtu mtu)
{
	if (mtu < IBV_MTU_256 || mtu > IBV_MTU_4096)
		return 0;
	return 128u << mtu;
}

const char *width_name(uint8_t width)
{
	static const char *const names[] = {
		[1] = "1", [2] = "4", [4] = "8", [8] = "12", [16] = "2",
	};

	return LOOKUP(names, width, "invalid width");
}

const char *lane_speed_name(uint8_t speed)
{
	static const char *const names[] = {
		[1] = "2.5 Gbps",   [2] = "5.0 Gbps",	  [4] = "10.0 Gbps",
		[8] = "10.0 Gbps",  [16] = "14.0 Gbps",	  [32] = "25.0 Gbps",
		[64] = "50.0 Gbps", [128] = "100.0 Gbps",
	};

	return LOOKUP(names, speed, "invalid speed");
}

const char *link_layer_name(uint8_t link_layer)
{
	static const char *const names[] = {
		[IBV_LINK_LAYER_UNSPECIFIED] = "Unspecified",
		[IBV_LINK_LAYER_INFINIBAND] = "InfiniBand",
		[IBV_LINK_LAYER_ETHERNET] = "Ethernet",
	};

	return LOOKUP(names, link_layer, "Unknown");
}

const char *gid_type_name(uint32_t gid_type)
{
	static const char *const names[] = {
		[IBV_GID_TYPE_IB] = "IB",
		[IBV_GID_TYPE_ROCE_V1] = "RoCE v1",
		[IBV_GID_TYPE_ROCE_V2] = "RoCE v2",
	};

	return LOOKUP(names, gid_type, "Invalid gid type");
}

const char *atomic_cap_name(enum ibv_atomic_cap cap)
{
	static const char *const names[] = {
		[IBV_ATOMIC_NONE] = "ATOMIC_NONE",
		[IBV_ATOMIC_HCA] = "ATOMIC_HCA",
		[IBV_ATOMIC_GLOB] = "ATOMIC_GLOB",
	};

	return LOOKUP(names, cap, "invalid atomic capability");
}

struct flag_name {
	uint64_t bit;
	const char *name;
};

static const struct flag_name cap_flags[] = {
	{ IBV_DEVICE_RESIZE_MAX_WR, "RESIZE_MAX_WR" },
	{ IBV_DEVICE_BAD_PKEY_CNTR, "BAD_PKEY_CNTR" },
	{ IBV_DEVICE_BAD_QKEY_CNTR, "BAD_QKEY_CNTR" },
	{ IBV_DEVICE_RAW_MULTI, "RAW_MULTI" },
	{ IBV_DEVICE_AUTO_PATH_MIG, "AUTO_PATH_MIG" },
	{ IBV_DEVICE_CHANGE_PHY_PORT, "CHANGE_PHY_PORT" },
	{ IBV_DEVICE_UD_AV_PORT_ENFORCE, "UD_AV_PORT_ENFORCE" },
	{ IBV_DEVICE_CURR_QP_STATE_MOD, "CURR_QP_STATE_MOD" },
	{ IBV_DEVICE_SHUTDOWN_PORT, "SHUTDOWN_PORT" },
	{ IBV_DEVICE_INIT_TYPE, "INIT_TYPE" },
	{ IBV_DEVICE_PORT_ACTIVE_EVENT, "PORT_ACTIVE_EVENT" },
	{ IBV_DEVICE_SYS_IMAGE_GUID, "SYS_IMAGE_GUID" },
	{ IBV_DEVICE_RC_RNR_NAK_GEN, "RC_RNR_NAK_GEN" },
	{ IBV_DEVICE_SRQ_RESIZE, "SRQ_RESIZE" },
	{ IBV_DEVICE_N_NOTIFY_CQ, "N_NOTIFY_CQ" },
	{ IBV_DEVICE_MEM_WINDOW, "MEM_WINDOW" },
	{ IBV_DEVICE_UD_IP_CSUM, "UD_IP_CSUM" },
	{ IBV_DEVICE_XRC, "XRC" },
	{ IBV_DEVICE_MEM_MGT_EXTENSIONS, "MEM_MGT_EXTENSIONS" },
	{ IBV_DEVICE_MEM_WINDOW_TYPE_2A, "MEM_WINDOW_TYPE_2A" },
	{ IBV_DEVICE_MEM_WINDOW_TYPE_2B, "MEM_WINDOW_TYPE_2B" },
	{ IBV_DEVICE_RC_IP_CSUM, "RC_IP_CSUM" },
	{ IBV_DEVICE_RAW_IP_CSUM, "RAW_IP_CSUM" },
	{ IBV_DEVICE_MANAGED_FLOW_STEERING, "MANAGED_FLOW_STEERING" },
};

static const struct flag_name cap_flags_ex[] = {
	{ IBV_DEVICE_RAW_SCATTER_FCS, "RAW_SCATTER_FCS" },
	{ IBV_DEVICE_PCI_WRITE_END_PADDING, "PCI_WRITE_END_PADDING" },
};

void for_each_cap_flag(uint64_t flags, int ex,
		       void (*fn)(const char *name, uint64_t bits, void *arg),
		       void *arg)
{
	const struct flag_name *t = ex ? cap_flags_ex : cap_flags;
	size_t i, n = ex ? ARRAY_SIZE(cap_flags_ex) : ARRAY_SIZE(cap_flags);

	/* The low word of device_cap_flags_ex repeats device_cap_flags. */
	flags &= ex ? ~0xffffffffULL : 0xffffffffULL;
	for (i = 0; i < n; i++) {
		if (flags & t[i].bit)
			fn(t[i].name, t[i].bit, arg);
		flags &= ~t[i].bit;
	}
	if (flags)
		fn(NULL, flags, arg);
}
