/*
 * node/cli/cmd_sig.c — `sigmesh sig`: SIG rosters, offline.
 *
 *   sig create --name SIG --member CARD[@ENDPOINT]... [--threshold N]
 *              [--late-readers] --out ENTRY
 *   sig approve --key FILE ENTRY [--out ENTRY2] [--passphrase-file F]
 *   sig append ROSTER ENTRY
 *   sig propose ROSTER (--add CARD[@ENDPOINT] | --remove ORG | --rotate CARD
 *               | --threshold N | --endpoint ORG=ENDPOINT) --out ENTRY
 *   sig show ROSTER [--version N] [--json]
 *   sig verify ROSTER
 *
 * The founders exchange cards, one of them creates the genesis entry, each
 * approves it in turn, and `append` turns the fully signed genesis into the
 * roster file. Later changes go the same way: propose, approve by a quorum,
 * append (which verifies).
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>
#include <jansson.h>
#include "node/cli/cli.h"
#include "keys/roster.h"

#define USAGE \
	"sigmesh sig create --name SIG --member CARD[@ENDPOINT]... [--threshold N] [--late-readers] --out ENTRY\n" \
	"       sigmesh sig approve --key FILE ENTRY [--out ENTRY2] [--passphrase-file F]\n" \
	"       sigmesh sig append ROSTER ENTRY\n" \
	"       sigmesh sig propose ROSTER (--add CARD[@ENDPOINT] | --remove ORG | --rotate CARD |\n" \
	"                               --threshold N | --endpoint ORG=ENDPOINT) --out ENTRY\n" \
	"       sigmesh sig show ROSTER [--version N] [--json]\n" \
	"       sigmesh sig verify ROSTER"

struct sargs {
	const char *name, *out, *key, *passfile, *add, *remove, *rotate, *endpoint, *threshold, *version;
	const char **members;
	int n_members;
	bool late_readers, json;
	const char *pos[2];
	int n_pos;
};

static int parse(int argc, char **argv, struct sargs *a)
{
	static const struct { const char *opt; size_t off; } opts[] = {
		{ "--name", offsetof(struct sargs, name) },
		{ "--out", offsetof(struct sargs, out) },
		{ "--key", offsetof(struct sargs, key) },
		{ "--passphrase-file", offsetof(struct sargs, passfile) },
		{ "--add", offsetof(struct sargs, add) },
		{ "--remove", offsetof(struct sargs, remove) },
		{ "--rotate", offsetof(struct sargs, rotate) },
		{ "--endpoint", offsetof(struct sargs, endpoint) },
		{ "--threshold", offsetof(struct sargs, threshold) },
		{ "--version", offsetof(struct sargs, version) },
	};

	int i;

	memset(a, 0, sizeof(*a));
	if (!(a->members = calloc(argc + 1, sizeof(*a->members))))
		return -1;
	for (i = 1; i < argc; i++) {
		const char **slot = NULL;
		if (!strcmp(argv[i], "--late-readers")) { a->late_readers = true; continue; }
		if (!strcmp(argv[i], "--json")) { a->json = true; continue; }
		if (!strcmp(argv[i], "--member")) {
			if (++i >= argc)
				goto novalue;
			a->members[a->n_members++] = argv[i];
			continue;
		}
		for (size_t k = 0; k < sizeof opts / sizeof opts[0]; k++)
			if (!strcmp(argv[i], opts[k].opt))
				slot = (const char **)((char *)a + opts[k].off);
		if (!slot) {
			if (argv[i][0] == '-' || a->n_pos >= 2) {
				fprintf(stderr, "sigmesh: unexpected argument '%s'\n", argv[i]);
				return -1;
			}
			a->pos[a->n_pos++] = argv[i];
			continue;
		}
		if (++i >= argc)
			goto novalue;
		*slot = argv[i];
	}
	return 0;
novalue:
	fprintf(stderr, "sigmesh: %s needs a value\n", argv[i - 1]);
	return -1;
}

static uint64_t now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static int parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (!*s || *end || errno || v > max || s[0] == '-')
		return -1;
	*out = v;
	return 0;
}

/* "CARD[@ENDPOINT]": the endpoint is what follows the last '@', if it
 * looks like one (has "://"), so card paths may contain '@'. */
