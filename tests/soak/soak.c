// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The soak program, in two roles joined by TCP (soak.sh runs them):
 *
 *   soak survivor DEV IP PORT SECONDS      in A: listens on IP:PORT and
 *       keeps NQP RC QPs to each of two peers busy for SECONDS
 *   soak peer stable|volatile DEV IP PORT DIR   in B: the target of the
 *       survivor's requests; writes its PID to DIR/ROLE.pid
 *
 * Each survivor QP runs rounds of WRITE, READ back, FETCH_ADD, CMP_SWAP
 * and SEND with immediate, posted together. The survivor compares what
 * it reads back and the atomics' original values; the peer checks every
 * SEND against the pattern its immediate names. soak.sh SIGKILLs and
 * restarts the volatile peer: the survivor sees the TCP connection close,
 * lets that peer's QPs end in RETRY_EXC_ERR and WR_FLUSH_ERR, destroys
 * them and takes the restarted peer. Any other error, an error on the
 * stable peer's QPs, a wrong byte or a stall fails the run, as does RSS
 * or fd growth after the warm-up.
 *
 * Environment: SOAK_QPS (QPs per peer, 32), SOAK_REPORT (seconds between
 * lines, 10), SOAK_WARMUP (seconds before the first steady sample, 30).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/hostile/common.h"
#include "util/endpoint.h"

#define MAX_QP 64
#define MAXLEN (16u << 10) /* largest WRITE, READ or SEND */
/* A survivor QP's local slot: WRITE source, READ sink, SEND source. */
#define L_WSRC 0
#define L_RDST MAXLEN
#define L_SSRC (2 * MAXLEN)
#define L_ATOM (3 * MAXLEN) /* two 8-byte atomic results */
#define LSLOT (4 * MAXLEN)
/* A peer QP's slot: WRITE target, atomic counter, two receive buffers. */
#define R_DATA 0
#define R_ATOM MAXLEN
#define R_RECV (2 * MAXLEN)
#define NRECV 2
#define RSLOT ((2 + NRECV) * MAXLEN)
#define NOPS 5 /* WRs in a round */
/*
 * 4.096 us << 16 = 268 ms, 7 retries: about 2 s without an ACK ends a
 * QP, long enough for a starved peer on a busy 2-core machine.
 */
#define ACK_TIMEOUT 16
#define IO_SEC 10 /* a handshake message */
#define STALL_SEC 60 /* a round of a live peer */
#define DRAIN_SEC 30 /* the QPs of a dead peer to end */
#define GRACE_SEC 5 /* an error before its peer's connection closes */
#define MAGIC 0x50414b53u

/* ASan's quarantine keeps freed memory resident: RSS is no measure. */
#if defined(__SANITIZE_ADDRESS__)
#define RSS_CHECK 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RSS_CHECK 0
#endif
#endif
#ifndef RSS_CHECK
#define RSS_CHECK 1
#endif

enum role { STABLE, VOLATILE };
static const char *const role_name[] = { "stable", "volatile" };
enum op { OP_WRITE, OP_READ, OP_FADD, OP_CAS, OP_SEND };
static const char *const op_name[] = { "write", "read", "fetch_add", "cmp_swap",
				       "send" };
enum msg_type { M_READY = 1, M_STOP, M_DONE, M_FAIL };

struct hello {
	uint32_t magic, role, nqp, pid;
	uint8_t gid[16];
	uint64_t addr; /* the peer's region (RSLOT per QP) */
	uint32_t rkey;
	uint32_t qpn[MAX_QP], psn[MAX_QP];
};

struct msg {
	uint32_t magic, type;
	uint64_t a, b;
};

static int nqp = 32;

/* The length of the WRITE or SEND whose pattern seed is @seed. */
static uint32_t len_of(uint32_t seed)
{
	return 1 + (seed * 2654435761u >> 8) % MAXLEN;
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "soak[%d]: FAIL: ", getpid());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	/* No leak report on top of the failure, from threads still busy. */
	_exit(1);
}

/* Reads @n bytes within @sec: 1 read, 0 EOF before any byte, -1 else. */
static int read_full(int fd, void *buf, size_t n, double sec)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	double end = now_s() + sec;
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		int ms = (int)((end - now_s()) * 1000);

		if (ms <= 0 || poll(&p, 1, ms) <= 0)
			return -1;
		r = read(fd, (char *)buf + got, n - got);
		if (r == 0)
			return got ? -1 : 0;
		if (r < 0 && errno != EINTR && errno != EAGAIN)
			return -1;
		if (r > 0)
			got += (size_t)r;
	}
	return 1;
}

/* Small messages into an idle socket: a blocking send is bounded. */
static int write_full(int fd, const void *buf, size_t n)
{
	return send(fd, buf, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1;
}

static int send_msg(int fd, uint32_t type, uint64_t a, uint64_t b)
{
	struct msg m = { MAGIC, type, a, b };

	return write_full(fd, &m, sizeof(m));
}

static void rts(struct ibv_qp *qp, uint32_t sq_psn)
{
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_RTS,
		.sq_psn = sq_psn,
		.timeout = ACK_TIMEOUT,
		.retry_cnt = 7,
		.rnr_retry = 7, /* infinite: the peer reposts late */
		.max_rd_atomic = 16,
	};

	REQUIRE(!ibv_modify_qp(qp, &a,
			       IBV_QP_STATE | IBV_QP_SQ_PSN | IBV_QP_TIMEOUT |
				       IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
				       IBV_QP_MAX_QP_RD_ATOMIC));
}

