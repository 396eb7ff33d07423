// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The hostile peer test, in three roles that meet through files in DIR:
 *
 *   hostile victim DEV DIR IP_A IP_B   in A: live RC/UC/UD QPs to the peer,
 *       QPs in every state, QPs to be NAKed and an RC QP with requests
 *       out, all connected to the attacker's socket; MRs filled with a
 *       pattern
 *   hostile peer DEV DIR IP_A IP_B     in B: legitimate traffic, verified
 *   hostile attack DIR IP_A IP_B IP_C  in B: crafted packets (pkt.c, icrc.c)
 *   hostile cm IP PORT                 garbage at a CM listener
 *   hostile cmstat PID                 a librdmacm process's rx_drops
 *
 * The attacker writes what each packet must cost (DIR/expect: "QP COUNTER
 * N" lines); the victim compares with its own counters read from its
 * query endpoint before and after, and checks that no byte outside the
 * peer's windows changed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "providers/uroce/pkt.h"
#include "tests/lib/check.h"
#include "tests/hostile/common.h"

/* The victim's MR: the peer's windows, then bytes nobody may change. */
#define MR_LEN (1u << 20)
#define WIN_RC 0 /* RC WRITE/READ: 64 KiB */
#define WIN_UC (64u << 10) /* UC WRITE: 32 KiB */
#define WIN_ATOM (96u << 10) /* FETCH_ADD counter: 8 bytes */
#define WIN_END (WIN_ATOM + 8)
#define GUARD_LEN (64u << 10)
#define RECV_LEN 4096
#define NRECV 64
#define LIVE_PSN 0x500000u
/* req_rc's requests to the attacker: a READ of 2 PSNs, then a SEND. */
#define REQ_READ_LEN 2048
#define REQ_OFF (768u << 10) /* their buffers, in bytes nobody may change */

static const char *dir;

/* The victim's QPs besides the live ones. */
static const char *const st_names[] = { "RESET", "INIT", "RTR", "RTS", "ERR" };
static const enum ibv_qp_state st_vals[] = { IBV_QPS_RESET, IBV_QPS_INIT,
					     IBV_QPS_RTR, IBV_QPS_RTS,
					     IBV_QPS_ERR };
#define NST 5
static const enum ibv_qp_type ty_vals[] = { IBV_QPT_RC, IBV_QPT_UC,
					    IBV_QPT_UD };
static const char *const ty_names[] = { "rc", "uc", "ud" };
#define NTY 3
/* Each is NAKed once, by its own crafted request, and dies. */
static const char *const nak_names[] = { "nak_rkey", "nak_oobw",  "nak_oobr",
					 "nak_wrap", "nak_align", "nak_atomoob",
					 "nak_len",  "nak_mid",	  "nak_guard",
					 "nak_rdlen" };
#define NNAK 10

/* ---------------------------------------------------------------- victim */

struct vqp {
	char name[32];
	struct ibv_qp *qp;
	uint32_t psn;
};

static struct vqp vq[3 + NTY * NST + NNAK + 1];
static int nvq;

static struct ibv_qp *mkqp(struct ibv_pd *pd, struct ibv_cq *cq,
			   enum ibv_qp_type type)
{
	struct ibv_qp_init_attr ia = {
		.send_cq = cq,
		.recv_cq = cq,
		.qp_type = type,
		.cap = { .max_send_wr = 256,
			 .max_recv_wr = NRECV,
			 .max_send_sge = 1,
			 .max_recv_sge = 1 },
	};
	struct ibv_qp *qp = ibv_create_qp(pd, &ia);

	REQUIRE(qp);
	return qp;
}

static struct vqp *add_vqp(const char *name, struct ibv_qp *qp, uint32_t psn)
{
	struct vqp *v = &vq[nvq++];

	snprintf(v->name, sizeof(v->name), "%s", name);
	v->qp = qp;
	v->psn = psn;
	return v;
}

static struct vqp *find_vqp(const char *name)
{
	int i;

	for (i = 0; i < nvq; i++)
		if (!strcmp(vq[i].name, name))
			return &vq[i];
	return NULL;
}

static void post_recv(struct ibv_qp *qp, struct ibv_mr *mr, uint8_t *buf,
		      uint64_t id)
{
	struct ibv_sge sge = { (uintptr_t)buf, RECV_LEN + 40, mr->lkey };
	struct ibv_recv_wr wr = { .wr_id = id, .sg_list = &sge, .num_sge = 1 };
	struct ibv_recv_wr *bad;

	REQUIRE(!ibv_post_recv(qp, &wr, &bad));
}

/* A SEND of the peer: a 4-byte seed, then pattern(seed). */
static bool msg_ok(const uint8_t *p, uint32_t len)
{
	static uint8_t want[RECV_LEN];
	uint32_t seed;

	if (len < 4 || len > RECV_LEN)
		return false;
	memcpy(&seed, p, 4);
	pattern(want, len - 4, seed);
	return !memcmp(p + 4, want, len - 4);
}

/*
 * req_rc to RTS with no retransmission timer (timeout 0): its requests
 * stay outstanding whatever the attacker answers, until it is destroyed.
 */
static void req_rc_start(struct ibv_qp *qp, uint32_t psn, struct ibv_mr *mr)
{
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_RTS,
				 .sq_psn = psn,
				 .retry_cnt = 7,
				 .rnr_retry = 7,
				 .max_rd_atomic = 16 };
	struct ibv_sge sge[2] = {
		{ (uintptr_t)mr->addr + REQ_OFF, REQ_READ_LEN, mr->lkey },
		{ (uintptr_t)mr->addr + REQ_OFF + REQ_READ_LEN, 16, mr->lkey },
	};
	struct ibv_send_wr wr[2], *bad;

	REQUIRE(!ibv_modify_qp(qp, &a,
			       IBV_QP_STATE | IBV_QP_SQ_PSN | IBV_QP_TIMEOUT |
				       IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
				       IBV_QP_MAX_QP_RD_ATOMIC));
	memset(wr, 0, sizeof(wr));
	wr[0].opcode = IBV_WR_RDMA_READ;
	wr[0].sg_list = &sge[0];
	wr[0].num_sge = 1;
	wr[0].wr.rdma.remote_addr = 4096;
	wr[0].wr.rdma.rkey = 0x1234;
	wr[0].next = &wr[1];
	wr[1].opcode = IBV_WR_SEND;
	wr[1].sg_list = &sge[1];
	wr[1].num_sge = 1;
	REQUIRE(!ibv_post_send(qp, wr, &bad));
}

/* Counters that account for a crafted packet. */
static const char *const acct_keys[] = { "drops", "dup_reqs", "err_naks_sent" };

/* The device's drop counters that moved: what a mismatch was made of. */
static void print_drop_moves(const char *before, const char *after)
{
	const char *line = strstr(after, "stat "), *p, *end;
	char key[64];
	long long a, b;

	if (!line)
		return;
	end = strchr(line, '\n');
	for (p = strstr(line, " drop_"); p && (!end || p < end);
	     p = strstr(p + 1, " drop_")) {
		if (sscanf(p + 1, "%63[a-z_]=%lld", key, &a) != 2)
			continue;
		b = ep_counter(before, -1, key);
		if (a != b)
			printf("victim: device %s +%lld\n", key, a - b);
	}
}

