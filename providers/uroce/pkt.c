// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Opcode table, decoder and encoder of the RoCEv2 transport headers. The
 * decoder looks at every byte it trusts only after the length covers it.
 */
#include <errno.h>
#include <string.h>

#include "providers/uroce/pkt.h"

#define HDRS_LEN(h)                                        \
	((UROCE_HDR_RETH & (h) ? UROCE_RETH_LEN : 0) +     \
	 (UROCE_HDR_AETH & (h) ? UROCE_AETH_LEN : 0) +     \
	 (UROCE_HDR_ATMETH & (h) ? UROCE_ATMETH_LEN : 0) + \
	 (UROCE_HDR_DETH & (h) ? UROCE_DETH_LEN : 0) +     \
	 (UROCE_HDR_IMMDT & (h) ? UROCE_IMMDT_LEN : 0) +   \
	 (UROCE_HDR_IETH & (h) ? UROCE_IETH_LEN : 0) +     \
	 (UROCE_HDR_ATMACK & (h) ? UROCE_ATMACK_LEN : 0))

#define OP(op, n, f, h)                                                 \
	[op] = { .name = n,                                             \
		 .flags = UROCE_OPF_VALID | (f) |                       \
			  (UROCE_HDR_IMMDT & (h) ? UROCE_OPF_IMM : 0) | \
			  (UROCE_HDR_IETH & (h) ? UROCE_OPF_INV : 0),   \
		 .hdrs = (h),                                           \
		 .hdr_len = UROCE_BTH_LEN + HDRS_LEN(h) }

/* Defined by the IBTA but not implemented: named, so the drop says so. */
#define UNSUP(op, n) [op] = { .name = n }

#define SEND (UROCE_OPF_REQ | UROCE_OPF_SEND | UROCE_OPF_PAYLOAD)
#define WRITE (UROCE_OPF_REQ | UROCE_OPF_WRITE | UROCE_OPF_PAYLOAD)
#define RRESP (UROCE_OPF_RESP | UROCE_OPF_READ | UROCE_OPF_PAYLOAD)
#define FIRST UROCE_OPF_FIRST
#define MIDDLE UROCE_OPF_MIDDLE
#define LAST UROCE_OPF_LAST
#define ONLY UROCE_OPF_ONLY
#define RETH UROCE_HDR_RETH
#define AETH UROCE_HDR_AETH
#define ATMETH UROCE_HDR_ATMETH
#define DETH UROCE_HDR_DETH
#define IMM UROCE_HDR_IMMDT
#define IETH UROCE_HDR_IETH
#define ATMACK UROCE_HDR_ATMACK

