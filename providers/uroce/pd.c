// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Protection domains and parent domains. A parent domain (rdma-core's
 * ibv_alloc_parent_domain) stands for its protection domain wherever a PD
 * is taken, and may carry the application's allocators, which then
 * provide the queue buffers of the QPs, SRQs and CQs created on it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "providers/uroce/caps.h"
#include "providers/uroce/memcg.h"
#include "providers/uroce/pd.h"
#include "providers/uroce/uroce.h"

static struct uroce_pd *pd_new(struct uroce_context *ctx)
{
	struct uroce_pd *pd;

	pd = uroce_count_alloc(&ctx->npd, ctx->dev->limits.pd, sizeof(*pd));
	if (!pd)
		return NULL;
	pd->prot = pd;
	pd->ibv_pd.context = &ctx->vctx.context;
	return pd;
}

static void pd_add(struct uroce_context *ctx, struct uroce_pd *pd)
{
	pthread_mutex_lock(&ctx->obj_lock);
	uroce_list_add(&ctx->pds, &pd->node);
	pthread_mutex_unlock(&ctx->obj_lock);
}

struct ibv_pd *uroce_alloc_pd(struct ibv_context *ibctx)
{
	struct uroce_context *ctx = to_uctx(ibctx);
	struct uroce_pd *pd;

	pd = pd_new(ctx);
	if (!pd)
		return NULL;
	pd->ibv_pd.handle = atomic_fetch_add(&ctx->next_handle, 1);
	pd_add(ctx, pd);
	return &pd->ibv_pd;
}

#define PARENT_DOMAIN_MASK                        \
	(IBV_PARENT_DOMAIN_INIT_ATTR_ALLOCATORS | \
	 IBV_PARENT_DOMAIN_INIT_ATTR_PD_CONTEXT)

/*
 * As mlx5 judges the attributes: a plain PD of this context is required;
 * uroce has no thread domains (ibv_alloc_td is EOPNOTSUPP), so a td can
 * only be invalid; with ALLOCATORS both callbacks are required. EINVAL
 * for any of these and for unknown comp_mask bits.
 */
struct ibv_pd *
uroce_alloc_parent_domain(struct ibv_context *ibctx,
			  struct ibv_parent_domain_init_attr *attr)
{
	struct uroce_context *ctx = to_uctx(ibctx);
	struct uroce_pd *pd, *prot;

	if (!attr || !attr->pd || attr->pd->context != ibctx || attr->td ||
	    (attr->comp_mask & ~(uint32_t)PARENT_DOMAIN_MASK) ||
	    ((attr->comp_mask & IBV_PARENT_DOMAIN_INIT_ATTR_ALLOCATORS) &&
	     (!attr->alloc || !attr->free))) {
		errno = EINVAL;
		return NULL;
	}
	prot = container_of(attr->pd, struct uroce_pd, ibv_pd);
	if (prot->prot != prot) {
		errno = EINVAL; /* a parent domain of a parent domain */
		return NULL;
	}
	pd = pd_new(ctx);
	if (!pd)
		return NULL;
	pd->prot = prot;
	/* As rdma-core: commands on it act on the protection domain. */
	pd->ibv_pd.handle = prot->ibv_pd.handle;
	if (attr->comp_mask & IBV_PARENT_DOMAIN_INIT_ATTR_ALLOCATORS) {
		pd->alloc = attr->alloc;
		pd->free = attr->free;
	}
	if (attr->comp_mask & IBV_PARENT_DOMAIN_INIT_ATTR_PD_CONTEXT)
		pd->pd_context = attr->pd_context;
	atomic_fetch_add(&prot->use, 1);
	pd_add(ctx, pd);
	return &pd->ibv_pd;
}

int uroce_dealloc_pd(struct ibv_pd *ibpd)
{
	struct uroce_context *ctx = to_uctx(ibpd->context);
	struct uroce_pd *pd = container_of(ibpd, struct uroce_pd, ibv_pd);

	/* Objects created on it still hold it: refuse, as the kernel does. */
	if (atomic_load(&pd->use))
		return EBUSY;
	pthread_mutex_lock(&ctx->obj_lock);
	uroce_list_del(&pd->node);
	pthread_mutex_unlock(&ctx->obj_lock);
	if (pd->prot != pd)
		atomic_fetch_sub(&pd->prot->use, 1);
	uroce_count_put(&ctx->npd);
	free(pd);
	return 0;
}

