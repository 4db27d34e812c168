/*
 * unwind-harness: checks and times the unwinder (src/unwind/) on a real
 * traced process.
 *
 * For each scenario it forks a child that does PTRACE_TRACEME, stops once
 * so that the parent can set options, and then calls
 *
 *     main -> unwind_f0 -> unwind_f1 -> unwind_f2 -> unwind_f3
 *
 * where unwind_f3 stops itself.  The child is a fork of this program, so
 * the functions are at the same addresses in both; their extents come from
 * this program's own .symtab.  The parent reads the registers, unwinds,
 * and checks that the stack holds f3, f2, f1, f0, main in that order:
 *
 *   int3   f3 executes int3: pcs[0] is in f3 itself
 *   raise  f3 calls raise(SIGSTOP): the stack starts inside libc
 *   write  f3 calls write(-1, ...); the parent stops the child at the
 *          syscall-entry stop (PTRACE_O_TRACESYSGOOD): pcs[0] is in libc's
 *          write
 *   nocfi  f1 calls f2 through an assembler function with a frame pointer
 *          and no CFI (libunwind must fall back to the frame chain)
 *   bigframe  the same with a 20 KiB frame, which libunwind's own guess
 *          rejects: the unwinder's frame-pointer fallback must step over it
 *   deep   f3 recurses DEEP_LEVELS times through 1 KiB frames before the
 *          int3, so the stack is deeper than the 16 KiB snapshot
 *
 * At each stop it also checks unwind_stack_saved: it copies the child's
 * stack [rsp, end of the mapping), overwrites the live stack with FILL,
 * and checks that the full copy gives unwind_stack's stack, that short
 * copies (0 to 4096 bytes, and 20 KiB in the middle of deep) give a
 * prefix of it (a strict one where the copy is too short for the whole
 * stack) with no FILL word in it, and that starting at the caller's frame
 * (rip = the return address, rsp just above it, found with libunwind's
 * stock accessors) gives unwind_stack's pcs[1..].  Then it puts the stack
 * back.
 *
 * Then it times, on the same stop: the first unwind of a new unwinder
 * (cold: maps, ELF files and CFI are read), REPS more (cached), one after
 * unwind_flush, and with -b libunwind's stock _UPT accessors for
 * comparison.  Build it both at -O0 -g and at -O2 -fomit-frame-pointer
 * (see the end of this comment).  Syscalls per unwind: strace -c
 * ./unwind-harness -n 100000 -s int3 (not strace -f: the children must be
 * free to be traced by the harness); /proc/PID/maps reads: strace -e
 * trace=openat.  -v prints the stacks and the unwinder's own counters.
 *
 * Usage: unwind-harness [-v] [-b] [-n REPS] [-s SCENARIO]
 * Exit: 0 all passed, 1 a check failed, 77 ptrace not permitted, 99 harness
 * error.
 *
 * `make check-unit` builds it both ways (build/release/tests/unwind-harness-O0
 * and -O2) and runs them with -n 200.  By hand, from the top directory:
 *   gcc -std=gnu11 -O2 -g -fomit-frame-pointer -D_GNU_SOURCE -Iinclude \
 *       -o unwind-harness tests/unwind-harness.c \
 *       src/unwind/unwind_libunwind.c src/util/util.c \
 *       $(pkg-config --cflags --libs libunwind-ptrace libelf)
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libunwind.h>
#include <libunwind-ptrace.h>

#include "leakcheck/unwind.h"
#include "leakcheck/util.h"

/* Keep each function a real frame: no inlining, cloning, merging. */
#if defined(__clang__)
#define NOIPA __attribute__((noinline, disable_tail_calls))
#else
#define NOIPA __attribute__((noipa))
#endif
#define DEEP_LEVELS 40
#define MAXPCS 256
#define BATCH 100 /* unwinds per timed batch */

enum scenario {
	S_INT3,  /* int3 in f3 */
	S_RAISE, /* raise(SIGSTOP) in f3 */
	S_WRITE, /* syscall-entry stop of write() called by f3 */
	S_NOCFI, /* int3 in f3, f2 called through a function without CFI */
	S_BIGFRAME, /* ... one with a 20 KiB frame, too big for libunwind */
	S_DEEP,  /* int3 below DEEP_LEVELS 1 KiB frames under f3 */
	S_COUNT
};

