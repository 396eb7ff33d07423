// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Datagram rsockets: not yet. */
#include <errno.h>
#include <stdlib.h>

#include "librdmacm/rs.h"

int ds_init(struct rsocket *rs, int domain)
{
	(void)rs;
	(void)domain;
	return rs_err(ENOTSUP);
}

void ds_free(struct rsocket *rs)
{
	free(rs);
}

void ds_shutdown(struct rsocket *rs)
{
	(void)rs;
}

int ds_bind(struct rsocket *rs, const struct sockaddr *addr, socklen_t addrlen)
{
	(void)rs;
	(void)addr;
	(void)addrlen;
	return rs_err(ENOTSUP);
}

int ds_connect(struct rsocket *rs, const struct sockaddr *addr,
	       socklen_t addrlen)
{
	return ds_bind(rs, addr, addrlen);
}

ssize_t ds_recvfrom(struct rsocket *rs, void *buf, size_t len, int flags,
		    struct sockaddr *src_addr, socklen_t *addrlen)
{
	(void)rs;
	(void)buf;
	(void)len;
	(void)flags;
	(void)src_addr;
	(void)addrlen;
	return rs_err(ENOTSUP);
}

ssize_t ds_sendto(struct rsocket *rs, const struct iovec *iov, int iovcnt,
		  int flags, const struct sockaddr *dest_addr,
		  socklen_t addrlen)
{
	(void)rs;
	(void)iov;
	(void)iovcnt;
	(void)flags;
	(void)dest_addr;
	(void)addrlen;
	return rs_err(ENOTSUP);
}

int ds_process_cqs(struct rsocket *rs, bool nonblock,
		   bool (*test)(struct rsocket *rs))
{
	(void)rs;
	(void)nonblock;
	(void)test;
	return 0;
}

int ds_get_cq_event(struct rsocket *rs)
{
	(void)rs;
	return 0;
}

bool ds_can_send(struct rsocket *rs)
{
	(void)rs;
	return false;
}

void ds_set_nonblocking(struct rsocket *rs)
{
	(void)rs;
}
