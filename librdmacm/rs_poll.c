// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * rpoll and rselect over rsockets and ordinary descriptors alike.
 *
 * An rsocket is readable when it holds data or has reached its end (or,
 * listening, when a request waits), writable when it may send (credits,
 * buffer space, a send queue entry); POLLHUP once disconnected and POLLERR
 * on an error, both only once the data received before has been read (as
 * a TCP socket's POLLHUP comes after its data); POLLERR after a failed
 * connect. Every descriptor is first checked
 * without sleeping, for rs_conf.polling_time us; then the rsockets' CQs
 * are armed and poll(2) sleeps on their completion channels (a connection's
 * CM channel too, a listener's or a connecting socket's CM channel alone,
 * a datagram socket's epoll fd) beside the ordinary descriptors. Events
 * that change nothing the caller asked about (a credit update) send it
 * back to sleep.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "librdmacm/rs.h"

static short poll_rs(struct rsocket *rs, short events, bool nonblock,
		     bool (*test)(struct rsocket *rs))
{
	struct pollfd p;
	short revents;

	if (rs->type == SOCK_DGRAM) {
		ds_process_cqs(rs, nonblock, test);
		revents = 0;
		if ((events & POLLIN) && rs_have_rdata(rs))
			revents |= POLLIN;
		if ((events & POLLOUT) && ds_can_send(rs))
			revents |= POLLOUT;
		return revents;
	}
	if (rs->state == RS_LISTENING) {
		p.fd = rs->ch->fd;
		p.events = events & POLLIN;
		p.revents = 0;
		poll(&p, 1, 0);
		return p.revents;
	}
	if ((rs->state & RS_OPENING) && rs_do_connect(rs, true) &&
	    errno == EINPROGRESS)
		return 0;
	if ((rs->state & RS_CONNECTED) || rs->state == RS_DISCONNECTED ||
	    (rs->state & RS_ERROR)) {
		rs_process_cq(rs, nonblock, test);
		revents = 0;
		if ((events & POLLIN) && rs_conn_have_rdata(rs))
			revents |= POLLIN;
		if ((events & POLLOUT) && rs_can_send(rs))
			revents |= POLLOUT;
		/* the end only once what came before it has been read */
		if (!(rs->state & RS_CONNECTED) && !rs_have_rdata(rs))
			revents |= rs->state == RS_DISCONNECTED ? POLLHUP :
								  POLLERR;
		return revents;
	}
	if (rs->state == RS_CONNECT_ERROR)
		return (events & (POLLIN | POLLOUT)) | POLLERR;
	/* not connected, not listening: as poll(2) on a fresh TCP socket */
	return (events & POLLOUT) | POLLHUP;
}

static int check_all(struct pollfd *fds, nfds_t nfds)
{
	struct rsocket *rs;
	nfds_t i;
	int cnt = 0;

	for (i = 0; i < nfds; i++) {
		rs = rs_lookup(fds[i].fd);
		if (rs)
			fds[i].revents =
				poll_rs(rs, fds[i].events, true, rs_poll_all);
		else
			poll(&fds[i], 1, 0);
		if (fds[i].revents)
			cnt++;
	}
	return cnt;
}

/*
 * The descriptors to sleep on: two per entry (the second -1 unless a
 * connection's CM channel). Returns 1 if something is ready already.
 */
static int arm_all(struct pollfd *rfds, struct pollfd *fds, nfds_t nfds)
{
	struct rsocket *rs;
	nfds_t i;

	for (i = 0; i < nfds; i++) {
		struct pollfd *r = &rfds[2 * i];

		r[0].revents = r[1].revents = 0;
		r[0].events = r[1].events = POLLIN;
		r[1].fd = -1;
		rs = rs_lookup(fds[i].fd);
		if (!rs) {
			r[0].fd = fds[i].fd;
			r[0].events = fds[i].events;
			continue;
		}
		fds[i].revents =
			poll_rs(rs, fds[i].events, false, rs_is_cq_armed);
		if (fds[i].revents)
			return 1;
		if (rs->type == SOCK_DGRAM) {
			ds_sleep_hint(rs);
			r[0].fd = rs->epfd;
		} else if (rs->cq &&
			   (rs->state &
			    (RS_CONNECTED | RS_DISCONNECTED | RS_ERROR))) {
			rs_sleep_hint(rs);
			r[0].fd = rs->cq_chan->fd;
			r[1].fd = rs->ch->fd;
		} else {
			r[0].fd = rs->ch->fd;
		}
	}
	return 0;
}

static int collect(struct pollfd *rfds, struct pollfd *fds, nfds_t nfds)
{
	struct rsocket *rs;
	struct pollfd *r;
	nfds_t i;
	int cnt = 0;

	for (i = 0; i < nfds; i++) {
		r = &rfds[2 * i];
		if (!r[0].revents && !r[1].revents)
			continue;
		rs = rs_lookup(fds[i].fd);
		if (!rs) {
			fds[i].revents = r[0].revents;
		} else {
			if (r[0].revents && rs->type == SOCK_DGRAM) {
				pthread_mutex_lock(&rs->cq_wait_lock);
				ds_get_cq_event(rs);
				pthread_mutex_unlock(&rs->cq_wait_lock);
			} else if (r[0].revents && rs->cq &&
				   r[0].fd == rs->cq_chan->fd) {
				pthread_mutex_lock(&rs->cq_wait_lock);
				rs_get_cq_event(rs);
				pthread_mutex_unlock(&rs->cq_wait_lock);
			}
			if (r[1].revents) {
				pthread_mutex_lock(&rs->cq_lock);
				rs_cm_drain(rs);
				pthread_mutex_unlock(&rs->cq_lock);
			}
			fds[i].revents =
				poll_rs(rs, fds[i].events, true, rs_poll_all);
		}
		if (fds[i].revents)
			cnt++;
	}
	return cnt;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int rpoll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	struct timeval s, e;
	struct pollfd *rfds;
	uint64_t spun = 0;
	int64_t deadline = timeout > 0 ? now_ms() + timeout : 0;
	int ret, left = timeout;

	if (nfds && !fds)
		return rs_err(EFAULT);
	rs_configure();
	gettimeofday(&s, NULL);
	do {
		ret = check_all(fds, nfds);
		if (ret || !timeout)
			return ret;
		gettimeofday(&e, NULL);
		spun = (e.tv_sec - s.tv_sec) * 1000000 + e.tv_usec - s.tv_usec;
	} while (spun <= rs_conf.polling_time);

	rfds = calloc(2 * nfds + 1, sizeof(*rfds));
	if (!rfds)
		return rs_err(ENOMEM);
	do {
		ret = arm_all(rfds, fds, nfds);
		if (ret)
			break;
		/* at most wake_up_interval: a missed wake-up cannot hang */
		ret = poll(rfds, 2 * nfds,
			   left < 0 || left > (int)rs_conf.wake_up_interval ?
				   (int)rs_conf.wake_up_interval :
				   left);
		if (ret < 0)
			break;
		ret = ret ? collect(rfds, fds, nfds) : check_all(fds, nfds);
		if (!ret && timeout > 0) {
			left = (int)(deadline - now_ms());
			if (left <= 0)
				break;
		}
		if (!ret && !timeout)
			break;
	} while (!ret);
	free(rfds);
	return ret;
}

int rselect(int nfds, fd_set *readfds, fd_set *writefds, fd_set *exceptfds,
	    struct timeval *timeout)
{
	struct pollfd *fds;
	int fd, n = 0, i, ret, to;

	if (nfds < 0 || nfds > FD_SETSIZE)
		return rs_err(EINVAL);
	if (timeout && (timeout->tv_sec < 0 || timeout->tv_usec < 0))
		return rs_err(EINVAL);
	fds = calloc(nfds + 1, sizeof(*fds));
	if (!fds)
		return rs_err(ENOMEM);
	for (fd = 0; fd < nfds; fd++) {
		short ev = 0;
		bool in = false;

		if (readfds && FD_ISSET(fd, readfds)) {
			ev |= POLLIN;
			in = true;
		}
		if (writefds && FD_ISSET(fd, writefds)) {
			ev |= POLLOUT;
			in = true;
		}
		if (exceptfds && FD_ISSET(fd, exceptfds)) {
			ev |= POLLPRI;
			in = true;
		}
		if (in) {
			fds[n].fd = fd;
			fds[n++].events = ev;
		}
	}
	to = !timeout ? -1 :
			(int)(timeout->tv_sec * 1000 +
			      (timeout->tv_usec + 999) / 1000);
	ret = rpoll(fds, n, to);
	if (readfds)
		FD_ZERO(readfds);
	if (writefds)
		FD_ZERO(writefds);
	if (exceptfds)
		FD_ZERO(exceptfds);
	if (ret > 0) {
		ret = 0;
		for (i = 0; i < n; i++) {
			short r = fds[i].revents;

			if (readfds && (fds[i].events & POLLIN) &&
			    (r & (POLLIN | POLLHUP | POLLERR))) {
				FD_SET(fds[i].fd, readfds);
				ret++;
			}
			if (writefds && (fds[i].events & POLLOUT) &&
			    (r & (POLLOUT | POLLERR))) {
				FD_SET(fds[i].fd, writefds);
				ret++;
			}
			if (exceptfds && (fds[i].events & POLLPRI) &&
			    (r & POLLPRI)) {
				FD_SET(fds[i].fd, exceptfds);
				ret++;
			}
		}
	}
	for (i = 0; ret >= 0 && i < n; i++) {
		/* as select(2): a descriptor that is not open */
		if (fds[i].revents & POLLNVAL)
			ret = rs_err(EBADF);
	}
	free(fds);
	return ret;
}
