/* tests/unit/test_recon.c — range-based set reconciliation (PROTOCOL.md §11). */
#include <stdint.h>
#include <sodium.h>
#include "tests/test.h"
#include "proto/recon.h"
#include "proto/codec.h"

/* ---- helpers ---------------------------------------------------------- */

static int item_cmp(const void *x, const void *y)
{
	const recon_item *a = x, *b = y;
	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	return memcmp(a->id, b->id, RECON_ID_LEN);
}

static int ids_push_test(recon_ids *l, const uint8_t *id)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->id = realloc(l->id, l->cap * RECON_ID_LEN);
	}
	memcpy(l->id[l->n++], id, RECON_ID_LEN);
	return 0;
}

static int id_cmp(const void *x, const void *y)
{
	return memcmp(x, y, RECON_ID_LEN);
}

/* n distinct items, deterministic in seed; timestamps drawn from span
 * values (a small span gives many equal timestamps). Sorted. */
static recon_item *gen(size_t n, uint32_t seed, uint64_t span)
{
	uint8_t key[randombytes_SEEDBYTES] = {0};
	recon_item *it = calloc(n ? n : 1, sizeof *it);
	uint8_t *rnd = malloc((n ? n : 1) * 40);

	memcpy(key, &seed, sizeof seed);
	randombytes_buf_deterministic(rnd, n * 40, key);
	for (size_t i = 0; i < n; i++) {
		uint64_t t;
		memcpy(&t, rnd + 40 * i, 8);
		it[i].ts = 1700000000000ull + t % span;
		memcpy(it[i].id, rnd + 40 * i + 8, RECON_ID_LEN);
	}
	free(rnd);
	qsort(it, n, sizeof *it, item_cmp);
	return it;
}

typedef struct split {
	recon_item *a, *b;		/* the two sides' sets */
	size_t na, nb;
	recon_ids only_a, only_b;	/* the truth */
} split;

/* Deal the universe u out to two sides: each item is only in A with
 * probability pa/1000, only in B with pb/1000, else in both. */
static void deal(split *s, const recon_item *u, size_t n, unsigned pa, unsigned pb, uint32_t seed)
{
	uint8_t key[randombytes_SEEDBYTES] = {0};
	uint32_t *r = malloc((n ? n : 1) * sizeof *r);

	memset(s, 0, sizeof *s);
	key[31] = 1;
	memcpy(key, &seed, sizeof seed);
	randombytes_buf_deterministic(r, n * sizeof *r, key);
	s->a = calloc(n ? n : 1, sizeof *s->a);
	s->b = calloc(n ? n : 1, sizeof *s->b);
	for (size_t i = 0; i < n; i++) {
		unsigned x = r[i] % 1000;
		if (x < pa) {
			s->a[s->na++] = u[i];
			s->only_a.n++;
		} else if (x < pa + pb) {
			s->b[s->nb++] = u[i];
			s->only_b.n++;
		} else {
			s->a[s->na++] = u[i];
			s->b[s->nb++] = u[i];
		}
	}
	s->only_a.id = malloc((s->only_a.n + 1) * RECON_ID_LEN);
	s->only_b.id = malloc((s->only_b.n + 1) * RECON_ID_LEN);
	s->only_a.n = s->only_b.n = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned x = r[i] % 1000;
		if (x < pa)
			memcpy(s->only_a.id[s->only_a.n++], u[i].id, RECON_ID_LEN);
		else if (x < pa + pb)
			memcpy(s->only_b.id[s->only_b.n++], u[i].id, RECON_ID_LEN);
	}
	free(r);
}

static void split_free(split *s)
{
	free(s->a);
	free(s->b);
	recon_ids_free(&s->only_a);
	recon_ids_free(&s->only_b);
}

static bool same_ids(recon_ids *got, const recon_ids *want)
{
	recon_ids w = {0};
	bool ok;

	if (got->n != want->n)
		return false;
	if (got->n == 0)
		return true;
	w.id = malloc(want->n * RECON_ID_LEN);
	memcpy(w.id, want->id, want->n * RECON_ID_LEN);
	qsort(got->id, got->n, RECON_ID_LEN, id_cmp);
	qsort(w.id, want->n, RECON_ID_LEN, id_cmp);
	ok = memcmp(got->id, w.id, got->n * RECON_ID_LEN) == 0;
	free(w.id);
	return ok;
}

typedef struct outcome {
	int rc, code;
	unsigned rtt;			/* replies the initiator received */
	size_t bytes_ab, bytes_ba;	/* initiator->responder, back */
	size_t max_msg;
	bool done_a, done_b;
	recon_ids have_a, need_a, have_b, need_b;
} outcome;

