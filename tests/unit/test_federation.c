/* tests/unit/test_federation.c — several SIGs: membership, resolution. */
#include <unistd.h>
#include "tests/test.h"
#include "keys/federation.h"

#define CREATED 1420070400000ull

static identity_t *ids[4];	/* A B C D */
static uint8_t *cards[4];
static size_t clen[4];

static const uint8_t *org(int i) { return identity_public(ids[i])->org; }

static uint8_t *signed_by(uint8_t *e, size_t *len, const int *who)
{
	for (; e && *who >= 0; who++) {
		size_t nl;
		uint8_t *n = roster_approve(e, *len, ids[*who], &nl, NULL);
		free(e);
		e = n;
		*len = nl;
	}
	return e;
}

static roster_t *make(const char *name, const int *who)
{
	roster_member m[4];
	int n = 0;
	size_t len;
	for (const int *w = who; *w >= 0; w++)
		if (roster_member_from_card(&m[n++], cards[*w], clen[*w], "", NULL) < 0)
			return NULL;
	uint8_t *g = signed_by(roster_genesis(name, m, n, 0, false, CREATED, &len, NULL), &len, who);
	roster_t *r = roster_new();
	if (!g || roster_append(r, g, len, NULL) < 0)
		roster_destroy(&r);
	free(g);
	return r;
}

static void test_membership(void)
{
	federation_t *f = federation_new();
	roster_t *r1 = make("chem", (const int[]){ 0, 1, 2, -1 }), *r2 = make("gas", (const int[]){ 2, 3, -1 });
	sm_err e = {0};
	uint8_t s1[32], s2[32], o[32];

	CHECK(r1 && r2);
	memcpy(s1, roster_sig_id(r1), 32);
	memcpy(s2, roster_sig_id(r2), 32);
	CHECK(federation_add(f, r1, &e) == 0 && federation_add(f, r2, &e) == 0);
	CHECK(federation_count(f) == 2 && federation_find(f, s2) == r2 && federation_find_name(f, "chem") == r1);
	CHECK(federation_is_member(f, org(3)) && federation_share_sig(f, org(0), org(2)));
	CHECK(!federation_share_sig(f, org(0), org(3)));
	sm_members m = federation_members(f);
	CHECK(m.is_member(m.ctx, NULL, 0, org(3)));
	CHECK(m.is_member(m.ctx, s1, 1, org(0)) && !m.is_member(m.ctx, s1, 1, org(3)));
	CHECK(!m.is_member(m.ctx, s1, 2, org(0)));	/* a version not seen yet */
	CHECK(m.is_member(m.ctx, s2, 0, org(3)));
	uint8_t unknown[32] = {1};
	CHECK(!m.is_member(m.ctx, unknown, 0, org(0)) && !m.is_member(m.ctx, NULL, 0, unknown));
	CHECK(federation_org_by_curve(f, identity_public(ids[3])->curve_pk, o) && !memcmp(o, org(3), 32));
	CHECK(!federation_org_by_curve(f, identity_public(ids[3])->box_pk, o));
	/* another roster under an existing name is refused */
	roster_t *dup = make("chem", (const int[]){ 0, -1 });
	sm_err_clear(&e);
	CHECK(federation_add(f, dup, &e) < 0 && e.code == SM_EEXISTS);
	/* a fork of chem (same genesis, different entry 1) is refused */
	roster_t *fork = make("chem", (const int[]){ 0, 1, 2, -1 });
	roster_change ch = { .op = ROSTER_THRESHOLD, .threshold = 3, .created_ms = CREATED };
	size_t len;
	uint8_t *p = signed_by(roster_propose(fork, &ch, &len, NULL), &len, (const int[]){ 0, 1, -1 });
	CHECK(p && roster_append(fork, p, len, NULL) == 0);
	free(p);
	roster_t *ext = make("chem", (const int[]){ 0, 1, 2, -1 });
	ch.threshold = 1;
	p = signed_by(roster_propose(ext, &ch, &len, NULL), &len, (const int[]){ 0, 1, -1 });
	CHECK(p && roster_append(ext, p, len, NULL) == 0 && roster_append(r1, p, len, NULL) == 0);
	free(p);
	CHECK(federation_add(f, ext, NULL) == 0 && federation_find_name(f, "chem") == ext);
	sm_err_clear(&e);
	CHECK(federation_add(f, fork, &e) < 0 && e.code == SM_ECHAIN);
	CHECK(federation_count(f) == 2);
	federation_destroy(&f);
	CHECK(f == NULL);
}

