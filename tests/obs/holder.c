// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * holder -d DEV -o OUT -i IN [-r send|recv] [-n N] [-s S] [-u MS] [-c COMM]
 *
 * Holds live verbs resources for the observability tests, with the public
 * verbs API only: opens DEV, creates a PD, an MR, two CQs and an RC QP,
 * writes its QPN, PSN and GID (index 0) to the file OUT, reads its peer's
 * from IN (another holder, perhaps in another network namespace), and
 * connects to it. As sender it then sends N messages of S bytes; as
 * receiver it receives and verifies them; -u MS makes the sender post
 * all but the last unsignaled, MS milliseconds apart. It prints what the tests
 * compare ("pid", "qpn", "gid", "mr ...", the peer's), then "ready", and
 * holds everything until its standard input closes or a signal ends it.
 * -c sets its command name (comm). Exit status 0, or 1 on a failure.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <infiniband/verbs.h>

#define WAIT_SEC 60
#define SEND_DEPTH 64
#define RECV_DEPTH 4096

struct peer {
	uint32_t qpn, psn;
	union ibv_gid gid;
};

struct holder {
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_mr *mr;
	struct ibv_cq *scq, *rcq;
	struct ibv_qp *qp;
	char *buf;
	size_t slots, size;
	enum ibv_mtu mtu;
	union ibv_gid gid;
	uint32_t psn;
	unsigned long gap_ms; /* -u */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static int die(const char *what)
{
	fprintf(stderr, "holder: %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint8_t pattern(unsigned long msg, size_t i)
{
	return (uint8_t)(msg * 131 + i * 7 + 1);
}

static struct ibv_context *open_dev(const char *name)
{
	struct ibv_device **list, **d;
	struct ibv_context *ctx = NULL;

	list = ibv_get_device_list(NULL);
	if (!list)
		die("ibv_get_device_list");
	for (d = list; *d; d++)
		if (!strcmp(ibv_get_device_name(*d), name))
			ctx = ibv_open_device(*d);
	ibv_free_device_list(list);
	if (!ctx) {
		errno = errno ?: ENODEV;
		die(name);
	}
	return ctx;
}

/* Written to a temporary name, then renamed: the peer never reads half. */
static void write_file(const char *path, const char *text)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) || rename(tmp, path))
		die(path);
}

/* Waits for path to exist and reads it into buf. */
static void read_file(const char *path, char *buf, size_t len)
{
	time_t end = time(NULL) + WAIT_SEC;
	size_t n;
	FILE *f;

	while (!(f = fopen(path, "r"))) {
		if (errno != ENOENT || time(NULL) > end || stop)
			die(path);
		usleep(10000);
	}
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static void exchange(struct holder *h, const char *out, const char *in,
		     struct peer *p)
{
	char text[256], gid[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, h->gid.raw, gid, sizeof(gid));
	snprintf(text, sizeof(text), "%u %u %s\n", h->qp->qp_num, h->psn, gid);
	write_file(out, text);
	read_file(in, text, sizeof(text));
	if (sscanf(text, "%u %u %45s", &p->qpn, &p->psn, gid) != 3 ||
	    inet_pton(AF_INET6, gid, p->gid.raw) != 1) {
		errno = EINVAL;
		die(in);
	}
}

static void init_qp(struct holder *h)
{
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_INIT,
		.port_num = 1,
		.qp_access_flags = IBV_ACCESS_REMOTE_WRITE |
				   IBV_ACCESS_REMOTE_READ,
	};

	errno = ibv_modify_qp(h->qp, &a,
			      IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT |
				      IBV_QP_ACCESS_FLAGS);
	if (errno)
		die("INIT");
}

static void connect_qp(struct holder *h, const struct peer *p)
{
	struct ibv_qp_attr a = {};

	a.qp_state = IBV_QPS_RTR;
	a.path_mtu = h->mtu;
	a.dest_qp_num = p->qpn;
	a.rq_psn = p->psn;
	a.max_dest_rd_atomic = 1;
	a.min_rnr_timer = 1;
	a.ah_attr.is_global = 1;
	a.ah_attr.grh.dgid = p->gid;
	a.ah_attr.grh.hop_limit = 64;
	a.ah_attr.port_num = 1;
	errno = ibv_modify_qp(h->qp, &a,
			      IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
				      IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
				      IBV_QP_MAX_DEST_RD_ATOMIC |
				      IBV_QP_MIN_RNR_TIMER);
	if (errno)
		die("RTR");
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTS;
	a.timeout = 14;
	a.retry_cnt = 7;
	a.rnr_retry = 7;
	a.sq_psn = h->psn;
	a.max_rd_atomic = 1;
	errno = ibv_modify_qp(h->qp, &a,
			      IBV_QP_STATE | IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT |
				      IBV_QP_RNR_RETRY | IBV_QP_SQ_PSN |
				      IBV_QP_MAX_QP_RD_ATOMIC);
	if (errno)
		die("RTS");
}

static void post_recv(struct holder *h, size_t slot)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)h->buf + slot * h->size,
		.length = h->size,
		.lkey = h->mr->lkey,
	};
	struct ibv_recv_wr wr = { .wr_id = slot,
				  .sg_list = &sge,
				  .num_sge = 1 };
	struct ibv_recv_wr *bad;

	errno = ibv_post_recv(h->qp, &wr, &bad);
	if (errno)
		die("ibv_post_recv");
}

