/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What uroce.conf(5) accepts as names, and where it is: shared by the
 * provider, which reads the file, and "uroce link add", which writes it,
 * so that the tool never writes a line the provider would refuse.
 */
#ifndef UROCE_UTIL_CONF_NAMES_H
#define UROCE_UTIL_CONF_NAMES_H

#include <stdbool.h>

#define UROCE_CONF_DEFAULT_PATH "/etc/uroce/uroce.conf"
#define UROCE_DEV_NAME_MAX 64 /* as ibv_device.name */
#define UROCE_LAG_MAX_MEMBERS 8

/* A netdev name, as the kernel's dev_valid_name() accepts it. */
bool uroce_valid_ifname(const char *s);
/*
 * A device name: letters, digits, '_', '.' and '-', shorter than
 * UROCE_DEV_NAME_MAX, as it ends up in paths and tool output.
 */
bool uroce_valid_devname(const char *s);

#endif /* UROCE_UTIL_CONF_NAMES_H */
