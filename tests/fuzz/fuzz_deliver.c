// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzz target: the responder and the completer of a live QP, fed packets
 * as the socket drain hands them over (uroce_deliver), after the
 * decoder.
 *
 * The device is uroce_lo of the fuzzer's own process, opened through
 * libibverbs with the provider this target is linked to. Every input gets
 * a fresh QP, so that an input alone reproduces what it does:
 *
 *   byte 0  the QP: type (RC, UC, UD) = b % 3, state = b / 3 % 7 (RESET,
 *           INIT, RTR, RTS, SQD, SQE, ERR)
 *   byte 1  what is posted before the packets arrive, and how they arrive:
 *             0x01 receive WRs       0x02 a SEND     0x04 an RDMA WRITE
 *             0x08 an RDMA READ      0x10 a CMP_SWAP 0x20 a FETCH_ADD
 *             0x40 RETH, AtomicETH and IETH keys are replaced by real
 *                  ones (keys are random: a fuzzer cannot guess them):
 *                  key % 4 == 1 the type 1 window's, 2 the type 2
 *                  window's, else the MR's; RC and UC QPs that reach
 *                  RTS bind both windows first (type 1 over the MR's
 *                  IOVAs [0, 32K), type 2 zero based over [4K, 20K))
 *             0x80 the packets come from another port than the peer's
 *   then    packets, each a 2-byte big-endian length and that many bytes
 *           (a UDP payload: BTH ... ICRC), 16 at most.
 *
 * The QP's peer is a UDP socket of the fuzzer on 127.0.0.1 (what the QP
 * sends lands there and is thrown away); PSNs start at 0 both ways, the
 * MR's addresses at 0 (ibv_reg_mr_iova), the path MTU is 256 and the UD
 * Q_Key is FUZZ_QKEY. Bytes 2.. of a seed are valid packets of every
 * opcode (gen_corpus.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "providers/uroce/dp.h"
#include "providers/uroce/uroce.h"
#include "tests/fuzz/fuzz_qp.h"

#define RECV_OFF (32 * 1024)
#define RECV_LEN 4096
#define NRECV 4
#define MAX_PKTS 16

static struct ibv_mw *mw1, *mw2; /* fresh for each input */
static uint32_t mw2_key; /* the type 2 window's rkey once bound */
static struct ibv_ah *ah;
static uint8_t *pktbuf;

/* A verb that returns an errno must not fail. */
static void must(int ret, const char *what)
{
	if (ret) {
		fprintf(stderr, "fuzz_deliver: %s: %s\n", what, strerror(ret));
		exit(1);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct ibv_ah_attr aa = { .is_global = 1, .port_num = 1 };

	fuzz_setup();
	pktbuf = malloc(65536);
	if (!pktbuf)
		fuzz_die("setup");
	memcpy(aa.grh.dgid.raw, &fuzz_lo_addr, 16);
	ah = ibv_create_ah(fuzz_pd, &aa);
	if (!ah)
		fuzz_die("ibv_create_ah");
	return 0;
}

static uint32_t peer_qpn(void)
{
	return (uint32_t)fuzz_peer_port << 8 | 1;
}

static int to_init(struct ibv_qp *qp, enum ibv_qp_type type)
{
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_INIT, .port_num = 1 };
	int mask = IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT;

	if (type == IBV_QPT_UD) {
		a.qkey = FUZZ_QKEY;
		mask |= IBV_QP_QKEY;
	} else {
		a.qp_access_flags = IBV_ACCESS_REMOTE_WRITE |
				    IBV_ACCESS_REMOTE_READ |
				    IBV_ACCESS_REMOTE_ATOMIC;
		mask |= IBV_QP_ACCESS_FLAGS;
	}
	return ibv_modify_qp(qp, &a, mask);
}

static int to_rtr(struct ibv_qp *qp, enum ibv_qp_type type)
{
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_RTR };
	int mask = IBV_QP_STATE;

	if (type != IBV_QPT_UD) {
		a.path_mtu = IBV_MTU_256;
		a.dest_qp_num = peer_qpn();
		a.rq_psn = 0;
		a.ah_attr.is_global = 1;
		a.ah_attr.port_num = 1;
		memcpy(a.ah_attr.grh.dgid.raw, &fuzz_lo_addr, 16);
		mask |= IBV_QP_AV | IBV_QP_PATH_MTU | IBV_QP_DEST_QPN |
			IBV_QP_RQ_PSN;
	}
	if (type == IBV_QPT_RC) {
		a.max_dest_rd_atomic = 4;
		a.min_rnr_timer = 1;
		mask |= IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER;
	}
	return ibv_modify_qp(qp, &a, mask);
}

