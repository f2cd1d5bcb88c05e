/*
 * tests/fuzz/fuzz_wire.c — arbitrary bytes into wire_decode, the first
 * thing a node does with a frame from a peer.
 *
 * On success every pointer the frame hands out must lie inside the input,
 * every count within its bound, and each object of an OBJECTS frame goes on
 * to msg_object_split (as the gossip loop does before dedup). Frames we
 * encode from what was decoded must decode again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "proto/wire.h"

static wire_frame f, g;	/* about 100 KiB each: not on the stack */

static void inside(const uint8_t *base, size_t size, const uint8_t *p, size_t n)
{
	if (n && (!p || p < base || n > size || p > base + size - n))
		abort();	/* a pointer outside the input */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sm_err e = {0};
	uint8_t *enc = NULL;
	size_t len = 0;
	sm_object o;

	if (wire_decode(data, size, &f, &e) < 0) {
		if (e.code == SM_OK || f.kind != 0)
			abort();	/* failures name their code and leave no kind */
		return 0;
	}
	if (f.n_heads > WIRE_MAX_HEADS || f.n_objs > WIRE_MAX_OBJECTS ||
	    f.n_ids > WIRE_MAX_IDS || f.n_entries > WIRE_MAX_ENTRIES)
		abort();
	for (uint32_t i = 0; i < f.n_objs; i++) {
		inside(data, size, f.objs[i], f.obj_lens[i]);
		if (msg_object_split(f.objs[i], f.obj_lens[i], &o, NULL) == 0 && !o.tbs)
			abort();
	}
	for (uint32_t i = 0; i < f.n_ids; i++)
		inside(data, size, f.ids[i], SM_ID_LEN);
	for (uint32_t i = 0; i < f.n_entries; i++)
		inside(data, size, f.entries[i], f.entry_lens[i]);
	inside(data, size, f.recon, f.recon_len);
	(void)wire_kind_name(f.kind);

	/* Our own encoders on what we decoded: the result must decode. */
	switch (f.kind) {
	case WIRE_HELLO:
		enc = wire_hello(f.heads, f.n_heads, f.started_ms, &len);
		break;
	case WIRE_OBJECTS:
		enc = wire_objects(f.objs, f.obj_lens, f.n_objs, &len);
		break;
	case WIRE_PRUNE:
		enc = wire_prune(f.sig, &len);
		break;
	case WIRE_ROSTER:
		enc = wire_roster(f.sig, f.from, f.entries, f.entry_lens, f.n_entries, &len);
		break;
	case WIRE_RECON:
		enc = wire_recon(f.session, f.recon_fin, f.recon_direct, f.recon, f.recon_len, &len);
		break;
	default:
		break;
	}
	if (enc) {
		if (wire_decode(enc, len, &g, &e) < 0 || g.kind != f.kind)
			abort();
		free(enc);
	}
	return 0;
}
