/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What netns.c offers the rest of the provider. */
#ifndef UROCE_NETNS_H
#define UROCE_NETNS_H

#include "providers/uroce/dp.h"

/* A socket in the context's namespace; @mcast: the multicast port's. */
int uroce_netns_socket(struct uroce_dp *dp, bool mcast);

/* From the engine thread: opens the socket another thread asked for. */
void uroce_netns_serve(struct uroce_dp *dp);

#endif /* UROCE_NETNS_H */
