/*
 * proto/codec.c — canonical msgpack writing and strict reading; see codec.h.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "proto/codec.h"

/* ---- writing ---------------------------------------------------------- */

/* Grow w's buffer to hold n more bytes: 0, or -1 if it cannot. */
static int grow(codec_w *w, size_t n)
{
	size_t cap = w->cap ? w->cap : CODEC_W_MIN;
	uint8_t *p;

	if (n <= w->cap - w->len)
		return 0;
	if (n > SIZE_MAX / 2 - w->len)
		return -1;
	while (cap - w->len < n)
		cap *= 2;
	if (!(p = realloc(w->buf, cap)))
		return -1;
	w->buf = p;
	w->cap = cap;
	return 0;
}

static int w_write(void *data, const char *p, size_t n)
{
	codec_w *w = data;

	if (grow(w, n) < 0)
		return -1;
	memcpy(w->buf + w->len, p, n);
	w->len += n;
	return 0;
}

void codec_w_init(codec_w *w)
{
	w->buf = NULL;
	w->len = w->cap = 0;
	msgpack_packer_init(&w->pk, w, w_write);
	w->failed = false;
}

void codec_w_free(codec_w *w)
{
	free(w->buf);
	codec_w_init(w);
}

#define W(call) do { if (!w->failed && (call) != 0) w->failed = true; } while (0)

void codec_w_reserve(codec_w *w, size_t n) { W(grow(w, n)); }

void codec_w_uint(codec_w *w, uint64_t v) { W(msgpack_pack_uint64(&w->pk, v)); }
void codec_w_bool(codec_w *w, bool v) { W(v ? msgpack_pack_true(&w->pk) : msgpack_pack_false(&w->pk)); }
void codec_w_nil(codec_w *w) { W(msgpack_pack_nil(&w->pk)); }
void codec_w_array(codec_w *w, uint32_t n) { W(msgpack_pack_array(&w->pk, n)); }
void codec_w_map(codec_w *w, uint32_t n) { W(msgpack_pack_map(&w->pk, n)); }

void codec_w_bin(codec_w *w, const void *p, size_t n)
{
	W(msgpack_pack_bin(&w->pk, n));
	W(msgpack_pack_bin_body(&w->pk, p, n));
}

void codec_w_str(codec_w *w, const char *s, size_t n)
{
	W(msgpack_pack_str(&w->pk, n));
	W(msgpack_pack_str_body(&w->pk, s, n));
}

void codec_w_cstr(codec_w *w, const char *s)
{
	codec_w_str(w, s ? s : "", s ? strlen(s) : 0);
}

void codec_w_raw(codec_w *w, const void *p, size_t n)
{
	W(w_write(w, p, n));
}

uint8_t *codec_w_take(codec_w *w, size_t *len)
{
	uint8_t *out;

	if (w->failed) {
		codec_w_free(w);
		*len = 0;
		return NULL;
	}
	*len = w->len;
	out = w->buf;
	if (!out) {		/* empty buffer: hand out a real allocation */
		out = malloc(1);
		*len = 0;
	}
	codec_w_init(w);
	return out;
}

/* ---- scanning --------------------------------------------------------- */

/* Big-endian header value of n bytes, n one of 1, 2, 4, 8 (0 for none). */
static inline uint64_t be(const uint8_t *p, size_t n)
{
	switch (n) {
	case 1: return p[0];
	case 2: return (uint64_t)p[0] << 8 | p[1];
	case 4: return (uint64_t)p[0] << 24 | (uint64_t)p[1] << 16 | (uint64_t)p[2] << 8 | p[3];
	case 8: return (uint64_t)be(p, 4) << 32 | be(p + 4, 4);
	default: return 0;
	}
}

/*
 * One pass over the bytes with an explicit stack of "elements still owed"
 * per open container. Every header is checked for its shortest form and
 * every declared size against the bytes that remain: an array of n
 * elements needs at least n more bytes, a map at least 2n. That one rule is
 * what keeps a 5-byte input from asking for four billion elements.
 *
 * Every received message is scanned twice (the outer object, then the
 * signed bytes), so the loop is kept lean: the innermost container's count
 * lives in a local (the stack holds only the enclosing ones), and positive
 * fixints (every map key) skip the general header decoding.
 */
