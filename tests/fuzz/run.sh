#!/bin/sh
# Builds each libFuzzer harness (tests/fuzz/fuzz_NAME.c) against the
# clang+ASan+UBSan libraries in build-fuzz/, seeds it from
# tests/fuzz/corpus/NAME/ (vectors are copied there by the harness's
# seed script, if any) and tests/fuzz/regress/NAME/, and runs it for
# FUZZ_SECONDS (default 20), FUZZ_JOBS harnesses at a time (default 1).
# A crash, leak, timeout or out-of-memory fails the run and leaves the
# input in build-fuzz/crashes/NAME/: add it to tests/fuzz/regress/NAME/ so
# the unit tests replay it forever. The log of each run is
# build-fuzz/fuzz-NAME.log. Prints one line per harness with the number of
# inputs it executed, then "fuzz: N harnesses, N failed".
#   tests/fuzz/run.sh tests/fuzz/fuzz_*.c     (make fuzz, make fuzz-ci)
set -u
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
FUZZ_JOBS=${FUZZ_JOBS:-1}
B=build-fuzz

# run_one NAME: fuzz one built harness; exit status 0 if nothing was found
if [ "${1:-}" = --run-one ]; then
	name=$2
	seeds=""
	[ -d "tests/fuzz/corpus/$name" ] && seeds="tests/fuzz/corpus/$name"
	[ -d "tests/fuzz/regress/$name" ] && seeds="$seeds tests/fuzz/regress/$name"
	echo "fuzz $name: ${FUZZ_SECONDS}s"
	if "$B/fuzz/fuzz_$name" -max_total_time="$FUZZ_SECONDS" -max_len=65536 -rss_limit_mb=2048 \
	    -artifact_prefix="$B/crashes/$name/" -print_final_stats=1 \
	    "$B/corpus/$name" $seeds >"$B/fuzz-$name.log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$B/fuzz-$name.log")
		echo ok > "$B/fuzz-$name.status"
		echo "fuzz $name: ok, ${runs:-?} executions in ${FUZZ_SECONDS}s; $(grep -E '^#[0-9]+.*DONE' "$B/fuzz-$name.log" | tail -1)"
		exit 0
	fi
	echo failed > "$B/fuzz-$name.status"
	echo "fuzz $name: FAILED, see $B/fuzz-$name.log and $B/crashes/$name/"
	grep -m3 -E 'ERROR:|runtime error|SUMMARY' "$B/fuzz-$name.log" | sed 's/^/    /'
	exit 1
fi

status=0
names=""
for src in "$@"; do
	name=$(basename "$src" .c | sed 's/^fuzz_//')
	mkdir -p "$B/fuzz" "$B/corpus/$name" "$B/crashes/$name"
	clang -std=c11 -I. -D_GNU_SOURCE -O1 -g -fsanitize=fuzzer,address,undefined \
	    $GMIME_CFLAGS "$src" $B/libsmnode.a $B/libsmkeys.a $B/libsmproto.a \
	    -lsodium -lzmq -llmdb -lmsgpackc -ljansson -linih $GMIME_LIBS -lpthread -lm \
	    -o "$B/fuzz/fuzz_$name" || { echo "fuzz $name: FAILED to build"; status=1; continue; }
	rm -f "$B/fuzz-$name.status"
	names="$names $name"
done
# xargs -P runs FUZZ_JOBS at a time and exits non-zero if any run failed
total=0
for n in $names; do total=$((total + 1)); done
printf '%s\n' $names | FUZZ_SECONDS=$FUZZ_SECONDS xargs -r -P "$FUZZ_JOBS" -n 1 sh "$0" --run-one || status=1
failed=0
for n in $names; do
	[ "$(cat "$B/fuzz-$n.status" 2>/dev/null)" = ok ] || failed=$((failed + 1))
done
echo "fuzz: $total harnesses, $failed failed, ${FUZZ_SECONDS}s each, $FUZZ_JOBS at a time"
exit $status
