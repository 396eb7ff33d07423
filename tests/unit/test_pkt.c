// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * providers/uroce/pkt.c and icrc.c: the opcode table, encode/parse round
 * trips, every way a packet can be malformed, and the ICRC against
 * independent oracles (a bitwise CRC, a pseudo-header assembled here byte
 * by byte and CRCed with zlib, and packets captured from real hardware).
 *
 * "test_pkt --bench" prints ICRC throughput instead of testing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <zlib.h>

#include "util/icrc.h"
#include "providers/uroce/pkt.h"

#include "tests/lib/check.h"

/* Reports the opcode and length a check failed for. */
#define REQUIRE_AT(cond, op, len)                                              \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr,                                        \
				"%s:%d: check failed: %s (opcode 0x%02x %s, "  \
				"len %zu)\n",                                  \
				__FILE__, __LINE__, #cond, (unsigned int)(op), \
				uroce_opcode_name(op), (size_t)(len));         \
			exit(1);                                               \
		}                                                              \
	} while (0)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd64(void)
{
	/* xorshift64*: deterministic, so failures reproduce. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static uint32_t rnd32(void)
{
	return (uint32_t)(rnd64() >> 32);
}

static void rnd_fill(uint8_t *p, size_t n)
{
	while (n--)
		*p++ = (uint8_t)rnd32();
}

/*
 * What the IBTA says each implemented opcode carries, written out here
 * independently of pkt.c's table.
 */
#define R UROCE_HDR_RETH
#define A UROCE_HDR_AETH
#define AT UROCE_HDR_ATMETH
#define D UROCE_HDR_DETH
#define I UROCE_HDR_IMMDT
#define IE UROCE_HDR_IETH
#define AA UROCE_HDR_ATMACK

static const struct {
	uint8_t op;
	uint8_t hdrs;
	uint8_t hdr_len;
	char kind; /* F(irst), M(iddle), L(ast), O(nly) */
	char dir; /* q: request, s: response */
	bool payload;
} expected_ops[] = {
	{ 0x00, 0, 12, 'F', 'q', 1 },	   { 0x01, 0, 12, 'M', 'q', 1 },
	{ 0x02, 0, 12, 'L', 'q', 1 },	   { 0x03, I, 16, 'L', 'q', 1 },
	{ 0x04, 0, 12, 'O', 'q', 1 },	   { 0x05, I, 16, 'O', 'q', 1 },
	{ 0x06, R, 28, 'F', 'q', 1 },	   { 0x07, 0, 12, 'M', 'q', 1 },
	{ 0x08, 0, 12, 'L', 'q', 1 },	   { 0x09, I, 16, 'L', 'q', 1 },
	{ 0x0a, R, 28, 'O', 'q', 1 },	   { 0x0b, R | I, 32, 'O', 'q', 1 },
	{ 0x0c, R, 28, 'O', 'q', 0 },	   { 0x0d, A, 16, 'F', 's', 1 },
	{ 0x0e, 0, 12, 'M', 's', 1 },	   { 0x0f, A, 16, 'L', 's', 1 },
	{ 0x10, A, 16, 'O', 's', 1 },	   { 0x11, A, 16, 'O', 's', 0 },
	{ 0x12, A | AA, 24, 'O', 's', 0 }, { 0x13, AT, 40, 'O', 'q', 0 },
	{ 0x14, AT, 40, 'O', 'q', 0 },	   { 0x16, IE, 16, 'L', 'q', 1 },
	{ 0x17, IE, 16, 'O', 'q', 1 },	   { 0x1d, R, 28, 'O', 'q', 1 },

	{ 0x20, 0, 12, 'F', 'q', 1 },	   { 0x21, 0, 12, 'M', 'q', 1 },
	{ 0x22, 0, 12, 'L', 'q', 1 },	   { 0x23, I, 16, 'L', 'q', 1 },
	{ 0x24, 0, 12, 'O', 'q', 1 },	   { 0x25, I, 16, 'O', 'q', 1 },
	{ 0x26, R, 28, 'F', 'q', 1 },	   { 0x27, 0, 12, 'M', 'q', 1 },
	{ 0x28, 0, 12, 'L', 'q', 1 },	   { 0x29, I, 16, 'L', 'q', 1 },
	{ 0x2a, R, 28, 'O', 'q', 1 },	   { 0x2b, R | I, 32, 'O', 'q', 1 },

	{ 0x64, D, 20, 'O', 'q', 1 },	   { 0x65, D | I, 24, 'O', 'q', 1 },
};

static int expected_index(unsigned int op)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(expected_ops); i++)
		if (expected_ops[i].op == op)
			return (int)i;
	return -1;
}

/* Known to the IBTA but not implemented by uroce. */
static bool expected_unsupported(unsigned int op)
{
	return (op >= 0x40 && op <= 0x5f) || (op >= 0xa0 && op <= 0xbf) ||
	       op == 0x1c || op == 0x81;
}

static void test_opcode_table(void)
{
	unsigned int op, nvalid = 0;

	for (op = 0; op < 256; op++) {
		const struct uroce_opcode_info *info = &uroce_opcodes[op];
		int i = expected_index(op);
		unsigned int f = info->flags, pos;

		REQUIRE(uroce_opcode_name((uint8_t)op) != NULL);
		if (i < 0) {
			REQUIRE_AT(!(f & UROCE_OPF_VALID), op, 0);
			REQUIRE_AT(!strcmp(uroce_opcode_name((uint8_t)op),
					   "RESERVED") ==
					   !expected_unsupported(op),
				   op, 0);
			continue;
		}
		nvalid++;
		REQUIRE_AT(f & UROCE_OPF_VALID, op, 0);
		REQUIRE_AT(info->name && !strncmp(info->name,
						  op < 0x20 ? "RC_" :
						  op < 0x40 ? "UC_" :
							      "UD_",
						  3),
			   op, 0);
		REQUIRE_AT(info->hdrs == expected_ops[i].hdrs, op, 0);
		REQUIRE_AT(info->hdr_len == expected_ops[i].hdr_len, op, 0);
		REQUIRE_AT(!!(f & UROCE_OPF_PAYLOAD) == expected_ops[i].payload,
			   op, 0);
		pos = f & (UROCE_OPF_FIRST | UROCE_OPF_MIDDLE | UROCE_OPF_LAST |
			   UROCE_OPF_ONLY);
		switch (expected_ops[i].kind) {
		case 'F':
			REQUIRE_AT(pos == UROCE_OPF_FIRST, op, 0);
			break;
		case 'M':
			REQUIRE_AT(pos == UROCE_OPF_MIDDLE, op, 0);
			break;
		case 'L':
			REQUIRE_AT(pos == UROCE_OPF_LAST, op, 0);
			break;
		default:
			REQUIRE_AT(pos == UROCE_OPF_ONLY, op, 0);
		}
		REQUIRE_AT(!!(f & UROCE_OPF_REQ) ==
				   (expected_ops[i].dir == 'q'),
			   op, 0);
		REQUIRE_AT(!!(f & UROCE_OPF_RESP) ==
				   (expected_ops[i].dir == 's'),
			   op, 0);
		REQUIRE_AT(!!(f & UROCE_OPF_IMM) == !!(info->hdrs & I), op, 0);
		REQUIRE_AT(!!(f & UROCE_OPF_INV) == !!(info->hdrs & IE), op, 0);
		/* Exactly one kind of operation. */
		REQUIRE_AT(__builtin_popcount(
				   f & (UROCE_OPF_SEND | UROCE_OPF_WRITE |
					UROCE_OPF_READ | UROCE_OPF_ATOMIC |
					UROCE_OPF_ACK)) == 1 ||
				   op == UROCE_OP_RC_ATOMIC_ACK,
			   op, 0);
		REQUIRE_AT(!!strstr(info->name, "SEND") ==
				   !!(f & UROCE_OPF_SEND),
			   op, 0);
		/* ATOMIC WRITE is answered and replayed as a READ. */
		REQUIRE_AT(!!strstr(info->name, "WRITE") ==
					   !!(f & UROCE_OPF_WRITE) ||
				   op == UROCE_OP_RC_ATOMIC_WRITE,
			   op, 0);
		REQUIRE_AT(!!strstr(info->name, "READ") ==
					   !!(f & UROCE_OPF_READ) ||
				   op == UROCE_OP_RC_ATOMIC_WRITE,
			   op, 0);
		if (uroce_opcode_transport((uint8_t)op) != UROCE_TR_RC)
			REQUIRE_AT(!(f & (UROCE_OPF_READ | UROCE_OPF_ATOMIC |
					  UROCE_OPF_ACK | UROCE_OPF_INV)),
				   op, 0);
	}
	REQUIRE(nvalid == ARRAY_SIZE(expected_ops));
	REQUIRE(!strcmp(uroce_opcode_name(0x81), "CNP"));
	REQUIRE(!strcmp(uroce_opcode_name(0x44), "RD"));
	REQUIRE(!strcmp(uroce_opcode_name(0xa5), "XRC"));
	REQUIRE(!strcmp(uroce_opcode_name(0x15), "RESERVED"));
	REQUIRE(!strcmp(uroce_opcode_name(0x66), "RESERVED"));
	REQUIRE(!strcmp(uroce_opcode_name(0x0b),
			"RC_RDMA_WRITE_ONLY_WITH_IMMEDIATE"));
	REQUIRE(uroce_opcode_transport(0x65) == UROCE_TR_UD);
	REQUIRE(uroce_opcode_transport(0x2b) == UROCE_TR_UC);
}

