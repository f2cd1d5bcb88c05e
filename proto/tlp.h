/*
 * proto/tlp.h — the Traffic Light Protocol rules, as pure functions.
 *
 * Every decision about who may hold a message is made here and nowhere
 * else; the node asks these functions before it stores, forwards,
 * reconciles, exports or publishes anything. A leak would come from a bug
 * here, so tests/unit/test_tlp.c checks them exhaustively.
 *
 *   label         audience shape                 relayed?   export
 *   CLEAR         federation                     yes        anywhere
 *   GREEN         federation                     yes        inside the community
 *   AMBER         orgs and/or SIGs (+releases)   yes, within audience   own org + clients
 *   AMBER+STRICT  orgs and/or SIGs (+releases)   yes, within audience   own org only
 *   RED           named orgs only                never: originator -> each org directly
 *
 * Membership is asked through sm_members, so proto/ stays free of keys/
 * and of I/O: the node passes its federation (verified rosters).
 */
#ifndef SIGMESH_TLP_H
#define SIGMESH_TLP_H

#include <stdbool.h>
#include "proto/msg.h"

/* Is org a member of SIG sig at roster version version? Also answers for
 * "any SIG of the federation" when sig is NULL (version ignored: current). */
typedef struct sm_members {
	bool (*is_member)(void *ctx, const uint8_t *sig, uint64_t version,
	    const uint8_t org[SM_ID_LEN]);
	void *ctx;
} sm_members;

/* Where an export may go. */
enum sm_export_dest {
	SM_DEST_INTERNAL = 0,	/* stays inside this organization */
	SM_DEST_CLIENTS,	/* the organization and its clients (need to know) */
	SM_DEST_COMMUNITY,	/* the federation's members and partners */
	SM_DEST_PUBLIC,
};

const char *tlp_name(uint8_t tlp);	/* "TLP:AMBER+STRICT", or NULL */
/* Parse "red", "TLP:RED", "amber+strict", ... case-insensitively. */
int tlp_parse(const char *s, uint8_t *tlp);

/* Is this audience shape allowed for the label (table above)? Also checks
 * that the audience is not empty and that every SIG has a roster ref. On
 * false, why (if not NULL) says what is wrong. */
bool tlp_audience_ok(uint8_t tlp, const sm_audience *aud,
    const sm_roster_ref *rosters, uint32_t n_rosters, const char **why);

/* May a release add this to a report of this label? RED may add named
 * orgs only; AMBER/AMBER+STRICT orgs and SIGs; CLEAR/GREEN need none. */
bool tlp_release_ok(uint8_t tlp, const sm_audience *add, const char **why);
/* Can any release widen a report of this label (AMBER, AMBER+STRICT,
 * RED)? CLEAR and GREEN already reach the whole federation. */
bool tlp_may_widen(uint8_t tlp);

/*
 * Is org entitled to hold report r (with these releases of it, all
 * verified as signed by r's originator)? The originator always is.
 * Membership of a SIG is judged at the roster version the report (or the
 * release) names, so every node reaches the same verdict.
 */
bool tlp_may_receive(const sm_report *r, const sm_release *const *rel,
    size_t n_rel, const uint8_t org[SM_ID_LEN], const sm_members *m);

/*
 * May node "from" hand report r to node "to"? Both must be entitled, and a
 * RED report only ever moves from its originator to a named organization.
 */
bool tlp_may_forward(const sm_report *r, const sm_release *const *rel,
    size_t n_rel, const uint8_t from[SM_ID_LEN], const uint8_t to[SM_ID_LEN],
    const sm_members *m);

/*
 * The symmetric form used by reconciliation: may a and b exchange r? True
 * iff both are entitled and, for RED, one of them is the originator. Being
 * symmetric, both sides of a reconciliation compute the same set.
 */
bool tlp_shared(const sm_report *r, const sm_release *const *rel,
    size_t n_rel, const uint8_t a[SM_ID_LEN], const uint8_t b[SM_ID_LEN],
    const sm_members *m);

/* May a report of this label leave the node to dest? RED never. */
bool tlp_may_export(uint8_t tlp, enum sm_export_dest dest);
/* May it be published on the node's local event feed? Not RED. */
bool tlp_may_feed(uint8_t tlp);

#endif
