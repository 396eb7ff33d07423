// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "util/qpn_steer.h"
#include "util/random.h"
#include "util/steer_group.h"

/*
 * Probes still unanswered by the deadline: the group changed (a member is
 * closing, or one bound its socket but is not connected yet), run again
 * RETRY_MS later. A round takes a loopback round trip and a wake-up of
 * each member's thread, well under a millisecond on an idle machine: the
 * deadline starts at ROUND_MIN_MS and doubles after each round that runs
 * out, up to ROUND_MAX_MS, so that a loaded machine still completes one.
 */
#define ROUND_MIN_MS 10
#define ROUND_MAX_MS 200
#define RETRY_MS 2
/*
 * The kernel releases a dying process's files last opened first: its
 * connection can end a moment before its socket leaves the group, and a
 * round at once would probe the dying socket. The leader waits for the
 * process's end (a pidfd), at most DEATH_MS; GRACE_MS when it cannot
 * watch it (another PID namespace); so does a member that becomes leader
 * when the leader died. A member or leader that leaves says BYE once its
 * socket is closed: no wait.
 */
#define DEATH_MS 50
#define GRACE_MS 2
#define MAX_HOLDS 16
/* How long a joining member waits for the leader's answer. */
#define HELLO_MS 2000
/* Leaders may be going while we join: this many tries, 10 ms apart. */
#define ELECT_TRIES 50

enum {
	MSG_HELLO = 1, /* member: my tag (0: give me one) */
	MSG_WELCOME, /* leader: your tag */
	MSG_BOUND, /* member: my socket is in the group */
	MSG_PROBE_ACK, /* member: probe (nonce, index) reached me */
	MSG_SVC_ADD,
	MSG_SVC_DEL,
	MSG_SETTLED, /* leader: the program reflects your changes up to seq */
	MSG_BYE, /* member: my socket is closed */
};

/* WELCOME's index: the leader sends SETTLED (an older one does not). */
#define WELCOME_SETTLES 1u

struct steer_msg {
	uint32_t type;
	uint32_t tag;
	uint32_t index;
	uint32_t seq; /* member's change number; SETTLED: the last covered */
	uint64_t nonce;
	uint64_t service_id;
};

struct svc_list {
	uint64_t *id;
	size_t nr;
	size_t cap;
};

/* A member as the leader sees it; peers[0] is the leader itself. */
struct peer {
	int fd;
	pid_t pid; /* its process, 0 if unknown */
	uint32_t tag;
	bool bound;
	bool bye; /* its socket is closed */
	struct svc_list svc;
	uint32_t seq_rx; /* its last change */
	uint32_t seq_round; /* its last change when the round started */
	uint32_t seq_ok; /* the last change confirmed to it */
};

struct steer_group {
	/*
	 * Serializes the calls of the threads that run the group, answer its
	 * probes and wait for it; the waiters sleep on @cond.
	 */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int udp;
	int ep;
	int kick; /* eventfd in @ep: a change for the thread that runs us */
	int ctl; /* leader: the listening socket; member: its connection */
	bool leader;
	uint32_t tag;
	struct svc_list svc;
	struct sockaddr_un name;
	socklen_t name_len;
	struct sockaddr_storage probe_to;
	socklen_t probe_len;
	pid_t leader_pid; /* member: the leader's process, 0 if unknown */
	bool leader_bye; /* member: the leader's socket is closed */
	uint32_t seq; /* changes this member asked for: joining, services */
	uint32_t settled; /* the last of them the attached program reflects */
	bool settles; /* the leader confirms (an older one does not) */