static const struct uroce_icrc_hdr ip4 = {
	.family = AF_INET,
	.src.v4.s_addr = 0x0100007f, /* 127.0.0.1 on a little-endian host */
	.dst.v4.s_addr = 0x0200007f,
	.sport = 0xc123,
	.dport = 0xd456,
	.ip_id = 0,
	.ip_frag_off = 0x4000, /* DF */
};

/* A payload length that fits @op: a path MTU for first and middle. */
static uint32_t paylen_for(const struct uroce_opcode_info *info)
{
	if (!(info->flags & UROCE_OPF_PAYLOAD))
		return 0;
	if (info->flags & (UROCE_OPF_FIRST | UROCE_OPF_MIDDLE))
		return 256u << (rnd32() % 5);
	switch (rnd32() % 4) {
	case 0:
		return 0;
	case 1:
		return UROCE_MTU_MAX;
	default:
		return rnd32() % (UROCE_MTU_MAX + 1);
	}
}

/* Random, in-range values for every header field. */
static void random_pkt(uint8_t op, uint32_t paylen, struct uroce_pkt *p)
{
	memset(p, 0, sizeof(*p));
	p->bth.opcode = op;
	p->bth.se = rnd32() & 1;
	p->bth.mig = rnd32() & 1;
	p->bth.pkey = (uint16_t)rnd32();
	p->bth.dqpn = rnd32() & UROCE_QPN_MASK;
	p->bth.ackreq = rnd32() & 1;
	p->bth.psn = rnd32() & UROCE_QPN_MASK;
	p->reth.va = rnd64();
	p->reth.rkey = rnd32();
	p->reth.len = rnd32();
	p->aeth.syndrome = uroce_aeth_ack(rnd32() & 0x1f);
	if (op == UROCE_OP_RC_ACK && (rnd32() & 1))
		p->aeth.syndrome = rnd32() & 1 ? uroce_aeth_rnr_nak(rnd32()) :
						 uroce_aeth_nak(rnd32() % 5);
	p->aeth.msn = rnd32() & UROCE_QPN_MASK;
	p->atmeth.va = rnd64();
	p->atmeth.rkey = rnd32();
	p->atmeth.swap_add = rnd64();
	p->atmeth.compare = rnd64();
	p->atmack = rnd64();
	p->deth.qkey = rnd32();
	p->deth.sqpn = rnd32() & UROCE_QPN_MASK;
	p->imm = rnd32();
	p->ieth = rnd32();
	p->paylen = paylen;
}

/*
 * Builds the whole packet (headers, payload, pad, ICRC for @ih) in a
 * malloc'ed buffer of exactly its size, so that valgrind sees overreads.
 */
static uint8_t *assemble(const struct uroce_pkt *p, const uint8_t *payload,
			 const struct uroce_icrc_hdr *ih, size_t *lenp)
{
	uint8_t hdr[UROCE_HDR_MAX], trailer[UROCE_TRAILER_MAX], *buf;
	unsigned int pad = uroce_pkt_pad(p->paylen), tlen;
	struct iovec iov[3];
	int hlen;

	hlen = uroce_pkt_build(hdr, sizeof(hdr), p);
	REQUIRE_AT(hlen == uroce_opcodes[p->bth.opcode].hdr_len, p->bth.opcode,
		   p->paylen);
	/* Headers, payload and trailer as separate pieces, as a sender. */
	tlen = uroce_pkt_trailer(trailer, pad, 0);
	REQUIRE(tlen == pad + UROCE_ICRC_LEN);
	iov[0] = (struct iovec){ hdr, (size_t)hlen };
	iov[1] = (struct iovec){ (void *)payload, p->paylen };
	iov[2] = (struct iovec){ trailer, pad };
	uroce_icrc_put(trailer + pad, uroce_icrc(ih, iov, 3));

	*lenp = (size_t)hlen + p->paylen + tlen;
	buf = malloc(*lenp);
	REQUIRE(buf);
	memcpy(buf, hdr, (size_t)hlen);
	if (p->paylen)
		memcpy(buf + hlen, payload, p->paylen);
	memcpy(buf + hlen + p->paylen, trailer, tlen);
	return buf;
}

/* Parses @len bytes copied into a buffer of exactly that size. */
static int parse_exact(const uint8_t *src, size_t len, struct uroce_pkt *out,
		       bool *icrc_ok)
{
	uint8_t *copy = malloc(len ? len : 1);
	int ret;

	REQUIRE(copy);
	memcpy(copy, src, len);
	ret = uroce_pkt_parse(copy, len, out);
	if (!ret) {
		REQUIRE(out->buf == copy && out->len == len);
		REQUIRE(out->payload >= copy &&
			out->payload + out->paylen + out->bth.pad +
					UROCE_ICRC_LEN ==
				copy + len);
		if (icrc_ok)
			*icrc_ok = !uroce_pkt_check_icrc(out, &ip4);
	}
	free(copy);
	return ret;
}

static void check_same(const struct uroce_pkt *a, const struct uroce_pkt *b)
{
	const struct uroce_opcode_info *info = &uroce_opcodes[a->bth.opcode];
	uint8_t op = a->bth.opcode;

	REQUIRE_AT(b->info == info, op, a->paylen);
	REQUIRE_AT(b->bth.opcode == op && b->bth.se == a->bth.se &&
			   b->bth.mig == a->bth.mig &&
			   b->bth.pkey == a->bth.pkey &&
			   b->bth.dqpn == a->bth.dqpn &&
			   b->bth.ackreq == a->bth.ackreq &&
			   b->bth.psn == a->bth.psn,
		   op, a->paylen);
	REQUIRE_AT(b->bth.pad == uroce_pkt_pad(a->paylen), op, a->paylen);
	REQUIRE_AT(b->paylen == a->paylen, op, a->paylen);
	if (info->hdrs & UROCE_HDR_RETH)
		REQUIRE_AT(b->reth.va == a->reth.va &&
				   b->reth.rkey == a->reth.rkey &&
				   b->reth.len == a->reth.len,
			   op, a->paylen);
	else
		REQUIRE_AT(!b->reth.va && !b->reth.rkey && !b->reth.len, op, 0);
	if (info->hdrs & UROCE_HDR_AETH)
		REQUIRE_AT(b->aeth.syndrome == a->aeth.syndrome &&
				   b->aeth.msn == a->aeth.msn,
			   op, a->paylen);
	else
		REQUIRE_AT(!b->aeth.syndrome && !b->aeth.msn, op, 0);
	if (info->hdrs & UROCE_HDR_ATMETH)
		REQUIRE_AT(b->atmeth.va == a->atmeth.va &&
				   b->atmeth.rkey == a->atmeth.rkey &&
				   b->atmeth.swap_add == a->atmeth.swap_add &&
				   b->atmeth.compare == a->atmeth.compare,
			   op, a->paylen);
	else
		REQUIRE_AT(!b->atmeth.va && !b->atmeth.compare, op, 0);
	REQUIRE_AT(b->atmack == (info->hdrs & UROCE_HDR_ATMACK ? a->atmack : 0),
		   op, 0);
	if (info->hdrs & UROCE_HDR_DETH)
		REQUIRE_AT(b->deth.qkey == a->deth.qkey &&
				   b->deth.sqpn == a->deth.sqpn,
			   op, a->paylen);
	else
		REQUIRE_AT(!b->deth.qkey && !b->deth.sqpn, op, 0);
	REQUIRE_AT(b->imm == (info->hdrs & UROCE_HDR_IMMDT ? a->imm : 0), op,
		   0);
	REQUIRE_AT(b->ieth == (info->hdrs & UROCE_HDR_IETH ? a->ieth : 0), op,
		   0);
}

