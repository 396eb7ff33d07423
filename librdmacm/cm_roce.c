// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The CM's transport in the wire-compatible RoCE v2 mode (UROCE_WIRE=roce,
 * or "wire roce" in uroce.conf): every CM MAD goes to the peer's IP at UDP
 * port 4791 as a UD SEND_ONLY to QP 1 (BTH, DETH with the GSI Q_Key, the
 * 256-byte MAD, ICRC), as the kernel's CM sends it, and comes in the same
 * way. The namespace's CM joins the SO_REUSEPORT group on port 4791 that
 * the provider's wire-compatible contexts share (util/steer_group.h): its
 * communication IDs come from its tag's range, so that the group's program
 * steers every answer to this process, and each listened-on service ID is
 * registered, so that REQs and SIDR_REQs find their listener in whichever
 * process it lives. Only the transport differs from the direct mode: the
 * state machines of conn.c and ud.c are the same.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/rtnetlink.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "librdmacm/cma.h"
#include "util/conf_names.h"
#include "util/icrc.h"
#include "util/log.h"
#include "util/random.h"
#include "util/steer_group.h"

#define ROCE_PORT 4791
#define BTH_LEN 12
#define DETH_LEN 8
#define ROCE_CM_LEN (BTH_LEN + DETH_LEN + CM_MAD_SIZE + UROCE_ICRC_LEN)
#define OP_UD_SEND_ONLY 0x64
#define GSI_QPN 1
#define GSI_QKEY 0x80010000u
#define DEFAULT_PKEY 0xffff
/* IPv4 flags and fragment offset of what we send: DF (IP_PMTUDISC_DO). */
#define IP_FLAGS_DF 0x4000
#define ROCE_RX_BATCH 32

uint64_t cm_roce_icrc_errors;

/*
 * uroce.conf's "wire roce|direct [glob...]" lines: whether the last one
 * says roce. The CM is one per process, so a line for any device counts.
 */
static bool conf_wire_roce(FILE *f)
{
	char line[4096], *w, *save, *hash;
	bool roce = false;

	while (fgets(line, (int)sizeof(line), f)) {
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		w = strtok_r(line, " \t\r\n", &save);
		if (!w || strcmp(w, "wire"))
			continue;
		w = strtok_r(NULL, " \t\r\n", &save);
		if (w)
			roce = !strcmp(w, "roce");
	}
	return roce;
}

static bool wire_roce(void)
{
	const char *env = secure_getenv("UROCE_WIRE"), *path;
	bool roce;
	FILE *f;

	if (env && *env)
		return !strcmp(env, "roce");
	path = secure_getenv("UROCE_CONF");
	if (!path)
		path = UROCE_CONF_DEFAULT_PATH;
	if (!*path)
		return false;
	f = fopen(path, "re");
	if (!f)
		return false;
	roce = conf_wire_roce(f);
	fclose(f);
	return roce;
}

bool cm_roce_wanted(void)
{
	static int wanted = -1;

	if (wanted < 0)
		wanted = wire_roce();
	return wanted;
}

static void put24(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 16);
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)v;
}

static uint32_t get24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | get24(p + 1);
}

/* The ICRC header of a datagram between @a (ours or theirs) and @b. */
static void icrc_hdr(struct uroce_icrc_hdr *h, const struct sockaddr *src,
		     const struct sockaddr *dst, uint16_t sport)
{
	memset(h, 0, sizeof(*h));
	h->family = src->sa_family;
	if (h->family == AF_INET) {
		h->src.v4 = ((const struct sockaddr_in *)src)->sin_addr;
		h->dst.v4 = ((const struct sockaddr_in *)dst)->sin_addr;
		/*
		 * An unconnected socket with IP_PMTUDISC_DO sends ID 0 and
		 * DF; a received datagram's DF is taken as set (RoCE v2
		 * senders set it), its ID as unknown (any_ip_id).
		 */
		h->ip_id = 0;
		h->ip_frag_off = IP_FLAGS_DF;
	} else {
		h->src.v6 = ((const struct sockaddr_in6 *)src)->sin6_addr;
		h->dst.v6 = ((const struct sockaddr_in6 *)dst)->sin6_addr;
	}
	h->sport = sport;
	h->dport = ROCE_PORT;
}

