# shellcheck shell=bash
# Sourced by tests/run.sh and tests/valgrind-compare.sh: the build
# variants of the testprogs, the lines of a testprog's header comment, and
# the two readings of a report both scripts make (the LEAK SUMMARY, and
# the loss records' stacks).  Reports are memcheck's text, from valgrind or
# from leakcheck, which writes the same layout.
#
# A testprog's header comment holds lines "KEY: VALUE" (see tests/run.sh
# for the keys).  A line "KEY[V1,V2...]: VALUE" applies to the listed
# variants only (shell patterns: EXPECT[*-O2]), and for them it replaces
# every plain "KEY:" line; the source says why that variant differs.

# The variants, in the order they are run; $VARIANTS restricts them.
TP_ALL_VARIANTS="gcc-O0 gcc-O2 clang-O0 clang-O2"
tp_variants() { echo "${VARIANTS:-$TP_ALL_VARIANTS}"; }

# tp_dir VARIANT: where the Makefile puts that variant's testprogs
tp_dir() {
	case $1 in
	gcc-O0) echo build/testprogs ;;
	*) echo "build/testprogs-$1" ;;
	esac
}

# tp_known_variant V: V is one the Makefile builds
tp_known_variant() { case " $TP_ALL_VARIANTS " in *" $1 "*) return 0 ;; esac; return 1; }

# tp_lines SRC KEY VARIANT: the values of the KEY lines that apply to
# VARIANT, one per line, in source order.  A key is matched whole, at the
# start of a comment line ("EXPECT" is not "VG-EXPECT" nor "EXPECT-STATUS").
tp_lines() {
	awk -v key="$2" -v variant="$3" '
	function glob_re(g) { gsub(/[.+?(){}|^$\\]/, "\\\\&", g); gsub(/\*/, ".*", g); return "^(" g ")$" }
	{
		line = $0
		sub(/^[ \t]*(\/\*+|\*+|\/\/)?[ \t]*/, "", line)
		if (substr(line, 1, length(key)) != key)
			next
		rest = substr(line, length(key) + 1)
		if (rest ~ /^:/) {
			plain[++np] = rest
		} else if (rest ~ /^\[[^]]+\]:/) {
			spec = substr(rest, 2, index(rest, "]") - 2)
			rest = substr(rest, index(rest, "]") + 1)
			n = split(spec, pats, ",")
			for (i = 1; i <= n; i++)
				if (variant ~ glob_re(pats[i])) { own[++no] = rest; break }
		}
	}
	function out(s) { sub(/^:[ \t]*/, "", s); sub(/[ \t]*(\*\/)?[ \t]*$/, "", s); print s }
	END {
		if (no) { for (i = 1; i <= no; i++) out(own[i]) }
		else for (i = 1; i <= np; i++) out(plain[i])
	}' "$1"
}

# tp_has SRC KEY: the source has a KEY line, plain or for some variant
tp_has() { grep -Eq "^[[:space:]]*(/\\*+|\\*+|//)?[[:space:]]*$2(\\[[^]]+\\])?:" "$1"; }

# tp_unknown_names SRC FAMILY NAMES: the names in SRC's KEY[...] lines of
# FAMILY (ALLOC: the ALLOC-* keys of tests/allocators.sh, which name
# allocators; VARIANT: every other key) that match none of NAMES (a typo
# would silently apply to nothing)
tp_unknown_names() {
	local - src=$1 family=$2 names=$3 pat n ok keep=-v
	set -f # a pattern is not a file name
	[ "$family" = ALLOC ] && keep=-e
	for pat in $(grep "$keep" '^[[:space:]]*\**[[:space:]]*ALLOC-' "$src" |
		sed -n 's/^[[:space:]]*\**[[:space:]]*[A-Z-]*\[\([^]]*\)\]:.*/\1/p' | tr ',' ' '); do
		ok=
		for n in $names; do
			# shellcheck disable=SC2254
			case $n in $pat) ok=1 ;; esac
		done
		[ -n "$ok" ] || echo "$pat"
	done
}

