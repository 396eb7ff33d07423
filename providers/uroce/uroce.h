/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The uroce provider's internal types: devices, contexts and verbs objects,
 * and the helpers every file shares. A file's functions are declared in
 * its own header (pd.h for pd.c), the data path's types in dp.h. Not a
 * public header.
 *
 * Errors inside the provider, one convention per kind of function:
 * - verbs and the functions behind them: 0 or a positive errno value, as
 *   libibverbs has them; those that return a pointer: NULL and errno;
 * - system-level helpers (socket and ioctl wrappers): 0 or what they
 *   made (a file descriptor), or -errno;
 * - packets: 0 or a positive enum uroce_drop_reason, counted where the
 *   packet is dropped (the codec, pkt.c, returns it negated; rx.c, its
 *   one caller on the receive path, turns it positive);
 * - work requests: IBV_WC_SUCCESS (0) or an enum ibv_wc_status, never
 *   negated.
 */
#ifndef UROCE_PROVIDER_H
#define UROCE_PROVIDER_H

#include <errno.h>
#include <net/if.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>

#include "driver.h"
#include "providers/uroce/config.h"
#include "providers/uroce/gid.h"
#include "providers/uroce/keytab.h"
#include "util/clock.h"
#include "util/list.h"

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr)-offsetof(type, member)))

#define UROCE_PORT 1 /* the only port of every device */
/* ibv_port_attr.port_cap_flags (port.c) and sysfs cap_mask (preload/) */
#define UROCE_PORT_CAP_FLAGS (IBV_PORT_CM_SUP | IBV_PORT_IP_BASED_GIDS)
/* Port physical states (IBTA), as ibv_query_port reports them. */
#define UROCE_PHYS_STATE_DISABLED 3
#define UROCE_PHYS_STATE_LINK_UP 5

struct uroce_member {
	int ifindex;
	char ifname[IF_NAMESIZE];
};

struct uroce_device {
	struct verbs_device vdev; /* must be first */
	/* The network namespace the device was listed in. */
	dev_t netns_dev;
	ino_t netns_ino;
	bool lag;
	/* One member for a plain device; LAG members in configured order. */
	unsigned int nmembers;
	struct uroce_member members[UROCE_LAG_MAX_MEMBERS];
	/* what each context may hold, from the configuration (config.h) */
	struct uroce_limits limits;
	/*
	 * RoCE v2 on UDP port 4791 with real QPNs ("wire roce", config.h),
	 * rather than the direct addressing (DESIGN.md).
	 */
	bool wire_roce;
};

/*
 * What the port looks like, computed from one rtnetlink dump. Queries are
 * served from a copy of it: a thread that moved to another namespace must
 * still see the context's netdev.
 */
struct uroce_port_state {
	bool present; /* the netdev (a LAG member) still exists */
	bool running; /* up with carrier: IBV_PORT_ACTIVE */
	int ifindex; /* the netdev that serves the port */
	unsigned int mtu;
	enum ibv_mtu active_mtu;
	uint32_t speed_mbps; /* 0: unknown; a LAG's: its running members' */
	uint32_t members_running; /* bit i: members[i] is up with carrier */
	uint8_t active_width;
	uint8_t active_speed;
	unsigned int ngids;
	struct uroce_gid gids[UROCE_GID_TBL_LEN];
};

struct uroce_context {
	struct verbs_context vctx; /* first, as providers do */
	struct uroce_device *dev;
	/* /proc/thread-self/ns/net of the opening thread: sockets go there */
	int netns_fd;

	pthread_mutex_t state_lock; /* protects state */
	struct uroce_port_state state;

	/* the monitor thread, see monitor.c */
	int mon_fd; /* rtnetlink monitor socket */
	int stop_fd; /* eventfd: the thread exits */
	pthread_t mon_thread;
	bool mon_running;
	bool fatal; /* netdev gone; only the monitor uses it */