static const char *const scenario_names[S_COUNT] = {
	"int3", "raise", "write", "nocfi", "bigframe", "deep",
};

/* ---- the child's call chain ---- */

static volatile int sink;

/* Calls FN(MODE) from a frame with a frame pointer and no CFI. */
int unwind_nocfi(int mode, int (*fn)(int));
__asm__(".text\n"
	".globl unwind_nocfi\n"
	".type unwind_nocfi, @function\n"
	"unwind_nocfi:\n"
	"	push %rbp\n"
	"	mov %rsp, %rbp\n"
	"	call *%rsi\n"
	"	pop %rbp\n"
	"	ret\n"
	".size unwind_nocfi, .-unwind_nocfi\n");

/*
 * The same with a 20 KiB frame: libunwind's own frame-chain guess gives up
 * on a frame pointer more than 16 KiB above the CFA, so this is the case
 * for our fallback.
 */
int unwind_bigframe(int mode, int (*fn)(int));
__asm__(".text\n"
	".globl unwind_bigframe\n"
	".type unwind_bigframe, @function\n"
	"unwind_bigframe:\n"
	"	push %rbp\n"
	"	mov %rsp, %rbp\n"
	"	sub $0x5000, %rsp\n"
	"	call *%rsi\n"
	"	leave\n"
	"	ret\n"
	".size unwind_bigframe, .-unwind_bigframe\n");

NOIPA static int unwind_deep(int n)
{
	volatile char buf[1024];
	int r;

	buf[0] = (char)n;
	if (n > 0)
		r = unwind_deep(n - 1);
	else
		__asm__ volatile("int3");
	r = buf[0];
	return r + sink;
}

NOIPA static int unwind_f3(int mode)
{
	char c = 'x';

	switch (mode) {
	case S_INT3:
	case S_NOCFI:
	case S_BIGFRAME:
		__asm__ volatile("int3");
		break;
	case S_RAISE:
		raise(SIGSTOP);
		break;
	case S_WRITE:
		if (write(-1, &c, 1) < 0)
			sink++;
		break;
	case S_DEEP:
		sink += unwind_deep(DEEP_LEVELS);
		break;
	}
	return sink + 3;
}

NOIPA static int unwind_f2(int mode)
{
	int r = unwind_f3(mode);
	sink = r;
	return r + 2;
}

NOIPA static int unwind_f1(int mode)
{
	int r;

	if (mode == S_NOCFI)
		r = unwind_nocfi(mode, unwind_f2);
	else if (mode == S_BIGFRAME)
		r = unwind_bigframe(mode, unwind_f2);
	else
		r = unwind_f2(mode);
	sink = r;
	return r + 1;
}

NOIPA static int unwind_f0(int mode)
{
	int r = unwind_f1(mode);
	sink = r;
	return r;
}

/* ---- function extents, from our own .symtab ---- */

struct fn {
	const char *name;
	uintptr_t start, end; /* run-time addresses; 0: not found */
};

enum {
	FN_MAIN,
	FN_F0,
	FN_F1,
	FN_F2,
	FN_F3,
	FN_NOCFI,
	FN_BIGFRAME,
	FN_DEEP,
	FN_COUNT
};

static struct fn fns[FN_COUNT] = {
	[FN_MAIN] = { "main", 0, 0 },
	[FN_F0] = { "unwind_f0", 0, 0 },
	[FN_F1] = { "unwind_f1", 0, 0 },
	[FN_F2] = { "unwind_f2", 0, 0 },
	[FN_F3] = { "unwind_f3", 0, 0 },
	[FN_NOCFI] = { "unwind_nocfi", 0, 0 },
	[FN_BIGFRAME] = { "unwind_bigframe", 0, 0 },
	[FN_DEEP] = { "unwind_deep", 0, 0 },
};