static void test_round_trip(void)
{
	static uint8_t payload[UROCE_MTU_MAX];
	unsigned int i, n;

	rnd_fill(payload, sizeof(payload));
	for (i = 0; i < ARRAY_SIZE(expected_ops); i++) {
		uint8_t op = expected_ops[i].op;

		for (n = 0; n < 50; n++) {
			struct uroce_pkt in, out;
			uint32_t paylen = paylen_for(&uroce_opcodes[op]);
			bool icrc_ok = false;
			uint8_t *buf;
			size_t len;

			random_pkt(op, paylen, &in);
			buf = assemble(&in, payload, &ip4, &len);
			REQUIRE_AT(parse_exact(buf, len, &out, &icrc_ok) == 0,
				   op, len);
			REQUIRE_AT(icrc_ok, op, len);
			check_same(&in, &out);
			REQUIRE_AT(!memcmp(buf + uroce_opcodes[op].hdr_len,
					   payload, paylen),
				   op, len);
			/* The raw accessors agree with the parser. */
			REQUIRE(uroce_bth_opcode(buf) == op);
			REQUIRE(uroce_bth_dqpn(buf) == in.bth.dqpn);
			REQUIRE(uroce_bth_psn(buf) == in.bth.psn);
			REQUIRE(uroce_bth_ackreq(buf) == in.bth.ackreq);
			free(buf);
		}
	}
}

/* Byte-exact encodings, written out by hand from the IBTA layouts. */
static void test_wire_bytes(void)
{
	static const uint8_t write_imm[] = {
		0x0b, 0xb0, 0xff, 0xff, 0x00, 0x12, 0x34, 0x56, /* BTH */
		0x80, 0xab, 0xcd, 0xef, 0x01, 0x02, 0x03, 0x04,
		0x05, 0x06, 0x07, 0x08, /* RETH */
		0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
		0xde, 0xad, 0xbe, 0xef, /* ImmDt */
	};
	static const uint8_t cmp_swap[] = {
		0x13, 0x40, 0x80, 0x01, 0x00, 0x00, 0x00, 0x02, /* BTH */
		0x00, 0x00, 0x00, 0x07, 0xf0, 0xe1, 0xd2, 0xc3,
		0xb4, 0xa5, 0x96, 0x87, /* va */
		0xaa, 0xbb, 0xcc, 0xdd, /* rkey */
		0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, /* swap */
		0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, /* compare */
	};
	static const uint8_t atomic_ack[] = {
		0x12, 0x00, 0xff, 0xff, 0x00, 0xff, 0xff, 0xfe, /* BTH */
		0x00, 0xff, 0xff, 0xff, 0x1f, 0x00, 0x01, 0x02, /* AETH */
		0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, /* orig */
	};
	static const uint8_t ud_imm[] = {
		0x65, 0x10, 0x7f, 0xff, 0x00, 0x00, 0x00, 0x01, /* BTH */
		0x00, 0x00, 0x00, 0x00, 0x80, 0x01, 0x00, 0x00,
		0x00, 0xab, 0xcd, 0xef, /* DETH */
		0x01, 0x02, 0x03, 0x04, /* ImmDt */
	};
	static const uint8_t send_inv[] = {
		0x17, 0x80, 0xff, 0xff, 0x00, 0x00, 0x01, 0x00, /* BTH */
		0x00, 0x00, 0x00, 0x01, 0x12, 0x34, 0x56, 0x78, /* IETH */
	};
	static const uint8_t rnr_nak[] = {
		0x11, 0x00, 0xff, 0xff,
		0x00, 0x00, 0x04, 0x01, /* BTH */
		0x00, 0x00, 0x00, 0x05,
		0x2e, 0x00, 0x00, 0x09, /* AETH: RNR NAK, 1.28 ms */
	};
	uint8_t buf[UROCE_HDR_MAX + 1];
	struct uroce_pkt p;

	memset(&p, 0, sizeof(p));
	p.bth = (struct uroce_bth){ .opcode = UROCE_OP_RC_WRITE_ONLY_IMM,
				    .se = true,
				    .pkey = 0xffff,
				    .dqpn = 0x123456,
				    .ackreq = true,
				    .psn = 0xabcdef };
	p.reth = (struct uroce_reth){ 0x0102030405060708ull, 0x11223344,
				      0x55667788 };
	memcpy(&p.imm, "\xde\xad\xbe\xef", 4);
	p.paylen = 5; /* three bytes of pad */
	REQUIRE(uroce_pkt_build(buf + 1, sizeof(buf) - 1, &p) ==
		sizeof(write_imm));
	REQUIRE(!memcmp(buf + 1, write_imm, sizeof(write_imm)));

	memset(&p, 0, sizeof(p));
	p.bth = (struct uroce_bth){ .opcode = UROCE_OP_RC_CMP_SWAP,
				    .mig = true,
				    .pkey = 0x8001,
				    .dqpn = 2,
				    .psn = 7 };
	p.atmeth = (struct uroce_atmeth){ 0xf0e1d2c3b4a59687ull, 0xaabbccdd,
					  0x1020304050607080ull,
					  0x0100000000000002ull };
	REQUIRE(uroce_pkt_build(buf, sizeof(buf), &p) == sizeof(cmp_swap));
	REQUIRE(!memcmp(buf, cmp_swap, sizeof(cmp_swap)));

	memset(&p, 0, sizeof(p));
	p.bth = (struct uroce_bth){ .opcode = UROCE_OP_RC_ATOMIC_ACK,
				    .pkey = 0xffff,
				    .dqpn = 0xfffffe,
				    .psn = 0xffffff };
	p.aeth =
		(struct uroce_aeth){ uroce_aeth_ack(UROCE_AETH_CREDITS_INVALID),
				     0x102 };
	p.atmack = 0x8877665544332211ull;
	REQUIRE(uroce_pkt_build(buf, sizeof(buf), &p) == sizeof(atomic_ack));
	REQUIRE(!memcmp(buf, atomic_ack, sizeof(atomic_ack)));

	memset(&p, 0, sizeof(p));
	p.bth = (struct uroce_bth){ .opcode = UROCE_OP_UD_SEND_ONLY_IMM,
				    .pkey = 0x7fff,
				    .dqpn = 1 };
	p.deth = (struct uroce_deth){ 0x80010000, 0xabcdef };
	memcpy(&p.imm, "\x01\x02\x03\x04", 4);
	p.paylen = 3;
	REQUIRE(uroce_pkt_build(buf, sizeof(buf), &p) == sizeof(ud_imm));
	REQUIRE(!memcmp(buf, ud_imm, sizeof(ud_imm)));

	memset(&p, 0, sizeof(p));
	p.bth = (struct uroce_bth){ .opcode = UROCE_OP_RC_SEND_ONLY_INV,
				    .se = true,
				    .pkey = 0xffff,
				    .dqpn = 0x100,
				    .psn = 1 };
	p.ieth = 0x12345678;
	p.paylen = 64;
	REQUIRE(uroce_pkt_build(buf, sizeof(buf), &p) == sizeof(send_inv));
	REQUIRE(!memcmp(buf, send_inv, sizeof(send_inv)));

	memset(&p, 0, sizeof(p));
	p.bth = (struct uroce_bth){ .opcode = UROCE_OP_RC_ACK,
				    .pkey = 0xffff,
				    .dqpn = 0x401,
				    .psn = 5 };
	p.aeth = (struct uroce_aeth){ uroce_aeth_rnr_nak(14), 9 };
	REQUIRE(uroce_pkt_build(buf, sizeof(buf), &p) == sizeof(rnr_nak));
	REQUIRE(!memcmp(buf, rnr_nak, sizeof(rnr_nak)));

	/* Patching a built header in place. */
	uroce_bth_set_psn(buf, 0xfedcba);
	uroce_bth_set_ackreq(buf, true);
	REQUIRE(buf[8] == 0x80 && buf[9] == 0xfe && buf[10] == 0xdc &&
		buf[11] == 0xba);
	uroce_bth_set_ackreq(buf, false);
	REQUIRE(buf[8] == 0 && uroce_bth_psn(buf) == 0xfedcba);
}

