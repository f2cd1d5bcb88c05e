/*
 * tests/unit/test_control_req.c — control_req_parse (node/control_req.h):
 * one control request, JSON as the sigmesh CLI sends it, into a typed
 * request.
 *
 * For every command a well-formed request must decode into exactly the
 * fields expected (and leave the others zero); every refusal must carry
 * the specific sm_err code and a message naming the argument, because that
 * message is what the CLI prints. Requests are loaded the way
 * control_handle loads them (JSON_REJECT_DUPLICATES).
 *
 * Optional arguments: absent takes the default, present with the wrong
 * JSON type or out of bound is refused (never dropped or clamped, which
 * silently widened a list or sent an originator-only sighting to the whole
 * audience); the *_refused_* cases near the end pin that rule.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <jansson.h>
#include "tests/test.h"
#include "node/control.h"
#include "node/control_req.h"
#include "proto/body.h"
#include "proto/msg.h"

/* A report id and its bytes 0x00 0x11 ... 0xff, 0x00 0x11 ... */
#define ID_HEX "00112233445566778899aabbccddeeff0123456789abcdeffedcba9876543210"
#define ID2_HEX "ffffffffffffffffffffffffffffffffffffffffffffffffffffffff00000001"
static const uint8_t id_bin[SM_ID_LEN] = {
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10,
};
static const uint8_t zero_id[SM_ID_LEN];

static json_t *load(const char *js)
{
	json_error_t je;
	json_t *j = json_loads(js, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	if (!j)
		printf("  test JSON does not load: %s: %s\n", js, je.text);
	return j;
}

/* Parse js, which must be accepted. *req is the loaded request (caller
 * json_decref's after control_req_clear). */
static bool accept_js(const char *js, json_t **req, control_req *r)
{
	sm_err e = {0};

	*req = load(js);
	if (!*req)
		return false;
	if (control_req_parse(*req, r, &e) < 0) {
		printf("  refused: %s -> %s: %s\n", js, sm_strerror(e.code), e.msg);
		return false;
	}
	return r->json == *req;
}

/* req must be refused with code and a message containing needle; what the
 * header promises of a refusal holds too: nothing owned, clear is safe. */
static bool refuse_json(json_t *req, int code, const char *needle, const char *what)
{
	control_req r;
	sm_err e = {0};
	bool ok;

	if (control_req_parse(req, &r, &e) == 0) {
		printf("  accepted, should be refused (%s, '%s'): %s\n", sm_strerror(code), needle, what);
		control_req_clear(&r);
		return false;
	}
	ok = e.code == code && strstr(e.msg, needle) != NULL && !r.has_body && e.msg[0];
	if (!ok)
		printf("  refused as %s: %s; expected %s naming '%s': %s\n",
		    sm_strerror(e.code), e.msg, sm_strerror(code), needle, what);
	control_req_clear(&r);
	control_req_clear(&r);
	return ok;
}

static bool refuse_js(const char *js, int code, const char *needle)
{
	json_t *req = load(js);
	bool ok;

	if (!req)
		return false;
	ok = refuse_json(req, code, needle, js);
	json_decref(req);
	return ok;
}

#define REFUSE(js, code, needle) CHECKF(refuse_js(js, code, needle), "%s", js)

/* Every field of r that only cmd's own arguments may set is zero. */
static bool zero_except(const control_req *r, control_cmd cmd)
{
	bool ok = true;

	if (cmd != CONTROL_SHOW && cmd != CONTROL_SIGHT && cmd != CONTROL_RETRACT && cmd != CONTROL_RELEASE)
		ok = ok && !memcmp(r->id, zero_id, SM_ID_LEN);
	if (cmd != CONTROL_SUBMIT)
		ok = ok && r->tlp == 0 && !r->has_body && !r->has_supersedes &&
		    !memcmp(r->supersedes, zero_id, SM_ID_LEN) && r->body.title == NULL;
	if (cmd != CONTROL_SUBMIT && cmd != CONTROL_RELEASE)
		ok = ok && !r->aud.federation && !r->aud.sigs && !r->aud.orgs;
	if (cmd != CONTROL_LIST)
		ok = ok && r->since_ms == 0 && r->until_ms == 0 && r->limit == 0 && r->tlp_filter == 0 &&
		    r->type_filter == 0 && !r->originator && !r->sig;
	if (cmd != CONTROL_SEARCH)
		ok = ok && !r->value;
	if (cmd != CONTROL_SIGHT)
		ok = ok && r->kind == 0 && !r->originator_only && r->count == 0 && !r->note;
	if (cmd != CONTROL_RETRACT)
		ok = ok && !r->reason;
	if (cmd != CONTROL_DUMP)
		ok = ok && r->after == 0;
	return ok;
}

/* {"cmd":..., key: [n strings]} plus an id, built with jansson. */
static json_t *with_names(const char *cmd, const char *key, size_t n, bool nest_in_audience)
{
	json_t *req = json_pack("{s:s, s:s}", "cmd", cmd, "id", ID_HEX), *arr = json_array(), *holder = req;
	char name[32];

	if (nest_in_audience) {
		holder = json_object();
		json_object_set_new(req, "tlp", json_string("amber"));
		json_object_set_new(req, "body", json_pack("{s:s}", "title", "t"));
		json_object_set_new(req, "audience", holder);
	}
	for (size_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "name%zu", i);
		json_array_append_new(arr, json_string(name));
	}
	json_object_set_new(holder, key, arr);
	return req;
}

/* ---- envelope ------------------------------------------------------------ */

static void t_every_command_name(void)
{
	static const struct { const char *js; control_cmd cmd; } c[] = {
		{ "{\"cmd\":\"submit\",\"tlp\":\"clear\",\"body\":{\"title\":\"t\"}}", CONTROL_SUBMIT },
		{ "{\"cmd\":\"list\"}", CONTROL_LIST },
		{ "{\"cmd\":\"show\",\"id\":\"" ID_HEX "\"}", CONTROL_SHOW },
		{ "{\"cmd\":\"search\",\"value\":\"x\"}", CONTROL_SEARCH },
		{ "{\"cmd\":\"sight\",\"id\":\"" ID_HEX "\"}", CONTROL_SIGHT },
		{ "{\"cmd\":\"retract\",\"id\":\"" ID_HEX "\"}", CONTROL_RETRACT },
		{ "{\"cmd\":\"release\",\"id\":\"" ID_HEX "\",\"sigs\":[\"power\"]}", CONTROL_RELEASE },
		{ "{\"cmd\":\"peers\"}", CONTROL_PEERS },
		{ "{\"cmd\":\"status\"}", CONTROL_STATUS },
		{ "{\"cmd\":\"dump\"}", CONTROL_DUMP },
		{ "{\"cmd\":\"fsck\"}", CONTROL_FSCK },
		{ "{\"cmd\":\"export\",\"format\":\"csv\"}", CONTROL_EXPORT },
		{ "{\"cmd\":\"stats\",\"from_ms\":1}", CONTROL_STATS },
		{ "{\"cmd\":\"stop\"}", CONTROL_STOP },
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		json_t *req;
		control_req r;
		bool ok = accept_js(c[i].js, &req, &r);
		CHECKF(ok && r.cmd == c[i].cmd, "%s", c[i].js);
		if (ok)
			control_req_clear(&r);
		json_decref(req);
	}
}

