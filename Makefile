# leakcheck: plain Makefile.  `make`, `make check`, `make demo`, `make install`.
#
#   make DEBUG=1   -O0 -g3 with ASan/UBSan
#   make WERROR=0  warnings are not errors

ARCH    ?= x86_64
PREFIX  ?= /usr/local
DESTDIR ?=
VERSION := 0.1.0

CC      ?= cc
PKGS    := libunwind-ptrace libdw zlib
DEBUG   ?= 0
WERROR  ?= 1

WARN := -std=gnu11 -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes \
	-Wmissing-prototypes -Wold-style-definition -Wwrite-strings -Wvla \
	-Wimplicit-fallthrough -Wundef -Wpointer-arith -Wno-unused-parameter
ifeq ($(WERROR),1)
WARN += -Werror
endif

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

ifeq ($(DEBUG),1)
SAN := -fsanitize=address,undefined
OPT := -O0 -g3 $(SAN) -fno-omit-frame-pointer
BUILD := build/debug
else
SAN :=
OPT := -O2 -g
BUILD := build/release
endif

CPPFLAGS_ALL = -Iinclude -Isrc -Isrc/arch/$(ARCH) -D_GNU_SOURCE \
	-DLEAKCHECK_VERSION='"$(VERSION)"' $(PKG_CFLAGS) $(CPPFLAGS)
CFLAGS_ALL = $(WARN) $(OPT) -MMD -MP $(CFLAGS)
# libstdc++ only for __cxa_demangle (C++ names in reports)
LDLIBS_ALL = $(PKG_LIBS) -lm -lpthread -Wl,--push-state,--no-as-needed -lstdc++ -Wl,--pop-state $(LDLIBS)

