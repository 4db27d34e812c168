#!/bin/bash
# Runs a few ordinary Debian programs under valgrind and under leakcheck
# (both --leak-check=full, otherwise their default options: glibc's and
# libstdc++'s freeres run at exit in both) and compares the "definitely
# lost" bytes/blocks of the two.  Prints a table, then "N passed, N failed"; equal numbers pass.  A
# program that is not installed is skipped.  Each workload is short: a few
# seconds under valgrind.
#
# Usage: tests/real-programs.sh [NAME...]
#   LEAKCHECK=path   the leakcheck to test (default ./leakcheck)
#   VALGRIND=path    the valgrind to compare with (default valgrind)
# Exit: 0 all passed, 1 some failed, 77 no valgrind, 99 harness failure.
#
# The programs run in a scratch directory with a small fixed environment
# (PATH, HOME in the scratch directory, LANG=C), so ~/.gitconfig and the
# caller's locale do not change what they allocate.  A run's number is the
# sum over every process that reported (forked children that exit report
# too; exec'd programs are not traced).
cd "$(dirname "$0")/.." || exit 99
ROOT=$PWD
LC=${LEAKCHECK:-$ROOT/leakcheck}
case $LC in /*) ;; *) LC=$ROOT/$LC ;; esac
VALGRIND=${VALGRIND:-valgrind}
OUT=$ROOT/build/real-out
command -v "$VALGRIND" >/dev/null || {
	echo "0 passed, 0 failed, all skipped: no valgrind"
	exit 77
}
rm -rf "$OUT"
mkdir -p "$OUT/work" "$OUT/home" || exit 99
W=$OUT/work

# Fixtures, made once, outside any tracer.
seq 1 2000 | awk '{ printf "%08d line %d\n", ($1 * 7919) % 10007, $1 }' >"$W/lines.txt" || exit 99
mkdir -p "$W/repo" "$W/mk" || exit 99
(
	cd "$W/repo" &&
		env -i PATH=/usr/bin:/bin HOME="$OUT/home" git init -q -b main . &&
		echo hello >a.txt && echo world >b.txt &&
		env -i PATH=/usr/bin:/bin HOME="$OUT/home" git add a.txt b.txt &&
		env -i PATH=/usr/bin:/bin HOME="$OUT/home" git -c user.name=t \
			-c user.email=t@example.org commit -q -m init &&
		echo changed >>a.txt && echo new >c.txt
) >/dev/null 2>&1 || echo "note: cannot make the git fixture" >&2
cat >"$W/mk/Makefile" <<'EOF'
SRCS := $(wildcard *.c)
OBJS := $(SRCS:.c=.o)
all: prog
prog: $(OBJS)
	$(CC) -o $@ $^
%.o: %.c
	$(CC) -c -o $@ $<
EOF
for i in 1 2 3 4 5; do echo "int f$i(void) { return $i; }" >"$W/mk/f$i.c"; done

NAMES=(sort perl python3 git-version git-status make-n sqlite3 gdb)

# Where the two cannot agree exactly.  glibc's malloc hands out recycled
# memory whose unwritten parts still hold pointers from its previous life;
# valgrind's own allocator does not recycle soon, so its blocks hold no
# such stale words.  In gdb, a 256-byte block reused from a freed pointer
# array keeps 30 blocks that valgrind calls lost "still reachable" under
# leakcheck (found by tracing the path from the root to each block).  A
# stale pointer can only make a block more reachable, never less, so for
# these leakcheck's definitely-lost must be at most valgrind's and at
# least 90% of it, in bytes and in blocks.
declare -A STALE=([gdb]=1)

# workload NAME: sets CMD (the argv) and DIR (where it runs).
workload() {
	DIR=$W
	# shellcheck disable=SC2016 # perl and sqlite text, not shell
	case $1 in
	sort) CMD=(sort -k 2 "$W/lines.txt") ;;
	perl) CMD=(perl -e 'my %h = map { $_ => "v$_" } 1 .. 2000; my @k = sort { $a <=> $b } keys %h; print scalar(@k), " $h{1999}\n";') ;;
	python3) CMD=(/usr/bin/python3 -S -c 'd = {i: str(i) * 3 for i in range(2000)}; print(len(d), sorted(d)[-1])') ;;
	git-version) CMD=(git --version) ;;
	git-status) DIR=$W/repo CMD=(git status --porcelain) ;;
	make-n) DIR=$W/mk CMD=(make -n) ;;
	sqlite3) CMD=(sqlite3 :memory: 'create table t(x integer, y text); with recursive c(i) as (select 1 union all select i + 1 from c where i < 500) insert into t select i, hex(i) from c; select count(*), max(y) from t;') ;;
	gdb) CMD=(gdb -nx -q --batch -ex quit) ;;
	*) return 1 ;;
	esac
}

# definite FILES...: "BYTES/BLOCKS" summed over the reports, "none" if no
# report has a leak summary.
definite() {
	local f
	for f in "$@"; do
		[ -e "$f" ] && cat "$f"
	done | awk '
	function num(s) { gsub(",", "", s); return s + 0 }
	/All heap blocks were freed/ { got = 1 }
	/definitely lost: [0-9,]+ bytes in/ { b += num($(NF-4)); n += num($(NF-1)); got = 1 }
	END { if (got) printf "%d/%d\n", b, n; else print "none" }'
}

# run TOOL NAME: runs the workload under valgrind or leakcheck; prints
# definite(), and the time taken in seconds.
run() {
	local tool=$1 name=$2 log start rc
	log=$OUT/$name.$tool
	start=$(date +%s.%N)
	if [ "$tool" = vg ]; then
		(cd "$DIR" && env -i PATH=/usr/bin:/bin HOME="$OUT/home" LANG=C \
			"$VALGRIND" --leak-check=full --log-file="$log.%p" "${CMD[@]}"
		exit $?) >"$log.stdout" 2>"$log.stderr" </dev/null
	else
		if [ ! -x "$LC" ]; then
			echo "missing 0"
			return
		fi
		(cd "$DIR" && env -i PATH=/usr/bin:/bin HOME="$OUT/home" LANG=C \
			"$LC" --leak-check=full --log-file="$log.%p" "${CMD[@]}"
		exit $?) >"$log.stdout" 2>"$log.stderr" </dev/null
	fi
	rc=$?
	echo "$(definite "$log".[0-9]*) $(echo "$(date +%s.%N) - $start" | bc) $rc"
}

pass=0
fail=0
skip=0
[ $# -gt 0 ] && NAMES=("$@")
printf '%-12s %16s %8s %16s %8s  %s\n' program "valgrind def" secs "leakcheck def" secs result
for name in "${NAMES[@]}"; do
	workload "$name" || { echo "unknown workload '$name'" >&2; exit 99; }
	if ! command -v "${CMD[0]}" >/dev/null; then
		printf '%-12s %16s %8s %16s %8s  %s\n' "$name" - - - - "SKIP (not installed)"
		skip=$((skip + 1))
		continue
	fi
	read -r vg vgt vgrc < <(run vg "$name")
	read -r lc lct lcrc < <(run lc "$name")
	if [ "$vg" = none ]; then
		res="FAIL (no valgrind summary, status $vgrc)"
		fail=$((fail + 1))
	elif [ "$lc" = "$vg" ]; then
		res=PASS
		pass=$((pass + 1))
	elif [ -n "${STALE[$name]}" ] && [ "$lc" != none ] && [ "$lc" != missing ] &&
		awk -v l="$lc" -v v="$vg" 'BEGIN {
			split(l, a, "/"); split(v, b, "/")
			exit !(a[1] <= b[1] && a[2] <= b[2] && a[1] >= 0.9 * b[1] && a[2] >= 0.9 * b[2]) }'; then
		res="PASS (within the stale-pointer bound)"
		pass=$((pass + 1))
	else
		res="FAIL (leakcheck status $lcrc)"
		fail=$((fail + 1))
	fi
	printf '%-12s %16s %8.1f %16s %8.1f  %s\n' "$name" "$vg" "$vgt" "$lc" "$lct" "$res"
done
if [ "$skip" = 0 ]; then
	echo "$pass passed, $fail failed"
else
	echo "$pass passed, $fail failed ($skip skipped)"
fi
[ "$fail" = 0 ]
