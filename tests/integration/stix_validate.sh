#!/bin/sh
# STIX 2.1 exports against the OASIS STIX 2.1 JSON schemas, and the SVG
# charts of the statistics checked as XML.
#   BUILD=build SHARED=../shared sh tests/integration/stix_validate.sh
# The unit tests write their bundles and charts into a temp dir
# (EXPORT_OUT_DIR / STATS_OUT_DIR); node tests/stix/validate.js checks the
# bundles. Missing schemas, node or npm give SKIP lines: a SKIP is not a pass.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
SHARED=${SHARED:-../shared}
schemas=$SHARED/data/stix2.1-schemas/schemas
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# -- bundles ------------------------------------------------------------------
if [ ! -x "$BUILD/tests/test_export" ]; then
	echo "FAIL stix_export: $BUILD/tests/test_export not built"
else
	mkdir -p "$tmp/stix"
	if EXPORT_OUT_DIR="$tmp/stix" "$BUILD/tests/test_export" >"$tmp/unit.out" 2>&1; then
		n=$(ls "$tmp/stix" | wc -l)
		if [ "$n" -ge 3 ]; then
			echo "PASS stix_export ($n bundles written)"
		else
			echo "FAIL stix_export: only $n bundles written"
		fi
	else
		echo "FAIL stix_export: test_export failed:"; sed 's/^/    /' "$tmp/unit.out"
	fi
	if [ ! -d "$schemas" ]; then
		echo "SKIP stix_schema: $schemas not found (set SHARED)"
	elif ! command -v node >/dev/null 2>&1; then
		echo "SKIP stix_schema: node not installed"
	else
		if [ ! -d tests/stix/node_modules/ajv ]; then
			if command -v npm >/dev/null 2>&1; then
				(cd tests/stix && npm ci --no-audit --no-fund >"$tmp/npm.log" 2>&1) ||
				    { echo "SKIP stix_schema: npm ci failed:"; tail -5 "$tmp/npm.log" | sed 's/^/    /'; }
			else
				echo "SKIP stix_schema: npm not installed"
			fi
		fi
		if [ -d tests/stix/node_modules/ajv ] && ls "$tmp/stix"/*.json >/dev/null 2>&1; then
			if node tests/stix/validate.js "$schemas" "$tmp"/stix/*.json >"$tmp/val.out" 2>&1; then
				echo "PASS stix_schema ($(grep -c '^PASS' "$tmp/val.out") bundles valid)"
			else
				echo "FAIL stix_schema: bundles do not validate:"
				grep -v '^PASS' "$tmp/val.out" | sed 's/^/    /'
			fi
			# the validator must reject a broken bundle, or the pass above means nothing
			printf '{"type":"bundle","id":"bundle--8b8ed1c1-f01d-4393-ac65-97017ed15876","objects":[{"type":"indicator","spec_version":"2.1","id":"indicator--8b8ed1c1-f01d-4393-ac65-97017ed15876","created":"2014-07-01T00:00:00.000Z","modified":"2014-07-01T00:00:00.000Z","pattern_type":"stix","valid_from":"2014-07-01T00:00:00.000Z"}]}' >"$tmp/broken.json"
			if node tests/stix/validate.js "$schemas" "$tmp/broken.json" >/dev/null 2>&1; then
				echo "FAIL stix_schema_negative: an indicator without pattern validated"
			else
				echo "PASS stix_schema_negative"
			fi
		fi
	fi
fi

# -- SVG charts -----------------------------------------------------------------
if [ ! -x "$BUILD/tests/test_stats" ]; then
	echo "SKIP stats_svg: $BUILD/tests/test_stats not built"
elif ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP stats_svg: python3 not installed"
else
	mkdir -p "$tmp/svg"
	STATS_OUT_DIR="$tmp/svg" "$BUILD/tests/test_stats" >"$tmp/stats.out" 2>&1 ||
	    { echo "FAIL stats_svg: test_stats failed"; sed 's/^/    /' "$tmp/stats.out"; }
	if python3 - "$tmp/svg" >"$tmp/svg.out" 2>&1 <<'PY'
import sys, os, xml.etree.ElementTree as ET
d = sys.argv[1]
files = sorted(f for f in os.listdir(d) if f.endswith('.svg'))
assert len(files) >= 5, "only %d svg files" % len(files)
ns = '{http://www.w3.org/2000/svg}'
for f in files:
    root = ET.parse(os.path.join(d, f)).getroot()
    assert root.tag == ns + 'svg', f + ": root is " + root.tag
    shapes = [e for e in root.iter() if e.tag in (ns + 'rect', ns + 'path', ns + 'circle')]
    texts = [e for e in root.iter() if e.tag == ns + 'text']
    assert len(shapes) >= 2 and len(texts) >= 2, f + ": empty chart"
    assert any('%' in (t.text or '') for t in texts), f + ": no percentages"
print(len(files), "charts")
PY
	then
		echo "PASS stats_svg ($(cat "$tmp/svg.out"))"
	else
		echo "FAIL stats_svg:"; sed 's/^/    /' "$tmp/svg.out"
	fi
fi
