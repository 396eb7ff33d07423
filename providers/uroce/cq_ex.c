// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Extended CQs: ibv_create_cq_ex and the ibv_start_poll() family.
 *
 * An extended CQ is an ordinary struct uroce_cq (cq.c) whose struct
 * ibv_cq_ex head is filled in: the same ring, lock, arming and overrun
 * rules. So ibv_poll_cq, ibv_req_notify_cq, completion channels,
 * ibv_resize_cq and ibv_destroy_cq all work on ibv_cq_ex_to_cq() of it,
 * and both ways of polling may be mixed.
 *
 * Polling. start_poll first makes progress as ibv_poll_cq would (the data
 * path drains its sockets). start_poll and next_poll each take one
 * completion off the ring under the CQ lock and copy it to cq->cur, which
 * the ibv_wc_read_*() accessors read; a completion is consumed once it has
 * been returned, so end_poll has nothing left to hand back. The ring lock
 * is not held from start_poll to end_poll: the data path adds completions
 * from the posting thread, and an application that posts inside its poll
 * loop would spin on a lock it holds itself (and the engine thread would
 * stall). Instead a poll lock, which the data path never takes, makes a
 * session exclusive among pollers; IBV_CREATE_CQ_ATTR_SINGLE_THREADED
 * leaves it out.
 *
 * What ibv_create_cq_ex answers (attributes are checked before anything
 * is allocated, so a failure leaves nothing behind):
 * - cqe 0 or above max_cqe, comp_vector out of range, a channel of another
 *   context: EINVAL.
 * - comp_mask bits other than IBV_CQ_INIT_ATTR_MASK_FLAGS and _PD: EINVAL.
 * - IBV_CQ_INIT_ATTR_MASK_PD wants a parent domain of this context (its
 *   allocators then provide the completion ring); anything else (a plain
 *   PD, NULL) is EINVAL, as mlx5 answers.
 * - flags (with IBV_CQ_INIT_ATTR_MASK_FLAGS): SINGLE_THREADED is accepted;
 *   IGNORE_OVERRUN is EOPNOTSUPP, as rxe answers (an overrun CQ goes to
 *   error, see uroce_cq_push); undefined bits are EINVAL.
 * - wc_flags: the standard fields (IBV_WC_STANDARD_FLAGS) and both
 *   timestamps are supported; CVLAN, FLOW_TAG, TM_INFO and undefined bits
 *   are EOPNOTSUPP, as rxe and mlx5 answer.
 *
 * Timestamps. With either timestamp flag, uroce_cq_push stamps each
 * completion with CLOCK_MONOTONIC in ns as it is added: that is the
 * "HCA clock" of read_completion_ts, ticking at 1 GHz (hca_core_clock of
 * 1000000 kHz). read_completion_wallclock_ns adds the offset between
 * CLOCK_REALTIME and CLOCK_MONOTONIC taken when it is called, so a step of
 * the wall clock in between shows. A CQ without timestamps reads 0.
 *
 * Every read_* accessor is set, whatever wc_flags asked for: fields not
 * asked for still read the completion's value, and the fields uroce never
 * produces (cvlan, flow tag, tag matching info) read as 0.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "providers/uroce/caps.h"
#include "providers/uroce/cq.h"
#include "providers/uroce/pd.h"
#include "providers/uroce/poll.h"
#include "providers/uroce/uroce.h"

#define UROCE_CQ_TS_FLAGS                      \
	(IBV_WC_EX_WITH_COMPLETION_TIMESTAMP | \
	 IBV_WC_EX_WITH_COMPLETION_TIMESTAMP_WALLCLOCK)
#define UROCE_CQ_WC_FLAGS (IBV_WC_STANDARD_FLAGS | UROCE_CQ_TS_FLAGS)
#define UROCE_CQ_COMP_MASK \
	(IBV_CQ_INIT_ATTR_MASK_FLAGS | IBV_CQ_INIT_ATTR_MASK_PD)
#define UROCE_CQ_FLAGS_KNOWN \
	(IBV_CREATE_CQ_ATTR_SINGLE_THREADED | IBV_CREATE_CQ_ATTR_IGNORE_OVERRUN)

