/*
 * node/eml.c — a report body from a raw email, with GMime 3 (node/eml.h).
 *
 * GMime does the MIME work: header unfolding and RFC 2047 decoding,
 * address lists, transfer encodings, charset conversion of text parts to
 * UTF-8 (ISO-2022-JP and Shift_JIS included) and RFC 2231 file names.
 * What GMime does not know is read here with small, bounded scanners: the
 * Received lines (free-form text by RFC 5321), URLs in text (GRegex), and
 * file magic. Every string put in the body is made valid UTF-8 without
 * control characters and cut to BODY_MAX_STR.
 *
 * GMime's parser recurses once per nested multipart or message part, so
 * the raw bytes are screened for the number of "boundary" and "message/"
 * occurrences before parsing: a message of 50,000 nested parts is refused
 * (SM_EBOUND) rather than trusted to the parser's stack.
 */
#include "node/eml.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>
#include <jansson.h>
#include <sodium.h>

#include "node/store.h"
#include "proto/codec.h"

/* proto/ may not include node/store.h, so body.h repeats the numbers. */
#define SAME_IND(x) _Static_assert((int)BODY_IND_##x == (int)IND_##x, "BODY_IND_" #x " must equal IND_" #x)
SAME_IND(EMAIL);
SAME_IND(DOMAIN);
SAME_IND(IPV4);
SAME_IND(IPV6);
SAME_IND(URL);
SAME_IND(SHA256);
SAME_IND(HOST);
SAME_IND(SUBJECT);
SAME_IND(FILENAME);

#define EML_MAX_RECEIVED 64
#define EML_MAX_RELAYS 8

static pthread_once_t eml_once = PTHREAD_ONCE_INIT;
static GRegex *url_re;		/* immutable after init; GRegex is thread-safe */

static void eml_init(void)
{
	g_mime_init();
	if (sodium_init() < 0)
		return;	/* crypto_hash_sha256 does not depend on it */
	url_re = g_regex_new("(?:https?|ftp)://[^\\s<>\"'`{}|\\\\^\\[\\]]+",
	    G_REGEX_CASELESS | G_REGEX_OPTIMIZE, 0, NULL);
}

void eml_info_clear(eml_info *info)
{
	if (!info)
		return;
	anon_log_clear(&info->log);
	free(info->self_sent);
	memset(info, 0, sizeof(*info));
}

/* ---- strings ---------------------------------------------------------- */

/* A malloc'd copy of s that is valid UTF-8, has no control characters
 * (replaced by spaces), no leading/trailing blanks and at most max bytes;
 * NULL if s is NULL or nothing is left. */
static char *clean(const char *s, size_t max)
{
	if (!s)
		return NULL;
	gchar *v = g_utf8_make_valid(s, -1);
	if (!v)
		return NULL;
	for (char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	char *a = v;
	while (*a == ' ')
		a++;
	size_t n = strlen(a);
	while (n && a[n - 1] == ' ')
		n--;
	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)a[n] & 0xc0) == 0x80)
			n--;
	}
	char *out = n ? strndup(a, n) : NULL;
	g_free(v);
	return out;
}

static void lower(char *s)
{
	for (; s && *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* Append owned s to a string list, without duplicates; frees s when not
 * kept. Returns 1 if it was kept. */
static int push_str(char ***v, size_t *n, char *s)
{
	if (!s)
		return 0;
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*v)[i], s) == 0) {
			free(s);
			return 0;
		}
	if (*n >= BODY_MAX_LIST) {
		free(s);
		return 0;
	}
	char **nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (!nv) {
		free(s);
		return -1;
	}
	*v = nv;
	nv[(*n)++] = s;
	return 1;
}

static bool ci_has(const uint8_t *p, size_t n, const char *needle, size_t cap, size_t *count)
{
	size_t l = strlen(needle);
	*count = 0;
	for (size_t i = 0; i + l <= n; i++)
		if (strncasecmp((const char *)p + i, needle, l) == 0 && ++*count > cap)
			return true;
	return false;
}

/* ---- classification --------------------------------------------------- */

static const char *const freemail_jp[] = {
	"yahoo.co.jp", "ymail.ne.jp", "excite.co.jp", "livedoor.com", "goo.jp",
	"mail.goo.ne.jp", "infoseek.jp", "hotmail.co.jp", "outlook.jp",
	"live.jp", "freemail.ne.jp", "auone.jp", "mopera.net",
};
static const char *const freemail_foreign[] = {
	"gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com",
	"msn.com", "yahoo.com", "ymail.com", "rocketmail.com", "aol.com",
	"icloud.com", "me.com", "mac.com", "mail.com", "gmx.com", "gmx.net",
	"gmx.de", "web.de", "mail.ru", "yandex.ru", "yandex.com", "qq.com",
	"163.com", "126.com", "sina.com", "naver.com", "hanmail.net",
	"protonmail.com", "proton.me", "zoho.com", "tutanota.com", "inbox.com",
	"yahoo.co.uk", "yahoo.fr", "yahoo.de", "hotmail.co.uk", "hotmail.fr",
	"outlook.fr", "libero.it", "rediffmail.com", "mega.nz",
};
static const char *const isp_domains[] = {
	"ocn.ne.jp", "nifty.com", "biglobe.ne.jp", "so-net.ne.jp", "plala.or.jp",
	"dion.ne.jp", "odn.ne.jp", "docomo.ne.jp", "ezweb.ne.jp",
	"softbank.ne.jp", "i.softbank.jp", "au.com", "eonet.ne.jp",
	"commufa.jp", "comcast.net", "verizon.net", "att.net", "sbcglobal.net",
	"btinternet.com", "orange.fr", "t-online.de", "bigpond.com", "shaw.ca",
	"rogers.com", "mymts.net", "earthlink.net", "cox.net", "charter.net",
	"optonline.net", "telus.net", "free.fr", "sfr.fr", "virginmedia.com",
};

