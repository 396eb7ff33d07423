// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * riomap, riounmap, riowrite: direct writes into memory the peer mapped.
 *
 * riomap(PROT_WRITE) registers a buffer and queues an rs_iomap entry for
 * the peer's iomap table (as many slots as the peer's RDMA_IOMAPSIZE);
 * the next send or riowrite writes it there (RS_OP_IOMAP_SGL, the slot
 * in the immediate data). riowrite looks the offset up in this end's
 * table, which the peer wrote, and RDMA-writes the data straight into
 * the peer's buffer: no immediate data, no receive on the peer's side,
 * which learns of it only through what the application says over the
 * stream. riomap(PROT_NONE) only registers (a local mapping).
 */
#include <byteswap.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "librdmacm/rs.h"

static struct rs_iomap_mr *free_slot(struct rsocket *rs)
{
	uint32_t i;

	if (!rs->remote_iomappings) {
		rs->remote_iomappings = calloc(rs->remote_iomap.length,
					       sizeof(*rs->remote_iomappings));
		if (!rs->remote_iomappings)
			return NULL;
		for (i = 0; i < rs->remote_iomap.length; i++)
			rs->remote_iomappings[i].index = i;
	}
	for (i = 0; i < rs->remote_iomap.length; i++)
		if (!rs->remote_iomappings[i].mr)
			return &rs->remote_iomappings[i];
	return NULL;
}

static void release(struct rs_iomap_mr *iomr)
{
	ibv_dereg_mr(iomr->mr);
	iomr->mr = NULL;
	if (iomr->index < 0)
		free(iomr);
}

off_t riomap(int socket, void *buf, size_t len, int prot, int flags,
	     off_t offset)
{
	struct rsocket *rs = rs_get(socket);
	struct rs_iomap_mr *iomr;
	int access = IBV_ACCESS_LOCAL_WRITE;

	(void)flags;
	if (!rs)
		return -1;
	if (rs->type != SOCK_STREAM || !rs->cm_id || !rs->cm_id->pd ||
	    !rs->cq || (prot & ~(PROT_WRITE | PROT_NONE)) || !buf || !len)
		return rs_err(EINVAL);
	pthread_mutex_lock(&rs->map_lock);
	if (prot & PROT_WRITE) {
		iomr = free_slot(rs);
		access |= IBV_ACCESS_REMOTE_WRITE;
	} else {
		iomr = calloc(1, sizeof(*iomr));
		if (iomr)
			iomr->index = -1;
	}
	if (!iomr) {
		offset = rs_err(ENOMEM);
		goto out;
	}
	iomr->mr = ibv_reg_mr(rs->cm_id->pd, buf, len, access);
	if (!iomr->mr) {
		if (iomr->index < 0)
			free(iomr);
		offset = -1;
		goto out;
	}
	if (offset == -1)
		offset = (uintptr_t)buf;
	iomr->offset = offset;
	iomr->refcnt = 1;
	if (iomr->index >= 0) {
		iomr->next = rs->iomap_queue;
		rs->iomap_queue = iomr;
	} else {
		iomr->next = rs->iomap_list;
		rs->iomap_list = iomr;
	}
out:
	pthread_mutex_unlock(&rs->map_lock);
	return offset;
}

static bool unlink_mr(struct rs_iomap_mr **list, void *buf, size_t len)
{
	struct rs_iomap_mr **p, *iomr;

	for (p = list; (iomr = *p); p = &iomr->next) {
		if (iomr->mr->addr == buf && iomr->mr->length == len) {
			*p = iomr->next;
			release(iomr);
			return true;
		}
	}
	return false;
}

int riounmap(int socket, void *buf, size_t len)
{
	struct rsocket *rs = rs_get(socket);
	bool found;

	if (!rs)
		return -1;
	pthread_mutex_lock(&rs->map_lock);
	found = unlink_mr(&rs->iomap_list, buf, len) ||
		unlink_mr(&rs->iomap_queue, buf, len);
	pthread_mutex_unlock(&rs->map_lock);
	return found ? 0 : rs_err(EINVAL);
}

void rs_free_iomappings(struct rsocket *rs)
{
	struct rs_iomap_mr *iomr;

	while ((iomr = rs->iomap_list)) {
		rs->iomap_list = iomr->next;
		release(iomr);
	}
	while ((iomr = rs->iomap_queue)) {
		rs->iomap_queue = iomr->next;
		release(iomr);
	}
}

/* Room to write: as for data (sends and riowrite share the send ring). */
static int wait_send(struct rsocket *rs, int flags)
{
	if (rs_can_send(rs))
		return 0;
	if (rs_get_comp(rs, rs_nonblocking(rs, flags), rs_conn_can_send))
		return -1;
	return (rs->state & RS_WRITABLE) ? 0 : rs_err(ECONNRESET);
}

