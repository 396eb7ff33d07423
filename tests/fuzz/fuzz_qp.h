/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the fuzz targets that drive live QPs share: uroce_lo of the
 * fuzzer's own process, a PD, a CQ, an MR over FUZZ_MR_LEN bytes at IOVA 0
 * (every access; windows may bind to it), and a UDP socket on 127.0.0.1
 * standing in for the QPs' peer.
 */
#ifndef UROCE_FUZZ_QP_H
#define UROCE_FUZZ_QP_H
#include <netinet/in.h>
#include <stdint.h>

#include <infiniband/verbs.h>

#define FUZZ_MR_LEN (64 * 1024)
#define FUZZ_QKEY 0x11111111u

extern struct ibv_context *fuzz_ctx;
extern struct ibv_pd *fuzz_pd;
extern struct ibv_cq *fuzz_cq;
extern struct ibv_mr *fuzz_mr;
extern uint8_t *fuzz_mem; /* the MR's memory, IOVA 0 */
extern int fuzz_peer_fd;
extern uint16_t fuzz_peer_port;
extern struct in6_addr fuzz_lo_addr; /* ::ffff:127.0.0.1 */

void fuzz_die(const char *what);

/* Opens the device and makes the objects above; exits on failure. */
void fuzz_setup(void);

/*
 * A QP of @type on @srq (NULL: none) in RTS, PSNs 0, its peer the peer
 * socket, @nrecv receive WRs of 4 KiB from IOVA 32K posted on its own
 * receive queue, path MTU @mtu (RC, UC), Q_Key FUZZ_QKEY (UD).
 */
struct ibv_qp *fuzz_qp_rts(enum ibv_qp_type type, struct ibv_srq *srq,
			   enum ibv_mtu mtu, unsigned int nrecv);

struct uroce_qp;
struct uroce_pkt;

/*
 * Hands @pkt to @qp as the socket drain does: under the socket's lock,
 * then the ACK; member -1, uroce_lo is no LAG. The ICRC is not checked
 * (the codec's, fuzzed by fuzz_pkt).
 */
void fuzz_deliver_pkt(struct uroce_qp *qp, struct uroce_pkt *pkt,
		      const struct sockaddr_in6 *from);

/* Polls the CQ empty and throws away what reached the peer. */
void fuzz_drain(void);

#endif /* UROCE_FUZZ_QP_H */
