// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Event channels, CM IDs and their events, binding, listening, options:
 * the parts of the API that do not speak to a peer.
 *
 * An event channel's fd is an eventfd that is readable exactly while the
 * channel's queue holds events: the first event queued writes it, taking
 * the last one off reads it. rdma_get_cm_event() therefore works with
 * poll, epoll and O_NONBLOCK. A synchronous ID (no channel) gets a private
 * channel, and its calls wait there for their own result.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "librdmacm/cma.h"
#include "util/log.h"
#include "util/random.h"

pthread_mutex_t cm_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t cm_cond = PTHREAD_COND_INITIALIZER;

#define CM_HASH_SIZE 4096

static struct cm_id *cm_ids; /* every ID, newest first */
static struct cm_id *cm_hash[CM_HASH_SIZE];
/* Passive IDs by their peer's communication ID, for repeated requests. */
static struct cm_id *cm_phash[CM_HASH_SIZE];

uint64_t cm_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *const state_names[CMS_NSTATES] = {
	[CMS_IDLE] = "IDLE",
	[CMS_ADDR_BOUND] = "ADDR_BOUND",
	[CMS_ADDR_RESOLVED] = "ADDR_RESOLVED",
	[CMS_ROUTE_RESOLVED] = "ROUTE_RESOLVED",
	[CMS_LISTEN] = "LISTEN",
	[CMS_REQ_SENT] = "REQ_SENT",
	[CMS_REQ_RCVD] = "REQ_RCVD",
	[CMS_REP_SENT] = "REP_SENT",
	[CMS_REP_RCVD] = "REP_RCVD",
	[CMS_ESTABLISHED] = "ESTABLISHED",
	[CMS_DREQ_SENT] = "DREQ_SENT",
	[CMS_DREQ_RCVD] = "DREQ_RCVD",
	[CMS_TIMEWAIT] = "TIMEWAIT",
	[CMS_DISCONNECTED] = "DISCONNECTED",
	[CMS_UD_DONE] = "UD_DONE",
};

const char *cm_state_str(enum cm_state s)
{
	return s < CMS_NSTATES ? state_names[s] : "?";
}

/* ---- addresses ---- */

int cm_sockaddr_len(const struct sockaddr *sa)
{
	switch (sa->sa_family) {
	case AF_INET:
		return sizeof(struct sockaddr_in);
	case AF_INET6:
		return sizeof(struct sockaddr_in6);
	}
	return 0;
}

uint16_t cm_sockaddr_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return 0;
}

void cm_sockaddr_set_port(struct sockaddr *sa, uint16_t port)
{
	if (sa->sa_family == AF_INET)
		((struct sockaddr_in *)sa)->sin_port = htons(port);
	else if (sa->sa_family == AF_INET6)
		((struct sockaddr_in6 *)sa)->sin6_port = htons(port);
}

bool cm_sockaddr_any(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ((const struct sockaddr_in *)sa)->sin_addr.s_addr ==
		       htonl(INADDR_ANY);
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(
			&((const struct sockaddr_in6 *)sa)->sin6_addr);
	return true;
}

bool cm_sockaddr_loopback(const struct sockaddr *sa)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

	if (sa->sa_family == AF_INET)
		return ntohl(sin->sin_addr.s_addr) >> 24 == IN_LOOPBACKNET;
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(
			&((const struct sockaddr_in6 *)sa)->sin6_addr);
	return false;
}

void cm_sockaddr_gid(const struct sockaddr *sa, union ibv_gid *gid)
{
	memset(gid, 0, sizeof(*gid));
	if (sa->sa_family == AF_INET) {
		gid->raw[10] = 0xff;
		gid->raw[11] = 0xff;
		memcpy(gid->raw + 12,
		       &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		memcpy(gid->raw, &((const struct sockaddr_in6 *)sa)->sin6_addr,
		       16);
	}
}

void cm_gid_sockaddr(const union ibv_gid *gid, uint16_t port,
		     struct sockaddr_storage *ss)
{
	static const uint8_t v4map[12] = { [10] = 0xff, [11] = 0xff };

	memset(ss, 0, sizeof(*ss));
	if (!memcmp(gid->raw, v4map, 12)) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, gid->raw + 12, 4);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		memcpy(&sin6->sin6_addr, gid->raw, 16);
	}
}

