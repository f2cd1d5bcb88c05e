/*
 * tests/unit/test_scope.c — node/scope.c: the in-memory table the node
 * asks "may peer P hold object X?".
 *
 * Messages are built as decoded structs (no signatures: scope.c sees only
 * verified messages). The federation is faked: SIG S1 = {O, M, Q}, SIG S2 =
 * {P}; Z is in no SIG. O originates the reports.
 */
#include <malloc.h>
#include "tests/test.h"
#include "node/scope.h"

static uint8_t O[SM_ID_LEN], M[SM_ID_LEN], Q[SM_ID_LEN], P[SM_ID_LEN], Z[SM_ID_LEN];
static uint8_t S1[SM_ID_LEN], S2[SM_ID_LEN];
static uint64_t next_id = 1;

static bool fake_is_member(void *ctx, const uint8_t *sig, uint64_t version,
    const uint8_t org[SM_ID_LEN])
{
	(void)ctx;
	(void)version;
	bool in1 = !memcmp(org, O, SM_ID_LEN) || !memcmp(org, M, SM_ID_LEN) ||
	    !memcmp(org, Q, SM_ID_LEN);
	bool in2 = !memcmp(org, P, SM_ID_LEN);
	if (!sig)
		return in1 || in2;
	if (!memcmp(sig, S1, SM_ID_LEN))
		return in1;
	if (!memcmp(sig, S2, SM_ID_LEN))
		return in2;
	return false;
}

static const sm_members MEM = { fake_is_member, NULL };

static void fresh_id(uint8_t id[SM_ID_LEN])
{
	memset(id, 0, SM_ID_LEN);
	/* spread over the hash table: the table hashes the first 8 bytes */
	uint64_t h = next_id++ * 0x9e3779b97f4a7c15ull;
	memcpy(id, &h, sizeof(h));
	id[31] = 1;
}

static void head(sm_head *h, uint8_t type, const uint8_t *orig)
{
	h->type = type;
	memcpy(h->originator, orig, SM_ID_LEN);
	h->seq = next_id;
	h->created_ms = 1700000000000ull + next_id;
}

/* A report by O with the given label and audience SIG (or named org). */
static sm_msg report(uint8_t tlp, const uint8_t *sig, const uint8_t *org)
{
	sm_msg m;

	memset(&m, 0, sizeof(m));
	fresh_id(m.id);
	m.type = SM_MSG_REPORT;
	head(&m.u.h, SM_MSG_REPORT, O);
	m.u.report.tlp = tlp;
	if (tlp <= SM_TLP_GREEN) {
		m.u.report.aud.federation = true;
	} else if (sig) {
		m.u.report.aud.n_sigs = 1;
		m.u.report.aud.sigs = calloc(1, SM_ID_LEN);
		memcpy(m.u.report.aud.sigs[0], sig, SM_ID_LEN);
		m.u.report.n_rosters = 1;
		m.u.report.rosters = calloc(1, sizeof(sm_roster_ref));
		memcpy(m.u.report.rosters[0].sig, sig, SM_ID_LEN);
		m.u.report.rosters[0].version = 1;
	} else {
		m.u.report.aud.n_orgs = 1;
		m.u.report.aud.orgs = calloc(1, SM_ID_LEN);
		memcpy(m.u.report.aud.orgs[0], org, SM_ID_LEN);
	}
	m.u.report.encrypted = tlp >= SM_TLP_AMBER;
	/* a key slot and data that scope_add must drop */
	m.u.report.data = malloc(16);
	m.u.report.data_len = 16;
	m.u.report.n_keys = 1;
	m.u.report.keys = calloc(1, sizeof(sm_keyslot));
	return m;
}

/* A release by signer of report, adding SIG S2. */
static sm_msg release(const uint8_t report_id[SM_ID_LEN], const uint8_t *signer)
{
	sm_msg m;

	memset(&m, 0, sizeof(m));
	fresh_id(m.id);
	m.type = SM_MSG_RELEASE;
	head(&m.u.h, SM_MSG_RELEASE, signer);
	memcpy(m.u.release.report, report_id, SM_ID_LEN);
	m.u.release.add.n_sigs = 1;
	m.u.release.add.sigs = calloc(1, SM_ID_LEN);
	memcpy(m.u.release.add.sigs[0], S2, SM_ID_LEN);
	m.u.release.n_rosters = 1;
	m.u.release.rosters = calloc(1, sizeof(sm_roster_ref));
	memcpy(m.u.release.rosters[0].sig, S2, SM_ID_LEN);
	m.u.release.rosters[0].version = 1;
	return m;
}

