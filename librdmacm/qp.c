// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * QPs, SRQs and CQs on a CM ID. rdma_create_qp leaves an RC/UC QP in INIT
 * (the connection moves it through RTR and RTS with the peer's QPN and
 * PSN) and a UD QP in RTS with the port space's Q_Key. rdma_init_qp_attr
 * gives the same attributes to applications that move their QPs
 * themselves.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "librdmacm/cma.h"
#include "qp_hook.h"

#define CM_MIN_RNR_TIMER 12 /* 0.64 ms */

/*
 * A QP the application destroys with ibv_destroy_qp leaves its ID, so
 * that the CM thread, which looks at id->qp only with cm_lock held,
 * never touches it again (take_in_data at a DREQ).
 */
static void qp_going(struct ibv_qp *qp)
{
	struct cm_id *cid;

	pthread_mutex_lock(&cm_lock);
	for (cid = cm_id_first(); cid; cid = cid->next)
		if (cid->id.qp == qp)
			cid->id.qp = NULL;
	pthread_mutex_unlock(&cm_lock);
}

static void __attribute__((constructor)) qp_hook_init(void)
{
	uroce_set_destroy_qp_hook(qp_going);
}

int cm_qp_init_attr(struct cm_id *cid, struct ibv_qp_attr *attr, int *mask,
		    enum ibv_qp_state state)
{
	bool ud = cid->id.qp_type == IBV_QPT_UD;
	bool rc = cid->id.qp_type == IBV_QPT_RC;

	memset(attr, 0, sizeof(*attr));
	attr->qp_state = state;
	*mask = IBV_QP_STATE;
	switch (state) {
	case IBV_QPS_INIT:
		attr->pkey_index = 0;
		attr->port_num = 1;
		*mask |= IBV_QP_PKEY_INDEX | IBV_QP_PORT;
		if (ud) {
			attr->qkey = RDMA_UDP_QKEY;
			*mask |= IBV_QP_QKEY;
		} else {
			attr->qp_access_flags = 0;
			*mask |= IBV_QP_ACCESS_FLAGS;
		}
		return 0;
	case IBV_QPS_RTR:
		if (ud)
			return 0;
		if (!cid->remote_qpn)
			return EINVAL; /* not connected (yet) */
		attr->path_mtu = cid->mtu;
		attr->dest_qp_num = cid->remote_qpn;
		/*
		 * IBTA 12.7: the Starting PSN a REQ or REP carries is the
		 * one its sender's receive queue expects, and its peer's
		 * send queue starts at (the kernel's CM: rq_psn from the
		 * message it sends, sq_psn from the one it receives).
		 */
		attr->rq_psn = cid->local_psn;
		cm_fill_ah_attr(cid, &attr->ah_attr,
				&cid->id.route.addr.addr.ibaddr.dgid);
		attr->qp_access_flags = IBV_ACCESS_REMOTE_WRITE;
		*mask |= IBV_QP_AV | IBV_QP_PATH_MTU | IBV_QP_DEST_QPN |
			 IBV_QP_RQ_PSN | IBV_QP_ACCESS_FLAGS;
		if (rc) {
			if (cid->resp_res)
				attr->qp_access_flags |=
					IBV_ACCESS_REMOTE_READ |
					IBV_ACCESS_REMOTE_ATOMIC;
			attr->max_dest_rd_atomic = cid->resp_res;
			attr->min_rnr_timer = CM_MIN_RNR_TIMER;
			*mask |= IBV_QP_MAX_DEST_RD_ATOMIC |
				 IBV_QP_MIN_RNR_TIMER;
		}
		return 0;
	case IBV_QPS_RTS:
		attr->sq_psn = cid->remote_psn;
		*mask |= IBV_QP_SQ_PSN;
		if (rc) {
			attr->timeout = cid->ack_timeout ?
						cid->ack_timeout :
						CM_DEFAULT_ACK_TIMEOUT;
			attr->retry_cnt = cid->retry_count;
			attr->rnr_retry = cid->rnr_retry;
			attr->max_rd_atomic = cid->init_depth;
			*mask |= IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT |
				 IBV_QP_RNR_RETRY | IBV_QP_MAX_QP_RD_ATOMIC;
		}
		return 0;
	default:
		return EINVAL;
	}
}

int cm_qp_modify(struct cm_id *cid, enum ibv_qp_state state)
{
	struct ibv_qp_attr attr;
	int mask, ret;

	ret = cm_qp_init_attr(cid, &attr, &mask, state);
	if (ret)
		return ret;
	return ibv_modify_qp(cid->id.qp, &attr, mask);
}

