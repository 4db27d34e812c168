/*
 * floor: the bare cost of trapping allocator calls with int3, and
 * nothing else.  No unwinding, no heap table, no symbols, no report.
 * It is the floor any breakpoint tracer pays; bench/run.sh compares
 * leakcheck with it.  It shares no code with leakcheck.
 *
 * usage: floor [--pin | --cpus=T,P] PROGRAM [ARGS...]
 *   --pin        pin the tracer and the program to CPU 0 (trap cost
 *                depends on whether tracer and tracee share a CPU; see
 *                DESIGN.md "Performance model")
 *   --cpus=T,P   pin the tracer to CPU T and the program to CPU P
 *                (--pin is --cpus=0,0); threads the program starts
 *                inherit P.  `taskset` cannot do this: the program
 *                inherits the tracer's mask.
 *
 * What it does:
 *   - runs PROGRAM under PTRACE_TRACEME; at the exec stop puts an int3 on
 *     the program's entry point (AT_ENTRY).  When that traps, ld.so has
 *     mapped libc: find libc in /proc/PID/maps, read malloc, calloc,
 *     realloc and free from its .dynsym (libelf), put int3 on each.
 *     The entry point's first instruction is run by one single-step, then
 *     the int3 goes back on it for good: _start never runs again, so that
 *     byte becomes the return trampoline.
 *   - malloc/calloc/realloc: 2 traps.  At entry, the return address on
 *     the stack is saved and replaced by the trampoline; the call returns
 *     into the trampoline's int3 and the tracer sets rip back.
 *   - free: 1 trap.
 *   - The instruction under each int3 is emulated in the tracer (a push,
 *     a "test reg,reg" or a "mov reg,reg": what x86-64 glibc functions
 *     start with; an endbr64 is skipped by breaking on the instruction
 *     after it).  No out-of-line copy, no single-step per call.
 *   Per trap: waitpid, PTRACE_GETREGS, PTRACE_SETREGS, PTRACE_CONT; an
 *   entry trap adds one process_vm_readv (the return address) and one
 *   process_vm_writev (push + trampoline address, 16 bytes).
 *   Threads (clone) and forked children are followed; an exec'd image
 *   gets no breakpoints (the bench workloads do not exec).
 *   At exit it prints the call and trap counts on stderr and exits with
 *   the program's status.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

enum fn { FN_MALLOC, FN_CALLOC, FN_REALLOC, FN_FREE, NFN };
static const char *const fn_names[NFN] = {"malloc", "calloc", "realloc",
					  "free"};

/* how to run the instruction the int3 covers */
enum emu_kind {
	EMU_PUSH,     /* push r64 */
	EMU_TEST_REG, /* test r64,r64 (same register) */
	EMU_MOV_REG,  /* mov r64,r64 */
};

struct bp {
	uint64_t addr;	/* where the int3 is */
	uint64_t word;	/* original 8 bytes at addr */
	enum fn fn;
	enum emu_kind emu;
	int reg, reg2;	/* register numbers (x86 encoding, 0-15) */
	int len;	/* instruction length */
};

#define MAX_PEND 32
struct pending {
	uint64_t slot; /* stack address of the return address */
	uint64_t ret;  /* the original return address */
};
struct tstate {
	int started; /* its initial SIGSTOP has been seen */
	int npend;
	struct pending pend[MAX_PEND];
};

static struct bp bps[NFN];
static int nbps;
static uint64_t tramp; /* the program's entry point: int3 after start */
static struct tstate **tids;
static long pid_max;
static unsigned long long ncalls[NFN], ntraps;

static void pin_to(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		fprintf(stderr, "floor: cannot pin to CPU %d: %s\n", cpu,
			strerror(errno));
		exit(125);
	}
}

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("floor: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(125);
}

static struct tstate *tstate_of(pid_t tid)
{
	if (tid <= 0 || tid >= pid_max)
		die("tid %d out of range", tid);
	if (!tids[tid]) {
		tids[tid] = calloc(1, sizeof(struct tstate));
		if (!tids[tid])
			die("out of memory");
	}
	return tids[tid];
}

