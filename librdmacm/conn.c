// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Reliable connections: the IB CM state machine over REQ, MRA, REP, RTU,
 * REJ, DREQ and DREP, and the calls that drive it (rdma_connect,
 * rdma_accept, rdma_reject, rdma_establish, rdma_notify,
 * rdma_disconnect).
 *
 * The sender of REQ, REP and DREQ keeps the message and resends it every
 * rto_ms until answered, CM_MAX_RETRIES times; an MRA stops the resends
 * and extends the wait. A duplicate REQ is answered with an MRA while the
 * application has not accepted yet, and with the REP once it has; a
 * duplicate REP with the RTU; a duplicate DREQ in timewait with the DREP.
 * A message is accepted only from the peer's IP and with both
 * communication IDs matching; anything else is dropped and counted.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "librdmacm/cma.h"
#include "util/log.h"
#include "util/random.h"
#include "util/rtnl.h"

#define CM_USER_REQ_PDATA (CM_REQ_PDATA - CM_IP_HDR_SIZE)

/* The peer's response time plus two packet lifetimes. */
static unsigned int rto_ms(unsigned int resp_timeout)
{
	return cm_timeout_ms(resp_timeout) + 2 * cm_timeout_ms(12);
}

static unsigned int cm_rto_ms(void)
{
	return rto_ms(CM_RESP_TIMEOUT);
}

static int random_psn(uint32_t *psn)
{
	int ret = uroce_random(psn, sizeof(*psn));

	*psn &= 0xffffff;
	return ret;
}

bool cm_same_ip(const struct sockaddr_storage *a,
		const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		       &((const struct sockaddr_in6 *)b)->sin6_addr, 16);
}

int cm_msg_prepare(struct cm_id *cid, struct cm_msg *m, uint8_t *buf, bool keep)
{
	m->tid = (uint64_t)cid->local_id << 32 | m->attr;
	if (cm_msg_encode(m, buf))
		return -1;
	if (keep) {
		memcpy(cid->msg, buf, CM_MAD_SIZE);
		cid->msg_valid = true;
	}
	return 0;
}

/* Encodes @m, keeps it for resending if @keep, and sends it. */
static void send_msg(struct cm_id *cid, struct cm_msg *m, bool keep)
{
	uint8_t buf[CM_MAD_SIZE];

	if (cm_msg_prepare(cid, m, buf, keep))
		return;
	if (keep) {
		cid->retries = 0;
		cid->max_retries = CM_MAX_RETRIES;
		cid->rto_ms = cm_rto_ms();
		cid->mra_rcvd = false;
		cm_arm(cid, cid->rto_ms);
	}
	cm_send(cid, buf);
}

static void send_simple(struct cm_id *cid, uint16_t attr, const void *pdata,
			size_t len)
{
	struct cm_msg m = { .attr = attr };

	m.local_id = cid->local_id;
	m.remote_id = cid->remote_id;
	if (attr == CM_ATTR_DREQ)
		m.remote_qpn = cid->remote_qpn;
	if (pdata && len) {
		memcpy(m.pdata, pdata, len);
		m.pdata_len = (uint8_t)len;
	}
	send_msg(cid, &m, attr == CM_ATTR_DREQ);
}

static void send_rej(struct cm_id *cid, uint16_t reason, uint8_t msg_type,
		     const void *pdata, size_t len)
{
	struct cm_msg m = { .attr = CM_ATTR_REJ };

	m.local_id = cid->local_id;
	m.remote_id = cid->remote_id;
	m.reason = reason;
	m.msg_type = msg_type;
	if (pdata && len) {
		memcpy(m.pdata, pdata, len);
		m.pdata_len = (uint8_t)len;
	}
	send_msg(cid, &m, false);
}

static void enter_timewait(struct cm_id *cid)
{
	cid->state = CMS_TIMEWAIT;
	cid->msg_valid = false;
	cm_arm(cid, CM_TIMEWAIT_MS);
}

/*
 * What the peer sent before it disconnected is acknowledged and completed
 * before DISCONNECTED, as on an RNIC, where data never waits for a
 * thread: ibv_poll_cq with no entries makes the provider take in what has
 * arrived and takes no completion away (uroce's drains its sockets, and
 * waits for a drain another thread has begun, which may hold the ACK).
 * libfabric's rxm closes the connection on DISCONNECTED and fails a send
 * whose ACK was still unread. (rdma_destroy_qp clears id->qp under
 * cm_lock, which the caller holds, before it destroys the QP.)
 */
static void take_in_data(struct cm_id *cid)
{
	struct ibv_qp *qp = cid->id.qp;

	if (!qp)
		return;
	ibv_poll_cq(qp->send_cq, 0, NULL);
	if (qp->recv_cq != qp->send_cq)
		ibv_poll_cq(qp->recv_cq, 0, NULL);
}

static void report_disconnect(struct cm_id *cid, const void *pdata, size_t len)
{
	if (cid->disc_reported)
		return;
	cid->disc_reported = true;
	take_in_data(cid);
	cm_event(cid, RDMA_CM_EVENT_DISCONNECTED, 0, pdata, len);
}

