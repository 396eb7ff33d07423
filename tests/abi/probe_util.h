/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Helpers shared by the behavioural probes (inline_probe.c,
 * cm_inline_probe.c): pointers are logged by the name they were given,
 * never by address, so that the traces of two builds can be compared.
 */
#ifndef PROBE_UTIL_H
#define PROBE_UTIL_H

#include <stdio.h>
#include <stdlib.h>

/* ------------------------------------------------------------------ */
/* naming pointers                                                     */

#define MAX_NAMES 64
static struct {
	const void *p;
	const char *name;
} names[MAX_NAMES];
static int nnames;

__attribute__((unused)) static void name_ptr(const void *p, const char *name)
{
	if (nnames == MAX_NAMES) {
		fprintf(stderr, "inline_probe: too many names\n");
		exit(2);
	}
	names[nnames].p = p;
	names[nnames].name = name;
	nnames++;
}

__attribute__((unused)) static const char *pn(const void *p)
{
	int i;

	if (!p)
		return "NULL";
	for (i = 0; i < nnames; i++)
		if (names[i].p == p)
			return names[i].name;
	return "?";
}

#define LOG(...)                     \
	do {                         \
		printf("  ");        \
		printf(__VA_ARGS__); \
		printf("\n");        \
	} while (0)

__attribute__((unused)) static unsigned long checksum(const void *p, size_t len)
{
	const unsigned char *c = p;
	unsigned long sum = 0;
	size_t i;

	for (i = 0; i < len; i++)
		sum = sum * 31 + c[i];
	return sum;
}

#endif /* PROBE_UTIL_H */
