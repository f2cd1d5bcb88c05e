#!/bin/sh
# tests/integration/exhaust.sh — real sigmeshd processes pushed out of
# resources. One SIG "s" of five organizations:
#   A  the source: submits large reports (30 KB of analysis each)
#   B  store map full: map_size_mb = 1; it must log a clear error, keep
#      answering status/list/show, refuse its own submissions with a clear
#      error, stay consistent (fsck), and after a restart with a larger map
#      take everything it missed and accept again
#   D  disk full: data dir on a 3 MiB tmpfs (root only, else SKIP), a
#      ballast file takes part of it; likewise, and once the ballast is
#      removed it recovers without a restart
#   C  too many open files: started under `ulimit -n 64`, then 200 TCP
#      connections to its CURVE port held open for a few seconds; it must
#      not crash and must serve again once they close (logging the problem
#      is checked with EXHAUST_STRICT=1: see the report of issue 6)
#   F  allocation failures: LD_PRELOAD $BUILD/failalloc.so
#      (tests/tools/failalloc.c) fails every 5th allocation made by
#      sigmesh's own code while a control file exists; the node may refuse
#      work but must not crash, its store must pass fsck, and it must take
#      everything it missed once the file is removed
# The checks that once failed because of node bugs (catch-up of what a
# full store missed, a log line about descriptors) now pass and FAIL when
# they do not; EXHAUST_STRICT=0 turns them back into SKIPs while a
# regression is being fixed.
set -u
BUILD=${BUILD:-build}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TEST=exhaust
. "$TOP/tests/integration/lib.sh"
STRICT=${EXHAUST_STRICT:-1}
net_tmp exh
MNT=""
cleanup() {	# the nodes first: the tmpfs is busy while they run
	net_kill_all
	[ -n "$MNT" ] && umount "$MNT" 2>/dev/null
	net_rm_tmp
}
trap cleanup EXIT INT TERM
# known(NAME, WHY): a check that fails because of a node bug; FAIL only
# with EXHAUST_STRICT=1
known() { if [ "$STRICT" = 1 ]; then bad "$1" "$2"; else skip "$1" "known node bug (EXHAUST_STRICT=1 to fail): $2"; fi; }

BASE=$(free_ports 8) || die "no free ports"
ORGS="A B C D F"
net_keys $ORGS
mkdir rosters
make_sig s $ORGS

NODE_LOG=info
NODE_RECON_MS=1000
conf() {	# conf ORG MAP_MB [DATA_DIR]
	eval "DATA_$1=\${3:-$T/$1/data}"
	node_conf "$1" "map_size_mb = $2"
}
# holds_all ORG FILE [SECONDS]: until ORG holds every report id in FILE
holds_all() {
	n=0
	while :; do
		report_ids "$1" > "$1.ids"
		[ -z "$(comm -23 "$2" "$1.ids")" ] && return 0
		n=$((n + 1)); [ $n -gt $((${3:-30} * 4)) ] && return 1
		sleep 0.25
	done
}
body() {	# body TITLE: a report with 30 KB of analysis (random hex)
	pad=$(head -c 15000 /dev/urandom | od -An -v -tx1 | tr -d ' \n')
	printf '{"title":"%s","mail_type":"attachment","sender_class":"freemail-foreign","from":[{"address":"lure@%s.example","name":"HR"}],"subject":"%s","domains":["%s.example"],"analysis":"%s"}' \
	    "$1" "$1" "$1" "$1" "$pad"
}
submit() {	# submit ORG TITLE: prints the id; fails as the CLI does
	body "$2" | ctl "$1" submit - --tlp amber --sig s
}
fsck_clean() {	# fsck_clean NAME ORG
	if ctl "$2" fsck > "$2.fsck" 2>&1; then ok "$1"; else bad "$1" "$(head -c 400 "$2.fsck")"; fi
}

# ---------------------------------------------------------------- (a), (b)
conf A 256
conf B 1
start_node A
start_node B
HAVE_D=0
if [ "$(id -u)" = 0 ] && mkdir -p "$T/dmnt" && mount -t tmpfs -o size=3m tmpfs "$T/dmnt" 2>/dev/null; then
	MNT=$T/dmnt
	HAVE_D=1
	head -c 1048576 /dev/zero > "$MNT/ballast"
	conf D 64 "$MNT/data"
	start_node D
else
	skip exhaust_disk_full "needs root and a tmpfs mount"