static void t_envelope_refused(void)
{
	const char *msg = "JSON object with a \"cmd\"";
	control_req r;
	sm_err e = {0};
	json_t *j;

	REFUSE("[\"submit\"]", SM_EINVAL, msg);
	REFUSE("\"stop\"", SM_EINVAL, msg);
	REFUSE("{}", SM_EINVAL, msg);
	REFUSE("{\"command\":\"stop\"}", SM_EINVAL, msg);
	REFUSE("{\"cmd\":5}", SM_EINVAL, msg);
	REFUSE("{\"cmd\":null}", SM_EINVAL, msg);
	REFUSE("{\"cmd\":[\"stop\"]}", SM_EINVAL, msg);
	REFUSE("{\"cmd\":\"frob\"}", SM_EINVAL, "unknown command 'frob'");
	REFUSE("{\"cmd\":\"\"}", SM_EINVAL, "unknown command ''");
	REFUSE("{\"cmd\":\"STOP\"}", SM_EINVAL, "unknown command 'STOP'");
	REFUSE("{\"cmd\":\"stop \"}", SM_EINVAL, "unknown command");
	REFUSE("{\"cmd\":\"submits\"}", SM_EINVAL, "unknown command");

	/* no request at all */
	CHECK(control_req_parse(NULL, &r, &e) < 0 && e.code == SM_EINVAL && strstr(e.msg, "\"cmd\""));
	control_req_clear(&r);

	/* a long unknown name is quoted truncated, and the message stays whole */
	char big[512];
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	j = json_pack("{s:s}", "cmd", big);
	sm_err_clear(&e);
	CHECK(control_req_parse(j, &r, &e) < 0 && e.code == SM_EINVAL);
	CHECK(strncmp(e.msg, "unknown command 'zzzz", 21) == 0 && strlen(e.msg) < 100 &&
	    e.msg[strlen(e.msg) - 1] == '\'');
	control_req_clear(&r);
	json_decref(j);
}

/* ---- submit -------------------------------------------------------------- */

static void t_submit_full(void)
{
	json_t *req;
	control_req r;
	const char *js = "{\"cmd\":\"submit\",\"tlp\":\"amber\","
	    "\"audience\":{\"sigs\":[\"power\",\"" ID2_HEX "\"],\"orgs\":[\"acme\"]},"
	    "\"supersedes\":\"" ID_HEX "\","
	    "\"body\":{\"title\":\"Invoice phish\",\"mail_type\":\"attachment\",\"subject\":\"Invoice 42\","
	    "\"from\":[{\"address\":\"a@evil.example\",\"name\":\"A\"}],"
	    "\"urls\":[\"http://evil.example/x\",\"http://evil.example/y\"],\"labels\":[\"l1\"]}}";

	if (!accept_js(js, &req, &r)) {
		CHECK(!"submit refused");
		json_decref(req);
		return;
	}
	json_t *aud = json_object_get(req, "audience");
	CHECK(r.cmd == CONTROL_SUBMIT && r.tlp == SM_TLP_AMBER);
	CHECK(!r.aud.federation);
	/* borrowed from the request, not copies */
	CHECK(r.aud.sigs == json_object_get(aud, "sigs") && r.aud.orgs == json_object_get(aud, "orgs"));
	CHECK(json_array_size(r.aud.sigs) == 2 && json_array_size(r.aud.orgs) == 1);
	CHECK(!strcmp(json_string_value(json_array_get(r.aud.sigs, 0)), "power"));
	CHECK(!strcmp(json_string_value(json_array_get(r.aud.sigs, 1)), ID2_HEX));
	CHECK(!strcmp(json_string_value(json_array_get(r.aud.orgs, 0)), "acme"));
	CHECK(r.has_supersedes && !memcmp(r.supersedes, id_bin, SM_ID_LEN));
	CHECK(r.has_body);
	CHECK(r.body.title && !strcmp(r.body.title, "Invoice phish"));
	CHECK(r.body.subject && !strcmp(r.body.subject, "Invoice 42"));
	CHECK(r.body.mail_type == 1);
	CHECK(r.body.n_from == 1 && !strcmp(r.body.from[0].addr, "a@evil.example") &&
	    !strcmp(r.body.from[0].name, "A"));
	CHECK(r.body.n_urls == 2 && !strcmp(r.body.urls[1], "http://evil.example/y"));
	CHECK(r.body.n_labels == 1 && r.body.n_atts == 0 && r.body.analysis == NULL);
	CHECK(zero_except(&r, CONTROL_SUBMIT));
	control_req_clear(&r);
	CHECK(!r.has_body);
	control_req_clear(&r);	/* idempotent */
	control_req_clear(NULL);
	json_decref(req);
}