static void v4_to_mapped(const struct sockaddr_storage *ss,
			 struct sockaddr_in6 *sin6)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

	memset(sin6, 0, sizeof(*sin6));
	sin6->sin6_family = AF_INET6;
	if (ss->ss_family == AF_INET) {
		sin6->sin6_addr.s6_addr[10] = 0xff;
		sin6->sin6_addr.s6_addr[11] = 0xff;
		memcpy(sin6->sin6_addr.s6_addr + 12, &sin->sin_addr, 4);
	} else {
		sin6->sin6_addr = ((const struct sockaddr_in6 *)ss)->sin6_addr;
	}
}

/* Our address towards @to: @src if it is one, else the route's. */
static int local_addr(struct cm_ns *ns, const struct sockaddr_storage *to,
		      const struct sockaddr *src, struct sockaddr_storage *out)
{
	struct rtnl_route rt = { 0 };
	const void *dip;

	memset(out, 0, sizeof(*out));
	if (src && src->sa_family == to->ss_family && !cm_sockaddr_any(src)) {
		memcpy(out, src, cm_sockaddr_len(src));
		return 0;
	}
	dip = to->ss_family == AF_INET ?
		      (const void *)&((const struct sockaddr_in *)to)->sin_addr :
		      (const void *)&((const struct sockaddr_in6 *)to)
			      ->sin6_addr;
	if (cm_ns_route(ns, to->ss_family, dip, NULL, &rt) || !rt.has_prefsrc) {
		/* A local destination: from itself. */
		if (rt.type != RTN_LOCAL)
			return -ENETUNREACH;
		memcpy(out, to, sizeof(*out));
		return 0;
	}
	out->ss_family = to->ss_family;
	if (to->ss_family == AF_INET)
		memcpy(&((struct sockaddr_in *)out)->sin_addr, rt.prefsrc, 4);
	else
		memcpy(&((struct sockaddr_in6 *)out)->sin6_addr, rt.prefsrc,
		       16);
	return 0;
}

