// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzz target: delivery to several live QPs at once, the path MTU the
 * input's, receive queues and a shared receive queue, and the multicast
 * path (uroce_mcast_rx for a group, as the multicast socket's drain calls
 * it). Packets are decoded (uroce_pkt_parse) and handed over as the
 * socket drain does (uroce_deliver), ACKs flushed after each.
 *
 * The device is uroce_lo of the fuzzer's own process. Every input gets
 * fresh QPs, all in RTS, PSNs 0, the RC and UC QPs' peer a UDP socket of
 * the fuzzer on 127.0.0.1, UD Q_Keys FUZZ_QKEY:
 *
 *   0 RC   1 UC   2 UD   3 RC on the SRQ   4 UD on the SRQ
 *   5 the multicast group FUZZ_GROUP, to which QPs 2 and 4 are attached
 *
 *   byte 0  bits 0-2  the RC and UC QPs' path MTU: 256 << (b % 5)
 *           bit 3     receive WRs on the QPs' own receive queues
 *           bit 4     a SEND, an RDMA WRITE and an RDMA READ posted on
 *                     QPs 0, 1 and 3 (what the completer waits for)
 *           bit 5     the packets come from another port than the peer's
 *           bit 6     RETH and AtomicETH keys replaced by the MR's rkey
 *           bit 7     the SRQ armed with a limit of 1
 *   byte 1  receive WRs on the SRQ: b % 9
 *   then    packets, 16 at most: a byte choosing the destination (% 6,
 *           above: the QPN is made the QP's, or the group's), a 2-byte
 *           big-endian length and that many bytes (BTH ... ICRC).
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/uroce/dp.h"
#include "providers/uroce/mcast.h"
#include "providers/uroce/uroce.h"
#include "tests/fuzz/fuzz_qp.h"

#define RECV_LEN 4096
#define NRECV 4
#define MAX_PKTS 16
#define NQPS 5
#define GROUP 5

static union ibv_gid group; /* ::ffff:239.1.2.3 */
static uint8_t *pktbuf;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_setup();
	pktbuf = malloc(65536);
	if (!pktbuf)
		fuzz_die("malloc");
	group.raw[10] = 0xff;
	group.raw[11] = 0xff;
	group.raw[12] = 239;
	group.raw[13] = 1;
	group.raw[14] = 2;
	group.raw[15] = 3;
	return 0;
}

static void post_srq_recv(struct ibv_srq *srq, uint64_t id)
{
	struct ibv_sge sge = { .length = RECV_LEN, .lkey = fuzz_mr->lkey };
	struct ibv_recv_wr wr = { .wr_id = id, .sg_list = &sge, .num_sge = 1 };
	struct ibv_recv_wr *bad;

	sge.addr = 32 * 1024 + (id % 8) * RECV_LEN; /* an IOVA */
	ibv_post_srq_recv(srq, &wr, &bad);
}

/* A SEND, an RDMA WRITE and an RDMA READ; failures (UC READ) are fine. */
static void post_sends(struct ibv_qp *qp)
{
	static const enum ibv_wr_opcode ops[] = { IBV_WR_SEND,
						  IBV_WR_RDMA_WRITE,
						  IBV_WR_RDMA_READ };
	struct ibv_send_wr wr, *bad;
	struct ibv_sge sge;
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		memset(&wr, 0, sizeof(wr));
		sge.addr = 4096 * i; /* an IOVA */
		sge.length = 3000;
		sge.lkey = fuzz_mr->lkey;
		wr.wr_id = 100 + i;
		wr.sg_list = &sge;
		wr.num_sge = 1;
		wr.opcode = ops[i];
		wr.send_flags = IBV_SEND_SIGNALED;
		wr.wr.rdma.remote_addr = 4096;
		wr.wr.rdma.rkey = 0x1234;
		ibv_post_send(qp, &wr, &bad);
	}
}

