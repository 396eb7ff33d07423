// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * SO_KEEPALIVE: a thread sends each listed connection, every keepalive
 * time (TCP_KEEPIDLE, else /proc/sys/net/ipv4/tcp_keepalive_time, else
 * 7200 s), a zero-length RDMA WRITE that the peer's application never
 * sees. A peer that is gone fails it after the QP's retries: the
 * connection goes to error, and a reader or rpoll wakes up.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "librdmacm/rs.h"

struct ka_entry {
	struct ka_entry *next;
	struct rsocket *rs;
};

static pthread_mutex_t ka_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ka_cond;
static struct ka_entry *ka_list;
static bool ka_running;
static pthread_t ka_thread;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void send_keepalive(struct rsocket *rs)
{
	pthread_mutex_lock(&rs->cq_lock);
	if (rs_ctrl_avail(rs) && (rs->state & RS_CONNECTED)) {
		rs->ctrl_seqno++;
		rs_post_write(rs, NULL, 0,
			      rs_msg_set(RS_OP_CTRL, RS_CTRL_KEEPALIVE), 0, 0,
			      0);
	}
	pthread_mutex_unlock(&rs->cq_lock);
}

static void *ka_run(void *arg)
{
	struct timespec ts;
	struct ka_entry *e;
	uint64_t now, next;

	(void)arg;
	pthread_mutex_lock(&ka_lock);
	while (ka_list) {
		now = now_ms();
		next = now + 3600 * 1000;
		for (e = ka_list; e; e = e->next) {
			if (e->rs->keepalive_due <= now) {
				send_keepalive(e->rs);
				e->rs->keepalive_due =
					now + e->rs->keepalive_time * 1000ULL;
			}
			if (e->rs->keepalive_due < next)
				next = e->rs->keepalive_due;
		}
		ts.tv_sec = next / 1000;
		ts.tv_nsec = (next % 1000) * 1000000;
		pthread_cond_timedwait(&ka_cond, &ka_lock, &ts);
	}
	ka_running = false;
	pthread_mutex_unlock(&ka_lock);
	return NULL;
}

static unsigned int default_time(void)
{
	unsigned int t = 7200;
	FILE *f = fopen("/proc/sys/net/ipv4/tcp_keepalive_time", "re");

	if (f) {
		if (fscanf(f, "%u", &t) != 1 || !t)
			t = 7200;
		fclose(f);
	}
	return t;
}

static void start_thread(void)
{
	pthread_condattr_t ca;

	if (ka_running) {
		pthread_cond_signal(&ka_cond);
		return;
	}
	if (ka_thread)
		pthread_join(ka_thread, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&ka_cond, &ca);
	pthread_condattr_destroy(&ca);
	ka_running = !pthread_create(&ka_thread, NULL, ka_run, NULL);
	if (!ka_running)
		ka_thread = 0;
}

int rs_keepalive_set(struct rsocket *rs, bool on)
{
	struct ka_entry *e, **p;
	int ret = 0;

	pthread_mutex_lock(&ka_lock);
	if (on == !!(rs->opts & RS_OPT_KEEPALIVE))
		goto out;
	if (!on) {
		for (p = &ka_list; *p && (*p)->rs != rs; p = &(*p)->next)
			;
		if (*p) {
			e = *p;
			*p = e->next;
			free(e);
		}
		rs->opts &= ~RS_OPT_KEEPALIVE;
		if (ka_running)
			pthread_cond_signal(&ka_cond);
		goto out;
	}
	e = malloc(sizeof(*e));
	if (!e) {
		ret = rs_err(ENOMEM);
		goto out;
	}
	if (!rs->keepalive_time)
		rs->keepalive_time = default_time();
	rs->keepalive_due = now_ms() + rs->keepalive_time * 1000ULL;
	e->rs = rs;
	e->next = ka_list;
	ka_list = e;
	rs->opts |= RS_OPT_KEEPALIVE;
	start_thread();
	if (!ka_running) {
		ka_list = e->next;
		free(e);
		rs->opts &= ~RS_OPT_KEEPALIVE;
		ret = rs_err(EAGAIN);
	}
out:
	pthread_mutex_unlock(&ka_lock);
	return ret;
}

void rs_keepalive_update(struct rsocket *rs)
{
	pthread_mutex_lock(&ka_lock);
	if (rs->opts & RS_OPT_KEEPALIVE) {
		rs->keepalive_due = now_ms() + rs->keepalive_time * 1000ULL;
		pthread_cond_signal(&ka_cond);
	}
	pthread_mutex_unlock(&ka_lock);
}
