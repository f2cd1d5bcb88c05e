/*
 * node/stix_import.c — STIX 2.1 bundle -> body_t (see stix_import.h).
 *
 * JSON is parsed by jansson; only the small STIX pattern language is
 * scanned by hand, because no C library for it exists. The scanner is a
 * flat loop over the pattern (no recursion): brackets and parentheses are
 * only counted for balance, and every comparison must be
 * "path = 'literal'" for the pattern to be understood.
 */
#include "node/stix_import.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct imp {
	body_t *b;
	sm_err *err;
	json_t *reply_to;		/* Reply-To values seen in headers */
	json_t *ind_ips;		/* IPs an indicator names */
	json_t *ind_doms;		/* domains an indicator names */
	bool report_title;		/* title came from a report object */
} imp;

/* ---- adding to the body, bounded and de-duplicated ---------------------- */

static int s_dup(imp *m, const char *s, size_t max, char **out,
    const char *what)
{
	size_t n = strlen(s);
	if (n > max)
		return sm_fail(m->err, SM_EBOUND, "%s: %zu bytes, max %zu", what,
		    n, max);
	*out = strdup(s);
	if (!*out)
		return sm_fail(m->err, SM_ENOMEM, "%s: out of memory", what);
	return 0;
}

/* Grow an array of elem-sized entries to hold one more (BODY_MAX_LIST). */
static int s_grow(imp *m, void **arr, size_t n, size_t elem, const char *what)
{
	if (n >= BODY_MAX_LIST)
		return sm_fail(m->err, SM_EBOUND, "%s: more than %d entries",
		    what, BODY_MAX_LIST);
	/* power-of-two capacities: grow when n is 0 or a power of two */
	if (n == 0 || (n & (n - 1)) == 0) {
		void *p = realloc(*arr, (n ? 2 * n : 1) * elem);
		if (!p)
			return sm_fail(m->err, SM_ENOMEM, "%s: out of memory", what);
		*arr = p;
	}
	return 0;
}

static int s_add_str(imp *m, char ***list, size_t *n, const char *v,
    const char *what)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*list)[i], v))
			return 0;
	if (s_grow(m, (void **)list, *n, sizeof **list, what) < 0 ||
	    s_dup(m, v, BODY_MAX_STR, &(*list)[*n], what) < 0)
		return -1;
	(*n)++;
	return 0;
}

static int s_add_addr(imp *m, body_addr **list, size_t *n, const char *v,
    const char *name, const char *what)
{
	for (size_t i = 0; i < *n; i++) {
		body_addr *o = &(*list)[i];
		if (strcmp(o->addr, v))
			continue;
		/* seen in a pattern first, the observable brings the name */
		if (!o->name && name && *name)
			return s_dup(m, name, BODY_MAX_STR, &o->name, what);
		return 0;
	}
	if (s_grow(m, (void **)list, *n, sizeof **list, what) < 0)
		return -1;
	body_addr *a = &(*list)[*n];
	memset(a, 0, sizeof *a);
	if (s_dup(m, v, BODY_MAX_STR, &a->addr, what) < 0)
		return -1;
	(*n)++;		/* counted now, so body_clear frees addr on error */
	if (name && *name && s_dup(m, name, BODY_MAX_STR, &a->name, what) < 0)
		return -1;
	return 0;
}

static int s_add_host(imp *m, body_host **list, size_t *n, const char *host,
    const char *ip, const char *what)
{
	for (size_t i = 0; i < *n; i++) {
		body_host *h = &(*list)[i];
		if ((host && h->host && !strcmp(h->host, host)) ||
		    (ip && h->ip && !strcmp(h->ip, ip)))
			return 0;
	}
	if (s_grow(m, (void **)list, *n, sizeof **list, what) < 0)
		return -1;
	body_host *h = &(*list)[*n];
	memset(h, 0, sizeof *h);
	(*n)++;
	if (host && s_dup(m, host, BODY_MAX_STR, &h->host, what) < 0)
		return -1;
	if (ip && s_dup(m, ip, BODY_MAX_STR, &h->ip, what) < 0)
		return -1;
	return 0;
}