/* The message kept for resending has its answer: stop resending it. */
static void msg_done(struct cm_id *cid)
{
	cm_disarm(cid);
	cid->msg_valid = false;
}

/* REP_SENT to ESTABLISHED: on the RTU, or on data that came before it. */
static void rep_answered(struct cm_id *cid, const void *pdata, size_t len)
{
	msg_done(cid);
	cid->state = CMS_ESTABLISHED;
	cm_event(cid, RDMA_CM_EVENT_ESTABLISHED, 0, pdata, len);
}

static void fail(struct cm_id *cid, enum rdma_cm_event_type type, int status,
		 const void *pdata, size_t len)
{
	msg_done(cid);
	cid->state = CMS_DISCONNECTED;
	cm_event(cid, type, status, pdata, len);
}

void cm_fill_ah_attr(struct cm_id *cid, struct ibv_ah_attr *ah,
		     const union ibv_gid *dgid)
{
	memset(ah, 0, sizeof(*ah));
	ah->is_global = 1;
	ah->grh.dgid = *dgid;
	ah->grh.sgid_index = cid->gid_index;
	ah->grh.hop_limit = CM_DEFAULT_HOP_LIMIT;
	ah->grh.traffic_class = cid->tos;
	ah->port_num = 1;
}

/* ---- half-open children of a listener ---- */

uint64_t cm_req_drops, cm_req_evicted;

static void ho_add(struct cm_id *listener, struct cm_id *child)
{
	child->ho_listener = listener;
	child->ho_prev = listener->ho_tail;
	child->ho_next = NULL;
	if (listener->ho_tail)
		listener->ho_tail->ho_next = child;
	else
		listener->ho_head = child;
	listener->ho_tail = child;
	listener->half_open++;
}

static void ho_del(struct cm_id *child)
{
	struct cm_id *l = child->ho_listener;

	if (child->ho_prev)
		child->ho_prev->ho_next = child->ho_next;
	else
		l->ho_head = child->ho_next;
	if (child->ho_next)
		child->ho_next->ho_prev = child->ho_prev;
	else
		l->ho_tail = child->ho_prev;
	child->ho_listener = child->ho_next = child->ho_prev = NULL;
	l->half_open--;
}

void cm_half_open_forget(struct cm_id *cid)
{
	if (cid->ho_listener)
		ho_del(cid);
	while (cid->ho_head)
		ho_del(cid->ho_head);
}

static bool half_open(const struct cm_id *c)
{
	return !c->destroyed &&
	       (c->state == CMS_REQ_RCVD || c->state == CMS_REP_SENT);
}

/*
 * Under the backlog, as the kernel's CM bounds the requests an
 * application has not taken yet; here every child counts until it is
 * established, so that an application that accepts whatever comes holds
 * at most a backlog of QPs for peers that never answer. When full, the
 * oldest REP left unanswered for CM_HALF_OPEN_EVICT_MS is given up as if
 * it had timed out (a genuine peer answers within a round trip), which
 * keeps a flood from shutting out genuine peers; else the request is
 * dropped without a REJ, as the kernel's does, and its sender asks again.
 */
bool cm_half_open_room(struct cm_id *listener)
{
	uint64_t now = cm_now_ms();
	struct cm_id *c, *next, *oldest = NULL;

	if (listener->half_open < (unsigned int)listener->backlog)
		return true;
	for (c = listener->ho_head; c; c = next) {
		next = c->ho_next;
		if (!half_open(c)) {
			ho_del(c);
			continue;
		}
		if (!oldest && c->state == CMS_REP_SENT &&
		    now - c->rep_sent_ms >= CM_HALF_OPEN_EVICT_MS)
			oldest = c;
	}
	if (listener->half_open < (unsigned int)listener->backlog)
		return true;
	if (!oldest) {
		cm_req_drops++;
		return false;
	}
	cm_req_evicted++;
	ho_del(oldest);
	send_rej(oldest, CM_REJ_TIMEOUT, CM_MSG_REP, NULL, 0);
	fail(oldest, RDMA_CM_EVENT_UNREACHABLE, -ETIMEDOUT, NULL, 0);
	return true;
}

/* ---- the passive side ---- */

static void ip_to_sockaddr(int family, const struct in6_addr *ip, uint16_t port,
			   struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	ss->ss_family = family;
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		memcpy(&sin->sin_addr, ip->s6_addr + 12, 4);
		sin->sin_port = htons(port);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_addr = *ip;
		sin6->sin6_port = htons(port);
	}
}

