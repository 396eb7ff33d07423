// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * uroce run CMD [ARGS...] runs an existing program, built against the
 * distribution's rdma-core, on uroce: it puts uroce's private library
 * directory first in LD_LIBRARY_PATH, so that the dynamic loader binds the
 * program to uroce's libibverbs.so.1 and librdmacm.so.1, then execs it.
 * libibverbs finds the provider beside itself. It also appends the sysfs
 * interposer, liburoce-sysfs.so from the same directory, to LD_PRELOAD,
 * so that the program finds the kernel's files of its uroce devices
 * (/sys/class/infiniband...; see preload/). It goes last: a sanitizer's
 * runtime must stay first. With --rsockets, the rsockets shim,
 * librspreload.so from the same directory, follows it, so that the
 * program's TCP sockets run over uroce (see rspreload/). uroce env
 * prints the same settings as a shell's export lines.
 *
 * The directory is found from this program's own location: installed, at
 * UROCE_BIN_TO_PRIVATE_LIB from the bin directory; in the build tree
 * (build/bin beside build/CMakeCache.txt), at ../lib; last, at the
 * configured UROCE_FULL_PRIVATE_LIB.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/uroce/uroce.h"

static bool has_file(const char *dir, const char *file)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >=
	    (int)sizeof(path))
		return false;
	return !access(path, F_OK);
}

/* Is dir/rel a directory holding libibverbs.so.1? Its real path if so. */
static bool try_libdir(const char *dir, const char *rel, char *out)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s%s%s", dir, *rel ? "/" : "", rel) >=
	    (int)sizeof(path))
		return false;
	if (!has_file(path, "libibverbs.so.1"))
		return false;
	return realpath(path, out) != NULL;
}

/* Fills out (PATH_MAX) with uroce's private library directory. */
static int private_libdir(char *out)
{
	char exe[PATH_MAX], *slash;
	ssize_t n;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			if (try_libdir(exe, UROCE_BIN_TO_PRIVATE_LIB, out))
				return 0;
			if (has_file(exe, "../CMakeCache.txt") &&
			    try_libdir(exe, "../lib", out))
				return 0;
		}
	}
	if (try_libdir(UROCE_FULL_PRIVATE_LIB, "", out))
		return 0;
	fprintf(stderr,
		"uroce: cannot find uroce's libibverbs.so.1 (looked beside %s "
		"and in %s)\n",
		n > 0 ? exe : "this program", UROCE_FULL_PRIVATE_LIB);
	return -1;
}

#define SYSFS_PRELOAD "liburoce-sysfs.so"
#define RSOCKETS_PRELOAD "librspreload.so"

/* Is @lib, or a library of that file name, in the list @list already? */
static bool list_has(const char *list, const char *lib)
{
	size_t n = strlen(lib);
	const char *p;

	for (p = list; (p = strstr(p, lib)); p += n)
		if ((p == list || p[-1] == ':' || p[-1] == ' ' ||
		     p[-1] == '/') &&
		    (!p[n] || p[n] == ':' || p[n] == ' '))
			return true;
	return false;
}

/* Appends the library @lib of @dir to LD_PRELOAD. */
static int add_preload(const char *dir, const char *lib)
{
	const char *old = getenv("LD_PRELOAD");
	char *val;
	int ret;

	if (!has_file(dir, lib) || (old && list_has(old, lib)))
		return 0;
	if (old && *old)
		ret = asprintf(&val, "%s:%s/%s", old, dir, lib);
	else
		ret = asprintf(&val, "%s/%s", dir, lib);
	if (ret < 0) {
		perror("uroce run");
		return -1;
	}
	ret = setenv("LD_PRELOAD", val, 1);
	if (ret)
		perror("uroce run: setenv");
	free(val);
	return ret;
}