# tp_bad_variants SRC: the variant names in KEY[...] lines that match no
# variant the Makefile builds
tp_bad_variants() { tp_unknown_names "$1" VARIANT "$TP_ALL_VARIANTS"; }

# Summaries in the report files $@ as "definite=B/N indirect=... ", one
# line per process, sorted; with " suppressed=B/N" when $SUPP is 1.
summaries() {
	for f in "$@"; do
		[ -e "$f" ] || continue
		awk -v supp="${SUPP:-0}" '
		function num(s) { gsub(",", "", s); return s }
		/All heap blocks were freed/ { d="0/0"; i="0/0"; p="0/0"; r="0/0"; got=1 }
		/definitely lost: [0-9,]+ bytes in/ { d=num($(NF-4)) "/" num($(NF-1)); got=1 }
		/indirectly lost: [0-9,]+ bytes in/ { i=num($(NF-4)) "/" num($(NF-1)) }
		/possibly lost: [0-9,]+ bytes in/ { p=num($(NF-4)) "/" num($(NF-1)) }
		/still reachable: [0-9,]+ bytes in/ { r=num($(NF-4)) "/" num($(NF-1)) }
		/suppressed: [0-9,]+ bytes in/ { s=num($(NF-4)) "/" num($(NF-1)) }
		/no scan was possible/ { print "unclassified"; exit }
		END { if (got) printf "definite=%s indirect=%s possible=%s reachable=%s%s\n", d, i, p, r, supp == 1 ? " suppressed=" (s == "" ? "0/0" : s) : "" }
		' "$f"
	done | sort
}

# got_summaries WANT REPORT...: summaries of the reports, with their
# suppressed: counts when WANT (the expected lines) compares them
got_summaries() {
	local want=$1
	shift
	case $want in
	*suppressed=*) SUPP=1 summaries "$@" ;;
	*) summaries "$@" ;;
	esac
}

# stack_verdict EXPECTED REPORT...: what the reports' stacks lack, as a
# test's failure says it ("no record [...]; KIND records: [...]", the
# first three records of that kind), or nothing when every line of
# EXPECTED (see stack_misses) has its record
stack_verdict() {
	local want=$1 miss
	shift
	miss=$(stack_misses "$want" "$@") && [ -n "$miss" ] || return 0
	echo "no record [$(echo "$miss" | head -1)]; ${miss%% *} records: [$(stacks_of "${miss%% *}" "$@" | head -3 | paste -sd ';')]"
}

