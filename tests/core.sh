#!/bin/bash
# core.sh: leakcheck --core on cores of programs held still at a known
# point (testprogs/core-leaks.c, core-cxx.cc: they make their blocks,
# write their pid to a file and pause).  For every build variant, a core
# taken there with gdb's gcore, and one the kernel writes when the
# program gets SIGABRT, must give the same LEAK SUMMARY (definite,
# indirect, possible and reachable bytes and blocks) as leakcheck --pid
# --once on the same process at the same point.  Then: C++ objects named
# by class, the report files, suppressions by class, --error-exitcode,
# a bad core of each kind refused with one line and its exit status, and
# a bounded fuzz of the core reader on a real core (tests/core-fuzz.py).
# Holder paths and heap profiles from a core: see below.
# Prints one line per test and "N passed, N failed".
# Exit: 0 all passed, 1 some failed, 77 skipped (no gcore, no ptrace), 99 harness.
#
# The kernel's core lands where /proc/sys/kernel/core_pattern says: a
# plain file name (Debian's default "core") is in the program's working
# directory, here build/core-out/; any other pattern is left alone (it is
# the whole machine's setting) and the kernel-core tests are skipped,
# saying why.
cd "$(dirname "$0")/.." || exit 99
. tests/expect.sh || exit 99
LC=${LEAKCHECK:-./leakcheck}
case $LC in /*) ;; *) LC=$PWD/$LC ;; esac
OUT=$PWD/build/core-out
rm -rf "$OUT"
mkdir -p "$OUT" || exit 99
pass=0
fail=0
ok() { pass=$((pass + 1)); printf 'PASS %s\n' "$1"; }
ko() { fail=$((fail + 1)); printf 'FAIL %s: %s\n' "$1" "$2"; }
skip() { printf 'SKIP %s: %s\n' "$1" "$2"; }

if ! command -v gcore >/dev/null; then
	echo "0 passed, 0 failed, all skipped: no gcore (apt-get install gdb)"
	exit 77
fi

# the kernel's cores: only with a plain file name as the pattern
pattern=$(cat /proc/sys/kernel/core_pattern 2>/dev/null)
case $pattern in
"" | *"|"* | */* | *%*)
	kernel_why="core_pattern is '$pattern', not a plain file name: leakcheck's tests do not change the machine's setting" ;;
*) kernel_why= ;;
esac
uses_pid=$(cat /proc/sys/kernel/core_uses_pid 2>/dev/null || echo 0)

# summary LOG: "definite=B/N indirect=B/N possible=B/N reachable=B/N"
summary() {
	awk '/LEAK SUMMARY/ { on = 1 } on && /(definitely|indirectly|possibly) lost:|still reachable:/ {
		line = $0; sub(/.*: /, "", line); gsub(/,/, "", line)
		split(line, w, " "); k = /definitely/ ? "definite" : /indirectly/ ? "indirect" : /possibly/ ? "possible" : "reachable"
		v[k] = w[1] "/" w[4] }
		END { printf "definite=%s indirect=%s possible=%s reachable=%s\n", v["definite"], v["indirect"], v["possible"], v["reachable"] }' "$1"
}

# start BIN DIR [ARGS...]: runs BIN ARGS... DIR/ready in DIR (core limit
# unlimited) until it is ready; sets PID
start() {
	local bin=$1 dir=$2
	shift 2
	rm -f "$dir/ready"
	(cd "$dir" && ulimit -c unlimited && exec "$bin" "$@" "$dir/ready") >"$dir/prog.out" 2>&1 &
	PID=$!
	for _ in $(seq 200); do
		[ -s "$dir/ready" ] && return 0
		sleep 0.05
	done
	echo "core.sh: $bin did not get ready" >&2
	kill -KILL "$PID" 2>/dev/null
	exit 99
}

# the kernel's core of PID in DIR, once it has died: its path, or ""
kernel_core() {
	local f
	for f in "$1/core.$2" "$1/core"; do
		[ -s "$f" ] && { echo "$f"; return; }
	done
}

# check NAME LOG WANT: the summary of LOG is WANT
same() {
	local got
	got=$(summary "$2")
	if [ "$got" = "$3" ] && [ -n "$3" ]; then ok "$1"; else ko "$1" "core: $got, live: $3 (see $2)"; fi
}

