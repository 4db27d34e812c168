#!/bin/bash
# The CI formats: --junit validated against tests/junit.xsd (what Jenkins
# and GitLab accept), names stable across runs and escaped; --xml=yes
# validated against tests/valgrind-xml.rng (valgrind's protocol 4) and
# compared with valgrind's own XML for the same program; "leakcheck
# merge" on a multi-binary suite run under --trace-children=yes.
# Prints one line per test and "N passed, N failed".
# Exit: 0 all passed, 1 some failed, 77 no ptrace or no xmllint.
cd "$(dirname "$0")/.." || exit 99
LC=${LEAKCHECK:-./leakcheck}
LC_ABS=$(realpath "$LC")
TP=build/testprogs
OUT=build/test-out/formats
VALGRIND=${VALGRIND:-valgrind}
rm -rf "$OUT"
mkdir -p "$OUT"
pass=0
fail=0
only=${1:-}

ok() { pass=$((pass + 1)); printf 'PASS %s\n' "$1"; }
ko() { fail=$((fail + 1)); printf 'FAIL %s: %s\n' "$1" "$2"; }
want() { [ -z "$only" ] || [ "$only" = "$1" ]; }

command -v xmllint >/dev/null || {
	echo "0 passed, 0 failed, all skipped: no xmllint (apt-get install libxml2-utils)"
	exit 77
}
if ! "$LC" -q --leak-check=no /bin/true 2>"$OUT/probe.err"; then
	if grep -q 'ptrace' "$OUT/probe.err"; then
		echo "0 passed, 0 failed, all skipped: ptrace not permitted"
		exit 77
	fi
fi

# xpath EXPR FILE: the value, quietly
xp() { xmllint --xpath "$1" "$2" 2>/dev/null; }
valid_junit() { xmllint --noout --schema tests/junit.xsd "$@" 2>"$OUT/xmllint.err"; }
valid_vg() { xmllint --noout --relaxng tests/valgrind-xml.rng "$@" 2>"$OUT/xmllint.err"; }
# run NAME OPTS... -- PROG ARGS...: leakcheck in $TP, report to $OUT
lc() { (cd "$TP" && exec "$LC_ABS" -q --log-file="$LC_ABS.log.tmp" "$@") >/dev/null 2>&1 </dev/null; rm -f "$LC_ABS.log.tmp"; }

# src_line TEXT FILE: the line of testprogs/FILE holding TEXT (the first),
# so the expected stack lines follow the source
src_line() { grep -nF "$1" "testprogs/$2" | head -1 | cut -d: -f1; }

if want junit-leak; then
	f=$PWD/$OUT/leak.xml
	lc --junit="$f" ./indirect-list
	if ! valid_junit "$f"; then
		ko junit-leak "invalid: $(head -3 "$OUT/xmllint.err")"
	elif [ "$(xp 'string(//testsuite/@failures)' "$f")" != 1 ] ||
		[ "$(xp 'string(//testsuites/@tests)' "$f")" != 1 ] ||
		[ "$(xp 'string(//testcase/failure/@type)' "$f")" != "definitely lost" ] ||
		[ "$(xp 'string(//testcase/@name)' "$f")" != "definitely lost in make_list from leak_list from main" ] ||
		[ "$(xp 'string(//testcase/@file)' "$f")" != "testprogs/indirect-list.c" ] ||
		! xp 'string(//failure)' "$f" | grep -q "by 0x[0-9A-F]*: leak_list (indirect-list.c:$(src_line 'make_list(5);' indirect-list.c))"; then
		ko junit-leak "unexpected content: $(grep testcase "$f" | head -2)"
	else
		ok junit-leak
	fi
fi

if want junit-kinds; then
	# reachable shown but not an error: a passing testcase
	f=$PWD/$OUT/kinds.xml
	lc --junit="$f" --show-leak-kinds=all ./indirect-list
	if valid_junit "$f" && [ "$(xp 'count(//testcase)' "$f")" = 2 ] &&
		[ "$(xp 'count(//failure)' "$f")" = 1 ] &&
		[ "$(xp 'string(//testcase[1]/@name)' "$f")" = "indirectly lost in make_list from leak_list from main" ]; then
		ok junit-kinds
	else
		ko junit-kinds "$(grep testcase "$f")"
	fi
