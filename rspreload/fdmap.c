// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The application's fd -> rsocket table. Every read() and write() of the
 * application looks here, so a lookup takes no lock: two levels of
 * pointers, pages allocated once and never freed, entries swapped
 * atomically. fds past the table (over a million) are never taken over.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "rspreload/shim.h"

#define PAGE_SHIFT 10
#define PAGE_FDS (1 << PAGE_SHIFT)
#define NR_PAGES 1024

static struct rsock **pages[NR_PAGES];
static pthread_mutex_t page_lock = PTHREAD_MUTEX_INITIALIZER;

static struct rsock **slot(int fd, bool make)
{
	struct rsock **page;
	unsigned int p = (unsigned int)fd >> PAGE_SHIFT;

	if (fd < 0 || p >= NR_PAGES)
		return NULL;
	page = __atomic_load_n(&pages[p], __ATOMIC_ACQUIRE);
	if (!page && make) {
		pthread_mutex_lock(&page_lock);
		page = pages[p];
		if (!page) {
			page = calloc(PAGE_FDS, sizeof(*page));
			__atomic_store_n(&pages[p], page, __ATOMIC_RELEASE);
		}
		pthread_mutex_unlock(&page_lock);
	}
	return page ? &page[fd & (PAGE_FDS - 1)] : NULL;
}

struct rsock *fd_rsock(int fd)
{
	struct rsock **e = slot(fd, false);

	return e ? __atomic_load_n(e, __ATOMIC_ACQUIRE) : NULL;
}

/* Maps @fd to @s, taking a reference; ENOMEM or EMFILE on failure. */
int fd_attach(int fd, struct rsock *s)
{
	struct rsock **e = slot(fd, true), *old;

	if (!e)
		return fd < 0 || fd >> PAGE_SHIFT >= NR_PAGES ? EMFILE : ENOMEM;
	__atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
	old = __atomic_exchange_n(e, s, __ATOMIC_ACQ_REL);
	if (old)
		rsock_put(old);
	return 0;
}

/* Unmaps @fd; the caller owns the reference it held, if any. */
struct rsock *fd_detach(int fd)
{
	struct rsock **e = slot(fd, false);

	return e ? __atomic_exchange_n(e, NULL, __ATOMIC_ACQ_REL) : NULL;
}

/* Drops a reference; the last one closes the rsocket. */
void rsock_put(struct rsock *s)
{
	if (__atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL))
		return;
	if (s->rfd >= 0)
		RS_CALL(rs.close(s->rfd));
	free(s);
}