static bool in_table(const char *dom, const char *const *t, size_t n)
{
	size_t dl = strlen(dom);
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(t[i]);
		if (strcasecmp(dom, t[i]) == 0 ||
		    (dl > l && dom[dl - l - 1] == '.' && strcasecmp(dom + dl - l, t[i]) == 0))
			return true;
	}
	return false;
}

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

uint8_t eml_sender_class(const char *addr)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;
	if (!at || !at[1])
		return SENDER_UNKNOWN;
	const char *d = at + 1;
	if (in_table(d, freemail_jp, NELEM(freemail_jp)))
		return SENDER_FREEMAIL_DOMESTIC;
	if (in_table(d, freemail_foreign, NELEM(freemail_foreign)))
		return SENDER_FREEMAIL_FOREIGN;
	if (in_table(d, isp_domains, NELEM(isp_domains)))
		return SENDER_ISP;
	return SENDER_CORPORATE;
}

static const char *const exe_ext[] = { "exe", "scr", "com", "pif", "cpl", "msi", "dll" };
static const char *const script_ext[] = {
	"js", "jse", "vbs", "vbe", "ps1", "bat", "cmd", "hta", "wsf", "wsh",
};
static const char *const office_ext[] = {
	"doc", "docx", "docm", "dot", "dotm", "xls", "xlsx", "xlsm", "xlsb",
	"ppt", "pptx", "pptm", "rtf",
};
static const char *const archive_ext[] = { "zip", "rar", "7z", "gz", "lzh", "cab", "iso", "tar" };
static const char *const doc_ext[] = {
	"pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "txt", "rtf",
	"jpg", "jpeg", "png", "gif", "jtd", "zip", "htm", "html", "csv",
};

static bool ext_in(const char *ext, size_t n, const char *const *t, size_t tn)
{
	for (size_t i = 0; i < tn; i++)
		if (strlen(t[i]) == n && strncasecmp(ext, t[i], n) == 0)
			return true;
	return false;
}

#define EXT_IN(e, n, t) ext_in(e, n, t, NELEM(t))

static bool has(const uint8_t *d, size_t n, const void *pat, size_t pl)
{
	return pl <= n && memmem(d, n, pat, pl) != NULL;
}