int rdma_init_qp_attr(struct rdma_cm_id *id, struct ibv_qp_attr *qp_attr,
		      int *qp_attr_mask)
{
	struct cm_id *cid = to_cm_id(id);
	enum ibv_qp_state state;
	int ret;

	if (!id || !qp_attr || !qp_attr_mask) {
		errno = EINVAL;
		return -1;
	}
	pthread_mutex_lock(&cm_lock);
	state = qp_attr->qp_state;
	ret = cid->dev ? cm_qp_init_attr(cid, qp_attr, qp_attr_mask, state) :
			 EINVAL;
	return cm_unlock_ret(ret);
}

static void destroy_cqs(struct rdma_cm_id *id)
{
	if (id->recv_cq) {
		ibv_destroy_cq(id->recv_cq);
		if (id->send_cq == id->recv_cq)
			id->send_cq = NULL;
		id->recv_cq = NULL;
	}
	if (id->recv_cq_channel) {
		ibv_destroy_comp_channel(id->recv_cq_channel);
		if (id->send_cq_channel == id->recv_cq_channel)
			id->send_cq_channel = NULL;
		id->recv_cq_channel = NULL;
	}
	if (id->send_cq) {
		ibv_destroy_cq(id->send_cq);
		id->send_cq = NULL;
	}
	if (id->send_cq_channel) {
		ibv_destroy_comp_channel(id->send_cq_channel);
		id->send_cq_channel = NULL;
	}
}

/* CQs (with completion channels) for whatever the caller left out. */
static int create_cqs(struct rdma_cm_id *id, uint32_t send_size,
		      uint32_t recv_size)
{
	if (recv_size) {
		id->recv_cq_channel = ibv_create_comp_channel(id->verbs);
		if (!id->recv_cq_channel)
			goto err;
		id->recv_cq = ibv_create_cq(id->verbs, (int)recv_size, id,
					    id->recv_cq_channel, 0);
		if (!id->recv_cq)
			goto err;
	}
	if (send_size) {
		id->send_cq_channel = ibv_create_comp_channel(id->verbs);
		if (!id->send_cq_channel)
			goto err;
		id->send_cq = ibv_create_cq(id->verbs, (int)send_size, id,
					    id->send_cq_channel, 0);
		if (!id->send_cq)
			goto err;
	}
	return 0;
err:
	destroy_cqs(id);
	return -1;
}

int cm_qp_to_rts(struct cm_id *cid)
{
	int ret;

	ret = cm_qp_modify(cid, IBV_QPS_RTR);
	if (!ret)
		ret = cm_qp_modify(cid, IBV_QPS_RTS);
	return ret;
}