int codec_scan(const uint8_t *buf, size_t len, unsigned max_depth, sm_err *err)
{
	uint64_t outer[CODEC_MAX_DEPTH];	/* owed by each enclosing container */
	uint64_t cur = 1;			/* owed by the innermost one */
	unsigned depth = 0;			/* containers open */
	size_t pos = 0;

	if (max_depth > CODEC_MAX_DEPTH)
		max_depth = CODEC_MAX_DEPTH;
	for (;;) {
		while (cur == 0) {
			if (depth == 0)
				goto done;
			cur = outer[--depth];
		}
		cur--;
		if (pos >= len)
			return sm_fail(err, SM_EMALFORMED, "truncated at byte %zu", pos);

		uint8_t b = buf[pos];

		if (b <= 0x7f) {	/* positive fixint */
			pos++;
			continue;
		}

		size_t rem = len - pos - 1, hdr = 0;
		uint64_t n = 0, minv = 0;
		int kind;	/* 0 scalar, 1 bytes, 2 array, 3 map */

		if (b <= 0x8f) {
			kind = 3; n = b & 0x0f;
		} else if (b <= 0x9f) {
			kind = 2; n = b & 0x0f;
		} else if (b <= 0xbf) {
			kind = 1; n = b & 0x1f;
		} else {
			switch (b) {
			case 0xc0: case 0xc2: case 0xc3:
				kind = 0; break;
			case 0xc4: kind = 1; hdr = 1; minv = 0; break;
			case 0xc5: kind = 1; hdr = 2; minv = 1u << 8; break;
			case 0xc6: kind = 1; hdr = 4; minv = 1u << 16; break;
			case 0xcc: kind = 0; hdr = 1; minv = 1u << 7; break;
			case 0xcd: kind = 0; hdr = 2; minv = 1u << 8; break;
			case 0xce: kind = 0; hdr = 4; minv = 1u << 16; break;
			case 0xcf: kind = 0; hdr = 8; minv = 1ull << 32; break;
			case 0xd9: kind = 1; hdr = 1; minv = 32; break;
			case 0xda: kind = 1; hdr = 2; minv = 1u << 8; break;
			case 0xdb: kind = 1; hdr = 4; minv = 1u << 16; break;
			case 0xdc: kind = 2; hdr = 2; minv = 16; break;
			case 0xdd: kind = 2; hdr = 4; minv = 1u << 16; break;
			case 0xde: kind = 3; hdr = 2; minv = 16; break;
			case 0xdf: kind = 3; hdr = 4; minv = 1u << 16; break;
			case 0xca: case 0xcb:
				return sm_fail(err, SM_EMALFORMED, "float at byte %zu (floats are not used)", pos);
			case 0xd0: case 0xd1: case 0xd2: case 0xd3:
				return sm_fail(err, SM_EMALFORMED, "signed integer at byte %zu (not used)", pos);
			default:
				if (b >= 0xe0)
					return sm_fail(err, SM_EMALFORMED, "negative integer at byte %zu (not used)", pos);
				return sm_fail(err, SM_EMALFORMED, "msgpack type 0x%02x at byte %zu is not used", b, pos);
			}
			if (hdr > rem)
				return sm_fail(err, SM_EMALFORMED, "truncated header at byte %zu", pos);
			n = be(buf + pos + 1, hdr);
			if (n < minv)
				return sm_fail(err, SM_ENONCANON, "byte %zu: value %llu has a shorter encoding",
				    pos, (unsigned long long)n);
			rem -= hdr;
		}
		pos += 1 + hdr;
		if (kind == 1) {
			if (n > rem)
				return sm_fail(err, SM_EBOUND, "byte %zu: %llu bytes declared, %zu remain",
				    pos, (unsigned long long)n, rem);
			pos += n;
		} else if (kind >= 2) {
			if ((kind == 3 ? 2 * n : n) > rem)
				return sm_fail(err, SM_EBOUND, "byte %zu: %llu elements declared, %zu bytes remain",
				    pos, (unsigned long long)n, rem);
			if (n == 0)
				continue;
			if (depth + 1 > max_depth)
				return sm_fail(err, SM_EDEPTH, "byte %zu: nested deeper than %u", pos, max_depth);
			outer[depth++] = cur;
			cur = kind == 3 ? 2 * n : n;
		}
	}
done:
	if (pos != len)
		return sm_fail(err, SM_ETRAILING, "%zu bytes after the message", len - pos);
	return 0;
}

