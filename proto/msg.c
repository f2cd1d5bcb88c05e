/*
 * proto/msg.c — the signed envelope: build, split, verify and decode
 * reports, sightings, retractions and releases (PROTOCOL.md §3, §4, §6).
 *
 * Decoding is ordered so that the cheapest checks and the signature come
 * before any structured decoding of what the signer said: size bound,
 * canonical scan of the outer array, split, Ed25519 verify, and only then
 * the strict decode of the signed bytes. An unsigned forgery therefore
 * never reaches the map walker.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "proto/codec.h"
#include "proto/msg.h"
#include "proto/tlp.h"

#define SIG_CTX "sigmesh/1"
#define SIG_CTX_LEN 9
#define BODY_AD_CTX "sigmesh/body/1"
#define BODY_AD_CTX_LEN 14
#define BODY_AD_LEN (BODY_AD_CTX_LEN + SM_ID_LEN + 8)
#define CKEY_LEN crypto_aead_xchacha20poly1305_ietf_KEYBYTES
#define ABYTES crypto_aead_xchacha20poly1305_ietf_ABYTES
#define TBS_DEPTH 4	/* tbs map > body map > keys array > slot array */

const char *msg_type_name(uint8_t type)
{
	switch (type) {
	case SM_MSG_REPORT: return "report";
	case SM_MSG_SIGHTING: return "sighting";
	case SM_MSG_RETRACTION: return "retraction";
	case SM_MSG_RELEASE: return "release";
	default: return "unknown";
	}
}

/* ---- audiences -------------------------------------------------------- */

static int id_cmp(const void *a, const void *b)
{
	return memcmp(a, b, SM_ID_LEN);
}

static int roster_cmp(const void *a, const void *b)
{
	return memcmp(((const sm_roster_ref *)a)->sig, ((const sm_roster_ref *)b)->sig, SM_ID_LEN);
}

static int slot_cmp(const void *a, const void *b)
{
	return memcmp(((const sm_keyslot *)a)->org, ((const sm_keyslot *)b)->org, SM_ID_LEN);
}

static int rcpt_cmp(const void *a, const void *b)
{
	return memcmp(((const sm_recipient *)a)->org, ((const sm_recipient *)b)->org, SM_ID_LEN);
}

/* Sort ids and drop duplicates in place; returns the new count. */
static uint32_t ids_sort_unique(uint8_t (*ids)[SM_ID_LEN], uint32_t n)
{
	uint32_t k = 0;

	if (n == 0)
		return 0;
	if (n > 1)	/* qsort needs a valid pointer even for 0 items */
		qsort(ids, n, SM_ID_LEN, id_cmp);
	for (uint32_t i = 1; i < n; i++)
		if (memcmp(ids[i], ids[k], SM_ID_LEN) != 0)
			memmove(ids[++k], ids[i], SM_ID_LEN);
	return k + 1;
}

int msg_audience_normalize(sm_audience *a, sm_err *err)
{
	if (!a)
		return sm_fail(err, SM_EINVAL, "audience: NULL");
	if ((a->n_orgs && !a->orgs) || (a->n_sigs && !a->sigs))
		return sm_fail(err, SM_EINVAL, "audience: count without array");
	a->n_orgs = ids_sort_unique(a->orgs, a->n_orgs);
	a->n_sigs = ids_sort_unique(a->sigs, a->n_sigs);
	return 0;
}

int msg_audience_copy(sm_audience *dst, const sm_audience *src, sm_err *err)
{
	sm_audience a = { .federation = src->federation };

	if ((src->n_orgs && !src->orgs) || (src->n_sigs && !src->sigs))
		return sm_fail(err, SM_EINVAL, "audience: count without array");
	if (src->n_orgs) {
		if (!(a.orgs = malloc((size_t)src->n_orgs * SM_ID_LEN)))
			goto nomem;
		memcpy(a.orgs, src->orgs, (size_t)src->n_orgs * SM_ID_LEN);
		a.n_orgs = src->n_orgs;
	}
	if (src->n_sigs) {
		if (!(a.sigs = malloc((size_t)src->n_sigs * SM_ID_LEN)))
			goto nomem;
		memcpy(a.sigs, src->sigs, (size_t)src->n_sigs * SM_ID_LEN);
		a.n_sigs = src->n_sigs;
	}
	*dst = a;
	return 0;
nomem:
	msg_audience_clear(&a);
	return sm_fail(err, SM_ENOMEM, "audience: out of memory");
}

void msg_audience_clear(sm_audience *a)
{
	if (!a)
		return;
	free(a->orgs);
	free(a->sigs);
	memset(a, 0, sizeof(*a));
}

bool msg_audience_has_org(const sm_audience *a, const uint8_t org[SM_ID_LEN])
{
	return a && a->n_orgs && bsearch(org, a->orgs, a->n_orgs, SM_ID_LEN, id_cmp);
}

bool msg_audience_has_sig(const sm_audience *a, const uint8_t sig[SM_ID_LEN])
{
	return a && a->n_sigs && bsearch(sig, a->sigs, a->n_sigs, SM_ID_LEN, id_cmp);
}

/* ---- clearing --------------------------------------------------------- */

static void keys_free(sm_keyslot *k, uint32_t n)
{
	if (k) {
		sodium_memzero(k, (size_t)n * sizeof(*k));
		free(k);
	}
}

void msg_clear(sm_msg *m)
{
	if (!m)
		return;
	switch (m->type) {
	case SM_MSG_REPORT:
		msg_audience_clear(&m->u.report.aud);
		free(m->u.report.rosters);
		free(m->u.report.data);
		keys_free(m->u.report.keys, m->u.report.n_keys);
		break;
	case SM_MSG_SIGHTING:
		free(m->u.sighting.note);
		break;
	case SM_MSG_RETRACTION:
		free(m->u.retraction.reason);
		break;
	case SM_MSG_RELEASE:
		msg_audience_clear(&m->u.release.add);
		free(m->u.release.rosters);
		keys_free(m->u.release.keys, m->u.release.n_keys);
		break;
	default:
		break;
	}
	memset(m, 0, sizeof(*m));
}

/* ---- the outer object ------------------------------------------------- */

void msg_object_id(const uint8_t *buf, size_t len, uint8_t id[SM_ID_LEN])
{
	crypto_generichash(id, SM_ID_LEN, buf, len, NULL, 0);
}

