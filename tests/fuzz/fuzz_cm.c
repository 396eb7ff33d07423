// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzz target: librdmacm's connection state machine (cm_recv) with live
 * IDs, fed CM datagrams as the CM thread's socket drain hands them over
 * (decoded, under cm_lock), without a peer: the harness plays it.
 *
 * Every input gets fresh IDs on one event channel, on 127.0.0.1 of the
 * process (uroce_lo), their peer two UDP sockets of the harness, P1 and
 * P2, that nobody answers from:
 *
 *   L  a listener (RDMA_PS_TCP)
 *   A  an active ID in REQ_SENT, its REQ sent to P1
 *   B  an active ID ESTABLISHED with P1 (REP fed, rdma_establish)
 *   C  a child of L in REQ_RCVD (a REQ fed from P2)
 *   D  a child of L in REP_SENT (another REQ from P2, rdma_accept)
 *
 * The IDs have no QP (the connection parameters name one). The input is
 * a sequence of datagrams, 16 at most:
 *
 *   byte 0  bits 0-1  the source: P1, P2, another port of 127.0.0.1, or
 *                     P1's port on 127.0.0.2
 *           bit 2     the receiving socket: L's, else the active IDs'
 *           bits 3-5  the ID it is made for (a fuzzer cannot guess the
 *                     random communication IDs): 0 none, 1-5 L, A, B, C,
 *                     D: the remote ID is made the ID's local ID, and
 *                     (bit 6) the local ID its remote ID; a REQ or
 *                     SIDR_REQ gets L's service ID
 *   bytes 1-2  the datagram's length, big-endian
 *   then       the datagram (a 256-byte CM MAD).
 *
 * Once the input is fed, the IDs are destroyed; those left closing get
 * the DREP their peer would send, so that none lingers for long.
 */
#include <arpa/inet.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "librdmacm/cma.h"
#include "librdmacm/cm_msg.h"

#define MAX_MSGS 16
#define NIDS 5 /* L, A, B, C, D */
#define PEER_QPN 0x123456
#define EV_WAIT_MS 5000

static struct rdma_event_channel *ch;
static int p1_fd, p2_fd;
static struct sockaddr_in p1, p2;
static uint32_t peer_ids = 0x1000; /* the peer's communication IDs */

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static int udp_sock(struct sockaddr_in *sa)
{
	socklen_t len = sizeof(*sa);
	int fd;

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)sa, sizeof(*sa)) ||
	    getsockname(fd, (struct sockaddr *)sa, &len))
		die("peer socket");
	return fd;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	p1_fd = udp_sock(&p1);
	p2_fd = udp_sock(&p2);
	ch = rdma_create_event_channel();
	if (!ch)
		die("rdma_create_event_channel");
	return 0;
}

/* Waits for @id's event @type; others are acked and dropped. */
static struct rdma_cm_id *wait_event(struct rdma_cm_id *id,
				     enum rdma_cm_event_type type)
{
	struct pollfd pfd = { .fd = ch->fd, .events = POLLIN };
	struct rdma_cm_event *ev;
	struct rdma_cm_id *got;

	for (;;) {
		if (poll(&pfd, 1, EV_WAIT_MS) != 1) {
			fprintf(stderr, "fuzz_cm: no %s\n",
				rdma_event_str(type));
			exit(1);
		}
		if (rdma_get_cm_event(ch, &ev))
			die("rdma_get_cm_event");
		if (ev->event == type &&
		    (type == RDMA_CM_EVENT_CONNECT_REQUEST ?
			     ev->listen_id == id :
			     ev->id == id)) {
			got = ev->id;
			rdma_ack_cm_event(ev);
			return got;
		}
		rdma_ack_cm_event(ev);
	}
}

