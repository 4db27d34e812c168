#!/bin/bash
# Job control under leakcheck: stop and continue as without it.
#
#   - --pid of a stopped process: attach, report, detach, and the process
#     is still stopped (kill -CONT: it runs on, intact); SIGUSR1 and
#     SIGINT are answered meanwhile;
#   - a launched program stopped by kill -STOP: leakcheck stops too (the
#     shell's job is stopped), kill -CONT to the program alone continues
#     both, and SIGTERM to leakcheck while they are stopped ends the
#     program, with its report, as does a SIGKILL of the program;
#   - in tmux, an interactive bash runs testprogs/jobctl-tty (which, as
#     less does, puts the terminal back in its SIGTSTP handler's wake and
#     stops itself): Ctrl-Z, fg, a key, Ctrl-Z, bg (it sets the terminal
#     from the background: SIGTTOU), fg, q.  Without leakcheck first, then
#     under it alone, with kill(0, SIGTSTP) as vi does, as a child of sh,
#     and in a pipeline: each must stop when the program has handled the
#     signal, with the same stop statuses in $? (148 SIGTSTP, 150
#     SIGTTOU), get every key, and end with leakcheck's report and the
#     program's status in $?.
#
# Prints one line per test and "N passed, N failed".
# Exit: 0 all passed, 1 some failed, 77 ptrace not permitted or tmux not
# installed (the tests that need it are skipped, with a SKIP line),
# 99 harness.
cd "$(dirname "$0")/.." || exit 99
LC=${LEAKCHECK:-./leakcheck}
OUT=build/jobctl-out
SERVER=build/testprogs/server
TTYPROG=build/testprogs/jobctl-tty
rm -rf "$OUT"
mkdir -p "$OUT" || exit 99
for b in "$SERVER" "$TTYPROG"; do
	[ -x "$b" ] || { echo "no $b: make testprogs" >&2; exit 99; }
done
pass=0
fail=0
skipped=0
ok() { pass=$((pass + 1)); printf 'PASS %s\n' "$1"; }
ko() { fail=$((fail + 1)); printf 'FAIL %s: %s\n' "$1" "$2"; }

# poll CMD...: until CMD succeeds, 30 s at most (a hang guard, not a
# timing: tstp-pgrp needed more than 10 s once on a loaded machine)
poll() {
	for _ in $(seq 600); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}
# state PID: its state letter (R, S, T, t, Z...), or nothing if gone
state() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1; }
is_state() { [ "$(state "$1")" = "$2" ]; }
not_state() { [ "$(state "$1")" != "$2" ]; }
gone() { ! kill -0 "$1" 2>/dev/null; }
# job-stopped PID: stopped by a signal (T), not by a tracer (t)
job_stopped() { is_state "$1" T; }

if ! "$LC" -q --leak-check=no /bin/true 2>"$OUT/probe.err"; then
	if grep -q 'ptrace' "$OUT/probe.err"; then
		echo "SKIP jobctl: ptrace not permitted: $(head -1 "$OUT/probe.err")"
		echo "0 passed, 0 failed, all skipped"
		exit 77
	fi
fi

# start_server NAME [setsid]: a server in the background, stopped by
# SIGSTOP once it runs; sets SPID.  With setsid, in a session of its own
# (as a service is), else in our process group, as leakcheck is.
start_server() {
	rm -f "$OUT/$1.ready"
	${2:+setsid} "$SERVER" 600 "$OUT/$1.ready" >"$OUT/$1.server" 2>&1 &
	SPID=$!
	poll test -s "$OUT/$1.ready" || { echo "server did not start" >&2; exit 99; }
	[ "$(cat "$OUT/$1.ready")" = "$SPID" ] || { echo "setsid forked" >&2; exit 99; }
	kill -STOP "$SPID"
	poll job_stopped "$SPID" || { echo "server did not stop" >&2; exit 99; }
}
# end_server NAME TEST: the server must still be stopped; CONT, TERM, and
# it must run on and exit 0 with its own check "ok".
end_server() {
	local rc st out=$OUT/$1.server
	shift
	st=$(state "$SPID")
	kill -CONT "$SPID"
	kill -TERM "$SPID"
	wait "$SPID"
	rc=$?
	if [ "$st" != T ]; then
		ko "$1" "the server was not left stopped (state '$st')"
	elif [ "$rc" = 0 ] && grep -q ', ok$' "$out"; then
		ok "$1"
	else
		ko "$1" "server exit $rc: $(tail -2 "$out" | tr '\n' ' ')"
	fi
}
# finish PID: PID must exit within 30 s; sets RC, or kills it
finish() {
	if poll gone "$1"; then
		{ wait "$1"; } 2>/dev/null
		RC=$?
	else
		kill -KILL "$1" 2>/dev/null
		wait "$1" 2>/dev/null
		RC=timeout
	fi
}

