#!/bin/sh
# tests/integration/soak.sh — a long run of the J-CSIP FY2014 testnet under
# churn (random kills, freezes and clean stops all along), with every
# sigmeshd sampled from outside while it runs.
#
# Asserts:
#   soak_sim            sigmesh-sim's verdict: zero leaks, zero deliveries
#                       missing after healing, no node crash, no submission
#                       refused (figures from summary.json)
#   soak_rss_flat       for every node process that lived through the whole
#                       workload from warm-up to its end (the settle phase,
#                       where the simulator dumps every store, is reported,
#                       not judged) (not killed, not stopped; a freeze
#                       keeps the process), its anonymous resident memory
#                       (RssAnon) at the end is at most SOAK_RSS_PCT (10) %
#                       above its level after warm-up. RssAnon, not VmRSS:
#                       VmRSS also counts the LMDB map's file pages, which
#                       grow with the store by design; a leak is anonymous.
#                       VmRSS is reported alongside.
#   soak_fd_flat        for the same processes, open descriptors at the end
#                       are at most SOAK_FD_SLACK (default 4: a reconnect in
#                       flight) above the most seen during warm-up.
#   soak_sampled        enough processes were measured for the two checks
#                       above to mean something.
#
#   SOAK_STRICT=1 makes soak_rss_flat and soak_fd_flat FAIL rather than
#                 SKIP; make soak sets it. The short run of `make test`
#                 only reports them: a node's RssAnon is mostly libzmq's
#                 per-connection pipes and buffers (about 50 kB a
#                 connection, on its I/O thread's arena) and the
#                 per-object state of the main arena (measured with
#                 massif and malloc_info); the first follows the peers
#                 talked to in the last DEALER_IDLE_MS (20 s in node.c),
#                 which a 60 s run with churn has not settled yet. The
#                 line "fit: kB per descriptor gained" separates the two;
#                 growth.tsv holds every judged process. One part of the
#                 growth after warm-up is libzmq's and bounded: each pipe
#                 (one per connection and direction in use) keeps a second
#                 16 kB chunk of its message queue once it has carried 256
#                 messages (measured outside sigmesh: 6 connections, +198
#                 kB between 200 and 300 messages each, flat from there to
#                 50,000; at 0.2 reports/s heaptrack on a soak node puts
#                 most of its live growth there). At 2 reports/s most of
#                 the growth follows the objects a node stores (issue 6,
#                 still open): in a sig-15 run without faults (2,000
#                 reports at 10/s, heap polled through status) three
#                 nodes grew RssAnon by 450 to 710 B per object stored,
#                 and a node judged here gains about 430 objects between
#                 warm-up and the end: 190 to 300 kB, 6 to 10% of a 3.1 MB
#                 node. heaptrack on one of those sig-15 nodes, cut at
#                 25 s and 185 s (2,070 objects apart): +360 kB in the
#                 scope index (about 180 B an object, as its unit test
#                 says) and +767 kB in libzmq. Again with libzmq built
#                 with symbols (a second run, same node): of +900 kB live,
#                 +361 kB scope index, +377 kB libzmq message queues (24
#                 queues of pipes opened since 25 s, 13 second chunks), +182 kB
#                 receive buffers in flight at the cut, +33 kB encoders
#                 of new connections: per object and per connection,
#                 nothing else. Whether the soak's growth under churn is
#                 only of these kinds is not shown yet (issue 6). Tried,
#                 with half
#                 the nodes of one run changed and the other half as
#                 they are: libzmq rebuilt with 16-message chunks (each
#                 node 800 kB smaller, the growth the same in kB), glibc's
#                 per-thread cache off, a fixed 8 KiB mmap threshold:
#                 none changed the growth beyond run-to-run noise.
#   SOAK_SECONDS  workload length (default 60, which `make test` runs; `make
#                 soak` sets 600). Warm-up is the first quarter (at least
#                 15 s); its window lasts 10 s.
#   SOAK_RATE     submissions per second network-wide (default 2: ten
#                 minutes carry 1,200 reports, about two years of J-CSIP's
#                 FY2014 traffic, plus their sightings and releases). A
#                 node keeps about 190 bytes of index per object it holds
#                 (node/scope.c), which is growth by design, not a leak:
#                 at 12/s a 10-minute run stores 14 years of traffic and
#                 that index alone outgrows 10% of a node's memory.
#   SOAK_WARM_S   start of the warm-up window instead.
#   SOAK_RECON_MS reconciliation interval of every node (default: the
#                 simulator's 2000 ms). More sessions mean more messages
#                 per connection: at 0.2 reports/s, 500 ms grew faster
#                 than 2000 ms; at 2 reports/s, 250 ms grew as much.
#   SOAK_PROFILE  profile (default sim/profiles/jcsip-2014.txt)
#   SOAK_OUT      results directory (default $BUILD/soak); samples.tsv there
#                 holds every sample: seconds, node, pid, RssAnon kB,
#                 VmRSS kB, fds; growth.tsv one line per judged process:
#                 node pid, RssAnon kB after warm-up and at the end, fds
#                 after warm-up and at the end.
set -u
BUILD=${BUILD:-build}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
SECS=${SOAK_SECONDS:-60}
PROFILE=${SOAK_PROFILE:-sim/profiles/jcsip-2014.txt}
OUT=${SOAK_OUT:-$BUILD/soak}
RSS_PCT=${SOAK_RSS_PCT:-10}
FD_SLACK=${SOAK_FD_SLACK:-4}
EVERY=${SOAK_SAMPLE_S:-2}
RATE=${SOAK_RATE:-2}
STRICT=${SOAK_STRICT:-0}
sim=$BUILD/sigmesh-sim
if [ ! -x "$sim" ] || [ ! -x "$BUILD/sigmeshd" ]; then
	echo "FAIL soak_setup: $sim or $BUILD/sigmeshd is not built"
	exit 1
