#!/bin/sh
# Install leakcheck's build and test dependencies on Debian 12 if missing.
# As root it runs apt-get; otherwise it says what to run.
need=""
# golang-go (go tool pprof), libxml2-utils (xmllint), python3: tests/profile.sh
# cmake (ctest): tests/formats.sh ctest-suite
# tmux: tests/jobctl.sh (Ctrl-Z and fg in an interactive bash)
# clang (and its clang++): the testprogs are built with gcc and clang
# libjemalloc-dev, libgoogle-perftools-dev, libmimalloc-dev: the testprogs
#   of other allocators' entry points
# debuginfod (the server): tests/debuginfod.sh
# gdb (its gcore): tests/core.sh takes cores of running testprogs
pkgs="debuginfod gdb gcc g++ clang make cmake pkg-config libunwind-dev libdw-dev libelf-dev zlib1g-dev valgrind golang-go libxml2-utils python3 tmux libjemalloc-dev libgoogle-perftools-dev libmimalloc-dev librust-jemalloc-sys-dev"
# chromium renders the flame graph in tests/profile.sh, which skips that
# test without it: ~110 MB to download (chromium, chromium-common) and
# ~360 MB installed before GTK and X libraries, so only when asked for:
# CHROMIUM=1 ./tests/deps.sh, or make check CHROMIUM=1
[ "${CHROMIUM:-0}" = 1 ] && pkgs="$pkgs chromium"
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need="$need $p"
done
[ -z "$need" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "leakcheck: missing packages:$need; run as root: apt-get update && apt-get install -y$need" >&2
	exit 1
fi
echo "leakcheck: installing:$need"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq && apt-get install -y -qq --no-install-recommends$need >/dev/null || {
	echo "leakcheck: apt-get install failed for:$need" >&2
	exit 1
}