/* x86 register number (ModRM/REX encoding) -> user_regs_struct field */
static unsigned long long *reg_ptr(struct user_regs_struct *r, int n)
{
	switch (n) {
	case 0: return &r->rax;
	case 1: return &r->rcx;
	case 2: return &r->rdx;
	case 3: return &r->rbx;
	case 4: return &r->rsp;
	case 5: return &r->rbp;
	case 6: return &r->rsi;
	case 7: return &r->rdi;
	case 8: return &r->r8;
	case 9: return &r->r9;
	case 10: return &r->r10;
	case 11: return &r->r11;
	case 12: return &r->r12;
	case 13: return &r->r13;
	case 14: return &r->r14;
	default: return &r->r15;
	}
}

static uint64_t peek(pid_t pid, uint64_t addr)
{
	long w;
	errno = 0;
	w = ptrace(PTRACE_PEEKTEXT, pid, (void *)addr, NULL);
	if (errno)
		die("cannot read code at %#llx: %s", (unsigned long long)addr,
		    strerror(errno));
	return (uint64_t)w;
}

static void poke(pid_t pid, uint64_t addr, uint64_t word)
{
	if (ptrace(PTRACE_POKETEXT, pid, (void *)addr, (void *)word))
		die("cannot write code at %#llx: %s", (unsigned long long)addr,
		    strerror(errno));
}

static void put_int3(pid_t pid, uint64_t addr, uint64_t word)
{
	poke(pid, addr, (word & ~0xffull) | 0xcc);
}

/* Decodes the instruction at B->addr (bytes in B->word); 0 or -1. */
static int decode(struct bp *b)
{
	uint8_t c[8];
	memcpy(c, &b->word, 8);
	if (c[0] >= 0x50 && c[0] <= 0x57) {
		b->emu = EMU_PUSH, b->reg = c[0] - 0x50, b->len = 1;
		return 0;
	}
	if (c[0] == 0x41 && c[1] >= 0x50 && c[1] <= 0x57) {
		b->emu = EMU_PUSH, b->reg = 8 + c[1] - 0x50, b->len = 2;
		return 0;
	}
	/* REX.W (+R, +B) 85 / 89 with a register-register ModRM */
	if ((c[0] & 0xfa) == 0x48 && (c[1] == 0x85 || c[1] == 0x89) &&
	    (c[2] & 0xc0) == 0xc0) {
		int reg = ((c[2] >> 3) & 7) | ((c[0] & 4) ? 8 : 0);
		int rm = (c[2] & 7) | ((c[0] & 1) ? 8 : 0);
		if (c[1] == 0x85 && reg != rm)
			return -1;
		b->emu = c[1] == 0x85 ? EMU_TEST_REG : EMU_MOV_REG;
		b->reg = reg, b->reg2 = rm, b->len = 3;
		return 0;
	}
	return -1;
}

/* Runs B's instruction on R (and on the stack for a push); if NEW_RET is
 * non-NULL also replaces the return address at the entry sp by it.  The
 * pushes and the replacement are one process_vm_writev. */
static void emulate(pid_t tid, const struct bp *b, struct user_regs_struct *r,
		    const uint64_t *new_ret)
{
	uint64_t buf[2];
	struct iovec local = {buf, 0}, remote;
	uint64_t sp = r->rsp;

	switch (b->emu) {
	case EMU_PUSH:
		buf[0] = *reg_ptr(r, b->reg);
		local.iov_len = 8;
		if (new_ret) {
			buf[1] = *new_ret;
			local.iov_len = 16;
		}
		r->rsp -= 8;
		remote.iov_base = (void *)(uintptr_t)r->rsp;
		break;
	case EMU_TEST_REG: {
		uint64_t v = *reg_ptr(r, b->reg);
		unsigned long long f = r->eflags;
		f &= ~(0x1ull | 0x4 | 0x40 | 0x80 | 0x800); /* CF PF ZF SF OF */
		if (!v)
			f |= 0x40;
		if (v >> 63)
			f |= 0x80;
		if (!(__builtin_popcount((unsigned)(v & 0xff)) & 1))
			f |= 0x4;
		r->eflags = f;
		goto ret_only;
	}
	case EMU_MOV_REG:
		*reg_ptr(r, b->reg2) = *reg_ptr(r, b->reg);
	ret_only:
		if (new_ret) {
			buf[0] = *new_ret;
			local.iov_len = 8;
		}
		remote.iov_base = (void *)(uintptr_t)sp;
		break;
	}
	r->rip = b->addr + (uint64_t)b->len;
	if (local.iov_len) {
		remote.iov_len = local.iov_len;
		if (process_vm_writev(tid, &local, 1, &remote, 1, 0) !=
		    (ssize_t)local.iov_len)
			die("cannot write the stack of %d: %s", tid,
			    strerror(errno));
	}
}

