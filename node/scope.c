/*
 * node/scope.c — see scope.h. An open-addressing hash table keyed by the
 * first 8 bytes of the object id (ids are BLAKE2b outputs, so already
 * uniform), linear probing, doubled at 50% load.
 */
#include <stdlib.h>
#include <string.h>
#include "node/scope.h"

struct scope {
	scope_entry **slots;
	size_t cap, n;
	/* releases that arrived before their report: linked on its arrival */
	scope_entry **orphans;
	size_t n_orphans, cap_orphans;
};

static size_t hash(const uint8_t id[SM_ID_LEN])
{
	uint64_t h;

	memcpy(&h, id, sizeof(h));
	return (size_t)h;
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

void scope_destroy(scope_t **sp)
{
	scope_t *s = sp ? *sp : NULL;

	if (!s)
		return;
	for (size_t i = 0; i < s->cap; i++) {
		if (s->slots[i]) {
			msg_clear(&s->slots[i]->msg);
			free(s->slots[i]->rel);
			free(s->slots[i]);
		}
	}
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
	if (!(r = realloc(report->rel, (report->n_rel + 1) * sizeof(*r))))
		return -1;
	report->rel = r;
	r[report->n_rel++] = rel;
	return 0;
}

/* Drop what the scope checks never read: body data and key slots. */
static void slim(sm_msg *m)
{
	if (m->type == SM_MSG_REPORT) {
		free(m->u.report.data);
		m->u.report.data = NULL;
		m->u.report.data_len = 0;
		free(m->u.report.keys);
		m->u.report.keys = NULL;
		m->u.report.n_keys = 0;
	} else if (m->type == SM_MSG_RELEASE) {
		free(m->u.release.keys);
		m->u.release.keys = NULL;
		m->u.release.n_keys = 0;
	}
}

scope_entry *scope_add(scope_t *s, sm_msg *m, uint64_t arrival)
{
	scope_entry *e, *old;

	if ((old = scope_get(s, m->id))) {
		msg_clear(m);
		return old;
	}
	if ((s->n + 1) * 2 > s->cap && grow(s) < 0)
		return NULL;
	if (!(e = calloc(1, sizeof(*e))))
		return NULL;
	slim(m);
	e->msg = *m;
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
	const sm_release *rel[64];
	size_t n_rel;
	const sm_report *rep;

	if (!r)
		return false;
	rep = &r->msg.u.report;
	n_rel = r->n_rel < 64 ? r->n_rel : 64;
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
	for (size_t i = 0; i < s->cap; i++) {
		if (s->slots[i]) {
			msg_clear(&s->slots[i]->msg);
			free(s->slots[i]->rel);
			free(s->slots[i]);
			s->slots[i] = NULL;
		}
	}
	s->n = 0;
	s->n_orphans = 0;
}

void scope_each(scope_t *s, void (*fn)(void *ctx, scope_entry *e), void *ctx)
{
	for (size_t i = 0; i < s->cap; i++)
		if (s->slots[i])
			fn(ctx, s->slots[i]);
}
