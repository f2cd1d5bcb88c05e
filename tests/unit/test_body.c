/* tests/unit/test_body.c — report body: msgpack, JSON, indicators. */
#include <string.h>
#include <stdlib.h>

#include "proto/body.h"
#include "proto/codec.h"
#include "tests/test.h"

/* A body with every field set (the strings are malloc'd: body_clear frees). */
static void fill(body_t *b)
{
	memset(b, 0, sizeof(*b));
	b->title = strdup("Invoice lure with macro document");
	b->mail_type = MAIL_ATTACHMENT;
	b->sender_class = SENDER_FREEMAIL_FOREIGN;
	b->first_seen_ms = 1420070400000ull;
	b->n_from = 1;
	b->from = calloc(1, sizeof(body_addr));
	b->from[0].addr = strdup("Attacker@Gmail.COM");
	b->from[0].name = strdup("経理部");
	b->n_reply_to = 1;
	b->reply_to = calloc(1, sizeof(body_addr));
	b->reply_to[0].addr = strdup("reply@example.net");
	b->return_path = strdup("<bounce@Example.NET>");
	b->subject = strdup("請求書の送付");
	b->message_id = strdup("<1234@mail.example.net>");
	b->x_mailer = strdup("Microsoft Outlook 15.0");
	b->n_relays = 2;
	b->relays = calloc(2, sizeof(body_host));
	b->relays[0].host = strdup("MAIL.example.net");
	b->relays[0].ip = strdup("203.0.113.7");
	b->relays[1].ip = strdup("2001:db8::1");
	b->relays[1].port = 25;
	b->n_urls = 1;
	b->urls = calloc(1, sizeof(char *));
	b->urls[0] = strdup("http://evil.example.com/login?x=1");
	b->n_domains = 2;
	b->domains = calloc(2, sizeof(char *));
	b->domains[0] = strdup("Evil.Example.com");
	b->domains[1] = strdup("evil.example.com");	/* duplicate after lowercasing */
	b->n_atts = 1;
	b->atts = calloc(1, sizeof(body_attachment));
	b->atts[0].name = strdup("invoice.doc");
	b->atts[0].mime = strdup("application/msword");
	b->atts[0].size = 40960;
	b->atts[0].has_sha256 = true;
	for (int i = 0; i < 32; i++)
		b->atts[0].sha256[i] = (uint8_t)(i * 7 + 1);
	b->atts[0].file_class = FILE_OFFICE;
	b->atts[0].flags = ATT_MACROS | ATT_DOUBLE_EXT;
	b->n_c2 = 1;
	b->c2 = calloc(1, sizeof(body_host));
	b->c2[0].host = strdup("c2.example.org");
	b->c2[0].port = 443;
	b->n_labels = 1;
	b->labels = calloc(1, sizeof(char *));
	b->labels[0] = strdup("apt");
	b->analysis = strdup("Dropper; see attachment.");
}

static bool same(const body_t *a, const body_t *b)
{
	sm_err e;
	size_t la, lb;
	uint8_t *x = body_encode(a, &la, &e), *y = body_encode(b, &lb, &e);
	bool r = x && y && la == lb && memcmp(x, y, la) == 0;
	free(x);
	free(y);
	return r;
}

static void t_roundtrip(void)
{
	body_t b, d;
	sm_err e;
	size_t len, len2;
	fill(&b);
	uint8_t *enc = body_encode(&b, &len, &e);
	CHECK(enc != NULL);
	CHECK(body_decode(enc, len, &d, &e) == 0);
	CHECK(d.mail_type == MAIL_ATTACHMENT && d.sender_class == SENDER_FREEMAIL_FOREIGN);
	CHECK(d.first_seen_ms == 1420070400000ull);
	CHECK(d.n_from == 1 && strcmp(d.from[0].name, "経理部") == 0);
	CHECK(d.n_reply_to == 1 && d.reply_to[0].name == NULL);
	CHECK(d.n_relays == 2 && d.relays[1].port == 25 && d.relays[1].host == NULL);
	CHECK(d.n_atts == 1 && d.atts[0].has_sha256 && d.atts[0].sha256[31] == (uint8_t)(31 * 7 + 1));
	CHECK(d.atts[0].flags == (ATT_MACROS | ATT_DOUBLE_EXT) && d.atts[0].file_class == FILE_OFFICE);
	CHECK(strcmp(d.analysis, "Dropper; see attachment.") == 0);
	/* canonical: re-encoding the decoded body gives the same bytes */
	uint8_t *enc2 = body_encode(&d, &len2, &e);
	CHECK(enc2 && len2 == len && memcmp(enc, enc2, len) == 0);
	/* golden prefix: map of 17 entries, key 1 = title */
	CHECK(enc[0] == 0xde && enc[1] == 0 && enc[2] == 17 && enc[3] == 0x01);
	free(enc);
	free(enc2);
	body_clear(&d);
	body_clear(&b);
	body_clear(&b);	/* idempotent */
	CHECK(b.title == NULL);
}

