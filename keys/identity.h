/*
 * keys/identity.h — an organization's identity and its key files.
 *
 * An organization is its Ed25519 signing key: the 32-byte public key is the
 * organization id everywhere in sigmesh. The signing key certifies two
 * further keys, so they can be rotated without a new identity:
 *   - an X25519 key pair that content keys are sealed to (crypto_box);
 *   - the node's CurveZMQ transport key pair (also X25519, separate).
 *
 * The public half travels as an "identity card" (PROTOCOL.md §7): a signed
 * object binding name, org id, box key, curve key and a key version.
 *
 * Secret key file (0600): PROTOCOL.md §7.2. Optionally protected by a
 * passphrase (crypto_pwhash Argon2id13 + XChaCha20-Poly1305); the
 * plaintext secrets never touch the disk or the logs.
 *
 * Ownership: identity_t holds the secrets in sodium_malloc'd, guard-paged
 * memory, wiped and freed by identity_destroy.
 */
#ifndef SIGMESH_IDENTITY_H
#define SIGMESH_IDENTITY_H

#include <stdbool.h>
#include <stdint.h>
#include <sodium.h>
#include "proto/err.h"
#include "proto/msg.h"

#define ID_MAX_NAME 128
#define ID_MAX_CARD 512			/* encoded identity card, bytes */
#define ID_MAX_KEYFILE 4096		/* encoded secret key file, bytes */
/* Argon2id limits a key file may ask for; anything outside is refused so a
 * hostile file cannot make the loader allocate gigabytes or spin. */
#define ID_MAX_OPSLIMIT 16
#define ID_MAX_MEMLIMIT (256u * 1024 * 1024)

/* The public identity: what a roster entry and an identity card carry. */
typedef struct id_public {
	char name[ID_MAX_NAME];			/* display name, UTF-8 */
	uint8_t org[SM_ID_LEN];			/* Ed25519 public key = org id */
	uint8_t box_pk[crypto_box_PUBLICKEYBYTES];
	uint8_t curve_pk[32];			/* CurveZMQ public key */
	uint32_t key_version;			/* bumped on each rotation */
} id_public;

typedef struct identity identity_t;

/* Fresh keys for a new organization. NULL on failure. */
identity_t *identity_generate(const char *name, sm_err *err);
void identity_destroy(identity_t **id);
/* Deterministic keys from a 32-byte seed (test vectors, simulator): the
 * signing key is crypto_sign_seed_keypair(seed); the box and curve keys come
 * from crypto_box_seed_keypair(BLAKE2b-256(key = seed, "sigmesh/box|curve")).
 * Not for production identities. NULL on failure. */
identity_t *identity_from_seed(const char *name, const uint8_t seed[32], sm_err *err);

const id_public *identity_public(const identity_t *id);
/* Borrowed pointers into guarded memory, valid until identity_destroy. */
const uint8_t *identity_sign_sk(const identity_t *id);	/* 64 bytes */
const uint8_t *identity_box_sk(const identity_t *id);	/* 32 bytes */
const uint8_t *identity_curve_sk(const identity_t *id);	/* 32 bytes */

/* New box and curve keys, key_version + 1. */
int identity_rotate(identity_t *id, sm_err *err);

/* Secret key file. passphrase may be NULL (file not encrypted; the CLI
 * warns). Save refuses to overwrite unless overwrite, writes 0600 via a
 * temporary file and rename, and fsyncs. Load refuses a file readable by
 * group or others, and a wrong passphrase fails with SM_EPERM. */
int identity_save(const identity_t *id, const char *path,
    const char *passphrase, bool overwrite, sm_err *err);
identity_t *identity_load(const char *path, const char *passphrase, sm_err *err);
/* Parse a key file from memory (what identity_load does after reading). */
identity_t *identity_parse(const uint8_t *buf, size_t len,
    const char *passphrase, sm_err *err);
bool identity_file_encrypted(const uint8_t *buf, size_t len);

/* Identity card: signed public identity, for exchange between founders. */
uint8_t *identity_card(const identity_t *id, size_t *len, sm_err *err);
int identity_card_parse(const uint8_t *buf, size_t len, id_public *out,
    sm_err *err) __attribute__((warn_unused_result));

/* Plain (non-secret) file helpers shared by keys/ and the CLI.
 * identity_read_file returns a malloc'd buffer of at most max bytes (caller
 * frees) or NULL (SM_ENOTFOUND, SM_EBOUND, SM_EIO). identity_write_file
 * writes a temporary file (O_CREAT|O_EXCL, mode), fsyncs it and renames it
 * over path (or, without overwrite, links it so an existing path is never
 * replaced: SM_EEXISTS). */
uint8_t *identity_read_file(const char *path, size_t max, size_t *len, sm_err *err);
int identity_write_file(const char *path, const uint8_t *buf, size_t len,
    unsigned mode, bool overwrite, sm_err *err);

/* Human-checkable fingerprint of an org id: 8 groups of 4 hex digits of
 * BLAKE2b-128(org id), e.g. "3f2a 9c01 ...". out needs 40 bytes. */
void identity_fingerprint(const uint8_t org[SM_ID_LEN], char out[40]);

/* base64 (URL-safe, no padding) of a 32-byte key or id; out needs 44. */
void identity_b64(const uint8_t key[32], char out[44]);
int identity_from_b64(const char *s, uint8_t key[32]);

#endif
