# tests/integration/soak_judge.awk — the verdicts of the soak (soak.sh) on
# its samples, kept apart so tests/integration/soak_judge.sh can show them
# failing on made-up samples of a leaking node.
#
# Input: samples.tsv, one line per node process and sampling round:
#   seconds  node  pid  RssAnon_kB  VmRSS_kB  fds  store_kB
# store_kB is the resident part of the process's mapping of its LMDB file
# (data.mdb): the store's own pages, which grow with the store by design
# and are reported as store size, not as the node's memory.
#
# Variables (awk -v): w0, w1 the warm-up window (s); wend the end of the
# workload (s); pct the allowed growth (%); slack the allowed descriptor
# growth; strict 1 to FAIL rather than SKIP; growth a file for one line per
# judged process.
#
# A process is judged when it was seen before the warm-up window and until
# the end (a restarted node is a new process, skipped). Its memory is its
# resident set without the store's pages (VmRSS - store_kB): the heap,
# libzmq's and libsodium's buffers, and the pages of its code. Memory after
# warm-up and at the end is the lowest value seen in the warm-up window and
# in the last three samples: a reconciliation or a burst in flight at one
# sample is not growth, and the same floor on both sides keeps the
# comparison fair.
BEGIN { FS = "\t" }
{
	t = $1; k = $2 " " $3
	rss = $5 - $7
	if (t > wend) { if (rss > fin[k]) fin[k] = rss; next }
	if (!(k in first)) first[k] = t
	last[k] = t
	if (t >= w0 && t <= w1) {
		if (!(k in brss) || rss < brss[k]) brss[k] = rss
		if (!(k in banon) || $4 < banon[k]) banon[k] = $4
		if ($6 > bfd[k]) bfd[k] = $6
	}
	e3r[k] = e2r[k]; e2r[k] = e1r[k]; e1r[k] = rss
	e3a[k] = e2a[k]; e2a[k] = e1a[k]; e1a[k] = $4
	e3f[k] = e2f[k]; e2f[k] = e1f[k]; e1f[k] = $6
	est[k] = $7
	if (t > tend) tend = t
}
function min3(a, b, c) { m = a; if (b != "" && b < m) m = b; if (c != "" && c < m) m = c; return m }
END {
	n = 0; badr = 0; badf = 0; worst = -100; worstf = -100
	for (k in first) {
		# (no sample after the end of the workload is no reason to skip a
		# process: a testnet that has nothing left to heal settles at once)
		if (first[k] > w0 || last[k] < tend - 6 || !(k in brss)) continue
		n++
		er = min3(e1r[k], e2r[k], e3r[k]); ea = min3(e1a[k], e2a[k], e3a[k])
		ef = min3(e1f[k], e2f[k], e3f[k])
		g = (er - brss[k]) * 100.0 / brss[k]
		ga = (ea - banon[k]) * 100.0 / banon[k]
		if (g > worst) { worst = g; wk = k }
		if (ef - bfd[k] > worstf) { worstf = ef - bfd[k]; wf = k }
		sr += brss[k]; se += er; sa0 += banon[k]; sa1 += ea; sst += est[k]
		sf += (k in fin) ? fin[k] : er
		if (g > pct && ++badr <= 5) rl = rl sprintf(" %s(%d->%d kB, %+.1f%%)", k, brss[k], er, g)
		if (ef - bfd[k] > slack && ++badf <= 5) fl = fl sprintf(" %s(%d->%d fds)", k, bfd[k], ef)
		if (growth != "")
			printf "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%.1f\n", k, brss[k], er, banon[k], ea, bfd[k], ef, ga > growth
	}
	printf "soak: %d processes lived through %ds..%ds (workload end); RSS without the store's pages, mean %.0f -> %.0f kB (%.0f kB peak while settling); of it anonymous (RssAnon) %.0f -> %.0f kB; store pages at the end %.0f kB; worst %+.1f%% (%s), worst fd growth %+d (%s)\n", \
	    n, w0, tend, n ? sr / n : 0, n ? se / n : 0, n ? sf / n : 0, n ? sa0 / n : 0, n ? sa1 / n : 0, n ? sst / n : 0, worst, wk, worstf, wf
	if (n >= 3) print "PASS soak_sampled"; else printf "FAIL soak_sampled: only %d processes lived from warm-up to the end\n", n
	v = strict == 1 ? "FAIL" : "SKIP"
	if (n && !badr) print "PASS soak_rss_flat"; else if (n) printf "%s soak_rss_flat: %d processes grew over %d%%:%s\n", v, badr, pct, rl
	if (n && !badf) print "PASS soak_fd_flat"; else if (n) printf "%s soak_fd_flat: %d processes gained descriptors:%s\n", v, badf, fl
}
