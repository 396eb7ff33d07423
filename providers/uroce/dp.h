/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The data path's internal types: sockets, queue pairs, work queue
 * entries, address handles, SRQs and the per-context engine, with the
 * inlines that read them. The functions are declared in the header of
 * the file that defines them (rx.h for rx.c); not a public header.
 *
 * Locking, outermost first: a socket's lock (its slot table, and one
 * drainer at a time), then a QP's lock (everything in the QP: requester,
 * responder, completer and its transmit batch), then ctx->mr_lock for
 * reading while memory is touched, then a CQ's or SRQ's lock. The engine
 * walks the QP list under dp->qp_list_lock, then takes a QP's lock.
 */
#ifndef UROCE_DP_H
#define UROCE_DP_H

#include <netinet/in.h>
#include <sys/socket.h>

#include "providers/uroce/caps.h"
#include "providers/uroce/counters.h"
#include "providers/uroce/peer_watch.h"
#include "providers/uroce/pkt.h"
#include "providers/uroce/psn.h"
#include "providers/uroce/uroce.h"
#include "util/clock.h"
#include "util/ring.h"

#define UROCE_SOCK_SLOTS 256
#define UROCE_MAX_SOCKS 256
#define UROCE_MAX_INLINE 1024
#define UROCE_TX_BATCH 32
#define UROCE_TX_IOV (UROCE_MAX_SGE + 3)
/*
 * Payloads at most this long are copied into the transmit batch when it
 * may be held back (tx.c): a held packet then points into no memory of
 * the application, which may be deregistered meanwhile.
 */
#define UROCE_TX_COPY 128
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
/*
 * The QPs of a context share their sockets' receive buffers (4 MiB each,
 * UROCE_SOCK_SLOTS QPs a socket): a QP's window reaches at most its share
 * of UROCE_SOCK_WINDOW_BYTES a socket, and a loss leaves it at least its
 * share of UROCE_SOCK_FLOOR_BYTES (a quarter: the kernel counts each
 * datagram's whole buffer, and a receiver short of CPU drains late), but
 * at least UROCE_RC_LEAST_WINDOW packets. With 512 KiB for every QP and a
 * loss floor of UROCE_RC_MIN_WINDOW, a thousand QPs overflowed the peer's
 * sockets until go-back-N gave up (IBV_WC_RETRY_EXC_ERR).
 */
#define UROCE_SOCK_WINDOW_BYTES (4u << 20)
#define UROCE_SOCK_FLOOR_BYTES (1u << 20)
#define UROCE_RC_LEAST_WINDOW 1
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
/*
 * "wire roce" devices (uroce(7)): every context's QPs share one socket,
 * its member of the namespace's SO_REUSEPORT group on the RoCE v2 port
 * (util/steer_group.h), and are numbered from the member's tag.
 */
#define UROCE_ROCE_PORT 4791
#define UROCE_GSI_QPN 1u

struct uroce_qp;
struct uroce_lag_set;
struct steer_group;

/* Where packets of a QP or an AH go, and how their ICRC is computed. */
struct uroce_path {
	struct sockaddr_in6 dst; /* IPv4 peers as ::ffff:a.b.c.d */
	struct in6_addr src; /* the source GID's address */
	struct uroce_icrc_hdr icrc; /* sport, dport filled */
	/* RC/UC: the peer's packets may come from any of its UDP ports */
	bool any_sport;
};

struct uroce_sock {
	int fd;
	uint16_t port;
	/* "wire roce": the group fd belongs to, and its QPNs' tag; else NULL */
	struct steer_group *steer;
	uint32_t tag;
	unsigned int next_slot; /* "wire roce": where the search starts */
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
	uint64_t deferred_at; /* when the first of them was held back, ns */
	/*
	 * Slots whose QP holds a transmit batch back (tx.c): sent by the
	 * next drain of the socket or the engine's next wake-up.
	 */
	_Atomic uint64_t held[UROCE_SOCK_SLOTS / 64];
	bool parked; /* engine only: out of its epoll set, see engine.c */
	/* when the last batch was received, under lock (peer_watch.c) */
	uint64_t rx_ns;
	bool mcast; /* the multicast socket: no QP slots (mcast.c) */
};

