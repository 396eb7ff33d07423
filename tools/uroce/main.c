// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * uroce: shows uroce's RDMA devices, links, resources and counters,
 * modelled on iproute2's rdma(8): uroce [OPTIONS] OBJECT [COMMAND [ARGS]].
 * Objects and commands may be abbreviated; the first match in table order
 * wins, as in ip(8).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "tools/uroce/uroce.h"

static int do_help(struct uroce *u, int argc, char **argv);

/* Order decides abbreviations: "uroce d" is dev, "uroce l" is link. */
static const struct uroce_cmd objects[] = {
	{ "dev", do_dev },   { "link", do_link },
	{ "res", do_res },   { "stat", do_stat },
	{ "run", do_run },   { "env", do_env },
	{ "help", do_help }, {},
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: uroce [ OPTIONS ] OBJECT { COMMAND | help }\n"
		"       uroce help\n"
		"where  OBJECT := { dev | link | res | stat | run | env | help }\n"
		"       OPTIONS := { -V[ersion] | -d[etails] | -j[son] | -p[retty] }\n"
		"\n"
		"Shows the RDMA devices of uroce, the userspace RoCE stack, that the\n"
		"caller's network namespace sees: one device uroce_<ifname> with one\n"
		"port per netdev; and the resources and counters of the uroce\n"
		"processes of that namespace that the caller can see.\n"
		"\n"
		"Objects:\n"
		"  dev    devices: index, node type, firmware, GUIDs\n"
		"  link   ports: state, netdev, network namespace, MTU, speed\n"
		"  res    resources (qp, cq, mr, pd, ctx, srq) and their owners\n"
		"  stat   counters per device or per QP\n"
		"  run    run a program built for rdma-core on uroce\n"
		"  env    print the shell settings that uroce run makes\n"
		"\n"
		"Options:\n"
		"  -d, --details   add device limits, port attributes and GIDs, or\n"
		"                  resource details\n"
		"  -j, --json      print a JSON array, one object per entry\n"
		"  -p, --pretty    indent the JSON\n"
		"  -V, --version   print the version\n"
		"  -h, --help      print this help\n"
		"\n"
		"Objects and commands may be abbreviated: \"uroce l s\" is\n"
		"\"uroce link show\". \"uroce OBJECT help\" describes an object.\n"
		"Exit status: 0, or 1 on an error.\n");
}

static int do_help(struct uroce *u, int argc, char **argv)
{
	usage(stdout);
	return 0;
}

bool matches(const char *arg, const char *name)
{
	size_t len = strlen(arg);

	return len && len <= strlen(name) && !strncmp(arg, name, len);
}

int unknown_arg(const char *object, const char *arg)
{
	fprintf(stderr, "Unknown argument \"%s\", try \"uroce %s help\".\n",
		arg, object);
	return 1;
}

int dispatch(struct uroce *u, const struct uroce_cmd *cmds, int argc,
	     char **argv, const char *object)
{
	const struct uroce_cmd *c;

	if (!argc)
		return cmds->run(u, 0, argv);
	for (c = cmds; c->name; c++)
		if (matches(argv[0], c->name))
			return c->run(u, argc - 1, argv + 1);
	if (object)
		fprintf(stderr,
			"Command \"%s\" is unknown, try \"uroce %s help\".\n",
			argv[0], object);
	else
		fprintf(stderr,
			"Object \"%s\" is unknown, try \"uroce help\".\n",
			argv[0]);
	return 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "details", no_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct uroce u = {};
	bool pretty = false;
	int c, ret;

	/* '+': options end at the object, whose arguments are its own. */
	while ((c = getopt_long(argc, argv, "+djpVh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			u.details = true;
			break;
		case 'j':
			u.json = true;
			break;
		case 'p':
			pretty = true;
			break;
		case 'V':
			printf("uroce utility, uroce-%s\n", UROCE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	argc -= optind;
	argv += optind;
	if (!argc) {
		usage(stderr);
		return 1;
	}
	json_init(&u.jw, stdout, pretty);
	ret = dispatch(&u, objects, argc, argv, NULL);
	if (fflush(stdout) || ferror(stdout)) {
		perror("uroce: write error");
		ret = 1;
	}
	return ret;
}
