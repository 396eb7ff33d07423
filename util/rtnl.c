// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * rtnetlink queries over raw NETLINK_ROUTE sockets.
 *
 * Every query opens its own socket: a socket belongs to the network
 * namespace of the thread that created it, so a fresh one always answers
 * for the caller's current namespace, and no state is shared between
 * threads.
 */
#include <errno.h>
#include <net/if.h> /* before linux/if.h, which then defers to it */
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "util/log.h"
#include "util/rtnl.h"

#ifndef RTEXT_FILTER_SKIP_STATS
#define RTEXT_FILTER_SKIP_STATS (1 << 3)
#endif
#ifndef NLA_TYPE_MASK
#define NLA_TYPE_MASK 0x3fff
#endif

/* Large enough for any single dump skb the kernel builds (it caps at 32K). */
#define RTNL_RECV_BUF (32 * 1024)
/* A dump interrupted by concurrent changes is retried this many times. */
#define RTNL_DUMP_TRIES 8
/* The kernel always answers; this only bounds a pathological stall. */
#define RTNL_RECV_TIMEOUT_SEC 5

typedef int (*rtnl_msg_cb)(const struct nlmsghdr *nlh, void *arg);

static atomic_uint rtnl_seq;

static int rtnl_open(unsigned int groups, int extra_flags)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK,
				  .nl_groups = groups };
	int fd, err;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | extra_flags,
		    NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static int rtnl_send(int fd, void *req, size_t len)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	ssize_t n;

	do {
		n = sendto(fd, req, len, 0, (struct sockaddr *)&kernel,
			   sizeof(kernel));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return -EIO;
	return 0;
}

/*
 * Reads one datagram. Returns its length, or a negative errno. Datagrams
 * that do not come from the kernel are skipped.
 */
static ssize_t rtnl_recv(int fd, void *buf, size_t len, int flags)
{
	struct sockaddr_nl from;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_name = &from,
		.msg_namelen = sizeof(from),
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};
	ssize_t n;

	for (;;) {
		msg.msg_namelen = sizeof(from);
		n = recvmsg(fd, &msg, flags);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (msg.msg_flags & MSG_TRUNC)
			return -EMSGSIZE;
		if (msg.msg_namelen != sizeof(from) || from.nl_pid != 0)
			continue;
		return n;
	}
}

/*
 * Walks the messages of one datagram. Returns 1 when the reply is
 * complete, 0 when more datagrams follow, -EAGAIN when a dump was
 * interrupted, or a negative errno (including the kernel's).
 */
static int rtnl_walk(const void *buf, size_t len, uint32_t seq, rtnl_msg_cb cb,
		     void *arg)
{
	const struct nlmsghdr *nlh;
	unsigned int left = len;
	int ret;

	for (nlh = buf; NLMSG_OK(nlh, left); nlh = NLMSG_NEXT(nlh, left)) {
		if (nlh->nlmsg_seq != seq)
			continue; /* not a reply to this request */
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
			return -EAGAIN;
		if (nlh->nlmsg_type == NLMSG_DONE) {
			const int *code = NLMSG_DATA(nlh);

			/* A failed dump reports its error in DONE. */
			if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(int)) &&
			    *code < 0)
				return *code;
			return 1;
		}
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(nlh);

			if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				return -EBADMSG;
			/* error 0 is an ACK, which also ends a request */
			return e->error < 0 ? e->error : 1;
		}
		if (nlh->nlmsg_type == NLMSG_NOOP)
			continue;
		ret = cb(nlh, arg);
		if (ret < 0)
			return ret;
		if (!(nlh->nlmsg_flags & NLM_F_MULTI))
			return 1;
	}
	return 0;
}

/*
 * One attempt of rtnl_request(), on a socket of its own, or on @qfd (a
 * query socket of rtnl_query_open()) when that is not negative.
 */
