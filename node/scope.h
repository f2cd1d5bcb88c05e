/*
 * node/scope.h — the node's in-memory view of who may hold each stored
 * object.
 *
 * Forwarding and reconciliation ask "may peer P hold object X?" for many
 * objects at a time. Answering from the store would mean decoding each
 * object again; instead the node keeps, per object, its decoded header and
 * audience, indexed by id, and the releases of each report linked to it.
 *
 * Entries are compact (measured by test_scope: under 200 bytes per AMBER
 * report with a 3-entry audience, hash slot included): they live in an
 * arena, identical audience and roster arrays are stored once and shared,
 * and each entry holds only the part of sm_msg its type needs:
 *   report      h, tlp, aud, n_rosters, rosters; NOT has_supersedes,
 *               supersedes, encrypted, nonce, data, keys (not stored:
 *               reading them reads past the entry; read the store)
 *   release     h, report, add, n_rosters, rosters; NOT n_keys, keys
 *   sighting    all of sm_sighting, note NULL
 *   retraction  all of sm_retraction, reason NULL
 * Arrays reachable from an entry are shared and read-only.
 *
 * Ownership: entries are owned by the scope table; pointers returned stay
 * valid until scope_destroy or scope_reset (entries are never removed
 * otherwise; the table grows). Never copy a scope_entry or its msg by
 * value, and never msg_clear one.
 */
#ifndef SIGMESH_SCOPE_H
#define SIGMESH_SCOPE_H

#include <stdbool.h>
#include <stddef.h>
#include "proto/msg.h"
#include "proto/tlp.h"

typedef struct scope_entry {
	uint64_t arrival;		/* local arrival sequence in the store */
	struct scope_entry **rel;	/* releases of this report, by its originator
					 * (at most SCOPE_MAX_REL) */
	size_t n_rel;
	sm_msg msg;			/* LAST: stored only as far as its type
					 * needs (see above) */
} scope_entry;

/* Releases linked to one report; more are kept but not linked (callers
 * size release arrays with it). */
#define SCOPE_MAX_REL 64

typedef struct scope scope_t;

scope_t *scope_new(void);
void scope_destroy(scope_t **s);

/* Record a verified object; takes the decoded message (moves it: *m is
 * cleared). A release is linked to its report when both are present,
 * whichever arrives first. Returns the entry or NULL (ENOMEM). */
scope_entry *scope_add(scope_t *s, sm_msg *m, uint64_t arrival);
scope_entry *scope_get(scope_t *s, const uint8_t id[SM_ID_LEN]);
size_t scope_count(const scope_t *s);

/* The report an entry is about: itself for a report, else its referenced
 * report (NULL if not held). */
scope_entry *scope_report_of(scope_t *s, scope_entry *e);

/* Releases of report e as the array tlp.h takes. out must hold e->n_rel. */
void scope_release_list(const scope_entry *e, const sm_release **out);

/*
 * May a and b exchange object e (tlp_shared for reports; for sightings,
 * retractions and releases, the rules of their report; an
 * originator-only sighting only between the sighter and the report's
 * originator)? False if e's report is not held.
 */
bool scope_shared(scope_t *s, scope_entry *e, const uint8_t a[SM_ID_LEN],
    const uint8_t b[SM_ID_LEN], const sm_members *m);
/* May holder hand e to peer (tlp_may_forward and the same rules)? */
bool scope_may_forward(scope_t *s, scope_entry *e, const uint8_t holder[SM_ID_LEN],
    const uint8_t peer[SM_ID_LEN], const sm_members *m);



/* Releases held for a report that is not (yet) held itself, by report id
 * (the signer is checked against the report once it arrives). Fills up to
 * cap pointers; returns how many there are. */
size_t scope_pending_releases(scope_t *s, const uint8_t report[SM_ID_LEN],
    const sm_release **out, size_t cap);

/* Call fn on every entry, in no particular order. */
void scope_each(scope_t *s, void (*fn)(void *ctx, scope_entry *e), void *ctx);

/* Forget every entry (after a failed commit the node reloads from the
 * store). */
void scope_reset(scope_t *s);
#endif