/* ---- channels ---- */

static struct cm_chan *chan_alloc(bool internal)
{
	struct cm_chan *chan = calloc(1, sizeof(*chan));

	if (!chan)
		return NULL;
	chan->ch.fd = eventfd(0, EFD_CLOEXEC);
	if (chan->ch.fd < 0) {
		free(chan);
		return NULL;
	}
	chan->internal = internal;
	return chan;
}

static void chan_push(struct cm_chan *chan, struct cm_evt *ev)
{
	uint64_t one = 1;

	ev->next = NULL;
	if (chan->tail) {
		chan->tail->next = ev;
	} else {
		chan->head = ev;
		/* empty -> pending: the fd becomes readable */
		if (write(chan->ch.fd, &one, sizeof(one)) != sizeof(one))
			uroce_warn("rdmacm: event channel write: %s",
				   strerror(errno));
	}
	chan->tail = ev;
	pthread_cond_broadcast(&cm_cond);
}

static void chan_unlink(struct cm_chan *chan, struct cm_evt *ev,
			struct cm_evt *prev)
{
	uint64_t v;

	if (prev)
		prev->next = ev->next;
	else
		chan->head = ev->next;
	if (chan->tail == ev)
		chan->tail = prev;
	/* pending -> empty: drain the counter (it is > 0, so no block) */
	if (!chan->head && read(chan->ch.fd, &v, sizeof(v)) != sizeof(v))
		uroce_warn("rdmacm: event channel read: %s", strerror(errno));
}

static struct cm_evt *chan_pop(struct cm_chan *chan)
{
	struct cm_evt *ev = chan->head;

	if (ev)
		chan_unlink(chan, ev, NULL);
	return ev;
}

static void id_retrieved(struct cm_evt *ev)
{
	struct cm_id *owner = ev->owner;
	struct cm_chan *chan;

	ev->acct->ev_reported++;
	if (ev->ev.event != RDMA_CM_EVENT_CONNECT_REQUEST || !owner->listen)
		return;
	/* A synchronous listener's children are synchronous too. */
	if (owner->listen->sync) {
		chan = chan_alloc(true);
		if (chan) {
			owner->chan = chan;
			owner->id.channel = &chan->ch;
			owner->sync = true;
		}
	}
	owner->listen->pending--;
	owner->listen = NULL;
}

static void destroy_child(struct cm_id *child);

/*
 * Removes @cid's queued events from @chan. Events whose child ID the
 * user never saw take the child with them.
 */
static void chan_flush_id(struct cm_chan *chan, struct cm_id *cid)
{
	struct cm_evt *ev, *prev = NULL, *next;

	if (!chan)
		return;
	for (ev = chan->head; ev; ev = next) {
		next = ev->next;
		if (ev->owner != cid &&
		    !(ev->ev.listen_id == &cid->id &&
		      ev->ev.event == RDMA_CM_EVENT_CONNECT_REQUEST)) {
			prev = ev;
			continue;
		}
		chan_unlink(chan, ev, prev);
		if (ev->owner != cid)
			destroy_child(ev->owner);
		free(ev);
	}
}

/*
 * No thread of the library outlives it: at exit or unload, stop the CM
 * thread, then close the devices it opened (their providers' threads end).
 */
static void __attribute__((destructor)) cm_fini(void)
{
	cm_thread_stop();
	cm_ns_close_devs();
	/* Nobody reads the port any more: leave its group. */
	if (!cm_forked_child() && !cm_in_thread())
		cm_roce_leave_all();
}

struct rdma_event_channel *rdma_create_event_channel(void)
{
	struct cm_chan *chan;
	int ret;

	ret = cm_thread_start();
	if (ret) {
		errno = -ret;
		return NULL;
	}
	chan = chan_alloc(false);
	return chan ? &chan->ch : NULL;
}

/*
 * Dead channels are freed only after CHAN_QUARANTINE more have died and
 * when no caller is inside: an application may call rdma_get_cm_event
 * on a channel another of its threads just destroyed (rping's event
 * thread is never joined). With rdma-core that reads freed memory and
 * fails on the closed descriptor; here it finds the channel dead and
 * blocks for good, as a caller already inside does.
 */
