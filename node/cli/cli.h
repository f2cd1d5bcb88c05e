/*
 * node/cli/cli.h — the sigmesh command-line tool.
 *
 * sigmesh.c holds main() and the command table; each command lives in its
 * own cmd_*.c and is a function (argc, argv) -> exit status, where argv[0]
 * is the command's name. Exit status: 0 success, 1 the operation failed
 * (one line on stderr naming what was wrong), 2 usage error.
 */
#ifndef SIGMESH_CLI_H
#define SIGMESH_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include "proto/err.h"

#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2

struct cli_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;	/* one line */
};

int cmd_keys(int argc, char **argv);
int cmd_sig(int argc, char **argv);

/* "sigmesh: <message>" on stderr; returns CLI_EXIT_FAIL. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The error's message (and code name) on stderr; returns CLI_EXIT_FAIL. */
int cli_err(const sm_err *e);
/* "usage: ..." on stderr; returns CLI_EXIT_USAGE. */
int cli_usage(const char *usage);

/* The passphrase from file (first line) if given, else from the
 * environment variable SIGMESH_PASSPHRASE, else NULL (no passphrase).
 * Never from argv: command lines are visible to every local user. The
 * result is sodium_malloc'd; release it with cli_passphrase_free.
 * Returns -1 (with err) if file cannot be read. */
int cli_passphrase(const char *file, char **out, sm_err *err);
void cli_passphrase_free(char **p);

#endif
