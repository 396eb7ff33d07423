// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Checked access to registered memory for the data path. Callers hold
 * ctx->mr_lock for reading from the check until they are done with the
 * memory, so that ibv_dereg_mr waits for them.
 */
#include <string.h>
#include <sys/uio.h>

#include "util/fault_guard.h"
#include "providers/uroce/mem.h"
#include "providers/uroce/mr.h"
#include "providers/uroce/uroce.h"

/*
 * Nothing keeps registered pages mapped (an RNIC's driver pins them; a
 * process cannot): the application may munmap, mprotect or truncate the
 * file under them at any time, an ODP region by design. Every copy to or
 * from registered memory runs under a fault guard (util/fault_guard.h):
 * a page that is gone makes it fail, where a plain memcpy would raise
 * SIGSEGV or SIGBUS in whichever thread runs the responder. The guard
 * costs a few nanoseconds per copy, no system call.
 */
/* A window's memory is its MR's: ODP if the MR is. */
bool uroce_mem_is_odp(struct uroce_context *ctx, uint32_t key)
{
	struct uroce_mw *mw;
	struct uroce_mr *mr;

	if (uroce_key_is_mw(key)) {
		mw = uroce_keytab_lookup(&ctx->mws, key >> 8);
		mr = mw && mw->rkey == key ? mw->mr : NULL;
	} else {
		mr = uroce_mr_lookup(ctx, key);
	}
	return mr && (mr->access & IBV_ACCESS_ON_DEMAND);
}

struct copy_job {
	void *dst;
	const void *src;
	size_t n;
};

static void copy_run(void *arg)
{
	struct copy_job *j = arg;

	memcpy(j->dst, j->src, j->n);
}

bool uroce_mem_copy(void *dst, const void *src, size_t n)
{
	struct copy_job j = { dst, src, n };
	const struct iovec r[2] = { { dst, n }, { (void *)src, n } };

	return !uroce_guard_call(r, 2, copy_run, &j);
}

void *uroce_mem_map(struct uroce_context *ctx, struct uroce_pd *pd,
		    uint32_t key, uint64_t va, uint64_t len, int access)
{
	struct uroce_mr *mr = uroce_mr_lookup(ctx, key);
	uint64_t off;

	if (!mr || mr->pd != pd || (mr->access & access) != access)
		return NULL;
	if (va < mr->iova)
		return NULL;
	off = va - mr->iova;
	/* Written so that no sum can overflow. */
	if (off > mr->ibv_mr.length || len > mr->ibv_mr.length - off)
		return NULL;
	return (uint8_t *)mr->ibv_mr.addr + off;
}

/* Skips @offset bytes of the list; returns the SGE index or nsge. */
static uint32_t sge_seek(const struct ibv_sge *sge, uint32_t nsge,
			 uint32_t *offset)
{
	uint32_t i;

	for (i = 0; i < nsge && *offset >= sge[i].length; i++)
		*offset -= sge[i].length;
	return i;
}

int uroce_sge_copy(struct uroce_context *ctx, struct uroce_pd *pd,
		   const struct ibv_sge *sge, uint32_t nsge, uint32_t offset,
		   void *buf, uint32_t len, bool to_sge)
{
	int access = to_sge ? IBV_ACCESS_LOCAL_WRITE : 0;
	uint8_t *p = buf;
	uint32_t i, n;
	void *mem;

	i = sge_seek(sge, nsge, &offset);
	while (len) {
		if (i >= nsge)
			return IBV_WC_LOC_LEN_ERR;
		n = sge[i].length - offset;
		if (n > len)
			n = len;
		mem = uroce_mem_map(ctx, pd, sge[i].lkey, sge[i].addr + offset,
				    n, access);
		if (!mem)
			return IBV_WC_LOC_PROT_ERR;
		if (!uroce_mem_copy(to_sge ? mem : p, to_sge ? p : mem, n))
			return IBV_WC_LOC_PROT_ERR;
		p += n;
		len -= n;
		offset = 0;
		i++;
	}
	return 0;
}

int uroce_sge_iov(struct uroce_context *ctx, struct uroce_pd *pd,
		  const struct ibv_sge *sge, uint32_t nsge, uint32_t offset,
		  uint32_t len, struct iovec *iov, int maxiov, int *niovp,
		  bool *odp)
{
	uint32_t i, n;
	int niov = 0;
	void *mem;

	*odp = false;
	i = sge_seek(sge, nsge, &offset);
	while (len) {
		if (i >= nsge || niov >= maxiov)
			return IBV_WC_LOC_LEN_ERR;
		n = sge[i].length - offset;
		if (n > len)
			n = len;
		mem = uroce_mem_map(ctx, pd, sge[i].lkey, sge[i].addr + offset,
				    n, 0);
		if (!mem)
			return IBV_WC_LOC_PROT_ERR;
		*odp = *odp || uroce_mem_is_odp(ctx, sge[i].lkey);
		iov[niov].iov_base = mem;
		iov[niov].iov_len = n;
		niov++;
		len -= n;
		offset = 0;
		i++;
	}
	*niovp = niov;
	return 0;
}
