// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dp_ud DEV_A NETNS_B DEV_B: UD between two namespaces, run in A. Contexts
 * B1 and B2 are opened on DEV_B from inside NETNS_B (a path such as
 * /run/netns/NAME), as two processes there would; their sockets stay in B.
 *
 * - Multicast, over IPv4 (::ffff:239.x) and, when both ends have a global
 *   IPv6 GID, over IPv6 (ff0e::/16): two QPs of B1, one of B2 and one of A
 *   (the sender's own context) attached to a group each receive every
 *   message exactly once, with the group as the GRH's destination; a QP
 *   with another Q_Key receives nothing; after detach nothing arrives; a
 *   QP destroyed while attached is detached. The errors of attach and
 *   detach are those of the kernel (rxe).
 * - Address handles from a work completion: a server in B answers a
 *   client in A through ibv_create_ah_from_wc(), over IPv4 and IPv6, and
 *   ibv_init_ah_from_wc() tells an IPv6 GRH from an IPv4 header as
 *   rdma-core does.
 * - Every UD receive reports the RoCE packet type in wc.sl as mlx5 does
 *   (0x8 UDP | 2 IPv4 or 1 IPv6): UCX's ud_verbs finds the destination
 *   GID in the GRH area by it and drops the packet when it is wrong.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

#include "tests/lib/clock.h"
#include "tests/lib/verbs.h"

#define SLOT (40 + 4096) /* a receive: GRH area and payload */
#define NSLOT 64 /* receive slots per QP; one more to send from */
#define QKEY 0x11111111u
#define MSGS 16
#define WAIT_MS 10000
#define QUIET_MS 300

struct side {
	const char *name;
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	int gid4, gid6; /* indexes; -1: none */
	union ibv_gid g4, g6;
};

struct udq {
	struct side *s;
	struct ibv_qp *qp;
	struct ibv_cq *cq;
	uint8_t *buf; /* NSLOT receive slots, then the send slot */
	struct ibv_mr *mr;
	unsigned int seen[MSGS + 8]; /* messages received, by number */
};

static struct side A = { .name = "A" }, B1 = { .name = "B1" },
		   B2 = { .name = "B2" };

static double now_ms(void)
{
	return now_s() * 1e3;
}

static void enter_ns(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	REQUIRE(fd >= 0);
	REQUIRE(!setns(fd, CLONE_NEWNET));
	close(fd);
}

static bool gid_v4(const union ibv_gid *g)
{
	return IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)g->raw);
}

static void side_open(struct side *s, const char *dev)
{
	struct ibv_port_attr pa;
	union ibv_gid g;
	int i;

	s->ctx = open_dev(dev);
	s->pd = ibv_alloc_pd(s->ctx);
	REQUIRE(s->pd);
	REQUIRE(!ibv_query_port(s->ctx, 1, &pa));
	s->gid4 = s->gid6 = -1;
	for (i = 0; i < pa.gid_tbl_len; i++) {
		if (ibv_query_gid(s->ctx, 1, i, &g))
			continue;
		if (gid_v4(&g) && s->gid4 < 0) {
			s->gid4 = i;
			s->g4 = g;
		} else if (!gid_v4(&g) && g.raw[0] != 0xfe && g.raw[0] &&
			   s->gid6 < 0) {
			s->gid6 = i;
			s->g6 = g;
		}
	}
	REQUIRE(s->gid4 >= 0);
}

static void side_close(struct side *s)
{
	CHECK(!ibv_dealloc_pd(s->pd));
	CHECK(!ibv_close_device(s->ctx));
}

static void post_slot(struct udq *q, uint64_t slot)
{
	struct ibv_sge sge = { (uintptr_t)(q->buf + slot * SLOT), SLOT,
			       q->mr->lkey };
	struct ibv_recv_wr wr = { .wr_id = slot,
				  .sg_list = &sge,
				  .num_sge = 1 };
	struct ibv_recv_wr *bad;

	REQUIRE(!ibv_post_recv(q->qp, &wr, &bad));
}

