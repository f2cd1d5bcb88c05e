/* tests/fuzz/fuzz_eml.c — eml_parse (GMime + anonymization) on arbitrary
 * bytes; a parsed body must encode and decode. */
#include <stdlib.h>
#include <string.h>

#include "node/eml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static anon_rules *rules;
	body_t b, d;
	eml_info info;
	sm_err e = { 0 };
	size_t len;

	if (!rules) {
		rules = anon_rules_new();
		(void)anon_rules_add(rules, ANON_ORG_DOMAIN, "victim.example", NULL);
		(void)anon_rules_add(rules, ANON_INTERNAL_IP, "203.0.113.0/24", NULL);
	}
	eml_opts o = { .rules = rules };
	if (eml_parse(data, size, &o, &b, &info, &e) != 0)
		return 0;
	uint8_t *enc = body_encode(&b, &len, &e);
	if (!enc)
		abort();	/* eml output must always be encodable */
	if (body_decode(enc, len, &d, &e) != 0)
		abort();
	body_clear(&d);
	free(enc);
	body_clear(&b);
	eml_info_clear(&info);
	return 0;
}