/*
 * Zones for decoded documents, kept per thread and reused. msgpack-c's
 * msgpack_unpack_next makes a new zone for every document (a malloc of the
 * zone and of its 8 KiB first chunk) and the document's free releases both;
 * a node decodes two documents per message received (the outer object and
 * the signed bytes), and the pair cost more than the unpacking of a small
 * object (callgrind, bench_proto). A returned zone is cleared at once, which
 * frees every chunk but the first, so a thread keeps at most ZONE_CACHE
 * first chunks however large the documents were. Zones hold only objects
 * that point into the caller's buffer, never bytes of their own.
 *
 * The cache is _Thread_local (so no lock, and the leak checker sees it as
 * a root); a pthread key exists only for its destructor, which frees the
 * zones of a thread that exits.
 */
#define ZONE_CACHE 4

struct zone_cache {
	unsigned n;
	msgpack_zone *z[ZONE_CACHE];	/* owned */
	bool keyed;			/* registered for the thread-exit destructor */
};

static _Thread_local struct zone_cache tl_zones;
static pthread_key_t zone_key;
static pthread_once_t zone_once = PTHREAD_ONCE_INIT;
static bool zone_key_ok;

static void zone_cache_exit(void *p)
{
	struct zone_cache *c = p;

	while (c->n > 0)
		msgpack_zone_free(c->z[--c->n]);
	c->keyed = false;
}

static void zone_key_init(void)
{
	zone_key_ok = pthread_key_create(&zone_key, zone_cache_exit) == 0;
}

/* A cleared zone, from this thread's cache or new; NULL if out of memory. */
static msgpack_zone *zone_get(void)
{
	struct zone_cache *c = &tl_zones;

	if (c->n > 0)
		return c->z[--c->n];
	return msgpack_zone_new(MSGPACK_ZONE_CHUNK_SIZE);
}

/* Clear z and keep it for this thread's next document, or free it if the
 * cache is full or cannot be registered for freeing at thread exit. */
static void zone_put(msgpack_zone *z)
{
	struct zone_cache *c = &tl_zones;

	if (!z)
		return;
	if (c->n < ZONE_CACHE && !c->keyed) {
		pthread_once(&zone_once, zone_key_init);
		c->keyed = zone_key_ok && pthread_setspecific(zone_key, c) == 0;
	}
	if (c->n >= ZONE_CACHE || !c->keyed) {
		msgpack_zone_free(z);
		return;
	}
	msgpack_zone_clear(z);
	c->z[c->n++] = z;
}

int codec_decode(codec_doc *doc, const uint8_t *buf, size_t len,
    unsigned max_depth, sm_err *err)
{
	msgpack_zone *z;
	size_t off = 0;

	doc->root = NULL;
	if (codec_scan(buf, len, max_depth, err) < 0)
		return -1;
	msgpack_unpacked_init(&doc->u);
	if (!(z = zone_get()))
		return sm_fail(err, SM_ENOMEM, "out of memory decoding %zu bytes", len);
	/* msgpack_unpack is msgpack_unpack_next with the caller's zone. */
	switch (msgpack_unpack((const char *)buf, len, &off, z, &doc->u.data)) {
	case MSGPACK_UNPACK_SUCCESS:
		break;
	case MSGPACK_UNPACK_NOMEM_ERROR:
		zone_put(z);
		return sm_fail(err, SM_ENOMEM, "out of memory decoding %zu bytes", len);
	default:	/* including EXTRA_BYTES, which the scan already excludes */
		zone_put(z);
		return sm_fail(err, SM_EMALFORMED, "msgpack decoder refused the input");
	}
	doc->u.zone = z;
	doc->root = &doc->u.data;
	return 0;
}

