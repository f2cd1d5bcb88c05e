/*
 * tests/tools/store_crash.c — crash-consistency driver for node/store.c.
 *
 *   store_crash write DIR      write batches of random objects forever (at
 *                              most 60 s); after each durable commit print
 *                              the batch's ids, hex, one per line, flushed.
 *                              Only printed ids count as acknowledged.
 *   store_crash fill DIR       the same until a batch fails; exit 0 only if
 *                              it failed with SM_EFULL and the store still
 *                              answers store_stat (a small filesystem).
 *   store_crash verify DIR     reopen the store, require store_check to be
 *                              clean, then read ids (hex lines) from stdin
 *                              and require every one to be present.
 *
 * tests/integration/store_crash.sh kills the writer with SIGKILL at random
 * moments and runs verify after each kill. The objects are random bytes
 * (their id is their BLAKE2b-256, as for real objects); no signatures.
 * Exit status: 0 ok, 1 verification failed, 2 usage or setup error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "node/store.h"

#define MAX_BATCH 32
#define MAX_OBJ 1024
#define N_ORIGS 4
#define N_RECENT 64

typedef struct obj {
	store_meta m;
	uint8_t bytes[MAX_OBJ];
	size_t len;
} obj;

static uint32_t rnd(uint32_t n)
{
	return randombytes_uniform(n);
}

static void print_hex(const uint8_t id[SM_ID_LEN])
{
	char h[2 * SM_ID_LEN + 1];
	sodium_bin2hex(h, sizeof(h), id, SM_ID_LEN);
	puts(h);
}

/* One batch, retried when the store says the map grew. 0 ok. */
static int write_batch(store_t *s, obj *b, int n, const char **inds, sm_err *e)
{
	for (int attempt = 0; attempt < 8; attempt++) {
		int failed = 0;
		sm_err_clear(e);
		if (store_begin(s, e) != 0)
			return -1;
		for (int i = 0; i < n && !failed; i++) {
			sm_err_clear(e);
			if (store_put(s, &b[i].m, b[i].bytes, b[i].len, e) != 0) {
				if (e->code == SM_EEXISTS)
					continue;	/* deliberate duplicates */
				failed = 1;
			} else if (b[i].m.type == SM_MSG_REPORT && i % 3 == 0 &&
			    store_index(s, (uint8_t)(1 + rnd(IND_FILENAME)), inds[rnd(4)],
			    b[i].m.id, e) != 0) {
				failed = 1;
			}
		}
		if (!failed) {
			sm_err_clear(e);
			if (store_commit(s, e) == 0)
				return 0;
		} else {
			store_abort(s);
		}
		if (!(e->code == SM_EFULL && strstr(e->msg, "grown to")))
			return -1;
	}
	return -1;
}

