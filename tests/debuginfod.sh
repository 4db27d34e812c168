#!/bin/bash
# Symbols for stripped programs: separate debug info found through a
# .gnu_debuglink, and through a debuginfod server (Debian's debuginfod,
# on 127.0.0.1) named by DEBUGINFOD_URLS; with the server gone, the
# report still comes, with ??? frames, within the client's timeout.
# Prints one line per test and "N passed, N failed".
# Exit: 0 all passed, 1 some failed, 77 no debuginfod or no ptrace.
cd "$(dirname "$0")/.." || exit 99
LC=${LEAKCHECK:-./leakcheck}
case $LC in /*) ;; *) LC=$PWD/$LC ;; esac
OUT=$PWD/build/debuginfod-out
SRC=testprogs/direct-leak.c
rm -rf "$OUT"
mkdir -p "$OUT/link" "$OUT/served" "$OUT/bare" || exit 99
pass=0
fail=0
ok() { pass=$((pass + 1)); printf 'PASS %s\n' "$1"; }
ko() { fail=$((fail + 1)); printf 'FAIL %s: %s\n' "$1" "$2"; }

for tool in debuginfod objcopy strip python3; do
	command -v $tool >/dev/null || {
		echo "0 passed, 0 failed, all skipped: no $tool (apt-get install debuginfod binutils python3)"
		exit 77
	}
done
# the program: direct-leak with its debug info split off
gcc -O0 -g -o "$OUT/prog" "$SRC" || exit 99
objcopy --only-keep-debug "$OUT/prog" "$OUT/served/prog.debug" || exit 99
cp "$OUT/served/prog.debug" "$OUT/link/prog.debug"
strip --strip-all -o "$OUT/bare/prog" "$OUT/prog" || exit 99
strip --strip-all -o "$OUT/link/prog" "$OUT/prog" &&
	objcopy --add-gnu-debuglink="$OUT/link/prog.debug" "$OUT/link/prog" || exit 99
line=$(grep -n '^	.*= malloc(1024);' "$SRC" | cut -d: -f1)

# frame: the leak's stack in report $1 has "leak (direct-leak.c:LINE)"
frame() { grep -q "by 0x[0-9A-F]*: leak (direct-leak.c:$line)" "$1"; }

if ! "$LC" -q --leak-check=no /bin/true 2>"$OUT/probe.err" && grep -q ptrace "$OUT/probe.err"; then
	echo "0 passed, 0 failed, all skipped: ptrace not permitted"
	exit 77
fi

# 1. a .gnu_debuglink next to the stripped program
env -u DEBUGINFOD_URLS "$LC" --leak-check=full --log-file="$OUT/link.log" "$OUT/link/prog" >/dev/null 2>&1
frame "$OUT/link.log" && ok debuglink || ko debuglink "$(grep -m3 'by 0x' "$OUT/link.log")"

# 2. no debug info anywhere but on a debuginfod server
env -u DEBUGINFOD_URLS "$LC" --leak-check=full --log-file="$OUT/bare.log" "$OUT/bare/prog" >/dev/null 2>&1
grep -q "by 0x[0-9A-F]*: ??? (in $OUT/bare/prog)" "$OUT/bare.log" && ok stripped-unknown ||
	ko stripped-unknown "$(grep -m3 'by 0x' "$OUT/bare.log")"
port=$((20000 + $$ % 20000))
debuginfod -p "$port" -d "$OUT/db.sqlite" -F "$OUT/served" >"$OUT/server.log" 2>&1 &
SRV=$!
bid=$(python3 - "$OUT/prog" <<'PY'
import subprocess, sys
out = subprocess.run(["readelf", "-n", sys.argv[1]], capture_output=True, text=True).stdout
print([l.split()[-1] for l in out.splitlines() if "Build ID" in l][0])
PY
)
# until the server has indexed the file (or gave up)
served=0
for _ in $(seq 200); do
	if python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=2)" \
		"http://127.0.0.1:$port/buildid/$bid/debuginfo" 2>/dev/null; then
		served=1
		break
	fi
	kill -0 "$SRV" 2>/dev/null || break
	sleep 0.1
done
if [ $served = 0 ]; then
	ko debuginfod "the server did not serve the debug file: $(tail -3 "$OUT/server.log")"
else
	DEBUGINFOD_URLS=http://127.0.0.1:$port DEBUGINFOD_CACHE_PATH=$OUT/cache \
		"$LC" --leak-check=full --log-file="$OUT/served.log" "$OUT/bare/prog" >/dev/null 2>&1
	frame "$OUT/served.log" && ok debuginfod || ko debuginfod "$(grep -m3 'by 0x' "$OUT/served.log")"
fi
kill "$SRV" 2>/dev/null
wait "$SRV" 2>/dev/null

# 3. the server gone: the report still comes (??? frames); a hang would
# be the timeout's kill, not a slow machine
DEBUGINFOD_URLS=http://127.0.0.1:$port DEBUGINFOD_CACHE_PATH=$OUT/cache2 \
	timeout -k 5 120 "$LC" --leak-check=full --log-file="$OUT/gone.log" "$OUT/bare/prog" >/dev/null 2>&1
rc=$?
grep -q "1,024 bytes in 1 blocks are definitely lost" "$OUT/gone.log" && [ $rc = 0 ] &&
	grep -q "??? (in $OUT/bare/prog)" "$OUT/gone.log" && ok debuginfod-gone ||
	ko debuginfod-gone "status $rc: $(grep -m2 'lost\|by 0x' "$OUT/gone.log")"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
