// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The data calls: rsend, rrecv and their variants. On a stream, a send
 * is cut into writes of 2 KiB growing to 64 KiB (the first leaves at
 * once), each into the piece of the peer's receive buffer it granted; a
 * receive copies out of this end's receive buffer in the order the
 * writes' immediate data announced them. Datagram rsockets go to
 * rs_dgram.c.
 */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include "librdmacm/rs.h"

/* A stream's connection, finished if it is still opening: 0, or -1. */
static int stream_ready(struct rsocket *rs, int flags)
{
	if (rs->state & RS_OPENING) {
		if (rs_do_connect(rs, rs_nonblocking(rs, flags))) {
			if (errno == EINPROGRESS)
				errno = EAGAIN;
			return -1;
		}
	}
	if (!(rs->state & (RS_CONNECTED | RS_DISCONNECTED | RS_ERROR)))
		return rs_err(ENOTCONN);
	return 0;
}

static int write_data(struct rsocket *rs, struct ibv_sge *sgl, int nsge,
		      uint32_t len, int flags)
{
	volatile struct rs_sge *t = &rs->target_sgl[rs->target_sge];
	uint64_t addr = t->addr;
	uint32_t rkey = t->key;

	rs->sseq_no++;
	rs->sqe_avail--;
	rs->sbuf_bytes_avail -= len;
	t->addr += len;
	t->length -= len;
	if (!t->length && ++rs->target_sge == RS_SGL_SIZE)
		rs->target_sge = 0;
	return rs_post_write_msg(rs, sgl, nsge, rs_msg_set(RS_OP_DATA, len),
				 flags, addr, rkey);
}

static ssize_t stream_sendv(struct rsocket *rs, const struct iovec *iov,
			    int iovcnt, int flags)
{
	uint32_t xfer, olen = RS_OLAP_START_SIZE;
	size_t len = 0, left, off = 0;
	struct ibv_sge sgl[2];
	int i, nsge, sflags, ret = 0;

	for (i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	if (stream_ready(rs, flags))
		return -1;
	pthread_mutex_lock(&rs->slock);
	if (!(rs->state & RS_WRITABLE)) {
		ret = rs_err(rs->state & RS_ERROR ? rs->err : EPIPE);
		left = len;
		goto out;
	}
	if (rs->iomap_queue) {
		ret = rs_send_iomaps(rs, flags);
		if (ret) {
			left = len;
			goto out;
		}
	}
	for (left = len; left; left -= xfer) {
		if (!rs_can_send(rs)) {
			ret = rs_get_comp(rs, rs_nonblocking(rs, flags),
					  rs_conn_can_send);
			if (ret)
				break;
			if (!(rs->state & RS_WRITABLE)) {
				ret = rs_err(ECONNRESET);
				break;
			}
		}
		xfer = rs_xfer_size(rs, &olen, left);
		if (xfer > rs->target_sgl[rs->target_sge].length)
			xfer = rs->target_sgl[rs->target_sge].length;
		rs_stage(rs, &iov, &off, xfer, sgl, &nsge, &sflags);
		ret = write_data(rs, sgl, nsge, xfer, sflags);
		if (ret)
			break;
	}
out:
	pthread_mutex_unlock(&rs->slock);
	return (ret && left == len) ? ret : (ssize_t)(len - left);
}

/* Copies @n bytes of the receive ring from *@roff into the iovec cursor. */
static void copy_out(struct rsocket *rs, int *roff, const struct iovec **iov,
		     size_t *off, size_t n)
{
	size_t piece;

	while (n) {
		piece = (*iov)->iov_len - *off;
		if (piece > n)
			piece = n;
		if (piece > rs->rbuf_size - *roff)
			piece = rs->rbuf_size - *roff;
		memcpy((uint8_t *)(*iov)->iov_base + *off, rs->rbuf + *roff,
		       piece);
		n -= piece;
		*off += piece;
		*roff += piece;
		if (*roff == (int)rs->rbuf_size)
			*roff = 0;
		if (*off == (*iov)->iov_len) {
			(*iov)++;
			*off = 0;
		}
	}
}

static size_t peek(struct rsocket *rs, const struct iovec *iov, size_t len)
{
	int head = rs->rmsg_head, roff = rs->rbuf_offset;
	size_t left = len, n, off = 0;

	for (; left && head != rs->rmsg_tail; left -= n) {
		n = rs->rmsg[head].data;
		if (left < n)
			n = left;
		else if (++head == rs->rq_size + 1)
			head = 0;
		copy_out(rs, &roff, &iov, &off, n);
	}
	return len - left;
}

/* Queued data is still received after the peer has disconnected. */
static ssize_t stream_recvv(struct rsocket *rs, const struct iovec *iov,
			    int iovcnt, int flags)
{
	size_t len = 0, left, n, off = 0;
	struct rs_msg *m;
	int i, ret = 0;

	for (i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	if (stream_ready(rs, flags))
		return -1;
	left = len;
	pthread_mutex_lock(&rs->rlock);
	do {
		if (!rs_have_rdata(rs)) {
			ret = rs_get_comp(rs, rs_nonblocking(rs, flags),
					  rs_conn_have_rdata);
			if (ret)
				break;
			if (!rs_have_rdata(rs) && (rs->state & RS_ERROR)) {
				ret = rs_err(rs->err ? rs->err : ECONNRESET);
				break;
			}
		}
		if (flags & MSG_PEEK) {
			left = len - peek(rs, iov, len);
			break;
		}
		for (; left && rs_have_rdata(rs); left -= n) {
			m = &rs->rmsg[rs->rmsg_head];
			if (left < m->data) {
				n = left;
				m->data -= left;
			} else {
				rs->rseq_no++;
				n = m->data;
				if (++rs->rmsg_head == rs->rq_size + 1)
					rs->rmsg_head = 0;
			}
			copy_out(rs, &rs->rbuf_offset, &iov, &off, n);
			rs->rbuf_bytes_avail += n;
		}
	} while (left && (flags & MSG_WAITALL) && (rs->state & RS_READABLE));
	pthread_mutex_unlock(&rs->rlock);
	return (ret && left == len) ? ret : (ssize_t)(len - left);
}

static ssize_t sendv(int socket, const struct iovec *iov, int iovcnt, int flags,
		     const struct sockaddr *to, socklen_t tolen)
{
	struct rsocket *rs = rs_get(socket);

	if (!rs)
		return -1;
	if (iovcnt < 0 || (iovcnt && !iov))
		return rs_err(EINVAL);
	if (rs->type == SOCK_DGRAM)
		return ds_sendto(rs, iov, iovcnt, flags, to, tolen);
	if (to || tolen)
		return rs_err(EISCONN);
	return stream_sendv(rs, iov, iovcnt, flags);
}

static ssize_t recvv(int socket, const struct iovec *iov, int iovcnt, int flags,
		     struct sockaddr *from, socklen_t *fromlen)
{
	struct rsocket *rs = rs_get(socket);
	ssize_t ret;

	if (!rs)
		return -1;
	if (iovcnt < 0 || (iovcnt && !iov))
		return rs_err(EINVAL);
	if (rs->type == SOCK_DGRAM) {
		/* a datagram lands in the first buffer, as rdma-core does */
		pthread_mutex_lock(&rs->rlock);
		ret = ds_recvfrom(rs, iovcnt ? iov[0].iov_base : NULL,
				  iovcnt ? iov[0].iov_len : 0, flags, from,
				  fromlen);
		pthread_mutex_unlock(&rs->rlock);
		return ret;
	}
	ret = stream_recvv(rs, iov, iovcnt, flags);
	if (ret > 0 && from && fromlen)
		rgetpeername(socket, from, fromlen);
	return ret;
}

ssize_t rsend(int socket, const void *buf, size_t len, int flags)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };

	return sendv(socket, &iov, 1, flags, NULL, 0);
}

