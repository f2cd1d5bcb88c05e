/*
 * node/stats.c — activity statistics (see stats.h).
 *
 * The "seen by several organizations" table is computed by listing every
 * (indicator, organization, report) triple, sorting, and counting distinct
 * organizations per indicator: O(T log T) for T triples, with no hash
 * table to size or bound.
 */
#include "node/stats.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "node/store.h"
#include "node/svg.h"
#include "proto/msg.h"

static const char *const s_tlp_names[5] = {
	"TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED",
};

static const char *s_ind_type(uint8_t t)
{
	switch (t) {
	case IND_EMAIL: return "email";
	case IND_DOMAIN: return "domain";
	case IND_IPV4: return "ipv4";
	case IND_IPV6: return "ipv6";
	case IND_URL: return "url";
	case IND_SHA256: return "sha256";
	default: return "other";
	}
}

/* Fiscal quarter index (fy * 4 + q - 1) of a UTC time, in Japan time. */
static int64_t s_qindex(uint64_t ms)
{
	time_t t = (time_t)(ms / 1000 + 9 * 3600);
	struct tm tm;
	if (ms / 1000 > (uint64_t)253402300799ULL || !gmtime_r(&t, &tm))
		return 9999 * 4 + 3;
	int year = tm.tm_year + 1900, mon = tm.tm_mon + 1;
	int fy = mon >= 4 ? year : year - 1;
	int q = ((mon + 8) % 12) / 3;	/* Apr-Jun 0 ... Jan-Mar 3 */
	return (int64_t)fy * 4 + q;
}

static void s_qlabel(int64_t idx, char out[16])
{
	snprintf(out, 16, "FY%04d Q%d", (int)(idx / 4) % 10000, (int)(idx % 4) + 1);
}

void stats_quarter_label(uint64_t ms, char out[16])
{
	s_qlabel(s_qindex(ms), out);
}

static uint64_t s_time(const export_item *it)
{
	if (it->body && it->body->first_seen_ms)
		return it->body->first_seen_ms;
	return it->created_ms;
}

static bool s_counted(const export_item *it, uint64_t from, uint64_t to)
{
	uint64_t t = s_time(it);
	return !it->retracted && t >= from && (to == 0 || t < to) &&
	    it->tlp <= SM_TLP_RED;
}

typedef struct triple {
	uint8_t type;
	char *value;
	const uint8_t *org;
	size_t report;
	bool origin;			/* org is the report's originator */
} triple;

typedef struct tcol {
	triple *t;
	size_t n, cap;
	size_t report;
	const export_item *it;
	bool oom;
} tcol;

static int s_push(tcol *c, const export_ind *in, const uint8_t *org,
    bool origin)
{
	if (c->n == c->cap) {
		size_t nc = c->cap ? 2 * c->cap : 64;
		triple *p = realloc(c->t, nc * sizeof *p);
		if (!p)
			return -1;
		c->t = p;
		c->cap = nc;
	}
	char *v = strdup(in->value);
	if (!v)
		return -1;
	c->t[c->n++] = (triple){ in->type, v, org, c->report, origin };
	return 0;
}

static int s_collect(void *ctx, const export_ind *in)
{
	tcol *c = ctx;
	if (!in->high_value)
		return 0;
	if (s_push(c, in, c->it->originator, true) < 0)
		goto oom;
	for (size_t s = 0; s < c->it->n_sightings; s++)
		if (c->it->sightings[s].kind == SM_SIGHT_SEEN &&
		    s_push(c, in, c->it->sightings[s].org, false) < 0)
			goto oom;
	return 0;
oom:
	c->oom = true;
	return -1;
}

static int s_tcmp(const void *a, const void *b)
{
	const triple *x = a, *y = b;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	int r = strcmp(x->value, y->value);
	if (r)
		return r;
	r = memcmp(x->org, y->org, 32);
	if (r)
		return r;
	return x->report < y->report ? -1 : x->report > y->report;
}

