/*
 * tests/unit/test_vectors.c — this implementation against the envelope
 * vectors in tests/vectors/NAME.vec (format: tests/vectors/README.md).
 *
 * For every vector: decode succeeds or fails with the stated code; the id
 * and every listed field match; each listed reader opens the body to the
 * stated plaintext (or fails as stated); and, where the vector gives the
 * signer's seed and rng_seed, rebuilding the decoded message with the same
 * deterministic randomness reproduces the object byte for byte.
 * Run from the repository root.
 */
#define MKVECTORS_NO_MAIN
#include "tests/tools/mkvectors.c"
#include <dirent.h>
#include "tests/test.h"
#include "tests/vecfile.h"

static vfile vf[64];
static int n_vf;

static int unhex(const char *h, uint8_t *out, size_t max, size_t *n)
{
	size_t l = strlen(h);

	if (l % 2 || l / 2 > max)
		return -1;
	return sodium_hex2bin(out, max, h, l, NULL, n, NULL);
}

/* keys-*, roster-* and wire-* vectors belong to other tests. */
static bool envelope_vector(const char *name)
{
	return strncmp(name, "keys-", 5) != 0 && strncmp(name, "roster-", 7) != 0 &&
	    strncmp(name, "wire-", 5) != 0;
}

static void load_all(void)
{
	n_vf = vec_load_dir(vf, (int)(sizeof(vf) / sizeof(vf[0])), envelope_vector);
}

static uint8_t *object(const vfile *v, size_t *len)
{
	const char *h = vec_get(v, "object", 0);
	uint8_t *b;

	*len = 0;
	if (!h || !(b = malloc(strlen(h) / 2 + 1)))
		return NULL;
	if (unhex(h, b, strlen(h) / 2 + 1, len) < 0) {
		free(b);
		return NULL;
	}
	return b;
}

static const vfile *find_by_id(const uint8_t id[32])
{
	for (int i = 0; i < n_vf; i++)
		if (vec_hex_is(&vf[i], "id", 0, id, 32))
			return &vf[i];
	return NULL;
}

/* ---- checks ----------------------------------------------------------- */

static bool ids_eq(const vfile *v, const char *key, uint8_t (*ids)[SM_ID_LEN], uint32_t n)
{
	if (vec_count(v, key) != (int)n)
		return false;
	for (uint32_t i = 0; i < n; i++)
		if (!vec_hex_is(v, key, (int)i, ids[i], SM_ID_LEN))
			return false;
	return true;
}

static bool rosters_eq(const vfile *v, const sm_roster_ref *r, uint32_t n)
{
	if (vec_count(v, "roster_sig") != (int)n || vec_count(v, "roster_version") != (int)n)
		return false;
	for (uint32_t i = 0; i < n; i++)
		if (!vec_hex_is(v, "roster_sig", (int)i, r[i].sig, 32) ||
		    strtoull(vec_get(v, "roster_version", (int)i), NULL, 10) != r[i].version)
			return false;
	return true;
}

static bool slots_eq(const vfile *v, const sm_keyslot *k, uint32_t n)
{
	if (vec_count(v, "slot_org") != (int)n)
		return false;
	for (uint32_t i = 0; i < n; i++)
		if (!vec_hex_is(v, "slot_org", (int)i, k[i].org, 32))
			return false;
	return true;
}

