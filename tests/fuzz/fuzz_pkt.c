// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzz target: the RoCEv2 packet decoder and the ICRC check. The input is a
 * UDP payload. A packet the decoder accepts must be self-consistent, and
 * building its headers again from what was decoded must give a packet that
 * decodes to the same fields (a differential check of uroce_pkt_build).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "providers/uroce/pkt.h"

#define FAIL_IF(cond)            \
	do {                     \
		if (cond)        \
			abort(); \
	} while (0)

static struct uroce_icrc_hdr ih4 = { .family = AF_INET,
				     .sport = 49152,
				     .dport = 4791,
				     .ip_frag_off = 0x4000 };
static struct uroce_icrc_hdr ih6 = { .family = AF_INET6,
				     .sport = 49152,
				     .dport = 4791 };

static void same_headers(const struct uroce_pkt *a, const struct uroce_pkt *b)
{
	uint8_t h = a->info->hdrs;

	FAIL_IF(a->info != b->info);
	FAIL_IF(a->bth.opcode != b->bth.opcode || a->bth.se != b->bth.se ||
		a->bth.mig != b->bth.mig || a->bth.pad != b->bth.pad ||
		a->bth.pkey != b->bth.pkey || a->bth.dqpn != b->bth.dqpn ||
		a->bth.ackreq != b->bth.ackreq || a->bth.psn != b->bth.psn);
	FAIL_IF((h & UROCE_HDR_RETH) &&
		memcmp(&a->reth, &b->reth, sizeof(a->reth)));
	FAIL_IF((h & UROCE_HDR_AETH) && (a->aeth.syndrome != b->aeth.syndrome ||
					 a->aeth.msn != b->aeth.msn));
	FAIL_IF((h & UROCE_HDR_ATMETH) &&
		(a->atmeth.va != b->atmeth.va ||
		 a->atmeth.rkey != b->atmeth.rkey ||
		 a->atmeth.swap_add != b->atmeth.swap_add ||
		 a->atmeth.compare != b->atmeth.compare));
	FAIL_IF((h & UROCE_HDR_DETH) &&
		(a->deth.qkey != b->deth.qkey || a->deth.sqpn != b->deth.sqpn));
	FAIL_IF((h & UROCE_HDR_IMMDT) && a->imm != b->imm);
	FAIL_IF((h & UROCE_HDR_IETH) && a->ieth != b->ieth);
	FAIL_IF((h & UROCE_HDR_ATMACK) && a->atmack != b->atmack);
	FAIL_IF(a->paylen != b->paylen ||
		memcmp(a->payload, b->payload, a->paylen));
}

/* Builds @p again, with a fresh ICRC, and checks it decodes the same. */
static void rebuild(const struct uroce_pkt *p)
{
	static uint8_t buf[UROCE_HDR_MAX + 65536 + UROCE_TRAILER_MAX];
	struct uroce_pkt q;
	struct iovec iov;
	unsigned int pad;
	int hlen;

	hlen = uroce_pkt_build(buf, UROCE_HDR_MAX, p);
	FAIL_IF(hlen != p->info->hdr_len);
	FAIL_IF(p->paylen > 65536);
	memcpy(buf + hlen, p->payload, p->paylen);
	pad = uroce_pkt_pad(p->paylen);
	memset(buf + hlen + p->paylen, 0, pad);
	iov.iov_base = buf;
	iov.iov_len = hlen + p->paylen + pad;
	uroce_icrc_put(buf + iov.iov_len, uroce_icrc(&ih4, &iov, 1));
	FAIL_IF(uroce_pkt_parse(buf, iov.iov_len + UROCE_ICRC_LEN, &q));
	same_headers(p, &q);
	FAIL_IF(uroce_pkt_check_icrc(&q, &ih4));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uroce_pkt pkt;
	int ret;

	/* A copy of exactly @size bytes: ASan sees any read past the end. */
	uint8_t *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	ret = uroce_pkt_parse(buf, size, &pkt);
	FAIL_IF(ret > 0 || ret <= -UROCE_DROP_MAX);
	FAIL_IF(!uroce_drop_name(ret));
	if (!ret) {
		FAIL_IF(!pkt.info || !(pkt.info->flags & UROCE_OPF_VALID));
		FAIL_IF(pkt.buf != buf || pkt.len != size);
		FAIL_IF(pkt.payload < buf || pkt.payload + pkt.paylen +
							     pkt.bth.pad +
							     UROCE_ICRC_LEN !=
						     buf + size);
		FAIL_IF(pkt.paylen && !(pkt.info->flags & UROCE_OPF_PAYLOAD));
		ret = uroce_pkt_check_icrc(&pkt, &ih4);
		FAIL_IF(ret && ret != -UROCE_DROP_BAD_ICRC);
		ret = uroce_pkt_check_icrc(&pkt, &ih6);
		FAIL_IF(ret && ret != -UROCE_DROP_BAD_ICRC);
		uroce_opcode_name(pkt.bth.opcode);
		rebuild(&pkt);
	} else if (size >= UROCE_BTH_LEN) {
		uroce_opcode_name(uroce_bth_opcode(buf));
	}
	free(buf);
	return 0;
}
