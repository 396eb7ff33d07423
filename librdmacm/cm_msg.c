// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * CM MAD encode/decode. Offsets are those of the IBTA CM attributes,
 * counted from the start of the MAD's data (byte 24); multi-bit fields
 * sharing a word are listed from its most significant bit, as the
 * specification draws them.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "librdmacm/cm_msg.h"

#define MAD_BASE_VERSION 1
#define MAD_CLASS_CM 0x07
#define MAD_CM_CLASS_VERSION 2
#define MAD_METHOD_SEND 0x03

static void put8(uint8_t *d, size_t off, uint8_t v)
{
	d[off] = v;
}

static void put16(uint8_t *d, size_t off, uint16_t v)
{
	d[off] = v >> 8;
	d[off + 1] = v;
}

static void put32(uint8_t *d, size_t off, uint32_t v)
{
	put16(d, off, v >> 16);
	put16(d, off + 2, v);
}

static void put64(uint8_t *d, size_t off, uint64_t v)
{
	put32(d, off, v >> 32);
	put32(d, off + 4, v);
}

static uint16_t get16(const uint8_t *d, size_t off)
{
	return (uint16_t)(d[off] << 8 | d[off + 1]);
}

static uint32_t get32(const uint8_t *d, size_t off)
{
	return (uint32_t)get16(d, off) << 16 | get16(d, off + 2);
}

static uint64_t get64(const uint8_t *d, size_t off)
{
	return (uint64_t)get32(d, off) << 32 | get32(d, off + 4);
}

/* Where each attribute's private data starts in the data area. */
static size_t pdata_off(uint16_t attr)
{
	switch (attr) {
	case CM_ATTR_REQ:
		return 140;
	case CM_ATTR_MRA:
		return 10;
	case CM_ATTR_REJ:
		return 84;
	case CM_ATTR_REP:
		return 36;
	case CM_ATTR_RTU:
	case CM_ATTR_DREP:
		return 8;
	case CM_ATTR_DREQ:
		return 12;
	case CM_ATTR_SIDR_REQ:
		return 16;
	case CM_ATTR_SIDR_REP:
		return 96;
	}
	return 0;
}

size_t cm_pdata_size(uint16_t attr)
{
	size_t off = pdata_off(attr);

	return off ? CM_MAD_DATA_SIZE - off : 0;
}

static void encode_req(const struct cm_msg *m, uint8_t *d)
{
	put32(d, 0, m->local_id);
	put64(d, 8, m->service_id);
	put64(d, 16, m->guid);
	put32(d, 28, m->qkey);
	put32(d, 32, (m->qpn & 0xffffff) << 8 | m->resp_res);
	put32(d, 36, m->init_depth); /* local EECN 0 */
	put32(d, 40,
	      (m->remote_resp_timeout & 0x1f) << 3 | (m->transport & 3) << 1 |
		      (m->flow_control & 1));
	put32(d, 44,
	      (m->psn & 0xffffff) << 8 | (m->local_resp_timeout & 0x1f) << 3 |
		      (m->retry_count & 7));
	put16(d, 48, m->pkey);
	put8(d, 50, (m->path_mtu & 0xf) << 4 | (m->rnr_retry & 7));
	put8(d, 51, (m->max_cm_retries & 0xf) << 4 | (m->srq & 1) << 3);
	put16(d, 52, m->slid);
	put16(d, 54, m->dlid);
	memcpy(d + 56, m->sgid, 16);
	memcpy(d + 72, m->dgid, 16);
	put32(d, 88, (m->flow_label & 0xfffff) << 12 | (m->packet_rate & 0x3f));
	put8(d, 92, m->traffic_class);
	put8(d, 93, m->hop_limit);
	put8(d, 94, (m->sl & 0xf) << 4 | (m->subnet_local & 1) << 3);
	put8(d, 95, (m->ack_timeout & 0x1f) << 3);
}

