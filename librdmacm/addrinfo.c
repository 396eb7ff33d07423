// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * rdma_getaddrinfo() and rdma_freeaddrinfo(): getaddrinfo(3) for RDMA.
 *
 * The hints are mapped onto a getaddrinfo() query (flags, family, socket
 * type from the QP type, protocol from the port space), and the first
 * answer becomes the single result, with the QP type and port space
 * mapped back.  A passive query fills ai_src_addr (the node's address, or
 * the wildcard when node is NULL); an active one fills ai_dst_addr, and
 * ai_src_addr only when the hints carry a source address.
 *
 * Choices, and where they differ from what one might expect:
 *
 *  - No route is looked up: an active result has no ai_route and no
 *    source address of its own (there is no address-resolution service to
 *    ask; rdma_resolve_addr() picks the source from the caller's routes
 *    later).  RAI_NOROUTE is accepted and changes nothing.
 *  - AF_IB is not supported (uroce is RoCE only).  A query that would
 *    produce an AF_IB address (RAI_FAMILY and RAI_NUMERICHOST with
 *    ai_family AF_IB), hints carrying AF_IB addresses, and an AF_IB
 *    family with no node or service to resolve all fail with EINVAL, the
 *    error an AF_IB address gets wherever it is not supported.  ai_family
 *    AF_IB without those flags means "any family", as it always has.
 *  - Errors are -1 with errno set.  When getaddrinfo() fails, errno holds
 *    its EAI_* code (negative; gai_strerror() describes it), except for
 *    EAI_SYSTEM, where errno keeps the system error getaddrinfo() saw.
 *  - Results do not depend on any RDMA device being present.
 */
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <rdma/rdma_cma.h>

/* Stands for a NULL hints argument (all zero, like no hints at all) */
static const struct rdma_addrinfo no_hints;

/* The query's answer, as getaddrinfo() sees it */
static void rai_hints_to_ai(const struct rdma_addrinfo *hints,
			    struct addrinfo *ai)
{
	memset(ai, 0, sizeof(*ai));

	if (hints->ai_flags & RAI_PASSIVE)
		ai->ai_flags |= AI_PASSIVE;
	if (hints->ai_flags & RAI_NUMERICHOST)
		ai->ai_flags |= AI_NUMERICHOST;
	/* AF_IB names are looked up as IP addresses of any family */
	if (hints->ai_family != AF_IB)
		ai->ai_family = hints->ai_family;

	switch (hints->ai_qp_type) {
	case IBV_QPT_RC:
	case IBV_QPT_UC:
	case IBV_QPT_XRC_SEND:
	case IBV_QPT_XRC_RECV:
		ai->ai_socktype = SOCK_STREAM;
		break;
	case IBV_QPT_UD:
		ai->ai_socktype = SOCK_DGRAM;
		break;
	default:
		break;
	}

	switch (hints->ai_port_space) {
	case RDMA_PS_TCP:
		ai->ai_protocol = IPPROTO_TCP;
		break;
	case RDMA_PS_UDP:
	case RDMA_PS_IPOIB:
		ai->ai_protocol = IPPROTO_UDP;
		break;
	case RDMA_PS_IB:
		/* either kind of service: follow the QP type, if any */
		if (ai->ai_socktype == SOCK_STREAM)
			ai->ai_protocol = IPPROTO_TCP;
		else if (ai->ai_socktype == SOCK_DGRAM)
			ai->ai_protocol = IPPROTO_UDP;
		break;
	default:
		break;
	}
}

static int copy_sockaddr(struct sockaddr **dst, socklen_t *dst_len,
			 const struct sockaddr *src, socklen_t src_len)
{
	struct sockaddr *sa;

	if (!src)
		return EINVAL;
	sa = malloc(src_len);
	if (!sa)
		return ENOMEM;
	memcpy(sa, src, src_len);
	*dst = sa;
	*dst_len = src_len;
	return 0;
}

static int is_af_ib(const struct sockaddr *sa, socklen_t len)
{
	return sa && len >= sizeof(sa->sa_family) && sa->sa_family == AF_IB;
}

/*
 * Resolve node and/or service into rai.  Returns 0, a positive errno, or
 * (for a getaddrinfo() failure) its negative EAI_* code.
 */
