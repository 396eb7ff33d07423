/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What state.c offers the rest of the provider. */
#ifndef UROCE_STATE_H
#define UROCE_STATE_H

#include "providers/uroce/uroce.h"

/* Reads the port state in the calling thread's namespace */
int uroce_state_read(const struct uroce_device *dev,
		     struct uroce_port_state *st);

#endif /* UROCE_STATE_H */
