// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Completion queues and completion channels: ibv_create_cq, ibv_resize_cq,
 * ibv_destroy_cq, ibv_create_comp_channel and ibv_destroy_comp_channel,
 * their bad arguments, and a channel that is still in use.
 */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <unistd.h>

#include "tests/lib/verbs.h"

#define CHECK_CQ_FAILS(call, err)             \
	do {                                  \
		int __fds = count_fds();      \
		CHECK_NULL(call, err);        \
		CHECK_EQ(count_fds(), __fds); \
	} while (0)

static int fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* No completion event is pending on @ch. */
static int channel_idle(struct ibv_comp_channel *ch)
{
	struct pollfd p = { .fd = ch->fd, .events = POLLIN };

	return poll(&p, 1, 0) == 0;
}

static void check_cq(struct ibv_context *ctx,
		     const struct ibv_device_attr *attr)
{
	struct ibv_wc wc[4];
	struct ibv_cq *cq, *cq2;
	int tag;

	cq = ibv_create_cq(ctx, 16, &tag, NULL, 0);
	REQUIRE(cq);
	CHECK(cq->context == ctx);
	CHECK(cq->cq_context == &tag);
	CHECK(cq->channel == NULL);
	CHECK(cq->cqe >= 16);
	CHECK(cq->cqe <= attr->max_cqe);

	/* Empty: nothing to poll. Arming without a channel is allowed. */
	CHECK_EQ(ibv_poll_cq(cq, 4, wc), 0);
	CHECK_EQ(ibv_poll_cq(cq, 0, wc), 0);
	CHECK_RET(ibv_req_notify_cq(cq, 0), 0);
	CHECK_RET(ibv_req_notify_cq(cq, 1), 0);

	/* Larger, smaller, one, the largest. */
	CHECK_RET(ibv_resize_cq(cq, 1000), 0);
	CHECK(cq->cqe >= 1000 && cq->cqe <= attr->max_cqe);
	CHECK_RET(ibv_resize_cq(cq, 8), 0);
	CHECK(cq->cqe >= 8 && cq->cqe <= attr->max_cqe);
	CHECK_RET(ibv_resize_cq(cq, 1), 0);
	CHECK(cq->cqe >= 1);
	CHECK_EQ(ibv_poll_cq(cq, 4, wc), 0);

	cq2 = ibv_create_cq(ctx, 1, NULL, NULL, 0);
	REQUIRE(cq2);
	CHECK(cq2 != cq);
	CHECK(cq2->handle != cq->handle);
	CHECK(cq2->cqe >= 1);
	CHECK_RET(ibv_destroy_cq(cq2), 0);

	/* Bad sizes leave the CQ as it was. */
	{
		int cqe = cq->cqe;

		CHECK_RET(ibv_resize_cq(cq, 0), EINVAL);
		CHECK_RET(ibv_resize_cq(cq, -1), EINVAL);
		CHECK_RET(ibv_resize_cq(cq, INT_MIN), EINVAL);
		if (attr->max_cqe < INT_MAX)
			CHECK_RET(ibv_resize_cq(cq, attr->max_cqe + 1), EINVAL);
		if (attr->max_cqe < INT_MAX)
			CHECK_RET(ibv_resize_cq(cq, INT_MAX), EINVAL);
		CHECK_EQ(cq->cqe, cqe);
		CHECK_EQ(ibv_poll_cq(cq, 4, wc), 0);
	}
	CHECK_RET(ibv_resize_cq(NULL, 16), EINVAL);
	CHECK_RET(ibv_destroy_cq(NULL), EINVAL);
	CHECK_RET(ibv_destroy_cq(cq), 0);
}

static void check_cq_bad(struct ibv_context *ctx,
			 const struct ibv_device_attr *attr)
{
	struct ibv_comp_channel *other_ch;
	struct ibv_context *other;

	CHECK_CQ_FAILS(ibv_create_cq(NULL, 16, NULL, NULL, 0), EINVAL);
	CHECK_CQ_FAILS(ibv_create_cq(ctx, 0, NULL, NULL, 0), EINVAL);
	CHECK_CQ_FAILS(ibv_create_cq(ctx, -1, NULL, NULL, 0), EINVAL);
	CHECK_CQ_FAILS(ibv_create_cq(ctx, INT_MIN, NULL, NULL, 0), EINVAL);
	if (attr->max_cqe < INT_MAX)
		CHECK_CQ_FAILS(ibv_create_cq(ctx, attr->max_cqe + 1, NULL, NULL,
					     0),
			       EINVAL);
	if (attr->max_cqe < INT_MAX)
		CHECK_CQ_FAILS(ibv_create_cq(ctx, INT_MAX, NULL, NULL, 0),
			       EINVAL);

	/* Completion vectors run from 0 to num_comp_vectors - 1. */
	CHECK(ctx->num_comp_vectors >= 1);
	CHECK_CQ_FAILS(ibv_create_cq(ctx, 16, NULL, NULL,
				     ctx->num_comp_vectors),
		       EINVAL);
	CHECK_CQ_FAILS(ibv_create_cq(ctx, 16, NULL, NULL, -1), EINVAL);
	CHECK_CQ_FAILS(ibv_create_cq(ctx, 16, NULL, NULL, INT_MAX), EINVAL);

	/* A channel of another context. */
	other = open_dev(TEST_DEV);
	other_ch = ibv_create_comp_channel(other);
	REQUIRE(other_ch);
	CHECK_CQ_FAILS(ibv_create_cq(ctx, 16, NULL, other_ch, 0), EINVAL);
	CHECK_RET(ibv_destroy_comp_channel(other_ch), 0);
	CHECK_RET(ibv_close_device(other), 0);
}