int msg_object_split(const uint8_t *buf, size_t len, sm_object *out, sm_err *err)
{
	codec_doc doc;
	const msgpack_object *it;
	uint32_t n;
	uint64_t type;
	size_t blen;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (!buf || len > SM_MAX_OBJECT)
		return sm_fail(err, SM_EBOUND, "object: %zu bytes, max %u", len, SM_MAX_OBJECT);
	if (codec_decode(&doc, buf, len, 1, err) < 0)
		return sm_wrap(err, "object: ");
	if (codec_as_array(doc.root, 4, &it, &n, "object", err) < 0)
		goto out;
	if (n != 4) {
		sm_fail(err, SM_EMALFORMED, "object: %u elements, expected 4", n);
		goto out;
	}
	if (codec_as_uint(&it[0], 0, UINT64_MAX, &type, "object.0 (type)", err) < 0)
		goto out;
	if (type < SM_MSG_REPORT || type > SM_MSG_RELEASE) {
		sm_fail(err, SM_ETYPE, "object.0 (type): unknown message type %llu",
		    (unsigned long long)type);
		goto out;
	}
	if (codec_as_bin(&it[1], SM_ID_LEN, SM_ID_LEN, &out->signer, &blen,
	    "object.1 (signer)", err) < 0 ||
	    codec_as_bin(&it[2], 1, SM_MAX_OBJECT, &out->tbs, &out->tbs_len,
	    "object.2 (tbs)", err) < 0 ||
	    codec_as_bin(&it[3], SM_SIG_LEN, SM_SIG_LEN, &out->sig, &blen,
	    "object.3 (sig)", err) < 0)
		goto out;
	out->type = (uint8_t)type;
	rc = 0;
out:
	codec_doc_free(&doc);
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

/* The signed message is "sigmesh/1" || type || tbs; built in one buffer
 * because Ed25519 (not the prehashed variant) needs it contiguous. */
static uint8_t *sig_input(uint8_t type, const uint8_t *tbs, size_t tbs_len, size_t *n)
{
	uint8_t *m = malloc(SIG_CTX_LEN + 1 + tbs_len);

	if (!m)
		return NULL;
	memcpy(m, SIG_CTX, SIG_CTX_LEN);
	m[SIG_CTX_LEN] = type;
	memcpy(m + SIG_CTX_LEN + 1, tbs, tbs_len);
	*n = SIG_CTX_LEN + 1 + tbs_len;
	return m;
}

/* Typical sightings, retractions and small reports fit: verifying them
 * needs no allocation. */
#define SIG_INPUT_STACK 4096

int msg_object_verify(const sm_object *o, sm_err *err)
{
	uint8_t stack[SIG_INPUT_STACK], *m;
	size_t n;
	int ok;

	if (!o || !o->signer || !o->sig || !o->tbs)
		return sm_fail(err, SM_EINVAL, "object: not split");
	if (o->tbs_len <= sizeof(stack) - SIG_CTX_LEN - 1) {
		m = stack;
		memcpy(m, SIG_CTX, SIG_CTX_LEN);
		m[SIG_CTX_LEN] = o->type;
		memcpy(m + SIG_CTX_LEN + 1, o->tbs, o->tbs_len);
		n = SIG_CTX_LEN + 1 + o->tbs_len;
	} else if (!(m = sig_input(o->type, o->tbs, o->tbs_len, &n))) {
		return sm_fail(err, SM_ENOMEM, "object: out of memory");
	}
	ok = crypto_sign_verify_detached(o->sig, m, n, o->signer) == 0;
	if (m != stack)
		free(m);
	if (!ok)
		return sm_fail(err, SM_ESIG, "object.3 (sig): signature does not verify");
	return 0;
}

/* ---- decoding the signed bytes --------------------------------------- */

/* Is key the next field of m? Peeks without consuming; an unknown lower
 * key makes this false and is reported by the next getter or map_end. */
static bool has_key(const codec_map *m, uint64_t key)
{
	return m->i < m->n && m->kv[m->i].key.via.u64 == key;
}

/* Decode an array of 32-byte ids, strictly ascending. Present only when
 * non-empty. Returns a malloc'd array in *out. */
static int dec_ids(const msgpack_object *o, uint32_t maxn, const char *what,
    uint8_t (**out)[SM_ID_LEN], uint32_t *n_out, sm_err *err)
{
	const msgpack_object *it;
	uint32_t n;
	uint8_t (*ids)[SM_ID_LEN];

	*out = NULL;
	*n_out = 0;
	if (codec_as_array(o, maxn, &it, &n, what, err) < 0)
		return -1;
	if (n == 0)
		return sm_fail(err, SM_ENONCANON, "%s: empty list must be omitted", what);
	if (!(ids = malloc((size_t)n * SM_ID_LEN)))
		return sm_fail(err, SM_ENOMEM, "%s: out of memory", what);
	for (uint32_t i = 0; i < n; i++) {
		if (codec_as_binfix(&it[i], ids[i], SM_ID_LEN, what, err) < 0)
			goto fail;
		if (i > 0) {
			int c = memcmp(ids[i - 1], ids[i], SM_ID_LEN);
			if (c == 0) {
				sm_fail(err, SM_EMALFORMED, "%s: entry %u listed twice", what, i);
				goto fail;
			}
			if (c > 0) {
				sm_fail(err, SM_ENONCANON, "%s: entry %u out of ascending order", what, i);
				goto fail;
			}
		}
	}
	*out = ids;
	*n_out = n;
	return 0;
fail:
	free(ids);
	return -1;
}

/* Would dec_ids accept o? The same checks without building any error
 * message, so the success path needs no field name (see dec_audience). */
static bool ids_ok(const msgpack_object *o, uint32_t maxn)
{
	const msgpack_object *it;
	uint32_t n;

	if (o->type != MSGPACK_OBJECT_ARRAY)
		return false;
	it = o->via.array.ptr;
	n = o->via.array.size;
	if (n == 0 || n > maxn)
		return false;
	for (uint32_t i = 0; i < n; i++) {
		if (it[i].type != MSGPACK_OBJECT_BIN || it[i].via.bin.size != SM_ID_LEN)
			return false;
		if (i > 0 && memcmp(it[i - 1].via.bin.ptr, it[i].via.bin.ptr, SM_ID_LEN) >= 0)
			return false;
	}
	return true;
}

/* dec_ids for the audience's field key ("orgs", "sigs") of the map named
 * what; the "what.key (name)" label is formatted only on failure. */
static int dec_aud_ids(const msgpack_object *o, uint32_t maxn, const char *what,
    unsigned key, const char *name, uint8_t (**out)[SM_ID_LEN], uint32_t *n_out,
    sm_err *err)
{
	char nm[64];
	uint32_t n;

	if (ids_ok(o, maxn)) {
		n = o->via.array.size;
		if ((*out = malloc((size_t)n * SM_ID_LEN))) {
			for (uint32_t i = 0; i < n; i++)
				memcpy((*out)[i], o->via.array.ptr[i].via.bin.ptr, SM_ID_LEN);
			*n_out = n;
			return 0;
		}
	}
	snprintf(nm, sizeof(nm), "%s.%u (%s)", what, key, name);
	return dec_ids(o, maxn, nm, out, n_out, err);
}

/* audience map {1 federation (only true), 2 orgs, 3 sigs}. */
static int dec_audience(const msgpack_object *o, const char *what, sm_audience *a, sm_err *err)
{
	codec_map m;
	const msgpack_object *v;

	memset(a, 0, sizeof(*a));
	if (codec_map_begin(&m, o, what, err) < 0)
		return -1;
	if (has_key(&m, 1)) {
		if (codec_get_bool(&m, 1, true, &a->federation, err) < 0)
			return -1;
		if (!a->federation)
			return sm_fail(err, SM_ENONCANON, "%s.1 (federation): false must be omitted", what);
	}
	if ((v = codec_map_field(&m, 2)) &&
	    dec_aud_ids(v, SM_MAX_AUDIENCE_ORGS, what, 2, "orgs", &a->orgs, &a->n_orgs, err) < 0)
		goto fail;
	if ((v = codec_map_field(&m, 3)) &&
	    dec_aud_ids(v, SM_MAX_AUDIENCE_SIGS, what, 3, "sigs", &a->sigs, &a->n_sigs, err) < 0)
		goto fail;
	if (codec_map_end(&m, err) < 0)
		goto fail;
	return 0;
fail:
	msg_audience_clear(a);
	return -1;
}

/* rosters [[sig bin32, version uint >= 1]], strictly ascending by sig. */
static int dec_rosters(const msgpack_object *o, const char *what,
    sm_roster_ref **out, uint32_t *n_out, sm_err *err)
{
	const msgpack_object *it, *pair;
	uint32_t n, k;
	sm_roster_ref *r;

	*out = NULL;
	*n_out = 0;
	if (codec_as_array(o, SM_MAX_AUDIENCE_SIGS, &it, &n, what, err) < 0)
		return -1;
	if (n == 0)
		return sm_fail(err, SM_ENONCANON, "%s: empty list must be omitted", what);
	if (!(r = calloc(n, sizeof(*r))))
		return sm_fail(err, SM_ENOMEM, "%s: out of memory", what);
	for (uint32_t i = 0; i < n; i++) {
		if (codec_as_array(&it[i], 2, &pair, &k, what, err) < 0)
			goto fail;
		if (k != 2) {
			sm_fail(err, SM_EMALFORMED, "%s: entry %u has %u elements, expected 2", what, i, k);
			goto fail;
		}
		if (codec_as_binfix(&pair[0], r[i].sig, SM_ID_LEN, what, err) < 0 ||
		    codec_as_uint(&pair[1], 1, UINT64_MAX, &r[i].version, what, err) < 0)
			goto fail;
		if (i > 0) {
			int c = memcmp(r[i - 1].sig, r[i].sig, SM_ID_LEN);
			if (c == 0) {
				sm_fail(err, SM_EMALFORMED, "%s: SIG %u listed twice", what, i);
				goto fail;
			}
			if (c > 0) {
				sm_fail(err, SM_ENONCANON, "%s: entry %u out of ascending order", what, i);
				goto fail;
			}
		}
	}
	*out = r;
	*n_out = n;
	return 0;
fail:
	free(r);
	return -1;
}

/* Would dec_keys accept o? Its checks inline, without error messages:
 * a report carries one slot per recipient, and a call into the codec per
 * element and per check cost more than the copy (callgrind, bench_proto).
 * Any refusal is left to dec_keys' slow path, which names the cause. */
static bool keys_ok(const msgpack_object *o)
{
	const msgpack_object *it, *pair;
	uint32_t n;

	if (o->type != MSGPACK_OBJECT_ARRAY)
		return false;
	it = o->via.array.ptr;
	n = o->via.array.size;
	if (n == 0 || n > SM_MAX_RECIPIENTS)
		return false;
	for (uint32_t i = 0; i < n; i++) {
		if (it[i].type != MSGPACK_OBJECT_ARRAY || it[i].via.array.size != 2)
			return false;
		pair = it[i].via.array.ptr;
		if (pair[0].type != MSGPACK_OBJECT_BIN || pair[0].via.bin.size != SM_ID_LEN ||
		    pair[1].type != MSGPACK_OBJECT_BIN || pair[1].via.bin.size != SM_SEALED_KEY_LEN)
			return false;
		if (i > 0 && memcmp(it[i - 1].via.array.ptr[0].via.bin.ptr, pair[0].via.bin.ptr,
		    SM_ID_LEN) >= 0)
			return false;
	}
	return true;
}

/* keys [[org bin32, sealed bin80]], strictly ascending by org, non-empty. */
static int dec_keys(const msgpack_object *o, const char *what,
    sm_keyslot **out, uint32_t *n_out, sm_err *err)
{
	const msgpack_object *it, *pair;
	uint32_t n, k;
	sm_keyslot *s;

	*out = NULL;
	*n_out = 0;
	if (keys_ok(o)) {
		n = o->via.array.size;
		it = o->via.array.ptr;
		if (!(s = malloc((size_t)n * sizeof(*s))))
			return sm_fail(err, SM_ENOMEM, "%s: out of memory", what);
		for (uint32_t i = 0; i < n; i++) {
			memcpy(s[i].org, it[i].via.array.ptr[0].via.bin.ptr, SM_ID_LEN);
			memcpy(s[i].sealed, it[i].via.array.ptr[1].via.bin.ptr, SM_SEALED_KEY_LEN);
		}
		*out = s;
		*n_out = n;
		return 0;
	}
	if (codec_as_array(o, SM_MAX_RECIPIENTS, &it, &n, what, err) < 0)
		return -1;
	if (n == 0)
		return sm_fail(err, SM_EMALFORMED, "%s: no recipients", what);
	if (!(s = calloc(n, sizeof(*s))))
		return sm_fail(err, SM_ENOMEM, "%s: out of memory", what);
	for (uint32_t i = 0; i < n; i++) {
		if (codec_as_array(&it[i], 2, &pair, &k, what, err) < 0)
			goto fail;
		if (k != 2) {
			sm_fail(err, SM_EMALFORMED, "%s: entry %u has %u elements, expected 2", what, i, k);
			goto fail;
		}
		if (codec_as_binfix(&pair[0], s[i].org, SM_ID_LEN, what, err) < 0 ||
		    codec_as_binfix(&pair[1], s[i].sealed, SM_SEALED_KEY_LEN, what, err) < 0)
			goto fail;
		if (i > 0) {
			int c = memcmp(s[i - 1].org, s[i].org, SM_ID_LEN);
			if (c == 0) {
				sm_fail(err, SM_EMALFORMED, "%s: organization %u listed twice", what, i);
				goto fail;
			}
			if (c > 0) {
				sm_fail(err, SM_ENONCANON, "%s: entry %u out of ascending order", what, i);
				goto fail;
			}
		}
	}
	*out = s;
	*n_out = n;
	return 0;
fail:
	free(s);
	return -1;
}

static int dec_head(codec_map *m, const sm_object *o, sm_head *h, sm_err *err)
{
	uint64_t version;
	const char *w = m->what;

	if (codec_get_uint(m, 1, true, 0, UINT64_MAX, &version, err) < 0)
		return -1;
	if (version != SM_PROTO_VERSION)
		return sm_fail(err, SM_EVERSION, "%s.1 (version): %llu, this node speaks %d", w,
		    (unsigned long long)version, SM_PROTO_VERSION);
	if (codec_get_binfix(m, 2, true, h->originator, SM_ID_LEN, err) < 0)
		return -1;
	/* The signature was made by the signer's key; the originator field is
	 * what everyone else trusts, so the two must be one and the same. */
	if (sodium_memcmp(h->originator, o->signer, SM_ID_LEN) != 0)
		return sm_fail(err, SM_ESIG, "%s.2 (originator): differs from the signer", w);
	if (codec_get_uint(m, 3, true, 1, UINT64_MAX, &h->seq, err) < 0 ||
	    codec_get_uint(m, 4, true, 0, UINT64_MAX, &h->created_ms, err) < 0)
		return -1;
	h->type = o->type;
	return 0;
}

static int dec_report(codec_map *m, sm_report *r, sm_err *err)
{
	codec_map b;
	const msgpack_object *v;
	uint64_t u;
	const uint8_t *p;
	size_t n;
	const char *why = NULL;

	if (codec_get_uint(m, 5, true, 0, SM_TLP_RED, &u, err) < 0)
		return -1;
	r->tlp = (uint8_t)u;
	if (!(v = codec_map_field(m, 6)))
		return sm_fail(err, SM_EMALFORMED, "report: missing field 6 (audience)");
	if (dec_audience(v, "report.6 (audience)", &r->aud, err) < 0)
		return -1;
	if ((v = codec_map_field(m, 7)) &&
	    dec_rosters(v, "report.7 (rosters)", &r->rosters, &r->n_rosters, err) < 0)
		return -1;
	if (!(v = codec_map_field(m, 8)))
		return sm_fail(err, SM_EMALFORMED, "report: missing field 8 (body)");
	if (codec_map_begin(&b, v, "report.8 (body)", err) < 0 ||
	    codec_get_uint(&b, 1, true, 0, 1, &u, err) < 0)
		return -1;
	r->encrypted = u == 1;
	if (codec_get_bin(&b, 2, true, r->encrypted ? ABYTES : 0,
	    SM_MAX_BODY + (r->encrypted ? ABYTES : 0), &p, &n, err) < 0)
		return -1;
	if (!(r->data = malloc(n ? n : 1)))
		return sm_fail(err, SM_ENOMEM, "report.8.2 (data): out of memory");
	memcpy(r->data, p, n);
	r->data_len = n;
	if (r->encrypted) {
		if (codec_get_binfix(&b, 3, true, r->nonce, SM_NONCE_LEN, err) < 0)
			return -1;
		if (!(v = codec_map_field(&b, 4)))
			return sm_fail(err, SM_EMALFORMED, "report.8 (body): missing field 4 (keys)");
		if (dec_keys(v, "report.8.4 (keys)", &r->keys, &r->n_keys, err) < 0)
			return -1;
	} else if (b.i < b.n) {
		return sm_fail(err, SM_EMALFORMED, "report.8 (body): field %llu only in encrypted bodies",
		    (unsigned long long)b.kv[b.i].key.via.u64);
	}
	if (codec_map_end(&b, err) < 0)
		return -1;
	if (has_key(m, 9)) {
		if (codec_get_binfix(m, 9, false, r->supersedes, SM_ID_LEN, err) < 0)
			return -1;
		r->has_supersedes = true;
	}
	if (codec_map_end(m, err) < 0)
		return -1;
	if (!tlp_audience_ok(r->tlp, &r->aud, r->rosters, r->n_rosters, &why))
		return sm_fail(err, SM_ESCOPE, "report.6 (audience): %s", why);
	if (!r->encrypted && r->tlp > SM_TLP_GREEN)
		return sm_fail(err, SM_ESCOPE, "report.8.1 (enc): %s bodies must be encrypted",
		    tlp_name(r->tlp));
	return 0;
}

static int dec_sighting(codec_map *m, sm_sighting *s, sm_err *err)
{
	uint64_t u;

	if (codec_get_binfix(m, 5, true, s->report, SM_ID_LEN, err) < 0 ||
	    codec_get_uint(m, 6, true, 0, SM_SIGHT_FALSE_POSITIVE, &u, err) < 0)
		return -1;
	s->kind = (uint8_t)u;
	if (has_key(m, 7)) {
		if (codec_get_bool(m, 7, false, &s->originator_only, err) < 0)
			return -1;
		if (!s->originator_only)
			return sm_fail(err, SM_ENONCANON, "sighting.7 (originator_only): false must be omitted");
	}
	if (codec_get_uint(m, 8, true, 1, UINT64_MAX, &s->count, err) < 0 ||
	    codec_get_strdup(m, 9, false, SM_MAX_NOTE, &s->note, err) < 0 ||
	    codec_map_end(m, err) < 0)
		return -1;
	return 0;
}

static int dec_retraction(codec_map *m, sm_retraction *r, sm_err *err)
{
	if (codec_get_binfix(m, 5, true, r->report, SM_ID_LEN, err) < 0 ||
	    codec_get_strdup(m, 6, false, SM_MAX_NOTE, &r->reason, err) < 0 ||
	    codec_map_end(m, err) < 0)
		return -1;
	return 0;
}

/* Rosters must name exactly the SIGs of the audience, in the same order. */
static bool rosters_match(const sm_audience *a, const sm_roster_ref *r, uint32_t n)
{
	if (n != a->n_sigs)
		return false;
	for (uint32_t i = 0; i < n; i++)
		if (memcmp(r[i].sig, a->sigs[i], SM_ID_LEN) != 0)
			return false;
	return true;
}

static int dec_release(codec_map *m, sm_release *r, sm_err *err)
{
	const msgpack_object *v;
	const char *why = NULL;

	if (codec_get_binfix(m, 5, true, r->report, SM_ID_LEN, err) < 0)
		return -1;
	if (!(v = codec_map_field(m, 6)))
		return sm_fail(err, SM_EMALFORMED, "release: missing field 6 (add)");
	if (dec_audience(v, "release.6 (add)", &r->add, err) < 0)
		return -1;
	if ((v = codec_map_field(m, 7)) &&
	    dec_rosters(v, "release.7 (rosters)", &r->rosters, &r->n_rosters, err) < 0)
		return -1;
	if (!(v = codec_map_field(m, 8)))
		return sm_fail(err, SM_EMALFORMED, "release: missing field 8 (keys)");
	if (dec_keys(v, "release.8 (keys)", &r->keys, &r->n_keys, err) < 0 ||
	    codec_map_end(m, err) < 0)
		return -1;
	/* The label is in the report, not here: check against the widest
	 * label a release can apply to; tlp_may_receive re-checks with the
	 * report's own label. */
	if (!tlp_release_ok(SM_TLP_AMBER, &r->add, &why))
		return sm_fail(err, SM_ESCOPE, "release.6 (add): %s", why);
	if (!rosters_match(&r->add, r->rosters, r->n_rosters))
		return sm_fail(err, SM_ESCOPE, "release.7 (rosters): not exactly one per SIG added");
	return 0;
}

/* The strict decode behind msg_decode and msg_decode_trusted; verify
 * selects the Ed25519 check (now_ms == 0 already skips the clock check). */
static int decode_object(const uint8_t *buf, size_t len, bool verify, uint64_t now_ms,
    sm_msg *out, sm_err *err)
{
	sm_object o;
	codec_doc doc = { .root = NULL };
	codec_map m;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (msg_object_split(buf, len, &o, err) < 0 ||
	    (verify && msg_object_verify(&o, err) < 0))
		return -1;
	out->type = o.type;
	if (codec_decode(&doc, o.tbs, o.tbs_len, TBS_DEPTH, err) < 0) {
		sm_wrap(err, "%s: ", msg_type_name(o.type));
		goto out;
	}
	if (codec_map_begin(&m, doc.root, msg_type_name(o.type), err) < 0 ||
	    dec_head(&m, &o, &out->u.h, err) < 0)
		goto out;
	switch (o.type) {
	case SM_MSG_REPORT: rc = dec_report(&m, &out->u.report, err); break;
	case SM_MSG_SIGHTING: rc = dec_sighting(&m, &out->u.sighting, err); break;
	case SM_MSG_RETRACTION: rc = dec_retraction(&m, &out->u.retraction, err); break;
	case SM_MSG_RELEASE: rc = dec_release(&m, &out->u.release, err); break;
	}
	if (rc < 0)
		goto out;
	rc = -1;
	if (now_ms && out->u.h.created_ms > now_ms &&
	    out->u.h.created_ms - now_ms > SM_MAX_CLOCK_SKEW_MS) {
		sm_fail(err, SM_EBOUND, "%s.4 (created): %llu ms in the future",
		    msg_type_name(o.type), (unsigned long long)(out->u.h.created_ms - now_ms));
		goto out;
	}
	msg_object_id(buf, len, out->id);
	rc = 0;
out:
	codec_doc_free(&doc);
	if (rc < 0)
		msg_clear(out);
	return rc;
}

int msg_decode(const uint8_t *buf, size_t len, uint64_t now_ms, sm_msg *out,
    sm_err *err)
{
	return decode_object(buf, len, true, now_ms, out, err);
}

int msg_decode_trusted(const uint8_t *buf, size_t len, sm_msg *out, sm_err *err)
{
	return decode_object(buf, len, false, 0, out, err);
}

/* ---- building --------------------------------------------------------- */

static void w_ids(codec_w *w, uint8_t (*ids)[SM_ID_LEN], uint32_t n)
{
	codec_w_array(w, n);
	for (uint32_t i = 0; i < n; i++)
		codec_w_bin(w, ids[i], SM_ID_LEN);
}

/* a must be normalized. */
static void w_audience(codec_w *w, const sm_audience *a)
{
	codec_w_map(w, (a->federation ? 1 : 0) + (a->n_orgs ? 1 : 0) + (a->n_sigs ? 1 : 0));
	if (a->federation) {
		codec_w_uint(w, 1);
		codec_w_bool(w, true);
	}
	if (a->n_orgs) {
		codec_w_uint(w, 2);
		w_ids(w, a->orgs, a->n_orgs);
	}
	if (a->n_sigs) {
		codec_w_uint(w, 3);
		w_ids(w, a->sigs, a->n_sigs);
	}
}

static void w_rosters(codec_w *w, const sm_roster_ref *r, uint32_t n)
{
	codec_w_array(w, n);
	for (uint32_t i = 0; i < n; i++) {
		codec_w_array(w, 2);
		codec_w_bin(w, r[i].sig, SM_ID_LEN);
		codec_w_uint(w, r[i].version);
	}
}

static void w_keys(codec_w *w, const sm_keyslot *k, uint32_t n)
{
	codec_w_array(w, n);
	for (uint32_t i = 0; i < n; i++) {
		codec_w_array(w, 2);
		codec_w_bin(w, k[i].org, SM_ID_LEN);
		codec_w_bin(w, k[i].sealed, SM_SEALED_KEY_LEN);
	}
}

/* Write the common head; nfields is the total map size. */
static void w_head(codec_w *w, uint32_t nfields, const sm_head *h)
{
	codec_w_map(w, nfields);
	codec_w_uint(w, 1);
	codec_w_uint(w, SM_PROTO_VERSION);
	codec_w_uint(w, 2);
	codec_w_bin(w, h->originator, SM_ID_LEN);
	codec_w_uint(w, 3);
	codec_w_uint(w, h->seq);
	codec_w_uint(w, 4);
	codec_w_uint(w, h->created_ms);
}

static int check_head(const sm_head *h, const uint8_t *sign_sk, const char *what, sm_err *err)
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];

	if (!h || !sign_sk)
		return sm_fail(err, SM_EINVAL, "%s: NULL argument", what);
	crypto_sign_ed25519_sk_to_pk(pk, sign_sk);
	if (sodium_memcmp(pk, h->originator, SM_ID_LEN) != 0)
		return sm_fail(err, SM_EINVAL, "%s: originator is not the signing key", what);
	if (h->seq == 0)
		return sm_fail(err, SM_EINVAL, "%s: seq must be at least 1", what);
	return 0;
}

