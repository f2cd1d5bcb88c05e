/*
 * node/anon.c — remove who was attacked from a report body (node/anon.h).
 *
 * Each configured needle is expanded into the forms it takes inside URLs
 * and text: as is, percent-encoded (once and twice, with '+' or %20 for
 * spaces) and base64 (standard and URL-safe). Base64 of a string depends
 * on where it starts modulo 3, so for each of the three alignments only the
 * 4-character groups made entirely of needle bytes are searched: those are
 * the same whatever surrounds the needle. Every string field of the body is
 * then rewritten with every form, longest needles first, so that an
 * address is replaced as a whole before its domain is.
 */
#include "node/anon.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "proto/codec.h"

#define ANON_LOG_MAX (ANON_MAX_RULES * 4)

typedef struct anon_net {
	int family;		/* AF_INET / AF_INET6 */
	uint8_t addr[16];
	unsigned prefix;	/* bits */
} anon_net;

struct anon_rules {
	char **v[ANON_KIND_MAX];	/* owned strings */
	size_t n[ANON_KIND_MAX];
	anon_net *nets;			/* parsed ANON_INTERNAL_IP entries */
	size_t n_nets;
};

static const char *const placeholders[ANON_KIND_MAX] = {
	"[recipient]", "[recipient]", "[org-domain]", "[internal-host]",
	"[internal-ip]", "[redacted]",
};

const char *anon_placeholder(enum anon_kind kind)
{
	return kind < ANON_KIND_MAX ? placeholders[kind] : "[redacted]";
}

anon_rules *anon_rules_new(void)
{
	return calloc(1, sizeof(anon_rules));
}

void anon_rules_destroy(anon_rules **rp)
{
	if (!rp || !*rp)
		return;
	anon_rules *r = *rp;
	for (int k = 0; k < ANON_KIND_MAX; k++) {
		for (size_t i = 0; i < r->n[k]; i++)
			free(r->v[k][i]);
		free(r->v[k]);
	}
	free(r->nets);
	free(r);
	*rp = NULL;
}

size_t anon_rules_count(const anon_rules *r, enum anon_kind kind)
{
	return r && kind < ANON_KIND_MAX ? r->n[kind] : 0;
}

static int parse_net(const char *s, anon_net *net)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned max;

	if (alen == 0 || alen >= sizeof(buf))
		return -1;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	memset(net, 0, sizeof(*net));
	if (inet_pton(AF_INET, buf, net->addr) == 1) {
		net->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, net->addr) == 1) {
		net->family = AF_INET6;
		max = 128;
	} else
		return -1;
	net->prefix = max;
	if (slash) {
		char *end;
		unsigned long p = strtoul(slash + 1, &end, 10);
		if (end == slash + 1 || *end || p > max)
			return -1;
		net->prefix = (unsigned)p;
	}
	return 0;
}

static bool net_match(const anon_net *n, int family, const uint8_t *a)
{
	if (n->family != family)
		return false;
	unsigned full = n->prefix / 8, rest = n->prefix % 8;
	if (memcmp(n->addr, a, full) != 0)
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));
		if ((n->addr[full] & mask) != (a[full] & mask))
			return false;
	}
	return true;
}

static const char *const role_names[] = {
	"info", "admin", "contact", "support", "sales", "office", "mail",
	"postmaster", "webmaster", "noreply", "no-reply", "root", "user",
};

static int add_raw(anon_rules *r, enum anon_kind kind, const char *s, sm_err *err)
{
	for (size_t i = 0; i < r->n[kind]; i++)
		if (strcasecmp(r->v[kind][i], s) == 0)
			return 0;
	if (r->n[kind] >= ANON_MAX_RULES)
		return sm_fail(err, SM_EBOUND, "anon rules: more than %d of kind %d",
		    ANON_MAX_RULES, kind);
	char **nv = realloc(r->v[kind], (r->n[kind] + 1) * sizeof(*nv));
	if (!nv)
		return sm_fail(err, SM_ENOMEM, "anon rules: out of memory");
	r->v[kind] = nv;
	if (!(nv[r->n[kind]] = strdup(s)))
		return sm_fail(err, SM_ENOMEM, "anon rules: out of memory");
	r->n[kind]++;
	return 0;
}

