/*
 * node/scope.c — see scope.h. An open-addressing hash table keyed by the
 * first 8 bytes of the object id (ids are BLAKE2b outputs, so already
 * uniform), linear probing, grown at 3/4 load.
 *
 * Memory (issue 6: a node's anonymous memory grew ~0.85 kB per object):
 * a full sm_msg is 248 bytes and each audience/roster array was its own
 * malloc, about 510 bytes per AMBER report in all. Now entries are carved
 * from an arena of 64 KiB blocks, truncated to the fields their type needs
 * (scope.h lists them), and audience/roster arrays, which repeat across
 * nearly every report of a SIG, are interned: stored once, shared by
 * pointer. Under AddressSanitizer each entry is its own malloc of its
 * truncated size instead, so a read of a field that is not stored is
 * caught by the tests.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "node/scope.h"

#if defined(__SANITIZE_ADDRESS__)
#define SCOPE_ENTRY_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SCOPE_ENTRY_MALLOC 1
#endif
#endif

#define ARENA_BLOCK (64 * 1024)

/* One arena block; data follows the header. */
struct block {
	struct block *next;
	size_t used, cap;
	max_align_t data[];
};

/* An interned array: len bytes at p (in the arena). */
struct blob {
	const void *p;
	size_t len;
	uint64_t hash;
};

struct scope {
	scope_entry **slots;
	size_t cap, n;
	/* releases that arrived before their report: linked on its arrival */
	scope_entry **orphans;
	size_t n_orphans, cap_orphans;
	struct block *arena;		/* newest first */
	struct blob *blobs;		/* interned arrays, open addressing */
	size_t cap_blobs, n_blobs;
#ifdef SCOPE_ENTRY_MALLOC
	scope_entry **owned;		/* entries malloc'd one by one */
	size_t n_owned, cap_owned;
#endif
};

static size_t hash(const uint8_t id[SM_ID_LEN])
{
	uint64_t h;

	memcpy(&h, id, sizeof(h));
	return (size_t)h;
}

/* How much of a scope_entry an object of this type needs (scope.h). */
static size_t entry_size(uint8_t type)
{
	size_t base = offsetof(scope_entry, msg) + offsetof(sm_msg, u), n;

	switch (type) {
	case SM_MSG_REPORT:
		n = base + offsetof(sm_report, rosters) + sizeof(sm_roster_ref *);
		break;
	case SM_MSG_RELEASE:
		n = base + offsetof(sm_release, rosters) + sizeof(sm_roster_ref *);
		break;
	case SM_MSG_SIGHTING: n = base + sizeof(sm_sighting); break;
	case SM_MSG_RETRACTION: n = base + sizeof(sm_retraction); break;
	default: n = sizeof(scope_entry); break;
	}
	return (n + 7) & ~(size_t)7;
}

/* n bytes, 8-aligned, zeroed, from the arena; NULL on ENOMEM. */
static void *arena_alloc(scope_t *s, size_t n)
{
	struct block *b = s->arena;

	n = (n + 7) & ~(size_t)7;
	if (!b || b->cap - b->used < n) {
		size_t cap = n > ARENA_BLOCK - sizeof(*b) ? n : ARENA_BLOCK - sizeof(*b);
		if (!(b = malloc(sizeof(*b) + cap)))
			return NULL;
		b->used = 0;
		b->cap = cap;
		b->next = s->arena;
		s->arena = b;
	}
	void *p = (char *)b->data + b->used;
	b->used += n;
	memset(p, 0, n);
	return p;
}

static void arena_free(scope_t *s)
{
	while (s->arena) {
		struct block *b = s->arena;
		s->arena = b->next;
		free(b);
	}
}

static uint64_t blob_hash(const void *p, size_t len)
{
	/* keyed (SipHash, random key per process): an audience is chosen by
	 * whoever signs the report, so plain hashing would let a member
	 * flood one bucket */
	static unsigned char key[crypto_shorthash_KEYBYTES];
	static int keyed;
	unsigned char out[crypto_shorthash_BYTES];
	uint64_t h;

	if (!keyed) {
		randombytes_buf(key, sizeof(key));
		keyed = 1;
	}
	crypto_shorthash(out, p, len, key);
	memcpy(&h, out, sizeof(h));
	return h;
}

