// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Stream rsockets' life: rsocket, rbind, rlisten, raccept, rconnect,
 * rshutdown, rclose, the names, and the endpoint (CQ, RC QP, buffers)
 * of a connection.
 *
 * Every stream rsocket has its own event channel and an asynchronous ID
 * on it; the channel's fd is the rsocket's number. A connection is driven
 * by the events on that channel: rconnect (and raccept) on a blocking
 * rsocket wait for them, on a non-blocking one return EINPROGRESS (EAGAIN)
 * and let rpoll, rsend or rrecv carry on.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "librdmacm/cma.h"
#include "librdmacm/rs.h"

struct rsocket *rs_alloc(struct rsocket *inherit, int type)
{
	struct rsocket *rs = calloc(1, sizeof(*rs));

	if (!rs)
		return NULL;
	rs->type = type;
	rs->index = -1;
	rs->udp_sock = -1;
	rs->epfd = -1;
	if (inherit) {
		rs->domain = inherit->domain;
		rs->sbuf_size = inherit->sbuf_size;
		rs->rbuf_size = inherit->rbuf_size;
		rs->sq_inline = inherit->sq_inline;
		rs->sq_size = inherit->sq_size;
		rs->rq_size = inherit->rq_size;
		rs->ctrl_max_seqno = inherit->ctrl_max_seqno;
		rs->target_iomap_size = inherit->target_iomap_size;
		rs->so_opts = inherit->so_opts & ~(1ULL << SO_KEEPALIVE);
		rs->tcp_opts = inherit->tcp_opts;
		rs->keepalive_time = inherit->keepalive_time;
	} else {
		rs->sbuf_size = rs_conf.wmem;
		rs->rbuf_size = rs_conf.mem;
		rs->sq_inline = rs_conf.inline_size;
		rs->sq_size = rs_conf.sqsize;
		rs->rq_size = rs_conf.rqsize;
		rs->ctrl_max_seqno = RS_QP_CTRL_SIZE;
		rs->target_iomap_size = rs_conf.iomap_size;
	}
	pthread_mutex_init(&rs->slock, NULL);
	pthread_mutex_init(&rs->rlock, NULL);
	pthread_mutex_init(&rs->cq_lock, NULL);
	pthread_mutex_init(&rs->cq_wait_lock, NULL);
	pthread_mutex_init(&rs->map_lock, NULL);
	return rs;
}

static struct ibv_mr *reg(struct rsocket *rs, void *buf, size_t len, int access)
{
	return ibv_reg_mr(rs->cm_id->pd, buf, len,
			  IBV_ACCESS_LOCAL_WRITE | access);
}

static void set_qp_size(struct rsocket *rs)
{
	struct ibv_device_attr attr;
	uint16_t max = RS_QP_MAX_SIZE;

	if (!ibv_query_device(rs->cm_id->verbs, &attr) && attr.max_qp_wr < max)
		max = (uint16_t)attr.max_qp_wr;
	if (rs->sq_size > max)
		rs->sq_size = max;
	else if (rs->sq_size < RS_QP_MIN_SIZE)
		rs->sq_size = RS_QP_MIN_SIZE;
	if (rs->rq_size > max)
		rs->rq_size = max;
	else if (rs->rq_size < RS_QP_MIN_SIZE)
		rs->rq_size = RS_QP_MIN_SIZE;
}

