/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Steering of RoCE v2 datagrams among the processes that share UDP port 4791
 * in one network namespace: a classic BPF program for the port's SO_REUSEPORT
 * group that returns, for each datagram, the group index of the socket whose
 * process owns the destination QPN. It needs no privilege
 * (SO_ATTACH_REUSEPORT_CBPF). The kernel runs it on the UDP payload:
 *
 *   BTH          bytes 0..11, destination QPN in bytes 5..7
 *   DETH         bytes 12..19 (UD, so every GSI datagram)
 *   MAD header   bytes 20..43: management class at 21, attribute ID at 36
 *   CM message   bytes 44..: REQ and SIDR_REQ carry the service ID at 52;
 *                SIDR_REP the requester's ID at 44; the others the remote
 *                communication ID (the one the receiver chose) at 48
 *
 * QP 1 (the GSI) is shared by every process, so its IB CM MADs are steered by
 * what they refer to: a REQ to the process listening on its service ID, every
 * other CM message to the process that chose its communication ID. A return
 * value at or beyond the group's size makes the kernel pick a socket by hash.
 */
#ifndef UROCE_UTIL_QPN_STEER_H
#define UROCE_UTIL_QPN_STEER_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* No socket has this index: the kernel falls back to its hash. */
#define QPN_STEER_HASH 0xffffffffu

/*
 * A membership probe: 16 bytes, BTH opcode 0xff (manufacturer-specific, never
 * sent by a RoCE peer), then "URP", then the group index the program returns
 * for it, then a nonce the probing process checks in the answer.
 */
#define QPN_STEER_PROBE_MAGIC 0xff555250u
#define QPN_STEER_PROBE_LEN 16

/* Inclusive range of keys (QPNs or communication IDs) owned by @index. */
struct qpn_steer_range {
	uint32_t lo;
	uint32_t hi;
	uint32_t index;
};

struct qpn_steer_svc {
	uint64_t service_id;
	uint32_t index;
};

struct qpn_steer_map {
	/* Sorted by lo, disjoint. */
	const struct qpn_steer_range *qpn;
	size_t nr_qpn;
	/* CM communication IDs (and SIDR request IDs); sorted, disjoint. */
	const struct qpn_steer_range *comm_id;
	size_t nr_comm_id;
	/* Listeners: where REQ and SIDR_REQ for each service ID go. */
	const struct qpn_steer_svc *svc;
	size_t nr_svc;
	/* GSI MADs nothing above claims (REQ without a listener, not CM). */
	uint32_t gsi;
	/* Unknown QPN or truncated datagram. */
	uint32_t miss;
	/* Answer probes with the index they carry. */
	bool probe;
};

/*
 * Compiles @map into at most @max (<= BPF_MAXINSNS) instructions at @insns.
 * Returns the instruction count, -EINVAL for an unsorted or overlapping
 * table, -E2BIG when the program does not fit.
 */
int qpn_steer_build(const struct qpn_steer_map *map, struct sock_filter *insns,
		    size_t max);

/*
 * Sets the program of @fd's reuseport group (shared by all its sockets,
 * replacing whatever a member attached before): 0 or -errno.
 */
int qpn_steer_attach(int fd, const struct sock_filter *insns, size_t count);

/* Writes a probe for @index with @nonce into @buf (QPN_STEER_PROBE_LEN). */
void qpn_steer_probe_make(uint8_t *buf, uint32_t index, uint64_t nonce);

/* True if @buf is a probe; then its index and nonce are stored. */
bool qpn_steer_probe_parse(const uint8_t *buf, size_t len, uint32_t *index,
			   uint64_t *nonce);

#endif
