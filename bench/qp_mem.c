// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * uroce_qp_mem: the memory an idle RC QP costs. Creates N RC QPs with the
 * capacities given, connects them in pairs to each other through the
 * device's own GID (so each is in RTS, as a connected idle QP is), and
 * prints the growth of the process's RSS and PSS per QP, with the part the
 * application asked for (its send and receive queues' entries) apart:
 *
 *   result qps=N rss_kib_per_qp=R pss_kib_per_qp=P asked_kib_per_qp=A
 *          beyond_kib_per_qp=B fds_per_qp=F
 *
 * One QP is created first so that what every process pays once (the
 * engine, the first socket) is not counted.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <infiniband/verbs.h>

struct mem {
	long rss_kib, pss_kib;
	int fds;
};

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the directory's own */
}

static int mem_read(struct mem *m)
{
	FILE *f = fopen("/proc/self/smaps_rollup", "r");
	char line[256];

	if (!f)
		return -1;
	m->rss_kib = m->pss_kib = -1;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "Rss: %ld kB", &m->rss_kib);
		sscanf(line, "Pss: %ld kB", &m->pss_kib);
	}
	fclose(f);
	m->fds = count_fds();
	return m->rss_kib < 0 || m->pss_kib < 0 ? -1 : 0;
}

static int to_rts(struct ibv_qp *qp, uint32_t peer, const union ibv_gid *gid)
{
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_INIT,
		.port_num = 1,
		.qp_access_flags = IBV_ACCESS_REMOTE_WRITE |
				   IBV_ACCESS_REMOTE_READ,
	};

	if (ibv_modify_qp(qp, &a,
			  IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT |
				  IBV_QP_ACCESS_FLAGS))
		return -1;
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTR;
	a.path_mtu = IBV_MTU_4096;
	a.dest_qp_num = peer;
	a.max_dest_rd_atomic = 16;
	a.min_rnr_timer = 12;
	a.ah_attr.is_global = 1;
	a.ah_attr.grh.dgid = *gid;
	a.ah_attr.grh.hop_limit = 64;
	a.ah_attr.port_num = 1;
	if (ibv_modify_qp(qp, &a,
			  IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
				  IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
				  IBV_QP_MAX_DEST_RD_ATOMIC |
				  IBV_QP_MIN_RNR_TIMER))
		return -1;
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTS;
	a.timeout = 14;
	a.retry_cnt = 7;
	a.rnr_retry = 7;
	a.max_rd_atomic = 16;
	return ibv_modify_qp(qp, &a,
			     IBV_QP_STATE | IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT |
				     IBV_QP_RNR_RETRY | IBV_QP_SQ_PSN |
				     IBV_QP_MAX_QP_RD_ATOMIC);
}

static void usage(void)
{
	fprintf(stderr, "usage: uroce_qp_mem -d DEV [-n QPS] [-s SEND_WR] "
			"[-r RECV_WR] [-g SGE] [-i INLINE]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct ibv_qp_init_attr init = {
		.qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = 128,
			 .max_recv_wr = 128,
			 .max_send_sge = 1,
			 .max_recv_sge = 1 },
	};
	struct ibv_device **list;
	struct ibv_context *ctx = NULL;
	struct ibv_qp **qps, *first;
	struct ibv_qp_cap cap;
	const char *dev = NULL;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	union ibv_gid gid;
	struct mem m0, m1;
	int i, c, n = 512;
	double asked;

	while ((c = getopt(argc, argv, "d:n:s:r:g:i:")) != -1) {
		switch (c) {
		case 'd':
			dev = optarg;
			break;
		case 'n':
			n = atoi(optarg) & ~1;
			break;
		case 's':
			init.cap.max_send_wr = atoi(optarg);
			break;
		case 'r':
			init.cap.max_recv_wr = atoi(optarg);
			break;
		case 'g':
			init.cap.max_send_sge = atoi(optarg);
			init.cap.max_recv_sge = init.cap.max_send_sge;
			break;
		case 'i':
			init.cap.max_inline_data = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (!dev || n < 2)
		usage();
	list = ibv_get_device_list(NULL);
	for (i = 0; list && list[i]; i++)
		if (!strcmp(ibv_get_device_name(list[i]), dev))
			ctx = ibv_open_device(list[i]);
	if (!ctx) {
		fprintf(stderr, "no device %s\n", dev);
		return 1;
	}
	pd = ibv_alloc_pd(ctx);
	cq = pd ? ibv_create_cq(ctx, 1024, NULL, NULL, 0) : NULL;
	qps = calloc(n, sizeof(*qps));
	if (!cq || !qps || ibv_query_gid(ctx, 1, 0, &gid)) {
		perror("setup");
		return 1;
	}
	init.send_cq = init.recv_cq = cq;
	cap = init.cap; /* ibv_create_qp returns what it granted in it */
	first = ibv_create_qp(pd, &init);
	init.cap = cap;
	if (!first || mem_read(&m0)) {
		perror("first QP");
		return 1;
	}
	for (i = 0; i < n; i++) {
		qps[i] = ibv_create_qp(pd, &init);
		init.cap = cap;
		if (!qps[i]) {
			fprintf(stderr, "QP %d: %s\n", i, strerror(errno));
			return 1;
		}
	}
	for (i = 0; i < n; i++)
		if (to_rts(qps[i], qps[i ^ 1]->qp_num, &gid)) {
			fprintf(stderr, "QP %d to RTS: %s\n", i,
				strerror(errno));
			return 1;
		}
	if (mem_read(&m1))
		return 1;
	/* The entries the application asked for, as an RNIC would hold. */
	asked = (cap.max_send_wr *
			 (double)(sizeof(struct ibv_send_wr) +
				  cap.max_send_sge * sizeof(struct ibv_sge) +
				  cap.max_inline_data) +
		 cap.max_recv_wr *
			 (double)(sizeof(struct ibv_recv_wr) +
				  cap.max_recv_sge * sizeof(struct ibv_sge))) /
		1024;
	printf("result qps=%d send_wr=%u recv_wr=%u rss_kib_per_qp=%.2f "
	       "pss_kib_per_qp=%.2f asked_kib_per_qp=%.2f "
	       "beyond_kib_per_qp=%.2f fds_per_qp=%.3f\n",
	       n, cap.max_send_wr, cap.max_recv_wr,
	       (double)(m1.rss_kib - m0.rss_kib) / n,
	       (double)(m1.pss_kib - m0.pss_kib) / n, asked,
	       (double)(m1.pss_kib - m0.pss_kib) / n - asked,
	       (double)(m1.fds - m0.fds) / n);
	for (i = 0; i < n; i++)
		ibv_destroy_qp(qps[i]);
	ibv_destroy_qp(first);
	ibv_destroy_cq(cq);
	ibv_dealloc_pd(pd);
	ibv_close_device(ctx);
	ibv_free_device_list(list);
	free(qps);
	return 0;
}
