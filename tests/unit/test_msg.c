/*
 * tests/unit/test_msg.c — the signed envelope: round trips of every type,
 * opening by each recipient and refusal for everyone else, builders that
 * refuse what decoders would reject, and exhaustive truncation and
 * bit-flip of a real object (every one must fail, none may crash).
 */
#include "tests/test.h"
#include "proto/codec.h"
#include "proto/msg.h"
#include "proto/tlp.h"

typedef struct korg {
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	uint8_t bpk[crypto_box_PUBLICKEYBYTES], bsk[crypto_box_SECRETKEYBYTES];
} korg;

#define N 5
static korg o[N];
static uint8_t sigA[SM_ID_LEN];
static const uint8_t body[] = "\x81\x01\xa5hello";

static void keys(void)
{
	for (int i = 0; i < N; i++) {
		crypto_sign_keypair(o[i].pk, o[i].sk);
		crypto_box_keypair(o[i].bpk, o[i].bsk);
	}
	randombytes_buf(sigA, sizeof(sigA));
}

/* An AMBER report from o[0] to org o[1] and SIG sigA@2, keys for o[0..2]. */
static uint8_t *amber(size_t *len, uint8_t ckey[32], int n_rcpt, sm_err *e)
{
	sm_report r;
	uint8_t orgs[1][SM_ID_LEN], sigs[1][SM_ID_LEN];
	sm_roster_ref ros = { .version = 2 };
	sm_recipient rc[N];

	memset(&r, 0, sizeof(r));
	memcpy(r.h.originator, o[0].pk, 32);
	r.h.seq = 7;
	r.h.created_ms = 1700000000000ull;
	r.tlp = SM_TLP_AMBER;
	memcpy(orgs[0], o[1].pk, 32);
	memcpy(sigs[0], sigA, 32);
	memcpy(ros.sig, sigA, 32);
	r.aud.orgs = orgs;
	r.aud.n_orgs = 1;
	r.aud.sigs = sigs;
	r.aud.n_sigs = 1;
	r.rosters = &ros;
	r.n_rosters = 1;
	for (int i = 0; i < n_rcpt; i++) {
		memcpy(rc[i].org, o[i].pk, 32);
		memcpy(rc[i].box_pk, o[i].bpk, 32);
	}
	return msg_report_build(&r, body, sizeof(body) - 1, true, rc, (uint32_t)n_rcpt,
	    o[0].sk, ckey, len, e);
}

static bool zeroed(const sm_msg *m)
{
	static const sm_msg z;
	return memcmp(m, &z, sizeof(z)) == 0;
}

