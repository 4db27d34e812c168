/*
 * drain: at attach, let every thread that was stopped inside the
 * allocator finish that call before the heap is walked.
 *
 * A thread seized in the middle of malloc or free may hold an arena lock
 * with a chunk half split, or be between the two stores of a tcache push:
 * the heap walk would see a state that does not add up (and call it
 * corrupt), and a call that began before attach would end after the
 * breakpoints are in, with no entry trap seen: a malloc's block never
 * known, a freed block kept.  So, with every thread stopped and no
 * breakpoint of ours in place yet:
 *
 *   1. unwind each thread; a frame inside one of the allocator's public
 *      functions (malloc, free, realloc, ..., malloc_trim, mallinfo: every
 *      internal function of glibc's malloc is reached through one of them)
 *      means it is inside; the return address of the outermost such frame
 *      is where the call ends;
 *   2. put a temporary int3 at each of those return addresses and resume
 *      only those threads, all at once (one may wait for an arena lock
 *      another holds); each stops at its int3, its pc is put back, and it
 *      stays stopped with its call complete;
 *   3. a thread that has not come out within DRAIN_LIMIT_MS (waiting for a
 *      lock held outside the allocator: a fork in progress holds them all)
 *      is interrupted where it is, and said so in debug output;
 *   4. every int3 is taken out before anything else runs.
 *
 * A signal that arrives meanwhile is kept for the resume after attach, as
 * attach keeps the ones it meets; a thread that exits or reaches a
 * group-stop simply stays where it got to.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alloc/alloc.h"
#include "leakcheck/util.h"

#define DRAIN_LIMIT_MS 2000 /* a bound for the stuck, not an expected time */
#define DRAIN_FRAMES 64

/* The allocator's public functions: every call into glibc's malloc
 * internals goes through one of them. */
static const char *const alloc_funcs[] = {
    "malloc",	     "free",	       "calloc",
    "realloc",	     "reallocarray",   "memalign",
    "aligned_alloc", "posix_memalign", "valloc",
    "pvalloc",	     "malloc_trim",    "mallinfo",
    "mallinfo2",     "malloc_stats",   "malloc_info",
    "mallopt",	     "__libc_malloc",  "__libc_free",
    "__libc_calloc", "__libc_realloc", "__libc_memalign",
    "__libc_valloc", "__libc_pvalloc", "__malloc_arena_thread_freeres",
};

struct fn_range {
	taddr_t start, end;
};

struct ranges {
	struct fn_range *v;
	size_t n, cap;
};

static int is_alloc_func(const char *name)
{
	size_t len = strcspn(name, "@");
	for (size_t i = 0; i < ARRAY_SIZE(alloc_funcs); i++)
		if (strlen(alloc_funcs[i]) == len &&
		    !strncmp(name, alloc_funcs[i], len))
			return 1;
	return 0;
}

/* The ranges of the allocator's functions in the ELF file PATH mapped
 * with load bias BIAS. */
static void read_ranges(const char *path, taddr_t bias, struct ranges *r)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf_Scn *scn = NULL;
	Elf *e;

	if (fd < 0)
		return;
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	while (e && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;
		if (!gelf_getshdr(scn, &sh) ||
		    (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) ||
		    !sh.sh_entsize || !(data = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym s;
			const char *name;
			if (!gelf_getsym(data, (int)i, &s) ||
			    s.st_shndx == SHN_UNDEF || !s.st_value ||
			    !s.st_size ||
			    (GELF_ST_TYPE(s.st_info) != STT_FUNC &&
			     GELF_ST_TYPE(s.st_info) != STT_GNU_IFUNC))
				continue;
			name = elf_strptr(e, sh.sh_link, s.st_name);
			if (!name || !is_alloc_func(name))
				continue;
			r->v = xgrow(r->v, &r->cap, r->n + 1, sizeof(*r->v));
			r->v[r->n++] = (struct fn_range){
			    bias + s.st_value, bias + s.st_value + s.st_size};
		}
	}
	if (e)
		elf_end(e);
	close(fd);
}