void cm_roce_send(struct cm_ns *ns, const struct sockaddr_storage *to,
		  const struct sockaddr *src, const uint8_t *mad)
{
	struct cm_roce *r = ns->roce;
	uint8_t pkt[ROCE_CM_LEN] = { 0 };
	char cbuf[CMSG_SPACE(sizeof(struct in6_pktinfo))] = { 0 };
	struct sockaddr_storage from;
	struct sockaddr_in6 dst, mfrom;
	struct uroce_icrc_hdr h;
	struct in6_pktinfo pi = { 0 };
	struct iovec iov = { .iov_base = pkt, .iov_len = sizeof(pkt) };
	struct msghdr msg = { .msg_name = &dst,
			      .msg_namelen = sizeof(dst),
			      .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;

	if (!r || (to->ss_family != AF_INET && to->ss_family != AF_INET6) ||
	    local_addr(ns, to, src, &from))
		return;
	pkt[0] = OP_UD_SEND_ONLY;
	pkt[2] = DEFAULT_PKEY >> 8;
	pkt[3] = DEFAULT_PKEY & 0xff;
	put24(pkt + 5, GSI_QPN);
	put24(pkt + 9, r->psn++ & 0xffffff);
	pkt[12] = GSI_QKEY >> 24;
	pkt[13] = (GSI_QKEY >> 16) & 0xff;
	pkt[14] = (GSI_QKEY >> 8) & 0xff;
	pkt[15] = GSI_QKEY & 0xff;
	put24(pkt + 17, GSI_QPN);
	memcpy(pkt + BTH_LEN + DETH_LEN, mad, CM_MAD_SIZE);
	cm_sockaddr_set_port((struct sockaddr *)&from, ROCE_PORT);
	icrc_hdr(&h, (struct sockaddr *)&from, (const struct sockaddr *)to,
		 ROCE_PORT);
	iov.iov_len = ROCE_CM_LEN - UROCE_ICRC_LEN;
	uroce_icrc_put(pkt + ROCE_CM_LEN - UROCE_ICRC_LEN,
		       uroce_icrc(&h, &iov, 1));
	iov.iov_len = ROCE_CM_LEN;
	v4_to_mapped(to, &dst);
	dst.sin6_port = htons(ROCE_PORT);
	v4_to_mapped(&from, &mfrom);
	pi.ipi6_addr = mfrom.sin6_addr;
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = IPPROTO_IPV6;
	c->cmsg_type = IPV6_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	if (sendmsg(r->sock->fd, &msg, MSG_DONTWAIT) < 0)
		uroce_dbg("rdmacm: roce send: %s", strerror(errno));
}

/*
 * A GSI MAD in a RoCE v2 datagram from @from to @local: its headers as QP
 * 1 takes them (UD SEND_ONLY to QP 1 from QP 1, the default P_Key, the
 * GSI Q_Key, no pad) and its ICRC. Returns the MAD or NULL.
 */
static const uint8_t *roce_mad(const uint8_t *pkt, size_t len,
			       const struct sockaddr_storage *from,
			       const struct sockaddr_storage *local)
{
	struct uroce_icrc_hdr h;
	struct iovec iov = { .iov_base = (void *)pkt,
			     .iov_len = ROCE_CM_LEN - UROCE_ICRC_LEN };
	uint16_t pkey = (uint16_t)(pkt[2] << 8 | pkt[3]);

	if (len != ROCE_CM_LEN || pkt[0] != OP_UD_SEND_ONLY ||
	    (pkt[1] & 0x3f) != 0 || (pkey & 0x7fff) != 0x7fff ||
	    get24(pkt + 5) != GSI_QPN || get32(pkt + 12) != GSI_QKEY ||
	    get24(pkt + 17) != GSI_QPN || from->ss_family != local->ss_family)
		return NULL;
	icrc_hdr(&h, (const struct sockaddr *)from,
		 (const struct sockaddr *)local,
		 cm_sockaddr_port((const struct sockaddr *)from));
	/* The sender's IPv4 ID cannot be read from a UDP socket. */
	h.any_ip_id = true;
	if (!uroce_icrc_check(
		    &h, &iov, 1,
		    uroce_icrc_get(pkt + ROCE_CM_LEN - UROCE_ICRC_LEN))) {
		cm_roce_icrc_errors++;
		return NULL;
	}
	return pkt + BTH_LEN + DETH_LEN;
}

static void local_of(struct msghdr *mh, struct sockaddr_storage *local)
{
	struct cmsghdr *c;

	memset(local, 0, sizeof(*local));
	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		struct in6_pktinfo pi;

		if (c->cmsg_level != IPPROTO_IPV6 ||
		    c->cmsg_type != IPV6_PKTINFO)
			continue;
		memcpy(&pi, CMSG_DATA(c), sizeof(pi));
		local->ss_family = AF_INET6;
		((struct sockaddr_in6 *)local)->sin6_addr = pi.ipi6_addr;
		cm_sockaddr_unmap(local);
	}
}

