#!/bin/sh
# tests/integration/node_crash.sh — kill -9 a node during heavy ingest and
# gossip, KILLS times (default 100), restarting it each time.
#
# Three nodes in one SIG. A and B submit reports all the time (so C ingests
# gossip and runs reconciliation while it is killed); C itself takes a burst
# of submissions after each start. C is killed with SIGKILL at a random
# moment 30-330 ms after it answers, restarted, and then:
#   - `sigmesh fsck` on C is clean;
#   - every report C acknowledged (the id `sigmesh submit` printed, which
#     it prints only after the durable commit) is in C's store.
# At the end C must catch up on everything A and B acknowledged. The run is
# bounded: it stops killing after NODE_CRASH_SECONDS (default 90).
#
# SIGKILL tests process crashes (the kernel keeps written pages), not power
# loss.
set -u
BUILD=${BUILD:-build}
KILLS=${KILLS:-100}
LIMIT=${NODE_CRASH_SECONDS:-80}
PACE=${NODE_CRASH_PACE:-0.1}	# pause between A's (and B's) submissions
TOP=$(cd "$(dirname "$0")/../.." && pwd)
SM=$TOP/$BUILD/sigmesh
SMD=$TOP/$BUILD/sigmeshd
T=$(mktemp -d "${TMPDIR:-/tmp}/sm-ncrash.XXXXXX") || exit 1
PIDS=""
cleanup() {
	[ -f "$T/run" ] && rm -f "$T/run"
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	[ -n "${KEEP:-}" ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT INT TERM
cd "$T" || exit 1
die() { echo "FAIL node_crash_setup: $1"; exit 1; }
rand() { echo $(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % $1 )); }

BASE=$((20000 + ($$ * 13) % 20000))
i=0
for o in A B C; do
	i=$((i + 1))
	eval "PORT_$o=$((BASE + i))"
	"$SM" keys generate --name "org-$o" --out "$o.key" >/dev/null 2>&1 || die "keys for $o"
done
mkdir rosters
"$SM" sig create --name chem --member A.key.card@tcp://127.0.0.1:$PORT_A \
	--member B.key.card@tcp://127.0.0.1:$PORT_B --member C.key.card@tcp://127.0.0.1:$PORT_C \
	--out chem.entry >/dev/null || die "sig create"
for o in A B C; do "$SM" sig approve --key "$o.key" chem.entry >/dev/null || die "approve $o"; done
"$SM" sig append rosters/chem.roster chem.entry >/dev/null || die "append"

start() {
	o=$1
	eval "p=\$PORT_$o"
	mkdir -p "$o"
	[ -f "$o/node.conf" ] || cat > "$o/node.conf" <<CONF
[node]
data_dir = $T/$o/data
key_file = $T/$o.key
rosters = $T/rosters
listen = tcp://127.0.0.1:$p
log_level = warn
recon_interval_ms = 1000
CONF
	"$SMD" --config "$o/node.conf" 2>>"$o/log" &
	eval "PID_$o=$!"
	PIDS="$PIDS $!"
}
ctl() { o=$1; shift; "$SM" "$@" --data-dir "$T/$o/data"; }
wait_up() {
	n=0
	until ctl "$1" status >/dev/null 2>&1; do
		n=$((n + 1)); [ $n -gt 300 ] && return 1
		sleep 0.02
	done
}
body() { printf '{"title":"crash %s","domains":["c%s.example"]}' "$1" "$1"; }
ids_of() {	# every object id in ORG's store, sorted
	after=0
	: > "$2"
	while :; do
		ctl "$1" dump --json --after "$after" > dump.json 2>/dev/null || return 1
		n=$(sed -n 's/^ *"id": "\([0-9a-f]\{64\}\)".*/\1/p' dump.json | tee -a "$2" | wc -l)
		[ "$n" -lt 20000 ] && break
		after=$(sed -n 's/^ *"last": \([0-9]*\).*/\1/p' dump.json | tail -1)
	done
	sort -o "$2" "$2"
}
# submitter ORG FILE: submit until the file run disappears or the node dies;
# append each acknowledged id (a complete line) to FILE
submitter() {
	k=0
	while [ -f run ]; do
		k=$((k + 1))
		id=$(body "$1$k$$" | ctl "$1" submit - --tlp amber --sig chem 2>/dev/null) || { [ "$2" = once ] && return; sleep 0.05; continue; }
		case "$id" in *[!0-9a-f]*|"") ;; *) [ ${#id} -eq 64 ] && echo "$id" >> "$3" ;; esac
		[ "$2" = loop ] && sleep "$PACE"
	done
}

for o in A B C; do start $o; done
for o in A B C; do wait_up $o || die "node $o did not start: $(cat $o/log)"; done
: > run
: > acked_ab; : > acked_c
submitter A loop acked_ab & S1=$!
submitter B loop acked_ab & S2=$!

t0=$(date +%s)
kills=0; fails=0
while [ $kills -lt "$KILLS" ] && [ $(($(date +%s) - t0)) -lt "$LIMIT" ]; do
	submitter C once acked_c & SC=$!
	sleep "$(printf '0.%03d' $((30 + $(rand 300))))"
	kill -9 "$PID_C" 2>/dev/null
	wait "$PID_C" 2>/dev/null
	# a submit caught by the kill waits for a reply that never comes: stop
	# the submitter (its unprinted id was never acknowledged)
	kill -9 "$SC" 2>/dev/null
	wait "$SC" 2>/dev/null
	kills=$((kills + 1))
	start C
	if ! wait_up C; then
		echo "FAIL node_crash_restart: C did not come back after kill $kills: $(tail -5 C/log)"
		fails=$((fails + 1)); break
	fi
	[ -n "${VERBOSE:-}" ] && echo "kill $kills up at $(date +%s.%N)"
	if ! ctl C fsck > fsck.out 2>&1; then
		echo "FAIL node_crash_fsck: after kill $kills: $(tail -5 fsck.out | tr '\n' '|')"
		fails=$((fails + 1)); break
	fi
	ids_of C have || { echo "FAIL node_crash_dump: after kill $kills"; fails=$((fails + 1)); break; }
	sort -u acked_c > want
	lost=$(comm -23 want have | wc -l)
	if [ "$lost" -ne 0 ]; then
		echo "FAIL node_crash_acked_present: after kill $kills, $lost acknowledged reports missing: $(comm -23 want have | head -3 | tr '\n' ' ')"
		fails=$((fails + 1)); break
	fi
done
rm -f run
wait $S1 $S2 2>/dev/null
secs=$(($(date +%s) - t0))
nc=$(sort -u acked_c | wc -l); nab=$(sort -u acked_ab | wc -l)
echo "    $kills kills in $secs s; C acknowledged $nc reports itself, A and B $nab"
if [ $fails -eq 0 ]; then
	echo "PASS node_crash_fsck_clean ($kills restarts)"
	echo "PASS node_crash_acked_present ($nc acknowledged ids, checked after every restart)"
	[ $kills -ge "$KILLS" ] && echo "PASS node_crash_kills ($kills kills)" \
		|| echo "FAIL node_crash_kills: only $kills of $KILLS kills in ${LIMIT} s"
	[ "$nc" -gt 0 ] && [ "$nab" -gt 0 ] && echo "PASS node_crash_ingest (load was real)" \
		|| { echo "FAIL node_crash_ingest: C acked $nc, A+B acked $nab"; fails=1; }
fi

# catch-up: C ends up with everything A and B acknowledged, and they with C's
# (objects in flight when C died come back by reconciliation: a session
# cut by the kill stays open on the peer for up to 30 s, RECON_STALE_MS)
sort -u acked_ab > want_ab
c0=$(date +%s)
while :; do
	ids_of C have
	m=$(comm -23 want_ab have | wc -l)
	[ "$m" -eq 0 ] && break
	[ $(($(date +%s) - c0)) -gt "${CATCHUP_SECONDS:-50}" ] && break
	sleep 0.5
done
[ "$m" -eq 0 ] && echo "PASS node_crash_catch_up ($nab reports from A and B all on C, $(($(date +%s) - c0)) s after the last kill)" \
	|| echo "FAIL node_crash_catch_up: C lacks $m of $nab reports from A and B $(($(date +%s) - c0)) s after the last kill"
ids_of A have_a
ma=$(sort -u acked_c | comm -23 - have_a | wc -l)
[ "$ma" -eq 0 ] && echo "PASS node_crash_peers_get_c ($nc reports of C on A)" \
	|| echo "FAIL node_crash_peers_get_c: A lacks $ma of C's $nc acknowledged reports"
for o in A B C; do ctl $o stop >/dev/null 2>&1; done
sleep 0.2
grep -h 'error' */log | head -5 | sed 's/^/    log: /'
true
