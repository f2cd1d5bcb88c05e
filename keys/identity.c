/*
 * keys/identity.c — organization identities, identity cards and secret key
 * files; see identity.h and PROTOCOL.md §7.
 *
 * The whole identity (public part and secrets) lives in one sodium_malloc'd
 * block: guard pages around it, never swapped (mlock), wiped by sodium_free.
 * It is read-only between operations (sodium_mprotect_readonly), so a stray
 * write through a borrowed key pointer faults instead of corrupting a key.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "keys/identity.h"
#include "proto/codec.h"

#define CARD_LABEL "sigmesh/card/1"
#define KEYFILE_LABEL "sigmesh/keyfile/1"
#define KEYFILE_VERSION 1
#define KDF_NONE 0
#define KDF_ARGON2ID13 1
#define SALT_LEN 16
#define SECRETS_MAX 512		/* encoded secrets map, plaintext */

struct identity {
	id_public pub;
	uint8_t sign_sk[crypto_sign_SECRETKEYBYTES];
	uint8_t box_sk[crypto_box_SECRETKEYBYTES];
	uint8_t curve_sk[crypto_box_SECRETKEYBYTES];
};

static identity_t *id_alloc(sm_err *err)
{
	identity_t *id;

	if (sodium_init() < 0) {
		sm_fail(err, SM_EIO, "libsodium failed to initialise");
		return NULL;
	}
	if (!(id = sodium_malloc(sizeof(*id)))) {
		sm_fail(err, SM_ENOMEM, "identity: out of memory");
		return NULL;
	}
	memset(id, 0, sizeof(*id));
	return id;
}

static int name_ok(const char *name, sm_err *err)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0)
		return sm_fail(err, SM_EINVAL, "identity name is empty");
	if (n >= ID_MAX_NAME)
		return sm_fail(err, SM_EBOUND, "identity name: %zu bytes, max %d", n, ID_MAX_NAME - 1);
	if (!codec_utf8_ok(name, n))
		return sm_fail(err, SM_EINVAL, "identity name is not valid UTF-8");
	return 0;
}

identity_t *identity_generate(const char *name, sm_err *err)
{
	identity_t *id;

	if (name_ok(name, err) < 0 || !(id = id_alloc(err)))
		return NULL;
	memcpy(id->pub.name, name, strlen(name) + 1);
	crypto_sign_keypair(id->pub.org, id->sign_sk);
	crypto_box_keypair(id->pub.box_pk, id->box_sk);
	crypto_box_keypair(id->pub.curve_pk, id->curve_sk);
	id->pub.key_version = 1;
	sodium_mprotect_readonly(id);
	return id;
}

identity_t *identity_from_seed(const char *name, const uint8_t seed[32], sm_err *err)
{
	identity_t *id;
	uint8_t sub[32];

	if (name_ok(name, err) < 0 || !(id = id_alloc(err)))
		return NULL;
	memcpy(id->pub.name, name, strlen(name) + 1);
	crypto_sign_seed_keypair(id->pub.org, id->sign_sk, seed);
	crypto_generichash(sub, sizeof sub, (const uint8_t *)"sigmesh/box", 11, seed, 32);
	crypto_box_seed_keypair(id->pub.box_pk, id->box_sk, sub);
	crypto_generichash(sub, sizeof sub, (const uint8_t *)"sigmesh/curve", 13, seed, 32);
	crypto_box_seed_keypair(id->pub.curve_pk, id->curve_sk, sub);
	sodium_memzero(sub, sizeof sub);
	id->pub.key_version = 1;
	sodium_mprotect_readonly(id);
	return id;
}

void identity_destroy(identity_t **id)
{
	if (id && *id) {
		sodium_free(*id);	/* wipes before unmapping */
		*id = NULL;
	}
}

const id_public *identity_public(const identity_t *id) { return &id->pub; }
const uint8_t *identity_sign_sk(const identity_t *id) { return id->sign_sk; }
const uint8_t *identity_box_sk(const identity_t *id) { return id->box_sk; }
const uint8_t *identity_curve_sk(const identity_t *id) { return id->curve_sk; }