fi
rm -rf "$OUT"
mkdir -p "$OUT" || exit 1
SAMPLES=$OUT/samples.tsv
: > "$SAMPLES"
SIMPID=""
cleanup() {
	[ -n "$SIMPID" ] && kill "$SIMPID" 2>/dev/null
	wait 2>/dev/null
}
trap cleanup EXIT INT TERM

echo "soak: $PROFILE, churn, ${SECS}s of workload at $RATE reports/s; samples every ${EVERY}s in $SAMPLES"
"$sim" run --profile "$PROFILE" --workload fy2014 --faults churn --duration "$SECS" --rate "$RATE" \
	${SOAK_RECON_MS:+--recon-ms "$SOAK_RECON_MS"} --settle 60 --out "$OUT" >"$OUT/sim.log" 2>&1 &
SIMPID=$!
t0=$(date +%s)

# sample: one line per sigmeshd child of the simulator; one pgrep and one
# awk per round, whatever the number of nodes.
sample() {
	now=$(( $(date +%s) - t0 ))
	files="" fds=""
	for pid in $(pgrep -P "$SIMPID" -x sigmeshd); do
		set -- /proc/"$pid"/fd/*
		[ -e "$1" ] || continue
		fds="$fds $pid:$#"
		files="$files /proc/$pid/cmdline /proc/$pid/status"
	done
	[ -n "$files" ] || return 0
	awk -v now="$now" -v fds="$fds" '
	BEGIN { n = split(fds, a, " "); for (i = 1; i <= n; i++) { split(a[i], b, ":"); fd[b[1]] = b[2] } }
	FNR == 1 { split(FILENAME, f, "/"); pid = f[3] }
	FILENAME ~ /cmdline$/ { c = $0; gsub(/\0/, " ", c); sub(/\.conf.*/, "", c); sub(/.*\//, "", c); node[pid] = c; next }
	/^RssAnon:/ { anon[pid] = $2 }
	/^VmRSS:/ { vm[pid] = $2 }
	END { for (p in anon) printf "%s\t%s\t%s\t%s\t%s\t%s\n", now, node[p], p, anon[p], vm[p], fd[p] }
	' $files 2>/dev/null >> "$SAMPLES"
}
while kill -0 "$SIMPID" 2>/dev/null; do
	sample
	sleep "$EVERY"
done
wait "$SIMPID"
rc=$?
SIMPID=""
elapsed=$(( $(date +%s) - t0 ))
echo "soak: sigmesh-sim exited $rc after ${elapsed}s ($(wc -l < "$SAMPLES") samples)"
tail -n 25 "$OUT/sim.log" | sed 's/^/    /'

if [ ! -f "$OUT/summary.json" ]; then
	echo "FAIL soak_sim: no summary.json (sigmesh-sim exit $rc)"
	exit 1
fi
RESULTS=$OUT/results.txt
: > "$RESULTS"
python3 - "$OUT/summary.json" "$rc" <<'EOF' | tee -a "$RESULTS"
import json, sys
d = json.load(open(sys.argv[1])); r = d["results"]; run = d["run"]
leaks = r["leaks"]["count"]; missing = r["deliveries"]["missing"]
crashes = run["crashes"]; failed = run["failed_actions"]
print("soak: %d reports, %d faults injected, %d leaks, %d missing, %d crashes, %d failed actions; %s"
      % (run["reports"], run["faults_injected"], leaks, missing, crashes, failed, d["verdict"]))
ok = sys.argv[2] == "0" and leaks == 0 and missing == 0 and crashes == 0
print("PASS soak_sim" if ok else "FAIL soak_sim: %s (exit %s)" % (d["verdict"], sys.argv[2]))
EOF

