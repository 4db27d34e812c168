#!/bin/bash
# Who holds it, asked of a launched program and of a live service
# (testprogs/holders-service.c: global 'registry' -> buckets (128 bytes,
# registry_init) -> session (24 bytes, session_open) -> buf (64 bytes,
# session_buf)):
#   1. --holders-of=PATTERN and --holders-of=0xADDR in a launched run,
#      text and JSON;
#   2. --pid: --holders-of=0xADDR of a block from before the attach, and
#      --report=new's WHAT GREW section after the service grew by 5
#      sessions on request, text and JSON;
#   3. the hops of a chain against valgrind's who_points_at (vgdb's
#      monitor command, on the same program under valgrind --vgdb=yes):
#      each holder leakcheck names is one valgrind finds pointing at the
#      block, at the same offset, of the same size and allocation site.
# No timing is asserted: every wait polls, for up to a minute.
# Prints one line per test and "N passed, N failed".
# Exit: 0 all passed, 1 some failed, 77 ptrace not permitted, 99 harness.
cd "$(dirname "$0")/.." || exit 99
LC=${LEAKCHECK:-./leakcheck}
SVC=build/testprogs/holders-service
OUT=build/test-out/holders
rm -rf "$OUT"
mkdir -p "$OUT" || exit 99
[ -x "$SVC" ] || { echo "no $SVC: make testprogs" >&2; exit 99; }
case $OUT in /*) ;; *) OUT=$PWD/$OUT ;; esac
pass=0
fail=0
ok() { pass=$((pass + 1)); printf 'PASS %s\n' "$1"; }
ko() { fail=$((fail + 1)); printf 'FAIL %s: %s\n' "$1" "$2"; }
skip() { printf 'SKIP %s: %s\n' "$1" "$2"; }
# wait_for SECONDS COMMAND...: poll until COMMAND succeeds
wait_for() {
	local n=$(($1 * 20))
	shift
	while [ $n -gt 0 ]; do
		"$@" && return 0
		sleep 0.05
		n=$((n - 1))
	done
	return 1
}
# section FILE HEADER-REGEX [N]: the lines of the Nth report's (default
# last) section whose header matches, up to its blank line, prefix cut
section() {
	sed 's/^==[0-9]*== \{0,1\}//' "$1" | awk -v h="$2" -v want="${3:-0}" '
		/^HEAP SUMMARY:/ { rep++ }
		$0 ~ h { on = 1; cur = ""; next }
		on && /^$/ { on = 0; sec[rep] = cur; next }
		on { cur = cur $0 "\n" }
		END { printf "%s", sec[want ? want : rep] }'
}
# json_get FILE PYTHON-EXPRESSION-ON-d: prints it
json_get() {
	python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
REG="global 'registry' \(holders-service\.c:[0-9]+, in [^ ]+/holders-service\) \+8"

if ! "$LC" -q --leak-check=no /bin/true 2>"$OUT/probe.err"; then
	if grep -q 'ptrace' "$OUT/probe.err"; then
		echo "0 passed, 0 failed, all skipped: ptrace not permitted"
		exit 77
	fi
fi

# 1. a launched run: a pattern, an address in no block, a bad address
"$LC" -q --leak-check=summary --holders-of='session_b*' --holders-of=0x10 \
	--json="$OUT/l.json" --log-file="$OUT/l.log" "$SVC" 2>"$OUT/l.svc"
s=$(section "$OUT/l.log" "^HOLDERS OF 'session_b\\*'")
if echo "$s" | grep -Eq "^loss record [0-9]+ of [0-9]+: 256 bytes in 4 blocks are still reachable$" &&
	echo "$s" | grep -q "by 0x[0-9A-F]*: session_buf (holders-service.c:" &&
	echo "$s" | grep -Eq "^ held by: $REG$" &&
	echo "$s" | grep -Eq "^       -> 0x[0-9A-F]+ \(128 bytes, allocated at registry_init \(holders-service\.c:[0-9]+\)\) \+(0|8|16|24)$" &&
	echo "$s" | grep -Eq "^       -> 0x[0-9A-F]+ \(24 bytes, allocated at session_open \(holders-service\.c:[0-9]+\)\) \+8$" &&
	echo "$s" | grep -Eq "^       -> this block \(0x[0-9A-F]+\), which retains 64 bytes in 1 blocks$" &&
	[ "$(echo "$s" | grep -c 'loss record')" = 1 ]; then
	ok holders-of-pattern
else
	ko holders-of-pattern "$(head -c 600 "$OUT/l.log")"
fi
s=$(section "$OUT/l.log" "^HOLDERS OF 0x10:")
[ "$s" = " no live block holds this address" ] && ok holders-of-no-block ||
	ko holders-of-no-block "got '$s'"
got=$(json_get "$OUT/l.json" '[(q["query"], len(q["matches"]), q["matches"] and (q["matches"][0]["blocks"], q["matches"][0]["held_by"]["root"]["name"], q["matches"][0]["held_by"]["length"], [h["size"] for h in q["matches"][0]["held_by"]["holders"]])) for q in d["holders_of"]]' 2>&1)
[ "$got" = "[('session_b*', 1, (4, 'registry', 4, [128, 24])), ('0x10', 0, [])]" ] &&
	ok holders-of-json || ko holders-of-json "$got"
"$LC" --holders-of=0xg1 "$SVC" >/dev/null 2>"$OUT/bad.err"
rc=$?
[ $rc = 64 ] && grep -q "invalid address '0xg1' for --holders-of" "$OUT/bad.err" &&
	ok holders-of-bad-address || ko holders-of-bad-address "status $rc: $(head -1 "$OUT/bad.err")"
"$LC" --help | grep -q -- "--holders-of=0xADDR|PATTERN" && grep -q 'holders\\-of' man/leakcheck.1 &&
	grep -q -- "--holders-of" README.md && ok holders-of-documented ||
	ko holders-of-documented "not in --help, the man page or README"

# 2. --pid: a block from before the attach by address; what grew
rm -f "$OUT/ready"*
"$SVC" "$OUT/ready" 120 >"$OUT/svc.out" 2>&1 &
SPID=$!
wait_for 60 test -s "$OUT/ready" || { echo "service did not start" >&2; kill $SPID; exit 99; }
addr=$(awk '$1 == "session" && $2 == 1 { print $4 }' "$OUT/svc.out")
a=$(printf '0x%X' $((addr + 4)))
"$LC" --pid "$SPID" --report=new --leak-check=full --holders-of="$a" \
	--log-file="$OUT/p.log" --json="$OUT/p.%p.json" 2>"$OUT/p.err" &
LPID=$!
reports() {
	local n
	n=$(grep -sc 'LEAK SUMMARY' "$OUT/p.log")
	[ "${n:-0}" -ge "$1" ]
}
if ! wait_for 60 grep -q "attached to pid $SPID" "$OUT/p.err"; then
	grep -q "not permitted\|ptrace_scope" "$OUT/p.err" && {
		kill $LPID $SPID
		echo "0 passed, 0 failed, all skipped: $(head -1 "$OUT/p.err")"
		exit 77
	}
	ko attach "$(head -2 "$OUT/p.err")"
fi
kill -USR1 $LPID
wait_for 60 reports 1 || ko report-1 "no first report"
echo 5 >"$OUT/ready.grow.tmp" && mv "$OUT/ready.grow.tmp" "$OUT/ready.grow"
wait_for 60 test -s "$OUT/ready.grown" || ko grow "the service did not grow"
cp "$OUT/p.$SPID.json" "$OUT/p1.json"
kill -USR1 $LPID
wait_for 60 reports 2 || ko report-2 "no second report"
# written after the text, renamed into place whole
wait_for 60 test "$OUT/p.$SPID.json" -nt "$OUT/p1.json"
cp "$OUT/p.$SPID.json" "$OUT/p2.json"
kill -INT $LPID
wait $LPID
rc=$?
kill -TERM $SPID
wait $SPID
src=$?
[ $rc = 0 ] && [ $src = 0 ] && ok pid-detach || ko pid-detach "leakcheck $rc, service $src"

s=$(section "$OUT/p.log" "^HOLDERS OF $a:" 1)
if echo "$s" | grep -Eq "^$a is 4 bytes into the block $(printf '0x%X' $((addr))) of 24 bytes, still reachable \(loss record [0-9]+ of [0-9]+\), allocated$" &&
	echo "$s" | grep -q "(no stack: blocks of 24 bytes allocated before leakcheck attached)" &&
	echo "$s" | grep -Eq "^ held by: $REG$" &&
	echo "$s" | grep -Eq "^       -> 0x[0-9A-F]+ \([0-9]+ bytes, allocated at an unknown place\) \+8$" &&
	echo "$s" | grep -Eq "^       -> this block \($(printf '0x%X' $((addr)))\), which retains [0-9]+ bytes in 2 blocks$"; then
	ok pid-holders-of-address
else
	ko pid-holders-of-address "$s"
fi
[ -z "$(section "$OUT/p.log" "^WHAT GREW" 1)" ] && ok report-new-first-no-growth ||
	ko report-new-first-no-growth "a WHAT GREW section in the first report"
s=$(section "$OUT/p.log" "^WHAT GREW since the last report, and who holds it:" 2)
s_open=$(echo "$s" | awk '/^loss record/ { on = /\+120 bytes/ } on')
if echo "$s" | grep -Eq "^loss record [0-9]+ of [0-9]+: \+120 bytes, \+5 blocks, 5 at new addresses; now 120 bytes in 5 blocks are still reachable$" &&
	echo "$s" | grep -Eq "^loss record [0-9]+ of [0-9]+: \+320 bytes, \+5 blocks, 5 at new addresses; now 320 bytes in 5 blocks are still reachable$" &&
	[ "$(echo "$s" | grep -c "^loss record")" = 2 ] &&
	echo "$s_open" | grep -Eq "^ held by: $REG$" &&
	echo "$s_open" | grep -Eq "^       -> 0x[0-9A-F]+ \([0-9]+ bytes, allocated at an unknown place\) \+(32|40|48|56|64)$" &&
	echo "$s_open" | grep -Eq "^       -> this block \(0x[0-9A-F]+\), which retains 88 bytes in 2 blocks$"; then
	ok report-new-what-grew
else
	ko report-new-what-grew "$s"
fi
# the new session that holds the chain is one the service logged
blk=$(echo "$s_open" | sed -n 's/^       -> this block (\(0x[0-9A-F]*\)).*/\1/p' | head -1)
awk -v b="$blk" '$1 == "session" && $2 >= 4 && $2 <= 8 && toupper($4) == toupper(b) { f = 1 } END { exit !f }' "$OUT/svc.out" &&
	ok report-new-chain-of-new-block || ko report-new-chain-of-new-block "block '$blk' is not a new session"
