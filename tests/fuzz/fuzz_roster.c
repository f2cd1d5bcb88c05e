/* tests/fuzz/fuzz_roster.c — roster files and single entries. The input is
 * tried as a whole serialized roster, and as an entry appended to a fresh
 * roster (genesis path) and approved. */
#include <stdint.h>
#include <stdlib.h>
#include "keys/roster.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sm_err e = {0};
	roster_t *r = roster_parse(data, size, &e);
	uint32_t n;

	if (r) {
		(void)roster_members(r, 0, &n);
		(void)roster_members(r, 1, &n);
		(void)roster_threshold_at(r, 0);
		roster_destroy(&r);
	}
	r = roster_new();
	if (r) {
		sm_err_clear(&e);
		(void)roster_append(r, data, size, &e);
		roster_destroy(&r);
	}
	return 0;
}
