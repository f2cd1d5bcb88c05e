/*
 * bench/bench_recon.c — cost of catching up with proto/recon.
 *
 * Two in-process sessions exchange messages until both are done. For each
 * scenario: round trips (replies the initiator received), reconciliation
 * bytes each way (everything but the objects), that total as a share of
 * the missing objects' bytes at 3 KiB per object (objects are 2-4 KiB),
 * and CPU time of both sides together (recon_new included). Prints a
 * markdown section to stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>
#include "proto/recon.h"

#define OBJ_BYTES 3072.0

static int item_cmp(const void *x, const void *y)
{
	const recon_item *a = x, *b = y;
	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	return memcmp(a->id, b->id, RECON_ID_LEN);
}

/* n items, one every ~10 s on average, sorted. */
static recon_item *gen(size_t n, uint32_t seed)
{
	uint8_t key[randombytes_SEEDBYTES] = {0};
	recon_item *it = calloc(n, sizeof *it);
	uint8_t *rnd = malloc(n * 40);

	memcpy(key, &seed, sizeof seed);
	randombytes_buf_deterministic(rnd, n * 40, key);
	for (size_t i = 0; i < n; i++) {
		uint64_t t;
		memcpy(&t, rnd + 40 * i, 8);
		it[i].ts = 1700000000000ull + t % (n * 10000ull);
		memcpy(it[i].id, rnd + 40 * i + 8, RECON_ID_LEN);
	}
	free(rnd);
	qsort(it, n, sizeof *it, item_cmp);
	return it;
}

typedef struct result {
	unsigned rtt;
	size_t ab, ba;
	size_t have, need;
	double cpu;
	int ok;
} result;

static void run(const recon_item *a, size_t na, const recon_item *b, size_t nb, result *res)
{
	sm_err e = {0};
	uint8_t *m = NULL, *rep = NULL;
	size_t ml = 0, rl = 0;
	recon_ids have = {0}, need = {0};
	clock_t t0 = clock();
	recon_t *ra = recon_new(a, na, NULL, &e), *rb = recon_new(b, nb, NULL, &e);

	memset(res, 0, sizeof *res);
	if (!ra || !rb || recon_initiate(ra, &m, &ml, &e) < 0)
		goto out;
	while (m) {
		res->ab += ml;
		if (recon_respond(rb, m, ml, &rep, &rl, NULL, NULL, &e) < 0)
			goto out;
		free(m);
		m = NULL;
		if (!rep)
			break;
		res->ba += rl;
		res->rtt++;
		if (recon_respond(ra, rep, rl, &m, &ml, &have, &need, &e) < 0)
			goto out;
		free(rep);
		rep = NULL;
	}
	res->ok = recon_done(ra) && recon_done(rb);
out:
	res->cpu = (double)(clock() - t0) / CLOCKS_PER_SEC;
	if (e.code)
		fprintf(stderr, "bench_recon: %s: %s\n", sm_strerror(e.code), e.msg);
	res->have = have.n;
	res->need = need.n;
	recon_ids_free(&have);
	recon_ids_free(&need);
	free(m);
	free(rep);
	recon_destroy(&ra);
	recon_destroy(&rb);
}

static void row(const char *name, size_t n, size_t missing, const result *r)
{
	size_t tot = r->ab + r->ba;
	printf("| %s | %zu | %zu | %u | %zu | %zu | %zu | %.2f%% | %.3f | %s |\n", name, n, missing,
	    r->rtt, r->ab, r->ba, tot, missing ? 100.0 * tot / (missing * OBJ_BYTES) : 0.0,
	    r->cpu, r->ok && r->have + r->need == missing ? "exact" : "WRONG");
}

/* b = a without the items whose index satisfies drop(). */
static size_t drop_random(const recon_item *a, size_t n, size_t k, recon_item *b, uint32_t seed)
{
	uint8_t key[randombytes_SEEDBYTES] = {0}, *gone = calloc(n, 1);
	size_t nb = 0, dropped = 0;

	memcpy(key, &seed, sizeof seed);
	key[31] = 7;
	uint32_t *r = malloc(4 * k * sizeof *r);
	randombytes_buf_deterministic(r, 4 * k * sizeof *r, key);
	for (size_t j = 0; dropped < k && j < 4 * k; j++)
		if (!gone[r[j] % n]) {
			gone[r[j] % n] = 1;
			dropped++;
		}
	for (size_t i = 0; i < n; i++)
		if (!gone[i])
			b[nb++] = a[i];
	free(gone);
	free(r);
	return nb;
}

int main(void)
{
	const size_t n = 100000;
	result r;

	if (sodium_init() < 0)
		return 1;
	recon_item *a = gen(n, 1), *b = malloc(n * sizeof *b);

	printf("## Reconciliation\n\n");
	printf("`make && ./build/bench/bench_recon` (proto/recon, in-process, both sides' CPU; "
	    "defaults: 16 buckets, lists below 32 items, 4-byte id prefixes, 256 KiB frames). "
	    "A holds the items and initiates unless noted; \"share\" is reconciliation bytes "
	    "over the missing objects' bytes at 3 KiB each.\n\n");
	printf("| scenario | items | missing | round trips | bytes A->B | bytes B->A | total | share | CPU s | result |\n");
	printf("|---|---|---|---|---|---|---|---|---|---|\n");

	/* Idle: the sets are equal, as they are in almost every periodic
	 * session; and the smallest differences on small sets. */
	static const size_t idle[] = { 10, 100, 1000, 100000 };
	for (size_t i = 0; i < sizeof idle / sizeof *idle; i++) {
		run(a, idle[i], a, idle[i], &r);
		row("0 missing (idle)", idle[i], 0, &r);
	}
	for (size_t i = 0; i < 3; i++) {
		size_t nb1 = drop_random(a, idle[i], 1, b, 11);
		run(a, idle[i], b, nb1, &r);
		row("1 missing", idle[i], idle[i] - nb1, &r);
	}

	size_t nb = drop_random(a, n, 1, b, 1);
	run(a, n, b, nb, &r);
	row("1 missing", n, n - nb, &r);

	nb = drop_random(a, n, 10000, b, 2);
	run(a, n, b, nb, &r);
	row("10,000 missing, random", n, n - nb, &r);
	run(b, nb, a, n, &r);
	row("10,000 missing, random, lacking side initiates", n, n - nb, &r);

	/* a node that was offline: it lacks the most recent 10% */
	run(a, n, a, n - 10000, &r);
	row("10,000 missing, the newest (offline node)", n, 10000, &r);

	run(NULL, 0, a, n, &r);
	row("100,000 missing, empty side initiates", n, n, &r);
	run(a, n, NULL, 0, &r);
	row("100,000 missing, full side initiates", n, n, &r);

	free(a);
	free(b);
	const size_t big = 1000000;
	a = gen(big, 3);
	b = malloc(big * sizeof *b);
	nb = drop_random(a, big, 1, b, 3);
	run(a, big, b, nb, &r);
	row("1 missing", big, big - nb, &r);
	free(a);
	free(b);
	printf("\n");
	return 0;
}
