// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The steering program, run by the kernel: a reuseport group of sockets on a
 * loopback port, the generated program attached, and datagrams shaped as
 * RoCE v2 packets (BTH, DETH, IB CM MADs) that must reach the socket at the
 * index the table names. Needs no privilege.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/lib/check.h"
#include "util/qpn_steer.h"

#define NR_SOCKS 5
#define MAD_PKT_LEN (12 + 8 + 256 + 4)

static int socks[NR_SOCKS];
static int tx;
static struct sockaddr_in group_addr;

static void open_group(void)
{
	socklen_t len = sizeof(group_addr);
	int i, one = 1;

	group_addr.sin_family = AF_INET;
	group_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; i < NR_SOCKS; i++) {
		socks[i] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		REQUIRE(socks[i] >= 0);
		REQUIRE(!setsockopt(socks[i], SOL_SOCKET, SO_REUSEPORT, &one,
				    sizeof(one)));
		/* The first bind picks the port; the others join its group. */
		REQUIRE(!bind(socks[i], (struct sockaddr *)&group_addr,
			      sizeof(group_addr)));
		if (!i)
			REQUIRE(!getsockname(socks[0],
					     (struct sockaddr *)&group_addr,
					     &len));
	}
	tx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	REQUIRE(tx >= 0);
}

/* Sends @buf to the group; returns the index of the socket it reached. */
static int deliver(const void *buf, size_t len)
{
	struct pollfd pfd[NR_SOCKS];
	uint8_t rx[512];
	int i, got = -1;

	REQUIRE(sendto(tx, buf, len, 0, (struct sockaddr *)&group_addr,
		       sizeof(group_addr)) == (ssize_t)len);
	for (i = 0; i < NR_SOCKS; i++)
		pfd[i] = (struct pollfd){ .fd = socks[i], .events = POLLIN };
	REQUIRE(poll(pfd, NR_SOCKS, 5000) == 1);
	for (i = 0; i < NR_SOCKS; i++) {
		if (!(pfd[i].revents & POLLIN))
			continue;
		REQUIRE(recv(socks[i], rx, sizeof(rx), 0) == (ssize_t)len);
		REQUIRE(!memcmp(rx, buf, len));
		got = i;
	}
	return got;
}

static void put32(uint8_t *p, uint32_t v)
{
	v = htonl(v);
	memcpy(p, &v, 4);
}

/* A RoCE v2 payload to @qpn: RC SEND_ONLY, 16 bytes of data, ICRC. */
static int to_qpn(uint32_t qpn)
{
	uint8_t pkt[12 + 16 + 4] = { 0x04, 0, 0xff, 0xff };

	put32(pkt + 4, qpn & 0xffffff);
	return deliver(pkt, sizeof(pkt));
}

/* A CM MAD on QP 1 with @attr; @id goes at @id_off, @svc at 52. */
static int to_gsi(uint8_t opcode, uint8_t class, uint16_t attr, int id_off,
		  uint32_t id, uint64_t svc)
{
	uint8_t pkt[MAD_PKT_LEN] = { opcode, 0, 0xff, 0xff, 0, 0, 0, 1 };

	pkt[20] = 1; /* base version */
	pkt[21] = class;
	pkt[22] = 2; /* CM class version */
	pkt[23] = 0x03; /* Send */
	pkt[36] = (uint8_t)(attr >> 8);
	pkt[37] = (uint8_t)attr;
	if (id_off)
		put32(pkt + id_off, id);
	put32(pkt + 52, (uint32_t)(svc >> 32));
	put32(pkt + 56, (uint32_t)svc);
	return deliver(pkt, sizeof(pkt));
}

static void attach(const struct qpn_steer_map *map)
{
	struct sock_filter insns[BPF_MAXINSNS];
	int n = qpn_steer_build(map, insns, BPF_MAXINSNS);

	REQUIRE(n > 0);
	/* Any member may set the group's program. */
	REQUIRE(!qpn_steer_attach(socks[NR_SOCKS - 1], insns, (size_t)n));
}

#define RDMA_PS_TCP_SVC(port) (0x0000000001060000ull | (port))

