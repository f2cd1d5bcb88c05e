#!/bin/sh
# tests/integration/node_net.sh — real sigmeshd processes on loopback.
#
# Eight organizations, three SIGs: chem {A,B,C,D}, power {D,E,F} (D bridges
# the two), gas {G,H} (no bridge). Checks, by reading every node's store
# through `sigmesh dump`, that each TLP level reaches exactly its audience
# (no copy, not even ciphertext, anywhere else), that a release widens an
# AMBER report to one more SIG and nowhere else, that sightings and search
# work, that a node offline during a burst catches up exactly, that a
# restart keeps the state, and that a non-member is refused by ZAP.
set -u
BUILD=${BUILD:-build}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TEST=node_net
. "$TOP/tests/integration/lib.sh"
net_tmp net
BASE=$(free_ports 10) || die "no free ports"
net_keys A B C D E F G H X
mkdir rosters
make_sig chem A B C D
make_sig power D E F
make_sig gas G H
# "late": members admitted later may read earlier reports (--late-readers)
SIG_OPTS=--late-readers make_sig late A B
SIG_OPTS=

# DEALERs redialled (status "redials")
redials() {	# 0 when the node does not answer: the check below then fails
	r=$(ctl "$1" status --json 2>/dev/null | sed -n 's/.*"redials": \([0-9]*\).*/\1/p' | head -1)
	echo "${r:-0}"
}
# a leak check: the id anywhere in the dump, even as a reference, counts
has() { mentions "$1" "$2"; }
# exactly NAME ID ORG...: the listed orgs hold ID, and no other org does
exactly() {
	name=$1; id=$2; shift 2
	if ! wait_for "$id" "$@"; then
		missing=""
		for o in "$@"; do has "$o" "$id" || missing="$missing $o"; done
		bad "$name" "not delivered to:$missing"
		return
	fi
	sleep 0.5	# give a leak time to show
	leaked=""
	for o in A B C D E F G H; do
		case " $* " in *" $o "*) continue ;; esac
		has "$o" "$id" && leaked="$leaked $o"
	done
	[ -z "$leaked" ] && ok "$name" || bad "$name" "leaked to:$leaked"
}

for o in A B C D E F G H; do start_node $o; done
need_up A B C D E F G H

submit() {	# submit ORG TLP AUDIENCE-ARGS... < body
	o=$1; shift
	ctl "$o" submit - "$@"
}

body "chem amber" evil-chem.example | submit A --tlp amber --sig chem > amber.id || bad submit_amber "$(cat amber.id)"
AMBER=$(cat amber.id)
exactly amber_reaches_exactly_its_sig "$AMBER" A B C D

GREEN=$(body "green note" green.example | submit E --tlp green --audience federation)
exactly green_reaches_federation "$GREEN" A B C D E F G H

RED=$(body "red for F" red.example | submit A --tlp red --org org-F)
exactly red_only_to_named_org "$RED" A F

STRICT=$(body "gas strict" gas.example | submit G --tlp amber+strict --sig gas)
exactly amber_strict_stays_in_gas "$STRICT" G H

CROSS=$(body "power asks chem" cross.example | submit E --tlp amber --sig chem --sig power)
exactly amber_two_sigs "$CROSS" A B C D E F

# RED must be refused for a SIG audience
if body "bad red" x.example | submit A --tlp red --sig chem >/dev/null 2>&1; then
	bad red_sig_audience_refused "accepted"
else
	ok red_sig_audience_refused
fi

# readable where it should be, ciphertext nowhere else; search and sightings
ctl B show "$AMBER" --json > show.json 2>&1
grep -q '"readable": true' show.json && grep -q 'evil-chem.example' show.json \
	&& ok amber_readable_by_member || bad amber_readable_by_member "$(head -c 300 show.json)"
ctl B search evil-chem.example --json > search.json 2>&1
grep -q "$AMBER" search.json && ok search_finds_indicator || bad search_finds_indicator "$(head -c 300 search.json)"
SIGHT=$(ctl C sight "$AMBER")
exactly sighting_follows_report "$SIGHT" A B C D
ctl A show "$AMBER" --json | grep -q '"sighting_count": 1' && ok originator_sees_sighting || bad originator_sees_sighting "no sighting on A"
PRIV=$(ctl D sight "$AMBER" --originator-only --note "seen at our gateway")
exactly originator_only_sighting "$PRIV" A D