static int s_set_once(imp *m, char **field, const char *v, size_t max,
    const char *what)
{
	if (*field || !*v)
		return 0;
	return s_dup(m, v, max, field, what);
}

static int s_hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

static bool s_sha256(const char *hex, uint8_t out[32])
{
	if (strlen(hex) != 64)
		return false;
	for (int i = 0; i < 32; i++) {
		int h = s_hexval(hex[2 * i]), l = s_hexval(hex[2 * i + 1]);
		if (h < 0 || l < 0)
			return false;
		out[i] = (uint8_t)(h << 4 | l);
	}
	return true;
}

/* The attachment with this hash (or, hashless, this name), added if new. */
static int s_att(imp *m, const uint8_t *sha, const char *name,
    body_attachment **out)
{
	body_t *b = m->b;
	for (size_t i = 0; i < b->n_atts; i++) {
		body_attachment *a = &b->atts[i];
		if ((sha && a->has_sha256 && !memcmp(a->sha256, sha, 32)) ||
		    (!sha && name && a->name && !a->has_sha256 &&
		     !strcmp(a->name, name))) {
			*out = a;
			return 0;
		}
	}
	if (s_grow(m, (void **)&b->atts, b->n_atts, sizeof *b->atts,
	    "attachments") < 0)
		return -1;
	body_attachment *a = &b->atts[b->n_atts++];
	memset(a, 0, sizeof *a);
	if (sha) {
		memcpy(a->sha256, sha, 32);
		a->has_sha256 = true;
	}
	*out = a;
	return 0;
}

static bool s_is_ip(const char *s, int *af)
{
	uint8_t buf[16];
	if (inet_pton(AF_INET, s, buf) == 1) {
		*af = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, s, buf) == 1) {
		*af = AF_INET6;
		return true;
	}
	return false;
}

static bool s_in(json_t *set, const char *v)
{
	return json_object_get(set, v) != NULL;
}

/* ---- JSON field access -------------------------------------------------- */

/* The string field k of o, or NULL if absent. A present field that is not
 * a string, or holds a NUL, is an error (*bad set). */
static const char *s_str(imp *m, json_t *o, const char *k, int *bad)
{
	json_t *v = json_object_get(o, k);
	if (!v)
		return NULL;
	if (!json_is_string(v)) {
		*bad = sm_fail(m->err, SM_EMALFORMED, "%s: not a string", k);
		return NULL;
	}
	const char *s = json_string_value(v);
	if (strlen(s) != json_string_length(v)) {
		*bad = sm_fail(m->err, SM_EMALFORMED, "%s: contains NUL", k);
		return NULL;
	}
	return s;
}

/* ---- patterns ----------------------------------------------------------- */

/* Apply one comparison path = value. Returns 1 if understood, 0 if not,
 * -1 on error. */