static int rtnl_request_once(int qfd, struct nlmsghdr *req, void *buf,
			     rtnl_msg_cb cb, void *arg)
{
	struct timeval tv = { .tv_sec = RTNL_RECV_TIMEOUT_SEC };
	int fd = qfd, ret;
	ssize_t n;

	if (fd < 0) {
		fd = rtnl_open(0, 0);
		if (fd < 0)
			return fd;
		if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
			ret = -errno;
			goto out;
		}
	}
	req->nlmsg_seq = atomic_fetch_add(&rtnl_seq, 1) + 1;
	ret = rtnl_send(fd, req, req->nlmsg_len);
	if (ret)
		goto out;
	do {
		n = rtnl_recv(fd, buf, RTNL_RECV_BUF, 0);
		if (n == -EAGAIN || n == -EWOULDBLOCK) {
			ret = -ETIMEDOUT;
			goto out;
		}
		/* An overrun lost part of the reply: ask again. */
		if (n == -ENOBUFS) {
			ret = -EAGAIN;
			goto out;
		}
		if (n < 0) {
			ret = n;
			goto out;
		}
		ret = rtnl_walk(buf, n, req->nlmsg_seq, cb, arg);
	} while (ret == 0);
out:
	if (qfd < 0)
		close(fd);
	return ret;
}

/*
 * Sends @req (whose header this fills in) and feeds every reply message to
 * @cb until the reply is complete. @reset, if set, is called before each
 * attempt so that a retried dump starts from scratch. A retry uses a new
 * socket: the kernel refuses a second dump while the first still runs.
 */
static int rtnl_request_at(int qfd, struct nlmsghdr *req, rtnl_msg_cb cb,
			   void (*reset)(void *arg), void *arg)
{
	void *buf;
	int ret = -EAGAIN, tries;

	buf = malloc(RTNL_RECV_BUF);
	if (!buf)
		return -ENOMEM;
	for (tries = 0; tries < RTNL_DUMP_TRIES && ret == -EAGAIN; tries++) {
		if (tries)
			uroce_dbg("rtnl: reply interrupted, retrying");
		if (reset)
			reset(arg);
		ret = rtnl_request_once(qfd, req, buf, cb, arg);
	}
	free(buf);
	return ret > 0 ? 0 : ret;
}

static int rtnl_request(struct nlmsghdr *req, rtnl_msg_cb cb,
			void (*reset)(void *arg), void *arg)
{
	return rtnl_request_at(-1, req, cb, reset, arg);
}

/* A growable array of fixed-size records filled by the dump callbacks. */
struct rtnl_vec {
	void *items;
	size_t n;
	size_t cap;
	size_t size;
};

static void *rtnl_vec_add(struct rtnl_vec *v)
{
	void *p;

	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 16;

		p = realloc(v->items, cap * v->size);
		if (!p)
			return NULL;
		v->items = p;
		v->cap = cap;
	}
	p = (char *)v->items + v->n++ * v->size;
	memset(p, 0, v->size);
	return p;
}

static void rtnl_vec_reset(void *arg)
{
	((struct rtnl_vec *)arg)->n = 0;
}

static void rtnl_copy_str(char *dst, size_t dstlen, const struct rtattr *rta)
{
	size_t len = RTA_PAYLOAD(rta);
	const char *src = RTA_DATA(rta);

	/* The kernel NUL-terminates, but do not rely on it. */
	len = strnlen(src, len);
	if (len >= dstlen)
		len = dstlen - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

static int rtnl_attr_u32(const struct rtattr *rta, uint32_t *val)
{
	if (RTA_PAYLOAD(rta) < sizeof(*val))
		return -EBADMSG;
	memcpy(val, RTA_DATA(rta), sizeof(*val));
	return 0;
}

static int rtnl_attr_u8(const struct rtattr *rta, uint8_t *val)
{
	if (RTA_PAYLOAD(rta) < sizeof(*val))
		return -EBADMSG;
	*val = *(const uint8_t *)RTA_DATA(rta);
	return 0;
}

static void rtnl_parse_linkinfo(const struct rtattr *nest,
				struct rtnl_link *link)
{
	const struct rtattr *rta;
	unsigned int len = RTA_PAYLOAD(nest);

	for (rta = RTA_DATA(nest); RTA_OK(rta, len); rta = RTA_NEXT(rta, len))
		if ((rta->rta_type & NLA_TYPE_MASK) == IFLA_INFO_KIND)
			rtnl_copy_str(link->kind, sizeof(link->kind), rta);
}

/* Returns 1 if @nlh is a link parsed into @link, 0 to skip it. */
static int rtnl_parse_link(const struct nlmsghdr *nlh, struct rtnl_link *link)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(nlh);
	const struct rtattr *rta;
	unsigned int len;
	size_t alen;
	uint32_t u32;

	if (nlh->nlmsg_type != RTM_NEWLINK ||
	    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return 0;

	memset(link, 0, sizeof(*link));
	link->ifindex = ifi->ifi_index;
	link->flags = ifi->ifi_flags;
	link->type = ifi->ifi_type;
	link->operstate = IF_OPER_UNKNOWN;
	link->carrier = 1;

	len = nlh->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi));
	for (rta = IFLA_RTA(ifi); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		switch (rta->rta_type & NLA_TYPE_MASK) {
		case IFLA_IFNAME:
			rtnl_copy_str(link->name, sizeof(link->name), rta);
			break;
		case IFLA_MTU:
			if (!rtnl_attr_u32(rta, &u32))
				link->mtu = u32;
			break;
		case IFLA_OPERSTATE:
			rtnl_attr_u8(rta, &link->operstate);
			break;
		case IFLA_CARRIER:
			rtnl_attr_u8(rta, &link->carrier);
			break;
		case IFLA_ADDRESS:
			alen = RTA_PAYLOAD(rta);
			if (alen > sizeof(link->addr))
				alen = sizeof(link->addr);
			memcpy(link->addr, RTA_DATA(rta), alen);
			link->addr_len = alen;
			break;
		case IFLA_MASTER:
			if (!rtnl_attr_u32(rta, &u32))
				link->master = (int)u32;
			break;
		case IFLA_LINKINFO:
			rtnl_parse_linkinfo(rta, link);
			break;
		}
	}
	/* A link without a name is of no use to anyone. */
	return link->ifindex > 0 && link->name[0];
}

