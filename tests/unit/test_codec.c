/* tests/unit/test_codec.c — canonical msgpack scan and strict getters. */
#include "tests/test.h"
#include <pthread.h>
#include "proto/codec.h"

static int scan(const char *hex, unsigned depth, int *code)
{
	uint8_t b[256];
	size_t n = strlen(hex) / 2;
	sm_err e = {0};

	for (size_t i = 0; i < n; i++)
		sscanf(hex + 2 * i, "%2hhx", &b[i]);
	int rc = codec_scan(b, n, depth, &e);
	*code = e.code;
	return rc;
}

static void test_canonical_accepted(void)
{
	int c;
	CHECK(scan("00", 4, &c) == 0);
	CHECK(scan("cc80", 4, &c) == 0);
	CHECK(scan("cd0100", 4, &c) == 0);
	CHECK(scan("82010203c3", 4, &c) == 0);	/* {1:2, 3:true} */
	CHECK(scan("c40100", 4, &c) == 0);	/* bin8 of 1 byte */
	CHECK(scan("90", 4, &c) == 0);
}

static void test_noncanonical_rejected(void)
{
	int c;
	CHECK(scan("cc05", 4, &c) < 0 && c == SM_ENONCANON);	/* uint8 for 5 */
	CHECK(scan("cd00ff", 4, &c) < 0 && c == SM_ENONCANON);
	CHECK(scan("d90161", 4, &c) < 0 && c == SM_ENONCANON);	/* str8 "a" */
	CHECK(scan("dc000100", 4, &c) < 0 && c == SM_ENONCANON);	/* array16 of 1 */
	CHECK(scan("cb0000000000000000", 4, &c) < 0 && c == SM_EMALFORMED);
	CHECK(scan("ff", 4, &c) < 0 && c == SM_EMALFORMED);
	CHECK(scan("c1", 4, &c) < 0 && c == SM_EMALFORMED);
}

static void test_bounds_and_bombs(void)
{
	int c;
	CHECK(scan("ddffffffff", 4, &c) < 0 && c == SM_EBOUND);	/* 4G-element array */
	CHECK(scan("dfffffffff", 4, &c) < 0 && c == SM_EBOUND);
	CHECK(scan("c6ffffffff00", 4, &c) < 0 && c == SM_EBOUND);
	CHECK(scan("a5616263", 4, &c) < 0 && c == SM_EBOUND);	/* str of 5, 3 left */
	CHECK(scan("919191919100", 4, &c) < 0 && c == SM_EDEPTH);
	CHECK(scan("9191919100", 4, &c) == 0);
	CHECK(scan("0000", 4, &c) < 0 && c == SM_ETRAILING);
	CHECK(scan("92", 4, &c) < 0 && c == SM_EBOUND);
	CHECK(scan("", 4, &c) < 0 && c == SM_EMALFORMED);
}

static void test_roundtrip_and_getters(void)
{
	codec_w w;
	codec_doc d;
	codec_map m;
	sm_err e = {0};
	size_t n;
	uint64_t u;
	const char *s;
	size_t sl;

	codec_w_init(&w);
	codec_w_map(&w, 3);
	codec_w_uint(&w, 1); codec_w_uint(&w, 300);
	codec_w_uint(&w, 2); codec_w_cstr(&w, "sigmesh");
	codec_w_uint(&w, 7); codec_w_bool(&w, true);
	uint8_t *b = codec_w_take(&w, &n);
	CHECK(b != NULL);
	CHECK(codec_decode(&d, b, n, 4, &e) == 0);
	CHECK(codec_map_begin(&m, d.root, "t", &e) == 0);
	CHECK(codec_get_uint(&m, 1, true, 0, 1000, &u, &e) == 0 && u == 300);
	CHECK(codec_get_str(&m, 2, true, 64, &s, &sl, &e) == 0 && sl == 7 && !memcmp(s, "sigmesh", 7));
	/* key 7 left unread: a strict map must refuse it */
	CHECK(codec_map_end(&m, &e) < 0 && e.code == SM_EMALFORMED);
	CHECK(strstr(e.msg, "unknown field 7") != NULL);
	sm_err_clear(&e);
	CHECK(codec_map_begin(&m, d.root, "t", &e) == 0);
	codec_map_lenient(&m);
	CHECK(codec_get_str(&m, 2, true, 64, &s, &sl, &e) == 0);
	CHECK(codec_map_end(&m, &e) == 0);
	sm_err_clear(&e);
	CHECK(codec_map_begin(&m, d.root, "t", &e) == 0);
	CHECK(codec_get_uint(&m, 1, true, 0, 100, &u, &e) < 0 && e.code == SM_EBOUND);
	codec_doc_free(&d);
	free(b);
}

static void test_map_order(void)
{
	int c;
	codec_doc d;
	codec_map m;
	sm_err e = {0};
	uint8_t dup[] = { 0x82, 0x01, 0x00, 0x01, 0x00 };
	uint8_t desc[] = { 0x82, 0x02, 0x00, 0x01, 0x00 };

	CHECK(scan("820100", 4, &c) < 0);
	CHECK(codec_decode(&d, dup, sizeof dup, 4, &e) == 0);
	CHECK(codec_map_begin(&m, d.root, "t", &e) < 0 && strstr(e.msg, "twice"));
	codec_doc_free(&d);
	sm_err_clear(&e);
	CHECK(codec_decode(&d, desc, sizeof desc, 4, &e) == 0);
	CHECK(codec_map_begin(&m, d.root, "t", &e) < 0 && e.code == SM_ENONCANON);
	codec_doc_free(&d);
}

