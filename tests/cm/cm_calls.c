// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cm_calls: librdmacm the way middleware calls it, one case per pattern,
 * each checked against what rdma-core does (tests/cm/cm.sh runs them
 * between namespaces).
 *
 *   cm_calls loopback ADDR   libfabric's verbs provider probes "localhost":
 *                            rdma_getaddrinfo gives a passive 127.0.0.1,
 *                            an ID bound there (or at ::1) takes no device,
 *                            as the kernel's CM has it, while one bound at
 *                            ADDR (a netdev's) takes its device and a PD;
 *                            the loopback listener is reached, the device
 *                            coming with resolution
 *   cm_calls migrate_sync DST
 *                            libfabric's endpoints: a synchronous ID
 *                            resolves DST, then moves to a channel (not
 *                            waiting for the event it holds), then resolves
 *                            its route there; a synchronous ID cannot move
 *                            to no channel (EINVAL)
 *   cm_calls ucx_server ADDR PORT
 *   cm_calls ucx_client ADDR PORT
 *                            UCX's RDMA CM wire-up, three connections on
 *                            non-blocking channels: IDs with no QP whose
 *                            conn_param carries a dummy UD QP's number and
 *                            private data; rdma_init_qp_attr(RTR) on the
 *                            request and on the response; a request's ID
 *                            moved to another channel before its event is
 *                            acked; CONNECT_RESPONSE, rdma_establish,
 *                            ESTABLISHED, rdma_disconnect on both sides;
 *                            then a reject with private data and one
 *                            without, each request's ID destroyed before
 *                            its event is acked
 *
 *   cm_calls disc_server ADDR PORT
 *   cm_calls disc_client ADDR PORT
 *                            an RC connection whose server, on the
 *                            client's signaled SEND, answers with a SEND
 *                            and disconnects at once; the client, which
 *                            does not poll meanwhile, destroys its QP on
 *                            DISCONNECTED (as libfabric's rxm does) and
 *                            must then find both completions, successful,
 *                            in its CQ: what came before the DREQ is
 *                            taken in before DISCONNECTED, as on an RNIC
 *   cm_calls held_server ADDR PORT
 *   cm_calls held_client ADDR PORT
 *                            the same while another thread of the client
 *                            is stopped in the middle of a poll (a signal
 *                            handler that waits, as a poller descheduled
 *                            on a loaded machine): the server closes its
 *                            QP and ID on the client's SEND, as rxm does,
 *                            and when DISCONNECTED comes the SEND must be
 *                            complete already, the stopped poll's drain
 *                            notwithstanding; HELD_ROUNDS connections
 *
 * Every case ends within 20 s (an alarm). Exit status: 0, or 1 with the
 * failed checks on stderr.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rdma/rdma_cma.h>

#include "tests/lib/check.h"
#include "tests/cm/parse_addr.h"

#define CASE_SECONDS 20
#define EVENT_MS 5000
#define CM_REJ_CONSUMER_DEFINED 28

/* UCX's private data header (uct_rdmacm_priv_data_hdr_t). */
struct ucx_hdr {
	uint8_t length;
	int8_t status;
} __attribute__((packed));

#define UCX_ERR_REJECTED (-23) /* UCS_ERR_REJECTED */

struct ucx_pdata {
	struct ucx_hdr hdr;
	uint32_t qpn; /* the sender's dummy QP, to check what arrives */
	char text[16];
} __attribute__((packed));

/* A channel whose fd is non-blocking, as UCX sets it. */
static struct rdma_event_channel *nonblocking_channel(void)
{
	struct rdma_event_channel *ch = rdma_create_event_channel();
	int fl;

	if (!ch) {
		perror("cm_calls: rdma_create_event_channel");
		exit(1);
	}
	fl = fcntl(ch->fd, F_GETFL);
	CHECK(fl >= 0 && !fcntl(ch->fd, F_SETFL, fl | O_NONBLOCK));
	return ch;
}

/*
 * The next event of @ch other than TIMEWAIT_EXIT (which UCX ignores),
 * the way UCX takes them: poll the fd, then rdma_get_cm_event until
 * EAGAIN. Fails the case unless it is @type.
 */
static struct rdma_cm_event *next_event(struct rdma_event_channel *ch,
					enum rdma_cm_event_type type)
{
	struct pollfd pfd = { .fd = ch->fd, .events = POLLIN };
	struct rdma_cm_event *ev;

	for (;;) {
		if (!rdma_get_cm_event(ch, &ev)) {
			if (ev->event == RDMA_CM_EVENT_TIMEWAIT_EXIT) {
				rdma_ack_cm_event(ev);
				continue;
			}
			if (ev->event == type)
				return ev;
			fprintf(stderr,
				"cm_calls: got %s (status %d), not %s\n",
				rdma_event_str(ev->event), ev->status,
				rdma_event_str(type));
			exit(1);
		}
		if (errno != EAGAIN) {
			perror("cm_calls: rdma_get_cm_event");
			exit(1);
		}
		if (poll(&pfd, 1, EVENT_MS) != 1) {
			fprintf(stderr, "cm_calls: no %s within %d ms\n",
				rdma_event_str(type), EVENT_MS);
			exit(1);
		}
	}
}

static void expect_event(struct rdma_event_channel *ch,
			 enum rdma_cm_event_type type)
{
	rdma_ack_cm_event(next_event(ch, type));
}

/* A new ID of @ch, its address and route resolved to @dst (events taken). */
static struct rdma_cm_id *resolved_id(struct rdma_event_channel *ch,
				      struct sockaddr_storage *dst)
{
	struct rdma_cm_id *id;

	if (rdma_create_id(ch, &id, NULL, RDMA_PS_TCP)) {
		perror("cm_calls: rdma_create_id");
		exit(1);
	}
	CHECK(!rdma_resolve_addr(id, NULL, (struct sockaddr *)dst, 2000));
	expect_event(ch, RDMA_CM_EVENT_ADDR_RESOLVED);
	CHECK(!rdma_resolve_route(id, 2000));
	expect_event(ch, RDMA_CM_EVENT_ROUTE_RESOLVED);
	return id;
}

/* A listener of @ch at ADDR PORT; exits if there can be none. */
static struct rdma_cm_id *listen_at(struct rdma_event_channel *ch,
				    const char *addr, const char *port)
{
	struct sockaddr_storage ss;
	struct rdma_cm_id *lis;

	if (!ch || parse_addr(addr, (uint16_t)atoi(port), &ss) ||
	    rdma_create_id(ch, &lis, NULL, RDMA_PS_TCP) ||
	    rdma_bind_addr(lis, (struct sockaddr *)&ss) ||
	    rdma_listen(lis, 8)) {
		perror("cm_calls: bind/listen");
		exit(1);
	}
	return lis;
}

/* ---- libfabric's patterns ---- */

static int loopback(const char *addr)
{
	struct rdma_addrinfo hints = {
		.ai_flags = RAI_PASSIVE | RAI_FAMILY,
		.ai_family = AF_INET,
		.ai_qp_type = IBV_QPT_RC,
		.ai_port_space = RDMA_PS_TCP,
	};
	struct sockaddr_in6 six = { .sin6_family = AF_INET6,
				    .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct rdma_cm_id *lo, *dev, *lis, *act;
	struct rdma_event_channel *ch;
	struct sockaddr_storage ss;
	struct sockaddr_in *sin;
	struct rdma_addrinfo *rai;

	if (parse_addr(addr, 0, &ss))
		return 1;
	/* vrb_get_rai_id with no node: "localhost", passive */
	if (rdma_getaddrinfo("localhost", NULL, &hints, &rai)) {
		perror("cm_calls: rdma_getaddrinfo localhost");
		return 1;
	}
	sin = (struct sockaddr_in *)rai->ai_src_addr;
	CHECK(rai->ai_flags & RAI_PASSIVE);
	CHECK(sin && sin->sin_family == AF_INET &&
	      sin->sin_addr.s_addr == htonl(INADDR_LOOPBACK));
	CHECK(!rdma_create_id(NULL, &lo, NULL, RDMA_PS_TCP));
	CHECK(!rdma_bind_addr(lo, rai->ai_src_addr));
	CHECK(!lo->verbs && !lo->pd);
	rdma_destroy_id(lo);
	rdma_freeaddrinfo(rai);

	/* ::1 likewise, where the namespace has IPv6 */
	CHECK(!rdma_create_id(NULL, &lo, NULL, RDMA_PS_TCP));
	if (!rdma_bind_addr(lo, (struct sockaddr *)&six))
		CHECK(!lo->verbs);
	else
		CHECK(errno == EADDRNOTAVAIL || errno == EAFNOSUPPORT);
	rdma_destroy_id(lo);

	/* a netdev's address: its device, and the device's PD */
	CHECK(!rdma_create_id(NULL, &dev, NULL, RDMA_PS_TCP));
	CHECK(!rdma_bind_addr(dev, (struct sockaddr *)&ss));
	CHECK(dev->verbs && dev->pd && dev->pd->context == dev->verbs);
	rdma_destroy_id(dev);

	/* a listener at 127.0.0.1 is reached; resolution brings the device */
	ch = nonblocking_channel();
	CHECK(!rdma_create_id(ch, &lis, NULL, RDMA_PS_TCP));
	memset(&ss, 0, sizeof(ss));
	sin = (struct sockaddr_in *)&ss;
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(!rdma_bind_addr(lis, (struct sockaddr *)&ss));
	CHECK(!rdma_listen(lis, 4));
	sin->sin_port = rdma_get_src_port(lis);
	CHECK(sin->sin_port != 0);
	act = resolved_id(ch, &ss);
	CHECK(act->verbs && act->pd);
	CHECK(!rdma_connect(act, NULL));
	{
		struct rdma_cm_event *ev =
			next_event(ch, RDMA_CM_EVENT_CONNECT_REQUEST);
		struct rdma_cm_id *child = ev->id;

		CHECK(ev->listen_id == lis);
		CHECK(child->verbs == act->verbs && child->pd);
		CHECK(!rdma_reject(child, NULL, 0));
		rdma_ack_cm_event(ev);
		rdma_destroy_id(child);
	}
	expect_event(ch, RDMA_CM_EVENT_REJECTED);
	rdma_destroy_id(act);
	rdma_destroy_id(lis);
	rdma_destroy_event_channel(ch);
	return check_failures ? 1 : 0;
}

static int migrate_sync(const char *dst)
{
	struct rdma_event_channel *ch;
	struct sockaddr_storage ss;
	struct rdma_cm_id *id;

	if (parse_addr(dst, 7471, &ss))
		return 1;
	if (rdma_create_id(NULL, &id, NULL, RDMA_PS_TCP)) {
		perror("cm_calls: rdma_create_id");
		return 1;
	}
	/* already synchronous: no channel to take */
	CHECK(rdma_migrate_id(id, NULL) && errno == EINVAL);
	/* the synchronous call returns with its event held by the ID */
	CHECK(!rdma_resolve_addr(id, NULL, (struct sockaddr *)&ss, 2000));
	CHECK(id->event && id->event->event == RDMA_CM_EVENT_ADDR_RESOLVED);
	ch = nonblocking_channel();
	CHECK(!rdma_migrate_id(id, ch));
	CHECK(id->channel == ch && !id->event);
	/* from now on its events come on the channel */
	CHECK(!rdma_resolve_route(id, 2000));
	expect_event(ch, RDMA_CM_EVENT_ROUTE_RESOLVED);
	rdma_destroy_id(id);
	rdma_destroy_event_channel(ch);
	return check_failures ? 1 : 0;
}

/* ---- UCX's patterns ---- */

struct dummy {
	struct ibv_cq *cq;
	struct ibv_qp *qp;
};

/* UCX's uct_rdmacm_cm_create_dummy_cq_qp: a UD QP on the ID's own PD. */
static void dummy_qp(struct rdma_cm_id *id, struct dummy *d)
{
	struct ibv_qp_init_attr a = {
		.qp_type = IBV_QPT_UD,
		.cap = { .max_send_wr = 2,
			 .max_recv_wr = 2,
			 .max_send_sge = 1,
			 .max_recv_sge = 1 },
	};

	CHECK(id->verbs && id->pd && id->pd->context == id->verbs);
	if (!id->pd)
		exit(1);
	d->cq = ibv_create_cq(id->verbs, 1, NULL, NULL, 0);
	CHECK(d->cq);
	a.send_cq = a.recv_cq = d->cq;
	d->qp = ibv_create_qp(id->pd, &a);
	CHECK(d->qp);
	if (!d->qp)
		exit(1);
}

static void dummy_free(struct dummy *d)
{
	CHECK(!ibv_destroy_qp(d->qp));
	CHECK(!ibv_destroy_cq(d->cq));
}

static void pdata_fill(struct ucx_pdata *p, const struct dummy *d,
		       const char *text)
{
	memset(p, 0, sizeof(*p));
	p->hdr.length = sizeof(*p) - sizeof(p->hdr);
	p->qpn = d->qp->qp_num;
	strncpy(p->text, text, sizeof(p->text) - 1);
}

/* The peer's private data of @ev, as UCX reads it; returns its QPN. */
static uint32_t pdata_check(const struct rdma_cm_event *ev, const char *text)
{
	const struct ucx_pdata *p = ev->param.conn.private_data;

	CHECK(p && ev->param.conn.private_data_len >= sizeof(*p));
	if (!p)
		return 0;
	CHECK(p->hdr.status == 0);
	CHECK(p->hdr.length == sizeof(*p) - sizeof(p->hdr));
	CHECK(!strcmp(p->text, text));
	return p->qpn;
}

/*
 * UCX's uct_rdmacm_cm_id_to_dev_addr: the RTR attributes of an ID with no
 * QP give the peer's GID, the path MTU and the peer's QP number.
 */
static void rtr_check(struct rdma_cm_id *id, uint32_t peer_qpn)
{
	struct ibv_qp_attr attr = { .qp_state = IBV_QPS_RTR };
	int mask = 0;

	CHECK(!rdma_init_qp_attr(id, &attr, &mask));
	CHECK(mask & IBV_QP_AV && mask & IBV_QP_PATH_MTU);
	CHECK(attr.ah_attr.is_global);
	CHECK(!memcmp(&attr.ah_attr.grh.dgid, &id->route.addr.addr.ibaddr.dgid,
		      16));
	CHECK(attr.path_mtu >= IBV_MTU_256 && attr.path_mtu <= IBV_MTU_4096);
	CHECK(attr.dest_qp_num == peer_qpn);
	CHECK(id->pd && id->pd->context == id->verbs);
}

static int ucx_server(const char *addr, const char *port)
{
	struct rdma_event_channel *ch = nonblocking_channel(), *ch2;
	struct rdma_cm_id *lis, *child;
	struct rdma_conn_param param;
	struct rdma_cm_event *ev;
	struct ucx_pdata pd;
	struct ucx_hdr rej = { .status = UCX_ERR_REJECTED };
	struct dummy d;
	uint32_t qpn;

	lis = listen_at(ch, addr, port);
	printf("listening\n");
	fflush(stdout);

	/* 1: accepted with no QP, from another channel */
	ev = next_event(ch, RDMA_CM_EVENT_CONNECT_REQUEST);
	child = ev->id;
	CHECK(ev->listen_id == lis);
	qpn = pdata_check(ev, "ucx-client");
	CHECK(ev->param.conn.qp_num == qpn);
	rtr_check(child, qpn);
	ch2 = nonblocking_channel();
	CHECK(!rdma_migrate_id(child, ch2));
	dummy_qp(child, &d);
	pdata_fill(&pd, &d, "ucx-server");
	memset(&param, 0, sizeof(param));
	param.private_data = &pd;
	param.private_data_len = sizeof(pd);
	param.qp_num = d.qp->qp_num;
	CHECK(!rdma_accept(child, &param));
	rdma_ack_cm_event(ev);
	ev = next_event(ch2, RDMA_CM_EVENT_ESTABLISHED);
	CHECK(ev->id == child);
	rdma_ack_cm_event(ev);
	expect_event(ch2, RDMA_CM_EVENT_DISCONNECTED);
	/* UCX disconnects its side too, after the peer's DREQ */
	CHECK(!rdma_disconnect(child));
	dummy_free(&d);
	CHECK(!rdma_destroy_id(child));
	rdma_destroy_event_channel(ch2);
	printf("connection 1: accepted, established, disconnected\n");

	/* 2: rejected with UCX's header; the ID destroyed before the ack */
	ev = next_event(ch, RDMA_CM_EVENT_CONNECT_REQUEST);
	pdata_check(ev, "ucx-client");
	CHECK(!rdma_reject(ev->id, &rej, sizeof(rej)));
	CHECK(!rdma_destroy_id(ev->id));
	CHECK(!rdma_ack_cm_event(ev));
	printf("connection 2: rejected with private data\n");

	/* 3: uct_rdmacm_listener_reject: no private data */
	ev = next_event(ch, RDMA_CM_EVENT_CONNECT_REQUEST);
	CHECK(!rdma_reject(ev->id, NULL, 0));
	CHECK(!rdma_destroy_id(ev->id));
	CHECK(!rdma_ack_cm_event(ev));
	printf("connection 3: rejected\n");

	CHECK(!rdma_destroy_id(lis));
	rdma_destroy_event_channel(ch);
	return check_failures ? 1 : 0;
}

/* A client ID up to rdma_connect with no QP; returns the channel's event. */
static struct rdma_cm_id *ucx_connect(struct rdma_event_channel *ch,
				      struct sockaddr_storage *ss,
				      struct dummy *d)
{
	struct rdma_conn_param param;
	struct rdma_cm_id *id;
	struct ucx_pdata pd;

	id = resolved_id(ch, ss);
	dummy_qp(id, d);
	pdata_fill(&pd, d, "ucx-client");
	memset(&param, 0, sizeof(param));
	param.private_data = &pd;
	param.private_data_len = sizeof(pd);
	param.qp_num = d->qp->qp_num;
	CHECK(!id->qp);
	CHECK(!rdma_connect(id, &param));
	return id;
}

static int ucx_client(const char *addr, const char *port)
{
	struct rdma_event_channel *ch = nonblocking_channel();
	const struct ucx_hdr *hdr;
	struct sockaddr_storage ss;
	struct rdma_cm_event *ev;
	struct rdma_cm_id *id;
	struct dummy d;
	uint32_t qpn;

	if (parse_addr(addr, (uint16_t)atoi(port), &ss))
		return 1;

	/* 1: CONNECT_RESPONSE (no QP), rdma_establish, disconnect */
	id = ucx_connect(ch, &ss, &d);
	ev = next_event(ch, RDMA_CM_EVENT_CONNECT_RESPONSE);
	CHECK(ev->id == id && !ev->status);
	qpn = pdata_check(ev, "ucx-server");
	CHECK(ev->param.conn.qp_num == qpn);
	rtr_check(id, qpn);
	CHECK(!rdma_establish(id));
	rdma_ack_cm_event(ev);
	CHECK(!rdma_disconnect(id));
	expect_event(ch, RDMA_CM_EVENT_DISCONNECTED);
	dummy_free(&d);
	CHECK(!rdma_destroy_id(id));
	printf("connection 1: response, established, disconnected\n");

	/* 2: REJECTED, consumer defined, with the server's header */
	id = ucx_connect(ch, &ss, &d);
	ev = next_event(ch, RDMA_CM_EVENT_REJECTED);
	CHECK(ev->status == CM_REJ_CONSUMER_DEFINED);
	hdr = ev->param.conn.private_data;
	CHECK(hdr && ev->param.conn.private_data_len >= sizeof(*hdr));
	CHECK(hdr && hdr->status == UCX_ERR_REJECTED && hdr->length == 0);
	rdma_ack_cm_event(ev);
	dummy_free(&d);
	CHECK(!rdma_destroy_id(id));
	printf("connection 2: rejected with private data\n");

	/* 3: REJECTED without private data */
	id = ucx_connect(ch, &ss, &d);
	ev = next_event(ch, RDMA_CM_EVENT_REJECTED);
	CHECK(ev->status == CM_REJ_CONSUMER_DEFINED);
	rdma_ack_cm_event(ev);
	dummy_free(&d);
	CHECK(!rdma_destroy_id(id));
	printf("connection 3: rejected\n");

	rdma_destroy_event_channel(ch);
	return check_failures ? 1 : 0;
}

/* ---- what came before a disconnect ---- */

#define MSG_LEN 64

struct rc_end {
	struct ibv_cq *cq;
	struct ibv_mr *mr;
	char buf[2][MSG_LEN]; /* 0: receive, 1: send */
};

/* An RC QP on @id with a CQ of the caller's, a receive posted. */
static void rc_setup(struct rdma_cm_id *id, struct rc_end *e)
{
	struct ibv_qp_init_attr a = {
		.qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = 4,
			 .max_recv_wr = 4,
			 .max_send_sge = 1,
			 .max_recv_sge = 1 },
	};
	struct ibv_sge sge;
	struct ibv_recv_wr wr = { .wr_id = 1, .sg_list = &sge, .num_sge = 1 },
			   *bad;

	e->cq = ibv_create_cq(id->verbs, 8, NULL, NULL, 0);
	e->mr = ibv_reg_mr(id->pd, e->buf, sizeof(e->buf),
			   IBV_ACCESS_LOCAL_WRITE);
	if (!e->cq || !e->mr) {
		perror("cm_calls: cq/mr");
		exit(1);
	}
	a.send_cq = a.recv_cq = e->cq;
	CHECK(!rdma_create_qp(id, NULL, &a));
	sge.addr = (uintptr_t)e->buf[0];
	sge.length = MSG_LEN;
	sge.lkey = e->mr->lkey;
	CHECK(!ibv_post_recv(id->qp, &wr, &bad));
}

static void rc_send(struct rdma_cm_id *id, struct rc_end *e, const char *text)
{
	struct ibv_sge sge = { .addr = (uintptr_t)e->buf[1],
			       .length = MSG_LEN,
			       .lkey = e->mr->lkey };
	struct ibv_send_wr wr = { .wr_id = 2,
				  .sg_list = &sge,
				  .num_sge = 1,
				  .opcode = IBV_WR_SEND,
				  .send_flags = IBV_SEND_SIGNALED },
			   *bad;

	strncpy(e->buf[1], text, MSG_LEN - 1);
	CHECK(!ibv_post_send(id->qp, &wr, &bad));
}

/* The next completion of @e, waiting for it (up to EVENT_MS). */
static struct ibv_wc rc_wait(struct rc_end *e)
{
	struct ibv_wc wc;
	int i;

	for (i = 0; i < EVENT_MS * 10; i++) {
		if (ibv_poll_cq(e->cq, 1, &wc) == 1)
			return wc;
		usleep(100);
	}
	fprintf(stderr, "cm_calls: no completion\n");
	exit(1);
}

static void rc_free(struct rc_end *e)
{
	CHECK(!ibv_dereg_mr(e->mr));
	CHECK(!ibv_destroy_cq(e->cq));
}

/* The next connection request of @ch, accepted; its "ping" received. */
static struct rdma_cm_id *accept_ping(struct rdma_event_channel *ch,
				      struct rc_end *e)
{
	struct rdma_cm_event *ev;
	struct rdma_cm_id *id;
	struct ibv_wc wc;

	ev = next_event(ch, RDMA_CM_EVENT_CONNECT_REQUEST);
	id = ev->id;
	rdma_ack_cm_event(ev);
	rc_setup(id, e);
	CHECK(!rdma_accept(id, NULL));
	expect_event(ch, RDMA_CM_EVENT_ESTABLISHED);
	wc = rc_wait(e);
	CHECK(wc.status == IBV_WC_SUCCESS && wc.opcode == IBV_WC_RECV);
	CHECK(!strcmp(e->buf[0], "ping"));
	return id;
}

static int disc_server(const char *addr, const char *port)
{
	struct rdma_event_channel *ch = rdma_create_event_channel();
	struct rdma_cm_id *lis, *id;
	struct rc_end e;

	lis = listen_at(ch, addr, port);
	id = accept_ping(ch, &e);
	/* answer, and leave at once */
	rc_send(id, &e, "pong");
	CHECK(!rdma_disconnect(id));
	expect_event(ch, RDMA_CM_EVENT_DISCONNECTED);
	rdma_destroy_qp(id);
	CHECK(!rdma_destroy_id(id));
	rc_free(&e);
	CHECK(!rdma_destroy_id(lis));
	rdma_destroy_event_channel(ch);
	printf("server: ping in, pong out, disconnected\n");
	return check_failures ? 1 : 0;
}

static int disc_client(const char *addr, const char *port)
{
	struct rdma_event_channel *ch = rdma_create_event_channel();
	struct sockaddr_storage ss;
	struct rdma_cm_id *id;
	struct rc_end e;
	struct ibv_wc wc[4];
	int n, i, sent = 0, got = 0;

	if (!ch || parse_addr(addr, (uint16_t)atoi(port), &ss))
		return 1;
	id = resolved_id(ch, &ss);
	rc_setup(id, &e);
	CHECK(!rdma_connect(id, NULL));
	expect_event(ch, RDMA_CM_EVENT_ESTABLISHED);
	rc_send(id, &e, "ping");
	/* no polling until the peer is gone, and then no QP */
	expect_event(ch, RDMA_CM_EVENT_DISCONNECTED);
	rdma_destroy_qp(id);
	n = ibv_poll_cq(e.cq, 4, wc);
	for (i = 0; i < n; i++) {
		CHECK(wc[i].status == IBV_WC_SUCCESS);
		sent += wc[i].opcode == IBV_WC_SEND;
		got += wc[i].opcode == IBV_WC_RECV;
	}
	CHECK(sent == 1 && got == 1);
	CHECK(!got || !strcmp(e.buf[0], "pong"));
	CHECK(!rdma_destroy_id(id));
	rc_free(&e);
	rdma_destroy_event_channel(ch);
	printf("client: ping acknowledged and pong received before "
	       "DISCONNECTED (%d completions)\n",
	       n);
	return check_failures ? 1 : 0;
}

/* ---- ... while a poll is stopped halfway ---- */

#define HELD_ROUNDS 8
#define HELD_MS 300

static int held_pipe[2][2]; /* 0: the handler is in, 1: let it go */
static atomic_bool held_stop;
static atomic_uint held_polls;

/* Stops the polling thread wherever the signal finds it. */
static void held_handler(int sig)
{
	char c = 0;

	(void)sig;
	if (write(held_pipe[0][1], &c, 1) != 1)
		_exit(1);
	while (read(held_pipe[1][0], &c, 1) < 0)
		;
}

/* Polls a CQ of its own on the connection's device, as fast as it can. */
static void *held_poller(void *arg)
{
	struct ibv_wc wc;

	while (!atomic_load(&held_stop)) {
		ibv_poll_cq(arg, 1, &wc);
		atomic_fetch_add(&held_polls, 1);
	}
	return NULL;
}

/* The completions of @e's SEND, taken from its CQ. */
static int sends_done(struct rc_end *e)
{
	struct ibv_wc wc[4];
	int n, i, sent = 0;

	n = ibv_poll_cq(e->cq, 4, wc);
	for (i = 0; i < n; i++) {
		CHECK(wc[i].status == IBV_WC_SUCCESS);
		sent += wc[i].opcode == IBV_WC_SEND;
	}
	return sent;
}

/* The next event of @ch within @ms, NULL if none; it must be @type. */
static struct rdma_cm_event *event_within(struct rdma_event_channel *ch,
					  enum rdma_cm_event_type type, int ms)
{
	struct pollfd pfd = { .fd = ch->fd, .events = POLLIN };

	if (poll(&pfd, 1, ms) != 1)
		return NULL;
	return next_event(ch, type);
}

static int held_server(const char *addr, const char *port)
{
	struct rdma_event_channel *ch = nonblocking_channel();
	struct rdma_cm_id *lis, *id;
	struct rc_end e;
	int i;

	lis = listen_at(ch, addr, port);
	for (i = 0; i < HELD_ROUNDS; i++) {
		id = accept_ping(ch, &e);
		/* rxm on its last completion: the ACK, then the DREQ */
		rdma_destroy_qp(id);
		CHECK(!rdma_destroy_id(id));
		rc_free(&e);
	}
	CHECK(!rdma_destroy_id(lis));
	rdma_destroy_event_channel(ch);
	printf("server: %d SENDs in, each connection closed at once\n", i);
	return check_failures ? 1 : 0;
}

/*
 * One connection: the poller stopped, the SEND posted. DISCONNECTED may
 * come while the poller is stopped (its poll was not draining, or a
 * provider does not wait for it): the SEND's completion must be in the
 * CQ then, which no drain can fill while the poller holds the sockets.
 * Otherwise it comes once the poller is let go, and the completion must
 * be there when the QP is destroyed. Returns whether it came while the
 * poller was stopped.
 */
static bool held_round(struct rdma_event_channel *ch,
		       struct sockaddr_storage *ss)
{
	struct ibv_cq *own;
	struct rdma_cm_event *ev;
	struct rdma_cm_id *id;
	struct rc_end e;
	pthread_t t;
	char c = 0;
	bool early;

	id = resolved_id(ch, ss);
	rc_setup(id, &e);
	CHECK(!rdma_connect(id, NULL));
	expect_event(ch, RDMA_CM_EVENT_ESTABLISHED);
	own = ibv_create_cq(id->verbs, 4, NULL, NULL, 0);
	if (!own || pthread_create(&t, NULL, held_poller, own)) {
		perror("cm_calls: poller");
		exit(1);
	}
	/* in full swing: mostly in its drain's recvmmsg, the lock held */
	atomic_store(&held_polls, 0);
	while (atomic_load(&held_polls) < 1000)
		usleep(100);
	CHECK(!pthread_kill(t, SIGUSR1));
	CHECK(read(held_pipe[0][0], &c, 1) == 1);
	rc_send(id, &e, "ping");
	ev = event_within(ch, RDMA_CM_EVENT_DISCONNECTED, HELD_MS);
	early = ev != NULL;
	if (early) {
		CHECK(sends_done(&e) == 1);
		rdma_ack_cm_event(ev);
	}
	atomic_store(&held_stop, true);
	CHECK(write(held_pipe[1][1], &c, 1) == 1);
	pthread_join(t, NULL);
	atomic_store(&held_stop, false);
	if (!early)
		expect_event(ch, RDMA_CM_EVENT_DISCONNECTED);
	rdma_destroy_qp(id);
	if (!early)
		CHECK(sends_done(&e) == 1);
	CHECK(!rdma_destroy_id(id));
	CHECK(!ibv_destroy_cq(own));
	rc_free(&e);
	return early;
}

static int held_client(const char *addr, const char *port)
{
	struct sigaction sa = { .sa_handler = held_handler };
	struct rdma_event_channel *ch = nonblocking_channel();
	struct sockaddr_storage ss;
	int i, early = 0;

	if (parse_addr(addr, (uint16_t)atoi(port), &ss) || pipe(held_pipe[0]) ||
	    pipe(held_pipe[1]) || sigaction(SIGUSR1, &sa, NULL))
		return 1;
	for (i = 0; i < HELD_ROUNDS; i++)
		early += held_round(ch, &ss);
	rdma_destroy_event_channel(ch);
	printf("client: %d SENDs, each complete when DISCONNECTED came or "
	       "the QP went; %d DISCONNECTED while the poll was stopped\n",
	       i, early);
	return check_failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	alarm(CASE_SECONDS);
	if (argc == 3 && !strcmp(argv[1], "loopback"))
		return loopback(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "migrate_sync"))
		return migrate_sync(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "ucx_server"))
		return ucx_server(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "ucx_client"))
		return ucx_client(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "disc_server"))
		return disc_server(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "disc_client"))
		return disc_client(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "held_server"))
		return held_server(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "held_client"))
		return held_client(argv[2], argv[3]);
	fprintf(stderr, "usage: cm_calls loopback ADDR | migrate_sync DST | "
			"ucx_server ADDR PORT | ucx_client ADDR PORT | "
			"disc_server ADDR PORT | disc_client ADDR PORT | "
			"held_server ADDR PORT | held_client ADDR PORT\n");
	return 1;
}
