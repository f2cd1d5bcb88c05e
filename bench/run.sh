#!/bin/sh
# Runs every benchmark in $BUILD/bench/ (BUILD defaults to build), collects
# the markdown section each prints on stdout, and writes bench/RESULTS.md
# with a header describing the machine. Run from anywhere; `make bench`
# builds first and calls this.
set -u
BUILD=${BUILD:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=bench/RESULTS.md
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
{
	echo "# sigmesh benchmark results"
	echo
	echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "- nproc: $(nproc)"
	echo "- CPU: ${cpu:-unknown}"
	echo "- kernel: $(uname -sr)"
	echo "- load average at start: $(cut -d" " -f1-3 /proc/loadavg) (a shared machine: timings vary)"
	echo "- command: \`${BENCH_NET_SCALE+BENCH_NET_SCALE=$BENCH_NET_SCALE }make bench\`"
	echo
} >"$tmp"
status=0
found=0
for b in "$BUILD"/bench/*; do
	[ -f "$b" ] && [ -x "$b" ] || continue
	found=1
	echo "bench: $(basename "$b")" >&2
	if ! "$b" >>"$tmp"; then
		echo "bench: $(basename "$b") failed" >&2
		echo "_$(basename "$b") failed._" >>"$tmp"
		echo >>"$tmp"
		status=1
	fi
done
# the issue asks for catch-up after 10,000 missed reports too (bench_ingest's
# default run above is 100,000): its catch-up section only
if [ -x "$BUILD/bench/bench_ingest" ]; then
	echo "bench: bench_ingest 10000 (catch-up)" >&2
	"$BUILD/bench/bench_ingest" 10000 2>/dev/null |
	    awk '/^## Catch-up/ { on = 1 } /^## / && !/^## Catch-up/ { on = 0 } on' >>"$tmp" || status=1
fi
BUILD="$BUILD" ./bench/bench_net.sh >>"$tmp" || { echo "_bench_net.sh failed._" >>"$tmp"; status=1; }
BUILD="$BUILD" ./bench/bench_hostile.sh >>"$tmp" || { echo "_bench_hostile.sh: a hostile-peer check failed._" >>"$tmp"; status=1; }
[ "$found" -eq 1 ] || { echo "bench: nothing in $BUILD/bench/" >&2; exit 1; }
{
	echo "## Notes"
	echo
	echo "How these figures moved between runs, and why targets are missed, is written by hand in bench/NOTES.md."
} >>"$tmp"
mv "$tmp" "$out"
trap - EXIT
echo "bench: wrote $out" >&2
exit $status
