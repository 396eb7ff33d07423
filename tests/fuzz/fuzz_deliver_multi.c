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

#include "providers/uroce/deliver.h"
#include "providers/uroce/dp.h"
#include "providers/uroce/mcast.h"
#include "providers/uroce/resp.h"
#include "providers/uroce/uroce.h"

#define FUZZ_QKEY 0x11111111u
#define MR_LEN (64 * 1024)
#define RECV_LEN 4096
#define NRECV 4
#define MAX_PKTS 16
#define NQPS 5
#define GROUP 5

static struct ibv_context *ctx;
static struct ibv_pd *pd;
static struct ibv_cq *cq;
static struct ibv_mr *mr;
static uint8_t *mem;
static int peer_fd;
static uint16_t peer_port;
static struct in6_addr lo_addr; /* ::ffff:127.0.0.1 */
static union ibv_gid group; /* ::ffff:239.1.2.3 */
static uint8_t *pktbuf;

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void open_device(void)
{
	struct ibv_device **list;
	int i, n;

	list = ibv_get_device_list(&n);
	if (!list)
		die("ibv_get_device_list");
	for (i = 0; i < n; i++)
		if (!strcmp(ibv_get_device_name(list[i]), "uroce_lo"))
			break;
	if (i == n) {
		fprintf(stderr, "fuzz_deliver_multi: no uroce_lo device\n");
		exit(1);
	}
	ctx = ibv_open_device(list[i]);
	if (!ctx)
		die("ibv_open_device");
	ibv_free_device_list(list);
}

static void open_peer(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	peer_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (peer_fd < 0 || bind(peer_fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(peer_fd, (struct sockaddr *)&sa, &len))
		die("peer socket");
	peer_port = ntohs(sa.sin_port);
	lo_addr.s6_addr[10] = 0xff;
	lo_addr.s6_addr[11] = 0xff;
	memcpy(&lo_addr.s6_addr[12], &sa.sin_addr, 4);
	group.raw[10] = 0xff;
	group.raw[11] = 0xff;
	group.raw[12] = 239;
	group.raw[13] = 1;
	group.raw[14] = 2;
	group.raw[15] = 3;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	open_peer();
	open_device();
	pd = ibv_alloc_pd(ctx);
	cq = pd ? ibv_create_cq(ctx, 512, NULL, NULL, 0) : NULL;
	/* Page-aligned: the IOVA 0 must share its page offset. */
	mem = aligned_alloc(4096, MR_LEN);
	pktbuf = malloc(65536);
	if (!cq || !mem || !pktbuf)
		die("setup");
	memset(mem, 0, MR_LEN);
	mr = ibv_reg_mr_iova(pd, mem, MR_LEN, 0,
			     IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
				     IBV_ACCESS_REMOTE_READ |
				     IBV_ACCESS_REMOTE_ATOMIC);
	if (!mr)
		die("ibv_reg_mr_iova");
	return 0;
}

static void post_recv(struct ibv_qp *qp, struct ibv_srq *srq, uint64_t id)
{
	struct ibv_sge sge = { .length = RECV_LEN, .lkey = mr->lkey };
	struct ibv_recv_wr wr = { .wr_id = id, .sg_list = &sge, .num_sge = 1 };
	struct ibv_recv_wr *bad;

	sge.addr = 32 * 1024 + (id % 8) * RECV_LEN; /* an IOVA */
	if (srq)
		ibv_post_srq_recv(srq, &wr, &bad);
	else
		ibv_post_recv(qp, &wr, &bad);
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
		sge.lkey = mr->lkey;
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
	struct ibv_qp_init_attr ia = {
		.send_cq = cq,
		.recv_cq = cq,
		.srq = srq,
		.cap = { .max_send_wr = 16,
			 .max_recv_wr = 16,
			 .max_send_sge = 1,
			 .max_recv_sge = 1 },
		.qp_type = type,
	};
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_INIT, .port_num = 1 };
	int mask = IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT;
	struct ibv_qp *qp;
	int i;

	qp = ibv_create_qp(pd, &ia);
	if (!qp)
		die("ibv_create_qp");
	if (type == IBV_QPT_UD) {
		a.qkey = FUZZ_QKEY;
		mask |= IBV_QP_QKEY;
	} else {
		a.qp_access_flags = IBV_ACCESS_REMOTE_WRITE |
				    IBV_ACCESS_REMOTE_READ |
				    IBV_ACCESS_REMOTE_ATOMIC;
		mask |= IBV_QP_ACCESS_FLAGS;
	}
	if (ibv_modify_qp(qp, &a, mask))
		die("to INIT");
	for (i = 0; !srq && (cfg & 0x08) && i < NRECV; i++)
		post_recv(qp, NULL, i);
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTR;
	mask = IBV_QP_STATE;
	if (type != IBV_QPT_UD) {
		a.path_mtu = (enum ibv_mtu)(IBV_MTU_256 + (cfg & 7) % 5);
		a.dest_qp_num = (uint32_t)peer_port << 8 | 1;
		a.ah_attr.is_global = 1;
		a.ah_attr.port_num = 1;
		memcpy(a.ah_attr.grh.dgid.raw, &lo_addr, 16);
		mask |= IBV_QP_AV | IBV_QP_PATH_MTU | IBV_QP_DEST_QPN |
			IBV_QP_RQ_PSN;
	}
	if (type == IBV_QPT_RC) {
		a.max_dest_rd_atomic = 4;
		a.min_rnr_timer = 1;
		mask |= IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER;
	}
	if (ibv_modify_qp(qp, &a, mask))
		die("to RTR");
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTS;
	mask = IBV_QP_STATE | IBV_QP_SQ_PSN;
	if (type == IBV_QPT_RC) {
		a.timeout = 14;
		a.retry_cnt = 7;
		a.rnr_retry = 7;
		a.max_rd_atomic = 4;
		mask |= IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
			IBV_QP_MAX_QP_RD_ATOMIC;
	}
	if (ibv_modify_qp(qp, &a, mask))
		die("to RTS");
	if ((cfg & 0x10) && type != IBV_QPT_UD)
		post_sends(qp);
	return qp;
}