static int resolve(const char *node, const char *service,
		   const struct rdma_addrinfo *hints, struct rdma_addrinfo *rai)
{
	struct addrinfo ai_hints, *res;
	const struct addrinfo *ai;
	int ret;

	if ((hints->ai_flags & RAI_FAMILY) && hints->ai_family == AF_IB &&
	    (hints->ai_flags & RAI_NUMERICHOST))
		return EINVAL;

	if (hints != &no_hints) {
		rai_hints_to_ai(hints, &ai_hints);
		ret = getaddrinfo(node, service, &ai_hints, &res);
	} else {
		/* no hints at all: getaddrinfo()'s own defaults */
		ret = getaddrinfo(node, service, NULL, &res);
	}
	if (ret) {
		if (ret == EAI_SYSTEM && errno > 0)
			return errno;
		return ret < 0 ? ret : EINVAL;
	}

	/* only the first answer is used */
	ai = res;
	if (hints->ai_qp_type) {
		rai->ai_qp_type = hints->ai_qp_type;
	} else if (ai->ai_socktype == SOCK_STREAM) {
		rai->ai_qp_type = IBV_QPT_RC;
	} else if (ai->ai_socktype == SOCK_DGRAM) {
		rai->ai_qp_type = IBV_QPT_UD;
	}

	if (hints->ai_port_space) {
		rai->ai_port_space = hints->ai_port_space;
	} else if (ai->ai_protocol == IPPROTO_TCP) {
		rai->ai_port_space = RDMA_PS_TCP;
	} else if (ai->ai_protocol == IPPROTO_UDP) {
		rai->ai_port_space = RDMA_PS_UDP;
	}

	rai->ai_family = ai->ai_family;
	if (hints->ai_flags & RAI_PASSIVE) {
		rai->ai_flags = RAI_PASSIVE;
		ret = copy_sockaddr(&rai->ai_src_addr, &rai->ai_src_len,
				    ai->ai_addr, ai->ai_addrlen);
		if (!ret && ai->ai_canonname) {
			rai->ai_src_canonname = strdup(ai->ai_canonname);
			if (!rai->ai_src_canonname)
				ret = ENOMEM;
		}
	} else {
		ret = copy_sockaddr(&rai->ai_dst_addr, &rai->ai_dst_len,
				    ai->ai_addr, ai->ai_addrlen);
		if (!ret && ai->ai_canonname) {
			rai->ai_dst_canonname = strdup(ai->ai_canonname);
			if (!rai->ai_dst_canonname)
				ret = ENOMEM;
		}
	}
	freeaddrinfo(res);
	return ret;
}

int rdma_getaddrinfo(const char *node, const char *service,
		     const struct rdma_addrinfo *hints,
		     struct rdma_addrinfo **res)
{
	struct rdma_addrinfo *rai;
	int ret = 0;

	if (!res || (!node && !service && !hints)) {
		errno = EINVAL;
		return -1;
	}
	if (!hints)
		hints = &no_hints;
	if (hints->ai_family == AF_IB && !node && !service) {
		/* nothing to resolve: the family would be taken as is */
		errno = EINVAL;
		return -1;
	}
	if (is_af_ib(hints->ai_src_addr, hints->ai_src_len) ||
	    is_af_ib(hints->ai_dst_addr, hints->ai_dst_len)) {
		errno = EINVAL;
		return -1;
	}

	rai = calloc(1, sizeof(*rai));
	if (!rai) {
		errno = ENOMEM;
		return -1;
	}

	if (node || service) {
		ret = resolve(node, service, hints, rai);
	} else {
		/* no name to resolve: the result is the hints themselves */
		rai->ai_flags = hints->ai_flags;
		rai->ai_family = hints->ai_family;
		rai->ai_qp_type = hints->ai_qp_type;
		rai->ai_port_space = hints->ai_port_space;
		if (hints->ai_dst_len)
			ret = copy_sockaddr(&rai->ai_dst_addr, &rai->ai_dst_len,
					    hints->ai_dst_addr,
					    hints->ai_dst_len);
	}

	/* a source address from the hints, unless the query produced one */
	if (!ret && !rai->ai_src_len && hints->ai_src_len)
		ret = copy_sockaddr(&rai->ai_src_addr, &rai->ai_src_len,
				    hints->ai_src_addr, hints->ai_src_len);
	if (ret) {
		rdma_freeaddrinfo(rai);
		errno = ret;
		return -1;
	}

	*res = rai;
	return 0;
}

void rdma_freeaddrinfo(struct rdma_addrinfo *res)
{
	struct rdma_addrinfo *next;

	for (; res; res = next) {
		next = res->ai_next;
		free(res->ai_src_addr);
		free(res->ai_dst_addr);
		free(res->ai_src_canonname);
		free(res->ai_dst_canonname);
		free(res->ai_route);
		free(res->ai_connect);
		free(res);
	}
}