static uint32_t rnd24(void)
{
	return (uint32_t)random() & 0xffffff;
}

static int env_int(const char *name, int def, int lo, int hi)
{
	const char *s = getenv(name);
	int v = s ? atoi(s) : def;

	return v < lo ? lo : v > hi ? hi : v;
}

/* VmRSS in kB of /proc/@pid ("self" for 0), or -1. */
static long rss_kb(int pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/status", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/status");
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			kb = strtol(line + 6, NULL, 10);
	fclose(f);
	return kb;
}

/* Open fds of @pid (0: this process, not counting the one reading). */
static int fd_count(int pid)
{
	char path[64];
	struct dirent *e;
	int n = 0;
	DIR *d;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/fd");
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return pid ? n : n - 1;
}

/* ------------------------------------------------------------------ peer */

static int peer_connect(const char *ip, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port) };
	double end = now_s() + WAIT_SEC;
	int fd, one = 1;

	REQUIRE(inet_pton(AF_INET, ip, &sa.sin_addr) == 1);
	for (;;) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		REQUIRE(fd >= 0);
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			break;
		close(fd);
		if (now_s() > end)
			die("cannot connect to %s:%d: %m", ip, port);
		usleep(100000);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static int run_peer(const char *rname, const char *dev, const char *ip,
		    int port, const char *dir)
{
	enum role role = strcmp(rname, "stable") ? VOLATILE : STABLE;
	struct ibv_qp_init_attr ia = { .qp_type = IBV_QPT_RC };
	struct ibv_qp *qp[MAX_QP];
	struct ibv_comp_channel *ch;
	struct ibv_context *ctx;
	struct ibv_wc wc[64];
	struct hello h = { .magic = MAGIC }, r;
	union ibv_gid gid;
	uint64_t nrecv = 0, nbytes = 0, want = 0;
	struct ibv_mr *mr;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	uint8_t *buf, *exp;
	size_t len = (size_t)nqp * RSLOT;
	bool stopping = false, armed = false;
	double stop_end = 0;
	char pidtxt[32], fname[64];
	int fd, i, k, n;

	snprintf(pidtxt, sizeof(pidtxt), "%d\n", getpid());
	snprintf(fname, sizeof(fname), "%s.pid", role_name[role]);
	put_file(dir, fname, pidtxt);
	srandom((unsigned int)(getpid() ^ (int)(now_s() * 1e6)));

	ctx = open_dev(dev);
	REQUIRE(!ibv_query_gid(ctx, 1, 0, &gid));
	pd = ibv_alloc_pd(ctx);
	ch = ibv_create_comp_channel(ctx);
	REQUIRE(pd && ch);
	cq = ibv_create_cq(ctx, nqp * NRECV * 2, NULL, ch, 0);
	buf = aligned_alloc(4096, len);
	exp = malloc(MAXLEN);
	REQUIRE(cq && buf && exp);
	memset(buf, 0, len);
	mr = ibv_reg_mr(pd, buf, len,
			IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
				IBV_ACCESS_REMOTE_READ |
				IBV_ACCESS_REMOTE_ATOMIC);
	REQUIRE(mr);
	ia.send_cq = cq;
	ia.recv_cq = cq;
	ia.cap.max_send_wr = 1;
	ia.cap.max_recv_wr = NRECV;
	ia.cap.max_send_sge = 1;
	ia.cap.max_recv_sge = 1;
	for (i = 0; i < nqp; i++) {
		qp[i] = ibv_create_qp(pd, &ia);
		REQUIRE(qp[i]);
		qp_init(qp[i], IBV_QPT_RC);
		for (k = 0; k < NRECV; k++) {
			struct ibv_sge sge = { (uintptr_t)buf + i * RSLOT +
						       R_RECV + k * MAXLEN,
					       MAXLEN, mr->lkey };
			struct ibv_recv_wr wr = { .wr_id = i * NRECV + k,
						  .sg_list = &sge,
						  .num_sge = 1 },
					   *bad;

			REQUIRE(!ibv_post_recv(qp[i], &wr, &bad));
		}
		h.qpn[i] = qp[i]->qp_num;
		h.psn[i] = rnd24();
	}
	h.role = role;
	h.nqp = (uint32_t)nqp;
	h.pid = (uint32_t)getpid();
	memcpy(h.gid, gid.raw, 16);
	h.addr = (uintptr_t)buf;
	h.rkey = mr->rkey;

	fd = peer_connect(ip, port);
	if (write_full(fd, &h, sizeof(h)))
		die("%s: hello: %m", rname);
	/* The survivor may first have a dead predecessor's QPs to end. */
	if (read_full(fd, &r, sizeof(r), WAIT_SEC + DRAIN_SEC) != 1 ||
	    r.magic != MAGIC || r.nqp != h.nqp)
		die("%s: no reply from the survivor", rname);
	memcpy(gid.raw, r.gid, 16);
	for (i = 0; i < nqp; i++) {
		qp_rtr(qp[i], &gid, r.qpn[i], r.psn[i]);
		rts(qp[i], h.psn[i]);
	}
	if (send_msg(fd, M_READY, 0, 0))
		die("%s: ready: %m", rname);
	printf("%s peer %d: %d QPs up\n", rname, getpid(), nqp);
	fflush(stdout);

	for (;;) {
		struct pollfd p[2] = { { .fd = fd, .events = POLLIN },
				       { .fd = ch->fd, .events = POLLIN } };
		struct ibv_cq *ecq;
		void *ectx;
		struct msg m;

		n = ibv_poll_cq(cq, 64, wc);
		REQUIRE(n >= 0);
		for (k = 0; k < n; k++) {
			uint32_t seed = ntohl(wc[k].imm_data);
			uint8_t *got;
			uint32_t j;

			i = (int)(wc[k].wr_id / NRECV);
			if (wc[k].status != IBV_WC_SUCCESS ||
			    wc[k].opcode != IBV_WC_RECV ||
			    !(wc[k].wc_flags & IBV_WC_WITH_IMM) ||
			    wc[k].byte_len != len_of(seed) || i >= nqp ||
			    wc[k].qp_num != qp[i]->qp_num) {
				send_msg(fd, M_FAIL, 0, 0);
				die("%s: QP %d: receive %s opcode %d len %u "
				    "seed %u",
				    rname, i, ibv_wc_status_str(wc[k].status),
				    wc[k].opcode, wc[k].byte_len, seed);
			}
			j = (uint32_t)(wc[k].wr_id % NRECV);
			got = buf + i * RSLOT + R_RECV + j * MAXLEN;
			pattern(exp, wc[k].byte_len, seed);
			if (memcmp(got, exp, wc[k].byte_len)) {
				send_msg(fd, M_FAIL, 0, 0);
				die("%s: QP %d: SEND of %u bytes (seed %u) "
				    "corrupted",
				    rname, i, wc[k].byte_len, seed);
			}
			memset(got, 0, wc[k].byte_len);
			nrecv++;
			nbytes += wc[k].byte_len;
			{
				struct ibv_sge sge = { (uintptr_t)got, MAXLEN,
						       mr->lkey };
				struct ibv_recv_wr wr = { .wr_id = wc[k].wr_id,
							  .sg_list = &sge,
							  .num_sge = 1 },
						   *bad;

				REQUIRE(!ibv_post_recv(qp[i], &wr, &bad));
			}
		}
		if (stopping && (nrecv >= want || now_s() > stop_end))
			break;
		if (n)
			continue;
		/* Armed, then polled once more before sleeping: no race. */
		if (!armed) {
			REQUIRE(!ibv_req_notify_cq(cq, 0));
			armed = true;
			continue;
		}
		if (poll(p, 2, stopping ? 10 : 1000) < 0 && errno != EINTR)
			die("poll: %m");
		if (p[1].revents & POLLIN) {
			REQUIRE(!ibv_get_cq_event(ch, &ecq, &ectx));
			ibv_ack_cq_events(ecq, 1);
			armed = false;
		}
		if (!stopping && (p[0].revents & (POLLIN | POLLHUP))) {
			if (read_full(fd, &m, sizeof(m), IO_SEC) != 1)
				die("%s: the survivor went away", rname);
			if (m.magic != MAGIC || m.type != M_STOP)
				die("%s: unexpected message %u", rname, m.type);
			stopping = true;
			want = m.a;
			stop_end = now_s() + IO_SEC;
		}
	}
	if (send_msg(fd, M_DONE, nrecv, nbytes))
		die("%s: done: %m", rname);
	printf("%s peer %d: %llu SENDs (%llu bytes) verified\n", rname,
	       getpid(), (unsigned long long)nrecv, (unsigned long long)nbytes);
	/* The survivor closes first: its QPs are gone when ours go. */
	read_full(fd, &r, 1, IO_SEC);
	close(fd);
	for (i = 0; i < nqp; i++)
		REQUIRE(!ibv_destroy_qp(qp[i]));
	REQUIRE(!ibv_destroy_cq(cq));
	REQUIRE(!ibv_destroy_comp_channel(ch));
	REQUIRE(!ibv_dereg_mr(mr));
	REQUIRE(!ibv_dealloc_pd(pd));
	REQUIRE(!ibv_close_device(ctx));
	free(buf);
	free(exp);
	return 0;
}

