#!/bin/bash
# --pid on a heap corrupted on purpose: each testprogs/heap-corrupt-*
# program damages glibc's heap in one way and waits (heap-unused and
# heap-prefork are heaps that are not corrupt: no warning).  leakcheck attaches
# with --once and must: exit 0 (no crash; no hang: a generous timeout
# fails the test), print exactly one warning line that says what is wrong
# (the program says what to expect on its stdout, see
# testprogs/heap-corrupt.h), still find what lies before the damage, and
# leave the program as it was: it verifies itself at SIGTERM and exits 0.
# With build/debug/leakcheck present (ASan/UBSan, made by check-dogfood)
# every walk runs under it too, and any report of it fails the test.
# Prints one line per test and "N passed, N failed".
# Exit: 0 all passed, 1 some failed, 77 ptrace not permitted, 99 harness.
cd "$(dirname "$0")/.." || exit 99
LC=${LEAKCHECK:-./leakcheck}
ASAN_LC=${LEAKCHECK_ASAN:-build/debug/leakcheck}
OUT=build/heapwalk-out
TP=build/testprogs
LIMIT=${LIMIT:-120} # seconds; only ever hit by a hang
rm -rf "$OUT"
mkdir -p "$OUT" || exit 99
pass=0
fail=0
ok() { pass=$((pass + 1)); printf 'PASS %s\n' "$1"; }
ko() { fail=$((fail + 1)); printf 'FAIL %s: %s\n' "$1" "$2"; }

# one NAME LEAKCHECK: the whole check of testprog NAME under LEAKCHECK
one() {
	local name=$1 lc=$2 tag=$1${3:-} o=$OUT/$1${3:-} pid rc i why=
	rm -f "$o".ready
	"$TP/$name" "$o.ready" >"$o.prog" 2>&1 &
	pid=$!
	for i in $(seq 200); do
		[ -s "$o.ready" ] && break
		sleep 0.05
	done
	[ -s "$o.ready" ] || { ko "$tag" "program did not start: $(cat "$o.prog")"; kill -9 "$pid"; return; }
	# the process to attach to is the one that wrote the ready file (a
	# forked worker, for heap-prefork); PID is the one to stop at the end
	timeout -k 5 "$LIMIT" "$lc" --pid "$(head -1 "$o.ready")" --once --leak-check=full \
		--log-file="$o.log" 2>"$o.err"
	rc=$?
	if [ $rc = 124 ] || [ $rc = 137 ]; then
		why="leakcheck hung (killed after ${LIMIT}s)"
	elif [ $rc = 77 ] || grep -q "not permitted\|ptrace_scope" "$o.err"; then
		kill -9 "$pid"
		echo "0 passed, 0 failed, all skipped: $(head -1 "$o.err")"
		exit 77
	elif [ $rc != 0 ]; then
		why="leakcheck exit $rc: $(head -3 "$o.err" | tr '\n' ' ')"
	elif grep -q "AddressSanitizer\|LeakSanitizer\|runtime error" "$o.err"; then
		why="sanitizer report: $(grep -m1 "Sanitizer\|runtime error" "$o.err")"
	fi
	# the warnings: exactly one, holding every expected piece
	if [ -z "$why" ]; then
		local nwarn want line
		nwarn=$(grep -c "warning:" "$o.err")
		line=$(grep -m1 "warning:" "$o.err")
		if grep -qx "warning: none" "$o.prog"; then
			[ "$nwarn" = 0 ] || why="unexpected warning: $line"
		elif [ "$nwarn" != 1 ]; then
			why="$nwarn warning lines, expected 1: $(grep "warning:" "$o.err" | tr '\n' ' ')"
		else
			while IFS= read -r want; do
				case $line in
				*"$want"*) ;;
				*) why="warning [$line] lacks [$want]"; break ;;
				esac
			done < <(sed -n 's/^warning: //p' "$o.prog")
		fi
	fi
	if [ -z "$why" ]; then
		while IFS= read -r want; do
			grep -qF -- "$want" "$o.log" || { why="report lacks [$want]"; break; }
		done < <(sed -n 's/^lost: //p' "$o.prog")
	fi
	# the program: alive, unchanged, exits 0 after checking itself
	if ! kill -0 "$pid" 2>/dev/null; then
		[ -n "$why" ] || why="program died"
	fi
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	rc=$?
	if [ -z "$why" ] && { [ $rc != 0 ] || ! grep -q "^heap-corrupt: ok" "$o.prog"; }; then
		why="program exit $rc: $(grep '^heap-corrupt:' "$o.prog" | head -2 | tr '\n' ' ')"
	fi
	if [ -n "$why" ]; then ko "$tag" "$why"; else ok "$tag"; fi
}

found=0
for src in testprogs/heap-corrupt-*.c testprogs/heap-unused.c testprogs/heap-prefork.c; do
	name=$(basename "${src%.c}")
	[ -x "$TP/$name" ] || { ko "$name" "not built: make testprogs"; continue; }
	found=1
	one "$name" "$LC"
	[ -x "$ASAN_LC" ] && one "$name" "$ASAN_LC" -asan
done
[ $found = 1 ] || exit 99

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
