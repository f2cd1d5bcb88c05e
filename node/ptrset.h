/*
 * node/ptrset.h — a set of pointers (open addressing, linear probing),
 * for the short-lived per-peer sets of reconciliation: objects queued for
 * a peer lately, and objects sent or announced to it lately
 * (gossip_recon.c). The entries are the node's scope entries, which live
 * as long as the node, so a pointer names one object for as long as the
 * set holds it.
 *
 * A set starts empty and holds no memory; the first add allocates
 * PTRSET_MIN_CAP slots, and it doubles at half full. ptrset_clear frees
 * it, so a set that is cleared when its window passes does not keep the
 * size of its largest burst.
 *
 * Threads: none of its own; one caller at a time.
 * Ownership: the set owns its slot array; the pointers are borrowed.
 */
#ifndef SIGMESH_PTRSET_H
#define SIGMESH_PTRSET_H

#include <stdbool.h>
#include <stddef.h>

#define PTRSET_MIN_CAP 64

typedef struct ptrset {
	const void **slot;	/* owned; NULL until the first add */
	size_t n, cap;		/* cap: 0 or a power of two */
} ptrset;

/* Add x (not NULL): 1 if it was added, 0 if it was there already, -1 if
 * the set could not grow (out of memory; x is not in it). */
int ptrset_add(ptrset *s, const void *x);

bool ptrset_has(const ptrset *s, const void *x);

/* Empty the set and free its memory. */
void ptrset_clear(ptrset *s);

#endif
