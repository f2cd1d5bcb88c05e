#!/bin/sh
# tests/integration/valgrind.sh — sigmeshd under valgrind memcheck.
#
# A small node_net-like run: chem {A,B,C}, gas {C,D} (C bridges). A and C
# run under valgrind (--leak-check=full --errors-for-leak-kinds=definite
# --error-exitcode=99); B and D run natively. Traffic: AMBER to chem, GREEN
# to all, RED to one org, a sighting, a release to gas, garbage from a
# hostile member (build/tools/hostile) against a valgrind node, a restart
# of a valgrind node (catch-up), then a clean stop. Passes when both
# valgrind processes exit 0 (no invalid access, no uninitialised use, no
# definite leak) and the traffic arrived.
#
# About 1-2 minutes, too slow for every `make test` on a shared machine:
# it runs only with VALGRIND=1, and prints SKIP when valgrind is missing.
set -u
BUILD=${BUILD:-build}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
SM=$TOP/$BUILD/sigmesh
SMD=$TOP/$BUILD/sigmeshd
HOS=$TOP/$BUILD/tools/hostile
if [ "${VALGRIND:-0}" != 1 ]; then
	echo "SKIP valgrind_sigmeshd: set VALGRIND=1 to run (about 2 minutes)"
	exit 0
fi
if ! command -v valgrind >/dev/null 2>&1; then
	echo "SKIP valgrind_sigmeshd: valgrind is not installed"
	exit 0
fi
case "$BUILD" in *san*) echo "SKIP valgrind_sigmeshd: sanitizer build"; exit 0 ;; esac
T=$(mktemp -d "${TMPDIR:-/tmp}/sm-vg.XXXXXX") || exit 1
PIDS=""
cleanup() {
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	[ -n "${KEEP:-}" ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT INT TERM
cd "$T" || exit 1
fails=0
ok()  { echo "PASS $1"; }
bad() { echo "FAIL $1: $2"; fails=$((fails + 1)); }
die() { echo "FAIL valgrind_setup: $1"; exit 1; }

BASE=$((20000 + ($$ * 11) % 20000))
i=0
for o in A B C D M; do
	i=$((i + 1))
	eval "PORT_$o=$((BASE + i))"
	"$SM" keys generate --name "org-$o" --out "$o.key" >/dev/null 2>&1 || die "keys for $o"
done
make_sig() {
	name=$1; shift
	args=""
	for o in "$@"; do eval "p=\$PORT_$o"; args="$args --member $o.key.card@tcp://127.0.0.1:$p"; done
	"$SM" sig create --name "$name" $args --out "$name.entry" >/dev/null || die "sig create $name"
	for o in "$@"; do "$SM" sig approve --key "$o.key" "$name.entry" >/dev/null || die "approve"; done
	"$SM" sig append "rosters/$name.roster" "$name.entry" >/dev/null || die "append $name"
}
mkdir rosters
make_sig chem A B C M
make_sig gas C D

VG="valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 --track-origins=no"
start() {	# start ORG [vg]
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
recon_interval_ms = 2000
CONF
	if [ "${2:-}" = vg ]; then
		$VG --log-file="$T/$o.vg.%p" "$SMD" --config "$o/node.conf" 2>>"$o/log" &
	else
		"$SMD" --config "$o/node.conf" 2>>"$o/log" &
	fi
	eval "PID_$o=$!"
	PIDS="$PIDS $!"
}
ctl() { o=$1; shift; "$SM" "$@" --data-dir "$T/$o/data"; }
has() { ctl "$1" dump --json 2>/dev/null | grep -q "\"id\": \"$2\""; }
wait_up() {
	for o in "$@"; do
		n=0
		until ctl "$o" status >/dev/null 2>&1; do
			n=$((n + 1)); [ $n -gt 300 ] && die "node $o did not start: $(cat $o/log)"
			sleep 0.2
		done
	done
}
wait_for() {	# 40 s: valgrind is slow
	id=$1; shift
	n=0
	while :; do
		all=1
		for o in "$@"; do has "$o" "$id" || { all=0; break; }; done
		[ $all -eq 1 ] && return 0
		n=$((n + 1)); [ $n -gt 200 ] && return 1
		sleep 0.2
	done
}
stop_vg() {	# stop ORG: clean stop, then valgrind's verdict
	o=$1
	eval "pid=\$PID_$o"
	ctl "$o" stop >/dev/null 2>&1 || kill -TERM "$pid"
	wait "$pid"
	rc=$?
	if [ "$rc" -eq 0 ]; then ok "valgrind_clean_$o"
	else bad "valgrind_clean_$o" "exit $rc: $(cat $T/$o.vg.* 2>/dev/null | grep -v '^==[0-9]*== *$' | head -30)"; fi
	rm -f "$T"/$o.vg.*
}
body() { printf '{"title":"%s","domains":["%s"],"urls":["http://%s/x"]}' "$1" "$2" "$2"; }

start A vg; start C vg; start B; start D
wait_up A B C D
AM=$(body "vg amber" amber.example | ctl A submit - --tlp amber --sig chem) || bad submit_amber "$AM"
wait_for "$AM" A B C && ok vg_amber_delivered || bad vg_amber_delivered "not in A B C"
GR=$(body "vg green" green.example | ctl D submit - --tlp green --audience federation)
wait_for "$GR" A B C D && ok vg_green_delivered || bad vg_green_delivered "not everywhere"
RD=$(body "vg red" red.example | ctl A submit - --tlp red --org org-C)
wait_for "$RD" A C && ok vg_red_delivered || bad vg_red_delivered "not on C"
SI=$(ctl B sight "$AM")
wait_for "$SI" A C && ok vg_sighting_delivered || bad vg_sighting_delivered "not on A C"
RL=$(ctl A release "$AM" --sig gas)
wait_for "$AM" D && ok vg_release_delivered || bad vg_release_delivered "report not on D"
ctl D show "$AM" --json | grep -q '"readable": true' && ok vg_release_readable || bad vg_release_readable "D cannot read"
ctl C search amber.example --json | grep -q "$AM" && ok vg_search || bad vg_search "C does not find it"
if [ -x "$HOS" ]; then
	for m in forged-sig bomb-len bomb-deep big-object garbage; do
		"$HOS" $m --key M.key --rosters rosters --victim org-A >/dev/null 2>&1
	done
	ctl A status >/dev/null 2>&1 && ok vg_hostile_survived || bad vg_hostile_survived "A does not answer"
fi
# restart C under valgrind and let it catch up
stop_vg C
for k in 1 2 3 4 5; do LAST=$(body "vg burst $k" b$k.example | ctl B submit - --tlp amber --sig chem); done
start C vg
wait_up C
wait_for "$LAST" C && ok vg_catch_up || bad vg_catch_up "C did not catch up"
ctl C fsck >/dev/null 2>&1 && ok vg_fsck || bad vg_fsck "$(ctl C fsck 2>&1 | tail -3)"
stop_vg A
stop_vg C
for o in B D; do ctl $o stop >/dev/null 2>&1; done
[ $fails -eq 0 ]
