/*
 * node/export.c — STIX 2.1, MISP JSON and CSV export (see export.h).
 *
 * All three formats walk the same indicator list (export_indicators), so a
 * value exported as CSV is exported as STIX and MISP too. JSON is built in
 * memory with jansson and dumped with sorted keys; the STIX bundle's
 * objects are sorted by id. Nothing reads the clock: every timestamp comes
 * from the items, so output depends on the input only.
 *
 * Memory errors while building are collected in a flag (jb.bad) rather than
 * checked at every one of the hundred json_* calls; the document is dumped
 * only if the flag is clear.
 */
#include "node/export.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <glib.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "node/store.h"
#include "proto/msg.h"
#include "proto/tlp.h"

const uint8_t export_stix_ns[16] = {
	0x00, 0xab, 0xed, 0xb4, 0xaa, 0x42, 0x46, 0x6c,
	0x9c, 0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9, 0xb7,
};

/* Official TLP 2.0 marking definitions (STIX TLP 2.0 extension,
 * extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d), indexed by
 * enum sm_tlp. */
#define TLP2_EXT "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
static const struct {
	const char *id, *name, *value, *misp;
} s_tlp[5] = {
	{ "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", "TLP:CLEAR", "clear", "tlp:clear" },
	{ "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "TLP:GREEN", "green", "tlp:green" },
	{ "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", "TLP:AMBER", "amber", "tlp:amber" },
	{ "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", "TLP:AMBER+STRICT", "amber+strict", "tlp:amber+strict" },
	{ "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", "TLP:RED", "red", "tlp:red" },
};

bool export_allowed(const export_item *it, const export_opts *opts)
{
	bool internal = opts && opts->internal;
	/* the one TLP rule (proto/tlp.h): RED never, AMBER+STRICT only when
	 * the output stays inside the organization */
	return tlp_may_export(it->tlp,
	    internal ? SM_DEST_INTERNAL : SM_DEST_CLIENTS);
}

int export_format_parse(const char *s, enum export_format *fmt, sm_err *err)
{
	if (!s)
		return sm_fail(err, SM_EINVAL, "export format: missing");
	if (!strcasecmp(s, "stix") || !strcasecmp(s, "stix21") ||
	    !strcasecmp(s, "stix2.1"))
		*fmt = EXPORT_STIX21;
	else if (!strcasecmp(s, "misp"))
		*fmt = EXPORT_MISP;
	else if (!strcasecmp(s, "csv"))
		*fmt = EXPORT_CSV;
	else
		return sm_fail(err, SM_EINVAL,
		    "export format \"%.40s\": expected stix, misp or csv", s);
	return 0;
}

/* ---- small helpers ---------------------------------------------------- */

void export_rfc3339(uint64_t ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	if (ms / 1000 > (uint64_t)253402300799ULL || !gmtime_r(&t, &tm)) {
		/* past 9999-12-31: clamp rather than print a 5-digit year */
		strcpy(out, "9999-12-31T23:59:59.999Z");
		return;
	}
	size_t k = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + k, 32 - k, ".%03uZ", (unsigned)(ms % 1000));
}

static int s_uuid5_raw(const uint8_t ns[16], const void *name, size_t len,
    uint8_t d[20])
{
	gsize dlen = 20;
	GChecksum *c = g_checksum_new(G_CHECKSUM_SHA1);
	if (!c)
		return -1;
	g_checksum_update(c, ns, 16);
	/* g_checksum_update takes a gssize: feed huge names in pieces */
	const uint8_t *p = name;
	while (len > 0) {
		size_t k = len > (1u << 30) ? (1u << 30) : len;
		g_checksum_update(c, p, (gssize)k);
		p += k;
		len -= k;
	}
	g_checksum_get_digest(c, d, &dlen);
	g_checksum_free(c);
	if (dlen != 20)
		return -1;
	d[6] = (uint8_t)((d[6] & 0x0f) | 0x50);	/* version 5 */
	d[8] = (uint8_t)((d[8] & 0x3f) | 0x80);	/* RFC 4122 variant */
	return 0;
}

int export_uuid5(const uint8_t ns[16], const void *name, size_t len,
    char out[37])
{
	uint8_t d[20];
	if (s_uuid5_raw(ns, name, len, d) != 0)
		return -1;
	static const char hx[] = "0123456789abcdef";
	size_t o = 0;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hx[d[i] >> 4];
		out[o++] = hx[d[i] & 15];
	}
	out[o] = '\0';
	return 0;
}