static sm_msg sighting(const uint8_t report_id[SM_ID_LEN], const uint8_t *by, bool orig_only)
{
	sm_msg m;

	memset(&m, 0, sizeof(m));
	fresh_id(m.id);
	m.type = SM_MSG_SIGHTING;
	head(&m.u.h, SM_MSG_SIGHTING, by);
	memcpy(m.u.sighting.report, report_id, SM_ID_LEN);
	m.u.sighting.originator_only = orig_only;
	m.u.sighting.count = 1;
	return m;
}

static sm_msg retraction(const uint8_t report_id[SM_ID_LEN], const uint8_t *by)
{
	sm_msg m;

	memset(&m, 0, sizeof(m));
	fresh_id(m.id);
	m.type = SM_MSG_RETRACTION;
	head(&m.u.h, SM_MSG_RETRACTION, by);
	memcpy(m.u.retraction.report, report_id, SM_ID_LEN);
	return m;
}

static void test_add_get_grow(void)
{
	scope_t *s = scope_new();
	uint8_t ids[3000][SM_ID_LEN], missing[SM_ID_LEN];
	bool all = true;

	for (int i = 0; i < 3000; i++) {
		sm_msg m = report(SM_TLP_AMBER, S1, NULL);
		memcpy(ids[i], m.id, SM_ID_LEN);
		scope_entry *e = scope_add(s, &m, (uint64_t)i + 1);
		all &= e != NULL && m.u.report.aud.sigs == NULL;	/* moved */
		/* the audience is kept (an interned copy), arrival too */
		all &= e && e->msg.u.report.tlp == SM_TLP_AMBER && e->msg.u.report.aud.n_sigs == 1 &&
		    !memcmp(e->msg.u.report.aud.sigs[0], S1, SM_ID_LEN) &&
		    e->msg.u.report.n_rosters == 1 && e->msg.u.report.rosters[0].version == 1;
	}
	CHECK(all);
	CHECK(scope_count(s) == 3000);
	all = true;
	for (int i = 0; i < 3000; i++) {
		scope_entry *e = scope_get(s, ids[i]);
		all &= e && e->arrival == (uint64_t)i + 1 && !memcmp(e->msg.id, ids[i], SM_ID_LEN);
	}
	CHECK(all);
	fresh_id(missing);
	CHECK(scope_get(s, missing) == NULL);
	/* adding an id twice returns the first entry and frees the second */
	sm_msg dup = report(SM_TLP_AMBER, S1, NULL);
	memcpy(dup.id, ids[7], SM_ID_LEN);
	CHECK(scope_add(s, &dup, 99999) == scope_get(s, ids[7]));
	CHECK(scope_get(s, ids[7])->arrival == 8);
	CHECK(scope_count(s) == 3000);
	scope_reset(s);
	CHECK(scope_count(s) == 0 && scope_get(s, ids[0]) == NULL);
	scope_destroy(&s);
	CHECK(s == NULL);
	scope_destroy(&s);	/* idempotent */
}

/* A release widens an AMBER report for S1 to S2, arriving after it. */
static void test_release_after_report(void)
{
	scope_t *s = scope_new();
	sm_msg r = report(SM_TLP_AMBER, S1, NULL), rl;
	scope_entry *re = scope_add(s, &r, 1), *le;

	CHECK(scope_shared(s, re, O, M, &MEM));
	CHECK(!scope_shared(s, re, O, P, &MEM));
	CHECK(!scope_may_forward(s, re, M, P, &MEM));
	rl = release(re->msg.id, O);
	le = scope_add(s, &rl, 2);
	CHECK(le && re->n_rel == 1 && re->rel[0] == le);
	CHECK(scope_report_of(s, le) == re);
	CHECK(scope_shared(s, re, O, P, &MEM));
	CHECK(scope_may_forward(s, re, M, P, &MEM));
	CHECK(scope_shared(s, le, M, P, &MEM));		/* the release travels too */
	CHECK(!scope_shared(s, re, O, Z, &MEM));	/* Z still in no audience */
	const sm_release *list[1];
	scope_release_list(re, list);
	CHECK(list[0] == &le->msg.u.release);
	scope_destroy(&s);
}

