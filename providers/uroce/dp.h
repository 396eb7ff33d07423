/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The data path's internal types: sockets, queue pairs, work queue
 * entries, address handles, SRQs and the per-context engine. Included at
 * the end of uroce.h; not a public header.
 *
 * Locking, outermost first: a socket's lock (its slot table, and one
 * drainer at a time), then a QP's lock (everything in the QP: requester,
 * responder, completer and its transmit batch), then ctx->mr_lock for
 * reading while memory is touched, then a CQ's or SRQ's lock. The engine
 * walks the QP list under dp->qp_list_lock, then takes a QP's lock.
 */
#ifndef UROCE_DP_H
#define UROCE_DP_H

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "providers/uroce/caps.h"
#include "providers/uroce/counters.h"
#include "providers/uroce/pkt.h"
#include "providers/uroce/psn.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/ring.h"

#define UROCE_SOCK_SLOTS 256
#define UROCE_MAX_SOCKS 256
#define UROCE_MAX_INLINE 1024
#define UROCE_TX_BATCH 32
#define UROCE_TX_IOV (UROCE_MAX_SGE + 3)
#define UROCE_RX_BATCH 32
/* a datagram of packets the kernel coalesced (UDP_GRO) fits */
#define UROCE_RX_BUF 65536
/*
 * RC: unacknowledged packets at most (the window grows back to it by one
 * per ACK after a loss halved it, so that a slow receiver is not flooded
 * by go-back-N), and AckReq at least this often.
 */
#define UROCE_RC_MIN_WINDOW 16
#define UROCE_RC_WINDOW 1024
/*
 * And at most this many bytes: every QP of a socket shares its receive
 * buffer, and a window that overflows it turns into go-back-N.
 */
#define UROCE_RC_WINDOW_BYTES (512u * 1024)
#define UROCE_ACKREQ_EVERY 64
/*
 * A request that did not ask for an ACK is acknowledged this long after
 * (by the engine, unless a later ACK covers it first; a sleeping engine
 * may add its 5 ms tick): inside the least retransmit timeout below, so
 * the peer never resends for want of it.
 */
#define UROCE_LAZY_ACK_NS (1000ull * 1000)
/* The least retransmit timeout, whatever attr.timeout says. */
#define UROCE_MIN_TIMEOUT_NS (10ull * 1000 * 1000)
/*
 * Multicast: a UD send to a group GID with remote QPN 0xFFFFFF goes to
 * the group's IP at UDP port 0xFFFFFF >> 8, like any other QPN (mcast.c).
 */
#define UROCE_MCAST_QPN 0xffffffu
#define UROCE_MCAST_PORT (UROCE_MCAST_QPN >> 8)

struct uroce_qp;
struct uroce_lag_set;

/* Where packets of a QP or an AH go, and how their ICRC is computed. */
struct uroce_path {
	struct sockaddr_in6 dst; /* IPv4 peers as ::ffff:a.b.c.d */
	struct in6_addr src; /* the source GID's address */
	struct uroce_icrc_hdr icrc; /* sport, dport filled */
};

struct uroce_sock {
	int fd;
	uint16_t port;
	pthread_mutex_t lock; /* slots, nused, and the rx buffers */
	struct uroce_qp *slots[UROCE_SOCK_SLOTS];
	unsigned int nused;
	/* receive buffers, used under lock */
	struct mmsghdr msg[UROCE_RX_BATCH];
	struct iovec iov[UROCE_RX_BATCH];
	struct sockaddr_in6 from[UROCE_RX_BATCH];
	union {
		char buf[UROCE_RX_BATCH][64];
		size_t align; /* a cmsghdr's, whose flexible array clang refuses */
	} cmsg;
	uint8_t *bufs; /* UROCE_RX_BATCH * UROCE_RX_BUF */
	/*
	 * QPs whose ACK a polling application's drain held back, so that it
	 * leaves with the reply the application posts next (one sendmmsg
	 * instead of two); sent at the latest by the next drain of the
	 * socket, the engine's included. Under lock; ndeferred is also read
	 * without it by the engine.
	 */
	struct uroce_qp *deferred[UROCE_SOCK_SLOTS];
	unsigned int ndeferred;
	bool parked; /* engine only: out of its epoll set, see engine.c */
	bool mcast; /* the multicast socket: no QP slots (mcast.c) */
};