/* The PD of a QP or SRQ the caller gives none: the ID's, or the device's. */
static int default_pd(struct rdma_cm_id *id, struct ibv_pd **pd)
{
	pthread_mutex_lock(&cm_lock);
	*pd = id->pd ? id->pd : cm_dev_pd(to_cm_id(id)->dev);
	pthread_mutex_unlock(&cm_lock);
	if (!*pd) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

int rdma_create_qp_ex(struct rdma_cm_id *id, struct ibv_qp_init_attr_ex *attr)
{
	struct cm_id *cid = to_cm_id(id);
	struct ibv_qp *qp;
	bool made_cqs = false;
	int ret;

	if (!id || !attr || !id->verbs || id->qp ||
	    (attr->pd && attr->pd->context != id->verbs)) {
		errno = EINVAL;
		return -1;
	}
	if (!(attr->comp_mask & IBV_QP_INIT_ATTR_PD) || !attr->pd) {
		if (default_pd(id, &attr->pd))
			return -1;
		attr->comp_mask |= IBV_QP_INIT_ATTR_PD;
	}
	if (!attr->send_cq || !attr->recv_cq) {
		if (create_cqs(id, attr->send_cq ? 0 : attr->cap.max_send_wr,
			       attr->recv_cq ? 0 : attr->cap.max_recv_wr))
			return -1;
		made_cqs = true;
		if (!attr->send_cq)
			attr->send_cq = id->send_cq;
		if (!attr->recv_cq)
			attr->recv_cq = id->recv_cq;
	}
	if (id->srq && !attr->srq)
		attr->srq = id->srq;
	qp = ibv_create_qp_ex(id->verbs, attr);
	if (!qp)
		goto err;
	id->qp = qp;
	/* Applications register their buffers with id->pd (rdma_reg_msgs). */
	id->pd = qp->pd;
	pthread_mutex_lock(&cm_lock);
	ret = cm_qp_modify(cid, IBV_QPS_INIT);
	if (!ret && id->qp_type == IBV_QPT_UD)
		ret = cm_qp_to_rts(cid);
	if (!ret)
		cm_mc_attach_all(cid);
	pthread_mutex_unlock(&cm_lock);
	if (ret) {
		id->qp = NULL;
		ibv_destroy_qp(qp);
		errno = ret;
		goto err;
	}
	return 0;
err:
	ret = errno;
	if (made_cqs)
		destroy_cqs(id);
	errno = ret;
	return -1;
}

int rdma_create_qp(struct rdma_cm_id *id, struct ibv_pd *pd,
		   struct ibv_qp_init_attr *qp_init_attr)
{
	struct ibv_qp_init_attr_ex ex;
	int ret;

	if (!qp_init_attr) {
		errno = EINVAL;
		return -1;
	}
	memset(&ex, 0, sizeof(ex));
	memcpy(&ex, qp_init_attr, sizeof(*qp_init_attr));
	ex.comp_mask = pd ? IBV_QP_INIT_ATTR_PD : 0;
	ex.pd = pd;
	ret = rdma_create_qp_ex(id, &ex);
	if (ret)
		return ret;
	qp_init_attr->send_cq = ex.send_cq;
	qp_init_attr->recv_cq = ex.recv_cq;
	qp_init_attr->srq = ex.srq;
	qp_init_attr->cap = ex.cap;
	return 0;
}

void rdma_destroy_qp(struct rdma_cm_id *id)
{
	struct ibv_qp *qp;

	if (!id || !id->qp)
		return;
	/* The CM thread looks at id->qp only with cm_lock held. */
	pthread_mutex_lock(&cm_lock);
	cm_mc_leave_all(to_cm_id(id));
	qp = id->qp;
	id->qp = NULL;
	pthread_mutex_unlock(&cm_lock);
	ibv_destroy_qp(qp);
	destroy_cqs(id);
}

int rdma_create_srq_ex(struct rdma_cm_id *id, struct ibv_srq_init_attr_ex *attr)
{
	struct ibv_srq *srq;

	if (!id || !attr || !id->verbs) {
		errno = EINVAL;
		return -1;
	}
	if (attr->srq_type != IBV_SRQT_BASIC &&
	    (attr->comp_mask & IBV_SRQ_INIT_ATTR_TYPE)) {
		errno = EOPNOTSUPP;
		return -1;
	}
	if (!(attr->comp_mask & IBV_SRQ_INIT_ATTR_PD) || !attr->pd) {
		if (default_pd(id, &attr->pd))
			return -1;
		attr->comp_mask |= IBV_SRQ_INIT_ATTR_PD;
	}
	srq = ibv_create_srq_ex(id->verbs, attr);
	if (!srq)
		return -1;
	id->srq = srq;
	return 0;
}

int rdma_create_srq(struct rdma_cm_id *id, struct ibv_pd *pd,
		    struct ibv_srq_init_attr *attr)
{
	struct ibv_srq_init_attr_ex ex;
	int ret;

	if (!attr) {
		errno = EINVAL;
		return -1;
	}
	memset(&ex, 0, sizeof(ex));
	ex.srq_context = attr->srq_context;
	ex.attr = attr->attr;
	ex.comp_mask = IBV_SRQ_INIT_ATTR_TYPE | (pd ? IBV_SRQ_INIT_ATTR_PD : 0);
	ex.srq_type = IBV_SRQT_BASIC;
	ex.pd = pd;
	ret = rdma_create_srq_ex(id, &ex);
	if (!ret)
		attr->attr = ex.attr;
	return ret;
}

void rdma_destroy_srq(struct rdma_cm_id *id)
{
	if (!id || !id->srq)
		return;
	ibv_destroy_srq(id->srq);
	id->srq = NULL;
}

int rdma_set_local_ece(struct rdma_cm_id *id, struct ibv_ece *ece)
{
	if (!id || !ece) {
		errno = EINVAL;
		return -1;
	}
	pthread_mutex_lock(&cm_lock);
	to_cm_id(id)->local_ece = *ece;
	pthread_mutex_unlock(&cm_lock);
	return 0;
}

int rdma_get_remote_ece(struct rdma_cm_id *id, struct ibv_ece *ece)
{
	if (!id || !ece) {
		errno = EINVAL;
		return -1;
	}
	/* No enhanced connection establishment options on the wire. */
	pthread_mutex_lock(&cm_lock);
	*ece = to_cm_id(id)->remote_ece;
	pthread_mutex_unlock(&cm_lock);
	return 0;
}