for v in $(tp_variants); do
	dir=$(tp_dir "$v")
	for name in core-leaks core-cxx; do
		t="$name [$v]"
		bin=$PWD/$dir/$name
		d=$OUT/$v-$name
		mkdir -p "$d"
		[ -x "$bin" ] || { ko "$t" "not built"; continue; }
		start "$bin" "$d"
		gcore -o "$d/gcore" "$PID" >"$d/gcore.out" 2>&1
		"$LC" --pid "$PID" --once -q --log-file="$d/live.log" 2>"$d/live.err"
		rc=$?
		if [ $rc = 77 ] || grep -q "not permitted\|ptrace_scope" "$d/live.err"; then
			kill -KILL "$PID"
			echo "$pass passed, $fail failed, the rest skipped: $(head -1 "$d/live.err")"
			exit 77
		fi
		want=$(summary "$d/live.log")
		# the numbers themselves (testprogs/core-leaks.c's header); the
		# worker's lost block can be kept by a stale word in the
		# worker's registers or red zone at its pause, as in any
		# program, live and in a core alike: then it is reachable
		if [ $name = core-leaks ]; then
			fixed="definite=848/4 indirect=80/2 possible=72/1 reachable=201256/4"
			stale="definite=792/3 indirect=80/2 possible=72/1 reachable=201312/5"
			[ "$want" = "$fixed" ] || [ "$want" = "$stale" ] && ok "$t live-numbers" ||
				ko "$t live-numbers" "live: $want, expected: $fixed"
		fi
		[ $rc = 0 ] && grep -q "LEAK SUMMARY" "$d/live.log" || { ko "$t live" "status $rc: $(head -2 "$d/live.err")"; want=; }
		if [ -s "$d/gcore.$PID" ]; then
			"$LC" --core="$d/gcore.$PID" -q --log-file="$d/gcore.log" 2>"$d/gcore.err"
			same "$t gcore" "$d/gcore.log" "$want"
		else
			ko "$t gcore" "no core: $(tail -1 "$d/gcore.out")"
		fi
		if [ -n "$kernel_why" ]; then
			kill -KILL "$PID"
			wait "$PID" 2>/dev/null
			skip "$t kernel" "$kernel_why"
			continue
		fi
		kill -ABRT "$PID"
		wait "$PID" 2>/dev/null
		kc=$(kernel_core "$d" "$PID")
		if [ -z "$kc" ]; then
			ko "$t kernel" "no core in $d (core_uses_pid=$uses_pid)"
			continue
		fi
		"$LC" --core="$kc" -q --log-file="$d/kernel.log" 2>"$d/kernel.err"
		same "$t kernel" "$d/kernel.log" "$want"
		grep -q "signal SIGABRT" "$d/kernel.log" && ok "$t kernel-signal" ||
			ko "$t kernel-signal" "no 'signal SIGABRT' in $d/kernel.log"
	done
done