uint8_t eml_file_class(const uint8_t *d, size_t n, const char *name, uint32_t *flags)
{
	static const uint8_t ole2[8] = { 0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1 };
	static const uint8_t lnk[8] = { 0x4c, 0x00, 0x00, 0x00, 0x01, 0x14, 0x02, 0x00 };
	/* OLE2 directory entry names are UTF-16LE. */
	static const uint8_t vba_project[] = {
		'_', 0, 'V', 0, 'B', 0, 'A', 0, '_', 0, 'P', 0, 'R', 0, 'O', 0,
		'J', 0, 'E', 0, 'C', 0, 'T', 0,
	};
	static const uint8_t vba_dir[] = { 'V', 0, 'B', 0, 'A', 0, 0, 0 };
	static const uint8_t enc_info[] = {
		'E', 0, 'n', 0, 'c', 0, 'r', 0, 'y', 0, 'p', 0, 't', 0, 'i', 0,
		'o', 0, 'n', 0, 'I', 0, 'n', 0, 'f', 0, 'o', 0,
	};
	const char *ext = "", *prev = NULL;
	size_t el = 0, pl = 0;
	uint8_t cls = FILE_OTHER;

	*flags = 0;
	if (!name)
		name = "";
	if (strstr(name, "\xe2\x80\xae"))
		*flags |= ATT_RLO;
	const char *dot = strrchr(name, '.');
	if (dot) {
		ext = dot + 1;
		el = strlen(ext);
		/* The extension before it, blanks trimmed ("a.pdf   .exe"). */
		const char *e = dot;
		while (e > name && e[-1] == ' ')
			e--;
		const char *p = e;
		while (p > name && p[-1] != '.')
			p--;
		if (p > name) {
			prev = p;
			pl = (size_t)(e - p);
		}
	}
	bool exe_name = EXT_IN(ext, el, exe_ext) || EXT_IN(ext, el, script_ext) ||
	    (el == 3 && strncasecmp(ext, "lnk", 3) == 0);
	if (exe_name && prev && EXT_IN(prev, pl, doc_ext))
		*flags |= ATT_DOUBLE_EXT;

	if (n >= 2 && d[0] == 'M' && d[1] == 'Z')
		cls = FILE_EXECUTABLE;
	else if (n >= 8 && memcmp(d, lnk, 8) == 0)
		cls = FILE_SHORTCUT;
	else if (n >= 4 && memcmp(d, "%PDF", 4) == 0) {
		cls = FILE_PDF;
		if (has(d, n, "/Encrypt", 8))
			*flags |= ATT_ENCRYPTED;
	} else if (n >= 8 && memcmp(d, ole2, 8) == 0) {
		/* Ichitaro documents are OLE2 compound files too. */
		bool jt = el == 3 && (strncasecmp(ext, "jtd", 3) == 0 || strncasecmp(ext, "jtt", 3) == 0);
		cls = jt ? FILE_ICHITARO : FILE_OFFICE;
		if (has(d, n, vba_project, sizeof(vba_project)) || has(d, n, vba_dir, sizeof(vba_dir)))
			*flags |= ATT_MACROS;
		if (has(d, n, enc_info, sizeof(enc_info)))
			*flags |= ATT_ENCRYPTED;
	} else if (n >= 4 && memcmp(d, "PK\x03\x04", 4) == 0) {
		/* Member names are stored in clear in a zip's headers. */
		if (has(d, n, "[Content_Types].xml", 19)) {
			cls = FILE_OFFICE;
			if (has(d, n, "vbaProject.bin", 14))
				*flags |= ATT_MACROS;
		} else
			cls = FILE_ARCHIVE;
		if (n >= 8 && (d[6] & 1))
			*flags |= ATT_ENCRYPTED;
	} else if ((n >= 6 && memcmp(d, "Rar!\x1a\x07", 6) == 0) ||
	    (n >= 6 && memcmp(d, "7z\xbc\xaf\x27\x1c", 6) == 0) ||
	    (n >= 2 && d[0] == 0x1f && d[1] == 0x8b) ||
	    (n >= 4 && memcmp(d, "MSCF", 4) == 0))
		cls = FILE_ARCHIVE;
	else if (EXT_IN(ext, el, script_ext))
		cls = FILE_SCRIPT;
	else if (el == 3 && (strncasecmp(ext, "jtd", 3) == 0 || strncasecmp(ext, "jtt", 3) == 0))
		cls = FILE_ICHITARO;
	else if (el == 3 && strncasecmp(ext, "lnk", 3) == 0)
		cls = FILE_SHORTCUT;
	else if (EXT_IN(ext, el, exe_ext))
		cls = FILE_EXECUTABLE;
	else if (EXT_IN(ext, el, office_ext))
		cls = FILE_OFFICE;
	else if (el == 3 && strncasecmp(ext, "pdf", 3) == 0)
		cls = FILE_PDF;
	else if (EXT_IN(ext, el, archive_ext))
		cls = FILE_ARCHIVE;

	/* An executable whose visible name says "document": the icon is
	 * almost certainly faked too (reading the PE icon is not attempted). */
	if (cls == FILE_EXECUTABLE && n >= 2 && d[0] == 'M' &&
	    ((*flags & (ATT_DOUBLE_EXT | ATT_RLO)) || !EXT_IN(ext, el, exe_ext)))
		*flags |= ATT_FAKE_ICON;
	return cls;
}

/* ---- the walk --------------------------------------------------------- */

typedef struct walk {
	body_t *b;
	eml_info *info;
	const eml_opts *o;
	GMimeParserOptions *popts;
	size_t parts;
	bool had_text;
	int oom;
} walk;

static void add_url(walk *w, const char *u, size_t n)
{
	/* Trailing punctuation belongs to the sentence, not the URL. */
	while (n && strchr(".,;:!?)'\"", u[n - 1]))
		n--;
	if (n < 8)
		return;
	if (n > BODY_MAX_STR || w->b->n_urls >= BODY_MAX_LIST) {
		w->info->urls_skipped++;
		return;
	}
	char *tmp = strndup(u, n);
	char *url = tmp ? clean(tmp, BODY_MAX_STR) : NULL;
	free(tmp);
	if (!url)
		return;
	GUri *gu = g_uri_parse(url, G_URI_FLAGS_PARSE_RELAXED | G_URI_FLAGS_ENCODED, NULL);
	char *dom = NULL;
	if (gu && g_uri_get_host(gu) && *g_uri_get_host(gu)) {
		const char *h = g_uri_get_host(gu);
		/* IP literals are not domains (they stay in the URL). */
		if (!g_hostname_is_ip_address(h) && h[0] != '[') {
			dom = clean(h, BODY_MAX_STR);
			lower(dom);
		}
	}
	if (gu)
		g_uri_unref(gu);
	if (push_str(&w->b->urls, &w->b->n_urls, url) < 0 ||
	    push_str(&w->b->domains, &w->b->n_domains, dom) < 0)
		w->oom = 1;
}

