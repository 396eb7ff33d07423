// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * __verbs_log (IBVERBS_PRIVATE_34): where a foreign provider's verbs_err,
 * verbs_warn, verbs_info and verbs_debug lines go. libfabric's EFA
 * provider calls Debian's libefa on every device, and its
 * efadv_query_device says "Not an EFA device" at error level on a uroce
 * context: a probe, not an error of the application's.
 *
 * So the lines follow rdma-core's release build: printed only when
 * VERBS_LOG_LEVEL (1 err .. 4 debug) asks for their level and
 * VERBS_LOG_FILE names a file to append them to; without the file, the
 * level falls back to none. uroce's own UROCE_LOG=debug also shows them,
 * as debug lines on stderr.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ibverbs.h"
#include "util/log.h"

static uint32_t verbs_log_level;
static FILE *verbs_log_fp;

static void verbs_log_init(void)
{
	const char *level = secure_getenv("VERBS_LOG_LEVEL");
	const char *file = secure_getenv("VERBS_LOG_FILE");

	if (!level || !file)
		return;
	verbs_log_level = (uint32_t)strtoul(level, NULL, 0);
	if (!verbs_log_level)
		return;
	verbs_log_fp = fopen(file, "ae");
	if (!verbs_log_fp)
		verbs_log_level = 0;
}

void __verbs_log(void *vctx, uint32_t level, const char *fmt, ...)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	int saved = errno;
	char buf[512];
	va_list ap;
	size_t n;

	pthread_once(&once, verbs_log_init);
	uroce_log_init();
	if (level > verbs_log_level && uroce_log_level < UROCE_LOG_DEBUG)
		goto out;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (level <= verbs_log_level) {
		fputs(buf, verbs_log_fp);
		fflush(verbs_log_fp);
	}
	/* The provider's format ends its line; uroce's log adds its own. */
	n = strcspn(buf, "\n");
	buf[n] = '\0';
	uroce_dbg("%s", buf);
out:
	/* Callers log on their error paths, errno set for their caller. */
	errno = saved;
}