static void t_submit_tlp_and_default_audience(void)
{
	static const struct { const char *tlp; uint8_t want; bool needs_aud; } c[] = {
		{ "clear", SM_TLP_CLEAR, false }, { "green", SM_TLP_GREEN, false },
		{ "amber", SM_TLP_AMBER, true }, { "amber+strict", SM_TLP_AMBER_STRICT, true },
		{ "red", SM_TLP_RED, true }, { "TLP:AMBER+STRICT", SM_TLP_AMBER_STRICT, true },
		{ "Green", SM_TLP_GREEN, false },
	};
	char js[256];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		json_t *req;
		control_req r;
		bool ok;

		/* no audience: CLEAR and GREEN default to the federation */
		snprintf(js, sizeof(js), "{\"cmd\":\"submit\",\"tlp\":\"%s\",\"body\":{\"title\":\"t\"}}", c[i].tlp);
		if (c[i].needs_aud) {
			CHECKF(refuse_js(js, SM_EINVAL, "submit: audience"), "%s", js);
		} else {
			ok = accept_js(js, &req, &r);
			CHECKF(ok && r.tlp == c[i].want && r.aud.federation && !r.aud.sigs && !r.aud.orgs &&
			    !r.has_supersedes && r.has_body, "%s", js);
			if (ok)
				control_req_clear(&r);
			json_decref(req);
		}
		/* with an audience every label decodes; whether the label
		 * allows it is the node's check (tlp_audience_ok) */
		snprintf(js, sizeof(js), "{\"cmd\":\"submit\",\"tlp\":\"%s\",\"audience\":{\"orgs\":[\"acme\"]},"
		    "\"body\":{\"title\":\"t\"}}", c[i].tlp);
		ok = accept_js(js, &req, &r);
		CHECKF(ok && r.tlp == c[i].want && !r.aud.federation && json_array_size(r.aud.orgs) == 1 &&
		    r.aud.sigs == NULL, "%s", js);
		if (ok)
			control_req_clear(&r);
		json_decref(req);
	}

	/* "federation" as a string, and as a flag beside SIGs */
	json_t *req;
	control_req r;
	CHECK(accept_js("{\"cmd\":\"submit\",\"tlp\":\"amber\",\"audience\":\"federation\",\"body\":{}}", &req, &r));
	CHECK(r.aud.federation && !r.aud.sigs && !r.aud.orgs && r.has_body && r.body.title == NULL);
	control_req_clear(&r);
	json_decref(req);
	CHECK(accept_js("{\"cmd\":\"submit\",\"tlp\":\"green\",\"audience\":{\"federation\":true,\"sigs\":[\"s\"]},"
	    "\"body\":{}}", &req, &r));
	CHECK(r.aud.federation && json_array_size(r.aud.sigs) == 1 && !r.aud.orgs);
	control_req_clear(&r);
	json_decref(req);
	/* an explicit audience on GREEN replaces the default */
	CHECK(accept_js("{\"cmd\":\"submit\",\"tlp\":\"green\",\"audience\":{\"sigs\":[\"s\"]},\"body\":{}}", &req, &r));
	CHECK(!r.aud.federation && json_array_size(r.aud.sigs) == 1);
	control_req_clear(&r);
	json_decref(req);
}

static void t_submit_refused(void)
{
#define SUB(rest) "{\"cmd\":\"submit\"," rest "}"
#define BODY "\"body\":{\"title\":\"t\"}"
	REFUSE(SUB(BODY), SM_EINVAL, "submit: tlp");
	REFUSE(SUB("\"tlp\":2," BODY), SM_EINVAL, "submit: tlp");
	REFUSE(SUB("\"tlp\":null," BODY), SM_EINVAL, "submit: tlp");
	REFUSE(SUB("\"tlp\":\"purple\"," BODY), SM_EINVAL, "submit: tlp");
	REFUSE(SUB("\"tlp\":\"white\"," BODY), SM_EINVAL, "submit: tlp");
	REFUSE(SUB("\"tlp\":\"\"," BODY), SM_EINVAL, "submit: tlp");
	REFUSE(SUB("\"tlp\":\"clear\""), SM_EINVAL, "submit: body");
	REFUSE(SUB("\"tlp\":\"clear\",\"body\":\"title\""), SM_EINVAL, "submit: body");
	REFUSE(SUB("\"tlp\":\"clear\",\"body\":[]"), SM_EINVAL, "submit: body");
	REFUSE(SUB("\"tlp\":\"clear\",\"body\":null"), SM_EINVAL, "submit: body");
	/* supersedes: an id or nothing */
	REFUSE(SUB("\"tlp\":\"clear\",\"supersedes\":\"" ID_HEX "0\"," BODY), SM_EINVAL, "submit: supersedes");
	REFUSE(SUB("\"tlp\":\"clear\",\"supersedes\":\"0" ID_HEX "\"," BODY), SM_EINVAL, "submit: supersedes");
	REFUSE(SUB("\"tlp\":\"clear\",\"supersedes\":\"\"," BODY), SM_EINVAL, "submit: supersedes");
	REFUSE(SUB("\"tlp\":\"clear\",\"supersedes\":42," BODY), SM_EINVAL, "submit: supersedes");
	REFUSE(SUB("\"tlp\":\"clear\",\"supersedes\":null," BODY), SM_EINVAL, "submit: supersedes");
	/* audience shape */
	REFUSE(SUB("\"tlp\":\"amber\",\"audience\":null," BODY), SM_EINVAL, "submit: audience");
	REFUSE(SUB("\"tlp\":\"amber\",\"audience\":\"everyone\"," BODY), SM_EINVAL, "submit: audience");
	REFUSE(SUB("\"tlp\":\"amber\",\"audience\":[\"acme\"]," BODY), SM_EINVAL, "submit: audience");
	REFUSE(SUB("\"tlp\":\"clear\",\"audience\":5," BODY), SM_EINVAL, "submit: audience");
	/* a sigs or orgs that is not an array: refused as SM_EBOUND today
	 * (one check covers type and count); the message names both */
	REFUSE(SUB("\"tlp\":\"amber\",\"audience\":{\"sigs\":\"power\"}," BODY), SM_EBOUND, "sigs and orgs must be arrays");
	REFUSE(SUB("\"tlp\":\"amber\",\"audience\":{\"orgs\":{\"a\":1}}," BODY), SM_EBOUND, "sigs and orgs must be arrays");
	REFUSE(SUB("\"tlp\":\"amber\",\"audience\":{\"sigs\":[7]}," BODY), SM_EINVAL, "submit: audience: sigs[0]");
	REFUSE(SUB("\"tlp\":\"amber\",\"audience\":{\"orgs\":[\"a\",null]}," BODY), SM_EINVAL,
	    "submit: audience: orgs[1]");
	REFUSE(SUB("\"tlp\":\"amber\",\"audience\":{\"orgs\":[\"a\",[\"b\"]]}," BODY), SM_EINVAL,
	    "submit: audience: orgs[1]");
#undef SUB
#undef BODY
}