static void scan_text(walk *w, const char *text, bool html)
{
	GMatchInfo *mi = NULL;
	char *buf = NULL;
	gchar *valid = NULL;

	if (!text || !url_re)
		return;
	if (html) {
		/* href="a?x=1&amp;y=2": the URL has a plain '&'. */
		size_t n = strlen(text);
		if (!(buf = malloc(n + 1))) {
			w->oom = 1;
			return;
		}
		char *o = buf;
		for (const char *p = text; *p;) {
			if (strncmp(p, "&amp;", 5) == 0) {
				*o++ = '&';
				p += 5;
			} else if (strncmp(p, "&#38;", 5) == 0) {
				*o++ = '&';
				p += 5;
			} else
				*o++ = *p++;
		}
		*o = '\0';
		text = buf;
	}
	/* GRegex in UTF-8 mode requires valid UTF-8 (PCRE2's JIT reads past
	 * the end of a truncated sequence; a fuzzed mail crashed it), and a
	 * part whose charset lies can hand us anything: repair it first. */
	if (!g_utf8_validate(text, -1, NULL)) {
		if (!(valid = g_utf8_make_valid(text, -1))) {
			w->oom = 1;
			free(buf);
			return;
		}
		text = valid;
	}
	g_regex_match(url_re, text, 0, &mi);
	while (g_match_info_matches(mi)) {
		int s, e;
		if (g_match_info_fetch_pos(mi, 0, &s, &e) && e > s)
			add_url(w, text + s, (size_t)(e - s));
		g_match_info_next(mi, NULL);
	}
	g_match_info_free(mi);
	g_free(valid);
	free(buf);
}

static void add_attachment(walk *w, GMimeObject *obj, GMimePart *part)
{
	body_t *b = w->b;
	if (b->n_atts >= BODY_MAX_LIST) {
		w->info->partial = true;
		return;
	}
	body_attachment *na = realloc(b->atts, (b->n_atts + 1) * sizeof(*na));
	if (!na) {
		w->oom = 1;
		return;
	}
	b->atts = na;
	body_attachment *a = &na[b->n_atts++];
	memset(a, 0, sizeof(*a));
	a->name = part ? clean(g_mime_part_get_filename(part), BODY_MAX_STR) : NULL;
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	if (ct) {
		char *mt = g_mime_content_type_get_mime_type(ct);
		a->mime = clean(mt, BODY_MAX_STR);
		lower(a->mime);
		g_free(mt);
	}
	GMimeDataWrapper *dw = part ? g_mime_part_get_content(part) : NULL;
	if (!dw)
		return;
	GMimeStream *mem = g_mime_stream_mem_new();
	if (!mem) {
		w->oom = 1;
		return;
	}
	/* Decodes the transfer encoding; the result is no larger than the raw
	 * input, which is bounded by max_size. */
	g_mime_data_wrapper_write_to_stream(dw, mem);
	GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	size_t max_hash = w->o && w->o->max_hash ? w->o->max_hash : EML_MAX_HASH;
	if (ba) {
		a->size = ba->len;
		if (ba->len <= max_hash) {
			crypto_hash_sha256(a->sha256, ba->data, ba->len);
			a->has_sha256 = true;
		} else
			w->info->partial = true;
		a->file_class = eml_file_class(ba->data, ba->len, a->name, &a->flags);
	}
	g_object_unref(mem);
}

static void walk_obj(walk *w, GMimeObject *obj, size_t depth)
{
	size_t max_depth = w->o && w->o->max_depth ? w->o->max_depth : EML_MAX_DEPTH;
	size_t max_parts = w->o && w->o->max_parts ? w->o->max_parts : EML_MAX_PARTS;

	if (!obj || w->oom)
		return;
	if (depth > max_depth || w->parts >= max_parts) {
		w->info->partial = true;
		return;
	}
	w->parts++;
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		int n = g_mime_multipart_get_count(mp);
		for (int i = 0; i < n; i++)
			walk_obj(w, g_mime_multipart_get_part(mp, i), depth + 1);
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
		if (inner)
			walk_obj(w, g_mime_message_get_mime_part(inner), depth + 1);
	} else if (GMIME_IS_PART(obj)) {
		GMimePart *part = GMIME_PART(obj);
		GMimeContentType *ct = g_mime_object_get_content_type(obj);
		bool text = ct && g_mime_content_type_is_type(ct, "text", "*");
		bool named = g_mime_part_get_filename(part) != NULL;
		if (text && !named && !g_mime_part_is_attachment(part) && GMIME_IS_TEXT_PART(obj)) {
			char *t = g_mime_text_part_get_text(GMIME_TEXT_PART(obj));
			w->had_text = true;
			scan_text(w, t, g_mime_content_type_is_type(ct, "text", "html"));
			g_free(t);
		} else
			add_attachment(w, obj, part);
	}
}

/* ---- headers ---------------------------------------------------------- */

