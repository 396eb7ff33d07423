/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What monitor.c offers the rest of the provider. */
#ifndef UROCE_MONITOR_H
#define UROCE_MONITOR_H

#include "providers/uroce/uroce.h"

int uroce_monitor_start(struct uroce_context *ctx);
void uroce_monitor_stop(struct uroce_context *ctx);

#endif /* UROCE_MONITOR_H */