static uint64_t read_auxv_entry(pid_t pid)
{
	char path[64];
	Elf64_auxv_t av;
	uint64_t entry = 0;
	int fd;
	snprintf(path, sizeof(path), "/proc/%d/auxv", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		die("cannot open '%s': %s", path, strerror(errno));
	while (read(fd, &av, sizeof(av)) == (ssize_t)sizeof(av) &&
	       av.a_type != AT_NULL)
		if (av.a_type == AT_ENTRY)
			entry = av.a_un.a_val;
	close(fd);
	if (!entry)
		die("no AT_ENTRY for %d", pid);
	return entry;
}

/* libc's path and load bias (the start of its offset-0 mapping) */
static int find_libc(pid_t pid, char *path, size_t size, uint64_t *bias)
{
	char mpath[64], line[PATH_MAX + 128];
	FILE *f;
	int found = 0;
	snprintf(mpath, sizeof(mpath), "/proc/%d/maps", pid);
	f = fopen(mpath, "r");
	if (!f)
		die("cannot open '%s': %s", mpath, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		unsigned long long s, e, off;
		int n = 0;
		char *p, *base;
		if (sscanf(line, "%llx-%llx %*s %llx %*s %*s %n", &s, &e, &off,
			   &n) < 3 || !n)
			continue;
		p = line + n;
		p[strcspn(p, "\n")] = 0;
		base = strrchr(p, '/');
		if (!base || off != 0)
			continue;
		base++;
		if (!strncmp(base, "libc.so", 7) || !strncmp(base, "libc-", 5)) {
			snprintf(path, size, "%s", p);
			*bias = s;
			found = 1;
			break;
		}
	}
	fclose(f);
	return found ? 0 : -1;
}

static void find_functions(const char *path, uint64_t bias, uint64_t addr[NFN])
{
	int fd = open(path, O_RDONLY);
	Elf *e;
	Elf_Scn *scn = NULL;
	if (fd < 0)
		die("cannot open '%s': %s", path, strerror(errno));
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e)
		die("'%s': %s", path, elf_errmsg(-1));
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM)
			continue;
		d = elf_getdata(scn, NULL);
		for (size_t i = 0; d && sh.sh_entsize &&
				   i < sh.sh_size / sh.sh_entsize;
		     i++) {
			GElf_Sym s;
			const char *name;
			if (!gelf_getsym(d, (int)i, &s) || !s.st_value ||
			    s.st_shndx == SHN_UNDEF ||
			    GELF_ST_TYPE(s.st_info) != STT_FUNC)
				continue;
			name = elf_strptr(e, sh.sh_link, s.st_name);
			for (int k = 0; name && k < NFN; k++)
				if (!strcmp(name, fn_names[k]))
					addr[k] = bias + s.st_value;
		}
	}
	elf_end(e);
	close(fd);
}

static void wait_for(pid_t pid, int *status)
{
	if (waitpid(pid, status, __WALL) != pid)
		die("waitpid %d: %s", pid, strerror(errno));
	if (!WIFSTOPPED(*status))
		die("program %d ended during start-up (status %#x)", pid, *status);
}

