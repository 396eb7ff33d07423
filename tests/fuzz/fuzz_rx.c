// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzz target: the provider's receive path from a received datagram on
 * (rx.c's rx_datagram and rx_one, through uroce_rx_fuzz_batch of the
 * fuzz build): its control messages, the split of a UDP_GRO datagram
 * into segments, parsing, the ICRC, the QPN demultiplexing and delivery
 * to live RC, UC and UD QPs that share the device's sockets.
 *
 * The device is uroce_lo of the fuzzer's own process. Every input gets
 * fresh QPs (RC, UC, UD, in RTS, receive WRs posted, PSNs 0, path MTU
 * 1024, the RC and UC QPs' peer a UDP socket of the fuzzer on 127.0.0.1)
 * and is a sequence of datagrams, at most 16 in batches of 8, each
 *
 *   byte 0  bits 0-1  the QP whose socket receives it (% 3)
 *           bits 2-3  the destination's control message: 0 none,
 *                     1 IP_PKTINFO, 2 IPV6_PKTINFO, 3 an unknown one
 *                     before IP_PKTINFO
 *           bit 4     a source address of the wrong length
 *           bit 5     each segment's destination QPN and ICRC are made
 *                     right (a fuzzer cannot guess them): the QP of the
 *                     opcode's transport (else the QPN's low byte % 3),
 *                     the ICRC for the addresses
 *           bit 6     from another port than the peer's
 *           bit 7     a UDP_GRO control message with the segment size
 *  bytes 1-2  the datagram's length, big-endian
 *  bytes 3-4  the UDP_GRO segment size, a big-endian signed 16-bit value
 *  then       the datagram.
 *
 * A batch ends at 8 datagrams or where the receiving socket changes.
 */
#include <arpa/inet.h>
#include <netinet/udp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/uroce/dp.h"
#include "providers/uroce/path.h"
#include "providers/uroce/pkt.h"
#include "providers/uroce/rx.h"
#include "providers/uroce/uroce.h"

#define MR_LEN (64 * 1024)
#define NRECV 4
#define RECV_LEN 4096
#define MAX_DGRAMS 16
#define BATCH 8
#define NQPS 3

static struct ibv_context *ctx;
static struct ibv_pd *pd;
static struct ibv_cq *cq;
static struct ibv_mr *mr;
static uint8_t *mem;
static int peer_fd;
static uint16_t peer_port;
static struct in6_addr lo_addr; /* ::ffff:127.0.0.1 */

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
		fprintf(stderr, "fuzz_rx: no uroce_lo device\n");
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
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	open_peer();
	open_device();
	pd = ibv_alloc_pd(ctx);
	cq = pd ? ibv_create_cq(ctx, 256, NULL, NULL, 0) : NULL;
	mem = aligned_alloc(4096, MR_LEN);
	if (!cq || !mem)
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

/* A QP of @type in RTS, receive WRs posted; its peer is peer_fd. */
static struct ibv_qp *make_qp(enum ibv_qp_type type)
{
	struct ibv_qp_init_attr ia = {
		.send_cq = cq,
		.recv_cq = cq,
		.cap = { .max_send_wr = 16,
			 .max_recv_wr = 16,
			 .max_send_sge = 1,
			 .max_recv_sge = 1 },
		.qp_type = type,
	};
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_INIT, .port_num = 1 };
	int mask = IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT;
	struct ibv_recv_wr wr = { 0 }, *bad;
	struct ibv_sge sge;
	struct ibv_qp *qp;
	int i;

	qp = ibv_create_qp(pd, &ia);
	if (!qp)
		die("ibv_create_qp");
	if (type == IBV_QPT_UD) {
		a.qkey = 0x11111111u;
		mask |= IBV_QP_QKEY;
	} else {
		a.qp_access_flags = IBV_ACCESS_REMOTE_WRITE |
				    IBV_ACCESS_REMOTE_READ |
				    IBV_ACCESS_REMOTE_ATOMIC;
		mask |= IBV_QP_ACCESS_FLAGS;
	}
	if (ibv_modify_qp(qp, &a, mask))
		die("to INIT");
	for (i = 0; i < NRECV; i++) {
		sge.addr = 32 * 1024 + i * RECV_LEN; /* an IOVA */
		sge.length = RECV_LEN;
		sge.lkey = mr->lkey;
		wr.wr_id = i;
		wr.sg_list = &sge;
		wr.num_sge = 1;
		ibv_post_recv(qp, &wr, &bad);
	}
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTR;
	mask = IBV_QP_STATE;
	if (type != IBV_QPT_UD) {
		a.path_mtu = IBV_MTU_1024;
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
	return qp;
}

