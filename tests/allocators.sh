#!/bin/bash
# The testprogs under other allocators: Debian's jemalloc (libjemalloc2),
# tcmalloc (libgoogle-perftools4) and mimalloc (libmimalloc2.0), each
# preloaded (leakcheck --trace-children=yes env LD_PRELOAD=LIB ./PROG: the
# preload reaches the program, not leakcheck).  A program classifies the
# same whatever malloc it runs on: each must give the summary and the
# stacks its EXPECT and EXPECT-STACK lines give under glibc, with
# leakcheck's default suppressions on (they take tcmalloc's own startup
# blocks), unless its source says why not, for some allocators:
#   ALLOC-EXTRA[ALLOC,...]: KIND=B/N ... (why)  added to the summary EXPECT
#       gives (KIND: definite, indirect, possible, reachable, suppressed),
#       where the program itself has more there (a larger DTV when the
#       allocator brings a module with TLS; libstdc++'s emergency pool
#       when the allocator loads libstdc++ and the program dies before
#       freeres; tcmalloc's own blocks, suppressed by default)
#   ALLOC-LOST[ALLOC,...]: B/N (why)  only definite + indirect is B/N, the
#       rest as EXPECT says: blocks the program leaves unwritten keep the
#       words the allocator left in them, and those can point at other
#       lost blocks, which makes them indirectly lost (valgrind's own
#       allocator leaves no such words, and it reads only defined memory)
#   ALLOC-SKIP[ALLOC,...]: why    not run under those allocators
# ALLOC is jemalloc, tcmalloc or mimalloc (shell patterns: * for all; a
# name that matches none of them fails the program's tests).
# Programs with a LIBS: line choose their allocator already, and are not
# run here.  An allocator that is not installed is skipped, said once.
# Prints one line per test (program, allocator, variant) and
# "N passed, N failed".
# Exit: 0 all passed, 1 some failed, 77 ptrace not permitted, 99 harness.
#
# Usage: tests/allocators.sh [NAME]   only the testprog NAME
#   ALLOCATORS="jemalloc"  VARIANTS="gcc-O0"   restrict
cd "$(dirname "$0")/.." || exit 99
. tests/expect.sh || exit 99
LC=${LEAKCHECK:-./leakcheck}
ROOT=$PWD
case $LC in /*) ;; *) LC=$PWD/$LC ;; esac
OUT=build/alloc-out
LIBDIR=/usr/lib/x86_64-linux-gnu
rm -rf "$OUT"
mkdir -p "$OUT" || exit 99
pass=0
fail=0
only=${1:-}
ok() { pass=$((pass + 1)); printf 'PASS %s\n' "$1"; }
ko() { fail=$((fail + 1)); printf 'FAIL %s: %s\n' "$1" "$2"; }

# the library of each allocator, from its Debian package
lib_of() {
	case $1 in
	jemalloc) echo "$LIBDIR/libjemalloc.so.2" ;;
	tcmalloc) echo "$LIBDIR/libtcmalloc.so.4" ;;
	mimalloc) echo "$LIBDIR/libmimalloc.so.2" ;;
	esac
}

# a testprog's ALLOC-* line for ALLOC: tp_lines, with the allocator as
# the "variant" (only bracketed lines apply)
alloc_line() { tp_lines "$1" "$2" "$3" | head -1; }

# add_extra EXTRA: the summary lines on stdin, each with EXTRA's
# "KIND=B/N" counts added
add_extra() {
	awk -v extra="$1" 'BEGIN {
		n = split(extra, e, " ")
		for (i = 1; i <= n; i++) { split(e[i], kv, "="); split(kv[2], c, "/"); xb[kv[1]] = c[1]; xn[kv[1]] = c[2] }
	}
	{
		out = ""
		for (i = 1; i <= NF; i++) {
			split($i, kv, "="); split(kv[2], c, "/")
			out = out (i > 1 ? " " : "") kv[1] "=" c[1] + xb[kv[1]] "/" c[2] + xn[kv[1]]
		}
		print out
	}'
}

# add_lost SUMMARY: "lost=B/N possible=... reachable=..." from a summary
# line (definite and indirect summed)
add_lost() {
	awk '{
		split($1, d, "[=/]"); split($2, i, "[=/]")
		printf "lost=%d/%d %s %s\n", d[2] + i[2], d[3] + i[3], $3, $4
	}'
}

# run_prog SRC ALLOC VARIANT
run_prog() {
	local src=$1 a=$2 v=$3 name t dir out bin want lost skip opts args stacks full got rc miss status extra bad
	name=$(basename "${src%.*}")
	t="$name [$a $v]"
	bad=$(tp_unknown_names "$src" ALLOC "jemalloc tcmalloc mimalloc")
	[ -z "$bad" ] || { ko "$t" "no allocator is named $(echo $bad) (ALLOC-*[...] lines)"; return; }
	skip=$(alloc_line "$src" ALLOC-SKIP "$a")
	[ -n "$skip" ] && return
	dir=$(tp_dir "$v")
	out=$OUT/$a-$v
	bin=$dir/$name
	[ -x "$bin" ] || { ko "$t" "not built"; return; }
	want=$(tp_lines "$src" EXPECT "$v" | sort)
	extra=$(alloc_line "$src" ALLOC-EXTRA "$a")
	extra=${extra%% (*} # the counts, not the reason after them
	case $extra:$want in
	*suppressed=*:*suppressed=*) ;;
	*suppressed=*:*) want=$(echo "$want" | sed 's|$| suppressed=0/0|') ;;
	esac
	[ -z "$extra" ] || want=$(echo "$want" | add_extra "$extra" | sort)
	lost=$(alloc_line "$src" ALLOC-LOST "$a")
	lost=${lost%% *}
	status=$(tp_lines "$src" EXPECT-STATUS "$v" | head -1)
	opts=$(tp_lines "$src" OPTS "$v" | head -1)
	args=$(tp_lines "$src" ARGS "$v" | head -1)
	stacks=$(tp_lines "$src" EXPECT-STACK "$v")
	full=
	[ -n "$stacks" ] && full="--leak-check=full --show-leak-kinds=all"
	mkdir -p "$out"
	# shellcheck disable=SC2086
	{
		(cd "$dir" && exec timeout -k 5 "${HANG_LIMIT:-600}" "$LC" --trace-children=yes \
			--log-file="$ROOT/$out/$name.%p" $full $opts \
			env LD_PRELOAD="$(lib_of "$a")" "./$name" $args) \
			>"$out/$name.stdout" 2>"$out/$name.stderr" </dev/null
		rc=$?
	} 2>/dev/null
	got=$(got_summaries "$want" "$out/$name".[0-9]*)
	if [ -n "$lost" ]; then
		got=$(echo "$got" | add_lost)
		want=$(echo "$want" | sed "s|definite=[0-9]*/[0-9]* indirect=[0-9]*/[0-9]*|lost=$lost|")
	fi
	if [ "$rc" != "${status:-0}" ]; then
		ko "$t" "exit status $rc, expected ${status:-0} ($(head -c 300 "$out/$name.stderr"))"
	elif [ "$got" != "$want" ]; then
		ko "$t" "got [$(echo $got)] expected [$(echo $want)]"
	elif [ -z "$lost" ] && miss=$(stack_verdict "$stacks" "$out/$name".[0-9]*) && [ -n "$miss" ]; then
		ko "$t" "$miss"
	else
		ok "$t"
	fi
}

