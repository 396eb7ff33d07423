/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What netns.c offers the rest of the provider. */
#ifndef UROCE_NETNS_H
#define UROCE_NETNS_H

#include "providers/uroce/dp.h"

enum uroce_sock_kind {
	UROCE_SOCK_QP, /* an ephemeral port, for QPs (direct addressing) */
	UROCE_SOCK_MCAST, /* the multicast port's, shared */
	UROCE_SOCK_ROCE, /* a member of the group on port 4791: *@group */
	/* "wire roce": send-only, on a flow's source port (sport.c) */
	UROCE_SOCK_SPORT,
	/*
	 * "wire roce": a multicast group's, unbound (mcast.c binds it to
	 * the group's address at port 4791)
	 */
	UROCE_SOCK_MCAST_ROCE,
};

/*
 * A socket in the context's namespace: its fd, or -errno. For
 * UROCE_SOCK_ROCE the fd is the group's (steer_group_udp_fd), closed by
 * steer_group_leave.
 */
int uroce_netns_socket(struct uroce_dp *dp, enum uroce_sock_kind kind,
		       struct steer_group **group);

/* A UROCE_SOCK_SPORT socket bound to @port: its fd, or -errno. */
int uroce_netns_sport_socket(struct uroce_dp *dp, uint16_t port);

/* From the engine thread: opens the socket another thread asked for. */
void uroce_netns_serve(struct uroce_dp *dp);

#endif /* UROCE_NETNS_H */
