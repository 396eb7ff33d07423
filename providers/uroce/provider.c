// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What the provider exports to libibverbs: the verbs_provider symbol, the
 * only one the version script lets out. The context ops are context.c's.
 */
#include "providers/uroce/context.h"
#include "providers/uroce/device.h"
#include "providers/uroce/uroce.h"

extern const struct verbs_provider verbs_provider;

/* device.c lists devices for the sysfs interposer too: the provider is ours. */
static int list_devices(struct verbs_device ***list)
{
	int i, n = uroce_list_devices(list);

	for (i = 0; i < n; i++)
		(*list)[i]->provider = &verbs_provider;
	return n;
}

const struct verbs_provider verbs_provider = {
	.name = "uroce",
	.abi = VERBS_PROVIDER_ABI,
	.list_devices = list_devices,
	.alloc_context = uroce_alloc_context,
	.free_device = uroce_free_device,
};