static int member_arg(const char *spec, roster_member *m, sm_err *err)
{
	char path[4096];
	const char *at = strrchr(spec, '@'), *ep = NULL;
	uint8_t *card;
	size_t n;
	int rc;

	snprintf(path, sizeof path, "%s", spec);
	if (at && strstr(at + 1, "://")) {
		path[at - spec] = '\0';
		ep = at + 1;
	}
	if (!(card = identity_read_file(path, ID_MAX_CARD, &n, err)))
		return -1;
	rc = roster_member_from_card(m, card, n, ep, err);
	free(card);
	if (rc < 0)
		sm_wrap(err, "%s: ", path);
	return rc;
}

static int write_entry(const char *path, const uint8_t *b, size_t n, bool overwrite, sm_err *err)
{
	return identity_write_file(path, b, n, 0644, overwrite, err);
}

static int sig_create(struct sargs *a)
{
	sm_err e = {0};
	roster_member *m = NULL;
	uint64_t thr = 0;
	uint8_t *entry = NULL;
	size_t len;
	int rc = CLI_EXIT_FAIL;

	if (!a->name || !a->out || a->n_members == 0 || a->n_pos)
		return cli_usage(USAGE);
	if (a->threshold && parse_uint(a->threshold, ROSTER_MAX_MEMBERS, &thr) < 0)
		return cli_fail("--threshold %s: not a number from 0 to %d", a->threshold, ROSTER_MAX_MEMBERS);
	if (a->n_members > ROSTER_MAX_MEMBERS)
		return cli_fail("%d members, max %d", a->n_members, ROSTER_MAX_MEMBERS);
	if (!(m = calloc(a->n_members, sizeof(*m))))
		return cli_fail("out of memory");
	for (int i = 0; i < a->n_members; i++)
		if (member_arg(a->members[i], &m[i], &e) < 0) {
			rc = cli_err(&e);
			goto out;
		}
	if (!(entry = roster_genesis(a->name, m, a->n_members, (uint32_t)thr, a->late_readers,
	    now_ms(), &len, &e)) || write_entry(a->out, entry, len, false, &e) < 0) {
		rc = cli_err(&e);
		goto out;
	}
	printf("genesis of SIG %s with %d founders written to %s\n"
	    "every founder must now sign it: sigmesh sig approve --key KEYFILE %s\n",
	    a->name, a->n_members, a->out, a->out);
	rc = 0;
out:
	free(entry);
	free(m);
	return rc;
}

static int sig_approve(struct sargs *a)
{
	sm_err e = {0};
	identity_t *id = NULL;
	char *pass = NULL, b64[44];
	uint8_t *in = NULL, *out = NULL;
	size_t n, on;
	const char *dst;
	int rc = CLI_EXIT_FAIL;

	if (!a->key || a->n_pos != 1)
		return cli_usage(USAGE);
	dst = a->out ? a->out : a->pos[0];
	if (cli_passphrase(a->passfile, &pass, &e) < 0)
		return cli_err(&e);
	if (!(id = identity_load(a->key, pass, &e)) ||
	    !(in = identity_read_file(a->pos[0], ROSTER_MAX_ENTRY, &n, &e)) ||
	    !(out = roster_approve(in, n, id, &on, &e)) ||
	    write_entry(dst, out, on, true, &e) < 0) {
		rc = cli_err(&e);
		goto out;
	}
	identity_b64(identity_public(id)->org, b64);
	printf("approved by %s (%s): %s\n", identity_public(id)->name, b64, dst);
	rc = 0;
out:
	free(in);
	free(out);
	identity_destroy(&id);
	cli_passphrase_free(&pass);
	return rc;
}

static int sig_append(struct sargs *a)
{
	sm_err e = {0};
	roster_t *r = NULL;
	uint8_t *entry = NULL;
	size_t n;
	int rc = CLI_EXIT_FAIL;

	if (a->n_pos != 2)
		return cli_usage(USAGE);
	if (!(entry = identity_read_file(a->pos[1], ROSTER_MAX_ENTRY, &n, &e)))
		return cli_err(&e);
	if (access(a->pos[0], F_OK) == 0) {
		if (!(r = roster_load(a->pos[0], &e))) {
			rc = cli_err(&e);
			goto out;
		}
	} else if (!(r = roster_new())) {
		rc = cli_fail("out of memory");
		goto out;
	}
	if (roster_append(r, entry, n, &e) < 0) {
		sm_wrap(&e, "%s: ", a->pos[1]);
		rc = cli_err(&e);
		goto out;
	}
	if (roster_save(r, a->pos[0], &e) < 0) {
		rc = cli_err(&e);
		goto out;
	}
	uint32_t nm;
	roster_members(r, 0, &nm);
	printf("SIG %s: version %" PRIu64 ", %u members\n", roster_name(r), roster_version(r), nm);
	rc = 0;
out:
	free(entry);
	roster_destroy(&r);
	return rc;
}

