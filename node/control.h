/*
 * node/control.h — the local control API that the sigmesh CLI (and the
 * simulator, and scripts) use to talk to a running sigmeshd.
 *
 * Transport: a ZeroMQ REP socket on ipc://DATA_DIR/control.sock; the data
 * dir is 0700, so only the node's user can connect. One request, one
 * reply, each a single frame of JSON (UTF-8, at most 4 MiB).
 *
 * Request:  {"cmd": NAME, ...arguments}
 * Reply:    {"ok": true, ...results}  or  {"ok": false, "error": "text"}
 *
 *   submit   {"tlp": "amber", "audience": {"sigs": [NAME|ID,...],
 *             "orgs": [NAME|ID,...]} | "federation", "body": BODY}
 *            -> {"id": HEX}. Acknowledged only after the durable commit.
 *   list     {"since_ms": N, "until_ms": N, "tlp": "amber", "sig": NAME,
 *             "originator": NAME|ID, "type": "report", "limit": N}
 *            -> {"items": [SUMMARY...]}
 *   show     {"id": HEX} -> {"item": SUMMARY + {"body": BODY, "sightings": [...],
 *             "releases": [...], "retracted": bool}}
 *   search   {"value": "evil.example"} -> {"items": [SUMMARY + {"sightings": N}]}
 *   sight    {"id": HEX, "kind": "seen"|"false-positive", "originator_only": bool,
 *             "note": "..."} -> {"id": HEX}
 *   retract  {"id": HEX, "reason": "..."} -> {"id": HEX}
 *   release  {"id": HEX, "sigs": [NAME|ID], "orgs": [NAME|ID]} -> {"id": HEX}
 *   peers    -> {"peers": [{"org", "name", "endpoint", "neighbor", "tree", "link", "seed",
 *             "root", "dialled", "linked", "connected", "last_seen_ms", "objects_in",
 *             "duplicates_in", "rejected", "objects_out", "frames_out", "strikes", "banned"}]}
 *            (seed: a foreign SIG's entry member, kept connected; root: the
 *             root of a tree of this node's SIGs where it starts its own
 *             objects, kept connected; dialled:
 *             this node's connection to it is open; connected: heard from
 *             in the last 30 s)
 *   status   -> {"org", "name", "objects", "reports", ..., "store_bytes", "uptime_ms"}
 *   dump     {"after": ARRIVAL} -> {"items": [{"id", "type", "tlp", "originator",
 *             "seq", "created_ms", "received_ms", "arrival", "ref"}], "last": ARRIVAL}
 *            (every object stored, including ones this node cannot read:
 *             what the simulator inspects for leaks and latency)
 *   fsck     -> {"checked": N, "bad": N, "problems": [...]}
 *   export   {"format": "stix21"|"misp"|"csv", "internal": bool, list filters}
 *            -> {"text": DOCUMENT}  (node/control_analyst.h; TLP honoured)
 *   stats    {"from_ms": N, "to_ms": N} -> {"stats": {...}, "text": TABLES}
 *   stop     -> {} and the node shuts down cleanly
 *
 * SUMMARY = {"id", "type", "tlp", "originator", "originator_name", "seq",
 *            "created_ms", "received_ms", "audience", "title", "readable"}
 * BODY is the JSON form of proto/body.h (PROTOCOL.md §5).
 * IDs are lowercase hex; org ids may also be given as roster names.
 */
#ifndef SIGMESH_CONTROL_H
#define SIGMESH_CONTROL_H

#define CONTROL_MAX_MSG (4u << 20)

#include <jansson.h>
#include "node/node.h"

/* Bind the REP socket (node-internal). */
int control_open(node_t *n, sm_err *err);
void control_close(node_t *n);
/* Answer one request (call when the socket is readable). */
void control_handle(node_t *n);
/* JSON of a stored object: SUMMARY, plus body, sightings and releases when
 * full. NULL if not held. Caller json_decref's. */
json_t *control_item_json(node_t *n, const uint8_t id[SM_ID_LEN], bool full);
/* Handle one request already parsed (used by control_handle and tests);
 * returns the reply, never NULL. */
json_t *control_dispatch(node_t *n, json_t *req);

#endif
