// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * uroce stat [show] [dev|qp] [FILTERS]: the counters of every uroce
 * process of the caller's network namespace that its PID namespace sees,
 * as rdma statistic shows a device's. dev: one entry per device, summed
 * over every context of it; qp: one entry per QP with its owner. A LAG
 * device adds its members' packets and bytes (member records).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/uroce/endpoint.h"
#include "tools/uroce/uroce.h"

#define DROP_PREFIX "drop_"

/*
 * The counters of util/endpoint.h in the order shown; line: the first of
 * a group, which text starts on a line of its own. drop_<reason> follow
 * drops, in the endpoint's order. Other keys are not counters we know.
 */
static const struct {
	const char *name;
	bool line;
} counters[] = {
	{ "tx_pkts", false },	    { "tx_bytes", false },
	{ "rx_pkts", false },	    { "rx_bytes", false },
	{ "retrans", true },	    { "retrans_pkts", false },
	{ "timeouts", false },	    { "dup_reqs", false },
	{ "seq_naks_sent", true },  { "seq_naks_rcvd", false },
	{ "rnr_naks_sent", false }, { "rnr_naks_rcvd", false },
	{ "err_naks_sent", false }, { "err_naks_rcvd", false },
	{ "drops", true },	    { "tx_errors", true },
	{ "cq_overflows", false },  { "fault_drop", false },
	{ "fault_dup", false },	    { "fault_reorder", false },
};
#define NCOUNTERS (sizeof(counters) / sizeof(counters[0]))

/* Named counters; names point into the replies. */
struct cset {
	struct {
		const char *name;
		uint64_t val;
	} * c;
	unsigned int n, cap;
};

static bool is_counter(const char *key)
{
	unsigned int i;

	if (!strncmp(key, DROP_PREFIX, strlen(DROP_PREFIX)))
		return true;
	for (i = 0; i < NCOUNTERS; i++)
		if (!strcmp(key, counters[i].name))
			return true;
	return false;
}

static int cset_find(const struct cset *s, const char *name)
{
	unsigned int i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->c[i].name, name))
			return i;
	return -1;
}

/* Adds r's counters to s. Returns 0 or -ENOMEM. */
static int cset_add(struct cset *s, const struct ep_rec *r)
{
	unsigned int i;
	void *p;
	int k;

	for (i = 0; i < r->nkv; i++) {
		if (!is_counter(r->kv[i].key))
			continue;
		k = cset_find(s, r->kv[i].key);
		if (k < 0) {
			if (s->n == s->cap) {
				s->cap = s->cap ? 2 * s->cap : 64;
				p = realloc(s->c, s->cap * sizeof(*s->c));
				if (!p)
					return -ENOMEM;
				s->c = p;
			}
			k = s->n++;
			s->c[k].name = r->kv[i].key;
			s->c[k].val = 0;
		}
		s->c[k].val += ep_num(r, r->kv[i].key);
	}
	return 0;
}

static void print_cset(struct uroce *u, const struct cset *s)
{
	unsigned int i, j;
	int k;

	for (i = 0; i < NCOUNTERS; i++) {
		k = cset_find(s, counters[i].name);
		if (k < 0)
			continue;
		if (counters[i].line)
			out_detail_line(u);
		out_uint(u, s->c[k].name, s->c[k].val);
		if (strcmp(counters[i].name, "drops"))
			continue;
		/* Text lists the reasons that occurred; -d and JSON all. */
		for (j = 0; j < s->n; j++)
			if (!strncmp(s->c[j].name, DROP_PREFIX,
				     strlen(DROP_PREFIX)) &&
			    (s->c[j].val || u->json || u->details))
				out_uint(u, s->c[j].name, s->c[j].val);
	}
}

void print_counters(struct uroce *u, const struct ep_rec *r)
{
	struct cset s = {};

	if (cset_add(&s, r))
		fprintf(stderr, "uroce: %s\n", strerror(ENOMEM));
	print_cset(u, &s);
	free(s.c);
}