static void test_build_errors(void)
{
	uint8_t buf[UROCE_HDR_MAX + 8];
	struct uroce_pkt p;
	unsigned int op, i;

	for (op = 0; op < 256; op++) {
		random_pkt((uint8_t)op, 0, &p);
		if (!(uroce_opcodes[op].flags & UROCE_OPF_VALID)) {
			REQUIRE_AT(uroce_pkt_build(buf, sizeof(buf), &p) ==
					   -EINVAL,
				   op, 0);
			continue;
		}
		/* Too small a buffer: refused, nothing written. */
		memset(buf, 0x5a, sizeof(buf));
		REQUIRE_AT(uroce_pkt_build(buf, uroce_opcodes[op].hdr_len - 1,
					   &p) == -ENOSPC,
			   op, 0);
		for (i = 0; i < sizeof(buf); i++)
			REQUIRE_AT(buf[i] == 0x5a, op, i);
		REQUIRE_AT(uroce_pkt_build(buf, uroce_opcodes[op].hdr_len,
					   &p) == uroce_opcodes[op].hdr_len,
			   op, 0);
		for (i = uroce_opcodes[op].hdr_len; i < sizeof(buf); i++)
			REQUIRE_AT(buf[i] == 0x5a, op, i);

		p.bth.psn = UROCE_QPN_MASK + 1;
		REQUIRE_AT(uroce_pkt_build(buf, sizeof(buf), &p) == -EINVAL, op,
			   0);
		p.bth.psn = 0;
		p.bth.dqpn = 0x1000000;
		REQUIRE_AT(uroce_pkt_build(buf, sizeof(buf), &p) == -EINVAL, op,
			   0);
		p.bth.dqpn = 3;
		if (uroce_opcodes[op].hdrs & UROCE_HDR_AETH) {
			p.aeth.msn = 0x1000000;
			REQUIRE_AT(uroce_pkt_build(buf, sizeof(buf), &p) ==
					   -EINVAL,
				   op, 0);
			p.aeth.msn = 0;
		}
		if (uroce_opcodes[op].hdrs & UROCE_HDR_DETH) {
			p.deth.sqpn = 0x1000000;
			REQUIRE_AT(uroce_pkt_build(buf, sizeof(buf), &p) ==
					   -EINVAL,
				   op, 0);
			p.deth.sqpn = 0;
		}
		if (!(uroce_opcodes[op].flags & UROCE_OPF_PAYLOAD)) {
			p.paylen = 4;
			REQUIRE_AT(uroce_pkt_build(buf, sizeof(buf), &p) ==
					   -EINVAL,
				   op, 0);
		}
	}
}

static bool is_ib_mtu(size_t n)
{
	return n == 256 || n == 512 || n == 1024 || n == 2048 || n == 4096;
}

/*
 * Every truncation of every opcode is refused: by the parser with the
 * reason the IBTA's rules give, or, where a shorter packet is still well
 * formed, by its ICRC.
 */
static void test_truncation(void)
{
	static uint8_t payload[UROCE_MTU_MAX];
	static const uint32_t tails[] = { 0, 1, 2, 3, 4, 13, 256, 4096 };
	unsigned int i, t;

	rnd_fill(payload, sizeof(payload));
	for (i = 0; i < ARRAY_SIZE(expected_ops); i++) {
		uint8_t op = expected_ops[i].op;
		const struct uroce_opcode_info *info = &uroce_opcodes[op];

		for (t = 0; t < ARRAY_SIZE(tails); t++) {
			struct uroce_pkt in, out;
			uint32_t paylen = tails[t];
			size_t full, len, hl = info->hdr_len;
			unsigned int pad;
			uint8_t *buf;

			if (!(info->flags & UROCE_OPF_PAYLOAD))
				paylen = 0;
			else if (info->flags &
				 (UROCE_OPF_FIRST | UROCE_OPF_MIDDLE))
				paylen = t & 1 ? 512 : 4096;
			pad = uroce_pkt_pad(paylen);
			random_pkt(op, paylen, &in);
			buf = assemble(&in, payload, &ip4, &full);
			REQUIRE(full == hl + paylen + pad + UROCE_ICRC_LEN);

			for (len = 0; len < full; len++) {
				bool icrc_ok = true;
				int want, got;

				got = parse_exact(buf, len, &out, &icrc_ok);
				if (len < hl + UROCE_ICRC_LEN)
					want = -UROCE_DROP_SHORT;
				else if (len % 4)
					want = -UROCE_DROP_BAD_LENGTH;
				else if (info->flags &
					 (UROCE_OPF_FIRST | UROCE_OPF_MIDDLE))
					want = is_ib_mtu(len - hl - 4) ?
						       0 :
						       -UROCE_DROP_BAD_LENGTH;
				else if (pad > len - hl - 4)
					want = -UROCE_DROP_BAD_PAD;
				else
					want = 0;
				REQUIRE_AT(got == want, op, len);
				if (!got)
					REQUIRE_AT(!icrc_ok, op, len);
			}
			/* Longer than the opcode allows. */
			for (len = full + 1; len <= full + 4; len++) {
				uint8_t *longer = calloc(1, len);
				int got;

				REQUIRE(longer);
				memcpy(longer, buf, full);
				got = parse_exact(longer, len, &out, NULL);
				if (len % 4 ||
				    !(info->flags & UROCE_OPF_PAYLOAD) ||
				    (info->flags &
				     (UROCE_OPF_FIRST | UROCE_OPF_MIDDLE)) ||
				    paylen == UROCE_MTU_MAX)
					REQUIRE_AT(
						got == -UROCE_DROP_BAD_LENGTH,
						op, len);
				else
					REQUIRE_AT(got == 0, op, len);
				free(longer);
			}
			free(buf);
		}
	}
}

static void set_pad(uint8_t *buf, unsigned int pad)
{
	buf[1] = (uint8_t)((buf[1] & ~0x30) | pad << 4);
}

