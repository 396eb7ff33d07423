/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What fault.c offers the rest of the provider. */
#ifndef UROCE_FAULT_H
#define UROCE_FAULT_H

#include <stdbool.h>
#include <sys/socket.h>

#include "providers/uroce/counters.h"

void uroce_fault_init(void);
bool uroce_fault_on(void);

/* Reorders, duplicates or drops entries of @msg; returns the new count. */
unsigned int uroce_fault_apply(struct uroce_counters *cnt, struct mmsghdr *msg,
			       unsigned int n, struct mmsghdr *out);

#endif /* UROCE_FAULT_H */
