/*
 * node/node.c — the node: ingest, group commit, TLP-scoped dissemination,
 * roster sync, and the poll loop. See node.h for the path a report takes.
 *
 * Dissemination. The members of each SIG, ordered by a hash ranking of
 * (SIG, org), form a fixed 4-ary tree that every node computes alike from
 * the roster (tree_build). An object is pushed eagerly over the edges of
 * the trees of the SIGs it may travel in, from where it enters each SIG
 * (tree_entry, eager_over); CLEAR/GREEN objects cross between SIGs root
 * to root. A tree floods an object to each member exactly once whoever
 * sent it, so each node receives about one copy, whatever the timing
 * (Plumtree's prunes, used before, depended on which copy came first and
 * with many sources kept undoing each other). Of the other neighbours
 * (active_peers per SIG, designated cross links), every cross link and
 * LAZY_FANOUT SIG neighbours per object hear of new ids in batched IHAVE
 * frames and ask (WANT) for what their tree did not bring in time: the
 * repair when a tree node is down. Whatever gossip misses reconciliation
 * repairs.
 *
 * Every send is decided by proto/tlp.h through node/scope.h: a node never
 * pushes, announces or reconciles an object with a peer that may not hold
 * it, and refuses objects it should not have received.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zmq.h>
#include "node/control.h"
#include "node/feed.h"
#include "node/gossip_recon.h"
#include "node/log.h"
#include "node/node.h"
#include "node/node_impl.h"
#include "node/transport.h"
#include "node/verify.h"
#include "node/zwait.h"
#include "proto/wire.h"
#include <unistd.h>

#define IHAVE_FLUSH_MS 10
#define GRAFT_WAIT_MS 40		/* the least wait before grafting */
/* The most: the measured wait stays far below it at ordinary load, but a
 * loaded node's tree copies lag by seconds, and a graft sent before its
 * tree copy came brings a duplicate, which adds to the load. Capped at
 * 1 s, grafts were 0.28-0.39 of 0.57-0.89 surplus copies per object on
 * jcsip-2018 at 40 reports/s; at 10 s, 0.06-0.08 of 0.24-0.32, latency
 * no worse (bench/NOTES.md, session 21). It stays well under the 30 s
 * reconciliation interval, the next repair. -D for A/B runs. */
#ifndef GRAFT_WAIT_MAX_MS
#define GRAFT_WAIT_MAX_MS 10000
#endif
#define HELLO_MS 30000		/* greetings to neighbours, as a backstop: a
				 * roster change is announced at once
				 * (on_roster), and each greeting carries a head
				 * per SIG known (40 SIGs: 1.5 kB) */
#define HEARD_CHECK_MS 500	/* see struct peer's heard_ms */
#define HELLO_ANSWER_MS 5000	/* a greeting not answered this long is answered */
#define GREETED_KEEP_MS (HELLO_MS * 5 / 2)	/* see struct peer's greeted_ms */
#define OWED_WAIT_MS 2000	/* after a direct send, before checking it landed */
#define FRAME_SOFT_BYTES (512 * 1024)
#define MAX_MISSING 4096		/* ids announced and not yet here */
#define MISSING_SLOTS 8192		/* their hash table: twice as many slots */
#define IDS_PER_TOKEN 64		/* an IHAVE/WANT frame costs 1 + ids/64 tokens */
#define DIRECT_PER_SIG 3	/* members of a foreign SIG an originator seeds */
#define STRIKES_TO_BAN 5
#define BAN_MS 30000
#define RATE_FRAMES_PER_S 4000.0	/* token bucket per peer */
#define RATE_BURST 8000.0

#define INLINE_OBJS 2		/* objects a frame may hold to be verified on the node's thread */
#define MAX_INFLIGHT 4096	/* objects handed to the workers, not yet stored */


static void strike(node_t *n, struct peer *p, const char *what, const sm_err *err);
static void choose_seeds(node_t *n);
static void dial_seeds(node_t *n);
static void owe_named(void *ctx, scope_entry *e);

/* ---- small helpers ---------------------------------------------------- */

static bool same(const uint8_t *a, const uint8_t *b)
{
	return !memcmp(a, b, SM_ID_LEN);
}

const uint8_t *node_me(const node_t *n)
{
	return identity_public(n->id)->org;
}

void node_org_name(node_t *n, const uint8_t org[SM_ID_LEN], char *out, size_t cap)
{
	const roster_member *m = federation_member(n->fed, org);

	if (m && m->id.name[0])
		snprintf(out, cap, "%s", m->id.name);
	else {
		char hx[17];
		sodium_bin2hex(hx, sizeof(hx), org, 8);
		snprintf(out, cap, "%s", hx);
	}
}

const identity_t *node_identity(const node_t *n) { return n->id; }
federation_t *node_federation(node_t *n) { return n->fed; }
store_t *node_store(node_t *n) { return n->store; }
const node_counters *node_get_counters(node_t *n) { return &n->c; }
void node_stop(node_t *n) { n->stop = true; }

/* ---- peers ------------------------------------------------------------ */

struct peer *node_peer(node_t *n, const uint8_t org[SM_ID_LEN], bool create)
{
	for (size_t i = 0; i < n->n_peers; i++)
		if (same(n->peers[i]->org, org))
			return n->peers[i];
	if (!create || same(org, node_me(n)))
		return NULL;
	if (n->n_peers == n->cap_peers) {
		size_t c = n->cap_peers ? 2 * n->cap_peers : 32;
		struct peer **p = realloc(n->peers, c * sizeof(*p));
		if (!p)
			return NULL;
		n->peers = p;
		n->cap_peers = c;
	}
	struct peer *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	memcpy(p->org, org, SM_ID_LEN);
	p->tokens = RATE_BURST;
	p->tok_ms = now_ms();
	n->peers[n->n_peers++] = p;
	return p;
}

static void peer_free(struct peer *p)
{
	for (size_t i = 0; i < p->n_out; i++)
		free(p->out[i].obj);
	free(p->out);
	free(p->ihave);
	gossip_recon_free(p);
	free(p);
}

/* Rank of a candidate neighbour: BLAKE2b(me || them). Lowest ranks win,
 * so every node picks a different, stable subset. */
/* BLAKE2b-64 of a || b (|| c when given): the order of members, trees,
 * links and announcements, the same on every node computing it */
static void rank_hash(const uint8_t a[SM_ID_LEN], const uint8_t b[SM_ID_LEN], const uint8_t *c, uint8_t out[8])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, 8);
	crypto_generichash_update(&st, a, SM_ID_LEN);
	crypto_generichash_update(&st, b, SM_ID_LEN);
	if (c)
		crypto_generichash_update(&st, c, SM_ID_LEN);
	crypto_generichash_final(&st, out, 8);
}

static void rank_of(const uint8_t me[SM_ID_LEN], const uint8_t org[SM_ID_LEN], uint8_t out[8])
{
	rank_hash(me, org, NULL, out);
}

struct ranked {
	uint8_t rank[8];
	const uint8_t *org;
	struct peer *p;		/* announce_lazy's candidates only */
	bool below;		/* pick_entries: below the top of the tree */
};

static int cmp_ranked(const void *a, const void *b)
{
	return memcmp(((const struct ranked *)a)->rank, ((const struct ranked *)b)->rank, 8);
}

/* The k lowest-ranked members of roster r other than me, into out[]. */
static size_t pick_members(node_t *n, roster_t *r, size_t k, const uint8_t **out)
{
	uint32_t cnt;
	const roster_member *m = roster_members(r, 0, &cnt);
	struct ranked *rk = calloc(cnt ? cnt : 1, sizeof(*rk));
	size_t j = 0;

	if (!rk)
		return 0;
	for (uint32_t i = 0; i < cnt; i++) {
		if (same(m[i].id.org, node_me(n)) || !m[i].endpoint[0])
			continue;
		rank_of(node_me(n), m[i].id.org, rk[j].rank);
		rk[j++].org = m[i].id.org;
	}
	qsort(rk, j, sizeof(*rk), cmp_ranked);
	if (k > j)
		k = j;
	for (size_t i = 0; i < k; i++)
		out[i] = rk[i].org;
	free(rk);
	return k;
}

/* Do SIGs a and b have a member in common (a bridge organization)? */
static bool bridged(roster_t *a, roster_t *b)
{
	uint32_t n;
	const roster_member *m = roster_members(a, 0, &n);

	for (uint32_t i = 0; i < n; i++)
		if (roster_is_member(b, 0, m[i].id.org))
			return true;
	return false;
}

struct pair_rank {
	uint8_t rank[8];
	const uint8_t *a, *b;
};

static int cmp_pair(const void *x, const void *y)
{
	return memcmp(((const struct pair_rank *)x)->rank, ((const struct pair_rank *)y)->rank, 8);
}

/*
 * The designated links that carry federation-wide (CLEAR, GREEN) objects
 * from SIG t into SIG s: the k lowest-ranked pairs (a in t, b in s but
 * not in t), ranked by BLAKE2b-64(a || b). Every member of t computes the
 * same pairs, so exactly k links cross from t to s, wherever the
 * objects come from; inside s they spread on s's own tree. Mark the
 * ones that start at this node.
 */
static void pick_cross(node_t *n, roster_t *t, roster_t *s, size_t k)
{
	uint32_t nt, ns;
	const roster_member *mt = roster_members(t, 0, &nt);
	const roster_member *ms;
	struct pair_rank *pr;
	size_t np = 0;

	ms = roster_members(s, 0, &ns);
	if (!nt || !ns || !(pr = calloc((size_t)nt * ns, sizeof(*pr))))
		return;
	mt = roster_members(t, 0, &nt);	/* the first call's cache may be gone */
	for (uint32_t i = 0; i < nt; i++)
		for (uint32_t j = 0; j < ns; j++) {
			if (!ms[j].endpoint[0] || roster_is_member(t, 0, ms[j].id.org))
				continue;
			rank_of(mt[i].id.org, ms[j].id.org, pr[np].rank);
			pr[np].a = mt[i].id.org;
			pr[np++].b = ms[j].id.org;
		}
	qsort(pr, np, sizeof(*pr), cmp_pair);
	for (size_t i = 0; i < np && i < k; i++) {
		struct peer *p;
		if (same(pr[i].a, node_me(n)) && (p = node_peer(n, pr[i].b, true))) {
			p->neighbor = true;
			p->chosen = true;
			p->cross = true;
		}
	}
	free(pr);
}

/* The members of SIG r with an endpoint in tree order (see tree_build):
 * malloc'd, *cnt of them; NULL when there are none or memory ran out. */
static struct ranked *tree_order(roster_t *r, size_t *cnt)
{
	uint32_t k;
	const roster_member *m = roster_members(r, 0, &k);
	const uint8_t *sig = roster_sig_id(r);
	struct ranked *rk;
	size_t j = 0;

	*cnt = 0;
	if (!sig || !k || !(rk = calloc(k, sizeof(*rk))))
		return NULL;
	for (uint32_t i = 0; i < k; i++) {
		if (!m[i].endpoint[0])
			continue;
		rank_of(sig, m[i].id.org, rk[j].rank);
		rk[j++].org = m[i].id.org;
	}
	if (!j) {
		free(rk);
		return NULL;
	}
	qsort(rk, j, sizeof(*rk), cmp_ranked);
	*cnt = j;
	return rk;
}

/* The top of a tree first, then by rank (pick_entries). */
static int cmp_entry(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if (x->below != y->below)
		return x->below ? 1 : -1;
	return memcmp(x->rank, y->rank, 8);
}

/*
 * A node's entry members of a SIG (PROTOCOL.md 10.3): seed_direct pushes
 * to the first and tells the others by IHAVE, and choose_seeds keeps a
 * connection to the first. The top of the SIG's tree (its root and the
 * root's children) first, each group by BLAKE2b-64(me || member). An
 * object entering a tree at its top is at most depth + 1 hops from every
 * member; entering at any member, as before 2026-11-29, it was up to
 * twice the depth: 7 hops for a released report in a 27-member SIG of
 * jcsip-2018 (bench/NOTES.md, session 22). The rank spreads the
 * originators over the top's five members rather than making the root
 * every SIG's door. rk[0..n) is in tree order (tree_order) and is
 * reordered in place; returns how many of its first entries (at most k)
 * are entry members.
 */
static size_t entries_of(const uint8_t me[SM_ID_LEN], struct ranked *rk, size_t n, size_t k)
{
	size_t j = 0;

	for (size_t i = 0; i < n; i++) {
		if (same(rk[i].org, me))
			continue;
		rk[j].org = rk[i].org;
		rank_of(me, rk[j].org, rk[j].rank);
		rk[j].below = i > TREE_FANOUT;
		j++;
	}
	qsort(rk, j, sizeof(*rk), cmp_entry);
	return k < j ? k : j;
}

size_t node_entry_picks(const uint8_t sig[SM_ID_LEN], const uint8_t me[SM_ID_LEN],
    const uint8_t (*members)[SM_ID_LEN], size_t n, size_t k, size_t *out)
{
	struct ranked *rk = calloc(n ? n : 1, sizeof(*rk));

	if (!rk)
		return 0;
	for (size_t i = 0; i < n; i++) {
		rank_of(sig, members[i], rk[i].rank);
		rk[i].org = members[i];
	}
	qsort(rk, n, sizeof(*rk), cmp_ranked);	/* tree order, as tree_order */
	k = entries_of(me, rk, n, k);
	for (size_t i = 0; i < k; i++)
		out[i] = (size_t)((const uint8_t (*)[SM_ID_LEN])rk[i].org - members);
	free(rk);
	return k;
}

/* The first k of this node's entry members of SIG r, into out[]. */
static size_t pick_entries(node_t *n, roster_t *r, size_t k, const uint8_t **out)
{
	size_t cnt;
	struct ranked *rk = tree_order(r, &cnt);

	if (!rk)
		return 0;
	k = entries_of(node_me(n), rk, cnt, k);
	for (size_t i = 0; i < k; i++)
		out[i] = rk[i].org;
	free(rk);
	return k;
}

/* org's place in t->order, SIZE_MAX if none */
static size_t tree_pos(const struct tree *t, const uint8_t org[SM_ID_LEN])
{
	for (size_t i = 0; i < t->n_order; i++)
		if (same(t->order[i], org))
			return i;
	return SIZE_MAX;
}

/* Are members a and b (tree order indexes) linked in the tree? */
static bool tree_linked(size_t a, size_t b)
{
	return (a > 0 && (a - 1) / TREE_FANOUT == b) || (b > 0 && (b - 1) / TREE_FANOUT == a);
}

/*
 * This node's place in SIG r's dissemination tree. The members (with an
 * endpoint) are ordered by BLAKE2b-64(sig || org), the same order on
 * every node, and linked as a TREE_FANOUT-ary tree: member i's parent is
 * (i - 1) / TREE_FANOUT. An object flooded over the edges of a tree (to
 * each tree neighbour but the one it came from) reaches every member
 * exactly once, whoever sent it first: one tree serves every source, so
 * nothing depends on which copy happened to arrive first (Plumtree's
 * prunes do, and with many sources they kept undoing each other).
 */
static void tree_build(node_t *n, roster_t *r, struct tree *t)
{
	const uint8_t *sig = roster_sig_id(r);
	size_t j, me;
	struct ranked *rk = tree_order(r, &j);

	memset(t, 0, sizeof(*t));
	if (!rk || !sig || !(t->order = malloc(j * sizeof(*t->order)))) {
		free(rk);
		return;
	}
	memcpy(t->sig, sig, SM_ID_LEN);
	for (size_t i = 0; i < j; i++)
		memcpy(t->order[i], rk[i].org, SM_ID_LEN);
	t->n_order = j;
	free(rk);
	if ((me = tree_pos(t, node_me(n))) == SIZE_MAX) {
		free(t->order);		/* not a member with an endpoint: no place */
		t->order = NULL;
		t->n_order = 0;
		return;
	}
	t->me = me;
	if (me > 0)
		memcpy(t->nb[t->n_nb++], t->order[(me - 1) / TREE_FANOUT], SM_ID_LEN);
	for (size_t c = me * TREE_FANOUT + 1; c <= me * TREE_FANOUT + TREE_FANOUT && c < j; c++)
		memcpy(t->nb[t->n_nb++], t->order[c], SM_ID_LEN);
}

