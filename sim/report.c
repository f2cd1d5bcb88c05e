/*
 * sim/report.c — the run's results for people and for programs:
 *   OUT/summary.json   every figure (run.c builds it; measure.c the results)
 *   OUT/latency.svg    delivery-latency distribution (CDF) per TLP label,
 *                      log-scale milliseconds, readable in any browser
 *   the terminal       a short summary: who got what, how fast, leaks, losses
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "sim/sim.h"

static const char *const colors[TLP_N] = { "#7f7f7f", "#2ca02c", "#ff9f00", "#a0522d", "#d62728" };

static int s_cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int s_svg(const char *path, const measure *m, const char *title)
{
	const double W = 880, H = 480, L = 70, R = 270, T = 50, B = 60;
	double pw = W - L - R, ph = H - T - B, hi = 1.0;
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	for (int t = 0; t < TLP_N; t++) {
		size_t n;
		const double *v = measure_latencies(m, t, &n);

		for (size_t i = 0; i < n; i++)
			if (v[i] > hi)
				hi = v[i];
	}
	double decades = ceil(log10(hi < 10 ? 10 : hi));
#define X(ms) (L + pw * (log10((ms) < 1 ? 1 : (ms)) / decades))
#define Y(fr) (T + ph * (1.0 - (fr)))
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
	    "font-family=\"sans-serif\" font-size=\"12\">\n", W, H);
	fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
	fprintf(f, "<text x=\"%.0f\" y=\"24\" font-size=\"15\" font-weight=\"bold\">Delivery latency by TLP label — %s</text>\n",
	    L, title);
	/* grid and axes */
	for (int d = 0; d <= (int)decades; d++) {
		double x = L + pw * d / decades;

		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", x, T, x, T + ph);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n", x, T + ph + 18, pow(10, d));
	}
	for (int k = 0; k <= 4; k++) {
		double y = Y(k / 4.0);

		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", L, y, L + pw, y);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%d%%</text>\n", L - 6, y + 4, k * 25);
	}
	fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#333\"/>\n", L, T, pw, ph);
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">latency from submission to storage at each recipient (ms, log scale)</text>\n",
	    L + pw / 2, H - 18);
	fprintf(f, "<text transform=\"translate(18 %.1f) rotate(-90)\" text-anchor=\"middle\">share of deliveries</text>\n",
	    T + ph / 2);
	/* one CDF per label */
	int row = 0;
	for (int t = 0; t < TLP_N; t++) {
		size_t n;
		const double *v = measure_latencies(m, t, &n);
		double *c;
		sim_pct pc;

		if (!n)
			continue;
		c = malloc(n * sizeof(double));
		if (!c)
			continue;
		memcpy(c, v, n * sizeof(double));
		if (n > 1)	/* qsort needs a valid pointer even for 0 items */
			qsort(c, n, sizeof(double), s_cmpd);
		fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%.1f,%.1f", colors[t], X(c[0]), Y(0));
		/* at most ~400 points: the curve does not need every sample */
		size_t step = n > 400 ? n / 400 : 1;
		for (size_t i = 0; i < n; i += step)
			fprintf(f, " %.1f,%.1f", X(c[i]), Y((double)(i + 1) / n));
		fprintf(f, " %.1f,%.1f\"/>\n", X(c[n - 1]), Y(1));
		pc = pct_compute(c, n);
		free(c);
		double ly = T + 10 + row * 44;
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"3\"/>\n",
		    L + pw + 15, ly, L + pw + 40, ly, colors[t]);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-weight=\"bold\">%s</text>\n", L + pw + 46, ly + 4, sim_tlp_label(t));
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#444\">n=%zu p50=%.0f p99=%.0f ms</text>\n",
		    L + pw + 46, ly + 20, n, pc.p50, pc.p99);
		row++;
	}
#undef X
#undef Y
	fprintf(f, "</svg>\n");
	return fclose(f) == 0 ? 0 : -1;
}

int report_write(const char *out_dir, json_t *summary, const measure *m, sm_err *err)
{
	char path[SIM_MAX_PATH + 32], title[160];
	const char *prof = json_string_value(json_object_get(json_object_get(summary, "run"), "profile"));

	if (mkdir(out_dir, 0755) < 0 && errno != EEXIST)
		return sm_fail(err, SM_EIO, "mkdir %s: %s", out_dir, strerror(errno));
	snprintf(path, sizeof(path), "%s/summary.json", out_dir);
	if (json_dump_file(summary, path, JSON_INDENT(2) | JSON_SORT_KEYS) < 0)
		return sm_fail(err, SM_EIO, "cannot write %s", path);
	snprintf(path, sizeof(path), "%s/latency.svg", out_dir);
	snprintf(title, sizeof(title), "%s", prof ? prof : "testnet");
	if (s_svg(path, m, title) < 0)
		return sm_fail(err, SM_EIO, "cannot write %s", path);
	return 0;
}

