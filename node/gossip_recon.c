/*
 * node/gossip_recon.c — reconciliation sessions with peers; see
 * gossip_recon.h.
 */
#include <stdlib.h>
#include <string.h>
#include "node/gossip_recon.h"
#include "node/log.h"

#define RECON_STALE_MS 10000	/* a session silent this long is dropped */
#define RECON_RETRY_MS 1000	/* after deferred objects, reconcile again this soon */
#define GREET_WAIT_MS 150	/* how long the waiting side of a greeting waits: a
				 * few round trips, short enough not to delay catch-up */
#define GREET_YOUNG_MS 5000	/* a node up for less than this was away */
#define GREET_SILENCE_MS 75000	/* a peer silent this long was away (HELLO every 30 s) */
#define GREET_YIELD_MS 3000	/* how long a node waits for a neighbour that just
				 * started to reconcile with it (it catches up with
				 * its neighbours one at a time) before starting a
				 * session itself */
#define CATCHUP_STALL_MS 1000	/* a catch-up whose objects stop arriving for this
				 * long makes way for the next neighbour's */

struct collect {
	node_t *n;
	struct peer *p;
	bool direct;			/* the direct scope only */
	sm_members mem;
	recon_item *items;
	size_t k, cap;
	bool oom;
};

/* Does o, held by both this node and peer, belong to their direct scope
 * (PROTOCOL.md §10.3): an object no SIG both are in carries between them?
 * That is a sighting for the report's originator only (it travels only
 * from its author to that originator, whatever the report's audience),
 * TLP:RED, and any non-federation object whose audience (with its
 * releases) names no SIG with both as members: it reached one of them as a
 * named organization or as a foreign SIG's entry. */
static bool direct_scope(node_t *n, scope_entry *e, const uint8_t peer[SM_ID_LEN])
{
	scope_entry *r = scope_report_of(n->scope, e);
	const sm_audience *a;

	if (e->msg.type == SM_MSG_SIGHTING && e->msg.u.sighting.originator_only)
		return r != NULL;
	if (!r || r->msg.u.report.aud.federation)
		return false;
	if (r->msg.u.report.tlp == SM_TLP_RED)
		return true;
	a = &r->msg.u.report.aud;
	for (size_t k = 0; k <= r->n_rel; k++) {
		if (k > 0)
			a = &r->rel[k - 1]->msg.u.release.add;
		for (uint32_t i = 0; i < a->n_sigs; i++) {
			roster_t *ro = federation_find(n->fed, a->sigs[i]);
			if (ro && roster_is_member(ro, 0, node_me(n)) && roster_is_member(ro, 0, peer))
				return false;
		}
	}
	return true;
}

static void collect_one(void *ctx, scope_entry *e)
{
	struct collect *c = ctx;

	if (c->oom || !scope_shared(c->n->scope, e, node_me(c->n), c->p->org, &c->mem))
		return;
	if (c->direct && !direct_scope(c->n, e, c->p->org))
		return;
	if (c->k == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 64;
		recon_item *x = realloc(c->items, cap * sizeof(*x));
		if (!x) {
			c->oom = true;
			return;
		}
		c->items = x;
		c->cap = cap;
	}
	c->items[c->k].ts = e->msg.u.h.created_ms;
	memcpy(c->items[c->k].id, e->msg.id, SM_ID_LEN);
	c->k++;
}

static int cmp_item(const void *a, const void *b)
{
	const recon_item *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return memcmp(x->id, y->id, SM_ID_LEN);
}

/* The set both of us may hold (direct: its direct scope only), as a fresh
 * recon session. */
static recon_t *session(node_t *n, struct peer *p, bool direct, sm_err *err)
{
	struct collect c = { n, p, direct, federation_members(n->fed), NULL, 0, 0, false };
	recon_t *r;

	scope_each(n->scope, collect_one, &c);
	if (c.oom) {
		free(c.items);
		sm_fail(err, SM_ENOMEM, "out of memory");
		return NULL;
	}
	if (c.k)	/* qsort's pointer must be valid even for no items */
		qsort(c.items, c.k, sizeof(*c.items), cmp_item);
	r = recon_new(c.items, c.k, NULL, err);
	free(c.items);
	return r;
}

static int type_rank(uint8_t type)
{
	return type == SM_MSG_RELEASE ? 0 : type == SM_MSG_REPORT ? 1 : 2;
}