static int load_symbols(void)
{
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
	struct stat st;
	const char *img;
	uintptr_t bias = 0;
	Elf64_Addr f0_value = 0;

	if (fd < 0 || fstat(fd, &st) < 0)
		return -1;
	img = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (img == MAP_FAILED)
		return -1;
	eh = (const Elf64_Ehdr *)img;
	sh = (const Elf64_Shdr *)(img + eh->e_shoff);
	for (int i = 0; i < eh->e_shnum; i++) {
		const Elf64_Sym *syms;
		const char *strs;
		size_t n;

		if (sh[i].sh_type != SHT_SYMTAB)
			continue;
		syms = (const Elf64_Sym *)(img + sh[i].sh_offset);
		strs = img + sh[sh[i].sh_link].sh_offset;
		n = sh[i].sh_size / sizeof(*syms);
		for (size_t j = 0; j < n; j++) {
			if (ELF64_ST_TYPE(syms[j].st_info) != STT_FUNC)
				continue;
			for (int k = 0; k < FN_COUNT; k++) {
				if (strcmp(strs + syms[j].st_name, fns[k].name))
					continue;
				fns[k].start = syms[j].st_value;
				fns[k].end = syms[j].st_value + syms[j].st_size;
				if (k == FN_F0)
					f0_value = syms[j].st_value;
			}
		}
	}
	munmap((void *)img, (size_t)st.st_size);
	if (!f0_value)
		return -1;
	bias = (uintptr_t)unwind_f0 - f0_value;
	for (int k = 0; k < FN_COUNT; k++) {
		if (!fns[k].start || fns[k].end <= fns[k].start)
			return -1;
		fns[k].start += bias;
		fns[k].end += bias;
	}
	return 0;
}

static int fn_of(taddr_t pc)
{
	for (int k = 0; k < FN_COUNT; k++)
		if (pc >= fns[k].start && pc < fns[k].end)
			return k;
	return -1;
}

/* Describes PC in BUF: one of ours, or what dladdr knows. */
static const char *describe(taddr_t pc, char *buf, size_t len)
{
	Dl_info info;
	int k = fn_of(pc);

	if (k >= 0) {
		snprintf(buf, len, "%s+%#lx", fns[k].name,
			 (unsigned long)(pc - fns[k].start));
	} else if (dladdr((void *)(uintptr_t)pc, &info) && info.dli_fname) {
		const char *base = strrchr(info.dli_fname, '/');
		snprintf(buf, len, "%s+%#lx (%s)",
			 info.dli_sname ? info.dli_sname : "?",
			 (unsigned long)(pc - (uintptr_t)(info.dli_saddr
						 ? info.dli_saddr
						 : info.dli_fbase)),
			 base ? base + 1 : info.dli_fname);
	} else {
		snprintf(buf, len, "?");
	}
	return buf;
}

static bool in_libc(taddr_t pc, const char *sname)
{
	Dl_info info;

	if (!dladdr((void *)(uintptr_t)pc, &info) || !info.dli_fname ||
	    !strstr(info.dli_fname, "libc.so"))
		return false;
	return !sname || (info.dli_sname && strstr(info.dli_sname, sname));
}

/* ---- the checks ---- */

static int verbose;
static int failures;

static void fail(const char *scen, const char *what)
{
	printf("FAIL %s: %s\n", scen, what);
	failures++;
}

/*
 * Checks that PCS[FROM...] are, in order, the functions in WANT (FN_COUNT
 * terminated), one frame each.
 */
static bool chain_at(const taddr_t *pcs, int n, int from, const int *want)
{
	int i;

	for (i = 0; want[i] != FN_COUNT; i++)
		if (from + i >= n || fn_of(pcs[from + i]) != want[i])
			return false;
	return true;
}

static int find_fn(const taddr_t *pcs, int n, int fn)
{
	for (int i = 0; i < n; i++)
		if (fn_of(pcs[i]) == fn)
			return i;
	return -1;
}