struct cm_id *cm_child_new(struct cm_id *listener,
			   const struct sockaddr_storage *from,
			   const struct cm_ip_hdr *h, enum ibv_qp_type qpt)
{
	struct sockaddr *lsa = &listener->id.route.addr.src_addr;
	uint16_t lport = cm_sockaddr_port(lsa);
	struct sockaddr_storage src, dst;
	struct rtnl_route rt;
	struct cm_id *child;
	struct cm_dev *dev;
	const void *dip;

	if (h->family != from->ss_family)
		return NULL;
	/* Our address: the listener's, or where the peer aimed. */
	if (!cm_sockaddr_any(lsa) && lsa->sa_family == h->family) {
		memcpy(&src, lsa, cm_sockaddr_len(lsa));
	} else {
		ip_to_sockaddr(h->family, &h->dst, lport, &src);
	}
	/* The peer's IP is the datagram's: the header is only a claim. */
	memcpy(&dst, from, sizeof(dst));
	cm_sockaddr_set_port((struct sockaddr *)&dst, h->src_port);
	dip = h->family == AF_INET ?
		      (const void *)&((struct sockaddr_in *)&dst)->sin_addr :
		      (const void *)&((struct sockaddr_in6 *)&dst)->sin6_addr;
	if (cm_ns_route(listener->ns, h->family, dip,
			h->family == AF_INET ?
				(const void *)&((struct sockaddr_in *)&src)
					->sin_addr :
				(const void *)&((struct sockaddr_in6 *)&src)
					->sin6_addr,
			&rt))
		return NULL;
	child = cm_id_alloc(listener->chan, listener->id.context,
			    listener->id.ps, qpt);
	if (!child)
		return NULL;
	child->ns = listener->ns;
	if (cm_dev_for_addr(child->ns, (struct sockaddr *)&src, rt.oif, &dev,
			    &child->gid_index, &child->ifindex) ||
	    cm_id_use_dev(child, dev)) {
		child->destroyed = true;
		cm_id_maybe_free(child);
		return NULL;
	}
	memcpy(&child->id.route.addr.src_storage, &src, sizeof(src));
	memcpy(&child->id.route.addr.dst_storage, &dst, sizeof(dst));
	cm_sockaddr_gid((struct sockaddr *)&src,
			&child->id.route.addr.addr.ibaddr.sgid);
	cm_sockaddr_gid((struct sockaddr *)&dst,
			&child->id.route.addr.addr.ibaddr.dgid);
	child->id.route.addr.addr.ibaddr.pkey = htobe16(0xffff);
	/*
	 * Chosen now, as the kernel's CM does at ID creation: a QP of the
	 * application's own moved to RTR with rdma_init_qp_attr() before
	 * rdma_accept() must expect the PSN that the REP announces.
	 */
	if (random_psn(&child->local_psn) || cm_roce_prepare(child)) {
		child->destroyed = true;
		cm_id_maybe_free(child);
		return NULL;
	}
	child->bound = true;
	child->tos = listener->tos;
	child->tos_set = listener->tos_set;
	child->ack_timeout = listener->ack_timeout;
	child->ack_timeout_set = listener->ack_timeout_set;
	memcpy(&child->peer, from, sizeof(*from));
	memcpy(&child->listen_addr, &src, sizeof(src));
	child->sock = cm_sock_shared(child->ns, from->ss_family);
	cm_fill_path(child);
	child->listen = listener;
	listener->pending++;
	ho_add(listener, child);
	return child;
}

bool cm_listener_serves(struct cm_id *listener, uint64_t service_id)
{
	struct sockaddr *sa;

	if (!listener || listener->destroyed || listener->state != CMS_LISTEN)
		return false;
	sa = &listener->id.route.addr.src_addr;
	return service_id ==
	       cm_service_id(listener->id.ps, cm_sockaddr_port(sa));
}

struct cm_evt *cm_child_request(struct cm_id *listener, struct cm_id *child,
				const void *pdata, size_t len)
{
	struct cm_evt *ev;

	child->state = CMS_REQ_RCVD;
	ev = cm_event(child, RDMA_CM_EVENT_CONNECT_REQUEST, 0, pdata, len);
	if (!ev) {
		/* Nobody will ever see it: forget the child at once. */
		child->listen->pending--;
		child->listen = NULL;
		child->destroyed = true;
		cm_id_maybe_free(child);
		return NULL;
	}
	ev->ev.listen_id = &listener->id;
	ev->acct = listener;
	return ev;
}

