/*
 * node/cli/cmd_init.c — set up a new node in one step:
 *
 *   sigmesh init --dir DIR --name NAME [--listen tcp://HOST:PORT]
 *                [--key FILE] [--passphrase-file F] [--rosters DIR]
 *
 * Creates DIR (0700) with a data directory, a rosters directory, the
 * organization's keys (unless --key names existing ones) and a node.conf
 * that sigmeshd and every sigmesh command accept with --config. It never
 * overwrites: an existing node.conf or key file is an error. Then it says
 * what to do next: send the identity card to the SIG, put the SIG's roster
 * in the rosters directory, start sigmeshd.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "keys/identity.h"
#include "node/cli/cli.h"
#include "node/cli/cmd_init.h"
#include "node/config.h"

#define INIT_USAGE "sigmesh init --dir DIR --name NAME [--listen tcp://HOST:PORT] " \
	"[--key FILE] [--passphrase-file F] [--rosters DIR]"

static int mkdir_0700(const char *path)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return cli_fail("cannot create %s: %s", path, strerror(errno));
	if (chmod(path, 0700) < 0)
		return cli_fail("cannot restrict %s to its owner: %s", path, strerror(errno));
	return 0;
}

int cmd_init(int argc, char **argv)
{
	const char *dir = NULL, *name = NULL, *listen = "tcp://0.0.0.0:7700";
	const char *key = NULL, *passfile = NULL, *rosters = NULL;
	char conf[CONFIG_MAX_PATH], path[CONFIG_MAX_PATH], rdir[CONFIG_MAX_PATH];
	char b64[44], fpr[40], *pass = NULL;
	identity_t *id = NULL;
	sm_err err = {0};
	FILE *f = NULL;
	int rc = CLI_EXIT_FAIL, fd;

	for (int i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			return cli_usage(INIT_USAGE);
		if (!strcmp(argv[i], "--dir")) dir = argv[++i];
		else if (!strcmp(argv[i], "--name")) name = argv[++i];
		else if (!strcmp(argv[i], "--listen")) listen = argv[++i];
		else if (!strcmp(argv[i], "--key")) key = argv[++i];
		else if (!strcmp(argv[i], "--passphrase-file")) passfile = argv[++i];
		else if (!strcmp(argv[i], "--rosters")) rosters = argv[++i];
		else return cli_usage(INIT_USAGE);
	}
	if (!dir || (!name && !key) || dir[0] != '/')
		return dir && dir[0] != '/' ? cli_fail("--dir must be an absolute path") : cli_usage(INIT_USAGE);
	if (snprintf(conf, sizeof(conf), "%s/node.conf", dir) >= (int)sizeof(conf))
		return cli_fail("--dir is too long");
	if (access(conf, F_OK) == 0)
		return cli_fail("%s exists already; not overwriting it", conf);
	if (mkdir_0700(dir))
		return CLI_EXIT_FAIL;
	snprintf(path, sizeof(path), "%s/data", dir);
	if (mkdir_0700(path))
		return CLI_EXIT_FAIL;
	if (rosters)
		snprintf(rdir, sizeof(rdir), "%s", rosters);
	else {
		snprintf(rdir, sizeof(rdir), "%s/rosters", dir);
		if (mkdir(rdir, 0755) < 0 && errno != EEXIST)
			return cli_fail("cannot create %s: %s", rdir, strerror(errno));
	}
	if (cli_passphrase(passfile, &pass, &err) < 0)
		return cli_err(&err);
	if (key) {
		snprintf(path, sizeof(path), "%s", key);
		if (!(id = identity_load(path, pass, &err))) {
			rc = cli_err(&err);
			goto out;
		}
	} else {
		uint8_t *card;
		size_t n;
		snprintf(path, sizeof(path), "%s/org.key", dir);
		if (!(id = identity_generate(name, &err)) ||
		    identity_save(id, path, pass, false, &err) < 0) {
			rc = cli_err(&err);
			goto out;
		}
		char cpath[CONFIG_MAX_PATH + 8];
		snprintf(cpath, sizeof(cpath), "%s.card", path);
		if (!(card = identity_card(id, &n, &err))) {
			rc = cli_err(&err);
			goto out;
		}
		f = fopen(cpath, "wx");
		if (!f || fwrite(card, 1, n, f) != n) {
			free(card);
			rc = cli_fail("cannot write %s", cpath);
			goto out;
		}
		free(card);
		fclose(f);
		f = NULL;
	}
	/* node.conf: created exclusively, readable by the owner only (it names
	 * the key and passphrase files) */
	fd = open(conf, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		rc = cli_fail("cannot create %s: %s", conf, strerror(errno));
		goto out;
	}
	fprintf(f, "# sigmesh node configuration (node/config.h documents every key)\n[node]\n");
	fprintf(f, "data_dir = %s/data\nkey_file = %s\n", dir, path);
	if (passfile)
		fprintf(f, "passphrase_file = %s\n", passfile);
	fprintf(f, "rosters = %s\nlisten = %s\nlog_level = info\n", rdir, listen);
	if (fclose(f) != 0) {
		f = NULL;
		rc = cli_fail("cannot write %s", conf);
		goto out;
	}
	f = NULL;
	identity_b64(identity_public(id)->org, b64);
	identity_fingerprint(identity_public(id)->org, fpr);
	printf("node set up in %s\n", dir);
	printf("organization  %s\norg id        %s\nfingerprint   %s\n", identity_public(id)->name, b64, fpr);
	printf("\nnext:\n");
	if (!key)
		printf("  1. send %s.card to your SIG's members; read them the fingerprint\n"
		    "     to check, and give them this node's endpoint (%s, as they reach it)\n", path, listen);
	printf("  2. put your SIG's roster file(s) in %s once the members have added you\n", rdir);
	printf("  3. start the node: sigmeshd --config %s\n", conf);
	if (!pass && !key)
		fprintf(stderr, "sigmesh: warning: the key file is not encrypted (no passphrase given)\n");
	rc = 0;
out:
	if (f)
		fclose(f);
	identity_destroy(&id);
	cli_passphrase_free(&pass);
	return rc;
}