void cm_roce_drain(struct cm_sock *s)
{
	static uint8_t bufs[ROCE_RX_BATCH][ROCE_CM_LEN + 1];
	static struct sockaddr_storage from[ROCE_RX_BATCH];
	static char cbufs[ROCE_RX_BATCH][CMSG_SPACE(sizeof(struct in6_pktinfo))];
	struct steer_group *g = s->ns->roce->grp;
	struct mmsghdr msgs[ROCE_RX_BATCH];
	struct iovec iov[ROCE_RX_BATCH];
	const uint8_t *mad;
	struct cm_msg m;
	int i, n;

	do {
		cm_rx_batch_init(msgs, iov, ROCE_RX_BATCH, bufs,
				 sizeof(bufs[0]), from, cbufs,
				 sizeof(cbufs[0]));
		n = recvmmsg(s->fd, msgs, ROCE_RX_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		for (i = 0; i < n && !s->dead; i++) {
			if (steer_group_rx(g, bufs[i], msgs[i].msg_len))
				continue;
			cm_sockaddr_unmap(&from[i]);
			local_of(&msgs[i].msg_hdr, &s->rx_local);
			mad = roce_mad(bufs[i], msgs[i].msg_len, &from[i],
				       &s->rx_local);
			if (!mad || cm_msg_decode(mad, CM_MAD_SIZE, &m)) {
				cm_rx_drops++;
				continue;
			}
			/* Answers go to port 4791, never the source port. */
			cm_sockaddr_set_port((struct sockaddr *)&from[i],
					     ROCE_PORT);
			cm_recv(s, &from[i], &m, mad);
		}
	} while (n == ROCE_RX_BATCH && !s->dead);
}

/* Joins the namespace's group on [::]:4791, dual-stack, once. */
static int roce_join(struct cm_ns *ns)
{
	struct sockaddr_in6 any = { .sin6_family = AF_INET6,
				    .sin6_port = htons(ROCE_PORT),
				    .sin6_addr = IN6ADDR_ANY_INIT };
	int one = 1, pmtu4 = IP_PMTUDISC_DO, pmtu6 = IPV6_PMTUDISC_DO, ret;
	struct cm_roce *r;
	struct cm_sock *s;

	r = calloc(1, sizeof(*r));
	s = calloc(1, sizeof(*s));
	if (!r || !s) {
		ret = -ENOMEM;
		goto err;
	}
	r->kind = CM_FD_STEER;
	r->ns = ns;
	r->grp = steer_group_join((struct sockaddr *)&any, sizeof(any));
	if (!r->grp) {
		ret = -errno;
		uroce_warn("rdmacm: cannot join port %u: %s", ROCE_PORT,
			   strerror(errno));
		goto err;
	}
	s->kind = CM_FD_SOCK;
	s->fd = steer_group_udp_fd(r->grp);
	s->family = AF_INET6;
	s->port = ROCE_PORT;
	s->wildcard = true;
	s->ns = ns;
	s->roce = true;
	r->sock = s;
	setsockopt(s->fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
	/* ID 0 and DF on IPv4: the ICRC covers both. */
	setsockopt(s->fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu4, sizeof(pmtu4));
	setsockopt(s->fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &pmtu6,
		   sizeof(pmtu6));
	if (uroce_random(&r->psn, sizeof(r->psn))) {
		ret = -EIO;
		goto err;
	}
	ret = cm_thread_add_fd(s->fd, s, EPOLLIN);
	if (ret)
		goto err;
	ret = cm_thread_add_fd(steer_group_fd(r->grp), r, EPOLLIN);
	if (ret) {
		cm_thread_del_fd(s->fd);
		goto err;
	}
	ns->roce = r;
	cm_thread_kick();
	return 0;
err:
	if (r && r->grp)
		steer_group_leave(r->grp);
	free(r);
	free(s);
	return ret;
}

int cm_roce_prepare(struct cm_id *cid)
{
	uint32_t tag, n, id;
	int tries, ret;

	if (!cm_roce_wanted() || !cid->ns)
		return 0;
	if (!cid->ns->roce) {
		ret = roce_join(cid->ns);
		if (ret)
			return ret;
	}
	tag = steer_group_tag(cid->ns->roce->grp);
	if (cid->local_id >> STEER_COMM_SHIFT == tag)
		return 0;
	/*
	 * Random within the tag's range: 18 bits of the 32 that the direct
	 * mode draws, the tag being guessable (see uroce-cm(7)).
	 */
	for (tries = 0; tries < 64; tries++) {
		ret = uroce_random(&n, sizeof(n));
		if (ret)
			return ret;
		id = tag << STEER_COMM_SHIFT |
		     (n & ((1u << STEER_COMM_SHIFT) - 1));
		if (!cm_id_find(id)) {
			cm_id_set_local(cid, id);
			return 0;
		}
	}
	return -EAGAIN;
}

/* Whether listener @l takes a request that came to @local. */
static bool listener_takes(const struct cm_id *l,
			   const struct sockaddr_storage *local)
{
	const struct sockaddr *a = &l->id.route.addr.src_addr;

	if (!cm_sockaddr_any(a))
		return cm_same_ip((const struct sockaddr_storage *)a, local);
	return a->sa_family == local->ss_family ||
	       (a->sa_family == AF_INET6 && !l->afonly);
}

struct cm_id *cm_sock_listener(struct cm_sock *s, uint64_t service_id)
{
	struct cm_id *cid;

	if (!s->roce)
		return s->listener;
	for (cid = cm_id_first(); cid; cid = cid->next)
		if (cid->ns == s->ns && cm_listener_serves(cid, service_id) &&
		    listener_takes(cid, &s->rx_local))
			return cid;
	return NULL;
}

static uint64_t listen_sid(const struct cm_id *cid)
{
	return cm_service_id(cid->id.ps,
			     cm_sockaddr_port(&cid->id.route.addr.src_addr));
}

/*
 * Waits, without cm_lock, until the group's program reflects our changes:
 * the CM thread, which runs the group and answers its probes under
 * cm_lock, may be the leader's thread.
 */
static int roce_settle(struct steer_group *g)
{
	int ret;

	pthread_mutex_unlock(&cm_lock);
	ret = steer_group_settle(g);
	pthread_mutex_lock(&cm_lock);
	return ret;
}

int cm_roce_listen(struct cm_id *cid)
{
	struct steer_group *g;
	uint64_t sid;
	int ret;

	if (!cm_roce_wanted())
		return 0;
	ret = cm_roce_prepare(cid);
	if (ret)
		return ret;
	g = cid->ns->roce->grp;
	sid = listen_sid(cid);
	ret = steer_group_listen_nowait(g, sid);
	if (!ret)
		ret = roce_settle(g);
	if (ret == -ETIMEDOUT)
		steer_group_unlisten_nowait(g, sid);
	return ret;
}

struct cm_roce *cm_roce_unlisten(struct cm_id *cid)
{
	uint64_t sid = listen_sid(cid);
	struct cm_id *o;

	if (!cid->ns || !cid->ns->roce || cid->state != CMS_LISTEN)
		return NULL;
	for (o = cm_id_first(); o; o = o->next)
		if (o != cid && o->ns == cid->ns && cm_listener_serves(o, sid))
			return NULL;
	if (steer_group_unlisten_nowait(cid->ns->roce->grp, sid))
		return NULL;
	return cid->ns->roce;
}

void cm_roce_settle(struct cm_roce *r)
{
	if (r)
		steer_group_settle(r->grp);
}

void cm_roce_run(struct cm_roce *r)
{
	steer_group_run(r->grp);
}

void cm_roce_leave_all(void)
{
	struct cm_ns *ns;

	for (ns = cm_ns_first(); ns; ns = ns->next) {
		if (!ns->roce)
			continue;
		steer_group_leave(ns->roce->grp);
		free(ns->roce->sock);
		free(ns->roce);
		ns->roce = NULL;
	}
}

int cm_roce_timeout(int timeout)
{
	struct cm_ns *ns;
	int t;

	for (ns = cm_ns_first(); ns; ns = ns->next) {
		if (!ns->roce)
			continue;
		t = steer_group_timeout(ns->roce->grp);
		if (t == 0) {
			steer_group_run(ns->roce->grp);
			t = steer_group_timeout(ns->roce->grp);
		}
		if (t >= 0 && (timeout < 0 || t < timeout))
			timeout = t;
	}
	return timeout;
}
