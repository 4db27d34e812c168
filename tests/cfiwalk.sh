#!/bin/bash
# The compact unwind tables' walker (src/unwind/walk.c) against libunwind,
# call by call, in two places.  With LEAKCHECK_TEST_CFIWALK set, leakcheck
#  - walks every stack it unwinds a second time with the tables
#    (src/unwind/cfitab.c), on the same bytes, and counts what --stats
#    prints as "cfiwalk: N walks compared ... D differ";
#  - has the fast path's recorder in the program copy the stack after
#    its own walk (fastwalk.c in fast.S, --unwind-in-program), unwinds
#    the copy with libunwind and compares: "walk in the program: N
#    compared with libunwind on a copy, D differ" (a prefix where the
#    copy ran out).  A walk that describes the whole stack must
# give libunwind's stack exactly; one that stops at a frame the tables
# cannot describe (a signal frame, code without CFI) must give a prefix
# of it, ending at that frame; where libunwind had no CFI and guessed by
# the frame pointer (a static executable: libunwind needs .eh_frame_hdr,
# which static links lack) the frames up to that one must agree.
#
# Programs: every testprog with EXPECT lines, in every build variant (-O0
# and -O2 code of gcc and clang), with none that differ.  Among them,
# those in NEED (C++ with exceptions, a signal handler, a coroutine and a
# sigaltstack, a dlopen'ed and a dlclose'd library, a static executable,
# threads, fork and exec) must have walks compared; the signal
# handler's must include a walk that stops at the signal frame; every
# variant must have walks that gave whole stacks.
#
# Also: walk.o needs no symbol (freestanding: it is to run in the traced
# program).
# Exit: 0 all passed, 1 some failed, 77 ptrace not permitted here.
cd "$(dirname "$0")/.." || exit 99
. tests/expect.sh || exit 99
LC=${LEAKCHECK:-./leakcheck}
case $LC in /*) ;; *) LC=$PWD/$LC ;; esac
OUT=build/cfiwalk-out
mkdir -p "$OUT"
pass=0
fail=0
ok() { pass=$((pass + 1)); printf 'PASS %s\n' "$1"; }
ko() { fail=$((fail + 1)); printf 'FAIL %s: %s\n' "$1" "$2"; }

NEED=" direct-leak indirect-tree definite-exit-deep cxx-new-delete
indirect-cxx-members clean-cxx-exceptions definite-cxx-exception
definite-signal-handler other-stacks dlopen-leak dlclose-leak static-leak
definite-threads-joined fork-both exec-self "

skip_without_ptrace

for o in build/release/src/unwind/walk.o build/debug/src/unwind/walk.o; do
	[ -e "$o" ] || continue
	case $o in */debug/*) continue ;; esac # ASan's calls
	und=$(nm -u "$o" | awk '{ print $2 }' | paste -sd ' ')
	if [ -n "$und" ]; then ko "freestanding $o" "needs: $und"; else ok "freestanding $o"; fi
done

# field N of the stats line in FILE: walks whole fallback nocfi differ
cfi_field() {
	sed -n 's/.*cfiwalk: \([0-9]*\) walks compared with libunwind, \([0-9]*\) whole, \([0-9]*\) to a fallback frame, \([0-9]*\) where libunwind had no CFI, \([0-9]*\) differ.*/\1 \2 \3 \4 \5/p' "$2" |
		awk -v f="$1" '{ s += $f } END { print s + 0 }'
}

for v in $(tp_variants); do
	dir=$(tp_dir "$v")
	whole=0
	inprog_all=0
	for src in testprogs/*.c testprogs/*.cc; do
		tp_has "$src" EXPECT || continue
		name=$(basename "${src%.*}")
		t="$name [$v]"
		[ -x "$dir/$name" ] || { ko "$t" "not built"; continue; }
		args=$(tp_lines "$src" ARGS "$v" | head -1)
		log=$OUT/$v-$name.log
		# shellcheck disable=SC2086
		# (the braces keep bash's "Aborted" notices out: abort, segv)
		{ (cd "$dir" && LEAKCHECK_TEST_CFIWALK=1 exec timeout -k 5 600 \
			"$LC" --stats --leak-check=no --log-file=/dev/null --unwind-in-program=yes \
			"./$name" $args) >/dev/null 2>"$log" </dev/null; } 2>/dev/null
		walks=$(cfi_field 1 "$log")
		differ=$(cfi_field 5 "$log")
		fallback=$(cfi_field 3 "$log")
		whole=$((whole + $(cfi_field 2 "$log")))
		read -r inprog indiffer <<<"$(sed -n 's/.*walk in the program: \([0-9]*\) compared with libunwind on a copy, \([0-9]*\) differ.*/\1 \2/p' "$log" |
			awk '{ a += $1; b += $2 } END { print a + 0, b + 0 }')"
		inprog_all=$((inprog_all + inprog))
		if [ "$walks" = 0 ] && [[ $NEED = *" $name "* ]]; then
			ko "$t" "no walk compared ($(head -c 300 "$log"))"
		elif [ "$differ" != 0 ]; then
			ko "$t" "$differ of $walks walks differ: $(grep -m1 'cfiwalk: pid' "$log")"
		elif [ "$indiffer" != 0 ]; then
			ko "$t" "$indiffer of $inprog walks in the program differ: $(grep -m1 'cfiwalk: pid' "$log")"
		elif [ "$name" = definite-signal-handler ] && [ "$fallback" = 0 ]; then
			ko "$t" "no walk stopped at the signal frame"
		else
			ok "$t"
		fi
	done
	if [ "$whole" = 0 ]; then ko "whole stacks [$v]" "no walk gave a whole stack"; else ok "whole stacks [$v]"; fi
	if [ "$inprog_all" = 0 ]; then ko "walks in the program [$v]" "none compared"; else ok "walks in the program [$v]"; fi
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
