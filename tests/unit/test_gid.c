// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * providers/uroce/gid.c: the GID table built from made-up address dumps.
 */
#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "providers/uroce/gid.h"

#include "tests/lib/check.h"

#define IFX 7 /* the netdev under test */
#define OTHER 9 /* another netdev */

static struct rtnl_addr addr(int ifindex, const char *text, uint32_t flags)
{
	struct rtnl_addr a;

	memset(&a, 0, sizeof(a));
	a.ifindex = ifindex;
	a.flags = flags;
	if (strchr(text, ':')) {
		a.family = AF_INET6;
		a.prefixlen = 64;
		REQUIRE(inet_pton(AF_INET6, text, a.addr) == 1);
		a.scope = RT_SCOPE_UNIVERSE;
		if (!strncmp(text, "fe80", 4))
			a.scope = RT_SCOPE_LINK;
		else if (!strcmp(text, "::1"))
			a.scope = RT_SCOPE_HOST;
	} else {
		a.family = AF_INET;
		a.prefixlen = 24;
		REQUIRE(inet_pton(AF_INET, text, a.addr) == 1);
		a.scope = !strncmp(text, "127.", 4) ? RT_SCOPE_HOST :
						      RT_SCOPE_UNIVERSE;
	}
	return a;
}

/* GID @g is @text, IPv4-mapped for a dotted quad. */
static int gid_is(const struct uroce_gid *g, const char *text)
{
	union ibv_gid want;

	memset(&want, 0, sizeof(want));
	if (strchr(text, ':')) {
		REQUIRE(inet_pton(AF_INET6, text, want.raw) == 1);
		if (g->family != AF_INET6)
			return 0;
	} else {
		want.raw[10] = 0xff;
		want.raw[11] = 0xff;
		REQUIRE(inet_pton(AF_INET, text, &want.raw[12]) == 1);
		if (g->family != AF_INET)
			return 0;
	}
	return !memcmp(g->gid.raw, want.raw, 16);
}

static void test_order(void)
{
	/* Deliberately out of class order, with noise from another netdev. */
	struct rtnl_addr a[] = {
		addr(IFX, "fe80::1", 0),
		addr(OTHER, "10.99.9.9", 0),
		addr(IFX, "2001:db8::1", 0),
		addr(IFX, "10.99.0.1", 0),
		addr(IFX, "10.99.0.2", IFA_F_SECONDARY),
		addr(IFX, "2001:db8::2", IFA_F_TENTATIVE),
		addr(IFX, "198.51.100.1", 0),
		addr(IFX, "2001:db8::3", IFA_F_DADFAILED | IFA_F_TENTATIVE),
		addr(IFX, "fd00::5", IFA_F_PERMANENT),
	};
	struct uroce_gid t[UROCE_GID_TBL_LEN];
	unsigned int n;

	n = uroce_gid_table(a, sizeof(a) / sizeof(a[0]), IFX, false, NULL, t,
			    UROCE_GID_TBL_LEN);
	REQUIRE(n == 6);
	REQUIRE(gid_is(&t[0], "10.99.0.1"));
	REQUIRE(gid_is(&t[1], "10.99.0.2"));
	REQUIRE(gid_is(&t[2], "198.51.100.1"));
	REQUIRE(gid_is(&t[3], "2001:db8::1"));
	REQUIRE(gid_is(&t[4], "fd00::5"));
	REQUIRE(gid_is(&t[5], "fe80::1"));
	for (unsigned int i = 0; i < n; i++)
		REQUIRE(t[i].ifindex == IFX);
	/* The IPv4-mapped form, byte by byte. */
	REQUIRE(t[0].gid.raw[10] == 0xff && t[0].gid.raw[11] == 0xff);
	REQUIRE(t[0].gid.raw[12] == 10 && t[0].gid.raw[15] == 1);
	for (unsigned int i = 0; i < 10; i++)
		REQUIRE(t[0].gid.raw[i] == 0);

	/* "wire roce": link-local first, as a kernel RoCE device's GID 0. */
	n = uroce_gid_table(a, sizeof(a) / sizeof(a[0]), IFX, true, NULL, t,
			    UROCE_GID_TBL_LEN);
	REQUIRE(n == 6);
	REQUIRE(gid_is(&t[0], "fe80::1"));
	REQUIRE(gid_is(&t[1], "10.99.0.1"));
	REQUIRE(gid_is(&t[2], "10.99.0.2"));
	REQUIRE(gid_is(&t[3], "198.51.100.1"));
	REQUIRE(gid_is(&t[4], "2001:db8::1"));
	REQUIRE(gid_is(&t[5], "fd00::5"));
}

static void test_primary_is_not_secondary(void)
{
	/* Whatever the dump order, index 0 is the primary address. */
	struct rtnl_addr a[] = {
		addr(IFX, "10.99.1.2", IFA_F_SECONDARY),
		addr(IFX, "10.99.1.1", 0),
	};
	struct uroce_gid t[4];

	REQUIRE(uroce_gid_table(a, 2, IFX, false, NULL, t, 4) == 2);
	REQUIRE(gid_is(&t[0], "10.99.1.1"));
	REQUIRE(gid_is(&t[1], "10.99.1.2"));
}