static void test_version_pad_length(void)
{
	static const uint32_t lens[] = { 4,    8,    128,  252,	 256,
					 260,  300,  508,  512,	 516,
					 1000, 1024, 2048, 3000, 4092,
					 4096, 4100, 4104, 8192 };
	static uint8_t payload[8192];
	struct uroce_pkt in, out;
	unsigned int i, v, pad;
	uint8_t *buf;
	size_t len;

	for (i = 0; i < ARRAY_SIZE(expected_ops); i++) {
		uint8_t op = expected_ops[i].op;
		const struct uroce_opcode_info *info = &uroce_opcodes[op];
		uint32_t paylen = info->flags & UROCE_OPF_PAYLOAD ? 1024 : 0;

		random_pkt(op, paylen, &in);
		buf = assemble(&in, payload, &ip4, &len);
		for (v = 1; v < 16; v++) {
			buf[1] = (uint8_t)((buf[1] & 0xf0) | v);
			REQUIRE_AT(parse_exact(buf, len, &out, NULL) ==
					   -UROCE_DROP_BAD_VERSION,
				   op, len);
		}
		buf[1] &= 0xf0;
		/* A pad count on a packet that must not have one. */
		for (pad = 1; pad < 4; pad++) {
			set_pad(buf, pad);
			if (!(info->flags & UROCE_OPF_PAYLOAD) ||
			    (info->flags &
			     (UROCE_OPF_FIRST | UROCE_OPF_MIDDLE)))
				REQUIRE_AT(parse_exact(buf, len, &out, NULL) ==
						   -UROCE_DROP_BAD_PAD,
					   op, len);
			else
				REQUIRE_AT(!parse_exact(buf, len, &out, NULL) &&
						   out.paylen == paylen - pad,
					   op, len);
		}
		free(buf);

		if (!(info->flags & UROCE_OPF_PAYLOAD))
			continue;
		/* A pad count bigger than payload + pad. */
		if (info->flags & (UROCE_OPF_LAST | UROCE_OPF_ONLY)) {
			random_pkt(op, 0, &in);
			buf = assemble(&in, payload, &ip4, &len);
			for (pad = 1; pad < 4; pad++) {
				set_pad(buf, pad);
				REQUIRE_AT(parse_exact(buf, len, &out, NULL) ==
						   -UROCE_DROP_BAD_PAD,
					   op, len);
			}
			free(buf);
		}
		/* Payload lengths no path MTU allows. */
		for (v = 0; v < ARRAY_SIZE(lens); v++) {
			bool fm = info->flags &
				  (UROCE_OPF_FIRST | UROCE_OPF_MIDDLE);
			int got;

			random_pkt(op, 0, &in);
			in.paylen = lens[v];
			buf = assemble(&in, payload, &ip4, &len);
			got = parse_exact(buf, len, &out, NULL);
			if (fm ? is_ib_mtu(lens[v]) : lens[v] <= UROCE_MTU_MAX)
				REQUIRE_AT(got == 0, op, lens[v]);
			else
				REQUIRE_AT(got == -UROCE_DROP_BAD_LENGTH, op,
					   lens[v]);
			free(buf);
		}
	}
}

static void test_bad_opcodes(void)
{
	uint8_t buf[64];
	struct uroce_pkt out;
	unsigned int op;

	for (op = 0; op < 256; op++) {
		int got;

		memset(buf, 0, sizeof(buf));
		buf[0] = (uint8_t)op;
		got = parse_exact(buf, sizeof(buf), &out, NULL);
		if (expected_index(op) >= 0)
			REQUIRE_AT(got != -UROCE_DROP_BAD_OPCODE &&
					   got != -UROCE_DROP_UNSUPPORTED,
				   op, 0);
		else if (expected_unsupported(op))
			REQUIRE_AT(got == -UROCE_DROP_UNSUPPORTED, op, 0);
		else
			REQUIRE_AT(got == -UROCE_DROP_BAD_OPCODE, op, 0);
		/* The version is checked first: it defines the opcodes. */
		buf[1] = 1;
		REQUIRE_AT(parse_exact(buf, sizeof(buf), &out, NULL) ==
				   -UROCE_DROP_BAD_VERSION,
			   op, 0);
		/* Too short to hold any BTH and ICRC. */
		REQUIRE_AT(parse_exact(buf, 15, &out, NULL) ==
				   -UROCE_DROP_SHORT,
			   op, 15);
	}
}

static void test_aeth(void)
{
	static const uint8_t aeth_ops[] = { UROCE_OP_RC_ACK,
					    UROCE_OP_RC_ATOMIC_ACK,
					    UROCE_OP_RC_READ_RESP_FIRST,
					    UROCE_OP_RC_READ_RESP_LAST,
					    UROCE_OP_RC_READ_RESP_ONLY };
	static uint8_t payload[256];
	unsigned int i, s;

	REQUIRE(uroce_aeth_ack(0) == 0x00);
	REQUIRE(uroce_aeth_ack(UROCE_AETH_CREDITS_INVALID) == 0x1f);
	REQUIRE(uroce_aeth_rnr_nak(0) == 0x20);
	REQUIRE(uroce_aeth_rnr_nak(31) == 0x3f);
	REQUIRE(uroce_aeth_nak(UROCE_NAK_PSN_SEQ_ERR) == 0x60);
	REQUIRE(uroce_aeth_nak(UROCE_NAK_INVALID_REQ) == 0x61);
	REQUIRE(uroce_aeth_nak(UROCE_NAK_REMOTE_ACCESS_ERR) == 0x62);
	REQUIRE(uroce_aeth_nak(UROCE_NAK_REMOTE_OP_ERR) == 0x63);
	REQUIRE(uroce_aeth_nak(UROCE_NAK_INVALID_RD_REQ) == 0x64);
	for (s = 0; s < 32; s++) {
		REQUIRE(uroce_aeth_type(uroce_aeth_ack(s)) == UROCE_AETH_ACK);
		REQUIRE(uroce_aeth_value(uroce_aeth_ack(s)) == s);
		REQUIRE(uroce_aeth_type(uroce_aeth_rnr_nak(s)) ==
			UROCE_AETH_RNR_NAK);
		REQUIRE(uroce_aeth_value(uroce_aeth_rnr_nak(s)) == s);
	}
	REQUIRE(uroce_aeth_type(0x40) == UROCE_AETH_RESERVED);
	REQUIRE(uroce_aeth_type(uroce_aeth_nak(UROCE_NAK_REMOTE_OP_ERR)) ==
		UROCE_AETH_NAK);

	/* Every syndrome on every opcode that carries an AETH. */
	for (i = 0; i < ARRAY_SIZE(aeth_ops); i++) {
		uint8_t op = aeth_ops[i];

		for (s = 0; s < 256; s++) {
			struct uroce_pkt in, out;
			unsigned int type = (s >> 5) & 3;
			bool ok;
			uint8_t *buf;
			size_t len;

			random_pkt(op,
				   uroce_opcodes[op].flags & UROCE_OPF_PAYLOAD ?
					   256 :
					   0,
				   &in);
			in.aeth.syndrome = (uint8_t)s;
			buf = assemble(&in, payload, &ip4, &len);
			if (s & 0x80 || type == 2)
				ok = false;
			else if (op != UROCE_OP_RC_ACK)
				ok = type == 0;
			else
				ok = type != 3 || (s & 0x1f) <= 4;
			REQUIRE_AT(parse_exact(buf, len, &out, NULL) ==
					   (ok ? 0 : -UROCE_DROP_BAD_AETH),
				   op, s);
			if (ok)
				REQUIRE(out.aeth.syndrome == s);
			free(buf);
		}
	}
}

static void test_tables(void)
{
	/* IBTA table 45, in milliseconds. */
	static const double rnr_ms[32] = {
		655.36, 0.01,  0.02,  0.03,   0.04,   0.06,   0.08,   0.12,
		0.16,	0.24,  0.32,  0.48,   0.64,   0.96,   1.28,   1.92,
		2.56,	3.84,  5.12,  7.68,   10.24,  15.36,  20.48,  30.72,
		40.96,	61.44, 81.92, 122.88, 163.84, 245.76, 327.68, 491.52,
	};
	unsigned int i, r;

	for (i = 0; i < 32; i++) {
		double d = uroce_rnr_timer_us[i] - rnr_ms[i] * 1000.0;

		REQUIRE(d < 1e-6 && d > -1e-6);
	}
	REQUIRE(uroce_rnr_timer_code(0) == 1);
	REQUIRE(uroce_rnr_timer_code(10) == 1);
	REQUIRE(uroce_rnr_timer_code(11) == 2);
	REQUIRE(uroce_rnr_timer_code(1280) == 14);
	REQUIRE(uroce_rnr_timer_code(1281) == 15);
	REQUIRE(uroce_rnr_timer_code(491520) == 31);
	REQUIRE(uroce_rnr_timer_code(491521) == 0);
	REQUIRE(uroce_rnr_timer_code(UINT32_MAX) == 0);
	for (i = 1; i < 32; i++) {
		REQUIRE(uroce_rnr_timer_code(uroce_rnr_timer_us[i]) == i);
		REQUIRE(uroce_rnr_timer_code(uroce_rnr_timer_us[i] - 1) == i);
	}

	/* IBTA table 44: credits double every two codes from code 4 on. */
	REQUIRE(uroce_aeth_credit_table[0] == 0 &&
		uroce_aeth_credit_table[1] == 1 &&
		uroce_aeth_credit_table[2] == 2 &&
		uroce_aeth_credit_table[3] == 3);
	for (i = 4; i < 31; i++)
		REQUIRE(uroce_aeth_credit_table[i] ==
			(i % 2 ? 3u << ((i - 3) / 2) : 1u << (i / 2)));
	REQUIRE(uroce_aeth_credit_table[30] == 32768);
	REQUIRE(uroce_aeth_credit_code(0) == 0);
	REQUIRE(uroce_aeth_credit_code(5) == 4);
	REQUIRE(uroce_aeth_credit_code(6) == 5);
	REQUIRE(uroce_aeth_credit_code(100) == 13);
	REQUIRE(uroce_aeth_credit_code(32768) == 30);
	REQUIRE(uroce_aeth_credit_code(UINT32_MAX) == 30);
	for (r = 0; r < 40000; r += 7) {
		unsigned int c = uroce_aeth_credit_code(r);

		REQUIRE(uroce_aeth_credit_table[c] <= r);
		REQUIRE(c == 30 || uroce_aeth_credit_table[c + 1] > r);
	}

	/* Drop reasons: every one named, uniquely, either sign. */
	for (i = 0; i < UROCE_DROP_MAX; i++) {
		const char *name = uroce_drop_name((int)i);

		REQUIRE(name && strcmp(name, "unknown"));
		REQUIRE(uroce_drop_name(-(int)i) == name);
		for (r = 0; r < i; r++)
			REQUIRE(strcmp(name, uroce_drop_name((int)r)));
	}
	REQUIRE(!strcmp(uroce_drop_name(UROCE_DROP_MAX), "unknown"));
	REQUIRE(!strcmp(uroce_drop_name(INT32_MIN), "unknown"));
	REQUIRE(!strcmp(uroce_drop_name(-UROCE_DROP_SHORT), "short"));
	REQUIRE(!strcmp(uroce_drop_name(-UROCE_DROP_BAD_ICRC), "bad_icrc"));
}

