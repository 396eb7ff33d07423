// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * steer_settle: in the "wire roce" mode, a QP or a listener is reachable
 * from the moment its creator learns it, though another process of the
 * namespace leads port 4791's group (tests/compat/compat.sh settle_*).
 *
 *   steer_settle ud-recv DEV PORT N
 *       N times: opens DEV afresh (a new member of the group), makes a UD
 *       QP, posts a receive, sends its QPN to the peer connected to TCP
 *       PORT, and waits a second for the peer's datagram
 *   steer_settle ud-send DEV ADDR PORT
 *       the peer: to each QPN read from ADDR:PORT, a UD SEND at once
 *   steer_settle cm-listen ADDR PORT N
 *       N times: rdma_listen on ADDR:PORT+100+i, tells the peer connected to
 *       TCP PORT, and waits a second for the CONNECT_REQUEST (rejected)
 *   steer_settle cm-connect ADDR PORT
 *       the peer: rdma_connect at once to each port it is told
 *
 * The receivers print how many of N arrived; exit status 0 when all did.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>

#include "tests/cm/parse_addr.h"

#define QKEY 0x11111111u
#define WAIT_MS 1000
#define BUF_LEN 256

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static int tcp_server(uint16_t port)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6,
				   .sin6_port = htons(port) };
	int fd, c, one = 1;

	fd = socket(AF_INET6, SOCK_STREAM, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 1))
		die("tcp server");
	c = accept(fd, NULL, NULL);
	if (c < 0)
		die("accept");
	close(fd);
	return c;
}

static int tcp_client(const char *addr, uint16_t port)
{
	struct sockaddr_storage ss;
	int fd, i;

	if (parse_addr(addr, port, &ss))
		exit(2);
	for (i = 0; i < 100; i++) {
		fd = socket(ss.ss_family, SOCK_STREAM, 0);
		if (fd < 0)
			die("socket");
		if (!connect(fd, (struct sockaddr *)&ss, sizeof(ss)))
			return fd;
		close(fd);
		usleep(100000);
	}
	die("connect");
	return -1;
}

static bool read_u32(int fd, uint32_t *v)
{
	return read(fd, v, sizeof(*v)) == sizeof(*v);
}

static void write_u32(int fd, uint32_t v)
{
	if (write(fd, &v, sizeof(v)) != sizeof(v))
		die("write");
}

static struct ibv_context *open_dev(const char *name)
{
	struct ibv_device **list = ibv_get_device_list(NULL);
	struct ibv_context *ctx = NULL;
	int i;

	for (i = 0; list && list[i]; i++)
		if (!strcmp(ibv_get_device_name(list[i]), name))
			ctx = ibv_open_device(list[i]);
	ibv_free_device_list(list);
	if (!ctx)
		die(name);
	return ctx;
}

static struct ibv_qp *ud_qp(struct ibv_pd *pd, struct ibv_cq *cq)
{
	struct ibv_qp_init_attr init = {
		.send_cq = cq,
		.recv_cq = cq,
		.qp_type = IBV_QPT_UD,
		.cap = { .max_send_wr = 1,
			 .max_recv_wr = 1,
			 .max_send_sge = 1,
			 .max_recv_sge = 1 },
	};
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_INIT,
				 .port_num = 1,
				 .qkey = QKEY };
	struct ibv_qp *qp = ibv_create_qp(pd, &init);

	if (!qp)
		die("ibv_create_qp");
	if (ibv_modify_qp(qp, &a,
			  IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT |
				  IBV_QP_QKEY))
		die("INIT");
	a.qp_state = IBV_QPS_RTR;
	if (ibv_modify_qp(qp, &a, IBV_QP_STATE))
		die("RTR");
	a.qp_state = IBV_QPS_RTS;
	if (ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_SQ_PSN))
		die("RTS");
	return qp;
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* Prints what arrived and how long @call took: the exit status. */
static int report(const char *what, int got, int n, const char *call,
		  double sum, double max)
{
	printf("%d of %d %s arrived\n", got, n, what);
	printf("%s took %.2f ms on average, at most %.2f ms\n", call, sum / n,
	       max);
	return got == n ? 0 : 1;
}

static bool poll_one(struct ibv_cq *cq, int ms)
{
	struct timespec t0, t;
	struct ibv_wc wc;
	int n;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		n = ibv_poll_cq(cq, 1, &wc);
		if (n > 0)
			return wc.status == IBV_WC_SUCCESS;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000 +
			 (t.tv_nsec - t0.tv_nsec) / 1000000 <
		 ms);
	return false;
}

