// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Devices, contexts and queries on the loopback device: the device list,
 * ibv_query_device(_ex), ibv_query_port, the GID and P_Key tables and the
 * async event fd, with the bad arguments of each.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <fcntl.h>
#include <net/if.h>
#include <unistd.h>

#include "tests/lib/verbs.h"

/* Field by field: padding may differ between two fills of a struct. */
static int same_device_attr(const struct ibv_device_attr *a,
			    const struct ibv_device_attr *b)
{
	return !strcmp(a->fw_ver, b->fw_ver) && a->node_guid == b->node_guid &&
	       a->sys_image_guid == b->sys_image_guid &&
	       a->max_mr_size == b->max_mr_size &&
	       a->page_size_cap == b->page_size_cap &&
	       a->vendor_id == b->vendor_id &&
	       a->vendor_part_id == b->vendor_part_id &&
	       a->hw_ver == b->hw_ver && a->max_qp == b->max_qp &&
	       a->max_qp_wr == b->max_qp_wr &&
	       a->device_cap_flags == b->device_cap_flags &&
	       a->max_sge == b->max_sge && a->max_cq == b->max_cq &&
	       a->max_cqe == b->max_cqe && a->max_mr == b->max_mr &&
	       a->max_pd == b->max_pd && a->max_srq == b->max_srq &&
	       a->max_pkeys == b->max_pkeys &&
	       a->phys_port_cnt == b->phys_port_cnt;
}

/* The fields of the old, shorter port attribute struct. */
#define SAME_PORT_ATTR(a, b)                                               \
	((a)->state == (b)->state && (a)->max_mtu == (b)->max_mtu &&       \
	 (a)->active_mtu == (b)->active_mtu &&                             \
	 (a)->gid_tbl_len == (b)->gid_tbl_len &&                           \
	 (a)->port_cap_flags == (b)->port_cap_flags &&                     \
	 (a)->max_msg_sz == (b)->max_msg_sz &&                             \
	 (a)->pkey_tbl_len == (b)->pkey_tbl_len && (a)->lid == (b)->lid && \
	 (a)->sm_lid == (b)->sm_lid && (a)->lmc == (b)->lmc &&             \
	 (a)->max_vl_num == (b)->max_vl_num &&                             \
	 (a)->active_width == (b)->active_width &&                         \
	 (a)->active_speed == (b)->active_speed &&                         \
	 (a)->phys_state == (b)->phys_state &&                             \
	 (a)->link_layer == (b)->link_layer && (a)->flags == (b)->flags)

static void check_device_list(void)
{
	struct ibv_device **list;
	int i, j, n = -1, found = 0;

	list = ibv_get_device_list(&n);
	REQUIRE(list);
	CHECK(n >= 1);
	CHECK(list[n] == NULL);
	for (i = 0; i < n; i++) {
		const char *name = ibv_get_device_name(list[i]);

		REQUIRE(name);
		CHECK(!strncmp(name, "uroce_", 6));
		for (j = 0; j < i; j++)
			CHECK(strcmp(name, ibv_get_device_name(list[j])));
		if (strcmp(name, TEST_DEV))
			continue;
		found++;
		CHECK(ibv_get_device_guid(list[i]) != 0);
		CHECK_EQ(list[i]->node_type, IBV_NODE_CA);
		CHECK_EQ(list[i]->transport_type, IBV_TRANSPORT_IB);
		CHECK(!strcmp(list[i]->name, name));
	}
	CHECK_EQ(found, 1);
	ibv_free_device_list(list);

	/* A NULL count is allowed. */
	list = ibv_get_device_list(NULL);
	REQUIRE(list);
	ibv_free_device_list(list);
	ibv_free_device_list(NULL);

	CHECK_NULL(ibv_get_device_name(NULL), EINVAL);
	CHECK_NULL(ibv_open_device(NULL), EINVAL);
	CHECK_RET(ibv_close_device(NULL), EINVAL);
}

static void check_query_device(struct ibv_context *ctx,
			       struct ibv_device_attr *attr)
{
	struct ibv_query_device_ex_input input = {};
	struct ibv_device_attr_ex ex;

