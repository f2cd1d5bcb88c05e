/*
 * tests/unit/test_fuzz_regress.c — replays every fuzzing seed and every
 * saved crash through the decoder its harness targets.
 *
 * For each harness NAME, every file in tests/fuzz/corpus/NAME/ and
 * tests/fuzz/regress/NAME/ goes through the matching decoder. In a normal
 * build this checks that nothing fails without an error code and that the
 * known verdicts hold (msg seeds named bad-* are rejected, the others
 * accepted; what msg_decode accepts msg_decode_trusted accepts too); in the
 * sanitizer build (make SANITIZE=address,undefined) it also turns every
 * input that once crashed into a permanent regression test. Each decoder
 * must see at least one input, and every corpus or regress directory must
 * belong to a known decoder, so an empty, missing or orphaned corpus fails.
 *
 * Run from the top of the tree (tests/run.sh does); FUZZ_DIR overrides
 * the location of tests/fuzz.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <jansson.h>
#include "tests/test.h"
#include "proto/body.h"
#include "proto/codec.h"
#include "proto/msg.h"
#include "proto/recon.h"
#include "proto/wire.h"
#include "keys/identity.h"
#include "keys/roster.h"
#include "node/anon.h"
#include "node/config.h"
#include "node/control.h"
#include "node/control_req.h"
#include "node/eml.h"
#include "node/stix_import.h"

#define REPLAY_MAX_INPUT (8u << 20)	/* larger than any harness's -max_len */

/* A replay function: 0 accepted, -1 rejected. err names why it was
 * rejected (code != SM_OK) for decoders that use sm_err. */
typedef int (*replay_fn)(const uint8_t *d, size_t n, sm_err *err);

/* ---- one replay per harness ------------------------------------------- */

static int r_msg(const uint8_t *d, size_t n, sm_err *e)
{
	sm_msg m, t;
	sm_err te = {0};
	int rc = msg_decode(d, n, 1700000000000ull, &m, e);
	int trc = msg_decode_trusted(d, n, &t, &te);

	if (trc == 0)
		msg_clear(&t);
	if (rc < 0)
		return -1;
	msg_clear(&m);
	/* everything the full decode accepts, the trusted one accepts */
	return trc == 0 ? 0 : (sm_fail(e, SM_EINVAL, "trusted decode refused: %s", te.msg), -2);
}

static int r_codec(const uint8_t *d, size_t n, sm_err *e)
{
	codec_doc doc;

	if (codec_decode(&doc, d, n, CODEC_MAX_DEPTH, e) < 0)
		return -1;
	codec_doc_free(&doc);
	return 0;
}

static int r_body(const uint8_t *d, size_t n, sm_err *e)
{
	body_t b;
	size_t len;
	uint8_t *enc;
	char *js;

	if (body_decode(d, n, &b, e) < 0)
		return -1;
	enc = body_encode(&b, &len, e);
	js = body_to_json(&b);
	free(enc);
	free(js);
	body_clear(&b);
	return 0;
}

static wire_frame frame;	/* large */

static int r_wire(const uint8_t *d, size_t n, sm_err *e)
{
	sm_object o;

	if (wire_decode(d, n, &frame, e) < 0)
		return -1;
	for (uint32_t i = 0; i < frame.n_objs; i++)
		if (msg_object_split(frame.objs[i], frame.obj_lens[i], &o, NULL) == 0 && !o.tbs)
			return sm_fail(e, SM_EINVAL, "object %u split without tbs", i), -2;
	return 0;
}

/* The fuzz_recon setup: 300 items in groups of three sharing a
 * timestamp; the first byte picks the role (odd: initiator). */
static recon_item items[300];

static int r_recon(const uint8_t *d, size_t n, sm_err *e)
{
	recon_t *r;
	uint8_t *first = NULL, *out = NULL;
	size_t fl, ol;
	recon_ids have = {0}, need = {0};
	int rc = -1;

	if (items[0].id[31] != 0x5a)
		for (size_t i = 0; i < 300; i++) {
			items[i].ts = 1000 + (i / 3) * 7;
			memset(items[i].id, 0, RECON_ID_LEN);
			items[i].id[0] = (uint8_t)(i % 3);
			items[i].id[1] = (uint8_t)i;
			items[i].id[31] = 0x5a;
		}
	if (n < 1)
		return sm_fail(e, SM_EMALFORMED, "no role byte");
	if (!(r = recon_new(items, 300, NULL, e)))
		return -1;
	if ((d[0] & 1) && recon_initiate(r, &first, &fl, e) < 0)
		goto out;
	rc = recon_respond(r, d + 1, n - 1, &out, &ol, &have, &need, e);
out:
	free(first);
	free(out);
	recon_ids_free(&have);
	recon_ids_free(&need);
	recon_destroy(&r);
	return rc;
}

