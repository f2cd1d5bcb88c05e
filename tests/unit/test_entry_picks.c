/*
 * tests/unit/test_entry_picks.c — which members of a SIG an originator
 * enters it by (node_entry_picks, PROTOCOL.md 10.3).
 *
 * An originator pushes an object for a SIG it is not in to its first entry
 * member there and announces it to the next two; its seed link goes to the
 * first. Entering at the top of the SIG's tree (the root or one of its
 * children) the object is at most depth + 1 hops from every member. The
 * expected picks are computed here from the rule as PROTOCOL.md states it,
 * with libsodium's BLAKE2b directly, not with the node's helpers.
 */
#include <sodium.h>
#include "tests/test.h"
#include "node/node_impl.h"

#define N_MEMBERS 40
#define TOP 5			/* the root and its four children */

static uint8_t sig[SM_ID_LEN];
static uint8_t mem[N_MEMBERS][SM_ID_LEN];

static void id_of(uint32_t seed, uint8_t out[SM_ID_LEN])
{
	crypto_generichash(out, SM_ID_LEN, (const uint8_t *)&seed, sizeof(seed), NULL, 0);
}

static void h64(const uint8_t a[SM_ID_LEN], const uint8_t b[SM_ID_LEN], uint8_t out[8])
{
	uint8_t in[2 * SM_ID_LEN];

	memcpy(in, a, SM_ID_LEN);
	memcpy(in + SM_ID_LEN, b, SM_ID_LEN);
	crypto_generichash(out, 8, in, sizeof(in), NULL, 0);
}

/* Is member x at the top of the tree of the n first members? */
static bool at_top(size_t x, size_t n)
{
	uint8_t rx[8], r[8];
	size_t before = 0;

	h64(sig, mem[x], rx);
	for (size_t i = 0; i < n; i++) {
		h64(sig, mem[i], r);
		before += i != x && memcmp(r, rx, 8) < 0;
	}
	return before < TOP;
}

/* The k expected entries for me among the n first members (me not one). */
static size_t expected(const uint8_t me[SM_ID_LEN], size_t n, size_t k, size_t *out)
{
	bool used[N_MEMBERS] = { false };
	size_t got = 0;

	for (int pass = 0; pass < 2; pass++)
		while (got < k) {
			size_t best = SIZE_MAX;
			uint8_t rb[8], r[8];
			for (size_t i = 0; i < n; i++) {
				if (used[i] || at_top(i, n) != (pass == 0))
					continue;
				h64(me, mem[i], r);
				if (best == SIZE_MAX || memcmp(r, rb, 8) < 0) {
					best = i;
					memcpy(rb, r, 8);
				}
			}
			if (best == SIZE_MAX)
				break;
			used[best] = true;
			out[got++] = best;
		}
	return got;
}

/* Many originators: each one's three picks are the rule's, the first is
 * always at the top, and the rule matters (the lowest rank over the whole
 * SIG is mostly below the top: 35 of 40 members are). */
static void test_picks_follow_the_rule(void)
{
	size_t below_naive = 0, first_count[N_MEMBERS] = { 0 };
	bool all_ok = true;

	for (uint32_t o = 0; o < 200; o++) {
		uint8_t me[SM_ID_LEN], r[8], rb[8];
		size_t got[3], want[3], naive = 0, k, kw;
		id_of(0x40000000u | o, me);
		k = node_entry_picks(sig, me, (const uint8_t (*)[SM_ID_LEN])mem, N_MEMBERS, 3, got);
		kw = expected(me, N_MEMBERS, 3, want);
		if (k != 3 || kw != 3 || memcmp(got, want, sizeof(got)) != 0) {
			all_ok = false;
			CHECKF(false, "originator %u: picks %zu %zu %zu, expected %zu %zu %zu", o,
			    got[0], got[1], got[2], want[0], want[1], want[2]);
			break;
		}
		for (size_t i = 0; i < 3; i++)
			CHECKF(at_top(got[i], N_MEMBERS), "originator %u: pick %zu below the top", o, i);
		first_count[got[0]]++;
		for (size_t i = 0; i < N_MEMBERS; i++) {
			h64(me, mem[i], r);
			if (i == 0 || memcmp(r, rb, 8) < 0) {
				naive = i;
				memcpy(rb, r, 8);
			}
		}
		below_naive += !at_top(naive, N_MEMBERS);
	}
	CHECK(all_ok);
	CHECKF(below_naive > 100, "the lowest rank over the whole SIG was below the top for %zu of 200",
	    below_naive);
	/* the originators spread over the top's five */
	size_t used = 0;
	for (size_t i = 0; i < N_MEMBERS; i++)
		used += first_count[i] > 0;
	CHECKF(used == TOP, "first picks fell on %zu members, expected all %d of the top", used, TOP);
}

/* A member of the SIG does not pick itself, and counts in the tree order. */
static void test_me_among_members(void)
{
	for (size_t x = 0; x < N_MEMBERS; x++) {
		size_t got[N_MEMBERS];
		size_t k = node_entry_picks(sig, mem[x], (const uint8_t (*)[SM_ID_LEN])mem, N_MEMBERS, N_MEMBERS,
		    got);
		size_t top = 0;
		CHECKF(k == N_MEMBERS - 1, "member %zu: %zu picks of %d others", x, k, N_MEMBERS - 1);
		for (size_t i = 0; i < k; i++) {
			CHECKF(got[i] != x, "member %zu picked itself", x);
			top += at_top(got[i], N_MEMBERS);
		}
		/* the top's five include x itself when x is at the top */
		size_t want_top = at_top(x, N_MEMBERS) ? TOP - 1 : TOP;
		CHECKF(top == want_top, "member %zu: %zu of its picks at the top, expected %zu", x, top, want_top);
		for (size_t i = 0; i < k; i++)
			if (i < want_top)
				CHECKF(at_top(got[i], N_MEMBERS), "member %zu: pick %zu not at the top", x, i);
	}
}

/* A SIG smaller than its top: every member, by rank alone; k beyond n. */
static void test_small_sig(void)
{
	uint8_t me[SM_ID_LEN];
	size_t got[8], want[8];

	id_of(0x7fffffffu, me);
	size_t k = node_entry_picks(sig, me, (const uint8_t (*)[SM_ID_LEN])mem, 4, 8, got);
	size_t kw = expected(me, 4, 8, want);
	CHECKF(k == 4 && kw == 4, "%zu picks of 4 members (expected computed %zu)", k, kw);
	CHECK(memcmp(got, want, 4 * sizeof(size_t)) == 0);
	CHECK(node_entry_picks(sig, me, (const uint8_t (*)[SM_ID_LEN])mem, 0, 3, got) == 0);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	id_of(0xabcdef01u, sig);
	for (uint32_t i = 0; i < N_MEMBERS; i++)
		id_of(i, mem[i]);
	RUN(test_picks_follow_the_rule);
	RUN(test_me_among_members);
	RUN(test_small_sig);
	TEST_EXIT();
}
