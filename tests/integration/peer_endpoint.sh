#!/bin/sh
# tests/integration/peer_endpoint.sh — a [peer] section in a node's
# configuration makes it dial a member at another address than the one the
# member's roster entry lists (a member reached through a VPN or NAT).
#
# Three organizations in one SIG. B's roster entry lists a port nobody
# listens on; B really listens elsewhere. C's configuration names B's real
# endpoint, A's does not. TLP:RED goes only from its originator directly
# to the named organization, so:
#   peer_override_used      C's RED report for B reaches B (C dials B at
#                           the configured address, CURVE-authenticated by
#                           B's roster key as always)
#   peer_roster_default     A's RED report for B does not reach B in that
#                           time, with A's node up and B greeting it (A
#                           dials the roster's address, where nobody is):
#                           the override, not luck, made the difference
#   peer_unknown_org        a [peer] org no roster names stops sigmeshd at
#                           start with a message naming it
#   peer_endpoint_refused   an endpoint that is not tcp://HOST:PORT stops it
#                           with the config line
#   handshake_failure_counted  at B's roster address a listener accepts
#                           connections and never answers: A's connection
#                           to it times out in its handshake, and A's
#                           status counts it (handshakes_failed)
set -u
BUILD=${BUILD:-build}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TEST=peer_endpoint
. "$TOP/tests/integration/lib.sh"
net_tmp peer
BASE=$(free_ports 8) || die "no free ports"
net_keys A B C
mkdir rosters
make_sig s A B C
# B listens where its roster entry does not say; where it says, something
# accepts connections and never speaks
SILENT=$PORT_B
python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(64)
held = []
while True:
    c, _ = s.accept()
    held.append(c)
' "$SILENT" &
PIDS="$PIDS $!"
PORT_B=$((BASE + 6))
node_conf A
node_conf B
node_conf C "[peer]" "org = org-B" "endpoint = tcp://127.0.0.1:$PORT_B"
start_node A
start_node B
start_node C
need_up A
need_up B
need_up C

body() {	# body TITLE DOMAIN: a report body as JSON
	printf '{"title":"%s","mail_type":"attachment","domains":["%s"]}' "$1" "$2"
}
RC=$(body "red from C" red-c.example | ctl C submit - --tlp red --org org-B) || die "submit C: $RC"
RA=$(body "red from A" red-a.example | ctl A submit - --tlp red --org org-B) || die "submit A: $RA"
if WAIT_TRIES=150 wait_for "$RC" B; then ok peer_override_used; else
	bad peer_override_used "B lacks C's RED report $RC after 15 s"; fi
# A keeps greeting B (it owes B its RED report) and reconciling would
# repair it at once if it could reach B: give it as long again
sleep 5
if has B "$RA"; then
	bad peer_roster_default "B holds A's RED report although A has no [peer] for B"
elif ! has A "$RA"; then
	bad peer_roster_default "A does not hold its own report $RA"
else
	ok peer_roster_default
fi
# A's connection to the silent listener times out in its handshake (5 s
# after it is made) and is counted; give it 20 s
hf=0
for i in $(seq 40); do
	hf=$(ctl A status --json 2>/dev/null | sed -n 's/.*"handshakes_failed": \([0-9]*\).*/\1/p' | head -1)
	[ "${hf:-0}" -ge 1 ] && break
	sleep 0.5
done
if [ "${hf:-0}" -ge 1 ]; then ok handshake_failure_counted; else
	bad handshake_failure_counted "A's status has handshakes_failed=${hf:-none} after 20 s against a listener that never answers"; fi

# configuration errors stop the node with a clear message
PORT_D=$((BASE + 7)); PORT_E=$((BASE + 7))
node_conf D "[peer]" "org = org-nobody" "endpoint = tcp://127.0.0.1:1"
sed -i "s|^key_file = .*|key_file = $T/A.key|; s|^data_dir = .*|data_dir = $T/D/data|" D/node.conf
out=$(timeout 20 "$SMD" --config D/node.conf 2>&1)
if [ $? -ne 0 ] && echo "$out" | grep -q "org-nobody"; then ok peer_unknown_org; else
	bad peer_unknown_org "sigmeshd did not stop naming org-nobody: $out"; fi
node_conf E "[peer]" "org = org-B" "endpoint = udp://127.0.0.1:1"
sed -i "s|^key_file = .*|key_file = $T/A.key|; s|^data_dir = .*|data_dir = $T/E/data|" E/node.conf
out=$(timeout 20 "$SMD" --config E/node.conf 2>&1)
if [ $? -ne 0 ] && echo "$out" | grep -q "line 10.*tcp://HOST:PORT"; then ok peer_endpoint_refused; else
	bad peer_endpoint_refused "sigmeshd did not refuse udp:// with its line: $out"; fi
[ $fails -eq 0 ]
