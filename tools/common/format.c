// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Text forms of GUIDs, GIDs and link rates; see format.h. */
#include <endian.h>
#include <stdio.h>

#include "tools/common/format.h"

char *format_guid(__be64 guid, char *buf)
{
	uint64_t g = be64toh(guid);

	snprintf(buf, GUID_STR_LEN, "%04x:%04x:%04x:%04x",
		 (unsigned int)(g >> 48) & 0xffff,
		 (unsigned int)(g >> 32) & 0xffff,
		 (unsigned int)(g >> 16) & 0xffff, (unsigned int)g & 0xffff);
	return buf;
}

char *format_guid_hex(__be64 guid, char *buf)
{
	snprintf(buf, GUID_HEX_LEN, "%016llx",
		 (unsigned long long)be64toh(guid));
	return buf;
}

char *format_gid(const union ibv_gid *gid, char *buf)
{
	/* Cannot fail: the buffer fits any IPv6 address. */
	inet_ntop(AF_INET6, gid->raw, buf, GID_STR_LEN);
	return buf;
}

/*
 * Nominal rates, as the IB speed names go: FDR is "14 Gb/s" per lane
 * although it signals at 14.0625.
 */
static uint32_t lane_mbps(uint8_t speed)
{
	switch (speed) {
	case 1:
		return 2500;
	case 2:
		return 5000;
	case 4:
	case 8:
		return 10000;
	case 16:
		return 14000;
	case 32:
		return 25000;
	case 64:
		return 50000;
	case 128:
		return 100000;
	default:
		return 0;
	}
}

uint32_t port_width_lanes(uint8_t width)
{
	switch (width) {
	case 1:
		return 1;
	case 2:
		return 4;
	case 4:
		return 8;
	case 8:
		return 12;
	case 16:
		return 2;
	default:
		return 0;
	}
}

uint32_t port_rate_mbps(uint8_t active_width, uint8_t active_speed)
{
	return port_width_lanes(active_width) * lane_mbps(active_speed);
}

char *format_rate(uint32_t mbps, char *buf)
{
	unsigned int frac = mbps % 1000;
	int digits = 3;

	if (!frac) {
		snprintf(buf, RATE_STR_LEN, "%u Gb/s", mbps / 1000);
		return buf;
	}
	/* 2500 is "2.5", not "2.500" */
	for (; frac % 10 == 0; frac /= 10)
		digits--;
	snprintf(buf, RATE_STR_LEN, "%u.%0*u Gb/s", mbps / 1000, digits, frac);
	return buf;
}