static void trees_free(node_t *n)
{
	for (size_t i = 0; n->trees && i < n->n_trees; i++) {
		free(n->trees[i].order);
		free(n->trees[i].xl);
	}
	free(n->trees);
	n->trees = NULL;
	n->n_trees = 0;
}

/* The root of SIG r's tree leaving out the members of SIG x: where the
 * federation objects of one SIG cross into the other. NULL if none. */
static const uint8_t *tree_root(roster_t *r, roster_t *x)
{
	uint32_t cnt;
	const roster_member *m = roster_members(r, 0, &cnt);
	const uint8_t *sig = roster_sig_id(r), *best = NULL;
	uint8_t best_rank[8], rank[8];

	for (uint32_t i = 0; sig && i < cnt; i++) {
		if (!m[i].endpoint[0] || roster_is_member(x, 0, m[i].id.org))
			continue;
		rank_of(sig, m[i].id.org, rank);
		if (!best || memcmp(rank, best_rank, 8) < 0) {
			best = m[i].id.org;
			memcpy(best_rank, rank, 8);
		}
	}
	return best;
}

/*
 * The primary links out of tree t's SIG (roster r) into every other SIG,
 * each with its far end's tree neighbours there: where a federation
 * object goes when an end of the link is down (link_around). Every node
 * of the SIG computes the same from the rosters, as it does the trees.
 */
static void tree_links(node_t *n, roster_t *r, struct tree *t)
{
	size_t ns = federation_count(n->fed);

	if (!t->order || !ns || !(t->xl = calloc(ns, sizeof(*t->xl))))
		return;
	for (size_t o = 0; o < ns; o++) {
		roster_t *x = federation_at(n->fed, o);
		struct xlink *l = &t->xl[t->n_xl];
		const uint8_t *a, *b;
		struct ranked *rk;
		size_t cnt, pb = SIZE_MAX;

		if (x == r || !(a = tree_root(r, x)) || !(b = tree_root(x, r)) ||
		    (l->a = tree_pos(t, a)) == SIZE_MAX || !(rk = tree_order(x, &cnt)))
			continue;
		memcpy(l->b, b, SM_ID_LEN);
		l->x = o;
		for (size_t i = 0; i < cnt && pb == SIZE_MAX; i++)
			if (same(rk[i].org, b))
				pb = i;
		if (pb != SIZE_MAX) {
			if (pb > 0)
				memcpy(l->b_nb[l->n_b_nb++], rk[(pb - 1) / TREE_FANOUT].org, SM_ID_LEN);
			for (size_t c = pb * TREE_FANOUT + 1; c <= pb * TREE_FANOUT + TREE_FANOUT && c < cnt; c++)
				memcpy(l->b_nb[l->n_b_nb++], rk[c].org, SM_ID_LEN);
		}
		free(rk);
		t->n_xl++;
	}
}

static bool tree_has(const struct tree *t, const uint8_t org[SM_ID_LEN])
{
	for (size_t i = 0; i < t->n_nb; i++)
		if (same(t->nb[i], org))
			return true;
	return false;
}

/* Choose the active set from the rosters: active_peers per SIG I am in,
 * and the designated cross-SIG links that start here. Peers that greeted
 * us keep their neighbour flag as long as we share a SIG. */
void node_choose_neighbours(node_t *n)
{
	const uint8_t *pick[64];
	size_t ns = federation_count(n->fed);

	for (size_t i = 0; i < n->n_peers; i++) {
		struct peer *p = n->peers[i];
		p->chosen = false;
		p->cross = false;
		p->cross_primary = false;
		p->cross_in = 0;
		p->seed = false;
		p->root = false;
		if (p->neighbor && !federation_share_sig(n->fed, node_me(n), p->org))
			p->neighbor = false;
	}
	trees_free(n);
	n->trees = calloc(ns ? ns : 1, sizeof(*n->trees));
	for (size_t s = 0; s < ns; s++) {
		roster_t *r = federation_at(n->fed, s);
		if (!roster_is_member(r, 0, node_me(n)))
			continue;
		if (n->trees) {
			struct tree *t = &n->trees[n->n_trees++];
			tree_build(n, r, t);
			tree_links(n, r, t);
			if (t->order && t->me > TREE_FANOUT) {
				struct peer *root = node_peer(n, t->order[0], true);
				if (root)
					root->root = true;	/* start_at_roots */
			}
			for (size_t i = 0; i < t->n_nb; i++) {
				struct peer *p = t->nbp[i] = node_peer(n, t->nb[i], true);
				if (p) {
					p->neighbor = true;
					p->chosen = true;
				}
			}
			/* the designated link for federation objects between
			 * this SIG and each other one runs root to root (of each
			 * tree, leaving out the other SIG's members), so such an
			 * object crosses in a few hops from anywhere to anywhere;
			 * the pair is the same both ways (tree_links) */
			for (size_t k = 0; n->n_trees <= 32 && k < t->n_xl; k++) {
				const struct xlink *l = &t->xl[k];
				struct peer *p;
				if (l->a != t->me || roster_is_member(federation_at(n->fed, l->x), 0, node_me(n)) ||
				    !(p = node_peer(n, l->b, true)))
					continue;
				p->neighbor = p->chosen = p->cross = p->cross_primary = true;
				p->cross_in |= 1u << (n->n_trees - 1);
			}
		}
		size_t k = pick_members(n, r, n->cfg.active_peers, pick);
		for (size_t i = 0; i < k; i++) {
			struct peer *p = node_peer(n, pick[i], true);
			if (p) {
				p->neighbor = true;
				p->chosen = true;
			}
		}
		/* two links into each SIG with no bridge organization, one
		 * into a bridged SIG (its bridge carries the rest) */
		for (size_t o = 0; o < ns; o++) {
			roster_t *other = federation_at(n->fed, o);
			if (o != s && !roster_is_member(other, 0, node_me(n)))
				pick_cross(n, r, other, bridged(r, other) ? 1 : 2);
		}
	}
	choose_seeds(n);
}

/*
 * The entry members of foreign SIGs (seed_direct's first pick in each SIG
 * this node is not in) whose connection stays open: of the seed_links
 * foreign SIGs ranked lowest by BLAKE2b-64(own org id || SIG id). Over
 * 25 ms links an originator's first report to a SIG took 205 ms at the
 * median to reach that member, four round trips of connection set-up
 * (bench/NOTES.md), and the whole SIG's copies waited behind it.
 */
static void choose_seeds(node_t *n)
{
	size_t ns = federation_count(n->fed), k = 0;
	struct ranked *rk = calloc(ns ? ns : 1, sizeof(*rk));

	if (!rk)
		return;
	for (size_t s = 0; s < ns; s++) {
		roster_t *r = federation_at(n->fed, s);
		const uint8_t *sig = roster_sig_id(r);
		if (!sig || roster_is_member(r, 0, node_me(n)))
			continue;
		rank_of(node_me(n), sig, rk[k].rank);
		rk[k++].org = sig;
	}
	qsort(rk, k, sizeof(*rk), cmp_ranked);
	for (size_t i = 0; i < k && i < n->cfg.seed_links; i++) {
		roster_t *r = federation_find(n->fed, rk[i].org);
		const uint8_t *pick[1];
		struct peer *p;
		if (r && pick_entries(n, r, 1, pick) == 1 && (p = node_peer(n, pick[0], true)))
			p->seed = true;
	}
	free(rk);
}

/* Open the seed links not open yet: at start and after a roster change. */
static void dial_seeds(node_t *n)
{
	for (size_t i = 0; i < n->n_peers; i++)
		if (n->peers[i]->seed || n->peers[i]->root)
			(void)transport_dial(n->tp, n->peers[i]->org);
}

/* ---- sending ---------------------------------------------------------- */

/* Queue e (its encoding obj) for p's next frame. */
static void queue_obj(struct peer *p, const scope_entry *e, const uint8_t *obj, size_t len)
{
	if (p->n_out == p->cap_out) {
		size_t c = p->cap_out ? 2 * p->cap_out : 16;
		struct outobj *o = realloc(p->out, c * sizeof(*o));
		if (!o)
			return;
		p->out = o;
		p->cap_out = c;
	}
	uint8_t *copy = malloc(len);
	if (!copy)
		return;
	memcpy(copy, obj, len);
	p->out[p->n_out].obj = copy;
	p->out[p->n_out++].len = len;
	gossip_recon_offered(p, e);
}

static void queue_ihave(struct peer *p, const scope_entry *e)
{
	if (p->n_ihave == p->cap_ihave) {
		size_t c = p->cap_ihave ? 2 * p->cap_ihave : 64;
		if (c > WIRE_MAX_IDS * 4)
			return;		/* far behind: reconciliation will cover it */
		uint8_t (*x)[SM_ID_LEN] = realloc(p->ihave, c * sizeof(*x));
		if (!x)
			return;
		p->ihave = x;
		p->cap_ihave = c;
	}
	memcpy(p->ihave[p->n_ihave++], e->msg.id, SM_ID_LEN);
	gossip_recon_offered(p, e);
}

int node_send(node_t *n, struct peer *p, uint8_t *frame, const size_t *len)
{
	int rc = -1;

	if (frame) {
		rc = transport_send(n->tp, p->org, frame, *len);
		if (rc == 0) {
			p->frames_out++;
			n->c.bytes_sent += *len;
		}
		free(frame);
	}
	return rc;
}

static void flush_objects(node_t *n, struct peer *p)
{
	size_t i = 0;

	while (i < p->n_out) {
		const uint8_t *objs[WIRE_MAX_OBJECTS];
		size_t lens[WIRE_MAX_OBJECTS], bytes = 0, k = 0, flen = 0;

		while (i + k < p->n_out && k < WIRE_MAX_OBJECTS &&
		    (k == 0 || bytes + p->out[i + k].len <= FRAME_SOFT_BYTES)) {
			objs[k] = p->out[i + k].obj;
			lens[k] = p->out[i + k].len;
			bytes += lens[k];
			k++;
		}
		if (node_send(n, p, wire_objects(objs, lens, (uint32_t)k, &flen), &flen) == 0)
			p->objects_out += k;
		else
			gossip_recon_offer_lost(p);
		i += k;
	}
	for (size_t j = 0; j < p->n_out; j++)
		free(p->out[j].obj);
	p->n_out = 0;
}

static void flush_ihave(node_t *n, struct peer *p)
{
	size_t i = 0, flen = 0;

	while (i < p->n_ihave) {
		size_t k = p->n_ihave - i < WIRE_MAX_IDS ? p->n_ihave - i : WIRE_MAX_IDS;
		if (node_send(n, p, wire_ids(WIRE_IHAVE, p->ihave + i, (uint32_t)k, false, &flen), &flen) == 0)
			n->c.sent_ihave += k;
		else
			gossip_recon_offer_lost(p);
		i += k;
	}
	p->n_ihave = 0;
}

static void flush_all(node_t *n, bool ihave_too)
{
	for (size_t i = 0; i < n->n_peers; i++) {
		struct peer *p = n->peers[i];
		if (p->n_out)
			flush_objects(n, p);
		if (ihave_too && p->n_ihave)
			flush_ihave(n, p);
	}
}

/* Does the audience of report r (with its releases) name SIG sig? */
static bool aud_names(scope_entry *r, const uint8_t sig[SM_ID_LEN])
{
	const sm_audience *a = &r->msg.u.report.aud;

	for (size_t k = 0; k <= r->n_rel; k++) {
		if (k > 0)
			a = &r->rel[k - 1]->msg.u.release.add;
		for (uint32_t i = 0; i < a->n_sigs; i++)
			if (same(a->sigs[i], sig))
				return true;
	}
	return false;
}

/*
 * Does object e (of report r), which came from "from" (NULL: made here),
 * enter the tree of this node's trees[i] here, so that it goes eagerly
 * over that tree's edges? A tree carries a federation-wide object in any
 * SIG, others in an audience SIG only; and only where the object enters
 * that SIG: at its originator's SIGs, at a node that got it from outside
 * the SIG (a designated link, the originator's direct seed) or from
 * inside it. A bridge organization that got it in one SIG does not start
 * it in its other SIG: that SIG has its own entry (the designated link
 * from the originator's SIG, or the originator's seed), and a second
 * entry would meet the first wave in the middle of the tree, a duplicate
 * on every edge between them. When that wave reaches the bridge, the
 * object goes on down the bridge's subtree (reenter).
 */
static bool tree_entry(node_t *n, scope_entry *e, scope_entry *r, size_t i, const struct peer *from)
{
	const uint8_t *orig = e->msg.u.h.originator;
	struct tree *t = &n->trees[i];
	roster_t *ro;

	if ((!r->msg.u.report.aud.federation && !aud_names(r, t->sig)) ||
	    !(ro = federation_find(n->fed, t->sig)))
		return false;
	if (!from || same(from->org, orig) || roster_is_member(ro, 0, orig) ||
	    roster_is_member(ro, 0, from->org))
		return true;
	/* from outside the node's SIGs: over a designated link into
	 * another of its SIGs it enters that one only */
	return !federation_share_sig(n->fed, node_me(n), from->org) &&
	    (!from->cross_in || (i < 32 && (from->cross_in & (1u << i))));
}

/* The trees (bit i: trees[i]) object e enters here. Only a node's first
 * 32 SIGs' trees carry objects eagerly (as cross_in, a 32-bit mask); a
 * node in more SIGs gets the rest by announcement and reconciliation. */
static uint32_t tree_entries(node_t *n, scope_entry *e, scope_entry *r, const struct peer *from)
{
	uint32_t m = 0;

	for (size_t i = 0; i < n->n_trees && i < 32; i++)
		if (tree_entry(n, e, r, i, from))
			m |= 1u << i;
	return m;
}

/* Is p a neighbour over one of the trees in mask? */
static bool tree_edge(node_t *n, uint32_t mask, const struct peer *p)
{
	for (size_t i = 0; i < n->n_trees && i < 32; i++)
		if ((mask & (1u << i)) && tree_has(&n->trees[i], p->org))
			return true;
	return false;
}

/*
 * Does an object of report r go to neighbour p eagerly, given the trees
 * it entered here (tree_entries)? Over an edge of one of those trees; over
 * a designated cross-SIG link only federation objects go eagerly, over
 * the first link of the pair. Everything else is announced (IHAVE): a
 * node whose tree copy does not come in time fetches it (WANT).
 */
static bool eager_over(node_t *n, uint32_t entered, scope_entry *r, const struct peer *p)
{
	return tree_edge(n, entered, p) || (r->msg.u.report.aud.federation && p->cross_primary);
}

/* Push e (of report r) to p. A release takes its report along to a peer
 * only the release entitles (one in the report's own audience has it): a
 * relay that gets both, release first, forwards the report before it
 * takes in the parked release, when the report is not its to send on
 * yet, so it travels with the release. */
static void push(node_t *n, struct peer *p, scope_entry *e, scope_entry *r, const uint8_t *obj, size_t len,
    const uint8_t *report_obj, size_t report_len, const sm_members *mem)
{
	queue_obj(p, e, obj, len);
	n->c.sent_eager++;
	if (report_obj && !tlp_may_receive(&r->msg.u.report, NULL, 0, p->org, mem)) {
		queue_obj(p, r, report_obj, report_len);
		n->c.sent_with_release++;
	}
}

/*
 * A tree neighbour d of this node is down (transport_down): what this node
 * sends on over that tree goes to d's own tree neighbours instead (other
 * than this node and from), and to theirs in turn where they are down too
 * as far as this node can tell, at most BYPASS_MAX members per tree.
 * Without it, everything beyond d waited for an announcement and a graft
 * (a few hundred ms), and an object that no neighbour happened to
 * announce to them waited for reconciliation: in a jcsip-2018 kill20 run,
 * 7 of the ~90 objects made while its tree parent was down reached
 * automotive-15 only by the 30 s session (bench/NOTES.md). A copy that
 * came from another tree neighbour of d was sent by the node that
 * bypassed d already, so it is not bypassed again. Those d's bypass
 * reaches start the tree from there (they got it from a member).
 */
