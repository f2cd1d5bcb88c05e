/*
 * proto/msg.h — sigmesh's signed messages: reports, sightings, retractions
 * and releases. No I/O. PROTOCOL.md §3-§6 gives every byte.
 *
 * Every message travels as a "signed object":
 *
 *     object = msgpack array [ type:uint, signer:bin32, tbs:bin, sig:bin64 ]
 *     sig    = Ed25519(signer's key, "sigmesh/1" || u8 type || tbs)
 *     id     = BLAKE2b-256(object bytes)
 *
 * tbs ("to be signed") is itself one canonical msgpack map whose first
 * fields are common to all types: 1 version, 2 originator (== signer),
 * 3 seq (per originator, strictly increasing over all its messages),
 * 4 created (ms since the Unix epoch). Keeping the signed bytes as an
 * opaque bin lets any node check the signature before decoding anything,
 * and keeps the id stable however a reader re-encodes.
 *
 * A report's body is encrypted (XChaCha20-Poly1305, fresh 32-byte content
 * key) and the content key is sealed (crypto_box_seal) to each recipient's
 * X25519 key, the originator's own included. TLP:CLEAR and TLP:GREEN
 * reports may instead carry the body in clear, still signed.
 *
 * Ownership: every msg_* struct owns its arrays; msg_*_clear frees them and
 * wipes what held key material. Decoded structs copy what they keep; they
 * never point into the input.
 */
#ifndef SIGMESH_MSG_H
#define SIGMESH_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sodium.h>
#include "proto/err.h"

#define SM_PROTO_VERSION 1
#define SM_ID_LEN 32			/* object ids, org ids, SIG ids */
#define SM_SIG_LEN 64
#define SM_SEALED_KEY_LEN (crypto_secretbox_KEYBYTES + crypto_box_SEALBYTES)	/* 80 */
#define SM_NONCE_LEN crypto_aead_xchacha20poly1305_ietf_NPUBBYTES	/* 24 */

#define SM_MAX_OBJECT (1u << 20)	/* a whole signed object, bytes */
#define SM_MAX_BODY (SM_MAX_OBJECT - 64 * 1024)	/* body plaintext */
#define SM_MAX_AUDIENCE_ORGS 1024
#define SM_MAX_AUDIENCE_SIGS 64
#define SM_MAX_RECIPIENTS 4096		/* sealed content keys in one message */
#define SM_MAX_NOTE 4096		/* free text in sightings, retractions */
#define SM_MAX_CLOCK_SKEW_MS (10 * 60 * 1000)

enum sm_msg_type {
	SM_MSG_REPORT = 1,
	SM_MSG_SIGHTING = 2,
	SM_MSG_RETRACTION = 3,
	SM_MSG_RELEASE = 4,
};

/* TLP 2.0 labels, in increasing restriction. The numbers are on the wire. */
enum sm_tlp {
	SM_TLP_CLEAR = 0,
	SM_TLP_GREEN = 1,
	SM_TLP_AMBER = 2,
	SM_TLP_AMBER_STRICT = 3,
	SM_TLP_RED = 4,
};

typedef struct sm_roster_ref {
	uint8_t sig[SM_ID_LEN];		/* SIG id: hash of its genesis entry */
	uint64_t version;		/* roster version (entry count) */
} sm_roster_ref;

/* Who receives a report now. Arrays are sorted ascending, without
 * duplicates (the encoder sorts; the decoder rejects anything else). */
typedef struct sm_audience {
	bool federation;		/* every member of every SIG */
	uint32_t n_orgs;
	uint8_t (*orgs)[SM_ID_LEN];	/* named organizations (Ed25519 ids) */
	uint32_t n_sigs;
	uint8_t (*sigs)[SM_ID_LEN];	/* SIG ids */
} sm_audience;

/* One sealed copy of a content key. */
typedef struct sm_keyslot {
	uint8_t org[SM_ID_LEN];
	uint8_t sealed[SM_SEALED_KEY_LEN];
} sm_keyslot;

