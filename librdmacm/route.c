// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Namespaces, devices, address and route resolution.
 *
 * Everything is looked up in the namespace an ID was created in: its
 * rtnetlink query socket and its devices were opened by an application
 * thread of that namespace, and keep answering for it when the CM thread
 * (which may live elsewhere) uses them. A route gives the output netdev
 * and preferred source; the device is the one with a GID equal to the
 * source on that netdev, else any device owning the source (a local
 * destination routes through lo, but is served by the address's device).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "librdmacm/cma.h"
#include "util/log.h"
#include "util/rtnl.h"

static struct cm_ns *cm_nss;

static int ns_self(dev_t *dev, ino_t *ino)
{
	struct stat st;

	if (stat("/proc/thread-self/ns/net", &st) &&
	    stat("/proc/self/ns/net", &st))
		return -errno;
	*dev = st.st_dev;
	*ino = st.st_ino;
	return 0;
}

struct cm_ns *cm_ns_first(void)
{
	return cm_nss;
}

struct cm_ns *cm_ns_get(void)
{
	struct cm_ns *ns;
	dev_t dev;
	ino_t ino;
	int ret;

	ret = ns_self(&dev, &ino);
	if (ret) {
		errno = -ret;
		return NULL;
	}
	for (ns = cm_nss; ns; ns = ns->next)
		if (ns->nsdev == dev && ns->nsino == ino)
			return ns;
	ns = calloc(1, sizeof(*ns));
	if (!ns) {
		errno = ENOMEM;
		return NULL;
	}
	ns->kind = CM_FD_NS;
	ns->nsdev = dev;
	ns->nsino = ino;
	ns->nl_fd = rtnl_query_open();
	if (ns->nl_fd < 0) {
		errno = -ns->nl_fd;
		free(ns);
		return NULL;
	}
	ns->mon_fd = rtnl_monitor_open();
	if (ns->mon_fd >= 0 && cm_thread_add_fd(ns->mon_fd, ns, EPOLLIN)) {
		close(ns->mon_fd);
		ns->mon_fd = -1;
	}
	ns->devs_stale = true;
	/* Made here, in the namespace; the CM thread may be elsewhere. */
	ns->shared[0] = cm_sock_shared(ns, AF_INET);
	ns->shared[1] = cm_sock_shared(ns, AF_INET6);
	ns->next = cm_nss;
	cm_nss = ns;
	return ns;
}

static struct cm_dev *dev_open(struct ibv_device *d)
{
	struct ibv_device_attr dattr;
	struct ibv_port_attr pattr;
	struct cm_dev *dev;

	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return NULL;
	dev->verbs = ibv_open_device(d);
	if (!dev->verbs)
		goto err;
	dev->pid = getpid();
	if (ibv_query_device(dev->verbs, &dattr) ||
	    ibv_query_port(dev->verbs, 1, &pattr))
		goto err_close;
	snprintf(dev->name, sizeof(dev->name), "%s", ibv_get_device_name(d));
	dev->guid = be64toh(dattr.node_guid);
	dev->active_mtu = pattr.active_mtu;
	dev->gid_tbl_len = pattr.gid_tbl_len;
	dev->max_resp_res = dattr.max_qp_rd_atom > 255 ? 255 :
							 dattr.max_qp_rd_atom;
	dev->max_init_depth = dattr.max_qp_init_rd_atom > 255 ?
				      255 :
				      dattr.max_qp_init_rd_atom;
	return dev;
err_close:
	ibv_close_device(dev->verbs);
err:
	free(dev);
	return NULL;
}

/* True when a live ID is on @dev. Called with cm_lock held. */
static bool dev_in_use(struct cm_dev *dev)
{
	struct cm_id *cid;

	for (cid = cm_id_first(); cid; cid = cid->next)
		if (cid->dev == dev && !cid->destroyed)
			return true;
	return false;
}

/*
 * At exit or unload, as rdma-core's librdmacm does, but only what the
 * application can no longer be using: a device with a live ID, or whose
 * default PD still holds something, stays open. So does one a forked
 * child inherited: its provider threads are the parent's.
 */
void cm_ns_close_devs(void)
{
	struct cm_dev **pp, *dev;
	struct cm_ns *ns;

	pthread_mutex_lock(&cm_lock);
	for (ns = cm_nss; ns; ns = ns->next) {
		for (pp = &ns->devs; (dev = *pp);) {
			if (dev->pid != getpid() || dev_in_use(dev) ||
			    (dev->pd && ibv_dealloc_pd(dev->pd))) {
				pp = &dev->next;
				continue;
			}
			*pp = dev->next;
			ibv_close_device(dev->verbs);
			free(dev);
		}
	}
	pthread_mutex_unlock(&cm_lock);
}

void cm_ns_refresh_devs(struct cm_ns *ns, bool force)
{
	struct ibv_device **list;
	struct cm_dev *dev;
	dev_t nsdev;
	ino_t ino;
	int i, n;

	/*
	 * Listing devices costs two rtnetlink dumps: done on every bind, it
	 * let a listener come up late enough that a peer's request, sent
	 * right after an application-level sync, found no listener.
	 */
	if (!force && !ns->devs_stale && ns->mon_fd >= 0)
		return;
	/* Device lists answer for the calling thread's namespace only. */
	if (ns_self(&nsdev, &ino) || nsdev != ns->nsdev || ino != ns->nsino)
		return;
	list = ibv_get_device_list(&n);
	if (!list)
		return;
	ns->devs_stale = false;
	for (i = 0; i < n; i++) {
		for (dev = ns->devs; dev; dev = dev->next)
			if (!strcmp(dev->name, ibv_get_device_name(list[i])))
				break;
		if (dev)
			continue;
		dev = dev_open(list[i]);
		if (!dev)
			continue;
		dev->next = ns->devs;
		ns->devs = dev;
	}
	ibv_free_device_list(list);
}

int cm_dev_for_addr(struct cm_ns *ns, const struct sockaddr *src, int oif,
		    struct cm_dev **devp, uint8_t *gid_index, int *ifindex)
{
	struct cm_dev *dev, *best = NULL;
	struct ibv_gid_entry e;
	union ibv_gid gid;
	int i, best_idx = 0, best_if = 0;

	cm_sockaddr_gid(src, &gid);
	for (dev = ns->devs; dev; dev = dev->next) {
		for (i = 0; i < dev->gid_tbl_len && i < 256; i++) {
			if (ibv_query_gid_ex(dev->verbs, 1, i, &e, 0))
				continue;
			if (memcmp(e.gid.raw, gid.raw, 16))
				continue;
			if (!best || (oif && (int)e.ndev_ifindex == oif &&
				      best_if != oif)) {
				best = dev;
				best_idx = i;
				best_if = (int)e.ndev_ifindex;
			}
		}
	}
	if (!best)
		return -ENODEV;
	*devp = best;
	*gid_index = (uint8_t)best_idx;
	*ifindex = best_if;
	return 0;
}

static const void *sa_ip(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return &((const struct sockaddr_in *)sa)->sin_addr;
	return &((const struct sockaddr_in6 *)sa)->sin6_addr;
}

/*
 * Requests come from few sources, and a flood of them must not make one
 * blocking netlink round trip each on the CM thread: answers, failures
 * included, are kept per source and destination for CM_ROUTE_CACHE_MS.
 * Routes are not watched, so a change is seen that much later.
 */
int cm_ns_route(struct cm_ns *ns, int family, const void *dst, const void *src,
		struct rtnl_route *rt)
{
	size_t alen = family == AF_INET ? 4 : 16, i;
	uint64_t now = cm_now_ms();
	uint32_t h = 2166136261u;
	struct cm_route_ent *e;

	for (i = 0; i < alen; i++)
		h = (h ^ ((const uint8_t *)dst)[i] ^
		     (src ? ((const uint8_t *)src)[i] : 0)) *
		    16777619u;
	e = &ns->routes[h % CM_ROUTE_CACHE_SIZE];
	if (e->expires > now && e->family == family &&
	    !memcmp(e->dst, dst, alen) && e->has_src == !!src &&
	    (!src || !memcmp(e->src, src, alen))) {
		*rt = e->rt;
		return e->err;
	}
	e->err = rtnl_get_route(ns->nl_fd, family, dst, src, &e->rt);
	e->family = family;
	memcpy(e->dst, dst, alen);
	e->has_src = src != NULL;
	if (src)
		memcpy(e->src, src, alen);
	e->expires = now + CM_ROUTE_CACHE_MS;
	*rt = e->rt;
	return e->err;
}

int cm_route_to(struct cm_id *cid, const struct sockaddr *dst)
{
	struct rdma_addr *a = &cid->id.route.addr;
	struct sockaddr_storage src = { 0 };
	const void *bound = NULL;
	struct cm_dev *dev;
	struct rtnl_route rt;
	int family = dst->sa_family, ret;

	if (cid->bound && !cm_sockaddr_any(&a->src_addr))
		bound = sa_ip(&a->src_addr);
	ret = rtnl_get_route(cid->ns->nl_fd, family, sa_ip(dst), bound, &rt);
	if (ret)
		return ret;
	src.ss_family = family;
	if (bound) {
		memcpy(&src, &a->src_storage, cm_sockaddr_len(&a->src_addr));
	} else {
		if (!rt.has_prefsrc)
			return -EADDRNOTAVAIL;
		if (family == AF_INET)
			memcpy(&((struct sockaddr_in *)&src)->sin_addr,
			       rt.prefsrc, 4);
		else
			memcpy(&((struct sockaddr_in6 *)&src)->sin6_addr,
			       rt.prefsrc, 16);
	}
	ret = cm_dev_for_addr(cid->ns, (struct sockaddr *)&src, rt.oif, &dev,
			      &cid->gid_index, &cid->ifindex);
	if (!ret)
		ret = cm_id_use_dev(cid, dev);
	if (ret)
		return ret;
	if (!cid->sock) {
		cid->sock = cm_sock_shared(cid->ns, family);
		if (!cid->sock)
			return -EAFNOSUPPORT;
	}
	cm_sockaddr_set_port((struct sockaddr *)&src, cid->sock->port);
	memcpy(&a->src_storage, &src, sizeof(src));
	memcpy(&a->dst_storage, dst, cm_sockaddr_len(dst));
	cm_sockaddr_gid(&a->src_addr, &a->addr.ibaddr.sgid);
	cm_sockaddr_gid(&a->dst_addr, &a->addr.ibaddr.dgid);
	a->addr.ibaddr.pkey = htobe16(0xffff);
	return 0;
}

void cm_fill_path(struct cm_id *cid)
{
	struct ibv_sa_path_rec *p = &cid->path;
	struct ibv_port_attr pattr;

	if (!ibv_query_port(cid->dev->verbs, 1, &pattr))
		cid->dev->active_mtu = pattr.active_mtu;
	memset(p, 0, sizeof(*p));
	p->sgid = cid->id.route.addr.addr.ibaddr.sgid;
	p->dgid = cid->id.route.addr.addr.ibaddr.dgid;
	p->hop_limit = CM_DEFAULT_HOP_LIMIT;
	p->traffic_class = cid->tos;
	p->reversible = 1;
	p->numb_path = 1;
	p->pkey = htobe16(0xffff);
	p->mtu_selector = 2; /* exactly */
	p->mtu = cid->dev->active_mtu;
	p->rate_selector = 2;
	p->rate = 3; /* 10 Gb/s: nothing better is known */
	p->packet_life_time_selector = 2;
	p->packet_life_time = 16;
	cid->mtu = cid->dev->active_mtu;
	cid->id.route.path_rec = p;
	cid->id.route.num_paths = 1;
}

struct ibv_pd *cm_dev_pd(struct cm_dev *dev)
{
	if (!dev->pd)
		dev->pd = ibv_alloc_pd(dev->verbs);
	return dev->pd;
}

int cm_id_use_dev(struct cm_id *cid, struct cm_dev *dev)
{
	/* As rdma-core's, an ID with a device has its PD: UCX makes QPs on it. */
	if (!cid->id.pd && !cm_dev_pd(dev))
		return -ENOMEM;
	cid->dev = dev;
	cid->id.verbs = dev->verbs;
	cid->id.port_num = 1;
	if (!cid->id.pd)
		cid->id.pd = dev->pd;
	return 0;
}

static bool addr_on(const struct rtnl_addr *addrs, size_t n,
		    const struct sockaddr *sa, int ifindex)
{
	size_t i, len = sa->sa_family == AF_INET ? 4 : 16;

	for (i = 0; i < n; i++)
		if (addrs[i].family == sa->sa_family &&
		    (!ifindex || addrs[i].ifindex == ifindex) &&
		    !memcmp(addrs[i].addr, sa_ip(sa), len))
			return true;
	return false;
}

void cm_ns_changed(struct cm_ns *ns)
{
	struct rtnl_snapshot s;
	struct cm_id *cid;

	ns->devs_stale = true;
	memset(ns->routes, 0, sizeof(ns->routes));
	if (rtnl_snapshot_at(ns->nl_fd, &s))
		return;
	for (cid = cm_id_first(); cid; cid = cid->next) {
		struct sockaddr *src = &cid->id.route.addr.src_addr;

		if (cid->ns != ns || cid->destroyed || !cid->dev ||
		    !cid->ifindex || cm_sockaddr_any(src))
			continue;
		if (!rtnl_snapshot_link(&s, cid->ifindex)) {
			if (!cid->removal_reported)
				cm_event(cid, RDMA_CM_EVENT_DEVICE_REMOVAL, 0,
					 NULL, 0);
			cid->removal_reported = true;
			continue;
		}
		/* The source left its netdev (moved, or removed). */
		if (!addr_on(s.addrs, s.naddrs, src, cid->ifindex)) {
			if (!cid->addr_moved)
				cm_event(cid, RDMA_CM_EVENT_ADDR_CHANGE, 0,
					 NULL, 0);
			cid->addr_moved = true;
		} else {
			cid->addr_moved = false;
		}
	}
	rtnl_snapshot_free(&s);
}

/* ---- rdma_resolve_addr / rdma_resolve_route ---- */

int rdma_resolve_addr(struct rdma_cm_id *id, struct sockaddr *src_addr,
		      struct sockaddr *dst_addr, int timeout_ms)
{
	struct cm_id *cid = to_cm_id(id);
	int ret = 0;

	if (!id || !dst_addr || !cm_sockaddr_len(dst_addr) ||
	    (src_addr && src_addr->sa_family != dst_addr->sa_family)) {
		errno = EINVAL;
		return -1;
	}
	if (src_addr && cid->state == CMS_IDLE && rdma_bind_addr(id, src_addr))
		return -1;
	pthread_mutex_lock(&cm_lock);
	if (cid->state != CMS_IDLE && cid->state != CMS_ADDR_BOUND) {
		ret = EINVAL;
		goto out;
	}
	if (cid->bound &&
	    id->route.addr.src_addr.sa_family != dst_addr->sa_family) {
		ret = EINVAL;
		goto out;
	}
	cm_ns_refresh_devs(cid->ns, false);
	/*
	 * The route and device are known at once (no neighbour discovery:
	 * the kernel's UDP path does that), so the event is queued now and
	 * timeout_ms never expires. A netdev the monitor has not reported
	 * yet may serve the route: list the devices again before failing.
	 */
	ret = cm_route_to(cid, dst_addr);
	if (ret == -ENODEV) {
		cm_ns_refresh_devs(cid->ns, true);
		ret = cm_route_to(cid, dst_addr);
	}
	if (ret) {
		uroce_dbg("rdmacm: no device for the route: %s",
			  strerror(-ret));
		cm_event(cid, RDMA_CM_EVENT_ADDR_ERROR, ret, NULL, 0);
		ret = 0;
	} else {
		cid->state = CMS_ADDR_RESOLVED;
		cm_event(cid, RDMA_CM_EVENT_ADDR_RESOLVED, 0, NULL, 0);
	}
	if (cid->sync)
		ret = cm_sync_wait(cid) ? errno : 0;
out:
	return cm_unlock_ret(ret);
}

int rdma_resolve_route(struct rdma_cm_id *id, int timeout_ms)
{
	struct cm_id *cid = to_cm_id(id);
	int ret = 0;

	if (cm_lock_id(id))
		return -1;
	if (cid->state != CMS_ADDR_RESOLVED) {
		ret = EINVAL;
		goto out;
	}
	cm_fill_path(cid);
	cid->state = CMS_ROUTE_RESOLVED;
	cm_event(cid, RDMA_CM_EVENT_ROUTE_RESOLVED, 0, NULL, 0);
	if (cid->sync)
		ret = cm_sync_wait(cid) ? errno : 0;
out:
	return cm_unlock_ret(ret);
}
