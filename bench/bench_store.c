/*
 * bench/bench_store.c — durable batched writes and reads of node/store.c.
 *
 *   bench_store [batches]     (default 64 batches of 256 objects of 1 KiB)
 *
 * Rows:
 *   store put      store_put of reports with everything a report costs:
 *                  msgs (ascending arrival, MDB_APPEND), ids, origseq,
 *                  created, counters and 5 indicator entries; one durable
 *                  commit (fsync) per batch.
 *   baseline       the same bytes into one plain LMDB table keyed by the
 *                  random 32-byte ids, one durable commit per batch.
 *   plain append   the same bytes into one plain table keyed by ascending
 *                  u64, to separate key order from index cost.
 *   store get      store_get by random stored id (read txn, copy out).
 *   baseline get   mdb_get by random id in the baseline table.
 * Prints a markdown section on stdout; works in a temp dir under /tmp.
 */
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "node/store.h"

#define BATCH 256
#define OBJ 1024
#define N_IND 5
#define N_READS 200000

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void rmstore(const char *dir)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/data.mdb", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/lock.mdb", dir);
	unlink(p);
	rmdir(dir);
}

/* Plain table: keys either the ids (random) or ascending u64. */
static double plain_put(const char *dir, uint8_t *bytes, uint8_t (*ids)[SM_ID_LEN],
    size_t n, int ascending, MDB_env **envp, MDB_dbi *dbip)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	double t0, t1;

	if (mdb_env_create(&env) || mdb_env_set_mapsize(env, (size_t)1 << 30) ||
	    mdb_env_open(env, dir, MDB_NOTLS, 0600))
		return -1;
	if (mdb_txn_begin(env, NULL, 0, &txn) || mdb_dbi_open(txn, NULL, 0, &dbi) ||
	    mdb_txn_commit(txn))
		return -1;
	t0 = now();
	for (size_t b = 0; b < n; b += BATCH) {
		if (mdb_txn_begin(env, NULL, 0, &txn))
			return -1;
		for (size_t i = b; i < b + BATCH && i < n; i++) {
			uint8_t k8[8];
			for (int j = 0; j < 8; j++)
				k8[j] = (uint8_t)((i + 1) >> (56 - 8 * j));
			MDB_val k = ascending ? (MDB_val){ 8, k8 } : (MDB_val){ SM_ID_LEN, ids[i] };
			MDB_val v = { OBJ, bytes + i * OBJ };
			if (mdb_put(txn, dbi, &k, &v, ascending ? MDB_APPEND : 0))
				return -1;
		}
		if (mdb_txn_commit(txn))
			return -1;
	}
	t1 = now();
	*envp = env;
	*dbip = dbi;
	return t1 - t0;
}

