// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Directory streams over our directories: opendir and fdopendir hand out
 * a DIR * from a static pool, which readdir, readdir64, readdir_r,
 * readdir64_r, telldir, seekdir, rewinddir, dirfd and closedir recognize
 * by its address (one compare, no lock) and pass every other stream to
 * libc. scandir and glob walk directories inside libc, where no wrapper
 * sees them, so they are wrapped whole: scandir over our streams, glob
 * with GLOB_ALTDIRFUNC pointing at the wrappers.
 */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "preload/real.h"
#include "preload/vfs.h"

#define NSTREAMS 64

struct vdir {
	int used; /* claimed with an atomic exchange */
	int fd; /* dirfd's, or fdopendir's: closed by closedir */
	char path[PATH_MAX];
	struct vfs_dirent *ents;
	long n, pos;
	struct dirent64 ent;
};

_Static_assert(sizeof(struct dirent) == sizeof(struct dirent64),
	       "struct dirent and dirent64 differ");

static struct vdir streams[NSTREAMS];

static struct vdir *ours(const void *d)
{
	const char *p = d, *base = (const char *)streams;

	if (p < base || p >= base + sizeof(streams))
		return NULL;
	return (struct vdir *)d;
}

/* A stream over our directory @path (normalized), taking @fd (or -1). */
static DIR *vdir_open(const char *path, int fd)
{
	struct vfs_dirent *ents;
	int i, n;

	n = vfs_list(path, &ents);
	if (n < 0) {
		errno = -n;
		return NULL;
	}
	for (i = 0; i < NSTREAMS; i++) {
		struct vdir *v = &streams[i];

		if (__atomic_exchange_n(&v->used, 1, __ATOMIC_ACQUIRE))
			continue;
		v->fd = fd;
		snprintf(v->path, sizeof(v->path), "%s", path);
		v->ents = ents;
		v->n = n;
		v->pos = 0;
		return (DIR *)v;
	}
	free(ents);
	errno = EMFILE;
	return NULL;
}

VFS_EXPORT DIR *opendir(const char *path)
{
	struct vfs_node node;
	int r;

	r = vfs_resolve(path, true, &node);
	if (r == VFS_PASS)
		return REAL(opendir)(path);
	if (r == VFS_REAL)
		return REAL(opendir)(node.path);
	if (r >= 0 && node.kind != VFS_DIR)
		r = -ENOTDIR;
	if (r < 0) {
		errno = -r;
		return NULL;
	}
	return vdir_open(node.path, -1);
}

VFS_EXPORT DIR *fdopendir(int fd)
{
	char path[PATH_MAX];
	struct stat st;

	/* Only an fd of ours (a memfd) is worth a readlink. */
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size ||
	    !vfs_fd_dir_path(fd, path, sizeof(path)))
		return REAL(fdopendir)(fd);
	return vdir_open(path, fd);
}

static struct dirent64 *vdir_next(struct vdir *v)
{
	const struct vfs_dirent *e;

	if (v->pos >= v->n)
		return NULL; /* end: errno untouched */
	e = &v->ents[v->pos++];
	memset(&v->ent, 0, sizeof(v->ent));
	v->ent.d_ino = e->ino;
	v->ent.d_off = v->pos;
	v->ent.d_reclen = sizeof(v->ent);
	v->ent.d_type = e->type;
	snprintf(v->ent.d_name, sizeof(v->ent.d_name), "%s", e->name);
	return &v->ent;
}

VFS_EXPORT struct dirent *readdir(DIR *d)
{
	struct vdir *v = ours(d);

	if (!v)
		return REAL(readdir)(d);
	return (struct dirent *)vdir_next(v);
}

VFS_EXPORT struct dirent64 *readdir64(DIR *d)
{
	struct vdir *v = ours(d);

	if (!v)
		return REAL(readdir64)(d);
	return vdir_next(v);
}

/* readdir_r and readdir64_r on one of our streams */
static int vdir_next_r(struct vdir *v, struct dirent64 *entry,
		       struct dirent64 **result)
{
	struct dirent64 *e = vdir_next(v);

	if (e)
		memcpy(entry, e, sizeof(*entry));
	*result = e ? entry : NULL;
	return 0;
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
VFS_EXPORT int readdir_r(DIR *d, struct dirent *entry, struct dirent **result)
{
	struct vdir *v = ours(d);

	if (!v)
		return REAL(readdir_r)(d, entry, result);
	return vdir_next_r(v, (struct dirent64 *)entry,
			   (struct dirent64 **)result);
}

VFS_EXPORT int readdir64_r(DIR *d, struct dirent64 *entry,
			   struct dirent64 **result)
{
	struct vdir *v = ours(d);

