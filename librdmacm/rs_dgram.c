// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Datagram rsockets (SOCK_DGRAM): UD QPs, one per local address the
 * rsocket sends from, and an ordinary UDP socket, whose number is the
 * rsocket's and whose address is the rsocket's address.
 *
 * A peer's QP number is learnt over UDP, as rdma-core does it: until it
 * is known, a datagram goes over the UDP socket with a ds_udp_header (our
 * QP number and address); the receiver takes it in, answers with an
 * RS_OP_CTRL header carrying its own QP number, and from then on both
 * send over UD, each datagram led by a ds_header naming its sender's
 * address. Unlike rdma-core, no service thread reads the UDP socket:
 * every call that takes in completions reads it too, and rpoll and the
 * blocking calls sleep on it beside the completion channels.
 *
 * Datagrams are at most RS_SNDLOWAT bytes, header included (EMSGSIZE);
 * one larger than the path MTU, which UD cannot carry, goes over the UDP
 * socket. One that finds no free receive slot is dropped, as UDP drops.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/uio.h>
#include <unistd.h>

#include "librdmacm/cma.h"
#include "librdmacm/rs.h"

#define DS_IPV4_HDR_LEN 8
#define DS_IPV6_HDR_LEN 24
#define DS_UDP_TAG 0x55555555
#define DS_UDP_IPV4_HDR_LEN 16
#define DS_UDP_IPV6_HDR_LEN 28
#define DS_GRH 40

/* Before each UD datagram's payload: the sender's address. */
struct ds_header {
	uint8_t version; /* 4 or 6 */
	uint8_t length; /* of this header */
	uint16_t port; /* network order */
	union {
		uint32_t ipv4;
		struct {
			uint32_t flowinfo;
			uint8_t addr[16];
		} ipv6;
	} addr;
};

/* Before a datagram sent over UDP. */
struct ds_udp_header {
	uint32_t tag;
	uint8_t version;
	uint8_t op; /* RS_OP_DATA, or RS_OP_CTRL: an answer */
	uint8_t length;
	uint8_t reserved;
	uint32_t qpn; /* the sender's; lower 8 bits of the word reserved */
	union {
		uint32_t ipv4;
		uint8_t ipv6[16];
	} addr;
};

struct ds_qp {
	struct ds_qp *next;
	struct rsocket *rs;
	struct rdma_cm_id *cm_id;
	struct ibv_comp_channel *chan;
	struct ibv_cq *cq;
	struct sockaddr_storage src;
	struct ds_header hdr;
	struct ibv_mr *smr, *rmr;
	uint8_t *rbuf;
	uint32_t mtu; /* bytes: the largest UD message */
	bool cq_armed;
};

struct ds_dest {
	struct ds_dest *next;
	struct sockaddr_storage addr;
	struct ds_qp *qp;
	struct ibv_ah *ah;
	uint32_t qpn;
};

static socklen_t addr_len(const struct sockaddr *sa)
{
	return sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
					   sizeof(struct sockaddr_in);
}

static bool same_addr(const struct sockaddr *a, const struct sockaddr *b)
{
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)b;
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;

	if (a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET)
		return a4->sin_port == b4->sin_port &&
		       a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	return a6->sin6_port == b6->sin6_port &&
	       !memcmp(&a6->sin6_addr, &b6->sin6_addr, 16);
}

static bool same_ip(const struct sockaddr *a, const struct sockaddr *b)
{
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)b;
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;

	if (a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET)
		return a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	return !memcmp(&a6->sin6_addr, &b6->sin6_addr, 16);
}