static void decode_req(const uint8_t *d, struct cm_msg *m)
{
	uint32_t w;

	m->local_id = get32(d, 0);
	m->service_id = get64(d, 8);
	m->guid = get64(d, 16);
	m->qkey = get32(d, 28);
	w = get32(d, 32);
	m->qpn = w >> 8;
	m->resp_res = w;
	m->init_depth = d[39];
	w = get32(d, 40);
	m->remote_resp_timeout = (w >> 3) & 0x1f;
	m->transport = (w >> 1) & 3;
	m->flow_control = w & 1;
	w = get32(d, 44);
	m->psn = w >> 8;
	m->local_resp_timeout = (w >> 3) & 0x1f;
	m->retry_count = w & 7;
	m->pkey = get16(d, 48);
	m->path_mtu = d[50] >> 4;
	m->rnr_retry = d[50] & 7;
	m->max_cm_retries = d[51] >> 4;
	m->srq = (d[51] >> 3) & 1;
	m->slid = get16(d, 52);
	m->dlid = get16(d, 54);
	memcpy(m->sgid, d + 56, 16);
	memcpy(m->dgid, d + 72, 16);
	w = get32(d, 88);
	m->flow_label = w >> 12;
	m->packet_rate = w & 0x3f;
	m->traffic_class = d[92];
	m->hop_limit = d[93];
	m->sl = d[94] >> 4;
	m->subnet_local = (d[94] >> 3) & 1;
	m->ack_timeout = d[95] >> 3;
}

static void encode_rep(const struct cm_msg *m, uint8_t *d)
{
	put32(d, 0, m->local_id);
	put32(d, 4, m->remote_id);
	put32(d, 8, m->qkey);
	put32(d, 12, (m->qpn & 0xffffff) << 8);
	put32(d, 20, (m->psn & 0xffffff) << 8);
	put8(d, 24, m->resp_res);
	put8(d, 25, m->init_depth);
	put8(d, 26,
	     (m->target_ack_delay & 0x1f) << 3 | (m->failover & 3) << 1 |
		     (m->flow_control & 1));
	put8(d, 27, (m->rnr_retry & 7) << 5 | (m->srq & 1) << 4);
	put64(d, 28, m->guid);
}

static void decode_rep(const uint8_t *d, struct cm_msg *m)
{
	m->local_id = get32(d, 0);
	m->remote_id = get32(d, 4);
	m->qkey = get32(d, 8);
	m->qpn = get32(d, 12) >> 8;
	m->psn = get32(d, 20) >> 8;
	m->resp_res = d[24];
	m->init_depth = d[25];
	m->target_ack_delay = d[26] >> 3;
	m->failover = (d[26] >> 1) & 3;
	m->flow_control = d[26] & 1;
	m->rnr_retry = d[27] >> 5;
	m->srq = (d[27] >> 4) & 1;
	m->guid = get64(d, 28);
}

static void encode_body(const struct cm_msg *m, uint8_t *d)
{
	switch (m->attr) {
	case CM_ATTR_REQ:
		encode_req(m, d);
		break;
	case CM_ATTR_REP:
		encode_rep(m, d);
		break;
	case CM_ATTR_MRA:
		put32(d, 0, m->local_id);
		put32(d, 4, m->remote_id);
		put8(d, 8, (m->msg_type & 3) << 6);
		put8(d, 9, (m->service_timeout & 0x1f) << 3);
		break;
	case CM_ATTR_REJ:
		put32(d, 0, m->local_id);
		put32(d, 4, m->remote_id);
		put8(d, 8, (m->msg_type & 3) << 6);
		put8(d, 9, (m->ari_len & 0x7f) << 1);
		put16(d, 10, m->reason);
		memcpy(d + 12, m->ari, m->ari_len);
		break;
	case CM_ATTR_RTU:
	case CM_ATTR_DREP:
		put32(d, 0, m->local_id);
		put32(d, 4, m->remote_id);
		break;
	case CM_ATTR_DREQ:
		put32(d, 0, m->local_id);
		put32(d, 4, m->remote_id);
		put32(d, 8, (m->remote_qpn & 0xffffff) << 8);
		break;
	case CM_ATTR_SIDR_REQ:
		put32(d, 0, m->local_id);
		put16(d, 4, m->pkey);
		put64(d, 8, m->service_id);
		break;
	case CM_ATTR_SIDR_REP:
		put32(d, 0, m->local_id);
		put8(d, 4, m->status);
		put8(d, 5, m->ari_len);
		put32(d, 8, (m->qpn & 0xffffff) << 8);
		put64(d, 12, m->service_id);
		put32(d, 20, m->qkey);
		memcpy(d + 24, m->ari, m->ari_len);
		break;
	}
}