static int victim(const char *devname, const char *ip_a, const char *ip_b)
{
	struct ibv_context *ctx = open_dev(devname);
	struct ibv_pd *pd = ibv_alloc_pd(ctx);
	struct ibv_cq *lcq, *acq;
	struct ibv_mr *mr, *gmr, *rmr;
	uint8_t *mem, *guard, *ref, *gref, *rbuf;
	union ibv_gid gid_b;
	char info[8192], *pinfo, *ainfo, *before, *after, *exp, *line;
	long long aport, rc_recv = 0, ud_recv = 0, bad_msgs = 0;
	int i, t, s, len = 0;
	struct ibv_wc wc[32];
	double end;

	ip_gid(ip_b, &gid_b);
	REQUIRE(pd);
	lcq = ibv_create_cq(ctx, 1024, NULL, NULL, 0);
	acq = ibv_create_cq(ctx, 1024, NULL, NULL, 0);
	REQUIRE(lcq && acq);
	mem = aligned_alloc(4096, MR_LEN);
	guard = aligned_alloc(4096, GUARD_LEN);
	ref = malloc(MR_LEN);
	gref = malloc(GUARD_LEN);
	/* aligned_alloc wants a size that is a multiple of the alignment. */
	rbuf = aligned_alloc(4096, (2 * NRECV * (RECV_LEN + 40) + 4095) &
					   ~(size_t)4095);
	REQUIRE(mem && guard && ref && gref && rbuf);
	pattern(ref, MR_LEN, 1);
	pattern(gref, GUARD_LEN, 2);
	memset(ref + WIN_ATOM, 0, 8);
	memcpy(mem, ref, MR_LEN);
	memcpy(guard, gref, GUARD_LEN);
	mr = ibv_reg_mr(pd, mem, MR_LEN,
			IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
				IBV_ACCESS_REMOTE_READ |
				IBV_ACCESS_REMOTE_ATOMIC);
	gmr = ibv_reg_mr(pd, guard, GUARD_LEN,
			 IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE);
	rmr = ibv_reg_mr(pd, rbuf, 2 * NRECV * (RECV_LEN + 40),
			 IBV_ACCESS_LOCAL_WRITE);
	REQUIRE(mr && gmr && rmr);

	add_vqp("live_rc", mkqp(pd, lcq, IBV_QPT_RC), LIVE_PSN);
	add_vqp("live_uc", mkqp(pd, lcq, IBV_QPT_UC), LIVE_PSN);
	add_vqp("live_ud", mkqp(pd, lcq, IBV_QPT_UD), 0);
	for (t = 0; t < NTY; t++) {
		for (s = 0; s < NST; s++) {
			char n[32];

			snprintf(n, sizeof(n), "st_%s_%s", ty_names[t],
				 st_names[s]);
			add_vqp(n, mkqp(pd, acq, ty_vals[t]),
				0x1000u + (uint32_t)nvq * 0x100u);
		}
	}
	for (i = 0; i < NNAK; i++)
		add_vqp(nak_names[i], mkqp(pd, acq, IBV_QPT_RC),
			0x1000u + (uint32_t)nvq * 0x100u);
	add_vqp("req_rc", mkqp(pd, acq, IBV_QPT_RC),
		0x1000u + (uint32_t)nvq * 0x100u);

	len += snprintf(info + len, sizeof(info) - (size_t)len,
			"pid %d\naddr %llu\nrkey %u\ngrkey %u\ngaddr %llu\n",
			getpid(), (unsigned long long)(uintptr_t)mem, mr->rkey,
			gmr->rkey, (unsigned long long)(uintptr_t)guard);
	for (i = 0; i < nvq; i++)
		len += snprintf(info + len, sizeof(info) - (size_t)len,
				"qp_%s %u\npsn_%s %u\n", vq[i].name,
				vq[i].qp->qp_num, vq[i].name, vq[i].psn);
	put_file(dir, "victim.info", info);

	/* The live QPs, to the peer. */
	pinfo = wait_file(dir, "peer.info");
	for (i = 0; i < 3; i++) {
		char k[16];

		snprintf(k, sizeof(k), "%s", vq[i].name + 5);
		qp_init(vq[i].qp, vq[i].qp->qp_type);
		qp_rtr(vq[i].qp, &gid_b, (uint32_t)get_val(pinfo, k), LIVE_PSN);
		qp_rts(vq[i].qp, LIVE_PSN);
	}
	for (i = 0; i < NRECV; i++) {
		post_recv(vq[0].qp, rmr, rbuf + i * (RECV_LEN + 40), i);
		post_recv(vq[2].qp, rmr, rbuf + (NRECV + i) * (RECV_LEN + 40),
			  NRECV + i);
	}

	/* The others, to the attacker's socket, each in its state. */
	ainfo = wait_file(dir, "attacker.info");
	aport = get_val(ainfo, "port");
	for (i = 3; i < nvq; i++) {
		struct ibv_qp *qp = vq[i].qp;
		enum ibv_qp_state st = IBV_QPS_RTS;

		for (s = 0; s < NST; s++)
			if (strstr(vq[i].name, st_names[s]))
				st = st_vals[s];
		if (st == IBV_QPS_RESET)
			continue;
		qp_init(qp, qp->qp_type);
		if (st == IBV_QPS_ERR)
			qp_to(qp, IBV_QPS_ERR);
		if (st == IBV_QPS_INIT || st == IBV_QPS_ERR)
			continue;
		qp_rtr(qp, &gid_b, (uint32_t)aport << 8 | 1, vq[i].psn);
		if (!strcmp(vq[i].name, "req_rc"))
			req_rc_start(qp, vq[i].psn, mr);
		else if (st == IBV_QPS_RTS)
			qp_rts(qp, vq[i].psn);
	}
	before = ep_read("uroce-ep/", getpid());
	REQUIRE(before);
	put_file(dir, "ready", "1\n");

	/* Serve the peer's SENDs until it is done, and a little longer. */
	end = 0;
	while (!end || now_s() < end) {
		int n = ibv_poll_cq(lcq, 32, wc);

		REQUIRE(n >= 0);
		for (i = 0; i < n; i++) {
			uint8_t *b = rbuf + wc[i].wr_id * (RECV_LEN + 40);
			struct ibv_qp *qp = wc[i].wr_id < NRECV ? vq[0].qp :
								  vq[2].qp;
			bool ud = qp == vq[2].qp;

			if (wc[i].status != IBV_WC_SUCCESS) {
				fprintf(stderr, "victim: %s on live QP\n",
					ibv_wc_status_str(wc[i].status));
				check_failures++;
				continue;
			}
			if (ud ? !msg_ok(b + 40, wc[i].byte_len - 40) :
				 !msg_ok(b, wc[i].byte_len))
				bad_msgs++;
			ud ? ud_recv++ : rc_recv++;
			post_recv(qp, rmr, b, wc[i].wr_id);
		}
		if (!n && !end && have_file(dir, "peer.done"))
			end = now_s() + 0.5;
		if (!n)
			usleep(100);
	}
	after = ep_read("uroce-ep/", getpid());
	REQUIRE(after);
	printf("victim: %lld RC and %lld UD SENDs received, %lld corrupt\n",
	       rc_recv, ud_recv, bad_msgs);
	CHECK(!bad_msgs);

	/* (a) Nothing outside the peer's windows changed. */
	for (i = 0; i < (int)MR_LEN; i++)
		if (i >= (int)WIN_END && mem[i] != ref[i])
			break;
	if (i < (int)MR_LEN) {
		fprintf(stderr, "victim: MR byte %d changed\n", i);
		check_failures++;
	}
	if (memcmp(guard, gref, GUARD_LEN)) {
		fprintf(stderr, "victim: guard MR changed\n");
		check_failures++;
	}

	/* (c) Every counter the attacker named moved by what it sent. */
	exp = wait_file(dir, "expect");
	{
		long long sum_exp = 0, sum_drop_exp = 0, sum_acct = 0, d;
		long long legit = 0, legit_drops = 0, live_exp = 0;
		char *save = NULL;

		for (line = strtok_r(exp, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			char name[64], key[64];
			long long n, qpn = -1, b, a;
			struct vqp *v;
			bool min;

			if (sscanf(line, "%63s %63s %lld", name, key, &n) != 3)
				continue;
			/*
			 * The peer's own duplicates add to these, and so do
			 * its packets that arrive after one of its own was
			 * lost (PSN ahead) on a machine too busy to drain.
			 */
			min = !strcmp(name, "live_rc") &&
			      (!strcmp(key, "dup_reqs") ||
			       !strcmp(key, "drop_bad_psn"));
			if (!strncmp(name, "live_", 5) &&
			    !strncmp(key, "drop_", 5))
				live_exp += n;
			v = find_vqp(name);
			if (v)
				qpn = v->qp->qp_num;
			else if (strcmp(name, "dev"))
				continue;
			b = ep_counter(before, qpn, key);
			a = ep_counter(after, qpn, key);
			d = a - b;
			sum_exp += n;
			if (!strncmp(key, "drop_", 5))
				sum_drop_exp += n;
			printf("  %-14s %-20s sent %6lld counted %6lld%s\n",
			       name, key, n, d,
			       d == n || (min && d > n) ? "" : "  MISMATCH");
			if (min && d > n) {
				printf("  (%lld of them the peer's "
				       "own packets)\n",
				       d - n);
				if (strncmp(key, "drop_", 5))
					legit += d - n;
			} else if (d != n) {
				check_failures++;
			}
		}
		/*
		 * The live peer's own packets that its QPs dropped, whatever
		 * the reason (a loss of its own makes the next ones early,
		 * its retransmissions late): what they dropped beyond what
		 * the attacker sent them.
		 */
		for (i = 0; i < nvq; i++)
			if (!strncmp(vq[i].name, "live_", 5))
				legit_drops +=
					ep_counter(after, vq[i].qp->qp_num,
						   "drops") -
					ep_counter(before, vq[i].qp->qp_num,
						   "drops");
		legit_drops -= live_exp;
		printf("victim: %lld drops of the live peer's own packets\n",
		       legit_drops);
		CHECK(legit_drops >= 0);
		legit += legit_drops;
		/* Nothing else dropped anything: the totals agree. */
		d = ep_counter(after, -1, "drops") -
		    ep_counter(before, -1, "drops");
		printf("victim: device drops +%lld, expected +%lld\n", d,
		       sum_drop_exp + legit_drops);
		if (d != sum_drop_exp + legit_drops)
			print_drop_moves(before, after);
		CHECK(d == sum_drop_exp + legit_drops);
		for (i = 0; i < nvq; i++) {
			for (s = 0; s < 3; s++)
				sum_acct += ep_counter(after, vq[i].qp->qp_num,
						       acct_keys[s]) -
					    ep_counter(before, vq[i].qp->qp_num,
						       acct_keys[s]);
		}
		/* QP drops are device drops too: count those once. */
		for (i = 0; i < nvq; i++)
			sum_acct -=
				ep_counter(after, vq[i].qp->qp_num, "drops") -
				ep_counter(before, vq[i].qp->qp_num, "drops");
		sum_acct += d - legit;
		printf("victim: %lld crafted packets with a cost, %lld "
		       "accounted (drops + dup_reqs + err_naks_sent)\n",
		       sum_exp, sum_acct);
		CHECK(sum_acct == sum_exp);
	}

	free(before);
	free(after);
	for (i = 0; i < nvq; i++)
		CHECK(!ibv_destroy_qp(vq[i].qp));
	CHECK(!ibv_dereg_mr(mr) && !ibv_dereg_mr(gmr) && !ibv_dereg_mr(rmr));
	CHECK(!ibv_destroy_cq(lcq) && !ibv_destroy_cq(acq));
	CHECK(!ibv_dealloc_pd(pd));
	CHECK(!ibv_close_device(ctx));
	free(mem);
	free(guard);
	free(ref);
	free(gref);
	free(rbuf);
	put_file(dir, "victim.done", check_failures ? "fail\n" : "ok\n");
	printf("victim: %s\n", check_failures ? "FAIL" : "ok");
	return check_failures ? 1 : 0;
}

/* ------------------------------------------------------------------ peer */

static int peer(const char *devname, const char *ip_a)
{
	struct ibv_context *ctx = open_dev(devname);
	struct ibv_pd *pd = ibv_alloc_pd(ctx);
	struct ibv_cq *cq = ibv_create_cq(ctx, 1024, NULL, NULL, 0);
	struct ibv_qp *rc, *uc, *ud;
	struct ibv_ah_attr aha = { .is_global = 1, .port_num = 1 };
	struct ibv_ah *ah;
	struct ibv_mr *mr;
	uint8_t *buf;
	union ibv_gid gid_a;
	char info[256], *vinfo;
	uint64_t addr, ops = 0, bytes = 0, k;
	uint32_t rkey, ud_qpn;
	double stop_at = 0, hard_end;
	int ret = 1;

	REQUIRE(pd && cq);
	ip_gid(ip_a, &gid_a);
	buf = aligned_alloc(4096, 1 << 20);
	REQUIRE(buf);
	mr = ibv_reg_mr(pd, buf, 1 << 20, IBV_ACCESS_LOCAL_WRITE);
	REQUIRE(mr);
	rc = mkqp(pd, cq, IBV_QPT_RC);
	uc = mkqp(pd, cq, IBV_QPT_UC);
	ud = mkqp(pd, cq, IBV_QPT_UD);
	snprintf(info, sizeof(info), "rc %u\nuc %u\nud %u\n", rc->qp_num,
		 uc->qp_num, ud->qp_num);
	put_file(dir, "peer.info", info);
	vinfo = wait_file(dir, "victim.info");
	addr = (uint64_t)get_val(vinfo, "addr");
	rkey = (uint32_t)get_val(vinfo, "rkey");
	ud_qpn = (uint32_t)get_val(vinfo, "qp_live_ud");
	qp_init(rc, IBV_QPT_RC);
	qp_rtr(rc, &gid_a, (uint32_t)get_val(vinfo, "qp_live_rc"), LIVE_PSN);
	qp_rts(rc, LIVE_PSN);
	qp_init(uc, IBV_QPT_UC);
	qp_rtr(uc, &gid_a, (uint32_t)get_val(vinfo, "qp_live_uc"), LIVE_PSN);
	qp_rts(uc, LIVE_PSN);
	qp_init(ud, IBV_QPT_UD);
	qp_rtr(ud, NULL, 0, 0);
	qp_rts(ud, 0);
	aha.grh.dgid = gid_a;
	aha.grh.hop_limit = 64;
	ah = ibv_create_ah(pd, &aha);
	REQUIRE(ah);
	wait_file(dir, "ready");
	hard_end = now_s() + test_secs(WAIT_SEC);

	/* Until the attack is over and a second more: all under fire. */
	for (k = 1; !stop_at || now_s() < stop_at; k++) {
		uint32_t wlen = 1 + (uint32_t)(k * 7919 % 16384);
		uint32_t woff = (uint32_t)(k % 4) * 16384;
		uint32_t slen = 4 + (uint32_t)(k * 104729 % (RECV_LEN - 4));
		uint32_t seed = (uint32_t)k;
		uint8_t *w = buf, *r = buf + 65536, *s = buf + 131072;
		uint8_t *f = buf + 196608, *u = buf + 200704;
		uint8_t *d = buf + 266240;
		struct ibv_sge sg[6] = {
			{ (uintptr_t)w, wlen, mr->lkey },
			{ (uintptr_t)r, wlen, mr->lkey },
			{ (uintptr_t)f, 8, mr->lkey },
			{ (uintptr_t)s, slen, mr->lkey },
			{ (uintptr_t)u, 4096, mr->lkey },
			{ (uintptr_t)d, 512, mr->lkey },
		};
		struct ibv_send_wr wr[6], *bad;
		struct ibv_wc wc[8];
		int got = 0, n, i;

		memset(wr, 0, sizeof(wr));
		pattern(w, wlen, seed);
		memset(r, 0, wlen);
		memcpy(s, &seed, 4);
		pattern(s + 4, slen - 4, seed);
		pattern(u, 4096, seed);
		memcpy(d, &seed, 4);
		pattern(d + 4, 508, seed);
		for (i = 0; i < 6; i++) {
			wr[i].wr_id = (uint64_t)i;
			wr[i].sg_list = &sg[i];
			wr[i].num_sge = 1;
			wr[i].send_flags = IBV_SEND_SIGNALED;
		}
		wr[0].opcode = IBV_WR_RDMA_WRITE;
		wr[0].wr.rdma.remote_addr = addr + WIN_RC + woff;
		wr[0].wr.rdma.rkey = rkey;
		wr[0].next = &wr[1];
		wr[1].opcode = IBV_WR_RDMA_READ;
		wr[1].wr.rdma = wr[0].wr.rdma;
		wr[1].next = &wr[2];
		wr[2].opcode = IBV_WR_ATOMIC_FETCH_AND_ADD;
		wr[2].wr.atomic.remote_addr = addr + WIN_ATOM;
		wr[2].wr.atomic.rkey = rkey;
		wr[2].wr.atomic.compare_add = 1;
		wr[2].next = &wr[3];
		wr[3].opcode = IBV_WR_SEND;
		REQUIRE(!ibv_post_send(rc, wr, &bad));
		wr[4].opcode = IBV_WR_RDMA_WRITE;
		wr[4].wr.rdma.remote_addr = addr + WIN_UC + (k % 8) * 4096;
		wr[4].wr.rdma.rkey = rkey;
		REQUIRE(!ibv_post_send(uc, &wr[4], &bad));
		wr[5].opcode = IBV_WR_SEND;
		wr[5].wr.ud.ah = ah;
		wr[5].wr.ud.remote_qpn = ud_qpn;
		wr[5].wr.ud.remote_qkey = QKEY;
		REQUIRE(!ibv_post_send(ud, &wr[5], &bad));
		while (got < 6) {
			n = ibv_poll_cq(cq, 8, wc);
			REQUIRE(n >= 0);
			for (i = 0; i < n; i++) {
				if (wc[i].status != IBV_WC_SUCCESS) {
					fprintf(stderr,
						"peer: op %d after %llu: %s\n",
						(int)wc[i].wr_id,
						(unsigned long long)ops,
						ibv_wc_status_str(
							wc[i].status));
					goto out;
				}
			}
			got += n;
			if (now_s() > hard_end) {
				fprintf(stderr, "peer: stuck after %llu ops\n",
					(unsigned long long)ops);
				goto out;
			}
		}
		/* The READ saw the WRITE; the FETCH_ADDs count the rounds. */
		if (memcmp(r, w, wlen) || *(uint64_t *)f != k - 1) {
			fprintf(stderr, "peer: bad data in round %llu\n",
				(unsigned long long)k);
			goto out;
		}
		ops += 6;
		bytes += 2 * wlen + slen + 4096 + 512;
		if (!stop_at && have_file(dir, "attack.done"))
			stop_at = now_s() + 1;
	}
	printf("peer: %llu operations, %llu bytes, all verified\n",
	       (unsigned long long)ops, (unsigned long long)bytes);
	ret = 0;
out:
	put_file(dir, "peer.done", ret ? "fail\n" : "ok\n");
	CHECK(!ibv_destroy_ah(ah));
	CHECK(!ibv_destroy_qp(rc) && !ibv_destroy_qp(uc) &&
	      !ibv_destroy_qp(ud));
	CHECK(!ibv_dereg_mr(mr));
	CHECK(!ibv_destroy_cq(cq));
	CHECK(!ibv_dealloc_pd(pd));
	CHECK(!ibv_close_device(ctx));
	free(buf);
	return ret || check_failures ? 1 : 0;
}

/* -------------------------------------------------------------- attacker */

struct hep {
	struct in_addr ip;
	uint16_t port;
};

static int usock, raw_b, raw_c;
static struct hep me, peer_ep, alias_ep, vic;
static uint64_t sent;

static struct {
	char name[32], key[32];
	long long n;
} expv[256];
static int nexp;

static void expect(const char *name, const char *key, long long n)
{
	int i;

	for (i = 0; i < nexp; i++) {
		if (!strcmp(expv[i].name, name) && !strcmp(expv[i].key, key)) {
			expv[i].n += n;
			return;
		}
	}
	REQUIRE(nexp < 256);
	snprintf(expv[nexp].name, sizeof(expv[nexp].name), "%s", name);
	snprintf(expv[nexp].key, sizeof(expv[nexp].key), "%s", key);
	expv[nexp++].n = n;
}

static void expect_drop(const char *name, int reason)
{
	char k[48];

	snprintf(k, sizeof(k), "drop_%s", uroce_drop_name(reason));
	expect(name, k, 1);
}

/*
 * Sends @len bytes at @buf, whose ICRC (if @icrc) is computed for @from
 * to the victim's UDP port @dport; from the attacker's socket when @from
 * is &me, else by a raw socket posing as @from.
 */
static void xmit(uint8_t *buf, size_t len, const struct hep *from,
		 uint16_t dport, bool icrc, bool bad_icrc)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr = vic.ip };
	struct uroce_icrc_hdr ih = { .family = AF_INET };
	uint8_t dg[9000];
	struct udphdr *uh = (struct udphdr *)dg;
	struct iovec iov = { buf, len - 4 };
	ssize_t r;

	if (icrc && len >= 4) {
		ih.src.v4 = from->ip;
		ih.dst.v4 = vic.ip;
		ih.sport = from->port;
		ih.dport = dport;
		ih.ip_frag_off = 0x4000;
		uroce_icrc_put(buf + len - 4,
			       uroce_icrc(&ih, &iov, 1) ^ (bad_icrc ? 1 : 0));
	}
	if (from == &me) {
		to.sin_port = htons(dport);
		r = sendto(usock, buf, len, 0, (struct sockaddr *)&to,
			   sizeof(to));
	} else {
		REQUIRE(len + 8 <= sizeof(dg));
		uh->source = htons(from->port);
		uh->dest = htons(dport);
		uh->len = htons((uint16_t)(len + 8));
		uh->check = 0; /* none: allowed for UDP over IPv4 */
		memcpy(dg + 8, buf, len);
		r = sendto(from == &alias_ep ? raw_c : raw_b, dg, len + 8, 0,
			   (struct sockaddr *)&to, sizeof(to));
	}
	REQUIRE(r == (ssize_t)(from == &me ? len : len + 8));
	sent++;
	/* Pace: the victim's socket buffer must not drop what we count. */
	if (!(sent % 64))
		usleep(2000);
}

