// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The body of a query endpoint's reply (util/endpoint.h): one line per
 * object. Each object is read under its own lock, one at a time, so a
 * query holds up an object's data path for the copy of a few fields only.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "providers/uroce/dp.h"
#include "providers/uroce/endpoint.h"
#include "providers/uroce/uroce.h"

void uroce_buf_printf(struct uroce_buf *b, const char *fmt, ...)
{
	va_list ap;
	size_t cap;
	char *p;
	int n;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL,
			      b->p ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if (b->p && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		cap = b->cap ? b->cap * 2 : 4096;
		while (cap <= b->len + (size_t)n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
}

struct cnt_field {
	const char *name;
	size_t off;
};

#define QP_CNT(f)                                         \
	{                                                 \
#f, offsetof(struct uroce_qp_counters, f) \
	}
static const struct cnt_field qp_cnt_fields[] = {
	QP_CNT(tx_pkts),       QP_CNT(tx_bytes),      QP_CNT(rx_pkts),
	QP_CNT(rx_bytes),      QP_CNT(retrans),	      QP_CNT(retrans_pkts),
	QP_CNT(timeouts),      QP_CNT(seq_naks_sent), QP_CNT(seq_naks_rcvd),
	QP_CNT(rnr_naks_sent), QP_CNT(rnr_naks_rcvd), QP_CNT(err_naks_sent),
	QP_CNT(err_naks_rcvd), QP_CNT(dup_reqs),
};

static uint64_t field(const void *base, size_t off)
{
	return *(const uint64_t *)((const char *)base + off);
}

static void put_drops(struct uroce_buf *b, const uint64_t *drops)
{
	uint64_t sum = 0;
	int r;

	for (r = UROCE_DROP_NONE + 1; r < UROCE_DROP_MAX; r++)
		sum += drops[r];
	uroce_buf_printf(b, " drops=%llu", (unsigned long long)sum);
	for (r = UROCE_DROP_NONE + 1; r < UROCE_DROP_MAX; r++)
		uroce_buf_printf(b, " drop_%s=%llu", uroce_drop_name(r),
				 (unsigned long long)drops[r]);
}

static void put_qp_counters(struct uroce_buf *b,
			    const struct uroce_qp_counters *c)
{
	size_t i;

	for (i = 0; i < sizeof(qp_cnt_fields) / sizeof(qp_cnt_fields[0]); i++)
		uroce_buf_printf(
			b, " %s=%llu", qp_cnt_fields[i].name,
			(unsigned long long)field(c, qp_cnt_fields[i].off));
}

static const char *qp_type_name(enum ibv_qp_type t)
{
	switch (t) {
	case IBV_QPT_RC:
		return "RC";
	case IBV_QPT_UC:
		return "UC";
	case IBV_QPT_UD:
		return "UD";
	default:
		return "UNKNOWN";
	}
}

static const char *qp_state_name(enum ibv_qp_state s)
{
	static const char *const names[] = {
		[IBV_QPS_RESET] = "RESET", [IBV_QPS_INIT] = "INIT",
		[IBV_QPS_RTR] = "RTR",	   [IBV_QPS_RTS] = "RTS",
		[IBV_QPS_SQD] = "SQD",	   [IBV_QPS_SQE] = "SQE",
		[IBV_QPS_ERR] = "ERR",
	};

	if ((unsigned int)s < sizeof(names) / sizeof(names[0]) && names[s])
		return names[s];
	return "UNKNOWN";
}

struct mr_walk {
	struct uroce_context *ctx;
	struct uroce_buf *b;
};

static void put_mr(void *obj, void *arg)
{
	struct uroce_mr *mr = obj;
	struct mr_walk *w = arg;

	uroce_buf_printf(w->b,
			 "mr ctx=%u pd=%u addr=0x%llx len=%zu lkey=0x%x "
			 "rkey=0x%x access=0x%x\n",
			 w->ctx->ep_id, mr->pd->ibv_pd.handle,
			 (unsigned long long)mr->iova, mr->ibv_mr.length,
			 mr->ibv_mr.lkey, mr->ibv_mr.rkey, mr->access);
}

static void put_objects(struct uroce_context *ctx, struct uroce_buf *b)
{
	struct mr_walk w = { ctx, b };
	struct uroce_list *n;
	struct uroce_srq *srq;
	struct uroce_pd *pd;
	struct uroce_cq *cq;
	uint32_t used, max_wr, limit;
	uint64_t overflows;

	pthread_mutex_lock(&ctx->obj_lock);
	for (n = ctx->pds.next; n != &ctx->pds; n = n->next) {
		pd = container_of(n, struct uroce_pd, node);
		uroce_buf_printf(b, "pd ctx=%u handle=%u users=%u\n",
				 ctx->ep_id, pd->ibv_pd.handle,
				 atomic_load(&pd->use));
	}
	for (n = ctx->cqs.next; n != &ctx->cqs; n = n->next) {
		cq = container_of(n, struct uroce_cq, node);
		pthread_spin_lock(&cq->lock);
		used = cq->tail - cq->head;
		overflows = cq->overflows;
		pthread_spin_unlock(&cq->lock);
		uroce_buf_printf(b,
				 "cq ctx=%u handle=%u cqe=%d used=%u "
				 "overflows=%llu\n",
				 ctx->ep_id, cq->ibv_cq.handle, cq->ibv_cq.cqe,
				 used, (unsigned long long)overflows);
	}
	for (n = ctx->srqs.next; n != &ctx->srqs; n = n->next) {
		srq = container_of(n, struct uroce_srq, node);
		pthread_spin_lock(&srq->lock);
		used = srq->rq.head - srq->rq.tail;
		max_wr = srq->max_wr;
		limit = srq->limit;
		pthread_spin_unlock(&srq->lock);
		uroce_buf_printf(b,
				 "srq ctx=%u handle=%u pd=%u max_wr=%u used=%u "
				 "limit=%u\n",
				 ctx->ep_id, srq->ibv_srq.handle,
				 srq->pd->ibv_pd.handle, max_wr, used, limit);
	}
	pthread_mutex_unlock(&ctx->obj_lock);

	pthread_rwlock_rdlock(&ctx->mr_lock);
	uroce_keytab_for_each(&ctx->mrs, put_mr, &w);
	pthread_rwlock_unlock(&ctx->mr_lock);
}

/* One QP's line; adds its counters to @sum. Under qp_list_lock. */
static void put_qp(struct uroce_context *ctx, struct uroce_qp *qp,
		   struct uroce_buf *b, struct uroce_qp_counters *sum)
{
	struct uroce_qp_counters cnt;
	struct sockaddr_in6 dst;
	enum ibv_qp_state state;
	uint32_t sq_psn, rq_psn, dqpn, mtu;
	char gid[INET6_ADDRSTRLEN];
	const char *member;
	bool connected;

	pthread_mutex_lock(&qp->lock);
	member = qp->txb.lag ? qp->txb.lag->m[qp->txb.member].ifname :
			       ctx->dev->members[0].ifname;
	state = qp->state;
	sq_psn = qp->req.psn;
	rq_psn = qp->resp.psn;
	dqpn = qp->attr.dest_qp_num;
	mtu = qp->mtu;
	dst = qp->path.dst;
	cnt = qp->cnt;
	pthread_mutex_unlock(&qp->lock);
	uroce_qp_counters_add(sum, &cnt);

	uroce_buf_printf(b,
			 "qp ctx=%u qpn=%u type=%s state=%s pd=%u scq=%u "
			 "rcq=%u srq=%u sq_psn=%u rq_psn=%u mtu=%u",
			 ctx->ep_id, qp->ibv_qp.qp_num,
			 qp_type_name(qp->ibv_qp.qp_type), qp_state_name(state),
			 qp->pd->ibv_pd.handle, qp->scq->ibv_cq.handle,
			 qp->rcq->ibv_cq.handle,
			 qp->srq ? qp->srq->ibv_srq.handle : 0, sq_psn, rq_psn,
			 mtu);
	/* RC and UC have a peer from RTR on; until RESET takes it away. */
	connected = qp->ibv_qp.qp_type != IBV_QPT_UD &&
		    state != IBV_QPS_RESET && state != IBV_QPS_INIT;
	if (connected && inet_ntop(AF_INET6, &dst.sin6_addr, gid, sizeof(gid)))
		uroce_buf_printf(b, " dgid=%s dqpn=%u dport=%u", gid, dqpn,
				 ntohs(dst.sin6_port));
	uroce_buf_printf(b, " member=%s", member);
	put_qp_counters(b, &cnt);
	put_drops(b, cnt.drops);
	uroce_buf_printf(b, "\n");
}

/*
 * A LAG's members: "member ctx= dev= ifname= ifindex= state= qps=" then
 * tx_pkts tx_bytes rx_pkts rx_bytes as the sockets sent and received
 * them by that member, failovers (QPs moved away from it, its link down
 * or a black hole suspected) and blackholes (suspicions). state is up,
 * down or suspect (link up, avoided for now).
 */
static void put_members(struct uroce_context *ctx, struct uroce_buf *b)
{
	struct uroce_lag_set *lag = &ctx->dp->lag;
	struct uroce_lag_member *m;
	uint64_t now = uroce_now_ns(), bad;
	const char *state;
	unsigned int i;

	for (i = 0; i < lag->n; i++) {
		m = &lag->m[i];
		bad = atomic_load(&m->bad_until);
		state = !atomic_load(&m->up) ? "down" :
			bad && now < bad     ? "suspect" :
					       "up";
		uroce_buf_printf(
			b,
			"member ctx=%u dev=%s ifname=%s ifindex=%d state=%s "
			"qps=%u tx_pkts=%llu tx_bytes=%llu rx_pkts=%llu "
			"rx_bytes=%llu failovers=%llu blackholes=%llu\n",
			ctx->ep_id, ctx->dev->vdev.device.name, m->ifname,
			m->ifindex, state, atomic_load(&m->nqps),
			(unsigned long long)__atomic_load_n(&m->tx_pkts,
							    __ATOMIC_RELAXED),
			(unsigned long long)__atomic_load_n(&m->tx_bytes,
							    __ATOMIC_RELAXED),
			(unsigned long long)__atomic_load_n(&m->rx_pkts,
							    __ATOMIC_RELAXED),
			(unsigned long long)__atomic_load_n(&m->rx_bytes,
							    __ATOMIC_RELAXED),
			(unsigned long long)__atomic_load_n(&m->failovers,
							    __ATOMIC_RELAXED),
			(unsigned long long)__atomic_load_n(&m->blackholes,
							    __ATOMIC_RELAXED));
	}
}

void uroce_ep_reply(struct uroce_context *ctx, struct uroce_buf *b)
{
	struct uroce_qp_counters sum = {};
	const struct uroce_counters *c = &ctx->dp->cnt;
	uint64_t drops[UROCE_DROP_MAX];
	struct uroce_list *n;
	int r;

	uroce_buf_printf(b, "ctx id=%u dev=%s netdev=%s\n", ctx->ep_id,
			 ctx->dev->vdev.device.name,
			 ctx->dev->members[0].ifname);
	put_objects(ctx, b);

	pthread_mutex_lock(&ctx->dp->qp_list_lock);
	for (n = ctx->dp->qps.next; n != &ctx->dp->qps; n = n->next)
		put_qp(ctx, container_of(n, struct uroce_qp, node), b, &sum);
	uroce_qp_counters_add(&sum, &ctx->dp->retired);
	pthread_mutex_unlock(&ctx->dp->qp_list_lock);

	/*
	 * Device totals: packets and bytes as the sockets saw them (drops
	 * before a QP was found included), events summed over the QPs.
	 */
	sum.tx_pkts = __atomic_load_n(&c->tx_pkts, __ATOMIC_RELAXED);
	sum.tx_bytes = __atomic_load_n(&c->tx_bytes, __ATOMIC_RELAXED);
	sum.rx_pkts = __atomic_load_n(&c->rx_pkts, __ATOMIC_RELAXED);
	sum.rx_bytes = __atomic_load_n(&c->rx_bytes, __ATOMIC_RELAXED);
	for (r = 0; r < UROCE_DROP_MAX; r++)
		drops[r] = __atomic_load_n(&c->drops[r], __ATOMIC_RELAXED);
	uroce_buf_printf(b, "stat ctx=%u dev=%s", ctx->ep_id,
			 ctx->dev->vdev.device.name);
	put_qp_counters(b, &sum);
	put_drops(b, drops);
	uroce_buf_printf(b,
			 " tx_errors=%llu cq_overflows=%llu fault_drop=%llu "
			 "fault_dup=%llu fault_reorder=%llu\n",
			 (unsigned long long)__atomic_load_n(&c->tx_errors,
							     __ATOMIC_RELAXED),
			 (unsigned long long)__atomic_load_n(&c->cq_overflows,
							     __ATOMIC_RELAXED),
			 (unsigned long long)__atomic_load_n(&c->fault_drop,
							     __ATOMIC_RELAXED),
			 (unsigned long long)__atomic_load_n(&c->fault_dup,
							     __ATOMIC_RELAXED),
			 (unsigned long long)__atomic_load_n(&c->fault_reorder,
							     __ATOMIC_RELAXED));
	put_members(ctx, b);
}
