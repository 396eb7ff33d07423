// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unreliable datagram IDs: SIDR (a SIDR_REQ asks the listener's QPN and
 * Q_Key, the SIDR_REP answers) and multicast. Multicast needs no SA: an
 * IPv4 group maps to its IPv4-mapped GID, an IPv6 one to itself, the ID's
 * QP is attached to it, and the join completes at once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "librdmacm/cma.h"

#define CM_USER_SIDR_PDATA (CM_SIDR_REQ_PDATA - CM_IP_HDR_SIZE)
#define CM_MC_QPN 0xffffff

static void sidr_send(struct cm_id *cid, struct cm_msg *m, bool keep)
{
	uint8_t buf[CM_MAD_SIZE];

	if (!cm_msg_prepare(cid, m, buf, keep))
		cm_send(cid, buf);
}

int cm_sidr_connect(struct cm_id *cid, struct rdma_conn_param *param)
{
	struct cm_msg m = { .attr = CM_ATTR_SIDR_REQ };
	int ret;

	if (cid->state != CMS_ROUTE_RESOLVED ||
	    (param && param->private_data_len > CM_USER_SIDR_PDATA) ||
	    (param && param->private_data_len && !param->private_data)) {
		errno = EINVAL;
		return -1;
	}
	ret = cm_roce_prepare(cid);
	if (ret) {
		errno = -ret;
		return -1;
	}
	m.pkey = 0xffff;
	cm_req_fill(cid, param, &m, CM_SIDR_REQ_PDATA);
	cid->state = CMS_REQ_SENT;
	sidr_send(cid, &m, true);
	cid->retries = 0;
	cid->max_retries = CM_MAX_RETRIES;
	cid->rto_ms = cm_timeout_ms(CM_RESP_TIMEOUT);
	cid->mra_rcvd = false;
	cm_arm(cid, cid->rto_ms);
	if (cid->sync)
		return cm_sync_wait(cid);
	return 0;
}

static void sidr_rep_to(struct cm_sock *s, const struct sockaddr_storage *to,
			uint32_t req_id, uint64_t sid, uint8_t status)
{
	struct cm_msg m = { .attr = CM_ATTR_SIDR_REP };
	uint8_t buf[CM_MAD_SIZE];

	m.local_id = req_id;
	m.status = status;
	m.service_id = sid;
	if (!cm_msg_encode(&m, buf))
		cm_send_to(s, to, buf);
}

void cm_sidr_req_recv(struct cm_sock *s, const struct sockaddr_storage *from,
		      const struct cm_msg *m, struct cm_id *listener)
{
	struct cm_id *child;
	struct cm_ip_hdr h;
	struct cm_evt *ev;

	child = cm_find_passive(from, m->local_id);
	if (child) {
		/* A repeated request: repeat the answer, if there is one. */
		if (child->state == CMS_UD_DONE && child->msg_valid)
			cm_send(child, child->msg);
		return;
	}
	if (!cm_listener_serves(listener, m->service_id) ||
	    listener->id.qp_type != IBV_QPT_UD) {
		sidr_rep_to(s, from, m->local_id, m->service_id,
			    CM_SIDR_UNSUPPORTED);
		return;
	}
	if (cm_ip_hdr_decode(m->pdata, &h)) {
		cm_rx_drops++;
		return;
	}
	if (!cm_half_open_room(listener))
		return;
	child = cm_child_new(listener, from, &h, IBV_QPT_UD);
	if (!child) {
		sidr_rep_to(s, from, m->local_id, m->service_id,
			    CM_SIDR_UNSUPPORTED);
		return;
	}
	child->remote_id = m->local_id;
	cm_passive_hash(child);
	ev = cm_child_request(listener, child, m->pdata + CM_IP_HDR_SIZE,
			      CM_USER_SIDR_PDATA);
	if (!ev)
		return;
	cm_fill_ah_attr(child, &ev->ev.param.ud.ah_attr,
			&child->id.route.addr.addr.ibaddr.dgid);
}