/* Random bytes and mutated packets: never a crash, overread or lie. */
static void test_fuzz(void)
{
	static uint8_t payload[UROCE_MTU_MAX];
	unsigned int i;

	for (i = 0; i < 100000; i++) {
		uint8_t buf[128], *pkt;
		struct uroce_pkt in, out;
		size_t len = rnd32() % sizeof(buf);
		int got;

		rnd_fill(buf, len);
		if (i & 1) {
			buf[0] =
				expected_ops[rnd32() % ARRAY_SIZE(expected_ops)]
					.op;
			if (len > 1)
				buf[1] &= 0xf0;
		}
		got = parse_exact(buf, len, &out, NULL);
		REQUIRE(got <= 0 && got > -UROCE_DROP_BAD_ICRC);
		if (!got)
			REQUIRE(out.info->hdr_len + out.paylen + out.bth.pad +
					UROCE_ICRC_LEN ==
				len);

		/* A good packet with a few bytes changed. */
		random_pkt(expected_ops[i % ARRAY_SIZE(expected_ops)].op, 0,
			   &in);
		in.paylen = paylen_for(&uroce_opcodes[in.bth.opcode]) % 600;
		if (uroce_opcodes[in.bth.opcode].flags &
		    (UROCE_OPF_FIRST | UROCE_OPF_MIDDLE))
			in.paylen = 256;
		pkt = assemble(&in, payload, &ip4, &len);
		pkt[rnd32() % len] ^= (uint8_t)(1 + rnd32() % 255);
		if (rnd32() & 1)
			pkt[rnd32() % 16] = (uint8_t)rnd32();
		got = parse_exact(pkt, len - (rnd32() & 1 ? rnd32() % 8 : 0),
				  &out, NULL);
		REQUIRE(got <= 0 && got > -UROCE_DROP_BAD_ICRC);
		free(pkt);
	}
}

/* The CRC-32 of the definition: bit by bit, no tables, no zlib. */
static uint32_t crc32_bitwise(uint32_t crc, const uint8_t *p, size_t n)
{
	int k;

	crc = ~crc;
	while (n--) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = crc & 1 ? (crc >> 1) ^ 0xedb88320u : crc >> 1;
	}
	return ~crc;
}

static void test_crc32(void)
{
	static uint8_t buf[9000];
	uint8_t ones[8];
	unsigned int i;

	/* The standard check value of CRC-32. */
	REQUIRE(uroce_crc32(0, "123456789", 9) == 0xcbf43926u);
	REQUIRE(uroce_crc32(0, "", 0) == 0);
	/*
	 * After the 8 bytes of ones that stand for the LRH, the register
	 * holds 0xdebb20e3: the seed rxe starts its ICRC from.
	 */
	memset(ones, 0xff, sizeof(ones));
	REQUIRE(~uroce_crc32(0, ones, sizeof(ones)) == 0xdebb20e3u);

	rnd_fill(buf, sizeof(buf));
	for (i = 0; i < 3000; i++) {
		size_t off = rnd32() % 64;
		size_t len = i < 600 ? i : rnd32() % (sizeof(buf) - 64);
		size_t cut = len ? rnd32() % len : 0;
		uint32_t want = crc32_bitwise(0, buf + off, len);

		REQUIRE(uroce_crc32(0, buf + off, len) == want);
		REQUIRE((uint32_t)crc32(0, buf + off, (uInt)len) == want);
		/* Incremental: any split gives the same CRC. */
		REQUIRE(uroce_crc32(uroce_crc32(0, buf + off, cut),
				    buf + off + cut, len - cut) == want);
	}
}

/*
 * The oracle: the bytes the ICRC covers, assembled here from a real IP and
 * UDP header image (as a capture shows it) by masking its variant fields.
 */
struct wire {
	uint8_t ip[40];
	size_t ip_len;
	uint8_t udp[8];
};

static void wire_from(struct wire *w, const struct uroce_icrc_hdr *h,
		      size_t pkt_len, uint8_t tos, uint8_t ttl, uint32_t flow,
		      uint16_t ip_csum, uint16_t udp_csum)
{
	size_t udp_len = 8 + pkt_len + 4;

	if (h->family == AF_INET) {
		uint8_t *ip = w->ip;

		w->ip_len = 20;
		ip[0] = 0x45;
		ip[1] = tos;
		ip[2] = (uint8_t)((20 + udp_len) >> 8);
		ip[3] = (uint8_t)(20 + udp_len);
		ip[4] = (uint8_t)(h->ip_id >> 8);
		ip[5] = (uint8_t)h->ip_id;
		ip[6] = (uint8_t)(h->ip_frag_off >> 8);
		ip[7] = (uint8_t)h->ip_frag_off;
		ip[8] = ttl;
		ip[9] = 17;
		ip[10] = (uint8_t)(ip_csum >> 8);
		ip[11] = (uint8_t)ip_csum;
		memcpy(ip + 12, &h->src.v4, 4);
		memcpy(ip + 16, &h->dst.v4, 4);
	} else {
		uint8_t *ip = w->ip;

		w->ip_len = 40;
		ip[0] = (uint8_t)(0x60 | tos >> 4);
		ip[1] = (uint8_t)(tos << 4 | ((flow >> 16) & 0xf));
		ip[2] = (uint8_t)(flow >> 8);
		ip[3] = (uint8_t)flow;
		ip[4] = (uint8_t)(udp_len >> 8);
		ip[5] = (uint8_t)udp_len;
		ip[6] = 17;
		ip[7] = ttl;
		memcpy(ip + 8, &h->src.v6, 16);
		memcpy(ip + 24, &h->dst.v6, 16);
	}
	w->udp[0] = (uint8_t)(h->sport >> 8);
	w->udp[1] = (uint8_t)h->sport;
	w->udp[2] = (uint8_t)(h->dport >> 8);
	w->udp[3] = (uint8_t)h->dport;
	w->udp[4] = (uint8_t)(udp_len >> 8);
	w->udp[5] = (uint8_t)udp_len;
	w->udp[6] = (uint8_t)(udp_csum >> 8);
	w->udp[7] = (uint8_t)udp_csum;
}

