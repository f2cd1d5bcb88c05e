/*
 * keys/federation.c — the rosters a node knows; see federation.h.
 *
 * A handful of SIGs (J-CSIP had 6 to 11; a scale-1000 testnet has 40), so
 * the rosters are a flat array. Questions about one organization ("is it
 * a member anywhere", "its newest keys", "do two orgs share a SIG", "whose
 * transport key is this") are asked for every frame and every ZAP
 * request, so they go through an index over the head memberships of all
 * rosters: organizations sorted by id, each with its newest record and a
 * bit per SIG it is in, and the same sorted by transport key. The index is
 * a cache: it is rebuilt on the first lookup after any roster changed,
 * whether through federation_add or a roster_append on a roster the
 * federation holds (the sum of the roster versions then grows: versions
 * only grow). A removed member is therefore refused from the next lookup
 * on. If the rebuild fails (out of memory) every lookup says "not a
 * member": the node refuses rather than admits.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include "keys/federation.h"

#define FED_MAX_SIGS 256

struct fed_org {
	uint8_t org[SM_ID_LEN];
	const roster_member *cur;	/* newest key version among its SIGs */
	uint8_t sigs[FED_MAX_SIGS / 8];	/* bit i: a head member of r[i] */
};

struct fed_index {
	bool ok;			/* built, for the versions in stamp */
	uint64_t stamp;			/* sum of roster versions when built */
	struct fed_org *orgs;		/* owned, sorted by org */
	size_t n_orgs;
	uint32_t *by_curve;		/* owned, orgs[] positions sorted by
					 * cur->id.curve_pk */
};

struct federation {
	roster_t **r;		/* owned */
	size_t n, cap;
	struct fed_index *ix;	/* owned; a cache, so const lookups may rebuild it */
};

federation_t *federation_new(void)
{
	federation_t *f = calloc(1, sizeof(federation_t));

	if (f && !(f->ix = calloc(1, sizeof(*f->ix)))) {
		free(f);
		return NULL;
	}
	return f;
}

static void index_clear(struct fed_index *ix)
{
	free(ix->orgs);
	free(ix->by_curve);
	ix->orgs = NULL;
	ix->by_curve = NULL;
	ix->n_orgs = 0;
	ix->ok = false;
}

void federation_destroy(federation_t **fp)
{
	federation_t *f;

	if (!fp || !(f = *fp))
		return;
	for (size_t i = 0; i < f->n; i++)
		roster_destroy(&f->r[i]);
	free(f->r);
	index_clear(f->ix);
	free(f->ix);
	free(f);
	*fp = NULL;
}

/* Is b the same chain as a, at least as long? Entries are compared byte
 * for byte. (Comparing body hashes would also accept an old entry carrying
 * a different, equally valid, set of approvals; byte equality is stricter
 * and needs no re-parse, and rosters spread from one source.) */
static bool extends(const roster_t *a, const roster_t *b)
{
	if (roster_version(b) < roster_version(a))
		return false;
	for (uint64_t i = 0; i < roster_version(a); i++) {
		size_t la, lb;
		const uint8_t *ea = roster_entry(a, i, &la), *eb = roster_entry(b, i, &lb);
		if (la != lb || memcmp(ea, eb, la) != 0)
			return false;
	}
	return true;
}