static int blobs_grow(scope_t *s)
{
	size_t cap = s->cap_blobs ? 2 * s->cap_blobs : 64;
	struct blob *b = calloc(cap, sizeof(*b));

	if (!b)
		return -1;
	for (size_t i = 0; i < s->cap_blobs; i++) {
		if (!s->blobs[i].p)
			continue;
		size_t j = s->blobs[i].hash & (cap - 1);
		while (b[j].p)
			j = (j + 1) & (cap - 1);
		b[j] = s->blobs[i];
	}
	free(s->blobs);
	s->blobs = b;
	s->cap_blobs = cap;
	return 0;
}

/*
 * The shared copy of len bytes at p: found if already interned, else
 * copied into the arena. NULL for len 0 (an empty array) and on ENOMEM
 * (*oom set).
 */
static const void *intern(scope_t *s, const void *p, size_t len, bool *oom)
{
	uint64_t h;
	size_t j;
	void *copy;

	if (!len || !p)
		return NULL;
	if ((s->n_blobs + 1) * 4 > s->cap_blobs * 3 && blobs_grow(s) < 0) {
		*oom = true;
		return NULL;
	}
	h = blob_hash(p, len);
	for (j = h & (s->cap_blobs - 1); s->blobs[j].p; j = (j + 1) & (s->cap_blobs - 1))
		if (s->blobs[j].hash == h && s->blobs[j].len == len && !memcmp(s->blobs[j].p, p, len))
			return s->blobs[j].p;
	if (!(copy = arena_alloc(s, len))) {
		*oom = true;
		return NULL;
	}
	memcpy(copy, p, len);
	s->blobs[j].p = copy;
	s->blobs[j].len = len;
	s->blobs[j].hash = h;
	s->n_blobs++;
	return copy;
}

scope_t *scope_new(void)
{
	scope_t *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->cap = 1024;
	if (!(s->slots = calloc(s->cap, sizeof(*s->slots)))) {
		free(s);
		return NULL;
	}
	return s;
}

/* Free every entry's own allocations, and the entries themselves. */
static void drop_entries(scope_t *s)
{
	for (size_t i = 0; i < s->cap; i++) {
		if (s->slots[i]) {
			free(s->slots[i]->rel);
			s->slots[i] = NULL;
		}
	}
#ifdef SCOPE_ENTRY_MALLOC
	for (size_t i = 0; i < s->n_owned; i++)
		free(s->owned[i]);
	s->n_owned = 0;
#endif
	arena_free(s);
	free(s->blobs);
	s->blobs = NULL;
	s->cap_blobs = s->n_blobs = 0;
	s->n = 0;
	s->n_orphans = 0;
}

void scope_destroy(scope_t **sp)
{
	scope_t *s = sp ? *sp : NULL;

	if (!s)
		return;
	drop_entries(s);
#ifdef SCOPE_ENTRY_MALLOC
	free(s->owned);
#endif
	free(s->slots);
	free(s->orphans);
	free(s);
	*sp = NULL;
}

size_t scope_count(const scope_t *s) { return s->n; }

scope_entry *scope_get(scope_t *s, const uint8_t id[SM_ID_LEN])
{
	for (size_t i = hash(id) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		if (!s->slots[i])
			return NULL;
		if (!memcmp(s->slots[i]->msg.id, id, SM_ID_LEN))
			return s->slots[i];
	}
}

static int grow(scope_t *s)
{
	size_t cap = s->cap * 2;
	scope_entry **slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -1;
	for (size_t i = 0; i < s->cap; i++) {
		scope_entry *e = s->slots[i];
		if (!e)
			continue;
		size_t j = hash(e->msg.id) & (cap - 1);
		while (slots[j])
			j = (j + 1) & (cap - 1);
		slots[j] = e;
	}
	free(s->slots);
	s->slots = slots;
	s->cap = cap;
	return 0;
}

static int link_release(scope_entry *report, scope_entry *rel)
{
	scope_entry **r;

	/* only the report's originator may widen its audience */
	if (memcmp(rel->msg.u.h.originator, report->msg.u.h.originator, SM_ID_LEN))
		return 0;
	/* callers hold release lists in arrays of SCOPE_MAX_REL */
	if (report->n_rel >= SCOPE_MAX_REL)
		return 0;
	if (!(r = realloc(report->rel, (report->n_rel + 1) * sizeof(*r))))
		return -1;
	report->rel = r;
	r[report->n_rel++] = rel;
	return 0;
}