/* Control messages of datagram @i as @ctl asks (see the top). */
static void stage_cmsg(struct uroce_sock *s, unsigned int i, uint8_t ctl,
		       int gro)
{
	struct msghdr *mh = &s->msg[i].msg_hdr;
	struct in_pktinfo pi4 = { .ipi_ifindex = 1 };
	struct in6_pktinfo pi6 = { .ipi6_ifindex = 1 };
	struct cmsghdr *cm;
	size_t used = 0;

	mh->msg_control = s->cmsg.buf[i];
	mh->msg_controllen = sizeof(s->cmsg.buf[i]);
	memset(s->cmsg.buf[i], 0, sizeof(s->cmsg.buf[i]));
	cm = CMSG_FIRSTHDR(mh);
	pi4.ipi_addr.s_addr = htonl(INADDR_LOOPBACK);
	pi6.ipi6_addr = lo_addr;
	switch (ctl >> 2 & 3) {
	case 3: /* TTL: a message the receiver must skip */
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_TTL;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		used += CMSG_SPACE(sizeof(int));
		cm = CMSG_NXTHDR(mh, cm);
		/* fall through */
	case 1:
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi4));
		memcpy(CMSG_DATA(cm), &pi4, sizeof(pi4));
		used += CMSG_SPACE(sizeof(pi4));
		break;
	case 2:
		cm->cmsg_level = IPPROTO_IPV6;
		cm->cmsg_type = IPV6_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi6));
		memcpy(CMSG_DATA(cm), &pi6, sizeof(pi6));
		used += CMSG_SPACE(sizeof(pi6));
		break;
	default:
		cm = NULL;
		break;
	}
	if (ctl & 0x80) {
		/* 64 bytes hold TTL, IP_PKTINFO and UDP_GRO. */
		cm = (struct cmsghdr *)(s->cmsg.buf[i] + used);
		cm->cmsg_level = SOL_UDP;
		cm->cmsg_type = UDP_GRO;
		cm->cmsg_len = CMSG_LEN(sizeof(gro));
		memcpy(CMSG_DATA(cm), &gro, sizeof(gro));
		used += CMSG_SPACE(sizeof(gro));
	}
	mh->msg_controllen = used;
	if (!used)
		mh->msg_control = NULL;
}

/*
 * Makes each segment's QPN and ICRC right for @s (bit 5): the segments
 * as rx_datagram will cut them.
 */
static void fix_segments(struct uroce_sock *s, unsigned int i, size_t seg,
			 struct ibv_qp **qps)
{
	uint8_t *buf = s->iov[i].iov_base;
	size_t len = s->msg[i].msg_len, off, n;
	struct uroce_icrc_hdr ih;
	struct iovec iov;
	unsigned int t;
	uint32_t qpn;

	if (!seg || seg >= len)
		seg = len;
	memset(&ih, 0, sizeof(ih));
	uroce_icrc_addrs(&ih, &s->from[i].sin6_addr, &lo_addr);
	ih.sport = ntohs(s->from[i].sin6_port);
	ih.dport = s->port;
	for (off = 0; off < len; off += seg) {
		n = len - off < seg ? len - off : seg;
		if (n < UROCE_BTH_LEN + UROCE_ICRC_LEN)
			continue;
		/* The QP of the opcode's transport: RC, UC, UD (3). */
		t = buf[off] >> 5;
		qpn = qps[t == 3 ? 2 : t < 2 ? t : buf[off + 7] % NQPS]->qp_num;
		buf[off + 5] = (uint8_t)(qpn >> 16);
		buf[off + 6] = (uint8_t)(qpn >> 8);
		buf[off + 7] = (uint8_t)qpn;
		iov.iov_base = buf + off;
		iov.iov_len = n - UROCE_ICRC_LEN;
		uroce_icrc_put(buf + off + n - UROCE_ICRC_LEN,
			       uroce_icrc(&ih, &iov, 1));
	}
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
						      IBV_QPT_UD };
	struct uroce_dp *dp = to_uctx(ctx)->dp;
	struct ibv_qp *qps[NQPS];
	struct uroce_sock *s = NULL, *next;
	unsigned int n = 0, ndgrams = 0, i;
	size_t len;
	uint8_t ctl;
	int gro;

	for (i = 0; i < NQPS; i++)
		qps[i] = make_qp(types[i]);
	while (size >= 5 && ndgrams++ < MAX_DGRAMS) {
		ctl = data[0];
		len = (size_t)data[1] << 8 | data[2];
		gro = (int16_t)(data[3] << 8 | data[4]);
		data += 5;
		size -= 5;
		if (len > size)
			len = size;
		next = to_uqp(qps[(ctl & 3) % NQPS])->sock;
		if (s && (s != next || n == BATCH)) {
			uroce_rx_fuzz_batch(dp, s, n);
			pthread_mutex_unlock(&s->lock);
			s = NULL;
		}
		if (!s) {
			s = next;
			n = 0;
			pthread_mutex_lock(&s->lock);
		}
		memcpy(s->iov[n].iov_base, data, len);
		s->msg[n].msg_len = (unsigned int)len;
		s->msg[n].msg_hdr.msg_name = &s->from[n];
		s->msg[n].msg_hdr.msg_namelen =
			ctl & 0x10 ? sizeof(struct sockaddr_in) :
				     sizeof(s->from[n]);
		memset(&s->from[n], 0, sizeof(s->from[n]));
		s->from[n].sin6_family = AF_INET6;
		s->from[n].sin6_addr = lo_addr;
		s->from[n].sin6_port = htons(peer_port + (ctl & 0x40 ? 1 : 0));
		stage_cmsg(s, n, ctl, gro);
		if (ctl & 0x20)
			fix_segments(s, n,
				     ctl & 0x80 && gro > 0 ? (size_t)gro : 0,
				     qps);
		data += len;
		size -= len;
		n++;
	}
	if (s) {
		uroce_rx_fuzz_batch(dp, s, n);
		pthread_mutex_unlock(&s->lock);
	}
	drain();
	for (i = 0; i < NQPS; i++)
		if (ibv_destroy_qp(qps[i]))
			die("ibv_destroy_qp");
	drain();
	return 0;
}
