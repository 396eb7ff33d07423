// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A local peer's port taken over once the peer has gone (uroce(7), THREAT
 * MODEL). Three processes of one namespace:
 *
 *   takeover victim DEV DIR IP     A: an RC QP connected to B's
 *   takeover peer DEV DIR IP       B: connects, WRITEs and SENDs to A,
 *                                  then exits (its socket closes)
 *   takeover attacker DIR IP MS    another UID: binds B's port as soon as
 *                                  it is free, waits MS ms, then sends
 *                                  A a WRITE and a SEND as B would
 *
 * With UROCE_WIRE=roce (all three), A and B share 4791 and B's packets
 * may come from any port of its address: the attacker sends from a port
 * of its own, and A's QP must stay in RTS with its memory and receive
 * queue untouched.
 *
 * The attacker is given what it could learn (B's next PSN, A's QPN, MR
 * address and rkey) in DIR. A must end with its QP in ERR, an
 * IBV_EVENT_QP_FATAL, its memory outside B's WRITE untouched and only
 * B's SEND received.
 *
 *   takeover alive DEV DIR IP N S  A: N RC QPs towards B's, traffic, S
 *   takeover alive-peer DEV DIR IP N S   seconds idle, traffic again:
 *                                  nothing fails, no event; A prints the
 *                                  CPU time it spent while idle
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "util/icrc.h"
#include "providers/uroce/pkt.h"
#include "tests/hostile/common.h"

#define PSN_A 0x1000u /* A's first send PSN */
#define PSN_B 0x2000u /* B's */
#define MRLEN 8192u
#define LEGIT 64u /* B writes [0, 64) */
#define FORGED_VA 1024u /* the attacker writes there */
#define NRECV 4
#define MAXQP 512

static const char *dir;
static bool wire; /* UROCE_WIRE=roce */

/*
 * Opens @devname, and takes the GID of address @ip as the source: 0, or 1
 * after a wire roce device's link-local GID.
 */
static struct ibv_context *open_at(const char *devname, const char *ip)
{
	struct ibv_context *ctx = open_dev(devname);
	union ibv_gid g, gid;
	uint8_t i;

	ip_gid(ip, &gid);
	for (i = 0; i < 16; i++) {
		if (ibv_query_gid(ctx, 1, i, &g))
			break;
		if (!memcmp(&g, &gid, sizeof(g))) {
			qp_sgid_index(i);
			return ctx;
		}
	}
	fprintf(stderr, "FAIL: %s has no GID of the test's address\n", devname);
	exit(1);
}

static struct ibv_qp *rc_qp(struct ibv_pd *pd, struct ibv_cq *cq)
{
	struct ibv_qp_init_attr ia = {
		.send_cq = cq,
		.recv_cq = cq,
		.qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = 8,
			 .max_recv_wr = 8,
			 .max_send_sge = 1,
			 .max_recv_sge = 1 },
	};
	struct ibv_qp *qp = ibv_create_qp(pd, &ia);

	REQUIRE(qp);
	qp_init(qp, IBV_QPT_RC);
	return qp;
}

static void post_recv(struct ibv_qp *qp, struct ibv_mr *mr, uint32_t off,
		      uint64_t id)
{
	struct ibv_sge sge = { (uintptr_t)mr->addr + off, 256, mr->lkey };
	struct ibv_recv_wr wr = { .wr_id = id, .sg_list = &sge, .num_sge = 1 };
	struct ibv_recv_wr *bad;

	REQUIRE(!ibv_post_recv(qp, &wr, &bad));
}

static void post_send(struct ibv_qp *qp, struct ibv_mr *mr, uint64_t id,
		      enum ibv_wr_opcode op, uint64_t va, uint32_t rkey)
{
	struct ibv_sge sge = { (uintptr_t)mr->addr, LEGIT, mr->lkey };
	struct ibv_send_wr wr = {
		.wr_id = id,
		.sg_list = &sge,
		.num_sge = 1,
		.opcode = op,
		.send_flags = IBV_SEND_SIGNALED,
	};
	struct ibv_send_wr *bad;