static void req_recv(struct cm_sock *s, const struct sockaddr_storage *from,
		     const struct cm_msg *m)
{
	struct cm_id *listener = cm_sock_listener(s, m->service_id), *child;
	struct cm_msg rej = { .attr = CM_ATTR_REJ };
	struct rdma_conn_param *p;
	struct cm_ip_hdr h;
	struct cm_evt *ev;
	uint8_t buf[CM_MAD_SIZE];
	enum ibv_qp_type qpt;

	child = cm_find_passive(from, m->local_id);
	if (child) {
		if (child->state == CMS_REQ_RCVD) {
			struct cm_msg mra = { .attr = CM_ATTR_MRA };

			mra.local_id = child->local_id;
			mra.remote_id = child->remote_id;
			mra.msg_type = CM_MSG_REQ;
			mra.service_timeout = CM_MRA_TIMEOUT;
			send_msg(child, &mra, false);
		} else if (child->state == CMS_REP_SENT && child->msg_valid) {
			cm_send(child, child->msg);
		}
		return;
	}
	rej.remote_id = m->local_id;
	rej.msg_type = CM_MSG_REQ;
	rej.reason = CM_REJ_INVALID_SERVICE_ID;
	if (!cm_listener_serves(listener, m->service_id))
		goto reject;
	if (cm_ip_hdr_decode(m->pdata, &h)) {
		cm_rx_drops++;
		return;
	}
	qpt = m->transport == 1 ? IBV_QPT_UC : IBV_QPT_RC;
	if (m->transport > 1 || listener->id.qp_type == IBV_QPT_UD) {
		rej.reason = 9; /* invalid transport type */
		goto reject;
	}
	/* Over the backlog: stay silent, the peer will ask again. */
	if (!cm_half_open_room(listener))
		return;
	child = cm_child_new(listener, from, &h, qpt);
	if (!child) {
		rej.reason = 12; /* invalid GID: no device serves it */
		goto reject;
	}
	child->remote_id = m->local_id;
	cm_passive_hash(child);
	/*
	 * The REP is resent as the REQ's sender asks (IBTA 12.6.5: Max CM
	 * Retries, and its Local CM Response Timeout for the RTU), as the
	 * kernel's CM does, but never more than our own requests allow.
	 */
	child->rep_retries = m->max_cm_retries < CM_MAX_RETRIES ?
				     m->max_cm_retries :
				     CM_MAX_RETRIES;
	child->rep_rto_ms = rto_ms(m->local_resp_timeout < CM_RESP_TIMEOUT ?
					   m->local_resp_timeout :
					   CM_RESP_TIMEOUT);
	child->remote_qpn = m->qpn;
	child->remote_psn = m->psn;
	child->remote_qkey = m->qkey;
	/* What the peer asks of us, seen from our side. */
	child->resp_res = m->init_depth;
	child->init_depth = m->resp_res;
	child->flow_control = m->flow_control;
	child->retry_count = m->retry_count;
	child->rnr_retry = m->rnr_retry;
	child->srq = m->srq;
	child->remote_resp_timeout = m->local_resp_timeout;
	if (m->path_mtu >= IBV_MTU_256 && m->path_mtu < child->mtu)
		child->mtu = m->path_mtu;
	child->path.mtu = child->mtu;
	if (!child->tos_set)
		child->tos = m->traffic_class;
	if (!child->ack_timeout_set && m->ack_timeout)
		child->ack_timeout = m->ack_timeout;
	ev = cm_child_request(listener, child, m->pdata + CM_IP_HDR_SIZE,
			      CM_USER_REQ_PDATA);
	if (!ev)
		return;
	p = &ev->ev.param.conn;
	p->responder_resources = child->resp_res;
	p->initiator_depth = child->init_depth;
	p->flow_control = m->flow_control;
	p->retry_count = m->retry_count;
	p->rnr_retry_count = m->rnr_retry;
	p->srq = m->srq;
	p->qp_num = m->qpn;
	return;
reject:
	if (!cm_msg_encode(&rej, buf))
		cm_send_to(s, from, buf);
}

/* ---- the active side ---- */

/*
 * The checks rdma_connect and rdma_accept share: @cid in @state, and
 * @param's private data up to @max_pdata and resources within the
 * device's (RDMA_MAX_*: all of them).
 */
static bool conn_call_ok(const struct cm_id *cid, enum cm_state state,
			 const struct rdma_conn_param *param, size_t max_pdata)
{
	if (cid->state != state)
		return false;
	if (!param)
		return true;
	if (param->private_data_len > max_pdata ||
	    (param->private_data_len && !param->private_data))
		return false;
	if (param->responder_resources != RDMA_MAX_RESP_RES &&
	    param->responder_resources > cid->dev->max_resp_res)
		return false;
	return param->initiator_depth == RDMA_MAX_INIT_DEPTH ||
	       param->initiator_depth <= cid->dev->max_init_depth;
}

void cm_req_fill(struct cm_id *cid, const struct rdma_conn_param *param,
		 struct cm_msg *m, uint8_t len)
{
	struct rdma_addr *a = &cid->id.route.addr;
	struct cm_ip_hdr h = { 0 };

	/* The REQ goes to the resolved peer, whose port names the service. */
	memcpy(&cid->peer, &a->dst_storage, sizeof(cid->peer));
	m->local_id = cid->local_id;
	m->service_id =
		cm_service_id(cid->id.ps, cm_sockaddr_port(&a->dst_addr));
	h.family = a->src_addr.sa_family;
	h.src_port = cm_sockaddr_port(&a->src_addr);
	memcpy(&h.src, a->addr.ibaddr.sgid.raw, 16);
	memcpy(&h.dst, a->addr.ibaddr.dgid.raw, 16);
	cm_ip_hdr_encode(&h, m->pdata);
	if (param && param->private_data_len)
		memcpy(m->pdata + CM_IP_HDR_SIZE, param->private_data,
		       param->private_data_len);
	m->pdata_len = len;
}