/* The same, release first: held aside, linked when the report arrives. */
static void test_release_before_report(void)
{
	scope_t *s = scope_new();
	sm_msg r = report(SM_TLP_AMBER, S1, NULL);
	uint8_t rid[SM_ID_LEN];
	const sm_release *pend[4];

	memcpy(rid, r.id, SM_ID_LEN);
	sm_msg rl = release(rid, O);
	scope_entry *le = scope_add(s, &rl, 1);
	CHECK(le != NULL);
	CHECK(scope_report_of(s, le) == NULL);
	CHECK(!scope_shared(s, le, O, P, &MEM));	/* report not held: never shared */
	CHECK(scope_pending_releases(s, rid, pend, 4) == 1 && pend[0] == &le->msg.u.release);
	scope_entry *re = scope_add(s, &r, 2);
	CHECK(re && re->n_rel == 1 && re->rel[0] == le);
	CHECK(scope_pending_releases(s, rid, pend, 4) == 0);
	CHECK(scope_shared(s, re, O, P, &MEM));
	CHECK(scope_shared(s, le, M, P, &MEM));
	scope_destroy(&s);
}

/* A release signed by someone else than the report's originator widens
 * nothing, in either order. */
static void test_release_by_non_originator_ignored(void)
{
	for (int order = 0; order < 2; order++) {
		scope_t *s = scope_new();
		sm_msg r = report(SM_TLP_AMBER, S1, NULL);
		uint8_t rid[SM_ID_LEN];
		memcpy(rid, r.id, SM_ID_LEN);
		sm_msg rl = release(rid, M);	/* M is a member, but not the originator */
		scope_entry *re, *le;
		if (order == 0) {
			re = scope_add(s, &r, 1);
			le = scope_add(s, &rl, 2);
		} else {
			le = scope_add(s, &rl, 1);
			re = scope_add(s, &r, 2);
		}
		CHECK(re && le && re->n_rel == 0);
		CHECK(!scope_shared(s, re, O, P, &MEM));
		CHECK(!scope_may_forward(s, re, M, P, &MEM));
		CHECK(!scope_shared(s, le, M, P, &MEM));	/* the bogus release itself */
		CHECK(!scope_shared(s, le, O, M, &MEM));
		scope_destroy(&s);
	}
}

/* Sightings follow their report's audience; an originator-only sighting
 * moves only between the sighter and the originator. */
static void test_sightings(void)
{
	scope_t *s = scope_new();
	sm_msg r = report(SM_TLP_AMBER, S1, NULL);
	scope_entry *re = scope_add(s, &r, 1);
	sm_msg s1 = sighting(re->msg.id, M, false), s2 = sighting(re->msg.id, M, true);
	scope_entry *pub = scope_add(s, &s1, 2), *priv = scope_add(s, &s2, 3);

	CHECK(scope_report_of(s, pub) == re);
	CHECK(scope_shared(s, pub, M, O, &MEM));
	CHECK(scope_may_forward(s, pub, O, M, &MEM));
	CHECK(!scope_shared(s, pub, M, P, &MEM));	/* P is outside the audience */
	CHECK(scope_shared(s, priv, M, O, &MEM));
	CHECK(scope_shared(s, priv, O, M, &MEM));
	CHECK(scope_may_forward(s, priv, M, O, &MEM));
	/* a third member of the audience must not get it */
	CHECK(scope_shared(s, pub, O, Q, &MEM));
	CHECK(!scope_shared(s, priv, O, Q, &MEM));
	CHECK(!scope_may_forward(s, priv, M, Q, &MEM));
	CHECK(!scope_may_forward(s, priv, O, P, &MEM));
	/* widen the report to S2: the public sighting follows, the private not */
	sm_msg rl = release(re->msg.id, O);
	scope_add(s, &rl, 4);
	CHECK(scope_shared(s, pub, O, P, &MEM));
	CHECK(!scope_shared(s, priv, O, P, &MEM));
	/* a sighting of a report not held goes nowhere */
	uint8_t other[SM_ID_LEN];
	fresh_id(other);
	sm_msg s3 = sighting(other, M, false);
	scope_entry *orphan = scope_add(s, &s3, 5);
	CHECK(orphan && scope_report_of(s, orphan) == NULL);
	CHECK(!scope_shared(s, orphan, M, O, &MEM));
	scope_destroy(&s);
}