static void outcome_free(outcome *o)
{
	recon_ids_free(&o->have_a);
	recon_ids_free(&o->need_a);
	recon_ids_free(&o->have_b);
	recon_ids_free(&o->need_b);
}

/* A initiates, B responds; shuttle messages until neither side has one. */
static void sync_sets(const recon_item *a, size_t na, const recon_item *b, size_t nb,
    const recon_opts *opts, outcome *o)
{
	sm_err e = {0};
	recon_t *ra = recon_new(a, na, opts, &e), *rb = recon_new(b, nb, opts, &e);
	uint8_t *m = NULL, *reply = NULL;
	size_t ml = 0, rl = 0;

	memset(o, 0, sizeof *o);
	o->rc = -1;
	if (!ra || !rb)
		goto out;
	if (recon_initiate(ra, &m, &ml, &e) < 0)
		goto out;
	while (m) {
		o->bytes_ab += ml;
		if (ml > o->max_msg)
			o->max_msg = ml;
		if (recon_respond(rb, m, ml, &reply, &rl, &o->have_b, &o->need_b, &e) < 0)
			goto out;
		free(m);
		m = NULL;
		if (!reply)
			break;
		o->bytes_ba += rl;
		if (rl > o->max_msg)
			o->max_msg = rl;
		o->rtt++;
		if (recon_respond(ra, reply, rl, &m, &ml, &o->have_a, &o->need_a, &e) < 0)
			goto out;
		free(reply);
		reply = NULL;
	}
	o->rc = 0;
out:
	o->code = e.code;
	if (o->rc < 0 && e.code)
		printf("  sync failed: %s: %s\n", sm_strerror(e.code), e.msg);
	o->done_a = recon_done(ra);
	o->done_b = recon_done(rb);
	free(m);
	free(reply);
	recon_destroy(&ra);
	recon_destroy(&rb);
}

/* Reconcile a dealt pair and check every output against the truth. */
static bool check_split(split *s, const recon_opts *opts, outcome *o)
{
	sync_sets(s->a, s->na, s->b, s->nb, opts, o);
	return o->rc == 0 && o->done_a && o->done_b &&
	    same_ids(&o->have_a, &s->only_a) && same_ids(&o->need_a, &s->only_b) &&
	    same_ids(&o->have_b, &s->only_b) && o->need_b.n == 0;
}

/* ---- golden values ---------------------------------------------------- */

static void test_fingerprint_golden(void)
{
	uint8_t ids[2][32] = {{0}}, fp[16], want[32], in[40] = {0};

	/* sum of 0xff..ff and 1 is 0 mod 2^256: the carry runs off the top */
	memset(ids[0], 0xff, 32);
	ids[1][0] = 1;
	recon_fingerprint((const uint8_t (*)[32])ids, 2, fp);
	in[32] = 2;			/* count 2, little endian */
	crypto_generichash(want, 32, in, 40, NULL, 0);
	CHECK(memcmp(fp, want, 16) == 0);

	/* 0x..0201 + 0x..0100 carries within bytes: 01 03 00... */
	memset(ids, 0, sizeof ids);
	ids[0][0] = 0x01; ids[0][1] = 0x02;
	ids[1][1] = 0x01;
	recon_fingerprint((const uint8_t (*)[32])ids, 2, fp);
	memset(in, 0, sizeof in);
	in[0] = 0x01; in[1] = 0x03; in[32] = 2;
	crypto_generichash(want, 32, in, 40, NULL, 0);
	CHECK(memcmp(fp, want, 16) == 0);

	/* a carry across a 64-bit limb */
	memset(ids, 0, sizeof ids);
	memset(ids[0], 0xff, 8);
	ids[1][0] = 1;
	recon_fingerprint((const uint8_t (*)[32])ids, 2, fp);
	memset(in, 0, sizeof in);
	in[8] = 1; in[32] = 2;
	crypto_generichash(want, 32, in, 40, NULL, 0);
	CHECK(memcmp(fp, want, 16) == 0);

	/* empty set: hash of 40 zero bytes */
	recon_fingerprint(NULL, 0, fp);
	memset(in, 0, sizeof in);
	crypto_generichash(want, 32, in, 40, NULL, 0);
	CHECK(memcmp(fp, want, 16) == 0);
}

