/*
 * tests/fuzz/fuzz_recon.c — arbitrary bytes into recon_respond.
 *
 * The first input byte picks the role: even, a fresh responder; odd, an
 * initiator that has sent its first message. The rest is the peer's
 * message. The item set is fixed (300 items, some sharing timestamps) so
 * every decode path and every answering path is reachable. If the message
 * is accepted and a reply comes back, the reply is fed to a second,
 * honest session of the other role, which must accept it: our own output
 * must always be valid.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "proto/recon.h"

static recon_item items[300];

static void setup(void)
{
	static int done;
	if (done)
		return;
	done = 1;
	if (sodium_init() < 0)
		abort();
	for (size_t i = 0; i < 300; i++) {
		items[i].ts = 1000 + (i / 3) * 7;	/* groups of three */
		memset(items[i].id, 0, RECON_ID_LEN);
		items[i].id[0] = (uint8_t)(i % 3);
		items[i].id[1] = (uint8_t)i;
		items[i].id[31] = 0x5a;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sm_err e = {0};
	recon_t *r, *peer = NULL;
	uint8_t *first = NULL, *out = NULL, *out2 = NULL;
	size_t fl, ol, ol2;
	recon_ids have = {0}, need = {0};

	setup();
	if (size < 1)
		return 0;
	bool initiator = data[0] & 1;
	r = recon_new(items, 300, NULL, &e);
	if (!r)
		abort();
	if (initiator && recon_initiate(r, &first, &fl, &e) < 0)
		abort();
	if (recon_respond(r, data + 1, size - 1, &out, &ol, &have, &need, &e) == 0) {
		if (have.n > 300)
			abort();	/* have is always a subset of ours */
		if (out) {
			if (ol > RECON_DEFAULT_FRAME)
				abort();
			/* An honest responder of the other role, holding a
			 * slightly different set, must accept our reply. */
			peer = recon_new(items + 1, 299, NULL, &e);
			if (!peer)
				abort();
			if (!initiator) {
				/* the peer is an initiator; it must have sent first */
				free(first);
				if (recon_initiate(peer, &first, &fl, &e) < 0)
					abort();
			}
			sm_err e2 = {0};
			if (recon_respond(peer, out, ol, &out2, &ol2, NULL, NULL, &e2) < 0 &&
			    e2.code != SM_EMALFORMED)
				abort();	/* only a failed diff check may refuse */
		}
	} else {
		if (out || ol || have.n || need.n)
			abort();
	}
	free(first);
	free(out);
	free(out2);
	recon_ids_free(&have);
	recon_ids_free(&need);
	recon_destroy(&r);
	recon_destroy(&peer);
	return 0;
}