int rdma_connect(struct rdma_cm_id *id, struct rdma_conn_param *param)
{
	struct cm_id *cid = to_cm_id(id);
	struct cm_msg m = { .attr = CM_ATTR_REQ };
	int ret = 0;

	if (cm_lock_id(id))
		return -1;
	if (id->qp_type == IBV_QPT_UD) {
		ret = cm_sidr_connect(cid, param) ? errno : 0;
		goto out;
	}
	if (!conn_call_ok(cid, CMS_ROUTE_RESOLVED, param, CM_USER_REQ_PDATA)) {
		ret = EINVAL;
		goto out;
	}
	if (param) {
		cid->resp_res = param->responder_resources;
		cid->init_depth = param->initiator_depth;
		cid->flow_control = param->flow_control;
		cid->retry_count = param->retry_count > 7 ? 7 :
							    param->retry_count;
		cid->rnr_retry =
			param->rnr_retry_count > 7 ? 7 : param->rnr_retry_count;
		cid->srq = param->srq;
		cid->local_qpn = param->qp_num;
	} else {
		cid->resp_res = RDMA_MAX_RESP_RES;
		cid->init_depth = RDMA_MAX_INIT_DEPTH;
		cid->retry_count = 7;
		cid->rnr_retry = 7;
	}
	if (cid->resp_res == RDMA_MAX_RESP_RES)
		cid->resp_res = cid->dev->max_resp_res;
	if (cid->init_depth == RDMA_MAX_INIT_DEPTH)
		cid->init_depth = cid->dev->max_init_depth;
	if (id->qp) {
		cid->local_qpn = id->qp->qp_num;
		cid->srq = id->qp->srq != NULL;
	}
	ret = random_psn(&cid->local_psn);
	if (ret) {
		ret = -ret;
		goto out;
	}
	ret = -cm_roce_prepare(cid);
	if (ret)
		goto out;
	if (!cid->ack_timeout_set)
		cid->ack_timeout = CM_DEFAULT_ACK_TIMEOUT;
	cm_req_fill(cid, param, &m, CM_REQ_PDATA);
	m.guid = cid->dev->guid;
	m.qpn = cid->local_qpn;
	m.resp_res = cid->resp_res;
	m.init_depth = cid->init_depth;
	m.remote_resp_timeout = CM_RESP_TIMEOUT;
	m.local_resp_timeout = CM_RESP_TIMEOUT;
	m.transport = id->qp_type == IBV_QPT_UC ? 1 : 0;
	m.flow_control = cid->flow_control;
	m.psn = cid->local_psn;
	m.retry_count = cid->retry_count;
	m.rnr_retry = cid->rnr_retry;
	m.pkey = 0xffff;
	m.path_mtu = cid->mtu;
	m.max_cm_retries = CM_MAX_RETRIES;
	m.srq = cid->srq;
	m.slid = 0xffff;
	m.dlid = 0xffff;
	memcpy(m.sgid, id->route.addr.addr.ibaddr.sgid.raw, 16);
	memcpy(m.dgid, id->route.addr.addr.ibaddr.dgid.raw, 16);
	m.traffic_class = cid->tos;
	m.hop_limit = CM_DEFAULT_HOP_LIMIT;
	m.subnet_local = 1;
	m.ack_timeout = cid->ack_timeout;
	m.packet_rate = 3;
	cid->state = CMS_REQ_SENT;
	send_msg(cid, &m, true);
	if (cid->sync)
		ret = cm_sync_wait(cid) ? errno : 0;
out:
	return cm_unlock_ret(ret);
}

static void send_rtu(struct cm_id *cid)
{
	send_simple(cid, CM_ATTR_RTU, NULL, 0);
}

static void rep_recv(struct cm_id *cid, const struct sockaddr_storage *from,
		     const struct cm_msg *m)
{
	struct rdma_conn_param *p;
	struct cm_evt *ev;
	int ret;

	if (cid->state == CMS_ESTABLISHED && m->local_id == cid->remote_id) {
		send_rtu(cid); /* our RTU was lost */
		return;
	}
	if (cid->state != CMS_REQ_SENT || cid->id.qp_type == IBV_QPT_UD) {
		cm_rx_drops++;
		return;
	}
	msg_done(cid);
	cid->remote_id = m->local_id;
	cid->remote_qpn = m->qpn;
	cid->remote_psn = m->psn;
	/* The peer answers from its own UDP port; follow it there. */
	cid->peer = *from;
	if (m->resp_res < cid->init_depth)
		cid->init_depth = m->resp_res;
	if (m->init_depth < cid->resp_res)
		cid->resp_res = m->init_depth;
	cid->rnr_retry = m->rnr_retry;
	if (cid->id.qp) {
		ret = cm_qp_to_rts(cid);
		if (ret) {
			send_rej(cid, CM_REJ_CONSUMER_DEFINED, CM_MSG_REP, NULL,
				 0);
			fail(cid, RDMA_CM_EVENT_CONNECT_ERROR, -ret, NULL, 0);
			return;
		}
		send_rtu(cid);
		cid->state = CMS_ESTABLISHED;
		ev = cm_event(cid, RDMA_CM_EVENT_ESTABLISHED, 0, m->pdata,
			      CM_REP_PDATA);
	} else {
		cid->state = CMS_REP_RCVD;
		ev = cm_event(cid, RDMA_CM_EVENT_CONNECT_RESPONSE, 0, m->pdata,
			      CM_REP_PDATA);
	}
	if (!ev)
		return;
	p = &ev->ev.param.conn;
	p->responder_resources = m->resp_res;
	p->initiator_depth = m->init_depth;
	p->flow_control = m->flow_control;
	p->rnr_retry_count = m->rnr_retry;
	p->srq = m->srq;
	p->qp_num = m->qpn;
}