static void test_table(void)
{
	static const struct qpn_steer_range qpn[] = {
		{ 0x000100, 0x0001ff, 0 },
		{ 0x000200, 0x0002ff, 1 },
		{ 0x000300, 0x000300, 2 },
		{ 0x000400, 0xffffff, 3 },
	};
	static const struct qpn_steer_range comm[] = {
		{ 0x00010000, 0x0001ffff, 2 },
		{ 0x00020000, 0x0002ffff, 3 },
	};
	static const struct qpn_steer_svc svc[] = {
		{ RDMA_PS_TCP_SVC(7471), 1 },
		{ RDMA_PS_TCP_SVC(7472), 3 },
	};
	struct qpn_steer_map map = {
		.qpn = qpn,
		.nr_qpn = 4,
		.comm_id = comm,
		.nr_comm_id = 2,
		.svc = svc,
		.nr_svc = 2,
		.gsi = 0,
		.miss = 4,
		.probe = true,
	};
	uint8_t probe[QPN_STEER_PROBE_LEN], runt[8] = { 0 };
	uint64_t nonce;
	uint32_t idx;
	int i;

	attach(&map);
	REQUIRE(to_qpn(0x100) == 0);
	REQUIRE(to_qpn(0x1ff) == 0);
	REQUIRE(to_qpn(0x200) == 1);
	REQUIRE(to_qpn(0x300) == 2);
	REQUIRE(to_qpn(0x301) == 4);
	REQUIRE(to_qpn(0x400) == 3);
	REQUIRE(to_qpn(0xfffffe) == 3);
	REQUIRE(to_qpn(0x0000ff) == 4);
	/* The top byte of the BTH word (reserved) is not part of the QPN. */
	REQUIRE(to_qpn(0xff000200) == 1);
	REQUIRE(deliver(runt, sizeof(runt)) == 4);

	/* REQ and SIDR_REQ by service ID; unknown ones to the GSI owner. */
	REQUIRE(to_gsi(0x64, 0x07, 0x0010, 44, 0x55, RDMA_PS_TCP_SVC(7471)) ==
		1);
	REQUIRE(to_gsi(0x64, 0x07, 0x0010, 44, 0x55, RDMA_PS_TCP_SVC(7472)) ==
		3);
	REQUIRE(to_gsi(0x64, 0x07, 0x0017, 44, 0x55, RDMA_PS_TCP_SVC(7472)) ==
		3);
	REQUIRE(to_gsi(0x64, 0x07, 0x0010, 44, 0x55, RDMA_PS_TCP_SVC(9)) == 0);
	/* REP, RTU, REJ, MRA, DREQ, DREP, LAP, APR by our comm ID at 48. */
	for (i = 0x0011; i <= 0x001a; i++) {
		if (i == 0x0017 || i == 0x0018)
			continue;
		REQUIRE(to_gsi(0x64, 0x07, (uint16_t)i, 48, 0x10005, 0) == 2);
		REQUIRE(to_gsi(0x64, 0x07, (uint16_t)i, 48, 0x2ffff, 0) == 3);
		REQUIRE(to_gsi(0x64, 0x07, (uint16_t)i, 48, 0x30000, 0) == 0);
	}
	/* SIDR_REP echoes the requester's ID at 44. */
	REQUIRE(to_gsi(0x64, 0x07, 0x0018, 44, 0x20001, 0) == 3);
	/* Other classes and opcodes on QP 1 go to the GSI owner. */
	REQUIRE(to_gsi(0x64, 0x04, 0x0013, 48, 0x10005, 0) == 0);
	REQUIRE(to_gsi(0x65, 0x07, 0x0013, 48, 0x10005, 0) == 0);

	for (i = 0; i < NR_SOCKS; i++) {
		qpn_steer_probe_make(probe, (uint32_t)i, 0x0123456789abcdefull);
		REQUIRE(qpn_steer_probe_parse(probe, sizeof(probe), &idx,
					      &nonce));
		REQUIRE(idx == (uint32_t)i && nonce == 0x0123456789abcdefull);
		REQUIRE(deliver(probe, sizeof(probe)) == i);
	}
}

/* Enough single-QPN entries that the search needs BPF_JA trampolines. */
static void test_big_table(void)
{
	static struct qpn_steer_range qpn[900];
	struct qpn_steer_map map = { .qpn = qpn, .nr_qpn = 900, .miss = 4 };
	struct sock_filter insns[BPF_MAXINSNS];
	size_t i;
	int n;

	for (i = 0; i < 900; i++)
		qpn[i] = (struct qpn_steer_range){ (uint32_t)(0x1000 + 2 * i),
						   (uint32_t)(0x1000 + 2 * i),
						   (uint32_t)(i % 4) };
	n = qpn_steer_build(&map, insns, BPF_MAXINSNS);
	REQUIRE(n > 3600 && n <= BPF_MAXINSNS);
	attach(&map);
	for (i = 0; i < 900; i += 97) {
		REQUIRE(to_qpn((uint32_t)(0x1000 + 2 * i)) == (int)(i % 4));
		REQUIRE(to_qpn((uint32_t)(0x1001 + 2 * i)) == 4);
	}
	REQUIRE(to_qpn(0x1000 + 2 * 899) == 899 % 4);

	/* Too many entries for 4096 instructions, or a smaller buffer. */
	map.nr_qpn = 900;
	REQUIRE(qpn_steer_build(&map, insns, 100) == -E2BIG);
	{
		static struct qpn_steer_range many[3000];

		for (i = 0; i < 3000; i++)
			many[i] = (struct qpn_steer_range){ (uint32_t)(2 * i),
							    (uint32_t)(2 * i),
							    (uint32_t)(i % 2) };
		map.qpn = many;
		map.nr_qpn = 3000;
		REQUIRE(qpn_steer_build(&map, insns, BPF_MAXINSNS) == -E2BIG);
	}
}

static void test_bad_tables(void)
{
	static const struct qpn_steer_range overlap[] = {
		{ 10, 20, 0 },
		{ 20, 30, 1 },
	};
	static const struct qpn_steer_range reversed[] = { { 30, 20, 0 } };
	struct sock_filter insns[64];
	struct qpn_steer_map map = { .qpn = overlap, .nr_qpn = 2 };

	REQUIRE(qpn_steer_build(&map, insns, 64) == -EINVAL);
	map.qpn = reversed;
	map.nr_qpn = 1;
	REQUIRE(qpn_steer_build(&map, insns, 64) == -EINVAL);
	map.nr_qpn = 0;
	REQUIRE(qpn_steer_build(&map, insns, 64) > 0);
	REQUIRE(qpn_steer_attach(socks[0], insns, 0) == -EINVAL);
}

int main(void)
{
	int i;

	open_group();
	test_table();
	test_big_table();
	test_bad_tables();
	for (i = 0; i < NR_SOCKS; i++)
		close(socks[i]);
	close(tx);
	return 0;
}
