// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cm_scale: N concurrent RC connections over librdmacm, set up and torn
 * down on one event channel, with a QP each.
 *
 *   cm_scale -s [-p PORT] [-n N]       server: accept N, wait until the
 *                                      client disconnects them all
 *   cm_scale -c ADDR [-p PORT] [-n N]  client: connect N at once, print
 *                                      the setup rate, disconnect all
 *
 * -r R repeats it R times (default 2). After each round both sides have
 * destroyed every ID, QP, CQ and PD: their open fds must then be what they
 * were after the first round (what librdmacm and libibverbs keep for the
 * process, made once, at most CM_FD_SLACK more than before the first
 * call). Memory is valgrind's to check. Exit status: 0, or 1.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rdma/rdma_cma.h>

#include "tests/lib/clock.h"

/*
 * What librdmacm and libibverbs keep for the process: the CM thread's
 * epoll and wakeup fds, the query endpoint, a namespace's netlink sockets
 * and shared CM sockets, the cached devices' contexts and their sockets.
 */
#define CM_FD_SLACK 64
#define TIMEOUT_S 120

struct conn {
	struct rdma_cm_id *id;
	int established;
	int disconnected;
};

static struct conn *conns;
static int nconn = 1000;
static struct rdma_event_channel *ch;
static struct ibv_pd *pd;
static struct ibv_cq *cq;
static struct rdma_cm_id *listen_id;

static int count_fds(void)
{
	struct dirent *e;
	DIR *d;
	int n = 0;

	d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the DIR's own */
}

static int create_qp(struct rdma_cm_id *id)
{
	struct ibv_qp_init_attr attr = {
		.cap = { .max_send_wr = 4,
			 .max_recv_wr = 4,
			 .max_send_sge = 1,
			 .max_recv_sge = 1 },
		.qp_type = IBV_QPT_RC,
	};

	/* One PD and CQ for all: N QPs, not N CQs, is what is measured. */
	if (!pd) {
		pd = ibv_alloc_pd(id->verbs);
		cq = pd ? ibv_create_cq(id->verbs, 64, NULL, NULL, 0) : NULL;
		if (!cq) {
			perror("cm_scale: pd/cq");
			return -1;
		}
	}
	attr.send_cq = cq;
	attr.recv_cq = cq;
	if (rdma_create_qp(id, pd, &attr)) {
		perror("cm_scale: rdma_create_qp");
		return -1;
	}
	return 0;
}

static struct conn *conn_of(struct rdma_cm_id *id)
{
	return id->context;
}

/* Waits for the next event: 0, or -1 after a message. */
static int get_event(struct rdma_cm_event **evp)
{
	if (rdma_get_cm_event(ch, evp)) {
		perror("cm_scale: rdma_get_cm_event");
		return -1;
	}
	return 0;
}

static void destroy_all(void)
{
	int i;

	for (i = 0; i < nconn; i++) {
		if (conns[i].id) {
			rdma_destroy_qp(conns[i].id);
			rdma_destroy_id(conns[i].id);
		}
		memset(&conns[i], 0, sizeof(conns[i]));
	}
	if (cq)
		ibv_destroy_cq(cq);
	if (pd)
		ibv_dealloc_pd(pd);
	cq = NULL;
	pd = NULL;
}

static int run_server(const char *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct rdma_cm_event *ev;
	int accepted = 0, est = 0, disc = 0, ret = 1;

	sin.sin_port = htons((uint16_t)atoi(port));
	if (!listen_id) {
		if (rdma_create_id(ch, &listen_id, NULL, RDMA_PS_TCP) ||
		    rdma_bind_addr(listen_id, (struct sockaddr *)&sin) ||
		    rdma_listen(listen_id, nconn)) {
			perror("cm_scale: listen");
			goto out;
		}
		printf("listening on port %s\n", port);
		fflush(stdout);
	}
	while (disc < nconn) {
		struct rdma_cm_id *id;
		struct conn *c;

		if (get_event(&ev))
			goto out;
		id = ev->id;
		switch (ev->event) {
		case RDMA_CM_EVENT_CONNECT_REQUEST:
			if (accepted == nconn) {
				rdma_reject(id, NULL, 0);
				rdma_destroy_id(id);
				break;
			}
			c = &conns[accepted++];
			c->id = id;
			id->context = c;
			if (create_qp(id) || rdma_accept(id, NULL)) {
				perror("cm_scale: accept");
				rdma_ack_cm_event(ev);
				goto out;
			}
			break;
		case RDMA_CM_EVENT_ESTABLISHED:
			conn_of(id)->established = 1;
			est++;
			break;
		case RDMA_CM_EVENT_TIMEWAIT_EXIT:
			break;
		case RDMA_CM_EVENT_DISCONNECTED:
			if (!conn_of(id)->disconnected) {
				conn_of(id)->disconnected = 1;
				rdma_disconnect(id);
				disc++;
			}
			break;
		default:
			fprintf(stderr, "cm_scale: server: %s (status %d)\n",
				rdma_event_str(ev->event), ev->status);
			rdma_ack_cm_event(ev);
			goto out;
		}
		rdma_ack_cm_event(ev);
	}
	printf("server: %d accepted, %d established, %d disconnected\n",
	       accepted, est, disc);
	ret = 0;
out:
	destroy_all();
	return ret;
}

