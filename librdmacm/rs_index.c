// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The rsocket of a descriptor number: a two-level table, written under a
 * lock and read without one (an rsocket is looked up by every call; the
 * application must not close it while another thread uses it, as with a
 * descriptor).
 */
#include <errno.h>
#include <stdlib.h>

#include "librdmacm/rs.h"

#define RS_IDX_BITS 10
#define RS_IDX_BLOCK (1 << RS_IDX_BITS)
#define RS_IDX_BLOCKS 1024 /* descriptors below 2^20 */

static struct rsocket **rs_table[RS_IDX_BLOCKS];
static pthread_mutex_t rs_table_lock = PTHREAD_MUTEX_INITIALIZER;

int rs_insert(struct rsocket *rs, int index)
{
	struct rsocket **blk;
	int b = index >> RS_IDX_BITS, ret = -1;

	if (index < 0 || b >= RS_IDX_BLOCKS)
		return rs_err(EMFILE);
	pthread_mutex_lock(&rs_table_lock);
	blk = rs_table[b];
	if (!blk) {
		blk = calloc(RS_IDX_BLOCK, sizeof(*blk));
		if (!blk) {
			errno = ENOMEM;
			goto out;
		}
		__atomic_store_n(&rs_table[b], blk, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&blk[index & (RS_IDX_BLOCK - 1)], rs,
			 __ATOMIC_RELEASE);
	rs->index = index;
	ret = index;
out:
	pthread_mutex_unlock(&rs_table_lock);
	return ret;
}

void rs_remove(struct rsocket *rs)
{
	if (rs->index < 0)
		return;
	pthread_mutex_lock(&rs_table_lock);
	__atomic_store_n(&rs_table[rs->index >> RS_IDX_BITS]
				  [rs->index & (RS_IDX_BLOCK - 1)],
			 NULL, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&rs_table_lock);
	rs->index = -1;
}

struct rsocket *rs_lookup(int index)
{
	struct rsocket **blk;
	int b = index >> RS_IDX_BITS;

	if (index < 0 || b >= RS_IDX_BLOCKS)
		return NULL;
	blk = __atomic_load_n(&rs_table[b], __ATOMIC_ACQUIRE);
	if (!blk)
		return NULL;
	return __atomic_load_n(&blk[index & (RS_IDX_BLOCK - 1)],
			       __ATOMIC_ACQUIRE);
}

struct rsocket *rs_get(int index)
{
	struct rsocket *rs = rs_lookup(index);

	if (!rs)
		errno = EBADF;
	return rs;
}
