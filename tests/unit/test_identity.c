/*
 * tests/unit/test_identity.c — identity cards, secret key files, encodings,
 * and the key vectors.
 *
 * tests/vectors/keys-basic.vec uses the roster vector format (see
 * test_roster.c): "key = hex" lines, '#' comments. Keys:
 *   seed, name          identity_from_seed input
 *   org, box_pk, curve_pk   the derived public keys
 *   fingerprint, org_b64    text
 *   card                the identity card
 *   keyfile.plain       an unencrypted key file of that identity
 *   keyfile.argon2      an encrypted one, passphrase "sigmesh vector passphrase"
 *                       (salt and nonce are random, so this one is only decoded)
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tests/test.h"
#include "keys/identity.h"
#include "proto/codec.h"

#define VEC "tests/vectors/keys-basic.vec"
#define PASS "sigmesh vector passphrase"

static char dir[] = "/tmp/sm-id-XXXXXX";

static char *path(const char *name)
{
	static char p[4][128];
	static int k;
	k = (k + 1) % 4;
	snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
	return p[k];
}

static uint8_t *slurp(const char *p, size_t *len)
{
	return identity_read_file(p, 1 << 20, len, NULL);
}

static bool same_keys(const identity_t *a, const identity_t *b)
{
	return !sodium_memcmp(identity_sign_sk(a), identity_sign_sk(b), 64) &&
	    !sodium_memcmp(identity_box_sk(a), identity_box_sk(b), 32) &&
	    !sodium_memcmp(identity_curve_sk(a), identity_curve_sk(b), 32) &&
	    !memcmp(identity_public(a), identity_public(b), sizeof(id_public));
}

static void test_card(void)
{
	sm_err e = {0};
	identity_t *id = identity_generate("Kappa Gas", &e);
	size_t n;
	uint8_t *card = identity_card(id, &n, &e);
	id_public p;

	CHECK(id && card && n <= ID_MAX_CARD);
	CHECK(identity_card_parse(card, n, &p, &e) == 0);
	CHECK(!memcmp(&p, identity_public(id), sizeof p));
	CHECK(!strcmp(p.name, "Kappa Gas") && p.key_version == 1);
	/* forgery: change one letter of the name inside the signed body */
	uint8_t *f = malloc(n);
	memcpy(f, card, n);
	uint8_t *k = memmem(f, n, "Kappa", 5);
	CHECK(k != NULL);
	if (k)
		k[0] = 'H';
	sm_err_clear(&e);
	CHECK(identity_card_parse(f, n, &p, &e) < 0 && e.code == SM_ESIG);
	CHECK(p.name[0] == '\0');	/* nothing half-filled */
	/* forgery: someone else's card body claiming our box key, signed by them */
	identity_t *mallory = identity_generate("Kappa Gas", NULL);
	size_t mn;
	uint8_t *mc = identity_card(mallory, &mn, NULL);
	memcpy(f, mc, mn < n ? mn : n);
	uint8_t *org_at = memmem(f, mn, identity_public(mallory)->org, 32);
	CHECK(org_at != NULL);
	if (org_at)
		memcpy(org_at, identity_public(id)->org, 32);	/* claim id's org */
	sm_err_clear(&e);
	CHECK(identity_card_parse(f, mn, &p, &e) < 0 && e.code == SM_ESIG);
	/* truncated, trailing */
	sm_err_clear(&e);
	CHECK(identity_card_parse(card, n - 1, &p, &e) < 0 && e.code == SM_EBOUND);
	sm_err_clear(&e);
	CHECK(identity_card_parse(card, n + 0, &p, &e) == 0);
	/* rotation: new box and curve keys, same org, version 2 */
	id_public before = *identity_public(id);
	CHECK(identity_rotate(id, NULL) == 0);
	CHECK(identity_public(id)->key_version == 2);
	CHECK(!memcmp(identity_public(id)->org, before.org, 32));
	CHECK(memcmp(identity_public(id)->box_pk, before.box_pk, 32) != 0);
	CHECK(memcmp(identity_public(id)->curve_pk, before.curve_pk, 32) != 0);
	free(card);
	card = identity_card(id, &n, NULL);
	CHECK(identity_card_parse(card, n, &p, NULL) == 0 && p.key_version == 2);
	/* bad names */
	sm_err_clear(&e);
	CHECK(identity_generate("", &e) == NULL && e.code == SM_EINVAL);
	char longname[200];
	memset(longname, 'x', sizeof longname - 1);
	longname[sizeof longname - 1] = 0;
	sm_err_clear(&e);
	CHECK(identity_generate(longname, &e) == NULL && e.code == SM_EBOUND);
	free(f);
	free(mc);
	free(card);
	identity_destroy(&mallory);
	identity_destroy(&id);
	CHECK(id == NULL);
	identity_destroy(&id);
}

