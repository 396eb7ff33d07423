// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The responder's rules as a peer that crafts its packets sees them:
 *
 *   responder victim DEV DIR IP_A IP_B   in A: RC QPs towards a port of B
 *   responder peer DIR IP_A IP_B         in B: owns that port, so that its
 *                                        packets are the QPs' peer's
 *
 * The peer binds a UDP port P on IP_B; the victim's QP i is connected to
 * QPN P << 8 | (i + 1), so every packet from P is its peer's. The victim
 * writes its QPNs and keys to DIR/victim.info, serves until DIR/peer.done
 * and writes its receive completions to DIR/victim.done, with the longest
 * its own ibv_reg_mr, ibv_dereg_mr and ibv_poll_cq took meanwhile.
 */
#include <arpa/inet.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/icrc.h"
#include "providers/uroce/pkt.h"
#include "tests/hostile/common.h"

#define NQP 8
#define QP_BIG 6 /* the long READ */
#define QP_DUP 7 /* duplicate READs */
#define BIG (256u << 20)
#define PSN0 0x100u
#define MTU 1024u
#define SBUF (64u << 10) /* the SEND and WRITE target */

static const char *dir;
/* A soft check (tests/lib/check.h) that says what it saw. */
#define EXPECT(c, ...)                                         \
	do {                                                   \
		if (!(c)) {                                    \
			fprintf(stderr, "FAIL: " __VA_ARGS__); \
			fputc('\n', stderr);                   \
			check_failures++;                      \
		}                                              \
	} while (0)

/* ---------------------------------------------------------------- victim */

static void post(struct ibv_qp *qp, struct ibv_srq *srq, struct ibv_mr *mr,
		 uint64_t id)
{
	struct ibv_sge sge = { (uintptr_t)mr->addr, 4096, mr->lkey };
	struct ibv_recv_wr wr = { .wr_id = id, .sg_list = &sge, .num_sge = 1 };
	struct ibv_recv_wr *bad;

	REQUIRE(!(srq ? ibv_post_srq_recv(srq, &wr, &bad) :
			ibv_post_recv(qp, &wr, &bad)));
}