int federation_add(federation_t *f, roster_t *r, sm_err *err)
{
	const uint8_t *id = roster_sig_id(r);
	char name[ROSTER_MAX_NAME];

	if (!id) {
		roster_destroy(&r);
		return sm_fail(err, SM_EINVAL, "federation: empty roster");
	}
	snprintf(name, sizeof name, "%s", roster_name(r));
	for (size_t i = 0; i < f->n; i++) {
		if (!memcmp(roster_sig_id(f->r[i]), id, SM_ID_LEN)) {
			if (!extends(f->r[i], r)) {
				roster_destroy(&r);
				return sm_fail(err, SM_ECHAIN, "federation: roster of SIG %s does not "
				    "extend the one already known", name);
			}
			roster_destroy(&f->r[i]);
			f->r[i] = r;
			f->ix->ok = false;	/* it pointed into the old roster */
			return 0;
		}
		if (!strcmp(roster_name(f->r[i]), name)) {
			roster_destroy(&r);
			return sm_fail(err, SM_EEXISTS, "federation: two different SIGs named %s", name);
		}
	}
	if (f->n >= FED_MAX_SIGS) {
		roster_destroy(&r);
		return sm_fail(err, SM_EBOUND, "federation: more than %d SIGs", FED_MAX_SIGS);
	}
	if (f->n == f->cap) {
		size_t c = f->cap ? 2 * f->cap : 8;
		roster_t **q = realloc(f->r, c * sizeof(*q));
		if (!q) {
			roster_destroy(&r);
			return sm_fail(err, SM_ENOMEM, "federation: out of memory");
		}
		f->r = q;
		f->cap = c;
	}
	f->r[f->n++] = r;
	f->ix->ok = false;
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int federation_load_dir(federation_t *f, const char *dir, sm_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL, path[4096];
	size_t n = 0, cap = 0;
	int rc = -1;

	if (!d)
		return sm_fail(err, SM_ENOTFOUND, "%s: cannot open roster directory", dir);
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l < 8 || strcmp(de->d_name + l - 7, ".roster") != 0 || de->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **q = realloc(names, (cap = cap ? 2 * cap : 16) * sizeof(*q));
			if (!q) {
				sm_fail(err, SM_ENOMEM, "federation: out of memory");
				goto out;
			}
			names = q;
		}
		if (!(names[n] = strdup(de->d_name))) {
			sm_fail(err, SM_ENOMEM, "federation: out of memory");
			goto out;
		}
		n++;
	}
	/* a fixed order, so that a name clash is reported the same way */
	if (n)	/* qsort wants a valid pointer even for no names */
		qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n; i++) {
		roster_t *r;
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		if (!(r = roster_load(path, err)))
			goto out;
		if (federation_add(f, r, err) < 0) {
			sm_wrap(err, "%s: ", path);
			goto out;
		}
	}
	rc = 0;
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return rc;
}

size_t federation_count(const federation_t *f) { return f->n; }
roster_t *federation_at(const federation_t *f, size_t i) { return i < f->n ? f->r[i] : NULL; }

roster_t *federation_find(const federation_t *f, const uint8_t sig[SM_ID_LEN])
{
	for (size_t i = 0; i < f->n; i++)
		if (!memcmp(roster_sig_id(f->r[i]), sig, SM_ID_LEN))
			return f->r[i];
	return NULL;
}

roster_t *federation_find_name(const federation_t *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(roster_name(f->r[i]), name))
			return f->r[i];
	return NULL;
}

/* ---- the membership index ------------------------------------------- */

struct hit {
	const roster_member *m;
	uint32_t sig;
};

static int cmp_hit(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;
	int c = memcmp(x->m->id.org, y->m->id.org, SM_ID_LEN);
	return c ? c : (x->sig > y->sig) - (x->sig < y->sig);
}

static int cmp_curve(const void *a, const void *b, void *ctx)
{
	const struct fed_org *o = ctx;
	return memcmp(o[*(const uint32_t *)a].cur->id.curve_pk, o[*(const uint32_t *)b].cur->id.curve_pk, 32);
}

static uint64_t stamp_of(const federation_t *f)
{
	uint64_t s = 0;

	for (size_t i = 0; i < f->n; i++)
		s += roster_version(f->r[i]);
	return s;
}

