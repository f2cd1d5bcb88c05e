#!/bin/sh
# tests/integration/cli_keys.sh — offline key and roster workflow through
# the sigmesh CLI: three founders create a SIG, a fourth organization is
# admitted with a quorum, an admission without quorum is refused.
# Uses $BUILD/sigmesh (BUILD defaults to build); prints PASS/FAIL lines.
set -u
BUILD=${BUILD:-build}
SM=$(cd "$(dirname "$0")/../.." && pwd)/$BUILD/sigmesh
T=$(mktemp -d "${TMPDIR:-/tmp}/sm-cli-keys.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
cd "$T" || exit 1
unset SIGMESH_PASSPHRASE
fails=0

ok()   { echo "PASS $1"; }
bad()  { echo "FAIL $1: $2"; fails=$((fails + 1)); }
# run NAME EXPECTED_STATUS CMD...: output in NAME.out / NAME.err
run() {
	n=$1; want=$2; shift 2
	"$@" >"$n.out" 2>"$n.err"
	got=$?
	if [ "$got" -ne "$want" ]; then
		bad "$n" "exit $got, expected $want: $(head -c 300 "$n.err")"
		return 1
	fi
	ok "$n"
}

[ -x "$SM" ] || { echo "FAIL cli_keys: $SM not built"; exit 1; }

# keys: A with a passphrase file, B through the environment, C and D plain
printf 'alpha passphrase\n' > a.pass
run keys_generate_a 0 "$SM" keys generate --name "Alpha Chemical" --out a.key --passphrase-file a.pass
SIGMESH_PASSPHRASE="beta passphrase" run keys_generate_b 0 "$SM" keys generate --name "Beta Petrochemical" --out b.key
run keys_generate_c 0 "$SM" keys generate --name "Gamma Materials" --out c.key
run keys_generate_d 0 "$SM" keys generate --name "Delta Resins" --out d.key
grep -q '^org id: ' keys_generate_a.out && grep -q '^fingerprint: ' keys_generate_a.out \
	&& ok keys_generate_prints_id || bad keys_generate_prints_id "no org id/fingerprint"
[ "$(stat -c %a a.key)" = 600 ] && ok keys_file_0600 || bad keys_file_0600 "mode $(stat -c %a a.key)"
run keys_no_overwrite 1 "$SM" keys generate --name X --out a.key
run keys_passphrase_argv_refused 2 "$SM" keys generate --name X --out x.key --passphrase secret

run keys_show_card 0 "$SM" keys show a.key.card
grep -q 'Alpha Chemical' keys_show_card.out && ok keys_show_card_name || bad keys_show_card_name "name missing"
run keys_show_key 0 "$SM" keys show a.key --passphrase-file a.pass
run keys_show_needs_passphrase 1 "$SM" keys show a.key
printf 'wrong\n' > wrong.pass
run keys_wrong_passphrase 1 "$SM" keys show a.key --passphrase-file wrong.pass
grep -q passphrase keys_wrong_passphrase.err && ok keys_wrong_passphrase_msg || bad keys_wrong_passphrase_msg "$(cat keys_wrong_passphrase.err)"
chmod 640 c.key
run keys_group_readable_refused 1 "$SM" keys show c.key
grep -q 'chmod 600' keys_group_readable_refused.err && ok keys_chmod_hint || bad keys_chmod_hint "$(cat keys_group_readable_refused.err)"
chmod 600 c.key

# genesis: three founders, everyone signs
run sig_create 0 "$SM" sig create --name JCSIP-Chemical --member a.key.card@tcp://127.0.0.1:7001 \
	--member b.key.card@tcp://127.0.0.1:7002 --member c.key.card --out genesis.entry
run sig_approve_a 0 "$SM" sig approve --key a.key --passphrase-file a.pass genesis.entry
SIGMESH_PASSPHRASE="beta passphrase" run sig_approve_b 0 "$SM" sig approve --key b.key genesis.entry
run sig_append_incomplete_genesis 1 "$SM" sig append chem.roster genesis.entry
grep -q 'has not signed' sig_append_incomplete_genesis.err && ok sig_incomplete_genesis_msg || bad sig_incomplete_genesis_msg "$(cat sig_append_incomplete_genesis.err)"
run sig_approve_c 0 "$SM" sig approve --key c.key genesis.entry --out genesis.signed
run sig_append_genesis 0 "$SM" sig append chem.roster genesis.signed
run sig_verify 0 "$SM" sig verify chem.roster
grep -q '3 members' sig_verify.out && ok sig_three_members || bad sig_three_members "$(cat sig_verify.out)"

# an add with only one approval of three (majority 2) is refused
run sig_propose_add 0 "$SM" sig propose chem.roster --add d.key.card@tcp://127.0.0.1:7004 --out add-d.entry
run sig_approve_add_a 0 "$SM" sig approve --key a.key --passphrase-file a.pass add-d.entry
run sig_append_without_quorum 1 "$SM" sig append chem.roster add-d.entry
grep -q 'quorum' sig_append_without_quorum.err && ok sig_no_quorum_msg || bad sig_no_quorum_msg "$(cat sig_append_without_quorum.err)"
# an outsider's approval is refused, not ignored
cp add-d.entry add-d-bad.entry
run sig_approve_add_d 0 "$SM" sig approve --key d.key add-d-bad.entry
run sig_append_nonmember 1 "$SM" sig append chem.roster add-d-bad.entry
grep -q 'not a member' sig_append_nonmember.err && ok sig_nonmember_msg || bad sig_nonmember_msg "$(cat sig_append_nonmember.err)"
# with C's approval too: accepted
run sig_approve_add_c 0 "$SM" sig approve --key c.key add-d.entry
run sig_append_add 0 "$SM" sig append chem.roster add-d.entry
run sig_show_json 0 "$SM" sig show chem.roster --json
grep -q '"Delta Resins"' sig_show_json.out && grep -q '"version": 2' sig_show_json.out \
	&& ok sig_show_has_new_member || bad sig_show_has_new_member "$(head -c 300 sig_show_json.out)"
run sig_show_v1 0 "$SM" sig show chem.roster --version 1
grep -q 'Delta' sig_show_v1.out && bad sig_show_version "D listed at version 1" || ok sig_show_version
# replaying the same entry is a broken chain
run sig_append_replay 1 "$SM" sig append chem.roster add-d.entry
run sig_verify_after 0 "$SM" sig verify chem.roster
# usage errors exit 2
run sig_usage 2 "$SM" sig propose chem.roster --out x.entry
run cli_unknown_command 2 "$SM" frobnicate
run cli_help 0 "$SM" help

[ "$fails" -eq 0 ]
