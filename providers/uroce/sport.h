/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* "wire roce": the UDP source ports of a context's flows (sport.c). */
#ifndef UROCE_SPORT_H
#define UROCE_SPORT_H

#include "providers/uroce/dp.h"

/* An RC or UC QP's port once it has a peer, as the kernel's rxe picks it. */
uint16_t uroce_sport_flow(uint32_t flow_label, uint32_t qpn, uint32_t dqpn);
/* A QP's port before that, and a UD QP's. */
uint16_t uroce_sport_qp(uint32_t qpn);

/*
 * The socket to send from @port, opened at its first use: its fd, and
 * *@port unchanged; -1 and *@port 4791 when it cannot be bound (another
 * user holds the port): the 4791 socket sends. Not under a QP's lock:
 * it may wait for the engine thread (netns.c).
 */
int uroce_sport_fd(struct uroce_dp *dp, uint16_t *port);

/* Makes @qp send from @port's socket @fd (uroce_sport_fd). */
void uroce_sport_set(struct uroce_qp *qp, int fd, uint16_t port);

/* Closes the context's source port sockets. */
void uroce_sport_close(struct uroce_dp *dp);

#endif /* UROCE_SPORT_H */