static int index_build(const federation_t *f, struct fed_index *ix)
{
	struct hit *h = NULL;
	size_t nh = 0, cap = 0;
	int rc = -1;

	index_clear(ix);
	for (size_t i = 0; i < f->n; i++) {
		uint32_t k;
		const roster_member *m = roster_members(f->r[i], 0, &k);
		if (!m && roster_version(f->r[i]) > 0)
			goto out;	/* out of memory */
		if (nh + k > cap) {
			size_t c = cap ? 2 * cap : 256;
			while (c < nh + k)
				c *= 2;
			struct hit *q = realloc(h, c * sizeof(*q));
			if (!q)
				goto out;
			h = q;
			cap = c;
		}
		for (uint32_t j = 0; j < k; j++) {
			h[nh].m = &m[j];
			h[nh++].sig = (uint32_t)i;
		}
	}
	if (nh) {
		qsort(h, nh, sizeof(*h), cmp_hit);
		if (!(ix->orgs = calloc(nh, sizeof(*ix->orgs))) ||
		    !(ix->by_curve = malloc(nh * sizeof(*ix->by_curve))))
			goto out;
	}
	for (size_t i = 0; i < nh; i++) {
		struct fed_org *o = ix->n_orgs ? &ix->orgs[ix->n_orgs - 1] : NULL;
		if (!o || memcmp(o->org, h[i].m->id.org, SM_ID_LEN) != 0) {
			o = &ix->orgs[ix->n_orgs++];
			memcpy(o->org, h[i].m->id.org, SM_ID_LEN);
		}
		if (!o->cur || h[i].m->id.key_version > o->cur->id.key_version)
			o->cur = h[i].m;
		o->sigs[h[i].sig / 8] |= (uint8_t)(1u << (h[i].sig % 8));
	}
	for (size_t i = 0; i < ix->n_orgs; i++)
		ix->by_curve[i] = (uint32_t)i;
	if (ix->n_orgs > 1)
		qsort_r(ix->by_curve, ix->n_orgs, sizeof(*ix->by_curve), cmp_curve, ix->orgs);
	ix->stamp = stamp_of(f);
	ix->ok = true;
	rc = 0;
out:
	free(h);
	if (rc < 0)
		index_clear(ix);
	return rc;
}

/* f's index, rebuilt first if a roster changed since; NULL if it cannot
 * be built (every lookup then says "not a member"). */
static const struct fed_index *index_of(const federation_t *f)
{
	struct fed_index *ix = f->ix;

	if ((!ix->ok || ix->stamp != stamp_of(f)) && index_build(f, ix) < 0)
		return NULL;
	return ix;
}