static int r_keyfile(const uint8_t *d, size_t n, sm_err *e)
{
	identity_t *id = identity_parse(d, n, NULL, e);

	(void)identity_file_encrypted(d, n);
	if (!id)
		return -1;
	identity_destroy(&id);
	return 0;
}

static int r_card(const uint8_t *d, size_t n, sm_err *e)
{
	id_public p;

	return identity_card_parse(d, n, &p, e) < 0 ? -1 : 0;
}

static int r_roster(const uint8_t *d, size_t n, sm_err *e)
{
	roster_t *r = roster_parse(d, n, e);
	uint32_t k;

	if (!r)
		return -1;
	(void)roster_members(r, 0, &k);
	roster_destroy(&r);
	return 0;
}

static anon_rules *rules;

static int r_eml(const uint8_t *d, size_t n, sm_err *e)
{
	body_t b;
	eml_info info;

	if (!rules) {
		rules = anon_rules_new();
		(void)anon_rules_add(rules, ANON_ORG_DOMAIN, "victim.example", NULL);
		(void)anon_rules_add(rules, ANON_INTERNAL_IP, "203.0.113.0/24", NULL);
	}
	eml_opts o = { .rules = rules };
	if (eml_parse(d, n, &o, &b, &info, e) < 0)
		return -1;
	body_clear(&b);
	eml_info_clear(&info);
	return 0;
}

static int r_stix_import(const uint8_t *d, size_t n, sm_err *e)
{
	body_t b;

	if (stix_import((const char *)d, n, &b, e) < 0)
		return -1;
	body_clear(&b);
	return 0;
}

static config cfg;	/* large */

static int r_config(const uint8_t *d, size_t n, sm_err *e)
{
	char *text = malloc(n + 1);
	int rc;

	if (!text)
		return sm_fail(e, SM_ENOMEM, "out of memory");
	memcpy(text, d, n);
	text[n] = '\0';
	rc = config_parse(&cfg, text, "/fuzz/etc", e);
	free(text);
	return rc < 0 ? -1 : 0;
}

/* As control_handle loads a request; for submit, the body goes through
 * body_from_json as cmd_submit does (see tests/fuzz/fuzz_control.c). */
static int r_control(const uint8_t *d, size_t n, sm_err *e)
{
	json_error_t jerr;
	json_t *req;
	control_req r;
	int rc;

	/* what control.c does before parsing: size bound, strict JSON */
	if (n > CONTROL_MAX_MSG)
		return sm_fail(e, SM_EBOUND, "request too large");
	if (!(req = json_loadb((const char *)d, n, JSON_REJECT_DUPLICATES, &jerr)))
		return sm_fail(e, SM_EMALFORMED, "not JSON: %s", jerr.text);
	rc = control_req_parse(req, &r, e);
	if (rc == 0)
		control_req_clear(&r);
	json_decref(req);
	return rc;
}

/* ---- the replay loop -------------------------------------------------- */

static const struct decoder {
	const char *name;	/* tests/fuzz/fuzz_NAME.c, corpus/NAME, regress/NAME */
	replay_fn fn;
} decoders[] = {
	{ "msg", r_msg },
	{ "codec", r_codec },
	{ "body", r_body },
	{ "wire", r_wire },
	{ "recon", r_recon },
	{ "keyfile", r_keyfile },
	{ "card", r_card },
	{ "roster", r_roster },
	{ "eml", r_eml },
	{ "stix_import", r_stix_import },
	{ "config", r_config },
	{ "control", r_control },
};
#define N_DECODERS (sizeof(decoders) / sizeof(decoders[0]))

static const char *fuzz_dir(void)
{
	const char *d = getenv("FUZZ_DIR");
	return d && *d ? d : "tests/fuzz";
}