static scope_entry *entry_alloc(scope_t *s, size_t size)
{
#ifdef SCOPE_ENTRY_MALLOC
	scope_entry *e;

	if (s->n_owned == s->cap_owned) {
		size_t c = s->cap_owned ? 2 * s->cap_owned : 64;
		scope_entry **o = realloc(s->owned, c * sizeof(*o));
		if (!o)
			return NULL;
		s->owned = o;
		s->cap_owned = c;
	}
	if (!(e = calloc(1, size)))
		return NULL;
	s->owned[s->n_owned++] = e;
	return e;
#else
	return arena_alloc(s, size);
#endif
}

/* The entry for m, its arrays interned; m is left untouched. */
static scope_entry *make_entry(scope_t *s, const sm_msg *m)
{
	size_t size = entry_size(m->type);
	const void *orgs = NULL, *sigs = NULL, *ros = NULL;
	const sm_audience *a = NULL;
	const sm_roster_ref *r = NULL;
	uint32_t n_ros = 0;
	bool oom = false;
	scope_entry *e;

	if (m->type == SM_MSG_REPORT) {
		a = &m->u.report.aud;
		r = m->u.report.rosters;
		n_ros = m->u.report.n_rosters;
	} else if (m->type == SM_MSG_RELEASE) {
		a = &m->u.release.add;
		r = m->u.release.rosters;
		n_ros = m->u.release.n_rosters;
	}
	if (a) {
		orgs = intern(s, a->orgs, (size_t)a->n_orgs * SM_ID_LEN, &oom);
		sigs = intern(s, a->sigs, (size_t)a->n_sigs * SM_ID_LEN, &oom);
		ros = intern(s, r, (size_t)n_ros * sizeof(*r), &oom);
		if (oom)
			return NULL;
	}
	if (!(e = entry_alloc(s, size)))
		return NULL;
	memcpy(&e->msg, m, size - offsetof(scope_entry, msg));
	switch (m->type) {
	case SM_MSG_REPORT:
		e->msg.u.report.aud.orgs = (uint8_t (*)[SM_ID_LEN])orgs;
		e->msg.u.report.aud.sigs = (uint8_t (*)[SM_ID_LEN])sigs;
		e->msg.u.report.rosters = (sm_roster_ref *)ros;
		break;
	case SM_MSG_RELEASE:
		e->msg.u.release.add.orgs = (uint8_t (*)[SM_ID_LEN])orgs;
		e->msg.u.release.add.sigs = (uint8_t (*)[SM_ID_LEN])sigs;
		e->msg.u.release.rosters = (sm_roster_ref *)ros;
		break;
	case SM_MSG_SIGHTING: e->msg.u.sighting.note = NULL; break;
	case SM_MSG_RETRACTION: e->msg.u.retraction.reason = NULL; break;
	default:
		/* msg_decode knows no other type; keep nothing that points
		 * into m */
		memset(&e->msg.u, 0, sizeof(e->msg.u));
		break;
	}
	return e;
}

scope_entry *scope_add(scope_t *s, sm_msg *m, uint64_t arrival)
{
	scope_entry *e, *old;

	if ((old = scope_get(s, m->id))) {
		msg_clear(m);
		return old;
	}
	if ((s->n + 1) * 4 > s->cap * 3 && grow(s) < 0)
		return NULL;
	if (!(e = make_entry(s, m)))
		return NULL;
	msg_clear(m);
	memset(m, 0, sizeof(*m));
	e->arrival = arrival;
	size_t i = hash(e->msg.id) & (s->cap - 1);
	while (s->slots[i])
		i = (i + 1) & (s->cap - 1);
	s->slots[i] = e;
	s->n++;

	if (e->msg.type == SM_MSG_RELEASE) {
		scope_entry *r = scope_get(s, e->msg.u.release.report);
		if (r && r->msg.type == SM_MSG_REPORT)
			link_release(r, e);
		else if (s->n_orphans < 65536) {
			if (s->n_orphans == s->cap_orphans) {
				size_t c = s->cap_orphans ? 2 * s->cap_orphans : 16;
				scope_entry **o = realloc(s->orphans, c * sizeof(*o));
				if (!o)
					return e;
				s->orphans = o;
				s->cap_orphans = c;
			}
			s->orphans[s->n_orphans++] = e;
		}
	} else if (e->msg.type == SM_MSG_REPORT) {
		for (size_t k = 0; k < s->n_orphans;) {
			if (!memcmp(s->orphans[k]->msg.u.release.report, e->msg.id, SM_ID_LEN)) {
				link_release(e, s->orphans[k]);
				s->orphans[k] = s->orphans[--s->n_orphans];
			} else
				k++;
		}
	}
	return e;
}

