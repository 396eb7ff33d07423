// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzz target: the configuration parser. The first byte picks where the
 * rest goes:
 *   even: configuration text for uroce_conf_parse();
 *   odd:  up to six lines that become UROCE_INCLUDE, UROCE_EXCLUDE,
 *         UROCE_LO, UROCE_RENAME, UROCE_MAX_QP and UROCE_MAX_MR for
 *         uroce_conf_load() (with no file).
 * Either way the device decisions are then asked about a few netdev names
 * and about each word of the input, and the limits must stay within the
 * device's (caps.h).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "providers/uroce/caps.h"
#include "providers/uroce/config.h"

#define FAIL_IF(cond)            \
	do {                     \
		if (cond)        \
			abort(); \
	} while (0)

static const char *const env_vars[] = { "UROCE_INCLUDE", "UROCE_EXCLUDE",
					"UROCE_LO",	 "UROCE_RENAME",
					"UROCE_MAX_QP",	 "UROCE_MAX_MR" };

static const char *const ifnames[] = { "lo",	"eth0",	 "eth1",
				       "bond0", "veth1", "abcdefghijklmno" };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* No file: only what the input says. */
	setenv("UROCE_CONF", "", 1);
	return 0;
}

static void ask(const struct uroce_conf *conf, const char *ifname)
{
	char name[UROCE_DEV_NAME_MAX];

	memset(name, 'x', sizeof(name));
	if (uroce_conf_netdev_device(conf, ifname, !strcmp(ifname, "lo"), name,
				     sizeof(name)))
		FAIL_IF(!memchr(name, '\0', sizeof(name)));
}

static void ask_all(const struct uroce_conf *conf, char *text)
{
	char *word, *save = NULL;
	size_t i;

	for (i = 0; i < sizeof(ifnames) / sizeof(ifnames[0]); i++)
		ask(conf, ifnames[i]);
	for (word = strtok_r(text, " \t\r\n,=", &save); word;
	     word = strtok_r(NULL, " \t\r\n,=", &save))
		ask(conf, word);
	for (i = 0; i < conf->nlags; i++)
		FAIL_IF(conf->lags[i].nmembers > UROCE_LAG_MAX_MEMBERS);
	FAIL_IF(conf->limits.qp > UROCE_MAX_QP ||
		conf->limits.cq > UROCE_MAX_CQ ||
		conf->limits.mr > UROCE_MAX_MR ||
		conf->limits.pd > UROCE_MAX_PD ||
		conf->limits.srq > UROCE_MAX_SRQ ||
		conf->limits.ah > UROCE_MAX_AH ||
		conf->limits.mw > UROCE_MAX_MW);
}

static void from_text(char *text)
{
	struct uroce_conf conf;
	char err[128];
	int ret;

	uroce_conf_init(&conf);
	memset(err, 'x', sizeof(err));
	ret = uroce_conf_parse(&conf, text, "fuzz.conf", err, sizeof(err));
	FAIL_IF(ret && ret != -EINVAL && ret != -ENOMEM);
	FAIL_IF(!memchr(err, '\0', sizeof(err)));
	ask_all(&conf, text);
	uroce_conf_free(&conf);
}

static void from_env(char *text)
{
	struct uroce_conf conf;
	char *line = text, *nl;
	size_t i;

	for (i = 0; i < sizeof(env_vars) / sizeof(env_vars[0]); i++) {
		if (!line) {
			unsetenv(env_vars[i]);
			continue;
		}
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		setenv(env_vars[i], line, 1);
		line = nl ? nl + 1 : NULL;
	}
	if (!uroce_conf_load(&conf)) {
		ask_all(&conf, text);
		uroce_conf_free(&conf);
	}
	for (i = 0; i < sizeof(env_vars) / sizeof(env_vars[0]); i++)
		unsetenv(env_vars[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (!size || size > 65536)
		return 0;
	/* The parser takes a C string: the input, NUL-terminated. */
	text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	if (data[0] & 1)
		from_env(text);
	else
		from_text(text);
	free(text);
	return 0;
}