static void t_submit_audience_bounds(void)
{
	json_t *req;
	control_req r;
	sm_err e = {0};
	char want[64];

	/* exactly the bound: accepted */
	req = with_names("submit", "sigs", SM_MAX_AUDIENCE_SIGS, true);
	CHECK(control_req_parse(req, &r, &e) == 0 && json_array_size(r.aud.sigs) == SM_MAX_AUDIENCE_SIGS);
	control_req_clear(&r);
	json_decref(req);
	req = with_names("submit", "orgs", SM_MAX_AUDIENCE_ORGS, true);
	CHECK(control_req_parse(req, &r, &e) == 0 && json_array_size(r.aud.orgs) == SM_MAX_AUDIENCE_ORGS);
	control_req_clear(&r);
	json_decref(req);
	/* one over: refused, naming the bound */
	snprintf(want, sizeof(want), "at most %d SIGs, %d orgs", SM_MAX_AUDIENCE_SIGS, SM_MAX_AUDIENCE_ORGS);
	req = with_names("submit", "sigs", SM_MAX_AUDIENCE_SIGS + 1, true);
	CHECK(refuse_json(req, SM_EBOUND, "submit: audience", "65 sigs"));
	CHECK(refuse_json(req, SM_EBOUND, want, "65 sigs"));
	json_decref(req);
	req = with_names("submit", "orgs", SM_MAX_AUDIENCE_ORGS + 1, true);
	CHECK(refuse_json(req, SM_EBOUND, "submit: audience", "1025 orgs"));
	json_decref(req);
}

/* A body body_from_json refuses: the same code as body_from_json gives,
 * the message prefixed "submit: body: " and naming the field; nothing
 * left owned (the sanitizer run would report a leak). */
static void t_submit_bad_body(void)
{
	static const struct { const char *body, *field; } c[] = {
		{ "{\"subject\":5}", "subject" },
		{ "{\"subjet\":\"typo\"}", "subjet" },
		{ "{\"mail_type\":\"spam\"}", "mail_type" },
		{ "{\"urls\":[\"\"]}", "urls[0]" },
		{ "{\"first_seen_ms\":-1}", "first_seen_ms" },
		{ "{\"relays\":[{\"ip\":\"1.2.3.4\",\"port\":70000}]}", "relays[0].port" },
		{ "{\"attachments\":[{\"sha256\":\"ABCD\"}]}", "attachments[0].sha256" },
		/* fails late, after strings and lists were already allocated */
		{ "{\"title\":\"t\",\"subject\":\"s\",\"from\":[{\"address\":\"a@b.example\",\"name\":\"n\"}],"
		  "\"urls\":[\"http://a\",\"http://b\"],\"attachments\":[{\"name\":\"x.exe\"}],\"labels\":[\"ok\",5]}",
		  "labels[1]" },
	};
	char js[1024];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		body_t b;
		sm_err be = {0};
		char want[300];

		CHECKF(body_from_json(c[i].body, strlen(c[i].body), &b, &be) < 0, "%s", c[i].body);
		snprintf(js, sizeof(js), "{\"cmd\":\"submit\",\"tlp\":\"clear\",\"body\":%s}", c[i].body);
		snprintf(want, sizeof(want), "submit: body: %s: ", sm_strerror(be.code));
		CHECKF(refuse_js(js, be.code, want), "%s", js);
		CHECKF(refuse_js(js, be.code, c[i].field), "%s", js);
	}

	/* a string over BODY_MAX_STR is a bound, passed through as SM_EBOUND */
	char *title = malloc(BODY_MAX_STR + 2);
	memset(title, 'a', BODY_MAX_STR + 1);
	title[BODY_MAX_STR + 1] = '\0';
	json_t *req = json_pack("{s:s, s:s, s:{s:s}}", "cmd", "submit", "tlp", "clear", "body", "title", title);
	CHECK(refuse_json(req, SM_EBOUND, "title", "title over BODY_MAX_STR"));
	json_decref(req);
	title[BODY_MAX_STR] = '\0';
	req = json_pack("{s:s, s:s, s:{s:s}}", "cmd", "submit", "tlp", "clear", "body", "title", title);
	control_req r;
	sm_err e = {0};
	CHECK(control_req_parse(req, &r, &e) == 0 && r.has_body && strlen(r.body.title) == BODY_MAX_STR);
	control_req_clear(&r);
	json_decref(req);
	free(title);
}

/* ---- list ---------------------------------------------------------------- */

static void t_list(void)
{
	json_t *req;
	control_req r;

	CHECK(accept_js("{\"cmd\":\"list\"}", &req, &r));
	CHECK(r.cmd == CONTROL_LIST && r.since_ms == 0 && r.until_ms == 0 && r.limit == 100);
	CHECK(r.tlp_filter == -1 && r.type_filter == SM_MSG_REPORT && !r.originator && !r.sig);
	CHECK(zero_except(&r, CONTROL_LIST));
	control_req_clear(&r);
	json_decref(req);

	CHECK(accept_js("{\"cmd\":\"list\",\"since_ms\":1700000000000,\"until_ms\":1700000009999,"
	    "\"tlp\":\"amber+strict\",\"sig\":\"power\",\"originator\":\"" ID_HEX "\","
	    "\"type\":\"sighting\",\"limit\":50}", &req, &r));
	CHECK(r.since_ms == 1700000000000ull && r.until_ms == 1700000009999ull && r.limit == 50);
	CHECK(r.tlp_filter == SM_TLP_AMBER_STRICT && r.type_filter == SM_MSG_SIGHTING);
	CHECK(r.sig && !strcmp(r.sig, "power") && r.originator && !strcmp(r.originator, ID_HEX));
	/* borrowed from the request */
	CHECK(r.sig == json_string_value(json_object_get(req, "sig")));
	CHECK(zero_except(&r, CONTROL_LIST));
	control_req_clear(&r);
	json_decref(req);

	static const struct { const char *type; int want; } ty[] = {
		{ "report", SM_MSG_REPORT }, { "sighting", SM_MSG_SIGHTING },
		{ "retraction", SM_MSG_RETRACTION }, { "release", SM_MSG_RELEASE }, { "all", -1 },
	};
	char js[128];
	for (size_t i = 0; i < sizeof(ty) / sizeof(ty[0]); i++) {
		snprintf(js, sizeof(js), "{\"cmd\":\"list\",\"type\":\"%s\"}", ty[i].type);
		bool ok = accept_js(js, &req, &r);
		CHECKF(ok && r.type_filter == ty[i].want, "%s", js);
		if (ok)
			control_req_clear(&r);
		json_decref(req);
	}
	/* the limit's two ends are accepted as they are */
	CHECK(accept_js("{\"cmd\":\"list\",\"limit\":1}", &req, &r) && r.limit == 1);
	control_req_clear(&r);
	json_decref(req);
	snprintf(js, sizeof(js), "{\"cmd\":\"list\",\"limit\":%d}", CONTROL_LIST_MAX);
	CHECK(accept_js(js, &req, &r) && r.limit == CONTROL_LIST_MAX);
	control_req_clear(&r);
	json_decref(req);
	CHECK(accept_js("{\"cmd\":\"list\",\"tlp\":\"clear\"}", &req, &r) && r.tlp_filter == SM_TLP_CLEAR);
	control_req_clear(&r);
	json_decref(req);
}