/* ORG as a base64 id or as a member's name. */
static const roster_member *find_org(const roster_t *r, const char *s)
{
	uint8_t org[32];
	uint32_t n;
	const roster_member *m;

	if (identity_from_b64(s, org) == 0)
		return roster_find(r, 0, org);
	m = roster_members(r, 0, &n);
	for (uint32_t i = 0; m && i < n; i++)
		if (!strcmp(m[i].id.name, s))
			return &m[i];
	return NULL;
}

static int sig_propose(struct sargs *a)
{
	sm_err e = {0};
	roster_t *r = NULL;
	roster_change ch;
	const roster_member *m;
	uint8_t *entry = NULL;
	size_t n;
	uint64_t thr;
	int ops = !!a->add + !!a->remove + !!a->rotate + !!a->threshold + !!a->endpoint;
	int rc = CLI_EXIT_FAIL;

	if (a->n_pos != 1 || !a->out || ops != 1)
		return cli_usage(USAGE);
	if (!(r = roster_load(a->pos[0], &e)))
		return cli_err(&e);
	memset(&ch, 0, sizeof ch);
	ch.created_ms = now_ms();
	if (a->add || a->rotate) {
		ch.op = a->add ? ROSTER_ADD : ROSTER_ROTATE;
		if (member_arg(a->add ? a->add : a->rotate, &ch.member, &e) < 0) {
			rc = cli_err(&e);
			goto out;
		}
		/* a rotation keeps the member's endpoint unless one is given */
		if (a->rotate && !strchr(a->rotate, '@') && (m = roster_find(r, 0, ch.member.id.org)))
			memcpy(ch.member.endpoint, m->endpoint, sizeof ch.member.endpoint);
	} else if (a->remove) {
		ch.op = ROSTER_REMOVE;
		if (!(m = find_org(r, a->remove))) {
			rc = cli_fail("--remove %s: not a current member of %s", a->remove, roster_name(r));
			goto out;
		}
		memcpy(ch.org, m->id.org, SM_ID_LEN);
	} else if (a->threshold) {
		ch.op = ROSTER_THRESHOLD;
		if (parse_uint(a->threshold, ROSTER_MAX_MEMBERS, &thr) < 0) {
			rc = cli_fail("--threshold %s: not a number from 0 to %d", a->threshold, ROSTER_MAX_MEMBERS);
			goto out;
		}
		ch.threshold = (uint32_t)thr;
	} else {
		char who[256];
		const char *eq = strchr(a->endpoint, '=');
		ch.op = ROSTER_ENDPOINT;
		if (!eq || (size_t)(eq - a->endpoint) >= sizeof who) {
			rc = cli_usage(USAGE);
			goto out;
		}
		snprintf(who, sizeof who, "%.*s", (int)(eq - a->endpoint), a->endpoint);
		if (!(m = find_org(r, who))) {
			rc = cli_fail("--endpoint %s: not a current member of %s", who, roster_name(r));
			goto out;
		}
		if (strlen(eq + 1) >= ROSTER_MAX_ENDPOINT) {
			rc = cli_fail("--endpoint: longer than %d bytes", ROSTER_MAX_ENDPOINT - 1);
			goto out;
		}
		ch.member = *m;
		snprintf(ch.member.endpoint, sizeof ch.member.endpoint, "%s", eq + 1);
	}
	if (!(entry = roster_propose(r, &ch, &n, &e)) || write_entry(a->out, entry, n, false, &e) < 0) {
		rc = cli_err(&e);
		goto out;
	}
	printf("proposal for SIG %s (entry %" PRIu64 ") written to %s; it needs %u approvals\n",
	    roster_name(r), roster_version(r), a->out, roster_threshold_at(r, 0));
	rc = 0;
out:
	free(entry);
	roster_destroy(&r);
	return rc;
}

