#!/bin/sh
# tests/integration/cli_init.sh — `sigmesh init` sets up a node that starts:
# keys, a 0600 node.conf, 0700 directories; it never overwrites; the node
# it made answers `status` with its organization's name.
set -u
BUILD=${BUILD:-build}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
SM=$TOP/$BUILD/sigmesh
T=$(mktemp -d "${TMPDIR:-/tmp}/sm-init.XXXXXX") || exit 1
PID=""
trap '[ -n "$PID" ] && kill -9 $PID 2>/dev/null; rm -rf "$T"' EXIT INT TERM
cd "$T" || exit 1
fails=0
ok()  { echo "PASS $1"; }
bad() { echo "FAIL $1: $2"; fails=$((fails + 1)); }

. "$TOP/tests/integration/lib.sh"
port=$(free_ports 1) || { echo "FAIL cli_init_setup: no free ports"; exit 1; }
"$SM" init --dir "$T/n" --name "Example Gas Co" --listen "tcp://127.0.0.1:$port" > init.out 2>&1 \
	&& ok init_runs || bad init_runs "$(cat init.out)"
[ "$(stat -c %a "$T/n/node.conf")" = 600 ] && ok conf_0600 || bad conf_0600 "$(stat -c %a "$T/n/node.conf")"
[ "$(stat -c %a "$T/n/data")" = 700 ] && ok data_0700 || bad data_0700 "$(stat -c %a "$T/n/data")"
[ "$(stat -c %a "$T/n/org.key")" = 600 ] && ok key_0600 || bad key_0600 "$(stat -c %a "$T/n/org.key")"
"$SM" keys show "$T/n/org.key.card" | grep -q "Example Gas Co" && ok card_written || bad card_written "no card"
if "$SM" init --dir "$T/n" --name Other > again.out 2>&1; then
	bad init_never_overwrites "second init succeeded"
else
	grep -q "not overwriting" again.out && ok init_never_overwrites || bad init_never_overwrites "$(cat again.out)"
fi
"$SM" init --dir relative/path --name X > rel.out 2>&1 && bad init_needs_absolute "accepted" || ok init_needs_absolute
"$TOP/$BUILD/sigmeshd" --config "$T/n/node.conf" 2> "$T/node.log" &
PID=$!
n=0
until "$SM" status --config "$T/n/node.conf" > status.out 2>&1; do
	n=$((n + 1)); [ $n -gt 300 ] && break; sleep 0.1
done
grep -q "Example Gas Co" status.out && ok node_from_init_starts || bad node_from_init_starts "$(cat status.out; cat "$T/node.log")"
"$SM" stop --config "$T/n/node.conf" >/dev/null 2>&1
wait $PID 2>/dev/null && ok node_stops_cleanly || bad node_stops_cleanly "exit status $?"
PID=""
[ $fails -eq 0 ]