fi
need_up A B
[ $HAVE_D = 1 ] && need_up D
sleep 1
: > a.ids
for k in $(seq 1 70); do
	id=$(submit A "fill$k") || { bad exhaust_source_submit "A refused report $k: $id"; break; }
	echo "$id" >> a.ids
done
sort -o a.ids a.ids
sleep 3

# (a) B's map is full
n=0
until grep -q "store full" B/log || [ $n -gt 40 ]; do sleep 0.25; n=$((n + 1)); done
if grep -q "store full: map size 1 MiB reached; raise map_size_mb" B/log; then
	ok exhaust_mapfull_logged
else
	bad exhaust_mapfull_logged "no clear error in B's log: $(grep -i 'full\|error' B/log | tail -3)"
fi
alive B && ok exhaust_mapfull_alive || bad exhaust_mapfull_alive "B exited: $(tail -3 B/log)"
report_ids B > b.ids
held=$(wc -l < b.ids)
[ "$held" -gt 0 ] && [ "$held" -lt 70 ] && ok exhaust_mapfull_partial \
	|| bad exhaust_mapfull_partial "B holds $held of 70 reports (expected some, not all)"
one=$(head -1 b.ids)
if ctl B status > b.status 2>&1 && ctl B list > b.list 2>&1 && ctl B show "$one" --json > b.show 2>&1 \
	&& grep -q '"readable": true' b.show; then
	ok exhaust_mapfull_reads
else
	bad exhaust_mapfull_reads "status/list/show failed: $(head -c 300 b.status b.list b.show)"
fi
if out=$(submit B "bfull" 2>&1); then
	bad exhaust_mapfull_submit_refused "B accepted a report with a full map: $out"
elif echo "$out" | grep -q "full"; then
	ok exhaust_mapfull_submit_refused
else
	bad exhaust_mapfull_submit_refused "refused, but not saying the store is full: $out"
fi
fsck_clean exhaust_mapfull_fsck B
stop_node B
sed -i 's/^map_size_mb = 1$/map_size_mb = 64/' B/node.conf
start_node B
wait_up B || bad exhaust_mapfull_restart "B did not start with a larger map"
# known bug: A keeps the objects it pushed to B in a dedup set that is only
# cleared after 5 s without a session (node/gossip_recon.c, push_have);
# with sessions every second it is never cleared, so what B failed to store
# is never sent again, even after B restarts
holds_all B a.ids 40 && ok exhaust_mapfull_catches_up \
	|| known exhaust_mapfull_catches_up "$(comm -23 a.ids B.ids | wc -l) of A's reports missing after the restart"
if out=$(submit B "bagain" 2>&1); then ok exhaust_mapfull_accepts_again; else
	bad exhaust_mapfull_accepts_again "$out"; fi
fsck_clean exhaust_mapfull_fsck_after B

# (b) D's disk is full
if [ $HAVE_D = 1 ]; then
	n=0
	until grep -q "store full" D/log || [ $n -gt 40 ]; do sleep 0.25; n=$((n + 1)); done
	if grep -q "store full: .*disk full in" D/log; then ok exhaust_diskfull_logged; else
		bad exhaust_diskfull_logged "no clear error in D's log: $(grep -i 'full\|error' D/log | tail -3)"; fi
	alive D && ok exhaust_diskfull_alive || bad exhaust_diskfull_alive "D exited: $(tail -3 D/log)"
	report_ids D > d.ids
	one=$(head -1 d.ids)
	if [ -n "$one" ] && ctl D status >/dev/null 2>&1 && ctl D list >/dev/null 2>&1 \
		&& ctl D show "$one" --json 2>/dev/null | grep -q '"readable": true'; then
		ok exhaust_diskfull_reads
	else
		bad exhaust_diskfull_reads "D holds $(wc -l < d.ids) reports; status/list/show failed"
	fi
	if out=$(submit D "dfull" 2>&1); then
		bad exhaust_diskfull_submit_refused "D accepted a report on a full disk: $out ($(df -k "$MNT" | tail -1))"
	elif echo "$out" | grep -q "full"; then ok exhaust_diskfull_submit_refused; else
		bad exhaust_diskfull_submit_refused "refused, but not saying the disk is full: $out"; fi
	fsck_clean exhaust_diskfull_fsck D
	rm -f "$MNT/ballast"
	holds_all D a.ids 40 && ok exhaust_diskfull_recovers \
		|| known exhaust_diskfull_recovers "$(comm -23 a.ids D.ids | wc -l) of A's reports missing after space was freed"
	if out=$(submit D "dagain" 2>&1); then ok exhaust_diskfull_accepts_again; else
		bad exhaust_diskfull_accepts_again "$out"; fi
	fsck_clean exhaust_diskfull_fsck_after D
	stop_node D
