/*
 * tests/unit/test_export.c — STIX 2.1 / MISP / CSV export and STIX import.
 *
 * With EXPORT_OUT_DIR set, the STIX bundles built here are also written
 * there, for tests/integration/stix_validate.sh to check against the OASIS
 * schemas.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/export.h"
#include "node/stix_import.h"
#include "node/store.h"
#include "proto/msg.h"
#include "tests/test.h"

/* ---- fixtures ----------------------------------------------------------- */

static body_addr from1[] = { { "taro.yamada@freemail.example", "Taro Yamada" } };
static body_addr rto1[] = { { "collect@evil.example", NULL } };
static char *urls1[] = { "http://login.evil.example/owa?x='1'" };
static char *doms1[] = { "evil.example" };
static body_host c21[] = { { "c2.evil.example", "203.0.113.7", 443 },
	{ NULL, "2001:db8::7", 0 } };
static body_host rel1[] = { { "mx.freemail.example", "198.51.100.25", 25 } };
static body_attachment att1[] = { {
	.name = "invoice.pdf.exe", .mime = "application/octet-stream",
	.size = 73216, .has_sha256 = true, .file_class = FILE_EXECUTABLE,
	.flags = ATT_DOUBLE_EXT,
	.sha256 = { 0x9f, 0x86, 0xd0, 0x81, 0x88, 0x4c, 0x7d, 0x65, 0x9a, 0x2f,
	    0xea, 0xa0, 0xc5, 0x5a, 0xd0, 0x15, 0xa3, 0xbf, 0x4f, 0x1b, 0x2b,
	    0x0b, 0x82, 0x2c, 0xd1, 0x5d, 0x6c, 0x15, 0xb0, 0xf0, 0x0a, 0x08 },
} };
static char *labels1[] = { "apt-lure" };

static body_t body1 = {
	.title = "Fake invoice, \"urgent\", with EXE", .mail_type = MAIL_ATTACHMENT,
	.sender_class = SENDER_FREEMAIL_DOMESTIC,
	.n_from = 1, .from = from1, .n_reply_to = 1, .reply_to = rto1,
	.return_path = "bounce@freemail.example",
	.subject = "Invoice, Q3\r\nplease pay", .message_id = "<a1@freemail.example>",
	.x_mailer = "Mailer 1.0", .n_relays = 1, .relays = rel1,
	.n_urls = 1, .urls = urls1, .n_domains = 1, .domains = doms1,
	.n_atts = 1, .atts = att1, .n_c2 = 2, .c2 = c21,
	.n_labels = 1, .labels = labels1, .analysis = "Dropper calls home.",
};

static body_addr from2[] = { { "hr@corp.example", NULL } };
static char *doms2[] = { "phish.example" };
static body_t body2 = {
	.title = "Link to fake login", .mail_type = MAIL_LINK,
	.sender_class = SENDER_CORPORATE, .n_from = 1, .from = from2,
	.subject = "Password expiry", .n_domains = 1, .domains = doms2,
};

static void mkid(uint8_t id[32], uint8_t tag)
{
	for (int i = 0; i < 32; i++)
		id[i] = (uint8_t)(tag * 7 + i);
}

/* Five reports, one per TLP label: id tag = 10 + tlp. */
static export_item items5[5];
static export_sighting sight[2];

static void setup(void)
{
	memset(items5, 0, sizeof items5);
	memset(sight, 0, sizeof sight);
	mkid(sight[0].org, 90);
	sight[0].org_name = "Gas Co";
	sight[0].kind = SM_SIGHT_SEEN;
	sight[0].count = 3;
	sight[0].created_ms = 1420070400000ULL;
	mkid(sight[1].org, 91);
	sight[1].kind = SM_SIGHT_FALSE_POSITIVE;
	sight[1].count = 1;
	sight[1].created_ms = 1420070500000ULL;
	for (int t = 0; t < 5; t++) {
		export_item *it = &items5[t];
		mkid(it->id, (uint8_t)(10 + t));
		it->tlp = (uint8_t)t;
		mkid(it->originator, 1);
		it->originator_name = "Chemical Co, Ltd.";
		it->created_ms = 1404172800123ULL + (uint64_t)t * 86400000ULL;
		it->body = t % 2 ? &body2 : &body1;
	}
	items5[SM_TLP_AMBER].n_sightings = 2;
	items5[SM_TLP_AMBER].sightings = sight;
}

