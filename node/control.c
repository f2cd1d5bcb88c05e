/*
 * node/control.c — the local control API (JSON over a ZeroMQ REP socket in
 * the data dir); see control.h for every command.
 *
 * The socket lives in the node's 0700 data directory, so only the node's
 * own user can reach it; requests are still parsed strictly and bounded
 * (one frame, at most CONTROL_MAX_MSG bytes, JSON nesting limited by
 * jansson's parser), and every failure is answered with a message that
 * says what was wrong rather than dropped.
 */
#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdlib.h>
#include <string.h>
#include <zmq.h>
#include "node/control.h"
#include "node/control_analyst.h"
#include "node/control_req.h"
#include "node/gossip_recon.h"
#include "node/log.h"
#include "node/node_impl.h"

#define LIST_MAX CONTROL_LIST_MAX
#define DUMP_MAX 20000

static json_t *fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static json_t *fail(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return json_pack("{s:b, s:s}", "ok", 0, "error", buf);
}

static json_t *fail_err(const char *what, const sm_err *err)
{
	return fail("%s: %s: %s", what, sm_strerror(err->code), err->msg);
}

static json_t *ok(void)
{
	return json_pack("{s:b}", "ok", 1);
}

static void hexid(const uint8_t *id, char out[2 * SM_ID_LEN + 1])
{
	sodium_bin2hex(out, 2 * SM_ID_LEN + 1, id, SM_ID_LEN);
}

static json_t *jhex(const uint8_t *id)
{
	char h[2 * SM_ID_LEN + 1];

	hexid(id, h);
	return json_string(h);
}

