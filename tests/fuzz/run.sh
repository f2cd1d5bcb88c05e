#!/bin/sh
# Builds each libFuzzer harness (tests/fuzz/fuzz_NAME.c) against the
# clang+ASan+UBSan libraries in build-fuzz/, seeds it from
# tests/fuzz/corpus/NAME/ (vectors are copied there by the harness's
# seed script, if any) and runs it for FUZZ_SECONDS. A crash stops the run
# and leaves the input in build-fuzz/crashes/NAME/: add it to
# tests/fuzz/regress/NAME/ so the unit tests replay it forever.
set -u
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
B=build-fuzz
status=0
for src in "$@"; do
	name=$(basename "$src" .c | sed 's/^fuzz_//')
	bin=$B/fuzz/fuzz_$name
	mkdir -p "$B/fuzz" "$B/corpus/$name" "$B/crashes/$name"
	clang -std=c11 -I. -D_GNU_SOURCE -O1 -g -fsanitize=fuzzer,address,undefined \
	    $GMIME_CFLAGS "$src" $B/libsmnode.a $B/libsmkeys.a $B/libsmproto.a \
	    -lsodium -lzmq -llmdb -lmsgpackc -ljansson -linih $GMIME_LIBS -lpthread -lm \
	    -o "$bin" || { status=1; continue; }
	seeds=""
	[ -d "tests/fuzz/corpus/$name" ] && seeds="tests/fuzz/corpus/$name"
	[ -d "tests/fuzz/regress/$name" ] && seeds="$seeds tests/fuzz/regress/$name"
	echo "fuzz $name: ${FUZZ_SECONDS}s"
	if ! "$bin" -max_total_time="$FUZZ_SECONDS" -max_len=65536 -rss_limit_mb=2048 \
	    -artifact_prefix="$B/crashes/$name/" -print_final_stats=0 \
	    "$B/corpus/$name" $seeds >"$B/fuzz-$name.log" 2>&1; then
		echo "fuzz $name: FAILED, see $B/fuzz-$name.log and $B/crashes/$name/"
		status=1
	else
		grep -E '^#[0-9]+.*(DONE|pulse)' "$B/fuzz-$name.log" | tail -1
	fi
done
exit $status