/* Take the tbs writer's bytes, sign them, wrap them in the outer array. */
static uint8_t *seal_object(codec_w *tw, uint8_t type, const uint8_t *sign_sk,
    size_t *len, sm_err *err)
{
	uint8_t sig[SM_SIG_LEN], pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t *tbs = NULL, *m = NULL, *obj = NULL;
	size_t tbs_len = 0, mlen;
	codec_w w;

	*len = 0;
	if (!(tbs = codec_w_take(tw, &tbs_len)) || !(m = sig_input(type, tbs, tbs_len, &mlen))) {
		sm_fail(err, SM_ENOMEM, "%s: out of memory", msg_type_name(type));
		goto out;
	}
	crypto_sign_detached(sig, NULL, m, mlen, sign_sk);
	crypto_sign_ed25519_sk_to_pk(pk, sign_sk);
	codec_w_init(&w);
	codec_w_array(&w, 4);
	codec_w_uint(&w, type);
	codec_w_bin(&w, pk, sizeof(pk));
	codec_w_bin(&w, tbs, tbs_len);
	codec_w_bin(&w, sig, sizeof(sig));
	if (!(obj = codec_w_take(&w, len))) {
		sm_fail(err, SM_ENOMEM, "%s: out of memory", msg_type_name(type));
		goto out;
	}
	if (*len > SM_MAX_OBJECT) {
		sm_fail(err, SM_EBOUND, "%s: %zu bytes, max %u", msg_type_name(type), *len, SM_MAX_OBJECT);
		free(obj);
		obj = NULL;
		*len = 0;
	}
out:
	codec_w_free(tw);
	free(tbs);
	free(m);
	return obj;
}