static void udq_make(struct udq *q, struct side *s, uint32_t qkey)
{
	struct ibv_qp_init_attr ia;
	struct ibv_qp_attr a;
	uint64_t i;

	memset(q, 0, sizeof(*q));
	q->s = s;
	q->cq = ibv_create_cq(s->ctx, 2 * NSLOT, NULL, NULL, 0);
	REQUIRE(q->cq);
	q->buf = calloc(NSLOT + 1, SLOT);
	REQUIRE(q->buf);
	q->mr = ibv_reg_mr(s->pd, q->buf, (NSLOT + 1) * SLOT,
			   IBV_ACCESS_LOCAL_WRITE);
	REQUIRE(q->mr);
	memset(&ia, 0, sizeof(ia));
	ia.send_cq = q->cq;
	ia.recv_cq = q->cq;
	ia.qp_type = IBV_QPT_UD;
	ia.cap.max_send_wr = NSLOT;
	ia.cap.max_recv_wr = NSLOT;
	ia.cap.max_send_sge = 1;
	ia.cap.max_recv_sge = 1;
	q->qp = ibv_create_qp(s->pd, &ia);
	REQUIRE(q->qp);
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_INIT;
	a.port_num = 1;
	a.qkey = qkey;
	REQUIRE(!ibv_modify_qp(q->qp, &a,
			       IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT |
				       IBV_QP_QKEY));
	a.qp_state = IBV_QPS_RTR;
	REQUIRE(!ibv_modify_qp(q->qp, &a, IBV_QP_STATE));
	a.qp_state = IBV_QPS_RTS;
	a.sq_psn = 0;
	REQUIRE(!ibv_modify_qp(q->qp, &a, IBV_QP_STATE | IBV_QP_SQ_PSN));
	for (i = 0; i < NSLOT; i++)
		post_slot(q, i);
}

static void udq_free(struct udq *q)
{
	CHECK(!ibv_destroy_qp(q->qp));
	CHECK(!ibv_destroy_cq(q->cq));
	CHECK(!ibv_dereg_mr(q->mr));
	free(q->buf);
}

static uint32_t msg_len(unsigned int i)
{
	return 1 + (i * 397) % 1024; /* the port's MTU is 1024 at least */
}

static void fill(uint8_t *p, size_t n, unsigned int seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed * 31 + i * 7 + (i >> 8));
}

static bool filled(const uint8_t *p, size_t n, unsigned int seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != (uint8_t)(seed * 31 + i * 7 + (i >> 8)))
			return false;
	return true;
}

static struct ibv_ah *make_ah(struct side *s, const union ibv_gid *dgid,
			      int sgid)
{
	struct ibv_ah_attr a;
	struct ibv_ah *ah;

	memset(&a, 0, sizeof(a));
	a.is_global = 1;
	a.grh.dgid = *dgid;
	a.grh.sgid_index = (uint8_t)sgid;
	a.grh.hop_limit = 1;
	a.port_num = 1;
	ah = ibv_create_ah(s->pd, &a);
	REQUIRE(ah);
	return ah;
}

/* Sends message @i from @q's send slot and waits for its completion. */
static void ud_send(struct udq *q, struct ibv_ah *ah, uint32_t qpn,
		    unsigned int i)
{
	uint8_t *p = q->buf + NSLOT * SLOT;
	struct ibv_sge sge = { (uintptr_t)p, msg_len(i), q->mr->lkey };
	struct ibv_send_wr wr, *bad;
	double end = now_ms() + test_secs(WAIT_MS / 1e3) * 1e3;
	struct ibv_wc wc;
	int n;

	fill(p, msg_len(i), i);
	memset(&wr, 0, sizeof(wr));
	wr.wr_id = 1000 + i;
	wr.opcode = IBV_WR_SEND_WITH_IMM;
	wr.imm_data = htonl(i);
	wr.sg_list = &sge;
	wr.num_sge = 1;
	wr.send_flags = IBV_SEND_SIGNALED;
	wr.wr.ud.ah = ah;
	wr.wr.ud.remote_qpn = qpn;
	wr.wr.ud.remote_qkey = QKEY;
	REQUIRE(!ibv_post_send(q->qp, &wr, &bad));
	/* The sender may receive its own group's copy: keep those. */
	for (;;) {
		n = ibv_poll_cq(q->cq, 1, &wc);
		REQUIRE(n >= 0);
		if (n && wc.opcode == IBV_WC_SEND) {
			CHECK_EQ(wc.status, IBV_WC_SUCCESS);
			CHECK_EQ(wc.wr_id, 1000 + i);
			return;
		}
		REQUIRE(!n); /* the sender is attached to nothing */
		REQUIRE(now_ms() < end);
	}
}

