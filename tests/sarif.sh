#!/bin/bash
# --sarif: SARIF 2.1.0 for code scanning.  One result per loss record of
# an error kind, the rule and level of its kind, the message of the text
# report, the first frame of the program's own code as its location, the
# allocation stack, and a fingerprint that is the same on the next run.
# Every file is validated by Microsoft's SARIF multitool (npm
# @microsoft/sarif-multitool, installed into build/ on first use; the
# validation is skipped, and says so, where npm cannot install it).
# Prints one line per test and "N passed, N failed".
# Exit: 0 all passed, 1 some failed, 77 no ptrace or no python3.
cd "$(dirname "$0")/.." || exit 99
LC=${LEAKCHECK:-./leakcheck}
case $LC in /*) ;; *) LC=$PWD/$LC ;; esac
TP=build/testprogs
OUT=build/sarif-out
TOOL=build/sarif-tool
rm -rf "$OUT"
mkdir -p "$OUT" || exit 99
pass=0
fail=0
ok() { pass=$((pass + 1)); printf 'PASS %s\n' "$1"; }
ko() { fail=$((fail + 1)); printf 'FAIL %s: %s\n' "$1" "$2"; }
command -v python3 >/dev/null || { echo "0 passed, 0 failed, all skipped: no python3"; exit 77; }
if ! "$LC" -q --leak-check=no /bin/true 2>"$OUT/probe.err" && grep -q ptrace "$OUT/probe.err"; then
	echo "0 passed, 0 failed, all skipped: ptrace not permitted"
	exit 77
fi

run() { # NAME RUN PROG: build/sarif-out/NAME.RUN.sarif
	"$LC" -q --log-file=/dev/null --sarif="$OUT/$1.$2.sarif" "$TP/$3" >/dev/null 2>&1 </dev/null
}
for r in 1 2; do
	run direct $r direct-leak
	run list $r indirect-list
	run clean $r clean
	run cxx $r cxx-template-leak
done

# check NAME PYTHON-EXPR...: the file's results against expectations
check() {
	local name=$1 file=$2 why
	shift 2
	why=$(python3 - "$file" "$@" <<'PY'
import json, sys
f, *want = sys.argv[1:]
try:
    d = json.load(open(f))
except Exception as e:
    print("not JSON: %s" % e); sys.exit()
run = d["runs"][0]
res = run["results"]
rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
for w in want:
    try:
        good = eval(w, {"d": d, "run": run, "res": res, "rules": rules,
                        "json": json, "sys": sys})
    except Exception as e:
        good = False
        w += " (%s: %s)" % (type(e).__name__, e)
    if not good:
        print("failed: " + w); break
PY
)
	[ -z "$why" ] && ok "$name" || ko "$name" "$why"
}
line=$(grep -n '^	.*= malloc(1024);' testprogs/direct-leak.c | cut -d: -f1)
check sarif-direct "$OUT/direct.1.sarif" \
	'd["version"] == "2.1.0" and rules == ["leak/definite", "leak/indirect", "leak/possible", "leak/reachable"]' \
	'len(res) == 1 and res[0]["ruleId"] == "leak/definite" and res[0]["level"] == "error"' \
	'res[0]["message"]["text"] == "1,024 bytes in 1 blocks are definitely lost"' \
	"res[0]['locations'][0]['physicalLocation']['artifactLocation']['uri'].endswith('direct-leak.c') and res[0]['locations'][0]['physicalLocation']['region']['startLine'] == $line" \
	'[f["location"]["logicalLocations"][0]["fullyQualifiedName"] for f in res[0]["stacks"][0]["frames"]][:3] == ["malloc", "leak", "main"]' \
	'run["invocations"][0]["arguments"][0].endswith("direct-leak")'
check sarif-indirect "$OUT/list.1.sarif" \
	'len(res) == 1 and res[0]["ruleId"] == "leak/definite" and res[0]["properties"]["indirectBlocks"] > 0' \
	'"indirect) bytes in 1 blocks are definitely lost" in res[0]["message"]["text"]'
check sarif-clean "$OUT/clean.1.sarif" 'res == []'
check sarif-cxx "$OUT/cxx.1.sarif" 'len(res) >= 1 and all(r["level"] == "error" for r in res)'

# the fingerprints: the same on the next run (other pid, addresses)
fp() { python3 -c 'import json,sys; print(sorted(r["partialFingerprints"]["leakcheckRecord/v1"] for r in json.load(open(sys.argv[1]))["runs"][0]["results"]))' "$1"; }
why=
for n in direct list cxx; do
	[ "$(fp "$OUT/$n.1.sarif")" = "$(fp "$OUT/$n.2.sarif")" ] || why="$why $n: $(fp "$OUT/$n.1.sarif") vs $(fp "$OUT/$n.2.sarif")"
done
[ "$(fp "$OUT/direct.1.sarif")" != "$(fp "$OUT/list.1.sarif")" ] || why="$why; direct and list share a fingerprint"
[ -z "$why" ] && ok sarif-fingerprints || ko sarif-fingerprints "$why"

# leakcheck merge OUT.sarif: one log with every process's run, sorted;
# merging again (OUT among the inputs) changes nothing; not ours: 65
mkdir -p "$OUT/suite"
(cd "$TP" && "$LC" -q --log-file=/dev/null --trace-children=yes \
	--sarif="../../$OUT/suite/leaks.%p.sarif" sh ../../testprogs/suite.sh .) >/dev/null 2>&1 </dev/null
"$LC" merge "$OUT/merged.sarif" "$OUT/suite" 2>"$OUT/merge.err"
rc=$?
cp "$OUT/merged.sarif" "$OUT/merged1.sarif" 2>/dev/null
"$LC" merge "$OUT/merged.sarif" "$OUT/suite" "$OUT/merged.sarif" 2>>"$OUT/merge.err"
echo '{"version": "1.0"}' >"$OUT/bad.sarif"
"$LC" merge "$OUT/bad-out.sarif" "$OUT/bad.sarif" 2>"$OUT/bad.err"
brc=$?
why=
[ $rc = 0 ] || why="exit $rc: $(cat "$OUT/merge.err")"
[ -z "$why" ] && ! cmp -s "$OUT/merged.sarif" "$OUT/merged1.sarif" && why="the second merge differs"
[ -z "$why" ] && [ $brc != 65 ] && why="a foreign file: exit $brc"
[ -z "$why" ] && [ -e "$OUT/bad-out.sarif" ] && why="a foreign file: output written"
if [ -z "$why" ]; then
	check sarif-merge "$OUT/merged.sarif" \
		'len(d["runs"]) == 4' \
		'sorted(len(r["results"]) for r in d["runs"]) == [0, 0, 1, len(json.load(open(sys.argv[1].replace("merged.sarif", "cxx.1.sarif")))["runs"][0]["results"])]' \
		'sum(1 for r in d["runs"] if r["invocations"][0]["arguments"][0] == "sh") == 1'
	cp "$OUT/merged.sarif" "$OUT/merged.1.sarif" # validated below
else
	ko sarif-merge "$why"
fi

# Microsoft's validator
MT=$TOOL/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool
if [ ! -e "$MT" ] && command -v npm >/dev/null; then
	mkdir -p "$TOOL"
	(cd "$TOOL" && timeout 300 npm install --no-audit --no-fund --prefix . @microsoft/sarif-multitool) >"$OUT/npm.log" 2>&1
fi
if [ -e "$MT" ]; then
	chmod u+x "$MT" # npm may not run its install script
	why=
	for f in "$OUT"/*.1.sarif; do
		DOTNET_CLI_TELEMETRY_OPTOUT=1 timeout 120 "$MT" validate "$f" >"$OUT/validate.log" 2>&1 ||
			{ why="$why $(basename "$f"): exit $?"; continue; }
		grep -q ": error " "$OUT/validate.log" && why="$why $(basename "$f"): $(grep -m1 ': error ' "$OUT/validate.log")"
	done
	[ -z "$why" ] && ok sarif-multitool-validate || ko sarif-multitool-validate "$why"
else
	echo "SKIP sarif-multitool-validate: npm could not install @microsoft/sarif-multitool ($(tail -1 "$OUT/npm.log" 2>/dev/null))"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
