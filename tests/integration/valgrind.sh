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
TEST=valgrind
. "$TOP/tests/integration/lib.sh"
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
net_tmp vg

BASE=$(free_ports 6) || die "no free ports"
net_keys A B C D M
mkdir rosters
make_sig chem A B C M
make_sig gas C D

VG="valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 --track-origins=no"
start() {	# start ORG [vg]
	if [ "${2:-}" = vg ]; then
		start_node "$1" $VG --log-file="$T/$1.vg.%p"
	else
		start_node "$1"
	fi
}
UP_STEP=0.2	# need_up: 60 s, valgrind is slow
WAIT_STEP=0.2
WAIT_TRIES=200	# wait_for: 40 s
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
need_up A B C D
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
need_up C
wait_for "$LAST" C && ok vg_catch_up || bad vg_catch_up "C did not catch up"
ctl C fsck >/dev/null 2>&1 && ok vg_fsck || bad vg_fsck "$(ctl C fsck 2>&1 | tail -3)"
stop_vg A
stop_vg C
for o in B D; do ctl $o stop >/dev/null 2>&1; done
[ $fails -eq 0 ]