static int do_write(const char *dir, int fill)
{
	static obj batch[MAX_BATCH];
	uint8_t orig[N_ORIGS][SM_ID_LEN], recent[N_RECENT][SM_ID_LEN];
	uint64_t seq[N_ORIGS] = { 0 };
	int n_recent = 0;
	char longval[700];
	const char *inds[4] = { "evil.example", "192.0.2.7", "invoice.lnk", longval };
	time_t start = time(NULL);
	sm_err e = { 0 };
	store_t *s;

	memset(longval, 'u', sizeof(longval) - 1);
	longval[sizeof(longval) - 1] = 0;
	/* Start small so that map growth happens under the kills too. */
	if (!(s = store_open_ex(dir, 2u << 20, 1u << 30, &e))) {
		fprintf(stderr, "store_crash: %s\n", e.msg);
		return 2;
	}
	randombytes_buf(orig, sizeof(orig));	/* fresh originators: seqs from 1 */
	while (time(NULL) - start < 60) {
		int n = 1 + (int)rnd(MAX_BATCH);
		for (int i = 0; i < n; i++) {
			obj *o = &batch[i];
			int who = (int)rnd(N_ORIGS);
			if (i > 0 && rnd(16) == 0) {	/* an occasional duplicate */
				*o = batch[i - 1];
				continue;
			}
			memset(&o->m, 0, sizeof(o->m));
			o->len = 32 + rnd(MAX_OBJ - 32);
			randombytes_buf(o->bytes, o->len);
			crypto_generichash(o->m.id, SM_ID_LEN, o->bytes, o->len, NULL, 0);
			o->m.type = (uint8_t)(n_recent ? 1 + rnd(4) : SM_MSG_REPORT);
			o->m.tlp = (uint8_t)rnd(5);
			memcpy(o->m.originator, orig[who], SM_ID_LEN);
			o->m.seq = ++seq[who];
			o->m.created_ms = 1700000000000ull + rnd(1000000);
			if (o->m.type != SM_MSG_REPORT) {
				o->m.has_ref = true;
				memcpy(o->m.ref, recent[rnd((uint32_t)n_recent)], SM_ID_LEN);
			}
		}
		if (write_batch(s, batch, n, inds, &e) != 0) {
			int code = e.code;
			store_stats st;
			fprintf(stderr, "store_crash: batch failed (%s): %s\n", sm_strerror(code), e.msg);
			/* full: what was committed stays readable */
			if (fill && code == SM_EFULL && store_stat(s, &st, &e) == 0) {
				fprintf(stderr, "store_crash: %llu objects readable after the failure\n",
				    (unsigned long long)st.objects);
				store_destroy(&s);
				return 0;
			}
			store_destroy(&s);
			return 2;
		}
		/* acknowledged: durable now */
		for (int i = 0; i < n; i++) {
			if (i > 0 && memcmp(batch[i].m.id, batch[i - 1].m.id, SM_ID_LEN) == 0)
				continue;
			print_hex(batch[i].m.id);
			if (batch[i].m.type == SM_MSG_REPORT)
				memcpy(recent[n_recent < N_RECENT ? n_recent++ : (int)rnd(N_RECENT)],
				    batch[i].m.id, SM_ID_LEN);
		}
		fflush(stdout);
	}
	store_destroy(&s);
	return 0;
}

static void on_problem(void *ctx, const char *text)
{
	(void)ctx;
	fprintf(stderr, "store_crash verify: %s\n", text);
}

static int do_verify(const char *dir)
{
	char line[256];
	uint8_t id[SM_ID_LEN];
	uint64_t bad = 0, n = 0, missing = 0, junk = 0;
	store_stats st;
	sm_err e = { 0 };
	store_t *s;
	int rc = 0;

	if (!(s = store_open_ex(dir, 2u << 20, 1u << 30, &e))) {
		fprintf(stderr, "store_crash verify: %s\n", e.msg);
		return 1;
	}
	if (store_check(s, NULL, on_problem, NULL, &bad, &e) != 0) {
		fprintf(stderr, "store_crash verify: check failed: %s\n", e.msg);
		rc = 1;
	} else if (bad) {
		fprintf(stderr, "store_crash verify: %llu problems\n", (unsigned long long)bad);
		rc = 1;
	}
	while (fgets(line, sizeof(line), stdin)) {
		size_t bin = 0;
		line[strcspn(line, "\r\n")] = 0;
		if (strlen(line) != 2 * SM_ID_LEN ||
		    sodium_hex2bin(id, sizeof(id), line, strlen(line), NULL, &bin, NULL) != 0 ||
		    bin != SM_ID_LEN) {
			junk++;
			continue;
		}
		n++;
		if (!store_has(s, id)) {
			if (missing++ < 5)
				fprintf(stderr, "store_crash verify: acknowledged id %s missing\n", line);
			rc = 1;
		}
	}
	if (junk) {
		fprintf(stderr, "store_crash verify: %llu malformed id lines\n", (unsigned long long)junk);
		rc = 1;
	}
	if (store_stat(s, &st, &e) != 0)
		rc = 1;
	printf("verify: %llu acknowledged ids, %llu missing; %llu objects stored; %llu problems\n",
	    (unsigned long long)n, (unsigned long long)missing, (unsigned long long)st.objects,
	    (unsigned long long)bad);
	store_destroy(&s);
	return rc;
}

int main(int argc, char **argv)
{
	if (sodium_init() < 0)
		return 2;
	if (argc == 3 && strcmp(argv[1], "write") == 0)
		return do_write(argv[2], 0);
	if (argc == 3 && strcmp(argv[1], "fill") == 0)
		return do_write(argv[2], 1);
	if (argc == 3 && strcmp(argv[1], "verify") == 0)
		return do_verify(argv[2]);
	fprintf(stderr, "usage: store_crash write|fill DIR | store_crash verify DIR < ids\n");
	return 2;
}