/* A QP of @type (on @srq if not NULL) in RTS, as byte 0 (@cfg) says. */
static struct ibv_qp *make_qp(enum ibv_qp_type type, struct ibv_srq *srq,
			      uint8_t cfg)
{
	struct ibv_qp *qp;

	qp = fuzz_qp_rts(type, srq, (enum ibv_mtu)(IBV_MTU_256 + (cfg & 7) % 5),
			 cfg & 0x08 ? NRECV : 0);
	if ((cfg & 0x10) && type != IBV_QPT_UD)
		post_sends(qp);
	return qp;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum ibv_qp_type types[NQPS] = { IBV_QPT_RC, IBV_QPT_UC,
						      IBV_QPT_UD, IBV_QPT_RC,
						      IBV_QPT_UD };
	struct ibv_srq_init_attr sia = { .attr = { .max_wr = 16,
						   .max_sge = 1 } };
	struct sockaddr_in6 from = { .sin6_family = AF_INET6 };
	struct ibv_srq_attr sa = { .srq_limit = 1 };
	struct ibv_qp *qps[NQPS];
	struct ibv_srq *srq;
	unsigned int npkts = 0, i, to;
	struct uroce_pkt pkt;
	bool attached[NQPS] = { false };
	uint8_t cfg;
	size_t len;

	if (size < 2)
		return 0;
	cfg = data[0];
	srq = ibv_create_srq(fuzz_pd, &sia);
	if (!srq)
		fuzz_die("ibv_create_srq");
	for (i = 0; i < (unsigned int)data[1] % 9; i++)
		post_srq_recv(srq, i);
	if ((cfg & 0x80) && ibv_modify_srq(srq, &sa, IBV_SRQ_LIMIT))
		fuzz_die("ibv_modify_srq");
	data += 2;
	size -= 2;
	for (i = 0; i < NQPS; i++)
		qps[i] = make_qp(types[i], i >= 3 ? srq : NULL, cfg);
	/* Joining may fail where lo has no multicast: the group is then
	 * unknown, and that path is fuzzed instead. */
	attached[2] = !ibv_attach_mcast(qps[2], &group, 0);
	attached[4] = !ibv_attach_mcast(qps[4], &group, 0);
	from.sin6_addr = fuzz_lo_addr;
	from.sin6_port = htons(fuzz_peer_port + ((cfg & 0x20) ? 1 : 0));
	while (size >= 3 && npkts++ < MAX_PKTS) {
		to = data[0] % (NQPS + 1);
		len = (size_t)data[1] << 8 | data[2];
		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		/* Exactly @len bytes, as a datagram would be. */
		memcpy(pktbuf + 65536 - len, data, len);
		data += len;
		size -= len;
		if (uroce_pkt_parse(pktbuf + 65536 - len, len, &pkt))
			continue;
		if (cfg & 0x40) {
			pkt.reth.rkey = fuzz_mr->rkey;
			pkt.atmeth.rkey = fuzz_mr->rkey;
		}
		if (to == GROUP) {
			pkt.bth.dqpn = UROCE_MCAST_QPN;
			uroce_mcast_rx(to_uctx(fuzz_ctx)->dp, &pkt, &from,
				       (const struct in6_addr *)group.raw);
			continue;
		}
		/* The drain finds the QP by this: it is always the QP's. */
		pkt.bth.dqpn = qps[to]->qp_num;
		fuzz_deliver_pkt(to_uqp(qps[to]), &pkt, &from);
	}
	fuzz_drain();
	for (i = 0; i < NQPS; i++) {
		if (attached[i] && ibv_detach_mcast(qps[i], &group, 0))
			fuzz_die("ibv_detach_mcast");
		if (ibv_destroy_qp(qps[i]))
			fuzz_die("ibv_destroy_qp");
	}
	fuzz_drain();
	if (ibv_destroy_srq(srq))
		fuzz_die("ibv_destroy_srq");
	return 0;
}
