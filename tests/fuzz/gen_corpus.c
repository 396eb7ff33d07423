// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Writes the fuzz targets' seed corpora: gen_corpus DIR writes
 * DIR/pkt, DIR/deliver and DIR/cm_msg (DIR/config is written by hand).
 *
 *   pkt      one valid packet of every opcode uroce implements, ICRC right
 *            for fuzz_pkt.c's IPv4 header, plus a few broken ones;
 *   deliver  for every QP type and state, the requests of a whole exchange
 *            (every request opcode of the transport) and, for RC, the
 *            responses to the WRs fuzz_deliver.c posts; and each opcode
 *            alone against a QP in RTS;
 *   cm_msg   a message of every CM attribute.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "librdmacm/cm_msg.h"
#include "providers/uroce/pkt.h"

#define MTU 256
#define FUZZ_QKEY 0x11111111u

static const char *outdir;

static const struct uroce_icrc_hdr ih4 = { .family = AF_INET,
					   .sport = 49152,
					   .dport = 4791,
					   .ip_frag_off = 0x4000 };

static void write_file(const char *sub, const char *name, const uint8_t *buf,
		       size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", outdir, sub);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s", outdir, sub, name);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(1);
	}
}

/* The RETH, AtomicETH and IETH key of the packets (fuzz_deliver's 0x40). */
static uint32_t seed_key = 0x1234;

/* A whole packet of @op at @out; returns its length. */
static size_t packet(uint8_t *out, uint8_t op, uint32_t psn, uint32_t paylen)
{
	const struct uroce_opcode_info *info = &uroce_opcodes[op];
	struct uroce_pkt p;
	struct iovec iov;
	unsigned int pad;
	int hlen;

	memset(&p, 0, sizeof(p));
	p.bth.opcode = op;
	p.bth.pkey = UROCE_DEFAULT_PKEY;
	p.bth.dqpn = 0x123401;
	p.bth.psn = psn;
	p.bth.ackreq = (info->flags & UROCE_OPF_END) != 0;
	p.reth.va = 4096;
	p.reth.rkey = seed_key;
	p.reth.len = paylen;
	p.atmeth.va = 4096 + 64;
	p.atmeth.rkey = seed_key;
	p.atmeth.swap_add = 5;
	p.atmeth.compare = 0;
	p.deth.qkey = FUZZ_QKEY;
	p.deth.sqpn = 0x4321;
	p.imm = htonl(0xdeadbeef);
	p.ieth = seed_key;
	p.aeth.syndrome = uroce_aeth_ack(UROCE_AETH_CREDITS_INVALID);
	p.aeth.msn = 1;
	p.atmack = 7;
	if (!(info->flags & UROCE_OPF_PAYLOAD))
		paylen = 0;
	p.paylen = paylen;
	hlen = uroce_pkt_build(out, UROCE_HDR_MAX, &p);
	if (hlen < 0) {
		fprintf(stderr, "build %#x: %d\n", op, hlen);
		exit(1);
	}
	memset(out + hlen, 0x5a, paylen);
	pad = uroce_pkt_pad(paylen);
	memset(out + hlen + paylen, 0, pad);
	iov.iov_base = out;
	iov.iov_len = (size_t)hlen + paylen + pad;
	uroce_icrc_put(out + iov.iov_len, uroce_icrc(&ih4, &iov, 1));
	return iov.iov_len + UROCE_ICRC_LEN;
}

/* The payload a packet of @op carries in the seeds. */
static uint32_t seed_paylen(uint8_t op)
{
	const struct uroce_opcode_info *info = &uroce_opcodes[op];

	if (!(info->flags & UROCE_OPF_PAYLOAD))
		return 0;
	if (info->flags & (UROCE_OPF_FIRST | UROCE_OPF_MIDDLE))
		return MTU;
	return 13; /* not a multiple of 4: a pad */
}