static int rtnl_link_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct rtnl_link link, *slot;

	if (!rtnl_parse_link(nlh, &link))
		return 0;
	slot = rtnl_vec_add(arg);
	if (!slot)
		return -ENOMEM;
	*slot = link;
	return 0;
}

struct rtnl_link_req {
	struct nlmsghdr nlh;
	struct ifinfomsg ifi;
	/* IFLA_EXT_MASK, then room for IFLA_IFNAME */
	char attrs[RTA_SPACE(sizeof(uint32_t)) + RTA_SPACE(IFNAMSIZ)];
};

static void rtnl_add_attr(struct nlmsghdr *nlh, unsigned short type,
			  const void *data, size_t len)
{
	struct rtattr *rta =
		(void *)((char *)nlh + NLMSG_ALIGN(nlh->nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	nlh->nlmsg_len = NLMSG_ALIGN(nlh->nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

static void rtnl_link_req_init(struct rtnl_link_req *req, uint16_t flags)
{
	/* Statistics are large and unused: ask the kernel to leave them out. */
	uint32_t mask = RTEXT_FILTER_SKIP_STATS;

	memset(req, 0, sizeof(*req));
	req->nlh.nlmsg_len = NLMSG_LENGTH(sizeof(req->ifi));
	req->nlh.nlmsg_type = RTM_GETLINK;
	req->nlh.nlmsg_flags = NLM_F_REQUEST | flags;
	req->ifi.ifi_family = AF_UNSPEC;
	rtnl_add_attr(&req->nlh, IFLA_EXT_MASK, &mask, sizeof(mask));
}

int rtnl_dump_links(struct rtnl_link **links, size_t *n)
{
	return rtnl_dump_links_at(-1, links, n);
}

int rtnl_dump_links_at(int qfd, struct rtnl_link **links, size_t *n)
{
	struct rtnl_vec v = { .size = sizeof(struct rtnl_link) };
	struct rtnl_link_req req;
	int ret;

	rtnl_link_req_init(&req, NLM_F_DUMP);
	ret = rtnl_request_at(qfd, &req.nlh, rtnl_link_cb, rtnl_vec_reset, &v);
	if (ret) {
		free(v.items);
		return ret;
	}
	*links = v.items;
	*n = v.n;
	return 0;
}

struct rtnl_get_ctx {
	struct rtnl_link *link;
	int ifindex; /* 0 when looking up by name */
	const char *name;
	bool found;
};

static int rtnl_get_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct rtnl_get_ctx *ctx = arg;
	struct rtnl_link link;

	if (!rtnl_parse_link(nlh, &link))
		return 0;
	if (ctx->ifindex ? link.ifindex != ctx->ifindex :
			   strcmp(link.name, ctx->name))
		return 0;
	*ctx->link = link;
	ctx->found = true;
	return 0;
}

static int rtnl_get(struct rtnl_link_req *req, struct rtnl_get_ctx *ctx)
{
	int ret;

	ret = rtnl_request(&req->nlh, rtnl_get_cb, NULL, ctx);
	if (ret)
		return ret;
	return ctx->found ? 0 : -ENODEV;
}

int rtnl_get_link(int ifindex, struct rtnl_link *link)
{
	struct rtnl_get_ctx ctx = { .link = link, .ifindex = ifindex };
	struct rtnl_link_req req;

	if (ifindex <= 0)
		return -ENODEV;
	rtnl_link_req_init(&req, 0);
	req.ifi.ifi_index = ifindex;
	return rtnl_get(&req, &ctx);
}

int rtnl_get_link_by_name(const char *name, struct rtnl_link *link)
{
	struct rtnl_get_ctx ctx = { .link = link, .name = name };
	struct rtnl_link_req req;
	size_t len;

	len = name ? strlen(name) : 0;
	if (!len || len >= IFNAMSIZ)
		return -ENODEV;
	rtnl_link_req_init(&req, 0);
	rtnl_add_attr(&req.nlh, IFLA_IFNAME, name, len + 1);
	return rtnl_get(&req, &ctx);
}

bool rtnl_link_running(const struct rtnl_link *link)
{
	if (!(link->flags & IFF_UP))
		return false;
	/* lo reports operstate UNKNOWN and needs no carrier. */
	if (link->flags & IFF_LOOPBACK)
		return true;
	if (!link->carrier)
		return false;
	/* Drivers without operstate support (dummy, tun...) report UNKNOWN. */
	return link->operstate == IF_OPER_UP ||
	       link->operstate == IF_OPER_UNKNOWN;
}

static int rtnl_addr_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct ifaddrmsg *ifa = NLMSG_DATA(nlh);
	const struct rtattr *rta, *local = NULL, *address = NULL;
	struct rtnl_addr *a;
	unsigned int len;
	size_t alen;
	uint32_t flags;

	if (nlh->nlmsg_type != RTM_NEWADDR ||
	    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)))
		return 0;
	if (ifa->ifa_family == AF_INET)
		alen = 4;
	else if (ifa->ifa_family == AF_INET6)
		alen = 16;
	else
		return 0;

	flags = ifa->ifa_flags;
	len = nlh->nlmsg_len - NLMSG_LENGTH(sizeof(*ifa));
	for (rta = IFA_RTA(ifa); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		switch (rta->rta_type & NLA_TYPE_MASK) {
		case IFA_LOCAL:
			local = rta;
			break;
		case IFA_ADDRESS:
			address = rta;
			break;
		case IFA_FLAGS:
			rtnl_attr_u32(rta, &flags);
			break;
		}
	}
	/*
	 * On point-to-point links IFA_ADDRESS is the peer and IFA_LOCAL ours;
	 * otherwise IPv4 carries both (equal) and IPv6 only IFA_ADDRESS.
	 */
	if (!local)
		local = address;
	if (!local || RTA_PAYLOAD(local) != alen)
		return 0;

	a = rtnl_vec_add(arg);
	if (!a)
		return -ENOMEM;
	a->ifindex = ifa->ifa_index;
	a->family = ifa->ifa_family;
	memcpy(a->addr, RTA_DATA(local), alen);
	a->prefixlen = ifa->ifa_prefixlen;
	a->scope = ifa->ifa_scope;
	a->flags = flags;
	return 0;
}

