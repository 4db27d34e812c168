#!/bin/bash
# Heap-profile tests: --heap-profile, --sample-rate, --folded, --flamegraph,
# snapshots (SIGUSR2, --heap-profile-interval) on testprogs with known allocations.  Each profile is read twice: by
# tests/pprof-decode.py (always) and by `go tool pprof` (golang-go; the
# go checks say SKIP without it).  Prints one line per test and
# "N passed, N failed".  Exit: 0 all passed, 1 some failed, 77 no ptrace.
#
# The sampling bound: with --sample-rate=R each allocation of S bytes is
# sampled independently with p = 1 - exp(-S/R) (the byte countdown is
# memoryless) and weighted 1/p, so for N such blocks the estimate
# K * S / p (K ~ Binomial(N, p)) has mean N*S and relative standard
# deviation sqrt((1 - p) / (N * p)).  A test passes within 5 of those:
# a false failure has probability below 1e-6 per check (K is in the
# hundreds or more, so the normal approximation holds).
cd "$(dirname "$0")/.." || exit 99
LC=${LEAKCHECK:-./leakcheck}
TP=build/testprogs
OUT=build/test-out/profile
DECODE="python3 tests/pprof-decode.py"
mkdir -p "$OUT"
rm -rf "${OUT:?}"/*
pass=0
fail=0

ok() { pass=$((pass + 1)); printf 'PASS %s\n' "$1"; }
ko() { fail=$((fail + 1)); printf 'FAIL %s: %s\n' "$1" "$2"; }
skip() { printf 'SKIP %s: %s\n' "$1" "$2"; }
# check NAME CONDITION-COMMAND... : PASS when the command succeeds
check() {
	local name=$1
	shift
	if "$@" >"$OUT/check.out" 2>&1; then ok "$name"; else ko "$name" "$(head -c 400 "$OUT/check.out")"; fi
}
have_go=0
command -v go >/dev/null 2>&1 && go tool pprof -h >/dev/null 2>&1 && have_go=1
pprof() { go tool pprof "$@" 2>/dev/null; }

if ! "$LC" -q --leak-check=no /bin/true 2>"$OUT/probe.err"; then
	if grep -q 'ptrace' "$OUT/probe.err"; then
		echo "0 passed, 0 failed, all skipped: ptrace not permitted"
		exit 77
	fi
fi

# 1. Exact: indirect-list leaks 32 bytes (definite) heading 128 (indirect),
# all from make_list.
"$LC" -q --heap-profile="$OUT/list.pb.gz" --folded="$OUT/list.folded" \
	--flamegraph="$OUT/list.svg" "$TP/indirect-list" 2>"$OUT/list.err"
check pprof-gzip gzip -t "$OUT/list.pb.gz"
$DECODE "$OUT/list.pb.gz" >"$OUT/list.decoded"
check pprof-decode grep -qxP 'definite\tmake_list;leak_list;main;.*\t1\t32' "$OUT/list.decoded"
check pprof-decode-indirect grep -qxP 'indirect\tmake_list;leak_list;main;.*\t4\t128' "$OUT/list.decoded"
check pprof-sample-types grep -qx 'sample_types alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes' "$OUT/list.decoded"
check folded-lines test "$(grep -c . "$OUT/list.folded")" = 2
check folded-definite grep -qx 'definite;.*;main;leak_list;make_list 32' "$OUT/list.folded"
check folded-indirect grep -qx 'indirect;.*;main;leak_list;make_list 128' "$OUT/list.folded"
if command -v xmllint >/dev/null; then
	check svg-wellformed xmllint --noout "$OUT/list.svg"
else
	skip svg-wellformed "xmllint not installed (libxml2-utils)"
fi
check svg-frame grep -q 'data-n="make_list"><title>make_list (160 bytes, 100.00%)</title>' "$OUT/list.svg"
check svg-leaked grep -q 'Leaked (definite, indirect, possible): 160 bytes' "$OUT/list.svg"
check svg-script grep -q 'function zoom' "$OUT/list.svg"

check svg-label grep -q '<text x="[0-9.]*" y="[0-9.]*">make_list</text>' "$OUT/list.svg"

# Rendering in headless Chromium (Debian's chromium; 110 MB to download,
# so tests/deps.sh installs it only with CHROMIUM=1): the screenshot must
# not be blank and must show make_list's frame where the SVG draws it, in
# its colour (tests/svg-shot-check.py; the label's text is checked above).
if command -v chromium >/dev/null; then
	rm -rf "$OUT/chromium-profile"
	timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
		--force-device-scale-factor=1 --user-data-dir="$OUT/chromium-profile" \
		--window-size=1200,420 --screenshot="$OUT/list.png" \
		"file://$PWD/$OUT/list.svg" >"$OUT/chromium.log" 2>&1
	check svg-renders python3 tests/svg-shot-check.py "$OUT/list.svg" "$OUT/list.png" make_list
else
	skip svg-renders "chromium not installed (apt-get install chromium, or make deps CHROMIUM=1)"
fi

if [ "$have_go" = 1 ]; then
	pprof -top -unit=B "$OUT/list.pb.gz" >"$OUT/list.top"
	check go-top grep -qE '^ +160B +100% +100% +160B +100% +make_list$' "$OUT/list.top"
	pprof -traces "$OUT/list.pb.gz" >"$OUT/list.traces"
	check go-traces-definite sh -c "grep -A1 -x ' leak_kind:  definite' '$OUT/list.traces' | grep -qE '^ +32B +make_list$'"
	check go-traces-indirect sh -c "grep -A1 -x ' leak_kind:  indirect' '$OUT/list.traces' | grep -qE '^ +128B +make_list$'"
	pprof -tagfocus=leak_kind=definite -top -unit=B "$OUT/list.pb.gz" >"$OUT/list.focus"
	check go-tagfocus grep -q 'Showing nodes accounting for 32B, 20.00% of 160B total' "$OUT/list.focus"
	pprof -list='^make_list$' "$OUT/list.pb.gz" >"$OUT/list.list"
	check go-list grep -q 'ROUTINE ======================== make_list' "$OUT/list.list"
else
	skip go-pprof "go not installed (apt-get install golang-go)"
fi

# 2. Exact totals per function on profile-sizes; a half run as the base.
"$LC" -q --heap-profile="$OUT/sizes.pb.gz" "$TP/profile-sizes" 2>"$OUT/sizes.err"
"$LC" -q --heap-profile="$OUT/half.pb.gz" "$TP/profile-sizes" 2 2>"$OUT/half.err"
$DECODE "$OUT/sizes.pb.gz" >"$OUT/sizes.decoded"
# leaf function -> objects bytes, summed over leak kinds
sums() { awk -F'\t' 'NF == 4 { split($2, f, ";"); o[f[1]] += $3; b[f[1]] += $4 }
	END { for (k in o) print k, o[k], b[k] }' "$1" | sort; }
sums "$OUT/sizes.decoded" >"$OUT/sizes.sums"
check exact-sizes diff -u - "$OUT/sizes.sums" <<'EOT'
big_leaks 200 2000000
keep_some 1000 256000
small_leaks 20000 1280000
EOT
# alloc_*: every allocation of a stack so far, freed ones too
check exact-alloc diff -u - <(awk -F'\t' 'NF == 5 { split($2, f, ";"); o[f[1]] += $3; b[f[1]] += $4 }
	END { for (k in o) print k, o[k], b[k] }' "$OUT/sizes.decoded" | sort) <<'EOT'
big_leaks 200 2000000
churn 500 50000
keep_some 1000 256000
small_leaks 20000 1280000
EOT
if [ "$have_go" = 1 ]; then
	pprof -sample_index=alloc_space -top -unit=B "$OUT/sizes.pb.gz" >"$OUT/alloc.top"
	check go-alloc-space grep -qE '^ +50000B .* churn$' "$OUT/alloc.top"
	pprof -base "$OUT/half.pb.gz" -top -unit=B "$OUT/sizes.pb.gz" >"$OUT/base.top"
	check go-base grep -qE '^ +640000B .* small_leaks$' "$OUT/base.top"
	check go-base-total grep -q 'Showing nodes accounting for 1768000B, 100% of 1768000B total' "$OUT/base.top"
fi

# 3. Sampled: the same program at --sample-rate=512, totals within 5 sd.
"$LC" --leak-check=full --sample-rate=512 --heap-profile="$OUT/sampled.pb.gz" \
	"$TP/profile-sizes" 2>"$OUT/sampled.err"
$DECODE "$OUT/sampled.pb.gz" >"$OUT/sampled.decoded"
sums "$OUT/sampled.decoded" >"$OUT/sampled.sums"
bound() { # function n size rate
	awk -v f="$1" -v n="$2" -v s="$3" -v r="$4" '
	$1 == f { got = $3 }
	END {
		p = 1 - exp(-s / r); want = n * s; sd = want * sqrt((1 - p) / (n * p))
		d = got - want; if (d < 0) d = -d
		printf "%s: %d bytes, expected %d +- %d (5 sd)\n", f, got, want, 5 * sd
		exit !(d <= 5 * sd + 1)
	}' "$OUT/sampled.sums"
}
check sampled-small bound small_leaks 20000 64 512
check sampled-big bound big_leaks 200 10000 512
check sampled-keep bound keep_some 1000 256 512
check sampled-period grep -qx 'period 512' "$OUT/sampled.decoded"
# the leak check itself still sees every block
check sampled-summary sh -c "grep -q 'definitely lost: 3,2[0-9,]* bytes in 20,[0-9,]* blocks' '$OUT/sampled.err' &&
	grep -q 'in use at exit: 3,536,000 bytes in 21,200 blocks' '$OUT/sampled.err'"
check sampled-not-sampled grep -q '(not sampled' "$OUT/sampled.err"

# 4. fork: one profile per process, %p in the name.
"$LC" -q --heap-profile="$OUT/fork.%p.pb.gz" "$TP/fork-both" 2>"$OUT/fork.err"
check fork-two-files test "$(ls "$OUT"/fork.*.pb.gz 2>/dev/null | wc -l)" = 2
for f in "$OUT"/fork.*.pb.gz; do
	[ -e "$f" ] && check "fork-decode-$(basename "$f" .pb.gz | tr . -)" $DECODE "$f"
done

# 5. Snapshots: profile-grow holds at "sync" points (it writes N, waits for
# a line), where the test sends SIGUSR2 and waits for the numbered file
# (written under a temporary name and renamed: once there, it is whole).
# Between sync 1 and 2 it allocates 64 x 4096 bytes in grow() and nothing
# else, so the -base diff of the two snapshots is exactly that.
wait_file() { # FILE: until it exists, 60 s at most
	local i
	for i in $(seq 1200); do
		[ -e "$1" ] && return 0
		sleep 0.05
	done
	return 1
}
wait_grep() { # PATTERN FILE: until FILE has a line matching, 60 s at most
	local i
	for i in $(seq 1200); do
		grep -q "$1" "$2" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
# hold_at IN OUT N: the program's next line is N
hold_at() { local line; read -r -t 60 -u "$2" line && [ "$line" = "$3" ]; }
# snap_at IN OUT N LCPID FILE: at sync N, SIGUSR2 to LCPID, wait for FILE, go on
snap_at() { hold_at "$1" "$2" "$3" && kill -USR2 "$4" && wait_file "$5" && echo >&"$1"; }

# 5a. launched: two snapshots by SIGUSR2, then the exit profile
coproc GROW { exec "$LC" -q --heap-profile="$OUT/grow.pb.gz" "$TP/profile-grow" 2>"$OUT/grow.err"; }
gin=${GROW[1]} gout=${GROW[0]} gpid=$GROW_PID
hold_at "$gin" "$gout" 0 && echo >&"$gin" &&
	snap_at "$gin" "$gout" 1 "$gpid" "$OUT/grow.0001.pb.gz" &&
	snap_at "$gin" "$gout" 2 "$gpid" "$OUT/grow.0002.pb.gz"
sync_rc=$?
exec {gin}>&-
wait "$gpid"
check snap-usr2 sh -c "test $sync_rc = 0 && test $? = 0"
check snap-files sh -c "ls '$OUT'/grow*.pb.gz | sed 's,.*/,,' | tr '\n' ' ' | grep -qx 'grow.0001.pb.gz grow.0002.pb.gz grow.pb.gz '"
for n in 0001 0002; do $DECODE "$OUT/grow.$n.pb.gz" >"$OUT/grow.$n.decoded"; done
$DECODE "$OUT/grow.pb.gz" >"$OUT/grow.exit.decoded"
# no scan before a snapshot: no leak_kind label ("-")
check snap1-decode grep -qxP -- '-\tbase_blocks;main;.*\t10\t10000' "$OUT/grow.0001.decoded"
check snap1-no-grow sh -c "! grep -q 'grow;main' '$OUT/grow.0001.decoded'"
check snap2-decode grep -qxP -- '-\tgrow;main;.*\t64\t262144' "$OUT/grow.0002.decoded"
check snap-exit-labelled grep -qxP 'reachable\tgrow;main;.*\t64\t262144' "$OUT/grow.exit.decoded"
if [ "$have_go" = 1 ]; then
	pprof -base "$OUT/grow.0001.pb.gz" -top -unit=B "$OUT/grow.0002.pb.gz" >"$OUT/grow.base.top"
	check go-snap-base grep -qE '^ +262144B +100% +100% +262144B +100% +grow$' "$OUT/grow.base.top"
	check go-snap-base-total grep -q 'Showing nodes accounting for 262144B, 100% of 262144B total' "$OUT/grow.base.top"