void codec_doc_free(codec_doc *doc)
{
	if (doc && doc->root) {
		zone_put(doc->u.zone);
		msgpack_unpacked_init(&doc->u);
		doc->root = NULL;
	}
}

/* ---- typed access ----------------------------------------------------- */

bool codec_utf8_ok(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i];
		size_t k;
		uint32_t cp, min;

		if (c == 0)
			return false;
		if (c < 0x80) { i++; continue; }
		if ((c & 0xe0) == 0xc0) { k = 1; cp = c & 0x1f; min = 0x80; }
		else if ((c & 0xf0) == 0xe0) { k = 2; cp = c & 0x0f; min = 0x800; }
		else if ((c & 0xf8) == 0xf0) { k = 3; cp = c & 0x07; min = 0x10000; }
		else return false;
		if (n - i <= k)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += k + 1;
	}
	return true;
}

int codec_map_begin(codec_map *m, const msgpack_object *o, const char *what, sm_err *err)
{
	m->kv = NULL;
	m->n = m->i = 0;
	m->what = what;
	m->lenient = false;
	if (!o || o->type != MSGPACK_OBJECT_MAP)
		return sm_fail(err, SM_EMALFORMED, "%s: expected a map", what);
	m->kv = o->via.map.ptr;
	m->n = o->via.map.size;
	for (uint32_t i = 0; i < m->n; i++) {
		if (m->kv[i].key.type != MSGPACK_OBJECT_POSITIVE_INTEGER)
			return sm_fail(err, SM_EMALFORMED, "%s: key %u is not an unsigned integer", what, i);
		if (i > 0 && m->kv[i].key.via.u64 <= m->kv[i - 1].key.via.u64)
			return sm_fail(err, m->kv[i].key.via.u64 == m->kv[i - 1].key.via.u64 ?
			    SM_EMALFORMED : SM_ENONCANON, "%s: key %llu %s", what,
			    (unsigned long long)m->kv[i].key.via.u64,
			    m->kv[i].key.via.u64 == m->kv[i - 1].key.via.u64 ?
			    "appears twice" : "out of ascending order");
	}
	return 0;
}

const msgpack_object *codec_map_field(codec_map *m, uint64_t key)
{
	if (m->lenient)
		while (m->i < m->n && m->kv[m->i].key.via.u64 < key)
			m->i++;
	if (m->i < m->n && m->kv[m->i].key.via.u64 == key)
		return &m->kv[m->i++].val;
	return NULL;
}

int codec_map_end(codec_map *m, sm_err *err)
{
	if (m->i < m->n && !m->lenient)
		return sm_fail(err, SM_EMALFORMED, "%s: unknown field %llu", m->what,
		    (unsigned long long)m->kv[m->i].key.via.u64);
	return 0;
}

/* Fetch the value under key for a getter, skipping unknown lower keys when
 * they will be tolerated at map end. */
static const msgpack_object *field(codec_map *m, uint64_t key, bool required, sm_err *err, int *rc)
{
	const msgpack_object *o;

	*rc = 0;
	if (!m->lenient && m->i < m->n && m->kv[m->i].key.via.u64 < key) {
		*rc = sm_fail(err, SM_EMALFORMED, "%s: unknown field %llu", m->what,
		    (unsigned long long)m->kv[m->i].key.via.u64);
		return NULL;
	}
	o = codec_map_field(m, key);
	if (!o && required)
		*rc = sm_fail(err, SM_EMALFORMED, "%s: missing field %llu", m->what,
		    (unsigned long long)key);
	return o;
}

/*
 * Field names for error messages ("report.6") are built only when a check
 * fails: the success path of a decode makes many getter calls, and an
 * snprintf for each cost more than the checks themselves. A name is the
 * map's "what" plus, for map fields, ".key".
 */
typedef struct fname {
	const char *what;
	uint64_t key;
	bool keyed;
} fname;

#define FNAME_MAX 96