static void s_hex(const uint8_t *b, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[b[i] >> 4];
		out[2 * i + 1] = hx[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static uint8_t s_ip_type(const char *s)
{
	uint8_t buf[16];
	if (inet_pton(AF_INET, s, buf) == 1)
		return IND_IPV4;
	if (inet_pton(AF_INET6, s, buf) == 1)
		return IND_IPV6;
	return 0;
}

static bool s_present(const char *s)
{
	return s && *s;
}

int export_indicators(const body_t *b, export_ind_fn fn, void *ctx)
{
	export_ind ind;
	char hex[65];
	int rc;
#define EMIT(t, v, c, hv, a) do { \
	ind.type = (t); ind.value = (v); ind.context = (c); \
	ind.high_value = (hv); ind.att = (a); \
	if ((rc = fn(ctx, &ind)) != 0) return rc; \
} while (0)
	for (size_t i = 0; i < b->n_from; i++)
		if (s_present(b->from[i].addr))
			EMIT(IND_EMAIL, b->from[i].addr, "sender", true, NULL);
	for (size_t i = 0; i < b->n_reply_to; i++)
		if (s_present(b->reply_to[i].addr))
			EMIT(IND_EMAIL, b->reply_to[i].addr, "reply-to", true, NULL);
	if (s_present(b->subject))
		EMIT(IND_SUBJECT, b->subject, "subject", false, NULL);
	for (size_t i = 0; i < b->n_urls; i++)
		if (s_present(b->urls[i]))
			EMIT(IND_URL, b->urls[i], "link", true, NULL);
	for (size_t i = 0; i < b->n_domains; i++)
		if (s_present(b->domains[i]))
			EMIT(IND_DOMAIN, b->domains[i], "link", true, NULL);
	for (size_t i = 0; i < b->n_atts; i++) {
		const body_attachment *a = &b->atts[i];
		if (a->has_sha256) {
			s_hex(a->sha256, 32, hex);
			EMIT(IND_SHA256, hex, "attachment", true, a);
		}
		if (s_present(a->name))
			EMIT(IND_FILENAME, a->name, "attachment", false, a);
	}
	for (size_t i = 0; i < b->n_c2; i++) {
		const body_host *h = &b->c2[i];
		if (s_present(h->host))
			EMIT(IND_DOMAIN, h->host, "c2", true, NULL);
		uint8_t t = s_present(h->ip) ? s_ip_type(h->ip) : 0;
		if (t)
			EMIT(t, h->ip, "c2", true, NULL);
	}
	for (size_t i = 0; i < b->n_relays; i++) {
		const body_host *h = &b->relays[i];
		if (s_present(h->host))
			EMIT(IND_HOST, h->host, "relay", false, NULL);
		uint8_t t = s_present(h->ip) ? s_ip_type(h->ip) : 0;
		if (t)
			EMIT(t, h->ip, "relay", false, NULL);
	}
#undef EMIT
	return 0;
}

/* An org's display name: its own, or "org " and the first 8 id bytes. */
static const char *s_org_name(const char *name, const uint8_t org[32],
    char buf[40])
{
	if (s_present(name))
		return name;
	memcpy(buf, "org ", 4);
	s_hex(org, 8, buf + 4);
	return buf;
}

static bool s_included(const export_item *it, const export_opts *opts,
    bool keep_retracted)
{
	if (!it->body)
		return false;
	if (it->retracted && !keep_retracted)
		return false;
	return export_allowed(it, opts);
}

/* ---- jansson building with a sticky failure flag ---------------------- */

typedef struct jb {
	bool bad;			/* allocation failed or invalid UTF-8 */
} jb;

static json_t *jstr(jb *j, const char *s)
{
	json_t *v = json_string(s ? s : "");
	if (!v)
		j->bad = true;
	return v;
}

/* json_object_set_new and json_array_append_new consume v even when they
 * fail; only a NULL container leaves v to us. */
static void jset(jb *j, json_t *o, const char *k, json_t *v)
{
	if (!o) {
		json_decref(v);
		j->bad = true;
	} else if (!v || json_object_set_new(o, k, v) != 0) {
		j->bad = true;
	}
}

static void jsets(jb *j, json_t *o, const char *k, const char *s)
{
	jset(j, o, k, jstr(j, s));
}

static void jpush(jb *j, json_t *a, json_t *v)
{
	if (!a) {
		json_decref(v);
		j->bad = true;
	} else if (!v || json_array_append_new(a, v) != 0) {
		j->bad = true;
	}
}

static int s_dump(FILE *out, json_t *doc, sm_err *err)
{
	if (json_dumpf(doc, out, JSON_INDENT(1) | JSON_SORT_KEYS) != 0 ||
	    fputc('\n', out) == EOF ||
	    fflush(out) != 0)
		return sm_fail(err, SM_EIO, "export: write failed");
	return 0;
}

/* ---- STIX 2.1 ---------------------------------------------------------- */

typedef struct stix {
	jb j;
	uint8_t ns[16];			/* sigmesh namespace for SDO ids */
	json_t *objs;			/* id -> object */
	json_t *tlps;			/* id -> marking level of that object */
	bool tlp_used[5];
	/* the item being converted */
	const export_item *it;
	char rhex[65];			/* report id, hex */
	char created[32];
	char creator[64];		/* identity id of the originator */
	json_t *refs;			/* the item's object ids (report object_refs) */
	json_t *inds;			/* the item's indicator ids */
} stix;

/* type--uuid5(ns, name). */
static int s_id(stix *x, const uint8_t ns[16], const char *type,
    const char *name, char *out, size_t cap)
{
	char u[37];
	if (export_uuid5(ns, name, strlen(name), u) != 0) {
		x->j.bad = true;
		return -1;
	}
	snprintf(out, cap, "%s--%s", type, u);
	return 0;
}

/* SDO/SRO id from the report id and a discriminator, so a re-export of the
 * same report gives the same ids. */
static int s_sdo_id(stix *x, const char *type, const char *what, char *out,
    size_t cap)
{
	char *name = g_strdup_printf("%s/%s/%s", x->rhex, type, what);
	int rc = s_id(x, x->ns, type, name, out, cap);
	g_free(name);
	return rc;
}

/* SCO id per STIX 2.1 §2.9: UUIDv5 in the STIX namespace over the JSON
 * serialization (sorted keys, no whitespace) of the id-contributing
 * properties, given as a JSON object. Takes ownership of contrib. */
static int s_sco_id(stix *x, const char *type, json_t *contrib, char *out,
    size_t cap)
{
	int rc = -1;
	char *canon = contrib ? json_dumps(contrib, JSON_COMPACT |
	    JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
	if (canon) {
		char u[37];
		if (export_uuid5(export_stix_ns, canon, strlen(canon), u) == 0) {
			snprintf(out, cap, "%s--%s", type, u);
			rc = 0;
		}
	}
	if (rc != 0)
		x->j.bad = true;
	free(canon);
	json_decref(contrib);
	return rc;
}

static json_t *s_marking_refs(stix *x, uint8_t tlp)
{
	json_t *a = json_array();
	jpush(&x->j, a, jstr(&x->j, s_tlp[tlp].id));
	x->tlp_used[tlp] = true;
	return a;
}

/*
 * Add obj (owned) under id. An object already there (an SCO two reports
 * share, an identity) is kept; when the newcomer carries a stricter TLP, the
 * kept one takes that marking, so a value never leaves under the laxer label
 * of the two.
 */
static void s_put(stix *x, const char *id, json_t *obj, int tlp)
{
	json_t *old = json_object_get(x->objs, id);
	if (old) {
		json_t *ot = json_object_get(x->tlps, id);
		if (tlp >= 0 && ot && tlp > json_integer_value(ot)) {
			jset(&x->j, old, "object_marking_refs",
			    s_marking_refs(x, (uint8_t)tlp));
			jset(&x->j, x->tlps, id, json_integer(tlp));
		}
		json_decref(obj);
		return;
	}
	if (tlp >= 0) {
		jset(&x->j, obj, "object_marking_refs",
		    s_marking_refs(x, (uint8_t)tlp));
		jset(&x->j, x->tlps, id, json_integer(tlp));
	}
	jset(&x->j, x->objs, id, obj);
}

static void s_ref(stix *x, const char *id)
{
	jpush(&x->j, x->refs, jstr(&x->j, id));
}

/* identity for an organization; returns its id in out. */
static void s_identity(stix *x, const uint8_t org[32], const char *name,
    uint64_t created_ms, char *out, size_t cap)
{
	char hex[65], nb[40], ts[32];
	s_hex(org, 32, hex);
	char *nm = g_strdup_printf("identity/%s", hex);
	int rc = s_id(x, x->ns, "identity", nm, out, cap);
	g_free(nm);
	if (rc != 0 || json_object_get(x->objs, out))
		return;
	export_rfc3339(created_ms, ts);
	json_t *o = json_object();
	jsets(&x->j, o, "type", "identity");
	jsets(&x->j, o, "spec_version", "2.1");
	jsets(&x->j, o, "id", out);
	jsets(&x->j, o, "created", ts);
	jsets(&x->j, o, "modified", ts);
	jsets(&x->j, o, "name", s_org_name(name, org, nb));
	jsets(&x->j, o, "identity_class", "organization");
	json_t *ext = json_array();
	json_t *er = json_object();
	jsets(&x->j, er, "source_name", "sigmesh");
	jsets(&x->j, er, "external_id", hex);
	jpush(&x->j, ext, er);
	jset(&x->j, o, "external_references", ext);
	s_put(x, out, o, -1);
}

/* A simple SCO {type, id, value, ...} whose id contributor is value. */
static void s_sco_value(stix *x, const char *type, const char *value,
    char *out, size_t cap)
{
	json_t *c = json_object();
	jsets(&x->j, c, "value", value);
	if (s_sco_id(x, type, c, out, cap) != 0)
		return;
	json_t *o = json_object();
	jsets(&x->j, o, "type", type);
	jsets(&x->j, o, "spec_version", "2.1");
	jsets(&x->j, o, "id", out);
	jsets(&x->j, o, "value", value);
	s_put(x, out, o, x->it->tlp);
	s_ref(x, out);
}

static void s_email_addr(stix *x, const body_addr *a, char *out, size_t cap)
{
	s_sco_value(x, "email-addr", a->addr, out, cap);
	json_t *o = json_object_get(x->objs, out);
	if (o && s_present(a->name) && !json_object_get(o, "display_name"))
		jsets(&x->j, o, "display_name", a->name);
}

static void s_file(stix *x, const body_attachment *a, char *out, size_t cap)
{
	char hex[65];
	json_t *c = json_object();
	if (a->has_sha256) {
		s_hex(a->sha256, 32, hex);
		json_t *h = json_object();
		jsets(&x->j, h, "SHA-256", hex);
		jset(&x->j, c, "hashes", h);
	}
	if (s_present(a->name))
		jsets(&x->j, c, "name", a->name);
	if (json_object_size(c) == 0)
		jsets(&x->j, c, "name", "");	/* nameless, hashless: still a file */
	json_t *o = json_deep_copy(c);
	if (!o)
		x->j.bad = true;
	if (s_sco_id(x, "file", c, out, cap) != 0) {
		json_decref(o);
		return;
	}
	jsets(&x->j, o, "type", "file");
	jsets(&x->j, o, "spec_version", "2.1");
	jsets(&x->j, o, "id", out);
	if (a->size)
		jset(&x->j, o, "size", json_integer((json_int_t)(a->size >
		    (uint64_t)INT64_MAX ? (uint64_t)INT64_MAX : a->size)));
	if (s_present(a->mime))
		jsets(&x->j, o, "mime_type", a->mime);
	s_put(x, out, o, x->it->tlp);
	s_ref(x, out);
}

/* Escape a value for a STIX pattern string literal: \ and ' get a
 * backslash. */
static char *s_pattern_lit(const char *v)
{
	size_t n = strlen(v), k = 0;
	char *o = malloc(2 * n + 1);
	if (!o)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (v[i] == '\\' || v[i] == '\'')
			o[k++] = '\\';
		o[k++] = v[i];
	}
	o[k] = '\0';
	return o;
}

static const char *s_ind_name(const export_ind *in)
{
	switch (in->type) {
	case IND_EMAIL: return !strcmp(in->context, "reply-to") ?
	    "Reply-To address" : "Sender address";
	case IND_URL: return "Malicious URL";
	case IND_DOMAIN: return !strcmp(in->context, "c2") ?
	    "C2 domain" : "Malicious domain";
	case IND_IPV4: case IND_IPV6: return "C2 IP address";
	case IND_SHA256: return "Attachment SHA-256";
	default: return "Indicator";
	}
}

/* indicator SDO for a high-value indicator, with a based-on relationship
 * to its observable (sco_id, may be empty). */
static void s_indicator(stix *x, const export_ind *in, const char *sco_id)
{
	const char *path;
	switch (in->type) {
	case IND_EMAIL: path = "email-addr:value"; break;
	case IND_URL: path = "url:value"; break;
	case IND_DOMAIN: path = "domain-name:value"; break;
	case IND_IPV4: path = "ipv4-addr:value"; break;
	case IND_IPV6: path = "ipv6-addr:value"; break;
	case IND_SHA256: path = "file:hashes.'SHA-256'"; break;
	default: return;
	}
	char *lit = s_pattern_lit(in->value);
	if (!lit) {
		x->j.bad = true;
		return;
	}
	char *pattern = g_strdup_printf("[%s = '%s']", path, lit);
	free(lit);
	char id[80], rid[96];
	if (s_sdo_id(x, "indicator", pattern, id, sizeof id) != 0)
		goto out;
	if (json_object_get(x->objs, id))
		goto out;	/* same value twice in one report */
	json_t *o = json_object();
	jsets(&x->j, o, "type", "indicator");
	jsets(&x->j, o, "spec_version", "2.1");
	jsets(&x->j, o, "id", id);
	jsets(&x->j, o, "created", x->created);
	jsets(&x->j, o, "modified", x->created);
	jsets(&x->j, o, "valid_from", x->created);
	jsets(&x->j, o, "created_by_ref", x->creator);
	jsets(&x->j, o, "name", s_ind_name(in));
	if (s_present(x->it->body->title))
		jsets(&x->j, o, "description", x->it->body->title);
	jsets(&x->j, o, "pattern", pattern);
	jsets(&x->j, o, "pattern_type", "stix");
	json_t *types = json_array();
	jpush(&x->j, types, jstr(&x->j, "malicious-activity"));
	jset(&x->j, o, "indicator_types", types);
	json_t *labels = json_array();
	jpush(&x->j, labels, jstr(&x->j, in->context));
	jset(&x->j, o, "labels", labels);
	if (x->it->retracted)
		jset(&x->j, o, "revoked", json_true());
	s_put(x, id, o, x->it->tlp);
	s_ref(x, id);
	jpush(&x->j, x->inds, jstr(&x->j, id));
	if (sco_id && *sco_id && s_sdo_id(x, "relationship", id, rid,
	    sizeof rid) == 0) {
		json_t *r = json_object();
		jsets(&x->j, r, "type", "relationship");
		jsets(&x->j, r, "spec_version", "2.1");
		jsets(&x->j, r, "id", rid);
		jsets(&x->j, r, "created", x->created);
		jsets(&x->j, r, "modified", x->created);
		jsets(&x->j, r, "created_by_ref", x->creator);
		jsets(&x->j, r, "relationship_type", "based-on");
		jsets(&x->j, r, "source_ref", id);
		jsets(&x->j, r, "target_ref", sco_id);
		if (x->it->retracted)
			jset(&x->j, r, "revoked", json_true());
		s_put(x, rid, r, x->it->tlp);
		s_ref(x, rid);
	}
out:
	g_free(pattern);
}

/*
 * A url SCO's value MUST be an RFC 3986 URI, and URLs taken from mail
 * often are not: spaces, raw UTF-8, brackets (the anonymizer's
 * "[recipient]" placeholders) in the path or query. Every byte outside
 * the URI character set is percent-encoded, as are '[' and ']' outside
 * the authority (where they enclose an IPv6 literal), and '%' when two hex
 * digits do not follow. Valid URIs pass through unchanged, so the same
 * URL gives the same SCO id as before. Caller g_free()s.
 */
static char *s_uri_escape(const char *v)
{
	static const char ok[] = "-._~:/?#@!$&'()*+,;=";
	GString *g = g_string_sized_new(strlen(v) + 16);
	const char *auth = strstr(v, "://"), *auth_end = NULL;

	if (auth) {
		auth += 3;
		auth_end = auth + strcspn(auth, "/?#");
	}
	for (const char *p = v; *p; p++) {
		unsigned char c = (unsigned char)*p;
		bool in_auth = auth && p >= auth && p < auth_end;
		if (isalnum(c) || (c < 0x80 && strchr(ok, c)) ||
		    (in_auth && (c == '[' || c == ']')) ||
		    (c == '%' && isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2])))
			g_string_append_c(g, (char)c);
		else
			g_string_append_printf(g, "%%%02X", c);
	}
	return g_string_free(g, FALSE);
}

