/*
 * node/control_analyst.c — the "export" and "stats" control commands; see
 * control_analyst.h.
 *
 * Both turn what the node holds into export_items (node/export.h), the
 * plain data export_write and stats_compute take. This file uses only the
 * node's public API (node.h, store.h): the reports are found by walking the
 * store in arrival order, opened with node_open_report, and their
 * sightings and retractions come from store_each_ref, each sighting
 * decoded (and so re-verified) with msg_decode. Re-verifying costs about
 * 50 µs per sighting, which is nothing beside what an export does, and
 * keeps this file independent of the node's in-memory tables.
 *
 * The walk collects report ids first and opens them afterwards: a store
 * callback must not read the store again (LMDB allows one read
 * transaction per thread), and node_open_report does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "node/control_analyst.h"
#include "node/export.h"
#include "node/stats.h"
#include "proto/tlp.h"

static json_t *s_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static json_t *s_fail(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return json_pack("{s:b, s:s}", "ok", 0, "error", buf);
}

static json_t *s_fail_err(const char *what, const sm_err *err)
{
	return s_fail("%s: %s: %s", what, sm_strerror(err->code), err->msg);
}

/* An optional non-negative integer argument: 0 if absent, -1 if present
 * and not a non-negative integer. */
static int s_get_u64(json_t *req, const char *key, uint64_t *out)
{
	json_t *v = json_object_get(req, key);

	*out = 0;
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -1;
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

/* ---- what the node holds, as export items ------------------------------ */

/* One report and everything its export_item borrows. */
struct held {
	body_t body;
	bool readable;
	char orig_name[ID_MAX_NAME];
	export_sighting *s;		/* malloc'd */
	char (*s_names)[ID_MAX_NAME];	/* malloc'd, parallel to s */
	size_t n_s, cap_s;
};

struct filter {
	uint64_t since, until;		/* created_ms in [since, until); until 0 = open */
	int tlp;			/* -1 = any */
	bool has_orig, has_sig;
	uint8_t orig[SM_ID_LEN], sig[SM_ID_LEN];
	bool internal;			/* include originator-only sightings */
};

struct item_set {
	export_item *items;		/* malloc'd, n entries */
	struct held *held;		/* malloc'd, parallel to items */
	size_t n;
};

static void s_set_clear(struct item_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		body_clear(&set->held[i].body);
		free(set->held[i].s);
		free(set->held[i].s_names);
	}
	free(set->items);
	free(set->held);
	memset(set, 0, sizeof(*set));
}

struct id_walk {
	const struct filter *f;
	uint8_t (*ids)[SM_ID_LEN];
	size_t n;
	bool over;			/* more than CONTROL_ANALYST_MAX matched */
};

static int s_each_report(void *ctx, const store_meta *meta, const uint8_t *obj, size_t len)
{
	struct id_walk *w = ctx;
	const struct filter *f = w->f;

	(void)obj;
	(void)len;
	if (meta->type != SM_MSG_REPORT)
		return 0;
	if (meta->created_ms < f->since || (f->until && meta->created_ms >= f->until))
		return 0;
	if (f->tlp >= 0 && meta->tlp != f->tlp)
		return 0;
	if (f->has_orig && memcmp(meta->originator, f->orig, SM_ID_LEN))
		return 0;
	if (w->n == CONTROL_ANALYST_MAX) {
		w->over = true;
		return 1;
	}
	memcpy(w->ids[w->n++], meta->id, SM_ID_LEN);
	return 0;
}

struct ref_walk {
	node_t *n;
	struct held *h;
	export_item *it;
	bool internal;
	bool nomem;
};

static int s_each_ref(void *ctx, const store_meta *meta, const uint8_t *obj, size_t len)
{
	struct ref_walk *w = ctx;
	struct held *h = w->h;
	sm_msg m;

	if (meta->type == SM_MSG_RETRACTION) {
		/* only the originator can withdraw its report; the node checked
		 * that on ingest, and a second look costs nothing */
		if (!memcmp(meta->originator, w->it->originator, SM_ID_LEN))
			w->it->retracted = true;
		return 0;
	}
	if (meta->type != SM_MSG_SIGHTING)
		return 0;
	if (msg_decode(obj, len, 0, &m, NULL) < 0)
		return 0;		/* fsck reports a bad object; export skips it */
	if (m.type != SM_MSG_SIGHTING || (m.u.sighting.originator_only && !w->internal))
		goto out;
	if (h->n_s == h->cap_s) {
		size_t cap = h->cap_s ? 2 * h->cap_s : 4;
		export_sighting *s = realloc(h->s, cap * sizeof(*s));
		if (s)
			h->s = s;
		char (*nm)[ID_MAX_NAME] = s ? realloc(h->s_names, cap * sizeof(*nm)) : NULL;
		if (!s || !nm) {
			w->nomem = true;
			msg_clear(&m);
			return -1;
		}
		h->s_names = nm;
		h->cap_s = cap;
	}
	export_sighting *s = &h->s[h->n_s];
	memset(s, 0, sizeof(*s));
	memcpy(s->org, m.u.h.originator, SM_ID_LEN);
	node_org_name(w->n, m.u.h.originator, h->s_names[h->n_s], ID_MAX_NAME);
	s->kind = m.u.sighting.kind;
	s->count = m.u.sighting.count ? m.u.sighting.count : 1;
	s->created_ms = m.u.h.created_ms;
	h->n_s++;
out:
	msg_clear(&m);
	return 0;
}

