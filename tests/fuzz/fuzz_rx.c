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
 *                     1 IP_PKTINFO, 2 IPV6_PKTINFO, 3 IP_PKTINFO after
 *                     an unknown one (IP_TTL), or after UDP_GRO
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
#include "tests/fuzz/fuzz_qp.h"

#define NRECV 4
#define MAX_DGRAMS 16
#define BATCH 8
#define NQPS 3

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_setup();
	return 0;
}

/* Appends a control message to datagram @i's, @used bytes long so far. */
static size_t put_cmsg(struct uroce_sock *s, unsigned int i, size_t used,
		       int level, int type, const void *data, size_t len)
{
	struct cmsghdr *cm = (struct cmsghdr *)(s->cmsg.buf[i] + used);

	cm->cmsg_level = level;
	cm->cmsg_type = type;
	cm->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(cm), data, len);
	return used + CMSG_SPACE(len);
}

/*
 * Control messages of datagram @i as @ctl asks (see the top); 64 bytes
 * hold any two of them, so an unknown one goes first only without
 * UDP_GRO, and with it UDP_GRO goes first.
 */
static void stage_cmsg(struct uroce_sock *s, unsigned int i, uint8_t ctl,
		       int gro)
{
	struct msghdr *mh = &s->msg[i].msg_hdr;
	struct in_pktinfo pi4 = { .ipi_ifindex = 1 };
	struct in6_pktinfo pi6 = { .ipi6_ifindex = 1 };
	unsigned int dst = ctl >> 2 & 3;
	bool gro_first = (ctl & 0x80) && dst == 3;
	size_t used = 0;
	int ttl = 64;

	memset(s->cmsg.buf[i], 0, sizeof(s->cmsg.buf[i]));
	pi4.ipi_addr.s_addr = htonl(INADDR_LOOPBACK);
	pi6.ipi6_addr = fuzz_lo_addr;
	if (gro_first)
		used = put_cmsg(s, i, used, SOL_UDP, UDP_GRO, &gro,
				sizeof(gro));
	else if (dst == 3)
		used = put_cmsg(s, i, used, IPPROTO_IP, IP_TTL, &ttl,
				sizeof(ttl));
	if (dst == 1 || dst == 3)
		used = put_cmsg(s, i, used, IPPROTO_IP, IP_PKTINFO, &pi4,
				sizeof(pi4));
	else if (dst == 2)
		used = put_cmsg(s, i, used, IPPROTO_IPV6, IPV6_PKTINFO, &pi6,
				sizeof(pi6));
	if ((ctl & 0x80) && !gro_first)
		used = put_cmsg(s, i, used, SOL_UDP, UDP_GRO, &gro,
				sizeof(gro));
	mh->msg_control = used ? s->cmsg.buf[i] : NULL;
	mh->msg_controllen = used;
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
	uroce_icrc_addrs(&ih, &s->from[i].sin6_addr, &fuzz_lo_addr);
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum ibv_qp_type types[NQPS] = { IBV_QPT_RC, IBV_QPT_UC,
						      IBV_QPT_UD };
	struct uroce_dp *dp = to_uctx(fuzz_ctx)->dp;
	struct ibv_qp *qps[NQPS];
	struct uroce_sock *s = NULL, *next;
	unsigned int n = 0, ndgrams = 0, i;
	size_t len;
	uint8_t ctl;
	int gro;

	for (i = 0; i < NQPS; i++)
		qps[i] = fuzz_qp_rts(types[i], NULL, IBV_MTU_1024, NRECV);
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
		s->from[n].sin6_addr = fuzz_lo_addr;
		s->from[n].sin6_port =
			htons(fuzz_peer_port + (ctl & 0x40 ? 1 : 0));
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
	fuzz_drain();
	for (i = 0; i < NQPS; i++)
		if (ibv_destroy_qp(qps[i]))
			fuzz_die("ibv_destroy_qp");
	fuzz_drain();
	return 0;
}
