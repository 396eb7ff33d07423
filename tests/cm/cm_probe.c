// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cm_probe: small librdmacm checks for tests/cm/cm.sh.
 *
 *   cm_probe devices       the names of rdma_get_devices(), one a line
 *   cm_probe resolve DST   rdma_resolve_addr to DST on an event channel:
 *                          prints the event and its status
 *   cm_probe bind ADDR PORT
 *                          binds an ID at ADDR:PORT, then checks that a
 *                          second one gets EADDRINUSE, and that TOS and
 *                          ACK timeout options are taken
 *   cm_probe chan_destroy  destroys an event channel while a thread waits
 *                          in rdma_get_cm_event on it, as rping does at
 *                          its end: the thread must neither touch the
 *                          freed channel nor return (with rdma-core it
 *                          stays blocked, and rping exits on an error)
 *
 * Exit status: 0, or 1 with a message.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rdma/rdma_cma.h>

#include "tests/cm/parse_addr.h"

static int devices(void)
{
	struct ibv_context **list;
	int i, n;

	list = rdma_get_devices(&n);
	if (!list) {
		perror("cm_probe: rdma_get_devices");
		return 1;
	}
	for (i = 0; i < n; i++)
		printf("%s\n", ibv_get_device_name(list[i]->device));
	rdma_free_devices(list);
	return 0;
}

static int resolve(const char *dst)
{
	struct rdma_event_channel *ch;
	struct sockaddr_storage ss;
	struct rdma_cm_event *ev;
	struct rdma_cm_id *id;
	int ret = 1;

	if (parse_addr(dst, 7471, &ss))
		return 1;
	ch = rdma_create_event_channel();
	if (!ch || rdma_create_id(ch, &id, NULL, RDMA_PS_TCP)) {
		perror("cm_probe: create");
		return 1;
	}
	if (rdma_resolve_addr(id, NULL, (struct sockaddr *)&ss, 2000)) {
		printf("rdma_resolve_addr: %s\n", strerror(errno));
		goto out;
	}
	if (rdma_get_cm_event(ch, &ev)) {
		perror("cm_probe: rdma_get_cm_event");
		goto out;
	}
	printf("%s status %d\n", rdma_event_str(ev->event), ev->status);
	rdma_ack_cm_event(ev);
	ret = 0;
out:
	rdma_destroy_id(id);
	rdma_destroy_event_channel(ch);
	return ret;
}

static int bind_twice(const char *addr, const char *port)
{
	struct rdma_cm_id *a = NULL, *b = NULL;
	struct sockaddr_storage ss;
	uint8_t tos = 32, ack = 16;
	int ret = 1;

	if (parse_addr(addr, (uint16_t)atoi(port), &ss))
		return 1;
	if (rdma_create_id(NULL, &a, NULL, RDMA_PS_TCP) ||
	    rdma_create_id(NULL, &b, NULL, RDMA_PS_TCP)) {
		perror("cm_probe: rdma_create_id");
		goto out;
	}
	if (rdma_set_option(a, RDMA_OPTION_ID, RDMA_OPTION_ID_TOS, &tos,
			    sizeof(tos)) ||
	    rdma_set_option(a, RDMA_OPTION_ID, RDMA_OPTION_ID_ACK_TIMEOUT, &ack,
			    sizeof(ack))) {
		perror("cm_probe: rdma_set_option");
		goto out;
	}
	if (rdma_bind_addr(a, (struct sockaddr *)&ss)) {
		perror("cm_probe: first rdma_bind_addr");
		goto out;
	}
	if (!rdma_bind_addr(b, (struct sockaddr *)&ss)) {
		fprintf(stderr, "cm_probe: second bind succeeded\n");
		goto out;
	}
	if (errno != EADDRINUSE) {
		perror("cm_probe: second rdma_bind_addr");
		goto out;
	}
	printf("second bind: EADDRINUSE\n");
	if (rdma_listen(a, 1)) {
		perror("cm_probe: rdma_listen");
		goto out;
	}
	printf("listening on port %u\n", ntohs(rdma_get_src_port(a)));
	ret = 0;
out:
	if (b)
		rdma_destroy_id(b);
	if (a)
		rdma_destroy_id(a);
	return ret;
}

static atomic_int waiter_returned;

static void *waiter(void *arg)
{
	struct rdma_cm_event *ev;
	int ret = rdma_get_cm_event(arg, &ev);

	atomic_store(&waiter_returned, ret ? errno : -1);
	return NULL;
}

static int chan_destroy(void)
{
	struct rdma_event_channel *ch = rdma_create_event_channel();
	pthread_t t;
	int r;

	if (!ch) {
		perror("cm_probe: rdma_create_event_channel");
		return 1;
	}
	if (pthread_create(&t, NULL, waiter, ch)) {
		fprintf(stderr, "cm_probe: pthread_create failed\n");
		return 1;
	}
	usleep(200 * 1000);
	rdma_destroy_event_channel(ch);
	usleep(500 * 1000);
	r = atomic_load(&waiter_returned);
	if (r) {
		fprintf(stderr, "cm_probe: rdma_get_cm_event returned (%s)\n",
			r < 0 ? "an event" : strerror(r));
		return 1;
	}
	/* Like rping, exit with the thread still blocked. */
	printf("waiter still blocked after the channel was destroyed\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "devices"))
		return devices();
	if (argc == 3 && !strcmp(argv[1], "resolve"))
		return resolve(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "bind"))
		return bind_twice(argv[2], argv[3]);
	if (argc == 2 && !strcmp(argv[1], "chan_destroy"))
		return chan_destroy();
	fprintf(stderr, "usage: cm_probe devices | resolve DST | "
			"bind ADDR PORT | chan_destroy\n");
	return 1;
}
