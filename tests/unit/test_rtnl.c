// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * util/rtnl.c against the kernel: the current namespace, then (when the
 * process may create one) a private namespace where links can be made and
 * changed without touching the host.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if_arp.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/rtnl.h"

#include "tests/lib/check.h"

static const struct rtnl_link *find_link(const struct rtnl_link *links,
					 size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(links[i].name, name))
			return &links[i];
	return NULL;
}

static const struct rtnl_addr *find_addr(const struct rtnl_addr *addrs,
					 size_t n, int family, const char *text,
					 int ifindex)
{
	uint8_t want[16];
	size_t i;

	REQUIRE(inet_pton(family, text, want) == 1);
	for (i = 0; i < n; i++)
		if (addrs[i].family == family && addrs[i].ifindex == ifindex &&
		    !memcmp(addrs[i].addr, want, family == AF_INET ? 4 : 16))
			return &addrs[i];
	return NULL;
}

static void test_current_ns(void)
{
	struct rtnl_link *links, link;
	struct rtnl_addr *addrs;
	const struct rtnl_link *lo;
	size_t nlinks, naddrs, i, j;
	int fd, fl;

	REQUIRE(rtnl_dump_links(&links, &nlinks) == 0);
	REQUIRE(nlinks >= 1);
	for (i = 0; i < nlinks; i++) {
		REQUIRE(links[i].ifindex > 0);
		REQUIRE(links[i].name[0]);
		for (j = 0; j < i; j++)
			REQUIRE(links[i].ifindex != links[j].ifindex);
	}
	lo = find_link(links, nlinks, "lo");
	REQUIRE(lo);
	REQUIRE(lo->ifindex == 1);
	REQUIRE(lo->flags & IFF_LOOPBACK);
	REQUIRE(lo->type == ARPHRD_LOOPBACK);
	REQUIRE(lo->mtu > 0);
	REQUIRE(lo->addr_len == 6);
	REQUIRE(lo->master == 0);
	printf("links: %zu, lo mtu %u %s\n", nlinks, lo->mtu,
	       rtnl_link_running(lo) ? "running" : "down");

	REQUIRE(rtnl_get_link(1, &link) == 0);
	REQUIRE(link.ifindex == 1);
	REQUIRE(!strcmp(link.name, "lo"));
	REQUIRE(link.flags == lo->flags);
	REQUIRE(link.mtu == lo->mtu);
	REQUIRE(rtnl_get_link_by_name("lo", &link) == 0);
	REQUIRE(link.ifindex == 1);

	REQUIRE(rtnl_dump_addrs(&addrs, &naddrs) == 0);
	for (i = 0; i < naddrs; i++) {
		REQUIRE(addrs[i].family == AF_INET ||
			addrs[i].family == AF_INET6);
		REQUIRE(addrs[i].prefixlen <=
			(addrs[i].family == AF_INET ? 32 : 128));
		/* every address belongs to a link of the dump */
		for (j = 0; j < nlinks; j++)
			if (links[j].ifindex == addrs[i].ifindex)
				break;
		REQUIRE(j < nlinks);
	}
	printf("addrs: %zu\n", naddrs);
	/* A fresh namespace's lo is down and has no address yet. */
	if (lo->flags & IFF_UP)
		REQUIRE(find_addr(addrs, naddrs, AF_INET, "127.0.0.1", 1));
	else
		printf("lo is down: 127.0.0.1 check skipped\n");
	free(addrs);
	free(links);

	REQUIRE(rtnl_get_link(999999, &link) == -ENODEV);
	REQUIRE(rtnl_get_link(0, &link) == -ENODEV);
	REQUIRE(rtnl_get_link(-1, &link) == -ENODEV);
	REQUIRE(rtnl_get_link_by_name("uroce-nonexist", &link) == -ENODEV);
	REQUIRE(rtnl_get_link_by_name("", &link) == -ENODEV);
	REQUIRE(rtnl_get_link_by_name("a-name-far-too-long-for-ifnamsiz",
				      &link) == -ENODEV);

	fd = rtnl_monitor_open();
	REQUIRE(fd >= 0);
	fl = fcntl(fd, F_GETFL);
	REQUIRE(fl >= 0 && (fl & O_NONBLOCK));
	fl = fcntl(fd, F_GETFD);
	REQUIRE(fl >= 0 && (fl & FD_CLOEXEC));
	REQUIRE(rtnl_monitor_drain(fd) >= 0);
	close(fd);
	REQUIRE(rtnl_monitor_drain(fd) == -EBADF);
}

static int write_file(const char *path, const char *text)
{
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		ret = -errno;
	close(fd);
	return ret;
}