#define CHAN_QUARANTINE 64

static struct cm_chan *dead_head, **dead_tail = &dead_head;
static unsigned int dead_count;

/* Retires @chan, cm_lock held; frees the oldest idle ones past the bound. */
static void chan_retire(struct cm_chan *chan)
{
	struct cm_chan **pp = &dead_head, *c;

	chan->dead = true;
	chan->next_dead = NULL;
	*dead_tail = chan;
	dead_tail = &chan->next_dead;
	dead_count++;
	while (dead_count > CHAN_QUARANTINE && (c = *pp)) {
		if (c->waiters) {
			pp = &c->next_dead;
			continue;
		}
		*pp = c->next_dead;
		if (dead_tail == &c->next_dead)
			dead_tail = pp;
		dead_count--;
		free(c);
	}
}

void rdma_destroy_event_channel(struct rdma_event_channel *channel)
{
	struct cm_chan *chan = (struct cm_chan *)channel;
	struct cm_evt *ev;
	struct cm_id *cid;

	if (!channel)
		return;
	pthread_mutex_lock(&cm_lock);
	while ((ev = chan_pop(chan))) {
		if (ev->ev.event == RDMA_CM_EVENT_CONNECT_REQUEST &&
		    ev->owner->listen)
			destroy_child(ev->owner);
		free(ev);
	}
	for (cid = cm_ids; cid; cid = cid->next)
		if (cid->chan == chan)
			cid->chan = NULL;
	/* A thread waiting in rdma_get_cm_event wakes and finds it dead. */
	eventfd_write(chan->ch.fd, 1);
	close(chan->ch.fd);
	chan_retire(chan);
	pthread_mutex_unlock(&cm_lock);
}

/* ---- events ---- */

struct cm_evt *cm_event(struct cm_id *cid, enum rdma_cm_event_type type,
			int status, const void *pdata, size_t pdata_len)
{
	struct cm_evt *ev;

	if (cid->destroyed || !cid->chan)
		return NULL;
	ev = calloc(1, sizeof(*ev));
	if (!ev) {
		uroce_err("rdmacm: out of memory, event %s lost",
			  rdma_event_str(type));
		return NULL;
	}
	ev->owner = cid;
	ev->acct = cid;
	ev->ev.id = &cid->id;
	ev->ev.event = type;
	ev->ev.status = status;
	if (pdata_len > sizeof(ev->pdata))
		pdata_len = sizeof(ev->pdata);
	if (pdata && pdata_len) {
		memcpy(ev->pdata, pdata, pdata_len);
		ev->ev.param.conn.private_data = ev->pdata;
		ev->ev.param.conn.private_data_len = (uint8_t)pdata_len;
	}
	chan_push(cid->chan, ev);
	return ev;
}

/*
 * A caller whose channel was destroyed under it: with rdma-core it stays
 * blocked in the kernel for good (the file lives on until it returns), and
 * an application such as rping exits if it returns an error. So it does.
 */
static void __attribute__((noreturn)) wait_forever(void)
{
	for (;;)
		pause();
}

int rdma_get_cm_event(struct rdma_event_channel *channel,
		      struct rdma_cm_event **event)
{
	struct cm_chan *chan = (struct cm_chan *)channel;
	struct cm_evt *ev = NULL;
	struct pollfd pfd;
	int flags, err = 0;

	if (!channel || !event) {
		errno = EINVAL;
		return -1;
	}
	pthread_mutex_lock(&cm_lock);
	chan->waiters++;
	while (!chan->dead && !(ev = chan_pop(chan))) {
		pfd.fd = channel->fd;
		pthread_mutex_unlock(&cm_lock);
		err = 0;
		flags = fcntl(pfd.fd, F_GETFL);
		if (flags < 0)
			err = errno;
		else if (flags & O_NONBLOCK)
			err = EAGAIN;
		pfd.events = POLLIN;
		if (!err && poll(&pfd, 1, -1) < 0 && errno != EINTR)
			err = errno;
		pthread_mutex_lock(&cm_lock);
		if (err)
			break;
	}
	chan->waiters--;
	if (chan->dead) {
		pthread_mutex_unlock(&cm_lock);
		wait_forever();
	}
	if (err) {
		pthread_mutex_unlock(&cm_lock);
		errno = err;
		return -1;
	}
	id_retrieved(ev);
	pthread_mutex_unlock(&cm_lock);
	*event = &ev->ev;
	return 0;
}