/* Builds @p (payload @paylen bytes of 0xee) into @buf; returns its length. */
static size_t build(uint8_t *buf, struct uroce_pkt *p, uint32_t paylen)
{
	int h;
	unsigned int pad = uroce_pkt_pad(paylen);

	p->paylen = paylen;
	h = uroce_pkt_build(buf, 2048, p); /* room: 4096 */
	REQUIRE(h > 0);
	memset(buf + h, 0xee, paylen);
	memset(buf + h + paylen, 0, pad);
	return (size_t)h + paylen + pad + 4;
}

static void pkt_init(struct uroce_pkt *p, uint8_t op, uint32_t qpn,
		     uint32_t psn)
{
	memset(p, 0, sizeof(*p));
	p->bth.opcode = op;
	p->bth.pkey = UROCE_DEFAULT_PKEY;
	p->bth.dqpn = qpn;
	p->bth.psn = psn & UROCE_QPN_MASK;
}

/*
 * Sends the first @len bytes of packet @buf, with a right ICRC, to the
 * live RC QP; the decoder says what must happen to it: a parse drop, or
 * (a shorter but well-formed packet) the peer check, as it comes from
 * the attacker's own port.
 */
static void send_parse(uint8_t *buf, size_t len, uint16_t dport)
{
	struct uroce_pkt p;
	int ret;

	xmit(buf, len, &me, dport, len >= 16, false);
	ret = uroce_pkt_parse(buf, len, &p);
	if (ret)
		expect_drop("dev", ret);
	else
		expect_drop("live_rc", UROCE_DROP_BAD_PEER);
}