int main(int argc, char **argv)
{
	size_t batches = argc > 1 ? strtoul(argv[1], NULL, 10) : 64;
	size_t n = batches * BATCH;
	char base[] = "/tmp/sm-bench-store-XXXXXX", d1[600], d2[600], d3[600];
	uint8_t *bytes = NULL, (*ids)[SM_ID_LEN] = NULL;
	double t_store, t_base, t_app, t_get, t_bget;
	store_t *s = NULL;
	store_stats st;
	MDB_env *benv = NULL, *aenv = NULL;
	MDB_dbi bdbi, adbi;
	sm_err e = { 0 };
	uint8_t org[8][SM_ID_LEN];
	uint64_t seq[8] = { 0 };
	size_t len, found = 0;
	int rc = 1;

	if (sodium_init() < 0 || batches == 0 || batches > 4096 || !mkdtemp(base))
		return 1;
	snprintf(d1, sizeof(d1), "%s/store", base);
	snprintf(d2, sizeof(d2), "%s/base", base);
	snprintf(d3, sizeof(d3), "%s/append", base);
	mkdir(d2, 0700);
	mkdir(d3, 0700);
	bytes = malloc(n * OBJ);
	ids = malloc(n * SM_ID_LEN);
	if (!bytes || !ids)
		goto out;
	/* All input made up front so only the store is timed. */
	randombytes_buf(bytes, n * OBJ);
	randombytes_buf(org, sizeof(org));
	for (size_t i = 0; i < n; i++)
		crypto_generichash(ids[i], SM_ID_LEN, bytes + i * OBJ, OBJ, NULL, 0);

	if (!(s = store_open(d1, (size_t)1 << 30, &e))) {
		fprintf(stderr, "bench_store: %s\n", e.msg);
		goto out;
	}
	t_store = now();
	for (size_t b = 0; b < n; b += BATCH) {
		if (store_begin(s, &e) != 0)
			goto fail;
		for (size_t i = b; i < b + BATCH && i < n; i++) {
			store_meta m = { 0 };
			char val[64];
			int o = (int)(i % 8);
			memcpy(m.id, ids[i], SM_ID_LEN);
			m.type = SM_MSG_REPORT;
			m.tlp = SM_TLP_AMBER;
			memcpy(m.originator, org[o], SM_ID_LEN);
			m.seq = ++seq[o];
			m.created_ms = 1700000000000ull + randombytes_uniform(86400000);
			if (store_put(s, &m, bytes + i * OBJ, OBJ, &e) != 0)
				goto fail;
			for (int j = 0; j < N_IND; j++) {
				/* a mix of new and recurring indicator values */
				snprintf(val, sizeof(val), "c2-%u.example", randombytes_uniform(4096));
				if (store_index(s, (uint8_t)(1 + j), val, m.id, &e) != 0)
					goto fail;
			}
		}
		if (store_commit(s, &e) != 0)
			goto fail;
	}
	t_store = now() - t_store;
	if (store_stat(s, &st, &e) != 0)
		goto fail;

	t_get = now();
	for (size_t r = 0; r < N_READS; r++) {
		uint8_t *p = store_get(s, ids[randombytes_uniform((uint32_t)n)], NULL, &len, &e);
		found += p != NULL;
		free(p);
	}
	t_get = now() - t_get;
	if (found != N_READS)
		goto fail;

	if ((t_base = plain_put(d2, bytes, ids, n, 0, &benv, &bdbi)) < 0 ||
	    (t_app = plain_put(d3, bytes, ids, n, 1, &aenv, &adbi)) < 0) {
		fprintf(stderr, "bench_store: plain LMDB failed\n");
		goto out;
	}
	t_bget = now();
	found = 0;
	for (size_t r = 0; r < N_READS; r++) {
		MDB_txn *txn;
		MDB_val k = { SM_ID_LEN, ids[randombytes_uniform((uint32_t)n)] }, v;
		if (mdb_txn_begin(benv, NULL, MDB_RDONLY, &txn))
			goto out;
		found += mdb_get(txn, bdbi, &k, &v) == 0;
		mdb_txn_abort(txn);
	}
	t_bget = now() - t_bget;

	printf("## Store (LMDB)\n\n");
	printf("`%s %zu`: %zu batches of %d objects of %d bytes, one durable commit "
	    "(fsync) per batch, in %s; %d random reads.\n\n", argv[0], batches, batches,
	    BATCH, OBJ, "/tmp", N_READS);
	printf("| workload | objects | seconds | objects/s | commits/s |\n");
	printf("|---|---:|---:|---:|---:|\n");
	printf("| store_put report + ids, origseq, created, %d indicators (ascending arrival keys) "
	    "| %zu | %.3f | %.0f | %.0f |\n", N_IND, n, t_store, n / t_store, batches / t_store);
	printf("| baseline: one plain table, random 32-byte keys | %zu | %.3f | %.0f | %.0f |\n",
	    n, t_base, n / t_base, batches / t_base);
	printf("| reference: one plain table, ascending u64 keys (MDB_APPEND) | %zu | %.3f | %.0f | %.0f |\n",
	    n, t_app, n / t_app, batches / t_app);
	printf("| store_get by random id (read txn + copy) | %d | %.3f | %.0f | |\n",
	    N_READS, t_get, N_READS / t_get);
	printf("| baseline mdb_get by random id (read txn) | %d | %.3f | %.0f | |\n",
	    N_READS, t_bget, N_READS / t_bget);
	printf("\nStore size: %.1f MiB for %llu objects (%.0f bytes per 1 KiB object with its "
	    "indexes), %llu indicator entries.\n\n", st.bytes_used / 1048576.0,
	    (unsigned long long)st.objects, (double)st.bytes_used / (double)st.objects,
	    (unsigned long long)st.indicators);
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "bench_store: %s\n", e.msg);
out:
	store_destroy(&s);
	if (benv)
		mdb_env_close(benv);
	if (aenv)
		mdb_env_close(aenv);
	rmstore(d1);
	rmstore(d2);
	rmstore(d3);
	rmdir(base);
	free(bytes);
	free(ids);
	return rc;
}