int control_open(node_t *n, sm_err *err)
{
	int linger = 0;
	int64_t max = CONTROL_MAX_MSG;

	if (!(n->control = zmq_socket(n->zctx, ZMQ_REP)))
		return sm_fail(err, SM_EIO, "control: %s", zmq_strerror(errno));
	zmq_setsockopt(n->control, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(n->control, ZMQ_MAXMSGSIZE, &max, sizeof(max));
	if (zmq_bind(n->control, n->cfg.control) < 0)
		return sm_fail(err, SM_EIO, "control: cannot bind %s: %s", n->cfg.control,
		    zmq_strerror(errno));
	return 0;
}

void control_close(node_t *n)
{
	if (n->control)
		zmq_close(n->control);
	n->control = NULL;
}

/* ---- JSON of stored objects ------------------------------------------- */

static json_t *audience_json(node_t *n, const sm_audience *a)
{
	json_t *j = json_object(), *orgs = json_array(), *sigs = json_array();
	char name[ID_MAX_NAME];

	if (a->federation)
		json_object_set_new(j, "federation", json_true());
	for (uint32_t i = 0; i < a->n_orgs; i++) {
		node_org_name(n, a->orgs[i], name, sizeof(name));
		json_array_append_new(orgs, json_string(name));
	}
	for (uint32_t i = 0; i < a->n_sigs; i++) {
		roster_t *r = federation_find(n->fed, a->sigs[i]);
		if (r)
			json_array_append_new(sigs, json_string(roster_name(r)));
		else
			json_array_append_new(sigs, jhex(a->sigs[i]));
	}
	json_object_set_new(j, "orgs", orgs);
	json_object_set_new(j, "sigs", sigs);
	return j;
}

struct refs_ctx {
	node_t *n;
	json_t *sightings, *releases;
	bool retracted;
	size_t n_sightings;
};

static int each_ref(void *ctx, const store_meta *meta, const uint8_t *obj, size_t len)
{
	struct refs_ctx *c = ctx;
	scope_entry *e = scope_get(c->n->scope, meta->id);
	char name[ID_MAX_NAME];

	(void)obj;
	(void)len;
	if (!e)
		return 0;
	node_org_name(c->n, e->msg.u.h.originator, name, sizeof(name));
	switch (e->msg.type) {
	case SM_MSG_SIGHTING:
		c->n_sightings++;
		if (c->sightings)
			json_array_append_new(c->sightings, json_pack("{s:o, s:s, s:s, s:I, s:I, s:b}",
			    "id", jhex(e->msg.id), "org", name,
			    "kind", e->msg.u.sighting.kind == SM_SIGHT_FALSE_POSITIVE ? "false-positive" : "seen",
			    "count", (json_int_t)e->msg.u.sighting.count,
			    "created_ms", (json_int_t)e->msg.u.h.created_ms,
			    "originator_only", e->msg.u.sighting.originator_only));
		break;
	case SM_MSG_RETRACTION:
		c->retracted = true;
		break;
	case SM_MSG_RELEASE:
		if (c->releases)
			json_array_append_new(c->releases, json_pack("{s:o, s:o, s:I}",
			    "id", jhex(e->msg.id), "add", audience_json(c->n, &e->msg.u.release.add),
			    "created_ms", (json_int_t)e->msg.u.h.created_ms));
		break;
	}
	return 0;
}

json_t *control_item_json(node_t *n, const uint8_t id[SM_ID_LEN], bool full)
{
	scope_entry *e = scope_get(n->scope, id), *r;
	json_t *j;
	char name[ID_MAX_NAME];
	store_meta meta;
	uint8_t *obj;
	size_t len;

	if (!e)
		return NULL;
	if (!(obj = store_get(n->store, id, &meta, &len, NULL)))
		return NULL;
	free(obj);
	r = scope_report_of(n->scope, e);
	node_org_name(n, e->msg.u.h.originator, name, sizeof(name));
	j = json_pack("{s:o, s:s, s:s, s:o, s:I, s:I, s:I, s:I}",
	    "id", jhex(id), "type", msg_type_name(e->msg.type),
	    "originator_name", name, "originator", jhex(e->msg.u.h.originator),
	    "seq", (json_int_t)e->msg.u.h.seq, "created_ms", (json_int_t)e->msg.u.h.created_ms,
	    "received_ms", (json_int_t)meta.received_ms, "arrival", (json_int_t)meta.arrival);
	if (r) {
		json_object_set_new(j, "tlp", json_string(tlp_name(r->msg.u.report.tlp)));
		if (e->msg.type == SM_MSG_REPORT)
			json_object_set_new(j, "audience", audience_json(n, &e->msg.u.report.aud));
	}
	if (e->msg.type != SM_MSG_REPORT) {
		const uint8_t *ref = e->msg.type == SM_MSG_SIGHTING ? e->msg.u.sighting.report :
		    e->msg.type == SM_MSG_RETRACTION ? e->msg.u.retraction.report : e->msg.u.release.report;
		json_object_set_new(j, "report", jhex(ref));
		if (e->msg.type == SM_MSG_SIGHTING)
			json_object_set_new(j, "kind", json_string(e->msg.u.sighting.kind ==
			    SM_SIGHT_FALSE_POSITIVE ? "false-positive" : "seen"));
		return j;
	}
	/* a report: its body if this node can read it, and what refers to it */
	{
		sm_msg m;
		body_t b;
		bool readable = false;
		sm_err err = {0};
		struct refs_ctx rc = { n, full ? json_array() : NULL, full ? json_array() : NULL, false, 0 };

		if (node_open_report(n, id, &m, &b, &readable, &err) == 0) {
			if (readable) {
				if (b.title)
					json_object_set_new(j, "title", json_string(b.title));
				else if (b.subject)
					json_object_set_new(j, "title", json_string(b.subject));
				if (full) {
					char *bj = body_to_json(&b);
					json_t *parsed = bj ? json_loads(bj, 0, NULL) : NULL;
					if (parsed)
						json_object_set_new(j, "body", parsed);
					free(bj);
				}
				body_clear(&b);
			}
			msg_clear(&m);
		}
		json_object_set_new(j, "readable", json_boolean(readable));
		store_each_ref(n->store, id, each_ref, &rc, NULL);
		json_object_set_new(j, "retracted", json_boolean(rc.retracted));
		json_object_set_new(j, "sighting_count", json_integer((json_int_t)rc.n_sightings));
		if (full) {
			json_object_set_new(j, "sightings", rc.sightings);
			json_object_set_new(j, "releases", rc.releases);
		}
	}
	return j;
}

/* ---- commands --------------------------------------------------------- */

/* The SIGs and organizations a request named (checked by
 * control_req_parse), resolved through this node's rosters into a. NULL on
 * success, else the reply; a then holds nothing. */
static json_t *resolve_audience(node_t *n, const control_audience *ca, sm_audience *a, const char *what)
{
	json_t *v;
	size_t i;

	memset(a, 0, sizeof(*a));
	a->federation = ca->federation;
	a->sigs = calloc(json_array_size(ca->sigs) + 1, SM_ID_LEN);
	a->orgs = calloc(json_array_size(ca->orgs) + 1, SM_ID_LEN);
	if (!a->sigs || !a->orgs) {
		msg_audience_clear(a);
		return fail("%s: out of memory", what);
	}
	json_array_foreach(ca->sigs, i, v) {
		const char *s = json_string_value(v);
		if (node_find_sig(n, s, a->sigs[a->n_sigs]) < 0) {
			msg_audience_clear(a);
			return fail("%s: audience: no SIG named '%s' in this node's rosters", what, s);
		}
		a->n_sigs++;
	}
	json_array_foreach(ca->orgs, i, v) {
		const char *s = json_string_value(v);
		if (node_find_org(n, s, a->orgs[a->n_orgs]) < 0) {
			msg_audience_clear(a);
			return fail("%s: audience: no organization named '%s' in this node's rosters", what, s);
		}
		a->n_orgs++;
	}
	return NULL;
}

static json_t *cmd_submit(node_t *n, const control_req *r)
{
	uint8_t id[SM_ID_LEN];
	sm_audience aud;
	sm_err err = {0};
	json_t *out;

	if ((out = resolve_audience(n, &r->aud, &aud, "submit")))
		return out;
	if (node_submit(n, r->tlp, &aud, &r->body, r->has_supersedes ? r->supersedes : NULL, id, &err) < 0)
		out = fail_err("submit", &err);
	else {
		out = ok();
		json_object_set_new(out, "id", jhex(id));
	}
	msg_audience_clear(&aud);
	return out;
}

struct list_ctx {
	node_t *n;
	json_t *items;
	uint64_t since, until, limit;
	int tlp, type;
	bool has_orig, has_sig;
	uint8_t orig[SM_ID_LEN], sig[SM_ID_LEN];
};

static int each_list(void *ctx, const store_meta *meta, const uint8_t *obj, size_t len)
{
	struct list_ctx *c = ctx;
	scope_entry *e = scope_get(c->n->scope, meta->id), *r;
	json_t *j;

	(void)obj;
	(void)len;
	if (!e || json_array_size(c->items) >= c->limit)
		return json_array_size(c->items) >= c->limit ? 1 : 0;
	if (meta->created_ms < c->since || (c->until && meta->created_ms >= c->until))
		return 0;
	if (c->type >= 0 && e->msg.type != c->type)
		return 0;
	if (c->has_orig && memcmp(e->msg.u.h.originator, c->orig, SM_ID_LEN))
		return 0;
	r = scope_report_of(c->n->scope, e);
	if (c->tlp >= 0 && (!r || r->msg.u.report.tlp != c->tlp))
		return 0;
	if (c->has_sig && (!r || !msg_audience_has_sig(&r->msg.u.report.aud, c->sig)))
		return 0;
	if ((j = control_item_json(c->n, meta->id, false)))
		json_array_append_new(c->items, j);
	return 0;
}

static json_t *cmd_list(node_t *n, const control_req *r)
{
	struct list_ctx c = { n, NULL, r->since_ms, r->until_ms, r->limit, r->tlp_filter, r->type_filter,
	    false, false, {0}, {0} };
	sm_err err = {0};
	json_t *out;

	if (r->originator) {
		if (node_find_org(n, r->originator, c.orig) < 0)
			return fail("list: no organization '%s'", r->originator);
		c.has_orig = true;
	}
	if (r->sig) {
		if (node_find_sig(n, r->sig, c.sig) < 0)
			return fail("list: no SIG '%s'", r->sig);
		c.has_sig = true;
	}
	c.items = json_array();
	if (store_each_arrival(n->store, 0, each_list, &c, &err) < 0) {
		json_decref(c.items);
		return fail_err("list", &err);
	}
	out = ok();
	json_object_set_new(out, "items", c.items);
	return out;
}

static json_t *cmd_show(node_t *n, const control_req *r)
{
	json_t *item, *out;

	if (!(item = control_item_json(n, r->id, true)))
		return fail("show: no object with that id here");
	out = ok();
	json_object_set_new(out, "item", item);
	return out;
}

struct search_ctx {
	node_t *n;
	uint8_t (*ids)[SM_ID_LEN];
	size_t k, cap;
};

static int each_hit(void *ctx, const uint8_t id[SM_ID_LEN])
{
	struct search_ctx *c = ctx;

	for (size_t i = 0; i < c->k; i++)
		if (!memcmp(c->ids[i], id, SM_ID_LEN))
			return 0;
	if (c->k == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		if (cap > LIST_MAX)
			return 1;
		void *x = realloc(c->ids, cap * SM_ID_LEN);
		if (!x)
			return -1;
		c->ids = x;
		c->cap = cap;
	}
	memcpy(c->ids[c->k++], id, SM_ID_LEN);
	return 0;
}

static json_t *cmd_search(node_t *n, const control_req *r)
{
	const char *v = r->value;	/* 1..BODY_MAX_STR bytes */
	struct search_ctx c = { n, NULL, 0, 0 };
	char low[BODY_MAX_STR + 1];
	json_t *items = json_array(), *out;
	sm_err err = {0};

	/* indicators are indexed in their normalized (lowercase) form where
	 * the type is case-insensitive; try the value as given and lowered */
	size_t i;
	for (i = 0; v[i]; i++)
		low[i] = (v[i] >= 'A' && v[i] <= 'Z') ? v[i] + 32 : v[i];
	low[i] = '\0';
	for (uint8_t t = 1; t <= BODY_IND_FILENAME; t++) {
		if (store_each_indicator(n->store, t, v, each_hit, &c, &err) < 0 ||
		    store_each_indicator(n->store, t, low, each_hit, &c, &err) < 0)
			break;
	}
	for (size_t k = 0; k < c.k; k++) {
		json_t *j = control_item_json(n, c.ids[k], false);
		if (j)
			json_array_append_new(items, j);
	}
	free(c.ids);
	out = ok();
	json_object_set_new(out, "items", items);
	return out;
}

static json_t *cmd_sight(node_t *n, const control_req *r)
{
	uint8_t id[SM_ID_LEN];
	sm_err err = {0};
	json_t *out;

	if (node_sight(n, r->id, r->kind, r->originator_only, r->count, r->note, id, &err) < 0)
		return fail_err("sight", &err);
	out = ok();
	json_object_set_new(out, "id", jhex(id));
	return out;
}

static json_t *cmd_retract(node_t *n, const control_req *r)
{
	uint8_t id[SM_ID_LEN];
	sm_err err = {0};
	json_t *out;

	if (node_retract(n, r->id, r->reason, id, &err) < 0)
		return fail_err("retract", &err);
	out = ok();
	json_object_set_new(out, "id", jhex(id));
	return out;
}

static json_t *cmd_release(node_t *n, const control_req *r)
{
	uint8_t id[SM_ID_LEN];
	sm_audience add;
	sm_err err = {0};
	json_t *out;

	if ((out = resolve_audience(n, &r->aud, &add, "release")))
		return out;
	if (node_release(n, r->id, &add, id, &err) < 0)
		out = fail_err("release", &err);
	else {
		out = ok();
		json_object_set_new(out, "id", jhex(id));
	}
	msg_audience_clear(&add);
	return out;
}

/* A peer heard from this recently counts as connected: a live
 * neighbour greets every 30 s (node.c HELLO_MS) and reconciles as often. */
#define PEER_SEEN_MS 60000

static bool seen_recently(uint64_t last_seen_ms, uint64_t now)
{
	return last_seen_ms && now - last_seen_ms < PEER_SEEN_MS;
}

static json_t *cmd_peers(node_t *n)
{
	node_peer_info *info = calloc(n->n_peers + 1, sizeof(*info));
	size_t k = info ? node_peers(n, info, n->n_peers) : 0;
	json_t *arr = json_array(), *out;
	uint64_t now = now_ms();

	for (size_t i = 0; i < k; i++) {
		node_peer_info *p = &info[i];
		json_array_append_new(arr, json_pack("{s:o, s:s, s:s, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b}",
		    "org", jhex(p->org), "name", p->name, "endpoint", p->endpoint,
		    "neighbor", p->neighbor, "tree", p->tree, "link", p->link, "seed", p->seed, "root", p->root,
		    "dialled", p->dialled, "linked", p->linked,
		    "connected", seen_recently(p->last_seen_ms, now),
		    "last_seen_ms", (json_int_t)p->last_seen_ms, "objects_in", (json_int_t)p->objects_in,
		    "duplicates_in", (json_int_t)p->duplicates_in, "rejected", (json_int_t)p->rejected,
		    "objects_out", (json_int_t)p->objects_out, "frames_out", (json_int_t)p->frames_out,
		    "strikes", (json_int_t)p->strikes, "banned", p->banned));
	}
	free(info);
	out = ok();
	json_object_set_new(out, "peers", arr);
	return out;
}

/* Where the node's heap goes: glibc's view (in use, free but resident)
 * and the node's own per-peer and per-object tables, so an operator can
 * tell growth that tracks objects held from growth that tracks time. */
static json_t *memory_json(node_t *n)
{
	size_t pushed = 0, pushed_cap = 0, offered = 0, offered_cap = 0, backlog_cap = 0, out_cap = 0, ihave_cap = 0;
	size_t neighbors = 0, owed = 0, sessions, session_items, silent_sessions;
	json_t *o;

	for (size_t i = 0; i < n->n_peers; i++) {
		const struct peer *p = n->peers[i];
		pushed += p->pushed.n;
		pushed_cap += p->pushed.cap;
		offered += p->offered[0].n + p->offered[1].n;
		offered_cap += p->offered[0].cap + p->offered[1].cap;
		backlog_cap += p->cap_backlog;
		out_cap += p->cap_out;
		ihave_cap += p->cap_ihave;
		neighbors += p->neighbor;
		owed += p->owed_ms != 0;
	}
	gossip_recon_held(n, &sessions, &session_items, &silent_sessions);
	o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
	    "scope_entries", (json_int_t)scope_count(n->scope),
	    "pushed", (json_int_t)pushed, "pushed_cap", (json_int_t)pushed_cap,
	    "backlog_cap", (json_int_t)backlog_cap, "out_cap", (json_int_t)out_cap,
	    "ihave_cap", (json_int_t)ihave_cap, "missing_cap", (json_int_t)n->cap_missing,
	    "pending_cap", (json_int_t)n->cap_pending, "parked_cap", (json_int_t)n->cap_parked);
	/* each peer with a live connection costs ZeroMQ tens of kB (pipes,
	 * CURVE engine): neighbours and owed peers keep their DEALER open */
	json_object_set_new(o, "offered", json_integer((json_int_t)offered));
	json_object_set_new(o, "offered_cap", json_integer((json_int_t)offered_cap));
	json_object_set_new(o, "neighbors", json_integer((json_int_t)neighbors));
	json_object_set_new(o, "owed", json_integer((json_int_t)owed));
	json_object_set_new(o, "recon_sessions_held", json_integer((json_int_t)sessions));
	json_object_set_new(o, "recon_items_held", json_integer((json_int_t)session_items));
	json_object_set_new(o, "recon_sessions_silent", json_integer((json_int_t)silent_sessions));
#ifdef __GLIBC__
#if __GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33)
	struct mallinfo2 mi = mallinfo2();
	/* all zeros when malloc is not glibc's (a sanitizer's, a preloaded
	 * allocator): say nothing rather than a heap of 0 bytes */
	if (mi.arena || mi.hblkhd) {
		json_object_set_new(o, "heap_in_use", json_integer((json_int_t)mi.uordblks));
		json_object_set_new(o, "heap_free", json_integer((json_int_t)mi.fordblks));
		json_object_set_new(o, "heap_mmap", json_integer((json_int_t)mi.hblkhd));
		json_object_set_new(o, "heap_arena", json_integer((json_int_t)mi.arena));
	}
#endif
#endif
	return o;
}

