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

#define LOOKUP(table, i, unknown)                                        \
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
		[1] = "SLEEP",
		[2] = "POLLING",
		[3] = "DISABLED",
		[4] = "PORT_CONFIGURATION_TRAINING",
		[5] = "LINK_UP",
		[6] = "LINK_ERROR_RECOVERY",
		[7] = "PHY_TEST",
	};

	return LOOKUP(names, phys_state, "UNKNOWN");
}

const char *mtu_name(enum ibv_mtu mtu)
{
	static const char *const names[] = {
		[IBV_MTU_256] = "256",
		[IBV_MTU_512] = "512",
		[IBV_MTU_1024] = "1024",
		[IBV_MTU_2048] = "2048",
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
		[1] = "2.5 Gbps",   [2] = "5.0 Gbps",	[4] = "10.0 Gbps",
		[8] = "10.0 Gbps",  [16] = "14.0 Gbps", [32] = "25.0 Gbps",
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

#define FLAG(prefix, x) { prefix##x, #x }

static const struct flag_name cap_flags[] = {
	FLAG(IBV_DEVICE_, RESIZE_MAX_WR),
	FLAG(IBV_DEVICE_, BAD_PKEY_CNTR),
	FLAG(IBV_DEVICE_, BAD_QKEY_CNTR),
	FLAG(IBV_DEVICE_, RAW_MULTI),
	FLAG(IBV_DEVICE_, AUTO_PATH_MIG),
	FLAG(IBV_DEVICE_, CHANGE_PHY_PORT),
	FLAG(IBV_DEVICE_, UD_AV_PORT_ENFORCE),
	FLAG(IBV_DEVICE_, CURR_QP_STATE_MOD),
	FLAG(IBV_DEVICE_, SHUTDOWN_PORT),
	FLAG(IBV_DEVICE_, INIT_TYPE),
	FLAG(IBV_DEVICE_, PORT_ACTIVE_EVENT),
	FLAG(IBV_DEVICE_, SYS_IMAGE_GUID),
	FLAG(IBV_DEVICE_, RC_RNR_NAK_GEN),
	FLAG(IBV_DEVICE_, SRQ_RESIZE),
	FLAG(IBV_DEVICE_, N_NOTIFY_CQ),
	FLAG(IBV_DEVICE_, MEM_WINDOW),
	FLAG(IBV_DEVICE_, UD_IP_CSUM),
	FLAG(IBV_DEVICE_, XRC),
	FLAG(IBV_DEVICE_, MEM_MGT_EXTENSIONS),
	FLAG(IBV_DEVICE_, MEM_WINDOW_TYPE_2A),
	FLAG(IBV_DEVICE_, MEM_WINDOW_TYPE_2B),
	FLAG(IBV_DEVICE_, RC_IP_CSUM),
	FLAG(IBV_DEVICE_, RAW_IP_CSUM),
	FLAG(IBV_DEVICE_, MANAGED_FLOW_STEERING),
};

static const struct flag_name cap_flags_ex[] = {
	FLAG(IBV_DEVICE_, RAW_SCATTER_FCS),
	FLAG(IBV_DEVICE_, PCI_WRITE_END_PADDING),
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
