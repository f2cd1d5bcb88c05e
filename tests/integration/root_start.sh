#!/bin/sh
# tests/integration/root_start.sh — a node starts its own objects at the
# root of its SIG's tree (node.c start_at_roots, PROTOCOL.md 10.3).
#
# Seven organizations in one SIG: a four-ary tree of the root R, its four
# children, and two grandchildren under one child P. A grandchild X sends
# its report to R, not up to P: R sends it down the whole tree, P gets it
# from R, and nobody sends it back to X. Every member stores it without
# reconciliation (set to every 10 minutes), and the tree sends nobody a
# second copy. X keeps a connection open to R. With R killed, X's next
# report goes up to P as before, and still reaches every live member.
set -u
BUILD=${BUILD:-build}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TEST=root_start
. "$TOP/tests/integration/lib.sh"
net_tmp rootstart
ORGS="A B C D E F G"
one_sig_net $ORGS

# the root: four tree neighbours, all children; P: a child of R with
# children of its own; X: a leaf under P
R=""
for o in $ORGS; do [ "$(tree $o | wc -l)" -eq 4 ] && [ -z "$R" ] && R=$o; done
[ -n "$R" ] || die "no member with four tree neighbours"
P=""; X=""
for name in $(tree $R); do
	o=$(org_named "$name")
	[ "$(tree $o | wc -l)" -gt 1 ] && P=$o
done
[ -n "$P" ] || die "no child of $R with children"
for name in $(tree $P); do
	o=$(org_named "$name")
	[ "$o" != "$R" ] && [ "$(tree $o)" = "org-$P" ] && [ -z "$X" ] && X=$o
done
[ -n "$X" ] || die "no leaf under $P"
echo "    root $R, its child $P, leaf $X under $P"

[ "$(peer_field $X $R root)" = true ] && wait_linked $X $R && ok root_kept_connected \
	|| bad root_kept_connected "$X does not mark $R as the root it starts objects at, or is not linked to it"
[ "$(peer_field $P $R root)" = false ] && ok child_of_root_starts_in_place \
	|| bad child_of_root_starts_in_place "$P, a child of the root, marks $R as a root to start at"

r0=$(peer_field $X $R objects_out); p0=$(peer_field $X $P objects_out)
pin0=$(peer_field $P $R objects_in)
# copies beyond the first, but for answers to grafts (WANT): a member told
# of the object by IHAVE asks for it when the tree copy is later than its
# wait (40 ms at first), which a slow machine can make happen; the tree
# itself must not send anyone a second copy
extra() { t=0; for o in $ORGS; do t=$((t + $(counter $o duplicates) - $(counter $o dup_graft))); done; echo $t; }
d0=$(extra)
ID=$(body "from a leaf" leaf.example | ctl $X submit - --tlp amber --sig chem) || die "submit: $ID"
stored report_reaches_every_member "$ID" $ORGS
r1=$(peer_field $X $R objects_out); p1=$(peer_field $X $P objects_out)
pin1=$(peer_field $P $R objects_in)
[ $((r1 - r0)) -eq 1 ] && [ $((p1 - p0)) -eq 0 ] && ok leaf_starts_at_root \
	|| bad leaf_starts_at_root "$X sent $((r1 - r0)) objects to the root $R and $((p1 - p0)) to its parent $P; 1 and 0 expected"
[ $((pin1 - pin0)) -eq 1 ] && ok parent_gets_it_from_root \
	|| bad parent_gets_it_from_root "$P took $((pin1 - pin0)) objects from $R, 1 expected"
sleep 1	# late copies, if any
d1=$(extra)
[ "$d1" -eq "$d0" ] && ok one_copy_each \
	|| bad one_copy_each "$((d1 - d0)) duplicate copies among the members, not counting answers to grafts"

# R down: X's next report goes up to P, and around R from there
eval "kill -9 \$PID_$R"; eval "wait \$PID_$R" 2>/dev/null
sleep 2	# ZeroMQ's attempts to reconnect to R (0.1, 0.3, 0.7 s) have failed
LIVE=""; for o in $ORGS; do [ "$o" = "$R" ] || LIVE="$LIVE $o"; done
p0=$(peer_field $X $P objects_out)
ID2=$(body "root is down" down.example | ctl $X submit - --tlp amber --sig chem) || die "submit: $ID2"
stored report_reaches_members_with_root_down "$ID2" $LIVE
p1=$(peer_field $X $P objects_out)
[ $((p1 - p0)) -eq 1 ] && ok root_down_goes_up \
	|| bad root_down_goes_up "$X sent $((p1 - p0)) objects to its parent $P with the root down, 1 expected"

stop_all_clean $LIVE
[ $fails -eq 0 ]
