// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Transmit batches: packets are built in place (header, payload iovecs
 * pointing at the application's memory, pad and ICRC) and leave in one
 * sendmmsg per batch. The source address rides in an IPV6_PKTINFO
 * control message so that the kernel uses the address the ICRC covers.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>

#include "util/log.h"
#include "providers/uroce/uroce.h"

/* How long a full send buffer may hold up a sender. */
#define TX_WAIT_MS 5

size_t uroce_tx_add(struct uroce_context *ctx, struct uroce_txb *txb,
		    const struct uroce_path *path, struct uroce_pkt *pkt,
		    const struct iovec *pay, int npay)
{
	struct uroce_txpkt *t;
	struct in6_pktinfo *pi;
	struct cmsghdr *cm;
	struct msghdr *mh;
	unsigned int pad;
	uint32_t icrc;
	size_t len = 0;
	int hlen, n, i;

	if (txb->n == UROCE_TX_BATCH)
		uroce_tx_flush(ctx, txb);
	t = &txb->pkt[txb->n];
	hlen = uroce_pkt_build(t->hdr, sizeof(t->hdr), pkt);
	if (hlen < 0) {
		uroce_warn("cannot build opcode %#x: %d", pkt->bth.opcode,
			   hlen);
		return 0;
	}
	t->iov[0].iov_base = t->hdr;
	t->iov[0].iov_len = (size_t)hlen;
	n = 1;
	for (i = 0; i < npay && n < UROCE_TX_IOV - 1; i++)
		t->iov[n++] = pay[i];
	pad = uroce_pkt_pad(pkt->paylen);
	memset(t->trailer, 0, sizeof(t->trailer));
	t->iov[n].iov_base = t->trailer;
	t->iov[n].iov_len = pad;
	icrc = uroce_icrc(&path->icrc, t->iov, n + 1);
	t->iov[n].iov_len = uroce_pkt_trailer(t->trailer, pad, icrc);
	n++;
	for (i = 0; i < n; i++)
		len += t->iov[i].iov_len;

	t->dst = path->dst;
	mh = &txb->msg[txb->n].msg_hdr;
	memset(mh, 0, sizeof(*mh));
	mh->msg_name = &t->dst;
	mh->msg_namelen = sizeof(t->dst);
	mh->msg_iov = t->iov;
	mh->msg_iovlen = (size_t)n;
	mh->msg_control = t->cmsg.buf;
	mh->msg_controllen = sizeof(t->cmsg.buf);
	cm = CMSG_FIRSTHDR(mh);
	cm->cmsg_level = IPPROTO_IPV6;
	cm->cmsg_type = IPV6_PKTINFO;
	cm->cmsg_len = CMSG_LEN(sizeof(*pi));
	pi = (struct in6_pktinfo *)CMSG_DATA(cm);
	memset(pi, 0, sizeof(*pi));
	pi->ipi6_addr = path->src;
	/* Link-local and multicast: the netdev (IPv4's multicast route too). */
	pi->ipi6_ifindex = path->dst.sin6_scope_id;
	txb->n++;
	return len;
}

static void send_batch(struct uroce_context *ctx, int fd, struct mmsghdr *msg,
		       unsigned int n)
{
	struct uroce_counters *cnt = &ctx->dp->cnt;
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	unsigned int done = 0, i, waits = 0;
	int ret;

	while (done < n) {
		/*
		 * Never block with locks held: a full send buffer gets a short
		 * wait, then the packets are lost like any others and the
		 * protocol recovers.
		 */
		ret = sendmmsg(fd, msg + done, n - done, MSG_DONTWAIT);
		if (ret < 0) {
			if (errno == EINTR)
				continue;
			if ((errno == EAGAIN || errno == ENOBUFS) &&
			    waits++ < 3 && poll(&pfd, 1, TX_WAIT_MS) > 0)
				continue;
			uroce_cnt_add(cnt->tx_errors, 1);
			done++;
			continue;
		}
		for (i = done; i < done + (unsigned int)ret; i++)
			uroce_cnt_add(cnt->tx_bytes, msg[i].msg_len);
		uroce_cnt_add(cnt->tx_pkts, (uint64_t)ret);
		done += (unsigned int)ret;
	}
}

void uroce_tx_flush(struct uroce_context *ctx, struct uroce_txb *txb)
{
	struct mmsghdr out[2 * UROCE_TX_BATCH];
	unsigned int n;

	if (!txb->n)
		return;
	if (uroce_fault_on()) {
		n = uroce_fault_apply(&ctx->dp->cnt, txb->msg, txb->n, out);
		send_batch(ctx, txb->fd, out, n);
	} else {
		send_batch(ctx, txb->fd, txb->msg, txb->n);
	}
	txb->n = 0;
}