static int add_addrs(InternetAddressList *l, body_addr **out, size_t *n, int depth)
{
	int len = l ? internet_address_list_length(l) : 0;
	for (int i = 0; i < len && *n < BODY_MAX_LIST; i++) {
		InternetAddress *ia = internet_address_list_get_address(l, i);
		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			if (depth < 2 && add_addrs(internet_address_group_get_members(
			    INTERNET_ADDRESS_GROUP(ia)), out, n, depth + 1) < 0)
				return -1;
			continue;
		}
		if (!INTERNET_ADDRESS_IS_MAILBOX(ia))
			continue;
		char *addr = clean(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia)),
		    BODY_MAX_STR);
		if (!addr)
			continue;
		body_addr *na = realloc(*out, (*n + 1) * sizeof(*na));
		if (!na) {
			free(addr);
			return -1;
		}
		*out = na;
		na[*n].addr = addr;
		na[*n].name = clean(internet_address_get_name(ia), BODY_MAX_STR);
		(*n)++;
	}
	return 0;
}

static bool is_sender(const body_t *b, const char *a)
{
	for (size_t i = 0; b && i < b->n_from; i++)
		if (strcasecmp(b->from[i].addr, a) == 0)
			return true;
	return false;
}

/* Recipients become anonymization rules, except the sender's own address:
 * mass phishing is often sent "To: itself" with the victims in Bcc, and
 * that address is the attacker's indicator, not a victim. */
static void add_recipients(anon_rules *r, InternetAddressList *l, eml_info *info,
    const body_t *b, int depth)
{
	int len = l ? internet_address_list_length(l) : 0;
	for (int i = 0; i < len && i < ANON_MAX_RULES; i++) {
		InternetAddress *ia = internet_address_list_get_address(l, i);
		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			if (depth < 2)
				add_recipients(r, internet_address_group_get_members(
				    INTERNET_ADDRESS_GROUP(ia)), info, b, depth + 1);
			continue;
		}
		if (!INTERNET_ADDRESS_IS_MAILBOX(ia))
			continue;
		char *a = clean(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia)), BODY_MAX_STR);
		char *nm = clean(internet_address_get_name(ia), BODY_MAX_STR);
		/* Rule-set overflow is not fatal here: the address stays. */
		bool self = a && is_sender(b, a);
		if (a && self && !info->self_sent)
			info->self_sent = strdup(a);
		if (a && !self && strchr(a, '@') && anon_rules_add(r, ANON_RECIPIENT, a, NULL) == 0)
			info->n_recipients++;
		if (nm && !self && strlen(nm) >= 3)
			(void)anon_rules_add(r, ANON_RECIPIENT_NAME, nm, NULL);
		free(a);
		free(nm);
	}
}

typedef struct hop {
	char *host;		/* reverse DNS or HELO name of the sender of this hop */
	char *ip;
	char *by;		/* the receiving host */
	int64_t when_ms;
} hop;

/* The next word of s (after blanks), up to a blank, ';' or '('. */
static char *word_after(const char *s, size_t max)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strcspn(s, " \t;()[]");
	if (n == 0 || n > max)
		return NULL;
	return strndup(s, n);
}

/* Parse "from HELO (RDNS [IP]) by HOST ... for <addr>; DATE". RFC 5321
 * fixes only the keywords; everything else is what servers wrote. */
static void parse_received(const char *v, hop *h, anon_rules *r, eml_info *info)
{
	memset(h, 0, sizeof(*h));
	const char *semi = strrchr(v, ';');
	size_t body_len = semi ? (size_t)(semi - v) : strlen(v);
	char *s = strndup(v, body_len);
	if (!s)
		return;
	/* byw: the word after "by"; cut: where the from-clause ends. */
	char *cut = strcasestr(s, " by "), *byw = cut ? cut + 4 : NULL;
	if (!cut && strncasecmp(s, "by ", 3) == 0)
		byw = s + 3;
	char *from = NULL;
	if (strncasecmp(s, "from ", 5) == 0)
		from = s + 5;
	else if ((from = strcasestr(s, " from ")))
		from += 6;
	if (byw) {
		h->by = word_after(byw, 255);
		lower(h->by);
	}
	if (from && byw == s + 3)
		from = NULL;		/* "by X ... from Y": not a from-clause */
	if (from && (!cut || from < cut)) {
		if (cut)
			*cut = '\0';
		h->host = word_after(from, 255);
		/* "(rdns.example [192.0.2.1])": prefer the looked-up name. */
		char *par = strchr(from, '(');
		if (par) {
			char *rd = word_after(par + 1, 255);
			if (rd && strchr(rd, '.') && !g_hostname_is_ip_address(rd)) {
				free(h->host);
				h->host = rd;
			} else
				free(rd);
		}
		for (char *br = strchr(from, '['); br && !h->ip; br = strchr(br + 1, '[')) {
			char *end = strchr(br, ']');
			if (!end || end - br > 60)
				continue;
			char tmp[64];
			const char *a = br + 1;
			if (strncasecmp(a, "IPv6:", 5) == 0)
				a += 5;
			size_t n = (size_t)(end - a);
			memcpy(tmp, a, n);
			tmp[n] = '\0';
			if (g_hostname_is_ip_address(tmp))
				h->ip = strdup(tmp);
		}
		/* "(192.0.2.1)" or a bare address as HELO. */
		if (!h->ip && par) {
			char *rd = word_after(par + 1, 60);
			if (rd && g_hostname_is_ip_address(rd))
				h->ip = rd;
			else
				free(rd);
		}
		if (!h->ip && h->host && g_hostname_is_ip_address(h->host)) {
			h->ip = h->host;
			h->host = NULL;
		}
		if (h->host && !strchr(h->host, '.')) {	/* bare HELO words say nothing */
			free(h->host);
			h->host = NULL;
		}
		lower(h->host);
		if (cut)
			*cut = ' ';
	}
	/* "for <user@org>" names a recipient. */
	char *f = strcasestr(s, " for ");
	if (f) {
		char *a = word_after(f + 5, BODY_MAX_STR);
		if (a) {
			char *c = clean(a, BODY_MAX_STR);
			if (c && strchr(c, '@') && anon_rules_add(r, ANON_RECIPIENT, c, NULL) == 0)
				info->n_recipients++;
			free(c);
			free(a);
		}
	}
	free(s);
	if (semi) {
		GDateTime *dt = g_mime_utils_header_decode_date(semi + 1);
		if (dt) {
			int64_t t = g_date_time_to_unix(dt);
			if (t > 0 && t < INT64_MAX / 1000)
				h->when_ms = t * 1000;
			g_date_time_unref(dt);
		}
	}
}

