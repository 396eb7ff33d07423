// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A stream rsocket's completions: posting writes and control messages,
 * taking in what the peer wrote (data, buffer grants, credits, control
 * messages), granting credits back, and waiting for progress.
 *
 * Waiting spins for rs_conf.polling_time us, then arms the CQ and sleeps
 * on the completion channel and, for a connection, on the CM channel too:
 * a DISCONNECTED event ends a connection whose peer vanished without its
 * DISCONNECT message.
 */
#include <arpa/inet.h>
#include <byteswap.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <time.h>

#include "librdmacm/rs.h"

bool rs_nonblocking(struct rsocket *rs, int flags)
{
	return (rs->fd_flags & O_NONBLOCK) || (flags & MSG_DONTWAIT);
}

static int post_send(struct rsocket *rs, struct ibv_send_wr *wr)
{
	struct ibv_send_wr *bad;
	int ret = ibv_post_send(rs->cm_id->qp, wr, &bad);

	return ret ? rs_err(ret) : 0;
}

/*
 * Work requests without data still point at an (unused) SGE: uroce's
 * provider copies num_sge entries from sg_list, and a copy from NULL is
 * undefined even when empty (UBSan says so).
 */
static struct ibv_sge no_sge;

int rs_post_msg(struct rsocket *rs, uint32_t msg)
{
	struct ibv_send_wr wr = {
		.sg_list = &no_sge,
		.wr_id = msg,
		.opcode = IBV_WR_RDMA_WRITE_WITH_IMM,
		.imm_data = htonl(msg),
	};

	return post_send(rs, &wr);
}

int rs_post_write(struct rsocket *rs, struct ibv_sge *sgl, int nsge,
		  uint32_t wr_data, int flags, uint64_t addr, uint32_t rkey)
{
	struct ibv_send_wr wr = {
		.wr_id = wr_data,
		.sg_list = sgl ? sgl : &no_sge,
		.num_sge = nsge,
		.opcode = IBV_WR_RDMA_WRITE,
		.send_flags = flags,
		.wr.rdma = { .remote_addr = addr, .rkey = rkey },
	};

	return post_send(rs, &wr);
}

int rs_post_write_msg(struct rsocket *rs, struct ibv_sge *sgl, int nsge,
		      uint32_t msg, int flags, uint64_t addr, uint32_t rkey)
{
	struct ibv_send_wr wr = {
		.wr_id = msg,
		.sg_list = sgl ? sgl : &no_sge,
		.num_sge = nsge,
		.opcode = IBV_WR_RDMA_WRITE_WITH_IMM,
		.send_flags = flags,
		.imm_data = htonl(msg),
		.wr.rdma = { .remote_addr = addr, .rkey = rkey },
	};

	return post_send(rs, &wr);
}

int rs_post_recv(struct rsocket *rs)
{
	struct ibv_recv_wr wr = { .wr_id = RS_WR_RECV, .sg_list = &no_sge },
			   *bad;
	int ret = ibv_post_recv(rs->cm_id->qp, &wr, &bad);

	return ret ? rs_err(ret) : 0;
}

int rs_stage(struct rsocket *rs, const struct iovec **iov, size_t *off,
	     uint32_t len, struct ibv_sge *sgl, int *nsge, int *flags)
{
	uint8_t *end = rs->sbuf + rs->sbuf_size, *dst;
	uint32_t left = len, n, room;
	size_t piece;
	int i = 0;

	/* Inline from the caller's one buffer: no copy into sbuf. */
	*flags = len <= rs->sq_inline ? IBV_SEND_INLINE : 0;
	if (*flags && (*iov)->iov_len - *off >= len) {
		sgl->addr = (uintptr_t)(*iov)->iov_base + *off;
		sgl->length = len;
		sgl->lkey = 0;
		*off += len;
		if (*off == (*iov)->iov_len) {
			(*iov)++;
			*off = 0;
		}
		*nsge = 1;
		return 0;
	}
	/* Else through the send ring (cursor: scur), which may wrap. */
	while (left) {
		dst = rs->scur;
		room = end - dst;
		n = left < room ? left : room;
		sgl[i].addr = (uintptr_t)dst;
		sgl[i].length = n;
		sgl[i].lkey = rs->smr->lkey;
		left -= n;
		while (n) {
			piece = (*iov)->iov_len - *off;
			if (piece > n)
				piece = n;
			memcpy(dst, (uint8_t *)(*iov)->iov_base + *off, piece);
			dst += piece;
			n -= piece;
			*off += piece;
			if (*off == (*iov)->iov_len) {
				(*iov)++;
				*off = 0;
			}
		}
		rs->scur = dst == end ? rs->sbuf : dst;
		i++;
	}
	*nsge = i;
	return 0;
}