	wr.wr.rdma.remote_addr = va;
	wr.wr.rdma.rkey = rkey;
	REQUIRE(!ibv_post_send(qp, &wr, &bad));
}

/* Polls @n successful completions within the test's time. */
static void poll_ok(struct ibv_cq *cq, int n)
{
	double end = now_s() + test_secs(10);
	struct ibv_wc wc;
	int r;

	while (n > 0) {
		REQUIRE(now_s() < end);
		r = ibv_poll_cq(cq, 1, &wc);
		REQUIRE(r >= 0);
		if (!r)
			continue;
		if (wc.status != IBV_WC_SUCCESS) {
			fprintf(stderr, "FAIL: completion %llu: %s\n",
				(unsigned long long)wc.wr_id,
				ibv_wc_status_str(wc.status));
			exit(1);
		}
		n--;
	}
}

/* The QP_FATAL events of @ctx so far (its async fd is non-blocking). */
static int fatal_events(struct ibv_context *ctx)
{
	struct ibv_async_event ev;
	int n = 0;

	while (!ibv_get_async_event(ctx, &ev)) {
		if (ev.event_type == IBV_EVENT_QP_FATAL)
			n++;
		else
			printf("event %s\n", ibv_event_type_str(ev.event_type));
		ibv_ack_async_event(&ev);
	}
	return n;
}

static void nonblock(struct ibv_context *ctx)
{
	int fl = fcntl(ctx->async_fd, F_GETFL);

	REQUIRE(fl >= 0 && !fcntl(ctx->async_fd, F_SETFL, fl | O_NONBLOCK));
}

static int victim(const char *devname, const char *ip)
{
	struct ibv_context *ctx = open_at(devname, ip);
	struct ibv_pd *pd = ibv_alloc_pd(ctx);
	struct ibv_cq *cq = ibv_create_cq(ctx, 64, NULL, NULL, 0);
	uint8_t *buf = calloc(1, MRLEN), *rbuf = calloc(1, 4096);
	double gone_at = 0, fatal_at = 0, end;
	int i, n, fatal = 0, recv_ok = 0, recv_err = 0, touched = 0;
	struct ibv_mr *mr, *rmr;
	struct ibv_qp_init_attr ia;
	struct ibv_qp_attr qa;
	union ibv_gid gid;
	struct ibv_qp *qp;
	struct ibv_wc wc;
	char text[256], *info, *ep;

	REQUIRE(pd && cq && buf && rbuf);
	nonblock(ctx);
	mr = ibv_reg_mr(pd, buf, MRLEN,
			IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE);
	rmr = ibv_reg_mr(pd, rbuf, 4096, IBV_ACCESS_LOCAL_WRITE);
	REQUIRE(mr && rmr);
	qp = rc_qp(pd, cq);
	for (i = 0; i < NRECV; i++)
		post_recv(qp, rmr, (uint32_t)i * 256, (uint64_t)i + 1);
	snprintf(text, sizeof(text), "qpn %u\naddr %llu\nrkey %u\n", qp->qp_num,
		 (unsigned long long)(uintptr_t)buf, mr->rkey);
	put_file(dir, "a.info", text);
	info = wait_file(dir, "b.info");
	ip_gid(ip, &gid);
	qp_rtr(qp, &gid, (uint32_t)get_val(info, "qpn"), PSN_B);
	qp_rts(qp, PSN_A);
	put_file(dir, "a.ready", "1\n");

	/* Until the attacker is done: completions and events as they come. */
	end = now_s() + test_secs(WAIT_SEC);
	while (!have_file(dir, "attack.done") && now_s() < end) {
		if (!gone_at && have_file(dir, "b.gone"))
			gone_at = now_s();
		n = fatal_events(ctx);
		if (n && !fatal_at)
			fatal_at = now_s();
		fatal += n;
		while (ibv_poll_cq(cq, 1, &wc) > 0) {
			if (wc.status == IBV_WC_SUCCESS)
				recv_ok++;
			else
				recv_err++;
		}
		usleep(1000);
	}
	usleep(200 * 1000); /* what the attacker's packets did, settled */
	fatal += fatal_events(ctx);
	while (ibv_poll_cq(cq, 1, &wc) > 0) {
		if (wc.status == IBV_WC_SUCCESS)
			recv_ok++;
		else
			recv_err++;
	}
	REQUIRE(!ibv_query_qp(qp, &qa, IBV_QP_STATE, &ia));
	/* Which check stopped the attacker: receipt's, or the engine's. */
	ep = ep_read("uroce-ep/", getpid());
	if (ep)
		printf("victim: dropped drop_bad_peer %lld drop_bad_qp_state "
		       "%lld\n",
		       ep_counter(ep, qp->qp_num, "drop_bad_peer"),
		       ep_counter(ep, qp->qp_num, "drop_bad_qp_state"));
	free(ep);
	for (i = 0; i < (int)MRLEN; i++)
		if (i >= (int)LEGIT && buf[i])
			touched++;
	for (i = 0; i < (int)LEGIT; i++)
		REQUIRE(buf[i] == (uint8_t)(0xb0 + i));
	printf("victim: state %s, QP_FATAL %d, receives ok %d flushed %d, "
	       "bytes written outside the peer's WRITE %d\n",
	       qa.qp_state == IBV_QPS_ERR ? "ERR" :
	       qa.qp_state == IBV_QPS_RTS ? "RTS" :
					    "other",
	       fatal, recv_ok, recv_err, touched);
	if (fatal_at && gone_at)
		printf("victim: QP_FATAL %.1f ms after the peer's exit\n",
		       (fatal_at - gone_at) * 1000);
	CHECK_EQ(qa.qp_state, wire ? IBV_QPS_RTS : IBV_QPS_ERR);
	CHECK_EQ(fatal, wire ? 0 : 1);
	CHECK_EQ(recv_ok, 1); /* B's SEND only */
	CHECK_EQ(touched, 0);
	REQUIRE(!ibv_destroy_qp(qp) && !ibv_dereg_mr(mr) && !ibv_dereg_mr(rmr));
	free(buf);
	free(rbuf);
	return check_report("takeover victim");
}

