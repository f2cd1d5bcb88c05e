#!/bin/sh
# sim_small: sigmesh-sim's own logic checks (selftest), then a small testnet
# end to end: 12 organizations in 3 SIGs, 60 reports of the FY2014 mix,
# demo faults (kills, a freeze, a node offline that must catch up). Asserts
# zero leaks and full coverage after healing.
set -u
BUILD=${BUILD:-build}
sim=$BUILD/sigmesh-sim
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
if [ ! -x "$sim" ]; then
	echo "FAIL sim_small: $sim is not built"
	exit 1
fi
"$sim" selftest || true

if [ ! -x "$BUILD/sigmeshd" ] && [ -z "${SIGMESH_SIM_NODE:-}" ]; then
	echo "SKIP sim_small_e2e: $BUILD/sigmeshd is not built yet"
	exit 0
fi
out=$(mktemp -d /tmp/sim_small.XXXXXX)
trap 'rm -rf "$out"' EXIT INT TERM
"$sim" run --profile sim/profiles/small.txt --workload fy2014 --reports 60 --rate 10 \
	--faults demo --seed 1 --settle 45 --out "$out/res" >"$out/log" 2>&1
rc=$?
if [ ! -f "$out/res/summary.json" ]; then
	echo "FAIL sim_small_e2e: no summary (exit $rc)"
	tail -n 30 "$out/log"
	exit 1
fi
# pull the figures out of summary.json
get() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); r=d["results"]
for k in sys.argv[2].split("."): r=r[k]
print(r)' "$out/res/summary.json" "$1"
}
leaks=$(get leaks.count)
missing=$(get deliveries.missing)
reports=$(get objects.report.created)
if [ "$leaks" = 0 ]; then echo "PASS sim_small_no_leaks"; else
	echo "FAIL sim_small_no_leaks: $leaks objects held outside their audience"; fi
if [ "$missing" = 0 ]; then echo "PASS sim_small_full_coverage"; else
	echo "FAIL sim_small_full_coverage: $missing expected deliveries missing after healing"; fi
if [ "$reports" -ge 55 ]; then echo "PASS sim_small_reports_submitted"; else
	echo "FAIL sim_small_reports_submitted: only $reports of 60 reports accepted"; fi
if [ -s "$out/res/latency.svg" ] && grep -q '<polyline' "$out/res/latency.svg"; then
	echo "PASS sim_small_latency_chart"; else echo "FAIL sim_small_latency_chart: no curve"; fi
if [ "$rc" -eq 0 ]; then echo "PASS sim_small_exit_status"; else
	echo "FAIL sim_small_exit_status: sigmesh-sim exited $rc"; tail -n 25 "$out/log"; fi
exit 0
