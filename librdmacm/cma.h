/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * librdmacm's internal state. One process-wide lock (cm_lock) guards all
 * of it: IDs, channels' event queues, sockets, namespaces and devices. The
 * CM thread (cm_thread.c) takes it for each datagram, timer or netlink
 * change; application calls take it for their whole work, and drop it
 * only to wait.
 */
#ifndef UROCE_CMA_H
#define UROCE_CMA_H

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>
#include <rdma/rdma_verbs.h>

#include "librdmacm/cm_msg.h"
#include "util/rtnl.h"

/* ---- timing (ms); see uroce-cm(7) ---- */
/* CM response timeout we advertise (2^18 * 4.096 us ~ 1.07 s) */
#define CM_RESP_TIMEOUT 18
#define CM_MAX_RETRIES 15
/* Service timeout in an MRA: the consumer may take ~68 s to answer. */
#define CM_MRA_TIMEOUT 24
#define CM_TIMEWAIT_MS 500
/* rdma_listen's backlog when none or more is asked, as the kernel's. */
#define CM_DEFAULT_BACKLOG 1024
/*
 * A listener full of half-open connections gives up one whose REP has
 * waited this long for its RTU to make room for a new request.
 */
#define CM_HALF_OPEN_EVICT_MS 100
/* How long a request's route back to its sender is taken as known. */
#define CM_ROUTE_CACHE_MS 1000
#define CM_DEFAULT_ACK_TIMEOUT 14 /* QP ACK timeout, ~67 ms */
#define CM_DEFAULT_HOP_LIMIT 64

extern pthread_mutex_t cm_lock;
/* Broadcast on every event queued, acked, or ID state change. */
extern pthread_cond_t cm_cond;

struct cm_ns;
struct cm_id;

/*
 * An opened device of a namespace; lives as long as the process, or the
 * library: its destructor closes it once no ID uses it.
 */
struct cm_dev {
	struct cm_dev *next;
	struct ibv_context *verbs;
	pid_t pid; /* the process that opened it (not a forked child) */
	struct ibv_pd *pd; /* the default PD, made on first need */
	char name[64];
	uint64_t guid; /* host order */
	enum ibv_mtu active_mtu;
	int gid_tbl_len;
	uint8_t max_resp_res; /* max_qp_rd_atom */
	uint8_t max_init_depth; /* max_qp_init_rd_atom */
};

/* What an epoll entry of the CM thread points at (first member). */
enum cm_fd_kind { CM_FD_SOCK = 1, CM_FD_NS, CM_FD_KICK, CM_FD_EP, CM_FD_STEER };

/* A UDP socket the CM thread receives on. */
struct cm_sock {
	int kind; /* CM_FD_SOCK */
	bool dead; /* closed; freed by the CM thread */
	struct cm_sock *next;
	int fd;
	int family;
	uint16_t port; /* host order */
	bool wildcard; /* bound to the any-address */
	struct cm_ns *ns;
	struct cm_id *listener; /* the owner of a listening socket */
	bool shared; /* the namespace's socket for active IDs */
	bool roce; /* the RoCE v2 port 4791 socket (cm_roce.c) */
	/* roce: the local address of the datagram being handled */
	struct sockaddr_storage rx_local;
};

/* The namespace's member of the port 4791 group (wire-compatible mode). */
struct cm_roce {
	int kind; /* CM_FD_STEER: the group's control fd */
	struct cm_ns *ns;
	struct steer_group *grp;
	struct cm_sock *sock; /* its UDP socket */
	uint32_t psn; /* of the next BTH */
};

/* A route looked up for a request, or its failure (@err). */
struct cm_route_ent {
	uint64_t expires; /* ms, CLOCK_MONOTONIC; 0: empty */
	int family;
	bool has_src;
	uint8_t dst[16], src[16];
	int err;
	struct rtnl_route rt;
};

#define CM_ROUTE_CACHE_SIZE 64

/* Per network namespace the library has been used in. */
struct cm_ns {
	int kind; /* CM_FD_NS */
	struct cm_ns *next;
	dev_t nsdev;
	ino_t nsino;
	int nl_fd; /* rtnetlink query socket of the namespace */
	int mon_fd; /* rtnetlink monitor, or -1 */
	struct cm_sock *shared[2]; /* active IDs' sockets: IPv4, IPv6 */
	struct cm_roce *roce; /* wire-compatible mode, once joined */
	struct cm_dev *devs;
	/* Netdevs may have come since devs was last listed (or no monitor). */
	bool devs_stale;
	struct cm_route_ent routes[CM_ROUTE_CACHE_SIZE];
};