int identity_rotate(identity_t *id, sm_err *err)
{
	if (id->pub.key_version == UINT32_MAX)
		return sm_fail(err, SM_EBOUND, "identity: key version exhausted");
	sodium_mprotect_readwrite(id);
	crypto_box_keypair(id->pub.box_pk, id->box_sk);
	crypto_box_keypair(id->pub.curve_pk, id->curve_sk);
	id->pub.key_version++;
	sodium_mprotect_readonly(id);
	return 0;
}

/* ---- identity cards --------------------------------------------------- */

/* Ed25519 over label || body. The concatenation is small (a card or a
 * roster body), so it is simplest to build it. */
static uint8_t *labelled(const char *label, const uint8_t *body, size_t len, size_t *out_len)
{
	size_t ll = strlen(label);
	uint8_t *m = malloc(ll + len + 1);

	if (!m)
		return NULL;
	memcpy(m, label, ll);
	if (len)
		memcpy(m + ll, body, len);
	*out_len = ll + len;
	return m;
}

uint8_t *identity_card(const identity_t *id, size_t *len, sm_err *err)
{
	codec_w w;
	uint8_t *body = NULL, *msg = NULL, *out = NULL, sig[crypto_sign_BYTES];
	size_t blen, mlen;

	*len = 0;
	codec_w_init(&w);
	codec_w_map(&w, 6);
	codec_w_uint(&w, 1); codec_w_uint(&w, 1);
	codec_w_uint(&w, 2); codec_w_cstr(&w, id->pub.name);
	codec_w_uint(&w, 3); codec_w_bin(&w, id->pub.org, SM_ID_LEN);
	codec_w_uint(&w, 4); codec_w_bin(&w, id->pub.box_pk, 32);
	codec_w_uint(&w, 5); codec_w_bin(&w, id->pub.curve_pk, 32);
	codec_w_uint(&w, 6); codec_w_uint(&w, id->pub.key_version);
	if (!(body = codec_w_take(&w, &blen)) || !(msg = labelled(CARD_LABEL, body, blen, &mlen))) {
		sm_fail(err, SM_ENOMEM, "identity card: out of memory");
		goto out;
	}
	crypto_sign_detached(sig, NULL, msg, mlen, id->sign_sk);
	codec_w_array(&w, 2);
	codec_w_bin(&w, body, blen);
	codec_w_bin(&w, sig, sizeof sig);
	if (!(out = codec_w_take(&w, len)))
		sm_fail(err, SM_ENOMEM, "identity card: out of memory");
out:
	free(body);
	free(msg);
	codec_w_free(&w);
	return out;
}