struct uroce_txpkt {
	uint8_t hdr[UROCE_HDR_MAX];
	uint8_t trailer[UROCE_TRAILER_MAX + 1];
	uint8_t copy[UROCE_TX_COPY]; /* a held packet's payload */
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
	/* a packet of the batch points into the application's memory */
	bool refs_app;
	bool held; /* on its socket's held set */
	/*
	 * "wire roce": the kernel numbers the IPv4 segments of a GSO send
	 * 0, 1, 2... (a lone datagram 0), and the ICRC covers the ID (tx.c).
	 */
	bool gso_ids;
	uint32_t held_psn; /* the first PSN the batch may hold back */
	uint64_t held_at; /* when it was first held back, ns */
	uint64_t last_post; /* the application's last post, ns */
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

/*
 * A READ or atomic the responder answered, for replaying duplicates, and
 * its responses still to send (resp.c sends a window of them per turn).
 */
struct uroce_rd_hist {
	bool valid;
	bool atomic;
	bool pending; /* responses from next to end are to be sent */
	uint32_t psn, last_psn;
	uint32_t next, end;
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
	uint16_t sport; /* the UDP port it sends from (sport.c) */
	struct uroce_pd *pd;
	struct uroce_pd *dom; /* the parent domain it was created on */
	/* copies of ODP packets, one per txb slot (tx.c), or NULL */
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
	struct uroce_peer_sock peer; /* a local peer's socket (peer_watch.c) */

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
		bool rd_busy; /* a hist entry may be pending: see resp.c */
		uint64_t rd_due; /* then its next window, ns */
		struct uroce_rd_hist *hist;
		unsigned int nhist;
		uint8_t *rwqe_buf;
		/* UD: the sender and the destination address, for the GRH */
		struct sockaddr_in6 ud_from;
		struct in6_addr ud_dst;
	} resp;

	struct uroce_qp_counters cnt;
	/* retransmission timeouts in a row on its LAG member (lag_qp.c) */
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
	int req_kind; /* enum uroce_sock_kind asked for (netns.h) */
	uint16_t req_port; /* UROCE_SOCK_SPORT's port */
	int req_fd; /* result: fd, or -errno */
	struct steer_group *req_group; /* result for UROCE_SOCK_ROCE */

	/*
	 * "wire roce": the socket's group, set once its socket exists; its
	 * control messages and timers are the engine's (steer_group_run),
	 * probes come in on whoever drains (steer_group_rx): both under
	 * steer_lock.
	 */
	struct steer_group *_Atomic steer;
	pthread_mutex_t steer_lock;
	bool steer_failed; /* engine only: its failure was logged */

	/*
	 * "wire roce": the send-only sockets of the flows' source ports
	 * (sport.c), opened as QPs need them, under sock_lock.
	 */
	struct uroce_sport *sports;
	unsigned int nsports;

	/* groups and their QPs, made at the first attach (mcast.c) */
	struct uroce_mcast *_Atomic mcast;

	struct uroce_counters cnt;
	struct uroce_lag_set lag;
	/* local peers' sockets (peer_watch.c), or NULL */
	struct uroce_peer_watch *watch;
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

/*
 * An RC QP's share of @sock_bytes a socket in packets of its path MTU, at
 * most @most (the QP count is read relaxed: a stale share lasts a call).
 */
static inline uint32_t uroce_rc_share(const struct uroce_qp *qp,
				      uint64_t sock_bytes, uint32_t most)
{
	unsigned int n =
		atomic_load_explicit(&qp->ctx->nqp, memory_order_relaxed);
	uint64_t share = UROCE_RC_WINDOW_BYTES;
	uint32_t w;

	if (n > 1)
		share = sock_bytes *
			((n + UROCE_SOCK_SLOTS - 1) / UROCE_SOCK_SLOTS) / n;
	w = (uint32_t)(share / (qp->mtu ? qp->mtu : 1));
	if (w > most)
		return most;
	return w < UROCE_RC_LEAST_WINDOW ? UROCE_RC_LEAST_WINDOW : w;
}

/* The most packets an RC QP keeps unacknowledged at its path MTU. */
static inline uint32_t uroce_rc_window(const struct uroce_qp *qp)
{
	uint32_t w = UROCE_RC_WINDOW_BYTES / (qp->mtu ? qp->mtu : 1);

	if (w > UROCE_RC_WINDOW)
		w = UROCE_RC_WINDOW;
	if (w < UROCE_RC_MIN_WINDOW)
		w = UROCE_RC_MIN_WINDOW;
	return uroce_rc_share(qp, UROCE_SOCK_WINDOW_BYTES, w);
}

/* The least window a loss leaves an RC QP. */
static inline uint32_t uroce_rc_floor(const struct uroce_qp *qp)
{
	return uroce_rc_share(qp, UROCE_SOCK_FLOOR_BYTES, UROCE_RC_MIN_WINDOW);
}

/* The window now: what losses left of it (cwnd), within the QP's share. */
static inline uint32_t uroce_rc_cwnd(const struct uroce_qp *qp)
{
	uint32_t w = uroce_rc_window(qp);

	return qp->req.cwnd && qp->req.cwnd < w ? qp->req.cwnd : w;
}

/* Counts a packet @qp drops, in its counters and its device's. */
static inline void uroce_qp_drop(struct uroce_qp *qp, int reason)
{
	qp->cnt.drops[reason]++;
	uroce_cnt_add(qp->ctx->dp->cnt.drops[reason], 1);
}

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

#endif /* UROCE_DP_H */