/*
 * Checks one receive of @q from @src (QP number @sqpn at GID @sgid) sent
 * to @dgid; counts it in q->seen; reposts the slot. Returns the message
 * number, or -1.
 */
static int check_recv(struct udq *q, const struct ibv_wc *wc,
		      const union ibv_gid *sgid, uint32_t sqpn,
		      const union ibv_gid *dgid)
{
	const uint8_t *grh = q->buf + wc->wr_id * SLOT;
	unsigned int i;
	uint32_t sum = 0;
	int k;

	CHECK_EQ(wc->status, IBV_WC_SUCCESS);
	CHECK_EQ(wc->opcode, IBV_WC_RECV);
	CHECK_EQ(wc->qp_num, q->qp->qp_num);
	CHECK_EQ(wc->src_qp, sqpn);
	CHECK(wc->wc_flags & IBV_WC_GRH);
	CHECK(wc->wc_flags & IBV_WC_WITH_IMM);
	i = ntohl(wc->imm_data);
	if (wc->status || i >= MSGS + 8) {
		CHECK(!"a message number out of range");
		return -1;
	}
	CHECK_EQ(wc->byte_len, 40 + msg_len(i));
	CHECK(filled(grh + 40, msg_len(i), i));
	/* sl: the packet type (UDP, IPv4 or IPv6) as mlx5 reports it. */
	CHECK_EQ(wc->sl, gid_v4(dgid) ? 0xa : 0x9);
	if (gid_v4(dgid)) {
		/* The IPv4 header is the last 20 bytes, checksum right. */
		CHECK_EQ(grh[20], 0x45);
		CHECK_EQ(grh[29], IPPROTO_UDP);
		CHECK(!memcmp(grh + 32, &sgid->raw[12], 4));
		CHECK(!memcmp(grh + 36, &dgid->raw[12], 4));
		for (k = 20; k < 40; k += 2)
			sum += (uint32_t)grh[k] << 8 | grh[k + 1];
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		CHECK_EQ(sum, 0xffff);
	} else {
		CHECK_EQ(grh[0] >> 4, 6);
		CHECK_EQ(grh[6], IPPROTO_UDP);
		CHECK(!memcmp(grh + 8, sgid->raw, 16));
		CHECK(!memcmp(grh + 24, dgid->raw, 16));
	}
	q->seen[i]++;
	post_slot(q, wc->wr_id);
	return (int)i;
}

/* Receives into @q until @n messages are in, or @ms pass. */
static void recv_msgs(struct udq *q, unsigned int n, int ms,
		      const union ibv_gid *sgid, uint32_t sqpn,
		      const union ibv_gid *dgid)
{
	double end = now_ms() + test_secs(ms / 1e3) * 1e3;
	unsigned int got = 0;
	struct ibv_wc wc;
	int r;

	while (got < n && now_ms() < end) {
		r = ibv_poll_cq(q->cq, 1, &wc);
		REQUIRE(r >= 0);
		if (!r)
			continue;
		check_recv(q, &wc, sgid, sqpn, dgid);
		got++;
	}
}

static void seen_reset(struct udq **qs, int n)
{
	while (n--)
		memset(qs[n]->seen, 0, sizeof(qs[n]->seen));
}

/* @q got messages [@first, @first + @n) once each and nothing else. */
static void check_seen(struct udq *q, unsigned int first, unsigned int n,
		       const char *what)
{
	unsigned int i;
	int bad = 0;

	for (i = 0; i < MSGS + 8; i++)
		if (q->seen[i] != (i >= first && i < first + n))
			bad++;
	if (bad) {
		fprintf(stderr, "%s: QP %#x of %s: %d message(s) wrong:", what,
			q->qp->qp_num, q->s->name, bad);
		for (i = 0; i < MSGS + 8; i++)
			fprintf(stderr, " %u", q->seen[i]);
		fprintf(stderr, "\n");
		check_failures++;
	}
}

/* Reports a part of the test: ok, or how many of its checks failed. */
static void done(const char *what, int fails)
{
	if (check_failures == fails)
		printf("%s: ok\n", what);
	else
		printf("%s: %d check(s) failed\n", what,
		       check_failures - fails);
}