/* The observables and indicators of one indicator, called per indicator. */
static int s_stix_ind(void *ctx, const export_ind *in)
{
	stix *x = ctx;
	char sco[96] = "";
	switch (in->type) {
	case IND_EMAIL:
		s_sco_value(x, "email-addr", in->value, sco, sizeof sco);
		break;
	case IND_URL: {
		char *uri = s_uri_escape(in->value);
		export_ind esc = *in;
		esc.value = uri;
		s_sco_value(x, "url", uri, sco, sizeof sco);
		if (in->high_value)
			s_indicator(x, &esc, sco);
		g_free(uri);
		return 0;
	}
	case IND_DOMAIN:
	case IND_HOST:
		s_sco_value(x, "domain-name", in->value, sco, sizeof sco);
		break;
	case IND_IPV4:
		s_sco_value(x, "ipv4-addr", in->value, sco, sizeof sco);
		break;
	case IND_IPV6:
		s_sco_value(x, "ipv6-addr", in->value, sco, sizeof sco);
		break;
	case IND_SHA256:
		s_file(x, in->att, sco, sizeof sco);
		break;
	default:
		return 0;	/* subject, file name: carried by email/file */
	}
	if (in->high_value)
		s_indicator(x, in, sco);
	return 0;
}

static void s_email_message(stix *x)
{
	const body_t *b = x->it->body;
	char from[96] = "", id[96];
	if (b->n_from == 0 && !s_present(b->subject) && b->n_atts == 0)
		return;
	if (b->n_from > 0 && s_present(b->from[0].addr))
		s_email_addr(x, &b->from[0], from, sizeof from);
	json_t *c = json_object();
	if (*from)
		jsets(&x->j, c, "from_ref", from);
	if (s_present(b->subject))
		jsets(&x->j, c, "subject", b->subject);
	if (json_object_size(c) == 0) {
		/* only attachments: tie the id to this report */
		jsets(&x->j, c, "subject", "");
		jsets(&x->j, c, "body", x->rhex);
	}
	json_t *o = json_deep_copy(c);
	if (!o)
		x->j.bad = true;
	if (s_sco_id(x, "email-message", c, id, sizeof id) != 0) {
		json_decref(o);
		return;
	}
	json_object_del(o, "body");
	jsets(&x->j, o, "type", "email-message");
	jsets(&x->j, o, "spec_version", "2.1");
	jsets(&x->j, o, "id", id);
	jset(&x->j, o, "is_multipart", json_boolean(b->n_atts > 0));
	if (b->n_atts > 0) {
		json_t *parts = json_array();
		for (size_t i = 0; i < b->n_atts; i++) {
			char fid[96];
			s_file(x, &b->atts[i], fid, sizeof fid);
			json_t *p = json_object();
			jsets(&x->j, p, "body_raw_ref", fid);
			if (s_present(b->atts[i].mime))
				jsets(&x->j, p, "content_type", b->atts[i].mime);
			jsets(&x->j, p, "content_disposition", "attachment");
			jpush(&x->j, parts, p);
		}
		jset(&x->j, o, "body_multipart", parts);
	}
	json_t *hdr = json_object();
	if (b->n_reply_to == 1 && s_present(b->reply_to[0].addr)) {
		jsets(&x->j, hdr, "Reply-To", b->reply_to[0].addr);
	} else if (b->n_reply_to > 1) {
		json_t *a = json_array();
		for (size_t i = 0; i < b->n_reply_to; i++)
			if (s_present(b->reply_to[i].addr))
				jpush(&x->j, a, jstr(&x->j, b->reply_to[i].addr));
		if (json_array_size(a) >= 2)
			jset(&x->j, hdr, "Reply-To", a);
		else
			json_decref(a);
	}
	if (s_present(b->message_id))
		jsets(&x->j, hdr, "Message-ID", b->message_id);
	if (s_present(b->x_mailer))
		jsets(&x->j, hdr, "X-Mailer", b->x_mailer);
	if (s_present(b->return_path))
		jsets(&x->j, hdr, "Return-Path", b->return_path);
	if (json_object_size(hdr) > 0)
		jset(&x->j, o, "additional_header_fields", hdr);
	else
		json_decref(hdr);
	s_put(x, id, o, x->it->tlp);
	s_ref(x, id);
}

