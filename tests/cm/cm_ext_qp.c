// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cm_ext_qp: a connection whose QPs are the application's own, as
 * rdma-core's test_rdmacm_async_traffic_external_qp makes it, on the
 * loopback device in the caller's namespace:
 *
 * - an ID bound to a device carries that device's PD (id->pd), on which
 *   the application creates its CQ, QP and MR;
 * - the passive side moves its QP to RTS with rdma_init_qp_attr() before
 *   rdma_accept(), the active side after the CONNECT_RESPONSE, then calls
 *   rdma_establish();
 * - SENDs then go both ways, which needs the PSNs that the QPs were given
 *   to be those the REQ and REP announced.
 *
 * Exit status: 0, or 1 with a message.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rdma/rdma_cma.h>

#define FAIL(...)                                                              \
	do {                                                                   \
		fprintf(stderr, "cm_ext_qp: " __VA_ARGS__);                    \
		fprintf(stderr, " (line %d, errno %d: %s)\n", __LINE__, errno, \
			strerror(errno));                                      \
		exit(1);                                                       \
	} while (0)

struct side {
	struct rdma_cm_id *id;
	struct ibv_cq *cq;
	struct ibv_qp *qp;
	struct ibv_mr *mr;
	char buf[64];
};

static struct rdma_event_channel *ch;

/* The next CM event, which must be @type; returns its ID. */
static struct rdma_cm_id *expect(enum rdma_cm_event_type type)
{
	struct rdma_cm_event *ev;
	struct rdma_cm_id *id;

	if (rdma_get_cm_event(ch, &ev))
		FAIL("rdma_get_cm_event");
	if (ev->event != type || ev->status)
		FAIL("got %s (status %d), not %s", rdma_event_str(ev->event),
		     ev->status, rdma_event_str(type));
	id = ev->id;
	rdma_ack_cm_event(ev);
	return id;
}

/* The application's own CQ, QP and MR, on the PD the ID carries. */
static void make_qp(struct side *s)
{
	struct ibv_qp_init_attr ia;

	if (!s->id->pd || s->id->pd->context != s->id->verbs)
		FAIL("the ID has no PD of its device");
	s->cq = ibv_create_cq(s->id->verbs, 8, NULL, NULL, 0);
	memset(&ia, 0, sizeof(ia));
	ia.send_cq = s->cq;
	ia.recv_cq = s->cq;
	ia.qp_type = IBV_QPT_RC;
	ia.cap.max_send_wr = 4;
	ia.cap.max_recv_wr = 4;
	ia.cap.max_send_sge = 1;
	ia.cap.max_recv_sge = 1;
	s->qp = s->cq ? ibv_create_qp(s->id->pd, &ia) : NULL;
	s->mr = ibv_reg_mr(s->id->pd, s->buf, sizeof(s->buf),
			   IBV_ACCESS_LOCAL_WRITE);
	if (!s->qp || !s->mr)
		FAIL("CQ, QP or MR on id->pd");
}

static void to_rts(struct side *s)
{
	enum ibv_qp_state st[] = { IBV_QPS_INIT, IBV_QPS_RTR, IBV_QPS_RTS };
	struct ibv_qp_attr a;
	int mask;
	size_t i;

	for (i = 0; i < 3; i++) {
		memset(&a, 0, sizeof(a));
		a.qp_state = st[i];
		if (rdma_init_qp_attr(s->id, &a, &mask))
			FAIL("rdma_init_qp_attr(%d)", st[i]);
		if (ibv_modify_qp(s->qp, &a, mask))
			FAIL("ibv_modify_qp(%d)", st[i]);
	}
}

static void wait_ok(struct side *s, const char *what)
{
	struct timespec t0, t;
	struct ibv_wc wc;
	int n;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!(n = ibv_poll_cq(s->cq, 1, &wc))) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 20)
			FAIL("%s: no completion", what);
	}
	if (n < 0 || wc.status != IBV_WC_SUCCESS)
		FAIL("%s: %s", what, ibv_wc_status_str(wc.status));
}

/* A SEND of @msg from @a to @b. */
static void send_msg(struct side *a, struct side *b, const char *msg)
{
	struct ibv_sge rs = { (uintptr_t)b->buf, sizeof(b->buf), b->mr->lkey };
	struct ibv_sge ss = { (uintptr_t)a->buf, (uint32_t)strlen(msg) + 1,
			      a->mr->lkey };
	struct ibv_recv_wr rwr = { .sg_list = &rs, .num_sge = 1 }, *rbad;
	struct ibv_send_wr swr = { .sg_list = &ss, .num_sge = 1 }, *sbad;

	swr.opcode = IBV_WR_SEND;
	swr.send_flags = IBV_SEND_SIGNALED;
	strcpy(a->buf, msg);
	if (ibv_post_recv(b->qp, &rwr, &rbad) ||
	    ibv_post_send(a->qp, &swr, &sbad))
		FAIL("post");
	wait_ok(a, msg);
	wait_ok(b, msg);
	if (strcmp(b->buf, msg))
		FAIL("received '%s', not '%s'", b->buf, msg);
}

int main(void)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	struct rdma_conn_param cp;
	struct side act = {}, pas = {};
	struct rdma_cm_id *listener;

	setenv("UROCE_CONF", "", 1);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ch = rdma_create_event_channel();
	if (!ch || rdma_create_id(ch, &listener, NULL, RDMA_PS_TCP) ||
	    rdma_create_id(ch, &act.id, NULL, RDMA_PS_TCP))
		FAIL("create");
	if (rdma_bind_addr(listener, (struct sockaddr *)&addr) ||
	    rdma_listen(listener, 1))
		FAIL("bind/listen");
	addr.sin_port = rdma_get_src_port(listener);
	if (rdma_resolve_addr(act.id, NULL, (struct sockaddr *)&addr, 2000))
		FAIL("rdma_resolve_addr");
	expect(RDMA_CM_EVENT_ADDR_RESOLVED);
	if (rdma_resolve_route(act.id, 2000))
		FAIL("rdma_resolve_route");
	expect(RDMA_CM_EVENT_ROUTE_RESOLVED);
	make_qp(&act);

	memset(&cp, 0, sizeof(cp));
	cp.qp_num = act.qp->qp_num;
	cp.retry_count = 3;
	cp.rnr_retry_count = 3;
	if (rdma_connect(act.id, &cp))
		FAIL("rdma_connect");
	pas.id = expect(RDMA_CM_EVENT_CONNECT_REQUEST);
	make_qp(&pas);
	to_rts(&pas); /* before rdma_accept, as rdma-core's test does */
	cp.qp_num = pas.qp->qp_num;
	if (rdma_accept(pas.id, &cp))
		FAIL("rdma_accept");
	expect(RDMA_CM_EVENT_CONNECT_RESPONSE);
	to_rts(&act);
	if (rdma_establish(act.id))
		FAIL("rdma_establish");
	expect(RDMA_CM_EVENT_ESTABLISHED);

	send_msg(&pas, &act, "passive to active");
	send_msg(&act, &pas, "active to passive");

	ibv_destroy_qp(act.qp);
	ibv_destroy_qp(pas.qp);
	ibv_dereg_mr(act.mr);
	ibv_dereg_mr(pas.mr);
	ibv_destroy_cq(act.cq);
	ibv_destroy_cq(pas.cq);
	rdma_destroy_id(pas.id);
	rdma_destroy_id(act.id);
	rdma_destroy_id(listener);
	rdma_destroy_event_channel(ch);
	printf("cm_ext_qp: passed\n");
	return 0;
}
