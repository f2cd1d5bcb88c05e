/*
 * proto/recon.h — exact catch-up between two nodes by range-based set
 * reconciliation, in the style of the Negentropy protocol. Pure: no I/O,
 * no clock, no randomness. PROTOCOL.md §11 gives every byte.
 *
 * Each side holds a set of items (created_ms, object id), filtered to the
 * objects both nodes are entitled to and sorted by (timestamp, id). One
 * side, the initiator, calls recon_initiate and sends the message; from
 * then on both sides feed every message they receive to recon_respond and
 * send back what it returns, until recon_done. At the end each side knows:
 *
 *   have: ids it holds that the peer lacks   (objects it should send)
 *   need: ids the peer holds that it lacks   (objects it should request)
 *
 * The initiator learns both sets exactly. The responder learns its "have"
 * exactly and never reports "need" (it sees the initiator's ids only as
 * short prefixes). A node therefore either lets both sides push their
 * "have" (no requests at all), or lets the initiator push its "have" and
 * request its "need"; doing both would move every object twice.
 *
 * The sets are compared by fingerprints of ranges: BLAKE2b-256 of
 * (sum of ids mod 2^256, 32 bytes LE || count, 8 bytes LE), first 16
 * bytes. The first message is one fingerprint over the whole set, so a
 * session between equal sets (the usual periodic case) is one round trip
 * of 26 bytes out and 3 back, whatever the set size. Ranges whose
 * fingerprints differ are split into 16 buckets until they are small; then
 * the initiator lists its ids (4-byte prefixes by default) and the
 * responder answers with the full ids the initiator lacks, a bitmap of the
 * listed entries it lacks, and its own fingerprint of the range, which the
 * initiator uses to check the answer (a prefix collision makes the check
 * fail and the range is listed again with full ids). Typical cost: 2-3
 * round trips and 1-2.5 KB to find one difference among 1,000 to a
 * million items (bench/bench_recon.c).
 *
 * Caveats:
 * - Both sides must build their item sets with the same rule and the same
 *   opts.since, or every item outside the common window shows up as a
 *   difference.
 * - The sum fingerprint is not collision resistant against someone who
 *   chooses many ids; ids are hashes of signed objects, so an attacker
 *   would have to sign and publish the crafted objects, and at worst two
 *   nodes miss each other's crafted objects. Never use recon to decide
 *   what is authentic: received objects are verified on their own.
 * - A recon_t is one session with one peer; it is not thread-safe.
 */
#ifndef SIGMESH_RECON_H
#define SIGMESH_RECON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "proto/err.h"

#define RECON_VERSION 1
#define RECON_ID_LEN 32
#define RECON_FP_LEN 16
#define RECON_BUCKETS 16		/* a mismatched range splits into this many */
#define RECON_LIST_BELOW 32		/* responder: below this, ask for a list */
#define RECON_INIT_LIST_BELOW 256	/* initiator: below this, list a mismatch */
#define RECON_MAX_FRAME (1u << 20)	/* a message, bytes; larger is rejected */
#define RECON_MIN_FRAME 4096		/* smallest frame_limit accepted */
#define RECON_DEFAULT_FRAME (256u * 1024)
#define RECON_MAX_RANGES 16384		/* ranges in one message */
#define RECON_MAX_IDS 65536		/* listed entries + full ids in one message */
#define RECON_DEFAULT_ROUNDS 256
#define RECON_MIN_PREFIX 4		/* id prefix length in id lists, bytes */
#define RECON_DEFAULT_PREFIX 4

typedef struct recon_item {
	uint64_t ts;			/* created_ms; UINT64_MAX is reserved */
	uint8_t id[RECON_ID_LEN];	/* object id */
} recon_item;

typedef struct recon_opts {
	size_t frame_limit;	/* max bytes of a message we produce; 0: default */
	unsigned max_rounds;	/* recon_respond calls before giving up; 0: default */
	uint64_t since;		/* only items with ts >= since take part */
	unsigned prefix_len;	/* bytes of each id in id lists, 4..32; 0: default */
} recon_opts;

/* A growable list of ids. recon_respond appends; the caller owns the array
 * and frees it with recon_ids_free. Zero-initialise before first use. */
typedef struct recon_ids {
	uint8_t (*id)[RECON_ID_LEN];
	size_t n;
	size_t cap;
} recon_ids;

void recon_ids_free(recon_ids *ids);

typedef struct recon recon_t;

/*
 * A reconciliation session over items[0..n), which must be sorted strictly
 * ascending by (ts, id) (SM_EINVAL otherwise, also for ts == UINT64_MAX).
 * The items with ts >= opts->since are copied: the caller may free its array
 * at once. opts may be NULL for defaults; out-of-range options fail with
 * SM_EINVAL. O(n) time and 72 bytes of memory per item (copy + prefix sums).
 * Returns NULL on failure (SM_EINVAL, SM_ENOMEM).
 */
recon_t *recon_new(const recon_item *items, size_t n, const recon_opts *opts,
    sm_err *err);

/* Frees the session and sets *r = NULL. NULL-safe, idempotent. */
void recon_destroy(recon_t **r);

/*
 * Makes this side the initiator and produces the first message in *msg
 * (malloc'd, the caller frees it) of *len bytes. Only on a fresh session
 * (SM_EINVAL otherwise). On failure *msg = NULL, *len = 0.
 */
int recon_initiate(recon_t *r, uint8_t **msg, size_t *len, sm_err *err)
    __attribute__((warn_unused_result));

/*
 * Processes one message from the peer. A session that has not initiated is
 * the responder. On success:
 *   *out is the message to send back (malloc'd, the caller frees it), or
 *   NULL when there is nothing to send; *outlen is its length.
 *   have and need (each may be NULL) are appended the ids learned from
 *   this message; ids are never reported twice by an honest peer.
 *   recon_done(r) tells whether the session is over: when *out == NULL it
 *   always is; when *out != NULL it may be too (the last message, which
 *   the peer needs to finish), so send *out first in any case.
 * On failure (-1) *out = NULL, *outlen = 0, have and need are untouched
 * and the session is dead: every later call fails with SM_EINVAL. Codes:
 *   SM_EVERSION   version field not 1
 *   SM_EMALFORMED not the §11 shape, bounds not strictly ascending, a mode
 *                 the peer's role may not send, a diff that does not
 *                 reconcile its range
 *   SM_ENONCANON  non-canonical msgpack or id prefix ending in a zero byte
 *   SM_ETYPE      unknown range mode
 *   SM_EBOUND     message over RECON_MAX_FRAME, too many ranges or ids,
 *                 a field out of range, or more than max_rounds messages
 *   SM_ETRAILING  bytes after the message
 *   SM_EINVAL     session finished or dead
 *   SM_ENOMEM
 * Work per call is O((ranges + ids) log n) and memory O(inlen + frame_limit),
 * whatever the peer sends.
 */
int recon_respond(recon_t *r, const uint8_t *in, size_t inlen, uint8_t **out,
    size_t *outlen, recon_ids *have, recon_ids *need, sm_err *err)
    __attribute__((warn_unused_result));

/* True once the session has finished (successfully). */
bool recon_done(const recon_t *r);

/* Number of recon_respond calls that succeeded so far. */
unsigned recon_rounds(const recon_t *r);

/* Number of items taking part (after the since filter). */
size_t recon_size(const recon_t *r);

/* The §11 fingerprint of a set of ids (order does not matter). Exposed for
 * test vectors and for interoperability checks. */
void recon_fingerprint(const uint8_t (*ids)[RECON_ID_LEN], size_t n,
    uint8_t fp[RECON_FP_LEN]);

#endif
