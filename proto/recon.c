/*
 * proto/recon.c — range-based set reconciliation (PROTOCOL.md §11).
 *
 * Layout of the work: the item array is copied once and a prefix-sum table
 * of the ids (256-bit little-endian integers, 4 limbs) is built beside it,
 * so the fingerprint of any index range [a, b) is one 256-bit subtraction
 * and one BLAKE2b call, and the index range of any bound pair is two binary
 * searches. Everything else is a pass over the peer's ranges in order.
 *
 * Every incoming message is first decoded and validated completely (pass
 * 1), then answered (pass 2). have/need found in pass 2 go to temporary
 * lists and reach the caller only when the whole message has succeeded.
 */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "proto/recon.h"
#include "proto/codec.h"

enum { M_SKIP = 0, M_FP = 1, M_LIST = 2, M_REQ = 3, M_DIFF = 4, M_MAX = 4 };

#define INF_TS UINT64_MAX
/* Upper bound on the encoding of one range without payload: array header,
 * uint64, bin8 header + 32 prefix bytes, mode. */
#define RANGE_HDR_MAX (1 + 9 + 2 + 32 + 1)
#define FP_RANGE_MAX (RANGE_HDR_MAX + 2 + RECON_FP_LEN)
#define MSG_HDR_MAX (1 + 1 + 5)

struct recon {
	recon_item *items;	/* owned copy, ascending, ts >= since */
	size_t n;
	uint64_t (*sum)[4];	/* sum[i] = ids of items[0..i), n + 1 entries */
	uint8_t *reported;	/* bitmap over items: already in "have" */
	size_t frame_limit;
	unsigned max_rounds;
	unsigned prefix_len;
	unsigned rounds;	/* successful recon_respond calls */
	bool started;		/* initiated, or received a first message */
	bool initiator;
	bool done;
	bool dead;		/* a call failed; the session is unusable */
};

/* A bound: items strictly below it are in ranges before it. The id is zero
 * padded past len; ts == INF_TS is infinity (len 0). */
typedef struct bound {
	uint64_t ts;
	uint8_t id[RECON_ID_LEN];
	unsigned len;
} bound;

/* ---- small helpers ---------------------------------------------------- */

void recon_ids_free(recon_ids *ids)
{
	if (!ids)
		return;
	free(ids->id);
	ids->id = NULL;
	ids->n = ids->cap = 0;
}

static int ids_push(recon_ids *l, const uint8_t *id)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		void *p = realloc(l->id, cap * RECON_ID_LEN);
		if (!p)
			return -1;
		l->id = p;
		l->cap = cap;
	}
	memcpy(l->id[l->n++], id, RECON_ID_LEN);
	return 0;
}

static void load256(uint64_t v[4], const uint8_t *b)
{
	for (int j = 0; j < 4; j++) {
		uint64_t x = 0;
		for (int k = 7; k >= 0; k--)
			x = (x << 8) | b[8 * j + k];
		v[j] = x;
	}
}

static void store256(uint8_t *b, const uint64_t v[4])
{
	for (int j = 0; j < 4; j++)
		for (int k = 0; k < 8; k++)
			b[8 * j + k] = (uint8_t)(v[j] >> (8 * k));
}

static void add256(uint64_t r[4], const uint64_t a[4], const uint64_t b[4])
{
	uint64_t c = 0;
	for (int j = 0; j < 4; j++) {
		uint64_t s = a[j] + c;
		c = s < c;
		r[j] = s + b[j];
		c += r[j] < s;
	}
}

static void sub256(uint64_t r[4], const uint64_t a[4], const uint64_t b[4])
{
	uint64_t br = 0;
	for (int j = 0; j < 4; j++) {
		uint64_t d = a[j] - b[j];
		uint64_t b1 = a[j] < b[j];
		r[j] = d - br;
		b1 |= d < br;
		br = b1;
	}
}

static void fp_of(const uint64_t sum[4], uint64_t count, uint8_t fp[RECON_FP_LEN])
{
	uint8_t in[RECON_ID_LEN + 8], h[crypto_generichash_BYTES];

	store256(in, sum);
	for (int k = 0; k < 8; k++)
		in[RECON_ID_LEN + k] = (uint8_t)(count >> (8 * k));
	crypto_generichash(h, sizeof h, in, sizeof in, NULL, 0);
	memcpy(fp, h, RECON_FP_LEN);
}

void recon_fingerprint(const uint8_t (*ids)[RECON_ID_LEN], size_t n,
    uint8_t fp[RECON_FP_LEN])
{
	uint64_t s[4] = {0}, v[4];

	for (size_t i = 0; i < n; i++) {
		load256(v, ids[i]);
		add256(s, s, v);
	}
	fp_of(s, n, fp);
}