/* Normalized copies of an audience and its roster refs, validated. */
static int prep_audience(const sm_audience *in, const sm_roster_ref *rin, uint32_t nr,
    sm_audience *a, sm_roster_ref **r, const char *what, sm_err *err)
{
	*r = NULL;
	if (msg_audience_copy(a, in, err) < 0 || msg_audience_normalize(a, err) < 0)
		return sm_wrap(err, "%s: ", what);
	if (a->n_orgs > SM_MAX_AUDIENCE_ORGS || a->n_sigs > SM_MAX_AUDIENCE_SIGS ||
	    nr > SM_MAX_AUDIENCE_SIGS)
		return sm_fail(err, SM_EBOUND, "%s: audience too large", what);
	if (nr) {
		if (!rin || !(*r = malloc((size_t)nr * sizeof(**r))))
			return sm_fail(err, rin ? SM_ENOMEM : SM_EINVAL, "%s: rosters", what);
		memcpy(*r, rin, (size_t)nr * sizeof(**r));
		if (nr > 1)	/* qsort needs a valid pointer even for 0 items */
			qsort(*r, nr, sizeof(**r), roster_cmp);
		for (uint32_t i = 0; i < nr; i++)
			if ((*r)[i].version == 0)
				return sm_fail(err, SM_EINVAL, "%s: roster version 0", what);
	}
	return 0;
}

