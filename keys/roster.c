/*
 * keys/roster.c — quorum-governed, hash-chained SIG rosters; see roster.h
 * and PROTOCOL.md §8.
 *
 * Membership history is kept as records, one per stint of unchanged keys
 * and endpoint: a record is valid for roster versions [from, until). An
 * add opens a record, a remove closes one, a rotation or endpoint change
 * closes one and opens its successor. Membership at version v is then a
 * scan of the records; the head set is an index (cur) of the open records
 * sorted by org id, so head lookups are a binary search. Nothing is copied
 * per entry: a roster of E entries over N members costs O(E + records).
 *
 * roster_members() materializes the set for a version on demand and keeps
 * it until the next roster_append (the contract in roster.h); a mutex
 * guards that cache so concurrent readers of a const roster are safe.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "keys/roster.h"
#include "proto/codec.h"

#define ROSTER_LABEL "sigmesh/roster/1"
#define ROSTER_VERSION 1
#define OPEN UINT64_MAX

struct rentry {
	uint8_t *bytes;		/* the entry as received, owned */
	size_t len;
	uint8_t hash[SM_ID_LEN];	/* BLAKE2b-256 of its body */
};

struct rrec {
	roster_member m;
	uint64_t from, until;	/* valid at versions [from, until) */
};

struct view {
	uint64_t version;
	uint32_t n;
	roster_member *m;	/* sorted by org */
	struct view *next;
};

struct roster {
	struct rentry *e;	/* entries, index = position */
	uint32_t *thr;		/* raw threshold after entry i (0 = majority) */
	uint64_t n_e, cap_e;
	struct rrec *rec;	/* membership records, in order of creation */
	size_t n_rec, cap_rec;
	size_t *cur;		/* indices of open records, sorted by org */
	uint32_t n_cur;
	char name[ROSTER_MAX_NAME];
	uint8_t sig_id[SM_ID_LEN];
	bool late_readers;
	pthread_mutex_t lock;	/* guards views */
	struct view *views;
};

struct approval {
	uint8_t org[SM_ID_LEN];
	uint8_t sig[SM_SIG_LEN];
};

/* An entry decoded, not yet checked against any roster. */
struct pentry {
	uint64_t index, op, created, threshold;
	bool has_prev, late_readers;
	uint8_t prev[SM_ID_LEN];
	const uint8_t *body;	/* points into the entry bytes */
	size_t body_len;
	uint8_t hash[SM_ID_LEN];
	char name[ROSTER_MAX_NAME];
	roster_member *members;	/* genesis founders, malloc'd, sorted by org */
	uint32_t n_members;
	roster_member member;	/* ADD, ROTATE, ENDPOINT */
	uint8_t org[SM_ID_LEN];	/* REMOVE */
	struct approval *appr;	/* malloc'd, sorted by org */
	uint32_t n_appr;
};

static void pentry_free(struct pentry *pe)
{
	free(pe->members);
	free(pe->appr);
	pe->members = NULL;
	pe->appr = NULL;
}

static const char *op_name(uint64_t op)
{
	static const char *const n[] = { "genesis", "add", "remove", "rotate", "threshold", "endpoint" };
	return op < 6 ? n[op] : "unknown";
}

static void short_id(const uint8_t org[SM_ID_LEN], char out[12])
{
	char b[44];

	identity_b64(org, b);
	memcpy(out, b, 11);
	out[11] = '\0';
}

/* ---- members ---------------------------------------------------------- */

int roster_member_from_card(roster_member *m, const uint8_t *card, size_t len,
    const char *endpoint, sm_err *err)
{
	size_t el = endpoint ? strlen(endpoint) : 0;

	memset(m, 0, sizeof(*m));
	if (len == 0 || len > ID_MAX_CARD)
		return sm_fail(err, SM_EBOUND, "member card: %zu bytes, allowed 1 to %d", len, ID_MAX_CARD);
	if (el >= ROSTER_MAX_ENDPOINT)
		return sm_fail(err, SM_EBOUND, "member endpoint: %zu bytes, max %d", el, ROSTER_MAX_ENDPOINT - 1);
	if (!codec_utf8_ok(endpoint ? endpoint : "", el))
		return sm_fail(err, SM_EINVAL, "member endpoint is not valid UTF-8");
	if (identity_card_parse(card, len, &m->id, err) < 0) {
		memset(m, 0, sizeof(*m));
		return -1;
	}
	memcpy(m->card, card, len);
	m->card_len = (uint32_t)len;
	if (el)
		memcpy(m->endpoint, endpoint, el);
	return 0;
}

static int parse_member(const msgpack_object *o, roster_member *m, const char *what, sm_err *err)
{
	codec_map mp;
	const uint8_t *card;
	const char *ep;
	size_t clen, elen;
	char epz[ROSTER_MAX_ENDPOINT];

	if (codec_map_begin(&mp, o, what, err) < 0 ||
	    codec_get_bin(&mp, 1, true, 1, ID_MAX_CARD, &card, &clen, err) < 0 ||
	    codec_get_str(&mp, 2, true, ROSTER_MAX_ENDPOINT - 1, &ep, &elen, err) < 0 ||
	    codec_map_end(&mp, err) < 0)
		return -1;
	memcpy(epz, ep, elen);
	epz[elen] = '\0';
	if (roster_member_from_card(m, card, clen, epz, err) < 0)
		return sm_wrap(err, "%s: ", what);
	return 0;
}