static void test_initial_message_golden(void)
{
	recon_item it = { .ts = 1000 };
	sm_err e = {0};
	uint8_t *m = NULL;
	size_t ml = 0;

	memcpy(it.id, "\xaa\xbb\xcc\xdd\xee", 5);
	recon_t *r = recon_new(&it, 1, NULL, &e);
	CHECK(r != NULL);
	CHECK(recon_initiate(r, &m, &ml, &e) == 0);
	/* [1, [[0 (infinity), bin "", 1 (Fingerprint), bin fp]]] where fp is
	 * BLAKE2b-256(aabbccddee 00*27 || 01 00*7), first 16 bytes; the same
	 * bytes are the example in PROTOCOL.md §11.4. */
	static const uint8_t want[] = { 0x92, 0x01, 0x91, 0x94, 0x00, 0xc4, 0x00, 0x01,
	    0xc4, 0x10, 0x6e, 0xcf, 0x1b, 0x0d, 0xd3, 0x74, 0xa1, 0xea, 0x73, 0x1b, 0xdb, 0x01,
	    0xa5, 0x10, 0xdb, 0x57 };
	CHECK(ml == sizeof want && memcmp(m, want, ml) == 0);
	free(m);
	recon_destroy(&r);
	/* the empty set: the fingerprint of 40 zero bytes */
	r = recon_new(NULL, 0, NULL, &e);
	CHECK(r != NULL && recon_initiate(r, &m, &ml, &e) == 0);
	static const uint8_t want0[] = { 0x92, 0x01, 0x91, 0x94, 0x00, 0xc4, 0x00, 0x01,
	    0xc4, 0x10, 0x4a, 0x19, 0x31, 0x80, 0x35, 0x61, 0xf4, 0x31, 0xde, 0xca, 0xb0, 0x02,
	    0xe7, 0x42, 0x5f, 0x0a };
	CHECK(ml == sizeof want0 && memcmp(m, want0, ml) == 0);
	free(m);
	recon_destroy(&r);
	r = recon_new(&it, 1, NULL, &e);
	CHECK(r != NULL && recon_initiate(r, &m, &ml, &e) == 0);
	free(m);
	/* a second initiate on the same session is misuse */
	CHECK(recon_initiate(r, &m, &ml, &e) < 0 && e.code == SM_EINVAL && m == NULL);
	recon_destroy(&r);
	recon_destroy(&r);		/* idempotent */
	CHECK(r == NULL);
}

/* ---- behaviour -------------------------------------------------------- */

static void test_identical(void)
{
	recon_item *u = gen(10000, 1, 1000000);
	outcome o;

	sync_sets(u, 10000, u, 10000, NULL, &o);
	CHECK(o.rc == 0);
	CHECKF(o.rtt == 1, "rtt %u", o.rtt);
	CHECK(o.have_a.n == 0 && o.need_a.n == 0 && o.have_b.n == 0 && o.need_b.n == 0);
	CHECK(o.done_a && o.done_b);
	outcome_free(&o);
	/* both empty */
	sync_sets(NULL, 0, NULL, 0, NULL, &o);
	CHECK(o.rc == 0 && o.rtt == 1 && o.done_a && o.done_b && o.have_a.n == 0);
	outcome_free(&o);
	free(u);
}

/* Issue 4: a periodic session between equal sets costs one 26-byte
 * message and a 3-byte empty answer, whatever the set size. */
static void test_idle_cost(void)
{
	static const size_t sizes[] = { 0, 1, 31, 32, 255, 256, 1000, 100000 };
	recon_item *u = gen(100000, 12, 1000000000);

	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		outcome o;
		sync_sets(u, sizes[i], u, sizes[i], NULL, &o);
		CHECKF(o.rc == 0 && o.done_a && o.done_b && o.rtt == 1 &&
		    o.bytes_ab == 26 && o.bytes_ba == 3,
		    "n %zu: rc %d rtt %u bytes %zu + %zu", sizes[i], o.rc, o.rtt,
		    o.bytes_ab, o.bytes_ba);
		CHECK(o.have_a.n == 0 && o.need_a.n == 0 && o.have_b.n == 0);
		outcome_free(&o);
	}
	/* the since window applies to the fingerprint too: equal inside
	 * the window is idle even if the sets differ before it */
	recon_opts op = { .since = u[500].ts };
	outcome o;
	sync_sets(u, 1000, u + 200, 800, &op, &o);
	CHECK(o.rc == 0 && o.rtt == 1 && o.bytes_ab == 26 && o.bytes_ba == 3);
	outcome_free(&o);
	free(u);
}

/* The answers to the first message when the sets differ: a responder with
 * RECON_LIST_BELOW items or more splits into RECON_BUCKETS fingerprints,
 * one with fewer asks for the list. */
