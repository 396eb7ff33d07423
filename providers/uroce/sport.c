// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * "wire roce" source ports. RoCE v2 spreads flows over ECMP paths by UDP
 * source port; uroce picks each QP's as the kernel's rxe does, and sends
 * from a send-only socket bound to it (netns.c), shared by the QPs of
 * the context that hash to the same port. Sockets open at a port's first
 * use and stay until the context closes: at most 16384 ports.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "providers/uroce/netns.h"
#include "providers/uroce/sport.h"
#include "providers/uroce/uroce.h"
#include "util/log.h"

#define SPORT_MIN 0xc000 /* the RoCE v2 source port range's start */
#define FLOW_LABEL_MASK 0xfffff
#define GOLDEN_RATIO_32 0x61c88647u

struct uroce_sport {
	uint16_t port;
	int fd; /* -1: it could not be bound, the 4791 socket sends */
};

/* A flow label made of the two QPNs when the application gave none. */
uint16_t uroce_sport_flow(uint32_t flow_label, uint32_t qpn, uint32_t dqpn)
{
	uint64_t v;
	uint32_t fl = flow_label & FLOW_LABEL_MASK;

	if (!fl) {
		v = (uint64_t)qpn * dqpn;
		v ^= v >> 20;
		v ^= v >> 40;
		fl = (uint32_t)v & FLOW_LABEL_MASK;
	}
	/* The label's 20 bits folded into the 14 of the port range. */
	return (uint16_t)(SPORT_MIN | ((fl & 0x3fff) ^ ((fl & 0xfc000) >> 14)));
}

uint16_t uroce_sport_qp(uint32_t qpn)
{
	return (uint16_t)(SPORT_MIN +
			  (((qpn * GOLDEN_RATIO_32) >> 18) & 0x3fff));
}

/* @port's socket, opening it; -1 if it cannot be. Under sock_lock. */
static int sport_fd(struct uroce_dp *dp, uint16_t port)
{
	struct uroce_sport *t;
	unsigned int i;
	int fd;

	for (i = 0; i < dp->nsports; i++)
		if (dp->sports[i].port == port)
			return dp->sports[i].fd;
	t = realloc(dp->sports, (dp->nsports + 1) * sizeof(*t));
	if (!t)
		return -1;
	dp->sports = t;
	fd = uroce_netns_sport_socket(dp, port);
	if (fd < 0) {
		uroce_warn("source port %u: %s, sending from %u", port,
			   strerror(-fd), UROCE_ROCE_PORT);
		fd = -1;
	}
	t[dp->nsports].port = port;
	t[dp->nsports].fd = fd;
	dp->nsports++;
	return fd;
}

int uroce_sport_fd(struct uroce_dp *dp, uint16_t *port)
{
	int fd;

	pthread_mutex_lock(&dp->sock_lock);
	fd = sport_fd(dp, *port);
	pthread_mutex_unlock(&dp->sock_lock);
	if (fd < 0)
		*port = UROCE_ROCE_PORT;
	return fd;
}

void uroce_sport_set(struct uroce_qp *qp, int fd, uint16_t port)
{
	qp->txb.fd = fd < 0 ? qp->sock->fd : fd;
	qp->sport = port;
}

void uroce_sport_close(struct uroce_dp *dp)
{
	unsigned int i;

	for (i = 0; i < dp->nsports; i++)
		if (dp->sports[i].fd >= 0)
			close(dp->sports[i].fd);
	free(dp->sports);
	dp->sports = NULL;
	dp->nsports = 0;
}
