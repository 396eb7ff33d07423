// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * An RC exchange over the verbs API only, built outside the tree with the
 * installed pkg-config files: the server and the client swap QPN, PSN and
 * GID (index 0) over TCP, then the client SENDs "ping", the server answers
 * with an RDMA WRITE of "pong" into the client's buffer followed by a SEND
 * with immediate data. Prints "inst_verbs: ok" and exits 0 on success.
 *
 *   inst_verbs DEV server PORT
 *   inst_verbs DEV client ADDR PORT
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <infiniband/verbs.h>

#define BUF 4096

struct peer {
	uint32_t qpn, psn, rkey;
	uint64_t addr;
	uint8_t gid[16];
};

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static int tcp_connect(const char *host, const char *port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	int fd, i;

	if (getaddrinfo(host, port, &hints, &ai))
		die("getaddrinfo");
	for (i = 0; i < 100; i++) {
		fd = socket(ai->ai_family, SOCK_STREAM, 0);
		if (fd < 0)
			die("socket");
		if (!connect(fd, ai->ai_addr, ai->ai_addrlen)) {
			freeaddrinfo(ai);
			return fd;
		}
		close(fd);
		usleep(100000);
	}
	die("connect");
	return -1;
}

static int tcp_accept(const char *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd, c, on = 1;

	sa.sin_port = htons(atoi(port));
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)))
		die("socket");
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 1))
		die("bind");
	c = accept(fd, NULL, NULL);
	if (c < 0)
		die("accept");
	close(fd);
	return c;
}

static void xfer(int fd, struct peer *mine, struct peer *theirs)
{
	if (write(fd, mine, sizeof(*mine)) != sizeof(*mine) ||
	    read(fd, theirs, sizeof(*theirs)) != sizeof(*theirs))
		die("exchange");
}

static struct ibv_wc poll_one(struct ibv_cq *cq)
{
	struct timespec t0, t;
	struct ibv_wc wc;
	int n;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		n = ibv_poll_cq(cq, 1, &wc);
		if (n < 0)
			die("ibv_poll_cq");
		if (n) {
			if (wc.status != IBV_WC_SUCCESS) {
				fprintf(stderr, "completion: %s\n",
					ibv_wc_status_str(wc.status));
				exit(1);
			}
			return wc;
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 20) {
			fprintf(stderr, "no completion in 20 s\n");
			exit(1);
		}
	}
}

static void to_init(struct ibv_qp *qp)
{
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_INIT,
		.port_num = 1,
		.qp_access_flags = IBV_ACCESS_REMOTE_WRITE,
	};

	if (ibv_modify_qp(qp, &a,
			  IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT |
				  IBV_QP_ACCESS_FLAGS))
		die("INIT");
}

static void to_rts(struct ibv_qp *qp, const struct peer *p, uint32_t psn)
{
	struct ibv_qp_attr a;

	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTR;
	a.path_mtu = IBV_MTU_1024;
	a.dest_qp_num = p->qpn;
	a.rq_psn = p->psn;
	a.max_dest_rd_atomic = 1;
	a.min_rnr_timer = 12;
	a.ah_attr.is_global = 1;
	a.ah_attr.port_num = 1;
	a.ah_attr.grh.hop_limit = 64;
	memcpy(a.ah_attr.grh.dgid.raw, p->gid, 16);
	if (ibv_modify_qp(qp, &a,
			  IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
				  IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
				  IBV_QP_MAX_DEST_RD_ATOMIC |
				  IBV_QP_MIN_RNR_TIMER))
		die("RTR");
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTS;
	a.sq_psn = psn;
	a.timeout = 14;
	a.retry_cnt = 7;
	a.rnr_retry = 7;
	a.max_rd_atomic = 1;
	if (ibv_modify_qp(qp, &a,
			  IBV_QP_STATE | IBV_QP_SQ_PSN | IBV_QP_TIMEOUT |
				  IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
				  IBV_QP_MAX_QP_RD_ATOMIC))
		die("RTS");
}

static void post_recv(struct ibv_qp *qp, struct ibv_mr *mr, char *buf)
{
	struct ibv_sge sge = { (uintptr_t)buf, 64, mr->lkey };
	struct ibv_recv_wr wr = { .sg_list = &sge, .num_sge = 1 }, *bad;

	if (ibv_post_recv(qp, &wr, &bad))
		die("ibv_post_recv");
}

static void post_send(struct ibv_qp *qp, struct ibv_send_wr *wr)
{
	struct ibv_send_wr *bad;

	if (ibv_post_send(qp, wr, &bad))
		die("ibv_post_send");
}