bool uroce_pd_is_parent(struct ibv_pd *ibpd)
{
	struct uroce_pd *pd = container_of(ibpd, struct uroce_pd, ibv_pd);

	return pd->prot != pd;
}

/*
 * The parent domain @ibpd is, held for a QP, SRQ or CQ created on it
 * (uroce_pd_domain_put releases it); NULL for a plain PD.
 */
struct uroce_pd *uroce_pd_domain(struct ibv_pd *ibpd)
{
	struct uroce_pd *pd = container_of(ibpd, struct uroce_pd, ibv_pd);

	if (pd->prot == pd)
		return NULL;
	atomic_fetch_add(&pd->use, 1);
	return pd;
}

void uroce_pd_domain_put(struct uroce_pd *dom)
{
	if (dom)
		atomic_fetch_sub(&dom->use, 1);
}

/*
 * Our own queue buffers carry their size in the BUF_HDR bytes before
 * them. From UROCE_MEMCG_MIN bytes on they are mappings of their own,
 * committed at once (MAP_POPULATE) after memcg.c found room for them, so
 * that a memory cgroup at its limit refuses them here with ENOMEM rather
 * than with an OOM kill on the data path, and given back to it whole
 * when destroyed (malloc would keep them in its heap).
 */
#define BUF_HDR 16

static size_t buf_map_len(size_t size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return page + ((size + page - 1) & ~(page - 1));
}

static void *buf_own(size_t size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	char *p;

	if (size < UROCE_MEMCG_MIN) {
		p = calloc(1, size + BUF_HDR);
		if (!p)
			return NULL;
		*(size_t *)p = size;
		return p + BUF_HDR;
	}
	if (size > SIZE_MAX - 2 * page || uroce_memcg_room(size))
		return NULL;
	p = mmap(NULL, buf_map_len(size), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	*(size_t *)(p + page - BUF_HDR) = size;
	return p + page;
}

static void buf_own_free(void *ptr)
{
	size_t size = *(size_t *)((char *)ptr - BUF_HDR);

	if (size < UROCE_MEMCG_MIN)
		free((char *)ptr - BUF_HDR);
	else
		munmap((char *)ptr - sysconf(_SC_PAGESIZE), buf_map_len(size));
}

/*
 * A zeroed queue buffer of @size bytes: from @dom's allocator if it has
 * one (page aligned, as mlx5 asks), else, or when the allocator answers
 * IBV_ALLOCATOR_USE_DEFAULT, our own (buf_own). *ext says which, for
 * uroce_buf_free. NULL with errno ENOMEM when there is no memory for it.
 */
void *uroce_buf_alloc(struct uroce_pd *dom, size_t size, uint64_t type,
		      bool *ext)
{
	void *ptr;

	*ext = false;
	if (dom && dom->alloc) {
		ptr = dom->alloc(&dom->ibv_pd, dom->pd_context, size,
				 (size_t)sysconf(_SC_PAGESIZE), type);
		if (!ptr) {
			errno = ENOMEM;
			return NULL;
		}
		if (ptr != IBV_ALLOCATOR_USE_DEFAULT) {
			memset(ptr, 0, size);
			*ext = true;
			return ptr;
		}
	}
	ptr = buf_own(size);
	if (!ptr)
		errno = ENOMEM;
	return ptr;
}

void uroce_buf_free(struct uroce_pd *dom, void *ptr, uint64_t type, bool ext)
{
	if (ext)
		dom->free(&dom->ibv_pd, dom->pd_context, ptr, type);
	else
		buf_own_free(ptr);
}

/* ibv_close_device with PDs left: free them as the kernel would. */
void uroce_pd_destroy_all(struct uroce_context *ctx)
{
	uroce_list_drain(&ctx->pds, struct uroce_pd, node, free);
}