# release: AMBER for chem, widened to power by its originator only
if ctl B release "$AMBER" --sig power >/dev/null 2>&1; then bad release_only_by_originator "B could release"; else ok release_only_by_originator; fi
REL=$(ctl A release "$AMBER" --sig power)
exactly release_reaches_new_sig "$REL" A B C D E F
exactly released_report_reaches_new_sig "$AMBER" A B C D E F
ctl E show "$AMBER" --json | grep -q '"readable": true' && ok released_report_readable || bad released_report_readable "E cannot read it"

# late readers: G joins "late" after A's report; A's node, seeing the new
# roster version, releases its earlier report to G
LATE=$(body "late sig report" late.example | submit A --tlp amber --sig late)
exactly late_report_in_its_sig "$LATE" A B
"$SM" sig propose rosters/late.roster --add G.key.card@tcp://127.0.0.1:$PORT_G --out addg.entry >/dev/null \
	&& "$SM" sig approve --key A.key addg.entry >/dev/null && "$SM" sig approve --key B.key addg.entry >/dev/null \
	&& "$SM" sig append rosters/late.roster addg.entry >/dev/null && ok late_add_with_quorum || bad late_add_with_quorum "roster change failed"
# a sighting for the originator only, made while the originator is down by
# an organization sharing no SIG with it (OX in chem or gas, OY in power);
# OY restarts too, which drops the copy ZeroMQ had queued for OX. Only
# OY's owed check can bring it (no tree or SIG session carries it): OY
# must owe OX a session after its start, and their direct scope must hold
# the sighting. A jcsip-2018 testnet lost such sightings (kill20,
# bench/NOTES.md). A neighbour is not owed (it greets OY when it returns;
# returning_peer_redialled covers that redial), and the designated
# cross-SIG links are drawn from the fresh keys, so the pair is chosen
# from those that are not OY's neighbours in this run.
for o in E F; do ctl $o peers --json > "$o.peers" 2>/dev/null; done
pair=$(python3 - E.peers F.peers <<'PY' 2>/dev/null
import json, sys
near = {}
for y, path in zip("EF", sys.argv[1:]):
    near[y] = {p["name"] for p in json.load(open(path))["peers"] if p["neighbor"]}
print(next(("%s %s" % (x, y) for y in "EF" for x in "ABCH" if "org-" + x not in near[y]), ""))
PY
)
[ -n "$pair" ] || die "no pair of a chem or gas and a power organization without a cross-SIG link (peers of E and F unreadable, or all linked)"
OX=${pair% *}; OY=${pair#* }
eval "ox_pid=\$PID_$OX"
GREEN2=$(body "green from chem" green2.example | submit $OX --tlp green --audience federation)
wait_for "$GREEN2" $OY || bad green_from_chem_reaches_power "$OY lacks $GREEN2"
kill "$ox_pid"; wait "$ox_pid" 2>/dev/null
PRIV2=$(ctl $OY sight "$GREEN2" --originator-only --note "seen here while the originator was away")
stop_node $OY 5
start_node $OY
need_up $OY
# OY owes OX a session and OX is down: OY dials OX again each round of
# its owed check (ZeroMQ's own next attempt may be 10 s away, and OX,
# sharing no SIG with OY, will not greet it), so that OX is reached
# within a second of its start. Before, OY waited for ZeroMQ (a 7 s
# catch-up in make bench).
tries=0
while [ "$(redials $OY)" -eq 0 ] && [ $tries -lt 30 ]; do sleep 0.5; tries=$((tries + 1)); done
[ "$(redials $OY)" -gt 0 ] && ok owed_peer_redialled_while_down \
	|| bad owed_peer_redialled_while_down "$OY has not redialled $OX in 15 s"
start_node $OX
need_up $OX
WAIT_TRIES=200 exactly originator_only_sighting_after_restart "$PRIV2" $OX $OY
exactly late_member_gets_earlier_report "$LATE" A B G
n=0
until ctl G show "$LATE" --json 2>/dev/null | grep -q '"readable": true'; do
	n=$((n + 1)); [ $n -gt 100 ] && break; sleep 0.1
done
[ $n -le 100 ] && ok late_member_reads_it || bad late_member_reads_it "G cannot read it"

# offline catch-up: C down during 40 reports (by A, B and D in turn), then
# back
kill "$PID_C"; wait "$PID_C" 2>/dev/null
LAST=""
for k in $(seq 1 40); do
	o=$(echo A B D | cut -d ' ' -f $((k % 3 + 1)))
	LAST=$(body "burst $k" "burst$k.example" | submit $o --tlp amber --sig chem) || bad burst_submit "$LAST"
	echo "$LAST" >> burst.ids
done
sort -o burst.ids burst.ids
# A, B and D lost their connections to C; ZeroMQ retries after 0.1, 0.2,
# 0.4 ... s, doubling up to 10 s, so 7 s after the kill their next attempts
# are about 5 s away. C's greetings when it starts must have them redial it
# at once (transport_heard), not at that attempt.
r0=0; for o in A B D; do r0=$((r0 + $(redials $o))); done
# neighbours not linked both ways (status: neighbors - neighbors_linked,
# what a testnet waits on before its workload); "x" when unreadable
unlinked() {
	ctl "$1" status --json 2>/dev/null | python3 -c 'import json,sys
s = json.load(sys.stdin); print(s["neighbors"] - s["neighbors_linked"] if s["neighbors"] > 0 else "x")' 2>/dev/null || echo x
}
sleep 7
gap=0; for o in A B D; do u=$(unlinked $o); [ "$u" = x ] && gap=x && break; gap=$((gap + u)); done
[ "$gap" != x ] && [ "$gap" -gt 0 ] && ok status_counts_unlinked_neighbour \
	|| bad status_counts_unlinked_neighbour "with C down, A, B and D report ${gap} neighbours not linked"
# duplicates a node received (status); "x" when unreadable
dups() {
	ctl "$1" status --json 2>/dev/null | python3 -c 'import json,sys
print(json.load(sys.stdin)["duplicates"])' 2>/dev/null || echo x
}
# objects a node sent its peers since it started; "x" when unreadable
sent_out() {
	ctl "$1" peers --json 2>/dev/null | python3 -c 'import json,sys
print(sum(p["objects_out"] for p in json.load(sys.stdin)["peers"]))' 2>/dev/null || echo x
}
start_node C
need_up C
if wait_for "$LAST" C; then
	# the last one may come before the others: wait until C holds all 40
	n=0
	while :; do
		report_ids C > c.ids
		[ -z "$(comm -23 burst.ids c.ids)" ] && break
		n=$((n + 1)); [ $n -gt 100 ] && break
		sleep 0.1
	done
	missing=$(comm -23 burst.ids c.ids | wc -l)
	[ "$missing" -eq 0 ] && ok offline_node_catches_up \
		|| bad offline_node_catches_up "C lacks $missing of the 40 reports made while it was down"
else
	bad offline_node_catches_up "C never got the last report"
fi
# C catches up with A, B and D one at a time, each session once the last
# one's objects are in (A, B and D wait for it): each object once, not
# from all three at once (before: 69 to 80 duplicates of the 40 in three
# of four runs). And it announces, not pushes, what it caught up: A, B
# and D stayed up and hold it (before: C sent some of the 40 on, as its
# place in the chem tree allowed).
sleep 1	# let a duplicate land
dc=$(dups C); oc=$(sent_out C)
echo "    C, catching up 40 reports: $dc duplicates received, $oc objects sent"
if [ "$dc" = x ] || [ "$oc" = x ]; then
	bad catch_up_without_duplicates "C's status or peers unreadable"
else
	[ "$dc" -le 8 ] && ok catch_up_without_duplicates \
		|| bad catch_up_without_duplicates "C received $dc duplicates catching up 40 reports"
	[ "$oc" -le 2 ] && ok caught_up_objects_not_pushed_on \
		|| bad caught_up_objects_not_pushed_on "C sent $oc objects on after catching up 40 its neighbours held"
fi
r1=0; for o in A B D; do r1=$((r1 + $(redials $o))); done
# and once C is back, every node is linked both ways to every neighbour
n=0
while :; do
	gap=0; for o in A B C D; do u=$(unlinked $o); [ "$u" = x ] && gap=x && break; gap=$((gap + u)); done
	[ "$gap" = 0 ] && break
	n=$((n + 1)); [ $n -gt 150 ] && break
	sleep 0.1
done
[ "$gap" = 0 ] && ok neighbours_linked_after_return \
	|| bad neighbours_linked_after_return "15 s after C caught up, A, B, C and D report ${gap} neighbours not linked"
[ "$r1" -gt "$r0" ] && ok returning_peer_redialled \
	|| bad returning_peer_redialled "A, B and D redialled $r0 times before C's return and $r1 after: none redialled C when it greeted them"

# restart keeps state
before=$(ctl D dump --json | grep -c '"id"')
kill "$PID_D"; wait "$PID_D" 2>/dev/null
# D comes back with a soft descriptor limit of 256: a node takes the hard
# limit (each DEALER costs four descriptors)
start_node D sh -c 'ulimit -Sn 256 && exec "$0" "$@"'
need_up D
eval "dpid=\$PID_D"
lim=$(awk '/^Max open files/ { print $4, $5 }' /proc/"$dpid"/limits)
if [ -z "$lim" ]; then
	bad nofile_raised_to_hard "cannot read D's limits from /proc/$dpid/limits"
elif [ "${lim#* }" -le 256 ] 2>/dev/null; then
	echo "    SKIP nofile_raised_to_hard: the hard limit here is ${lim#* }"
else
	[ "${lim% *}" = "${lim#* }" ] && ok nofile_raised_to_hard \
		|| bad nofile_raised_to_hard "D's descriptor limits (soft hard) are $lim after start under ulimit -Sn 256"
fi
after=$(ctl D dump --json | grep -c '"id"')
[ "$before" = "$after" ] && ok restart_keeps_state || bad restart_keeps_state "$before objects before, $after after"
ctl D fsck >/dev/null 2>&1 && ok fsck_clean || bad fsck_clean "$(ctl D fsck 2>&1 | tail -3)"

# status's memory figures agree with the store and with each other: the
# index rebuilt at start-up holds one entry per stored object, and no
# count exceeds the capacity or the set it is part of
ctl D status --json > d-status.json 2>&1
if python3 - d-status.json > d-memory.err 2>&1 <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); m = s["memory"]; bad = []
def need(cond, what):
    if not cond: bad.append(what)
