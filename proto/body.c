/*
 * proto/body.c — the report body: canonical msgpack, JSON, indicators.
 *
 * Wire form (PROTOCOL.md §5): one map with integer keys in ascending order;
 * empty strings, empty lists and zero numbers are omitted, so a body has
 * exactly one encoding. Because the encoder never writes an empty value,
 * the decoder refuses one (SM_ENONCANON): otherwise two encodings of the
 * same body would exist and signatures over re-encoded bodies would differ.
 * Every map (the body, addresses, hosts, attachments) is lenient: a newer
 * node may add keys and an older one skips them.
 */
#include "proto/body.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "proto/codec.h"

/* Body map keys (PROTOCOL.md §5). */
enum {
	K_TITLE = 1, K_MAIL_TYPE = 2, K_SENDER_CLASS = 3, K_FIRST_SEEN = 4,
	K_FROM = 5, K_REPLY_TO = 6, K_RETURN_PATH = 7, K_SUBJECT = 8,
	K_MESSAGE_ID = 9, K_X_MAILER = 10, K_RELAYS = 11, K_URLS = 12,
	K_DOMAINS = 13, K_ATTS = 14, K_C2 = 15, K_LABELS = 16, K_ANALYSIS = 17,
};
enum { KA_ADDR = 1, KA_NAME = 2 };
enum { KH_HOST = 1, KH_IP = 2, KH_PORT = 3 };
enum {
	KT_NAME = 1, KT_MIME = 2, KT_SIZE = 3, KT_SHA256 = 4, KT_CLASS = 5,
	KT_FLAGS = 6,
};

#define MAIL_TYPE_MAX MAIL_RECON
#define SENDER_CLASS_MAX SENDER_CORPORATE
#define FILE_CLASS_MAX FILE_ICHITARO
#define ATT_KNOWN_FLAGS 5	/* bits 0..4 have names */

/* ---- names ------------------------------------------------------------ */

static const char *const mail_type_names[] = {
	"unknown", "attachment", "link", "reconnaissance",
};
static const char *const sender_class_names[] = {
	"unknown", "freemail-domestic", "freemail-foreign", "isp", "corporate",
};
static const char *const file_class_names[] = {
	"other", "executable", "office", "shortcut", "pdf", "archive", "script",
	"ichitaro",
};
static const char *const flag_names[ATT_KNOWN_FLAGS] = {
	"double-extension", "rlo", "fake-icon", "macros", "encrypted",
};

const char *body_mail_type_name(uint8_t t)
{
	return t <= MAIL_TYPE_MAX ? mail_type_names[t] : "unknown";
}

const char *body_sender_class_name(uint8_t c)
{
	return c <= SENDER_CLASS_MAX ? sender_class_names[c] : "unknown";
}

const char *body_file_class_name(uint8_t c)
{
	return c <= FILE_CLASS_MAX ? file_class_names[c] : "other";
}

