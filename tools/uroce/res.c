// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * uroce res [show] [ctx|pd|mr|cq|qp|srq|cm_id] [FILTERS]: the resources of
 * every uroce process of the caller's network namespace that its PID
 * namespace sees, as rdma resource shows the kernel's: the verbs objects
 * from the contexts' query endpoints, the CM IDs from librdmacm's. Without
 * an object, a summary per process and device. Text fields are rdma(8)'s
 * ("dev", "lqpn", "mrlen"); JSON keys too ("ifname" for the device).
 */
#include <stdio.h>
#include <string.h>

#include "tools/uroce/endpoint.h"
#include "tools/uroce/uroce.h"

struct res_obj {
	const char *name; /* the command word and the record's kind */
	void (*print)(struct uroce *u, const struct ep_proc *p,
		      const struct ep_rec *r);
	const struct ep_kind *kind; /* the endpoints that list it */
};

static void print_dev(struct uroce *u, const struct ep_proc *p,
		      const struct ep_rec *r)
{
	const char *dev = ep_dev(p, r);

	out_text(u, "dev %s", dev);
	out_json_str(u, "ifname", dev);
}

static void print_owner(struct uroce *u, const struct ep_proc *p)
{
	out_uint(u, "pid", p->pid);
	out_text(u, " comm %s", p->comm_text);
	out_json_str(u, "comm", p->comm);
}

/* Fields the record may lack (an older or newer endpoint) are left out. */
static void field_uint(struct uroce *u, const char *name,
		       const struct ep_rec *r, const char *key)
{
	if (ep_get(r, key))
		out_uint(u, name, ep_num(r, key));
}

static void field_hex(struct uroce *u, const char *name, const struct ep_rec *r,
		      const char *key)
{
	if (ep_get(r, key))
		out_hex(u, name, ep_num(r, key));
}

static void field_str(struct uroce *u, const char *name, const struct ep_rec *r,
		      const char *key)
{
	const char *v = ep_get(r, key);

	if (v && *v)
		out_str(u, name, v);
}

static void print_ctx(struct uroce *u, const struct ep_proc *p,
		      const struct ep_rec *r)
{
	field_uint(u, "ctxn", r, "id");
	field_str(u, "netdev", r, "netdev");
	print_owner(u, p);
}

static void print_pd(struct uroce *u, const struct ep_proc *p,
		     const struct ep_rec *r)
{
	field_uint(u, "pdn", r, "handle");
	field_uint(u, "users", r, "users");
	print_owner(u, p);
	if (u->details)
		field_uint(u, "ctxn", r, "ctx");
}

/* As ibv_reg_mr's access flags are spelled, without IBV_ACCESS_. */
static void print_access(struct uroce *u, uint64_t access)
{
	static const struct {
		uint64_t bit;
		const char *name;
	} flags[] = {
		{ IBV_ACCESS_LOCAL_WRITE, "LOCAL_WRITE" },
		{ IBV_ACCESS_REMOTE_WRITE, "REMOTE_WRITE" },
		{ IBV_ACCESS_REMOTE_READ, "REMOTE_READ" },
		{ IBV_ACCESS_REMOTE_ATOMIC, "REMOTE_ATOMIC" },
		{ IBV_ACCESS_MW_BIND, "MW_BIND" },
		{ IBV_ACCESS_ZERO_BASED, "ZERO_BASED" },
		{ IBV_ACCESS_ON_DEMAND, "ON_DEMAND" },
		{ IBV_ACCESS_HUGETLB, "HUGETLB" },
		{ IBV_ACCESS_RELAXED_ORDERING, "RELAXED_ORDERING" },
	};
	char rest[sizeof("0x") + 16];
	const char *sep = " ";
	size_t i;

	out_list_begin(u, "access");
	out_text(u, " access");
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if (!(access & flags[i].bit))
			continue;
		access &= ~flags[i].bit;
		out_text(u, "%s%s", sep, flags[i].name);
		if (u->json)
			json_str(&u->jw, flags[i].name);
		sep = ",";
	}
	/* bits nobody named, or none at all (local read only) */
	if (access || !strcmp(sep, " ")) {
		snprintf(rest, sizeof(rest), "0x%llx",
			 (unsigned long long)access);
		out_text(u, "%s%s", sep, rest);
		if (u->json && access)
			json_str(&u->jw, rest);
	}
	out_list_end(u);
}

static void print_mr(struct uroce *u, const struct ep_proc *p,
		     const struct ep_rec *r)
{
	field_uint(u, "mrlen", r, "len");
	field_hex(u, "lkey", r, "lkey");
	field_hex(u, "rkey", r, "rkey");
	field_uint(u, "pdn", r, "pd");
	print_owner(u, p);
	if (!u->details)
		return;
	field_hex(u, "addr", r, "addr");
	if (ep_get(r, "access"))
		print_access(u, ep_num(r, "access"));
}