fi

# 5a'. an on-demand leak report (SIGUSR1) writes its profile as the next
# numbered snapshot, with leak kinds; the exit profile is still FILE
coproc RGROW { exec "$LC" -q --heap-profile="$OUT/rgrow.pb.gz" "$TP/profile-grow" 2>"$OUT/rgrow.err"; }
gin=${RGROW[1]} gout=${RGROW[0]} gpid=$RGROW_PID
hold_at "$gin" "$gout" 0 && echo >&"$gin" &&
	hold_at "$gin" "$gout" 1 && kill -USR1 "$gpid" && wait_file "$OUT/rgrow.0001.pb.gz" && echo >&"$gin"
sync_rc=$?
exec {gin}>&-
wait "$gpid"
check report-usr1-profile sh -c "test $sync_rc/$? = 0/0 && test -s '$OUT/rgrow.pb.gz'"
$DECODE "$OUT/rgrow.0001.pb.gz" >"$OUT/rgrow.0001.decoded"
check report-usr1-labelled grep -qxP 'reachable\tbase_blocks;main;.*\t10\t10000' "$OUT/rgrow.0001.decoded"

# 5a''. requests back to back: 10 SIGUSR2 while the program is held at
# sync 1, each sent the moment the previous snapshot's file is there (the
# wait spins first: leakcheck is then still finishing that snapshot).  A
# request that came while leakcheck was busy used to wait for the
# program's next event, and this one blocks in read(2): lost (issue 14,
# the snap-usr2 failures under load).
wait_file_now() { # FILE: spin a while, then as wait_file
	local i
	for ((i = 0; i < 20000; i++)); do
		[ -e "$1" ] && return 0
	done
	wait_file "$1"
}
coproc BGROW { exec "$LC" -q --heap-profile="$OUT/bgrow.pb.gz" "$TP/profile-grow" 2>"$OUT/bgrow.err"; }
gin=${BGROW[1]} gout=${BGROW[0]} bpid=$BGROW_PID
nsnap=0
if hold_at "$gin" "$gout" 0 && echo >&"$gin" && hold_at "$gin" "$gout" 1; then
	for n in 0001 0002 0003 0004 0005 0006 0007 0008 0009 0010; do
		kill -USR2 "$bpid" && wait_file_now "$OUT/bgrow.$n.pb.gz" || break
		nsnap=$((nsnap + 1))
	done
