/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What sock.c offers the rest of the provider. */
#ifndef UROCE_SOCK_H
#define UROCE_SOCK_H

#include "providers/uroce/dp.h"
#include "util/steer_group.h"

int uroce_sock_attach(struct uroce_dp *dp, struct uroce_qp *qp);
void uroce_sock_detach(struct uroce_qp *qp);

/*
 * Adds a multicast socket: the context's (direct addressing, @fd -1) or
 * a group's around @fd ("wire roce", closed on failure); NULL and errno
 * on failure.
 */
struct uroce_sock *uroce_sock_add_mcast(struct uroce_dp *dp, int fd);
void uroce_sock_free(struct uroce_sock *s);

/* The QP of @s that @qpn names (or @s itself for a taken slot), or NULL. */
static inline struct uroce_qp *uroce_sock_qp(const struct uroce_sock *s,
					     uint32_t qpn)
{
	if (s->steer)
		return qpn >> STEER_QPN_SHIFT == s->tag &&
				       (qpn & ((1u << STEER_QPN_SHIFT) - 1)) <
					       UROCE_SOCK_SLOTS ?
			       s->slots[qpn & 0xff] :
			       NULL;
	return (qpn >> 8) == s->port ? s->slots[qpn & 0xff] : NULL;
}

#endif /* UROCE_SOCK_H */