	memset(attr, 0xa5, sizeof(*attr));
	REQUIRE(ibv_query_device(ctx, attr) == 0);
	CHECK_EQ(attr->phys_port_cnt, 1);
	CHECK(attr->node_guid == ibv_get_device_guid(ctx->device));
	CHECK(attr->max_pd > 0);
	CHECK(attr->max_mr > 0);
	CHECK(attr->max_mr_size > 0);
	CHECK(attr->max_cq > 0);
	CHECK(attr->max_cqe > 0);
	CHECK(attr->max_pkeys >= 1);
	CHECK(memchr(attr->fw_ver, '\0', sizeof(attr->fw_ver)) != NULL);

	CHECK_RET(ibv_query_device(NULL, attr), EINVAL);
	CHECK_RET(ibv_query_device(ctx, NULL), EINVAL);

	/* The extended query agrees with the plain one. */
	memset(&ex, 0x5a, sizeof(ex));
	CHECK_RET(ibv_query_device_ex(ctx, NULL, &ex), 0);
	CHECK(same_device_attr(&ex.orig_attr, attr));
	memset(&ex, 0x5a, sizeof(ex));
	CHECK_RET(ibv_query_device_ex(ctx, &input, &ex), 0);
	CHECK(same_device_attr(&ex.orig_attr, attr));

	input.comp_mask = 1;
	CHECK_RET(ibv_query_device_ex(ctx, &input, &ex), EINVAL);
	/* Only the provider's op can refuse a NULL attr; the inline cannot. */
	if (verbs_get_ctx_op(ctx, query_device_ex))
		CHECK_RET(ibv_query_device_ex(ctx, NULL, NULL), EINVAL);
}

static void check_query_port(struct ibv_context *ctx,
			     struct ibv_port_attr *pattr)
{
	struct ibv_port_attr compat, tmp;
	/* rdma-core declares the old layout but never defines it. */
	struct _compat_ibv_port_attr *old =
		(struct _compat_ibv_port_attr *)&compat;

	memset(pattr, 0xa5, sizeof(*pattr));
	REQUIRE(ibv_query_port(ctx, 1, pattr) == 0);
	CHECK_EQ(pattr->state, IBV_PORT_ACTIVE);
	CHECK_EQ(pattr->phys_state, 5); /* LinkUp */
	CHECK_EQ(pattr->active_mtu, IBV_MTU_4096);
	CHECK_EQ(pattr->max_mtu, IBV_MTU_4096);
	CHECK_EQ(pattr->link_layer, IBV_LINK_LAYER_ETHERNET);
	CHECK(pattr->gid_tbl_len >= 2);
	CHECK(pattr->pkey_tbl_len >= 1);
	CHECK_EQ(pattr->lid, 0);
	CHECK_EQ(pattr->lmc, 0);
	CHECK(pattr->active_width == 1 || pattr->active_width == 2 ||
	      pattr->active_width == 4 || pattr->active_width == 8 ||
	      pattr->active_width == 16);
	CHECK(pattr->active_speed &&
	      !(pattr->active_speed & (pattr->active_speed - 1)));

	/* The exported, older entry point fills the same leading fields. */
	memset(&compat, 0xa5, sizeof(compat));
	CHECK_RET((ibv_query_port)(ctx, 1, old), 0);
	CHECK(SAME_PORT_ATTR(&compat, pattr));

	CHECK_RET(ibv_query_port(ctx, 0, &tmp), EINVAL);
	CHECK_RET(ibv_query_port(ctx, 2, &tmp), EINVAL);
	CHECK_RET(ibv_query_port(ctx, 255, &tmp), EINVAL);
	CHECK_RET((ibv_query_port)(ctx, 0, old), EINVAL);
	CHECK_RET((ibv_query_port)(ctx, 2, old), EINVAL);
	CHECK_RET((ibv_query_port)(NULL, 1, old), EINVAL);
	CHECK_RET((ibv_query_port)(ctx, 1, NULL), EINVAL);
	if (verbs_get_ctx_op(ctx, query_port))
		CHECK_RET(ibv_query_port(ctx, 1, NULL), EINVAL);
}

static int gid_is_zero(const union ibv_gid *gid)
{
	static const union ibv_gid zero;

	return !memcmp(gid, &zero, sizeof(zero));
}

