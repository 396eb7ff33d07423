/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The uroce command: shared state, command dispatch, output helpers and
 * the objects. An object is a file with one entry point, listed in main.c.
 */
#ifndef UROCE_TOOLS_UROCE_H
#define UROCE_TOOLS_UROCE_H

#include <stdbool.h>
#include <stdint.h>
#include <infiniband/verbs.h>

#include "tools/uroce/json.h"

struct uroce {
	bool json; /* -j */
	bool details; /* -d */
	struct json jw; /* the output when json */
};

/* An object's command, or an object in main.c's table. */
struct uroce_cmd {
	const char *name;
	int (*run)(struct uroce *u, int argc, char **argv);
};

/* Does arg abbreviate name? ("d" and "dev" abbreviate "dev".) */
bool matches(const char *arg, const char *name);
/*
 * Runs the first of cmds (NULL-terminated) that argv[0] abbreviates, with
 * the arguments after it; the first command when argc is 0. An unknown
 * command is an error naming object's help.
 */
int dispatch(struct uroce *u, const struct uroce_cmd *cmds, int argc,
	     char **argv, const char *object);
/* An error for an argument nobody expected. Returns 1, the exit code. */
int unknown_arg(const char *object, const char *arg);

/*
 * Opens each device, or the one called name, and calls fn on it; with -j
 * the calls' objects form one JSON array. A device that cannot be opened
 * is reported and skipped. Returns 0 or 1, the exit code.
 */
int each_device(struct uroce *u, const char *name,
		int (*fn)(struct uroce *u, struct ibv_device *dev,
			  struct ibv_context *ctx, void *arg),
		void *arg);

/*
 * Output of one record (one text line, one JSON object). A field is
 * " key value" in text and "key": value in JSON. out_text prints in text
 * mode only; out_json_* in JSON mode only.
 */
void out_begin(struct uroce *u);
void out_end(struct uroce *u);
void out_str(struct uroce *u, const char *key, const char *val);
void out_uint(struct uroce *u, const char *key, uint64_t val);
/* 0x1f in text; "0x1f" in JSON, where numbers are decimal */
void out_hex(struct uroce *u, const char *key, uint64_t val);
void out_text(struct uroce *u, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void out_json_str(struct uroce *u, const char *key, const char *val);
void out_json_uint(struct uroce *u, const char *key, uint64_t val);
/* A list: "key": [ ... ] in JSON; text prints its items itself. */
void out_list_begin(struct uroce *u, const char *key);
void out_list_end(struct uroce *u);
/* A new text line of a record's details, indented under it. */
void out_detail_line(struct uroce *u);

/* The objects */
int do_dev(struct uroce *u, int argc, char **argv);
int do_link(struct uroce *u, int argc, char **argv);
int do_res(struct uroce *u, int argc, char **argv);
int do_stat(struct uroce *u, int argc, char **argv);
int do_run(struct uroce *u, int argc, char **argv);
int do_env(struct uroce *u, int argc, char **argv);

struct ep_rec;
/* The counters of an endpoint's record, as uroce stat shows them. */
void print_counters(struct uroce *u, const struct ep_rec *r);

#endif /* UROCE_TOOLS_UROCE_H */
