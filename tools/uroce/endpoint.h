/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The client side of the query endpoints, the provider's (util/endpoint.h)
 * and librdmacm's (util/cm_endpoint.h), which share a protocol: finds the
 * endpoints of the caller's network namespace, reads each reply and
 * parses it into records. Also the filters that uroce res and uroce stat
 * share (dev NAME, pid N, qpn N).
 */
#ifndef UROCE_TOOLS_ENDPOINT_H
#define UROCE_TOOLS_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* One key=value; both point into the reply, the value unescaped. */
struct ep_kv {
	const char *key;
	const char *val;
};

/* One line of a reply: "kind key=value ...". */
struct ep_rec {
	const char *kind;
	struct ep_kv *kv;
	unsigned int nkv;
};

/* The reply of one context's endpoint. */
struct ep_proc {
	pid_t pid; /* SO_PEERCRED's: as the caller's PID namespace sees it */
	const char *comm; /* as the endpoint sent it, "" if it did not */
	char *comm_text; /* the same with control characters as '?' */
	struct ep_rec *rec;
	unsigned int nrec;
	char *buf; /* the reply, which the records point into */
	struct ep_kv *kvs; /* every record's pairs */
};

struct ep_list {
	struct ep_proc *p; /* sorted by pid */
	unsigned int n;
};

/* Which endpoints: their name prefix, and their header line's kind. */
struct ep_kind {
	const char *prefix;
	const char *header;
	int version;
};

extern const struct ep_kind ep_verbs; /* every uroce context's */
extern const struct ep_kind ep_cm; /* every librdmacm process's */

/*
 * Reads every endpoint of kind k in the caller's network namespace whose
 * owner the caller's PID namespace sees and that answers the caller.
 * Endpoints that answer badly are skipped with a warning. Returns 0 or a
 * negative errno (with a message) if none can be listed.
 */
int ep_collect(struct ep_list *l, const struct ep_kind *k);
void ep_list_free(struct ep_list *l);

/*
 * Parses a reply of len bytes (NUL-terminated, modified in place) into p,
 * which then owns buf. Returns NULL, or why the reply is refused (not
 * k's header, another version, no "end" line: truncated).
 */
const char *ep_parse(char *buf, size_t len, const struct ep_kind *k,
		     struct ep_proc *p);
void ep_proc_free(struct ep_proc *p);

/* The value of key in r, or NULL. */
const char *ep_get(const struct ep_rec *r, const char *key);
/* The value of key as a number (decimal or 0x hex), 0 if absent or bad. */
uint64_t ep_num(const struct ep_rec *r, const char *key);
/* The device of r: its dev=, else that of the ctx it names; "-" if none. */
const char *ep_dev(const struct ep_proc *p, const struct ep_rec *r);

struct ep_filter {
	const char *dev;
	pid_t pid; /* 0: any */
	bool has_qpn;
	uint32_t qpn;
};

/*
 * Parses "dev NAME", "pid N" and (with qpn) "qpn N" / "lqpn N" pairs.
 * Returns 0, or 1 (the exit code) after a message naming object's help.
 */
int ep_filter_parse(struct ep_filter *f, int argc, char **argv,
		    const char *object, bool qpn);
/* Does r of p pass f? (qpn applies to records that carry one.) */
bool ep_filter_match(const struct ep_filter *f, const struct ep_proc *p,
		     const struct ep_rec *r);

#endif /* UROCE_TOOLS_ENDPOINT_H */
