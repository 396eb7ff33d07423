/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The limits a uroce device reports in ibv_query_device and enforces. The
 * values follow the kernel's soft-RoCE (rxe) in spirit, sized for memory a
 * process can afford rather than for hardware tables:
 *
 * - QPs: a QP number is (udp_port << 8) | slot, 256 per socket; 64K QPs
 *   is 256 sockets per context.
 * - Work requests, CQEs, SRQ WRs: rings live in the process's memory, a
 *   CQE is 48 bytes; 16K WRs and 64K-1 CQEs (a 3 MiB ring) per queue.
 * - SGEs: 32, as rxe.
 * - MRs: 1M keys per context; the key table grows with use. An MR may
 *   cover the whole address space (max_mr_size is all ones).
 * - RDMA READ/atomic responder resources: 128 per QP, as rxe.
 * - Multicast: rxe's figures (mcast.c: groups and QPs per group).
 * - Memory windows: 64K per context, types 1 and 2B as rxe (mw.c).
 * - No EE contexts, RDDs, raw QPs or FMRs (all 0).
 */
#ifndef UROCE_CAPS_H
#define UROCE_CAPS_H

#define UROCE_VENDOR_ID 0xffffff /* no IEEE OUI, as rxe */
#define UROCE_VENDOR_PART_ID 0
#define UROCE_HW_VER 0
#define UROCE_PAGE_SIZE_CAP 0xfffff000ull /* 4 KiB .. 2 GiB pages */

#define UROCE_MAX_QP (1 << 16)
/*
 * A context of a "wire roce" device: its QPs share one socket of 256
 * slots, numbered from its steering tag (sock.c).
 */
#define UROCE_ROCE_MAX_QP 256
#define UROCE_MAX_QP_WR (1 << 14)
#define UROCE_MAX_SGE 32
#define UROCE_MAX_SGE_RD 32
#define UROCE_MAX_CQ (1 << 14)
/* libfabric's rxm asks 2^18 entries of its MSG CQs (mlx5 allows 2^22) */
#define UROCE_MAX_CQE ((1 << 20) - 1)
#define UROCE_MAX_MR (1 << 20)
#define UROCE_MAX_PD (1 << 16)
#define UROCE_MAX_MW (1 << 16)
#define UROCE_MAX_QP_RD_ATOM 128
#define UROCE_MAX_QP_INIT_RD_ATOM 128
#define UROCE_MAX_RES_RD_ATOM (UROCE_MAX_QP_RD_ATOM * 2016) /* rxe's */
#define UROCE_MAX_MCAST_GRP 8192
/*
 * "wire roce": a context's groups have a socket each beside its 4791 one,
 * in its table of 256 (dp.h, UROCE_MAX_SOCKS; mcast.c).
 */
#define UROCE_ROCE_MAX_MCAST_GRP 255
#define UROCE_MAX_MCAST_QP_ATTACH 56
#define UROCE_MAX_TOTAL_MCAST_QP_ATTACH \
	(UROCE_MAX_MCAST_GRP * UROCE_MAX_MCAST_QP_ATTACH)
#define UROCE_MAX_AH ((1 << 15) - 1)
#define UROCE_MAX_SRQ (1 << 16)
#define UROCE_MAX_SRQ_WR (1 << 14)
#define UROCE_MAX_SRQ_SGE 32
#define UROCE_MAX_PKEYS 1
#define UROCE_LOCAL_CA_ACK_DELAY 15 /* 4.096 us * 2^15 = 134 ms */

#endif /* UROCE_CAPS_H */