static char *run_export(enum export_format f, const export_item *it, size_t n,
    bool internal, size_t *len)
{
	char *buf = NULL;
	size_t l = 0;
	FILE *fp = open_memstream(&buf, &l);
	export_opts o = { .internal = internal };
	sm_err e;
	sm_err_clear(&e);
	int rc = export_write(fp, f, it, n, &o, &e);
	fclose(fp);
	if (rc != 0) {
		printf("  export failed: %s\n", e.msg);
		free(buf);
		return NULL;
	}
	if (len)
		*len = l;
	return buf;
}

static bool has_report(const char *doc, const export_item *it)
{
	char hex[65];
	for (int i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", it->id[i]);
	return strstr(doc, hex) != NULL;
}

static void save(const char *name, const char *doc)
{
	const char *dir = getenv("EXPORT_OUT_DIR");
	if (!dir || !*dir)
		return;
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(doc, f);
		fclose(f);
	}
}

/* ---- tests -------------------------------------------------------------- */

static void test_uuid5_golden(void)
{
	static const uint8_t dns[16] = { 0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad,
	    0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8 };
	char u[37];
	CHECK(export_uuid5(dns, "python.org", 10, u) == 0);
	CHECK(!strcmp(u, "886313e1-3b8a-5372-9b90-0c9aee199e5d"));
	const char *c = "{\"value\":\"evil.example\"}";
	CHECK(export_uuid5(export_stix_ns, c, strlen(c), u) == 0);
	CHECK(!strcmp(u, "69228563-c8d2-54ae-aeca-5f4134cb59aa"));
}

static void test_rfc3339(void)
{
	char t[32];
	export_rfc3339(1404172800123ULL, t);
	CHECK(!strcmp(t, "2014-07-01T00:00:00.123Z"));
	export_rfc3339(0, t);
	CHECK(!strcmp(t, "1970-01-01T00:00:00.000Z"));
	export_rfc3339(UINT64_MAX, t);
	CHECK(!strcmp(t, "9999-12-31T23:59:59.999Z"));
}

static void test_format_parse(void)
{
	enum export_format f;
	sm_err e;
	CHECK(export_format_parse("STIX", &f, &e) == 0 && f == EXPORT_STIX21);
	CHECK(export_format_parse("misp", &f, &e) == 0 && f == EXPORT_MISP);
	CHECK(export_format_parse("csv", &f, &e) == 0 && f == EXPORT_CSV);
	CHECK(export_format_parse("xml", &f, &e) == -1 && e.code == SM_EINVAL);
	FILE *fp = fopen("/dev/null", "w");
	CHECK(export_write(fp, (enum export_format)99, items5, 1, NULL, &e) == -1 &&
	    e.code == SM_EINVAL);
	fclose(fp);
}

/* RED never leaves; AMBER+STRICT only with internal; in all formats. */
static void test_tlp_honoured(void)
{
	setup();
	enum export_format fs[] = { EXPORT_STIX21, EXPORT_MISP, EXPORT_CSV };
	for (int k = 0; k < 3; k++) {
		for (int internal = 0; internal < 2; internal++) {
			char *d = run_export(fs[k], items5, 5, internal, NULL);
			CHECK(d != NULL);
			if (!d)
				continue;
			CHECKF(has_report(d, &items5[SM_TLP_CLEAR]), "fmt %d", k);
			CHECKF(has_report(d, &items5[SM_TLP_GREEN]), "fmt %d", k);
			CHECKF(has_report(d, &items5[SM_TLP_AMBER]), "fmt %d", k);
			CHECKF(has_report(d, &items5[SM_TLP_AMBER_STRICT]) == internal,
			    "fmt %d internal %d", k, internal);
			CHECKF(!has_report(d, &items5[SM_TLP_RED]), "fmt %d", k);
			CHECK(!strstr(d, "e828b379-4e03-4974-9ac4-e53a884c97c1"));
			CHECK(!strstr(d, "tlp:red"));
			free(d);
		}
	}
}