static int victim(const char *devname, const char *ip_a, const char *ip_b)
{
	struct ibv_context *ctx = open_dev(devname);
	struct ibv_pd *pd = ibv_alloc_pd(ctx), *spd = ibv_alloc_pd(ctx);
	struct ibv_cq *cq = ibv_create_cq(ctx, 256, NULL, NULL, 0);
	struct ibv_srq_init_attr sa = { .attr = { .max_wr = 16,
						  .max_sge = 1 } };
	struct ibv_srq *srq = ibv_create_srq(spd, &sa);
	uint8_t *sbuf = calloc(1, SBUF), *rbuf = calloc(1, 8192);
	struct ibv_mr *mr, *rmr, *smr, *bmr, *tmr;
	double t, stall = 0;
	void *big;
	struct ibv_qp *qp[NQP];
	union ibv_gid gid;
	char text[4096], *pinfo;
	struct ibv_wc wc[16];
	unsigned int port;
	int i, n, len = 0, polls = 0;

	REQUIRE(pd && spd && cq && srq && sbuf && rbuf);
	mr = ibv_reg_mr(pd, sbuf, SBUF,
			IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
				IBV_ACCESS_REMOTE_READ |
				IBV_ACCESS_REMOTE_ATOMIC);
	/* Receive buffers of the QPs' PD and of the SRQ's, another one. */
	rmr = ibv_reg_mr(pd, rbuf, 4096, IBV_ACCESS_LOCAL_WRITE);
	smr = ibv_reg_mr(spd, rbuf + 4096, 4096, IBV_ACCESS_LOCAL_WRITE);
	REQUIRE(mr && rmr && smr);
	/* 256 MiB a READ may ask for, never touched: the zero page. */
	big = mmap(NULL, BIG, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	REQUIRE(big != MAP_FAILED);
	bmr = ibv_reg_mr(pd, big, BIG, IBV_ACCESS_REMOTE_READ);
	REQUIRE(bmr);
	pinfo = wait_file(dir, "peer.info");
	port = (unsigned int)get_val(pinfo, "port");
	ip_gid(ip_b, &gid);
	(void)ip_a;
	for (i = 0; i < NQP; i++) {
		struct ibv_qp_init_attr ia = {
			.send_cq = cq,
			.recv_cq = cq,
			.srq = i ? NULL : srq,
			.qp_type = IBV_QPT_RC,
			.cap = { .max_send_wr = 4,
				 .max_recv_wr = 4,
				 .max_send_sge = 1,
				 .max_recv_sge = 1 },
		};

		qp[i] = ibv_create_qp(pd, &ia);
		REQUIRE(qp[i]);
		qp_init(qp[i], IBV_QPT_RC);
		qp_rtr(qp[i], &gid, port << 8 | (unsigned int)(i + 1), PSN0);
		qp_rts(qp[i], PSN0);
		if (i)
			post(qp[i], NULL, rmr, (uint64_t)i);
		len += snprintf(text + len, sizeof(text) - (size_t)len,
				"qp%d %u\n", i, qp[i]->qp_num);
	}
	post(NULL, srq, smr, 0);
	len += snprintf(text + len, sizeof(text) - (size_t)len,
			"addr %llu\nrkey %u\nbaddr %llu\nbrkey %u\n",
			(unsigned long long)(uintptr_t)sbuf, mr->rkey,
			(unsigned long long)(uintptr_t)big, bmr->rkey);
	put_file(dir, "victim.info", text);

	/* Serve; the receive completions are the peer's to judge. */
	len = 0;
	for (;;) {
		bool done = have_file(dir, "peer.done");

		t = now_s();
		tmr = ibv_reg_mr(pd, rbuf, 64, IBV_ACCESS_LOCAL_WRITE);
		REQUIRE(tmr && !ibv_dereg_mr(tmr));
		n = ibv_poll_cq(cq, 16, wc);
		if (now_s() - t > stall)
			stall = now_s() - t;
		polls++;
		REQUIRE(n >= 0);
		for (i = 0; i < n; i++)
			if (!(wc[i].opcode & IBV_WC_RECV))
				continue;
			else
				len += snprintf(text + len,
						sizeof(text) - (size_t)len,
						"wc%llu %d\nlen%llu %u\n",
						(unsigned long long)wc[i].wr_id,
						wc[i].status,
						(unsigned long long)wc[i].wr_id,
						wc[i].byte_len);
		if (!n && done)
			break;
		if (!n)
			usleep(1000);
	}
	snprintf(text + len, sizeof(text) - (size_t)len, "stall_us %lld\n",
		 (long long)(stall * 1e6));
	printf("victim: %d polls, longest %.1f ms\n", polls, stall * 1e3);
	put_file(dir, "victim.done", text);
	for (i = 0; i < NQP; i++)
		REQUIRE(!ibv_destroy_qp(qp[i]));
	REQUIRE(!ibv_destroy_srq(srq));
	REQUIRE(!ibv_dereg_mr(mr) && !ibv_dereg_mr(rmr) && !ibv_dereg_mr(smr));
	REQUIRE(!ibv_dereg_mr(bmr) && !munmap(big, BIG));
	free(sbuf);
	free(rbuf);
	REQUIRE(!ibv_destroy_cq(cq));
	REQUIRE(!ibv_dealloc_pd(pd) && !ibv_dealloc_pd(spd));
	REQUIRE(!ibv_close_device(ctx));
	return 0;
}

/* ------------------------------------------------------------------ peer */

static int usock;
static struct in_addr me_ip, vic_ip;
static uint16_t me_port;
static const char *vinfo;
static uint64_t vaddr, vbaddr;
static uint32_t vrkey, vbrkey;

static uint32_t vqpn(int i)
{
	char k[16];

	snprintf(k, sizeof(k), "qp%d", i);
	return (uint32_t)get_val(vinfo, k);
}

/* Sends @p with @paylen bytes of 0xee to the victim's QP @i. */
static void xmit(int i, struct uroce_pkt *p, uint32_t paylen)
{
	craft_send(usock, me_ip, me_port, vic_ip, (uint16_t)(vqpn(i) >> 8),
		   vqpn(i), p, paylen);
}

static void req(struct uroce_pkt *p, uint8_t op, uint32_t psn, bool ackreq)
{
	memset(p, 0, sizeof(*p));
	p->bth.opcode = op;
	p->bth.psn = psn;
	p->bth.ackreq = ackreq;
}

/*
 * A WRITE or READ request with RETH (@va, @rkey, @len) and @paylen bytes
 * to QP @i; an ACK asked for unless it opens a message.
 */
static void rdma_req(int i, uint8_t op, uint32_t psn, uint64_t va,
		     uint32_t rkey, uint32_t len, uint32_t paylen)
{
	struct uroce_pkt p;

	req(&p, op, psn, op != UROCE_OP_RC_WRITE_FIRST);
	p.reth.va = va;
	p.reth.rkey = rkey;
	p.reth.len = len;
	xmit(i, &p, paylen);
}

#define read_req(i, psn, va, rkey, len) \
	rdma_req(i, UROCE_OP_RC_READ_REQ, psn, va, rkey, len, 0)

/*
 * The next packet for QP @i within @secs, parsed into @p (its payload
 * is not kept); false if none came. Packets of other QPs are dropped.
 */
static uint8_t rxbuf[65536];

static bool next_resp(int i, struct uroce_pkt *p, double secs)
{
	double end = now_s() + secs;
	struct pollfd pfd = { usock, POLLIN, 0 };
	ssize_t n;

	for (;;) {
		double left = end - now_s();

		if (left <= 0 || poll(&pfd, 1, (int)(left * 1000) + 1) <= 0)
			return false;
		n = recv(usock, rxbuf, sizeof(rxbuf), MSG_DONTWAIT);
		if (n <= 0 || uroce_pkt_parse(rxbuf, (size_t)n, p))
			continue;
		if ((p->bth.dqpn & 0xff) == (uint32_t)(i + 1))
			return true;
	}
}

/* Whether QP @i answers next with an ACK or NAK @syndrome for @psn. */
static void expect_aeth(int i, uint32_t psn, uint8_t syndrome, const char *what)
{
	struct uroce_pkt p;

	if (!next_resp(i, &p, test_secs(3))) {
		EXPECT(0, "%s: no answer", what);
		return;
	}
	EXPECT(p.bth.opcode == UROCE_OP_RC_ACK && p.bth.psn == psn &&
		       p.aeth.syndrome == syndrome,
	       "%s: opcode %#x psn %#x syndrome %#x, expected ACK %#x %#x",
	       what, p.bth.opcode, p.bth.psn, p.aeth.syndrome, psn, syndrome);
	printf("%s: opcode %#x psn %#x syndrome %#x\n", what, p.bth.opcode,
	       p.bth.psn, p.aeth.syndrome);
}

/* An open message on QP @i: a SEND_FIRST or a WRITE_FIRST of 2 MTUs. */
static void open_msg(int i, bool send)
{
	struct uroce_pkt p;

	if (send) {
		req(&p, UROCE_OP_RC_SEND_FIRST, PSN0, false);
		xmit(i, &p, MTU);
	} else {
		rdma_req(i, UROCE_OP_RC_WRITE_FIRST, PSN0, vaddr, vrkey,
			 2 * MTU, MTU);
	}
}

/*
 * Item by item, each on a QP of its own (a fatal NAK ends the QP):
 * a SEND into an SRQ whose PD is not the QP's, then requests that break
 * the opcode sequence of an open multi-packet message.
 */
static void conformance(void)
{
	uint8_t inv = uroce_aeth_nak(UROCE_NAK_INVALID_REQ);
	uint8_t ack = uroce_aeth_ack(UROCE_AETH_CREDITS_INVALID);
	struct uroce_pkt p;

	/* The SRQ's receive buffer is in the SRQ's PD: the SEND lands. */
	req(&p, UROCE_OP_RC_SEND_ONLY, PSN0, true);
	xmit(0, &p, 64);
	expect_aeth(0, PSN0, ack, "srq in another pd: SEND");

	open_msg(1, true);
	rdma_req(1, UROCE_OP_RC_WRITE_ONLY, PSN0 + 1, vaddr, vrkey, 64, 64);
	expect_aeth(1, PSN0 + 1, inv, "WRITE in an open SEND");

	open_msg(2, true);
	rdma_req(2, UROCE_OP_RC_READ_REQ, PSN0 + 1, vaddr, vrkey, 64, 0);
	expect_aeth(2, PSN0 + 1, inv, "READ in an open SEND");

	open_msg(3, false);
	req(&p, UROCE_OP_RC_SEND_ONLY, PSN0 + 1, true);
	xmit(3, &p, 64);
	expect_aeth(3, PSN0 + 1, inv, "SEND in an open WRITE");

	open_msg(4, false);
	rdma_req(4, UROCE_OP_RC_WRITE_ONLY, PSN0 + 1, vaddr, vrkey, 64, 64);
	expect_aeth(4, PSN0 + 1, inv, "WRITE_ONLY in an open WRITE");

	open_msg(5, false);
	req(&p, UROCE_OP_RC_FETCH_ADD, PSN0 + 1, true);
	p.atmeth.va = vaddr;
	p.atmeth.rkey = vrkey;
	p.atmeth.swap_add = 1;
	xmit(5, &p, 0);
	expect_aeth(5, PSN0 + 1, inv, "FETCH_ADD in an open WRITE");
}

/* An ACK among them: after how many responses, and its PSN. */
static long ack_at = -1;
static uint32_t ack_psn;

/* The READ responses for QP @i until @quiet s without one: their PSNs. */
static uint32_t read_resps(int i, double quiet, uint32_t *first, uint32_t *last,
			   uint64_t *bytes)
{
	struct uroce_pkt p;
	uint32_t n = 0;

	*bytes = 0;
	while (next_resp(i, &p, quiet)) {
		if (p.bth.opcode == UROCE_OP_RC_ACK &&
		    p.aeth.syndrome ==
			    uroce_aeth_ack(UROCE_AETH_CREDITS_INVALID) &&
		    ack_at < 0) {
			ack_at = n;
			ack_psn = p.bth.psn;
			continue;
		}
		if (!(p.info->flags & UROCE_OPF_RESP) ||
		    p.bth.opcode == UROCE_OP_RC_ACK) {
			EXPECT(0, "QP %d: opcode %#x syndrome %#x", i,
			       p.bth.opcode, p.aeth.syndrome);
			continue;
		}
		if (!n)
			*first = p.bth.psn;
		*last = p.bth.psn;
		*bytes += p.len + 28; /* with its IP and UDP headers */
		n++;
	}
	return n;
}

/*
 * Duplicates of a READ of 64 packets: answered again only when their
 * RETH is the one of their PSN's packet, and only for the PSNs they ask.
 */
static void duplicates(void)
{
	uint32_t n, first = 0, last = 0;
	uint64_t bytes;

	read_req(QP_DUP, PSN0, vaddr, vrkey, SBUF);
	n = read_resps(QP_DUP, 1, &first, &last, &bytes);
	EXPECT(n == 64 && first == PSN0 && last == PSN0 + 63,
	       "READ: %u responses, PSN %#x-%#x", n, first, last);

	read_req(QP_DUP, PSN0, vaddr, vrkey ^ 0x100, SBUF);
	n = read_resps(QP_DUP, 0.5, &first, &last, &bytes);
	printf("duplicate READ, another rkey: %u responses\n", n);
	EXPECT(!n, "a duplicate READ with another rkey: %u responses", n);
	read_req(QP_DUP, PSN0, vaddr + 8, vrkey, SBUF);
	n = read_resps(QP_DUP, 0.5, &first, &last, &bytes);
	printf("duplicate READ, another address: %u responses\n", n);
	EXPECT(!n, "a duplicate READ at another address: %u responses", n);

	/* A requester's retry from PSN 10, for 4 packets. */
	read_req(QP_DUP, PSN0 + 10, vaddr + 10 * MTU, vrkey, 4 * MTU);
	n = read_resps(QP_DUP, 1, &first, &last, &bytes);
	printf("duplicate READ of 4 packets from PSN +10: %u responses, "
	       "%llu bytes\n",
	       n, (unsigned long long)bytes);
	EXPECT(n == 4 && first == PSN0 + 10 && last == PSN0 + 13,
	       "a retry of 4 packets: %u responses, PSN %#x-%#x", n, first,
	       last);
	/* The whole again, as first asked. */
	read_req(QP_DUP, PSN0, vaddr, vrkey, SBUF);
	n = read_resps(QP_DUP, 1, &first, &last, &bytes);
	EXPECT(n == 64 && first == PSN0 && last == PSN0 + 63,
	       "the same READ again: %u responses, PSN %#x-%#x", n, first,
	       last);
}

/*
 * One 32-byte READ request for 256 MiB, then a WRITE that asks for an
 * ACK; returns how long the READ's answer took to come (first to last
 * response). The victim measures meanwhile how long its own verbs wait.
 * The WRITE's ACK comes after the last response (it would tell a
 * requester that the rest was lost), if the socket did not drop it.
 */
static double long_read(void)
{
	uint32_t n, first = 0, last = 0;
	double t0, t1 = 0;
	uint64_t bytes;

	read_req(QP_BIG, PSN0, vbaddr, vbrkey, BIG);
	rdma_req(QP_BIG, UROCE_OP_RC_WRITE_ONLY, PSN0 + BIG / MTU, vaddr, vrkey,
		 64, 64);
	t0 = now_s();
	n = read_resps(QP_BIG, 1, &first, &last, &bytes);
	t1 = now_s() - 1;
	printf("the WRITE's ACK: after %ld of %u responses, PSN %#x\n", ack_at,
	       n, ack_psn);
	EXPECT(ack_at < 0 || (ack_at == n && ack_psn == PSN0 + BIG / MTU),
	       "the WRITE's ACK came after %ld of %u responses, PSN %#x",
	       ack_at, n, ack_psn);
	printf("long READ: %u responses (%llu bytes, %.0f per request "
	       "byte) in %.3f s\n",
	       n, (unsigned long long)bytes, (double)bytes / 32, t1 - t0);
	EXPECT(n, "no answer to the long READ");
	return t1 - t0;
}

static int peer(const char *ip_a, const char *ip_b)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	char text[64], *vdone;
	double duration, stall;
	int rcvbuf = 8 << 20;

	REQUIRE(inet_pton(AF_INET, ip_a, &vic_ip) == 1);
	REQUIRE(inet_pton(AF_INET, ip_b, &me_ip) == 1);
	sa.sin_addr = me_ip;
	usock = socket(AF_INET, SOCK_DGRAM, 0);
	REQUIRE(usock >= 0);
	/* Root's: past rmem_max, to count what a long answer sends. */
	setsockopt(usock, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	REQUIRE(!bind(usock, (struct sockaddr *)&sa, sizeof(sa)));
	REQUIRE(!getsockname(usock, (struct sockaddr *)&sa, &sl));
	me_port = ntohs(sa.sin_port);
	snprintf(text, sizeof(text), "port %u\n", me_port);
	put_file(dir, "peer.info", text);
	vinfo = wait_file(dir, "victim.info");
	vaddr = (uint64_t)get_val(vinfo, "addr");
	vrkey = (uint32_t)get_val(vinfo, "rkey");
	vbaddr = (uint64_t)get_val(vinfo, "baddr");
	vbrkey = (uint32_t)get_val(vinfo, "brkey");

	conformance();
	duplicates();
	duration = long_read();

	put_file(dir, "peer.done", "1\n");
	vdone = wait_file(dir, "victim.done");
	printf("victim's receive completions:\n%s", vdone);
	EXPECT(get_val(vdone, "wc0") == IBV_WC_SUCCESS &&
		       get_val(vdone, "len0") == 64,
	       "the SEND into the SRQ completed with status %lld, %lld bytes",
	       get_val(vdone, "wc0"), get_val(vdone, "len0"));
	EXPECT(get_val(vdone, "wc3") != IBV_WC_SUCCESS,
	       "the SEND inside an open WRITE completed");
	/*
	 * The victim's own verbs wait for one window of the READ at most,
	 * not for the whole answer: a fraction of its time, however slow
	 * the machine makes both.
	 */
	stall = (double)get_val(vdone, "stall_us") / 1e6;
	printf("long READ: answered over %.3f s; the victim's verbs waited "
	       "%.3f s at most\n",
	       duration, stall);
	EXPECT(stall < duration / 4,
	       "the victim's verbs stalled %.3f s of the READ's %.3f s", stall,
	       duration);
	return check_failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 6 && !strcmp(argv[1], "victim")) {
		dir = argv[3];
		return victim(argv[2], argv[4], argv[5]);
	}
	if (argc == 5 && !strcmp(argv[1], "peer")) {
		dir = argv[2];
		return peer(argv[3], argv[4]);
	}
	fprintf(stderr, "usage: responder victim DEV DIR IP_A IP_B\n"
			"       responder peer DIR IP_A IP_B\n");
	return 2;
}