#define BYPASS_MAX 16
#define DOWN_CHECK_MS 100

static bool peer_down(node_t *n, struct peer *p, uint64_t now)
{
	if (now - p->down_checked_ms >= DOWN_CHECK_MS) {
		p->down = transport_down(n->tp, p->org);
		p->down_checked_ms = now;
	}
	return p->down;
}

/* Is a tree neighbour in t other than from down? */
static bool tree_nb_down(node_t *n, const struct tree *t, const struct peer *from, uint64_t now)
{
	for (size_t k = 0; k < t->n_nb; k++)
		if (t->nbp[k] && t->nbp[k] != from && peer_down(n, t->nbp[k], now))
			return true;
	return false;
}

static bool in(const size_t *set, size_t n, size_t x)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == x)
			return true;
	return false;
}

/*
 * A federation object of this node's SIG would cross into another SIG
 * over primary link l (tree_links), and an end of l is down: it goes to
 * l's far end b, or, when b is down too (or skip_b: this node is l's near
 * end and pushed to b already), to the first of b's tree neighbours in
 * b's SIG not known to be down. That member got it from outside its SIG,
 * so it starts the tree there, around b too (bypass). The other links
 * into that SIG carry only announcements: with a SIG's root down, each
 * object from or into that SIG waited for a graft over them, and where
 * their ends were down as well, for reconciliation (8-15 s in a
 * jcsip-2018 kill20 run, bench/NOTES.md).
 */
static void link_around(node_t *n, const struct xlink *l, scope_entry *e, scope_entry *r,
    const uint8_t *obj, size_t len, bool skip_b, uint64_t now, const sm_members *mem)
{
	const uint8_t *orig = e->msg.u.h.originator, *to = NULL;
	struct peer *p = node_peer(n, l->b, false);

	if (!skip_b && !(p && peer_down(n, p, now)))
		to = l->b;
	for (size_t k = 0; !to && k < l->n_b_nb; k++) {
		struct peer *q = node_peer(n, l->b_nb[k], false);
		if (!same(l->b_nb[k], node_me(n)) && !same(l->b_nb[k], orig) && !(q && peer_down(n, q, now)))
			to = l->b_nb[k];
	}
	if (!to || same(to, orig) || !scope_may_forward(n->scope, e, node_me(n), to, mem) ||
	    !(p = node_peer(n, to, true)))
		return;
	push(n, p, e, r, obj, len, NULL, 0, mem);
	n->c.sent_bypass_link++;
}

/* This node is the near end of the primary link to p, which is down */
static void link_down(node_t *n, const struct peer *p, scope_entry *e, scope_entry *r,
    const uint8_t *obj, size_t len, const sm_members *mem)
{
	for (size_t i = 0; i < n->n_trees; i++) {
		const struct tree *t = &n->trees[i];
		for (size_t x = 0; t->order && x < t->n_xl; x++)
			if (t->xl[x].a == t->me && same(t->xl[x].b, p->org)) {
				link_around(n, &t->xl[x], e, r, obj, len, true, now_ms(), mem);
				return;
			}
	}
}

static void bypass(node_t *n, scope_entry *e, scope_entry *r, const uint8_t *obj, size_t len,
    const uint8_t *report_obj, size_t report_len, uint32_t entered, uint32_t rooted,
    const struct peer *from, const sm_members *mem)
{
	const uint8_t *orig = e->msg.u.h.originator;
	uint64_t now = now_ms();

	for (size_t i = 0; i < n->n_trees && i < 32; i++) {
		struct tree *t = &n->trees[i];
		/* seen: members taken care of (this node, from, those queued
		 * or sent to); queue: down members to go around, in order */
		size_t seen[2 * BYPASS_MAX], ns = 0, queue[BYPASS_MAX], nq = 0, sent = 0, fi;
		roster_t *ro;
		bool links;

		if (!(entered & (1u << i)) || !t->order || !tree_nb_down(n, t, from, now))
			continue;	/* the common case: none is down */
		/* the SIG's own federation objects cross into the others
		 * over its primary links (may_send_on) */
		links = r->msg.u.report.aud.federation && (ro = federation_find(n->fed, t->sig)) &&
		    roster_is_member(ro, 0, orig);
		fi = from ? tree_pos(t, from->org) : SIZE_MAX;
		seen[ns++] = t->me;
		if (fi != SIZE_MAX)
			seen[ns++] = fi;
		if (rooted & (1u << i)) {
			/* started at the root (start_at_roots): the
			 * wave from there goes around a parent that is
			 * down, as around any member */
			seen[ns++] = 0;
			seen[ns++] = (t->me - 1) / TREE_FANOUT;
		}
		for (size_t k = 0; k < t->n_nb; k++) {
			size_t d = tree_pos(t, t->nb[k]);
			if (d == SIZE_MAX || in(seen, ns, d) || !t->nbp[k] || !peer_down(n, t->nbp[k], now) ||
			    (fi != SIZE_MAX && tree_linked(fi, d)))
				continue;
			seen[ns++] = d;
			queue[nq++] = d;
		}
		/* breadth first over the down members, sending to the first
		 * live (or unknown) member on each path */
		for (size_t q = 0; q < nq && sent < BYPASS_MAX; q++) {
			size_t d = queue[q], lo = d * TREE_FANOUT + 1, adj[TREE_FANOUT + 1], na = 0;
			for (size_t x = 0; links && x < t->n_xl; x++)
				if (t->xl[x].a == d)
					link_around(n, &t->xl[x], e, r, obj, len, false, now, mem);
			if (d > 0)
				adj[na++] = (d - 1) / TREE_FANOUT;
			for (size_t c = lo; c < lo + TREE_FANOUT && c < t->n_order; c++)
				adj[na++] = c;
			for (size_t a = 0; a < na && sent < BYPASS_MAX && ns < sizeof(seen) / sizeof(seen[0]); a++) {
				size_t g = adj[a];
				struct peer *p;
				if (in(seen, ns, g))
					continue;
				seen[ns++] = g;
				p = node_peer(n, t->order[g], false);
				if (p && peer_down(n, p, now)) {
					if (nq < sizeof(queue) / sizeof(queue[0]))
						queue[nq++] = g;
					continue;
				}
				if (same(t->order[g], orig) ||
				    !scope_may_forward(n->scope, e, node_me(n), t->order[g], mem) ||
				    (!p && !(p = node_peer(n, t->order[g], true))))
					continue;
				if (tree_edge(n, entered, p))
					continue;	/* our own tree neighbour (a bridge's other SIG): pushed already */
				push(n, p, e, r, obj, len, report_obj, report_len, mem);
				n->c.sent_bypass++;
				sent++;
			}
		}
	}
}

/* p gets objects from this node directly: see owed_ms in node_impl.h. A
 * neighbour needs nothing more: regular reconciliation covers it. */
static void owe(struct peer *p)
{
	if (!p->neighbor)
		p->owed_ms = now_ms();
}

/* Originator's direct deliveries: named organizations, and one member of
 * each SIG in the audience that this node is not in (pushed: it starts
 * the object on that SIG's tree), with two more told by IHAVE in case it
 * is down. */
static void seed_direct(node_t *n, scope_entry *e, const uint8_t *obj,
    size_t len, const sm_audience *aud, const struct peer *from)
{
	const sm_members mem = federation_members(n->fed);

	for (uint32_t i = 0; i < aud->n_orgs; i++) {
		struct peer *p = node_peer(n, aud->orgs[i], true);
		if (p && p != from && scope_may_forward(n->scope, e, node_me(n), p->org, &mem)) {
			queue_obj(p, e, obj, len);
			owe(p);
			n->c.sent_direct++;
		}
	}
	for (uint32_t i = 0; i < aud->n_sigs; i++) {
		roster_t *ro = federation_find(n->fed, aud->sigs[i]);
		const uint8_t *pick[DIRECT_PER_SIG];
		bool pushed = false;
		if (!ro || roster_is_member(ro, 0, node_me(n)))
			continue;
		size_t k = pick_entries(n, ro, DIRECT_PER_SIG, pick);
		for (size_t j = 0; j < k; j++) {
			struct peer *p = node_peer(n, pick[j], true);
			if (!p || p == from || !scope_may_forward(n->scope, e, node_me(n), p->org, &mem))
				continue;
			if (pushed) {
				queue_ihave(p, e);
				continue;
			}
			queue_obj(p, e, obj, len);
			owe(p);
			n->c.sent_direct++;
			pushed = true;
		}
	}
}

/*
 * The rank by which a node picks the neighbours it announces object id to:
 * BLAKE2b(id || me || org), so each sender picks its own few. Ranked by
 * BLAKE2b(id || org) alone, as before 2026-11-28, every neighbour of a
 * node agreed on how far down that node ranks for a given object: with
 * five neighbours off the tree and three told, a node ranked last by all
 * of them for about one object in five and heard of it from none, so when
 * its tree parent was down it waited for reconciliation. With each
 * sender's own rank, (1 - LAZY_FANOUT/5)^5 of them: one in a hundred with
 * three told, one in thirteen with two (test_lazy_rank counts them on a
 * 5-regular graph).
 */
void node_lazy_rank(const uint8_t id[SM_ID_LEN], const uint8_t me[SM_ID_LEN], const uint8_t org[SM_ID_LEN],
    uint8_t out[8])
{
	rank_hash(id, me, org, out);
}

/*
 * Announce e (IHAVE) to LAZY_FANOUT of the SIG neighbours off its tree:
 * those ranked lowest by node_lazy_rank, a different few for every object.
 * Each one told is a frame that wakes two threads at the receiver, for a
 * repair that is rarely needed: a tree neighbour known to be down is gone
 * around eagerly (bypass), so IHAVE covers a parent that has only just
 * failed, or a frame lost to a full queue. With two of five told by each
 * neighbour holding it, such a node hears of the object from one of them
 * 92% of the time, and reconciliation covers the rest. Telling three
 * instead of two cost jcsip-2018 on a 2-core machine a third of its
 * full-audience latency, and one instead of two gained little more
 * (bench/NOTES.md, session 19).
 */
static void announce_lazy(node_t *n, scope_entry *e, struct ranked *l, size_t k)
{
	if (k > LAZY_FANOUT) {
		for (size_t i = 0; i < k; i++)
			node_lazy_rank(e->msg.id, node_me(n), l[i].p->org, l[i].rank);
		qsort(l, k, sizeof(*l), cmp_ranked);
		k = LAZY_FANOUT;
	}
	for (size_t i = 0; i < k; i++)
		queue_ihave(l[i].p, e);
}

/* Which trees this node started object id on (node_impl.h sent_on), or
 * NULL when it did not send it on lately. */
static uint32_t *sent_on_find(node_t *n, const uint8_t id[SM_ID_LEN])
{
	for (size_t i = 0; i < sizeof(n->sent_on) / sizeof(n->sent_on[0]); i++)
		if (same(n->sent_on[i].id, id))
			return &n->sent_on[i].trees;
	return NULL;
}

static void sent_on_add(node_t *n, const uint8_t id[SM_ID_LEN], uint32_t trees)
{
	size_t i = n->sent_on_pos++ % (sizeof(n->sent_on) / sizeof(n->sent_on[0]));

	memcpy(n->sent_on[i].id, id, SM_ID_LEN);
	n->sent_on[i].trees = trees;
}

/* Is p the root of one of the trees in mask? */
static bool root_of(node_t *n, uint32_t mask, const struct peer *p)
{
	for (size_t i = 0; i < n->n_trees && i < 32; i++)
		if ((mask & (1u << i)) && n->trees[i].order && n->trees[i].n_order &&
		    same(n->trees[i].order[0], p->org))
			return true;
	return false;
}

/* Is p a child of this node in one of the trees in mask? */
static bool tree_child(node_t *n, uint32_t mask, const struct peer *p)
{
	for (size_t i = 0; i < n->n_trees && i < 32; i++) {
		const struct tree *t = &n->trees[i];
		size_t c;
		if ((mask & (1u << i)) && t->order && (c = tree_pos(t, p->org)) != SIZE_MAX && c > 0 &&
		    (c - 1) / TREE_FANOUT == t->me)
			return true;
	}
	return false;
}

/*
 * This node made e: in each tree it enters (entered) where this node is
 * below the root's children, e goes to the tree's root, and from here to
 * this node's children only, not up to its parent. The root sends it down
 * the whole tree but for this node's subtree (nobody sends an object to
 * its originator), so every member still gets one copy, and the farthest
 * is depth + 1 hops away instead of up to twice the depth: 6 hops in a
 * 40-member SIG, and 7 to the far side of a primary cross-SIG link, which
 * starts at the root (bench/NOTES.md, session 22). Not where the root is
 * known to be down: there the object goes up from here as before, around
 * the root (bypass). A root that is down without this node knowing is
 * repaired as a parent that fails: by the announcements of those that
 * have it, and reconciliation. Returns the trees started at their root.
 */
static uint32_t start_at_roots(node_t *n, scope_entry *e, scope_entry *r, const uint8_t *obj, size_t len,
    const uint8_t *report_obj, size_t report_len, uint32_t entered, const sm_members *mem)
{
	uint32_t rooted = 0, pushed = 0;
	uint64_t now = now_ms();

	for (size_t i = 0; i < n->n_trees && i < 32; i++) {
		struct tree *t = &n->trees[i];
		struct peer *root;
		if (!(entered & (1u << i)) || !t->order || t->me <= TREE_FANOUT)
			continue;
		if (!(root = node_peer(n, t->order[0], true)) || peer_down(n, root, now) ||
		    !scope_may_forward(n->scope, e, node_me(n), root->org, mem))
			continue;
		rooted |= 1u << i;
		/* one copy to a root of two trees (or a tree neighbour of
		 * another tree, pushed by forward's loop) */
		if (tree_edge(n, entered, root) || (pushed & (1u << i)))
			continue;
		push(n, root, e, r, obj, len, report_obj, report_len, mem);
		for (size_t j = i + 1; j < n->n_trees && j < 32; j++)
			if (n->trees[j].order && n->trees[j].n_order && same(n->trees[j].order[0], root->org))
				pushed |= 1u << j;
	}
	return rooted;
}

/* May e go on to neighbour p at all (whether eagerly or announced)? */
static bool may_send_on(node_t *n, scope_entry *e, struct peer *p, const struct peer *from,
    bool mine, const sm_members *mem)
{
	if (!p->neighbor || p == from || same(p->org, e->msg.u.h.originator))
		return false;
	/* A designated cross-SIG link carries what comes from this node's
	 * own SIGs only: an object enters each other SIG once, from its
	 * origin SIG, not again from every SIG it reaches on the way (those
	 * copies would all be duplicates). */
	if (p->cross && !mine && !federation_share_sig(n->fed, node_me(n), e->msg.u.h.originator))
		return false;
	return scope_may_forward(n->scope, e, node_me(n), p->org, mem);
}

/*
 * Send a newly stored object onward. from is the peer it came from (NULL
 * when this node created it).
 */
