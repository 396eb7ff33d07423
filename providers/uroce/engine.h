/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What engine.c offers the rest of the provider. */
#ifndef UROCE_ENGINE_H
#define UROCE_ENGINE_H

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"
#include "providers/uroce/dp.h"

int uroce_engine_start(struct uroce_context *ctx);
void uroce_engine_stop(struct uroce_context *ctx);

/*
 * Wakes the engine: a timer was armed while it slept, or it has a socket
 * to open. Only the eventfd's write: who wakes it does not call into it.
 */
static inline void uroce_engine_kick(struct uroce_dp *dp)
{
	uint64_t one = 1;

	if (write(dp->evfd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		uroce_warn("engine kick: %s", strerror(errno));
}

#endif /* UROCE_ENGINE_H */
