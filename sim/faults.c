/*
 * sim/faults.c — what goes wrong during a run, planned up front from the
 * seed (so a failing run can be repeated), executed by run.c.
 *
 *   none   nothing
 *   demo   two nodes are killed with SIGKILL at 20% of the workload and
 *          restarted 3 s later; one is frozen with SIGSTOP for 4 s at 40%;
 *          one is shut down cleanly at 50% and restarted at 80% (it must
 *          catch up on everything it missed)
 *   churn  continuously, every 2-5 s, a random node not already in trouble
 *          is killed (back after 2-5 s), frozen (1-4 s) or stopped (3-8 s)
 *
 *   partition  one SIG cut off (all its members frozen) at 20% for 20% of
 *          the run, then every bridge node frozen at 60% for 20% (the SIGs
 *          cannot hear each other); demo ends with a SIG cut off too
 *   offline  one node down for the whole workload (catch-up measurement)
 *   kill20   20% of the nodes SIGKILLed at 30%, restarted at the heal
 *
 * On loopback a cut-off node is frozen with SIGSTOP, so it neither sends
 * nor acknowledges; its peers see what they would see behind a cut link
 * (TCP connections that go silent), but the frozen side does not keep
 * working on its own. With --net netns (netns.c) partitions are real: a
 * cut-off SIG is moved onto an island bridge (its members still talk to
 * each other and accept submissions), a bridge node's link goes down.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim/sim.h"

static const char *const kind_names[] = { "kill", "restart", "pause", "resume", "stop", "start",
	"isolate", "island", "rejoin" };

const char *faults_kind_name(int kind)
{
	return kind >= 0 && kind <= FK_REJOIN ? kind_names[kind] : "?";
}

static int s_add(fault_plan *fp, int64_t at, int kind, int node)
{
	if (fp->n == fp->cap) {
		int cap = fp->cap ? fp->cap * 2 : 16;
		sim_fault *f = realloc(fp->f, (size_t)cap * sizeof(*f));

		if (!f)
			return -1;
		fp->f = f;
		fp->cap = cap;
	}
	fp->f[fp->n++] = (sim_fault){ .at_ms = at, .kind = kind, .node = node };
	return 0;
}

static int s_cmp(const void *a, const void *b)
{
	const sim_fault *x = a, *y = b;

	return x->at_ms < y->at_ms ? -1 : x->at_ms > y->at_ms;
}

void faults_clear(fault_plan *fp)
{
	if (fp) {
		free(fp->f);
		memset(fp, 0, sizeof(*fp));
	}
}

/* One line for people: what this fault episode does. */
static void s_story(fault_plan *fp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void s_story(fault_plan *fp, const char *fmt, ...)
{
	va_list ap;

	if (fp->n_story >= FAULT_MAX_STORY)
		return;
	va_start(ap, fmt);
	vsnprintf(fp->story[fp->n_story++], sizeof(fp->story[0]), fmt, ap);
	va_end(ap);
}

/* Freeze every member of SIG g (home and bridging) from `at` for `len` ms:
 * the SIG is cut off from the rest of the federation, the loopback way. */
static int s_cut_sig(fault_plan *fp, const profile *p, int g, int64_t at, int64_t len,
    bool netns)
{
	int rc = 0;
	const prof_sig *s = &p->sigs[g];

	for (int k = 0; k < s->n_members; k++) {
		rc |= s_add(fp, at, netns ? FK_ISLAND : FK_PAUSE, s->members[k]);
		rc |= s_add(fp, at + len, netns ? FK_REJOIN : FK_RESUME, s->members[k]);
	}
	s_story(fp, "partition: SIG %s (%d nodes) cut off %s at %.1fs for %.1fs",
	    s->name, s->n_members, netns ? "onto an island bridge" : "by SIGSTOP",
	    at / 1000.0, len / 1000.0);
	return rc;
}

/* Freeze every bridging organization: the SIGs go on inside but no longer
 * hear each other (federation-wide and released reports must wait). */
static int s_cut_bridges(fault_plan *fp, const profile *p, int64_t at, int64_t len,
    bool netns)
{
	int rc = 0, nb = 0;

	for (int i = 0; i < p->n_orgs; i++)
		if (p->orgs[i].n_sigs > 1) {
			rc |= s_add(fp, at, netns ? FK_ISOLATE : FK_PAUSE, i);
			rc |= s_add(fp, at + len, netns ? FK_REJOIN : FK_RESUME, i);
			nb++;
		}
	s_story(fp, "partition: all %d bridge nodes %s at %.1fs for %.1fs (SIGs isolated from each other)",
	    nb, netns ? "cut off (links down)" : "frozen", at / 1000.0, len / 1000.0);
	return rc;
}

int faults_plan(fault_plan *fp, const char *mode, const profile *p, int64_t span_ms,
    uint64_t seed, bool netns, sm_err *err)
{
	sim_rng r;
	int rc = 0, n_nodes = p->n_orgs;

	memset(fp, 0, sizeof(*fp));
	snprintf(fp->mode, sizeof(fp->mode), "%s", mode);
	rng_seed(&r, seed ^ 0x6661756c7473ULL);
	if (span_ms < 4000)
		span_ms = 4000;
	if (strcmp(mode, "none") == 0)
		return 0;
	if (strcmp(mode, "demo") == 0) {
		int pick[4], g;

		if (n_nodes < 6 || p->n_sigs < 2)
			return sm_fail(err, SM_EINVAL, "faults demo: needs at least 6 nodes in 2 SIGs");
		for (int k = 0; k < 4; k++) {
			bool dup;

			do {
				pick[k] = (int)rng_below(&r, (uint32_t)n_nodes);
				dup = false;
				for (int j = 0; j < k; j++)
					dup |= pick[j] == pick[k];
			} while (dup);
		}
		rc |= s_add(fp, span_ms * 20 / 100, FK_KILL, pick[0]);
		rc |= s_add(fp, span_ms * 20 / 100, FK_KILL, pick[1]);
		rc |= s_add(fp, span_ms * 20 / 100 + 3000, FK_RESTART, pick[0]);
		rc |= s_add(fp, span_ms * 20 / 100 + 3000, FK_RESTART, pick[1]);
		s_story(fp, "crash: %s and %s SIGKILLed at %.1fs, restarted 3s later",
		    p->orgs[pick[0]].name, p->orgs[pick[1]].name, span_ms * 0.2 / 1000.0);
		rc |= s_add(fp, span_ms * 40 / 100, FK_PAUSE, pick[2]);
		rc |= s_add(fp, span_ms * 40 / 100 + 4000, FK_RESUME, pick[2]);
		s_story(fp, "freeze: %s SIGSTOPped at %.1fs for 4s", p->orgs[pick[2]].name,
		    span_ms * 0.4 / 1000.0);
		rc |= s_add(fp, span_ms * 50 / 100, FK_STOP, pick[3]);
		rc |= s_add(fp, span_ms * 80 / 100, FK_START, pick[3]);
		s_story(fp, "offline: %s shut down cleanly at %.1fs, back at %.1fs (must catch up)",
		    p->orgs[pick[3]].name, span_ms * 0.5 / 1000.0, span_ms * 0.8 / 1000.0);
		/* a smaller SIG, so that most of the testnet keeps working */
		g = (int)rng_below(&r, (uint32_t)p->n_sigs);
		for (int k = 0; k < p->n_sigs && p->sigs[g].n_members > n_nodes / 4; k++)
			g = (g + 1) % p->n_sigs;
		rc |= s_cut_sig(fp, p, g, span_ms * 60 / 100, span_ms * 15 / 100, netns);
	} else if (strcmp(mode, "partition") == 0) {
		if (p->n_sigs < 2)
			return sm_fail(err, SM_EINVAL, "faults partition: needs at least 2 SIGs");
		rc |= s_cut_sig(fp, p, (int)rng_below(&r, (uint32_t)p->n_sigs), span_ms * 20 / 100,
		    span_ms * 20 / 100, netns);
		if (profile_bridges(p) > 0)
			rc |= s_cut_bridges(fp, p, span_ms * 60 / 100, span_ms * 20 / 100, netns);
	} else if (strcmp(mode, "offline") == 0) {
		int nd = (int)rng_below(&r, (uint32_t)n_nodes);

		rc |= s_add(fp, 0, FK_STOP, nd);
		s_story(fp, "offline: %s down for the whole workload, started when it ends (catch-up)",
		    p->orgs[nd].name);
	} else if (strcmp(mode, "kill20") == 0) {
		int k = (n_nodes + 4) / 5, done = 0;
		uint8_t *hit = calloc((size_t)n_nodes, 1);

		if (!hit)
			return sm_fail(err, SM_ENOMEM, "faults: out of memory");
		while (done < k) {
			int nd = (int)rng_below(&r, (uint32_t)n_nodes);

			if (hit[nd])
				continue;
			hit[nd] = 1;
			done++;
			rc |= s_add(fp, span_ms * 30 / 100, FK_KILL, nd);
		}
		free(hit);
		s_story(fp, "mass crash: %d of %d nodes (20%%) SIGKILLed at %.1fs, restarted when the workload ends",
		    k, n_nodes, span_ms * 0.3 / 1000.0);
	} else if (strcmp(mode, "churn") == 0) {
		int64_t *busy = calloc((size_t)n_nodes, sizeof(int64_t));

		if (!busy)
			return sm_fail(err, SM_ENOMEM, "faults: out of memory");
		for (int64_t t = 2000; t < span_ms - 2000; t += 2000 + rng_below(&r, 3000)) {
			int nd = (int)rng_below(&r, (uint32_t)n_nodes), what = (int)rng_below(&r, 3);
			int64_t back;

			if (busy[nd] > t)
				continue;
			switch (what) {
			case 0:
				back = t + 2000 + rng_below(&r, 3000);
				rc |= s_add(fp, t, FK_KILL, nd);
				rc |= s_add(fp, back, FK_RESTART, nd);
				break;
			case 1:
				back = t + 1000 + rng_below(&r, 3000);
				rc |= s_add(fp, t, FK_PAUSE, nd);
				rc |= s_add(fp, back, FK_RESUME, nd);
				break;
			default:
				back = t + 3000 + rng_below(&r, 5000);
				rc |= s_add(fp, t, FK_STOP, nd);
				rc |= s_add(fp, back, FK_START, nd);
				break;
			}
			busy[nd] = back + 500;
		}
		free(busy);
		s_story(fp, "churn: %d random kills, freezes and clean stops, each undone after a few seconds",
		    fp->n / 2);
	} else {
		return sm_fail(err, SM_EINVAL,
		    "faults '%s': expected none, demo, partition, offline, kill20 or churn", mode);
	}
	if (rc) {
		faults_clear(fp);
		return sm_fail(err, SM_ENOMEM, "faults: out of memory");
	}
	if (fp->n)
		qsort(fp->f, (size_t)fp->n, sizeof(sim_fault), s_cmp);
	return 0;
}