int rdma_establish(struct rdma_cm_id *id)
{
	struct cm_id *cid = to_cm_id(id);
	int ret = 0;

	pthread_mutex_lock(&cm_lock);
	if (cid->state != CMS_REP_RCVD) {
		ret = EINVAL;
	} else {
		send_rtu(cid);
		cid->state = CMS_ESTABLISHED;
	}
	return cm_unlock_ret(ret);
}

/* ---- accept / reject ---- */

int rdma_accept(struct rdma_cm_id *id, struct rdma_conn_param *param)
{
	struct cm_id *cid = to_cm_id(id);
	struct cm_msg m = { .attr = CM_ATTR_REP };
	int ret = 0;

	if (cm_lock_id(id))
		return -1;
	if (id->qp_type == IBV_QPT_UD) {
		ret = cm_sidr_accept(cid, param) ? errno : 0;
		goto out;
	}
	if (!conn_call_ok(cid, CMS_REQ_RCVD, param, CM_REP_PDATA)) {
		ret = EINVAL;
		goto out;
	}
	if (param) {
		/* Never more than the peer asked for. */
		if (param->responder_resources < cid->resp_res)
			cid->resp_res = param->responder_resources;
		if (param->initiator_depth < cid->init_depth)
			cid->init_depth = param->initiator_depth;
		cid->rnr_retry_accept =
			param->rnr_retry_count > 7 ? 7 : param->rnr_retry_count;
		cid->flow_control = param->flow_control;
		if (!id->qp)
			cid->local_qpn = param->qp_num;
		if (!id->qp)
			cid->srq = param->srq;
	} else {
		cid->rnr_retry_accept = 7;
	}
	if (cid->resp_res > cid->dev->max_resp_res)
		cid->resp_res = cid->dev->max_resp_res;
	if (cid->init_depth > cid->dev->max_init_depth)
		cid->init_depth = cid->dev->max_init_depth;
	if (!cid->ack_timeout_set && !cid->ack_timeout)
		cid->ack_timeout = CM_DEFAULT_ACK_TIMEOUT;
	if (id->qp) {
		cid->local_qpn = id->qp->qp_num;
		cid->srq = id->qp->srq != NULL;
		ret = cm_qp_to_rts(cid);
		if (ret) {
			send_rej(cid, CM_REJ_CONSUMER_DEFINED, CM_MSG_REQ, NULL,
				 0);
			cid->state = CMS_DISCONNECTED;
			goto out;
		}
	}
	m.local_id = cid->local_id;
	m.remote_id = cid->remote_id;
	m.qpn = cid->local_qpn;
	m.psn = cid->local_psn;
	m.resp_res = cid->resp_res;
	m.init_depth = cid->init_depth;
	m.target_ack_delay = 0;
	m.flow_control = cid->flow_control;
	m.rnr_retry = cid->rnr_retry_accept;
	m.srq = cid->srq;
	m.guid = cid->dev->guid;
	if (param && param->private_data_len) {
		memcpy(m.pdata, param->private_data, param->private_data_len);
		m.pdata_len = param->private_data_len;
	}
	cid->state = CMS_REP_SENT;
	send_msg(cid, &m, true);
	cid->max_retries = cid->rep_retries;
	cid->rto_ms = cid->rep_rto_ms;
	cid->rep_sent_ms = cm_now_ms();
	cm_arm(cid, cid->rto_ms);
	if (cid->sync)
		ret = cm_sync_wait(cid) ? errno : 0;
out:
	return cm_unlock_ret(ret);
}

static int reject(struct rdma_cm_id *id, const void *pdata, uint8_t len,
		  uint16_t reason)
{
	struct cm_id *cid = to_cm_id(id);
	int ret = 0;

	if (!id || (len && !pdata)) {
		errno = EINVAL;
		return -1;
	}
	pthread_mutex_lock(&cm_lock);
	if (id->qp_type == IBV_QPT_UD) {
		ret = cm_sidr_reject(cid, pdata, len) ? errno : 0;
	} else if (cid->state != CMS_REQ_RCVD || len > CM_REJ_PDATA) {
		ret = EINVAL;
	} else {
		send_rej(cid, reason, CM_MSG_REQ, pdata, len);
		cm_disarm(cid);
		cid->state = CMS_DISCONNECTED;
	}
	return cm_unlock_ret(ret);
}

int rdma_reject(struct rdma_cm_id *id, const void *private_data,
		uint8_t private_data_len)
{
	return reject(id, private_data, private_data_len,
		      CM_REJ_CONSUMER_DEFINED);
}