static int s_cmp(imp *m, const char *path, const char *v)
{
	body_t *b = m->b;
	uint8_t sha[32];
	int af;
	if (!*v)
		return 0;
	if (!strcmp(path, "email-addr:value") ||
	    !strcmp(path, "email-message:from_ref.value") ||
	    !strcmp(path, "email-message:sender_ref.value")) {
		if (s_in(m->reply_to, v))
			return s_add_addr(m, &b->reply_to, &b->n_reply_to, v,
			    NULL, "reply_to") < 0 ? -1 : 1;
		return s_add_addr(m, &b->from, &b->n_from, v, NULL, "from") < 0 ?
		    -1 : 1;
	}
	if (!strcmp(path, "email-message:subject"))
		return s_set_once(m, &b->subject, v, BODY_MAX_STR, "subject") < 0 ?
		    -1 : 1;
	if (!strcmp(path, "url:value"))
		return s_add_str(m, &b->urls, &b->n_urls, v, "urls") < 0 ? -1 : 1;
	if (!strcmp(path, "domain-name:value")) {
		if (json_object_set_new(m->ind_doms, v, json_true()) != 0)
			return sm_fail(m->err, SM_ENOMEM, "domains: out of memory");
		return s_add_str(m, &b->domains, &b->n_domains, v, "domains") < 0 ?
		    -1 : 1;
	}
	if (!strcmp(path, "ipv4-addr:value") || !strcmp(path, "ipv6-addr:value")) {
		if (!s_is_ip(v, &af) || (af == AF_INET) != (path[3] == '4'))
			return 0;
		if (json_object_set_new(m->ind_ips, v, json_true()) != 0)
			return sm_fail(m->err, SM_ENOMEM, "ips: out of memory");
		return s_add_host(m, &b->c2, &b->n_c2, NULL, v, "c2") < 0 ? -1 : 1;
	}
	if (!strcmp(path, "file:hashes.'SHA-256'") ||
	    !strcmp(path, "file:hashes.SHA256") ||
	    !strcmp(path, "file:hashes.'SHA256'")) {
		body_attachment *a;
		if (!s_sha256(v, sha))
			return 0;
		return s_att(m, sha, NULL, &a) < 0 ? -1 : 1;
	}
	if (!strcmp(path, "file:name")) {
		body_attachment *a;
		if (s_att(m, NULL, v, &a) < 0)
			return -1;
		return s_set_once(m, &a->name, v, BODY_MAX_STR, "file name") < 0 ?
		    -1 : 1;
	}
	return 0;
}

static bool s_path_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_' || c == ':' ||
	    c == '.' || c == '\'' || c == '[' || c == ']' || c == '*';
}

/*
 * Scan pattern p: comparisons "path = 'lit'" joined by AND/OR inside
 * [...], groups joined by AND/OR and parenthesised. Each comparison found
 * is applied; returns 1 if the whole pattern was understood, 0 if not,
 * -1 on error.
 */
static int s_pattern(imp *m, const char *p)
{
	size_t n = strlen(p), i = 0;
	int sq = 0, par = 0, understood = 1;
	char *path = NULL, *lit = NULL;
	int rc = -1;
	path = malloc(n + 1);
	lit = malloc(n + 1);
	if (!path || !lit) {
		sm_fail(m->err, SM_ENOMEM, "pattern: out of memory");
		goto out;
	}
	while (i < n) {
		char c = p[i];
		if (isspace((unsigned char)c)) {
			i++;
		} else if (c == '(' && sq == 0) {
			par++, i++;
		} else if (c == ')' && sq == 0) {
			if (--par < 0)
				goto not_understood;
			i++;
		} else if (c == '[' && sq == 0) {
			sq = 1, i++;
		} else if (c == ']' && sq == 1) {
			sq = 0, i++;
		} else if (!strncmp(p + i, "AND", 3) && (i + 3 == n ||
		    !s_path_char(p[i + 3]))) {
			i += 3;
		} else if (!strncmp(p + i, "OR", 2) && (i + 2 == n ||
		    !s_path_char(p[i + 2]))) {
			i += 2;
		} else if (sq == 1 && s_path_char(c)) {
			/* path: up to whitespace or '=' (quotes allowed inside:
			 * hashes.'SHA-256') */
			size_t k = 0;
			bool inq = false;
			while (i < n && (inq || (s_path_char(p[i]) && p[i] != ']'))) {
				if (p[i] == '\'')
					inq = !inq;
				path[k++] = p[i++];
			}
			path[k] = '\0';
			if (inq)
				goto not_understood;
			while (i < n && isspace((unsigned char)p[i]))
				i++;
			if (i >= n || p[i] != '=' || (i + 1 < n && p[i + 1] == '='))
				goto not_understood;	/* !=, <, LIKE, MATCHES... */
			i++;
			while (i < n && isspace((unsigned char)p[i]))
				i++;
			if (i >= n || p[i] != '\'')
				goto not_understood;	/* not a string literal */
			i++;
			k = 0;
			for (;;) {
				if (i >= n)
					goto not_understood;
				if (p[i] == '\\') {
					if (i + 1 >= n || (p[i + 1] != '\\' &&
					    p[i + 1] != '\''))
						goto not_understood;
					lit[k++] = p[i + 1];
					i += 2;
				} else if (p[i] == '\'') {
					i++;
					break;
				} else {
					lit[k++] = p[i++];
				}
			}
			lit[k] = '\0';
			int r = s_cmp(m, path, lit);
			if (r < 0)
				goto out;
			if (r == 0)
				understood = 0;
		} else {
			goto not_understood;
		}
	}
	if (sq != 0 || par != 0)
		goto not_understood;
	rc = understood;
	goto out;
not_understood:
	rc = 0;
out:
	free(path);
	free(lit);
	return rc;
}