static void test_first_answer(void)
{
	recon_item *u = gen(300, 13, 1000000);
	sm_err e = {0};

	for (int small = 0; small <= 1; small++) {
		size_t nb = small ? RECON_LIST_BELOW - 1 : 300;
		recon_t *ra = recon_new(u, 299, NULL, &e), *rb = recon_new(u, nb, NULL, &e);
		uint8_t *m = NULL, *rep = NULL;
		size_t ml = 0, rl = 0;
		codec_doc d;
		const msgpack_object *top, *rs, *f;
		uint32_t nt, nr, nf;
		uint64_t mode;

		CHECK(ra && rb && recon_initiate(ra, &m, &ml, &e) == 0 && ml == 26);
		CHECK(recon_respond(rb, m, ml, &rep, &rl, NULL, NULL, &e) == 0 && rep && !recon_done(rb));
		CHECK(codec_decode(&d, rep, rl, 3, &e) == 0);
		CHECK(codec_as_array(d.root, 2, &top, &nt, "m", &e) == 0 && nt == 2);
		CHECK(codec_as_array(&top[1], 100, &rs, &nr, "r", &e) == 0);
		CHECKF(nr == (small ? 1u : (uint32_t)RECON_BUCKETS), "small %d: %u ranges", small, nr);
		CHECK(codec_as_array(&rs[0], 10, &f, &nf, "g", &e) == 0);
		CHECK(codec_as_uint(&f[2], 0, 10, &mode, "mode", &e) == 0 && mode == (small ? 3u : 1u));
		codec_doc_free(&d);
		free(m);
		free(rep);
		recon_destroy(&ra);
		recon_destroy(&rb);
	}
	free(u);
}

static void test_one_side_empty(void)
{
	recon_item *u = gen(5000, 2, 100000);
	recon_ids all = {0};
	outcome o;

	all.id = malloc(5000 * RECON_ID_LEN);
	for (size_t i = 0; i < 5000; i++)
		memcpy(all.id[i], u[i].id, RECON_ID_LEN);
	all.n = 5000;
	/* initiator empty */
	sync_sets(NULL, 0, u, 5000, NULL, &o);
	CHECK(o.rc == 0 && o.done_a && o.done_b);
	CHECK(o.have_a.n == 0 && same_ids(&o.need_a, &all) && same_ids(&o.have_b, &all));
	outcome_free(&o);
	/* responder empty */
	sync_sets(u, 5000, NULL, 0, NULL, &o);
	CHECK(o.rc == 0 && o.done_a && o.done_b);
	CHECK(same_ids(&o.have_a, &all) && o.need_a.n == 0 && o.have_b.n == 0 && o.need_b.n == 0);
	outcome_free(&o);
	recon_ids_free(&all);
	free(u);
}

static void test_disjoint(void)
{
	recon_item *u = gen(6000, 3, 50000);
	split s;
	outcome o;

	deal(&s, u, 6000, 500, 500, 3);
	CHECK(s.na + s.nb == 6000);
	CHECK(check_split(&s, NULL, &o));
	outcome_free(&o);
	split_free(&s);
	free(u);
}

static void test_one_difference(void)
{
	const size_t n = 100000;
	recon_item *u = gen(n, 4, 1000000000);
	outcome o;

	/* B lacks one item in the middle; then A lacks the last one */
	recon_item *b = malloc(n * sizeof *b);
	memcpy(b, u, 50000 * sizeof *b);
	memcpy(b + 50000, u + 50001, (n - 50001) * sizeof *b);
	sync_sets(u, n, b, n - 1, NULL, &o);
	CHECK(o.rc == 0);
	CHECKF(o.rtt <= 4, "rtt %u", o.rtt);
	CHECK(o.have_a.n == 1 && !memcmp(o.have_a.id[0], u[50000].id, 32) && o.need_a.n == 0);
	CHECK(o.have_b.n == 0);
	printf("  one difference among %zu: %u round trips, %zu + %zu bytes\n", n, o.rtt,
	    o.bytes_ab, o.bytes_ba);
	outcome_free(&o);
	sync_sets(u, n - 1, u, n, NULL, &o);
	CHECK(o.rc == 0);
	CHECKF(o.rtt <= 4, "rtt %u", o.rtt);
	CHECK(o.need_a.n == 1 && !memcmp(o.need_a.id[0], u[n - 1].id, 32) && o.have_a.n == 0);
	CHECK(o.have_b.n == 1 && !memcmp(o.have_b.id[0], u[n - 1].id, 32));
	outcome_free(&o);
	free(b);
	free(u);
}

