/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The RoCE v2 GID table of a netdev, computed from its addresses. */
#ifndef UROCE_GID_H
#define UROCE_GID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <infiniband/verbs.h>

#include "util/rtnl.h"

#define UROCE_GID_TBL_LEN 32

struct uroce_gid {
	union ibv_gid gid; /* IPv6, or IPv4-mapped ::ffff:a.b.c.d */
	int family; /* AF_INET or AF_INET6 */
	int ifindex; /* the netdev that carries the address */
};

/*
 * Fills @tbl (room for @len entries) with the GIDs of netdev @ifindex from
 * the address dump @addrs, and returns how many it filled. All are RoCE
 * v2. Order: the primary IPv4 address, the other IPv4 addresses, the
 * IPv6 addresses that are not link-local, then the link-local ones; so
 * index 0 is the primary IPv4 address or, without IPv4, a global IPv6,
 * or a link-local one. Tentative and DAD-failed addresses are left out;
 * duplicates appear once. Within a class the kernel's order is kept.
 * @link_first ("wire roce" devices): the link-local addresses come first,
 * where a kernel RoCE device has its default GID, so that "-g 0" at both
 * ends pairs uroce with such a device. With @mac (an Ethernet netdev's
 * 6-byte address) index 0 is that default GID, fe80:: with the MAC's
 * EUI-64, as the kernel lists it from the start, whatever the state of
 * the netdev's IPv6 addresses: the indexes after it do not move when the
 * link-local address ends its duplicate address detection.
 */
unsigned int uroce_gid_table(const struct rtnl_addr *addrs, size_t naddrs,
			     int ifindex, bool link_first, const uint8_t *mac,
			     struct uroce_gid *tbl, unsigned int len);

/* The modified EUI-64 of a 6-byte MAC into @eui (RFC 4291, appendix A). */
void uroce_eui64(const uint8_t *mac, uint8_t *eui);

#endif /* UROCE_GID_H */
