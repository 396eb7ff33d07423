// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Device, port, GID and P_Key queries. */
#include <string.h>

#include "ibverbs.h"

int ibv_query_device(struct ibv_context *context,
		     struct ibv_device_attr *device_attr)
{
	if (!context || !device_attr)
		return EINVAL;
	/* orig_attr is the head of ibv_device_attr_ex. */
	return get_ops(context)->query_device_ex(
		context, NULL, (struct ibv_device_attr_ex *)device_attr,
		sizeof(*device_attr));
}

/*
 * The entry point of binaries whose ibv_query_port() found no extended
 * query_port: they pass the old, shorter struct. The inline wrapper in
 * verbs.h passes the full one through verbs_context directly.
 */
#undef ibv_query_port
int ibv_query_port(struct ibv_context *context, uint8_t port_num,
		   struct _compat_ibv_port_attr *port_attr)
{
	if (!context || !port_attr)
		return EINVAL;
	return get_ops(context)->query_port(context, port_num,
					    (struct ibv_port_attr *)port_attr,
					    COMPAT_PORT_ATTR_LEN);
}

int _ibv_query_gid_ex(struct ibv_context *context, uint32_t port_num,
		      uint32_t gid_index, struct ibv_gid_entry *entry,
		      uint32_t flags, size_t entry_size)
{
	struct ibv_gid_entry e = {};
	int ret;

	if (!context || !entry || flags || entry_size < sizeof(*entry))
		return EINVAL;
	ret = get_ops(context)->query_gid_ex(context, port_num, gid_index, &e);
	if (ret)
		return ret;
	e.gid_index = gid_index;
	e.port_num = port_num;
	memcpy(entry, &e, sizeof(e));
	return 0;
}

/* Empty entries read as the zero GID, as rdma-core reports them. */
int ibv_query_gid(struct ibv_context *context, uint8_t port_num, int index,
		  union ibv_gid *gid)
{
	struct ibv_gid_entry e;
	int ret;

	if (!context || !gid || index < 0) {
		errno = EINVAL;
		return -1;
	}
	ret = _ibv_query_gid_ex(context, port_num, index, &e, 0, sizeof(e));
	if (ret == ENODATA) {
		memset(gid, 0, sizeof(*gid));
		return 0;
	}
	if (ret) {
		errno = ret;
		return -1;
	}
	*gid = e.gid;
	return 0;
}

int ibv_query_gid_type(struct ibv_context *context, uint8_t port_num,
		       unsigned int index, enum ibv_gid_type_sysfs *type)
{
	struct ibv_gid_entry e;
	int ret;

	if (!type) {
		errno = EINVAL;
		return -1;
	}
	ret = _ibv_query_gid_ex(context, port_num, index, &e, 0, sizeof(e));
	if (ret == ENODATA) {
		/* An empty entry has no type; report IB/RoCE v1 as sysfs did. */
		*type = IBV_GID_TYPE_SYSFS_IB_ROCE_V1;
		return 0;
	}
	if (ret) {
		errno = ret;
		return -1;
	}
	*type = e.gid_type == IBV_GID_TYPE_ROCE_V2 ?
			IBV_GID_TYPE_SYSFS_ROCE_V2 :
			IBV_GID_TYPE_SYSFS_IB_ROCE_V1;
	return 0;
}

ssize_t _ibv_query_gid_table(struct ibv_context *context,
			     struct ibv_gid_entry *entries, size_t max_entries,
			     uint32_t flags, size_t entry_size)
{
	struct ibv_device_attr dattr;
	struct ibv_port_attr pattr;
	size_t n = 0;
	uint32_t port;
	int ret, i;

	if (!context || (!entries && max_entries) || flags ||
	    entry_size < sizeof(*entries))
		return -EINVAL;
	ret = ibv_query_device(context, &dattr);
	if (ret)
		return -ret;
	for (port = 1; port <= dattr.phys_port_cnt; port++) {
		ret = get_ops(context)->query_port(context, port, &pattr,
						   sizeof(pattr));
		if (ret)
			return -ret;
		for (i = 0; i < pattr.gid_tbl_len; i++) {
			struct ibv_gid_entry e;

			ret = _ibv_query_gid_ex(context, port, i, &e, 0,
						sizeof(e));
			if (ret == ENODATA)
				continue;
			if (ret)
				return -ret;
			if (n == max_entries)
				return -EINVAL;
			memcpy((char *)entries + n * entry_size, &e, sizeof(e));
			n++;
		}
	}
	return n;
}

int ibv_query_pkey(struct ibv_context *context, uint8_t port_num, int index,
		   __be16 *pkey)
{
	int ret;

	if (!context || !pkey) {
		errno = EINVAL;
		return -1;
	}
	ret = get_ops(context)->query_pkey(context, port_num, index, pkey);
	if (ret) {
		errno = ret;
		return -1;
	}
	return 0;
}

int ibv_get_pkey_index(struct ibv_context *context, uint8_t port_num,
		       __be16 pkey)
{
	struct ibv_port_attr pattr;
	__be16 cur;
	int i, ret;

	if (!context) {
		errno = EINVAL;
		return -1;
	}
	ret = get_ops(context)->query_port(context, port_num, &pattr,
					   sizeof(pattr));
	if (ret) {
		errno = ret;
		return -1;
	}
	for (i = 0; i < pattr.pkey_tbl_len; i++) {
		if (ibv_query_pkey(context, port_num, i, &cur))
			return -1;
		if (cur == pkey)
			return i;
	}
	errno = ENOENT;
	return -1;
}
