// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The port state of a device, read with rtnetlink in the calling thread's
 * namespace: by alloc_context for the first snapshot and by the monitor
 * thread, which lives in the context's namespace, for the later ones.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/rtnl.h"
#include "providers/uroce/uroce.h"

static const struct rtnl_link *find_link(const struct rtnl_link *links,
					 size_t n, int ifindex)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (links[i].ifindex == ifindex)
			return &links[i];
	return NULL;
}

/*
 * The netdev that serves the port: the first running member, else the
 * first one that exists. A plain device has one member.
 */
static const struct rtnl_link *serving_link(const struct uroce_device *dev,
					    const struct rtnl_link *links,
					    size_t n)
{
	const struct rtnl_link *first = NULL, *l;
	unsigned int i;

	for (i = 0; i < dev->nmembers; i++) {
		l = find_link(links, n, dev->members[i].ifindex);
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
static uint32_t members_running(const struct uroce_device *dev,
				const struct rtnl_link *links, size_t n,
				uint32_t *speed_mbps)
{
	const struct rtnl_link *l;
	uint32_t mask = 0;
	unsigned int i;

	*speed_mbps = 0;
	for (i = 0; i < dev->nmembers; i++) {
		l = find_link(links, n, dev->members[i].ifindex);
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
	struct rtnl_link *links = NULL;
	struct rtnl_addr *addrs = NULL;
	size_t nlinks, naddrs;
	int ret;

	ret = rtnl_dump_links(&links, &nlinks);
	if (ret)
		goto out;
	ret = rtnl_dump_addrs(&addrs, &naddrs);
	if (ret)
		goto out;

	memset(st, 0, sizeof(*st));
	link = serving_link(dev, links, nlinks);
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
	st->members_running = members_running(dev, links, nlinks, &sum);
	st->speed_mbps = dev->lag && sum ? sum : uroce_netdev_speed(link->name);
	uroce_speed_to_ib(st->speed_mbps, &st->active_width, &st->active_speed);
	st->ngids = uroce_gid_table(addrs, naddrs, link->ifindex, st->gids,
				    UROCE_GID_TBL_LEN);
out:
	free(links);
	free(addrs);
	return ret;
}