/* Acks @ev with cm_lock held. */
static void ack_locked(struct cm_evt *ev)
{
	ev->acct->ev_acked++;
	pthread_cond_broadcast(&cm_cond);
	free(ev);
}

int rdma_ack_cm_event(struct rdma_cm_event *event)
{
	if (!event) {
		errno = EINVAL;
		return -1;
	}
	pthread_mutex_lock(&cm_lock);
	ack_locked((struct cm_evt *)event);
	pthread_mutex_unlock(&cm_lock);
	return 0;
}

int cm_sync_wait(struct cm_id *cid)
{
	struct cm_evt *ev;
	int st;

	if (cid->id.event) {
		ack_locked((struct cm_evt *)cid->id.event);
		cid->id.event = NULL;
	}
	while (!(ev = chan_pop(cid->chan)))
		pthread_cond_wait(&cm_cond, &cm_lock);
	id_retrieved(ev);
	cid->id.event = &ev->ev;
	st = ev->ev.status;
	if (!st) {
		switch (ev->ev.event) {
		case RDMA_CM_EVENT_ADDR_ERROR:
		case RDMA_CM_EVENT_ROUTE_ERROR:
		case RDMA_CM_EVENT_CONNECT_ERROR:
		case RDMA_CM_EVENT_UNREACHABLE:
		case RDMA_CM_EVENT_MULTICAST_ERROR:
			errno = EIO;
			return -1;
		default:
			return 0;
		}
	}
	if (ev->ev.event == RDMA_CM_EVENT_REJECTED)
		errno = ECONNREFUSED;
	else
		errno = st < 0 ? -st : st;
	return -1;
}

const char *rdma_event_str(enum rdma_cm_event_type event)
{
	switch (event) {
	case RDMA_CM_EVENT_ADDR_RESOLVED:
		return "RDMA_CM_EVENT_ADDR_RESOLVED";
	case RDMA_CM_EVENT_ADDR_ERROR:
		return "RDMA_CM_EVENT_ADDR_ERROR";
	case RDMA_CM_EVENT_ROUTE_RESOLVED:
		return "RDMA_CM_EVENT_ROUTE_RESOLVED";
	case RDMA_CM_EVENT_ROUTE_ERROR:
		return "RDMA_CM_EVENT_ROUTE_ERROR";
	case RDMA_CM_EVENT_CONNECT_REQUEST:
		return "RDMA_CM_EVENT_CONNECT_REQUEST";
	case RDMA_CM_EVENT_CONNECT_RESPONSE:
		return "RDMA_CM_EVENT_CONNECT_RESPONSE";
	case RDMA_CM_EVENT_CONNECT_ERROR:
		return "RDMA_CM_EVENT_CONNECT_ERROR";
	case RDMA_CM_EVENT_UNREACHABLE:
		return "RDMA_CM_EVENT_UNREACHABLE";
	case RDMA_CM_EVENT_REJECTED:
		return "RDMA_CM_EVENT_REJECTED";
	case RDMA_CM_EVENT_ESTABLISHED:
		return "RDMA_CM_EVENT_ESTABLISHED";
	case RDMA_CM_EVENT_DISCONNECTED:
		return "RDMA_CM_EVENT_DISCONNECTED";
	case RDMA_CM_EVENT_DEVICE_REMOVAL:
		return "RDMA_CM_EVENT_DEVICE_REMOVAL";
	case RDMA_CM_EVENT_MULTICAST_JOIN:
		return "RDMA_CM_EVENT_MULTICAST_JOIN";
	case RDMA_CM_EVENT_MULTICAST_ERROR:
		return "RDMA_CM_EVENT_MULTICAST_ERROR";
	case RDMA_CM_EVENT_ADDR_CHANGE:
		return "RDMA_CM_EVENT_ADDR_CHANGE";
	case RDMA_CM_EVENT_TIMEWAIT_EXIT:
		return "RDMA_CM_EVENT_TIMEWAIT_EXIT";
	}
	return "UNKNOWN EVENT";
}

