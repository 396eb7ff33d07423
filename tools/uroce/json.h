/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A small streaming JSON writer: values go straight to a FILE, commas and
 * (with pretty) indentation are placed for the caller. It keeps no state
 * per level, so nesting is unlimited; the caller balances begin and end.
 */
#ifndef UROCE_TOOLS_JSON_H
#define UROCE_TOOLS_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct json {
	FILE *f;
	bool pretty;
	bool first; /* nothing written yet in this container */
	bool after_key; /* a key was written, its value comes next */
	unsigned int depth;
};

void json_init(struct json *j, FILE *f, bool pretty);

/* Containers; a top-level one ends with a newline. */
void json_begin_object(struct json *j);
void json_end_object(struct json *j);
void json_begin_array(struct json *j);
void json_end_array(struct json *j);

/* Inside an object, every value follows a key. */
void json_key(struct json *j, const char *key);
void json_str(struct json *j, const char *s);
void json_uint(struct json *j, uint64_t v);
void json_int(struct json *j, int64_t v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);

static inline void json_kv_str(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	json_str(j, s);
}

static inline void json_kv_uint(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	json_uint(j, v);
}

#endif /* UROCE_TOOLS_JSON_H */