/* -------------------------------------------------------------- survivor */

enum gstate { G_NONE, G_ACTIVE, G_DRAINING };

struct sqp {
	struct ibv_qp *qp;
	uint8_t *l; /* local slot */
	uint64_t raddr; /* remote slot */
	uint32_t wseed, sseed;
	uint64_t ctr; /* the remote counter as it must be */
	uint64_t add, cmp, swap;
	int outstanding;
	bool failed, cas_hit;
	double posted;
};

struct grp {
	enum role role;
	enum gstate st;
	int fd, pid;
	uint32_t gen, rkey;
	struct sqp q[MAX_QP];
	uint64_t sends; /* successful SENDs of this generation */
	double err_by; /* an error came: the connection must close by then */
	double drain_by;
	unsigned int gens, closed;
	int pending_fd;
	struct hello pending;
};

static struct ibv_context *ctx;
static struct ibv_pd *pd;
static struct ibv_cq *cq;
static struct ibv_comp_channel *ch;
static struct ibv_mr *mr;
static uint8_t *lbuf;
static union ibv_gid my_gid;
static struct grp grp[2];
static uint32_t next_seed = 1;
static bool stopping;
static uint64_t ops[NOPS], vbytes, n_err[IBV_WC_GENERAL_ERR + 2];

static const char *status_name(int s)
{
	static char other[32];

	switch (s) {
	case IBV_WC_RETRY_EXC_ERR:
		return "RETRY_EXC_ERR";
	case IBV_WC_WR_FLUSH_ERR:
		return "WR_FLUSH_ERR";
	case IBV_WC_RNR_RETRY_EXC_ERR:
		return "RNR_RETRY_EXC_ERR";
	case IBV_WC_REM_ACCESS_ERR:
		return "REM_ACCESS_ERR";
	case IBV_WC_REM_INV_REQ_ERR:
		return "REM_INV_REQ_ERR";
	case IBV_WC_REM_OP_ERR:
		return "REM_OP_ERR";
	default:
		snprintf(other, sizeof(other), "status%d", s);
		return other;
	}
}