static int s_topcmp(const void *a, const void *b)
{
	const stats_top *x = a, *y = b;
	if (x->n_orgs != y->n_orgs)
		return x->n_orgs > y->n_orgs ? -1 : 1;
	if (x->n_reports != y->n_reports)
		return x->n_reports > y->n_reports ? -1 : 1;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	return strcmp(x->value, y->value);
}

void stats_clear(stats_t *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_top && i < STATS_TOP; i++)
		free(s->top[i].value);
	memset(s, 0, sizeof *s);
}

int stats_compute(const export_item *items, size_t n, uint64_t from_ms,
    uint64_t to_ms, stats_t *out, sm_err *err)
{
	int rc = -1;
	tcol c = { 0 };
	stats_top *cand = NULL;
	size_t n_cand = 0;
	memset(out, 0, sizeof *out);
	sm_err_clear(err);
	int64_t qmin = INT64_MAX, qmax = INT64_MIN;
	for (size_t i = 0; i < n; i++) {
		if (!s_counted(&items[i], from_ms, to_ms))
			continue;
		int64_t q = s_qindex(s_time(&items[i]));
		if (q < qmin) qmin = q;
		if (q > qmax) qmax = q;
	}
	if (qmin != INT64_MAX) {
		if (qmax - qmin + 1 > STATS_MAX_QUARTERS)
			return sm_fail(err, SM_EBOUND,
			    "stats: reports span %lld quarters, max %d: narrow the range",
			    (long long)(qmax - qmin + 1), STATS_MAX_QUARTERS);
		out->n_quarters = (size_t)(qmax - qmin + 1);
		for (size_t k = 0; k < out->n_quarters; k++)
			s_qlabel(qmin + (int64_t)k, out->quarters[k].label);
	}
	for (size_t i = 0; i < n; i++) {
		const export_item *it = &items[i];
		if (!s_counted(it, from_ms, to_ms))
			continue;
		out->n_reports++;
		out->quarters[s_qindex(s_time(it)) - qmin].n++;
		out->tlp[it->tlp]++;
		const body_t *b = it->body;
		if (!b)
			continue;
		out->n_readable++;
		out->mail_type[b->mail_type < 4 ? b->mail_type : 0]++;
		out->sender_class[b->sender_class < 5 ? b->sender_class : 0]++;
		for (size_t k = 0; k < b->n_atts; k++) {
			out->n_atts++;
			out->file_class[b->atts[k].file_class < 8 ?
			    b->atts[k].file_class : 0]++;
		}
		c.it = it;
		c.report = i;
		if (export_indicators(b, s_collect, &c) != 0 && c.oom) {
			sm_fail(err, SM_ENOMEM, "stats: out of memory");
			goto out;
		}
	}
	if (c.n > 0)
		qsort(c.t, c.n, sizeof *c.t, s_tcmp);
	/* one candidate per distinct (type, value) seen by >= 2 orgs */
	cand = calloc(c.n ? c.n : 1, sizeof *cand);
	if (!cand) {
		sm_fail(err, SM_ENOMEM, "stats: out of memory");
		goto out;
	}
	for (size_t i = 0; i < c.n;) {
		size_t j = i;
		uint32_t orgs = 0, reps = 0;
		const triple *last = NULL;	/* last originator triple */
		while (j < c.n && c.t[j].type == c.t[i].type &&
		    !strcmp(c.t[j].value, c.t[i].value)) {
			if (j == i || memcmp(c.t[j].org, c.t[j - 1].org, 32))
				orgs++;
			/* each report has one originator triple per value (twice
			 * if the body names the value twice: adjacent, skipped) */
			if (c.t[j].origin && (!last || last->report != c.t[j].report)) {
				reps++;
				last = &c.t[j];
			}
			j++;
		}
		if (orgs >= 2)
			cand[n_cand++] = (stats_top){ c.t[i].type, c.t[i].value,
			    orgs, reps };
		i = j;
	}
	if (n_cand > 1)	/* qsort needs a valid pointer even for 0 items */
		qsort(cand, n_cand, sizeof *cand, s_topcmp);
	for (size_t i = 0; i < n_cand && i < STATS_TOP; i++) {
		out->top[i] = cand[i];
		out->top[i].value = strdup(cand[i].value);
		if (!out->top[i].value) {
			sm_fail(err, SM_ENOMEM, "stats: out of memory");
			goto out;
		}
		out->n_top = i + 1;
	}
	rc = 0;
out:
	for (size_t i = 0; i < c.n; i++)
		free(c.t[i].value);
	free(c.t);
	free(cand);
	if (rc != 0)
		stats_clear(out);
	return rc;
}