const struct uroce_opcode_info uroce_opcodes[256] = {
	OP(UROCE_OP_RC_SEND_FIRST, "RC_SEND_FIRST", SEND | FIRST, 0),
	OP(UROCE_OP_RC_SEND_MIDDLE, "RC_SEND_MIDDLE", SEND | MIDDLE, 0),
	OP(UROCE_OP_RC_SEND_LAST, "RC_SEND_LAST", SEND | LAST, 0),
	OP(UROCE_OP_RC_SEND_LAST_IMM, "RC_SEND_LAST_WITH_IMMEDIATE",
	   SEND | LAST, IMM),
	OP(UROCE_OP_RC_SEND_ONLY, "RC_SEND_ONLY", SEND | ONLY, 0),
	OP(UROCE_OP_RC_SEND_ONLY_IMM, "RC_SEND_ONLY_WITH_IMMEDIATE",
	   SEND | ONLY, IMM),
	OP(UROCE_OP_RC_WRITE_FIRST, "RC_RDMA_WRITE_FIRST", WRITE | FIRST, RETH),
	OP(UROCE_OP_RC_WRITE_MIDDLE, "RC_RDMA_WRITE_MIDDLE", WRITE | MIDDLE, 0),
	OP(UROCE_OP_RC_WRITE_LAST, "RC_RDMA_WRITE_LAST", WRITE | LAST, 0),
	OP(UROCE_OP_RC_WRITE_LAST_IMM, "RC_RDMA_WRITE_LAST_WITH_IMMEDIATE",
	   WRITE | LAST, IMM),
	OP(UROCE_OP_RC_WRITE_ONLY, "RC_RDMA_WRITE_ONLY", WRITE | ONLY, RETH),
	OP(UROCE_OP_RC_WRITE_ONLY_IMM, "RC_RDMA_WRITE_ONLY_WITH_IMMEDIATE",
	   WRITE | ONLY, RETH | IMM),
	OP(UROCE_OP_RC_READ_REQ, "RC_RDMA_READ_REQUEST",
	   UROCE_OPF_REQ | UROCE_OPF_READ | ONLY, RETH),
	OP(UROCE_OP_RC_READ_RESP_FIRST, "RC_RDMA_READ_RESPONSE_FIRST",
	   RRESP | FIRST, AETH),
	OP(UROCE_OP_RC_READ_RESP_MIDDLE, "RC_RDMA_READ_RESPONSE_MIDDLE",
	   RRESP | MIDDLE, 0),
	OP(UROCE_OP_RC_READ_RESP_LAST, "RC_RDMA_READ_RESPONSE_LAST",
	   RRESP | LAST, AETH),
	OP(UROCE_OP_RC_READ_RESP_ONLY, "RC_RDMA_READ_RESPONSE_ONLY",
	   RRESP | ONLY, AETH),
	OP(UROCE_OP_RC_ACK, "RC_ACKNOWLEDGE",
	   UROCE_OPF_RESP | UROCE_OPF_ACK | ONLY, AETH),
	OP(UROCE_OP_RC_ATOMIC_ACK, "RC_ATOMIC_ACKNOWLEDGE",
	   UROCE_OPF_RESP | UROCE_OPF_ACK | UROCE_OPF_ATOMIC | ONLY,
	   AETH | ATMACK),
	OP(UROCE_OP_RC_CMP_SWAP, "RC_COMPARE_SWAP",
	   UROCE_OPF_REQ | UROCE_OPF_ATOMIC | ONLY, ATMETH),
	OP(UROCE_OP_RC_FETCH_ADD, "RC_FETCH_ADD",
	   UROCE_OPF_REQ | UROCE_OPF_ATOMIC | ONLY, ATMETH),
	OP(UROCE_OP_RC_SEND_LAST_INV, "RC_SEND_LAST_WITH_INVALIDATE",
	   SEND | LAST, IETH),
	OP(UROCE_OP_RC_SEND_ONLY_INV, "RC_SEND_ONLY_WITH_INVALIDATE",
	   SEND | ONLY, IETH),
	UNSUP(UROCE_OP_RC_FLUSH, "RC_FLUSH"),
	/* Answered and replayed as a zero-length READ (hence OPF_READ). */
	OP(UROCE_OP_RC_ATOMIC_WRITE, "RC_ATOMIC_WRITE",
	   UROCE_OPF_REQ | UROCE_OPF_READ | UROCE_OPF_PAYLOAD | ONLY, RETH),

	OP(UROCE_OP_UC_SEND_FIRST, "UC_SEND_FIRST", SEND | FIRST, 0),
	OP(UROCE_OP_UC_SEND_MIDDLE, "UC_SEND_MIDDLE", SEND | MIDDLE, 0),
	OP(UROCE_OP_UC_SEND_LAST, "UC_SEND_LAST", SEND | LAST, 0),
	OP(UROCE_OP_UC_SEND_LAST_IMM, "UC_SEND_LAST_WITH_IMMEDIATE",
	   SEND | LAST, IMM),
	OP(UROCE_OP_UC_SEND_ONLY, "UC_SEND_ONLY", SEND | ONLY, 0),
	OP(UROCE_OP_UC_SEND_ONLY_IMM, "UC_SEND_ONLY_WITH_IMMEDIATE",
	   SEND | ONLY, IMM),
	OP(UROCE_OP_UC_WRITE_FIRST, "UC_RDMA_WRITE_FIRST", WRITE | FIRST, RETH),
	OP(UROCE_OP_UC_WRITE_MIDDLE, "UC_RDMA_WRITE_MIDDLE", WRITE | MIDDLE, 0),
	OP(UROCE_OP_UC_WRITE_LAST, "UC_RDMA_WRITE_LAST", WRITE | LAST, 0),
	OP(UROCE_OP_UC_WRITE_LAST_IMM, "UC_RDMA_WRITE_LAST_WITH_IMMEDIATE",
	   WRITE | LAST, IMM),
	OP(UROCE_OP_UC_WRITE_ONLY, "UC_RDMA_WRITE_ONLY", WRITE | ONLY, RETH),
	OP(UROCE_OP_UC_WRITE_ONLY_IMM, "UC_RDMA_WRITE_ONLY_WITH_IMMEDIATE",
	   WRITE | ONLY, RETH | IMM),

	OP(UROCE_OP_UD_SEND_ONLY, "UD_SEND_ONLY", SEND | ONLY, DETH),
	OP(UROCE_OP_UD_SEND_ONLY_IMM, "UD_SEND_ONLY_WITH_IMMEDIATE",
	   SEND | ONLY, DETH | IMM),

	UNSUP(UROCE_OP_CNP, "CNP"),
};