static int sidr_reply(struct cm_id *cid, uint8_t status, uint32_t qpn,
		      uint32_t qkey, const void *pdata, uint8_t len)
{
	struct cm_msg m = { .attr = CM_ATTR_SIDR_REP };

	if (cid->state != CMS_REQ_RCVD || len > CM_SIDR_REP_PDATA ||
	    (len && !pdata)) {
		errno = EINVAL;
		return -1;
	}
	m.local_id = cid->remote_id;
	m.status = status;
	m.qpn = qpn;
	m.qkey = qkey;
	m.service_id = cm_service_id(
		cid->id.ps, cm_sockaddr_port(&cid->id.route.addr.src_addr));
	if (len) {
		memcpy(m.pdata, pdata, len);
		m.pdata_len = len;
	}
	cid->state = CMS_UD_DONE;
	sidr_send(cid, &m, true);
	return 0;
}

int cm_sidr_accept(struct cm_id *cid, struct rdma_conn_param *param)
{
	uint32_t qpn = param ? param->qp_num : 0, qkey = RDMA_UDP_QKEY;
	struct ibv_qp_init_attr init;
	struct ibv_qp_attr attr;

	if (cid->id.qp) {
		qpn = cid->id.qp->qp_num;
		if (!ibv_query_qp(cid->id.qp, &attr, IBV_QP_QKEY, &init))
			qkey = attr.qkey;
	}
	return sidr_reply(cid, CM_SIDR_SUCCESS, qpn, qkey,
			  param ? param->private_data : NULL,
			  param ? param->private_data_len : 0);
}

int cm_sidr_reject(struct cm_id *cid, const void *pdata, uint8_t len)
{
	return sidr_reply(cid, CM_SIDR_REJECT, 0, 0, pdata, len);
}

void cm_sidr_rep_recv(const struct sockaddr_storage *from,
		      const struct cm_msg *m)
{
	struct cm_id *cid = cm_id_find(m->local_id);
	struct rdma_ud_param *p;
	struct cm_evt *ev;

	if (!cid || cid->state != CMS_REQ_SENT ||
	    cid->id.qp_type != IBV_QPT_UD || !cm_same_ip(&cid->peer, from)) {
		cm_rx_drops++;
		return;
	}
	cm_disarm(cid);
	cid->msg_valid = false;
	if (m->status != CM_SIDR_SUCCESS) {
		cid->state = CMS_DISCONNECTED;
		cm_event(cid, RDMA_CM_EVENT_UNREACHABLE, m->status, m->pdata,
			 CM_SIDR_REP_PDATA);
		return;
	}
	cid->state = CMS_UD_DONE;
	cid->remote_qpn = m->qpn;
	cid->remote_qkey = m->qkey;
	ev = cm_event(cid, RDMA_CM_EVENT_ESTABLISHED, 0, m->pdata,
		      CM_SIDR_REP_PDATA);
	if (!ev)
		return;
	p = &ev->ev.param.ud;
	cm_fill_ah_attr(cid, &p->ah_attr, &cid->id.route.addr.addr.ibaddr.dgid);
	p->qp_num = m->qpn;
	p->qkey = m->qkey;
}

/* ---- multicast ---- */

static bool mc_addr_ok(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return IN_MULTICAST(ntohl(
			((const struct sockaddr_in *)sa)->sin_addr.s_addr));
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_MULTICAST(
			&((const struct sockaddr_in6 *)sa)->sin6_addr);
	return false;
}

static int mc_attach(struct cm_id *cid, struct cm_mc *mc)
{
	int ret;

	if (!cid->id.qp || mc->attached || mc->sendonly)
		return 0;
	ret = ibv_attach_mcast(cid->id.qp, &mc->mgid, 0);
	if (!ret)
		mc->attached = true;
	return ret;
}

void cm_mc_attach_all(struct cm_id *cid)
{
	struct cm_mc *mc;

	for (mc = cid->mcs; mc; mc = mc->next)
		mc_attach(cid, mc);
}

static void mc_free(struct cm_id *cid, struct cm_mc *mc)
{
	if (mc->attached && cid->id.qp)
		ibv_detach_mcast(cid->id.qp, &mc->mgid, 0);
	free(mc);
}