static double s_num(json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(o, a);

	if (b)
		v = json_object_get(v, b);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static const char *s_str(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? v : "?";
}

static void s_pct_row(const char *name, json_t *pl)
{
	if (s_num(pl, "n", NULL) > 0)
		printf(" %7.0f %7.0f %7.0f %8.0f", s_num(pl, "p50", NULL), s_num(pl, "p90", NULL),
		    s_num(pl, "p99", NULL), s_num(pl, "max", NULL));
	else
		printf(" %7s %7s %7s %8s", "-", "-", "-", "-");
	(void)name;
}

void report_print(json_t *s)
{
	json_t *run = json_object_get(s, "run"), *res = json_object_get(s, "results");
	json_t *lat = json_object_get(res, "latency_ms"), *cmp = json_object_get(res, "completion_ms");
	json_t *pt = json_object_get(res, "per_tlp"), *ov = json_object_get(res, "overhead");
	json_t *kinds = json_object_get(res, "objects"), *nodes = json_object_get(res, "nodes");
	const char *kn[] = { "report", "release", "sighting", "retraction" };
	json_t *ex, *nd;
	size_t i;
	int affected = 0, recovered = 0;

	printf("\n== sigmesh-sim: %s, %d organizations in %d SIGs (%d bridging), workload %s, faults %s ==\n",
	    s_str(run, "profile"), (int)s_num(run, "organizations", NULL), (int)s_num(run, "sigs", NULL),
	    (int)s_num(run, "bridges", NULL), s_str(run, "workload"), s_str(run, "faults"));
	printf("time: setup %.1fs, workload %.1fs, heal+settle %.1fs (until every expected copy was stored)\n",
	    s_num(run, "setup_s", NULL), s_num(run, "workload_s", NULL), s_num(run, "settle_s", NULL));
	if (s_num(run, "link_delay_ms", NULL) > 0 || s_num(run, "loss_pct", NULL) > 0)
		printf("links (%s): one-way delay %d ms, loss %.2f%%, emulated by %s\n", s_str(run, "net"),
		    (int)s_num(run, "link_delay_ms", NULL), s_num(run, "loss_pct", NULL),
		    *s_str(run, "link_emulation") ? s_str(run, "link_emulation") : "nothing");
	printf("objects: ");
	for (int k = 0; k < 4; k++)
		printf("%s%d %ss", k ? ", " : "", (int)s_num(kinds, kn[k], "created"), kn[k]);
	printf(" (actions refused by a node %d, skipped because their node was down %d)\n",
	    (int)s_num(res, "actions_failed", NULL), (int)s_num(res, "actions_skipped", NULL));
	{
		json_t *ar = json_object_get(res, "action_reply_ms");

		if (s_num(ar, "n", NULL) > 0)
			printf("actions answered by their node in %.0f ms p50, %.0f ms p99, %.0f ms max\n",
			    s_num(ar, "p50", NULL), s_num(ar, "p99", NULL), s_num(ar, "max", NULL));
	}

	{	/* why actions were refused, in the node's words (distinct) */
		const char *seen[3] = { 0 };
		int ns = 0;

		json_array_foreach(json_object_get(s, "failed_action_examples"), i, ex) {
			const char *e = s_str(ex, "error"), *why = strchr(e, ':');
			bool dup = false;

			why = why ? why + 2 : e;
			for (int k = 0; k < ns; k++)
				dup |= strcmp(seen[k], why) == 0;
			if (!dup && ns < 3) {
				seen[ns++] = why;
				printf("  refused: %s (e.g. at %.*s)\n", why, (int)(strchr(e, ':') ? strchr(e, ':') - e : 0), e);
			}
		}
	}
	/* faults and recovery */
	json_array_foreach(nodes, i, nd) {
		if (s_num(nd, "kills", NULL) + s_num(nd, "pauses", NULL) + s_num(nd, "stops", NULL) +
		    s_num(nd, "crashes", NULL) > 0) {
			affected++;
			recovered += s_num(nd, "missing", NULL) == 0;
		}
	}
	printf("\nfaults: %d actions injected, %d node crashes", (int)s_num(run, "faults_injected", NULL),
	    (int)s_num(run, "crashes", NULL));
	if (affected)
		printf("; %d nodes affected, %d of them back up and complete after healing", affected, recovered);
	printf("\n");
	json_array_foreach(json_object_get(s, "fault_plan"), i, ex)
		printf("  - %s\n", json_string_value(ex));
	json_array_foreach(json_object_get(res, "catchup"), i, ex)
		if (i < 12)
			printf("  catch-up %-24s %5.0f objects in %6.0f ms from its start (ready after %.0f ms), "
			    "%.0f bytes received, missing %.0f\n",
			    s_str(ex, "name"), s_num(ex, "objects", NULL), s_num(ex, "catchup_ms", NULL),
			    s_num(ex, "ready_ms", NULL),
			    s_num(ex, "bytes_received", NULL), s_num(ex, "missing", NULL));

	printf("\nwho got what, per TLP label (latency in ms from submission to storage at each recipient;\n"
	    "all-in = until the report's whole audience had it)\n");
	printf("%-17s %7s %8s %8s %8s %7s %7s %7s %8s %10s %10s\n", "label", "reports", "expected",
	    "stored", "coverage", "p50", "p90", "p99", "max", "all-in p50", "all-in p99");
	for (int t = 0; t < TLP_N; t++) {
		const char *l = sim_tlp_label(t);
		json_t *pc = json_object_get(cmp, l), *pp = json_object_get(pt, l);

		printf("%-17s %7d %8d %8d %7.2f%%", l, (int)s_num(pp, "reports", NULL),
		    (int)s_num(pp, "expected", NULL), (int)s_num(pp, "stored", NULL),
		    100 * s_num(pp, "coverage", NULL));
		s_pct_row(l, json_object_get(lat, l));
		printf(" %10.0f %10.0f\n", s_num(pc, "p50", NULL), s_num(pc, "p99", NULL));
	}
	printf("%-17s %7s %8s %8s %8s %7s %7s %7s %8s %10.0f %10.0f\n", "all reports", "", "", "", "", "",
	    "", "", "", s_num(res, "completion_all_ms", "p50"), s_num(res, "completion_all_ms", "p99"));
	/* with faults: the copies of the nodes no fault acted on, which
	 * gossip has to route around the ones that are down */
	if (s_num(run, "faults_injected", NULL) > 0) {
		printf("%-17s %7s %8s %8s %8s", "nodes not faulted", "", "", "", "");
		s_pct_row(NULL, json_object_get(res, "latency_unfaulted_ms"));
		printf("\n");
	}
	printf("\nwho got what, per SIG (report copies by the recipient's home SIG)\n");
	printf("%-22s %7s %8s %8s %8s %7s %7s %7s %8s\n", "SIG", "members", "expected", "stored",
	    "coverage", "p50", "p90", "p99", "max");
	json_array_foreach(json_object_get(res, "per_sig"), i, ex) {
		printf("%-22s %7.0f %8.0f %8.0f %7.2f%%", s_str(ex, "sig"), s_num(ex, "home_members", NULL),
		    s_num(ex, "expected", NULL), s_num(ex, "stored", NULL), 100 * s_num(ex, "coverage", NULL));
		s_pct_row(NULL, json_object_get(ex, "latency_ms"));
		printf("\n");
	}

	printf("\ntraffic: ");
	if (json_is_number(json_object_get(ov, "copies_per_object"))) {
		printf("%.2f copies received per node per object (first copy included), "
		    "%.0f bytes sent per object received\n         (report bodies %.0f bytes on average; "
		    "node counters since each node's last start)\n",
		    s_num(ov, "copies_per_object", NULL), s_num(ov, "bytes_sent_per_object_received", NULL),
		    s_num(ov, "report_body_bytes_mean", NULL));
		if (json_is_number(json_object_get(ov, "frames_sent_per_object_received")))
			printf("         %.2f frames sent per object received; %.2f ids announced (IHAVE) "
			    "per object received\n", s_num(ov, "frames_sent_per_object_received", NULL),
			    s_num(ov, "ihave_sent_per_object_received", NULL));
	} else {
		printf("the nodes do not report their counters\n");
	}
	if (json_is_object(json_object_get(res, "idle"))) {
		json_t *w = json_object_get(json_object_get(res, "idle"), "wire_bytes_per_node_per_s");

		printf("idle: %.0f bytes/s sent per node over %.0f s with no workload",
		    s_num(res, "idle", "bytes_sent_per_node_per_s"), s_num(res, "idle", "seconds"));
		if (json_is_number(w))
			printf("; %.0f bytes/s per node on the wire (loopback)", json_number_value(w));
		printf("; CPU %.2f ms/s per node\n", s_num(res, "idle", "cpu_ms_per_node_per_s"));
	}
	printf("per node: CPU %.2fs mean (%.1fs total), peak RSS %.0f kB mean / %.0f kB max, store %.1f MB total\n",
	    s_num(ov, "cpu_s_mean", NULL), s_num(ov, "cpu_s_total", NULL), s_num(ov, "rss_peak_kb_mean", NULL),
	    s_num(ov, "rss_peak_kb_max", NULL), s_num(ov, "store_bytes_total", NULL) / 1e6);

	printf("\ndeliveries: %.0f of %.0f expected copies stored (%.3f%%)\n",
	    s_num(res, "deliveries", "stored"), s_num(res, "deliveries", "expected"),
	    100 * s_num(res, "deliveries", "coverage"));
	printf("LEAKS: %.0f   LOSSES after healing: %.0f   unknown objects: %.0f\n",
	    s_num(res, "leaks", "count"), s_num(res, "deliveries", "missing"),
	    s_num(res, "unknown_objects", NULL));
	json_array_foreach(json_object_get(json_object_get(res, "leaks"), "examples"), i, ex)
		if (i < 8)
			printf("  LEAK %s %s %s from %s held by %s\n", s_str(ex, "type"), s_str(ex, "tlp"),
			    s_str(ex, "id"), s_str(ex, "originator"), s_str(ex, "holder"));
	json_array_foreach(json_object_get(res, "losses"), i, ex)
		if (i < 8)
			printf("  LOST %s %s %s at %s\n", s_str(ex, "type"), s_str(ex, "tlp"), s_str(ex, "id"),
			    s_str(ex, "node"));
	printf("verdict: %s\n", s_str(s, "verdict"));
}