static inline struct uroce_cq *to_ucq_ex(struct ibv_cq_ex *ibcq)
{
	return container_of(ibcq, struct uroce_cq, ibv_cq_ex);
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Takes the oldest completion into cq->cur; ENOENT when there is none. */
static int cq_take(struct uroce_cq *cq)
{
	uint32_t slot;

	pthread_spin_lock(&cq->lock);
	if (cq->head == cq->tail) {
		pthread_spin_unlock(&cq->lock);
		return ENOENT;
	}
	slot = cq->head & (cq->size - 1);
	cq->cur = cq->ring[slot];
	if (cq->ts)
		cq->cur_ts = cq->ts[slot];
	cq->head++;
	pthread_spin_unlock(&cq->lock);

	cq->ibv_cq_ex.status = cq->cur.status;
	cq->ibv_cq_ex.wr_id = cq->cur.wr_id;
	return 0;
}

/*
 * Progress first, as ibv_poll_cq makes it: the data path drains its
 * sockets into the CQs, as much as another thread's drain lets it, and
 * marks the application as polling. (The poll_cq op asked for no entry
 * waits for such a drain instead: librdmacm's call, see poll.c.)
 */
static void cq_progress(struct uroce_cq *cq)
{
	uroce_cq_progress_dp(&cq->ibv_cq);
}

/*
 * Opens a poll session. Returns 0 with the first completion current,
 * ENOENT when the CQ is empty, EINVAL for a comp_mask it does not know;
 * only after 0 is the session open and ibv_end_poll due. next_poll does
 * not make progress: like one ibv_poll_cq call, a session drains once.
 */
static int cq_start_poll(struct ibv_cq_ex *ibcq, struct ibv_poll_cq_attr *attr)
{
	struct uroce_cq *cq = to_ucq_ex(ibcq);
	int ret;

	if (attr && attr->comp_mask)
		return EINVAL;
	cq_progress(cq);
	if (!cq->single_threaded)
		pthread_spin_lock(&cq->poll_lock);
	ret = cq_take(cq);
	if (ret && !cq->single_threaded)
		pthread_spin_unlock(&cq->poll_lock);
	return ret;
}

/* The next completion, or ENOENT; the session stays open either way. */
static int cq_next_poll(struct ibv_cq_ex *ibcq)
{
	return cq_take(to_ucq_ex(ibcq));
}

static void cq_end_poll(struct ibv_cq_ex *ibcq)
{
	struct uroce_cq *cq = to_ucq_ex(ibcq);

	if (!cq->single_threaded)
		pthread_spin_unlock(&cq->poll_lock);
}

static enum ibv_wc_opcode cq_read_opcode(struct ibv_cq_ex *ibcq)
{
	return to_ucq_ex(ibcq)->cur.opcode;
}

static uint32_t cq_read_vendor_err(struct ibv_cq_ex *ibcq)
{
	return to_ucq_ex(ibcq)->cur.vendor_err;
}

static uint32_t cq_read_byte_len(struct ibv_cq_ex *ibcq)
{
	return to_ucq_ex(ibcq)->cur.byte_len;
}

/* Also the invalidated rkey (ibv_wc_read_invalidated_rkey). */
static __be32 cq_read_imm_data(struct ibv_cq_ex *ibcq)
{
	return to_ucq_ex(ibcq)->cur.imm_data;
}

static uint32_t cq_read_qp_num(struct ibv_cq_ex *ibcq)
{
	return to_ucq_ex(ibcq)->cur.qp_num;
}

static uint32_t cq_read_src_qp(struct ibv_cq_ex *ibcq)
{
	return to_ucq_ex(ibcq)->cur.src_qp;
}

static unsigned int cq_read_wc_flags(struct ibv_cq_ex *ibcq)
{
	return to_ucq_ex(ibcq)->cur.wc_flags;
}

static uint32_t cq_read_slid(struct ibv_cq_ex *ibcq)
{
	return to_ucq_ex(ibcq)->cur.slid;
}

static uint8_t cq_read_sl(struct ibv_cq_ex *ibcq)
{
	return to_ucq_ex(ibcq)->cur.sl;
}

static uint8_t cq_read_dlid_path_bits(struct ibv_cq_ex *ibcq)
{
	return to_ucq_ex(ibcq)->cur.dlid_path_bits;
}

static uint64_t cq_read_completion_ts(struct ibv_cq_ex *ibcq)
{
	struct uroce_cq *cq = to_ucq_ex(ibcq);

	return cq->timestamps ? cq->cur_ts : 0;
}

static uint64_t cq_read_completion_wallclock_ns(struct ibv_cq_ex *ibcq)
{
	struct uroce_cq *cq = to_ucq_ex(ibcq);
	uint64_t real, mono;

	if (!cq->timestamps)
		return 0;
	real = clock_ns(CLOCK_REALTIME);
	mono = clock_ns(CLOCK_MONOTONIC);
	return cq->cur_ts + (real - mono);
}

/* No VLANs, flow steering or tag matching: these fields are always 0. */
static uint16_t cq_read_cvlan(struct ibv_cq_ex *ibcq)
{
	return 0;
}

static uint32_t cq_read_flow_tag(struct ibv_cq_ex *ibcq)
{
	return 0;
}

static void cq_read_tm_info(struct ibv_cq_ex *ibcq,
			    struct ibv_wc_tm_info *tm_info)
{
	if (tm_info)
		memset(tm_info, 0, sizeof(*tm_info));
}

/* The attribute checks of the file comment; 0 or an errno value. */
static int check_attr(struct ibv_context *ibctx,
		      const struct ibv_cq_init_attr_ex *attr)
{
	if (!attr)
		return EINVAL;
	if (attr->comp_mask & ~(uint32_t)UROCE_CQ_COMP_MASK)
		return EINVAL;
	if ((attr->comp_mask & IBV_CQ_INIT_ATTR_MASK_PD) &&
	    (!attr->parent_domain || attr->parent_domain->context != ibctx ||
	     !uroce_pd_is_parent(attr->parent_domain)))
		return EINVAL;
	if (attr->comp_mask & IBV_CQ_INIT_ATTR_MASK_FLAGS) {
		if (attr->flags & ~(uint32_t)UROCE_CQ_FLAGS_KNOWN)
			return EINVAL;
		if (attr->flags & IBV_CREATE_CQ_ATTR_IGNORE_OVERRUN)
			return EOPNOTSUPP;
	}
	if (attr->wc_flags & ~(uint64_t)UROCE_CQ_WC_FLAGS)
		return EOPNOTSUPP;
	if (attr->cqe < 1 || attr->cqe > UROCE_MAX_CQE)
		return EINVAL;
	if (attr->comp_vector >= (uint32_t)ibctx->num_comp_vectors)
		return EINVAL;
	if (attr->channel && attr->channel->context != ibctx)
		return EINVAL;
	return 0;
}

struct ibv_cq_ex *uroce_create_cq_ex(struct ibv_context *ibctx,
				     struct ibv_cq_init_attr_ex *attr)
{
	struct ibv_cq_ex *ex;
	struct uroce_pd *dom;
	struct uroce_cq *cq;
	int ret;

	ret = check_attr(ibctx, attr);
	if (ret) {
		errno = ret;
		return NULL;
	}
	dom = attr->comp_mask & IBV_CQ_INIT_ATTR_MASK_PD ?
		      uroce_pd_domain(attr->parent_domain) :
		      NULL;
	cq = uroce_cq_create(ibctx, attr->cqe, attr->channel, attr->comp_vector,
			     attr->wc_flags & UROCE_CQ_TS_FLAGS, dom);
	if (!cq)
		return NULL;

	cq->wc_flags = attr->wc_flags;
	cq->single_threaded =
		(attr->comp_mask & IBV_CQ_INIT_ATTR_MASK_FLAGS) &&
		(attr->flags & IBV_CREATE_CQ_ATTR_SINGLE_THREADED);

	ex = &cq->ibv_cq_ex;
	ex->cq_context = attr->cq_context;
	ex->comp_mask = 0;
	ex->start_poll = cq_start_poll;
	ex->next_poll = cq_next_poll;
	ex->end_poll = cq_end_poll;
	ex->read_opcode = cq_read_opcode;
	ex->read_vendor_err = cq_read_vendor_err;
	ex->read_byte_len = cq_read_byte_len;
	ex->read_imm_data = cq_read_imm_data;
	ex->read_qp_num = cq_read_qp_num;
	ex->read_src_qp = cq_read_src_qp;
	ex->read_wc_flags = cq_read_wc_flags;
	ex->read_slid = cq_read_slid;
	ex->read_sl = cq_read_sl;
	ex->read_dlid_path_bits = cq_read_dlid_path_bits;
	ex->read_completion_ts = cq_read_completion_ts;
	ex->read_cvlan = cq_read_cvlan;
	ex->read_flow_tag = cq_read_flow_tag;
	ex->read_tm_info = cq_read_tm_info;
	ex->read_completion_wallclock_ns = cq_read_completion_wallclock_ns;
	return ex;
}