/* ---- IDs ---- */

/*
 * Random and unique while the process lives: a party that saw one ID
 * learns nothing of the next, so a REP, REJ or DREQ forged from another
 * port or host names no live connection (IB CM needs IDs only unique).
 */
int cm_new_comm_id(uint32_t *id)
{
	int ret;

	do {
		ret = uroce_random(id, sizeof(*id));
		if (ret)
			return ret;
	} while (!*id || cm_id_find(*id));
	return 0;
}

void cm_id_hash(struct cm_id *cid)
{
	struct cm_id **b = &cm_hash[cid->local_id % CM_HASH_SIZE];

	if (cid->in_hash)
		return;
	cid->hnext = *b;
	*b = cid;
	cid->in_hash = true;
}

static void id_unhash(struct cm_id *cid)
{
	struct cm_id **p = &cm_hash[cid->local_id % CM_HASH_SIZE];

	if (!cid->in_hash)
		return;
	while (*p && *p != cid)
		p = &(*p)->hnext;
	if (*p)
		*p = cid->hnext;
	cid->in_hash = false;
}

void cm_id_set_local(struct cm_id *cid, uint32_t id)
{
	bool hashed = cid->in_hash;

	id_unhash(cid);
	cid->local_id = id;
	if (hashed)
		cm_id_hash(cid);
}

void cm_passive_hash(struct cm_id *cid)
{
	struct cm_id **b = &cm_phash[cid->remote_id % CM_HASH_SIZE];

	if (cid->in_phash)
		return;
	cid->phnext = *b;
	*b = cid;
	cid->in_phash = true;
}

static void id_unphash(struct cm_id *cid)
{
	struct cm_id **p = &cm_phash[cid->remote_id % CM_HASH_SIZE];

	if (!cid->in_phash)
		return;
	while (*p && *p != cid)
		p = &(*p)->phnext;
	if (*p)
		*p = cid->phnext;
	cid->in_phash = false;
}

struct cm_id *cm_find_passive(const struct sockaddr_storage *from,
			      uint32_t remote_id)
{
	struct cm_id *cid;

	/* A resent request comes from the same IP and UDP port. */
	for (cid = cm_phash[remote_id % CM_HASH_SIZE]; cid; cid = cid->phnext)
		if (cid->remote_id == remote_id &&
		    cm_same_ip(&cid->peer, from) &&
		    cm_sockaddr_port((const struct sockaddr *)&cid->peer) ==
			    cm_sockaddr_port((const struct sockaddr *)from))
			return cid;
	return NULL;
}

struct cm_id *cm_id_find(uint32_t local_id)
{
	struct cm_id *cid;

	for (cid = cm_hash[local_id % CM_HASH_SIZE]; cid; cid = cid->hnext)
		if (cid->local_id == local_id)
			return cid;
	return NULL;
}

struct cm_id *cm_id_first(void)
{
	return cm_ids;
}

struct cm_id *cm_id_alloc(struct cm_chan *chan, void *context,
			  enum rdma_port_space ps, enum ibv_qp_type qpt)
{
	struct cm_id *cid = calloc(1, sizeof(*cid));

	if (!cid)
		return NULL;
	cid->id.context = context;
	cid->id.ps = ps;
	cid->id.qp_type = qpt;
	cid->chan = chan;
	cid->id.channel = chan ? &chan->ch : NULL;
	cid->afonly = 0;
	if (cm_new_comm_id(&cid->local_id)) {
		free(cid);
		errno = ENOMEM;
		return NULL;
	}
	cid->next = cm_ids;
	if (cm_ids)
		cm_ids->prev = cid;
	cm_ids = cid;
	cm_id_hash(cid);
	return cid;
}

static void id_free(struct cm_id *cid)
{
	id_unhash(cid);
	id_unphash(cid);
	cm_half_open_forget(cid);
	if (cid->prev)
		cid->prev->next = cid->next;
	else
		cm_ids = cid->next;
	if (cid->next)
		cid->next->prev = cid->prev;
	if (cid->sync && cid->chan) {
		struct cm_evt *ev;

		while ((ev = chan_pop(cid->chan)))
			free(ev);
		close(cid->chan->ch.fd);
		free(cid->chan);
	}
	free(cid);
}