	/* Leader only. */
	struct peer *peers;
	size_t nr_peers;
	size_t cap_peers;
	uint32_t next_tag; /* where the search for a free tag starts */
	bool dirty; /* membership changed since the last program */
	bool round; /* probes are out */
	uint64_t nonce;
	size_t nr_probe;
	long *owner; /* peer that answered each probed index, or -1 */
	uint64_t deadline;
	uint64_t retry_at;
	unsigned int round_ms; /* the deadline of the next round */
	int hold[MAX_HOLDS]; /* pidfds of dying members: no round yet */
	size_t nr_hold;
	uint64_t hold_until;
	struct steer_group_stats stats;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Change numbers wrap: @a came before @b. */
static bool seq_before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static int svc_add(struct svc_list *l, uint64_t id)
{
	uint64_t *grown;
	size_t i;

	for (i = 0; i < l->nr; i++)
		if (l->id[i] == id)
			return 0;
	if (l->nr == l->cap) {
		grown = realloc(l->id, (l->cap * 2 + 4) * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		l->id = grown;
		l->cap = l->cap * 2 + 4;
	}
	l->id[l->nr++] = id;
	return 0;
}

static void svc_del(struct svc_list *l, uint64_t id)
{
	size_t i;

	for (i = 0; i < l->nr; i++)
		if (l->id[i] == id)
			l->id[i] = l->id[--l->nr];
}

static int send_msg(int fd, const struct steer_msg *msg)
{
	if (send(fd, msg, sizeof(*msg), MSG_NOSIGNAL) != sizeof(*msg))
		return -errno;
	return 0;
}

/* Wakes the thread that polls steer_group_fd: steer_group_run is due. */
static void kick(struct steer_group *g)
{
	uint64_t one = 1;

	if (write(g->kick, &one, sizeof(one)) < 0)
		return; /* the counter is full: a wake-up is pending anyway */
}

/* The attached program reflects this member's changes up to @seq. */
static void settle(struct steer_group *g, uint32_t seq)
{
	if (!seq_before(g->settled, seq))
		return;
	g->settled = seq;
	pthread_cond_broadcast(&g->cond);
}

static int ep_add(struct steer_group *g, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(g->ep, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static struct peer *peer_of_fd(struct steer_group *g, int fd)
{
	size_t i;

	for (i = 1; i < g->nr_peers; i++)
		if (g->peers[i].fd == fd)
			return &g->peers[i];
	return NULL;
}

static bool tag_used(const struct steer_group *g, uint32_t tag)
{
	size_t i;

	for (i = 0; i < g->nr_peers; i++)
		if (g->peers[i].tag == tag)
			return true;
	return false;
}

/*
 * A tag that came free is handed out again last, so that datagrams still
 * on their way to a dead member's QPNs do not reach a new member's.
 */
static uint32_t pick_tag(struct steer_group *g, uint32_t want)
{
	uint32_t i, tag;

	if (want && want <= STEER_TAG_MAX && !tag_used(g, want))
		return want;
	for (i = 0; i < STEER_TAG_MAX; i++) {
		tag = g->next_tag;
		g->next_tag = tag % STEER_TAG_MAX + 1;
		if (!tag_used(g, tag))
			return tag;
	}
	return 0;
}

static void fail_round(struct steer_group *g)
{
	g->round = false;
	g->dirty = true;
	g->retry_at = now_ms() + RETRY_MS;
	g->stats.failed_rounds++;
}

static void unhold(struct steer_group *g, size_t i)
{
	epoll_ctl(g->ep, EPOLL_CTL_DEL, g->hold[i], NULL);
	close(g->hold[i]);
	g->hold[i] = g->hold[--g->nr_hold];
}

/* Holds the next round until process @pid, which closed a member, ends. */
static void hold_death(struct steer_group *g, pid_t pid)
{
	struct epoll_event ev = { .events = EPOLLIN };
	uint64_t now = now_ms();
	int fd = -1;

	if (pid > 0)
		fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0 && errno == ESRCH)
		return; /* gone, with its files */
	if (fd < 0 || g->nr_hold == MAX_HOLDS) {
		if (fd >= 0)
			close(fd);
		if (g->retry_at < now + GRACE_MS)
			g->retry_at = now + GRACE_MS;
		return;
	}
	ev.data.fd = fd;
	if (epoll_ctl(g->ep, EPOLL_CTL_ADD, fd, &ev)) {
		close(fd);
		return;
	}
	if (!g->nr_hold)
		g->hold_until = now + DEATH_MS;
	g->hold[g->nr_hold++] = fd;
}

static void drop_peer(struct steer_group *g, struct peer *p)
{
	if (!p->bye)
		hold_death(g, p->pid);
	close(p->fd);
	free(p->svc.id);
	*p = g->peers[--g->nr_peers];
	/* Slots moved: answers of the round in flight name the wrong peers. */
	if (g->round)
		fail_round(g);
	g->dirty = true;
}

struct owned {
	uint32_t tag;
	uint32_t index;
};

static int cmp_owned(const void *a, const void *b)
{
	const struct owned *x = a, *y = b;

	return x->tag < y->tag ? -1 : x->tag > y->tag;
}

/* Every probed index answered by a different member: steer by it. */
static int attach_program(struct steer_group *g)
{
	struct qpn_steer_range *qpn = NULL, *comm = NULL;
	struct qpn_steer_svc *svc = NULL;
	struct sock_filter *insns = NULL;
	struct owned *own = NULL;
	struct qpn_steer_map map = { 0 };
	size_t i, j, nr_svc = 0, n = g->nr_probe;
	int ret = -ENOMEM;

	for (i = 0; i < n; i++)
		nr_svc += g->peers[g->owner[i]].svc.nr;
	own = calloc(n, sizeof(*own));
	qpn = calloc(n, sizeof(*qpn));
	comm = calloc(n, sizeof(*comm));
	svc = calloc(nr_svc + 1, sizeof(*svc));
	insns = calloc(BPF_MAXINSNS, sizeof(*insns));
	if (!own || !qpn || !comm || !svc || !insns)
		goto out;
	nr_svc = 0;
	for (i = 0; i < n; i++) {
		const struct peer *p = &g->peers[g->owner[i]];

		own[i] = (struct owned){ p->tag, (uint32_t)i };
		for (j = 0; j < p->svc.nr; j++)
			svc[nr_svc++] = (struct qpn_steer_svc){ p->svc.id[j],
								(uint32_t)i };
		if (g->owner[i] == 0)
			map.gsi = map.miss = (uint32_t)i;
	}
	qsort(own, n, sizeof(*own), cmp_owned);
	for (i = 0; i < n; i++) {
		uint32_t q = own[i].tag << STEER_QPN_SHIFT;
		uint32_t c = own[i].tag << STEER_COMM_SHIFT;

		qpn[i] = (struct qpn_steer_range){
			q, q | ((1u << STEER_QPN_SHIFT) - 1), own[i].index
		};
		comm[i] = (struct qpn_steer_range){
			c, c | ((1u << STEER_COMM_SHIFT) - 1), own[i].index
		};
	}
	map.qpn = qpn;
	map.nr_qpn = n;
	map.comm_id = comm;
	map.nr_comm_id = n;
	map.svc = svc;
	map.nr_svc = nr_svc;
	map.probe = true;
	ret = qpn_steer_build(&map, insns, BPF_MAXINSNS);
	if (ret > 0)
		ret = qpn_steer_attach(g->udp, insns, (size_t)ret);
	if (!ret) {
		g->stats.attaches++;
		g->stats.members = (uint32_t)n;
	} else
		uroce_warn("steer: cannot attach the program: %s",
			   strerror(-ret));
out:
	free(own);
	free(qpn);
	free(comm);
	free(svc);
	free(insns);
	return ret;
}

/*
 * Tells every member the program covers (one with an index: a member
 * whose socket sits past the probed ones is not) that its changes known
 * when the round started are in force.
 */
static void confirm(struct steer_group *g)
{
	struct steer_msg msg = { .type = MSG_SETTLED };
	struct peer *p;
	size_t i;

	for (i = 0; i < g->nr_probe; i++) {
		p = &g->peers[g->owner[i]];
		if (!seq_before(p->seq_ok, p->seq_round))
			continue;
		p->seq_ok = p->seq_round;
		if (g->owner[i] == 0) {
			settle(g, p->seq_round);
			continue;
		}
		msg.seq = p->seq_round;
		send_msg(p->fd, &msg); /* a failure: its end comes next */
	}
}

static void finish_round(struct steer_group *g)
{
	size_t i, j;

	for (i = 0; i < g->nr_probe; i++)
		for (j = i + 1; j < g->nr_probe; j++)
			if (g->owner[i] == g->owner[j]) {
				/* An index past the group fell back to hash. */
				fail_round(g);
				return;
			}
	g->round = false;
	g->round_ms = ROUND_MIN_MS;
	if (!attach_program(g))
		confirm(g);
}

static void probe_answered(struct steer_group *g, long peer, uint32_t index,
			   uint64_t nonce)
{
	size_t i;

	if (!g->round || nonce != g->nonce)
		return; /* an old round's, or forged */
	if (index >= g->nr_probe || g->owner[index] != -1) {
		fail_round(g);
		return;
	}
	g->owner[index] = peer;
	for (i = 0; i < g->nr_probe; i++)
		if (g->owner[i] == -1)
			return;
	finish_round(g);
}

/*
 * Probes indices 0..n-1, n counting the members whose sockets are bound:
 * never more than the kernel's group holds, unless one is closing, which
 * two answers from one member or a missing one reveal.
 */
static void start_round(struct steer_group *g)
{
	uint8_t probe[QPN_STEER_PROBE_LEN];
	size_t i, n = 0;
	long *owner;

	for (i = 0; i < g->nr_peers; i++)
		n += g->peers[i].bound;
	owner = realloc(g->owner, n * sizeof(*owner));
	if (!owner || uroce_random(&g->nonce, sizeof(g->nonce))) {
		if (owner)
			g->owner = owner;
		fail_round(g);
		return;
	}
	g->owner = owner;
	g->nr_probe = n;
	for (i = 0; i < g->nr_peers; i++)
		g->peers[i].seq_round = g->peers[i].seq_rx;
	g->dirty = false;
	g->round = true;
	g->deadline = now_ms() + g->round_ms;
	g->stats.rounds++;
	for (i = 0; i < n; i++) {
		owner[i] = -1;
		qpn_steer_probe_make(probe, (uint32_t)i, g->nonce);
		if (sendto(g->udp, probe, sizeof(probe), 0,
			   (struct sockaddr *)&g->probe_to, g->probe_len) < 0) {
			fail_round(g);
			return;
		}
	}
}

static int become_leader(struct steer_group *g)
{
	struct peer *self;
	int fd, ret;

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&g->name, g->name_len) ||
	    listen(fd, 64)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	self = calloc(4, sizeof(*self));
	if (!self) {
		close(fd);
		return -ENOMEM;
	}
	g->peers = self;
	g->cap_peers = 4;
	g->nr_peers = 1;
	g->tag = g->tag ? g->tag : 1;
	g->next_tag = g->tag % STEER_TAG_MAX + 1;
	self->fd = -1;
	self->tag = g->tag;
	self->bound = true;
	self->svc = g->svc; /* an alias, freed as g->svc */
	self->seq_rx = ++g->seq;
	g->ctl = fd;
	g->leader = true;
	g->settles = true;
	g->round_ms = ROUND_MIN_MS;
	g->dirty = true;
	g->retry_at = 0;
	return ep_add(g, fd);
}

static int wait_welcome(int fd, struct steer_msg *msg)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint64_t end = now_ms() + HELLO_MS, now;
	ssize_t n;

	while ((now = now_ms()) < end) {
		if (poll(&pfd, 1, (int)(end - now)) < 0 && errno != EINTR)
			return -errno;
		n = recv(fd, msg, sizeof(*msg), MSG_DONTWAIT);
		if (n == sizeof(*msg) && msg->type == MSG_WELCOME)
			return msg->tag ? 0 : -ENOSPC;
		if (n == 0)
			return -ECONNRESET;
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
	}
	return -ETIMEDOUT;
}

static pid_t peer_pid(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return 0;
	return cred.pid;
}

static int become_member(struct steer_group *g)
{
	struct steer_msg msg = { .type = MSG_HELLO, .tag = g->tag };
	size_t i;
	int fd, ret;

	msg.seq = ++g->seq;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&g->name, g->name_len)) {
		ret = -errno;
		goto err;
	}
	ret = send_msg(fd, &msg);
	if (!ret)
		ret = wait_welcome(fd, &msg);
	if (ret)
		goto err;
	g->tag = msg.tag;
	g->settles = msg.index & WELCOME_SETTLES;
	msg = (struct steer_msg){ .type = MSG_BOUND,
				  .tag = g->tag,
				  .seq = ++g->seq };
	ret = send_msg(fd, &msg);
	for (i = 0; !ret && i < g->svc.nr; i++) {
		msg = (struct steer_msg){ .type = MSG_SVC_ADD,
					  .seq = ++g->seq,
					  .service_id = g->svc.id[i] };
		ret = send_msg(fd, &msg);
	}
	if (ret)
		goto err;
	g->leader_pid = peer_pid(fd);
	g->leader_bye = false;
	g->ctl = fd;
	g->leader = false;
	return ep_add(g, fd);
