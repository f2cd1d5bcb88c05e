/*
 * node/node_impl.h — the node's internals, shared by the files that make
 * up the node (node.c, control.c, feed.c, gossip_recon.c). Not a public
 * interface: nothing outside node/ includes it.
 */
#ifndef SIGMESH_NODE_IMPL_H
#define SIGMESH_NODE_IMPL_H

#include "node/node.h"
#include "node/ptrset.h"
#include "node/scope.h"
#include "node/transport.h"
#include "node/verify.h"
#include "proto/recon.h"
#include "proto/wire.h"

#define TREE_FANOUT 4		/* children per node in a SIG's dissemination tree */
#define SID_OLD 4		/* ended session ids remembered per role and peer (PROTOCOL.md 11.5) */

struct outobj {
	uint8_t *obj;			/* owned copy */
	size_t len;
};

struct peer {
	uint8_t org[SM_ID_LEN];
	bool neighbor;			/* in the active set (chosen, or greeted us) */
	bool chosen;			/* picked by our own ranking */
	bool cross;			/* a designated link into a SIG we are not in */
	bool seed;			/* where this node's objects enter a SIG it is
					 * not in (seed_direct): kept connected
					 * (config seed_links) */
	bool root;			/* the root of a tree of this node's, where
					 * its own objects start (node.c
					 * start_at_roots): kept connected */
	uint64_t last_seen_ms, last_hello_ms, last_recon_ms;
	/* the node's arrived_last when the peer was heard after a silence or
	 * a restart (or first heard): what arrived here after that, the
	 * gossip paths offered it */
	uint64_t present_seq;
	/* its last HELLO. A SIG member that greets us (it chose us, or it
	 * owes us a check) is our neighbour too, until it has not greeted us
	 * for GREETED_KEEP_MS: otherwise every member that ever greeted us
	 * stayed a neighbour, with a connection kept open for it, and a
	 * node's peers and memory crept up under churn */
	uint64_t greeted_ms;
	uint64_t peer_started_ms;	/* its start time, from its HELLO */
	uint64_t prev_seen_ms;		/* last_seen_ms before the current frame */
	uint64_t heard_ms;		/* last transport_heard for it (at most
					 * every HEARD_CHECK_MS: a frame proves it
					 * is up, so our DEALER may redial it) */
	bool cross_primary;		/* the first designated link of its pair of SIGs:
					 * federation objects go over it eagerly */
	uint32_t cross_in;		/* bit i: it is the designated link into this
					 * node's trees[i] */
	struct outobj *out;		/* objects to push at the next flush */
	size_t n_out, cap_out;
	uint8_t (*ihave)[SM_ID_LEN];	/* ids to announce at the next flush */
	size_t n_ihave, cap_ihave;
	/* reconciliation: the session we started, and the one it started */
	recon_t *rs_init, *rs_resp;
	uint64_t sid_init, sid_resp;
	/* our earlier session ids: a late answer to a session we gave up on
	 * must not be taken for the peer opening one */
	uint64_t sid_old[SID_OLD];
	unsigned sid_old_pos;
	/* the peer's sessions we answered and then dropped (finished, gone
	 * stale, failed, replaced): a late message of one is not the peer
	 * opening a new session, and must not replace the one open now */
	uint64_t resp_old[SID_OLD];
	unsigned resp_old_pos;
	bool init_direct, resp_direct;	/* over the direct scope only (non-neighbours) */
	uint64_t recon_started_ms;
	uint64_t recon_due_ms;		/* run a session soon (deferred objects, greeting) */
	uint64_t recon_asked_ms;	/* when recon_due_ms was set */
	uint64_t last_resp_ms;		/* when it last started a session with us */
	uint64_t synced_ms;		/* start of the last session that completed */
	/* transport_down, as of down_checked_ms: refreshed at most every
	 * DOWN_CHECK_MS (each check reads the DEALER's monitor, two system
	 * calls), since every object sent on over a tree asks it */
	bool down;
	uint64_t down_checked_ms;
	bool catchup_queued;		/* greeted us while we were young: ours to
					 * reconcile with, in turn (gossip_recon.c) */
	/* This node sent it objects directly (a named organization, a
	 * foreign SIG's entry, an originator's RED): no SIG tree or regular
	 * reconciliation covers that path, so if the push was lost (it was
	 * away) nobody else would repair it. Non-zero (the time of the
	 * latest such send) until a session started after it completes;
	 * meanwhile the peer is greeted every recon_interval_ms, and
	 * reconciled with once it answers. */
	uint64_t owed_ms;
	/* objects reconciliation found the peer lacks, in send order, sent a
	 * few frames per loop turn while the peer's queue has room */
	scope_entry **backlog;
	size_t n_backlog, backlog_pos, cap_backlog;
	uint64_t backlog_stalled_ms;	/* first failed send, 0 if none */
	/* what was queued for it lately, so two sessions running at once
	 * (each side starts one on greeting) do not both push everything */
	ptrset pushed;
	uint64_t last_push_ms;
	/* what went to it lately, pushed or announced (eagerly, on a tree, in
	 * answer to a WANT, by reconciliation), in two generations that
	 * gossip_recon_tick rotates: a session that finds the peer lacking
	 * one of these raced the copy in flight (gossip_recon.c) */
	ptrset offered[2];
	uint64_t offered_rot_ms;
	/* counters */
	uint64_t objects_in, duplicates_in, rejected, objects_out, frames_out, rate_dropped;
	uint64_t strikes;
	double tokens;			/* rate limit bucket */
	uint64_t tok_ms;
};

