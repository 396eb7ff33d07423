/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * uroce's configuration: which netdevs become devices, under what names,
 * and which are grouped into LAG devices. Read from /etc/uroce/uroce.conf
 * (or $UROCE_CONF) and the UROCE_* environment; see uroce.conf(5).
 */
#ifndef UROCE_CONFIG_H
#define UROCE_CONFIG_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "util/conf_names.h"

struct uroce_rename {
	char ifname[IF_NAMESIZE];
	char devname[UROCE_DEV_NAME_MAX];
};

struct uroce_lag {
	char name[UROCE_DEV_NAME_MAX]; /* device name, e.g. "uroce_lag0" */
	unsigned int nmembers;
	char members[UROCE_LAG_MAX_MEMBERS][IF_NAMESIZE];
};

/*
 * Objects one context of a device may hold (max_qp ... in uroce.conf):
 * what the kernel's rdma cgroup limits for an adapter, reported by
 * ibv_query_device and enforced at creation with ENOMEM.
 */
struct uroce_limits {
	unsigned int qp, cq, mr, pd, srq, ah, mw;
};

/* "wire roce|direct glob...": the last rule that matches a device wins. */
struct uroce_wire_rule {
	bool roce;
	char *glob;
};

struct uroce_conf {
	/* include/exclude are lists of shell globs (fnmatch) on ifnames */
	char **include;
	size_t ninclude;
	char **exclude;
	size_t nexclude;
	bool lo; /* expose the loopback device */
	struct uroce_rename *renames;
	size_t nrenames;
	struct uroce_lag *lags;
	size_t nlags;
	struct uroce_limits limits;
	struct uroce_wire_rule *wire;
	size_t nwire;
};

/* The defaults: every device, lo included, at the device's own limits. */
void uroce_conf_init(struct uroce_conf *conf);

/*
 * Parses configuration text. @origin names it in error messages. On a
 * syntax error returns -EINVAL and, if @err is not NULL, writes a one-line
 * message "origin:line: what" into it. Later settings override earlier
 * ones; lists accumulate.
 */
int uroce_conf_parse(struct uroce_conf *conf, const char *text,
		     const char *origin, char *err, size_t errlen);

/*
 * Loads the defaults, then the file ($UROCE_CONF or /etc/uroce/uroce.conf;
 * a missing file is not an error), then the environment (UROCE_INCLUDE,
 * UROCE_EXCLUDE, UROCE_LO, UROCE_RENAME, UROCE_MAX_QP ...). Errors are logged and the
 * offending setting ignored. Returns 0 or -ENOMEM.
 */
int uroce_conf_load(struct uroce_conf *conf);
void uroce_conf_free(struct uroce_conf *conf);

/*
 * Decides whether netdev @ifname becomes a device of its own and under
 * which name (written to @devname). Members of a LAG are not devices of
 * their own. Returns true if it is a device.
 */
bool uroce_conf_netdev_device(const struct uroce_conf *conf, const char *ifname,
			      bool is_loopback, char *devname,
			      size_t devname_len);

/*
 * Whether the device named @devname, of netdev @ifname, speaks RoCE v2 on
 * UDP port 4791 (the "wire roce" mode) rather than the direct addressing.
 */
bool uroce_conf_wire_roce(const struct uroce_conf *conf, const char *devname,
			  const char *ifname);

#endif /* UROCE_CONFIG_H */
