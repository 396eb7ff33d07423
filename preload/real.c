// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The next definitions of the functions this library wraps. */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>

#include "preload/real.h"

void *real_sym(const char *name, void **cache)
{
	void *p = __atomic_load_n(cache, __ATOMIC_ACQUIRE);

	if (!p) {
		p = dlsym(RTLD_NEXT, name);
		if (!p)
			abort(); /* every wrapped function is in libc */
		__atomic_store_n(cache, p, __ATOMIC_RELEASE);
	}
	return p;
}

int real_open(const char *path, int flags)
{
	return REAL(open)(path, flags);
}

ssize_t real_readlink(const char *path, char *buf, size_t size)
{
	return REAL(readlink)(path, buf, size);
}
