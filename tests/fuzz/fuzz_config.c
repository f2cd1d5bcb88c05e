/*
 * tests/fuzz/fuzz_config.c — arbitrary text into config_parse (inih plus
 * sigmesh's key handlers). A configuration file is written by an operator,
 * but it is still input: a typo must yield an error, never a crash or a
 * silently truncated path.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "node/config.h"

static config c;	/* large: not on the stack */

/* s must be NUL-terminated within cap bytes. */
static void terminated(const char *s, size_t cap)
{
	if (!memchr(s, '\0', cap))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sm_err e = {0};
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (config_parse(&c, text, "/fuzz/etc", &e) < 0) {
		if (e.code == SM_OK)
			abort();
	} else {
		if (c.n_peers > CONFIG_MAX_PEERS || c.n_anon > CONFIG_MAX_ANON)
			abort();
		terminated(c.data_dir, sizeof(c.data_dir));
		terminated(c.key_file, sizeof(c.key_file));
		terminated(c.passphrase_file, sizeof(c.passphrase_file));
		terminated(c.rosters, sizeof(c.rosters));
		terminated(c.listen, sizeof(c.listen));
		terminated(c.control, sizeof(c.control));
		terminated(c.feed, sizeof(c.feed));
		for (size_t i = 0; i < c.n_peers; i++) {
			terminated(c.peers[i].org, sizeof(c.peers[i].org));
			terminated(c.peers[i].endpoint, sizeof(c.peers[i].endpoint));
			if (!c.peers[i].org[0] || strncmp(c.peers[i].endpoint, "tcp://", 6))
				abort();	/* finish() lets no incomplete entry through */
		}
		for (size_t i = 0; i < c.n_anon; i++)
			terminated(c.anon[i], sizeof(c.anon[i]));
	}
	free(text);
	return 0;
}