static void test_resolve(void)
{
	federation_t *f = federation_new();
	roster_t *r1 = make("chem", (const int[]){ 0, 1, 2, -1 }), *r2 = make("gas", (const int[]){ 2, 3, -1 });
	uint8_t sigs[2][32], orgs[1][32];
	sm_recipient *rc;
	uint32_t n;
	sm_err e = {0};

	memcpy(sigs[0], roster_sig_id(r1), 32);
	memcpy(sigs[1], roster_sig_id(r2), 32);
	CHECK(federation_add(f, r1, NULL) == 0 && federation_add(f, r2, NULL) == 0);
	sm_audience a = { .n_sigs = 1, .sigs = &sigs[0] };
	CHECK(federation_resolve(f, &a, NULL, 0, &rc, &n, &e) == 0 && n == 3);
	for (uint32_t i = 1; i < n; i++)
		CHECK(memcmp(rc[i - 1].org, rc[i].org, 32) < 0);
	for (uint32_t i = 0; i < n; i++)
		for (int k = 0; k < 4; k++)
			if (!memcmp(rc[i].org, org(k), 32))
				CHECK(!memcmp(rc[i].box_pk, identity_public(ids[k])->box_pk, 32) && k < 3);
	free(rc);
	sm_audience fed = { .federation = true };
	CHECK(federation_resolve(f, &fed, NULL, 0, &rc, &n, &e) == 0 && n == 4);
	free(rc);
	memcpy(orgs[0], org(3), 32);
	sm_audience mix = { .n_orgs = 1, .orgs = orgs, .n_sigs = 1, .sigs = &sigs[0] };
	CHECK(federation_resolve(f, &mix, NULL, 0, &rc, &n, &e) == 0 && n == 4);
	free(rc);
	sm_roster_ref *refs;
	sm_audience two = { .n_sigs = 2, .sigs = sigs };
	CHECK(federation_refs(f, &two, &refs, &n, &e) == 0 && n == 2 && refs[0].version == 1);
	CHECK(n == 2 && memcmp(refs[0].sig, refs[1].sig, 32) < 0);
	CHECK(federation_resolve(f, &two, refs, 2, &rc, &n, &e) == 0 && n == 4);
	free(rc);
	refs[0].version = 7;
	refs[1].version = 7;
	sm_err_clear(&e);
	CHECK(federation_resolve(f, &two, refs, 2, &rc, &n, &e) < 0 && e.code == SM_ENOTFOUND);
	free(refs);
	memset(orgs[0], 9, 32);
	sm_audience stranger = { .n_orgs = 1, .orgs = orgs };
	sm_err_clear(&e);
	CHECK(federation_resolve(f, &stranger, NULL, 0, &rc, &n, &e) < 0 && e.code == SM_ENOTFOUND);
	/* load_dir */
	char dir[] = "/tmp/sm-fed-XXXXXX", p1[64], p2[64];
	CHECK(mkdtemp(dir) != NULL);
	snprintf(p1, sizeof p1, "%s/chem.roster", dir);
	snprintf(p2, sizeof p2, "%s/gas.roster", dir);
	CHECK(roster_save(r1, p1, NULL) == 0 && roster_save(r2, p2, NULL) == 0);
	federation_t *g = federation_new();
	CHECK(federation_load_dir(g, dir, &e) == 0 && federation_count(g) == 2);
	federation_destroy(&g);
	unlink(p1);
	unlink(p2);
	rmdir(dir);
	federation_destroy(&f);
}

/* A roster changed in place (roster_append on a roster the federation
 * holds, as the node does for gossiped entries) is seen by the very next
 * lookup: a removed member is refused, a rotated key replaces the old one
 * only where it is the newest. */
static void test_changes_in_place(void)
{
	federation_t *f = federation_new();
	roster_t *r1 = make("chem", (const int[]){ 0, 1, 2, -1 }), *r2 = make("gas", (const int[]){ 2, 3, -1 });
	uint8_t o[32], old_curve[32];
	size_t len;
	uint8_t *p;

	CHECK(r1 && r2 && federation_add(f, r1, NULL) == 0 && federation_add(f, r2, NULL) == 0);
	CHECK(federation_is_member(f, org(3)) && federation_share_sig(f, org(2), org(3)));
	CHECK(federation_org_by_curve(f, identity_public(ids[3])->curve_pk, o) && !memcmp(o, org(3), 32));
	/* gas removes D */
	roster_change rm = { .op = ROSTER_REMOVE, .created_ms = CREATED + 1 };
	memcpy(rm.org, org(3), 32);
	p = signed_by(roster_propose(r2, &rm, &len, NULL), &len, (const int[]){ 2, 3, -1 });
	CHECK(p && roster_append(r2, p, len, NULL) == 0);
	free(p);
	CHECK(!federation_is_member(f, org(3)) && federation_member(f, org(3)) == NULL);
	CHECK(!federation_share_sig(f, org(2), org(3)));
	CHECK(!federation_org_by_curve(f, identity_public(ids[3])->curve_pk, o));
	CHECK(federation_is_member(f, org(2)) && federation_share_sig(f, org(0), org(2)));
	/* C rotates its keys in chem only: the new transport key is C's, the
	 * old one (still listed in gas) no longer admits anyone */
	memcpy(old_curve, identity_public(ids[2])->curve_pk, 32);
	CHECK(identity_rotate(ids[2], NULL) == 0);
	free(cards[2]);
	cards[2] = identity_card(ids[2], &clen[2], NULL);
	roster_change rot = { .op = ROSTER_ROTATE, .created_ms = CREATED + 2 };
	CHECK(roster_member_from_card(&rot.member, cards[2], clen[2], "", NULL) == 0);
	p = signed_by(roster_propose(r1, &rot, &len, NULL), &len, (const int[]){ 0, 1, 2, -1 });
	CHECK(p && roster_append(r1, p, len, NULL) == 0);
	free(p);
	CHECK(federation_member(f, org(2)) && federation_member(f, org(2))->id.key_version == 2);
	CHECK(federation_org_by_curve(f, identity_public(ids[2])->curve_pk, o) && !memcmp(o, org(2), 32));
	CHECK(!federation_org_by_curve(f, old_curve, o));
	CHECK(federation_share_sig(f, org(2), org(0)));
	federation_destroy(&f);
}

int main(void)
{
	for (int i = 0; i < 4; i++) {
		uint8_t seed[32];
		char name[16];
		memset(seed, 0x40 + i, 32);
		snprintf(name, sizeof name, "Org %c", 'A' + i);
		ids[i] = identity_from_seed(name, seed, NULL);
		cards[i] = identity_card(ids[i], &clen[i], NULL);
	}
	RUN(test_membership);
	RUN(test_resolve);
	RUN(test_changes_in_place);
	for (int i = 0; i < 4; i++) {
		identity_destroy(&ids[i]);
		free(cards[i]);
	}
	TEST_EXIT();
}