uint32_t rs_xfer_size(struct rsocket *rs, uint32_t *olen, size_t left)
{
	uint32_t xfer;

	if (*olen < left) {
		xfer = *olen;
		if (*olen < RS_MAX_TRANSFER)
			*olen <<= 1;
	} else {
		xfer = left;
	}
	if (xfer > (uint32_t)rs->sbuf_bytes_avail)
		xfer = rs->sbuf_bytes_avail;
	return xfer;
}

/* The ctrl buffer for a grant when the SGE cannot go inline. */
static void *ctrl_buf(struct rsocket *rs)
{
	return rs->sbuf + rs->sbuf_size +
	       sizeof(struct rs_sge) * (rs->ctrl_seqno & (RS_QP_CTRL_SIZE - 1));
}

bool rs_ctrl_avail(struct rsocket *rs)
{
	return rs->ctrl_seqno != rs->ctrl_max_seqno;
}

/*
 * Grants the peer the free half of the receive buffer (written into its
 * target SGL) and message credits up to rseq_no + rq_size; with no free
 * half, credits alone.
 */
static void send_credits(struct rsocket *rs)
{
	struct rs_sge sge, *buf;
	struct ibv_sge ibsge;
	uint32_t msg;
	int flags;

	rs->ctrl_seqno++;
	rs->rseq_comp = rs->rseq_no + (rs->rq_size >> 1);
	msg = rs_msg_set(RS_OP_SGL, (uint16_t)(rs->rseq_no + rs->rq_size));
	if (rs->rbuf_bytes_avail < (int)(rs->rbuf_size >> 1)) {
		rs_post_msg(rs, msg);
		return;
	}
	sge.addr = (uintptr_t)&rs->rbuf[rs->rbuf_free_offset];
	sge.key = rs->rmr->rkey;
	sge.length = rs->rbuf_size >> 1;
	if (rs->opts & RS_OPT_SWAP_SGL) {
		sge.addr = bswap_64(sge.addr);
		sge.key = bswap_32(sge.key);
		sge.length = bswap_32(sge.length);
	}
	if (rs->sq_inline < sizeof(sge)) {
		buf = ctrl_buf(rs);
		memcpy(buf, &sge, sizeof(sge));
		ibsge.addr = (uintptr_t)buf;
		ibsge.lkey = rs->smr->lkey;
		flags = 0;
	} else {
		ibsge.addr = (uintptr_t)&sge;
		ibsge.lkey = 0;
		flags = IBV_SEND_INLINE;
	}
	ibsge.length = sizeof(sge);
	rs_post_write_msg(rs, &ibsge, 1, msg, flags,
			  rs->remote_sgl.addr +
				  rs->remote_sge * sizeof(struct rs_sge),
			  rs->remote_sgl.key);
	rs->rbuf_bytes_avail -= rs->rbuf_size >> 1;
	rs->rbuf_free_offset += rs->rbuf_size >> 1;
	if (rs->rbuf_free_offset >= (int)rs->rbuf_size)
		rs->rbuf_free_offset = 0;
	if (++rs->remote_sge == (int)rs->remote_sgl.length)
		rs->remote_sge = 0;
}

static bool give_credits(struct rsocket *rs)
{
	return (rs->rbuf_bytes_avail >= (int)(rs->rbuf_size >> 1) ||
		(int16_t)(rs->rseq_no - rs->rseq_comp) >= 0) &&
	       rs_ctrl_avail(rs) && (rs->state & RS_CONNECTED);
}