struct uroce_txpkt {
	uint8_t hdr[UROCE_HDR_MAX];
	uint8_t trailer[UROCE_TRAILER_MAX + 1];
	struct iovec iov[UROCE_TX_IOV];
	size_t len; /* of the whole packet */
	struct sockaddr_in6 dst;
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		size_t align; /* a cmsghdr's, whose flexible array clang refuses */
	} cmsg;
};

/* Packets waiting for one sendmmsg; all go out through @fd. */
struct uroce_txb {
	int fd;
	unsigned int n;
	/*
	 * LAG devices only (lag.c): the member the QP's requests leave by,
	 * and the one its peer's last request came in on, which its
	 * responses take back (-1: none yet).
	 */
	struct uroce_lag_set *lag;
	int member, reply_member;
	struct uroce_txpkt pkt[UROCE_TX_BATCH];
	struct mmsghdr msg[UROCE_TX_BATCH];
};

enum uroce_wqe_flag {
	UROCE_WQE_INLINE = 1 << 0,
	UROCE_WQE_STARTED = 1 << 1, /* PSNs assigned */
	/* BIND_MW or LOCAL_INV: no packet, carried out by the requester */
	UROCE_WQE_LOCAL = 1 << 2,
	UROCE_WQE_DONE = 1 << 3, /* the local operation was carried out */
};

/* A send WQE, copied from ibv_send_wr; sge[] then inline data follow. */
struct uroce_send_wqe {
	uint64_t wr_id;
	uint32_t opcode; /* enum ibv_wr_opcode */
	uint32_t send_flags;
	uint32_t flags; /* enum uroce_wqe_flag */
	uint32_t imm; /* wire order; SEND_WITH_INV, LOCAL_INV: the key */
	uint64_t remote_addr; /* BIND_MW: the window's address */
	uint32_t rkey; /* BIND_MW: the window's new rkey */
	uint32_t length; /* the whole message */
	union {
		struct {
			uint64_t compare_add;
			uint64_t swap;
		};
		struct {
			uint64_t length;
			uint32_t mr_lkey; /* 0: unbind (type 1) */
			uint32_t access;
		} bind;
	};
	/* UD */
	struct uroce_path ud_path;
	uint32_t remote_qpn;
	uint32_t remote_qkey;
	/* progress */
	uint32_t first_psn, last_psn;
	uint32_t npkts;
	uint32_t num_sge;
	int status; /* enum ibv_wc_status, set on a local error */
	struct ibv_sge sge[];
};

static inline bool uroce_wr_is_atomic(uint32_t op)
{
	return op == IBV_WR_ATOMIC_CMP_AND_SWP ||
	       op == IBV_WR_ATOMIC_FETCH_AND_ADD;
}

struct uroce_recv_wqe {
	uint64_t wr_id;
	uint32_t num_sge;
	uint32_t length;
	struct ibv_sge sge[];
};

struct uroce_srq {
	struct ibv_srq ibv_srq;
	struct uroce_pd *pd;
	struct uroce_pd *dom; /* the parent domain it was created on */
	pthread_spinlock_t lock;
	struct uroce_ring rq;
	uint32_t max_wr, max_sge;
	uint32_t limit; /* 0: not armed */
	atomic_uint use; /* QPs attached */
	struct uroce_list node; /* ctx->srqs */
};

struct uroce_ah {
	struct ibv_ah ibv_ah;
	struct uroce_pd *pd;
	struct uroce_list node; /* ctx->ahs */
	struct uroce_path path; /* dst port left 0: set from the WR */
};

/* A READ or atomic the responder answered, for replaying duplicates. */
struct uroce_rd_hist {
	bool valid;
	bool atomic;
	uint32_t psn, last_psn;
	uint64_t va;
	uint32_t rkey;
	uint32_t len;
	uint64_t orig; /* atomic: the original value */
};

/* A work request being built with the ibv_wr_* API (qp_ex.c). */
struct uroce_wr_build {
	bool open; /* a builder call started one: commit it */
	int err; /* the first error since wr_start */
	uint32_t start; /* sq.head at wr_start: wr_abort goes back there */
	struct ibv_send_wr wr;
	struct ibv_sge sge[UROCE_MAX_SGE];
	uint8_t inl[UROCE_MAX_INLINE];
};