int anon_rules_add(anon_rules *r, enum anon_kind kind, const char *s, sm_err *err)
{
	if (!r || kind >= ANON_KIND_MAX || !s)
		return sm_fail(err, SM_EINVAL, "anon rules: bad argument");
	/* Trim the blanks and angle brackets headers carry. */
	while (*s == ' ' || *s == '\t' || *s == '<' || *s == '"')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '>' ||
	    s[n - 1] == '"' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	if (n == 0)
		return 0;
	if (n > BODY_MAX_STR)
		return sm_fail(err, SM_EBOUND, "anon rules: entry of %zu bytes", n);
	if (!codec_utf8_ok(s, n))
		return sm_fail(err, SM_EINVAL, "anon rules: entry is not UTF-8");
	char *t = strndup(s, n);
	if (!t)
		return sm_fail(err, SM_ENOMEM, "anon rules: out of memory");
	int rc = -1;
	if (kind == ANON_INTERNAL_IP) {
		anon_net net;
		if (parse_net(t, &net) < 0) {
			sm_fail(err, SM_EINVAL, "anon rules: \"%.60s\" is not an IP or CIDR range", t);
			goto out;
		}
		anon_net *nn = realloc(r->nets, (r->n_nets + 1) * sizeof(*nn));
		if (!nn) {
			sm_fail(err, SM_ENOMEM, "anon rules: out of memory");
			goto out;
		}
		r->nets = nn;
		r->nets[r->n_nets++] = net;
	}
	if (add_raw(r, kind, t, err) < 0)
		goto out;
	if (kind == ANON_RECIPIENT) {
		char *at = strrchr(t, '@');
		if (at && at - t >= 4) {
			*at = '\0';
			bool role = false;
			for (size_t i = 0; i < sizeof(role_names) / sizeof(role_names[0]); i++)
				if (strcasecmp(t, role_names[i]) == 0)
					role = true;
			if (!role && add_raw(r, ANON_RECIPIENT_NAME, t, err) < 0)
				goto out;
		}
	}
	rc = 0;
out:
	free(t);
	return rc;
}

anon_rules *anon_rules_dup(const anon_rules *r)
{
	anon_rules *d = anon_rules_new();
	if (!d || !r)
		return d;
	for (int k = 0; k < ANON_KIND_MAX; k++)
		for (size_t i = 0; i < r->n[k]; i++)
			if (add_raw(d, (enum anon_kind)k, r->v[k][i], NULL) < 0)
				goto fail;
	if (r->n_nets) {
		if (!(d->nets = malloc(r->n_nets * sizeof(*d->nets))))
			goto fail;
		memcpy(d->nets, r->nets, r->n_nets * sizeof(*d->nets));
		d->n_nets = r->n_nets;
	}
	return d;
fail:
	anon_rules_destroy(&d);
	return NULL;
}

/* host equals dom, or ends with "." dom (case-insensitive). */
static bool under_domain(const char *host, const char *dom)
{
	size_t h = strlen(host), d = strlen(dom);
	if (h == d)
		return strcasecmp(host, dom) == 0;
	return h > d && host[h - d - 1] == '.' && strcasecmp(host + h - d, dom) == 0;
}

bool anon_is_internal_host(const anon_rules *r, const char *host)
{
	if (!host || !*host)
		return false;
	if (strcasecmp(host, "localhost") == 0)
		return true;
	if (!r)
		return false;
	for (size_t i = 0; i < r->n[ANON_INTERNAL_HOST]; i++)
		if (strcasecmp(host, r->v[ANON_INTERNAL_HOST][i]) == 0)
			return true;
	for (size_t i = 0; i < r->n[ANON_ORG_DOMAIN]; i++)
		if (under_domain(host, r->v[ANON_ORG_DOMAIN][i]))
			return true;
	return false;
}

bool anon_is_internal_ip(const anon_rules *r, const char *ip)
{
	uint8_t a[16];
	int fam;
	/* Private and special ranges are never a sender's public address. */
	static const char *const special[] = {
		"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8",
		"169.254.0.0/16", "100.64.0.0/10", "0.0.0.0/8", "::1/128", "::/128",
		"fc00::/7", "fe80::/10",
	};

	if (!ip)
		return false;
	if (inet_pton(AF_INET, ip, a) == 1)
		fam = AF_INET;
	else if (inet_pton(AF_INET6, ip, a) == 1)
		fam = AF_INET6;
	else
		return false;
	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++) {
		anon_net n;
		if (parse_net(special[i], &n) == 0 && net_match(&n, fam, a))
			return true;
	}
	for (size_t i = 0; r && i < r->n_nets; i++)
		if (net_match(&r->nets[i], fam, a))
			return true;
	return false;
}