static void test_keyfile_plain(void)
{
	sm_err e = {0};
	identity_t *id = identity_generate("Lambda Power", NULL), *back;
	struct stat st;
	const char *p = path("plain.key");

	CHECK(identity_save(id, p, NULL, false, &e) == 0);
	CHECK(stat(p, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK((back = identity_load(p, NULL, &e)) != NULL);
	CHECK(back && same_keys(id, back));
	identity_destroy(&back);
	/* no silent overwrite */
	sm_err_clear(&e);
	CHECK(identity_save(id, p, NULL, false, &e) < 0 && e.code == SM_EEXISTS);
	CHECK(identity_save(id, p, NULL, true, NULL) == 0);
	/* group-readable: refused with the fix in the message */
	chmod(p, 0640);
	sm_err_clear(&e);
	CHECK(identity_load(p, NULL, &e) == NULL && e.code == SM_EPERM);
	CHECK(strstr(e.msg, "chmod 600") != NULL);
	chmod(p, 0604);
	sm_err_clear(&e);
	CHECK(identity_load(p, NULL, &e) == NULL && e.code == SM_EPERM);
	chmod(p, 0600);
	/* corrupted: flip a byte of the signing seed -> halves disagree */
	size_t n;
	uint8_t *b = slurp(p, &n);
	CHECK(b != NULL && !identity_file_encrypted(b, n));
	uint8_t *sk = b ? memmem(b, n, identity_sign_sk(id), 64) : NULL;
	CHECK(sk != NULL);
	if (sk) {
		sk[3] ^= 0x40;
		sm_err_clear(&e);
		CHECK(identity_parse(b, n, NULL, &e) == NULL && e.code == SM_EMALFORMED);
		sk[3] ^= 0x40;
	}
	sm_err_clear(&e);
	CHECK(b && identity_parse(b, n - 1, NULL, &e) == NULL && e.code == SM_EBOUND);
	b[2] = 2;	/* {1: 2, ...}: version 2 */
	sm_err_clear(&e);
	CHECK(identity_parse(b, n, NULL, &e) == NULL && e.code == SM_EVERSION);
	sm_err_clear(&e);
	CHECK(identity_load(path("missing.key"), NULL, &e) == NULL && e.code == SM_ENOTFOUND);
	sodium_memzero(b, n);
	free(b);
	identity_destroy(&id);
}

static void test_keyfile_passphrase(void)
{
	sm_err e = {0};
	identity_t *id = identity_generate("Mu Oil", NULL), *back;
	const char *p = path("enc.key");
	size_t n;
	uint8_t *b;

	CHECK(identity_save(id, p, "correct horse", false, &e) == 0);
	CHECK((b = slurp(p, &n)) != NULL && identity_file_encrypted(b, n));
	/* the secret key bytes are nowhere in the file */
	CHECK(b && memmem(b, n, identity_sign_sk(id), 32) == NULL);
	CHECK((back = identity_load(p, "correct horse", &e)) && same_keys(id, back));
	identity_destroy(&back);
	sm_err_clear(&e);
	CHECK(identity_load(p, "wrong horse", &e) == NULL && e.code == SM_EPERM);
	sm_err_clear(&e);
	CHECK(identity_load(p, NULL, &e) == NULL && e.code == SM_EPERM);
	/* a corrupted ciphertext looks like a wrong passphrase, never like keys */
	if (b) {
		b[n - 5] ^= 1;
		sm_err_clear(&e);
		CHECK(identity_parse(b, n, "correct horse", &e) == NULL && e.code == SM_EPERM);
	}
	sm_err_clear(&e);
	CHECK(identity_save(id, path("empty.key"), "", false, &e) < 0 && e.code == SM_EINVAL);
	free(b);
	identity_destroy(&id);
}

/* A hostile file asking for 8 GiB of Argon2 memory, or 10^6 passes, must be
 * refused before any hashing (this case would take minutes otherwise). */
static void test_keyfile_absurd_kdf(void)
{
	uint8_t salt[16] = {0}, nonce[24] = {0}, ct[200] = {0};
	struct { uint64_t ops, mem; } bad[] = {
		{ 2, 8ull << 30 }, { 1000000, 64u << 20 }, { 0, 64u << 20 }, { 2, 1024 },
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		codec_w w;
		size_t n;
		sm_err e = {0};
		codec_w_init(&w);
		codec_w_map(&w, 7);
		codec_w_uint(&w, 1); codec_w_uint(&w, 1);
		codec_w_uint(&w, 2); codec_w_uint(&w, 1);
		codec_w_uint(&w, 3); codec_w_bin(&w, salt, 16);
		codec_w_uint(&w, 4); codec_w_uint(&w, bad[i].ops);
		codec_w_uint(&w, 5); codec_w_uint(&w, bad[i].mem);
		codec_w_uint(&w, 6); codec_w_bin(&w, nonce, 24);
		codec_w_uint(&w, 7); codec_w_bin(&w, ct, sizeof ct);
		uint8_t *b = codec_w_take(&w, &n);
		CHECKF(identity_parse(b, n, "x", &e) == NULL && e.code == SM_EBOUND, "case %zu: %s", i, e.msg);
		free(b);
	}
	/* unknown kdf */
	codec_w w;
	size_t n;
	sm_err e = {0};
	codec_w_init(&w);
	codec_w_map(&w, 3);
	codec_w_uint(&w, 1); codec_w_uint(&w, 1);
	codec_w_uint(&w, 2); codec_w_uint(&w, 9);
	codec_w_uint(&w, 7); codec_w_bin(&w, ct, 10);
	uint8_t *b = codec_w_take(&w, &n);
	CHECK(identity_parse(b, n, "x", &e) == NULL && e.code == SM_EVERSION);
	free(b);
}

static void test_encodings(void)
{
	uint8_t org[32], back[32];
	char fp[40], b64[44];

	for (int i = 0; i < 32; i++)
		org[i] = (uint8_t)i;
	identity_fingerprint(org, fp);
	CHECK(strlen(fp) == 39 && fp[4] == ' ' && fp[34] == ' ');
	identity_b64(org, b64);
	CHECK(strlen(b64) == 43 && !strchr(b64, '=') && !strchr(b64, '+') && !strchr(b64, '/'));
	CHECK(identity_from_b64(b64, back) == 0 && !memcmp(org, back, 32));
	b64[42] = '!';
	CHECK(identity_from_b64(b64, back) < 0);
	CHECK(identity_from_b64("AAAA", back) < 0);
	CHECK(identity_from_b64(NULL, back) < 0);
}

static char *hex(const uint8_t *b, size_t n)
{
	char *s = malloc(2 * n + 1);
	sodium_bin2hex(s, 2 * n + 1, b, n);
	return s;
}

static char *vec_get(const char *text, const char *key)
{
	size_t kl = strlen(key);
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (!strncmp(p, key, kl) && !strncmp(p + kl, " = ", 3)) {
			const char *v = p + kl + 3, *e = strchr(v, '\n');
			size_t n = e ? (size_t)(e - v) : strlen(v);
			char *out = malloc(n + 1);
			memcpy(out, v, n);
			out[n] = '\0';
			return out;
		}
	}
	return NULL;
}

static uint8_t *unhex(const char *h, size_t *n)
{
	size_t cap = strlen(h) / 2;
	uint8_t *b = malloc(cap + 1);
	if (sodium_hex2bin(b, cap, h, strlen(h), NULL, n, NULL) != 0) {
		free(b);
		return NULL;
	}
	return b;
}

static void test_vectors(void)
{
	uint8_t seed[32];
	const char *name = "Sigma Heavy Industries";
	identity_t *id;
	size_t cn, fn;
	char buf[8192], fp[40], b64[44], *text = NULL;
	size_t o = 0;

	for (int i = 0; i < 32; i++)
		seed[i] = (uint8_t)(0xa0 + i);
	id = identity_from_seed(name, seed, NULL);
	uint8_t *card = identity_card(id, &cn, NULL);
	CHECK(identity_save(id, path("vec-plain.key"), NULL, false, NULL) == 0);
	uint8_t *plain = slurp(path("vec-plain.key"), &fn);
	CHECK(card && plain);
	identity_fingerprint(identity_public(id)->org, fp);
	identity_b64(identity_public(id)->org, b64);
	char *hs = hex(seed, 32), *ho = hex(identity_public(id)->org, 32),
	    *hb = hex(identity_public(id)->box_pk, 32), *hc = hex(identity_public(id)->curve_pk, 32),
	    *hcard = hex(card, cn), *hplain = hex(plain, fn);
	o += snprintf(buf + o, sizeof buf - o, "# sigmesh key vectors: see tests/unit/test_identity.c\n"
	    "seed = %s\nname = %s\norg = %s\nbox_pk = %s\ncurve_pk = %s\nfingerprint = %s\n"
	    "org_b64 = %s\ncard = %s\nkeyfile.plain = %s\n", hs, name, ho, hb, hc, fp, b64, hcard, hplain);
	free(hs); free(ho); free(hb); free(hc); free(hcard); free(hplain);

	FILE *f = fopen(VEC, "r");
	if (f) {
		text = calloc(1, 16384);
		if (fread(text, 1, 16383, f) == 0)
			text[0] = 0;
		fclose(f);
	}
	if (getenv("SIGMESH_REGEN_VECTORS")) {
		/* a fresh encrypted file each regeneration: only decoded below */
		uint8_t *enc;
		size_t en;
		CHECK(identity_save(id, path("vec-enc.key"), PASS, false, NULL) == 0);
		enc = slurp(path("vec-enc.key"), &en);
		char *he = hex(enc, en);
		free(text);
		text = malloc(strlen(buf) + strlen(he) + 64);
		sprintf(text, "%skeyfile.argon2 = %s\n", buf, he);
		free(he);
		free(enc);
		if ((f = fopen(VEC, "w"))) {
			fputs(text, f);
			fclose(f);
		}
	}
	CHECKF(text && !strncmp(text, buf, strlen(buf)), "%s differs from what this code builds", VEC);
	char *ah = text ? vec_get(text, "keyfile.argon2") : NULL;
	size_t an;
	uint8_t *ab = ah ? unhex(ah, &an) : NULL;
	identity_t *back = ab ? identity_parse(ab, an, PASS, NULL) : NULL;
	CHECK(back && same_keys(id, back));
	identity_destroy(&back);
	/* and the stored card parses to the seeded public identity */
	char *ch = text ? vec_get(text, "card") : NULL;
	size_t sn;
	uint8_t *sc = ch ? unhex(ch, &sn) : NULL;
	id_public p;
	CHECK(sc && identity_card_parse(sc, sn, &p, NULL) == 0 && !memcmp(&p, identity_public(id), sizeof p));
	free(sc); free(ch); free(ab); free(ah); free(text); free(card);
	sodium_memzero(plain, fn);
	free(plain);
	identity_destroy(&id);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	RUN(test_card);
	RUN(test_keyfile_plain);
	RUN(test_keyfile_passphrase);
	RUN(test_keyfile_absurd_kdf);
	RUN(test_encodings);
	RUN(test_vectors);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	TEST_EXIT();
}
