#!/bin/sh
# tests/integration/hostile.sh — a malicious member against real nodes.
#
# SIGs: chem {A,B,C,M,R}, gas {D,E,M}, oil {E,M}. M is the malicious member: no node,
# only build/tools/hostile speaking as M. R is removed from chem half way.
# X has valid keys and is in no roster. For each misbehaviour the victim
# must log why it refused, store nothing wrong (checked with `sigmesh dump`
# on every node), count strikes or ban M (`sigmesh peers`), and keep
# serving the others: honest reports sent during the attack reach their
# whole audience. Checks that wait on a node fix run only with
# HOSTILE_STRICT=1 (they print SKIP otherwise).
set -u
BUILD=${BUILD:-build}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TEST=hostile
. "$TOP/tests/integration/lib.sh"
HOS=$TOP/$BUILD/tools/hostile
STRICT=${HOSTILE_STRICT:-0}
net_tmp hostile
check() {	# check NAME COND-RESULT WHY
	if [ "$2" -eq 0 ]; then ok "$1"; else bad "$1" "$3"; fi
}
strict() {	# strict NAME COND-RESULT WHY: a check that waits for a node fix
	if [ "$2" -eq 0 ]; then ok "$1"
	elif [ "$STRICT" = 1 ]; then bad "$1" "$3"
	else echo "SKIP $1: known gap, HOSTILE_STRICT=1 to enforce ($3)"; fi
}
[ -x "$HOS" ] || die "no $HOS (make first)"

BASE=$(free_ports 10) || die "no free ports"
net_keys A B C D E M R X
mkdir rosters
make_sig chem A B C M R
make_sig gas D E M
make_sig oil E M

NODE_LOG=info
UP_TRIES=100
WAIT_TRIES=150	# wait_for: 15 s
restart() {	# restart ORG: clean stop and start (clears in-memory bans)
	stop_node "$1" 5
	start_node "$1"
	need_up "$1"
}
nowhere() {	# nowhere ID: no node stores ID; prints the ones that do
	w=""
	for o in A B C D E R; do has "$o" "$1" && w="$w $o"; done
	[ -z "$w" ] || { echo "$w"; return 1; }
}
# peer FIELD ORG PEER-NAME: a field of PEER in ORG's `sigmesh peers --json`
peer() {
	ctl "$2" peers --json 2>/dev/null | python3 -c '
import json, sys
f, name = sys.argv[1], sys.argv[2]
for p in json.load(sys.stdin).get("peers", []):
    if p.get("name") == name:
        v = p.get(f); print(int(v) if isinstance(v, bool) else v); break
else:
    print(0)' "$1" "$3"
}
stat() { ctl "$2" status --json 2>/dev/null | sed -n "s/.*\"$1\": \([0-9]*\).*/\1/p" | head -1; }
logmark() { wc -c < "$1/log"; }
logsince() { tail -c +"$(($2 + 1))" "$1/log"; }	# logsince ORG MARK
hostile() {	# hostile MODE VICTIM ARGS...: output in $T/h.out
	m=$1; v=$2; shift 2
	"$HOS" "$m" --key M.key --rosters rosters --victim "org-$v" "$@" > h.out 2>&1
}
hid() { sed -n "s/^id $1 //p" h.out; }

body() {
	printf '{"title":"%s","mail_type":"attachment","from":[{"address":"lure@%s"}],"domains":["%s"]}' "$1" "$2" "$2"
}
honest() {	# honest ORG TLP AUDIENCE... : submit, print the id
	o=$1; shift
	body "honest $o $(date +%s%N)" "h$$.example" | ctl "$o" submit - "$@"
}
CHEM="A B C R"
GAS="D E"

for o in A B C D E R; do start_node $o; done
need_up A B C D E R

# expect NAME VICTIM MARK PATTERN: the victim logged PATTERN after MARK
expect_log() {
	if logsince "$2" "$3" | grep -q -- "$4"; then ok "$1"
	else bad "$1" "no '$4' in $2's log: $(logsince "$2" "$3" | tail -3 | tr '\n' '|')"; fi
}
expect_nowhere() {	# expect_nowhere NAME ID
	if [ -z "$2" ]; then bad "$1" "hostile printed no id: $(tr '\n' '|' < h.out)"; return; fi
	if w=$(nowhere "$2"); then ok "$1"; else bad "$1" "stored on:$w"; fi
}
expect_strike() {	# expect_strike NAME VICTIM: M has a rejection counted
	r=$(peer rejected "$2" org-M)
	[ "${r:-0}" -ge 1 ] && ok "$1" || bad "$1" "rejected=$r for M on $2"
}