static void gen_pkt(void)
{
	uint8_t buf[UROCE_HDR_MAX + UROCE_MTU_MAX + UROCE_TRAILER_MAX];
	char name[64];
	size_t len;
	unsigned int op;

	for (op = 0; op < 256; op++) {
		if (!(uroce_opcodes[op].flags & UROCE_OPF_VALID))
			continue;
		len = packet(buf, (uint8_t)op, 0x10, seed_paylen((uint8_t)op));
		snprintf(name, sizeof(name), "op_%02x", op);
		write_file("pkt", name, buf, len);
	}
	/* Broken: truncated, bad ICRC, reserved opcode, NAK. */
	len = packet(buf, UROCE_OP_RC_WRITE_ONLY, 1, 100);
	write_file("pkt", "short", buf, 20);
	buf[len - 1] ^= 1;
	write_file("pkt", "bad_icrc", buf, len);
	len = packet(buf, UROCE_OP_RC_ACK, 1, 0);
	buf[UROCE_BTH_LEN] = uroce_aeth_nak(UROCE_NAK_REMOTE_ACCESS_ERR);
	write_file("pkt", "nak", buf, len);
	buf[0] = 0x15;
	write_file("pkt", "reserved", buf, len);
}

/* A deliver input being put together. */
struct input {
	uint8_t buf[65536];
	size_t len;
};

static void in_start(struct input *in, unsigned int type, unsigned int state,
		     uint8_t flags)
{
	in->buf[0] = (uint8_t)(state * 3 + type);
	in->buf[1] = flags;
	in->len = 2;
}

static void in_pkt(struct input *in, uint8_t op, uint32_t psn, uint32_t paylen)
{
	size_t n = packet(in->buf + in->len + 2, op, psn, paylen);

	uroce_put_be16(in->buf + in->len, (uint16_t)n);
	in->len += 2 + n;
}

/* Patches the AETH syndrome of the packet added last (an ACK). */
static void in_last_syndrome(struct input *in, size_t at, uint8_t syndrome)
{
	in->buf[at + 2 + UROCE_BTH_LEN] = syndrome;
}

/* Every request opcode of @tr, PSNs from 0, in message order. */
static void requests(struct input *in, enum uroce_transport tr)
{
	uint8_t base = tr == UROCE_TR_RC ? 0x00 : 0x20;
	uint32_t psn = 0;

	if (tr == UROCE_TR_UD) {
		in_pkt(in, UROCE_OP_UD_SEND_ONLY, psn++, 13);
		in_pkt(in, UROCE_OP_UD_SEND_ONLY_IMM, psn++, 0);
		return;
	}
	in_pkt(in, base + 0x04, psn++, 13); /* SEND_ONLY */
	in_pkt(in, base + 0x00, psn++, MTU); /* SEND_FIRST */
	in_pkt(in, base + 0x01, psn++, MTU); /* SEND_MIDDLE */
	in_pkt(in, base + 0x03, psn++, 20); /* SEND_LAST_IMM */
	in_pkt(in, base + 0x05, psn++, 0); /* SEND_ONLY_IMM */
	in_pkt(in, base + 0x0a, psn++, 100); /* WRITE_ONLY */
	in_pkt(in, base + 0x06, psn++, MTU * 2 + 8); /* WRITE_FIRST */
	in_pkt(in, base + 0x07, psn++, MTU); /* WRITE_MIDDLE */
	in_pkt(in, base + 0x09, psn++, 8); /* WRITE_LAST_IMM */
	in_pkt(in, base + 0x0b, psn++, 4); /* WRITE_ONLY_IMM */
	if (tr != UROCE_TR_RC)
		return;
	in_pkt(in, UROCE_OP_RC_SEND_ONLY_INV, psn++, 8);
	in_pkt(in, UROCE_OP_RC_READ_REQ, psn, 600);
	psn += 3;
	in_pkt(in, UROCE_OP_RC_CMP_SWAP, psn++, 0);
	in_pkt(in, UROCE_OP_RC_FETCH_ADD, psn++, 0);
	/* A duplicate of the READ: replayed from the history. */
	in_pkt(in, UROCE_OP_RC_READ_REQ, 11, 600);
}