int rdma_reject_ece(struct rdma_cm_id *id, const void *private_data,
		    uint8_t private_data_len)
{
	/* No ECE options are supported, so none can be agreed on. */
	return reject(id, private_data, private_data_len,
		      CM_REJ_VENDOR_OPTION_NOT_SUPPORTED);
}

int rdma_notify(struct rdma_cm_id *id, enum ibv_event_type event)
{
	struct cm_id *cid = to_cm_id(id);
	int ret = 0;

	if (cm_lock_id(id))
		return -1;
	if (event != IBV_EVENT_COMM_EST) {
		ret = EINVAL;
	} else if (cid->state == CMS_REP_SENT) {
		/* Data before the RTU: the connection is up. */
		rep_answered(cid, NULL, 0);
	} else if (cid->state != CMS_ESTABLISHED) {
		ret = EINVAL;
	}
	return cm_unlock_ret(ret);
}

/* ---- disconnection ---- */

static void qp_to_err(struct cm_id *cid)
{
	struct ibv_qp_attr attr = { .qp_state = IBV_QPS_ERR };

	if (cid->id.qp)
		ibv_modify_qp(cid->id.qp, &attr, IBV_QP_STATE);
}

int rdma_disconnect(struct rdma_cm_id *id)
{
	struct cm_id *cid = to_cm_id(id);
	int ret = 0;

	if (cm_lock_id(id))
		return -1;
	switch (cid->state) {
	case CMS_ESTABLISHED:
	case CMS_REP_SENT:
	case CMS_REP_RCVD:
		qp_to_err(cid);
		cid->state = CMS_DREQ_SENT;
		send_simple(cid, CM_ATTR_DREQ, NULL, 0);
		break;
	case CMS_DREQ_RCVD:
		qp_to_err(cid);
		send_simple(cid, CM_ATTR_DREP, NULL, 0);
		enter_timewait(cid);
		break;
	case CMS_REQ_SENT:
	case CMS_DREQ_SENT:
	case CMS_TIMEWAIT:
	case CMS_DISCONNECTED:
		qp_to_err(cid);
		break;
	default:
		ret = EINVAL;
	}
	return cm_unlock_ret(ret);
}

static void dreq_recv(struct cm_id *cid, const struct cm_msg *m)
{
	switch (cid->state) {
	case CMS_ESTABLISHED:
	case CMS_REP_SENT:
	case CMS_REP_RCVD:
		msg_done(cid);
		cid->state = CMS_DREQ_RCVD;
		report_disconnect(cid, m->pdata, CM_DREQ_PDATA);
		break;
	case CMS_DREQ_SENT:
		/* Both ends closed at once: answer and wait out. */
		send_simple(cid, CM_ATTR_DREP, NULL, 0);
		enter_timewait(cid);
		report_disconnect(cid, m->pdata, CM_DREQ_PDATA);
		break;
	case CMS_TIMEWAIT:
	case CMS_DISCONNECTED:
		send_simple(cid, CM_ATTR_DREP, NULL, 0);
		break;
	default:
		break;
	}
}

void cm_unreachable(struct cm_id *cid)
{
	if (cid->destroyed && cid->state != CMS_DREQ_SENT)
		return;
	switch (cid->state) {
	case CMS_REQ_SENT:
		if (cid->id.qp_type == IBV_QPT_UD)
			fail(cid, RDMA_CM_EVENT_UNREACHABLE,
			     CM_SIDR_UNSUPPORTED, NULL, 0);
		else
			fail(cid, RDMA_CM_EVENT_REJECTED,
			     CM_REJ_INVALID_SERVICE_ID, NULL, 0);
		break;
	case CMS_DREQ_SENT:
		enter_timewait(cid);
		report_disconnect(cid, NULL, 0);
		break;
	default:
		break;
	}
	cm_id_maybe_free(cid);
}

void cm_timeout(struct cm_id *cid)
{
	bool resend = cid->msg_valid && !cid->mra_rcvd &&
		      cid->retries < cid->max_retries;

	switch (cid->state) {
	case CMS_REQ_SENT:
	case CMS_REP_SENT:
	case CMS_DREQ_SENT:
		if (resend) {
			cid->retries++;
			cm_arm(cid, cid->rto_ms);
			cm_send(cid, cid->msg);
			return;
		}
		break;
	default:
		break;
	}
	switch (cid->state) {
	case CMS_REQ_SENT:
		if (cid->id.qp_type != IBV_QPT_UD)
			send_rej(cid, CM_REJ_TIMEOUT, CM_MSG_REQ, NULL, 0);
		fail(cid, RDMA_CM_EVENT_UNREACHABLE, -ETIMEDOUT, NULL, 0);
		break;
	case CMS_REP_SENT:
		send_rej(cid, CM_REJ_TIMEOUT, CM_MSG_REP, NULL, 0);
		fail(cid, RDMA_CM_EVENT_UNREACHABLE, -ETIMEDOUT, NULL, 0);
		break;
	case CMS_DREQ_SENT:
		/* No answer: the connection is over all the same. */
		enter_timewait(cid);
		report_disconnect(cid, NULL, 0);
		break;
	case CMS_TIMEWAIT:
		cid->state = CMS_DISCONNECTED;
		cm_event(cid, RDMA_CM_EVENT_TIMEWAIT_EXIT, 0, NULL, 0);
		break;
	default:
		break;
	}
	cm_id_maybe_free(cid);
}

