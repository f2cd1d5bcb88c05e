/*
 * node/control_req.c — JSON control request -> control_req; see
 * control_req.h. Everything here is a pure function of the request: no
 * node, no rosters, no I/O, so the fuzz harness can run it as it is.
 *
 * The texts of the errors are what the CLI prints; they name the command
 * and the argument.
 */
#include <string.h>
#include <sodium.h>
#include "node/control_req.h"
#include "proto/tlp.h"

static const struct {
	const char *name;
	control_cmd cmd;
} cmds[] = {
	{ "submit", CONTROL_SUBMIT }, { "list", CONTROL_LIST }, { "show", CONTROL_SHOW },
	{ "search", CONTROL_SEARCH }, { "sight", CONTROL_SIGHT }, { "retract", CONTROL_RETRACT },
	{ "release", CONTROL_RELEASE }, { "peers", CONTROL_PEERS }, { "status", CONTROL_STATUS },
	{ "dump", CONTROL_DUMP }, { "fsck", CONTROL_FSCK }, { "export", CONTROL_EXPORT },
	{ "stats", CONTROL_STATS }, { "stop", CONTROL_STOP },
};

/* req[key] as exactly 64 hex digits. */
static int get_id(json_t *req, const char *key, uint8_t id[SM_ID_LEN])
{
	const char *s = json_string_value(json_object_get(req, key));
	size_t len;

	if (!s || strlen(s) != 2 * SM_ID_LEN ||
	    sodium_hex2bin(id, SM_ID_LEN, s, strlen(s), NULL, &len, NULL) < 0 || len != SM_ID_LEN)
		return -1;
	return 0;
}

/* "federation", or an object with optional "sigs" and "orgs" arrays of
 * strings (bounded) and "federation": true. what prefixes the error. */
static int parse_audience(json_t *j, control_audience *a, const char *what, sm_err *err)
{
	json_t *sigs, *orgs, *v;
	size_t i;

	memset(a, 0, sizeof(*a));
	if (json_is_string(j) && !strcmp(json_string_value(j), "federation")) {
		a->federation = true;
		return 0;
	}
	if (!json_is_object(j))
		return sm_fail(err, SM_EINVAL,
		    "%s: audience must be \"federation\" or {\"sigs\": [...], \"orgs\": [...]}", what);
	sigs = json_object_get(j, "sigs");
	orgs = json_object_get(j, "orgs");
	a->federation = json_is_true(json_object_get(j, "federation"));
	if ((sigs && !json_is_array(sigs)) || (orgs && !json_is_array(orgs)) ||
	    json_array_size(sigs) > SM_MAX_AUDIENCE_SIGS || json_array_size(orgs) > SM_MAX_AUDIENCE_ORGS)
		return sm_fail(err, SM_EBOUND,
		    "%s: audience: sigs and orgs must be arrays of names (at most %d SIGs, %d orgs)",
		    what, SM_MAX_AUDIENCE_SIGS, SM_MAX_AUDIENCE_ORGS);
	json_array_foreach(sigs, i, v)
		if (!json_is_string(v))
			return sm_fail(err, SM_EINVAL, "%s: audience: sigs[%zu] is not a name", what, i);
	json_array_foreach(orgs, i, v)
		if (!json_is_string(v))
			return sm_fail(err, SM_EINVAL, "%s: audience: orgs[%zu] is not a name", what, i);
	a->sigs = sigs;
	a->orgs = orgs;
	return 0;
}

