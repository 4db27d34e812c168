#!/bin/bash
# bench/run.sh: `make bench`.  Times each workload natively and under
# leakcheck, valgrind memcheck, heaptrack, (microbenchmarks only) LSan,
# the recompiled reference (clang -fsanitize=leak builds of bench/*.c),
# and, if asked for, the bare int3 floor (bench/floor.c); several rounds,
# the tools in a rotated order within each round, medians, ratios to
# native.  Then every tool's cost per allocator call and leakcheck's own
# peak memory per live block.  The default sizes are those of issue 14,
# where the cost per call dominates start-up.  Prints a Markdown table (also left in $OUT/results.md);
# raw samples in $OUT/raw.tsv, every run's stdout/stderr in $OUT/logs.
#
# Environment knobs [default; QUICK=1 default]:
#   ROUNDS=N          rounds [3; 3].  Each round runs every tool once on
#                     every workload; the medians are over rounds.
#   QUICK=1           small sizes: about 2 minutes instead of about 10-15
#                     on an idle 2-CPU machine (twice that on a busy one);
#                     numbers only for checking the script.  Most of a
#                     QUICK run is valgrind's and heaptrack's start-up.
#   WORKLOADS="..."   which, in order [alloc compute threads4 recurse
#                     python3 sort sqlite3]; also make-j2 (valgrind takes
#                     ~450 s a run on it)
#   TOOLS="..."       which [native leakcheck valgrind heaptrack lsan];
#                     also floor (a trap per call: ~150 s a run at the
#                     default alloc size); native is always run
#                     (everything is a ratio to it)
#   MEM=0|1           the memory-per-live-block runs [1]
#   AFFINITY=0|1      also the CPU-affinity experiment on alloc: floor
#                     with tracer and program on one CPU, unpinned, on two
#                     CPUs; leakcheck unpinned and under `taskset -c 0` [0]
#   LEAKCHECK=path    [./leakcheck]; runs as
#                     `leakcheck --leak-check=full -q --stats --log-file=LOG`
#                     (--stats only prints counters leakcheck always keeps;
#                     its allocator-call count is its "allocator calls")
#   VALGRIND, HEAPTRACK, PYTHON, SORT, SQLITE3
#                     the programs [valgrind, heaptrack, /usr/bin/python3
#                     (not a pyenv shim: a shell script would be traced),
#                     sort, sqlite3]; a workload or tool whose program is
#                     missing is skipped with a note
#   OUT=dir           [build/bench/out]
#   Sizes:
#     ALLOC_N         alloc iterations (malloc+free each) [3000000; 10000]
#     COMPUTE_ROUNDS  sieve rounds, ~28 ms each natively here [40; 4]
#     THREADS_N       threads4 iterations, all threads [2000000; 10000]
#     RECURSE_N       recurse iterations [300000; 3000]
#     RECURSE_DEPTH   frames below main per allocation [50]
#     PY_ROUNDS       dicts.py rounds (two dicts of 200k/100k keys) [5; 1]
#     SORT_MB         size of the generated file for sort [50; 2]
#     SQLITE_ROWS     rows inserted by sqlite3 [500000; 5000]
#     MAKE_FILES      C files of the make-j2 project [40; 8]: make -j2
#                     runs gcc on each (gcc starts cc1 and as with
#                     posix_spawn and vfork), traced with
#                     --trace-children=yes (valgrind too; heaptrack,
#                     which follows no child, is not run on it)
#     LIVE_N          live blocks for the memory runs [1000000; 100000]
#     LIVE_BASE       live blocks in the baseline memory run [1000]
#
# What is measured: wall time of the whole command (bench/timeit: fork to
# wait4, CLOCK_MONOTONIC), including each tool's start-up and exit work
# (leakcheck's scan and report; valgrind's leak check).  heaptrack: the
# time of `heaptrack -o FILE PROG`, i.e. recording with its usual
# on-the-fly heaptrack_interpret and compression, but not the analysis
# (heaptrack_print / heaptrack_gui, a separate step the user runs later).
# heaptrack 1.4 has no --record-only; its --raw skips the interpreter and
# would flatter it.  Runs whose exit status differs from 0, or whose
# stdout differs from the native run's, are left out of the medians and
# counted in the table.
#
# Memory per live block: leakcheck's own peak RSS (bench/selfrss.so,
# getrusage(RUSAGE_SELF) at exit; not /usr/bin/time, which reports the
# larger of leakcheck's and its tracee's) with LIVE_N live blocks minus
# that with LIVE_BASE, divided by the difference in blocks.
set -u -o pipefail
export LC_ALL=C

cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD

QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
	q() { echo "$2"; }
else
	q() { echo "$1"; }
fi
ROUNDS=${ROUNDS:-3}
ALLOC_N=${ALLOC_N:-$(q 3000000 10000)}
COMPUTE_ROUNDS=${COMPUTE_ROUNDS:-$(q 40 4)}
THREADS_N=${THREADS_N:-$(q 2000000 10000)}
RECURSE_N=${RECURSE_N:-$(q 300000 3000)}
RECURSE_DEPTH=${RECURSE_DEPTH:-50}
PY_ROUNDS=${PY_ROUNDS:-$(q 5 1)}
SORT_MB=${SORT_MB:-$(q 50 2)}
SQLITE_ROWS=${SQLITE_ROWS:-$(q 500000 5000)}
MAKE_FILES=${MAKE_FILES:-$(q 40 8)}
LIVE_N=${LIVE_N:-$(q 1000000 100000)}
LIVE_BASE=${LIVE_BASE:-1000}
WORKLOADS=${WORKLOADS:-alloc compute threads4 recurse python3 sort sqlite3}
TOOLS=${TOOLS:-native leakcheck valgrind heaptrack lsan}
MEM=${MEM:-1}
AFFINITY=${AFFINITY:-0}
LEAKCHECK=${LEAKCHECK:-./leakcheck}
VALGRIND=${VALGRIND:-valgrind}
HEAPTRACK=${HEAPTRACK:-heaptrack}
PYTHON=${PYTHON:-/usr/bin/python3}
SORT=${SORT:-sort}
SQLITE3=${SQLITE3:-sqlite3}
OUT=${OUT:-build/bench/out}
B=build/bench

LC_ARGS=(--leak-check=full -q --stats)
MICRO="alloc compute threads4 recurse"

START=$(date +%s)
say() { printf '[%4ds] %s\n' $(($(date +%s) - START)) "$*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

for f in "$LEAKCHECK" $B/alloc $B/compute $B/threads4 $B/recurse $B/live1m \
	$B/floor $B/timeit $B/selfrss.so; do
	[ -e "$f" ] || die "$f is missing: run 'make bench' (it builds them)"
done
LEAKCHECK=$(cd "$(dirname "$LEAKCHECK")" && pwd)/$(basename "$LEAKCHECK")
TIMEIT=$ROOT/$B/timeit
mkdir -p "$OUT/logs" "$OUT/data" || exit 1
OUT=$(cd "$OUT" && pwd)
RAW=$OUT/raw.tsv
NOTES=()
note() { NOTES+=("$*"); say "note: $*"; }

# which tools can run
declare -A TOOL_OK
for t in $TOOLS; do TOOL_OK[$t]=1; done
TOOL_OK[native]=1
if [ -n "${TOOL_OK[valgrind]:-}" ] && ! have "$VALGRIND"; then
	note "valgrind ($VALGRIND) not installed: its column is empty"
	unset 'TOOL_OK[valgrind]'
fi
if [ -n "${TOOL_OK[heaptrack]:-}" ] && ! have "$HEAPTRACK"; then
	note "heaptrack ($HEAPTRACK) not installed: its column is empty"
	unset 'TOOL_OK[heaptrack]'
fi
if [ -n "${TOOL_OK[lsan]:-}" ] && [ ! -x $B/lsan/alloc ]; then
	note "LSan: no clang -fsanitize=leak builds in $B/lsan (clang not installed?): its column is empty"
	unset 'TOOL_OK[lsan]'
fi
ALL_TOOLS=(native leakcheck valgrind heaptrack lsan floor)

# --- workloads --------------------------------------------------------
# wl_cmd W: sets CMD (array), STDIN (file), DESC; returns 1 if W cannot run
wl_cmd() {
	STDIN=/dev/null
	case $1 in
	alloc)
		CMD=("$ROOT/$B/alloc" "$ALLOC_N")
		DESC="$ALLOC_N x malloc(16..512)+free, one thread" ;;
	compute)
		CMD=("$ROOT/$B/compute" "$COMPUTE_ROUNDS")
		DESC="sieve of 8M, $COMPUTE_ROUNDS rounds, <10 allocator calls" ;;
	threads4)
		CMD=("$ROOT/$B/threads4" "$THREADS_N")
		DESC="4 threads, $THREADS_N x malloc+free in all" ;;
	recurse)
		CMD=("$ROOT/$B/recurse" "$RECURSE_N" "$RECURSE_DEPTH")
		DESC="$RECURSE_N x malloc+free $RECURSE_DEPTH frames deep" ;;
	python3)
		have "$PYTHON" || { note "python3: no $PYTHON, skipped"; return 1; }
		CMD=("$(command -v "$PYTHON")" "$ROOT/bench/dicts.py" "$PY_ROUNDS")
		DESC="dicts.py: $PY_ROUNDS x build and drop dicts of 200k+100k keys" ;;
	sort)
		have "$SORT" || { note "sort: no $SORT, skipped"; return 1; }
		CMD=("$(command -v "$SORT")" "$SORT_FILE")
		DESC="sort a ${SORT_MB} MB file of random hex lines" ;;
	sqlite3)
		have "$SQLITE3" || { note "sqlite3: no $SQLITE3, skipped"; return 1; }
		CMD=("$(command -v "$SQLITE3")" "$OUT/data/bench.db")
		STDIN=$SQL_FILE
		DESC="insert $SQLITE_ROWS rows (indexed) in one transaction, file db" ;;
	make-j2)
		have make && have gcc || { note "make-j2: no make or gcc, skipped"; return 1; }
		CMD=("$(command -v make)" -s -B -j2 -C "$OUT/data/mkproj")
		DESC="make -j2 of $MAKE_FILES C files with gcc -O1 (children traced)" ;;
	*) note "unknown workload '$1', skipped"; return 1 ;;
	esac
	return 0
}