static void test_report_round_trip(void)
{
	sm_err e = {0};
	size_t len, pl;
	uint8_t ck[32], ck2[32], id[32], *obj = amber(&len, ck, 3, &e);
	sm_msg m;
	sm_object so;

	CHECKF(obj != NULL, "%s", e.msg);
	CHECK(msg_object_split(obj, len, &so, &e) == 0);
	CHECK(so.type == SM_MSG_REPORT && memcmp(so.signer, o[0].pk, 32) == 0);
	CHECK(msg_object_verify(&so, &e) == 0);
	CHECK(msg_decode(obj, len, 0, &m, &e) == 0);
	msg_object_id(obj, len, id);
	crypto_generichash(ck2, 32, obj, len, NULL, 0);
	CHECK(memcmp(id, m.id, 32) == 0 && memcmp(ck2, id, 32) == 0);
	const sm_report *r = &m.u.report;
	CHECK(m.type == SM_MSG_REPORT && r->h.type == SM_MSG_REPORT);
	CHECK(r->h.seq == 7 && r->h.created_ms == 1700000000000ull);
	CHECK(r->tlp == SM_TLP_AMBER && !r->aud.federation);
	CHECK(r->aud.n_orgs == 1 && memcmp(r->aud.orgs[0], o[1].pk, 32) == 0);
	CHECK(r->aud.n_sigs == 1 && r->n_rosters == 1 && r->rosters[0].version == 2);
	CHECK(r->encrypted && r->n_keys == 3 && !r->has_supersedes);
	CHECK(r->data_len == sizeof(body) - 1 + crypto_aead_xchacha20poly1305_ietf_ABYTES);
	for (uint32_t i = 1; i < r->n_keys; i++)
		CHECK(memcmp(r->keys[i - 1].org, r->keys[i].org, 32) < 0);
	/* Every recipient opens; the others cannot. */
	for (int i = 0; i < N; i++) {
		sm_err oe = {0};
		uint8_t *pt = msg_report_open(r, m.id, NULL, 0, o[i].pk, o[i].bpk, o[i].bsk, &pl, &oe);
		if (i < 3) {
			CHECKF(pt && pl == sizeof(body) - 1 && memcmp(pt, body, pl) == 0, "org %d: %s", i, oe.msg);
		} else {
			CHECK(pt == NULL && pl == 0 && oe.code == SM_EDECRYPT);
		}
		free(pt);
	}
	/* Right slot, wrong secret key. */
	e = (sm_err){0};
	CHECK(msg_report_open(r, m.id, NULL, 0, o[1].pk, o[3].bpk, o[3].bsk, &pl, &e) == NULL &&
	    e.code == SM_EDECRYPT);
	/* The content key recovered equals the one the builder returned. */
	CHECK(msg_report_content_key(r, o[2].pk, o[2].bpk, o[2].bsk, ck2, &e) == 0);
	CHECK(memcmp(ck, ck2, 32) == 0);
	e = (sm_err){0};
	CHECK(msg_report_content_key(r, o[4].pk, o[4].bpk, o[4].bsk, ck2, &e) < 0 &&
	    e.code == SM_EDECRYPT && sodium_is_zero(ck2, 32));
	/* The additional data binds originator and seq: a body lifted into
	 * another report (other seq) does not open. */
	sm_report r2 = *r;
	r2.h.seq = 8;
	e = (sm_err){0};
	CHECK(msg_report_open(&r2, m.id, NULL, 0, o[1].pk, o[1].bpk, o[1].bsk, &pl, &e) == NULL &&
	    e.code == SM_EDECRYPT);
	r->data[0] ^= 1;
	e = (sm_err){0};
	CHECK(msg_report_open(r, m.id, NULL, 0, o[1].pk, o[1].bpk, o[1].bsk, &pl, &e) == NULL &&
	    e.code == SM_EDECRYPT);
	msg_clear(&m);
	CHECK(zeroed(&m));
	msg_clear(&m);	/* idempotent */
	free(obj);
}

static void test_release_opens(void)
{
	sm_err e = {0};
	size_t len, rlen, pl;
	uint8_t ck[32], *obj = amber(&len, ck, 3, &e), *robj;
	sm_msg m, rm, fake;
	sm_release rel;
	uint8_t add[1][32];
	sm_recipient rc;

	CHECK(obj && msg_decode(obj, len, 0, &m, &e) == 0);
	memset(&rel, 0, sizeof(rel));
	memcpy(rel.h.originator, o[0].pk, 32);
	rel.h.seq = 8;
	memcpy(rel.report, m.id, 32);
	memcpy(add[0], o[4].pk, 32);
	rel.add.orgs = add;
	rel.add.n_orgs = 1;
	memcpy(rc.org, o[4].pk, 32);
	memcpy(rc.box_pk, o[4].bpk, 32);
	robj = msg_release_build(&rel, ck, &rc, 1, o[0].sk, &rlen, &e);
	CHECKF(robj != NULL, "%s", e.msg);
	CHECK(msg_decode(robj, rlen, 0, &rm, &e) == 0 && rm.type == SM_MSG_RELEASE);
	CHECK(rm.u.release.add.n_orgs == 1 && rm.u.release.n_keys == 1 && rm.u.release.n_rosters == 0);
	const sm_release *rels[1] = { &rm.u.release };
	uint8_t *pt = msg_report_open(&m.u.report, m.id, rels, 1, o[4].pk, o[4].bpk, o[4].bsk, &pl, &e);
	CHECK(pt && pl == sizeof(body) - 1 && memcmp(pt, body, pl) == 0);
	free(pt);
	/* A release of another report, or by another originator, is ignored. */
	fake = rm;
	fake.u.release.report[0] ^= 1;
	rels[0] = &fake.u.release;
	e = (sm_err){0};
	CHECK(msg_report_open(&m.u.report, m.id, rels, 1, o[4].pk, o[4].bpk, o[4].bsk, &pl, &e) == NULL &&
	    e.code == SM_EDECRYPT);
	fake = rm;
	fake.u.release.h.originator[0] ^= 1;
	e = (sm_err){0};
	CHECK(msg_report_open(&m.u.report, m.id, rels, 1, o[4].pk, o[4].bpk, o[4].bsk, &pl, &e) == NULL &&
	    e.code == SM_EDECRYPT);
	/* A release adding nobody, or the federation, is not built. */
	rel.add.n_orgs = 0;
	e = (sm_err){0};
	CHECK(msg_release_build(&rel, ck, &rc, 1, o[0].sk, &rlen, &e) == NULL && e.code == SM_ESCOPE);
	rel.add.federation = true;
	e = (sm_err){0};
	CHECK(msg_release_build(&rel, ck, &rc, 1, o[0].sk, &rlen, &e) == NULL && e.code == SM_ESCOPE);
	msg_clear(&m);
	msg_clear(&rm);
	free(obj);
	free(robj);
}

