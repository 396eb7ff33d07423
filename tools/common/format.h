/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Text forms of GUIDs, GIDs and link rates, shared by the uroce tools. */
#ifndef UROCE_TOOLS_FORMAT_H
#define UROCE_TOOLS_FORMAT_H

#include <arpa/inet.h>
#include <stdint.h>
#include <infiniband/verbs.h>

#define GUID_STR_LEN sizeof("xxxx:xxxx:xxxx:xxxx")
#define GUID_HEX_LEN sizeof("0123456789abcdef")
#define GID_STR_LEN INET6_ADDRSTRLEN
#define RATE_STR_LEN sizeof("4294967.295 Gb/s")

/* "0002:c9ff:fe03:0405", as ibv_devinfo and rdma(8) print GUIDs */
char *format_guid(__be64 guid, char *buf);
/* "0002c9fffe030405", as ibv_devices prints them */
char *format_guid_hex(__be64 guid, char *buf);
/* "::ffff:10.0.0.1", "fe80::1": the GID as the IPv6 address it is */
char *format_gid(const union ibv_gid *gid, char *buf);

/* Lanes of an ibv_port_attr active_width (1X is 1, 4X is 4...); 0: unknown */
uint32_t port_width_lanes(uint8_t width);
/* Mb/s of a port's active_width x active_speed; 0 if either is unknown. */
uint32_t port_rate_mbps(uint8_t active_width, uint8_t active_speed);
/* "10 Gb/s", "2.5 Gb/s" */
char *format_rate(uint32_t mbps, char *buf);

#endif /* UROCE_TOOLS_FORMAT_H */
