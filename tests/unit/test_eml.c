/* tests/unit/test_eml.c — email ingestion (node/eml.c) and anonymization
 * (node/anon.c) on crafted emails (tests/eml/) and the Phishing Pot set. */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "node/anon.h"
#include "node/eml.h"
#include "tests/test.h"

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0) {
		long n = ftell(f);
		if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1))) {
			*len = fread(buf, 1, (size_t)n, f);
			buf[*len] = 0;
		}
	}
	fclose(f);
	return buf;
}

static int parse_file(const char *path, const eml_opts *o, body_t *b, eml_info *info)
{
	size_t len = 0;
	sm_err e = { 0 };
	uint8_t *raw = slurp(path, &len);
	if (!raw) {
		printf("  cannot read %s\n", path);
		memset(b, 0, sizeof(*b));
		return -1;
	}
	int rc = eml_parse(raw, len, o, b, info, &e);
	if (rc < 0)
		printf("  %s: %s\n", path, e.msg);
	free(raw);
	return rc;
}

static bool has_str(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

/* Whitespace runs collapsed, for comparing subjects with Python's. */
static void squash(const char *in, char *out, size_t cap)
{
	size_t o = 0;
	bool sp = true;
	for (; *in && o + 1 < cap; in++) {
		if (isspace((unsigned char)*in)) {
			if (!sp)
				out[o++] = ' ';
			sp = true;
		} else {
			out[o++] = *in;
			sp = false;
		}
	}
	while (o && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
}

static void hex(const uint8_t *h, char *out)
{
	for (int i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", h[i]);
}

/* Canonical encoding survives a round trip for every parsed body. */
static bool reencodes(const body_t *b)
{
	sm_err e = { 0 };
	size_t l1, l2;
	body_t d;
	uint8_t *x = body_encode(b, &l1, &e), *y = NULL;
	bool ok = x && body_decode(x, l1, &d, &e) == 0;
	if (ok) {
		y = body_encode(&d, &l2, &e);
		ok = y && l1 == l2 && memcmp(x, y, l1) == 0;
		body_clear(&d);
	}
	free(x);
	free(y);
	return ok;
}

/* ---- crafted emails ---------------------------------------------------- */

static void t_jp(void)
{
	body_t b;
	eml_info info;
	CHECK(parse_file("tests/eml/jp-iso2022-sjis.eml", NULL, &b, &info) == 0);
	CHECK(b.subject && strcmp(b.subject, "請求書の送付") == 0);
	CHECK(b.n_from == 1 && strcmp(b.from[0].addr, "keiri@yahoo.co.jp") == 0);
	CHECK(b.sender_class == SENDER_FREEMAIL_DOMESTIC);
	CHECK(b.mail_type == MAIL_LINK);
	CHECK(b.n_urls == 4);
	CHECK(has_str(b.domains, b.n_domains, "phish.attacker.example"));
	/* Shift_JIS body decoded: the URL after Japanese text was found */
	CHECK(has_str(b.urls, b.n_urls, "https://portal.victim.example/news"));
	/* recipient in plain, %40 and base64 forms are all gone */
	char *js = body_to_json(&b);
	CHECK(js && !strcasestr(js, "taro.yamada") && !strstr(js, "taro.yamada%40"));
	CHECK(js && !strstr(js, "dGFyby55YW1hZGFAdmljdGltLmV4YW1wbGU"));
	CHECK(js && strstr(js, "login?u=[recipient]&x=1"));
	free(js);
	CHECK(info.n_recipients >= 1 && info.log.n == 3);
	CHECK(b.n_relays == 1 && strcmp(b.relays[0].ip, "203.0.113.9") == 0 &&
	    strcmp(b.relays[0].host, "sender.attacker.example") == 0);
	CHECK(b.first_seen_ms == 1420419600000ull);	/* 2015-01-05 10:00 +0900 */
	CHECK(b.return_path && strcmp(b.return_path, "bounce@attacker.example") == 0);
	CHECK(b.x_mailer && strcmp(b.x_mailer, "Crafted 1.0") == 0);
	CHECK(reencodes(&b));
	body_clear(&b);
	eml_info_clear(&info);
}

static void t_org_rules(void)
{
	anon_rules *r = anon_rules_new();
	sm_err e = { 0 };
	body_t b;
	eml_info info;
	CHECK(anon_rules_add(r, ANON_ORG_DOMAIN, "victim.example", &e) == 0);
	CHECK(anon_rules_add(r, ANON_EXTRA, "procurement", &e) == 0);
	CHECK(anon_rules_add(r, ANON_INTERNAL_IP, "203.0.113.0/24", &e) == 0);
	CHECK(anon_rules_add(r, ANON_INTERNAL_IP, "300.1.1.1", &e) < 0 && e.code == SM_EINVAL);
	eml_opts o = { .rules = r };
	CHECK(parse_file("tests/eml/jp-iso2022-sjis.eml", &o, &b, &info) == 0);
	/* the org's own domain is dropped from domains, masked in URLs */
	CHECK(!has_str(b.domains, b.n_domains, "portal.victim.example"));
	CHECK(has_str(b.urls, b.n_urls, "https://portal.[org-domain]/news"));
	/* 203.0.113.0/24 declared internal: no external hop is left */
	CHECK(b.n_relays == 0);
	char *js = body_to_json(&b);
	CHECK(js && !strcasestr(js, "victim.example"));
	free(js);
	body_clear(&b);
	eml_info_clear(&info);
	CHECK(parse_file("tests/eml/recon.eml", &o, &b, &info) == 0);
	CHECK(b.mail_type == MAIL_RECON && b.sender_class == SENDER_FREEMAIL_FOREIGN);
	body_clear(&b);
	eml_info_clear(&info);
	/* keep_recipients: local analysis sees the raw values */
	o.keep_recipients = true;
	CHECK(parse_file("tests/eml/jp-iso2022-sjis.eml", &o, &b, &info) == 0);
	CHECK(has_str(b.urls, b.n_urls, "http://phish.attacker.example/p?e=taro.yamada%40victim.example"));
	CHECK(info.log.n == 0);
	body_clear(&b);
	eml_info_clear(&info);
	anon_rules_destroy(&r);
	anon_rules_destroy(&r);
	CHECK(r == NULL);
}

static void t_attachments(void)
{
	static const struct {
		const char *file, *name, *sha;
		uint8_t cls;
		uint32_t flags;
		uint8_t sender;
	} c[] = {
		{ "office-macro.eml", "order.docm",
		  "7bb24980d434634fb4962caf677b8b21f7abbd614437ccc39fdaea9cdf9c10a8",
		  FILE_OFFICE, ATT_MACROS, SENDER_CORPORATE },
		{ "lnk.eml", "資料.lnk",
		  "f7a2182081a5956879415fab0d673e723838856a8a31d17ad0c891291d21617d",
		  FILE_SHORTCUT, 0, SENDER_ISP },
		{ "rlo-exe.eml", "report\xe2\x80\xae" "fdp.exe",
		  "adb034d21a0e9aad925964e1847fffb73c291b1483c3b758fd023d630094c2dd",
		  FILE_EXECUTABLE, ATT_RLO | ATT_FAKE_ICON, SENDER_FREEMAIL_FOREIGN },
		{ "ichitaro.eml", "program.jtd",
		  "a899fb4496afa7230c378d5be03cf3461990994993110fd2dad3257111081275",
		  FILE_ICHITARO, 0, SENDER_CORPORATE },
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		char path[256], h[65];
		body_t b;
		eml_info info;
		snprintf(path, sizeof(path), "tests/eml/%s", c[i].file);
		CHECKF(parse_file(path, NULL, &b, &info) == 0, "%s", c[i].file);
		CHECKF(b.n_atts == 1, "%s: %zu attachments", c[i].file, b.n_atts);
		if (b.n_atts == 1) {
			hex(b.atts[0].sha256, h);
			CHECKF(b.atts[0].name && strcmp(b.atts[0].name, c[i].name) == 0,
			    "%s: name %s", c[i].file, b.atts[0].name);
			CHECKF(b.atts[0].has_sha256 && strcmp(h, c[i].sha) == 0, "%s: %s", c[i].file, h);
			CHECKF(b.atts[0].file_class == c[i].cls, "%s: class %u", c[i].file, b.atts[0].file_class);
			CHECKF(b.atts[0].flags == c[i].flags, "%s: flags %x", c[i].file, b.atts[0].flags);
		}
		CHECK(b.mail_type == MAIL_ATTACHMENT);
		CHECKF(b.sender_class == c[i].sender, "%s: sender %u", c[i].file, b.sender_class);
		CHECK(reencodes(&b));
		body_clear(&b);
		eml_info_clear(&info);
	}
}

static void t_classify(void)
{
	uint32_t f;
	static const uint8_t mz[] = "MZ\x90";
	CHECK(eml_file_class(mz, 3, "invoice.pdf.exe", &f) == FILE_EXECUTABLE &&
	    f == (ATT_DOUBLE_EXT | ATT_FAKE_ICON));
	CHECK(eml_file_class(mz, 3, "setup.exe", &f) == FILE_EXECUTABLE && f == 0);
	CHECK(eml_file_class(mz, 3, "photo.jpg", &f) == FILE_EXECUTABLE && f == ATT_FAKE_ICON);
	CHECK(eml_file_class((const uint8_t *)"x", 1, "a.docx     .scr", &f) == FILE_EXECUTABLE &&
	    f == ATT_DOUBLE_EXT);
	CHECK(eml_file_class((const uint8_t *)"var a", 5, "run.JS", &f) == FILE_SCRIPT);
	CHECK(eml_file_class((const uint8_t *)"x", 1, "t.hta", &f) == FILE_SCRIPT);
	CHECK(eml_file_class((const uint8_t *)"%PDF-1.4", 8, "a.bin", &f) == FILE_PDF && f == 0);
	CHECK(eml_file_class((const uint8_t *)"Rar!\x1a\x07\x00", 7, "a", &f) == FILE_ARCHIVE);
	CHECK(eml_file_class((const uint8_t *)"PK\x03\x04\x14\x00\x01\x00", 8, "a.zip", &f) == FILE_ARCHIVE &&
	    f == ATT_ENCRYPTED);
	static const uint8_t ole_vba[] = { 0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1,
		'_', 0, 'V', 0, 'B', 0, 'A', 0, '_', 0, 'P', 0, 'R', 0, 'O', 0, 'J', 0, 'E', 0,
		'C', 0, 'T', 0 };
	CHECK(eml_file_class(ole_vba, sizeof(ole_vba), "a.xls", &f) == FILE_OFFICE && f == ATT_MACROS);
	CHECK(eml_file_class((const uint8_t *)"", 0, NULL, &f) == FILE_OTHER && f == 0);
	CHECK(eml_sender_class("a@yahoo.co.jp") == SENDER_FREEMAIL_DOMESTIC);
	CHECK(eml_sender_class("a@GMAIL.com") == SENDER_FREEMAIL_FOREIGN);
	CHECK(eml_sender_class("a@xyz.ocn.ne.jp") == SENDER_ISP);
	CHECK(eml_sender_class("a@notgmail.com") == SENDER_CORPORATE);
	CHECK(eml_sender_class("nobody") == SENDER_UNKNOWN);
	CHECK(eml_sender_class(NULL) == SENDER_UNKNOWN);
}

static void t_anon_unit(void)
{
	anon_rules *r = anon_rules_new();
	sm_err e = { 0 };
	anon_log log = { 0 };
	body_t b = { 0 };
	CHECK(anon_rules_add(r, ANON_RECIPIENT, "<Hanako.Sato@corp.example>", &e) == 0);
	CHECK(anon_rules_add(r, ANON_RECIPIENT_NAME, "佐藤花子", &e) == 0);
	CHECK(anon_rules_add(r, ANON_ORG_DOMAIN, "corp.example", &e) == 0);
	CHECK(anon_rules_add(r, ANON_INTERNAL_HOST, "mx.internal", &e) == 0);
	CHECK(anon_rules_count(r, ANON_RECIPIENT_NAME) == 2);	/* + local part */
	b.subject = strdup("佐藤花子様 ご確認ください");
	b.title = strdup("mail to hanako.sato@CORP.example via mx.internal");
	b.n_urls = 2;
	b.urls = calloc(2, sizeof(char *));
	b.urls[0] = strdup("http://x.example/?m=hanako.sato%2540corp.example");
	/* base64url of "x=hanako.sato@corp.example" (alignment 2) */
	b.urls[1] = strdup("http://x.example/#eD1oYW5ha28uc2F0b0Bjb3JwLmV4YW1wbGU");
	b.n_domains = 2;
	b.domains = calloc(2, sizeof(char *));
	b.domains[0] = strdup("mail.corp.example");
	b.domains[1] = strdup("notcorp.example");
	b.n_relays = 1;
	b.relays = calloc(1, sizeof(body_host));
	b.relays[0].ip = strdup("192.168.1.20");
	CHECK(anon_apply(&b, r, &log, &e) == 0);
	CHECK(strcmp(b.subject, "[recipient]様 ご確認ください") == 0);
	CHECK(strcmp(b.title, "mail to [recipient] via [internal-host]") == 0);
	CHECK(strcmp(b.urls[0], "http://x.example/?m=[recipient]") == 0);
	CHECK(!strstr(b.urls[1], "aGFuYWtvLnNhdG9AY29ycC5leGFtcGxl") && strstr(b.urls[1], "[recipient]"));
	CHECK(b.n_domains == 1 && strcmp(b.domains[0], "notcorp.example") == 0);
	CHECK(b.n_relays == 0);
	CHECK(log.n >= 6);
	CHECK(anon_is_internal_ip(r, "10.1.2.3") && anon_is_internal_ip(r, "fe80::1") &&
	    !anon_is_internal_ip(r, "8.8.8.8") && !anon_is_internal_ip(r, "garbage"));
	CHECK(anon_is_internal_host(r, "a.b.corp.example") && !anon_is_internal_host(r, "xcorp.example"));
	anon_log_clear(&log);
	body_clear(&b);
	anon_rules_destroy(&r);
}

static void t_hostile(void)
{
	body_t b;
	eml_info info;
	sm_err e = { 0 };
	/* truncated multipart: parsed as far as it goes, never a crash */
	CHECK(parse_file("tests/eml/truncated.eml", NULL, &b, &info) == 0);
	CHECK(b.subject && strcmp(b.subject, "Cut") == 0);
	body_clear(&b);
	eml_info_clear(&info);
	/* empty and garbage input */
	int rc = eml_parse((const uint8_t *)"", 0, NULL, &b, &info, &e);
	CHECK(rc < 0 || b.n_from == 0);
	body_clear(&b);
	static const uint8_t junk[] = { 0xff, 0x00, 0x01, '\n', '\n', 0x80, 0xfe };
	rc = eml_parse(junk, sizeof(junk), NULL, &b, &info, &e);
	CHECK(rc < 0 || (b.n_from == 0 && b.subject == NULL));
	body_clear(&b);
	/* over max_size */
	eml_opts o = { .max_size = 10 };
	sm_err_clear(&e);
	CHECK(eml_parse((const uint8_t *)"Subject: 12345678901\r\n\r\n", 24, &o, &b, &info, &e) < 0 &&
	    e.code == SM_EBOUND);
	/* 2,000 nested multiparts: refused before GMime recurses */
	size_t cap = 2000 * 80 + 100, n = 0;
	char *deep = malloc(cap);
	n += (size_t)snprintf(deep, cap, "From: a@b.example\r\nSubject: deep\r\n");
	for (int i = 0; i < 2000; i++)
		n += (size_t)snprintf(deep + n, cap - n,
		    "Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n--b%d\r\n", i, i);
	sm_err_clear(&e);
	CHECK(eml_parse((uint8_t *)deep, n, NULL, &b, &info, &e) < 0 && e.code == SM_EBOUND);
	/* 40 nested: parsed; the depth bound stops the walk (partial) */
	n = (size_t)snprintf(deep, cap, "From: a@b.example\r\nSubject: deep\r\n");
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(deep + n, cap - n,
		    "Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n--b%d\r\n", i, i);
	n += (size_t)snprintf(deep + n, cap - n, "Content-Type: text/plain\r\n\r\nhttp://x.example/\r\n");
	CHECK(eml_parse((uint8_t *)deep, n, NULL, &b, &info, &e) == 0 && info.partial);
	body_clear(&b);
	eml_info_clear(&info);
	/* a 1 MB header line, and a subject over BODY_MAX_STR */
	free(deep);
	cap = (1 << 20) + 200;
	deep = malloc(cap);
	n = (size_t)snprintf(deep, cap, "From: a@b.example\r\nSubject: ");
	memset(deep + n, 'A', 1 << 20);
	n += 1 << 20;
	n += (size_t)snprintf(deep + n, cap - n, "\r\n\r\nbody\r\n");
	CHECK(eml_parse((uint8_t *)deep, n, NULL, &b, &info, &e) == 0);
	CHECK(b.subject && strlen(b.subject) == BODY_MAX_STR);
	CHECK(reencodes(&b));
	body_clear(&b);
	eml_info_clear(&info);
	free(deep);
}

static void t_dry_run(void)
{
	size_t len = 0;
	sm_err e = { 0 };
	uint8_t *raw = slurp("tests/eml/jp-iso2022-sjis.eml", &len);
	CHECK(raw != NULL);
	char *js = raw ? eml_dry_run_json(raw, len, NULL, &e) : NULL;
	CHECK(js != NULL);
	json_t *o = js ? json_loads(js, 0, NULL) : NULL;
	CHECK(o && json_is_object(json_object_get(o, "body")));
	json_t *reps = o ? json_object_get(o, "replacements") : NULL;
	CHECK(json_is_array(reps) && json_array_size(reps) == 3);
	CHECK(reps && strcmp(json_string_value(json_object_get(json_array_get(reps, 0), "placeholder")),
	    "[recipient]") == 0);
	char *bj = o ? json_dumps(json_object_get(o, "body"), 0) : NULL;
	CHECK(bj && !strstr(bj, "taro.yamada"));
	/* the body JSON is accepted back by body_from_json */
	body_t b;
	CHECK(bj && body_from_json(bj, strlen(bj), &b, &e) == 0 && b.mail_type == MAIL_LINK);
	body_clear(&b);
	free(bj);
	json_decref(o);
	free(js);
	free(raw);
}

/* ---- Phishing Pot ------------------------------------------------------ */

static bool pot_dir(char *out, size_t cap)
{
	snprintf(out, cap, "%s/data/phishing_pot", test_shared_dir());
	DIR *d = opendir(out);
	if (!d)
		return false;
	closedir(d);
	return true;
}

/* Recipient's mail system in that set is Microsoft's. */
static anon_rules *pot_rules(void)
{
	anon_rules *r = anon_rules_new();
	(void)anon_rules_add(r, ANON_ORG_DOMAIN, "outlook.com", NULL);
	return r;
}

static void t_phishing_pot(void)
{
	char dir[512], path[1024];
	if (!pot_dir(dir, sizeof(dir))) {
		printf("SKIP t_phishing_pot: %s not found\n", dir);
		CHECK(1);
		return;
	}
	anon_rules *r = pot_rules();
	eml_opts o = { .rules = r };
	DIR *d = opendir(dir);
	struct dirent *de;
	int files = 0, parsed = 0, with_relay = 0, leaks = 0;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l < 4 || strcmp(de->d_name + l - 4, ".eml") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		body_t b;
		eml_info info;
		files++;
		if (parse_file(path, &o, &b, &info) == 0) {
			parsed++;
			char *js = body_to_json(&b);
			if (!js || strcasestr(js, "phishing@pot")) {
				leaks++;
				printf("  leak in %s\n", de->d_name);
			}
			free(js);
			if (!reencodes(&b))
				printf("  re-encode differs: %s\n", de->d_name), leaks++;
			if (b.n_relays)
				with_relay++;
		}
		body_clear(&b);
		eml_info_clear(&info);
	}
	closedir(d);
	anon_rules_destroy(&r);
	printf("  phishing_pot: %d files, %d parsed, %d with an external relay\n",
	    files, parsed, with_relay);
	CHECK(files >= 200 && parsed == files);
	CHECK(leaks == 0);
	CHECK(with_relay > files / 2);
}

static void t_labelled(void)
{
	char dir[512], path[1024];
	if (!pot_dir(dir, sizeof(dir))) {
		printf("SKIP t_labelled: %s not found\n", dir);
		CHECK(1);
		return;
	}
	DIR *d = opendir("tests/eml/expected");
	CHECK(d != NULL);
	if (!d)
		return;
	anon_rules *r = pot_rules();
	eml_opts o = { .rules = r };
	struct dirent *de;
	int n = 0;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "sample-", 7) != 0)
			continue;
		snprintf(path, sizeof(path), "tests/eml/expected/%s", de->d_name);
		json_t *x = json_load_file(path, 0, NULL);
		CHECKF(x != NULL, "%s", path);
		if (!x)
			continue;
		const char *file = json_string_value(json_object_get(x, "file"));
		snprintf(path, sizeof(path), "%s/%s", dir, file);
		body_t b;
		eml_info info;
		CHECKF(parse_file(path, &o, &b, &info) == 0, "%s", file);
		n++;
		const char *from = json_string_value(json_object_get(x, "from"));
		CHECKF(b.n_from >= 1 && from && strcasecmp(b.from[0].addr, from) == 0,
		    "%s: from %s, want %s", file, b.n_from ? b.from[0].addr : "-", from);
		const char *subj = json_string_value(json_object_get(x, "subject"));
		char s1[BODY_MAX_STR + 1], s2[BODY_MAX_STR + 1];
		squash(b.subject ? b.subject : "", s1, sizeof(s1));
		squash(subj ? subj : "", s2, sizeof(s2));
		CHECKF(strcmp(s1, s2) == 0, "%s: subject \"%s\", want \"%s\"", file, s1, s2);
		json_t *atts = json_object_get(x, "attachments");
		CHECKF(b.n_atts == json_array_size(atts), "%s: %zu attachments, want %zu",
		    file, b.n_atts, json_array_size(atts));
		for (size_t i = 0; i < b.n_atts && i < json_array_size(atts); i++) {
			json_t *a = json_array_get(atts, i);
			char h[65];
			hex(b.atts[i].sha256, h);
			CHECKF(strcmp(h, json_string_value(json_object_get(a, "sha256"))) == 0,
			    "%s: attachment %zu sha256 %s", file, i, h);
			CHECKF(b.atts[i].size == (uint64_t)json_integer_value(json_object_get(a, "size")),
			    "%s: attachment %zu size", file, i);
			const char *nm = json_string_value(json_object_get(a, "name"));
			CHECKF(nm && b.atts[i].name && strcmp(nm, b.atts[i].name) == 0,
			    "%s: attachment %zu name %s", file, i, b.atts[i].name);
		}
		const char *mt = json_string_value(json_object_get(x, "mail_type"));
		if (mt)
			CHECKF(strcmp(body_mail_type_name(b.mail_type), mt) == 0, "%s: mail_type %s",
			    file, body_mail_type_name(b.mail_type));
		json_t *doms = json_object_get(x, "domains");
		for (size_t i = 0; i < json_array_size(doms); i++)
			CHECKF(has_str(b.domains, b.n_domains, json_string_value(json_array_get(doms, i))),
			    "%s: domain %s missing", file, json_string_value(json_array_get(doms, i)));
		if (mt && strcmp(mt, "reconnaissance") == 0)
			CHECK(b.n_urls == 0);
		body_clear(&b);
		eml_info_clear(&info);
		json_decref(x);
	}
	closedir(d);
	anon_rules_destroy(&r);
	CHECKF(n >= 20, "only %d labelled emails", n);
}

int main(void)
{
	RUN(t_jp);
	RUN(t_org_rules);
	RUN(t_attachments);
	RUN(t_classify);
	RUN(t_anon_unit);
	RUN(t_hostile);
	RUN(t_dry_run);
	RUN(t_phishing_pot);
	RUN(t_labelled);
	TEST_EXIT();
}
