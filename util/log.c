// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

int uroce_log_level = UROCE_LOG_ERR;

static const char *const level_names[] = {
	[UROCE_LOG_ERR] = "err",
	[UROCE_LOG_WARN] = "warn",
	[UROCE_LOG_INFO] = "info",
	[UROCE_LOG_DEBUG] = "debug",
};

static void log_read_env(void)
{
	const char *env = secure_getenv("UROCE_LOG");
	unsigned int i;

	if (!env || !*env)
		return;
	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (!strcmp(env, level_names[i]) ||
		    (env[0] == '0' + (int)i && !env[1])) {
			uroce_log_level = i;
			return;
		}
	}
}

void uroce_log_init(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, log_read_env);
}

void uroce_log(enum uroce_log_level level, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	uroce_log_init();
	if ((int)level > uroce_log_level)
		return;
	n = snprintf(buf, sizeof(buf), "uroce[%d] %s: ", (int)getpid(),
		     level_names[level]);
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	va_end(ap);
	/* One write per line so that lines of threads do not interleave. */
	fprintf(stderr, "%s\n", buf);
}