ssize_t rsendto(int socket, const void *buf, size_t len, int flags,
		const struct sockaddr *dest_addr, socklen_t addrlen)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };

	return sendv(socket, &iov, 1, flags, dest_addr, addrlen);
}

ssize_t rsendmsg(int socket, const struct msghdr *msg, int flags)
{
	if (!msg)
		return rs_err(EFAULT);
	if (msg->msg_control && msg->msg_controllen)
		return rs_err(ENOTSUP);
	return sendv(socket, msg->msg_iov, (int)msg->msg_iovlen, flags,
		     msg->msg_name, msg->msg_namelen);
}

ssize_t rwrite(int socket, const void *buf, size_t count)
{
	return rsend(socket, buf, count, 0);
}

ssize_t rwritev(int socket, const struct iovec *iov, int iovcnt)
{
	return sendv(socket, iov, iovcnt, 0, NULL, 0);
}

ssize_t rrecv(int socket, void *buf, size_t len, int flags)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };

	return recvv(socket, &iov, 1, flags, NULL, NULL);
}

ssize_t rrecvfrom(int socket, void *buf, size_t len, int flags,
		  struct sockaddr *src_addr, socklen_t *addrlen)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };

	return recvv(socket, &iov, 1, flags, src_addr, addrlen);
}

ssize_t rrecvmsg(int socket, struct msghdr *msg, int flags)
{
	ssize_t ret;

	if (!msg)
		return rs_err(EFAULT);
	if (msg->msg_control && msg->msg_controllen)
		return rs_err(ENOTSUP);
	ret = recvv(socket, msg->msg_iov, (int)msg->msg_iovlen, flags,
		    msg->msg_name, msg->msg_name ? &msg->msg_namelen : NULL);
	if (ret >= 0)
		msg->msg_flags = 0;
	return ret;
}

ssize_t rread(int socket, void *buf, size_t count)
{
	return rrecv(socket, buf, count, 0);
}

ssize_t rreadv(int socket, const struct iovec *iov, int iovcnt)
{
	return recvv(socket, iov, iovcnt, 0, NULL, NULL);
}
