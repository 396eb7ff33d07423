// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "util/qpn_steer.h"

/* Offsets in the UDP payload (see qpn_steer.h). */
#define MIN_LEN 16 /* BTH and ICRC */
#define OFF_DQPN_WORD 4
#define OFF_MGMT_CLASS 21
#define OFF_ATTR_ID 36
#define OFF_LOCAL_COMM_ID 44
#define OFF_REMOTE_COMM_ID 48
#define OFF_SERVICE_ID 52
#define GSI_MIN_LEN (OFF_SERVICE_ID + 8)

#define GSI_QPN 1
#define OP_UD_SEND_ONLY 0x64
#define MGMT_CLASS_CM 0x07
#define CM_ATTR_REQ 0x0010
#define CM_ATTR_SIDR_REQ 0x0017
#define CM_ATTR_SIDR_REP 0x0018

/* cBPF conditional jumps reach 255 instructions; BPF_JA beyond. */
#define JMP_MAX 255

struct prog {
	struct sock_filter *insns;
	size_t n;
	size_t max;
};

/* The key space [0, 2^32) cut into runs that return one value each. */
struct seg {
	uint32_t start;
	uint32_t value;
};

static void emit(struct prog *p, uint16_t code, uint8_t jt, uint8_t jf,
		 uint32_t k)
{
	if (p->n < p->max)
		p->insns[p->n] = (struct sock_filter){ code, jt, jf, k };
	p->n++;
}

/* Emits a BPF_JA whose target land() sets later. */
static size_t jump_fwd(struct prog *p)
{
	emit(p, BPF_JMP | BPF_JA, 0, 0, 0);
	return p->n - 1;
}

static void land(struct prog *p, size_t from)
{
	if (p->n <= p->max)
		p->insns[from].k = (uint32_t)(p->n - from - 1);
}

/* Returns the number of runs written to @s (room for 2 * @n + 1) or -EINVAL. */
static long make_segs(const struct qpn_steer_range *r, size_t n, uint32_t miss,
		      struct seg *s)
{
	uint64_t next = 0;
	size_t i, m = 0;

	for (i = 0; i < n; i++) {
		if (r[i].lo > r[i].hi || r[i].lo < next)
			return -EINVAL;
		if (r[i].lo > next)
			s[m++] = (struct seg){ (uint32_t)next, miss };
		if (m && s[m - 1].value == r[i].index)
			; /* adjacent range of the same owner: one run */
		else
			s[m++] = (struct seg){ r[i].lo, r[i].index };
		next = (uint64_t)r[i].hi + 1;
	}
	if (next <= UINT32_MAX && !(m && s[m - 1].value == miss))
		s[m++] = (struct seg){ (uint32_t)next, miss };
	return (long)m;
}

static size_t tree_size(size_t m)
{
	size_t left;

	if (m == 1)
		return 1;
	left = tree_size(m / 2);
	return 1 + (left > JMP_MAX) + left + tree_size(m - m / 2);
}

/* Binary search over the runs' starts for the key in A. */
static void emit_tree(struct prog *p, const struct seg *s, size_t m)
{
	size_t half = m / 2, left;

	if (m == 1) {
		emit(p, BPF_RET | BPF_K, 0, 0, s[0].value);
		return;
	}
	left = tree_size(half);
	if (left > JMP_MAX) {
		emit(p, BPF_JMP | BPF_JGE | BPF_K, 0, 1, s[half].start);
		emit(p, BPF_JMP | BPF_JA, 0, 0, (uint32_t)left);
	} else {
		emit(p, BPF_JMP | BPF_JGE | BPF_K, (uint8_t)left, 0,
		     s[half].start);
	}
	emit_tree(p, s, half);
	emit_tree(p, s + half, m - half);
}

static int emit_table(struct prog *p, const struct qpn_steer_range *r, size_t n,
		      uint32_t miss)
{
	struct seg *s;
	long m;

	if (n > BPF_MAXINSNS)
		return -E2BIG;
	s = malloc((2 * n + 1) * sizeof(*s));
	if (!s)
		return -ENOMEM;
	m = make_segs(r, n, miss, s);
	if (m > 0)
		emit_tree(p, s, (size_t)m);
	free(s);
	return m < 0 ? (int)m : 0;
}

/* REQ and SIDR_REQ: compare the 64-bit service ID with each listener's. */
static void emit_services(struct prog *p, const struct qpn_steer_map *map)
{
	size_t i;

	for (i = 0; i < map->nr_svc; i++) {
		const struct qpn_steer_svc *svc = &map->svc[i];

		emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, OFF_SERVICE_ID);
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 3,
		     (uint32_t)(svc->service_id >> 32));
		emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, OFF_SERVICE_ID + 4);
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1,
		     (uint32_t)svc->service_id);
		emit(p, BPF_RET | BPF_K, 0, 0, svc->index);
	}
	emit(p, BPF_RET | BPF_K, 0, 0, map->gsi);
}

