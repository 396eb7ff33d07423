// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * stat and its variants (stat, lstat, fstatat with and without 64, the
 * __xstat family of binaries built before glibc 2.33, statx), access
 * (access, faccessat, eaccess, euidaccess), readlink, readlinkat and
 * realpath (realpath, canonicalize_file_name, the fortified entries), and
 * the extended attribute reads that ls -l makes (getxattr, lgetxattr,
 * listxattr, llistxattr: our nodes have none).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "preload/real.h"
#include "preload/vfs.h"

_Static_assert(sizeof(struct stat) == sizeof(struct stat64),
	       "struct stat and stat64 differ");

/*
 * stat of a path of ours: true with *ret set (0, or -1 and errno). A path
 * that leads out through a link is passed to fstatat with the real path.
 */
static bool stat_ours(const char *path, bool follow, struct stat *st, int *ret)
{
	struct vfs_node node;
	int r;

	r = vfs_resolve(path, follow, &node);
	if (r == VFS_PASS)
		return false;
	if (r == VFS_REAL) {
		*ret = REAL(fstatat)(AT_FDCWD, node.path, st,
				     follow ? 0 : AT_SYMLINK_NOFOLLOW);
		return true;
	}
	if (r < 0) {
		errno = -r;
		*ret = -1;
		return true;
	}
	vfs_stat(&node, st);
	*ret = 0;
	return true;
}

#define WRAP_STAT(name, type, follow)                                 \
	VFS_EXPORT int name(const char *path, type *st)               \
	{                                                             \
		int ret;                                              \
                                                                      \
		if (stat_ours(path, follow, (struct stat *)st, &ret)) \
			return ret;                                   \
		return REAL(name)(path, st);                          \
	}

#define WRAP_FSTATAT(name, type)                                              \
	VFS_EXPORT int name(int dirfd, const char *path, type *st, int flags) \
	{                                                                     \
		int ret;                                                      \
                                                                              \
		if (stat_ours(path, !(flags & AT_SYMLINK_NOFOLLOW),           \
			      (struct stat *)st, &ret))                       \
			return ret;                                           \
		return REAL(name)(dirfd, path, st, flags);                    \
	}

WRAP_STAT(stat, struct stat, true)
WRAP_STAT(stat64, struct stat64, true)
WRAP_STAT(lstat, struct stat, false)
WRAP_STAT(lstat64, struct stat64, false)
WRAP_FSTATAT(fstatat, struct stat)
WRAP_FSTATAT(fstatat64, struct stat64)

/*
 * The pre-2.33 entries: on x86_64 and the other 64-bit ABIs their struct is
 * struct stat, so the path goes through fstatat.
 */
int __xstat(int ver, const char *path, struct stat *st);
int __xstat64(int ver, const char *path, struct stat64 *st);
int __lxstat(int ver, const char *path, struct stat *st);
int __lxstat64(int ver, const char *path, struct stat64 *st);
int __fxstatat(int ver, int dirfd, const char *path, struct stat *st,
	       int flags);
int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *st,
		 int flags);

VFS_EXPORT int __xstat(int ver, const char *path, struct stat *st)
{
	return fstatat(AT_FDCWD, path, st, 0);
}

VFS_EXPORT int __xstat64(int ver, const char *path, struct stat64 *st)
{
	return fstatat(AT_FDCWD, path, (struct stat *)st, 0);
}

VFS_EXPORT int __lxstat(int ver, const char *path, struct stat *st)
{
	return fstatat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}

VFS_EXPORT int __lxstat64(int ver, const char *path, struct stat64 *st)
{
	return fstatat(AT_FDCWD, path, (struct stat *)st, AT_SYMLINK_NOFOLLOW);
}

VFS_EXPORT int __fxstatat(int ver, int dirfd, const char *path, struct stat *st,
			  int flags)
{
	return fstatat(dirfd, path, st, flags);
}

VFS_EXPORT int __fxstatat64(int ver, int dirfd, const char *path,
			    struct stat64 *st, int flags)
{
	return fstatat(dirfd, path, (struct stat *)st, flags);
}

