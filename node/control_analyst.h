/*
 * node/control_analyst.h — the control commands analysts use to get data
 * out of a running node (node/control.h has the transport and the other
 * commands; control_dispatch calls these):
 *
 *   export  {"format": "stix21"|"misp"|"csv", "internal": bool,
 *            "tlp": L, "sig": NAME, "originator": NAME|ID,
 *            "since_ms": N, "until_ms": N}
 *           -> {"text": DOCUMENT, "format": F, "reports": N, "exported": N}
 *           The document is what node/export.h writes for the reports this
 *           node holds (filtered by created time, label, audience SIG and
 *           originator), with their sightings and retractions. TLP is
 *           enforced by export_write: RED never; AMBER+STRICT only with
 *           "internal": true. "reports" counts the reports that matched the
 *           filters, "exported" those the TLP rule let out and the node can
 *           read. Originator-only sightings are feedback meant for the
 *           report's originator alone: they are included only when
 *           "internal" is true.
 *   stats   {"from_ms": N, "to_ms": N}
 *           -> {"stats": STATS_JSON, "text": TABLES}
 *           node/stats.h over every report this node holds (with
 *           sightings); STATS_JSON is stats_json's document, TABLES
 *           stats_print's text. Local figures for the organization itself:
 *           nothing leaves the node but counts and the top shared
 *           indicators of reports it may read.
 *
 * Both read at most CONTROL_ANALYST_MAX reports; past that they fail and
 * ask for a narrower time range rather than answer with a silently cut
 * list.
 */
#ifndef SIGMESH_CONTROL_ANALYST_H
#define SIGMESH_CONTROL_ANALYST_H

#include <jansson.h>
#include "node/node.h"

#define CONTROL_ANALYST_MAX 50000

/* Each returns the reply object (never NULL); req is borrowed. */
json_t *control_export(node_t *n, json_t *req);
json_t *control_stats(node_t *n, json_t *req);

#endif