int ds_init(struct rsocket *rs, int domain)
{
	struct epoll_event ev = { .events = EPOLLIN };

	rs->udp_sock = socket(domain, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (rs->udp_sock < 0)
		return -1;
	rs->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (rs->epfd < 0)
		return -1;
	ev.data.ptr = NULL; /* the UDP socket */
	return epoll_ctl(rs->epfd, EPOLL_CTL_ADD, rs->udp_sock, &ev);
}

/* Sizes and send slots, at the first bind, connect or send. */
static int init_ep(struct rsocket *rs)
{
	int i;

	if (rs->state != RS_INIT)
		return 0;
	if (rs->rq_size > rs->rbuf_size / RS_SNDLOWAT)
		rs->rq_size = rs->rbuf_size / RS_SNDLOWAT;
	if (rs->sq_size > rs->sbuf_size / RS_SNDLOWAT)
		rs->sq_size = rs->sbuf_size / RS_SNDLOWAT;
	if (rs->rq_size < 2)
		rs->rq_size = 2;
	if (rs->sq_size < 2)
		rs->sq_size = 2;
	rs->rbuf_size = rs->rq_size * RS_SNDLOWAT;
	rs->sbuf_size = rs->sq_size * RS_SNDLOWAT;
	rs->sbuf = calloc(rs->sq_size, RS_SNDLOWAT);
	rs->smsg_free = calloc(rs->sq_size, sizeof(*rs->smsg_free));
	rs->dmsg = calloc(rs->rq_size + 1, sizeof(*rs->dmsg));
	if (!rs->sbuf || !rs->smsg_free || !rs->dmsg)
		return rs_err(ENOMEM);
	for (i = 0; i < rs->sq_size; i++)
		rs->smsg_free[i] = i * RS_SNDLOWAT;
	rs->smsg_nfree = rs->sq_size;
	rs->sqe_avail = rs->sq_size;
	rs->rqe_avail = rs->rq_size;
	rs->state = RS_READABLE | RS_WRITABLE;
	return 0;
}

static int post_recv(struct ds_qp *qp, uint32_t offset)
{
	struct rsocket *rs = qp->rs;
	struct ibv_sge sge[2] = {
		{ .addr = (uintptr_t)qp->rbuf + rs->rbuf_size,
		  .length = DS_GRH,
		  .lkey = qp->rmr->lkey },
		{ .addr = (uintptr_t)qp->rbuf + offset,
		  .length = RS_SNDLOWAT,
		  .lkey = qp->rmr->lkey },
	};
	struct ibv_recv_wr wr = { .wr_id = RS_WR_RECV | offset,
				  .sg_list = sge,
				  .num_sge = 2 },
			   *bad;

	return ibv_post_recv(qp->cm_id->qp, &wr, &bad);
}

static void free_qp(struct ds_qp *qp)
{
	struct rsocket *rs = qp->rs;

	if (qp->chan)
		epoll_ctl(rs->epfd, EPOLL_CTL_DEL, qp->chan->fd, NULL);
	if (qp->cm_id && qp->cm_id->qp)
		rdma_destroy_qp(qp->cm_id);
	if (qp->cq)
		ibv_destroy_cq(qp->cq);
	if (qp->chan)
		ibv_destroy_comp_channel(qp->chan);
	if (qp->smr)
		ibv_dereg_mr(qp->smr);
	if (qp->rmr)
		ibv_dereg_mr(qp->rmr);
	if (qp->cm_id)
		rdma_destroy_id(qp->cm_id);
	free(qp->rbuf);
	free(qp);
}

static void format_hdr(struct ds_header *hdr, const struct sockaddr *sa)
{
	const struct sockaddr_in *sin = (const void *)sa;
	const struct sockaddr_in6 *sin6 = (const void *)sa;

	memset(hdr, 0, sizeof(*hdr));
	if (sa->sa_family == AF_INET) {
		hdr->version = 4;
		hdr->length = DS_IPV4_HDR_LEN;
		hdr->port = sin->sin_port;
		hdr->addr.ipv4 = sin->sin_addr.s_addr;
	} else {
		hdr->version = 6;
		hdr->length = DS_IPV6_HDR_LEN;
		hdr->port = sin6->sin6_port;
		hdr->addr.ipv6.flowinfo = sin6->sin6_flowinfo;
		memcpy(hdr->addr.ipv6.addr, &sin6->sin6_addr, 16);
	}
}

/* A UD QP on the device of local address @src (its port: the rsocket's). */
static struct ds_qp *create_qp(struct rsocket *rs,
			       const struct sockaddr_storage *src)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct sockaddr_storage bind_addr = *src;
	struct ibv_port_attr pattr;
	struct ds_qp *qp = calloc(1, sizeof(*qp));
	int i;

	if (!qp)
		return NULL;
	qp->rs = rs;
	qp->src = *src;
	format_hdr(&qp->hdr, (const struct sockaddr *)src);
	/* the UDP socket has the port: the ID only needs the device */
	cm_sockaddr_set_port((struct sockaddr *)&bind_addr, 0);
	if (rdma_create_id(NULL, &qp->cm_id, qp, RDMA_PS_UDP) ||
	    rdma_bind_addr(qp->cm_id, (struct sockaddr *)&bind_addr) ||
	    !qp->cm_id->verbs)
		goto err;
	if (rs_create_qp(qp->cm_id, qp, IBV_QPT_UD, rs->sq_size, rs->rq_size, 2,
			 &rs->sq_inline, &qp->chan, &qp->cq))
		goto err;
	qp->mtu = 1024;
	if (!ibv_query_port(qp->cm_id->verbs, qp->cm_id->port_num, &pattr))
		qp->mtu = 128u << pattr.active_mtu;
	qp->rbuf = calloc(rs->rbuf_size + DS_GRH, 1);
	if (!qp->rbuf)
		goto err;
	qp->smr = ibv_reg_mr(qp->cm_id->pd, rs->sbuf, rs->sbuf_size,
			     IBV_ACCESS_LOCAL_WRITE);
	qp->rmr = ibv_reg_mr(qp->cm_id->pd, qp->rbuf, rs->rbuf_size + DS_GRH,
			     IBV_ACCESS_LOCAL_WRITE);
	if (!qp->smr || !qp->rmr)
		goto err;
	for (i = 0; i < rs->rq_size; i++)
		if (post_recv(qp, i * RS_SNDLOWAT))
			goto err;
	ev.data.ptr = qp;
	if (epoll_ctl(rs->epfd, EPOLL_CTL_ADD, qp->chan->fd, &ev))
		goto err;
	qp->next = rs->qp_list;
	rs->qp_list = qp;
	return qp;
err:
	free_qp(qp);
	return NULL;
}

