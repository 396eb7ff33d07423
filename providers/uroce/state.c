// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The port state of a device, read with rtnetlink in the calling thread's
 * namespace: by alloc_context for the first snapshot and by the monitor
 * thread, which lives in the context's namespace, for the later ones.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <net/if_arp.h>

#include "util/rtnl.h"
#include "providers/uroce/ethtool.h"
#include "providers/uroce/state.h"
#include "providers/uroce/uroce.h"

/*
 * The netdev that serves the port: the first running member, else the
 * first one that exists. A plain device has one member.
 */
static const struct rtnl_link *serving_link(const struct uroce_device *dev,
					    const struct rtnl_snapshot *s)
{
	const struct rtnl_link *first = NULL, *l;
	unsigned int i;

	for (i = 0; i < dev->nmembers; i++) {
		l = rtnl_snapshot_link(s, dev->members[i].ifindex);
		if (!l)
			continue;
		if (rtnl_link_running(l))
			return l;
		if (!first)
			first = l;
	}
	return first;
}

/* Which members run, and the sum of their speeds (a LAG's speed). */
/* An Ethernet netdev's MAC, for the default GID; NULL for lo, tun... */
static const uint8_t *ether_mac(const struct rtnl_link *link)
{
	static const uint8_t zero[6];

	if (link->type != ARPHRD_ETHER || link->addr_len != 6 ||
	    !memcmp(link->addr, zero, 6))
		return NULL;
	return link->addr;
}

static uint32_t members_running(const struct uroce_device *dev,
				const struct rtnl_snapshot *s,
				uint32_t *speed_mbps)
{
	const struct rtnl_link *l;
	uint32_t mask = 0;
	unsigned int i;

	*speed_mbps = 0;
	for (i = 0; i < dev->nmembers; i++) {
		l = rtnl_snapshot_link(s, dev->members[i].ifindex);
		if (!l || !rtnl_link_running(l))
			continue;
		mask |= 1u << i;
		*speed_mbps += uroce_netdev_speed(l->name);
	}
	return mask;
}

int uroce_state_read(const struct uroce_device *dev,
		     struct uroce_port_state *st)
{
	uint32_t sum;
	const struct rtnl_link *link;
	struct rtnl_snapshot s;
	int ret;

	ret = rtnl_snapshot_at(-1, &s);
	if (ret)
		return ret;

	memset(st, 0, sizeof(*st));
	link = serving_link(dev, &s);
	if (!link) {
		st->active_mtu = IBV_MTU_256;
		st->active_width = 1;
		st->active_speed = 1;
		goto out;
	}
	st->present = true;
	st->running = rtnl_link_running(link);
	st->ifindex = link->ifindex;
	st->mtu = link->mtu;
	st->active_mtu = uroce_active_mtu(link->mtu);
	st->members_running = members_running(dev, &s, &sum);
	st->speed_mbps = dev->lag && sum ? sum : uroce_netdev_speed(link->name);
	uroce_speed_to_ib(st->speed_mbps, &st->active_width, &st->active_speed);
	st->ngids = uroce_gid_table(s.addrs, s.naddrs, link->ifindex,
				    dev->wire_roce, ether_mac(link), st->gids,
				    UROCE_GID_TBL_LEN);
out:
	rtnl_snapshot_free(&s);
	return ret;
}
