# tests/integration/lib.sh — sourced by the integration scripts (not a test).
#
# A script that runs a testnet of real sigmeshd processes on loopback does:
#
#	. "$TOP/tests/integration/lib.sh"
#	net_tmp mytest                # $T, cd there, cleanup on exit
#	BASE=$(free_ports 4) || die "no free ports"
#	net_keys A B C                # PORT_A.. and A.key, A.key.card ..
#	mkdir rosters && make_sig chem A B C
#	for o in A B C; do start_node $o; done
#	need_up A B C
#	...
#	stop_node B; start_node B; need_up B
#
# Expected before sourcing: TOP (repository root), BUILD (build directory,
# relative to TOP) and TEST (the name used in "FAIL TEST_setup" lines).
# Everything a node has lives under $T: $T/ORG.key (and .card),
# $T/rosters/, $T/ORG/node.conf, $T/ORG/data, $T/ORG/log (its stderr).
# A script may redefine any function after sourcing (shell functions are
# looked up when called, so the helpers here use the script's version).

SM=$TOP/$BUILD/sigmesh
SMD=$TOP/$BUILD/sigmeshd
fails=0

# ---- results ------------------------------------------------------------
ok()   { echo "PASS $1"; }
bad()  { echo "FAIL $1: $2"; fails=$((fails + 1)); }
skip() { echo "SKIP $1: $2"; }
# die WHY: setup failed, nothing after it can be checked
die()  { echo "FAIL ${TEST:-integration}_setup: $1"; exit 1; }

# free_ports N: print the first of N consecutive TCP ports on loopback that
# no socket uses right now (other tests and nodes may be running), chosen
# at random in 20000-49999. Returns 1 if ten tries found none.
free_ports() {
	n=$1
	for try in 1 2 3 4 5 6 7 8 9 10; do
		# below the kernel's ephemeral range, which outgoing
		# connections draw from (a node's port taken by one of them
		# would be "Address already in use")
		lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
		b=$((10000 + $(od -An -N2 -tu2 /dev/urandom) % (lo - 10000 - n - 64)))
		used=$(ss -Htan 2>/dev/null | awk '{print $4}' | sed 's/.*://' |
			awk -v b="$b" -v n="$n" '$1 >= b && $1 < b + n' | head -1)
		if [ -z "$used" ]; then
			echo "$b"
			return 0
		fi
	done
	return 1
}

# ---- workspace ----------------------------------------------------------
# net_tmp LABEL: make the scratch directory $T (sm-LABEL.XXXXXX under
# $TMPDIR), cd into it, and on exit kill every node (net_cleanup).
# PIDS collects every background process to kill; KEEP=1 keeps $T.
net_tmp() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/sm-$1.XXXXXX") || exit 1
	PIDS=""
	trap net_cleanup EXIT INT TERM
	cd "$T" || exit 1
}
# net_kill_all: SIGKILL every process in PIDS and reap them.
net_kill_all() {
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
}
# net_cleanup: the exit trap; a script with more to undo (a mount, a file
# its background loops watch) defines its own trap around these two.
net_cleanup() {
	net_kill_all
	net_rm_tmp
}
net_rm_tmp() {
	[ -n "${KEEP:-}" ] && echo "kept $T" || rm -rf "$T"
}

# ---- identities and SIGs ------------------------------------------------
# net_keys ORG...: give each ORG the port BASE+1, BASE+2, ... (PORT_ORG)
# and an identity: $T/ORG.key (secret) and ORG.key.card (public card),
# organization name "org-ORG". Needs BASE (see free_ports).
net_keys() {
	i=0
	for o in "$@"; do
		i=$((i + 1))
		eval "PORT_$o=$((BASE + i))"
		# stderr only on failure: it warns that a test key has no passphrase
		err=$("$SM" keys generate --name "org-$o" --out "$o.key" 2>&1 >/dev/null) || die "keys for $o: $err"
	done
}
# make_sig NAME ORG...: the genesis entry of SIG NAME with these members
# (each at tcp://127.0.0.1:PORT_ORG), signed by every founder, written to
# rosters/NAME.roster (make the directory first). Extra `sig create`
# options go in SIG_OPTS (e.g. --late-readers).
make_sig() {
	name=$1; shift
	args=""
	for o in "$@"; do
		eval "p=\$PORT_$o"
		args="$args --member $o.key.card@tcp://127.0.0.1:$p"
	done
	"$SM" sig create --name "$name" $args ${SIG_OPTS:-} --out "$name.entry" >/dev/null || die "sig create $name"
	for o in "$@"; do
		"$SM" sig approve --key "$o.key" "$name.entry" >/dev/null || die "approve $name by $o"
	done
	"$SM" sig append "rosters/$name.roster" "$name.entry" >/dev/null || die "append $name"
}