# Holder paths from a core: testprogs/holders-global-list.c (a global
# cache holding a list) paused after filling its cache, in every build
# variant: the holder lines and top holders from its gcore equal those of
# leakcheck --pid --once at the same point, in text and JSON (the same
# process: the same addresses, threads and roots), and the top holder is
# the global (its header's EXPECT-LINE).  Then the heap profile of that
# core with holders: retained_space per size frame.
HOLDER_OPTS="--leak-check=full --show-leak-kinds=all --show-holders=all --top-holders=3"
# holder_lines LOG: the chains and top holders, less the ==PID== prefix
holder_lines() {
	sed -n 's/^==[0-9]*== //p' "$1" | grep -E '^ held by: |^       -> |^TOP HOLDERS|^[0-9]+: '
}
# json_holders FILE: every "held_by" and the "top_holders", in order
json_holders() {
	python3 -c '
import json, sys
out = []
def walk(v):
    if isinstance(v, dict):
        for k, x in v.items():
            if k in ("held_by", "top_holders"):
                out.append((k, x))
            walk(x)
    elif isinstance(v, list):
        for x in v:
            walk(x)
walk(json.load(open(sys.argv[1])))
print(json.dumps(out, sort_keys=True))' "$1"
}
for v in $(tp_variants); do
	t="holders-global-list [$v]"
	bin=$PWD/$(tp_dir "$v")/holders-global-list
	d=$OUT/$v-holders
	mkdir -p "$d"
	[ -x "$bin" ] || { ko "$t" "not built"; continue; }
	start "$bin" "$d" 10
	gcore -o "$d/gcore" "$PID" >"$d/gcore.out" 2>&1
	# shellcheck disable=SC2086
	"$LC" --pid "$PID" --once -q $HOLDER_OPTS --log-file="$d/live.log" --json="$d/live.json" 2>"$d/live.err"
	kill -KILL "$PID"
	wait "$PID" 2>/dev/null
	if [ ! -s "$d/gcore.$PID" ]; then
		ko "$t holders" "no core: $(tail -1 "$d/gcore.out")"
		continue
	fi
	# shellcheck disable=SC2086
	"$LC" --core="$d/gcore.$PID" -q $HOLDER_OPTS --log-file="$d/core.log" --json="$d/core.json" \
		--heap-profile="$d/core.pb.gz" --folded="$d/core.folded" 2>"$d/core.err"
	rc=$?
	holder_lines "$d/live.log" >"$d/live.held"
	holder_lines "$d/core.log" >"$d/core.held"
	if [ $rc = 0 ] && [ -s "$d/live.held" ] && cmp -s "$d/live.held" "$d/core.held"; then
		ok "$t holders"
	else
		ko "$t holders" "status $rc; the chains differ: diff $d/live.held $d/core.held"
	fi
	if [ -s "$d/core.json" ] && [ "$(json_holders "$d/live.json")" = "$(json_holders "$d/core.json")" ] &&
		grep -q '"held_by": {' "$d/core.json"; then
		ok "$t holders-json"
	else
		ko "$t holders-json" "held_by/top_holders differ: $d/live.json $d/core.json"
	fi
	grep -Eq "^1: global 'cache' \(holders-global-list\.c:[0-9]+, in [^ ]+/holders-global-list\) retains 640 bytes in 20 blocks$" "$d/core.held" &&
		ok "$t top-holder" || ko "$t top-holder" "see $d/core.held"
	# --holders-of an address 4 bytes into the block the live run's
	# first chain ends at: the same block, held from 'cache'
	a=$(grep -o "this block (0x[0-9A-Fa-f]*)" "$d/live.log" | head -1 | grep -o "0x[0-9A-Fa-f]*")
	if [ -n "$a" ]; then
		"$LC" --core="$d/gcore.$PID" -q --holders-of="$(printf '0x%x' $((a + 4)))" \
			--log-file="$d/core-of.log" 2>"$d/core-of.err"
		sed -n 's/^==[0-9]*== //p' "$d/core-of.log" | sed -n '/^HOLDERS OF/,/^$/p' >"$d/core-of.txt"
		grep -q "^0x[0-9A-F]* is 4 bytes into the block $a of 24 bytes" "$d/core-of.txt" &&
			grep -q "^ held by: global 'cache' " "$d/core-of.txt" &&
			ok "$t holders-of" || ko "$t holders-of" "see $d/core-of.txt"
	else
		ko "$t holders-of" "no chain in $d/live.log"
	fi
	# the profile: one frame per size, the nodes' retaining the list
	python3 tests/pprof-decode.py "$d/core.pb.gz" >"$d/core.decoded" 2>&1
	if grep -qxP 'reachable\tblocks of 24 bytes\t10\t240' "$d/core.decoded" &&
		grep -qxP 'reachable\tblocks of 40 bytes\t10\t400' "$d/core.decoded" &&
		grep -qx 'sample_types alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes retained_objects/count retained_space/bytes' "$d/core.decoded" &&
		grep -qx 'reachable;blocks of 24 bytes 240' "$d/core.folded"; then
		ok "$t profile"
	else
		ko "$t profile" "see $d/core.decoded, $d/core.folded"
	fi
	if command -v go >/dev/null; then
		go tool pprof -top -sample_index=retained_space -unit=B "$d/core.pb.gz" >"$d/core.top" 2>&1
		grep -Eq '^ *640B .* blocks of 24 bytes$' "$d/core.top" &&
			grep -Eq '^ *400B .* blocks of 40 bytes$' "$d/core.top" &&
			ok "$t profile-retained" || ko "$t profile-retained" "see $d/core.top"
	else
		skip "$t profile-retained" "go not installed"
	fi