static void test_sighting_retraction_round_trip(void)
{
	sm_err e = {0};
	size_t len;
	uint8_t *obj;
	sm_msg m;
	sm_sighting s = { .h = { SM_MSG_SIGHTING, {0}, 3, 1700000000001ull },
	    .kind = SM_SIGHT_FALSE_POSITIVE, .count = 12, .note = "same lure, other sender" };
	sm_retraction r = { .h = { SM_MSG_RETRACTION, {0}, 4, 5 } };

	memcpy(s.h.originator, o[2].pk, 32);
	randombytes_buf(s.report, 32);
	CHECK((obj = msg_sighting_build(&s, o[2].sk, &len, &e)) != NULL);
	CHECK(msg_decode(obj, len, 0, &m, &e) == 0 && m.type == SM_MSG_SIGHTING);
	CHECK(m.u.sighting.kind == SM_SIGHT_FALSE_POSITIVE && m.u.sighting.count == 12);
	CHECK(!m.u.sighting.originator_only && memcmp(m.u.sighting.report, s.report, 32) == 0);
	CHECK(m.u.sighting.note && strcmp(m.u.sighting.note, s.note) == 0);
	CHECK(m.u.h.seq == 3 && m.u.h.created_ms == 1700000000001ull);
	msg_clear(&m);
	free(obj);
	/* Builders refuse what decoders reject. */
	s.count = 0;
	CHECK(msg_sighting_build(&s, o[2].sk, &len, &e) == NULL);
	s.count = 1;
	s.note = "\xff";
	CHECK(msg_sighting_build(&s, o[2].sk, &len, &e) == NULL);
	s.note = NULL;
	e = (sm_err){0};
	CHECK(msg_sighting_build(&s, o[1].sk, &len, &e) == NULL && e.code == SM_EINVAL);

	memcpy(r.h.originator, o[3].pk, 32);
	randombytes_buf(r.report, 32);
	CHECK((obj = msg_retraction_build(&r, o[3].sk, &len, &e)) != NULL);
	CHECK(msg_decode(obj, len, 0, &m, &e) == 0 && m.type == SM_MSG_RETRACTION);
	CHECK(m.u.retraction.reason == NULL && memcmp(m.u.retraction.report, r.report, 32) == 0);
	msg_clear(&m);
	free(obj);
}