static void test_random_both_ways(void)
{
	static const size_t sizes[] = { 1, 2, 31, 32, 33, 100, 255, 256, 257, 517, 4000, 30000 };
	static const unsigned rates[][2] = { {100, 100}, {10, 0}, {0, 10}, {300, 50}, {1, 1} };
	int bad = 0;

	for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++)
		for (size_t ri = 0; ri < sizeof rates / sizeof *rates; ri++)
			for (uint32_t seed = 1; seed <= 2; seed++) {
				recon_item *u = gen(sizes[si], seed * 101 + (uint32_t)si, 1u << 20);
				split s;
				outcome o;
				deal(&s, u, sizes[si], rates[ri][0], rates[ri][1], seed);
				if (!check_split(&s, NULL, &o)) {
					bad++;
					printf("  mismatch: n %zu rates %u/%u seed %u\n", sizes[si],
					    rates[ri][0], rates[ri][1], seed);
				}
				outcome_free(&o);
				split_free(&s);
				free(u);
			}
	CHECK(bad == 0);
}

/* Random sets under the smallest frame, with short and full prefixes:
 * exact, and no message over the frame limit (lists near the initiator's
 * list thresholds must still fit). */
static void test_random_small_frames(void)
{
	static const size_t sizes[] = { 40, 300, 3000 };
	static const unsigned plens[] = { 4, 32 };
	int bad = 0;

	for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++)
		for (size_t pi = 0; pi < 2; pi++)
			for (uint32_t seed = 1; seed <= 3; seed++) {
				recon_opts op = { .frame_limit = RECON_MIN_FRAME,
				    .max_rounds = 10000, .prefix_len = plens[pi] };
				recon_item *u = gen(sizes[si], seed * 31 + (uint32_t)si, 1u << 16);
				split s;
				outcome o;
				deal(&s, u, sizes[si], seed == 1 ? 0 : 150, seed == 3 ? 0 : 150, seed);
				if (!check_split(&s, &op, &o) || o.max_msg > RECON_MIN_FRAME) {
					bad++;
					printf("  mismatch: n %zu plen %u seed %u largest %zu\n", sizes[si],
					    plens[pi], seed, o.max_msg);
				}
				outcome_free(&o);
				split_free(&s);
				free(u);
			}
	CHECK(bad == 0);
}

static void test_equal_timestamps(void)
{
	/* every item at one timestamp: bounds are all id prefixes */
	recon_item *u = gen(20000, 5, 1);
	split s;
	outcome o;

	CHECK(u[0].ts == u[19999].ts);
	deal(&s, u, 20000, 50, 50, 5);
	CHECK(check_split(&s, NULL, &o));
	outcome_free(&o);
	split_free(&s);
	free(u);

	/* a few timestamps: groups of ~1000 */
	u = gen(20000, 6, 20);
	deal(&s, u, 20000, 100, 20, 6);
	CHECK(check_split(&s, NULL, &o));
	outcome_free(&o);
	split_free(&s);
	free(u);
}

static void test_prefix_collision(void)
{
	/* A holds x, B holds y; x and y share their first 4 bytes and their
	 * timestamp, so the 4-byte id list cannot tell them apart. The
	 * responder's fingerprint exposes it and the range is listed again
	 * with full ids. */
	recon_item *u = gen(200, 7, 1000);
	recon_item a[201], b[201];
	recon_item x = u[100], y = u[100];
	outcome o;

	y.id[31] ^= 0x01;
	memcpy(a, u, sizeof(recon_item) * 200);
	memcpy(b, u, sizeof(recon_item) * 200);
	a[100] = x;
	b[100] = y;
	qsort(b, 200, sizeof *b, item_cmp);
	sync_sets(a, 200, b, 200, NULL, &o);
	CHECK(o.rc == 0 && o.done_a && o.done_b);
	CHECK(o.have_a.n == 1 && !memcmp(o.have_a.id[0], x.id, 32));
	CHECK(o.need_a.n == 1 && !memcmp(o.need_a.id[0], y.id, 32));
	outcome_free(&o);
	free(u);
}