done

# The rest on the gcc -O0 build's cores.
d=$OUT/gcc-O0-core-cxx
cxx=$(ls "$d"/gcore.* 2>/dev/null | grep -v '\.\(out\|log\|err\)$' | head -1)
d2=$OUT/gcc-O0-core-leaks
cc=$(ls "$d2"/gcore.* 2>/dev/null | grep -v '\.\(out\|log\|err\)$' | head -1)
if [ -z "$cxx" ] || [ -z "$cc" ]; then
	ko core-files "no gcore cores in $d, $d2"
	echo "$pass passed, $fail failed"
	exit 1
fi

# C++ objects by class, with the program named (its build id matches),
# by a relative path
"$LC" --core="$cxx" --leak-check=full --show-leak-kinds=all build/testprogs/core-cxx \
	>"$OUT/cxx.log" 2>&1
rc=$?
miss=
for re in "264 bytes in 3 blocks of class Session \(88 bytes each\) are definitely lost" \
	"176 bytes in 2 blocks of class Session \(88 bytes each\) are still reachable" \
	"80 \(24 direct, 56 indirect\) bytes in 1 blocks of class Connection \(24 bytes each\) are definitely lost" \
	"56 bytes in 1 blocks of class Buffer \(56 bytes each\) are indirectly lost" \
	"_ZTV7Session at 0x[0-9A-F]+ in .*/core-cxx\)" \
	"24 bytes in 1 blocks are definitely lost" "a core holds none; blocks of 24 bytes"; do
	grep -Eq "$re" "$OUT/cxx.log" || miss="$miss [$re]"
done
[ $rc = 0 ] && [ -z "$miss" ] && ok cxx-classes || ko cxx-classes "status $rc, missing:$miss (see $OUT/cxx.log)"
grep -q "^leakcheck:" "$OUT/cxx.log" && ko cxx-quiet "a message: $(grep -m1 "^leakcheck:" "$OUT/cxx.log")" || ok cxx-quiet

# another file as PROGRAM: its build id is not the core's, said once
"$LC" --core="$cxx" -q "$PWD/build/testprogs/core-leaks" >"$OUT/mismatch.log" 2>&1
n=$(grep -c "is not the file the process had mapped (build id" "$OUT/mismatch.log")
[ "$n" = 1 ] && ! grep -q "of class" "$OUT/mismatch.log" && ok build-id-mismatch ||
	ko build-id-mismatch "$n mismatch lines (see $OUT/mismatch.log)"

# the report files, from a core
"$LC" --core="$cxx" -q --leak-check=full --json="$OUT/r.json" --junit="$OUT/r.xml" \
	--xml=yes --xml-file="$OUT/vg.xml" --sarif="$OUT/r.sarif" 2>"$OUT/files.err"
rc=$?
bad=
for f in r.json r.xml vg.xml r.sarif; do
	grep -q "class Session" "$OUT/$f" 2>/dev/null || bad="$bad $f"
done
if command -v xmllint >/dev/null; then
	xmllint --noout "$OUT/r.xml" "$OUT/vg.xml" 2>>"$OUT/files.err" || bad="$bad xml-well-formed"
fi
python3 -c 'import json,sys; [json.load(open(f)) for f in sys.argv[1:]]' "$OUT/r.json" "$OUT/r.sarif" \
	2>>"$OUT/files.err" || bad="$bad json-parse"
[ $rc = 0 ] && [ -z "$bad" ] && ok report-files || ko report-files "status $rc, bad:$bad ($(head -1 "$OUT/files.err"))"