# ---- forged signature ---------------------------------------------------
mk=$(logmark B)
hostile forged-sig B
expect_log forged_sig_logged B "$mk" "bad signature"
expect_nowhere forged_sig_not_stored "$(hid forged)"
expect_strike forged_sig_strike B

# ---- objects claiming another originator --------------------------------
restart B
mk=$(logmark B)
hostile other-originator B --org org-A
expect_log other_originator_logged B "$mk" "bad signature"
n=$(logsince B "$mk" | grep -c "rejected object")
[ "$n" -ge 2 ] && ok other_originator_both_rejected || bad other_originator_both_rejected "$n rejections logged"
expect_nowhere signer_claims_other_not_stored "$(hid signer-claims-other)"
expect_nowhere originator_claims_other_not_stored "$(hid originator-claims-other)"

# ---- replays: same id (dropped as duplicate), same seq other content -----
restart B
mk=$(logmark B)
hostile replay B
ORIG=$(hid original); SAME=$(hid same-seq)
wait_for "$ORIG" A B C D E R && ok replay_original_delivered || bad replay_original_delivered "the valid first copy did not spread"
n=$(ctl B dump --json | grep -c "\"$ORIG\"")
[ "$n" -eq 1 ] && ok replay_same_id_stored_once || bad replay_same_id_stored_once "$n copies"
expect_log replay_same_seq_logged B "$mk" "replay"
expect_nowhere replay_same_seq_not_stored "$SAME"

# ---- relays out of scope ------------------------------------------------
# AMBER+STRICT for chem, relayed by M into gas
restart D
mk=$(logmark D)
hostile relay D --as A.key --tlp amber-strict --sig chem
expect_log amber_strict_into_other_sig_logged D "$mk" "not for this organization"
expect_nowhere amber_strict_into_other_sig_not_stored "$(hid relayed)"
expect_strike amber_strict_into_other_sig_strike D
# AMBER+STRICT for E alone (by D), relayed to E by M, who is not named
restart E
mk=$(logmark E)
hostile relay E --as D.key --tlp amber-strict --org org-E
expect_log amber_strict_by_outsider_logged E "$mk" "may not pass it on"
expect_nowhere amber_strict_by_outsider_not_stored "$(hid relayed)"
# RED for B and M (by A), relayed by M to B
restart B
mk=$(logmark B)
hostile relay B --as A.key --tlp red --org org-B --org org-M
expect_log red_relay_logged B "$mk" "may not pass it on"
expect_nowhere red_relay_not_stored "$(hid relayed)"
# a release of A's AMBER chem report, signed by M, adding gas
restart B
mk=$(logmark B)
hostile release-forged B --as A.key --sig chem --release-sig gas
REP=$(hid report); REL=$(hid release)
wait_for "$REP" A B C R && ok relayed_report_in_scope_accepted || bad relayed_report_in_scope_accepted "M may relay chem AMBER to chem"
expect_log release_by_non_originator_logged B "$mk" "release not signed by the report's originator"
expect_nowhere release_by_non_originator_not_stored "$REL"
w=""; for o in D E; do has $o "$REP" && w="$w $o"; done
[ -z "$w" ] && ok forged_release_does_not_widen || bad forged_release_does_not_widen "report reached$w"
# the same forged release sent to a gas node that does not hold the report
restart D
hostile release-forged D --as A.key --sig chem --release-sig gas
REL2=$(hid release)
sleep 0.5
has D "$(hid report)" && bad forged_release_report_refused_in_gas "D stored the chem report" \
	|| ok forged_release_report_refused_in_gas
has D "$REL2"; check forged_release_orphan_not_stored $((1 - $?)) \
	"D stores a release signed by a non-originator for a report it does not hold (node.c check_scope, SM_MSG_RELEASE)"
