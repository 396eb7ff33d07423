/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A tiny intrusive doubly linked list, for lists of objects. */
#ifndef UROCE_UTIL_LIST_H
#define UROCE_UTIL_LIST_H

struct uroce_list {
	struct uroce_list *next, *prev;
};

static inline void uroce_list_init(struct uroce_list *head)
{
	head->next = head;
	head->prev = head;
}

static inline void uroce_list_add(struct uroce_list *head,
				  struct uroce_list *node)
{
	node->next = head->next;
	node->prev = head;
	head->next->prev = node;
	head->next = node;
}

static inline void uroce_list_del(struct uroce_list *node)
{
	node->prev->next = node->next;
	node->next->prev = node->prev;
	node->next = node;
	node->prev = node;
}

#endif /* UROCE_UTIL_LIST_H */