static void test_plain_and_labels(void)
{
	sm_err e = {0};
	sm_report r;
	size_t len, pl;
	uint8_t *obj, *pt;
	sm_msg m;

	memset(&r, 0, sizeof(r));
	memcpy(r.h.originator, o[0].pk, 32);
	r.h.seq = 1;
	r.tlp = SM_TLP_CLEAR;
	r.aud.federation = true;
	CHECK((obj = msg_report_build(&r, body, sizeof(body) - 1, false, NULL, 0, o[0].sk, NULL,
	    &len, &e)) != NULL);
	CHECK(msg_decode(obj, len, 0, &m, &e) == 0 && !m.u.report.encrypted && m.u.report.aud.federation);
	pt = msg_report_open(&m.u.report, m.id, NULL, 0, o[3].pk, o[3].bpk, o[3].bsk, &pl, &e);
	CHECK(pt && pl == sizeof(body) - 1 && memcmp(pt, body, pl) == 0);
	free(pt);
	msg_clear(&m);
	free(obj);
	/* Plain bodies are for CLEAR and GREEN only. */
	r.tlp = SM_TLP_AMBER;
	e = (sm_err){0};
	CHECK(msg_report_build(&r, body, 3, false, NULL, 0, o[0].sk, NULL, &len, &e) == NULL &&
	    e.code == SM_ESCOPE);
	/* Federation audience for AMBER; SIG for RED. */
	r.tlp = SM_TLP_AMBER;
	sm_recipient rc;
	memcpy(rc.org, o[0].pk, 32);
	memcpy(rc.box_pk, o[0].bpk, 32);
	e = (sm_err){0};
	CHECK(msg_report_build(&r, body, 3, true, &rc, 1, o[0].sk, NULL, &len, &e) == NULL &&
	    e.code == SM_ESCOPE);
	r.tlp = SM_TLP_RED;
	r.aud.federation = false;
	uint8_t sg[1][32];
	sm_roster_ref ros = { .version = 1 };
	memcpy(sg[0], sigA, 32);
	memcpy(ros.sig, sigA, 32);
	r.aud.sigs = sg;
	r.aud.n_sigs = 1;
	r.rosters = &ros;
	r.n_rosters = 1;
	e = (sm_err){0};
	CHECK(msg_report_build(&r, body, 3, true, &rc, 1, o[0].sk, NULL, &len, &e) == NULL &&
	    e.code == SM_ESCOPE);
	/* Duplicate recipients; none at all. */
	r.tlp = SM_TLP_AMBER;
	sm_recipient two[2] = { rc, rc };
	e = (sm_err){0};
	CHECK(msg_report_build(&r, body, 3, true, two, 2, o[0].sk, NULL, &len, &e) == NULL &&
	    e.code == SM_EINVAL);
	e = (sm_err){0};
	CHECK(msg_report_build(&r, body, 3, true, NULL, 0, o[0].sk, NULL, &len, &e) == NULL &&
	    e.code == SM_EINVAL);
	/* seq 0 */
	r.h.seq = 0;
	e = (sm_err){0};
	CHECK(msg_report_build(&r, body, 3, true, &rc, 1, o[0].sk, NULL, &len, &e) == NULL &&
	    e.code == SM_EINVAL);
}

static void test_clock_and_size(void)
{
	sm_err e = {0};
	size_t len;
	uint8_t *obj = amber(&len, NULL, 2, &e);
	uint64_t created = 1700000000000ull;
	sm_msg m;

	CHECK(obj != NULL);
	CHECK(msg_decode(obj, len, created, &m, &e) == 0);
	msg_clear(&m);
	CHECK(msg_decode(obj, len, created - SM_MAX_CLOCK_SKEW_MS, &m, &e) == 0);
	msg_clear(&m);
	e = (sm_err){0};
	CHECK(msg_decode(obj, len, created - SM_MAX_CLOCK_SKEW_MS - 1, &m, &e) < 0 &&
	    e.code == SM_EBOUND && zeroed(&m));
	e = (sm_err){0};
	CHECK(msg_decode(obj, SM_MAX_OBJECT + 1, 0, &m, &e) < 0 && e.code == SM_EBOUND);
	e = (sm_err){0};
	CHECK(msg_decode(obj, 0, 0, &m, &e) < 0 && e.code == SM_EMALFORMED);
	free(obj);
}

/* Every prefix and every single-bit change of a valid object is rejected. */
static void test_truncations_and_bitflips(void)
{
	sm_err e;
	size_t len;
	uint8_t *obj = amber(&len, NULL, 2, &e);
	sm_msg m;
	int accepted = 0, notzero = 0;

	CHECK(obj != NULL);
	for (size_t n = 0; n < len; n++) {
		e = (sm_err){0};
		if (msg_decode(obj, n, 0, &m, &e) == 0) {
			accepted++;
			msg_clear(&m);
		} else if (!zeroed(&m) || e.code == SM_OK) {
			notzero++;
		}
	}
	for (size_t i = 0; i < len; i++)
		for (int b = 0; b < 8; b++) {
			obj[i] ^= (uint8_t)(1 << b);
			e = (sm_err){0};
			if (msg_decode(obj, len, 0, &m, &e) == 0) {
				accepted++;
				msg_clear(&m);
			} else if (!zeroed(&m) || e.code == SM_OK) {
				notzero++;
			}
			obj[i] ^= (uint8_t)(1 << b);
		}
	CHECKF(accepted == 0, "%d mutated objects accepted", accepted);
	CHECK(notzero == 0);
	free(obj);
}

/*
 * msg_decode_trusted: the same strict decode minus the signature and clock
 * checks, for objects read back from the node's own store.
 */