static void check_fields(const vfile *v, const sm_msg *m)
{
	const char *nm = v->name;

	CHECKF(vec_num(v, "type") == m->type, "%s: type", nm);
	CHECKF(vec_hex_is(v, "originator", 0, m->u.h.originator, 32), "%s: originator", nm);
	CHECKF(vec_num(v, "seq") == m->u.h.seq && vec_num(v, "created") == m->u.h.created_ms, "%s: seq/created", nm);
	if (m->type == SM_MSG_REPORT) {
		const sm_report *r = &m->u.report;
		CHECKF(vec_num(v, "tlp") == r->tlp && vec_num(v, "federation") == r->aud.federation, "%s: tlp", nm);
		CHECKF(ids_eq(v, "aud_org", r->aud.orgs, r->aud.n_orgs), "%s: aud_org", nm);
		CHECKF(ids_eq(v, "aud_sig", r->aud.sigs, r->aud.n_sigs), "%s: aud_sig", nm);
		CHECKF(rosters_eq(v, r->rosters, r->n_rosters), "%s: rosters", nm);
		CHECKF(vec_num(v, "encrypted") == r->encrypted, "%s: encrypted", nm);
		CHECKF(r->has_supersedes == (vec_get(v, "supersedes", 0) != NULL) &&
		    (!r->has_supersedes || vec_hex_is(v, "supersedes", 0, r->supersedes, 32)), "%s: supersedes", nm);
		CHECKF(slots_eq(v, r->keys, r->n_keys), "%s: slots", nm);
		CHECKF(!r->encrypted || vec_hex_is(v, "nonce", 0, r->nonce, SM_NONCE_LEN), "%s: nonce", nm);
	} else if (m->type == SM_MSG_SIGHTING) {
		const sm_sighting *s = &m->u.sighting;
		CHECKF(vec_hex_is(v, "report", 0, s->report, 32), "%s: report", nm);
		CHECKF(vec_num(v, "kind") == s->kind && vec_num(v, "count") == s->count &&
		    vec_num(v, "originator_only") == s->originator_only, "%s: kind/count", nm);
		CHECKF((s->note == NULL) == (vec_get(v, "note", 0) == NULL) &&
		    (!s->note || vec_hex_is(v, "note", 0, (const uint8_t *)s->note, strlen(s->note))), "%s: note", nm);
	} else if (m->type == SM_MSG_RETRACTION) {
		const sm_retraction *r = &m->u.retraction;
		CHECKF(vec_hex_is(v, "report", 0, r->report, 32), "%s: report", nm);
		CHECKF((r->reason == NULL) == (vec_get(v, "reason", 0) == NULL) &&
		    (!r->reason || vec_hex_is(v, "reason", 0, (const uint8_t *)r->reason, strlen(r->reason))),
		    "%s: reason", nm);
	} else if (m->type == SM_MSG_RELEASE) {
		const sm_release *r = &m->u.release;
		CHECKF(vec_hex_is(v, "report", 0, r->report, 32), "%s: report", nm);
		CHECKF(ids_eq(v, "aud_org", r->add.orgs, r->add.n_orgs), "%s: aud_org", nm);
		CHECKF(ids_eq(v, "aud_sig", r->add.sigs, r->add.n_sigs), "%s: aud_sig", nm);
		CHECKF(rosters_eq(v, r->rosters, r->n_rosters), "%s: rosters", nm);
		CHECKF(slots_eq(v, r->keys, r->n_keys), "%s: slots", nm);
	}
}

/* Each reader opens (a report directly, or a release's report through
 * the release) and gets the plaintext, or fails with open_expect. */
static void check_open(const vfile *v, const sm_msg *m)
{
	const char *oe = vec_get(v, "open_expect", 0);
	uint8_t plain[4096];
	size_t plen = 0;
	sm_msg rep = {0};
	const sm_report *r = NULL;
	const sm_release *rels[1] = { NULL };
	size_t n_rel = 0;
	const uint8_t *rid = m->id;

	if (vec_get(v, "plaintext", 0) && unhex(vec_get(v, "plaintext", 0), plain, sizeof(plain), &plen) < 0)
		CHECKF(0, "%s: plaintext hex", v->name);
	if (m->type == SM_MSG_REPORT) {
		r = &m->u.report;
	} else if (m->type == SM_MSG_RELEASE) {
		const vfile *rv = find_by_id(m->u.release.report);
		size_t rl;
		uint8_t *ro;
		sm_err e = {0};
		CHECKF(rv != NULL, "%s: released report not among the vectors", v->name);
		if (!rv || !(ro = object(rv, &rl)))
			return;
		CHECK(msg_decode(ro, rl, 0, &rep, &e) == 0);
		free(ro);
		r = &rep.u.report;
		rid = rep.id;
		rels[0] = &m->u.release;
		n_rel = 1;
		if (!vec_get(v, "plaintext", 0) && vec_get(rv, "plaintext", 0))
			CHECK(unhex(vec_get(rv, "plaintext", 0), plain, sizeof(plain), &plen) == 0);
		/* The content key in the vector is the report's. */
		uint8_t ck[32], want[32];
		size_t kl;
		const char *kh = vec_get(v, "content_key", 0);
		const char *rs = vec_get(rv, "reader_box_seed", 0), *ro_ = vec_get(rv, "reader_org", 0);
		uint8_t seed[32], org[32], pk[32], sk[32];
		if (kh && rs && ro_ && unhex(kh, want, 32, &kl) == 0 && unhex(rs, seed, 32, &kl) == 0 &&
		    unhex(ro_, org, 32, &kl) == 0) {
			crypto_box_seed_keypair(pk, sk, seed);
			CHECK(msg_report_content_key(r, org, pk, sk, ck, &e) == 0 && memcmp(ck, want, 32) == 0);
		}
	}
	if (!r)
		return;
	for (int i = 0; vec_get(v, "reader_org", i); i++) {
		uint8_t org[32], seed[32], pk[32], sk[32], *pt;
		size_t l, ptl;
		sm_err e = {0};
		CHECK(unhex(vec_get(v, "reader_org", i), org, 32, &l) == 0 &&
		    unhex(vec_get(v, "reader_box_seed", i), seed, 32, &l) == 0);
		crypto_box_seed_keypair(pk, sk, seed);
		pt = msg_report_open(r, rid, rels, n_rel, org, pk, sk, &ptl, &e);
		if (oe) {
			int code = atoi(oe + 6);
			CHECKF(pt == NULL && e.code == code, "%s: reader %d: open gave %s", v->name, i,
			    sm_strerror(e.code));
		} else {
			CHECKF(pt && ptl == plen && memcmp(pt, plain, plen) == 0, "%s: reader %d: %s",
			    v->name, i, e.msg);
		}
		free(pt);
		sodium_memzero(sk, sizeof(sk));
	}
	msg_clear(&rep);
}