static void update_credits(struct rsocket *rs)
{
	if (give_credits(rs))
		send_credits(rs);
}

static void recv_msg(struct rsocket *rs, uint32_t msg)
{
	switch (rs_msg_op(msg)) {
	case RS_OP_SGL:
		rs->sseq_comp = (uint16_t)rs_msg_data(msg);
		break;
	case RS_OP_IOMAP_SGL:
		/*
		 * The peer wrote our iomap table (read at each riowrite). Its
		 * receive is posted again: grant the credit back (rdma-core
		 * keeps it, one fewer per mapping).
		 */
		rs->rseq_no++;
		break;
	case RS_OP_CTRL:
		if (rs_msg_data(msg) == RS_CTRL_DISCONNECT) {
			rs->state = RS_DISCONNECTED;
		} else if (rs_msg_data(msg) == RS_CTRL_SHUTDOWN) {
			if (rs->state & RS_WRITABLE)
				rs->state &= ~RS_READABLE;
			else
				rs->state = RS_DISCONNECTED;
		}
		break;
	case RS_OP_WRITE:
		break;
	default:
		rs->rmsg[rs->rmsg_tail].op = rs_msg_op(msg);
		rs->rmsg[rs->rmsg_tail].data = rs_msg_data(msg);
		if (++rs->rmsg_tail == rs->rq_size + 1)
			rs->rmsg_tail = 0;
	}
}

static void send_done(struct rsocket *rs, struct ibv_wc *wc)
{
	uint32_t msg = (uint32_t)wc->wr_id;

	switch (rs_msg_op(msg)) {
	case RS_OP_SGL:
		rs->ctrl_max_seqno++;
		break;
	case RS_OP_CTRL:
		rs->ctrl_max_seqno++;
		if (rs_msg_data(msg) == RS_CTRL_DISCONNECT)
			rs->state = RS_DISCONNECTED;
		break;
	case RS_OP_IOMAP_SGL:
		rs->sqe_avail++;
		rs->sbuf_bytes_avail += sizeof(struct rs_iomap);
		break;
	default:
		rs->sqe_avail++;
		rs->sbuf_bytes_avail += rs_msg_data(msg);
	}
	if (wc->status != IBV_WC_SUCCESS && (rs->state & RS_CONNECTED)) {
		rs->state = RS_ERROR;
		rs->err = EIO;
	}
}

/* Takes every completion in (cq_lock held); reposts the receives used. */
static int poll_cq(struct rsocket *rs)
{
	struct ibv_wc wc[16];
	int n, i, ret = 0, rcnt = 0;

	while ((n = ibv_poll_cq(rs->cq, 16, wc)) > 0) {
		for (i = 0; i < n; i++) {
			if (!(wc[i].wr_id & RS_WR_RECV)) {
				send_done(rs, &wc[i]);
				continue;
			}
			if (wc[i].status != IBV_WC_SUCCESS)
				continue;
			rcnt++;
			if (wc[i].wc_flags & IBV_WC_WITH_IMM)
				recv_msg(rs, ntohl(wc[i].imm_data));
		}
	}
	if (rs->state & RS_CONNECTED) {
		while (!ret && rcnt--)
			ret = rs_post_recv(rs);
		if (ret) {
			rs->state = RS_ERROR;
			rs->err = errno;
		}
	}
	return ret;
}

int rs_get_cq_event(struct rsocket *rs)
{
	struct ibv_cq *cq;
	void *ctx;

	if (!rs->cq_armed)
		return 0;
	if (ibv_get_cq_event(rs->cq_chan, &cq, &ctx)) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		rs->state = RS_ERROR;
		rs->err = errno;
		return -1;
	}
	if (++rs->unack_cqe >= (unsigned int)(rs->sq_size + rs->rq_size)) {
		ibv_ack_cq_events(rs->cq, rs->unack_cqe);
		rs->unack_cqe = 0;
	}
	rs->cq_armed = false;
	return 0;
}

/*
 * Arms the armed CQ again, right before sleeping: the poll that follows
 * an arm finds nothing, and uroce's provider takes an empty poll for a
 * busy-polling application and leaves the receiving to it; an arm tells
 * it that the application sleeps (and costs nothing on a CQ armed).
 */