# not misbehaviour: a sighting by D (in gas only) of A's AMBER chem report,
# relayed to B before A's release of it to gas (gossip does not order the
# two). B must defer it, not count it against M, and store it once the
# release comes. (M is the only one holding the sighting: a B that refuses
# it never gets it.)
restart B
hostile early-sighting B --as A.key --by D.key --sig chem --release-sig gas
SEEN=$(hid sighting); REL3=$(hid release)
if wait_for "$REL3" B && wait_for "$SEEN" B; then ok early_sighting_stored_after_release
else bad early_sighting_stored_after_release "B did not store D's sighting after A's release came"; fi
r=$(peer rejected B org-M)
[ "${r:-x}" = 0 ] && ok early_sighting_not_held_against_relay \
	|| bad early_sighting_not_held_against_relay "rejected=$r for M on B"
# the same, with a release to oil (which D is not in) between the sighting
# and the release to gas: the sighting is still early after the first
# release, and must wait on for the second.
restart B
hostile early-sighting B --as A.key --by D.key --sig chem --release-first oil --release-sig gas
SEEN=$(hid sighting); REL4=$(hid release)
if wait_for "$REL4" B && wait_for "$SEEN" B; then ok early_sighting_waits_past_other_release
else bad early_sighting_waits_past_other_release "B did not store D's sighting once the release to gas followed one to oil"; fi

# ---- roster change without quorum ----------------------------------------
restart B
mk=$(logmark B)
before=$(cksum < rosters/chem.roster)
vb=$(ctl B status --json | python3 -c 'import json,sys; print([s["version"] for s in json.load(sys.stdin)["sigs"] if s["name"]=="chem"][0])')
hostile roster-noquorum B --sig chem
sleep 0.3
va=$(ctl B status --json | python3 -c 'import json,sys; print([s["version"] for s in json.load(sys.stdin)["sigs"] if s["name"]=="chem"][0])')
expect_log roster_noquorum_logged B "$mk" "rejected roster entry"
[ "$vb" = "$va" ] && [ "$before" = "$(cksum < rosters/chem.roster)" ] && ok roster_noquorum_not_applied \
	|| bad roster_noquorum_not_applied "chem version $vb -> $va"

# ---- oversized frames and msgpack bombs ----------------------------------
restart B
hostile oversize B
grep -q "^disconnected" h.out && ok oversize_frame_disconnects || bad oversize_frame_disconnects "$(tr '\n' '|' < h.out)"
ctl B status >/dev/null 2>&1 && ok oversize_victim_alive || bad oversize_victim_alive "B does not answer"
mk=$(logmark B)
hostile big-object B
expect_log big_object_logged B "$mk" "rejected"
restart B
mk=$(logmark B)
hostile bomb-len B
n=$(logsince B "$mk" | grep -c "rejected frame")
[ "$n" -ge 4 ] && ok bomb_len_rejected || bad bomb_len_rejected "$n of 4 frames rejected: $(logsince B "$mk" | tail -2 | tr '\n' '|')"
restart B
mk=$(logmark B)
hostile bomb-deep B
expect_log bomb_deep_rejected B "$mk" "rejected frame"
ctl B status >/dev/null 2>&1 && ok bombs_victim_alive || bad bombs_victim_alive "B does not answer"

# ---- repeated garbage: a ban, refused by ZAP afterwards ------------------
restart B
mk=$(logmark B)
hostile garbage B
expect_log garbage_ban_logged B "$mk" "refusing it for"
[ "$(peer banned B org-M)" = 1 ] && ok garbage_banned_in_peers || bad garbage_banned_in_peers "peers shows banned=$(peer banned B org-M)"
hostile hello B
grep -q "handshake refused" h.out && ok banned_peer_refused_by_zap || bad banned_peer_refused_by_zap "$(tr '\n' '|' < h.out)"
H=$(honest A --tlp amber --sig chem)
wait_for "$H" $CHEM && ok honest_after_ban_delivered || bad honest_after_ban_delivered "not everywhere in chem"

# ---- flood: honest latency with and without ------------------------------
restart B; restart C
lat() {	# lat ORG TLP AUD... : ms until every node of the audience holds it
	o=$1; shift
	t0=$(date +%s%N)
	id=$(honest "$o" "$@") || { echo -1; return; }
	if wait_for "$id" $AUDN; then echo $((($(date +%s%N) - t0) / 1000000)); else echo -1; fi
}
AUDN=$CHEM
quiet=""
for k in 1 2 3; do quiet="$quiet $(lat A --tlp amber --sig chem)"; done
hostile flood B --seconds 6 &
FP=$!
sleep 1
during=""
for k in 1 2 3; do during="$during $(lat A --tlp amber --sig chem)"; done
AUDN=$GAS
gd=$(lat D --tlp amber --sig gas)
wait "$FP"
echo "    latency to all of chem (ms): quiet:$quiet; during flood:$during; gas during flood: $gd"
grep '^flood' h.out | sed 's/^/    /'
case " $during $gd " in *" -1 "*) bad flood_honest_delivered "an honest report did not reach its audience" ;;
	*) ok flood_honest_delivered ;; esac
