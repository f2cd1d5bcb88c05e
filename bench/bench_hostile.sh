#!/bin/sh
# bench_hostile.sh: honest reports' latency while a malicious member
# attacks, next to the same latency without the attack, as one markdown
# section on stdout for bench/run.sh. The attacks and the measurement are
# tests/integration/hostile.sh's (real sigmeshd processes on 127.0.0.1,
# build/tools/hostile speaking as the member M): each figure is the time
# from submitting a TLP:AMBER report at one node until every member of its
# SIG that runs a node holds it (chem: A, B, C and R, R being removed later;
# gas: D, E), taken three times quiet and three times
# during a 6 s flood of invalid frames from M, once for the other SIG
# (gas) during that flood, once during a 2 s IHAVE flood, and twice
# during a slowloris of 200 half-open connections. -1: not delivered in
# 15 s. The test's own PASS/FAIL count is shown too.
set -u
BUILD=${BUILD:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
echo "## Hostile peers: honest latency during attacks"
echo
log=$(mktemp)
trap 'rm -f "$log"' EXIT INT TERM
load0=$(cut -d' ' -f1-3 /proc/loadavg)
BUILD=$BUILD sh tests/integration/hostile.sh >"$log" 2>&1
pass=$(grep -c '^PASS' "$log")
fail=$(grep -c '^FAIL' "$log")
quiet=$(sed -n 's/.*latency to all of chem (ms): quiet: *\([0-9 -]*\);.*/\1/p' "$log")
flood=$(sed -n 's/.*during flood: *\([0-9 -]*\); gas.*/\1/p' "$log")
gas=$(sed -n 's/.*gas during flood: *\([0-9-]*\).*/\1/p' "$log")
ihave=$(sed -n 's/.*latency during a 2 s IHAVE flood (ms): *\([0-9-]*\).*/\1/p' "$log")
slow=$(sed -n 's/.*latency during slowloris (ms): *\([0-9 -]*\).*/\1/p' "$log")
echo "Command: \`make bench\` (bench/bench_hostile.sh runs tests/integration/hostile.sh: $pass passed, $fail failed); load average $load0 at the start."
echo
echo "| honest TLP:AMBER report to its SIG | latency to every member (ms, each try) |"
echo "|---|---|"
echo "| no attack (chem) | ${quiet:-n/a} |"
echo "| during a flood of invalid frames from M (chem, M's SIG) | ${flood:-n/a} |"
echo "| during that flood, the other SIG M is in (gas) | ${gas:-n/a} |"
echo "| during a 2 s IHAVE flood (chem) | ${ihave:-n/a} |"
echo "| during a slowloris of 200 half-open connections (chem) | ${slow:-n/a} |"
echo
grep -E '^\s+flood|^\s+slowloris' "$log" | sed 's/^ *//; s/^/- /'
echo
[ "$fail" -eq 0 ]