void cm_id_maybe_free(struct cm_id *cid)
{
	if (cid->destroyed && !cid->deadline)
		id_free(cid);
}

/* A child the user never saw: refuse its peer and drop it. */
static void destroy_child(struct cm_id *child)
{
	child->listen->pending--;
	child->listen = NULL;
	child->destroyed = true;
	cm_conn_destroy(child);
	cm_id_maybe_free(child);
}

int rdma_create_id(struct rdma_event_channel *channel, struct rdma_cm_id **id,
		   void *context, enum rdma_port_space ps)
{
	enum ibv_qp_type qpt;

	switch (ps) {
	case RDMA_PS_TCP:
	case RDMA_PS_IB:
		qpt = IBV_QPT_RC;
		break;
	case RDMA_PS_UDP:
	case RDMA_PS_IPOIB:
		qpt = IBV_QPT_UD;
		break;
	default:
		errno = EINVAL;
		return -1;
	}
	return cm_create_id(channel, id, context, ps, qpt);
}

int cm_create_id(struct rdma_event_channel *channel, struct rdma_cm_id **id,
		 void *context, enum rdma_port_space ps, enum ibv_qp_type qpt)
{
	struct cm_chan *chan = (struct cm_chan *)channel;
	struct cm_ns *ns;
	struct cm_id *cid;
	int ret;

	if (!id) {
		errno = EINVAL;
		return -1;
	}
	ret = cm_thread_start();
	if (ret) {
		errno = -ret;
		return -1;
	}
	if (!chan) {
		chan = chan_alloc(true);
		if (!chan)
			return -1;
	}
	pthread_mutex_lock(&cm_lock);
	ns = cm_ns_get();
	if (!ns) {
		ret = errno;
		goto err;
	}
	cid = cm_id_alloc(chan, context, ps, qpt);
	if (!cid) {
		ret = ENOMEM;
		goto err;
	}
	cid->sync = !channel;
	cid->ns = ns;
	pthread_mutex_unlock(&cm_lock);
	*id = &cid->id;
	return 0;
err:
	pthread_mutex_unlock(&cm_lock);
	if (!channel) {
		close(chan->ch.fd);
		free(chan);
	}
	errno = ret;
	return -1;
}

int rdma_destroy_id(struct rdma_cm_id *id)
{
	struct cm_id *cid = to_cm_id(id);
	struct cm_roce *unlistened;

	if (cm_lock_id(id))
		return -1;
	if (cid->id.event) {
		ack_locked((struct cm_evt *)cid->id.event);
		cid->id.event = NULL;
	}
	chan_flush_id(cid->chan, cid);
	/* The user may still hold events of this ID: wait for their acks. */
	while (cid->ev_acked != cid->ev_reported)
		pthread_cond_wait(&cm_cond, &cm_lock);
	cid->destroyed = true;
	cm_mc_leave_all(cid);
	/* Its half-open children live on without it. */
	if (cid->ho_head)
		cm_half_open_forget(cid);
	unlistened = cm_roce_unlisten(cid);
	if (cid->sock && cid->sock->listener == cid)
		cid->sock->listener = NULL;
	if (cid->own_sock) {
		cm_sock_close(cid->sock);
		cid->own_sock = false;
		/* Lingering DREQ/DREP go out of the namespace's socket. */
		cid->sock = cm_sock_shared(
			cid->ns, cid->id.route.addr.src_addr.sa_family);
	}
	cm_conn_destroy(cid);
	cm_id_maybe_free(cid);
	pthread_mutex_unlock(&cm_lock);
	/* Returns once the group no longer steers the service here. */
	cm_roce_settle(unlistened);
	return 0;
}

