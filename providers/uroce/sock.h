/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What sock.c offers the rest of the provider. */
#ifndef UROCE_SOCK_H
#define UROCE_SOCK_H

#include "providers/uroce/dp.h"

int uroce_sock_attach(struct uroce_dp *dp, struct uroce_qp *qp);
void uroce_sock_detach(struct uroce_qp *qp);

/* Adds the context's multicast socket; NULL and errno on failure. */
struct uroce_sock *uroce_sock_add_mcast(struct uroce_dp *dp);
void uroce_sock_free(struct uroce_sock *s);

#endif /* UROCE_SOCK_H */
