// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * UDP sockets and their QP slots. A context's sockets are IPv6 dual-stack
 * (IPv4 peers appear as ::ffff:a.b.c.d), bound to the wildcard address on
 * an ephemeral port P, and carry 256 QP slots: qpn = (P << 8) | slot.
 * A "wire roce" context has one socket instead, its member of the
 * namespace's group on [::]:4791 (netns.c), whose 256 slots are numbered
 * from the member's tag T: qpn = (T << STEER_QPN_SHIFT) | slot, the first
 * 256 of the tag's 1024 QPNs (never 0, 1 or 0xFFFFFF: T is 1 to 16382).
 * What they receive is processed by rx.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "providers/uroce/dp.h"
#include "providers/uroce/netns.h"
#include "providers/uroce/resp.h"
#include "providers/uroce/sock.h"
#include "providers/uroce/tx.h"
#include "providers/uroce/uroce.h"
#include "util/steer_group.h"

/*
 * The group's control socket polls in the engine's set too, marked by
 * @dp itself (engine.c): steer_group_run reads it.
 */
static int steer_watch(struct uroce_dp *dp, struct steer_group *g)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = dp };

	return epoll_ctl(dp->epfd, EPOLL_CTL_ADD, steer_group_fd(g), &ev);
}

/* A socket around @fd (of group @g, or NULL); on failure @fd is closed. */
static struct uroce_sock *sock_wrap(struct uroce_dp *dp, int fd,
				    struct steer_group *g, bool mcast)
{
	struct sockaddr_in6 sa;
	socklen_t len = sizeof(sa);
	struct epoll_event ev;
	struct uroce_sock *s;
	int i;

	s = calloc(1, sizeof(*s));
	if (!s)
		goto err;
	s->bufs = malloc((size_t)UROCE_RX_BATCH * UROCE_RX_BUF);
	if (!s->bufs)
		goto err;
	if (getsockname(fd, (struct sockaddr *)&sa, &len))
		goto err;
	s->fd = fd;
	s->port = ntohs(sa.sin6_port);
	if (g) {
		s->steer = g;
		s->tag = steer_group_tag(g);
		if (steer_watch(dp, g))
			goto err;
	}
	pthread_mutex_init(&s->lock, NULL);
	for (i = 0; i < UROCE_RX_BATCH; i++) {
		s->iov[i].iov_base = s->bufs + (size_t)i * UROCE_RX_BUF;
		s->iov[i].iov_len = UROCE_RX_BUF;
	}
	/* Slot 255 of port 65535 would be QPN 0xFFFFFF. */
	if (s->port == 0xffff)
		s->slots[UROCE_SOCK_SLOTS - 1] = (struct uroce_qp *)s;
	/* The multicast socket's slots are all taken: it numbers no QP. */
	s->mcast = mcast;
	for (i = 0; mcast && i < UROCE_SOCK_SLOTS; i++)
		s->slots[i] = (struct uroce_qp *)s;
	if (mcast)
		s->nused = UROCE_SOCK_SLOTS;
	ev.events = EPOLLIN;
	ev.data.ptr = s;
	if (epoll_ctl(dp->epfd, EPOLL_CTL_ADD, fd, &ev))
		goto err;
	if (g)
		atomic_store(&dp->steer, g);
	return s;
err:
	if (s)
		free(s->bufs);
	free(s);
	if (g)
		steer_group_leave(g);
	else
		close(fd);
	errno = ENOMEM;
	return NULL;
}

static struct uroce_sock *sock_new(struct uroce_dp *dp,
				   enum uroce_sock_kind kind)
{
	struct steer_group *g = NULL;
	int fd;

	fd = uroce_netns_socket(dp, kind, &g);
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	return sock_wrap(dp, fd, g, kind == UROCE_SOCK_MCAST);
}

void uroce_sock_free(struct uroce_sock *s)
{
	if (s->steer)
		steer_group_leave(s->steer); /* its fd with it */
	else
		close(s->fd);
	pthread_mutex_destroy(&s->lock);
	free(s->bufs);
	free(s);
}