static const char *fname_str(const fname *f, char buf[FNAME_MAX])
{
	if (!f->keyed)
		return f->what;
	snprintf(buf, FNAME_MAX, "%s.%llu", f->what, (unsigned long long)f->key);
	return buf;
}

static int as_uint(const msgpack_object *o, uint64_t min, uint64_t max,
    uint64_t *out, const fname *f, sm_err *err)
{
	char b[FNAME_MAX];

	*out = 0;
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return sm_fail(err, SM_EMALFORMED, "%s: expected an unsigned integer", fname_str(f, b));
	if (o->via.u64 < min || o->via.u64 > max)
		return sm_fail(err, SM_EBOUND, "%s: %llu outside [%llu, %llu]", fname_str(f, b),
		    (unsigned long long)o->via.u64, (unsigned long long)min,
		    (unsigned long long)max);
	*out = o->via.u64;
	return 0;
}

static int as_bin(const msgpack_object *o, size_t minlen, size_t maxlen,
    const uint8_t **p, size_t *n, const fname *f, sm_err *err)
{
	char b[FNAME_MAX];

	*p = NULL;
	*n = 0;
	if (o->type != MSGPACK_OBJECT_BIN)
		return sm_fail(err, SM_EMALFORMED, "%s: expected binary", fname_str(f, b));
	if (o->via.bin.size < minlen || o->via.bin.size > maxlen)
		return sm_fail(err, SM_EBOUND, "%s: %u bytes, allowed %zu to %zu", fname_str(f, b),
		    o->via.bin.size, minlen, maxlen);
	*p = (const uint8_t *)o->via.bin.ptr;
	*n = o->via.bin.size;
	return 0;
}

static int as_binfix(const msgpack_object *o, uint8_t *out, size_t n,
    const fname *f, sm_err *err)
{
	const uint8_t *p;
	size_t len;

	if (as_bin(o, n, n, &p, &len, f, err) < 0) {
		memset(out, 0, n);
		return -1;
	}
	memcpy(out, p, n);
	return 0;
}

static int as_str(const msgpack_object *o, size_t maxlen, const char **p,
    size_t *n, const fname *f, sm_err *err)
{
	char b[FNAME_MAX];

	*p = NULL;
	*n = 0;
	if (o->type != MSGPACK_OBJECT_STR)
		return sm_fail(err, SM_EMALFORMED, "%s: expected a string", fname_str(f, b));
	if (o->via.str.size > maxlen)
		return sm_fail(err, SM_EBOUND, "%s: %u bytes, max %zu", fname_str(f, b),
		    o->via.str.size, maxlen);
	if (!codec_utf8_ok(o->via.str.ptr, o->via.str.size))
		return sm_fail(err, SM_EMALFORMED, "%s: not valid UTF-8 (or contains NUL)",
		    fname_str(f, b));
	*p = o->via.str.ptr;
	*n = o->via.str.size;
	return 0;
}

static int as_strdup(const msgpack_object *o, size_t maxlen, char **out,
    const fname *f, sm_err *err)
{
	char b[FNAME_MAX];
	const char *p;
	size_t n;

	*out = NULL;
	if (as_str(o, maxlen, &p, &n, f, err) < 0)
		return -1;
	if (!(*out = malloc(n + 1)))
		return sm_fail(err, SM_ENOMEM, "%s: out of memory", fname_str(f, b));
	memcpy(*out, p, n);
	(*out)[n] = '\0';
	return 0;
}

static int as_array(const msgpack_object *o, uint32_t maxn,
    const msgpack_object **items, uint32_t *n, const fname *f, sm_err *err)
{
	char b[FNAME_MAX];

	*items = NULL;
	*n = 0;
	if (o->type != MSGPACK_OBJECT_ARRAY)
		return sm_fail(err, SM_EMALFORMED, "%s: expected an array", fname_str(f, b));
	if (o->via.array.size > maxn)
		return sm_fail(err, SM_EBOUND, "%s: %u elements, max %u", fname_str(f, b),
		    o->via.array.size, maxn);
	*items = o->via.array.ptr;
	*n = o->via.array.size;
	return 0;
}

/* ---- bare objects: "what" names the object itself ---- */