static void check_stack(enum scenario s, const taddr_t *pcs, int n)
{
	static const int chain[] = { FN_F3, FN_F2, FN_F1, FN_F0, FN_MAIN,
				     FN_COUNT };
	static const int nocfi[] = { FN_F3, FN_F2,   FN_NOCFI, FN_F1,
				     FN_F0, FN_MAIN, FN_COUNT };
	static const int bigframe[] = { FN_F3, FN_F2,   FN_BIGFRAME, FN_F1,
					FN_F0, FN_MAIN, FN_COUNT };
	const char *name = scenario_names[s];
	int i;

	switch (s) {
	case S_INT3:
		if (!chain_at(pcs, n, 0, chain))
			fail(name, "stack is not f3 f2 f1 f0 main");
		break;
	case S_NOCFI:
		if (!chain_at(pcs, n, 0, nocfi))
			fail(name, "stack is not f3 f2 nocfi f1 f0 main");
		break;
	case S_BIGFRAME:
		if (!chain_at(pcs, n, 0, bigframe))
			fail(name, "stack is not f3 f2 bigframe f1 f0 main");
		break;
	case S_RAISE:
	case S_WRITE:
		if (!in_libc(pcs[0], s == S_WRITE ? "write" : NULL))
			fail(name, s == S_WRITE ? "pcs[0] is not in libc's write"
						: "pcs[0] is not in libc");
		i = find_fn(pcs, n, FN_F3);
		if (i < 1 || !chain_at(pcs, n, i, chain))
			fail(name, "no f3 f2 f1 f0 main after libc");
		break;
	case S_DEEP:
		for (i = 0; i <= DEEP_LEVELS; i++)
			if (i >= n || fn_of(pcs[i]) != FN_DEEP)
				break;
		if (i != DEEP_LEVELS + 1)
			fail(name, "not DEEP_LEVELS+1 unwind_deep frames");
		else if (!chain_at(pcs, n, i, chain))
			fail(name, "no f3 f2 f1 f0 main after unwind_deep");
		break;
	case S_COUNT:
		break;
	}
}

static void print_stack(const taddr_t *pcs, int n)
{
	char buf[256];

	for (int i = 0; i < n; i++)
		printf("    #%-2d %#014llx %s\n", i, (unsigned long long)pcs[i],
		       describe(pcs[i], buf, sizeof(buf)));
}

/* ---- timing ---- */

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* CPU time of this process (user + system), which preemption does not
 * inflate on a busy machine. */
static double cpu_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/*
 * libunwind's stock remote accessors (PTRACE_PEEKUSER/PEEKDATA per word),
 * with the global cache: the baseline.  Returns the frame count.
 */
static int upt_unwind(unw_addr_space_t as, void *upt, taddr_t *pcs, int max)
{
	unw_cursor_t c;
	unw_word_t ip;
	int n = 0;

	if (unw_init_remote(&c, as, upt) < 0)
		return 0;
	do {
		if (unw_get_reg(&c, UNW_REG_IP, &ip) < 0 || !ip)
			break;
		pcs[n++] = ip;
	} while (n < max && unw_step(&c) > 0);
	return n;
}

static void baseline(pid_t pid, int reps)
{
	taddr_t pcs[MAXPCS];
	unw_addr_space_t as = unw_create_addr_space(&_UPT_accessors, 0);
	void *upt = _UPT_create(pid);
	double t0, t1, t2;
	int n = 0;

	if (reps > 1000)
		reps = 1000;
	unw_set_caching_policy(as, UNW_CACHE_GLOBAL);
	t0 = now_us();
	n = upt_unwind(as, upt, pcs, MAXPCS);
	t1 = now_us();
	for (int i = 0; i < reps; i++)
		upt_unwind(as, upt, pcs, MAXPCS);
	t2 = now_us();
	printf("    baseline, libunwind's _UPT accessors: %d frames, cold "
	       "%.0f us, cached %.2f us/unwind (%d reps)\n",
	       n, t1 - t0, (t2 - t1) / reps, reps);
	_UPT_destroy(upt);
	unw_destroy_addr_space(as);
}

/* ---- unwinding from a copy of the stack (unwind_stack_saved) ---- */

/* What the child's live stack is overwritten with once it is copied. */
#define FILL 0x4141414141414140ull

/* The end of the mapping of PID that holds ADDR, or 0. */
static taddr_t stack_end(pid_t pid, taddr_t addr)
{
	char name[64], line[512];
	unsigned long long lo, hi;
	taddr_t end = 0;
	FILE *f;

	snprintf(name, sizeof(name), "/proc/%d/maps", (int)pid);
	f = fopen(name, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx-%llx", &lo, &hi) == 2 && addr >= lo &&
		    addr < hi)
			end = hi;
	fclose(f);
	return end;
}