static int name_index(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

/* ---- clearing --------------------------------------------------------- */

static void addrs_free(body_addr *a, size_t n)
{
	for (size_t i = 0; a && i < n; i++) {
		free(a[i].addr);
		free(a[i].name);
	}
	free(a);
}

static void hosts_free(body_host *h, size_t n)
{
	for (size_t i = 0; h && i < n; i++) {
		free(h[i].host);
		free(h[i].ip);
	}
	free(h);
}

static void strs_free(char **s, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		free(s[i]);
	free(s);
}

void body_clear(body_t *b)
{
	if (!b)
		return;
	free(b->title);
	addrs_free(b->from, b->n_from);
	addrs_free(b->reply_to, b->n_reply_to);
	free(b->return_path);
	free(b->subject);
	free(b->message_id);
	free(b->x_mailer);
	hosts_free(b->relays, b->n_relays);
	strs_free(b->urls, b->n_urls);
	strs_free(b->domains, b->n_domains);
	for (size_t i = 0; b->atts && i < b->n_atts; i++) {
		free(b->atts[i].name);
		free(b->atts[i].mime);
	}
	free(b->atts);
	hosts_free(b->c2, b->n_c2);
	strs_free(b->labels, b->n_labels);
	free(b->analysis);
	memset(b, 0, sizeof(*b));
}

/* ---- encoding --------------------------------------------------------- */

static bool present(const char *s)
{
	return s && *s;
}

/* Checks the encoder applies to its input, so that what it emits is what
 * a strict decoder accepts (bounds, UTF-8). */
static int check_str(const char *s, size_t max, const char *what, sm_err *err)
{
	if (!s)
		return 0;
	size_t n = strlen(s);
	if (n > max)
		return sm_fail(err, SM_EBOUND, "%s: %zu bytes, max %zu", what, n, max);
	if (!codec_utf8_ok(s, n))
		return sm_fail(err, SM_EMALFORMED, "%s: not valid UTF-8", what);
	return 0;
}

static int check_list(size_t n, const char *what, sm_err *err)
{
	if (n > BODY_MAX_LIST)
		return sm_fail(err, SM_EBOUND, "%s: %zu entries, max %d", what, n,
		    BODY_MAX_LIST);
	return 0;
}

static int w_addrs(codec_w *w, const body_addr *a, size_t n, const char *what,
    sm_err *err)
{
	if (check_list(n, what, err) < 0)
		return -1;
	codec_w_array(w, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		if (!present(a[i].addr))
			return sm_fail(err, SM_EINVAL, "%s[%zu]: empty address", what, i);
		if (check_str(a[i].addr, BODY_MAX_STR, what, err) < 0 ||
		    check_str(a[i].name, BODY_MAX_STR, what, err) < 0)
			return -1;
		codec_w_map(w, present(a[i].name) ? 2 : 1);
		codec_w_uint(w, KA_ADDR);
		codec_w_cstr(w, a[i].addr);
		if (present(a[i].name)) {
			codec_w_uint(w, KA_NAME);
			codec_w_cstr(w, a[i].name);
		}
	}
	return 0;
}

static int w_hosts(codec_w *w, const body_host *h, size_t n, const char *what,
    sm_err *err)
{
	if (check_list(n, what, err) < 0)
		return -1;
	codec_w_array(w, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		uint32_t m = present(h[i].host) + present(h[i].ip) + (h[i].port != 0);
		if (!present(h[i].host) && !present(h[i].ip))
			return sm_fail(err, SM_EINVAL, "%s[%zu]: neither host nor ip", what, i);
		if (h[i].port > 65535)
			return sm_fail(err, SM_EBOUND, "%s[%zu]: port %u", what, i, h[i].port);
		if (check_str(h[i].host, BODY_MAX_STR, what, err) < 0 ||
		    check_str(h[i].ip, BODY_MAX_STR, what, err) < 0)
			return -1;
		codec_w_map(w, m);
		if (present(h[i].host)) {
			codec_w_uint(w, KH_HOST);
			codec_w_cstr(w, h[i].host);
		}
		if (present(h[i].ip)) {
			codec_w_uint(w, KH_IP);
			codec_w_cstr(w, h[i].ip);
		}
		if (h[i].port) {
			codec_w_uint(w, KH_PORT);
			codec_w_uint(w, h[i].port);
		}
	}
	return 0;
}

static int w_strs(codec_w *w, char *const *s, size_t n, const char *what,
    sm_err *err)
{
	if (check_list(n, what, err) < 0)
		return -1;
	codec_w_array(w, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		if (!present(s[i]))
			return sm_fail(err, SM_EINVAL, "%s[%zu]: empty string", what, i);
		if (check_str(s[i], BODY_MAX_STR, what, err) < 0)
			return -1;
		codec_w_cstr(w, s[i]);
	}
	return 0;
}

static int w_atts(codec_w *w, const body_attachment *a, size_t n, sm_err *err)
{
	if (check_list(n, "attachments", err) < 0)
		return -1;
	codec_w_array(w, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		const body_attachment *t = &a[i];
		if (t->file_class > FILE_CLASS_MAX)
			return sm_fail(err, SM_EBOUND, "attachments[%zu]: file class %u",
			    i, t->file_class);
		if (check_str(t->name, BODY_MAX_STR, "attachment name", err) < 0 ||
		    check_str(t->mime, BODY_MAX_STR, "attachment mime", err) < 0)
			return -1;
		/* An attachment known only by position is {}: still canonical. */
		uint32_t m = present(t->name) + present(t->mime) + (t->size != 0) +
		    t->has_sha256 + (t->file_class != 0) + (t->flags != 0);
		codec_w_map(w, m);
		if (present(t->name)) {
			codec_w_uint(w, KT_NAME);
			codec_w_cstr(w, t->name);
		}
		if (present(t->mime)) {
			codec_w_uint(w, KT_MIME);
			codec_w_cstr(w, t->mime);
		}
		if (t->size) {
			codec_w_uint(w, KT_SIZE);
			codec_w_uint(w, t->size);
		}
		if (t->has_sha256) {
			codec_w_uint(w, KT_SHA256);
			codec_w_bin(w, t->sha256, 32);
		}
		if (t->file_class) {
			codec_w_uint(w, KT_CLASS);
			codec_w_uint(w, t->file_class);
		}
		if (t->flags) {
			codec_w_uint(w, KT_FLAGS);
			codec_w_uint(w, t->flags);
		}
	}
	return 0;
}

uint8_t *body_encode(const body_t *b, size_t *len, sm_err *err)
{
	codec_w w;
	uint8_t *out = NULL;
	uint32_t m = 0;

	*len = 0;
	if (b->mail_type > MAIL_TYPE_MAX || b->sender_class > SENDER_CLASS_MAX) {
		sm_fail(err, SM_EBOUND, "body: mail_type %u / sender_class %u out of range",
		    b->mail_type, b->sender_class);
		return NULL;
	}
	if (check_str(b->title, BODY_MAX_STR, "title", err) < 0 ||
	    check_str(b->return_path, BODY_MAX_STR, "return_path", err) < 0 ||
	    check_str(b->subject, BODY_MAX_STR, "subject", err) < 0 ||
	    check_str(b->message_id, BODY_MAX_STR, "message_id", err) < 0 ||
	    check_str(b->x_mailer, BODY_MAX_STR, "x_mailer", err) < 0 ||
	    check_str(b->analysis, BODY_MAX_TEXT, "analysis", err) < 0)
		return NULL;

	m = present(b->title) + (b->mail_type != 0) + (b->sender_class != 0) +
	    (b->first_seen_ms != 0) + (b->n_from != 0) + (b->n_reply_to != 0) +
	    present(b->return_path) + present(b->subject) +
	    present(b->message_id) + present(b->x_mailer) + (b->n_relays != 0) +
	    (b->n_urls != 0) + (b->n_domains != 0) + (b->n_atts != 0) +
	    (b->n_c2 != 0) + (b->n_labels != 0) + present(b->analysis);

	codec_w_init(&w);
	codec_w_map(&w, m);
#define W_STR(k, s) do { if (present(s)) { codec_w_uint(&w, k); codec_w_cstr(&w, s); } } while (0)
#define W_UINT(k, v) do { if (v) { codec_w_uint(&w, k); codec_w_uint(&w, v); } } while (0)
	W_STR(K_TITLE, b->title);
	W_UINT(K_MAIL_TYPE, b->mail_type);
	W_UINT(K_SENDER_CLASS, b->sender_class);
	W_UINT(K_FIRST_SEEN, b->first_seen_ms);
	if (b->n_from) {
		codec_w_uint(&w, K_FROM);
		if (w_addrs(&w, b->from, b->n_from, "from", err) < 0)
			goto out;
	}
	if (b->n_reply_to) {
		codec_w_uint(&w, K_REPLY_TO);
		if (w_addrs(&w, b->reply_to, b->n_reply_to, "reply_to", err) < 0)
			goto out;
	}
	W_STR(K_RETURN_PATH, b->return_path);
	W_STR(K_SUBJECT, b->subject);
	W_STR(K_MESSAGE_ID, b->message_id);
	W_STR(K_X_MAILER, b->x_mailer);
	if (b->n_relays) {
		codec_w_uint(&w, K_RELAYS);
		if (w_hosts(&w, b->relays, b->n_relays, "relays", err) < 0)
			goto out;
	}
	if (b->n_urls) {
		codec_w_uint(&w, K_URLS);
		if (w_strs(&w, b->urls, b->n_urls, "urls", err) < 0)
			goto out;
	}
	if (b->n_domains) {
		codec_w_uint(&w, K_DOMAINS);
		if (w_strs(&w, b->domains, b->n_domains, "domains", err) < 0)
			goto out;
	}
	if (b->n_atts) {
		codec_w_uint(&w, K_ATTS);
		if (w_atts(&w, b->atts, b->n_atts, err) < 0)
			goto out;
	}
	if (b->n_c2) {
		codec_w_uint(&w, K_C2);
		if (w_hosts(&w, b->c2, b->n_c2, "c2", err) < 0)
			goto out;
	}
	if (b->n_labels) {
		codec_w_uint(&w, K_LABELS);
		if (w_strs(&w, b->labels, b->n_labels, "labels", err) < 0)
			goto out;
	}
	W_STR(K_ANALYSIS, b->analysis);
#undef W_STR
#undef W_UINT
	out = codec_w_take(&w, len);
	if (!out)
		sm_fail(err, SM_ENOMEM, "body: out of memory encoding");
out:
	codec_w_free(&w);
	return out;
}

/* ---- decoding --------------------------------------------------------- */

static int noncanon_empty(const char *what, sm_err *err)
{
	return sm_fail(err, SM_ENONCANON, "%s: empty value present (must be omitted)", what);
}

/* Optional non-empty string field. */
static int get_str(codec_map *m, uint64_t key, size_t max, char **out,
    const char *what, sm_err *err)
{
	const msgpack_object *o = codec_map_field(m, key);
	if (!o)
		return 0;
	if (o->type == MSGPACK_OBJECT_STR && o->via.str.size == 0)
		return noncanon_empty(what, err);
	return codec_as_strdup(o, max, out, what, err);
}

static int get_uint(codec_map *m, uint64_t key, uint64_t max, uint64_t *out,
    const char *what, sm_err *err)
{
	const msgpack_object *o = codec_map_field(m, key);
	*out = 0;
	if (!o)
		return 0;
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 == 0)
		return noncanon_empty(what, err);
	return codec_as_uint(o, 1, max, out, what, err);
}

