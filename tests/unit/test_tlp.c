/*
 * tests/unit/test_tlp.c — the TLP rules, exhaustively.
 *
 * Every label x audience shape x release x kind of organization is run
 * through tlp_audience_ok, tlp_may_receive, tlp_may_forward and tlp_shared,
 * and compared with a second, deliberately naive statement of the rules
 * written below (expect_*), which reads like the table in CONTEXT.md and
 * shares no code with proto/tlp.c. Hand-checked cases follow.
 */
#include "tests/test.h"
#include "proto/tlp.h"

/* The organizations, by what they are to the reports under test. */
enum kind {
	K_ORIG,		/* A: the originator, member of SIG 1 */
	K_NAMED,	/* X: named in the audience; member of SIG 2 */
	K_SIGMEM,	/* M: member of SIG 1 at every version */
	K_OTHERSIG,	/* O: member of SIG 2 only */
	K_NONMEM,	/* Z: member of no SIG (the org releases may add) */
	K_REMOVED,	/* R: member of SIG 1 at v1, removed at v2 */
	K_ADDED,	/* N: joined SIG 1 at v2 */
	K_N
};
static const char *const kname[K_N] = { "orig", "named", "sigmem", "othersig", "nonmem",
	"removed", "added" };

enum shape { SH_FED, SH_ORGS, SH_SIGS, SH_ORGS_SIGS, SH_EMPTY, SH_N };
static const char *const shname[SH_N] = { "fed", "orgs", "sigs", "orgs+sigs", "empty" };

enum rel { REL_NONE, REL_ORG, REL_SIG, REL_N };	/* adds Z / adds SIG 2 at v1 */
static const char *const relname[REL_N] = { "none", "org Z", "SIG 2" };

static uint8_t id[K_N][SM_ID_LEN];
static uint8_t sig1[SM_ID_LEN], sig2[SM_ID_LEN];

/* ---- the fake federation --------------------------------------------- */

static bool in(enum kind k, const enum kind *set, int n)
{
	for (int i = 0; i < n; i++)
		if (set[i] == k)
			return true;
	return false;
}

static int kind_of(const uint8_t org[SM_ID_LEN])
{
	for (int k = 0; k < K_N; k++)
		if (memcmp(org, id[k], SM_ID_LEN) == 0)
			return k;
	return -1;
}

static int member_calls;

static bool fake_is_member(void *ctx, const uint8_t *sig, uint64_t version,
    const uint8_t org[SM_ID_LEN])
{
	static const enum kind s1v1[] = { K_ORIG, K_SIGMEM, K_REMOVED };
	static const enum kind s1v2[] = { K_ORIG, K_SIGMEM, K_ADDED };
	static const enum kind s2v1[] = { K_NAMED, K_OTHERSIG };
	int k = kind_of(org);

	(void)ctx;
	member_calls++;
	if (k < 0)
		return false;
	if (!sig)	/* any SIG, current rosters */
		return in(k, s1v2, 3) || in(k, s2v1, 2);
	if (memcmp(sig, sig1, SM_ID_LEN) == 0)
		return version == 1 ? in(k, s1v1, 3) : version >= 2 ? in(k, s1v2, 3) : false;
	if (memcmp(sig, sig2, SM_ID_LEN) == 0)
		return version >= 1 && in(k, s2v1, 2);
	return false;
}

static const sm_members members = { fake_is_member, NULL };

/* ---- the naive rules -------------------------------------------------- */

static bool expect_shape_ok(int tlp, int sh)
{
	switch (tlp) {
	case SM_TLP_CLEAR: case SM_TLP_GREEN: return sh == SH_FED;
	case SM_TLP_AMBER: case SM_TLP_AMBER_STRICT:
		return sh == SH_ORGS || sh == SH_SIGS || sh == SH_ORGS_SIGS;
	default: return sh == SH_ORGS;	/* RED */
	}
}