/*
 * Fill set with the reports the filter selects, readable or not (export
 * and stats decide what to do with unreadable ones). Returns NULL, or the
 * error reply.
 */
static json_t *s_collect(node_t *n, const struct filter *f, const char *what,
    struct item_set *set)
{
	struct id_walk w = { f, NULL, 0, false };
	sm_err err = {0};
	json_t *rep = NULL;

	memset(set, 0, sizeof(*set));
	if (!(w.ids = malloc((size_t)CONTROL_ANALYST_MAX * SM_ID_LEN)))
		return s_fail("%s: out of memory", what);
	if (store_each_arrival(node_store(n), 0, s_each_report, &w, &err) < 0) {
		rep = s_fail_err(what, &err);
		goto out;
	}
	if (w.over) {
		rep = s_fail("%s: more than %d reports match; narrow the time range "
		    "(since/until)", what, CONTROL_ANALYST_MAX);
		goto out;
	}
	set->items = calloc(w.n + 1, sizeof(*set->items));
	set->held = calloc(w.n + 1, sizeof(*set->held));
	if (!set->items || !set->held) {
		rep = s_fail("%s: out of memory", what);
		goto out;
	}
	for (size_t i = 0; i < w.n; i++) {
		export_item *it = &set->items[set->n];
		struct held *h = &set->held[set->n];
		sm_msg m;
		bool readable = false;

		sm_err_clear(&err);
		if (node_open_report(n, w.ids[i], &m, &h->body, &readable, &err) < 0)
			continue;	/* vanished or corrupt: fsck's business */
		if (m.type != SM_MSG_REPORT ||
		    (f->has_sig && !msg_audience_has_sig(&m.u.report.aud, f->sig))) {
			msg_clear(&m);
			body_clear(&h->body);
			continue;
		}
		memcpy(it->id, w.ids[i], SM_ID_LEN);
		it->tlp = m.u.report.tlp;
		memcpy(it->originator, m.u.h.originator, SM_ID_LEN);
		it->created_ms = m.u.h.created_ms;
		msg_clear(&m);
		h->readable = readable;
		node_org_name(n, it->originator, h->orig_name, sizeof(h->orig_name));
		set->n++;	/* from here on s_set_clear frees h */

		struct ref_walk rw = { n, h, it, f->internal, false };
		if (store_each_ref(node_store(n), it->id, s_each_ref, &rw, &err) < 0 || rw.nomem) {
			rep = rw.nomem ? s_fail("%s: out of memory", what) : s_fail_err(what, &err);
			goto out;
		}
	}
	/* the pointers are taken last: held[] no longer moves */
	for (size_t i = 0; i < set->n; i++) {
		struct held *h = &set->held[i];
		export_item *it = &set->items[i];
		it->originator_name = h->orig_name;
		it->body = h->readable ? &h->body : NULL;
		it->sightings = h->s;
		it->n_sightings = h->n_s;
		for (size_t k = 0; k < h->n_s; k++)
			h->s[k].org_name = h->s_names[k];
	}
out:
	free(w.ids);
	if (rep)
		s_set_clear(set);
	return rep;
}

/* Run fn into a memory stream; the text (malloc'd) or NULL with err. */
static char *s_capture(int (*fn)(FILE *, void *, sm_err *), void *arg, size_t *len,
    sm_err *err)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	int rc;

	if (!f) {
		sm_fail(err, SM_ENOMEM, "out of memory");
		return NULL;
	}
	rc = fn(f, arg, err);
	if (fclose(f) != 0 && rc == 0)
		rc = sm_fail(err, SM_EIO, "memory stream failed");
	if (rc != 0) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

/* ---- export ------------------------------------------------------------ */

struct export_run {
	enum export_format fmt;
	const struct item_set *set;
	export_opts opts;
};

static int s_write_export(FILE *f, void *arg, sm_err *err)
{
	struct export_run *r = arg;

	return export_write(f, r->fmt, r->set->items, r->set->n, &r->opts, err);
}