/* Optional non-empty array: items and n stay NULL and 0 when absent. */
static int get_list(codec_map *m, uint64_t key, const msgpack_object **items,
    uint32_t *n, const char *what, sm_err *err)
{
	const msgpack_object *o = codec_map_field(m, key);
	*items = NULL;
	*n = 0;
	if (!o)
		return 0;
	if (codec_as_array(o, BODY_MAX_LIST, items, n, what, err) < 0)
		return -1;
	if (*n == 0)
		return noncanon_empty(what, err);
	return 0;
}

static int d_addrs(codec_map *m, uint64_t key, body_addr **out, size_t *nout,
    const char *what, sm_err *err)
{
	const msgpack_object *it;
	uint32_t n;
	char nm[64];

	if (get_list(m, key, &it, &n, what, err) < 0)
		return -1;
	if (!n)
		return 0;
	if (!(*out = calloc(n, sizeof(**out))))
		return sm_fail(err, SM_ENOMEM, "%s: out of memory", what);
	*nout = n;
	for (uint32_t i = 0; i < n; i++) {
		codec_map am;
		snprintf(nm, sizeof(nm), "%s[%u]", what, i);
		if (codec_map_begin(&am, &it[i], nm, err) < 0)
			return -1;
		codec_map_lenient(&am);
		const msgpack_object *a = codec_map_field(&am, KA_ADDR);
		if (!a)
			return sm_fail(err, SM_EMALFORMED, "%s: missing address", nm);
		if (a->type == MSGPACK_OBJECT_STR && a->via.str.size == 0)
			return noncanon_empty(nm, err);
		if (codec_as_strdup(a, BODY_MAX_STR, &(*out)[i].addr, nm, err) < 0 ||
		    get_str(&am, KA_NAME, BODY_MAX_STR, &(*out)[i].name, nm, err) < 0 ||
		    codec_map_end(&am, err) < 0)
			return -1;
	}
	return 0;
}

static int d_hosts(codec_map *m, uint64_t key, body_host **out, size_t *nout,
    const char *what, sm_err *err)
{
	const msgpack_object *it;
	uint32_t n;
	char nm[64];

	if (get_list(m, key, &it, &n, what, err) < 0)
		return -1;
	if (!n)
		return 0;
	if (!(*out = calloc(n, sizeof(**out))))
		return sm_fail(err, SM_ENOMEM, "%s: out of memory", what);
	*nout = n;
	for (uint32_t i = 0; i < n; i++) {
		codec_map hm;
		uint64_t port;
		body_host *h = &(*out)[i];
		snprintf(nm, sizeof(nm), "%s[%u]", what, i);
		if (codec_map_begin(&hm, &it[i], nm, err) < 0)
			return -1;
		codec_map_lenient(&hm);
		if (get_str(&hm, KH_HOST, BODY_MAX_STR, &h->host, nm, err) < 0 ||
		    get_str(&hm, KH_IP, BODY_MAX_STR, &h->ip, nm, err) < 0 ||
		    get_uint(&hm, KH_PORT, 65535, &port, nm, err) < 0 ||
		    codec_map_end(&hm, err) < 0)
			return -1;
		h->port = (uint32_t)port;
		if (!h->host && !h->ip)
			return sm_fail(err, SM_EMALFORMED, "%s: neither host nor ip", nm);
	}
	return 0;
}