static uint64_t wr_id(struct grp *g, int i, enum op op)
{
	return (uint64_t)g->gen << 32 | (uint64_t)g->role << 16 |
	       (uint64_t)i << 8 | op;
}

/* Posts the next round on QP @i of @g. */
static void post_round(struct grp *g, int i)
{
	struct sqp *q = &g->q[i];
	uint64_t *res = (uint64_t *)(q->l + L_ATOM);
	struct ibv_send_wr wr[NOPS], *bad;
	struct ibv_sge sge[NOPS];
	uint32_t wlen, slen;
	int k;

	q->wseed = next_seed++;
	q->sseed = next_seed++;
	wlen = len_of(q->wseed);
	slen = len_of(q->sseed);
	pattern(q->l + L_WSRC, wlen, q->wseed);
	memset(q->l + L_RDST, 0, wlen);
	pattern(q->l + L_SSRC, slen, q->sseed);
	res[0] = res[1] = ~0ull;
	q->add = ((uint64_t)random() << 20 | 1) + q->wseed;
	/* Every other round the compare misses and nothing is swapped. */
	q->cas_hit = q->wseed & 2;
	q->cmp = q->ctr + q->add + (q->cas_hit ? 0 : 1);
	q->swap = (uint64_t)random() << 31 ^ (uint64_t)random();

	memset(wr, 0, sizeof(wr));
	sge[OP_WRITE] =
		(struct ibv_sge){ (uintptr_t)q->l + L_WSRC, wlen, mr->lkey };
	sge[OP_READ] =
		(struct ibv_sge){ (uintptr_t)q->l + L_RDST, wlen, mr->lkey };
	sge[OP_FADD] = (struct ibv_sge){ (uintptr_t)&res[0], 8, mr->lkey };
	sge[OP_CAS] = (struct ibv_sge){ (uintptr_t)&res[1], 8, mr->lkey };
	sge[OP_SEND] =
		(struct ibv_sge){ (uintptr_t)q->l + L_SSRC, slen, mr->lkey };
	for (k = 0; k < NOPS; k++) {
		wr[k].wr_id = wr_id(g, i, (enum op)k);
		wr[k].sg_list = &sge[k];
		wr[k].num_sge = 1;
		wr[k].send_flags = IBV_SEND_SIGNALED;
		wr[k].next = k + 1 < NOPS ? &wr[k + 1] : NULL;
	}
	wr[OP_WRITE].opcode = IBV_WR_RDMA_WRITE;
	wr[OP_WRITE].wr.rdma.remote_addr = q->raddr + R_DATA;
	wr[OP_WRITE].wr.rdma.rkey = g->rkey;
	/* RC executes requests in order: the READ sees the WRITE. */
	wr[OP_READ].opcode = IBV_WR_RDMA_READ;
	wr[OP_READ].wr.rdma.remote_addr = q->raddr + R_DATA;
	wr[OP_READ].wr.rdma.rkey = g->rkey;
	wr[OP_FADD].opcode = IBV_WR_ATOMIC_FETCH_AND_ADD;
	wr[OP_FADD].wr.atomic.remote_addr = q->raddr + R_ATOM;
	wr[OP_FADD].wr.atomic.rkey = g->rkey;
	wr[OP_FADD].wr.atomic.compare_add = q->add;
	wr[OP_CAS].opcode = IBV_WR_ATOMIC_CMP_AND_SWP;
	wr[OP_CAS].wr.atomic.remote_addr = q->raddr + R_ATOM;
	wr[OP_CAS].wr.atomic.rkey = g->rkey;
	wr[OP_CAS].wr.atomic.compare_add = q->cmp;
	wr[OP_CAS].wr.atomic.swap = q->swap;
	wr[OP_SEND].opcode = IBV_WR_SEND_WITH_IMM;
	wr[OP_SEND].imm_data = htonl(q->sseed);
	if (ibv_post_send(q->qp, wr, &bad))
		die("%s QP %d: post_send: %m", role_name[g->role], i);
	q->outstanding = NOPS;
	q->posted = now_s();
}

