/*
 * proto/wire.c — peer frames; see wire.h and PROTOCOL.md §10.
 *
 * Payload encodings (all canonical msgpack, §2):
 *   HELLO    map {1: [[sig bin32, version uint]...], 2: started_ms uint (optional)}
 *   OBJECTS  array of bin (each <= SM_MAX_OBJECT), 1..WIRE_MAX_OBJECTS
 *   IHAVE    map {1: [bin32...]}
 *   WANT     map {1: [bin32...], 2: true (graft, only when set)}
 *   PRUNE    map {1: bin32 scope}
 *   ROSTER   map {1: sig bin32, 2: from uint, 3: [bin...] (absent: request)}
 *   RECON    map {1: session uint, 2: msg bin, 3: true (fin, only when set),
 *            4: true (direct scope, only when set)}
 */
#include <stdlib.h>
#include <string.h>
#include "proto/codec.h"
#include "proto/wire.h"

static const char *const kind_names[WIRE_KIND_MAX] = {
	[WIRE_HELLO] = "hello", [WIRE_OBJECTS] = "objects", [WIRE_IHAVE] = "ihave",
	[WIRE_WANT] = "want", [WIRE_PRUNE] = "prune", [WIRE_ROSTER] = "roster",
	[WIRE_RECON] = "recon",
};

const char *wire_kind_name(uint8_t kind)
{
	return kind < WIRE_KIND_MAX && kind_names[kind] ? kind_names[kind] : "unknown";
}

static int ids_array(const msgpack_object *o, wire_frame *f, const char *what, sm_err *err)
{
	const msgpack_object *it;
	uint32_t n;

	if (codec_as_array(o, WIRE_MAX_IDS, &it, &n, what, err) < 0)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *p;
		size_t l;
		if (codec_as_bin(&it[i], SM_ID_LEN, SM_ID_LEN, &p, &l, what, err) < 0)
			return -1;
		f->ids[i] = p;
	}
	f->n_ids = n;
	return 0;
}


/* An optional flag, present only when true (§10.2): one encoding per
 * frame, so a flag written as false is refused. */
static int get_flag(codec_map *m, uint64_t key, bool *out, sm_err *err)
{
	const msgpack_object *o = codec_map_field(m, key);

	*out = false;
	if (!o)
		return 0;
	if (o->type != MSGPACK_OBJECT_BOOLEAN)
		return sm_fail(err, SM_EMALFORMED, "%s.%llu: expected a boolean", m->what,
		    (unsigned long long)key);
	if (!o->via.boolean)
		return sm_fail(err, SM_ENONCANON, "%s.%llu: a flag is present only when true, false must be omitted",
		    m->what, (unsigned long long)key);
	*out = true;
	return 0;
}

