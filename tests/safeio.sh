#!/bin/bash
# Safe inputs and outputs (issue 20).  leakcheck runs as root on paths
# users choose, so every output is opened as named: a device node (made
# here with mknod, never the real /dev/null) stays a device, a symlink is
# written through, a planted temporary name is not followed, a full
# device and a missing directory give exit 73 with a message naming the file;
# the same for "leakcheck merge".  And the rest of the issue: the report
# buffered, bounded reads of suppression files and merge inputs, control
# bytes of symbol names escaped in the text report, setuid programs
# refused for a normal user, command-line errors that say what is wrong,
# --pid of a kernel thread, exit 70 (not SIGABRT) out of memory.
# Prints one line per test ("SKIP name: why" where this machine cannot
# run one) and "N passed, N failed".
# Exit: 0 all passed, 1 some failed, 77 ptrace not permitted, 99 harness.
#
# Usage: tests/safeio.sh [NAME]   only the test NAME, or the group NAME
#                                (device, symlink, full, supp, ...)
#   LEAKCHECK=path               another leakcheck binary (an old one:
#                                these tests should fail on it)
cd "$(dirname "$0")/.." || exit 99
LC=${LEAKCHECK:-./leakcheck}
LC=$(realpath "$LC") || exit 99
TP=$PWD/build/testprogs
OUT=$PWD/build/test-out/safeio
LIMIT=${LIMIT:-60} # seconds; only ever hit by a hang
rm -rf "$OUT"
mkdir -p "$OUT" || exit 99
pass=0
fail=0
only=${1:-}

ok() { pass=$((pass + 1)); printf 'PASS %s\n' "$1"; }
ko() { fail=$((fail + 1)); printf 'FAIL %s: %s\n' "$1" "$2"; }
skip() { printf 'SKIP %s: %s\n' "$1" "$2"; }
want() { [ -z "$only" ] || [ "$only" = "$1" ] || [ "$only" = "${1%%-*}" ]; }
# verdict NAME WHY: fails with WHY, passes if it is empty
verdict() { if [ -n "$2" ]; then ko "$1" "$2"; else ok "$1"; fi; }

if ! "$LC" -q --leak-check=no /bin/true 2>"$OUT/probe.err"; then
	if grep -q 'ptrace' "$OUT/probe.err"; then
		echo "0 passed, 0 failed, all skipped: ptrace not permitted"
		exit 77
	fi
fi

# lc DIR OPTS...: leakcheck -q OPTS direct-leak in DIR; $rc its status,
# DIR/err its stderr
lc() {
	local d=$1
	shift
	(cd "$d" && exec timeout -k 5 "$LIMIT" "$LC" -q "$@" "$TP/direct-leak") \
		>"$d/out" 2>"$d/err" </dev/null
	rc=$?
}

# The output options, each as NAME:OPTION-PREFIX (the value follows).
OUTPUTS="log:--log-file= json:--json= junit:--junit= sarif:--sarif= xml:--xml=yes|--xml-file=
	pprof:--heap-profile= folded:--folded= flame:--flamegraph="
# opts OPTION-PREFIX VALUE: the options that write VALUE
opts() {
	local p=$1 v=$2
	case $p in
	*"|"*) printf '%s\n' "${p%%|*}" "${p#*|}$v" ;;
	*) printf '%s\n' "$p$v" ;;
	esac
}