/* C2 host and IP known together: a resolves-to relationship. */
static void s_c2_links(stix *x)
{
	const body_t *b = x->it->body;
	for (size_t i = 0; i < b->n_c2; i++) {
		const body_host *h = &b->c2[i];
		uint8_t t = s_present(h->ip) ? s_ip_type(h->ip) : 0;
		if (!s_present(h->host) || !t)
			continue;
		char d[96], ip[96], rid[96];
		json_t *c = json_object();
		jsets(&x->j, c, "value", h->host);
		if (s_sco_id(x, "domain-name", c, d, sizeof d) != 0)
			continue;
		c = json_object();
		jsets(&x->j, c, "value", h->ip);
		if (s_sco_id(x, t == IND_IPV4 ? "ipv4-addr" : "ipv6-addr", c,
		    ip, sizeof ip) != 0)
			continue;
		char *what = g_strdup_printf("%s/resolves-to/%s", d, ip);
		int rc = s_sdo_id(x, "relationship", what, rid, sizeof rid);
		g_free(what);
		if (rc != 0 || json_object_get(x->objs, rid))
			continue;
		json_t *r = json_object();
		jsets(&x->j, r, "type", "relationship");
		jsets(&x->j, r, "spec_version", "2.1");
		jsets(&x->j, r, "id", rid);
		jsets(&x->j, r, "created", x->created);
		jsets(&x->j, r, "modified", x->created);
		jsets(&x->j, r, "created_by_ref", x->creator);
		jsets(&x->j, r, "relationship_type", "resolves-to");
		jsets(&x->j, r, "source_ref", d);
		jsets(&x->j, r, "target_ref", ip);
		s_put(x, rid, r, x->it->tlp);
		s_ref(x, rid);
	}
}