/* Rebuild from the decoded fields with the vector's randomness. */
static void check_rebuild(const vfile *v, const sm_msg *m, const uint8_t *obj, size_t len)
{
	const char *rng = vec_get(v, "rng_seed", 0), *ss = vec_get(v, "signer_sign_seed", 0);
	uint8_t seed[32], pk[32], sk[64], *b = NULL, plain[4096], ck[32];
	sm_recipient rc[16];
	size_t l, bl = 0, plen = 0;
	uint32_t nr = 0;
	sm_err e = {0};

	if (!rng || !ss)
		return;
	CHECK(unhex(ss, seed, 32, &l) == 0);
	crypto_sign_seed_keypair(pk, sk, seed);
	CHECKF(vec_hex_is(v, "signer_pk", 0, pk, 32), "%s: signer_pk", v->name);
	for (; vec_get(v, "recipient_org", (int)nr) && nr < 16; nr++)
		CHECK(unhex(vec_get(v, "recipient_org", (int)nr), rc[nr].org, 32, &l) == 0 &&
		    unhex(vec_get(v, "recipient_box_pk", (int)nr), rc[nr].box_pk, 32, &l) == 0);
	drng_seed(rng);
	switch (m->type) {
	case SM_MSG_REPORT: {
		const sm_report *r = &m->u.report;
		if (r->encrypted)
			CHECK(unhex(vec_get(v, "plaintext", 0), plain, sizeof(plain), &plen) == 0);
		b = msg_report_build(r, r->encrypted ? plain : r->data, r->encrypted ? plen : r->data_len,
		    r->encrypted, rc, nr, sk, NULL, &bl, &e);
		break;
	}
	case SM_MSG_SIGHTING:
		b = msg_sighting_build(&m->u.sighting, sk, &bl, &e);
		break;
	case SM_MSG_RETRACTION:
		b = msg_retraction_build(&m->u.retraction, sk, &bl, &e);
		break;
	case SM_MSG_RELEASE:
		CHECK(unhex(vec_get(v, "content_key", 0), ck, 32, &l) == 0);
		b = msg_release_build(&m->u.release, ck, rc, nr, sk, &bl, &e);
		break;
	}
	CHECKF(b && bl == len && memcmp(b, obj, len) == 0, "%s: rebuilt bytes differ (%s)", v->name, e.msg);
	free(b);
	sodium_memzero(sk, sizeof(sk));
}

static void test_vectors_present(void)
{
	int ok = 0, bad = 0;

	for (int i = 0; i < n_vf; i++) {
		const char *x = vec_get(&vf[i], "expect", 0);
		if (x && strcmp(x, "ok") == 0)
			ok++;
		else if (x)
			bad++;
	}
	/* 7 positive messages, 2 open-failure, 14 decode-failure at least. */
	CHECKF(ok >= 9 && bad >= 14, "%d ok, %d bad vectors", ok, bad);
}

static void test_vectors(void)
{
	for (int i = 0; i < n_vf; i++) {
		const vfile *v = &vf[i];
		const char *x = vec_get(v, "expect", 0);
		size_t len;
		uint8_t *obj = object(v, &len);
		sm_msg m;
		sm_err e = {0};
		int rc;

		CHECKF(obj && x, "%s: no object or expect line", v->name);
		if (!obj || !x) {
			free(obj);
			continue;
		}
		rc = msg_decode(obj, len, 0, &m, &e);
		if (strncmp(x, "error ", 6) == 0) {
			static const sm_msg z;
			int code = atoi(x + 6);
			CHECKF(rc < 0 && e.code == code, "%s: expected %s, got %s (%s)", v->name,
			    sm_strerror(code), sm_strerror(e.code), e.msg);
			CHECKF(memcmp(&m, &z, sizeof(z)) == 0, "%s: output not zeroed", v->name);
		} else {
			CHECKF(rc == 0, "%s: %s", v->name, e.msg);
			if (rc == 0) {
				uint8_t id[32];
				msg_object_id(obj, len, id);
				CHECKF(!vec_get(v, "id", 0) || (vec_hex_is(v, "id", 0, m.id, 32) && memcmp(id, m.id, 32) == 0),
				    "%s: id", v->name);
				if (vec_get(v, "type", 0))
					check_fields(v, &m);
				check_open(v, &m);
				check_rebuild(v, &m, obj, len);
				msg_clear(&m);
			}
		}
		free(obj);
	}
}

int main(void)
{
	if (drng_install() < 0)
		return 1;
	load_all();
	RUN(test_vectors_present);
	RUN(test_vectors);
	vec_free(vf, n_vf);
	TEST_EXIT();
}
