/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The RoCEv2 packet format, as it sits in a UDP datagram's payload:
 *
 *   BTH | RETH, AETH, AtomicETH or DETH | ImmDt, IETH or AtomicAckETH |
 *   payload | pad (0-3 bytes) | ICRC
 *
 * with IBTA opcodes (IBTA vol. 1, chapter 9). Every field is big-endian on
 * the wire except the ICRC (see icrc.h). Buffers may be unaligned: fields
 * are read and written a byte at a time, which compilers turn into plain
 * loads and byte swaps.
 *
 * Parsing checks what a packet must satisfy whatever QP it is for; the
 * checks that need QP state (PSN, P_Key, Q_Key, rkey, bounds, peer address)
 * are the receiving engine's.
 */
#ifndef UROCE_PKT_H
#define UROCE_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/icrc.h"

#define UROCE_BTH_LEN 12u
#define UROCE_RETH_LEN 16
#define UROCE_AETH_LEN 4
#define UROCE_ATMETH_LEN 28
#define UROCE_ATMACK_LEN 8
#define UROCE_DETH_LEN 8
#define UROCE_IMMDT_LEN 4
#define UROCE_IETH_LEN 4
/* The longest header block: BTH + AtomicETH. */
#define UROCE_HDR_MAX 40
/* The longest trailer: 3 pad bytes + ICRC. */
#define UROCE_TRAILER_MAX 7

#define UROCE_QPN_MASK 0xffffffu
/* The largest IB MTU: no packet carries more payload. */
#define UROCE_MTU_MAX 4096
#define UROCE_DEFAULT_PKEY 0xffff

/* Big-endian field access on possibly unaligned bytes. */
static inline uint16_t uroce_get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t uroce_get_be24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static inline uint32_t uroce_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | uroce_get_be24(p + 1);
}

static inline uint64_t uroce_get_be64(const uint8_t *p)
{
	return (uint64_t)uroce_get_be32(p) << 32 | uroce_get_be32(p + 4);
}

static inline void uroce_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void uroce_put_be24(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 16);
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)v;
}

static inline void uroce_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	uroce_put_be24(p + 1, v);
}

static inline void uroce_put_be64(uint8_t *p, uint64_t v)
{
	uroce_put_be32(p, (uint32_t)(v >> 32));
	uroce_put_be32(p + 4, (uint32_t)v);
}

/* BTH opcodes: the top three bits are the transport. */
enum uroce_opcode {
	UROCE_OP_RC_SEND_FIRST = 0x00,
	UROCE_OP_RC_SEND_MIDDLE = 0x01,
	UROCE_OP_RC_SEND_LAST = 0x02,
	UROCE_OP_RC_SEND_LAST_IMM = 0x03,
	UROCE_OP_RC_SEND_ONLY = 0x04,
	UROCE_OP_RC_SEND_ONLY_IMM = 0x05,
	UROCE_OP_RC_WRITE_FIRST = 0x06,
	UROCE_OP_RC_WRITE_MIDDLE = 0x07,
	UROCE_OP_RC_WRITE_LAST = 0x08,
	UROCE_OP_RC_WRITE_LAST_IMM = 0x09,
	UROCE_OP_RC_WRITE_ONLY = 0x0a,
	UROCE_OP_RC_WRITE_ONLY_IMM = 0x0b,
	UROCE_OP_RC_READ_REQ = 0x0c,
	UROCE_OP_RC_READ_RESP_FIRST = 0x0d,
	UROCE_OP_RC_READ_RESP_MIDDLE = 0x0e,
	UROCE_OP_RC_READ_RESP_LAST = 0x0f,
	UROCE_OP_RC_READ_RESP_ONLY = 0x10,
	UROCE_OP_RC_ACK = 0x11,
	UROCE_OP_RC_ATOMIC_ACK = 0x12,
	UROCE_OP_RC_CMP_SWAP = 0x13,
	UROCE_OP_RC_FETCH_ADD = 0x14,
	UROCE_OP_RC_SEND_LAST_INV = 0x16,
	UROCE_OP_RC_SEND_ONLY_INV = 0x17,
	UROCE_OP_RC_FLUSH = 0x1c, /* not implemented */
	UROCE_OP_RC_ATOMIC_WRITE = 0x1d,