static int emit_gsi(struct prog *p, const struct qpn_steer_map *map)
{
	size_t to_svc[2], to_comm;
	int ret;

	emit(p, BPF_LD | BPF_W | BPF_LEN, 0, 0, 0);
	emit(p, BPF_JMP | BPF_JGE | BPF_K, 1, 0, GSI_MIN_LEN);
	emit(p, BPF_RET | BPF_K, 0, 0, map->gsi);
	emit(p, BPF_LD | BPF_B | BPF_ABS, 0, 0, 0);
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, OP_UD_SEND_ONLY);
	emit(p, BPF_RET | BPF_K, 0, 0, map->gsi);
	emit(p, BPF_LD | BPF_B | BPF_ABS, 0, 0, OFF_MGMT_CLASS);
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, MGMT_CLASS_CM);
	emit(p, BPF_RET | BPF_K, 0, 0, map->gsi);
	emit(p, BPF_LD | BPF_H | BPF_ABS, 0, 0, OFF_ATTR_ID);
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, CM_ATTR_REQ);
	to_svc[0] = jump_fwd(p);
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, CM_ATTR_SIDR_REQ);
	to_svc[1] = jump_fwd(p);
	/* SIDR_REP echoes the requester's ID; the rest name ours second. */
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 2, CM_ATTR_SIDR_REP);
	emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, OFF_LOCAL_COMM_ID);
	to_comm = jump_fwd(p);
	emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, OFF_REMOTE_COMM_ID);
	land(p, to_comm);
	ret = emit_table(p, map->comm_id, map->nr_comm_id, map->gsi);
	if (ret)
		return ret;
	land(p, to_svc[0]);
	land(p, to_svc[1]);
	emit_services(p, map);
	return 0;
}

int qpn_steer_build(const struct qpn_steer_map *map, struct sock_filter *insns,
		    size_t max)
{
	struct prog p = { insns, 0, max < BPF_MAXINSNS ? max : BPF_MAXINSNS };
	size_t to_gsi;
	int ret;

	emit(&p, BPF_LD | BPF_W | BPF_LEN, 0, 0, 0);
	emit(&p, BPF_JMP | BPF_JGE | BPF_K, 1, 0, MIN_LEN);
	emit(&p, BPF_RET | BPF_K, 0, 0, map->miss);
	if (map->probe) {
		emit(&p, BPF_LD | BPF_W | BPF_ABS, 0, 0, 0);
		emit(&p, BPF_JMP | BPF_JEQ | BPF_K, 0, 2,
		     QPN_STEER_PROBE_MAGIC);
		emit(&p, BPF_LD | BPF_W | BPF_ABS, 0, 0, 4);
		emit(&p, BPF_RET | BPF_A, 0, 0, 0);
	}
	emit(&p, BPF_LD | BPF_W | BPF_ABS, 0, 0, OFF_DQPN_WORD);
	emit(&p, BPF_ALU | BPF_AND | BPF_K, 0, 0, 0xffffff);
	emit(&p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, GSI_QPN);
	to_gsi = jump_fwd(&p);
	ret = emit_table(&p, map->qpn, map->nr_qpn, map->miss);
	if (ret)
		return ret;
	land(&p, to_gsi);
	ret = emit_gsi(&p, map);
	if (ret)
		return ret;
	return p.n > p.max ? -E2BIG : (int)p.n;
}

int qpn_steer_attach(int fd, const struct sock_filter *insns, size_t count)
{
	struct sock_fprog prog;

	if (!count || count > BPF_MAXINSNS)
		return -EINVAL;
	/* The struct's padding goes to the kernel too. */
	memset(&prog, 0, sizeof(prog));
	prog.len = (unsigned short)count;
	prog.filter = (struct sock_filter *)insns;
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog,
		       sizeof(prog)))
		return -errno;
	return 0;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

void qpn_steer_probe_make(uint8_t *buf, uint32_t index, uint64_t nonce)
{
	put_be32(buf, QPN_STEER_PROBE_MAGIC);
	put_be32(buf + 4, index);
	put_be32(buf + 8, (uint32_t)(nonce >> 32));
	put_be32(buf + 12, (uint32_t)nonce);
}

bool qpn_steer_probe_parse(const uint8_t *buf, size_t len, uint32_t *index,
			   uint64_t *nonce)
{
	if (len != QPN_STEER_PROBE_LEN ||
	    get_be32(buf) != QPN_STEER_PROBE_MAGIC)
		return false;
	*index = get_be32(buf + 4);
	*nonce = (uint64_t)get_be32(buf + 8) << 32 | get_be32(buf + 12);
	return true;
}
