// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Opening and closing: cycles of ibv_get_device_list / ibv_open_device /
 * ibv_close_device / ibv_free_device_list leave no fd behind, many
 * contexts can be open at once, a context outlives its device list, and
 * closing a context with objects still in it frees them.
 */
#include <unistd.h>

#include "tests/lib/verbs.h"

#define CYCLES 200
#define NCTX 16

static struct ibv_device *find(struct ibv_device **list, const char *name)
{
	for (; *list; list++)
		if (!strcmp(ibv_get_device_name(*list), name))
			return *list;
	return NULL;
}

static int cycles(void)
{
	struct ibv_device **list;
	struct ibv_context *ctx;
	struct ibv_device *dev;
	int i, n, fds = -1;

	for (i = 0; i < CYCLES; i++) {
		list = ibv_get_device_list(&n);
		REQUIRE(list);
		dev = find(list, TEST_DEV);
		REQUIRE(dev);
		ctx = ibv_open_device(dev);
		REQUIRE(ctx);
		REQUIRE(ibv_close_device(ctx) == 0);
		ibv_free_device_list(list);
		/* The first cycle may set up what the process keeps. */
		if (i == 0)
			fds = count_fds();
		else if (count_fds() != fds)
			break;
	}
	CHECK_EQ(count_fds(), fds);
	CHECK_EQ(i, CYCLES);
	return fds;
}

static void many(void)
{
	struct ibv_context *ctx[NCTX];
	struct ibv_port_attr pattr;
	struct ibv_device **list;
	struct ibv_device *dev;
	int i, fds = count_fds();

	list = ibv_get_device_list(NULL);
	REQUIRE(list);
	dev = find(list, TEST_DEV);
	REQUIRE(dev);
	for (i = 0; i < NCTX; i++) {
		ctx[i] = ibv_open_device(dev);
		REQUIRE(ctx[i]);
	}
	/* The contexts outlive the list that named their device. */
	ibv_free_device_list(list);
	for (i = 0; i < NCTX; i++) {
		CHECK_RET(ibv_query_port(ctx[i], 1, &pattr), 0);
		CHECK(!strcmp(ibv_get_device_name(ctx[i]->device), TEST_DEV));
	}
	for (i = 0; i < NCTX; i += 2)
		CHECK_RET(ibv_close_device(ctx[i]), 0);
	for (i = 1; i < NCTX; i += 2)
		CHECK_RET(ibv_query_port(ctx[i], 1, &pattr), 0);
	for (i = 1; i < NCTX; i += 2)
		CHECK_RET(ibv_close_device(ctx[i]), 0);
	CHECK_EQ(count_fds(), fds);
}

/* Closing a context frees what the application left in it. */
static void close_with_objects(void)
{
	static char buf[3][8192];
	struct ibv_context *ctx;
	struct ibv_pd *pd[2];
	int i, fds = count_fds();

	for (i = 0; i < 20; i++) {
		ctx = open_dev(TEST_DEV);
		pd[0] = ibv_alloc_pd(ctx);
		pd[1] = ibv_alloc_pd(ctx);
		REQUIRE(pd[0] && pd[1]);
		REQUIRE(ibv_reg_mr(pd[0], buf[0], 8192,
				   IBV_ACCESS_LOCAL_WRITE));
		REQUIRE(ibv_reg_mr(pd[0], buf[1], 8192,
				   IBV_ACCESS_LOCAL_WRITE |
					   IBV_ACCESS_REMOTE_WRITE));
		REQUIRE(ibv_reg_mr(pd[1], buf[2], 100, 0));
		REQUIRE(ibv_create_cq(ctx, 100, NULL, NULL, 0));
		REQUIRE(ibv_create_cq(ctx, 1, NULL, NULL, 0));
		CHECK_RET(ibv_close_device(ctx), 0);
	}
	CHECK_EQ(count_fds(), fds);
}

int main(void)
{
	int fds;

	test_env();
	fds = cycles();
	many();
	close_with_objects();
	/* Whatever the first cycle kept, nothing more. */
	CHECK_EQ(count_fds(), fds);
	return check_report("verbs_open_close");
}