# one_sig_net ORG...: the ORGs (in $ORGS) in one SIG "chem", each node
# reconciling every 10 minutes only (what is tested must come by the
# tree), all started and answering
one_sig_net() {
	BASE=$(free_ports $#) || die "no free ports"
	net_keys "$@"
	mkdir rosters
	make_sig chem "$@"
	NODE_RECON_MS=600000
	for o in "$@"; do start_node $o; done
	need_up "$@"
}

# ---- nodes --------------------------------------------------------------
# node_conf ORG [LINE...]: write ORG/node.conf (replacing it) for a node
# with its data in DATA_ORG (default $T/ORG/data, recorded in DATA_ORG),
# listening on PORT_ORG. NODE_LOG (default $SIGMESH_TEST_LOG or warn) and
# NODE_RECON_MS (default 2000) set log_level and recon_interval_ms; each
# extra LINE ("key = value") is appended.
node_conf() {
	o=$1; shift
	eval "p=\$PORT_$o; d=\${DATA_$o:-$T/$o/data}"
	eval "DATA_$o=\$d"
	mkdir -p "$o"
	cat > "$o/node.conf" <<CONF
[node]
data_dir = $d
key_file = $T/$o.key
rosters = $T/rosters
listen = tcp://127.0.0.1:$p
log_level = ${NODE_LOG:-${SIGMESH_TEST_LOG:-warn}}
recon_interval_ms = ${NODE_RECON_MS:-2000}
CONF
	for line in "$@"; do echo "$line" >> "$o/node.conf"; done
}
# start_node ORG [WRAPPER...]: start sigmeshd for ORG in the background
# (under WRAPPER, e.g. valgrind or env VAR=x, if given), stderr appended to
# ORG/log; writes node.conf with node_conf first if there is none. The pid
# goes to PID_ORG and PIDS. Returns at once: wait with need_up/wait_up.
start_node() {
	o=$1; shift
	[ -f "$o/node.conf" ] || node_conf "$o"
	"$@" "$SMD" --config "$o/node.conf" 2>>"$o/log" &
	eval "PID_$o=$!"
	PIDS="$PIDS $!"
}
# ctl ORG ARGS...: the sigmesh CLI against ORG's running node.
ctl() { o=$1; shift; eval "d=\${DATA_$o:-$T/$o/data}"; "$SM" "$@" --data-dir "$d"; }
# wait_up ORG...: until each ORG's node answers `status`, polling every
# UP_STEP seconds (default 0.1) at most UP_TRIES times (default 300).
# Returns 1, with the first silent ORG in DOWN, when one never answers.
wait_up() {
	for o in "$@"; do
		n=0
		until ctl "$o" status >/dev/null 2>&1; do
			n=$((n + 1)); [ $n -gt "${UP_TRIES:-300}" ] && { DOWN=$o; return 1; }
			sleep "${UP_STEP:-0.1}"
		done
	done
}
# need_up ORG...: wait_up, or die naming the node and the end of its log.
need_up() {
	wait_up "$@" || die "node $DOWN did not start: $(tail -5 "$T/$DOWN/log")"
}
# stop_node ORG [SECONDS]: ask ORG's node to stop (`sigmesh stop`, SIGTERM
# if that fails), SIGKILL it if it still runs after SECONDS (default 10).
# Polls rather than blocking in wait: a blocking wait once hung a script.
stop_node() {
	eval "pid=\$PID_$1"
	ctl "$1" stop >/dev/null 2>&1 || kill "$pid" 2>/dev/null
	n=0
	while kill -0 "$pid" 2>/dev/null && [ $n -lt $((${2:-10} * 10)) ]; do sleep 0.1; n=$((n + 1)); done
	kill -9 "$pid" 2>/dev/null
	n=0
	while kill -0 "$pid" 2>/dev/null && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
}
# stop_all_clean ORG...: `sigmesh stop` each; every node must then exit on
# its own within 20 s (nodes_stop_cleanly) and, in sanitizer builds, without
# a leak or a memory error in any node's log (nodes_sanitizer_clean).
stop_all_clean() {
	for o in "$@"; do ctl $o stop >/dev/null 2>&1; done
	n=0
	while [ $n -lt 200 ]; do
		alive=0
		for p in $PIDS; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ $alive -eq 0 ] && break
		n=$((n + 1)); sleep 0.1
	done
	[ $alive -eq 0 ] && ok nodes_stop_cleanly || bad nodes_stop_cleanly "still running 20 s after stop"
	if grep -l -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error' */log >/dev/null 2>&1; then
		bad nodes_sanitizer_clean "$(grep -h -m3 -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error' */log)"
	else
		ok nodes_sanitizer_clean
	fi
}
# alive ORG: is ORG's node process still running?
alive() { eval "pid=\$PID_$1"; kill -0 "$pid" 2>/dev/null; }

