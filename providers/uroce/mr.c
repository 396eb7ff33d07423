// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Memory regions. Nothing is pinned: the data path copies from and to the
 * process's own memory, so registration only checks that the range is
 * mapped with the needed protection and hands out a key. No mlock, no RLIMIT_MEMLOCK.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/log.h"
#include "util/random.h"
#include "providers/uroce/caps.h"
#include "providers/uroce/mem.h"
#include "providers/uroce/mr.h"
#include "providers/uroce/uroce.h"

/* Newer kernels' flush access bits (IB_UVERBS_ACCESS_FLUSH_*). */
#define ACCESS_FLUSH_GLOBAL (1 << 8)
#define ACCESS_FLUSH_PERSISTENT (1 << 9)

/*
 * Access bits uroce knows. HUGETLB is a hint, ZERO_BASED and MW_BIND
 * matter only to memory windows; the optional range (RELAXED_ORDERING and
 * up) holds hints a device may ignore, as the kernel lets it.
 */
#define ACCESS_KNOWN                                                          \
	(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |                   \
	 IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_ATOMIC |                  \
	 IBV_ACCESS_MW_BIND | IBV_ACCESS_ZERO_BASED | IBV_ACCESS_ON_DEMAND |  \
	 IBV_ACCESS_HUGETLB | ACCESS_FLUSH_GLOBAL | ACCESS_FLUSH_PERSISTENT | \
	 IBV_ACCESS_OPTIONAL_RANGE)

/* The kernel's checks (ib_check_mr_access), in its order and errnos. */
static int check_access(int access)
{
	if ((access & (IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_ATOMIC)) &&
	    !(access & IBV_ACCESS_LOCAL_WRITE))
		return EINVAL;
	if (access & ~ACCESS_KNOWN)
		return EINVAL;
	/*
	 * Nothing is pinned, so every MR is on demand already: ODP is
	 * accepted (the data path copies ODP memory fault-safely, mem.c).
	 * Flushes to persistent memory are not done.
	 */
	if (access & (ACCESS_FLUSH_GLOBAL | ACCESS_FLUSH_PERSISTENT))
		return EOPNOTSUPP;
	return 0;
}

/* Implicit ODP: the whole address space, as rdma-core spells it. */
static bool is_implicit(uintptr_t start, size_t length, int access)
{
	return !start && length == SIZE_MAX && (access & IBV_ACCESS_ON_DEMAND);
}

/*
 * The kernel pins a region's pages when it registers them and fails with
 * EFAULT when it cannot: a hole, a page that is not readable, or one that
 * is not writable when the MR may be written to. uroce reads and writes
 * the pages itself, so it applies the same rule, from /proc/self/maps.
 */
static int range_accessible(uintptr_t start, uintptr_t end, bool writable)
{
	unsigned long lo, hi;
	uintptr_t cur = start;
	size_t cap = 0;
	char *line = NULL;
	char perms[5];
	FILE *maps;

	maps = fopen("/proc/self/maps", "re");
	if (!maps)
		return errno == ENOENT ? 0 : errno;
	while (cur < end && getline(&line, &cap, maps) > 0) {
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) != 3)
			continue;
		if (hi <= cur)
			continue;
		if (lo > cur || perms[0] != 'r' ||
		    (writable && perms[1] != 'w'))
			break;
		cur = hi;
	}
	free(line);
	fclose(maps);
	return cur >= end ? 0 : EFAULT;
}

/*
 * A fresh random key in *@key. rkeys travel to peers: they must not be
 * guessable from one another, so they come from the kernel's generator
 * (util/random.c), with no weaker fallback: 0, or EAGAIN where it cannot
 * be read at all.
 */
int uroce_random_key(uint32_t *key)
{
	return uroce_random(key, sizeof(*key)) ? EAGAIN : 0;
}

/* Called with mr_lock held for writing. */
static int mr_insert(struct uroce_context *ctx, struct uroce_mr *mr)
{
	uint32_t key;
	int ret;

	do {
		ret = uroce_random_key(&key);
		if (ret)
			return ret;
		/* Keys with UROCE_MW_KEY_BIT are the windows' (mw.c). */
		if (!key || uroce_key_is_mw(key))
			ret = EEXIST;
		else
			ret = uroce_keytab_insert(&ctx->mrs, key, mr);
	} while (ret == EEXIST);
	if (ret)
		return ret;
	mr->ibv_mr.lkey = key;
	mr->ibv_mr.rkey = key;
	return 0;
}

