/*
 * tests/fuzz/fuzz_codec.c — codec_decode on arbitrary bytes, then a walk
 * of whatever decoded through every typed accessor, so the scanner's
 * promises (canonical, bounded, no trailing bytes) are checked against
 * msgpack-c's own view of the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "proto/codec.h"

static void walk(const msgpack_object *o, int depth)
{
	const msgpack_object *it;
	const uint8_t *p;
	const char *s;
	size_t n;
	uint32_t k;
	uint64_t u;
	codec_map m;

	if (depth > CODEC_MAX_DEPTH)
		abort();	/* the scan bounds depth */
	switch (o->type) {
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		if (codec_as_uint(o, 0, UINT64_MAX, &u, "u", NULL) < 0 || u != o->via.u64)
			abort();
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
	case MSGPACK_OBJECT_EXT:
		abort();	/* never canonical */
	case MSGPACK_OBJECT_BIN:
		if (codec_as_bin(o, 0, SIZE_MAX, &p, &n, "b", NULL) < 0)
			abort();
		break;
	case MSGPACK_OBJECT_STR:
		(void)codec_as_str(o, SIZE_MAX, &s, &n, "s", NULL);
		break;
	case MSGPACK_OBJECT_ARRAY:
		if (codec_as_array(o, UINT32_MAX, &it, &k, "a", NULL) < 0)
			abort();
		for (uint32_t i = 0; i < k; i++)
			walk(&it[i], depth + 1);
		break;
	case MSGPACK_OBJECT_MAP:
		if (codec_map_begin(&m, o, "m", NULL) == 0) {
			codec_map_lenient(&m);
			for (uint32_t i = 0; i < o->via.map.size; i++)
				if (!codec_map_field(&m, o->via.map.ptr[i].key.via.u64))
					abort();
			if (codec_map_end(&m, NULL) < 0)
				abort();
		}
		for (uint32_t i = 0; i < o->via.map.size; i++) {
			walk(&o->via.map.ptr[i].key, depth + 1);
			walk(&o->via.map.ptr[i].val, depth + 1);
		}
		break;
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	codec_doc d;
	sm_err e = {0};

	if (codec_decode(&d, data, size, CODEC_MAX_DEPTH, &e) < 0) {
		if (e.code == SM_OK)
			abort();
		return 0;
	}
	walk(d.root, 0);
	/* Canonical means msgpack-c re-encodes exactly the same bytes. */
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if (msgpack_pack_object(&pk, *d.root) == 0 && (sb.size != size || memcmp(sb.data, data, size) != 0))
		abort();
	msgpack_sbuffer_destroy(&sb);
	codec_doc_free(&d);
	return 0;
}