static int parse_submit(json_t *req, control_req *r, sm_err *err)
{
	const char *t = json_string_value(json_object_get(req, "tlp"));
	json_t *body = json_object_get(req, "body"), *aj;
	sm_err be = {0};
	char *text;

	if (!t || tlp_parse(t, &r->tlp) < 0)
		return sm_fail(err, SM_EINVAL, "submit: tlp must be clear, green, amber, amber+strict or red");
	if (!json_is_object(body))
		return sm_fail(err, SM_EINVAL, "submit: body must be a JSON object (PROTOCOL.md section 5)");
	if (json_object_get(req, "supersedes")) {
		if (get_id(req, "supersedes", r->supersedes) < 0)
			return sm_fail(err, SM_EINVAL, "submit: supersedes must be a report id (64 hex digits)");
		r->has_supersedes = true;
	}
	/* CLEAR and GREEN default to the whole federation */
	aj = json_object_get(req, "audience");
	if (!aj && (r->tlp == SM_TLP_CLEAR || r->tlp == SM_TLP_GREEN))
		r->aud.federation = true;
	else if (parse_audience(aj, &r->aud, "submit", err) < 0)
		return -1;
	/* the body's own parser, on its canonical text: one strict path for
	 * bodies whether they come from here, a file or STIX */
	if (!(text = json_dumps(body, JSON_COMPACT)))
		return sm_fail(err, SM_ENOMEM, "submit: out of memory");
	if (body_from_json(text, strlen(text), &r->body, &be) < 0) {
		free(text);	/* body_from_json cleared r->body */
		return sm_fail(err, be.code, "submit: body: %s: %s", sm_strerror(be.code), be.msg);
	}
	free(text);
	r->has_body = true;
	return 0;
}

/* Optional arguments: absent is the caller's default, and a present one
 * of the wrong JSON type or out of its bound is refused, never dropped or
 * clamped, since a dropped filter or flag silently widens what the command
 * does (a list with no tlp filter, a sighting sent to the whole audience).
 * JSON null is a wrong type too: no client sends it to mean "absent". */

/* req[key], if present, as an integer in min..max into *out (untouched,
 * so the caller's default, when absent). */
static int opt_uint(json_t *req, const char *key, uint64_t min, uint64_t max, uint64_t *out,
    const char *cmd, sm_err *err)
{
	json_t *v = json_object_get(req, key);
	json_int_t i;

	if (!v)
		return 0;
	i = json_integer_value(v);
	if (!json_is_integer(v) || i < 0 || (uint64_t)i < min || (uint64_t)i > max) {
		if (max == UINT64_MAX)
			return sm_fail(err, SM_EINVAL, "%s: %s must be an integer of at least %llu",
			    cmd, key, (unsigned long long)min);
		return sm_fail(err, SM_EINVAL, "%s: %s must be an integer from %llu to %llu",
		    cmd, key, (unsigned long long)min, (unsigned long long)max);
	}
	*out = (uint64_t)i;
	return 0;
}

/* req[key], if present, as a string into *out (borrowed; untouched, so
 * NULL, when absent). */
static int opt_str(json_t *req, const char *key, const char **out, const char *cmd, sm_err *err)
{
	json_t *v = json_object_get(req, key);

	if (!v)
		return 0;
	if (!json_is_string(v))
		return sm_fail(err, SM_EINVAL, "%s: %s must be a string", cmd, key);
	*out = json_string_value(v);
	return 0;
}

static int parse_list(json_t *req, control_req *r, sm_err *err)
{
	const char *s = NULL;

	r->limit = 100;
	r->tlp_filter = -1;
	r->type_filter = SM_MSG_REPORT;
	if (opt_uint(req, "since_ms", 0, UINT64_MAX, &r->since_ms, "list", err) < 0 ||
	    opt_uint(req, "until_ms", 0, UINT64_MAX, &r->until_ms, "list", err) < 0 ||
	    opt_uint(req, "limit", 1, CONTROL_LIST_MAX, &r->limit, "list", err) < 0 ||
	    opt_str(req, "originator", &r->originator, "list", err) < 0 ||
	    opt_str(req, "sig", &r->sig, "list", err) < 0)
		return -1;
	if (opt_str(req, "tlp", &s, "list", err) < 0)
		return -1;
	if (s) {
		uint8_t t;
		if (tlp_parse(s, &t) < 0)
			return sm_fail(err, SM_EINVAL, "list: unknown tlp '%.64s'", s);
		r->tlp_filter = t;
	}
	s = NULL;
	if (opt_str(req, "type", &s, "list", err) < 0)
		return -1;
	if (s) {
		r->type_filter = !strcmp(s, "report") ? SM_MSG_REPORT : !strcmp(s, "sighting") ? SM_MSG_SIGHTING :
		    !strcmp(s, "retraction") ? SM_MSG_RETRACTION : !strcmp(s, "release") ? SM_MSG_RELEASE :
		    !strcmp(s, "all") ? -1 : -2;
		if (r->type_filter == -2)
			return sm_fail(err, SM_EINVAL, "list: type must be report, sighting, retraction, release or all");
	}
	return 0;
}