static int d_strs(codec_map *m, uint64_t key, char ***out, size_t *nout,
    const char *what, sm_err *err)
{
	const msgpack_object *it;
	uint32_t n;
	char nm[64];

	if (get_list(m, key, &it, &n, what, err) < 0)
		return -1;
	if (!n)
		return 0;
	if (!(*out = calloc(n, sizeof(**out))))
		return sm_fail(err, SM_ENOMEM, "%s: out of memory", what);
	*nout = n;
	for (uint32_t i = 0; i < n; i++) {
		snprintf(nm, sizeof(nm), "%s[%u]", what, i);
		if (it[i].type == MSGPACK_OBJECT_STR && it[i].via.str.size == 0)
			return noncanon_empty(nm, err);
		if (codec_as_strdup(&it[i], BODY_MAX_STR, &(*out)[i], nm, err) < 0)
			return -1;
	}
	return 0;
}

static int d_atts(codec_map *m, body_t *b, sm_err *err)
{
	const msgpack_object *it;
	uint32_t n;
	char nm[64];

	if (get_list(m, K_ATTS, &it, &n, "attachments", err) < 0)
		return -1;
	if (!n)
		return 0;
	if (!(b->atts = calloc(n, sizeof(*b->atts))))
		return sm_fail(err, SM_ENOMEM, "attachments: out of memory");
	b->n_atts = n;
	for (uint32_t i = 0; i < n; i++) {
		codec_map am;
		body_attachment *t = &b->atts[i];
		uint64_t v;
		snprintf(nm, sizeof(nm), "attachments[%u]", i);
		if (codec_map_begin(&am, &it[i], nm, err) < 0)
			return -1;
		codec_map_lenient(&am);
		if (get_str(&am, KT_NAME, BODY_MAX_STR, &t->name, nm, err) < 0 ||
		    get_str(&am, KT_MIME, BODY_MAX_STR, &t->mime, nm, err) < 0 ||
		    get_uint(&am, KT_SIZE, UINT64_MAX, &t->size, nm, err) < 0)
			return -1;
		const msgpack_object *h = codec_map_field(&am, KT_SHA256);
		if (h) {
			if (codec_as_binfix(h, t->sha256, 32, nm, err) < 0)
				return -1;
			t->has_sha256 = true;
		}
		if (get_uint(&am, KT_CLASS, FILE_CLASS_MAX, &v, nm, err) < 0)
			return -1;
		t->file_class = (uint8_t)v;
		/* Flags are a bit set newer nodes may extend: any 32-bit value. */
		if (get_uint(&am, KT_FLAGS, UINT32_MAX, &v, nm, err) < 0)
			return -1;
		t->flags = (uint32_t)v;
		if (codec_map_end(&am, err) < 0)
			return -1;
	}
	return 0;
}

int body_decode(const uint8_t *buf, size_t len, body_t *out, sm_err *err)
{
	codec_doc doc;
	codec_map m;
	uint64_t v;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (codec_decode(&doc, buf, len, CODEC_MAX_DEPTH, err) < 0)
		return sm_wrap(err, "body: ");
	if (codec_map_begin(&m, doc.root, "body", err) < 0)
		goto out;
	codec_map_lenient(&m);
	if (get_str(&m, K_TITLE, BODY_MAX_STR, &out->title, "title", err) < 0)
		goto out;
	if (get_uint(&m, K_MAIL_TYPE, MAIL_TYPE_MAX, &v, "mail_type", err) < 0)
		goto out;
	out->mail_type = (uint8_t)v;
	if (get_uint(&m, K_SENDER_CLASS, SENDER_CLASS_MAX, &v, "sender_class", err) < 0)
		goto out;
	out->sender_class = (uint8_t)v;
	if (get_uint(&m, K_FIRST_SEEN, UINT64_MAX, &out->first_seen_ms, "first_seen_ms", err) < 0 ||
	    d_addrs(&m, K_FROM, &out->from, &out->n_from, "from", err) < 0 ||
	    d_addrs(&m, K_REPLY_TO, &out->reply_to, &out->n_reply_to, "reply_to", err) < 0 ||
	    get_str(&m, K_RETURN_PATH, BODY_MAX_STR, &out->return_path, "return_path", err) < 0 ||
	    get_str(&m, K_SUBJECT, BODY_MAX_STR, &out->subject, "subject", err) < 0 ||
	    get_str(&m, K_MESSAGE_ID, BODY_MAX_STR, &out->message_id, "message_id", err) < 0 ||
	    get_str(&m, K_X_MAILER, BODY_MAX_STR, &out->x_mailer, "x_mailer", err) < 0 ||
	    d_hosts(&m, K_RELAYS, &out->relays, &out->n_relays, "relays", err) < 0 ||
	    d_strs(&m, K_URLS, &out->urls, &out->n_urls, "urls", err) < 0 ||
	    d_strs(&m, K_DOMAINS, &out->domains, &out->n_domains, "domains", err) < 0 ||
	    d_atts(&m, out, err) < 0 ||
	    d_hosts(&m, K_C2, &out->c2, &out->n_c2, "c2", err) < 0 ||
	    d_strs(&m, K_LABELS, &out->labels, &out->n_labels, "labels", err) < 0 ||
	    get_str(&m, K_ANALYSIS, BODY_MAX_TEXT, &out->analysis, "analysis", err) < 0 ||
	    codec_map_end(&m, err) < 0)
		goto out;
	rc = 0;
out:
	codec_doc_free(&doc);
	if (rc < 0) {
		body_clear(out);
		if (err && strncmp(err->msg, "body", 4) != 0)
			sm_wrap(err, "body: ");
	}
	return rc;
}