struct cm_chan {
	struct rdma_event_channel ch; /* first: handed out to the user */
	struct cm_evt *head, *tail;
	bool internal; /* a synchronous ID's own */
	unsigned int waiters; /* rdma_get_cm_event callers inside */
	bool dead; /* rdma_destroy_event_channel ran */
	struct cm_chan *next_dead; /* in the quarantine of dead channels */
};

struct cm_evt {
	struct rdma_cm_event ev; /* first: handed out to the user */
	struct cm_evt *next;
	struct cm_id *owner; /* the ID it is about */
	/*
	 * Whose ack count it feeds: the owner, but a CONNECT_REQUEST's
	 * listener (as in rdma-core), so that the new ID may be destroyed,
	 * or moved, before its request is acked (UCX's reject path).
	 */
	struct cm_id *acct;
	uint8_t pdata[CM_MAX_PDATA];
};

enum cm_state {
	CMS_IDLE,
	CMS_ADDR_BOUND,
	CMS_ADDR_RESOLVED,
	CMS_ROUTE_RESOLVED,
	CMS_LISTEN,
	CMS_REQ_SENT, /* REQ or SIDR_REQ out, waiting for the answer */
	CMS_REQ_RCVD, /* passive: CONNECT_REQUEST delivered */
	CMS_REP_SENT, /* passive: accepted, waiting for RTU */
	CMS_REP_RCVD, /* active without QP: waiting for rdma_establish */
	CMS_ESTABLISHED,
	CMS_DREQ_SENT,
	CMS_DREQ_RCVD,
	CMS_TIMEWAIT,
	CMS_DISCONNECTED, /* after timewait, or rejected/unreachable */
	CMS_UD_DONE, /* SIDR answered / accepted */
	CMS_NSTATES
};

struct cm_mc {
	struct cm_mc *next;
	struct sockaddr_storage addr;
	union ibv_gid mgid;
	void *context;
	bool attached;
	bool sendonly;
};

struct cm_id {
	struct rdma_cm_id id; /* first: handed out to the user */
	struct cm_id *next, *prev; /* every ID of the process */
	struct cm_id *hnext; /* local comm ID hash chain */
	struct cm_chan *chan;
	bool sync; /* created without a channel */
	bool destroyed; /* user is done; kept while the protocol lingers */
	bool in_hash;
	enum cm_state state;
	struct cm_ns *ns;
	struct cm_dev *dev;
	struct cm_sock *sock; /* messages go out of this socket */
	bool own_sock;
	bool bound; /* route.addr.src_addr holds our address */
	int ifindex;
	uint8_t gid_index;
	struct cm_id *listen; /* a child's listener, while unretrieved */
	int backlog;
	int pending; /* CONNECT_REQUESTs queued but not yet retrieved */
	/*
	 * Half-open children (REQ in, not yet established), oldest first:
	 * a listener's list, and a child's place in it. Entries that have
	 * moved on are pruned when the listener is full.
	 */
	struct cm_id *ho_head, *ho_tail;
	unsigned int half_open;
	struct cm_id *ho_listener, *ho_next, *ho_prev;
	struct cm_id *phnext; /* passive hash chain, by remote comm ID */
	bool in_phash;
	uint64_t rep_sent_ms; /* when the REP first went out */
	/* What the REQ's sender asked for the REP's resends. */
	unsigned int rep_retries, rep_rto_ms;
	/* the connection */
	uint32_t local_id, remote_id;
	struct sockaddr_storage peer; /* peer CM: IP and UDP port */
	uint32_t local_qpn, remote_qpn, remote_qkey;
	uint32_t local_psn, remote_psn;
	uint8_t resp_res, init_depth, retry_count, rnr_retry, flow_control;
	uint8_t srq;
	uint8_t remote_resp_timeout;
	uint8_t rnr_retry_accept; /* what our REP asks of the peer */
	enum ibv_mtu mtu;
	uint8_t tos;
	uint8_t ack_timeout;
	bool tos_set, ack_timeout_set;
	int reuseaddr, afonly;
	/* the message retransmitted on timeout, and its timer */
	uint8_t msg[CM_MAD_SIZE];
	bool msg_valid;
	unsigned int retries, max_retries, rto_ms;
	uint64_t deadline; /* ms, CLOCK_MONOTONIC; 0: no timer */
	bool disc_reported;
	bool mra_rcvd; /* the peer asked for patience: no resends */
	bool removal_reported, addr_moved;
	struct ibv_qp_init_attr *ep_qp_attr; /* rdma_create_ep, passive */
	/* events delivered vs. acked, for rdma_destroy_id */
	unsigned int ev_reported, ev_acked;
	struct cm_evt *sync_evt; /* the last event a sync call consumed */
	struct cm_mc *mcs;
	struct ibv_sa_path_rec path;
	struct ibv_ece local_ece, remote_ece;
	struct sockaddr_storage listen_addr; /* dst the REQ was sent to */
};

