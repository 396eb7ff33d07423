/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * rtnetlink queries in the calling thread's network namespace: the netdevs
 * and addresses uroce builds its devices and GID tables from, and a
 * monitor socket for changes.
 */
#ifndef UROCE_UTIL_RTNL_H
#define UROCE_UTIL_RTNL_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rtnl_link {
	int ifindex;
	char name[IF_NAMESIZE];
	unsigned int flags; /* IFF_* from ifi_flags */
	unsigned int mtu;
	uint8_t operstate; /* IF_OPER_* */
	uint8_t carrier; /* IFLA_CARRIER, 1 if absent */
	unsigned short type; /* ARPHRD_* */
	uint8_t addr[32]; /* IFLA_ADDRESS */
	uint8_t addr_len;
	int master; /* IFLA_MASTER ifindex or 0 */
	char kind[16]; /* IFLA_INFO_KIND ("veth", "bond"...) */
};

struct rtnl_addr {
	int ifindex;
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16]; /* 4 bytes used for AF_INET */
	uint8_t prefixlen;
	uint8_t scope; /* RT_SCOPE_* */
	uint32_t flags; /* IFA_F_* (IFA_FLAGS when present) */
};

/*
 * Dumps every link / address of the calling thread's network namespace,
 * in the kernel's order. On success returns 0 and a malloc'd array the
 * caller frees; on failure returns a negative errno.
 */
int rtnl_dump_links(struct rtnl_link **links, size_t *n);
int rtnl_dump_addrs(struct rtnl_addr **addrs, size_t *n);

/*
 * A query socket of the calling thread's namespace, which keeps answering
 * for that namespace whichever thread uses it later (one at a time).
 * Returns the fd or a negative errno. The *_at functions below take such
 * an fd, or -1 for a fresh socket of the caller's namespace.
 */
int rtnl_query_open(void);
int rtnl_dump_links_at(int qfd, struct rtnl_link **links, size_t *n);
int rtnl_dump_addrs_at(int qfd, struct rtnl_addr **addrs, size_t *n);

/* The links and the addresses of a namespace, dumped one after the other. */
struct rtnl_snapshot {
	struct rtnl_link *links;
	size_t nlinks;
	struct rtnl_addr *addrs;
	size_t naddrs;
};

/*
 * Dumps the links, then the addresses, through @qfd as the *_at functions
 * do. Returns 0, or a negative errno with @s left empty; either way
 * rtnl_snapshot_free() then frees it.
 */
int rtnl_snapshot_at(int qfd, struct rtnl_snapshot *s);
void rtnl_snapshot_free(struct rtnl_snapshot *s);
/* The link of @s with that ifindex, or NULL. */
const struct rtnl_link *rtnl_snapshot_link(const struct rtnl_snapshot *s,
					   int ifindex);

struct rtnl_route {
	int family; /* 0 when no route was found */
	int oif; /* output ifindex */
	uint8_t type; /* RTN_UNICAST, RTN_LOCAL... */
	bool has_prefsrc;
	bool has_gateway;
	uint8_t prefsrc[16]; /* 4 bytes used for AF_INET */
	uint8_t gateway[16];
};

/*
 * RTM_GETROUTE: the route the kernel would take to @dst (4 or 16 bytes by
 * @family), from @src when not NULL (which must then be local). Returns 0,
 * or a negative errno (the kernel's: -ENETUNREACH, -EINVAL...).
 */
int rtnl_get_route(int qfd, int family, const void *dst, const void *src,
		   struct rtnl_route *rt);

/* One link by ifindex; returns 0, -ENODEV or a negative errno. */
int rtnl_get_link(int ifindex, struct rtnl_link *link);
/* One link by name (LAG members are named in the configuration). */
int rtnl_get_link_by_name(const char *name, struct rtnl_link *link);

/* Link is administratively up and has carrier (lo: up is enough). */
bool rtnl_link_running(const struct rtnl_link *link);

/*
 * Opens a netlink socket, in the calling thread's namespace, subscribed to
 * link and IPv4/IPv6 address changes. Returns the fd (O_CLOEXEC,
 * O_NONBLOCK) or a negative errno.
 */
int rtnl_monitor_open(void);
/*
 * Drains pending notifications from a monitor fd. Returns >0 if any
 * message was read (the caller then re-dumps what it cares about), 0 if
 * none, a negative errno on failure. ENOBUFS (overrun) counts as a change.
 */
int rtnl_monitor_drain(int fd);

#endif /* UROCE_UTIL_RTNL_H */