static void test_retracted_and_unreadable(void)
{
	setup();
	items5[0].retracted = true;
	items5[1].body = NULL;
	char *csv = run_export(EXPORT_CSV, items5, 2, false, NULL);
	char *misp = run_export(EXPORT_MISP, items5, 2, false, NULL);
	char *stix = run_export(EXPORT_STIX21, items5, 2, false, NULL);
	CHECK(csv && misp && stix);
	if (csv && misp && stix) {
		CHECK(!has_report(csv, &items5[0]) && !has_report(csv, &items5[1]));
		CHECK(!has_report(misp, &items5[0]) && !has_report(misp, &items5[1]));
		CHECK(has_report(stix, &items5[0]) && !has_report(stix, &items5[1]));
		/* every indicator of the retracted report is revoked */
		json_t *b = json_loads(stix, 0, NULL);
		size_t i, n_ind = 0, n_rev = 0;
		json_t *o;
		json_array_foreach(json_object_get(b, "objects"), i, o) {
			if (strcmp(json_string_value(json_object_get(o, "type")),
			    "indicator"))
				continue;
			n_ind++;
			n_rev += json_is_true(json_object_get(o, "revoked"));
		}
		CHECK(n_ind > 0 && n_rev == n_ind);
		json_decref(b);
		save("retracted.json", stix);
	}
	free(csv);
	free(misp);
	free(stix);
}

static void test_deterministic(void)
{
	setup();
	size_t l1, l2;
	char *a = run_export(EXPORT_STIX21, items5, 5, true, &l1);
	char *b = run_export(EXPORT_STIX21, items5, 5, true, &l2);
	CHECK(a && b && l1 == l2 && !memcmp(a, b, l1));
	char *m1 = run_export(EXPORT_MISP, items5, 5, true, &l1);
	char *m2 = run_export(EXPORT_MISP, items5, 5, true, &l2);
	CHECK(m1 && m2 && l1 == l2 && !memcmp(m1, m2, l1));
	/* the same report exported alone keeps its indicator ids */
	char *c = run_export(EXPORT_STIX21, &items5[0], 1, true, NULL);
	json_t *jc = c ? json_loads(c, 0, NULL) : NULL;
	size_t i;
	json_t *o;
	int seen = 0;
	json_array_foreach(json_object_get(jc, "objects"), i, o) {
		const char *id = json_string_value(json_object_get(o, "id"));
		CHECK(id && strstr(a, id));
		seen++;
	}
	CHECK(seen > 10);
	json_decref(jc);
	if (a)
		save("all-internal.json", a);
	char *ext = run_export(EXPORT_STIX21, items5, 5, false, NULL);
	if (ext)
		save("all-external.json", ext);
	free(ext);
	free(a); free(b); free(c); free(m1); free(m2);
}

static json_t *find(json_t *objs, const char *type, const char *key,
    const char *val)
{
	size_t i;
	json_t *o;
	json_array_foreach(objs, i, o) {
		if (strcmp(json_string_value(json_object_get(o, "type")), type))
			continue;
		if (!key || !strcmp(json_string_value(json_object_get(o, key)) ?
		    json_string_value(json_object_get(o, key)) : "", val))
			return o;
	}
	return NULL;
}