static inline struct cm_id *to_cm_id(struct rdma_cm_id *id)
{
	return (struct cm_id *)id;
}

/* The common entry of the verbs-style calls on an ID: -1 (EINVAL) if none. */
static inline int cm_lock_id(struct rdma_cm_id *id)
{
	if (!id) {
		errno = EINVAL;
		return -1;
	}
	pthread_mutex_lock(&cm_lock);
	return 0;
}

/*
 * The common exit of the verbs-style calls: drops cm_lock, then turns a
 * positive errno @ret into -1 with errno set (after the unlock, which may
 * not keep errno), or returns 0.
 */
static inline int cm_unlock_ret(int ret)
{
	pthread_mutex_unlock(&cm_lock);
	if (ret) {
		errno = ret;
		return -1;
	}
	return 0;
}

/* ---- cma.c ---- */
int cm_create_id(struct rdma_event_channel *channel, struct rdma_cm_id **id,
		 void *context, enum rdma_port_space ps, enum ibv_qp_type qpt);
uint64_t cm_now_ms(void);
struct cm_id *cm_id_alloc(struct cm_chan *chan, void *context,
			  enum rdma_port_space ps, enum ibv_qp_type qpt);
void cm_id_hash(struct cm_id *cid);
struct cm_id *cm_id_find(uint32_t local_id);
/* Gives @cid the communication ID @id (free), rehashing it. */
void cm_id_set_local(struct cm_id *cid, uint32_t id);
/* Makes passive @cid findable by its peer's ID (cm_find_passive). */
void cm_passive_hash(struct cm_id *cid);
struct cm_id *cm_id_first(void);
/* Queues an event for @cid; @pdata may be NULL. Returns it (for params). */
struct cm_evt *cm_event(struct cm_id *cid, enum rdma_cm_event_type type,
			int status, const void *pdata, size_t pdata_len);
/* Drops @cid's internal state once the user and the protocol are done. */
void cm_id_maybe_free(struct cm_id *cid);
/* Waits (cm_lock held) for a sync ID's next event; 0 or -1 + errno. */
int cm_sync_wait(struct cm_id *cid);
const char *cm_state_str(enum cm_state s);
int cm_sockaddr_len(const struct sockaddr *sa);
uint16_t cm_sockaddr_port(const struct sockaddr *sa);
void cm_sockaddr_set_port(struct sockaddr *sa, uint16_t port);
bool cm_sockaddr_any(const struct sockaddr *sa);
/* 127.0.0.0/8 or ::1 */
bool cm_sockaddr_loopback(const struct sockaddr *sa);
/* The IPv4-mapped or IPv6 GID of an address. */
void cm_sockaddr_gid(const struct sockaddr *sa, union ibv_gid *gid);
void cm_gid_sockaddr(const union ibv_gid *gid, uint16_t port,
		     struct sockaddr_storage *ss);

/* ---- route.c ---- */
struct cm_ns *cm_ns_get(void);
struct cm_ns *cm_ns_first(void);
/*
 * Opens the caller namespace's devices not opened yet: always if @force,
 * else only when the netlink monitor saw a change since the last listing.
 */
void cm_ns_refresh_devs(struct cm_ns *ns, bool force);
/*
 * Finds the device, GID index and ifindex serving local address @src,
 * preferring one on @oif. Returns 0 or -ENODEV.
 */
/*
 * The route from @src to @dst (@family's addresses), as rtnl_get_route,
 * remembered for CM_ROUTE_CACHE_MS or until the netlink monitor fires.
 */
int cm_ns_route(struct cm_ns *ns, int family, const void *dst, const void *src,
		struct rtnl_route *rt);
int cm_dev_for_addr(struct cm_ns *ns, const struct sockaddr *src, int oif,
		    struct cm_dev **dev, uint8_t *gid_index, int *ifindex);