static void run_usage(FILE *f)
{
	fprintf(f,
		"Usage: uroce run [ --rsockets ] [ -- ] CMD [ ARGS... ]\n"
		"       uroce env [ --rsockets ]\n"
		"\n"
		"run executes CMD, a program built against rdma-core (say\n"
		"Debian's ibv_devinfo or rping), on uroce: with uroce's private\n"
		"library directory first in LD_LIBRARY_PATH, so that it loads\n"
		"uroce's libibverbs.so.1 and librdmacm.so.1, and with\n"
		"liburoce-sysfs.so in LD_PRELOAD, which shows it its uroce\n"
		"devices in /sys/class/infiniband and /dev/infiniband. Its exit\n"
		"status is CMD's, or 127 when CMD is not found, 126 when it\n"
		"cannot run.\n"
		"\n"
		"--rsockets adds librspreload.so to LD_PRELOAD too: CMD's TCP\n"
		"sockets become rsockets over uroce, and fall back to TCP when\n"
		"the peer is not on uroce.\n"
		"\n"
		"env prints the export lines that do the same in a shell:\n"
		"  eval \"$(uroce env [--rsockets])\"\n");
}

/* Takes a leading --rsockets off the arguments. */
static bool rsockets_opt(int *argc, char ***argv)
{
	if (!*argc || strcmp((*argv)[0], "--rsockets"))
		return false;
	(*argc)--;
	(*argv)++;
	return true;
}

int do_run(struct uroce *u, int argc, char **argv)
{
	char dir[PATH_MAX], *path;
	bool rsockets = rsockets_opt(&argc, &argv);
	const char *old;
	size_t len;

	if (argc && !strcmp(argv[0], "--")) {
		argc--;
		argv++;
	} else if (argc &&
		   (!strcmp(argv[0], "help") || !strcmp(argv[0], "-h") ||
		    !strcmp(argv[0], "--help"))) {
		run_usage(stdout);
		return 0;
	}
	if (!argc) {
		run_usage(stderr);
		return 1;
	}
	if (private_libdir(dir))
		return 1;

	old = getenv("LD_LIBRARY_PATH");
	len = strlen(dir);
	if (old && *old &&
	    !(!strncmp(old, dir, len) && (old[len] == ':' || !old[len]))) {
		if (asprintf(&path, "%s:%s", dir, old) < 0) {
			perror("uroce run");
			return 1;
		}
	} else {
		path = strdup(old && *old ? old : dir);
		if (!path) {
			perror("uroce run");
			return 1;
		}
	}
	if (setenv("LD_LIBRARY_PATH", path, 1)) {
		perror("uroce run: setenv");
		free(path);
		return 1;
	}
	free(path);
	if (add_preload(dir, SYSFS_PRELOAD))
		return 1;
	if (rsockets && !has_file(dir, RSOCKETS_PRELOAD)) {
		fprintf(stderr, "uroce run: no %s in %s\n", RSOCKETS_PRELOAD,
			dir);
		return 1;
	}
	if (rsockets && add_preload(dir, RSOCKETS_PRELOAD))
		return 1;
	fflush(stdout);
	execvp(argv[0], argv);
	fprintf(stderr, "uroce run: %s: %s\n", argv[0], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}

/* Prints s in single quotes for a POSIX shell. */
static void put_quoted(const char *s)
{
	putchar('\'');
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", stdout);
		else
			putchar(*s);
	}
	putchar('\'');
}

/* The export line that appends @dir/@lib to LD_PRELOAD. */
static void put_preload(const char *dir, const char *lib)
{
	char path[PATH_MAX];

	if (!has_file(dir, lib))
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, lib);
	fputs("export LD_PRELOAD=\"${LD_PRELOAD:+$LD_PRELOAD:}\"", stdout);
	put_quoted(path);
	putchar('\n');
}

int do_env(struct uroce *u, int argc, char **argv)
{
	bool rsockets = rsockets_opt(&argc, &argv);
	char dir[PATH_MAX];

	if (argc && matches(argv[0], "help")) {
		run_usage(stdout);
		return 0;
	}
	if (argc)
		return unknown_arg("env", argv[0]);
	if (private_libdir(dir))
		return 1;
	fputs("export LD_LIBRARY_PATH=", stdout);
	put_quoted(dir);
	puts("\"${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}\"");
	put_preload(dir, SYSFS_PRELOAD);
	if (rsockets)
		put_preload(dir, RSOCKETS_PRELOAD);
	return 0;
}