skip_without_ptrace

allocs=
for a in ${ALLOCATORS:-jemalloc tcmalloc mimalloc}; do
	if [ -e "$(lib_of "$a")" ]; then
		allocs="$allocs $a"
	else
		echo "SKIP $a: $(lib_of "$a") is not installed (tests/deps.sh installs it)"
	fi
done
for src in testprogs/*.c testprogs/*.cc; do
	[ -e "$src" ] || continue
	[ -n "$only" ] && [ "$only" != "$(basename "${src%.*}")" ] && continue
	tp_has "$src" EXPECT || continue
	tp_has "$src" LIBS && continue
	for a in $allocs; do
		for v in ${VARIANTS:-gcc-O0 clang-O2}; do
			run_prog "$src" "$a" "$v"
		done
	done
done
# A prefixed jemalloc linked in statically (Rust's tikv-jemallocator's
# way): built once from the jemalloc source in Debian's
# librust-jemalloc-sys-dev (5.1.0), configured --with-jemalloc-prefix=_rjem_,
# into build/rjem (kept: about a minute of CPU); tests/static-rjem.c,
# linked against it, is found and classified by its EXPECT lines.
static_rjem() {
	local name=static-rjem src=tests/static-rjem.c d=build/rjem o=$OUT/static-rjem \
		crate=/usr/share/cargo/registry/jemalloc-sys-0.3.2 got want miss
	[ -n "$only" ] && [ "$only" != "$name" ] && return
	if [ ! -d "$crate/jemalloc" ]; then
		echo "SKIP $name: $crate is not installed (tests/deps.sh installs librust-jemalloc-sys-dev)"
		return
	fi
	if [ ! -e "$d/lib/libjemalloc.a" ]; then
		rm -rf "$d" && mkdir -p build && cp -r "$crate/jemalloc" "$d" &&
			cp "$crate/configure/configure" "$crate/configure/VERSION" "$d/" &&
			chmod +x "$d/configure" &&
			(cd "$d" && ./configure --with-jemalloc-prefix=_rjem_ --disable-cxx \
				--disable-shared --disable-stats --disable-doc &&
				make -j2 lib/libjemalloc.a) >"$OUT/rjem-build.log" 2>&1 ||
			{ ko "$name" "jemalloc did not build: $(tail -3 "$OUT/rjem-build.log" | paste -sd ' ')"; rm -rf "$d"; return; }
	fi
	gcc -O2 -g -o "$d/$name" "$src" "$d/lib/libjemalloc.a" -lpthread -ldl -lm 2>"$o.cc" ||
		{ ko "$name" "does not build: $(head -3 "$o.cc" | paste -sd ' ')"; return; }
	"$LC" --leak-check=full --show-leak-kinds=all --log-file="$o.%p" "$d/$name" \
		>/dev/null 2>"$o.stderr" </dev/null
	got=$(summaries "$o".[0-9]*)
	want=$(tp_lines "$src" EXPECT gcc-O2)
	if [ "$got" != "$want" ]; then
		ko "$name" "got [$got] expected [$want]"
	elif miss=$(stack_verdict "$(tp_lines "$src" EXPECT-STACK gcc-O2)" "$o".[0-9]*) && [ -n "$miss" ]; then
		ko "$name" "$miss"
	else
		ok "$name"
	fi
}
static_rjem

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
