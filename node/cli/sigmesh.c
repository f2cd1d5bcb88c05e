/*
 * node/cli/sigmesh.c — main(): dispatch to a command. Commands are rows of
 * the table below: {name, function, one-line help}.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sodium.h>
#include "node/cli/cli.h"
#include "node/cli/cmd_analyst.h"
#include "node/cli/cmd_init.h"
#include "node/cli/cmd_node.h"

static int cmd_help(int argc, char **argv);

static const struct cli_cmd commands[] = {
	{ "keys", cmd_keys, "generate, show and rotate an organization's keys (offline)" },
	{ "sig", cmd_sig, "create, approve, append, propose, show and verify SIG rosters (offline)" },
	{ "init", cmd_init, "set up a new node: keys, configuration, directories" },
	{ "submit", cmd_submit, "share a report (JSON body, or --eml an email) with a TLP label and audience" },
	{ "list", cmd_list, "list reports, filtered by time, SIG, TLP, originator" },
	{ "show", cmd_show, "show one report with its body, sightings and releases" },
	{ "search", cmd_search, "every report that contains an indicator, with sightings" },
	{ "sight", cmd_sight, "say this organization saw a report's indicators too" },
	{ "retract", cmd_retract, "withdraw a report this organization shared" },
	{ "release", cmd_release, "widen a report's audience to more SIGs or organizations" },
	{ "peers", cmd_peers, "the node's peers: connected, last seen, traffic" },
	{ "status", cmd_status, "counts, store size, rosters" },
	{ "fsck", cmd_fsck, "check the store: every object verifies, every index entry is sound" },
	{ "dump", cmd_dump, "every stored object's metadata, as JSON (for tools and the simulator)" },
	{ "import", cmd_import, "turn a STIX 2.1 bundle into a report and share it" },
	{ "export", cmd_export, "reports as STIX 2.1, MISP or CSV, as their TLP labels allow" },
	{ "stats", cmd_stats, "J-CSIP-style statistics: quarters, mail types, senders, TLP; SVG charts" },
	{ "stop", cmd_stop, "stop the node cleanly" },
	{ "help", cmd_help, "list the commands" },
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("usage: sigmesh COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		printf("  %-10s %s\n", commands[i].name, commands[i].help);
	printf("\n'sigmesh COMMAND' without arguments shows its usage. Commands that talk to a\n"
	    "running node take --config FILE, --data-dir DIR (or SIGMESH_DATA) and --json.\n");
	return 0;
}

int cli_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("sigmesh: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CLI_EXIT_FAIL;
}

int cli_err(const sm_err *e)
{
	return cli_fail("%s (%s)", e->msg[0] ? e->msg : "failed", sm_strerror(e->code));
}

int cli_usage(const char *usage)
{
	fprintf(stderr, "usage: %s\n", usage);
	return CLI_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	if (sodium_init() < 0)
		return cli_fail("libsodium failed to initialise");
	if (argc < 2) {
		cmd_help(0, NULL);
		return CLI_EXIT_USAGE;
	}
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(0, NULL);
	fprintf(stderr, "sigmesh: unknown command '%s' (try 'sigmesh help')\n", argv[1]);
	return CLI_EXIT_USAGE;
}
