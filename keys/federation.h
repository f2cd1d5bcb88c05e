/*
 * keys/federation.h — the set of SIG rosters a node knows.
 *
 * An organization may be in several SIGs; a federation answers "is org X a
 * member of SIG S at version v", "which SIGs is X in", "which transport key
 * belongs to which org" (for ZAP), and gives proto/tlp.h its sm_members.
 */
#ifndef SIGMESH_FEDERATION_H
#define SIGMESH_FEDERATION_H

#include "keys/roster.h"
#include "proto/tlp.h"

typedef struct federation federation_t;

federation_t *federation_new(void);
void federation_destroy(federation_t **f);	/* destroys the rosters too */

/* Takes ownership of r in every case (on failure r is destroyed). A roster with the same SIG id replaces the older
 * one only if it extends it (same chain, longer); else SM_ECHAIN. */
int federation_add(federation_t *f, roster_t *r, sm_err *err);
/* Load every *.roster file in dir. */
int federation_load_dir(federation_t *f, const char *dir, sm_err *err);

size_t federation_count(const federation_t *f);
roster_t *federation_at(const federation_t *f, size_t i);
roster_t *federation_find(const federation_t *f, const uint8_t sig[SM_ID_LEN]);
roster_t *federation_find_name(const federation_t *f, const char *name);

/* Current member record of org in any SIG (newest key version), or NULL. */
const roster_member *federation_member(const federation_t *f, const uint8_t org[SM_ID_LEN]);
/* The org whose current curve key is curve_pk, or false. */
bool federation_org_by_curve(const federation_t *f, const uint8_t curve_pk[32],
    uint8_t org[SM_ID_LEN]);
/* Is org a current member of any SIG? */
bool federation_is_member(const federation_t *f, const uint8_t org[SM_ID_LEN]);
/* Do a and b share a SIG at its head? */
bool federation_share_sig(const federation_t *f, const uint8_t a[SM_ID_LEN],
    const uint8_t b[SM_ID_LEN]);

/* The sm_members view for proto/tlp.h (ctx = f). */
sm_members federation_members(const federation_t *f);

/* Recipients of an audience: every org it names, every member of its SIGs
 * at the roster versions given (or head when refs is NULL), every member
 * of every SIG for a federation audience; sorted, unique, each with its
 * current box key. *out is malloc'd; caller frees. */
int federation_resolve(const federation_t *f, const sm_audience *aud,
    const sm_roster_ref *refs, uint32_t n_refs, sm_recipient **out,
    uint32_t *n, sm_err *err);
/* Roster refs (head versions) for the SIGs of aud, sorted by SIG id. */
int federation_refs(const federation_t *f, const sm_audience *aud,
    sm_roster_ref **out, uint32_t *n, sm_err *err);

#endif
