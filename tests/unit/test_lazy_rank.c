/*
 * tests/unit/test_lazy_rank.c — whom a node announces an object to.
 *
 * Each node tells LAZY_FANOUT of its SIG neighbours off the object's tree
 * (IHAVE), picked by node_lazy_rank. That is the repair when a tree parent
 * is down: the node should hear of the object from some neighbour. On a
 * 5-regular graph (every node with five neighbours off the tree), count
 * the (node, object) pairs where no neighbour picked the node. With picks
 * independent per sender that is (1 - LAZY_FANOUT/5)^5: 1.0% with three
 * told, 7.8% with two; a rank that all senders share (BLAKE2b(id || org),
 * before 2026-11-28) left 20.7% of the pairs unannounced with three told.
 * The graph and the ids are fixed, so the count is too.
 */
#include <math.h>
#include <sodium.h>
#include "tests/test.h"
#include "node/node_impl.h"

#define N_NODES 240
#define DEGREE 5
#define N_OBJECTS 400

static uint8_t org[N_NODES][SM_ID_LEN];

/* the circulant graph C_N(1, 2, N/2): five neighbours each */
static void neighbours(size_t i, size_t nb[DEGREE])
{
	const size_t off[DEGREE] = { 1, N_NODES - 1, 2, N_NODES - 2, N_NODES / 2 };

	for (size_t k = 0; k < DEGREE; k++)
		nb[k] = (i + off[k]) % N_NODES;
}

/* Does node y pick node x for object id? */
static bool picks(const uint8_t id[SM_ID_LEN], size_t y, size_t x)
{
	size_t nb[DEGREE], below = 0;
	uint8_t rx[8], r[8];

	neighbours(y, nb);
	node_lazy_rank(id, org[y], org[x], rx);
	for (size_t k = 0; k < DEGREE; k++) {
		if (nb[k] == x)
			continue;
		node_lazy_rank(id, org[y], org[nb[k]], r);
		below += memcmp(r, rx, 8) < 0;
	}
	return below < LAZY_FANOUT;
}

static void test_announced_independently(void)
{
	size_t unheard = 0, told = 0;

	for (size_t i = 0; i < N_NODES; i++) {
		uint32_t seed = (uint32_t)i;
		crypto_generichash(org[i], SM_ID_LEN, (const uint8_t *)&seed, sizeof(seed), NULL, 0);
	}
	for (uint32_t o = 0; o < N_OBJECTS; o++) {
		uint8_t id[SM_ID_LEN];
		uint32_t seed = 0x80000000u | o;
		crypto_generichash(id, SM_ID_LEN, (const uint8_t *)&seed, sizeof(seed), NULL, 0);
		for (size_t x = 0; x < N_NODES; x++) {
			size_t nb[DEGREE], heard = 0;
			neighbours(x, nb);
			for (size_t k = 0; k < DEGREE; k++)
				heard += picks(id, nb[k], x);
			told += heard;
			unheard += heard == 0;
		}
	}
	double pairs = (double)N_NODES * N_OBJECTS;
	/* every node tells exactly LAZY_FANOUT of its five */
	CHECKF(told == (size_t)N_NODES * N_OBJECTS * LAZY_FANOUT, "%zu announcements", told);
	/* independent picks: within a third of (1 - LAZY_FANOUT/5)^5, room
	 * for the draw; a shared rank is several times that */
	double expect = pow(1.0 - (double)LAZY_FANOUT / DEGREE, DEGREE), got = unheard / pairs;
	CHECKF(got > expect * 2 / 3 && got < expect * 4 / 3,
	    "%.2f%% of (node, object) pairs heard of from no neighbour, expected about %.2f%%",
	    100.0 * got, 100.0 * expect);
}

/* The same neighbour ranks differently for two senders: each picks its own. */
static void test_rank_depends_on_sender(void)
{
	uint8_t id[SM_ID_LEN] = { 1 }, a[SM_ID_LEN] = { 2 }, b[SM_ID_LEN] = { 3 }, x[SM_ID_LEN] = { 4 };
	uint8_t ra[8], rb[8], ra2[8];

	node_lazy_rank(id, a, x, ra);
	node_lazy_rank(id, b, x, rb);
	node_lazy_rank(id, a, x, ra2);
	CHECK(memcmp(ra, rb, 8) != 0);
	CHECK(memcmp(ra, ra2, 8) == 0);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	RUN(test_announced_independently);
	RUN(test_rank_depends_on_sender);
	TEST_EXIT();
}
