// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The query endpoint of a context (util/endpoint.h): an abstract unix
 * socket in the context's network namespace, answered by the monitor
 * thread, so that a query never runs on an application's thread and never
 * stops its traffic. The endpoint reads nothing from its clients: no input
 * can change state.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/endpoint.h"
#include "util/log.h"
#include "providers/uroce/endpoint.h"
#include "providers/uroce/uroce.h"

#define EP_BACKLOG 16

static atomic_uint ep_next_id;

int uroce_ep_open(struct uroce_context *ctx)
{
	int fd = uroce_ep_listen(UROCE_EP_PREFIX, EP_BACKLOG);

	if (fd < 0)
		return -fd;
	ctx->ep_fd = fd;
	ctx->ep_id = atomic_fetch_add(&ep_next_id, 1);
	return 0;
}

static void answer(void *arg, int fd)
{
	struct uroce_context *ctx = arg;
	char hdr[UROCE_EP_HEADER_MAX];
	struct uroce_buf b = {};

	uroce_ep_header(hdr, sizeof(hdr), UROCE_EP_HEADER, UROCE_EP_VERSION);
	uroce_buf_printf(&b, "%s", hdr);
	uroce_ep_reply(ctx, &b);
	uroce_buf_printf(&b, "end\n");
	/* Half a reply would mislead: without the end line it is refused. */
	if (!b.oom)
		uroce_ep_send(fd, b.p, b.len);
	free(b.p);
}

void uroce_ctx_ep_serve(struct uroce_context *ctx)
{
	uroce_ep_serve(ctx->ep_fd, answer, ctx);
}