static void forward(node_t *n, scope_entry *e, const uint8_t *obj, size_t len, struct peer *from)
{
	const sm_members mem = federation_members(n->fed);
	scope_entry *r = scope_report_of(n->scope, e);
	bool mine = same(e->msg.u.h.originator, node_me(n));
	uint8_t *report_obj = NULL;
	size_t report_len = 0, n_lazy = 0;
	struct ranked lazy[64];
	uint32_t entered = 0;	/* the trees it enters here */
	uint32_t rooted = 0;	/* those of them started at their root */
	bool old;

	if (!r)
		return;
	if (e->msg.type == SM_MSG_SIGHTING && e->msg.u.sighting.originator_only) {
		struct peer *p;
		/* no tree or SIG session carries it: a report's originator
		 * that was away gets it from the owed check (direct scope) */
		if (mine && (p = node_peer(n, r->msg.u.h.originator, true))) {
			queue_obj(p, e, obj, len);
			owe(p);
			n->c.sent_direct++;
		}
		return;
	}
	/* a release makes its report travel too: receivers newly entitled do
	 * not have it yet */
	if (e->msg.type == SM_MSG_RELEASE)
		report_obj = store_get(n->store, r->msg.id, NULL, &report_len, NULL);

	/* A peer's object made before this node started is catch-up
	 * (reconciliation after an absence): the neighbours that stayed up
	 * hold it. It is announced on the tree, not pushed: pushed, each
	 * object a returning node caught up went on to all its tree
	 * neighbours as duplicates. One that lacks it (it was away too)
	 * asks for it. */
	old = from && e->msg.u.h.created_ms < n->c.started_ms;
	if (r->msg.u.report.tlp != SM_TLP_RED) {
		entered = tree_entries(n, e, r, from);
		sent_on_add(n, e->msg.id, entered);
		if (!from)
			rooted = start_at_roots(n, e, r, obj, len, report_obj, report_len, entered, &mem);
		for (size_t i = 0; i < n->n_peers; i++) {
			struct peer *p = n->peers[i];
			if (!may_send_on(n, e, p, from, mine, &mem))
				continue;
			if (rooted && root_of(n, rooted, p) && !tree_edge(n, entered, p))
				continue;	/* pushed by start_at_roots */
			bool eager = eager_over(n, entered, r, p);
			if (eager && rooted && !eager_over(n, entered & ~rooted, r, p) &&
			    !tree_child(n, entered & rooted, p)) {
				/* the parent in a tree started at its root:
				 * the wave from the root brings it */
				if (n_lazy < sizeof(lazy) / sizeof(lazy[0]))
					lazy[n_lazy++].p = p;
				continue;
			}
			if (eager && !old) {
				push(n, p, e, r, obj, len, report_obj, report_len, &mem);
				if (p->cross_primary && r->msg.u.report.aud.federation && peer_down(n, p, now_ms()))
					link_down(n, p, e, r, obj, len, &mem);
			} else if (eager)
				queue_ihave(p, e);
			else if (!p->cross && n_lazy < sizeof(lazy) / sizeof(lazy[0]))
				lazy[n_lazy++].p = p;	/* a SIG neighbour off the tree */
			else
				queue_ihave(p, e);
		}
	}
	announce_lazy(n, e, lazy, n_lazy);
	if (entered && !old)
		bypass(n, e, r, obj, len, report_obj, report_len, entered, rooted, from, &mem);
	if (mine) {
		/* what follows a report (a release, sighting or retraction
		 * from here) goes where the report went: to the audience's
		 * named organizations and foreign SIGs, which no tree of this
		 * node reaches, as the report's originator seeded them (and
		 * those of its releases); this node may itself be a named
		 * organization with no neighbour in the audience */
		seed_direct(n, e, obj, len, &r->msg.u.report.aud, from);
		if (e->msg.type != SM_MSG_REPORT)
			for (size_t i = 0; i < r->n_rel; i++)
				if (r->rel[i] != e)
					seed_direct(n, e, obj, len, &r->rel[i]->msg.u.release.add, from);
		if (e->msg.type == SM_MSG_RELEASE)
			seed_direct(n, e, obj, len, &e->msg.u.release.add, from);
		/* and a released report to those the release newly entitles */
		if (report_obj)
			seed_direct(n, r, report_obj, report_len, &e->msg.u.release.add, from);
	}
	free(report_obj);
}

/*
 * A copy of e, which this node holds, came from "from" (a tree copy that
 * lost the race, or an answer to reconciliation). If by that copy the
 * object enters a tree here that it did not enter when it first came (it
 * reached this bridge organization by its other SIG first), it goes on
 * down that tree now. Without this, the bridge's subtree in that SIG
 * waited for an announcement and a graft, or for reconciliation. Each
 * tree is started here at most once per object.
 */
static void reenter(node_t *n, scope_entry *e, const uint8_t *obj, size_t len, struct peer *from)
{
	scope_entry *r = scope_report_of(n->scope, e);
	uint32_t *done = sent_on_find(n, e->msg.id), add, old;
	uint8_t *report_obj = NULL;
	size_t report_len = 0;
	sm_members mem;

	if (!done || !r || r->msg.u.report.tlp == SM_TLP_RED ||
	    !(add = tree_entries(n, e, r, from) & ~*done))
		return;
	old = *done;
	*done |= add;
	mem = federation_members(n->fed);
	if (e->msg.type == SM_MSG_RELEASE)
		report_obj = store_get(n->store, r->msg.id, NULL, &report_len, NULL);
	for (size_t i = 0; i < n->n_peers; i++) {
		struct peer *p = n->peers[i];
		if (eager_over(n, old | add, r, p) && !eager_over(n, old, r, p) &&
		    may_send_on(n, e, p, from, same(e->msg.u.h.originator, node_me(n)), &mem))
			push(n, p, e, r, obj, len, report_obj, report_len, &mem);
	}
	free(report_obj);
}

/* ---- ingest ----------------------------------------------------------- */

static int roster_known(node_t *n, const sm_roster_ref *refs, uint32_t nr, struct peer *from, sm_err *err)
{
	for (uint32_t i = 0; i < nr; i++) {
		roster_t *r = federation_find(n->fed, refs[i].sig);
		if (r && roster_version(r) >= refs[i].version)
			continue;
		if (from && r) {	/* ask the sender for what we lack */
			size_t flen = 0;
			node_send(n, from, wire_roster(refs[i].sig, roster_version(r), NULL, NULL, 0, &flen), &flen);
		}
		return sm_fail(err, SM_ENOTFOUND, "roster version %llu of a SIG %s",
		    (unsigned long long)refs[i].version, r ? "not yet known here" : "unknown here");
	}
	return 0;
}

/*
 * May this node hold report m, received from "from"? Releases of it count
 * when signed by its originator: stored ones (which arrived before it and
 * named this node) and parked ones (which arrived before it and did not);
 * a parked release is judged properly, and stored, once the report is here.
 */
static int check_report(node_t *n, sm_msg *m, struct peer *from, sm_err *err)
{
	const sm_members mem = federation_members(n->fed);
	const uint8_t *me = node_me(n);
	const sm_release *rel[64];
	sm_msg parked[8];
	size_t n_rel, n_parked = 0;
	sm_report *rep = &m->u.report;
	int rc = -1;

	if (roster_known(n, rep->rosters, rep->n_rosters, from, err) < 0)
		return -1;
	n_rel = scope_pending_releases(n->scope, m->id, rel, 64);
	if (n_rel > 64)
		n_rel = 64;
	for (size_t i = 0; i < n->n_parked && n_parked < 8 && n_rel < 64; i++) {
		sm_msg *pm = &parked[n_parked];
		if (!same(n->parked[i].ref, m->id) ||
		    msg_decode_trusted(n->parked[i].obj, n->parked[i].len, pm, NULL) < 0)
			continue;	/* verified on arrival: no second signature check */
		if (pm->type != SM_MSG_RELEASE) {
			msg_clear(pm);
			continue;
		}
		rel[n_rel++] = &pm->u.release;
		n_parked++;
	}
	/* releases signed by someone else than the originator do not count */
	size_t k = 0;
	for (size_t i = 0; i < n_rel; i++)
		if (same(((const sm_head *)&rel[i]->h)->originator, rep->h.originator))
			rel[k++] = rel[i];
	n_rel = k;
	for (size_t i = 0; i < n_rel; i++)
		if (roster_known(n, rel[i]->rosters, rel[i]->n_rosters, from, err) < 0)
			goto out;
	if (!tlp_may_receive(rep, rel, n_rel, me, &mem)) {
		sm_fail(err, SM_ESCOPE, "report %s is not for this organization", tlp_name(rep->tlp));
		goto out;
	}
	if (from && !tlp_may_forward(rep, rel, n_rel, from->org, me, &mem)) {
		sm_fail(err, SM_ESCOPE, "%s report relayed by an organization that may not pass it on",
		    tlp_name(rep->tlp));
		goto out;
	}
	rc = 0;
out:
	for (size_t i = 0; i < n_parked; i++)
		msg_clear(&parked[i]);
	return rc;
}

/*
 * A sighting or retraction of a report held here names, or came from, an
 * organization outside the audience this node knows. If a release could
 * have widened that audience (tlp_may_widen), the release may
 * simply not be here yet: gossip does not order a release ahead of the
 * sightings its new readers make, and in a 1,000-node testnet honest
 * relays were struck for it (bench/NOTES.md). Deferred (SM_ENOTFOUND: the
 * object is parked until a release of the report comes, or 10 minutes),
 * not held against the relay. Otherwise out of scope.
 */
static int outside(uint8_t tlp, sm_err *err, const char *what)
{
	if (tlp_may_widen(tlp))
		return sm_fail(err, SM_ENOTFOUND, "%s known here (deferred until a release of the report)", what);
	return sm_fail(err, SM_ESCOPE, "%s", what);
}

/* Is this decoded message one this node may hold, received from "from"? */
static int check_scope(node_t *n, sm_msg *m, struct peer *from, sm_err *err)
{
	const sm_members mem = federation_members(n->fed);
	const uint8_t *me = node_me(n);
	const sm_release *rel[64];
	size_t n_rel;
	scope_entry *r;

	switch (m->type) {
	case SM_MSG_REPORT:
		return check_report(n, m, from, err);
	case SM_MSG_SIGHTING:
	case SM_MSG_RETRACTION: {
		const uint8_t *ref = m->type == SM_MSG_SIGHTING ? m->u.sighting.report : m->u.retraction.report;
		if (!(r = scope_get(n->scope, ref)) || r->msg.type != SM_MSG_REPORT)
			return sm_fail(err, SM_ENOTFOUND, "%s of a report not held here", msg_type_name(m->type));
		const sm_report *rep = &r->msg.u.report;
		n_rel = r->n_rel < 64 ? r->n_rel : 64;
		scope_release_list(r, rel);
		if (m->type == SM_MSG_RETRACTION) {
			if (!same(m->u.h.originator, rep->h.originator))
				return sm_fail(err, SM_ESCOPE, "retraction not signed by the report's originator");
		} else {
			if (!tlp_may_receive(rep, rel, n_rel, m->u.h.originator, &mem))
				return outside(rep->tlp, err, "sighting by an organization outside the report's audience");
			if (m->u.sighting.originator_only && !same(me, rep->h.originator) &&
			    !same(me, m->u.h.originator))
				return sm_fail(err, SM_ESCOPE, "sighting meant for the originator only");
		}
		if (from && !tlp_may_receive(rep, rel, n_rel, from->org, &mem))
			return outside(rep->tlp, err, m->type == SM_MSG_SIGHTING ?
			    "sighting relayed by an organization outside the audience" :
			    "retraction relayed by an organization outside the audience");
		return 0;
	}
	case SM_MSG_RELEASE: {
		sm_release *re = &m->u.release;
		if (roster_known(n, re->rosters, re->n_rosters, from, err) < 0)
			return -1;
		r = scope_get(n->scope, re->report);
		if (r && r->msg.type == SM_MSG_REPORT) {
			if (!same(m->u.h.originator, r->msg.u.h.originator))
				return sm_fail(err, SM_ESCOPE, "release not signed by the report's originator");
			const char *why = NULL;
			if (!tlp_release_ok(r->msg.u.report.tlp, &re->add, &why))
				return sm_fail(err, SM_ESCOPE, "release: %s", why ? why : "not allowed for this label");
			return 0;
		}
		/* not holding the report yet: its signer cannot be checked
		 * against the report's originator, so nothing is stored; */
		/* it may widen a report we are to receive but do not hold
		 * yet: judge it when the report comes (the node parks it) */
		return sm_fail(err, SM_ENOTFOUND, "release of a report not held here");
	}
	}
	return sm_fail(err, SM_ETYPE, "unknown message type");
}

static void index_report(node_t *n, scope_entry *e)
{
	sm_msg m;
	body_t b;
	bool readable;
	body_indicator *ind = NULL;
	size_t ni = 0;
	char *hexbuf = NULL;
	sm_err err = {0};

	if (node_open_report(n, e->msg.id, &m, &b, &readable, &err) < 0)
		return;
	if (readable && body_indicators(&b, &ind, &ni, &hexbuf, &err) == 0) {
		for (size_t i = 0; i < ni; i++)
			if (store_index(n->store, ind[i].type, ind[i].value, e->msg.id, &err) < 0)
				break;
	}
	free(ind);
	free(hexbuf);
	if (readable)
		body_clear(&b);
	msg_clear(&m);
}

static int batch_open(node_t *n, sm_err *err)
{
	if (n->in_batch)
		return 0;
	if (store_begin(n->store, err) < 0)
		return -1;
	n->in_batch = true;
	n->batch_start_ms = now_ms();
	return 0;
}

static size_t missing_slot(node_t *n, const uint8_t id[SM_ID_LEN], bool *found);

/* One measured lag of a copy behind its first announcement. Only copies
 * that were not grafted are measured (plus the late tree copies of those
 * that were): a graft's own answer arrives after the wait, and measuring
 * it would lengthen the wait on itself. */
static void lag_sample(node_t *n, uint64_t ms)
{
	double s = (double)ms, w;

	if (n->lag_ms == 0 && n->lag_var_ms == 0) {
		n->lag_ms = s;
		n->lag_var_ms = s / 2;
	} else {
		n->lag_var_ms = 0.75 * n->lag_var_ms + 0.25 * (s > n->lag_ms ? s - n->lag_ms : n->lag_ms - s);
		n->lag_ms = 0.875 * n->lag_ms + 0.125 * s;
	}
	w = n->lag_ms + 4 * n->lag_var_ms;
	n->graft_wait_ms = w < GRAFT_WAIT_MS ? GRAFT_WAIT_MS : w > GRAFT_WAIT_MAX_MS ? GRAFT_WAIT_MAX_MS : (uint32_t)w;
}

/* A new copy of id came in: if it had been announced, how late was it? */
static void lag_arrived(node_t *n, const uint8_t id[SM_ID_LEN])
{
	bool found;
	size_t slot;

	if (!n->n_missing || !n->missing_slots)
		return;
	slot = missing_slot(n, id, &found);
	if (found)
		lag_sample(n, now_ms() - n->missing[n->missing_slots[slot] - 1].seen);
}

/* Where a copy from a peer most likely came from, told apart by what
 * this node knows at its arrival. The status counters dup_* count
 * duplicates by it (what is left to cut); the debug trace of each stored
 * object names it (which path was slow). */
enum copy_path { PATH_GRAFT, PATH_RECON, PATH_ORIGIN, PATH_FOREIGN, PATH_TREE };

static const char *const path_names[] = { "graft", "reconciliation", "originator", "foreign SIG", "tree" };

static enum copy_path copy_path(node_t *n, const uint8_t id[SM_ID_LEN],
    const uint8_t originator[SM_ID_LEN], struct peer *from, bool sample_lag)
{
	uint64_t now = now_ms(), last = from->last_recon_ms > from->last_resp_ms ?
	    from->last_recon_ms : from->last_resp_ms;
	bool grafted = false;

	for (size_t i = 0; i < sizeof(n->grafted) / sizeof(n->grafted[0]); i++)
		if (same(n->grafted[i].id, id)) {
			/* the copy the graft was too early for */
			if (!grafted && sample_lag)
				lag_sample(n, now - n->grafted[i].seen);
			grafted = true;
		}
	if (grafted)
		return PATH_GRAFT;
	if (from->rs_init || from->rs_resp || from->n_backlog || (last && now - last < 2000))
		return PATH_RECON;
	if (same(originator, from->org))
		return PATH_ORIGIN;
	if (!federation_share_sig(n->fed, node_me(n), from->org))
		return PATH_FOREIGN;
	return PATH_TREE;
}

