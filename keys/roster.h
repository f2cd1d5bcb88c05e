/*
 * keys/roster.h — quorum-governed SIG rosters.
 *
 * A SIG's roster is a hash-chained log of signed entries (PROTOCOL.md §8):
 *
 *   entry 0 (genesis): SIG name, founding members, approval threshold,
 *                      policy; signed by every founding member.
 *   entry k > 0:       prev = hash of entry k-1, and one change:
 *                      add member, remove member, rotate a member's keys,
 *                      change threshold, change a member's endpoint;
 *                      valid only with approvals (signatures) from at least
 *                      threshold distinct members of the roster as of
 *                      entry k-1. threshold 0 means a strict majority.
 *
 * The SIG id is the hash of the genesis entry; the roster version after
 * entry k is k+1. Anyone can verify a roster from genesis to head and ask
 * for the member set at any version.
 *
 * Entry encoding: [ body:bin, approvals:[ [org:bin32, sig:bin64], ... ] ]
 * where body is a canonical map and each sig is
 * Ed25519("sigmesh/roster/1" || body). hash = BLAKE2b-256(body).
 */
#ifndef SIGMESH_ROSTER_H
#define SIGMESH_ROSTER_H

#include <stdbool.h>
#include <stdint.h>
#include "proto/err.h"
#include "proto/msg.h"
#include "keys/identity.h"

#define ROSTER_MAX_MEMBERS 1024
#define ROSTER_MAX_NAME 128
#define ROSTER_MAX_ENDPOINT 256
#define ROSTER_MAX_ENTRY (2 * 1024 * 1024)	/* a genesis of 1024 founders */
#define ROSTER_MAX_ENTRIES 65536
#define ROSTER_MAX_FILE (64u * 1024 * 1024)

enum roster_op {
	ROSTER_GENESIS = 0,
	ROSTER_ADD = 1,
	ROSTER_REMOVE = 2,
	ROSTER_ROTATE = 3,	/* new box/curve keys for an existing member */
	ROSTER_THRESHOLD = 4,
	ROSTER_ENDPOINT = 5,
};

typedef struct roster_member {
	id_public id;
	char endpoint[ROSTER_MAX_ENDPOINT];	/* "tcp://host:port", may be "" */
	uint64_t since;		/* roster version from which it is a member */
	/* The signed identity card id was taken from: the entry carries it so
	 * every reader can check that the member's own key certified its box
	 * and curve keys. Fill with roster_member_from_card. */
	uint32_t card_len;
	uint8_t card[ID_MAX_CARD];
} roster_member;

/* Fill m from an identity card (verified) and an endpoint (may be NULL). */
int roster_member_from_card(roster_member *m, const uint8_t *card, size_t len,
    const char *endpoint, sm_err *err) __attribute__((warn_unused_result));

/* A proposed change, before approvals. */
typedef struct roster_change {
	uint8_t op;				/* enum roster_op, not GENESIS */
	roster_member member;			/* ADD, ROTATE, ENDPOINT */
	uint8_t org[SM_ID_LEN];			/* REMOVE */
	uint32_t threshold;			/* THRESHOLD */
	uint64_t created_ms;
} roster_change;

typedef struct roster roster_t;

/* Genesis. members[] are the founders; the returned entry bytes carry no
 * approvals yet: each founder adds its signature with roster_approve, and
 * roster_append accepts it once all founders have signed.
 * late_readers: members added later may read reports created before they
 * joined (default false: they may not, unless released to them). */
uint8_t *roster_genesis(const char *sig_name, const roster_member *members,
    uint32_t n, uint32_t threshold, bool late_readers, uint64_t created_ms,
    size_t *len, sm_err *err);
/* An entry proposing change ch on top of roster r's head (no approvals). */
uint8_t *roster_propose(const roster_t *r, const roster_change *ch,
    size_t *len, sm_err *err);
/* Add id's signature to an entry; returns a new malloc'd entry. Signing
 * twice is a no-op copy. */
uint8_t *roster_approve(const uint8_t *entry, size_t len, const identity_t *id,
    size_t *out_len, sm_err *err);

roster_t *roster_new(void);
void roster_destroy(roster_t **r);
/* Verify entry against the head and append it. SM_ECHAIN (wrong prev,
 * wrong index, a second genesis), SM_EQUORUM (too few valid approvals),
 * SM_ENOTMEMBER (an approval from a non-member or removed member),
 * SM_ESIG, SM_EMALFORMED... On failure r is unchanged. */
int roster_append(roster_t *r, const uint8_t *entry, size_t len, sm_err *err)
    __attribute__((warn_unused_result));

/* Serialize the whole log (for files and for gossip): a msgpack array of
 * entries. roster_load verifies every entry from genesis. */
uint8_t *roster_serialize(const roster_t *r, size_t *len, sm_err *err);
roster_t *roster_parse(const uint8_t *buf, size_t len, sm_err *err);
int roster_save(const roster_t *r, const char *path, sm_err *err);
roster_t *roster_load(const char *path, sm_err *err);

const uint8_t *roster_sig_id(const roster_t *r);	/* 32 bytes; NULL if empty */
const char *roster_name(const roster_t *r);
uint64_t roster_version(const roster_t *r);		/* entries so far */
bool roster_late_readers(const roster_t *r);
uint32_t roster_threshold_at(const roster_t *r, uint64_t version);	/* effective */
/* Entry bytes by index (for sending a peer what it lacks). */
const uint8_t *roster_entry(const roster_t *r, uint64_t index, size_t *len);

/* Members at a version (0 = head). The pointer and count describe an array
 * owned by r, valid until the next roster_append. */
const roster_member *roster_members(const roster_t *r, uint64_t version, uint32_t *n);
/* Member record at version (0 = head), or NULL. */
const roster_member *roster_find(const roster_t *r, uint64_t version,
    const uint8_t org[SM_ID_LEN]);
bool roster_is_member(const roster_t *r, uint64_t version, const uint8_t org[SM_ID_LEN]);
/* The newest record of org in r at any version (even if since removed), or
 * NULL: its newest box key, for reports addressed to an older version. */
const roster_member *roster_latest(const roster_t *r, const uint8_t org[SM_ID_LEN]);

#endif