# (a buf's shortest chain may be a stale copy on the sleeping thread's
# stack, below its sp: that the chain is a start, not which, is checked)
got=$(json_get "$OUT/p2.json" 'sorted((g["bytes"], g["blocks"], g["new_blocks"], g["held_by"]["root"]["name"] if g["bytes"] == 120 else "-", g["held_by"]["length"] if g["bytes"] == 120 else g["held_by"]["root"] is not None) for g in d["grew"])' 2>&1)
[ "$got" = "[(120, 5, 5, 'registry', 3), (320, 5, 5, '-', True)]" ] &&
	json_get "$OUT/p1.json" '"grew" not in d' | grep -q True &&
	ok report-new-grew-json || ko report-new-grew-json "$got"

# 3. against valgrind's who_points_at, hop by hop from session_buf's block
if ! command -v valgrind >/dev/null || ! command -v vgdb >/dev/null; then
	skip who-points-at "no valgrind or vgdb"
else
	"$LC" -q --leak-check=summary --holders-of=session_buf \
		--json="$OUT/w.json" --log-file="$OUT/w.log" "$SVC" 2>"$OUT/w.out"
	rm -f "$OUT/vready"*
	valgrind -q --vgdb=yes "$SVC" "$OUT/vready" 120 2>"$OUT/vsvc.out" &
	VPID=$!
	if ! wait_for 60 test -s "$OUT/vready"; then
		ko who-points-at "the service did not start under valgrind: $(head -3 "$OUT/vsvc.out")"
	else
		python3 - "$OUT/w.json" "$OUT/w.out" "$OUT/vsvc.out" "$VPID" >"$OUT/wpa.out" 2>&1 <<'EOF'