static int peer(const char *devname, const char *ip)
{
	struct ibv_context *ctx = open_at(devname, ip);
	struct ibv_pd *pd = ibv_alloc_pd(ctx);
	struct ibv_cq *cq = ibv_create_cq(ctx, 64, NULL, NULL, 0);
	uint8_t *buf = calloc(1, 4096);
	char text[256], *info;
	union ibv_gid gid;
	struct ibv_mr *mr;
	struct ibv_qp *qp;
	unsigned int i;

	REQUIRE(pd && cq && buf);
	for (i = 0; i < LEGIT; i++)
		buf[i] = (uint8_t)(0xb0 + i);
	mr = ibv_reg_mr(pd, buf, 4096, IBV_ACCESS_LOCAL_WRITE);
	REQUIRE(mr);
	/* After A's: two first members of a 4791 group may race (wire). */
	info = wait_file(dir, "a.info");
	qp = rc_qp(pd, cq);
	snprintf(text, sizeof(text), "qpn %u\n", qp->qp_num);
	put_file(dir, "b.info", text);
	ip_gid(ip, &gid);
	qp_rtr(qp, &gid, (uint32_t)get_val(info, "qpn"), PSN_A);
	qp_rts(qp, PSN_B);
	(void)wait_file(dir, "a.ready");
	post_send(qp, mr, 1, IBV_WR_RDMA_WRITE, (uint64_t)get_val(info, "addr"),
		  (uint32_t)get_val(info, "rkey"));
	post_send(qp, mr, 2, IBV_WR_SEND, 0, 0);
	poll_ok(cq, 2);
	/* What the attacker learns from A's ACKs and NAKs once it has the port. */
	snprintf(text, sizeof(text), "port %u\npsn %u\n", qp->qp_num >> 8,
		 PSN_B + 2);
	put_file(dir, "b.done", text);
	printf("peer: WRITE and SEND done, exiting without a disconnect\n");
	REQUIRE(!ibv_dereg_mr(mr));
	free(buf);
	return 0; /* its socket closes with the process */
}

