// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * CRC-32 for the ICRC. On x86-64 with PCLMULQDQ, buffers of 64 bytes and
 * more are folded with carry-less multiplies (Intel's "Fast CRC Computation
 * for Generic Polynomials Using PCLMULQDQ"); short buffers, the tails and
 * other CPUs use slicing-by-8 tables. Both beat zlib's crc32, whose
 * byte-at-a-time loop for short buffers made the ~60 bytes of pseudo-header
 * and transport headers cost as much as a 1 KiB payload.
 */
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>

#include "util/icrc.h"

#define ICRC_BTH_LEN 12
#define ICRC_BTH_MASKED_BYTE 4 /* FECN, BECN, resv6a */
#define ICRC_UDP_LEN 8
#define ICRC_IPV4_LEN 20
#define ICRC_IPV6_LEN 40
#define ICRC_LRH_ONES 8

#define CRC32_POLY_REFLECTED 0xedb88320u

/* crc_table[k][b]: byte b followed by k zero bytes, for slicing-by-8. */
static uint32_t crc_table[8][256];
/*
 * The index of the crc_table[0] entry with each top byte: the table is a
 * bijection on it (uroce_icrc_check undoes bytes with it).
 */
static uint8_t crc_top_inv[256];

static void crc_table_init(void)
{
	uint32_t c;
	int i, k;

	for (i = 0; i < 256; i++) {
		c = (uint32_t)i;
		for (k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ CRC32_POLY_REFLECTED : c >> 1;
		crc_table[0][i] = c;
		crc_top_inv[c >> 24] = (uint8_t)i;
	}
	for (i = 0; i < 256; i++)
		for (k = 1; k < 8; k++)
			crc_table[k][i] =
				(crc_table[k - 1][i] >> 8) ^
				crc_table[0][crc_table[k - 1][i] & 0xff];
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* @crc is the raw register, not inverted. */
static uint32_t crc32_slice8(uint32_t crc, const uint8_t *p, size_t len)
{
	for (; len >= 8; p += 8, len -= 8) {
		uint32_t lo = crc ^ get_le32(p), hi = get_le32(p + 4);

		crc = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^
		      crc_table[5][(lo >> 16) & 0xff] ^ crc_table[4][lo >> 24] ^
		      crc_table[3][hi & 0xff] ^ crc_table[2][(hi >> 8) & 0xff] ^
		      crc_table[1][(hi >> 16) & 0xff] ^ crc_table[0][hi >> 24];
	}
	while (len--)
		crc = (crc >> 8) ^ crc_table[0][(crc ^ *p++) & 0xff];
	return crc;
}

/* UROCE_ICRC_PORTABLE builds only the table path, so tests can cover it. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && \
	!defined(UROCE_ICRC_PORTABLE)
#include <cpuid.h>
#include <immintrin.h>

#define HAVE_CLMUL_PATH 1

static int have_clmul;

static void detect_cpu(void)
{
	unsigned int a, b, c, d;

	if (__get_cpuid(1, &a, &b, &c, &d))
		have_clmul = !!(c & bit_PCLMUL);
}

/*
 * Folding constants for P(x) = 0x104C11DB7 in the bit-reflected domain,
 * each x^n mod P(x) reflected and shifted left by one: the pairs fold a
 * 128-bit lane forward by 512 bits (four lanes) and by 128 bits (one
 * lane), K5 folds 64 bits into 32, and MU and POLY are the Barrett
 * reduction's floor(x^64 / P(x)) and P(x) itself, reflected.
 */
#define K1 0x154442bd4ull /* x^(4*128+32) */
#define K2 0x1c6e41596ull /* x^(4*128-32) */
#define K3 0x1751997d0ull /* x^(128+32) */
#define K4 0x0ccaa009eull /* x^(128-32) */
#define K5 0x163cd6124ull /* x^64 */
#define MU 0x1f7011641ull
#define POLY 0x1db710641ull

__attribute__((target("pclmul"))) static inline __m128i
fold(__m128i x, __m128i k, __m128i next)
{
	__m128i lo = _mm_clmulepi64_si128(x, k, 0x00);
	__m128i hi = _mm_clmulepi64_si128(x, k, 0x11);

	return _mm_xor_si128(_mm_xor_si128(lo, hi), next);
}

/*
 * @crc is the raw CRC register (not inverted); @len is at least 64 and a
 * multiple of 16.
 */
__attribute__((target("pclmul"))) static uint32_t
crc32_clmul(uint32_t crc, const uint8_t *p, size_t len)
{
	const __m128i k12 = _mm_set_epi64x(K2, K1);
	const __m128i k34 = _mm_set_epi64x(K4, K3);
	const __m128i k5 = _mm_set_epi64x(0, K5);
	const __m128i mupoly = _mm_set_epi64x(MU, POLY);
	const __m128i low32 = _mm_set_epi32(0, 0, 0, -1);
	__m128i x0, x1, x2, x3, t;

	x0 = _mm_loadu_si128((const __m128i *)p);
	x1 = _mm_loadu_si128((const __m128i *)(p + 16));
	x2 = _mm_loadu_si128((const __m128i *)(p + 32));
	x3 = _mm_loadu_si128((const __m128i *)(p + 48));
	x0 = _mm_xor_si128(x0, _mm_cvtsi32_si128((int)crc));
	p += 64;
	len -= 64;

	/* Four independent lanes keep the multiplier busy. */
	while (len >= 64) {
		x0 = fold(x0, k12, _mm_loadu_si128((const __m128i *)p));
		x1 = fold(x1, k12, _mm_loadu_si128((const __m128i *)(p + 16)));
		x2 = fold(x2, k12, _mm_loadu_si128((const __m128i *)(p + 32)));
		x3 = fold(x3, k12, _mm_loadu_si128((const __m128i *)(p + 48)));
		p += 64;
		len -= 64;
	}

	x0 = fold(x0, k34, x1);
	x0 = fold(x0, k34, x2);
	x0 = fold(x0, k34, x3);
	while (len >= 16) {
		x0 = fold(x0, k34, _mm_loadu_si128((const __m128i *)p));
		p += 16;
		len -= 16;
	}

	/* 128 bits to 64: the low half moves up by 64 bits. */
	t = _mm_clmulepi64_si128(x0, k34, 0x10);
	x0 = _mm_xor_si128(_mm_srli_si128(x0, 8), t);

	/* 64 bits to 32. */
	t = _mm_srli_si128(x0, 4);
	x0 = _mm_clmulepi64_si128(_mm_and_si128(x0, low32), k5, 0x00);
	x0 = _mm_xor_si128(x0, t);

	/* Barrett reduction to the 32-bit remainder. */
	t = x0;
	x0 = _mm_clmulepi64_si128(_mm_and_si128(x0, low32), mupoly, 0x10);
	x0 = _mm_clmulepi64_si128(_mm_and_si128(x0, low32), mupoly, 0x00);
	x0 = _mm_xor_si128(x0, t);
	return (uint32_t)_mm_cvtsi128_si32(_mm_srli_si128(x0, 4));
}
#else
static void detect_cpu(void)
{
}
#endif

static void gf_init(void);

/* Before any caller: the tables are then read-only, so thread-safe. */
__attribute__((constructor)) static void icrc_init(void)
{
	crc_table_init();
	gf_init();
	detect_cpu();
}

uint32_t uroce_crc32(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	/* zlib's value is the inverted register. */
	crc = ~crc;
#ifdef HAVE_CLMUL_PATH
	if (len >= 64 && have_clmul) {
		size_t n = len & ~(size_t)15;

		crc = crc32_clmul(crc, p, n);
		p += n;
		len -= n;
	}
#endif
	return ~crc32_slice8(crc, p, len);
}

static void put_be16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Writes the masked IP and UDP headers at @p; returns the bytes written. */
static size_t icrc_ip_udp(uint8_t *p, const struct uroce_icrc_hdr *hdr,
			  size_t udp_len)
{
	size_t n;

	if (hdr->family == AF_INET6) {
		p[0] = 0x6f; /* version 6, traffic class masked ... */
		p[1] = 0xff; /* ... and the flow label too */
		p[2] = 0xff;
		p[3] = 0xff;
		put_be16(p + 4, udp_len);
		p[6] = IPPROTO_UDP;
		p[7] = 0xff; /* hop limit */
		memcpy(p + 8, &hdr->src.v6, 16);
		memcpy(p + 24, &hdr->dst.v6, 16);
		n = ICRC_IPV6_LEN;
	} else {
		p[0] = 0x45;
		p[1] = 0xff; /* TOS */
		put_be16(p + 2, ICRC_IPV4_LEN + udp_len);
		put_be16(p + 4, hdr->ip_id);
		put_be16(p + 6, hdr->ip_frag_off);
		p[8] = 0xff; /* TTL */
		p[9] = IPPROTO_UDP;
		p[10] = 0xff; /* header checksum */
		p[11] = 0xff;
		memcpy(p + 12, &hdr->src.v4, 4);
		memcpy(p + 16, &hdr->dst.v4, 4);
		n = ICRC_IPV4_LEN;
	}
	p += n;
	put_be16(p, hdr->sport);
	put_be16(p + 2, hdr->dport);
	put_be16(p + 4, udp_len);
	p[6] = 0xff; /* UDP checksum */
	p[7] = 0xff;
	return n + ICRC_UDP_LEN;
}

uint32_t uroce_icrc(const struct uroce_icrc_hdr *hdr, const struct iovec *iov,
		    int iovcnt)
{
	uint8_t ph[ICRC_LRH_ONES + ICRC_IPV6_LEN + ICRC_UDP_LEN + ICRC_BTH_LEN];
	size_t len = UROCE_ICRC_LEN, n, bth = 0, skip;
	uint32_t crc;
	int i;

	for (i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;

	memset(ph, 0xff, ICRC_LRH_ONES);
	n = ICRC_LRH_ONES;
	n += icrc_ip_udp(ph + n, hdr, ICRC_UDP_LEN + len);

	/* The BTH may straddle pieces: gather it to mask byte 4. */
	for (i = 0; i < iovcnt && bth < ICRC_BTH_LEN; i++) {
		skip = iov[i].iov_len;
		if (skip > ICRC_BTH_LEN - bth)
			skip = ICRC_BTH_LEN - bth;
		memcpy(ph + n + bth, iov[i].iov_base, skip);
		bth += skip;
	}
	if (bth > ICRC_BTH_MASKED_BYTE)
		ph[n + ICRC_BTH_MASKED_BYTE] = 0xff;
	crc = uroce_crc32(0, ph, n + bth);

	skip = ICRC_BTH_LEN;
	for (i = 0; i < iovcnt; i++) {
		const uint8_t *base = iov[i].iov_base;
		size_t l = iov[i].iov_len;

		if (skip >= l) {
			skip -= l;
			continue;
		}
		crc = uroce_crc32(crc, base + skip, l - skip);
		skip = 0;
	}
	return crc;
}

/*
 * Arithmetic modulo the CRC polynomial P, in the CRC register's bit
 * order: bit 31 holds x^0, bit 0 x^31. Feeding a zero byte to the
 * register multiplies it by x^8.
 */
#define GF_ONE 0x80000000u
/* x^-1: P has a constant term, so x * x^-1 = 1 solves to this */
#define GF_X_INV 0xdb710641u

static uint32_t gf_mul(uint32_t a, uint32_t b)
{
	uint32_t r = 0, m;

	for (m = GF_ONE; m; m >>= 1) {
		if (a & m)
			r ^= b;
		b = b & 1 ? (b >> 1) ^ CRC32_POLY_REFLECTED : b >> 1;
	}
	return r;
}

/* x^(2^k), k = 0..63: x^n is a product of at most 64 of them. */
static uint32_t gf_x_pow2[64];

static void gf_init(void)
{
	int k;

	gf_x_pow2[0] = GF_ONE >> 1;
	for (k = 1; k < 64; k++)
		gf_x_pow2[k] = gf_mul(gf_x_pow2[k - 1], gf_x_pow2[k - 1]);
}

/* x^-(8 @nbytes): undoes feeding @nbytes zero bytes. */
static uint32_t gf_unshift(uint32_t v, size_t nbytes)
{
	uint64_t e = (uint64_t)nbytes * 8;
	uint32_t p = GF_X_INV; /* x^-(2^k) */

	for (; e; e >>= 1) {
		if (e & 1)
			v = gf_mul(v, p);
		p = gf_mul(p, p);
	}
	return v;
}

/*
 * x^-(8n) for the lengths of RoCE packets (an MTU of 4096 and headers),
 * made at the first packet that needs one: a packet then costs one
 * multiplication, not a dozen.
 */
#define UNSHIFT_MAX 4608
static uint32_t unshift_tab[UNSHIFT_MAX];
static pthread_once_t unshift_once = PTHREAD_ONCE_INIT;

static void unshift_init(void)
{
	uint32_t x8 = gf_unshift(GF_ONE, 1);
	size_t n;

	unshift_tab[0] = GF_ONE;
	for (n = 1; n < UNSHIFT_MAX; n++)
		unshift_tab[n] = gf_mul(unshift_tab[n - 1], x8);
}

static const uint32_t *unshift_table(void)
{
	pthread_once(&unshift_once, unshift_init);
	return unshift_tab;
}

/* What two bytes (big-endian @v) fed to a zero register leave in it. */
static uint32_t crc_of_be16(uint16_t v)
{
	uint32_t r = crc_table[0][v >> 8];

	return (r >> 8) ^ crc_table[0][(r ^ v) & 0xff];
}

/*
 * Whether @u is what some two bytes fed to a zero register leave in it:
 * the last byte's table entry is named by the top byte of @u, the first
 * one's by the next byte once that entry is taken off.
 */
static bool crc_two_bytes(uint32_t u)
{
	uint32_t k, b0, b1;

	k = crc_top_inv[u >> 24];
	b0 = crc_top_inv[((u ^ crc_table[0][k]) >> 16) & 0xff];
	b1 = (crc_table[0][b0] ^ k) & 0xff;
	return crc_of_be16((uint16_t)(b0 << 8 | b1)) == u;
}

bool uroce_icrc_check(const struct uroce_icrc_hdr *hdr, const struct iovec *iov,
		      int iovcnt, uint32_t icrc)
{
	struct uroce_icrc_hdr h;
	uint32_t d;
	size_t after = 0;
	int i;

	if (!hdr->any_ip_id || hdr->family != AF_INET)
		return uroce_icrc(hdr, iov, iovcnt) == icrc;
	h = *hdr;
	h.ip_id = 0;
	d = uroce_icrc(&h, iov, iovcnt) ^ icrc;
	if (!d)
		return true;
	/*
	 * The difference is what the ID's two bytes alone contribute, moved
	 * over the bytes after them: the rest of the IPv4 header, the UDP
	 * header and the packet.
	 */
	for (i = 0; i < iovcnt; i++)
		after += iov[i].iov_len;
	after += ICRC_IPV4_LEN - 6 + ICRC_UDP_LEN;
	return crc_two_bytes(after < UNSHIFT_MAX ?
				     gf_mul(d, unshift_table()[after]) :
				     gf_unshift(d, after));
}

uint32_t uroce_icrc_id_shift(size_t len)
{
	/* the bytes after the ID: the rest of the IPv4 and the UDP header */
	uint64_t e = (uint64_t)(len + ICRC_IPV4_LEN - 6 + ICRC_UDP_LEN) * 8;
	uint32_t v = GF_ONE;
	int k;

	for (k = 0; e; k++, e >>= 1)
		if (e & 1)
			v = gf_mul(v, gf_x_pow2[k]);
	return v;
}

uint32_t uroce_icrc_id_delta(uint16_t ip_id, uint32_t shift)
{
	return gf_mul(crc_of_be16(ip_id), shift);
}