/*
 * The local address that reaches @dst: the UDP socket's own if bound to
 * one, else the route's source (as a connected UDP socket finds it); the
 * port is the UDP socket's (bound now if it was not).
 */
static int src_addr(struct rsocket *rs, const struct sockaddr *dst,
		    struct sockaddr_storage *src)
{
	struct sockaddr_storage any = { .ss_family = dst->sa_family };
	socklen_t len = sizeof(*src);
	uint16_t port;
	int s, ret;

	if (getsockname(rs->udp_sock, (struct sockaddr *)src, &len))
		return -1;
	if (!cm_sockaddr_port((struct sockaddr *)src)) {
		if (bind(rs->udp_sock, (struct sockaddr *)&any,
			 addr_len((struct sockaddr *)&any)))
			return -1;
		len = sizeof(*src);
		if (getsockname(rs->udp_sock, (struct sockaddr *)src, &len))
			return -1;
	}
	if (!cm_sockaddr_any((struct sockaddr *)src) &&
	    !cm_sockaddr_loopback((struct sockaddr *)src))
		return 0;
	port = cm_sockaddr_port((struct sockaddr *)src);
	s = socket(dst->sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	ret = connect(s, dst, addr_len(dst));
	len = sizeof(*src);
	if (!ret)
		ret = getsockname(s, (struct sockaddr *)src, &len);
	close(s);
	cm_sockaddr_set_port((struct sockaddr *)src, port);
	return ret;
}

/* The destination entry of @addr, made with its QP if new (cq_lock). */
static struct ds_dest *get_dest(struct rsocket *rs, const struct sockaddr *addr)
{
	struct sockaddr_storage src;
	struct ds_dest *d;
	struct ds_qp *qp;

	for (d = rs->dests; d; d = d->next)
		if (same_addr((struct sockaddr *)&d->addr, addr))
			return d;
	if (src_addr(rs, addr, &src))
		return NULL;
	for (qp = rs->qp_list; qp; qp = qp->next)
		if (same_ip((struct sockaddr *)&qp->src,
			    (struct sockaddr *)&src))
			break;
	if (!qp)
		qp = create_qp(rs, &src);
	if (!qp)
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d) {
		errno = ENOMEM;
		return NULL;
	}
	memcpy(&d->addr, addr, addr_len(addr));
	d->qp = qp;
	d->next = rs->dests;
	rs->dests = d;
	return d;
}

