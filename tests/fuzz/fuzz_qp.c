// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Live QPs for the fuzz targets (fuzz_qp.h). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "providers/uroce/deliver.h"
#include "providers/uroce/dp.h"
#include "providers/uroce/resp.h"
#include "providers/uroce/uroce.h"
#include "tests/fuzz/fuzz_qp.h"

#define RECV_OFF (32 * 1024)
#define RECV_LEN 4096

struct ibv_context *fuzz_ctx;
struct ibv_pd *fuzz_pd;
struct ibv_cq *fuzz_cq;
struct ibv_mr *fuzz_mr;
uint8_t *fuzz_mem;
int fuzz_peer_fd;
uint16_t fuzz_peer_port;
struct in6_addr fuzz_lo_addr;

void fuzz_die(const char *what)
{
	perror(what);
	exit(1);
}

static void open_device(void)
{
	struct ibv_device **list;
	int i, n;

	list = ibv_get_device_list(&n);
	if (!list)
		fuzz_die("ibv_get_device_list");
	for (i = 0; i < n; i++)
		if (!strcmp(ibv_get_device_name(list[i]), "uroce_lo"))
			break;
	if (i == n) {
		fprintf(stderr, "fuzz: no uroce_lo device\n");
		exit(1);
	}
	fuzz_ctx = ibv_open_device(list[i]);
	if (!fuzz_ctx)
		fuzz_die("ibv_open_device");
	ibv_free_device_list(list);
}

static void open_peer(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fuzz_peer_fd =
		socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fuzz_peer_fd < 0 ||
	    bind(fuzz_peer_fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(fuzz_peer_fd, (struct sockaddr *)&sa, &len))
		fuzz_die("peer socket");
	fuzz_peer_port = ntohs(sa.sin_port);
	fuzz_lo_addr.s6_addr[10] = 0xff;
	fuzz_lo_addr.s6_addr[11] = 0xff;
	memcpy(&fuzz_lo_addr.s6_addr[12], &sa.sin_addr, 4);
}

void fuzz_setup(void)
{
	uint8_t *mem;

	open_peer();
	open_device();
	fuzz_pd = ibv_alloc_pd(fuzz_ctx);
	fuzz_cq = fuzz_pd ? ibv_create_cq(fuzz_ctx, 512, NULL, NULL, 0) : NULL;
	/* Page-aligned: the IOVA 0 must share its page offset. */
	mem = aligned_alloc(4096, FUZZ_MR_LEN);
	if (!fuzz_cq || !mem)
		fuzz_die("setup");
	memset(mem, 0, FUZZ_MR_LEN);
	fuzz_mr = ibv_reg_mr_iova(
		fuzz_pd, mem, FUZZ_MR_LEN, 0,
		IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
			IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_ATOMIC |
			IBV_ACCESS_MW_BIND);
	if (!fuzz_mr)
		fuzz_die("ibv_reg_mr_iova");
	fuzz_mem = mem;
}

static void post_recvs(struct ibv_qp *qp, unsigned int n)
{
	struct ibv_sge sge = { .length = RECV_LEN, .lkey = fuzz_mr->lkey };
	struct ibv_recv_wr wr = { .sg_list = &sge, .num_sge = 1 }, *bad;
	unsigned int i;

	for (i = 0; i < n; i++) {
		sge.addr = RECV_OFF + (i % 8) * RECV_LEN; /* an IOVA */
		wr.wr_id = i;
		ibv_post_recv(qp, &wr, &bad);
	}
}

struct ibv_qp *fuzz_qp_rts(enum ibv_qp_type type, struct ibv_srq *srq,
			   enum ibv_mtu mtu, unsigned int nrecv)
{
	struct ibv_qp_init_attr ia = {
		.send_cq = fuzz_cq,
		.recv_cq = fuzz_cq,
		.srq = srq,
		.cap = { .max_send_wr = 16,
			 .max_recv_wr = 16,
			 .max_send_sge = 1,
			 .max_recv_sge = 1 },
		.qp_type = type,
	};
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_INIT, .port_num = 1 };
	int mask = IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT;
	struct ibv_qp *qp;

	qp = ibv_create_qp(fuzz_pd, &ia);
	if (!qp)
		fuzz_die("ibv_create_qp");
	if (type == IBV_QPT_UD) {
		a.qkey = FUZZ_QKEY;
		mask |= IBV_QP_QKEY;
	} else {
		a.qp_access_flags = IBV_ACCESS_REMOTE_WRITE |
				    IBV_ACCESS_REMOTE_READ |
				    IBV_ACCESS_REMOTE_ATOMIC;
		mask |= IBV_QP_ACCESS_FLAGS;
	}
	if (ibv_modify_qp(qp, &a, mask))
		fuzz_die("to INIT");
	if (!srq)
		post_recvs(qp, nrecv);
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTR;
	mask = IBV_QP_STATE;
	if (type != IBV_QPT_UD) {
		a.path_mtu = mtu;
		a.dest_qp_num = (uint32_t)fuzz_peer_port << 8 | 1;
		a.ah_attr.is_global = 1;
		a.ah_attr.port_num = 1;
		memcpy(a.ah_attr.grh.dgid.raw, &fuzz_lo_addr, 16);
		mask |= IBV_QP_AV | IBV_QP_PATH_MTU | IBV_QP_DEST_QPN |
			IBV_QP_RQ_PSN;
	}
	if (type == IBV_QPT_RC) {
		a.max_dest_rd_atomic = 4;
		a.min_rnr_timer = 1;
		mask |= IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER;
	}
	if (ibv_modify_qp(qp, &a, mask))
		fuzz_die("to RTR");
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTS;
	mask = IBV_QP_STATE | IBV_QP_SQ_PSN;
	if (type == IBV_QPT_RC) {
		a.timeout = 14;
		a.retry_cnt = 7;
		a.rnr_retry = 7;
		a.max_rd_atomic = 4;
		mask |= IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
			IBV_QP_MAX_QP_RD_ATOMIC;
	}
	if (ibv_modify_qp(qp, &a, mask))
		fuzz_die("to RTS");
	return qp;
}

void fuzz_drain(void)
{
	struct ibv_wc wc[16];
	char junk[64];

	while (ibv_poll_cq(fuzz_cq, 16, wc) > 0)
		;
	while (recv(fuzz_peer_fd, junk, sizeof(junk), MSG_DONTWAIT) >= 0)
		;
}

void fuzz_deliver_pkt(struct uroce_qp *qp, struct uroce_pkt *pkt,
		      const struct sockaddr_in6 *from)
{
	struct uroce_dp *dp = to_uctx(fuzz_ctx)->dp;
	struct uroce_sock *s = qp->sock;

	pthread_mutex_lock(&s->lock);
	/* The ICRC is the codec's, fuzzed in fuzz_pkt: not checked here. */
	if (uroce_deliver(dp, qp, pkt, from, &fuzz_lo_addr, -1, NULL)) {
		pthread_mutex_lock(&qp->lock);
		uroce_resp_flush_ack(qp);
		pthread_mutex_unlock(&qp->lock);
	}
	pthread_mutex_unlock(&s->lock);
}