#define BARE(what) (&(const fname){ (what), 0, false })
#define KEYED(m, key) (&(const fname){ (m)->what, (key), true })

int codec_as_uint(const msgpack_object *o, uint64_t min, uint64_t max,
    uint64_t *out, const char *what, sm_err *err)
{
	return as_uint(o, min, max, out, BARE(what), err);
}

int codec_as_bin(const msgpack_object *o, size_t minlen, size_t maxlen,
    const uint8_t **p, size_t *n, const char *what, sm_err *err)
{
	return as_bin(o, minlen, maxlen, p, n, BARE(what), err);
}

int codec_as_binfix(const msgpack_object *o, uint8_t *out, size_t n,
    const char *what, sm_err *err)
{
	return as_binfix(o, out, n, BARE(what), err);
}

int codec_as_str(const msgpack_object *o, size_t maxlen, const char **p,
    size_t *n, const char *what, sm_err *err)
{
	return as_str(o, maxlen, p, n, BARE(what), err);
}

int codec_as_strdup(const msgpack_object *o, size_t maxlen, char **out,
    const char *what, sm_err *err)
{
	return as_strdup(o, maxlen, out, BARE(what), err);
}

int codec_as_array(const msgpack_object *o, uint32_t maxn,
    const msgpack_object **items, uint32_t *n, const char *what, sm_err *err)
{
	return as_array(o, maxn, items, n, BARE(what), err);
}

/* ---- map fields: named "what.key" ---- */

int codec_get_uint(codec_map *m, uint64_t key, bool required, uint64_t min,
    uint64_t max, uint64_t *out, sm_err *err)
{
	int rc;
	const msgpack_object *o = field(m, key, required, err, &rc);

	*out = 0;
	return o ? as_uint(o, min, max, out, KEYED(m, key), err) : rc;
}

int codec_get_bool(codec_map *m, uint64_t key, bool required, bool *out, sm_err *err)
{
	int rc;
	const msgpack_object *o = field(m, key, required, err, &rc);

	*out = false;
	if (!o)
		return rc;
	if (o->type != MSGPACK_OBJECT_BOOLEAN)
		return sm_fail(err, SM_EMALFORMED, "%s.%llu: expected a boolean", m->what,
		    (unsigned long long)key);
	*out = o->via.boolean;
	return 0;
}

int codec_get_bin(codec_map *m, uint64_t key, bool required, size_t minlen,
    size_t maxlen, const uint8_t **p, size_t *n, sm_err *err)
{
	int rc;
	const msgpack_object *o = field(m, key, required, err, &rc);

	*p = NULL;
	*n = 0;
	return o ? as_bin(o, minlen, maxlen, p, n, KEYED(m, key), err) : rc;
}

int codec_get_binfix(codec_map *m, uint64_t key, bool required, uint8_t *out,
    size_t n, sm_err *err)
{
	int rc;
	const msgpack_object *o = field(m, key, required, err, &rc);

	if (!o) {
		memset(out, 0, n);
		return rc;
	}
	return as_binfix(o, out, n, KEYED(m, key), err);
}

int codec_get_str(codec_map *m, uint64_t key, bool required, size_t maxlen,
    const char **p, size_t *n, sm_err *err)
{
	int rc;
	const msgpack_object *o = field(m, key, required, err, &rc);

	*p = NULL;
	*n = 0;
	return o ? as_str(o, maxlen, p, n, KEYED(m, key), err) : rc;
}

int codec_get_strdup(codec_map *m, uint64_t key, bool required, size_t maxlen,
    char **out, sm_err *err)
{
	int rc;
	const msgpack_object *o = field(m, key, required, err, &rc);

	*out = NULL;
	return o ? as_strdup(o, maxlen, out, KEYED(m, key), err) : rc;
}

int codec_get_array(codec_map *m, uint64_t key, bool required, uint32_t maxn,
    const msgpack_object **items, uint32_t *n, sm_err *err)
{
	int rc;
	const msgpack_object *o = field(m, key, required, err, &rc);

	*items = NULL;
	*n = 0;
	return o ? as_array(o, maxn, items, n, KEYED(m, key), err) : rc;
}