# 1. --once on a stopped process: report, detach, still stopped
start_server once
"$LC" --once --pid "$SPID" --log-file="$OUT/once.log" 2>"$OUT/once.err" &
LPID=$!
finish "$LPID"
if [ "$RC" = 0 ] && grep -q "LEAK SUMMARY" "$OUT/once.log" &&
	grep -q "detached from pid $SPID" "$OUT/once.err"; then
	ok attach-stopped-once
else
	ko attach-stopped-once "status $RC (hung?): $(tail -1 "$OUT/once.err")"
fi
end_server once attach-stopped-once-intact

# 2. attached to a stopped service: SIGUSR1 reports, SIGINT detaches
start_server int setsid
"$LC" --pid "$SPID" --log-file="$OUT/int.log" 2>"$OUT/int.err" &
LPID=$!
why=
poll grep -qs "attached to pid" "$OUT/int.err" || why="did not attach"
if [ -z "$why" ]; then
	kill -USR1 "$LPID"
	poll grep -qs "on-demand report" "$OUT/int.err" || why="no report on SIGUSR1"
fi
kill -INT "$LPID"
finish "$LPID"
n=$(grep -cs "LEAK SUMMARY" "$OUT/int.log")
[ -z "$why" ] && [ "$RC" != 0 ] && why="status $RC after SIGINT"
[ -z "$why" ] && [ "$n" != 2 ] && why="$n reports, not 2"
[ -z "$why" ] && ok attach-stopped-usr1-int || ko attach-stopped-usr1-int "$why"
end_server int attach-stopped-int-intact

# 3. a launched program stopped and continued by kill: leakcheck with it;
# SIGTERM to leakcheck while both are stopped: the program's end, its
# report (the server exits 0 at SIGTERM)
rm -f "$OUT/run.ready"
"$LC" --log-file="$OUT/run.log" "$SERVER" 600 "$OUT/run.ready" \
	>"$OUT/run.server" 2>"$OUT/run.err" &
LPID=$!
poll test -s "$OUT/run.ready" || { echo "server did not start under leakcheck" >&2; exit 99; }
SPID=$(cat "$OUT/run.ready")
kill -STOP "$SPID"
poll job_stopped "$LPID" && ok stop-follows-program ||
	ko stop-follows-program "leakcheck is '$(state "$LPID")', not stopped (T), with its program stopped"
kill -CONT "$SPID"
if poll not_state "$LPID" T && not_state "$SPID" T; then
	ok cont-follows-program
else
	ko cont-follows-program "after kill -CONT of the program: leakcheck '$(state "$LPID")', program '$(state "$SPID")'"
fi
kill -STOP "$SPID"
poll job_stopped "$LPID"
kill -TERM "$LPID"
finish "$LPID"
if [ "$RC" = 0 ] && grep -q ', ok$' "$OUT/run.server" &&
	grep -q "LEAK SUMMARY" "$OUT/run.log"; then
	ok term-while-stopped
else
	ko term-while-stopped "status $RC: $(tail -1 "$OUT/run.server") $(tail -1 "$OUT/run.err")"
	kill -KILL "$SPID" 2>/dev/null
fi

# the program killed (SIGKILL) while both are stopped: leakcheck wakes,
# reports, and dies of the same signal
rm -f "$OUT/kill.ready"
"$LC" --log-file="$OUT/kill.log" "$SERVER" 600 "$OUT/kill.ready" \
	>"$OUT/kill.server" 2>"$OUT/kill.err" &
LPID=$!
poll test -s "$OUT/kill.ready" || { echo "server did not start under leakcheck" >&2; exit 99; }
SPID=$(cat "$OUT/kill.ready")
kill -STOP "$SPID"
poll job_stopped "$LPID"
kill -KILL "$SPID"
finish "$LPID"
[ "$RC" = 137 ] && grep -q "LEAK SUMMARY" "$OUT/kill.log" && ok kill-while-stopped ||
	ko kill-while-stopped "status $RC: $(tail -1 "$OUT/kill.err")"

# 4. Terminal job control in an interactive bash, in tmux.
if ! command -v tmux >/dev/null 2>&1; then
	echo "SKIP jobctl-tty: tmux not installed (apt-get install tmux)"
	skipped=1
