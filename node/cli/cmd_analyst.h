/*
 * node/cli/cmd_analyst.h — the analyst's inputs and outputs (cmd_analyst.c):
 *
 *   sigmesh submit --eml FILE --tlp L (--sig S... --org O... | --audience federation)
 *                  --config FILE
 *   sigmesh submit --eml FILE --dry-run [--show-originals] [--config FILE]
 *   sigmesh export --format stix21|misp|csv [--internal] [--tlp L] [--sig S]
 *                  [--originator O] [--since MS] [--until MS] [--out FILE]
 *   sigmesh import --stix21 FILE --tlp L (--sig S... --org O... | --audience federation)
 *                  [--dry-run]
 *   sigmesh stats  [--from MS] [--to MS] [--json] [--svg DIR]
 *
 * An email is parsed and anonymized here, in the CLI, with the rules of the
 * node's configuration (node/config.h, "anonymize"); the node receives only
 * the anonymized body, the same "submit" request as `sigmesh submit
 * FILE.json`. A STIX bundle is likewise turned into a body here.
 */
#ifndef SIGMESH_CMD_ANALYST_H
#define SIGMESH_CMD_ANALYST_H

#include <stdbool.h>
#include "node/anon.h"
#include "node/config.h"

int cmd_export(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_stats(int argc, char **argv);

/* Does a submit command line carry --eml? Then cmd_submit hands it to
 * cmd_submit_eml. */
bool cmd_analyst_wants_eml(int argc, char **argv);
int cmd_submit_eml(int argc, char **argv);

/*
 * The anonymization rules of a configuration's "anonymize" list. Each
 * entry is classified by its form:
 *   an IP address or CIDR range ("192.0.2.7", "10.1.0.0/16", "2001:db8::/32")
 *                                       -> an internal IP
 *   an address with '@'                 -> a recipient (always replaced)
 *   a host name with a dot ("example.co.jp") -> an own domain (and subdomains)
 *   anything else ("Example Gas", "EGC-") -> an extra string, redacted
 * *out is the caller's (anon_rules_destroy). SM_EINVAL names the entry
 * anon_rules_add refused.
 */
int analyst_rules_from_config(const config *c, anon_rules **out, sm_err *err);

#endif
