#!/bin/sh
# sim_netns: the small testnet (12 organizations, 3 SIGs) with real network
# faults: every node in its own network namespace on a bridge (addresses in
# 198.18.0.0/15), 1% packet loss on every link, one SIG partitioned onto an
# island and healed, then the bridge node's link cut and healed. Asserts zero
# leaks, full coverage after healing, nodes listening on their namespace
# addresses, and that no namespace or interface is left behind, also after a
# run interrupted with Ctrl-C. Then 25 ms links (netem, or sigmesh-sim's
# userspace relay in each namespace where the kernel has no netem) with the
# same partitions: complete, no leaks, full-audience p50 at least 25 ms.
# Needs root and `ip netns`; SKIPs otherwise.
set -u
BUILD=${BUILD:-build}
sim=$BUILD/sigmesh-sim
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
if [ "$(id -u)" != 0 ]; then echo "SKIP sim_netns: not root"; exit 0; fi
if ! ip netns list >/dev/null 2>&1; then echo "SKIP sim_netns: ip netns unavailable"; exit 0; fi
if [ ! -x "$sim" ] || [ ! -x "$BUILD/sigmeshd" ]; then
	echo "SKIP sim_netns: $sim or $BUILD/sigmeshd is not built"; exit 0; fi
out=$(mktemp -d /tmp/sim_netns.XXXXXX)
trap 'rm -rf "$out"' EXIT INT TERM
links_before=$(ip -o link | wc -l)
ns_before=$(ip netns list | grep -c '^smsim' || true)

"$sim" run --profile sim/profiles/small.txt --workload fy2014 --reports 60 --rate 8 \
	--net netns --loss 1 --faults partition --seed 3 --settle 45 --out "$out/res" >"$out/log" 2>&1
rc=$?
if [ ! -f "$out/res/summary.json" ]; then
	echo "FAIL sim_netns: no summary (exit $rc)"; tail -n 30 "$out/log"
else
python3 - "$out/res/summary.json" <<'EOF2'
import json, sys
d = json.load(open(sys.argv[1])); r = d["results"]; run = d["run"]
def check(name, ok, why):
    print(("PASS %s" % name) if ok else ("FAIL %s: %s" % (name, why)))
check("sim_netns_mode", run.get("net") == "netns" and run.get("loss_pct") == 1.0
      and run.get("link_emulation") in ("netem", "bpf-loss"), "run: %s" % run)
check("sim_netns_no_leaks", r["leaks"]["count"] == 0, "%s leaks" % r["leaks"]["count"])
check("sim_netns_full_coverage", r["deliveries"]["missing"] == 0,
      "%s deliveries missing after healing" % r["deliveries"]["missing"])
plan = d.get("fault_plan", [])
check("sim_netns_real_partition", len(plan) == 2 and "island" in plan[0] and "links down" in plan[1]
      and run["faults_injected"] >= 6, "plan %s, %s injected" % (plan, run["faults_injected"]))
# a real partition freezes nobody
pauses = sum(n["pauses"] for n in r["nodes"])
check("sim_netns_nobody_frozen", pauses == 0, "%d SIGSTOPs" % pauses)
check("sim_netns_no_crash", run["crashes"] == 0, "%d crashes" % run["crashes"])
EOF2
fi
# the nodes listened on their namespace's address: the log's network line
if grep -q 'network: 13 namespaces on a bridge (198.18.0.0/15)' "$out/log"; then
	echo "PASS sim_netns_addresses"; else echo "FAIL sim_netns_addresses: no network line"; fi
if [ "$rc" -eq 0 ]; then echo "PASS sim_netns_exit_status"; else
	echo "FAIL sim_netns_exit_status: sigmesh-sim exited $rc"; tail -n 25 "$out/log"; fi
left=$(ip netns list | grep -c '^smsim' || true)
if [ "$left" = "$ns_before" ] && [ "$(ip -o link | wc -l)" = "$links_before" ]; then
	echo "PASS sim_netns_clean_teardown"; else
	echo "FAIL sim_netns_clean_teardown: namespaces left: $(ip netns list | grep '^smsim' | tr '\n' ' ')"; fi

# 25 ms links with partitions: the delay is real and the cuts still cut
"$sim" run --profile sim/profiles/small.txt --workload fy2014 --reports 30 --rate 10 \
	--net netns --link-delay 25 --faults partition --seed 4 --settle 45 \
	--out "$out/delay" >"$out/log3" 2>&1
drc=$?
if [ ! -f "$out/delay/summary.json" ]; then
	echo "FAIL sim_netns_delay: no summary (exit $drc)"; tail -n 30 "$out/log3"
else
python3 - "$out/delay/summary.json" "$drc" <<'EOF2'
import json, sys
d = json.load(open(sys.argv[1])); r = d["results"]; run = d["run"]; rc = int(sys.argv[2])
def check(name, ok, why):
    print(("PASS %s" % name) if ok else ("FAIL %s: %s" % (name, why)))
check("sim_netns_delay_mode", run["net"] == "netns" and run["link_delay_ms"] == 25
      and run["link_emulation"] in ("netem", "relay") and run["faults_injected"] >= 2,
      "run: %s" % run)
check("sim_netns_delay_no_leaks", r["leaks"]["count"] == 0, "%d leaks" % r["leaks"]["count"])
check("sim_netns_delay_full_coverage", r["deliveries"]["missing"] == 0 and rc == 0,
      "%d deliveries missing, exit %d" % (r["deliveries"]["missing"], rc))
c = r["completion_all_ms"]
check("sim_netns_delay_is_real", c["n"] > 0 and c["p50"] >= 25,
      "full-audience p50 %s ms: links are not delayed" % c["p50"])
EOF2
fi

# Ctrl-C in the middle of the workload: everything still goes
"$sim" run --profile sim/profiles/small.txt --reports 200 --rate 10 --net netns \
	--out "$out/int" >"$out/log2" 2>&1 &
pid=$!
i=0
while [ $i -lt 100 ] && ! grep -q 'network:' "$out/log2" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
sleep 2
kill -INT $pid
wait $pid
irc=$?
left=$(ip netns list | grep -c '^smsim' || true)
if [ "$irc" = 2 ] && [ "$left" = "$ns_before" ] && [ "$(ip -o link | wc -l)" = "$links_before" ]; then
	echo "PASS sim_netns_interrupt_teardown"; else
	echo "FAIL sim_netns_interrupt_teardown: exit $irc, namespaces left: $(ip netns list | grep '^smsim' | tr '\n' ' ')"; fi
exit 0