fi

if want junit-clean; then
	f=$PWD/$OUT/clean.xml
	lc --junit="$f" ./clean
	if valid_junit "$f" && [ "$(xp 'string(//testsuite/@failures)' "$f")" = 0 ] &&
		[ "$(xp 'string(//testcase/@name)' "$f")" = "no leaks" ] &&
		[ "$(xp 'string(//testsuite/@name)' "$f")" = "./clean" ]; then
		ok junit-clean
	else
		ko junit-clean "$(cat "$OUT/xmllint.err"; grep testsuite "$f")"
	fi
fi

if want junit-cxx; then
	f=$PWD/$OUT/cxx.xml
	lc --junit="$f" ./cxx-template-leak
	n1="definitely lost in Pair<int, char>* make_box<Pair<int, char> >(Pair<int, char> const&) from keep_two from main"
	if ! valid_junit "$f"; then
		ko junit-cxx "invalid: $(head -3 "$OUT/xmllint.err")"
	elif [ "$(xp 'string(//testcase[1]/@name)' "$f")" != "$n1" ] ||
		[ "$(xp 'string(//testcase[2]/@name)' "$f")" != "$n1 (2)" ] ||
		[ "$(xp 'count(//failure)' "$f")" != 4 ] ||
		[ "$(xp 'string(//testcase[1]/@line)' "$f")" != "$(src_line 'return new T(v);' cxx-template-leak.cc)" ]; then
		ko junit-cxx "$(xp '//testcase/@name' "$f")"
	else
		ok junit-cxx
	fi
fi

if want junit-stable; then
	# byte-identical names over two runs (ASLR moves every address)
	res=ok
	for p in cxx-template-leak indirect-list direct-leak; do
		lc --junit="$PWD/$OUT/stable1.xml" --show-leak-kinds=all ./$p
		lc --junit="$PWD/$OUT/stable2.xml" --show-leak-kinds=all ./$p
		xp '//testcase/@name' "$OUT/stable1.xml" >"$OUT/names1"
		xp '//testcase/@name' "$OUT/stable2.xml" >"$OUT/names2"
		if ! [ -s "$OUT/names1" ] || ! cmp -s "$OUT/names1" "$OUT/names2"; then
			res="$p: $(diff "$OUT/names1" "$OUT/names2" | head -4)"
		elif grep -Eq '(^|[ ("])0x|loss record' "$OUT/names1"; then
			res="$p: an address or record number in a name"
		fi
	done
	[ "$res" = ok ] && ok junit-stable || ko junit-stable "$res"
fi

