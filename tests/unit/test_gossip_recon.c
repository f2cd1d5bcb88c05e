/*
 * tests/unit/test_gossip_recon.c — what a session queues for a peer (not
 * what is on its way to it already), and what gossip_recon releases on
 * its own:
 * a peer's pushed set once PUSH_DEDUP_MS (5 s) has passed, a drained
 * backlog array sized for a large catch-up, and our session with a peer
 * gone silent; and what gossip_recon_held counts of the sessions open.
 * Late frames of sessions either side ended are dropped, not taken for
 * new ones (PROTOCOL.md §11.5, "Ended sessions").
 * Held on, each grows a node's memory with every peer it ever
 * reconciled with (issue 6, the soak).
 *
 * Also the catch-up rules (PROTOCOL.md "Catch-up"), without a network:
 * what a greeting makes a node do, the order its own catch-up takes its
 * neighbours in, and when it moves on to the next.
 *
 * The peers here are not neighbours, so gossip_recon_tick starts no
 * session with them and the node needs no store, scope or transport.
 */
#include <stdlib.h>
#include "tests/test.h"
#include "node/gossip_recon.h"
#include "node/transport.h"

static recon_t *empty_session(void)
{
	sm_err err = {0};
	return recon_new(NULL, 0, NULL, &err);
}

/* A session over k (at most 8) objects (ids 1..k at times 1..k); NULL
 * for more, rather than reading past the array. */
static recon_t *session_of(size_t k)
{
	recon_item it[8] = {0};
	sm_err err = {0};

	if (k > 8)
		return NULL;
	for (size_t i = 0; i < k; i++) {
		it[i].ts = i + 1;
		it[i].id[0] = (uint8_t)(i + 1);
	}
	return recon_new(it, k, NULL, &err);
}

/* What `status` reports under memory.recon_*: every open session, the
 * objects their copies hold, and the ones open with a silent peer. */
static void t_held_counts_sessions_and_copies(void)
{
	struct peer a = {0}, b = {0}, c = {0};
	struct peer *peers[] = { &a, &b, &c };
	node_t n;
	uint64_t now = now_ms();
	size_t sessions = 99, items = 99, silent = 99;

	memset(&n, 0, sizeof(n));
	n.peers = peers;
	n.n_peers = 3;
	gossip_recon_held(&n, &sessions, &items, &silent);
	CHECK(sessions == 0 && items == 0 && silent == 0);
	/* a: our session over 3 objects, peer silent for 30 s */
	a.rs_init = session_of(3);
	a.last_seen_ms = now - 30000;
	/* b: both directions open, over 5 and 2 objects, peer just spoke */
	b.rs_init = session_of(5);
	b.rs_resp = session_of(2);
	b.last_seen_ms = now;
	/* c: no session */
	c.last_seen_ms = now - 30000;
	CHECK(a.rs_init && b.rs_init && b.rs_resp);
	gossip_recon_held(&n, &sessions, &items, &silent);
	CHECK(sessions == 3);
	CHECK(items == 10);
	CHECK(silent == 1);
	for (size_t i = 0; i < 3; i++)
		gossip_recon_free(peers[i]);
	gossip_recon_held(&n, &sessions, &items, &silent);
	CHECK(sessions == 0 && items == 0 && silent == 0);
}

/* A pushed set holding k made-up pointers (never dereferenced). */
static void fake_pushed(ptrset *s, size_t k)
{
	static char slots[8];

	for (size_t i = 0; i < k && i < sizeof(slots); i++)
		(void)ptrset_add(s, &slots[i]);
}