const char *uroce_opcode_name(uint8_t opcode)
{
	const char *name = uroce_opcodes[opcode].name;

	if (name)
		return name;
	switch (uroce_opcode_transport(opcode)) {
	case UROCE_TR_RD:
		return "RD";
	case UROCE_TR_XRC:
		return "XRC";
	default:
		return "RESERVED";
	}
}

static bool opcode_known(uint8_t opcode)
{
	enum uroce_transport tr = uroce_opcode_transport(opcode);

	return uroce_opcodes[opcode].name || tr == UROCE_TR_RD ||
	       tr == UROCE_TR_XRC;
}

/* clang-format off */
const uint16_t uroce_aeth_credit_table[31] = {
	0, 1, 2, 3, 4, 6, 8, 12,
	16, 24, 32, 48, 64, 96, 128, 192,
	256, 384, 512, 768, 1024, 1536, 2048, 3072,
	4096, 6144, 8192, 12288, 16384, 24576, 32768,
};
/* clang-format on */

unsigned int uroce_aeth_credit_code(unsigned int credits)
{
	unsigned int code = 30;

	while (code && uroce_aeth_credit_table[code] > credits)
		code--;
	return code;
}

/* clang-format off */
const uint32_t uroce_rnr_timer_us[32] = {
	655360, 10, 20, 30, 40, 60, 80, 120,
	160, 240, 320, 480, 640, 960, 1280, 1920,
	2560, 3840, 5120, 7680, 10240, 15360, 20480, 30720,
	40960, 61440, 81920, 122880, 163840, 245760, 327680, 491520,
};
/* clang-format on */

unsigned int uroce_rnr_timer_code(uint32_t usec)
{
	unsigned int code;

	/* Codes 1-31 grow; code 0 is the longest wait of all. */
	for (code = 1; code < 32; code++)
		if (uroce_rnr_timer_us[code] >= usec)
			return code;
	return 0;
}