static void check_channels(struct ibv_context *ctx)
{
	struct ibv_comp_channel *ch, *ch2;
	struct ibv_cq *cq, *cq2, *ev_cq;
	void *ev_ctx;
	int fd, flags, tag;

	CHECK_NULL(ibv_create_comp_channel(NULL), EINVAL);
	CHECK_RET(ibv_destroy_comp_channel(NULL), EINVAL);

	ch = ibv_create_comp_channel(ctx);
	REQUIRE(ch);
	CHECK(ch->context == ctx);
	CHECK(ch->fd >= 0);
	fd = ch->fd;
	CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);

	/* An unused channel goes at once. */
	ch2 = ibv_create_comp_channel(ctx);
	REQUIRE(ch2);
	CHECK(ch2->fd != ch->fd);
	CHECK_RET(ibv_destroy_comp_channel(ch2), 0);

	/* Two CQs on one channel. */
	cq = ibv_create_cq(ctx, 32, &tag, ch, 0);
	REQUIRE(cq);
	CHECK(cq->channel == ch);
	cq2 = ibv_create_cq(ctx, 32, NULL, ch, 0);
	REQUIRE(cq2);
	CHECK_RET(ibv_req_notify_cq(cq, 0), 0);
	CHECK_RET(ibv_req_notify_cq(cq2, 1), 0);
	CHECK(channel_idle(ch));

	/* No event: a non-blocking wait says so. */
	flags = fcntl(fd, F_GETFL);
	REQUIRE(flags >= 0);
	REQUIRE(fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0);
	CHECK_ERRNO(ibv_get_cq_event(ch, &ev_cq, &ev_ctx), EAGAIN);
	REQUIRE(fcntl(fd, F_SETFL, flags) == 0);
	CHECK_ERRNO(ibv_get_cq_event(NULL, &ev_cq, &ev_ctx), EINVAL);
	CHECK_ERRNO(ibv_get_cq_event(ch, NULL, &ev_ctx), EINVAL);
	CHECK_ERRNO(ibv_get_cq_event(ch, &ev_cq, NULL), EINVAL);
	ibv_ack_cq_events(cq, 0);
	ibv_ack_cq_events(NULL, 1);

	/* Busy while a CQ uses it; unchanged by the refusal. */
	CHECK_RET(ibv_destroy_comp_channel(ch), EBUSY);
	CHECK(fd_is_open(fd));
	CHECK_RET(ibv_destroy_cq(cq2), 0);
	CHECK_RET(ibv_destroy_comp_channel(ch), EBUSY);
	CHECK(fd_is_open(fd));
	CHECK(ch->fd == fd && ch->context == ctx);
	CHECK_RET(ibv_resize_cq(cq, 64), 0);
	CHECK(cq->channel == ch);
	CHECK_RET(ibv_req_notify_cq(cq, 0), 0);

	/* The right order. */
	CHECK_RET(ibv_destroy_cq(cq), 0);
	CHECK_RET(ibv_destroy_comp_channel(ch), 0);
	CHECK(!fd_is_open(fd));
}

int main(void)
{
	struct ibv_device_attr attr, attr2;
	struct ibv_context *ctx;
	int fds;

	test_env();
	fds = count_fds();
	ctx = open_dev(TEST_DEV);
	REQUIRE(ibv_query_device(ctx, &attr) == 0);

	check_cq(ctx, &attr);
	check_cq_bad(ctx, &attr);
	check_channels(ctx);

	/* The context is unharmed. */
	CHECK_RET(ibv_query_device(ctx, &attr2), 0);
	CHECK_EQ(attr2.max_cqe, attr.max_cqe);
	CHECK_RET(ibv_close_device(ctx), 0);
	CHECK_EQ(count_fds(), fds);
	return check_report("verbs_cq");
}
