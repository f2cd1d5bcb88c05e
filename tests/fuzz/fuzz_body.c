/* tests/fuzz/fuzz_body.c — body_decode on arbitrary bytes; whatever it
 * accepts must re-encode to bytes that decode and re-encode to themselves
 * (unknown keys are dropped on re-encoding, so the first re-encoding may be
 * shorter than the input), and must survive JSON. */
#include <stdlib.h>
#include <string.h>

#include "proto/body.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	body_t b, d;
	sm_err e = { 0 };
	size_t len;

	if (body_decode(data, size, &b, &e) != 0)
		return 0;
	uint8_t *enc = body_encode(&b, &len, &e);
	if (!enc || len > size)
		abort();
	{
		size_t len2;
		if (body_decode(enc, len, &d, &e) != 0)
			abort();
		uint8_t *enc2 = body_encode(&d, &len2, &e);
		if (!enc2 || len2 != len || memcmp(enc, enc2, len) != 0)
			abort();	/* the encoding is a fixed point */
		free(enc2);
		body_clear(&d);
	}
	char *js = body_to_json(&b);
	if (js) {
		sm_err_clear(&e);
		if (body_from_json(js, strlen(js), &d, &e) == 0)
			body_clear(&d);
		free(js);
	}
	body_indicator *ind = NULL;
	size_t n;
	char *hex = NULL;
	if (body_indicators(&b, &ind, &n, &hex, &e) == 0) {
		free(ind);
		free(hex);
	}
	free(enc);
	body_clear(&b);
	return 0;
}