int rdma_bind_addr(struct rdma_cm_id *id, struct sockaddr *addr)
{
	struct cm_id *cid = to_cm_id(id);
	struct cm_dev *dev;
	int ret = 0, len;

	if (!id || !addr) {
		errno = EINVAL;
		return -1;
	}
	if (addr->sa_family == AF_IB) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	len = cm_sockaddr_len(addr);
	if (!len) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	pthread_mutex_lock(&cm_lock);
	if (cid->state != CMS_IDLE) {
		ret = EINVAL;
		goto out;
	}
	cm_ns_refresh_devs(cid->ns, false);
	ret = -cm_sock_bind(cid, addr);
	if (ret)
		goto out;
	/*
	 * As the kernel's CM does, a loopback address binds no device (as
	 * the wildcard): the device comes with the peer, at resolution or
	 * with a request. libfabric's verbs provider relies on it when it
	 * probes "localhost" for its default addresses.
	 */
	if (!cm_sockaddr_any(addr) && !cm_sockaddr_loopback(addr)) {
		ret = cm_dev_for_addr(cid->ns, addr, 0, &dev, &cid->gid_index,
				      &cid->ifindex);
		if (ret) {
			/* maybe a netdev the monitor has not reported yet */
			cm_ns_refresh_devs(cid->ns, true);
			ret = cm_dev_for_addr(cid->ns, addr, 0, &dev,
					      &cid->gid_index, &cid->ifindex);
		}
		if (!ret)
			ret = cm_id_use_dev(cid, dev);
		if (ret) {
			cm_sock_close(cid->sock);
			cid->sock = NULL;
			cid->own_sock = false;
			ret = -ret;
			goto out;
		}
		cm_sockaddr_gid(addr, &id->route.addr.addr.ibaddr.sgid);
	}
	memcpy(&id->route.addr.src_storage, addr, len);
	cm_sockaddr_set_port(&id->route.addr.src_addr, cid->sock->port);
	id->route.addr.addr.ibaddr.pkey = htobe16(0xffff);
	cid->bound = true;
	cid->state = CMS_ADDR_BOUND;
out:
	return cm_unlock_ret(ret);
}

int rdma_listen(struct rdma_cm_id *id, int backlog)
{
	struct cm_id *cid = to_cm_id(id);
	struct sockaddr_in any = { .sin_family = AF_INET };
	struct cm_id *old;
	int ret = 0;

	if (!id) {
		errno = EINVAL;
		return -1;
	}
	if (cid->state == CMS_IDLE && rdma_bind_addr(id, (void *)&any))
		return -1;
	pthread_mutex_lock(&cm_lock);
	if (cid->state != CMS_ADDR_BOUND || !cid->own_sock) {
		ret = EINVAL;
		goto out;
	}
	/* Children resolve their devices from the CM thread: open now. */
	cm_ns_refresh_devs(cid->ns, false);
	cid->backlog = backlog > 0 && backlog < CM_DEFAULT_BACKLOG ?
			       backlog :
			       CM_DEFAULT_BACKLOG;
	/* Live before the group steers to it: the wait releases cm_lock. */
	old = cid->sock->listener;
	cid->sock->listener = cid;
	cid->state = CMS_LISTEN;
	ret = -cm_roce_listen(cid);
	if (ret) {
		cid->sock->listener = old;
		cid->state = CMS_ADDR_BOUND;
	}
out:
	return cm_unlock_ret(ret);
}

/* REUSEADDR and AFONLY: an int, which only matters before the bind. */
static int set_bind_flag(struct cm_id *cid, int *flag, const void *optval,
			 size_t optlen)
{
	if (optlen != sizeof(int) || cid->state != CMS_IDLE)
		return EINVAL;
	*flag = *(const int *)optval ? 1 : 0;
	return 0;
}

