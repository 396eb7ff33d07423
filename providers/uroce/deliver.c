// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Delivery of a parsed packet to its QP: the checks of the QP's state,
 * transport, peer and P_Key, then the ICRC, then its responder (requests)
 * or its completer (responses), under the QP's lock. The unicast receive path
 * (rx.c) and multicast (mcast.c) both end here.
 */
#include <string.h>

#include "providers/uroce/comp.h"
#include "providers/uroce/deliver.h"
#include "providers/uroce/dp.h"
#include "providers/uroce/resp.h"
#include "providers/uroce/uroce.h"

/* The QP state, transport, peer and P_Key checks: 0 or the drop reason. */
static int qp_accepts(struct uroce_qp *qp, const struct uroce_pkt *pkt,
		      const struct sockaddr_in6 *from)
{
	enum uroce_transport tr = uroce_opcode_transport(pkt->bth.opcode);
	enum ibv_qp_type type = qp->ibv_qp.qp_type;

	if ((type == IBV_QPT_RC && tr != UROCE_TR_RC) ||
	    (type == IBV_QPT_UC && tr != UROCE_TR_UC) ||
	    (type == IBV_QPT_UD && tr != UROCE_TR_UD))
		return UROCE_DROP_BAD_TRANSPORT;
	if (pkt->info->flags & UROCE_OPF_REQ) {
		if (qp->state != IBV_QPS_RTR && qp->state != IBV_QPS_RTS &&
		    qp->state != IBV_QPS_SQD && qp->state != IBV_QPS_SQE)
			return UROCE_DROP_BAD_QP_STATE;
	} else if (qp->state != IBV_QPS_RTS && qp->state != IBV_QPS_SQD) {
		return UROCE_DROP_BAD_QP_STATE;
	}
	if (type != IBV_QPT_UD &&
	    ((!qp->path.any_sport &&
	      from->sin6_port != qp->path.dst.sin6_port) ||
	     memcmp(&from->sin6_addr, &qp->path.dst.sin6_addr,
		    sizeof(from->sin6_addr))))
		return UROCE_DROP_BAD_PEER;
	if ((pkt->bth.pkey & 0x7fff) != (UROCE_DEFAULT_PKEY & 0x7fff))
		return UROCE_DROP_BAD_PKEY;
	return 0;
}

bool uroce_deliver(struct uroce_dp *dp, struct uroce_qp *qp,
		   struct uroce_pkt *pkt, const struct sockaddr_in6 *from,
		   const struct in6_addr *dst, int member,
		   const struct uroce_icrc_hdr *ih)
{
	bool gone = false;
	int ret;

	pthread_mutex_lock(&qp->lock);
	ret = qp_accepts(qp, pkt, from);
	/* A local peer: is its socket still the one that sent this? */
	if (!ret && qp->peer.on)
		ret = uroce_peer_watch_rx(qp, from->sin6_port, qp->sock->rx_ns,
					  &gone);
	/*
	 * The ICRC last, the dearest check: a packet that is not the peer's
	 * costs no CRC over its payload. The codec returns it negated.
	 */
	if (!ret && ih)
		ret = -uroce_pkt_check_icrc(pkt, ih);
	if (ret) {
		uroce_qp_drop(qp, ret);
		pthread_mutex_unlock(&qp->lock);
		if (gone)
			uroce_peer_watch_event(qp);
		return false;
	}
	qp->cnt.rx_pkts++;
	qp->cnt.rx_bytes += pkt->len;
	/* A LAG QP answers by the member its peer's requests take. */
	if (member >= 0 && (pkt->info->flags & UROCE_OPF_REQ))
		qp->txb.reply_member = member;
	if (pkt->info->flags & UROCE_OPF_REQ) {
		if (qp->ibv_qp.qp_type == IBV_QPT_UD) {
			/* The GRH needs the source: hand it over in the path. */
			qp->resp.ud_from = *from;
			qp->resp.ud_dst = *dst;
		}
		uroce_resp_rx(qp, pkt);
	} else {
		uroce_comp_rx(qp, pkt);
	}
	pthread_mutex_unlock(&qp->lock);
	return true;
}