/*
 * The responses to fuzz_deliver.c's posted WRs (flags 0x3e): SEND of 600
 * bytes (PSN 0-2), WRITE of 300 (3-4), READ of 1000 (5-8), CMP_SWAP (9),
 * FETCH_ADD (10).
 */
static void responses(struct input *in)
{
	in_pkt(in, UROCE_OP_RC_ACK, 4, 0);
	in_pkt(in, UROCE_OP_RC_READ_RESP_FIRST, 5, MTU);
	in_pkt(in, UROCE_OP_RC_READ_RESP_MIDDLE, 6, MTU);
	in_pkt(in, UROCE_OP_RC_READ_RESP_MIDDLE, 7, MTU);
	in_pkt(in, UROCE_OP_RC_READ_RESP_LAST, 8, 1000 - 3 * MTU);
	in_pkt(in, UROCE_OP_RC_ATOMIC_ACK, 9, 0);
	in_pkt(in, UROCE_OP_RC_ATOMIC_ACK, 10, 0);
}

/* An RC or UC request through a window: key 1 type 1, 2 type 2. */
static void mw_req(struct input *in, uint8_t op, uint32_t psn, uint32_t paylen,
		   uint32_t key)
{
	seed_key = key;
	in_pkt(in, op, psn, paylen);
	seed_key = 0x1234;
}

/*
 * Memory windows (flags 0x41): accesses through both, SEND with
 * Invalidate of the type 2 window, one and several packets, then an
 * access through it; and invalidations that must fail.
 */
static void gen_mw(void)
{
	static struct input in;

	in_start(&in, 0, 3, 0x41);
	mw_req(&in, UROCE_OP_RC_WRITE_ONLY, 0, 100, 1);
	mw_req(&in, UROCE_OP_RC_READ_REQ, 1, 200, 2);
	mw_req(&in, UROCE_OP_RC_FETCH_ADD, 2, 0, 1);
	mw_req(&in, UROCE_OP_RC_CMP_SWAP, 3, 0, 2);
	mw_req(&in, UROCE_OP_RC_SEND_FIRST, 4, MTU, 2);
	mw_req(&in, UROCE_OP_RC_SEND_LAST_INV, 5, 10, 2);
	mw_req(&in, UROCE_OP_RC_WRITE_ONLY, 6, 100, 2);
	write_file("deliver", "rc_rts_mw", in.buf, in.len);

	in_start(&in, 0, 3, 0x41);
	mw_req(&in, UROCE_OP_RC_SEND_ONLY_INV, 0, 8, 2);
	mw_req(&in, UROCE_OP_RC_READ_REQ, 1, 8, 2);
	write_file("deliver", "rc_rts_mw_inv", in.buf, in.len);

	/* A type 1 window and an MR cannot be invalidated. */
	in_start(&in, 0, 3, 0x41);
	mw_req(&in, UROCE_OP_RC_SEND_ONLY_INV, 0, 8, 1);
	write_file("deliver", "rc_rts_mw_inv_type1", in.buf, in.len);
	in_start(&in, 0, 3, 0x41);
	mw_req(&in, UROCE_OP_RC_SEND_ONLY_INV, 0, 8, 0);
	write_file("deliver", "rc_rts_mw_inv_mr", in.buf, in.len);

	in_start(&in, 1, 3, 0x41);
	mw_req(&in, UROCE_OP_UC_WRITE_ONLY, 0, 100, 1);
	mw_req(&in, UROCE_OP_UC_WRITE_ONLY, 1, 100, 2);
	mw_req(&in, UROCE_OP_UC_WRITE_FIRST, 2, MTU * 2, 2);
	write_file("deliver", "uc_rts_mw", in.buf, in.len);
}

static const char *const type_names[] = { "rc", "uc", "ud" };
static const char *const state_names[] = { "reset", "init", "rtr", "rts",
					   "sqd",   "sqe",  "err" };