static void range_fp(const recon_t *r, size_t a, size_t b, uint8_t fp[RECON_FP_LEN])
{
	uint64_t s[4];

	sub256(s, r->sum[b], r->sum[a]);
	fp_of(s, b - a, fp);
}

static int item_cmp(const recon_item *x, const recon_item *y)
{
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return memcmp(x->id, y->id, RECON_ID_LEN);
}

/* item < bound? */
static bool item_below(const recon_item *it, const bound *b)
{
	if (it->ts != b->ts)
		return it->ts < b->ts;
	return memcmp(it->id, b->id, RECON_ID_LEN) < 0;
}

static int bound_cmp(const bound *x, const bound *y)
{
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return memcmp(x->id, y->id, RECON_ID_LEN);
}

/* First index i in [from, n) with items[i] >= b (n if none). */
static size_t index_of(const recon_t *r, size_t from, const bound *b)
{
	size_t lo = from, hi = r->n;

	if (b->ts == INF_TS)
		return r->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (item_below(&r->items[mid], b))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The shortest bound above items[i-1] and at or below items[i]. */
static void bound_between(const recon_t *r, size_t i, bound *b)
{
	const recon_item *p = &r->items[i - 1], *c = &r->items[i];

	memset(b, 0, sizeof *b);
	b->ts = c->ts;
	if (p->ts != c->ts)
		return;
	unsigned l = 0;
	while (l < RECON_ID_LEN && p->id[l] == c->id[l])
		l++;
	/* l < 32 because the items are distinct; c->id[l] > p->id[l] >= 0,
	 * so the prefix never ends in a zero byte. */
	b->len = l + 1;
	memcpy(b->id, c->id, b->len);
}

/* ---- lifecycle -------------------------------------------------------- */

recon_t *recon_new(const recon_item *items, size_t n, const recon_opts *opts,
    sm_err *err)
{
	recon_opts o = {0};
	recon_t *r = NULL;
	size_t first = 0;

	if (opts)
		o = *opts;
	if (o.frame_limit == 0)
		o.frame_limit = RECON_DEFAULT_FRAME;
	if (o.max_rounds == 0)
		o.max_rounds = RECON_DEFAULT_ROUNDS;
	if (o.prefix_len == 0)
		o.prefix_len = RECON_DEFAULT_PREFIX;
	if (o.frame_limit < RECON_MIN_FRAME || o.frame_limit > RECON_MAX_FRAME) {
		sm_fail(err, SM_EINVAL, "recon: frame_limit %zu outside %u..%u",
		    o.frame_limit, RECON_MIN_FRAME, RECON_MAX_FRAME);
		return NULL;
	}
	if (o.prefix_len < RECON_MIN_PREFIX || o.prefix_len > RECON_ID_LEN) {
		sm_fail(err, SM_EINVAL, "recon: prefix_len %u outside %u..%u",
		    o.prefix_len, RECON_MIN_PREFIX, RECON_ID_LEN);
		return NULL;
	}
	if (n > 0 && !items) {
		sm_fail(err, SM_EINVAL, "recon: NULL items");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (items[i].ts == INF_TS) {
			sm_fail(err, SM_EINVAL, "recon: item %zu: timestamp UINT64_MAX is reserved", i);
			return NULL;
		}
		if (i > 0 && item_cmp(&items[i - 1], &items[i]) >= 0) {
			sm_fail(err, SM_EINVAL, "recon: item %zu not above item %zu (sort by ts, id; no duplicates)", i, i - 1);
			return NULL;
		}
	}
	while (first < n && items[first].ts < o.since)
		first++;
	n -= first;

	if (!(r = calloc(1, sizeof *r)))
		goto nomem;
	r->n = n;
	r->frame_limit = o.frame_limit;
	r->max_rounds = o.max_rounds;
	r->prefix_len = o.prefix_len;
	if (n > (SIZE_MAX / sizeof *r->sum) - 1)
		goto nomem;
	r->items = malloc((n ? n : 1) * sizeof *r->items);
	r->sum = malloc((n + 1) * sizeof *r->sum);
	r->reported = calloc(n / 8 + 1, 1);
	if (!r->items || !r->sum || !r->reported)
		goto nomem;
	if (n)
		memcpy(r->items, items + first, n * sizeof *r->items);
	memset(r->sum[0], 0, sizeof r->sum[0]);
	for (size_t i = 0; i < n; i++) {
		uint64_t v[4];
		load256(v, r->items[i].id);
		add256(r->sum[i + 1], r->sum[i], v);
	}
	return r;
nomem:
	recon_destroy(&r);
	sm_fail(err, SM_ENOMEM, "recon: out of memory for %zu items", n);
	return NULL;
}

void recon_destroy(recon_t **rp)
{
	if (!rp || !*rp)
		return;
	recon_t *r = *rp;
	free(r->items);
	free(r->sum);
	free(r->reported);
	free(r);
	*rp = NULL;
}

bool recon_done(const recon_t *r) { return r && r->done; }
unsigned recon_rounds(const recon_t *r) { return r ? r->rounds : 0; }
size_t recon_size(const recon_t *r) { return r ? r->n : 0; }

/* ---- building a message ----------------------------------------------- */

typedef struct orange {
	bound upper;
	int mode;
	uint8_t fp[RECON_FP_LEN];	/* M_FP, M_DIFF */
	unsigned plen;			/* M_LIST, M_DIFF */
	size_t a, b;			/* M_LIST: own items [a, b) */
	uint8_t *ids;			/* M_DIFF: full ids (owned) */
	size_t nids;
	uint8_t *bits;			/* M_DIFF: lacking bitmap (owned) */
	size_t bits_len;
} orange;

typedef struct outb {
	orange *r;
	size_t n, cap;
	size_t est;			/* upper bound of the encoded size */
	size_t nids;			/* entries and ids, for RECON_MAX_IDS */
} outb;

static void outb_free(outb *o)
{
	for (size_t i = 0; i < o->n; i++) {
		free(o->r[i].ids);
		free(o->r[i].bits);
	}
	free(o->r);
	memset(o, 0, sizeof *o);
}

static orange *outb_add(outb *o, const bound *upper, int mode)
{
	/* Adjacent skips merge: the later upper bound covers both. */
	if (mode == M_SKIP && o->n > 0 && o->r[o->n - 1].mode == M_SKIP) {
		o->r[o->n - 1].upper = *upper;
		return &o->r[o->n - 1];
	}
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 32;
		orange *p = realloc(o->r, cap * sizeof *p);
		if (!p)
			return NULL;
		o->r = p;
		o->cap = cap;
	}
	orange *g = &o->r[o->n++];
	memset(g, 0, sizeof *g);
	g->upper = *upper;
	g->mode = mode;
	o->est += RANGE_HDR_MAX;
	return g;
}