/* What we learnt of the peer's QP: an address handle to it. */
static void set_dest_qpn(struct ds_dest *d, uint32_t qpn)
{
	struct ibv_ah_attr attr;
	union ibv_gid dgid;

	if (d->ah && d->qpn == qpn)
		return;
	if (d->ah)
		ibv_destroy_ah(d->ah);
	cm_sockaddr_gid((struct sockaddr *)&d->addr, &dgid);
	pthread_mutex_lock(&cm_lock);
	cm_fill_ah_attr(to_cm_id(d->qp->cm_id), &attr, &dgid);
	pthread_mutex_unlock(&cm_lock);
	d->ah = ibv_create_ah(d->qp->cm_id->pd, &attr);
	d->qpn = qpn;
}

static ssize_t send_udp(struct rsocket *rs, struct ds_dest *d,
			const struct iovec *iov, int iovcnt, int flags,
			uint8_t op)
{
	struct ds_udp_header hdr = { .tag = htonl(DS_UDP_TAG), .op = op };
	struct iovec miov[9];
	struct msghdr msg = { 0 };
	ssize_t ret;

	if (iovcnt > 8)
		return rs_err(ENOTSUP);
	hdr.version = d->qp->hdr.version;
	hdr.qpn = htonl(d->qp->cm_id->qp->qp_num & 0xFFFFFF);
	if (hdr.version == 4) {
		hdr.length = DS_UDP_IPV4_HDR_LEN;
		hdr.addr.ipv4 = d->qp->hdr.addr.ipv4;
	} else {
		hdr.length = DS_UDP_IPV6_HDR_LEN;
		memcpy(hdr.addr.ipv6, d->qp->hdr.addr.ipv6.addr, 16);
	}
	miov[0].iov_base = &hdr;
	miov[0].iov_len = hdr.length;
	if (iovcnt)
		memcpy(&miov[1], iov, sizeof(*iov) * iovcnt);
	msg.msg_name = &d->addr;
	msg.msg_namelen = addr_len((struct sockaddr *)&d->addr);
	msg.msg_iov = miov;
	msg.msg_iovlen = iovcnt + 1;
	ret = sendmsg(rs->udp_sock, &msg, flags & MSG_DONTWAIT);
	return ret > 0 ? ret - hdr.length : ret;
}

static bool valid_udp_hdr(const struct ds_udp_header *h, ssize_t n,
			  const struct sockaddr *from)
{
	return n >= DS_UDP_IPV4_HDR_LEN && ntohl(h->tag) == DS_UDP_TAG &&
	       ((h->version == 4 && from->sa_family == AF_INET &&
		 h->length == DS_UDP_IPV4_HDR_LEN) ||
		(h->version == 6 && from->sa_family == AF_INET6 &&
		 h->length == DS_UDP_IPV6_HDR_LEN && n >= DS_UDP_IPV6_HDR_LEN));
}

static void queue_rmsg(struct rsocket *rs, struct ds_qp *qp, uint32_t offset,
		       uint8_t *data, uint32_t len,
		       const struct sockaddr_storage *src)
{
	struct ds_rmsg *m = &rs->dmsg[rs->rmsg_tail];

	rs->rqe_avail--;
	m->qp = qp;
	m->offset = offset;
	m->data = data;
	m->length = len;
	m->src = *src;
	if (++rs->rmsg_tail == rs->rq_size + 1)
		rs->rmsg_tail = 0;
}

/* First contacts and answers that came over UDP (cq_lock held). */
static void poll_udp(struct rsocket *rs)
{
	uint8_t buf[RS_SNDLOWAT + DS_UDP_IPV6_HDR_LEN];
	struct ds_udp_header *h = (void *)buf;
	struct sockaddr_storage from;
	socklen_t flen;
	struct ds_dest *d;
	uint8_t *copy;
	ssize_t n;
	size_t len;

	if (rs->state == RS_INIT)
		return; /* nothing to answer from yet */
	for (;;) {
		flen = sizeof(from);
		n = recvfrom(rs->udp_sock, buf, sizeof(buf), MSG_DONTWAIT,
			     (struct sockaddr *)&from, &flen);
		if (n < 0)
			return;
		if (!valid_udp_hdr(h, n, (struct sockaddr *)&from))
			continue;
		d = get_dest(rs, (struct sockaddr *)&from);
		if (!d)
			continue;
		if (h->op == RS_OP_DATA) /* tell the sender our QP */
			send_udp(rs, d, NULL, 0, MSG_DONTWAIT, RS_OP_CTRL);
		set_dest_qpn(d, ntohl(h->qpn) & 0xFFFFFF);
		if (h->op != RS_OP_DATA || !rs->rqe_avail)
			continue;
		len = n - h->length;
		copy = malloc(len ? len : 1);
		if (!copy)
			continue;
		memcpy(copy, buf + h->length, len);
		queue_rmsg(rs, NULL, 0, copy, len, &from);
	}
}

