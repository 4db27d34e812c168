#!/bin/bash
# Checks the testprogs' expectations against valgrind memcheck: runs every
# testprog that has EXPECT lines and no SKIP-VALGRIND line under
#
#   valgrind --leak-check=full --show-leak-kinds=all --run-libc-freeres=no
#            --run-cxx-freeres=no --child-silent-after-fork=no
#
# (plus --trace-children=yes when the test's OPTS line has it, and the
# test's VG-FLAGS line), and compares valgrind's LEAK SUMMARY of each
# process (definite/indirect/possible/reachable bytes and blocks) with the
# EXPECT lines, and valgrind's exit status with EXPECT-STATUS.  The
# EXPECT lines are what leakcheck must print, so they and valgrind must
# agree, or the test carries SKIP-VALGRIND with the reason.
#
# Usage: tests/valgrind-compare.sh [NAME...]
#   VG_EXTRA="--leak-check-heuristics=none" adds valgrind options to every run.
# Prints one line per test and "N passed, N failed".
# Exit: 0 all passed, 1 some failed, 77 no valgrind, 99 harness failure.
#
# Source lines read (see tests/run.sh):
#   EXPECT: definite=B/N indirect=B/N possible=B/N reachable=B/N
#   EXPECT-STATUS: N      OPTS: ...      ARGS: ...      SKIP-VALGRIND: why
#   VG-FLAGS: ...         extra valgrind options (e.g. for a static program)
cd "$(dirname "$0")/.." || exit 99
VALGRIND=${VALGRIND:-valgrind}
TP=build/testprogs
OUT=build/vg-out
command -v "$VALGRIND" >/dev/null || {
	echo "0 passed, 0 failed, all skipped: no valgrind"
	exit 77
}
make -s testprogs >/dev/null || {
	echo "cannot build the testprogs" >&2
	exit 99
}
mkdir -p "$OUT" || exit 99
# A program that dies of SIGSEGV/SIGABRT must not leave vgcore files.
ulimit -c 0
pass=0
fail=0
skip=0

ok() { pass=$((pass + 1)); printf 'PASS %s\n' "$1"; }
ko() { fail=$((fail + 1)); printf 'FAIL %s: %s\n' "$1" "$2"; }

# Summaries in the valgrind logs $@ as "definite=B/N indirect=... ", one
# line per process that reported, sorted (the same parse as tests/run.sh).
summaries() {
	for f in "$@"; do
		[ -e "$f" ] || continue
		awk '
		function num(s) { gsub(",", "", s); return s }
		/All heap blocks were freed/ { d="0/0"; i="0/0"; p="0/0"; r="0/0"; got=1 }
		/definitely lost: [0-9,]+ bytes in/ { d=num($(NF-4)) "/" num($(NF-1)); got=1 }
		/indirectly lost: [0-9,]+ bytes in/ { i=num($(NF-4)) "/" num($(NF-1)) }
		/possibly lost: [0-9,]+ bytes in/ { p=num($(NF-4)) "/" num($(NF-1)) }
		/still reachable: [0-9,]+ bytes in/ { r=num($(NF-4)) "/" num($(NF-1)) }
		END { if (got) printf "definite=%s indirect=%s possible=%s reachable=%s\n", d, i, p, r }
		' "$f"
	done | sort
}

run_prog() {
	local src=$1 name bin want status opts args vgflags got rc
	name=$(basename "${src%.*}")
	bin=$TP/$name
	grep -q 'EXPECT:' "$src" || return
	if grep -q 'SKIP-VALGRIND:' "$src"; then
		skip=$((skip + 1))
		printf 'SKIP %s: %s\n' "$name" "$(sed -n 's/.*SKIP-VALGRIND: *//p' "$src" | head -1)"
		return
	fi
	[ -x "$bin" ] || { ko "$name" "not built"; return; }
	want=$(sed -n 's/.*EXPECT: *//p' "$src" | sort)
	status=$(sed -n 's/.*EXPECT-STATUS: *\([0-9]*\).*/\1/p' "$src" | head -1)
	status=${status:-0}
	opts=$(sed -n 's/.*OPTS: *//p' "$src" | head -1)
	args=$(sed -n 's/.*ARGS: *//p' "$src" | head -1)
	vgflags=$(sed -n 's/.*VG-FLAGS: *//p' "$src" | head -1)
	case " $opts " in
	*" --trace-children=yes "*) vgflags="--trace-children=yes $vgflags" ;;
	esac
	rm -f "$OUT/$name".*
	# shellcheck disable=SC2086
	(cd "$TP" && "$VALGRIND" --leak-check=full --show-leak-kinds=all \
		--run-libc-freeres=no --run-cxx-freeres=no \
		--child-silent-after-fork=no $vgflags ${VG_EXTRA:-} \
		--log-file="../../$OUT/$name.%p" "./$name" $args
	# not the subshell's last command, so that a killed valgrind is
	# reported by the subshell, into the stderr file, not by this shell
	exit $?) \
		>"$OUT/$name.stdout" 2>"$OUT/$name.stderr" </dev/null
	rc=$?
	got=$(summaries "$OUT/$name".[0-9]*)
	if [ "$rc" != "$status" ]; then
		ko "$name" "exit status $rc, expected $status"
	elif [ "$got" != "$want" ]; then
		ko "$name" "valgrind [$(echo "$got" | paste -sd ';')] expected [$(echo "$want" | paste -sd ';')]"
	else
		ok "$name"
	fi
}

if [ $# -gt 0 ]; then
	for name in "$@"; do
		for src in "testprogs/$name.c" "testprogs/$name.cc"; do
			[ -e "$src" ] && run_prog "$src"
		done
	done
else
	for src in testprogs/*.c testprogs/*.cc; do
		[ -e "$src" ] && run_prog "$src"
	done
fi

if [ "$skip" = 0 ]; then
	echo "$pass passed, $fail failed"
else
	echo "$pass passed, $fail failed ($skip skipped)"
fi
[ "$fail" = 0 ]