int identity_card_parse(const uint8_t *buf, size_t len, id_public *out, sm_err *err)
{
	codec_doc d = { .root = NULL }, bd = { .root = NULL };
	codec_map m;
	const msgpack_object *items;
	const uint8_t *body, *sig, *name;
	size_t blen, slen, nlen, mlen;
	uint32_t n;
	uint64_t u;
	uint8_t *msg = NULL;
	id_public p;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&p, 0, sizeof p);
	if (len > ID_MAX_CARD)
		return sm_fail(err, SM_EBOUND, "identity card: %zu bytes, max %d", len, ID_MAX_CARD);
	if (codec_decode(&d, buf, len, 2, err) < 0)
		return sm_wrap(err, "identity card: ");
	if (codec_as_array(d.root, 2, &items, &n, "identity card", err) < 0)
		goto out;
	if (n != 2) {
		sm_fail(err, SM_EMALFORMED, "identity card: expected [body, sig]");
		goto out;
	}
	if (codec_as_bin(&items[0], 1, ID_MAX_CARD, &body, &blen, "identity card body", err) < 0 ||
	    codec_as_bin(&items[1], crypto_sign_BYTES, crypto_sign_BYTES, &sig, &slen,
	    "identity card signature", err) < 0)
		goto out;
	if (codec_decode(&bd, body, blen, 1, err) < 0) {
		sm_wrap(err, "identity card body: ");
		goto out;
	}
	if (codec_map_begin(&m, bd.root, "card", err) < 0 ||
	    codec_get_uint(&m, 1, true, 0, UINT64_MAX, &u, err) < 0)
		goto out;
	if (u != 1) {
		sm_fail(err, SM_EVERSION, "identity card: version %llu, expected 1", (unsigned long long)u);
		goto out;
	}
	if (codec_get_str(&m, 2, true, ID_MAX_NAME - 1, (const char **)&name, &nlen, err) < 0 ||
	    codec_get_binfix(&m, 3, true, p.org, SM_ID_LEN, err) < 0 ||
	    codec_get_binfix(&m, 4, true, p.box_pk, 32, err) < 0 ||
	    codec_get_binfix(&m, 5, true, p.curve_pk, 32, err) < 0 ||
	    codec_get_uint(&m, 6, true, 1, UINT32_MAX, &u, err) < 0 ||
	    codec_map_end(&m, err) < 0)
		goto out;
	if (nlen == 0) {
		sm_fail(err, SM_EMALFORMED, "identity card: empty name");
		goto out;
	}
	memcpy(p.name, name, nlen);
	p.name[nlen] = '\0';
	p.key_version = (uint32_t)u;
	if (!(msg = labelled(CARD_LABEL, body, blen, &mlen))) {
		sm_fail(err, SM_ENOMEM, "identity card: out of memory");
		goto out;
	}
	if (crypto_sign_verify_detached(sig, msg, mlen, p.org) != 0) {
		sm_fail(err, SM_ESIG, "identity card of \"%s\": signature does not verify", p.name);
		goto out;
	}
	*out = p;
	rc = 0;
out:
	free(msg);
	codec_doc_free(&bd);
	codec_doc_free(&d);
	return rc;
}

/* ---- file helpers ----------------------------------------------------- */

/* Read all of fd (a regular file of at most max bytes) into a buffer from
 * alloc. secret selects sodium_malloc so key material never sits in the
 * ordinary heap. */
static uint8_t *read_fd(int fd, const char *path, size_t max, bool secret, size_t *len, sm_err *err)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;

	*len = 0;
	if (fstat(fd, &st) < 0) {
		sm_fail(err, SM_EIO, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		sm_fail(err, SM_EINVAL, "%s: not a regular file", path);
		return NULL;
	}
	if ((uint64_t)st.st_size > max) {
		sm_fail(err, SM_EBOUND, "%s: %lld bytes, max %zu", path, (long long)st.st_size, max);
		return NULL;
	}
	buf = secret ? sodium_malloc(st.st_size + 1) : malloc(st.st_size + 1);
	if (!buf) {
		sm_fail(err, SM_ENOMEM, "%s: out of memory", path);
		return NULL;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			sm_fail(err, SM_EIO, "%s: %s", path, r < 0 ? strerror(errno) : "file shrank while reading");
			if (secret)
				sodium_free(buf);
			else
				free(buf);
			return NULL;
		}
		got += r;
	}
	*len = got;
	return buf;
}

static int open_ro(const char *path, sm_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		sm_fail(err, errno == ENOENT ? SM_ENOTFOUND : SM_EIO, "%s: %s", path, strerror(errno));
	return fd;
}

uint8_t *identity_read_file(const char *path, size_t max, size_t *len, sm_err *err)
{
	int fd = open_ro(path, err);
	uint8_t *b;

	*len = 0;
	if (fd < 0)
		return NULL;
	b = read_fd(fd, path, max, false, len, err);
	close(fd);
	return b;
}