/* A private network namespace, as root or through a user namespace. */
static bool enter_private_netns(void)
{
	char map[64];
	uid_t uid = getuid();
	gid_t gid = getgid();

	if (!unshare(CLONE_NEWNET))
		return true;
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET))
		return false;
	/* Map ourselves to root so that ip(8) keeps its capabilities. */
	write_file("/proc/self/setgroups", "deny");
	snprintf(map, sizeof(map), "0 %u 1", (unsigned int)uid);
	if (write_file("/proc/self/uid_map", map))
		return false;
	snprintf(map, sizeof(map), "0 %u 1", (unsigned int)gid);
	return !write_file("/proc/self/gid_map", map);
}

static void set_lo_up(void)
{
	struct ifreq ifr;
	int s;

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	REQUIRE(s >= 0);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	REQUIRE(ioctl(s, SIOCGIFFLAGS, &ifr) == 0);
	ifr.ifr_flags |= IFF_UP;
	REQUIRE(ioctl(s, SIOCSIFFLAGS, &ifr) == 0);
	close(s);
}

/* Enough links that a dump spans many datagrams. */
#define NPAIRS 150

static bool make_links(void)
{
	FILE *ip;
	int i;

	ip = popen("ip -batch - >/dev/null 2>&1", "w");
	if (!ip)
		return false;
	for (i = 0; i < NPAIRS; i++)
		fprintf(ip, "link add va%d type veth peer name vb%d\n", i, i);
	fprintf(ip, "link add br0 type bridge\n");
	fprintf(ip, "link set va0 master br0\n");
	fprintf(ip, "link set va1 mtu 9000\n");
	return pclose(ip) == 0;
}

static void test_private_ns(void)
{
	struct rtnl_link *links, link;
	struct rtnl_addr *addrs;
	const struct rtnl_addr *a;
	const struct rtnl_link *va0, *va1, *br0;
	struct pollfd pfd;
	size_t nlinks, naddrs;
	int fd;

	if (!enter_private_netns()) {
		printf("no private network namespace: skipped\n");
		return;
	}

	/* Only lo, down, without addresses: nothing leaks from the host. */
	REQUIRE(rtnl_dump_links(&links, &nlinks) == 0);
	REQUIRE(nlinks == 1);
	REQUIRE(links[0].ifindex == 1 && !strcmp(links[0].name, "lo"));
	REQUIRE(!rtnl_link_running(&links[0]));
	free(links);
	REQUIRE(rtnl_dump_addrs(&addrs, &naddrs) == 0);
	REQUIRE(naddrs == 0);
	free(addrs);

	fd = rtnl_monitor_open();
	REQUIRE(fd >= 0);
	REQUIRE(rtnl_monitor_drain(fd) == 0);
	set_lo_up();
	pfd.fd = fd;
	pfd.events = POLLIN;
	REQUIRE(poll(&pfd, 1, 2000) == 1);
	REQUIRE(rtnl_monitor_drain(fd) > 0);
	REQUIRE(rtnl_monitor_drain(fd) == 0);

	REQUIRE(rtnl_get_link(1, &link) == 0);
	REQUIRE(rtnl_link_running(&link));
	REQUIRE(rtnl_dump_addrs(&addrs, &naddrs) == 0);
	a = find_addr(addrs, naddrs, AF_INET, "127.0.0.1", 1);
	REQUIRE(a);
	REQUIRE(a->prefixlen == 8 && a->scope == RT_SCOPE_HOST);
	free(addrs);
	printf("private namespace: lo up seen by the monitor\n");

	if (!make_links()) {
		printf("ip(8) cannot create veth/bridge links: skipped\n");
		close(fd);
		return;
	}
	REQUIRE(rtnl_monitor_drain(fd) > 0);
	close(fd);

	REQUIRE(rtnl_dump_links(&links, &nlinks) == 0);
	REQUIRE(nlinks == 2 + 2 * NPAIRS);
	va0 = find_link(links, nlinks, "va0");
	va1 = find_link(links, nlinks, "va1");
	br0 = find_link(links, nlinks, "br0");
	REQUIRE(va0 && va1 && br0);
	REQUIRE(find_link(links, nlinks, "vb149"));
	REQUIRE(!strcmp(va0->kind, "veth"));
	REQUIRE(!strcmp(br0->kind, "bridge"));
	REQUIRE(va0->master == br0->ifindex);
	REQUIRE(va1->master == 0);
	REQUIRE(va1->mtu == 9000);
	REQUIRE(va0->addr_len == 6);
	REQUIRE(!rtnl_link_running(va0));
	REQUIRE(rtnl_get_link_by_name("br0", &link) == 0);
	REQUIRE(link.ifindex == br0->ifindex);
	REQUIRE(!strcmp(link.kind, "bridge"));
	REQUIRE(rtnl_get_link(va1->ifindex, &link) == 0);
	REQUIRE(!strcmp(link.name, "va1") && link.mtu == 9000);
	free(links);
	printf("private namespace: %d links dumped\n", 2 + 2 * NPAIRS);
}

int main(void)
{
	test_current_ns();
	test_private_ns();
	printf("test_rtnl: ok\n");
	return 0;
}