import json, re, subprocess, sys
lc = json.load(open(sys.argv[1]))
chain = lc["holders_of"][0]["matches"][0]["held_by"]
# the session id of the block leakcheck chose, from the service's log
ids = {}
for line in open(sys.argv[2]):
    w = line.split()
    if line.startswith("session "):
        ids[int(w[5], 16)] = int(w[1])
sid = ids[int(chain["block"], 16)]
vaddr = None
for line in open(sys.argv[3]):
    w = line.split()
    if line.startswith("session ") and int(w[1]) == sid:
        vaddr = int(w[5], 16)
# leakcheck's holders, nearest the block first: (size, offset, function)
# for a block, (name, offset) for the root
hops = []
for h in reversed(chain["holders"]):
    site = re.search(r"allocated at (\S+)", h["text"]).group(1)
    hops.append(("block", h["size"], h["pointer_offset"], site))
hops.append(("data", chain["root"]["name"], chain["root"]["offset"]))

def who_points_at(addr):
    out = subprocess.run(["vgdb", "--pid=" + sys.argv[4], "who_points_at",
                          hex(addr)], capture_output=True, text=True,
                         timeout=120).stdout
    found, cur = [], None
    for line in out.splitlines():
        m = re.search(r"Address (0x[0-9a-f]+) is (\d+) bytes inside a block of size (\d+) alloc'd", line)
        if m:
            cur = ["block", int(m.group(3)), int(m.group(2)), None, int(m.group(1), 16)]
            found.append(cur)
            continue
        m = re.search(r'Address (0x[0-9a-f]+) is (\d+) bytes inside data symbol "([^"]+)"', line)
        if m:
            found.append(["data", m.group(3), int(m.group(2)), None, int(m.group(1), 16)])
            cur = None
            continue
        m = re.search(r"by 0x[0-9A-F]+: (\S+) ", line)
        if m and cur is not None and cur[3] is None:
            cur[3] = m.group(1)
    return out, found

addr = vaddr
for hop in hops:
    out, found = who_points_at(addr)
    print("who_points_at %s: %s" % (hex(addr), found))
    match = [f for f in found if tuple(f[:len(hop)]) == hop]
    if not match:
        print("MISMATCH: leakcheck's holder %s is not among valgrind's:\n%s" % (hop, out))
        sys.exit(1)
    addr = match[0][4] - match[0][2]
print("AGREE %d hops" % len(hops))
EOF
		if grep -q "^AGREE 3 hops$" "$OUT/wpa.out"; then
			ok who-points-at
		else
			ko who-points-at "$(tail -c 800 "$OUT/wpa.out")"
		fi
	fi
	kill -TERM $VPID 2>/dev/null
	wait $VPID
fi

echo "$pass passed, $fail failed"
[ $fail = 0 ]