static void t_tick_drops_old_pushed_set(void)
{
	struct peer a = {0}, b = {0}, c = {0};
	struct peer *peers[] = { &a, &b, &c };
	node_t n;
	uint64_t now = now_ms();

	memset(&n, 0, sizeof(n));
	n.peers = peers;
	n.n_peers = 3;
	/* a: last push 6 s ago, nothing queued: dropped */
	fake_pushed(&a.pushed, 3);
	a.last_push_ms = now - 6000;
	/* b: pushed 1 s ago: kept, it still suppresses a second push */
	fake_pushed(&b.pushed, 3);
	b.last_push_ms = now - 1000;
	/* c: old, but its backlog is still being sent: kept */
	fake_pushed(&c.pushed, 1);
	c.last_push_ms = now - 60000;
	c.backlog = calloc(4, sizeof(*c.backlog));
	c.cap_backlog = 4;
	c.n_backlog = 1;
	CHECK(a.pushed.n == 3 && b.pushed.n == 3 && c.pushed.n == 1 && c.backlog);

	gossip_recon_tick(&n);
	CHECK(a.pushed.slot == NULL && a.pushed.n == 0 && a.pushed.cap == 0);
	CHECK(b.pushed.slot != NULL && b.pushed.n == 3);
	CHECK(c.pushed.slot != NULL && c.pushed.n == 1);
	for (size_t i = 0; i < 3; i++)
		gossip_recon_free(peers[i]);
	CHECK(c.pushed.slot == NULL && c.backlog == NULL && c.cap_backlog == 0);
}

/* Four sightings in the node's scope, arrived in this order (arrival
 * sequence 1..4), their ids in have. */
static void four_objects(node_t *n, scope_entry *e[4], recon_ids *have)
{
	static const uint8_t by[SM_ID_LEN] = { 0xb0 };

	have->id = calloc(4, sizeof(*have->id));
	have->n = have->cap = have->id ? 4 : 0;
	for (int i = 0; i < 4; i++) {
		sm_msg m;
		memset(&m, 0, sizeof(m));
		m.type = SM_MSG_SIGHTING;
		m.id[0] = (uint8_t)(0x10 + i);
		m.u.h.type = SM_MSG_SIGHTING;
		memcpy(m.u.h.originator, by, SM_ID_LEN);
		m.u.h.created_ms = 1000 + (uint64_t)i;
		m.u.sighting.report[0] = 0xee;
		m.u.sighting.count = 1;
		e[i] = scope_add(n->scope, &m, (uint64_t)i + 1);
		if (e[i] && have->id)
			memcpy(have->id[i], e[i]->msg.id, SM_ID_LEN);
	}
	n->arrived_last = 4;
}

static bool queued(const struct peer *p, const scope_entry *e)
{
	for (size_t i = 0; i < p->n_backlog; i++)
		if (p->backlog[i] == e)
			return true;
	return false;
}

/*
 * What a session found a peer lacking is queued for it, except what is
 * on its way to it already: objects sent or announced to it lately
 * (gossip_recon_offered), and, for a neighbour that was up all along,
 * those that arrived here in the last RECON_FRESH_MS (2 s). Over the
 * direct scope neither rule holds. A failed send, a redial or the peer's
 * restart makes what it was offered pushable again.
 */