/* ---- objects ------------------------------------------------------------ */

static int s_indicator(imp *m, json_t *o)
{
	int bad = 0;
	const char *p = s_str(m, o, "pattern", &bad);
	const char *pt = s_str(m, o, "pattern_type", &bad);
	const char *name = s_str(m, o, "name", &bad);
	if (bad)
		return -1;
	if (!p)
		return sm_fail(m->err, SM_EMALFORMED, "indicator: no pattern");
	if (strlen(p) > BODY_MAX_TEXT)
		return sm_fail(m->err, SM_EBOUND, "pattern: %zu bytes, max %d",
		    strlen(p), BODY_MAX_TEXT);
	int r = 0;
	if (!pt || !strcmp(pt, "stix"))
		r = s_pattern(m, p);
	if (r < 0)
		return -1;
	if (r == 0) {
		char *l = malloc(strlen(p) + 14);
		if (!l)
			return sm_fail(m->err, SM_ENOMEM, "label: out of memory");
		strcpy(l, "stix-pattern:");
		strcat(l, p);
		r = s_add_str(m, &m->b->labels, &m->b->n_labels, l, "labels");
		free(l);
		if (r < 0)
			return -1;
	}
	if (name && !m->b->title)
		return s_set_once(m, &m->b->title, name, BODY_MAX_STR, "title");
	return 0;
}

static int s_headers(imp *m, json_t *hdr, bool collect_only)
{
	const char *k;
	json_t *v;
	if (!hdr)
		return 0;
	if (!json_is_object(hdr))
		return sm_fail(m->err, SM_EMALFORMED,
		    "additional_header_fields: not an object");
	json_object_foreach(hdr, k, v) {
		if (!strcasecmp(k, "Reply-To") && collect_only) {
			size_t n = json_is_array(v) ? json_array_size(v) : 1;
			if (n > BODY_MAX_LIST)
				return sm_fail(m->err, SM_EBOUND,
				    "Reply-To: %zu entries", n);
			for (size_t i = 0; i < n; i++) {
				json_t *e = json_is_array(v) ? json_array_get(v, i) : v;
				if (!json_is_string(e))
					return sm_fail(m->err, SM_EMALFORMED,
					    "Reply-To: not a string");
				if (json_object_set_new(m->reply_to,
				    json_string_value(e), json_true()) != 0)
					return sm_fail(m->err, SM_ENOMEM,
					    "Reply-To: out of memory");
			}
			continue;
		}
		if (collect_only || !json_is_string(v))
			continue;
		const char *s = json_string_value(v);
		if (strlen(s) != json_string_length(v))
			return sm_fail(m->err, SM_EMALFORMED, "%s: contains NUL", k);
		int r = 0;
		if (!strcasecmp(k, "Message-ID"))
			r = s_set_once(m, &m->b->message_id, s, BODY_MAX_STR, k);
		else if (!strcasecmp(k, "X-Mailer"))
			r = s_set_once(m, &m->b->x_mailer, s, BODY_MAX_STR, k);
		else if (!strcasecmp(k, "Return-Path"))
			r = s_set_once(m, &m->b->return_path, s, BODY_MAX_STR, k);
		if (r < 0)
			return -1;
	}
	return 0;
}