	UROCE_OP_UC_SEND_FIRST = 0x20,
	UROCE_OP_UC_SEND_MIDDLE = 0x21,
	UROCE_OP_UC_SEND_LAST = 0x22,
	UROCE_OP_UC_SEND_LAST_IMM = 0x23,
	UROCE_OP_UC_SEND_ONLY = 0x24,
	UROCE_OP_UC_SEND_ONLY_IMM = 0x25,
	UROCE_OP_UC_WRITE_FIRST = 0x26,
	UROCE_OP_UC_WRITE_MIDDLE = 0x27,
	UROCE_OP_UC_WRITE_LAST = 0x28,
	UROCE_OP_UC_WRITE_LAST_IMM = 0x29,
	UROCE_OP_UC_WRITE_ONLY = 0x2a,
	UROCE_OP_UC_WRITE_ONLY_IMM = 0x2b,

	UROCE_OP_UD_SEND_ONLY = 0x64,
	UROCE_OP_UD_SEND_ONLY_IMM = 0x65,

	UROCE_OP_CNP = 0x81, /* RoCEv2 congestion notification; not used */
};

enum uroce_transport {
	UROCE_TR_RC = 0,
	UROCE_TR_UC = 1,
	UROCE_TR_RD = 2,
	UROCE_TR_UD = 3,
	UROCE_TR_CNP = 4,
	UROCE_TR_XRC = 5,
};

static inline enum uroce_transport uroce_opcode_transport(uint8_t opcode)
{
	return (enum uroce_transport)(opcode >> 5);
}

/* Extension headers, in the order they follow the BTH. */
enum uroce_hdr {
	UROCE_HDR_RETH = 1 << 0,
	UROCE_HDR_AETH = 1 << 1,
	UROCE_HDR_ATMETH = 1 << 2,
	UROCE_HDR_DETH = 1 << 3,
	UROCE_HDR_IMMDT = 1 << 4,
	UROCE_HDR_IETH = 1 << 5,
	UROCE_HDR_ATMACK = 1 << 6,
};

enum uroce_op_flag {
	UROCE_OPF_VALID = 1 << 0, /* uroce implements it */
	UROCE_OPF_PAYLOAD = 1 << 1, /* may carry payload */
	UROCE_OPF_FIRST = 1 << 2, /* position in a multi-packet message */
	UROCE_OPF_MIDDLE = 1 << 3,
	UROCE_OPF_LAST = 1 << 4,
	UROCE_OPF_ONLY = 1 << 5, /* a whole message in one packet */
	UROCE_OPF_REQ = 1 << 6, /* requester to responder */
	UROCE_OPF_RESP = 1 << 7, /* responder to requester */
	UROCE_OPF_SEND = 1 << 8,
	UROCE_OPF_WRITE = 1 << 9,
	UROCE_OPF_READ = 1 << 10,
	UROCE_OPF_ATOMIC = 1 << 11,
	UROCE_OPF_ACK = 1 << 12, /* ACKNOWLEDGE or ATOMIC ACKNOWLEDGE */
	UROCE_OPF_IMM = 1 << 13, /* carries ImmDt */
	UROCE_OPF_INV = 1 << 14, /* carries IETH */

	UROCE_OPF_START = UROCE_OPF_FIRST | UROCE_OPF_ONLY,
	UROCE_OPF_END = UROCE_OPF_LAST | UROCE_OPF_ONLY,
};

struct uroce_opcode_info {
	const char *name; /* NULL for a reserved opcode */
	uint16_t flags; /* enum uroce_op_flag */
	uint8_t hdrs; /* enum uroce_hdr */
	uint8_t hdr_len; /* BTH and extension headers, in bytes */
};

/* Indexed by opcode; entries without UROCE_OPF_VALID are not accepted. */
extern const struct uroce_opcode_info uroce_opcodes[256];

/* The opcode's name; "RD", "XRC" or "RESERVED" for one without its own. */
const char *uroce_opcode_name(uint8_t opcode);

/*
 * AETH syndrome (IBTA 9.7.5.2.2): bit 7 reserved, bits 6-5 the type, bits
 * 4-0 an ACK's credit code, an RNR NAK's timer code or a NAK's code.
 */
enum uroce_aeth_type {
	UROCE_AETH_ACK = 0,
	UROCE_AETH_RNR_NAK = 1,
	UROCE_AETH_RESERVED = 2,
	UROCE_AETH_NAK = 3,
};

enum uroce_nak_code {
	UROCE_NAK_PSN_SEQ_ERR = 0,
	UROCE_NAK_INVALID_REQ = 1,
	UROCE_NAK_REMOTE_ACCESS_ERR = 2,
	UROCE_NAK_REMOTE_OP_ERR = 3,
	UROCE_NAK_INVALID_RD_REQ = 4,
};

