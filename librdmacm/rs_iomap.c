// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* riomap, riounmap, riowrite: not yet. */
#include <errno.h>

#include "librdmacm/rs.h"

int rs_send_iomaps(struct rsocket *rs, int flags)
{
	(void)rs;
	(void)flags;
	return 0;
}

void rs_free_iomappings(struct rsocket *rs)
{
	(void)rs;
}