static const char *vinfo;

static uint32_t vqpn(const char *name)
{
	char k[48];

	snprintf(k, sizeof(k), "qp_%s", name);
	return (uint32_t)get_val(vinfo, k);
}

static uint32_t vpsn(const char *name)
{
	char k[48];

	snprintf(k, sizeof(k), "psn_%s", name);
	return (uint32_t)get_val(vinfo, k);
}

static uint64_t vaddr, vgaddr;
static uint32_t vrkey, vgrkey;

/* A WRITE_ONLY of 64 bytes to @name at @psn, into bytes nobody may touch. */
static size_t mk_write(uint8_t *buf, const char *name, uint32_t psn)
{
	struct uroce_pkt p;

	pkt_init(&p, UROCE_OP_RC_WRITE_ONLY, vqpn(name), psn);
	p.reth.va = vaddr + 512 * 1024;
	p.reth.rkey = vrkey;
	p.reth.len = 64;
	return build(buf, &p, 64);
}

static void attack_parse(void)
{
	uint32_t qpn = vqpn("live_rc");
	uint16_t port = (uint16_t)(qpn >> 8);
	uint8_t buf[4096], tmp[4096];
	struct uroce_pkt p;
	size_t len, i;
	int op, v;
	uint64_t s0 = sent;

	/* Truncated: every length short of a whole WRITE_ONLY. */
	len = mk_write(buf, "live_rc", LIVE_PSN + 0x400000);
	for (i = 0; i < len; i++) {
		memcpy(tmp, buf, len);
		send_parse(tmp, i, port);
	}
	/* Bad lengths: trailing bytes; and pad counts that cannot be. */
	for (i = 1; i <= 9; i++) {
		memcpy(tmp, buf, len);
		memset(tmp + len, 0, i);
		send_parse(tmp, len + i, port);
	}
	for (i = 1; i <= 3; i++) {
		memcpy(tmp, buf, len);
		tmp[1] = (uint8_t)((tmp[1] & 0xcf) | i << 4);
		send_parse(tmp, len, port);
	}
	/* Transport versions other than 0. */
	for (v = 1; v < 16; v++) {
		memcpy(tmp, buf, len);
		tmp[1] = (uint8_t)((tmp[1] & 0xf0) | v);
		send_parse(tmp, len, port);
	}
	/*
	 * Every opcode, with a bad ICRC, from the attacker's own port: the
	 * decoder drops it, else the QP's checks (transport, then peer)
	 * before any CRC is computed.
	 */
	for (op = 0; op < 256; op++) {
		memset(tmp, 0, 64);
		memcpy(tmp, buf, 12);
		tmp[0] = (uint8_t)op;
		xmit(tmp, 64, &me, port, true, true);
		v = uroce_pkt_parse(tmp, 64, &p);
		if (op == UROCE_OP_CNP) /* counted before any parsing (rx.c) */
			expect_drop("dev", UROCE_DROP_CNP);
		else if (v)
			expect_drop("dev", v);
		else if (uroce_opcode_transport((uint8_t)op) != UROCE_TR_RC)
			expect_drop("live_rc", UROCE_DROP_BAD_TRANSPORT);
		else
			expect_drop("live_rc", UROCE_DROP_BAD_PEER);
	}
	/* A flood with bad ICRCs: refused as not the peer's, no CRC. */
	for (i = 0; i < 500; i++) {
		memcpy(tmp, buf, len);
		xmit(tmp, len, &me, port, true, true);
		expect_drop("live_rc", UROCE_DROP_BAD_PEER);
	}
	/* Posing as the peer, a bad ICRC is what stops it. */
	for (i = 0; i < 100; i++) {
		memcpy(tmp, buf, len);
		xmit(tmp, len, &peer_ep, port, true, true);
		expect_drop("live_rc", UROCE_DROP_BAD_ICRC);
	}
	/* QP slots nobody uses. */
	for (i = 0; i < 50; i++) {
		pkt_init(&p, UROCE_OP_RC_SEND_ONLY, (uint32_t)port << 8 | 250,
			 0);
		len = build(tmp, &p, 16);
		xmit(tmp, len, &me, port, true, false);
		expect_drop("dev", UROCE_DROP_NO_QP);
	}
	printf("attack: %llu malformed packets\n",
	       (unsigned long long)(sent - s0));
}

