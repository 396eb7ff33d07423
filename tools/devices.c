// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * uroce_devices: the devices the caller's network namespace sees, with
 * their node GUIDs, in ibv_devices' layout so that scripts written for it
 * keep working.
 */
#include <stdio.h>
#include <infiniband/verbs.h>

#include "tools/common/format.h"

int main(int argc, char *argv[])
{
	struct ibv_device **list, **dev;
	char guid[GUID_HEX_LEN];

	list = ibv_get_device_list(NULL);
	if (!list) {
		perror("Failed to get IB devices list");
		return 1;
	}
	printf("    %-16s\t   node GUID\n", "device");
	printf("    %-16s\t----------------\n", "------");
	for (dev = list; *dev; dev++)
		printf("    %-16s\t%s\n", ibv_get_device_name(*dev),
		       format_guid_hex(ibv_get_device_guid(*dev), guid));
	ibv_free_device_list(list);
	return 0;
}