need(m["scope_entries"] == s["objects"], "scope_entries %d, objects %d" % (m["scope_entries"], s["objects"]))
need(m["pushed"] <= m["pushed_cap"], "pushed %d > pushed_cap %d" % (m["pushed"], m["pushed_cap"]))
need(0 < m["neighbors"] <= s["peers"], "neighbors %d, peers %d" % (m["neighbors"], s["peers"]))
need(m["owed"] <= s["peers"], "owed %d, peers %d" % (m["owed"], s["peers"]))
need(m["recon_sessions_silent"] <= m["recon_sessions_held"] <= 2 * s["peers"],
     "sessions silent %d, held %d, peers %d" % (m["recon_sessions_silent"], m["recon_sessions_held"], s["peers"]))
if "heap_in_use" in m:	# glibc's malloc only (not under a sanitizer)
    need(m["heap_in_use"] > 0 and m["heap_arena"] >= m["heap_in_use"], "heap in use %d, arena %d" % (m["heap_in_use"], m["heap_arena"]))
print("; ".join(bad)); sys.exit(1 if bad else 0)
PY
then ok status_memory_consistent; else bad status_memory_consistent "$(cat d-memory.err)"; fi

# (an outsider with valid keys but in no roster is refused by ZAP:
# tests/integration/hostile.sh connects as one)

stop_all_clean A B C D E F G H
grep -h -i 'error' */log | head -5 | sed 's/^/    log: /'
[ $fails -eq 0 ]
