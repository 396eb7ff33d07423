// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * open and fopen, every variant a program may bind to: open, open64,
 * openat, openat64, the _FORTIFY_SOURCE __open*_2 entries, creat,
 * creat64, fopen, fopen64.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "preload/real.h"
#include "preload/vfs.h"

/*
 * Opens @path if it is ours: returns true and sets *fd (or errno and -1).
 * A path of ours that leads out through a link is opened with @real.
 */
static bool open_ours(const char *path, int flags, mode_t mode, int *fd)
{
	struct vfs_node node;
	int ret;

	ret = vfs_resolve(path, !(flags & O_NOFOLLOW), &node);
	if (ret == VFS_PASS)
		return false;
	if (ret == VFS_REAL) {
		*fd = REAL(open)(node.path, flags, mode);
		return true;
	}
	if (ret == VFS_OURS)
		ret = vfs_open_node(&node, flags);
	else if (ret == -ENOENT && (flags & O_CREAT))
		ret = -EACCES; /* nothing can be made in sysfs */
	if (ret < 0) {
		errno = -ret;
		*fd = -1;
	} else {
		*fd = ret;
	}
	return true;
}

static mode_t mode_arg(int flags, va_list ap)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ?
		       va_arg(ap, mode_t) :
		       0;
}

/* open and open64 take an optional mode */
#define WRAP_OPEN(name)                                       \
	VFS_EXPORT int name(const char *path, int flags, ...) \
	{                                                     \
		mode_t mode;                                  \
		va_list ap;                                   \
		int fd;                                       \
                                                              \
		va_start(ap, flags);                          \
		mode = mode_arg(flags, ap);                   \
		va_end(ap);                                   \
		if (open_ours(path, flags, mode, &fd))        \
			return fd;                            \
		return REAL(name)(path, flags, mode);         \
	}

/* openat and openat64: a relative path is never ours */
#define WRAP_OPENAT(name)                                                \
	VFS_EXPORT int name(int dirfd, const char *path, int flags, ...) \
	{                                                                \
		mode_t mode;                                             \
		va_list ap;                                              \
		int fd;                                                  \
                                                                         \
		va_start(ap, flags);                                     \
		mode = mode_arg(flags, ap);                              \
		va_end(ap);                                              \
		if (open_ours(path, flags, mode, &fd))                   \
			return fd;                                       \
		return REAL(name)(dirfd, path, flags, mode);             \
	}

/* the _FORTIFY_SOURCE entries, which have no mode */
#define WRAP_OPEN_2(name)                                \
	int name(const char *path, int flags);           \
	VFS_EXPORT int name(const char *path, int flags) \
	{                                                \
		int fd;                                  \
                                                         \
		if (open_ours(path, flags, 0, &fd))      \
			return fd;                       \
		return REAL(name)(path, flags);          \
	}

#define WRAP_OPENAT_2(name)                                         \
	int name(int dirfd, const char *path, int flags);           \
	VFS_EXPORT int name(int dirfd, const char *path, int flags) \
	{                                                           \
		int fd;                                             \
                                                                    \
		if (open_ours(path, flags, 0, &fd))                 \
			return fd;                                  \
		return REAL(name)(dirfd, path, flags);              \
	}

#define WRAP_CREAT(name)                                                      \
	VFS_EXPORT int name(const char *path, mode_t mode)                    \
	{                                                                     \
		int fd;                                                       \
                                                                              \
		if (open_ours(path, O_CREAT | O_WRONLY | O_TRUNC, mode, &fd)) \
			return fd;                                            \
		return REAL(name)(path, mode);                                \
	}

WRAP_OPEN(open)
WRAP_OPEN(open64)
WRAP_OPENAT(openat)
WRAP_OPENAT(openat64)
WRAP_OPEN_2(__open_2)
WRAP_OPEN_2(__open64_2)
WRAP_OPENAT_2(__openat_2)
WRAP_OPENAT_2(__openat64_2)
WRAP_CREAT(creat)
WRAP_CREAT(creat64)

/* fopen's mode string as open flags */
static int fopen_flags(const char *mode)
{
	int flags;

	switch (mode[0]) {
	case 'r':
		flags = O_RDONLY;
		break;
	case 'w':
		flags = O_WRONLY | O_CREAT | O_TRUNC;
		break;
	case 'a':
		flags = O_WRONLY | O_CREAT | O_APPEND;
		break;
	default:
		return -1;
	}
	for (mode++; *mode && *mode != ','; mode++) {
		if (*mode == '+')
			flags = (flags & ~O_ACCMODE) | O_RDWR;
		else if (*mode == 'e')
			flags |= O_CLOEXEC;
		else if (*mode == 'x')
			flags |= O_EXCL;
	}
	return flags;
}

/* fopen of a path of ours: true with *f set (NULL and errno on failure) */
static bool fopen_ours(const char *path, const char *mode, FILE **f)
{
	struct vfs_node node;
	int flags, fd, ret;

	ret = vfs_resolve(path, true, &node);
	if (ret == VFS_PASS)
		return false;
	if (ret == VFS_REAL) {
		*f = REAL(fopen)(node.path, mode);
		return true;
	}
	*f = NULL;
	flags = fopen_flags(mode);
	if (flags < 0) {
		errno = EINVAL;
		return true;
	}
	fd = ret == VFS_OURS ? vfs_open_node(&node, flags) : ret;
	if (fd < 0) {
		errno = -fd;
		return true;
	}
	*f = fdopen(fd, mode);
	if (!*f) {
		ret = errno;
		close(fd);
		errno = ret;
	}
	return true;
}

#define WRAP_FOPEN(name)                                          \
	VFS_EXPORT FILE *name(const char *path, const char *mode) \
	{                                                         \
		FILE *f;                                          \
                                                                  \
		if (fopen_ours(path, mode, &f))                   \
			return f;                                 \
		return REAL(name)(path, mode);                    \
	}

WRAP_FOPEN(fopen)
WRAP_FOPEN(fopen64)