static void hop_free(hop *h)
{
	free(h->host);
	free(h->ip);
	free(h->by);
}

static int do_received(walk *w, GMimeObject *msg, anon_rules *r)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(msg);
	int cnt = hl ? g_mime_header_list_get_count(hl) : 0;
	hop hops[EML_MAX_RECEIVED];
	size_t nh = 0;
	body_t *b = w->b;

	for (int i = 0; i < cnt; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		if (!h || strcasecmp(g_mime_header_get_name(h), "Received") != 0)
			continue;
		w->info->received++;
		if (nh >= EML_MAX_RECEIVED) {
			w->info->partial = true;
			continue;
		}
		const char *v = g_mime_header_get_value(h);
		char *c = clean(v, 4096);
		if (!c)
			continue;
		parse_received(c, &hops[nh++], r, w->info);
		free(c);
	}
	/* Top-down: skip hops inside the recipient's own mail system. */
	bool outside = false;
	for (size_t i = 0; i < nh; i++) {
		hop *h = &hops[i];
		if (!outside && h->by)
			(void)anon_rules_add(r, ANON_INTERNAL_HOST, h->by, NULL);
		if (!h->ip && !h->host)
			continue;
		bool internal = (h->ip && anon_is_internal_ip(r, h->ip)) ||
		    (h->host && anon_is_internal_host(r, h->host));
		if (internal)
			continue;
		if (!outside && h->when_ms && !b->first_seen_ms)
			b->first_seen_ms = (uint64_t)h->when_ms;
		outside = true;
		if (b->n_relays >= EML_MAX_RELAYS)
			break;
		body_host *nr = realloc(b->relays, (b->n_relays + 1) * sizeof(*nr));
		if (!nr) {
			w->oom = 1;
			break;
		}
		b->relays = nr;
		nr[b->n_relays].host = h->host;
		nr[b->n_relays].ip = h->ip;
		nr[b->n_relays].port = 0;
		h->host = h->ip = NULL;
		b->n_relays++;
	}
	/* Arrival: the newest Received date if no external hop had one. */
	for (size_t i = 0; i < nh && !b->first_seen_ms; i++)
		if (hops[i].when_ms)
			b->first_seen_ms = (uint64_t)hops[i].when_ms;
	for (size_t i = 0; i < nh; i++)
		hop_free(&hops[i]);
	return w->oom ? -1 : 0;
}

/* Addresses from a header that GMime does not model (Delivered-To). */
static void header_recipients(GMimeObject *msg, GMimeParserOptions *po, anon_rules *r,
    eml_info *info, const body_t *b)
{
	static const char *const names[] = {
		"Delivered-To", "X-Original-To", "X-Envelope-To", "Envelope-To",
		"X-Rcpt-To", "X-Apparently-To", "Original-Recipient", "Final-Recipient",
	};
	GMimeHeaderList *hl = g_mime_object_get_header_list(msg);
	int cnt = hl ? g_mime_header_list_get_count(hl) : 0;
	for (int i = 0; i < cnt; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		const char *nm = h ? g_mime_header_get_name(h) : NULL;
		bool want = false;
		for (size_t k = 0; nm && k < NELEM(names); k++)
			if (strcasecmp(nm, names[k]) == 0)
				want = true;
		if (!want)
			continue;
		const char *v = g_mime_header_get_value(h);
		if (!v)
			continue;
		/* "rfc822; user@org" in DSN fields. */
		const char *semi = strchr(v, ';');
		InternetAddressList *l = internet_address_list_parse(po, semi ? semi + 1 : v);
		if (l) {
			add_recipients(r, l, info, b, 0);
			g_object_unref(l);
		}
	}
}