void rs_sleep_hint(struct rsocket *rs)
{
	if (rs->cq)
		ibv_req_notify_cq(rs->cq, 0);
}

/*
 * Sleeps until the completion channel or the CM channel has something
 * (cq_wait_lock held, cq_lock not). Returns whether the CM channel does.
 */
static bool wait_channels(struct rsocket *rs)
{
	struct pollfd fds[2] = {
		{ .fd = rs->cq_chan->fd, .events = POLLIN },
		{ .fd = rs->ch->fd, .events = POLLIN },
	};

	rs_sleep_hint(rs);
	if (poll(fds, 2, -1) < 0)
		return false;
	if (fds[0].revents)
		rs_get_cq_event(rs);
	return fds[1].revents != 0;
}

/*
 * Makes progress until @test holds: -1 with EWOULDBLOCK if @nonblock and
 * it does not yet. send and receive may wait at once: they share the CQ
 * under cq_lock, and one sleeps on the channels at a time.
 */
int rs_process_cq(struct rsocket *rs, bool nonblock,
		  bool (*test)(struct rsocket *rs))
{
	bool cm;
	int ret;

	pthread_mutex_lock(&rs->cq_lock);
	do {
		update_credits(rs);
		ret = poll_cq(rs);
		if (test(rs)) {
			ret = 0;
			break;
		} else if (ret) {
			break;
		} else if (nonblock) {
			ret = rs_err(EWOULDBLOCK);
		} else if (!rs->cq_armed) {
			ibv_req_notify_cq(rs->cq, 0);
			rs->cq_armed = true;
		} else {
			update_credits(rs);
			pthread_mutex_lock(&rs->cq_wait_lock);
			pthread_mutex_unlock(&rs->cq_lock);
			cm = wait_channels(rs);
			pthread_mutex_unlock(&rs->cq_wait_lock);
			pthread_mutex_lock(&rs->cq_lock);
			if (cm)
				rs_cm_drain(rs);
		}
	} while (!ret);
	update_credits(rs);
	pthread_mutex_unlock(&rs->cq_lock);
	return ret;
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int rs_get_comp(struct rsocket *rs, bool nonblock,
		bool (*test)(struct rsocket *rs))
{
	uint64_t start = 0;
	int ret;

	do {
		ret = rs_process_cq(rs, true, test);
		if (!ret || nonblock || errno != EWOULDBLOCK)
			return ret;
		if (!start)
			start = now_us();
	} while (now_us() - start <= rs_conf.polling_time);
	return rs_process_cq(rs, false, test);
}

/*
 * Room to send: a send queue entry, RS_SNDLOWAT of send buffer, a message
 * credit, and a granted piece of the peer's receive buffer. (The target
 * SGL may change under us: the peer writes it.)
 */
bool rs_can_send(struct rsocket *rs)
{
	return rs->sqe_avail && rs->sbuf_bytes_avail >= RS_SNDLOWAT &&
	       rs->sseq_no != rs->sseq_comp &&
	       rs->target_sgl[rs->target_sge].length != 0;
}

bool rs_conn_can_send(struct rsocket *rs)
{
	return rs_can_send(rs) || !(rs->state & RS_WRITABLE);
}

bool rs_conn_can_send_ctrl(struct rsocket *rs)
{
	return rs_ctrl_avail(rs) || !(rs->state & RS_CONNECTED);
}

bool rs_have_rdata(struct rsocket *rs)
{
	return rs->rmsg_head != rs->rmsg_tail;
}

bool rs_conn_have_rdata(struct rsocket *rs)
{
	return rs_have_rdata(rs) || !(rs->state & RS_READABLE);
}

bool rs_conn_all_sends_done(struct rsocket *rs)
{
	return ((int)rs->ctrl_max_seqno - (int)rs->ctrl_seqno) +
			       rs->sqe_avail ==
		       rs->sq_size ||
	       !(rs->state & RS_CONNECTED);
}

bool rs_poll_all(struct rsocket *rs)
{
	(void)rs;
	return true;
}

bool rs_is_cq_armed(struct rsocket *rs)
{
	return rs->cq_armed;
}
