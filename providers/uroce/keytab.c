// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Keys are random, so their low bits are a good enough hash; a multiply
 * still spreads keys that differ only in their high bits.
 */
#include <errno.h>
#include <stdlib.h>

#include "providers/uroce/keytab.h"

#define KEYTAB_MIN_SLOTS 64

static uint32_t keytab_hash(uint32_t key)
{
	return key * 0x9e3779b1u;
}

void uroce_keytab_init(struct uroce_keytab *t)
{
	t->slots = NULL;
	t->mask = 0;
	t->count = 0;
}

void uroce_keytab_free(struct uroce_keytab *t)
{
	free(t->slots);
	uroce_keytab_init(t);
}

static struct uroce_keytab_slot *keytab_find(const struct uroce_keytab *t,
					     uint32_t key)
{
	uint32_t i;

	if (!t->slots)
		return NULL;
	for (i = keytab_hash(key) & t->mask;; i = (i + 1) & t->mask) {
		if (t->slots[i].key == key)
			return &t->slots[i];
		if (!t->slots[i].key)
			return NULL;
	}
}

static void keytab_place(struct uroce_keytab_slot *slots, uint32_t mask,
			 uint32_t key, void *obj)
{
	uint32_t i = keytab_hash(key) & mask;

	while (slots[i].key)
		i = (i + 1) & mask;
	slots[i].key = key;
	slots[i].obj = obj;
}

static int keytab_grow(struct uroce_keytab *t)
{
	uint32_t nslots = t->slots ? (t->mask + 1) * 2 : KEYTAB_MIN_SLOTS;
	struct uroce_keytab_slot *slots;
	uint32_t i;

	if (!nslots)
		return ENOMEM;
	slots = calloc(nslots, sizeof(*slots));
	if (!slots)
		return ENOMEM;
	for (i = 0; t->slots && i <= t->mask; i++)
		if (t->slots[i].key)
			keytab_place(slots, nslots - 1, t->slots[i].key,
				     t->slots[i].obj);
	free(t->slots);
	t->slots = slots;
	t->mask = nslots - 1;
	return 0;
}

int uroce_keytab_insert(struct uroce_keytab *t, uint32_t key, void *obj)
{
	int ret;

	if (keytab_find(t, key))
		return EEXIST;
	/* Keep the load at most one half so that probe runs stay short. */
	if (!t->slots || (t->count + 1) * 2 > t->mask + 1) {
		ret = keytab_grow(t);
		if (ret)
			return ret;
	}
	keytab_place(t->slots, t->mask, key, obj);
	t->count++;
	return 0;
}

void *uroce_keytab_lookup(const struct uroce_keytab *t, uint32_t key)
{
	struct uroce_keytab_slot *s;

	if (!key)
		return NULL;
	s = keytab_find(t, key);
	return s ? s->obj : NULL;
}

void *uroce_keytab_remove(struct uroce_keytab *t, uint32_t key)
{
	struct uroce_keytab_slot *s;
	uint32_t i, j, home;
	void *obj;

	if (!key)
		return NULL;
	s = keytab_find(t, key);
	if (!s)
		return NULL;
	obj = s->obj;
	/*
	 * Backward-shift deletion: move later members of the probe run into
	 * the hole so that lookups never need tombstones.
	 */
	i = s - t->slots;
	for (j = (i + 1) & t->mask; t->slots[j].key; j = (j + 1) & t->mask) {
		home = keytab_hash(t->slots[j].key) & t->mask;
		/* Entry j may fill hole i if its home is not in (i, j]. */
		if (((j - home) & t->mask) >= ((j - i) & t->mask)) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	t->slots[i].key = 0;
	t->slots[i].obj = NULL;
	t->count--;
	return obj;
}

void uroce_keytab_for_each(const struct uroce_keytab *t,
			   void (*fn)(void *obj, void *arg), void *arg)
{
	uint32_t i;

	for (i = 0; t->slots && i <= t->mask; i++)
		if (t->slots[i].key)
			fn(t->slots[i].obj, arg);
}