int rdma_set_option(struct rdma_cm_id *id, int level, int optname, void *optval,
		    size_t optlen)
{
	struct cm_id *cid = to_cm_id(id);
	int ret = 0;

	if (!id || !optval) {
		errno = EINVAL;
		return -1;
	}
	if (level == RDMA_OPTION_IB) {
		/* No SA: path records cannot be imposed. */
		errno = optname == RDMA_OPTION_IB_PATH ? EINVAL : ENOSYS;
		return -1;
	}
	if (level != RDMA_OPTION_ID) {
		errno = ENOSYS;
		return -1;
	}
	pthread_mutex_lock(&cm_lock);
	switch (optname) {
	case RDMA_OPTION_ID_TOS:
		if (optlen != sizeof(uint8_t)) {
			ret = EINVAL;
			break;
		}
		cid->tos = *(uint8_t *)optval;
		cid->tos_set = true;
		break;
	case RDMA_OPTION_ID_REUSEADDR:
		ret = set_bind_flag(cid, &cid->reuseaddr, optval, optlen);
		break;
	case RDMA_OPTION_ID_AFONLY:
		ret = set_bind_flag(cid, &cid->afonly, optval, optlen);
		break;
	case RDMA_OPTION_ID_ACK_TIMEOUT:
		if (optlen != sizeof(uint8_t)) {
			ret = EINVAL;
			break;
		}
		cid->ack_timeout = *(uint8_t *)optval;
		if (cid->ack_timeout > 31)
			cid->ack_timeout = 31;
		cid->ack_timeout_set = true;
		break;
	default:
		ret = ENOSYS;
	}
	return cm_unlock_ret(ret);
}

int rdma_migrate_id(struct rdma_cm_id *id, struct rdma_event_channel *channel)
{
	struct cm_chan *chan = (struct cm_chan *)channel, *old;
	struct cm_evt *ev, *prev = NULL, *next;
	bool sync = !channel;

	struct cm_id *cid = to_cm_id(id);

	/* A synchronous ID already is as synchronous as it gets. */
	if (!id || (cid->sync && !channel)) {
		errno = EINVAL;
		return -1;
	}
	if (!chan) {
		chan = chan_alloc(true);
		if (!chan)
			return -1;
	}
	pthread_mutex_lock(&cm_lock);
	/*
	 * A synchronous ID holds the event of its last call until the next
	 * one: done with it now (as rdma-core does), or the wait below
	 * would never end. libfabric resolves synchronously, then moves the
	 * ID to its event queue's channel.
	 */
	if (cid->sync && id->event) {
		ack_locked((struct cm_evt *)id->event);
		id->event = NULL;
	}
	/* Like a destroy, a move waits for the events handed out. */
	while (cid->ev_acked != cid->ev_reported)
		pthread_cond_wait(&cm_cond, &cm_lock);
	old = cid->chan;
	/* Queued events follow the ID to its new channel. */
	for (ev = old ? old->head : NULL; ev; ev = next) {
		next = ev->next;
		if (ev->owner != cid ||
		    ev->ev.event == RDMA_CM_EVENT_CONNECT_REQUEST) {
			prev = ev;
			continue;
		}
		chan_unlink(old, ev, prev);
		chan_push(chan, ev);
	}
	cid->chan = chan;
	id->channel = &chan->ch;
	if (cid->sync && old && old != chan) {
		while ((ev = chan_pop(old)))
			free(ev);
		close(old->ch.fd);
		free(old);
	}
	cid->sync = sync;
	pthread_mutex_unlock(&cm_lock);
	return 0;
}

__be16 rdma_get_src_port(struct rdma_cm_id *id)
{
	struct sockaddr *sa = &id->route.addr.src_addr;

	return htons(cm_sockaddr_port(sa));
}

__be16 rdma_get_dst_port(struct rdma_cm_id *id)
{
	struct sockaddr *sa = &id->route.addr.dst_addr;

	return htons(cm_sockaddr_port(sa));
}

struct ibv_context **rdma_get_devices(int *num_devices)
{
	struct ibv_context **list;
	struct cm_ns *ns;
	struct cm_dev *d;
	int n = 0, i = 0;

	pthread_mutex_lock(&cm_lock);
	ns = cm_ns_get();
	if (!ns) {
		pthread_mutex_unlock(&cm_lock);
		return NULL;
	}
	cm_ns_refresh_devs(ns, true);
	for (d = ns->devs; d; d = d->next)
		n++;
	list = calloc(n + 1, sizeof(*list));
	if (list)
		for (d = ns->devs; d; d = d->next)
			list[i++] = d->verbs;
	pthread_mutex_unlock(&cm_lock);
	if (!list) {
		errno = ENOMEM;
		return NULL;
	}
	if (num_devices)
		*num_devices = n;
	return list;
}

void rdma_free_devices(struct ibv_context **list)
{
	free(list);
}