static void test_small_frames(void)
{
	recon_item *u = gen(30000, 8, 1u << 24);
	recon_opts op = { .frame_limit = RECON_MIN_FRAME, .max_rounds = 100000 };
	split s;
	outcome o, big;

	deal(&s, u, 30000, 200, 200, 8);
	CHECK(check_split(&s, &op, &o));
	CHECKF(o.max_msg <= RECON_MIN_FRAME, "largest message %zu", o.max_msg);
	sync_sets(s.a, s.na, s.b, s.nb, NULL, &big);
	CHECK(big.rc == 0);
	CHECKF(o.rtt > big.rtt + 10, "rtt %u with small frames, %u without", o.rtt, big.rtt);
	printf("  small frames: %u round trips (default frames: %u), largest message %zu\n",
	    o.rtt, big.rtt, o.max_msg);
	outcome_free(&o);
	outcome_free(&big);
	/* and a round cap that is too small fails cleanly */
	op.max_rounds = 3;
	sync_sets(s.a, s.na, s.b, s.nb, &op, &o);
	CHECK(o.rc < 0 && o.code == SM_EBOUND);
	outcome_free(&o);
	split_free(&s);
	free(u);
}

static void test_since_window(void)
{
	recon_item *u = gen(4000, 9, 4000);
	split s;
	recon_opts op = { .since = u[2000].ts };
	outcome o;
	size_t cut = 0;

	while (u[cut].ts < op.since)
		cut++;
	deal(&s, u, 4000, 100, 100, 9);
	/* the truth restricted to the window */
	recon_ids wa = {0}, wb = {0};
	for (size_t i = 0; i < s.na; i++)
		if (s.a[i].ts >= op.since && !bsearch(&s.a[i], s.b, s.nb, sizeof *s.b, item_cmp))
			(void)!ids_push_test(&wa, s.a[i].id);
	for (size_t i = 0; i < s.nb; i++)
		if (s.b[i].ts >= op.since && !bsearch(&s.b[i], s.a, s.na, sizeof *s.a, item_cmp))
			(void)!ids_push_test(&wb, s.b[i].id);
	CHECK(wa.n > 0 && wa.n < s.only_a.n && wb.n > 0);
	sync_sets(s.a, s.na, s.b, s.nb, &op, &o);
	CHECK(o.rc == 0 && same_ids(&o.have_a, &wa) && same_ids(&o.need_a, &wb));
	outcome_free(&o);
	recon_ids_free(&wa);
	recon_ids_free(&wb);
	split_free(&s);
	free(u);
}

static void test_new_validation(void)
{
	recon_item it[3] = {{ .ts = 1 }, { .ts = 2 }, { .ts = 3 }};
	sm_err e = {0};
	recon_opts op = {0};

	recon_t *r = recon_new(it, 3, NULL, &e);
	CHECK(r != NULL && recon_size(r) == 3);
	recon_destroy(&r);
	op.since = 2;
	r = recon_new(it, 3, &op, &e);
	CHECK(r != NULL && recon_size(r) == 2);
	recon_destroy(&r);
	op.since = 0;
	it[2].ts = 2;		/* equal to it[1], equal ids */
	CHECK(recon_new(it, 3, NULL, &e) == NULL && e.code == SM_EINVAL);
	sm_err_clear(&e);
	it[2].ts = 1;		/* descending */
	CHECK(recon_new(it, 3, NULL, &e) == NULL && e.code == SM_EINVAL);
	sm_err_clear(&e);
	it[2].ts = UINT64_MAX;	/* reserved */
	CHECK(recon_new(it, 3, NULL, &e) == NULL && e.code == SM_EINVAL);
	sm_err_clear(&e);
	it[2].ts = 3;
	op.frame_limit = 100;
	CHECK(recon_new(it, 3, &op, &e) == NULL && e.code == SM_EINVAL);
	sm_err_clear(&e);
	op.frame_limit = 0;
	op.prefix_len = 33;
	CHECK(recon_new(it, 3, &op, &e) == NULL && e.code == SM_EINVAL);
}

/* ---- hostile input ---------------------------------------------------- */

static recon_t *responder(void)
{
	static recon_item *u;
	sm_err e = {0};

	if (!u)
		u = gen(1000, 10, 100000);
	return recon_new(u, 1000, NULL, &e);
}

static int feed_hex(recon_t *r, const char *hex, int *code)
{
	uint8_t b[512];
	size_t n = strlen(hex) / 2;
	uint8_t *out = NULL;
	size_t ol = 0;
	sm_err e = {0};
	recon_ids h = {0}, nd = {0};

	for (size_t i = 0; i < n; i++)
		sscanf(hex + 2 * i, "%2hhx", &b[i]);
	int rc = recon_respond(r, b, n, &out, &ol, &h, &nd, &e);
	*code = e.code;
	if (rc < 0 && (out || ol || h.n || nd.n))
		rc = 99;	/* a failure must leave nothing behind */
	free(out);
	recon_ids_free(&h);
	recon_ids_free(&nd);
	return rc;
}