static bool valid_recv(struct ds_qp *qp, struct ibv_wc *wc, uint32_t offset)
{
	struct ds_header *hdr = (void *)(qp->rbuf + offset);

	return wc->byte_len >= DS_GRH + DS_IPV4_HDR_LEN &&
	       ((hdr->version == 4 && hdr->length == DS_IPV4_HDR_LEN) ||
		(hdr->version == 6 && hdr->length == DS_IPV6_HDR_LEN &&
		 wc->byte_len >= DS_GRH + DS_IPV6_HDR_LEN));
}

static void hdr_src(const struct ds_header *hdr, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (void *)ss;
	struct sockaddr_in6 *sin6 = (void *)ss;

	memset(ss, 0, sizeof(*ss));
	if (hdr->version == 4) {
		sin->sin_family = AF_INET;
		sin->sin_port = hdr->port;
		sin->sin_addr.s_addr = hdr->addr.ipv4;
	} else {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = hdr->port;
		sin6->sin6_flowinfo = hdr->addr.ipv6.flowinfo;
		memcpy(&sin6->sin6_addr, hdr->addr.ipv6.addr, 16);
	}
}

static void poll_qp(struct rsocket *rs, struct ds_qp *qp)
{
	struct sockaddr_storage src;
	struct ds_header *hdr;
	struct ibv_wc wc[16];
	uint32_t off;
	int n, i;

	while ((n = ibv_poll_cq(qp->cq, 16, wc)) > 0) {
		for (i = 0; i < n; i++) {
			off = (uint32_t)wc[i].wr_id;
			if (!(wc[i].wr_id & RS_WR_RECV)) {
				rs->smsg_free[rs->smsg_nfree++] = off;
				rs->sqe_avail++;
				continue;
			}
			if (wc[i].status != IBV_WC_SUCCESS)
				continue; /* flushed: the QP is going */
			if (!rs->rqe_avail || !valid_recv(qp, &wc[i], off)) {
				post_recv(qp, off);
				continue;
			}
			hdr = (void *)(qp->rbuf + off);
			hdr_src(hdr, &src);
			queue_rmsg(rs, qp, off, qp->rbuf + off + hdr->length,
				   wc[i].byte_len - DS_GRH - hdr->length, &src);
		}
	}
}

static void poll_all(struct rsocket *rs)
{
	struct ds_qp *qp;

	poll_udp(rs);
	for (qp = rs->qp_list; qp; qp = qp->next)
		poll_qp(rs, qp);
}

int ds_get_cq_event(struct rsocket *rs)
{
	struct epoll_event ev[8];
	struct ds_qp *qp;
	struct ibv_cq *cq;
	void *ctx;
	int n, i;

	/* woken: arm again before the next sleep */
	rs->cq_armed = false;
	n = epoll_wait(rs->epfd, ev, 8, 0);
	for (i = 0; i < n; i++) {
		qp = ev[i].data.ptr;
		if (qp && !ibv_get_cq_event(qp->chan, &cq, &ctx)) {
			ibv_ack_cq_events(cq, 1);
			qp->cq_armed = false;
		}
	}
	return 0;
}

static void arm_all(struct rsocket *rs)
{
	struct ds_qp *qp;

	for (qp = rs->qp_list; qp; qp = qp->next) {
		if (!qp->cq_armed) {
			ibv_req_notify_cq(qp->cq, 0);
			qp->cq_armed = true;
		}
	}
	rs->cq_armed = true;
}

/* As rs_sleep_hint(), for every QP. */
void ds_sleep_hint(struct rsocket *rs)
{
	struct ds_qp *qp;

	for (qp = rs->qp_list; qp; qp = qp->next)
		ibv_req_notify_cq(qp->cq, 0);
}

