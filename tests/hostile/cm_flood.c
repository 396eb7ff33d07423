// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Connection requests that are never completed, at a listener that
 * accepts everything.
 *
 *   cm_flood server ADDR PORT BACKLOG SECONDS DELAY_MS
 *	listens with BACKLOG for SECONDS; accepts every request DELAY_MS
 *	after it came, with a QP of its own (CQs and channels made by
 *	rdma_create_qp), and releases the QP and ID of every connection that
 *	fails or ends. Prints its VmRSS and open descriptors after the first
 *	connection that stands (the base) and their largest values after it
 *   cm_flood client ADDR PORT
 *	connects with a QP; exit 0 once ESTABLISHED, 1 if anything else
 *	answers within 40 s
 *   cm_flood flood ADDR PORT COUNT RATE RETRIES TIMEOUT DRAIN_MS
 *	sends COUNT requests, RATE a second, from its own UDP port, each
 *	with a new communication ID, Max CM Retries RETRIES and a Local CM
 *	Response Timeout TIMEOUT, and never answers; counts the REPs that
 *	come back for each until DRAIN_MS after the last request
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rdma/rdma_cma.h>

#include "librdmacm/cm_msg.h"
#include "tests/hostile/cm_common.h"

#define ID_BASE 0x10000000u

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

static long status_kb(const char *key)
{
	char line[256];
	size_t n = strlen(key);
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':')
			v = atol(line + n + 1);
	fclose(f);
	return v;
}

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n - 3; /* ".", ".." and the directory's own */
}

static void release(struct rdma_cm_id *id)
{
	if (id->qp)
		rdma_destroy_qp(id);
	rdma_destroy_id(id);
}

struct server_stats {
	unsigned int requests, accepted, established, failed, no_qp;
	long rss0, rss_max;
	int fds0, fds_max;
};

static void sample(struct server_stats *st)
{
	long rss = status_kb("VmRSS");
	int fds = open_fds();

	if (!st->established)
		return;
	if (!st->rss0) {
		st->rss0 = st->rss_max = rss;
		st->fds0 = st->fds_max = fds;
	}
	if (rss > st->rss_max)
		st->rss_max = rss;
	if (fds > st->fds_max)
		st->fds_max = fds;
}

static void on_request(struct server_stats *st, struct rdma_cm_id *id,
		       int delay)
{
	struct rdma_conn_param cp = { .retry_count = 7 };

	st->requests++;
	if (delay)
		usleep((useconds_t)delay * 1000);
	if (make_qp(id)) {
		st->no_qp++;
		rdma_reject(id, NULL, 0);
		rdma_destroy_id(id);
		return;
	}
	if (rdma_accept(id, &cp)) {
		st->failed++;
		release(id);
		return;
	}
	st->accepted++;
}