static int try_hex(const char *hex, int *code)
{
	recon_t *r = responder();
	int rc = feed_hex(r, hex, code);
	recon_destroy(&r);
	return rc;
}

static void test_hostile(void)
{
	int c;

	/* valid: a single fingerprint over everything, and the empty message */
	CHECK(try_hex("9201919400c40001c410" "00000000000000000000000000000000", &c) == 0);
	CHECK(try_hex("920190", &c) == 0);
	/* truncated */
	CHECK(try_hex("9201919400c40001c410" "0000000000", &c) < 0 && c == SM_EBOUND);
	CHECK(try_hex("", &c) < 0 && c == SM_EMALFORMED);
	/* bad version, even with another shape */
	CHECK(try_hex("920290", &c) < 0 && c == SM_EVERSION);
	CHECK(try_hex("93029090", &c) < 0 && c == SM_EVERSION);
	CHECK(try_hex("9101", &c) < 0 && c == SM_EMALFORMED);
	/* trailing bytes, non-canonical integer */
	CHECK(try_hex("92019000", &c) < 0 && c == SM_ETRAILING);
	CHECK(try_hex("92cc0190", &c) < 0 && c == SM_ENONCANON);
	/* descending / equal bounds: second range's bound is not above the first */
	CHECK(try_hex("920192" "9305c40000" "9301c40000", &c) < 0 && c == SM_EMALFORMED);
	CHECK(try_hex("920192" "9305c4010100" "9301c40101" "00", &c) < 0);
	CHECK(try_hex("920192" "9305c4010500" "9301c4010400", &c) < 0 && c == SM_EMALFORMED);
	/* first bound equal to the zero lower bound */
	CHECK(try_hex("920191" "9301c40000", &c) < 0 && c == SM_EMALFORMED);
	/* a range after the infinite bound */
	CHECK(try_hex("920192" "9300c40000" "9305c40000", &c) < 0 && c == SM_EMALFORMED);
	/* infinite bound with an id prefix */
	CHECK(try_hex("920191" "9300c4010100", &c) < 0 && c == SM_EMALFORMED);
	/* prefix ending in a zero byte */
	CHECK(try_hex("920191" "9305c402010000", &c) < 0 && c == SM_ENONCANON);
	/* prefix longer than an id */
	CHECK(try_hex("920191" "9305c421" "000000000000000000000000000000000000000000000000000000000000000001" "00",
	    &c) < 0 && c == SM_EBOUND);
	/* timestamp overflow: 1 + (2^64 - 1) */
	CHECK(try_hex("920192" "9302c40000" "93cfffffffffffffffffc40000", &c) < 0 && c == SM_EBOUND);
	/* unknown mode, wrong field counts */
	CHECK(try_hex("920191" "9300c40005", &c) < 0 && c == SM_ETYPE);
	CHECK(try_hex("920191" "9300c40001", &c) < 0 && c == SM_EMALFORMED);
	CHECK(try_hex("920191" "9400c4000000", &c) < 0 && c == SM_EMALFORMED);
	/* fingerprint of the wrong length */
	CHECK(try_hex("920191" "9400c40001c40100", &c) < 0 && c == SM_EBOUND);
	/* modes only the responder may send, sent to a responder */
	CHECK(try_hex("920191" "9300c40003", &c) < 0 && c == SM_EMALFORMED);
	CHECK(try_hex("920191" "9700c4000404c400c400c410" "00000000000000000000000000000000", &c) < 0
	    && c == SM_EMALFORMED);
	/* id list: prefix length out of range, ragged length */
	CHECK(try_hex("920191" "9500c4000221c400", &c) < 0 && c == SM_EBOUND);
	CHECK(try_hex("920191" "9500c4000203c400", &c) < 0 && c == SM_EBOUND);
	CHECK(try_hex("920191" "9500c4000204c405" "0102030405", &c) < 0 && c == SM_EMALFORMED);
	/* huge declared counts */
	CHECK(try_hex("9201ddffffffff", &c) < 0 && c == SM_EBOUND);
	CHECK(try_hex("920191" "9500c4000204c6ffffffff00", &c) < 0 && c == SM_EBOUND);
	/* too deep */
	CHECK(try_hex("92019191919100", &c) < 0 && c == SM_EDEPTH);
	/* not an array at all */
	CHECK(try_hex("a3616263", &c) < 0 && c == SM_EMALFORMED);
	/* over the frame bound */
	{
		recon_t *r = responder();
		uint8_t *big = calloc(RECON_MAX_FRAME + 1, 1), *out = (uint8_t *)1;
		size_t ol = 1;
		sm_err e = {0};
		CHECK(recon_respond(r, big, RECON_MAX_FRAME + 1, &out, &ol, NULL, NULL, &e) < 0 &&
		    e.code == SM_EBOUND && out == NULL && ol == 0);
		/* the session is dead after a failure */
		sm_err_clear(&e);
		CHECK(recon_respond(r, (const uint8_t *)"\x92\x01\x90", 3, &out, &ol, NULL, NULL, &e) < 0 &&
		    e.code == SM_EINVAL);
		free(big);
		recon_destroy(&r);
	}
	/* a finished session accepts nothing more */
	{
		recon_t *r = responder();
		CHECK(feed_hex(r, "920190", &c) == 0 && recon_done(r));
		CHECK(feed_hex(r, "920190", &c) < 0 && c == SM_EINVAL);
		recon_destroy(&r);
	}
}