/* Seal key to each recipient, in ascending org order (so the random
 * draws, and thus the bytes under a deterministic generator, do not
 * depend on the caller's order). Duplicates are refused. */
static sm_keyslot *seal_slots(const uint8_t *key, const sm_recipient *rcpt, uint32_t n,
    const char *what, sm_err *err)
{
	sm_recipient *sorted = NULL;
	sm_keyslot *k = NULL;

	if (n == 0 || !rcpt) {
		sm_fail(err, SM_EINVAL, "%s: no recipients", what);
		return NULL;
	}
	if (n > SM_MAX_RECIPIENTS) {
		sm_fail(err, SM_EBOUND, "%s: %u recipients, max %d", what, n, SM_MAX_RECIPIENTS);
		return NULL;
	}
	if (!(sorted = malloc((size_t)n * sizeof(*sorted))) || !(k = calloc(n, sizeof(*k)))) {
		sm_fail(err, SM_ENOMEM, "%s: out of memory", what);
		goto fail;
	}
	memcpy(sorted, rcpt, (size_t)n * sizeof(*sorted));
	if (n > 1)	/* qsort needs a valid pointer even for 0 items */
		qsort(sorted, n, sizeof(*sorted), rcpt_cmp);
	for (uint32_t i = 0; i < n; i++) {
		if (i > 0 && memcmp(sorted[i - 1].org, sorted[i].org, SM_ID_LEN) == 0) {
			sm_fail(err, SM_EINVAL, "%s: recipient listed twice", what);
			goto fail;
		}
		memcpy(k[i].org, sorted[i].org, SM_ID_LEN);
		if (crypto_box_seal(k[i].sealed, key, CKEY_LEN, sorted[i].box_pk) != 0) {
			sm_fail(err, SM_EINVAL, "%s: recipient %u: unusable X25519 key", what, i);
			goto fail;
		}
	}
	free(sorted);
	return k;
fail:
	free(sorted);
	free(k);
	return NULL;
}