static void test_utf8(void)
{
	CHECK(codec_utf8_ok("abc", 3));
	CHECK(codec_utf8_ok("\xe6\x97\xa5\xe6\x9c\xac", 6));
	CHECK(!codec_utf8_ok("\xc0\xaf", 2));		/* overlong */
	CHECK(!codec_utf8_ok("\xed\xa0\x80", 3));	/* surrogate */
	CHECK(!codec_utf8_ok("a\0b", 3));
	CHECK(!codec_utf8_ok("\xe6\x97", 2));		/* truncated */
}

/* Decode n documents {1: i} and hold them all open at once. */
static int open_many(codec_doc *d, int n)
{
	int bad = 0;
	for (int i = 0; i < n; i++) {
		uint8_t b[3] = { 0x81, 0x01, (uint8_t)i };
		sm_err e = {0};
		codec_map m;
		uint64_t u;
		/* the bytes must outlive the doc only for strings; ints are copied */
		if (codec_decode(&d[i], b, sizeof b, 4, &e) < 0 ||
		    codec_map_begin(&m, d[i].root, "t", &e) < 0 ||
		    codec_get_uint(&m, 1, true, 0, 127, &u, &e) < 0 || u != (uint64_t)i)
			bad++;
	}
	for (int i = 0; i < n; i++)
		if (d[i].root->via.map.ptr[0].val.via.u64 != (uint64_t)i)
			bad++;
	return bad;
}

static void *decode_and_exit(void *arg)
{
	codec_doc d[6];
	int *bad = arg;
	*bad = open_many(d, 6);
	for (int i = 0; i < 6; i++)
		codec_doc_free(&d[i]);
	return NULL;	/* the thread's cached zones are freed at exit (ASan's leak check) */
}

/* Zones are reused per thread: more documents open at once than the cache
 * holds stay distinct, a freed document can be freed again, a refused
 * decode leaves nothing to free, and an exiting thread leaks nothing. */
static void test_zone_reuse(void)
{
	codec_doc d[6];
	sm_err e = {0};
	int bad = -1;
	pthread_t t;

	for (int round = 0; round < 3; round++) {
		CHECK(open_many(d, 6) == 0);
		for (int i = 0; i < 6; i++)
			codec_doc_free(&d[i]);
		CHECK(d[0].root == NULL);
		codec_doc_free(&d[0]);
	}
	CHECK(codec_decode(&d[0], (const uint8_t *)"\x92\x01", 2, 4, &e) < 0 &&
	    e.code == SM_EBOUND && d[0].root == NULL);
	codec_doc_free(&d[0]);
	CHECK(pthread_create(&t, NULL, decode_and_exit, &bad) == 0);
	CHECK(pthread_join(t, NULL) == 0 && bad == 0);
}

/* The writer's buffer fits what was written: a small frame takes
 * CODEC_W_MIN bytes, not a fixed 8 KiB; large ones grow by doubling, a
 * reservation sizes it at once, and the bytes are the same either way. */
static void test_writer_buffer(void)
{
	codec_w w;
	uint8_t big[20000];
	uint8_t *a, *b;
	size_t la, lb;

	codec_w_init(&w);
	codec_w_array(&w, 2);
	codec_w_uint(&w, 1);
	codec_w_uint(&w, 300);
	CHECK(w.len == 5 && w.cap == CODEC_W_MIN);
	a = codec_w_take(&w, &la);
	CHECK(a && la == 5 && !memcmp(a, "\x92\x01\xcd\x01\x2c", 5));
	CHECK(w.buf == NULL && w.len == 0 && w.cap == 0);	/* reset for reuse */
	free(a);

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	codec_w_bin(&w, big, sizeof(big));
	CHECK(w.len == sizeof(big) + 3 && w.cap == 32768);	/* 256 doubled to fit */
	a = codec_w_take(&w, &la);
	codec_w_reserve(&w, sizeof(big) + 3);
	CHECK(!w.failed && w.cap == 32768);
	codec_w_bin(&w, big, sizeof(big));
	CHECK(w.cap == 32768);		/* no growth after the reservation */
	b = codec_w_take(&w, &lb);
	CHECK(a && b && la == lb && !memcmp(a, b, la));
	CHECK(la == sizeof(big) + 3 && a[0] == 0xc5 && !memcmp(a + 3, big, sizeof(big)));
	free(a);
	free(b);

	codec_w_reserve(&w, SIZE_MAX - 8);	/* impossible: the writer fails */
	CHECK(w.failed);
	codec_w_uint(&w, 1);
	CHECK(codec_w_take(&w, &la) == NULL && la == 0);
	CHECK(!w.failed);		/* and is reset */
}

int main(void)
{
	RUN(test_canonical_accepted);
	RUN(test_noncanonical_rejected);
	RUN(test_bounds_and_bombs);
	RUN(test_roundtrip_and_getters);
	RUN(test_map_order);
	RUN(test_utf8);
	RUN(test_zone_reuse);
	RUN(test_writer_buffer);
	TEST_EXIT();
}