static int s_file(imp *m, json_t *o)
{
	int bad = 0;
	uint8_t sha[32];
	body_attachment *a;
	const char *name = s_str(m, o, "name", &bad);
	const char *mime = s_str(m, o, "mime_type", &bad);
	json_t *h = json_object_get(o, "hashes");
	const char *hex = NULL;
	if (h) {
		if (!json_is_object(h))
			return sm_fail(m->err, SM_EMALFORMED, "hashes: not an object");
		hex = s_str(m, h, "SHA-256", &bad);
	}
	json_t *size = json_object_get(o, "size");
	if (bad)
		return -1;
	if (size && (!json_is_integer(size) || json_integer_value(size) < 0))
		return sm_fail(m->err, SM_EMALFORMED, "file size: not a count");
	bool has = hex && s_sha256(hex, sha);
	if (!has && !(name && *name))
		return 0;
	if (s_att(m, has ? sha : NULL, name, &a) < 0)
		return -1;
	if (name && s_set_once(m, &a->name, name, BODY_MAX_STR, "file name") < 0)
		return -1;
	if (mime && s_set_once(m, &a->mime, mime, BODY_MAX_STR, "mime_type") < 0)
		return -1;
	if (size)
		a->size = (uint64_t)json_integer_value(size);
	return 0;
}

static int s_report(imp *m, json_t *o)
{
	int bad = 0;
	const char *name = s_str(m, o, "name", &bad);
	const char *desc = s_str(m, o, "description", &bad);
	json_t *labels = json_object_get(o, "labels");
	if (bad)
		return -1;
	/* a report's name beats an indicator's (indicators are read first) */
	if (name && *name && !m->report_title) {
		free(m->b->title);
		m->b->title = NULL;
		if (s_dup(m, name, BODY_MAX_STR, &m->b->title, "title") < 0)
			return -1;
		m->report_title = true;
	}
	if (desc && s_set_once(m, &m->b->analysis, desc, BODY_MAX_TEXT,
	    "analysis") < 0)
		return -1;
	if (!labels)
		return 0;
	if (!json_is_array(labels))
		return sm_fail(m->err, SM_EMALFORMED, "labels: not an array");
	for (size_t i = 0; i < json_array_size(labels); i++) {
		json_t *l = json_array_get(labels, i);
		if (!json_is_string(l) || strlen(json_string_value(l)) !=
		    json_string_length(l))
			return sm_fail(m->err, SM_EMALFORMED, "labels[%zu]: not a string", i);
		const char *s = json_string_value(l);
		if (!strncmp(s, "mail-type:", 10)) {
			static const char *const mt[] = { "unknown", "attachment",
			    "link", "reconnaissance" };
			for (uint8_t k = 0; k < 4; k++)
				if (!strcmp(s + 10, mt[k]))
					m->b->mail_type = k;
			continue;
		}
		if (*s && s_add_str(m, &m->b->labels, &m->b->n_labels, s,
		    "labels") < 0)
			return -1;
	}
	return 0;
}

static int s_object(imp *m, json_t *o, size_t idx)
{
	int bad = 0, af;
	const char *type = s_str(m, o, "type", &bad);
	if (bad)
		return -1;
	if (!type)
		return sm_fail(m->err, SM_EMALFORMED, "objects[%zu]: no type", idx);
	body_t *b = m->b;
	if (!strcmp(type, "indicator"))
		return s_indicator(m, o);
	if (!strcmp(type, "report"))
		return s_report(m, o);
	if (!strcmp(type, "file"))
		return s_file(m, o);
	if (!strcmp(type, "email-message")) {
		const char *subj = s_str(m, o, "subject", &bad);
		if (bad)
			return -1;
		if (subj && s_set_once(m, &b->subject, subj, BODY_MAX_STR,
		    "subject") < 0)
			return -1;
		return s_headers(m, json_object_get(o, "additional_header_fields"),
		    false);
	}
	const char *v = s_str(m, o, "value", &bad);
	if (bad)
		return -1;
	if (!v || !*v)
		return 0;
	if (!strcmp(type, "email-addr")) {
		const char *dn = s_str(m, o, "display_name", &bad);
		if (bad)
			return -1;
		if (s_in(m->reply_to, v))
			return s_add_addr(m, &b->reply_to, &b->n_reply_to, v, dn,
			    "reply_to");
		return s_add_addr(m, &b->from, &b->n_from, v, dn, "from");
	}
	if (!strcmp(type, "url"))
		return s_add_str(m, &b->urls, &b->n_urls, v, "urls");
	/* a host no indicator names is where the mail came through */
	if (!strcmp(type, "domain-name"))
		return s_in(m->ind_doms, v) ? 0 : s_add_host(m, &b->relays,
		    &b->n_relays, v, NULL, "relays");
	if ((!strcmp(type, "ipv4-addr") || !strcmp(type, "ipv6-addr")) &&
	    s_is_ip(v, &af) && !s_in(m->ind_ips, v))
		return s_add_host(m, &b->relays, &b->n_relays, NULL, v, "relays");
	return 0;
}