/* A round of QP @i completed without error: checks what it returned. */
static void verify_round(struct grp *g, int i)
{
	struct sqp *q = &g->q[i];
	uint64_t *res = (uint64_t *)(q->l + L_ATOM);
	uint32_t wlen = len_of(q->wseed), slen = len_of(q->sseed);
	const char *rn = role_name[g->role];

	if (memcmp(q->l + L_RDST, q->l + L_WSRC, wlen))
		die("%s QP %d: READ of %u bytes (seed %u) differs from the "
		    "WRITE",
		    rn, i, wlen, q->wseed);
	if (res[0] != q->ctr)
		die("%s QP %d: FETCH_ADD returned %#llx, counter was %#llx", rn,
		    i, (unsigned long long)res[0], (unsigned long long)q->ctr);
	q->ctr += q->add;
	if (res[1] != q->ctr)
		die("%s QP %d: CMP_SWAP returned %#llx, counter was %#llx", rn,
		    i, (unsigned long long)res[1], (unsigned long long)q->ctr);
	if (q->cas_hit)
		q->ctr = q->swap;
	ops[OP_WRITE]++;
	ops[OP_READ]++;
	ops[OP_FADD]++;
	ops[OP_CAS]++;
	ops[OP_SEND]++;
	vbytes += wlen + slen + 16;
	g->sends++;
}

static void on_wc(const struct ibv_wc *wc)
{
	int r = (int)(wc->wr_id >> 16 & 0xff), i = (int)(wc->wr_id >> 8 & 0xff);
	uint32_t gen = (uint32_t)(wc->wr_id >> 32);
	enum op op = (enum op)(wc->wr_id & 0xff);
	struct grp *g;
	struct sqp *q;

	if (r > VOLATILE || i >= nqp || op >= NOPS)
		die("completion with unknown wr_id %#llx",
		    (unsigned long long)wc->wr_id);
	g = &grp[r];
	q = &g->q[i];
	if (g->st == G_NONE || gen != g->gen || !q->outstanding)
		die("%s QP %d: stray completion (generation %u, now %u)",
		    role_name[r], i, gen, g->gen);
	if (wc->status != IBV_WC_SUCCESS) {
		n_err[wc->status <= IBV_WC_GENERAL_ERR ?
			      wc->status :
			      IBV_WC_GENERAL_ERR + 1]++;
		if (g->role == STABLE || (wc->status != IBV_WC_RETRY_EXC_ERR &&
					  wc->status != IBV_WC_WR_FLUSH_ERR))
			die("%s QP %d: %s: %s (%s)", role_name[r], i,
			    op_name[op], status_name(wc->status),
			    ibv_wc_status_str(wc->status));
		/* The peer may not be known dead yet: its TCP must close. */
		if (g->st == G_ACTIVE && !g->err_by)
			g->err_by = now_s() + GRACE_SEC;
		q->failed = true;
	} else if (op == OP_READ && wc->byte_len != len_of(q->wseed)) {
		die("%s QP %d: READ byte_len %u, want %u", role_name[r], i,
		    wc->byte_len, len_of(q->wseed));
	}
	if (--q->outstanding)
		return;
	if (q->failed)
		return;
	verify_round(g, i);
	if (g->st == G_ACTIVE && !stopping)
		post_round(g, i);
}

static int drain_cq(void)
{
	struct ibv_wc wc[64];
	int n, k, total = 0;

	do {
		n = ibv_poll_cq(cq, 64, wc);
		if (n < 0)
			die("poll_cq: %d", n);
		for (k = 0; k < n; k++)
			on_wc(&wc[k]);
		total += n;
	} while (n == 64);
	return total;
}

static void destroy_qps(struct grp *g)
{
	int i;

	for (i = 0; i < nqp; i++) {
		if (g->q[i].qp && ibv_destroy_qp(g->q[i].qp))
			die("%s QP %d: destroy_qp: %m", role_name[g->role], i);
		g->q[i].qp = NULL;
	}
}

/* Ends a generation whose QPs are all idle. */
static void end_gen(struct grp *g)
{
	destroy_qps(g);
	close(g->fd);
	g->fd = -1;
	g->st = G_NONE;
	g->err_by = 0;
}

/* Sets up a generation for the peer that sent @h over @fd. */
static void start_gen(struct grp *g, int fd, const struct hello *h)
{
	struct ibv_qp_init_attr ia = { .qp_type = IBV_QPT_RC };
	struct hello r = { .magic = MAGIC, .nqp = (uint32_t)nqp };
	const char *rn = role_name[g->role];
	union ibv_gid pgid;
	struct msg m;
	int i;

	ia.send_cq = cq;
	ia.recv_cq = cq;
	ia.cap.max_send_wr = NOPS;
	ia.cap.max_recv_wr = 1;
	ia.cap.max_send_sge = 1;
	ia.cap.max_recv_sge = 1;
	memcpy(pgid.raw, h->gid, 16);
	memcpy(r.gid, my_gid.raw, 16);
	g->gen++;
	for (i = 0; i < nqp; i++) {
		struct sqp *q = &g->q[i];

		memset(q, 0, sizeof(*q));
		q->l = lbuf + ((size_t)g->role * nqp + i) * LSLOT;
		q->raddr = h->addr + (uint64_t)i * RSLOT;
		q->qp = ibv_create_qp(pd, &ia);
		if (!q->qp)
			die("%s: create_qp: %m", rn);
		qp_init(q->qp, IBV_QPT_RC);
		qp_rtr(q->qp, &pgid, h->qpn[i], h->psn[i]);
		r.qpn[i] = q->qp->qp_num;
		r.psn[i] = rnd24();
		rts(q->qp, r.psn[i]);
	}
	g->fd = fd;
	g->pid = (int)h->pid;
	g->rkey = h->rkey;
	g->sends = 0;
	g->err_by = 0;
	if (write_full(fd, &r, sizeof(r)) ||
	    read_full(fd, &m, sizeof(m), IO_SEC) != 1 || m.magic != MAGIC ||
	    m.type != M_READY) {
		if (g->role == STABLE)
			die("stable peer: handshake failed");
		/* Killed during the handshake: nothing was posted. */
		printf("soak: volatile peer %d died in the handshake\n",
		       g->pid);
		end_gen(g);
		return;
	}
	g->st = G_ACTIVE;
	g->gens++;
	for (i = 0; i < nqp; i++)
		post_round(g, i);
}