static void statx_from_stat(const struct stat *st, struct statx *stx)
{
	memset(stx, 0, sizeof(*stx));
	stx->stx_mask = STATX_BASIC_STATS;
	stx->stx_blksize = st->st_blksize;
	stx->stx_nlink = st->st_nlink;
	stx->stx_uid = st->st_uid;
	stx->stx_gid = st->st_gid;
	stx->stx_mode = st->st_mode;
	stx->stx_ino = st->st_ino;
	stx->stx_size = st->st_size;
	stx->stx_blocks = st->st_blocks;
	stx->stx_atime.tv_sec = st->st_atim.tv_sec;
	stx->stx_atime.tv_nsec = st->st_atim.tv_nsec;
	stx->stx_mtime.tv_sec = st->st_mtim.tv_sec;
	stx->stx_mtime.tv_nsec = st->st_mtim.tv_nsec;
	stx->stx_ctime.tv_sec = st->st_ctim.tv_sec;
	stx->stx_ctime.tv_nsec = st->st_ctim.tv_nsec;
	stx->stx_rdev_major = major(st->st_rdev);
	stx->stx_rdev_minor = minor(st->st_rdev);
	stx->stx_dev_major = major(st->st_dev);
	stx->stx_dev_minor = minor(st->st_dev);
}

VFS_EXPORT int statx(int dirfd, const char *path, int flags, unsigned int mask,
		     struct statx *stx)
{
	struct vfs_node node;
	struct stat st;
	int r;

	r = vfs_resolve(path, !(flags & AT_SYMLINK_NOFOLLOW), &node);
	if (r == VFS_PASS)
		return REAL(statx)(dirfd, path, flags, mask, stx);
	if (r == VFS_REAL)
		return REAL(statx)(AT_FDCWD, node.path, flags, mask, stx);
	if (r < 0) {
		errno = -r;
		return -1;
	}
	vfs_stat(&node, &st);
	statx_from_stat(&st, stx);
	return 0;
}

/* access of a path of ours: true with *ret set */
static bool access_ours(const char *path, int mode, bool follow, int *ret)
{
	struct vfs_node node;
	int r;

	r = vfs_resolve(path, follow, &node);
	if (r == VFS_PASS)
		return false;
	if (r == VFS_REAL) {
		*ret = REAL(faccessat)(AT_FDCWD, node.path, mode,
				       follow ? 0 : AT_SYMLINK_NOFOLLOW);
		return true;
	}
	/*
	 * Read-only: no write access to a file or directory, whoever asks;
	 * a character device is read-write for everyone.
	 */
	if (r >= 0 && node.kind != VFS_CHR && node.kind != VFS_LNK &&
	    ((mode & W_OK) || ((mode & X_OK) && node.kind == VFS_FILE)))
		r = -EACCES;
	*ret = r < 0 ? -1 : 0;
	if (r < 0)
		errno = -r;
	return true;
}

#define WRAP_ACCESS(name)                                \
	VFS_EXPORT int name(const char *path, int mode)  \
	{                                                \
		int ret;                                 \
                                                         \
		if (access_ours(path, mode, true, &ret)) \
			return ret;                      \
		return REAL(name)(path, mode);           \
	}

WRAP_ACCESS(access)
WRAP_ACCESS(eaccess)
WRAP_ACCESS(euidaccess)

VFS_EXPORT int faccessat(int dirfd, const char *path, int mode, int flags)
{
	int ret;

	if (access_ours(path, mode, !(flags & AT_SYMLINK_NOFOLLOW), &ret))
		return ret;
	return REAL(faccessat)(dirfd, path, mode, flags);
}

/* readlink of a path of ours: true with *ret set */
static bool readlink_ours(const char *path, char *buf, size_t size,
			  ssize_t *ret)
{
	struct vfs_node node;
	size_t len;
	int r;

	r = vfs_resolve(path, false, &node);
	if (r == VFS_PASS)
		return false;
	if (r == VFS_REAL) {
		*ret = REAL(readlink)(node.path, buf, size);
		return true;
	}
	if (r >= 0 && node.kind != VFS_LNK)
		r = -EINVAL;
	if (r < 0) {
		errno = -r;
		*ret = -1;
		return true;
	}
	len = strlen(node.data);
	if (len > size)
		len = size;
	memcpy(buf, node.data, len);
	*ret = len;
	return true;
}

VFS_EXPORT ssize_t readlink(const char *path, char *buf, size_t size)
{
	ssize_t ret;

	if (readlink_ours(path, buf, size, &ret))
		return ret;
	return REAL(readlink)(path, buf, size);
}

VFS_EXPORT ssize_t readlinkat(int dirfd, const char *path, char *buf,
			      size_t size)
{
	ssize_t ret;

	if (readlink_ours(path, buf, size, &ret))
		return ret;
	return REAL(readlinkat)(dirfd, path, buf, size);
}

