/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The RoCEv2 invariant CRC (IBTA Annex A17): the Ethernet CRC-32 over
 *
 *   8 bytes of ones (standing in for the LRH that RoCEv2 does not have),
 *   the IPv4 or IPv6 header and the UDP header, with the fields a router may
 *   change set to ones (IPv4 TOS, TTL and checksum; IPv6 traffic class, flow
 *   label and hop limit; UDP checksum),
 *   the BTH with its byte 4 (FECN, BECN and reserved bits) set to ones,
 *   the rest of the packet up to and including the pad.
 *
 * It is sent least significant byte first, like the Ethernet FCS.
 *
 * uroce sends through UDP sockets, so it never sees the IP and UDP headers
 * it sends or receives: the caller describes them. All lengths in them are
 * derived from the packet's length.
 */
#ifndef UROCE_ICRC_H
#define UROCE_ICRC_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define UROCE_ICRC_LEN 4u

struct uroce_icrc_hdr {
	int family; /* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} src, dst;
	uint16_t sport, dport; /* UDP ports, host byte order */
	/*
	 * IPv4 only, host byte order: Identification and flags/fragment
	 * offset. The ICRC covers them, so sender and receiver must agree.
	 */
	uint16_t ip_id;
	uint16_t ip_frag_off;
	/*
	 * Receiving, IPv4: the sender's ID is unknown (a RoCE v2 peer picks
	 * its own): uroce_icrc_check accepts any ID in place of ip_id.
	 */
	bool any_ip_id;
};

/*
 * CRC-32 as zlib computes it (reflected 0x04C11DB7, inverted in and out):
 * start with crc 0 and feed each piece's result into the next call.
 */
uint32_t uroce_crc32(uint32_t crc, const void *buf, size_t len);

/*
 * The ICRC of the packet whose bytes from the start of the BTH through the
 * pad are the @iovcnt pieces of @iov (the ICRC field itself excluded). The
 * pieces may be of any length and alignment, the BTH included; together
 * they must hold at least a BTH.
 */
uint32_t uroce_icrc(const struct uroce_icrc_hdr *hdr, const struct iovec *iov,
		    int iovcnt);

/*
 * Whether @icrc is the ICRC of the packet in @iov (as uroce_icrc). With
 * hdr->any_ip_id (IPv4) it is for some IPv4 ID, which is exact but for
 * the ID: the CRC is affine in its input, so the 16 ID bits can only move
 * it within a 16-dimensional subspace, which is solved for; a corrupted
 * packet passes with probability 2^-16 instead of 2^-32.
 */
bool uroce_icrc_check(const struct uroce_icrc_hdr *hdr, const struct iovec *iov,
		      int iovcnt, uint32_t icrc);

/*
 * Sending IPv4: what the ICRC of a packet whose bytes from the BTH through
 * the pad are @len long changes by when its IPv4 ID goes from 0 to @ip_id
 * (XOR it in). @shift is uroce_icrc_id_shift(@len), the same for packets
 * of one length.
 */
uint32_t uroce_icrc_id_shift(size_t len);
uint32_t uroce_icrc_id_delta(uint16_t ip_id, uint32_t shift);

/* The ICRC field, read and written in wire byte order (little-endian). */
static inline void uroce_icrc_put(void *p, uint32_t icrc)
{
	uint8_t *b = p;

	b[0] = (uint8_t)icrc;
	b[1] = (uint8_t)(icrc >> 8);
	b[2] = (uint8_t)(icrc >> 16);
	b[3] = (uint8_t)(icrc >> 24);
}

static inline uint32_t uroce_icrc_get(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}

#endif /* UROCE_ICRC_H */