static int add_fp(outb *o, const recon_t *r, const bound *upper, size_t a, size_t b)
{
	orange *g = outb_add(o, upper, M_FP);
	if (!g)
		return -1;
	range_fp(r, a, b, g->fp);
	o->est += 2 + RECON_FP_LEN;
	return 0;
}

static int add_list(outb *o, const bound *upper, size_t a, size_t b, unsigned plen)
{
	orange *g = outb_add(o, upper, M_LIST);
	if (!g)
		return -1;
	g->a = a;
	g->b = b;
	g->plen = plen;
	o->est += 1 + 5 + (b - a) * plen;
	o->nids += b - a;
	return 0;
}

/* Split own items [a, b), which lie in [lower, upper), into buckets, each
 * sent as a Fingerprint. b - a >= RECON_LIST_BELOW >= RECON_BUCKETS, so
 * every bucket holds at least one item and every inner bound is strictly
 * between lower and upper. */
static int add_split(outb *o, const recon_t *r, const bound *upper, size_t a, size_t b)
{
	size_t c = b - a;

	for (size_t k = 0; k < RECON_BUCKETS; k++) {
		size_t s = a + c * k / RECON_BUCKETS, e = a + c * (k + 1) / RECON_BUCKETS;
		bound ub;
		if (k == RECON_BUCKETS - 1)
			ub = *upper;
		else
			bound_between(r, e, &ub);
		if (add_fp(o, r, &ub, s, e) < 0)
			return -1;
	}
	return 0;
}

/* Worst-case bytes a split or a list of [a, b) adds. */
#define SPLIT_MAX ((size_t)RECON_BUCKETS * FP_RANGE_MAX)
static size_t list_max(size_t c, unsigned plen) { return RANGE_HDR_MAX + 6 + c * plen; }

static void put_bound(codec_w *w, const bound *b, uint64_t *prev)
{
	if (b->ts == INF_TS) {
		codec_w_uint(w, 0);
	} else {
		codec_w_uint(w, 1 + (b->ts - *prev));
		*prev = b->ts;
	}
	codec_w_bin(w, b->id, b->len);
}

