// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * uroce link [show [DEV[/PORT]]]: one line per port, as rdma link shows
 * them, plus what a namespaced software device adds: the network
 * namespace, the active MTU and the speed. -d adds port attributes and
 * the GIDs with their netdevs. A LAG device also shows its members, with
 * their state and how many QPs of the namespace's processes use each,
 * from the query endpoints (util/endpoint.h) of the contexts open on it,
 * this command's own included.
 *
 * uroce link add NAME lag IF1,IF2[,...]: adds a LAG to uroce.conf.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tools/common/format.h"
#include "tools/common/names.h"
#include "tools/common/netns.h"
#include "tools/common/query.h"
#include "tools/uroce/endpoint.h"
#include "tools/uroce/uroce.h"
#include "util/conf_names.h"

struct link_filter {
	unsigned int port; /* 0: every port */
	const char *netns; /* the caller's, the same for every port */
};

static int print_gids(struct uroce *u, struct ibv_context *ctx, uint8_t port)
{
	struct port_gid *g;
	const char *type;
	ssize_t n, i;

	n = query_port_gids(ctx, port, &g);
	if (n < 0) {
		fprintf(stderr, "uroce: cannot query the GIDs of %s: %s\n",
			ibv_get_device_name(ctx->device), strerror(-n));
		return 1;
	}
	out_list_begin(u, "gids");
	for (i = 0; i < n; i++) {
		type = gid_type_name(g[i].entry.gid_type);
		if (!u->json) {
			printf("\n    gid %u %s type %s netdev %s",
			       g[i].entry.gid_index, g[i].gid, type,
			       g[i].netdev[0] ? g[i].netdev : "-");
			continue;
		}
		json_begin_object(&u->jw);
		json_kv_uint(&u->jw, "index", g[i].entry.gid_index);
		json_kv_str(&u->jw, "gid", g[i].gid);
		json_kv_str(&u->jw, "type", type);
		if (g[i].netdev[0])
			json_kv_str(&u->jw, "netdev", g[i].netdev);
		json_end_object(&u->jw);
	}
	out_list_end(u);
	free(g);
	return 0;
}

static void print_details(struct uroce *u, const struct ibv_port_attr *p)
{
	char width[sizeof("invalid widthX")];

	snprintf(width, sizeof(width), "%sX", width_name(p->active_width));
	out_detail_line(u);
	out_uint(u, "max_mtu", mtu_bytes(p->max_mtu));
	out_str(u, "link_layer", link_layer_name(p->link_layer));
	out_uint(u, "lid", p->lid);
	out_uint(u, "sm_lid", p->sm_lid);
	out_uint(u, "lmc", p->lmc);
	out_detail_line(u);
	out_uint(u, "gid_tbl_len", p->gid_tbl_len);
	out_uint(u, "pkey_tbl_len", p->pkey_tbl_len);
	out_hex(u, "max_msg_sz", p->max_msg_sz);
	out_hex(u, "port_cap_flags", p->port_cap_flags);
	out_str(u, "width", width);
	out_str(u, "lane_speed", lane_speed_name(p->active_speed));
}

/* A LAG member as the endpoints report it: its QPs summed. */
struct member {
	const char *ifname, *state;
	uint64_t qps;
};

/* Collects the members of device @dev; returns how many (0: no LAG). */
static unsigned int collect_members(const struct ep_list *l, const char *dev,
				    struct member *m)
{
	const struct ep_proc *p;
	const struct ep_rec *r;
	unsigned int n = 0, i;
	const char *ifname;

	for (p = l->p; p < l->p + l->n; p++) {
		for (r = p->rec; r < p->rec + p->nrec; r++) {
			ifname = ep_get(r, "ifname");
			if (strcmp(r->kind, "member") || !ifname ||
			    strcmp(ep_dev(p, r), dev))
				continue;
			for (i = 0; i < n && strcmp(m[i].ifname, ifname); i++)
				;
			if (i == n) {
				if (n == UROCE_LAG_MAX_MEMBERS)
					continue;
				m[n].ifname = ifname;
				m[n].state = ep_get(r, "state");
				m[n++].qps = 0;
			}
			m[i].qps += ep_num(r, "qps");
		}
	}
	return n;
}