int cm_msg_encode(const struct cm_msg *m, uint8_t *buf)
{
	size_t off = pdata_off(m->attr);
	uint8_t *d = buf + CM_MAD_HDR_SIZE;

	if (!off || m->pdata_len > CM_MAD_DATA_SIZE - off ||
	    m->ari_len > sizeof(m->ari))
		return -EINVAL;
	if (m->attr == CM_ATTR_SIDR_REP && m->ari_len > 72)
		return -EINVAL;
	memset(buf, 0, CM_MAD_SIZE);
	buf[0] = MAD_BASE_VERSION;
	buf[1] = MAD_CLASS_CM;
	buf[2] = MAD_CM_CLASS_VERSION;
	buf[3] = MAD_METHOD_SEND;
	put64(buf, 8, m->tid);
	put16(buf, 16, m->attr);
	encode_body(m, d);
	memcpy(d + off, m->pdata, m->pdata_len);
	return 0;
}

int cm_msg_decode(const uint8_t *buf, size_t len, struct cm_msg *m)
{
	const uint8_t *d = buf + CM_MAD_HDR_SIZE;
	size_t off;

	if (len != CM_MAD_SIZE || buf[0] != MAD_BASE_VERSION ||
	    buf[1] != MAD_CLASS_CM || buf[2] != MAD_CM_CLASS_VERSION ||
	    buf[3] != MAD_METHOD_SEND)
		return -EBADMSG;
	memset(m, 0, sizeof(*m));
	m->attr = get16(buf, 16);
	off = pdata_off(m->attr);
	if (!off)
		return -EBADMSG;
	m->tid = get64(buf, 8);
	switch (m->attr) {
	case CM_ATTR_REQ:
		decode_req(d, m);
		break;
	case CM_ATTR_REP:
		decode_rep(d, m);
		break;
	case CM_ATTR_MRA:
		m->local_id = get32(d, 0);
		m->remote_id = get32(d, 4);
		m->msg_type = d[8] >> 6;
		m->service_timeout = d[9] >> 3;
		break;
	case CM_ATTR_REJ:
		m->local_id = get32(d, 0);
		m->remote_id = get32(d, 4);
		m->msg_type = d[8] >> 6;
		m->ari_len = d[9] >> 1;
		m->reason = get16(d, 10);
		if (m->ari_len > sizeof(m->ari))
			return -EBADMSG;
		memcpy(m->ari, d + 12, m->ari_len);
		break;
	case CM_ATTR_RTU:
	case CM_ATTR_DREP:
		m->local_id = get32(d, 0);
		m->remote_id = get32(d, 4);
		break;
	case CM_ATTR_DREQ:
		m->local_id = get32(d, 0);
		m->remote_id = get32(d, 4);
		m->remote_qpn = get32(d, 8) >> 8;
		break;
	case CM_ATTR_SIDR_REQ:
		m->local_id = get32(d, 0);
		m->pkey = get16(d, 4);
		m->service_id = get64(d, 8);
		break;
	case CM_ATTR_SIDR_REP:
		m->local_id = get32(d, 0);
		m->status = d[4];
		m->ari_len = d[5];
		if (m->ari_len > 72)
			return -EBADMSG;
		m->qpn = get32(d, 8) >> 8;
		m->service_id = get64(d, 12);
		m->qkey = get32(d, 20);
		memcpy(m->ari, d + 24, m->ari_len);
		break;
	}
	m->pdata_len = (uint8_t)(CM_MAD_DATA_SIZE - off);
	memcpy(m->pdata, d + off, m->pdata_len);
	return 0;
}

void cm_ip_hdr_encode(const struct cm_ip_hdr *h, uint8_t *p)
{
	memset(p, 0, CM_IP_HDR_SIZE);
	p[0] = CM_IP_HDR_VERSION;
	p[1] = (h->family == AF_INET6 ? 6 : 4) << 4;
	put16(p, 2, h->src_port);
	memcpy(p + 4, &h->src, 16);
	memcpy(p + 20, &h->dst, 16);
	if (h->family == AF_INET) {
		/* IPv4 addresses take the last word; the rest is zero. */
		memset(p + 4, 0, 12);
		memset(p + 20, 0, 12);
	}
}

int cm_ip_hdr_decode(const uint8_t *p, struct cm_ip_hdr *h)
{
	memset(h, 0, sizeof(*h));
	if (p[0] != CM_IP_HDR_VERSION)
		return -EBADMSG;
	switch (p[1] >> 4) {
	case 4:
		h->family = AF_INET;
		memcpy((uint8_t *)&h->src + 12, p + 16, 4);
		memcpy((uint8_t *)&h->dst + 12, p + 32, 4);
		break;
	case 6:
		h->family = AF_INET6;
		memcpy(&h->src, p + 4, 16);
		memcpy(&h->dst, p + 20, 16);
		break;
	default:
		return -EBADMSG;
	}
	h->src_port = get16(p, 2);
	return 0;
}
