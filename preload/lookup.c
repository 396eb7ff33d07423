// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Path resolution over the synthesized tree, and what an open or a stat of
 * one of its nodes gives. Paths are matched after a lexical normalization
 * ("//", "." and ".." collapsed); a relative path, or one whose prefix
 * reaches the tree through a symbolic link of the real file system, is
 * not recognized and goes to libc.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "preload/real.h"
#include "preload/tree.h"

#define MEMFD_FILE "uroce-sysfs:"
#define MEMFD_DIR "uroce-sysfs-dir:"
#define MAX_LINKS 8

static const char *const roots[] = {
	"/sys/class/infiniband",
	"/sys/class/infiniband_verbs",
	"/dev/infiniband",
};

bool vfs_maybe_ours(const char *path)
{
	return path && path[0] == '/' && strstr(path, "infiniband");
}

static bool in_tree(const char *path)
{
	size_t i, n;

	for (i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		n = strlen(roots[i]);
		if (!strncmp(path, roots[i], n) && (path[n] == '/' || !path[n]))
			return true;
	}
	return false;
}

/*
 * Lexical normalization of absolute @in into @out. @slash: @in ended with
 * a slash (the node must then be a directory). False if too long.
 */
static bool normalize(const char *in, char *out, size_t size, bool *slash)
{
	size_t len = 0, n;
	const char *p = in, *end;

	*slash = false;
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p) {
			*slash = len > 0;
			break;
		}
		end = strchrnul(p, '/');
		n = end - p;
		if (n == 1 && p[0] == '.') {
			*slash = !*end || !end[1];
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			while (len > 0 && out[--len] != '/')
				;
		} else {
			if (len + 1 + n + 1 > size)
				return false;
			out[len++] = '/';
			memcpy(out + len, p, n);
			len += n;
		}
		p = end;
	}
	if (!len)
		out[len++] = '/';
	out[len] = '\0';
	return true;
}

int vfs_resolve(const char *path, bool follow, struct vfs_node *node)
{
	char cur[PATH_MAX], next[PATH_MAX];
	const char *rest, *dir_end;
	bool slash, last_slash;
	int hops = 0, ret;

	if (!vfs_maybe_ours(path) || tree_building() ||
	    !normalize(path, cur, sizeof(cur), &slash))
		return VFS_PASS;
	if (!in_tree(cur)) {
		/* "/sys/class/infiniband/..": out of the tree again */
		if (!in_tree(path))
			return VFS_PASS;
		snprintf(node->path, sizeof(node->path), "%s", cur);
		return VFS_REAL;
	}
	for (;;) {
		ret = tree_find(cur, node);
		if (ret < 0)
			return ret;
		if (ret == TREE_NONE)
			return -ENOENT;
		if (ret == TREE_NODE &&
		    (node->kind != VFS_LNK || (!follow && !slash))) {
			if (slash && node->kind != VFS_DIR)
				return -ENOTDIR;
			return VFS_OURS;
		}
		/* A link: the node itself, or one on the way. */
		if (++hops > MAX_LINKS)
			return -ELOOP;
		rest = cur + strlen(node->path);
		if (node->data[0] == '/') {
			ret = snprintf(next, sizeof(next), "%s%s", node->data,
				       rest);
		} else {
			dir_end = strrchr(node->path, '/');
			ret = snprintf(next, sizeof(next), "%.*s/%s%s",
				       (int)(dir_end - node->path), node->path,
				       node->data, rest);
		}
		if (ret < 0 || (size_t)ret >= sizeof(next) ||
		    !normalize(next, cur, sizeof(cur), &last_slash))
			return -ENAMETOOLONG;
		if (!in_tree(cur)) {
			ret = snprintf(node->path, sizeof(node->path), "%s%s",
				       cur, slash ? "/" : "");
			return ret < (int)sizeof(node->path) ? VFS_REAL :
							       -ENAMETOOLONG;
		}
	}
}

/* FNV-1a: a stable inode number per path */
ino_t vfs_ino(const char *path)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (*path)
		h = (h ^ (unsigned char)*path++) * 0x100000001b3ULL;
	return (ino_t)(h | 1);
}

