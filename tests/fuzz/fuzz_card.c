/* tests/fuzz/fuzz_card.c — identity card parser. */
#include <stdint.h>
#include <stddef.h>
#include "keys/identity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	id_public p;
	sm_err e = {0};

	(void)identity_card_parse(data, size, &p, &e);
	return 0;
}