/*
 * How many neighbours this node has and how many of them are linked both
 * ways: our DEALER to it is through its handshake, and it has been heard
 * from (over its own connection to our ROUTER). A testnet is ready for a
 * workload when every node's two counts are equal.
 */
static void neighbors_linked(node_t *n, size_t *neighbors, size_t *linked)
{
	uint64_t now = now_ms();

	*neighbors = *linked = 0;
	for (size_t i = 0; i < n->n_peers; i++) {
		const struct peer *p = n->peers[i];
		if (!p->neighbor)
			continue;
		(*neighbors)++;
		if (seen_recently(p->last_seen_ms, now) && transport_linked(n->tp, p->org))
			(*linked)++;
	}
}

static json_t *cmd_status(node_t *n)
{
	size_t neighbors, linked;
	store_stats st;
	sm_err err = {0};
	const node_counters *c = &n->c;
	const transport_stats *ts = transport_get_stats(n->tp);
	const id_public *me = identity_public(n->id);
	json_t *out, *sigs = json_array();

	memset(&st, 0, sizeof(st));
	if (store_stat(n->store, &st, &err) < 0)
		return fail_err("status", &err);
	/* first: it reads the DEALERs' monitors, which the counters below
	 * (handshakes_failed) come from */
	neighbors_linked(n, &neighbors, &linked);
	for (size_t i = 0; i < federation_count(n->fed); i++) {
		roster_t *r = federation_at(n->fed, i);
		json_array_append_new(sigs, json_pack("{s:s, s:I, s:b}", "name", roster_name(r),
		    "version", (json_int_t)roster_version(r), "member", roster_is_member(r, 0, me->org)));
	}
	out = ok();
	json_object_update_new(out, json_pack("{s:o, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
	    "org", jhex(me->org), "name", me->name,
	    "objects", (json_int_t)st.objects, "reports", (json_int_t)st.reports,
	    "sightings", (json_int_t)st.sightings, "retractions", (json_int_t)st.retractions,
	    "releases", (json_int_t)st.releases, "store_bytes", (json_int_t)st.bytes_used,
	    "map_bytes", (json_int_t)st.map_size, "uptime_ms", (json_int_t)(now_ms() - c->started_ms)));
	json_object_update_new(out, json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
	    "received_objects", (json_int_t)c->received_objects, "duplicates", (json_int_t)c->duplicates,
	    "rejected", (json_int_t)c->rejected, "deferred", (json_int_t)c->deferred,
	    "originated", (json_int_t)c->originated,
	    "bytes_sent", (json_int_t)ts->bytes_out, "bytes_received", (json_int_t)ts->bytes_in,
	    "send_dropped", (json_int_t)ts->send_dropped, "zap_refused", (json_int_t)ts->zap_refused,
	    "recon_sessions", (json_int_t)c->recon_sessions, "recon_objects", (json_int_t)c->recon_objects));
	json_object_set_new(out, "recon_skipped", json_integer((json_int_t)c->recon_skipped));
	json_object_update_new(out, json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "dup_graft", (json_int_t)c->dup_graft, "dup_recon", (json_int_t)c->dup_recon, "dup_origin", (json_int_t)c->dup_origin, "dup_foreign", (json_int_t)c->dup_foreign, "dup_tree", (json_int_t)c->dup_tree,
	    "sent_eager", (json_int_t)c->sent_eager, "sent_direct", (json_int_t)c->sent_direct, "sent_want", (json_int_t)c->sent_want, "sent_with_release", (json_int_t)c->sent_with_release));
	json_object_update_new(out, json_pack("{s:I, s:I, s:I, s:I, s:I}", "sent_ihave", (json_int_t)c->sent_ihave,
	    "sent_bypass", (json_int_t)c->sent_bypass,
	    "sent_bypass_link", (json_int_t)c->sent_bypass_link,
	    "frames_sent", (json_int_t)ts->frames_out, "frames_received", (json_int_t)ts->frames_in));
	json_object_set_new(out, "backchannel_dropped", json_integer((json_int_t)ts->backchannel_dropped));
	json_object_set_new(out, "redials", json_integer((json_int_t)ts->redials));
	json_object_set_new(out, "handshakes_failed", json_integer((json_int_t)ts->handshakes_failed));
	json_object_set_new(out, "sigs", sigs);
	json_object_set_new(out, "peers", json_integer((json_int_t)n->n_peers));
	json_object_set_new(out, "neighbors", json_integer((json_int_t)neighbors));
	json_object_set_new(out, "neighbors_linked", json_integer((json_int_t)linked));
	json_object_set_new(out, "graft_wait_ms", json_integer((json_int_t)n->graft_wait_ms));
	json_object_set_new(out, "memory", memory_json(n));
	return out;
}

