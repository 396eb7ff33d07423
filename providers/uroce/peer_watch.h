/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What peer_watch.c offers the rest of the provider. */
#ifndef UROCE_PEER_WATCH_H
#define UROCE_PEER_WATCH_H

#include <stdbool.h>
#include <stdint.h>

struct uroce_dp;
struct uroce_qp;

/* How often the engine checks that watched peers' sockets still exist. */
#define UROCE_PEER_WATCH_NS (100ull * 1000 * 1000)

/*
 * A local RC/UC peer's socket, as the kernel's socket diagnostics showed
 * it when the QP moved to RTR; in struct uroce_qp, under qp->lock.
 */
struct uroce_peer_sock {
	bool on; /* the peer's address is one of the namespace's */
	bool absent; /* nothing held the peer's port at RTR */
	bool by_uid; /* "wire roce": any socket of @uid at the source port */
	uint32_t cookie[2]; /* the kernel's socket cookie */
	uint32_t ino, uid;
	uint16_t port; /* the source port last verified, network order */
	uint64_t checked_ns; /* when it was last found there */
};

/* Opens the context's diagnostic sockets: in its namespace (engine.c). */
int uroce_peer_watch_open(struct uroce_dp *dp);
void uroce_peer_watch_close(struct uroce_dp *dp);

/* @qp moves to RTR (under qp->lock): watch its peer if it is local. */
void uroce_peer_watch_arm(struct uroce_qp *qp);
/* @qp leaves the connected states (RESET, ERR): stop watching. */
void uroce_peer_watch_disarm(struct uroce_qp *qp);

/*
 * A packet for watched @qp from @port (network order) received from its
 * socket after @rx_ns; under qp->lock. 0 when its sender is the peer's
 * socket, else the drop reason; *@gone when the peer's socket has gone
 * and @qp was moved to ERR (the caller posts IBV_EVENT_QP_FATAL once it
 * has released qp->lock).
 */
int uroce_peer_watch_rx(struct uroce_qp *qp, uint16_t port, uint64_t rx_ns,
			bool *gone);

/*
 * The engine's pass over the watched QPs when due: returns the ms until
 * the next pass, or -1 when nothing is watched.
 */
int uroce_peer_watch_tick(struct uroce_dp *dp, uint64_t now);

/* Posts IBV_EVENT_QP_FATAL for @qp (without its lock held). */
void uroce_peer_watch_event(struct uroce_qp *qp);

#endif /* UROCE_PEER_WATCH_H */
