// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * CM wire format: every message round-trips, fields land at the IBTA
 * offsets, private data areas have the sizes librdmacm users rely on, and
 * malformed datagrams are refused.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "librdmacm/cm_msg.h"
#include "tests/lib/check.h"

#define D(off) (CM_MAD_HDR_SIZE + (off)) /* offset in the MAD */

static void test_sizes(void)
{
	/* What applications get after the 36-byte IP header, or whole. */
	REQUIRE(cm_pdata_size(CM_ATTR_REQ) - CM_IP_HDR_SIZE == 56);
	REQUIRE(cm_pdata_size(CM_ATTR_REP) == 196);
	REQUIRE(cm_pdata_size(CM_ATTR_REJ) == 148);
	REQUIRE(cm_pdata_size(CM_ATTR_DREQ) == 220);
	REQUIRE(cm_pdata_size(CM_ATTR_DREP) == 224);
	REQUIRE(cm_pdata_size(CM_ATTR_RTU) == 224);
	REQUIRE(cm_pdata_size(CM_ATTR_MRA) == 222);
	REQUIRE(cm_pdata_size(CM_ATTR_SIDR_REQ) - CM_IP_HDR_SIZE == 180);
	REQUIRE(cm_pdata_size(CM_ATTR_SIDR_REP) == 136);
	REQUIRE(cm_pdata_size(0x0019) == 0);
}

static void test_req(void)
{
	struct cm_msg m = { .attr = CM_ATTR_REQ }, d;
	uint8_t buf[CM_MAD_SIZE];
	int i;

	m.tid = 0x1122334455667788ull;
	m.local_id = 0xdeadbeef;
	m.service_id = cm_service_id(0x0106, 7471);
	m.guid = 0x0102030405060708ull;
	m.qpn = 0xabcdef;
	m.resp_res = 4;
	m.init_depth = 3;
	m.remote_resp_timeout = 18;
	m.local_resp_timeout = 17;
	m.transport = 1;
	m.flow_control = 1;
	m.psn = 0x123456;
	m.retry_count = 7;
	m.rnr_retry = 6;
	m.pkey = 0xffff;
	m.path_mtu = 3;
	m.max_cm_retries = 15;
	m.srq = 1;
	m.slid = 0xffff;
	m.dlid = 0xffff;
	for (i = 0; i < 16; i++) {
		m.sgid[i] = (uint8_t)i;
		m.dgid[i] = (uint8_t)(0xf0 | i);
	}
	m.flow_label = 0xabcde;
	m.packet_rate = 3;
	m.traffic_class = 0x20;
	m.hop_limit = 64;
	m.sl = 5;
	m.subnet_local = 1;
	m.ack_timeout = 14;
	m.pdata_len = CM_REQ_PDATA;
	memset(m.pdata, 0x5a, sizeof(m.pdata));
	REQUIRE(!cm_msg_encode(&m, buf));
	/* MAD header: CM class, version 2, Send, attribute ID */
	REQUIRE(buf[0] == 1 && buf[1] == 0x07 && buf[2] == 2 && buf[3] == 3);
	REQUIRE(buf[16] == 0x00 && buf[17] == 0x10);
	REQUIRE(buf[8] == 0x11 && buf[15] == 0x88);
	/* fields at their offsets */
	REQUIRE(buf[D(0)] == 0xde && buf[D(3)] == 0xef);
	REQUIRE(buf[D(8 + 5)] == 0x06 && buf[D(8 + 6)] == 0x1d &&
		buf[D(8 + 7)] == 0x2f);
	REQUIRE(buf[D(32)] == 0xab && buf[D(34)] == 0xef && buf[D(35)] == 4);
	REQUIRE(buf[D(39)] == 3);
	REQUIRE(buf[D(43)] == (18 << 3 | 1 << 1 | 1));
	REQUIRE(buf[D(44)] == 0x12 && buf[D(47)] == (17 << 3 | 7));
	REQUIRE(buf[D(50)] == (3 << 4 | 6) && buf[D(51)] == (15 << 4 | 1 << 3));
	REQUIRE(buf[D(56)] == 0 && buf[D(72)] == 0xf0);
	REQUIRE(buf[D(92)] == 0x20 && buf[D(93)] == 64);
	REQUIRE(buf[D(94)] == (5 << 4 | 1 << 3) && buf[D(95)] == 14 << 3);
	REQUIRE(buf[D(140)] == 0x5a && buf[CM_MAD_SIZE - 1] == 0x5a);
	REQUIRE(!cm_msg_decode(buf, sizeof(buf), &d));
	REQUIRE(d.attr == m.attr && d.tid == m.tid && d.local_id == m.local_id);
	REQUIRE(d.service_id == m.service_id && d.guid == m.guid);
	REQUIRE(d.qpn == m.qpn && d.resp_res == 4 && d.init_depth == 3);
	REQUIRE(d.remote_resp_timeout == 18 && d.local_resp_timeout == 17);
	REQUIRE(d.transport == 1 && d.flow_control == 1 && d.psn == m.psn);
	REQUIRE(d.retry_count == 7 && d.rnr_retry == 6 && d.pkey == 0xffff);
	REQUIRE(d.path_mtu == 3 && d.max_cm_retries == 15 && d.srq == 1);
	REQUIRE(!memcmp(d.sgid, m.sgid, 16) && !memcmp(d.dgid, m.dgid, 16));
	REQUIRE(d.flow_label == 0xabcde && d.packet_rate == 3);
	REQUIRE(d.traffic_class == 0x20 && d.hop_limit == 64 && d.sl == 5);
	REQUIRE(d.subnet_local == 1 && d.ack_timeout == 14);
	REQUIRE(d.pdata_len == CM_REQ_PDATA && !memcmp(d.pdata, m.pdata, 92));
}