static uint32_t oracle_icrc(const struct wire *w, const uint8_t *pkt,
			    size_t pkt_len)
{
	uint8_t *img = malloc(8 + 40 + 8 + pkt_len), *p = img;
	uint32_t crc;

	REQUIRE(img);
	memset(p, 0xff, 8);
	p += 8;
	memcpy(p, w->ip, w->ip_len);
	if (w->ip_len == 20) {
		p[1] = 0xff; /* TOS */
		p[8] = 0xff; /* TTL */
		p[10] = p[11] = 0xff; /* header checksum */
	} else {
		p[0] |= 0x0f; /* traffic class ... */
		p[1] = p[2] = p[3] = 0xff; /* ... and flow label */
		p[7] = 0xff; /* hop limit */
	}
	p += w->ip_len;
	memcpy(p, w->udp, 8);
	p[6] = p[7] = 0xff; /* UDP checksum */
	p += 8;
	memcpy(p, pkt, pkt_len);
	p[4] = 0xff; /* BTH resv8a: FECN, BECN, resv6 */
	p += pkt_len;
	crc = (uint32_t)crc32(0, img, (uInt)(p - img));
	free(img);
	return crc;
}

/* Splits @len bytes into up to 8 random pieces, some of them empty. */
static int random_split(uint8_t *pkt, size_t len, struct iovec *iov)
{
	int n = 0;

	while (len && n < 7) {
		size_t l = rnd32() % 3 == 0 ? 0 : rnd32() % (len + 1);

		if (rnd32() % 4 == 0 && len > 5) /* often inside the BTH */
			l = rnd32() % 6;
		iov[n++] = (struct iovec){ pkt, l };
		pkt += l;
		len -= l;
	}
	iov[n++] = (struct iovec){ pkt, len };
	return n;
}

static void random_hdr(struct uroce_icrc_hdr *h, bool v6)
{
	memset(h, 0, sizeof(*h));
	h->family = v6 ? AF_INET6 : AF_INET;
	if (v6) {
		rnd_fill(h->src.v6.s6_addr, 16);
		rnd_fill(h->dst.v6.s6_addr, 16);
	} else {
		h->src.v4.s_addr = rnd32();
		h->dst.v4.s_addr = rnd32();
		h->ip_id = (uint16_t)rnd32();
		h->ip_frag_off = rnd32() & 1 ? 0x4000 : 0;
	}
	h->sport = (uint16_t)rnd32();
	h->dport = (uint16_t)rnd32();
}

static void test_icrc_oracle(void)
{
	static uint8_t pkt[8192];
	unsigned int i;

	for (i = 0; i < 4000; i++) {
		struct uroce_icrc_hdr h;
		struct iovec iov[8], whole;
		struct wire w;
		size_t len = 12 + 4 * (rnd32() % 1035);
		uint32_t want;
		int n;

		random_hdr(&h, i & 1);
		rnd_fill(pkt, len);
		/* The masked fields carry anything on the wire. */
		wire_from(&w, &h, len, (uint8_t)rnd32(), (uint8_t)rnd32(),
			  rnd32(), (uint16_t)rnd32(), (uint16_t)rnd32());
		want = oracle_icrc(&w, pkt, len);
		whole = (struct iovec){ pkt, len };
		REQUIRE(uroce_icrc(&h, &whole, 1) == want);
		n = random_split(pkt, len, iov);
		REQUIRE(uroce_icrc(&h, iov, n) == want);
	}
}

/*
 * Packets captured on the wire, with the ICRC their sender computed: a
 * CNP sent by a ConnectX-4 Lx, and a UC SEND from scapy's RoCE tests.
 */
static void test_icrc_captures(void)
{
	static const uint8_t cnp[] = {
		/* BTH: CNP, P_Key 0xffff, BECN, QPN 0x118, PSN 0 */
		0x81,
		0x00,
		0xff,
		0xff,
		0x40,
		0x00,
		0x01,
		0x18,
		0x00,
		0x00,
		0x00,
		0x00,
		/* 16 reserved bytes */
		0,
		0,
		0,
		0,
		0,
		0,
		0,
		0,
		0,
		0,
		0,
		0,
		0,
		0,
		0,
		0,
	};
	static const uint8_t cnp_icrc[4] = { 0x82, 0xfd, 0x00, 0x2a };
	static const uint8_t uc_send[] = {
		/* BTH: UC_SEND_ONLY, MigReq, pad 2, QPN 211, PSN 13571856 */
		0x24,
		0x60,
		0xff,
		0xff,
		0x00,
		0x00,
		0x00,
		0xd3,
		0x00,
		0xcf,
		0x17,
		0x10,
		/* 18 bytes of payload and 2 of pad */
		0x46,
		0x30,
		0x81,
		0x8b,
		0xe2,
		0x89,
		0x35,
		0xd9,
		0x0e,
		0x9a,
		0x95,
		0x50,
		0x54,
		0x01,
		0xbe,
		0x88,
		0x5e,
		0x50,
		0x00,
		0x00,
		/* ICRC */
		0x78,
		0xf3,
		0x53,
		0xf3,
	};
	struct uroce_icrc_hdr h;
	struct uroce_pkt out;
	struct iovec iov;
	uint8_t icrc[4];

	/* IPv4 10.0.17.1 -> 10.0.18.1, TOS 0xc2, ID 0x718c, DF, TTL 64. */
	memset(&h, 0, sizeof(h));
	h.family = AF_INET;
	REQUIRE(inet_pton(AF_INET, "10.0.17.1", &h.src.v4) == 1);
	REQUIRE(inet_pton(AF_INET, "10.0.18.1", &h.dst.v4) == 1);
	h.ip_id = 0x718c;
	h.ip_frag_off = 0x4000;
	h.sport = 0;
	h.dport = 4791;
	iov = (struct iovec){ (void *)cnp, sizeof(cnp) };
	uroce_icrc_put(icrc, uroce_icrc(&h, &iov, 1));
	REQUIRE(!memcmp(icrc, cnp_icrc, 4));

	/* IPv4 192.168.0.7 -> itself, TOS 1, ID 1144, DF, TTL 64. */
	REQUIRE(inet_pton(AF_INET, "192.168.0.7", &h.src.v4) == 1);
	h.dst = h.src;
	h.ip_id = 1144;
	h.sport = 49152;
	iov = (struct iovec){ (void *)uc_send, sizeof(uc_send) - 4 };
	uroce_icrc_put(icrc, uroce_icrc(&h, &iov, 1));
	REQUIRE(!memcmp(icrc, uc_send + sizeof(uc_send) - 4, 4));

	/* And the parser reads it as what it is. */
	REQUIRE(uroce_pkt_parse(uc_send, sizeof(uc_send), &out) == 0);
	REQUIRE(out.bth.opcode == UROCE_OP_UC_SEND_ONLY && out.bth.mig &&
		!out.bth.se && out.bth.pad == 2 && out.bth.pkey == 0xffff &&
		out.bth.dqpn == 211 && out.bth.psn == 13571856 &&
		!out.bth.ackreq && out.paylen == 18 &&
		out.payload == uc_send + 12);
	REQUIRE(uroce_pkt_check_icrc(&out, &h) == 0);
	h.ip_id++;
	REQUIRE(uroce_pkt_check_icrc(&out, &h) == -UROCE_DROP_BAD_ICRC);
	/* A RoCE v2 peer's ID is unknown: any_ip_id finds 1144 itself. */
	h.ip_id = 0;
	h.any_ip_id = true;
	REQUIRE(uroce_pkt_check_icrc(&out, &h) == 0);
	h.sport++;
	REQUIRE(uroce_pkt_check_icrc(&out, &h) == -UROCE_DROP_BAD_ICRC);
}

/*
 * uroce_icrc_check with any_ip_id: an ICRC made with any IPv4 ID passes,
 * whatever the packet's length; a packet changed in one bit does not;
 * IPv6, which has no ID, stays exact; random ICRCs pass about once in
 * 2^16.
 */
