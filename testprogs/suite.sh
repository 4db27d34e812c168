#!/bin/sh
# suite: a small multi-binary test suite, as "make check" runs one, for
# tests/formats.sh: leakcheck --trace-children=yes --junit=DIR/junit.%p.xml
# sh testprogs/suite.sh BINDIR, then "leakcheck merge" must report every
# binary: direct-leak (leaks), clean (none), cxx-template-leak (C++).
bin=${1:-build/testprogs}
"$bin/direct-leak" || exit 1
"$bin/clean" || exit 1
"$bin/cxx-template-leak" || exit 1
