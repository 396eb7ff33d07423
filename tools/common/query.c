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

/*
 * Every non-empty GID of every port of ctx, in a malloc'd array the
 * caller frees. Returns their number or a negative errno.
 */
static ssize_t query_gids(struct ibv_context *ctx,
			  struct ibv_gid_entry **entries)
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

ssize_t query_port_gids(struct ibv_context *ctx, uint8_t port,
			struct port_gid **gids)
{
	struct ibv_gid_entry *e;
	struct port_gid *g;
	ssize_t n, i, k = 0;

	*gids = NULL;
	n = query_gids(ctx, &e);
	if (n < 0)
		return n;
	/* calloc(0) may return NULL: ask for one entry at least. */
	g = calloc(n ? n : 1, sizeof(*g));
	if (!g) {
		free(e);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		if (e[i].port_num != port)
			continue;
		g[k].entry = e[i];
		format_gid(&e[i].gid, g[k].gid);
		if (!gid_netdev(&e[i], g[k].netdev))
			g[k].netdev[0] = '\0';
		k++;
	}
	free(e);
	*gids = g;
	return k;
}
