/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Shared by the connection manager's hostile tests (cm_forge, cm_flood,
 * cm_icmp): the clock, dying, waiting for an event, a small QP, and a
 * client's way from an address to the answer to its request.
 */
#ifndef HOSTILE_CM_COMMON_H
#define HOSTILE_CM_COMMON_H

#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <rdma/rdma_cma.h>

#include "tests/cm/parse_addr.h"

static inline double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static inline void die(const char *what)
{
	perror(what);
	exit(2);
}

/* The next CM event within @ms, or -1 (none came). */
static inline int next_event(struct rdma_event_channel *ch, int ms,
			     struct rdma_cm_event **ev)
{
	struct pollfd p = { .fd = ch->fd, .events = POLLIN };

	if (poll(&p, 1, ms) <= 0)
		return -1;
	if (rdma_get_cm_event(ch, ev))
		die("rdma_get_cm_event");
	return 0;
}

/* An RC QP of four work requests, its CQs made by librdmacm. */
static inline int make_qp(struct rdma_cm_id *id)
{
	struct ibv_qp_init_attr a = { .qp_type = IBV_QPT_RC,
				      .cap = { .max_send_wr = 4,
					       .max_recv_wr = 4,
					       .max_send_sge = 1,
					       .max_recv_sge = 1 } };

	return rdma_create_qp(id, NULL, &a);
}

/*
 * Resolves @id's way to @addr:@port, gives it a QP if @qp, connects, and
 * returns the event that answers within @ms.
 */
static inline enum rdma_cm_event_type connect_to(struct rdma_event_channel *ch,
						 struct rdma_cm_id *id,
						 const char *addr, int port,
						 bool qp, int ms)
{
	struct rdma_conn_param cp = { .retry_count = 7 };
	enum rdma_cm_event_type type;
	struct sockaddr_storage ss;
	struct rdma_cm_event *ev;

	if (parse_addr(addr, (uint16_t)port, &ss) ||
	    rdma_resolve_addr(id, NULL, (struct sockaddr *)&ss, 2000) ||
	    next_event(ch, 5000, &ev) ||
	    ev->event != RDMA_CM_EVENT_ADDR_RESOLVED)
		die("connect: resolve_addr");
	rdma_ack_cm_event(ev);
	if (rdma_resolve_route(id, 2000) || next_event(ch, 5000, &ev) ||
	    ev->event != RDMA_CM_EVENT_ROUTE_RESOLVED)
		die("connect: resolve_route");
	rdma_ack_cm_event(ev);
	if (qp && make_qp(id))
		die("rdma_create_qp");
	if (rdma_connect(id, &cp))
		die("rdma_connect");
	if (next_event(ch, ms, &ev))
		die("connect: no answer");
	type = ev->event;
	rdma_ack_cm_event(ev);
	return type;
}

#endif /* HOSTILE_CM_COMMON_H */