ssize_t __readlink_chk(const char *path, char *buf, size_t size, size_t buflen);
ssize_t __readlinkat_chk(int dirfd, const char *path, char *buf, size_t size,
			 size_t buflen);

VFS_EXPORT ssize_t __readlink_chk(const char *path, char *buf, size_t size,
				  size_t buflen)
{
	ssize_t ret;

	if (size <= buflen && readlink_ours(path, buf, size, &ret))
		return ret;
	return REAL(__readlink_chk)(path, buf, size, buflen);
}

VFS_EXPORT ssize_t __readlinkat_chk(int dirfd, const char *path, char *buf,
				    size_t size, size_t buflen)
{
	ssize_t ret;

	if (size <= buflen && readlink_ours(path, buf, size, &ret))
		return ret;
	return REAL(__readlinkat_chk)(dirfd, path, buf, size, buflen);
}

/*
 * realpath of a path of ours: true with *ret set. Our nodes are their own
 * canonical paths (the tree has no link but to real paths).
 */
static bool realpath_ours(const char *path, char *resolved, char **ret)
{
	struct vfs_node node;
	int r;

	r = vfs_resolve(path, true, &node);
	if (r == VFS_PASS)
		return false;
	if (r == VFS_REAL) {
		*ret = REAL(realpath)(node.path, resolved);
		return true;
	}
	if (r < 0) {
		errno = -r;
		*ret = NULL;
		return true;
	}
	if (resolved) {
		memcpy(resolved, node.path, strlen(node.path) + 1);
		*ret = resolved;
	} else {
		*ret = strdup(node.path);
	}
	return true;
}

VFS_EXPORT char *realpath(const char *path, char *resolved)
{
	char *ret;

	if (realpath_ours(path, resolved, &ret))
		return ret;
	return REAL(realpath)(path, resolved);
}

char *__realpath_chk(const char *path, char *resolved, size_t len);

VFS_EXPORT char *__realpath_chk(const char *path, char *resolved, size_t len)
{
	char *ret;

	if (len >= PATH_MAX && realpath_ours(path, resolved, &ret))
		return ret;
	return REAL(__realpath_chk)(path, resolved, len);
}

VFS_EXPORT char *canonicalize_file_name(const char *path)
{
	char *ret;

	if (realpath_ours(path, NULL, &ret))
		return ret;
	return REAL(canonicalize_file_name)(path);
}

/*
 * An extended attribute call on a path of ours: true with *ret set. Our
 * nodes have no attributes: get says ENODATA, list gives nothing.
 */
static bool xattr_ours(const char *path, bool follow, bool get,
		       struct vfs_node *node, ssize_t *ret)
{
	int r;

	r = vfs_resolve(path, follow, node);
	if (r == VFS_PASS || r == VFS_REAL)
		return r == VFS_REAL ? (*ret = 1, false) : false;
	*ret = r < 0 ? -1 : get ? -1 : 0;
	if (r < 0)
		errno = -r;
	else if (get)
		errno = ENODATA;
	return true;
}

VFS_EXPORT ssize_t getxattr(const char *path, const char *name, void *value,
			    size_t size)
{
	struct vfs_node node;
	ssize_t ret = 0;

	if (xattr_ours(path, true, true, &node, &ret))
		return ret;
	return REAL(getxattr)(ret ? node.path : path, name, value, size);
}

VFS_EXPORT ssize_t lgetxattr(const char *path, const char *name, void *value,
			     size_t size)
{
	struct vfs_node node;
	ssize_t ret = 0;

	if (xattr_ours(path, false, true, &node, &ret))
		return ret;
	return REAL(lgetxattr)(ret ? node.path : path, name, value, size);
}

VFS_EXPORT ssize_t listxattr(const char *path, char *list, size_t size)
{
	struct vfs_node node;
	ssize_t ret = 0;

	if (xattr_ours(path, true, false, &node, &ret))
		return ret;
	return REAL(listxattr)(ret ? node.path : path, list, size);
}

VFS_EXPORT ssize_t llistxattr(const char *path, char *list, size_t size)
{
	struct vfs_node node;
	ssize_t ret = 0;

	if (xattr_ours(path, false, false, &node, &ret))
		return ret;
	return REAL(llistxattr)(ret ? node.path : path, list, size);
}
