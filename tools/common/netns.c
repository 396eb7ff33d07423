// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The name of the caller's network namespace, found as `ip netns identify`
 * finds it: /run/netns holds one nsfs bind mount per named namespace, and
 * the one with our namespace's device and inode is ours.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools/common/netns.h"

static int not_dot(const struct dirent *d)
{
	return strcmp(d->d_name, ".") && strcmp(d->d_name, "..");
}

/* Sorted, so that a namespace with two names always shows the same one. */
static int find_name(const struct stat *self, char *buf, size_t len)
{
	struct dirent **names;
	struct stat st;
	int i, n, fd, found = 0;

	fd = open(NETNS_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = scandirat(fd, ".", &names, not_dot, alphasort);
	if (n < 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (!found && !fstatat(fd, names[i]->d_name, &st, 0) &&
		    st.st_dev == self->st_dev && st.st_ino == self->st_ino &&
		    (size_t)snprintf(buf, len, "%s", names[i]->d_name) < len)
			found = 1;
		free(names[i]);
	}
	free(names);
out:
	close(fd);
	return found;
}

int netns_identify(char *buf, size_t len)
{
	struct stat self;

	if (stat("/proc/self/ns/net", &self))
		return -errno;
	if (find_name(&self, buf, len))
		return 0;
	if ((size_t)snprintf(buf, len, "net:[%llu]",
			     (unsigned long long)self.st_ino) >= len)
		return -ENAMETOOLONG;
	return 0;
}