/* Is id held already? A duplicate from a peer is counted by its path. */
static bool ingest_dup(node_t *n, const uint8_t id[SM_ID_LEN], const uint8_t *obj, size_t len,
    struct peer *from)
{
	scope_entry *e = scope_get(n->scope, id);

	if (!e)
		return false;
	n->c.duplicates++;
	if (from) {
		switch (copy_path(n, id, e->msg.u.h.originator, from, true)) {
		case PATH_GRAFT: n->c.dup_graft++; break;
		case PATH_RECON: n->c.dup_recon++; break;
		case PATH_ORIGIN: n->c.dup_origin++; break;
		case PATH_FOREIGN: n->c.dup_foreign++; break;
		case PATH_TREE: n->c.dup_tree++; break;
		}
		from->duplicates_in++;
		reenter(n, e, obj, len, from);
	}
	return true;
}

/*
 * Take one verified object (job done by verify_run, on a worker or here)
 * into the open batch: scope check, store, index, remember for forwarding
 * after the commit. 0: stored (or harmless duplicate); -1 with err.
 */
static int ingest_job(node_t *n, verify_job *j, struct peer *from, sm_err *err)
{
	sm_msg *m = &j->msg;
	store_meta meta;
	scope_entry *e;

	if (ingest_dup(n, j->id, j->obj, j->len, from))
		return 0;
	if (from)
		lag_arrived(n, j->id);
	if (j->rc < 0) {
		if (err)
			*err = j->err;
		return -1;
	}
	if (check_scope(n, m, from, err) < 0 || batch_open(n, err) < 0)
		return -1;
	memset(&meta, 0, sizeof(meta));
	memcpy(meta.id, j->id, SM_ID_LEN);
	meta.type = m->type;
	memcpy(meta.originator, m->u.h.originator, SM_ID_LEN);
	meta.seq = m->u.h.seq;
	meta.created_ms = m->u.h.created_ms;
	if (m->type == SM_MSG_REPORT) {
		meta.tlp = m->u.report.tlp;
	} else {
		const uint8_t *ref = m->type == SM_MSG_SIGHTING ? m->u.sighting.report :
		    m->type == SM_MSG_RETRACTION ? m->u.retraction.report : m->u.release.report;
		scope_entry *r = scope_get(n->scope, ref);
		meta.has_ref = true;
		memcpy(meta.ref, ref, SM_ID_LEN);
		meta.tlp = r && r->msg.type == SM_MSG_REPORT ? r->msg.u.report.tlp : SM_TLP_AMBER;
	}
	if (store_put(n->store, &meta, j->obj, j->len, err) < 0) {
		if (err && err->code == SM_EEXISTS) {
			sm_err_clear(err);
			return 0;
		}
		return -1;
	}
	/* scope_add takes the message: the job no longer owns it */
	e = scope_add(n->scope, m, meta.arrival);
	if (!e) {
		/* scope_add failed before taking the message: still ours */
		return sm_fail(err, SM_ENOMEM, "out of memory");
	}
	n->arrived_last = meta.arrival;
	j->rc = -1;	/* the table owns the message now */
	if (e->msg.type == SM_MSG_REPORT || e->msg.type == SM_MSG_RELEASE)
		n->unpark_due = true;	/* what is parked may be placeable now */
	if (from && log_level() >= LOG_DEBUG) {
		/* one line per object taken from a peer: how it came and how
		 * old it was (clocks of one testnet agree), to find which
		 * path a slow delivery took */
		char idh[17], who[ROSTER_MAX_NAME + 1];
		uint64_t now = now_ms(), made = e->msg.u.h.created_ms;
		sodium_bin2hex(idh, sizeof(idh), e->msg.id, 8);
		node_org_name(n, from->org, who, sizeof(who));
		log_debug("object %s stored from %s by %s, %" PRIu64 " ms after it was made",
		    idh, who, path_names[copy_path(n, e->msg.id,
		    e->msg.u.h.originator, from, false)], now > made ? now - made : 0);
	}
	if (e->msg.type == SM_MSG_REPORT) {
		if (j->readable) {
			for (size_t i = 0; i < j->n_ind; i++)
				if (store_index(n->store, j->ind[i].type, j->ind[i].value, e->msg.id, err) < 0)
					break;
		} else if (e->n_rel) {
			/* readable, if at all, only through a release held
			 * before the report: the slow path, from the store */
			index_report(n, e);
		}
	}
	/* remember for after the commit: forward, publish. The object moves
	 * from the job to the pending list. */
	if (n->n_pending == n->cap_pending) {
		size_t c = n->cap_pending ? 2 * n->cap_pending : 64;
		struct pending *p = realloc(n->pending, c * sizeof(*p));
		if (!p)
			return sm_fail(err, SM_ENOMEM, "out of memory");
		n->pending = p;
		n->cap_pending = c;
	}
	struct pending *pd = &n->pending[n->n_pending++];
	pd->e = e;
	pd->obj = j->obj;
	pd->len = j->len;
	j->obj = NULL;
	pd->plain = j->plain;
	pd->plain_len = j->plain_len;
	j->plain = NULL;
	memset(pd->from, 0, SM_ID_LEN);
	pd->has_from = from != NULL;
	pd->forwarded = false;
	if (from) {
		memcpy(pd->from, from->org, SM_ID_LEN);
		from->objects_in++;
		n->c.received_objects++;
		/* A relay passes a peer's object on as soon as it is checked
		 * and in the open batch: relaying acknowledges nothing, and a
		 * durable commit (an fsync) per hop would dominate the latency
		 * of a deep tree. If the commit then fails, the receivers hold
		 * a valid object they are entitled to, and reconciliation
		 * brings it back here. This node's own objects wait for the
		 * commit: their sequence number must be durable first. */
		forward(n, e, pd->obj, pd->len, from);
		pd->forwarded = true;
	}
	return 0;
}

/*
 * Take one object (from a peer, or created here when from is NULL) into
 * the open batch, verifying it on this thread. 0: stored (or harmless
 * duplicate); -1 with err: refused.
 */
int node_ingest(node_t *n, const uint8_t *obj, size_t len, struct peer *from, sm_err *err)
{
	uint8_t id[SM_ID_LEN];
	verify_job *j;
	int rc;

	if (len > SM_MAX_OBJECT)
		return sm_fail(err, SM_EBOUND, "object of %zu bytes, max %u", len, SM_MAX_OBJECT);
	/* duplicates are dropped before any signature check: each object is
	 * verified once per node */
	msg_object_id(obj, len, id);
	if (ingest_dup(n, id, obj, len, from))
		return 0;
	if (!(j = verify_job_new(obj, len, from ? from->org : NULL, now_ms())))
		return sm_fail(err, SM_ENOMEM, "out of memory");
	verify_run(j, node_me(n), identity_public(n->id)->box_pk, identity_box_sk(n->id));
	rc = ingest_job(n, j, from, err);
	verify_job_free(&j);
	return rc;
}

/* Why an object from a peer was not stored: early (deferred), our own
 * trouble (logged), or the peer's fault (a strike). */
static void ingest_failed(node_t *n, struct peer *p, const sm_err *e)
{
	if (e->code == SM_ENOTFOUND) {
		n->c.deferred++;	/* not wrong, just early */
		if (p)
			gossip_recon_soon(p);
		log_debug("peer: deferred an object: %s", e->msg);
	} else if (e->code == SM_EFULL || e->code == SM_EIO || e->code == SM_ENOMEM) {
		log_error("store: %s", e->msg);
	} else if (e->code == SM_EREPLAY) {
		/* two different objects with one originator and sequence number:
		 * the originator signed both (equivocation). The relay only
		 * passed on what it was given; striking it would let one
		 * dishonest member set honest nodes against each other. */
		n->c.rejected++;
		log_warn("peer: replay refused, not held against the relay (the originator signed two objects with one sequence number): %s",
		    e->msg);
	} else if (p)
		strike(n, p, "object", e);
}

#define PARK_MAX 8192
#define PARK_BYTES (64u << 20)
#define PARK_MS (10 * 60 * 1000)

/* What parked object pk waits for: its report (r, the report's entry, is
 * NULL), or a release of it beyond those held now. */
static void park_wait(struct parked *pk, const scope_entry *r)
{
	pk->wants_release = r && r->msg.type == SM_MSG_REPORT;
	pk->n_rel = r ? r->n_rel : 0;
}

/* Keep an object that came before its report, or before the release of
 * it that puts its author or relay in the audience (gossip does not order
 * a sighting behind the report or release it depends on across different
 * paths). */
static void park(node_t *n, const verify_job *j)
{
	const sm_msg *m = &j->msg;
	const uint8_t *ref;
	struct parked *pk;

	if (j->rc != 0)
		return;
	switch (m->type) {
	case SM_MSG_SIGHTING: ref = m->u.sighting.report; break;
	case SM_MSG_RETRACTION: ref = m->u.retraction.report; break;
	case SM_MSG_RELEASE: ref = m->u.release.report; break;
	default: return;	/* a report waiting for a roster: the roster sync brings it */
	}
	for (size_t i = 0; i < n->n_parked; i++)
		if (n->parked[i].len == j->len && !memcmp(n->parked[i].obj, j->obj, j->len))
			return;
	if (n->n_parked >= PARK_MAX || n->parked_bytes + j->len > PARK_BYTES)
		return;		/* full: reconciliation will bring it again */
	if (n->n_parked == n->cap_parked) {
		size_t c = n->cap_parked ? 2 * n->cap_parked : 32;
		struct parked *x = realloc(n->parked, c * sizeof(*x));
		if (!x)
			return;
		n->parked = x;
		n->cap_parked = c;
	}
	pk = &n->parked[n->n_parked];
	if (!(pk->obj = malloc(j->len)))
		return;
	memcpy(pk->obj, j->obj, j->len);
	pk->len = j->len;
	memcpy(pk->ref, ref, SM_ID_LEN);
	memcpy(pk->from, j->from, SM_ID_LEN);
	pk->has_from = true;
	park_wait(pk, scope_get(n->scope, ref));
	pk->until_ms = now_ms() + PARK_MS;
	n->parked_bytes += j->len;
	n->n_parked++;
}

/* Ingest again the parked objects whose report, or a new release of it,
 * is now held; drop the ones that waited too long. One still early (the
 * release held does not cover its author) stays parked. */
static void unpark(node_t *n)
{
	uint64_t now = now_ms();
	size_t k = 0;

	for (size_t i = 0; i < n->n_parked; i++) {
		struct parked pk = n->parked[i];
		scope_entry *r = scope_get(n->scope, pk.ref);
		if (pk.until_ms > now && (!r || (pk.wants_release && r->n_rel <= pk.n_rel))) {
			n->parked[k++] = pk;
			continue;
		}
		if (pk.until_ms > now) {
			sm_err e = {0};
			struct peer *p = pk.has_from ? node_peer(n, pk.from, false) : NULL;
			if (node_ingest(n, pk.obj, pk.len, p, &e) < 0 && e.code == SM_ENOTFOUND) {
				/* a release came that does not cover its author:
				 * a later one may, so it waits for that, within
				 * its first deadline */
				park_wait(&pk, scope_get(n->scope, pk.ref));
				n->parked[k++] = pk;
				continue;
			}
			if (e.code)
				log_debug("peer: parked object refused: %s", e.msg);
		}
		n->parked_bytes -= pk.len;
		free(pk.obj);
	}
	n->n_parked = k;
}

/* Objects the workers have verified, in the order they arrived. */
/* Take a peer's verified job into the batch (parking it if it came before
 * its report), and free it. */
static void take_verified(node_t *n, verify_job *j, struct peer *p)
{
	sm_err e = {0};

	if (ingest_job(n, j, p, &e) < 0) {
		if (e.code == SM_ENOTFOUND)
			park(n, j);
		ingest_failed(n, p, &e);
	}
	verify_job_free(&j);
}

static void drain_verified(node_t *n)
{
	verify_job *j;

	while ((j = verify_take(n->verify))) {
		take_verified(n, j, node_peer(n, j->from, false));
		if (n->n_pending >= NODE_BATCH) {
			sm_err ce = {0};
			node_commit(n, &ce);
		}
	}
}

/* Rebuild the scope table from the store (start-up, and after a failed
 * commit threw away a batch the table already knew). */
static int each_load(void *ctx, const store_meta *meta, const uint8_t *obj, size_t len)
{
	node_t *n = ctx;
	sm_msg m;
	sm_err err = {0};

	/* objects in the store were verified on arrival; a signature check
	 * of each at every start would cost minutes on a large store, and
	 * `sigmesh fsck` re-verifies on demand. Everything else is still
	 * checked (bounds, canonical form, shape). */
	if (msg_decode_trusted(obj, len, &m, &err) < 0) {
		log_error("store: object at arrival %llu does not decode (%s); run sigmesh fsck",
		    (unsigned long long)meta->arrival, err.msg);
		return 0;
	}
	if (!scope_add(n->scope, &m, meta->arrival))
		return -1;
	if (meta->arrival > n->arrived_last)
		n->arrived_last = meta->arrival;
	if (same(m.u.h.originator, node_me(n)) && meta->seq > n->seq)
		n->seq = meta->seq;
	return 0;
}

static int reload_scope(node_t *n, sm_err *err)
{
	/* backlogs point into the table being rebuilt */
	for (size_t i = 0; i < n->n_peers; i++) {
		struct peer *p = n->peers[i];
		p->n_backlog = p->backlog_pos = 0;
		gossip_recon_forget_pushed(p);
	}
	scope_reset(n->scope);
	return store_each_arrival(n->store, 0, each_load, n, err);
}

static void pending_wipe(struct pending *pd)
{
	if (pd->plain) {
		sodium_memzero(pd->plain, pd->plain_len);
		free(pd->plain);
	}
	pd->plain = NULL;
}

/* Durable commit of the open batch, then the work that waited for it. */
int node_commit(node_t *n, sm_err *err)
{
	if (!n->in_batch)
		return 0;
	n->in_batch = false;
	if (store_set_meta(n->store, "own_seq", &n->seq, sizeof(n->seq), err) < 0 ||
	    store_commit(n->store, err) < 0) {
		log_error("store: commit failed, %zu objects not stored: %s", n->n_pending,
		    err ? err->msg : "");
		store_abort(n->store);
		for (size_t i = 0; i < n->n_pending; i++) {
			free(n->pending[i].obj);
			pending_wipe(&n->pending[i]);
		}
		n->n_pending = 0;
		sm_err e2 = {0};
		if (reload_scope(n, &e2) < 0)
			log_error("store: reload after failed commit: %s", e2.msg);
		return -1;
	}
	for (size_t i = 0; i < n->n_pending; i++) {
		struct pending *pd = &n->pending[i];
		struct peer *from = pd->has_from ? node_peer(n, pd->from, false) : NULL;
		if (pd->obj) {
			if (!pd->forwarded)
				forward(n, pd->e, pd->obj, pd->len, from);
			n->hint_id = pd->e->msg.id;
			n->hint_plain = pd->plain;
			n->hint_plain_len = pd->plain_len;
			feed_publish(n, pd->e);
			n->hint_id = n->hint_plain = NULL;
		}
		free(pd->obj);
		pending_wipe(pd);
	}
	n->n_pending = 0;
	flush_all(n, false);
	if (n->unpark_due) {
		n->unpark_due = false;
		if (n->n_parked)
			unpark(n);
	}
	return 0;
}

/* ---- originating ------------------------------------------------------ */

static int originate(node_t *n, uint8_t *obj, size_t len, uint8_t id[SM_ID_LEN], sm_err *err)
{
	int rc = -1;

	if (!obj)
		return -1;
	msg_object_id(obj, len, id);
	if (node_ingest(n, obj, len, NULL, err) < 0)
		goto out;
	if (node_commit(n, err) < 0)
		goto out;
	n->c.originated++;
	rc = 0;
out:
	free(obj);
	return rc;
}

