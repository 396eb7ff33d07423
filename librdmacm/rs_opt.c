// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * rsetsockopt, rgetsockopt and rfcntl: the options rdma-core's rsockets
 * know, with its answers (rsocket(7), uroce-rsocket(7)). Sizes (SOL_RDMA,
 * SO_SNDBUF, SO_RCVBUF) apply to the next connection's buffers and are
 * ignored (SOL_RDMA: EINVAL) once it is being made; an unknown option is
 * ENOTSUP. A datagram rsocket passes the socket levels to its UDP socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "librdmacm/rs.h"

static void set_flag(uint64_t *opts, int optname, bool on)
{
	if (on)
		*opts |= 1ULL << optname;
	else
		*opts &= ~(1ULL << optname);
}

static bool get_flag(uint64_t opts, int optname)
{
	return opts & (1ULL << optname);
}

static int set_sol_socket(struct rsocket *rs, int optname, const void *optval,
			  socklen_t optlen)
{
	int val = *(const int *)optval;

	switch (optname) {
	case SO_REUSEADDR:
		/* the CM takes it only before the bind; later, kept */
		if (rs->type == SOCK_STREAM && rs->state == RS_INIT &&
		    rdma_set_option(rs->cm_id, RDMA_OPTION_ID,
				    RDMA_OPTION_ID_REUSEADDR, (void *)optval,
				    sizeof(int)))
			return -1;
		set_flag(&rs->so_opts, optname, val);
		return 0;
	case SO_RCVBUF:
		if ((rs->type == SOCK_STREAM && !rs->rbuf) ||
		    (rs->type == SOCK_DGRAM && !rs->qp_list))
			rs->rbuf_size = (uint32_t)val << 1;
		return 0;
	case SO_SNDBUF:
		if (!rs->sbuf)
			rs->sbuf_size = (uint32_t)val << 1;
		if (rs->sbuf_size < RS_SNDLOWAT)
			rs->sbuf_size = RS_SNDLOWAT << 1;
		return 0;
	case SO_LINGER:
		if (optlen < sizeof(struct linger))
			return rs_err(EINVAL);
		/* kept inverted: off (0) is the default, linger on */
		set_flag(&rs->so_opts, optname,
			 !((const struct linger *)optval)->l_onoff);
		return 0;
	case SO_KEEPALIVE:
		if (rs->type == SOCK_STREAM && rs_keepalive_set(rs, val))
			return -1;
		set_flag(&rs->so_opts, optname, val);
		return 0;
	case SO_OOBINLINE:
		set_flag(&rs->so_opts, optname, val);
		return 0;
	}
	return rs_err(ENOTSUP);
}

static int set_ipproto_tcp(struct rsocket *rs, int optname, const void *optval)
{
	int val = *(const int *)optval;

	switch (optname) {
	case TCP_KEEPCNT:
	case TCP_KEEPINTVL:
		return 0; /* a reliable connection retries by itself */
	case TCP_KEEPIDLE:
		if (val <= 0)
			return rs_err(EINVAL);
		rs->keepalive_time = val;
		rs_keepalive_update(rs);
		return 0;
	case TCP_NODELAY:
		set_flag(&rs->tcp_opts, optname, val);
		return 0;
	case TCP_MAXSEG:
		return 0;
	}
	return rs_err(ENOTSUP);
}

static int set_sol_rdma(struct rsocket *rs, int optname, const void *optval,
			socklen_t optlen)
{
	uint32_t val = *(const uint32_t *)optval;

	if (rs->state >= RS_OPENING)
		return rs_err(EINVAL);
	switch (optname) {
	case RDMA_SQSIZE:
		rs->sq_size = val < RS_QP_MAX_SIZE ? val : RS_QP_MAX_SIZE;
		return 0;
	case RDMA_RQSIZE:
		rs->rq_size = val < RS_QP_MAX_SIZE ? val : RS_QP_MAX_SIZE;
		return 0;
	case RDMA_INLINE:
		rs->sq_inline = val < RS_QP_MAX_SIZE ? val : RS_QP_MAX_SIZE;
		return 0;
	case RDMA_IOMAPSIZE:
		rs->target_iomap_size = (uint16_t)rs_scale_to_value(
			(uint8_t)rs_value_to_scale((int)val, 8), 8);
		return 0;
	case RDMA_ROUTE:
		free(rs->route);
		rs->route = malloc(optlen);
		if (!rs->route)
			return rs_err(ENOMEM);
		memcpy(rs->route, optval, optlen);
		rs->route_len = optlen;
		return 0;
	}
	return rs_err(ENOTSUP);
}

int rsetsockopt(int socket, int level, int optname, const void *optval,
		socklen_t optlen)
{
	struct rsocket *rs = rs_get(socket);
	int val;

	if (!rs)
		return -1;
	if (!optval || optlen < sizeof(int))
		return rs_err(EINVAL);
	if (rs->type == SOCK_DGRAM && level != SOL_RDMA &&
	    setsockopt(rs->udp_sock, level, optname, optval, optlen))
		return -1;
	switch (level) {
	case SOL_SOCKET:
		return set_sol_socket(rs, optname, optval, optlen);
	case IPPROTO_TCP:
		return set_ipproto_tcp(rs, optname, optval);
	case IPPROTO_IPV6:
		if (optname != IPV6_V6ONLY)
			break;
		val = *(const int *)optval;
		if (rs->type == SOCK_STREAM &&
		    rdma_set_option(rs->cm_id, RDMA_OPTION_ID,
				    RDMA_OPTION_ID_AFONLY, &val, sizeof(val)))
			return -1;
		set_flag(&rs->ipv6_opts, optname, val);
		return 0;
	case SOL_RDMA:
		return set_sol_rdma(rs, optname, optval, optlen);
	}
	return rs_err(ENOTSUP);
}

