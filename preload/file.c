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

	if (!vfs_maybe_ours(path))
		return false;
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

VFS_EXPORT int open(const char *path, int flags, ...)
{
	mode_t mode;
	va_list ap;
	int fd;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	if (open_ours(path, flags, mode, &fd))
		return fd;
	return REAL(open)(path, flags, mode);
}

VFS_EXPORT int open64(const char *path, int flags, ...)
{
	mode_t mode;
	va_list ap;
	int fd;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	if (open_ours(path, flags, mode, &fd))
		return fd;
	return REAL(open64)(path, flags, mode);
}

VFS_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode;
	va_list ap;
	int fd;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	if (open_ours(path, flags, mode, &fd))
		return fd;
	return REAL(openat)(dirfd, path, flags, mode);
}

VFS_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	mode_t mode;
	va_list ap;
	int fd;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	if (open_ours(path, flags, mode, &fd))
		return fd;
	return REAL(openat64)(dirfd, path, flags, mode);
}

int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

VFS_EXPORT int __open_2(const char *path, int flags)
{
	int fd;

	if (open_ours(path, flags, 0, &fd))
		return fd;
	return REAL(__open_2)(path, flags);
}

VFS_EXPORT int __open64_2(const char *path, int flags)
{
	int fd;

	if (open_ours(path, flags, 0, &fd))
		return fd;
	return REAL(__open64_2)(path, flags);
}

VFS_EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	int fd;

	if (open_ours(path, flags, 0, &fd))
		return fd;
	return REAL(__openat_2)(dirfd, path, flags);
}

VFS_EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
	int fd;

	if (open_ours(path, flags, 0, &fd))
		return fd;
	return REAL(__openat64_2)(dirfd, path, flags);
}

VFS_EXPORT int creat(const char *path, mode_t mode)
{
	int fd;

	if (open_ours(path, O_CREAT | O_WRONLY | O_TRUNC, mode, &fd))
		return fd;
	return REAL(creat)(path, mode);
}

VFS_EXPORT int creat64(const char *path, mode_t mode)
{
	int fd;

	if (open_ours(path, O_CREAT | O_WRONLY | O_TRUNC, mode, &fd))
		return fd;
	return REAL(creat64)(path, mode);
}

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

	if (!vfs_maybe_ours(path))
		return false;
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

VFS_EXPORT FILE *fopen(const char *path, const char *mode)
{
	FILE *f;

	if (fopen_ours(path, mode, &f))
		return f;
	return REAL(fopen)(path, mode);
}

VFS_EXPORT FILE *fopen64(const char *path, const char *mode)
{
	FILE *f;

	if (fopen_ours(path, mode, &f))
		return f;
	return REAL(fopen64)(path, mode);
}