static void test_trusted_accepts_valid_object(void)
{
	sm_err e = {0};
	size_t len;
	uint8_t *obj = amber(&len, NULL, 3, &e);
	sm_msg a, b;

	CHECKF(obj != NULL, "%s", e.msg);
	CHECK(msg_decode(obj, len, 0, &a, &e) == 0);
	CHECKF(msg_decode_trusted(obj, len, &b, &e) == 0, "%s", e.msg);
	CHECK(memcmp(a.id, b.id, SM_ID_LEN) == 0 && b.type == SM_MSG_REPORT);
	CHECK(b.u.report.h.seq == 7 && b.u.report.tlp == SM_TLP_AMBER);
	CHECK(b.u.report.n_keys == 3 && b.u.report.data_len == a.u.report.data_len);
	CHECK(memcmp(b.u.report.data, a.u.report.data, a.u.report.data_len) == 0);
	msg_clear(&a);
	msg_clear(&b);
	free(obj);
}

/* Deliberately: a forged or corrupt signature is NOT detected. */
static void test_trusted_accepts_forged_signature(void)
{
	sm_err e = {0};
	size_t len;
	uint8_t *obj = amber(&len, NULL, 2, &e);
	sm_msg m;

	CHECK(obj != NULL);
	/* The signature is the last 64 bytes of the object. */
	for (size_t i = len - SM_SIG_LEN; i < len; i++)
		obj[i] = (uint8_t)i;
	e = (sm_err){0};
	CHECK(msg_decode(obj, len, 0, &m, &e) < 0 && e.code == SM_ESIG && zeroed(&m));
	e = (sm_err){0};
	CHECKF(msg_decode_trusted(obj, len, &m, &e) == 0, "%s", e.msg);
	CHECK(m.type == SM_MSG_REPORT && m.u.report.h.seq == 7);
	msg_clear(&m);
	free(obj);
}

/* No clock check either: an object "from the future" decodes. */
static void test_trusted_skips_clock_check(void)
{
	sm_err e = {0};
	size_t len;
	uint8_t *obj = amber(&len, NULL, 2, &e);
	sm_msg m;

	CHECK(obj != NULL);
	e = (sm_err){0};
	CHECK(msg_decode(obj, len, 1, &m, &e) < 0 && e.code == SM_EBOUND);
	CHECK(msg_decode_trusted(obj, len, &m, &e) == 0);
	msg_clear(&m);
	free(obj);
}

/* Everything but the signature is still checked. */
static void test_trusted_rejects_malformed(void)
{
	sm_err e = {0};
	size_t len;
	uint8_t *obj = amber(&len, NULL, 2, &e), *big;
	sm_msg m;
	int accepted = 0, notzero = 0, sig_flips_ok = 0;

	CHECK(obj != NULL);
	/* Every strict prefix. */
	for (size_t n = 0; n < len; n++) {
		e = (sm_err){0};
		if (msg_decode_trusted(obj, n, &m, &e) == 0) {
			accepted++;
			msg_clear(&m);
		} else if (!zeroed(&m) || e.code == SM_OK) {
			notzero++;
		}
	}
	CHECKF(accepted == 0, "%d prefixes accepted", accepted);
	CHECK(notzero == 0);
	/* A trailing byte. */
	CHECK((big = malloc(len + 1)) != NULL);
	memcpy(big, obj, len);
	big[len] = 0xc0;
	e = (sm_err){0};
	CHECK(msg_decode_trusted(big, len + 1, &m, &e) < 0 && e.code != SM_OK && zeroed(&m));
	free(big);
	/* Size bound. */
	e = (sm_err){0};
	CHECK(msg_decode_trusted(obj, SM_MAX_OBJECT + 1, &m, &e) < 0 && e.code == SM_EBOUND);
	/* Signer (bytes 4..35: array, type, bin8 header) != originator. */
	obj[4] ^= 1;
	e = (sm_err){0};
	CHECK(msg_decode_trusted(obj, len, &m, &e) < 0 && e.code != SM_OK && zeroed(&m));
	obj[4] ^= 1;
	/* A report's tbs under another type. */
	CHECK(obj[1] == SM_MSG_REPORT);
	obj[1] = SM_MSG_SIGHTING;
	e = (sm_err){0};
	CHECK(msg_decode_trusted(obj, len, &m, &e) < 0 && e.code != SM_OK && zeroed(&m));
	obj[1] = 9;
	e = (sm_err){0};
	CHECK(msg_decode_trusted(obj, len, &m, &e) < 0 && e.code == SM_ETYPE);
	obj[1] = SM_MSG_REPORT;
	/* Every bit flip: no crash, a clean failure or a clean success, and
	 * every flip inside the signature is accepted. */
	notzero = 0;
	for (size_t i = 0; i < len; i++)
		for (int b = 0; b < 8; b++) {
			obj[i] ^= (uint8_t)(1 << b);
			e = (sm_err){0};
			if (msg_decode_trusted(obj, len, &m, &e) == 0) {
				if (i >= len - SM_SIG_LEN)
					sig_flips_ok++;
				msg_clear(&m);
			} else if (!zeroed(&m) || e.code == SM_OK) {
				notzero++;
			}
			obj[i] ^= (uint8_t)(1 << b);
		}
	CHECK(notzero == 0);
	CHECKF(sig_flips_ok == SM_SIG_LEN * 8, "%d of %d signature flips accepted",
	    sig_flips_ok, SM_SIG_LEN * 8);
	free(obj);
}