# ---- what a node reports ------------------------------------------------
# counter ORG FIELD: a number from ORG's `status --json` ("x" when unreadable)
counter() {
	ctl "$1" status --json 2>/dev/null | python3 -c 'import json,sys
print(json.load(sys.stdin)[sys.argv[1]])' "$2" 2>/dev/null || echo x
}
# peers_where ORG FIELD: the names of ORG's peers whose FIELD is true in
# `peers --json` (tree, link, neighbor, linked, ...), one a line
peers_where() {
	ctl "$1" peers --json 2>/dev/null | python3 -c 'import json,sys
for p in json.load(sys.stdin)["peers"]:
    if p[sys.argv[1]]: print(p["name"])' "$2"
}
# tree ORG: the names of ORG's tree neighbours, one a line
tree() { peers_where "$1" tree; }
# peer_field ORG PEER FIELD: FIELD of PEER (an ORG of $ORGS) in ORG's
# `peers --json`: true/false, a number, or x when ORG does not list it
peer_field() {
	ctl "$1" peers --json 2>/dev/null | python3 -c 'import json,sys
for p in json.load(sys.stdin)["peers"]:
    if p["name"] == "org-" + sys.argv[1]:
        v = p[sys.argv[2]]; print(str(v).lower() if isinstance(v, bool) else v); break
else:
    print("x")' "$2" "$3"
}
# org_named NAME: the ORG of $ORGS whose display name (org-ORG) is NAME
org_named() { for o in $ORGS; do [ "$1" = "org-$o" ] && echo $o; done; }
# wait_linked ORG PEER: until ORG's connection to PEER is through its
# handshake; 1 after 15 s
wait_linked() {
	n=0
	until peers_where "$1" linked | grep -qx "org-$2"; do
		n=$((n + 1)); [ $n -gt 150 ] && return 1; sleep 0.1
	done
}
# body TITLE DOMAIN: a report body (a lure mail from DOMAIN) as JSON
body() {
	printf '{"title":"%s","mail_type":"attachment","sender_class":"freemail-foreign","from":[{"address":"lure@%s","name":"HR"}],"subject":"%s","domains":["%s"],"urls":["http://%s/a"]}' "$1" "$2" "$1" "$2" "$2"
}

# ---- stores -------------------------------------------------------------
# has ORG ID: ORG's store holds the object ID (as an object, not a mere
# reference from another object).
has() { ctl "$1" dump --json 2>/dev/null | grep -q "\"id\": \"$2\""; }
# mentions ORG ID: ID appears anywhere in ORG's dump (object or reference).
mentions() { ctl "$1" dump --json 2>/dev/null | grep -q "\"$2\""; }
# wait_for ID ORG...: until every ORG holds ID (`has`, or the script's own
# version); polls every WAIT_STEP s (default 0.1) at most WAIT_TRIES times
# (default 100). Returns 1 on timeout.
wait_for() {
	id=$1; shift
	n=0
	while :; do
		all=1
		for o in "$@"; do has "$o" "$id" || { all=0; break; }; done
		[ $all -eq 1 ] && return 0
		n=$((n + 1)); [ $n -gt "${WAIT_TRIES:-100}" ] && return 1
		sleep "${WAIT_STEP:-0.1}"
	done
}
# stored CHECK ID ORG...: CHECK passes when every ORG holds ID in time
# (wait_for), and fails naming those that do not.
stored() {
	c=$1; id=$2; shift 2
	if wait_for "$id" "$@"; then
		ok "$c"
	else
		miss=""; for o in "$@"; do has $o "$id" || miss="$miss $o"; done
		bad "$c" "not at:$miss"
	fi
}
# grew CHECK BEFORE AFTER MIN WHY: CHECK passes when a counter read
# BEFORE and AFTER (`counter`) grew by at least MIN; WHY says what failed.
grew() {
	if [ "$2" = x ] || [ "$3" = x ]; then
		bad "$1" "a node's status was unreadable"
	elif [ $(($3 - $2)) -ge "$4" ]; then
		ok "$1"
	else
		bad "$1" "$5 (counted $(($3 - $2)))"
	fi
}
# report_ids ORG: the sorted ids of the reports ORG stores.
report_ids() {
	ctl "$1" dump --json 2>/dev/null | /usr/bin/python3 -c '
import json, sys
for it in json.load(sys.stdin)["items"]:
    if it["type"] == "report":
        print(it["id"])' | sort
}