if want junit-escape; then
	# a command line with bytes that are not UTF-8, a control character
	# and markup: still valid XML
	f=$PWD/$OUT/escape.xml
	lc --junit="$f" ./clean "$(printf 'a\377b\001<&>"\t\nz')"
	name=$(xp 'string(//testsuite/@name)' "$f")
	if valid_junit "$f" && [ "$name" = "$(printf './clean a\357\277\275b<&>"\t\nz')" ]; then
		ok junit-escape
	else
		ko junit-escape "$(cat "$OUT/xmllint.err") name [$name]"
	fi
fi

if want vgxml; then
	f=$PWD/$OUT/vg.xml
	lc --xml=yes --xml-file="$f" --leak-check=full --show-leak-kinds=all ./indirect-list
	if ! valid_vg "$f"; then
		ko vgxml "invalid: $(head -3 "$OUT/xmllint.err")"
	elif [ "$(xp 'string(//error[2]/kind)' "$f")" != Leak_DefinitelyLost ] ||
		[ "$(xp 'string(//error[2]/xwhat/leakedbytes)' "$f")" != 160 ]; then
		ko vgxml "unexpected content"
	else
		ok vgxml
	fi
fi

if want vgxml-valgrind; then
	# the same errors, texts and function stacks as valgrind's own XML
	if ! command -v "$VALGRIND" >/dev/null; then
		ok "vgxml-valgrind (skipped: no valgrind)"
	else
		res=ok
		for p in indirect-list direct-leak; do
			lc --xml=yes --xml-file="$PWD/$OUT/vg-lc.xml" --leak-check=full ./$p
			(cd "$TP" && "$VALGRIND" -q --xml=yes --xml-file="../../$OUT/vg-vg.xml" \
				--leak-check=full ./$p) >/dev/null 2>&1 </dev/null
			if ! valid_vg "$OUT/vg-vg.xml"; then
				res="valgrind's own XML for $p does not validate: $(head -2 "$OUT/xmllint.err")"
				break
			fi
			for q in '//error/kind' '//error/xwhat/text' '//error/xwhat/leakedbytes' \
				'//error/xwhat/leakedblocks' '//error/stack/frame/fn' \
				'//error/stack/frame/line' '//error/stack/frame/file'; do
				xp "$q" "$OUT/vg-lc.xml" >"$OUT/q1"
				xp "$q" "$OUT/vg-vg.xml" >"$OUT/q2"
				if ! cmp -s "$OUT/q1" "$OUT/q2"; then
					res="$p $q: $(diff "$OUT/q1" "$OUT/q2" | head -4 | tr '\n' ' ')"
				fi
			done
		done
		[ "$res" = ok ] && ok vgxml-valgrind || ko vgxml-valgrind "$res"
	fi
fi

if want merge-suite; then
	d=$PWD/$OUT/suite
	mkdir -p "$d"
	"$LC" -q --log-file="$d/log.%p" --trace-children=yes --junit="$d/junit.%p.xml" \
		sh testprogs/suite.sh "$TP" >/dev/null 2>&1 </dev/null
	m=$PWD/$OUT/merged.xml
	"$LC" merge "$m" "$d" 2>"$OUT/merge.err"
	rc=$?
	names=$(xp '//testsuite/@name' "$m" | tr '\n' ' ')
	ntests=$(xp 'count(//testcase)' "$m")
	nfail=$(xp 'count(//failure)' "$m")
	if [ "$rc" != 0 ]; then
		ko merge-suite "exit $rc: $(cat "$OUT/merge.err")"
	elif ! valid_junit "$m"; then
		ko merge-suite "invalid: $(head -3 "$OUT/xmllint.err")"
	elif ! echo "$names" | grep -q 'direct-leak"' || ! echo "$names" | grep -q 'clean"' ||
		! echo "$names" | grep -q 'cxx-template-leak"' || ! echo "$names" | grep -q 'suite.sh'; then
		ko merge-suite "binaries missing: $names"
	elif [ "$(xp 'string(/testsuites/@tests)' "$m")" != "$ntests" ] ||
		[ "$(xp 'string(/testsuites/@failures)' "$m")" != "$nfail" ] || [ "$nfail" -lt 5 ]; then
		ko merge-suite "totals: tests $ntests failures $nfail, header $(sed -n 3p "$m")"
	else
		# merging again, the output among the inputs, changes nothing
		cp "$m" "$OUT/merged1.xml"
		"$LC" merge "$m" "$d" "$m" 2>/dev/null
		if cmp -s "$m" "$OUT/merged1.xml"; then
			ok merge-suite
		else
			ko merge-suite "second merge differs"
		fi
	fi
fi

# ctest under leakcheck --trace-children=yes --error-exitcode=99: ctest
# itself sees the two leaking tests fail (each test process exits 99) and
# the clean one pass; the merged JUnit says the same, and ctest, which
# frees all it allocates, is no failure (glibc's setenv array and stdio
# buffers were, before freeres).  Skipped without cmake.
if want ctest-suite && command -v ctest >/dev/null && command -v cmake >/dev/null; then
	d=$PWD/$OUT/ctest
	rm -rf "$d"
	mkdir -p "$d/junit"
	if ! cmake -S tests/ctest-suite -B "$d/b" -DTP="$PWD/$TP" >"$d/cmake.log" 2>&1; then
		ko ctest-suite "cmake: $(tail -3 "$d/cmake.log")"
	else
		(cd "$d/b" && "$LC_ABS" -q --trace-children=yes --error-exitcode=99 \
			--junit="$d/junit/junit.%p.xml" --log-file="$d/log.%p" ctest) \
			>"$d/ctest.out" 2>&1 </dev/null
		rc=$?
		"$LC" merge "$d/merged.xml" "$d/junit" 2>/dev/null
		why=
		grep -qE 'Test +#1: direct-leak \.+\*\*\*Failed' "$d/ctest.out" || why="direct-leak not failed"
		grep -qE 'Test +#2: clean \.+ +Passed' "$d/ctest.out" || why="$why; clean not passed"
		grep -qE 'Test +#3: cxx-template-leak \.+\*\*\*Failed' "$d/ctest.out" || why="$why; cxx-template-leak not failed"
		[ "$rc" = 99 ] || why="$why; leakcheck exit $rc"
		# failures: direct-leak's and cxx-template-leak's loss records,
		# none in ctest's or clean's testsuite
		for n in ctest clean; do
			f=$(xp "string(//testsuite[contains(@name, '$n')]/@failures)" "$d/merged.xml")
			[ "$f" = 0 ] || why="$why; $n has failures='$f'"
		done
		[ "$(xp 'count(//testsuite)' "$d/merged.xml")" = 4 ] || why="$why; $(xp 'count(//testsuite)' "$d/merged.xml") testsuites, expected 4"
		[ -z "$why" ] && ok ctest-suite || ko ctest-suite "${why#; }: $(tail -5 "$d/ctest.out" | tr '\n' ' ')"
	fi
fi

# merge: bad inputs are refused with the file and line, nothing written
merr() { # name expected-status pattern args...
	local name=$1 st=$2 pat=$3 rc
	shift 3
	want "merge-$name" || return
	rm -f "$OUT/bad-out.xml"
	"$LC" merge "$OUT/bad-out.xml" "$@" >/dev/null 2>"$OUT/merr.err"
	rc=$?
	if [ "$rc" != "$st" ]; then
		ko "merge-$name" "exit $rc, expected $st ($(cat "$OUT/merr.err"))"
	elif ! grep -q -- "$pat" "$OUT/merr.err" || [ "$(wc -l <"$OUT/merr.err")" != 1 ]; then
		ko "merge-$name" "message [$(cat "$OUT/merr.err")] lacks '$pat'"
	elif [ -e "$OUT/bad-out.xml" ]; then
		ko "merge-$name" "output written anyway"
	else
		ok "merge-$name"
	fi
}
[ -s "$OUT/clean.xml" ] || lc --junit="$PWD/$OUT/clean.xml" ./clean
head -n 5 "$OUT/clean.xml" >"$OUT/truncated.xml"
sed '4s/tests="1" failures/tests="x" failures/' "$OUT/clean.xml" >"$OUT/badnum.xml"
printf '<?xml version="1.0"?>\n<testsuites>\n</testsuites>\n' >"$OUT/foreign.xml"
merr truncated 65 "truncated.xml' line 6: .*expected </testsuite>" "$OUT/clean.xml" "$OUT/truncated.xml"
merr badnum 65 "badnum.xml' line 4: .*with name, tests" "$OUT/badnum.xml"
merr foreign 65 "foreign.xml' line 1: .*XML declaration" "$OUT/foreign.xml"
merr missing 66 "cannot read" "$OUT/no-such.xml"
merr usage 64 "usage: leakcheck merge"

if want cli-xml; then
	"$LC" --xml=yes /bin/true >/dev/null 2>"$OUT/cli.err"
	rc1=$?
	"$LC" --xml-file=x.xml /bin/true >/dev/null 2>"$OUT/cli2.err"
	rc2=$?
	if [ "$rc1" = 64 ] && [ "$rc2" = 64 ] && grep -q "needs --xml-file" "$OUT/cli.err" &&
		grep -q "needs --xml=yes" "$OUT/cli2.err"; then
		ok cli-xml
	else
		ko cli-xml "exit $rc1 $rc2: $(cat "$OUT/cli.err" "$OUT/cli2.err")"
	fi
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