/* Fields every message type has. */
typedef struct sm_head {
	uint8_t type;			/* enum sm_msg_type */
	uint8_t originator[SM_ID_LEN];
	uint64_t seq;
	uint64_t created_ms;
} sm_head;

typedef struct sm_report {
	sm_head h;
	uint8_t tlp;			/* enum sm_tlp */
	sm_audience aud;
	uint32_t n_rosters;
	sm_roster_ref *rosters;		/* sorted by sig id; one per SIG in aud */
	bool has_supersedes;		/* a revision of an earlier report */
	uint8_t supersedes[SM_ID_LEN];
	bool encrypted;
	uint8_t nonce[SM_NONCE_LEN];
	uint8_t *data;			/* ciphertext, or plaintext body if !encrypted */
	size_t data_len;
	uint32_t n_keys;
	sm_keyslot *keys;		/* sorted by org id */
} sm_report;

enum sm_sighting_kind { SM_SIGHT_SEEN = 0, SM_SIGHT_FALSE_POSITIVE = 1 };

typedef struct sm_sighting {
	sm_head h;
	uint8_t report[SM_ID_LEN];
	uint8_t kind;			/* enum sm_sighting_kind */
	bool originator_only;		/* send only to the report's originator */
	uint64_t count;			/* how many times seen (>= 1) */
	char *note;			/* optional, NUL-terminated, may be NULL */
} sm_sighting;

typedef struct sm_retraction {
	sm_head h;
	uint8_t report[SM_ID_LEN];
	char *reason;			/* optional */
} sm_retraction;

/* The originator widens a report's audience: the cross-SIG permission. */
typedef struct sm_release {
	sm_head h;
	uint8_t report[SM_ID_LEN];
	sm_audience add;		/* orgs and/or SIGs added; never federation */
	uint32_t n_rosters;
	sm_roster_ref *rosters;		/* one per SIG in add */
	uint32_t n_keys;
	sm_keyslot *keys;		/* content key sealed to the new recipients */
} sm_release;

/* A decoded, verified object of any type. */
typedef struct sm_msg {
	uint8_t id[SM_ID_LEN];
	uint8_t type;
	union {
		sm_head h;		/* common prefix of all four */
		sm_report report;
		sm_sighting sighting;
		sm_retraction retraction;
		sm_release release;
	} u;
} sm_msg;

/* ---- the outer object: cheap checks before any decoding --------------- */

/* Split an object into its parts without verifying (for dedup by id and
 * for choosing the key). Pointers point into buf. */
typedef struct sm_object {
	uint8_t type;
	const uint8_t *signer;		/* 32 bytes */
	const uint8_t *tbs;
	size_t tbs_len;
	const uint8_t *sig;		/* 64 bytes */
} sm_object;

int msg_object_split(const uint8_t *buf, size_t len, sm_object *out, sm_err *err)
	__attribute__((warn_unused_result));
void msg_object_id(const uint8_t *buf, size_t len, uint8_t id[SM_ID_LEN]);

/* Verify the Ed25519 signature of an object (split first). The signer's
 * key is the originator id itself. SM_ESIG on failure. */
int msg_object_verify(const sm_object *o, sm_err *err) __attribute__((warn_unused_result));

/*
 * Full decode: split, verify, decode tbs strictly (canonical, bounds,
 * version, type, originator == signer, sorted unique arrays, TLP/audience
 * shape via tlp_audience_ok). On failure out is zeroed and holds nothing.
 * now_ms, if non-zero, rejects objects created more than
 * SM_MAX_CLOCK_SKEW_MS in the future.
 */
int msg_decode(const uint8_t *buf, size_t len, uint64_t now_ms, sm_msg *out,
    sm_err *err) __attribute__((warn_unused_result));

/*
 * !!! TRUSTED INPUT ONLY — NO SIGNATURE CHECK !!!
 *
 * msg_decode_trusted is msg_decode WITHOUT the Ed25519 signature check and
 * WITHOUT the clock-skew check; every other check is the same (size bound,
 * canonical encoding, version, type, originator == signer, sorted unique
 * arrays, TLP/audience shape). It accepts an object whose signature is
 * forged or corrupt.
 *
 * Use it ONLY for bytes the node reads back from its OWN store, which
 * msg_decode verified when they arrived (the store's fsck re-verifies with
 * msg_decode). NEVER call it on bytes from the network, from another
 * node, from a file given by a user, or from anything else that did not
 * pass msg_decode first in this node: doing so lets anyone forge
 * messages in any organization's name.
 *
 * Ownership and failure behaviour are those of msg_decode.
 */