/*
 * The kernel's order: the IOVA's page offset, access, the range. An ODP
 * range need not be mapped yet (its pages fault in when used).
 */
static int check_region(uintptr_t start, size_t length, uint64_t hca_va,
			int access)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	int ret;

	if ((start ^ hca_va) & (page - 1))
		return EINVAL;
	ret = check_access(access);
	if (ret)
		return ret;
	if (is_implicit(start, length, access))
		return hca_va ? EINVAL : 0;
	if (!start || !length || start + length - 1 < start ||
	    hca_va + length - 1 < hca_va)
		return EINVAL;
	if (access & IBV_ACCESS_ON_DEMAND)
		return 0;
	return range_accessible(start, start + length,
				access & IBV_ACCESS_LOCAL_WRITE);
}

struct ibv_mr *uroce_reg_mr(struct ibv_pd *ibpd, void *addr, size_t length,
			    uint64_t hca_va, int access)
{
	struct uroce_context *ctx = to_uctx(ibpd->context);
	struct uroce_mr *mr;
	int ret;

	ret = check_region((uintptr_t)addr, length, hca_va, access);
	if (ret)
		goto err;
	mr = uroce_count_alloc(&ctx->nmr, ctx->dev->limits.mr, sizeof(*mr));
	if (!mr)
		return NULL;
	mr->ibv_mr.context = ibpd->context;
	mr->ibv_mr.pd = ibpd;
	mr->ibv_mr.addr = addr;
	mr->ibv_mr.length = length;
	mr->ibv_mr.handle = atomic_fetch_add(&ctx->next_handle, 1);
	mr->pd = to_upd(ibpd);
	mr->iova = hca_va;
	mr->access = access;

	pthread_rwlock_wrlock(&ctx->mr_lock);
	ret = mr_insert(ctx, mr);
	pthread_rwlock_unlock(&ctx->mr_lock);
	if (ret)
		goto err_free;
	atomic_fetch_add(&mr->pd->use, 1);
	return &mr->ibv_mr;

err_free:
	free(mr);
	uroce_count_put(&ctx->nmr);
err:
	errno = ret;
	return NULL;
}

/*
 * ibv_rereg_mr: the new translation, PD or access is checked as
 * ibv_reg_mr checks it, then swapped in under the write lock, so the data
 * path sees the old region or the new one, never a mix. The keys stay.
 * A failure changes nothing (rdma-core then returns
 * IBV_REREG_MR_ERR_CMD with errno set).
 */
int uroce_rereg_mr(struct ibv_mr *ibmr, int flags, struct ibv_pd *ibpd,
		   void *addr, size_t length, int access)
{
	struct uroce_context *ctx = to_uctx(ibmr->context);
	struct uroce_mr *mr = to_umr(ibmr);
	struct uroce_pd *pd, *old_pd;
	uintptr_t start;
	uint64_t iova;
	size_t len;
	int acc, ret;

	if (!flags || (flags & ~IBV_REREG_MR_FLAGS_SUPPORTED))
		return EINVAL;
	/* The application does not race verbs on one MR: read unlocked. */
	start = (uintptr_t)ibmr->addr;
	len = ibmr->length;
	iova = mr->iova;
	acc = mr->access;
	pd = mr->pd;

	if (flags & IBV_REREG_MR_CHANGE_PD) {
		if (!ibpd || ibpd->context != ibmr->context)
			return EINVAL;
		pd = to_upd(ibpd);
	}
	if (flags & IBV_REREG_MR_CHANGE_ACCESS)
		acc = access;
	if (flags & IBV_REREG_MR_CHANGE_TRANSLATION) {
		start = (uintptr_t)addr;
		len = length;
		iova = start; /* rdma-core passes the address as IOVA */
	}
	ret = check_region(start, len, iova, acc);
	if (ret)
		return ret;

	pthread_rwlock_wrlock(&ctx->mr_lock);
	if (uroce_keytab_lookup(&ctx->mrs, ibmr->lkey) != mr) {
		pthread_rwlock_unlock(&ctx->mr_lock);
		return EINVAL;
	}
	old_pd = mr->pd;
	ibmr->addr = (void *)start;
	ibmr->length = len;
	if (flags & IBV_REREG_MR_CHANGE_PD)
		ibmr->pd = ibpd;
	mr->iova = iova;
	mr->access = acc;
	mr->pd = pd;
	pthread_rwlock_unlock(&ctx->mr_lock);
	if (pd != old_pd) {
		atomic_fetch_add(&pd->use, 1);
		atomic_fetch_sub(&old_pd->use, 1);
	}
	return 0;
}