void cm_mc_leave_all(struct cm_id *cid)
{
	struct cm_mc *mc;

	while ((mc = cid->mcs)) {
		cid->mcs = mc->next;
		mc_free(cid, mc);
	}
}

int rdma_join_multicast_ex(struct rdma_cm_id *id,
			   struct rdma_cm_join_mc_attr_ex *attr, void *context)
{
	struct cm_id *cid = to_cm_id(id);
	struct rdma_ud_param *p;
	struct cm_evt *ev;
	struct cm_mc *mc;
	int ret = 0, len;

	if (!id || !attr || !(attr->comp_mask & RDMA_CM_JOIN_MC_ATTR_ADDRESS) ||
	    !(attr->comp_mask & RDMA_CM_JOIN_MC_ATTR_JOIN_FLAGS) ||
	    attr->join_flags >= RDMA_MC_JOIN_FLAG_RESERVED || !attr->addr ||
	    !mc_addr_ok(attr->addr)) {
		errno = EINVAL;
		return -1;
	}
	len = cm_sockaddr_len(attr->addr);
	pthread_mutex_lock(&cm_lock);
	if (!cid->dev ||
	    (cid->state != CMS_ADDR_BOUND && cid->state != CMS_ADDR_RESOLVED &&
	     cid->state != CMS_ROUTE_RESOLVED)) {
		ret = cid->dev ? EINVAL : ENODEV;
		goto out;
	}
	for (mc = cid->mcs; mc; mc = mc->next)
		if (!memcmp(&mc->addr, attr->addr, len)) {
			ret = EADDRINUSE;
			goto out;
		}
	mc = calloc(1, sizeof(*mc));
	if (!mc) {
		ret = ENOMEM;
		goto out;
	}
	memcpy(&mc->addr, attr->addr, len);
	cm_sockaddr_gid(attr->addr, &mc->mgid);
	mc->context = context;
	mc->sendonly = attr->join_flags ==
		       RDMA_MC_JOIN_FLAG_SENDONLY_FULLMEMBER;
	mc->next = cid->mcs;
	cid->mcs = mc;
	if (mc_attach(cid, mc)) {
		ev = cm_event(cid, RDMA_CM_EVENT_MULTICAST_ERROR, -errno, NULL,
			      0);
	} else {
		ev = cm_event(cid, RDMA_CM_EVENT_MULTICAST_JOIN, 0, NULL, 0);
		if (ev) {
			p = &ev->ev.param.ud;
			cm_fill_ah_attr(cid, &p->ah_attr, &mc->mgid);
			p->qp_num = CM_MC_QPN;
			p->qkey = RDMA_UDP_QKEY;
		}
	}
	/* As the reference library does, the join's context travels here. */
	if (ev)
		ev->ev.param.ud.private_data = context;
	if (cid->sync)
		ret = cm_sync_wait(cid) ? errno : 0;
out:
	return cm_unlock_ret(ret);
}

int rdma_join_multicast(struct rdma_cm_id *id, struct sockaddr *addr,
			void *context)
{
	struct rdma_cm_join_mc_attr_ex attr = {
		.comp_mask = RDMA_CM_JOIN_MC_ATTR_ADDRESS |
			     RDMA_CM_JOIN_MC_ATTR_JOIN_FLAGS,
		.join_flags = RDMA_MC_JOIN_FLAG_FULLMEMBER,
		.addr = addr,
	};

	return rdma_join_multicast_ex(id, &attr, context);
}

int rdma_leave_multicast(struct rdma_cm_id *id, struct sockaddr *addr)
{
	struct cm_id *cid = to_cm_id(id);
	struct cm_mc **pp, *mc;
	int len, ret = EADDRNOTAVAIL;

	if (!id || !addr || !(len = cm_sockaddr_len(addr))) {
		errno = EINVAL;
		return -1;
	}
	pthread_mutex_lock(&cm_lock);
	for (pp = &cid->mcs; (mc = *pp); pp = &mc->next)
		if (!memcmp(&mc->addr, addr, len)) {
			*pp = mc->next;
			mc_free(cid, mc);
			ret = 0;
			break;
		}
	return cm_unlock_ret(ret);
}