fi
exec {gin}>&-
wait "$bpid"
check snap-usr2-back-to-back sh -c "test $nsnap/$? = 10/0"

# 5b. --pid: attach at sync 0 (the "attached" line), the same two snapshots
coproc PGROW { exec "$TP/profile-grow"; }
gin=${PGROW[1]} gout=${PGROW[0]} ppid=$PGROW_PID
if hold_at "$gin" "$gout" 0; then
	"$LC" --pid "$ppid" --heap-profile="$OUT/pgrow.pb.gz" 2>"$OUT/pgrow.err" &
	lpid=$!
	wait_grep "attached to pid $ppid" "$OUT/pgrow.err" && echo >&"$gin" &&
		snap_at "$gin" "$gout" 1 "$lpid" "$OUT/pgrow.0001.pb.gz" &&
		snap_at "$gin" "$gout" 2 "$lpid" "$OUT/pgrow.0002.pb.gz"
	sync_rc=$?
	exec {gin}>&-
	wait "$lpid"
	lrc=$?
	wait "$ppid"
	prc=$?
	if grep -q 'not permitted\|ptrace_scope\|seccomp' "$OUT/pgrow.err"; then
		skip snap-pid "$(head -1 "$OUT/pgrow.err")"
	else
		check snap-pid sh -c "test $sync_rc/$lrc/$prc = 0/0/0 && grep -q 'on-demand heap snapshot 2' '$OUT/pgrow.err'"
		$DECODE "$OUT/pgrow.0001.pb.gz" >"$OUT/pgrow.0001.decoded"
		$DECODE "$OUT/pgrow.0002.pb.gz" >"$OUT/pgrow.0002.decoded"
		check snap-pid-decode sh -c "grep -qxP -- '-\tbase_blocks;main;.*\t10\t10000' '$OUT/pgrow.0001.decoded' &&
			grep -qxP -- '-\tgrow;main;.*\t64\t262144' '$OUT/pgrow.0002.decoded'"
		check snap-pid-exit test -s "$OUT/pgrow.pb.gz"
		if [ "$have_go" = 1 ]; then
			pprof -base "$OUT/pgrow.0001.pb.gz" -top -unit=B "$OUT/pgrow.0002.pb.gz" >"$OUT/pgrow.base.top"
			check go-snap-pid-base grep -q 'Showing nodes accounting for 262144B, 100% of 262144B total' "$OUT/pgrow.base.top"
		fi
	fi