static void t_queue_skips_offered_and_fresh(void)
{
	struct peer p = {0}, q = {0}, d = {0};
	node_t n;
	scope_entry *e[4] = {0};
	recon_ids have = {0};
	uint64_t now = now_ms();

	memset(&n, 0, sizeof(n));
	n.scope = scope_new();
	CHECK(n.scope != NULL);
	if (!n.scope)
		return;
	four_objects(&n, e, &have);
	CHECK(e[0] && e[1] && e[2] && e[3] && have.n == 4);
	/* seen 5 s ago: objects 1 and 2 had arrived; 0.5 s ago: all four */
	n.arrived_at[0].ms = now - 5000;
	n.arrived_at[0].seq = 2;
	n.arrived_at[1].ms = now - 500;
	n.arrived_at[1].seq = 4;
	/* p: a neighbour up all along, sent object 1 a moment ago */
	p.neighbor = true;
	gossip_recon_offered(&p, e[0]);
	CHECK(gossip_recon_queue(&n, &p, &have, false) == 1);
	CHECK(queued(&p, e[1]) && p.n_backlog == 1);
	CHECK(n.c.recon_skipped == 3);
	/* over the direct scope nothing is skipped: that session is the
	 * check that a direct send landed, and settles the debt */
	d.neighbor = true;
	gossip_recon_offered(&d, e[0]);
	CHECK(gossip_recon_queue(&n, &d, &have, true) == 4);
	CHECK(queued(&d, e[0]) && queued(&d, e[1]) && queued(&d, e[2]) && queued(&d, e[3]));
	/* q: came back after object 3 arrived: that one it missed, and only
	 * object 4 was on the gossip paths to it */
	q.neighbor = true;
	q.present_seq = 3;
	CHECK(gossip_recon_queue(&n, &q, &have, false) == 3);
	CHECK(queued(&q, e[0]) && queued(&q, e[1]) && queued(&q, e[2]) && !queued(&q, e[3]));
	/* a session over a peer that is not a neighbour: no tree carries
	 * objects to it, so fresh ones are pushed too */
	gossip_recon_free(&q);
	q = (struct peer){0};
	CHECK(gossip_recon_queue(&n, &q, &have, false) == 4);
	/* p's send failed: object 1 may not reach it, and is pushed now */
	gossip_recon_offer_lost(&p);
	CHECK(gossip_recon_queue(&n, &p, &have, false) == 1);
	CHECK(queued(&p, e[0]));
	/* and what is queued is not queued twice */
	CHECK(gossip_recon_queue(&n, &p, &have, false) == 0);
	/* with no sample of arrivals yet (a node that just started), nothing
	 * counts as fresh */
	memset(n.arrived_at, 0, sizeof(n.arrived_at));
	gossip_recon_free(&p);
	p = (struct peer){ .neighbor = true };
	CHECK(gossip_recon_queue(&n, &p, &have, false) == 4);
	gossip_recon_free(&p);
	gossip_recon_free(&q);
	gossip_recon_free(&d);
	recon_ids_free(&have);
	scope_destroy(&n.scope);
}

/* An offer is remembered for one to two OFFER_GEN_MS (5 s): the tick
 * rotates the two generations, and the second rotation forgets it. */
static void t_tick_ages_offered(void)
{
	struct peer p = {0};
	struct peer *peers[] = { &p };
	node_t n;
	static scope_entry x;
	uint64_t now = now_ms();

	memset(&n, 0, sizeof(n));
	n.peers = peers;
	n.n_peers = 1;
	p.offered_rot_ms = now;
	gossip_recon_offered(&p, &x);
	gossip_recon_tick(&n);		/* not yet due: nothing moves */
	CHECK(p.offered[0].n == 1 && p.offered[1].n == 0);
	p.offered_rot_ms = now - 6000;
	gossip_recon_tick(&n);
	CHECK(p.offered[0].n == 0 && p.offered[1].n == 1);
	p.offered_rot_ms = now - 6000;
	gossip_recon_tick(&n);
	CHECK(p.offered[0].n == 0 && p.offered[1].n == 0 && p.offered[1].slot == NULL);
	/* the tick also samples the arrival sequence (RECON_FRESH_MS) */
	n.arrived_last = 7;
	gossip_recon_tick(&n);
	bool sampled = false;
	for (size_t i = 0; i < sizeof(n.arrived_at) / sizeof(n.arrived_at[0]); i++)
		sampled |= n.arrived_at[i].seq == 7 && n.arrived_at[i].ms >= now;
	CHECK(sampled);
	gossip_recon_free(&p);
}