static void t_list_refused(void)
{
	REFUSE("{\"cmd\":\"list\",\"tlp\":\"purple\"}", SM_EINVAL, "list: unknown tlp 'purple'");
	REFUSE("{\"cmd\":\"list\",\"tlp\":\"\"}", SM_EINVAL, "list: unknown tlp");
	REFUSE("{\"cmd\":\"list\",\"type\":\"reports\"}", SM_EINVAL, "list: type must be");
	REFUSE("{\"cmd\":\"list\",\"type\":\"\"}", SM_EINVAL, "list: type must be");
	REFUSE("{\"cmd\":\"list\",\"type\":\"REPORT\"}", SM_EINVAL, "list: type must be");
}

/* control_req.h: limit is 1..CONTROL_LIST_MAX. A limit outside it is
 * refused naming "limit", not clamped (`sigmesh list --limit 0` used to
 * return 10000 items). */
static void t_list_limit_out_of_bound_refused(void)
{
	char js[128];

	REFUSE("{\"cmd\":\"list\",\"limit\":0}", SM_EINVAL, "list: limit must be an integer from 1 to 10000");
	snprintf(js, sizeof(js), "{\"cmd\":\"list\",\"limit\":%d}", CONTROL_LIST_MAX + 1);
	REFUSE(js, SM_EINVAL, "list: limit");
	REFUSE("{\"cmd\":\"list\",\"limit\":-1}", SM_EINVAL, "list: limit");
	REFUSE("{\"cmd\":\"list\",\"limit\":9223372036854775807}", SM_EINVAL, "list: limit");
}

/* list arguments of the wrong JSON type are refused, not dropped: "tlp": 2
 * or "type": 1 used to give no filter at all (a reply wider than asked),
 * "limit": "5" 10000 items, "since_ms": -1 2^64-1 (nothing listed),
 * "sig": 5 every SIG. null is a wrong type too, not "absent". */
static void t_list_wrong_types_refused(void)
{
	REFUSE("{\"cmd\":\"list\",\"tlp\":2}", SM_EINVAL, "list: tlp");
	REFUSE("{\"cmd\":\"list\",\"type\":1}", SM_EINVAL, "list: type");
	REFUSE("{\"cmd\":\"list\",\"limit\":\"5\"}", SM_EINVAL, "list: limit");
	REFUSE("{\"cmd\":\"list\",\"limit\":5.0}", SM_EINVAL, "list: limit");
	REFUSE("{\"cmd\":\"list\",\"since_ms\":\"yesterday\"}", SM_EINVAL, "list: since_ms");
	REFUSE("{\"cmd\":\"list\",\"since_ms\":-1}", SM_EINVAL, "list: since_ms");
	REFUSE("{\"cmd\":\"list\",\"until_ms\":true}", SM_EINVAL, "list: until_ms");
	REFUSE("{\"cmd\":\"list\",\"sig\":5}", SM_EINVAL, "list: sig");
	REFUSE("{\"cmd\":\"list\",\"originator\":[\"acme\"]}", SM_EINVAL, "list: originator");
	REFUSE("{\"cmd\":\"list\",\"tlp\":null}", SM_EINVAL, "list: tlp must be a string");
	REFUSE("{\"cmd\":\"list\",\"type\":null}", SM_EINVAL, "list: type must be a string");
	REFUSE("{\"cmd\":\"list\",\"limit\":null}", SM_EINVAL, "list: limit");
	REFUSE("{\"cmd\":\"list\",\"until_ms\":-5}", SM_EINVAL, "list: until_ms must be an integer of at least 0");
	REFUSE("{\"cmd\":\"list\",\"since_ms\":1.5e12}", SM_EINVAL, "list: since_ms");
	/* a good argument before a bad one does not make it accepted */
	REFUSE("{\"cmd\":\"list\",\"tlp\":\"red\",\"limit\":5,\"sig\":{}}", SM_EINVAL, "list: sig");

	/* the largest times are accepted as they are */
	json_t *req;
	control_req r;
	CHECK(accept_js("{\"cmd\":\"list\",\"since_ms\":9223372036854775807,\"until_ms\":0}", &req, &r));
	CHECK(r.since_ms == 9223372036854775807ull && r.until_ms == 0 && r.limit == 100);
	control_req_clear(&r);
	json_decref(req);
}

/* ---- ids: show, retract -------------------------------------------------- */

static void t_show_and_ids(void)
{
	json_t *req;
	control_req r;

	CHECK(accept_js("{\"cmd\":\"show\",\"id\":\"" ID_HEX "\"}", &req, &r));
	CHECK(r.cmd == CONTROL_SHOW && !memcmp(r.id, id_bin, SM_ID_LEN));
	CHECK(zero_except(&r, CONTROL_SHOW));
	control_req_clear(&r);
	json_decref(req);

	/* uppercase hex is accepted today and names the same id (control.h
	 * says ids are written lowercase; nothing signed is made from this
	 * text, so the leniency is harmless; pinned here so a change is
	 * deliberate) */
	CHECK(accept_js("{\"cmd\":\"show\",\"id\":\"00112233445566778899AABBCCDDEEFF0123456789ABCDEFFEDCBA9876543210\"}",
	    &req, &r));
	CHECK(!memcmp(r.id, id_bin, SM_ID_LEN));
	control_req_clear(&r);
	json_decref(req);

	/* every shape of a wrong id, for each command taking one */
	static const char *const cmds[] = { "show", "retract", "sight", "release" };
	static const char *const bad[] = {
		"\"" ID_HEX "\"",		/* placeholder, replaced below */
		"\"00112233445566778899aabbccddeeff0123456789abcdeffedcba987654321\"",	/* 63 */
		"\"00112233445566778899aabbccddeeff0123456789abcdeffedcba98765432100\"",/* 65 */
		"\"00112233445566778899aabbccddeeff0123456789abcdeffedcba987654321g\"",	/* non-hex */
		"\"0x112233445566778899aabbccddeeff0123456789abcdeffedcba9876543210\"",	/* 0x */
		"\" 0112233445566778899aabbccddeeff0123456789abcdeffedcba9876543210\"",	/* space */
		"\"00112233445566778899aabbccddeeff:123456789abcdeffedcba9876543210\"",	/* colon */
		"\"\"", "42", "null", "true", "[\"" ID_HEX "\"]", "{\"id\":\"" ID_HEX "\"}",
	};
	char js[256], want[64];
	for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++) {
		snprintf(want, sizeof(want), "%s: id must be", cmds[c]);
		snprintf(js, sizeof(js), "{\"cmd\":\"%s\",\"sigs\":[\"s\"]}", cmds[c]);
		CHECKF(refuse_js(js, SM_EINVAL, want), "%s (no id)", js);
		for (size_t i = 1; i < sizeof(bad) / sizeof(bad[0]); i++) {
			snprintf(js, sizeof(js), "{\"cmd\":\"%s\",\"sigs\":[\"s\"],\"id\":%s}", cmds[c], bad[i]);
			CHECKF(refuse_js(js, SM_EINVAL, want), "%s", js);
		}
	}
}