fi
stop_node B

# ---------------------------------------------------------------- (c)
conf C 64
start_node C sh -c 'ulimit -n 64 && exec "$0" "$@"'
if ! wait_up C; then
	bad exhaust_fds_start "C did not start under ulimit -n 64: $(tail -3 C/log)"
else
	holds_all C a.ids 40 || true
	python3 - "$PORT_C" > c.py.out 2>&1 <<'EOF' &
import socket, sys, time
socks = []
for i in range(200):
    try:
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
        socks.append(s)
    except OSError as e:
        print("connect %d: %s" % (i, e))
        break
print("held %d connections" % len(socks))
time.sleep(6)
for s in socks:
    s.close()
EOF
	hog=$!
	sleep 2
	during=$(submit A "during-fds") || bad exhaust_fds_source "A refused: $during"
	sleep 2
	alive C && ok exhaust_fds_alive_under_load || bad exhaust_fds_alive_under_load "C exited: $(tail -3 C/log)"
	wait "$hog"
	echo "$during" >> a.ids
	sort -o a.ids a.ids
	alive C && ok exhaust_fds_no_crash || bad exhaust_fds_no_crash "C exited: $(tail -5 C/log)"
	if wait_up C && holds_all C a.ids 30; then ok exhaust_fds_serves_after; else
		bad exhaust_fds_serves_after "C did not answer or catch up after the connections closed: $(tail -3 C/log)"; fi
	if grep -qi "too many open files\|descriptor\|EMFILE" C/log; then ok exhaust_fds_logged; else
		known exhaust_fds_logged "nothing in C's log about running out of descriptors ($(cat c.py.out))"; fi
	stop_node C
fi

# ---------------------------------------------------------------- (d)
case $BUILD in
*-san) skip exhaust_alloc "LD_PRELOAD cannot go before the sanitizer runtime" ;;
*)
if ! cc -std=c11 -O2 -shared -fPIC -DFAILALLOC_SO -o "$T/failalloc.so" "$TOP/tests/tools/failalloc.c"; then
	bad exhaust_alloc_build "cannot build failalloc.so"
else
	conf F 64
	start_node F env LD_PRELOAD="$T/failalloc.so" FAILALLOC_EVERY="${FAILALLOC_EVERY:-5}" FAILALLOC_CTL="$T/fail.on"
	if ! wait_up F; then
		bad exhaust_alloc_start "F did not start: $(tail -3 F/log)"
	else
		holds_all F a.ids 40 || true
		touch fail.on
		sleep 0.2
		refused=0 served=0
		for k in $(seq 1 15); do
			if id=$(submit A "alloc$k"); then echo "$id" >> a.ids; fi
			submit F "falloc$k" >/dev/null 2>&1 || refused=$((refused + 1))
			ctl F status >/dev/null 2>&1 && served=$((served + 1))
			ctl F list >/dev/null 2>&1 && served=$((served + 1))
		done
		sort -o a.ids a.ids
		sleep 2
		echo "exhaust: under failing allocations F refused $refused of 15 submissions, answered $served of 30 reads, $(cat fail.on.count 2>/dev/null || echo 0) allocations failed"
		alive F && ok exhaust_alloc_no_crash || bad exhaust_alloc_no_crash "F exited: $(tail -5 F/log)"
		[ "$(cat fail.on.count 2>/dev/null || echo 0)" -gt 0 ] && ok exhaust_alloc_injected \
			|| bad exhaust_alloc_injected "no allocation failed: the injector did nothing"
		rm -f fail.on
		sleep 0.2
		if alive F; then
			if holds_all F a.ids 40; then ok exhaust_alloc_recovers; else
				bad exhaust_alloc_recovers "$(comm -23 a.ids F.ids | wc -l) of A's reports missing after failures stopped"; fi
			if out=$(submit F "fagain" 2>&1); then ok exhaust_alloc_accepts_again; else
				bad exhaust_alloc_accepts_again "$out"; fi
			fsck_clean exhaust_alloc_fsck F
		fi
		stop_node F
	fi
fi
;;
esac
stop_node A
