/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Names of verbs enum values as the uroce tools print them. One table per
 * enum, shared by uroce_devinfo and uroce, so that both tools always agree.
 */
#ifndef UROCE_TOOLS_NAMES_H
#define UROCE_TOOLS_NAMES_H

#include <stdint.h>
#include <infiniband/verbs.h>

/* "InfiniBand", "iWARP", ... as ibv_devinfo prints transport. */
const char *transport_name(enum ibv_transport_type transport);
/* "ca", "switch", ... as rdma(8) prints node_type. */
const char *node_type_name(enum ibv_node_type type);
/* "DOWN", "ACTIVE", ...: ibv_devinfo prefixes them with "PORT_". */
const char *port_state_name(enum ibv_port_state state);
/* "POLLING", "LINK_UP", ... */
const char *phys_state_name(uint8_t phys_state);
/* "1024", or "invalid MTU" */
const char *mtu_name(enum ibv_mtu mtu);
/* The MTU in bytes, 0 if invalid. */
unsigned int mtu_bytes(enum ibv_mtu mtu);
/* Lanes of an active_width: "1", "4", ... ("invalid width") */
const char *width_name(uint8_t width);
/* Per-lane rate of an active_speed: "2.5 Gbps", ... ("invalid speed") */
const char *lane_speed_name(uint8_t speed);
/* "Ethernet", "InfiniBand", ... */
const char *link_layer_name(uint8_t link_layer);
/* "RoCE v2", "IB/RoCE v1", ... for an ibv_gid_entry's gid_type */
const char *gid_type_name(uint32_t gid_type);
const char *atomic_cap_name(enum ibv_atomic_cap cap);

/*
 * Calls fn once per set bit of device_cap_flags (or, with ex, of the bits
 * above 31 of device_cap_flags_ex), with its name, or with NULL and the
 * bits nobody named.
 */
void for_each_cap_flag(uint64_t flags, int ex,
		       void (*fn)(const char *name, uint64_t bits, void *arg),
		       void *arg);

#endif /* UROCE_TOOLS_NAMES_H */
