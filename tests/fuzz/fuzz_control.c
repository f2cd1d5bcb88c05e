/*
 * tests/fuzz/fuzz_control.c — the control API's request decoding.
 *
 * control_dispatch (node/control.h) needs a running node; everything it
 * checks before touching the node is control_req_parse (node/control_req.h),
 * which this harness calls as it is: the request loaded as control_handle
 * loads it (JSON_REJECT_DUPLICATES, one buffer of at most CONTROL_MAX_MSG
 * bytes), then decoded into a typed request with every type and bound
 * check, including a submit's body through body_from_json. A decoded
 * request must satisfy the bounds the commands rely on; a refused one must
 * say why. Replies embed request values, so the request must serialize.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "node/control.h"
#include "node/control_req.h"
#include "proto/body.h"

/* An audience control_req_parse took: what resolve_audience relies on. */
static void check_audience(const control_audience *a)
{
	size_t i;
	json_t *v;

	if ((a->sigs && !json_is_array(a->sigs)) || (a->orgs && !json_is_array(a->orgs)) ||
	    json_array_size(a->sigs) > SM_MAX_AUDIENCE_SIGS || json_array_size(a->orgs) > SM_MAX_AUDIENCE_ORGS)
		abort();
	json_array_foreach(a->sigs, i, v)
		if (!json_string_value(v))
			abort();
	json_array_foreach(a->orgs, i, v)
		if (!json_string_value(v))
			abort();
}

/* What control.c's commands assume of a request control_req_parse took. */
static void check(const control_req *r)
{
	uint8_t *enc;
	size_t len;
	sm_err e = {0};

	switch (r->cmd) {
	case CONTROL_SUBMIT:
		if (!r->has_body)
			abort();
		/* the node encodes the body next: it must not crash on it */
		if ((enc = body_encode(&r->body, &len, &e)))
			free(enc);
		check_audience(&r->aud);
		break;
	case CONTROL_RELEASE:
		if (r->aud.federation)
			abort();
		check_audience(&r->aud);
		break;
	case CONTROL_LIST:
		if (r->limit == 0 || r->limit > CONTROL_LIST_MAX)
			abort();
		break;
	case CONTROL_SEARCH:
		if (!r->value || !*r->value || strlen(r->value) > BODY_MAX_STR)
			abort();
		break;
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t jerr;
	json_t *req;
	control_req r;
	sm_err err = {0};
	char *text;

	if (size > CONTROL_MAX_MSG)
		return 0;
	if (!(req = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr)))
		return 0;
	if (control_req_parse(req, &r, &err) == 0) {
		check(&r);
		control_req_clear(&r);
		control_req_clear(&r);	/* idempotent */
	} else if (err.code == SM_OK || !err.msg[0]) {
		abort();	/* a refusal must say why */
	}
	/* Replies embed request values; serializing must not fail on them. */
	if (!(text = json_dumps(req, JSON_COMPACT)))
		abort();
	free(text);
	json_decref(req);
	return 0;
}