static int decode_payload(const msgpack_object *p, wire_frame *f, sm_err *err)
{
	codec_map m;
	const msgpack_object *it;
	uint32_t n;

	switch (f->kind) {
	case WIRE_HELLO:
		if (codec_map_begin(&m, p, "hello", err) < 0 ||
		    codec_get_array(&m, 1, true, WIRE_MAX_HEADS, &it, &n, err) < 0)
			return -1;
		for (uint32_t i = 0; i < n; i++) {
			const msgpack_object *pair;
			uint32_t k;
			if (codec_as_array(&it[i], 2, &pair, &k, "hello.head", err) < 0)
				return -1;
			if (k != 2)
				return sm_fail(err, SM_EMALFORMED, "hello.head: expected [sig, version]");
			if (codec_as_binfix(&pair[0], f->heads[i].sig, SM_ID_LEN, "hello.head.sig", err) < 0 ||
			    codec_as_uint(&pair[1], 1, UINT32_MAX, &f->heads[i].version, "hello.head.version", err) < 0)
				return -1;
		}
		f->n_heads = n;
		if (codec_get_uint(&m, 2, false, 1, UINT64_MAX, &f->started_ms, err) < 0)
			return -1;
		return codec_map_end(&m, err);
	case WIRE_OBJECTS:
		if (codec_as_array(p, WIRE_MAX_OBJECTS, &it, &n, "objects", err) < 0)
			return -1;
		if (n == 0)
			return sm_fail(err, SM_EMALFORMED, "objects: empty");
		for (uint32_t i = 0; i < n; i++)
			if (codec_as_bin(&it[i], 1, SM_MAX_OBJECT, &f->objs[i], &f->obj_lens[i],
			    "objects.object", err) < 0)
				return -1;
		f->n_objs = n;
		return 0;
	case WIRE_IHAVE:
	case WIRE_WANT:
		if (codec_map_begin(&m, p, wire_kind_name(f->kind), err) < 0)
			return -1;
		it = codec_map_field(&m, 1);
		if (!it)
			return sm_fail(err, SM_EMALFORMED, "%s: missing ids", wire_kind_name(f->kind));
		if (ids_array(it, f, wire_kind_name(f->kind), err) < 0)
			return -1;
		if (f->kind == WIRE_WANT) {
			if (get_flag(&m, 2, &f->graft, err) < 0)
				return -1;
		}
		return codec_map_end(&m, err);
	case WIRE_PRUNE:
		if (codec_map_begin(&m, p, "prune", err) < 0 ||
		    codec_get_binfix(&m, 1, true, f->sig, SM_ID_LEN, err) < 0)
			return -1;
		return codec_map_end(&m, err);
	case WIRE_ROSTER:
		if (codec_map_begin(&m, p, "roster", err) < 0 ||
		    codec_get_binfix(&m, 1, true, f->sig, SM_ID_LEN, err) < 0 ||
		    codec_get_uint(&m, 2, true, 0, UINT32_MAX, &f->from, err) < 0 ||
		    codec_get_array(&m, 3, false, WIRE_MAX_ENTRIES, &it, &n, err) < 0)
			return -1;
		for (uint32_t i = 0; i < n; i++)
			if (codec_as_bin(&it[i], 1, 256 * 1024, &f->entries[i], &f->entry_lens[i],
			    "roster.entry", err) < 0)
				return -1;
		f->n_entries = n;
		return codec_map_end(&m, err);
	case WIRE_RECON:
		if (codec_map_begin(&m, p, "recon", err) < 0 ||
		    codec_get_uint(&m, 1, true, 0, UINT64_MAX, &f->session, err) < 0 ||
		    codec_get_bin(&m, 2, true, 0, WIRE_MAX_FRAME, &f->recon, &f->recon_len, err) < 0 ||
		    get_flag(&m, 3, &f->recon_fin, err) < 0 ||
		    get_flag(&m, 4, &f->recon_direct, err) < 0)
			return -1;
		return codec_map_end(&m, err);
	default:
		return sm_fail(err, SM_ETYPE, "frame kind %u unknown", f->kind);
	}
}

int wire_decode(const uint8_t *buf, size_t len, wire_frame *f, sm_err *err)
{
	codec_doc doc;
	const msgpack_object *top;
	uint32_t n;
	uint64_t v, kind;
	int rc = -1;

	memset(f, 0, offsetof(wire_frame, heads));
	f->n_heads = f->n_objs = f->n_ids = f->n_entries = 0;
	f->started_ms = 0;
	f->graft = f->recon_fin = f->recon_direct = false;
	f->recon = NULL;
	f->recon_len = 0;
	if (len > WIRE_MAX_FRAME)
		return sm_fail(err, SM_EBOUND, "frame of %zu bytes, max %u", len, WIRE_MAX_FRAME);
	if (codec_decode(&doc, buf, len, 6, err) < 0)
		return sm_wrap(err, "frame: ");
	if (codec_as_array(doc.root, 3, &top, &n, "frame", err) < 0)
		goto out;
	if (n != 3) {
		sm_fail(err, SM_EMALFORMED, "frame: expected [version, kind, payload]");
		goto out;
	}
	if (codec_as_uint(&top[0], 0, UINT8_MAX, &v, "frame.version", err) < 0)
		goto out;
	if (v != WIRE_VERSION) {
		sm_fail(err, SM_EVERSION, "frame version %llu, this node speaks %d",
		    (unsigned long long)v, WIRE_VERSION);
		goto out;
	}
	if (codec_as_uint(&top[1], 0, UINT8_MAX, &kind, "frame.kind", err) < 0)
		goto out;
	f->kind = (uint8_t)kind;
	rc = decode_payload(&top[2], f, err);
out:
	codec_doc_free(&doc);
	if (rc < 0)
		f->kind = 0;
	return rc;
}