static void test_no_ipv4(void)
{
	struct rtnl_addr a[] = {
		addr(IFX, "fe80::aa", 0),
		addr(IFX, "2001:db8::aa", 0),
	};
	struct rtnl_addr ll[] = {
		addr(IFX, "fe80::bb", 0),
		/* no scope: recognized by its prefix alone */
		addr(IFX, "fe80::cc", 0),
	};
	struct uroce_gid t[4];

	REQUIRE(uroce_gid_table(a, 2, IFX, false, NULL, t, 4) == 2);
	REQUIRE(gid_is(&t[0], "2001:db8::aa"));
	REQUIRE(gid_is(&t[1], "fe80::aa"));

	ll[1].scope = RT_SCOPE_UNIVERSE;
	REQUIRE(uroce_gid_table(ll, 2, IFX, false, NULL, t, 4) == 2);
	REQUIRE(gid_is(&t[0], "fe80::bb"));
	REQUIRE(gid_is(&t[1], "fe80::cc"));
}

static void test_loopback(void)
{
	struct rtnl_addr a[] = {
		addr(1, "127.0.0.1", 0),
		addr(1, "::1", IFA_F_PERMANENT),
	};
	struct uroce_gid t[UROCE_GID_TBL_LEN];

	REQUIRE(uroce_gid_table(a, 2, 1, false, NULL, t, UROCE_GID_TBL_LEN) ==
		2);
	REQUIRE(gid_is(&t[0], "127.0.0.1"));
	REQUIRE(gid_is(&t[1], "::1"));
}

static void test_duplicates_and_limits(void)
{
	struct rtnl_addr a[UROCE_GID_TBL_LEN + 8];
	struct uroce_gid t[UROCE_GID_TBL_LEN];
	char text[32];
	unsigned int i;

	/* The same IPv4 address twice (two prefixes) yields one GID. */
	a[0] = addr(IFX, "10.99.2.1", 0);
	a[1] = addr(IFX, "10.99.2.1", IFA_F_SECONDARY);
	a[1].prefixlen = 16;
	REQUIRE(uroce_gid_table(a, 2, IFX, false, NULL, t, 4) == 1);

	/* Nothing for a netdev without addresses, or for an empty dump. */
	REQUIRE(uroce_gid_table(a, 2, OTHER, false, NULL, t, 4) == 0);
	REQUIRE(uroce_gid_table(NULL, 0, IFX, false, NULL, t, 4) == 0);
	REQUIRE(uroce_gid_table(a, 2, IFX, false, NULL, t, 0) == 0);

	/* More addresses than slots: the table is full, not overrun. */
	for (i = 0; i < sizeof(a) / sizeof(a[0]); i++) {
		snprintf(text, sizeof(text), "10.99.3.%u", i + 1);
		a[i] = addr(IFX, text, i ? IFA_F_SECONDARY : 0);
	}
	REQUIRE(uroce_gid_table(a, sizeof(a) / sizeof(a[0]), IFX, false, NULL,
				t, UROCE_GID_TBL_LEN) == UROCE_GID_TBL_LEN);
	REQUIRE(gid_is(&t[0], "10.99.3.1"));
	REQUIRE(gid_is(&t[UROCE_GID_TBL_LEN - 1], "10.99.3.32"));

	/* Unknown families are ignored. */
	a[0] = addr(IFX, "10.99.4.1", 0);
	a[0].family = AF_PACKET;
	REQUIRE(uroce_gid_table(a, 1, IFX, false, NULL, t, 4) == 0);
}

static void test_default_gid(void)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	/* The link-local address still in duplicate address detection. */
	struct rtnl_addr a[] = {
		addr(IFX, "10.99.0.1", 0),
		addr(IFX, "fe80::5054:ff:fe12:3456", IFA_F_TENTATIVE),
	};
	struct uroce_gid t[UROCE_GID_TBL_LEN];

	/* As a kernel RoCE netdev: the default GID at 0 from the start. */
	REQUIRE(uroce_gid_table(a, 2, IFX, true, mac, t, 4) == 2);
	REQUIRE(gid_is(&t[0], "fe80::5054:ff:fe12:3456"));
	REQUIRE(t[0].family == AF_INET6 && t[0].ifindex == IFX);
	REQUIRE(gid_is(&t[1], "10.99.0.1"));
	/* Once the address is usable: listed once, the indexes unchanged. */
	a[1].flags = 0;
	REQUIRE(uroce_gid_table(a, 2, IFX, true, mac, t, 4) == 2);
	REQUIRE(gid_is(&t[0], "fe80::5054:ff:fe12:3456"));
	REQUIRE(gid_is(&t[1], "10.99.0.1"));
	/* The direct mode has none. */
	REQUIRE(uroce_gid_table(a, 2, IFX, false, mac, t, 4) == 2);
	REQUIRE(gid_is(&t[0], "10.99.0.1"));
	REQUIRE(uroce_gid_table(a, 2, IFX, true, mac, t, 0) == 0);
}

int main(void)
{
	test_order();
	test_primary_is_not_secondary();
	test_no_ipv4();
	test_loopback();
	test_duplicates_and_limits();
	test_default_gid();
	printf("test_gid: ok\n");
	return 0;
}