json_t *control_export(node_t *n, json_t *req)
{
	struct filter f = { .tlp = -1 };
	struct export_run run;
	struct item_set set;
	const char *fmt = json_string_value(json_object_get(req, "format")), *s;
	json_t *rep, *text;
	sm_err err = {0};
	size_t len = 0, exported = 0;
	char *doc;

	memset(&run, 0, sizeof(run));
	if (!fmt)
		return s_fail("export: format is required: stix21, misp or csv");
	if (export_format_parse(fmt, &run.fmt, &err) < 0)
		return s_fail_err("export", &err);
	if (json_object_get(req, "internal") && !json_is_boolean(json_object_get(req, "internal")))
		return s_fail("export: internal must be true or false");
	f.internal = run.opts.internal = json_is_true(json_object_get(req, "internal"));
	if (s_get_u64(req, "since_ms", &f.since) < 0 || s_get_u64(req, "until_ms", &f.until) < 0)
		return s_fail("export: since_ms and until_ms must be non-negative integers (ms since 1970)");
	if ((s = json_string_value(json_object_get(req, "tlp")))) {
		uint8_t t;
		if (tlp_parse(s, &t) < 0)
			return s_fail("export: unknown tlp '%s' (clear, green, amber, amber+strict, red)", s);
		f.tlp = t;
	}
	if ((s = json_string_value(json_object_get(req, "originator")))) {
		if (node_find_org(n, s, f.orig) < 0)
			return s_fail("export: no organization '%s' in this node's rosters", s);
		f.has_orig = true;
	}
	if ((s = json_string_value(json_object_get(req, "sig")))) {
		if (node_find_sig(n, s, f.sig) < 0)
			return s_fail("export: no SIG '%s' in this node's rosters", s);
		f.has_sig = true;
	}
	if ((rep = s_collect(n, &f, "export", &set)))
		return rep;
	run.set = &set;
	doc = s_capture(s_write_export, &run, &len, &err);
	if (!doc) {
		s_set_clear(&set);
		return s_fail_err("export", &err);
	}
	for (size_t i = 0; i < set.n; i++)
		if (set.items[i].body && export_allowed(&set.items[i], &run.opts))
			exported++;
	/* export output is built from bodies whose strings were checked as
	 * UTF-8 on decode; a NULL here would be a bug in export, not input */
	if (!(text = json_stringn(doc, len))) {
		free(doc);
		s_set_clear(&set);
		return s_fail("export: the %s document is not valid UTF-8", fmt);
	}
	free(doc);
	rep = json_pack("{s:b, s:o, s:s, s:I, s:I}", "ok", 1, "text", text,
	    "format", run.fmt == EXPORT_STIX21 ? "stix21" : run.fmt == EXPORT_MISP ? "misp" : "csv",
	    "reports", (json_int_t)set.n, "exported", (json_int_t)exported);
	s_set_clear(&set);
	return rep ? rep : s_fail("export: out of memory");
}

/* ---- stats ------------------------------------------------------------- */

static int s_write_stats(FILE *f, void *arg, sm_err *err)
{
	return stats_print(f, arg, err);
}

json_t *control_stats(node_t *n, json_t *req)
{
	struct filter f = { .tlp = -1 };
	struct item_set set;
	uint64_t from, to;
	stats_t st;
	sm_err err = {0};
	json_t *rep, *doc;
	char *js, *text;
	size_t len = 0;

	if (s_get_u64(req, "from_ms", &from) < 0 || s_get_u64(req, "to_ms", &to) < 0)
		return s_fail("stats: from_ms and to_ms must be non-negative integers (ms since 1970)");
	if (to && to <= from)
		return s_fail("stats: to_ms must be after from_ms");
	/* a report's time for stats is its first_seen_ms when known, which the
	 * store does not index: every report is read, stats_compute selects */
	if ((rep = s_collect(n, &f, "stats", &set)))
		return rep;
	memset(&st, 0, sizeof(st));
	if (stats_compute(set.items, set.n, from, to, &st, &err) < 0) {
		s_set_clear(&set);
		return s_fail_err("stats", &err);
	}
	s_set_clear(&set);
	js = stats_json(&st);
	text = s_capture(s_write_stats, &st, &len, &err);
	stats_clear(&st);
	doc = js ? json_loads(js, 0, NULL) : NULL;
	free(js);
	if (!doc || !text) {
		json_decref(doc);
		free(text);
		return s_fail("stats: out of memory");
	}
	rep = json_pack("{s:b, s:o, s:s%}", "ok", 1, "stats", doc, "text", text, len);
	free(text);
	return rep ? rep : s_fail("stats: the tables are not valid UTF-8");
}
