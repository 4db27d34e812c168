#!/bin/bash
# --pid: attach to a running testprogs/server, report on demand, detach,
# and check the server carried on intact (its own data check, exit 0).
# Prints one line per test and "N passed, N failed".
# Exit: 0 all passed, 1 some failed, 77 ptrace not permitted, 99 harness.
#
#   CYCLES=N   attach/detach cycles under load (default 100)
cd "$(dirname "$0")/.." || exit 99
LC=${LEAKCHECK:-./leakcheck}
OUT=build/attach-out
SERVER=build/testprogs/server
CYCLES=${CYCLES:-100}
rm -rf "$OUT"
mkdir -p "$OUT" || exit 99
[ -x "$SERVER" ] || { echo "no $SERVER: make testprogs" >&2; exit 99; }
pass=0
fail=0
ok() { pass=$((pass + 1)); printf 'PASS %s\n' "$1"; }
ko() { fail=$((fail + 1)); printf 'FAIL %s: %s\n' "$1" "$2"; }

# start_server SECONDS [masked]: runs a server in the background, sets
# SPID; "masked": its workers block every signal.
start_server() {
	rm -f "$OUT/ready"
	"$SERVER" "$1" "$OUT/ready" $2 >"$OUT/server.out" 2>&1 &
	SPID=$!
	for _ in $(seq 100); do
		[ -s "$OUT/ready" ] && return 0
		sleep 0.05
	done
	echo "server did not start" >&2
	exit 99
}

# stop_server NAME: SIGTERM, then the server must exit 0 with "ok".
stop_server() {
	local rc
	kill -TERM "$SPID" 2>/dev/null
	wait "$SPID"
	rc=$?
	if [ "$rc" = 0 ] && grep -q ', ok$' "$OUT/server.out"; then
		ok "$1"
	else
		ko "$1" "server exit $rc: $(tail -2 "$OUT/server.out" | tr '\n' ' ')"
	fi
}

# 1. three periodic reports and a final one, a clean detach
start_server 60
"$LC" --pid "$SPID" --interval=1 --duration=3 --leak-check=full \
	--log-file="$OUT/r1.log" 2>"$OUT/r1.err"
rc=$?
if [ $rc = 77 ] || grep -q "not permitted\|ptrace_scope" "$OUT/r1.err"; then
	kill "$SPID"
	echo "0 passed, 0 failed, all skipped: $(head -1 "$OUT/r1.err")"
	exit 77
fi
n=$(grep -c "LEAK SUMMARY" "$OUT/r1.log")
[ "$rc" = 0 ] && [ "$n" -ge 3 ] && grep -q "detached from pid $SPID" "$OUT/r1.err" &&
	ok attach-reports || ko attach-reports "status $rc, $n reports"
# the leak made before attach, found by the heap walk with its size
grep -q "12,360 bytes in 1 blocks are definitely lost" "$OUT/r1.log" &&
	grep -q "blocks of 12,360 bytes allocated before leakcheck attached" "$OUT/r1.log" &&
	ok attach-heap-walk || ko attach-heap-walk "no pre-attach 12,360-byte leak"
# leaks made after attach, with their stack
grep -A3 "definitely lost in loss record" "$OUT/r1.log" | grep -q "leak_one (server.c" &&
	ok attach-stack || ko attach-stack "no leak_one stack"
kill -0 "$SPID" 2>/dev/null && ok attach-still-running || ko attach-still-running "server gone"
stop_server attach-server-intact

# 2. --report=new: the second report shows only the growth
start_server 60
"$LC" --pid "$SPID" --interval=1 --duration=2 --report=new --leak-check=full \
	--log-file="$OUT/r2.log" 2>"$OUT/r2.err"