static int init_bufs(struct rsocket *rs)
{
	size_t sbuf_len = rs->sbuf_size, len;

	rs->rmsg = calloc(rs->rq_size + 1, sizeof(*rs->rmsg));
	if (!rs->rmsg)
		return rs_err(ENOMEM);
	/* room for buffer grants that cannot go inline */
	if (rs->sq_inline < sizeof(struct rs_sge))
		sbuf_len += sizeof(struct rs_sge) * RS_QP_CTRL_SIZE;
	rs->sbuf = calloc(sbuf_len, 1);
	if (!rs->sbuf)
		return rs_err(ENOMEM);
	rs->smr = reg(rs, rs->sbuf, sbuf_len, 0);
	if (!rs->smr)
		return -1;

	len = sizeof(struct rs_sge) * RS_SGL_SIZE +
	      sizeof(struct rs_iomap) * rs->target_iomap_size;
	rs->target_buf = calloc(len, 1);
	if (!rs->target_buf)
		return rs_err(ENOMEM);
	rs->target_mr = reg(rs, rs->target_buf, len, IBV_ACCESS_REMOTE_WRITE);
	if (!rs->target_mr)
		return -1;
	rs->target_sgl = rs->target_buf;
	if (rs->target_iomap_size)
		rs->target_iomap =
			(struct rs_iomap *)(rs->target_sgl + RS_SGL_SIZE);

	rs->rbuf = calloc(rs->rbuf_size, 1);
	if (!rs->rbuf)
		return rs_err(ENOMEM);
	rs->rmr = reg(rs, rs->rbuf, rs->rbuf_size, IBV_ACCESS_REMOTE_WRITE);
	if (!rs->rmr)
		return -1;

	rs->scur = rs->sbuf;
	rs->sbuf_bytes_avail = rs->sbuf_size;
	/* The first half is granted in the private data. */
	rs->rbuf_free_offset = rs->rbuf_size >> 1;
	rs->rbuf_bytes_avail = rs->rbuf_size >> 1;
	rs->sqe_avail = rs->sq_size - rs->ctrl_max_seqno;
	rs->rseq_comp = rs->rq_size >> 1;
	return 0;
}

int rs_create_qp(struct rdma_cm_id *id, void *ctx, enum ibv_qp_type type,
		 uint16_t sq, uint16_t rq, int recv_sge, uint16_t *inl,
		 struct ibv_comp_channel **chan, struct ibv_cq **cq)
{
	struct ibv_qp_init_attr attr;

	*chan = ibv_create_comp_channel(id->verbs);
	if (!*chan)
		return -1;
	/* rsockets poll it, then read it: never block in the read */
	if (fcntl((*chan)->fd, F_SETFL, O_NONBLOCK))
		return -1;
	*cq = ibv_create_cq(id->verbs, sq + rq, ctx, *chan, 0);
	if (!*cq)
		return -1;
	memset(&attr, 0, sizeof(attr));
	attr.qp_context = ctx;
	attr.send_cq = *cq;
	attr.recv_cq = *cq;
	attr.qp_type = type;
	attr.sq_sig_all = 1;
	attr.cap.max_send_wr = sq;
	attr.cap.max_recv_wr = rq;
	attr.cap.max_send_sge = 2;
	attr.cap.max_recv_sge = recv_sge;
	attr.cap.max_inline_data = *inl;
	if (rdma_create_qp(id, NULL, &attr))
		return -1;
	*inl = attr.cap.max_inline_data;
	return 0;
}

int rs_create_ep(struct rsocket *rs)
{
	int i;

	set_qp_size(rs);
	if (rs->sbuf_size < RS_SNDLOWAT)
		rs->sbuf_size = RS_SNDLOWAT << 1;
	if (rs->rbuf_size < 2)
		rs->rbuf_size = 2;
	if (rs_create_qp(rs->cm_id, rs, IBV_QPT_RC, rs->sq_size, rs->rq_size, 1,
			 &rs->sq_inline, &rs->cq_chan, &rs->cq))
		return -1;
	if (init_bufs(rs))
		return -1;
	for (i = 0; i < rs->rq_size; i++)
		if (rs_post_recv(rs))
			return -1;
	return 0;
}

static void dereg(struct ibv_mr **mr)
{
	if (*mr)
		ibv_dereg_mr(*mr);
	*mr = NULL;
}

void rs_free_ep(struct rsocket *rs)
{
	if (rs->cm_id && rs->cm_id->qp)
		rdma_destroy_qp(rs->cm_id);
	if (rs->cq) {
		ibv_ack_cq_events(rs->cq, rs->unack_cqe);
		ibv_destroy_cq(rs->cq);
		rs->cq = NULL;
	}
	if (rs->cq_chan) {
		ibv_destroy_comp_channel(rs->cq_chan);
		rs->cq_chan = NULL;
	}
	dereg(&rs->smr);
	dereg(&rs->rmr);
	dereg(&rs->target_mr);
	free(rs->sbuf);
	free(rs->rbuf);
	free(rs->target_buf);
	free(rs->rmsg);
	rs->sbuf = rs->rbuf = NULL;
	rs->target_buf = NULL;
	rs->rmsg = NULL;
}

