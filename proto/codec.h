/*
 * proto/codec.h — sigmesh's canonical msgpack, on top of msgpack-c.
 *
 * Canonical form (PROTOCOL.md §2): every integer, string, binary, array and
 * map header in its shortest msgpack encoding; no floats, no negative
 * integers, no ext types; maps keyed by unsigned integers in strictly
 * ascending order. One logical message therefore has exactly one encoding,
 * which is what makes signatures and ids stable across implementations.
 *
 * Writing: codec_w wraps msgpack-c's packer, which already chooses the
 * shortest forms; callers emit map keys in ascending order.
 *
 * Reading: codec_decode first scans the bytes (codec_scan) and rejects
 * anything non-canonical, truncated, trailing, deeper than max_depth, or
 * declaring more elements or bytes than remain in the input. Only then is
 * msgpack-c's unpacker run. msgpack-c's C API has no size limits of its own
 * (it allocates a declared array before reading its elements), so the scan
 * is what bounds its allocation to a small multiple of the input length.
 *
 * Caveats: strings and binaries in a decoded document point into the input
 * buffer; the buffer must outlive the codec_doc, and neither is
 * NUL-terminated.
 */
#ifndef SIGMESH_CODEC_H
#define SIGMESH_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <msgpack.h>
#include "proto/err.h"

#define CODEC_MAX_DEPTH 16

/* ---- writing ---------------------------------------------------------- */

/* The buffer starts at CODEC_W_MIN bytes and doubles as needed, not at
 * msgpack-c's sbuffer's fixed 8 KiB: most frames (IHAVE, WANT, HELLO,
 * reconciliation) are tens to hundreds of bytes. heaptrack on a node of
 * the 10-minute soak counted about 7,500 8 KiB frame buffers (3,566 for
 * IHAVE alone), each freed right after the send. */
#define CODEC_W_MIN 256

typedef struct codec_w {
	uint8_t *buf;		/* owned; released by codec_w_free or taken */
	size_t len, cap;
	msgpack_packer pk;
	bool failed;		/* an allocation failed; the buffer is void */
} codec_w;

void codec_w_init(codec_w *w);
void codec_w_free(codec_w *w);
/* Make room for n more bytes at once (a frame of known size); a failure
 * marks the writer failed, as any other write would. */
void codec_w_reserve(codec_w *w, size_t n);
void codec_w_uint(codec_w *w, uint64_t v);
void codec_w_bool(codec_w *w, bool v);
void codec_w_nil(codec_w *w);
void codec_w_bin(codec_w *w, const void *p, size_t n);
void codec_w_str(codec_w *w, const char *s, size_t n);
void codec_w_cstr(codec_w *w, const char *s);	/* s may be NULL: "" */
void codec_w_array(codec_w *w, uint32_t n);
void codec_w_map(codec_w *w, uint32_t n);
/* Append bytes that are already one canonical msgpack object. */
void codec_w_raw(codec_w *w, const void *p, size_t n);

/* Hand the encoded bytes to the caller, who frees them with free().
 * Returns NULL (and frees the buffer) if any write failed. The writer is
 * reset and may be reused. */
uint8_t *codec_w_take(codec_w *w, size_t *len);

/* ---- reading ---------------------------------------------------------- */

typedef struct codec_doc {
	msgpack_unpacked u;	/* owns the zone the objects live in */
	const msgpack_object *root;
} codec_doc;

/* Check that buf[0..len) is exactly one canonical msgpack object nested at
 * most max_depth deep. Returns 0, or -1 with SM_EMALFORMED, SM_ENONCANON,
 * SM_ETRAILING, SM_EBOUND or SM_EDEPTH and the byte offset in the message. */
int codec_scan(const uint8_t *buf, size_t len, unsigned max_depth,
    sm_err *err) __attribute__((warn_unused_result));

/* codec_scan, then unpack. On success doc->root is the top object and the
 * caller must call codec_doc_free. On failure nothing needs freeing. */
int codec_decode(codec_doc *doc, const uint8_t *buf, size_t len,
    unsigned max_depth, sm_err *err) __attribute__((warn_unused_result));
