#!/bin/sh
# Runs sigmesh's tests and prints one closing line "N passed, N failed".
# Each test program prints "PASS name" or "FAIL name: why" per case; a program
# that exits non-zero without printing a FAIL line counts as one failure.
#   tests/run.sh            unit tests, then integration tests
#   tests/run.sh unit       unit tests only
#   tests/run.sh NAME...    only the named tests (unit binary or script name)
set -u
BUILD=${BUILD:-build}
SHARED=${SHARED:-../shared}
export BUILD SHARED
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
log=$BUILD/test-logs
mkdir -p "$log"
pass=0; fail=0

run_one() {	# name, command...
	name=$1; shift
	out=$log/$name.out
	# a hung test must fail, not stall the whole run
	timeout -k 10 "${TEST_TIMEOUT:-900}" "$@" >"$out" 2>&1
	rc=$?
	[ "$rc" -eq 124 ] && echo "FAIL $name: timed out after ${TEST_TIMEOUT:-900} s" >>"$out"
	p=$(grep -c '^PASS ' "$out")
	f=$(grep -c '^FAIL ' "$out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "FAIL $name: exited with status $rc (log: $out)"
		tail -n 20 "$out" | sed 's/^/    /'
	fi
	grep -E '^(FAIL|SKIP) ' "$out" | sed "s/^/  [$name] /"
	[ "$f" -ne 0 ] && tail -n 30 "$out" | grep -v '^PASS ' | sed 's/^/    /'
	printf '%-28s %4d passed %4d failed\n' "$name" "$p" "$f"
	pass=$((pass + p)); fail=$((fail + f))
}


sel="$*"
selected() {
	[ -z "$sel" ] && return 0
	for s in $sel; do
		[ "$s" = "$1" ] && return 0
		[ "$s" = unit ] && [ "$2" = unit ] && return 0
		[ "$s" = integration ] && [ "$2" = integration ] && return 0
	done
	return 1
}

for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	n=$(basename "$t")
	selected "$n" unit && run_one "$n" "$t"
done
for t in tests/integration/*.sh; do
	[ "$(basename "$t")" = lib.sh ] && continue
	[ -f "$t" ] || continue
	n=$(basename "$t" .sh)
	selected "$n" integration && run_one "$n" sh "$t"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
