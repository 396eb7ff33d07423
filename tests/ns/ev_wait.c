// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ev_wait DEV EVENTS TIMEOUT_MS
 *
 * Opens device DEV, prints "ready" once its context is open, then waits on
 * the async event fd until every event in EVENTS (comma-separated names as
 * in IBV_EVENT_<NAME>, e.g. GID_CHANGE or PORT_ERR,DEVICE_FATAL) has been
 * raised. Each event received is printed and acknowledged. At the end it
 * prints what the open context sees: "port_state=PORT_ACTIVE" and each
 * GID as "gid[INDEX]=ADDRESS".
 *
 * Exit status: 0 all events seen, 1 timeout, 2 usage or setup error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <infiniband/verbs.h>

#define MAX_WANT 8

static const struct {
	const char *name;
	enum ibv_event_type type;
} event_names[] = {
	{ "CQ_ERR", IBV_EVENT_CQ_ERR },
	{ "QP_FATAL", IBV_EVENT_QP_FATAL },
	{ "QP_REQ_ERR", IBV_EVENT_QP_REQ_ERR },
	{ "QP_ACCESS_ERR", IBV_EVENT_QP_ACCESS_ERR },
	{ "COMM_EST", IBV_EVENT_COMM_EST },
	{ "SQ_DRAINED", IBV_EVENT_SQ_DRAINED },
	{ "PATH_MIG", IBV_EVENT_PATH_MIG },
	{ "PATH_MIG_ERR", IBV_EVENT_PATH_MIG_ERR },
	{ "DEVICE_FATAL", IBV_EVENT_DEVICE_FATAL },
	{ "PORT_ACTIVE", IBV_EVENT_PORT_ACTIVE },
	{ "PORT_ERR", IBV_EVENT_PORT_ERR },
	{ "LID_CHANGE", IBV_EVENT_LID_CHANGE },
	{ "PKEY_CHANGE", IBV_EVENT_PKEY_CHANGE },
	{ "SM_CHANGE", IBV_EVENT_SM_CHANGE },
	{ "SRQ_ERR", IBV_EVENT_SRQ_ERR },
	{ "SRQ_LIMIT_REACHED", IBV_EVENT_SRQ_LIMIT_REACHED },
	{ "QP_LAST_WQE_REACHED", IBV_EVENT_QP_LAST_WQE_REACHED },
	{ "CLIENT_REREGISTER", IBV_EVENT_CLIENT_REREGISTER },
	{ "GID_CHANGE", IBV_EVENT_GID_CHANGE },
	{ "WQ_FATAL", IBV_EVENT_WQ_FATAL },
};

static const char *event_name(enum ibv_event_type type)
{
	size_t i;

	for (i = 0; i < sizeof(event_names) / sizeof(event_names[0]); i++)
		if (event_names[i].type == type)
			return event_names[i].name;
	return "UNKNOWN";
}

