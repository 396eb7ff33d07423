/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Logging to stderr. Quiet by default (errors only); UROCE_LOG=err, warn,
 * info or debug (or 0..3) raises the level.
 */
#ifndef UROCE_UTIL_LOG_H
#define UROCE_UTIL_LOG_H

enum uroce_log_level {
	UROCE_LOG_ERR,
	UROCE_LOG_WARN,
	UROCE_LOG_INFO,
	UROCE_LOG_DEBUG,
};

extern int uroce_log_level;

void uroce_log_init(void);
void uroce_log(enum uroce_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define uroce_err(...) uroce_log(UROCE_LOG_ERR, __VA_ARGS__)
#define uroce_warn(...) uroce_log(UROCE_LOG_WARN, __VA_ARGS__)
#define uroce_info(...) uroce_log(UROCE_LOG_INFO, __VA_ARGS__)
#define uroce_dbg(...)                                           \
	do {                                                     \
		if (uroce_log_level >= UROCE_LOG_DEBUG)          \
			uroce_log(UROCE_LOG_DEBUG, __VA_ARGS__); \
	} while (0)

#endif /* UROCE_UTIL_LOG_H */