static void group_gid(union ibv_gid *g, bool v6)
{
	static const uint8_t v4[16] = { [10] = 0xff, [11] = 0xff, [12] = 239,
					[13] = 1,    [14] = 2,	  [15] = 3 };
	static const uint8_t v6g[16] = {
		0xff, 0x0e, [13] = 0x75, [14] = 0xa1, [15] = 0x01
	};

	memcpy(g->raw, v6 ? v6g : v4, 16);
}

static void test_mcast_errors(void)
{
	struct ibv_qp_init_attr ia;
	union ibv_gid grp, other;
	struct ibv_qp *rc;
	int fails = check_failures;
	struct udq u;

	group_gid(&grp, false);
	other = grp;
	other.raw[15] = 99;
	udq_make(&u, &B1, QKEY);
	memset(&ia, 0, sizeof(ia));
	ia.send_cq = u.cq;
	ia.recv_cq = u.cq;
	ia.qp_type = IBV_QPT_RC;
	ia.cap.max_send_wr = 1;
	ia.cap.max_recv_wr = 1;
	ia.cap.max_send_sge = 1;
	ia.cap.max_recv_sge = 1;
	rc = ibv_create_qp(B1.pd, &ia);
	REQUIRE(rc);
	/* Kernel ib_attach_mcast: UD QPs and multicast GIDs only. */
	CHECK_RET(ibv_attach_mcast(rc, &grp, 0), EINVAL);
	CHECK_RET(ibv_attach_mcast(u.qp, &B1.g4, 0), EINVAL);
	CHECK_RET(ibv_detach_mcast(rc, &grp, 0), EINVAL);
	CHECK_RET(ibv_detach_mcast(u.qp, &B1.g4, 0), EINVAL);
	/* Detaching what is not attached: EINVAL, as rxe. */
	CHECK_RET(ibv_detach_mcast(u.qp, &grp, 0), EINVAL);
	CHECK_RET(ibv_attach_mcast(u.qp, &grp, 0), 0);
	/* Attached already: success, as rxe; the LID means nothing. */
	CHECK_RET(ibv_attach_mcast(u.qp, &grp, 0), 0);
	CHECK_RET(ibv_attach_mcast(u.qp, &grp, 0xc001), 0);
	CHECK_RET(ibv_detach_mcast(u.qp, &other, 0), EINVAL);
	CHECK_RET(ibv_detach_mcast(u.qp, &grp, 0), 0);
	CHECK_RET(ibv_detach_mcast(u.qp, &grp, 0), EINVAL);
	CHECK(!ibv_destroy_qp(rc));
	udq_free(&u);
	done("mcast attach/detach errors", fails);
}

/* No completion on any of @qs for QUIET_MS. */
static void check_quiet(struct udq **qs, int n, const char *what)
{
	double end = now_ms() + QUIET_MS;
	struct ibv_wc wc;
	int i, r;

	while (now_ms() < end) {
		for (i = 0; i < n; i++) {
			r = ibv_poll_cq(qs[i]->cq, 1, &wc);
			REQUIRE(r >= 0);
			if (r) {
				fprintf(stderr,
					"%s: QP %#x of %s got wr %llu "
					"(status %d, imm %u)\n",
					what, qs[i]->qp->qp_num, qs[i]->s->name,
					(unsigned long long)wc.wr_id, wc.status,
					ntohl(wc.imm_data));
				check_failures++;
				post_slot(qs[i], wc.wr_id);
			}
		}
	}
}