# (src/arch/$(ARCH)/target/: code for the traced program, see fastwalk.s)
SRCS := $(wildcard src/*/*.c) $(wildcard src/arch/$(ARCH)/*.c)
# code copied into the traced program (data to leakcheck itself)
ASM_SRCS := $(wildcard src/arch/$(ARCH)/*.S)
OBJS := $(SRCS:%.c=$(BUILD)/%.o) $(ASM_SRCS:%.S=$(BUILD)/%.o)
# everything but main: what the unit tests link against
LIB_OBJS := $(filter-out $(BUILD)/src/cli/%,$(OBJS))

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
# tests/unwind-harness.c: the unwinder on a traced child whose call chain
# is built with frame pointers (-O0) and with CFI only (-O2)
HARNESS_BINS := $(BUILD)/tests/unwind-harness-O0 $(BUILD)/tests/unwind-harness-O2

# Every testprog is built four ways, as users build programs: gcc and
# clang, at -O0 and -O2 (tests/run.sh and tests/valgrind-compare.sh run
# each one).  gcc-O0 is build/testprogs/NAME, the path the other tests
# use; the others are build/testprogs-VARIANT/NAME, at the same depth, so
# that paths relative to the program's directory (OPTS' ../../testprogs/,
# dlopen's ./lib-dlopen-leak.so) work from each, and each variant loads
# its own variant's library.
TP_VARIANTS := gcc-O0 gcc-O2 clang-O0 clang-O2
tp_dir = build/testprogs$(if $(filter gcc-O0,$(1)),,-$(1))
TP_C     := $(wildcard testprogs/*.c)
TP_CXX   := $(wildcard testprogs/*.cc)
TP_NAMES := $(TP_C:testprogs/%.c=%) $(TP_CXX:testprogs/%.cc=%)
TP_BINS  := $(foreach v,$(TP_VARIANTS),$(addprefix $(call tp_dir,$(v))/,$(TP_NAMES)))
# a variant's compilers and options: TP_VARIANT is set per directory below;
# a "LIBS: -lfoo" line in a testprog's source links it with those
TP_CC_gcc    := gcc
TP_CXX_gcc   := g++
TP_CC_clang  := clang
TP_CXX_clang := clang++
TP_OPT_O0    := -O0 -fno-omit-frame-pointer
TP_OPT_O2    := -O2
tp_word = $(word $(1),$(subst -, ,$(TP_VARIANT)))
TP_CFLAGS = $(TP_OPT_$(call tp_word,2)) -g -Wall -Wno-unused-result -pthread
TP_CC     = $(TP_CC_$(call tp_word,1))
TP_CXX    = $(TP_CXX_$(call tp_word,1))

.PHONY: all deps check check-unit check-asan check-dogfood check-attach check-jobctl check-heapwalk check-safeio check-core check-progs check-formats check-profile check-cgo check-valgrind demo testprogs \
	install clean format format-check tidy bench bench-progs

all: leakcheck

leakcheck: $(BUILD)/leakcheck
	@cp $< $@.tmp && mv -f $@.tmp $@

# V=1 shows the commands
Q := $(if $(filter 1,$(V)),,@)

$(BUILD)/leakcheck: $(OBJS) | deps-ok
	@echo "  LD $@"
	$(Q)$(CC) $(OPT) -o $@ $(OBJS) $(LDLIBS_ALL) $(LDFLAGS)

$(BUILD)/%.o: %.c | deps-ok
	@mkdir -p $(dir $@)
	@echo "  CC $<"
	$(Q)$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -c -o $@ $<

# src/unwind/walk.c is freestanding, to run inside the traced program:
# no libc, no stack protector (tests/cfiwalk.sh checks it needs no symbol)
$(BUILD)/src/unwind/walk.o: CFLAGS_ALL += -ffreestanding -fno-stack-protector

# The walk the fast path makes in the traced program (target/fastwalk.c, with
# src/unwind/walk.c): compiled to position-independent freestanding
# assembly that fast.S includes in the code it places in the program,
# its section and alignment directives taken out (its section is data to
# the assembler: padding would be zeros, not no-ops, where code falls
# through to an aligned label); it must reach nothing outside itself (no
# PLT, GOT, data or constants of its own: checked here).
FASTWALK_CFLAGS := -std=gnu11 -O2 -fPIC -ffreestanding -fno-builtin \
	-fno-stack-protector -fno-asynchronous-unwind-tables -fno-unwind-tables \
	-fno-jump-tables -fcf-protection=none -fvisibility=hidden \
	-fno-semantic-interposition -mgeneral-regs-only
FASTWALK_S := $(BUILD)/src/arch/$(ARCH)/fastwalk.s

$(FASTWALK_S): src/arch/$(ARCH)/target/fastwalk.c | deps-ok
	@mkdir -p $(dir $@)
	@echo "  CC -S $@"
	$(Q)$(CC) -S $(WARN) -MMD -MP -MT $@ -MF $(@:.s=.d) -Iinclude -Isrc/arch/$(ARCH) -Isrc/unwind \
		$(FASTWALK_CFLAGS) -o $@.tmp $<
	$(Q)sed -E '/^[[:space:]]*\.(file|text|ident|section|previous|globl|p2align|align|balign)([[:space:]]|$$)/d' $@.tmp >$@.tmp2
	$(Q)if grep -nE '@PLT|@GOT|\.(data|bss|comm|rodata|local)' $@.tmp2; then \
		echo "$@: the walk reaches outside itself" >&2; rm -f $@.tmp $@.tmp2; exit 1; fi
	$(Q)mv -f $@.tmp2 $@ && rm -f $@.tmp

$(BUILD)/src/arch/$(ARCH)/fast.o: $(FASTWALK_S)
$(BUILD)/src/arch/$(ARCH)/fast.o: CPPFLAGS_ALL += -I$(BUILD)/src/arch/$(ARCH)

$(BUILD)/%.o: %.S | deps-ok
	@mkdir -p $(dir $@)
	@echo "  AS $<"
	$(Q)$(CC) $(CPPFLAGS_ALL) -MMD -MP -c -o $@ $<

$(BUILD)/tests/test_%: tests/unit/test_%.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	@echo "  CC $@"
	$(Q)$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -Itests/unit -o $@ $< $(LIB_OBJS) $(LDLIBS_ALL)

$(BUILD)/tests/unwind-harness-O0: HARNESS_OPT := -O0 -g
$(BUILD)/tests/unwind-harness-O2: HARNESS_OPT := -O2 -g -fomit-frame-pointer
$(BUILD)/tests/unwind-harness-%: tests/unwind-harness.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	@echo "  CC $@"
	$(Q)$(CC) $(CPPFLAGS_ALL) $(WARN) $(HARNESS_OPT) $(SAN) $(CFLAGS) -o $@ $< $(LIB_OBJS) $(LDLIBS_ALL)

# Fails with a clear line when the build dependencies are missing.
.PHONY: deps-ok
deps-ok:
	@pkg-config --exists $(PKGS) || { echo "leakcheck: missing build dependencies ($(PKGS)); run 'make deps' (as root) or: apt-get install libunwind-dev libdw-dev zlib1g-dev pkg-config" >&2; exit 1; }

# Installs what building and testing need, on Debian 12.
deps:
	@./tests/deps.sh

testprogs: $(TP_BINS)

define tp_build_c
	@mkdir -p $(@D)
	@if grep -q 'BUILD: *static' $<; then \
		echo "  CC (static) $@"; $(TP_CC) $(TP_CFLAGS) -static -o $@ $< ; \
	elif grep -q 'BUILD: *shlib' $<; then \
		echo "  CC (shlib) $@.so"; $(TP_CC) $(TP_CFLAGS) -shared -fPIC -o $@.so $< && touch $@; \
	else \
		echo "  CC $@"; $(TP_CC) $(TP_CFLAGS) -o $@ $< -ldl $$(sed -n 's/.*LIBS: *//p' $<); \
	fi
endef

define tp_build_cxx
	@mkdir -p $(@D)
	@echo "  CXX $@"; $(TP_CXX) $(TP_CFLAGS) -o $@ $< $$(sed -n 's/.*LIBS: *//p' $<)
endef

$(foreach v,$(TP_VARIANTS),$(eval $(call tp_dir,$(v))/%: TP_VARIANT := $(v)))
$(foreach v,$(TP_VARIANTS),$(eval $(call tp_dir,$(v))/%: testprogs/%.c ; $$(tp_build_c)))
$(foreach v,$(TP_VARIANTS),$(eval $(call tp_dir,$(v))/%: testprogs/%.cc ; $$(tp_build_cxx)))

$(foreach b,$(TP_BINS),$(if $(findstring /heap-corrupt-,$(b)),$(b))): testprogs/heap-corrupt.h
$(filter %/supp-lsan,$(TP_BINS)): testprogs/supp-lsan.h

# (the harness exits 77, and says SKIP, where ptrace is not permitted)
check-unit: $(UNIT_BINS) $(HARNESS_BINS)
	@set -e; for t in $(UNIT_BINS); do $$t; done
	@for t in $(HARNESS_BINS); do echo "  $$t"; $$t -n 200; r=$$?; \
		[ $$r = 0 ] || [ $$r = 77 ] || exit 1; done

# The unit tests again under ASan/UBSan: leakcheck's own memory is checked.
check-asan:
	@$(MAKE) --no-print-directory DEBUG=1 check-unit

check-progs: leakcheck testprogs
	@./tests/run.sh

# The oracle: every testprog's EXPECT lines against valgrind run with its
# default options (and --leak-check=full), in every build variant.
check-valgrind: leakcheck testprogs
	@./tests/valgrind-compare.sh

# JUnit and valgrind XML validated with xmllint; merge of a suite's files.
check-formats: leakcheck testprogs
	@./tests/formats.sh

# Heap profiles read back by go tool pprof and a decoder of our own.
check-profile: leakcheck testprogs
	@./tests/profile.sh

# Go + cgo: tests/cgo.sh builds testprogs/cgo/ with golang-go (skips
# without it) and checks the C leak's stack and profile.
check-cgo: leakcheck
	@./tests/cgo.sh

# The testprog suite again (gcc -O0 build only: the ASan build is slower)
# with leakcheck itself built with ASan/UBSan:
# a memory error or a leak of leakcheck's own changes its exit status.
check-dogfood:
	@$(MAKE) --no-print-directory DEBUG=1 build/debug/leakcheck
	@VARIANTS=gcc-O0 LEAKCHECK=build/debug/leakcheck ./tests/run.sh

# --pid: attach, report, detach, 100 attach/detach cycles under load
check-attach: leakcheck testprogs
	@./tests/attach.sh

# Who holds it: --holders-of launched and with --pid, --report=new's
# WHAT GREW, and chains against valgrind's who_points_at (through vgdb)
check-holders: leakcheck testprogs
	@./tests/holders.sh

# Job control: --pid of a stopped process, kill -STOP/-CONT, and Ctrl-Z,
# fg, bg in an interactive bash in tmux (exit 77: skipped, no tmux)
check-jobctl: leakcheck testprogs
	@./tests/jobctl.sh || [ $$? = 77 ]

# --pid on heaps corrupted on purpose: one clear warning, no crash, no hang
check-heapwalk: leakcheck testprogs
	@./tests/heapwalk.sh

# Safe inputs and outputs: devices, symlinks and planted names as output
# paths, full disks, bounded input reads, out of memory, control bytes in
# names, setuid programs
check-safeio: leakcheck testprogs
	@./tests/safeio.sh

# --core: cores of testprogs/core-*.c* taken by gdb's gcore and by the
# kernel against --pid --once at the same point, classes, bad cores
# (exit 77: skipped, no gcore)
check-core: leakcheck testprogs
	@./tests/core.sh || [ $$? = 77 ]

# The suites after the unit tests all run, whatever the ones before them
# found; make check fails at the end, naming the suites that failed.
# (a suite that exits 77 was skipped: no ptrace, no tmux)
CHECK_SUITES := tests/layers.sh check-dogfood tests/run.sh tests/allocators.sh tests/cfiwalk.sh tests/attach.sh tests/holders.sh tests/jobctl.sh \
	tests/heapwalk.sh tests/formats.sh tests/profile.sh tests/cgo.sh \
	tests/debuginfod.sh tests/sarif.sh tests/safeio.sh tests/core.sh

check: deps
	@$(MAKE) --no-print-directory leakcheck testprogs
	@$(MAKE) --no-print-directory check-unit
	@$(MAKE) --no-print-directory check-asan
	@failed=; for t in $(CHECK_SUITES); do \
		case $$t in tests/*) ./$$t ;; *) $(MAKE) --no-print-directory $$t ;; esac; \
		r=$$?; [ $$r = 0 ] || [ $$r = 77 ] || failed="$$failed $$t"; \
	done; \
	if [ -n "$$failed" ]; then echo "make check: failed:$$failed" >&2; exit 1; fi

demo: deps
	@$(MAKE) --no-print-directory leakcheck build/testprogs/demo
	./leakcheck --leak-check=full ./build/testprogs/demo

# make bench: leakcheck against native, valgrind, heaptrack and the bare
# int3 floor; knobs (ROUNDS, QUICK, ...) at the top of bench/run.sh.
# Not part of `make check`.
BENCH_PROGS := alloc compute threads4 recurse live1m holders1m
BENCH_BINS  := $(BENCH_PROGS:%=build/bench/%) build/bench/floor \
	build/bench/timeit build/bench/selfrss.so
BENCH_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -pthread

bench-progs: $(BENCH_BINS)

build/bench/%: bench/%.c
	@mkdir -p build/bench
	@echo "  CC $@"
	$(Q)$(CC) $(BENCH_CFLAGS) -o $@ $<

# LSan, the recompiled reference: the microbenchmarks built with clang
# -fsanitize=leak (without clang, none: bench/run.sh says so)
LSAN_CC ?= clang
BENCH_LSAN_BINS := $(filter-out %/live1m,$(BENCH_PROGS:%=build/bench/lsan/%))
bench-progs: $(BENCH_LSAN_BINS)

build/bench/lsan/%: bench/%.c
	@mkdir -p build/bench/lsan
	@echo "  CC $@ (clang -fsanitize=leak)"
	$(Q)if command -v $(LSAN_CC) >/dev/null 2>&1; then \
		$(LSAN_CC) $(BENCH_CFLAGS) -fsanitize=leak -o $@ $<; \
	else echo "  no $(LSAN_CC): no LSan builds"; fi

build/bench/floor: bench/floor.c
	@mkdir -p build/bench
	@echo "  CC $@"
	$(Q)$(CC) $(BENCH_CFLAGS) -o $@ $< $(shell pkg-config --libs libelf 2>/dev/null || echo -lelf)

build/bench/selfrss.so: bench/selfrss.c
	@mkdir -p build/bench
	@echo "  CC $@"
	$(Q)$(CC) $(BENCH_CFLAGS) -shared -fPIC -o $@ $<

bench: leakcheck bench-progs
	@./bench/run.sh

install: leakcheck
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 leakcheck $(DESTDIR)$(PREFIX)/bin/leakcheck
	install -m 644 man/leakcheck.1 $(DESTDIR)$(PREFIX)/share/man/man1/leakcheck.1

format:
	clang-format -i $(SRCS) $(wildcard include/leakcheck/*.h src/*/*.h src/arch/*/*.h) $(UNIT_SRCS)

format-check:
	clang-format --dry-run -Werror $(SRCS) $(wildcard include/leakcheck/*.h src/*/*.h src/arch/*/*.h) $(UNIT_SRCS)

tidy:
	clang-tidy $(SRCS) -- $(CPPFLAGS_ALL) -std=gnu11

clean:
	rm -rf build leakcheck

-include $(OBJS:.o=.d) $(FASTWALK_S:.s=.d)