static bool vm_copy(pid_t pid, taddr_t addr, void *buf, size_t len,
		    bool to_child)
{
	struct iovec local = { buf, len };
	struct iovec remote = { (void *)(uintptr_t)addr, len };
	ssize_t r = to_child ? process_vm_writev(pid, &local, 1, &remote, 1, 0)
			     : process_vm_readv(pid, &local, 1, &remote, 1, 0);

	return r == (ssize_t)len;
}

/* Only the registers unwind_stack_saved is documented to use. */
static struct user_regs_struct saved_regs(const struct user_regs_struct *r)
{
	struct user_regs_struct o;

	memset(&o, 0, sizeof(o));
	o.rip = r->rip;
	o.rsp = r->rsp;
	o.rbp = r->rbp;
	o.rbx = r->rbx;
	o.r12 = r->r12;
	o.r13 = r->r13;
	o.r14 = r->r14;
	o.r15 = r->r15;
	return o;
}

/*
 * The registers of the caller of the stopped frame, as the copy would see
 * them just after the stopped function returned: rip = the return
 * address, rsp = the sp after the return, callee-saved registers restored.
 * Found with libunwind's stock accessors, independently of ours.
 */
static bool caller_regs(pid_t pid, struct user_regs_struct *out)
{
	struct user_regs_struct r;
	unw_addr_space_t as = unw_create_addr_space(&_UPT_accessors, 0);
	void *upt = _UPT_create(pid);
	unw_cursor_t c;
	bool ok = false;

	memset(&r, 0, sizeof(r));
	if (as && upt && unw_init_remote(&c, as, upt) >= 0 && unw_step(&c) > 0) {
		struct {
			unw_regnum_t reg;
			unsigned long long *where;
		} regs[] = {
			{ UNW_REG_IP, &r.rip },	     { UNW_REG_SP, &r.rsp },
			{ UNW_X86_64_RBP, &r.rbp }, { UNW_X86_64_RBX, &r.rbx },
			{ UNW_X86_64_R12, &r.r12 }, { UNW_X86_64_R13, &r.r13 },
			{ UNW_X86_64_R14, &r.r14 }, { UNW_X86_64_R15, &r.r15 },
		};
		ok = true;
		for (size_t i = 0; i < ARRAY_SIZE(regs); i++) {
			unw_word_t v;
			if (unw_get_reg(&c, regs[i].reg, &v) < 0) {
				/* not saved anywhere: unchanged by the callee */
				if (i < 2)
					ok = false;
				continue;
			}
			*regs[i].where = v;
		}
	}
	if (upt)
		_UPT_destroy(upt);
	if (as)
		unw_destroy_addr_space(as);
	*out = r;
	return ok;
}

static bool has_fill(const taddr_t *pcs, int n)
{
	for (int i = 0; i < n; i++)
		if ((pcs[i] & ~0xffull) == (FILL & ~0xffull))
			return true;
	return false;
}

/* Is B[0..NB) a prefix of A[0..NA), and a strict one if STRICT? */
static bool is_prefix(const taddr_t *a, int na, const taddr_t *b, int nb,
		      bool strict)
{
	return nb >= 1 && nb <= na && (!strict || nb < na) &&
	       !memcmp(a, b, sizeof(*a) * (size_t)nb);
}

/*
 * At the stop with registers REGS where unwind_stack gave PCS[0..N): copy
 * the child's stack, overwrite the live one with FILL, and check that
 * unwind_stack_saved gives from the copy what unwind_stack gave from the
 * live stack -- all of it from a full copy, a prefix from a short one --
 * and never a FILL word.  The stack is put back at the end.
 */