static void gen_deliver(void)
{
	static struct input in;
	unsigned int type, state, op;
	char name[64];
	size_t at;

	for (type = 0; type < 3; type++) {
		for (state = 0; state < 7; state++) {
			in_start(&in, type, state, 0x7f);
			requests(&in,
				 (enum uroce_transport)(type == 2 ? 3 : type));
			snprintf(name, sizeof(name), "%s_%s_req",
				 type_names[type], state_names[state]);
			write_file("deliver", name, in.buf, in.len);
			if (type)
				continue;
			in_start(&in, type, state, 0x7e);
			responses(&in);
			snprintf(name, sizeof(name), "%s_%s_resp",
				 type_names[type], state_names[state]);
			write_file("deliver", name, in.buf, in.len);
		}
	}
	/* Sequence NAK, RNR NAK and access NAK against posted WRs. */
	in_start(&in, 0, 3, 0x3e);
	at = in.len;
	in_pkt(&in, UROCE_OP_RC_ACK, 0, 0);
	in_last_syndrome(&in, at, uroce_aeth_nak(UROCE_NAK_PSN_SEQ_ERR));
	at = in.len;
	in_pkt(&in, UROCE_OP_RC_ACK, 1, 0);
	in_last_syndrome(&in, at, uroce_aeth_rnr_nak(3));
	at = in.len;
	in_pkt(&in, UROCE_OP_RC_ACK, 3, 0);
	in_last_syndrome(&in, at, uroce_aeth_nak(UROCE_NAK_REMOTE_ACCESS_ERR));
	write_file("deliver", "rc_rts_naks", in.buf, in.len);
	/* Each opcode alone against a QP of its transport in RTS. */
	for (op = 0; op < 256; op++) {
		if (!(uroce_opcodes[op].flags & UROCE_OPF_VALID))
			continue;
		type = op >> 5 == UROCE_TR_UD ? 2 : op >> 5;
		in_start(&in, type, 3, 0x7f);
		in_pkt(&in, (uint8_t)op, 0, seed_paylen((uint8_t)op));
		snprintf(name, sizeof(name), "op_%02x", op);
		write_file("deliver", name, in.buf, in.len);
	}
	gen_mw();
}

static void gen_cm_msg(void)
{
	static const uint16_t attrs[] = {
		CM_ATTR_REQ,  CM_ATTR_MRA,	CM_ATTR_REJ,
		CM_ATTR_REP,  CM_ATTR_RTU,	CM_ATTR_DREQ,
		CM_ATTR_DREP, CM_ATTR_SIDR_REQ, CM_ATTR_SIDR_REP,
	};
	struct cm_ip_hdr ip = { .family = AF_INET, .src_port = 40000 };
	uint8_t buf[CM_MAD_SIZE];
	struct cm_msg m;
	char name[64];
	size_t i;

	ip.src.s6_addr[15] = 1;
	ip.dst.s6_addr[15] = 2;
	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		memset(&m, 0, sizeof(m));
		m.attr = attrs[i];
		m.tid = 0x0102030405060708ull;
		m.local_id = 0x11;
		m.remote_id = 0x22;
		m.service_id = cm_service_id(0x0106, 7471);
		m.qpn = 0x123401;
		m.psn = 0x55;
		m.qkey = FUZZ_QKEY;
		m.pkey = 0xffff;
		m.path_mtu = 3;
		m.retry_count = 7;
		m.rnr_retry = 7;
		m.ari_len = attrs[i] == CM_ATTR_REJ ? 4 : 0;
		m.reason = CM_REJ_CONSUMER_DEFINED;
		m.pdata_len = (uint8_t)cm_pdata_size(attrs[i]);
		if (attrs[i] == CM_ATTR_REQ || attrs[i] == CM_ATTR_SIDR_REQ)
			cm_ip_hdr_encode(&ip, m.pdata);
		if (cm_msg_encode(&m, buf)) {
			fprintf(stderr, "cm_msg_encode %#x failed\n", attrs[i]);
			exit(1);
		}
		snprintf(name, sizeof(name), "attr_%04x", attrs[i]);
		write_file("cm_msg", name, buf, sizeof(buf));
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	outdir = argv[1];
	gen_pkt();
	gen_deliver();
	gen_cm_msg();
	return 0;
}
