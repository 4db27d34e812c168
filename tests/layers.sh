#!/bin/sh
# layers.sh: the layers of src/ call down only (README "Hacking").
#
#   cli -> tracer (and core, at its level) -> alloc -> bp -> ptrace, and
#   all of them may use the
#   libraries (heap, stack, unwind, sym, scan, report, util, arch), which
#   call none of those five.
#
# For every object of a folder, each undefined symbol is looked up among
# the symbols the other folders' objects define; a symbol defined in a
# higher layer (or, from a library, in any of the five) is an upward call
# and fails the test, naming caller file, symbol and callee folder.  A
# handler table (bp_events, task_set_dispatch) is how a lower layer calls
# up: a pointer, not a name, so nm does not see it.
#
# Usage: tests/layers.sh [BUILD]   (BUILD defaults to build/release)
set -u
BUILD=${1:-build/release}
cd "$(dirname "$0")/.." || exit 99
[ -d "$BUILD/src" ] || { echo "layers.sh: no $BUILD/src: run make first" >&2; exit 99; }
command -v nm >/dev/null || { echo "layers.sh: no nm" >&2; exit 99; }

rank() {
	case $1 in
	ptrace) echo 1 ;; bp) echo 2 ;; alloc) echo 3 ;; tracer|core) echo 4 ;;
	cli) echo 5 ;; *) echo 0 ;;
	esac
}

tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT

# symbol -> folder, for every global definition in src/
# (objects of today's sources only: a build dir may hold moved files' old ones)
objs() {
	for c in src/*/*.c src/arch/*/*.c src/arch/*/*.S; do
		[ -f "$c" ] && echo "$BUILD/${c%.*}.o"
	done
}
for o in $(objs); do
	[ -f "$o" ] || { echo "layers.sh: no $o: run make first" >&2; exit 99; }
	dir=${o#"$BUILD"/src/}
	dir=${dir%%/*}
	nm --defined-only "$o" | awk -v d="$dir" '$2 ~ /^[TDBRVW]$/ { print $3, d }'
done | sort -u >"$tmp/defs"

# every "caller-file symbol caller-folder" edge
for o in $(objs); do
	rel=${o#"$BUILD"/}
	dir=${rel#src/}
	dir=${dir%%/*}
	nm -u "$o" | awk -v f="${rel%.o}.c" -v d="$dir" '{ print $2, f, d }'
done | sort >"$tmp/uses"

join "$tmp/uses" "$tmp/defs" >"$tmp/edges"
nedges=$(wc -l <"$tmp/edges")
bad=0
while read -r sym file from to; do
	[ "$from" = "$to" ] && continue
	rf=$(rank "$from")
	rt=$(rank "$to")
	if { [ "$rf" = 0 ] && [ "$rt" != 0 ]; } || [ "$rt" -gt "$rf" ]; then
		echo "FAIL layers: $file calls $sym, defined in src/$to/ (a higher layer)"
		bad=$((bad + 1))
	fi
done <"$tmp/edges"

# the test itself must see the calls it judges
if [ "$nedges" -lt 100 ]; then
	echo "FAIL layers: only $nedges cross-file calls found: nm output not understood"
	exit 1
fi
if [ "$bad" -gt 0 ]; then
	echo "layers: $bad upward calls"
	exit 1
fi
echo "PASS layers ($nedges calls between files, none upward)"
