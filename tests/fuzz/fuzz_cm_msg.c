// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzz target: the CM message decoder (a UDP datagram to the CM port). A
 * message it accepts, if it encodes again, must decode to the same fields; the
 * RDMA CM IP header of a REQ or SIDR_REQ is decoded too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "librdmacm/cm_msg.h"

#define FAIL_IF(cond)            \
	do {                     \
		if (cond)        \
			abort(); \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t out[CM_MAD_SIZE];
	struct cm_msg m, m2;
	struct cm_ip_hdr ip;
	uint8_t *buf;

	/* A copy of exactly @size bytes: ASan sees any read past the end. */
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	memset(&m, 0xa5, sizeof(m));
	if (cm_msg_decode(buf, size, &m))
		goto out;
	FAIL_IF(!cm_pdata_size(m.attr));
	FAIL_IF(m.pdata_len > cm_pdata_size(m.attr));
	FAIL_IF(m.ari_len > sizeof(m.ari));
	if ((m.attr == CM_ATTR_REQ || m.attr == CM_ATTR_SIDR_REQ) &&
	    m.pdata_len >= CM_IP_HDR_SIZE)
		cm_ip_hdr_decode(m.pdata, &ip);
	/* What encodes again decodes to the same message. */
	if (cm_msg_encode(&m, out))
		goto out;
	memset(&m2, 0x5a, sizeof(m2));
	FAIL_IF(cm_msg_decode(out, sizeof(out), &m2));
	FAIL_IF(m2.attr != m.attr || m2.tid != m.tid ||
		m2.local_id != m.local_id || m2.remote_id != m.remote_id ||
		m2.pdata_len != m.pdata_len ||
		memcmp(m2.pdata, m.pdata, m.pdata_len));
out:
	free(buf);
	return 0;
}
