// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Checked access to registered memory for the data path. Callers hold
 * ctx->mr_lock for reading from the check until they are done with the
 * memory, so that ibv_dereg_mr waits for them.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "util/log.h"
#include "providers/uroce/mem.h"
#include "providers/uroce/mr.h"
#include "providers/uroce/uroce.h"

/*
 * Fault-safe copies for ODP MRs. Nothing keeps an ODP region's pages
 * mapped: the application may munmap or mprotect them at any time, and a
 * plain memcpy would then raise SIGSEGV in whichever thread runs the
 * responder. The kernel copies for us instead, and answers EFAULT:
 * process_vm_readv on the own process (always permitted for the own
 * thread group, and allowed by Docker's default seccomp profile from
 * Linux 4.8 on); where a filter refuses it (EPERM) or a sandbox lacks it
 * (ENOSYS),
 * a pipe: write() of the source, read() into the destination, each of
 * which fails with EFAULT on a bad address. Either costs system calls
 * (uroce-verbs(7): a few microseconds per copy on the CI machines), so ordinary
 * MRs, whose pages registration found mapped, keep memcpy.
 */
enum safe_mode { SAFE_UNKNOWN, SAFE_PVM, SAFE_PIPE };

static _Atomic int safe_mode = SAFE_UNKNOWN;
static pthread_mutex_t pipe_lock = PTHREAD_MUTEX_INITIALIZER;
static int pipe_fd[2] = { -1, -1 };

/* Empties the pipe after a failed read: the next copy starts clean. */
static void pipe_drain(size_t n)
{
	char scratch[512];
	ssize_t r;

	while (n) {
		r = read(pipe_fd[0], scratch,
			 n < sizeof(scratch) ? n : sizeof(scratch));
		if (r <= 0)
			break;
		n -= (size_t)r;
	}
}

static bool pipe_copy(void *dst, const void *src, size_t n)
{
	/* PIPE_BUF bytes always fit in an empty pipe. */
	const size_t chunk = 4096;
	bool ok = true;
	ssize_t w, r;
	size_t k;

	pthread_mutex_lock(&pipe_lock);
	if (pipe_fd[0] < 0 && pipe2(pipe_fd, O_CLOEXEC)) {
		pthread_mutex_unlock(&pipe_lock);
		return false;
	}
	while (ok && n) {
		k = n < chunk ? n : chunk;
		w = write(pipe_fd[1], src, k);
		if (w <= 0) {
			ok = false;
			break;
		}
		r = read(pipe_fd[0], dst, (size_t)w);
		if (r != w) {
			pipe_drain((size_t)w - (r > 0 ? (size_t)r : 0));
			ok = false;
			break;
		}
		dst = (uint8_t *)dst + w;
		src = (const uint8_t *)src + w;
		n -= (size_t)w;
	}
	pthread_mutex_unlock(&pipe_lock);
	return ok;
}

static bool safe_copy(void *dst, const void *src, size_t n)
{
	struct iovec local = { .iov_base = dst, .iov_len = n };
	struct iovec remote = { .iov_base = (void *)src, .iov_len = n };
	ssize_t r;

	if (!n)
		return true;
	if (atomic_load(&safe_mode) != SAFE_PIPE) {
		r = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
		if (r == (ssize_t)n) {
			atomic_store(&safe_mode, SAFE_PVM);
			return true;
		}
		if (r >= 0 || errno == EFAULT)
			return false;
		if (errno != EPERM && errno != ENOSYS)
			return false;
		if (atomic_exchange(&safe_mode, SAFE_PIPE) != SAFE_PIPE)
			uroce_info("process_vm_readv: %s: ODP copies go "
				   "through a pipe",
				   strerror(errno));
	}
	return pipe_copy(dst, src, n);
}

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

bool uroce_mem_copy(struct uroce_context *ctx, uint32_t key, void *dst,
		    const void *src, size_t n)
{
	if (!uroce_mem_is_odp(ctx, key)) {
		memcpy(dst, src, n);
		return true;
	}
	return safe_copy(dst, src, n);
}

bool uroce_mem_check(struct uroce_context *ctx, uint32_t key, const void *p,
		     size_t n)
{
	uint8_t scratch[8];

	if (!uroce_mem_is_odp(ctx, key))
		return true;
	/* One byte per page is enough to know that every page is there. */
	while (n) {
		uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
		size_t k = page - ((uintptr_t)p & (page - 1));

		if (!safe_copy(scratch, p, 1))
			return false;
		k = k < n ? k : n;
		p = (const uint8_t *)p + k;
		n -= k;
	}
	return true;
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
		if (!uroce_mem_copy(ctx, sge[i].lkey, to_sge ? mem : p,
				    to_sge ? p : mem, n))
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