static int fsync_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, rc;

	if (!slash)
		snprintf(dir, sizeof dir, ".");
	else if (slash == path)
		snprintf(dir, sizeof dir, "/");
	else
		snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int identity_write_file(const char *path, const uint8_t *buf, size_t len,
    unsigned mode, bool overwrite, sm_err *err)
{
	char tmp[PATH_MAX];
	uint8_t rnd[8];
	size_t off = 0;
	int fd, rc = -1;

	randombytes_buf(rnd, sizeof rnd);
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp%02x%02x%02x%02x%02x%02x%02x%02x", path,
	    rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]) >= sizeof tmp)
		return sm_fail(err, SM_EINVAL, "%s: path too long", path);
	if (!overwrite && access(path, F_OK) == 0)
		return sm_fail(err, SM_EEXISTS, "%s: already exists", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, (mode_t)mode);
	if (fd < 0)
		return sm_fail(err, SM_EIO, "%s: %s", tmp, strerror(errno));
	/* the umask may have narrowed mode; never widen, but make it exact */
	if (fchmod(fd, (mode_t)mode) < 0) {
		sm_fail(err, SM_EIO, "%s: %s", tmp, strerror(errno));
		goto fail;
	}
	while (off < len) {
		ssize_t w = write(fd, buf + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			sm_fail(err, errno == ENOSPC ? SM_EFULL : SM_EIO, "%s: %s", tmp, strerror(errno));
			goto fail;
		}
		off += w;
	}
	if (fsync(fd) < 0) {
		sm_fail(err, SM_EIO, "%s: fsync: %s", tmp, strerror(errno));
		goto fail;
	}
	close(fd);
	fd = -1;
	if (overwrite) {
		if (rename(tmp, path) < 0) {
			sm_fail(err, SM_EIO, "%s: %s", path, strerror(errno));
			goto fail;
		}
	} else {
		/* link() fails if path appeared meanwhile: never replace it */
		if (link(tmp, path) < 0) {
			sm_fail(err, errno == EEXIST ? SM_EEXISTS : SM_EIO, "%s: %s", path,
			    errno == EEXIST ? "already exists" : strerror(errno));
			goto fail;
		}
		unlink(tmp);
	}
	fsync_dir(path);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return rc;
}

/* ---- secret key file -------------------------------------------------- */

/* A msgpack write target of fixed capacity in guarded memory: msgpack-c's
 * own sbuffer would realloc and leave copies of the secrets in the heap. */
struct fixbuf {
	uint8_t *p;
	size_t cap, len;
};

static int fix_write(void *data, const char *buf, size_t n)
{
	struct fixbuf *f = data;

	if (n > f->cap - f->len)
		return -1;
	memcpy(f->p + f->len, buf, n);
	f->len += n;
	return 0;
}

static int derive_key(uint8_t key[32], const char *pass, const uint8_t salt[SALT_LEN],
    uint64_t ops, uint64_t mem, sm_err *err)
{
	if (crypto_pwhash(key, 32, pass, strlen(pass), salt, ops, (size_t)mem,
	    crypto_pwhash_ALG_ARGON2ID13) != 0)
		return sm_fail(err, SM_ENOMEM, "key file: passphrase hashing failed (out of memory?)");
	return 0;
}