/* The ACK credit code that advertises no end-to-end credits. */
#define UROCE_AETH_CREDITS_INVALID 0x1f

static inline uint8_t uroce_aeth_ack(unsigned int credit_code)
{
	return (uint8_t)(credit_code & 0x1f);
}

static inline uint8_t uroce_aeth_rnr_nak(unsigned int timer_code)
{
	return (uint8_t)(UROCE_AETH_RNR_NAK << 5 | (timer_code & 0x1f));
}

static inline uint8_t uroce_aeth_nak(enum uroce_nak_code code)
{
	return (uint8_t)(UROCE_AETH_NAK << 5 | (code & 0x1f));
}

static inline enum uroce_aeth_type uroce_aeth_type(uint8_t syndrome)
{
	return (enum uroce_aeth_type)((syndrome >> 5) & 3);
}

/* The credit code, RNR timer code or NAK code. */
static inline unsigned int uroce_aeth_value(uint8_t syndrome)
{
	return syndrome & 0x1f;
}

/* Credits for each ACK credit code (IBTA table 44); code 31 is invalid. */
extern const uint16_t uroce_aeth_credit_table[31];
/* The largest credit code that advertises at most @credits credits. */
unsigned int uroce_aeth_credit_code(unsigned int credits);

/* Microseconds for each 5-bit RNR timer code (IBTA table 45). */
extern const uint32_t uroce_rnr_timer_us[32];
/* The smallest RNR timer code that waits at least @usec (at most 655.36 ms). */
unsigned int uroce_rnr_timer_code(uint32_t usec);

/* Why a packet is dropped, for counters; UROCE_DROP_NONE is success. */
enum uroce_drop_reason {
	UROCE_DROP_NONE = 0,
	/* uroce_pkt_parse() */
	UROCE_DROP_SHORT, /* shorter than its headers and ICRC */
	UROCE_DROP_BAD_LENGTH, /* impossible payload length */
	UROCE_DROP_BAD_VERSION, /* BTH TVer is not 0 */
	UROCE_DROP_BAD_OPCODE, /* reserved opcode */
	UROCE_DROP_UNSUPPORTED, /* RD, XRC, CNP, FLUSH */
	UROCE_DROP_BAD_PAD, /* pad count that cannot be */
	UROCE_DROP_BAD_AETH, /* reserved or out-of-place syndrome */
	/* uroce_pkt_check_icrc() */
	UROCE_DROP_BAD_ICRC,
	/* Checks that need QP state, made by the receiving engine. */
	UROCE_DROP_NO_QP, /* no such destination QP */
	UROCE_DROP_BAD_QP_STATE, /* QP not in a state to receive */
	UROCE_DROP_BAD_TRANSPORT, /* opcode's transport is not the QP's */
	UROCE_DROP_BAD_PEER, /* not from the connected peer */
	UROCE_DROP_BAD_PKEY,
	UROCE_DROP_BAD_QKEY,
	UROCE_DROP_BAD_PSN,
	/*
	 * The responder. An RC responder answers what UC and UD drop
	 * here (RNR or error NAK, counted as NAKs sent).
	 */
	UROCE_DROP_NO_RECV_WQE, /* UC, UD: no receive WQE posted */
	UROCE_DROP_BROKEN_MSG, /* UC: rest of a message that lost a packet */
	UROCE_DROP_BAD_REQUEST, /* UC: out of sequence, or wrong length */
	UROCE_DROP_BAD_ACCESS, /* UC: WRITE refused by access, rkey, bounds */
	UROCE_DROP_LOCAL_ERROR, /* the local buffer cannot take the data */
	UROCE_DROP_STALE_REQUEST, /* RC: duplicate READ/atomic not remembered */
	/* The RC completer. */
	UROCE_DROP_GHOST_RESPONSE, /* for a PSN never sent */
	UROCE_DROP_STALE_RESPONSE, /* for a PSN acknowledged already */
	UROCE_DROP_BAD_RESPONSE, /* not the kind or length asked for */
	UROCE_DROP_CNP, /* a congestion notification: counted, unused */
	UROCE_DROP_GSI, /* "wire roce": a MAD to QP 1, no CM reads them */
	UROCE_DROP_MAX
};

/* The reason's name for counters; takes @reason or -@reason. */
const char *uroce_drop_name(int reason);