/* One sighting per (organization's feedback, indicator). A false-positive
 * report is not a sighting in STIX's sense and is left out. */
static void s_sightings(stix *x)
{
	const export_item *it = x->it;
	for (size_t s = 0; s < it->n_sightings; s++) {
		const export_sighting *sg = &it->sightings[s];
		if (sg->kind != SM_SIGHT_SEEN)
			continue;
		char org[96], ts[32], sid[96];
		s_identity(x, sg->org, sg->org_name, sg->created_ms, org,
		    sizeof org);
		export_rfc3339(sg->created_ms, ts);
		uint64_t cnt = sg->count < 1 ? 1 : sg->count;
		if (cnt > 999999999)
			cnt = 999999999;	/* STIX's bound on count */
		for (size_t i = 0; i < json_array_size(x->inds); i++) {
			const char *ind = json_string_value(json_array_get(x->inds, i));
			char *what = g_strdup_printf("%s/%s/%llu", ind, org,
			    (unsigned long long)sg->created_ms);
			int rc = s_sdo_id(x, "sighting", what, sid, sizeof sid);
			g_free(what);
			if (rc != 0 || json_object_get(x->objs, sid))
				continue;
			json_t *o = json_object();
			jsets(&x->j, o, "type", "sighting");
			jsets(&x->j, o, "spec_version", "2.1");
			jsets(&x->j, o, "id", sid);
			jsets(&x->j, o, "created", ts);
			jsets(&x->j, o, "modified", ts);
			jsets(&x->j, o, "first_seen", ts);
			jsets(&x->j, o, "last_seen", ts);
			jsets(&x->j, o, "created_by_ref", org);
			jsets(&x->j, o, "sighting_of_ref", ind);
			jset(&x->j, o, "count", json_integer((json_int_t)cnt));
			json_t *w = json_array();
			jpush(&x->j, w, jstr(&x->j, org));
			jset(&x->j, o, "where_sighted_refs", w);
			s_put(x, sid, o, it->tlp);
		}
	}
}

/* The report SDO that ties one item's objects together. */
static void s_report(stix *x)
{
	const body_t *b = x->it->body;
	char id[96], nb[80];
	if (json_array_size(x->refs) == 0)
		return;		/* schema: object_refs needs one entry */
	if (s_sdo_id(x, "report", "report", id, sizeof id) != 0)
		return;
	const char *name = s_present(b->title) ? b->title :
	    s_present(b->subject) ? b->subject : NULL;
	if (!name) {
		snprintf(nb, sizeof nb, "sigmesh report %.16s", x->rhex);
		name = nb;
	}
	json_t *o = json_object();
	jsets(&x->j, o, "type", "report");
	jsets(&x->j, o, "spec_version", "2.1");
	jsets(&x->j, o, "id", id);
	jsets(&x->j, o, "created", x->created);
	jsets(&x->j, o, "modified", x->created);
	jsets(&x->j, o, "published", x->created);
	jsets(&x->j, o, "created_by_ref", x->creator);
	jsets(&x->j, o, "name", name);
	if (s_present(b->analysis))
		jsets(&x->j, o, "description", b->analysis);
	json_t *rt = json_array();
	jpush(&x->j, rt, jstr(&x->j, "threat-report"));
	jset(&x->j, o, "report_types", rt);
	json_t *labels = json_array();
	const char *mtn = body_mail_type_name(b->mail_type);
	char *mt = g_strdup_printf("mail-type:%s", mtn ? mtn : "unknown");
	jpush(&x->j, labels, jstr(&x->j, mt));
	g_free(mt);
	for (size_t i = 0; i < b->n_labels; i++)
		if (s_present(b->labels[i]))
			jpush(&x->j, labels, jstr(&x->j, b->labels[i]));
	jset(&x->j, o, "labels", labels);
	json_t *ext = json_array();
	json_t *er = json_object();
	jsets(&x->j, er, "source_name", "sigmesh");
	jsets(&x->j, er, "external_id", x->rhex);
	jpush(&x->j, ext, er);
	jset(&x->j, o, "external_references", ext);
	jset(&x->j, o, "object_refs", json_incref(x->refs));
	if (x->it->retracted)
		jset(&x->j, o, "revoked", json_true());
	s_put(x, id, o, x->it->tlp);
}