int main(int argc, char **argv)
{
	struct ibv_device **list;
	struct ibv_context *ctx = NULL;
	struct peer mine = {}, theirs;
	struct ibv_qp_init_attr qa = {};
	union ibv_gid gid;
	struct ibv_sge sge;
	struct ibv_send_wr wr;
	struct ibv_wc wc;
	struct ibv_mr *mr;
	struct ibv_cq *cq;
	struct ibv_pd *pd;
	struct ibv_qp *qp;
	bool server;
	char *buf;
	int i, fd;

	if (argc < 4 || (strcmp(argv[2], "server") && argc < 5)) {
		fprintf(stderr,
			"usage: %s DEV server PORT | DEV client ADDR "
			"PORT\n",
			argv[0]);
		return 2;
	}
	server = !strcmp(argv[2], "server");
	list = ibv_get_device_list(NULL);
	for (i = 0; list && list[i]; i++)
		if (!strcmp(ibv_get_device_name(list[i]), argv[1]))
			ctx = ibv_open_device(list[i]);
	if (!ctx) {
		fprintf(stderr, "no device %s\n", argv[1]);
		return 1;
	}
	pd = ibv_alloc_pd(ctx);
	cq = ibv_create_cq(ctx, 16, NULL, NULL, 0);
	buf = aligned_alloc(4096, BUF);
	if (!pd || !cq || !buf)
		die("resources");
	memset(buf, 0, BUF);
	mr = ibv_reg_mr(pd, buf, BUF,
			IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE);
	if (!mr)
		die("ibv_reg_mr");
	qa.send_cq = cq;
	qa.recv_cq = cq;
	qa.qp_type = IBV_QPT_RC;
	qa.cap.max_send_wr = 4;
	qa.cap.max_recv_wr = 4;
	qa.cap.max_send_sge = 1;
	qa.cap.max_recv_sge = 1;
	qp = ibv_create_qp(pd, &qa);
	if (!qp || ibv_query_gid(ctx, 1, 0, &gid))
		die("ibv_create_qp");
	to_init(qp);
	post_recv(qp, mr, buf);

	mine.qpn = qp->qp_num;
	mine.psn = server ? 0x1234 : 0x4321;
	mine.rkey = mr->rkey;
	mine.addr = (uintptr_t)buf;
	memcpy(mine.gid, gid.raw, 16);
	fd = server ? tcp_accept(argv[3]) : tcp_connect(argv[3], argv[4]);
	xfer(fd, &mine, &theirs);
	to_rts(qp, &theirs, mine.psn);
	/* Both ends are in RTS before anyone sends. */
	xfer(fd, &mine, &theirs);

	memset(&wr, 0, sizeof(wr));
	wr.sg_list = &sge;
	wr.num_sge = 1;
	wr.send_flags = IBV_SEND_SIGNALED;
	if (!server) {
		strcpy(buf + 1024, "ping");
		sge = (struct ibv_sge){ (uintptr_t)(buf + 1024), 5, mr->lkey };
		wr.opcode = IBV_WR_SEND;
		post_send(qp, &wr);
		poll_one(cq); /* the SEND */
		wc = poll_one(cq); /* the server's SEND with immediate */
		if (wc.opcode != IBV_WC_RECV ||
		    !(wc.wc_flags & IBV_WC_WITH_IMM) ||
		    ntohl(wc.imm_data) != 42 || strcmp(buf + 2048, "pong")) {
			fprintf(stderr, "client: bad reply\n");
			return 1;
		}
	} else {
		wc = poll_one(cq);
		if (wc.opcode != IBV_WC_RECV || strcmp(buf, "ping")) {
			fprintf(stderr, "server: bad request\n");
			return 1;
		}
		strcpy(buf + 1024, "pong");
		sge = (struct ibv_sge){ (uintptr_t)(buf + 1024), 5, mr->lkey };
		wr.opcode = IBV_WR_RDMA_WRITE;
		wr.wr.rdma.remote_addr = theirs.addr + 2048;
		wr.wr.rdma.rkey = theirs.rkey;
		post_send(qp, &wr);
		poll_one(cq);
		wr.opcode = IBV_WR_SEND_WITH_IMM;
		wr.imm_data = htonl(42);
		wr.num_sge = 0;
		post_send(qp, &wr);
		poll_one(cq);
	}
	/* Neither end tears down while the other may still need an ACK. */
	xfer(fd, &mine, &theirs);
	close(fd);
	ibv_destroy_qp(qp);
	ibv_dereg_mr(mr);
	ibv_destroy_cq(cq);
	ibv_dealloc_pd(pd);
	ibv_close_device(ctx);
	ibv_free_device_list(list);
	free(buf);
	printf("inst_verbs: %s ok\n", server ? "server" : "client");
	return 0;
}
