// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Query-endpoint floods against the CM thread.
 *
 *   ep_flood flood SECONDS
 *	connects to and closes every uroce query endpoint of the namespace
 *	(the provider's and librdmacm's), as fast as it can (run it as
 *	another user: every connection is refused)
 *   ep_flood measure SECONDS
 *	rdma_create_id and rdma_destroy_id, a pair every millisecond (so
 *	that the rate shows the time the calls wait for cm_lock, not the
 *	CPU the flooders take): prints how many a second and the longest
 *	pair, in ms
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <rdma/rdma_cma.h>

#include "util/cm_endpoint.h"
#include "util/endpoint.h"

#define MAX_EP 64

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The abstract names of the namespace's endpoints. */
static int endpoints(struct sockaddr_un *sun, socklen_t *len)
{
	char line[512], *name;
	FILE *f = fopen("/proc/net/unix", "re");
	int n = 0;

	if (!f)
		return 0;
	while (n < MAX_EP && fgets(line, sizeof(line), f)) {
		name = strstr(line, "@" UROCE_EP_PREFIX);
		if (!name)
			name = strstr(line, "@" UROCE_CM_EP_PREFIX);
		if (!name)
			continue;
		name[strcspn(name, "\n")] = 0;
		memset(&sun[n], 0, sizeof(sun[n]));
		sun[n].sun_family = AF_UNIX;
		strncpy(sun[n].sun_path + 1, name + 1,
			sizeof(sun[n].sun_path) - 2);
		len[n] = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
				     strlen(name));
		n++;
	}
	fclose(f);
	return n;
}

static int flood(int seconds)
{
	struct sockaddr_un sun[MAX_EP];
	socklen_t len[MAX_EP];
	double end = now_ms() + seconds * 1e3;
	unsigned long conns = 0;
	int i, n = 0, fd;

	double scan = 0;

	while (now_ms() < end) {
		/* New endpoints come and go: look again now and then. */
		if (now_ms() > scan) {
			n = endpoints(sun, len);
			scan = now_ms() + 200;
		}
		for (i = 0; i < n; i++) {
			fd = socket(AF_UNIX, SOCK_STREAM, 0);
			if (fd < 0)
				continue;
			if (!connect(fd, (struct sockaddr *)&sun[i], len[i]))
				conns++;
			close(fd);
		}
		if (!n)
			usleep(10000);
	}
	printf("flood: %lu connections\n", conns);
	return 0;
}

static int measure(int seconds)
{
	struct rdma_event_channel *ch = rdma_create_event_channel();
	double t0 = now_ms(), end = t0 + seconds * 1e3, t, worst = 0;
	struct rdma_cm_id *id;
	unsigned long ops = 0;

	if (!ch)
		return 2;
	while ((t = now_ms()) < end) {
		if (rdma_create_id(ch, &id, NULL, RDMA_PS_TCP))
			return 2;
		rdma_destroy_id(id);
		ops++;
		if (now_ms() - t > worst)
			worst = now_ms() - t;
		usleep(1000);
	}
	printf("measure: %.0f create+destroy a second, longest %.1f ms\n",
	       ops * 1e3 / (now_ms() - t0), worst);
	rdma_destroy_event_channel(ch);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "flood"))
		return flood(atoi(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "measure"))
		return measure(atoi(argv[2]));
	fprintf(stderr, "usage: see the comment at the top of ep_flood.c\n");
	return 2;
}