static int cmp_send_order(const void *a, const void *b)
{
	const scope_entry *x = *(scope_entry *const *)a, *y = *(scope_entry *const *)b;
	int rx = type_rank(x->msg.type), ry = type_rank(y->msg.type);

	if (rx != ry)
		return rx - ry;
	/* arrival order: the store reads neighbouring pages */
	return x->arrival < y->arrival ? -1 : x->arrival > y->arrival;
}

#define PUSH_DEDUP_MS 5000	/* how long a pushed object is not pushed again */
/* The pushed set is dropped once PUSH_DEDUP_MS has passed: kept until
 * the next push, a set sized for one catch-up stayed allocated for every
 * peer ever reconciled with. */
/* A drained backlog larger than this is freed rather than kept for the
 * next session (its array is sized for the largest catch-up so far). */
#define BACKLOG_KEEP 256

/*
 * What a session finds the peer lacking is often on its way to it: an
 * object sent on down a tree, announced, or queued by another session a
 * moment ago, still in a queue or being verified at the peer when its set
 * was taken. Pushed again, it arrives twice. With sessions every 2 s, 0.36
 * of the 0.45 surplus copies per node per object on jcsip-2018 were such
 * pushes (bench/NOTES.md, session 21). So what went to a peer lately is
 * not pushed to it: the objects it was offered (gossip_recon_offered) in
 * the last OFFER_GEN_MS to twice that, kept in two generations that
 * gossip_recon_tick rotates. A copy that was lost after all (a full queue
 * at the peer, a connection that dropped it) is pushed by the first
 * session after the window, and a failed send or a peer's restart clears
 * the window at once (gossip_recon_offer_lost). In flight on a busy
 * 2-core machine an object takes a few seconds at most; the window is
 * about that, so a repair waits at most 10 s more. Not over the direct
 * scope: that session is the check that a direct send landed (node.c
 * settle_owed), it runs once the send has had time to land, and once it
 * completes nothing else would repair what it skipped.
 */
#define OFFER_GEN_MS 5000

void gossip_recon_offered(struct peer *p, const scope_entry *e)
{
	(void)ptrset_add(&p->offered[0], e);	/* no memory: at worst a duplicate push */
}

void gossip_recon_offer_lost(struct peer *p)
{
	ptrset_clear(&p->offered[0]);
	ptrset_clear(&p->offered[1]);
}

static bool offered(const struct peer *p, const scope_entry *e)
{
	return ptrset_has(&p->offered[0], e) || ptrset_has(&p->offered[1], e);
}

/*
 * The same race without a send of ours: an object that reached this node
 * a moment ago is reaching the peer too, down its own tree, while a
 * session between us runs. So a session does not push to a neighbour
 * what arrived here in the last RECON_FRESH_MS (to a second more), if the
 * neighbour was up all that time (present_seq: the gossip paths offered
 * it the object). A neighbour that lacks it after all gets it from the
 * next session, one interval later. Over the direct scope neither rule
 * holds (above): no tree carries those objects either.
 */
#define RECON_FRESH_MS 2000

void gossip_recon_heard(node_t *n, struct peer *p)
{
	if (!p->prev_seen_ms || p->last_seen_ms - p->prev_seen_ms > GREET_SILENCE_MS)
		p->present_seq = n->arrived_last;
}

/* Objects with an arrival sequence above this arrived in the last
 * RECON_FRESH_MS or so: the newest sample at least that old. With none
 * that old (the node is young), the oldest sample, which errs towards
 * pushing; with no sample yet, nothing counts as fresh. */
static uint64_t fresh_floor(const node_t *n, uint64_t now)
{
	uint64_t floor = UINT64_MAX, best = 0, oldest = UINT64_MAX;
	size_t k = sizeof(n->arrived_at) / sizeof(n->arrived_at[0]);

	for (size_t i = 0; i < k; i++) {
		uint64_t ms = n->arrived_at[i].ms;
		if (!ms)
			continue;
		if (ms + RECON_FRESH_MS <= now && ms >= best) {
			best = ms;
			floor = n->arrived_at[i].seq;
		}
	}
	if (best)
		return floor;
	for (size_t i = 0; i < k; i++)
		if (n->arrived_at[i].ms && n->arrived_at[i].ms < oldest) {
			oldest = n->arrived_at[i].ms;
			floor = n->arrived_at[i].seq;
		}
	return floor;
}