static int server(const char *addr, int port, int backlog, int secs, int delay)
{
	struct rdma_event_channel *ch = rdma_create_event_channel();
	struct server_stats st = { 0 };
	struct rdma_cm_event *ev;
	struct sockaddr_storage ss;
	struct rdma_cm_id *lid, *id;
	double end = now_ms() + secs * 1e3, next = 0;

	if (!ch || parse_addr(addr, (uint16_t)port, &ss) ||
	    rdma_create_id(ch, &lid, NULL, RDMA_PS_TCP) ||
	    rdma_bind_addr(lid, (struct sockaddr *)&ss) ||
	    rdma_listen(lid, backlog))
		die("server: listen");
	printf("server: listening\n");
	fflush(stdout);
	while (now_ms() < end) {
		struct pollfd p = { .fd = ch->fd, .events = POLLIN };

		if (now_ms() >= next) {
			sample(&st);
			next = now_ms() + 100;
		}
		if (poll(&p, 1, 100) <= 0)
			continue;
		if (rdma_get_cm_event(ch, &ev))
			die("rdma_get_cm_event");
		id = ev->id;
		switch (ev->event) {
		case RDMA_CM_EVENT_CONNECT_REQUEST:
			rdma_ack_cm_event(ev);
			on_request(&st, id, delay);
			break;
		case RDMA_CM_EVENT_ESTABLISHED:
			rdma_ack_cm_event(ev);
			st.established++;
			printf("server: connection %u established\n",
			       st.established);
			fflush(stdout);
			break;
		case RDMA_CM_EVENT_DISCONNECTED:
			rdma_ack_cm_event(ev);
			rdma_disconnect(id);
			release(id);
			break;
		default:
			/* UNREACHABLE, REJECTED, CONNECT_ERROR: give it up. */
			rdma_ack_cm_event(ev);
			st.failed++;
			release(id);
		}
	}
	sample(&st);
	printf("server: requests=%u accepted=%u established=%u failed=%u "
	       "no_qp=%u\n",
	       st.requests, st.accepted, st.established, st.failed, st.no_qp);
	printf("server: base rss=%ld kB fds=%d; max rss=%ld kB fds=%d; "
	       "hwm=%ld kB\n",
	       st.rss0, st.fds0, st.rss_max, st.fds_max, status_kb("VmHWM"));
	printf("server: growth rss=%ld kB fds=%d rss_check=%d\n",
	       st.rss_max - st.rss0, st.fds_max - st.fds0, RSS_CHECK);
	return 0;
}

static int client(const char *addr, int port)
{
	struct rdma_event_channel *ch = rdma_create_event_channel();
	enum rdma_cm_event_type t;
	struct rdma_cm_event *ev;
	struct rdma_cm_id *id;
	double t0 = now_ms();

	if (!ch || rdma_create_id(ch, &id, NULL, RDMA_PS_TCP))
		die("client: create_id");
	t = connect_to(ch, id, addr, port, true, 40000);
	printf("client: %s after %.0f ms\n", rdma_event_str(t), now_ms() - t0);
	if (t != RDMA_CM_EVENT_ESTABLISHED)
		return 1;
	rdma_disconnect(id);
	if (!next_event(ch, 2000, &ev))
		rdma_ack_cm_event(ev);
	release(id);
	rdma_destroy_event_channel(ch);
	return 0;
}

static void fill_req(struct cm_msg *m, const struct sockaddr_in *me,
		     const struct sockaddr_in *to, uint32_t id, int retries,
		     int timeout)
{
	struct cm_ip_hdr h = { .family = AF_INET };

	memset(m, 0, sizeof(*m));
	m->attr = CM_ATTR_REQ;
	m->tid = (uint64_t)id << 32 | CM_ATTR_REQ;
	m->local_id = id;
	m->service_id = cm_service_id(RDMA_PS_TCP, ntohs(to->sin_port));
	m->qpn = id & 0xffffff;
	m->psn = 1;
	m->resp_res = 1;
	m->init_depth = 1;
	m->remote_resp_timeout = (uint8_t)timeout;
	m->local_resp_timeout = (uint8_t)timeout;
	m->retry_count = 7;
	m->rnr_retry = 7;
	m->pkey = 0xffff;
	m->path_mtu = IBV_MTU_1024;
	m->max_cm_retries = (uint8_t)retries;
	m->slid = 0xffff;
	m->dlid = 0xffff;
	m->hop_limit = 64;
	m->subnet_local = 1;
	m->ack_timeout = 14;
	m->packet_rate = 3;
	h.src_port = ntohs(me->sin_port);
	h.src.s6_addr[10] = h.src.s6_addr[11] = 0xff;
	memcpy(h.src.s6_addr + 12, &me->sin_addr, 4);
	h.dst.s6_addr[10] = h.dst.s6_addr[11] = 0xff;
	memcpy(h.dst.s6_addr + 12, &to->sin_addr, 4);
	memcpy(m->sgid, &h.src, 16);
	memcpy(m->dgid, &h.dst, 16);
	cm_ip_hdr_encode(&h, m->pdata);
	m->pdata_len = CM_REQ_PDATA;
}