/*
 * Resolves the route from the ID's source (if bound) to @dst: fills the
 * source address, device and GID index. Returns 0 or a negative errno.
 */
int cm_route_to(struct cm_id *cid, const struct sockaddr *dst);
void cm_fill_path(struct cm_id *cid);
struct ibv_pd *cm_dev_pd(struct cm_dev *dev);
/* Gives @cid device @dev: id->verbs, port and (unless set) id->pd. */
int cm_id_use_dev(struct cm_id *cid, struct cm_dev *dev);
/* Re-checks every ID of @ns against its addresses (monitor fired). */
void cm_ns_changed(struct cm_ns *ns);
/* Closes the devices that no ID uses any more (the library's destructor). */
void cm_ns_close_devs(void);

/* ---- sock.c ---- */
/* Binds a socket of the ID's own at @addr (port 0: ephemeral). */
int cm_sock_bind(struct cm_id *cid, struct sockaddr *addr);
/* The namespace's shared socket for active IDs of @family. */
struct cm_sock *cm_sock_shared(struct cm_ns *ns, int family);
void cm_sock_close(struct cm_sock *s);
/* Sends a 256-byte message from @cid's socket and source to its peer. */
int cm_send(struct cm_id *cid, const uint8_t *buf);
/* Sends a reply to a datagram that matched no ID. */
void cm_send_to(struct cm_sock *s, const struct sockaddr_storage *to,
		const uint8_t *buf);
void cm_sock_drain(struct cm_sock *s);
/*
 * Points @n recvmmsg entries at @n buffers of @buf_len bytes in @bufs,
 * sources @from and, if @cbufs, control buffers of @cbuf_len bytes.
 */
void cm_rx_batch_init(struct mmsghdr *msgs, struct iovec *iov, int n,
		      void *bufs, size_t buf_len, struct sockaddr_storage *from,
		      void *cbufs, size_t cbuf_len);
/* Frees closed sockets; CM thread only, between epoll batches. */
void cm_sock_reap(void);
void cm_sock_errqueue(struct cm_sock *s);
/* v4-mapped IPv6 addresses (of a dual-stack socket) become plain IPv4. */
void cm_sockaddr_unmap(struct sockaddr_storage *ss);
extern uint64_t cm_rx_drops;
/* ICMP errors that named none of our messages, so were not acted on. */
extern uint64_t cm_icmp_ignored;

/* ---- cm_thread.c ---- */
/* Starts the CM thread if needed; 0 or a negative errno. */
int cm_thread_start(void);
int cm_thread_add_fd(int fd, void *ptr, uint32_t events);
void cm_thread_del_fd(int fd);
/* Wakes the thread so that it re-reads the timers. */
void cm_thread_kick(void);
bool cm_in_thread(void);
/* A forked child of a process whose CM thread runs (it has none). */
bool cm_forked_child(void);
/* Stops and joins the CM thread (the library's destructor). */
void cm_thread_stop(void);

/* ---- conn.c ---- */
/*
 * A child of @listener for a request from @from whose IP header is @h:
 * addresses, device and path; NULL (nothing to answer) on failure.
 */
struct cm_id *cm_child_new(struct cm_id *listener,
			   const struct sockaddr_storage *from,
			   const struct cm_ip_hdr *h, enum ibv_qp_type qpt);
/* A passive ID for the request @remote_id from @from (IP and port), or NULL. */
struct cm_id *cm_find_passive(const struct sockaddr_storage *from,
			      uint32_t remote_id);
bool cm_same_ip(const struct sockaddr_storage *a,
		const struct sockaddr_storage *b);
void cm_recv(struct cm_sock *s, const struct sockaddr_storage *from,
	     const struct cm_msg *m, const uint8_t *raw);
void cm_timeout(struct cm_id *cid);
/* The peer's UDP port refused a message of @cid (ICMP). */
void cm_unreachable(struct cm_id *cid);
/* Protocol side of rdma_destroy_id: REJ, DREQ or DREP as needed. */
void cm_conn_destroy(struct cm_id *cid);
void cm_arm(struct cm_id *cid, unsigned int ms);
void cm_disarm(struct cm_id *cid);
int cm_new_comm_id(uint32_t *id);
void cm_fill_ah_attr(struct cm_id *cid, struct ibv_ah_attr *ah,
		     const union ibv_gid *dgid);
/*
 * Encodes @m from @cid into @buf and, if @keep, keeps it for resending or
 * repeating. 0, or -1 if it does not encode (nothing kept).
 */
