// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Walking the devices of the caller's network namespace; see uroce.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tools/common/query.h"
#include "tools/uroce/uroce.h"

static int visit(struct uroce *u, struct ibv_device *dev,
		 int (*fn)(struct uroce *u, struct ibv_device *dev,
			   struct ibv_context *ctx, void *arg),
		 void *arg)
{
	struct ibv_context *ctx;
	int ret;

	ctx = ibv_open_device(dev);
	if (!ctx) {
		fprintf(stderr, "uroce: cannot open %s: %s\n",
			ibv_get_device_name(dev), strerror(errno));
		return 1;
	}
	ret = fn(u, dev, ctx, arg);
	if (ibv_close_device(ctx)) {
		fprintf(stderr, "uroce: cannot close %s\n",
			ibv_get_device_name(dev));
		ret = 1;
	}
	return ret;
}

int each_device(struct uroce *u, const char *name,
		int (*fn)(struct uroce *u, struct ibv_device *dev,
			  struct ibv_context *ctx, void *arg),
		void *arg)
{
	struct ibv_device **list, **dev, *found = NULL;
	int ret = 0;

	list = ibv_get_device_list(NULL);
	if (!list) {
		fprintf(stderr, "uroce: cannot list devices: %s\n",
			strerror(errno));
		return 1;
	}
	if (name) {
		found = find_device(list, name);
		if (!found) {
			fprintf(stderr, "Device \"%s\" does not exist.\n",
				name);
			ret = 1;
			goto out;
		}
	}
	/* JSON output is an array even when empty or on errors. */
	if (u->json)
		json_begin_array(&u->jw);
	for (dev = list; *dev; dev++)
		if (!name || *dev == found)
			ret |= visit(u, *dev, fn, arg);
	if (u->json)
		json_end_array(&u->jw);
out:
	ibv_free_device_list(list);
	return ret;
}