int ds_process_cqs(struct rsocket *rs, bool nonblock,
		   bool (*test)(struct rsocket *rs))
{
	struct epoll_event ev;
	int ret = 0;

	pthread_mutex_lock(&rs->cq_lock);
	do {
		poll_all(rs);
		if (test(rs)) {
			ret = 0;
			break;
		} else if (nonblock) {
			ret = rs_err(EWOULDBLOCK);
		} else if (!rs->cq_armed) {
			arm_all(rs); /* then poll once more */
		} else {
			pthread_mutex_lock(&rs->cq_wait_lock);
			pthread_mutex_unlock(&rs->cq_lock);
			ds_sleep_hint(rs);
			epoll_wait(rs->epfd, &ev, 1, -1);
			ds_get_cq_event(rs);
			pthread_mutex_unlock(&rs->cq_wait_lock);
			pthread_mutex_lock(&rs->cq_lock);
		}
	} while (!ret);
	pthread_mutex_unlock(&rs->cq_lock);
	return ret;
}

static int get_comp(struct rsocket *rs, bool nonblock,
		    bool (*test)(struct rsocket *rs))
{
	int i, ret;

	/* a short spin before sleeping, as rs_get_comp */
	for (i = 0; i < 16; i++) {
		ret = ds_process_cqs(rs, true, test);
		if (!ret || nonblock || errno != EWOULDBLOCK)
			return ret;
	}
	return ds_process_cqs(rs, false, test);
}

bool ds_can_send(struct rsocket *rs)
{
	return rs->sqe_avail > 0;
}

static bool all_sends_done(struct rsocket *rs)
{
	return rs->sqe_avail == rs->sq_size;
}

static ssize_t send_ud(struct rsocket *rs, struct ds_dest *d,
		       const struct iovec *iov, int iovcnt, size_t len,
		       int flags)
{
	struct ibv_send_wr wr = { 0 }, *bad;
	struct ibv_sge sge;
	uint8_t *msg;
	uint32_t off;
	int i, ret;

	if (!ds_can_send(rs)) {
		ret = get_comp(rs, rs_nonblocking(rs, flags), ds_can_send);
		if (ret)
			return ret;
	}
	pthread_mutex_lock(&rs->cq_lock);
	off = rs->smsg_free[--rs->smsg_nfree];
	rs->sqe_avail--;
	pthread_mutex_unlock(&rs->cq_lock);
	msg = rs->sbuf + off;
	memcpy(msg, &d->qp->hdr, d->qp->hdr.length);
	sge.addr = (uintptr_t)msg;
	sge.length = d->qp->hdr.length;
	for (i = 0; i < iovcnt; i++) {
		memcpy(msg + sge.length, iov[i].iov_base, iov[i].iov_len);
		sge.length += iov[i].iov_len;
	}
	sge.lkey = d->qp->smr->lkey;
	wr.wr_id = off;
	wr.sg_list = &sge;
	wr.num_sge = 1;
	wr.opcode = IBV_WR_SEND;
	wr.send_flags = sge.length <= rs->sq_inline ? IBV_SEND_INLINE : 0;
	wr.wr.ud.ah = d->ah;
	wr.wr.ud.remote_qpn = d->qpn;
	wr.wr.ud.remote_qkey = RDMA_UDP_QKEY;
	ret = ibv_post_send(d->qp->cm_id->qp, &wr, &bad);
	if (ret) {
		pthread_mutex_lock(&rs->cq_lock);
		rs->smsg_free[rs->smsg_nfree++] = off;
		rs->sqe_avail++;
		pthread_mutex_unlock(&rs->cq_lock);
		return rs_err(ret);
	}
	return len;
}

