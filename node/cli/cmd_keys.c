/*
 * node/cli/cmd_keys.c — `sigmesh keys`: an organization's keys, offline.
 *
 *   keys generate --name NAME --out FILE [--passphrase-file F]
 *   keys show FILE|CARD [--passphrase-file F]
 *   keys rotate FILE [--passphrase-file F]
 *
 * The passphrase comes from --passphrase-file or SIGMESH_PASSPHRASE, never
 * from the command line. No secret is ever printed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "node/cli/cli.h"
#include "keys/identity.h"

#define USAGE \
	"sigmesh keys generate --name NAME --out FILE [--passphrase-file F]\n" \
	"       sigmesh keys show FILE|CARD [--passphrase-file F]\n" \
	"       sigmesh keys rotate FILE [--passphrase-file F]"
#define MAX_PASS 1024

int cli_passphrase(const char *file, char **out, sm_err *err)
{
	const char *env = getenv("SIGMESH_PASSPHRASE");
	char *p;
	size_t n = 0;

	*out = NULL;
	if (!file && (!env || !*env))
		return 0;
	if (!(p = sodium_malloc(MAX_PASS + 1)))
		return sm_fail(err, SM_ENOMEM, "out of memory");
	if (file) {
		FILE *f = fopen(file, "r");
		if (!f) {
			sodium_free(p);
			return sm_fail(err, SM_EIO, "%s: %s", file, strerror(errno));
		}
		n = fread(p, 1, MAX_PASS, f);
		fclose(f);
		p[n] = '\0';
		p[strcspn(p, "\r\n")] = '\0';	/* first line only */
	} else {
		snprintf(p, MAX_PASS + 1, "%s", env);
	}
	if (!*p) {
		sodium_free(p);
		return sm_fail(err, SM_EINVAL, "%s: empty passphrase", file ? file : "SIGMESH_PASSPHRASE");
	}
	*out = p;
	return 0;
}

void cli_passphrase_free(char **p)
{
	if (p && *p) {
		sodium_free(*p);	/* wipes */
		*p = NULL;
	}
}

static int write_card(const identity_t *id, const char *keyfile, sm_err *err)
{
	char path[4096];
	size_t n;
	uint8_t *card = identity_card(id, &n, err);
	int rc;

	if (!card)
		return -1;
	snprintf(path, sizeof path, "%s.card", keyfile);
	rc = identity_write_file(path, card, n, 0644, true, err);
	free(card);
	return rc;
}

static void print_public(const id_public *p)
{
	char b64[44], fp[40];

	identity_b64(p->org, b64);
	identity_fingerprint(p->org, fp);
	printf("name:        %s\n", p->name);
	printf("org id:      %s\n", b64);
	printf("fingerprint: %s\n", fp);
	printf("key version: %u\n", p->key_version);
	identity_b64(p->box_pk, b64);
	printf("box key:     %s\n", b64);
	identity_b64(p->curve_pk, b64);
	printf("curve key:   %s\n", b64);
}

/* Parse "--opt VALUE" pairs and at most one positional argument. */
struct kargs {
	const char *name, *out, *passfile, *pos;
};

static int parse(int argc, char **argv, struct kargs *a)
{
	memset(a, 0, sizeof(*a));
	for (int i = 1; i < argc; i++) {
		const char **slot = NULL;
		if (!strcmp(argv[i], "--name")) slot = &a->name;
		else if (!strcmp(argv[i], "--out")) slot = &a->out;
		else if (!strcmp(argv[i], "--passphrase-file")) slot = &a->passfile;
		else if (!strcmp(argv[i], "--passphrase")) {
			fprintf(stderr, "sigmesh: a passphrase is never taken from the command line; "
			    "use --passphrase-file or SIGMESH_PASSPHRASE\n");
			return -1;
		} else if (argv[i][0] == '-' || a->pos) {
			fprintf(stderr, "sigmesh: unexpected argument '%s'\n", argv[i]);
			return -1;
		} else {
			a->pos = argv[i];
			continue;
		}
		if (++i >= argc) {
			fprintf(stderr, "sigmesh: %s needs a value\n", argv[i - 1]);
			return -1;
		}
		*slot = argv[i];
	}
	return 0;
}