else
	ko snap-pid "profile-grow did not start"
	exec {gin}>&-
	wait "$ppid"
fi

# 5c. --heap-profile-interval: numbered files, however many (no timing is
# asserted: the program is held until the first one is there)
coproc IGROW { exec "$LC" -q --heap-profile-interval=1 --heap-profile="$OUT/igrow.pb.gz" \
	--flamegraph="$OUT/igrow.svg" "$TP/profile-grow" 2>"$OUT/igrow.err"; }
gin=${IGROW[1]} gout=${IGROW[0]} ipid=$IGROW_PID
hold_at "$gin" "$gout" 0 && echo >&"$gin" && hold_at "$gin" "$gout" 1 &&
	wait_file "$OUT/igrow.0001.pb.gz"
sync_rc=$?
exec {gin}>&-
wait "$ipid"
check snap-interval sh -c "test $sync_rc/$? = 0/0 && test -e '$OUT/igrow.0001.svg'"
nsnap=0
for f in "$OUT"/igrow.[0-9]*.pb.gz; do
	[ -e "$f" ] || continue
	nsnap=$((nsnap + 1))
	if [ "$have_go" = 1 ]; then
		pprof -top -unit=B "$f" >"$OUT/igrow.top" && grep -q '^Type: inuse_space' "$OUT/igrow.top" || nsnap=-1000
	else
		$DECODE "$f" >/dev/null || nsnap=-1000
	fi