struct pending {
	scope_entry *e;
	uint8_t *obj;			/* owned copy, for forwarding after commit */
	size_t len;
	uint8_t *plain;			/* owned: a report's opened body, for the feed
					 * (wiped when freed); NULL if not opened */
	size_t plain_len;
	bool has_from;
	uint8_t from[SM_ID_LEN];
	bool forwarded;			/* already sent on (a peer's object: at once) */
};

/* An object that arrived before the report it is about: kept until the
 * report comes (then ingested again) or PARK_MS passes. */
struct parked {
	uint8_t ref[SM_ID_LEN];		/* the report it waits for */
	uint8_t from[SM_ID_LEN];
	bool has_from;
	bool wants_release;		/* the report is held: waits for a release of it */
	size_t n_rel;			/* ... more than this many held */
	uint8_t *obj;			/* owned copy */
	size_t len;
	uint64_t until_ms;
};

struct missing {
	uint8_t id[SM_ID_LEN];
	uint8_t from[SM_ID_LEN];
	uint64_t seen;		/* when it was first announced to us */
	uint64_t deadline;
};

/* This node's edges in one SIG's dissemination tree (node.c tree_build) */
struct tree {
	uint8_t sig[SM_ID_LEN];	/* the roster is looked up by it: a roster
				 * object may be replaced */
	uint8_t nb[TREE_FANOUT + 1][SM_ID_LEN];	/* parent and children */
	struct peer *nbp[TREE_FANOUT + 1];	/* their peers (NULL: out of memory) */
	size_t n_nb;
	/* every member with an endpoint, in tree order, owned: whom to send
	 * to around a tree neighbour that is down (node.c bypass) */
	uint8_t (*order)[SM_ID_LEN];
	size_t n_order, me;		/* me: this node's place in order */
	/* the primary cross-SIG links out of this SIG, one per other SIG,
	 * owned: where federation objects go when a link's end is down
	 * (node.c link_around) */
	struct xlink *xl;
	size_t n_xl;
};

/* The primary link from a tree's SIG into another SIG x (node.c
 * node_choose_neighbours): from member a to x's entry b. */
struct xlink {
	size_t a;			/* a's place in the tree's order */
	size_t x;			/* x: federation_at(fed, x) */
	uint8_t b[SM_ID_LEN];
	uint8_t b_nb[TREE_FANOUT + 1][SM_ID_LEN];	/* b's tree neighbours in x */
	size_t n_b_nb;
};

