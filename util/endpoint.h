/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The query endpoint of a uroce context, shared by the provider (which
 * answers) and the uroce tool (which asks).
 *
 * Every open context listens on an abstract AF_UNIX stream socket named
 * UROCE_EP_PREFIX followed by random hex digits. Abstract names belong to
 * the network namespace and vanish with the last descriptor, so a listing
 * of /proc/net/unix finds exactly the live contexts of the caller's
 * namespace, and a killed process leaves nothing behind.
 *
 * A client connects and reads; it sends nothing, and the endpoint reads
 * nothing. If the client's credentials pass (same effective UID, or root
 * with CAP_SYS_ADMIN in the endpoint's user namespace, judged on the
 * process that connected: see ep_answer.c), the endpoint writes
 * one reply and closes; otherwise it closes at once. The PID to show is
 * the one SO_PEERCRED gives the client: the kernel translates it into the
 * client's PID namespace, and 0 means the owner is not visible from there.
 *
 * The reply is text, one object per line: a kind, then " key=value"
 * pairs. Values never hold whitespace: strings have every byte outside
 * '!'..'~' and every '\' written as \xHH. Integers are decimal; keys,
 * addresses and flag words are 0x hex. Unknown kinds and keys are to be
 * ignored, so that the format can grow. The lines, in order:
 *
 *   uroce-ep version=1 pid= comm= uid=
 *   ctx id= dev= netdev=                        per context (one today)
 *   pd ctx= handle= users=
 *   mr ctx= pd= addr= len= lkey= rkey= access=
 *   cq ctx= handle= cqe= used= overflows=
 *   srq ctx= handle= pd= max_wr= used= limit=
 *   qp ctx= qpn= type= state= pd= scq= rcq= srq= sq_psn= rq_psn= mtu=
 *      [dgid= dqpn= dport=] member= <qp counters>
 *   stat ctx= dev= <device counters>
 *   member ctx= dev= ifname= ifindex= state= qps= tx_pkts= tx_bytes=
 *      rx_pkts= rx_bytes= failovers= blackholes=        per LAG member
 *   end
 *
 * type is RC, UC or UD; state is RESET, INIT, RTR, RTS, SQD, SQE or ERR;
 * srq= is 0 when the QP has none. Counters (uint64, decimal):
 *   qp:   tx_pkts tx_bytes rx_pkts rx_bytes retrans retrans_pkts timeouts
 *         seq_naks_sent seq_naks_rcvd rnr_naks_sent rnr_naks_rcvd
 *         err_naks_sent err_naks_rcvd dup_reqs drops drop_<reason>...
 *   stat: the same (device totals, destroyed QPs included), plus
 *         tx_errors cq_overflows fault_drop fault_dup fault_reorder.
 * Packets and bytes are UDP payloads. A QP's tx counts every packet it
 * built, retransmissions included (retrans_pkts of them); its rx counts
 * packets addressed to it that passed the peer and state checks, so
 * drops after those (bad_psn, bad_qkey) are among them. The device's tx
 * and rx are what its sockets sent and received: device tx_pkts = sum of
 * the QPs' tx_pkts - fault_drop + fault_dup, and device rx counts packets
 * dropped before a QP was found. The device's other counters are sums
 * over its QPs, destroyed ones included. retrans counts rewinds of the
 * requester (one per timeout or NAK that resends). drops is the total;
 * drop_<reason> are listed for every reason, zero or not. Handles, ctx
 * ids and PSNs are decimal. A QP's member= is the netdev its requests
 * leave by. member lines (LAG devices only): state is up, down or
 * suspect; qps the QPs on it; tx/rx what crossed it; failovers the QPs
 * moved away from it; blackholes how often it was suspected of one.
 */
#ifndef UROCE_UTIL_ENDPOINT_H
#define UROCE_UTIL_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>

#define UROCE_EP_PREFIX "uroce-ep/"
#define UROCE_EP_HEADER "uroce-ep"
#define UROCE_EP_VERSION 1

/* The server side, shared with librdmacm's endpoint (util/ep_*.c). */

/*
 * Opens a listening abstract unix socket named @prefix and 16 random hex
 * digits (O_NONBLOCK, O_CLOEXEC): the fd, or a negative errno.
 */
int uroce_ep_listen(const char *prefix, int backlog);

/* Whether the client on @fd passes the credential check above. */
bool uroce_ep_peer_allowed(int fd);

/* Room for any header line that uroce_ep_header() writes. */
#define UROCE_EP_HEADER_MAX 256

/*
 * Writes the reply's first line, "@kind version=@version pid= comm= uid=",
 * with its newline, into @buf (UROCE_EP_HEADER_MAX bytes hold it).
 */
void uroce_ep_header(char *buf, size_t size, const char *kind, int version);

/* Sends @len bytes to the client on @fd, or gives up on a slow reader. */
void uroce_ep_send(int fd, const char *p, size_t len);

/* Clients served per wake-up of the serving thread. */
#define UROCE_EP_BATCH 4

/*
 * Accepts at most UROCE_EP_BATCH clients waiting on the listener @lfd,
 * calls @answer(@arg, fd) for each that passes the credential check and
 * closes them. A flood of connections costs the thread (which has other
 * work: link events, CM timers) a bounded time per wake-up; the rest
 * wait for the next, since the listener is polled level-triggered.
 */
void uroce_ep_serve(int lfd, void (*answer)(void *arg, int fd), void *arg);

#endif /* UROCE_UTIL_ENDPOINT_H */