/* ---- indicators ------------------------------------------------------- */

/* Derived values (lowercased addresses and domains, hashes as hex) live in
 * one arena so the caller frees a single buffer (*hexbuf). */
typedef struct arena {
	char *buf;
	size_t len, cap;
} arena;

static int ind_cmp(const void *a, const void *b)
{
	const body_indicator *x = a, *y = b;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	return strcmp(x->value, y->value);
}

int body_indicators(const body_t *b, body_indicator **out, size_t *n,
    char **hexbuf, sm_err *err)
{
	size_t cap = 0, k = 0;
	arena ar = { 0 };
	body_indicator *v = NULL;
	/* Offsets into the arena, turned into pointers once it stops moving. */
	size_t *off = NULL;

	*out = NULL;
	*n = 0;
	*hexbuf = NULL;
	cap = b->n_from + b->n_reply_to + 1 + 1 + 2 * b->n_relays + b->n_urls +
	    b->n_domains + 2 * b->n_atts + 2 * b->n_c2 + 1;
	/* Arena: every lowercased string and hex hash, plus NULs. */
	ar.cap = 1;
	for (size_t i = 0; i < b->n_from; i++)
		ar.cap += strlen(b->from[i].addr ? b->from[i].addr : "") + 1;
	for (size_t i = 0; i < b->n_reply_to; i++)
		ar.cap += strlen(b->reply_to[i].addr ? b->reply_to[i].addr : "") + 1;
	ar.cap += (b->return_path ? strlen(b->return_path) : 0) + 1;
	for (size_t i = 0; i < b->n_domains; i++)
		ar.cap += strlen(b->domains[i] ? b->domains[i] : "") + 1;
	for (size_t i = 0; i < b->n_relays; i++)
		ar.cap += (b->relays[i].host ? strlen(b->relays[i].host) : 0) + 1;
	for (size_t i = 0; i < b->n_c2; i++)
		ar.cap += (b->c2[i].host ? strlen(b->c2[i].host) : 0) + 1;
	ar.cap += 65 * b->n_atts;

	v = calloc(cap, sizeof(*v));
	off = calloc(cap, sizeof(*off));
	ar.buf = malloc(ar.cap);
	if (!v || !off || !ar.buf) {
		free(v);
		free(off);
		free(ar.buf);
		return sm_fail(err, SM_ENOMEM, "indicators: out of memory");
	}
	ar.buf[0] = '\0';
	ar.len = 1;
	/* off[k] == 0 means v[k].value is borrowed from the body. */
#define BORROW(t, s) do { if (present(s)) { v[k].type = (t); v[k].value = (s); off[k++] = 0; } } while (0)
#define LOWER(t, s) do { if (present(s)) { \
		const char *s_ = (s); size_t l_ = strlen(s_); \
		if (*s_ == '<' && l_ >= 2 && s_[l_ - 1] == '>') { s_++; l_ -= 2; } \
		if (l_) { \
			for (size_t j_ = 0; j_ < l_; j_++) \
				ar.buf[ar.len + j_] = (char)tolower((unsigned char)s_[j_]); \
			ar.buf[ar.len + l_] = '\0'; \
			v[k].type = (t); off[k++] = ar.len; ar.len += l_ + 1; } } } while (0)
	for (size_t i = 0; i < b->n_from; i++)
		LOWER(BODY_IND_EMAIL, b->from[i].addr);
	for (size_t i = 0; i < b->n_reply_to; i++)
		LOWER(BODY_IND_EMAIL, b->reply_to[i].addr);
	LOWER(BODY_IND_EMAIL, b->return_path);
	BORROW(BODY_IND_SUBJECT, b->subject);
	for (size_t i = 0; i < b->n_domains; i++)
		LOWER(BODY_IND_DOMAIN, b->domains[i]);
	for (size_t i = 0; i < b->n_urls; i++)
		BORROW(BODY_IND_URL, b->urls[i]);
	for (int pass = 0; pass < 2; pass++) {
		const body_host *hs = pass ? b->c2 : b->relays;
		size_t nh = pass ? b->n_c2 : b->n_relays;
		for (size_t i = 0; i < nh; i++) {
			LOWER(BODY_IND_HOST, hs[i].host);
			if (present(hs[i].ip)) {
				unsigned char tmp[16];
				int t = inet_pton(AF_INET, hs[i].ip, tmp) == 1 ? BODY_IND_IPV4 :
				    inet_pton(AF_INET6, hs[i].ip, tmp) == 1 ? BODY_IND_IPV6 : 0;
				if (t)
					BORROW(t, hs[i].ip);
			}
		}
	}
	for (size_t i = 0; i < b->n_atts; i++) {
		if (b->atts[i].has_sha256) {
			static const char hx[] = "0123456789abcdef";
			for (int j = 0; j < 32; j++) {
				ar.buf[ar.len + 2 * j] = hx[b->atts[i].sha256[j] >> 4];
				ar.buf[ar.len + 2 * j + 1] = hx[b->atts[i].sha256[j] & 15];
			}
			ar.buf[ar.len + 64] = '\0';
			v[k].type = BODY_IND_SHA256;
			off[k++] = ar.len;
			ar.len += 65;
		}
		BORROW(BODY_IND_FILENAME, b->atts[i].name);
	}