static int to_rts(struct ibv_qp *qp, enum ibv_qp_type type)
{
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_RTS, .sq_psn = 0 };
	int mask = IBV_QP_STATE | IBV_QP_SQ_PSN;

	if (type == IBV_QPT_RC) {
		a.timeout = 14;
		a.retry_cnt = 7;
		a.rnr_retry = 7;
		a.max_rd_atomic = 4;
		mask |= IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
			IBV_QP_MAX_QP_RD_ATOMIC;
	}
	return ibv_modify_qp(qp, &a, mask);
}

static void post_recvs(struct ibv_qp *qp)
{
	struct ibv_recv_wr wr = { 0 }, *bad;
	struct ibv_sge sge;
	int i;

	for (i = 0; i < NRECV; i++) {
		sge.addr = RECV_OFF + i * RECV_LEN; /* an IOVA */
		sge.length = RECV_LEN;
		sge.lkey = fuzz_mr->lkey;
		wr.wr_id = i;
		wr.sg_list = &sge;
		wr.num_sge = 1;
		ibv_post_recv(qp, &wr, &bad);
	}
}

/* Posts what @flags asks for; failures (UC READ, ...) are fine. */
static void post_sends(struct ibv_qp *qp, enum ibv_qp_type type,
		       unsigned int flags)
{
	static const struct {
		unsigned int flag;
		enum ibv_wr_opcode op;
		uint32_t len;
	} ops[] = {
		{ 0x02, IBV_WR_SEND, 600 },
		{ 0x04, IBV_WR_RDMA_WRITE, 300 },
		{ 0x08, IBV_WR_RDMA_READ, 1000 },
		{ 0x10, IBV_WR_ATOMIC_CMP_AND_SWP, 8 },
		{ 0x20, IBV_WR_ATOMIC_FETCH_AND_ADD, 8 },
	};
	struct ibv_send_wr wr, *bad;
	struct ibv_sge sge;
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (!(flags & ops[i].flag))
			continue;
		memset(&wr, 0, sizeof(wr));
		sge.addr = 1024 * i; /* an IOVA */
		sge.length = ops[i].len;
		sge.lkey = fuzz_mr->lkey;
		wr.wr_id = 100 + i;
		wr.sg_list = &sge;
		wr.num_sge = 1;
		wr.opcode = ops[i].op;
		wr.send_flags = IBV_SEND_SIGNALED;
		if (ops[i].op == IBV_WR_ATOMIC_CMP_AND_SWP ||
		    ops[i].op == IBV_WR_ATOMIC_FETCH_AND_ADD) {
			wr.wr.atomic.remote_addr = 4096 + 8 * i;
			wr.wr.atomic.rkey = 0x1234;
			wr.wr.atomic.compare_add = 1;
			wr.wr.atomic.swap = 2;
		} else {
			wr.wr.rdma.remote_addr = 4096;
			wr.wr.rdma.rkey = 0x1234;
		}
		if (type == IBV_QPT_UD) {
			wr.wr.ud.ah = ah;
			wr.wr.ud.remote_qpn = peer_qpn();
			wr.wr.ud.remote_qkey = FUZZ_QKEY;
		}
		ibv_post_send(qp, &wr, &bad);
	}
}

/* Binds the windows through @qp (RTS); failures are the QP's to face. */
static void bind_windows(struct ibv_qp *qp)
{
	unsigned int rwa = IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ |
			   IBV_ACCESS_REMOTE_ATOMIC;
	struct ibv_mw_bind mb = { .bind_info = { fuzz_mr, 0, 32 * 1024, rwa } };
	struct ibv_send_wr wr = { .opcode = IBV_WR_BIND_MW }, *bad;

	ibv_bind_mw(qp, mw1, &mb);
	mw2_key = ibv_inc_rkey(mw2->rkey);
	wr.bind_mw.mw = mw2;
	wr.bind_mw.rkey = mw2_key;
	wr.bind_mw.bind_info =
		(struct ibv_mw_bind_info){ fuzz_mr, 4096, 16 * 1024,
					   rwa | IBV_ACCESS_ZERO_BASED };
	ibv_post_send(qp, &wr, &bad);
}

/* A real key for one of the input (see 0x40 above). */
static uint32_t real_key(uint32_t key)
{
	switch (key % 4) {
	case 1:
		return mw1->rkey;
	case 2:
		return mw2_key;
	default:
		return fuzz_mr->rkey;
	}
}

static void drain(void)
{
	struct ibv_wc wc[16];
	char junk[64];

	while (ibv_poll_cq(fuzz_cq, 16, wc) > 0)
		;
	while (recv(fuzz_peer_fd, junk, sizeof(junk), MSG_DONTWAIT) >= 0)
		;
}