static void check_gids(struct ibv_context *ctx,
		       const struct ibv_port_attr *pattr)
{
	struct ibv_gid_entry entry, table[256], *t;
	union ibv_gid gid, expect = {};
	unsigned int lo_ifindex = if_nametoindex("lo");
	int i, used = 0, empty = -1;
	ssize_t n;
	int ret;

	CHECK(lo_ifindex == 1);
	expect.raw[10] = 0xff;
	expect.raw[11] = 0xff;
	expect.raw[12] = 127;
	expect.raw[15] = 1;

	memset(&gid, 0xa5, sizeof(gid));
	CHECK_EQ(ibv_query_gid(ctx, 1, 0, &gid), 0);
	CHECK(!memcmp(&gid, &expect, sizeof(gid)));

	memset(&entry, 0xa5, sizeof(entry));
	CHECK_RET(ibv_query_gid_ex(ctx, 1, 0, &entry, 0), 0);
	CHECK(!memcmp(&entry.gid, &expect, sizeof(expect)));
	CHECK_EQ(entry.gid_index, 0);
	CHECK_EQ(entry.port_num, 1);
	CHECK_EQ(entry.gid_type, IBV_GID_TYPE_ROCE_V2);
	CHECK_EQ(entry.ndev_ifindex, lo_ifindex);

	/* Every slot is either a RoCE v2 GID of lo or empty. */
	for (i = 0; i < pattr->gid_tbl_len; i++) {
		ret = ibv_query_gid_ex(ctx, 1, i, &entry, 0);
		if (ret == ENODATA) {
			if (empty < 0)
				empty = i;
			continue;
		}
		CHECK_EQ(ret, 0);
		if (ret)
			continue;
		used++;
		CHECK(!gid_is_zero(&entry.gid));
		CHECK_EQ(entry.gid_index, i);
		CHECK_EQ(entry.gid_type, IBV_GID_TYPE_ROCE_V2);
		CHECK_EQ(entry.ndev_ifindex, lo_ifindex);
		CHECK_EQ(ibv_query_gid(ctx, 1, i, &gid), 0);
		CHECK(!memcmp(&gid, &entry.gid, sizeof(gid)));
	}
	CHECK(used >= 1);
	/* An empty slot reads as the zero GID through ibv_query_gid. */
	CHECK(empty > 0);
	if (empty > 0) {
		memset(&gid, 0xa5, sizeof(gid));
		CHECK_EQ(ibv_query_gid(ctx, 1, empty, &gid), 0);
		CHECK(gid_is_zero(&gid));
	}

	/* The table holds exactly the used slots, in order. */
	n = ibv_query_gid_table(ctx, table, 256, 0);
	CHECK_EQ(n, used);
	for (t = table; n > 0 && t < table + n; t++) {
		CHECK_RET(ibv_query_gid_ex(ctx, 1, t->gid_index, &entry, 0), 0);
		CHECK(!memcmp(&entry, t, sizeof(entry)));
	}
	CHECK(!memcmp(&table[0].gid, &expect, sizeof(expect)));
	CHECK_EQ(ibv_query_gid_table(ctx, table, used - 1, 0), -EINVAL);
	CHECK_EQ(ibv_query_gid_table(ctx, table, 256, 1), -EINVAL);
	CHECK_EQ(ibv_query_gid_table(NULL, table, 256, 0), -EINVAL);
	CHECK_EQ(ibv_query_gid_table(ctx, NULL, 256, 0), -EINVAL);

	/* Bad indexes and ports. */
	CHECK_ERRNO(ibv_query_gid(ctx, 1, pattr->gid_tbl_len, &gid), EINVAL);
	CHECK_ERRNO(ibv_query_gid(ctx, 1, -1, &gid), EINVAL);
	CHECK_ERRNO(ibv_query_gid(ctx, 0, 0, &gid), EINVAL);
	CHECK_ERRNO(ibv_query_gid(ctx, 2, 0, &gid), EINVAL);
	CHECK_ERRNO(ibv_query_gid(ctx, 1, 0, NULL), EINVAL);
	CHECK_ERRNO(ibv_query_gid(NULL, 1, 0, &gid), EINVAL);
	CHECK_RET(ibv_query_gid_ex(ctx, 1, pattr->gid_tbl_len, &entry, 0),
		  EINVAL);
	CHECK_RET(ibv_query_gid_ex(ctx, 1, 1u << 31, &entry, 0), EINVAL);
	CHECK_RET(ibv_query_gid_ex(ctx, 0, 0, &entry, 0), EINVAL);
	CHECK_RET(ibv_query_gid_ex(ctx, 2, 0, &entry, 0), EINVAL);
	CHECK_RET(ibv_query_gid_ex(ctx, 1, 0, &entry, 1), EINVAL);
	CHECK_RET(ibv_query_gid_ex(ctx, 1, 0, NULL, 0), EINVAL);
	CHECK_RET(ibv_query_gid_ex(NULL, 1, 0, &entry, 0), EINVAL);
}