static void test_icrc_any_id(void)
{
	static uint8_t pkt[8192];
	struct uroce_icrc_hdr h, rx;
	unsigned int i, t, bit, pass = 0;
	struct iovec iov;
	uint32_t icrc;
	size_t len;

	for (t = 0; t < 2000; t++) {
		random_hdr(&h, false);
		len = 12 + rnd32() % (sizeof(pkt) - 12);
		rnd_fill(pkt, len);
		iov = (struct iovec){ pkt, len };
		icrc = uroce_icrc(&h, &iov, 1);
		rx = h;
		rx.ip_id = (uint16_t)rnd32();
		rx.any_ip_id = true;
		REQUIRE_AT(uroce_icrc_check(&rx, &iov, 1, icrc), t, len);
		rx.any_ip_id = false;
		REQUIRE_AT(uroce_icrc_check(&rx, &iov, 1, icrc) ==
				   (rx.ip_id == h.ip_id),
			   t, len);
	}
	/* One bit changed anywhere in a short packet: refused. */
	random_hdr(&h, false);
	rnd_fill(pkt, 64);
	iov = (struct iovec){ pkt, 64 };
	icrc = uroce_icrc(&h, &iov, 1);
	h.any_ip_id = true;
	for (i = 0; i < 64; i++) {
		for (bit = 0; bit < 8 && i != 4; bit++) {
			pkt[i] ^= (uint8_t)(1 << bit);
			REQUIRE_AT(!uroce_icrc_check(&h, &iov, 1, icrc), i,
				   bit);
			pkt[i] ^= (uint8_t)(1 << bit);
		}
	}
	/* The delta a sender XORs in for ID k is the ICRC's change. */
	random_hdr(&h, false);
	for (t = 0; t < 200; t++) {
		len = 12 + rnd32() % (sizeof(pkt) - 12);
		rnd_fill(pkt, len);
		iov = (struct iovec){ pkt, len };
		h.ip_id = 0;
		icrc = uroce_icrc(&h, &iov, 1);
		h.ip_id = (uint16_t)rnd32();
		REQUIRE_AT((icrc ^
			    uroce_icrc_id_delta(h.ip_id,
						uroce_icrc_id_shift(len))) ==
				   uroce_icrc(&h, &iov, 1),
			   t, len);
	}
	rnd_fill(pkt, 64);
	iov = (struct iovec){ pkt, 64 };
	/* IPv6: the flag changes nothing. */
	random_hdr(&h, true);
	h.any_ip_id = true;
	icrc = uroce_icrc(&h, &iov, 1);
	REQUIRE(uroce_icrc_check(&h, &iov, 1, icrc));
	REQUIRE(!uroce_icrc_check(&h, &iov, 1, icrc ^ 1));
	/* Random ICRCs: 2^-16 each, so 1 expected in 65536. */
	random_hdr(&h, false);
	h.any_ip_id = true;
	for (t = 0; t < 65536; t++)
		pass += uroce_icrc_check(&h, &iov, 1, rnd32());
	REQUIRE_AT(pass < 8, pass, 0);
}

/*
 * Every bit the ICRC covers changes it; the BTH's masked byte does not.
 * (The masked IP and UDP fields are not even inputs: the oracle test shows
 * any value of them gives the same ICRC.)
 */
static void test_icrc_coverage(void)
{
	uint8_t pkt[12 + 16 + 8];
	unsigned int i, bit, v;
	struct uroce_icrc_hdr h, h2;
	struct iovec iov = { pkt, sizeof(pkt) };
	uint32_t base;

	for (v = 0; v < 2; v++) {
		random_hdr(&h, v);
		rnd_fill(pkt, sizeof(pkt));
		base = uroce_icrc(&h, &iov, 1);
		for (i = 0; i < sizeof(pkt); i++) {
			for (bit = 0; bit < 8; bit++) {
				pkt[i] ^= (uint8_t)(1 << bit);
				REQUIRE_AT((uroce_icrc(&h, &iov, 1) == base) ==
						   (i == 4),
					   pkt[0], i);
				pkt[i] ^= (uint8_t)(1 << bit);
			}
		}
		for (i = 0; i < 256; i++) {
			pkt[4] = (uint8_t)i;
			REQUIRE(uroce_icrc(&h, &iov, 1) == base);
		}
		/* Addresses, ports and (IPv4) ID and flags. */
		for (i = 0; i < 16; i++) {
			for (bit = 0; bit < 8; bit++) {
				h2 = h;
				h2.src.v6.s6_addr[i] ^= (uint8_t)(1 << bit);
				REQUIRE((uroce_icrc(&h2, &iov, 1) == base) ==
					(!v && i >= 4));
				h2 = h;
				h2.dst.v6.s6_addr[i] ^= (uint8_t)(1 << bit);
				REQUIRE((uroce_icrc(&h2, &iov, 1) == base) ==
					(!v && i >= 4));
			}
		}
		for (bit = 0; bit < 16; bit++) {
			h2 = h;
			h2.sport ^= (uint16_t)(1 << bit);
			REQUIRE(uroce_icrc(&h2, &iov, 1) != base);
			h2 = h;
			h2.dport ^= (uint16_t)(1 << bit);
			REQUIRE(uroce_icrc(&h2, &iov, 1) != base);
			h2 = h;
			h2.ip_id ^= (uint16_t)(1 << bit);
			REQUIRE((uroce_icrc(&h2, &iov, 1) == base) == v);
			h2 = h;
			h2.ip_frag_off ^= (uint16_t)(1 << bit);
			REQUIRE((uroce_icrc(&h2, &iov, 1) == base) == v);
		}
		/* The length, through the IP and UDP length fields. */
		iov.iov_len -= 4;
		REQUIRE(uroce_icrc(&h, &iov, 1) != base);
		iov.iov_len += 4;
	}
}

/* A parsed packet with any covered byte changed fails its ICRC check. */
static void test_icrc_check(void)
{
	static uint8_t payload[300];
	struct uroce_pkt in, out;
	unsigned int i;
	uint8_t *buf;
	size_t len;

	rnd_fill(payload, sizeof(payload));
	random_pkt(UROCE_OP_RC_WRITE_ONLY_IMM, 299, &in);
	buf = assemble(&in, payload, &ip4, &len);
	REQUIRE(uroce_pkt_parse(buf, len, &out) == 0);
	REQUIRE(uroce_pkt_check_icrc(&out, &ip4) == 0);
	for (i = 0; i < len; i++) {
		buf[i] ^= 0x01;
		if (uroce_pkt_parse(buf, len, &out) == 0)
			REQUIRE_AT((uroce_pkt_check_icrc(&out, &ip4) == 0) ==
					   (i == 4),
				   buf[0], i);
		buf[i] ^= 0x01;
	}
	free(buf);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int bench(void)
{
	static uint8_t payload[4096], hdr[UROCE_HDR_MAX];
	struct iovec iov[2] = { { hdr, 28 }, { payload, sizeof(payload) } };
	const unsigned int n = 500000;
	volatile uint32_t sink = 0;
	unsigned int i;
	double t;

	rnd_fill(payload, sizeof(payload));
	rnd_fill(hdr, sizeof(hdr));
	t = now();
	for (i = 0; i < n; i++)
		sink += uroce_crc32(sink, payload, sizeof(payload));
	t = now() - t;
	printf("uroce_crc32, 4 KiB buffers:   %6.2f GB/s\n",
	       4096.0 * n / t / 1e9);
	t = now();
	for (i = 0; i < n; i++)
		sink += (uint32_t)crc32(sink, payload, sizeof(payload));
	t = now() - t;
	printf("zlib crc32, 4 KiB buffers:    %6.2f GB/s\n",
	       4096.0 * n / t / 1e9);
	t = now();
	for (i = 0; i < n; i++) {
		hdr[11] = (uint8_t)i;
		sink += uroce_icrc(&ip4, iov, 2);
	}
	t = now() - t;
	printf("uroce_icrc, 4 KiB WRITE (IPv4, 2 iovecs): %6.2f GB/s, "
	       "%.0f ns/packet\n",
	       4096.0 * n / t / 1e9, t / n * 1e9);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--bench"))
		return bench();
	test_opcode_table();
	test_wire_bytes();
	test_round_trip();
	test_build_errors();
	test_truncation();
	test_version_pad_length();
	test_bad_opcodes();
	test_aeth();
	test_tables();
	test_fuzz();
	test_crc32();
	test_icrc_oracle();
	test_icrc_captures();
	test_icrc_coverage();
	test_icrc_check();
	test_icrc_any_id();
#ifdef UROCE_ICRC_PORTABLE
	printf("test_pkt (portable CRC path): ok\n");
#else
	printf("test_pkt: ok\n");
#endif
	return 0;
}