static void t_tick_drops_session_with_silent_peer(void)
{
	struct peer a = {0}, b = {0}, c = {0};
	struct peer *peers[] = { &a, &b, &c };
	node_t n;
	uint64_t now = now_ms();

	memset(&n, 0, sizeof(n));
	n.peers = peers;
	n.n_peers = 3;
	/* a: started 30 s ago, peer silent for 30 s: dropped */
	a.rs_init = empty_session();
	a.recon_started_ms = now - 30000;
	a.last_seen_ms = now - 30000;
	/* b: old session but the peer spoke 1 s ago (slow, not gone): kept */
	b.rs_init = empty_session();
	b.recon_started_ms = now - 30000;
	b.last_seen_ms = now - 1000;
	/* c: a session just started with a peer silent for long: kept, it
	 * is the greeting that may bring it back */
	c.rs_init = empty_session();
	c.recon_started_ms = now - 1000;
	c.last_seen_ms = now - 30000;
	CHECK(a.rs_init && b.rs_init && c.rs_init);

	gossip_recon_tick(&n);
	CHECK(a.rs_init == NULL);
	CHECK(b.rs_init != NULL);
	CHECK(c.rs_init != NULL);
	for (size_t i = 0; i < 3; i++)
		gossip_recon_free(peers[i]);
	CHECK(b.rs_init == NULL && c.rs_init == NULL);
}

static void t_pump_frees_large_drained_backlog(void)
{
	struct peer big = {0}, small = {0};
	node_t n;

	memset(&n, 0, sizeof(n));
	/* everything sent (pos == n): a 4096-slot array is released */
	big.backlog = calloc(4096, sizeof(*big.backlog));
	big.cap_backlog = 4096;
	big.n_backlog = big.backlog_pos = 4096;
	/* a small one is kept for the next session */
	small.backlog = calloc(16, sizeof(*small.backlog));
	small.cap_backlog = 16;
	small.n_backlog = small.backlog_pos = 16;
	CHECK(big.backlog && small.backlog);

	CHECK(!gossip_recon_pump(&n, &big));
	CHECK(big.backlog == NULL && big.cap_backlog == 0 && big.n_backlog == 0 && big.backlog_pos == 0);
	CHECK(!gossip_recon_pump(&n, &small));
	CHECK(small.backlog != NULL && small.cap_backlog == 16 && small.n_backlog == 0);
	gossip_recon_free(&big);
	gossip_recon_free(&small);
	CHECK(small.backlog == NULL);
}

/* A RECON frame of session sid whose message is junk (a 3-array where a
 * 2-array belongs): what a late frame looks like to a side that would
 * take it for a new session. */
static void junk_frame(wire_frame *f, uint64_t sid)
{
	static const uint8_t junk[] = { 0x93, 0x01, 0x02, 0x03 };

	memset(f, 0, sizeof(*f));
	f->recon = junk;
	f->recon_len = sizeof(junk);
	f->session = sid;
}

/* A late answer to a session we gave up on (or replaced) is dropped: it
 * must not open a responder session, nor count against the peer. */
static void t_late_answer_to_ended_session_ignored(void)
{
	struct peer p = {0};
	node_t n;
	wire_frame f;

	memset(&n, 0, sizeof(n));
	/* the session we gave up on: its id stays in sid_init */
	p.sid_init = 0x1111;
	junk_frame(&f, 0x1111);
	gossip_recon_on_frame(&n, &p, &f);
	CHECK(p.rs_resp == NULL && p.rejected == 0 && p.sid_resp == 0);
	/* one replaced by a newer session */
	p.sid_old[0] = 0x2222;
	p.rs_init = empty_session();
	p.sid_init = 0x3333;
	f.session = 0x2222;
	gossip_recon_on_frame(&n, &p, &f);
	CHECK(p.rs_resp == NULL && p.rejected == 0 && p.rs_init != NULL);
	gossip_recon_free(&p);
}

/* A late message of the peer's session that we answered and dropped
 * (stale, finished, failed, or replaced by its next one) is dropped too:
 * it must not open a responder session, replace the open one, or count
 * against the peer. A new session id is still answered. */
