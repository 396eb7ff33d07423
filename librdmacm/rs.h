/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * rsockets' internal state (see uroce-rsocket(7)).
 *
 * A stream rsocket is an RC QP of an rdma_cm ID on the rsocket's own event
 * channel, whose eventfd is the rsocket's number. Data moves by RDMA WRITE
 * WITH IMMEDIATE into the peer's receive buffer; the immediate word says
 * what came (bits 31-29: the op; bits 28-0: a length, credits or a
 * control code). The receive buffer is granted half at a time: the
 * receiver writes an rs_sge for each free half into the sender's target
 * SGL (RS_OP_SGL, whose data also raises the sender's message credits).
 * Control messages (credits with no buffer, shutdown, disconnect) are
 * zero-length writes with immediate data, at most RS_QP_CTRL_SIZE in
 * flight.
 *
 * A datagram rsocket is a UD QP per local address, plus an ordinary UDP
 * socket (the rsocket's number) that carries the first message to a new
 * peer, so that the peer learns which QP to answer.
 *
 * Locks: slock serializes senders, rlock receivers, cq_lock guards the
 * CQ and the connection's counters; one thread at a time (cq_wait_lock)
 * sleeps on the completion channel. map_lock guards iomaps and datagram
 * destinations.
 */
#ifndef UROCE_RS_H
#define UROCE_RS_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>
#include <rdma/rsocket.h>

#define RS_CONF_DIR "/etc/rdma/rsocket"
#define RS_OLAP_START_SIZE 2048
#define RS_MAX_TRANSFER 65536
#define RS_SNDLOWAT 2048
#define RS_QP_MIN_SIZE 16
#define RS_QP_MAX_SIZE 0xFFFE
#define RS_QP_CTRL_SIZE 4 /* a power of 2 */
#define RS_SGL_SIZE 2
#define RS_CONN_TIMEOUT_MS 2000
#define RS_CONN_RETRIES 6

/* The immediate word. */
enum {
	RS_OP_DATA,
	RS_OP_RSVD_DATA_MORE,
	RS_OP_WRITE, /* riowrite: a plain write, never on the wire */
	RS_OP_RSVD_DRA_MORE,
	RS_OP_SGL,
	RS_OP_RSVD,
	RS_OP_IOMAP_SGL,
	RS_OP_CTRL
};

enum { RS_CTRL_DISCONNECT, RS_CTRL_KEEPALIVE, RS_CTRL_SHUTDOWN };

static inline uint32_t rs_msg_set(uint32_t op, uint32_t data)
{
	return op << 29 | data;
}

static inline uint32_t rs_msg_op(uint32_t msg)
{
	return msg >> 29;
}

static inline uint32_t rs_msg_data(uint32_t msg)
{
	return msg & 0x1FFFFFFF;
}

/* wr_id: the message (sends) or RS_WR_RECV | a buffer offset (receives). */
#define RS_WR_RECV (1ULL << 63)

/* On the wire, in the byte order of the receiver (see RS_CONN_FLAG_NET). */
struct rs_sge {
	uint64_t addr;
	uint32_t key;
	uint32_t length;
};

struct rs_iomap {
	uint64_t offset;
	struct rs_sge sge;
};

#define RS_CONN_FLAG_NET (1 << 0) /* the sender is big-endian */
#define RS_CONN_FLAG_IOMAP (1 << 1)
#define RS_CONN_VERSION 1

/* The connection's private data, both ways; integers big-endian. */
struct rs_conn_data {
	uint8_t version;
	uint8_t flags;
	uint16_t credits; /* receive queue size */
	uint8_t reserved[3];
	uint8_t target_iomap_size; /* rs_value_to_scale() */
	struct rs_sge target_sgl; /* where to write buffer grants */
	struct rs_sge data_buf; /* the first half of the receive buffer */
};

/* States: passive, then opening, connected, disconnected (ordered). */
enum {
	RS_INIT = 0,
	RS_BOUND = 0x0001,
	RS_LISTENING = 0x0002,
	RS_OPENING = 0x0004,
	RS_RESOLVING_ADDR = RS_OPENING | 0x0010,
	RS_RESOLVING_ROUTE = RS_OPENING | 0x0020,
	RS_CONNECTING = RS_OPENING | 0x0040,
	RS_ACCEPTING = RS_OPENING | 0x0080,
	RS_CONNECTED = 0x0100,
	RS_WRITABLE = 0x0200,
	RS_READABLE = 0x0400,
	RS_CONNECT_RDWR = RS_CONNECTED | RS_READABLE | RS_WRITABLE,
	RS_CONNECT_ERROR = 0x0800,
	RS_DISCONNECTED = 0x1000,
	RS_ERROR = 0x2000,
};

#define RS_OPT_SWAP_SGL (1 << 0) /* the peer's byte order differs */
#define RS_OPT_KEEPALIVE (1 << 2) /* in the keepalive thread's list */

struct rs_msg {
	uint32_t op;
	uint32_t data;
};

struct rs_iomap_mr {
	uint64_t offset;
	struct ibv_mr *mr;
	struct rs_iomap_mr *next;
	int refcnt;
	int index; /* -1: local only (PROT_NONE), not sent to the peer */
};

struct ds_qp;
struct ds_dest;

/* A received datagram: where its payload lies, and whose it is. */
struct ds_rmsg {
	struct ds_qp *qp; /* its receive buffer, or NULL: a UDP copy */
	uint32_t offset; /* in qp->rbuf, to post again */
	uint32_t length;
	uint8_t *data;
	struct sockaddr_storage src;
};

struct rsocket {
	int type;
	int index;
	int domain;
	pthread_mutex_t slock, rlock, cq_lock, cq_wait_lock, map_lock;

	int state;
	int err; /* SO_ERROR */
	int fd_flags; /* O_NONBLOCK */
	int opts;
	uint64_t so_opts, tcp_opts, ipv6_opts; /* 1 << optname when on */
	void *route; /* RDMA_ROUTE, until connect */
	socklen_t route_len;
	unsigned int keepalive_time; /* s */
	uint64_t keepalive_due; /* ms, CLOCK_MONOTONIC */

	uint32_t sbuf_size, rbuf_size;
	uint16_t sq_size, rq_size, sq_inline;
	int sqe_avail;
	int rmsg_head, rmsg_tail; /* rq_size + 1 slots */
	uint8_t *sbuf;

	/* stream */
	struct sockaddr_storage dst_addr; /* rconnect's */
	struct rdma_event_channel *ch; /* its fd is index */
	struct rdma_cm_id *cm_id;
	struct ibv_comp_channel *cq_chan;
	struct ibv_cq *cq;
	bool cq_armed;
	unsigned int unack_cqe;
	int retries;

	unsigned int ctrl_seqno, ctrl_max_seqno;
	uint16_t sseq_no, sseq_comp, rseq_no, rseq_comp;

	int remote_sge;
	struct rs_sge remote_sgl, remote_iomap;

	struct ibv_mr *target_mr;
	int target_sge;
	int target_iomap_size;
	void *target_buf;
	volatile struct rs_sge *target_sgl;
	struct rs_iomap *target_iomap;

	int rbuf_bytes_avail, rbuf_free_offset, rbuf_offset;
	struct ibv_mr *rmr;
	uint8_t *rbuf;
	struct rs_msg *rmsg;

	int sbuf_bytes_avail;
	struct ibv_mr *smr;
	uint8_t *scur; /* the send ring's next free byte */

	struct rs_iomap_mr *remote_iomappings; /* remote_iomap.length */
	struct rs_iomap_mr *iomap_list; /* sent to the peer, or local */
	struct rs_iomap_mr *iomap_queue; /* waiting to be sent */

	/* datagram */
	int udp_sock; /* index */
	int epfd; /* the QPs' completion channels and the UDP socket */
	struct ds_qp *qp_list;
	struct ds_dest *dests;
	struct ds_dest *conn_dest;
	int rqe_avail;
	uint32_t *smsg_free; /* free send slots (offsets in sbuf) */
	int smsg_nfree;
	struct ds_rmsg *dmsg;
};

/* ---- rs_config.c ---- */
struct rs_config {
	uint32_t polling_time; /* us */
	uint32_t wake_up_interval; /* ms: rpoll's longest sleep */
	uint16_t inline_size, sqsize, rqsize, iomap_size;
	uint32_t mem, wmem;
};
extern struct rs_config rs_conf;
void rs_configure(void);
int rs_value_to_scale(int value, int bits);
int rs_scale_to_value(int value, int bits);
/* errno = @err, return -1: the socket calls' error convention. */
static inline int rs_err(int err)
{
	errno = err;
	return -1;
}

/* ---- rs_index.c ---- */
int rs_insert(struct rsocket *rs, int index);
void rs_remove(struct rsocket *rs);
struct rsocket *rs_lookup(int index);
/* The rsocket of @index, or NULL with errno EBADF. */
struct rsocket *rs_get(int index);

/* ---- rs_conn.c ---- */
struct rsocket *rs_alloc(struct rsocket *inherit, int type);
void rs_free(struct rsocket *rs);
/*
 * A CQ with its own non-blocking completion channel, and a QP of @type on
 * @id using it for both queues; @inl: asked, then given, inline size.
 */
int rs_create_qp(struct rdma_cm_id *id, void *ctx, enum ibv_qp_type type,
		 uint16_t sq, uint16_t rq, int recv_sge, uint16_t *inl,
		 struct ibv_comp_channel **chan, struct ibv_cq **cq);
/* Drives a connection forward; -1 with EINPROGRESS while it is not done. */
int rs_do_connect(struct rsocket *rs, bool nonblock);
/* Takes in the events of a connected rsocket's channel (cq_lock held). */
void rs_cm_drain(struct rsocket *rs);

/* ---- rs_stream.c ---- */
int rs_create_ep(struct rsocket *rs);
void rs_free_ep(struct rsocket *rs);
void rs_format_conn_data(struct rsocket *rs, struct rs_conn_data *conn);
void rs_save_conn_data(struct rsocket *rs, const struct rs_conn_data *conn);
bool rs_nonblocking(struct rsocket *rs, int flags);
int rs_process_cq(struct rsocket *rs, bool nonblock,
		  bool (*test)(struct rsocket *rs));
int rs_get_comp(struct rsocket *rs, bool nonblock,
		bool (*test)(struct rsocket *rs));
/* Before sleeping on the completion channel (see rs_cq.c). */
void rs_sleep_hint(struct rsocket *rs);
/* Consumes the completion event the channel has, if any (cq_wait_lock). */
int rs_get_cq_event(struct rsocket *rs);
int rs_post_msg(struct rsocket *rs, uint32_t msg);
/* A receive for one message (writes with immediate need no SGE). */
int rs_post_recv(struct rsocket *rs);
int rs_post_write(struct rsocket *rs, struct ibv_sge *sgl, int nsge,
		  uint32_t wr_data, int flags, uint64_t addr, uint32_t rkey);
int rs_post_write_msg(struct rsocket *rs, struct ibv_sge *sgl, int nsge,
		      uint32_t msg, int flags, uint64_t addr, uint32_t rkey);
/*
 * Stages @len bytes of *@iov from *@off on (both advanced) for a write:
 * @sgl (2 entries), *@nsge, *@flags (inline or not).
 */
int rs_stage(struct rsocket *rs, const struct iovec **iov, size_t *off,
	     uint32_t len, struct ibv_sge *sgl, int *nsge, int *flags);
/*
 * The next write's size: the overlap size *@olen (2 KiB, doubling to 64
 * KiB) or what is @left, within the free send buffer.
 */
uint32_t rs_xfer_size(struct rsocket *rs, uint32_t *olen, size_t left);
bool rs_can_send(struct rsocket *rs);
bool rs_conn_can_send(struct rsocket *rs);
bool rs_conn_have_rdata(struct rsocket *rs);
bool rs_have_rdata(struct rsocket *rs);
bool rs_ctrl_avail(struct rsocket *rs);
bool rs_conn_can_send_ctrl(struct rsocket *rs);
bool rs_conn_all_sends_done(struct rsocket *rs);
bool rs_poll_all(struct rsocket *rs);
bool rs_is_cq_armed(struct rsocket *rs);

/* ---- rs_iomap.c ---- */
int rs_send_iomaps(struct rsocket *rs, int flags);
void rs_free_iomappings(struct rsocket *rs);

/* ---- rs_dgram.c ---- */
int ds_init(struct rsocket *rs, int domain);
/* What a datagram socket holds of its own; rs_free does the rest. */
void ds_free(struct rsocket *rs);
void ds_shutdown(struct rsocket *rs);
int ds_bind(struct rsocket *rs, const struct sockaddr *addr, socklen_t addrlen);
int ds_connect(struct rsocket *rs, const struct sockaddr *addr,
	       socklen_t addrlen);
ssize_t ds_recvfrom(struct rsocket *rs, void *buf, size_t len, int flags,
		    struct sockaddr *src_addr, socklen_t *addrlen);
ssize_t ds_sendto(struct rsocket *rs, const struct iovec *iov, int iovcnt,
		  int flags, const struct sockaddr *dest_addr,
		  socklen_t addrlen);
int ds_process_cqs(struct rsocket *rs, bool nonblock,
		   bool (*test)(struct rsocket *rs));
int ds_get_cq_event(struct rsocket *rs);
void ds_sleep_hint(struct rsocket *rs);
bool ds_can_send(struct rsocket *rs);
void ds_set_nonblocking(struct rsocket *rs);

/* ---- rs_keepalive.c ---- */
int rs_keepalive_set(struct rsocket *rs, bool on);
void rs_keepalive_update(struct rsocket *rs);

#endif /* UROCE_RS_H */