static void roundtrip(const struct cm_msg *m, struct cm_msg *d)
{
	uint8_t buf[CM_MAD_SIZE];

	REQUIRE(!cm_msg_encode(m, buf));
	REQUIRE(!cm_msg_decode(buf, sizeof(buf), d));
	REQUIRE(d->attr == m->attr && d->local_id == m->local_id);
	REQUIRE(d->pdata_len == cm_pdata_size(m->attr));
	REQUIRE(!memcmp(d->pdata, m->pdata, m->pdata_len));
}

static void test_others(void)
{
	struct cm_msg m, d;

	memset(&m, 0, sizeof(m));
	m.attr = CM_ATTR_REP;
	m.local_id = 1;
	m.remote_id = 2;
	m.qkey = 0x01234567;
	m.qpn = 0x123456;
	m.psn = 0xfedcba;
	m.resp_res = 1;
	m.init_depth = 2;
	m.target_ack_delay = 9;
	m.failover = 2;
	m.flow_control = 1;
	m.rnr_retry = 7;
	m.srq = 1;
	m.guid = 42;
	m.pdata_len = 196;
	memset(m.pdata, 0xa5, 196);
	roundtrip(&m, &d);
	REQUIRE(d.remote_id == 2 && d.qkey == m.qkey && d.qpn == m.qpn);
	REQUIRE(d.psn == m.psn && d.resp_res == 1 && d.init_depth == 2);
	REQUIRE(d.target_ack_delay == 9 && d.failover == 2 && d.flow_control);
	REQUIRE(d.rnr_retry == 7 && d.srq == 1 && d.guid == 42);

	memset(&m, 0, sizeof(m));
	m.attr = CM_ATTR_REJ;
	m.local_id = 3;
	m.remote_id = 4;
	m.msg_type = CM_MSG_REP;
	m.reason = CM_REJ_CONSUMER_DEFINED;
	m.ari_len = 2;
	m.ari[0] = 9;
	m.ari[1] = 8;
	m.pdata_len = 148;
	roundtrip(&m, &d);
	REQUIRE(d.msg_type == CM_MSG_REP && d.reason == 28 && d.ari_len == 2);
	REQUIRE(d.ari[0] == 9 && d.ari[1] == 8);
	m.pdata_len = 149; /* too much private data */
	{
		uint8_t buf[CM_MAD_SIZE];

		REQUIRE(cm_msg_encode(&m, buf) == -EINVAL);
	}

	memset(&m, 0, sizeof(m));
	m.attr = CM_ATTR_MRA;
	m.msg_type = CM_MSG_REQ;
	m.service_timeout = 24;
	roundtrip(&m, &d);
	REQUIRE(d.service_timeout == 24 && d.msg_type == CM_MSG_REQ);

	memset(&m, 0, sizeof(m));
	m.attr = CM_ATTR_DREQ;
	m.remote_qpn = 0x654321;
	roundtrip(&m, &d);
	REQUIRE(d.remote_qpn == 0x654321);

	memset(&m, 0, sizeof(m));
	m.attr = CM_ATTR_SIDR_REQ;
	m.local_id = 77;
	m.pkey = 0xffff;
	m.service_id = cm_service_id(0x0111, 7174);
	roundtrip(&m, &d);
	REQUIRE(d.pkey == 0xffff && d.service_id == m.service_id);

	memset(&m, 0, sizeof(m));
	m.attr = CM_ATTR_SIDR_REP;
	m.local_id = 77;
	m.status = CM_SIDR_REJECT;
	m.qpn = 0xabc;
	m.qkey = 0x01234567;
	m.service_id = 5;
	m.pdata_len = 136;
	roundtrip(&m, &d);
	REQUIRE(d.status == 2 && d.qpn == 0xabc && d.qkey == 0x01234567);
	REQUIRE(d.service_id == 5);

	memset(&m, 0, sizeof(m));
	m.attr = CM_ATTR_RTU;
	roundtrip(&m, &d);
	m.attr = CM_ATTR_DREP;
	roundtrip(&m, &d);
}