scope_entry *scope_report_of(scope_t *s, scope_entry *e)
{
	const uint8_t *ref;
	scope_entry *r;

	switch (e->msg.type) {
	case SM_MSG_REPORT: return e;
	case SM_MSG_SIGHTING: ref = e->msg.u.sighting.report; break;
	case SM_MSG_RETRACTION: ref = e->msg.u.retraction.report; break;
	case SM_MSG_RELEASE: ref = e->msg.u.release.report; break;
	default: return NULL;
	}
	r = scope_get(s, ref);
	return r && r->msg.type == SM_MSG_REPORT ? r : NULL;
}

void scope_release_list(const scope_entry *e, const sm_release **out)
{
	for (size_t i = 0; i < e->n_rel; i++)
		out[i] = &e->rel[i]->msg.u.release;
}

static bool same(const uint8_t *a, const uint8_t *b)
{
	return !memcmp(a, b, SM_ID_LEN);
}

/* Shared logic of scope_shared and scope_may_forward. */
static bool judge(scope_t *s, scope_entry *e, const uint8_t a[SM_ID_LEN],
    const uint8_t b[SM_ID_LEN], const sm_members *m, bool symmetric)
{
	scope_entry *r = scope_report_of(s, e);
	const sm_release *rel[SCOPE_MAX_REL];
	size_t n_rel;
	const sm_report *rep;

	if (!r)
		return false;
	rep = &r->msg.u.report;
	n_rel = r->n_rel;	/* at most SCOPE_MAX_REL: link_release */
	scope_release_list(r, rel);
	if (e->msg.type == SM_MSG_SIGHTING && e->msg.u.sighting.originator_only) {
		const uint8_t *sighter = e->msg.u.h.originator, *orig = rep->h.originator;
		return (same(a, sighter) && same(b, orig)) || (same(a, orig) && same(b, sighter));
	}
	if (e->msg.type == SM_MSG_RELEASE) {
		/* a release travels to the report's widened audience: judge it
		 * as the report with every release held (this one included) */
		if (!same(e->msg.u.h.originator, rep->h.originator))
			return false;
	}
	if (symmetric)
		return tlp_shared(rep, rel, n_rel, a, b, m);
	return tlp_may_forward(rep, rel, n_rel, a, b, m);
}

bool scope_shared(scope_t *s, scope_entry *e, const uint8_t a[SM_ID_LEN],
    const uint8_t b[SM_ID_LEN], const sm_members *m)
{
	return judge(s, e, a, b, m, true);
}

bool scope_may_forward(scope_t *s, scope_entry *e, const uint8_t holder[SM_ID_LEN],
    const uint8_t peer[SM_ID_LEN], const sm_members *m)
{
	return judge(s, e, holder, peer, m, false);
}

size_t scope_pending_releases(scope_t *s, const uint8_t report[SM_ID_LEN],
    const sm_release **out, size_t cap)
{
	size_t k = 0;

	for (size_t i = 0; i < s->n_orphans; i++)
		if (!memcmp(s->orphans[i]->msg.u.release.report, report, SM_ID_LEN)) {
			if (k < cap)
				out[k] = &s->orphans[i]->msg.u.release;
			k++;
		}
	return k;
}

void scope_reset(scope_t *s)
{
	drop_entries(s);
}

void scope_each(scope_t *s, void (*fn)(void *ctx, scope_entry *e), void *ctx)
{
	for (size_t i = 0; i < s->cap; i++)
		if (s->slots[i])
			fn(ctx, s->slots[i]);
}