err:
	close(fd);
	return ret;
}

/* Leads if nobody does, else registers with the one who does. */
static int elect(struct steer_group *g)
{
	int i, ret = -EAGAIN;

	for (i = 0; i < ELECT_TRIES; i++) {
		ret = become_leader(g);
		if (ret != -EADDRINUSE)
			return ret;
		ret = become_member(g);
		if (ret != -ECONNREFUSED && ret != -ECONNRESET &&
		    ret != -ENOENT && ret != -EPIPE)
			return ret;
		/* The leader is going: its name with it. */
		usleep(10000);
	}
	return ret;
}

static void leader_accept(struct steer_group *g)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct peer *grown;
	int fd;

	fd = accept4(g->ctl, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	/* The kernel keeps other UIDs out of the port; keep them out here. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) ||
	    cred.uid != geteuid())
		goto drop;
	if (g->nr_peers == g->cap_peers) {
		grown = realloc(g->peers, g->cap_peers * 2 * sizeof(*grown));
		if (!grown)
			goto drop;
		g->peers = grown;
		g->cap_peers *= 2;
	}
	if (ep_add(g, fd))
		goto drop;
	g->peers[g->nr_peers++] = (struct peer){ .fd = fd, .pid = cred.pid };
	return;
drop:
	close(fd);
}

static void leader_recv(struct steer_group *g, struct peer *p)
{
	struct steer_msg msg;
	ssize_t n;

	for (;;) {
		n = recv(p->fd, &msg, sizeof(msg), MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n != sizeof(msg)) {
			drop_peer(g, p);
			return;
		}
		switch (msg.type) {
		case MSG_HELLO:
			if (p->tag)
				break;
			p->seq_rx = msg.seq;
			p->tag = pick_tag(g, msg.tag);
			if (p->tag >= g->next_tag)
				g->next_tag = p->tag % STEER_TAG_MAX + 1;
			msg = (struct steer_msg){ .type = MSG_WELCOME,
						  .tag = p->tag,
						  .index = WELCOME_SETTLES };
			if (send_msg(p->fd, &msg) || !p->tag) {
				drop_peer(g, p);
				return;
			}
			break;
		case MSG_BOUND:
			p->bound = p->tag != 0;
			p->seq_rx = msg.seq;
			g->dirty = true;
			break;
		case MSG_PROBE_ACK:
			probe_answered(g, p - g->peers, msg.index, msg.nonce);
			break;
		case MSG_SVC_ADD:
			if (svc_add(&p->svc, msg.service_id))
				break;
			p->seq_rx = msg.seq;
			g->dirty = true;
			break;
		case MSG_SVC_DEL:
			svc_del(&p->svc, msg.service_id);
			p->seq_rx = msg.seq;
			g->dirty = true;
			break;
		case MSG_BYE:
			p->bye = true;
			break;
		}
	}
}

/* SETTLED; or the leader went: lead or follow whoever leads now. */
static int member_recv(struct steer_group *g)
{
	struct steer_msg msg;
	pid_t pid;
	bool bye;
	ssize_t n;
	int ret;

	for (;;) {
		n = recv(g->ctl, &msg, sizeof(msg), MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n <= 0)
			break;
		if (n == sizeof(msg) && msg.type == MSG_SETTLED)
			settle(g, msg.seq);
		if (n == sizeof(msg) && msg.type == MSG_BYE)
			g->leader_bye = true;
	}
	pid = g->leader_pid;
	bye = g->leader_bye;
	close(g->ctl);
	g->ctl = -1;
	ret = elect(g);
	/* The dead leader's socket may still be in the group: as above. */
	if (!ret && g->leader && !bye)
		hold_death(g, pid);
	return ret;
}

static long hold_index(const struct steer_group *g, int fd)
{
	size_t i;

	for (i = 0; i < g->nr_hold; i++)
		if (g->hold[i] == fd)
			return (long)i;
	return -1;
}

/* Whether no round may start yet: a member's death is under way. */
static bool held(struct steer_group *g, uint64_t now)
{
	if (g->nr_hold && now >= g->hold_until)
		while (g->nr_hold)
			unhold(g, 0);
	return g->nr_hold;
}

static int run_locked(struct steer_group *g)
{
	struct epoll_event ev[16];
	struct peer *p;
	long h;
	uint64_t now, v;
	int i, n, ret = 0;

	n = epoll_wait(g->ep, ev, 16, 0);
	for (i = 0; i < n && !ret; i++) {
		if (ev[i].data.fd == g->kick) {
			if (read(g->kick, &v, sizeof(v)) < 0)
				continue; /* another thread read it */
		} else if ((h = hold_index(g, ev[i].data.fd)) >= 0) {
			unhold(g, (size_t)h);
		} else if (!g->leader)
			ret = member_recv(g);
		else if (ev[i].data.fd == g->ctl)
			leader_accept(g);
		else if ((p = peer_of_fd(g, ev[i].data.fd)))
			leader_recv(g, p);
	}
	if (!g->leader)
		return ret;
	now = now_ms();
	if (g->round && now >= g->deadline) {
		if (g->round_ms < ROUND_MAX_MS)
			g->round_ms *= 2;
		fail_round(g);
	}
	if (g->dirty && !g->round && now >= g->retry_at && !held(g, now))
		start_round(g);
	return ret;
}

int steer_group_run(struct steer_group *g)
{
	int ret;

	pthread_mutex_lock(&g->lock);
	ret = run_locked(g);
	pthread_mutex_unlock(&g->lock);
	return ret;
}

static int timeout_locked(const struct steer_group *g)
{
	uint64_t now = now_ms(), at;

	if (!g->leader || (!g->round && !g->dirty))
		return -1;
	at = g->round ? g->deadline : g->retry_at;
	if (!g->round && g->nr_hold && g->hold_until > at)
		at = g->hold_until; /* or the end of the process, an event */
	return at > now ? (int)(at - now) : 0;
}

int steer_group_timeout(struct steer_group *g)
{
	int t;

	pthread_mutex_lock(&g->lock);
	t = timeout_locked(g);
	pthread_mutex_unlock(&g->lock);
	return t;
}

static void rx_locked(struct steer_group *g, const struct steer_msg *msg)
{
	if (!g->leader) {
		if (g->ctl >= 0)
			send_msg(g->ctl, msg);
		return;
	}
	probe_answered(g, 0, msg->index, msg->nonce);
	/* The round ended here, maybe not in the thread that runs us. */
	if (!g->round && g->dirty)
		kick(g);
}

bool steer_group_rx(struct steer_group *g, const void *buf, size_t len)
{
	struct steer_msg msg = { .type = MSG_PROBE_ACK };

	if (!qpn_steer_probe_parse(buf, len, &msg.index, &msg.nonce))
		return false;
	pthread_mutex_lock(&g->lock);
	rx_locked(g, &msg);
	pthread_mutex_unlock(&g->lock);
	return true;
}

/*
 * The joining thread runs the group itself until the leader's program
 * steers to its socket: nobody else knows its fds yet. What reaches the
 * socket meanwhile is not ours (no QP, no listener yet) unless a probe.
 */
static int join_settle(struct steer_group *g)
{
	struct steer_msg msg = { .type = MSG_PROBE_ACK };
	uint64_t end = now_ms() + STEER_SETTLE_MS, now;
	uint8_t buf[QPN_STEER_PROBE_LEN + 1];
	struct pollfd p[2];
	ssize_t n;
	int t, ret;

	while (g->settles && seq_before(g->settled, g->seq)) {
		now = now_ms();
		if (now >= end)
			return -ETIMEDOUT;
		t = timeout_locked(g);
		if (t < 0 || (uint64_t)t > end - now)
			t = (int)(end - now);
		p[0] = (struct pollfd){ .fd = g->udp, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = g->ep, .events = POLLIN };
		if (poll(p, 2, t) < 0 && errno != EINTR)
			return -errno;
		while ((n = recv(g->udp, buf, sizeof(buf), MSG_DONTWAIT)) >= 0)
			if (qpn_steer_probe_parse(buf, (size_t)n, &msg.index,
						  &msg.nonce))
				rx_locked(g, &msg);
		ret = run_locked(g);
		if (ret)
			return ret;
	}
	return 0;
}

static int set_names(struct steer_group *g, const struct sockaddr *addr,
		     socklen_t addrlen)
{
	char host[INET6_ADDRSTRLEN];
	unsigned int port;
	int len;

	memcpy(&g->probe_to, addr, addrlen);
	g->probe_len = addrlen;
	if (addr->sa_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&g->probe_to;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		port = ntohs(sin->sin_port);
		if (sin->sin_addr.s_addr == htonl(INADDR_ANY))
			sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	} else if (addr->sa_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&g->probe_to;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		port = ntohs(sin6->sin6_port);
		if (IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr))
			sin6->sin6_addr = in6addr_loopback;
	} else {
		return -EAFNOSUPPORT;
	}
	g->name.sun_family = AF_UNIX;
	/* Abstract: sun_path[0] stays 0. */
	len = snprintf(g->name.sun_path + 1, sizeof(g->name.sun_path) - 1,
		       "uroce-steer:%s:%u", host, port);
	g->name_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
				  (size_t)len);
	return 0;
}