static void check_saved(pid_t pid, enum scenario s, struct unwinder *u,
			const struct user_regs_struct *regs, const taddr_t *pcs,
			int n)
{
	const char *name = scenario_names[s];
	struct user_regs_struct r = saved_regs(regs), cr;
	taddr_t hi = stack_end(pid, regs->rsp), out[MAXPCS];
	/* short copies: each must give a prefix; STRICT ones a strict one */
	struct {
		size_t len;
		bool strict;
	} cuts[] = {
		{ 0, true },	 { 8, true },	  { 64, true },
		{ 256, false },	 { 1024, false }, { 4096, false },
		{ 20 * 1024 + 300, s == S_DEEP },
	};
	unsigned char *copy, *fill;
	size_t len;
	char what[128];
	bool have_caller;
	int m;

	if (!hi || hi <= regs->rsp) {
		fail(name, "saved: no stack mapping at rsp");
		return;
	}
	len = hi - regs->rsp;
	have_caller = caller_regs(pid, &cr);
	if (!have_caller || cr.rip != pcs[1])
		fail(name, "saved: libunwind's own first step is not pcs[1]");
	copy = malloc(len);
	fill = malloc(len);
	if (!copy || !fill || !vm_copy(pid, regs->rsp, copy, len, false)) {
		fail(name, "saved: cannot copy the child's stack");
		goto out;
	}
	for (size_t i = 0; i + 8 <= len; i += 8)
		memcpy(fill + i, &(uint64_t){ FILL }, 8);
	memset(fill + (len & ~(size_t)7), 0x41, len & 7);
	if (!vm_copy(pid, regs->rsp, fill, len, true)) {
		fail(name, "saved: cannot overwrite the child's stack");
		goto out;
	}

	/* The test's own check: the live stack is now garbage. */
	m = unwind_stack(u, pid, regs, out, MAXPCS);
	if (m == n && !memcmp(out, pcs, sizeof(*pcs) * (size_t)n))
		fail(name, "saved: unwind_stack unchanged by the overwrite");

	m = unwind_stack_saved(u, pid, &r, copy, len, hi, out, MAXPCS);
	if (m != n || memcmp(out, pcs, sizeof(*pcs) * (size_t)n)) {
		fail(name, "saved: a full copy does not give unwind_stack's "
			   "stack");
		print_stack(out, m);
	}
	/* A copy that goes as far as unwind_stack's snapshot did: */
	m = unwind_stack_saved(u, pid, &r, copy, len < 16384 ? len : 16384, hi,
			       out, MAXPCS);
	if (!is_prefix(pcs, n, out, m, false) || has_fill(out, m))
		fail(name, "saved: a 16 KiB copy gives no prefix");

	for (size_t i = 0; i < ARRAY_SIZE(cuts); i++) {
		if (cuts[i].len > len)
			continue;
		m = unwind_stack_saved(u, pid, &r, copy, cuts[i].len, hi, out,
				       MAXPCS);
		if (!is_prefix(pcs, n, out, m, cuts[i].strict) ||
		    has_fill(out, m)) {
			snprintf(what, sizeof(what),
				 "saved: a %zu-byte copy gives no %sprefix",
				 cuts[i].len, cuts[i].strict ? "strict " : "");
			fail(name, what);
			print_stack(out, m);
		}
		if (verbose)
			printf("    %zu-byte copy: %d of %d frames\n",
			       cuts[i].len, m, n);
	}

	/* The first frame is a caller's, at a return address. */
	if (have_caller && cr.rsp > regs->rsp && cr.rsp < hi) {
		size_t skip = cr.rsp - regs->rsp;

		m = unwind_stack_saved(u, pid, &cr, copy + skip, len - skip, hi,
				       out, MAXPCS);
		if (m != n - 1 ||
		    memcmp(out, pcs + 1, sizeof(*pcs) * (size_t)(n - 1))) {
			fail(name, "saved: from the return address, not "
				   "unwind_stack's pcs[1..]");
			print_stack(out, m);
		}
		m = unwind_stack_saved(u, pid, &cr, copy + skip, 64, hi, out,
				       MAXPCS);
		if (!is_prefix(pcs + 1, n - 1, out, m, true) ||
		    has_fill(out, m))
			fail(name, "saved: from the return address, a 64-byte "
				   "copy gives no strict prefix");
	} else if (have_caller) {
		fail(name, "saved: the caller's sp is not above rsp");
	}

	if (!vm_copy(pid, regs->rsp, copy, len, true))
		fail(name, "saved: cannot put the child's stack back");
	m = unwind_stack(u, pid, regs, out, MAXPCS);
	if (m != n || memcmp(out, pcs, sizeof(*pcs) * (size_t)n))
		fail(name, "saved: unwind_stack differs after the stack is "
			   "put back");
out:
	free(copy);
	free(fill);
}