static void write_member(codec_w *w, const roster_member *m)
{
	codec_w_map(w, 2);
	codec_w_uint(w, 1); codec_w_bin(w, m->card, m->card_len);
	codec_w_uint(w, 2); codec_w_cstr(w, m->endpoint);
}

static int cmp_member(const void *a, const void *b)
{
	return memcmp(((const roster_member *)a)->id.org, ((const roster_member *)b)->id.org, SM_ID_LEN);
}

static int cmp_member_ptr(const void *a, const void *b)
{
	return cmp_member(*(const roster_member *const *)a, *(const roster_member *const *)b);
}

static int cmp_appr(const void *a, const void *b)
{
	return memcmp(((const struct approval *)a)->org, ((const struct approval *)b)->org, SM_ID_LEN);
}

/* ---- decoding --------------------------------------------------------- */

static int parse_body(struct pentry *pe, sm_err *err)
{
	codec_doc d;
	codec_map m;
	const msgpack_object *o, *items;
	const char *s;
	size_t sl;
	uint64_t v;
	uint32_t n;
	int rc = -1;

	if (codec_decode(&d, pe->body, pe->body_len, 3, err) < 0)
		return sm_wrap(err, "roster entry body: ");
	if (codec_map_begin(&m, d.root, "roster entry", err) < 0 ||
	    codec_get_uint(&m, 1, true, 0, UINT64_MAX, &v, err) < 0)
		goto out;
	if (v != ROSTER_VERSION) {
		sm_fail(err, SM_EVERSION, "roster entry: version %llu, expected %d",
		    (unsigned long long)v, ROSTER_VERSION);
		goto out;
	}
	if (codec_get_uint(&m, 2, true, 0, ROSTER_MAX_ENTRIES - 1, &pe->index, err) < 0)
		goto out;
	if ((o = codec_map_field(&m, 3))) {
		if (codec_as_binfix(o, pe->prev, SM_ID_LEN, "roster entry.3 (prev)", err) < 0)
			goto out;
		pe->has_prev = true;
	}
	if (codec_get_uint(&m, 4, true, 0, UINT64_MAX, &pe->op, err) < 0 ||
	    codec_get_uint(&m, 5, true, 0, UINT64_MAX, &pe->created, err) < 0)
		goto out;
	if (pe->op > ROSTER_ENDPOINT) {
		sm_fail(err, SM_ETYPE, "roster entry: unknown operation %llu", (unsigned long long)pe->op);
		goto out;
	}
	if ((pe->op == ROSTER_GENESIS) == pe->has_prev) {
		sm_fail(err, SM_EMALFORMED, pe->has_prev ? "roster genesis: has a prev field" :
		    "roster entry: missing field 3 (prev)");
		goto out;
	}
	switch (pe->op) {
	case ROSTER_GENESIS:
		if (codec_get_str(&m, 6, true, ROSTER_MAX_NAME - 1, &s, &sl, err) < 0 ||
		    codec_get_array(&m, 7, true, ROSTER_MAX_MEMBERS, &items, &n, err) < 0)
			goto out;
		if (sl == 0 || n == 0) {
			sm_fail(err, SM_EMALFORMED, "roster genesis: %s", sl ? "no members" : "empty SIG name");
			goto out;
		}
		memcpy(pe->name, s, sl);
		pe->name[sl] = '\0';
		if (!(pe->members = calloc(n, sizeof(*pe->members)))) {
			sm_fail(err, SM_ENOMEM, "roster genesis: out of memory");
			goto out;
		}
		for (uint32_t i = 0; i < n; i++) {
			char what[48];
			snprintf(what, sizeof what, "roster genesis member %u", i);
			if (parse_member(&items[i], &pe->members[i], what, err) < 0)
				goto out;
			if (i > 0) {
				int c = cmp_member(&pe->members[i - 1], &pe->members[i]);
				if (c >= 0) {
					sm_fail(err, c == 0 ? SM_EEXISTS : SM_ENONCANON,
					    "roster genesis: member %u (%s) %s", i, pe->members[i].id.name,
					    c == 0 ? "listed twice" : "out of org order");
					goto out;
				}
			}
		}
		pe->n_members = n;
		if (codec_get_uint(&m, 8, true, 0, ROSTER_MAX_MEMBERS, &pe->threshold, err) < 0 ||
		    codec_get_bool(&m, 9, false, &pe->late_readers, err) < 0)
			goto out;
		/* canonical: the flag is present only when true */
		if (!pe->late_readers && m.i > 0 && m.kv[m.i - 1].key.via.u64 == 9) {
			sm_fail(err, SM_ENONCANON, "roster genesis: late_readers false must be omitted");
			goto out;
		}
		break;
	case ROSTER_ADD: case ROSTER_ROTATE: case ROSTER_ENDPOINT:
		if (!(o = codec_map_field(&m, 10))) {
			sm_fail(err, SM_EMALFORMED, "roster %s: missing field 10 (member)", op_name(pe->op));
			goto out;
		}
		if (parse_member(o, &pe->member, "roster entry member", err) < 0)
			goto out;
		break;
	case ROSTER_REMOVE:
		if (codec_get_binfix(&m, 11, true, pe->org, SM_ID_LEN, err) < 0)
			goto out;
		break;
	case ROSTER_THRESHOLD:
		if (codec_get_uint(&m, 8, true, 0, ROSTER_MAX_MEMBERS, &pe->threshold, err) < 0)
			goto out;
		break;
	}
	if (codec_map_end(&m, err) < 0)
		goto out;
	rc = 0;
out:
	codec_doc_free(&d);
	return rc;
}