void anon_log_clear(anon_log *log)
{
	if (!log)
		return;
	for (size_t i = 0; i < log->n; i++) {
		free(log->e[i].field);
		free(log->e[i].original);
	}
	free(log->e);
	memset(log, 0, sizeof(*log));
}

static int log_add(anon_log *log, const char *field, const char *orig,
    const char *ph, sm_err *err)
{
	if (!log)
		return 0;
	for (size_t i = 0; i < log->n; i++)
		if (strcmp(log->e[i].field, field) == 0 &&
		    strcmp(log->e[i].original, orig) == 0)
			return 0;
	if (log->n >= ANON_LOG_MAX) {
		log->dropped++;
		return 0;
	}
	anon_entry *ne = realloc(log->e, (log->n + 1) * sizeof(*ne));
	if (!ne)
		return sm_fail(err, SM_ENOMEM, "anon log: out of memory");
	log->e = ne;
	ne[log->n].field = strdup(field);
	ne[log->n].original = strdup(orig);
	ne[log->n].placeholder = ph;
	if (!ne[log->n].field || !ne[log->n].original) {
		free(ne[log->n].field);
		free(ne[log->n].original);
		return sm_fail(err, SM_ENOMEM, "anon log: out of memory");
	}
	log->n++;
	return 0;
}

/* ---- needle forms ----------------------------------------------------- */

typedef struct form {
	char *text;
	size_t len;
	bool icase;		/* ASCII case-insensitive match */
	bool word;		/* must not touch letters/digits on either side */
	enum anon_kind kind;
	const char *orig;	/* the configured needle, for the log */
} form;

typedef struct forms {
	form *f;
	size_t n, cap;
} forms;

static int forms_push(forms *fs, char *text, bool icase, bool word,
    enum anon_kind kind, const char *orig)
{
	if (!text)
		return -1;
	for (size_t i = 0; i < fs->n; i++)
		if (fs->f[i].kind == kind && strcmp(fs->f[i].text, text) == 0) {
			free(text);
			return 0;
		}
	if (fs->n == fs->cap) {
		size_t nc = fs->cap ? fs->cap * 2 : 32;
		form *nf = realloc(fs->f, nc * sizeof(*nf));
		if (!nf) {
			free(text);
			return -1;
		}
		fs->f = nf;
		fs->cap = nc;
	}
	fs->f[fs->n++] = (form){ text, strlen(text), icase, word, kind, orig };
	return 0;
}

static bool unreserved(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* Percent-encode everything but unreserved characters; space as "+" if
 * plus, else %20. */
static char *pct_encode(const char *s, bool plus)
{
	size_t n = strlen(s);
	char *o = malloc(3 * n + 1), *p = o;
	if (!o)
		return NULL;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (unreserved(c))
			*p++ = (char)c;
		else if (c == ' ' && plus)
			*p++ = '+';
		else
			p += sprintf(p, "%%%02X", c);
	}
	*p = '\0';
	return o;
}

/* The alignment-independent middle of base64(k pad bytes || s). */
static char *b64_core(const char *s, unsigned k, int variant)
{
	size_t n = strlen(s), tot = n + k;
	size_t full = tot / 3;		/* complete 3-byte groups */
	if (full < (k ? 3u : 2u))	/* at least 8 stable characters */
		return NULL;
	uint8_t *in = calloc(1, tot);
	size_t cap = sodium_base64_ENCODED_LEN(tot, variant);
	char *enc = malloc(cap);
	char *core = NULL;
	if (in && enc) {
		memcpy(in + k, s, n);
		sodium_bin2base64(enc, cap, in, tot, variant);
		size_t from = k ? 4 : 0, to = full * 4;
		core = strndup(enc + from, to - from);
	}
	free(in);
	free(enc);
	return core;
}