static void print_members(struct uroce *u, const char *dev)
{
	struct member m[UROCE_LAG_MAX_MEMBERS];
	struct ep_list l;
	unsigned int n, i;

	if (ep_collect(&l, &ep_verbs))
		return;
	n = collect_members(&l, dev, m);
	if (n)
		out_list_begin(u, "members");
	for (i = 0; i < n; i++) {
		if (!u->json) {
			printf("\n    member %s state %s qps %llu", m[i].ifname,
			       m[i].state ? m[i].state : "-",
			       (unsigned long long)m[i].qps);
			continue;
		}
		json_begin_object(&u->jw);
		json_kv_str(&u->jw, "ifname", m[i].ifname);
		if (m[i].state)
			json_kv_str(&u->jw, "state", m[i].state);
		json_kv_uint(&u->jw, "qps", m[i].qps);
		json_end_object(&u->jw);
	}
	if (n)
		out_list_end(u);
	ep_list_free(&l);
}

static int show_port(struct uroce *u, struct ibv_context *ctx, uint8_t port,
		     const struct link_filter *f)
{
	const char *name = ibv_get_device_name(ctx->device);
	char ifname[IF_NAMESIZE], rate[RATE_STR_LEN];
	struct ibv_port_attr p;
	const char *netdev;
	unsigned int ifindex;
	uint32_t mbps;
	int ret;

	ret = ibv_query_port(ctx, port, &p);
	if (ret) {
		fprintf(stderr, "uroce: cannot query %s/%u: %s\n", name, port,
			strerror(ret));
		return 1;
	}
	netdev = port_netdev(ctx, port, ifname, &ifindex);
	mbps = port_rate_mbps(p.active_width, p.active_speed);

	out_begin(u);
	out_text(u, "link %s/%u", name, port);
	out_json_uint(u, "ifindex", ibv_get_device_index(ctx->device));
	out_json_str(u, "ifname", name);
	out_json_uint(u, "port", port);
	out_str(u, "state", port_state_name(p.state));
	out_str(u, "physical_state", phys_state_name(p.phys_state));
	if (netdev) {
		out_str(u, "netdev", netdev);
		out_json_uint(u, "netdev_index", ifindex);
	} else {
		out_text(u, " netdev -");
	}
	out_str(u, "netns", f->netns);
	out_uint(u, "mtu", mtu_bytes(p.active_mtu));
	if (mbps)
		out_str(u, "speed", format_rate(mbps, rate));
	print_members(u, name);
	if (u->details) {
		print_details(u, &p);
		ret = print_gids(u, ctx, port);
	}
	out_end(u);
	return ret;
}

static int show_device(struct uroce *u, struct ibv_device *dev,
		       struct ibv_context *ctx, void *arg)
{
	const struct link_filter *f = arg;
	struct ibv_device_attr attr;
	unsigned int port;
	int ret;

	ret = ibv_query_device(ctx, &attr);
	if (ret) {
		fprintf(stderr, "uroce: cannot query %s: %s\n",
			ibv_get_device_name(dev), strerror(ret));
		return 1;
	}
	if (f->port > attr.phys_port_cnt) {
		fprintf(stderr, "Port %u of %s does not exist.\n", f->port,
			ibv_get_device_name(dev));
		return 1;
	}
	for (port = 1; port <= attr.phys_port_cnt; port++)
		if (!f->port || port == f->port)
			ret |= show_port(u, ctx, port, f);
	return ret;
}

/* DEV or DEV/PORT; a port is a decimal number from 1. */
static int parse_target(char *arg, unsigned int *port)
{
	char *slash = strrchr(arg, '/'), *end;
	unsigned long n;

	*port = 0;
	if (!slash)
		return 0;
	*slash = '\0';
	errno = 0;
	n = strtoul(slash + 1, &end, 10);
	if (slash[1] < '1' || slash[1] > '9' || *end || errno || n > 255) {
		fprintf(stderr, "Invalid port \"%s\".\n", slash + 1);
		return -1;
	}
	*port = n;
	return 0;
}

static int link_show(struct uroce *u, int argc, char **argv)
{
	struct link_filter f = {};
	char netns[256];
	int ret;

	if (argc > 1)
		return unknown_arg("link", argv[1]);
	if (argc && parse_target(argv[0], &f.port))
		return 1;
	ret = netns_identify(netns, sizeof(netns));
	if (ret) {
		fprintf(stderr,
			"uroce: cannot identify the network namespace: %s\n",
			strerror(-ret));
		return 1;
	}
	f.netns = netns;
	return each_device(u, argc ? argv[0] : NULL, show_device, &f);
}

/* Checks IF1,IF2,...: 2 to 8 valid names, none twice. */
static bool valid_members(const char *list)
{
	char buf[UROCE_LAG_MAX_MEMBERS * IF_NAMESIZE + 1];
	char *names[UROCE_LAG_MAX_MEMBERS];
	char *save, *tok;
	unsigned int n = 0, i;

	if (strlen(list) >= sizeof(buf))
		return false;
	strcpy(buf, list);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (n == UROCE_LAG_MAX_MEMBERS || !uroce_valid_ifname(tok))
			return false;
		for (i = 0; i < n; i++)
			if (!strcmp(names[i], tok))
				return false;
		names[n++] = tok;
	}
	/* strtok_r skips empty names: refuse them here. */
	return n >= 2 && list[0] != ',' && list[strlen(list) - 1] != ',' &&
	       !strstr(list, ",,");
}