struct uroce_qp {
	union {
		struct ibv_qp ibv_qp;
		struct ibv_qp_ex ibv_qp_ex; /* starts with an ibv_qp */
	};
	struct uroce_wr_build *wrb; /* only for extended QPs */
	struct uroce_context *ctx;
	struct uroce_pd *pd;
	struct uroce_pd *dom; /* the parent domain it was created on */
	/* copies of ODP packets, one per txb slot (mem.c), or NULL */
	uint8_t *odp_bounce;
	struct uroce_cq *scq, *rcq;
	struct uroce_srq *srq;
	struct uroce_sock *sock;
	struct uroce_list node; /* dp->qps */
	pthread_mutex_t lock;

	enum ibv_qp_state state;
	struct ibv_qp_attr attr; /* as set by modify_qp */
	struct ibv_qp_cap cap;
	bool sq_sig_all;
	uint32_t mtu;
	struct uroce_path path; /* RC/UC peer */

	struct uroce_ring sq, rq;

	/* requester */
	struct {
		uint32_t psn; /* next PSN to send */
		uint32_t max_psn; /* after the highest PSN ever sent */
		uint32_t cwnd; /* packets in flight at most: halved on loss */
		uint32_t cur; /* SQ index of the WQE being sent */
		uint32_t cur_pkt; /* its next packet */
		uint32_t rd_out; /* READs and atomics outstanding */
		uint64_t timer; /* retransmit deadline, ns; 0: idle */
		uint64_t rnr_timer; /* resend after RNR NAK; 0: none */
		unsigned int retry, rnr_retry;
		uint32_t last_nak_psn;
		bool nak_seen;
	} req;

	/* completer */
	struct {
		uint32_t psn; /* oldest unacknowledged PSN */
		uint32_t msn;
	} comp;

	/* responder */
	struct {
		uint32_t psn; /* expected PSN */
		uint32_t msn;
		bool nak_sent; /* a sequence NAK for this gap went out */
		bool ack_pending;
		bool ack_deferred; /* on its socket's deferred list */
		uint32_t ack_psn; /* the last request in order */
		uint64_t lazy_ack; /* an ACK is due then (no AckReq); 0: none */
		bool in_send; /* a multi-packet SEND fills wqe */
		bool wqe_valid;
		struct uroce_recv_wqe *wqe; /* rwqe_buf */
		uint32_t offset; /* bytes of the message so far */
		bool drop_msg; /* UC: rest of a broken message */
		bool in_write;
		uint64_t va; /* next WRITE address */
		uint32_t rkey;
		uint32_t resid; /* WRITE bytes left */
		uint32_t write_len; /* the WRITE's length, for its immediate */
		unsigned int hist_next;
		struct uroce_rd_hist *hist;
		unsigned int nhist;
		uint8_t *rwqe_buf;
		/* UD: the sender and the destination address, for the GRH */
		struct sockaddr_in6 ud_from;
		struct in6_addr ud_dst;
	} resp;

	struct uroce_qp_counters cnt;
	/* retransmission timeouts in a row on its LAG member (lag.c) */
	unsigned int lag_timeouts;
	struct uroce_txb txb;
};

/* A LAG member as the data path sees it; counters are relaxed atomics. */
struct uroce_lag_member {
	int ifindex;
	char ifname[IF_NAMESIZE];
	atomic_bool up; /* link running */
	_Atomic uint64_t bad_until; /* a suspected black hole: ns, 0: none */
	uint64_t last_bad; /* when it was last suspected, for the backoff */
	unsigned int strikes; /* suspicions in a row: doubles the hold */
	atomic_uint nqps; /* QPs whose requests leave by it */
	uint64_t tx_pkts, tx_bytes, rx_pkts, rx_bytes;
	uint64_t failovers; /* QPs moved away from it */
	uint64_t blackholes; /* times it was suspected */
};

/* The members of a LAG device; n is 0 for any other device. */
struct uroce_lag_set {
	unsigned int n;
	pthread_mutex_t lock; /* one moving pass at a time */
	atomic_bool dirty; /* a member was suspected: move its QPs */
	uint64_t rebalances; /* QPs moved onto a member that came back */
	struct uroce_lag_member m[UROCE_LAG_MAX_MEMBERS];
};

/* Per-context data path state. */
struct uroce_dp {
	struct uroce_context *ctx;
	pthread_mutex_t sock_lock; /* socket creation and slot allocation */
	struct uroce_sock *socks[UROCE_MAX_SOCKS];
	atomic_uint nsocks;

	pthread_mutex_t qp_list_lock;
	struct uroce_list qps;
	/* counters of destroyed QPs, under qp_list_lock */
	struct uroce_qp_counters retired;