static int add_forms(forms *fs, const char *needle, enum anon_kind kind)
{
	bool word = kind == ANON_RECIPIENT_NAME || kind == ANON_ORG_DOMAIN ||
	    kind == ANON_INTERNAL_HOST || kind == ANON_INTERNAL_IP;
	if (kind == ANON_INTERNAL_IP && strchr(needle, '/'))
		return 0;	/* ranges only match relays */
	if (forms_push(fs, strdup(needle), true, word, kind, needle) < 0)
		return -1;
	for (int plus = 0; plus < 2; plus++) {
		char *p = pct_encode(needle, plus);
		if (!p)
			return -1;
		if (strcmp(p, needle) == 0) {
			free(p);
			continue;
		}
		char *p2 = pct_encode(p, false);	/* double-encoded */
		if (forms_push(fs, p, true, false, kind, needle) < 0 ||
		    forms_push(fs, p2, true, false, kind, needle) < 0)
			return -1;
	}
	/* Base64 only for what identifies a person or the organization. */
	if (kind != ANON_RECIPIENT && kind != ANON_RECIPIENT_NAME &&
	    kind != ANON_EXTRA && kind != ANON_ORG_DOMAIN)
		return 0;
	char *lower = strdup(needle);
	if (!lower)
		return -1;
	for (char *c = lower; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	const char *srcs[2] = { needle, lower };
	for (int s = 0; s < 2; s++)
		for (unsigned k = 0; k < 3; k++)
			for (int v = 0; v < 2; v++) {
				char *c = b64_core(srcs[s], k, v ?
				    sodium_base64_VARIANT_URLSAFE_NO_PADDING :
				    sodium_base64_VARIANT_ORIGINAL);
				if (c && forms_push(fs, c, false, false, kind, needle) < 0) {
					free(lower);
					return -1;
				}
			}
	free(lower);
	return 0;
}

static int form_cmp(const void *a, const void *b)
{
	const form *x = a, *y = b;
	/* Longest first; then by kind so recipients beat org domains. */
	if (x->len != y->len)
		return x->len > y->len ? -1 : 1;
	return (int)x->kind - (int)y->kind;
}

static void forms_free(forms *fs)
{
	for (size_t i = 0; i < fs->n; i++)
		free(fs->f[i].text);
	free(fs->f);
}

/* ---- rewriting -------------------------------------------------------- */

/* ASCII only: Japanese text has no spaces, so a name followed by "様"
 * must still match. */
static bool is_word(unsigned char c)
{
	return c < 0x80 && isalnum(c);
}

/* Replace every occurrence of form f in *sp. Sets *hit. */
static int rewrite(char **sp, const form *f, bool *hit)
{
	const char *s = *sp;
	const char *ph = placeholders[f->kind];
	size_t n = strlen(s), phl = strlen(ph), cnt = 0;
	char *out = NULL, *o;

	*hit = false;
	if (f->len == 0 || f->len > n)
		return 0;
	/* Two passes: count, then build. */
	for (int pass = 0; pass < 2; pass++) {
		size_t i = 0;
		o = out;
		while (i < n) {
			bool m = i + f->len <= n &&
			    (f->icase ? strncasecmp(s + i, f->text, f->len) == 0 :
			     memcmp(s + i, f->text, f->len) == 0);
			if (m && f->word && ((i > 0 && is_word((unsigned char)s[i - 1]) &&
			    is_word((unsigned char)f->text[0])) ||
			    (i + f->len < n && is_word((unsigned char)s[i + f->len]) &&
			    is_word((unsigned char)f->text[f->len - 1]))))
				m = false;
			if (m) {
				if (pass)
					o = mempcpy(o, ph, phl);
				else
					cnt++;
				i += f->len;
			} else {
				if (pass)
					*o++ = s[i];
				i++;
			}
		}
		if (pass == 0) {
			if (cnt == 0)
				return 0;
			if (!(out = malloc(n - cnt * f->len + cnt * phl + 1)))
				return -1;
		}
	}
	*o = '\0';
	free(*sp);
	*sp = out;
	*hit = true;
	return 0;
}

/* Cut s to max bytes at a UTF-8 character boundary. */
static void clamp(char *s, size_t max)
{
	size_t n = strlen(s);
	if (n <= max)
		return;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	s[max] = '\0';
}

typedef struct ctx {
	forms fs;
	anon_log *log;
	sm_err *err;
} ctx;

static int scrub(ctx *c, char **sp, size_t max, const char *field)
{
	if (!sp || !*sp)
		return 0;
	for (size_t i = 0; i < c->fs.n; i++) {
		bool hit;
		if (rewrite(sp, &c->fs.f[i], &hit) < 0)
			return sm_fail(c->err, SM_ENOMEM, "anon: out of memory");
		if (hit && log_add(c->log, field, c->fs.f[i].orig,
		    placeholders[c->fs.f[i].kind], c->err) < 0)
			return -1;
	}
	clamp(*sp, max);
	return 0;
}

static int scrub_list(ctx *c, char **v, size_t n, const char *what)
{
	char field[64];
	for (size_t i = 0; i < n; i++) {
		snprintf(field, sizeof(field), "%s[%zu]", what, i);
		if (scrub(c, &v[i], BODY_MAX_STR, field) < 0)
			return -1;
	}
	return 0;
}

static int scrub_hosts(ctx *c, body_host *h, size_t n, const char *what)
{
	char field[64];
	for (size_t i = 0; i < n; i++) {
		snprintf(field, sizeof(field), "%s[%zu].host", what, i);
		if (scrub(c, &h[i].host, BODY_MAX_STR, field) < 0)
			return -1;
		snprintf(field, sizeof(field), "%s[%zu].ip", what, i);
		if (scrub(c, &h[i].ip, BODY_MAX_STR, field) < 0)
			return -1;
	}
	return 0;
}

static int scrub_addrs(ctx *c, body_addr *a, size_t n, const char *what)
{
	char field[64];
	for (size_t i = 0; i < n; i++) {
		snprintf(field, sizeof(field), "%s[%zu].address", what, i);
		if (scrub(c, &a[i].addr, BODY_MAX_STR, field) < 0)
			return -1;
		snprintf(field, sizeof(field), "%s[%zu].name", what, i);
		if (scrub(c, &a[i].name, BODY_MAX_STR, field) < 0)
			return -1;
	}
	return 0;
}

int anon_apply(body_t *b, const anon_rules *r, anon_log *log, sm_err *err)
{
	ctx c = { .log = log, .err = err };
	int rc = -1;
	char field[64];

	/* Structural removals first, judged on the original values. */
	for (size_t i = 0; i < b->n_relays;) {
		body_host *h = &b->relays[i];
		bool in = anon_is_internal_host(r, h->host) || anon_is_internal_ip(r, h->ip);
		if (!in) {
			i++;
			continue;
		}
		snprintf(field, sizeof(field), "relays[%zu]", i);
		if (log_add(log, field, h->ip ? h->ip : h->host, "(removed)", err) < 0)
			return -1;
		free(h->host);
		free(h->ip);
		memmove(h, h + 1, (b->n_relays - i - 1) * sizeof(*h));
		b->n_relays--;
	}
	for (size_t i = 0; i < b->n_domains;) {
		if (!anon_is_internal_host(r, b->domains[i])) {
			i++;
			continue;
		}
		snprintf(field, sizeof(field), "domains[%zu]", i);
		if (log_add(log, field, b->domains[i], "(removed)", err) < 0)
			return -1;
		free(b->domains[i]);
		memmove(&b->domains[i], &b->domains[i + 1],
		    (b->n_domains - i - 1) * sizeof(char *));
		b->n_domains--;
	}
	if (b->n_relays == 0) {
		free(b->relays);
		b->relays = NULL;
	}
	if (b->n_domains == 0) {
		free(b->domains);
		b->domains = NULL;
	}

	for (int k = 0; r && k < ANON_KIND_MAX; k++)
		for (size_t i = 0; i < r->n[k]; i++)
			if (add_forms(&c.fs, r->v[k][i], (enum anon_kind)k) < 0) {
				sm_fail(err, SM_ENOMEM, "anon: out of memory");
				goto out;
			}
	if (c.fs.n)
		qsort(c.fs.f, c.fs.n, sizeof(form), form_cmp);

	if (scrub(&c, &b->title, BODY_MAX_STR, "title") < 0 ||
	    scrub_addrs(&c, b->from, b->n_from, "from") < 0 ||
	    scrub_addrs(&c, b->reply_to, b->n_reply_to, "reply_to") < 0 ||
	    scrub(&c, &b->return_path, BODY_MAX_STR, "return_path") < 0 ||
	    scrub(&c, &b->subject, BODY_MAX_STR, "subject") < 0 ||
	    scrub(&c, &b->message_id, BODY_MAX_STR, "message_id") < 0 ||
	    scrub(&c, &b->x_mailer, BODY_MAX_STR, "x_mailer") < 0 ||
	    scrub_hosts(&c, b->relays, b->n_relays, "relays") < 0 ||
	    scrub_list(&c, b->urls, b->n_urls, "urls") < 0 ||
	    scrub_list(&c, b->domains, b->n_domains, "domains") < 0 ||
	    scrub_hosts(&c, b->c2, b->n_c2, "c2") < 0 ||
	    scrub_list(&c, b->labels, b->n_labels, "labels") < 0 ||
	    scrub(&c, &b->analysis, BODY_MAX_TEXT, "analysis") < 0)
		goto out;
	for (size_t i = 0; i < b->n_atts; i++) {
		snprintf(field, sizeof(field), "attachments[%zu].name", i);
		if (scrub(&c, &b->atts[i].name, BODY_MAX_STR, field) < 0)
			goto out;
	}
	rc = 0;
out:
	forms_free(&c.fs);
	return rc;
}