static void test_hostile_initiator_side(void)
{
	/* Responder messages to an initiator: a diff that does not add up,
	 * full-length, is refused; a bitmap of the wrong size is refused. */
	recon_item it[3];
	sm_err e = {0};
	uint8_t *m = NULL, *out = NULL;
	size_t ml, ol;
	int c;

	memset(it, 0, sizeof it);
	for (int i = 0; i < 3; i++) {
		it[i].ts = 10 + i;
		it[i].id[0] = (uint8_t)(i + 1);
	}
	recon_t *r = recon_new(it, 3, NULL, &e);
	CHECK(recon_initiate(r, &m, &ml, &e) == 0);
	free(m);
	/* diff: plen 32, no ids, bitmap 00, fingerprint zero: wrong */
	CHECK(feed_hex(r, "920191" "9700c4000420c400c40100c410" "00000000000000000000000000000000", &c) < 0
	    && c == SM_EMALFORMED);
	recon_destroy(&r);

	r = recon_new(it, 3, NULL, &e);
	CHECK(recon_initiate(r, &m, &ml, &e) == 0);
	free(m);
	/* bitmap of two bytes for three items */
	CHECK(feed_hex(r, "920191" "9700c4000404c400c4020000c410" "00000000000000000000000000000000", &c) < 0
	    && c == SM_EMALFORMED);
	recon_destroy(&r);

	r = recon_new(it, 3, NULL, &e);
	CHECK(recon_initiate(r, &m, &ml, &e) == 0);
	free(m);
	/* bits beyond the third item */
	CHECK(feed_hex(r, "920191" "9700c4000404c400c40108c410" "00000000000000000000000000000000", &c) < 0
	    && c == SM_EMALFORMED);
	recon_destroy(&r);

	/* an id list sent to an initiator */
	r = recon_new(it, 3, NULL, &e);
	CHECK(recon_initiate(r, &m, &ml, &e) == 0);
	free(m);
	CHECK(feed_hex(r, "920191" "9500c4000204c400", &c) < 0 && c == SM_EMALFORMED);
	recon_destroy(&r);

	/* a correct diff is accepted: the responder holds nothing, lacks all 3 */
	r = recon_new(it, 3, NULL, &e);
	CHECK(recon_initiate(r, &m, &ml, &e) == 0);
	free(m);
	{
		uint8_t fp[16];
		char hex[256];
		recon_fingerprint(NULL, 0, fp);
		strcpy(hex, "920191" "9700c4000404c400c40107c410");
		for (int i = 0; i < 16; i++)
			sprintf(hex + strlen(hex), "%02x", fp[i]);
		recon_ids h = {0};
		uint8_t b[128];
		size_t n = strlen(hex) / 2;
		for (size_t i = 0; i < n; i++)
			sscanf(hex + 2 * i, "%2hhx", &b[i]);
		CHECK(recon_respond(r, b, n, &out, &ol, &h, NULL, &e) == 0);
		CHECK(h.n == 3 && recon_done(r) && out && ol == 3 && !memcmp(out, "\x92\x01\x90", 3));
		recon_ids_free(&h);
		free(out);
	}
	recon_destroy(&r);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	RUN(test_fingerprint_golden);
	RUN(test_initial_message_golden);
	RUN(test_identical);
	RUN(test_idle_cost);
	RUN(test_first_answer);
	RUN(test_one_side_empty);
	RUN(test_disjoint);
	RUN(test_one_difference);
	RUN(test_random_both_ways);
	RUN(test_random_small_frames);
	RUN(test_equal_timestamps);
	RUN(test_prefix_collision);
	RUN(test_small_frames);
	RUN(test_since_window);
	RUN(test_new_validation);
	RUN(test_hostile);
	RUN(test_hostile_initiator_side);
	TEST_EXIT();
}