/* The live QPs, with the peer's traffic going on. */
static void attack_live(void)
{
	static const char *const lq[] = { "live_rc", "live_uc" };
	uint8_t buf[4096];
	struct uroce_pkt p;
	uint64_t s0 = sent;
	size_t len;
	int i, q;

	for (q = 0; q < 2; q++) {
		uint32_t qpn = vqpn(lq[q]);
		uint16_t port = (uint16_t)(qpn >> 8);
		uint8_t op = q ? UROCE_OP_UC_WRITE_ONLY :
				 UROCE_OP_RC_WRITE_ONLY;

		for (i = 0; i < 100; i++) {
			pkt_init(&p, op, qpn, LIVE_PSN + 0x400000);
			p.reth.va = vaddr + 512 * 1024;
			p.reth.rkey = vrkey;
			p.reth.len = 64;
			len = build(buf, &p, 64);
			/* The peer's IP from another port; another IP. */
			xmit(buf, len, &me, port, true, false);
			expect_drop(lq[q], UROCE_DROP_BAD_PEER);
			xmit(buf, len, &alias_ep, port, true, false);
			expect_drop(lq[q], UROCE_DROP_BAD_PEER);
			/* The very peer, with a wrong P_Key. */
			p.bth.pkey = 0x1234;
			len = build(buf, &p, 64);
			xmit(buf, len, &peer_ep, port, true, false);
			expect_drop(lq[q], UROCE_DROP_BAD_PKEY);
			/* The very peer, with the other transport. */
			p.bth.pkey = UROCE_DEFAULT_PKEY;
			p.bth.opcode = q ? UROCE_OP_RC_WRITE_ONLY :
					   UROCE_OP_UC_WRITE_ONLY;
			len = build(buf, &p, 64);
			xmit(buf, len, &peer_ep, port, true, false);
			expect_drop(lq[q], UROCE_DROP_BAD_TRANSPORT);
		}
	}
	{
		uint32_t qpn = vqpn("live_rc");
		uint16_t port = (uint16_t)(qpn >> 8);

		/* The very peer, a PSN far ahead: dropped, not executed. */
		for (i = 0; i < 100; i++) {
			len = mk_write(buf, "live_rc", LIVE_PSN + 0x400000);
			xmit(buf, len, &peer_ep, port, true, false);
			expect_drop("live_rc", UROCE_DROP_BAD_PSN);
		}
		/*
		 * A flood of duplicates (PSN far behind): acknowledged
		 * again, never executed. The sequence NAKs the PSNs ahead
		 * caused make the peer resend: its duplicates count too
		 * ("min" in the victim).
		 */
		for (i = 0; i < 1000; i++) {
			len = mk_write(buf, "live_rc", LIVE_PSN - 0x400000);
			xmit(buf, len, &peer_ep, port, true, false);
			expect("live_rc", "dup_reqs", 1);
		}
		/* READ and atomic duplicates of no history: unanswered. */
		for (i = 0; i < 100; i++) {
			pkt_init(&p, UROCE_OP_RC_READ_REQ, qpn,
				 LIVE_PSN - 0x400000 + (uint32_t)i);
			p.reth.va = vgaddr;
			p.reth.rkey = vgrkey;
			p.reth.len = 4096;
			len = build(buf, &p, 0);
			xmit(buf, len, &peer_ep, port, true, false);
			pkt_init(&p, UROCE_OP_RC_FETCH_ADD, qpn,
				 LIVE_PSN - 0x400000 + (uint32_t)i);
			p.atmeth.va = vaddr + 512 * 1024;
			p.atmeth.rkey = vrkey;
			p.atmeth.swap_add = 1;
			len = build(buf, &p, 0);
			xmit(buf, len, &peer_ep, port, true, false);
			expect("live_rc", "drop_stale_request", 2);
		}
	}
	{
		static const uint8_t ops[] = { UROCE_OP_RC_ACK,
					       UROCE_OP_RC_READ_RESP_ONLY,
					       UROCE_OP_RC_ATOMIC_ACK };
		const uint8_t syn[] = {
			uroce_aeth_ack(UROCE_AETH_CREDITS_INVALID),
			uroce_aeth_rnr_nak(1),
			uroce_aeth_nak(UROCE_NAK_PSN_SEQ_ERR),
			uroce_aeth_nak(UROCE_NAK_INVALID_REQ),
			uroce_aeth_nak(UROCE_NAK_REMOTE_ACCESS_ERR),
			uroce_aeth_nak(UROCE_NAK_REMOTE_OP_ERR),
			uroce_aeth_nak(UROCE_NAK_INVALID_RD_REQ),
		};
		uint32_t qpn = vqpn("live_rc");
		uint16_t port = (uint16_t)(qpn >> 8);

		/*
		 * The very peer answering what the live QP, which sends
		 * nothing, never asked (its PSN and on), or long ago (before
		 * the ACK it would repeat): ACKs, every kind of NAK, READ
		 * responses, atomic ACKs. Dropped, they complete, resend
		 * and end nothing: the peer's traffic goes on.
		 */
		for (i = 0; i < 140; i++) {
			uint8_t op = ops[i % 3];
			uint32_t pl = op == UROCE_OP_RC_READ_RESP_ONLY ? 16 : 0;

			pkt_init(&p, op, qpn, LIVE_PSN + (uint32_t)i);
			if (op == UROCE_OP_RC_ACK)
				p.aeth.syndrome = syn[i % 7];
			len = build(buf, &p, pl);
			xmit(buf, len, &peer_ep, port, true, false);
			expect_drop("live_rc", UROCE_DROP_GHOST_RESPONSE);
			p.bth.psn = (LIVE_PSN - 2 - (uint32_t)i) &
				    UROCE_QPN_MASK;
			len = build(buf, &p, pl);
			xmit(buf, len, &peer_ep, port, true, false);
			expect_drop("live_rc", UROCE_DROP_STALE_RESPONSE);
		}
	}
	{
		uint32_t qpn = vqpn("live_ud");

		/* UD takes anyone, but not a wrong Q_Key. */
		for (i = 0; i < 100; i++) {
			pkt_init(&p, UROCE_OP_UD_SEND_ONLY, qpn, 0);
			p.deth.qkey = QKEY ^ 0x1000;
			p.deth.sqpn = 1234;
			len = build(buf, &p, 64);
			xmit(buf, len, &me, (uint16_t)(qpn >> 8), true, false);
			expect_drop("live_ud", UROCE_DROP_BAD_QKEY);
		}
	}
	printf("attack: %llu packets at the live QPs\n",
	       (unsigned long long)(sent - s0));
}

