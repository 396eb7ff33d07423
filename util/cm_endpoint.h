/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The query endpoint of librdmacm, shared by the library (which answers)
 * and the uroce tool (which asks), in the manner of util/endpoint.h.
 *
 * A process that uses librdmacm listens on an abstract AF_UNIX stream
 * socket named UROCE_CM_EP_PREFIX followed by random hex digits, in the
 * network namespace it first used the library in. A client connects and
 * reads; the endpoint reads nothing, writes one reply if the client's
 * credentials pass as for util/endpoint.h (the process's effective UID,
 * or root with CAP_SYS_ADMIN in its user namespace), and closes.
 *
 * The reply is text, one object per line, a kind then " key=value" pairs,
 * values escaped as util/endpoint.h says. Unknown kinds and keys are to
 * be ignored. The lines, in order:
 *
 *   uroce-cm version=1 pid= comm= uid=
 *   cm_id id= ps= qp_type= state= src= dst= dev= lqpn= rqpn= rid=
 *         listen= destroyed=
 *   stat rx_drops= req_drops= req_evicted= icmp_ignored=
 *   end
 *
 * id and rid are the local and remote communication IDs (0x hex); ps is
 * TCP, UDP, IB or IPOIB; qp_type RC, UC or UD; state the CM state (IDLE,
 * ADDR_BOUND, ADDR_RESOLVED, ROUTE_RESOLVED, LISTEN, REQ_SENT, REQ_RCVD,
 * REP_SENT, REP_RCVD, ESTABLISHED, DREQ_SENT, DREQ_RCVD, TIMEWAIT,
 * DISCONNECTED, UD_DONE); src and dst are ADDR:PORT ([ADDR]:PORT for
 * IPv6), "-" when unset; dev is the device name or "-"; listen is 1 for
 * listening IDs; destroyed is 1 for IDs the application destroyed that
 * still finish a disconnection or timewait. rx_drops counts CM messages
 * dropped (malformed, or from no peer of the ID they name); req_drops the
 * requests dropped at a listener full of half-open connections,
 * req_evicted the half-open connections given up to make room;
 * icmp_ignored the ICMP port unreachables that quoted none of the
 * process's messages.
 */
#ifndef UROCE_UTIL_CM_ENDPOINT_H
#define UROCE_UTIL_CM_ENDPOINT_H

#define UROCE_CM_EP_PREFIX "uroce-cm/"
#define UROCE_CM_EP_HEADER "uroce-cm"
#define UROCE_CM_EP_VERSION 1

#endif /* UROCE_UTIL_CM_ENDPOINT_H */