static void t_retract(void)
{
	json_t *req;
	control_req r;

	CHECK(accept_js("{\"cmd\":\"retract\",\"id\":\"" ID_HEX "\",\"reason\":\"false alarm\"}", &req, &r));
	CHECK(r.cmd == CONTROL_RETRACT && !memcmp(r.id, id_bin, SM_ID_LEN));
	CHECK(r.reason && !strcmp(r.reason, "false alarm"));
	CHECK(zero_except(&r, CONTROL_RETRACT));
	control_req_clear(&r);
	json_decref(req);
	CHECK(accept_js("{\"cmd\":\"retract\",\"id\":\"" ID2_HEX "\"}", &req, &r));
	CHECK(r.reason == NULL && r.id[0] == 0xff && r.id[31] == 0x01);
	control_req_clear(&r);
	json_decref(req);
}

/* ---- search -------------------------------------------------------------- */

static void t_search(void)
{
	json_t *req;
	control_req r;
	sm_err e = {0};

	CHECK(accept_js("{\"cmd\":\"search\",\"value\":\"evil.example\"}", &req, &r));
	CHECK(r.cmd == CONTROL_SEARCH && r.value && !strcmp(r.value, "evil.example"));
	CHECK(r.value == json_string_value(json_object_get(req, "value")));
	CHECK(zero_except(&r, CONTROL_SEARCH));
	control_req_clear(&r);
	json_decref(req);

	char *v = malloc(BODY_MAX_STR + 2);
	memset(v, 'v', BODY_MAX_STR + 1);
	v[BODY_MAX_STR] = '\0';
	req = json_pack("{s:s, s:s}", "cmd", "search", "value", v);
	CHECK(control_req_parse(req, &r, &e) == 0 && strlen(r.value) == BODY_MAX_STR);
	control_req_clear(&r);
	json_decref(req);
	v[BODY_MAX_STR] = 'v';
	v[BODY_MAX_STR + 1] = '\0';
	req = json_pack("{s:s, s:s}", "cmd", "search", "value", v);
	CHECK(refuse_json(req, SM_EINVAL, "search: value must be a non-empty string up to 2048 bytes", "2049"));
	json_decref(req);
	free(v);

	REFUSE("{\"cmd\":\"search\"}", SM_EINVAL, "search: value");
	REFUSE("{\"cmd\":\"search\",\"value\":\"\"}", SM_EINVAL, "search: value");
	REFUSE("{\"cmd\":\"search\",\"value\":5}", SM_EINVAL, "search: value");
	REFUSE("{\"cmd\":\"search\",\"value\":[\"x\"]}", SM_EINVAL, "search: value");
	REFUSE("{\"cmd\":\"search\",\"value\":null}", SM_EINVAL, "search: value");
}

/* ---- sight --------------------------------------------------------------- */

static void t_sight(void)
{
	json_t *req;
	control_req r;

	CHECK(accept_js("{\"cmd\":\"sight\",\"id\":\"" ID_HEX "\",\"kind\":\"false-positive\","
	    "\"originator_only\":true,\"count\":3,\"note\":\"seen at the gateway\"}", &req, &r));
	CHECK(r.cmd == CONTROL_SIGHT && !memcmp(r.id, id_bin, SM_ID_LEN));
	CHECK(r.kind == SM_SIGHT_FALSE_POSITIVE && r.originator_only && r.count == 3);
	CHECK(r.note && !strcmp(r.note, "seen at the gateway"));
	CHECK(zero_except(&r, CONTROL_SIGHT));
	control_req_clear(&r);
	json_decref(req);

	/* what the CLI sends by default; count absent is one sighting */
	CHECK(accept_js("{\"cmd\":\"sight\",\"id\":\"" ID_HEX "\",\"kind\":\"seen\"}", &req, &r));
	CHECK(r.kind == SM_SIGHT_SEEN && !r.originator_only && r.count == 1 && r.note == NULL);
	control_req_clear(&r);
	json_decref(req);
	/* kind absent is seen; count 1 given is the same as absent */
	CHECK(accept_js("{\"cmd\":\"sight\",\"id\":\"" ID_HEX "\",\"count\":1}", &req, &r));
	CHECK(r.kind == SM_SIGHT_SEEN && !r.originator_only && r.count == 1 && r.note == NULL);
	control_req_clear(&r);
	json_decref(req);
	CHECK(accept_js("{\"cmd\":\"sight\",\"id\":\"" ID_HEX "\",\"originator_only\":false,"
	    "\"count\":9007199254740993}", &req, &r));
	CHECK(r.kind == SM_SIGHT_SEEN && !r.originator_only && r.count == 9007199254740993ull);
	control_req_clear(&r);
	json_decref(req);

	REFUSE("{\"cmd\":\"sight\",\"id\":\"" ID_HEX "\",\"kind\":\"maybe\"}", SM_EINVAL, "sight: kind");
	REFUSE("{\"cmd\":\"sight\",\"id\":\"" ID_HEX "\",\"kind\":\"SEEN\"}", SM_EINVAL, "sight: kind");
	REFUSE("{\"cmd\":\"sight\",\"id\":\"" ID_HEX "\",\"kind\":\"\"}", SM_EINVAL, "sight: kind");
	REFUSE("{\"cmd\":\"sight\",\"id\":\"" ID_HEX "\",\"count\":-1}", SM_EINVAL, "sight: count");
	REFUSE("{\"cmd\":\"sight\",\"id\":\"" ID_HEX "\",\"count\":-9223372036854775807}", SM_EINVAL, "sight: count");
}