# Growth per process: baseline in the warm-up window, end = the process's
# last samples. Only processes seen from before the window to the end of the
# run count (a restarted node starts a new process and is skipped).
warm=$(( SECS / 4 )); [ "$warm" -lt 15 ] && warm=15
[ -n "${SOAK_WARM_S:-}" ] && warm=$SOAK_WARM_S
awk -F '\t' -v growth="$OUT/growth.tsv" -v w0="$warm" -v w1=$((warm + 10)) -v wend="$SECS" -v pct="$RSS_PCT" -v slack="$FD_SLACK" -v strict="$STRICT" '
{
	t = $1; k = $2 " " $3
	if (t > wend) { if ($4 > fin[k]) fin[k] = $4; next }
	if (!(k in first)) first[k] = t
	last[k] = t
	if (t >= w0 && t <= w1) {
		if ($4 > banon[k]) banon[k] = $4
		if ($5 > bvm[k]) bvm[k] = $5
		if ($6 > bfd[k]) bfd[k] = $6
	}
	# the end value: the lowest of the last three samples (a burst in flight
	# is not growth)
	e3a[k] = e2a[k]; e2a[k] = e1a[k]; e1a[k] = $4
	e3f[k] = e2f[k]; e2f[k] = e1f[k]; e1f[k] = $6
	evm[k] = $5
	if (t > tend) tend = t
}
function min3(a, b, c) { m = a; if (b != "" && b < m) m = b; if (c != "" && c < m) m = c; return m }
END {
	n = 0; badr = 0; badf = 0; worst = -100; worstf = -100
	for (k in first) {
		# (no sample after the end of the workload is no reason to skip a
		# process: a testnet that has nothing left to heal settles at once)
		if (first[k] > w0 || last[k] < tend - 6 || !(k in banon)) continue
		n++
		ea = min3(e1a[k], e2a[k], e3a[k]); ef = min3(e1f[k], e2f[k], e3f[k])
		g = (ea - banon[k]) * 100.0 / banon[k]
		if (g > worst) { worst = g; wk = k }
		if (ef - bfd[k] > worstf) { worstf = ef - bfd[k]; wf = k }
		sa += banon[k]; se += ea; sv0 += bvm[k]; sv1 += evm[k]; sf += (k in fin) ? fin[k] : ea
		if (g > pct && ++badr <= 5) rl = rl sprintf(" %s(%d->%d kB, %+.1f%%)", k, banon[k], ea, g)
		if (ef - bfd[k] > slack && ++badf <= 5) fl = fl sprintf(" %s(%d->%d fds)", k, bfd[k], ef)
		# per process, for the fit below and for reading by hand
		dd = ef - bfd[k]; da = ea - banon[k]
		rx += dd; ry += da; rxy += dd * da; rxx += dd * dd
		printf "%s\t%d\t%d\t%d\t%d\n", k, banon[k], ea, bfd[k], ef > growth
	}
	# Growth of RssAnon against descriptors gained, fitted over the
	# processes: each ZeroMQ connection (a DEALER costs 2 descriptors, an
	# accepted one 1) carries about 50 kB of pipe and engine buffers, so a
	# node that talks to more peers at the end than after warm-up grows
	# by that much without leaking. The intercept is the growth that
	# descriptors do not explain.
	if (n >= 3 && n * rxx - rx * rx > 0) {
		slope = (n * rxy - rx * ry) / (n * rxx - rx * rx)
		printf "soak: RssAnon growth %.0f kB mean, descriptors %+.1f mean; fit: %.1f kB per descriptor gained, %.0f kB not explained by descriptors\n", \
		    ry / n, rx / n, slope, (ry - slope * rx) / n
	}
	printf "soak: %d processes lived through %ds..%ds (workload end); RssAnon mean %.0f -> %.0f kB (%.0f kB peak while settling), VmRSS mean %.0f -> %.0f kB; worst RssAnon %+.1f%% (%s), worst fd growth %+d (%s)\n", \
	    n, w0, tend, n ? sa / n : 0, n ? se / n : 0, n ? sf / n : 0, n ? sv0 / n : 0, n ? sv1 / n : 0, worst, wk, worstf, wf
	if (n >= 3) print "PASS soak_sampled"; else printf "FAIL soak_sampled: only %d processes lived from warm-up to the end\n", n
	# known node behaviour (issue 6 report): memory grows with the objects
	# held and the peers talked to, descriptors with the peers talked to
	# (at most 2 per DEALER and 1 per accepted connection, per
	# organization); FAIL only with SOAK_STRICT=1
	v = strict == 1 ? "FAIL" : "SKIP"
	if (n && !badr) print "PASS soak_rss_flat"; else if (n) printf "%s soak_rss_flat: %d processes grew over %d%%:%s\n", v, badr, pct, rl
	if (n && !badf) print "PASS soak_fd_flat"; else if (n) printf "%s soak_fd_flat: %d processes gained descriptors:%s\n", v, badf, fl
}' "$SAMPLES" | tee -a "$RESULTS"
# make soak fails when any check did
! grep -q '^FAIL' "$RESULTS"