static void offered_rotate(struct peer *p, uint64_t now)
{
	if (now - p->offered_rot_ms < OFFER_GEN_MS)
		return;
	ptrset_clear(&p->offered[1]);
	p->offered[1] = p->offered[0];
	p->offered[0] = (ptrset){0};
	p->offered_rot_ms = now;
}

size_t gossip_recon_queue(node_t *n, struct peer *p, const recon_ids *have, bool direct)
{
	size_t start;
	uint64_t now = now_ms(), fresh = UINT64_MAX;

	if (!have->n)
		return 0;
	/* drop what was sent already */
	if (p->backlog_pos) {
		memmove(p->backlog, p->backlog + p->backlog_pos,
		    (p->n_backlog - p->backlog_pos) * sizeof(*p->backlog));
		p->n_backlog -= p->backlog_pos;
		p->backlog_pos = 0;
	}
	/* what was pushed a while ago and is still missing at the peer (it
	 * could not store it: full map or disk, a crash) is pushed again */
	if (!p->n_backlog && now - p->last_push_ms > PUSH_DEDUP_MS)
		ptrset_clear(&p->pushed);
	if (p->n_backlog + have->n > p->cap_backlog) {
		size_t cap = p->n_backlog + have->n;
		scope_entry **x = realloc(p->backlog, cap * sizeof(*x));
		if (!x)
			return 0;	/* the next session tries again */
		p->backlog = x;
		p->cap_backlog = cap;
	}
	if (!direct && p->neighbor) {
		fresh = fresh_floor(n, now);
		if (fresh < p->present_seq)
			fresh = p->present_seq;
	}
	start = p->n_backlog;
	for (size_t i = 0; i < have->n; i++) {
		scope_entry *e = scope_get(n->scope, have->id[i]);
		if (!e || (!direct && offered(p, e)) || e->arrival > fresh) {
			n->c.recon_skipped += e != NULL;
			continue;
		}
		/* queued already (no memory for the set: at worst a duplicate) */
		if (ptrset_add(&p->pushed, e) != 0)
			p->backlog[p->n_backlog++] = e;
	}
	if (p->n_backlog > start)
		p->last_push_ms = now;
	if (p->n_backlog - start > 1)	/* qsort needs a valid pointer even for 0 items */
		qsort(p->backlog + start, p->n_backlog - start, sizeof(*p->backlog), cmp_send_order);
	return p->n_backlog - start;
}

#define PUMP_FRAMES 8		/* OBJECTS frames per peer per loop turn */
#define PUMP_FRAME_BYTES (512 * 1024)
#define PUMP_STALL_MS 20000	/* give up on a peer whose queue stays full */

bool gossip_recon_pump(node_t *n, struct peer *p)
{
	const sm_members mem = federation_members(n->fed);
	uint64_t now = now_ms();

	for (int f = 0; f < PUMP_FRAMES && p->backlog_pos < p->n_backlog; f++) {
		const uint8_t *objs[WIRE_MAX_OBJECTS];
		uint8_t *own[WIRE_MAX_OBJECTS];
		const scope_entry *sent[WIRE_MAX_OBJECTS];
		size_t lens[WIRE_MAX_OBJECTS], bytes = 0, flen = 0, i = p->backlog_pos;
		uint32_t k = 0;

		while (i < p->n_backlog && k < WIRE_MAX_OBJECTS && bytes < PUMP_FRAME_BYTES) {
			scope_entry *e = p->backlog[i++];
			size_t len;
			uint8_t *obj;
			/* the set was filtered already; check again, cheaply, in
			 * case a roster changed since */
			if (!scope_shared(n->scope, e, node_me(n), p->org, &mem))
				continue;
			if (!(obj = store_get(n->store, e->msg.id, NULL, &len, NULL)))
				continue;
			own[k] = obj;
			sent[k] = e;
			objs[k] = obj;
			lens[k++] = len;
			bytes += len;
		}
		int rc = k ? node_send(n, p, wire_objects(objs, lens, k, &flen), &flen) : 0;
		for (uint32_t j = 0; j < k; j++)
			free(own[j]);
		if (rc < 0) {
			/* queue full (or peer gone): keep the objects for a
			 * later turn, unless this has lasted too long */
			if (!p->backlog_stalled_ms)
				p->backlog_stalled_ms = now;
			else if (now - p->backlog_stalled_ms > PUMP_STALL_MS)
				p->backlog_pos = p->n_backlog;
			break;
		}
		p->backlog_stalled_ms = 0;
		for (uint32_t j = 0; j < k; j++)
			gossip_recon_offered(p, sent[j]);
		p->objects_out += k;
		n->c.recon_objects += k;
		p->backlog_pos = i;
	}
	if (p->backlog_pos >= p->n_backlog) {
		p->n_backlog = p->backlog_pos = 0;
		if (p->cap_backlog > BACKLOG_KEEP) {
			free(p->backlog);
			p->backlog = NULL;
			p->cap_backlog = 0;
		}
		return false;
	}
	return true;
}