#undef BORROW
#undef LOWER
	for (size_t i = 0; i < k; i++)
		if (off[i])
			v[i].value = ar.buf + off[i];
	free(off);
	/* Sorted and without duplicates, so the index sees each value once. */
	if (k > 1)	/* qsort needs a valid pointer even for 0 items */
		qsort(v, k, sizeof(*v), ind_cmp);
	size_t u = 0;
	for (size_t i = 0; i < k; i++)
		if (u == 0 || ind_cmp(&v[u - 1], &v[i]) != 0)
			v[u++] = v[i];
	*out = v;
	*n = u;
	*hexbuf = ar.buf;
	return 0;
}

/* ---- JSON ------------------------------------------------------------- */

static int jset(json_t *o, const char *k, json_t *v)
{
	return v ? json_object_set_new(o, k, v) : -1;
}

static json_t *j_addrs(const body_addr *a, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < n; i++) {
		json_t *o = json_object();
		if (!o)
			goto fail;
		jset(o, "address", json_string(a[i].addr ? a[i].addr : ""));
		if (present(a[i].name))
			jset(o, "name", json_string(a[i].name));
		json_array_append_new(arr, o);
	}
	return arr;
fail:
	json_decref(arr);
	return NULL;
}

static json_t *j_hosts(const body_host *h, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < n; i++) {
		json_t *o = json_object();
		if (!o)
			goto fail;
		if (present(h[i].host))
			jset(o, "host", json_string(h[i].host));
		if (present(h[i].ip))
			jset(o, "ip", json_string(h[i].ip));
		if (h[i].port)
			jset(o, "port", json_integer(h[i].port));
		json_array_append_new(arr, o);
	}
	return arr;
fail:
	json_decref(arr);
	return NULL;
}

static json_t *j_strs(char *const *s, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr, json_string(s[i] ? s[i] : ""));
	return arr;
}

char *body_to_json(const body_t *b)
{
	json_t *o = json_object();
	char *s = NULL;

	if (!o)
		return NULL;
#define J_STR(k, v) do { if (present(v)) jset(o, k, json_string(v)); } while (0)
	J_STR("title", b->title);
	jset(o, "mail_type", json_string(body_mail_type_name(b->mail_type)));
	jset(o, "sender_class", json_string(body_sender_class_name(b->sender_class)));
	if (b->first_seen_ms)
		jset(o, "first_seen_ms", json_integer((json_int_t)b->first_seen_ms));
	if (b->n_from)
		jset(o, "from", j_addrs(b->from, b->n_from));
	if (b->n_reply_to)
		jset(o, "reply_to", j_addrs(b->reply_to, b->n_reply_to));
	J_STR("return_path", b->return_path);
	J_STR("subject", b->subject);
	J_STR("message_id", b->message_id);
	J_STR("x_mailer", b->x_mailer);
	if (b->n_relays)
		jset(o, "relays", j_hosts(b->relays, b->n_relays));
	if (b->n_urls)
		jset(o, "urls", j_strs(b->urls, b->n_urls));
	if (b->n_domains)
		jset(o, "domains", j_strs(b->domains, b->n_domains));
	if (b->n_atts) {
		json_t *arr = json_array();
		for (size_t i = 0; arr && i < b->n_atts; i++) {
			const body_attachment *t = &b->atts[i];
			json_t *a = json_object();
			if (!a)
				continue;
			if (present(t->name))
				jset(a, "name", json_string(t->name));
			if (present(t->mime))
				jset(a, "mime", json_string(t->mime));
			if (t->size)
				jset(a, "size", json_integer((json_int_t)t->size));
			if (t->has_sha256) {
				char hex[65];
				static const char hx[] = "0123456789abcdef";
				for (int j = 0; j < 32; j++) {
					hex[2 * j] = hx[t->sha256[j] >> 4];
					hex[2 * j + 1] = hx[t->sha256[j] & 15];
				}
				hex[64] = '\0';
				jset(a, "sha256", json_string(hex));
			}
			jset(a, "file_class", json_string(body_file_class_name(t->file_class)));
			json_t *fl = json_array();
			for (int bit = 0; fl && bit < 32; bit++) {
				if (!(t->flags & (1u << bit)))
					continue;
				char tmp[16];
				if (bit < ATT_KNOWN_FLAGS)
					json_array_append_new(fl, json_string(flag_names[bit]));
				else {
					snprintf(tmp, sizeof(tmp), "bit%d", bit);
					json_array_append_new(fl, json_string(tmp));
				}
			}
			if (fl && json_array_size(fl))
				jset(a, "flags", fl);
			else
				json_decref(fl);
			json_array_append_new(arr, a);
		}
		jset(o, "attachments", arr);
	}
	if (b->n_c2)
		jset(o, "c2", j_hosts(b->c2, b->n_c2));
	if (b->n_labels)
		jset(o, "labels", j_strs(b->labels, b->n_labels));
	J_STR("analysis", b->analysis);
#undef J_STR
	s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}

/* From JSON: every field optional, every type checked, every length
 * bounded the same way the msgpack decoder bounds it. */
#define BODY_JSON_MAX (4u * 1024 * 1024)

static int jstr(json_t *v, size_t max, char **out, const char *what, sm_err *err)
{
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return sm_fail(err, SM_EMALFORMED, "%s: expected a string", what);
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	if (n > max)
		return sm_fail(err, SM_EBOUND, "%s: %zu bytes, max %zu", what, n, max);
	if (!codec_utf8_ok(s, n))
		return sm_fail(err, SM_EMALFORMED, "%s: not valid UTF-8 (or contains NUL)", what);
	if (n == 0)
		return 0;
	if (!(*out = strndup(s, n)))
		return sm_fail(err, SM_ENOMEM, "%s: out of memory", what);
	return 0;
}

static int jarr(json_t *v, size_t *n, const char *what, sm_err *err)
{
	*n = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return sm_fail(err, SM_EMALFORMED, "%s: expected a list", what);
	if (json_array_size(v) > BODY_MAX_LIST)
		return sm_fail(err, SM_EBOUND, "%s: %zu entries, max %d", what,
		    json_array_size(v), BODY_MAX_LIST);
	*n = json_array_size(v);
	return 0;
}