static void t_late_message_of_dropped_peer_session_ignored(void)
{
	struct peer p = {0};
	node_t n;
	wire_frame f;
	recon_t *open;

	memset(&n, 0, sizeof(n));
	/* a session answered here is over an empty scope; the failure it
	 * logs names the peer by its id (an empty federation) */
	n.scope = scope_new();
	n.fed = federation_new();
	CHECK(n.scope && n.fed);
	/* dropped: its id stays in sid_resp */
	p.sid_resp = 0x4444;
	junk_frame(&f, 0x4444);
	gossip_recon_on_frame(&n, &p, &f);
	CHECK(p.rs_resp == NULL && p.rejected == 0 && p.sid_resp == 0x4444);
	/* replaced by the peer's next session, which stays open */
	p.rs_resp = open = empty_session();
	p.sid_resp = 0x5555;
	p.resp_old[0] = 0x4444;
	gossip_recon_on_frame(&n, &p, &f);
	CHECK(p.rs_resp == open && p.sid_resp == 0x5555 && p.rejected == 0);
	/* a new id is the peer opening a session: answered (here it is junk,
	 * so it fails and counts once), and the session it replaced is
	 * remembered */
	f.session = 0x6666;
	gossip_recon_on_frame(&n, &p, &f);
	CHECK(p.sid_resp == 0x6666 && p.rejected == 1 && p.rs_resp == NULL);
	bool kept = false;
	for (size_t i = 0; i < 4; i++)
		kept |= p.resp_old[i] == 0x5555;
	CHECK(kept);
	/* and its late messages are dropped in turn */
	f.session = 0x5555;
	gossip_recon_on_frame(&n, &p, &f);
	CHECK(p.rejected == 1 && p.sid_resp == 0x6666);
	federation_destroy(&n.fed);
	scope_destroy(&n.scope);
	gossip_recon_free(&p);
}

/* The periodic session between two neighbours: the lower org id starts it
 * every interval; the higher only after 1.5 intervals without a session
 * either way, so two nodes coming due together do not both start one. */
static void t_periodic_session_is_lower_ids(void)
{
	const uint32_t every = 30000;
	uint8_t low[SM_ID_LEN] = { 0x10 }, high[SM_ID_LEN] = { 0x20 };
	struct peer of_low = {0}, of_high = {0};	/* as each side sees the other */
	uint64_t now = 1000000;

	memcpy(of_low.org, high, SM_ID_LEN);
	memcpy(of_high.org, low, SM_ID_LEN);
	/* never reconciled: either may start */
	CHECK(gossip_recon_periodic_due(low, &of_low, every, now));
	CHECK(gossip_recon_periodic_due(high, &of_high, every, now));
	/* the low side's session ran 31 s ago: due again on the low side;
	 * the high side answered it then and waits */
	of_low.last_recon_ms = now - 31000;
	of_high.last_resp_ms = now - 31000;
	CHECK(gossip_recon_periodic_due(low, &of_low, every, now));
	CHECK(!gossip_recon_periodic_due(high, &of_high, every, now));
	/* 44 s: still the low side's; 46 s without one: the high side starts */
	of_high.last_resp_ms = now - 44000;
	CHECK(!gossip_recon_periodic_due(high, &of_high, every, now));
	of_high.last_resp_ms = now - 46000;
	CHECK(gossip_recon_periodic_due(high, &of_high, every, now));
	/* a session of the high side's own, 40 s ago, also counts */
	of_high.last_recon_ms = now - 40000;
	CHECK(!gossip_recon_periodic_due(high, &of_high, every, now));
	/* the low side answered a session 10 s ago: it covered both ways */
	of_low.last_resp_ms = now - 10000;
	CHECK(!gossip_recon_periodic_due(low, &of_low, every, now));
}

/* our org id: 0x80 then zeros, so a peer of 0x00... is lower and one of
 * 0xff... higher */
static const uint8_t me_mid[SM_ID_LEN] = { 0x80 };

/* Whoever greets a node, it decides: queue it for its own catch-up, wait
 * for the peer's, start a session now, or leave it to the lower id. */