static void test_audience_helpers(void)
{
	uint8_t ids[4][32];
	sm_audience a = { .n_orgs = 4, .orgs = ids }, c;

	memset(ids, 0, sizeof(ids));
	ids[0][0] = 9; ids[1][0] = 3; ids[2][0] = 9; ids[3][0] = 1;
	CHECK(msg_audience_normalize(&a, NULL) == 0);
	CHECK(a.n_orgs == 3 && ids[0][0] == 1 && ids[1][0] == 3 && ids[2][0] == 9);
	CHECK(msg_audience_has_org(&a, ids[1]));
	uint8_t x[32] = { 4 };
	CHECK(!msg_audience_has_org(&a, x) && !msg_audience_has_sig(&a, ids[1]));
	CHECK(msg_audience_copy(&c, &a, NULL) == 0 && c.n_orgs == 3 && c.orgs != a.orgs);
	CHECK(memcmp(c.orgs, ids, 3 * 32) == 0);
	msg_audience_clear(&c);
	CHECK(c.orgs == NULL && c.n_orgs == 0);
	CHECK(strcmp(msg_type_name(SM_MSG_RELEASE), "release") == 0);
	CHECK(strcmp(msg_type_name(0), "unknown") == 0);
}

/*
 * An AMBER report from o[0] to org o[1] whose key list is written by
 * hand: n slots with the given orgs, each of 2 elements (3 if wide) and
 * a sealed key of sealed_len bytes. Unsigned (zero signature), for
 * msg_decode_trusted; the caller frees.
 */
static uint8_t *keylist_report(const uint8_t (*orgs)[SM_ID_LEN], uint32_t n, size_t sealed_len,
    bool wide, size_t *len)
{
	uint8_t ct[40] = {0}, nonce[SM_NONCE_LEN] = {0}, sealed[SM_SEALED_KEY_LEN + 1] = {0};
	uint8_t sig[SM_SIG_LEN] = {0}, *tbs, *obj;
	size_t tbs_len;
	codec_w w;

	codec_w_init(&w);
	codec_w_map(&w, 7);
	codec_w_uint(&w, 1); codec_w_uint(&w, SM_PROTO_VERSION);
	codec_w_uint(&w, 2); codec_w_bin(&w, o[0].pk, SM_ID_LEN);
	codec_w_uint(&w, 3); codec_w_uint(&w, 1);
	codec_w_uint(&w, 4); codec_w_uint(&w, 1700000000000ull);
	codec_w_uint(&w, 5); codec_w_uint(&w, SM_TLP_AMBER);
	codec_w_uint(&w, 6); codec_w_map(&w, 1);
	codec_w_uint(&w, 2); codec_w_array(&w, 1); codec_w_bin(&w, o[1].pk, SM_ID_LEN);
	codec_w_uint(&w, 8); codec_w_map(&w, 4);
	codec_w_uint(&w, 1); codec_w_uint(&w, 1);
	codec_w_uint(&w, 2); codec_w_bin(&w, ct, sizeof(ct));
	codec_w_uint(&w, 3); codec_w_bin(&w, nonce, sizeof(nonce));
	codec_w_uint(&w, 4); codec_w_array(&w, n);
	for (uint32_t i = 0; i < n; i++) {
		codec_w_array(&w, wide ? 3 : 2);
		codec_w_bin(&w, orgs[i], SM_ID_LEN);
		codec_w_bin(&w, sealed, sealed_len);
		if (wide)
			codec_w_uint(&w, 0);
	}
	if (!(tbs = codec_w_take(&w, &tbs_len)))
		return NULL;
	codec_w_array(&w, 4);
	codec_w_uint(&w, SM_MSG_REPORT);
	codec_w_bin(&w, o[0].pk, SM_ID_LEN);
	codec_w_bin(&w, tbs, tbs_len);
	codec_w_bin(&w, sig, sizeof(sig));
	free(tbs);
	obj = codec_w_take(&w, len);
	return obj;
}