static int jenum(json_t *v, const char *const *names, size_t nn, uint8_t *out,
    const char *what, sm_err *err)
{
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return sm_fail(err, SM_EMALFORMED, "%s: expected a string", what);
	int i = name_index(names, nn, json_string_value(v));
	if (i < 0)
		return sm_fail(err, SM_EMALFORMED, "%s: unknown value \"%.40s\"", what,
		    json_string_value(v));
	*out = (uint8_t)i;
	return 0;
}

static int juint(json_t *v, uint64_t max, uint64_t *out, const char *what, sm_err *err)
{
	*out = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return sm_fail(err, SM_EMALFORMED, "%s: expected a non-negative integer", what);
	uint64_t x = (uint64_t)json_integer_value(v);
	if (x > max)
		return sm_fail(err, SM_EBOUND, "%s: %llu, max %llu", what,
		    (unsigned long long)x, (unsigned long long)max);
	*out = x;
	return 0;
}

static int jaddrs(json_t *v, body_addr **out, size_t *nout, const char *what, sm_err *err)
{
	size_t n;
	char nm[64];
	if (jarr(v, &n, what, err) < 0)
		return -1;
	if (!n)
		return 0;
	if (!(*out = calloc(n, sizeof(**out))))
		return sm_fail(err, SM_ENOMEM, "%s: out of memory", what);
	*nout = n;
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(v, i);
		snprintf(nm, sizeof(nm), "%s[%zu]", what, i);
		if (!json_is_object(e))
			return sm_fail(err, SM_EMALFORMED, "%s: expected an object", nm);
		snprintf(nm, sizeof(nm), "%s[%zu].address", what, i);
		if (jstr(json_object_get(e, "address"), BODY_MAX_STR, &(*out)[i].addr, nm, err) < 0)
			return -1;
		if (!(*out)[i].addr)
			return sm_fail(err, SM_EMALFORMED, "%s: missing", nm);
		snprintf(nm, sizeof(nm), "%s[%zu].name", what, i);
		if (jstr(json_object_get(e, "name"), BODY_MAX_STR, &(*out)[i].name, nm, err) < 0)
			return -1;
	}
	return 0;
}

static int jhosts(json_t *v, body_host **out, size_t *nout, const char *what, sm_err *err)
{
	size_t n;
	char nm[64];
	if (jarr(v, &n, what, err) < 0)
		return -1;
	if (!n)
		return 0;
	if (!(*out = calloc(n, sizeof(**out))))
		return sm_fail(err, SM_ENOMEM, "%s: out of memory", what);
	*nout = n;
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(v, i);
		body_host *h = &(*out)[i];
		uint64_t port;
		snprintf(nm, sizeof(nm), "%s[%zu]", what, i);
		if (!json_is_object(e))
			return sm_fail(err, SM_EMALFORMED, "%s: expected an object", nm);
		snprintf(nm, sizeof(nm), "%s[%zu].host", what, i);
		if (jstr(json_object_get(e, "host"), BODY_MAX_STR, &h->host, nm, err) < 0)
			return -1;
		snprintf(nm, sizeof(nm), "%s[%zu].ip", what, i);
		if (jstr(json_object_get(e, "ip"), BODY_MAX_STR, &h->ip, nm, err) < 0)
			return -1;
		snprintf(nm, sizeof(nm), "%s[%zu].port", what, i);
		if (juint(json_object_get(e, "port"), 65535, &port, nm, err) < 0)
			return -1;
		h->port = (uint32_t)port;
		if (!h->host && !h->ip)
			return sm_fail(err, SM_EMALFORMED, "%s[%zu]: neither host nor ip", what, i);
	}
	return 0;
}