struct node {
	config cfg;
	identity_t *id;
	federation_t *fed;
	store_t *store;
	scope_t *scope;
	void *zctx;
	transport_t *tp;
	verify_t *verify;		/* crypto workers for objects from peers */
	void *control;			/* REP, ipc in the data dir */
	void *feed;			/* XPUB, ipc in the data dir */
	long feed_subs;			/* live subscriptions on the feed */
	struct peer **peers;
	size_t n_peers, cap_peers;
	bool in_batch;
	uint64_t batch_start_ms;
	struct pending *pending;
	size_t n_pending, cap_pending;
	struct parked *parked;
	size_t n_parked, cap_parked, parked_bytes;
	bool unpark_due;		/* a report or a release entered the open batch */
	struct tree *trees;		/* one per SIG this node is in */
	size_t n_trees;
	struct missing *missing;
	uint32_t *missing_slots;	/* hash of missing ids: index + 1, 0 = empty */
	size_t n_missing, cap_missing;
	/* ids this node grafted lately (a ring), to tell a graft's answer
	 * from other copies in the duplicate counters */
	struct {
		uint8_t id[SM_ID_LEN];
		uint64_t seen;		/* first announced */
	} grafted[64];
	size_t grafted_pos;
	/* objects this node sent on lately (a ring) and the SIG trees it
	 * started them on (bit i: trees[i]): a tree copy that comes later,
	 * when the object reached this node first by another SIG, continues
	 * down that tree from here (node.c reenter) */
	struct {
		uint8_t id[SM_ID_LEN];
		uint32_t trees;
	} sent_on[512];
	size_t sent_on_pos;
	/* How long a tree copy lags an announcement, smoothed as TCP smooths
	 * round trips (RFC 6298), and the graft wait taken from it: on a
	 * busy machine a fixed wait grafted copies the tree was about to
	 * bring (scale-1000: 57% of copies were such duplicates) */
	double lag_ms, lag_var_ms;
	uint32_t graft_wait_ms;
	/* A node that just started catches up one neighbour at a time
	 * (gossip_recon.c catchup_step): the neighbour it reconciles with
	 * now, how many objects that session found missing here, the
	 * neighbour's objects_in + duplicates_in when it began, and when
	 * the last of them arrived */
	struct peer *catchup;
	size_t catchup_need;
	uint64_t catchup_in0, catchup_moved_ms, catchup_in_last;
	uint64_t seq;			/* last sequence number this node used */
	/* the arrival sequence of the latest object stored, and samples of
	 * it once a second (gossip_recon_tick): a session does not push what
	 * arrived here in the last few seconds to a neighbour that was up
	 * meanwhile (gossip_recon.c, RECON_FRESH_MS) */
	uint64_t arrived_last;
	struct {
		uint64_t ms, seq;
	} arrived_at[8];
	unsigned arrived_pos;
	node_counters c;
	wire_frame *frame;		/* decode scratch (large) */
	/* the report being published after its commit, already opened by
	 * ingest: node_open_report uses this plaintext instead of opening
	 * the stored object again */
	const uint8_t *hint_id, *hint_plain;
	size_t hint_plain_len;
	volatile bool stop;
};

const uint8_t *node_me(const node_t *n);
struct peer *node_peer(node_t *n, const uint8_t org[SM_ID_LEN], bool create);
/* Send a frame made by a wire_* encoder and free it. len is read only
 * after the encoder ran: pass the address the encoder filled. */
int node_send(node_t *n, struct peer *p, uint8_t *frame, const size_t *len);
int node_ingest(node_t *n, const uint8_t *obj, size_t len, struct peer *from, sm_err *err);
int node_commit(node_t *n, sm_err *err);
void node_choose_neighbours(node_t *n);
/* SIG neighbours off the tree told of an object (IHAVE); a build with
 * -DLAZY_FANOUT=64 tells all of them, as sigmeshd did before 2026-11-27,
 * for A/B runs (bench/NOTES.md) */
#ifndef LAZY_FANOUT
#define LAZY_FANOUT 2
#endif
/* A node's (me) entry members of a SIG (PROTOCOL.md 10.3): of the n
 * members with an endpoint, the indexes of the first k into out[] (the top
 * of the SIG's tree first, then by BLAKE2b-64(me || member)). Returns how
 * many, at most k; 0 when out of memory. */
size_t node_entry_picks(const uint8_t sig[SM_ID_LEN], const uint8_t me[SM_ID_LEN],
    const uint8_t (*members)[SM_ID_LEN], size_t n, size_t k, size_t *out);
/* The rank by which a node (me) picks which neighbours (org) it announces
 * object id to: the LAZY_FANOUT lowest. */
void node_lazy_rank(const uint8_t id[SM_ID_LEN], const uint8_t me[SM_ID_LEN], const uint8_t org[SM_ID_LEN],
    uint8_t out[8]);

#endif
