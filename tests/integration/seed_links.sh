#!/bin/sh
# tests/integration/seed_links.sh — a node keeps its connection to one entry
# member of each SIG it is not in open (config seed_links), so that its
# first report to that SIG does not wait for a new connection's set-up
# (four round trips: 200 ms over 25 ms links, bench/NOTES.md).
#
# Thirteen organizations: s1 {A,B,C,K,L,M}, s2 {D,E,F,G}, s3 {G,H,I,J}.
# The entry member of a foreign SIG is its member with the lowest
# BLAKE2b-64(own org id || member org id), computed here independently of
# the node. B runs with seed_links = 0, C with seed_links = 1, the others
# with the default (16: every foreign SIG). The check comes 23 s after
# start, past the 20 s after which a node closes an idle one-off
# connection, with no traffic in between: reconciliation is set to every
# 10 minutes, so only greetings (every 30 s) pass.
#
# A seed that is also a designated cross-SIG link from the node is a
# neighbour and stays connected anyway (the links are ranked by the same
# hash, so that is common). At most 3 members of s1 start a link into each
# foreign SIG (2 designated, 1 primary), and 4 members (A, K, L, M) have a
# seed there, so each foreign SIG has at least one seed that only
# seed_links keeps connected.
set -u
BUILD=${BUILD:-build}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TEST=seed_links
. "$TOP/tests/integration/lib.sh"
net_tmp seeds
ALL="A B C D E F G H I J K L M"
BASE=$(free_ports 15) || die "no free ports"
net_keys $ALL
mkdir rosters
make_sig s1 A B C K L M
make_sig s2 D E F G
make_sig s3 G H I J
NODE_RECON_MS=600000
node_conf B "seed_links = 0"
node_conf C "seed_links = 1"
for o in $ALL; do start_node $o; done
need_up $ALL
T0=$(date +%s)

for o in $ALL; do
	printf '%s ' "$o"; ctl $o status --json 2>/dev/null | sed -n 's/.*"org": "\([0-9a-f]*\)".*/\1/p' | head -1
done > orgs.txt
sleep $((23 - ($(date +%s) - T0)))
for o in A B C K L M; do ctl $o peers --json > $o-peers.json 2>&1; done

# seeds ORG EXPECTED: ORG's seed links are exactly one of the sets in
# EXPECTED (a Python expression over first(), the entry member of a SIG
# for ORG), and each is dialled
seeds() {
	python3 - orgs.txt "$1-peers.json" "$1" "$2" > "$1-seeds.err" 2>&1 <<'PY'
import hashlib, json, sys
org = dict(l.split() for l in open(sys.argv[1]) if len(l.split()) == 2)
peers = json.load(open(sys.argv[2]))["peers"]
me = sys.argv[3]
def rank(x):
    return hashlib.blake2b(bytes.fromhex(org[me]) + bytes.fromhex(org[x]), digest_size=8).digest()
def first(names):
    return min(names, key=rank)
want = [sorted(set(w)) for w in eval(sys.argv[4])]
name = lambda p: p["name"].replace("org-", "")
got = sorted(name(p) for p in peers if p["seed"])
bad = []
if got not in want:
    bad.append("seeds %s, expected %s" % (got, " or ".join(map(str, want))))
bad += ["%s not dialled" % name(p) for p in peers if p["seed"] and not p["dialled"]]
print("; ".join(bad)); sys.exit(1 if bad else 0)
PY
}
err=""
for o in A K L M; do
	seeds $o '[(first("DEFG"), first("GHIJ"))]' || err="$err $o: $(cat $o-seeds.err);"
done
[ -z "$err" ] && ok seed_links_open_to_every_foreign_sig || bad seed_links_open_to_every_foreign_sig "$err"
# the argument above, checked: some seed is not a neighbour
cat A-peers.json K-peers.json L-peers.json M-peers.json | python3 -c '
import json, sys
d = json.JSONDecoder(); s = sys.stdin.read().strip(); n = 0
while s:
    o, i = d.raw_decode(s); s = s[i:].strip()
    n += sum(1 for p in o["peers"] if p["seed"] and not p["neighbor"])
sys.exit(0 if n else 1)' && ok seed_links_beyond_neighbours || bad seed_links_beyond_neighbours "every seed is a neighbour"
seeds B '[()]' && ok seed_links_0_opens_none || bad seed_links_0_opens_none "$(cat B-seeds.err)"
seeds C '[(first("DEFG"),), (first("GHIJ"),)]' && ok seed_links_1_opens_one \
	|| bad seed_links_1_opens_one "$(cat C-seeds.err)"

for o in $ALL; do ctl $o stop >/dev/null 2>&1; done
[ $fails -eq 0 ]