static int jstrs(json_t *v, char ***out, size_t *nout, const char *what, sm_err *err)
{
	size_t n;
	char nm[64];
	if (jarr(v, &n, what, err) < 0)
		return -1;
	if (!n)
		return 0;
	if (!(*out = calloc(n, sizeof(**out))))
		return sm_fail(err, SM_ENOMEM, "%s: out of memory", what);
	*nout = n;
	for (size_t i = 0; i < n; i++) {
		snprintf(nm, sizeof(nm), "%s[%zu]", what, i);
		if (jstr(json_array_get(v, i), BODY_MAX_STR, &(*out)[i], nm, err) < 0)
			return -1;
		if (!(*out)[i])
			return sm_fail(err, SM_EMALFORMED, "%s: empty or missing string", nm);
	}
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int jatts(json_t *v, body_t *b, sm_err *err)
{
	size_t n;
	char nm[64];
	if (jarr(v, &n, "attachments", err) < 0)
		return -1;
	if (!n)
		return 0;
	if (!(b->atts = calloc(n, sizeof(*b->atts))))
		return sm_fail(err, SM_ENOMEM, "attachments: out of memory");
	b->n_atts = n;
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(v, i), *x;
		body_attachment *t = &b->atts[i];
		snprintf(nm, sizeof(nm), "attachments[%zu]", i);
		if (!json_is_object(e))
			return sm_fail(err, SM_EMALFORMED, "%s: expected an object", nm);
		snprintf(nm, sizeof(nm), "attachments[%zu].name", i);
		if (jstr(json_object_get(e, "name"), BODY_MAX_STR, &t->name, nm, err) < 0)
			return -1;
		snprintf(nm, sizeof(nm), "attachments[%zu].mime", i);
		if (jstr(json_object_get(e, "mime"), BODY_MAX_STR, &t->mime, nm, err) < 0)
			return -1;
		snprintf(nm, sizeof(nm), "attachments[%zu].size", i);
		if (juint(json_object_get(e, "size"), INT64_MAX, &t->size, nm, err) < 0)
			return -1;
		snprintf(nm, sizeof(nm), "attachments[%zu].sha256", i);
		if ((x = json_object_get(e, "sha256")) && !json_is_null(x)) {
			const char *h = json_is_string(x) ? json_string_value(x) : NULL;
			if (!h || json_string_length(x) != 64)
				return sm_fail(err, SM_EMALFORMED, "%s: expected 64 lowercase hex digits", nm);
			for (int j = 0; j < 32; j++) {
				int hi = hexval(h[2 * j]), lo = hexval(h[2 * j + 1]);
				if (hi < 0 || lo < 0)
					return sm_fail(err, SM_EMALFORMED, "%s: expected 64 lowercase hex digits", nm);
				t->sha256[j] = (uint8_t)(hi << 4 | lo);
			}
			t->has_sha256 = true;
		}
		snprintf(nm, sizeof(nm), "attachments[%zu].file_class", i);
		if (jenum(json_object_get(e, "file_class"), file_class_names,
		    FILE_CLASS_MAX + 1, &t->file_class, nm, err) < 0)
			return -1;
		snprintf(nm, sizeof(nm), "attachments[%zu].flags", i);
		if ((x = json_object_get(e, "flags")) && !json_is_null(x)) {
			if (!json_is_array(x) || json_array_size(x) > 32)
				return sm_fail(err, SM_EMALFORMED, "%s: expected a list of names", nm);
			for (size_t j = 0; j < json_array_size(x); j++) {
				json_t *f = json_array_get(x, j);
				const char *fs = json_is_string(f) ? json_string_value(f) : NULL;
				int bit = fs ? name_index(flag_names, ATT_KNOWN_FLAGS, fs) : -1;
				if (bit < 0 && fs && strncmp(fs, "bit", 3) == 0) {
					char *end;
					errno = 0;
					long l = strtol(fs + 3, &end, 10);
					if (!errno && *end == '\0' && end != fs + 3 && l >= ATT_KNOWN_FLAGS && l < 32)
						bit = (int)l;
				}
				if (bit < 0)
					return sm_fail(err, SM_EMALFORMED, "%s: unknown flag \"%.40s\"",
					    nm, fs ? fs : "(not a string)");
				t->flags |= 1u << bit;
			}
		}
	}
	return 0;
}

int body_from_json(const char *json, size_t len, body_t *out, sm_err *err)
{
	json_error_t je;
	json_t *o;
	uint64_t v;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (len > BODY_JSON_MAX)
		return sm_fail(err, SM_EBOUND, "body JSON: %zu bytes, max %u", len, BODY_JSON_MAX);
	o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
	if (!o)
		return sm_fail(err, SM_EMALFORMED, "body JSON: line %d: %.120s", je.line, je.text);
	if (!json_is_object(o)) {
		sm_fail(err, SM_EMALFORMED, "body JSON: expected an object");
		goto out;
	}
	/* Input is typed by people: a misspelt field is an error, not silence. */
	{
		static const char *const known[] = {
			"title", "mail_type", "sender_class", "first_seen_ms", "from",
			"reply_to", "return_path", "subject", "message_id", "x_mailer",
			"relays", "urls", "domains", "attachments", "c2", "labels",
			"analysis",
		};
		const char *key;
		json_t *val;
		json_object_foreach(o, key, val) {
			if (name_index(known, sizeof(known) / sizeof(known[0]), key) < 0) {
				sm_fail(err, SM_EMALFORMED, "body JSON: unknown field \"%.40s\"", key);
				goto out;
			}
		}
	}
	if (jstr(json_object_get(o, "title"), BODY_MAX_STR, &out->title, "title", err) < 0 ||
	    jenum(json_object_get(o, "mail_type"), mail_type_names, MAIL_TYPE_MAX + 1,
		&out->mail_type, "mail_type", err) < 0 ||
	    jenum(json_object_get(o, "sender_class"), sender_class_names,
		SENDER_CLASS_MAX + 1, &out->sender_class, "sender_class", err) < 0 ||
	    juint(json_object_get(o, "first_seen_ms"), INT64_MAX, &v, "first_seen_ms", err) < 0)
		goto out;
	out->first_seen_ms = v;
	if (jaddrs(json_object_get(o, "from"), &out->from, &out->n_from, "from", err) < 0 ||
	    jaddrs(json_object_get(o, "reply_to"), &out->reply_to, &out->n_reply_to, "reply_to", err) < 0 ||
	    jstr(json_object_get(o, "return_path"), BODY_MAX_STR, &out->return_path, "return_path", err) < 0 ||
	    jstr(json_object_get(o, "subject"), BODY_MAX_STR, &out->subject, "subject", err) < 0 ||
	    jstr(json_object_get(o, "message_id"), BODY_MAX_STR, &out->message_id, "message_id", err) < 0 ||
	    jstr(json_object_get(o, "x_mailer"), BODY_MAX_STR, &out->x_mailer, "x_mailer", err) < 0 ||
	    jhosts(json_object_get(o, "relays"), &out->relays, &out->n_relays, "relays", err) < 0 ||
	    jstrs(json_object_get(o, "urls"), &out->urls, &out->n_urls, "urls", err) < 0 ||
	    jstrs(json_object_get(o, "domains"), &out->domains, &out->n_domains, "domains", err) < 0 ||
	    jatts(json_object_get(o, "attachments"), out, err) < 0 ||
	    jhosts(json_object_get(o, "c2"), &out->c2, &out->n_c2, "c2", err) < 0 ||
	    jstrs(json_object_get(o, "labels"), &out->labels, &out->n_labels, "labels", err) < 0 ||
	    jstr(json_object_get(o, "analysis"), BODY_MAX_TEXT, &out->analysis, "analysis", err) < 0)
		goto out;
	rc = 0;
out:
	json_decref(o);
	if (rc < 0)
		body_clear(out);
	return rc;
}