/* Takes in what has come: REPs counted per request, the rest by kind. */
static void take_in(int fd, unsigned int *reps, unsigned int count,
		    unsigned int *rejs)
{
	uint8_t buf[CM_MAD_SIZE + 1];
	struct cm_msg m;
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) >= 0 ||
	       errno == ECONNREFUSED) {
		if (n < 0 || cm_msg_decode(buf, (size_t)n, &m))
			continue;
		if (m.attr == CM_ATTR_REJ)
			(*rejs)++;
		if (m.attr == CM_ATTR_REP && m.remote_id >= ID_BASE &&
		    m.remote_id - ID_BASE < count)
			reps[m.remote_id - ID_BASE]++;
	}
}

static int flood(const char *addr, int port, unsigned int count, int rate,
		 int retries, int timeout, int drain)
{
	struct sockaddr_storage to, me;
	socklen_t len = sizeof(me);
	unsigned int *reps = calloc(count, sizeof(*reps));
	unsigned int i, answered = 0, total = 0, max = 0, rejs = 0;
	uint8_t buf[CM_MAD_SIZE];
	struct cm_msg m;
	double t0, end;
	int fd;

	if (!reps || parse_addr(addr, (uint16_t)port, &to))
		return 2;
	/* Its own address as its peer sees it: the route's source. */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 ||
	    connect(fd, (struct sockaddr *)&to, sizeof(struct sockaddr_in)) ||
	    getsockname(fd, (struct sockaddr *)&me, &len))
		die("flood: route");
	close(fd);
	/* Unconnected: answers come from other ports of the server. */
	((struct sockaddr_in *)&me)->sin_port = 0;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 ||
	    bind(fd, (struct sockaddr *)&me, sizeof(struct sockaddr_in)) ||
	    getsockname(fd, (struct sockaddr *)&me, &len))
		die("flood: socket");
	t0 = now_ms();
	for (i = 0; i < count; i++) {
		fill_req(&m, (struct sockaddr_in *)&me,
			 (struct sockaddr_in *)&to, ID_BASE + i, retries,
			 timeout);
		if (cm_msg_encode(&m, buf))
			die("cm_msg_encode");
		if (sendto(fd, buf, sizeof(buf), 0, (struct sockaddr *)&to,
			   sizeof(struct sockaddr_in)) < 0 &&
		    errno != ECONNREFUSED)
			die("flood: send");
		take_in(fd, reps, count, &rejs);
		/* Paced from the start: a late turn sends at once. */
		end = t0 + (i + 1) * 1e3 / rate;
		while (now_ms() < end) {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			poll(&p, 1, (int)(end - now_ms()) + 1);
			take_in(fd, reps, count, &rejs);
		}
	}
	for (end = now_ms() + drain; now_ms() < end;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		poll(&p, 1, 50);
		take_in(fd, reps, count, &rejs);
	}
	for (i = 0; i < count; i++) {
		answered += reps[i] > 0;
		total += reps[i];
		if (reps[i] > max)
			max = reps[i];
	}
	printf("flood: sent %u requests in %.0f ms (max_cm_retries %d, "
	       "timeout %d); %u answered, %u REPs, at most %u for one "
	       "request, %u REJs\n",
	       count, now_ms() - t0 - drain, retries, timeout, answered, total,
	       max, rejs);
	printf("flood: max_reps=%u\n", max);
	free(reps);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 7 && !strcmp(argv[1], "server"))
		return server(argv[2], atoi(argv[3]), atoi(argv[4]),
			      atoi(argv[5]), atoi(argv[6]));
	if (argc == 4 && !strcmp(argv[1], "client"))
		return client(argv[2], atoi(argv[3]));
	if (argc == 9 && !strcmp(argv[1], "flood"))
		return flood(argv[2], atoi(argv[3]),
			     (unsigned int)atoi(argv[4]), atoi(argv[5]),
			     atoi(argv[6]), atoi(argv[7]), atoi(argv[8]));
	fprintf(stderr, "usage: see the comment at the top of cm_flood.c\n");
	return 2;
}