sent=$(sed -n 's/^sent \([0-9]*\) frames/\1/p' h.out)
dup=$(peer duplicates_in B org-M)
lim=$((8000 + 4000 * 8))
echo "    flood: M sent $sent frames, B processed $dup"
[ "${dup:-0}" -le "$lim" ] && ok flood_rate_limited || bad flood_rate_limited "B processed $dup of M's frames (> $lim)"

restart B
hostile flood-ihave B --seconds 2 &
FP=$!
sleep 0.5
AUDN=$CHEM
during=$(lat A --tlp amber --sig chem)
wait "$FP"
echo "    latency during a 2 s IHAVE flood (ms): $during"
grep '^flood' h.out | sed 's/^/    /'
[ "$during" -ge 0 ] && [ "$during" -le 3000 ]; check ihave_flood_latency_bounded $? \
	"honest report took $during ms (-1: not delivered in 15 s) during an IHAVE flood (node.c on_ids: linear scan of up to 65536 missing ids for each announced id)"

# ---- slowloris ------------------------------------------------------------
restart B
hostile slowloris B --conns 200 --seconds 7 &
FP=$!
sleep 1
AUDN=$CHEM
during="$(lat A --tlp amber --sig chem) $(lat C --tlp amber --sig chem)"
wait "$FP"
echo "    latency during slowloris (ms): $during"
grep '^slowloris' h.out | sed 's/^/    /'
case " $during " in *" -1 "*) bad slowloris_honest_delivered "an honest report did not reach its audience" ;;
	*) ok slowloris_honest_delivered ;; esac
left=$(sed -n 's/^slowloris: \([0-9]*\) of .* still open.*/\1/p' h.out)
[ "${left:-1}" -eq 0 ]; check slowloris_connections_dropped $? "$left half-open connections still open after 7 s"

# ---- answers down the victim's own connection -----------------------------
# M listens at its roster endpoint and greets B; B connects to M to answer,
# and M sends 64 messages of 4 MiB down that connection. A node never reads
# from its outbound connections, so it must not hold what arrives there.
restart B
eval "bpid=\$PID_B"
rss0=$(awk '/^VmRSS:/ { print $2 }' /proc/"$bpid"/status)
hostile backchannel B --conns 64 --seconds 5 &
HP=$!
rss1=$rss0
while kill -0 "$HP" 2>/dev/null; do	# B's peak while M is connected
	r=$(awk '/^VmRSS:/ { print $2 }' /proc/"$bpid"/status)
	[ "${r:-0}" -gt "$rss1" ] && rss1=$r
	sleep 0.2
done
wait "$HP"
grep '^backchannel\|^victim\|^no connection' h.out | sed 's/^/    /'
grep -q "^victim connected" h.out; check backchannel_victim_connected $? "B never connected to M's endpoint: $(tr '\n' '|' < h.out)"
echo "    B's VmRSS before, and its peak while M was connected: $rss0 kB -> $rss1 kB"
[ -n "$rss1" ] && [ $((rss1 - rss0)) -lt 32768 ]; check backchannel_not_held $? \
	"B's resident memory grew $rss0 -> ${rss1:-?} kB while M sent 256 MiB down B's connection"
big=$(sed -n 's/^backchannel sent \([0-9]*\) messages of.*/\1/p' h.out)
[ "${big:-0}" -ge 1 ]; check backchannel_attack_sent $? "M got none of its 4 MiB messages out to B: $(tr '\n' '|' < h.out)"
# B discards what waits on its DEALERs every 10 s
n=0
while d=$(stat backchannel_dropped B); [ "${d:-0}" -lt 1 ] && [ $n -lt 150 ]; do n=$((n + 1)); sleep 0.1; done
[ "${d:-0}" -ge 1 ]; check backchannel_small_discarded $? "B counted $d of M's small messages as discarded (status backchannel_dropped)"
ctl B status >/dev/null 2>&1; check backchannel_victim_alive $? "B does not answer"

