#!/bin/bash
# Go + cgo: testprogs/cgo/cgo-leak.go, built with Debian's golang-go, run
# under leakcheck.  Go's threads and its SIGURG preemption must not break
# it; the C leak must be found with its size and its whole stack, C frames
# and the Go frames above the cgo call; the heap profile must show it to
# go tool pprof.  Prints one line per test and "N passed, N failed".
# Exit: 0 all passed (or go missing: all skipped), 1 some failed, 77 no
# ptrace.
cd "$(dirname "$0")/.." || exit 99
LC=${LEAKCHECK:-./leakcheck}
OUT=build/test-out/cgo
BIN=build/testprogs/cgo-leak
SRC=testprogs/cgo/cgo-leak.go
DECODE="python3 tests/pprof-decode.py"
mkdir -p "$OUT" build/testprogs
rm -f "$OUT"/*
pass=0
fail=0

ok() { pass=$((pass + 1)); printf 'PASS %s\n' "$1"; }
ko() { fail=$((fail + 1)); printf 'FAIL %s: %s\n' "$1" "$2"; }
check() {
	local name=$1
	shift
	if "$@" >"$OUT/check.out" 2>&1; then ok "$name"; else ko "$name" "$(head -c 400 "$OUT/check.out")"; fi
}

if ! command -v go >/dev/null 2>&1; then
	echo "SKIP cgo: go not installed (apt-get install golang-go)"
	echo "0 passed, 0 failed, all skipped"
	exit 0
fi
if ! "$LC" -q --leak-check=no /bin/true 2>"$OUT/probe.err"; then
	if grep -q 'ptrace' "$OUT/probe.err"; then
		echo "0 passed, 0 failed, all skipped: ptrace not permitted"
		exit 77
	fi
fi

# Module mode off (one file, no go.mod), the build cache in build/ (CI
# has no writable $HOME cache), cgo on.
rm -f "$BIN"
(cd testprogs/cgo && GOCACHE="$PWD/../../build/gocache" GO111MODULE=off \
	GOFLAGS= CGO_ENABLED=1 go build -o "../../$BIN" cgo-leak.go) >"$OUT/build.log" 2>&1
check cgo-build sh -c "test $? = 0 && test -x '$BIN' || { cat '$OUT/build.log'; exit 1; }"
[ -x "$BIN" ] || { echo "$pass passed, $fail failed"; exit 1; }

# the program alone, then under leakcheck: same output, no hang (SIGURG)
timeout 60 "$BIN" >"$OUT/native.out" 2>&1
check cgo-native grep -qx 'ok 360' "$OUT/native.out"
timeout 120 "$LC" --leak-check=full --stats --heap-profile="$OUT/cgo.pb.gz" \
	"$BIN" >"$OUT/lc.out" 2>"$OUT/lc.err"
rc=$?
check cgo-runs sh -c "test $rc = 0 && grep -qx 'ok 360' '$OUT/lc.out'"
# preempt() cannot finish unless SIGURG reached the spinning thread
check cgo-sigurg grep -qE 'stats: .*, [1-9][0-9]* signals' "$OUT/lc.err"
check cgo-definite grep -q 'definitely lost: 3,702 bytes in 3 blocks$' "$OUT/lc.err"

# The loss record's stack, frame by frame: "function (file:line)".
line_of() { grep -n "$1" "$SRC" | head -1 | cut -d: -f1; }
awk '/3,702 bytes in 3 blocks are definitely lost/ { on = 1; next }
	on && /(at|by) 0x/ { sub(/.*(at|by) 0x[0-9A-F]+: /, ""); print; next }
	on { exit }' "$OUT/lc.err" | sed -E 's/^(_cgo_)[0-9a-f]+_/\1X_/' >"$OUT/stack"
cat >"$OUT/stack.want" <<EOF
malloc (in /usr/lib/x86_64-linux-gnu/libc.so.6)
c_make_buffer (cgo-leak.go:$(line_of 'char \*p = malloc(n);'))
c_leak (cgo-leak.go:$(line_of 'char \*p = c_make_buffer(n);'))
_cgo_X_Cfunc_c_leak (cgo-gcc-prolog:53)
runtime.asmcgocall (asm_amd64.s:844)
main._Cfunc_c_leak (_cgo_gotypes.go:47)
main.goLeak (cgo-leak.go:$(line_of 'return int(C.c_leak'))
main.leaks.func1 (cgo-leak.go:$(line_of 'done <- goLeak(1234)'))
runtime.goexit (asm_amd64.s:1594)
EOF
# the C frames and the Go frames are ours; line numbers inside libc, the
# cgo wrappers and Go's runtime are the toolchain's, so only names there
strip_lines() { sed -E '/^(malloc|_cgo_|runtime\.|main\._Cfunc_)/ s/ \(.*//' "$1"; }
check cgo-stack diff -u <(strip_lines "$OUT/stack.want") <(strip_lines "$OUT/stack")

# the heap profile, read by go tool pprof and our decoder
go tool pprof -tagfocus=leak_kind=definite -top -unit=B "$OUT/cgo.pb.gz" >"$OUT/top" 2>/dev/null
check cgo-pprof-top sh -c "grep -q 'Showing nodes accounting for 3702B,' '$OUT/top' &&
	grep -qE '^ +3702B +[0-9.]+% +[0-9.]+% +3702B +[0-9.]+% +c_make_buffer$' '$OUT/top'"
go tool pprof -tagfocus=leak_kind=definite -traces "$OUT/cgo.pb.gz" >"$OUT/traces" 2>/dev/null
awk '/leak_kind:  definite/ { on = 1; next } on && /^-+\+/ { exit }
	on { print $NF }' "$OUT/traces" | sed -E 's/^(_cgo_)[0-9a-f]+_/\1X_/' >"$OUT/traces.frames"
check cgo-pprof-traces diff -u - "$OUT/traces.frames" <<'EOF'
c_make_buffer
c_leak
_cgo_X_Cfunc_c_leak
runtime.asmcgocall
main._Cfunc_c_leak
main.goLeak
main.leaks.func1
runtime.goexit
EOF
$DECODE "$OUT/cgo.pb.gz" >"$OUT/decoded"
check cgo-decode grep -qP '^definite\tc_make_buffer;c_leak;_cgo_[0-9a-f]+_Cfunc_c_leak;runtime\.asmcgocall;main\._Cfunc_c_leak;main\.goLeak;main\.leaks\.func1;runtime\.goexit\t3\t3702$' "$OUT/decoded"

# A clean program: glibc's memory for Go's threads (their DTVs) is no
# error, so --error-exitcode=9 leaves the status 0 (it was 9: "possibly
# lost" DTVs in every Go program).
CLEAN=build/testprogs/cgo-clean
rm -f "$CLEAN"
(cd testprogs/cgo && GOCACHE="$PWD/../../build/gocache" GO111MODULE=off \
	GOFLAGS= CGO_ENABLED=1 go build -o "../../$CLEAN" cgo-clean.go) >"$OUT/build-clean.log" 2>&1
timeout 120 "$LC" --error-exitcode=9 "$CLEAN" >"$OUT/clean.out" 2>"$OUT/clean.err"
rc=$?
check cgo-clean-status sh -c "test $rc = 0 && grep -qx 'clean 800' '$OUT/clean.out'"
check cgo-clean-summary sh -c "grep -q 'definitely lost: 0 bytes in 0 blocks' '$OUT/clean.err' &&
	grep -q 'possibly lost: 0 bytes in 0 blocks' '$OUT/clean.err' &&
	grep -q 'indirectly lost: 0 bytes in 0 blocks' '$OUT/clean.err'"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