static void t_greeting_rules(void)
{
	node_t n;
	struct peer p = {0};
	const uint64_t now = 10000000;

	memset(&n, 0, sizeof(n));
	n.c.started_ms = now - 600000;		/* up for 10 minutes */
	memset(p.org, 0xff, SM_ID_LEN);

	/* a peer sharing no SIG: a session over the direct scope if we owe
	 * it objects, else nothing */
	CHECK(gossip_recon_greet(&n, me_mid, &p, now) == GREET_NONE);
	p.owed_ms = now - 20000;
	CHECK(gossip_recon_greet(&n, me_mid, &p, now) == GREET_START_DIRECT);
	p.owed_ms = 0;

	/* a neighbour in regular contact (heard 30 s ago): the lower id
	 * starts; the higher waits for it */
	p.neighbor = true;
	p.prev_seen_ms = now - 30000;
	CHECK(gossip_recon_greet(&n, me_mid, &p, now) == GREET_PERIODIC);
	memset(p.org, 0x00, SM_ID_LEN);
	CHECK(gossip_recon_greet(&n, me_mid, &p, now) == GREET_WAIT);

	/* back after 80 s of silence (HELLO every 30 s), up for a minute:
	 * whoever is greeted starts at once, whichever id is lower */
	p.prev_seen_ms = now - 80000;
	p.peer_started_ms = now - 60000;
	CHECK(gossip_recon_greet(&n, me_mid, &p, now) == GREET_START);
	/* never seen before: the same */
	p.prev_seen_ms = 0;
	CHECK(gossip_recon_greet(&n, me_mid, &p, now) == GREET_START);

	/* back and started 2 s ago: its catch-up comes to us in turn */
	p.peer_started_ms = now - 2000;
	CHECK(gossip_recon_greet(&n, me_mid, &p, now) == GREET_YIELD);
	/* also as the first designated link between our SIGs (it counts
	 * the link too) */
	p.cross = true;
	p.cross_primary = true;
	CHECK(gossip_recon_greet(&n, me_mid, &p, now) == GREET_YIELD);
	/* but over a link only our side knows, it would never start one:
	 * we start one over the direct scope at once */
	p.cross_primary = false;
	CHECK(gossip_recon_greet(&n, me_mid, &p, now) == GREET_START_DIRECT);
	p.cross = false;
	/* a start time 4 s ahead of our clock: young (clocks skew); 6 s
	 * ahead: a bad clock, taken as not young */
	p.peer_started_ms = now + 4000;
	CHECK(gossip_recon_greet(&n, me_mid, &p, now) == GREET_YIELD);
	p.peer_started_ms = now + 6000;
	CHECK(gossip_recon_greet(&n, me_mid, &p, now) == GREET_START);

	/* we started 1 s ago: every neighbour goes in our queue once, even
	 * one that is young too (someone must start) */
	n.c.started_ms = now - 1000;
	p.peer_started_ms = now - 2000;
	CHECK(gossip_recon_greet(&n, me_mid, &p, now) == GREET_QUEUE);
	p.catchup_queued = true;
	CHECK(gossip_recon_greet(&n, me_mid, &p, now) == GREET_NONE);
	p.catchup_queued = false;
	n.catchup = &p;				/* its turn is under way */
	CHECK(gossip_recon_greet(&n, me_mid, &p, now) == GREET_NONE);
	n.catchup = NULL;
	p.synced_ms = now - 500;		/* a session since we started */
	CHECK(gossip_recon_greet(&n, me_mid, &p, now) == GREET_NONE);
	p.synced_ms = 0;
	/* 6 s after our start we are no longer young: a greeting after a
	 * silence is answered at once again */
	n.c.started_ms = now - 6000;
	p.peer_started_ms = now - 60000;
	CHECK(gossip_recon_greet(&n, me_mid, &p, now) == GREET_START);
}

/* The catch-up takes SIG neighbours first, then designated links, each
 * once; a neighbour that reconciled with us on its own leaves the queue. */