int identity_save(const identity_t *id, const char *path,
    const char *passphrase, bool overwrite, sm_err *err)
{
	struct fixbuf fb = { NULL, SECRETS_MAX, 0 };
	codec_w w;
	uint8_t *ct = NULL, *key = NULL, *file = NULL;
	uint8_t salt[SALT_LEN], nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
	unsigned long long ctlen = 0;
	size_t flen;
	bool kdf = passphrase != NULL;
	uint64_t ops = crypto_pwhash_OPSLIMIT_INTERACTIVE, mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
	int rc = -1;

	if (kdf && !*passphrase)
		return sm_fail(err, SM_EINVAL, "key file: empty passphrase");
	if (!(fb.p = sodium_malloc(SECRETS_MAX)))
		return sm_fail(err, SM_ENOMEM, "key file: out of memory");
	codec_w_init(&w);
	msgpack_packer_init(&w.pk, &fb, fix_write);
	codec_w_map(&w, 5);
	codec_w_uint(&w, 1); codec_w_cstr(&w, id->pub.name);
	codec_w_uint(&w, 2); codec_w_bin(&w, id->sign_sk, crypto_sign_SECRETKEYBYTES);
	codec_w_uint(&w, 3); codec_w_bin(&w, id->box_sk, 32);
	codec_w_uint(&w, 4); codec_w_bin(&w, id->curve_sk, 32);
	codec_w_uint(&w, 5); codec_w_uint(&w, id->pub.key_version);
	if (w.failed) {
		sm_fail(err, SM_EBOUND, "key file: secrets do not fit");
		goto out;
	}
	codec_w_init(&w);	/* back to its own buffer, for the file itself */
	if (kdf) {
		ctlen = fb.len + crypto_aead_xchacha20poly1305_ietf_ABYTES;
		if (!(key = sodium_malloc(32)) || !(ct = malloc(ctlen))) {
			sm_fail(err, SM_ENOMEM, "key file: out of memory");
			goto out;
		}
		randombytes_buf(salt, sizeof salt);
		randombytes_buf(nonce, sizeof nonce);
		if (derive_key(key, passphrase, salt, ops, mem, err) < 0)
			goto out;
		crypto_aead_xchacha20poly1305_ietf_encrypt(ct, &ctlen, fb.p, fb.len,
		    (const uint8_t *)KEYFILE_LABEL, strlen(KEYFILE_LABEL), NULL, nonce, key);
		codec_w_map(&w, 7);
		codec_w_uint(&w, 1); codec_w_uint(&w, KEYFILE_VERSION);
		codec_w_uint(&w, 2); codec_w_uint(&w, KDF_ARGON2ID13);
		codec_w_uint(&w, 3); codec_w_bin(&w, salt, sizeof salt);
		codec_w_uint(&w, 4); codec_w_uint(&w, ops);
		codec_w_uint(&w, 5); codec_w_uint(&w, mem);
		codec_w_uint(&w, 6); codec_w_bin(&w, nonce, sizeof nonce);
		codec_w_uint(&w, 7); codec_w_bin(&w, ct, ctlen);
		if (!(file = codec_w_take(&w, &flen))) {
			sm_fail(err, SM_ENOMEM, "key file: out of memory");
			goto out;
		}
	} else {
		/* Plain secrets: assemble the file in guarded memory as well. */
		struct fixbuf ff = { NULL, ID_MAX_KEYFILE, 0 };
		if (!(ff.p = sodium_malloc(ID_MAX_KEYFILE))) {
			sm_fail(err, SM_ENOMEM, "key file: out of memory");
			goto out;
		}
		msgpack_packer_init(&w.pk, &ff, fix_write);
		codec_w_map(&w, 3);
		codec_w_uint(&w, 1); codec_w_uint(&w, KEYFILE_VERSION);
		codec_w_uint(&w, 2); codec_w_uint(&w, KDF_NONE);
		codec_w_uint(&w, 7); codec_w_bin(&w, fb.p, fb.len);
		if (w.failed)
			sm_fail(err, SM_EBOUND, "key file: does not fit");
		else
			rc = identity_write_file(path, ff.p, ff.len, 0600, overwrite, err);
		sodium_free(ff.p);
		codec_w_init(&w);
		goto out;
	}
	rc = identity_write_file(path, file, flen, 0600, overwrite, err);
out:
	codec_w_free(&w);
	sodium_free(fb.p);
	sodium_free(key);
	free(ct);
	free(file);
	sodium_memzero(salt, sizeof salt);
	return rc;
}