/* Writes the queued mappings into the peer's table (slock held). */
int rs_send_iomaps(struct rsocket *rs, int flags)
{
	const struct iovec *piov;
	struct rs_iomap_mr *iomr;
	struct ibv_sge sgl[2];
	struct rs_iomap iom;
	struct iovec v;
	size_t off;
	int nsge, sflags, ret = 0;

	pthread_mutex_lock(&rs->map_lock);
	while ((iomr = rs->iomap_queue)) {
		ret = wait_send(rs, flags);
		if (ret)
			break;
		iom.offset = iomr->offset;
		iom.sge.addr = (uintptr_t)iomr->mr->addr;
		iom.sge.length = iomr->mr->length;
		iom.sge.key = iomr->mr->rkey;
		if (rs->opts & RS_OPT_SWAP_SGL) {
			iom.offset = bswap_64(iom.offset);
			iom.sge.addr = bswap_64(iom.sge.addr);
			iom.sge.length = bswap_32(iom.sge.length);
			iom.sge.key = bswap_32(iom.sge.key);
		}
		v.iov_base = &iom;
		v.iov_len = sizeof(iom);
		piov = &v;
		off = 0;
		rs_stage(rs, &piov, &off, sizeof(iom), sgl, &nsge, &sflags);
		rs->sseq_no++;
		rs->sqe_avail--;
		rs->sbuf_bytes_avail -= sizeof(iom);
		ret = rs_post_write_msg(
			rs, sgl, nsge, rs_msg_set(RS_OP_IOMAP_SGL, iomr->index),
			sflags,
			rs->remote_iomap.addr + iomr->index * sizeof(iom),
			rs->remote_iomap.key);
		rs->iomap_queue = iomr->next;
		iomr->next = rs->iomap_list;
		rs->iomap_list = iomr;
		if (ret)
			break;
	}
	pthread_mutex_unlock(&rs->map_lock);
	return ret;
}

static struct rs_iomap *find_iomap(struct rsocket *rs, off_t offset)
{
	struct rs_iomap *iom;
	int i;

	for (i = 0; i < rs->target_iomap_size; i++) {
		iom = &rs->target_iomap[i];
		if ((uint64_t)offset >= iom->offset &&
		    (uint64_t)offset < iom->offset + iom->sge.length)
			return iom;
	}
	return NULL;
}

size_t riowrite(int socket, const void *buf, size_t count, off_t offset,
		int flags)
{
	struct rsocket *rs = rs_get(socket);
	uint32_t xfer, olen = RS_OLAP_START_SIZE;
	struct iovec v = { .iov_base = (void *)buf, .iov_len = count };
	const struct iovec *piov = &v;
	struct rs_iomap *iom = NULL;
	struct ibv_sge sgl[2];
	size_t left = count, off = 0;
	int nsge, sflags, ret = 0;

	if (!rs)
		return (size_t)-1;
	if (rs->type != SOCK_STREAM ||
	    !(rs->state & (RS_CONNECTED | RS_DISCONNECTED | RS_ERROR)))
		return (size_t)rs_err(ENOTCONN);
	pthread_mutex_lock(&rs->slock);
	if (!(rs->state & RS_WRITABLE)) {
		ret = rs_err(EPIPE);
		goto out;
	}
	if (rs->iomap_queue) {
		ret = rs_send_iomaps(rs, flags);
		if (ret)
			goto out;
	}
	for (; left; left -= xfer, offset += xfer) {
		if (!iom || (uint64_t)offset >= iom->offset + iom->sge.length) {
			iom = find_iomap(rs, offset);
			if (!iom) {
				/* nothing mapped there by the peer */
				if (left == count)
					ret = rs_err(EINVAL);
				break;
			}
		}
		ret = wait_send(rs, flags);
		if (ret)
			break;
		xfer = rs_xfer_size(rs, &olen, left);
		if (xfer > iom->offset + iom->sge.length - offset)
			xfer = iom->offset + iom->sge.length - offset;
		rs_stage(rs, &piov, &off, xfer, sgl, &nsge, &sflags);
		rs->sqe_avail--;
		rs->sbuf_bytes_avail -= xfer;
		ret = rs_post_write(rs, sgl, nsge,
				    rs_msg_set(RS_OP_WRITE, xfer), sflags,
				    iom->sge.addr + offset - iom->offset,
				    iom->sge.key);
		if (ret)
			break;
	}
out:
	pthread_mutex_unlock(&rs->slock);
	return (ret && left == count) ? (size_t)ret : count - left;
}