	/* the engine thread */
	pthread_t thread;
	bool running;
	int epfd;
	int evfd;
	atomic_bool stop;
	atomic_bool idle; /* sleeping without a deadline: wake to arm one */
	/* when ibv_poll_cq last drained the sockets, CLOCK_MONOTONIC ns */
	_Atomic uint64_t last_poll;
	atomic_uint nparked; /* written by the engine only */
	/* socket creation requests, served by the engine thread */
	pthread_mutex_t req_lock;
	pthread_cond_t req_cond;
	bool req_pending;
	bool req_mcast; /* the multicast socket is asked for */
	int req_fd; /* result: fd, or -errno */

	/* groups and their QPs, made at the first attach (mcast.c) */
	struct uroce_mcast *_Atomic mcast;

	struct uroce_counters cnt;
	struct uroce_lag_set lag;
};

/* The LAG member of @ifindex, or -1. */
static inline int uroce_lag_member(const struct uroce_lag_set *lag, int ifindex)
{
	unsigned int i;

	for (i = 0; i < lag->n; i++)
		if (lag->m[i].ifindex == ifindex)
			return (int)i;
	return -1;
}

static inline struct uroce_qp *to_uqp(struct ibv_qp *qp)
{
	return container_of(qp, struct uroce_qp, ibv_qp);
}

static inline struct uroce_srq *to_usrq(struct ibv_srq *srq)
{
	return container_of(srq, struct uroce_srq, ibv_srq);
}

static inline struct uroce_ah *to_uah(struct ibv_ah *ah)
{
	return container_of(ah, struct uroce_ah, ibv_ah);
}

/* A multicast group: IPv6 ff00::/8 or IPv4 224.0.0.0/4 (mapped). */
static inline bool uroce_addr_mcast(const struct in6_addr *a)
{
	return IN6_IS_ADDR_MULTICAST(a) ||
	       (IN6_IS_ADDR_V4MAPPED(a) && (a->s6_addr[12] & 0xf0) == 0xe0);
}

/* The most packets an RC QP keeps unacknowledged at its path MTU. */
static inline uint32_t uroce_rc_window(const struct uroce_qp *qp)
{
	uint32_t w = UROCE_RC_WINDOW_BYTES / (qp->mtu ? qp->mtu : 1);

	if (w > UROCE_RC_WINDOW)
		return UROCE_RC_WINDOW;
	return w < UROCE_RC_MIN_WINDOW ? UROCE_RC_MIN_WINDOW : w;
}

/* Counts a packet @qp drops, in its counters and its device's. */
static inline void uroce_qp_drop(struct uroce_qp *qp, int reason)
{
	qp->cnt.drops[reason]++;
	uroce_cnt_add(qp->ctx->dp->cnt.drops[reason], 1);
}

/* engine.c */
int uroce_engine_start(struct uroce_context *ctx);
void uroce_engine_stop(struct uroce_context *ctx);

/*
 * Wakes the engine: a timer was armed while it slept, or it has a socket
 * to open. Only the eventfd's write: who wakes it does not call into it.
 */
