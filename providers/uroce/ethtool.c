// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Link speed and MTU of a netdev, translated into what an IB port reports.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>

#include "providers/uroce/ethtool.h"
#include "providers/uroce/uroce.h"

/*
 * The RoCE v2 overhead that must fit in the netdev MTU besides the IB
 * payload: the IPv6 header (the larger one, so that one active MTU serves
 * both families), UDP, BTH and ICRC.
 */
#define ROCE_OVERHEAD (40 + 8 + 12 + 4)

/* Used when the netdev reports no speed (lo, some virtual devices). */
#define DEFAULT_WIDTH 2 /* 4X */
#define DEFAULT_SPEED 32 /* EDR: 4X EDR = 100 Gb/s */

static int ethtool_ioctl(int fd, const char *ifname, void *data)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, ifname, sizeof(ifr.ifr_name) - 1);
	ifr.ifr_data = data;
	return ioctl(fd, SIOCETHTOOL, &ifr) ? -errno : 0;
}

static uint32_t speed_glinksettings(int fd, const char *ifname)
{
	struct {
		struct ethtool_link_settings s;
		uint32_t masks[3 * SCHAR_MAX];
	} req;
	int8_t nwords;

	/* Handshake: the kernel answers with -(words per link mode mask). */
	memset(&req, 0, sizeof(req));
	req.s.cmd = ETHTOOL_GLINKSETTINGS;
	if (ethtool_ioctl(fd, ifname, &req) ||
	    req.s.link_mode_masks_nwords >= 0)
		return 0;
	nwords = -req.s.link_mode_masks_nwords;
	memset(&req, 0, sizeof(req));
	req.s.cmd = ETHTOOL_GLINKSETTINGS;
	req.s.link_mode_masks_nwords = nwords;
	if (ethtool_ioctl(fd, ifname, &req) ||
	    req.s.link_mode_masks_nwords != nwords)
		return 0;
	return req.s.speed;
}

static uint32_t speed_gset(int fd, const char *ifname)
{
	struct ethtool_cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.cmd = ETHTOOL_GSET;
	if (ethtool_ioctl(fd, ifname, &cmd))
		return 0;
	/*
	 * Not the header's ethtool_cmd_speed(): it shifts an int, which
	 * overflows for SPEED_UNKNOWN (0xffff:0xffff, as lo answers).
	 */
	return (uint32_t)cmd.speed_hi << 16 | cmd.speed;
}

uint32_t uroce_netdev_speed(const char *ifname)
{
	uint32_t speed;
	int fd;

	/*
	 * SIOCETHTOOL works on any socket and answers for the socket's
	 * namespace; an AF_UNIX one exists even without IPv4 or IPv6.
	 */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	speed = speed_glinksettings(fd, ifname);
	if (!speed || speed == (uint32_t)SPEED_UNKNOWN)
		speed = speed_gset(fd, ifname);
	close(fd);
	return speed == (uint32_t)SPEED_UNKNOWN ? 0 : speed;
}

/*
 * Ethernet rates and the IB width x lane speed that ports of RoCE NICs
 * report for them, fastest first. A netdev gets the first entry that does
 * not exceed its speed; slower than 2.5 Gb/s still reports 1X SDR.
 * Widths: 1 = 1X, 16 = 2X, 2 = 4X, 4 = 8X. Speeds: 1 = SDR (2.5 Gb/s per
 * lane), 2 = DDR (5), 4 = QDR (10), 16 = FDR (14), 32 = EDR (25),
 * 64 = HDR (50), 128 = NDR (100).
 */
static const struct {
	uint32_t mbps;
	uint8_t width;
	uint8_t speed;
} ib_rates[] = {
	{ 800000, 4, 128 }, /* 8X NDR */
	{ 400000, 2, 128 }, /* 4X NDR */
	{ 200000, 2, 64 }, /* 4X HDR */
	{ 100000, 2, 32 }, /* 4X EDR */
	{ 56000, 2, 16 }, /* 4X FDR */
	{ 50000, 16, 32 }, /* 2X EDR */
	{ 40000, 2, 4 }, /* 4X QDR */
	{ 25000, 1, 32 }, /* 1X EDR */
	{ 20000, 2, 2 }, /* 4X DDR */
	{ 14000, 1, 16 }, /* 1X FDR */
	{ 10000, 1, 4 }, /* 1X QDR */
	{ 5000, 1, 2 }, /* 1X DDR */
	{ 0, 1, 1 }, /* 1X SDR */
};

void uroce_speed_to_ib(uint32_t mbps, uint8_t *width, uint8_t *speed)
{
	unsigned int i;

	if (!mbps) {
		*width = DEFAULT_WIDTH;
		*speed = DEFAULT_SPEED;
		return;
	}
	for (i = 0; ib_rates[i].mbps > mbps; i++)
		;
	*width = ib_rates[i].width;
	*speed = ib_rates[i].speed;
}

enum ibv_mtu uroce_active_mtu(unsigned int netdev_mtu)
{
	enum ibv_mtu mtu;

	for (mtu = IBV_MTU_4096; mtu > IBV_MTU_256; mtu--)
		if ((128u << mtu) + ROCE_OVERHEAD <= netdev_mtu)
			break;
	return mtu;
}