# stack_misses EXPECTED REPORT...: the lines of EXPECTED (EXPECT-STACK
# values, one per line) that no loss record in the reports matches; empty
# when all match.  A line is "KIND F1 <- F2 <- ... <- Fn": KIND is
# definite, indirect, possible or reachable; each F is an extended regex
# that must match a whole function name, "..." stands for any number of
# frames.  A record matches when F1 matches one of its frames and F2..Fn
# the frames right below it, in order: frames above F1 (the allocator's
# insides: leakcheck shows malloc below operator new, valgrind shows
# operator new alone) and below Fn (__libc_start_call_main, "(below
# main)") are not looked at.  A name is compared without its parameter
# list (valgrind writes "leak()" for a C++ function where leakcheck may
# write "leak", and "operator new(unsigned long)" is "operator new"), and
# without the suffix of a gcc clone ("make_list.constprop.0" is
# "make_list"; so are .isra.N, .part.N and .cold).
stack_misses() {
	local want=$1
	shift
	[ -n "$want" ] || return 0
	# (through the environment: awk -v would eat the regexes' backslashes)
	WANT=$want awk '
	function kind_of(s) {
		if (s ~ / are definitely lost /) return "definite"
		if (s ~ / are indirectly lost /) return "indirect"
		if (s ~ / are possibly lost /) return "possible"
		if (s ~ / are still reachable /) return "reachable"
		return ""
	}
	# "0x1234: name (file.c:12)" -> "name"
	function fname(s,    d, i, c) {
		sub(/^[ \t]*(at|by) 0x[0-9A-Fa-f]+: /, "", s)
		sub(/ \((in )?[^()]*\)$/, "", s)
		if (s ~ /^\(/) return s
		sub(/ \[clone [^]]*\]$/, "", s)
		sub(/ const$/, "", s)
		if (s ~ /\)$/) {
			d = 0
			for (i = length(s); i > 0; i--) {
				c = substr(s, i, 1)
				if (c == ")") d++
				else if (c == "(" && --d == 0) break
			}
			if (i > 1) s = substr(s, 1, i - 1)
		}
		while (sub(/\.(constprop|isra|part|cold)(\.[0-9]+)?$/, "", s))
			;
		return s
	}
	# pattern list p[pi..np] against the frames of record r from frame fi
	function match_from(r, pi, fi) {
		if (pi > np) return 1
		if (p[pi] == "...") {
			for (; fi <= nf[r] + 1; fi++)
				if (match_from(r, pi + 1, fi)) return 1
			return 0
		}
		if (fi > nf[r]) return 0
		if (frame[r, fi] !~ ("^(" p[pi] ")$")) return 0
		return match_from(r, pi + 1, fi + 1)
	}
	/ in loss record [0-9,]+ of [0-9,]+$/ { r = ++nr; kind[r] = kind_of($0); nf[r] = 0; next }
	r && /^==[0-9]+==    (at|by) 0x/ { sub(/^==[0-9]+== /, ""); frame[r, ++nf[r]] = fname($0); next }
	{ r = 0 }
	END {
		nw = split(ENVIRON["WANT"], wl, "\n")
		for (w = 1; w <= nw; w++) {
			line = wl[w]
			if (line == "") continue
			k = line; sub(/ .*/, "", k)
			rest = line; sub(/^[^ ]* */, "", rest)
			np = split(rest, p, / <- /)
			found = 0
			for (r = 1; r <= nr && !found; r++) {
				if (kind[r] != k) continue
				for (s = 1; s <= nf[r] && !found; s++)
					if (p[1] == "..." ? match_from(r, 1, s) : (frame[r, s] ~ ("^(" p[1] ")$") && match_from(r, 2, s + 1)))
						found = 1
			}
			if (!found) print line
		}
	}' "$@"
}

# stacks_of KIND REPORT...: the stacks of the KIND records, one per line as
# "F1 <- F2 <- ...", for failure messages
stacks_of() {
	local k=$1
	shift
	awk -v k="$k" '
	/ in loss record [0-9,]+ of [0-9,]+$/ {
		if (s != "") print s
		s = ""; on = ($0 ~ (" are " (k == "definite" ? "definitely lost" : k == "indirect" ? "indirectly lost" : k == "possible" ? "possibly lost" : "still reachable") " "))
		next
	}
	on && /^==[0-9]+==    (at|by) 0x/ { f = $0; sub(/^==[0-9]+==[ \t]*(at|by) 0x[0-9A-Fa-f]+: /, "", f); sub(/ \((in )?[^()]*\)$/, "", f); s = s (s == "" ? "" : " <- ") f; next }
	{ if (s != "") print s; s = ""; on = 0 }
	END { if (s != "") print s }' "$@" | sort -u
}

