/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Between uroce's libibverbs and its librdmacm (version UROCE_PRIVATE_1,
 * not installed). An application may destroy a CM ID's QP with
 * ibv_destroy_qp instead of rdma_destroy_qp (rping does); the kernel's
 * CM holds a reference on the QP, uroce's connection manager is told
 * first and forgets it.
 */
#ifndef UROCE_QP_HOOK_H
#define UROCE_QP_HOOK_H

#include <infiniband/verbs.h>

/* @fn runs at the start of every ibv_destroy_qp, with nothing locked. */
void uroce_set_destroy_qp_hook(void (*fn)(struct ibv_qp *qp));

#endif