static int outb_encode(outb *o, const recon_t *r, uint8_t **msg, size_t *len,
    sm_err *err)
{
	codec_w w;
	uint64_t prev = 0;
	size_t n = o->n;
	uint8_t *buf = NULL;

	while (n > 0 && o->r[n - 1].mode == M_SKIP)
		n--;			/* a trailing skip is implied */
	codec_w_init(&w);
	codec_w_array(&w, 2);
	codec_w_uint(&w, RECON_VERSION);
	codec_w_array(&w, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		const orange *g = &o->r[i];
		static const uint32_t fields[] = { 3, 4, 5, 3, 7 };
		codec_w_array(&w, fields[g->mode]);
		put_bound(&w, &g->upper, &prev);
		codec_w_uint(&w, (uint64_t)g->mode);
		switch (g->mode) {
		case M_FP:
			codec_w_bin(&w, g->fp, RECON_FP_LEN);
			break;
		case M_LIST: {
			size_t k = g->b - g->a;
			uint8_t *tmp = malloc(k * g->plen + 1);
			if (!tmp) {
				codec_w_free(&w);
				return sm_fail(err, SM_ENOMEM, "recon: out of memory encoding");
			}
			for (size_t j = 0; j < k; j++)
				memcpy(tmp + j * g->plen, r->items[g->a + j].id, g->plen);
			codec_w_uint(&w, g->plen);
			codec_w_bin(&w, tmp, k * g->plen);
			free(tmp);
			break;
		}
		case M_DIFF:
			codec_w_uint(&w, g->plen);
			codec_w_bin(&w, g->ids, g->nids * RECON_ID_LEN);
			codec_w_bin(&w, g->bits, g->bits_len);
			codec_w_bin(&w, g->fp, RECON_FP_LEN);
			break;
		default:
			break;
		}
	}
	buf = codec_w_take(&w, len);
	if (!buf)
		return sm_fail(err, SM_ENOMEM, "recon: out of memory encoding");
	*msg = buf;
	return 0;
}

/* ---- reading a message ------------------------------------------------ */

typedef struct inrange {
	bound upper;
	int mode;
	const uint8_t *fp;
	unsigned plen;
	const uint8_t *ids;	/* M_LIST: k entries of plen; M_DIFF: k full ids */
	size_t k;
	const uint8_t *bits;
	size_t bits_len;
} inrange;

static int get_bound(const msgpack_object *ts_o, const msgpack_object *px_o,
    uint64_t *prev, bound *b, size_t i, sm_err *err)
{
	uint64_t enc;
	const uint8_t *p;
	size_t len;

	memset(b, 0, sizeof *b);
	if (codec_as_uint(ts_o, 0, UINT64_MAX, &enc, "recon range timestamp", err) < 0 ||
	    codec_as_bin(px_o, 0, RECON_ID_LEN, &p, &len, "recon range id prefix", err) < 0)
		return sm_wrap(err, "range %zu: ", i);
	if (enc == 0) {
		if (len != 0)
			return sm_fail(err, SM_EMALFORMED, "recon: range %zu: infinite bound with an id prefix", i);
		b->ts = INF_TS;
		return 0;
	}
	if (enc - 1 > INF_TS - 1 - *prev)
		return sm_fail(err, SM_EBOUND, "recon: range %zu: timestamp overflows", i);
	b->ts = *prev + (enc - 1);
	*prev = b->ts;
	if (len > 0 && p[len - 1] == 0)
		return sm_fail(err, SM_ENONCANON, "recon: range %zu: id prefix ends in a zero byte", i);
	memcpy(b->id, p, len);
	b->len = (unsigned)len;
	return 0;
}

