/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Finding devices and what a port is built on, with public verbs only. */
#ifndef UROCE_TOOLS_QUERY_H
#define UROCE_TOOLS_QUERY_H

#include <net/if.h>
#include <sys/types.h>
#include <infiniband/verbs.h>

#include "tools/common/format.h"

/* The device of list called name, or NULL. */
struct ibv_device *find_device(struct ibv_device **list, const char *name);

/*
 * The netdev a GID entry belongs to, in the caller's network namespace:
 * its name in buf (IF_NAMESIZE bytes), or NULL if it has none.
 */
const char *gid_netdev(const struct ibv_gid_entry *entry, char *buf);

/*
 * The netdev of a port: the one of GID index 0, which a RoCE port always
 * fills first. Returns its name in buf (IF_NAMESIZE bytes) and its
 * ifindex in *ifindex, or NULL (and *ifindex 0) if it has none.
 */
const char *port_netdev(struct ibv_context *ctx, uint8_t port, char *buf,
			unsigned int *ifindex);

/* A GID of a port, with the text forms the tools print. */
struct port_gid {
	struct ibv_gid_entry entry;
	char gid[GID_STR_LEN]; /* format_gid() */
	char netdev[IF_NAMESIZE]; /* its netdev's name, "" if it has none */
};

/*
 * The non-empty GIDs of @port of @ctx, in table order, in a malloc'd
 * array the caller frees. Returns their number or a negative errno.
 */
ssize_t query_port_gids(struct ibv_context *ctx, uint8_t port,
			struct port_gid **gids);

#endif /* UROCE_TOOLS_QUERY_H */