/*
 * Decode an entry: [body bin, approvals [[org, sig], ...]]. Approvals must
 * be sorted by org; a repeated org is tolerated here (counted once by the
 * quorum check) so that the error a reader sees is about the quorum.
 */
static int parse_entry(const uint8_t *buf, size_t len, struct pentry *pe, sm_err *err)
{
	codec_doc d;
	const msgpack_object *items, *ap, *pair;
	uint32_t n, na, np;
	int rc = -1;

	memset(pe, 0, sizeof(*pe));
	if (len > ROSTER_MAX_ENTRY)
		return sm_fail(err, SM_EBOUND, "roster entry: %zu bytes, max %d", len, ROSTER_MAX_ENTRY);
	if (codec_decode(&d, buf, len, 3, err) < 0)
		return sm_wrap(err, "roster entry: ");
	if (codec_as_array(d.root, 2, &items, &n, "roster entry", err) < 0)
		goto out;
	if (n != 2) {
		sm_fail(err, SM_EMALFORMED, "roster entry: expected [body, approvals]");
		goto out;
	}
	if (codec_as_bin(&items[0], 1, ROSTER_MAX_ENTRY, &pe->body, &pe->body_len,
	    "roster entry body", err) < 0 ||
	    codec_as_array(&items[1], ROSTER_MAX_MEMBERS, &ap, &na, "roster entry approvals", err) < 0)
		goto out;
	if (na && !(pe->appr = calloc(na, sizeof(*pe->appr)))) {
		sm_fail(err, SM_ENOMEM, "roster entry: out of memory");
		goto out;
	}
	for (uint32_t i = 0; i < na; i++) {
		if (codec_as_array(&ap[i], 2, &pair, &np, "roster approval", err) < 0)
			goto out;
		if (np != 2) {
			sm_fail(err, SM_EMALFORMED, "roster approval %u: expected [org, sig]", i);
			goto out;
		}
		if (codec_as_binfix(&pair[0], pe->appr[i].org, SM_ID_LEN, "roster approval org", err) < 0 ||
		    codec_as_binfix(&pair[1], pe->appr[i].sig, SM_SIG_LEN, "roster approval sig", err) < 0)
			goto out;
		if (i > 0 && cmp_appr(&pe->appr[i - 1], &pe->appr[i]) > 0) {
			sm_fail(err, SM_ENONCANON, "roster approval %u: not sorted by org", i);
			goto out;
		}
	}
	pe->n_appr = na;
	crypto_generichash(pe->hash, SM_ID_LEN, pe->body, pe->body_len, NULL, 0);
	rc = parse_body(pe, err);
out:
	codec_doc_free(&d);
	if (rc < 0)
		pentry_free(pe);
	return rc;
}

/* ---- lookups ---------------------------------------------------------- */

/* Binary search of the head index. Returns the position in cur, or -1 with
 * *ins set to where org would go. */
static long cur_find(const roster_t *r, const uint8_t org[SM_ID_LEN], uint32_t *ins)
{
	uint32_t lo = 0, hi = r->n_cur;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = memcmp(r->rec[r->cur[mid]].m.id.org, org, SM_ID_LEN);
		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (ins)
		*ins = lo;
	return -1;
}

static uint64_t head(const roster_t *r, uint64_t version)
{
	return version == 0 ? r->n_e : version;
}

const roster_member *roster_find(const roster_t *r, uint64_t version, const uint8_t org[SM_ID_LEN])
{
	long i;

	version = head(r, version);
	if (!r || r->n_e == 0 || version > r->n_e)
		return NULL;
	if (version == r->n_e)
		return (i = cur_find(r, org, NULL)) < 0 ? NULL : &r->rec[r->cur[i]].m;
	for (size_t k = r->n_rec; k-- > 0;) {
		const struct rrec *x = &r->rec[k];
		if (x->from <= version && version < x->until && !memcmp(x->m.id.org, org, SM_ID_LEN))
			return &x->m;
	}
	return NULL;
}

bool roster_is_member(const roster_t *r, uint64_t version, const uint8_t org[SM_ID_LEN])
{
	return roster_find(r, version, org) != NULL;
}

const roster_member *roster_latest(const roster_t *r, const uint8_t org[SM_ID_LEN])
{
	for (size_t k = r->n_rec; k-- > 0;)
		if (!memcmp(r->rec[k].m.id.org, org, SM_ID_LEN))
			return &r->rec[k].m;
	return NULL;
}

