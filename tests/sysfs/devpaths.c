// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * devpaths: prints, for every device ibv_get_device_list gives, its name,
 * dev_name, dev_path and ibdev_path, one device a line, for the sysfs test
 * to check that the files it names exist.
 */
#include <stdio.h>
#include <infiniband/verbs.h>

int main(void)
{
	struct ibv_device **list;
	int i, n;

	list = ibv_get_device_list(&n);
	if (!list) {
		perror("ibv_get_device_list");
		return 1;
	}
	for (i = 0; i < n; i++)
		printf("%s %s %s %s\n", ibv_get_device_name(list[i]),
		       list[i]->dev_name, list[i]->dev_path,
		       list[i]->ibdev_path);
	ibv_free_device_list(list);
	return 0;
}
