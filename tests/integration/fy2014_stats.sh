#!/bin/sh
# tests/integration/fy2014_stats.sh — the statistics give back what went in.
#
# sigmesh-sim replays the FY2014 year (626 submissions drawn from the
# published J-CSIP shares: 52% attachment mails, 35% fragments of unknown
# type; 71% free-mail senders, 4% ISP, 15% corporate) through a one-SIG
# testnet of real nodes. One member's node, which reads every report of
# its SIG, must then report those shares through `sigmesh stats`.
set -u
BUILD=${BUILD:-build}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
SM=$TOP/$BUILD/sigmesh
T=$(mktemp -d "${TMPDIR:-/tmp}/sm-fy.XXXXXX") || exit 1
KEPT=""
PID=""
cleanup() {
	[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
	[ -n "$KEPT" ] && rm -rf "$KEPT"
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
cd "$T" || exit 1
fails=0
ok()  { echo "PASS $1"; }
bad() { echo "FAIL $1: $2"; fails=$((fails + 1)); }

"$TOP/$BUILD/sigmesh-sim" run --profile scale-25 --workload fy2014 --faults none --rate 40 \
	--seed 2014 --keep --out "$T/out" > sim.out 2> sim.err
rc=$?
KEPT=$(sed -n 's/^sigmesh-sim: testnet kept in //p' sim.err | head -1)
[ $rc -eq 0 ] && ok fy2014_run_delivers_everything || bad fy2014_run_delivers_everything "$(tail -5 sim.out sim.err)"
conf=$(ls "$KEPT"/n/*.conf 2>/dev/null | head -1)
[ -n "$conf" ] || { echo "FAIL fy2014_setup: no node configuration kept ($(tail -3 sim.err))"; exit 1; }

"$TOP/$BUILD/sigmeshd" --config "$conf" 2> node.log &
PID=$!
n=0
until "$SM" status --config "$conf" > /dev/null 2>&1; do
	n=$((n + 1)); [ $n -gt 300 ] && { echo "FAIL fy2014_setup: node did not start: $(tail -3 node.log)"; exit 1; }
	sleep 0.1
done
"$SM" stats --json --config "$conf" > stats.json 2> stats.err || bad stats_runs "$(cat stats.err)"
"$SM" stop --config "$conf" > /dev/null 2>&1
wait "$PID" 2>/dev/null
PID=""

# share NAME TABLE LABELS WANT TOLERANCE: percent of LABELS (summed) in TABLE
share() {
	/usr/bin/python3 - "$2" "$3" "$4" "$5" <<'PY' && ok "$1" || bad "$1" "$(cat share.err)"
import json, sys
table, labels, want, tol = sys.argv[1], sys.argv[2].split(","), float(sys.argv[3]), float(sys.argv[4])
doc = json.load(open("stats.json"))
doc = doc.get("stats", doc)
rows = doc[table]
total = sum(r["count"] for r in rows)
got = 100.0 * sum(r["count"] for r in rows if r["label"] in labels) / total if total else 0.0
if abs(got - want) > tol:
    open("share.err", "w").write("%s %s: %.1f%%, expected %.0f%% +- %.0f" % (table, labels, got, want, tol))
    sys.exit(1)
PY
}
/usr/bin/python3 -c '
import json, sys
d = json.load(open("stats.json")); d = d.get("stats", d)
sys.exit(0 if d["readable"] >= 550 else 1)' && ok node_reads_the_year || bad node_reads_the_year "$(head -c 300 stats.json)"
share mail_attachment_52 mail_types attachment 52 6
share mail_unknown_35 mail_types unknown 35 6
share sender_freemail_71 senders freemail-domestic,freemail-foreign 71 6
share sender_corporate_15 senders corporate 15 5
share sender_isp_4 senders isp 4 3
[ $fails -eq 0 ]