static void on_accept(int lfd)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC), one = 1;
	struct hello h;
	struct grp *g;

	if (fd < 0)
		return;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (read_full(fd, &h, sizeof(h), IO_SEC) != 1 || h.magic != MAGIC ||
	    h.role > VOLATILE || h.nqp != (uint32_t)nqp) {
		/* A volatile peer killed before its hello. */
		close(fd);
		return;
	}
	g = &grp[h.role];
	if (g->role == STABLE && (g->gens || g->st != G_NONE))
		die("a second stable peer");
	if (g->st == G_NONE && !stopping) {
		start_gen(g, fd, &h);
		return;
	}
	/* The dead predecessor's QPs still drain: the newest one waits. */
	if (g->pending_fd >= 0)
		close(g->pending_fd);
	g->pending_fd = fd;
	g->pending = h;
}

/* The peer's connection has something: a failure report or its end. */
static void on_conn(struct grp *g)
{
	struct msg m;
	int r = read_full(g->fd, &m, sizeof(m), IO_SEC);
	int i;

	if (r == 1 && m.magic == MAGIC && m.type == M_FAIL)
		die("%s peer %d found corrupted data (its log says more)",
		    role_name[g->role], g->pid);
	if (r == 1)
		die("%s peer: unexpected message %u", role_name[g->role],
		    m.type);
	if (g->role == STABLE)
		die("the stable peer's connection closed");
	/* Killed: what is outstanding must end in errors, in time. */
	g->st = G_DRAINING;
	g->closed++;
	g->drain_by = now_s() + DRAIN_SEC;
	for (i = 0; i < nqp; i++)
		if (g->q[i].outstanding)
			return;
	end_gen(g);
}

/* Fails the run on a stall or an unexplained error; ends drained QPs. */
static void check_deadlines(void)
{
	double t = now_s();
	int r, i, busy;

	for (r = STABLE; r <= VOLATILE; r++) {
		struct grp *g = &grp[r];

		if (g->st == G_NONE)
			continue;
		if (g->st == G_ACTIVE && g->err_by && t > g->err_by)
			die("%s QPs got errors but peer %d is alive",
			    role_name[r], g->pid);
		for (i = 0, busy = 0; i < nqp; i++) {
			struct sqp *q = &g->q[i];

			if (!q->outstanding)
				continue;
			busy++;
			if (g->st == G_ACTIVE && t - q->posted > STALL_SEC)
				die("%s QP %d: %d WRs outstanding for %.0f s",
				    role_name[r], i, q->outstanding,
				    t - q->posted);
		}
		if (g->st == G_DRAINING && !busy)
			end_gen(g);
		else if (g->st == G_DRAINING && t > g->drain_by)
			die("%s peer %d died %d s ago; %d QPs still have WRs "
			    "outstanding",
			    role_name[r], g->pid, DRAIN_SEC, busy);
		if (g->st == G_NONE && g->pending_fd >= 0 && !stopping) {
			int fd = g->pending_fd;

			g->pending_fd = -1;
			start_gen(g, fd, &g->pending);
		}
	}
}

struct sample {
	double t;
	long rss, prss;
	int fds, pfds;
};

static const char *fault_line(char *out, size_t len)
{
	char *ep = ep_read(UROCE_EP_PREFIX, getpid());

	if (!ep)
		return "(no query endpoint)";
	snprintf(out, len,
		 "drop=%lld dup=%lld reorder=%lld; retransmissions=%lld "
		 "timeouts=%lld seq_naks_rcvd=%lld",
		 ep_counter(ep, -1, "fault_drop"),
		 ep_counter(ep, -1, "fault_dup"),
		 ep_counter(ep, -1, "fault_reorder"),
		 ep_counter(ep, -1, "retrans"), ep_counter(ep, -1, "timeouts"),
		 ep_counter(ep, -1, "seq_naks_rcvd"));
	free(ep);
	return out;
}

static const char *err_line(char *out, size_t len)
{
	size_t o = 0;
	int s;

	out[0] = '\0';
	for (s = 1; s <= IBV_WC_GENERAL_ERR + 1; s++)
		if (n_err[s] && o < len)
			o += (size_t)snprintf(out + o, len - o, " %s=%llu",
					      status_name(s),
					      (unsigned long long)n_err[s]);
	return out[0] ? out + 1 : "none";
}

static uint64_t total_ops(void)
{
	uint64_t n = 0;
	int k;

	for (k = 0; k < NOPS; k++)
		n += ops[k];
	return n;
}

