/*
 * sim/measure.c — what actually happened, read back from every node's
 * `dump` (node/control.h) and judged against what should have happened.
 *
 * For each object the run created (report, release, sighting, retraction)
 * the expected audience comes from audience.c, i.e. from the profile and
 * the audience the simulator itself asked for, never from the node:
 *   coverage  share of the expected audience that stored the object
 *   leak      a node outside the report's full audience (all its releases
 *             included) holding the object, readable or not
 *   latency   received_ms at a node minus the wall-clock time the simulator
 *             sent the submission (the nodes share this machine's clock)
 *
 * Storage: one int64 per (object, organization): the received_ms, or -1.
 * That is 8 bytes x objects x orgs (~2.5 MB for 59 orgs and 5000 objects).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "sim/sim.h"

#define MAX_EXAMPLES 20

struct measure {
	const profile *p;		/* borrowed */
	const workload *w;		/* borrowed */
	int64_t *recv;			/* [ev][org] received_ms or -1; owned */
	int *tab;			/* id hash table of event indices, -1 empty; owned */
	size_t tab_cap;
	int indexed;			/* events with ids when tab was built */
	long unknown;			/* dump items whose id the run did not create */
	double *lat[TLP_N];		/* delivery latency samples (ms); owned */
	size_t n_lat[TLP_N];
};

static int s_cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

sim_pct pct_compute(const double *v, size_t n)
{
	sim_pct r = { 0 };
	double *c;

	if (n == 0)
		return r;
	c = malloc(n * sizeof(double));
	if (!c)
		return r;
	memcpy(c, v, n * sizeof(double));
	if (n > 1)	/* qsort needs a valid pointer even for 0 items */
		qsort(c, n, sizeof(double), s_cmpd);
	/* nearest rank: the smallest value with at least q of the samples <= it */
#define RANK(q) c[(size_t)((q) * n + 0.999999) > 0 ? (size_t)((q) * n + 0.999999) - 1 : 0]
	r.p50 = RANK(0.50);
	r.p90 = RANK(0.90);
	r.p99 = RANK(0.99);
#undef RANK
	r.max = c[n - 1];
	r.n = n;
	free(c);
	return r;
}

static uint64_t s_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return h;
}

measure *measure_new(const profile *p, const workload *w)
{
	measure *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->p = p;
	m->w = w;
	m->recv = malloc((size_t)w->n * (size_t)p->n_orgs * sizeof(int64_t));
	m->tab_cap = 16;
	while (m->tab_cap < (size_t)w->n * 2)
		m->tab_cap *= 2;
	m->tab = malloc(m->tab_cap * sizeof(int));
	if (!m->recv || !m->tab) {
		measure_destroy(&m);
		return NULL;
	}
	for (size_t i = 0; i < (size_t)w->n * (size_t)p->n_orgs; i++)
		m->recv[i] = -1;
	m->indexed = -1;
	return m;
}

void measure_destroy(measure **mp)
{
	if (mp && *mp) {
		measure *m = *mp;

		free(m->recv);
		free(m->tab);
		for (int i = 0; i < TLP_N; i++)
			free(m->lat[i]);
		free(m);
		*mp = NULL;
	}
}

static void s_index(measure *m)
{
	int n = 0;

	for (int i = 0; i < m->w->n; i++)
		n += m->w->ev[i].id[0] != '\0';
	if (n == m->indexed)
		return;
	for (size_t k = 0; k < m->tab_cap; k++)
		m->tab[k] = -1;
	for (int i = 0; i < m->w->n; i++) {
		const char *id = m->w->ev[i].id;
		size_t k;

		if (!id[0])
			continue;
		for (k = s_hash(id) & (m->tab_cap - 1); m->tab[k] >= 0; k = (k + 1) & (m->tab_cap - 1))
			;
		m->tab[k] = i;
	}
	m->indexed = n;
}

static int s_lookup(const measure *m, const char *id)
{
	for (size_t k = s_hash(id) & (m->tab_cap - 1); m->tab[k] >= 0; k = (k + 1) & (m->tab_cap - 1))
		if (strcmp(m->w->ev[m->tab[k]].id, id) == 0)
			return m->tab[k];
	return -1;
}