static uint32_t count_at(const roster_t *r, uint64_t version)
{
	uint32_t n = 0;

	if (version == r->n_e)
		return r->n_cur;
	for (size_t k = 0; k < r->n_rec; k++)
		if (r->rec[k].from <= version && version < r->rec[k].until)
			n++;
	return n;
}

uint32_t roster_threshold_at(const roster_t *r, uint64_t version)
{
	version = head(r, version);
	if (r->n_e == 0 || version == 0 || version > r->n_e)
		return 0;
	if (r->thr[version - 1])
		return r->thr[version - 1];
	return count_at(r, version) / 2 + 1;
}

const roster_member *roster_members(const roster_t *r, uint64_t version, uint32_t *n)
{
	roster_t *rw = (roster_t *)r;	/* the cache is logically const */
	struct view *v;
	roster_member *out = NULL;

	*n = 0;
	version = head(r, version);
	if (r->n_e == 0 || version == 0 || version > r->n_e)
		return NULL;
	pthread_mutex_lock(&rw->lock);
	for (v = rw->views; v; v = v->next)
		if (v->version == version)
			goto found;
	uint32_t cnt = count_at(r, version), j = 0;
	if (!(v = calloc(1, sizeof(*v))) || (cnt && !(v->m = malloc(cnt * sizeof(*v->m))))) {
		free(v);
		pthread_mutex_unlock(&rw->lock);
		return NULL;
	}
	if (version == r->n_e) {
		for (uint32_t i = 0; i < r->n_cur; i++)
			v->m[j++] = r->rec[r->cur[i]].m;
	} else {
		for (size_t k = 0; k < r->n_rec; k++)
			if (r->rec[k].from <= version && version < r->rec[k].until)
				v->m[j++] = r->rec[k].m;
		if (j > 1)	/* qsort needs a valid pointer even for 0 items */
			qsort(v->m, j, sizeof(*v->m), cmp_member);
	}
	v->n = j;
	v->version = version;
	v->next = rw->views;
	rw->views = v;
found:
	*n = v->n;
	out = v->m;
	pthread_mutex_unlock(&rw->lock);
	return out;
}

static void views_free(roster_t *r)
{
	while (r->views) {
		struct view *v = r->views;
		r->views = v->next;
		free(v->m);
		free(v);
	}
}

const uint8_t *roster_sig_id(const roster_t *r) { return r->n_e ? r->sig_id : NULL; }
const char *roster_name(const roster_t *r) { return r->name; }
uint64_t roster_version(const roster_t *r) { return r->n_e; }
bool roster_late_readers(const roster_t *r) { return r->late_readers; }

const uint8_t *roster_entry(const roster_t *r, uint64_t index, size_t *len)
{
	if (index >= r->n_e) {
		*len = 0;
		return NULL;
	}
	*len = r->e[index].len;
	return r->e[index].bytes;
}

/* ---- life cycle ------------------------------------------------------- */

roster_t *roster_new(void)
{
	roster_t *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	if (sodium_init() < 0 || pthread_mutex_init(&r->lock, NULL) != 0) {
		free(r);
		return NULL;
	}
	return r;
}

void roster_destroy(roster_t **rp)
{
	roster_t *r;

	if (!rp || !(r = *rp))
		return;
	for (uint64_t i = 0; i < r->n_e; i++)
		free(r->e[i].bytes);
	free(r->e);
	free(r->thr);
	free(r->rec);
	free(r->cur);
	views_free(r);
	pthread_mutex_destroy(&r->lock);
	free(r);
	*rp = NULL;
}

/* ---- verification ----------------------------------------------------- */

static int approvals_verify(const roster_t *r, const struct pentry *pe, sm_err *err)
{
	size_t ll = strlen(ROSTER_LABEL), mlen = ll + pe->body_len;
	uint8_t *msg = malloc(mlen);
	uint32_t distinct = 0, need;
	char sid[12];
	int rc = -1;

	if (!msg)
		return sm_fail(err, SM_ENOMEM, "roster entry: out of memory");
	memcpy(msg, ROSTER_LABEL, ll);
	memcpy(msg + ll, pe->body, pe->body_len);
	for (uint32_t i = 0; i < pe->n_appr; i++) {
		const struct approval *a = &pe->appr[i];
		bool member;

		short_id(a->org, sid);
		if (pe->op == ROSTER_GENESIS) {
			roster_member key;
			memcpy(key.id.org, a->org, SM_ID_LEN);
			member = bsearch(&key, pe->members, pe->n_members, sizeof(key), cmp_member) != NULL;
		} else {
			member = cur_find(r, a->org, NULL) >= 0;
		}
		if (!member) {
			const roster_member *old = pe->op == ROSTER_GENESIS ? NULL : roster_latest(r, a->org);
			sm_fail(err, SM_ENOTMEMBER, "roster %s: approval by %s%s%s, %s", op_name(pe->op), sid,
			    old ? " " : "", old ? old->id.name : "",
			    pe->op == ROSTER_GENESIS ? "not a founder" :
			    old ? "no longer a member" : "not a member");
			goto out;
		}
		if (crypto_sign_verify_detached(a->sig, msg, mlen, a->org) != 0) {
			sm_fail(err, SM_ESIG, "roster %s: approval by %s does not verify", op_name(pe->op), sid);
			goto out;
		}
		if (i == 0 || memcmp(pe->appr[i - 1].org, a->org, SM_ID_LEN) != 0)
			distinct++;
	}
	if (pe->op == ROSTER_GENESIS) {
		/* every founder must sign its own admission */
		for (uint32_t i = 0, j = 0; i < pe->n_members; i++) {
			while (j < pe->n_appr && memcmp(pe->appr[j].org, pe->members[i].id.org, SM_ID_LEN) < 0)
				j++;
			if (j >= pe->n_appr || memcmp(pe->appr[j].org, pe->members[i].id.org, SM_ID_LEN)) {
				sm_fail(err, SM_EQUORUM, "roster genesis: founder %s has not signed (%u of %u)",
				    pe->members[i].id.name, distinct, pe->n_members);
				goto out;
			}
		}
	} else {
		need = roster_threshold_at(r, 0);
		if (distinct < need) {
			sm_fail(err, SM_EQUORUM, "roster %s: %u valid approval%s, %u needed",
			    op_name(pe->op), distinct, distinct == 1 ? "" : "s", need);
			goto out;
		}
	}
	rc = 0;
out:
	free(msg);
	return rc;
}