/* The secrets map: names and keys, public halves re-derived and checked. */
static identity_t *parse_secrets(const uint8_t *buf, size_t len, sm_err *err)
{
	codec_doc d;
	codec_map m;
	const uint8_t *p;
	const char *name;
	size_t n, nlen;
	uint64_t kv;
	identity_t *id = NULL;
	uint8_t seed[crypto_sign_SEEDBYTES], *sk2 = NULL;

	if (codec_decode(&d, buf, len, 1, err) < 0) {
		sm_wrap(err, "key file secrets: ");
		return NULL;
	}
	if (codec_map_begin(&m, d.root, "key file secrets", err) < 0 ||
	    codec_get_str(&m, 1, true, ID_MAX_NAME - 1, &name, &nlen, err) < 0)
		goto fail;
	if (nlen == 0) {
		sm_fail(err, SM_EMALFORMED, "key file secrets: empty name");
		goto fail;
	}
	if (!(id = id_alloc(err)))
		goto fail;
	memcpy(id->pub.name, name, nlen);
	if (codec_get_bin(&m, 2, true, 64, 64, &p, &n, err) < 0)
		goto fail;
	memcpy(id->sign_sk, p, 64);
	if (codec_get_bin(&m, 3, true, 32, 32, &p, &n, err) < 0)
		goto fail;
	memcpy(id->box_sk, p, 32);
	if (codec_get_bin(&m, 4, true, 32, 32, &p, &n, err) < 0)
		goto fail;
	memcpy(id->curve_sk, p, 32);
	if (codec_get_uint(&m, 5, true, 1, UINT32_MAX, &kv, err) < 0 ||
	    codec_map_end(&m, err) < 0)
		goto fail;
	id->pub.key_version = (uint32_t)kv;
	/* An Ed25519 secret key embeds its public key; a file whose two halves
	 * disagree would sign as one org and claim another. Rebuild from the
	 * seed and insist on an exact match. */
	if (!(sk2 = sodium_malloc(crypto_sign_SECRETKEYBYTES))) {
		sm_fail(err, SM_ENOMEM, "key file: out of memory");
		goto fail;
	}
	crypto_sign_ed25519_sk_to_seed(seed, id->sign_sk);
	crypto_sign_seed_keypair(id->pub.org, sk2, seed);
	sodium_memzero(seed, sizeof seed);
	if (sodium_memcmp(sk2, id->sign_sk, crypto_sign_SECRETKEYBYTES) != 0) {
		sm_fail(err, SM_EMALFORMED, "key file: signing key halves do not match");
		goto fail;
	}
	if (crypto_scalarmult_base(id->pub.box_pk, id->box_sk) != 0 ||
	    crypto_scalarmult_base(id->pub.curve_pk, id->curve_sk) != 0) {
		sm_fail(err, SM_EMALFORMED, "key file: unusable box or curve key");
		goto fail;
	}
	sodium_free(sk2);
	codec_doc_free(&d);
	sodium_mprotect_readonly(id);
	return id;
fail:
	sodium_free(sk2);
	identity_destroy(&id);
	codec_doc_free(&d);
	return NULL;
}

bool identity_file_encrypted(const uint8_t *buf, size_t len)
{
	codec_doc d;
	codec_map m;
	uint64_t v, kdf;
	bool enc = false;

	if (len > ID_MAX_KEYFILE || codec_decode(&d, buf, len, 1, NULL) < 0)
		return false;
	if (codec_map_begin(&m, d.root, "key file", NULL) == 0 &&
	    codec_get_uint(&m, 1, true, 0, UINT64_MAX, &v, NULL) == 0 &&
	    codec_get_uint(&m, 2, true, 0, UINT64_MAX, &kdf, NULL) == 0)
		enc = kdf != KDF_NONE;
	codec_doc_free(&d);
	return enc;
}