static void print_cq(struct uroce *u, const struct ep_proc *p,
		     const struct ep_rec *r)
{
	field_uint(u, "cqn", r, "handle");
	field_uint(u, "cqe", r, "cqe");
	field_uint(u, "used", r, "used");
	print_owner(u, p);
	if (!u->details)
		return;
	field_uint(u, "overflows", r, "overflows");
	field_uint(u, "ctxn", r, "ctx");
}

static void print_srq(struct uroce *u, const struct ep_proc *p,
		      const struct ep_rec *r)
{
	field_uint(u, "srqn", r, "handle");
	field_uint(u, "pdn", r, "pd");
	field_uint(u, "max_wr", r, "max_wr");
	field_uint(u, "used", r, "used");
	field_uint(u, "limit", r, "limit");
	print_owner(u, p);
}

/* Whether the context of @r is on a LAG device: it lists members. */
static bool ctx_is_lag(const struct ep_proc *p, const struct ep_rec *r)
{
	const struct ep_rec *m;

	for (m = p->rec; m < p->rec + p->nrec; m++)
		if (!strcmp(m->kind, "member") &&
		    ep_num(m, "ctx") == ep_num(r, "ctx"))
			return true;
	return false;
}

static void print_qp(struct uroce *u, const struct ep_proc *p,
		     const struct ep_rec *r)
{
	field_uint(u, "lqpn", r, "qpn");
	field_str(u, "type", r, "type");
	field_str(u, "state", r, "state");
	field_uint(u, "rqpn", r, "dqpn");
	field_str(u, "dgid", r, "dgid");
	/* The member a LAG's QP sends by, which moves on failover. */
	if (ctx_is_lag(p, r))
		field_str(u, "member", r, "member");
	print_owner(u, p);
	if (!u->details)
		return;
	out_detail_line(u);
	field_uint(u, "sq-psn", r, "sq_psn");
	field_uint(u, "rq-psn", r, "rq_psn");
	field_uint(u, "mtu", r, "mtu");
	field_uint(u, "pdn", r, "pd");
	field_uint(u, "scqn", r, "scq");
	field_uint(u, "rcqn", r, "rcq");
	if (ep_num(r, "srq"))
		field_uint(u, "srqn", r, "srq");
	field_uint(u, "dport", r, "dport");
	if (!ctx_is_lag(p, r))
		field_str(u, "member", r, "member");
	out_detail_line(u);
	print_counters(u, r);
}

/* Numbers rdma res show cm_id leaves out when they are 0. */
static void field_set(struct uroce *u, const char *name, const struct ep_rec *r,
		      const char *key, bool hex)
{
	uint64_t v = ep_num(r, key);

	if (v && hex)
		out_hex(u, name, v);
	else if (v)
		out_uint(u, name, v);
}

static void print_cm_id(struct uroce *u, const struct ep_proc *p,
			const struct ep_rec *r)
{
	out_hex(u, "cm-idn", ep_num(r, "id"));
	field_str(u, "state", r, "state");
	field_str(u, "ps", r, "ps");
	field_str(u, "qp-type", r, "qp_type");
	field_str(u, "src-addr", r, "src");
	field_str(u, "dst-addr", r, "dst");
	field_set(u, "lqpn", r, "lqpn", false);
	field_set(u, "rqpn", r, "rqpn", false);
	field_set(u, "rid", r, "rid", true);
	/* flags: 1 when set */
	if (ep_num(r, "listen"))
		out_uint(u, "listen", 1);
	if (ep_num(r, "destroyed"))
		out_uint(u, "destroyed", 1);
	print_owner(u, p);
}

/* Order decides abbreviations: "uroce res c" is cq, as in rdma(8). */
static const struct res_obj objs[] = {
	{ .name = "qp", .print = print_qp, .kind = &ep_verbs },
	{ .name = "cq", .print = print_cq, .kind = &ep_verbs },
	{ .name = "mr", .print = print_mr, .kind = &ep_verbs },
	{ .name = "pd", .print = print_pd, .kind = &ep_verbs },
	{ .name = "ctx", .print = print_ctx, .kind = &ep_verbs },
	{ .name = "srq", .print = print_srq, .kind = &ep_verbs },
	{ .name = "cm_id", .print = print_cm_id, .kind = &ep_cm },
	{},
};

static void show_obj(struct uroce *u, const struct ep_list *l,
		     const struct res_obj *o, const struct ep_filter *f)
{
	const struct ep_proc *p;
	const struct ep_rec *r;
	unsigned int i, j;

	for (i = 0; i < l->n; i++) {
		p = &l->p[i];
		for (j = 0; j < p->nrec; j++) {
			r = &p->rec[j];
			if (strcmp(r->kind, o->name) ||
			    !ep_filter_match(f, p, r))
				continue;
			out_begin(u);
			print_dev(u, p, r);
			o->print(u, p, r);
			out_end(u);
		}
	}
}