/* Times cached unwind_stack_saved from a full copy (printed only). */
static double time_saved(pid_t pid, struct unwinder *u,
			 const struct user_regs_struct *regs, int reps,
			 uint64_t *vm_reads)
{
	struct user_regs_struct r = saved_regs(regs);
	taddr_t hi = stack_end(pid, regs->rsp), out[MAXPCS];
	size_t len = hi > regs->rsp ? hi - regs->rsp : 0;
	unsigned char *copy = malloc(len ? len : 1);
	uint64_t v0;
	double t0, t;

	*vm_reads = 0;
	if (!copy || !len || !vm_copy(pid, regs->rsp, copy, len, false)) {
		free(copy);
		return 0;
	}
	if (reps < 1)
		reps = 1;
	unwind_stack_saved(u, pid, &r, copy, len, hi, out, MAXPCS);
	v0 = unwind_get_stats(u)->vm_reads;
	t0 = cpu_us();
	for (int i = 0; i < reps; i++)
		unwind_stack_saved(u, pid, &r, copy, len, hi, out, MAXPCS);
	t = (cpu_us() - t0) / reps;
	*vm_reads = unwind_get_stats(u)->vm_reads - v0;
	free(copy);
	return t;
}

/* ---- tracing the child ---- */

/* In the child: become traced and stop until the parent is ready. */
static void child_prepare(void)
{
	if (ptrace(PTRACE_TRACEME, 0, 0, 0) < 0)
		_exit(77);
	raise(SIGSTOP);
}

/*
 * Waits for PID to stop; returns the stop signal, or -1 if it ended (then
 * child_ended holds its status) or waitpid failed.
 */
static int child_ended = -1;

static int wait_stop(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) < 0)
		return -1;
	if (!WIFSTOPPED(st)) {
		child_ended = st;
		return -1;
	}
	return WSTOPSIG(st);
}

/* Runs the child to the scenario's stop; 0, 77 (no ptrace), or -1. */
static int run_to_stop(pid_t pid, enum scenario s,
		       struct user_regs_struct *regs)
{
	int sig;

	sig = wait_stop(pid);
	if (sig < 0 && WIFEXITED(child_ended) &&
	    WEXITSTATUS(child_ended) == 77)
		return 77;
	if (sig != SIGSTOP)
		return -1;
	if (ptrace(PTRACE_SETOPTIONS, pid, 0,
		   PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL) < 0)
		return -1;
	if (s != S_WRITE) {
		if (ptrace(PTRACE_CONT, pid, 0, 0) < 0)
			return -1;
		sig = wait_stop(pid);
		if (sig != (s == S_RAISE ? SIGSTOP : SIGTRAP))
			return -1;
		return ptrace(PTRACE_GETREGS, pid, 0, regs) < 0 ? -1 : 0;
	}
	/* Syscall stops alternate entry, exit; we want write(-1)'s entry. */
	for (bool entry = true;; entry = !entry) {
		if (ptrace(PTRACE_SYSCALL, pid, 0, 0) < 0)
			return -1;
		sig = wait_stop(pid);
		if (sig != (SIGTRAP | 0x80))
			return -1;
		if (ptrace(PTRACE_GETREGS, pid, 0, regs) < 0)
			return -1;
		if (entry && regs->orig_rax == SYS_write && (int)regs->rdi == -1)
			return 0;
	}
}

