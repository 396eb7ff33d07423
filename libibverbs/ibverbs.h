/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* libibverbs internals shared between its source files. */
#ifndef UROCE_IBVERBS_H
#define UROCE_IBVERBS_H

#include <errno.h>

#include <infiniband/uroce_private.h>

#include "driver.h"

/* Hangs off verbs_context.priv: what the library keeps per context. */
struct verbs_ex_private {
	struct verbs_context_ops ops;
	int async_wfd; /* write end of the async event pipe */
};

/* A completion channel and the write end of its pipe. */
struct verbs_comp_channel {
	struct ibv_comp_channel channel;
	int wfd;
};

/* What travels through the async event pipe. */
struct verbs_async_rec {
	struct ibv_async_event event;
};

extern const struct verbs_context_ops verbs_dummy_ops;

/*
 * What binaries from before port_cap_flags2 pass to ibv_query_port(): the
 * struct up to and including 'flags'.
 */
#define COMPAT_PORT_ATTR_LEN offsetof(struct ibv_port_attr, port_cap_flags2)

static inline struct verbs_ex_private *verbs_priv(struct ibv_context *ctx)
{
	/* Every context is a verbs_context: skip verbs_get_ctx()'s check. */
	return ((struct verbs_context *)((char *)ctx -
					 offsetof(struct verbs_context,
						  context)))
		->priv;
}

static inline const struct verbs_context_ops *get_ops(struct ibv_context *ctx)
{
	return &verbs_priv(ctx)->ops;
}

/* provider.c */
int verbs_load_providers(const struct verbs_provider ***list);

/* device.c */
void verbs_device_put(struct verbs_device *vdev);

#endif /* UROCE_IBVERBS_H */
