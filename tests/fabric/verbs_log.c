// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * verbs_log: __verbs_log, where another vendor's provider library (libefa
 * when libfabric probes a uroce device) sends its verbs_err lines, keeps
 * rdma-core's release-build semantics. Each case runs in a child with its
 * own environment (the variables are read once):
 *   - no VERBS_LOG_*: nothing on stderr;
 *   - VERBS_LOG_LEVEL=1 without VERBS_LOG_FILE: nothing either;
 *   - VERBS_LOG_LEVEL=1 and VERBS_LOG_FILE: the error line, not the debug
 *     one, appended to the file, nothing on stderr;
 *   - UROCE_LOG=debug: the line on stderr, in uroce's format.
 * errno is kept across the call, as verbs_err callers expect.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/lib/check.h"

/* IBVERBS_PRIVATE_34, as rdma-core's providers import it */
void __verbs_log(void *ctx, uint32_t level, const char *fmt, ...);

static void child(void)
{
	errno = ENOTSUP;
	__verbs_log(NULL, 1, "uroce_x: efadv_query_device:152: %s\n",
		    "Not an EFA device");
	__verbs_log(NULL, 4, "uroce_x: a debug line\n");
	exit(errno == ENOTSUP ? 0 : 3);
}

/* Runs the child with @env set; returns what it wrote on stderr. */
static char *run(char *const env[])
{
	static char buf[4096];
	char tmpl[] = "/tmp/uroce-verbs-log.XXXXXX";
	int fd = mkstemp(tmpl), st;
	ssize_t n;
	pid_t pid;

	CHECK(fd >= 0);
	unlink(tmpl);
	pid = fork();
	if (!pid) {
		dup2(fd, 2);
		clearenv();
		for (; *env; env++)
			putenv(*env);
		child();
	}
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && !WEXITSTATUS(st));
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	return buf;
}

static char *file_text(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

int main(void)
{
	char path[] = "/tmp/uroce-verbs-log-file.XXXXXX";
	char file_env[64], *out;
	char *none[] = { NULL };
	char *level_only[] = { "VERBS_LOG_LEVEL=1", NULL };
	char *both[] = { "VERBS_LOG_LEVEL=1", file_env, NULL };
	char *dbg[] = { "UROCE_LOG=debug", NULL };
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	close(fd);
	snprintf(file_env, sizeof(file_env), "VERBS_LOG_FILE=%s", path);

	CHECK(!strcmp(run(none), ""));
	CHECK(!strcmp(run(level_only), ""));
	CHECK(!strcmp(run(both), ""));
	out = file_text(path);
	CHECK(!strcmp(out, "uroce_x: efadv_query_device:152: "
			   "Not an EFA device\n"));
	out = run(dbg);
	CHECK(strstr(out, "debug: uroce_x: efadv_query_device:152: Not an "
			  "EFA device\n"));
	CHECK(strstr(out, "debug: uroce_x: a debug line\n"));
	unlink(path);
	printf("verbs_log: %s\n", check_failures ? "FAIL" : "ok");
	return check_failures ? 1 : 0;
}