/* Does pe make sense on top of r (chain, then the change itself)? With
 * approvals, also the quorum. Touches nothing. */
static int entry_check(const roster_t *r, const struct pentry *pe, bool approvals, sm_err *err)
{
	long i;
	char sid[12];

	if (pe->op == ROSTER_GENESIS) {
		if (r->n_e != 0 || pe->index != 0)
			return sm_fail(err, SM_ECHAIN, "roster genesis at index %llu: the roster already has one",
			    (unsigned long long)(r->n_e ? r->n_e : pe->index));
		if (pe->threshold > pe->n_members)
			return sm_fail(err, SM_EBOUND, "roster genesis: threshold %llu > %u members",
			    (unsigned long long)pe->threshold, pe->n_members);
		return approvals ? approvals_verify(r, pe, err) : 0;
	}
	if (r->n_e == 0)
		return sm_fail(err, SM_ECHAIN, "roster %s: the roster has no genesis", op_name(pe->op));
	if (pe->index != r->n_e)
		return sm_fail(err, SM_ECHAIN, "roster %s: index %llu, expected %llu",
		    op_name(pe->op), (unsigned long long)pe->index, (unsigned long long)r->n_e);
	if (memcmp(pe->prev, r->e[r->n_e - 1].hash, SM_ID_LEN) != 0)
		return sm_fail(err, SM_ECHAIN, "roster %s at index %llu: prev is not the hash of entry %llu",
		    op_name(pe->op), (unsigned long long)pe->index, (unsigned long long)(r->n_e - 1));
	switch (pe->op) {
	case ROSTER_ADD:
		if (cur_find(r, pe->member.id.org, NULL) >= 0)
			return sm_fail(err, SM_EEXISTS, "roster add: %s is already a member", pe->member.id.name);
		if (r->n_cur >= ROSTER_MAX_MEMBERS)
			return sm_fail(err, SM_EBOUND, "roster add: already %d members", ROSTER_MAX_MEMBERS);
		break;
	case ROSTER_REMOVE:
		short_id(pe->org, sid);
		if (cur_find(r, pe->org, NULL) < 0)
			return sm_fail(err, SM_ENOTMEMBER, "roster remove: %s is not a member", sid);
		if (r->n_cur == 1)
			return sm_fail(err, SM_EBOUND, "roster remove: %s is the last member", sid);
		if (r->thr[r->n_e - 1] > r->n_cur - 1)
			return sm_fail(err, SM_EBOUND, "roster remove: threshold %u would exceed the %u "
			    "remaining members; lower it first", r->thr[r->n_e - 1], r->n_cur - 1);
		break;
	case ROSTER_ROTATE: case ROSTER_ENDPOINT: {
		const roster_member *old;
		if ((i = cur_find(r, pe->member.id.org, NULL)) < 0)
			return sm_fail(err, SM_ENOTMEMBER, "roster %s: %s is not a member",
			    op_name(pe->op), pe->member.id.name);
		old = &r->rec[r->cur[i]].m;
		if (pe->op == ROSTER_ROTATE && pe->member.id.key_version <= old->id.key_version)
			return sm_fail(err, SM_EREPLAY, "roster rotate: %s key version %u, current is %u",
			    pe->member.id.name, pe->member.id.key_version, old->id.key_version);
		if (pe->op == ROSTER_ENDPOINT && (pe->member.card_len != old->card_len ||
		    memcmp(pe->member.card, old->card, old->card_len) != 0))
			return sm_fail(err, SM_EINVAL, "roster endpoint: card of %s differs from the "
			    "current one (use rotate to change keys)", pe->member.id.name);
		break;
	}
	case ROSTER_THRESHOLD:
		if (pe->threshold > r->n_cur)
			return sm_fail(err, SM_EBOUND, "roster threshold: %llu > %u members",
			    (unsigned long long)pe->threshold, r->n_cur);
		break;
	}
	return approvals ? approvals_verify(r, pe, err) : 0;
}