static void due_in(struct peer *p, uint64_t ms)
{
	uint64_t now = now_ms();

	if (!p->recon_due_ms) {
		p->recon_due_ms = now + ms;
		p->recon_asked_ms = now;
	}
}

void gossip_recon_soon(struct peer *p)
{
	due_in(p, RECON_RETRY_MS);
}

static bool start_session(node_t *n, struct peer *p, bool force, bool direct);

/* Did p's node start within GREET_YOUNG_MS, by the start time its HELLO
 * gave? The clocks are two machines': a skew of a few seconds only makes
 * us start a session we could have left to it, or wait GREET_YIELD_MS. */
static bool peer_young(const struct peer *p, uint64_t now)
{
	return p->peer_started_ms && p->peer_started_ms + GREET_YOUNG_MS > now &&
	    p->peer_started_ms < now + GREET_YOUNG_MS;
}

greet_action gossip_recon_greet(const node_t *n, const uint8_t me[SM_ID_LEN], const struct peer *p,
    uint64_t now)
{
	/*
	 * One session serves both directions (each side pushes its have),
	 * and two at once cost twice the bytes. Between two nodes in regular
	 * contact the lower org id starts; a node that has been up starts
	 * one at once with a peer that comes back after a silence.
	 *
	 * A node that just started (it was most likely away) reconciles with
	 * its neighbours itself, one at a time, each once the objects the
	 * last one found missing have arrived (catchup_step), and they wait
	 * for it. When each neighbour started a session on its greeting,
	 * all of them pushed it everything it lacked at once: a node back
	 * from missing the fy2014 year got 7.4 MB for 1.7 MB of objects
	 * (bench/NOTES.md). Starting it costs more reconciliation bytes than
	 * letting the holder start (the responder's extra ids travel whole,
	 * PROTOCOL.md §11.4): 32 bytes an object, 1% of a 3 KiB report.
	 */
	bool young = now - n->c.started_ms < GREET_YOUNG_MS;
	bool returned;

	/* A peer sharing no SIG greets us only because we greeted it (it
	 * is owed objects we sent it directly, node.c settle_owed): the
	 * owing side reconciles, over the direct scope, at once. */
	if (!p->neighbor)
		return p->owed_ms ? GREET_START_DIRECT : GREET_NONE;
	returned = !p->prev_seen_ms || now - p->prev_seen_ms > GREET_SILENCE_MS;
	if (young) {
		if (!p->catchup_queued && n->catchup != p && p->synced_ms < n->c.started_ms)
			return GREET_QUEUE;
		return GREET_NONE;	/* queued, under way, or done */
	}
	if (returned && peer_young(p, now)) {
		/* Its catch-up comes to us in turn; not so over a designated
		 * link we picked into its SIG: we are not its neighbour (the
		 * link is ours alone), so it would never start one. We start
		 * one at once, over the direct scope: what no SIG of both
		 * carries between us. The rest (federation-wide objects) its
		 * SIG neighbours bring it; over the whole shared set, this
		 * session pushed those too, at the same time (250-275
		 * duplicates in some off2014 runs). */
		return p->cross && !p->cross_primary ? GREET_START_DIRECT : GREET_YIELD;
	}
	if (returned)
		return GREET_START;
	return memcmp(me, p->org, SM_ID_LEN) < 0 ? GREET_PERIODIC : GREET_WAIT;
}