/* What the summary counts, in rdma res show's order (ctx before srq). */
static const char *const counted[] = { "pd", "cq", "qp", "mr", "srq" };
#define NCOUNTED (sizeof(counted) / sizeof(counted[0]))

/* Adds the resources of context id to n, by counted's kinds. */
static void count_ctx(const struct ep_proc *p, const char *id, unsigned int *n)
{
	const struct ep_rec *r;
	const char *ctx;
	unsigned int k;

	for (r = p->rec; r < p->rec + p->nrec; r++) {
		ctx = ep_get(r, "ctx");
		if (!ctx || strcmp(ctx, id))
			continue;
		for (k = 0; k < NCOUNTED; k++)
			if (!strcmp(r->kind, counted[k]))
				n[k]++;
	}
}

static bool is_ctx_of(const struct ep_proc *p, const struct ep_rec *r,
		      const char *dev)
{
	return !strcmp(r->kind, "ctx") && ep_get(r, "id") &&
	       !strcmp(ep_dev(p, r), dev);
}

/* One line for p's contexts of the device of ctx, its first of them. */
static void summarize(struct uroce *u, const struct ep_proc *p,
		      const struct ep_rec *ctx)
{
	const char *dev = ep_dev(p, ctx);
	unsigned int n[NCOUNTED] = {}, nctx = 0, k;
	const struct ep_rec *r;

	for (r = ctx; r < p->rec + p->nrec; r++) {
		if (!is_ctx_of(p, r, dev))
			continue;
		nctx++;
		count_ctx(p, ep_get(r, "id"), n);
	}
	out_begin(u);
	print_dev(u, p, ctx);
	print_owner(u, p);
	for (k = 0; k < NCOUNTED; k++) {
		if (!strcmp(counted[k], "srq"))
			out_uint(u, "ctx", nctx);
		out_uint(u, counted[k], n[k]);
	}
	out_end(u);
}

/*
 * One line per process and device, as rdma res show has one per device:
 * a process's contexts of one device are added up.
 */
static void show_summary(struct uroce *u, const struct ep_list *l,
			 const struct ep_filter *f)
{
	const struct ep_proc *p;
	const struct ep_rec *r, *q;

	for (p = l->p; p < l->p + l->n; p++) {
		for (r = p->rec; r < p->rec + p->nrec; r++) {
			if (!is_ctx_of(p, r, ep_dev(p, r)) ||
			    !ep_filter_match(f, p, r))
				continue;
			for (q = p->rec; q < r; q++)
				if (is_ctx_of(p, q, ep_dev(p, r)))
					break;
			if (q == r)
				summarize(u, p, r);
		}
	}
}

static int res_help(void)
{
	printf("Usage: uroce res [ show ] [ OBJECT ] [ FILTER ... ]\n"
	       "       uroce res help\n"
	       "where  OBJECT := { qp | cq | mr | pd | ctx | srq | cm_id }\n"
	       "       FILTER := { dev DEV | pid PID | qpn QPN }\n"
	       "\n"
	       "Shows the resources of every uroce process in the caller's\n"
	       "network namespace whose PID the caller's PID namespace sees\n"
	       "and that the caller may inspect (same user, or\n"
	       "CAP_SYS_ADMIN), with PIDs as the caller's PID namespace\n"
	       "numbers them. Without an OBJECT, one line per process and\n"
	       "device: its counts of PDs, CQs, QPs, MRs, contexts and SRQs.\n"
	       "qpn applies to qp only. With -d: qp adds PSNs, MTU, PD, CQs\n"
	       "and counters; mr the address and access flags; cq its\n"
	       "overflows.\n");
	return 0;
}

int do_res(struct uroce *u, int argc, char **argv)
{
	const struct res_obj *o = NULL;
	struct ep_filter f;
	struct ep_list l;
	int ret;

	if (argc && (matches(argv[0], "show") || matches(argv[0], "list"))) {
		argc--;
		argv++;
	}
	if (argc && matches(argv[0], "help"))
		return res_help();
	for (o = argc ? objs : NULL; o && o->name; o++)
		if (matches(argv[0], o->name))
			break;
	if (o && o->name) {
		argc--;
		argv++;
	} else {
		o = NULL;
	}
	ret = ep_filter_parse(&f, argc, argv, "res",
			      o && !strcmp(o->name, "qp"));
	if (ret)
		return ret;
	if (ep_collect(&l, o ? o->kind : &ep_verbs))
		return 1;
	if (u->json)
		json_begin_array(&u->jw);
	if (o)
		show_obj(u, &l, o, &f);
	else
		show_summary(u, &l, &f);
	if (u->json)
		json_end_array(&u->jw);
	ep_list_free(&l);
	return 0;
}