static int reserve(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t c = *cap ? *cap : 8;
	void *q;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	if (!(q = realloc(*p, c * elem)))
		return -1;
	*p = q;
	*cap = c;
	return 0;
}

static void cur_insert(roster_t *r, size_t rec_idx)
{
	uint32_t ins = 0;

	cur_find(r, r->rec[rec_idx].m.id.org, &ins);
	memmove(&r->cur[ins + 1], &r->cur[ins], (r->n_cur - ins) * sizeof(*r->cur));
	r->cur[ins] = rec_idx;
	r->n_cur++;
}

int roster_append(roster_t *r, const uint8_t *entry, size_t len, sm_err *err)
{
	struct pentry pe;
	uint8_t *copy = NULL;
	size_t cap_e = r->cap_e, cap_thr = r->cap_e;
	uint64_t V;
	long i;
	int rc = -1;

	if (r->n_e >= ROSTER_MAX_ENTRIES)
		return sm_fail(err, SM_EBOUND, "roster: already %d entries", ROSTER_MAX_ENTRIES);
	if (parse_entry(entry, len, &pe, err) < 0)
		return -1;
	if (entry_check(r, &pe, true, err) < 0)
		goto out;
	/* Allocate everything first, so that applying cannot fail halfway. */
	if (!(copy = malloc(len)) ||
	    reserve((void **)&r->e, &cap_e, r->n_e + 1, sizeof(*r->e)) < 0 ||
	    reserve((void **)&r->thr, &cap_thr, r->n_e + 1, sizeof(*r->thr)) < 0 ||
	    reserve((void **)&r->rec, &r->cap_rec, r->n_rec + (pe.n_members ? pe.n_members : 1),
	    sizeof(*r->rec)) < 0 ||
	    (!r->cur && !(r->cur = malloc(ROSTER_MAX_MEMBERS * sizeof(*r->cur))))) {
		sm_fail(err, SM_ENOMEM, "roster: out of memory");
		goto out;
	}
	r->cap_e = cap_e < cap_thr ? cap_e : cap_thr;
	memcpy(copy, entry, len);
	V = r->n_e + 1;
	switch (pe.op) {
	case ROSTER_GENESIS:
		snprintf(r->name, sizeof r->name, "%s", pe.name);
		memcpy(r->sig_id, pe.hash, SM_ID_LEN);
		r->late_readers = pe.late_readers;
		for (uint32_t k = 0; k < pe.n_members; k++) {
			struct rrec *x = &r->rec[r->n_rec];
			x->m = pe.members[k];
			x->m.since = V;
			x->from = V;
			x->until = OPEN;
			cur_insert(r, r->n_rec++);
		}
		r->thr[0] = (uint32_t)pe.threshold;
		break;
	case ROSTER_ADD: {
		struct rrec *x = &r->rec[r->n_rec];
		x->m = pe.member;
		x->m.since = V;
		x->from = V;
		x->until = OPEN;
		cur_insert(r, r->n_rec++);
		break;
	}
	case ROSTER_REMOVE:
		i = cur_find(r, pe.org, NULL);
		r->rec[r->cur[i]].until = V;
		memmove(&r->cur[i], &r->cur[i + 1], (r->n_cur - i - 1) * sizeof(*r->cur));
		r->n_cur--;
		break;
	case ROSTER_ROTATE: case ROSTER_ENDPOINT: {
		struct rrec *x = &r->rec[r->n_rec];
		i = cur_find(r, pe.member.id.org, NULL);
		r->rec[r->cur[i]].until = V;
		x->m = pe.member;
		x->m.since = r->rec[r->cur[i]].m.since;
		x->from = V;
		x->until = OPEN;
		r->cur[i] = r->n_rec++;
		break;
	}
	case ROSTER_THRESHOLD:
		break;
	}
	if (pe.op != ROSTER_GENESIS)
		r->thr[r->n_e] = pe.op == ROSTER_THRESHOLD ? (uint32_t)pe.threshold : r->thr[r->n_e - 1];
	r->e[r->n_e].bytes = copy;
	r->e[r->n_e].len = len;
	memcpy(r->e[r->n_e].hash, pe.hash, SM_ID_LEN);
	r->n_e++;
	copy = NULL;
	views_free(r);
	rc = 0;
out:
	free(copy);
	pentry_free(&pe);
	return rc;
}

/* ---- building --------------------------------------------------------- */

static uint8_t *wrap_body(uint8_t *body, size_t blen, size_t *len, sm_err *err)
{
	codec_w w;
	uint8_t *out;

	codec_w_init(&w);
	codec_w_array(&w, 2);
	codec_w_bin(&w, body, blen);
	codec_w_array(&w, 0);
	free(body);
	if (!(out = codec_w_take(&w, len)))
		sm_fail(err, SM_ENOMEM, "roster entry: out of memory");
	return out;
}