void gossip_recon_on_greeting(node_t *n, struct peer *p)
{
	uint64_t now = now_ms();
	greet_action a = gossip_recon_greet(n, node_me(n), p, now);

	/* a neighbour greeting after a silence has restarted: whatever
	 * session we had with it died with its process */
	if (p->neighbor && (!p->prev_seen_ms || now - p->prev_seen_ms > GREET_SILENCE_MS)) {
		recon_destroy(&p->rs_init);
		recon_destroy(&p->rs_resp);
	}
	switch (a) {
	case GREET_NONE:
		break;
	case GREET_QUEUE:
		p->catchup_queued = true;
		due_in(p, GREET_YIELD_MS);	/* if the queue stalls */
		break;
	case GREET_YIELD:
		due_in(p, GREET_YIELD_MS);
		break;
	case GREET_START_DIRECT:
		start_session(n, p, true, true);
		break;
	case GREET_START:
		start_session(n, p, true, false);
		break;
	case GREET_PERIODIC:
		start_session(n, p, false, false);
		break;
	case GREET_WAIT:
		due_in(p, GREET_WAIT_MS);
		break;
	}
}

bool gossip_recon_catchup_waits(const node_t *n, uint64_t now)
{
	const struct peer *c = n->catchup;

	if (!c)
		return false;
	if (c->rs_init && now - c->recon_started_ms < RECON_STALE_MS)
		return true;		/* the session is still running */
	/* what it found missing is on its way */
	return n->catchup_in_last - n->catchup_in0 < n->catchup_need &&
	    now - n->catchup_moved_ms < CATCHUP_STALL_MS;
}

struct peer *gossip_recon_catchup_next(node_t *n)
{
	/* SIG neighbours first: a designated link into another SIG shares
	 * only what crosses SIGs with us */
	for (size_t i = 0; i < 2 * n->n_peers; i++) {
		struct peer *p = n->peers[i % n->n_peers];
		if (!p->catchup_queued || (i < n->n_peers && p->cross))
			continue;
		p->catchup_queued = false;
		if (p->last_resp_ms >= p->recon_asked_ms) {
			p->recon_due_ms = 0;	/* its own session came */
			continue;
		}
		return p;
	}
	return NULL;
}

/*
 * The catch-up of a node that just started: one neighbour's session at a
 * time, from the queue gossip_recon_on_greeting fills. The next begins when
 * the current session is over and as many objects as it found missing here
 * have come from that neighbour (new or duplicate), or when none has come
 * for CATCHUP_STALL_MS (a deferred sighting, a refused object, a lost
 * peer). A queued neighbour that started a session with us meanwhile has
 * been reconciled with: it leaves the queue.
 */
static void catchup_step(node_t *n, uint64_t now)
{
	struct peer *c = n->catchup, *p;

	if (c) {
		uint64_t in = c->objects_in + c->duplicates_in;
		if (in != n->catchup_in_last) {
			n->catchup_in_last = in;
			n->catchup_moved_ms = now;
		}
		if (gossip_recon_catchup_waits(n, now))
			return;
		if (log_level() >= LOG_DEBUG) {
			char name[ID_MAX_NAME];
			node_org_name(n, c->org, name, sizeof(name));
			log_debug("catch-up with %s over: %zu objects missing here, %llu came from it",
			    name, n->catchup_need, (unsigned long long)(in - n->catchup_in0));
		}
		n->catchup = NULL;
	}
	while ((p = gossip_recon_catchup_next(n))) {
		if (!gossip_recon_maybe_start(n, p, true))
			continue;
		p->recon_due_ms = 0;
		if (log_level() >= LOG_DEBUG) {
			char name[ID_MAX_NAME];
			node_org_name(n, p->org, name, sizeof(name));
			log_debug("catch-up: reconciling with %s", name);
		}
		n->catchup = p;
		n->catchup_need = 0;
		n->catchup_in0 = n->catchup_in_last = p->objects_in + p->duplicates_in;
		n->catchup_moved_ms = now;
		return;
	}
}

void gossip_recon_held(const node_t *n, size_t *sessions, size_t *items, size_t *silent)
{
	uint64_t now = now_ms();

	*sessions = *items = *silent = 0;
	for (size_t i = 0; i < n->n_peers; i++) {
		const struct peer *p = n->peers[i];
		const recon_t *rs[2] = { p->rs_init, p->rs_resp };
		for (int k = 0; k < 2; k++) {
			if (!rs[k])
				continue;
			(*sessions)++;
			*items += recon_size(rs[k]);
			*silent += now - p->last_seen_ms > RECON_STALE_MS;
		}
	}
}