static int keys_generate(struct kargs *a)
{
	sm_err e = {0};
	identity_t *id = NULL;
	char *pass = NULL, b64[44], fp[40];
	int rc = CLI_EXIT_FAIL;

	if (!a->name || !a->out || a->pos)
		return cli_usage(USAGE);
	if (cli_passphrase(a->passfile, &pass, &e) < 0)
		return cli_err(&e);
	if (!(id = identity_generate(a->name, &e)) ||
	    identity_save(id, a->out, pass, false, &e) < 0 ||
	    write_card(id, a->out, &e) < 0) {
		rc = cli_err(&e);
		goto out;
	}
	if (!pass)
		fprintf(stderr, "sigmesh: warning: %s is not encrypted (no passphrase given)\n", a->out);
	identity_b64(identity_public(id)->org, b64);
	identity_fingerprint(identity_public(id)->org, fp);
	printf("org id:      %s\nfingerprint: %s\nkey file:    %s\ncard:        %s.card\n",
	    b64, fp, a->out, a->out);
	rc = 0;
out:
	identity_destroy(&id);
	cli_passphrase_free(&pass);
	return rc;
}

static int keys_show(struct kargs *a)
{
	sm_err e = {0};
	size_t n;
	uint8_t *b;
	id_public p;
	identity_t *id = NULL;
	char *pass = NULL;
	int rc = CLI_EXIT_FAIL;

	if (!a->pos || a->name || a->out)
		return cli_usage(USAGE);
	/* A card is public; try it first. Anything else is a key file, which
	 * identity_load reads with its permission checks. */
	if ((b = identity_read_file(a->pos, ID_MAX_KEYFILE, &n, &e)) &&
	    identity_card_parse(b, n, &p, NULL) == 0) {
		printf("identity card (signature verified)\n");
		print_public(&p);
		free(b);
		return 0;
	}
	free(b);
	if (e.code == SM_ENOTFOUND)
		return cli_err(&e);
	sm_err_clear(&e);
	if (cli_passphrase(a->passfile, &pass, &e) < 0)
		return cli_err(&e);
	if (!(id = identity_load(a->pos, pass, &e))) {
		rc = cli_err(&e);
		goto out;
	}
	printf("secret key file (secrets not shown)\n");
	print_public(identity_public(id));
	rc = 0;
out:
	identity_destroy(&id);
	cli_passphrase_free(&pass);
	return rc;
}

/* New box and curve keys. The previous key file is kept as FILE.vN, since
 * reports sealed to the old box key can only be opened with it. */
static int keys_rotate(struct kargs *a)
{
	sm_err e = {0};
	identity_t *id = NULL;
	char *pass = NULL, old[4096];
	int rc = CLI_EXIT_FAIL;

	if (!a->pos || a->name || a->out)
		return cli_usage(USAGE);
	if (cli_passphrase(a->passfile, &pass, &e) < 0)
		return cli_err(&e);
	if (!(id = identity_load(a->pos, pass, &e))) {
		rc = cli_err(&e);
		goto out;
	}
	snprintf(old, sizeof old, "%s.v%u", a->pos, identity_public(id)->key_version);
	if (identity_save(id, old, pass, false, &e) < 0 ||
	    identity_rotate(id, &e) < 0 ||
	    identity_save(id, a->pos, pass, true, &e) < 0 ||
	    write_card(id, a->pos, &e) < 0) {
		rc = cli_err(&e);
		goto out;
	}
	printf("key version: %u\nprevious keys kept in %s\nnew card:    %s.card\n"
	    "next: propose the new card to each SIG with 'sigmesh sig propose ROSTER --rotate %s.card'\n",
	    identity_public(id)->key_version, old, a->pos, a->pos);
	rc = 0;
out:
	identity_destroy(&id);
	cli_passphrase_free(&pass);
	return rc;
}

int cmd_keys(int argc, char **argv)
{
	struct kargs a;

	if (argc < 2)
		return cli_usage(USAGE);
	if (parse(argc - 1, argv + 1, &a) < 0)
		return cli_usage(USAGE);
	if (!strcmp(argv[1], "generate"))
		return keys_generate(&a);
	if (!strcmp(argv[1], "show"))
		return keys_show(&a);
	if (!strcmp(argv[1], "rotate"))
		return keys_rotate(&a);
	fprintf(stderr, "sigmesh keys: unknown subcommand '%s'\n", argv[1]);
	return cli_usage(USAGE);
}
