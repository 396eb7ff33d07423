// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Finding devices and what a port is built on; see query.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tools/common/query.h"

struct ibv_device *find_device(struct ibv_device **list, const char *name)
{
	for (; *list; list++)
		if (!strcmp(ibv_get_device_name(*list), name))
			return *list;
	return NULL;
}

const char *gid_netdev(const struct ibv_gid_entry *entry, char *buf)
{
	if (!entry->ndev_ifindex)
		return NULL;
	return if_indextoname(entry->ndev_ifindex, buf);
}

const char *port_netdev(struct ibv_context *ctx, uint8_t port, char *buf,
			unsigned int *ifindex)
{
	struct ibv_gid_entry entry;
	const char *name;

	*ifindex = 0;
	if (ibv_query_gid_ex(ctx, port, 0, &entry, 0))
		return NULL;
	name = gid_netdev(&entry, buf);
	if (name)
		*ifindex = entry.ndev_ifindex;
	return name;
}

ssize_t query_gids(struct ibv_context *ctx, struct ibv_gid_entry **entries)
{
	struct ibv_device_attr dattr;
	struct ibv_port_attr pattr;
	struct ibv_gid_entry *e;
	size_t max = 0;
	ssize_t n;
	int ret;
	uint8_t port;

	*entries = NULL;
	ret = ibv_query_device(ctx, &dattr);
	if (ret)
		return -ret;
	for (port = 1; port <= dattr.phys_port_cnt; port++) {
		ret = ibv_query_port(ctx, port, &pattr);
		if (ret)
			return -ret;
		if (pattr.gid_tbl_len > 0)
			max += pattr.gid_tbl_len;
	}
	/* calloc(0) may return NULL: ask for one entry at least. */
	e = calloc(max ? max : 1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	n = ibv_query_gid_table(ctx, e, max, 0);
	if (n < 0) {
		free(e);
		return n;
	}
	*entries = e;
	return n;
}
