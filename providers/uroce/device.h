/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What device.c offers the rest of the provider. */
#ifndef UROCE_DEVICE_H
#define UROCE_DEVICE_H

#include "providers/uroce/uroce.h"

int uroce_list_devices(struct verbs_device ***list);
void uroce_free_device(struct verbs_device *vdev);
int uroce_netns_id(int fd, dev_t *dev, ino_t *ino);

#endif /* UROCE_DEVICE_H */
