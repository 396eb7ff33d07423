/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The kernel's files for uroce devices, synthesized: /sys/class/infiniband,
 * /sys/class/infiniband_verbs and /dev/infiniband as the kernel shows them
 * for RDMA devices, built at each access from the devices of the calling
 * thread's network namespace (tree.c). The libc wrappers (file.c, stat.c,
 * dir.c) ask vfs_resolve() whether a path is ours and pass every other path
 * through untouched.
 */
#ifndef UROCE_PRELOAD_VFS_H
#define UROCE_PRELOAD_VFS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#define VFS_EXPORT __attribute__((visibility("default")))

enum vfs_kind { VFS_DIR = 1, VFS_FILE, VFS_CHR, VFS_LNK };

#define VFS_DATA_MAX 512

struct vfs_node {
	enum vfs_kind kind;
	int read_err; /* VFS_FILE: a read fails with this errno (0: reads) */
	dev_t rdev; /* VFS_CHR */
	char path[PATH_MAX]; /* normalized; for VFS_REAL the real path */
	size_t len;
	char data[VFS_DATA_MAX]; /* VFS_FILE: content; VFS_LNK: target */
};

struct vfs_dirent {
	char name[64];
	unsigned char type; /* DT_* */
	ino_t ino;
};

enum {
	VFS_PASS = 0, /* not ours: call libc with the caller's path */
	VFS_OURS = 1, /* node filled */
	VFS_REAL = 2, /* ours, leading out through a link: node->path */
};

/* A cheap test that rules most paths out: absolute, mentions infiniband. */
bool vfs_maybe_ours(const char *path);

/*
 * Resolves @path: VFS_PASS (at the cost of vfs_maybe_ours for most paths), VFS_OURS, VFS_REAL, or a negative
 * errno for a path of ours that does not resolve (-ENOENT, -ENOTDIR,
 * -ELOOP). @follow: whether a final symbolic link is followed.
 */
int vfs_resolve(const char *path, bool follow, struct vfs_node *node);

/*
 * The entries of our directory @path (normalized, from vfs_resolve), "."
 * and ".." first. Returns how many and a malloc'd array, or -errno.
 */
int vfs_list(const char *path, struct vfs_dirent **ents);

/* stat of a node of ours. */
void vfs_stat(const struct vfs_node *node, struct stat *st);
ino_t vfs_ino(const char *path);

/*
 * An fd for an open of our node with @flags: a sealed memfd with a file's
 * content, /dev/null for a character device, an fd whose reads fail for a
 * file that cannot be read. Returns the fd or -errno (EACCES for writes).
 */
int vfs_open_node(const struct vfs_node *node, int flags);

/* The path of our directory that @fd was opened on, if it is one. */
bool vfs_fd_dir_path(int fd, char *path, size_t size);

#endif /* UROCE_PRELOAD_VFS_H */