int uroce_dereg_mr(struct ibv_mr *ibmr)
{
	struct uroce_context *ctx = to_uctx(ibmr->context);
	struct uroce_mr *mr = to_umr(ibmr);
	void *found;

	/* Once the write lock is ours no reader is inside the region. */
	pthread_rwlock_wrlock(&ctx->mr_lock);
	found = uroce_keytab_lookup(&ctx->mrs, ibmr->lkey);
	/* Not while a window is bound to it (ibv_alloc_mw(3), as rxe). */
	if (found == mr && mr->nmw)
		found = NULL;
	if (found == mr)
		uroce_keytab_remove(&ctx->mrs, ibmr->lkey);
	pthread_rwlock_unlock(&ctx->mr_lock);
	if (found != mr)
		return EINVAL;

	atomic_fetch_sub(&mr->pd->use, 1);
	uroce_count_put(&ctx->nmr);
	free(mr);
	return 0;
}

/*
 * ibv_advise_mr: each range must lie in an ODP MR of @ibpd (rxe's rule).
 * Prefetching asks the kernel to fault the pages in (MADV_POPULATE_*,
 * Linux 5.14); it is only a hint, so a range it cannot populate (not
 * mapped yet, an older kernel) is not an error. The FLUSH flag asks for
 * nothing more: the call is synchronous.
 */
int uroce_advise_mr(struct ibv_pd *ibpd, enum ibv_advise_mr_advice advice,
		    uint32_t flags, struct ibv_sge *sg_list, uint32_t num_sges)
{
	struct uroce_context *ctx = to_uctx(ibpd->context);
	bool write = advice == IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE;
	struct uroce_mr *mr;
	uint32_t i;
	int ret = 0;

	if (advice != IBV_ADVISE_MR_ADVICE_PREFETCH &&
	    advice != IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE &&
	    advice != IBV_ADVISE_MR_ADVICE_PREFETCH_NO_FAULT)
		return EOPNOTSUPP;
	if (flags & ~(uint32_t)IBV_ADVISE_MR_FLAG_FLUSH)
		return EOPNOTSUPP;
	if (!num_sges || !sg_list)
		return EINVAL;
	pthread_rwlock_rdlock(&ctx->mr_lock);
	for (i = 0; i < num_sges && !ret; i++) {
		mr = uroce_mr_lookup(ctx, sg_list[i].lkey);
		if (!mr || !(mr->access & IBV_ACCESS_ON_DEMAND) ||
		    (write && !(mr->access & IBV_ACCESS_LOCAL_WRITE)) ||
		    !uroce_mem_map(ctx, to_upd(ibpd), sg_list[i].lkey,
				   sg_list[i].addr, sg_list[i].length, 0))
			ret = EINVAL;
	}
	pthread_rwlock_unlock(&ctx->mr_lock);
	if (ret || advice == IBV_ADVISE_MR_ADVICE_PREFETCH_NO_FAULT)
		return ret;
#if defined(MADV_POPULATE_READ) && defined(MADV_POPULATE_WRITE)
	for (i = 0; i < num_sges; i++) {
		uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
		uintptr_t lo = sg_list[i].addr & ~(page - 1);
		uintptr_t hi = sg_list[i].addr + sg_list[i].length;

		madvise((void *)lo, hi - lo,
			write ? MADV_POPULATE_WRITE : MADV_POPULATE_READ);
	}
#endif
	return 0;
}

static void mr_free(void *obj, void *arg)
{
	free(obj);
}

/* ibv_close_device with MRs left: free them as the kernel would. */
void uroce_mr_destroy_all(struct uroce_context *ctx)
{
	uroce_keytab_for_each(&ctx->mrs, mr_free, NULL);
	uroce_keytab_free(&ctx->mrs);
}