/* Retractions travel like their report. */
static void test_retraction(void)
{
	scope_t *s = scope_new();
	sm_msg r = report(SM_TLP_AMBER_STRICT, S1, NULL);
	scope_entry *re = scope_add(s, &r, 1);
	sm_msg rt = retraction(re->msg.id, O);
	scope_entry *te = scope_add(s, &rt, 2);

	CHECK(scope_report_of(s, te) == re);
	CHECK(scope_shared(s, te, O, M, &MEM));
	CHECK(!scope_shared(s, te, O, P, &MEM));
	CHECK(!scope_shared(s, te, O, Z, &MEM));
	scope_destroy(&s);
}

/* RED: only between the originator and the named org; never relayed. */
static void test_red(void)
{
	scope_t *s = scope_new();
	sm_msg r = report(SM_TLP_RED, NULL, P);
	scope_entry *re = scope_add(s, &r, 1);

	CHECK(scope_shared(s, re, O, P, &MEM));
	CHECK(scope_may_forward(s, re, O, P, &MEM));
	CHECK(!scope_shared(s, re, O, M, &MEM));
	CHECK(!scope_may_forward(s, re, P, M, &MEM));
	sm_msg sg = sighting(re->msg.id, P, false);
	scope_entry *se = scope_add(s, &sg, 2);
	CHECK(scope_shared(s, se, P, O, &MEM));
	CHECK(!scope_shared(s, se, P, M, &MEM));
	scope_destroy(&s);
}

/* GREEN: the whole federation, but not outsiders. */
static void test_green(void)
{
	scope_t *s = scope_new();
	sm_msg r = report(SM_TLP_GREEN, NULL, NULL);
	scope_entry *re = scope_add(s, &r, 1);

	CHECK(scope_shared(s, re, M, P, &MEM));
	CHECK(scope_may_forward(s, re, M, P, &MEM));
	CHECK(!scope_shared(s, re, M, Z, &MEM));
	scope_destroy(&s);
}

struct count_ctx { size_t n, reports; };

static void count_one(void *ctx, scope_entry *e)
{
	struct count_ctx *c = ctx;
	c->n++;
	c->reports += e->msg.type == SM_MSG_REPORT;
}

static void test_each(void)
{
	scope_t *s = scope_new();
	struct count_ctx c = {0, 0};

	for (int i = 0; i < 10; i++) {
		sm_msg r = report(SM_TLP_AMBER, S1, NULL);
		scope_entry *re = scope_add(s, &r, (uint64_t)i);
		sm_msg sg = sighting(re->msg.id, M, false);
		scope_add(s, &sg, 100 + (uint64_t)i);
	}
	scope_each(s, count_one, &c);
	CHECK(c.n == 20 && c.reports == 10);
	scope_destroy(&s);
}

/* Bytes the process has malloc'd (arena and mmap'd chunks). */
static size_t heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

/*
 * Issue 6: a node's anonymous memory grew ~0.85 kB per object, ~510 bytes
 * of it this table. A typical AMBER report (two SIGs and one named org in
 * its audience, two roster refs, a 600-byte body, 20 key slots) must cost
 * at most 200 bytes once stored, hash slot and shared arrays included.
 * Audiences are drawn from a handful of combinations, as in a SIG where
 * the same few audiences recur. Measured with mallinfo2, so every byte
 * malloc hands out (and its chunk overhead) counts. Under AddressSanitizer
 * entries are malloc'd one by one and the allocator is ASan's: the bound
 * is not checked there, only that the entries read back.
 */