void vfs_stat(const struct vfs_node *node, struct stat *st)
{
	struct timespec now;

	memset(st, 0, sizeof(*st));
	/* sysfs for sysfs's files, devtmpfs for the character devices */
	st->st_dev = makedev(0, strncmp(node->path, "/dev/", 5) ? 21 : 5);
	st->st_ino = vfs_ino(node->path);
	st->st_nlink = node->kind == VFS_DIR ? 2 : 1;
	st->st_blksize = 4096;
	switch (node->kind) {
	case VFS_DIR:
		st->st_mode = S_IFDIR | 0755;
		break;
	case VFS_FILE:
		st->st_mode = S_IFREG | 0444;
		st->st_size = 4096; /* what sysfs says of every attribute */
		break;
	case VFS_CHR:
		st->st_mode = S_IFCHR | 0666;
		st->st_rdev = node->rdev;
		break;
	case VFS_LNK:
		st->st_mode = S_IFLNK | 0777;
		st->st_size = strlen(node->data);
		break;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	st->st_atim = st->st_mtim = st->st_ctim = now;
}

/* A read-only memfd holding @len bytes of @data, named @prefix@path. */
static int sealed_memfd(const char *prefix, const char *path, const char *data,
			size_t len, int flags)
{
	char name[250];
	ssize_t n;
	int fd, err;

	snprintf(name, sizeof(name), "%s%s", prefix, path);
	fd = memfd_create(name, MFD_ALLOW_SEALING |
					(flags & O_CLOEXEC ? MFD_CLOEXEC : 0));
	if (fd < 0)
		return -errno;
	while (len) {
		n = write(fd, data, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		data += n;
		len -= n;
	}
	if (lseek(fd, 0, SEEK_SET) < 0 ||
	    fcntl(fd, F_ADD_SEALS,
		  F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE))
		goto fail;
	if ((flags & O_NONBLOCK) && fcntl(fd, F_SETFL, O_NONBLOCK))
		goto fail;
	return fd;
fail:
	err = errno;
	close(fd);
	return -err;
}

int vfs_open_node(const struct vfs_node *node, int flags)
{
	bool write = (flags & O_ACCMODE) != O_RDONLY;
	int fd;

	if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
		return -EEXIST;
	switch (node->kind) {
	case VFS_DIR:
		if (write || (flags & O_CREAT))
			return -EISDIR;
		return sealed_memfd(MEMFD_DIR, node->path, "", 0, flags);
	case VFS_FILE:
		if (flags & O_DIRECTORY)
			return -ENOTDIR;
		/* kernfs refuses write opens of read-only attributes */
		if (write || (flags & O_TRUNC))
			return -EACCES;
		if (node->read_err) {
			/* an fd whose reads fail with EINVAL, as sysfs's do */
			fd = epoll_create1(flags & O_CLOEXEC ? EPOLL_CLOEXEC :
							       0);
			return fd < 0 ? -errno : fd;
		}
		return sealed_memfd(MEMFD_FILE, node->path, node->data,
				    node->len, flags);
	case VFS_CHR:
		if (flags & O_DIRECTORY)
			return -ENOTDIR;
		/* Nothing is behind it: uroce's libibverbs never uses it. */
		fd = real_open("/dev/null",
			       flags & (O_ACCMODE | O_CLOEXEC | O_NONBLOCK));
		return fd < 0 ? -errno : fd;
	case VFS_LNK:
	default:
		return -ELOOP; /* O_NOFOLLOW on a link */
	}
}

bool vfs_fd_dir_path(int fd, char *path, size_t size)
{
	static const char prefix[] = "/memfd:" MEMFD_DIR;
	static const char suffix[] = " (deleted)";
	char proc[64], link[PATH_MAX];
	ssize_t n;
	size_t len;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = real_readlink(proc, link, sizeof(link) - 1);
	if (n <= 0)
		return false;
	link[n] = '\0';
	len = n;
	if (strncmp(link, prefix, sizeof(prefix) - 1))
		return false;
	if (len >= sizeof(suffix) - 1 &&
	    !strcmp(link + len - (sizeof(suffix) - 1), suffix))
		link[len - (sizeof(suffix) - 1)] = '\0';
	snprintf(path, size, "%s", link + sizeof(prefix) - 1);
	return true;
}