/*
 * Why a UC QP with no receive posted drops @p, the first packet of a
 * message, in the order of the responder's checks: it allows remote
 * WRITEs, but not with the attacker's rkey.
 */
static int uc_start_drop(const struct uroce_pkt *p)
{
	uint16_t f = uroce_opcodes[p->bth.opcode].flags;

	if (f & UROCE_OPF_SEND)
		return UROCE_DROP_NO_RECV_WQE;
	if (p->paylen > p->reth.len ||
	    ((f & UROCE_OPF_END) && p->paylen != p->reth.len))
		return UROCE_DROP_BAD_REQUEST;
	if ((f & UROCE_OPF_END) && (f & UROCE_OPF_IMM))
		return UROCE_DROP_NO_RECV_WQE;
	return UROCE_DROP_BAD_ACCESS;
}

/*
 * Messages at the UC and UD QPs that take requests (RTR, RTS; no receive
 * posted), in sequence from a PSN after a gap, each packet with the drop
 * it costs: what a UC QP refuses takes the rest of its message with it.
 */
static void attack_msgs(void)
{
	static const struct {
		uint8_t op;
		uint32_t psn, paylen;
		int drop;
	} uc[] = {
		{ UROCE_OP_UC_SEND_ONLY, 0, 16, UROCE_DROP_NO_RECV_WQE },
		{ UROCE_OP_UC_SEND_MIDDLE, 1, 1024, UROCE_DROP_BAD_REQUEST },
		{ UROCE_OP_UC_SEND_LAST, 2, 16, UROCE_DROP_BROKEN_MSG },
		{ UROCE_OP_UC_WRITE_FIRST, 3, 1024, UROCE_DROP_BAD_ACCESS },
		{ UROCE_OP_UC_WRITE_MIDDLE, 4, 1024, UROCE_DROP_BROKEN_MSG },
		{ UROCE_OP_UC_WRITE_LAST, 5, 16, UROCE_DROP_BROKEN_MSG },
		{ UROCE_OP_UC_WRITE_LAST, 6, 16, UROCE_DROP_BAD_REQUEST },
		{ UROCE_OP_UC_SEND_FIRST, 7, 1024, UROCE_DROP_NO_RECV_WQE },
		{ UROCE_OP_UC_SEND_MIDDLE, 9, 1024, UROCE_DROP_BAD_PSN },
		{ UROCE_OP_UC_SEND_LAST, 10, 16, UROCE_DROP_BROKEN_MSG },
	};
	static const char *const st[] = { "RTR", "RTS" };
	uint8_t buf[4096];
	struct uroce_pkt p;
	uint64_t s0 = sent;
	unsigned int i, k;

	for (k = 0; k < 2; k++) {
		char name[32];
		uint32_t qpn, psn;
		size_t len;

		snprintf(name, sizeof(name), "st_uc_%s", st[k]);
		qpn = vqpn(name);
		psn = vpsn(name) + 0x200000;
		for (i = 0; i < sizeof(uc) / sizeof(uc[0]); i++) {
			pkt_init(&p, uc[i].op, qpn, psn + uc[i].psn);
			p.reth.va = vaddr + 512 * 1024;
			p.reth.rkey = vrkey ^ 0x80000000u;
			p.reth.len = 4096;
			len = build(buf, &p, uc[i].paylen);
			xmit(buf, len, &me, (uint16_t)(qpn >> 8), true, false);
			expect_drop(name, uc[i].drop);
		}
		/* UD, the right Q_Key: no receive to take it. */
		snprintf(name, sizeof(name), "st_ud_%s", st[k]);
		qpn = vqpn(name);
		for (i = 0; i < 20; i++) {
			pkt_init(&p,
				 i % 2 ? UROCE_OP_UD_SEND_ONLY_IMM :
					 UROCE_OP_UD_SEND_ONLY,
				 qpn, i);
			p.deth.qkey = QKEY;
			p.deth.sqpn = 1234;
			len = build(buf, &p, 64);
			xmit(buf, len, &me, (uint16_t)(qpn >> 8), true, false);
			expect_drop(name, UROCE_DROP_NO_RECV_WQE);
		}
	}
	printf("attack: %llu packets in UC and UD messages\n",
	       (unsigned long long)(sent - s0));
}

/*
 * Every opcode at every state QP, from the address it is connected to,
 * with a bad rkey and Q_Key and a PSN out of sequence: each costs one
 * drop. Responses to an RTS QP that sent nothing are ghosts.
 */
