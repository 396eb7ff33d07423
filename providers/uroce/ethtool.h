/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What ethtool.c offers the rest of the provider. */
#ifndef UROCE_ETHTOOL_H
#define UROCE_ETHTOOL_H

#include "providers/uroce/uroce.h"

uint32_t uroce_netdev_speed(const char *ifname);
void uroce_speed_to_ib(uint32_t mbps, uint8_t *width, uint8_t *speed);
enum ibv_mtu uroce_active_mtu(unsigned int netdev_mtu);

#endif /* UROCE_ETHTOOL_H */