struct dump_ctx {
	node_t *n;
	json_t *items;
	uint64_t last;
};

static int each_dump(void *ctx, const store_meta *m, const uint8_t *obj, size_t len)
{
	struct dump_ctx *c = ctx;
	json_t *j;

	(void)obj;
	j = json_pack("{s:o, s:s, s:i, s:o, s:I, s:I, s:I, s:I, s:I}",
	    "id", jhex(m->id), "type", msg_type_name(m->type), "tlp", m->tlp,
	    "originator", jhex(m->originator), "seq", (json_int_t)m->seq,
	    "created_ms", (json_int_t)m->created_ms, "received_ms", (json_int_t)m->received_ms,
	    "arrival", (json_int_t)m->arrival, "bytes", (json_int_t)len);
	if (m->has_ref)
		json_object_set_new(j, "ref", jhex(m->ref));
	json_array_append_new(c->items, j);
	c->last = m->arrival;
	return json_array_size(c->items) >= DUMP_MAX ? 1 : 0;
}

static json_t *cmd_dump(node_t *n, const control_req *r)
{
	struct dump_ctx c = { n, json_array(), r->after };
	sm_err err = {0};
	json_t *out;

	if (store_each_arrival(n->store, c.last, each_dump, &c, &err) < 0) {
		json_decref(c.items);
		return fail_err("dump", &err);
	}
	out = ok();
	json_object_set_new(out, "items", c.items);
	json_object_set_new(out, "last", json_integer((json_int_t)c.last));
	return out;
}