struct steer_group *steer_group_join(const struct sockaddr *addr,
				     socklen_t addrlen)
{
	struct steer_group *g;
	pthread_condattr_t ca;
	int one = 1, zero = 0, ret;

	if (addrlen > sizeof(g->probe_to)) {
		errno = EINVAL;
		return NULL;
	}
	g = calloc(1, sizeof(*g));
	if (!g) {
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&g->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->cond, &ca);
	pthread_condattr_destroy(&ca);
	g->ctl = -1;
	g->ep = -1;
	g->kick = -1;
	g->udp = -1;
	ret = set_names(g, addr, addrlen);
	if (ret)
		goto err;
	g->udp = socket(addr->sa_family,
			SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	/*
	 * An IPv6 member is dual-stack whatever net.ipv6.bindv6only says:
	 * every member of a group on [::] takes IPv4 alike.
	 */
	if (g->udp < 0 ||
	    setsockopt(g->udp, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    (addr->sa_family == AF_INET6 &&
	     setsockopt(g->udp, IPPROTO_IPV6, IPV6_V6ONLY, &zero,
			sizeof(zero))) ||
	    bind(g->udp, addr, addrlen)) {
		ret = -errno;
		goto err;
	}
	g->ep = epoll_create1(EPOLL_CLOEXEC);
	g->kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (g->ep < 0 || g->kick < 0) {
		ret = -errno;
		goto err;
	}
	ret = ep_add(g, g->kick);
	if (!ret)
		ret = elect(g);
	if (!ret)
		ret = join_settle(g);
	if (ret)
		goto err;
	return g;
err:
	steer_group_leave(g);
	errno = -ret;
	return NULL;
}

void steer_group_leave(struct steer_group *g)
{
	struct steer_msg bye = { .type = MSG_BYE };
	size_t i;

	if (!g)
		return;
	/*
	 * The socket first, then BYE: the leader probes at once when our
	 * connection ends, and the socket must be out of the group by then.
	 */
	if (g->udp >= 0)
		close(g->udp);
	if (!g->leader && g->ctl >= 0)
		send_msg(g->ctl, &bye);
	for (i = 1; i < g->nr_peers; i++) {
		send_msg(g->peers[i].fd, &bye);
		close(g->peers[i].fd);
		free(g->peers[i].svc.id);
	}
	while (g->nr_hold)
		unhold(g, 0);
	free(g->peers);
	free(g->owner);
	free(g->svc.id);
	if (g->ctl >= 0)
		close(g->ctl);
	if (g->ep >= 0)
		close(g->ep);
	if (g->kick >= 0)
		close(g->kick);
	pthread_cond_destroy(&g->cond);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

int steer_group_udp_fd(const struct steer_group *g)
{
	return g->udp;
}

int steer_group_fd(const struct steer_group *g)
{
	return g->ep;
}

uint32_t steer_group_tag(const struct steer_group *g)
{
	return g->tag;
}

/* Asks for REQs to @service_id (@add) or no longer; does not wait. */
static int svc_change(struct steer_group *g, uint64_t service_id, bool add)
{
	struct steer_msg msg = { .type = add ? MSG_SVC_ADD : MSG_SVC_DEL,
				 .service_id = service_id };
	int ret = 0;

	pthread_mutex_lock(&g->lock);
	if (add)
		ret = svc_add(&g->svc, service_id);
	else
		svc_del(&g->svc, service_id);
	if (ret)
		goto out;
	msg.seq = ++g->seq;
	if (g->leader) {
		g->peers[0].svc = g->svc;
		g->peers[0].seq_rx = msg.seq;
		g->dirty = true;
		kick(g);
	} else {
		ret = send_msg(g->ctl, &msg);
	}
out:
	pthread_mutex_unlock(&g->lock);
	return ret;
}

int steer_group_listen_nowait(struct steer_group *g, uint64_t service_id)
{
	return svc_change(g, service_id, true);
}

int steer_group_unlisten_nowait(struct steer_group *g, uint64_t service_id)
{
	return svc_change(g, service_id, false);
}

int steer_group_settle(struct steer_group *g)
{
	struct timespec end;
	uint32_t target;
	int ret = 0;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += STEER_SETTLE_MS / 1000;
	end.tv_nsec += STEER_SETTLE_MS % 1000 * 1000000L;
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&g->lock);
	target = g->seq;
	while (!ret && g->settles && seq_before(g->settled, target))
		ret = pthread_cond_timedwait(&g->cond, &g->lock, &end);
	if (!g->settles || !seq_before(g->settled, target))
		ret = 0;
	pthread_mutex_unlock(&g->lock);
	return -ret;
}

int steer_group_listen(struct steer_group *g, uint64_t service_id)
{
	int ret = steer_group_listen_nowait(g, service_id);

	return ret ? ret : steer_group_settle(g);
}

int steer_group_unlisten(struct steer_group *g, uint64_t service_id)
{
	int ret = steer_group_unlisten_nowait(g, service_id);

	return ret ? ret : steer_group_settle(g);
}

void steer_group_stats(struct steer_group *g, struct steer_group_stats *stats)
{
	pthread_mutex_lock(&g->lock);
	*stats = g->stats;
	stats->leader = g->leader;
	stats->settled = g->leader && !g->dirty && !g->round;
	stats->tag = g->tag;
	pthread_mutex_unlock(&g->lock);
}