static int parse_event(const char *s, enum ibv_event_type *type)
{
	size_t i;

	if (!strncmp(s, "IBV_EVENT_", 10))
		s += 10;
	for (i = 0; i < sizeof(event_names) / sizeof(event_names[0]); i++) {
		if (!strcmp(s, event_names[i].name)) {
			*type = event_names[i].type;
			return 0;
		}
	}
	return -1;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static struct ibv_context *open_by_name(const char *name)
{
	struct ibv_context *ctx = NULL;
	struct ibv_device **list;
	int i, n;

	list = ibv_get_device_list(&n);
	if (!list) {
		perror("ibv_get_device_list");
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (!strcmp(ibv_get_device_name(list[i]), name)) {
			ctx = ibv_open_device(list[i]);
			if (!ctx)
				perror("ibv_open_device");
			break;
		}
	}
	if (i == n)
		fprintf(stderr, "ev_wait: no device %s\n", name);
	ibv_free_device_list(list);
	return ctx;
}

static const char *port_state_name(enum ibv_port_state state)
{
	switch (state) {
	case IBV_PORT_NOP:
		return "PORT_NOP";
	case IBV_PORT_DOWN:
		return "PORT_DOWN";
	case IBV_PORT_INIT:
		return "PORT_INIT";
	case IBV_PORT_ARMED:
		return "PORT_ARMED";
	case IBV_PORT_ACTIVE:
		return "PORT_ACTIVE";
	case IBV_PORT_ACTIVE_DEFER:
		return "PORT_ACTIVE_DEFER";
	}
	return "PORT_UNKNOWN";
}

/* What the open context sees now: port state and GID table. */
static void print_port(struct ibv_context *ctx)
{
	struct ibv_gid_entry gids[64];
	struct ibv_port_attr attr;
	char buf[INET6_ADDRSTRLEN];
	ssize_t n, i;
	int ret;

	ret = ibv_query_port(ctx, 1, &attr);
	if (ret)
		printf("port_state=error(%s)\n", strerror(ret));
	else
		printf("port_state=%s\n", port_state_name(attr.state));
	n = ibv_query_gid_table(ctx, gids, 64, 0);
	if (n < 0)
		printf("gids=error(%s)\n", strerror(-n));
	for (i = 0; i < n; i++)
		printf("gid[%u]=%s\n", gids[i].gid_index,
		       inet_ntop(AF_INET6, gids[i].gid.raw, buf, sizeof(buf)));
}

int main(int argc, char **argv)
{
	enum ibv_event_type want[MAX_WANT];
	bool seen[MAX_WANT] = { false };
	struct ibv_async_event ev;
	struct ibv_context *ctx;
	long long deadline;
	int nwant = 0, left, i, ret = 1;
	char *list, *tok, *save;

	if (argc != 4) {
		fprintf(stderr, "usage: ev_wait DEV EVENT[,EVENT...] "
				"TIMEOUT_MS\n");
		return 2;
	}
	list = strdup(argv[2]);
	if (!list)
		return 2;
	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (nwant == MAX_WANT || parse_event(tok, &want[nwant])) {
			fprintf(stderr, "ev_wait: bad event '%s'\n", tok);
			free(list);
			return 2;
		}
		nwant++;
	}
	free(list);
	if (!nwant)
		return 2;
	deadline = now_ms() + atoi(argv[3]);

	ctx = open_by_name(argv[1]);
	if (!ctx)
		return 2;
	if (fcntl(ctx->async_fd, F_SETFL,
		  fcntl(ctx->async_fd, F_GETFL) | O_NONBLOCK)) {
		perror("fcntl");
		ibv_close_device(ctx);
		return 2;
	}
	printf("ready\n");
	fflush(stdout);

	left = nwant;
	while (left) {
		struct pollfd p = { .fd = ctx->async_fd, .events = POLLIN };
		long long wait = deadline - now_ms();

		if (wait <= 0)
			break;
		if (poll(&p, 1, (int)wait) < 0) {
			if (errno == EINTR)
				continue;
			perror("poll");
			break;
		}
		if (ibv_get_async_event(ctx, &ev)) {
			if (errno == EAGAIN)
				continue;
			perror("ibv_get_async_event");
			break;
		}
		printf("event %s", event_name(ev.event_type));
		if (ev.event_type == IBV_EVENT_PORT_ACTIVE ||
		    ev.event_type == IBV_EVENT_PORT_ERR ||
		    ev.event_type == IBV_EVENT_GID_CHANGE)
			printf(" port %d", ev.element.port_num);
		printf("\n");
		fflush(stdout);
		for (i = 0; i < nwant; i++) {
			if (!seen[i] && want[i] == ev.event_type) {
				seen[i] = true;
				left--;
				break;
			}
		}
		ibv_ack_async_event(&ev);
	}
	if (!left) {
		ret = 0;
	} else {
		printf("timeout waiting for");
		for (i = 0; i < nwant; i++)
			if (!seen[i])
				printf(" %s", event_name(want[i]));
		printf("\n");
	}
	print_port(ctx);
	fflush(stdout);
	ibv_close_device(ctx);
	return ret;
}