void codec_doc_free(codec_doc *doc);

/*
 * Walking a map with integer keys. Fields are fetched in ascending key
 * order with codec_get_*; each call consumes its key if present. "what"
 * names the map in error messages ("report", "audience"). A strict map
 * fails on any key no getter asked for; a lenient map (codec_map_lenient,
 * used only where PROTOCOL.md says a map is extensible, like the report
 * body) steps over keys it does not know, so old readers accept new fields.
 */
typedef struct codec_map {
	const msgpack_object_kv *kv;
	uint32_t n, i;
	const char *what;
	bool lenient;		/* skip unknown keys instead of failing */
} codec_map;

int codec_map_begin(codec_map *m, const msgpack_object *o, const char *what,
    sm_err *err) __attribute__((warn_unused_result));
static inline void codec_map_lenient(codec_map *m) { m->lenient = true; }
int codec_map_end(codec_map *m, sm_err *err) __attribute__((warn_unused_result));
/* The value under key (consumed), or NULL if absent. In a strict map an
 * unconsumed lower key stops the walk and codec_map_end reports it. */
const msgpack_object *codec_map_field(codec_map *m, uint64_t key);

/* Typed getters. A missing required field fails with SM_EMALFORMED; a
 * missing optional field leaves the outputs zero/NULL and returns 0. */
int codec_get_uint(codec_map *m, uint64_t key, bool required, uint64_t min,
    uint64_t max, uint64_t *out, sm_err *err) __attribute__((warn_unused_result));
int codec_get_bool(codec_map *m, uint64_t key, bool required, bool *out,
    sm_err *err) __attribute__((warn_unused_result));
int codec_get_bin(codec_map *m, uint64_t key, bool required, size_t minlen,
    size_t maxlen, const uint8_t **p, size_t *n, sm_err *err)
    __attribute__((warn_unused_result));
/* Exactly n bytes, copied to out. */
int codec_get_binfix(codec_map *m, uint64_t key, bool required, uint8_t *out,
    size_t n, sm_err *err) __attribute__((warn_unused_result));
/* Valid UTF-8 without NUL, at most maxlen bytes. */
int codec_get_str(codec_map *m, uint64_t key, bool required, size_t maxlen,
    const char **p, size_t *n, sm_err *err) __attribute__((warn_unused_result));
/* As codec_get_str, copied into a fresh NUL-terminated malloc'd string
 * the caller frees (NULL when the optional field is absent). */
int codec_get_strdup(codec_map *m, uint64_t key, bool required, size_t maxlen,
    char **out, sm_err *err) __attribute__((warn_unused_result));
int codec_get_array(codec_map *m, uint64_t key, bool required, uint32_t maxn,
    const msgpack_object **items, uint32_t *n, sm_err *err)
    __attribute__((warn_unused_result));

/* The same checks for a bare object (array elements). "what" names it. */
int codec_as_uint(const msgpack_object *o, uint64_t min, uint64_t max,
    uint64_t *out, const char *what, sm_err *err) __attribute__((warn_unused_result));
int codec_as_bin(const msgpack_object *o, size_t minlen, size_t maxlen,
    const uint8_t **p, size_t *n, const char *what, sm_err *err)
    __attribute__((warn_unused_result));
int codec_as_binfix(const msgpack_object *o, uint8_t *out, size_t n,
    const char *what, sm_err *err) __attribute__((warn_unused_result));
int codec_as_str(const msgpack_object *o, size_t maxlen, const char **p,
    size_t *n, const char *what, sm_err *err) __attribute__((warn_unused_result));
int codec_as_strdup(const msgpack_object *o, size_t maxlen, char **out,
    const char *what, sm_err *err) __attribute__((warn_unused_result));
int codec_as_array(const msgpack_object *o, uint32_t maxn,
    const msgpack_object **items, uint32_t *n, const char *what, sm_err *err)
    __attribute__((warn_unused_result));

/* True if s[0..n) is well-formed UTF-8 (no overlongs, no surrogates) with
 * no NUL byte. */
bool codec_utf8_ok(const char *s, size_t n);

#endif