/* PROTOCOL.md section 6: a sighting's count is >= 1, so an explicit
 * "count": 0 is refused (it used to be sent as 1; `sigmesh sight --count x`
 * sends 0). An absent count is the default 1 (t_sight). */
static void t_sight_count_zero_refused(void)
{
	REFUSE("{\"cmd\":\"sight\",\"id\":\"" ID_HEX "\",\"count\":0}", SM_EINVAL,
	    "sight: count must be an integer of at least 1");
}

/* sight arguments of the wrong JSON type are refused. The one that
 * matters: "originator_only": "true" (a string, or 1) used to read as
 * false, so a sighting meant for the originator alone went to the report's
 * whole audience. Also "kind": 1 read as "seen" (the opposite of a
 * false-positive), "count": "3" as 1, "note": 5 as no note. */
static void t_sight_wrong_types_refused(void)
{
	REFUSE("{\"cmd\":\"sight\",\"id\":\"" ID_HEX "\",\"originator_only\":\"true\"}", SM_EINVAL,
	    "sight: originator_only");
	REFUSE("{\"cmd\":\"sight\",\"id\":\"" ID_HEX "\",\"originator_only\":1}", SM_EINVAL,
	    "sight: originator_only");
	REFUSE("{\"cmd\":\"sight\",\"id\":\"" ID_HEX "\",\"kind\":1}", SM_EINVAL, "sight: kind");
	REFUSE("{\"cmd\":\"sight\",\"id\":\"" ID_HEX "\",\"count\":\"3\"}", SM_EINVAL, "sight: count");
	REFUSE("{\"cmd\":\"sight\",\"id\":\"" ID_HEX "\",\"count\":2.5}", SM_EINVAL, "sight: count");
	REFUSE("{\"cmd\":\"sight\",\"id\":\"" ID_HEX "\",\"note\":5}", SM_EINVAL, "sight: note");
	REFUSE("{\"cmd\":\"sight\",\"id\":\"" ID_HEX "\",\"originator_only\":null}", SM_EINVAL,
	    "sight: originator_only must be true or false");
	REFUSE("{\"cmd\":\"sight\",\"id\":\"" ID_HEX "\",\"originator_only\":\"false\"}", SM_EINVAL,
	    "sight: originator_only");
	REFUSE("{\"cmd\":\"sight\",\"id\":\"" ID_HEX "\",\"originator_only\":[true]}", SM_EINVAL,
	    "sight: originator_only");
	REFUSE("{\"cmd\":\"sight\",\"id\":\"" ID_HEX "\",\"kind\":null}", SM_EINVAL, "sight: kind must be a string");
	REFUSE("{\"cmd\":\"sight\",\"id\":\"" ID_HEX "\",\"note\":null}", SM_EINVAL, "sight: note must be a string");
	REFUSE("{\"cmd\":\"sight\",\"id\":\"" ID_HEX "\",\"count\":true}", SM_EINVAL, "sight: count");
	/* the id is still checked first */
	REFUSE("{\"cmd\":\"sight\",\"originator_only\":\"true\"}", SM_EINVAL, "sight: id must be");
}

/* ---- release ------------------------------------------------------------- */

static void t_release(void)
{
	json_t *req;
	control_req r;
	sm_err e = {0};

	CHECK(accept_js("{\"cmd\":\"release\",\"id\":\"" ID_HEX "\",\"sigs\":[\"power\"],"
	    "\"orgs\":[\"acme\",\"" ID2_HEX "\"]}", &req, &r));
	CHECK(r.cmd == CONTROL_RELEASE && !memcmp(r.id, id_bin, SM_ID_LEN) && !r.aud.federation);
	/* the added audience is at the top level, borrowed */
	CHECK(r.aud.sigs == json_object_get(req, "sigs") && r.aud.orgs == json_object_get(req, "orgs"));
	CHECK(json_array_size(r.aud.sigs) == 1 && json_array_size(r.aud.orgs) == 2);
	CHECK(!strcmp(json_string_value(json_array_get(r.aud.orgs, 1)), ID2_HEX));
	CHECK(zero_except(&r, CONTROL_RELEASE));
	control_req_clear(&r);
	json_decref(req);

	/* the federation, in any spelling that sets it: SM_ESCOPE */
	REFUSE("{\"cmd\":\"release\",\"id\":\"" ID_HEX "\",\"federation\":true}", SM_ESCOPE,
	    "release: a release names SIGs or organizations, not the federation");
	REFUSE("{\"cmd\":\"release\",\"id\":\"" ID_HEX "\",\"federation\":true,\"sigs\":[\"power\"]}", SM_ESCOPE,
	    "not the federation");
	/* shape and bounds */
	REFUSE("{\"cmd\":\"release\",\"id\":\"" ID_HEX "\",\"sigs\":\"power\"}", SM_EBOUND, "release: audience");
	REFUSE("{\"cmd\":\"release\",\"id\":\"" ID_HEX "\",\"sigs\":[\"power\",3]}", SM_EINVAL,
	    "release: audience: sigs[1]");
	REFUSE("{\"cmd\":\"release\",\"id\":\"" ID_HEX "\",\"orgs\":[{}]}", SM_EINVAL, "release: audience: orgs[0]");

	req = with_names("release", "sigs", SM_MAX_AUDIENCE_SIGS, false);
	CHECK(control_req_parse(req, &r, &e) == 0 && json_array_size(r.aud.sigs) == SM_MAX_AUDIENCE_SIGS);
	control_req_clear(&r);
	json_decref(req);
	req = with_names("release", "sigs", SM_MAX_AUDIENCE_SIGS + 1, false);
	CHECK(refuse_json(req, SM_EBOUND, "release: audience", "65 sigs"));
	json_decref(req);
	req = with_names("release", "orgs", SM_MAX_AUDIENCE_ORGS, false);
	CHECK(control_req_parse(req, &r, &e) == 0 && json_array_size(r.aud.orgs) == SM_MAX_AUDIENCE_ORGS);
	control_req_clear(&r);
	json_decref(req);
	req = with_names("release", "orgs", SM_MAX_AUDIENCE_ORGS + 1, false);
	CHECK(refuse_json(req, SM_EBOUND, "release: audience", "1025 orgs"));
	json_decref(req);
}

