#!/bin/sh
# tests/integration/tree_bypass.sh — a SIG's tree around a node that is down.
#
# Seven organizations in one SIG. Each object goes over the edges of the
# SIG's tree (four children a member); a member whose tree neighbour is
# down sends it to that neighbour's own tree neighbours instead (node.c
# bypass). Without that, the down node's other neighbours heard of a new
# object only from an announcement (a graft later) or, when no neighbour
# announced it to them, from the next reconciliation: 30 s as deployed,
# and the slowest copies of a jcsip-2018 run with 20% of the nodes killed
# (bench/NOTES.md).
#
# The root R (the member with the most tree neighbours) is killed; a leaf
# X under it, whose only tree neighbour R was, submits a report. Every
# live member must store it, and X must have sent it around R to R's
# other tree neighbours. Once R is back and linked, X's next report goes
# to R over the tree again and nothing is bypassed.
set -u
BUILD=${BUILD:-build}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TEST=tree_bypass
. "$TOP/tests/integration/lib.sh"
net_tmp bypass
ORGS="A B C D E F G"
# reconciliation out of the way: the report must come by the tree
one_sig_net $ORGS

# the root: the most tree neighbours (four children)
R=""; best=0
for o in $ORGS; do
	k=$(tree $o | wc -l)
	[ "$k" -gt "$best" ] && best=$k && R=$o
done
[ -n "$R" ] && [ "$best" -eq 4 ] || die "no member with four tree neighbours (best $best)"
# a leaf under R: R is its only tree neighbour
X=""; RN=""
for name in $(tree $R); do
	o=$(org_named "$name")
	RN="$RN $o"
	[ -z "$X" ] && [ "$(tree $o)" = "org-$R" ] && X=$o
done
[ -n "$X" ] || die "no leaf under $R (its tree neighbours:$RN)"
OTHERS=""; for o in $RN; do [ "$o" = "$X" ] || OTHERS="$OTHERS $o"; done
LIVE=""; for o in $ORGS; do [ "$o" = "$R" ] || LIVE="$LIVE $o"; done
echo "    root $R (tree neighbours$RN), leaf $X"
# the listing an operator reads marks them too
k=$(ctl $R peers 2>/dev/null | awk '$2 == "tree"' | wc -l)
[ "$k" -eq 4 ] && ok peers_marks_tree_neighbours \
	|| bad peers_marks_tree_neighbours "sigmesh peers on $R marks $k peers as tree neighbours, 4 expected"

eval "kill -9 \$PID_$R"; eval "wait \$PID_$R" 2>/dev/null
sleep 2	# ZeroMQ's attempts to reconnect to R (0.1, 0.3, 0.7 s) have failed
b0=$(counter $X sent_bypass)
ID=$(body "around the root" bypass.example | ctl $X submit - --tlp amber --sig chem) || die "submit: $ID"
stored report_reaches_members_around_down_root "$ID" $LIVE
b1=$(counter $X sent_bypass)
# R's three other children, directly (each starts its own subtree)
grew leaf_sends_around_down_root "$b0" "$b1" 3 "$X sent too few copies around $R, to$OTHERS expected"

# R back: once X's connection to it is up again, nothing is bypassed
start_node $R
need_up $R
wait_linked $X $R || bad root_linked_again "$X not linked to $R 15 s after its start"
ID2=$(body "root is back" back.example | ctl $X submit - --tlp amber --sig chem) || die "submit: $ID2"
stored report_reaches_returned_root "$ID2" $ORGS
b2=$(counter $X sent_bypass)
[ "$b2" = "$b1" ] && ok no_bypass_once_root_back \
	|| bad no_bypass_once_root_back "$X sent $b2 copies around a tree neighbour, $b1 before R came back"

stop_all_clean $ORGS
[ $fails -eq 0 ]