void gossip_recon_forget_pushed(struct peer *p)
{
	ptrset_clear(&p->pushed);
	gossip_recon_offer_lost(p);
}

void gossip_recon_free(struct peer *p)
{
	recon_destroy(&p->rs_init);
	recon_destroy(&p->rs_resp);
	free(p->backlog);
	p->backlog = NULL;
	p->n_backlog = p->backlog_pos = p->cap_backlog = 0;
	gossip_recon_forget_pushed(p);
}

/*
 * The periodic session between two neighbours is the lower org id's to
 * start; the higher starts one only when none came, either way, for half
 * an interval more. With both sides starting whichever came due first,
 * on a busy machine both came due before the other's session arrived:
 * two sessions where one serves both directions (the lower id's session
 * sets the higher's last_resp_ms, which keeps the higher from starting).
 */
bool gossip_recon_periodic_due(const uint8_t me[SM_ID_LEN], const struct peer *p, uint32_t interval_ms,
    uint64_t now)
{
	uint64_t every = interval_ms;

	if (memcmp(me, p->org, SM_ID_LEN) > 0)
		every += every / 2;
	if (p->last_recon_ms && now - p->last_recon_ms < every)
		return false;
	/* the peer's own session with us covered both directions */
	return !p->last_resp_ms || now - p->last_resp_ms >= every;
}

/* direct: over the direct scope only (PROTOCOL.md §10.3) */
static bool start_session(node_t *n, struct peer *p, bool force, bool direct)
{
	uint64_t now = now_ms();
	sm_err err = {0};
	uint8_t *msg = NULL;
	size_t len = 0, flen = 0;

	if (p->rs_init && now - p->recon_started_ms < RECON_STALE_MS)
		return false;	/* one session of ours at a time */
	if (!force && !gossip_recon_periodic_due(node_me(n), p, n->cfg.recon_interval_ms, now))
		return false;
	recon_destroy(&p->rs_init);
	p->init_direct = direct;
	if (!(p->rs_init = session(n, p, p->init_direct, &err)) ||
	    recon_initiate(p->rs_init, &msg, &len, &err) < 0) {
		log_warn("recon: cannot start: %s", err.msg);
		recon_destroy(&p->rs_init);
		return false;
	}
	if (p->sid_init)
		p->sid_old[p->sid_old_pos++ % SID_OLD] = p->sid_init;
	randombytes_buf(&p->sid_init, sizeof(p->sid_init));
	p->recon_started_ms = now;
	p->last_recon_ms = now;
	n->c.recon_sessions++;
	node_send(n, p, wire_recon(p->sid_init, false, p->init_direct, msg, len, &flen), &flen);
	free(msg);
	return true;
}

bool gossip_recon_maybe_start(node_t *n, struct peer *p, bool force)
{
	/* with a peer sharing no SIG, only what no SIG carries between us */
	return start_session(n, p, force, !p->neighbor);
}

/* Has session sid of one role ended here: the current id (cur) with its
 * session (rs) gone, or one of the last SID_OLD ids replaced? A late frame
 * of such a session, taken for the peer opening one, failed as "mode not
 * allowed from the initiator" and counted against the peer. Our own
 * sessions: a slow peer's answer after we gave up. The peer's: its next
 * message after we dropped its session (RECON_STALE_MS of silence from an
 * overloaded peer; 49 such warnings in one scale-1000 run, bench/NOTES.md
 * session 20). Dropped, the other side's session goes stale and it starts
 * a new one. */
static bool session_ended(uint64_t sid, uint64_t cur, const recon_t *rs, const uint64_t old[SID_OLD])
{
	if (!sid)
		return false;
	if (sid == cur && !rs)
		return true;
	for (size_t i = 0; i < SID_OLD; i++)
		if (sid == old[i])
			return true;
	return false;
}

