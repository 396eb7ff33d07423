// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * An RC exchange set up with rdma_cm and carried with verbs, built
 * outside the tree with the installed pkg-config files: the client
 * resolves the server's address and route, connects, SENDs "ping"; the
 * server answers "pong"; the client disconnects. Prints "inst_cm: ok" and
 * exits 0 on success.
 *
 *   inst_cm server ADDR PORT
 *   inst_cm client ADDR PORT
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>

static struct rdma_event_channel *ch;

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* Waits for the next event, which must be of type want. */
static struct rdma_cm_id *expect(enum rdma_cm_event_type want)
{
	struct rdma_cm_event *ev;
	struct rdma_cm_id *id;

	if (rdma_get_cm_event(ch, &ev))
		die("rdma_get_cm_event");
	if (ev->event != want) {
		fprintf(stderr, "event %s (status %d), expected %s\n",
			rdma_event_str(ev->event), ev->status,
			rdma_event_str(want));
		exit(1);
	}
	id = ev->id;
	rdma_ack_cm_event(ev);
	return id;
}

static struct ibv_wc poll_one(struct ibv_cq *cq)
{
	time_t t0 = time(NULL);
	struct ibv_wc wc;
	int n;

	while (!(n = ibv_poll_cq(cq, 1, &wc)))
		if (time(NULL) - t0 > 20) {
			fprintf(stderr, "no completion in 20 s\n");
			exit(1);
		}
	if (n < 0 || wc.status != IBV_WC_SUCCESS) {
		fprintf(stderr, "completion: %s\n",
			n < 0 ? "poll error" : ibv_wc_status_str(wc.status));
		exit(1);
	}
	return wc;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct rdma_conn_param cp = { .retry_count = 7, .rnr_retry_count = 7 };
	struct ibv_qp_init_attr qa = {};
	struct rdma_cm_id *id, *lid = NULL;
	struct ibv_send_wr swr = {}, *sbad;
	struct ibv_recv_wr rwr = {}, *rbad;
	struct ibv_sge sge;
	struct ibv_mr *mr;
	struct ibv_cq *cq;
	struct ibv_pd *pd;
	char buf[128] = "";
	bool server;

	if (argc != 4 || inet_pton(AF_INET, argv[2], &sa.sin_addr) != 1) {
		fprintf(stderr, "usage: %s server|client ADDR PORT\n", argv[0]);
		return 2;
	}
	server = !strcmp(argv[1], "server");
	sa.sin_port = htons(atoi(argv[3]));
	ch = rdma_create_event_channel();
	if (!ch || rdma_create_id(ch, &id, NULL, RDMA_PS_TCP))
		die("rdma_create_id");
	if (server) {
		lid = id;
		if (rdma_bind_addr(lid, (struct sockaddr *)&sa) ||
		    rdma_listen(lid, 1))
			die("rdma_listen");
		printf("inst_cm: listening\n");
		fflush(stdout);
		id = expect(RDMA_CM_EVENT_CONNECT_REQUEST);
	} else {
		if (rdma_resolve_addr(id, NULL, (struct sockaddr *)&sa, 5000))
			die("rdma_resolve_addr");
		expect(RDMA_CM_EVENT_ADDR_RESOLVED);
		if (rdma_resolve_route(id, 5000))
			die("rdma_resolve_route");
		expect(RDMA_CM_EVENT_ROUTE_RESOLVED);
	}

	pd = ibv_alloc_pd(id->verbs);
	cq = pd ? ibv_create_cq(id->verbs, 8, NULL, NULL, 0) : NULL;
	mr = cq ? ibv_reg_mr(pd, buf, sizeof(buf), IBV_ACCESS_LOCAL_WRITE) :
		  NULL;
	if (!mr)
		die("verbs resources");
	qa.send_cq = cq;
	qa.recv_cq = cq;
	qa.qp_type = IBV_QPT_RC;
	qa.cap.max_send_wr = 2;
	qa.cap.max_recv_wr = 2;
	qa.cap.max_send_sge = 1;
	qa.cap.max_recv_sge = 1;
	if (rdma_create_qp(id, pd, &qa))
		die("rdma_create_qp");
	sge = (struct ibv_sge){ (uintptr_t)buf, 64, mr->lkey };
	rwr.sg_list = &sge;
	rwr.num_sge = 1;
	if (ibv_post_recv(id->qp, &rwr, &rbad))
		die("ibv_post_recv");

	if (server) {
		if (rdma_accept(id, &cp))
			die("rdma_accept");
		expect(RDMA_CM_EVENT_ESTABLISHED);
		poll_one(cq);
		if (strcmp(buf, "ping")) {
			fprintf(stderr, "server: got '%s'\n", buf);
			return 1;
		}
		strcpy(buf + 64, "pong");
	} else {
		if (rdma_connect(id, &cp))
			die("rdma_connect");
		expect(RDMA_CM_EVENT_ESTABLISHED);
		strcpy(buf + 64, "ping");
	}
	sge = (struct ibv_sge){ (uintptr_t)(buf + 64), 5, mr->lkey };
	swr.sg_list = &sge;
	swr.num_sge = 1;
	swr.opcode = IBV_WR_SEND;
	swr.send_flags = IBV_SEND_SIGNALED;
	if (ibv_post_send(id->qp, &swr, &sbad))
		die("ibv_post_send");
	poll_one(cq);
	if (server) {
		expect(RDMA_CM_EVENT_DISCONNECTED);
	} else {
		poll_one(cq);
		if (strcmp(buf, "pong")) {
			fprintf(stderr, "client: got '%s'\n", buf);
			return 1;
		}
		rdma_disconnect(id);
		expect(RDMA_CM_EVENT_DISCONNECTED);
	}
	rdma_destroy_qp(id);
	ibv_dereg_mr(mr);
	ibv_destroy_cq(cq);
	ibv_dealloc_pd(pd);
	rdma_destroy_id(id);
	if (lid)
		rdma_destroy_id(lid);
	rdma_destroy_event_channel(ch);
	printf("inst_cm: %s ok\n", server ? "server" : "client");
	return 0;
}