/* At the entry trap: break on the allocator, arm the trampoline. */
static void setup(pid_t pid, uint64_t entry_word)
{
	struct user_regs_struct r;
	char libc[PATH_MAX];
	uint64_t bias, addr[NFN] = {0};
	int status;

	if (ptrace(PTRACE_GETREGS, pid, NULL, &r))
		die("GETREGS: %s", strerror(errno));
	if (r.rip != tramp + 1)
		die("expected the entry trap at %#llx, got rip %#llx",
		    (unsigned long long)tramp, r.rip);
	if (find_libc(pid, libc, sizeof(libc), &bias))
		die("no libc mapped (static program?)");
	find_functions(libc, bias, addr);

	/* run _start's first instruction once, then keep the int3 there */
	poke(pid, tramp, entry_word);
	r.rip = tramp;
	if (ptrace(PTRACE_SETREGS, pid, NULL, &r) ||
	    ptrace(PTRACE_SINGLESTEP, pid, NULL, NULL))
		die("single-step: %s", strerror(errno));
	wait_for(pid, &status);
	if (WSTOPSIG(status) != SIGTRAP)
		die("single-step of _start stopped with signal %d",
		    WSTOPSIG(status));
	put_int3(pid, tramp, entry_word);

	for (int k = 0; k < NFN; k++) {
		struct bp *b = &bps[nbps];
		if (!addr[k])
			die("no %s in '%s'", fn_names[k], libc);
		b->fn = (enum fn)k;
		b->addr = addr[k];
		b->word = peek(pid, b->addr);
		if ((b->word & 0xffffffff) == 0xfa1e0ff3) { /* endbr64 */
			b->addr += 4;
			b->word = peek(pid, b->addr);
		}
		if (decode(b))
			die("%s at %#llx starts with %02llx %02llx %02llx: "
			    "not an instruction floor emulates",
			    fn_names[k], (unsigned long long)b->addr,
			    b->word & 0xff, (b->word >> 8) & 0xff,
			    (b->word >> 16) & 0xff);
		put_int3(pid, b->addr, b->word);
		nbps++;
	}
}

static const struct bp *bp_at(uint64_t addr)
{
	for (int i = 0; i < nbps; i++)
		if (bps[i].addr == addr)
			return &bps[i];
	return NULL;
}