static void head(codec_w *w, uint8_t kind)
{
	codec_w_init(w);
	codec_w_array(w, 3);
	codec_w_uint(w, WIRE_VERSION);
	codec_w_uint(w, kind);
}

uint8_t *wire_hello(const sm_roster_ref *heads, uint32_t n, uint64_t started_ms, size_t *len)
{
	codec_w w;

	head(&w, WIRE_HELLO);
	codec_w_map(&w, started_ms ? 2 : 1);
	codec_w_uint(&w, 1);
	codec_w_array(&w, n);
	for (uint32_t i = 0; i < n; i++) {
		codec_w_array(&w, 2);
		codec_w_bin(&w, heads[i].sig, SM_ID_LEN);
		codec_w_uint(&w, heads[i].version);
	}
	if (started_ms) {
		codec_w_uint(&w, 2);
		codec_w_uint(&w, started_ms);
	}
	return codec_w_take(&w, len);
}

uint8_t *wire_objects(const uint8_t *const *objs, const size_t *lens, uint32_t n, size_t *len)
{
	codec_w w;
	size_t total = 16;	/* frame head and array header */

	for (uint32_t i = 0; i < n; i++)
		total += 5 + lens[i];	/* bin 32 header and bytes */
	head(&w, WIRE_OBJECTS);
	codec_w_reserve(&w, total);
	codec_w_array(&w, n);
	for (uint32_t i = 0; i < n; i++)
		codec_w_bin(&w, objs[i], lens[i]);
	return codec_w_take(&w, len);
}

uint8_t *wire_ids(uint8_t kind, const uint8_t (*ids)[SM_ID_LEN], uint32_t n, bool graft, size_t *len)
{
	codec_w w;
	bool g = kind == WIRE_WANT && graft;

	head(&w, kind);
	codec_w_map(&w, g ? 2 : 1);
	codec_w_uint(&w, 1);
	codec_w_array(&w, n);
	for (uint32_t i = 0; i < n; i++)
		codec_w_bin(&w, ids[i], SM_ID_LEN);
	if (g) {
		codec_w_uint(&w, 2);
		codec_w_bool(&w, true);
	}
	return codec_w_take(&w, len);
}

uint8_t *wire_prune(const uint8_t sig[SM_ID_LEN], size_t *len)
{
	codec_w w;

	head(&w, WIRE_PRUNE);
	codec_w_map(&w, 1);
	codec_w_uint(&w, 1);
	codec_w_bin(&w, sig, SM_ID_LEN);
	return codec_w_take(&w, len);
}

uint8_t *wire_roster(const uint8_t sig[SM_ID_LEN], uint64_t from,
    const uint8_t *const *entries, const size_t *lens, uint32_t n, size_t *len)
{
	codec_w w;

	head(&w, WIRE_ROSTER);
	codec_w_map(&w, n ? 3 : 2);
	codec_w_uint(&w, 1);
	codec_w_bin(&w, sig, SM_ID_LEN);
	codec_w_uint(&w, 2);
	codec_w_uint(&w, from);
	if (n) {
		codec_w_uint(&w, 3);
		codec_w_array(&w, n);
		for (uint32_t i = 0; i < n; i++)
			codec_w_bin(&w, entries[i], lens[i]);
	}
	return codec_w_take(&w, len);
}

uint8_t *wire_recon(uint64_t session, bool fin, bool direct, const uint8_t *msg, size_t msg_len,
    size_t *len)
{
	codec_w w;

	head(&w, WIRE_RECON);
	codec_w_map(&w, 2 + fin + direct);
	codec_w_uint(&w, 1);
	codec_w_uint(&w, session);
	codec_w_uint(&w, 2);
	codec_w_bin(&w, msg ? msg : (const uint8_t *)"", msg_len);
	if (fin) {
		codec_w_uint(&w, 3);
		codec_w_bool(&w, true);
	}
	if (direct) {
		codec_w_uint(&w, 4);
		codec_w_bool(&w, true);
	}
	return codec_w_take(&w, len);
}
