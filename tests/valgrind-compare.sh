#!/bin/bash
# Checks the testprogs' expectations against valgrind memcheck, the
# oracle: runs every testprog that has EXPECT lines and no SKIP-VALGRIND
# line, in every build variant (gcc and clang, -O0 and -O2), under
# valgrind with its default options plus
#
#   valgrind --leak-check=full --show-leak-kinds=all --child-silent-after-fork=no
#
# (plus --trace-children=yes and --suppressions=FILE when the test's OPTS
# line has them, and the test's VG-FLAGS line) -- so __libc_freeres and
# libstdc++'s freeres run at exit, as they do for every valgrind user --
# and compares, for each process, valgrind's LEAK SUMMARY (definitely,
# indirectly, possibly lost and still reachable, bytes and blocks) with
# the EXPECT lines, its loss records with the EXPECT-STACK lines,
# valgrind's exit status with EXPECT-STATUS, and the program's stdout under
# valgrind with its stdout under leakcheck, and valgrind's "total heap
# usage" lines (allocs, frees, bytes) with leakcheck's, with the fast
# path and with --fast-path=no.  The EXPECT lines are what
# leakcheck must print, so they and valgrind must agree, except where the
# source says why not:
#
#   VG-EXPECT: ...     valgrind's exact answer, compared instead of EXPECT
#   VG-EXPECT-STACK: . valgrind's stacks, checked instead of EXPECT-STACK
#   VG-DIFFERS: why    required with either
#   VG-HEAP-DIFFERS: why   the heap usage lines differ, and why
#   SKIP-VALGRIND: why valgrind cannot run the test at all
#
# (each also as KEY[VARIANT,...]: for some variants only; see tests/run.sh
# and tests/expect.sh).
#
# Usage: tests/valgrind-compare.sh [NAME...]
#   VARIANTS="gcc-O0 clang-O2"   only these build variants
#   VG_EXTRA="--leak-check-heuristics=none" adds valgrind options to every run.
# Prints one line per test and variant and "N passed, N failed".
# Exit: 0 all passed, 1 some failed, 77 no valgrind, 99 harness failure.
cd "$(dirname "$0")/.." || exit 99
. tests/expect.sh || exit 99
VALGRIND=${VALGRIND:-valgrind}
LC=${LEAKCHECK:-./leakcheck}
case $LC in /*) ;; *) LC=$PWD/$LC ;; esac
ROOT=$PWD
OUT=build/vg-out
command -v "$VALGRIND" >/dev/null || {
	echo "0 passed, 0 failed, all skipped: no valgrind"
	exit 77
}
make -s leakcheck testprogs >/dev/null || {
	echo "cannot build leakcheck and the testprogs" >&2
	exit 99
}
for v in $(tp_variants); do
	tp_known_variant "$v" || { echo "valgrind-compare.sh: no variant $v (there are: $TP_ALL_VARIANTS)" >&2; exit 99; }
done
mkdir -p "$OUT" || exit 99
# A program that dies of SIGSEGV/SIGABRT must not leave vgcore files.
ulimit -c 0
pass=0
fail=0
skip=0

ok() { pass=$((pass + 1)); printf 'PASS %s\n' "$1"; }
ko() { fail=$((fail + 1)); printf 'FAIL %s: %s\n' "$1" "$2"; }

# run_prog SRC VARIANT
# heap_usage FILES...: the "total heap usage" lines (allocs, frees,
# bytes) of the reports, one per process, sorted
heap_usage() {
	for f in "$@"; do
		[ -e "$f" ] && sed -n 's/.*total heap usage: //p' "$f"
	done | sort
}

run_prog() {
	local src=$1 v=$2 name t dir out bin want status opts args vgflags stacks got rc miss bad why o
	name=$(basename "${src%.*}")
	t="$name [$v]"
	dir=$(tp_dir "$v")
	out=$OUT/$v
	bin=$dir/$name
	why=$(tp_lines "$src" SKIP-VALGRIND "$v" | head -1)
	if [ -n "$why" ]; then
		skip=$((skip + 1))
		printf 'SKIP %s: %s\n' "$t" "$why"
		return
	fi
	bad=$(tp_bad_variants "$src")
	[ -z "$bad" ] || { ko "$t" "no variant is named $(echo $bad) (KEY[...] lines)"; return; }
	[ -x "$bin" ] || { ko "$t" "not built"; return; }
	want=$(tp_lines "$src" VG-EXPECT "$v" | sort)
	stacks=$(tp_lines "$src" VG-EXPECT-STACK "$v")
	if [ -n "$want$stacks" ] && [ -z "$(tp_lines "$src" VG-DIFFERS "$v")" ]; then
		ko "$t" "VG-EXPECT without VG-DIFFERS: say why valgrind's answer is not leakcheck's"
		return
	fi
	[ -n "$want" ] || want=$(tp_lines "$src" EXPECT "$v" | sort)
	[ -n "$stacks" ] || stacks=$(tp_lines "$src" EXPECT-STACK "$v")
	status=$(tp_lines "$src" EXPECT-STATUS "$v" | head -1)
	status=${status:-0}
	opts=$(tp_lines "$src" OPTS "$v" | head -1)
	args=$(tp_lines "$src" ARGS "$v" | head -1)
	vgflags=$(tp_lines "$src" VG-FLAGS "$v" | head -1)
	# the options of the test that valgrind has too
	for o in $opts; do
		case $o in
		--trace-children=yes | --suppressions=*) vgflags="$o $vgflags" ;;
		esac
	done
	mkdir -p "$out"
	rm -f "$out/$name".*
	# shellcheck disable=SC2086
	(cd "$dir" && "$VALGRIND" --leak-check=full --show-leak-kinds=all \
		--child-silent-after-fork=no $vgflags ${VG_EXTRA:-} \
		--log-file="$ROOT/$out/$name.%p" "./$name" $args
	# not the subshell's last command, so that a killed valgrind is
	# reported by the subshell, into the stderr file, not by this shell
	exit $?) \
		>"$out/$name.stdout" 2>"$out/$name.stderr" </dev/null
	rc=$?
	# the same program's stdout under leakcheck, with the test's options,
	# and its heap usage lines with the fast path and without
	# shellcheck disable=SC2086
	{ (cd "$dir" && exec "$LC" -q --log-file="$ROOT/$out/$name.lc.%p" $opts "./$name" $args) \
		>"$out/$name.lc-stdout" 2>/dev/null </dev/null; } 2>/dev/null
	# shellcheck disable=SC2086
	{ (cd "$dir" && exec "$LC" -q --fast-path=no --log-file="$ROOT/$out/$name.lcslow.%p" $opts "./$name" $args) \
		>/dev/null 2>&1 </dev/null; } 2>/dev/null
	heap_differs=$(tp_lines "$src" VG-HEAP-DIFFERS "$v" | head -1)
	vgu=$(heap_usage "$out/$name".[0-9]*)
	lcu=$(heap_usage "$out/$name".lc.[0-9]*)
	slu=$(heap_usage "$out/$name".lcslow.[0-9]*)
	got=$(got_summaries "$want" "$out/$name".[0-9]*)
	if [ "$rc" != "$status" ]; then
		ko "$t" "exit status $rc, expected $status"
	elif [ "$got" != "$want" ]; then
		ko "$t" "valgrind [$(echo "$got" | paste -sd ';')] expected [$(echo "$want" | paste -sd ';')]"
	elif miss=$(stack_verdict "$stacks" "$out/$name".[0-9]*) && [ -n "$miss" ]; then
		ko "$t" "valgrind has $miss"
	elif [ -z "$heap_differs" ] && { [ "$vgu" != "$lcu" ] || [ "$vgu" != "$slu" ]; }; then
		ko "$t" "heap usage: valgrind [$(echo $vgu)] leakcheck [$(echo $lcu)] --fast-path=no [$(echo $slu)]"
	elif ! cmp -s "$out/$name.stdout" "$out/$name.lc-stdout"; then
		ko "$t" "stdout under valgrind and under leakcheck differ: $(diff "$out/$name.stdout" "$out/$name.lc-stdout" | head -3 | paste -sd ' ')"
	else
		ok "$t"
	fi
}

if [ $# -gt 0 ]; then
	srcs=
	for name in "$@"; do
		for src in "testprogs/$name.c" "testprogs/$name.cc"; do
			[ -e "$src" ] && srcs="$srcs $src"
		done
	done
else
	srcs=$(echo testprogs/*.c testprogs/*.cc)
fi
for src in $srcs; do
	[ -e "$src" ] || continue
	tp_has "$src" EXPECT || continue
	for v in $(tp_variants); do
		run_prog "$src" "$v"
	done
done

if [ "$skip" = 0 ]; then
	echo "$pass passed, $fail failed"
else
	echo "$pass passed, $fail failed ($skip skipped)"
fi
[ "$fail" = 0 ]