SORT_FILE=$OUT/data/sort-${SORT_MB}M.txt
SQL_FILE=$OUT/data/insert-$SQLITE_ROWS.sql
make_data() {
	case " $WORKLOADS " in *" make-j2 "*)
		mkdir -p "$OUT/data/mkproj" || die "cannot write $OUT/data/mkproj"
		rm -f "$OUT/data/mkproj"/*.c
		for i in $(seq "$MAKE_FILES"); do
			awk -v i="$i" 'BEGIN {
				printf "#include <stdio.h>\n#include <string.h>\n"
				for (f = 0; f < 30; f++) {
					printf "int f%d_%d(const char *s) { int n = 0; for (size_t k = 0; k < strlen(s); k++) n = n * 31 + s[k] + %d; return n; }\n", i, f, f
				}
			}' >"$OUT/data/mkproj/f$i.c"
		done
		echo 'int main(void) { return 0; }' >"$OUT/data/mkproj/main.c"
		printf 'OBJS := $(patsubst %%.c,%%.o,$(wildcard *.c))\nprog: $(OBJS)\n\t$(CC) -o $@ $^\n%%.o: %%.c\n\t$(CC) -O1 -c -o $@ $<\n' >"$OUT/data/mkproj/Makefile" ;;
	esac
	case " $WORKLOADS " in *" sort "*)
		if [ ! -s "$SORT_FILE" ]; then
			say "generating $SORT_FILE"
			awk -v bytes=$((SORT_MB * 1048576)) 'BEGIN {
				srand(1); n = 0; i = 0
				while (n < bytes) {
					s = sprintf("%04x%04x%04x%04x %d",
						int(rand() * 65536), int(rand() * 65536),
						int(rand() * 65536), int(rand() * 65536), i++)
					print s; n += length(s) + 1
				}
			}' >"$SORT_FILE.tmp" || die "cannot write $SORT_FILE"
			mv "$SORT_FILE.tmp" "$SORT_FILE" || die "cannot write $SORT_FILE"
		fi ;;
	esac
	cat >"$SQL_FILE" <<EOF
PRAGMA synchronous = OFF;
CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, val REAL);
CREATE INDEX t_name ON t(name);
BEGIN;
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < $SQLITE_ROWS)
INSERT INTO t SELECT x, 'row-' || (x * 7919 % 100003), x * 0.5 FROM c;
COMMIT;
SELECT count(*), sum(val) FROM t;
EOF
}

# tools that run on workload W, in the order of round R
tools_for() {
	local w=$1 r=$2 list=() t i n
	for t in "${ALL_TOOLS[@]}"; do
		[ -n "${TOOL_OK[$t]:-}" ] || continue
		[ "$t" = floor ] && [[ " $MICRO " != *" $w "* ]] && continue
		[ "$t" = lsan ] && [[ " $MICRO " != *" $w "* ]] && continue
		[ "$t" = heaptrack ] && [ "$w" = make-j2 ] && continue
		list+=("$t")
	done
	n=${#list[@]}
	for ((i = 0; i < n; i++)); do
		echo "${list[$(((i + r) % n))]}"
	done
}

# run_one ROUND W TOOL [PREFIX...]: one timed run; appends to raw.tsv:
# round workload tool seconds exit ok calls
run_one() {
	local r=$1 w=$2 t=$3 base secs code rss ok calls=- pre=() cmd=("${CMD[@]}")
	shift 3
	base=$OUT/logs/$w.$t
	case $t in
	native) ;;
	leakcheck) pre=("$LEAKCHECK" "${LC_ARGS[@]}" "--log-file=$base.report.%p") ;;
	valgrind) pre=("$VALGRIND" --tool=memcheck --leak-check=full "--log-file=$base.report.%p") ;;
	heaptrack) pre=("$HEAPTRACK" -o "$OUT/data/heaptrack.$w") ;;
	floor) pre=("$ROOT/$B/floor") ;;
	lsan) cmd[0]=$ROOT/$B/lsan/$(basename "${CMD[0]}") ;; # the same program, recompiled
	*) pre=("$@") ;; # affinity variants: the caller's prefix
	esac
	[ "$w" = sqlite3 ] && rm -f "$OUT/data/bench.db" "$OUT/data/bench.db-journal"
	# make-j2: the compilers make and gcc start are traced too
	if [ "$w" = make-j2 ] && { [ "$t" = leakcheck ] || [ "$t" = valgrind ]; }; then
		pre=("${pre[0]}" --trace-children=yes "${pre[@]:1}")
	fi
	rm -f "$base.report".*
	rm -f "$OUT/data/heaptrack.$w".*
	"$TIMEIT" "$base.time" "${pre[@]}" "${cmd[@]}" <"$STDIN" \
		>"$base.stdout" 2>"$base.stderr"
	read -r secs code rss <"$base.time" || { secs=0 code=125; }
	ok=1
	if [ "$code" != 0 ]; then
		ok=0
		note "$w under $t: exit status $code (see $base.stderr)"
	elif [ "$t" != heaptrack ] && [ "$t" != native ] &&
		! cmp -s "$base.stdout" "$OUT/logs/$w.ref.stdout"; then
		ok=0
		note "$w under $t: stdout differs from the native run's"
	elif [ "$t" != native ]; then
		: >"$base.stdout" # same as $w.ref.stdout (sort's is 50 MB)
	fi
	case $t in
	leakcheck | lc-*)
		calls=$(sed -n 's/^leakcheck: stats: allocator calls: \([0-9]*\).*/\1/p' "$base.stderr" | tail -1) ;;
	floor | floor-*)
		calls=$(sed -n 's/^floor: .* \([0-9]*\) allocator calls, \([0-9]*\) traps$/\1 \2/p' "$base.stderr" | tail -1)
		calls=${calls// /:} ;; # calls:traps
	esac
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$w" "$t" "$secs" "$code" "$ok" "${calls:--}" >>"$RAW"
	say "round $((r + 1))/$ROUNDS $w $t: ${secs}s${calls:+ (calls $calls)}"
}