/* --------------------------------------------------------------- attacker */

static int usock;
static struct in_addr my_ip;
static uint16_t my_port;

static void xmit(uint32_t dqpn, struct uroce_pkt *p, uint32_t paylen)
{
	craft_send(usock, my_ip, my_port, my_ip,
		   wire ? 4791 : (uint16_t)(dqpn >> 8), dqpn, p, paylen);
}

static int attacker(const char *ip, int delay_ms)
{
	char *a = wait_file(dir, "a.info"), *b = wait_file(dir, "b.done");
	uint32_t qpn = (uint32_t)get_val(a, "qpn");
	uint32_t psn = (uint32_t)get_val(b, "psn");
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct pollfd pfd = { .events = POLLIN };
	double end = now_s() + test_secs(10), t;
	socklen_t len;
	struct uroce_pkt p;
	uint8_t rx[4096];
	ssize_t n;

	REQUIRE(inet_pton(AF_INET, ip, &my_ip) == 1);
	my_port = wire ? 0 : (uint16_t)get_val(b, "port");
	sa.sin_addr = my_ip;
	sa.sin_port = htons(my_port);
	usock = socket(AF_INET, SOCK_DGRAM, 0);
	REQUIRE(usock >= 0);
	/* The port is free the moment the peer's socket closes. */
	while (bind(usock, (struct sockaddr *)&sa, sizeof(sa))) {
		REQUIRE(errno == EADDRINUSE && now_s() < end);
		usleep(100);
	}
	len = sizeof(sa);
	REQUIRE(!getsockname(usock, (struct sockaddr *)&sa, &len));
	my_port = ntohs(sa.sin_port);
	t = now_s();
	printf("attacker (uid %u): bound port %u\n", getuid(), my_port);
	if (delay_ms)
		usleep((useconds_t)delay_ms * 1000);
	memset(&p, 0, sizeof(p));
	p.bth.opcode = UROCE_OP_RC_WRITE_ONLY;
	p.bth.psn = psn;
	p.bth.ackreq = true;
	p.reth.va = (uint64_t)get_val(a, "addr") + FORGED_VA;
	p.reth.rkey = (uint32_t)get_val(a, "rkey");
	p.reth.len = 64;
	xmit(qpn, &p, 64);
	memset(&p, 0, sizeof(p));
	p.bth.opcode = UROCE_OP_RC_SEND_ONLY;
	p.bth.psn = (psn + 1) & 0xffffff;
	p.bth.ackreq = true;
	xmit(qpn, &p, 64);
	printf("attacker: WRITE and SEND sent %.2f ms after the bind\n",
	       (now_s() - t) * 1000);
	pfd.fd = usock;
	while (poll(&pfd, 1, 300) > 0) {
		n = recv(usock, rx, sizeof(rx), 0);
		if (n > 0 && !uroce_pkt_parse(rx, (size_t)n, &p))
			printf("attacker: got opcode %#x psn %#x syndrome %#x\n",
			       p.bth.opcode, p.bth.psn, p.aeth.syndrome);
	}
	put_file(dir, "attack.done", "1\n");
	return 0;
}

/* ------------------------------------------------------------ normal runs */

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/*
 * @nqp QPs each way; each side SENDs on every QP, idles @idle seconds,
 * and does it again. A is @victim (it prints its idle CPU time).
 */