static void head_init(node_t *n, sm_head *h, uint8_t type)
{
	h->type = type;
	memcpy(h->originator, node_me(n), SM_ID_LEN);
	h->seq = ++n->seq;
	h->created_ms = now_ms();
}

int node_submit(node_t *n, uint8_t tlp, const sm_audience *aud, const body_t *body,
    const uint8_t *supersedes, uint8_t id[SM_ID_LEN], sm_err *err)
{
	sm_report r;
	sm_recipient *rcpt = NULL;
	uint32_t n_rcpt = 0;
	uint8_t *enc = NULL, *obj = NULL, key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
	size_t enc_len, len;
	int rc = -1;
	const char *why = NULL;

	memset(&r, 0, sizeof(r));
	if (!(enc = body_encode(body, &enc_len, err)))
		return -1;
	if (msg_audience_copy(&r.aud, aud, err) < 0 || msg_audience_normalize(&r.aud, err) < 0)
		goto out;
	if (federation_refs(n->fed, &r.aud, &r.rosters, &r.n_rosters, err) < 0)
		goto out;
	if (!tlp_audience_ok(tlp, &r.aud, r.rosters, r.n_rosters, &why)) {
		sm_fail(err, SM_ESCOPE, "%s: %s", tlp_name(tlp), why ? why : "audience not allowed");
		goto out;
	}
	r.tlp = tlp;
	if (supersedes) {
		r.has_supersedes = true;
		memcpy(r.supersedes, supersedes, SM_ID_LEN);
	}
	/* CLEAR and GREEN go to the whole federation and may be shared within
	 * it anyway: signed, not encrypted. The rest is sealed to exactly the
	 * audience, this organization included. */
	bool encrypt = tlp >= SM_TLP_AMBER;
	if (encrypt) {
		if (federation_resolve(n->fed, &r.aud, r.rosters, r.n_rosters, &rcpt, &n_rcpt, err) < 0)
			goto out;
		bool have_me = false;
		for (uint32_t i = 0; i < n_rcpt; i++)
			have_me |= same(rcpt[i].org, node_me(n));
		if (!have_me) {
			sm_recipient *x = realloc(rcpt, (n_rcpt + 1) * sizeof(*x));
			if (!x) {
				sm_fail(err, SM_ENOMEM, "out of memory");
				goto out;
			}
			rcpt = x;
			memcpy(rcpt[n_rcpt].org, node_me(n), SM_ID_LEN);
			memcpy(rcpt[n_rcpt].box_pk, identity_public(n->id)->box_pk, crypto_box_PUBLICKEYBYTES);
			n_rcpt++;
		}
	}
	head_init(n, &r.h, SM_MSG_REPORT);
	obj = msg_report_build(&r, enc, enc_len, encrypt, rcpt, n_rcpt, identity_sign_sk(n->id),
	    key, &len, err);
	sodium_memzero(key, sizeof(key));
	if (!obj) {
		n->seq--;
		goto out;
	}
	rc = originate(n, obj, len, id, err);
out:
	free(enc);
	free(rcpt);
	msg_audience_clear(&r.aud);
	free(r.rosters);
	return rc;
}

int node_sight(node_t *n, const uint8_t report[SM_ID_LEN], uint8_t kind,
    bool originator_only, uint64_t count, const char *note, uint8_t id[SM_ID_LEN], sm_err *err)
{
	sm_sighting s;
	uint8_t *obj;
	size_t len;
	scope_entry *r = scope_get(n->scope, report);

	if (!r || r->msg.type != SM_MSG_REPORT)
		return sm_fail(err, SM_ENOTFOUND, "no report with that id here");
	memset(&s, 0, sizeof(s));
	head_init(n, &s.h, SM_MSG_SIGHTING);
	memcpy(s.report, report, SM_ID_LEN);
	s.kind = kind;
	s.originator_only = originator_only;
	s.count = count ? count : 1;
	s.note = (char *)note;
	obj = msg_sighting_build(&s, identity_sign_sk(n->id), &len, err);
	if (!obj)
		n->seq--;
	return originate(n, obj, len, id, err);
}

int node_retract(node_t *n, const uint8_t report[SM_ID_LEN], const char *reason,
    uint8_t id[SM_ID_LEN], sm_err *err)
{
	sm_retraction rt;
	uint8_t *obj;
	size_t len;
	scope_entry *r = scope_get(n->scope, report);

	if (!r || r->msg.type != SM_MSG_REPORT)
		return sm_fail(err, SM_ENOTFOUND, "no report with that id here");
	if (!same(r->msg.u.h.originator, node_me(n)))
		return sm_fail(err, SM_EPERM, "only the report's originator may retract it");
	memset(&rt, 0, sizeof(rt));
	head_init(n, &rt.h, SM_MSG_RETRACTION);
	memcpy(rt.report, report, SM_ID_LEN);
	rt.reason = (char *)reason;
	obj = msg_retraction_build(&rt, identity_sign_sk(n->id), &len, err);
	if (!obj)
		n->seq--;
	return originate(n, obj, len, id, err);
}

int node_release(node_t *n, const uint8_t report[SM_ID_LEN], const sm_audience *add,
    uint8_t id[SM_ID_LEN], sm_err *err)
{
	sm_release rl;
	sm_recipient *rcpt = NULL;
	uint32_t n_rcpt = 0;
	uint8_t *obj = NULL, *stored = NULL;
	uint8_t *key = NULL;
	size_t len, slen;
	sm_msg m;
	int rc = -1;
	const char *why = NULL;
	scope_entry *r = scope_get(n->scope, report);

	memset(&rl, 0, sizeof(rl));
	memset(&m, 0, sizeof(m));
	if (!r || r->msg.type != SM_MSG_REPORT)
		return sm_fail(err, SM_ENOTFOUND, "no report with that id here");
	if (!same(r->msg.u.h.originator, node_me(n)))
		return sm_fail(err, SM_EPERM, "only the report's originator may release it further");
	if (!tlp_release_ok(r->msg.u.report.tlp, add, &why))
		return sm_fail(err, SM_ESCOPE, "release: %s", why ? why : "not allowed for this label");
	if (msg_audience_copy(&rl.add, add, err) < 0 || msg_audience_normalize(&rl.add, err) < 0)
		goto out;
	if (federation_refs(n->fed, &rl.add, &rl.rosters, &rl.n_rosters, err) < 0)
		goto out;
	{	/* the stored report: its scope entry keeps no key slots */
		if (!(stored = store_get(n->store, report, NULL, &slen, err)))
			goto out;
		if (msg_decode(stored, slen, 0, &m, err) < 0)
			goto out;
	}
	if (m.u.report.encrypted) {
		if (!(key = sodium_malloc(crypto_aead_xchacha20poly1305_ietf_KEYBYTES))) {
			sm_fail(err, SM_ENOMEM, "out of memory");
			goto out;
		}
		if (msg_report_content_key(&m.u.report, node_me(n), identity_public(n->id)->box_pk,
		    identity_box_sk(n->id), key, err) < 0)
			goto out;
		if (federation_resolve(n->fed, &rl.add, rl.rosters, rl.n_rosters, &rcpt, &n_rcpt, err) < 0)
			goto out;
	}
	head_init(n, &rl.h, SM_MSG_RELEASE);
	memcpy(rl.report, report, SM_ID_LEN);
	obj = msg_release_build(&rl, key, rcpt, n_rcpt, identity_sign_sk(n->id), &len, err);
	if (!obj) {
		n->seq--;
		goto out;
	}
	rc = originate(n, obj, len, id, err);
out:
	if (key)
		sodium_free(key);
	msg_clear(&m);
	free(stored);
	free(rcpt);
	msg_audience_clear(&rl.add);
	free(rl.rosters);
	return rc;
}

/* ---- reading ---------------------------------------------------------- */

int node_releases(node_t *n, const sm_report *rep, const uint8_t id[SM_ID_LEN],
    sm_msg **out, size_t *n_out)
{
	scope_entry *r = scope_get(n->scope, id);
	sm_msg *rel;
	size_t k = 0;

	(void)rep;
	*out = NULL;
	*n_out = 0;
	if (!r || !r->n_rel)
		return 0;
	if (!(rel = calloc(r->n_rel, sizeof(*rel))))
		return -1;
	for (size_t i = 0; i < r->n_rel; i++) {
		size_t len;
		uint8_t *obj = store_get(n->store, r->rel[i]->msg.id, NULL, &len, NULL);
		if (obj && msg_decode_trusted(obj, len, &rel[k], NULL) == 0)
			k++;
		free(obj);
	}
	*out = rel;
	*n_out = k;
	return 0;
}

void node_free_releases(sm_msg *rel, size_t n_rel)
{
	for (size_t i = 0; i < n_rel; i++)
		msg_clear(&rel[i]);
	free(rel);
}

int node_open_report(node_t *n, const uint8_t id[SM_ID_LEN], sm_msg *msg,
    body_t *body, bool *readable, sm_err *err)
{
	uint8_t *obj, *plain;
	size_t len, plen;
	sm_msg *rel = NULL;
	size_t n_rel = 0;
	const sm_release *rp[64];

	*readable = false;
	memset(body, 0, sizeof(*body));
	if (!(obj = store_get(n->store, id, NULL, &len, err)))
		return -1;
	/* read back from this node's own store: verified when it arrived
	 * (sigmesh fsck re-verifies) */
	if (msg_decode_trusted(obj, len, msg, err) < 0) {
		free(obj);
		return -1;
	}
	free(obj);
	if (msg->type != SM_MSG_REPORT)
		return 0;
	if (n->hint_id && n->hint_plain && !memcmp(n->hint_id, id, SM_ID_LEN)) {
		/* opened by ingest a moment ago */
		if (body_decode(n->hint_plain, n->hint_plain_len, body, err) == 0)
			*readable = true;
		return 0;
	}
	node_releases(n, &msg->u.report, id, &rel, &n_rel);
	for (size_t i = 0; i < n_rel && i < 64; i++)
		rp[i] = &rel[i].u.release;
	plain = msg_report_open(&msg->u.report, id, rp, n_rel < 64 ? n_rel : 64, node_me(n),
	    identity_public(n->id)->box_pk, identity_box_sk(n->id), &plen, NULL);
	node_free_releases(rel, n_rel);
	if (!plain)
		return 0;
	if (body_decode(plain, plen, body, err) == 0)
		*readable = true;
	sodium_memzero(plain, plen);
	free(plain);
	return 0;
}

size_t node_peers(node_t *n, node_peer_info *out, size_t cap)
{
	size_t k = 0;

	for (size_t i = 0; i < n->n_peers && k < cap; i++) {
		struct peer *p = n->peers[i];
		const roster_member *m = federation_member(n->fed, p->org);
		node_peer_info *o = &out[k++];
		memset(o, 0, sizeof(*o));
		memcpy(o->org, p->org, SM_ID_LEN);
		node_org_name(n, p->org, o->name, sizeof(o->name));
		if (m)
			snprintf(o->endpoint, sizeof(o->endpoint), "%s", m->endpoint);
		o->neighbor = p->neighbor;
		o->tree = tree_edge(n, UINT32_MAX, p);
		o->link = p->cross_primary;
		o->seed = p->seed;
		o->root = p->root;
		o->dialled = transport_dialled(n->tp, p->org);
		o->linked = transport_linked(n->tp, p->org);
		o->last_seen_ms = p->last_seen_ms;
		o->objects_in = p->objects_in;
		o->duplicates_in = p->duplicates_in;
		o->rejected = p->rejected;
		o->objects_out = p->objects_out;
		o->frames_out = p->frames_out;
		o->strikes = p->strikes;
		o->banned = transport_banned(n->tp, p->org);
	}
	return k;
}

static int parse_id32(const char *s, uint8_t out[SM_ID_LEN])
{
	size_t bin_len;

	if (strlen(s) == 2 * SM_ID_LEN &&
	    sodium_hex2bin(out, SM_ID_LEN, s, 2 * SM_ID_LEN, NULL, &bin_len, NULL) == 0 &&
	    bin_len == SM_ID_LEN)
		return 0;
	return identity_from_b64(s, out);
}

int node_find_sig(node_t *n, const char *s, uint8_t sig[SM_ID_LEN])
{
	roster_t *r = federation_find_name(n->fed, s);

	if (r) {
		memcpy(sig, roster_sig_id(r), SM_ID_LEN);
		return 0;
	}
	if (parse_id32(s, sig) == 0 && federation_find(n->fed, sig))
		return 0;
	return -1;
}

int node_find_org(node_t *n, const char *s, uint8_t org[SM_ID_LEN])
{
	for (size_t i = 0; i < federation_count(n->fed); i++) {
		uint32_t cnt;
		const roster_member *m = roster_members(federation_at(n->fed, i), 0, &cnt);
		for (uint32_t j = 0; j < cnt; j++)
			if (!strcmp(m[j].id.name, s)) {
				memcpy(org, m[j].id.org, SM_ID_LEN);
				return 0;
			}
	}
	if (parse_id32(s, org) == 0)
		return 0;
	return -1;
}

/* ---- frames from peers ------------------------------------------------ */

static void strike(node_t *n, struct peer *p, const char *what, const sm_err *err)
{
	char name[ID_MAX_NAME];

	p->rejected++;
	n->c.rejected++;
	node_org_name(n, p->org, name, sizeof(name));
	log_warn("peer %s: rejected %s: %s: %s", name, what, sm_strerror(err->code), err->msg);
	if (++p->strikes >= STRIKES_TO_BAN) {
		log_warn("peer %s: %llu invalid messages, refusing it for %d s", name,
		    (unsigned long long)p->strikes, BAN_MS / 1000);
		transport_ban(n->tp, p->org, BAN_MS);
		p->strikes = 0;
	}
}

static void send_hello(node_t *n, struct peer *p)
{
	sm_roster_ref heads[WIRE_MAX_HEADS];
	uint32_t k = 0;
	size_t flen = 0;

	for (size_t i = 0; i < federation_count(n->fed) && k < WIRE_MAX_HEADS; i++) {
		roster_t *r = federation_at(n->fed, i);
		memcpy(heads[k].sig, roster_sig_id(r), SM_ID_LEN);
		heads[k++].version = roster_version(r);
	}
	node_send(n, p, wire_hello(heads, k, n->c.started_ms, &flen), &flen);
	p->last_hello_ms = now_ms();
}

static void send_roster_entries(node_t *n, struct peer *p, roster_t *r, uint64_t from)
{
	const uint8_t *ent[WIRE_MAX_ENTRIES];
	size_t lens[WIRE_MAX_ENTRIES], flen = 0;
	uint32_t k = 0;

	for (uint64_t i = from; i < roster_version(r) && k < WIRE_MAX_ENTRIES; i++, k++)
		ent[k] = roster_entry(r, i, &lens[k]);
	if (k)
		node_send(n, p, wire_roster(roster_sig_id(r), from, ent, lens, k, &flen), &flen);
}

/* Roster entries from a peer: each is verified against our chain (quorum
 * of current members); accepted ones are saved, and the transport stops
 * talking to anyone no longer a member. */
/* ---- late readers ----------------------------------------------------- */

struct own_reports {
	node_t *n;
	const uint8_t *sig;
	uint8_t (*ids)[SM_ID_LEN];
	size_t k, cap;
};

static void collect_own(void *ctx, scope_entry *e)
{
	struct own_reports *c = ctx;
	bool in = false;

	if (e->msg.type != SM_MSG_REPORT || !same(e->msg.u.h.originator, node_me(c->n)) ||
	    e->msg.u.report.tlp == SM_TLP_RED || e->msg.u.report.aud.federation)
		return;
	in = msg_audience_has_sig(&e->msg.u.report.aud, c->sig);
	for (size_t i = 0; i < e->n_rel && !in; i++)
		in = msg_audience_has_sig(&e->rel[i]->msg.u.release.add, c->sig);
	if (!in)
		return;
	if (c->k == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 32;
		void *x = realloc(c->ids, cap * SM_ID_LEN);
		if (!x)
			return;
		c->ids = x;
		c->cap = cap;
	}
	memcpy(c->ids[c->k++], e->msg.id, SM_ID_LEN);
}