void gossip_recon_on_frame(node_t *n, struct peer *p, const wire_frame *f)
{
	recon_t **rs;
	recon_ids have = {0}, need = {0};
	uint8_t *out = NULL;
	size_t outlen = 0, flen = 0;
	sm_err err = {0};

	if (p->rs_init && f->session == p->sid_init) {
		rs = &p->rs_init;
	} else if (session_ended(f->session, p->sid_init, p->rs_init, p->sid_old)) {
		return;		/* a late answer to a session of ours that ended */
	} else if (session_ended(f->session, p->sid_resp, p->rs_resp, p->resp_old)) {
		return;		/* a late message of the peer's that we dropped */
	} else {
		if (!p->rs_resp || f->session != p->sid_resp) {
			/* the peer starts a session: answer as responder, over
			 * the set it names */
			if (p->sid_resp)
				p->resp_old[p->resp_old_pos++ % SID_OLD] = p->sid_resp;
			recon_destroy(&p->rs_resp);
			p->resp_direct = f->recon_direct;
			if (!(p->rs_resp = session(n, p, p->resp_direct, &err))) {
				log_warn("recon: cannot answer: %s", err.msg);
				return;
			}
			p->sid_resp = f->session;
			p->last_resp_ms = now_ms();
		}
		rs = &p->rs_resp;
	}
	/* our catch-up session counts what it finds missing here, to know
	 * when those objects have come (catchup_step) */
	bool count = rs == &p->rs_init && n->catchup == p;
	if (recon_respond(*rs, f->recon, f->recon_len, &out, &outlen, &have, count ? &need : NULL, &err) < 0) {
		char name[ID_MAX_NAME];
		node_org_name(n, p->org, name, sizeof(name));
		log_warn("peer %s: reconciliation failed: %s: %s", name, sm_strerror(err.code), err.msg);
		p->rejected++;
		recon_destroy(rs);
		recon_ids_free(&have);
		return;
	}
	n->catchup_need += need.n;
	recon_ids_free(&need);
	if (have.n) {
		gossip_recon_queue(n, p, &have, rs == &p->rs_init ? p->init_direct : p->resp_direct);
		gossip_recon_pump(n, p);
	}
	recon_ids_free(&have);
	if (out) {
		node_send(n, p, wire_recon(f->session, recon_done(*rs), rs == &p->rs_init ? p->init_direct :
		    p->resp_direct, out, outlen, &flen), &flen);
		free(out);
	}
	if (recon_done(*rs)) {
		uint64_t started = rs == &p->rs_init ? p->recon_started_ms : p->last_resp_ms;
		if (started > p->synced_ms)
			p->synced_ms = started;
		recon_destroy(rs);
	}
}

void gossip_recon_tick(node_t *n)
{
	uint64_t now = now_ms();

	n->arrived_at[n->arrived_pos].ms = now;
	n->arrived_at[n->arrived_pos].seq = n->arrived_last;
	n->arrived_pos = (n->arrived_pos + 1) % (sizeof(n->arrived_at) / sizeof(n->arrived_at[0]));

	for (size_t i = 0; i < n->n_peers; i++) {
		struct peer *p = n->peers[i];
		if (p->rs_resp && now - p->last_seen_ms > RECON_STALE_MS)
			recon_destroy(&p->rs_resp);
		/* our own session with a peer gone silent: it holds a copy of
		 * the whole shared set, and only a new session would free it */
		if (p->rs_init && now - p->recon_started_ms > RECON_STALE_MS &&
		    now - p->last_seen_ms > RECON_STALE_MS)
			recon_destroy(&p->rs_init);
		/* the same condition gossip_recon_queue clears it on, checked here too
		 * so an idle peer does not hold its set until its next push */
		if (p->pushed.n && !p->n_backlog && now - p->last_push_ms > PUSH_DEDUP_MS)
			ptrset_clear(&p->pushed);
		offered_rotate(p, now);
		/* a peer never heard from gets its first session when it
		 * greets us (gossip_recon_on_greeting) */
		if (p->neighbor && p->last_seen_ms && !p->recon_due_ms)
			gossip_recon_maybe_start(n, p, false);
	}
}

void gossip_recon_due(node_t *n)
{
	uint64_t now = now_ms();

	catchup_step(n, now);

	for (size_t i = 0; i < n->n_peers; i++) {
		struct peer *p = n->peers[i];
		/* wait until what we owe it and what it sends us has gone
		 * through: the deferred objects may still be on their way */
		if (!p->recon_due_ms || now < p->recon_due_ms || p->n_backlog)
			continue;
		if (p->last_resp_ms && p->last_resp_ms >= p->recon_asked_ms)
			p->recon_due_ms = 0;	/* the peer's session did it */
		else if (gossip_recon_maybe_start(n, p, true))
			p->recon_due_ms = 0;
		if (!p->recon_due_ms)
			p->catchup_queued = false;	/* reconciled with, out of turn */
	}
}