static int fsck_verify(void *ctx, const uint8_t *obj, size_t len)
{
	sm_msg m;

	(void)ctx;
	if (msg_decode(obj, len, 0, &m, NULL) < 0)
		return -1;
	msg_clear(&m);
	return 0;
}

static void fsck_report(void *ctx, const char *text)
{
	json_t *arr = ctx;

	if (json_array_size(arr) < 1000)
		json_array_append_new(arr, json_string(text));
}

static json_t *cmd_fsck(node_t *n)
{
	json_t *problems = json_array(), *out;
	uint64_t bad = 0;
	sm_err err = {0};
	store_stats st;

	if (store_check(n->store, fsck_verify, fsck_report, problems, &bad, &err) < 0) {
		json_decref(problems);
		return fail_err("fsck", &err);
	}
	memset(&st, 0, sizeof(st));
	store_stat(n->store, &st, NULL);
	out = ok();
	json_object_set_new(out, "checked", json_integer((json_int_t)st.objects));
	json_object_set_new(out, "bad", json_integer((json_int_t)bad));
	json_object_set_new(out, "problems", problems);
	return out;
}

static json_t *run(node_t *n, const control_req *r)
{
	switch (r->cmd) {
	case CONTROL_SUBMIT: return cmd_submit(n, r);
	case CONTROL_LIST: return cmd_list(n, r);
	case CONTROL_SHOW: return cmd_show(n, r);
	case CONTROL_SEARCH: return cmd_search(n, r);
	case CONTROL_SIGHT: return cmd_sight(n, r);
	case CONTROL_RETRACT: return cmd_retract(n, r);
	case CONTROL_RELEASE: return cmd_release(n, r);
	case CONTROL_PEERS: return cmd_peers(n);
	case CONTROL_STATUS: return cmd_status(n);
	case CONTROL_DUMP: return cmd_dump(n, r);
	case CONTROL_FSCK: return cmd_fsck(n);
	case CONTROL_EXPORT: return control_export(n, r->json);
	case CONTROL_STATS: return control_stats(n, r->json);
	case CONTROL_STOP:
		node_stop(n);
		return ok();
	}
	return fail("unknown command");
}