static int s_strcmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int s_write_stix(FILE *out, const export_item *items, size_t n,
    const export_opts *opts, sm_err *err)
{
	int rc = -1;
	stix x;
	memset(&x, 0, sizeof x);
	json_t *bundle = NULL, *arr = NULL;
	const char **keys = NULL;
	uint8_t nsd[20];
	/* sigmesh's own namespace for SDO ids, itself derived in STIX's */
	if (s_uuid5_raw(export_stix_ns, "sigmesh", 7, nsd) != 0)
		return sm_fail(err, SM_ENOMEM, "export: SHA-1 unavailable");
	memcpy(x.ns, nsd, 16);
	x.objs = json_object();
	x.tlps = json_object();
	if (!x.objs || !x.tlps)
		goto oom;
	for (size_t i = 0; i < n; i++) {
		const export_item *it = &items[i];
		if (!s_included(it, opts, true) || it->tlp > SM_TLP_RED)
			continue;
		x.it = it;
		s_hex(it->id, 32, x.rhex);
		export_rfc3339(it->created_ms, x.created);
		s_identity(&x, it->originator, it->originator_name,
		    it->created_ms, x.creator, sizeof x.creator);
		x.refs = json_array();
		x.inds = json_array();
		if (!x.refs || !x.inds)
			x.j.bad = true;
		s_ref(&x, x.creator);
		s_email_message(&x);
		if (!x.j.bad)
			export_indicators(it->body, s_stix_ind, &x);
		s_c2_links(&x);
		s_sightings(&x);
		s_report(&x);
		json_decref(x.refs);
		json_decref(x.inds);
		x.refs = x.inds = NULL;
		if (x.j.bad)
			goto bad;
	}
	for (int t = 0; t < 5; t++) {
		if (!x.tlp_used[t])
			continue;
		json_t *m = json_object();
		jsets(&x.j, m, "type", "marking-definition");
		jsets(&x.j, m, "spec_version", "2.1");
		jsets(&x.j, m, "id", s_tlp[t].id);
		jsets(&x.j, m, "created", "2022-10-01T00:00:00.000Z");
		jsets(&x.j, m, "name", s_tlp[t].name);
		json_t *e = json_object(), *ed = json_object();
		jsets(&x.j, ed, "extension_type", "property-extension");
		jsets(&x.j, ed, "tlp_2_0", s_tlp[t].value);
		jset(&x.j, e, TLP2_EXT, ed);
		jset(&x.j, m, "extensions", e);
		jset(&x.j, x.objs, s_tlp[t].id, m);
	}
	/* objects sorted by id; the bundle id is derived from all of them */
	size_t no = json_object_size(x.objs), k = 0;
	keys = calloc(no ? no : 1, sizeof *keys);
	arr = json_array();
	if (!keys || !arr)
		goto oom;
	const char *key;
	json_t *val;
	json_object_foreach(x.objs, key, val)
		keys[k++] = key;
	if (no > 1)	/* qsort needs a valid pointer even for 0 items */
		qsort(keys, no, sizeof *keys, s_strcmp);
	GString *all = g_string_new(NULL);
	for (k = 0; k < no; k++) {
		jpush(&x.j, arr, json_incref(json_object_get(x.objs, keys[k])));
		g_string_append(all, keys[k]);
		g_string_append_c(all, '\n');
	}
	char bid[96];
	s_id(&x, x.ns, "bundle", all->str, bid, sizeof bid);
	g_string_free(all, TRUE);
	bundle = json_object();
	jsets(&x.j, bundle, "type", "bundle");
	jsets(&x.j, bundle, "id", bid);
	if (json_array_size(arr) > 0)	/* the schema wants one, or none */
		jset(&x.j, bundle, "objects", json_incref(arr));
	if (x.j.bad)
		goto bad;
	rc = s_dump(out, bundle, err);
	goto out;
bad:
	sm_fail(err, SM_ENOMEM,
	    "stix export: out of memory, or a string is not valid UTF-8");
	goto out;
oom:
	sm_fail(err, SM_ENOMEM, "stix export: out of memory");
out:
	free(keys);
	json_decref(arr);
	json_decref(bundle);
	json_decref(x.objs);
	json_decref(x.tlps);
	json_decref(x.refs);
	json_decref(x.inds);
	return rc;
}

/* ---- MISP -------------------------------------------------------------- */

typedef struct misp {
	jb j;
	const export_item *it;
	char rhex[65];
	char ts[24];			/* seconds, as MISP writes them */
	json_t *attrs;			/* Event.Attribute */
	json_t *email_obj;		/* Object "email" attributes */
	json_t *file_objs;		/* Object list */
} misp;

static void m_uuid(misp *m, const char *what, const char *value, char out[37])
{
	char *nm = g_strdup_printf("misp/%s/%s/%s", m->rhex, what, value);
	if (export_uuid5(export_stix_ns, nm, strlen(nm), out) != 0) {
		m->j.bad = true;
		out[0] = '\0';
	}
	g_free(nm);
}

/* One MISP attribute; object_relation is NULL for top-level ones. */
static json_t *m_attr(misp *m, const char *type, const char *category,
    const char *value, bool to_ids, const char *relation, const char *comment)
{
	char u[37];
	m_uuid(m, relation ? relation : type, value, u);
	json_t *a = json_object();
	jsets(&m->j, a, "uuid", u);
	jsets(&m->j, a, "type", type);
	jsets(&m->j, a, "category", category);
	jsets(&m->j, a, "value", value);
	jset(&m->j, a, "to_ids", json_boolean(to_ids));
	jsets(&m->j, a, "timestamp", m->ts);
	jsets(&m->j, a, "distribution", "5");	/* inherit the event's */
	if (relation)
		jsets(&m->j, a, "object_relation", relation);
	if (comment)
		jsets(&m->j, a, "comment", comment);
	return a;
}