/*
 * Direct addressing takes the first free slot. "wire roce" goes round
 * from the last one taken, as the kernel's RoCE devices hand out QPNs:
 * a QPN just destroyed is not the next one made, so that packets still on
 * their way to the old QP (the peer of a torn-down connection resending)
 * do not reach a new one.
 */
static bool sock_take_slot(struct uroce_sock *s, struct uroce_qp *qp)
{
	unsigned int i, k;

	pthread_mutex_lock(&s->lock);
	for (k = 0; k < UROCE_SOCK_SLOTS; k++) {
		i = s->steer ? (s->next_slot + k) % UROCE_SOCK_SLOTS : k;
		if (!s->slots[i]) {
			s->next_slot = i + 1;
			s->slots[i] = qp;
			s->nused++;
			qp->sock = s;
			qp->ibv_qp.qp_num =
				s->steer ? s->tag << STEER_QPN_SHIFT | i :
					   (uint32_t)s->port << 8 | i;
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return k < UROCE_SOCK_SLOTS;
}

int uroce_sock_attach(struct uroce_dp *dp, struct uroce_qp *qp)
{
	bool roce = dp->ctx->dev->wire_roce;
	struct uroce_sock *s;
	unsigned int i, n;
	int ret = 0;

	pthread_mutex_lock(&dp->sock_lock);
	n = atomic_load(&dp->nsocks);
	for (i = 0; i < n; i++)
		if (sock_take_slot(dp->socks[i], qp))
			goto out;
	/* "wire roce": one socket, one tag (max_qp says so). */
	if (n == UROCE_MAX_SOCKS || (roce && n)) {
		ret = ENOMEM;
		goto out;
	}
	s = sock_new(dp, roce ? UROCE_SOCK_ROCE : UROCE_SOCK_QP);
	if (!s) {
		ret = errno;
		goto out;
	}
	sock_take_slot(s, qp);
	dp->socks[n] = s;
	atomic_store(&dp->nsocks, n + 1);
out:
	pthread_mutex_unlock(&dp->sock_lock);
	return ret;
}

/*
 * In socks[] with the QPs' sockets, the multicast socket is drained by
 * whoever drains those (poll_cq, the engine), and lives as long as they.
 */
struct uroce_sock *uroce_sock_add_mcast(struct uroce_dp *dp, int fd)
{
	struct uroce_sock *s = NULL;
	unsigned int n;

	pthread_mutex_lock(&dp->sock_lock);
	n = atomic_load(&dp->nsocks);
	if (n == UROCE_MAX_SOCKS) {
		errno = ENOMEM;
		goto out;
	}
	s = fd < 0 ? sock_new(dp, UROCE_SOCK_MCAST) :
		     sock_wrap(dp, fd, NULL, true);
	fd = -1;
	if (!s)
		goto out;
	dp->socks[n] = s;
	atomic_store(&dp->nsocks, n + 1);
out:
	pthread_mutex_unlock(&dp->sock_lock);
	if (fd >= 0)
		close(fd);
	return s;
}

/* Once this returns no drainer can reach @qp any more. */
void uroce_sock_detach(struct uroce_qp *qp)
{
	struct uroce_sock *s = qp->sock;
	unsigned int i;

	pthread_mutex_lock(&s->lock);
	s->slots[qp->ibv_qp.qp_num & 0xff] = NULL;
	s->nused--;
	/* What it held back (tx.c) leaves, as it would have at its post. */
	pthread_mutex_lock(&qp->lock);
	uroce_tx_flush(qp->ctx, &qp->txb);
	pthread_mutex_unlock(&qp->lock);
	/*
	 * A held-back ACK still goes out: the peer may be waiting for it to
	 * complete its last SEND (a receiver often exits right after its
	 * last completion).
	 */
	for (i = 0; i < s->ndeferred; i++) {
		if (s->deferred[i] != qp)
			continue;
		pthread_mutex_lock(&qp->lock);
		qp->resp.ack_deferred = false;
		uroce_resp_flush_ack(qp);
		pthread_mutex_unlock(&qp->lock);
		s->deferred[i] = s->deferred[--s->ndeferred];
		break;
	}
	pthread_mutex_unlock(&s->lock);
}