/* A SIGTRAP stop of TID: 1 if it was ours (handled), 0 if not. */
static int on_trap(pid_t tid)
{
	struct user_regs_struct r;
	const struct bp *b;
	struct tstate *t;
	uint64_t addr;

	if (ptrace(PTRACE_GETREGS, tid, NULL, &r))
		return 0;
	addr = r.rip - 1;
	t = tstate_of(tid);
	if (addr == tramp) {
		uint64_t slot = r.rsp - 8;
		while (t->npend && t->pend[t->npend - 1].slot < slot)
			t->npend--; /* skipped by longjmp */
		if (!t->npend || t->pend[t->npend - 1].slot != slot)
			die("thread %d returned to the trampoline with no "
			    "pending call (sp %#llx)", tid, r.rsp);
		r.rip = t->pend[--t->npend].ret;
	} else if ((b = bp_at(addr))) {
		ncalls[b->fn]++;
		if (b->fn == FN_FREE) {
			emulate(tid, b, &r, NULL);
		} else {
			uint64_t ret;
			struct iovec l = {&ret, 8}, rm = {(void *)(uintptr_t)r.rsp, 8};
			if (process_vm_readv(tid, &l, 1, &rm, 1, 0) != 8)
				die("cannot read the stack of %d: %s", tid,
				    strerror(errno));
			if (t->npend == MAX_PEND)
				die("thread %d: calls nested too deep", tid);
			t->pend[t->npend].slot = r.rsp;
			t->pend[t->npend].ret = ret;
			t->npend++;
			emulate(tid, b, &r, &tramp);
		}
	} else {
		return 0;
	}
	ntraps++;
	if (ptrace(PTRACE_SETREGS, tid, NULL, &r))
		die("SETREGS %d: %s", tid, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	int tracer_cpu = -1, prog_cpu = -1, status, exit_code = 0;
	pid_t pid;
	uint64_t entry_word;
	FILE *f;

	if (argc > 1 && !strcmp(argv[1], "--pin")) {
		tracer_cpu = prog_cpu = 0;
		argv++, argc--;
	} else if (argc > 1 && !strncmp(argv[1], "--cpus=", 7)) {
		char end;
		if (sscanf(argv[1] + 7, "%d,%d%c", &tracer_cpu, &prog_cpu,
			   &end) != 2 ||
		    tracer_cpu < 0 || prog_cpu < 0 || tracer_cpu >= CPU_SETSIZE ||
		    prog_cpu >= CPU_SETSIZE) {
			fprintf(stderr, "floor: --cpus wants T,P (CPU numbers)\n");
			return 64;
		}
		argv++, argc--;
	}
	if (argc < 2) {
		fprintf(stderr,
			"usage: floor [--pin | --cpus=T,P] PROGRAM [ARGS...]\n");
		return 64;
	}
	if (tracer_cpu >= 0)
		pin_to(tracer_cpu);
	f = fopen("/proc/sys/kernel/pid_max", "r");
	if (!f || fscanf(f, "%ld", &pid_max) != 1)
		pid_max = 4194304;
	if (f)
		fclose(f);
	pid_max++;
	tids = calloc((size_t)pid_max, sizeof(*tids)); /* lazily paged */
	if (!tids)
		die("out of memory");

	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		if (prog_cpu >= 0)
			pin_to(prog_cpu);
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		execvp(argv[1], argv + 1);
		fprintf(stderr, "floor: cannot run '%s': %s\n", argv[1],
			strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status)) {
		if (WIFEXITED(status))
			return WEXITSTATUS(status);
		die("program did not stop at exec");
	}
	if (ptrace(PTRACE_SETOPTIONS, pid, NULL,
		   (void *)(long)(PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK |
				  PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC |
				  PTRACE_O_EXITKILL)))
		die("PTRACE_SETOPTIONS: %s", strerror(errno));
	tstate_of(pid)->started = 1;
	tramp = read_auxv_entry(pid);
	entry_word = peek(pid, tramp);
	put_int3(pid, tramp, entry_word);
	if (ptrace(PTRACE_CONT, pid, NULL, NULL))
		die("PTRACE_CONT: %s", strerror(errno));
	wait_for(pid, &status);
	if (WSTOPSIG(status) != SIGTRAP)
		die("program stopped with signal %d before its entry point",
		    WSTOPSIG(status));
	setup(pid, entry_word);
	if (ptrace(PTRACE_CONT, pid, NULL, NULL))
		die("PTRACE_CONT: %s", strerror(errno));

	for (;;) {
		pid_t tid = waitpid(-1, &status, __WALL);
		int sig = 0;
		struct tstate *t;
		if (tid < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ECHILD)
				break;
			die("waitpid: %s", strerror(errno));
		}
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			if (tid == pid)
				exit_code = WIFEXITED(status)
						    ? WEXITSTATUS(status)
						    : 128 + WTERMSIG(status);
			if (tids[tid]) {
				free(tids[tid]);
				tids[tid] = NULL;
			}
			continue;
		}
		if (!WIFSTOPPED(status))
			continue;
		t = tstate_of(tid);
		sig = WSTOPSIG(status);
		if (status >> 16) {
			/* clone/fork/vfork/exec events: the new thread or
			 * process reports its own SIGSTOP */
			sig = 0;
		} else if (sig == SIGSTOP && !t->started) {
			t->started = 1;
			sig = 0;
		} else if (sig == SIGTRAP && on_trap(tid)) {
			sig = 0;
		}
		t->started = 1;
		ptrace(PTRACE_CONT, tid, NULL, (void *)(long)sig);
	}
	fprintf(stderr,
		"floor: %llu malloc, %llu calloc, %llu realloc, %llu free; "
		"%llu allocator calls, %llu traps\n",
		ncalls[FN_MALLOC], ncalls[FN_CALLOC], ncalls[FN_REALLOC],
		ncalls[FN_FREE],
		ncalls[FN_MALLOC] + ncalls[FN_CALLOC] + ncalls[FN_REALLOC] +
			ncalls[FN_FREE],
		ntraps);
	return exit_code;
}