static bool expect_receive(int tlp, int sh, int rel, int k)
{
	if (k == K_ORIG)
		return true;
	if (!expect_shape_ok(tlp, sh))
		return false;
	if (sh == SH_FED)	/* current members of any SIG */
		return k == K_NAMED || k == K_SIGMEM || k == K_OTHERSIG || k == K_ADDED;
	if ((sh == SH_ORGS || sh == SH_ORGS_SIGS) && k == K_NAMED)
		return true;
	/* SIG 1 named at version 1: who was a member then. */
	if ((sh == SH_SIGS || sh == SH_ORGS_SIGS) && (k == K_SIGMEM || k == K_REMOVED))
		return true;
	bool amber = tlp == SM_TLP_AMBER || tlp == SM_TLP_AMBER_STRICT;
	if (rel == REL_ORG && (amber || tlp == SM_TLP_RED) && k == K_NONMEM)
		return true;
	if (rel == REL_SIG && amber && (k == K_NAMED || k == K_OTHERSIG))
		return true;
	return false;
}

/* ---- building the cases ----------------------------------------------- */

typedef struct tcase {
	sm_report r;
	uint8_t orgs[1][SM_ID_LEN], sigs[1][SM_ID_LEN];
	sm_roster_ref ros[1];
	sm_release rel;
	uint8_t rel_orgs[1][SM_ID_LEN], rel_sigs[1][SM_ID_LEN];
	sm_roster_ref rel_ros[1];
	const sm_release *relp[1];
	size_t n_rel;
} tcase;

static void make_case(tcase *c, int tlp, int sh, int rel)
{
	memset(c, 0, sizeof(*c));
	c->r.h.type = SM_MSG_REPORT;
	memcpy(c->r.h.originator, id[K_ORIG], SM_ID_LEN);
	c->r.h.seq = 1;
	c->r.tlp = (uint8_t)tlp;
	c->r.aud.federation = sh == SH_FED;
	if (sh == SH_ORGS || sh == SH_ORGS_SIGS) {
		memcpy(c->orgs[0], id[K_NAMED], SM_ID_LEN);
		c->r.aud.orgs = c->orgs;
		c->r.aud.n_orgs = 1;
	}
	if (sh == SH_SIGS || sh == SH_ORGS_SIGS) {
		memcpy(c->sigs[0], sig1, SM_ID_LEN);
		memcpy(c->ros[0].sig, sig1, SM_ID_LEN);
		c->ros[0].version = 1;
		c->r.aud.sigs = c->sigs;
		c->r.aud.n_sigs = 1;
		c->r.rosters = c->ros;
		c->r.n_rosters = 1;
	}
	if (rel != REL_NONE) {
		c->rel.h.type = SM_MSG_RELEASE;
		memcpy(c->rel.h.originator, id[K_ORIG], SM_ID_LEN);
		c->rel.h.seq = 2;
		if (rel == REL_ORG) {
			memcpy(c->rel_orgs[0], id[K_NONMEM], SM_ID_LEN);
			c->rel.add.orgs = c->rel_orgs;
			c->rel.add.n_orgs = 1;
		} else {
			memcpy(c->rel_sigs[0], sig2, SM_ID_LEN);
			memcpy(c->rel_ros[0].sig, sig2, SM_ID_LEN);
			c->rel_ros[0].version = 1;
			c->rel.add.sigs = c->rel_sigs;
			c->rel.add.n_sigs = 1;
			c->rel.rosters = c->rel_ros;
			c->rel.n_rosters = 1;
		}
		c->relp[0] = &c->rel;
		c->n_rel = 1;
	}
}

static void setup_ids(void)
{
	for (int k = 0; k < K_N; k++)
		crypto_generichash(id[k], SM_ID_LEN, (const uint8_t *)kname[k], strlen(kname[k]), NULL, 0);
	crypto_generichash(sig1, SM_ID_LEN, (const uint8_t *)"SIG 1", 5, NULL, 0);
	crypto_generichash(sig2, SM_ID_LEN, (const uint8_t *)"SIG 2", 5, NULL, 0);
}

/* ---- the matrix ------------------------------------------------------- */

