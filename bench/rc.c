// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Verbs set-up shared by the RC runs, with the public API only: open the
 * named device, allocate what the run needs, and connect the QPs over
 * RoCE v2 with the GID index given (0: the IPv4-mapped address).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/rc.h"

#define RC_PORT 1

static struct ibv_context *open_device(const char *name)
{
	struct ibv_device **list, **d;
	struct ibv_context *ctx = NULL;

	list = ibv_get_device_list(NULL);
	if (!list) {
		perror("ibv_get_device_list");
		return NULL;
	}
	for (d = list; *d; d++)
		if (!name || !strcmp(ibv_get_device_name(*d), name))
			break;
	if (!*d) {
		fprintf(stderr, "no RDMA device %s\n", name ? name : "at all");
		goto out;
	}
	ctx = ibv_open_device(*d);
	if (!ctx)
		fprintf(stderr, "open %s: %s\n", ibv_get_device_name(*d),
			strerror(errno));
out:
	ibv_free_device_list(list);
	return ctx;
}

static struct ibv_qp *create_qp(struct rc *rc, const struct rc_sizes *sz)
{
	struct ibv_qp_init_attr ia = {
		.send_cq = rc->cq,
		.recv_cq = rc->cq,
		.qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = sz->sq,
			 .max_recv_wr = sz->rq,
			 .max_send_sge = 1,
			 .max_recv_sge = 1,
			 .max_inline_data = 64 },
	};
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_INIT,
		.port_num = RC_PORT,
		.qp_access_flags = IBV_ACCESS_LOCAL_WRITE |
				   IBV_ACCESS_REMOTE_WRITE |
				   IBV_ACCESS_REMOTE_READ,
	};
	struct ibv_qp *qp;

	qp = ibv_create_qp(rc->pd, &ia);
	if (!qp) {
		perror("ibv_create_qp");
		return NULL;
	}
	rc->max_inline = ia.cap.max_inline_data;
	if (ibv_modify_qp(qp, &a,
			  IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT |
				  IBV_QP_ACCESS_FLAGS)) {
		perror("modify QP to INIT");
		ibv_destroy_qp(qp);
		return NULL;
	}
	return qp;
}

int rc_open(struct rc *rc, const struct bench_opts *o, unsigned int nqps,
	    const struct rc_sizes *sz)
{
	size_t len = 2 * nqps * sz->region;
	unsigned int i;

	memset(rc, 0, sizeof(*rc));
	rc->nqps = nqps;
	rc->region = sz->region;
	rc->ctx = open_device(o->dev);
	if (!rc->ctx)
		return -1;
	rc->pd = ibv_alloc_pd(rc->ctx);
	if (!rc->pd) {
		perror("ibv_alloc_pd");
		goto err;
	}
	if (sz->channel) {
		rc->channel = ibv_create_comp_channel(rc->ctx);
		if (!rc->channel) {
			perror("ibv_create_comp_channel");
			goto err;
		}
	}
	rc->cq = ibv_create_cq(rc->ctx, (int)sz->cqe, NULL, rc->channel, 0);
	if (!rc->cq) {
		perror("ibv_create_cq");
		goto err;
	}
	if (posix_memalign((void **)&rc->buf, 4096, len)) {
		rc->buf = NULL;
		fprintf(stderr, "no memory for %zu bytes\n", len);
		goto err;
	}
	memset(rc->buf, 0, len);
	rc->mr = ibv_reg_mr(rc->pd, rc->buf, len,
			    IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
				    IBV_ACCESS_REMOTE_READ);
	if (!rc->mr) {
		perror("ibv_reg_mr");
		goto err;
	}
	for (i = 0; i < nqps; i++) {
		rc->qp[i] = create_qp(rc, sz);
		if (!rc->qp[i])
			goto err;
	}
	return 0;
err:
	rc_close(rc);
	return -1;
}

