/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The processes of one network namespace that share a UDP port (4791) as one
 * SO_REUSEPORT group, each receiving the datagrams of its own QPNs.
 *
 * Every member owns a tag, and with it the QPNs tag << STEER_QPN_SHIFT | n
 * and the IB CM communication IDs tag << STEER_COMM_SHIFT | n. One member,
 * the leader, holds the abstract AF_UNIX name "uroce-steer:<addr>:<port>"
 * (abstract names are per network namespace, and vanish with their holder);
 * the others are connected to it, so that it learns at once when one of them
 * goes. After every change it finds where each member's socket sits in the
 * kernel's group (the kernel moves the last socket into a closed one's slot),
 * by sending probes that the program returns to the index they carry and
 * that the receivers answer over their connection, and attaches a new
 * program. When the leader goes, the first member to take the name leads.
 *
 * Members must share the effective UID of the port's sockets (the kernel's
 * rule for a reuseport group); the leader accepts no other. They must keep
 * reading their socket: a member that leaves probes unanswered holds up
 * every re-steering until it answers or goes.
 *
 * The leader tells each member when a program it attached reflects the
 * member's changes (its joining, its listeners): steer_group_join and
 * steer_group_listen return only then, within STEER_SETTLE_MS. The calls
 * are thread-safe: one thread may wait while others run the group and
 * answer its probes.
 */
#ifndef UROCE_UTIL_STEER_GROUP_H
#define UROCE_UTIL_STEER_GROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define STEER_QPN_SHIFT 10
#define STEER_COMM_SHIFT 18
/* The last tag would hold QPN 0xffffff (multicast); tag 0 holds 0 and 1. */
#define STEER_TAG_MAX ((1u << (24 - STEER_QPN_SHIFT)) - 2)
/* How long joining and (un)listening wait for the leader's program. */
#define STEER_SETTLE_MS 2000

struct steer_group;

struct steer_group_stats {
	bool leader;
	bool settled; /* leader: its program reflects every change it knows */
	uint32_t tag;
	uint64_t rounds; /* probe rounds the leader ran */
	uint64_t failed_rounds; /* inconsistent or unanswered: run again */
	uint64_t attaches; /* programs attached */
	uint32_t members; /* sockets the last program steers to */
};

/*
 * Binds a UDP socket to @addr with SO_REUSEPORT in the calling thread's
 * network namespace and joins the group: becomes its leader or registers with
 * it, and returns once the leader's program steers this member's tag to its
 * socket (the calling thread answers the probes meanwhile). Returns NULL
 * with errno set: EADDRINUSE when the port belongs to another UID (or to a
 * socket without SO_REUSEPORT), ETIMEDOUT when the leader does not answer
 * or does not steer to us within STEER_SETTLE_MS.
 */
struct steer_group *steer_group_join(const struct sockaddr *addr,
				     socklen_t addrlen);

/* Closes the member's sockets; the leader (maybe another) re-steers. */
void steer_group_leave(struct steer_group *g);

/* The member's UDP socket on the shared port: its datagrams arrive here. */
int steer_group_udp_fd(const struct steer_group *g);

/* Poll it for POLLIN, and call steer_group_run when ready. */
int steer_group_fd(const struct steer_group *g);

/* Milliseconds until steer_group_run must run even without events, or -1. */
int steer_group_timeout(struct steer_group *g);

/* Handles control messages and timers, never blocks: 0 or -errno. */
int steer_group_run(struct steer_group *g);

/*
 * Call on every datagram received on the UDP socket: true if it was a
 * membership probe (consumed: answered, not for the transport).
 */
bool steer_group_rx(struct steer_group *g, const void *buf, size_t len);

uint32_t steer_group_tag(const struct steer_group *g);

/*
 * REQ and SIDR_REQ to @service_id come to this member (or no longer):
 * returns once the program does so, 0, or -ETIMEDOUT after STEER_SETTLE_MS
 * (the change stays asked for), or -errno. Other threads must keep running
 * the group and reading its socket meanwhile: do not call with the lock
 * they take for steer_group_run or steer_group_rx.
 */
int steer_group_listen(struct steer_group *g, uint64_t service_id);
int steer_group_unlisten(struct steer_group *g, uint64_t service_id);

/*
 * The same without waiting, for a caller that holds such a lock: it then
 * releases it and calls steer_group_settle.
 */
int steer_group_listen_nowait(struct steer_group *g, uint64_t service_id);
int steer_group_unlisten_nowait(struct steer_group *g, uint64_t service_id);

/*
 * Waits until the program reflects every change this member asked for
 * before the call: 0, or -ETIMEDOUT after STEER_SETTLE_MS.
 */
int steer_group_settle(struct steer_group *g);

void steer_group_stats(struct steer_group *g, struct steer_group_stats *stats);

#endif
