/*
 * node/gossip_recon.h — exact catch-up with one peer by set reconciliation
 * (proto/recon.h) over the objects both are entitled to.
 *
 * Started when a neighbour greets us (it came back, or we did), and every
 * recon_interval_ms with each neighbour. Both sides build the same set:
 * every object held whose scope_shared(me, peer) is true, sorted by
 * (created_ms, id); a node never lists, announces or sends an object the
 * peer may not hold. Both sides push what the other lacks ("have"), in an
 * order receivers can place: releases, then reports, then the rest, a few
 * OBJECTS frames per loop turn as the peer's queue drains (a full queue
 * delays the rest instead of losing it). A receiver that had to defer
 * objects (a sighting before its report) reconciles again after
 * RECON_RETRY_MS instead of waiting for the next interval.
 */
#ifndef SIGMESH_GOSSIP_RECON_H
#define SIGMESH_GOSSIP_RECON_H

#include <stdbool.h>
#include "node/node_impl.h"

/* true if a session was started. */
bool gossip_recon_maybe_start(node_t *n, struct peer *p, bool force);
/* Is the periodic session with neighbour p ours (me) to start at now? */
bool gossip_recon_periodic_due(const uint8_t me[SM_ID_LEN], const struct peer *p, uint32_t interval_ms,
    uint64_t now);
/* Send the next frames of p's backlog; true while some remains. */
bool gossip_recon_pump(node_t *n, struct peer *p);
/* Queue for p the objects a session (over the direct scope or not) found
 * it lacking, releases first, then reports, then the rest, except those
 * queued already, offered to it lately, or fresh here (RECON_FRESH_MS in
 * gossip_recon.c); gossip_recon_pump sends them. Returns how many were
 * queued. */
size_t gossip_recon_queue(node_t *n, struct peer *p, const recon_ids *have, bool direct);
/* What a node does when peer p greets it (its HELLO), by the rules in
 * PROTOCOL.md "Catch-up"; gossip_recon_on_greeting does it. */
typedef enum greet_action {
	GREET_NONE,		/* nothing: a peer sharing no SIG that we owe
				 * nothing, or one already in our catch-up */
	GREET_QUEUE,		/* we just started: queue it for our catch-up */
	GREET_YIELD,		/* it just started and counts us as a neighbour:
				 * wait for its session (GREET_YIELD_MS) */
	GREET_START_DIRECT,	/* start a session over the direct scope now:
				 * we owe it objects, or it just started and
				 * we reach it over a one-way designated link */
	GREET_START,		/* it came back after a silence: start one now */
	GREET_PERIODIC,		/* regular contact, our id is the lower: start
				 * one if the periodic session is due */
	GREET_WAIT,		/* regular contact, its id is the lower: give it
				 * GREET_WAIT_MS to start one */
} greet_action;

greet_action gossip_recon_greet(const node_t *n, const uint8_t me[SM_ID_LEN], const struct peer *p,
    uint64_t now);
/* p greeted us: reconcile now or shortly (see gossip_recon.c). */
void gossip_recon_on_greeting(node_t *n, struct peer *p);
/* Our catch-up (a node that just started) still waits on its current
 * neighbour: its session runs, or the objects it found missing here are
 * still arriving and the last came less than CATCHUP_STALL_MS ago. */
bool gossip_recon_catchup_waits(const node_t *n, uint64_t now);
/* Take the next neighbour off the catch-up queue, SIG neighbours before
 * designated links; one whose own session with us came meanwhile leaves
 * the queue without a turn. NULL when the queue is empty. */
struct peer *gossip_recon_catchup_next(node_t *n);
/* Objects from p were deferred: reconcile with it again soon. */
void gossip_recon_soon(struct peer *p);
void gossip_recon_on_frame(node_t *n, struct peer *p, const wire_frame *f);
/* Sessions open now, the objects their copies of the set hold (each
 * session copies it: 72 B an object), and those open with a peer silent
 * longer than a session may stay quiet (they wait to go stale). */
void gossip_recon_held(const node_t *n, size_t *sessions, size_t *items, size_t *silent);
/* Once a second: start the sessions due, drop a responder session and our
 * own with a peer silent for RECON_STALE_MS, drop pushed sets older
 * than PUSH_DEDUP_MS (each holds a pointer per object pushed), and age
 * the offered sets. */
void gossip_recon_tick(node_t *n);
/* Start the sessions gossip_recon_soon asked for, when due. */
void gossip_recon_due(node_t *n);
void gossip_recon_free(struct peer *p);
/* The peer restarted: what we pushed or offered to it before may not
 * have been stored, so it may be pushed again. */
void gossip_recon_forget_pushed(struct peer *p);
/* e went to p, or was announced to it (queued for its next frame): a
 * session in the next few seconds does not push it (see OFFER_GEN_MS in
 * gossip_recon.c). */
void gossip_recon_offered(struct peer *p, const scope_entry *e);
/* A frame from p was taken in (last_seen_ms and prev_seen_ms set): after a
 * silence, it counts as present from now on (see RECON_FRESH_MS). */
void gossip_recon_heard(node_t *n, struct peer *p);
/* A send to p failed, or its DEALER was redialled (dropping what was
 * queued): what it was offered may not reach it. */
void gossip_recon_offer_lost(struct peer *p);

#endif