/* Checks and times the unwinder on child PID; 0, 77 or -1. */
static int run(pid_t pid, enum scenario s, int reps, bool with_baseline)
{
	const char *name = scenario_names[s];
	struct user_regs_struct regs;
	taddr_t pcs[MAXPCS], pcs2[MAXPCS];
	const struct unwind_stats *st;
	struct unwinder *u;
	double t0, t1, t3, t4, c0, c1;
	int n, n2, before = failures;
	double saved_us;
	uint64_t saved_vm;
	struct unwind_stats live;
	int nb = reps / BATCH > 0 ? reps / BATCH : 1;
	double *batch = calloc((size_t)nb, sizeof(*batch));

	if (!batch)
		return -1;

	child_ended = -1;
	n = run_to_stop(pid, s, &regs);
	if (n != 0) {
		if (child_ended == -1) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		free(batch);
		if (n == 77)
			return 77;
		fprintf(stderr, "%s: cannot bring the child to its stop\n",
			name);
		return -1;
	}

	u = unwind_new(pid);
	if (!u) {
		perror("unwind_new");
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		free(batch);
		return -1;
	}
	t0 = now_us();
	n = unwind_stack(u, pid, &regs, pcs, MAXPCS);
	t1 = now_us();
	if (pcs[0] != regs.rip)
		fail(name, "pcs[0] != rip");
	check_stack(s, pcs, n);
	c0 = cpu_us();
	for (int b = 0; b < nb; b++) {
		double tb = now_us();
		for (int i = 0; i < BATCH; i++) {
			n2 = unwind_stack(u, pid, &regs, pcs2, MAXPCS);
			if (n2 != n ||
			    memcmp(pcs, pcs2, sizeof(*pcs) * (size_t)n)) {
				fail(name, "a cached unwind differs");
				b = nb;
				break;
			}
		}
		batch[b < nb ? b : nb - 1] = (now_us() - tb) / BATCH;
	}
	c1 = cpu_us();
	qsort(batch, (size_t)nb, sizeof(*batch), cmp_double);
	unwind_flush(u);
	t3 = now_us();
	n2 = unwind_stack(u, pid, &regs, pcs2, MAXPCS);
	t4 = now_us();
	if (n2 != n || memcmp(pcs, pcs2, sizeof(*pcs) * (size_t)n))
		fail(name, "the unwind after unwind_flush differs");
	live = *unwind_get_stats(u);
	st = &live;
	check_saved(pid, s, u, &regs, pcs, n);
	saved_us = time_saved(pid, u, &regs, reps, &saved_vm);

	if (failures == before)
		printf("PASS %s: %d frames; cold %.0f us, after flush %.0f us; "
		       "cached: %.2f us/unwind best, %.2f median (batches of "
		       "%d), %.2f us CPU; %.2f snapshot misses/unwind; from "
		       "a saved copy %.2f us CPU, %llu process_vm_readv in "
		       "%d\n",
		       name, n, t1 - t0, t4 - t3, batch[0], batch[nb / 2],
		       BATCH, (c1 - c0) / (nb * BATCH),
		       (double)st->snap_misses / (double)st->unwinds, saved_us,
		       (unsigned long long)saved_vm, reps > 0 ? reps : 1);
	if (verbose || failures != before)
		print_stack(pcs, n);
	if (with_baseline)
		baseline(pid, reps);
	unwind_free(u);
	free(batch);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return 0;
}

int main(int argc, char **argv)
{
	int reps = 10000, opt, only = -1;
	bool with_baseline = false;

	while ((opt = getopt(argc, argv, "vbn:s:")) != -1) {
		switch (opt) {
		case 'v':
			verbose = 1;
			log_verbose = 2;
			break;
		case 'b':
			with_baseline = true;
			break;
		case 'n':
			reps = atoi(optarg);
			break;
		case 's':
			for (int i = 0; i < S_COUNT; i++)
				if (!strcmp(optarg, scenario_names[i]))
					only = i;
			if (only < 0) {
				fprintf(stderr, "unknown scenario '%s'\n",
					optarg);
				return 99;
			}
			break;
		default:
			fprintf(stderr, "usage: unwind-harness [-v] [-b] "
					"[-n REPS] [-s SCENARIO]\n");
			return 99;
		}
	}
	if (load_symbols() < 0) {
		fprintf(stderr, "cannot read this program's symbol table\n");
		return 99;
	}
	for (int s = 0; s < S_COUNT; s++) {
		pid_t pid;
		int r;

		if (only >= 0 && s != only)
			continue;
		fflush(stdout);
		pid = fork();
		if (pid < 0)
			return 99;
		if (!pid) {
			/* The call under test: main -> f0 -> ... -> f3. */
			child_prepare();
			unwind_f0(s);
			_exit(0);
		}
		r = run(pid, (enum scenario)s, reps, with_baseline);
		if (r == 77) {
			printf("SKIP: ptrace not permitted\n");
			return 77;
		}
		if (r < 0)
			return 99;
	}
	printf("%s\n", failures ? "FAILED" : "all passed");
	return failures ? 1 : 0;
}