	/*
	 * Memory regions by key. Readers (the data path) hold mr_lock for
	 * reading while they use an MR; dereg takes it for writing, so once
	 * it returns no reader can still touch the region.
	 */
	pthread_rwlock_t mr_lock;
	struct uroce_keytab mrs;
	/* Memory windows by index (rkey >> 8), under mr_lock too (mw.c). */
	struct uroce_keytab mws;

	pthread_mutex_t obj_lock; /* protects the object lists */
	struct uroce_list pds;
	struct uroce_list cqs;
	struct uroce_list srqs;
	struct uroce_list ahs;
	/* against dev->limits, without a lock: one atomic each */
	atomic_uint nqp, npd, nmr, ncq, nsrq, nah, nmw;
	atomic_uint next_handle;

	struct uroce_dp *dp; /* the data path: sockets, QPs, engine (dp.h) */

	/* the query endpoint, served by the monitor thread (endpoint.c) */
	int ep_fd;
	unsigned int ep_id; /* the context's number in its process */
};

/*
 * A protection domain, or a parent domain (ibv_alloc_parent_domain) that
 * stands for one: prot is the PD itself, or the parent domain's protection
 * domain, which is what access checks compare (to_upd follows it).
 */
struct uroce_pd {
	struct ibv_pd ibv_pd;
	struct uroce_pd *prot;
	/* a parent domain's allocators for queue buffers, or NULL */
	void *(*alloc)(struct ibv_pd *pd, void *pd_context, size_t size,
		       size_t alignment, uint64_t resource_type);
	void (*free)(struct ibv_pd *pd, void *pd_context, void *ptr,
		     uint64_t resource_type);
	void *pd_context;
	/*
	 * MRs, QPs, AHs, SRQs and parent domains using it, or for a parent
	 * domain the QPs, SRQs and CQs created on it: dealloc is refused
	 * while non-zero
	 */
	atomic_uint use;
	struct uroce_list node;
};

/*
 * The resource_type a parent domain's allocator is called with, as
 * mlx5dv's MLX5DV_RES_TYPE_* for mlx5 (documented in uroce(7)).
 */
enum uroce_res_type {
	UROCE_RES_TYPE_SQ = 1, /* a QP's send queue */
	UROCE_RES_TYPE_RQ = 2, /* a QP's receive queue */
	UROCE_RES_TYPE_SRQ = 3, /* an SRQ's queue */
	UROCE_RES_TYPE_CQ = 4, /* a CQ's completion ring */
};

struct uroce_mr {
	struct ibv_mr ibv_mr;
	struct uroce_pd *pd;
	uint64_t iova; /* the address the keys' users see */
	int access; /* IBV_ACCESS_* as registered */
	unsigned int nmw; /* windows bound to it, under mr_lock (mw.c) */
};

/*
 * Keys with this bit name memory windows, the others MRs (as rxe splits
 * its key indexes), so an rkey from the wire is looked up in one table.
 */
#define UROCE_MW_KEY_BIT 0x80000000u

static inline bool uroce_key_is_mw(uint32_t key)
{
	return key & UROCE_MW_KEY_BIT;
}

/*
 * A memory window. Its rkey's index (the upper 24 bits) never changes,
 * the key byte does at each bind. The bound state is read by the data
 * path under ctx->mr_lock for reading and changed under it for writing.
 */
struct uroce_mw {
	struct ibv_mw ibv_mw;
	struct uroce_pd *pd;
	uint32_t index; /* rkey >> 8: its key in ctx->mws */
	uint32_t rkey; /* the valid rkey now */
	struct uroce_mr *mr; /* NULL: not bound (type 2: free) */
	uint64_t addr, length; /* in the MR's addresses */
	int access;
	uint32_t qp_handle; /* type 2: the QP it is bound to */
};