# suppressions by class: valgrind's fun: the vtable symbol, LSan's leak:
printf '{\n   sessions\n   Memcheck:Leak\n   match-leak-kinds: definite\n   fun:_ZTV7Session\n}\n' >"$OUT/vg.supp"
printf 'leak:Connection\n' >"$OUT/lsan.supp"
"$LC" --core="$cxx" -q --leak-check=full --suppressions="$OUT/vg.supp" >"$OUT/supp-vg.log" 2>&1
"$LC" --core="$cxx" -q --leak-check=full --suppressions="$OUT/lsan.supp" >"$OUT/supp-lsan.log" 2>&1
grep -q "suppressed: 264 bytes in 3 blocks" "$OUT/supp-vg.log" &&
	! grep -q "blocks of class Session (88 bytes each) are definitely" "$OUT/supp-vg.log" &&
	ok supp-valgrind-class || ko supp-valgrind-class "see $OUT/supp-vg.log"
grep -q "suppressed: 24 bytes in 1 blocks" "$OUT/supp-lsan.log" && ok supp-lsan-class ||
	ko supp-lsan-class "see $OUT/supp-lsan.log"
# match-leak-kinds holds: the still reachable Sessions are not suppressed
"$LC" --core="$cxx" -q --leak-check=full --show-leak-kinds=all --suppressions="$OUT/vg.supp" >"$OUT/supp-kinds.log" 2>&1
grep -q "176 bytes in 2 blocks of class Session (88 bytes each) are still reachable" "$OUT/supp-kinds.log" &&
	ok supp-class-kinds || ko supp-class-kinds "see $OUT/supp-kinds.log"
# a wildcard in the vtable's symbol; a function's name matches nothing,
# a core has no stacks
printf '{\n   glob\n   Memcheck:Leak\n   fun:_ZTV*Sess*\n}\n{\n   fn\n   Memcheck:Leak\n   fun:main\n}\n' >"$OUT/glob.supp"
printf 'leak:main\n' >"$OUT/main-lsan.supp"
"$LC" --core="$cxx" -q --leak-check=full --show-leak-kinds=all --suppressions="$OUT/glob.supp" \
	--suppressions="$OUT/main-lsan.supp" >"$OUT/supp-glob.log" 2>&1
grep -q "suppressed: 440 bytes in 5 blocks" "$OUT/supp-glob.log" && ok supp-class-glob ||
	ko supp-class-glob "want the 5 Sessions alone suppressed; see $OUT/supp-glob.log"
# --gen-suppressions from a core, fed back: every record suppressed (a
# class by its vtable, blocks of no class by obj:*)
"$LC" --core="$cxx" -q --leak-check=full --show-leak-kinds=all --gen-suppressions=all \
	>"$OUT/gen.log" 2>&1
grep -v '^==' "$OUT/gen.log" >"$OUT/gen.supp"
"$LC" --core="$cxx" -q --leak-check=full --show-leak-kinds=all --suppressions="$OUT/gen.supp" \
	>"$OUT/gen-back.log" 2>&1
if grep -q "fun:_ZTV7Session" "$OUT/gen.supp" && grep -q "obj:\*" "$OUT/gen.supp" &&
	grep -q "suppressed: 73,296 bytes in 10 blocks" "$OUT/gen-back.log" &&
	! grep -q "in loss record" "$OUT/gen-back.log"; then
	ok supp-gen-roundtrip
else
	ko supp-gen-roundtrip "see $OUT/gen.supp, $OUT/gen-back.log"
fi

# --error-exitcode
"$LC" --core="$cc" -q --leak-check=full --error-exitcode=9 >/dev/null 2>&1
rc=$?
[ $rc = 9 ] && ok error-exitcode || ko error-exitcode "status $rc, not 9"

# what is not done from a core is refused, not ignored
"$LC" --core="$cc" --once >"$OUT/once.out" 2>&1
rc=$?
[ $rc = 64 ] && grep -q "\-\-core takes no .*--once.*a core is one moment" "$OUT/once.out" && ok core-no-once ||
	ko core-no-once "status $rc: $(head -1 "$OUT/once.out")"

# the heap profiles of a C++ core: one frame per class, else per size
"$LC" --core="$cxx" -q --heap-profile="$OUT/cxx.pb.gz" --folded="$OUT/cxx.folded" \
	--flamegraph="$OUT/cxx.svg" build/testprogs/core-cxx >"$OUT/cxx-prof.log" 2>&1
