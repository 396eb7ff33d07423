// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Names uroce.conf(5) accepts; see conf_names.h. */
#include <ctype.h>
#include <net/if.h>
#include <string.h>

#include "util/conf_names.h"

bool uroce_valid_ifname(const char *s)
{
	size_t len = strlen(s);

	if (!len || len >= IF_NAMESIZE || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || isspace((unsigned char)*s))
			return false;
	return true;
}

bool uroce_valid_devname(const char *s)
{
	size_t len = strlen(s);

	if (!len || len >= UROCE_DEV_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.' &&
		    *s != '-')
			return false;
	return true;
}