json_t *control_dispatch(node_t *n, json_t *req)
{
	control_req r;
	sm_err err = {0};
	json_t *out;

	/* every check that needs no node state: node/control_req.c, which
	 * tests/fuzz/fuzz_control.c fuzzes as it is */
	if (control_req_parse(req, &r, &err) < 0)
		return fail("%s", err.msg);
	out = run(n, &r);
	control_req_clear(&r);
	return out;
}

void control_handle(node_t *n)
{
	zmq_msg_t msg;
	json_t *req, *rep;
	json_error_t jerr;
	char *text;

	zmq_msg_init(&msg);
	if (zmq_msg_recv(&msg, n->control, ZMQ_DONTWAIT) < 0) {
		zmq_msg_close(&msg);
		return;
	}
	/* REP expects exactly one reply per request: multi-frame requests are
	 * drained and answered with an error */
	bool multi = zmq_msg_more(&msg);
	while (zmq_msg_more(&msg)) {
		zmq_msg_close(&msg);
		zmq_msg_init(&msg);
		if (zmq_msg_recv(&msg, n->control, 0) < 0)
			break;
	}
	if (multi)
		rep = fail("request must be a single frame");
	else if (!(req = json_loadb(zmq_msg_data(&msg), zmq_msg_size(&msg), JSON_REJECT_DUPLICATES, &jerr)))
		rep = fail("request is not JSON: %s (line %d)", jerr.text, jerr.line);
	else {
		rep = control_dispatch(n, req);
		json_decref(req);
	}
	zmq_msg_close(&msg);
	text = json_dumps(rep, JSON_COMPACT);
	json_decref(rep);
	if (!text)
		text = strdup("{\"ok\":false,\"error\":\"out of memory\"}");
	zmq_send(n->control, text, strlen(text), 0);
	free(text);
}
