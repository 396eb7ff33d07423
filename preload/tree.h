/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The synthesized tree (tree.c), for the path resolution (lookup.c). */
#ifndef UROCE_PRELOAD_TREE_H
#define UROCE_PRELOAD_TREE_H

#include "preload/vfs.h"

enum {
	TREE_NONE = 0, /* no such node */
	TREE_NODE = 1, /* @node is the node at @path */
	TREE_LINK = 2, /* @node is a link that @path goes through */
};

/* Finds the node at normalized @path: TREE_* or a negative errno. */
int tree_find(const char *path, struct vfs_node *node);

/*
 * True while this thread builds the tree: whatever files the discovery
 * code opens then (the configuration file, even one named inside the
 * tree) are libc's, never ours again.
 */
bool tree_building(void);

#endif /* UROCE_PRELOAD_TREE_H */