static void test_matrix_receive(void)
{
	tcase c;
	int checked = 0, granted = 0;

	for (int tlp = 0; tlp <= SM_TLP_RED; tlp++)
		for (int sh = 0; sh < SH_N; sh++) {
			make_case(&c, tlp, sh, REL_NONE);
			const char *why = NULL;
			bool ok = tlp_audience_ok((uint8_t)tlp, &c.r.aud, c.r.rosters, c.r.n_rosters, &why);
			CHECKF(ok == expect_shape_ok(tlp, sh), "%s %s: audience_ok %d", tlp_name((uint8_t)tlp),
			    shname[sh], ok);
			CHECK(ok || why != NULL);
			for (int rel = 0; rel < REL_N; rel++) {
				make_case(&c, tlp, sh, rel);
				for (int k = 0; k < K_N; k++) {
					bool got = tlp_may_receive(&c.r, c.relp, c.n_rel, id[k], &members);
					bool want = expect_receive(tlp, sh, rel, k);
					CHECKF(got == want, "%s aud=%s release=%s org=%s: got %d want %d",
					    tlp_name((uint8_t)tlp), shname[sh], relname[rel], kname[k], got, want);
					checked++;
					granted += got;
				}
			}
		}
	CHECK(checked == 5 * SH_N * REL_N * K_N);
	/* Sanity on the matrix itself: neither everything nor nothing. */
	CHECK(granted > 5 * REL_N && granted < checked / 2);
}

static void test_matrix_forward_shared(void)
{
	tcase c;

	for (int tlp = 0; tlp <= SM_TLP_RED; tlp++)
		for (int sh = 0; sh < SH_N; sh++)
			for (int rel = 0; rel < REL_N; rel++) {
				make_case(&c, tlp, sh, rel);
				for (int a = 0; a < K_N; a++)
					for (int b = 0; b < K_N; b++) {
						bool ra = expect_receive(tlp, sh, rel, a);
						bool rb = expect_receive(tlp, sh, rel, b);
						bool red = tlp == SM_TLP_RED;
						bool fwd = ra && rb && (!red || a == K_ORIG);
						bool shr = ra && rb && (!red || a == K_ORIG || b == K_ORIG);
						bool gf = tlp_may_forward(&c.r, c.relp, c.n_rel, id[a], id[b], &members);
						bool gs = tlp_shared(&c.r, c.relp, c.n_rel, id[a], id[b], &members);
						CHECKF(gf == fwd, "%s aud=%s release=%s forward %s->%s: got %d",
						    tlp_name((uint8_t)tlp), shname[sh], relname[rel], kname[a],
						    kname[b], gf);
						CHECKF(gs == shr, "%s aud=%s release=%s shared %s,%s: got %d",
						    tlp_name((uint8_t)tlp), shname[sh], relname[rel], kname[a],
						    kname[b], gs);
						/* shared is symmetric */
						CHECK(gs == tlp_shared(&c.r, c.relp, c.n_rel, id[b], id[a], &members));
					}
			}
}

/* ---- hand-checked cases ----------------------------------------------- */

static void test_red_never_relayed(void)
{
	tcase c;

	make_case(&c, SM_TLP_RED, SH_ORGS, REL_ORG);
	/* X is named, Z released to: both may hold it... */
	CHECK(tlp_may_receive(&c.r, c.relp, 1, id[K_NAMED], &members));
	CHECK(tlp_may_receive(&c.r, c.relp, 1, id[K_NONMEM], &members));
	/* ...but neither may pass it on, not even to each other or back. */
	CHECK(!tlp_may_forward(&c.r, c.relp, 1, id[K_NAMED], id[K_NONMEM], &members));
	CHECK(!tlp_may_forward(&c.r, c.relp, 1, id[K_NONMEM], id[K_NAMED], &members));
	CHECK(!tlp_may_forward(&c.r, c.relp, 1, id[K_NAMED], id[K_ORIG], &members));
	CHECK(!tlp_shared(&c.r, c.relp, 1, id[K_NAMED], id[K_NONMEM], &members));
	/* The originator sends to each directly. */
	CHECK(tlp_may_forward(&c.r, c.relp, 1, id[K_ORIG], id[K_NAMED], &members));
	CHECK(tlp_may_forward(&c.r, c.relp, 1, id[K_ORIG], id[K_NONMEM], &members));
	CHECK(tlp_shared(&c.r, c.relp, 1, id[K_NAMED], id[K_ORIG], &members));
	/* Fellow SIG members of the originator get nothing. */
	CHECK(!tlp_may_forward(&c.r, c.relp, 1, id[K_ORIG], id[K_SIGMEM], &members));
}