int measure_dump(measure *m, testnet *t, int i)
{
	sim_node *nd = &t->nodes[i];
	int added = 0;

	if (nd->state != NS_UP)
		return -1;
	s_index(m);
	for (int page = 0; page < 1000; page++) {
		json_t *req = json_pack("{s:s, s:I}", "cmd", "dump", "after", (json_int_t)nd->dump_after);
		char e[160];
		json_t *rep = ctl_call(nd->ctl, req, 5000, e, sizeof(e));
		json_t *items, *it;
		size_t k;

		json_decref(req);
		if (!rep)
			return added ? added : -1;
		items = json_object_get(rep, "items");
		json_array_foreach(items, k, it) {
			const char *id = json_string_value(json_object_get(it, "id"));
			json_t *rv = json_object_get(it, "received_ms");
			int ev = id ? s_lookup(m, id) : -1;
			int64_t *slot;

			if (ev < 0) {
				m->unknown++;
				continue;
			}
			slot = &m->recv[(size_t)ev * m->p->n_orgs + i];
			if (*slot < 0) {
				*slot = json_is_integer(rv) ? json_integer_value(rv) : 0;
				added++;
			}
		}
		json_t *last = json_object_get(rep, "last");
		uint64_t nl = json_is_integer(last) ? (uint64_t)json_integer_value(last) : nd->dump_after;
		bool more = json_array_size(items) > 0 && nl > nd->dump_after;

		nd->dump_after = nl;
		json_decref(rep);
		if (!more)
			break;
	}
	return added;
}

/* ---- expected sets ---- */

/* The audience of report r with the releases sent up to time `until`
 * (INT64_MAX: all of them), into set. */
static void s_report_set(const measure *m, int r, int64_t until, uint8_t *set)
{
	const workload *w = m->w;
	const sim_event *rep = &w->ev[r];
	sim_aud rel[32];
	int n_rel = 0;

	for (int i = w->n_reports; i < w->n && n_rel < 32; i++) {
		const sim_event *e = &w->ev[i];

		if (e->kind == EV_RELEASE && e->report == r && e->state == ES_DONE && e->sent_ms <= until)
			rel[n_rel++] = e->aud;
	}
	audience_expected(m->p, rep->tlp, &rep->aud, rel, n_rel, rep->org, set);
}

/* target: who must hold event ev; bound: who may. */
static void s_sets(const measure *m, int ev, uint8_t *target, uint8_t *bound)
{
	const sim_event *e = &m->w->ev[ev];
	int r = e->kind == EV_SUBMIT ? ev : e->report;

	s_report_set(m, r, INT64_MAX, bound);
	switch (e->kind) {
	case EV_SUBMIT:
		memcpy(target, bound, m->p->n_orgs);
		break;
	case EV_SIGHT:
		if (e->originator_only) {
			memset(target, 0, m->p->n_orgs);
			target[e->org] = 1;
			target[m->w->ev[r].org] = 1;
			break;
		}
		/* fall through */
	default:
		s_report_set(m, r, e->sent_ms, target);
		break;
	}
}

long measure_missing(const measure *m)
{
	int n = m->p->n_orgs;
	uint8_t *tg = malloc(n), *bd = malloc(n);
	long miss = 0;

	if (!tg || !bd) {
		free(tg);
		free(bd);
		return -1;
	}
	for (int ev = 0; ev < m->w->n; ev++) {
		if (m->w->ev[ev].state != ES_DONE)
			continue;
		s_sets(m, ev, tg, bd);
		for (int o = 0; o < n; o++)
			miss += tg[o] && m->recv[(size_t)ev * n + o] < 0;
	}
	free(tg);
	free(bd);
	return miss;
}

long measure_leaks(const measure *m)
{
	int n = m->p->n_orgs;
	uint8_t *tg = malloc(n), *bd = malloc(n);
	long leaks = 0;

	if (!tg || !bd) {
		free(tg);
		free(bd);
		return -1;
	}
	for (int ev = 0; ev < m->w->n; ev++) {
		if (m->w->ev[ev].state != ES_DONE)
			continue;
		s_sets(m, ev, tg, bd);
		for (int o = 0; o < n; o++)
			leaks += !bd[o] && m->recv[(size_t)ev * n + o] >= 0;
	}
	free(tg);
	free(bd);
	return leaks;
}