# median W T [FIELD]: median of field (4 = seconds, 7 = calls) over ok runs
median() {
	awk -F'\t' -v w="$1" -v t="$2" -v f="${3:-4}" '
		$2 == w && $3 == t && $6 == 1 && $f != "-" { split($f, a, ":"); v[n++] = a[1] }
		END {
			if (!n) { print "-"; exit }
			for (i = 1; i < n; i++)
				for (j = i; j > 0 && v[j - 1] > v[j]; j--) { x = v[j]; v[j] = v[j - 1]; v[j - 1] = x }
			m = n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2
			# not print: awk writes 11768716.5 as 1.17687e+07
			printf "%.15g\n", m
		}' "$RAW"
}
# traps of floor runs (the second half of calls:traps)
median_traps() {
	awk -F'\t' -v w="$1" -v t="$2" '
		$2 == w && $3 == t && $6 == 1 && $7 ~ /:/ { split($7, a, ":"); v[n++] = a[2] }
		END { if (!n) { print "-"; exit }
			for (i = 1; i < n; i++)
				for (j = i; j > 0 && v[j - 1] > v[j]; j--) { x = v[j]; v[j] = v[j - 1]; v[j - 1] = x }
			print n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2 }' "$RAW"
}
nfail() {
	awk -F'\t' -v w="$1" -v t="$2" '$2 == w && $3 == t && $6 != 1 { n++ } END { print n + 0 }' "$RAW"
}
# arithmetic on possibly-missing values: calc EXPR A B C (all must be numbers)
calc() {
	local e=$1
	shift
	for v in "$@"; do [[ $v =~ ^-?[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?$ ]] || { echo -; return; }; done
	local x
	x=$(awk -v a="${1:-0}" -v b="${2:-0}" -v c="${3:-0}" "BEGIN { print $e }" 2>/dev/null)
	[[ $x =~ ^-?[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?$ ]] && echo "$x" || echo -
}
fmt_ratio() {
	[ "$1" = - ] && { echo -; return; }
	awk -v x="$1" 'BEGIN { if (x < 10) printf "%.2fx", x; else if (x < 100) printf "%.1fx", x; else printf "%.0fx", x }'
}
fmt_s() {
	[ "$1" = - ] && { echo -; return; }
	awk -v x="$1" 'BEGIN { if (x < 0.1) printf "%.4f", x; else if (x < 10) printf "%.3f", x; else printf "%.1f", x }'
}
fmt_us() {
	[ "$1" = - ] && { echo -; return; }
	awk -v x="$1" 'BEGIN { printf "%.2f", x }'
}

# --- the runs -----------------------------------------------------------
: >"$RAW"
make_data
RUN_WL=()
declare -A WL_DESC
for w in $WORKLOADS; do
	wl_cmd "$w" || continue
	RUN_WL+=("$w")
	WL_DESC[$w]=$DESC
done
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
say "rounds $ROUNDS, workloads ${RUN_WL[*]}, tools $(tools_for alloc 0 | tr '\n' ' ')"

for ((r = 0; r < ROUNDS; r++)); do
	for w in "${RUN_WL[@]}"; do
		wl_cmd "$w" >/dev/null
		# native first in round 0: its stdout is the reference
		if [ "$r" = 0 ]; then
			run_one "$r" "$w" native
			cp "$OUT/logs/$w.native.stdout" "$OUT/logs/$w.ref.stdout"
			while read -r t; do
				[ "$t" = native ] || run_one "$r" "$w" "$t"
			done < <(tools_for "$w" "$r")
		else
			while read -r t; do run_one "$r" "$w" "$t"; done < <(tools_for "$w" "$r")
		fi
	done
done

# --- memory per live block ---------------------------------------------
MEM_LINE=
if [ "$MEM" = 1 ]; then
	declare -A RSS
	for n in "$LIVE_BASE" "$LIVE_N"; do
		base=$OUT/logs/live1m-$n
		rm -f "$base.rss"
		"$TIMEIT" "$base.time" env "SELFRSS_OUT=$base.rss" \
			"LD_PRELOAD=$ROOT/$B/selfrss.so" "$LEAKCHECK" "${LC_ARGS[@]}" \
			"--log-file=$base.report" "$ROOT/$B/live1m" "$n" \
			>"$base.stdout" 2>"$base.stderr"
		read -r secs code rss <"$base.time"
		RSS[$n]=$(cat "$base.rss" 2>/dev/null || echo -)
		[ "$code" = 0 ] || note "live1m $n under leakcheck: exit status $code"
		say "live1m $n: leakcheck peak RSS ${RSS[$n]} KiB (${secs}s; wait4's max(leakcheck, program) $rss KiB)"
	done
	per=$(calc "(b - a) * 1024 / c" "${RSS[$LIVE_BASE]}" "${RSS[$LIVE_N]}" $((LIVE_N - LIVE_BASE)))
	MEM_LINE="leakcheck's own peak RSS: ${RSS[$LIVE_BASE]} KiB with $LIVE_BASE live blocks, ${RSS[$LIVE_N]} KiB with $LIVE_N (16-byte blocks, one stack, all reachable at exit): **$(awk -v x="$per" 'BEGIN { if (x == "-") print "-"; else printf "%.1f", x }') bytes per live block** (target ≤ 48)."
fi

# --- affinity experiment -------------------------------------------------
AFF_TABLE=
if [ "$AFFINITY" = 1 ]; then
	wl_cmd alloc >/dev/null
	ncpu=$(nproc)
	variants=(floor-same floor-free lc-same lc-free)
	[ "$ncpu" -ge 2 ] && variants+=(floor-cross)
	[ -s "$OUT/logs/alloc.native.stdout" ] || run_one 0 alloc native
	for ((r = 0; r < ROUNDS; r++)); do
		n=${#variants[@]}
		for ((i = 0; i < n; i++)); do
			v=${variants[$(((i + r) % n))]}
			case $v in
			floor-same) run_one "$r" alloc "$v" "$ROOT/$B/floor" --cpus=0,0 ;;
			floor-free) run_one "$r" alloc "$v" "$ROOT/$B/floor" ;;
			floor-cross) run_one "$r" alloc "$v" "$ROOT/$B/floor" --cpus=0,1 ;;
			lc-same) run_one "$r" alloc "$v" taskset -c 0 "$LEAKCHECK" "${LC_ARGS[@]}" "--log-file=$OUT/logs/alloc.$v.report" ;;
			lc-free) run_one "$r" alloc "$v" "$LEAKCHECK" "${LC_ARGS[@]}" "--log-file=$OUT/logs/alloc.$v.report" ;;
			esac
		done
	done
	nat=$(median alloc native)
	AFF_TABLE="| alloc ($ALLOC_N iterations) | median s | µs per trap |