static void attack_states(void)
{
	uint8_t buf[4096];
	struct uroce_pkt p;
	uint64_t s0 = sent;
	int t, s, op;

	for (t = 0; t < NTY; t++) {
		for (s = 0; s < NST; s++) {
			char name[32];
			uint32_t qpn, psn;
			enum uroce_transport tr = t == 0 ? UROCE_TR_RC :
						  t == 1 ? UROCE_TR_UC :
							   UROCE_TR_UD;
			bool rts = st_vals[s] == IBV_QPS_RTS;
			bool rtr = st_vals[s] == IBV_QPS_RTR;

			snprintf(name, sizeof(name), "st_%s_%s", ty_names[t],
				 st_names[s]);
			qpn = vqpn(name);
			psn = vpsn(name) + 0x400000;
			for (op = 0; op < 256; op++) {
				const struct uroce_opcode_info *in =
					&uroce_opcodes[op];
				uint32_t pl;
				size_t len;

				if (!(in->flags & UROCE_OPF_VALID))
					continue;
				pkt_init(&p, (uint8_t)op, qpn, psn);
				psn += 3;
				p.reth.va = vaddr + 512 * 1024;
				p.reth.rkey = vrkey ^ 0x80000000u;
				p.reth.len = 16;
				p.atmeth.va = vaddr + 512 * 1024;
				p.atmeth.rkey = vrkey ^ 0x80000000u;
				p.deth.qkey = QKEY ^ 1;
				p.aeth.msn = 0;
				p.ieth = vrkey;
				/* First and middle packets: one whole MTU. */
				pl = in->flags & UROCE_OPF_PAYLOAD ? 16 : 0;
				if (in->flags &
				    (UROCE_OPF_FIRST | UROCE_OPF_MIDDLE))
					pl = 1024;
				len = build(buf, &p, pl);
				xmit(buf, len, &me, (uint16_t)(qpn >> 8), true,
				     false);
				if (uroce_opcode_transport((uint8_t)op) != tr)
					expect_drop(name,
						    UROCE_DROP_BAD_TRANSPORT);
				else if (in->flags & UROCE_OPF_REQ ?
						 !rtr && !rts :
						 !rts)
					expect_drop(name,
						    UROCE_DROP_BAD_QP_STATE);
				else if (!(in->flags & UROCE_OPF_REQ))
					expect_drop(name,
						    UROCE_DROP_GHOST_RESPONSE);
				else if (t == 2)
					expect_drop(name, UROCE_DROP_BAD_QKEY);
				else if (t == 1 &&
					 (in->flags & UROCE_OPF_START))
					expect_drop(name, uc_start_drop(&p));
				else
					expect_drop(name, UROCE_DROP_BAD_PSN);
			}
		}
	}
	printf("attack: %llu packets at QPs in every state\n",
	       (unsigned long long)(sent - s0));
}

/*
 * Responses to req_rc's READ (PSNs P and P + 1) and SEND (P + 2), which
 * the attacker never answers right: each dropped, none written anywhere.
 */
static void attack_responses(void)
{
	static const struct {
		uint8_t op;
		int32_t psn; /* from P */
		uint32_t paylen;
		int drop;
	} r[] = {
		/* To the SEND; an atomic ACK to the READ. */
		{ UROCE_OP_RC_READ_RESP_ONLY, 2, 16, UROCE_DROP_BAD_RESPONSE },
		{ UROCE_OP_RC_ATOMIC_ACK, 0, 0, UROCE_DROP_BAD_RESPONSE },
		/* A first response shorter than the path MTU. */
		{ UROCE_OP_RC_READ_RESP_FIRST, 0, 512,
		  UROCE_DROP_BAD_RESPONSE },
		/* The last before the first: one seems lost (a resend). */
		{ UROCE_OP_RC_READ_RESP_LAST, 1, 1024, UROCE_DROP_BAD_PSN },
		{ UROCE_OP_RC_READ_RESP_LAST, 1, 1024, UROCE_DROP_BAD_PSN },
		/* Never sent; before the oldest outstanding. */
		{ UROCE_OP_RC_ACK, 3, 0, UROCE_DROP_GHOST_RESPONSE },
		{ UROCE_OP_RC_READ_RESP_ONLY, 100, 16,
		  UROCE_DROP_GHOST_RESPONSE },
		{ UROCE_OP_RC_ACK, -2, 0, UROCE_DROP_STALE_RESPONSE },
		{ UROCE_OP_RC_READ_RESP_ONLY, -1, 16,
		  UROCE_DROP_STALE_RESPONSE },
		{ UROCE_OP_RC_ATOMIC_ACK, -100, 0, UROCE_DROP_STALE_RESPONSE },
	};
	uint32_t qpn = vqpn("req_rc"), psn = vpsn("req_rc");
	uint8_t buf[4096];
	struct uroce_pkt p;
	uint64_t s0 = sent;
	unsigned int i;
	size_t len;

	for (i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		pkt_init(&p, r[i].op, qpn, psn + (uint32_t)r[i].psn);
		p.atmack = ~0ull;
		len = build(buf, &p, r[i].paylen);
		xmit(buf, len, &me, (uint16_t)(qpn >> 8), true, false);
		expect_drop("req_rc", r[i].drop);
	}
	printf("attack: %llu responses to requests out\n",
	       (unsigned long long)(sent - s0));
}

/* NAKs the attacker got back, by PSN. */
static uint32_t nak_psn[64];
static uint8_t nak_syn[64];
static int nnak;

static void collect_naks(double secs)
{
	double end = now_s() + secs;
	uint8_t buf[4096];
	struct uroce_pkt p;
	struct pollfd pfd = { usock, POLLIN, 0 };
	ssize_t n;

	while (now_s() < end) {
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		n = recv(usock, buf, sizeof(buf), MSG_DONTWAIT);
		if (n <= 0 || uroce_pkt_parse(buf, (size_t)n, &p))
			continue;
		if (p.bth.opcode == UROCE_OP_RC_ACK && nnak < 64 &&
		    uroce_aeth_type(p.aeth.syndrome) == UROCE_AETH_NAK) {
			nak_psn[nnak] = p.bth.psn;
			nak_syn[nnak++] = p.aeth.syndrome;
		}
	}
}