static int to_rtr_rts(struct rc *rc, unsigned int i, const struct rc_peer *me,
		      const struct bench_opts *o, enum ibv_mtu mtu)
{
	const struct rc_peer *peer = &rc->peer[i];
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_RTR,
		.path_mtu = mtu,
		.dest_qp_num = peer->qpn,
		.rq_psn = peer->psn,
		.max_dest_rd_atomic = 1,
		/* 0.01 ms: an SEND receiver that fell behind is soon back. */
		.min_rnr_timer = 1,
		.ah_attr = { .is_global = 1,
			     .port_num = RC_PORT,
			     .grh = { .sgid_index = (uint8_t)o->gid_index,
				      .hop_limit = 64 } },
	};

	memcpy(a.ah_attr.grh.dgid.raw, peer->gid, sizeof(peer->gid));
	if (ibv_modify_qp(rc->qp[i], &a,
			  IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
				  IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
				  IBV_QP_MAX_DEST_RD_ATOMIC |
				  IBV_QP_MIN_RNR_TIMER)) {
		perror("modify QP to RTR");
		return -1;
	}
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTS;
	a.timeout = 14;
	a.retry_cnt = 7;
	a.rnr_retry = 7; /* for ever */
	a.sq_psn = me->psn;
	a.max_rd_atomic = 1;
	if (ibv_modify_qp(rc->qp[i], &a,
			  IBV_QP_STATE | IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT |
				  IBV_QP_RNR_RETRY | IBV_QP_SQ_PSN |
				  IBV_QP_MAX_QP_RD_ATOMIC)) {
		perror("modify QP to RTS");
		return -1;
	}
	return 0;
}

int rc_connect(struct rc *rc, const struct bench_opts *o, int ctl)
{
	struct rc_peer me[BENCH_MAX_QPS];
	struct ibv_port_attr port;
	union ibv_gid gid;
	unsigned int i;

	if (ibv_query_port(rc->ctx, RC_PORT, &port) ||
	    ibv_query_gid(rc->ctx, RC_PORT, o->gid_index, &gid)) {
		perror("query port or GID");
		return -1;
	}
	srand48((long)now_ns());
	memset(me, 0, sizeof(me));
	for (i = 0; i < rc->nqps; i++) {
		me[i].qpn = rc->qp[i]->qp_num;
		me[i].psn = (uint32_t)lrand48() & 0xffffff;
		me[i].rkey = rc->mr->rkey;
		me[i].addr = (uintptr_t)rc_rbuf(rc, i);
		memcpy(me[i].gid, gid.raw, sizeof(me[i].gid));
	}
	if (xchg_swap(ctl, me, rc->peer, rc->nqps * sizeof(me[0])))
		return -1;
	for (i = 0; i < rc->nqps; i++)
		if (to_rtr_rts(rc, i, &me[i], o, port.active_mtu))
			return -1;
	/* Neither end sends before the other's QPs are ready. */
	return xchg_sync(ctl);
}

void rc_close(struct rc *rc)
{
	unsigned int i;

	for (i = 0; i < rc->nqps; i++)
		if (rc->qp[i])
			ibv_destroy_qp(rc->qp[i]);
	if (rc->mr)
		ibv_dereg_mr(rc->mr);
	free(rc->buf);
	if (rc->cq)
		ibv_destroy_cq(rc->cq);
	if (rc->channel)
		ibv_destroy_comp_channel(rc->channel);
	if (rc->pd)
		ibv_dealloc_pd(rc->pd);
	if (rc->ctx)
		ibv_close_device(rc->ctx);
	memset(rc, 0, sizeof(*rc));
}

int rc_post_recv(struct rc *rc, unsigned int i, unsigned int n, uint32_t len)
{
	struct ibv_recv_wr wr[32], *bad;
	struct ibv_sge sge[32];
	unsigned int k, m;
	int ret;

	while (n) {
		m = n < 32 ? n : 32;
		for (k = 0; k < m; k++) {
			sge[k].addr = (uintptr_t)rc_rbuf(rc, i);
			sge[k].length = len;
			sge[k].lkey = rc->mr->lkey;
			wr[k].wr_id = i;
			wr[k].sg_list = &sge[k];
			wr[k].num_sge = 1;
			wr[k].next = k + 1 < m ? &wr[k + 1] : NULL;
		}
		ret = ibv_post_recv(rc->qp[i], wr, &bad);
		if (ret) {
			fprintf(stderr, "ibv_post_recv: %s\n", strerror(ret));
			return -1;
		}
		n -= m;
	}
	return 0;
}

int rc_wc_ok(const struct ibv_wc *wc)
{
	if (wc->status == IBV_WC_SUCCESS)
		return 0;
	fprintf(stderr, "completion error: %s (%d), opcode %d, wr_id %llu\n",
		ibv_wc_status_str(wc->status), wc->status, wc->opcode,
		(unsigned long long)wc->wr_id);
	return -1;
}
