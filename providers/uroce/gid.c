// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * GID table computation. Pure: no I/O, so that it can be unit-tested with
 * made-up address dumps.
 */
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#include "providers/uroce/gid.h"

enum gid_class {
	GID_IPV4_PRIMARY,
	GID_IPV4,
	GID_IPV6_GLOBAL,
	GID_IPV6_LINK,
	GID_NCLASSES,
	GID_SKIP = GID_NCLASSES,
};

static bool is_link_local6(const struct rtnl_addr *a)
{
	return a->scope == RT_SCOPE_LINK ||
	       (a->addr[0] == 0xfe && (a->addr[1] & 0xc0) == 0x80);
}

static enum gid_class gid_classify(const struct rtnl_addr *a, int ifindex,
				   bool *have_primary)
{
	if (a->ifindex != ifindex ||
	    (a->flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED)))
		return GID_SKIP;
	if (a->family == AF_INET) {
		/* The kernel lists an interface's primaries first. */
		if (!*have_primary && !(a->flags & IFA_F_SECONDARY)) {
			*have_primary = true;
			return GID_IPV4_PRIMARY;
		}
		return GID_IPV4;
	}
	if (a->family == AF_INET6)
		return is_link_local6(a) ? GID_IPV6_LINK : GID_IPV6_GLOBAL;
	return GID_SKIP;
}

static void gid_from_addr(const struct rtnl_addr *a, struct uroce_gid *g)
{
	memset(g, 0, sizeof(*g));
	g->family = a->family;
	g->ifindex = a->ifindex;
	if (a->family == AF_INET) {
		g->gid.raw[10] = 0xff;
		g->gid.raw[11] = 0xff;
		memcpy(&g->gid.raw[12], a->addr, 4);
	} else {
		memcpy(g->gid.raw, a->addr, 16);
	}
}

static bool gid_present(const struct uroce_gid *tbl, unsigned int n,
			const struct uroce_gid *g)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!memcmp(tbl[i].gid.raw, g->gid.raw, sizeof(g->gid.raw)))
			return true;
	return false;
}

/* Link-local first, then the others in their usual order. */
static const enum gid_class link_first_order[GID_NCLASSES] = {
	GID_IPV6_LINK,
	GID_IPV4_PRIMARY,
	GID_IPV4,
	GID_IPV6_GLOBAL,
};

void uroce_eui64(const uint8_t *mac, uint8_t *eui)
{
	eui[0] = mac[0] ^ 0x02; /* the universal/local bit */
	eui[1] = mac[1];
	eui[2] = mac[2];
	eui[3] = 0xff;
	eui[4] = 0xfe;
	memcpy(&eui[5], &mac[3], 3);
}

/* The kernel's default GID of a RoCE netdev: fe80::/64 and the EUI-64. */
static void default_gid(const uint8_t *mac, int ifindex, struct uroce_gid *g)
{
	memset(g, 0, sizeof(*g));
	g->family = AF_INET6;
	g->ifindex = ifindex;
	g->gid.raw[0] = 0xfe;
	g->gid.raw[1] = 0x80;
	uroce_eui64(mac, &g->gid.raw[8]);
}

unsigned int uroce_gid_table(const struct rtnl_addr *addrs, size_t naddrs,
			     int ifindex, bool link_first, const uint8_t *mac,
			     struct uroce_gid *tbl, unsigned int len)
{
	unsigned int n = 0;
	int k, class;
	size_t i;

	if (link_first && mac && len)
		default_gid(mac, ifindex, &tbl[n++]);

	/* One pass per class keeps the kernel's order inside each class. */
	for (k = 0; k < GID_NCLASSES; k++) {
		bool have_primary = false;

		class = link_first ? (int)link_first_order[k] : k;

		for (i = 0; i < naddrs && n < len; i++) {
			struct uroce_gid g;

			if (gid_classify(&addrs[i], ifindex, &have_primary) !=
			    (enum gid_class) class)
				continue;
			gid_from_addr(&addrs[i], &g);
			if (!gid_present(tbl, n, &g))
				tbl[n++] = g;
		}
	}
	return n;
}