static const char *const drop_names[UROCE_DROP_MAX] = {
	[UROCE_DROP_NONE] = "none",
	[UROCE_DROP_SHORT] = "short",
	[UROCE_DROP_BAD_LENGTH] = "bad_length",
	[UROCE_DROP_BAD_VERSION] = "bad_version",
	[UROCE_DROP_BAD_OPCODE] = "bad_opcode",
	[UROCE_DROP_UNSUPPORTED] = "unsupported_opcode",
	[UROCE_DROP_BAD_PAD] = "bad_pad",
	[UROCE_DROP_BAD_AETH] = "bad_aeth",
	[UROCE_DROP_BAD_ICRC] = "bad_icrc",
	[UROCE_DROP_NO_QP] = "no_qp",
	[UROCE_DROP_BAD_QP_STATE] = "bad_qp_state",
	[UROCE_DROP_BAD_TRANSPORT] = "bad_transport",
	[UROCE_DROP_BAD_PEER] = "bad_peer",
	[UROCE_DROP_BAD_PKEY] = "bad_pkey",
	[UROCE_DROP_BAD_QKEY] = "bad_qkey",
	[UROCE_DROP_BAD_PSN] = "bad_psn",
	[UROCE_DROP_NO_RECV_WQE] = "no_recv_wqe",
	[UROCE_DROP_BROKEN_MSG] = "broken_msg",
	[UROCE_DROP_BAD_REQUEST] = "bad_request",
	[UROCE_DROP_BAD_ACCESS] = "bad_access",
	[UROCE_DROP_LOCAL_ERROR] = "local_error",
	[UROCE_DROP_STALE_REQUEST] = "stale_request",
	[UROCE_DROP_GHOST_RESPONSE] = "ghost_response",
	[UROCE_DROP_STALE_RESPONSE] = "stale_response",
	[UROCE_DROP_BAD_RESPONSE] = "bad_response",
	[UROCE_DROP_CNP] = "cnp",
	[UROCE_DROP_GSI] = "gsi_mad",
};

const char *uroce_drop_name(int reason)
{
	/* Negated in unsigned arithmetic: INT_MIN must not overflow. */
	unsigned int r = reason < 0 ? 0u - (unsigned int)reason :
				      (unsigned int)reason;

	if (r >= UROCE_DROP_MAX || !drop_names[r])
		return "unknown";
	return drop_names[r];
}

/* First and middle packets carry exactly one path MTU of payload. */
static bool is_ib_mtu(size_t len)
{
	return len >= 256 && len <= UROCE_MTU_MAX && !(len & (len - 1));
}

/* Checks the packet's length against what its opcode allows. */
static int check_length(const struct uroce_opcode_info *info, size_t len,
			unsigned int pad)
{
	size_t rest;

	if (len < info->hdr_len + UROCE_ICRC_LEN)
		return -UROCE_DROP_SHORT;
	/* Headers, payload + pad and ICRC all come in 4-byte units. */
	if (len & 3)
		return -UROCE_DROP_BAD_LENGTH;
	rest = len - info->hdr_len - UROCE_ICRC_LEN;
	if (!(info->flags & UROCE_OPF_PAYLOAD)) {
		if (pad)
			return -UROCE_DROP_BAD_PAD;
		if (rest)
			return -UROCE_DROP_BAD_LENGTH;
	} else if (info->flags & (UROCE_OPF_FIRST | UROCE_OPF_MIDDLE)) {
		if (pad)
			return -UROCE_DROP_BAD_PAD;
		if (!is_ib_mtu(rest))
			return -UROCE_DROP_BAD_LENGTH;
	} else {
		if (pad > rest)
			return -UROCE_DROP_BAD_PAD;
		if (rest - pad > UROCE_MTU_MAX)
			return -UROCE_DROP_BAD_LENGTH;
	}
	return 0;
}

static int check_aeth(uint8_t opcode, uint8_t syndrome)
{
	if (syndrome & 0x80)
		return -UROCE_DROP_BAD_AETH;
	switch (uroce_aeth_type(syndrome)) {
	case UROCE_AETH_ACK:
		return 0;
	case UROCE_AETH_RNR_NAK:
		break;
	case UROCE_AETH_NAK:
		if (uroce_aeth_value(syndrome) > UROCE_NAK_INVALID_RD_REQ)
			return -UROCE_DROP_BAD_AETH;
		break;
	default:
		return -UROCE_DROP_BAD_AETH;
	}
	/* Read responses and atomic ACKs only ever carry a positive ACK. */
	return opcode == UROCE_OP_RC_ACK ? 0 : -UROCE_DROP_BAD_AETH;
}