struct uroce_bth {
	uint8_t opcode;
	bool se; /* solicited event */
	bool mig; /* MigReq */
	uint8_t pad; /* TVer is always 0 */
	uint16_t pkey;
	uint32_t dqpn; /* 24 bits */
	bool ackreq;
	uint32_t psn; /* 24 bits */
};

struct uroce_reth {
	uint64_t va;
	uint32_t rkey;
	uint32_t len; /* DMA length */
};

struct uroce_aeth {
	uint8_t syndrome;
	uint32_t msn; /* 24 bits */
};

struct uroce_atmeth {
	uint64_t va;
	uint32_t rkey;
	uint64_t swap_add; /* swap value, or the addend of FETCH_ADD */
	uint64_t compare;
};

struct uroce_deth {
	uint32_t qkey;
	uint32_t sqpn; /* 24 bits */
};

/*
 * A packet's headers in host byte order. Only the extension headers the
 * opcode carries (info->hdrs) are meaningful; parsing zeroes the others.
 */
struct uroce_pkt {
	const struct uroce_opcode_info *info;
	struct uroce_bth bth;
	struct uroce_reth reth;
	struct uroce_aeth aeth;
	struct uroce_atmeth atmeth;
	uint64_t atmack; /* AtomicAckETH: the original remote data */
	struct uroce_deth deth;
	uint32_t imm; /* ImmDt, as its wire bytes (as ibv_wc.imm_data) */
	uint32_t ieth; /* IETH: the rkey to invalidate */

	/* Set by uroce_pkt_parse(); paylen is also read by the builder. */
	const uint8_t *buf; /* the packet, from the BTH */
	const uint8_t *payload;
	uint32_t len; /* the whole packet, ICRC included */
	uint32_t paylen;
	uint32_t icrc; /* as received */
};

/*
 * Decodes and checks the @len bytes at @buf (a UDP payload). Returns 0 and
 * fills @pkt, or a negative enum uroce_drop_reason. Does not verify the
 * ICRC: see uroce_pkt_check_icrc().
 */
int uroce_pkt_parse(const void *buf, size_t len, struct uroce_pkt *pkt);

/* 0 if a parsed packet's ICRC is right, or -UROCE_DROP_BAD_ICRC. */
int uroce_pkt_check_icrc(const struct uroce_pkt *pkt,
			 const struct uroce_icrc_hdr *hdr);

/* The pad that brings @paylen to a multiple of 4. */
static inline unsigned int uroce_pkt_pad(uint32_t paylen)
{
	return -paylen & 3;
}

/*
 * Writes the BTH and the extension headers of @pkt->bth.opcode at @buf,
 * from @pkt's header fields; the pad count comes from @pkt->paylen, TVer is
 * 0 and the reserved bits are 0. The payload, pad and ICRC are the
 * sender's to append (see uroce_pkt_trailer()). Returns the header length,
 * -EINVAL for an opcode uroce does not implement or a QPN, PSN or MSN wider
 * than 24 bits, or -ENOSPC if @size is too small.
 */
int uroce_pkt_build(void *buf, size_t size, const struct uroce_pkt *pkt);

/*
 * Writes @pad zero bytes and then @icrc at @out (room for
 * UROCE_TRAILER_MAX bytes); returns the bytes written. The ICRC covers the
 * pad, so compute it over a zeroed pad first.
 */
unsigned int uroce_pkt_trailer(uint8_t *out, unsigned int pad, uint32_t icrc);

/*
 * Raw BTH access, for looking at a packet before parsing it (to find its
 * QP) and for patching a built header in place (a retransmission's AckReq).
 */
static inline uint8_t uroce_bth_opcode(const uint8_t *bth)
{
	return bth[0];
}

static inline uint32_t uroce_bth_dqpn(const uint8_t *bth)
{
	return uroce_get_be24(bth + 5);
}

static inline uint32_t uroce_bth_psn(const uint8_t *bth)
{
	return uroce_get_be24(bth + 9);
}

static inline bool uroce_bth_ackreq(const uint8_t *bth)
{
	return bth[8] & 0x80;
}

static inline void uroce_bth_set_psn(uint8_t *bth, uint32_t psn)
{
	uroce_put_be24(bth + 9, psn);
}

static inline void uroce_bth_set_ackreq(uint8_t *bth, bool ackreq)
{
	bth[8] = (uint8_t)((bth[8] & 0x7f) | (ackreq ? 0x80 : 0));
}

#endif /* UROCE_PKT_H */
