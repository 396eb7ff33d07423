/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Shared by the hostile peer test's three roles (victim, peer, attacker):
 * rendezvous through files in a directory all of them see, verbs setup,
 * and reading a context's counters from its query endpoint.
 */
#ifndef HOSTILE_COMMON_H
#define HOSTILE_COMMON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>
#include <infiniband/verbs.h>

#include "tests/lib/check.h"
#include "tests/lib/clock.h"
#include "tests/lib/qp.h"
#include "tests/lib/verbs.h"

#define QKEY 0x11110000u
#define WAIT_SEC 60

/* Writes @text to DIR/@name atomically (a rename). */
void put_file(const char *dir, const char *name, const char *text);
/* Waits for DIR/@name and returns its contents (malloc'ed). */
char *wait_file(const char *dir, const char *name);
bool have_file(const char *dir, const char *name);
/* The integer after "@key " at the start of a line of @text, or -1. */
long long get_val(const char *text, const char *key);

/* The IPv4-mapped GID of dotted address @ip. */
void ip_gid(const char *ip, union ibv_gid *gid);

/* The tests/lib/qp.h transitions with the settings of QP type @type. */
void qp_init(struct ibv_qp *qp, enum ibv_qp_type type);
void qp_rtr(struct ibv_qp *qp, const union ibv_gid *dgid, uint32_t dqpn,
	    uint32_t rq_psn);
void qp_rts(struct ibv_qp *qp, uint32_t sq_psn);
void qp_to(struct ibv_qp *qp, enum ibv_qp_state st);
/* The source GID index of RC and UC transitions from now on (0 first). */
void qp_sgid_index(uint8_t index);

/*
 * The reply of process @pid's query endpoint named @prefix... ("uroce-ep/"
 * for a verbs context, util/endpoint.h; "uroce-cm/" for librdmacm),
 * malloc'ed, or NULL. Lines "qp ... qpn=N ...", "stat ...".
 */
char *ep_read(const char *prefix, int pid);
/* A counter of QP @qpn (or the device's, @qpn < 0) in an endpoint reply. */
long long ep_counter(const char *reply, long long qpn, const char *key);

/* Fills @p with bytes derived from @seed and the offset. */
void pattern(uint8_t *p, size_t n, uint32_t seed);

struct uroce_pkt;
/*
 * Sends @p to QPN @dqpn at @dst:@dport (host order) from socket @fd, bound
 * to @src:@sport, with @paylen bytes of 0xee and a valid ICRC (craft.c,
 * with the packet codec).
 */
void craft_send(int fd, struct in_addr src, uint16_t sport, struct in_addr dst,
		uint16_t dport, uint32_t dqpn, struct uroce_pkt *p,
		uint32_t paylen);

#endif /* HOSTILE_COMMON_H */
