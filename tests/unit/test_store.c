/* tests/unit/test_store.c — the LMDB store: round trips, indexes, limits, fsck. */
#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tests/test.h"
#include "node/store.h"

#define MIB ((size_t)1 << 20)

/* ---- fixtures --------------------------------------------------------- */

static char *tmpdir(void)
{
	char tmpl[] = "/tmp/sm-store-XXXXXX";
	char *d = mkdtemp(tmpl);
	return d ? strdup(d) : NULL;
}

static void rmstore(char *dir)
{
	char p[512];
	if (!dir)
		return;
	snprintf(p, sizeof(p), "%s/data.mdb", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/lock.mdb", dir);
	unlink(p);
	rmdir(dir);
	free(dir);
}

/* A fake object: len bytes derived from seed, and meta whose id is their
 * BLAKE2b-256 (what the store requires of every object). */
typedef struct fake {
	uint8_t bytes[20000];
	size_t len;
	store_meta m;
} fake;

static void mkfake(fake *f, uint32_t seed, size_t len, uint8_t type, uint8_t org,
    uint64_t seq, uint64_t created)
{
	uint8_t key[crypto_generichash_KEYBYTES] = { 0 };

	memcpy(key, &seed, sizeof(seed));
	f->len = len;
	/* a keyed hash stretched over the buffer: deterministic per seed */
	for (size_t off = 0; off < len; off += 64) {
		uint8_t blk[64];
		uint64_t ctr = off;
		crypto_generichash(blk, sizeof(blk), (uint8_t *)&ctr, sizeof(ctr), key, sizeof(key));
		memcpy(f->bytes + off, blk, len - off < 64 ? len - off : 64);
	}
	memset(&f->m, 0, sizeof(f->m));
	crypto_generichash(f->m.id, SM_ID_LEN, f->bytes, len, NULL, 0);
	f->m.type = type;
	f->m.tlp = SM_TLP_AMBER;
	memset(f->m.originator, org, SM_ID_LEN);
	f->m.seq = seq;
	f->m.created_ms = created;
}

static int put1(store_t *s, fake *f, sm_err *e)
{
	sm_err_clear(e);
	return store_put(s, &f->m, f->bytes, f->len, e);
}

/* One object in its own batch. */
static int put_commit(store_t *s, fake *f)
{
	sm_err e = { 0 };
	if (store_begin(s, &e) != 0)
		return -1;
	if (put1(s, f, &e) != 0) {
		store_abort(s);
		return -1;
	}
	return store_commit(s, &e);
}

/* Raw LMDB access for fault injection, with the store closed. */
static int raw_open(const char *dir, MDB_env **env, MDB_txn **txn, const char *db, MDB_dbi *dbi)
{
	if (mdb_env_create(env) || mdb_env_set_maxdbs(*env, 8) ||
	    mdb_env_open(*env, dir, 0, 0600))
		return -1;
	if (mdb_txn_begin(*env, NULL, 0, txn) || mdb_dbi_open(*txn, db, 0, dbi))
		return -1;
	return 0;
}

/* ---- cases ------------------------------------------------------------ */

static void test_roundtrip(void)
{
	char *dir = tmpdir();
	sm_err e = { 0 };
	store_t *s = store_open(dir, 16 * MIB, &e);
	fake a, b, c;
	store_meta got;
	size_t len = 0;
	uint8_t *p;

	CHECKF(s != NULL, "%s", e.msg);
	if (!s)
		goto out;
	mkfake(&a, 1, 1000, SM_MSG_REPORT, 1, 1, 5000);
	mkfake(&b, 2, 300, SM_MSG_SIGHTING, 2, 1, 6000);
	b.m.has_ref = true;
	memcpy(b.m.ref, a.m.id, SM_ID_LEN);
	mkfake(&c, 3, 1, SM_MSG_RELEASE, 1, 2, 7000);

	/* writes need a batch */
	CHECK(put1(s, &a, &e) == -1 && e.code == SM_EINVAL);
	CHECK(store_begin(s, &e) == 0);
	CHECK(store_begin(s, &e) == -1);
	CHECK(put1(s, &a, &e) == 0 && a.m.arrival == 1 && a.m.received_ms > 0);
	CHECK(put1(s, &b, &e) == 0 && b.m.arrival == 2);
	/* the batch sees its own writes before commit */
	CHECK(store_has(s, a.m.id));
	CHECK(put1(s, &c, &e) == 0 && c.m.arrival == 3);
	CHECK(store_commit(s, &e) == 0);
	CHECK(store_commit(s, &e) == -1);

	sm_err_clear(&e);
	p = store_get(s, b.m.id, &got, &len, &e);
	CHECK(p && len == b.len && memcmp(p, b.bytes, len) == 0);
	CHECK(got.type == SM_MSG_SIGHTING && got.tlp == SM_TLP_AMBER && got.seq == 1 &&
	    got.created_ms == 6000 && got.arrival == 2 && got.has_ref &&
	    memcmp(got.ref, a.m.id, SM_ID_LEN) == 0 && got.received_ms == b.m.received_ms &&
	    memcmp(got.originator, b.m.originator, SM_ID_LEN) == 0 &&
	    memcmp(got.id, b.m.id, SM_ID_LEN) == 0);
	free(p);
	p = store_get(s, c.m.id, &got, &len, &e);
	CHECK(p && len == 1 && p[0] == c.bytes[0] && !got.has_ref);
	free(p);

	/* unknown id */
	uint8_t nope[SM_ID_LEN] = { 9 };
	sm_err_clear(&e);
	CHECK(!store_has(s, nope));
	CHECK(store_get(s, nope, NULL, &len, &e) == NULL && e.code == SM_ENOTFOUND);

	/* an id that is not the hash of the bytes is refused */
	fake d;
	mkfake(&d, 4, 50, SM_MSG_REPORT, 1, 3, 1);
	d.m.id[0] ^= 1;
	CHECK(store_begin(s, &e) == 0);
	CHECK(put1(s, &d, &e) == -1 && e.code == SM_EINVAL);
	d.m.id[0] ^= 1;
	d.m.type = 9;
	CHECK(put1(s, &d, &e) == -1 && e.code == SM_ETYPE);
	d.m.type = SM_MSG_REPORT;
	CHECK(put1(s, &d, &e) == 0);
	/* abort drops the batch */
	store_abort(s);
	CHECK(!store_has(s, d.m.id));
	CHECK(store_has(s, a.m.id));
out:
	store_destroy(&s);
	store_destroy(&s);	/* idempotent */
	CHECK(s == NULL);
	rmstore(dir);
}

static void test_duplicate_and_replay(void)
{
	char *dir = tmpdir();
	sm_err e = { 0 };
	store_t *s = store_open(dir, 16 * MIB, &e);
	fake a, twin, other;
	uint8_t id[SM_ID_LEN];

	CHECK(s != NULL);
	if (!s)
		goto out;
	mkfake(&a, 10, 200, SM_MSG_REPORT, 7, 42, 1);
	mkfake(&twin, 11, 200, SM_MSG_REPORT, 7, 42, 1);	/* same orig+seq, other bytes */
	mkfake(&other, 12, 200, SM_MSG_REPORT, 7, 43, 1);
	CHECK(put_commit(s, &a) == 0);

	CHECK(store_begin(s, &e) == 0);
	CHECK(put1(s, &a, &e) == -1 && e.code == SM_EEXISTS);
	CHECK(put1(s, &twin, &e) == -1 && e.code == SM_EREPLAY);
	CHECK(strstr(e.msg, "seq 42") != NULL);
	/* neither failure spoiled the batch */
	CHECK(put1(s, &other, &e) == 0);
	CHECK(store_commit(s, &e) == 0);
	CHECK(store_has(s, other.m.id));
	CHECK(!store_has(s, twin.m.id));

	CHECK(store_has_origseq(s, a.m.originator, 42, id) && memcmp(id, a.m.id, SM_ID_LEN) == 0);
	CHECK(store_has_origseq(s, a.m.originator, 43, NULL));
	CHECK(!store_has_origseq(s, a.m.originator, 44, id));
	/* the same object inside one batch twice */
	fake x;
	mkfake(&x, 13, 10, SM_MSG_SIGHTING, 8, 1, 1);
	CHECK(store_begin(s, &e) == 0);
	CHECK(put1(s, &x, &e) == 0);
	CHECK(put1(s, &x, &e) == -1 && e.code == SM_EEXISTS);
	CHECK(store_commit(s, &e) == 0);
out:
	store_destroy(&s);
	rmstore(dir);
}

struct collect {
	int n;
	uint64_t created[64];
	uint8_t ids[64][SM_ID_LEN];
	int stop_after;
};

static int collect_obj(void *ctx, const store_meta *m, const uint8_t *obj, size_t len)
{
	struct collect *c = ctx;
	uint8_t h[SM_ID_LEN];

	crypto_generichash(h, sizeof(h), obj, len, NULL, 0);
	if (memcmp(h, m->id, SM_ID_LEN) != 0)
		return -1;	/* meta and bytes must belong together */
	if (c->n < 64) {
		c->created[c->n] = m->created_ms;
		memcpy(c->ids[c->n], m->id, SM_ID_LEN);
	}
	c->n++;
	return c->stop_after && c->n >= c->stop_after ? 1 : 0;
}

static int collect_id(void *ctx, const uint8_t id[SM_ID_LEN])
{
	struct collect *c = ctx;
	if (c->n < 64)
		memcpy(c->ids[c->n], id, SM_ID_LEN);
	c->n++;
	return 0;
}

static void test_created_and_arrival_order(void)
{
	char *dir = tmpdir();
	sm_err e = { 0 };
	store_t *s = store_open(dir, 16 * MIB, &e);
	static const uint64_t when[] = { 500, 100, 300, 100, 900, 200, 700 };
	fake f[7];
	struct collect c;

	CHECK(s != NULL);
	if (!s)
		goto out;
	CHECK(store_begin(s, &e) == 0);
	for (int i = 0; i < 7; i++) {
		mkfake(&f[i], 100 + i, 64, SM_MSG_REPORT, 3, i + 1, when[i]);
		CHECK(put1(s, &f[i], &e) == 0);
	}
	CHECK(store_commit(s, &e) == 0);

	memset(&c, 0, sizeof(c));
	CHECK(store_each_created(s, 0, UINT64_MAX, collect_obj, &c, &e) == 0);
	CHECK(c.n == 7);
	for (int i = 1; i < 7 && i < c.n; i++)
		CHECK(c.created[i - 1] <= c.created[i]);
	/* ties are ordered by id */
	CHECK(c.created[0] == 100 && c.created[1] == 100 &&
	    memcmp(c.ids[0], c.ids[1], SM_ID_LEN) < 0);

	/* [from, to): 200 included, 700 excluded */
	memset(&c, 0, sizeof(c));
	CHECK(store_each_created(s, 200, 700, collect_obj, &c, &e) == 0);
	CHECK(c.n == 3 && c.created[0] == 200 && c.created[1] == 300 && c.created[2] == 500);
	memset(&c, 0, sizeof(c));
	CHECK(store_each_created(s, 901, 5000, collect_obj, &c, &e) == 0 && c.n == 0);
	/* callback stops early */
	memset(&c, 0, sizeof(c));
	c.stop_after = 2;
	CHECK(store_each_created(s, 0, UINT64_MAX, collect_obj, &c, &e) == 0 && c.n == 2);

	/* arrival order, exclusive of "after" */
	memset(&c, 0, sizeof(c));
	CHECK(store_each_arrival(s, 0, collect_obj, &c, &e) == 0 && c.n == 7);
	CHECK(memcmp(c.ids[0], f[0].m.id, SM_ID_LEN) == 0 &&
	    memcmp(c.ids[6], f[6].m.id, SM_ID_LEN) == 0);
	memset(&c, 0, sizeof(c));
	CHECK(store_each_arrival(s, 5, collect_obj, &c, &e) == 0 && c.n == 2);
	CHECK(memcmp(c.ids[0], f[5].m.id, SM_ID_LEN) == 0);
out:
	store_destroy(&s);
	rmstore(dir);
}

static void test_refs_and_indicators(void)
{
	char *dir = tmpdir();
	sm_err e = { 0 };
	store_t *s = store_open(dir, 16 * MIB, &e);
	fake r1, r2, s1, s2, s3;
	struct collect c;
	char longurl[700], longurl2[700], edge[511];
	store_stats st;

	CHECK(s != NULL);
	if (!s)
		goto out;
	mkfake(&r1, 200, 500, SM_MSG_REPORT, 1, 1, 10);
	mkfake(&r2, 201, 500, SM_MSG_REPORT, 2, 1, 10);
	mkfake(&s1, 202, 80, SM_MSG_SIGHTING, 3, 1, 11);
	mkfake(&s2, 203, 80, SM_MSG_RETRACTION, 1, 2, 12);
	mkfake(&s3, 204, 80, SM_MSG_SIGHTING, 3, 2, 13);
	s1.m.has_ref = s2.m.has_ref = s3.m.has_ref = true;
	memcpy(s1.m.ref, r1.m.id, SM_ID_LEN);
	memcpy(s2.m.ref, r1.m.id, SM_ID_LEN);
	memcpy(s3.m.ref, r2.m.id, SM_ID_LEN);

	memset(longurl, 'a', sizeof(longurl) - 1);
	longurl[sizeof(longurl) - 1] = 0;
	memcpy(longurl, "http://", 7);
	memcpy(longurl2, longurl, sizeof(longurl));
	longurl2[600] = 'b';		/* differs past the first 511 bytes */
	memset(edge, 'e', sizeof(edge) - 1);	/* exactly 510 bytes: still literal */
	edge[sizeof(edge) - 1] = 0;

	CHECK(store_begin(s, &e) == 0);
	CHECK(put1(s, &r1, &e) == 0 && put1(s, &r2, &e) == 0);
	CHECK(put1(s, &s1, &e) == 0 && put1(s, &s2, &e) == 0 && put1(s, &s3, &e) == 0);
	CHECK(store_index(s, IND_DOMAIN, "evil.example", r1.m.id, &e) == 0);
	CHECK(store_index(s, IND_DOMAIN, "evil.example", r2.m.id, &e) == 0);
	CHECK(store_index(s, IND_DOMAIN, "evil.example", r2.m.id, &e) == 0);	/* idempotent */
	CHECK(store_index(s, IND_URL, longurl, r1.m.id, &e) == 0);
	CHECK(store_index(s, IND_URL, longurl2, r2.m.id, &e) == 0);
	CHECK(store_index(s, IND_SUBJECT, edge, r2.m.id, &e) == 0);
	sm_err_clear(&e);
	CHECK(store_index(s, IND_DOMAIN, "x.example", s1.m.id, &e) == -1 && e.code == SM_EINVAL);
	sm_err_clear(&e);
	uint8_t nope[SM_ID_LEN] = { 1 };
	CHECK(store_index(s, IND_DOMAIN, "x.example", nope, &e) == -1 && e.code == SM_ENOTFOUND);
	sm_err_clear(&e);
	CHECK(store_index(s, 0, "x.example", r1.m.id, &e) == -1 && e.code == SM_EINVAL);
	sm_err_clear(&e);
	CHECK(store_index(s, IND_DOMAIN, "", r1.m.id, &e) == -1 && e.code == SM_EINVAL);
	CHECK(store_commit(s, &e) == 0);

	memset(&c, 0, sizeof(c));
	CHECK(store_each_ref(s, r1.m.id, collect_obj, &c, &e) == 0 && c.n == 2);
	memset(&c, 0, sizeof(c));
	CHECK(store_each_ref(s, r2.m.id, collect_obj, &c, &e) == 0 && c.n == 1 &&
	    memcmp(c.ids[0], s3.m.id, SM_ID_LEN) == 0);
	memset(&c, 0, sizeof(c));
	CHECK(store_each_ref(s, s1.m.id, collect_obj, &c, &e) == 0 && c.n == 0);

	memset(&c, 0, sizeof(c));
	CHECK(store_each_indicator(s, IND_DOMAIN, "evil.example", collect_id, &c, &e) == 0 &&
	    c.n == 2);
	memset(&c, 0, sizeof(c));
	CHECK(store_each_indicator(s, IND_HOST, "evil.example", collect_id, &c, &e) == 0 &&
	    c.n == 0);	/* same value, other type */
	memset(&c, 0, sizeof(c));
	CHECK(store_each_indicator(s, IND_URL, longurl, collect_id, &c, &e) == 0 && c.n == 1 &&
	    memcmp(c.ids[0], r1.m.id, SM_ID_LEN) == 0);
	memset(&c, 0, sizeof(c));
	CHECK(store_each_indicator(s, IND_URL, longurl2, collect_id, &c, &e) == 0 && c.n == 1 &&
	    memcmp(c.ids[0], r2.m.id, SM_ID_LEN) == 0);
	memset(&c, 0, sizeof(c));
	CHECK(store_each_indicator(s, IND_SUBJECT, edge, collect_id, &c, &e) == 0 && c.n == 1);
	memset(&c, 0, sizeof(c));
	CHECK(store_each_indicator(s, IND_DOMAIN, "evil.exampl", collect_id, &c, &e) == 0 &&
	    c.n == 0);

	CHECK(store_stat(s, &st, &e) == 0);
	CHECK(st.objects == 5 && st.reports == 2 && st.sightings == 2 && st.retractions == 1 &&
	    st.releases == 0 && st.indicators == 5 && st.last_arrival == 5);
	CHECK(st.map_size == 16 * MIB && st.bytes_used > 0 && st.bytes_used < st.map_size);
out:
	store_destroy(&s);
	rmstore(dir);
}

static void test_meta(void)
{
	char *dir = tmpdir();
	sm_err e = { 0 };
	store_t *s = store_open(dir, 16 * MIB, &e);
	uint8_t buf[16];
	size_t len = 0;

	CHECK(s != NULL);
	if (!s)
		goto out;
	CHECK(store_get_meta(s, "own_seq", buf, sizeof(buf), &len, &e) == -1 &&
	    e.code == SM_ENOTFOUND);
	sm_err_clear(&e);
	CHECK(store_set_meta(s, "own_seq", "\x00\x07", 2, &e) == -1 && e.code == SM_EINVAL);
	sm_err_clear(&e);
	CHECK(store_begin(s, &e) == 0);
	CHECK(store_set_meta(s, "own_seq", "\x00\x07", 2, &e) == 0);
	CHECK(store_get_meta(s, "own_seq", buf, sizeof(buf), &len, &e) == 0 && len == 2);
	CHECK(store_set_meta(s, "store.counters", "x", 1, &e) == -1 && e.code == SM_EINVAL);
	sm_err_clear(&e);
	CHECK(store_set_meta(s, "empty", NULL, 0, &e) == 0);
	CHECK(store_commit(s, &e) == 0);
	CHECK(store_get_meta(s, "own_seq", buf, sizeof(buf), &len, &e) == 0 && len == 2 &&
	    buf[1] == 7);
	CHECK(store_get_meta(s, "empty", buf, sizeof(buf), &len, &e) == 0 && len == 0);
	CHECK(store_get_meta(s, "own_seq", buf, 1, &len, &e) == -1 && e.code == SM_EBOUND &&
	    len == 2);
out:
	store_destroy(&s);
	rmstore(dir);
}

static void test_reopen(void)
{
	char *dir = tmpdir();
	sm_err e = { 0 };
	store_t *s = store_open(dir, 16 * MIB, &e);
	fake f[20], g;
	store_stats st;
	uint64_t bad = 99;
	size_t len;
	uint8_t *p;
	struct collect c;

	CHECK(s != NULL);
	if (!s)
		goto out;
	for (int b = 0; b < 4; b++) {
		CHECK(store_begin(s, &e) == 0);
		for (int i = 0; i < 5; i++) {
			mkfake(&f[b * 5 + i], 300 + b * 5 + i, 100 + 97 * i, SM_MSG_REPORT, 4,
			    b * 5 + i + 1, 1000 + i);
			CHECK(put1(s, &f[b * 5 + i], &e) == 0);
		}
		CHECK(store_index(s, IND_IPV4, "192.0.2.1", f[b * 5].m.id, &e) == 0);
		CHECK(store_commit(s, &e) == 0);
	}
	CHECK(store_begin(s, &e) == 0);
	CHECK(store_set_meta(s, "peer", "abc", 3, &e) == 0);
	CHECK(store_commit(s, &e) == 0);
	store_destroy(&s);

	s = store_open(dir, 16 * MIB, &e);
	CHECKF(s != NULL, "%s", e.msg);
	if (!s)
		goto out;
	for (int i = 0; i < 20; i++) {
		p = store_get(s, f[i].m.id, NULL, &len, &e);
		CHECK(p && len == f[i].len && memcmp(p, f[i].bytes, len) == 0);
		free(p);
	}
	memset(&c, 0, sizeof(c));
	CHECK(store_each_indicator(s, IND_IPV4, "192.0.2.1", collect_id, &c, &e) == 0 && c.n == 4);
	CHECK(store_stat(s, &st, &e) == 0 && st.objects == 20 && st.indicators == 4 &&
	    st.last_arrival == 20);
	char v[8];
	CHECK(store_get_meta(s, "peer", v, sizeof(v), &len, &e) == 0 && len == 3);
	/* arrival continues after the last one stored */
	mkfake(&g, 399, 10, SM_MSG_RELEASE, 4, 100, 5);
	CHECK(put_commit(s, &g) == 0);
	p = store_get(s, g.m.id, &g.m, &len, &e);
	CHECK(p != NULL && g.m.arrival == 21);
	free(p);
	CHECK(store_check(s, NULL, NULL, NULL, &bad, &e) == 0 && bad == 0);
	/* replay protection survives the reopen */
	fake twin;
	mkfake(&twin, 398, 10, SM_MSG_REPORT, 4, 1, 5);
	CHECK(store_begin(s, &e) == 0);
	CHECK(put1(s, &twin, &e) == -1 && e.code == SM_EREPLAY);
	store_abort(s);
out:
	store_destroy(&s);
	rmstore(dir);
}

static void test_map_full(void)
{
	char *dir = tmpdir();
	sm_err e = { 0 };
	store_t *s = store_open_ex(dir, MIB, MIB, &e);
	static fake f[200];
	int n = 0, failed_code = 0;
	uint64_t bad = 1;
	char msg[256] = "";

	CHECKF(s != NULL, "%s", e.msg);
	if (!s)
		goto out;
	/* 16 KiB objects, 4 per batch, until the 1 MiB map is full */
	for (int b = 0; b < 50 && !failed_code; b++) {
		int start = n;
		CHECK(store_begin(s, &e) == 0);
		for (int i = 0; i < 4; i++, n++) {
			mkfake(&f[n], 400 + n, 16384, SM_MSG_REPORT, 5, n + 1, n);
			if (put1(s, &f[n], &e) != 0) {
				failed_code = e.code;
				snprintf(msg, sizeof(msg), "%s", e.msg);
				sm_err_clear(&e);
				/* the batch is gone; commit reports the same error */
				CHECK(store_commit(s, &e) == -1 && e.code == SM_EFULL);
				break;
			}
		}
		if (!failed_code) {
			sm_err_clear(&e);
			if (store_commit(s, &e) != 0) {
				failed_code = e.code;
				snprintf(msg, sizeof(msg), "%s", e.msg);
			}
		}
		if (failed_code)
			n = start;	/* nothing of this batch was stored */
	}
	CHECKF(failed_code == SM_EFULL, "code %d: %s", failed_code, msg);
	CHECKF(strstr(msg, "map size 1 MiB") && strstr(msg, "raise map_size_mb"), "%s", msg);
	CHECK(n > 20);
	/* everything committed before is still there */
	for (int i = 0; i < n; i++)
		CHECK(store_has(s, f[i].m.id));
	CHECK(!store_has(s, f[n].m.id));
	CHECK(store_check(s, NULL, NULL, NULL, &bad, &e) == 0 && bad == 0);
	/* and the store still takes a new batch (a small object fits) */
	fake tiny;
	mkfake(&tiny, 999, 8, SM_MSG_SIGHTING, 6, 1, 1);
	sm_err_clear(&e);
	CHECK(store_begin(s, &e) == 0);
	store_abort(s);
	store_destroy(&s);

	/* a larger map: the same writes now succeed */
	s = store_open(dir, 4 * MIB, &e);
	CHECKF(s != NULL, "%s", e.msg);
	if (!s)
		goto out;
	CHECK(put_commit(s, &f[n]) == 0 && put_commit(s, &tiny) == 0);
	CHECK(store_has(s, f[0].m.id) && store_has(s, f[n].m.id));
	store_destroy(&s);
	rmstore(dir);

	/* growth: start at 1 MiB, cap 4 MiB; writes succeed past 1 MiB */
	dir = tmpdir();
	s = store_open_ex(dir, MIB, 4 * MIB, &e);
	CHECK(s != NULL);
	if (!s)
		goto out;
	int stored = 0, grown = 0, full = 0;
	store_stats st;
	for (int i = 0; i < 400 && !full; i++) {
		fake *x = &f[i % 200];
		mkfake(x, 5000 + i, 16384, SM_MSG_REPORT, 7, i + 1, i);
		sm_err_clear(&e);
		if (store_begin(s, &e) == 0 && put1(s, x, &e) == 0 && store_commit(s, &e) == 0) {
			stored++;
			continue;
		}
		store_abort(s);
		CHECK(e.code == SM_EFULL);
		if (strstr(e.msg, "grown to"))
			grown++;
		else
			full = 1;
		i--;	/* retry the same object once the map grew */
		if (grown > 10)
			break;
	}
	CHECK(full);
	CHECK(store_stat(s, &st, &e) == 0 && st.map_size == 4 * MIB && st.objects == (uint64_t)stored);
	CHECKF(stored > 150, "stored %d", stored);	/* ~4x what 1 MiB held */
	CHECK(store_check(s, NULL, NULL, NULL, &bad, &e) == 0 && bad == 0);
out:
	store_destroy(&s);
	rmstore(dir);
}

struct problems {
	int n;
	char last[300];
	uint8_t reject[SM_ID_LEN];
};

static void on_problem(void *ctx, const char *text)
{
	struct problems *p = ctx;
	p->n++;
	snprintf(p->last, sizeof(p->last), "%s", text);
}

static int verify_reject(void *ctx, const uint8_t *obj, size_t len)
{
	struct problems *p = ctx;
	uint8_t h[SM_ID_LEN];
	crypto_generichash(h, sizeof(h), obj, len, NULL, 0);
	return memcmp(h, p->reject, SM_ID_LEN) == 0 ? -1 : 0;
}

static void test_check_finds_damage(void)
{
	char *dir = tmpdir();
	sm_err e = { 0 };
	store_t *s = store_open(dir, 16 * MIB, &e);
	fake f[6];
	uint64_t bad = 99;
	struct problems pr;
	MDB_env *env = NULL;
	MDB_txn *txn;
	MDB_dbi dbi;
	uint8_t akey[8] = { 0, 0, 0, 0, 0, 0, 0, 3 };

	CHECK(s != NULL);
	if (!s)
		goto out;
	CHECK(store_begin(s, &e) == 0);
	for (int i = 0; i < 6; i++) {
		mkfake(&f[i], 600 + i, 200, i ? SM_MSG_SIGHTING : SM_MSG_REPORT, 9, i + 1, i);
		if (i) {
			f[i].m.has_ref = true;
			memcpy(f[i].m.ref, f[0].m.id, SM_ID_LEN);
		}
		CHECK(put1(s, &f[i], &e) == 0);
	}
	CHECK(store_index(s, IND_SHA256, "aa", f[0].m.id, &e) == 0);
	CHECK(store_commit(s, &e) == 0);

	memset(&pr, 0, sizeof(pr));
	CHECK(store_check(s, verify_reject, on_problem, &pr, &bad, &e) == 0 && bad == 0 && pr.n == 0);
	/* verify() failing is a problem */
	memcpy(pr.reject, f[2].m.id, SM_ID_LEN);
	CHECK(store_check(s, verify_reject, on_problem, &pr, &bad, &e) == 0 && bad == 1 &&
	    strstr(pr.last, "does not verify"));
	store_destroy(&s);

	/* delete one ids entry behind the store's back */
	CHECK(raw_open(dir, &env, &txn, "ids", &dbi) == 0);
	MDB_val k = { SM_ID_LEN, f[1].m.id };
	CHECK(mdb_del(txn, dbi, &k, NULL) == 0);
	CHECK(mdb_txn_commit(txn) == 0);
	mdb_env_close(env);
	s = store_open(dir, 16 * MIB, &e);
	CHECK(s != NULL);
	if (!s)
		goto out;
	memset(&pr, 0, sizeof(pr));
	CHECK(store_check(s, NULL, on_problem, &pr, &bad, &e) == 0);
	/* msgs, origseq, created and refs all point at the lost record */
	CHECKF(bad >= 4 && pr.n == (int)bad, "bad %llu n %d", (unsigned long long)bad, pr.n);
	store_destroy(&s);

	/* flip a byte of a stored object: its hash no longer matches */
	CHECK(raw_open(dir, &env, &txn, "msgs", &dbi) == 0);
	MDB_val ak = { 8, akey }, v;
	uint8_t copy[200];
	CHECK(mdb_get(txn, dbi, &ak, &v) == 0 && v.mv_size == 200);
	memcpy(copy, v.mv_data, 200);
	copy[17] ^= 0x40;
	v.mv_data = copy;
	CHECK(mdb_put(txn, dbi, &ak, &v, 0) == 0);
	CHECK(mdb_txn_commit(txn) == 0);
	mdb_env_close(env);
	s = store_open(dir, 16 * MIB, &e);
	CHECK(s != NULL);
	if (!s)
		goto out;
	uint64_t bad2 = 0;
	CHECK(store_check(s, NULL, NULL, NULL, &bad2, &e) == 0 && bad2 > bad);
	/* reading the damaged object by arrival reports corruption, not garbage */
	struct collect c;
	memset(&c, 0, sizeof(c));
	sm_err_clear(&e);
	CHECK(store_each_arrival(s, 0, collect_obj, &c, &e) == -1 && e.code == SM_EIO);
out:
	store_destroy(&s);
	rmstore(dir);
}

static void test_open_errors(void)
{
	char *dir = tmpdir();
	char path[512];
	sm_err e = { 0 };
	store_t *s;
	FILE *fp;

	/* missing parent directory */
	snprintf(path, sizeof(path), "%s/no/such/dir", dir);
	s = store_open(path, 0, &e);
	CHECKF(s == NULL && e.code == SM_EIO && strstr(e.msg, path), "%d %s", e.code, e.msg);
	store_destroy(&s);

	/* a regular file where the directory should be */
	snprintf(path, sizeof(path), "%s/file", dir);
	fp = fopen(path, "w");
	CHECK(fp != NULL);
	if (fp)
		fclose(fp);
	sm_err_clear(&e);
	s = store_open(path, 0, &e);
	CHECKF(s == NULL && e.code == SM_EIO && strstr(e.msg, path), "%d %s", e.code, e.msg);
	unlink(path);

	/* a data file that is not LMDB */
	snprintf(path, sizeof(path), "%s/junk", dir);
	mkdir(path, 0700);
	char f2[600];
	snprintf(f2, sizeof(f2), "%s/data.mdb", path);
	fp = fopen(f2, "w");
	if (fp) {
		for (int i = 0; i < 8192; i++)
			fputc(i * 7, fp);
		fclose(fp);
	}
	sm_err_clear(&e);
	s = store_open(path, 0, &e);
	CHECKF(s == NULL && e.code == SM_EIO && strstr(e.msg, path), "%d %s", e.code, e.msg);
	unlink(f2);
	snprintf(f2, sizeof(f2), "%s/lock.mdb", path);
	unlink(f2);
	rmdir(path);

	/* a store written by a future version */
	snprintf(path, sizeof(path), "%s/future", dir);
	sm_err_clear(&e);
	s = store_open(path, 0, &e);
	CHECK(s != NULL);
	store_destroy(&s);
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	CHECK(raw_open(path, &env, &txn, "meta", &dbi) == 0);
	MDB_val k = { 13, "store.version" }, v = { 4, "\0\0\0\2" };
	CHECK(mdb_put(txn, dbi, &k, &v, 0) == 0 && mdb_txn_commit(txn) == 0);
	mdb_env_close(env);
	s = store_open(path, 0, &e);
	CHECKF(s == NULL && e.code == SM_EVERSION, "%d %s", e.code, e.msg);
	char *sub = strdup(path);
	rmstore(sub);

	/* read-only directory */
	snprintf(path, sizeof(path), "%s/ro", dir);
	mkdir(path, 0500);
	if (geteuid() == 0) {
		/* root ignores permissions: check as nobody, in a child (the
		 * directories above are opened for traversal meanwhile) */
		pid_t pid;
		int status = -1;
		chmod(dir, 0711);
		if ((pid = fork()) == 0) {
			sm_err ce = {0};
			store_t *cs;
			if (setgid(65534) != 0 || setuid(65534) != 0)
				_exit(3);
			cs = store_open(path, 0, &ce);
			_exit(cs == NULL && ce.code == SM_EPERM && strstr(ce.msg, path) ? 0 : 1);
		}
		CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
		CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
		chmod(dir, 0700);
	} else {
		sm_err_clear(&e);
		s = store_open(path, 0, &e);
		CHECKF(s == NULL && e.code == SM_EPERM && strstr(e.msg, path), "%d %s", e.code, e.msg);
	}
	rmdir(path);
	/* a new directory is created private */
	struct stat st;
	snprintf(path, sizeof(path), "%s/fresh", dir);
	sm_err_clear(&e);
	s = store_open(path, 0, &e);
	CHECK(s != NULL && stat(path, &st) == 0 && (st.st_mode & 0777) == 0700);
	CHECK(s && strcmp(store_path(s), path) == 0);
	store_destroy(&s);
	rmstore(strdup(path));
	rmstore(dir);
}

struct reader {
	store_t *s;
	uint8_t id[SM_ID_LEN];
	int seen;
};

static void *reader_thread(void *arg)
{
	struct reader *r = arg;
	r->seen = store_has(r->s, r->id);
	return NULL;
}

static void test_other_thread_reads(void)
{
	char *dir = tmpdir();
	sm_err e = { 0 };
	store_t *s = store_open(dir, 16 * MIB, &e);
	struct reader r = { .s = s };
	pthread_t t;
	fake f;

	CHECK(s != NULL);
	if (!s)
		goto out;
	mkfake(&f, 700, 100, SM_MSG_REPORT, 1, 1, 1);
	memcpy(r.id, f.m.id, SM_ID_LEN);
	CHECK(store_begin(s, &e) == 0 && put1(s, &f, &e) == 0);
	/* another thread does not see the open batch; the owner does */
	r.seen = -1;
	CHECK(pthread_create(&t, NULL, reader_thread, &r) == 0 && pthread_join(t, NULL) == 0);
	CHECK(r.seen == 0 && store_has(s, f.m.id));
	CHECK(store_commit(s, &e) == 0);
	CHECK(pthread_create(&t, NULL, reader_thread, &r) == 0 && pthread_join(t, NULL) == 0);
	CHECK(r.seen == 1);
out:
	store_destroy(&s);
	rmstore(dir);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	RUN(test_roundtrip);
	RUN(test_duplicate_and_replay);
	RUN(test_created_and_arrival_order);
	RUN(test_refs_and_indicators);
	RUN(test_meta);
	RUN(test_reopen);
	RUN(test_map_full);
	RUN(test_check_finds_damage);
	RUN(test_open_errors);
	RUN(test_other_thread_reads);
	TEST_EXIT();
}
