// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Output that is text or JSON from one sequence of calls, so that the two
 * never drift apart; see uroce.h.
 */
#include <stdarg.h>
#include <stdio.h>

#include "tools/uroce/uroce.h"

void out_begin(struct uroce *u)
{
	if (u->json)
		json_begin_object(&u->jw);
}

void out_end(struct uroce *u)
{
	if (u->json)
		json_end_object(&u->jw);
	else
		putchar('\n');
}

void out_str(struct uroce *u, const char *key, const char *val)
{
	if (u->json)
		json_kv_str(&u->jw, key, val);
	else
		printf(" %s %s", key, val);
}

void out_uint(struct uroce *u, const char *key, uint64_t val)
{
	if (u->json)
		json_kv_uint(&u->jw, key, val);
	else
		printf(" %s %llu", key, (unsigned long long)val);
}

void out_hex(struct uroce *u, const char *key, uint64_t val)
{
	char buf[sizeof("0x") + 16];

	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)val);
	out_str(u, key, buf);
}

void out_text(struct uroce *u, const char *fmt, ...)
{
	va_list ap;

	if (u->json)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

void out_json_str(struct uroce *u, const char *key, const char *val)
{
	if (u->json)
		json_kv_str(&u->jw, key, val);
}

void out_json_uint(struct uroce *u, const char *key, uint64_t val)
{
	if (u->json)
		json_kv_uint(&u->jw, key, val);
}

void out_list_begin(struct uroce *u, const char *key)
{
	if (!u->json)
		return;
	json_key(&u->jw, key);
	json_begin_array(&u->jw);
}

void out_list_end(struct uroce *u)
{
	if (u->json)
		json_end_array(&u->jw);
}

/* Fields start with a space: four in all, as rdma(8) indents details. */
void out_detail_line(struct uroce *u)
{
	out_text(u, "\n   ");
}
