// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * rsockets' defaults, and the files of /etc/rdma/rsocket/ that change them
 * (rsocket(7)): polling_time, inline_default, sqsize_default,
 * rqsize_default, mem_default, wmem_default, iomap_size,
 * wake_up_interval. Each holds one
 * number; a missing or unreadable file keeps the default. Read once, at
 * the first rsocket().
 */
#include <pthread.h>
#include <stdio.h>

#include "librdmacm/rs.h"

struct rs_config rs_conf = {
	.polling_time = 10,
	.wake_up_interval = 5000,
	.inline_size = 64,
	.sqsize = 384,
	.rqsize = 384,
	.iomap_size = 0,
	.mem = 1 << 17,
	.wmem = 1 << 17,
};

/*
 * An 8-bit scale: values up to 128 as they are, larger ones in steps of
 * 256 (how the iomap size travels in one byte of the private data).
 */
int rs_value_to_scale(int value, int bits)
{
	return value <= (1 << (bits - 1)) ? value :
					    (1 << (bits - 1)) | (value >> bits);
}

int rs_scale_to_value(int value, int bits)
{
	return value <= (1 << (bits - 1)) ?
		       value :
		       (value & ~(1 << (bits - 1))) << bits;
}

static bool read_u32(const char *name, uint32_t *val)
{
	char path[128];
	unsigned int v;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "%s/%s", RS_CONF_DIR, name);
	f = fopen(path, "re");
	if (!f)
		return false;
	n = fscanf(f, "%u", &v);
	fclose(f);
	if (n != 1)
		return false;
	*val = v;
	return true;
}

static void read_u16(const char *name, uint16_t *val)
{
	uint32_t v;

	if (read_u32(name, &v))
		*val = v > 0xFFFF ? 0xFFFF : (uint16_t)v;
}

static void configure_once(void)
{
	read_u32("polling_time", &rs_conf.polling_time);
	read_u16("inline_default", &rs_conf.inline_size);
	read_u16("sqsize_default", &rs_conf.sqsize);
	read_u16("rqsize_default", &rs_conf.rqsize);
	if (read_u32("mem_default", &rs_conf.mem) && rs_conf.mem < 1)
		rs_conf.mem = 1;
	if (read_u32("wmem_default", &rs_conf.wmem) &&
	    rs_conf.wmem < RS_SNDLOWAT)
		rs_conf.wmem = RS_SNDLOWAT << 1;
	read_u16("iomap_size", &rs_conf.iomap_size);
	if (read_u32("wake_up_interval", &rs_conf.wake_up_interval) &&
	    !rs_conf.wake_up_interval)
		rs_conf.wake_up_interval = 5000;
	/* only the sizes the private data can carry */
	rs_conf.iomap_size = (uint16_t)rs_scale_to_value(
		(uint8_t)rs_value_to_scale(rs_conf.iomap_size, 8), 8);
}

void rs_configure(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, configure_once);
}