static void test_stix_structure(void)
{
	setup();
	char *d = run_export(EXPORT_STIX21, &items5[SM_TLP_AMBER], 1, false, NULL);
	CHECK(d != NULL);
	if (!d)
		return;
	json_t *b = json_loads(d, 0, NULL);
	json_t *objs = json_object_get(b, "objects");
	CHECK(!strcmp(json_string_value(json_object_get(b, "type")), "bundle"));
	/* TLP:AMBER marking definition, referenced by the indicators */
	json_t *md = find(objs, "marking-definition", "id",
	    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421");
	CHECK(md != NULL);
	json_t *ind = find(objs, "indicator", "pattern",
	    "[domain-name:value = 'evil.example']");
	CHECK(ind != NULL);
	CHECK(ind && !strcmp(json_string_value(json_array_get(json_object_get(
	    ind, "object_marking_refs"), 0)),
	    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"));
	CHECK(find(objs, "indicator", "pattern",
	    "[url:value = 'http://login.evil.example/owa?x=\\'1\\'']") != NULL);
	CHECK(find(objs, "indicator", "pattern",
	    "[file:hashes.'SHA-256' = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08']") != NULL);
	CHECK(find(objs, "indicator", "pattern", "[ipv4-addr:value = '203.0.113.7']"));
	CHECK(find(objs, "indicator", "pattern", "[ipv6-addr:value = '2001:db8::7']"));
	CHECK(find(objs, "indicator", "pattern",
	    "[email-addr:value = 'taro.yamada@freemail.example']"));
	/* relay IP: observable, no indicator */
	CHECK(find(objs, "ipv4-addr", "value", "198.51.100.25") != NULL);
	CHECK(!find(objs, "indicator", "pattern", "[ipv4-addr:value = '198.51.100.25']"));
	/* SCO id per the STIX namespace */
	json_t *dn = find(objs, "domain-name", "value", "evil.example");
	CHECK(dn && !strcmp(json_string_value(json_object_get(dn, "id")),
	    "domain-name--69228563-c8d2-54ae-aeca-5f4134cb59aa"));
	json_t *em = find(objs, "email-message", NULL, NULL);
	CHECK(em && json_is_true(json_object_get(em, "is_multipart")));
	json_t *fa = find(objs, "email-addr", "value", "taro.yamada@freemail.example");
	CHECK(em && fa && !strcmp(json_string_value(json_object_get(em, "from_ref")),
	    json_string_value(json_object_get(fa, "id"))));
	CHECK(em && !strcmp(json_string_value(json_object_get(json_object_get(em,
	    "additional_header_fields"), "Reply-To")), "collect@evil.example"));
	json_t *file = find(objs, "file", "name", "invoice.pdf.exe");
	CHECK(file && json_integer_value(json_object_get(file, "size")) == 73216);
	/* one sighting per indicator for the SEEN feedback, none for the FP */
	size_t i, n_ind = 0, n_sig = 0;
	json_t *o;
	json_array_foreach(objs, i, o) {
		const char *t = json_string_value(json_object_get(o, "type"));
		n_ind += !strcmp(t, "indicator");
		if (!strcmp(t, "sighting")) {
			n_sig++;
			CHECK(json_integer_value(json_object_get(o, "count")) == 3);
		}
	}
	CHECK(n_ind == 8);
	CHECK(n_sig == n_ind);
	CHECK(find(objs, "identity", "name", "Gas Co") != NULL);
	CHECK(find(objs, "identity", "name", "Chemical Co, Ltd.") != NULL);
	json_t *rep = find(objs, "report", NULL, NULL);
	CHECK(rep && json_array_size(json_object_get(rep, "object_refs")) > 10);
	json_decref(b);
	save("amber.json", d);
	free(d);
}

static bool misp_has(json_t *attrs, const char *type, const char *value)
{
	size_t i;
	json_t *a;
	json_array_foreach(attrs, i, a)
		if (!strcmp(json_string_value(json_object_get(a, "type")), type) &&
		    !strcmp(json_string_value(json_object_get(a, "value")), value))
			return true;
	return false;
}

static void test_misp(void)
{
	setup();
	char *d = run_export(EXPORT_MISP, items5, 5, true, NULL);
	CHECK(d != NULL);
	if (!d)
		return;
	json_error_t je;
	json_t *doc = json_loads(d, 0, &je);
	CHECK(doc != NULL);
	json_t *resp = json_object_get(doc, "response");
	CHECK(json_array_size(resp) == 4);	/* RED left out */
	const char *want_tags[] = { "tlp:clear", "tlp:green", "tlp:amber",
	    "tlp:amber+strict" };
	for (size_t k = 0; k < json_array_size(resp) && k < 4; k++) {
		json_t *ev = json_object_get(json_array_get(resp, k), "Event");
		json_t *tag0 = json_array_get(json_object_get(ev, "Tag"), 0);
		CHECK(!strcmp(json_string_value(json_object_get(tag0, "name")),
		    want_tags[k]));
		CHECK(json_string_value(json_object_get(ev, "info")) != NULL);
		CHECK(json_string_value(json_object_get(ev, "threat_level_id")));
	}
	json_t *ev0 = json_object_get(json_array_get(resp, 0), "Event");
	CHECK(!strcmp(json_string_value(json_object_get(ev0, "date")), "2014-07-01"));
	CHECK(!strcmp(json_string_value(json_object_get(ev0, "info")),
	    "Fake invoice, \"urgent\", with EXE"));
	json_t *attrs = json_object_get(ev0, "Attribute");
	CHECK(misp_has(attrs, "url", "http://login.evil.example/owa?x='1'"));
	CHECK(misp_has(attrs, "domain", "evil.example"));
	CHECK(misp_has(attrs, "domain", "c2.evil.example"));
	CHECK(misp_has(attrs, "ip-dst", "203.0.113.7"));
	CHECK(misp_has(attrs, "ip-src", "198.51.100.25"));
	json_t *objs = json_object_get(ev0, "Object");
	json_t *email = NULL, *file = NULL;
	size_t i;
	json_t *o;
	json_array_foreach(objs, i, o) {
		const char *n = json_string_value(json_object_get(o, "name"));
		if (!strcmp(n, "email")) email = o;
		if (!strcmp(n, "file")) file = o;
	}
	CHECK(email && file);
	json_t *ea = json_object_get(email, "Attribute");
	CHECK(misp_has(ea, "email-src", "taro.yamada@freemail.example"));
	CHECK(misp_has(ea, "email-reply-to", "collect@evil.example"));
	CHECK(misp_has(ea, "email-subject", "Invoice, Q3\r\nplease pay"));
	json_t *fa = json_object_get(file, "Attribute");
	CHECK(misp_has(fa, "sha256",
	    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"));
	CHECK(misp_has(fa, "filename", "invoice.pdf.exe"));
	json_decref(doc);
	free(d);
}

static void test_csv_quoting(void)
{
	setup();
	char *d = run_export(EXPORT_CSV, &items5[0], 1, false, NULL);
	CHECK(d != NULL);
	if (!d)
		return;
	CHECK(!strncmp(d, "report_id,created,tlp,originator,type,value,context\r\n", 53));
	/* originator with a comma is quoted; subject with CR LF too */
	CHECK(strstr(d, ",2014-07-01T00:00:00.123Z,TLP:CLEAR,\"Chemical Co, Ltd.\","
	    "email,taro.yamada@freemail.example,sender\r\n") != NULL);
	CHECK(strstr(d, ",subject,\"Invoice, Q3\r\nplease pay\",subject\r\n") != NULL);
	CHECK(strstr(d, ",url,http://login.evil.example/owa?x='1',link\r\n") != NULL);
	CHECK(strstr(d, ",ipv6,2001:db8::7,c2\r\n") != NULL);
	/* a value with a quote doubles it */
	static body_t bq = { .title = "q", .subject = "say \"hi\"" };
	export_item it = items5[0];
	it.body = &bq;
	char *q = run_export(EXPORT_CSV, &it, 1, false, NULL);
	CHECK(q && strstr(q, ",subject,\"say \"\"hi\"\"\",subject\r\n"));
	/* rows: header + 1 from + 1 reply-to + subject + url + domain + sha +
	 * filename + c2 host + c2 ip + c2 ip6 + relay host + relay ip = 13 */
	int rows = 0;
	for (const char *p = d; (p = strstr(p, "\r\n")); p += 2)
		rows++;
	CHECK(rows == 13 + 1);	/* the quoted subject holds one more CRLF */
	free(q);
	free(d);
}

/* Collect (type, value) pairs of high-value indicators as "t:v\n" lines. */
static int collect(void *ctx, const export_ind *in)
{
	char **s = ctx;
	if (!in->high_value)
		return 0;
	char line[4200];
	snprintf(line, sizeof line, "%d:%s\n", in->type, in->value);
	size_t n = *s ? strlen(*s) : 0;
	*s = realloc(*s, n + strlen(line) + 1);
	strcpy(*s + n, line);
	return 0;
}

static int linecmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted, newline-joined high-value indicators of b. */
static char *ind_set(const body_t *b)
{
	char *s = NULL;
	export_indicators(b, collect, &s);
	if (!s)
		return strdup("");
	size_t total = strlen(s);
	char *lines[256];
	int n = 0;
	for (char *p = strtok(s, "\n"); p && n < 256; p = strtok(NULL, "\n"))
		lines[n++] = p;
	qsort(lines, n, sizeof *lines, linecmp);
	char *out = calloc(1, total + 2);
	for (int i = 0; i < n; i++) {
		strcat(out, lines[i]);
		strcat(out, "\n");
	}
	free(s);
	return out;
}

static void test_import_roundtrip(void)
{
	setup();
	char *d = run_export(EXPORT_STIX21, &items5[0], 1, false, NULL);
	CHECK(d != NULL);
	if (!d)
		return;
	body_t b;
	sm_err e;
	int rc = stix_import(d, strlen(d), &b, &e);
	CHECKF(rc == 0, "%s", e.msg);
	if (rc == 0) {
		char *want = ind_set(&body1), *got = ind_set(&b);
		CHECKF(!strcmp(want, got), "want\n%s got\n%s", want, got);
		CHECK(!strcmp(b.title, body1.title));
		CHECK(b.subject && !strcmp(b.subject, body1.subject));
		CHECK(b.n_reply_to == 1 && !strcmp(b.reply_to[0].addr,
		    "collect@evil.example"));
		CHECK(b.n_from == 1 && b.from[0].name &&
		    !strcmp(b.from[0].name, "Taro Yamada"));
		CHECK(b.n_atts == 1 && b.atts[0].size == 73216 &&
		    !strcmp(b.atts[0].name, "invoice.pdf.exe"));
		/* relay host and IP come back as two relays */
		CHECK(b.n_relays == 2 && b.relays[0].host && b.relays[1].ip &&
		    !strcmp(b.relays[0].host, "mx.freemail.example") &&
		    !strcmp(b.relays[1].ip, "198.51.100.25"));
		CHECK(b.mail_type == MAIL_ATTACHMENT);
		CHECK(b.message_id && !strcmp(b.message_id, "<a1@freemail.example>"));
		free(want);
		free(got);
		/* and the imported body encodes as a valid report body */
		size_t el;
		uint8_t *enc = body_encode(&b, &el, &e);
		CHECKF(enc != NULL, "%s", e.msg);
		free(enc);
		body_clear(&b);
	}
	free(d);
}

static void test_import_patterns(void)
{
	const char *j =
	    "{\"type\":\"bundle\",\"id\":\"bundle--1\",\"objects\":["
	    "{\"type\":\"indicator\",\"pattern_type\":\"stix\",\"pattern\":"
	    "\"([domain-name:value = 'a.example' OR url:value = 'http://b.example/x'] AND "
	    "[ipv4-addr:value = '192.0.2.1']) OR [file:hashes.'SHA-256' = "
	    "'9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08']\"},"
	    "{\"type\":\"indicator\",\"pattern\":\"[email-addr:value = 'o\\\\'brien@x.example']\"},"
	    "{\"type\":\"indicator\",\"pattern\":\"[process:name = 'evil.exe']\"},"
	    "{\"type\":\"indicator\",\"pattern\":\"[domain-name:value = 'c.example'] FOLLOWEDBY [url:value = 'u']\"},"
	    "{\"type\":\"indicator\",\"pattern\":\"[domain-name:value MATCHES '^x']\"}"
	    "]}";
	body_t b;
	sm_err e;
	int rc = stix_import(j, strlen(j), &b, &e);
	CHECKF(rc == 0, "%s", e.msg);
	if (rc != 0)
		return;
	/* c.example from the FOLLOWEDBY pattern: comparisons understood are
	 * taken even when the whole pattern is kept as a label */
	CHECKF(b.n_domains == 2 && !strcmp(b.domains[0], "a.example") &&
	    !strcmp(b.domains[1], "c.example"),
	    "%zu domains, labels %zu: %s", b.n_domains, b.n_labels,
	    b.n_labels ? b.labels[0] : "");
	CHECK(b.n_urls == 1 && !strcmp(b.urls[0], "http://b.example/x"));
	CHECK(b.n_c2 == 1 && !strcmp(b.c2[0].ip, "192.0.2.1"));
	CHECK(b.n_atts == 1 && b.atts[0].has_sha256 && b.atts[0].sha256[0] == 0x9f);
	CHECK(b.n_from == 1 && !strcmp(b.from[0].addr, "o'brien@x.example"));
	/* three patterns not understood are kept as labels */
	CHECK(b.n_labels == 3);
	CHECK(b.n_labels == 3 && !strcmp(b.labels[0],
	    "stix-pattern:[process:name = 'evil.exe']"));
	body_clear(&b);
}

static void test_import_rejects(void)
{
	body_t b;
	sm_err e;
	const char *bad[] = {
		"not json",
		"{\"type\":\"report\",\"objects\":[]}",
		"{\"type\":\"bundle\",\"objects\":{}}",
		"{\"type\":\"bundle\",\"objects\":[1]}",
		"{\"type\":\"bundle\",\"objects\":[{\"type\":\"url\",\"value\":7}]}",
		"{\"type\":\"bundle\",\"type\":\"bundle\",\"objects\":[]}",
		"{\"type\":\"bundle\",\"objects\":[{\"type\":\"url\",\"value\":\"a\\u0000b\"}]}",
		"{\"type\":\"bundle\",\"objects\":[{\"type\":\"indicator\"}]}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		int rc = stix_import(bad[i], strlen(bad[i]), &b, &e);
		CHECKF(rc == -1 && e.code == SM_EMALFORMED, "case %zu: rc %d code %d",
		    i, rc, e.code);
		CHECK(b.title == NULL && b.n_urls == 0);
	}
	/* over-long value: bound, not truncation */
	size_t n = BODY_MAX_STR + 100;
	char *big = malloc(n + 100);
	int k = sprintf(big, "{\"type\":\"bundle\",\"objects\":[{\"type\":\"url\",\"value\":\"");
	memset(big + k, 'a', n);
	strcpy(big + k + n, "\"}]}");
	CHECK(stix_import(big, strlen(big), &b, &e) == -1 && e.code == SM_EBOUND);
	free(big);
	/* too many URLs */
	size_t cap = 64 * (BODY_MAX_LIST + 2) + 100;
	char *many = malloc(cap);
	size_t o = (size_t)sprintf(many, "{\"type\":\"bundle\",\"objects\":[");
	for (int i = 0; i < BODY_MAX_LIST + 1; i++)
		o += (size_t)sprintf(many + o, "%s{\"type\":\"url\",\"value\":\"u%d\"}",
		    i ? "," : "", i);
	strcpy(many + o, "]}");
	CHECK(stix_import(many, strlen(many), &b, &e) == -1 && e.code == SM_EBOUND);
	free(many);
	CHECK(stix_import("{}", STIX_IMPORT_MAX_LEN + 1, &b, &e) == -1 &&
	    e.code == SM_EBOUND);
}

int main(void)
{
	RUN(test_uuid5_golden);
	RUN(test_rfc3339);
	RUN(test_format_parse);
	RUN(test_tlp_honoured);
	RUN(test_retracted_and_unreadable);
	RUN(test_deterministic);
	RUN(test_stix_structure);
	RUN(test_misp);
	RUN(test_csv_quoting);
	RUN(test_import_roundtrip);
	RUN(test_import_patterns);
	RUN(test_import_rejects);
	TEST_EXIT();
}