rc=$?
python3 tests/pprof-decode.py "$OUT/cxx.pb.gz" >"$OUT/cxx.decoded" 2>&1
miss=
for re in 'definite\tclass Session\t3\t264' 'reachable\tclass Session\t2\t176' \
	'definite\tclass Connection\t1\t24' 'indirect\tclass Buffer\t1\t56' \
	'definite\tblocks of 24 bytes\t1\t24' \
	'sample_types alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes'; do
	grep -qxP "$re" "$OUT/cxx.decoded" || miss="$miss [$re]"
done
grep -qx 'definite;class Session 264' "$OUT/cxx.folded" || miss="$miss [folded]"
grep -q 'class Session' "$OUT/cxx.svg" || miss="$miss [svg]"
[ $rc = 0 ] && [ -z "$miss" ] && ok cxx-profile || ko cxx-profile "status $rc, missing:$miss (see $OUT/cxx.decoded)"
if command -v go >/dev/null; then
	go tool pprof -top -tagfocus=leak_kind=definite -unit=B "$OUT/cxx.pb.gz" >"$OUT/cxx.top" 2>&1
	grep -Eq '^ *264B .* class Session$' "$OUT/cxx.top" && ! grep -q 'class Buffer' "$OUT/cxx.top" &&
		ok cxx-profile-pprof || ko cxx-profile-pprof "see $OUT/cxx.top"
else
	skip cxx-profile-pprof "go not installed"
fi

# bad cores: one line each, their own exit status
# bad NAME STATUS REGEX CORE [PROGRAM]
bad() {
	local name=$1 want=$2 re=$3 rc lines
	shift 3
	"$LC" --core="$@" >"$OUT/$name.out" 2>&1
	rc=$?
	lines=$(wc -l <"$OUT/$name.out")
	if [ $rc = "$want" ] && [ "$lines" = 1 ] && grep -Eq "$re" "$OUT/$name.out"; then
		ok "$name"
	else
		ko "$name" "status $rc (want $want), $lines lines: $(head -2 "$OUT/$name.out")"
	fi
}
echo "not a core" >"$OUT/text"
bad not-a-core 65 "is not a core file" "$OUT/text"
bad an-executable 65 "is an ELF executable or library, not a core file" "$PWD/build/testprogs/core-leaks"
bad no-such-core 74 "cannot open core .*No such file" "$OUT/nonexistent"
# gdb writes its notes last, the kernel first
size=$(stat -c %s "$cc")
head -c $((size / 2)) "$cc" >"$OUT/truncated-gcore"
bad truncated-gcore 69 "is cut short: its notes \(threads, registers, mapped files\) are incomplete" "$OUT/truncated-gcore"
kc=$(ls "$d2"/core "$d2"/core.[0-9]* 2>/dev/null | head -1)
if [ -n "$kc" ]; then
	size=$(stat -c %s "$kc")
	head -c $((size / 2)) "$kc" >"$OUT/truncated"
	bad truncated 69 "the core is truncated: [0-9]+ of its [0-9]+ mappings \([0-9]+ bytes\) are missing or cut short, so they cannot be scanned: 0x.*ulimit -c" "$OUT/truncated"
else
	skip truncated "no kernel core: $kernel_why"
fi
head -c 100 "$cc" >"$OUT/truncated-header"
bad truncated-header 69 "cut short: its program headers" "$OUT/truncated-header"
cp "$cc" "$OUT/aarch64"
printf '\267\000' | dd of="$OUT/aarch64" bs=1 seek=18 conv=notrunc status=none
bad other-arch 66 "is a core from another architecture \(aarch64, ELF machine 183\)" "$OUT/aarch64"
# flip bytes all over the notes: no crash, one line or a report
cp "$cc" "$OUT/corrupt"
dd if=/dev/urandom of="$OUT/corrupt" bs=1 seek=200 count=3000 conv=notrunc status=none
"$LC" --core="$OUT/corrupt" -q >"$OUT/corrupt.out" 2>&1
rc=$?
[ $rc -lt 128 ] && ok corrupt-notes || ko corrupt-notes "status $rc: $(head -2 "$OUT/corrupt.out")"

