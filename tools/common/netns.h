/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The name of the caller's network namespace. */
#ifndef UROCE_TOOLS_NETNS_H
#define UROCE_TOOLS_NETNS_H

#include <stddef.h>

#define NETNS_DIR "/run/netns"

/*
 * Writes the name under which `ip netns` knows the caller's network
 * namespace to buf, else "net:[inode]" as /proc/self/ns/net reads.
 * Returns 0, or a negative errno if the namespace cannot be seen at all.
 */
int netns_identify(char *buf, size_t len);

#endif /* UROCE_TOOLS_NETNS_H */