static int parse_sight(json_t *req, control_req *r, sm_err *err)
{
	const char *kind = NULL;
	json_t *oo = json_object_get(req, "originator_only");

	if (get_id(req, "id", r->id) < 0)
		return sm_fail(err, SM_EINVAL, "sight: id must be 64 hex digits");
	if (opt_str(req, "kind", &kind, "sight", err) < 0)
		return -1;
	if (kind && strcmp(kind, "seen") && strcmp(kind, "false-positive"))
		return sm_fail(err, SM_EINVAL, "sight: kind must be seen or false-positive");
	/* PROTOCOL.md section 6: count >= 1; absent is one sighting */
	r->count = 1;
	if (opt_uint(req, "count", 1, UINT64_MAX, &r->count, "sight", err) < 0)
		return -1;
	/* the one that matters most: "true" or 1 read as false would send a
	 * sighting meant for the originator alone to the whole audience */
	if (oo && !json_is_boolean(oo))
		return sm_fail(err, SM_EINVAL, "sight: originator_only must be true or false");
	if (opt_str(req, "note", &r->note, "sight", err) < 0)
		return -1;
	r->kind = kind && !strcmp(kind, "false-positive") ? SM_SIGHT_FALSE_POSITIVE : SM_SIGHT_SEEN;
	r->originator_only = json_is_true(oo);
	return 0;
}

int control_req_parse(json_t *req, control_req *out, sm_err *err)
{
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	size_t i;

	memset(out, 0, sizeof(*out));
	out->json = req;
	if (!json_is_object(req) || !cmd)
		return sm_fail(err, SM_EINVAL, "request must be a JSON object with a \"cmd\"");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(cmd, cmds[i].name))
			break;
	if (i == sizeof(cmds) / sizeof(cmds[0]))
		return sm_fail(err, SM_EINVAL, "unknown command '%.64s'", cmd);
	out->cmd = cmds[i].cmd;
	switch (out->cmd) {
	case CONTROL_SUBMIT:
		if (parse_submit(req, out, err) < 0)
			goto bad;
		return 0;
	case CONTROL_LIST:
		return parse_list(req, out, err);
	case CONTROL_SHOW:
		if (get_id(req, "id", out->id) < 0)
			return sm_fail(err, SM_EINVAL, "show: id must be 64 hex digits");
		return 0;
	case CONTROL_SEARCH:
		out->value = json_string_value(json_object_get(req, "value"));
		if (!out->value || !*out->value || strlen(out->value) > BODY_MAX_STR)
			return sm_fail(err, SM_EINVAL, "search: value must be a non-empty string up to %d bytes",
			    BODY_MAX_STR);
		return 0;
	case CONTROL_SIGHT:
		return parse_sight(req, out, err);
	case CONTROL_RETRACT:
		if (get_id(req, "id", out->id) < 0)
			return sm_fail(err, SM_EINVAL, "retract: id must be 64 hex digits");
		return opt_str(req, "reason", &out->reason, "retract", err);
	case CONTROL_RELEASE:
		/* the added audience is given at the top level of the request */
		if (get_id(req, "id", out->id) < 0)
			return sm_fail(err, SM_EINVAL, "release: id must be 64 hex digits");
		if (parse_audience(req, &out->aud, "release", err) < 0)
			return -1;
		if (out->aud.federation)
			return sm_fail(err, SM_ESCOPE,
			    "release: a release names SIGs or organizations, not the federation");
		return 0;
	case CONTROL_DUMP:
		return opt_uint(req, "after", 0, UINT64_MAX, &out->after, "dump", err);
	case CONTROL_PEERS:
	case CONTROL_STATUS:
	case CONTROL_FSCK:
	case CONTROL_EXPORT:
	case CONTROL_STATS:
	case CONTROL_STOP:
		return 0;
	}
	return sm_fail(err, SM_EINVAL, "unknown command '%.64s'", cmd);
bad:
	control_req_clear(out);
	return -1;
}

void control_req_clear(control_req *out)
{
	if (!out)
		return;
	if (out->has_body)
		body_clear(&out->body);
	out->has_body = false;
}