/* Acks whatever the channel holds; children of REQs fed are destroyed. */
static void drain_events(void)
{
	struct pollfd pfd = { .fd = ch->fd, .events = POLLIN };
	struct rdma_cm_event *ev;
	struct rdma_cm_id *child;
	char junk[512];

	while (poll(&pfd, 1, 0) == 1 && !rdma_get_cm_event(ch, &ev)) {
		child = ev->event == RDMA_CM_EVENT_CONNECT_REQUEST ? ev->id :
								     NULL;
		rdma_ack_cm_event(ev);
		if (child && rdma_destroy_id(child))
			die("rdma_destroy_id");
	}
	while (recv(p1_fd, junk, sizeof(junk), MSG_DONTWAIT) >= 0)
		;
	while (recv(p2_fd, junk, sizeof(junk), MSG_DONTWAIT) >= 0)
		;
}

/* Feeds @raw (@len bytes) to socket @s from @from, as cm_sock_drain does. */
static void feed(struct cm_sock *s, const struct sockaddr_in *from,
		 const uint8_t *raw, size_t len)
{
	struct sockaddr_storage ss = { 0 };
	struct cm_msg m;

	memcpy(&ss, from, sizeof(*from));
	pthread_mutex_lock(&cm_lock);
	if (!cm_msg_decode(raw, len, &m) && !s->dead)
		cm_recv(s, &ss, &m, raw);
	pthread_mutex_unlock(&cm_lock);
}

static void feed_msg(struct cm_sock *s, const struct sockaddr_in *from,
		     const struct cm_msg *m)
{
	uint8_t buf[CM_MAD_SIZE];

	if (cm_msg_encode(m, buf))
		die("cm_msg_encode");
	feed(s, from, buf, sizeof(buf));
}

/* Our address (P1's port) on the way to the active state. */
static struct rdma_cm_id *active_id(void)
{
	struct rdma_conn_param cp = { .qp_num = 0x77, .retry_count = 7 };
	struct rdma_cm_id *id;

	if (rdma_create_id(ch, &id, NULL, RDMA_PS_TCP))
		die("rdma_create_id");
	if (rdma_resolve_addr(id, NULL, (struct sockaddr *)&p1, 1000))
		die("rdma_resolve_addr");
	wait_event(id, RDMA_CM_EVENT_ADDR_RESOLVED);
	if (rdma_resolve_route(id, 1000))
		die("rdma_resolve_route");
	wait_event(id, RDMA_CM_EVENT_ROUTE_RESOLVED);
	if (rdma_connect(id, &cp))
		die("rdma_connect");
	return id;
}

/* A REQ from P2 to the listener @l: its child, REQ_RCVD. */
static struct rdma_cm_id *passive_id(struct rdma_cm_id *l)
{
	struct cm_msg m = { .attr = CM_ATTR_REQ };
	struct cm_ip_hdr h = { .family = AF_INET };

	h.src_port = ntohs(p2.sin_port);
	h.src.s6_addr[15] = 1;
	h.src.s6_addr[12] = 127;
	h.dst = h.src;
	m.local_id = ++peer_ids;
	m.service_id = cm_service_id(RDMA_PS_TCP, ntohs(rdma_get_src_port(l)));
	m.qpn = PEER_QPN;
	m.psn = 1;
	m.resp_res = 1;
	m.init_depth = 1;
	m.remote_resp_timeout = 18;
	m.local_resp_timeout = 18;
	m.retry_count = 7;
	m.rnr_retry = 7;
	m.pkey = 0xffff;
	m.path_mtu = IBV_MTU_1024;
	m.max_cm_retries = 15;
	m.ack_timeout = 14;
	m.pdata_len = CM_IP_HDR_SIZE;
	cm_ip_hdr_encode(&h, m.pdata);
	feed_msg(to_cm_id(l)->sock, &p2, &m);
	return wait_event(l, RDMA_CM_EVENT_CONNECT_REQUEST);
}