static void show_qps(struct uroce *u, const struct ep_list *l,
		     const struct ep_filter *f)
{
	const struct ep_proc *p;
	const struct ep_rec *r;
	const char *dev;

	for (p = l->p; p < l->p + l->n; p++) {
		for (r = p->rec; r < p->rec + p->nrec; r++) {
			if (strcmp(r->kind, "qp") || !ep_filter_match(f, p, r))
				continue;
			dev = ep_dev(p, r);
			out_begin(u);
			out_text(u, "dev %s", dev);
			out_json_str(u, "ifname", dev);
			out_uint(u, "lqpn", ep_num(r, "qpn"));
			if (ep_get(r, "type"))
				out_str(u, "type", ep_get(r, "type"));
			out_uint(u, "pid", p->pid);
			out_text(u, " comm %s", p->comm_text);
			out_json_str(u, "comm", p->comm);
			print_counters(u, r);
			out_end(u);
		}
	}
}

struct dev_sum {
	const char *dev;
	unsigned int procs, ctxs;
	pid_t last_pid;
	struct cset s;
};

/* Sums the stat records of each device, in the order first seen. */
static int sum_devs(const struct ep_list *l, const struct ep_filter *f,
		    struct dev_sum **out, unsigned int *n)
{
	struct dev_sum *d = NULL, *grown;
	const struct ep_proc *p;
	const struct ep_rec *r;
	unsigned int i;

	*n = 0;
	for (p = l->p; p < l->p + l->n; p++) {
		for (r = p->rec; r < p->rec + p->nrec; r++) {
			if (strcmp(r->kind, "stat") ||
			    !ep_filter_match(f, p, r))
				continue;
			for (i = 0; i < *n; i++)
				if (!strcmp(d[i].dev, ep_dev(p, r)))
					break;
			if (i == *n) {
				grown = realloc(d, (*n + 1) * sizeof(*d));
				if (!grown)
					goto nomem;
				d = grown;
				memset(&d[i], 0, sizeof(*d));
				d[i].dev = ep_dev(p, r);
				(*n)++;
			}
			d[i].ctxs++;
			if (d[i].last_pid != p->pid)
				d[i].procs++;
			d[i].last_pid = p->pid;
			if (cset_add(&d[i].s, r))
				goto nomem;
		}
	}
	*out = d;
	return 0;
nomem:
	for (i = 0; i < *n; i++)
		free(d[i].s.c);
	free(d);
	return -ENOMEM;
}

/* A LAG member's counters, as the member records name them. */
static const char *const member_counters[] = {
	"tx_pkts", "tx_bytes", "rx_pkts", "rx_bytes", "failovers", "blackholes",
};
#define NMEMBER_COUNTERS (sizeof(member_counters) / sizeof(member_counters[0]))
#define MAX_MEMBERS 8

/* The members of @dev, each summed over every context (as devices are). */
static void print_members(struct uroce *u, const struct ep_list *l,
			  const struct ep_filter *f, const char *dev)
{
	struct {
		const char *ifname;
		uint64_t c[NMEMBER_COUNTERS];
	} m[MAX_MEMBERS];
	const struct ep_proc *p;
	const struct ep_rec *r;
	unsigned int n = 0, i, k;
	const char *ifname;

	for (p = l->p; p < l->p + l->n; p++) {
		for (r = p->rec; r < p->rec + p->nrec; r++) {
			ifname = ep_get(r, "ifname");
			if (strcmp(r->kind, "member") || !ifname ||
			    strcmp(ep_dev(p, r), dev) ||
			    !ep_filter_match(f, p, r))
				continue;
			for (i = 0; i < n && strcmp(m[i].ifname, ifname); i++)
				;
			if (i == n) {
				if (n == MAX_MEMBERS)
					continue;
				memset(&m[n], 0, sizeof(m[n]));
				m[n++].ifname = ifname;
			}
			for (k = 0; k < NMEMBER_COUNTERS; k++)
				m[i].c[k] += ep_num(r, member_counters[k]);
		}
	}
	if (!n)
		return;
	out_list_begin(u, "members");
	for (i = 0; i < n; i++) {
		if (u->json) {
			json_begin_object(&u->jw);
			json_kv_str(&u->jw, "ifname", m[i].ifname);
		} else {
			printf("\n    member %s", m[i].ifname);
		}
		for (k = 0; k < NMEMBER_COUNTERS; k++)
			out_uint(u, member_counters[k], m[i].c[k]);
		if (u->json)
			json_end_object(&u->jw);
	}
	out_list_end(u);
}