identity_t *identity_parse(const uint8_t *buf, size_t len, const char *passphrase, sm_err *err)
{
	codec_doc d;
	codec_map m;
	uint64_t v, kdf, ops = 0, mem = 0;
	uint8_t salt[SALT_LEN], nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
	const uint8_t *sec;
	size_t slen;
	uint8_t *key = NULL, *plain = NULL;
	unsigned long long plen;
	identity_t *id = NULL;

	if (len > ID_MAX_KEYFILE) {
		sm_fail(err, SM_EBOUND, "key file: %zu bytes, max %d", len, ID_MAX_KEYFILE);
		return NULL;
	}
	if (codec_decode(&d, buf, len, 1, err) < 0) {
		sm_wrap(err, "key file: ");
		return NULL;
	}
	if (codec_map_begin(&m, d.root, "key file", err) < 0 ||
	    codec_get_uint(&m, 1, true, 0, UINT64_MAX, &v, err) < 0)
		goto out;
	if (v != KEYFILE_VERSION) {
		sm_fail(err, SM_EVERSION, "key file: version %llu, expected %d",
		    (unsigned long long)v, KEYFILE_VERSION);
		goto out;
	}
	if (codec_get_uint(&m, 2, true, 0, UINT64_MAX, &kdf, err) < 0)
		goto out;
	if (kdf != KDF_NONE && kdf != KDF_ARGON2ID13) {
		sm_fail(err, SM_EVERSION, "key file: unknown kdf %llu", (unsigned long long)kdf);
		goto out;
	}
	if (kdf == KDF_ARGON2ID13 &&
	    (codec_get_binfix(&m, 3, true, salt, SALT_LEN, err) < 0 ||
	    codec_get_uint(&m, 4, true, crypto_pwhash_OPSLIMIT_MIN, ID_MAX_OPSLIMIT, &ops, err) < 0 ||
	    codec_get_uint(&m, 5, true, crypto_pwhash_MEMLIMIT_MIN, ID_MAX_MEMLIMIT, &mem, err) < 0 ||
	    codec_get_binfix(&m, 6, true, nonce, sizeof nonce, err) < 0))
		goto out;
	if (codec_get_bin(&m, 7, true, 1, SECRETS_MAX + crypto_aead_xchacha20poly1305_ietf_ABYTES,
	    &sec, &slen, err) < 0 || codec_map_end(&m, err) < 0)
		goto out;
	if (kdf == KDF_NONE) {
		id = parse_secrets(sec, slen, err);
		goto out;
	}
	if (!passphrase || !*passphrase) {
		sm_fail(err, SM_EPERM, "key file is encrypted: a passphrase is needed");
		goto out;
	}
	if (slen < crypto_aead_xchacha20poly1305_ietf_ABYTES) {
		sm_fail(err, SM_EMALFORMED, "key file: encrypted secrets too short");
		goto out;
	}
	if (!(key = sodium_malloc(32)) || !(plain = sodium_malloc(slen))) {
		sm_fail(err, SM_ENOMEM, "key file: out of memory");
		goto out;
	}
	if (derive_key(key, passphrase, salt, ops, mem, err) < 0)
		goto out;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain, &plen, NULL, sec, slen,
	    (const uint8_t *)KEYFILE_LABEL, strlen(KEYFILE_LABEL), nonce, key) != 0) {
		sm_fail(err, SM_EPERM, "key file: wrong passphrase (or the file is corrupted)");
		goto out;
	}
	id = parse_secrets(plain, plen, err);
out:
	sodium_free(key);
	sodium_free(plain);
	codec_doc_free(&d);
	return id;
}

identity_t *identity_load(const char *path, const char *passphrase, sm_err *err)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t len;
	identity_t *id = NULL;
	int fd = open_ro(path, err);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0) {
		sm_fail(err, SM_EIO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		sm_fail(err, SM_EPERM, "%s: key file is accessible by group or others (mode %03o): "
		    "chmod 600 %s", path, (unsigned)(st.st_mode & 0777), path);
		goto out;
	}
	if (!(buf = read_fd(fd, path, ID_MAX_KEYFILE, true, &len, err)))
		goto out;
	if (!(id = identity_parse(buf, len, passphrase, err)))
		sm_wrap(err, "%s: ", path);
out:
	sodium_free(buf);
	close(fd);
	return id;
}

/* ---- encodings -------------------------------------------------------- */

void identity_fingerprint(const uint8_t org[SM_ID_LEN], char out[40])
{
	uint8_t h[16];
	char *o = out;

	crypto_generichash(h, sizeof h, org, SM_ID_LEN, NULL, 0);
	for (int i = 0; i < 16; i += 2) {
		snprintf(o, 6, "%02x%02x%s", h[i], h[i + 1], i < 14 ? " " : "");
		o += i < 14 ? 5 : 4;
	}
}

void identity_b64(const uint8_t key[32], char out[44])
{
	sodium_bin2base64(out, 44, key, 32, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int identity_from_b64(const char *s, uint8_t key[32])
{
	size_t n = 0;
	const char *end = NULL;

	if (!s || strlen(s) != 43 ||
	    sodium_base642bin(key, 32, s, 43, NULL, &n, &end,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 || n != 32 || *end != '\0') {
		memset(key, 0, 32);
		return -1;
	}
	return 0;
}