int rtnl_dump_addrs(struct rtnl_addr **addrs, size_t *n)
{
	return rtnl_dump_addrs_at(-1, addrs, n);
}

int rtnl_dump_addrs_at(int qfd, struct rtnl_addr **addrs, size_t *n)
{
	struct rtnl_vec v = { .size = sizeof(struct rtnl_addr) };
	struct {
		struct nlmsghdr nlh;
		struct ifaddrmsg ifa;
	} req;
	int ret;

	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifa));
	req.nlh.nlmsg_type = RTM_GETADDR;
	req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.ifa.ifa_family = AF_UNSPEC;

	ret = rtnl_request_at(qfd, &req.nlh, rtnl_addr_cb, rtnl_vec_reset, &v);
	if (ret) {
		free(v.items);
		return ret;
	}
	*addrs = v.items;
	*n = v.n;
	return 0;
}

int rtnl_snapshot_at(int qfd, struct rtnl_snapshot *s)
{
	int ret;

	memset(s, 0, sizeof(*s));
	ret = rtnl_dump_links_at(qfd, &s->links, &s->nlinks);
	if (!ret)
		ret = rtnl_dump_addrs_at(qfd, &s->addrs, &s->naddrs);
	if (ret)
		rtnl_snapshot_free(s);
	return ret;
}