int uroce_pkt_parse(const void *buf, size_t len, struct uroce_pkt *pkt)
{
	const uint8_t *p = buf;
	const struct uroce_opcode_info *info;
	struct uroce_bth *bth = &pkt->bth;
	unsigned int pad;
	int err;

	if (len < UROCE_BTH_LEN + UROCE_ICRC_LEN)
		return -UROCE_DROP_SHORT;
	/* Another transport version may give the opcode another meaning. */
	if (p[1] & 0x0f)
		return -UROCE_DROP_BAD_VERSION;
	info = &uroce_opcodes[p[0]];
	if (!(info->flags & UROCE_OPF_VALID))
		return opcode_known(p[0]) ? -UROCE_DROP_UNSUPPORTED :
					    -UROCE_DROP_BAD_OPCODE;
	pad = (p[1] >> 4) & 3;
	err = check_length(info, len, pad);
	if (err)
		return err;
	if ((info->hdrs & UROCE_HDR_AETH)) {
		err = check_aeth(p[0], p[UROCE_BTH_LEN]);
		if (err)
			return err;
	}

	/* Headers absent from the packet read as zero, never as garbage. */
	memset(pkt, 0, sizeof(*pkt));
	pkt->info = info;
	bth->opcode = p[0];
	bth->se = p[1] & 0x80;
	bth->mig = p[1] & 0x40;
	bth->pad = (uint8_t)pad;
	bth->pkey = uroce_get_be16(p + 2);
	bth->dqpn = uroce_get_be24(p + 5);
	bth->ackreq = p[8] & 0x80;
	bth->psn = uroce_get_be24(p + 9);

	p += UROCE_BTH_LEN;
	if (info->hdrs & UROCE_HDR_RETH) {
		pkt->reth.va = uroce_get_be64(p);
		pkt->reth.rkey = uroce_get_be32(p + 8);
		pkt->reth.len = uroce_get_be32(p + 12);
		p += UROCE_RETH_LEN;
	}
	if (info->hdrs & UROCE_HDR_AETH) {
		pkt->aeth.syndrome = p[0];
		pkt->aeth.msn = uroce_get_be24(p + 1);
		p += UROCE_AETH_LEN;
	}
	if (info->hdrs & UROCE_HDR_ATMETH) {
		pkt->atmeth.va = uroce_get_be64(p);
		pkt->atmeth.rkey = uroce_get_be32(p + 8);
		pkt->atmeth.swap_add = uroce_get_be64(p + 12);
		pkt->atmeth.compare = uroce_get_be64(p + 20);
		p += UROCE_ATMETH_LEN;
	}
	if (info->hdrs & UROCE_HDR_DETH) {
		pkt->deth.qkey = uroce_get_be32(p);
		pkt->deth.sqpn = uroce_get_be24(p + 5);
		p += UROCE_DETH_LEN;
	}
	if (info->hdrs & UROCE_HDR_IMMDT) {
		memcpy(&pkt->imm, p, UROCE_IMMDT_LEN);
		p += UROCE_IMMDT_LEN;
	}
	if (info->hdrs & UROCE_HDR_IETH) {
		pkt->ieth = uroce_get_be32(p);
		p += UROCE_IETH_LEN;
	}
	if (info->hdrs & UROCE_HDR_ATMACK) {
		pkt->atmack = uroce_get_be64(p);
		p += UROCE_ATMACK_LEN;
	}

	pkt->buf = buf;
	pkt->len = (uint32_t)len;
	pkt->payload = p;
	pkt->paylen = (uint32_t)(len - info->hdr_len - pad - UROCE_ICRC_LEN);
	pkt->icrc = uroce_icrc_get(pkt->buf + len - UROCE_ICRC_LEN);
	return 0;
}

