/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A hash table from 32-bit keys (MR lkeys/rkeys) to objects: open
 * addressing with linear probing, O(1) lookups. Key 0 marks an empty slot
 * and is never a valid key. Not locked: its owner serializes access.
 */
#ifndef UROCE_KEYTAB_H
#define UROCE_KEYTAB_H

#include <stdint.h>

struct uroce_keytab_slot {
	uint32_t key;
	void *obj;
};

struct uroce_keytab {
	struct uroce_keytab_slot *slots;
	uint32_t mask; /* number of slots - 1, or 0 when empty */
	uint32_t count;
};

void uroce_keytab_init(struct uroce_keytab *t);
void uroce_keytab_free(struct uroce_keytab *t);
/* Returns 0, EEXIST or ENOMEM. @key must not be 0. */
int uroce_keytab_insert(struct uroce_keytab *t, uint32_t key, void *obj);
void *uroce_keytab_lookup(const struct uroce_keytab *t, uint32_t key);
/* Returns the object that was stored under @key, or NULL. */
void *uroce_keytab_remove(struct uroce_keytab *t, uint32_t key);
/* Calls @fn on every stored object; @fn must not change the table. */
void uroce_keytab_for_each(const struct uroce_keytab *t,
			   void (*fn)(void *obj, void *arg), void *arg);

#endif /* UROCE_KEYTAB_H */