static void make_ids(struct rdma_cm_id **ids)
{
	struct rdma_conn_param cp = { .qp_num = 0x88 };
	struct sockaddr_in la = { .sin_family = AF_INET };
	struct cm_msg rep = { .attr = CM_ATTR_REP };

	la.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (rdma_create_id(ch, &ids[0], NULL, RDMA_PS_TCP) ||
	    rdma_bind_addr(ids[0], (struct sockaddr *)&la) ||
	    rdma_listen(ids[0], 8))
		die("listener");
	ids[1] = active_id();
	ids[2] = active_id();
	rep.local_id = ++peer_ids;
	rep.remote_id = to_cm_id(ids[2])->local_id;
	rep.qpn = PEER_QPN;
	rep.resp_res = 1;
	rep.init_depth = 1;
	rep.rnr_retry = 7;
	rep.target_ack_delay = 14;
	feed_msg(to_cm_id(ids[2])->sock, &p1, &rep);
	wait_event(ids[2], RDMA_CM_EVENT_CONNECT_RESPONSE);
	if (rdma_establish(ids[2]))
		die("rdma_establish");
	ids[3] = passive_id(ids[0]);
	ids[4] = passive_id(ids[0]);
	if (rdma_accept(ids[4], &cp))
		die("rdma_accept");
}

/* Sends closing IDs the DREP their peer would, by their local IDs. */
static void close_lingering(const uint32_t *local_ids)
{
	struct sockaddr_storage peer;
	struct cm_msg m = { .attr = CM_ATTR_DREP };
	uint8_t buf[CM_MAD_SIZE];
	struct cm_id *cid;
	int i;

	pthread_mutex_lock(&cm_lock);
	for (i = 0; i < NIDS; i++) {
		cid = cm_id_find(local_ids[i]);
		if (!cid || cid->state != CMS_DREQ_SENT || !cid->sock)
			continue;
		m.local_id = cid->remote_id;
		m.remote_id = cid->local_id;
		peer = cid->peer;
		if (!cm_msg_encode(&m, buf))
			cm_recv(cid->sock, &peer, &m, buf);
	}
	pthread_mutex_unlock(&cm_lock);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rdma_cm_id *ids[NIDS];
	uint32_t local_ids[NIDS];
	struct sockaddr_in from;
	unsigned int n = 0, to, i;
	struct cm_msg m;
	struct cm_sock *s;
	struct cm_id *cid;
	uint8_t buf[CM_MAD_SIZE + 1];
	size_t len;
	uint8_t h;

	make_ids(ids);
	for (i = 0; i < NIDS; i++)
		local_ids[i] = to_cm_id(ids[i])->local_id;
	while (size >= 3 && n++ < MAX_MSGS) {
		h = data[0];
		len = (size_t)data[1] << 8 | data[2];
		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		if (len > sizeof(buf))
			len = sizeof(buf);
		memcpy(buf, data, len);
		data += len;
		size -= len;
		from = (h & 3) == 1 ? p2 : p1;
		if ((h & 3) == 2)
			from.sin_port = htons(ntohs(p2.sin_port) + 1);
		if ((h & 3) == 3)
			from.sin_addr.s_addr = htonl(0x7f000002);
		s = to_cm_id(ids[h & 4 ? 0 : 1])->sock;
		to = h >> 3 & 7;
		if (to && to <= NIDS && len == CM_MAD_SIZE &&
		    !cm_msg_decode(buf, len, &m)) {
			pthread_mutex_lock(&cm_lock);
			cid = cm_id_find(local_ids[to - 1]);
			if (cid) {
				m.remote_id = cid->local_id;
				if (h & 0x40)
					m.local_id = cid->remote_id;
			}
			pthread_mutex_unlock(&cm_lock);
			if (m.attr == CM_ATTR_REQ || m.attr == CM_ATTR_SIDR_REQ)
				m.service_id = cm_service_id(
					RDMA_PS_TCP,
					ntohs(rdma_get_src_port(ids[0])));
			cm_msg_encode(&m, buf);
		}
		feed(s, &from, buf, len);
	}
	drain_events();
	for (i = NIDS; i--;)
		if (rdma_destroy_id(ids[i]))
			die("rdma_destroy_id");
	close_lingering(local_ids);
	drain_events();
	return 0;
}