# ---- outsider: valid keys, in no roster ----------------------------------
mk=$(logmark B)
z0=$(stat zap_refused B)
"$HOS" hello --key X.key --rosters rosters --victim org-B > h.out 2>&1
z1=$(stat zap_refused B)
grep -q "handshake refused" h.out && [ "${z1:-0}" -gt "${z0:-0}" ] && ok outsider_refused_by_zap \
	|| bad outsider_refused_by_zap "zap_refused $z0 -> $z1: $(tr '\n' '|' < h.out)"
expect_log outsider_zap_logged B "$mk" "zap: refused a connection: not a member"

# ---- a removed member --------------------------------------------------------
"$HOS" hello --key R.key --rosters rosters --victim org-B > h.out 2>&1
grep -q "handshake ok" h.out && ok member_admitted_before_removal || bad member_admitted_before_removal "$(tr '\n' '|' < h.out)"
"$SM" sig propose rosters/chem.roster --remove org-R --out rm.entry >/dev/null || die "propose remove"
for o in A B C; do "$SM" sig approve --key "$o.key" rm.entry >/dev/null || die "approve by $o"; done
cp rosters/chem.roster chem.before
"$SM" sig append rosters/chem.roster rm.entry >/dev/null || die "append removal"
# the file is replaced under running nodes: do they notice without a restart?
sleep 1
mkdir -p xr && cp chem.before xr/chem.roster && cp rosters/gas.roster xr/
"$HOS" hello --key R.key --rosters xr --victim org-B > h.out 2>&1
if grep -q "handshake refused" h.out; then
	echo "    note: B refused R as soon as the roster file changed"
else
	echo "    note: B still admits R after the file changed: nodes read the roster directory only at start; a restart, or a peer's HELLO with the new head, applies it"
fi
# restart one node: its HELLO carries the new head, the others fetch the entry
restart A
n=0
until [ "$(ctl B status --json | python3 -c 'import json,sys; print([s["version"] for s in json.load(sys.stdin)["sigs"] if s["name"]=="chem"][0])')" = 2 ]; do
	n=$((n + 1)); [ $n -gt 150 ] && break; sleep 0.1
done
[ $n -le 150 ] && ok removal_spreads_by_hello || bad removal_spreads_by_hello "B still at the old chem roster"
"$HOS" hello --key R.key --rosters xr --victim org-B > h.out 2>&1
grep -q "handshake refused" h.out && ok removed_member_refused || bad removed_member_refused "$(tr '\n' '|' < h.out)"
H=$(honest A --tlp amber --sig chem)
wait_for "$H" A B C && ok after_removal_delivered || bad after_removal_delivered "not in A B C"
sleep 0.5
has R "$H" && bad removed_member_gets_nothing_new "R holds a report made after its removal" || ok removed_member_gets_nothing_new

# ---- equivocation (last: the conflicting copies keep B and C at odds) ---
restart B; restart C
SEQ=$((2000000000 + $$))
# both at once, so that each victim stores its own variant before gossip
# brings the other one
"$HOS" equivocate --key M.key --rosters rosters --victim org-B --seq $SEQ --variant one > eq1.out 2>&1 &
E1=$!
"$HOS" equivocate --key M.key --rosters rosters --victim org-C --seq $SEQ --variant two > eq2.out 2>&1
wait "$E1"
sleep 3
bc=$(peer banned B org-C); cb=$(peer banned C org-B)
sb=$(peer rejected B org-C); sc=$(peer rejected C org-B)
echo "    equivocation: B rejected $sb objects from honest C (banned=$bc), C rejected $sc from B (banned=$cb)"
[ "$bc" = 0 ] && [ "$cb" = 0 ]; check equivocation_no_honest_ban $? \
	"an equivocating member makes honest relays strike each other (store.c replay -> node.c strike)"
H=$(honest A --tlp amber --sig chem)
wait_for "$H" A B C; check equivocation_honest_still_delivered $? "honest report did not reach A, B and C"

for o in A B C D E R; do ctl $o stop >/dev/null 2>&1; done
sleep 0.3
grep -h 'error' */log | grep -v 'zap\|rejected' | head -5 | sed 's/^/    log: /'
[ $fails -eq 0 ]