static void test_mcast(bool v6)
{
	struct udq snd, r1, r2, r3, r4, bad;
	struct udq *all[] = { &r1, &r2, &r3, &r4, &bad };
	struct udq *rcv[] = { &r1, &r2, &r3, &r4 };
	const union ibv_gid *sgid = v6 ? &A.g6 : &A.g4;
	const char *fam = v6 ? "IPv6" : "IPv4";
	struct ibv_ah_attr attr;
	union ibv_gid grp;
	struct ibv_ah *ah;
	int k, r, fails = check_failures;
	struct ibv_wc wc;
	unsigned int i;
	char what[96];

	group_gid(&grp, v6);
	udq_make(&snd, &A, QKEY);
	udq_make(&r1, &B1, QKEY);
	udq_make(&r2, &B1, QKEY);
	udq_make(&bad, &B1, QKEY + 1);
	udq_make(&r3, &B2, QKEY);
	udq_make(&r4, &A, QKEY); /* the sender's context: loopback */
	for (k = 0; k < 5; k++)
		CHECK_RET(ibv_attach_mcast(all[k]->qp, &grp, 0), 0);
	CHECK_RET(ibv_attach_mcast(r1.qp, &grp, 0), 0); /* once only */
	ah = make_ah(&A, &grp, v6 ? A.gid6 : A.gid4);

	for (i = 0; i < MSGS; i++)
		ud_send(&snd, ah, 0xffffff, i);
	for (k = 0; k < 4; k++)
		recv_msgs(rcv[k], MSGS, WAIT_MS, sgid, snd.qp->qp_num, &grp);
	check_quiet(all, 5, "after the messages");
	for (k = 0; k < 5; k++)
		check_seen(all[k], 0, k < 4 ? MSGS : 0, fam);
	snprintf(what, sizeof(what),
		 "mcast %s: %d messages, each once to 4 QPs in 3 contexts", fam,
		 MSGS);
	done(what, fails);
	fails = check_failures;

	/* A group is no GID to answer from: as rdma-core, EINVAL. */
	ud_send(&snd, ah, 0xffffff, MSGS);
	do {
		r = ibv_poll_cq(r1.cq, 1, &wc);
		REQUIRE(r >= 0);
	} while (!r);
	CHECK_EQ(ibv_init_ah_from_wc(
			 B1.ctx, 1, &wc,
			 (struct ibv_grh *)(r1.buf + wc.wr_id * SLOT), &attr),
		 -1);
	CHECK_EQ(errno, EINVAL);
	post_slot(&r1, wc.wr_id);
	for (k = 1; k < 4; k++)
		recv_msgs(rcv[k], 1, WAIT_MS, sgid, snd.qp->qp_num, &grp);

	/* Detached: nothing more arrives. */
	for (k = 0; k < 5; k++)
		CHECK_RET(ibv_detach_mcast(all[k]->qp, &grp, 0), 0);
	seen_reset(all, 5);
	for (i = 0; i < 4; i++)
		ud_send(&snd, ah, 0xffffff, MSGS + 1 + i);
	check_quiet(all, 5, "after detach");

	/* One attached again: only it receives. */
	CHECK_RET(ibv_attach_mcast(r3.qp, &grp, 0), 0);
	ud_send(&snd, ah, 0xffffff, 3);
	recv_msgs(&r3, 1, WAIT_MS, sgid, snd.qp->qp_num, &grp);
	check_quiet(all, 5, "after attaching one");
	check_seen(&r3, 3, 1, fam);

	/* Destroyed while attached: detached, the others still receive. */
	CHECK_RET(ibv_attach_mcast(r1.qp, &grp, 0), 0);
	CHECK(!ibv_destroy_qp(r1.qp));
	ud_send(&snd, ah, 0xffffff, 4);
	recv_msgs(&r3, 1, WAIT_MS, sgid, snd.qp->qp_num, &grp);
	check_seen(&r3, 3, 2, fam);
	r1.qp = NULL;

	CHECK(!ibv_destroy_ah(ah));
	CHECK(!ibv_destroy_cq(r1.cq));
	CHECK(!ibv_dereg_mr(r1.mr));
	free(r1.buf);
	/* r3 is still attached: destroy detaches it. */
	udq_free(&r2);
	udq_free(&r3);
	udq_free(&r4);
	udq_free(&bad);
	udq_free(&snd);
	snprintf(what, sizeof(what), "mcast %s: detach, attach, destroy", fam);
	done(what, fails);
}

