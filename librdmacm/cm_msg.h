/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * CM messages on the wire: 256-byte MADs of the CM class (0x07) with the
 * IBTA attribute layouts, and the RDMA CM IP header that REQ and SIDR_REQ
 * carry at the start of their private data. Pure encode/decode, no state.
 */
#ifndef UROCE_CM_MSG_H
#define UROCE_CM_MSG_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define CM_MAD_SIZE 256
#define CM_MAD_HDR_SIZE 24
#define CM_MAD_DATA_SIZE (CM_MAD_SIZE - CM_MAD_HDR_SIZE)

enum cm_attr {
	CM_ATTR_REQ = 0x0010,
	CM_ATTR_MRA = 0x0011,
	CM_ATTR_REJ = 0x0012,
	CM_ATTR_REP = 0x0013,
	CM_ATTR_RTU = 0x0014,
	CM_ATTR_DREQ = 0x0015,
	CM_ATTR_DREP = 0x0016,
	CM_ATTR_SIDR_REQ = 0x0017,
	CM_ATTR_SIDR_REP = 0x0018,
};

/* Private data area of each message, in bytes. */
enum {
	CM_REQ_PDATA = 92,
	CM_MRA_PDATA = 222,
	CM_REJ_PDATA = 148,
	CM_REP_PDATA = 196,
	CM_RTU_PDATA = 224,
	CM_DREQ_PDATA = 220,
	CM_DREP_PDATA = 224,
	CM_SIDR_REQ_PDATA = 216,
	CM_SIDR_REP_PDATA = 136,
	CM_MAX_PDATA = 224,
};

/* Which message a REJ or MRA answers. */
enum { CM_MSG_REQ = 0, CM_MSG_REP = 1, CM_MSG_OTHER = 2 };

/* Reject reasons used here (IBTA table 112). */
enum {
	CM_REJ_TIMEOUT = 1,
	CM_REJ_INVALID_COMM_ID = 6,
	CM_REJ_INVALID_SERVICE_ID = 8,
	CM_REJ_STALE_CONN = 10,
	CM_REJ_CONSUMER_DEFINED = 28,
	CM_REJ_VENDOR_OPTION_NOT_SUPPORTED = 35,
};

/* SIDR_REP status. */
enum { CM_SIDR_SUCCESS = 0, CM_SIDR_UNSUPPORTED = 1, CM_SIDR_REJECT = 2 };

/*
 * One decoded message. Fields a message type does not carry are left
 * zero by decode and ignored by encode. For SIDR messages local_id holds
 * the request ID.
 */
struct cm_msg {
	uint16_t attr;
	uint64_t tid;
	uint32_t local_id;
	uint32_t remote_id;
	uint64_t service_id;
	uint64_t guid;
	uint32_t qkey;
	uint32_t qpn;
	uint32_t psn;
	uint32_t remote_qpn; /* DREQ */
	uint16_t pkey;
	uint8_t resp_res;
	uint8_t init_depth;
	uint8_t remote_resp_timeout;
	uint8_t local_resp_timeout;
	uint8_t transport; /* 0 RC, 1 UC */
	uint8_t flow_control;
	uint8_t retry_count;
	uint8_t rnr_retry;
	uint8_t max_cm_retries;
	uint8_t srq;
	uint8_t path_mtu; /* enum ibv_mtu */
	uint8_t target_ack_delay;
	uint8_t failover;
	/* REQ primary path */
	uint16_t slid, dlid;
	uint8_t sgid[16], dgid[16];
	uint32_t flow_label;
	uint8_t packet_rate;
	uint8_t traffic_class;
	uint8_t hop_limit;
	uint8_t sl;
	uint8_t subnet_local;
	uint8_t ack_timeout;
	/* REJ, MRA */
	uint8_t msg_type;
	uint16_t reason;
	uint8_t ari_len;
	uint8_t ari[72];
	uint8_t service_timeout;
	/* SIDR_REP */
	uint8_t status;
	/* private data: pdata_len bytes used of the message's area */
	uint8_t pdata_len;
	uint8_t pdata[CM_MAX_PDATA];
};

/* The private data area of a message type, 0 if unknown. */
size_t cm_pdata_size(uint16_t attr);

/* Writes @m as a 256-byte MAD. Returns 0 or -EINVAL (bad attr/pdata). */
int cm_msg_encode(const struct cm_msg *m, uint8_t *buf);

/*
 * Parses a datagram. Anything but a well-formed CM Send MAD of a known
 * attribute is refused with -EBADMSG; nothing in it is trusted beyond
 * field ranges.
 */
int cm_msg_decode(const uint8_t *buf, size_t len, struct cm_msg *m);

/* The RDMA CM IP header at the start of REQ / SIDR_REQ private data. */
#define CM_IP_HDR_SIZE 36
#define CM_IP_HDR_VERSION 0

struct cm_ip_hdr {
	int family; /* AF_INET or AF_INET6 */
	uint16_t src_port; /* host order */
	struct in6_addr src; /* IPv4 in the last 4 bytes */
	struct in6_addr dst;
};

void cm_ip_hdr_encode(const struct cm_ip_hdr *h, uint8_t *p);
/* Returns 0 or -EBADMSG for an unknown CM or IP version. */
int cm_ip_hdr_decode(const uint8_t *p, struct cm_ip_hdr *h);

/* Service IDs of the RDMA IP port spaces: (ps << 16) | port. */
static inline uint64_t cm_service_id(unsigned int ps, uint16_t port)
{
	return ((uint64_t)ps << 16) | port;
}

/* 4.096 us * 2^t, in ms, rounded up; the encoding of CM timeouts. */
static inline unsigned int cm_timeout_ms(unsigned int t)
{
	if (t > 31)
		t = 31;
	return (unsigned int)(((4096ull << t) + 999999) / 1000000);
}

#endif /* UROCE_CM_MSG_H */
