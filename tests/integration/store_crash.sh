#!/bin/sh
# tests/integration/store_crash.sh — crash consistency of node/store.c.
#
# Runs build/tools/store_crash as a writer, kills it with SIGKILL at a random
# moment (0-40 ms after start: during open, mid-batch, mid-commit), then
# runs "store_crash verify", which requires store_check to be clean and every
# id the writer acknowledged (printed after its durable commit) to be present.
# ROUNDS fresh stores of KILLS kills each (125 kills by default), so every
# verify stays short. Prints PASS/FAIL lines; the whole script takes ~15 s.
#
# Note: SIGKILL tests process crashes (the kernel keeps written pages); it
# does not simulate power loss, which depends on the disk honouring fsync.
set -u
BUILD=${BUILD:-build}
ROUNDS=${ROUNDS:-5}
KILLS=${KILLS:-25}
tool=$BUILD/tools/store_crash

if [ ! -x "$tool" ]; then
	echo "FAIL store_crash: $tool not built"
	exit 1
fi
tmp=$(mktemp -d /tmp/sm-store-crash-XXXXXX) || { echo "FAIL store_crash: mktemp"; exit 1; }
trap 'rm -rf "$tmp"' EXIT INT TERM

# A random integer in [0, $1).
rand() {
	echo $(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % $1 ))
}

total=0
ok=1
start=$(date +%s)
r=1
while [ "$r" -le "$ROUNDS" ] && [ "$ok" -eq 1 ]; do
	store=$tmp/store$r
	acks=$tmp/acks$r
	: >"$acks"
	k=1
	while [ "$k" -le "$KILLS" ]; do
		"$tool" write "$store" >"$tmp/out" 2>"$tmp/err" &
		pid=$!
		ms=$(rand 41)
		sleep "$(printf '0.%03d' "$ms")"
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		st=$?
		if [ "$st" -ne 137 ]; then
			echo "FAIL store_crash_kill: round $r kill $k: writer exited with $st before the kill: $(head -c 300 "$tmp/err")"
			ok=0
			break
		fi
		# Only complete lines are acknowledgements; a line cut by the
		# kill was never fully delivered.
		grep -E '^[0-9a-f]{64}$' "$tmp/out" >>"$acks"
		if ! "$tool" verify "$store" <"$acks" >"$tmp/vout" 2>"$tmp/verr"; then
			echo "FAIL store_crash_kill: round $r kill $k (after ${ms} ms): $(cat "$tmp/vout") $(head -c 600 "$tmp/verr")"
			ok=0
			break
		fi
		total=$((total + 1))
		k=$((k + 1))
	done
	[ "$ok" -eq 1 ] && echo "round $r: $(cat "$tmp/vout")"
	rm -rf "$store"
	r=$((r + 1))
done
end=$(date +%s)
nacks=$(cat "$tmp"/acks* | wc -l)

if [ "$ok" -eq 1 ]; then
	if [ "$nacks" -gt 0 ]; then
		echo "PASS store_crash_kill ($total kills in $((end - start)) s, $nacks acknowledged ids all present, store_check clean after every kill)"
	else
		echo "FAIL store_crash_kill: the writer never acknowledged anything"
		ok=0
	fi
fi

# Disk full: a 1 MiB tmpfs fills; the writer must fail with SM_EFULL, the
# store must verify, and after the filesystem grows it must take writes
# again. Needs root to mount; otherwise SKIP.
disk=$tmp/disk
mkdir -p "$disk"
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=1m tmpfs "$disk" 2>/dev/null; then
	df=ok
	if ! "$tool" fill "$disk/st" >"$tmp/f1" 2>"$tmp/ferr"; then
		df="first fill did not end in SM_EFULL: $(head -c 300 "$tmp/ferr")"
	elif ! grep -q 'store full' "$tmp/ferr"; then
		df="no 'store full' message: $(head -c 300 "$tmp/ferr")"
	elif ! "$tool" verify "$disk/st" <"$tmp/f1" >"$tmp/vout" 2>"$tmp/verr"; then
		df="verify after disk full: $(cat "$tmp/vout") $(head -c 300 "$tmp/verr")"
	elif ! mount -o remount,size=8m "$disk" 2>/dev/null; then
		df="cannot grow the tmpfs"
	elif ! "$tool" fill "$disk/st" >"$tmp/f2" 2>"$tmp/ferr"; then
		df="second fill did not end in SM_EFULL: $(head -c 300 "$tmp/ferr")"
	elif [ "$(wc -l <"$tmp/f2")" -eq 0 ]; then
		df="no writes accepted after space was freed"
	else
		cat "$tmp/f1" "$tmp/f2" >"$tmp/f12"
		"$tool" verify "$disk/st" <"$tmp/f12" >"$tmp/vout" 2>"$tmp/verr" ||
		    df="verify after second fill: $(cat "$tmp/vout") $(head -c 300 "$tmp/verr")"
	fi
	umount "$disk"
	if [ "$df" = ok ]; then
		echo "PASS store_disk_full ($(wc -l <"$tmp/f1") then $(wc -l <"$tmp/f2") acknowledged ids before SM_EFULL on a 1 then 8 MiB tmpfs, all present)"
	else
		echo "FAIL store_disk_full: $df"
		ok=0
	fi
else
	echo "SKIP store_disk_full: needs root and a tmpfs mount"
fi
[ "$ok" -eq 1 ]