# Output to a character device: written to, never replaced by a file.
for o in $OUTPUTS; do
	name=${o%%:*} pre=${o#*:} t=device-${o%%:*}
	want "$t" || continue
	d=$OUT/$t
	mkdir -p "$d"
	if ! mknod "$d/null" c 1 3 2>"$d/mknod.err"; then
		skip "$t" "cannot mknod here: $(head -1 "$d/mknod.err")"
		continue
	fi
	mapfile -t args < <(opts "$pre" "$d/null")
	lc "$d" "${args[@]}"
	why=
	if [ ! -c "$d/null" ]; then
		why="the device node was replaced: $(ls -l "$d/null")"
	elif [ "$rc" != 0 ]; then
		why="exit $rc: $(head -2 "$d/err")"
	fi
	verdict "$t" "$why"
	rm -f "$d/null"
done

# Output to a symlink: written through; the link stays a link.
for o in $OUTPUTS; do
	name=${o%%:*} pre=${o#*:} t=symlink-${o%%:*}
	want "$t" || continue
	d=$OUT/$t
	mkdir -p "$d/real"
	ln -s real/target "$d/link"
	mapfile -t args < <(opts "$pre" "$d/link")
	lc "$d" "${args[@]}"
	why=
	if [ ! -L "$d/link" ]; then
		why="the symlink was replaced: $(ls -l "$d/link")"
	elif [ ! -s "$d/real/target" ]; then
		why="nothing written through the link"
	elif [ "$rc" != 0 ]; then
		why="exit $rc: $(head -2 "$d/err")"
	fi
	verdict "$t" "$why"
done

# A symlink planted at FILE.tmp (the old writers' temporary name) is left
# alone and what it points to is untouched.
for o in $OUTPUTS; do
	name=${o%%:*} pre=${o#*:} t=planted-tmp-${o%%:*}
	want "$t" || continue
	d=$OUT/$t
	mkdir -p "$d"
	echo untouched >"$d/victim"
	ln -s victim "$d/out.dat.tmp"
	mapfile -t args < <(opts "$pre" "$d/out.dat")
	lc "$d" "${args[@]}"
	why=
	if ! echo untouched | cmp -s - "$d/victim"; then
		why="the planted link was followed: victim now $(head -c 60 "$d/victim" | tr -c '[:print:]' '.')"
	elif [ ! -L "$d/out.dat.tmp" ]; then
		why="the planted link was replaced"
	elif [ ! -s "$d/out.dat" ]; then
		why="out.dat not written"
	elif [ "$rc" != 0 ]; then
		why="exit $rc: $(head -2 "$d/err")"
	fi
	verdict "$t" "$why"
done

# An existing regular file is replaced with the new contents, keeping its
# mode; nothing is left behind in its directory.
for o in $OUTPUTS; do
	name=${o%%:*} pre=${o#*:} t=regular-${o%%:*}
	want "$t" || continue
	d=$OUT/$t
	mkdir -p "$d/dir"
	printf 'old contents, longer than nothing at all\n%.0s' $(seq 200) >"$d/dir/f"
	chmod 640 "$d/dir/f"
	mapfile -t args < <(opts "$pre" "$d/dir/f")
	lc "$d" "${args[@]}"
	why=
	if [ "$rc" != 0 ]; then
		why="exit $rc: $(head -2 "$d/err")"
	elif grep -q "old contents" "$d/dir/f"; then
		why="old contents left in the file"
	elif [ "$(stat -c %a "$d/dir/f")" != 640 ]; then
		why="mode $(stat -c %a "$d/dir/f"), was 640"
	elif [ "$(find "$d/dir" -mindepth 1 -printf '%f ')" != "f " ]; then
		why="left in the directory: $(find "$d/dir" -mindepth 1 -printf '%f ')"
	fi
	verdict "$t" "$why"
done

# A full device (/dev/full's numbers, a node of our own: the real one
# must not be at risk from a binary that replaces devices): the report is
# out, then exit 73, over --error-exitcode, and a message naming it.
for o in $OUTPUTS; do
	name=${o%%:*} pre=${o#*:} t=full-${o%%:*}
	want "$t" || continue
	d=$OUT/$t
	mkdir -p "$d"
	if ! mknod "$d/full" c 1 7 2>"$d/mknod.err"; then
		skip "$t" "cannot mknod here: $(head -1 "$d/mknod.err")"
		continue
	fi
	mapfile -t args < <(opts "$pre" "$d/full")
	lc "$d" "${args[@]}" --error-exitcode=9
	why=
	if [ "$rc" != 73 ]; then
		why="exit $rc, expected 73: $(head -2 "$d/err")"
	elif ! grep -q "$t/full.*No space left on device" "$d/err"; then
		why="no message naming the file and ENOSPC: $(head -2 "$d/err")"
	elif [ ! -c "$d/full" ]; then
		why="the device node was replaced: $(ls -l "$d/full")"
	elif [ "$name" != log ] && ! grep -q "LEAK SUMMARY" "$d/err"; then
		why="no report on stderr"
	fi
	verdict "$t" "$why"
	rm -f "$d/full"
done

# A missing directory: exit 73 and a message.
for o in $OUTPUTS; do
	name=${o%%:*} pre=${o#*:} t=nodir-${o%%:*}
	want "$t" || continue
	d=$OUT/$t
	mkdir -p "$d"
	mapfile -t args < <(opts "$pre" "$d/missing/dir/f")
	lc "$d" "${args[@]}"
	why=
	if [ "$rc" != 73 ]; then
		why="exit $rc, expected 73: $(head -2 "$d/err")"
	elif ! grep -q "missing/dir/f.*No such file or directory" "$d/err"; then
		why="no message naming the file: $(head -2 "$d/err")"
	fi
	verdict "$t" "$why"
done

# The report on stderr is one write per buffer, not several per line.
if want stderr-buffered; then
	d=$OUT/stderr-buffered
	mkdir -p "$d"
	if ! command -v strace >/dev/null; then
		skip stderr-buffered "no strace"
	else
		# strace follows leakcheck only (no -f): its writes to fd 2
		(cd "$d" && timeout -k 5 "$LIMIT" strace -o "$d/trace" -e trace=write \
			"$LC" --leak-check=full --show-leak-kinds=all --gen-suppressions=all \
			"$TP/indirect-tree") >/dev/null 2>"$d/err" </dev/null
		lines=$(grep -c "^==[0-9]*==" "$d/err")
		writes=$(grep -c "^write(2," "$d/trace")
		why=
		if [ "$lines" -lt 40 ]; then
			why="only $lines report lines: $(head -2 "$d/err")"
		elif [ "$writes" -gt 8 ]; then
			why="$writes writes to stderr for $lines report lines"
		fi
		verdict stderr-buffered "$why"
	fi
fi

# leakcheck merge: OUT as a device, a symlink, a full device, in a
# missing directory.
merge_in=$OUT/merge-in.xml
if [ -z "$only" ] || [ "${only%%-*}" = merge ]; then
	(cd "$OUT" && "$LC" -q --junit="$merge_in" "$TP/direct-leak") >/dev/null 2>&1 </dev/null
fi
# merge_run NAME OUT: $rc, $d/err
merge_run() {
	d=$OUT/$1
	mkdir -p "$d"
	timeout -k 5 "$LIMIT" "$LC" merge "$2" "$merge_in" >"$d/out" 2>"$d/err" </dev/null
	rc=$?
}
if want merge-device; then
	d=$OUT/merge-device
	mkdir -p "$d"
	if mknod "$d/null" c 1 3 2>/dev/null; then
		merge_run merge-device "$d/null"
		why=
		[ -c "$d/null" ] || why="the device node was replaced: $(ls -l "$d/null")"
		[ -n "$why" ] || [ "$rc" = 0 ] || why="exit $rc: $(head -2 "$d/err")"
		verdict merge-device "$why"
	else
		skip merge-device "cannot mknod here"
	fi
fi
if want merge-symlink; then
	d=$OUT/merge-symlink
	mkdir -p "$d/real"
	ln -sf real/all.xml "$d/link.xml"
	merge_run merge-symlink "$d/link.xml"
	why=
	if [ ! -L "$d/link.xml" ]; then
		why="the symlink was replaced"
	elif ! grep -q "<testsuites" "$d/real/all.xml" 2>/dev/null; then
		why="nothing written through the link"
	elif [ "$rc" != 0 ]; then
		why="exit $rc: $(head -2 "$d/err")"
	fi
	verdict merge-symlink "$why"
fi
if want merge-full; then
	d=$OUT/merge-full
	mkdir -p "$d"
	if mknod "$d/full" c 1 7 2>/dev/null; then
		merge_run merge-full "$d/full"
		why=
		[ "$rc" = 73 ] || why="exit $rc, expected 73"
		[ -n "$why" ] || grep -q "merge-full/full.*No space left" "$d/err" || why="no message: $(head -2 "$d/err")"
		[ -c "$d/full" ] || why="the device node was replaced: $(ls -l "$d/full")"
		verdict merge-full "$why"
		rm -f "$d/full"
	else
		skip merge-full "cannot mknod here"
	fi
fi
if want merge-nodir; then
	merge_run merge-nodir "$OUT/merge-nodir/missing/all.xml"
	why=
	[ "$rc" = 73 ] || why="exit $rc, expected 73: $(head -2 "$d/err")"
	verdict merge-nodir "$why"
fi

# Inputs: read with a bound, binary content found in the first chunk, a
# FIFO never waited for.  Each run is under a hang guard (timeout) and an
# address-space cap, so that a leakcheck that reads without end fails
# instead of taking the machine's memory.
AS_CAP=$((2 << 30))
# inrun NAME ARGS...: leakcheck ARGS, $rc, $d/err, $d/rss (max RSS, KiB)
inrun() {
	d=$OUT/$1
	shift
	mkdir -p "$d"
	timeout -k 5 "$LIMIT" /usr/bin/time -o "$d/rss" -f %M \
		prlimit --as=$AS_CAP "$LC" "$@" >"$d/out" 2>"$d/err" </dev/null
	rc=$?
	[ -s "$d/rss" ] || echo 0 >"$d/rss"
	tail -1 "$d/rss" >"$d/rss.1" && mv "$d/rss.1" "$d/rss"
}
# in_verdict NAME WANT-RC PATTERN: rc and a message matching PATTERN
in_verdict() {
	local why=
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		why="hung (killed after ${LIMIT}s)"
	elif [ "$rc" != "$2" ]; then
		why="exit $rc, expected $2: $(head -2 "$d/err" | tr '\n' ' ')"
	elif ! grep -q -- "$3" "$d/err"; then
		why="no message [$3]: $(head -2 "$d/err" | tr '\n' ' ')"
	fi
	verdict "$1" "$why"
}
if command -v prlimit >/dev/null && [ -x /usr/bin/time ]; then
	if want supp-zero; then
		inrun supp-zero --suppressions=/dev/zero -q /bin/true
		in_verdict supp-zero 64 "/dev/zero: binary file"
	fi
	if want supp-urandom; then
		inrun supp-urandom --suppressions=/dev/urandom -q /bin/true
		in_verdict supp-urandom 64 "/dev/urandom: binary file"
	fi
	if want supp-random-10m; then
		# read no further than its first chunks: memory as for an
		# empty file, give or take a few MiB (the file is 10)
		inrun supp-random-empty --suppressions=/dev/null -q /bin/true
		base=$(cat "$d/rss")
		head -c $((10 << 20)) /dev/urandom >"$OUT/random.supp"
		inrun supp-random-10m --suppressions="$OUT/random.supp" -q /bin/true
		rm -f "$OUT/random.supp"
		if [ "$rc" = 64 ] && [ "$(cat "$d/rss")" -gt $((base + 4096)) ]; then
			ko supp-random-10m "max RSS $(cat "$d/rss") KiB, $base KiB with an empty file: read it all"
		else
			in_verdict supp-random-10m 64 "random.supp: binary file"
		fi
	fi
	if want supp-fifo; then
		rm -f "$OUT/supp.fifo"
		mkfifo "$OUT/supp.fifo"
		inrun supp-fifo --suppressions="$OUT/supp.fifo" -q /bin/true
		in_verdict supp-fifo 74 "supp.fifo': a FIFO with no writer"
	fi
	if want supp-too-large; then
		# text, and valid, but more than the 64 MiB bound: from a pipe,
		# so no disk is used
		inrun supp-too-large --suppressions=<(yes leak:no_such_function | head -c $((65 << 20))) -q /bin/true
		in_verdict supp-too-large 74 "larger than 64 MiB"
	fi
	if want supp-pipe; then
		# a pipe with a writer (<(...)) is still read to its end, past
		# the first chunks: the suppression that matters comes last
		inrun supp-pipe --suppressions=<(
			yes leak:no_such_function | head -c $((1 << 20))
			printf '\nleak:leak\n') -q "$TP/direct-leak"
		why=
		if [ "$rc" != 0 ]; then
			why="exit $rc: $(head -2 "$d/err")"
		elif ! grep -q "suppressed: 1,024 bytes in 1 blocks" "$d/err"; then
			why="the last line of the file was not read: $(grep -m1 suppressed: "$d/err")"
		fi
		verdict supp-pipe "$why"
	fi
	if want merge-zero; then
		inrun merge-zero merge "$OUT/merge-zero.xml" /dev/zero
		in_verdict merge-zero 65 "/dev/zero': not a leakcheck JUnit file"
	fi
	if want merge-fifo; then
		rm -f "$OUT/merge.fifo"
		mkfifo "$OUT/merge.fifo"
		inrun merge-fifo merge "$OUT/merge-fifo.xml" "$OUT/merge.fifo"
		in_verdict merge-fifo 66 "merge.fifo': a FIFO with no writer"
	fi
else
	skip inputs "no prlimit or /usr/bin/time"
fi

# Control bytes in names: a symbol with ESC, DEL, a C1 control and a byte
# that is not UTF-8, a source file with ESC.  The text report escapes each
# as \xHH (the e-acute, valid UTF-8, stays) and holds no raw control
# byte; the generated suppression has '?' for each, and fed back it
# suppresses the record.
if want escape-names; then
	d=$OUT/escape-names
	mkdir -p "$d"
	(cd "$d" && timeout -k 5 "$LIMIT" "$LC" -q --leak-check=full --gen-suppressions=all \
		"$TP/definite-escape-name") >"$d/out" 2>"$d/err" </dev/null
	rc=$?
	why=
	sym='leak\x1b[31mred\x7f\xc2\x85'$'\xc3\xa9''\xff'
	if [ "$rc" != 0 ]; then
		why="exit $rc"
	elif ! grep -qF -- "$sym (" "$d/err"; then
		why="no escaped symbol [$sym]: $(grep -a -m1 ' by .*red' "$d/err" | cat -v)"
	elif ! grep -qF -- 'do_leak (esc\x1b[7mfile.c:' "$d/err"; then
		why="no escaped file name: $(grep -a -m1 'do_leak' "$d/err" | cat -v)"
	elif LC_ALL=C grep -aq $'[\x01-\x08\x0b-\x1f\x7f]' "$d/err"; then
		why="a raw control byte in the report: $(LC_ALL=C grep -a -m1 $'[\x01-\x08\x0b-\x1f\x7f]' "$d/err" | cat -v)"
	else
		# the suppression, as printed, fed back
		sed -n '/^{/,/^}/p' "$d/err" >"$d/gen.supp"
		(cd "$d" && timeout -k 5 "$LIMIT" "$LC" -q --suppressions="$d/gen.supp" \
			"$TP/definite-escape-name") >"$d/out2" 2>"$d/err2" </dev/null
		grep -q "suppressed: 16 bytes in 1 blocks" "$d/err2" ||
			why="the generated suppression does not suppress it: $(grep -m1 'fun:leak' "$d/gen.supp" | cat -v); $(head -2 "$d/err2")"
	fi
	verdict escape-names "$why"
fi

# Privileged programs: setuid, setgid, with file capabilities.  Run by a
# user other than root, leakcheck refuses them with one line and exit 77
# (traced, the kernel would run them without their privileges); as root
# it runs them.  The unprivileged user: nobody, through setpriv or su;
# skipped when neither can run leakcheck on a plain program here.
as_nobody() {
	if command -v setpriv >/dev/null; then
		setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
	else
		# shellcheck disable=SC2016 # expanded by the inner sh
		su nobody -s /bin/sh -c '"$0" "$@"' "$@"
	fi
}
if want privileged; then
	d=$OUT/privileged
	mkdir -p "$d"
	chmod 755 "$d"
	for k in plain setuid setgid caps; do
		cp "$TP/clean" "$d/$k" && chmod 755 "$d/$k"
	done
	chmod 4755 "$d/setuid"
	chmod 2755 "$d/setgid"
	has_caps=
	command -v setcap >/dev/null && setcap cap_net_raw+ep "$d/caps" 2>/dev/null && has_caps=1
	if [ "$(id -u)" != 0 ]; then
		skip privileged "not root: cannot make a setuid-root program"
	elif ! as_nobody "$LC" -q --leak-check=no "$d/plain" >"$d/plain.out" 2>&1 </dev/null; then
		skip privileged "cannot run leakcheck as nobody here: $(head -1 "$d/plain.out")"
	else
		for k in setuid setgid ${has_caps:+caps}; do
			as_nobody timeout -k 5 "$LIMIT" "$LC" -q --leak-check=no "$d/$k" >"$d/$k.out" 2>"$d/$k.err" </dev/null
			rc=$?
			why=
			if [ "$rc" != 77 ]; then
				why="exit $rc, expected 77: $(head -2 "$d/$k.err")"
			elif [ "$(wc -l <"$d/$k.err")" != 1 ] ||
				! grep -q "cannot run '.*$k'.*run leakcheck as root" "$d/$k.err"; then
				why="not one clear line: $(head -3 "$d/$k.err" | tr '\n' ' ')"
			fi
			verdict "privileged-$k" "$why"
		done
		[ -n "$has_caps" ] || skip privileged-caps "no setcap, or file capabilities not supported here"
		# root: its privileges survive ptrace; it runs
		timeout -k 5 "$LIMIT" "$LC" -q --leak-check=no "$d/setuid" >"$d/root.out" 2>"$d/root.err" </dev/null
		rc=$?
		why=
		[ "$rc" = 0 ] || why="exit $rc as root: $(head -2 "$d/root.err")"
		verdict privileged-root "$why"
	fi
	# no setuid-root files left lying in build/
	rm -f "$d/setuid" "$d/setgid" "$d/caps"
fi

# Command-line errors say what is wrong: a value missing at the end of
# the line, a value given to an option that takes none; -p is --pid.
# (checked before any program runs: nothing is traced)
# usage_case NAME WANT-PATTERN ARGS...
usage_case() {
	local t=$1 pat=$2 why=
	shift 2
	want "$t" || return
	timeout -k 5 "$LIMIT" "$LC" "$@" >"$OUT/$t.out" 2>"$OUT/$t.err" </dev/null
	rc=$?
	if [ "$rc" != 64 ]; then
		why="exit $rc, expected 64: $(head -1 "$OUT/$t.err")"
	elif ! grep -q -- "$pat" "$OUT/$t.err"; then
		why="message [$(head -1 "$OUT/$t.err")] lacks [$pat]"
	fi
	verdict "$t" "$why"
}
usage_case missing-value-long "option '--log-file' needs a value" --log-file
usage_case missing-value-short "option '-p' needs a value" -p
usage_case no-value-expected "option '--quiet' takes no value" --quiet=3 /bin/true
if want pid-short; then
	sleep 60 >/dev/null 2>&1 &
	sp=$!
	timeout -k 5 "$LIMIT" "$LC" -q -p "$sp" --once >"$OUT/pid-short.out" 2>"$OUT/pid-short.err" </dev/null
	rc=$?
	kill "$sp" 2>/dev/null
	wait "$sp" 2>/dev/null
	why=
	[ "$rc" = 0 ] || why="exit $rc: $(head -1 "$OUT/pid-short.err")"
	verdict pid-short "$why"
fi

# --pid of a kernel thread: says so, not "add CAP_SYS_PTRACE"
if want pid-kthread; then
	kt=
	for s in /proc/2/stat /proc/[0-9]*/stat; do
		p=${s#/proc/}
		p=${p%/stat}
		f=$(awk '{ sub(/.*\) /, ""); print $7 }' "$s" 2>/dev/null)
		[ -n "$f" ] && [ $((f & 0x00200000)) != 0 ] && { kt=$p; break; }
	done
	if [ -z "$kt" ]; then
		skip pid-kthread "no kernel thread visible here"
	else
		timeout -k 5 "$LIMIT" "$LC" --pid "$kt" --once >"$OUT/pid-kthread.out" 2>"$OUT/pid-kthread.err" </dev/null
		rc=$?
		why=
		if [ "$rc" != 68 ]; then
			why="exit $rc, expected 68: $(head -1 "$OUT/pid-kthread.err")"
		elif ! grep -q "pid $kt is a kernel thread" "$OUT/pid-kthread.err" ||
			grep -q CAP_SYS_PTRACE "$OUT/pid-kthread.err"; then
			why="message: $(head -1 "$OUT/pid-kthread.err")"
		fi
		verdict pid-kthread "$why"
	fi
fi

# Out of memory: exit 70 with a message, as any fatal error (not SIGABRT,
# 134), and the launched program does not run on.  leakcheck's address
# space is capped (prlimit --pid) once it runs, at its size then plus
# 32 MiB, and the program then makes 4 million live blocks, whose table
# does not fit; the program itself is not capped.
if want oom && command -v prlimit >/dev/null; then
	d=$OUT/oom
	mkdir -p "$d"
	# the braces' redirection keeps bash's "Aborted" notice (an old
	# binary's) out of the output
	{
		"$LC" -q "$TP/oom-many-blocks" "$d/ready" "$d/go" >"$d/out" 2>"$d/err" </dev/null &
		lcpid=$!
		for _ in $(seq 400); do
			[ -s "$d/ready" ] && break
			sleep 0.05
		done
		why=
		prog=$(head -1 "$d/ready" 2>/dev/null)
		vm=$(awk '/^VmSize:/ { print $2 }' "/proc/$lcpid/status" 2>/dev/null)
		if [ -z "$prog" ] || [ -z "$vm" ]; then
			why="the program did not start: $(head -2 "$d/err")"
		elif ! prlimit --pid "$lcpid" --as=$(((vm + 32768) * 1024)) 2>"$d/prlimit.err"; then
			why="prlimit: $(head -1 "$d/prlimit.err")"
		fi
		touch "$d/go"
		# a hang guard only
		for _ in $(seq $((LIMIT * 10))); do
			kill -0 "$lcpid" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$lcpid" 2>/dev/null && kill -9 "$lcpid"
		wait "$lcpid"
		rc=$?
	} 2>/dev/null
	sleep 0.2
	if [ -n "$why" ]; then
		:
	elif [ "$rc" != 70 ]; then
		why="exit $rc, expected 70: $(head -2 "$d/err")"
	elif ! grep -q "out of memory" "$d/err"; then
		why="no message: $(head -2 "$d/err")"
	elif [ -n "$prog" ] && [ -e "/proc/$prog" ] &&
		! awk '{ exit !($3 == "Z" || $3 == "X") }' "/proc/$prog/stat" 2>/dev/null; then
		why="the program is still running after leakcheck exited"
	fi
	[ -n "$prog" ] && kill -9 "$prog" 2>/dev/null
	verdict oom "$why"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