/* ---- output ------------------------------------------------------------- */

typedef struct table {
	const char *title, *file;
	size_t n;
	const char *labels[STATS_MAX_QUARTERS];
	uint64_t values[STATS_MAX_QUARTERS];
	bool pie;
} table;

/* The tables stats_print, stats_json and stats_svg share; labels point
 * into s or into static names. */
static size_t s_tables(const stats_t *s, table t[6])
{
	size_t k = 0;
	t[k] = (table){ .title = "Reports per fiscal quarter", .file = "quarters",
	    .n = s->n_quarters };
	for (size_t i = 0; i < s->n_quarters; i++) {
		t[k].labels[i] = s->quarters[i].label;
		t[k].values[i] = s->quarters[i].n;
	}
	k++;
	t[k] = (table){ .title = "Mail types", .file = "mail_types", .n = 4,
	    .pie = true };
	for (uint8_t i = 0; i < 4; i++) {
		t[k].labels[i] = body_mail_type_name(i);
		t[k].values[i] = s->mail_type[i];
	}
	k++;
	t[k] = (table){ .title = "Attachment file classes", .file = "attachments",
	    .n = 8, .pie = true };
	for (uint8_t i = 0; i < 8; i++) {
		t[k].labels[i] = body_file_class_name(i);
		t[k].values[i] = s->file_class[i];
	}
	k++;
	t[k] = (table){ .title = "Sender address classes", .file = "senders",
	    .n = 5, .pie = true };
	for (uint8_t i = 0; i < 5; i++) {
		t[k].labels[i] = body_sender_class_name(i);
		t[k].values[i] = s->sender_class[i];
	}
	k++;
	t[k] = (table){ .title = "TLP labels", .file = "tlp", .n = 5, .pie = true };
	for (uint8_t i = 0; i < 5; i++) {
		t[k].labels[i] = s_tlp_names[i];
		t[k].values[i] = s->tlp[i];
	}
	k++;
	if (s->n_top > 0) {
		t[k] = (table){ .title = "Indicators seen by several organizations "
		    "(organizations)", .file = "top_indicators", .n = s->n_top };
		for (size_t i = 0; i < s->n_top; i++) {
			t[k].labels[i] = s->top[i].value;
			t[k].values[i] = s->top[i].n_orgs;
		}
		k++;
	}
	return k;
}

static double s_pct(uint64_t v, uint64_t total)
{
	return total ? 100.0 * (double)v / (double)total : 0.0;
}