/* A QP of @type brought to @state through verbs (SQE: forced, see below). */
static struct ibv_qp *make_qp(enum ibv_qp_type type, enum ibv_qp_state state,
			      unsigned int flags)
{
	struct ibv_qp_init_attr ia = {
		.send_cq = fuzz_cq,
		.recv_cq = fuzz_cq,
		.cap = { .max_send_wr = 16,
			 .max_recv_wr = 16,
			 .max_send_sge = 1,
			 .max_recv_sge = 1 },
		.qp_type = type,
	};
	struct ibv_qp_attr a = { 0 };
	struct uroce_qp *uqp;
	struct ibv_qp *qp;

	qp = ibv_create_qp(fuzz_pd, &ia);
	if (!qp)
		fuzz_die("ibv_create_qp");
	if (state == IBV_QPS_RESET)
		return qp;
	must(to_init(qp, type), "to INIT");
	if (flags & 0x01)
		post_recvs(qp);
	if (state == IBV_QPS_INIT)
		return qp;
	must(to_rtr(qp, type), "to RTR");
	if (state == IBV_QPS_RTR)
		return qp;
	must(to_rts(qp, type), "to RTS");
	if ((flags & 0x40) && type != IBV_QPT_UD)
		bind_windows(qp);
	post_sends(qp, type, flags);
	switch (state) {
	case IBV_QPS_SQD:
		a.qp_state = IBV_QPS_SQD;
		must(ibv_modify_qp(qp, &a, IBV_QP_STATE), "to SQD");
		break;
	case IBV_QPS_SQE:
		/*
		 * No verb leads to SQE (a send queue error does), and the
		 * provider never enters it today: set it as an error would,
		 * so that the receive checks for it are exercised.
		 */
		uqp = to_uqp(qp);
		pthread_mutex_lock(&uqp->lock);
		uqp->state = IBV_QPS_SQE;
		uqp->ibv_qp.state = IBV_QPS_SQE;
		pthread_mutex_unlock(&uqp->lock);
		break;
	case IBV_QPS_ERR:
		a.qp_state = IBV_QPS_ERR;
		must(ibv_modify_qp(qp, &a, IBV_QP_STATE), "to ERR");
		break;
	default:
		break;
	}
	return qp;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum ibv_qp_type types[] = { IBV_QPT_RC, IBV_QPT_UC,
						  IBV_QPT_UD };
	struct sockaddr_in6 from = { .sin6_family = AF_INET6 };
	enum ibv_qp_type type;
	enum ibv_qp_state state;
	struct uroce_pkt pkt;
	unsigned int flags, npkts = 0;
	struct ibv_qp *qp;
	size_t len;

	if (size < 2)
		return 0;
	type = types[data[0] % 3];
	state = (enum ibv_qp_state)(data[0] / 3 % 7);
	flags = data[1];
	data += 2;
	size -= 2;

	mw1 = ibv_alloc_mw(fuzz_pd, IBV_MW_TYPE_1);
	mw2 = ibv_alloc_mw(fuzz_pd, IBV_MW_TYPE_2);
	if (!mw1 || !mw2)
		fuzz_die("ibv_alloc_mw");
	mw2_key = mw2->rkey;
	qp = make_qp(type, state, flags);
	from.sin6_addr = fuzz_lo_addr;
	from.sin6_port = htons(fuzz_peer_port + ((flags & 0x80) ? 1 : 0));
	while (size >= 2 && npkts++ < MAX_PKTS) {
		len = (size_t)data[0] << 8 | data[1];
		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		/* Exactly @len bytes, as a datagram would be. */
		memcpy(pktbuf + 65536 - len, data, len);
		data += len;
		size -= len;
		if (uroce_pkt_parse(pktbuf + 65536 - len, len, &pkt))
			continue;
		if (flags & 0x40) {
			pkt.reth.rkey = real_key(pkt.reth.rkey);
			pkt.atmeth.rkey = real_key(pkt.atmeth.rkey);
			pkt.ieth = real_key(pkt.ieth);
		}
		/* The drain finds the QP by this: it is always the QP's. */
		pkt.bth.dqpn = qp->qp_num;
		fuzz_deliver_pkt(to_uqp(qp), &pkt, &from);
	}
	drain();
	must(ibv_destroy_qp(qp), "ibv_destroy_qp");
	drain();
	must(ibv_dealloc_mw(mw1), "ibv_dealloc_mw");
	must(ibv_dealloc_mw(mw2), "ibv_dealloc_mw");
	return 0;
}