# in the second and later reports, every record shown has grown: "(+"
awk '/LEAK SUMMARY/ { n++ } n >= 1 && /are (definitely|indirectly|possibly) lost in loss/ {
	total++; if ($0 ~ /\(\+/) grew++ } END { exit !(total > 0 && grew == total) }' "$OUT/r2.log" &&
	grep -q "definitely lost: [0-9,]* (+[0-9,]*) bytes" "$OUT/r2.log" &&
	! awk '/LEAK SUMMARY/ { n++ } n >= 1' "$OUT/r2.log" | grep -q "before leakcheck attached" &&
	ok report-new || ko report-new "see $OUT/r2.log"
stop_server report-new-server-intact

# 3. SIGUSR1 asks for a report, SIGINT detaches
start_server 60
"$LC" --pid "$SPID" --log-file="$OUT/r3.log" 2>"$OUT/r3.err" &
LPID=$!
sleep 1
kill -USR1 "$LPID"
sleep 1
kill -INT "$LPID"
wait "$LPID"
rc=$?
n=$(grep -c "LEAK SUMMARY" "$OUT/r3.log")
[ "$rc" = 0 ] && [ "$n" = 2 ] && grep -q "on-demand report" "$OUT/r3.err" &&
	ok usr1-int || ko usr1-int "status $rc, $n reports"
stop_server usr1-int-server-intact

# 4. many attach/detach cycles under load; each walk, made while the
# workers hammer malloc and free, finds the leak made before attach with
# its exact size and finds nothing amiss in the heap
start_server 600
bad=0
why=
for i in $(seq "$CYCLES"); do
	rm -f "$OUT/cycle.log"
	if ! "$LC" --pid "$SPID" --once -q --leak-check=full \
		--log-file="$OUT/cycle.log" 2>"$OUT/cycle.err"; then
		bad=$i why="exit status: $(head -2 "$OUT/cycle.err")"
		break
	fi
	kill -0 "$SPID" 2>/dev/null || { bad=$i why="server gone"; break; }
	if [ "$(grep -c "== 12,360 bytes in 1 blocks are definitely lost" "$OUT/cycle.log")" != 1 ] ||
		grep -q "warning:" "$OUT/cycle.err"; then
		bad=$i why="$(grep -m1 "warning:" "$OUT/cycle.err" || echo "no 12,360-byte pre-attach leak")"
		break
	fi
done
[ "$bad" = 0 ] && ok "attach-detach-x$CYCLES" ||
	ko "attach-detach-x$CYCLES" "cycle $bad: $why"
stop_server cycles-server-intact

# 5. the main thread inside malloc at attach (waiting for main_arena's
# lock, which another thread holds while blocked writing to a full FIFO):
# leakcheck lets it finish before the walk, so its block is there
AIM=build/testprogs/attach-in-malloc
rm -f "$OUT/aim.fifo" "$OUT/aim.ready"
mkfifo "$OUT/aim.fifo" || exit 99
exec 3<>"$OUT/aim.fifo"
"$AIM" "$OUT/aim.ready" "$OUT/aim.fifo" >"$OUT/aim.out" &
APID=$!
# until it sits in futex(2) (202) inside malloc
for _ in $(seq 200); do
	[ -s "$OUT/aim.ready" ] && [ "$(cut -d' ' -f1 "/proc/$APID/task/$APID/syscall" 2>/dev/null)" = 202 ] && break
	sleep 0.05
done
# the reader that lets both calls finish: late enough that leakcheck is
# attached and waiting for them (if not, the test proves nothing, but
# does not fail)
(sleep 1; exec cat <&3 >/dev/null) &
RPID=$!
"$LC" --pid "$APID" --once --leak-check=full --show-leak-kinds=all \
	--log-file="$OUT/aim.log" 2>"$OUT/aim.err"
rc=$?
grep -A1 "== 5,000 bytes in 1 blocks are still reachable" "$OUT/aim.log" |
	grep -q "blocks of 5,000 bytes allocated before leakcheck attached" &&
	[ $rc = 0 ] && ! grep -q "warning:" "$OUT/aim.err" &&
	ok attach-in-malloc || ko attach-in-malloc "status $rc, no 5,000-byte block: see $OUT/aim.log $OUT/aim.err"