/* GMime decodes a run of adjacent encoded words as one base64 stream,
 * which stops at the first word's "==" padding ("=?UTF-8?B?...ZQ==?=
 * =?UTF-8?B?ZCB0...?=" loses everything after the first word). Decode
 * each whitespace-separated word on its own instead; RFC 2047 drops the
 * blanks between two encoded words and keeps the others. */
static char *decode_words(GMimeParserOptions *po, const char *raw)
{
	GString *out = g_string_new(NULL);
	bool prev_enc = false, first = true;
	const char *p = raw;
	while (*p) {
		while (*p && isspace((unsigned char)*p))
			p++;
		size_t n = strcspn(p, " \t\r\n");
		if (!n)
			break;
		char *w = g_strndup(p, n);
		bool enc = n > 8 && strncmp(w, "=?", 2) == 0 && strcmp(w + n - 2, "?=") == 0;
		char *d = g_mime_utils_header_decode_text(po, w);
		if (!first && !(enc && prev_enc))
			g_string_append_c(out, ' ');
		g_string_append(out, d ? d : w);
		g_free(d);
		g_free(w);
		prev_enc = enc;
		first = false;
		p += n;
		if (out->len > 4 * BODY_MAX_STR)
			break;
	}
	char *r = clean(out->str, BODY_MAX_STR);
	g_string_free(out, TRUE);
	return r;
}

static char *header_str(GMimeObject *o, const char *name)
{
	return clean(g_mime_object_get_header(o, name), BODY_MAX_STR);
}

int eml_parse(const uint8_t *raw, size_t len, const eml_opts *opts,
    body_t *out, eml_info *info_in, sm_err *err)
{
	eml_info info_local;
	eml_info *info = info_in ? info_in : &info_local;
	size_t max_size = opts && opts->max_size ? opts->max_size : EML_MAX_SIZE;
	size_t max_parts = opts && opts->max_parts ? opts->max_parts : EML_MAX_PARTS;
	GMimeStream *st = NULL;
	GMimeParser *parser = NULL;
	GMimeMessage *msg = NULL;
	GMimeParserOptions *po = NULL;
	anon_rules *rules = NULL;
	walk w = { 0 };
	size_t cnt;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	memset(info, 0, sizeof(*info));
	if (!raw && len)
		return sm_fail(err, SM_EINVAL, "eml: no input");
	if (len > max_size)
		return sm_fail(err, SM_EBOUND, "eml: %zu bytes, max %zu", len, max_size);
	if (ci_has(raw, len, "boundary", 4 * max_parts, &cnt) ||
	    ci_has(raw, len, "message/", 4 * max_parts, &cnt))
		return sm_fail(err, SM_EBOUND, "eml: more than %zu MIME boundaries or "
		    "embedded messages", 4 * max_parts);
	pthread_once(&eml_once, eml_init);

	if (!(rules = anon_rules_dup(opts ? opts->rules : NULL)) ||
	    !(po = g_mime_parser_options_new())) {
		sm_fail(err, SM_ENOMEM, "eml: out of memory");
		goto out;
	}
	{
		/* 8-bit headers without a declared charset: try these. */
		const char *fallback[] = { "UTF-8", "ISO-2022-JP", "Shift_JIS", "EUC-JP",
			"windows-1252", NULL };
		g_mime_parser_options_set_fallback_charsets(po, fallback);
		g_mime_parser_options_set_address_compliance_mode(po, GMIME_RFC_COMPLIANCE_LOOSE);
		g_mime_parser_options_set_parameter_compliance_mode(po, GMIME_RFC_COMPLIANCE_LOOSE);
		g_mime_parser_options_set_rfc2047_compliance_mode(po, GMIME_RFC_COMPLIANCE_LOOSE);
	}
	st = g_mime_stream_mem_new_with_buffer((const char *)raw, len);
	parser = st ? g_mime_parser_new_with_stream(st) : NULL;
	msg = parser ? g_mime_parser_construct_message(parser, po) : NULL;
	if (!msg) {
		sm_fail(err, SM_EMALFORMED, "eml: not an email message");
		goto out;
	}
	GMimeObject *mo = GMIME_OBJECT(msg);
	body_t *b = out;

	if (add_addrs(g_mime_message_get_from(msg), &b->from, &b->n_from, 0) < 0 ||
	    add_addrs(g_mime_message_get_reply_to(msg), &b->reply_to, &b->n_reply_to, 0) < 0) {
		sm_fail(err, SM_ENOMEM, "eml: out of memory");
		goto out;
	}
	add_recipients(rules, g_mime_message_get_addresses(msg, GMIME_ADDRESS_TYPE_TO), info, b, 0);
	add_recipients(rules, g_mime_message_get_addresses(msg, GMIME_ADDRESS_TYPE_CC), info, b, 0);
	add_recipients(rules, g_mime_message_get_addresses(msg, GMIME_ADDRESS_TYPE_BCC), info, b, 0);
	header_recipients(mo, po, rules, info, b);

	b->return_path = header_str(mo, "Return-Path");
	if (b->return_path) {
		/* "<a@b>" -> "a@b"; "<>" (bounces) -> nothing */
		char *p = b->return_path;
		size_t n = strlen(p);
		if (p[0] == '<' && n >= 2 && p[n - 1] == '>') {
			memmove(p, p + 1, n - 2);
			p[n - 2] = '\0';
		}
		if (!*p) {
			free(p);
			b->return_path = NULL;
		}
	}
	{
		GMimeHeaderList *hl = g_mime_object_get_header_list(mo);
		GMimeHeader *sh = hl ? g_mime_header_list_get_header(hl, "Subject") : NULL;
		const char *rv = sh ? g_mime_header_get_raw_value(sh) : NULL;
		b->subject = rv ? decode_words(po, rv) : NULL;
		if (!b->subject)
			b->subject = clean(g_mime_message_get_subject(msg), BODY_MAX_STR);
	}
	b->message_id = clean(g_mime_message_get_message_id(msg), BODY_MAX_STR);
	b->x_mailer = header_str(mo, "X-Mailer");

	w.b = b;
	w.info = info;
	w.o = opts;
	w.popts = po;
	if (do_received(&w, mo, rules) < 0) {
		sm_fail(err, SM_ENOMEM, "eml: out of memory");
		goto out;
	}
	if (!b->first_seen_ms) {
		GDateTime *dt = g_mime_message_get_date(msg);
		int64_t t = dt ? g_date_time_to_unix(dt) : 0;
		if (t > 0 && t < INT64_MAX / 1000)
			b->first_seen_ms = (uint64_t)t * 1000;
	}
	walk_obj(&w, g_mime_message_get_mime_part(msg), 0);
	if (w.oom) {
		sm_fail(err, SM_ENOMEM, "eml: out of memory");
		goto out;
	}
	info->parts = w.parts;

	/* J-CSIP's categories: attachment > link > reconnaissance; a mail of
	 * which nothing but headers survived (quarantined) is unknown. */
	if (b->n_atts)
		b->mail_type = MAIL_ATTACHMENT;
	else if (b->n_urls)
		b->mail_type = MAIL_LINK;
	else if (w.had_text)
		b->mail_type = MAIL_RECON;
	else
		b->mail_type = MAIL_UNKNOWN;
	b->sender_class = b->n_from ? eml_sender_class(b->from[0].addr) : SENDER_UNKNOWN;
	{
		const char *at = b->n_from ? strrchr(b->from[0].addr, '@') : NULL;
		char t[BODY_MAX_STR];
		snprintf(t, sizeof(t), "%s mail from %s", body_mail_type_name(b->mail_type),
		    at && at[1] ? at + 1 : "an unknown sender");
		b->title = clean(t, BODY_MAX_STR);
		lower(b->title);
	}

	/* Sent "to itself" and nobody else named: the one address is the
	 * recipient after all (the victim's own mailbox as sender is a
	 * common spoof). */
	if (info->self_sent && info->n_recipients == 0) {
		if (anon_rules_add(rules, ANON_RECIPIENT, info->self_sent, err) < 0)
			goto out;
		info->n_recipients++;
	}
	if (!(opts && opts->keep_recipients) &&
	    anon_apply(b, rules, &info->log, err) < 0)
		goto out;
	rc = 0;
out:
	if (msg)
		g_object_unref(msg);
	if (parser)
		g_object_unref(parser);
	if (st)
		g_object_unref(st);
	if (po)
		g_mime_parser_options_free(po);
	anon_rules_destroy(&rules);
	free(info->self_sent);
	info->self_sent = NULL;
	if (rc < 0) {
		body_clear(out);
		anon_log_clear(&info->log);
	}
	if (info == &info_local)
		eml_info_clear(&info_local);
	return rc;
}