/* The allocator's functions in P: libc's, or a static executable's. */
static void alloc_ranges(struct proc *p, struct ranges *r)
{
	char path[64], *maps, *line, *lib = NULL, exe[4096];
	taddr_t lib_base = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", p->pid);
	maps = read_file_text(path, NULL);
	for (line = maps; line && *line;) {
		char *nl = strchr(line, '\n');
		unsigned long long s, e, off;
		int at = 0;
		if (nl)
			*nl = 0;
		if (sscanf(line, "%llx-%llx %*s %llx %*s %*s%n", &s, &e, &off,
			   &at) == 3 &&
		    at && off == 0) {
			const char *name = line + at + strspn(line + at, " \t");
			if (!lib && (strstr(name, "/libc.so") ||
				     strstr(name, "/libc-"))) {
				lib = xstrdup(name);
				lib_base = s;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	free(maps);
	if (lib) {
		read_ranges(lib, lib_base, r);
		free(lib);
		return;
	}
	/* static: the executable (not position-independent, bias 0) */
	if (proc_exe(p->pid, exe, sizeof(exe)) > 0)
		read_ranges(exe, 0, r);
}

static int in_ranges(const struct ranges *r, taddr_t pc)
{
	for (size_t i = 0; i < r->n; i++)
		if (pc >= r->v[i].start && pc < r->v[i].end)
			return 1;
	return 0;
}

/* Where T's allocator call returns to, or 0 when T is not in one. */
static taddr_t call_end(struct proc *p, struct thread *t,
			const struct ranges *r)
{
	arch_regs_t regs;
	taddr_t pcs[DRAIN_FRAMES];
	int n, outer = -1;

	if (ptrace(PTRACE_GETREGS, t->tid, 0, &regs) < 0)
		return 0;
	n = unwind_stack(p->unw, t->tid, &regs, pcs, DRAIN_FRAMES);
	for (int i = 0; i < n; i++)
		/* a return address points after its call */
		if (in_ranges(r, i ? pcs[i] - 1 : pcs[i]))
			outer = i;
	if (outer < 0)
		return 0;
	if (outer + 1 >= n) {
		debug("pid %d: thread %d is in the allocator at %#llx but its "
		      "caller is not known",
		      p->pid, t->tid, (unsigned long long)pcs[outer]);
		return 0;
	}
	return pcs[outer + 1];
}

struct trap {
	taddr_t addr;
	uint8_t orig;
};

static long ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	       (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* One stop of drained thread T, status ST: returns 1 when T is done
 * (stopped for good, or gone), 0 when it runs on. */
static int drain_stop(struct thread *t, int st, const struct trap *traps,
		      size_t ntraps, int *drained)
{
	int ev = st >> 16, sig;
	arch_regs_t regs;

	if (!WIFSTOPPED(st)) {
		pid_t tid = t->tid;
		t->stopped_for_scan = 0;
		if (thread_find(tid) == t)
			task_dispatch(tid, st);
		return 1;
	}
	sig = WSTOPSIG(st);
	if (ev == PTRACE_EVENT_STOP) {
		t->listening = is_group_stop_sig(sig);
		return 1;
	}
	if (ev == PTRACE_EVENT_EXIT) {
		t->pend_exit = 1;
		t->pend_status = st;
		return 1;
	}
	if (ev) {
		ptrace(PTRACE_CONT, t->tid, 0, 0);
		return 0;
	}
	if (sig == SIGTRAP && ptrace(PTRACE_GETREGS, t->tid, 0, &regs) == 0) {
		for (size_t i = 0; i < ntraps; i++) {
			if (ARCH_PC(&regs) - ARCH_BP_LEN != traps[i].addr)
				continue;
			ARCH_PC(&regs) = traps[i].addr;
			ptrace(PTRACE_SETREGS, t->tid, 0, &regs);
			(*drained)++;
			return 1;
		}
	}
	/* a signal for the program: keep it for the resume */
	if (!t->pending_sig) {
		t->pending_sig = sig;
		sig = 0;
	}
	ptrace(PTRACE_CONT, t->tid, 0, (void *)(long)sig);
	return 0;
}

int drain_allocator(struct proc *p)
{
	struct ranges r = {0};
	struct trap *traps = NULL;
	struct thread **run = NULL;
	size_t ntraps = 0, traps_cap = 0, nrun = 0, run_cap = 0;
	int drained = 0, stuck = 0;
	uint8_t *intr;
	struct timespec t0;
	uint8_t int3 = ARCH_BP_INSN;

	if (!p->unw)
		return 0;
	alloc_ranges(p, &r);
	for (struct thread *t = threads_of(p, NULL); t; t = threads_of(p, t)) {
		taddr_t ret;
		size_t i;
		if (!t->stopped_for_scan || t->listening || t->pend_exit)
			continue;
		ret = call_end(p, t, &r);
		if (!ret)
			continue;
		for (i = 0; i < ntraps && traps[i].addr != ret; i++)
			;
		if (i == ntraps) {
			struct trap tr = {.addr = ret};
			if (mem_read_force(p, ret, &tr.orig, 1) != 1 ||
			    tr.orig == ARCH_BP_INSN ||
			    (guard_note(p, ret, tr.orig),
			     mem_write_code(p, ret, &int3, 1))) {
				debug("pid %d: cannot break at %#llx to let "
				      "thread %d out of the allocator",
				      p->pid, (unsigned long long)ret, t->tid);
				continue;
			}
			traps = xgrow(traps, &traps_cap, ntraps + 1,
				      sizeof(*traps));
			traps[ntraps++] = tr;
		}
		run = xgrow(run, &run_cap, nrun + 1, sizeof(*run));
		run[nrun++] = t;
	}
	free(r.v);
	for (size_t i = 0; i < nrun; i++) {
		/* its held signal stays held: pending_sig */
		run[i]->stopped_for_scan = 0;
		ptrace(PTRACE_CONT, run[i]->tid, 0, 0);
	}
	intr = xcalloc(nrun ? nrun : 1, 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t left = nrun; left;) {
		int late = ms_since(&t0) > DRAIN_LIMIT_MS;
		left = 0;
		for (size_t i = 0; i < nrun; i++) {
			struct thread *t = run[i];
			int st;
			pid_t got;
			if (!t)
				continue;
			if (late && !intr[i]) {
				/* stuck: stop it where it is */
				ptrace(PTRACE_INTERRUPT, t->tid, 0, 0);
				intr[i] = 1;
				stuck++;
			}
			got = wait_tid(t->tid, &st,
				       __WALL | (late ? 0 : WNOHANG));
			if (got == 0) {
				left++;
				continue;
			}
			if (got > 0 &&
			    !drain_stop(t, st, traps, ntraps, &drained)) {
				left++;
				continue;
			}
			/* done: stopped for good (or gone) */
			if (got > 0 && WIFSTOPPED(st))
				t->stopped_for_scan = 1;
			run[i] = NULL;
		}
		if (left && !late) {
			struct timespec ts = {0, 200000};
			nanosleep(&ts, NULL);
		}
	}
	free(intr);
	for (size_t i = 0; i < ntraps; i++)
		mem_write_code(p, traps[i].addr, &traps[i].orig, 1);
	if (nrun)
		debug("pid %d: %zu threads were inside the allocator at "
		      "attach: %d finished the call, %d did not within %d ms",
		      p->pid, nrun, drained, stuck, DRAIN_LIMIT_MS);
	free(traps);
	free(run);
	return (int)nrun;
}