int msg_decode_trusted(const uint8_t *buf, size_t len, sm_msg *out, sm_err *err)
    __attribute__((warn_unused_result));
void msg_clear(sm_msg *m);

/* ---- building --------------------------------------------------------- */

/* A recipient of a content key. */
typedef struct sm_recipient {
	uint8_t org[SM_ID_LEN];
	uint8_t box_pk[crypto_box_PUBLICKEYBYTES];
} sm_recipient;

/*
 * Build and sign a report. r->h, tlp, aud, rosters, supersedes are taken
 * from the caller; body/body_len is the plaintext (proto/body.h encoding).
 * If encrypt, a fresh content key is drawn and sealed to each recipient
 * (the caller passes the resolved audience plus itself); content_key, if
 * not NULL, receives it (the originator keeps it to release later).
 * Returns a malloc'd object the caller frees, its length in *len.
 */
uint8_t *msg_report_build(const sm_report *r, const uint8_t *body, size_t body_len,
    bool encrypt, const sm_recipient *rcpt, uint32_t n_rcpt,
    const uint8_t sign_sk[crypto_sign_SECRETKEYBYTES],
    uint8_t content_key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES],
    size_t *len, sm_err *err);
uint8_t *msg_sighting_build(const sm_sighting *s,
    const uint8_t sign_sk[crypto_sign_SECRETKEYBYTES], size_t *len, sm_err *err);
uint8_t *msg_retraction_build(const sm_retraction *r,
    const uint8_t sign_sk[crypto_sign_SECRETKEYBYTES], size_t *len, sm_err *err);
/* Seals content_key to each new recipient. */
uint8_t *msg_release_build(const sm_release *r,
    const uint8_t content_key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES],
    const sm_recipient *rcpt, uint32_t n_rcpt,
    const uint8_t sign_sk[crypto_sign_SECRETKEYBYTES], size_t *len, sm_err *err);

/*
 * Open a report's body for org (its X25519 key pair). Searches r's key
 * slots, and then the slots of the given releases of this report, for org.
 * Returns a malloc'd plaintext (caller frees; it may hold sensitive
 * content) or NULL with SM_EDECRYPT. For an unencrypted report it returns
 * a copy of the plaintext.
 */
uint8_t *msg_report_open(const sm_report *r, const uint8_t id[SM_ID_LEN],
    const sm_release *const *releases, size_t n_releases,
    const uint8_t org[SM_ID_LEN],
    const uint8_t box_pk[crypto_box_PUBLICKEYBYTES],
    const uint8_t box_sk[crypto_box_SECRETKEYBYTES],
    size_t *len, sm_err *err) __attribute__((warn_unused_result));

/* Recover the content key of a report the caller can open (to release). */
int msg_report_content_key(const sm_report *r, const uint8_t org[SM_ID_LEN],
    const uint8_t box_pk[crypto_box_PUBLICKEYBYTES],
    const uint8_t box_sk[crypto_box_SECRETKEYBYTES],
    uint8_t key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES], sm_err *err)
    __attribute__((warn_unused_result));

/* ---- audiences -------------------------------------------------------- */

/* Sort and deduplicate; 0 or -1 (ENOMEM). */
int msg_audience_normalize(sm_audience *a, sm_err *err);
int msg_audience_copy(sm_audience *dst, const sm_audience *src, sm_err *err);
void msg_audience_clear(sm_audience *a);
bool msg_audience_has_org(const sm_audience *a, const uint8_t org[SM_ID_LEN]);
bool msg_audience_has_sig(const sm_audience *a, const uint8_t sig[SM_ID_LEN]);

const char *msg_type_name(uint8_t type);	/* "report", ... or "unknown" */

#endif