static int sig_show(struct sargs *a)
{
	sm_err e = {0};
	roster_t *r;
	uint64_t v = 0;
	uint32_t n;
	const roster_member *m;
	char sid[44], b64[44], fp[40];

	if (a->n_pos != 1)
		return cli_usage(USAGE);
	if (a->version && parse_uint(a->version, UINT32_MAX, &v) < 0)
		return cli_fail("--version %s: not a number", a->version);
	if (!(r = roster_load(a->pos[0], &e)))
		return cli_err(&e);
	if (v > roster_version(r)) {
		roster_destroy(&r);
		return cli_fail("--version %" PRIu64 ": %s has %" PRIu64 " versions", v, a->pos[0], roster_version(r));
	}
	if (v == 0)
		v = roster_version(r);
	m = roster_members(r, v, &n);
	identity_b64(roster_sig_id(r), sid);
	if (a->json) {
		json_t *o = json_object(), *arr = json_array();
		json_object_set_new(o, "name", json_string(roster_name(r)));
		json_object_set_new(o, "sig_id", json_string(sid));
		json_object_set_new(o, "version", json_integer((json_int_t)v));
		json_object_set_new(o, "head", json_integer((json_int_t)roster_version(r)));
		json_object_set_new(o, "threshold", json_integer(roster_threshold_at(r, v)));
		json_object_set_new(o, "late_readers", json_boolean(roster_late_readers(r)));
		for (uint32_t i = 0; m && i < n; i++) {
			json_t *x = json_object();
			identity_b64(m[i].id.org, b64);
			identity_fingerprint(m[i].id.org, fp);
			json_object_set_new(x, "name", json_string(m[i].id.name));
			json_object_set_new(x, "org", json_string(b64));
			json_object_set_new(x, "fingerprint", json_string(fp));
			json_object_set_new(x, "key_version", json_integer(m[i].id.key_version));
			json_object_set_new(x, "endpoint", json_string(m[i].endpoint));
			json_object_set_new(x, "since", json_integer((json_int_t)m[i].since));
			json_array_append_new(arr, x);
		}
		json_object_set_new(o, "members", arr);
		char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (s)
			puts(s);
		free(s);
		json_decref(o);
	} else {
		printf("SIG %s\nid:          %s\nversion:     %" PRIu64 " of %" PRIu64 "\n"
		    "threshold:   %u of %u\nlate readers: %s\nmembers:\n", roster_name(r), sid, v,
		    roster_version(r), roster_threshold_at(r, v), n, roster_late_readers(r) ? "yes" : "no");
		for (uint32_t i = 0; m && i < n; i++) {
			identity_b64(m[i].id.org, b64);
			identity_fingerprint(m[i].id.org, fp);
			printf("  %s\n    org %s\n    fingerprint %s\n    key version %u, since %" PRIu64
			    ", endpoint %s\n", m[i].id.name, b64, fp, m[i].id.key_version, m[i].since,
			    m[i].endpoint[0] ? m[i].endpoint : "(none)");
		}
	}
	roster_destroy(&r);
	return 0;
}

static int sig_verify(struct sargs *a)
{
	sm_err e = {0};
	roster_t *r;
	uint32_t n;
	char sid[44];

	if (a->n_pos != 1)
		return cli_usage(USAGE);
	if (!(r = roster_load(a->pos[0], &e)))
		return cli_err(&e);
	roster_members(r, 0, &n);
	identity_b64(roster_sig_id(r), sid);
	printf("ok: SIG %s (%s), version %" PRIu64 ", %u members, every entry verified\n",
	    roster_name(r), sid, roster_version(r), n);
	roster_destroy(&r);
	return 0;
}

int cmd_sig(int argc, char **argv)
{
	static const struct { const char *name; int (*fn)(struct sargs *); } sub[] = {
		{ "create", sig_create }, { "approve", sig_approve }, { "append", sig_append },
		{ "propose", sig_propose }, { "show", sig_show }, { "verify", sig_verify },
	};
	struct sargs a;
	int rc = -1;

	if (argc < 2)
		return cli_usage(USAGE);
	if (parse(argc - 1, argv + 1, &a) < 0) {
		free(a.members);
		return cli_usage(USAGE);
	}
	for (size_t i = 0; i < sizeof sub / sizeof sub[0]; i++)
		if (!strcmp(argv[1], sub[i].name))
			rc = sub[i].fn(&a);
	free(a.members);
	if (rc < 0) {
		fprintf(stderr, "sigmesh sig: unknown subcommand '%s'\n", argv[1]);
		return cli_usage(USAGE);
	}
	return rc;
}