void cm_conn_destroy(struct cm_id *cid)
{
	switch (cid->state) {
	case CMS_REQ_SENT:
		if (cid->id.qp_type != IBV_QPT_UD)
			send_rej(cid, CM_REJ_TIMEOUT, CM_MSG_REQ, NULL, 0);
		cm_disarm(cid);
		break;
	case CMS_REQ_RCVD:
		send_rej(cid, CM_REJ_CONSUMER_DEFINED, CM_MSG_REQ, NULL, 0);
		cm_disarm(cid);
		break;
	case CMS_REP_SENT:
	case CMS_REP_RCVD:
		send_rej(cid, CM_REJ_CONSUMER_DEFINED, CM_MSG_REP, NULL, 0);
		cm_disarm(cid);
		break;
	case CMS_ESTABLISHED:
		cid->state = CMS_DREQ_SENT;
		send_simple(cid, CM_ATTR_DREQ, NULL, 0);
		break;
	case CMS_DREQ_RCVD:
		send_simple(cid, CM_ATTR_DREP, NULL, 0);
		enter_timewait(cid);
		break;
	case CMS_DREQ_SENT:
	case CMS_TIMEWAIT:
		break; /* linger until done */
	default:
		cm_disarm(cid);
	}
}

/* ---- receive dispatch ---- */

/*
 * Whether @m, addressed to @cid by its random communication ID, comes
 * from the connection's peer: its IP, and its port and ID once known.
 * Only the answer to our REQ (REP, REJ, MRA) may come from another port
 * of the peer's IP (its process answers from its own CM socket) and
 * before we know its ID; after a REP, its port is the peer's.
 */
static bool from_peer(const struct cm_id *cid,
		      const struct sockaddr_storage *from,
		      const struct cm_msg *m)
{
	const struct sockaddr *peer = (const struct sockaddr *)&cid->peer;

	if (!cid->peer.ss_family || !cm_same_ip(&cid->peer, from))
		return false;
	if (cid->state == CMS_REQ_SENT &&
	    (m->attr == CM_ATTR_REP || m->attr == CM_ATTR_REJ ||
	     m->attr == CM_ATTR_MRA))
		return true;
	if (m->local_id != cid->remote_id)
		return false;
	return cm_sockaddr_port(peer) ==
	       cm_sockaddr_port((const struct sockaddr *)from);
}

void cm_recv(struct cm_sock *s, const struct sockaddr_storage *from,
	     const struct cm_msg *m, const uint8_t *raw)
{
	struct cm_id *cid;

	switch (m->attr) {
	case CM_ATTR_REQ:
		req_recv(s, from, m);
		return;
	case CM_ATTR_SIDR_REQ:
		cm_sidr_req_recv(s, from, m,
				 cm_sock_listener(s, m->service_id));
		return;
	case CM_ATTR_SIDR_REP:
		cm_sidr_rep_recv(from, m);
		return;
	}
	cid = cm_id_find(m->remote_id);
	if (!cid || !from_peer(cid, from, m)) {
		if (m->attr == CM_ATTR_DREQ) {
			/* A peer still closing a connection we forgot. */
			struct cm_msg drep = { .attr = CM_ATTR_DREP };
			uint8_t buf[CM_MAD_SIZE];

			drep.remote_id = m->local_id;
			if (!cm_msg_encode(&drep, buf))
				cm_send_to(s, from, buf);
		}
		cm_rx_drops++;
		return;
	}
	switch (m->attr) {
	case CM_ATTR_REP:
		rep_recv(cid, from, m);
		break;
	case CM_ATTR_RTU:
		if (cid->state == CMS_REP_SENT)
			rep_answered(cid, m->pdata, CM_RTU_PDATA);
		break;
	case CM_ATTR_REJ:
		if (cid->state == CMS_REQ_SENT || cid->state == CMS_REP_SENT ||
		    cid->state == CMS_REP_RCVD)
			fail(cid, RDMA_CM_EVENT_REJECTED, m->reason, m->pdata,
			     CM_REJ_PDATA);
		break;
	case CM_ATTR_MRA:
		if ((m->msg_type == CM_MSG_REQ && cid->state == CMS_REQ_SENT) ||
		    (m->msg_type == CM_MSG_REP && cid->state == CMS_REP_SENT)) {
			cid->mra_rcvd = true;
			cm_arm(cid,
			       cm_timeout_ms(m->service_timeout) + cid->rto_ms);
		}
		break;
	case CM_ATTR_DREQ:
		dreq_recv(cid, m);
		break;
	case CM_ATTR_DREP:
		if (cid->state == CMS_DREQ_SENT) {
			enter_timewait(cid);
			report_disconnect(cid, m->pdata, CM_DREP_PDATA);
		}
		break;
	}
	cm_id_maybe_free(cid);
}