/* The index entry of org, or NULL (also when the index cannot be built). */
static const struct fed_org *org_entry(const federation_t *f, const uint8_t org[SM_ID_LEN])
{
	const struct fed_index *ix = index_of(f);
	size_t lo = 0, hi;

	if (!ix)
		return NULL;
	hi = ix->n_orgs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(ix->orgs[mid].org, org, SM_ID_LEN);
		if (c == 0)
			return &ix->orgs[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const roster_member *federation_member(const federation_t *f, const uint8_t org[SM_ID_LEN])
{
	const struct fed_org *o = org_entry(f, org);
	return o ? o->cur : NULL;
}

bool federation_org_by_curve(const federation_t *f, const uint8_t curve_pk[32], uint8_t org[SM_ID_LEN])
{
	const struct fed_index *ix = index_of(f);
	size_t lo = 0, hi, at;

	if (!ix)
		return false;
	/* Only each org's newest key is in by_curve: a member that rotated
	 * in one SIG but not yet in another must not be reachable with its
	 * old transport key. Transport keys are public, so the binary search
	 * need not be constant-time. */
	hi = ix->n_orgs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (memcmp(ix->orgs[ix->by_curve[mid]].cur->id.curve_pk, curve_pk, 32) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo >= ix->n_orgs || memcmp(ix->orgs[ix->by_curve[lo]].cur->id.curve_pk, curve_pk, 32) != 0)
		return false;
	at = lo;
	/* two organizations claiming one transport key (each card is signed
	 * by its own org key, so this takes a copied key): admit neither */
	if (at + 1 < ix->n_orgs &&
	    memcmp(ix->orgs[ix->by_curve[at + 1]].cur->id.curve_pk, curve_pk, 32) == 0)
		return false;
	memcpy(org, ix->orgs[ix->by_curve[at]].org, SM_ID_LEN);
	return true;
}

bool federation_is_member(const federation_t *f, const uint8_t org[SM_ID_LEN])
{
	return org_entry(f, org) != NULL;
}

bool federation_share_sig(const federation_t *f, const uint8_t a[SM_ID_LEN], const uint8_t b[SM_ID_LEN])
{
	/* nothing changes a roster between the two lookups: x stays valid */
	const struct fed_org *x = org_entry(f, a), *y = x ? org_entry(f, b) : NULL;

	if (!y)
		return false;
	for (size_t i = 0; i < sizeof(x->sigs); i++)
		if (x->sigs[i] & y->sigs[i])
			return true;
	return false;
}

static bool fed_is_member(void *ctx, const uint8_t *sig, uint64_t version, const uint8_t org[SM_ID_LEN])
{
	const federation_t *f = ctx;
	roster_t *r;

	if (!sig)
		return federation_is_member(f, org);
	if (!(r = federation_find(f, sig)))
		return false;
	/* a version this node has not seen yet cannot be judged: refuse */
	if (version > roster_version(r))
		return false;
	return roster_is_member(r, version, org);
}

sm_members federation_members(const federation_t *f)
{
	sm_members m = { fed_is_member, (void *)f };
	return m;
}

/* ---- recipients ------------------------------------------------------- */

struct rlist {
	sm_recipient *v;
	uint32_t n, cap;
};

static int rl_push(struct rlist *l, const roster_member *m, sm_err *err)
{
	if (l->n >= SM_MAX_RECIPIENTS * 2u)
		return sm_fail(err, SM_EBOUND, "audience: more than %d recipients", SM_MAX_RECIPIENTS);
	if (l->n == l->cap) {
		uint32_t c = l->cap ? 2 * l->cap : 64;
		sm_recipient *q = realloc(l->v, c * sizeof(*q));
		if (!q)
			return sm_fail(err, SM_ENOMEM, "audience: out of memory");
		l->v = q;
		l->cap = c;
	}
	memcpy(l->v[l->n].org, m->id.org, SM_ID_LEN);
	memcpy(l->v[l->n].box_pk, m->id.box_pk, crypto_box_PUBLICKEYBYTES);
	l->n++;
	return 0;
}

static int cmp_rcpt(const void *a, const void *b)
{
	return memcmp(((const sm_recipient *)a)->org, ((const sm_recipient *)b)->org, SM_ID_LEN);
}

/* The newest keys known for org: its current record with the highest key
 * version in any SIG, else its last record in r (it has since left). */
static const roster_member *newest(const federation_t *f, const roster_t *r, const uint8_t org[SM_ID_LEN])
{
	const roster_member *m = federation_member(f, org);
	return m ? m : r ? roster_latest(r, org) : NULL;
}

int federation_resolve(const federation_t *f, const sm_audience *aud,
    const sm_roster_ref *refs, uint32_t n_refs, sm_recipient **out,
    uint32_t *n, sm_err *err)
{
	struct rlist l = { NULL, 0, 0 };
	char sid[44];
	uint32_t k;

	*out = NULL;
	*n = 0;
	if (aud->federation) {
		for (size_t i = 0; i < f->n; i++) {
			const roster_member *m = roster_members(f->r[i], 0, &k);
			for (uint32_t j = 0; m && j < k; j++)
				if (rl_push(&l, newest(f, f->r[i], m[j].id.org), err) < 0)
					goto fail;
		}
	}
	for (uint32_t i = 0; i < aud->n_orgs; i++) {
		const roster_member *m = federation_member(f, aud->orgs[i]);
		if (!m) {
			identity_b64(aud->orgs[i], sid);
			sm_fail(err, SM_ENOTFOUND, "audience: organization %s is in no known SIG", sid);
			goto fail;
		}
		if (rl_push(&l, m, err) < 0)
			goto fail;
	}
	for (uint32_t i = 0; i < aud->n_sigs; i++) {
		roster_t *r = federation_find(f, aud->sigs[i]);
		uint64_t version = 0;
		const roster_member *m;

		identity_b64(aud->sigs[i], sid);
		if (!r) {
			sm_fail(err, SM_ENOTFOUND, "audience: SIG %s is not known", sid);
			goto fail;
		}
		for (uint32_t j = 0; refs && j < n_refs; j++)
			if (!memcmp(refs[j].sig, aud->sigs[i], SM_ID_LEN))
				version = refs[j].version;
		if (refs && version == 0) {
			sm_fail(err, SM_EINVAL, "audience: no roster version given for SIG %s", roster_name(r));
			goto fail;
		}
		if (version > roster_version(r)) {
			sm_fail(err, SM_ENOTFOUND, "audience: SIG %s version %llu not known (have %llu)",
			    roster_name(r), (unsigned long long)version,
			    (unsigned long long)roster_version(r));
			goto fail;
		}
		m = roster_members(r, version, &k);
		for (uint32_t j = 0; m && j < k; j++)
			if (rl_push(&l, newest(f, r, m[j].id.org), err) < 0)
				goto fail;
	}
	if (l.n) {
		if (l.n > 1)	/* qsort needs a valid pointer even for 0 items */
			qsort(l.v, l.n, sizeof(*l.v), cmp_rcpt);
		k = 1;
		for (uint32_t i = 1; i < l.n; i++)
			if (memcmp(l.v[i].org, l.v[k - 1].org, SM_ID_LEN) != 0)
				l.v[k++] = l.v[i];
		l.n = k;
	}
	if (l.n > SM_MAX_RECIPIENTS) {
		sm_fail(err, SM_EBOUND, "audience: %u recipients, max %d", l.n, SM_MAX_RECIPIENTS);
		goto fail;
	}
	*out = l.v;
	*n = l.n;
	return 0;
fail:
	free(l.v);
	return -1;
}

static int cmp_ref(const void *a, const void *b)
{
	return memcmp(((const sm_roster_ref *)a)->sig, ((const sm_roster_ref *)b)->sig, SM_ID_LEN);
}

int federation_refs(const federation_t *f, const sm_audience *aud,
    sm_roster_ref **out, uint32_t *n, sm_err *err)
{
	sm_roster_ref *v = NULL;
	char sid[44];

	*out = NULL;
	*n = 0;
	if (aud->n_sigs == 0)
		return 0;
	if (aud->n_sigs > SM_MAX_AUDIENCE_SIGS)
		return sm_fail(err, SM_EBOUND, "audience: %u SIGs, max %d", aud->n_sigs, SM_MAX_AUDIENCE_SIGS);
	if (!(v = calloc(aud->n_sigs, sizeof(*v))))
		return sm_fail(err, SM_ENOMEM, "audience: out of memory");
	for (uint32_t i = 0; i < aud->n_sigs; i++) {
		roster_t *r = federation_find(f, aud->sigs[i]);
		if (!r) {
			identity_b64(aud->sigs[i], sid);
			free(v);
			return sm_fail(err, SM_ENOTFOUND, "audience: SIG %s is not known", sid);
		}
		memcpy(v[i].sig, aud->sigs[i], SM_ID_LEN);
		v[i].version = roster_version(r);
	}
	if (aud->n_sigs > 1)	/* qsort needs a valid pointer even for 0 items */
		qsort(v, aud->n_sigs, sizeof(*v), cmp_ref);
	*out = v;
	*n = aud->n_sigs;
	return 0;
}