static inline void uroce_engine_kick(struct uroce_dp *dp)
{
	uint64_t one = 1;

	if (write(dp->evfd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		uroce_warn("engine kick: %s", strerror(errno));
}

/* netns.c */
/* A socket in the context's namespace; @mcast: the multicast port's. */
int uroce_netns_socket(struct uroce_dp *dp, bool mcast);
/* From the engine thread: opens the socket another thread asked for. */
void uroce_netns_serve(struct uroce_dp *dp);

/*
 * After a completion of @qp into @cq: with nothing left posted, the
 * application may stop polling (ib_write_lat spins on memory instead),
 * so its next poll of @cq releases the sockets to the engine.
 */
static inline void uroce_qp_note_idle(struct uroce_qp *qp, struct uroce_cq *cq)
{
	if (qp->sq.tail == qp->sq.head && qp->rq.tail == qp->rq.head &&
	    !qp->srq)
		atomic_store_explicit(&cq->idle_hint, true,
				      memory_order_relaxed);
}

/* sock.c */
int uroce_sock_attach(struct uroce_dp *dp, struct uroce_qp *qp);
void uroce_sock_detach(struct uroce_qp *qp);
/* Adds the context's multicast socket; NULL and errno on failure. */
struct uroce_sock *uroce_sock_add_mcast(struct uroce_dp *dp);
void uroce_sock_free(struct uroce_sock *s);

/* path.c */
int uroce_gid_path(struct uroce_context *ctx, unsigned int sgid_index,
		   const union ibv_gid *dgid, struct uroce_path *path);
void uroce_path_set_ports(struct uroce_path *path, uint16_t sport,
			  uint16_t dport);
/* The ICRC's view of the IP header between @src and @dst. */
void uroce_icrc_addrs(struct uroce_icrc_hdr *h, const struct in6_addr *src,
		      const struct in6_addr *dst);

/* rx.c */
/* Receives and processes what @s holds; false if another thread was. */
bool uroce_rx_drain(struct uroce_dp *dp, struct uroce_sock *s, bool engine);
/* Waits for the drainer of @s, then receives all that has arrived. */
void uroce_rx_drain_wait(struct uroce_dp *dp, struct uroce_sock *s);
/* Sends the ACKs that drains held back, where no drainer is busy. */
void uroce_rx_flush_deferred(struct uroce_dp *dp);

/* deliver.c */
/*
 * Hands a packet that passed the socket's checks to @qp, after the QP's
 * own; false if it was dropped. @dst: the IP destination (for the GRH).
 */
bool uroce_deliver(struct uroce_dp *dp, struct uroce_qp *qp,
		   struct uroce_pkt *pkt, const struct sockaddr_in6 *from,
		   const struct in6_addr *dst, int member);

/* poll.c */
/* The poll_cq op; asked for no entry it takes in all that has arrived. */
int uroce_poll_cq_dp(struct ibv_cq *ibcq, int num_entries, struct ibv_wc *wc);
/* The progress of a poll that takes nothing and waits for no drainer. */
void uroce_cq_progress_dp(struct ibv_cq *ibcq);
/* The req_notify_cq op: the application sleeps, the engine drains. */
int uroce_req_notify_cq_dp(struct ibv_cq *ibcq, int solicited_only);

/* tx.c */
/* Queues a packet on @txb; returns its UDP payload length, 0 if dropped. */
size_t uroce_tx_add(struct uroce_context *ctx, struct uroce_txb *txb,
		    const struct uroce_path *path, struct uroce_pkt *pkt,
		    const struct iovec *pay, int npay);
void uroce_tx_flush(struct uroce_context *ctx, struct uroce_txb *txb);

/* lag.c: LAG members, see the comment there */
/* Before the context's dp is published. */
void uroce_lag_init(struct uroce_context *ctx, struct uroce_dp *dp);
void uroce_lag_fini(struct uroce_dp *dp);
/* Links changed (the monitor thread): move QPs off the members down. */
void uroce_lag_links(struct uroce_context *ctx);
/* From the engine: suspicions to act on, holds that ended. */
void uroce_lag_tick(struct uroce_dp *dp, uint64_t now);

/* lag_qp.c: a QP's member */
/* Gives a new QP the least loaded member. */
void uroce_lag_qp_init(struct uroce_qp *qp);
/* A QP no thread can reach any more gives its member up. */
void uroce_lag_qp_fini(struct uroce_qp *qp);
/* A retransmission timeout of @qp; under its lock. */
void uroce_lag_timeout(struct uroce_qp *qp);
/* Moves @qp to member @to, under its lock. */
void uroce_lag_move(struct uroce_qp *qp, int to);
/* Not down, not held as a suspect at @now. */
bool uroce_lag_usable(struct uroce_lag_member *m, uint64_t now);
/* The usable member with the fewest QPs but @except, or -1. */
int uroce_lag_least_loaded(struct uroce_lag_set *lag, uint64_t now, int except);
/* The LAG device's name, for the log. */
const char *uroce_lag_name(const struct uroce_lag_set *lag);

/* fault.c */
void uroce_fault_init(void);
bool uroce_fault_on(void);
/* Reorders, duplicates or drops entries of @msg; returns the new count. */
unsigned int uroce_fault_apply(struct uroce_counters *cnt, struct mmsghdr *msg,
			       unsigned int n, struct mmsghdr *out);

/* qp.c */
struct ibv_qp *uroce_create_qp(struct ibv_pd *ibpd,
			       struct ibv_qp_init_attr *attr);
int uroce_modify_qp(struct ibv_qp *ibqp, struct ibv_qp_attr *attr,
		    int attr_mask);
int uroce_query_qp(struct ibv_qp *ibqp, struct ibv_qp_attr *attr, int attr_mask,
		   struct ibv_qp_init_attr *init_attr);
int uroce_destroy_qp(struct ibv_qp *ibqp);

/* qp_ex.c */
struct ibv_qp *uroce_create_qp_ex(struct ibv_context *ibctx,
				  struct ibv_qp_init_attr_ex *attr);
struct ibv_qp_ex *uroce_qp_to_qp_ex(struct ibv_qp *ibqp);
void uroce_qp_destroy_all(struct uroce_context *ctx);

/* sq.c */
int uroce_post_send(struct ibv_qp *ibqp, struct ibv_send_wr *wr,
		    struct ibv_send_wr **bad_wr);
/* Adds a validated copy of @wr to the send ring; under qp->lock. */
int uroce_send_enqueue(struct uroce_qp *qp, const struct ibv_send_wr *wr);

/* req.c: sends what it can; under qp->lock */
void uroce_req_progress(struct uroce_qp *qp);
/* Resends from @psn on. */
void uroce_req_rewind(struct uroce_qp *qp, uint32_t psn);
/*
 * The started WQE whose PSNs hold @psn, and its index in @idx; else NULL,
 * @idx then the first WQE not started (or sq.head).
 */
struct uroce_send_wqe *uroce_sq_find_psn(struct uroce_qp *qp, uint32_t psn,
					 uint32_t *idx);
/* After ACKs overtook a rewind: restarts from the oldest unacked PSN. */
void uroce_req_sync(struct uroce_qp *qp);
/*
 * Sends again every packet of @qp not acknowledged yet, from the oldest
 * on, as a retransmission timeout or a LAG failover asks.
 */
void uroce_req_requeue(struct uroce_qp *qp);

/* rq.c */
int uroce_post_recv(struct ibv_qp *ibqp, struct ibv_recv_wr *wr,
		    struct ibv_recv_wr **bad_wr);
/* Copies receive WRs into @rq, a QP's or an SRQ's ring. */
int uroce_rq_post(struct uroce_ring *rq, uint32_t max_wr, uint32_t max_sge,
		  struct ibv_recv_wr *wr, struct ibv_recv_wr **bad_wr);

/* srq.c */
struct ibv_srq *uroce_create_srq(struct ibv_pd *ibpd,
				 struct ibv_srq_init_attr *attr);
int uroce_modify_srq(struct ibv_srq *ibsrq, struct ibv_srq_attr *attr,
		     int mask);
int uroce_query_srq(struct ibv_srq *ibsrq, struct ibv_srq_attr *attr);
int uroce_destroy_srq(struct ibv_srq *ibsrq);
int uroce_post_srq_recv(struct ibv_srq *ibsrq, struct ibv_recv_wr *wr,
			struct ibv_recv_wr **bad_wr);
bool uroce_srq_take(struct uroce_srq *srq, struct uroce_recv_wqe *buf);
void uroce_srq_destroy_all(struct uroce_context *ctx);

/* resp.c: a request packet for @qp, from @from; under qp->lock */
void uroce_resp_rx(struct uroce_qp *qp, struct uroce_pkt *pkt);
void uroce_resp_flush_ack(struct uroce_qp *qp);
/* Flushes the receive queue in error (uroce_qp_error). */
void uroce_resp_flush(struct uroce_qp *qp);
/* Adds a pending ACK to the QP's transmit batch, without sending it. */
void uroce_resp_queue_ack(struct uroce_qp *qp);

/* comp.c: a response packet for @qp; under qp->lock */
void uroce_comp_rx(struct uroce_qp *qp, struct uroce_pkt *pkt);
/*
 * Completes @wqe, the oldest send WQE, with @status, then the local
 * operations carried out after it; under qp->lock.
 */
void uroce_comp_complete(struct uroce_qp *qp, struct uroce_send_wqe *wqe,
			 enum ibv_wc_status status);
/* Moves @qp to ERR and flushes its queues; under qp->lock. */
void uroce_qp_error(struct uroce_qp *qp);
/* Runs @qp's expired timers; returns its next deadline or 0. */
uint64_t uroce_comp_timers(struct uroce_qp *qp, uint64_t now);
/* Sends a lazy ACK that is due; returns when the next one is, or 0. */
uint64_t uroce_resp_timers(struct uroce_qp *qp, uint64_t now);

/* mw.c: memory windows on the data path */
/* Copies a BIND_MW or LOCAL_INV work request; 0 or EINVAL. */
int uroce_mw_copy_wr(struct uroce_qp *qp, const struct ibv_send_wr *wr,
		     struct uroce_send_wqe *wqe);
/*
 * Carries out a BIND_MW or LOCAL_INV WQE; returns 0 or its completion
 * status. Takes ctx->mr_lock for writing: the caller holds no mr_lock.
 */
int uroce_mw_local_op(struct uroce_qp *qp, struct uroce_send_wqe *wqe);
/*
 * Invalidates @rkey as a SEND with Invalidate to @qp asks; 0 or EINVAL.
 * Takes ctx->mr_lock for writing.
 */
int uroce_mw_remote_inv(struct uroce_qp *qp, uint32_t rkey);
/*
 * The host address of [va, va + len) for a remote request of @qp with
 * @rkey (an MR's or a window's) that needs @access; NULL if refused.
 * Under ctx->mr_lock for reading.
 */
void *uroce_rkey_map(struct uroce_qp *qp, uint32_t rkey, uint64_t va,
		     uint64_t len, int access);

/* mcast.c */
int uroce_attach_mcast(struct ibv_qp *ibqp, const union ibv_gid *gid,
		       uint16_t lid);
int uroce_detach_mcast(struct ibv_qp *ibqp, const union ibv_gid *gid,
		       uint16_t lid);
/* Detaches @qp from every group; no receiver can reach it afterwards. */
void uroce_mcast_qp_destroy(struct uroce_qp *qp);
/* A packet the multicast socket received for group @dst. */
void uroce_mcast_rx(struct uroce_dp *dp, struct uroce_pkt *pkt,
		    const struct sockaddr_in6 *from,
		    const struct in6_addr *dst);
void uroce_mcast_free(struct uroce_dp *dp);

/* ah.c */
struct ibv_ah *uroce_create_ah(struct ibv_pd *ibpd, struct ibv_ah_attr *attr);
int uroce_destroy_ah(struct ibv_ah *ibah);

/* mem.c: checked access to registered memory, under ctx->mr_lock */
/*
 * The host address of [va, va + len) in the MR of @key, if the MR belongs
 * to @pd, allows @access and covers the range; NULL otherwise.
 */
void *uroce_mem_map(struct uroce_context *ctx, struct uroce_pd *pd,
		    uint32_t key, uint64_t va, uint64_t len, int access);
/*
 * Where the packet that @qp's txb takes next keeps a copy of ODP memory
 * until the batch leaves; NULL if it cannot be allocated.
 */
uint8_t *uroce_odp_bounce(struct uroce_qp *qp);
/* Whether @key names an ODP MR (an MW or a bad key: not ODP). */
bool uroce_mem_is_odp(struct uroce_context *ctx, uint32_t key);
/*
 * memcpy for the memory of MR @key, fault-safe if it is an ODP MR (false
 * when a page is not mapped, or not writable for @dst).
 */
bool uroce_mem_copy(struct uroce_context *ctx, uint32_t key, void *dst,
		    const void *src, size_t n);
/* Whether the @n bytes at @p of ODP MR @key are mapped (true if not ODP). */
bool uroce_mem_check(struct uroce_context *ctx, uint32_t key, const void *p,
		     size_t n);
/*
 * Copies between @buf and the scatter list @sge at byte @offset of it.
 * @to_sge: write into the list (needs LOCAL_WRITE). Returns 0,
 * IBV_WC_LOC_LEN_ERR or IBV_WC_LOC_PROT_ERR.
 */
int uroce_sge_copy(struct uroce_context *ctx, struct uroce_pd *pd,
		   const struct ibv_sge *sge, uint32_t nsge, uint32_t offset,
		   void *buf, uint32_t len, bool to_sge);
/*
 * Fills @iov with the *@niov pieces of [offset, offset + len) of @sge;
 * *@odp says whether one of them is in an ODP MR (to be copied
 * fault-safely). Returns 0, IBV_WC_LOC_LEN_ERR or IBV_WC_LOC_PROT_ERR.
 */
int uroce_sge_iov(struct uroce_context *ctx, struct uroce_pd *pd,
		  const struct ibv_sge *sge, uint32_t nsge, uint32_t offset,
		  uint32_t len, struct iovec *iov, int maxiov, int *niov,
		  bool *odp);

#endif /* UROCE_DP_H */
