// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * UDP sockets and their QP slots. A context's sockets are IPv6 dual-stack
 * (IPv4 peers appear as ::ffff:a.b.c.d), bound to the wildcard address on
 * an ephemeral port P, and carry 256 QP slots: qpn = (P << 8) | slot.
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

static struct uroce_sock *sock_new(struct uroce_dp *dp, bool mcast)
{
	struct sockaddr_in6 sa;
	socklen_t len = sizeof(sa);
	struct epoll_event ev;
	struct uroce_sock *s;
	int fd, i;

	fd = uroce_netns_socket(dp, mcast);
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
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
	return s;
err:
	if (s)
		free(s->bufs);
	free(s);
	close(fd);
	errno = ENOMEM;
	return NULL;
}

void uroce_sock_free(struct uroce_sock *s)
{
	close(s->fd);
	pthread_mutex_destroy(&s->lock);
	free(s->bufs);
	free(s);
}

static bool sock_take_slot(struct uroce_sock *s, struct uroce_qp *qp)
{
	unsigned int i;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < UROCE_SOCK_SLOTS; i++) {
		if (!s->slots[i]) {
			s->slots[i] = qp;
			s->nused++;
			qp->sock = s;
			qp->ibv_qp.qp_num = (uint32_t)s->port << 8 | i;
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return i < UROCE_SOCK_SLOTS;
}

int uroce_sock_attach(struct uroce_dp *dp, struct uroce_qp *qp)
{
	struct uroce_sock *s;
	unsigned int i, n;
	int ret = 0;

	pthread_mutex_lock(&dp->sock_lock);
	n = atomic_load(&dp->nsocks);
	for (i = 0; i < n; i++)
		if (sock_take_slot(dp->socks[i], qp))
			goto out;
	if (n == UROCE_MAX_SOCKS) {
		ret = ENOMEM;
		goto out;
	}
	s = sock_new(dp, false);
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
struct uroce_sock *uroce_sock_add_mcast(struct uroce_dp *dp)
{
	struct uroce_sock *s = NULL;
	unsigned int n;

	pthread_mutex_lock(&dp->sock_lock);
	n = atomic_load(&dp->nsocks);
	if (n == UROCE_MAX_SOCKS) {
		errno = ENOMEM;
		goto out;
	}
	s = sock_new(dp, true);
	if (!s)
		goto out;
	dp->socks[n] = s;
	atomic_store(&dp->nsocks, n + 1);
out:
	pthread_mutex_unlock(&dp->sock_lock);
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