/* Pass 1: decode and validate everything. *in is malloc'd (caller frees). */
static int parse(const recon_t *r, const codec_doc *d, inrange **in, size_t *nin,
    sm_err *err)
{
	const msgpack_object *top, *rs;
	uint32_t ntop, nr;
	uint64_t v, prev = 0, total_ids = 0;
	bound lower = {0};
	inrange *a = NULL;

	*in = NULL;
	*nin = 0;
	if (codec_as_array(d->root, UINT32_MAX, &top, &ntop, "recon message", err) < 0)
		return -1;
	if (ntop < 1)
		return sm_fail(err, SM_EMALFORMED, "recon: empty message array");
	if (codec_as_uint(&top[0], 0, UINT64_MAX, &v, "recon version", err) < 0)
		return -1;
	if (v != RECON_VERSION)
		return sm_fail(err, SM_EVERSION, "recon: version %llu, only %d known",
		    (unsigned long long)v, RECON_VERSION);
	if (ntop != 2)
		return sm_fail(err, SM_EMALFORMED, "recon: message has %u fields, expected 2", ntop);
	if (codec_as_array(&top[1], RECON_MAX_RANGES, &rs, &nr, "recon ranges", err) < 0)
		return -1;
	if (nr == 0)
		return 0;
	if (!(a = calloc(nr, sizeof *a)))
		return sm_fail(err, SM_ENOMEM, "recon: out of memory");
	for (uint32_t i = 0; i < nr; i++) {
		const msgpack_object *f;
		uint32_t nf;
		uint64_t mode;
		inrange *g = &a[i];

		if (codec_as_array(&rs[i], UINT32_MAX, &f, &nf, "recon range", err) < 0) {
			sm_wrap(err, "range %u: ", i);
			goto fail;
		}
		if (nf < 3) {
			sm_fail(err, SM_EMALFORMED, "recon: range %u: %u fields, at least 3", i, nf);
			goto fail;
		}
		if (lower.ts == INF_TS) {
			sm_fail(err, SM_EMALFORMED, "recon: range %u follows the infinite bound", i);
			goto fail;
		}
		if (get_bound(&f[0], &f[1], &prev, &g->upper, i, err) < 0)
			goto fail;
		if (bound_cmp(&g->upper, &lower) <= 0) {
			sm_fail(err, SM_EMALFORMED, "recon: range %u: upper bound not above the previous one", i);
			goto fail;
		}
		if (codec_as_uint(&f[2], 0, UINT64_MAX, &mode, "recon range mode", err) < 0) {
			sm_wrap(err, "range %u: ", i);
			goto fail;
		}
		if (mode > M_MAX) {
			sm_fail(err, SM_ETYPE, "recon: range %u: unknown mode %llu", i,
			    (unsigned long long)mode);
			goto fail;
		}
		g->mode = (int)mode;
		/* Which side may send what: id lists come only from the
		 * initiator; requests and diffs only from the responder. */
		bool from_initiator = !r->initiator;
		if ((g->mode == M_LIST && !from_initiator) ||
		    ((g->mode == M_REQ || g->mode == M_DIFF) && from_initiator)) {
			sm_fail(err, SM_EMALFORMED, "recon: range %u: mode %d not allowed from the %s",
			    i, g->mode, from_initiator ? "initiator" : "responder");
			goto fail;
		}
		static const uint32_t fields[] = { 3, 4, 5, 3, 7 };
		if (nf != fields[g->mode]) {
			sm_fail(err, SM_EMALFORMED, "recon: range %u: mode %d has %u fields, expected %u",
			    i, g->mode, nf, fields[g->mode]);
			goto fail;
		}
		size_t len;
		if (g->mode == M_FP) {
			if (codec_as_bin(&f[3], RECON_FP_LEN, RECON_FP_LEN, &g->fp, &len,
			    "recon fingerprint", err) < 0) {
				sm_wrap(err, "range %u: ", i);
				goto fail;
			}
		} else if (g->mode == M_LIST || g->mode == M_DIFF) {
			if (codec_as_uint(&f[3], RECON_MIN_PREFIX, RECON_ID_LEN, &v,
			    "recon prefix length", err) < 0) {
				sm_wrap(err, "range %u: ", i);
				goto fail;
			}
			g->plen = (unsigned)v;
			size_t unit = g->mode == M_LIST ? g->plen : RECON_ID_LEN;
			if (codec_as_bin(&f[4], 0, UINT32_MAX, &g->ids, &len, "recon ids", err) < 0) {
				sm_wrap(err, "range %u: ", i);
				goto fail;
			}
			if (len % unit != 0) {
				sm_fail(err, SM_EMALFORMED, "recon: range %u: %zu id bytes, not a multiple of %zu",
				    i, len, unit);
				goto fail;
			}
			g->k = len / unit;
			total_ids += g->k;
			if (total_ids > RECON_MAX_IDS) {
				sm_fail(err, SM_EBOUND, "recon: more than %d ids in one message", RECON_MAX_IDS);
				goto fail;
			}
			if (g->mode == M_DIFF) {
				if (codec_as_bin(&f[5], 0, RECON_MAX_IDS / 8, &g->bits, &g->bits_len,
				    "recon lacking bitmap", err) < 0 ||
				    codec_as_bin(&f[6], RECON_FP_LEN, RECON_FP_LEN, &g->fp, &len,
				    "recon fingerprint", err) < 0) {
					sm_wrap(err, "range %u: ", i);
					goto fail;
				}
			}
		}
		lower = g->upper;
	}
	*in = a;
	*nin = nr;
	return 0;
fail:
	free(a);
	return -1;
}

/* ---- answering -------------------------------------------------------- */

typedef struct pending {
	size_t *have;		/* own item indices */
	size_t nhave, caphave;
	recon_ids need;
} pending;

static int pend_have(pending *p, size_t idx)
{
	if (p->nhave == p->caphave) {
		size_t cap = p->caphave ? p->caphave * 2 : 64;
		size_t *q = realloc(p->have, cap * sizeof *q);
		if (!q)
			return -1;
		p->have = q;
		p->caphave = cap;
	}
	p->have[p->nhave++] = idx;
	return 0;
}

/* A listed entry, zero padded to full length so that qsort needs no
 * context (C11 qsort has no argument for the prefix length). */
typedef struct pfx {
	uint8_t p[RECON_ID_LEN];
	size_t idx;
} pfx;