static int ud_recv(const char *dev, uint16_t port, int n)
{
	static char buf[BUF_LEN];
	int fd = tcp_server(port), i, got = 0;
	double t, sum = 0, max = 0;

	for (i = 0; i < n; i++) {
		struct ibv_context *ctx = open_dev(dev);
		struct ibv_pd *pd = ibv_alloc_pd(ctx);
		struct ibv_cq *cq = ibv_create_cq(ctx, 4, NULL, NULL, 0);
		struct ibv_mr *mr;
		struct ibv_qp *qp;
		struct ibv_sge sge;
		struct ibv_recv_wr wr = { .sg_list = &sge, .num_sge = 1 }, *bad;

		if (!pd || !cq)
			die("pd/cq");
		mr = ibv_reg_mr(pd, buf, sizeof(buf), IBV_ACCESS_LOCAL_WRITE);
		if (!mr)
			die("ibv_reg_mr");
		t = now_ms();
		qp = ud_qp(pd, cq);
		t = now_ms() - t;
		sum += t;
		max = t > max ? t : max;
		sge = (struct ibv_sge){ (uintptr_t)buf, sizeof(buf), mr->lkey };
		if (ibv_post_recv(qp, &wr, &bad))
			die("ibv_post_recv");
		write_u32(fd, qp->qp_num);
		if (poll_one(cq, WAIT_MS))
			got++;
		else
			printf("datagram %d to QPN 0x%06x lost\n", i,
			       qp->qp_num);
		ibv_destroy_qp(qp);
		ibv_dereg_mr(mr);
		ibv_destroy_cq(cq);
		ibv_dealloc_pd(pd);
		ibv_close_device(ctx);
	}
	close(fd);
	return report("datagrams to fresh QPs", got, n,
		      "the first QP of a context", sum, max);
}

static int ud_send(const char *dev, const char *addr, uint16_t port)
{
	static char buf[64];
	struct ibv_context *ctx = open_dev(dev);
	struct ibv_pd *pd = ibv_alloc_pd(ctx);
	struct ibv_cq *cq = ibv_create_cq(ctx, 4, NULL, NULL, 0);
	struct ibv_ah_attr aa = { .is_global = 1, .port_num = 1 };
	struct ibv_qp *qp;
	struct ibv_ah *ah;
	struct ibv_sge sge;
	struct ibv_send_wr wr = { .sg_list = &sge,
				  .num_sge = 1,
				  .opcode = IBV_WR_SEND,
				  .send_flags = IBV_SEND_SIGNALED },
			   *bad;
	struct ibv_mr *mr;
	uint32_t qpn;
	int fd;

	if (!pd || !cq)
		die("pd/cq");
	mr = ibv_reg_mr(pd, buf, sizeof(buf), 0);
	if (!mr)
		die("ibv_reg_mr");
	qp = ud_qp(pd, cq);
	/* GID 1 is the device's IPv4 address (uroce(7)). */
	aa.grh.sgid_index = 1;
	aa.grh.hop_limit = 64;
	memset(aa.grh.dgid.raw + 10, 0xff, 2);
	if (inet_pton(AF_INET, addr, aa.grh.dgid.raw + 12) != 1)
		die(addr);
	ah = ibv_create_ah(pd, &aa);
	if (!ah)
		die("ibv_create_ah");
	sge = (struct ibv_sge){ (uintptr_t)buf, sizeof(buf), mr->lkey };
	wr.wr.ud.ah = ah;
	wr.wr.ud.remote_qkey = QKEY;
	fd = tcp_client(addr, port);
	while (read_u32(fd, &qpn)) {
		wr.wr.ud.remote_qpn = qpn;
		if (ibv_post_send(qp, &wr, &bad) || !poll_one(cq, WAIT_MS))
			die("send");
	}
	return 0;
}

/* The next event on @ch within @ms, or NULL. */
static struct rdma_cm_event *cm_event(struct rdma_event_channel *ch, int ms)
{
	struct pollfd p = { .fd = ch->fd, .events = POLLIN };
	struct rdma_cm_event *ev;

	if (poll(&p, 1, ms) != 1 || rdma_get_cm_event(ch, &ev))
		return NULL;
	return ev;
}