static void post_send(struct holder *h, unsigned long msg, bool signaled)
{
	size_t slot = msg % h->slots, i;
	uint8_t *p = (uint8_t *)h->buf + slot * h->size;
	struct ibv_sge sge = {
		.addr = (uintptr_t)p,
		.length = h->size,
		.lkey = h->mr->lkey,
	};
	struct ibv_send_wr wr = {
		.wr_id = msg,
		.sg_list = &sge,
		.num_sge = 1,
		.opcode = IBV_WR_SEND,
		.send_flags = signaled ? IBV_SEND_SIGNALED : 0,
	};
	struct ibv_send_wr *bad;

	for (i = 0; i < h->size; i++)
		p[i] = pattern(msg, i);
	errno = ibv_post_send(h->qp, &wr, &bad);
	if (errno)
		die("ibv_post_send");
}

/* One completion of cq, successful; fails after WAIT_SEC without one. */
static void poll_one(struct ibv_cq *cq, struct ibv_wc *wc)
{
	time_t end = time(NULL) + WAIT_SEC;
	int n;

	while (!(n = ibv_poll_cq(cq, 1, wc)))
		if (time(NULL) > end || stop) {
			errno = ETIMEDOUT;
			die("ibv_poll_cq");
		}
	if (n < 0)
		die("ibv_poll_cq");
	if (wc->status != IBV_WC_SUCCESS) {
		fprintf(stderr, "holder: completion %s\n",
			ibv_wc_status_str(wc->status));
		exit(1);
	}
}

static void send_all(struct holder *h, unsigned long n)
{
	unsigned long posted = 0, done = 0;
	struct ibv_wc wc;

	if (h->gap_ms) {
		/* Only the last completes: it stands for all (RC order). */
		while (posted < n) {
			if (posted)
				usleep(h->gap_ms * 1000);
			post_send(h, posted, posted + 1 == n);
			posted++;
		}
		if (n)
			poll_one(h->scq, &wc);
		return;
	}
	while (done < n) {
		while (posted < n && posted - done < h->slots)
			post_send(h, posted++, true);
		poll_one(h->scq, &wc);
		done++;
	}
}

static void recv_all(struct holder *h, unsigned long n)
{
	unsigned long msg;
	struct ibv_wc wc;
	uint8_t *p;
	size_t i;

	for (msg = 0; msg < n; msg++) {
		poll_one(h->rcq, &wc);
		p = (uint8_t *)h->buf + wc.wr_id * h->size;
		if (wc.byte_len != h->size) {
			fprintf(stderr, "holder: message %lu: %u bytes\n", msg,
				wc.byte_len);
			exit(1);
		}
		for (i = 0; i < h->size; i++)
			if (p[i] != pattern(msg, i)) {
				fprintf(stderr,
					"holder: message %lu: byte %zu\n", msg,
					i);
				exit(1);
			}
		if (msg + h->slots < n)
			post_recv(h, wc.wr_id);
	}
}