else
	TMUX_SOCK=$PWD/$OUT/tmux.sock
	tm() { tmux -S "$TMUX_SOCK" "$@"; }
	unset TMUX
	# the screen, wrapped lines joined, with its history
	screen() { tm capture-pane -p -J -S - -t jc; }
	# count TEXT: lines of the screen that contain TEXT
	count() { screen | grep -cF -- "$1"; }
	at_least() { [ "$(count "$2")" -ge "$1" ]; }
	# shell_start: an interactive bash in a new tmux server
	shell_start() {
		tm kill-server 2>/dev/null
		tm -f /dev/null new-session -d -s jc -x 150 -y 50 \
			"env -i PATH='$PATH' HOME='$HOME' TERM=xterm PS1='jc\$ ' bash --norc --noprofile -i" ||
			return 1
		SID=$(tm display -p -t jc '#{pane_pid}')
		tm send-keys -t jc "cd '$PWD'; set -b; echo shell-ready" Enter
		poll at_least 2 "shell-ready"
	}
	# shell_end: the tmux server and whatever still runs in its session
	shell_end() {
		local p
		case $SID in '' | *[!0-9]*) ;; *)
			for p in $(ps -o pid= -s "$SID" 2>/dev/null); do
				[ "$p" != "$SID" ] && [ "$p" != $$ ] &&
					kill -KILL "$p" 2>/dev/null
			done
		esac
		tm kill-server 2>/dev/null
	}
	# step WHAT N TEXT: until the screen shows TEXT N times; else WHY
	step() {
		[ -n "$why" ] && return 1
		poll at_least "$2" "$3" && return 0
		why="$1: no '$3' (x$2) within 30 s; screen: $(screen | grep -v '^$' | tail -4 | tr '\n' '|')"
		return 1
	}
	# keys KEYS...: type them (to the shell, or to the program)
	keys() { [ -z "$why" ] && tm send-keys -t jc "$@"; }

	# drive NAME STATUS CMD: Ctrl-Z, fg, x, Ctrl-Z, bg, fg, q.  Sets
	# STOPS: the job's stop statuses ($? of the stopped job: 128 + the
	# stop signal, as the shell saw it), and WHY if something failed.
	drive() {
		local name=$1 status=$2 cmd=$3
		why=
		shell_start || { why="cannot start tmux"; return; }
		keys "$cmd" Enter
		step start 1 "jobctl-tty: ready"
		keys C-z
		step "Ctrl-Z" 1 "jobctl-tty: suspending"
		step "Ctrl-Z" 1 "Stopped"
		keys 'echo "stop:$?:"' Enter
		step "Ctrl-Z" 1 "stop:1"
		keys "fg" Enter
		step fg 1 "jobctl-tty: resumed 1"
		keys x
		step key 1 "jobctl-tty: key x"
		keys C-z
		step "2nd Ctrl-Z" 2 "jobctl-tty: suspending"
		step "2nd Ctrl-Z" 2 "Stopped"
		keys 'echo "stop:$?:"' Enter
		step "2nd Ctrl-Z" 2 "stop:1"
		# bg: it sets the terminal from the background: SIGTTOU
		keys "bg" Enter
		step bg 3 "Stopped"
		keys 'wait %1; echo "stop:$?:"' Enter
		step bg 3 "stop:1"
		keys "fg" Enter
		step "fg after bg" 1 "jobctl-tty: resumed 2"
		keys q
		step quit 1 "jobctl-tty: quit"
		keys 'echo "exit:$?:"' Enter
		step "\$? $status" 1 "exit:$status:"
		STOPS=$(screen | sed -n 's/^stop:\([0-9]*\):$/\1/p' | paste -sd, -)
		screen >"$OUT/$name.screen"
		shell_end
	}

	# each run must show what the untraced one shows
	drive native-tstp 3 "$TTYPROG self"
	WANT=$STOPS
	[ -z "$why" ] && [ "$WANT" = 148,148,150 ] && ok native-tstp ||
		{ ko native-tstp "${why:-stop statuses $WANT, not 148,148,150 (TSTP, TSTP, TTOU)}"; WANT=; }
	# drive_lc NAME CMD: as drive, under leakcheck, then its report
	drive_lc() {
		local name=$1
		drive "$@"
		if [ -z "$why" ] && ! grep -q "definitely lost: 4,242 bytes in 1 blocks" "$OUT/$name.screen"; then
			why="no report of the 4,242-byte leak on the screen"
		fi
		if [ -z "$why" ] && [ -n "$WANT" ] && [ "$STOPS" != "$WANT" ]; then
			why="the job's stop statuses $STOPS, without leakcheck $WANT"
		fi
		[ -z "$why" ] && ok "$name" || ko "$name" "$why"
	}
	drive_lc tstp-self 3 "$LC $TTYPROG self"
	drive_lc tstp-pgrp 3 "$LC $TTYPROG"
	drive_lc tstp-child 3 "$LC --trace-children=yes sh -c '$TTYPROG self; exit \$?'"
	drive_lc tstp-pipeline 0 "$LC --trace-children=yes sh -c '$TTYPROG self | cat'"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ] || exit 1
[ "$skipped" = 0 ] || exit 77
exit 0