done
check snap-interval-readable test "$nsnap" -ge 1

# 5d. SIGUSR2 with no profile asked for: one warning, tracing goes on
coproc NGROW { exec "$LC" -q --leak-check=no "$TP/profile-grow" 2>"$OUT/ngrow.err"; }
gin=${NGROW[1]} gout=${NGROW[0]} npid=$NGROW_PID
hold_at "$gin" "$gout" 0 && kill -USR2 "$npid" && wait_grep 'nowhere to write it' "$OUT/ngrow.err"
sync_rc=$?
exec {gin}>&-
wait "$npid"
check snap-nowhere sh -c "test $sync_rc/$? = 0/0 && test \$(wc -l <'$OUT/ngrow.err') = 1"

# 5e. Retained sizes (--top-holders keeps the scan's holders): a global
# cache's list of 10 nodes (24 bytes, cache_add) each holding a payload
# (40 bytes, make_payload).  The nodes' stack retains the whole list,
# 640 bytes in 20 blocks (counted once, at its head); the payloads' 400
# bytes in 10 blocks (each dominated by a node of another stack).
"$LC" -q --top-holders=1 --leak-check=no --heap-profile="$OUT/held.pb.gz" \
	"$TP/holders-global-list" 10 2>"$OUT/held.err"
$DECODE "$OUT/held.pb.gz" >"$OUT/held.decoded"
check pprof-retained-types grep -qx 'sample_types alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes retained_objects/count retained_space/bytes' "$OUT/held.decoded"
check pprof-retained-inuse grep -qxP 'reachable\tcache_add;main;.*\t10\t240' "$OUT/held.decoded"
if [ "$have_go" = 1 ]; then
	pprof -top -sample_index=retained_space -unit=B "$OUT/held.pb.gz" >"$OUT/held.top"
	check pprof-retained-top sh -c "grep -q '^Type: retained_space' '$OUT/held.top' &&
		awk '/ flat%/ { getline; print; exit }' '$OUT/held.top' | grep -Eq '^ *640B .* cache_add\$' &&
		grep -Eq '^ *400B .* make_payload\$' '$OUT/held.top'"
	pprof -top -sample_index=retained_objects "$OUT/held.pb.gz" >"$OUT/held-n.top"
	check pprof-retained-objects grep -Eq '^ *20 .* cache_add$' "$OUT/held-n.top"