# Fuzz: 200 fixed mutations of a real core (tests/core-fuzz.py: cut
# short, header and note bytes flipped and set, program header fields at
# extremes, heap words set), under the ASan/UBSan build when there is one
# (make check builds build/debug/leakcheck first): no crash, no hang, no
# sanitizer report; a report, or one error line and a documented status.
# The kernel's core (10 MB) when there is one, else the gcore.
ASAN_LC=${LEAKCHECK_ASAN:-build/debug/leakcheck}
fuzz_lc=$LC
[ -x "$ASAN_LC" ] && fuzz_lc=$ASAN_LC
fuzz_core=$(ls "$d2"/core "$d2"/core.[0-9]* 2>/dev/null | head -1)
[ -n "$fuzz_core" ] || fuzz_core=$cc
mkdir -p "$OUT/fuzz"
python3 tests/core-fuzz.py "$fuzz_lc" "$fuzz_core" "$OUT/fuzz" "${FUZZ_N:-200}" >"$OUT/fuzz.out" 2>&1
rc=$?
if [ $rc = 0 ] && grep -Eq '^[0-9]+ cases: [0-9]+ reports, [1-9][0-9]* refused .*, 0 failed$' "$OUT/fuzz.out"; then
	ok "fuzz ($(tail -1 "$OUT/fuzz.out"); $fuzz_lc)"
else
	ko fuzz "status $rc: $(head -3 "$OUT/fuzz.out") (see $OUT/fuzz.out)"
fi

# coredump_filter without bit 0 (private anonymous memory): the kernel's
# core lacks the heap and the stacks, and says how to take a better one
if [ -n "$kernel_why" ]; then
	skip filtered "$kernel_why"
else
	d=$OUT/filtered
	mkdir -p "$d"
	start "$PWD/build/testprogs/core-leaks" "$d"
	echo 0x30 >"/proc/$PID/coredump_filter"
	kill -ABRT "$PID"
	wait "$PID" 2>/dev/null
	kc=$(kernel_core "$d" "$PID")
	if [ -z "$kc" ]; then
		ko filtered "no core in $d"
	else
		bad filtered 71 "coredump_filter.*left out.*echo 0x37 > /proc/PID/coredump_filter" "$kc"
	fi
fi

# A jemalloc program (testprogs/jemalloc-service.c, before its SIGUSR1):
# a gcore gives the jemalloc 5.3.0 walk what --pid --once gives on the
# same process (its read-only library pages, which gcore leaves out, are
# read from the library file, whose first page is the core's): the leaks
# made with exact size classes, definite 21,312 bytes in 5 blocks and
# indirect 80 in 1.  Before the walk the core gave "All heap blocks were
# freed".
JES=$PWD/build/testprogs/jemalloc-service
d=$OUT/jemalloc
mkdir -p "$d"
"$JES" "$d/ready" "$d/done" >"$d/prog.out" 2>&1 &
JPID=$!
for _ in $(seq 1200); do [ -e "$d/ready" ] && break; sleep 0.05; done
gcore -o "$d/gcore" "$JPID" >"$d/gcore.out" 2>&1
"$LC" --pid "$JPID" --once -q --log-file="$d/live.log" 2>"$d/live.err"
kill -TERM "$JPID"
wait "$JPID"
jrc=$?
if [ -s "$d/gcore.$JPID" ]; then
	"$LC" --core="$d/gcore.$JPID" -q --log-file="$d/gcore.log" 2>"$d/gcore.err"
	got=$(summary "$d/gcore.log")
	live=$(summary "$d/live.log")
	case $got in
	"definite=21312/5 indirect=80/1 possible=0/0 "*)
		if [ "$got" = "$live" ] && [ "$jrc" = 0 ]; then ok core-jemalloc
		else ko core-jemalloc "core: $got, live: $live, service exit $jrc"; fi ;;
	*) ko core-jemalloc "core: $got $(head -2 "$d/gcore.err")" ;;
	esac
else
	ko core-jemalloc "no core: $(tail -1 "$d/gcore.out")"
fi

echo "$pass passed, $fail failed"
[ $fail = 0 ]