/* Whether @path has a "lag NAME" line already. */
static bool conf_has_lag(FILE *f, const char *name)
{
	char line[4096], *p, *w;
	size_t len = strlen(name);

	while (fgets(line, sizeof(line), f)) {
		p = line + strspn(line, " \t");
		if (strncmp(p, "lag", 3) || !isspace((unsigned char)p[3]))
			continue;
		w = p + 3 + strspn(p + 3, " \t");
		if (!strncmp(w, name, len) && isspace((unsigned char)w[len]))
			return true;
	}
	return false;
}

/*
 * uroce link add NAME lag IF1,IF2: appends "lag NAME IF1,IF2" to the
 * configuration ($UROCE_CONF or /etc/uroce/uroce.conf), which it creates
 * (and its directory) when it does not exist yet. Contexts opened from
 * then on see the device; a LAG of that name already there is refused.
 */
static int link_add(struct uroce *u, int argc, char **argv)
{
	const char *path = getenv("UROCE_CONF"), *slash;
	char dir[4096];
	FILE *f;

	if (argc != 3 || strcmp(argv[1], "lag")) {
		fprintf(stderr,
			"Usage: uroce link add NAME lag IF1,IF2[,...]\n");
		return 1;
	}
	if (!uroce_valid_devname(argv[0])) {
		fprintf(stderr, "uroce: invalid device name \"%s\"\n", argv[0]);
		return 1;
	}
	if (!valid_members(argv[2])) {
		fprintf(stderr,
			"uroce: \"%s\": expected 2 to %d interface names, "
			"each once, separated by commas\n",
			argv[2], UROCE_LAG_MAX_MEMBERS);
		return 1;
	}
	if (!path || !*path)
		path = UROCE_CONF_DEFAULT_PATH;
	f = fopen(path, "r");
	if (f) {
		bool dup = conf_has_lag(f, argv[0]);

		fclose(f);
		if (dup) {
			fprintf(stderr, "uroce: %s: a LAG %s exists already\n",
				path, argv[0]);
			return 1;
		}
	} else if (errno == ENOENT) {
		slash = strrchr(path, '/');
		if (slash && slash != path &&
		    (size_t)(slash - path) < sizeof(dir)) {
			memcpy(dir, path, (size_t)(slash - path));
			dir[slash - path] = '\0';
			/* One level, as /etc/uroce; the rest must exist. */
			if (mkdir(dir, 0755) && errno != EEXIST) {
				fprintf(stderr, "uroce: cannot create %s: %s\n",
					dir, strerror(errno));
				return 1;
			}
		}
	}
	f = fopen(path, "a");
	if (!f || fprintf(f, "lag %s %s\n", argv[0], argv[2]) < 0 ||
	    fclose(f)) {
		fprintf(stderr, "uroce: cannot write %s: %s\n", path,
			strerror(errno));
		return 1;
	}
	(void)u;
	return 0;
}

static int link_help(struct uroce *u, int argc, char **argv)
{
	printf("Usage: uroce link [ show [ DEV[/PORT] ] ]\n"
	       "       uroce link add NAME lag IF1,IF2[,...]\n"
	       "       uroce link help\n"
	       "\n"
	       "Shows each port, or those of DEV, or port PORT of DEV: its\n"
	       "state, physical state, netdev (that of GID index 0), network\n"
	       "namespace (its name in " NETNS_DIR ", else net:[inode]),\n"
	       "active MTU and speed. With -d, also its attributes and every\n"
	       "GID with its type and netdev. A LAG device also lists its\n"
	       "members: state (up, down, or suspect: link up but losing\n"
	       "packets, avoided for now) and the QPs of the namespace's\n"
	       "processes that send by each.\n"
	       "\n"
	       "add makes NAME a LAG device over the netdevs IF1, IF2... (2 to\n"
	       "8, carrying the same address): it appends \"lag NAME IF1,IF2\"\n"
	       "to $UROCE_CONF or /etc/uroce/uroce.conf, creating the file if\n"
	       "it does not exist yet. Contexts opened afterwards see it.\n");
	return 0;
}

int do_link(struct uroce *u, int argc, char **argv)
{
	static const struct uroce_cmd cmds[] = {
		{ "show", link_show },
		{ "list", link_show },
		{ "add", link_add },
		{ "help", link_help },
		{},
	};

	return dispatch(u, cmds, argc, argv, "link");
}
