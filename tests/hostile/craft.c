// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Crafted RoCE packets with a valid ICRC, for the programs with the codec. */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "util/icrc.h"
#include "providers/uroce/pkt.h"
#include "tests/hostile/common.h"

void craft_send(int fd, struct in_addr src, uint16_t sport, struct in_addr dst,
		uint16_t dport, uint32_t dqpn, struct uroce_pkt *p,
		uint32_t paylen)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr = dst };
	struct uroce_icrc_hdr ih = { .family = AF_INET };
	unsigned int pad = uroce_pkt_pad(paylen);
	uint8_t buf[4096];
	struct iovec iov;
	size_t len;
	int h;

	p->bth.pkey = UROCE_DEFAULT_PKEY;
	p->bth.dqpn = dqpn;
	p->paylen = paylen;
	h = uroce_pkt_build(buf, 2048, p);
	REQUIRE(h > 0 && paylen <= 2048);
	memset(buf + h, 0xee, paylen);
	memset(buf + h + paylen, 0, pad);
	len = (size_t)h + paylen + pad + 4;
	iov.iov_base = buf;
	iov.iov_len = len - 4;
	ih.src.v4 = src;
	ih.dst.v4 = dst;
	ih.sport = sport;
	ih.dport = dport;
	ih.ip_frag_off = 0x4000; /* DF, ID 0: as uroce computes its ICRC */
	uroce_icrc_put(buf + len - 4, uroce_icrc(&ih, &iov, 1));
	to.sin_port = htons(dport);
	REQUIRE(sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof(to)) ==
		(ssize_t)len);
}
