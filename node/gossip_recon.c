/*
 * node/gossip_recon.c — reconciliation sessions with peers; see
 * gossip_recon.h.
 */
#include <stdlib.h>
#include <string.h>
#include "node/gossip_recon.h"
#include "node/log.h"

#define RECON_STALE_MS 30000	/* a session silent this long is dropped */

struct collect {
	node_t *n;
	struct peer *p;
	sm_members mem;
	recon_item *items;
	size_t k, cap;
	bool oom;
};

static void collect_one(void *ctx, scope_entry *e)
{
	struct collect *c = ctx;

	if (c->oom || !scope_shared(c->n->scope, e, node_me(c->n), c->p->org, &c->mem))
		return;
	if (c->k == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 1024;
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

/* The set both of us may hold, as a fresh recon session. */
static recon_t *session(node_t *n, struct peer *p, sm_err *err)
{
	struct collect c = { n, p, federation_members(n->fed), NULL, 0, 0, false };
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

/* Push the objects the peer lacks, releases first, then reports. */
static void push_have(node_t *n, struct peer *p, const recon_ids *have)
{
	const sm_members mem = federation_members(n->fed);

	for (int rank = 0; rank < 3; rank++) {
		for (size_t i = 0; i < have->n; i++) {
			scope_entry *e = scope_get(n->scope, have->id[i]);
			uint8_t *obj;
			size_t len;
			if (!e || type_rank(e->msg.type) != rank)
				continue;
			/* the set was filtered already; check again, cheaply, in
			 * case a roster changed during the session */
			if (!scope_shared(n->scope, e, node_me(n), p->org, &mem))
				continue;
			if (!(obj = store_get(n->store, e->msg.id, NULL, &len, NULL)))
				continue;
			node_queue_obj(p, obj, len);
			free(obj);
			n->c.recon_objects++;
		}
		node_flush_peer(n, p);
	}
}

void gossip_recon_free(struct peer *p)
{
	recon_destroy(&p->rs_init);
	recon_destroy(&p->rs_resp);
}

void gossip_recon_maybe_start(node_t *n, struct peer *p, bool force)
{
	uint64_t now = now_ms();
	sm_err err = {0};
	uint8_t *msg = NULL;
	size_t len = 0, flen = 0;

	if (p->rs_init && now - p->recon_started_ms < RECON_STALE_MS)
		return;		/* one session of ours at a time */
	if (!force && p->last_recon_ms && now - p->last_recon_ms < n->cfg.recon_interval_ms)
		return;
	recon_destroy(&p->rs_init);
	if (!(p->rs_init = session(n, p, &err)) || recon_initiate(p->rs_init, &msg, &len, &err) < 0) {
		log_warn("recon: cannot start: %s", err.msg);
		recon_destroy(&p->rs_init);
		return;
	}
	randombytes_buf(&p->sid_init, sizeof(p->sid_init));
	p->recon_started_ms = now;
	p->last_recon_ms = now;
	n->c.recon_sessions++;
	node_send(n, p, wire_recon(p->sid_init, false, msg, len, &flen), &flen);
	free(msg);
}

void gossip_recon_on_frame(node_t *n, struct peer *p, const wire_frame *f)
{
	recon_t **rs;
	recon_ids have = {0};
	uint8_t *out = NULL;
	size_t outlen = 0, flen = 0;
	sm_err err = {0};

	if (p->rs_init && f->session == p->sid_init) {
		rs = &p->rs_init;
	} else {
		if (!p->rs_resp || f->session != p->sid_resp) {
			/* the peer starts a session: answer as responder */
			recon_destroy(&p->rs_resp);
			if (!(p->rs_resp = session(n, p, &err))) {
				log_warn("recon: cannot answer: %s", err.msg);
				return;
			}
			p->sid_resp = f->session;
		}
		rs = &p->rs_resp;
	}
	if (recon_respond(*rs, f->recon, f->recon_len, &out, &outlen, &have, NULL, &err) < 0) {
		char name[ID_MAX_NAME];
		node_org_name(n, p->org, name, sizeof(name));
		log_warn("peer %s: reconciliation failed: %s: %s", name, sm_strerror(err.code), err.msg);
		p->rejected++;
		recon_destroy(rs);
		recon_ids_free(&have);
		return;
	}
	push_have(n, p, &have);
	recon_ids_free(&have);
	if (out) {
		node_send(n, p, wire_recon(f->session, recon_done(*rs), out, outlen, &flen), &flen);
		free(out);
	}
	if (recon_done(*rs))
		recon_destroy(rs);
}

void gossip_recon_tick(node_t *n)
{
	uint64_t now = now_ms();

	for (size_t i = 0; i < n->n_peers; i++) {
		struct peer *p = n->peers[i];
		if (p->rs_resp && now - p->last_seen_ms > RECON_STALE_MS)
			recon_destroy(&p->rs_resp);
		if (p->neighbor)
			gossip_recon_maybe_start(n, p, false);
	}
}