| --- | ---: | ---: |"
	for v in floor-same floor-free floor-cross lc-same lc-free; do
		[[ " ${variants[*]} " == *" $v "* ]] || continue
		s=$(median alloc "$v")
		case $v in
		floor-*) traps=$(median_traps alloc "$v") ;;
		lc-*) traps=$(sed -n 's/^leakcheck: stats: \([0-9]*\) traps.*/\1/p' "$OUT/logs/alloc.$v.stderr" | tail -1) ;;
		esac
		case $v in
		floor-same) label="floor, tracer and program on CPU 0" ;;
		floor-free) label="floor, unpinned" ;;
		floor-cross) label="floor, tracer on CPU 0, program on CPU 1" ;;
		lc-same) label="leakcheck under taskset -c 0" ;;
		lc-free) label="leakcheck, unpinned" ;;
		esac
		AFF_TABLE+="
| $label | $(fmt_s "$s") | $(fmt_us "$(calc "(a - b) * 1000000 / c" "$s" "$nat" "${traps:--}")") |"
	done
fi
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)

# --- the table ------------------------------------------------------------
ver() { "$@" 2>&1 | head -1; }
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
lcver=$("$LEAKCHECK" --version 2>&1 | head -1)
gitrev=$(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD 2>/dev/null || echo +dirty)
{
	echo "### leakcheck bench, $(date -u '+%Y-%m-%d %H:%M UTC')$([ "$QUICK" = 1 ] && echo ' (QUICK=1: small sizes, for checking the script only)')"
	echo
	echo "- machine: $(nproc) CPUs, ${cpu:-unknown CPU}, Linux $(uname -r), $(ver ldd --version | sed 's/.*(\(.*\)) \(.*\)/glibc \2 (\1)/')"
	echo "- load average before/after: $LOAD0 / $LOAD1"
	echo "- leakcheck: ${lcver} (git $gitrev), \`${LC_ARGS[*]}\`"
	[ -n "${TOOL_OK[valgrind]:-}" ] && echo "- valgrind: $(ver "$VALGRIND" --version), \`--tool=memcheck --leak-check=full\`"
	[ -n "${TOOL_OK[heaptrack]:-}" ] && echo "- heaptrack: $(ver "$HEAPTRACK" --version), record phase only (with its on-the-fly interpreter; no heaptrack_print)"
	[ -n "${TOOL_OK[lsan]:-}" ] && echo "- LSan: $(ver "${LSAN_CC:-clang}" --version), \`-fsanitize=leak -O2\` builds of the microbenchmarks, LSan's default options (its leak check at exit)"
	progs=
	have "$PYTHON" && progs+="$(ver "$PYTHON" --version), "
	have "$SORT" && progs+="$(ver "$SORT" --version), "
	have "$SQLITE3" && progs+="sqlite3 $(ver "$SQLITE3" --version | cut -d' ' -f1), "
	echo "- programs: ${progs}bench programs by $(ver "${CC:-cc}" --version) -O2"
	echo "- $ROUNDS rounds, tools in a rotated order within each round; wall seconds, median over rounds; (ratio to native)"
	echo
	# the tools that ran, each a time column and a µs/call column
	TL=()
	for t in leakcheck valgrind heaptrack lsan floor; do
		[ -n "${TOOL_OK[$t]:-}" ] && TL+=("$t")
	done
	tname() { case $1 in lsan) echo LSan ;; *) echo "$1" ;; esac; }
	hdr="| workload | native s"
	sep="| --- | ---:"
	for t in "${TL[@]}"; do hdr+=" | $(tname "$t")"; sep+=" | ---:"; done
	hdr+=" | leakcheck/heaptrack | leakcheck/valgrind | allocator calls"
	sep+=" | ---: | ---: | ---:"
	for t in "${TL[@]}"; do hdr+=" | $(tname "$t") µs/call"; sep+=" | ---:"; done
	echo "$hdr |"
	echo "$sep |"
	for w in "${RUN_WL[@]}"; do
		nat=$(median "$w" native)
		row="| $w | $(fmt_s "$nat")"
		declare -A M=()
		for t in leakcheck valgrind heaptrack lsan floor; do
			M[$t]=$(median "$w" "$t")
		done
		for t in "${TL[@]}"; do
			f=$(nfail "$w" "$t")
			if { [ "$t" = floor ] || [ "$t" = lsan ]; } && [[ " $MICRO " != *" $w "* ]]; then
				cell=-
			elif [ "$t" = heaptrack ] && [ "$w" = make-j2 ]; then
				cell=-
			elif [ "${M[$t]}" = - ]; then
				cell="failed"
			else
				cell="$(fmt_s "${M[$t]}") ($(fmt_ratio "$(calc "a / b" "${M[$t]}" "$nat")"))"
				[ "$f" != 0 ] && cell+=" [$f failed]"
			fi
			row+=" | $cell"
		done
		row+=" | $(fmt_ratio "$(calc "a / b" "${M[leakcheck]}" "${M[heaptrack]}")")"
		row+=" | $(fmt_ratio "$(calc "a / b" "${M[leakcheck]}" "${M[valgrind]}")")"
		calls=$(median "$w" leakcheck 7)
		fcalls=$(median "$w" floor 7)
		row+=" | ${calls%.*}"
		for t in "${TL[@]}"; do
			if [[ $calls =~ ^[0-9.]+$ ]] && [ "${calls%.*}" -ge 100000 ]; then
				if [ "$t" = floor ]; then
					row+=" | $(fmt_us "$(calc "(a - b) * 1000000 / c" "${M[floor]}" "$nat" "$fcalls")")"
				else
					row+=" | $(fmt_us "$(calc "(a - b) * 1000000 / c" "${M[$t]}" "$nat" "$calls")")"
				fi
			else
				row+=" | -"
			fi
		done
		echo "$row |"
	done
	echo
	echo "Workloads:"
	for w in "${RUN_WL[@]}"; do echo "- $w: ${WL_DESC[$w]}"; done
	echo
	echo "allocator calls: the outermost allocator calls leakcheck recorded (\`--stats\`; the same program makes the same calls under every tool); µs/call: (tool − native) / calls, floor with its own count, only where there are 100,000 calls or more (with fewer the noise is larger than the cost).  LSan: the microbenchmarks rebuilt with \`clang -fsanitize=leak\` (the other programs cannot be)."
	[ -n "$MEM_LINE" ] && { echo; echo "$MEM_LINE"; }
	[ -n "$AFF_TABLE" ] && { echo; echo "CPU affinity (µs per trap: (time − native) / traps):"; echo; echo "$AFF_TABLE"; }
	if [ "${#NOTES[@]}" -gt 0 ]; then
		echo
		echo "Notes:"
		for n in "${NOTES[@]}"; do echo "- $n"; done
	fi
} >"$OUT/results.md"
cat "$OUT/results.md"
say "done in $(($(date +%s) - START)) s; raw samples in $RAW, logs in $OUT/logs"