static void body_ad(uint8_t ad[BODY_AD_LEN], const uint8_t *originator, uint64_t seq)
{
	memcpy(ad, BODY_AD_CTX, BODY_AD_CTX_LEN);
	memcpy(ad + BODY_AD_CTX_LEN, originator, SM_ID_LEN);
	for (int i = 0; i < 8; i++)
		ad[BODY_AD_CTX_LEN + SM_ID_LEN + i] = (uint8_t)(seq >> (56 - 8 * i));
}

uint8_t *msg_report_build(const sm_report *r, const uint8_t *body, size_t body_len,
    bool encrypt, const sm_recipient *rcpt, uint32_t n_rcpt,
    const uint8_t sign_sk[crypto_sign_SECRETKEYBYTES],
    uint8_t content_key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES],
    size_t *len, sm_err *err)
{
	sm_audience a = {0};
	sm_roster_ref *ros = NULL;
	sm_keyslot *slots = NULL;
	uint8_t *key = NULL, *ct = NULL, *obj = NULL;
	uint8_t nonce[SM_NONCE_LEN], ad[BODY_AD_LEN];
	unsigned long long ctlen = 0;
	const char *why = NULL;
	codec_w w;

	*len = 0;
	if (!r || (!body && body_len) || check_head(&r->h, sign_sk, "report", err) < 0) {
		sm_fail(err, SM_EINVAL, "report: NULL argument");
		return NULL;
	}
	if (body_len > SM_MAX_BODY) {
		sm_fail(err, SM_EBOUND, "report: body %zu bytes, max %u", body_len, SM_MAX_BODY);
		return NULL;
	}
	if (prep_audience(&r->aud, r->rosters, r->n_rosters, &a, &ros, "report", err) < 0)
		goto out;
	if (!tlp_audience_ok(r->tlp, &a, ros, r->n_rosters, &why)) {
		sm_fail(err, SM_ESCOPE, "report: audience: %s", why);
		goto out;
	}
	if (!encrypt && r->tlp > SM_TLP_GREEN) {
		sm_fail(err, SM_ESCOPE, "report: %s bodies must be encrypted", tlp_name(r->tlp));
		goto out;
	}
	if (encrypt) {
		if (!(key = sodium_malloc(CKEY_LEN)) || !(ct = malloc(body_len + ABYTES))) {
			sm_fail(err, SM_ENOMEM, "report: out of memory");
			goto out;
		}
		/* Draw order is part of the vectors: key, nonce, then one
		 * ephemeral key per slot in ascending org order. */
		randombytes_buf(key, CKEY_LEN);
		randombytes_buf(nonce, sizeof(nonce));
		if (!(slots = seal_slots(key, rcpt, n_rcpt, "report", err)))
			goto out;
		body_ad(ad, r->h.originator, r->h.seq);
		crypto_aead_xchacha20poly1305_ietf_encrypt(ct, &ctlen, body, body_len,
		    ad, sizeof(ad), NULL, nonce, key);
	}
	codec_w_init(&w);
	w_head(&w, 4 + 3 + (r->n_rosters ? 1 : 0) + (r->has_supersedes ? 1 : 0), &r->h);
	codec_w_uint(&w, 5);
	codec_w_uint(&w, r->tlp);
	codec_w_uint(&w, 6);
	w_audience(&w, &a);
	if (r->n_rosters) {
		codec_w_uint(&w, 7);
		w_rosters(&w, ros, r->n_rosters);
	}
	codec_w_uint(&w, 8);
	codec_w_map(&w, encrypt ? 4 : 2);
	codec_w_uint(&w, 1);
	codec_w_uint(&w, encrypt ? 1 : 0);
	codec_w_uint(&w, 2);
	if (encrypt) {
		codec_w_bin(&w, ct, (size_t)ctlen);
		codec_w_uint(&w, 3);
		codec_w_bin(&w, nonce, sizeof(nonce));
		codec_w_uint(&w, 4);
		w_keys(&w, slots, n_rcpt);
	} else {
		codec_w_bin(&w, body, body_len);
	}
	if (r->has_supersedes) {
		codec_w_uint(&w, 9);
		codec_w_bin(&w, r->supersedes, SM_ID_LEN);
	}
	obj = seal_object(&w, SM_MSG_REPORT, sign_sk, len, err);
	if (content_key) {
		if (obj && key)
			memcpy(content_key, key, CKEY_LEN);
		else
			sodium_memzero(content_key, CKEY_LEN);
	}
out:
	if (key)
		sodium_free(key);
	msg_audience_clear(&a);
	free(ros);
	free(ct);
	keys_free(slots, n_rcpt);
	return obj;
}