static void report(const struct sample *s)
{
	char eb[256];

	printf("soak: t=%4.0fs ops=%llu verified=%llu MB restarts=%u "
	       "errors: %s; rss=%ld kB fds=%d; stable peer rss=%ld kB fds=%d\n",
	       s->t, (unsigned long long)total_ops(),
	       (unsigned long long)(vbytes >> 20), grp[VOLATILE].closed,
	       err_line(eb, sizeof(eb)), s->rss, s->fds, s->prss, s->pfds);
	fflush(stdout);
}

static void take(struct sample *s, double t)
{
	s->t = t;
	s->rss = rss_kb(0);
	s->fds = fd_count(0);
	s->prss = grp[STABLE].pid ? rss_kb(grp[STABLE].pid) : -1;
	s->pfds = grp[STABLE].pid ? fd_count(grp[STABLE].pid) : -1;
}

/* Tells a live peer to stop and checks it verified every SEND. */
static void stop_peer(struct grp *g)
{
	const char *rn = role_name[g->role];
	struct msg m;

	if (send_msg(g->fd, M_STOP, g->sends, 0) ||
	    read_full(g->fd, &m, sizeof(m), 2 * IO_SEC) != 1) {
		if (g->role == STABLE)
			die("stable peer: no answer to stop");
		printf("soak: volatile peer %d died at the end\n", g->pid);
		return;
	}
	if (m.magic != MAGIC || m.type == M_FAIL)
		die("%s peer %d found corrupted data", rn, g->pid);
	if (m.type != M_DONE || m.a != g->sends)
		die("%s peer %d received %llu SENDs, %llu completed here", rn,
		    g->pid, (unsigned long long)m.a,
		    (unsigned long long)g->sends);
	printf("soak: %s peer %d: %llu SENDs verified there, as sent\n", rn,
	       g->pid, (unsigned long long)m.a);
}

static bool quiet(void)
{
	int r, i;

	for (r = STABLE; r <= VOLATILE; r++) {
		if (grp[r].st == G_DRAINING)
			return false;
		if (grp[r].st == G_NONE)
			continue;
		for (i = 0; i < nqp; i++)
			if (grp[r].q[i].outstanding)
				return false;
	}
	return true;
}