static int cm_listen(const char *addr, uint16_t port, int n)
{
	struct rdma_event_channel *ch = rdma_create_event_channel();
	struct rdma_cm_event *ev;
	struct sockaddr_storage ss;
	struct rdma_cm_id *id;
	int fd, i, got = 0;
	double t, sum = 0, max = 0;

	if (!ch)
		die("rdma_create_event_channel");
	if (fcntl(ch->fd, F_SETFL, O_NONBLOCK))
		die("fcntl");
	fd = tcp_server(port);
	for (i = 0; i < n; i++) {
		if (parse_addr(addr, (uint16_t)(port + 100 + i), &ss))
			return 2;
		if (rdma_create_id(ch, &id, NULL, RDMA_PS_TCP) ||
		    rdma_bind_addr(id, (struct sockaddr *)&ss))
			die("rdma_bind_addr");
		t = now_ms();
		if (rdma_listen(id, 4))
			die("rdma_listen");
		t = now_ms() - t;
		sum += t;
		max = t > max ? t : max;
		write_u32(fd, (uint32_t)i);
		ev = cm_event(ch, WAIT_MS);
		if (ev && ev->event == RDMA_CM_EVENT_CONNECT_REQUEST) {
			struct rdma_cm_id *child = ev->id;

			got++;
			rdma_ack_cm_event(ev);
			rdma_reject(child, NULL, 0);
			rdma_destroy_id(child);
		} else {
			printf("connection %d: %s\n", i,
			       ev ? rdma_event_str(ev->event) : "no request");
			if (ev)
				rdma_ack_cm_event(ev);
		}
		rdma_destroy_id(id);
	}
	close(fd);
	rdma_destroy_event_channel(ch);
	return report("connections to fresh listeners", got, n, "rdma_listen",
		      sum, max);
}

/* Resolves and connects @id to @ss; whatever the answer, destroys it. */
static void cm_connect_one(struct rdma_event_channel *ch,
			   struct sockaddr_storage *ss)
{
	struct ibv_qp_init_attr qa = {
		.qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = 1,
			 .max_recv_wr = 1,
			 .max_send_sge = 1,
			 .max_recv_sge = 1 },
	};
	struct rdma_conn_param cp = { .retry_count = 1 };
	enum rdma_cm_event_type want = RDMA_CM_EVENT_ADDR_RESOLVED;
	struct rdma_cm_event *ev;
	struct rdma_cm_id *id;

	if (rdma_create_id(ch, &id, NULL, RDMA_PS_TCP) ||
	    rdma_resolve_addr(id, NULL, (struct sockaddr *)ss, 2000))
		die("rdma_resolve_addr");
	while ((ev = cm_event(ch, 3000))) {
		enum rdma_cm_event_type e = ev->event;

		rdma_ack_cm_event(ev);
		if (e != want || e == RDMA_CM_EVENT_ESTABLISHED)
			break;
		if (e == RDMA_CM_EVENT_ADDR_RESOLVED) {
			want = RDMA_CM_EVENT_ROUTE_RESOLVED;
			if (rdma_resolve_route(id, 2000))
				die("rdma_resolve_route");
		} else {
			if (rdma_create_qp(id, NULL, &qa) ||
			    rdma_connect(id, &cp))
				die("rdma_connect");
			want = RDMA_CM_EVENT_ESTABLISHED;
		}
	}
	if (id->qp)
		rdma_destroy_qp(id);
	rdma_destroy_id(id);
}

static int cm_connect(const char *addr, uint16_t port)
{
	struct rdma_event_channel *ch = rdma_create_event_channel();
	struct sockaddr_storage ss;
	int fd, ret = 0;
	uint32_t i;

	if (!ch)
		die("rdma_create_event_channel");
	if (fcntl(ch->fd, F_SETFL, O_NONBLOCK))
		die("fcntl");
	fd = tcp_client(addr, port);
	while (read_u32(fd, &i)) {
		if (parse_addr(addr, (uint16_t)(port + 100 + i), &ss)) {
			ret = 2;
			break;
		}
		cm_connect_one(ch, &ss);
	}
	close(fd);
	rdma_destroy_event_channel(ch);
	return ret;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 5 && !strcmp(argv[1], "ud-recv"))
		return ud_recv(argv[2], (uint16_t)atoi(argv[3]), atoi(argv[4]));
	if (argc == 5 && !strcmp(argv[1], "ud-send"))
		return ud_send(argv[2], argv[3], (uint16_t)atoi(argv[4]));
	if (argc == 5 && !strcmp(argv[1], "cm-listen"))
		return cm_listen(argv[2], (uint16_t)atoi(argv[3]),
				 atoi(argv[4]));
	if (argc == 4 && !strcmp(argv[1], "cm-connect"))
		return cm_connect(argv[2], (uint16_t)atoi(argv[3]));
	fprintf(stderr, "usage: see the source\n");
	return 2;
}