static void setup(struct holder *h, const char *dev, unsigned long n, bool recv)
{
	struct ibv_qp_init_attr ia = { .qp_type = IBV_QPT_RC };
	struct ibv_port_attr port;
	size_t i;

	h->ctx = open_dev(dev);
	errno = ibv_query_port(h->ctx, 1, &port);
	if (errno || ibv_query_gid(h->ctx, 1, 0, &h->gid))
		die("query");
	h->mtu = port.active_mtu;
	h->slots = recv ? (n < RECV_DEPTH ? n : RECV_DEPTH) : SEND_DEPTH;
	if (!h->slots)
		h->slots = 1;
	h->buf = calloc(h->slots, h->size ?: 1);
	h->pd = ibv_alloc_pd(h->ctx);
	if (!h->buf || !h->pd)
		die("alloc");
	h->mr = ibv_reg_mr(h->pd, h->buf, h->slots * (h->size ?: 1),
			   IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
				   IBV_ACCESS_REMOTE_READ);
	h->scq = ibv_create_cq(h->ctx, SEND_DEPTH, NULL, NULL, 0);
	h->rcq = ibv_create_cq(h->ctx, RECV_DEPTH, NULL, NULL, 0);
	if (!h->mr || !h->scq || !h->rcq)
		die("resources");
	ia.send_cq = h->scq;
	ia.recv_cq = h->rcq;
	ia.cap.max_send_wr = SEND_DEPTH;
	ia.cap.max_recv_wr = RECV_DEPTH;
	ia.cap.max_send_sge = 1;
	ia.cap.max_recv_sge = 1;
	h->qp = ibv_create_qp(h->pd, &ia);
	if (!h->qp)
		die("ibv_create_qp");
	init_qp(h);
	/* Posted before the peer can send: no RNR in a counted exchange. */
	for (i = 0; recv && i < h->slots && i < n; i++)
		post_recv(h, i);
	srand(getpid() ^ time(NULL));
	h->psn = rand() & 0xffffff;
}

static void report(const struct holder *h, const struct peer *p)
{
	char gid[INET6_ADDRSTRLEN];

	printf("pid %d\n", (int)getpid());
	printf("qpn %u\npsn %u\n", h->qp->qp_num, h->psn);
	printf("gid %s\n", inet_ntop(AF_INET6, h->gid.raw, gid, sizeof(gid)));
	printf("mtu %d\n", 128 << h->mtu);
	printf("pd %u\nscq %u\nrcq %u\n", h->pd->handle, h->scq->handle,
	       h->rcq->handle);
	printf("mr addr 0x%llx len %zu lkey 0x%x rkey 0x%x\n",
	       (unsigned long long)(uintptr_t)h->mr->addr, h->mr->length,
	       h->mr->lkey, h->mr->rkey);
	printf("peer_qpn %u\n", p->qpn);
	printf("peer_gid %s\n",
	       inet_ntop(AF_INET6, p->gid.raw, gid, sizeof(gid)));
	printf("ready\n");
	fflush(stdout);
}

static void teardown(struct holder *h)
{
	if (ibv_destroy_qp(h->qp) || ibv_destroy_cq(h->scq) ||
	    ibv_destroy_cq(h->rcq) || ibv_dereg_mr(h->mr) ||
	    ibv_dealloc_pd(h->pd) || ibv_close_device(h->ctx))
		die("teardown");
	free(h->buf);
}

int main(int argc, char **argv)
{
	const char *dev = NULL, *out = NULL, *in = NULL, *role = "send";
	struct sigaction sa = { .sa_handler = on_signal };
	char path[4096], text[64], c;
	struct holder h = {};
	unsigned long n = 0;
	struct peer p;
	int opt;

	while ((opt = getopt(argc, argv, "d:o:i:r:n:s:u:c:")) != -1) {
		switch (opt) {
		case 'd':
			dev = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'i':
			in = optarg;
			break;
		case 'r':
			role = optarg;
			break;
		case 'n':
			n = strtoul(optarg, NULL, 0);
			break;
		case 's':
			h.size = strtoul(optarg, NULL, 0);
			break;
		case 'u':
			h.gap_ms = strtoul(optarg, NULL, 0);
			break;
		case 'c':
			prctl(PR_SET_NAME, optarg);
			break;
		default:
			return 1;
		}
	}
	if (!dev || !out || !in ||
	    (strcmp(role, "send") && strcmp(role, "recv")) || (n && !h.size)) {
		fprintf(stderr, "usage: holder -d DEV -o OUT -i IN "
				"[-r send|recv] [-n N] [-s S] [-u MS] "
				"[-c COMM]\n");
		return 1;
	}
	/* No SA_RESTART: a signal ends the wait on stdin. */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	setup(&h, dev, n, !strcmp(role, "recv"));
	exchange(&h, out, in, &p);
	connect_qp(&h, &p);
	/* Both RTS before the first packet: nothing is lost to RTR. */
	snprintf(path, sizeof(path), "%s.rts", out);
	write_file(path, "\n");
	snprintf(path, sizeof(path), "%s.rts", in);
	read_file(path, text, sizeof(text));
	if (!strcmp(role, "send"))
		send_all(&h, n);
	else
		recv_all(&h, n);
	report(&h, &p);
	while (!stop && read(0, &c, 1) > 0)
		;
	teardown(&h);
	return 0;
}