/* A client in A asks, a server in B answers through an AH from the wc. */
static void test_ah_from_wc(bool v6)
{
	const union ibv_gid *ga = v6 ? &A.g6 : &A.g4,
			    *gb = v6 ? &B1.g6 : &B1.g4;
	int ia = v6 ? A.gid6 : A.gid4, ib = v6 ? B1.gid6 : B1.gid4;
	struct ibv_ah *ah_c, *ah_s;
	struct ibv_ah_attr attr;
	int r, fails = check_failures;
	struct udq cli, srv;
	struct ibv_wc wc;

	udq_make(&cli, &A, QKEY);
	udq_make(&srv, &B1, QKEY);
	ah_c = make_ah(&A, gb, ia);
	ud_send(&cli, ah_c, srv.qp->qp_num, 5);
	do {
		r = ibv_poll_cq(srv.cq, 1, &wc);
		REQUIRE(r >= 0);
	} while (!r);
	CHECK_EQ(check_recv(&srv, &wc, ga, cli.qp->qp_num, gb), 5);
	/* The slot was reposted, not overwritten: its GRH is intact. */
	CHECK_EQ(ibv_init_ah_from_wc(
			 B1.ctx, 1, &wc,
			 (struct ibv_grh *)(srv.buf + wc.wr_id * SLOT), &attr),
		 0);
	CHECK_EQ(attr.is_global, 1);
	CHECK_EQ(attr.port_num, 1);
	CHECK(!memcmp(&attr.grh.dgid, ga, sizeof(*ga)));
	CHECK_EQ(attr.grh.sgid_index, ib);
	ah_s = ibv_create_ah_from_wc(
		B1.pd, &wc, (struct ibv_grh *)(srv.buf + wc.wr_id * SLOT), 1);
	REQUIRE(ah_s);
	ud_send(&srv, ah_s, wc.src_qp, 6);
	recv_msgs(&cli, 1, WAIT_MS, gb, srv.qp->qp_num, ga);
	check_seen(&cli, 6, 1, "reply");
	CHECK(!ibv_destroy_ah(ah_s));
	CHECK(!ibv_destroy_ah(ah_c));
	udq_free(&cli);
	udq_free(&srv);
	done(v6 ? "ah from wc, IPv6: server replied through it" :
		  "ah from wc, IPv4: server replied through it",
	     fails);
}

/*
 * An IPv6 GRH whose source address has 0x45 at byte 12 (where an IPv4
 * header would start) is still IPv6: its checksum is wrong.
 */
static void test_grh_version(void)
{
	struct ibv_ah_attr attr;
	int fails = check_failures;
	struct ibv_grh grh;
	struct ibv_wc wc;

	memset(&wc, 0, sizeof(wc));
	wc.wc_flags = IBV_WC_GRH;
	memset(&grh, 0, sizeof(grh));
	grh.version_tclass_flow = htonl(6u << 28 | 0x12345);
	grh.next_hdr = IPPROTO_UDP;
	grh.hop_limit = 7;
	grh.sgid.raw[0] = 0xfd;
	grh.sgid.raw[12] = 0x45;
	grh.sgid.raw[15] = 1;
	grh.dgid = B1.g6;
	CHECK_EQ(ibv_init_ah_from_wc(B1.ctx, 1, &wc, &grh, &attr), 0);
	CHECK(!memcmp(&attr.grh.dgid, &grh.sgid, 16));
	CHECK_EQ(attr.grh.sgid_index, B1.gid6);
	CHECK_EQ(attr.grh.flow_label, 0x12345);
	CHECK_EQ(attr.grh.hop_limit, 7);
	/* RoCE v1's next header: no such GID here. */
	grh.next_hdr = 0x1b;
	CHECK_EQ(ibv_init_ah_from_wc(B1.ctx, 1, &wc, &grh, &attr), -1);
	CHECK_EQ(errno, EPROTONOSUPPORT);
	/* Without IBV_WC_GRH: no GRH, nothing to look at. */
	wc.wc_flags = 0;
	CHECK_EQ(ibv_init_ah_from_wc(B1.ctx, 1, &wc, NULL, &attr), 0);
	CHECK_EQ(attr.is_global, 0);
	done("init_ah_from_wc: IPv6 GRH, RoCE v1, no GRH", fails);
}

int main(int argc, char **argv)
{
	int home;

	if (argc != 4) {
		fprintf(stderr, "usage: %s DEV_A NETNS_B DEV_B\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	REQUIRE(home >= 0);
	side_open(&A, argv[1]);
	enter_ns(argv[2]);
	side_open(&B1, argv[3]);
	side_open(&B2, argv[3]);
	/* B's sockets are made from A from now on (by B's engines). */
	REQUIRE(!setns(home, CLONE_NEWNET));
	close(home);

	test_mcast_errors();
	test_mcast(false);
	test_ah_from_wc(false);
	if (A.gid6 >= 0 && B1.gid6 >= 0) {
		test_mcast(true);
		test_ah_from_wc(true);
		test_grh_version();
	} else {
		printf("IPv6: skipped (no global IPv6 GID)\n");
	}
	side_close(&B2);
	side_close(&B1);
	side_close(&A);
	return check_report("dp_ud");
}