	if (!v)
		return REAL(readdir64_r)(d, entry, result);
	return vdir_next_r(v, entry, result);
}
#pragma GCC diagnostic pop

VFS_EXPORT void rewinddir(DIR *d)
{
	struct vdir *v = ours(d);

	if (!v) {
		REAL(rewinddir)(d);
		return;
	}
	v->pos = 0;
}

VFS_EXPORT long telldir(DIR *d)
{
	struct vdir *v = ours(d);

	if (!v)
		return REAL(telldir)(d);
	return v->pos;
}

VFS_EXPORT void seekdir(DIR *d, long pos)
{
	struct vdir *v = ours(d);

	if (!v) {
		REAL(seekdir)(d, pos);
		return;
	}
	v->pos = pos < 0 ? 0 : pos;
}

VFS_EXPORT int dirfd(DIR *d)
{
	struct vfs_node node;
	struct vdir *v = ours(d);

	if (!v)
		return REAL(dirfd)(d);
	if (v->fd < 0) {
		memset(&node, 0, sizeof(node));
		node.kind = VFS_DIR;
		snprintf(node.path, sizeof(node.path), "%s", v->path);
		v->fd = vfs_open_node(&node, O_RDONLY | O_CLOEXEC);
		if (v->fd < 0) {
			errno = -v->fd;
			v->fd = -1;
		}
	}
	return v->fd;
}

VFS_EXPORT int closedir(DIR *d)
{
	struct vdir *v = ours(d);

	if (!v)
		return REAL(closedir)(d);
	if (v->fd >= 0)
		close(v->fd);
	free(v->ents);
	v->ents = NULL;
	__atomic_store_n(&v->used, 0, __ATOMIC_RELEASE);
	return 0;
}

typedef int (*scan_filter)(const struct dirent *);
typedef int (*scan_cmp)(const struct dirent **, const struct dirent **);

/* scandir over one of our streams */
static int vdir_scan(DIR *d, struct dirent ***list, scan_filter filter,
		     scan_cmp cmp)
{
	struct dirent **out = NULL, **grown, *e, *copy;
	size_t n = 0, cap = 0;
	int err = 0;

	while ((e = readdir(d))) {
		if (filter && !filter(e))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			grown = realloc(out, cap * sizeof(*out));
			if (!grown) {
				err = ENOMEM;
				break;
			}
			out = grown;
		}
		copy = malloc(sizeof(*copy));
		if (!copy) {
			err = ENOMEM;
			break;
		}
		memcpy(copy, e, sizeof(*copy));
		out[n++] = copy;
	}
	closedir(d);
	if (err) {
		while (n--)
			free(out[n]);
		free(out);
		errno = err;
		return -1;
	}
	if (cmp && n > 1)
		qsort(out, n, sizeof(*out),
		      (int (*)(const void *, const void *))cmp);
	*list = out;
	return n;
}

VFS_EXPORT int scandir(const char *path, struct dirent ***list,
		       scan_filter filter, scan_cmp cmp)
{
	DIR *d;

	if (!vfs_maybe_ours(path))
		return REAL(scandir)(path, list, filter, cmp);
	d = opendir(path);
	if (!d)
		return -1;
	if (!ours(d)) {
		closedir(d);
		return REAL(scandir)(path, list, filter, cmp);
	}
	return vdir_scan(d, list, filter, cmp);
}

VFS_EXPORT int scandir64(const char *path, struct dirent64 ***list,
			 int (*filter)(const struct dirent64 *),
			 int (*cmp)(const struct dirent64 **,
				    const struct dirent64 **))
{
	return scandir(path, (struct dirent ***)list, (scan_filter)filter,
		       (scan_cmp)cmp);
}

static void *glob_opendir(const char *path)
{
	return opendir(path);
}

static void *glob_readdir(void *d)
{
	return readdir(d);
}

static void glob_closedir(void *d)
{
	closedir(d);
}

static int glob_stat(const char *restrict path, struct stat *restrict st)
{
	return stat(path, st);
}

static int glob_lstat(const char *restrict path, struct stat *restrict st)
{
	return lstat(path, st);
}

static int glob_stat64(const char *restrict path, struct stat64 *restrict st)
{
	return stat64(path, st);
}

static int glob_lstat64(const char *restrict path, struct stat64 *restrict st)
{
	return lstat64(path, st);
}

VFS_EXPORT int glob(const char *pattern, int flags,
		    int (*errfunc)(const char *, int), glob_t *g)
{
	if (!vfs_maybe_ours(pattern) || (flags & GLOB_ALTDIRFUNC))
		return REAL(glob)(pattern, flags, errfunc, g);
	g->gl_opendir = glob_opendir;
	g->gl_readdir = (struct dirent * (*)(void *)) glob_readdir;
	g->gl_closedir = glob_closedir;
	g->gl_stat = glob_stat;
	g->gl_lstat = glob_lstat;
	return REAL(glob)(pattern, flags | GLOB_ALTDIRFUNC, errfunc, g);
}

VFS_EXPORT int glob64(const char *pattern, int flags,
		      int (*errfunc)(const char *, int), glob64_t *g)
{
	if (!vfs_maybe_ours(pattern) || (flags & GLOB_ALTDIRFUNC))
		return REAL(glob64)(pattern, flags, errfunc, g);
	g->gl_opendir = glob_opendir;
	g->gl_readdir = (struct dirent64 * (*)(void *)) glob_readdir;
	g->gl_closedir = glob_closedir;
	g->gl_stat = glob_stat64;
	g->gl_lstat = glob_lstat64;
	return REAL(glob64)(pattern, flags | GLOB_ALTDIRFUNC, errfunc, g);
}
