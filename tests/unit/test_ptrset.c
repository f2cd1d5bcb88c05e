/*
 * tests/unit/test_ptrset.c — node/ptrset.c, the pointer sets behind a
 * peer's pushed and offered objects: what is added is found, what is not
 * is not (across growth, with addresses as aligned as real entries),
 * adding twice reports it, and clear frees and empties.
 */
#include <stdint.h>
#include <stdlib.h>
#include "tests/test.h"
#include "node/ptrset.h"

#define N 5000

static void t_add_has_grow(void)
{
	/* entries 64 bytes apart, as scope entries from an arena are */
	char *arena = calloc((size_t)2 * N, 64);
	ptrset s = {0};
	bool all_added = true, all_found = true, none_extra = true, again = true;

	CHECK(arena != NULL);
	if (!arena)
		return;
	CHECK(!ptrset_has(&s, arena));	/* empty: no memory yet */
	CHECK(s.slot == NULL && s.cap == 0);
	for (size_t i = 0; i < N; i++)
		all_added &= ptrset_add(&s, arena + 2 * i * 64) == 1;
	CHECK(all_added);
	CHECK(s.n == N);
	CHECK(s.cap >= 2 * N && (s.cap & (s.cap - 1)) == 0);
	for (size_t i = 0; i < N; i++) {
		all_found &= ptrset_has(&s, arena + 2 * i * 64);
		none_extra &= !ptrset_has(&s, arena + (2 * i + 1) * 64);
		again &= ptrset_add(&s, arena + 2 * i * 64) == 0;
	}
	CHECK(all_found);
	CHECK(none_extra);
	CHECK(again);
	CHECK(s.n == N);
	ptrset_clear(&s);
	CHECK(s.slot == NULL && s.n == 0 && s.cap == 0);
	CHECK(!ptrset_has(&s, arena));
	/* usable again after a clear */
	CHECK(ptrset_add(&s, arena) == 1 && ptrset_has(&s, arena) && s.cap == PTRSET_MIN_CAP);
	ptrset_clear(&s);
	free(arena);
}

int main(void)
{
	RUN(t_add_has_grow);
	TEST_EXIT();
}