static json_t *m_object(misp *m, const char *name, const char *key,
    json_t *attrs)
{
	char u[37];
	m_uuid(m, name, key, u);
	json_t *o = json_object();
	jsets(&m->j, o, "uuid", u);
	jsets(&m->j, o, "name", name);
	jsets(&m->j, o, "meta-category", name[0] == 'e' ? "network" : "file");
	jsets(&m->j, o, "timestamp", m->ts);
	jsets(&m->j, o, "distribution", "5");
	jset(&m->j, o, "Attribute", attrs);
	return o;
}

static int m_ind(void *ctx, const export_ind *in)
{
	misp *m = ctx;
	const char *c2 = !strcmp(in->context, "c2") ? "C2" : NULL;
	switch (in->type) {
	case IND_EMAIL:
		if (!strcmp(in->context, "sender"))
			jpush(&m->j, m->email_obj, m_attr(m, "email-src",
			    "Payload delivery", in->value, true, "from", NULL));
		else
			jpush(&m->j, m->email_obj, m_attr(m, "email-reply-to",
			    "Payload delivery", in->value, true, "reply-to", NULL));
		break;
	case IND_SUBJECT:
		jpush(&m->j, m->email_obj, m_attr(m, "email-subject",
		    "Payload delivery", in->value, false, "subject", NULL));
		break;
	case IND_URL:
		jpush(&m->j, m->attrs, m_attr(m, "url", "Network activity",
		    in->value, true, NULL, "link in the mail"));
		break;
	case IND_DOMAIN:
		jpush(&m->j, m->attrs, m_attr(m, "domain", "Network activity",
		    in->value, true, NULL, c2 ? c2 : "link in the mail"));
		break;
	case IND_HOST:
		jpush(&m->j, m->attrs, m_attr(m, "hostname", "Network activity",
		    in->value, false, NULL, "sending relay"));
		break;
	case IND_IPV4:
	case IND_IPV6:
		if (c2)
			jpush(&m->j, m->attrs, m_attr(m, "ip-dst",
			    "Network activity", in->value, true, NULL, c2));
		else
			jpush(&m->j, m->attrs, m_attr(m, "ip-src",
			    "Network activity", in->value, false, NULL,
			    "sending relay"));
		break;
	default:
		break;	/* sha256 and filename go into the file objects */
	}
	return 0;
}

static void m_files(misp *m)
{
	const body_t *b = m->it->body;
	char hex[65], size[24], idx[24];
	for (size_t i = 0; i < b->n_atts; i++) {
		const body_attachment *a = &b->atts[i];
		json_t *attrs = json_array();
		if (s_present(a->name))
			jpush(&m->j, attrs, m_attr(m, "filename",
			    "Payload delivery", a->name, false, "filename", NULL));
		if (a->has_sha256) {
			s_hex(a->sha256, 32, hex);
			jpush(&m->j, attrs, m_attr(m, "sha256",
			    "Payload delivery", hex, true, "sha256", NULL));
		}
		if (a->size) {
			snprintf(size, sizeof size, "%llu",
			    (unsigned long long)a->size);
			jpush(&m->j, attrs, m_attr(m, "size-in-bytes", "Other",
			    size, false, "size-in-bytes", NULL));
		}
		if (s_present(a->mime))
			jpush(&m->j, attrs, m_attr(m, "mime-type",
			    "Payload delivery", a->mime, false, "mimetype", NULL));
		if (json_array_size(attrs) == 0) {
			json_decref(attrs);
			continue;
		}
		snprintf(idx, sizeof idx, "%zu", i);
		jpush(&m->j, m->file_objs, m_object(m, "file", idx, attrs));
	}
}

