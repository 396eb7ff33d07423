// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Paths: where the packets of a QP or an AH go (the destination GID's
 * address and UDP port, the source GID's netdev for link-local and
 * multicast peers), and the IP header fields their ICRC covers.
 */
#include <arpa/inet.h>
#include <string.h>

#include "providers/uroce/dp.h"
#include "providers/uroce/path.h"
#include "providers/uroce/uroce.h"

/* The IPv4 ID and flags the ICRC covers; both ends assume them. */
#define ICRC_IP_ID 0
#define ICRC_IP_FRAG_OFF 0x4000 /* DF */

/*
 * Direct addressing: QP @dqpn listens on UDP port dqpn >> 8 and ours
 * answers from its socket's port. "wire roce": every QP is at port 4791,
 * ours sends from its flow's port (sport.c), which the ICRC covers, and
 * the peer's packets come from whatever source port it picks.
 */
void uroce_path_set_qpn(struct uroce_path *path, const struct uroce_qp *qp,
			uint32_t dqpn)
{
	const struct uroce_sock *s = qp->sock;
	uint16_t dport = s->steer ? UROCE_ROCE_PORT : (uint16_t)(dqpn >> 8);

	path->dst.sin6_port = htons(dport);
	path->icrc.sport = qp->sport;
	path->icrc.dport = dport;
	path->any_sport = s->steer != NULL;
}

static bool addr_v4(const struct in6_addr *a)
{
	return IN6_IS_ADDR_V4MAPPED(a);
}

/* The ICRC's view of the IP header between @src and @dst. */
void uroce_icrc_addrs(struct uroce_icrc_hdr *h, const struct in6_addr *src,
		      const struct in6_addr *dst)
{
	if (addr_v4(src)) {
		h->family = AF_INET;
		memcpy(&h->src.v4, &src->s6_addr[12], 4);
		memcpy(&h->dst.v4, &dst->s6_addr[12], 4);
		h->ip_id = ICRC_IP_ID;
		h->ip_frag_off = ICRC_IP_FRAG_OFF;
	} else {
		h->family = AF_INET6;
		h->src.v6 = *src;
		h->dst.v6 = *dst;
	}
}

int uroce_gid_path(struct uroce_context *ctx, unsigned int sgid_index,
		   const union ibv_gid *dgid, struct uroce_path *path)
{
	struct in6_addr dst;
	int ifindex;

	memset(path, 0, sizeof(*path));
	memcpy(&dst, dgid->raw, sizeof(dst));
	pthread_mutex_lock(&ctx->state_lock);
	if (sgid_index >= ctx->state.ngids) {
		pthread_mutex_unlock(&ctx->state_lock);
		return EINVAL;
	}
	memcpy(&path->src, ctx->state.gids[sgid_index].gid.raw,
	       sizeof(path->src));
	ifindex = ctx->state.gids[sgid_index].ifindex;
	pthread_mutex_unlock(&ctx->state_lock);
	if (addr_v4(&path->src) != addr_v4(&dst))
		return EINVAL;
	path->dst.sin6_family = AF_INET6;
	path->dst.sin6_addr = dst;
	/* These leave by the GID's netdev (tx.c), not by a route. */
	if (IN6_IS_ADDR_LINKLOCAL(&dst) || uroce_addr_mcast(&dst))
		path->dst.sin6_scope_id = (uint32_t)ifindex;
	uroce_icrc_addrs(&path->icrc, &path->src, &dst);
	return 0;
}