static bool host_is_net(void)
{
	return htonl(1) == 1;
}

void rs_format_conn_data(struct rsocket *rs, struct rs_conn_data *conn)
{
	memset(conn, 0, sizeof(*conn));
	conn->version = RS_CONN_VERSION;
	conn->flags = RS_CONN_FLAG_IOMAP |
		      (host_is_net() ? RS_CONN_FLAG_NET : 0);
	conn->credits = htons(rs->rq_size);
	conn->target_iomap_size =
		(uint8_t)rs_value_to_scale(rs->target_iomap_size, 8);
	conn->target_sgl.addr = htobe64((uintptr_t)rs->target_sgl);
	conn->target_sgl.length = htonl(RS_SGL_SIZE);
	conn->target_sgl.key = htonl(rs->target_mr->rkey);
	conn->data_buf.addr = htobe64((uintptr_t)rs->rbuf);
	conn->data_buf.length = htonl(rs->rbuf_size >> 1);
	conn->data_buf.key = htonl(rs->rmr->rkey);
}

void rs_save_conn_data(struct rsocket *rs, const struct rs_conn_data *conn)
{
	rs->remote_sgl.addr = be64toh(conn->target_sgl.addr);
	rs->remote_sgl.length = ntohl(conn->target_sgl.length);
	rs->remote_sgl.key = ntohl(conn->target_sgl.key);
	/* the peer's first grant is data_buf: the next goes to entry 1 */
	rs->remote_sge = 1;
	if (host_is_net() != !!(conn->flags & RS_CONN_FLAG_NET))
		rs->opts |= RS_OPT_SWAP_SGL;
	if (conn->flags & RS_CONN_FLAG_IOMAP) {
		rs->remote_iomap.addr =
			rs->remote_sgl.addr +
			sizeof(struct rs_sge) * rs->remote_sgl.length;
		rs->remote_iomap.length =
			rs_scale_to_value(conn->target_iomap_size, 8);
		rs->remote_iomap.key = rs->remote_sgl.key;
	}
	rs->target_sgl[0].addr = be64toh(conn->data_buf.addr);
	rs->target_sgl[0].length = ntohl(conn->data_buf.length);
	rs->target_sgl[0].key = ntohl(conn->data_buf.key);
	rs->sseq_comp = ntohs(conn->credits);
}

/* The next event of @ch; -1 with EWOULDBLOCK if @nonblock and none. */
static int cm_get(struct rdma_event_channel *ch, bool nonblock,
		  struct rdma_cm_event **ev)
{
	struct pollfd p = { .fd = ch->fd, .events = POLLIN };
	int n;