static int alive(const char *devname, const char *ip, int nqp, int idle,
		 bool victim)
{
	struct ibv_context *ctx = open_at(devname, ip);
	struct ibv_pd *pd = ibv_alloc_pd(ctx);
	struct ibv_cq *cq = ibv_create_cq(ctx, 4 * MAXQP, NULL, NULL, 0);
	uint8_t *buf = calloc(1, 4096);
	const char *me = victim ? "a" : "b", *other = victim ? "b" : "a";
	char *text = malloc(16 * MAXQP), *info, k[32], f[32];
	struct ibv_qp *qp[MAXQP];
	union ibv_gid gid;
	struct ibv_mr *mr;
	int i, round, len = 0;
	double c0, t0;

	REQUIRE(pd && cq && buf && text && nqp <= MAXQP);
	nonblock(ctx);
	mr = ibv_reg_mr(pd, buf, 4096, IBV_ACCESS_LOCAL_WRITE);
	REQUIRE(mr);
	for (i = 0; i < nqp; i++) {
		qp[i] = rc_qp(pd, cq);
		len += snprintf(text + len, 16, "q%d %u\n", i, qp[i]->qp_num);
	}
	snprintf(f, sizeof(f), "%s.info", me);
	put_file(dir, f, text);
	snprintf(f, sizeof(f), "%s.info", other);
	info = wait_file(dir, f);
	ip_gid(ip, &gid);
	for (i = 0; i < nqp; i++) {
		snprintf(k, sizeof(k), "q%d", i);
		qp_rtr(qp[i], &gid, (uint32_t)get_val(info, k), PSN_A);
		qp_rts(qp[i], PSN_A);
		post_recv(qp[i], mr, 2048, 0);
		post_recv(qp[i], mr, 2048, 0);
	}
	for (round = 0; round < 2; round++) {
		snprintf(f, sizeof(f), "%s.r%d", me, round);
		put_file(dir, f, "1\n");
		snprintf(f, sizeof(f), "%s.r%d", other, round);
		(void)wait_file(dir, f);
		for (i = 0; i < nqp; i++)
			post_send(qp[i], mr, 0, IBV_WR_SEND, 0, 0);
		poll_ok(cq, 2 * nqp); /* ours sent, theirs received */
		if (round)
			break;
		c0 = cpu_s();
		t0 = now_s();
		sleep((unsigned int)idle);
		if (victim)
			printf("alive: %d local QPs, idle %.1f s: %.2f ms of "
			       "CPU per second\n",
			       nqp, now_s() - t0,
			       (cpu_s() - c0) * 1000 / (now_s() - t0));
	}
	CHECK_EQ(fatal_events(ctx), 0);
	snprintf(f, sizeof(f), "%s.end", me);
	put_file(dir, f, "1\n");
	snprintf(f, sizeof(f), "%s.end", other);
	(void)wait_file(dir, f);
	printf("alive %s: %d QPs, two rounds of SENDs %d s apart, no event\n",
	       me, nqp, idle);
	for (i = 0; i < nqp; i++)
		REQUIRE(!ibv_destroy_qp(qp[i]));
	REQUIRE(!ibv_dereg_mr(mr));
	free(buf);
	free(text);
	return check_report(victim ? "takeover alive" : "takeover alive-peer");
}

int main(int argc, char **argv)
{
	const char *w = getenv("UROCE_WIRE");

	setvbuf(stdout, NULL, _IOLBF, 0);
	wire = w && !strcmp(w, "roce");
	if (argc == 5 && !strcmp(argv[1], "victim")) {
		dir = argv[3];
		return victim(argv[2], argv[4]);
	}
	if (argc == 5 && !strcmp(argv[1], "peer")) {
		dir = argv[3];
		return peer(argv[2], argv[4]);
	}
	if (argc == 5 && !strcmp(argv[1], "attacker")) {
		dir = argv[2];
		return attacker(argv[3], atoi(argv[4]));
	}
	if (argc == 7 && !strncmp(argv[1], "alive", 5)) {
		dir = argv[3];
		return alive(argv[2], argv[4], atoi(argv[5]), atoi(argv[6]),
			     !strcmp(argv[1], "alive"));
	}
	fprintf(stderr,
		"usage: takeover victim|peer DEV DIR IP\n"
		"       takeover attacker DIR IP DELAY_MS\n"
		"       takeover alive|alive-peer DEV DIR IP NQP IDLE_S\n");
	return 2;
}