static void s_lat_add(measure *m, int tlp, double v)
{
	double *p = realloc(m->lat[tlp], (m->n_lat[tlp] + 1) * sizeof(double));

	if (!p)
		return;
	m->lat[tlp] = p;
	p[m->n_lat[tlp]++] = v;
}

const double *measure_latencies(const measure *m, int tlp, size_t *n)
{
	*n = m->n_lat[tlp];
	return m->lat[tlp];
}

/* Append x to the growing array *v (n used of cap); -1 out of memory. */
static int s_push(double **v, size_t *n, size_t *cap, double x)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 256;
		double *p = realloc(*v, c * sizeof(double));

		if (!p)
			return -1;
		*v = p;
		*cap = c;
	}
	(*v)[(*n)++] = x;
	return 0;
}

#define SLOWEST 8	/* report copies at unfaulted nodes listed, slowest first */

static json_t *s_pct_json(const double *v, size_t n)
{
	sim_pct p = pct_compute(v, n);

	if (!n)
		return json_pack("{s:i}", "n", 0);
	return json_pack("{s:I, s:f, s:f, s:f, s:f}", "n", (json_int_t)p.n, "p50", p.p50,
	    "p90", p.p90, "p99", p.p99, "max", p.max);
}

static long long s_du(const char *dir)
{
	char path[SIM_MAX_PATH + 300];
	long long total = 0;
	struct dirent *d;
	struct stat st;
	DIR *dp = opendir(dir);

	if (!dp)
		return -1;
	while ((d = readdir(dp))) {
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
			total += (long long)st.st_blocks * 512;
	}
	closedir(dp);
	return total;
}

static json_t *s_status_int(const sim_node *nd, const char *key)
{
	json_t *v = nd->status ? json_object_get(nd->status, key) : NULL;

	return json_is_integer(v) ? json_integer(json_integer_value(v)) : json_null();
}

/* a node's duplicate counters, by the path the copy came on */
#define DUP_PATHS 5
static const char *const dup_path[DUP_PATHS] = { "dup_tree", "dup_graft", "dup_recon", "dup_origin", "dup_foreign" };

static const char *const kind_names[EV_N] = { "report", "release", "sighting", "retraction" };