static int show_devs(struct uroce *u, const struct ep_list *l,
		     const struct ep_filter *f)
{
	struct dev_sum *d;
	unsigned int n, i;

	if (sum_devs(l, f, &d, &n)) {
		fprintf(stderr, "uroce: %s\n", strerror(ENOMEM));
		return 1;
	}
	for (i = 0; i < n; i++) {
		out_begin(u);
		out_text(u, "dev %s", d[i].dev);
		out_json_str(u, "ifname", d[i].dev);
		out_uint(u, "processes", d[i].procs);
		out_uint(u, "contexts", d[i].ctxs);
		print_cset(u, &d[i].s);
		print_members(u, l, f, d[i].dev);
		out_end(u);
		free(d[i].s.c);
	}
	free(d);
	return 0;
}

static int stat_help(void)
{
	printf("Usage: uroce stat [ show ] [ dev | qp ] [ FILTER ... ]\n"
	       "       uroce stat help\n"
	       "where  FILTER := { dev DEV | pid PID | qpn QPN }\n"
	       "\n"
	       "Shows the counters of the uroce processes that uroce res\n"
	       "shows. dev (the default): one entry per device, summed over\n"
	       "every context of it (destroyed QPs included), with how many\n"
	       "processes and contexts were summed. qp: one entry per QP with\n"
	       "its PID and command; qpn applies to qp only. Counters: UDP\n"
	       "packets and bytes sent (retransmissions included) and\n"
	       "received, requester rewinds (retrans) and the packets they\n"
	       "resent (retrans_pkts), timeouts, duplicate requests, NAKs\n"
	       "sent and received by kind, packets dropped (drops) and why\n"
	       "(drop_<reason>: those that occurred, or all with -d or -j);\n"
	       "for devices also send errors, CQ overflows and injected\n"
	       "faults (UROCE_FAULT), and for a LAG device each member's\n"
	       "packets and bytes sent and received, QPs moved away from it\n"
	       "(failovers) and black holes suspected on it.\n");
	return 0;
}

int do_stat(struct uroce *u, int argc, char **argv)
{
	struct ep_filter f;
	struct ep_list l;
	bool qp = false;
	int ret;

	if (argc && (matches(argv[0], "show") || matches(argv[0], "list"))) {
		argc--;
		argv++;
	}
	if (argc && matches(argv[0], "help"))
		return stat_help();
	/* "dev X" alone is a filter; "dev", "dev show", "dev dev X" not */
	if (argc && (!strcmp(argv[0], "qp") ||
		     (!strcmp(argv[0], "dev") &&
		      (argc % 2 || matches(argv[1], "show"))))) {
		qp = !strcmp(argv[0], "qp");
		argc--;
		argv++;
		/* rdma statistic qp show */
		if (argc && matches(argv[0], "show")) {
			argc--;
			argv++;
		}
	}
	ret = ep_filter_parse(&f, argc, argv, "stat", qp);
	if (ret)
		return ret;
	if (ep_collect(&l, &ep_verbs))
		return 1;
	if (u->json)
		json_begin_array(&u->jw);
	if (qp)
		show_qps(u, &l, &f);
	else
		ret = show_devs(u, &l, &f);
	if (u->json)
		json_end_array(&u->jw);
	ep_list_free(&l);
	return ret;
}