static void t_catchup_queue_order(void)
{
	struct peer link = {0}, a = {0}, idle = {0}, done = {0}, b = {0};
	struct peer *peers[] = { &link, &a, &idle, &done, &b };
	node_t n;

	memset(&n, 0, sizeof(n));
	n.peers = peers;
	n.n_peers = 5;
	link.cross = true;
	link.catchup_queued = a.catchup_queued = done.catchup_queued = b.catchup_queued = true;
	/* all greeted us at 100; done started a session with us at 150 */
	link.recon_asked_ms = a.recon_asked_ms = done.recon_asked_ms = b.recon_asked_ms = 100;
	link.recon_due_ms = a.recon_due_ms = done.recon_due_ms = b.recon_due_ms = 3100;
	done.last_resp_ms = 150;
	/* an earlier session of a's own, before it greeted us, does not count */
	a.last_resp_ms = 50;

	CHECK(gossip_recon_catchup_next(&n) == &a);
	CHECK(!a.catchup_queued);
	CHECK(gossip_recon_catchup_next(&n) == &b);
	/* done was passed over, and needs no session of ours either */
	CHECK(!done.catchup_queued && done.recon_due_ms == 0);
	CHECK(gossip_recon_catchup_next(&n) == &link);
	CHECK(gossip_recon_catchup_next(&n) == NULL);
	/* taking a turn leaves the session to the caller (catchup_step
	 * clears recon_due_ms once it has started one) */
	CHECK(a.recon_due_ms == 3100 && b.recon_due_ms == 3100 && link.recon_due_ms == 3100);
}

/* The next neighbour's turn comes when the current session is over and
 * the objects it found missing have come, or nothing came for 1 s. */
static void t_catchup_waits_for_what_it_found(void)
{
	struct peer c = {0};
	node_t n;
	const uint64_t now = 10000000;

	memset(&n, 0, sizeof(n));
	CHECK(!gossip_recon_catchup_waits(&n, now));	/* none under way */
	n.catchup = &c;
	/* the session started 200 ms ago and runs */
	c.rs_init = session_of(3);
	CHECK(c.rs_init != NULL);
	c.recon_started_ms = now - 200;
	n.catchup_in0 = n.catchup_in_last = 40;
	n.catchup_moved_ms = now - 200;
	CHECK(gossip_recon_catchup_waits(&n, now));
	/* it ended, having found 10 objects missing; 6 came, the last
	 * 300 ms ago */
	gossip_recon_free(&c);
	n.catchup_need = 10;
	n.catchup_in_last = 46;
	n.catchup_moved_ms = now - 300;
	CHECK(gossip_recon_catchup_waits(&n, now));
	/* nothing more for 1.1 s: the rest is not coming from it */
	CHECK(!gossip_recon_catchup_waits(&n, now + 800));
	/* all 10 came: over at once */
	n.catchup_in_last = 50;
	CHECK(!gossip_recon_catchup_waits(&n, now));
	/* a session of ours gone stale (10 s) holds nothing up */
	n.catchup_in_last = 40;
	n.catchup_need = 0;
	c.rs_init = session_of(1);
	c.recon_started_ms = now - 60000;
	CHECK(!gossip_recon_catchup_waits(&n, now));
	gossip_recon_free(&c);
}

int main(void)
{
	RUN(t_tick_drops_old_pushed_set);
	RUN(t_queue_skips_offered_and_fresh);
	RUN(t_tick_ages_offered);
	RUN(t_tick_drops_session_with_silent_peer);
	RUN(t_pump_frees_large_drained_backlog);
	RUN(t_late_answer_to_ended_session_ignored);
	RUN(t_late_message_of_dropped_peer_session_ignored);
	RUN(t_held_counts_sessions_and_copies);
	RUN(t_periodic_session_is_lower_ids);
	RUN(t_greeting_rules);
	RUN(t_catchup_queue_order);
	RUN(t_catchup_waits_for_what_it_found);
	TEST_EXIT();
}