uint8_t *roster_genesis(const char *sig_name, const roster_member *members,
    uint32_t n, uint32_t threshold, bool late_readers, uint64_t created_ms,
    size_t *len, sm_err *err)
{
	const roster_member **sorted = NULL;
	size_t nl = sig_name ? strlen(sig_name) : 0, blen;
	uint8_t *body, *out = NULL;
	codec_w w;

	*len = 0;
	if (nl == 0 || nl >= ROSTER_MAX_NAME || !codec_utf8_ok(sig_name, nl)) {
		sm_fail(err, SM_EINVAL, "roster genesis: SIG name must be 1 to %d bytes of UTF-8",
		    ROSTER_MAX_NAME - 1);
		return NULL;
	}
	if (n == 0 || n > ROSTER_MAX_MEMBERS) {
		sm_fail(err, SM_EBOUND, "roster genesis: %u founders, allowed 1 to %d", n, ROSTER_MAX_MEMBERS);
		return NULL;
	}
	if (threshold > n) {
		sm_fail(err, SM_EBOUND, "roster genesis: threshold %u > %u founders", threshold, n);
		return NULL;
	}
	if (!(sorted = malloc(n * sizeof(*sorted)))) {
		sm_fail(err, SM_ENOMEM, "roster genesis: out of memory");
		return NULL;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (members[i].card_len == 0 || members[i].card_len > ID_MAX_CARD) {
			sm_fail(err, SM_EINVAL, "roster genesis: founder %u has no identity card", i);
			goto out;
		}
		sorted[i] = &members[i];
	}
	/* founders in org order: the same founders give the same genesis */
	if (n > 1)	/* qsort needs a valid pointer even for 0 items */
		qsort(sorted, n, sizeof(*sorted), cmp_member_ptr);
	for (uint32_t i = 1; i < n; i++)
		if (!memcmp(sorted[i - 1]->id.org, sorted[i]->id.org, SM_ID_LEN)) {
			sm_fail(err, SM_EEXISTS, "roster genesis: %s listed twice", sorted[i]->id.name);
			goto out;
		}
	codec_w_init(&w);
	codec_w_map(&w, late_readers ? 8 : 7);
	codec_w_uint(&w, 1); codec_w_uint(&w, ROSTER_VERSION);
	codec_w_uint(&w, 2); codec_w_uint(&w, 0);
	codec_w_uint(&w, 4); codec_w_uint(&w, ROSTER_GENESIS);
	codec_w_uint(&w, 5); codec_w_uint(&w, created_ms);
	codec_w_uint(&w, 6); codec_w_cstr(&w, sig_name);
	codec_w_uint(&w, 7); codec_w_array(&w, n);
	for (uint32_t i = 0; i < n; i++)
		write_member(&w, sorted[i]);
	codec_w_uint(&w, 8); codec_w_uint(&w, threshold);
	if (late_readers) {
		codec_w_uint(&w, 9);
		codec_w_bool(&w, true);
	}
	if (!(body = codec_w_take(&w, &blen)))
		sm_fail(err, SM_ENOMEM, "roster genesis: out of memory");
	else if (blen > ROSTER_MAX_ENTRY - 64) {
		free(body);
		sm_fail(err, SM_EBOUND, "roster genesis: %zu bytes, too large", blen);
	} else
		out = wrap_body(body, blen, len, err);
out:
	free(sorted);
	return out;
}

uint8_t *roster_propose(const roster_t *r, const roster_change *ch, size_t *len, sm_err *err)
{
	codec_w w;
	uint8_t *body, *out;
	size_t blen;
	struct pentry pe;

	*len = 0;
	if (r->n_e == 0) {
		sm_fail(err, SM_ECHAIN, "roster propose: the roster has no genesis");
		return NULL;
	}
	if (ch->op < ROSTER_ADD || ch->op > ROSTER_ENDPOINT) {
		sm_fail(err, SM_EINVAL, "roster propose: operation %u is not a change", ch->op);
		return NULL;
	}
	codec_w_init(&w);
	codec_w_map(&w, 6);
	codec_w_uint(&w, 1); codec_w_uint(&w, ROSTER_VERSION);
	codec_w_uint(&w, 2); codec_w_uint(&w, r->n_e);
	codec_w_uint(&w, 3); codec_w_bin(&w, r->e[r->n_e - 1].hash, SM_ID_LEN);
	codec_w_uint(&w, 4); codec_w_uint(&w, ch->op);
	codec_w_uint(&w, 5); codec_w_uint(&w, ch->created_ms);
	switch (ch->op) {
	case ROSTER_ADD: case ROSTER_ROTATE: case ROSTER_ENDPOINT:
		codec_w_uint(&w, 10);
		write_member(&w, &ch->member);
		break;
	case ROSTER_REMOVE:
		codec_w_uint(&w, 11);
		codec_w_bin(&w, ch->org, SM_ID_LEN);
		break;
	case ROSTER_THRESHOLD:
		codec_w_uint(&w, 8);
		codec_w_uint(&w, ch->threshold);
		break;
	}
	if (!(body = codec_w_take(&w, &blen))) {
		sm_fail(err, SM_ENOMEM, "roster propose: out of memory");
		return NULL;
	}
	if (!(out = wrap_body(body, blen, len, err)))
		return NULL;
	/* Decode what we built and check it against the head now, so a
	 * proposal that can never be accepted is refused before anyone signs. */
	if (parse_entry(out, *len, &pe, err) < 0 || entry_check(r, &pe, false, err) < 0) {
		pentry_free(&pe);
		free(out);
		*len = 0;
		return NULL;
	}
	pentry_free(&pe);
	return out;
}