static int run_survivor(const char *dev, const char *ip, int port,
			double duration)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port) };
	int every = env_int("SOAK_REPORT", 10, 1, 3600);
	double warmup = env_int("SOAK_WARMUP", 30, 0, 86400);
	double start = 0, end = 0, stop_by = 0, next_report = 0;
	struct sample first = { .t = -1 }, last, cur, maxs = { 0 };
	bool armed = false, bad = false;
	char eb[512];
	int lfd, one = 1, r;

	if (warmup > duration / 2)
		warmup = duration / 2;
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	REQUIRE(lfd >= 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	REQUIRE(inet_pton(AF_INET, ip, &sa.sin_addr) == 1);
	REQUIRE(!bind(lfd, (struct sockaddr *)&sa, sizeof(sa)));
	REQUIRE(!listen(lfd, 8));
	srandom((unsigned int)getpid());

	ctx = open_dev(dev);
	REQUIRE(!ibv_query_gid(ctx, 1, 0, &my_gid));
	pd = ibv_alloc_pd(ctx);
	ch = ibv_create_comp_channel(ctx);
	REQUIRE(pd && ch);
	cq = ibv_create_cq(ctx, 2 * nqp * NOPS * 2, NULL, ch, 0);
	lbuf = aligned_alloc(4096, (size_t)2 * nqp * LSLOT);
	REQUIRE(cq && lbuf);
	memset(lbuf, 0, (size_t)2 * nqp * LSLOT);
	mr = ibv_reg_mr(pd, lbuf, (size_t)2 * nqp * LSLOT,
			IBV_ACCESS_LOCAL_WRITE);
	REQUIRE(mr);
	for (r = STABLE; r <= VOLATILE; r++) {
		grp[r].role = (enum role)r;
		grp[r].fd = -1;
		grp[r].pending_fd = -1;
	}
	stop_by = now_s() + WAIT_SEC;
	printf("soak: survivor %d on %s, %s:%d, %d QPs per peer, %.0f s\n",
	       getpid(), dev, ip, port, nqp, duration);
	fflush(stdout);

	for (;;) {
		struct pollfd p[4] = {
			{ .fd = lfd, .events = POLLIN },
			{ .fd = ch->fd, .events = POLLIN },
			{ .fd = grp[STABLE].fd, .events = POLLIN },
			{ .fd = grp[VOLATILE].fd, .events = POLLIN },
		};
		double t = now_s();
		int n = drain_cq(), tmo = 0;
		struct ibv_cq *ecq;
		void *ectx;

		/* The clock starts with the stable peer's traffic. */
		if (!start && grp[STABLE].st == G_ACTIVE) {
			start = t;
			end = t + duration;
			next_report = t + every;
		} else if (!start && t > stop_by) {
			die("no stable peer within %d s", WAIT_SEC);
		}
		if (start && !stopping && t >= end) {
			stopping = true;
			stop_by = t + DRAIN_SEC + STALL_SEC;
		}
		if (stopping && quiet())
			break;
		if (stopping && t > stop_by)
			die("the QPs did not quiesce at the end");
		if (!n && !armed) {
			REQUIRE(!ibv_req_notify_cq(cq, 0));
			armed = true;
			n = drain_cq();
		}
		if (!n)
			tmo = 100;
		/* Dead peers' fds stay out of the poll set. */
		if (grp[STABLE].st != G_ACTIVE)
			p[2].fd = -1;
		if (grp[VOLATILE].st != G_ACTIVE)
			p[3].fd = -1;
		if (poll(p, 4, tmo) < 0 && errno != EINTR)
			die("poll: %m");
		if (p[1].revents & POLLIN) {
			REQUIRE(!ibv_get_cq_event(ch, &ecq, &ectx));
			ibv_ack_cq_events(ecq, 1);
			armed = false;
		}
		/* Completions first, then the connection ends they explain. */
		drain_cq();
		if (p[2].revents)
			on_conn(&grp[STABLE]);
		if (p[3].revents)
			on_conn(&grp[VOLATILE]);
		if (p[0].revents & POLLIN)
			on_accept(lfd);
		check_deadlines();
		t = now_s();
		if (start && t >= next_report && t < end) {
			take(&cur, t - start);
			report(&cur);
			if (first.t < 0 && cur.t >= warmup)
				first = cur;
			if (cur.rss > maxs.rss)
				maxs.rss = cur.rss;
			if (cur.fds > maxs.fds)
				maxs.fds = cur.fds;
			next_report += every;
		}
	}

	take(&last, now_s() - start);
	report(&last);
	if (last.rss > maxs.rss)
		maxs.rss = last.rss;
	if (last.fds > maxs.fds)
		maxs.fds = last.fds;
	for (r = STABLE; r <= VOLATILE; r++)
		if (grp[r].st == G_ACTIVE)
			stop_peer(&grp[r]);
	printf("soak: summary: %.0f s, %d RC QPs, %llu operations (write %llu, "
	       "read %llu, fetch_add %llu, cmp_swap %llu, send %llu), %llu "
	       "bytes verified\n",
	       last.t, 2 * nqp, (unsigned long long)total_ops(),
	       (unsigned long long)ops[OP_WRITE],
	       (unsigned long long)ops[OP_READ],
	       (unsigned long long)ops[OP_FADD],
	       (unsigned long long)ops[OP_CAS],
	       (unsigned long long)ops[OP_SEND], (unsigned long long)vbytes);
	printf("soak: summary: volatile peer: %u generations, %u killed; "
	       "errors seen by the survivor (volatile QPs only): %s\n",
	       grp[VOLATILE].gens, grp[VOLATILE].closed,
	       err_line(eb, sizeof(eb)));
	printf("soak: summary: injected by the survivor: %s\n",
	       fault_line(eb, sizeof(eb)));
	if (first.t >= 0 && first.t < last.t) {
		printf("soak: summary: survivor rss %ld -> %ld kB (max %ld), "
		       "fds %d -> %d (max %d), from t=%.0fs; stable peer "
		       "rss %ld -> %ld kB, fds %d -> %d\n",
		       first.rss, last.rss, maxs.rss, first.fds, last.fds,
		       maxs.fds, first.t, first.prss, last.prss, first.pfds,
		       last.pfds);
		/* Growth past a margin: a leak, not an allocator's noise. */
		if (!RSS_CHECK) {
			printf("soak: summary: RSS not checked (ASan)\n");
		} else if (last.rss > first.rss + first.rss / 5 ||
			   last.prss > first.prss + first.prss / 5) {
			printf("soak: FAIL: RSS grew by more than 20%%\n");
			bad = true;
		}
		if (last.fds > first.fds + 4 || last.pfds > first.pfds + 4) {
			printf("soak: FAIL: fds grew by more than 4\n");
			bad = true;
		}
	} else {
		printf("soak: summary: too short for a steady sample after "
		       "%.0f s of warm-up\n",
		       warmup);
	}
	if (!grp[VOLATILE].gens)
		die("the volatile peer never connected");
	for (r = STABLE; r <= VOLATILE; r++) {
		if (grp[r].st == G_ACTIVE)
			end_gen(&grp[r]);
		if (grp[r].pending_fd >= 0)
			close(grp[r].pending_fd);
	}
	REQUIRE(!ibv_destroy_cq(cq));
	REQUIRE(!ibv_destroy_comp_channel(ch));
	REQUIRE(!ibv_dereg_mr(mr));
	REQUIRE(!ibv_dealloc_pd(pd));
	REQUIRE(!ibv_close_device(ctx));
	free(lbuf);
	close(lfd);
	printf("soak: %s\n", bad ? "FAIL" : "PASS");
	return bad;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	nqp = env_int("SOAK_QPS", 32, 1, MAX_QP);
	if (argc == 6 && !strcmp(argv[1], "survivor"))
		return run_survivor(argv[2], argv[3], atoi(argv[4]),
				    atof(argv[5]));
	if (argc == 7 && !strcmp(argv[1], "peer") &&
	    (!strcmp(argv[2], "stable") || !strcmp(argv[2], "volatile")))
		return run_peer(argv[2], argv[3], argv[4], atoi(argv[5]),
				argv[6]);
	fprintf(stderr,
		"usage: %s survivor DEV IP PORT SECONDS\n"
		"       %s peer stable|volatile DEV IP PORT DIR\n",
		argv[0], argv[0]);
	return 2;
}