struct uroce_cq {
	/*
	 * struct ibv_cq_ex begins with the fields of struct ibv_cq, so one
	 * CQ serves both ibv_create_cq and ibv_create_cq_ex (cq_ex.c).
	 */
	union {
		struct ibv_cq ibv_cq;
		struct ibv_cq_ex ibv_cq_ex;
	};
	/* Set at creation, then constant: read without the lock. */
	bool timestamps; /* ts[] kept: each completion is stamped */
	bool single_threaded; /* IBV_CREATE_CQ_ATTR_SINGLE_THREADED */
	uint64_t wc_flags; /* IBV_WC_EX_WITH_* asked for (create_cq_ex) */
	/*
	 * ibv_start_poll .. ibv_end_poll (cq_ex.c): poll_lock is held for
	 * the whole session (never by the data path); cur is the completion
	 * returned last, which the ibv_wc_read_*() accessors read.
	 */
	pthread_spinlock_t poll_lock;
	struct ibv_wc cur;
	uint64_t cur_ts;

	struct uroce_pd *dom; /* the parent domain it was created on */
	bool ring_ext; /* ring is from dom's allocator (pd.c) */

	pthread_spinlock_t lock; /* protects everything below */
	struct ibv_wc *ring;
	uint64_t *ts; /* ns of CLOCK_MONOTONIC per ring slot, or NULL */
	uint32_t size; /* a power of two; size - 1 usable */
	uint32_t head; /* next to poll, free running */
	uint32_t tail; /* next to fill, free running */
	bool armed;
	bool solicited_only;
	bool overrun; /* IBV_EVENT_CQ_ERR was posted */
	uint64_t overflows; /* completions lost to overrun */
	atomic_uint use; /* QPs attached: destroy gives EBUSY */
	/* a completion left its QP with nothing posted (see dp.h) */
	atomic_bool idle_hint;
	struct uroce_list node;
};

static inline struct uroce_context *to_uctx(struct ibv_context *ctx)
{
	return container_of(ctx, struct uroce_context, vctx.context);
}

static inline struct uroce_device *to_udev(struct ibv_device *dev)
{
	return container_of(dev, struct uroce_device, vdev.device);
}

/* The protection domain of @pd, a PD or a parent domain. */
static inline struct uroce_pd *to_upd(struct ibv_pd *pd)
{
	return container_of(pd, struct uroce_pd, ibv_pd)->prot;
}

static inline struct uroce_mr *to_umr(struct ibv_mr *mr)
{
	return container_of(mr, struct uroce_mr, ibv_mr);
}

static inline struct uroce_mw *to_umw(struct ibv_mw *mw)
{
	return container_of(mw, struct uroce_mw, ibv_mw);
}

static inline struct uroce_cq *to_ucq(struct ibv_cq *cq)
{
	return container_of(cq, struct uroce_cq, ibv_cq);
}

/* Takes one of @max slots of a per-context object count. */
static inline bool uroce_count_get(atomic_uint *count, unsigned int max)
{
	if (atomic_fetch_add(count, 1) >= max) {
		atomic_fetch_sub(count, 1);
		return false;
	}
	return true;
}

static inline void uroce_count_put(atomic_uint *count)
{
	atomic_fetch_sub(count, 1);
}

/*
 * A zeroed object of @size that holds one of @max slots of @count (given
 * back with uroce_count_put); NULL with errno ENOMEM when there is no
 * slot left or no memory.
 */
static inline void *uroce_count_alloc(atomic_uint *count, unsigned int max,
				      size_t size)
{
	void *obj;

	if (!uroce_count_get(count, max)) {
		errno = ENOMEM;
		return NULL;
	}
	obj = calloc(1, size);
	if (!obj) {
		uroce_count_put(count);
		errno = ENOMEM;
	}
	return obj;
}

/*
 * Unlinks each object of type @type on list @head (linked by @member) and
 * passes it to @destroy: the teardown walk of a context's object lists.
 */
#define uroce_list_drain(head, type, member, destroy)                    \
	do {                                                             \
		type *obj_;                                              \
                                                                         \
		while ((head)->next != (head)) {                         \
			obj_ = container_of((head)->next, type, member); \
			uroce_list_del(&obj_->member);                   \
			destroy(obj_);                                   \
		}                                                        \
	} while (0)

#endif /* UROCE_PROVIDER_H */