/* The key list is checked in one pass and copied when valid; every way it
 * can be wrong still fails with the code (and names the field) that the
 * element-by-element path gives. */
static void test_key_list_checks(void)
{
	uint8_t orgs[4][SM_ID_LEN], swapped[2][SM_ID_LEN], *obj;
	sm_msg m;
	sm_err e;
	size_t len;

	for (int i = 0; i < 4; i++)
		memset(orgs[i], 0x10 * (i + 1), SM_ID_LEN);
	memcpy(swapped[0], orgs[1], SM_ID_LEN);
	memcpy(swapped[1], orgs[0], SM_ID_LEN);

	/* Valid: four slots, copied byte for byte. */
	e = (sm_err){0};
	CHECK((obj = keylist_report(orgs, 4, SM_SEALED_KEY_LEN, false, &len)) != NULL);
	CHECK(msg_decode_trusted(obj, len, &m, &e) == 0);
	CHECK(m.u.report.n_keys == 4);
	for (int i = 0; i < 4; i++)
		CHECK(memcmp(m.u.report.keys[i].org, orgs[i], SM_ID_LEN) == 0 &&
		    sodium_is_zero(m.u.report.keys[i].sealed, SM_SEALED_KEY_LEN));
	msg_clear(&m);
	free(obj);

	struct { const uint8_t (*orgs)[SM_ID_LEN]; uint32_t n; size_t sl; bool wide; int code;
	    const char *says; } bad[] = {
		{ orgs, 0, SM_SEALED_KEY_LEN, false, SM_EMALFORMED, "no recipients" },
		{ swapped, 2, SM_SEALED_KEY_LEN, false, SM_ENONCANON, "out of ascending order" },
		{ orgs + 1, 1, SM_SEALED_KEY_LEN - 1, false, SM_EBOUND, "report.8.4 (keys)" },
		{ orgs, 3, SM_SEALED_KEY_LEN + 1, false, SM_EBOUND, "report.8.4 (keys)" },
		{ orgs, 2, SM_SEALED_KEY_LEN, true, SM_EBOUND, "3 elements, max 2" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e = (sm_err){0};
		CHECK((obj = keylist_report(bad[i].orgs, bad[i].n, bad[i].sl, bad[i].wide, &len)) != NULL);
		CHECK(msg_decode_trusted(obj, len, &m, &e) < 0 && e.code == bad[i].code &&
		    strstr(e.msg, bad[i].says) != NULL && zeroed(&m));
		free(obj);
	}
	/* The same organization twice. */
	memcpy(swapped[0], orgs[0], SM_ID_LEN);
	memcpy(swapped[1], orgs[0], SM_ID_LEN);
	e = (sm_err){0};
	CHECK((obj = keylist_report(swapped, 2, SM_SEALED_KEY_LEN, false, &len)) != NULL);
	CHECK(msg_decode_trusted(obj, len, &m, &e) < 0 && e.code == SM_EMALFORMED &&
	    strstr(e.msg, "listed twice") != NULL);
	free(obj);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	keys();
	RUN(test_report_round_trip);
	RUN(test_release_opens);
	RUN(test_sighting_retraction_round_trip);
	RUN(test_plain_and_labels);
	RUN(test_clock_and_size);
	RUN(test_truncations_and_bitflips);
	RUN(test_audience_helpers);
	RUN(test_trusted_accepts_valid_object);
	RUN(test_trusted_accepts_forged_signature);
	RUN(test_trusted_skips_clock_check);
	RUN(test_trusted_rejects_malformed);
	RUN(test_key_list_checks);
	TEST_EXIT();
}