static int pfx_cmp(const void *x, const void *y)
{
	const pfx *a = x, *b = y;
	int c = memcmp(a->p, b->p, RECON_ID_LEN);
	if (c)
		return c;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* Responder, IdList over own items [a, b): the Diff. */
static int answer_list(const recon_t *r, const inrange *g, size_t a, size_t b,
    outb *o, pending *pd, sm_err *err)
{
	pfx *s = NULL;
	uint8_t *matched = NULL;
	int rc = -1;
	orange *d;

	if (!(d = outb_add(o, &g->upper, M_DIFF)))
		goto nomem;
	d->plen = g->plen;
	range_fp(r, a, b, d->fp);
	d->bits_len = (g->k + 7) / 8;
	s = malloc((g->k ? g->k : 1) * sizeof *s);
	matched = calloc(g->k + 1, 1);
	d->bits = calloc(d->bits_len + 1, 1);
	d->ids = malloc((b - a ? b - a : 1) * RECON_ID_LEN);
	if (!s || !matched || !d->bits || !d->ids)
		goto nomem;
	for (size_t j = 0; j < g->k; j++) {
		memset(s[j].p, 0, RECON_ID_LEN);
		memcpy(s[j].p, g->ids + j * g->plen, g->plen);
		s[j].idx = j;
	}
	if (g->k > 1)	/* qsort needs a valid pointer even for 0 items */
		qsort(s, g->k, sizeof *s, pfx_cmp);
	for (size_t i = a; i < b; i++) {
		uint8_t key[RECON_ID_LEN] = {0};
		size_t lo = 0, hi = g->k;

		memcpy(key, r->items[i].id, g->plen);
		while (lo < hi) {	/* first entry >= key */
			size_t mid = lo + (hi - lo) / 2;
			if (memcmp(s[mid].p, key, RECON_ID_LEN) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < g->k && memcmp(s[lo].p, key, RECON_ID_LEN) == 0) {
			for (size_t j = lo; j < g->k && !memcmp(s[j].p, key, RECON_ID_LEN); j++)
				matched[s[j].idx] = 1;
		} else {
			memcpy(d->ids + d->nids * RECON_ID_LEN, r->items[i].id, RECON_ID_LEN);
			d->nids++;
			if (pend_have(pd, i) < 0)
				goto nomem;
		}
	}
	for (size_t j = 0; j < g->k; j++)
		if (!matched[j])
			d->bits[j / 8] |= (uint8_t)(1u << (j % 8));
	o->est += 1 + 5 + d->nids * RECON_ID_LEN + 5 + d->bits_len + 2 + RECON_FP_LEN;
	o->nids += d->nids;
	rc = 0;
	goto out;
nomem:
	rc = sm_fail(err, SM_ENOMEM, "recon: out of memory");
out:
	free(s);
	free(matched);
	return rc;
}

/* Initiator, Diff over own items [a, b). */
static int apply_diff(const recon_t *r, const inrange *g, size_t a, size_t b,
    size_t i, outb *o, pending *pd, sm_err *err)
{
	size_t k = b - a, lacking = 0, n0 = pd->nhave, m0 = pd->need.n;
	uint64_t s[4], v[4];
	uint8_t fp[RECON_FP_LEN];

	if (g->bits_len != (k + 7) / 8)
		return sm_fail(err, SM_EMALFORMED, "recon: range %zu: bitmap of %zu bytes for %zu items",
		    i, g->bits_len, k);
	if (k % 8 && (g->bits[g->bits_len - 1] >> (k % 8)))
		return sm_fail(err, SM_EMALFORMED, "recon: range %zu: bits set past the last item", i);
	sub256(s, r->sum[b], r->sum[a]);
	for (size_t j = 0; j < k; j++) {
		if (g->bits[j / 8] & (1u << (j % 8))) {
			load256(v, r->items[a + j].id);
			sub256(s, s, v);
			lacking++;
			if (pend_have(pd, a + j) < 0)
				goto nomem;
		}
	}
	for (size_t j = 0; j < g->k; j++) {
		load256(v, g->ids + j * RECON_ID_LEN);
		add256(s, s, v);
		if (ids_push(&pd->need, g->ids + j * RECON_ID_LEN) < 0)
			goto nomem;
	}
	fp_of(s, k - lacking + g->k, fp);
	if (memcmp(fp, g->fp, RECON_FP_LEN) == 0)
		return outb_add(o, &g->upper, M_SKIP) ? 0 : sm_fail(err, SM_ENOMEM, "recon: out of memory");
	/* The answer does not reconcile the range: forget it. With prefixes,
	 * two different ids may share one; list the range again in full. */
	pd->nhave = n0;
	pd->need.n = m0;
	if (g->plen >= RECON_ID_LEN)
		return sm_fail(err, SM_EMALFORMED, "recon: range %zu: diff does not reconcile the range", i);
	return add_list(o, &g->upper, a, b, RECON_ID_LEN) < 0 ?
	    sm_fail(err, SM_ENOMEM, "recon: out of memory") : 0;
nomem:
	return sm_fail(err, SM_ENOMEM, "recon: out of memory");
}

/* Largest own item count for which a responder answers an IdList with a
 * Diff rather than splitting, so one Diff stays well inside a frame. */
static size_t diff_max(const recon_t *r)
{
	size_t m = r->frame_limit / 4 / RECON_ID_LEN;
	return m < RECON_LIST_BELOW ? RECON_LIST_BELOW : m > 4096 ? 4096 : m;
}

/* Below how many own items the initiator lists a range rather than
 * splitting it (responders ask for the list below RECON_LIST_BELOW).
 * - After an IdRequest the responder holds fewer than RECON_LIST_BELOW
 *   items there, so nearly all of ours are differences that must be named
 *   one by one anyway: list them at once, as many as a Diff may answer,
 *   instead of splitting level after level.
 * - On a mismatched Fingerprint, RECON_INIT_LIST_BELOW: a list of up to
 *   255 four-byte prefixes costs about two 16-bucket splits and saves
 *   their round trips. Since the first message is a single Fingerprint
 *   the responder splits first, so without this the initiator would meet
 *   ranges just above RECON_LIST_BELOW and pay a split and an IdRequest
 *   round before it may list.
 * Both are capped by diff_max, so a list takes at most a quarter of our
 * frame whatever prefix_len is. */
static size_t list_below(const recon_t *r, int mode)
{
	size_t cap = diff_max(r) + 1;

	if (mode == M_REQ || cap < RECON_INIT_LIST_BELOW)
		return cap;
	return RECON_INIT_LIST_BELOW;
}

/* A range whose contents differ (or the peer asked about): split it, or
 * list it (initiator) / ask for the list (responder) when it is small.
 * mode is the peer's range mode that made us open it. */
static int answer_open(const recon_t *r, const bound *upper, size_t a, size_t b,
    int mode, outb *o)
{
	if (!r->initiator) {
		if (b - a >= RECON_LIST_BELOW)
			return add_split(o, r, upper, a, b);
		return outb_add(o, upper, M_REQ) ? 0 : -1;
	}
	if (b - a >= list_below(r, mode))
		return add_split(o, r, upper, a, b);
	return add_list(o, upper, a, b, r->prefix_len);
}

/* Worst-case bytes our answer to g over own [a, b) can add. */
static size_t answer_max(const recon_t *r, const inrange *g, size_t a, size_t b)
{
	size_t c = b - a;
	size_t open = !r->initiator ? (c >= RECON_LIST_BELOW ? SPLIT_MAX : RANGE_HDR_MAX) :
	    c >= list_below(r, g->mode) ? SPLIT_MAX : list_max(c, r->prefix_len);

	switch (g->mode) {
	case M_SKIP: return RANGE_HDR_MAX;
	case M_FP: return open;
	case M_LIST: return c <= diff_max(r) ?
	    RANGE_HDR_MAX + 12 + c * RECON_ID_LEN + g->k / 8 + 1 + 2 + RECON_FP_LEN : SPLIT_MAX;
	case M_REQ: return open;
	default: return list_max(c, RECON_ID_LEN);	/* M_DIFF */
	}
}

static size_t answer_ids(const recon_t *r, const inrange *g, size_t a, size_t b)
{
	(void)r;
	(void)g;
	return b - a;
}

/* Hand the ids found in this message to the caller: all or nothing. */
static int commit(recon_t *r, pending *pd, recon_ids *have, recon_ids *need)
{
	size_t h0 = have ? have->n : 0, n0 = need ? need->n : 0;

	for (size_t j = 0; have && j < pd->nhave; j++) {
		size_t idx = pd->have[j];
		if (r->reported[idx / 8] & (1u << (idx % 8)))
			continue;
		if (ids_push(have, r->items[idx].id) < 0)
			goto fail;
	}
	for (size_t j = 0; need && j < pd->need.n; j++)
		if (ids_push(need, pd->need.id[j]) < 0)
			goto fail;
	for (size_t j = 0; j < pd->nhave; j++)
		r->reported[pd->have[j] / 8] |= (uint8_t)(1u << (pd->have[j] % 8));
	return 0;
fail:
	if (have)
		have->n = h0;
	if (need)
		need->n = n0;
	return -1;
}

int recon_initiate(recon_t *r, uint8_t **msg, size_t *len, sm_err *err)
{
	outb o = {0};
	bound inf = { .ts = INF_TS };
	int rc = -1;

	*msg = NULL;
	*len = 0;
	if (!r || r->started || r->dead)
		return sm_fail(err, SM_EINVAL, "recon: initiate on a used session");
	r->initiator = true;
	/* One fingerprint over the whole set. Periodic sessions almost
	 * always find the sets equal, and then this 26-byte message and the
	 * 3-byte empty answer are the whole session. When they differ, the
	 * responder splits (or asks for the list), which costs one message
	 * more than opening the range here would (see list_below). */
	if (add_fp(&o, r, &inf, 0, r->n) < 0) {
		sm_fail(err, SM_ENOMEM, "recon: out of memory");
		goto out;
	}
	if (outb_encode(&o, r, msg, len, err) < 0)
		goto out;
	r->started = true;
	rc = 0;
out:
	if (rc < 0)
		r->dead = true;
	outb_free(&o);
	return rc;
}

int recon_respond(recon_t *r, const uint8_t *in, size_t inlen, uint8_t **out,
    size_t *outlen, recon_ids *have, recon_ids *need, sm_err *err)
{
	codec_doc d;
	bool have_doc = false;
	inrange *ranges = NULL;
	size_t nr = 0, a = 0;
	outb o = {0};
	pending pd = {0};
	bool wants_reply = false;
	size_t answered = 0;	/* ranges that asked something, answered */
	int rc = -1;

	*out = NULL;
	*outlen = 0;
	if (!r || r->dead || r->done)
		return sm_fail(err, SM_EINVAL, "recon: session %s", r && r->done ? "finished" : "unusable");
	if (r->rounds >= r->max_rounds) {
		sm_fail(err, SM_EBOUND, "recon: more than %u rounds", r->max_rounds);
		goto out;
	}
	if (inlen > RECON_MAX_FRAME) {
		sm_fail(err, SM_EBOUND, "recon: message of %zu bytes, max %u", inlen, RECON_MAX_FRAME);
		goto out;
	}
	if (codec_decode(&d, in, inlen, 3, err) < 0) {
		sm_wrap(err, "recon: ");
		goto out;
	}
	have_doc = true;
	if (parse(r, &d, &ranges, &nr, err) < 0)
		goto out;

	for (size_t i = 0; i < nr; i++)
		if (ranges[i].mode != M_SKIP)
			wants_reply = true;
	if (!wants_reply) {
		/* The peer has nothing left to ask: we are finished. */
		r->started = true;
		r->done = true;
		r->rounds++;
		rc = 0;
		goto out;
	}

	for (size_t i = 0; i < nr; i++) {
		const inrange *g = &ranges[i];
		size_t b = index_of(r, a, &g->upper);

		/* Frame limit: once something has been answered, stop before a
		 * range whose answer might not fit, and send one fingerprint
		 * for everything from here on; the peer takes it up as a
		 * fresh mismatch next round. The first range is always
		 * answered, so every round makes progress. */
		if (answered > 0 && (o.est + answer_max(r, g, a, b) + FP_RANGE_MAX + MSG_HDR_MAX > r->frame_limit ||
		    o.n + RECON_BUCKETS + 1 > RECON_MAX_RANGES ||
		    o.nids + answer_ids(r, g, a, b) > RECON_MAX_IDS)) {
			bound inf = { .ts = INF_TS };
			if (add_fp(&o, r, &inf, a, r->n) < 0)
				goto nomem;
			break;
		}
		switch (g->mode) {
		case M_SKIP:
			if (!outb_add(&o, &g->upper, M_SKIP))
				goto nomem;
			break;
		case M_FP: {
			uint8_t fp[RECON_FP_LEN];
			range_fp(r, a, b, fp);
			if (memcmp(fp, g->fp, RECON_FP_LEN) == 0) {
				if (!outb_add(&o, &g->upper, M_SKIP))
					goto nomem;
			} else if (answer_open(r, &g->upper, a, b, M_FP, &o) < 0) {
				goto nomem;
			}
			break;
		}
		case M_LIST:
			if (b - a <= diff_max(r)) {
				if (answer_list(r, g, a, b, &o, &pd, err) < 0)
					goto out;
			} else if (add_split(&o, r, &g->upper, a, b) < 0) {
				goto nomem;
			}
			break;
		case M_REQ:
			/* The responder holds few items here; list ours or, if
			 * we hold many, split them first. */
			if (answer_open(r, &g->upper, a, b, M_REQ, &o) < 0)
				goto nomem;
			break;
		case M_DIFF:
			if (apply_diff(r, g, a, b, i, &o, &pd, err) < 0)
				goto out;
			break;
		}
		a = b;
		if (g->mode != M_SKIP)
			answered++;
	}

	if (outb_encode(&o, r, out, outlen, err) < 0)
		goto out;
	if (commit(r, &pd, have, need) < 0) {
		free(*out);
		*out = NULL;
		*outlen = 0;
		goto nomem;
	}
	/* A reply made only of skips needs no answer: after it, both
	 * sides are finished. */
	{
		bool open = false;
		for (size_t i = 0; i < o.n; i++)
			if (o.r[i].mode != M_SKIP)
				open = true;
		if (!open)
			r->done = true;
	}
	r->started = true;
	r->rounds++;
	rc = 0;
	goto out;
nomem:
	sm_fail(err, SM_ENOMEM, "recon: out of memory");
out:
	if (rc < 0) {
		r->dead = true;
		free(*out);
		*out = NULL;
		*outlen = 0;
	}
	outb_free(&o);
	free(pd.have);
	recon_ids_free(&pd.need);
	free(ranges);
	if (have_doc)
		codec_doc_free(&d);
	return rc;
}
