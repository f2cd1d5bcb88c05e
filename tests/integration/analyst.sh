#!/bin/sh
# tests/integration/analyst.sh — the analyst's inputs and outputs, on real
# sigmeshd processes over loopback.
#
# Three organizations A, B, C in one SIG "gas". A submits phishing emails
# as they arrived (the Phishing Pot collection, where every recipient is
# phishing@pot, and tests/feed/lure.eml, which hides its recipient in a URL
# in percent-encoded and base64 form and names A's own domain, an internal
# IP and a project name that A's configuration redacts). Checks:
#   - `submit --eml --dry-run` works without a node and shows none of that;
#   - the event feed of B (tests/feed/consumer.py) carries the reports as
#     JSON with the right fields, and never a TLP:RED one;
#   - `search` on C finds indicators extracted from the emails;
#   - `export` gives STIX 2.1 that validates against the OASIS schemas and
#     leaves out AMBER+STRICT (unless --internal) and RED (always); MISP
#     and CSV carry the indicators;
#   - `import --stix21` turns an export back into a report that reaches A;
#   - `stats` over a known set (mail types, TLPs, senders, quarters, one
#     retracted, one indicator seen by two organizations) gives back the
#     expected shares;
#   - wrong arguments fail with messages that name what was wrong.
# SHARED (default ../shared from the repository root) holds the emails and
# the STIX schemas; without them the checks that need them print SKIP.
set -u
BUILD=${BUILD:-build}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TEST=analyst
. "$TOP/tests/integration/lib.sh"
SHARED=${SHARED:-../shared}
case "$SHARED" in /*) ;; *) SHARED=$TOP/$SHARED ;; esac
PY=/usr/bin/python3
POT=$SHARED/data/phishing_pot
SCHEMAS=$SHARED/data/stix2.1-schemas/schemas
net_tmp analyst

[ -x "$SM" ] && [ -x "$SMD" ] || die "$SM or $SMD not built"
$PY -c 'import zmq' 2>/dev/null || die "$PY has no zmq module (apt-get install python3-zmq)"

BASE=$(free_ports 4) || die "no free ports"
net_keys A B C
mkdir rosters
make_sig gas A B C
for o in A B C; do
	node_conf $o "anonymize = example-gas.test, Secret Project Falcon, 10.9.0.0/16"
done
# through the configuration: `submit --eml` redacts what it names
ctl() { o=$1; shift; "$SM" "$@" --config "$T/$o/node.conf"; }
has() { mentions "$1" "$2"; }
WAIT_TRIES=150	# wait_for: 15 s

# ---- dry run: no node needed, nothing of the recipient shown -----------------
LURE=$TOP/tests/feed/lure.eml
if ctl A submit --eml "$LURE" --dry-run > dry-lure.json 2> dry-lure.err; then
	if grep -q -i -e 'phishing@pot' -e 'phishing%40pot' -e 'cGhpc2hpbmdAcG90' \
	    -e 'Secret Project' -e 'example-gas.test' -e '10\.9\.' dry-lure.json; then
		bad dry_run_anonymized "$(grep -i -e phishing -e cGhp -e Secret -e example-gas -e '10\.9\.' dry-lure.json | head -3)"
	elif ! grep -q '"login.c2-lure.test"' dry-lure.json || ! grep -q '\[recipient\]' dry-lure.json; then
		bad dry_run_anonymized "indicators or placeholders missing: $(head -c 400 dry-lure.json)"
	else
		ok dry_run_anonymized
	fi
else
	bad dry_run_anonymized "$(cat dry-lure.err)"
fi
[ ! -e "$T/A/data" ] && ok dry_run_needs_no_node || bad dry_run_needs_no_node "A's data dir exists"

SAMPLES=""
if [ -d "$POT" ]; then
	SAMPLES=$(ls "$POT"/sample-*.eml | head -n 8)
	leaked=""
	for f in $SAMPLES; do
		ctl A submit --eml "$f" --dry-run > dry.json 2> dry.err || { leaked="$leaked $(basename $f):$(cat dry.err)"; continue; }
		grep -q -i 'phishing@pot' dry.json && leaked="$leaked $(basename $f)"
	done
	[ -z "$leaked" ] && ok dry_run_phishing_pot_no_recipient || bad dry_run_phishing_pot_no_recipient "$leaked"
else
	skip dry_run_phishing_pot_no_recipient "$POT not found (set SHARED)"
fi

# ---- errors name what was wrong ----------------------------------------------
"$SM" submit --eml "$LURE" --dry-run 2> e1 >/dev/null && bad error_messages "--eml without --config accepted"
"$SM" submit --eml nonexistent.eml --dry-run --config "$T/A/node.conf" 2> e2 >/dev/null
printf '[node]\ndata_dir=%s/x\nkey_file=k\nrosters=r\nanonymize = 10.9.0.0/99\n' "$T" > badanon.conf
"$SM" submit --eml "$LURE" --dry-run --config badanon.conf 2> e3 >/dev/null
if grep -q -- '--config' e1 && grep -q 'nonexistent.eml' e2 && grep -q '10.9.0.0/99' e3; then
	ok error_messages_offline
else
	bad error_messages_offline "$(cat e1 e2 e3 | tr '\n' '|')"
fi

# ---- start the nodes and a feed consumer on B --------------------------------
for o in A B C; do start_node $o; done
UP_TRIES=100
need_up A B C
$PY "$TOP/tests/feed/consumer.py" "ipc://$T/B/data/feed.sock" --topic report > feedB.out 2> feedB.err &
CONSUMER=$!
PIDS="$PIDS $CONSUMER"
$PY "$TOP/tests/feed/consumer.py" "ipc://$T/A/data/feed.sock" > feedA.out 2> feedA.err &
CONSUMER_A=$!
PIDS="$PIDS $CONSUMER_A"
sleep 1	# a SUB socket misses what is published before it is connected

ctl B export --format nonsense > /dev/null 2> e4
ctl B stats --from yesterday > /dev/null 2> e5
ctl B export --format csv --sig nosuchsig > /dev/null 2> e6
if grep -q 'nonsense' e4 && grep -q -- '--from' e5 && grep -q 'nosuchsig' e6; then
	ok error_messages_node
else
	bad error_messages_node "$(cat e4 e5 e6 | tr '\n' '|')"
fi

# ---- submit the emails --------------------------------------------------------
LURE_ID=$(ctl A submit --eml "$LURE" --tlp amber --sig gas 2>sub.err) || bad submit_eml "$(cat sub.err)"
POT_IDS=""
for f in $SAMPLES; do
	id=$(ctl A submit --eml "$f" --tlp green --audience federation 2>sub.err) ||
	    { bad submit_eml_pot "$(basename $f): $(cat sub.err)"; continue; }
	POT_IDS="$POT_IDS $id"
done
RED_ID=$(printf '{"title":"red for B","mail_type":"link","domains":["red-only.test"]}' |
    ctl A submit - --tlp red --org org-B 2>sub.err) || bad submit_red "$(cat sub.err)"
STRICT_ID=$(printf '{"title":"strict for gas","mail_type":"link","domains":["strict-only.test"],"urls":["http://strict-only.test/x"]}' |
    ctl A submit - --tlp amber+strict --sig gas 2>sub.err) || bad submit_strict "$(cat sub.err)"
LAST=${POT_IDS##* }
wait_for "${LAST:-$LURE_ID}" B C && wait_for "$LURE_ID" B C && wait_for "$STRICT_ID" B C &&
    wait_for "$RED_ID" B || bad delivery "reports did not reach B and C"
[ -n "$LURE_ID" ] && ok submit_eml || true

# ---- the feed on B ------------------------------------------------------------
sleep 1
$PY - feedB.out "$LURE_ID" "$RED_ID" "$STRICT_ID" $POT_IDS > feedcheck.out 2>&1 <<'PY'
import json, sys
path, lure, red, strict, pots = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
ev = {}
for line in open(path):
    d = json.loads(line)
    assert d["topic"] == "report", "topic " + d["topic"]
    ev[d["event"]["id"]] = d["event"]
assert red not in ev, "TLP:RED report published on the feed"
for rid, tlp in [(lure, "TLP:AMBER"), (strict, "TLP:AMBER+STRICT")] + [(p, "TLP:GREEN") for p in pots]:
    assert rid in ev, "report %s not on the feed (%d events)" % (rid[:16], len(ev))
    e = ev[rid]
    for k in ("id", "type", "tlp", "originator", "originator_name", "created_ms", "audience", "readable", "body"):
        assert k in e, "%s: no field %s" % (rid[:16], k)
    assert e["type"] == "report" and e["tlp"] == tlp, "%s: type %s tlp %s" % (rid[:16], e["type"], e["tlp"])
    assert e["originator_name"] == "org-A" and e["readable"] is True, rid[:16]
b = ev[lure]["body"]
assert b["mail_type"] == "link", b
assert "login.c2-lure.test" in b.get("domains", []), b
assert "Secret" not in json.dumps(b) and "phishing@pot" not in json.dumps(b), "lure body not anonymized"
print("%d events" % len(ev))
PY
if [ $? -eq 0 ]; then ok "feed_reports_on_other_node ($(cat feedcheck.out))"; else bad feed_reports_on_other_node "$(tail -3 feedcheck.out)"; fi
grep -q "$RED_ID" feedA.out && bad red_not_on_originator_feed "A published its RED report" || ok red_not_on_originator_feed

# ---- search -----------------------------------------------------------------
ctl C search login.c2-lure.test --json > s1.json 2>&1
grep -q "$LURE_ID" s1.json && ok search_finds_email_indicator || bad search_finds_email_indicator "$(head -c 300 s1.json)"
if [ -n "$SAMPLES" ]; then
	f=$(echo "$SAMPLES" | head -n 1)
	ctl A submit --eml "$f" --dry-run > dry1.json
	dom=$($PY -c 'import json,sys; b=json.load(open(sys.argv[1]))["body"]; print((b.get("domains") or [a["address"].split("@")[1] for a in b.get("from",[])])[0])' dry1.json)
	ctl C search "$dom" --json > s2.json 2>&1
	first=$(echo $POT_IDS | cut -d' ' -f1)
	grep -q "$first" s2.json && ok "search_finds_phishing_pot_indicator ($dom)" ||
	    bad search_finds_phishing_pot_indicator "$dom: $(head -c 300 s2.json)"
fi

# ---- export --------------------------------------------------------------------
ctl B export --format stix21 --out b.stix.json 2> exp.err || bad export_stix "$(cat exp.err)"
ctl B export --format stix21 --internal --out b.internal.json 2>> exp.err || bad export_stix_internal "$(cat exp.err)"
if grep -q 'strict-only.test' b.stix.json; then
	bad export_leaves_out_amber_strict "strict-only.test in the export without --internal"
elif ! grep -q 'login.c2-lure.test' b.stix.json; then
	bad export_leaves_out_amber_strict "the AMBER lure is missing too"
else
	ok export_leaves_out_amber_strict
fi
grep -q 'strict-only.test' b.internal.json && ok export_internal_has_amber_strict ||
    bad export_internal_has_amber_strict "not in the --internal export"
grep -q 'red-only.test' b.stix.json b.internal.json && bad export_never_red "RED in an export" || ok export_never_red
if [ ! -d "$SCHEMAS" ]; then
	skip export_stix_validates "$SCHEMAS not found (set SHARED)"
elif ! command -v node >/dev/null 2>&1; then
	skip export_stix_validates "node not installed"
else
	if [ ! -d "$TOP/tests/stix/node_modules/ajv" ] && command -v npm >/dev/null 2>&1; then
		(cd "$TOP/tests/stix" && npm ci --no-audit --no-fund >"$T/npm.log" 2>&1)
	fi
	if [ ! -d "$TOP/tests/stix/node_modules/ajv" ]; then
		skip export_stix_validates "ajv not installed (cd tests/stix && npm ci)"
	elif node "$TOP/tests/stix/validate.js" "$SCHEMAS" b.stix.json b.internal.json > val.out 2>&1; then
		ok "export_stix_validates ($(grep -c '^PASS' val.out) bundles)"
	else
		bad export_stix_validates "$(grep -v '^PASS' val.out | head -5)"
	fi
fi
ctl B export --format misp > b.misp.json 2>> exp.err && $PY -c 'import json,sys; json.load(open(sys.argv[1]))' b.misp.json &&
    grep -q 'login.c2-lure.test' b.misp.json && ok export_misp || bad export_misp "$(tail -2 exp.err)"
ctl B export --format csv --tlp amber > b.csv 2>> exp.err && grep -q 'login.c2-lure.test' b.csv &&
    ! grep -q 'strict-only.test' b.csv && ok export_csv_filtered || bad export_csv_filtered "$(head -3 b.csv)"

# ---- import ------------------------------------------------------------------
IMP=$(ctl C import --stix21 b.stix.json --tlp amber --sig gas 2>imp.err)
if [ -n "$IMP" ] && wait_for "$IMP" A; then
	ctl A search login.c2-lure.test --json > s3.json
	grep -q "$IMP" s3.json && grep -q "$LURE_ID" s3.json && ok import_stix_reaches_sig ||
	    bad import_stix_reaches_sig "A's search: $(head -c 300 s3.json)"
else
	bad import_stix_reaches_sig "$(cat imp.err)"
fi

# ---- stats over a known set ----------------------------------------------------
# FY2010 (April 2010 - March 2011): nothing else falls there. 10 counted
# reports: mail types 5 attachment, 3 link, 1 reconnaissance, 1 unknown;
# TLP 4 green, 4 amber, 2 amber+strict; senders 6 freemail-foreign,
# 4 corporate; quarters Q1 6, Q3 4; one more report retracted (not counted).
# shared.test is in two of A's reports and B saw one: 2 organizations.
Q1=1275350400000	# 2010-06-01
Q3=1288569600000	# 2010-11-01
sub() {	# sub TLP MAILTYPE SENDER WHEN DOMAIN
	if [ "$1" = green ]; then aud="--audience federation"; else aud="--sig gas"; fi
	printf '{"title":"stats %s %s","mail_type":"%s","sender_class":"%s","first_seen_ms":%s,"domains":["%s"]}' \
	    "$2" "$5" "$2" "$3" "$4" "$5" | ctl A submit - --tlp "$1" $aud
}
S1=$(sub green attachment freemail-foreign $Q1 shared.test)
sub green attachment freemail-foreign $Q1 s2.test >/dev/null
sub amber attachment freemail-foreign $Q1 s3.test >/dev/null
sub amber attachment corporate $Q1 shared.test >/dev/null
sub amber+strict attachment corporate $Q1 s5.test >/dev/null
sub green link freemail-foreign $Q1 s6.test >/dev/null
sub amber link freemail-foreign $Q3 s7.test >/dev/null
sub amber+strict link corporate $Q3 s8.test >/dev/null
sub green reconnaissance freemail-foreign $Q3 s9.test >/dev/null
STATS_LAST=$(sub amber unknown corporate $Q3 s10.test)
GONE=$(sub green attachment corporate $Q3 gone.test)
ctl A retract "$GONE" --reason "test: not counted" >/dev/null || bad stats_setup "retract failed"
wait_for "$S1" B || bad stats_setup "B never got the first stats report"
SIGHT=$(ctl B sight "$S1") || bad stats_setup "sight failed"
wait_for "$STATS_LAST" C && wait_for "$SIGHT" C && wait_for "$GONE" C || bad stats_setup "C did not get the set"
sleep 0.5
mkdir -p charts
if ctl C stats --from 1270080000000 --to 1301616000000 --json --svg charts > stats.json 2> stats.err; then
	$PY - stats.json > statscheck.out 2>&1 <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
def table(name):
    return {r["label"]: (r["count"], round(r["percent"], 1)) for r in s[name]}
assert s["reports"] == 10, "reports %d, expected 10" % s["reports"]
mt = table("mail_types")
want = {"attachment": (5, 50.0), "link": (3, 30.0), "reconnaissance": (1, 10.0), "unknown": (1, 10.0)}
for k, v in want.items():
    assert mt.get(k) == v, "mail type %s: %s, expected %s (%s)" % (k, mt.get(k), v, mt)
tl = table("tlp")
want = {"TLP:GREEN": (4, 40.0), "TLP:AMBER": (4, 40.0), "TLP:AMBER+STRICT": (2, 20.0), "TLP:RED": (0, 0.0), "TLP:CLEAR": (0, 0.0)}
for k, v in want.items():
    assert tl.get(k) == v, "tlp %s: %s, expected %s" % (k, tl.get(k), v)
se = table("senders")
assert se.get("freemail-foreign") == (6, 60.0) and se.get("corporate") == (4, 40.0), se
q = table("quarters")
assert q.get("FY2010 Q1") == (6, 60.0) and q.get("FY2010 Q3") == (4, 40.0), q
top = {r["label"]: r for r in s.get("top_indicators", [])}
assert "shared.test" in top and top["shared.test"]["count"] == 2 and top["shared.test"]["reports"] == 2, top
print("10 reports, shares as submitted")
PY
	if [ $? -eq 0 ]; then ok "stats_shares ($(cat statscheck.out))"; else bad stats_shares "$(tail -2 statscheck.out)"; fi
	n=$(ls charts/*.svg 2>/dev/null | wc -l)
	[ "$n" -ge 6 ] && $PY -c 'import sys, xml.etree.ElementTree as E; [E.parse(f) for f in sys.argv[1:]]' charts/*.svg &&
	    ok "stats_svg ($n charts)" || bad stats_svg "$n charts in charts/"
	ctl C stats --from 1270080000000 --to 1301616000000 > stats.txt 2>&1 && grep -q 'attachment.*50.0%' stats.txt &&
	    ok stats_tables || bad stats_tables "$(head -12 stats.txt)"
else
	bad stats_shares "$(cat stats.err)"
fi

kill "$CONSUMER" "$CONSUMER_A" 2>/dev/null
for o in A B C; do ctl $o stop >/dev/null 2>&1; done
sleep 0.3
grep -h -i 'error' */log | head -5 | sed 's/^/    log: /'
[ $fails -eq 0 ]
