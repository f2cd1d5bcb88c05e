/*
 * tests/fuzz/fuzz_msg.c — msg_decode on arbitrary bytes; when something
 * decodes, the TLP predicates and msg_report_open run on it too (with a
 * fixed key that holds no slot, so opening must fail cleanly).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "proto/msg.h"
#include "proto/tlp.h"

static bool any_member(void *ctx, const uint8_t *sig, uint64_t version, const uint8_t org[SM_ID_LEN])
{
	(void)ctx; (void)sig; (void)version;
	return org[0] & 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pk[crypto_box_PUBLICKEYBYTES], sk[crypto_box_SECRETKEYBYTES];
	static const uint8_t seed[crypto_box_SEEDBYTES] = { 's', 'i', 'g', 'm', 'e', 's', 'h' };
	static const sm_members mem = { any_member, NULL };
	static int init;
	sm_msg m;
	sm_err e = {0};
	sm_object o;
	uint8_t org[SM_ID_LEN] = {0};

	if (!init) {
		if (sodium_init() < 0)
			abort();
		crypto_box_seed_keypair(pk, sk, seed);
		init = 1;
	}
	if (msg_object_split(data, size, &o, NULL) == 0 && (!o.signer || !o.sig || !o.tbs))
		abort();
	if (msg_decode(data, size, 1700000000000ull, &m, &e) < 0) {
		if (e.code == SM_OK)
			abort();	/* every failure names its code */
		return 0;
	}
	if (m.type == SM_MSG_REPORT) {
		size_t len;
		uint8_t *pt;
		memcpy(org, m.u.report.h.originator, SM_ID_LEN);
		if (!tlp_may_receive(&m.u.report, NULL, 0, org, &mem))
			abort();	/* the originator always may */
		(void)tlp_shared(&m.u.report, NULL, 0, org, pk, &mem);
		pt = msg_report_open(&m.u.report, m.id, NULL, 0, pk, pk, sk, &len, NULL);
		if (pt && m.u.report.encrypted)
			abort();	/* nobody sealed to this key */
		free(pt);
	}
	msg_clear(&m);
	return 0;
}
