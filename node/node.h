/*
 * node/node.h — one organization's node: the state sigmeshd runs.
 *
 * A report's path through a node is a straight line:
 *   control (submit) -> proto (seal, sign) -> node_ingest -> store (batch)
 *   -> durable commit -> index -> feed -> gossip onward
 * and from a peer:
 *   transport (ZAP-admitted) -> wire_decode -> node_ingest: dedup by id,
 *   msg_decode (verify), TLP scope -> the same path from the store on.
 *
 * ZeroMQ sockets and LMDB writes belong to the thread in node_run's poll
 * loop; signature checks, key opening and decryption of objects from peers
 * run on a pool of worker threads (node/verify.c, one per core) whose
 * results come back in arrival order. LMDB writes are grouped (one durable
 * commit per batch of up to NODE_BATCH objects or NODE_BATCH_MS), and
 * nothing is acknowledged or forwarded before its batch is durable.
 */
#ifndef SIGMESH_NODE_H
#define SIGMESH_NODE_H

#include <stdbool.h>
#include <stdint.h>
#include "keys/federation.h"
#include "keys/identity.h"
#include "node/config.h"
#include "node/store.h"
#include "proto/body.h"
#include "proto/msg.h"

#define NODE_BATCH 256
#define NODE_BATCH_MS 10

typedef struct node node_t;

/* Load keys, rosters and store from the configuration; bind sockets. */
node_t *node_new(const config *cfg, sm_err *err);
void node_destroy(node_t **n);
/* Serve until node_stop (or SIGINT/SIGTERM handled by the caller).
 * Returns 0 then, or -1 (logged) when the loop could not wait. */
int node_run(node_t *n);
void node_stop(node_t *n);

/* ---- what the control API calls --------------------------------------- */
const identity_t *node_identity(const node_t *n);
federation_t *node_federation(node_t *n);
store_t *node_store(node_t *n);

/* Originate a report; id receives its object id. Durable on return. */
int node_submit(node_t *n, uint8_t tlp, const sm_audience *aud, const body_t *body,
    const uint8_t *supersedes, uint8_t id[SM_ID_LEN], sm_err *err);
int node_sight(node_t *n, const uint8_t report[SM_ID_LEN], uint8_t kind,
    bool originator_only, uint64_t count, const char *note, uint8_t id[SM_ID_LEN], sm_err *err);
int node_retract(node_t *n, const uint8_t report[SM_ID_LEN], const char *reason,
    uint8_t id[SM_ID_LEN], sm_err *err);
int node_release(node_t *n, const uint8_t report[SM_ID_LEN], const sm_audience *add,
    uint8_t id[SM_ID_LEN], sm_err *err);

/* Open a stored report for this node: decoded message (caller msg_clear)
 * and body (caller body_clear) if readable. *readable false when the node
 * holds only ciphertext it cannot open. */
int node_open_report(node_t *n, const uint8_t id[SM_ID_LEN], sm_msg *msg,
    body_t *body, bool *readable, sm_err *err);
/* Verified releases of a report held by this node (by its originator);
 * caller frees with node_free_releases. */
int node_releases(node_t *n, const sm_report *r, const uint8_t id[SM_ID_LEN],
    sm_msg **rel, size_t *n_rel);
void node_free_releases(sm_msg *rel, size_t n_rel);

typedef struct node_peer_info {
	uint8_t org[SM_ID_LEN];
	char name[ID_MAX_NAME];
	char endpoint[ROSTER_MAX_ENDPOINT];
	bool neighbor;
	bool tree;			/* its tree neighbour in a SIG (node.c tree_build) */
	bool link;			/* the other end of a primary cross-SIG link */
	bool seed;			/* a foreign SIG's entry, kept connected */
	bool root;			/* the root of a tree where this node
					 * starts its own objects, kept connected */
	bool dialled;			/* this node's connection to it is open */
	bool linked;			/* ... and through its handshake */
	uint64_t last_seen_ms;
	uint64_t objects_in, duplicates_in, rejected, objects_out, frames_out;
	uint64_t strikes;
	bool banned;
} node_peer_info;
size_t node_peers(node_t *n, node_peer_info *out, size_t cap);

typedef struct node_counters {
	uint64_t received_objects;	/* new objects stored from peers */
	uint64_t duplicates;		/* copies of objects already held */
	uint64_t rejected;		/* invalid or out of scope */
	uint64_t deferred;		/* valid but not yet placeable (unknown report or roster) */
	uint64_t originated;
	uint64_t bytes_sent, bytes_received;
	uint64_t recon_sessions, recon_objects;
	uint64_t recon_skipped;		/* found lacking, not pushed: offered lately or fresh here */
	/* where copies of objects already held came from, as the receiver
	 * can tell (duplicates = their sum): the answer to our graft, a
	 * peer we reconcile with just now, the object's originator, a peer
	 * sharing no SIG with us (designated link, direct seed), a tree
	 * neighbour */
	uint64_t dup_graft, dup_recon, dup_origin, dup_foreign, dup_tree;
	/* objects queued to peers, by cause: eager push, originator's direct
	 * seed, answer to WANT, report sent along with its release */
	uint64_t sent_eager, sent_direct, sent_want, sent_with_release;
	/* copies sent around a tree neighbour that is down, to its own tree
	 * neighbours (node.c bypass) */
	uint64_t sent_bypass;
	/* federation objects sent around the primary cross-SIG link of a
	 * SIG pair whose end is down, to the other end or to a tree
	 * neighbour of it (node.c link_around) */
	uint64_t sent_bypass_link;
	/* ids announced to peers (IHAVE), one per id and peer: with the
	 * eager copies, what each stored object costs in frames */
	uint64_t sent_ihave;
	uint64_t started_ms;
} node_counters;
const node_counters *node_get_counters(node_t *n);

/* Name of an org (roster display name) or a short hex prefix. */
void node_org_name(node_t *n, const uint8_t org[SM_ID_LEN], char *out, size_t cap);
/* Resolve a SIG or org given by name, base64 id or hex id. */
int node_find_sig(node_t *n, const char *s, uint8_t sig[SM_ID_LEN]);
int node_find_org(node_t *n, const char *s, uint8_t org[SM_ID_LEN]);

#endif
