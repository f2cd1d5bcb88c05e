/*
 * tests/fuzz/fuzz_control.c — the control API's request parsing.
 *
 * control_dispatch (node/control.h) needs a running node, so this harness
 * fuzzes the node-independent part of a request's life: jansson loading
 * it exactly as control_handle does (JSON_REJECT_DUPLICATES, one buffer of
 * at most CONTROL_MAX_MSG bytes), then walking it the way each command
 * does: tlp names, 64-hex ids, audiences' shape, integers, and for submit
 * the body re-serialized and run through body_from_json and body_encode,
 * the same path cmd_submit takes. Every reply goes through json_dumps.
 *
 * This mirrors node/control.c rather than calling it; a pure request
 * parser factored out of control.c would let the harness fuzz the real
 * code (see the report that added this file).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "node/control.h"
#include "proto/body.h"
#include "proto/tlp.h"

/* As control.c's get_id: exactly 64 hex digits. */
static int get_id(json_t *req, const char *key, uint8_t id[SM_ID_LEN])
{
	const char *s = json_string_value(json_object_get(req, key));
	size_t len;

	if (!s || strlen(s) != 2 * SM_ID_LEN ||
	    sodium_hex2bin(id, SM_ID_LEN, s, strlen(s), NULL, &len, NULL) < 0 || len != SM_ID_LEN)
		return -1;
	return 0;
}

/* As control.c's parse_audience, minus resolving names in the rosters:
 * the shape checks and the per-entry string reads. */
static int audience_shape(json_t *j)
{
	json_t *v, *sigs, *orgs;
	size_t i;

	if (json_is_string(j) && !strcmp(json_string_value(j), "federation"))
		return 0;
	if (!json_is_object(j))
		return -1;
	sigs = json_object_get(j, "sigs");
	orgs = json_object_get(j, "orgs");
	(void)json_is_true(json_object_get(j, "federation"));
	if ((sigs && !json_is_array(sigs)) || (orgs && !json_is_array(orgs)) ||
	    json_array_size(sigs) > SM_MAX_AUDIENCE_SIGS || json_array_size(orgs) > SM_MAX_AUDIENCE_ORGS)
		return -1;
	json_array_foreach(sigs, i, v)
		if (!json_string_value(v))
			return -1;
	json_array_foreach(orgs, i, v)
		if (!json_string_value(v))
			return -1;
	return 0;
}

static int submit(json_t *req)
{
	uint8_t tlp, sup[SM_ID_LEN];
	const char *t = json_string_value(json_object_get(req, "tlp"));
	json_t *body = json_object_get(req, "body");
	body_t b;
	sm_err e = {0};
	char *text;
	uint8_t *enc;
	size_t len;

	if (!t || tlp_parse(t, &tlp) < 0 || !json_is_object(body))
		return -1;
	if (json_object_get(req, "supersedes") && get_id(req, "supersedes", sup) < 0)
		return -1;
	if (json_object_get(req, "audience") && audience_shape(json_object_get(req, "audience")) < 0)
		return -1;
	if (!(text = json_dumps(body, JSON_COMPACT)))
		return -1;
	memset(&b, 0, sizeof(b));
	if (body_from_json(text, strlen(text), &b, &e) < 0) {
		if (e.code == SM_OK)
			abort();
		free(text);
		return -1;
	}
	free(text);
	if ((enc = body_encode(&b, &len, &e)))
		free(enc);
	body_clear(&b);
	return 0;
}

static void walk(json_t *req)
{
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	uint8_t id[SM_ID_LEN], tlp;
	const char *s;

	if (!json_is_object(req) || !cmd)
		return;
	if (!strcmp(cmd, "submit")) {
		(void)submit(req);
	} else if (!strcmp(cmd, "list")) {
		(void)json_integer_value(json_object_get(req, "since_ms"));
		(void)json_integer_value(json_object_get(req, "until_ms"));
		(void)json_integer_value(json_object_get(req, "limit"));
		if ((s = json_string_value(json_object_get(req, "tlp"))))
			(void)tlp_parse(s, &tlp);
		(void)json_string_value(json_object_get(req, "type"));
		(void)json_string_value(json_object_get(req, "originator"));
		(void)json_string_value(json_object_get(req, "sig"));
	} else if (!strcmp(cmd, "show") || !strcmp(cmd, "retract")) {
		(void)get_id(req, "id", id);
		(void)json_string_value(json_object_get(req, "reason"));
	} else if (!strcmp(cmd, "search")) {
		(void)json_string_value(json_object_get(req, "value"));
	} else if (!strcmp(cmd, "sight")) {
		(void)get_id(req, "id", id);
		(void)json_string_value(json_object_get(req, "kind"));
		(void)json_string_value(json_object_get(req, "note"));
		(void)json_integer_value(json_object_get(req, "count"));
		(void)json_is_true(json_object_get(req, "originator_only"));
	} else if (!strcmp(cmd, "release")) {
		if (get_id(req, "id", id) == 0)
			(void)audience_shape(req);
	} else if (!strcmp(cmd, "dump")) {
		(void)json_integer_value(json_object_get(req, "after"));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t jerr;
	json_t *req;
	char *text;

	if (size > CONTROL_MAX_MSG)
		return 0;
	if (!(req = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr)))
		return 0;
	walk(req);
	/* Replies embed request values; serializing must not fail on them. */
	if (!(text = json_dumps(req, JSON_COMPACT)))
		abort();
	free(text);
	json_decref(req);
	return 0;
}