static void test_bytes_per_report(void)
{
	enum { N = 20000 };
	scope_t *s = scope_new();
	uint8_t sigs[4][SM_ID_LEN], orgs[3][SM_ID_LEN], first[SM_ID_LEN], twelfth[SM_ID_LEN];
	bool all = true;

	for (int k = 0; k < 4; k++)
		memset(sigs[k], 0xc0 + k, SM_ID_LEN);
	for (int k = 0; k < 3; k++)
		memset(orgs[k], 0xd0 + k, SM_ID_LEN);
	malloc_trim(0);
	size_t before = heap_in_use();
	for (int i = 0; i < N; i++) {
		sm_msg m;
		int a = i % 4, b = (i / 4) % 3;
		memset(&m, 0, sizeof(m));
		fresh_id(m.id);
		if (i == 0)
			memcpy(first, m.id, SM_ID_LEN);
		if (i == 12)	/* same audience as report 0 */
			memcpy(twelfth, m.id, SM_ID_LEN);
		m.type = SM_MSG_REPORT;
		head(&m.u.h, SM_MSG_REPORT, O);
		m.u.report.tlp = SM_TLP_AMBER;
		m.u.report.aud.n_sigs = 2;
		m.u.report.aud.sigs = malloc(2 * SM_ID_LEN);
		memcpy(m.u.report.aud.sigs[0], sigs[a < 3 ? a : 0], SM_ID_LEN);
		memcpy(m.u.report.aud.sigs[1], sigs[a < 3 ? 3 : 1], SM_ID_LEN);
		m.u.report.aud.n_orgs = 1;
		m.u.report.aud.orgs = malloc(SM_ID_LEN);
		memcpy(m.u.report.aud.orgs[0], orgs[b], SM_ID_LEN);
		m.u.report.n_rosters = 2;
		m.u.report.rosters = calloc(2, sizeof(sm_roster_ref));
		memcpy(m.u.report.rosters[0].sig, m.u.report.aud.sigs[0], SM_ID_LEN);
		memcpy(m.u.report.rosters[1].sig, m.u.report.aud.sigs[1], SM_ID_LEN);
		m.u.report.rosters[0].version = m.u.report.rosters[1].version = 5;
		m.u.report.encrypted = true;
		m.u.report.data = malloc(600);
		m.u.report.data_len = 600;
		m.u.report.n_keys = 20;
		m.u.report.keys = calloc(20, sizeof(sm_keyslot));
		all &= scope_add(s, &m, (uint64_t)i + 1) != NULL;
	}
	size_t after = heap_in_use();
	double per = (double)(after - before) / N;
	CHECK(all && scope_count(s) == N);
	scope_entry *e = scope_get(s, first);
	CHECK(e && e->msg.u.report.aud.n_orgs == 1 && !memcmp(e->msg.u.report.aud.orgs[0], orgs[0], SM_ID_LEN) &&
	    e->msg.u.report.aud.n_sigs == 2 && !memcmp(e->msg.u.report.aud.sigs[0], sigs[0], SM_ID_LEN) &&
	    e->msg.u.report.rosters[1].version == 5);
	/* the shared copies: reports with one audience point to one array */
	scope_entry *e12 = scope_get(s, twelfth);
	CHECK(e && e12 && e != e12 && e->msg.u.report.aud.sigs == e12->msg.u.report.aud.sigs &&
	    e->msg.u.report.aud.orgs == e12->msg.u.report.aud.orgs &&
	    e->msg.u.report.rosters == e12->msg.u.report.rosters);
#if !defined(__SANITIZE_ADDRESS__)	/* ASan's allocator: mallinfo2 sees nothing */
	CHECKF(per <= 200.0, "%.1f bytes per report", per);
#endif
	printf("  scope: %.1f bytes per AMBER report (%d reports)\n", per, N);
	scope_reset(s);
	CHECK(scope_count(s) == 0 && scope_get(s, first) == NULL);
	scope_destroy(&s);
}

/* A report's linked releases stop at SCOPE_MAX_REL: callers (and judge)
 * hold release lists in arrays of that size. */
static void test_release_cap(void)
{
	scope_t *s = scope_new();
	sm_msg r = report(SM_TLP_AMBER, S1, NULL);
	scope_entry *re = scope_add(s, &r, 1);
	bool all = re != NULL;

	for (int i = 0; i < SCOPE_MAX_REL + 5; i++) {
		sm_msg rl = release(re->msg.id, O);
		all &= scope_add(s, &rl, 2 + (uint64_t)i) != NULL;
	}
	CHECK(all);
	CHECK(re->n_rel == SCOPE_MAX_REL);
	CHECK(scope_count(s) == SCOPE_MAX_REL + 6);
	CHECK(scope_shared(s, re, M, P, &MEM));
	scope_destroy(&s);
}

int main(void)
{
	memset(O, 0x11, SM_ID_LEN);
	memset(M, 0x22, SM_ID_LEN);
	memset(Q, 0x2b, SM_ID_LEN);
	memset(P, 0x33, SM_ID_LEN);
	memset(Z, 0x44, SM_ID_LEN);
	memset(S1, 0xa1, SM_ID_LEN);
	memset(S2, 0xa2, SM_ID_LEN);
	RUN(test_add_get_grow);
	RUN(test_release_after_report);
	RUN(test_release_before_report);
	RUN(test_release_by_non_originator_ignored);
	RUN(test_sightings);
	RUN(test_retraction);
	RUN(test_red);
	RUN(test_green);
	RUN(test_each);
	RUN(test_bytes_per_report);
	RUN(test_release_cap);
	TEST_EXIT();
}