int cm_msg_prepare(struct cm_id *cid, struct cm_msg *m, uint8_t *buf,
		   bool keep);
/* Requests dropped, and half-open connections given up, for room. */
extern uint64_t cm_req_drops, cm_req_evicted;
/*
 * Whether @listener has room for one more half-open child; gives up the
 * oldest one whose REP went unanswered for CM_HALF_OPEN_EVICT_MS if that
 * makes room. A request that finds none is dropped and counted.
 */
bool cm_half_open_room(struct cm_id *listener);
/* Takes @cid out of its listener's half-open list, or a listener's all. */
void cm_half_open_forget(struct cm_id *cid);
/* Whether @listener, listening, serves the REQ or SIDR_REQ @service_id. */
bool cm_listener_serves(struct cm_id *listener, uint64_t service_id);
/*
 * Queues @child's CONNECT_REQUEST with the user's part @pdata of the
 * request; on failure drops the child. Returns the event or NULL.
 */
struct cm_evt *cm_child_request(struct cm_id *listener, struct cm_id *child,
				const void *pdata, size_t len);
/*
 * What REQ and SIDR_REQ share: addresses @m from @cid to its resolved
 * peer (made @cid's peer) and fills its private data, @len long, with the
 * IP header and @param's.
 */
void cm_req_fill(struct cm_id *cid, const struct rdma_conn_param *param,
		 struct cm_msg *m, uint8_t len);

/* ---- qp.c ---- */
int cm_qp_init_attr(struct cm_id *cid, struct ibv_qp_attr *attr, int *mask,
		    enum ibv_qp_state state);
int cm_qp_modify(struct cm_id *cid, enum ibv_qp_state state);
/* Moves the ID's QP from INIT through RTR to RTS; 0 or an errno. */
int cm_qp_to_rts(struct cm_id *cid);

/* ---- ud.c ---- */
void cm_sidr_req_recv(struct cm_sock *s, const struct sockaddr_storage *from,
		      const struct cm_msg *m, struct cm_id *listener);
void cm_sidr_rep_recv(const struct sockaddr_storage *from,
		      const struct cm_msg *m);
int cm_sidr_connect(struct cm_id *cid, struct rdma_conn_param *param);
int cm_sidr_accept(struct cm_id *cid, struct rdma_conn_param *param);
int cm_sidr_reject(struct cm_id *cid, const void *pdata, uint8_t len);
void cm_mc_leave_all(struct cm_id *cid);
void cm_mc_attach_all(struct cm_id *cid);

/* ---- cm_roce.c: the wire-compatible transport ---- */
/* UROCE_WIRE=roce, or "wire roce" in uroce.conf. */
bool cm_roce_wanted(void);
/*
 * In the wire-compatible mode, joins @cid's namespace to port 4791 if
 * needed and gives @cid a communication ID of its tag. 0 or -errno.
 */
int cm_roce_prepare(struct cm_id *cid);
/*
 * rdma_listen: the group steers the service's requests here. Returns once
 * its program does, releasing cm_lock meanwhile; 0 or -errno (ETIMEDOUT).
 */
int cm_roce_listen(struct cm_id *cid);
/*
 * rdma_destroy_id: no longer. Returns the group to wait for, once cm_lock
 * is released, with cm_roce_settle, or NULL.
 */
struct cm_roce *cm_roce_unlisten(struct cm_id *cid);
void cm_roce_settle(struct cm_roce *r);
/* Sends the MAD @mad to @to's IP at port 4791, from @src (or the route's). */
void cm_roce_send(struct cm_ns *ns, const struct sockaddr_storage *to,
		  const struct sockaddr *src, const uint8_t *mad);
void cm_roce_drain(struct cm_sock *s);
void cm_roce_run(struct cm_roce *r);
/* The library's destructor, once the CM thread is gone. */
void cm_roce_leave_all(void);
/* The group timers: runs the due ones; min of @timeout and the next. */
int cm_roce_timeout(int timeout);
/* The listener of @s for @service_id (roce: of the datagram's address). */
struct cm_id *cm_sock_listener(struct cm_sock *s, uint64_t service_id);
/* RoCE v2 CM datagrams whose ICRC was wrong (also in cm_rx_drops). */
extern uint64_t cm_roce_icrc_errors;

/* ---- cm_ep.c ---- */
int cm_ep_start(void);
void cm_ep_serve(void);

#endif /* UROCE_CMA_H */
