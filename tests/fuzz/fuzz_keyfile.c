/* tests/fuzz/fuzz_keyfile.c — secret key file parser. Without a passphrase
 * an encrypted file stops before the KDF, so each run stays fast; plain
 * files go through the whole secrets decoder and key checks. */
#include <stdint.h>
#include <stddef.h>
#include "keys/identity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sm_err e = {0};
	identity_t *id = identity_parse(data, size, NULL, &e);

	(void)identity_file_encrypted(data, size);
	identity_destroy(&id);
	return 0;
}