static void test_red_release_to_sig_ignored(void)
{
	tcase c;
	const char *why = NULL;

	make_case(&c, SM_TLP_RED, SH_ORGS, REL_SIG);
	CHECK(!tlp_release_ok(SM_TLP_RED, &c.rel.add, &why) && why);
	CHECK(!tlp_may_receive(&c.r, c.relp, 1, id[K_OTHERSIG], &members));
}

static void test_amber_strict_stays_in_sig(void)
{
	tcase c;

	make_case(&c, SM_TLP_AMBER_STRICT, SH_SIGS, REL_NONE);
	CHECK(tlp_may_receive(&c.r, NULL, 0, id[K_SIGMEM], &members));
	CHECK(!tlp_may_receive(&c.r, NULL, 0, id[K_OTHERSIG], &members));
	CHECK(!tlp_may_forward(&c.r, NULL, 0, id[K_SIGMEM], id[K_OTHERSIG], &members));
	/* Only a release by the originator opens SIG 2. */
	make_case(&c, SM_TLP_AMBER_STRICT, SH_SIGS, REL_SIG);
	CHECK(tlp_may_forward(&c.r, c.relp, 1, id[K_SIGMEM], id[K_OTHERSIG], &members));
	/* A "release" signed by anyone else counts for nothing. */
	memcpy(c.rel.h.originator, id[K_SIGMEM], SM_ID_LEN);
	CHECK(!tlp_may_receive(&c.r, c.relp, 1, id[K_OTHERSIG], &members));
}

static void test_roster_version_is_the_stated_one(void)
{
	tcase c;

	make_case(&c, SM_TLP_AMBER, SH_SIGS, REL_NONE);
	CHECK(tlp_may_receive(&c.r, NULL, 0, id[K_REMOVED], &members));
	CHECK(!tlp_may_receive(&c.r, NULL, 0, id[K_ADDED], &members));
	c.ros[0].version = 2;
	CHECK(!tlp_may_receive(&c.r, NULL, 0, id[K_REMOVED], &members));
	CHECK(tlp_may_receive(&c.r, NULL, 0, id[K_ADDED], &members));
}