int uroce_pkt_check_icrc(const struct uroce_pkt *pkt,
			 const struct uroce_icrc_hdr *hdr)
{
	struct iovec iov = {
		.iov_base = (void *)pkt->buf,
		.iov_len = pkt->len - UROCE_ICRC_LEN,
	};

	return uroce_icrc_check(hdr, &iov, 1, pkt->icrc) ? 0 :
							   -UROCE_DROP_BAD_ICRC;
}

int uroce_pkt_build(void *buf, size_t size, const struct uroce_pkt *pkt)
{
	const struct uroce_bth *bth = &pkt->bth;
	const struct uroce_opcode_info *info = &uroce_opcodes[bth->opcode];
	unsigned int pad = uroce_pkt_pad(pkt->paylen);
	uint8_t *p = buf;

	if (!(info->flags & UROCE_OPF_VALID))
		return -EINVAL;
	if (bth->dqpn > UROCE_QPN_MASK || bth->psn > UROCE_QPN_MASK)
		return -EINVAL;
	if (!(info->flags & UROCE_OPF_PAYLOAD) && pkt->paylen)
		return -EINVAL;
	if ((info->hdrs & UROCE_HDR_AETH) && pkt->aeth.msn > UROCE_QPN_MASK)
		return -EINVAL;
	if ((info->hdrs & UROCE_HDR_DETH) && pkt->deth.sqpn > UROCE_QPN_MASK)
		return -EINVAL;
	if (size < info->hdr_len)
		return -ENOSPC;

	p[0] = bth->opcode;
	p[1] = (uint8_t)((bth->se ? 0x80 : 0) | (bth->mig ? 0x40 : 0) |
			 pad << 4);
	uroce_put_be16(p + 2, bth->pkey);
	p[4] = 0;
	uroce_put_be24(p + 5, bth->dqpn);
	p[8] = bth->ackreq ? 0x80 : 0;
	uroce_put_be24(p + 9, bth->psn);
	p += UROCE_BTH_LEN;

	if (info->hdrs & UROCE_HDR_RETH) {
		uroce_put_be64(p, pkt->reth.va);
		uroce_put_be32(p + 8, pkt->reth.rkey);
		uroce_put_be32(p + 12, pkt->reth.len);
		p += UROCE_RETH_LEN;
	}
	if (info->hdrs & UROCE_HDR_AETH) {
		p[0] = pkt->aeth.syndrome;
		uroce_put_be24(p + 1, pkt->aeth.msn);
		p += UROCE_AETH_LEN;
	}
	if (info->hdrs & UROCE_HDR_ATMETH) {
		uroce_put_be64(p, pkt->atmeth.va);
		uroce_put_be32(p + 8, pkt->atmeth.rkey);
		uroce_put_be64(p + 12, pkt->atmeth.swap_add);
		uroce_put_be64(p + 20, pkt->atmeth.compare);
		p += UROCE_ATMETH_LEN;
	}
	if (info->hdrs & UROCE_HDR_DETH) {
		uroce_put_be32(p, pkt->deth.qkey);
		p[4] = 0;
		uroce_put_be24(p + 5, pkt->deth.sqpn);
		p += UROCE_DETH_LEN;
	}
	if (info->hdrs & UROCE_HDR_IMMDT) {
		memcpy(p, &pkt->imm, UROCE_IMMDT_LEN);
		p += UROCE_IMMDT_LEN;
	}
	if (info->hdrs & UROCE_HDR_IETH) {
		uroce_put_be32(p, pkt->ieth);
		p += UROCE_IETH_LEN;
	}
	if (info->hdrs & UROCE_HDR_ATMACK)
		uroce_put_be64(p, pkt->atmack);
	return info->hdr_len;
}

unsigned int uroce_pkt_trailer(uint8_t *out, unsigned int pad, uint32_t icrc)
{
	pad &= 3;
	memset(out, 0, pad);
	uroce_icrc_put(out + pad, icrc);
	return pad + UROCE_ICRC_LEN;
}