/* ---- dump and the commands without arguments ----------------------------- */

static void t_dump(void)
{
	json_t *req;
	control_req r;

	CHECK(accept_js("{\"cmd\":\"dump\",\"after\":4242}", &req, &r));
	CHECK(r.cmd == CONTROL_DUMP && r.after == 4242 && zero_except(&r, CONTROL_DUMP));
	control_req_clear(&r);
	json_decref(req);
	CHECK(accept_js("{\"cmd\":\"dump\"}", &req, &r));
	CHECK(r.after == 0 && zero_except(&r, CONTROL_DUMP));
	control_req_clear(&r);
	json_decref(req);
}

/* the remaining optional arguments of the wrong JSON type are refused too:
 * retract "reason": 5 used to send a retraction without a reason, dump
 * "after": -1 became 2^64-1 and "after": "10" 0. */
static void t_other_wrong_types_refused(void)
{
	REFUSE("{\"cmd\":\"retract\",\"id\":\"" ID_HEX "\",\"reason\":5}", SM_EINVAL, "retract: reason");
	REFUSE("{\"cmd\":\"dump\",\"after\":-1}", SM_EINVAL, "dump: after");
	REFUSE("{\"cmd\":\"dump\",\"after\":\"10\"}", SM_EINVAL, "dump: after");
	REFUSE("{\"cmd\":\"retract\",\"id\":\"" ID_HEX "\",\"reason\":null}", SM_EINVAL,
	    "retract: reason must be a string");
	REFUSE("{\"cmd\":\"dump\",\"after\":null}", SM_EINVAL, "dump: after must be an integer of at least 0");
	REFUSE("{\"cmd\":\"dump\",\"after\":4.0}", SM_EINVAL, "dump: after");

	/* dump's bound ends: 0 given, and the largest integer JSON carries */
	json_t *req;
	control_req r;
	CHECK(accept_js("{\"cmd\":\"dump\",\"after\":0}", &req, &r) && r.after == 0);
	control_req_clear(&r);
	json_decref(req);
	CHECK(accept_js("{\"cmd\":\"dump\",\"after\":9223372036854775807}", &req, &r) &&
	    r.after == 9223372036854775807ull);
	control_req_clear(&r);
	json_decref(req);
}

static void t_commands_without_arguments(void)
{
	static const struct { const char *js; control_cmd cmd; } c[] = {
		{ "{\"cmd\":\"peers\"}", CONTROL_PEERS },
		{ "{\"cmd\":\"status\"}", CONTROL_STATUS },
		{ "{\"cmd\":\"fsck\"}", CONTROL_FSCK },
		/* export's and stats' arguments are read by control_analyst;
		 * here they must set nothing, even ones named like list's */
		{ "{\"cmd\":\"export\",\"format\":\"stix21\",\"internal\":true,\"tlp\":\"red\",\"limit\":5,"
		  "\"since_ms\":9}", CONTROL_EXPORT },
		{ "{\"cmd\":\"stats\",\"from_ms\":1,\"to_ms\":2}", CONTROL_STATS },
		/* arguments a command does not take are ignored */
		{ "{\"cmd\":\"stop\",\"id\":\"" ID_HEX "\",\"body\":{\"title\":5},\"value\":\"x\"}", CONTROL_STOP },
		{ "{\"cmd\":\"peers\",\"tlp\":\"purple\",\"after\":7}", CONTROL_PEERS },
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		json_t *req;
		control_req r;
		bool ok = accept_js(c[i].js, &req, &r);
		CHECKF(ok && r.cmd == c[i].cmd && zero_except(&r, c[i].cmd), "%s", c[i].js);
		if (ok)
			control_req_clear(&r);
		json_decref(req);
	}
}

/* control_req_clear frees the whole body (the sanitizer run reports a leak
 * otherwise) and leaves a request that a second clear does not touch. */
static void t_clear(void)
{
	json_t *req;
	control_req r;

	for (int round = 0; round < 3; round++) {
		CHECK(accept_js("{\"cmd\":\"submit\",\"tlp\":\"red\",\"audience\":{\"orgs\":[\"acme\"]},\"body\":{"
		    "\"title\":\"t\",\"subject\":\"s\",\"return_path\":\"r@x.example\",\"message_id\":\"m@x\","
		    "\"x_mailer\":\"xm\",\"from\":[{\"address\":\"a@x.example\",\"name\":\"A\"}],"
		    "\"reply_to\":[{\"address\":\"b@x.example\"}],"
		    "\"relays\":[{\"host\":\"mx.x.example\",\"ip\":\"192.0.2.1\",\"port\":25}],"
		    "\"urls\":[\"http://x.example/a\"],\"domains\":[\"x.example\"],"
		    "\"attachments\":[{\"name\":\"a.exe\",\"mime\":\"application/x-msdownload\",\"size\":10,"
		    "\"sha256\":\"" ID_HEX "\",\"file_class\":\"executable\",\"flags\":[\"double-extension\"]}],"
		    "\"c2\":[{\"ip\":\"2001:db8::1\"}],\"labels\":[\"a\",\"b\"],\"analysis\":\"long text\"}}",
		    &req, &r));
		CHECK(r.has_body && r.body.n_atts == 1 && r.body.n_c2 == 1 && r.body.analysis);
		control_req_clear(&r);
		CHECK(!r.has_body);
		control_req_clear(&r);
		json_decref(req);
	}
	control_req_clear(NULL);
}

int main(void)
{
	RUN(t_every_command_name);
	RUN(t_envelope_refused);
	RUN(t_submit_full);
	RUN(t_submit_tlp_and_default_audience);
	RUN(t_submit_refused);
	RUN(t_submit_audience_bounds);
	RUN(t_submit_bad_body);
	RUN(t_list);
	RUN(t_list_refused);
	RUN(t_show_and_ids);
	RUN(t_retract);
	RUN(t_search);
	RUN(t_sight);
	RUN(t_release);
	RUN(t_dump);
	RUN(t_commands_without_arguments);
	RUN(t_clear);
	/* found while writing this test; fail until control_req.c is fixed */
	RUN(t_list_limit_out_of_bound_refused);
	RUN(t_list_wrong_types_refused);
	RUN(t_sight_count_zero_refused);
	RUN(t_sight_wrong_types_refused);
	RUN(t_other_wrong_types_refused);
	TEST_EXIT();
}