static void test_fail_closed(void)
{
	tcase c;
	sm_members none = { NULL, NULL };

	make_case(&c, SM_TLP_GREEN, SH_FED, REL_NONE);
	CHECK(!tlp_may_receive(&c.r, NULL, 0, id[K_SIGMEM], &none));
	CHECK(!tlp_may_receive(&c.r, NULL, 0, id[K_SIGMEM], NULL));
	CHECK(tlp_may_receive(&c.r, NULL, 0, id[K_ORIG], NULL));
	c.r.tlp = 9;
	CHECK(!tlp_may_receive(&c.r, NULL, 0, id[K_SIGMEM], &members));
	/* Unsorted or duplicate audience. */
	uint8_t two[2][SM_ID_LEN];
	memcpy(two[0], id[K_NAMED], SM_ID_LEN);
	memcpy(two[1], id[K_NAMED], SM_ID_LEN);
	sm_audience a = { .n_orgs = 2, .orgs = two };
	CHECK(!tlp_audience_ok(SM_TLP_RED, &a, NULL, 0, NULL));
	/* A SIG without its roster reference, or with the wrong one. */
	make_case(&c, SM_TLP_AMBER, SH_SIGS, REL_NONE);
	CHECK(!tlp_audience_ok(SM_TLP_AMBER, &c.r.aud, NULL, 0, NULL));
	memcpy(c.ros[0].sig, sig2, SM_ID_LEN);
	CHECK(!tlp_audience_ok(SM_TLP_AMBER, &c.r.aud, c.ros, 1, NULL));
	CHECK(!tlp_may_receive(&c.r, NULL, 0, id[K_SIGMEM], &members));
	/* Releases never add the federation, and never to CLEAR/GREEN. */
	sm_audience fed = { .federation = true };
	CHECK(!tlp_release_ok(SM_TLP_AMBER, &fed, NULL));
	sm_audience one = { .n_orgs = 1, .orgs = two };
	CHECK(tlp_release_ok(SM_TLP_AMBER, &one, NULL));
	CHECK(tlp_release_ok(SM_TLP_RED, &one, NULL));
	CHECK(!tlp_release_ok(SM_TLP_GREEN, &one, NULL));
	CHECK(!tlp_release_ok(SM_TLP_CLEAR, &one, NULL));
	/* tlp_may_widen names the labels some release is allowed for */
	for (uint8_t t = 0; t < 8; t++)
		CHECK(tlp_may_widen(t) == tlp_release_ok(t, &one, NULL));
	CHECK(tlp_may_widen(SM_TLP_AMBER) && !tlp_may_widen(SM_TLP_GREEN));
}

static void test_export_and_feed(void)
{
	/* rows: label; columns: internal, clients, community, public */
	static const bool want[5][4] = {
		[SM_TLP_CLEAR] = { 1, 1, 1, 1 },
		[SM_TLP_GREEN] = { 1, 1, 1, 0 },
		[SM_TLP_AMBER] = { 1, 1, 0, 0 },
		[SM_TLP_AMBER_STRICT] = { 1, 0, 0, 0 },
		[SM_TLP_RED] = { 0, 0, 0, 0 },
	};
	for (int t = 0; t <= SM_TLP_RED; t++)
		for (int d = 0; d < 4; d++)
			CHECKF(tlp_may_export((uint8_t)t, (enum sm_export_dest)d) == want[t][d],
			    "export %s to %d", tlp_name((uint8_t)t), d);
	CHECK(!tlp_may_export(5, SM_DEST_INTERNAL));
	CHECK(tlp_may_feed(SM_TLP_CLEAR) && tlp_may_feed(SM_TLP_GREEN) && tlp_may_feed(SM_TLP_AMBER));
	CHECK(tlp_may_feed(SM_TLP_AMBER_STRICT));
	CHECK(!tlp_may_feed(SM_TLP_RED) && !tlp_may_feed(5));
}

static void test_names(void)
{
	uint8_t t = 99;

	CHECK(strcmp(tlp_name(SM_TLP_AMBER_STRICT), "TLP:AMBER+STRICT") == 0);
	CHECK(tlp_name(5) == NULL);
	CHECK(tlp_parse("red", &t) == 0 && t == SM_TLP_RED);
	CHECK(tlp_parse("TLP:Amber+Strict", &t) == 0 && t == SM_TLP_AMBER_STRICT);
	CHECK(tlp_parse("tlp:clear", &t) == 0 && t == SM_TLP_CLEAR);
	CHECK(tlp_parse("amber", &t) == 0 && t == SM_TLP_AMBER);
	CHECK(tlp_parse("white", &t) < 0);
	CHECK(tlp_parse("TLP:", &t) < 0);
	CHECK(tlp_parse("", &t) < 0);
	CHECK(tlp_parse(NULL, &t) < 0);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	setup_ids();
	RUN(test_matrix_receive);
	RUN(test_matrix_forward_shared);
	RUN(test_red_never_relayed);
	RUN(test_red_release_to_sig_ignored);
	RUN(test_amber_strict_stays_in_sig);
	RUN(test_roster_version_is_the_stated_one);
	RUN(test_fail_closed);
	RUN(test_export_and_feed);
	RUN(test_names);
	TEST_EXIT();
}