uint8_t *roster_approve(const uint8_t *entry, size_t len, const identity_t *id,
    size_t *out_len, sm_err *err)
{
	struct pentry pe;
	struct approval *a = NULL;
	const id_public *me = identity_public(id);
	size_t ll = strlen(ROSTER_LABEL);
	uint8_t *msg = NULL, *out = NULL;
	uint32_t n;
	codec_w w;

	*out_len = 0;
	if (parse_entry(entry, len, &pe, err) < 0)
		return NULL;
	n = pe.n_appr;
	for (uint32_t i = 0; i < n; i++)
		if (!memcmp(pe.appr[i].org, me->org, SM_ID_LEN))
			goto copy;	/* signed already: unchanged */
	if (n >= ROSTER_MAX_MEMBERS) {
		sm_fail(err, SM_EBOUND, "roster approve: already %u approvals", n);
		goto out;
	}
	if (!(a = malloc((n + 1) * sizeof(*a))) || !(msg = malloc(ll + pe.body_len))) {
		sm_fail(err, SM_ENOMEM, "roster approve: out of memory");
		goto out;
	}
	if (n)
		memcpy(a, pe.appr, n * sizeof(*a));
	memcpy(msg, ROSTER_LABEL, ll);
	memcpy(msg + ll, pe.body, pe.body_len);
	memcpy(a[n].org, me->org, SM_ID_LEN);
	crypto_sign_detached(a[n].sig, NULL, msg, ll + pe.body_len, identity_sign_sk(id));
	n++;
	if (n > 1)	/* qsort needs a valid pointer even for 0 items */
		qsort(a, n, sizeof(*a), cmp_appr);
	codec_w_init(&w);
	codec_w_array(&w, 2);
	codec_w_bin(&w, pe.body, pe.body_len);
	codec_w_array(&w, n);
	for (uint32_t i = 0; i < n; i++) {
		codec_w_array(&w, 2);
		codec_w_bin(&w, a[i].org, SM_ID_LEN);
		codec_w_bin(&w, a[i].sig, SM_SIG_LEN);
	}
	if (!(out = codec_w_take(&w, out_len)))
		sm_fail(err, SM_ENOMEM, "roster approve: out of memory");
	goto out;
copy:
	if (!(out = malloc(len)))
		sm_fail(err, SM_ENOMEM, "roster approve: out of memory");
	else {
		memcpy(out, entry, len);
		*out_len = len;
	}
out:
	free(a);
	free(msg);
	pentry_free(&pe);
	return out;
}

/* ---- files ------------------------------------------------------------ */

uint8_t *roster_serialize(const roster_t *r, size_t *len, sm_err *err)
{
	codec_w w;
	uint8_t *out;

	codec_w_init(&w);
	codec_w_array(&w, (uint32_t)r->n_e);
	for (uint64_t i = 0; i < r->n_e; i++)
		codec_w_bin(&w, r->e[i].bytes, r->e[i].len);
	if (!(out = codec_w_take(&w, len)))
		sm_fail(err, SM_ENOMEM, "roster: out of memory");
	return out;
}

roster_t *roster_parse(const uint8_t *buf, size_t len, sm_err *err)
{
	codec_doc d;
	const msgpack_object *items;
	const uint8_t *p;
	size_t n;
	uint32_t ne;
	roster_t *r = NULL;

	if (len > ROSTER_MAX_FILE) {
		sm_fail(err, SM_EBOUND, "roster: %zu bytes, max %u", len, ROSTER_MAX_FILE);
		return NULL;
	}
	if (codec_decode(&d, buf, len, 1, err) < 0) {
		sm_wrap(err, "roster: ");
		return NULL;
	}
	if (codec_as_array(d.root, ROSTER_MAX_ENTRIES, &items, &ne, "roster", err) < 0)
		goto out;
	if (ne == 0) {
		sm_fail(err, SM_EMALFORMED, "roster: no entries");
		goto out;
	}
	if (!(r = roster_new())) {
		sm_fail(err, SM_ENOMEM, "roster: out of memory");
		goto out;
	}
	for (uint32_t i = 0; i < ne; i++) {
		if (codec_as_bin(&items[i], 1, ROSTER_MAX_ENTRY, &p, &n, "roster entry", err) < 0 ||
		    roster_append(r, p, n, err) < 0) {
			sm_wrap(err, "roster entry %u: ", i);
			roster_destroy(&r);
			goto out;
		}
	}
out:
	codec_doc_free(&d);
	return r;
}

int roster_save(const roster_t *r, const char *path, sm_err *err)
{
	size_t len;
	uint8_t *b = roster_serialize(r, &len, err);
	int rc;

	if (!b)
		return -1;
	rc = identity_write_file(path, b, len, 0644, true, err);
	free(b);
	return rc;
}

roster_t *roster_load(const char *path, sm_err *err)
{
	size_t len;
	uint8_t *b = identity_read_file(path, ROSTER_MAX_FILE, &len, err);
	roster_t *r;

	if (!b)
		return NULL;
	if (!(r = roster_parse(b, len, err)))
		sm_wrap(err, "%s: ", path);
	free(b);
	return r;
}