static void test_malformed(void)
{
	struct cm_msg m = { .attr = CM_ATTR_RTU }, d;
	uint8_t buf[CM_MAD_SIZE];

	REQUIRE(!cm_msg_encode(&m, buf));
	REQUIRE(cm_msg_decode(buf, CM_MAD_SIZE - 1, &d) == -EBADMSG);
	REQUIRE(cm_msg_decode(buf, 0, &d) == -EBADMSG);
	buf[1] = 0x04; /* another management class */
	REQUIRE(cm_msg_decode(buf, CM_MAD_SIZE, &d) == -EBADMSG);
	buf[1] = 0x07;
	buf[17] = 0x99; /* unknown attribute */
	REQUIRE(cm_msg_decode(buf, CM_MAD_SIZE, &d) == -EBADMSG);
	buf[17] = 0x12; /* a REJ with an impossible ARI length */
	buf[D(9)] = 0x7f << 1;
	REQUIRE(cm_msg_decode(buf, CM_MAD_SIZE, &d) == -EBADMSG);
	m.attr = 0x0020;
	REQUIRE(cm_msg_encode(&m, buf) == -EINVAL);
}

static void test_ip_hdr(void)
{
	struct cm_ip_hdr h = { .family = AF_INET, .src_port = 7471 }, d;
	uint8_t p[CM_IP_HDR_SIZE];

	inet_pton(AF_INET6, "::ffff:10.0.0.1", &h.src);
	inet_pton(AF_INET6, "::ffff:10.0.0.2", &h.dst);
	cm_ip_hdr_encode(&h, p);
	REQUIRE(p[0] == 0 && p[1] == 0x40 && p[2] == 0x1d && p[3] == 0x2f);
	REQUIRE(p[4] == 0 && p[14] == 0 && p[16] == 10 && p[19] == 1);
	REQUIRE(p[32] == 10 && p[35] == 2);
	REQUIRE(!cm_ip_hdr_decode(p, &d));
	REQUIRE(d.family == AF_INET && d.src_port == 7471);
	REQUIRE(!memcmp(d.src.s6_addr + 12, h.src.s6_addr + 12, 4));
	REQUIRE(!memcmp(d.dst.s6_addr + 12, h.dst.s6_addr + 12, 4));

	h.family = AF_INET6;
	inet_pton(AF_INET6, "fd00::1", &h.src);
	inet_pton(AF_INET6, "fd00::2", &h.dst);
	cm_ip_hdr_encode(&h, p);
	REQUIRE(p[1] == 0x60);
	REQUIRE(!cm_ip_hdr_decode(p, &d));
	REQUIRE(d.family == AF_INET6 && !memcmp(&d.dst, &h.dst, 16));

	p[1] = 0x50;
	REQUIRE(cm_ip_hdr_decode(p, &d) == -EBADMSG);
	p[1] = 0x60;
	p[0] = 1;
	REQUIRE(cm_ip_hdr_decode(p, &d) == -EBADMSG);
}

int main(void)
{
	test_sizes();
	test_req();
	test_others();
	test_malformed();
	test_ip_hdr();
	REQUIRE(cm_timeout_ms(18) == 1074);
	return 0;
}