uint8_t *msg_sighting_build(const sm_sighting *s,
    const uint8_t sign_sk[crypto_sign_SECRETKEYBYTES], size_t *len, sm_err *err)
{
	codec_w w;
	size_t nlen = s && s->note ? strlen(s->note) : 0;

	*len = 0;
	if (!s || check_head(&s->h, sign_sk, "sighting", err) < 0) {
		sm_fail(err, SM_EINVAL, "sighting: NULL argument");
		return NULL;
	}
	if (s->kind > SM_SIGHT_FALSE_POSITIVE || s->count == 0 || nlen > SM_MAX_NOTE ||
	    (s->note && !codec_utf8_ok(s->note, nlen))) {
		sm_fail(err, SM_EINVAL, "sighting: kind, count or note out of range");
		return NULL;
	}
	codec_w_init(&w);
	w_head(&w, 4 + 3 + (s->originator_only ? 1 : 0) + (s->note ? 1 : 0), &s->h);
	codec_w_uint(&w, 5);
	codec_w_bin(&w, s->report, SM_ID_LEN);
	codec_w_uint(&w, 6);
	codec_w_uint(&w, s->kind);
	if (s->originator_only) {
		codec_w_uint(&w, 7);
		codec_w_bool(&w, true);
	}
	codec_w_uint(&w, 8);
	codec_w_uint(&w, s->count);
	if (s->note) {
		codec_w_uint(&w, 9);
		codec_w_str(&w, s->note, nlen);
	}
	return seal_object(&w, SM_MSG_SIGHTING, sign_sk, len, err);
}

uint8_t *msg_retraction_build(const sm_retraction *r,
    const uint8_t sign_sk[crypto_sign_SECRETKEYBYTES], size_t *len, sm_err *err)
{
	codec_w w;
	size_t nlen = r && r->reason ? strlen(r->reason) : 0;

	*len = 0;
	if (!r || check_head(&r->h, sign_sk, "retraction", err) < 0) {
		sm_fail(err, SM_EINVAL, "retraction: NULL argument");
		return NULL;
	}
	if (nlen > SM_MAX_NOTE || (r->reason && !codec_utf8_ok(r->reason, nlen))) {
		sm_fail(err, SM_EINVAL, "retraction: reason too long or not UTF-8");
		return NULL;
	}
	codec_w_init(&w);
	w_head(&w, 4 + 1 + (r->reason ? 1 : 0), &r->h);
	codec_w_uint(&w, 5);
	codec_w_bin(&w, r->report, SM_ID_LEN);
	if (r->reason) {
		codec_w_uint(&w, 6);
		codec_w_str(&w, r->reason, nlen);
	}
	return seal_object(&w, SM_MSG_RETRACTION, sign_sk, len, err);
}

