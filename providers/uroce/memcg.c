// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The memory cgroup's part in uroce, the one the rdma cgroup has for an
 * RNIC: an RNIC's QPs and CQs live in the adapter, so the kernel limits
 * them with a controller of their own; uroce's live in the process, so
 * the memory cgroup limits them already. But its pages come at first
 * touch, on the data path, where a cgroup at its limit means an OOM kill
 * (or, with the OOM killer off, a stall). So a large queue is committed
 * at creation, and refused there with ENOMEM when the caller's memory
 * cgroup, or one above it, has no room for it and a margin.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "providers/uroce/memcg.h"
#include "providers/uroce/uroce.h"

/* Left to the process's own allocations, stacks and code. */
#define MEMCG_MARGIN (8ull << 20)

static char cg_dir[PATH_MAX]; /* the process's memory cgroup, "" if none */
static size_t cg_root_len; /* the mount point's part of cg_dir */
static bool cg_v2;
static pthread_once_t cg_once = PTHREAD_ONCE_INIT;

/* v1's memory controller, or else the unified hierarchy's path. */
static void cg_find(void)
{
	char line[PATH_MAX], *ctl, *path, *v2 = NULL;
	static char v2_path[PATH_MAX];
	const char *mnt;
	FILE *f;

	f = fopen("/proc/self/cgroup", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		ctl = strchr(line, ':');
		path = ctl ? strchr(ctl + 1, ':') : NULL;
		if (!path)
			continue;
		*path++ = 0;
		ctl++;
		if (!*ctl) {
			snprintf(v2_path, sizeof(v2_path), "%s", path);
			v2 = v2_path;
			continue;
		}
		if (!strcmp(ctl, "memory") || !strncmp(ctl, "memory,", 7) ||
		    strstr(ctl, ",memory")) {
			fclose(f);
			if (snprintf(cg_dir, sizeof(cg_dir),
				     "/sys/fs/cgroup/memory%s",
				     path) >= (int)sizeof(cg_dir))
				cg_dir[0] = 0;
			else
				cg_root_len = strlen("/sys/fs/cgroup/memory");
			return;
		}
	}
	fclose(f);
	if (!v2)
		return;
	/* Hybrid layouts mount the unified tree beside the v1 ones. */
	mnt = access("/sys/fs/cgroup/unified/cgroup.controllers", F_OK) ?
		      "/sys/fs/cgroup" :
		      "/sys/fs/cgroup/unified";
	if (snprintf(cg_dir, sizeof(cg_dir), "%s%s", mnt, v2) >=
	    (int)sizeof(cg_dir)) {
		cg_dir[0] = 0; /* no check rather than the wrong one */
		return;
	}
	cg_root_len = strlen(mnt);
	cg_v2 = true;
}

/* A number from @dir/@name; false if none ("max" and v1's "unlimited"). */
static bool read_u64(const char *dir, size_t len, const char *name,
		     unsigned long long *v)
{
	char path[PATH_MAX + 32], buf[64];
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "%.*s/%s", (int)len, dir, name);
	f = fopen(path, "re");
	if (!f)
		return false;
	ok = fgets(buf, sizeof(buf), f) && sscanf(buf, "%llu", v) == 1;
	fclose(f);
	/* v1 writes "no limit" as the largest page-aligned value. */
	return ok && *v < (1ull << 62);
}

int uroce_memcg_room(size_t size)
{
	unsigned long long limit, usage;
	const char *lim = cg_v2 ? "memory.max" : "memory.limit_in_bytes";
	const char *use = cg_v2 ? "memory.current" : "memory.usage_in_bytes";
	size_t len;

	pthread_once(&cg_once, cg_find);
	/* Every level up to the mount point (a container's own root). */
	for (len = strlen(cg_dir);;) {
		if (read_u64(cg_dir, len, lim, &limit) &&
		    read_u64(cg_dir, len, use, &usage) &&
		    (usage > limit || limit - usage < size + MEMCG_MARGIN))
			return ENOMEM;
		if (len <= cg_root_len)
			return 0;
		while (len > cg_root_len && cg_dir[len - 1] != '/')
			len--;
		if (len > cg_root_len)
			len--;
	}
}