int stix_import(const char *json, size_t len, body_t *out, sm_err *err)
{
	imp m = { .b = out, .err = err };
	json_t *root = NULL;
	json_error_t je;
	int rc = -1;
	memset(out, 0, sizeof *out);
	sm_err_clear(err);
	if (!json)
		return sm_fail(err, SM_EINVAL, "stix import: no input");
	if (len > STIX_IMPORT_MAX_LEN)
		return sm_fail(err, SM_EBOUND, "stix import: %zu bytes, max %u",
		    len, STIX_IMPORT_MAX_LEN);
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		sm_fail(err, SM_EMALFORMED, "stix import: line %d: %s", je.line,
		    je.text);
		goto out;
	}
	json_t *type = json_object_get(root, "type");
	json_t *objs = json_object_get(root, "objects");
	if (!json_is_object(root) || !json_is_string(type) ||
	    strcmp(json_string_value(type), "bundle") != 0) {
		sm_fail(err, SM_EMALFORMED, "stix import: not a STIX bundle");
		goto out;
	}
	if (!json_is_array(objs)) {
		sm_fail(err, SM_EMALFORMED, "stix import: objects: not an array");
		goto out;
	}
	size_t n = json_array_size(objs);
	if (n > STIX_IMPORT_MAX_OBJECTS) {
		sm_fail(err, SM_EBOUND, "stix import: %zu objects, max %d", n,
		    STIX_IMPORT_MAX_OBJECTS);
		goto out;
	}
	m.reply_to = json_object();
	m.ind_ips = json_object();
	m.ind_doms = json_object();
	if (!m.reply_to || !m.ind_ips || !m.ind_doms) {
		sm_fail(err, SM_ENOMEM, "stix import: out of memory");
		goto out;
	}
	/* pass 1: which addresses are Reply-To; pass 2: indicators first (so
	 * their IPs are C2, not relays); pass 3: everything else */
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_array_get(objs, i);
		if (!json_is_object(o)) {
			sm_fail(err, SM_EMALFORMED, "objects[%zu]: not an object", i);
			goto out;
		}
		json_t *t = json_object_get(o, "type");
		if (json_is_string(t) && !strcmp(json_string_value(t),
		    "email-message") && s_headers(&m, json_object_get(o,
		    "additional_header_fields"), true) < 0)
			goto wrap;
	}
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < n; i++) {
			json_t *o = json_array_get(objs, i);
			json_t *t = json_object_get(o, "type");
			bool ind = json_is_string(t) &&
			    !strcmp(json_string_value(t), "indicator");
			if (ind != (pass == 0))
				continue;
			if (s_object(&m, o, i) < 0)
				goto wrap;
		}
	}
	if (!out->title && s_dup(&m, "Imported STIX 2.1 bundle", BODY_MAX_STR,
	    &out->title, "title") < 0)
		goto out;
	rc = 0;
	goto out;
wrap:
	sm_wrap(err, "stix import: ");
out:
	json_decref(root);
	json_decref(m.reply_to);
	json_decref(m.ind_ips);
	json_decref(m.ind_doms);
	if (rc != 0)
		body_clear(out);
	return rc;
}
