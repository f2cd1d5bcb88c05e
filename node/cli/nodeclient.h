/*
 * node/cli/nodeclient.h — the CLI's client of a running node; see
 * nodeclient.c.
 */
#ifndef SIGMESH_NODECLIENT_H
#define SIGMESH_NODECLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include "node/config.h"

/* Which node to talk to, and how to print. cfg is owned (cli_node_clear). */
struct cli_node {
	config *cfg;			/* from --config, or NULL; heap */
	const char *data_dir;
	char control[CONFIG_MAX_PATH + 8];
	bool json;
};


/* Take --config, --data-dir and --json out of argv (anywhere after the
 * command name). need_node: fail, saying so, if no node can be found.
 * 0, or -1 after printing why. */
int cli_node_opts(int *argc, char **argv, struct cli_node *o, bool need_node);
void cli_node_clear(struct cli_node *o);

/* Send req (consumed) and return the node's reply (caller json_decref's),
 * or NULL after printing why: node not running, no answer within
 * SIGMESH_TIMEOUT_MS (default 120 s), not JSON, or "ok": false with the
 * node's own message. */
json_t *cli_node_call(const struct cli_node *o, json_t *req);

/* A whole file ("-" is stdin), at most max bytes, NUL-terminated,
 * malloc'd; NULL after printing why. */
char *cli_read_file(const char *path, size_t max, size_t *len);

/* --sig S, --org O, --audience federation at argv[*i] into aud's "sigs" /
 * "orgs" arrays (or *federation); returns 1 if it was one of them. */
int cli_audience_arg(int argc, char **argv, int *i, json_t *aud, bool *federation);

#endif