# held_misses EXPECTED REPORT...: the lines of EXPECTED (EXPECT-HELD
# values) that no loss record in the reports matches; empty when all do.
# A line is "KIND FUNC :: REGEX": a record of KIND with a frame named
# FUNC (an extended regex matching the whole name, as in stack_misses)
# whose "held by" lines (--show-holders), the report's prefix and leading
# blanks cut, joined by " | ", match the extended regex REGEX.
held_misses() {
	local want=$1
	shift
	[ -n "$want" ] || return 0
	WANT=$want awk '
	function kind_of(s) {
		if (s ~ / are definitely lost /) return "definite"
		if (s ~ / are indirectly lost /) return "indirect"
		if (s ~ / are possibly lost /) return "possible"
		if (s ~ / are still reachable /) return "reachable"
		return ""
	}
	function fname(s) {
		sub(/^[ \t]*(at|by) 0x[0-9A-Fa-f]+: /, "", s)
		sub(/ \((in )?[^()]*\)$/, "", s)
		while (sub(/\.(constprop|isra|part|cold)(\.[0-9]+)?$/, "", s))
			;
		return s
	}
	/ in loss record [0-9,]+ of [0-9,]+$/ { r = ++nr; kind[r] = kind_of($0); nf[r] = 0; chain[r] = ""; next }
	r && /^==[0-9]+==    (at|by) 0x/ { sub(/^==[0-9]+== /, ""); frame[r, ++nf[r]] = fname($0); next }
	r && /^==[0-9]+== +(held by: |-> )/ { sub(/^==[0-9]+== +/, ""); chain[r] = chain[r] (chain[r] == "" ? "" : " | ") $0; next }
	{ r = 0 }
	END {
		nw = split(ENVIRON["WANT"], wl, "\n")
		for (w = 1; w <= nw; w++) {
			line = wl[w]
			if (line == "") continue
			pos = index(line, " :: ")
			if (!pos) { print line; continue }
			head = substr(line, 1, pos - 1)
			re = substr(line, pos + 4)
			k = head; sub(/ .*/, "", k)
			f = head; sub(/^[^ ]* */, "", f)
			found = 0
			for (r = 1; r <= nr && !found; r++) {
				if (kind[r] != k || chain[r] !~ re) continue
				for (s = 1; s <= nf[r] && !found; s++)
					if (frame[r, s] ~ ("^(" f ")$"))
						found = 1
			}
			if (!found) print line
		}
	}' "$@"
}

# held_of KIND REPORT...: the "held by" chains of the KIND records, one
# per line, for failure messages
held_of() {
	local k=$1
	shift
	awk -v k="$k" '
	/ in loss record [0-9,]+ of [0-9,]+$/ {
		if (s != "") print s
		s = ""; on = ($0 ~ (" are " (k == "definite" ? "definitely lost" : k == "indirect" ? "indirectly lost" : k == "possible" ? "possibly lost" : "still reachable") " "))
		next
	}
	on && /^==[0-9]+==    (at|by) 0x/ { next }
	on && /^==[0-9]+== +(held by: |-> )/ { l = $0; sub(/^==[0-9]+== +/, "", l); s = s (s == "" ? "" : " | ") l; next }
	{ if (s != "") print s; s = ""; on = 0 }
	END { if (s != "") print s }' "$@"
}

# line_misses EXPECTED REPORT...: the lines of EXPECTED (EXPECT-LINE
# values: extended regexes) that match no line of the reports, the
# report's "==PID== " prefix cut
line_misses() {
	local want=$1 re
	shift
	[ -n "$want" ] || return 0
	while IFS= read -r re; do
		[ -n "$re" ] || continue
		sed 's/^==[0-9]*== //' "$@" | grep -Eq -- "$re" || echo "$re"
	done <<<"$want"
}

# skip_without_ptrace: exit 77 (make check's "skipped") with leakcheck's
# own line when this machine does not let it trace ($LC, $OUT set).
skip_without_ptrace() {
	if ! "$LC" -q --leak-check=no /bin/true 2>"$OUT/probe.err" &&
		grep -q 'ptrace' "$OUT/probe.err"; then
		cat "$OUT/probe.err"
		echo "0 passed, 0 failed, all skipped: ptrace not permitted"
		exit 77
	fi
}