json_t *measure_results(measure *m, const testnet *t)
{
	const profile *p = m->p;
	const workload *w = m->w;
	int n = p->n_orgs;
	uint8_t *tg = malloc(n), *bd = malloc(n), *bs = malloc(n);
	int64_t rel_ms = 0;
	long exp_k[EV_N] = { 0 }, got_k[EV_N] = { 0 }, cnt_k[EV_N] = { 0 };
	long exp_t[TLP_N] = { 0 }, got_t[TLP_N] = { 0 }, rep_t[TLP_N] = { 0 };
	long leaks = 0, missing = 0, failed = 0, skipped = 0;
	double *compl[TLP_N] = { 0 }, *fl[EV_N] = { 0 };
	size_t n_compl[TLP_N] = { 0 }, n_fl[EV_N] = { 0 }, cap_fl[EV_N] = { 0 };
	json_t *res = NULL, *leak_ex = json_array(), *loss_ex = json_array();
	json_t *lat = json_object(), *cmp_j = json_object(), *pt = json_object(), *kinds = json_object();
	json_t *nodes = json_array(), *fol = json_object();
	double cpu_tot = 0, rss_max = 0, rss_sum = 0;
	long long store_tot = 0, dup_tot = 0, recv_tot = 0, sent_tot = 0, frames_tot = 0, ihave_tot = 0, rpush_tot = 0;
	long long dup_path_tot[DUP_PATHS] = {0};
	bool dup_known = false;
	/* per recipient's home SIG: report deliveries and their latencies */
	int ns = p->n_sigs;
	long *exp_s = calloc((size_t)ns, sizeof(long)), *got_s = calloc((size_t)ns, sizeof(long));
	long *miss_o = calloc((size_t)n, sizeof(long));
	double **sl = calloc((size_t)ns, sizeof(double *)), *call = calloc((size_t)w->n + 1, sizeof(double));
	size_t *n_sl = calloc((size_t)ns, sizeof(size_t)), *cap_sl = calloc((size_t)ns, sizeof(size_t));
	size_t n_call = 0, body_n = 0;
	/* report deliveries to nodes no fault acted on: how the rest of the
	 * network fared while some nodes were down (the repair around them) */
	double *up = NULL;
	size_t n_up = 0, cap_up = 0;
	struct { double l; int ev, o; } slow[SLOWEST] = {{0}};	/* the slowest of those, slowest first */
	size_t n_slow = 0;
	json_t *slow_j = json_array();
	double body_sum = 0;
	json_t *per_sig = json_array(), *catchup = json_array();

	if (!tg || !bd || !bs || !exp_s || !got_s || !miss_o || !sl || !call || !n_sl || !cap_sl)
		goto out;
	for (int i = 0; i < TLP_N; i++) {
		free(m->lat[i]);
		m->lat[i] = NULL;
		m->n_lat[i] = 0;
		compl[i] = calloc((size_t)w->n + 1, sizeof(double));
	}
	for (int ev = 0; ev < w->n; ev++) {
		const sim_event *e = &w->ev[ev];
		int64_t last = 0;
		int held = 0, want = 0;

		if (e->state == ES_FAILED)
			failed++;
		if (e->state == ES_SKIPPED)
			skipped++;
		if (e->state != ES_DONE)
			continue;
		cnt_k[e->kind]++;
		if (e->kind == EV_SUBMIT) {
			sim_aud none = { 0 };

			rep_t[e->tlp]++;
			if (e->body) {
				body_sum += (double)strlen(e->body);
				body_n++;
			}
			audience_expected(p, e->tlp, &e->aud, &none, 0, e->org, bs);
			rel_ms = 0;
			for (int r2 = w->n_reports; r2 < w->n && !rel_ms; r2++) {
				const sim_event *x = &w->ev[r2];

				if (x->kind == EV_RELEASE && x->report == ev && x->state == ES_DONE)
					rel_ms = x->sent_ms;
			}
		}
		s_sets(m, ev, tg, bd);
		for (int o = 0; o < n; o++) {
			int64_t rv = m->recv[(size_t)ev * n + o];

			if (!bd[o] && rv >= 0) {
				leaks++;
				if (json_array_size(leak_ex) < MAX_EXAMPLES)
					json_array_append_new(leak_ex, json_pack("{s:s, s:s, s:s, s:s, s:s}",
					    "id", e->id, "type", kind_names[e->kind], "tlp", sim_tlp_label(e->tlp),
					    "originator", p->orgs[w->ev[e->kind == EV_SUBMIT ? ev : e->report].org].name,
					    "holder", p->orgs[o].name));
			}
			if (!tg[o])
				continue;
			want++;
			if (e->kind == EV_SUBMIT)
				exp_s[p->orgs[o].home]++;
			if (rv < 0) {
				missing++;
				miss_o[o]++;
				if (json_array_size(loss_ex) < MAX_EXAMPLES)
					json_array_append_new(loss_ex, json_pack("{s:s, s:s, s:s, s:s}",
					    "id", e->id, "type", kind_names[e->kind], "tlp", sim_tlp_label(e->tlp),
					    "node", p->orgs[o].name));
				continue;
			}
			held++;
			if (e->kind == EV_SUBMIT)
				got_s[p->orgs[o].home]++;
			if (o == e->org)
				continue;	/* the actor's own copy is not a delivery */
			double l = (double)(rv - e->sent_ms);
			/* a report reaching a released-to org is timed from the release */
			if (e->kind == EV_SUBMIT && !bs[o] && rel_ms > 0)
				l = (double)(rv - rel_ms);
			if (l < 0)
				l = 0;
			if ((int64_t)l > last)
				last = (int64_t)l;
			if (e->kind == EV_SUBMIT) {
				int g = p->orgs[o].home;

				s_lat_add(m, e->tlp, l);
				if (!t->nodes[o].faulted && !t->nodes[o].crashes) {
					if (s_push(&up, &n_up, &cap_up, l) < 0)
						continue;
					size_t at = n_slow < SLOWEST ? n_slow++ : SLOWEST;
					while (at > 0 && slow[at - 1].l < l) {
						if (at < SLOWEST)
							slow[at] = slow[at - 1];
						at--;
					}
					if (at < SLOWEST) {
						slow[at].l = l;
						slow[at].ev = ev;
						slow[at].o = o;
					}
				}
				s_push(&sl[g], &n_sl[g], &cap_sl[g], l);
			} else {
				int k = e->kind;

				s_push(&fl[k], &n_fl[k], &cap_fl[k], l);
			}
		}
		exp_k[e->kind] += want;
		got_k[e->kind] += held;
		if (e->kind == EV_SUBMIT) {
			exp_t[e->tlp] += want;
			got_t[e->tlp] += held;
			if (held == want && compl[e->tlp])
				compl[e->tlp][n_compl[e->tlp]++] = (double)last;
			if (held == want)
				call[n_call++] = (double)last;
		}
	}
	for (int i = 0; i < TLP_N; i++) {
		json_object_set_new(lat, sim_tlp_label(i), s_pct_json(m->lat[i], m->n_lat[i]));
		json_object_set_new(cmp_j, sim_tlp_label(i), s_pct_json(compl[i], n_compl[i]));
		json_object_set_new(pt, sim_tlp_label(i), json_pack("{s:i, s:i, s:i, s:f}",
		    "reports", (int)rep_t[i], "expected", (int)exp_t[i], "stored", (int)got_t[i],
		    "coverage", exp_t[i] ? (double)got_t[i] / exp_t[i] : 1.0));
	}
	for (int g = 0; g < ns; g++)
		json_array_append_new(per_sig, json_pack("{s:s, s:i, s:I, s:I, s:f, s:o}",
		    "sig", p->sigs[g].name, "home_members", p->sigs[g].n_home,
		    "expected", (json_int_t)exp_s[g], "stored", (json_int_t)got_s[g],
		    "coverage", exp_s[g] ? (double)got_s[g] / exp_s[g] : 1.0,
		    "latency_ms", s_pct_json(sl[g], n_sl[g])));
	for (int k = 0; k < EV_N; k++) {
		json_object_set_new(kinds, kind_names[k], json_pack("{s:i, s:i, s:i}",
		    "created", (int)cnt_k[k], "expected", (int)exp_k[k], "stored", (int)got_k[k]));
		if (k != EV_SUBMIT)
			json_object_set_new(fol, kind_names[k], s_pct_json(fl[k], n_fl[k]));
	}
	for (int i = 0; i < t->n; i++) {
		const sim_node *nd = &t->nodes[i];
		json_t *sigs = json_array(), *st_b = s_status_int(nd, "store_bytes");
		json_t *dup = s_status_int(nd, "duplicates"), *rcv = s_status_int(nd, "received_objects");
		json_t *bs = s_status_int(nd, "bytes_sent");
		long held = 0;
		double cpu = nd->cpu_prev_s + nd->cpu_last_s;

		for (int k = 0; k < p->orgs[i].n_sigs; k++)
			json_array_append_new(sigs, json_string(p->sigs[p->orgs[i].sigs[k]].name));
		long after = 0;
		int64_t last_in = 0;

		for (int ev = 0; ev < w->n; ev++) {
			int64_t rv = m->recv[(size_t)ev * n + i];

			held += rv >= 0;
			if (nd->healed && rv >= nd->back_ms) {
				after++;
				if (rv > last_in)
					last_in = rv;
			}
		}
		/* A node the heal brought back: how long until it had everything,
		 * what it fetched, and the bytes it received doing so (counters of
		 * its current incarnation, which began at the heal). */
		if (nd->healed)
			json_array_append_new(catchup, json_pack("{s:s, s:I, s:I, s:I, s:o, s:I}",
			    "name", nd->name, "objects", (json_int_t)after,
			    "ready_ms", (json_int_t)nd->ready_after_ms,
			    "catchup_ms", (json_int_t)(after ? last_in - nd->back_ms : 0),
			    "bytes_received", s_status_int(nd, "bytes_received"),
			    "missing", (json_int_t)miss_o[i]));
		if (json_is_null(st_b)) {
			json_decref(st_b);
			long long du = s_du(nd->dir);
			st_b = du >= 0 ? json_integer(du) : json_null();
		}
		cpu_tot += cpu;
		rss_sum += nd->rss_peak_kb;
		if (nd->rss_peak_kb > rss_max)
			rss_max = nd->rss_peak_kb;
		store_tot += json_integer_value(st_b);
		if (json_is_integer(dup) && json_is_integer(rcv)) {
			dup_known = true;
			dup_tot += json_integer_value(dup);
			recv_tot += json_integer_value(rcv);
		}
		sent_tot += json_integer_value(bs);
		{
			json_t *fs = s_status_int(nd, "frames_sent"), *ih = s_status_int(nd, "sent_ihave");
			json_t *rp = s_status_int(nd, "recon_objects");
			for (int k = 0; k < DUP_PATHS; k++) {
				json_t *v = s_status_int(nd, dup_path[k]);
				dup_path_tot[k] += json_integer_value(v);
				json_decref(v);
			}
			frames_tot += json_integer_value(fs);
			ihave_tot += json_integer_value(ih);
			rpush_tot += json_integer_value(rp);
			json_decref(fs);
			json_decref(ih);
			json_decref(rp);
		}
		json_array_append_new(nodes, json_pack("{s:s, s:o, s:i, s:f, s:i, s:o, s:I, s:o, s:o, s:o, s:o, s:i, s:i, s:i, s:i, s:i, s:I}",
		    "name", nd->name, "sigs", sigs, "port", nd->port, "cpu_s", cpu,
		    "rss_peak_kb", (int)nd->rss_peak_kb, "store_bytes", st_b, "objects_held", (json_int_t)held,
		    "received_objects", rcv, "duplicates", dup, "bytes_sent", bs,
		    "bytes_received", s_status_int(nd, "bytes_received"),
		    "starts", nd->starts, "kills", nd->kills, "pauses", nd->pauses, "stops", nd->stops,
		    "crashes", nd->crashes, "first_ready_ms", (json_int_t)nd->ready_ms_first));
		json_t *row = json_array_get(nodes, json_array_size(nodes) - 1);
		json_object_set_new(row, "missing", json_integer(miss_o[i]));
		/* connection churn: redials on contact, handshakes that failed
		 * (timeouts on a busy machine) */
		json_object_set_new(row, "redials", s_status_int(nd, "redials"));
		json_object_set_new(row, "handshakes_failed", s_status_int(nd, "handshakes_failed"));
		/* reconciliation sessions it started, and with how many neighbours */
		json_object_set_new(row, "recon_sessions", s_status_int(nd, "recon_sessions"));
		json_object_set_new(row, "neighbors", s_status_int(nd, "neighbors"));
		/* objects it pushed to neighbours that a session found lacking
		 * them: the reconciliation share of the copies */
		json_object_set_new(row, "recon_objects", s_status_int(nd, "recon_objects"));
	}
	long exp_all = 0, got_all = 0;
	for (int k = 0; k < EV_N; k++) {
		exp_all += exp_k[k];
		got_all += got_k[k];
	}
	res = json_pack("{s:o, s:{s:I, s:I, s:I, s:f}, s:{s:I, s:o}, s:o, s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:o}",
	    "objects", kinds,
	    "deliveries", "expected", (json_int_t)exp_all, "stored", (json_int_t)got_all,
	    "missing", (json_int_t)missing, "coverage", exp_all ? (double)got_all / exp_all : 1.0,
	    "leaks", "count", (json_int_t)leaks, "examples", leak_ex,
	    "losses", loss_ex,
	    "unknown_objects", (json_int_t)m->unknown,
	    "actions_failed", (json_int_t)failed, "actions_skipped", (json_int_t)skipped,
	    "latency_ms", lat, "completion_ms", cmp_j, "per_tlp", pt, "followup_latency_ms", fol,
	    "nodes", nodes);
	if (res) {
		json_object_set_new(res, "completion_all_ms", s_pct_json(call, n_call));
		/* how long nodes took to answer the simulator's requests: an
		 * analyst's wait for `sigmesh submit` on such a node */
		double *ans = malloc(((size_t)w->n + 1) * sizeof(double));
		size_t n_ans = 0;

		for (int ev = 0; ans && ev < w->n; ev++)
			if (w->ev[ev].state == ES_DONE)
				ans[n_ans++] = (double)w->ev[ev].reply_ms;
		if (ans)
			json_object_set_new(res, "action_reply_ms", s_pct_json(ans, n_ans));
		free(ans);
		json_t *uf = s_pct_json(up, n_up);
		size_t late = 0;

		/* later than gossip's repair (an announcement and a graft, at
		 * most a second or two): left to reconciliation */
		for (size_t k = 0; k < n_up; k++)
			late += up[k] > 3000;
		json_object_set_new(uf, "over_3s", json_integer((json_int_t)late));
		json_object_set_new(res, "latency_unfaulted_ms", uf);
		for (size_t k = 0; k < n_slow; k++) {
			const sim_event *e = &w->ev[slow[k].ev];
			json_array_append_new(slow_j, json_pack("{s:s, s:s, s:s, s:s, s:f}", "id", e->id,
			    "tlp", sim_tlp_label(e->tlp), "originator", p->orgs[e->org].name,
			    "node", p->orgs[slow[k].o].name, "ms", slow[k].l));
		}
		json_object_set_new(res, "slowest_unfaulted", slow_j);
		slow_j = NULL;
		json_object_set_new(res, "per_sig", per_sig);
		json_object_set_new(res, "catchup", catchup);
		per_sig = catchup = NULL;
	}
	if (res)
		json_object_set_new(res, "overhead", json_pack("{s:f, s:f, s:f, s:f, s:I, s:o, s:o, s:o, s:I}",
		    "cpu_s_total", cpu_tot, "cpu_s_mean", t->n ? cpu_tot / t->n : 0.0,
		    "rss_peak_kb_mean", t->n ? rss_sum / t->n : 0.0, "rss_peak_kb_max", rss_max,
		    "store_bytes_total", (json_int_t)store_tot,
		    "received_objects_total", dup_known ? json_integer(recv_tot) : json_null(),
		    "duplicates_total", dup_known ? json_integer(dup_tot) : json_null(),
		    "duplicate_ratio", dup_known && recv_tot ? json_real((double)dup_tot / recv_tot) : json_null(),
		    "bytes_sent_total", (json_int_t)sent_tot));
	/* copies of an object a node receives from peers, the first included;
	 * bytes sent per object received anywhere (every copy is somebody's
	 * send); the mean report body, the size these are compared with */
	if (res && dup_known && recv_tot > 0) {
		json_t *ov = json_object_get(res, "overhead");

		json_object_set_new(ov, "copies_per_object", json_real((double)(recv_tot + dup_tot) / recv_tot));
		json_object_set_new(ov, "bytes_sent_per_object_received", json_real((double)sent_tot / recv_tot));
		/* frames, not bytes, are what a testnet's CPU goes on: each
		 * wakes two ZeroMQ I/O threads and the receiving node */
		json_object_set_new(ov, "frames_sent_total", json_integer(frames_tot));
		json_object_set_new(ov, "frames_sent_per_object_received", json_real((double)frames_tot / recv_tot));
		json_object_set_new(ov, "ihave_sent_per_object_received", json_real((double)ihave_tot / recv_tot));
		json_object_set_new(ov, "recon_pushed_per_object_received", json_real((double)rpush_tot / recv_tot));
		/* where the surplus copies came from, per object received, as
		 * the receivers classed them (node.c count_duplicate) */
		json_t *by = json_object();
		for (int k = 0; k < DUP_PATHS; k++)
			json_object_set_new(by, dup_path[k] + 4, json_real((double)dup_path_tot[k] / recv_tot));
		json_object_set_new(ov, "duplicates_per_object_by_path", by);
	}
	if (res)
		json_object_set_new(json_object_get(res, "overhead"), "report_body_bytes_mean",
		    json_real(body_n ? body_sum / body_n : 0));
	leak_ex = loss_ex = lat = cmp_j = pt = kinds = nodes = fol = NULL;	/* stolen by json_pack "o" */
out:
	json_decref(leak_ex);
	json_decref(loss_ex);
	json_decref(lat);
	json_decref(cmp_j);
	json_decref(pt);
	json_decref(kinds);
	json_decref(nodes);
	json_decref(fol);
	for (int i = 0; i < TLP_N; i++)
		free(compl[i]);
	for (int k = 0; k < EV_N; k++)
		free(fl[k]);
	json_decref(per_sig);
	json_decref(catchup);
	for (int g = 0; sl && g < ns; g++)
		free(sl[g]);
	free(sl);
	free(n_sl);
	free(cap_sl);
	free(exp_s);
	free(got_s);
	free(miss_o);
	free(call);
	free(up);
	json_decref(slow_j);
	free(tg);
	free(bd);
	free(bs);
	return res;
}
