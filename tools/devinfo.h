/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* uroce_devinfo's parts; the output layout is ibv_devinfo's. */
#ifndef UROCE_TOOLS_DEVINFO_H
#define UROCE_TOOLS_DEVINFO_H

#include <infiniband/verbs.h>

/* The columns (with 8-column tabs) where ibv_devinfo starts values. */
#define DEV_COL 40
#define PORT_COL 48

/*
 * Prints "name:" after depth tabs, tabs up to column col (one at least),
 * then the value and a newline.
 */
void field(int depth, int col, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Prints one flag name, or the unnamed bits, of a flag list. */
void flag_line(const char *name, uint64_t bits, void *arg);

/* The limits and capabilities that -v adds to a device. */
void print_device_limits(struct ibv_context *ctx,
			 const struct ibv_device_attr_ex *attr);
/* One port; -v adds its limits and GIDs. Returns 0 or an exit code. */
int print_port(struct ibv_context *ctx, uint8_t port, int verbose);

#endif /* UROCE_TOOLS_DEVINFO_H */
