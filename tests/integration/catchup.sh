#!/bin/sh
# tests/integration/catchup.sh — catch-up and crash durability of real
# sigmeshd processes on loopback.
#
# 1. Three members of one SIG (A, B, C). C is stopped while A originates
#    CATCHUP_N reports (default 2000) and B sights some of them; C comes
#    back and must end up with exactly the objects A and B hold: nothing
#    missing, nothing extra (compared id by id from `sigmesh dump --json`).
# 2. A is killed with SIGKILL at a random moment during a burst of
#    submissions, CRASH_ROUNDS times (default 20): every id `sigmesh submit`
#    printed (it prints only after the durable commit) must be in A's store
#    after the restart, and the store must pass fsck at the end.
set -u
BUILD=${BUILD:-build}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TEST=catchup
. "$TOP/tests/integration/lib.sh"
N=${CATCHUP_N:-2000}
ROUNDS=${CRASH_ROUNDS:-20}
net_tmp catchup
BASE=$(free_ports 4) || die "no free ports"
net_keys A B C
mkdir rosters
make_sig chem A B C

UP_TRIES=100
ids() {	# ids ORG: sorted object ids in ORG's store
	ctl "$1" dump --json 2>/dev/null | sed -n 's/.*"id": "\([0-9a-f]\{64\}\)".*/\1/p' | sort
}
body() {
	printf '{"title":"lure %s","mail_type":"attachment","sender_class":"freemail-foreign","from":[{"address":"hr@lure%s.example"}],"domains":["c2-%s.example"]}' "$1" "$1" "$1"
}
submit_one() {	# submit_one ORG K: prints the new id
	body "$2" | ctl "$1" submit - --tlp amber --sig chem
}

# ---- 1. exact catch-up ---------------------------------------------------
for o in A B C; do start_node $o; done
need_up A B C
kill "$PID_C"; wait "$PID_C" 2>/dev/null
t0=$(date +%s)
# the number comes last, as $2: xargs -I would also replace its marker
# inside the paths (mktemp's names contain any letter)
seq 1 "$N" | xargs -P 4 -n 1 sh -c '
	printf "{\"title\":\"lure %s\",\"mail_type\":\"link\",\"domains\":[\"c2-%s.example\"]}" "$2" "$2" |
	"$0" submit - --tlp amber --sig chem --data-dir "$1"' "$SM" "$T/A/data" > a.ids 2>a.err
got=$(grep -c . a.ids)
[ "$got" -eq "$N" ] || bad catchup_submit "$got of $N submissions succeeded: $(head -3 a.err)"
# sightings by B of a few reports: objects that depend on others
n=0
for id in $(head -50 a.ids); do
	k=0
	until ctl B sight "$id" >>b.ids 2>/dev/null; do
		k=$((k + 1)); [ $k -gt 50 ] && break; sleep 0.1
	done
	n=$((n + 1))
done
t1=$(date +%s)
echo "    $N reports and 50 sightings while C was down ($((t1 - t0)) s)"
# A and B agree first
k=0
until [ "$(ids A | wc -l)" = "$(ids B | wc -l)" ]; do
	k=$((k + 1)); [ $k -gt 300 ] && break; sleep 0.1
done
start_node C
need_up C
want=$(ids A | wc -l)
k=0
t2=$(date +%s)
while [ "$(ids C | wc -l)" -lt "$want" ]; do
	k=$((k + 1)); [ $k -gt 600 ] && break; sleep 0.1
done
t3=$(date +%s)
ids A > A.all; ids B > B.all; ids C > C.all
if cmp -s A.all C.all && cmp -s A.all B.all; then
	ok catchup_exact
	echo "    C caught up $(wc -l < C.all) objects in about $((t3 - t2)) s"
else
	bad catchup_exact "A $(wc -l < A.all), B $(wc -l < B.all), C $(wc -l < C.all) objects; C lacks $(comm -23 A.all C.all | wc -l), has $(comm -13 A.all C.all | wc -l) extra"
fi
for o in B C; do ctl $o stop >/dev/null 2>&1; done

# ---- 2. kill -9 during a burst: nothing acknowledged is lost -------------
: > acked
lost=0
rounds=0
deadline=$(( $(date +%s) + 60 ))
for r in $(seq 1 "$ROUNDS"); do
	[ "$(date +%s)" -gt "$deadline" ] && break
	# a burst in the background, each acknowledged id appended as printed;
	# a request caught by the kill times out quickly, and the burst ends
	# before the node restarts (a late reply must not be counted after
	# the check below)
	rm -f stop
	( export SIGMESH_TIMEOUT_MS=700; k=0; while [ ! -f stop ]; do k=$((k + 1))
		submit_one A "r$r-$k" >> acked 2>/dev/null || sleep 0.01
	done ) &
	burst=$!
	# kill at a random moment, 50..350 ms into the burst
	sleep "$(printf '0.%03d' $(( $(od -An -N2 -tu2 /dev/urandom) % 300 + 50 )))" 2>/dev/null || sleep 0.2
	kill -9 "$PID_A"
	wait "$PID_A" 2>/dev/null
	touch stop
	wait "$burst" 2>/dev/null
	start_node A
	need_up A
	ids A > have
	sort -u acked | grep -E '^[0-9a-f]{64}$' > acked.sorted
	missing=$(comm -23 acked.sorted have | wc -l)
	[ "$missing" -eq 0 ] || echo "    round $r: lost $(comm -23 acked.sorted have | head -3)"
	lost=$((lost + missing))
	rounds=$((rounds + 1))
done
total=$(wc -l < acked.sorted)
if [ "$lost" -eq 0 ] && [ "$rounds" -ge 1 ] && [ "$total" -gt 0 ]; then
	ok kill9_keeps_acknowledged
	echo "    $rounds kill -9 rounds, $total acknowledged submissions, none lost"
else
	bad kill9_keeps_acknowledged "$lost of $total acknowledged ids lost over $rounds rounds"
fi
[ "$rounds" -ge 20 ] || [ "$ROUNDS" -lt 20 ] || bad kill9_rounds "only $rounds rounds within the time bound"
ctl A fsck >/dev/null 2>&1 && ok fsck_after_crashes || bad fsck_after_crashes "$(ctl A fsck 2>&1 | tail -3)"
ctl A stop >/dev/null 2>&1
sleep 0.2
[ $fails -eq 0 ]