static int s_write_misp(FILE *out, const export_item *items, size_t n,
    const export_opts *opts, sm_err *err)
{
	misp m;
	memset(&m, 0, sizeof m);
	json_t *resp = json_array();
	if (!resp)
		return sm_fail(err, SM_ENOMEM, "misp export: out of memory");
	for (size_t i = 0; i < n && !m.j.bad; i++) {
		const export_item *it = &items[i];
		if (!s_included(it, opts, false) || it->tlp > SM_TLP_RED)
			continue;
		const body_t *b = it->body;
		m.it = it;
		s_hex(it->id, 32, m.rhex);
		snprintf(m.ts, sizeof m.ts, "%llu",
		    (unsigned long long)(it->created_ms / 1000));
		m.attrs = json_array();
		m.email_obj = json_array();
		m.file_objs = json_array();
		export_indicators(b, m_ind, &m);
		if (s_present(b->message_id))
			jpush(&m.j, m.email_obj, m_attr(&m, "email-message-id",
			    "Payload delivery", b->message_id, false,
			    "message-id", NULL));
		if (s_present(b->x_mailer))
			jpush(&m.j, m.email_obj, m_attr(&m, "email-x-mailer",
			    "Payload delivery", b->x_mailer, false, "x-mailer",
			    NULL));
		if (s_present(b->return_path))
			jpush(&m.j, m.email_obj, m_attr(&m, "email-src",
			    "Payload delivery", b->return_path, false,
			    "return-path", NULL));
		m_files(&m);
		json_t *objs = json_array();
		if (json_array_size(m.email_obj) > 0)
			jpush(&m.j, objs, m_object(&m, "email", "email",
			    json_incref(m.email_obj)));
		for (size_t k = 0; k < json_array_size(m.file_objs); k++)
			jpush(&m.j, objs, json_incref(json_array_get(m.file_objs, k)));

		char u[37], date[32], nb[40], oh[65];
		m_uuid(&m, "event", "", u);
		export_rfc3339(it->created_ms, date);
		date[10] = '\0';
		s_hex(it->originator, 32, oh);
		json_t *ev = json_object();
		jsets(&m.j, ev, "uuid", u);
		const char *info = s_present(b->title) ? b->title :
		    s_present(b->subject) ? b->subject : "sigmesh report";
		jsets(&m.j, ev, "info", info);
		jsets(&m.j, ev, "date", date);
		jsets(&m.j, ev, "timestamp", m.ts);
		jsets(&m.j, ev, "publish_timestamp", m.ts);
		jset(&m.j, ev, "published", json_false());
		/* 2 = medium: a targeted mail, not yet a confirmed intrusion */
		jsets(&m.j, ev, "threat_level_id", "2");
		jsets(&m.j, ev, "analysis", "2");	/* completed by originator */
		/* 0 = this organization only, 1 = this community, 3 = all */
		jsets(&m.j, ev, "distribution", it->tlp == SM_TLP_CLEAR ? "3" :
		    it->tlp == SM_TLP_GREEN ? "1" : "0");
		json_t *orgc = json_object();
		jsets(&m.j, orgc, "name", s_org_name(it->originator_name,
		    it->originator, nb));
		m_uuid(&m, "org", oh, u);
		jsets(&m.j, orgc, "uuid", u);
		jset(&m.j, ev, "Orgc", orgc);
		json_t *tags = json_array();
		json_t *tg = json_object();
		jsets(&m.j, tg, "name", s_tlp[it->tlp].misp);
		jpush(&m.j, tags, tg);
		const char *mtn = body_mail_type_name(b->mail_type);
		char *mt = g_strdup_printf("sigmesh:mail-type=\"%s\"",
		    mtn ? mtn : "unknown");
		tg = json_object();
		jsets(&m.j, tg, "name", mt);
		g_free(mt);
		jpush(&m.j, tags, tg);
		/* the report id, so an analyst can find it in sigmesh */
		char *rt = g_strdup_printf("sigmesh:report-id=\"%s\"", m.rhex);
		tg = json_object();
		jsets(&m.j, tg, "name", rt);
		g_free(rt);
		jpush(&m.j, tags, tg);
		for (size_t k = 0; k < b->n_labels; k++) {
			if (!s_present(b->labels[k]))
				continue;
			tg = json_object();
			jsets(&m.j, tg, "name", b->labels[k]);
			jpush(&m.j, tags, tg);
		}
		jset(&m.j, ev, "Tag", tags);
		jset(&m.j, ev, "Attribute", m.attrs);
		jset(&m.j, ev, "Object", objs);
		json_t *w = json_object();
		jset(&m.j, w, "Event", ev);
		jpush(&m.j, resp, w);
		json_decref(m.email_obj);
		json_decref(m.file_objs);
		m.attrs = m.email_obj = m.file_objs = NULL;
	}
	int rc;
	json_t *doc = json_object();
	jset(&m.j, doc, "response", resp);
	if (m.j.bad)
		rc = sm_fail(err, SM_ENOMEM,
		    "misp export: out of memory, or a string is not valid UTF-8");
	else
		rc = s_dump(out, doc, err);
	json_decref(doc);
	return rc;
}

/* ---- CSV --------------------------------------------------------------- */

/* RFC 4180: a field with a comma, quote, CR or LF is quoted, quotes
 * doubled. */
static int c_field(FILE *out, const char *s, bool last)
{
	bool q = strpbrk(s, ",\"\r\n") != NULL;
	if (q && fputc('"', out) == EOF)
		return -1;
	for (const char *p = s; *p; p++) {
		if (*p == '"' && fputc('"', out) == EOF)
			return -1;
		if (fputc(*p, out) == EOF)
			return -1;
	}
	if (q && fputc('"', out) == EOF)
		return -1;
	return fputs(last ? "\r\n" : ",", out) == EOF ? -1 : 0;
}

typedef struct csvc {
	FILE *out;
	const export_item *it;
	char rhex[65], created[32], org[40];
	const char *orgname;
} csvc;

static const char *c_type(uint8_t t)
{
	switch (t) {
	case IND_EMAIL: return "email";
	case IND_DOMAIN: return "domain";
	case IND_IPV4: return "ipv4";
	case IND_IPV6: return "ipv6";
	case IND_URL: return "url";
	case IND_SHA256: return "sha256";
	case IND_HOST: return "host";
	case IND_SUBJECT: return "subject";
	case IND_FILENAME: return "filename";
	default: return "other";
	}
}

static int c_ind(void *ctx, const export_ind *in)
{
	csvc *c = ctx;
	if (c_field(c->out, c->rhex, false) || c_field(c->out, c->created, false) ||
	    c_field(c->out, s_tlp[c->it->tlp].name, false) ||
	    c_field(c->out, c->orgname, false) ||
	    c_field(c->out, c_type(in->type), false) ||
	    c_field(c->out, in->value, false) ||
	    c_field(c->out, in->context, true))
		return -1;
	return 0;
}

static int s_write_csv(FILE *out, const export_item *items, size_t n,
    const export_opts *opts, sm_err *err)
{
	if (fputs("report_id,created,tlp,originator,type,value,context\r\n",
	    out) == EOF)
		return sm_fail(err, SM_EIO, "csv export: write failed");
	for (size_t i = 0; i < n; i++) {
		const export_item *it = &items[i];
		if (!s_included(it, opts, false) || it->tlp > SM_TLP_RED)
			continue;
		csvc c = { .out = out, .it = it };
		s_hex(it->id, 32, c.rhex);
		export_rfc3339(it->created_ms, c.created);
		c.orgname = s_org_name(it->originator_name, it->originator, c.org);
		if (export_indicators(it->body, c_ind, &c) != 0)
			return sm_fail(err, SM_EIO, "csv export: write failed");
	}
	if (fflush(out) != 0)
		return sm_fail(err, SM_EIO, "csv export: write failed");
	return 0;
}

int export_write(FILE *out, enum export_format fmt, const export_item *items,
    size_t n, const export_opts *opts, sm_err *err)
{
	sm_err_clear(err);
	if (!out || (n > 0 && !items))
		return sm_fail(err, SM_EINVAL, "export: no output or no items");
	switch (fmt) {
	case EXPORT_STIX21: return s_write_stix(out, items, n, opts, err);
	case EXPORT_MISP: return s_write_misp(out, items, n, opts, err);
	case EXPORT_CSV: return s_write_csv(out, items, n, opts, err);
	}
	return sm_fail(err, SM_EINVAL, "export: unknown format %d", (int)fmt);
}