/*
 * A SIG whose genesis lets later members read earlier reports
 * (late_readers): when members join, this node releases each of its own
 * reports for that SIG to them. Only an originator can widen its report's
 * audience, so every originator does this for its own reports; reports are
 * never re-sealed by anyone else. Without late_readers (the default) a new
 * member reads only what is created after it joined, or released to it.
 */
static void release_to_late_members(node_t *n, roster_t *r, uint64_t old_version)
{
	struct own_reports c = { n, roster_sig_id(r), NULL, 0, 0 };
	sm_audience add;
	uint32_t cnt;
	const roster_member *m;

	if (!roster_late_readers(r) || old_version == 0 || old_version >= roster_version(r))
		return;
	memset(&add, 0, sizeof(add));
	m = roster_members(r, 0, &cnt);
	if (!(add.orgs = calloc(cnt ? cnt : 1, SM_ID_LEN)))
		return;
	for (uint32_t i = 0; i < cnt; i++)
		if (!roster_is_member(r, old_version, m[i].id.org) && !same(m[i].id.org, node_me(n)))
			memcpy(add.orgs[add.n_orgs++], m[i].id.org, SM_ID_LEN);
	if (add.n_orgs) {
		scope_each(n->scope, collect_own, &c);
		for (size_t i = 0; i < c.k; i++) {
			uint8_t rid[SM_ID_LEN];
			sm_err err = {0};
			if (node_release(n, c.ids[i], &add, rid, &err) < 0)
				log_warn("roster %s: cannot release an earlier report to its new members: %s",
				    roster_name(r), err.msg);
		}
		if (c.k)
			log_info("roster %s: released %zu earlier reports to %u new member(s)",
			    roster_name(r), c.k, add.n_orgs);
	}
	free(c.ids);
	msg_audience_clear(&add);
}

/* Remember each roster's version in the store, and act on growth seen at
 * start (the operator appended entries to the roster file) as on growth
 * learnt from peers. */
static void roster_seen(node_t *n, roster_t *r, bool act)
{
	char name[16 + 2 * SM_ID_LEN + 1];
	uint64_t old = 0, now = roster_version(r);
	size_t len = 0;
	sm_err err = {0};

	memcpy(name, "roster_version:", 16);
	sodium_bin2hex(name + 15, 2 * SM_ID_LEN + 1, roster_sig_id(r), SM_ID_LEN);
	if (store_get_meta(n->store, name, &old, sizeof(old), &len, NULL) < 0 || len != sizeof(old))
		old = 0;
	if (old == now)
		return;
	if (act && old)
		release_to_late_members(n, r, old);
	if (!n->in_batch && store_begin(n->store, &err) == 0) {
		if (store_set_meta(n->store, name, &now, sizeof(now), &err) < 0 ||
		    store_commit(n->store, &err) < 0) {
			store_abort(n->store);
			log_warn("roster %s: cannot record its version: %s", roster_name(r), err.msg);
		}
	}
}

static void on_roster(node_t *n, struct peer *p, const wire_frame *f)
{
	roster_t *r = federation_find(n->fed, f->sig);
	bool changed = false;
	sm_err err = {0};

	if (!r)
		return;		/* a SIG this node was not given: ignore */
	if (f->n_entries == 0) {
		send_roster_entries(n, p, r, f->from);
		return;
	}
	for (uint32_t i = 0; i < f->n_entries; i++) {
		uint64_t idx = f->from + i;
		if (idx < roster_version(r))
			continue;
		if (idx > roster_version(r))
			break;
		if (roster_append(r, f->entries[i], f->entry_lens[i], &err) < 0) {
			strike(n, p, "roster entry", &err);
			break;
		}
		changed = true;
	}
	if (changed) {
		char path[CONFIG_MAX_PATH + 64];
		snprintf(path, sizeof(path), "%s/%s.roster", n->cfg.rosters, roster_name(r));
		if (roster_save(r, path, &err) < 0)
			log_error("roster %s: cannot save: %s", roster_name(r), err.msg);
		log_info("roster %s: now at version %llu", roster_name(r),
		    (unsigned long long)roster_version(r));
		transport_prune(n->tp);
		node_choose_neighbours(n);
		dial_seeds(n);
		/* tell the neighbours at once: their HELLO answers carry
		 * their heads, so the change spreads a hop per round trip */
		for (size_t i = 0; i < n->n_peers; i++)
			if (n->peers[i]->neighbor && n->peers[i] != p)
				send_hello(n, n->peers[i]);
		sm_err ce = {0};
		if (n->in_batch)
			node_commit(n, &ce);
		roster_seen(n, r, true);
	}
}

static void on_hello(node_t *n, struct peer *p, const wire_frame *f)
{
	/* a new start time: the peer restarted, however short the gap */
	bool restarted = f->started_ms && p->peer_started_ms && f->started_ms != p->peer_started_ms;
	if (f->started_ms)
		p->peer_started_ms = f->started_ms;
	if (restarted) {
		p->present_seq = n->arrived_last;
		p->prev_seen_ms = 0;	/* gossip_recon_on_greeting: it came back */
		p->last_hello_ms = 0;	/* and greet it back at once */
		gossip_recon_forget_pushed(p);
	}
	for (uint32_t i = 0; i < f->n_heads; i++) {
		roster_t *r = federation_find(n->fed, f->heads[i].sig);
		size_t flen = 0;
		if (!r)
			continue;
		if (f->heads[i].version > roster_version(r))
			node_send(n, p, wire_roster(roster_sig_id(r), roster_version(r), NULL, NULL, 0, &flen), &flen);
		else if (f->heads[i].version < roster_version(r))
			send_roster_entries(n, p, r, f->heads[i].version);
	}
	p->greeted_ms = now_ms();
	if (!p->neighbor && federation_share_sig(n->fed, node_me(n), p->org))
		p->neighbor = true;
	/* answer a greeting we have not answered lately: the peer (re)started */
	if (now_ms() - p->last_hello_ms > HELLO_ANSWER_MS)
		send_hello(n, p);
	gossip_recon_on_greeting(n, p);
}

/* The missing ids are looked up by hash, not by scanning: a peer may
 * announce thousands of ids per frame. */
static size_t missing_slot(node_t *n, const uint8_t id[SM_ID_LEN], bool *found)
{
	uint32_t h;

	memcpy(&h, id, sizeof(h));
	for (size_t i = h & (MISSING_SLOTS - 1);; i = (i + 1) & (MISSING_SLOTS - 1)) {
		uint32_t v = n->missing_slots[i];
		if (!v || same(n->missing[v - 1].id, id)) {
			*found = v != 0;
			return i;
		}
	}
}

static void missing_reindex(node_t *n)
{
	bool found;

	memset(n->missing_slots, 0, MISSING_SLOTS * sizeof(*n->missing_slots));
	for (size_t k = 0; k < n->n_missing; k++)
		n->missing_slots[missing_slot(n, n->missing[k].id, &found)] = (uint32_t)k + 1;
}

static void on_ids(node_t *n, struct peer *p, const wire_frame *f)
{
	const sm_members mem = federation_members(n->fed);
	uint64_t now = now_ms();

	/* announcing costs in proportion to what is announced */
	p->tokens -= (double)f->n_ids / IDS_PER_TOKEN;
	if (!n->missing_slots && !(n->missing_slots = calloc(MISSING_SLOTS, sizeof(*n->missing_slots))))
		return;
	for (uint32_t i = 0; i < f->n_ids; i++) {
		scope_entry *e = scope_get(n->scope, f->ids[i]);
		if (f->kind == WIRE_IHAVE) {
			bool tracked;
			if (e || n->n_missing >= MAX_MISSING)
				continue;
			size_t slot = missing_slot(n, f->ids[i], &tracked);
			if (tracked)
				continue;
			if (n->n_missing == n->cap_missing) {
				size_t c = n->cap_missing ? 2 * n->cap_missing : 64;
				struct missing *m = realloc(n->missing, c * sizeof(*m));
				if (!m)
					return;
				n->missing = m;
				n->cap_missing = c;
			}
			n->missing_slots[slot] = (uint32_t)n->n_missing + 1;
			struct missing *m = &n->missing[n->n_missing++];
			memcpy(m->id, f->ids[i], SM_ID_LEN);
			memcpy(m->from, p->org, SM_ID_LEN);
			m->seen = now;
			m->deadline = now + n->graft_wait_ms;
		} else {	/* WANT: send what they may have */
			uint8_t *obj;
			size_t len;
			if (!e || !scope_may_forward(n->scope, e, node_me(n), p->org, &mem))
				continue;	/* never confirm ids a peer may not hold */
			if (!(obj = store_get(n->store, e->msg.id, NULL, &len, NULL)))
				continue;
			queue_obj(p, e, obj, len);
			n->c.sent_want++;
			free(obj);
		}
	}
	if (p->n_out)
		flush_objects(n, p);
}

/* Missing ids announced lazily and still not here: graft them. */
static void graft_missing(node_t *n)
{
	uint64_t now = now_ms();
	size_t k = 0;

	for (size_t i = 0; i < n->n_missing; i++) {
		struct missing *m = &n->missing[i];
		if (scope_get(n->scope, m->id))
			continue;	/* arrived: forget it */
		if (m->deadline > now) {
			n->missing[k++] = *m;
			continue;
		}
		struct peer *p = node_peer(n, m->from, false);
		if (p) {
			size_t flen = 0;
			node_send(n, p, wire_ids(WIRE_WANT, &m->id, 1, false, &flen), &flen);
			memcpy(n->grafted[n->grafted_pos % 64].id, m->id, SM_ID_LEN);
			n->grafted[n->grafted_pos++ % 64].seen = m->seen;
			/* the peer puts us back on its tree for the object's
			 * scope (on_ids); our own links to it stay as they
			 * are: turning every scope eager again here brought
			 * back the duplicates the prunes had removed */
		}
	}
	n->n_missing = k;
	if (n->missing_slots)
		missing_reindex(n);
}

static bool rate_ok(struct peer *p)
{
	uint64_t now = now_ms();

	p->tokens += (now - p->tok_ms) * (RATE_FRAMES_PER_S / 1000.0);
	if (p->tokens > RATE_BURST)
		p->tokens = RATE_BURST;
	p->tok_ms = now;
	if (p->tokens < 1.0)
		return false;
	p->tokens -= 1.0;
	return true;
}

static void on_frame(node_t *n, const uint8_t org[SM_ID_LEN], const uint8_t *buf, size_t len)
{
	struct peer *p = node_peer(n, org, true);
	wire_frame *f = n->frame;
	sm_err err = {0};

	if (!p)
		return;
	p->prev_seen_ms = p->last_seen_ms;
	p->last_seen_ms = now_ms();
	gossip_recon_heard(n, p);
	n->c.bytes_received += len;
	if (!rate_ok(p)) {
		p->rate_dropped++;
		return;
	}
	if (p->last_seen_ms - p->heard_ms >= HEARD_CHECK_MS) {
		p->heard_ms = p->last_seen_ms;
		if (transport_heard(n->tp, p->org))
			gossip_recon_offer_lost(p);	/* its queue went with the old DEALER */
	}
	if (wire_decode(buf, len, f, &err) < 0) {
		strike(n, p, "frame", &err);
		return;
	}
	switch (f->kind) {
	case WIRE_HELLO:
		on_hello(n, p, f);
		break;
	case WIRE_OBJECTS: {
		/* duplicates are dropped here, before any signature check;
		 * the rest goes to the workers and comes back, in order, to
		 * drain_verified. A small frame while the workers are idle (a
		 * relay's everyday case) is verified here instead: the round
		 * trip through a worker costs two thread wake-ups per hop,
		 * most of a hop's latency on a busy machine. Order holds:
		 * nothing is in flight. */
		bool here = f->n_objs <= INLINE_OBJS && verify_inflight(n->verify) == 0;
		for (uint32_t i = 0; i < f->n_objs; i++) {
			uint8_t id[SM_ID_LEN];
			verify_job *j;
			msg_object_id(f->objs[i], f->obj_lens[i], id);
			if (ingest_dup(n, id, f->objs[i], f->obj_lens[i], p))
				continue;
			if (!(j = verify_job_new(f->objs[i], f->obj_lens[i], p->org, now_ms()))) {
				log_error("ingest: out of memory");
				break;
			}
			if (!here) {
				verify_submit(n->verify, j);
				continue;
			}
			verify_run(j, node_me(n), identity_public(n->id)->box_pk, identity_box_sk(n->id));
			take_verified(n, j, p);
		}
		break;
	}
	case WIRE_IHAVE:
	case WIRE_WANT:
		on_ids(n, p, f);
		break;
	case WIRE_PRUNE:
		break;		/* the trees are fixed by the rosters (tree_entry) */
	case WIRE_ROSTER:
		on_roster(n, p, f);
		break;
	case WIRE_RECON:
		gossip_recon_on_frame(n, p, f);
		break;
	}
}

/* ---- set-up and the loop ---------------------------------------------- */

static int read_passphrase(const char *path, char **out, sm_err *err)
{
	FILE *f;
	char *buf;
	size_t n;

	*out = NULL;
	if (!path[0])
		return 0;
	if (!(f = fopen(path, "r")))
		return sm_fail(err, SM_EIO, "passphrase file %s: cannot open", path);
	buf = sodium_malloc(1024);
	if (!buf) {
		fclose(f);
		return sm_fail(err, SM_ENOMEM, "out of memory");
	}
	n = fread(buf, 1, 1023, f);
	fclose(f);
	buf[n] = '\0';
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	*out = buf;
	return 0;
}

node_t *node_new(const config *cfg, sm_err *err)
{
	node_t *n = calloc(1, sizeof(*n));
	char *pass = NULL;
	size_t len;

	if (!n) {
		sm_fail(err, SM_ENOMEM, "out of memory");
		return NULL;
	}
	n->cfg = *cfg;
	n->c.started_ms = now_ms();
	n->graft_wait_ms = GRAFT_WAIT_MS;
	if (!(n->frame = malloc(sizeof(*n->frame)))) {
		sm_fail(err, SM_ENOMEM, "out of memory");
		goto fail;
	}
	if (mkdir(cfg->data_dir, 0700) < 0 && errno != EEXIST) {
		sm_fail(err, SM_EIO, "data_dir %s: %s", cfg->data_dir, strerror(errno));
		goto fail;
	}
	chmod(cfg->data_dir, 0700);
	if (read_passphrase(cfg->passphrase_file, &pass, err) < 0)
		goto fail;
	n->id = identity_load(cfg->key_file, pass, err);
	if (pass)
		sodium_free(pass);
	if (!n->id)
		goto fail;
	if (!(n->fed = federation_new()) || federation_load_dir(n->fed, cfg->rosters, err) < 0)
		goto fail;
	if (!federation_is_member(n->fed, node_me(n)))
		log_warn("this organization is not a member of any SIG in %s", cfg->rosters);
	if (!(n->store = store_open(cfg->data_dir, (size_t)cfg->map_size_mb << 20, err)))
		goto fail;
	if (store_get_meta(n->store, "own_seq", &n->seq, sizeof(n->seq), &len, NULL) < 0 ||
	    len != sizeof(n->seq))
		n->seq = 0;
	if (!(n->scope = scope_new())) {
		sm_fail(err, SM_ENOMEM, "out of memory");
		goto fail;
	}
	if (reload_scope(n, err) < 0)
		goto fail;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	/* The node's thread keeps LMDB and ZeroMQ; one worker per core does
	 * the crypto. The node's share per object is about half a worker's,
	 * so a worker per core (not per spare core) keeps every core busy:
	 * on 2 cores, 1 worker ingested ~4,500 reports/s, 2 workers ~7,000
	 * (bench_ingest 20000). */
	if (!(n->verify = verify_new(cpus > 1 ? (size_t)cpus : 1, node_me(n),
	    identity_public(n->id)->box_pk, identity_box_sk(n->id), err)))
		goto fail;
	if (!(n->zctx = zmq_ctx_new())) {
		sm_fail(err, SM_EIO, "zmq context");
		goto fail;
	}
	zmq_ctx_set(n->zctx, ZMQ_MAX_SOCKETS, 8192);
	if (!(n->tp = transport_new(n->zctx, n->id, n->fed, cfg->listen, err)))
		goto fail;
	/* [peer] sections: where to dial a member instead of its roster
	 * endpoint. A name no roster knows is a typo, not something to skip. */
	for (size_t i = 0; i < cfg->n_peers; i++) {
		uint8_t org[SM_ID_LEN];
		if (node_find_org(n, cfg->peers[i].org, org) < 0 || !federation_is_member(n->fed, org)) {
			sm_fail(err, SM_ENOTFOUND, "config: [peer] org = %s: no member of any roster has that name or id",
			    cfg->peers[i].org);
			goto fail;
		}
		if (transport_set_endpoint(n->tp, org, cfg->peers[i].endpoint, err) < 0)
			goto fail;
		log_info("peer %s: dialled at %s (configuration), not its roster endpoint",
		    cfg->peers[i].org, cfg->peers[i].endpoint);
	}
	if (control_open(n, err) < 0 || feed_open(n, err) < 0)
		goto fail;
	node_choose_neighbours(n);
	scope_each(n->scope, owe_named, n);
	for (size_t i = 0; i < federation_count(n->fed); i++)
		roster_seen(n, federation_at(n->fed, i), true);
	log_info("node %s up: %zu objects, %zu SIGs, listening on %s",
	    identity_public(n->id)->name, scope_count(n->scope), federation_count(n->fed), cfg->listen);
	return n;
fail:
	node_destroy(&n);
	return NULL;
}