void rtnl_snapshot_free(struct rtnl_snapshot *s)
{
	free(s->links);
	free(s->addrs);
	memset(s, 0, sizeof(*s));
}

const struct rtnl_link *rtnl_snapshot_link(const struct rtnl_snapshot *s,
					   int ifindex)
{
	size_t i;

	for (i = 0; i < s->nlinks; i++)
		if (s->links[i].ifindex == ifindex)
			return &s->links[i];
	return NULL;
}

int rtnl_query_open(void)
{
	struct timeval tv = { .tv_sec = RTNL_RECV_TIMEOUT_SEC };
	int fd;

	fd = rtnl_open(0, 0);
	if (fd < 0)
		return fd;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
		close(fd);
		return -errno;
	}
	return fd;
}

static int rtnl_route_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct rtmsg *rtm = NLMSG_DATA(nlh);
	struct rtnl_route *rt = arg;
	const struct rtattr *rta;
	size_t alen = rtm->rtm_family == AF_INET ? 4 : 16;
	unsigned int len;
	uint32_t u32;

	if (nlh->nlmsg_type != RTM_NEWROUTE ||
	    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*rtm)) ||
	    (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6))
		return 0;
	memset(rt, 0, sizeof(*rt));
	rt->family = rtm->rtm_family;
	rt->type = rtm->rtm_type;
	len = nlh->nlmsg_len - NLMSG_LENGTH(sizeof(*rtm));
	for (rta = RTM_RTA(rtm); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		switch (rta->rta_type & NLA_TYPE_MASK) {
		case RTA_OIF:
			if (!rtnl_attr_u32(rta, &u32))
				rt->oif = (int)u32;
			break;
		case RTA_PREFSRC:
			if (RTA_PAYLOAD(rta) >= alen) {
				memcpy(rt->prefsrc, RTA_DATA(rta), alen);
				rt->has_prefsrc = true;
			}
			break;
		case RTA_GATEWAY:
			if (RTA_PAYLOAD(rta) >= alen) {
				memcpy(rt->gateway, RTA_DATA(rta), alen);
				rt->has_gateway = true;
			}
			break;
		}
	}
	return 0;
}

int rtnl_get_route(int qfd, int family, const void *dst, const void *src,
		   struct rtnl_route *rt)
{
	size_t alen = family == AF_INET ? 4 : 16;
	struct {
		struct nlmsghdr nlh;
		struct rtmsg rtm;
		char attrs[2 * RTA_SPACE(16)];
	} req;
	int ret;

	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = NLMSG_LENGTH(sizeof(req.rtm));
	req.nlh.nlmsg_type = RTM_GETROUTE;
	req.nlh.nlmsg_flags = NLM_F_REQUEST;
	req.rtm.rtm_family = family;
	req.rtm.rtm_dst_len = alen * 8;
	rtnl_add_attr(&req.nlh, RTA_DST, dst, alen);
	if (src) {
		req.rtm.rtm_src_len = alen * 8;
		rtnl_add_attr(&req.nlh, RTA_SRC, src, alen);
	}
	memset(rt, 0, sizeof(*rt));
	ret = rtnl_request_at(qfd, &req.nlh, rtnl_route_cb, NULL, rt);
	if (ret)
		return ret;
	return rt->family ? 0 : -ENETUNREACH;
}

int rtnl_monitor_open(void)
{
	/* A roomy buffer makes overruns rare; the kernel caps it silently. */
	int rcvbuf = 256 * 1024;
	int fd;

	fd = rtnl_open(RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR,
		       SOCK_NONBLOCK);
	if (fd < 0)
		return fd;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	return fd;
}

int rtnl_monitor_drain(int fd)
{
	void *buf;
	ssize_t n;
	int changed = 0;

	buf = malloc(RTNL_RECV_BUF);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		n = rtnl_recv(fd, buf, RTNL_RECV_BUF, MSG_DONTWAIT);
		if (n == -EAGAIN || n == -EWOULDBLOCK)
			break;
		/* Lost or oversized notifications: something changed. */
		if (n == -ENOBUFS || n == -EMSGSIZE || n >= 0) {
			changed = 1;
			continue;
		}
		if (n < 0) {
			free(buf);
			return n;
		}
	}
	free(buf);
	return changed;
}
