/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The libc functions behind the wrappers: REAL(open)(...) calls the next
 * definition of open after this library's, found once with dlsym.
 */
#ifndef UROCE_PRELOAD_REAL_H
#define UROCE_PRELOAD_REAL_H

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

void *real_sym(const char *name, void **cache);

#define REAL(name)                                                  \
	({                                                          \
		static void *real_cache_;                           \
		((__typeof__(&name))real_sym(#name, &real_cache_)); \
	})

int real_open(const char *path, int flags);
ssize_t real_readlink(const char *path, char *buf, size_t size);

#endif /* UROCE_PRELOAD_REAL_H */