void node_destroy(node_t **np)
{
	node_t *n = np ? *np : NULL;

	if (!n)
		return;
	/* objects still with the workers were never acknowledged: drop them */
	verify_destroy(&n->verify);
	if (n->in_batch) {
		sm_err e = {0};
		node_commit(n, &e);
	}
	for (size_t i = 0; i < n->n_peers; i++)
		peer_free(n->peers[i]);
	free(n->peers);
	free(n->pending);
	free(n->missing);
	free(n->missing_slots);
	trees_free(n);
	for (size_t i = 0; i < n->n_parked; i++)
		free(n->parked[i].obj);
	free(n->parked);
	control_close(n);
	feed_close(n);
	transport_destroy(&n->tp);
	if (n->zctx)
		zmq_ctx_term(n->zctx);
	scope_destroy(&n->scope);
	store_destroy(&n->store);
	federation_destroy(&n->fed);
	identity_destroy(&n->id);
	free(n->frame);
	free(n);
	*np = NULL;
}

/* A DEALER to a non-neighbour (a direct send) is closed after this long
 * unused: each open connection costs about 50 kB of ZeroMQ buffers and 2-3
 * descriptors (measured with massif under the soak), and reopening one
 * costs four round trips (TCP, the ZMTP greeting, CurveZMQ): a fraction of
 * a millisecond on loopback, 200 ms over 25 ms links. */
#define DEALER_IDLE_MS 20000

/* transport_redial, which drops what was queued for p: a session may
 * push what it was offered again. */
static bool redial(node_t *n, struct peer *p)
{
	if (!transport_redial(n->tp, p->org))
		return false;
	gossip_recon_offer_lost(p);
	return true;
}

/*
 * Peers this node sent objects to directly (owed_ms): once a session that
 * started after the last such send has completed and what it found
 * missing has been pushed, the debt is settled. Until then: reconcile
 * with a peer that answers, greet one that has not (it may be away; a
 * peer answers a greeting, and its answer starts the session). The wait
 * after the send lets the direct push itself land first.
 */
static void settle_owed(node_t *n)
{
	uint64_t now = now_ms(), every = n->cfg.recon_interval_ms;

	for (size_t i = 0; i < n->n_peers; i++) {
		struct peer *p = n->peers[i];
		if (!p->owed_ms)
			continue;
		if (p->synced_ms >= p->owed_ms && !p->n_backlog) {
			p->owed_ms = 0;
			continue;
		}
		if (now - p->owed_ms < OWED_WAIT_MS || (p->rs_init && p->recon_started_ms >= p->owed_ms))
			continue;
		if (p->last_seen_ms > p->owed_ms || now - p->last_seen_ms < OWED_WAIT_MS)
			gossip_recon_maybe_start(n, p, true);
		/* not heard from since: it may be down, with ZeroMQ's next
		 * attempt to reach it up to 10 s away (TP_RECONNECT_MAX_MS),
		 * and it will not greet us (we share no SIG). Dial it again
		 * (transport_redial does it at most every second, and ZeroMQ
		 * tries the new connection 0.1, 0.3 and 0.7 s later), with a
		 * greeting on it: a node back from a day away gets what it
		 * was sent directly within a second of its start, not up to
		 * ten (make bench's catch-up). */
		else if (redial(n, p) || now - p->last_hello_ms >= every)
			send_hello(n, p);
	}
	/* A designated link we picked into another SIG is ours alone: the
	 * peer does not know we push to it, so it does not greet us when it
	 * comes back, and what we sent it meanwhile waits in ZeroMQ's queue
	 * for a reconnect up to 10 s away (a catch-up of 5.1 s in the
	 * jcsip-2014 offline run). Redial it while it is down, with a
	 * greeting: its answer starts our session with it
	 * (gossip_recon_on_greeting), which brings what the redial dropped. */
	for (size_t i = 0; i < n->n_peers; i++) {
		struct peer *p = n->peers[i];
		if (p->cross && !p->cross_primary && !p->owed_ms && now - p->last_seen_ms >= OWED_WAIT_MS &&
		    redial(n, p))
			send_hello(n, p);
	}
}

/* At start: every organization this node's own objects name (and the
 * originator of a report it sent an originator_only sighting of) may have
 * missed them while this node was down, so each is owed one session. */
static void owe_at_start(node_t *n, const uint8_t org[SM_ID_LEN])
{
	struct peer *p;

	if (!same(org, node_me(n)) && (p = node_peer(n, org, true)) && !p->neighbor)
		p->owed_ms = 1;	/* due at once: the push was long ago */
}

static void owe_named(void *ctx, scope_entry *e)
{
	node_t *n = ctx;
	const sm_audience *a;

	if (!same(e->msg.u.h.originator, node_me(n)))
		return;
	if (e->msg.type == SM_MSG_SIGHTING && e->msg.u.sighting.originator_only) {
		/* the report's originator, the sighting's only reader */
		scope_entry *r = scope_report_of(n->scope, e);
		if (r)
			owe_at_start(n, r->msg.u.h.originator);
		return;
	}
	if (e->msg.type == SM_MSG_REPORT)
		a = &e->msg.u.report.aud;
	else if (e->msg.type == SM_MSG_RELEASE)
		a = &e->msg.u.release.add;
	else
		return;
	for (uint32_t i = 0; i < a->n_orgs; i++)
		owe_at_start(n, a->orgs[i]);
}

/* Neighbours, owed peers and seed links keep their connection; one-off
 * direct sends do not. */
static bool keep_dealer(void *ctx, const uint8_t org[SM_ID_LEN])
{
	struct peer *p = node_peer(ctx, org, false);

	/* an owed peer's DEALER holds the greeting queued for it: ZeroMQ
	 * delivers it the moment the peer is back (it retries the connection
	 * every second at most) */
	return p && (p->neighbor || p->owed_ms || p->seed || p->root);
}

/*
 * How often the loop does its housekeeping (greetings due, reconciliation
 * sessions due or gone stale, direct sends to check on, idle DEALERs to
 * close): once a second while any of that is under way with a peer, and
 * otherwise every recon_interval_ms / 6, from 1 s up to 5 s: nothing it
 * does is due sooner then (greetings every 30 s, sessions every
 * recon_interval_ms, DEALERs idle for 20 s). A settled scale-200 testnet
 * with 30 s sessions: the nodes' own threads woke 374 times a second
 * with a round every second, 279 with this, and used 0.09 and 0.05 cores
 * (bench/NOTES.md).
 */
#define HOUSEKEEP_MS 1000
#define HOUSEKEEP_REST_MAX_MS 5000

static uint64_t housekeep_ms(const node_t *n)
{
	uint64_t every = n->cfg.recon_interval_ms / 6;

	if (every <= HOUSEKEEP_MS)
		return HOUSEKEEP_MS;
	for (size_t i = 0; i < n->n_peers; i++) {
		const struct peer *p = n->peers[i];
		if (p->owed_ms || p->rs_init || p->rs_resp || p->n_backlog || p->pushed.n)
			return HOUSEKEEP_MS;
	}
	return every < HOUSEKEEP_REST_MAX_MS ? every : HOUSEKEEP_REST_MAX_MS;
}

/*
 * How long the loop may sleep: until its housekeeping (housekeep_ms), or until the
 * first of what its IHAVE_FLUSH_MS round does comes due: announcements
 * and objects waiting to go out, an announced object's graft, a
 * reconciliation session asked for. Before 2026-11-27 it woke every
 * IHAVE_FLUSH_MS while any of them was pending, though a graft deadline is
 * 40 ms to 1 s away and a session asked for up to 1 s: hundreds of nodes
 * on one machine (a testnet) paid for those wake-ups in latency
 * (jcsip-2018 alternated with the old loop: lower p50 and p99 in each of
 * three pairs, bench/NOTES.md).
 */
static long sleep_ms(node_t *n, uint64_t now, uint64_t last_ihave, uint64_t next_house)
{
	uint64_t round = last_ihave + IHAVE_FLUSH_MS, next = next_house;

	for (size_t i = 0; i < n->n_peers; i++) {
		const struct peer *p = n->peers[i];
		if (p->n_ihave || p->n_out)
			next = round < next ? round : next;
		if (p->recon_due_ms && p->recon_due_ms < next)
			next = p->recon_due_ms > round ? p->recon_due_ms : round;
	}
	/* nothing is sooner than the round: the missing table (up to
	 * MAX_MISSING entries) is not scanned then */
	for (size_t i = 0; i < n->n_missing && next > round; i++)
		if (n->missing[i].deadline < next)
			next = n->missing[i].deadline > round ? n->missing[i].deadline : round;
	return next > now ? (long)(next - now) : 0;
}

int node_run(node_t *n)
{
	/* greetings go out now; the periodic round (hellos, sessions with
	 * neighbours not heard from otherwise) starts HELLO_MS later, so a
	 * session with a peer starts from its greeting */
	uint64_t last_ihave = 0, last_hello = now_ms(), house_every = HOUSEKEEP_MS;
	int s_zap, s_rt, s_ctl, s_ver, rc = 0;
	sm_err werr = {0};
	zwait_t *w = zwait_new(&werr);	/* owned: the loop's wait (zwait.h) */

	if (!w || (s_zap = zwait_socket(w, transport_zap(n->tp), &werr)) < 0 ||
	    (s_rt = zwait_socket(w, transport_router(n->tp), &werr)) < 0 ||
	    (s_ctl = zwait_socket(w, n->control, &werr)) < 0 ||
	    (s_ver = zwait_fd(w, verify_fd(n->verify), &werr)) < 0) {
		log_error("loop: %s", werr.msg);
		zwait_destroy(&w);
		return -1;
	}
	for (size_t i = 0; i < n->n_peers; i++)
		if (n->peers[i]->neighbor)
			send_hello(n, n->peers[i]);
	dial_seeds(n);
	while (!n->stop) {
		bool backlog = false, rt_in;
		for (size_t i = 0; i < n->n_peers; i++) {
			struct peer *p = n->peers[i];
			if (p->n_backlog)
				backlog |= gossip_recon_pump(n, p);
		}
		long timeout = backlog ? 1 : n->in_batch ? 2 :
		    sleep_ms(n, now_ms(), last_ihave, last_hello + house_every);
		/* while the workers are full, leave frames in ZeroMQ's queue */
		zwait_watch(w, s_rt, verify_inflight(n->verify) < MAX_INFLIGHT);
		if (zwait_wait(w, timeout) < 0) {
			if (errno == EINTR)
				continue;
			log_error("poll: %s", zmq_strerror(errno));
			rc = -1;
			break;
		}
		if (zwait_ready(w, s_zap)) {
			transport_zap_handle(n->tp);
			zwait_used(w, s_zap);
		}
		if ((rt_in = zwait_ready(w, s_rt))) {
			/* a bounded slice per turn, so the control socket and
			 * commits are never starved by a flood */
			bool drained = false;
			for (int k = 0; k < 512; k++) {
				uint8_t org[SM_ID_LEN];
				zmq_msg_t msg;
				if (verify_inflight(n->verify) >= MAX_INFLIGHT)
					break;
				if (transport_recv(n->tp, org, &msg) < 0) {
					drained = true;
					break;
				}
				on_frame(n, org, zmq_msg_data(&msg), zmq_msg_size(&msg));
				zmq_msg_close(&msg);
				if (n->n_pending >= NODE_BATCH)
					break;
			}
			if (drained)
				zwait_drained(w, s_rt);
			else
				zwait_used(w, s_rt);	/* more may wait: asked before the next sleep */
		}
		/* a finished job signals the descriptor; none in flight and no
		 * signal: nothing to take (and no read to reset it) */
		if (zwait_ready(w, s_ver) || verify_inflight(n->verify))
			drain_verified(n);
		flush_all(n, false);	/* what drain_verified relayed */
		uint64_t now = now_ms();
		if (n->in_batch && (n->n_pending >= NODE_BATCH || now - n->batch_start_ms >= NODE_BATCH_MS ||
		    (!rt_in && verify_inflight(n->verify) == 0))) {
			sm_err err = {0};
			node_commit(n, &err);
		}
		if (zwait_ready(w, s_ctl)) {
			sm_err err = {0};
			if (n->in_batch)
				node_commit(n, &err);
			control_handle(n);
			zwait_used(w, s_ctl);
		}
		if (now - last_ihave >= IHAVE_FLUSH_MS) {
			gossip_recon_due(n);
			graft_missing(n);
			flush_all(n, true);
			last_ihave = now;
		}
		/* housekeeping (housekeep_ms): greetings that are due, and
		 * reconciliation sessions that are due (each peer keeps its own
		 * schedule, so a recon_interval_ms below HELLO_MS is honoured) */
		if (now - last_hello >= house_every) {
			for (size_t i = 0; i < n->n_peers; i++) {
				struct peer *p = n->peers[i];
				/* only the peers we chose get greeted unasked:
				 * two peers greeting each other because each
				 * greeted the other would stay neighbours forever */
				if (p->neighbor && p->chosen && now - p->last_hello_ms >= HELLO_MS)
					send_hello(n, p);
				if (p->neighbor && !p->chosen && now - p->greeted_ms > GREETED_KEEP_MS)
					p->neighbor = false;
			}
			gossip_recon_tick(n);
			settle_owed(n);
			transport_reap(n->tp, DEALER_IDLE_MS, keep_dealer, n);
			last_hello = now;
			house_every = housekeep_ms(n);
		}
	}
	if (n->in_batch) {
		sm_err err = {0};
		node_commit(n, &err);
	}
	/* where the copies came from, for tuning dissemination */
	log_info("stopping: received %llu duplicates %llu (graft %llu recon %llu origin %llu foreign %llu tree %llu) "
	    "sent eager %llu direct %llu want %llu with-release %llu recon %llu",
	    (unsigned long long)n->c.received_objects, (unsigned long long)n->c.duplicates,
	    (unsigned long long)n->c.dup_graft, (unsigned long long)n->c.dup_recon,
	    (unsigned long long)n->c.dup_origin, (unsigned long long)n->c.dup_foreign,
	    (unsigned long long)n->c.dup_tree, (unsigned long long)n->c.sent_eager,
	    (unsigned long long)n->c.sent_direct, (unsigned long long)n->c.sent_want,
	    (unsigned long long)n->c.sent_with_release, (unsigned long long)n->c.recon_objects);
	zwait_destroy(&w);
	return rc;
}