static void t_empty(void)
{
	body_t b = { 0 }, d;
	sm_err e;
	size_t len;
	uint8_t *enc = body_encode(&b, &len, &e);
	CHECK(enc && len == 1 && enc[0] == 0x80);
	CHECK(body_decode(enc, len, &d, &e) == 0);
	CHECK(d.title == NULL && d.n_from == 0);
	free(enc);
}

static void t_unknown_key(void)
{
	/* {1:"t", 99:"new field", } and an attachment with unknown key 9 */
	codec_w w;
	size_t len;
	body_t d;
	sm_err e;
	codec_w_init(&w);
	codec_w_map(&w, 3);
	codec_w_uint(&w, 1); codec_w_cstr(&w, "t");
	codec_w_uint(&w, 14);
	codec_w_array(&w, 1);
	codec_w_map(&w, 2);
	codec_w_uint(&w, 1); codec_w_cstr(&w, "a.exe");
	codec_w_uint(&w, 9); codec_w_cstr(&w, "future");
	codec_w_uint(&w, 99); codec_w_cstr(&w, "new field");
	uint8_t *buf = codec_w_take(&w, &len);
	codec_w_free(&w);
	CHECK(buf != NULL);
	CHECK(body_decode(buf, len, &d, &e) == 0);
	CHECK(d.title && strcmp(d.title, "t") == 0);
	CHECK(d.n_atts == 1 && strcmp(d.atts[0].name, "a.exe") == 0);
	body_clear(&d);
	free(buf);
}

static uint8_t *enc_one(uint64_t key, int kind, size_t *len)
{
	codec_w w;
	codec_w_init(&w);
	codec_w_map(&w, 1);
	codec_w_uint(&w, key);
	switch (kind) {
	case 0: codec_w_cstr(&w, ""); break;			/* empty string */
	case 1: codec_w_uint(&w, 7); break;			/* wrong type */
	case 2: codec_w_str(&w, "\xc3\x28", 2); break;		/* bad UTF-8 */
	case 3: codec_w_array(&w, 0); break;			/* empty list */
	case 4: codec_w_uint(&w, 9); break;			/* enum out of range */
	case 5: {						/* long string */
		char *s = malloc(BODY_MAX_STR + 1);
		memset(s, 'a', BODY_MAX_STR + 1);
		codec_w_str(&w, s, BODY_MAX_STR + 1);
		free(s);
		break;
	}
	case 6:							/* list too long */
		codec_w_array(&w, BODY_MAX_LIST + 1);
		for (int i = 0; i < BODY_MAX_LIST + 1; i++)
			codec_w_cstr(&w, "x");
		break;
	case 7: codec_w_uint(&w, 0); break;			/* zero uint present */
	}
	uint8_t *b = codec_w_take(&w, len);
	codec_w_free(&w);
	return b;
}

static int dec_code(uint64_t key, int kind)
{
	size_t len;
	body_t d;
	sm_err e = { 0 };
	uint8_t *buf = enc_one(key, kind, &len);
	int rc = body_decode(buf, len, &d, &e);
	free(buf);
	if (rc == 0) {
		body_clear(&d);
		return 0;
	}
	CHECK(d.title == NULL && d.n_urls == 0);	/* left cleared */
	return e.code;
}

static void t_bounds(void)
{
	CHECK(dec_code(1, 0) == SM_ENONCANON);
	CHECK(dec_code(8, 1) == SM_EMALFORMED);
	CHECK(dec_code(8, 2) == SM_EMALFORMED);
	CHECK(dec_code(12, 3) == SM_ENONCANON);
	CHECK(dec_code(2, 4) == SM_EBOUND);
	CHECK(dec_code(3, 4) == SM_EBOUND);
	CHECK(dec_code(8, 5) == SM_EBOUND);
	CHECK(dec_code(12, 6) == SM_EBOUND);
	CHECK(dec_code(4, 7) == SM_ENONCANON);
	CHECK(dec_code(12, 1) == SM_EMALFORMED);
	CHECK(dec_code(2, 1) == SM_EBOUND);
	/* analysis may be longer than BODY_MAX_STR */
	CHECK(dec_code(17, 5) == 0);
	/* trailing byte, truncation */
	body_t b, d;
	sm_err e;
	size_t len;
	fill(&b);
	uint8_t *enc = body_encode(&b, &len, &e);
	uint8_t *big = malloc(len + 1);
	memcpy(big, enc, len);
	big[len] = 0;
	sm_err_clear(&e);
	CHECK(body_decode(big, len + 1, &d, &e) < 0 && e.code == SM_ETRAILING);
	for (size_t cut = 0; cut < len; cut += 7) {
		sm_err_clear(&e);
		CHECK(body_decode(enc, cut, &d, &e) < 0 && e.code != SM_OK);
	}
	free(big);
	free(enc);
	/* the encoder refuses what the decoder would refuse */
	free(b.subject);
	b.subject = strdup("\xff\xfe");
	sm_err_clear(&e);
	CHECK(body_encode(&b, &len, &e) == NULL && e.code == SM_EMALFORMED);
	b.mail_type = 9;
	sm_err_clear(&e);
	CHECK(body_encode(&b, &len, &e) == NULL && e.code == SM_EBOUND);
	body_clear(&b);
}