char *eml_dry_run_json(const uint8_t *raw, size_t len, const eml_opts *opts,
    sm_err *err)
{
	body_t b;
	eml_info info;
	char *bj = NULL, *res = NULL;
	json_t *root = NULL, *body = NULL, *reps = NULL;

	if (eml_parse(raw, len, opts, &b, &info, err) < 0)
		return NULL;
	bj = body_to_json(&b);
	body = bj ? json_loads(bj, 0, NULL) : NULL;
	root = json_object();
	reps = json_array();
	if (!body || !root || !reps)
		goto oom;
	for (size_t i = 0; i < info.log.n; i++) {
		json_t *e = json_pack("{s:s, s:s, s:s}", "field", info.log.e[i].field,
		    "original", info.log.e[i].original,
		    "placeholder", info.log.e[i].placeholder);
		if (!e || json_array_append_new(reps, e) < 0)
			goto oom;
	}
	json_object_set_new(root, "body", body);
	body = NULL;
	json_object_set_new(root, "replacements", reps);
	reps = NULL;
	if (info.log.dropped)
		json_object_set_new(root, "replacements_not_listed",
		    json_integer((json_int_t)info.log.dropped));
	res = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!res)
		goto oom;
	goto out;
oom:
	sm_fail(err, SM_ENOMEM, "eml: out of memory building JSON");
out:
	json_decref(root);
	json_decref(body);
	json_decref(reps);
	free(bj);
	body_clear(&b);
	eml_info_clear(&info);
	return res;
}
