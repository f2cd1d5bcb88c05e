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
 * Network partitions with namespaces need root; this loopback-only plan is
 * what every machine can run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim/sim.h"

static const char *const kind_names[] = { "kill", "restart", "pause", "resume", "stop", "start" };

const char *faults_kind_name(int kind)
{
	return kind >= 0 && kind <= FK_START ? kind_names[kind] : "?";
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

int faults_plan(fault_plan *fp, const char *mode, int n_nodes, int64_t span_ms,
    uint64_t seed, sm_err *err)
{
	sim_rng r;
	int rc = 0;

	memset(fp, 0, sizeof(*fp));
	snprintf(fp->mode, sizeof(fp->mode), "%s", mode);
	rng_seed(&r, seed ^ 0x6661756c7473ULL);
	if (span_ms < 4000)
		span_ms = 4000;
	if (strcmp(mode, "none") == 0)
		return 0;
	if (strcmp(mode, "demo") == 0) {
		int pick[4];

		if (n_nodes < 6)
			return sm_fail(err, SM_EINVAL, "faults demo: needs at least 6 nodes");
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
		rc |= s_add(fp, span_ms * 40 / 100, FK_PAUSE, pick[2]);
		rc |= s_add(fp, span_ms * 40 / 100 + 4000, FK_RESUME, pick[2]);
		rc |= s_add(fp, span_ms * 50 / 100, FK_STOP, pick[3]);
		rc |= s_add(fp, span_ms * 80 / 100, FK_START, pick[3]);
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
	} else {
		return sm_fail(err, SM_EINVAL, "faults '%s': expected none, demo or churn", mode);
	}
	if (rc) {
		faults_clear(fp);
		return sm_fail(err, SM_ENOMEM, "faults: out of memory");
	}
	if (fp->n)
		qsort(fp->f, (size_t)fp->n, sizeof(sim_fault), s_cmp);
	return 0;
}
