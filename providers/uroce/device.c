// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Device discovery: the netdevs of the calling thread's network namespace,
 * found with rtnetlink, filtered and named by the configuration.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"
#include "util/rtnl.h"
#include "providers/uroce/caps.h"
#include "providers/uroce/device.h"
#include "providers/uroce/gid.h"
#include "providers/uroce/uroce.h"

int uroce_netns_id(int fd, dev_t *dev, ino_t *ino)
{
	struct stat st;

	if (fstat(fd, &st))
		return errno;
	*dev = st.st_dev;
	*ino = st.st_ino;
	return 0;
}

static void netns_id_now(dev_t *dev, ino_t *ino)
{
	int fd;

	*dev = 0;
	*ino = 0;
	fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	uroce_netns_id(fd, dev, ino);
	close(fd);
}

/*
 * EUI-64 from a MAC: flip the universal/local bit and put ff:fe in the
 * middle. A netdev without a MAC (lo, tun, ipip) gets the EUI-64 of the
 * locally administered 02:75:72:<ifindex> ("ur"): stable for the netdev's
 * lifetime and never zero. lo is ifindex 1 in every namespace, so all the
 * uroce_lo devices share a GUID; they never meet on a wire.
 */
static __be64 node_guid(const struct rtnl_link *link)
{
	static const uint8_t zero[6];
	uint8_t mac[6], g[8];
	__be64 guid;

	if (link->addr_len == 6 && memcmp(link->addr, zero, 6)) {
		memcpy(mac, link->addr, 6);
	} else {
		mac[0] = 0x02;
		mac[1] = 'u';
		mac[2] = 'r';
		mac[3] = (uint8_t)(link->ifindex >> 16);
		mac[4] = (uint8_t)(link->ifindex >> 8);
		mac[5] = (uint8_t)link->ifindex;
	}
	uroce_eui64(mac, g);
	memcpy(&guid, g, sizeof(guid));
	return guid;
}

static struct uroce_device *device_new(const struct uroce_conf *conf,
				       const char *name,
				       const struct rtnl_link *first,
				       dev_t ns_dev, ino_t ns_ino)
{
	struct uroce_device *dev;
	struct ibv_device *ib;

	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return NULL;
	ib = &dev->vdev.device;
	ib->node_type = IBV_NODE_CA;
	ib->transport_type = IBV_TRANSPORT_IB;
	snprintf(ib->name, sizeof(ib->name), "%s", name);
	/*
	 * uverbsN with N the ifindex of the (first) netdev: stable while the
	 * netdev lives and unique in its namespace. The sysfs interposer
	 * (preload/) serves these paths under uroce run.
	 */
	snprintf(ib->dev_name, sizeof(ib->dev_name), "uverbs%d",
		 first->ifindex);
	snprintf(ib->dev_path, sizeof(ib->dev_path),
		 "/sys/class/infiniband_verbs/uverbs%d", first->ifindex);
	snprintf(ib->ibdev_path, sizeof(ib->ibdev_path),
		 "/sys/class/infiniband/%.63s", name);
	dev->vdev.node_guid = node_guid(first);
	/* A LAG's first member is no device of its own: the index is free. */
	dev->vdev.index = first->ifindex;
	dev->netns_dev = ns_dev;
	dev->netns_ino = ns_ino;
	dev->limits = conf->limits;
	dev->wire_roce = uroce_conf_wire_roce(conf, name, first->name);
	/* One steering tag's QPs, on the context's one socket (sock.c). */
	if (dev->wire_roce && dev->limits.qp > UROCE_ROCE_MAX_QP)
		dev->limits.qp = UROCE_ROCE_MAX_QP;
	return dev;
}

static void device_add_member(struct uroce_device *dev,
			      const struct rtnl_link *link)
{
	struct uroce_member *m = &dev->members[dev->nmembers++];

	m->ifindex = link->ifindex;
	snprintf(m->ifname, sizeof(m->ifname), "%s", link->name);
}

static bool has_addr(const struct rtnl_addr *addrs, size_t n, int ifindex)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (addrs[i].ifindex == ifindex)
			return true;
	return false;
}

static const struct rtnl_link *link_by_name(const struct rtnl_link *links,
					    size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(links[i].name, name))
			return &links[i];
	return NULL;
}

static bool name_taken(struct verbs_device **devs, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(devs[i]->device.name, name))
			return true;
	return false;
}

static struct uroce_device *lag_device(const struct uroce_conf *conf,
				       const struct uroce_lag *lag,
				       const struct rtnl_link *links,
				       size_t nlinks, dev_t ns_dev,
				       ino_t ns_ino)
{
	const struct rtnl_link *members[UROCE_LAG_MAX_MEMBERS];
	struct uroce_device *dev;
	unsigned int i;

	if (!lag->nmembers)
		return NULL;
	for (i = 0; i < lag->nmembers; i++) {
		members[i] = link_by_name(links, nlinks, lag->members[i]);
		if (!members[i]) {
			uroce_info("%s: member %s does not exist, no device",
				   lag->name, lag->members[i]);
			return NULL;
		}
	}
	dev = device_new(conf, lag->name, members[0], ns_dev, ns_ino);
	if (!dev)
		return NULL;
	dev->lag = true;
	for (i = 0; i < lag->nmembers; i++)
		device_add_member(dev, members[i]);
	return dev;
}

int uroce_list_devices(struct verbs_device ***list)
{
	struct rtnl_snapshot s = { 0 };
	struct verbs_device **devs = NULL;
	char name[UROCE_DEV_NAME_MAX];
	struct uroce_device *dev;
	struct uroce_conf conf;
	size_t i;
	dev_t ns_dev;
	ino_t ns_ino;
	int ret, n = 0;

	ret = uroce_conf_load(&conf);
	if (ret)
		return ret;
	ret = rtnl_snapshot_at(-1, &s);
	if (ret)
		goto out;
	netns_id_now(&ns_dev, &ns_ino);

	devs = calloc(s.nlinks + conf.nlags + 1, sizeof(*devs));
	if (!devs) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < s.nlinks; i++) {
		const struct rtnl_link *l = &s.links[i];

		if (!(l->flags & IFF_UP) ||
		    !has_addr(s.addrs, s.naddrs, l->ifindex) ||
		    !uroce_conf_netdev_device(&conf, l->name,
					      l->flags & IFF_LOOPBACK, name,
					      sizeof(name)))
			continue;
		if (name_taken(devs, n, name)) {
			uroce_warn("%s: device name %s already taken, skipped",
				   l->name, name);
			continue;
		}
		dev = device_new(&conf, name, l, ns_dev, ns_ino);
		if (!dev) {
			ret = -ENOMEM;
			goto out;
		}
		device_add_member(dev, l);
		devs[n++] = &dev->vdev;
	}
	for (i = 0; i < conf.nlags; i++) {
		if (name_taken(devs, n, conf.lags[i].name)) {
			uroce_warn("LAG device name %s already taken, skipped",
				   conf.lags[i].name);
			continue;
		}
		dev = lag_device(&conf, &conf.lags[i], s.links, s.nlinks,
				 ns_dev, ns_ino);
		if (dev)
			devs[n++] = &dev->vdev;
	}
	*list = devs;
	devs = NULL;
	ret = n;
out:
	if (devs) {
		while (n--)
			free(devs[n]);
		free(devs);
	}
	rtnl_snapshot_free(&s);
	uroce_conf_free(&conf);
	return ret;
}

void uroce_free_device(struct verbs_device *vdev)
{
	free(to_udev(&vdev->device));
}