static int run_client(const char *addr, const char *port)
{
	struct rdma_addrinfo hints = { .ai_port_space = RDMA_PS_TCP }, *rai;
	struct rdma_conn_param param = { .retry_count = 7,
					 .rnr_retry_count = 7 };
	struct rdma_cm_event *ev;
	int i, est = 0, disc = 0, ret = 1;
	double t0, t1;

	if (rdma_getaddrinfo(addr, port, &hints, &rai)) {
		perror("cm_scale: rdma_getaddrinfo");
		return 1;
	}
	t0 = now_s();
	for (i = 0; i < nconn; i++) {
		if (rdma_create_id(ch, &conns[i].id, &conns[i], RDMA_PS_TCP) ||
		    rdma_resolve_addr(conns[i].id, NULL, rai->ai_dst_addr,
				      2000)) {
			perror("cm_scale: resolve_addr");
			goto out;
		}
	}
	while (est < nconn) {
		struct rdma_cm_id *id;

		if (get_event(&ev))
			goto out;
		id = ev->id;
		switch (ev->event) {
		case RDMA_CM_EVENT_ADDR_RESOLVED:
			if (rdma_resolve_route(id, 2000))
				goto fail_ev;
			break;
		case RDMA_CM_EVENT_ROUTE_RESOLVED:
			if (create_qp(id) || rdma_connect(id, &param))
				goto fail_ev;
			break;
		case RDMA_CM_EVENT_ESTABLISHED:
			conn_of(id)->established = 1;
			est++;
			break;
		default:
			fprintf(stderr, "cm_scale: client: %s (status %d)\n",
				rdma_event_str(ev->event), ev->status);
			goto fail_ev;
		}
		rdma_ack_cm_event(ev);
	}
	t1 = now_s();
	printf("client: %d connections established in %.3f s: %.0f "
	       "connections/s\n",
	       nconn, t1 - t0, nconn / (t1 - t0));
	for (i = 0; i < nconn; i++)
		if (rdma_disconnect(conns[i].id)) {
			perror("cm_scale: rdma_disconnect");
			goto out;
		}
	while (disc < nconn) {
		if (get_event(&ev))
			goto out;
		if (ev->event == RDMA_CM_EVENT_DISCONNECTED) {
			disc++;
		} else if (ev->event != RDMA_CM_EVENT_TIMEWAIT_EXIT) {
			fprintf(stderr, "cm_scale: client: %s at teardown\n",
				rdma_event_str(ev->event));
			goto fail_ev;
		}
		rdma_ack_cm_event(ev);
	}
	printf("client: %d disconnected in %.3f s\n", disc, now_s() - t1);
	ret = 0;
	goto out;
fail_ev:
	perror("cm_scale: client");
	rdma_ack_cm_event(ev);
out:
	rdma_freeaddrinfo(rai);
	destroy_all();
	return ret;
}

int main(int argc, char **argv)
{
	const char *addr = NULL, *port = "7471";
	int opt, server = 0, ret = 0, fds0, fds1 = -1, fds, rounds = 2, r;
	double deadline;

	while ((opt = getopt(argc, argv, "sc:p:n:r:")) != -1) {
		switch (opt) {
		case 's':
			server = 1;
			break;
		case 'c':
			addr = optarg;
			break;
		case 'p':
			port = optarg;
			break;
		case 'n':
			nconn = atoi(optarg);
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (server == !!addr || nconn <= 0)
		goto usage;
	conns = calloc(nconn, sizeof(*conns));
	if (!conns)
		return 1;
	fds0 = count_fds();
	ch = rdma_create_event_channel();
	if (!ch) {
		perror("cm_scale: rdma_create_event_channel");
		return 1;
	}
	deadline = now_s() + TIMEOUT_S;
	for (r = 0; r < rounds && !ret; r++) {
		ret = server ? run_server(port) : run_client(addr, port);
		fds = count_fds();
		printf("%s: round %d: fds before %d, now %d\n",
		       server ? "server" : "client", r + 1, fds0, fds);
		fflush(stdout);
		if (!r)
			fds1 = fds;
		if (!ret && (fds != fds1 || fds > fds0 + CM_FD_SLACK)) {
			fprintf(stderr, "cm_scale: fds leak: %d, then %d\n",
				fds1, fds);
			ret = 1;
		}
	}
	if (listen_id)
		rdma_destroy_id(listen_id);
	rdma_destroy_event_channel(ch);
	free(conns);
	if (now_s() > deadline)
		fprintf(stderr, "cm_scale: took longer than %d s\n", TIMEOUT_S);
	return ret;
usage:
	fprintf(stderr,
		"usage: cm_scale -s | -c ADDR [-p PORT] [-n N] [-r R]\n");
	return 1;
}