ssize_t ds_sendto(struct rsocket *rs, const struct iovec *iov, int iovcnt,
		  int flags, const struct sockaddr *dest_addr,
		  socklen_t addrlen)
{
	struct ds_dest *d;
	size_t len = 0;
	ssize_t ret;
	int i;

	for (i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	if (dest_addr && (addrlen < sizeof(struct sockaddr_in) ||
			  (dest_addr->sa_family != AF_INET &&
			   dest_addr->sa_family != AF_INET6)))
		return rs_err(EINVAL);
	if (init_ep(rs))
		return -1;
	if (!(rs->state & RS_WRITABLE))
		return rs_err(EPIPE);
	pthread_mutex_lock(&rs->slock);
	pthread_mutex_lock(&rs->cq_lock);
	d = dest_addr ? get_dest(rs, dest_addr) : rs->conn_dest;
	if (d) {
		poll_udp(rs); /* an answer may have told us the peer's QP */
		if (len > RS_SNDLOWAT - (size_t)d->qp->hdr.length) {
			errno = EMSGSIZE;
			d = NULL;
		}
	} else if (!dest_addr) {
		errno = EDESTADDRREQ;
	}
	pthread_mutex_unlock(&rs->cq_lock);
	if (!d)
		ret = -1;
	else if (!d->ah || len + d->qp->hdr.length > d->qp->mtu)
		ret = send_udp(rs, d, iov, iovcnt, flags, RS_OP_DATA);
	else
		ret = send_ud(rs, d, iov, iovcnt, len, flags);
	pthread_mutex_unlock(&rs->slock);
	return ret;
}

ssize_t ds_recvfrom(struct rsocket *rs, void *buf, size_t len, int flags,
		    struct sockaddr *src_addr, socklen_t *addrlen)
{
	struct ds_rmsg *m;
	socklen_t size;
	int ret;

	if (init_ep(rs))
		return -1;
	if (!(rs->state & RS_READABLE))
		return rs_err(EINVAL);
	if (!rs_have_rdata(rs)) {
		ret = get_comp(rs, rs_nonblocking(rs, flags), rs_have_rdata);
		if (ret)
			return ret;
	}
	m = &rs->dmsg[rs->rmsg_head];
	if (len > m->length)
		len = m->length;
	if (len)
		memcpy(buf, m->data, len);
	if (src_addr && addrlen) {
		size = addr_len((struct sockaddr *)&m->src);
		memcpy(src_addr, &m->src, *addrlen < size ? *addrlen : size);
		*addrlen = size;
	}
	if (!(flags & MSG_PEEK)) {
		pthread_mutex_lock(&rs->cq_lock);
		if (m->qp)
			post_recv(m->qp, m->offset);
		else
			free(m->data);
		if (++rs->rmsg_head == rs->rq_size + 1)
			rs->rmsg_head = 0;
		rs->rqe_avail++;
		pthread_mutex_unlock(&rs->cq_lock);
	}
	return len;
}

int ds_bind(struct rsocket *rs, const struct sockaddr *addr, socklen_t addrlen)
{
	if (init_ep(rs))
		return -1;
	return bind(rs->udp_sock, addr, addrlen);
}

int ds_connect(struct rsocket *rs, const struct sockaddr *addr,
	       socklen_t addrlen)
{
	struct ds_dest *d;

	if (init_ep(rs))
		return -1;
	if (connect(rs->udp_sock, addr, addrlen))
		return -1;
	pthread_mutex_lock(&rs->slock);
	pthread_mutex_lock(&rs->cq_lock);
	d = get_dest(rs, addr);
	if (d)
		rs->conn_dest = d;
	pthread_mutex_unlock(&rs->cq_lock);
	pthread_mutex_unlock(&rs->slock);
	return d ? 0 : -1;
}

void ds_shutdown(struct rsocket *rs)
{
	if (rs->state == RS_INIT)
		return;
	rs->state &= ~(RS_READABLE | RS_WRITABLE);
	ds_process_cqs(rs, false, all_sends_done);
}

void ds_free(struct rsocket *rs)
{
	struct ds_dest *d;
	struct ds_qp *qp;

	while ((d = rs->dests)) {
		rs->dests = d->next;
		if (d->ah)
			ibv_destroy_ah(d->ah);
		free(d);
	}
	while ((qp = rs->qp_list)) {
		rs->qp_list = qp->next;
		free_qp(qp);
	}
	while (rs->dmsg && rs->rmsg_head != rs->rmsg_tail) {
		if (!rs->dmsg[rs->rmsg_head].qp)
			free(rs->dmsg[rs->rmsg_head].data);
		if (++rs->rmsg_head == rs->rq_size + 1)
			rs->rmsg_head = 0;
	}
	if (rs->epfd >= 0)
		close(rs->epfd);
	if (rs->udp_sock >= 0)
		close(rs->udp_sock);
	free(rs->dmsg);
	free(rs->smsg_free);
	free(rs->sbuf);
}

void ds_set_nonblocking(struct rsocket *rs)
{
	(void)rs; /* every wait is explicit: nothing to carry over */
}