	for (;;) {
		n = poll(&p, 1, nonblock ? 0 : -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (!n)
			return rs_err(EWOULDBLOCK);
		if (!rdma_get_cm_event(ch, ev))
			return 0;
		if (errno != EAGAIN || nonblock)
			return -1;
	}
}

void rs_cm_drain(struct rsocket *rs)
{
	struct rdma_cm_event *ev;

	while (!cm_get(rs->ch, true, &ev)) {
		switch (ev->event) {
		case RDMA_CM_EVENT_DISCONNECTED:
		case RDMA_CM_EVENT_DEVICE_REMOVAL:
		case RDMA_CM_EVENT_CONNECT_ERROR:
		case RDMA_CM_EVENT_UNREACHABLE:
			/* the peer is gone: what it wrote stays readable */
			if (rs->state & RS_CONNECTED)
				rs->state = RS_DISCONNECTED;
			break;
		default:
			break;
		}
		rdma_ack_cm_event(ev);
	}
}

/* An event's status as an errno value for the connection's error. */
static int event_errno(enum rdma_cm_event_type type, int status)
{
	if (type == RDMA_CM_EVENT_REJECTED)
		return ECONNREFUSED;
	if (status < 0)
		return -status;
	if (status > 0 && status < 4096)
		return status;
	switch (type) {
	case RDMA_CM_EVENT_ADDR_ERROR:
	case RDMA_CM_EVENT_ROUTE_ERROR:
		return EHOSTUNREACH;
	case RDMA_CM_EVENT_UNREACHABLE:
	case RDMA_CM_EVENT_CONNECT_ERROR:
		return ETIMEDOUT;
	default:
		return ECONNRESET;
	}
}

static int send_connect(struct rsocket *rs)
{
	struct rdma_conn_param param;
	struct rs_conn_data creq;

	if (rs_create_ep(rs))
		return -1;
	rs_format_conn_data(rs, &creq);
	memset(&param, 0, sizeof(param));
	param.private_data = &creq;
	param.private_data_len = sizeof(creq);
	param.flow_control = 1;
	param.retry_count = 7;
	param.rnr_retry_count = 7;
	return rdma_connect(rs->cm_id, &param);
}

static int resolve_route(struct rsocket *rs)
{
	/*
	 * RDMA_ROUTE: there is no SA to impose a path on, so the route is
	 * resolved as always when the CM refuses the path (it does).
	 */
	if (rs->route &&
	    !rdma_set_option(rs->cm_id, RDMA_OPTION_IB, RDMA_OPTION_IB_PATH,
			     rs->route, rs->route_len))
		return 0;
	return rdma_resolve_route(rs->cm_id, RS_CONN_TIMEOUT_MS);
}

/* One event of an opening rsocket: the next step, or -1 and errno. */
static int connect_step(struct rsocket *rs, struct rdma_cm_event *ev)
{
	enum rdma_cm_event_type type = ev->event;
	struct rs_conn_data cresp;
	int status = ev->status;

	switch (rs->state) {
	case RS_RESOLVING_ADDR:
		if (type == RDMA_CM_EVENT_ADDR_RESOLVED) {
			rs->retries = 0;
			rs->state = RS_RESOLVING_ROUTE;
			return resolve_route(rs);
		}
		break;
	case RS_RESOLVING_ROUTE:
		if (type == RDMA_CM_EVENT_ROUTE_RESOLVED) {
			rs->state = RS_CONNECTING;
			return send_connect(rs);
		}
		break;
	case RS_CONNECTING:
		if (type != RDMA_CM_EVENT_ESTABLISHED)
			break;
		if (ev->param.conn.private_data_len < sizeof(cresp))
			return rs_err(ECONNREFUSED);
		memcpy(&cresp, ev->param.conn.private_data, sizeof(cresp));
		if (cresp.version != RS_CONN_VERSION)
			return rs_err(ENOTSUP);
		rs_save_conn_data(rs, &cresp);
		rs->state = RS_CONNECT_RDWR;
		return 0;
	case RS_ACCEPTING:
		if (type == RDMA_CM_EVENT_ESTABLISHED) {
			rs->state = RS_CONNECT_RDWR;
			return 0;
		}
		break;
	}
	switch (type) {
	case RDMA_CM_EVENT_ADDR_ERROR:
	case RDMA_CM_EVENT_ROUTE_ERROR:
	case RDMA_CM_EVENT_CONNECT_ERROR:
	case RDMA_CM_EVENT_UNREACHABLE:
	case RDMA_CM_EVENT_REJECTED:
	case RDMA_CM_EVENT_DISCONNECTED:
	case RDMA_CM_EVENT_DEVICE_REMOVAL:
		return rs_err(event_errno(type, status));
	default:
		return 0; /* not for us: wait on */
	}
}

int rs_do_connect(struct rsocket *rs, bool nonblock)
{
	struct rdma_cm_event *ev;
	int ret = 0;

	if (rs->state == RS_INIT || rs->state == RS_BOUND) {
		rs->state = RS_RESOLVING_ADDR;
		ret = rdma_resolve_addr(rs->cm_id, NULL,
					(struct sockaddr *)&rs->dst_addr,
					RS_CONN_TIMEOUT_MS);
	}
	while (!ret && (rs->state & RS_OPENING)) {
		ret = cm_get(rs->ch, nonblock, &ev);
		if (ret)
			break;
		ret = connect_step(rs, ev);
		rdma_ack_cm_event(ev);
	}
	if (!ret && rs->state == RS_CONNECT_ERROR)
		ret = rs_err(rs->err ? rs->err : ECONNREFUSED);
	if (ret) {
		if (errno == EWOULDBLOCK) {
			errno = EINPROGRESS;
		} else if (rs->state & RS_OPENING) {
			rs->state = RS_CONNECT_ERROR;
			rs->err = errno;
		}
	}
	return ret;
}

/* ---- the calls ---- */

int rsocket(int domain, int type, int protocol)
{
	struct rsocket *rs;
	int ret;

	if ((domain != AF_INET && domain != AF_INET6) ||
	    (type != SOCK_STREAM && type != SOCK_DGRAM) ||
	    (type == SOCK_STREAM && protocol && protocol != IPPROTO_TCP) ||
	    (type == SOCK_DGRAM && protocol && protocol != IPPROTO_UDP))
		return rs_err(ENOTSUP);
	/*
	 * The CM thread and the devices' engines stay with the parent: a
	 * child of a process that has used librdmacm cannot connect (see
	 * uroce-rsocket(7), fork).
	 */
	if (cm_forked_child())
		return rs_err(ENOTSUP);
	rs_configure();
	rs = rs_alloc(NULL, type);
	if (!rs)
		return rs_err(ENOMEM);
	rs->domain = domain;
	if (type == SOCK_DGRAM) {
		if (ds_init(rs, domain) || rs_insert(rs, rs->udp_sock) < 0)
			goto err;
		return rs->index;
	}
	rs->ch = rdma_create_event_channel();
	if (!rs->ch)
		goto err;
	if (rdma_create_id(rs->ch, &rs->cm_id, rs, RDMA_PS_TCP))
		goto err;
	rs->cm_id->route.addr.src_addr.sa_family = domain;
	if (rs_insert(rs, rs->ch->fd) < 0)
		goto err;
	return rs->index;
err:
	ret = errno;
	rs_free(rs);
	return rs_err(ret);
}

int rbind(int socket, const struct sockaddr *addr, socklen_t addrlen)
{
	struct rsocket *rs = rs_get(socket);

	if (!rs)
		return -1;
	if (!addr || addrlen < sizeof(struct sockaddr_in))
		return rs_err(EINVAL);
	if (rs->type == SOCK_DGRAM)
		return ds_bind(rs, addr, addrlen);
	if (rs->state != RS_INIT)
		return rs_err(EINVAL);
	if (rdma_bind_addr(rs->cm_id, (struct sockaddr *)addr))
		return -1;
	rs->state = RS_BOUND;
	return 0;
}

int rlisten(int socket, int backlog)
{
	struct rsocket *rs = rs_get(socket);

	if (!rs)
		return -1;
	if (rs->type != SOCK_STREAM)
		return rs_err(EOPNOTSUPP);
	if (rs->state == RS_LISTENING)
		return 0;
	if (rs->state != RS_BOUND && rs->state != RS_INIT)
		return rs_err(EINVAL);
	if (rdma_listen(rs->cm_id, backlog))
		return -1;
	rs->state = RS_LISTENING;
	return 0;
}

/*
 * Takes the request, moves its ID to a channel of its own (the new
 * rsocket's number) and answers with this end's buffers. A non-blocking
 * listener gives a socket still accepting: its ESTABLISHED event is taken
 * by the first call that needs the connection.
 */
int raccept(int socket, struct sockaddr *addr, socklen_t *addrlen)
{
	struct rsocket *rs = rs_get(socket), *nrs;
	struct rdma_conn_param param;
	struct rs_conn_data creq, cresp;
	struct rdma_cm_event *ev;
	struct rdma_cm_id *id;
	int ret;

	if (!rs)
		return -1;
	if (rs->type != SOCK_STREAM)
		return rs_err(EOPNOTSUPP);
	if (rs->state != RS_LISTENING)
		return rs_err(EINVAL);
	for (;;) {
		if (cm_get(rs->ch, rs->fd_flags & O_NONBLOCK, &ev))
			return -1;
		if (ev->event == RDMA_CM_EVENT_CONNECT_REQUEST)
			break;
		rdma_ack_cm_event(ev);
	}
	id = ev->id;
	param = ev->param.conn;
	memset(&creq, 0, sizeof(creq));
	if (param.private_data && param.private_data_len >= sizeof(creq))
		memcpy(&creq, param.private_data, sizeof(creq));
	rdma_ack_cm_event(ev);
	if (creq.version != RS_CONN_VERSION) {
		rdma_reject(id, NULL, 0);
		rdma_destroy_id(id);
		return rs_err(ENOTSUP);
	}
	nrs = rs_alloc(rs, SOCK_STREAM);
	if (!nrs) {
		rdma_reject(id, NULL, 0);
		rdma_destroy_id(id);
		return rs_err(ENOMEM);
	}
	nrs->cm_id = id;
	id->context = nrs;
	nrs->ch = rdma_create_event_channel();
	if (!nrs->ch || rdma_migrate_id(id, nrs->ch) ||
	    rs_insert(nrs, nrs->ch->fd) < 0 || rs_create_ep(nrs))
		goto err_reject;
	rs_save_conn_data(nrs, &creq);
	rs_format_conn_data(nrs, &cresp);
	param.private_data = &cresp;
	param.private_data_len = sizeof(cresp);
	nrs->state = RS_ACCEPTING;
	if (rdma_accept(id, &param))
		goto err;
	if (!(rs->fd_flags & O_NONBLOCK) && rs_do_connect(nrs, false))
		goto err;
	if (addr && addrlen)
		rgetpeername(nrs->index, addr, addrlen);
	return nrs->index;
err_reject:
	ret = errno;
	rdma_reject(id, NULL, 0);
	errno = ret;
err:
	ret = errno;
	rs_free(nrs);
	return rs_err(ret);
}

int rconnect(int socket, const struct sockaddr *addr, socklen_t addrlen)
{
	struct rsocket *rs = rs_get(socket);

	if (!rs)
		return -1;
	if (rs->type == SOCK_DGRAM)
		return ds_connect(rs, addr, addrlen);
	if (rs->state & RS_OPENING)
		return rs_do_connect(rs, rs->fd_flags & O_NONBLOCK);
	if (rs->state & (RS_CONNECTED | RS_DISCONNECTED | RS_ERROR))
		return rs_err(EISCONN);
	if (rs->state != RS_INIT && rs->state != RS_BOUND)
		return rs_err(EINVAL);
	if (!addr || addrlen < sizeof(struct sockaddr_in) ||
	    addrlen > sizeof(rs->dst_addr))
		return rs_err(EINVAL);
	memcpy(&rs->dst_addr, addr, addrlen);
	return rs_do_connect(rs, rs->fd_flags & O_NONBLOCK);
}

/*
 * Tells the peer (SHUTDOWN for one direction, DISCONNECT for both), then
 * waits until every send has completed; once both directions are closed
 * the CM disconnects.
 */
int rshutdown(int socket, int how)
{
	struct rsocket *rs = rs_get(socket);
	int ctrl, ret = 0;

	if (!rs)
		return -1;
	if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
		return rs_err(EINVAL);
	if (rs->type == SOCK_DGRAM) {
		ds_shutdown(rs);
		return 0;
	}
	if (!(rs->state & (RS_CONNECTED | RS_DISCONNECTED | RS_ERROR)))
		return rs_err(ENOTCONN);
	rs_keepalive_set(rs, false);
	if (rs->state & RS_CONNECTED) {
		if (how == SHUT_RDWR) {
			ctrl = RS_CTRL_DISCONNECT;
			rs->state &= ~(RS_READABLE | RS_WRITABLE);
		} else if (how == SHUT_WR) {
			rs->state &= ~RS_WRITABLE;
			ctrl = (rs->state & RS_READABLE) ? RS_CTRL_SHUTDOWN :
							   RS_CTRL_DISCONNECT;
		} else {
			rs->state &= ~RS_READABLE;
			if (rs->state & RS_WRITABLE)
				goto out;
			ctrl = RS_CTRL_DISCONNECT;
		}
		if (!rs_ctrl_avail(rs)) {
			ret = rs_process_cq(rs, false, rs_conn_can_send_ctrl);
			if (ret)
				goto out;
		}
		pthread_mutex_lock(&rs->cq_lock);
		if ((rs->state & RS_CONNECTED) && rs_ctrl_avail(rs)) {
			rs->ctrl_seqno++;
			ret = rs_post_msg(rs, rs_msg_set(RS_OP_CTRL, ctrl));
		}
		pthread_mutex_unlock(&rs->cq_lock);
	}
	if (rs->state & RS_CONNECTED)
		rs_process_cq(rs, false, rs_conn_all_sends_done);
out:
	if ((rs->state & RS_DISCONNECTED) && rs->cm_id->qp) {
		/* flushes the receives: a sleeping rpoll wakes up */
		ibv_req_notify_cq(rs->cq, 0);
		rdma_disconnect(rs->cm_id);
	}
	return ret;
}

/* What a stream socket holds of its own. */
static void stream_free(struct rsocket *rs)
{
	struct rdma_cm_event *ev;

	rs_free_iomappings(rs);
	rs_free_ep(rs);
	if (rs->ch) {
		/* the ID goes once its events are acked */
		while (!cm_get(rs->ch, true, &ev))
			rdma_ack_cm_event(ev);
	}
	if (rs->cm_id)
		rdma_destroy_id(rs->cm_id);
	if (rs->ch)
		rdma_destroy_event_channel(rs->ch);
	free(rs->route);
	free(rs->remote_iomappings);
}

void rs_free(struct rsocket *rs)
{
	rs_remove(rs);
	if (rs->type == SOCK_DGRAM)
		ds_free(rs);
	else
		stream_free(rs);
	pthread_mutex_destroy(&rs->slock);
	pthread_mutex_destroy(&rs->rlock);
	pthread_mutex_destroy(&rs->cq_lock);
	pthread_mutex_destroy(&rs->cq_wait_lock);
	pthread_mutex_destroy(&rs->map_lock);
	free(rs);
}

int rclose(int socket)
{
	struct rsocket *rs = rs_get(socket);

	if (!rs)
		return -1;
	if (rs->type == SOCK_STREAM) {
		if (rs->state & RS_CONNECTED)
			rshutdown(socket, SHUT_RDWR);
		rs_keepalive_set(rs, false);
	} else {
		ds_shutdown(rs);
	}
	rs_free(rs);
	return 0;
}

static void copy_addr(struct sockaddr *dst, const struct sockaddr *src,
		      socklen_t *len)
{
	socklen_t size = src->sa_family == AF_INET6 ?
				 sizeof(struct sockaddr_in6) :
				 sizeof(struct sockaddr_in);

	memcpy(dst, src, *len < size ? *len : size);
	*len = size;
}

int rgetpeername(int socket, struct sockaddr *addr, socklen_t *addrlen)
{
	struct rsocket *rs = rs_get(socket);

	if (!rs)
		return -1;
	if (!addr || !addrlen)
		return rs_err(EFAULT);
	if (rs->type == SOCK_DGRAM)
		return getpeername(rs->udp_sock, addr, addrlen);
	if (!(rs->state & (RS_CONNECTED | RS_DISCONNECTED | RS_ERROR)) &&
	    rs->state != RS_ACCEPTING)
		return rs_err(ENOTCONN);
	copy_addr(addr, rdma_get_peer_addr(rs->cm_id), addrlen);
	return 0;
}

int rgetsockname(int socket, struct sockaddr *addr, socklen_t *addrlen)
{
	struct rsocket *rs = rs_get(socket);

	if (!rs)
		return -1;
	if (!addr || !addrlen)
		return rs_err(EFAULT);
	if (rs->type == SOCK_DGRAM)
		return getsockname(rs->udp_sock, addr, addrlen);
	copy_addr(addr, rdma_get_local_addr(rs->cm_id), addrlen);
	return 0;
}