kill -TERM "$APID" 2>/dev/null
wait "$APID"
rc=$?
kill "$RPID" 2>/dev/null
wait "$RPID" 2>/dev/null
exec 3<&-
[ $rc = 0 ] && grep -q "attach-in-malloc: ok" "$OUT/aim.out" &&
	ok attach-in-malloc-intact || ko attach-in-malloc-intact "exit $rc: $(cat "$OUT/aim.out")"

# 6. leakcheck killed with SIGKILL while attached: the program lives on.
# poll CMD...: until CMD succeeds, 60 s at most (a bound, not a timing:
# an attach after a kill -9 takes out what the killed one left, and on a
# loaded 2-CPU machine that took more than 10 s once)
poll() {
	for _ in $(seq 1200); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}
# wait_attached ERRFILE: until leakcheck says it is attached
wait_attached() { poll grep -qs "attached to pid" "$1"; }
# untraced PID: until PID has no tracer
untraced() { poll grep -qs "^TracerPid:[[:space:]]*0$" "/proc/$1/status"; }
# holders PID: processes that still have PID's mem file open
holders() {
	ls -l /proc/[0-9]*/fd 2>/dev/null | grep -c " /proc/$1/mem$"
}
# kill_cycles N [ENV]: N times attach, kill -9 leakcheck at a random
# moment (threads at traps, mid-report), check the server survived.
# KILL_OPTS: more leakcheck options.
kill_cycles() {
	local n=$1 i
	shift
	for i in $(seq "$n"); do
		# shellcheck disable=SC2086
		env "$@" "$LC" --pid "$SPID" --interval=1 --log-file=/dev/null $KILL_OPTS \
			2>"$OUT/kill.err" &
		LPID=$!
		wait_attached "$OUT/kill.err" || { echo "attach $i: $(head -2 "$OUT/kill.err")"; return 1; }
		sleep "$((i % 2)).$((RANDOM % 10))"
		kill -KILL "$LPID"
		wait "$LPID" 2>/dev/null
		if ! untraced "$SPID"; then
			kill -0 "$SPID" 2>/dev/null && echo "cycle $i: still traced" ||
				echo "cycle $i: server died"
			return 1
		fi
		sleep 0.2 # the server's threads meet our int3s now, if any are left
		kill -0 "$SPID" 2>/dev/null || { echo "cycle $i: server died"; return 1; }
	done
}
# 6a. the SIGTRAP handler and the guard together, as shipped
start_server 600
why=$(kill_cycles 10) && ok kill9-server-lives || ko kill9-server-lives "$why"
stop_server kill9-server-intact
# 6a'. a server whose workers block every signal: a thread that blocks
# SIGTRAP and meets an int3 with no tracer is killed whatever the handler,
# and one that meets an int3 under leakcheck resets SIGTRAP to its
# default for the whole process.  The previous binary: dead of SIGTRAP at
# the first or second kill, the guard's int3 written over an entry point
# while it put the bytes back, or a worker stopped at a trap.
# And what each kill leaves in the program (our page, its data, the fast
# path's jmps, our SIGTRAP handler) the next attach takes out: one page
# after the kills, none after a clean attach and detach, SIGTRAP back to
# its default (the previous binary: 20 pages, one more per kill; a kill
# inside an attach can leave the old page and the new one).
# pages PID: our pages in PID (anonymous, r-x, 64 KiB)
pages() {
	local n=0 range perms rest
	while read -r range perms rest; do
		# shellcheck disable=SC2086
		set -- $rest
		[ "$perms" = r-xp ] && [ $# = 3 ] &&
			[ $((0x${range#*-} - 0x${range%-*})) = 65536 ] && n=$((n + 1))
	done <"/proc/$1/maps"
	echo $n
}
sigtrap_caught() { [ $((0x$(awk '/^SigCgt/ { print $2 }' "/proc/$1/status") >> 4 & 1)) = 1 ]; }
for fast in yes no; do
	start_server 600 masked
	n=20
	[ $fast = no ] && n=10 # (every call traps: the same, found sooner)
	why=$(KILL_OPTS=--fast-path=$fast kill_cycles $n) && ok kill9-masked-server-lives-fast-$fast ||
		ko kill9-masked-server-lives-fast-$fast "$why"
	if [ -z "$why" ]; then
		n=$(pages "$SPID")
		"$LC" --pid "$SPID" --once -q --log-file=/dev/null 2>"$OUT/g.err"
		sleep 0.2
		left=$(pages "$SPID")
		sigtrap_caught "$SPID" && left="$left, SIGTRAP caught"
		# 1 page, or 2 when the last kill came in an attach between
		# its new page and its taking out of the old one; never one
		# per kill
		[ "$n" -ge 1 ] && [ "$n" -le 2 ] && [ "$left" = 0 ] && ok kill9-leftovers-reused-fast-$fast ||
			ko kill9-leftovers-reused-fast-$fast "$n pages after the kills, $left after a detach"
	fi
	stop_server kill9-masked-server-intact-fast-$fast
done
# 6b. the handler alone (no guard): it takes every int3 left behind
# (its int3s stay in, so each round needs a fresh server)
for r in 1 2 3; do
	start_server 600
	why=$(kill_cycles 1 LEAKCHECK_TEST_NO_GUARD=1) && ok kill9-handler-alone-$r ||
		ko kill9-handler-alone-$r "$why"
	stop_server kill9-handler-alone-intact-$r
done
# 6b'. killed twice, the second time with no guard: the first
# leakcheck's handler is still the program's, and knows only its own
# page.  The second must replace it, or the recorder's full-ring int3
# (nothing drains the ring any more) would trap forever.
start_server 600
why=$(kill_cycles 1) && why=$(kill_cycles 1 LEAKCHECK_TEST_NO_GUARD=1)
if [ -z "$why" ]; then
	sleep 1 # the ring fills in this time
	kill -TERM "$SPID" 2>/dev/null
	poll sh -c "[ \"\$(cut -d' ' -f3 /proc/$SPID/stat 2>/dev/null || echo Z)\" = Z ]" ||
		why="the server does not stop"
fi
kill -KILL "$SPID" 2>/dev/null
wait "$SPID" 2>/dev/null
[ -z "$why" ] && ! grep -q ', ok$' "$OUT/server.out" && why="no ok: $(tail -1 "$OUT/server.out")"
[ -z "$why" ] && ok kill9-earlier-handler || ko kill9-earlier-handler "$why"
# 6c. the guard alone: trapper has a SIGTRAP handler of its own, so ours is
# not installed; the guard takes our int3s out, and trapper's mallocs after
# that never trap.  Without the guard (6d) trapper's handler sees them.
TRAPPER=build/testprogs/trapper
for mode in guard noguard; do
	rm -f "$OUT/tready"
	"$TRAPPER" "$OUT/tready" >"$OUT/trapper.out" 2>&1 &
	TPID=$!
	for _ in $(seq 100); do [ -s "$OUT/tready" ] && break; sleep 0.05; done
	if [ $mode = guard ]; then env=; else env=LEAKCHECK_TEST_NO_GUARD=1; fi
	env $env "$LC" --pid "$TPID" --log-file=/dev/null 2>"$OUT/tkill.err" &
	LPID=$!
	wait_attached "$OUT/tkill.err"
	kill -KILL "$LPID"
	wait "$LPID" 2>/dev/null
	untraced "$TPID"
	if [ $mode = guard ]; then
		poll grep -qs "breakpoints are taken out" "$OUT/tkill.err"
	fi
	kill -USR1 "$TPID"
	wait "$TPID"
	rc=$?
	if [ $mode = guard ]; then
		[ "$rc" = 0 ] && grep -q "trapper: ok" "$OUT/trapper.out" &&
			grep -q "breakpoints are taken out and the program runs on" "$OUT/tkill.err" &&
			[ "$(holders "$TPID")" = 0 ] &&
			ok kill9-guard-alone || ko kill9-guard-alone "status $rc: $(cat "$OUT/trapper.out" "$OUT/tkill.err")"
	else
		[ "$rc" = 5 ] && grep -q "trapper: SIGTRAP" "$OUT/trapper.out" &&
			ok kill9-no-guard-traps || ko kill9-no-guard-traps "status $rc: $(cat "$OUT/trapper.out")"
	fi
done
# 6e. a clean detach leaves no guard behind
start_server 60
"$LC" --pid "$SPID" --once -q --log-file=/dev/null 2>"$OUT/g.err"
sleep 0.2
[ "$(holders "$SPID")" = 0 ] && ok detach-no-guard-left || ko detach-no-guard-left "$(holders "$SPID") processes hold /proc/$SPID/mem"
grep -q "^SigCgt:.*" "/proc/$SPID/status" &&
	[ $(( 0x$(awk '/^SigCgt/ { print $2 }' "/proc/$SPID/status") >> 4 & 1 )) = 0 ] &&
	ok detach-sigtrap-default || ko detach-sigtrap-default "SIGTRAP still caught after detach"
stop_server detach-guard-server-intact

# 7. errors: no such pid, a zombie, already traced
"$LC" --pid 999999999 >/dev/null 2>"$OUT/e1.err"
rc=$?
[ $rc = 64 ] || [ $rc = 68 ] && grep -q "leakcheck:" "$OUT/e1.err" && ok pid-invalid || ko pid-invalid "status $rc"
pid_max=$(cat /proc/sys/kernel/pid_max)
nopid=$((pid_max - 1))
while kill -0 "$nopid" 2>/dev/null; do nopid=$((nopid - 1)); done
"$LC" --pid "$nopid" >/dev/null 2>"$OUT/e2.err"
rc=$?
[ $rc = 68 ] && grep -q "no process with pid $nopid" "$OUT/e2.err" && ok pid-missing || ko pid-missing "status $rc: $(cat "$OUT/e2.err")"
# a zombie: a child that exited, its parent (sh) not reaping it yet
sh -c 'sleep 0 & exec sleep 2' &
ZP=$!
sleep 0.5
Z=$(ps -o pid=,stat= --ppid "$ZP" | awk '$2 ~ /Z/ { print $1; exit }')
if [ -n "$Z" ]; then
	"$LC" --pid "$Z" >/dev/null 2>"$OUT/e3.err"
	rc=$?
	[ $rc = 68 ] && grep -q "zombie" "$OUT/e3.err" && ok pid-zombie || ko pid-zombie "status $rc: $(cat "$OUT/e3.err")"
else
	ko pid-zombie "could not make a zombie"
fi
wait "$ZP" 2>/dev/null
# already traced: by another leakcheck
start_server 60
"$LC" --pid "$SPID" -q --log-file=/dev/null --duration=3 2>/dev/null &
LPID=$!
sleep 1
"$LC" --pid "$SPID" >/dev/null 2>"$OUT/e4.err"
rc=$?
[ $rc = 67 ] && grep -q "already traced by pid $LPID (leakcheck)" "$OUT/e4.err" &&
	ok pid-already-traced || ko pid-already-traced "status $rc: $(cat "$OUT/e4.err")"
wait "$LPID"
stop_server already-traced-server-intact
"$LC" --pid "$$" ./x >/dev/null 2>"$OUT/e5.err"
[ $? = 64 ] && ok pid-and-program || ko pid-and-program "$(cat "$OUT/e5.err")"

# A service on jemalloc (testprogs/jemalloc-service.c) keeps the blocks it
# allocates after the attach in a table it allocated before.
# jemalloc-attach-walk: leakcheck walks jemalloc 5.3.0's extents, so the
# leaks made before the attach are found with their exact sizes (every
# size there is a size class), the blocks it freed (in its thread cache,
# back in their slabs, or in an explicit cache) are not blocks, the leaks
# made after are found,
# and none of the 60 held blocks is lost (before the walk: 42,000 bytes
# in 60 blocks "definitely lost").  jemalloc-attach-unknown: with the walk
# turned off, the fallback: the heap is scanned as roots, the report says
# so, and still none of the held blocks is lost.  Both: the service runs
# on and finds its table intact.
JES=build/testprogs/jemalloc-service
# jes_run NAME [ENV...]: one attach, report at Ctrl-C, detach; sets rc, jrc
jes_run() {
	local name=$1
	shift
	rm -f "$OUT/jes".*
	"$JES" "$OUT/jes.ready" "$OUT/jes.done" &
	JPID=$!
	poll test -e "$OUT/jes.ready"
	env "$@" "$LC" --pid "$JPID" --leak-check=full --show-leak-kinds=all \
		--log-file="$OUT/$name.log" \
		2>"$OUT/$name.err" &
	LPID=$!
	wait_attached "$OUT/$name.err"
	kill -USR1 "$JPID"
	poll test -e "$OUT/jes.done"
	kill -INT "$LPID"
	wait "$LPID"
	rc=$?
	kill -TERM "$JPID"
	wait "$JPID"
	jrc=$?
}
JES_AWK='
	function num(s) { gsub(",", "", s); return s + 0 }
	/definitely lost: [0-9,]+ bytes in/ { db = num($(NF-4)); dn = num($(NF-1)) }
	/indirectly lost: [0-9,]+ bytes in/ { ib = num($(NF-4)); in_ = num($(NF-1)) }
	/possibly lost: [0-9,]+ bytes in/ { pb = num($(NF-4)) }
	/still reachable: [0-9,]+ bytes in/ { rb = num($(NF-4)); rn = num($(NF-1)) }
	/not known \(malloc is not glibc.s\): the heap was/ { unknown = 1 }
	/found by walking jemalloc 5.3.0.s extents/ { walked = 1 }
	/768 bytes in 3 blocks are definitely lost/ { d256 = 1 }
	/20,480 bytes in 1 blocks are definitely lost/ { d20k = 1 }
	/144 \(64 direct, 80 indirect\) bytes in 1 blocks are definitely lost/ { d64 = 1 }
	/600 bytes in 6 blocks are definitely lost/ { d100 = 1 }
	/leak \(jemalloc-service.c/ { stack = 1 }'
if [ -x "$JES" ]; then
	jes_run jes-walk
	why=$(awk -v rc="$rc" -v jrc="$jrc" "$JES_AWK"'
	END {
		if (rc != 0 || jrc != 0) print "leakcheck " rc ", service " jrc
		else if (!walked || unknown) print "no note that jemalloc was walked"
		else if (db != 21912 || dn != 11 || ib != 80 || in_ != 1 || pb != 0)
			print "definite " db "/" dn " indirect " ib "/" in_ " possible " pb
		else if (!d256 || !d20k || !d64 || !d100 || !stack)
			print "a loss record is missing"
		else if (rb < 42512 || rn < 61) print "reachable " rb "/" rn
	}' "$OUT/jes-walk.log")
	if [ -n "$why" ]; then ko jemalloc-attach-walk "$why"; else ok jemalloc-attach-walk; fi
	grep -q "blocks of 20,480 bytes allocated before leakcheck attached" "$OUT/jes-walk.log" &&
		! grep -q "blocks of \(48\|96\|24,576\) bytes allocated before" "$OUT/jes-walk.log" &&
		ok jemalloc-attach-freed-not-blocks ||
		ko jemalloc-attach-freed-not-blocks "see $OUT/jes-walk.log"

	jes_run jes-unknown LEAKCHECK_TEST_NO_JEMALLOC_WALK=1
	why=$(awk -v rc="$rc" -v jrc="$jrc" "$JES_AWK"'
	END {
		if (rc != 0 || jrc != 0) print "leakcheck " rc ", service " jrc
		else if (!unknown || walked) print "no note that the heap was scanned as roots"
		else if (db + rb != 42600 || ib + pb != 0 || db > 600 || rn + dn != 66)
			print "definite " db "/" dn " reachable " rb "/" rn " indirect+possible " ib + pb
	}' "$OUT/jes-unknown.log")
	grep -q "LEAKCHECK_TEST_NO_JEMALLOC_WALK" "$OUT/jes-unknown.err" || why="no reason given: $(head -3 "$OUT/jes-unknown.err")"
	if [ -n "$why" ]; then ko jemalloc-attach-unknown "$why"; else ok jemalloc-attach-unknown; fi
else
	ko jemalloc-attach-walk "not built"
	ko jemalloc-attach-unknown "not built"
fi

# A pre-fork server's tree, with one command: --pid-tree attaches to the
# master and its three workers (the master's pid given), each gets its own
# report (--once), and all four run on after the detach: at SIGTERM each
# worker finds its blocks intact.  Two processes given, one --pid each,
# are attached to as well.
rm -f "$OUT/tree.ready"
build/testprogs/prefork-tree "$OUT/tree.ready" >"$OUT/tree.prog" 2>&1 &
TPID=$!
for _ in $(seq 100); do [ -s "$OUT/tree.ready" ] && break; sleep 0.1; done
timeout 120 "$LC" --pid-tree="$TPID" --once --leak-check=full \
	>"$OUT/tree.out" 2>"$OUT/tree.log"
rc=$?
kill -TERM "$TPID" 2>/dev/null
wait "$TPID"
trc=$?
why=$(awk -v rc="$rc" -v trc="$trc" -v master="$TPID" '
	function num(s) { gsub(",", "", s); return s + 0 }
	/^leakcheck: attached to pid / { att++ }
	/^leakcheck: detached from pid / { det++ }
	/^==[0-9]+== +in use: / {
		pid = $1; gsub("=", "", pid)
		use[pid] = num($4) "/" num($7) }
	/^==[0-9]+== +definitely lost: [0-9,]+ bytes in/ {
		pid = $1; gsub("=", "", pid); lost[pid] = num($4) "/" num($7) }
	/1,000 bytes in 1 blocks are definitely lost/ { rec++ }
	END {
		if (rc != 0 || trc != 0) { print "leakcheck " rc ", tree " trc; exit }
		if (att != 4 || det != 4) { print att " attached, " det " detached"; exit }
		if (use[master] != "20000/100" || lost[master] != "0/0") {
			print "master: in use " use[master] ", lost " lost[master]; exit }
		for (p in use) {
			if (p == master) continue
			w++
			if (use[p] != "171000/151" || lost[p] != "1000/1") {
				print "worker " p ": in use " use[p] ", lost " lost[p]; exit }
		}
		if (w != 3 || rec != 3) print w " workers reported, " rec " loss records"
	}' "$OUT/tree.log")
grep -q "prefork-tree: ok" "$OUT/tree.prog" || why="${why:-the tree did not run on intact: $(cat "$OUT/tree.prog")}"
if [ -n "$why" ]; then ko pid-tree-prefork "$why"; else ok pid-tree-prefork; fi

# two --pid options: both attached to, each reported on
start_server 60
P1=$SPID
sleep 30 &
P2=$!
timeout 60 "$LC" --pid "$P1" --pid "$P2" --once >/dev/null 2>"$OUT/two.log"
rc=$?
n=$(grep -c "^leakcheck: detached from pid \($P1\|$P2\);" "$OUT/two.log")
kill "$P2" 2>/dev/null
wait "$P2" 2>/dev/null
[ $rc = 0 ] && [ "$n" = 2 ] && ok pid-twice-attached ||
	ko pid-twice-attached "status $rc, $n detached: $(head -c 600 "$OUT/two.log")"
stop_server pid-twice-server-intact

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
