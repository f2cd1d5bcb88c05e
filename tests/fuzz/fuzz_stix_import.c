/*
 * tests/fuzz/fuzz_stix_import.c — stix_import on arbitrary bytes.
 *
 * Beyond "no crash, no leak": a bundle that imports must give a body that
 * sigmesh can encode as a report (bounds and UTF-8 hold), and whose STIX
 * export imports again.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/export.h"
#include "node/stix_import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	body_t b;
	sm_err e;
	if (stix_import((const char *)data, size, &b, &e) != 0)
		return 0;
	size_t len;
	uint8_t *enc = body_encode(&b, &len, &e);
	if (!enc)
		abort();	/* import produced a body the codec refuses */
	free(enc);
	char *out = NULL;
	size_t olen = 0;
	FILE *f = open_memstream(&out, &olen);
	export_item it;
	memset(&it, 0, sizeof it);
	it.tlp = 1;
	it.body = &b;
	int rc = f ? export_write(f, EXPORT_STIX21, &it, 1, NULL, &e) : -1;
	if (f)
		fclose(f);
	if (rc == 0) {
		body_t b2;
		if (stix_import(out, olen, &b2, &e) != 0)
			abort();	/* our own export must import */
		body_clear(&b2);
	}
	free(out);
	body_clear(&b);
	return 0;
}