uint8_t *msg_release_build(const sm_release *r,
    const uint8_t content_key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES],
    const sm_recipient *rcpt, uint32_t n_rcpt,
    const uint8_t sign_sk[crypto_sign_SECRETKEYBYTES], size_t *len, sm_err *err)
{
	sm_audience a = {0};
	sm_roster_ref *ros = NULL;
	sm_keyslot *slots = NULL;
	uint8_t *obj = NULL;
	const char *why = NULL;
	codec_w w;

	*len = 0;
	if (!r || !content_key || check_head(&r->h, sign_sk, "release", err) < 0) {
		sm_fail(err, SM_EINVAL, "release: NULL argument");
		return NULL;
	}
	if (prep_audience(&r->add, r->rosters, r->n_rosters, &a, &ros, "release", err) < 0)
		goto out;
	if (!tlp_release_ok(SM_TLP_AMBER, &a, &why)) {
		sm_fail(err, SM_ESCOPE, "release: add: %s", why);
		goto out;
	}
	if (!rosters_match(&a, ros, r->n_rosters)) {
		sm_fail(err, SM_ESCOPE, "release: rosters: not exactly one per SIG added");
		goto out;
	}
	if (!(slots = seal_slots(content_key, rcpt, n_rcpt, "release", err)))
		goto out;
	codec_w_init(&w);
	w_head(&w, 4 + 3 + (r->n_rosters ? 1 : 0), &r->h);
	codec_w_uint(&w, 5);
	codec_w_bin(&w, r->report, SM_ID_LEN);
	codec_w_uint(&w, 6);
	w_audience(&w, &a);
	if (r->n_rosters) {
		codec_w_uint(&w, 7);
		w_rosters(&w, ros, r->n_rosters);
	}
	codec_w_uint(&w, 8);
	w_keys(&w, slots, n_rcpt);
	obj = seal_object(&w, SM_MSG_RELEASE, sign_sk, len, err);
out:
	msg_audience_clear(&a);
	free(ros);
	keys_free(slots, n_rcpt);
	return obj;
}

/* ---- opening ---------------------------------------------------------- */

static const sm_keyslot *find_slot(const sm_keyslot *k, uint32_t n, const uint8_t org[SM_ID_LEN])
{
	if (!k || n == 0)
		return NULL;
	return bsearch(org, k, n, sizeof(*k), slot_cmp);
}

/*
 * Each thread's content-key buffer: sodium_malloc'd (guard pages, locked,
 * never swapped) once, wiped after every use, kept for the thread's life.
 * A sodium_malloc and sodium_free per report opened cost more than the
 * decryption: they map, protect and unmap pages, and each unmap stops the
 * node's other threads to flush their TLBs (measured with perf on
 * bench_ingest).
 */
static _Thread_local uint8_t *tl_key;

/* Unseal a slot into this thread's key buffer; the caller wipes it
 * (wipe_key) when done. */
static uint8_t *unseal(const sm_keyslot *s, const uint8_t *box_pk, const uint8_t *box_sk)
{
	if (!tl_key && !(tl_key = sodium_malloc(CKEY_LEN)))
		return NULL;
	if (crypto_box_seal_open(tl_key, s->sealed, SM_SEALED_KEY_LEN, box_pk, box_sk) != 0) {
		sodium_memzero(tl_key, CKEY_LEN);
		return NULL;
	}
	return tl_key;
}

static void wipe_key(uint8_t *key)
{
	if (key)
		sodium_memzero(key, CKEY_LEN);
}

int msg_report_content_key(const sm_report *r, const uint8_t org[SM_ID_LEN],
    const uint8_t box_pk[crypto_box_PUBLICKEYBYTES],
    const uint8_t box_sk[crypto_box_SECRETKEYBYTES],
    uint8_t key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES], sm_err *err)
{
	const sm_keyslot *s;
	uint8_t *k;

	sodium_memzero(key, CKEY_LEN);
	if (!r || !r->encrypted)
		return sm_fail(err, SM_EDECRYPT, "report: not encrypted, no content key");
	if (!(s = find_slot(r->keys, r->n_keys, org)))
		return sm_fail(err, SM_EDECRYPT, "report.8.4 (keys): no slot for this organization");
	if (!(k = unseal(s, box_pk, box_sk)))
		return sm_fail(err, SM_EDECRYPT, "report.8.4 (keys): slot does not open with this key");
	memcpy(key, k, CKEY_LEN);
	wipe_key(k);
	return 0;
}

uint8_t *msg_report_open(const sm_report *r, const uint8_t id[SM_ID_LEN],
    const sm_release *const *releases, size_t n_releases,
    const uint8_t org[SM_ID_LEN],
    const uint8_t box_pk[crypto_box_PUBLICKEYBYTES],
    const uint8_t box_sk[crypto_box_SECRETKEYBYTES],
    size_t *len, sm_err *err)
{
	const sm_keyslot *s;
	uint8_t *key = NULL, *pt = NULL, ad[BODY_AD_LEN];
	unsigned long long ptlen = 0;

	*len = 0;
	if (!r || !org) {
		sm_fail(err, SM_EINVAL, "report: NULL argument");
		return NULL;
	}
	if (!r->encrypted) {
		if (!(pt = malloc(r->data_len ? r->data_len : 1))) {
			sm_fail(err, SM_ENOMEM, "report: out of memory");
			return NULL;
		}
		memcpy(pt, r->data, r->data_len);
		*len = r->data_len;
		return pt;
	}
	if (r->data_len < ABYTES) {
		sm_fail(err, SM_EDECRYPT, "report.8.2 (data): shorter than its tag");
		return NULL;
	}
	s = find_slot(r->keys, r->n_keys, org);
	if (s)
		key = unseal(s, box_pk, box_sk);
	/* A release of this report by the same originator may carry our slot. */
	for (size_t i = 0; !key && i < n_releases; i++) {
		const sm_release *rel = releases ? releases[i] : NULL;
		if (!rel || (id && memcmp(rel->report, id, SM_ID_LEN) != 0) ||
		    memcmp(rel->h.originator, r->h.originator, SM_ID_LEN) != 0)
			continue;
		if ((s = find_slot(rel->keys, rel->n_keys, org)))
			key = unseal(s, box_pk, box_sk);
	}
	if (!key) {
		sm_fail(err, SM_EDECRYPT, "report.8.4 (keys): no slot opens for this organization");
		return NULL;
	}
	if (!(pt = malloc(r->data_len - ABYTES + 1))) {
		sm_fail(err, SM_ENOMEM, "report: out of memory");
		goto out;
	}
	body_ad(ad, r->h.originator, r->h.seq);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt, &ptlen, NULL, r->data, r->data_len,
	    ad, sizeof(ad), r->nonce, key) != 0) {
		free(pt);
		pt = NULL;
		sm_fail(err, SM_EDECRYPT, "report.8.2 (data): authentication failed");
		goto out;
	}
	*len = (size_t)ptlen;
out:
	wipe_key(key);
	return pt;
}