int stats_print(FILE *out, const stats_t *s, sm_err *err)
{
	table *t = calloc(6, sizeof *t);
	if (!t)
		return sm_fail(err, SM_ENOMEM, "stats: out of memory");
	size_t nt = s_tables(s, t);
	fprintf(out, "Reports: %llu (%llu readable)\n",
	    (unsigned long long)s->n_reports, (unsigned long long)s->n_readable);
	for (size_t k = 0; k < nt; k++) {
		uint64_t total = 0;
		for (size_t i = 0; i < t[k].n; i++)
			total += t[k].values[i];
		fprintf(out, "\n%s\n", t[k].title);
		for (size_t i = 0; i < t[k].n; i++) {
			if (k == nt - 1 && s->n_top > 0 && t[k].labels[i] ==
			    s->top[i].value)
				fprintf(out, "  %-7s %-48.200s %6llu orgs %4u reports\n",
				    s_ind_type(s->top[i].type), t[k].labels[i],
				    (unsigned long long)t[k].values[i],
				    s->top[i].n_reports);
			else
				fprintf(out, "  %-24s %8llu %6.1f%%\n", t[k].labels[i],
				    (unsigned long long)t[k].values[i],
				    s_pct(t[k].values[i], total));
		}
	}
	free(t);
	if (ferror(out) || fflush(out) != 0)
		return sm_fail(err, SM_EIO, "stats: write failed");
	return 0;
}

char *stats_json(const stats_t *s)
{
	table *t = calloc(6, sizeof *t);
	json_t *doc = json_object();
	char *res = NULL;
	bool bad = !t || !doc;
	if (bad)
		goto out;
	size_t nt = s_tables(s, t);
	bad |= json_object_set_new(doc, "reports", json_integer((json_int_t)s->n_reports)) != 0;
	bad |= json_object_set_new(doc, "readable", json_integer((json_int_t)s->n_readable)) != 0;
	for (size_t k = 0; k < nt; k++) {
		json_t *arr = json_array();
		uint64_t total = 0;
		for (size_t i = 0; i < t[k].n; i++)
			total += t[k].values[i];
		for (size_t i = 0; i < t[k].n; i++) {
			json_t *row = json_pack("{s:s, s:I, s:f}", "label",
			    t[k].labels[i], "count", (json_int_t)t[k].values[i],
			    "percent", s_pct(t[k].values[i], total));
			if (row && !strcmp(t[k].file, "top_indicators")) {
				json_object_set_new(row, "type",
				    json_string(s_ind_type(s->top[i].type)));
				json_object_set_new(row, "reports",
				    json_integer(s->top[i].n_reports));
			}
			bad |= !row || json_array_append_new(arr, row) != 0;
		}
		bad |= json_object_set_new(doc, t[k].file, arr) != 0;
	}
	if (!bad)
		res = json_dumps(doc, JSON_INDENT(1) | JSON_SORT_KEYS);
out:
	json_decref(doc);
	free(t);
	return res;
}

int stats_svg(const stats_t *s, const char *dir, sm_err *err)
{
	table *t = calloc(6, sizeof *t);
	svg_slice *sl = calloc(STATS_MAX_QUARTERS, sizeof *sl);
	int rc = -1;
	sm_err_clear(err);
	if (!t || !sl) {
		sm_fail(err, SM_ENOMEM, "stats: out of memory");
		goto out;
	}
	size_t nt = s_tables(s, t);
	for (size_t k = 0; k < nt; k++) {
		char path[4096];
		if ((size_t)snprintf(path, sizeof path, "%s/%s.svg", dir,
		    t[k].file) >= sizeof path) {
			sm_fail(err, SM_EINVAL, "stats: directory name too long");
			goto out;
		}
		for (size_t i = 0; i < t[k].n; i++)
			sl[i] = (svg_slice){ t[k].labels[i], t[k].values[i] };
		FILE *f = fopen(path, "w");
		if (!f) {
			sm_fail(err, SM_EIO, "stats: %s: %s", path, strerror(errno));
			goto out;
		}
		int r = t[k].pie ? svg_pie_chart(f, t[k].title, sl, t[k].n, err) :
		    svg_bar_chart(f, t[k].title, sl, t[k].n, err);
		if (fclose(f) != 0 && r == 0)
			r = sm_fail(err, SM_EIO, "stats: %s: close failed", path);
		if (r != 0)
			goto out;
	}
	rc = 0;
out:
	free(t);
	free(sl);
	return rc;
}
