// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Which sockets become rsockets: rdma-core's preload_config format, one
 * rule a line,
 *
 *	program domain type protocol	# e.g. "iperf3 INET STREAM TCP"
 *
 * with '*' for any, domain INET, INET6 or IB, type STREAM or DGRAM,
 * protocol TCP or UDP (the AF_, PF_, SOCK_ and IPPROTO_ spellings too),
 * and program a case-insensitive prefix of the program's name. '#'
 * starts a comment line. A socket is taken over when a rule matches it.
 *
 * Without a file (or without a valid rule), only IPv4 and IPv6 stream
 * sockets are taken over: a datagram has no connection set-up at which a
 * peer that is not on uroce could be noticed, so UDP over rsockets is
 * opt-in ("* * DGRAM *"). The file is /etc/rdma/rsocket/preload_config,
 * or UROCE_RSPRELOAD_CONFIG's path.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rspreload/shim.h"
#include "util/log.h"

#ifndef AF_IB
#define AF_IB 27
#endif

#define CONFIG_PATH "/etc/rdma/rsocket/preload_config"
#define MAX_RULES 64

struct rule {
	char prog[64]; /* empty: any */
	int domain, type, protocol; /* 0: any */
};

static struct rule rules[MAX_RULES];
static int nr_rules;

struct name {
	const char *name;
	int value;
};

static const struct name domains[] = { { "INET", AF_INET },
				       { "INET6", AF_INET6 },
				       { "IB", AF_IB },
				       {} };
static const struct name types[] = { { "STREAM", SOCK_STREAM },
				     { "DGRAM", SOCK_DGRAM },
				     {} };
static const struct name protos[] = { { "TCP", IPPROTO_TCP },
				      { "UDP", IPPROTO_UDP },
				      {} };

/* @word, '*' (0) or a name of @names with or without its C prefix. */
static int parse_field(const char *word, const struct name *names, int *out)
{
	static const char *const pfx[] = { "AF_", "PF_", "SOCK_", "IPPROTO_" };
	size_t i;

	*out = 0;
	if (!strcmp(word, "*"))
		return 0;
	for (i = 0; i < sizeof(pfx) / sizeof(pfx[0]); i++)
		if (!strncasecmp(word, pfx[i], strlen(pfx[i]))) {
			word += strlen(pfx[i]);
			break;
		}
	for (; names->name; names++)
		if (!strcasecmp(word, names->name)) {
			*out = names->value;
			return 0;
		}
	return -1;
}

static void parse_line(const char *line)
{
	char prog[64], dom[32], type[32], proto[32];
	struct rule *r = &rules[nr_rules];

	if (line[0] == '#' ||
	    sscanf(line, "%63s %31s %31s %31s", prog, dom, type, proto) != 4)
		return;
	if (parse_field(dom, domains, &r->domain) ||
	    parse_field(type, types, &r->type) ||
	    parse_field(proto, protos, &r->protocol)) {
		uroce_warn("rspreload: ignoring config line: %s", line);
		return;
	}
	if (strcmp(prog, "*"))
		memcpy(r->prog, prog, sizeof(r->prog));
	else
		r->prog[0] = '\0';
	nr_rules++;
}

void config_load(void)
{
	const char *path = getenv("UROCE_RSPRELOAD_CONFIG");
	char line[256];
	FILE *f;

	f = fopen(path && *path ? path : CONFIG_PATH, "re");
	if (!f)
		return;
	while (nr_rules < MAX_RULES && fgets(line, sizeof(line), f))
		parse_line(line);
	fclose(f);
}

bool config_intercept(int domain, int type, int protocol)
{
	const struct rule *r;

	if (domain != AF_INET && domain != AF_INET6 && domain != AF_IB)
		return false;
	if (type != SOCK_STREAM && type != SOCK_DGRAM)
		return false;
	if (!protocol)
		protocol = type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
	if (!nr_rules)
		return type == SOCK_STREAM && protocol == IPPROTO_TCP &&
		       domain != AF_IB;
	for (r = rules; r < rules + nr_rules; r++)
		if ((!r->prog[0] ||
		     !strncasecmp(r->prog, program_invocation_short_name,
				  strlen(r->prog))) &&
		    (!r->domain || r->domain == domain) &&
		    (!r->type || r->type == type) &&
		    (!r->protocol || r->protocol == protocol))
			return true;
	return false;
}
