/*
 * node/ptrset.c — a set of pointers; see ptrset.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include "node/ptrset.h"

/* Fibonacci hashing of the address: allocations are aligned, so its low
 * bits alone would crowd a few slots. */
static size_t slot_of(const void *x, size_t cap)
{
	uint64_t h = (uint64_t)(uintptr_t)x * UINT64_C(0x9e3779b97f4a7c15);

	return (size_t)(h >> 32) & (cap - 1);
}

static void place(const void **slot, size_t cap, const void *x)
{
	size_t j = slot_of(x, cap);

	while (slot[j])
		j = (j + 1) & (cap - 1);
	slot[j] = x;
}

int ptrset_add(ptrset *s, const void *x)
{
	if ((s->n + 1) * 2 > s->cap) {
		size_t cap = s->cap ? 2 * s->cap : PTRSET_MIN_CAP;
		const void **slot = calloc(cap, sizeof(*slot));
		if (!slot)
			return -1;
		for (size_t i = 0; i < s->cap; i++)
			if (s->slot[i])
				place(slot, cap, s->slot[i]);
		free(s->slot);
		s->slot = slot;
		s->cap = cap;
	}
	size_t j = slot_of(x, s->cap);
	while (s->slot[j]) {
		if (s->slot[j] == x)
			return 0;
		j = (j + 1) & (s->cap - 1);
	}
	s->slot[j] = x;
	s->n++;
	return 1;
}

bool ptrset_has(const ptrset *s, const void *x)
{
	if (!s->cap)
		return false;
	for (size_t j = slot_of(x, s->cap); s->slot[j]; j = (j + 1) & (s->cap - 1))
		if (s->slot[j] == x)
			return true;
	return false;
}

void ptrset_clear(ptrset *s)
{
	free(s->slot);
	s->slot = NULL;
	s->n = s->cap = 0;
}