static uint8_t *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long sz;

	*n = 0;
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (sz = ftell(f)) >= 0 && (size_t)sz <= REPLAY_MAX_INPUT &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)sz + 1)) &&
	    fread(buf, 1, (size_t)sz, f) != (size_t)sz) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		*n = (size_t)sz;
	fclose(f);
	return buf;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int regular(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Replay every file of fuzz_dir()/kind/dec->name; returns the count. */
static int replay_dir(const struct decoder *dec, const char *kind)
{
	char dir[512], path[1024];
	struct dirent **ents = NULL;
	int n, count = 0;

	snprintf(dir, sizeof(dir), "%s/%s/%s", fuzz_dir(), kind, dec->name);
	if ((n = scandir(dir, &ents, regular, by_name)) < 0)
		return 0;
	for (int i = 0; i < n; i++) {
		struct stat st;
		const char *fn = ents[i]->d_name;
		size_t len;
		uint8_t *data;
		sm_err e = {0};

		snprintf(path, sizeof(path), "%s/%s", dir, fn);
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		data = slurp(path, &len);
		CHECKF(data != NULL, "%s: unreadable or over %u bytes", path, REPLAY_MAX_INPUT);
		if (!data)
			continue;
		int rc = dec->fn(data, len, &e);
		count++;
		CHECKF(rc == 0 || (rc == -1 && e.code != SM_OK), "%s: rc %d, code %d: %s",
		    path, rc, e.code, e.msg);
		if (!strcmp(dec->name, "msg") && !strcmp(kind, "corpus")) {
			bool bad = !strncmp(fn, "bad-", 4);
			CHECKF(bad ? rc < 0 : rc == 0, "%s: %s (%s)", path,
			    bad ? "accepted" : "rejected", e.msg);
		}
		free(data);
	}
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	return count;
}

static void replay(const char *name)
{
	const struct decoder *dec = NULL;

	for (size_t i = 0; i < N_DECODERS; i++)
		if (!strcmp(decoders[i].name, name))
			dec = &decoders[i];
	CHECK(dec != NULL);
	if (!dec)
		return;
	int seeds = replay_dir(dec, "corpus");
	int saved = replay_dir(dec, "regress");
	CHECKF(seeds > 0, "%s/corpus/%s: missing or empty", fuzz_dir(), name);
	printf("  %s: %d seeds, %d saved inputs replayed\n", name, seeds, saved);
}

#define REPLAY(name) static void replay_##name(void) { replay(#name); }
REPLAY(msg)
REPLAY(codec)
REPLAY(body)
REPLAY(wire)
REPLAY(recon)
REPLAY(keyfile)
REPLAY(card)
REPLAY(roster)
REPLAY(eml)
REPLAY(stix_import)
REPLAY(config)
REPLAY(control)

/* Every harness has a decoder here and every corpus/regress directory
 * belongs to one: a new harness cannot be left out of the replay. */
static void every_harness_is_replayed(void)
{
	char dir[512];
	const char *kinds[] = { "corpus", "regress" };
	struct dirent **ents = NULL;
	int n, harnesses = 0;

	for (size_t k = 0; k < 2; k++) {
		snprintf(dir, sizeof(dir), "%s/%s", fuzz_dir(), kinds[k]);
		if ((n = scandir(dir, &ents, regular, by_name)) < 0) {
			CHECKF(k == 1, "%s: missing", dir);
			continue;
		}
		for (int i = 0; i < n; i++) {
			bool known = false;
			for (size_t j = 0; j < N_DECODERS; j++)
				known |= !strcmp(decoders[j].name, ents[i]->d_name);
			CHECKF(known, "%s/%s: no decoder replays it", dir, ents[i]->d_name);
			free(ents[i]);
		}
		free(ents);
	}
	snprintf(dir, sizeof(dir), "%s", fuzz_dir());
	if ((n = scandir(dir, &ents, regular, by_name)) >= 0) {
		for (int i = 0; i < n; i++) {
			const char *fn = ents[i]->d_name;
			size_t l = strlen(fn);
			if (l > 7 && !strncmp(fn, "fuzz_", 5) && !strcmp(fn + l - 2, ".c")) {
				bool known = false;
				harnesses++;
				for (size_t j = 0; j < N_DECODERS; j++)
					known |= strlen(decoders[j].name) == l - 7 &&
					    !strncmp(decoders[j].name, fn + 5, l - 7);
				CHECKF(known, "%s/%s: no decoder replays its corpus", dir, fn);
			}
			free(ents[i]);
		}
		free(ents);
	}
	CHECKF(harnesses == (int)N_DECODERS, "%d harnesses, %zu decoders", harnesses, N_DECODERS);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	RUN(every_harness_is_replayed);
	RUN(replay_msg);
	RUN(replay_codec);
	RUN(replay_body);
	RUN(replay_wire);
	RUN(replay_recon);
	RUN(replay_keyfile);
	RUN(replay_card);
	RUN(replay_roster);
	RUN(replay_eml);
	RUN(replay_stix_import);
	RUN(replay_config);
	RUN(replay_control);
	anon_rules_destroy(&rules);
	TEST_EXIT();
}