else
	skip pprof-retained-top "go not installed"
fi
"$LC" -q --leak-check=no --heap-profile="$OUT/noheld.pb.gz" "$TP/holders-global-list" 10 2>/dev/null
$DECODE "$OUT/noheld.pb.gz" >"$OUT/noheld.decoded"
check pprof-retained-only-asked grep -qx 'sample_types alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes' "$OUT/noheld.decoded"

# 6. Bad values.
"$LC" --sample-rate=lots /bin/true >/dev/null 2>"$OUT/cli.err"
check cli-sample-rate sh -c "test $? = 64 && grep -q \"invalid value 'lots' for --sample-rate\" '$OUT/cli.err'"
"$LC" -q --heap-profile=/nonexistent/dir/h.pb.gz /bin/true 2>"$OUT/nowrite.err"
check cli-unwritable grep -q "cannot write heap profile to '/nonexistent/dir/h.pb.gz'" "$OUT/nowrite.err"
"$LC" --heap-profile-interval=5 /bin/true >/dev/null 2>"$OUT/cli.err"
check cli-interval-alone sh -c "test $? = 64 && grep -q -- '--heap-profile-interval needs --heap-profile' '$OUT/cli.err'"
"$LC" --heap-profile-interval=0 --heap-profile=x.pb.gz /bin/true >/dev/null 2>"$OUT/cli.err"
check cli-interval-zero sh -c "test $? = 64 && grep -q \"invalid value '0' for --heap-profile-interval\" '$OUT/cli.err'"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