/* As the socket drain does: under the socket's lock, then the ACK. */
static void deliver(struct uroce_qp *qp, struct uroce_pkt *pkt,
		    const struct sockaddr_in6 *from)
{
	struct uroce_dp *dp = to_uctx(ctx)->dp;
	struct uroce_sock *s = qp->sock;

	pthread_mutex_lock(&s->lock);
	if (uroce_deliver(dp, qp, pkt, from, &lo_addr, -1)) {
		pthread_mutex_lock(&qp->lock);
		uroce_resp_flush_ack(qp);
		pthread_mutex_unlock(&qp->lock);
	}
	pthread_mutex_unlock(&s->lock);
}

static void drain(void)
{
	struct ibv_wc wc[16];
	char junk[64];

	while (ibv_poll_cq(cq, 16, wc) > 0)
		;
	while (recv(peer_fd, junk, sizeof(junk), MSG_DONTWAIT) >= 0)
		;
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
	srq = ibv_create_srq(pd, &sia);
	if (!srq)
		die("ibv_create_srq");
	for (i = 0; i < (unsigned int)data[1] % 9; i++)
		post_recv(NULL, srq, 200 + i);
	if ((cfg & 0x80) && ibv_modify_srq(srq, &sa, IBV_SRQ_LIMIT))
		die("ibv_modify_srq");
	data += 2;
	size -= 2;
	for (i = 0; i < NQPS; i++)
		qps[i] = make_qp(types[i], i >= 3 ? srq : NULL, cfg);
	/* Joining may fail where lo has no multicast: the group is then
	 * unknown, and that path is fuzzed instead. */
	attached[2] = !ibv_attach_mcast(qps[2], &group, 0);
	attached[4] = !ibv_attach_mcast(qps[4], &group, 0);
	from.sin6_addr = lo_addr;
	from.sin6_port = htons(peer_port + ((cfg & 0x20) ? 1 : 0));
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
			pkt.reth.rkey = mr->rkey;
			pkt.atmeth.rkey = mr->rkey;
		}
		if (to == GROUP) {
			pkt.bth.dqpn = UROCE_MCAST_QPN;
			uroce_mcast_rx(to_uctx(ctx)->dp, &pkt, &from,
				       (const struct in6_addr *)group.raw);
			continue;
		}
		/* The drain finds the QP by this: it is always the QP's. */
		pkt.bth.dqpn = qps[to]->qp_num;
		deliver(to_uqp(qps[to]), &pkt, &from);
	}
	drain();
	for (i = 0; i < NQPS; i++) {
		if (attached[i] && ibv_detach_mcast(qps[i], &group, 0))
			die("ibv_detach_mcast");
		if (ibv_destroy_qp(qps[i]))
			die("ibv_destroy_qp");
	}
	drain();
	if (ibv_destroy_srq(srq))
		die("ibv_destroy_srq");
	return 0;
}