static void t_json(void)
{
	body_t b, d;
	sm_err e;
	fill(&b);
	char *js = body_to_json(&b);
	CHECK(js != NULL);
	CHECK(strstr(js, "\"mail_type\": \"attachment\"") != NULL);
	CHECK(strstr(js, "\"sender_class\": \"freemail-foreign\"") != NULL);
	CHECK(strstr(js, "\"file_class\": \"office\"") != NULL);
	CHECK(strstr(js, "\"double-extension\"") && strstr(js, "\"macros\""));
	CHECK(strstr(js, "\"sha256\": \"0108") != NULL);
	CHECK(body_from_json(js, strlen(js), &d, &e) == 0);
	CHECK(same(&b, &d));
	body_clear(&d);
	free(js);

	/* unknown flag bits survive as "bitN" */
	b.atts[0].flags |= 1u << 20;
	js = body_to_json(&b);
	CHECK(js && strstr(js, "\"bit20\""));
	CHECK(body_from_json(js, strlen(js), &d, &e) == 0 && d.atts[0].flags == b.atts[0].flags);
	body_clear(&d);
	free(js);
	body_clear(&b);

	const char *bad[][2] = {
		{ "{\"subject\": 5}", "subject" },
		{ "{\"mail_type\": \"spam\"}", "mail_type" },
		{ "{\"from\": [{\"name\": \"x\"}]}", "from[0].address" },
		{ "{\"attachments\": [{\"sha256\": \"ABCD\"}]}", "attachments[0].sha256" },
		{ "{\"attachments\": [{\"flags\": [\"nope\"]}]}", "attachments[0].flags" },
		{ "{\"relays\": [{\"ip\": \"1.2.3.4\", \"port\": 70000}]}", "relays[0].port" },
		{ "{\"subjet\": \"typo\"}", "subjet" },
		{ "[1,2]", "object" },
		{ "{\"urls\": [\"\"]}", "urls[0]" },
		{ "{\"first_seen_ms\": -1}", "first_seen_ms" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sm_err_clear(&e);
		int rc = body_from_json(bad[i][0], strlen(bad[i][0]), &d, &e);
		CHECKF(rc < 0 && strstr(e.msg, bad[i][1]), "%s -> %s", bad[i][0], rc < 0 ? e.msg : "accepted");
	}
}

static void t_indicators(void)
{
	body_t b;
	body_indicator *v;
	size_t n;
	char *hex;
	sm_err e;
	fill(&b);
	CHECK(body_indicators(&b, &v, &n, &hex, &e) == 0);
	int seen[10] = { 0 };
	bool gmail = false, dom = false, sha = false, ip6 = false, rp = false;
	for (size_t i = 0; i < n; i++) {
		CHECK(v[i].type >= 1 && v[i].type <= 9);
		seen[v[i].type]++;
		if (v[i].type == BODY_IND_EMAIL && strcmp(v[i].value, "attacker@gmail.com") == 0)
			gmail = true;
		if (v[i].type == BODY_IND_EMAIL && strcmp(v[i].value, "bounce@example.net") == 0)
			rp = true;
		if (v[i].type == BODY_IND_DOMAIN && strcmp(v[i].value, "evil.example.com") == 0)
			dom = true;
		if (v[i].type == BODY_IND_SHA256 && strncmp(v[i].value, "0108", 4) == 0 && strlen(v[i].value) == 64)
			sha = true;
		if (v[i].type == BODY_IND_IPV6 && strcmp(v[i].value, "2001:db8::1") == 0)
			ip6 = true;
		if (i > 0)
			CHECK(v[i - 1].type < v[i].type || strcmp(v[i - 1].value, v[i].value) < 0);
	}
	CHECK(gmail && dom && sha && ip6 && rp);
	CHECK(seen[BODY_IND_EMAIL] == 3);
	CHECK(seen[BODY_IND_DOMAIN] == 1);	/* deduplicated */
	CHECK(seen[BODY_IND_IPV4] == 1 && seen[BODY_IND_IPV6] == 1);
	CHECK(seen[BODY_IND_HOST] == 2);	/* relay host + c2 host */
	CHECK(seen[BODY_IND_URL] == 1 && seen[BODY_IND_SUBJECT] == 1 && seen[BODY_IND_FILENAME] == 1);
	CHECK(seen[BODY_IND_SHA256] == 1);
	CHECK(n == 12);
	free(v);
	free(hex);
	body_clear(&b);
}

int main(void)
{
	RUN(t_roundtrip);
	RUN(t_empty);
	RUN(t_unknown_key);
	RUN(t_bounds);
	RUN(t_json);
	RUN(t_indicators);
	TEST_EXIT();
}