static int put_int(void *optval, socklen_t *optlen, int val)
{
	if (*optlen < sizeof(int))
		return rs_err(EINVAL);
	*(int *)optval = val;
	*optlen = sizeof(int);
	return 0;
}

static int get_sol_socket(struct rsocket *rs, int optname, void *optval,
			  socklen_t *optlen)
{
	struct linger *l = optval;
	int err;

	switch (optname) {
	case SO_REUSEADDR:
	case SO_KEEPALIVE:
	case SO_OOBINLINE:
		return put_int(optval, optlen, get_flag(rs->so_opts, optname));
	case SO_RCVBUF:
		return put_int(optval, optlen, rs->rbuf_size);
	case SO_SNDBUF:
		return put_int(optval, optlen, rs->sbuf_size);
	case SO_LINGER:
		if (*optlen < sizeof(*l))
			return rs_err(EINVAL);
		l->l_onoff = !get_flag(rs->so_opts, optname);
		l->l_linger = 0;
		*optlen = sizeof(*l);
		return 0;
	case SO_ERROR:
		err = rs->err;
		if (put_int(optval, optlen, err))
			return -1;
		rs->err = 0;
		return 0;
	}
	return rs_err(ENOTSUP);
}

static int get_ipproto_tcp(struct rsocket *rs, int optname, void *optval,
			   socklen_t *optlen)
{
	struct rdma_cm_id *id = rs->cm_id;

	switch (optname) {
	case TCP_KEEPCNT:
	case TCP_KEEPINTVL:
		return put_int(optval, optlen, 1);
	case TCP_KEEPIDLE:
		return put_int(optval, optlen, (int)rs->keepalive_time);
	case TCP_NODELAY:
		return put_int(optval, optlen, get_flag(rs->tcp_opts, optname));
	case TCP_MAXSEG:
		/* the path MTU once routed, else 2048 */
		return put_int(optval, optlen,
			       id && id->route.num_paths ?
				       1 << (7 + id->route.path_rec->mtu) :
				       2048);
	}
	return rs_err(ENOTSUP);
}

static int get_sol_rdma(struct rsocket *rs, int optname, void *optval,
			socklen_t *optlen)
{
	switch (optname) {
	case RDMA_SQSIZE:
		return put_int(optval, optlen, rs->sq_size);
	case RDMA_RQSIZE:
		return put_int(optval, optlen, rs->rq_size);
	case RDMA_INLINE:
		return put_int(optval, optlen, rs->sq_inline);
	case RDMA_IOMAPSIZE:
		return put_int(optval, optlen, rs->target_iomap_size);
	case RDMA_ROUTE:
		/* what was set; uroce has no path records to give */
		if (!rs->route) {
			*optlen = 0;
			return 0;
		}
		if (*optlen < rs->route_len)
			return rs_err(EINVAL);
		memcpy(optval, rs->route, rs->route_len);
		*optlen = rs->route_len;
		return 0;
	}
	return rs_err(ENOTSUP);
}

int rgetsockopt(int socket, int level, int optname, void *optval,
		socklen_t *optlen)
{
	struct rsocket *rs = rs_get(socket);

	if (!rs)
		return -1;
	if (!optval || !optlen)
		return rs_err(EFAULT);
	switch (level) {
	case SOL_SOCKET:
		return get_sol_socket(rs, optname, optval, optlen);
	case IPPROTO_TCP:
		return get_ipproto_tcp(rs, optname, optval, optlen);
	case IPPROTO_IPV6:
		if (optname != IPV6_V6ONLY)
			break;
		return put_int(optval, optlen,
			       get_flag(rs->ipv6_opts, optname));
	case SOL_RDMA:
		return get_sol_rdma(rs, optname, optval, optlen);
	}
	return rs_err(ENOTSUP);
}

/*
 * F_GETFL/F_SETFL keep the rsocket's own flags (O_NONBLOCK is the one that
 * matters); F_GETFD/F_SETFD act on its descriptor.
 */
int rfcntl(int socket, int cmd, ... /* arg */)
{
	struct rsocket *rs = rs_get(socket);
	va_list args;
	int arg, ret;

	if (!rs)
		return -1;
	va_start(args, cmd);
	switch (cmd) {
	case F_GETFL:
		ret = rs->fd_flags;
		break;
	case F_SETFL:
		arg = va_arg(args, int);
		rs->fd_flags = arg;
		if (rs->type == SOCK_DGRAM)
			ds_set_nonblocking(rs);
		ret = 0;
		break;
	case F_GETFD:
		ret = fcntl(rs->index, F_GETFD);
		break;
	case F_SETFD:
		arg = va_arg(args, int);
		ret = fcntl(rs->index, F_SETFD, arg);
		break;
	default:
		ret = rs_err(ENOTSUP);
	}
	va_end(args);
	return ret;
}