static void attack_naks(void)
{
	uint8_t buf[4096];
	struct uroce_pkt p;
	uint64_t s0 = sent, end = vaddr + MR_LEN;
	int i, j, k, ok = 0;

	for (i = 0; i < NNAK; i++) {
		const char *n = nak_names[i];
		uint32_t qpn = vqpn(n), psn = vpsn(n);
		uint8_t code = UROCE_NAK_REMOTE_ACCESS_ERR;
		size_t len;

		pkt_init(&p, UROCE_OP_RC_WRITE_ONLY, qpn, psn);
		p.reth.va = vaddr + 512 * 1024;
		p.reth.rkey = vrkey;
		p.reth.len = 64;
		if (!strcmp(n, "nak_rkey")) {
			p.reth.rkey = vrkey ^ 0x80000000u;
			if (p.reth.rkey == vgrkey)
				p.reth.rkey ^= 0x40000000u;
		} else if (!strcmp(n, "nak_oobw")) {
			p.reth.va = end - 32;
		} else if (!strcmp(n, "nak_oobr")) {
			p.bth.opcode = UROCE_OP_RC_READ_REQ;
			p.reth.va = end - 32;
		} else if (!strcmp(n, "nak_wrap")) {
			p.reth.va = ~0ull - 31;
		} else if (!strcmp(n, "nak_align")) {
			p.bth.opcode = UROCE_OP_RC_FETCH_ADD;
			p.atmeth.va = vaddr + 512 * 1024 + 4;
			p.atmeth.rkey = vrkey;
			code = UROCE_NAK_INVALID_REQ;
		} else if (!strcmp(n, "nak_atomoob")) {
			p.bth.opcode = UROCE_OP_RC_CMP_SWAP;
			p.atmeth.va = end;
			p.atmeth.rkey = vrkey;
		} else if (!strcmp(n, "nak_len")) {
			p.reth.len = 128;
			code = UROCE_NAK_INVALID_REQ;
		} else if (!strcmp(n, "nak_mid")) {
			p.bth.opcode = UROCE_OP_RC_WRITE_MIDDLE;
			code = UROCE_NAK_INVALID_REQ;
		} else if (!strcmp(n, "nak_guard")) {
			p.reth.rkey = vgrkey;
		} else if (!strcmp(n, "nak_rdlen")) {
			p.bth.opcode = UROCE_OP_RC_READ_REQ;
			p.reth.len = 0x80000001u;
			code = UROCE_NAK_INVALID_REQ;
		}
		if (!(uroce_opcodes[p.bth.opcode].flags & UROCE_OPF_PAYLOAD))
			len = build(buf, &p, 0);
		else if (p.bth.opcode == UROCE_OP_RC_WRITE_MIDDLE)
			len = build(buf, &p, 1024); /* one whole MTU */
		else
			len = build(buf, &p, 64);
		xmit(buf, len, &me, (uint16_t)(qpn >> 8), true, false);
		expect(n, "err_naks_sent", 1);
		nak_syn[63 - i] = uroce_aeth_nak((enum uroce_nak_code)code);
		/* Dead now: the rest, valid or not, meet an ERR QP. */
		for (j = 1; j <= 20; j++) {
			len = mk_write(buf, n, psn + (uint32_t)j);
			xmit(buf, len, &me, (uint16_t)(qpn >> 8), true, false);
			expect_drop(n, UROCE_DROP_BAD_QP_STATE);
		}
	}
	collect_naks(1.0);
	for (i = 0; i < NNAK; i++) {
		uint32_t psn = vpsn(nak_names[i]);

		for (k = 0; k < nnak; k++)
			if (nak_psn[k] == psn && nak_syn[k] == nak_syn[63 - i])
				break;
		if (k < nnak)
			ok++;
		else
			fprintf(stderr, "attack: no NAK 0x%x for %s\n",
				nak_syn[63 - i], nak_names[i]);
	}
	printf("attack: %llu packets at QPs to be NAKed; %d of %d NAKs "
	       "right, %d NAKs in all\n",
	       (unsigned long long)(sent - s0), ok, NNAK, nnak);
	if (ok != NNAK)
		check_failures++;
}

static void bind_raw(int *fd, struct in_addr ip)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr = ip };

	*fd = socket(AF_INET, SOCK_RAW, IPPROTO_UDP);
	REQUIRE(*fd >= 0);
	REQUIRE(!bind(*fd, (struct sockaddr *)&sa, sizeof(sa)));
}

static int attack(const char *ip_a, const char *ip_b, const char *ip_c)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	char text[16384], *pinfo;
	int len = 0, i;

	REQUIRE(inet_pton(AF_INET, ip_a, &vic.ip) == 1);
	REQUIRE(inet_pton(AF_INET, ip_b, &me.ip) == 1);
	REQUIRE(inet_pton(AF_INET, ip_c, &alias_ep.ip) == 1);
	sa.sin_addr = me.ip;
	usock = socket(AF_INET, SOCK_DGRAM, 0);
	REQUIRE(usock >= 0);
	REQUIRE(!bind(usock, (struct sockaddr *)&sa, sizeof(sa)));
	REQUIRE(!getsockname(usock, (struct sockaddr *)&sa, &sl));
	me.port = ntohs(sa.sin_port);
	bind_raw(&raw_b, me.ip);
	bind_raw(&raw_c, alias_ep.ip);
	snprintf(text, sizeof(text), "port %u\n", me.port);
	put_file(dir, "attacker.info", text);

	vinfo = wait_file(dir, "victim.info");
	pinfo = wait_file(dir, "peer.info");
	vaddr = (uint64_t)get_val(vinfo, "addr");
	vrkey = (uint32_t)get_val(vinfo, "rkey");
	vgaddr = (uint64_t)get_val(vinfo, "gaddr");
	vgrkey = (uint32_t)get_val(vinfo, "grkey");
	/* Posing as the peer: its address and its live RC QP's port. */
	peer_ep.ip = me.ip;
	peer_ep.port = (uint16_t)(get_val(pinfo, "rc") >> 8);
	alias_ep.port = peer_ep.port;
	wait_file(dir, "ready");
	/* Let the peer's traffic get going first. */
	usleep(300000);

	attack_parse();
	attack_live();
	attack_states();
	attack_msgs();
	attack_responses();
	attack_naks();

	for (i = 0; i < nexp; i++)
		len += snprintf(text + len, sizeof(text) - (size_t)len,
				"%s %s %lld\n", expv[i].name, expv[i].key,
				expv[i].n);
	put_file(dir, "expect", text);
	put_file(dir, "attack.done", "1\n");
	printf("attack: %llu packets sent\n", (unsigned long long)sent);
	return check_failures ? 1 : 0;
}

/* ------------------------------------------------------------------- CM */

/* A MAD header as librdmacm expects it (cm_msg.c), or not. */
static void mad(uint8_t *b, uint16_t attr)
{
	memset(b, 0, 256);
	b[0] = 1; /* base version */
	b[1] = 0x07; /* class: CM */
	b[2] = 2; /* class version */
	b[3] = 0x03; /* method: Send */
	b[16] = (uint8_t)(attr >> 8);
	b[17] = (uint8_t)attr;
}

static int cm_attack(const char *ip, int port)
{
	static const uint16_t attrs[] = { 0x11, 0x12, 0x14, 0x15,  0x16,
					  0x18, 0x00, 0x19, 0xffff };
	static uint8_t b[65000];
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port) };
	static const size_t lens[] = {
		0, 1, 23, 24, 100, 255, 257, 1000, 65000
	};
	unsigned int i, j;
	long long n = 0;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	REQUIRE(fd >= 0 && inet_pton(AF_INET, ip, &to.sin_addr) == 1);
#define CMSEND(len)                                                     \
	do {                                                            \
		REQUIRE(sendto(fd, b, (len), 0, (struct sockaddr *)&to, \
			       sizeof(to)) == (ssize_t)(len));          \
		if (!(++n % 64))                                        \
			usleep(2000);                                   \
	} while (0)
	/* Truncated, oversized: a valid header at the wrong length. */
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		mad(b, 0x14);
		CMSEND(lens[i]);
	}
	/* Garbage of the right size; a header off by one field. */
	for (i = 0; i < 200; i++) {
		pattern(b, 256, i);
		b[0] = (uint8_t)(b[0] | 2);
		CMSEND(256);
	}
	for (i = 0; i < 4; i++) {
		mad(b, 0x14);
		b[i] ^= 0x40;
		CMSEND(256);
	}
	/*
	 * Right header, unknown or reserved attributes, and messages for
	 * communication IDs that do not exist (MRA, REJ, RTU, DREQ, DREP,
	 * SIDR_REP): none may reach the listener.
	 */
	for (j = 0; j < 20; j++) {
		for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
			mad(b, attrs[i]);
			pattern(b + 24, 8, j * 16 + i);
			CMSEND(256);
		}
	}
	close(fd);
	printf("cm: %lld datagrams\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 6 && !strcmp(argv[1], "victim")) {
		dir = argv[3];
		return victim(argv[2], argv[4], argv[5]);
	}
	if (argc == 6 && !strcmp(argv[1], "peer")) {
		dir = argv[3];
		return peer(argv[2], argv[4]);
	}
	if (argc == 6 && !strcmp(argv[1], "attack")) {
		dir = argv[2];
		return attack(argv[3], argv[4], argv[5]);
	}
	if (argc == 4 && !strcmp(argv[1], "cm"))
		return cm_attack(argv[2], atoi(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "cmstat")) {
		char *r = ep_read("uroce-cm/", atoi(argv[2]));

		if (!r)
			return 1;
		printf("%lld\n", ep_counter(r, -1, "rx_drops"));
		free(r);
		return 0;
	}
	fprintf(stderr, "usage: see the comment at the top of %s\n", __FILE__);
	return 2;
}
