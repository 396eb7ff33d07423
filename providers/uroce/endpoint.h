/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What endpoint.c, ep_reply.c offer the rest of the provider. */
#ifndef UROCE_ENDPOINT_H
#define UROCE_ENDPOINT_H

#include "providers/uroce/uroce.h"

/* The query endpoint of util/endpoint.h */
int uroce_ep_open(struct uroce_context *ctx);

/* Answers the clients waiting on ctx->ep_fd; from the monitor thread. */
void uroce_ctx_ep_serve(struct uroce_context *ctx);

/* A growing text buffer; a failed allocation sets @oom and stops it. */
struct uroce_buf {
	char *p;
	size_t len, cap;
	bool oom;
};
void uroce_buf_printf(struct uroce_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The reply to a query, everything after the header line */
void uroce_ep_reply(struct uroce_context *ctx, struct uroce_buf *b);

#endif /* UROCE_ENDPOINT_H */