static void check_pkeys(struct ibv_context *ctx)
{
	__be16 pkey = 0;

	CHECK_EQ(ibv_query_pkey(ctx, 1, 0, &pkey), 0);
	CHECK_EQ(be16toh(pkey), 0xffff);
	CHECK_EQ(ibv_get_pkey_index(ctx, 1, htobe16(0xffff)), 0);

	CHECK_ERRNO(ibv_query_pkey(ctx, 1, 1, &pkey), EINVAL);
	CHECK_ERRNO(ibv_query_pkey(ctx, 1, -1, &pkey), EINVAL);
	CHECK_ERRNO(ibv_query_pkey(ctx, 0, 0, &pkey), EINVAL);
	CHECK_ERRNO(ibv_query_pkey(ctx, 2, 0, &pkey), EINVAL);
	CHECK_ERRNO(ibv_query_pkey(ctx, 1, 0, NULL), EINVAL);
	CHECK_ERRNO(ibv_query_pkey(NULL, 1, 0, &pkey), EINVAL);
	CHECK_ERRNO(ibv_get_pkey_index(ctx, 2, htobe16(0xffff)), EINVAL);
	CHECK_ERRNO(ibv_get_pkey_index(NULL, 1, htobe16(0xffff)), EINVAL);
	/* Unchanged. */
	CHECK_EQ(ibv_query_pkey(ctx, 1, 0, &pkey), 0);
	CHECK_EQ(be16toh(pkey), 0xffff);
}

static void check_async_fd(struct ibv_context *ctx)
{
	struct ibv_async_event ev;
	int flags;

	CHECK(ctx->async_fd >= 0);
	flags = fcntl(ctx->async_fd, F_GETFL);
	REQUIRE(flags >= 0);
	/* Nothing happened: a non-blocking read finds no event. */
	REQUIRE(fcntl(ctx->async_fd, F_SETFL, flags | O_NONBLOCK) == 0);
	CHECK_ERRNO(ibv_get_async_event(ctx, &ev), EAGAIN);
	REQUIRE(fcntl(ctx->async_fd, F_SETFL, flags) == 0);
	CHECK_ERRNO(ibv_get_async_event(NULL, &ev), EINVAL);
	CHECK_ERRNO(ibv_get_async_event(ctx, NULL), EINVAL);
	ibv_ack_async_event(NULL);
}

int main(void)
{
	struct ibv_device_attr attr, attr2;
	struct ibv_port_attr pattr, pattr2;
	struct ibv_context *ctx, *ctx2;
	int fds;

	test_env();
	fds = count_fds();

	check_device_list();

	ctx = open_dev(TEST_DEV);
	/* rdma-core's inline verbs reach the extended ops through this. */
	CHECK(verbs_get_ctx(ctx) != NULL);
	CHECK(verbs_get_ctx_op(ctx, query_port) != NULL);

	check_query_device(ctx, &attr);
	check_query_port(ctx, &pattr);
	check_gids(ctx, &pattr);
	check_pkeys(ctx);
	check_async_fd(ctx);

	/* The failures above changed nothing. */
	CHECK_RET(ibv_query_device(ctx, &attr2), 0);
	CHECK(same_device_attr(&attr, &attr2));
	CHECK_RET(ibv_query_port(ctx, 1, &pattr2), 0);
	CHECK(SAME_PORT_ATTR(&pattr, &pattr2) &&
	      pattr.port_cap_flags2 == pattr2.port_cap_flags2);

	/* A second context on the same device sees the same. */
	ctx2 = open_dev(TEST_DEV);
	CHECK(ctx2 != ctx);
	CHECK_RET(ibv_query_device(ctx2, &attr2), 0);
	CHECK(same_device_attr(&attr, &attr2));
	CHECK_RET(ibv_query_port(ctx2, 1, &pattr2), 0);
	CHECK(SAME_PORT_ATTR(&pattr, &pattr2) &&
	      pattr.port_cap_flags2 == pattr2.port_cap_flags2);
	CHECK_RET(ibv_close_device(ctx2), 0);
	CHECK_RET(ibv_query_port(ctx, 1, &pattr2), 0);

	CHECK_RET(ibv_close_device(ctx), 0);
	CHECK_EQ(count_fds(), fds);
	return check_report("verbs_device");
}
