/*
 * fast: allocator calls recorded by the program itself, with no trap.
 *
 * A breakpoint costs a trap per call, ~20 us on these VMs even with
 * leakcheck on the same CPU: allocation-dense programs run slower than
 * under valgrind.  So where it can, bp_insert writes a 5-byte jmp over an
 * entry point's first instructions instead of an int3, to code of ours in
 * the injected page (src/arch/x86_64/fast.S) that records the call into a
 * ring in a read-write mapping of the program's, and runs the displaced
 * instructions.  leakcheck reads the ring (process_vm_readv) at every
 * trap, report, exit, fork and detach, and when it is full (the writer
 * traps: one trap per D_NSLOTS records).
 *
 *   free(p):     one record at the entry, before the block is free.
 *   malloc & co: the entry notes the call in the thread's entry in a
 *                table keyed by the thread pointer (%fs:0) and replaces
 *                the return address; the return writes one record: the
 *                arguments, the result, the callee-saved registers and a
 *                copy of the top of the stack, from which leakcheck
 *                unwinds later (as perf --call-graph=dwarf does).  At the
 *                return the caller's frames are as they were at the call.
 *   realloc(p):  also a record at the entry (FAST_REALLOC_BEGIN): p may be
 *                freed, and handed out by another thread, before the
 *                realloc returns.
 *
 * Order.  Slots are reserved with a lock cmpxchg on the head, so their
 * indexes order them.  A free is recorded before the block is freed and
 * an allocation after it is made, so a record that depends on another
 * (the free of a block, the reuse of a freed one) was reserved after the
 * other was written in full.  Records are therefore processed in index
 * order, skipping those not written yet (their writer was preempted: no
 * later record depends on them) and taking them up when they are; the
 * ring's tail stops at the first of them.  Trap-path events (calls that
 * take the slow path, posix_memalign, returns through return slots) are
 * handled after a drain, so they come after every record they can
 * depend on.
 *
 * The slow path: a thread not in the table yet, or whose sp is off the
 * stack it was registered with (a coroutine, a signal stack), jumps to
 * its instance's int3, which leakcheck handles as the breakpoint it
 * replaces (bp_ev.entry, return by a trapping return slot), registering
 * the thread first if it can.  While such a call is in progress the
 * thread's entry is marked busy so that the calls nested in it are not
 * recorded twice.
 *
 * The walk in the program (--unwind-in-program=yes, the default): at the
 * return, the recorder walks the caller's stack with compact unwind
 * tables (include/leakcheck/cfitab.h, src/arch/x86_64/target/fastwalk.c) that
 * leakcheck builds from each module's .eh_frame and writes into the data
 * mapping (fast_tables: at start and at every change of the module
 * list), and enters the return addresses in the program's stack table:
 * the record is a 64-byte header with the stack's id, and leakcheck reads
 * a stack's words once, the first time it meets its id (stk_pcs); only
 * where the table has no room do the return addresses go with the
 * record (in its ring slot); only where the tables cannot
 * describe a frame (a signal frame, code without CFI, a Go frame) does
 * it copy the stack, which leakcheck unwinds with libunwind as before.
 * Nothing is symbolized in the program; a thread's copy of its stack is
 * at most its window (fast->win), doubled when a copy proves too short
 * for the frames asked for.
 *
 * Invariants: a thread's table entry is only replaced by a tombstone at
 * its exit, or cleared in a forked child, so a return always finds its
 * entry.  leakcheck writes an entry's fields before its key.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stddef.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fast_layout.h"
#include "bp/bp.h"
#include "leakcheck/cfitab.h"
#include "leakcheck/options.h"
#include "leakcheck/profile.h"
#include "leakcheck/util.h"

extern const uint8_t lc_fast_blob[], lc_fast_blob_end[], lc_fast_vars[],
    lc_fast_entry_alloc[], lc_fast_entry_free[], lc_fast_return[],
    lc_fast_walk_abort[], lc_fast_walk_begin[], lc_fast_walk_end[];

#define BLOB_SIZE ((size_t)(lc_fast_blob_end - lc_fast_blob))
#define BLOB_OFF(sym) ((taddr_t)((sym)-lc_fast_blob))
#define FAST_WIN_START 1024
#define TOMBSTONE 1

struct fast_moving {
	taddr_t addr;
	struct heap_block b;
};

/* A stack of the program's stack table (fast_layout.h), read. */
struct fast_stk {
	uint64_t id; /* 0: an empty entry */
	size_t at;   /* its return addresses: words[at], STK_ID_N(id) */
	struct fast_memo memo; /* its depot id (hooks.c) */
};

struct fast {
	int refs;
	taddr_t data; /* the data mapping */
	taddr_t code; /* the blob in the page */
	taddr_t inst; /* the instances */
	unsigned ninst;
	taddr_t inst_bp[FAST_INST_MAX]; /* each instance's breakpoint */
	uint64_t win;			/* stack bytes copied at most */
	uint64_t tail, scan;		/* consumed; looked at */
	uint64_t *holes;		/* looked at, not written yet */
	size_t nholes, holes_cap;
	uint8_t *buf;
	size_t buf_cap;
	uint8_t *hdrs;		 /* a copy of D_HDR's headers (fast_drain) */
	struct fast_moving *mov; /* realloc'd blocks under way */
	size_t nmov, mov_cap;
	uint8_t used[FAST_THR_N]; /* our copy of the table's keys' state */
	int draining;
	uint64_t maxpcs;      /* D_MAXPCS: 0, no walk in the program */
	uint64_t nslots;      /* D_NSLOTS */
	struct fast_stk *stk; /* the stack table's ids met so far */
	size_t nstk, stk_cap; /* (open addressing, cap a power of 2) */
	uint64_t *words;      /* their return addresses */
	size_t nwords, words_cap;
	uint8_t *ext;		  /* ring slots' S_PC..S_NPCS (fast_drain) */
	uint64_t rate;		  /* D_RATE: the program samples */
	uint64_t sidx;		  /* D_SIDX when the pool was last filled */
	struct sampler sampler;	  /* draws the pool's intervals */
	struct cfitab_proc *tabs; /* the unwind table's source */
	uint64_t tab_gen;	  /* the (even) gen written last */
};

static int fast_kind_ok(enum hook_kind kind)
{
	switch (kind) {
	case HOOK_MALLOC:
	case HOOK_CALLOC:
	case HOOK_REALLOC:
	case HOOK_REALLOCARRAY:
	case HOOK_FREE:
	case HOOK_MEMALIGN:
	case HOOK_VALLOC:
	case HOOK_PVALLOC:
		return 1;
	default:
		return 0; /* posix_memalign: its result is read through memory
			   */
	}
}

/* Is PATH a Go program (a .gopclntab section)? */
int fast_is_go(const char *path)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	int fd, go = 0;
	Elf *e;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (e && !elf_getshdrstrndx(e, &shstrndx))
		while (!go && (scn = elf_nextscn(e, scn))) {
			GElf_Shdr sh;
			const char *name;
			if (gelf_getshdr(scn, &sh) &&
			    (name = elf_strptr(e, shstrndx, sh.sh_name)))
				go = !strcmp(name, ".gopclntab");
		}
	if (e)
		elf_end(e);
	close(fd);
	return go;
}

/* Does a stopped thread of P have its pc in (ADDR, ADDR + LEN)? */
static int pc_inside(struct proc *p, taddr_t addr, unsigned len)
{
	for (struct thread *t = threads_of(p, NULL); t; t = threads_of(p, t)) {
		arch_regs_t r;
		if (ptrace(PTRACE_GETREGS, t->tid, 0, &r) == 0 &&
		    ARCH_PC(&r) > addr && ARCH_PC(&r) < addr + len)
			return 1;
	}
	return 0;
}

/*
 * --sample-rate in the program: draw the intervals its threads took
 * from the pool since the last fill (all of them if ALL), and write the
 * pool.  A thread that takes one not drawn yet gets the mean (fastwalk.c);
 * more than FAST_SPOOL_N taken between two drains reuse old draws, still
 * exponential.  Returns 0 or -errno.
 */
static int spool_fill(pid_t pid, struct fast *f, int all)
{
	uint64_t pool[FAST_SPOOL_N], idx = 0, n;
	int r;

	if (!all) {
		if (mem_read(pid, f->data + D_SIDX, &idx, sizeof(idx)) !=
		    (long)sizeof(idx))
			return -EFAULT;
		if (idx == f->sidx)
			return 0;
	}
	if ((r = (int)mem_read(pid, f->data + D_SPOOL, pool, sizeof(pool))) !=
	    (int)sizeof(pool))
		return r < 0 ? r : -EFAULT;
	n = all || idx - f->sidx >= FAST_SPOOL_N ? FAST_SPOOL_N : idx - f->sidx;
	for (uint64_t i = 0; i < n; i++)
		pool[(f->sidx + i) % FAST_SPOOL_N] =
		    sampler_next_interval(&f->sampler, f->rate);
	f->sidx = idx;
	return mem_write(pid, f->data + D_SPOOL, pool, sizeof(pool));
}

/* Map the data, copy the code in.  Leaves p->fast NULL if it cannot. */
void fast_init(struct proc *p, pid_t tid)
{
	unsigned long long a[6] = {0,
				   FAST_DATA_SIZE,
				   PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
				   (unsigned long long)-1,
				   0};
	struct fast *f;
	uint8_t *code;
	long r;

	_Static_assert(INJ_FAST_INST + FAST_INST_MAX * FAST_INST_SIZE <=
			   INJ_RET,
		       "fast instances overlap the return slots");
	_Static_assert(FAST_INST_INFO + I_ORIG + 8 <= FAST_INST_SIZE,
		       "an instance's info overflows it");
	_Static_assert(FAST_KIND_CALLOC == HOOK_CALLOC &&
			   FAST_KIND_REALLOC == HOOK_REALLOC &&
			   FAST_KIND_REALLOCARRAY == HOOK_REALLOCARRAY &&
			   FAST_KIND_MEMALIGN == HOOK_MEMALIGN,
		       "the walk's sampler (fastwalk.c) reads enum hook_kind "
		       "by these numbers");
	_Static_assert(sizeof(struct cfiwalk_cache) == 1 << FAST_WCACHE_SHIFT,
		       "a thread's walk cache is not its room in D_WCACHE");
	_Static_assert(FAST_PAGE_SIZE == PAGE_SIZE_INJ &&
			   FAST_PAGE_OFF == INJ_FAST,
		       "fast_layout.h's page is not internal.h's");
	if (opt.no_fast_path || p->fast || !p->page ||
	    INJ_FAST + BLOB_SIZE > INJ_FAST_INST)
		return;
	r = inject_syscall(p, tid, SYS_mmap, a);
	if (r < 0 && r > -4096) {
		debug("pid %d: no data mapping for the fast path (%ld)", p->pid,
		      r);
		return;
	}
	f = xcalloc(1, sizeof(*f));
	f->refs = 1;
	f->data = (taddr_t)r;
	/* the walk in the program, up to FAST_HDR_PCS return addresses
	 * (more, and every stack is copied); its stacks go into the stack
	 * table, but in check mode (tests/cfiwalk.sh), where each record
	 * carries the copy it is compared with */
	if (opt.unwind_in_program && opt.num_callers > 1 &&
	    opt.num_callers - 1 <= FAST_HDR_PCS)
		f->maxpcs = opt.num_callers - 1;
	if (f->maxpcs && opt.sample_rate)
		f->rate = opt.sample_rate; /* the walk samples (fastwalk.c) */
	/* bench/alloc, 6M records: 0.48 s with 4,096 slots, 0.64-0.75 s
	 * with 512; with every stack copied (--unwind-in-program=no),
	 * sqlite3's RSS was 72 MB with 4,096, 15 MB with 512 */
	f->nslots = f->maxpcs && !getenv("LEAKCHECK_TEST_CFIWALK")
			? FAST_NSLOTS
			: FAST_NSLOTS_COPY;
	if (mem_write(p->pid, f->data + D_NSLOTS, &f->nslots,
		      sizeof(f->nslots)) ||
	    (f->maxpcs && mem_write(p->pid, f->data + D_MAXPCS, &f->maxpcs,
				    sizeof(f->maxpcs))) ||
	    (f->maxpcs && !getenv("LEAKCHECK_TEST_CFIWALK") &&
	     mem_write(p->pid, f->data + D_DEDUP, &(uint8_t){1}, 1)) ||
	    (f->rate && (spool_fill(p->pid, f, 1) ||
			 mem_write(p->pid, f->data + D_RATE, &f->rate,
				   sizeof(f->rate))))) {
		free(f);
		return;
	}
	f->code = p->page + INJ_FAST;
	f->inst = p->page + INJ_FAST_INST;
	f->win = FAST_WIN_START;
	code = xmalloc(BLOB_SIZE);
	memcpy(code, lc_fast_blob, BLOB_SIZE);
	memcpy(code + BLOB_OFF(lc_fast_vars), &f->data, sizeof(f->data));
	if (mem_write_code(p, f->code, code, BLOB_SIZE)) {
		free(code);
		free(f);
		return;
	}
	free(code);
	p->fast = f;
	if (f->maxpcs && getenv("LEAKCHECK_TEST_CFIWALK")) {
		uint8_t one = 1; /* tests/cfiwalk.sh */
		mem_write(p->pid, f->data + D_CHECK, &one, 1);
	}
	fast_tables(p);
	fast_guard(p);
	debug("pid %d: fast path, data at %#llx", p->pid,
	      (unsigned long long)f->data);
}

/* If leakcheck dies, the guard turns P's recording off (its first
 * write: guard.c). */
void fast_guard(struct proc *p)
{
	if (p->fast)
		guard_note(p, p->fast->data + D_DISABLED, 1);
}

/*
 * The module list of P changed (or the fast path began): write the
 * unwind table of its modules into the data mapping, as a seqlock (see
 * fastwalk.c): the header's gen odd, the modules and rows, the header,
 * its gen even; each its own write, so that each is seen after the one
 * before.  A table too big for its room stays odd: every walk falls back
 * to the stack copy.
 */
void fast_tables(struct proc *p)
{
	struct fast *f = p->fast;
	struct cfitab_hdr h;
	const unsigned char *blob;
	size_t size;
	uint64_t odd;
	taddr_t at;

	if (!f || !f->maxpcs)
		return;
	at = f->data + D_TABLE;
	if (!f->tabs)
		f->tabs = cfitab_proc_new(p->pid);
	cfitab_proc_flush(f->tabs);
	blob = cfitab_proc_blob(f->tabs, &size);
	odd = f->tab_gen + 1;
	if (mem_write(p->pid, at + offsetof(struct cfitab_hdr, gen), &odd,
		      sizeof(odd)))
		return;
	f->tab_gen += 2;
	if (size > FAST_TABLE_MAX) {
		debug("pid %d: unwind table of %zu bytes: too big, no walk in "
		      "the program",
		      p->pid, size);
		return;
	}
	memcpy(&h, blob, sizeof(h));
	if (mem_write(p->pid, at + sizeof(h), blob + sizeof(h),
		      size - sizeof(h)) ||
	    mem_write(p->pid, at, &h, offsetof(struct cfitab_hdr, gen)) ||
	    mem_write(p->pid, at + offsetof(struct cfitab_hdr, gen),
		      &f->tab_gen, sizeof(f->tab_gen)))
		return;
	g_bp_stats.fast_tables++;
	debug("pid %d: unwind table for the walk in the program: %u modules, "
	      "%zu bytes",
	      p->pid, h.nmods, size);
}

static void fast_unref(struct fast *f)
{
	if (!f || --f->refs > 0)
		return;
	cfitab_proc_free(f->tabs);
	free(f->holes);
	free(f->buf);
	free(f->stk);
	free(f->words);
	free(f->ext);
	free(f->hdrs);
	free(f->mov);
	free(f);
}

void fast_forget(struct proc *p)
{
	fast_unref(p->fast);
	p->fast = NULL;
	for (struct thread *t = threads_of(p, NULL); t; t = threads_of(p, t))
		t->fast_idx = -1;
}

int fast_data_range(const struct proc *p, taddr_t *start, taddr_t *end)
{
	if (!p->fast)
		return 0;
	*start = p->fast->data;
	*end = p->fast->data + FAST_DATA_SIZE;
	return 1;
}

/*
 * Put B's entry under a jmp to a new instance, if the code allows: CODE
 * holds the bytes at B->addr.  Every thread of P must be stopped outside
 * them (one thread, or all stopped: P->all_stopped).  Returns 0 with B set
 * up (resume = the displaced instructions; the caller writes the jmp,
 * fast_jmp), or -errno: use an int3.
 */
int fast_patch(struct proc *p, struct bp *b, const uint8_t *code, size_t n,
	       taddr_t slot)
{
	struct fast *f = p->fast;
	struct arch_displaced d;
	uint8_t inst[FAST_INST_SIZE];
	taddr_t ia, entry;
	int64_t rel;
	uint64_t info[5];
	int ret;

	if (!f || !(p->nthreads <= 1 || p->all_stopped) ||
	    !fast_kind_ok(b->kind) || b->heap_arg ||
	    f->ninst >= FAST_INST_MAX || (p->flags & PROC_VFORK_CHILD))
		return -ENOTSUP;
	ia = f->inst + f->ninst * FAST_INST_SIZE;
	rel = (int64_t)ia - (int64_t)(b->addr + 5);
	if (rel != (int32_t)rel)
		return -ERANGE;
	ret = arch_prepare_displaced_n(code, n, b->addr, slot, 5, &d);
	if (ret)
		return ret;
	if (pc_inside(p, b->addr, d.insn_len))
		return -EBUSY;
	if ((ret = mem_write_code(p, slot, d.slot, d.slot_len)))
		return ret;
	entry =
	    f->code + (b->kind == HOOK_FREE ? BLOB_OFF(lc_fast_entry_free)
					    : BLOB_OFF(lc_fast_entry_alloc));
	memset(inst, ARCH_BP_INSN, sizeof(inst));
	/* lea info(%rip),%r11 */
	inst[0] = 0x4c, inst[1] = 0x8d, inst[2] = 0x1d;
	{
		int32_t d1 = FAST_INST_INFO - 7;
		int32_t d2 = (int32_t)((int64_t)entry - (int64_t)(ia + 12));
		int32_t d3 = FAST_INST_INFO + I_RESUME - (FAST_INST_SLOW + 7);
		memcpy(inst + 3, &d1, 4);
		inst[7] = 0xe9; /* jmp entry */
		memcpy(inst + 8, &d2, 4);
		/* after the int3: jmp *resume(%rip), for a trap no tracer
		 * took (leakcheck killed; the handler of an earlier one) */
		inst[FAST_INST_SLOW + 1] = 0xff;
		inst[FAST_INST_SLOW + 2] = 0x25;
		memcpy(inst + FAST_INST_SLOW + 3, &d3, 4);
	}
	info[0] = b->kind;
	info[1] = slot;
	info[2] = b->addr;
	info[3] = (b->kind == HOOK_REALLOC || b->kind == HOOK_REALLOCARRAY
		       ? FAST_I_BEGIN
		       : 0) |
		  FAST_I_ORIG;
	info[4] = 0;
	memcpy(&info[4], code, 5);
	memcpy(inst + FAST_INST_INFO, info, sizeof(info));
	if ((ret = mem_write_code(p, ia, inst, sizeof(inst))))
		return ret;
	b->fast = 1;
	b->insn_len = (uint8_t)d.insn_len;
	b->resume = slot;
	b->trap = ia + FAST_INST_SLOW;
	memcpy(b->orig5, code, 5);
	f->inst_bp[f->ninst++] = b->addr;
	return 0;
}

/* The jmp that B (fast_patch'd) needs at its entry: 5 bytes in JMP. */
void fast_jmp(const struct bp *b, uint8_t jmp[5])
{
	int32_t rel = (int32_t)((int64_t)(b->trap - FAST_INST_SLOW) -
				(int64_t)(b->addr + 5));
	jmp[0] = 0xe9;
	memcpy(jmp + 1, &rel, 4);
}

/* ---- the thread table ---- */

static unsigned thr_hash(taddr_t key)
{
	return (unsigned)((key * (uint64_t)(int64_t)(int32_t)0x9e3779b1u) >>
			  (64 - 12)) &
	       (FAST_THR_N - 1);
}

/* The stack of T, stopped with REGS: [*lo, *hi) from its mapping.  The
 * main thread's is [stack]; another thread's ends at its thread pointer
 * (glibc puts it at the top of the thread's stack). */
static int thread_stack(struct thread *t, const arch_regs_t *r, taddr_t *lo,
			taddr_t *hi)
{
	char path[64], *text, *line, *save = NULL;
	taddr_t sp = ARCH_SP(r), fs = r->fs_base;
	int ok = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", t->proc->pid);
	text = read_file_text(path, NULL);
	if (!text)
		return 0;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned long long s, e;
		int off = 0;
		if (sscanf(line, "%llx-%llx %*s %*s %*s %*s %n", &s, &e, &off) <
			2 ||
		    sp < s || sp >= e)
			continue;
		if (off && strstr(line + off, "[stack]")) {
			*lo = s, *hi = e, ok = 1;
		} else if (fs > sp && fs < e) {
			*lo = s, *hi = fs, ok = 1;
		}
		break;
	}
	free(text);
	return ok;
}

/* Enter T in the table (it took the slow path with REGS), if its stack
 * allows; t->fast_idx says what came of it. */
static void fast_register(struct thread *t, const arch_regs_t *r)
{
	struct proc *p = t->proc;
	struct fast *f = p->fast;
	taddr_t lo, hi, key = r->fs_base;
	uint64_t e[4];
	unsigned h;

	if (t->fast_idx >= 0) {
		/* registered, its sp off its stack: grown (the main stack)? */
		if (ARCH_SP(r) >= t->fast_hi ||
		    ARCH_SP(r) + (64u << 20) < t->fast_hi ||
		    !thread_stack(t, r, &lo, &hi) || hi != t->fast_hi)
			return;
		mem_write(p->pid,
			  f->data + D_THREADS +
			      ((taddr_t)t->fast_idx << FAST_THR_SHIFT) + T_LO,
			  &lo, sizeof(lo));
		return;
	}
	if (t->fast_idx == -2 || !key || (p->flags & PROC_VFORK_CHILD))
		return;
	t->fast_idx = -2;
	if (!thread_stack(t, r, &lo, &hi))
		return;
	h = thr_hash(key);
	for (int i = 0; i < FAST_THR_PROBES;
	     i++, h = (h + 1) & (FAST_THR_N - 1)) {
		taddr_t at =
		    f->data + D_THREADS + ((taddr_t)h << FAST_THR_SHIFT);
		if (f->used[h] == 1)
			continue;
		e[0] = lo, e[1] = hi, e[2] = f->win, e[3] = 0;
		if (mem_write(p->pid, at + T_LO, e, sizeof(e)) ||
		    mem_write(p->pid, at + T_KEY, &key, sizeof(key)))
			return;
		f->used[h] = 1;
		t->fast_idx = (int)h;
		t->fast_busy = 0;
		t->fast_hi = hi;
		return;
	}
}

/* T is gone: its entry becomes a tombstone (lookups go on past it). */
void fast_thread_gone(struct thread *t)
{
	struct fast *f = t->proc->fast;
	uint64_t tomb = TOMBSTONE;

	if (!f || t->fast_idx < 0)
		return;
	mem_write(t->proc->pid,
		  f->data + D_THREADS +
		      ((taddr_t)t->fast_idx << FAST_THR_SHIFT),
		  &tomb, sizeof(tomb));
	f->used[t->fast_idx] = 2;
	t->fast_idx = -1;
}

/* The slow path's call of T is in progress (SP) or over (0): calls
 * nested in it are not to be recorded. */
void fast_set_busy(struct thread *t, taddr_t sp)
{
	struct fast *f = t->proc->fast;

	/* every trapped return asks: write only a change */
	if (f && t->fast_idx >= 0 && t->fast_busy != sp &&
	    !mem_write(t->proc->pid,
		       f->data + D_THREADS +
			   ((taddr_t)t->fast_idx << FAST_THR_SHIFT) + T_BUSY,
		       &sp, sizeof(sp)))
		t->fast_busy = sp;
}

/*
 * T (stopped, registers R read) is at a rep movsb of ours (the recorder's
 * stack copy): make the whole copy at once and set T past it, instead of
 * a single-step per byte (16 KiB are 16,384 steps).  Returns 1 if done,
 * 0 if T is not at one (or the copy could not be made: step it then).
 */
int fast_copy_at_once(struct thread *t, arch_regs_t *r)
{
	struct proc *p = t->proc;
	uint8_t code[16];
	unsigned long long dst, src, len;
	arch_regs_t after = *r;
	uint8_t *buf;
	int ok;

	if (mem_read(p->pid, ARCH_PC(r), code, sizeof(code)) !=
		(long)sizeof(code) ||
	    !arch_rep_movsb(code, &after, &dst, &src, &len) || len > (1u << 20))
		return 0;
	buf = xmalloc(len + 1);
	ok = mem_read(p->pid, src, buf, len) == (long)len &&
	     !mem_write(p->pid, dst, buf, len) &&
	     ptrace(PTRACE_SETREGS, t->tid, 0, &after) == 0;
	free(buf);
	if (ok)
		*r = after;
	return ok;
}

/* T's allocator call caught by an int3 (not by the fast path) is on its
 * pending stack: the calls it makes (a declared allocator's malloc) are
 * nested, and the recorder in the program is told so. */
void fast_mark_busy(struct thread *t, const arch_regs_t *r)
{
	struct proc *p = t->proc;

	if (!p->fast || !t->npend)
		return;
	fast_register(t, r);
	fast_set_busy(t, t->pend[t->npend - 1].slot);
}

/* ---- the ring ---- */

static void grow_window(struct proc *p)
{
	struct fast *f = p->fast;

	if (f->win >= FAST_STACK_MAX)
		return;
	f->win = f->win * 2 > FAST_STACK_MAX ? FAST_STACK_MAX : f->win * 2;
	g_bp_stats.fast_win = f->win;
	for (unsigned h = 0; h < FAST_THR_N; h++)
		if (f->used[h] == 1)
			mem_write(p->pid,
				  f->data + D_THREADS +
				      ((taddr_t)h << FAST_THR_SHIFT) + T_WIN,
				  &f->win, sizeof(f->win));
}

static void moving_add(struct fast *f, taddr_t addr, const struct heap_block *b)
{
	f->mov = xgrow(f->mov, &f->mov_cap, f->nmov + 1, sizeof(*f->mov));
	f->mov[f->nmov].addr = addr;
	f->mov[f->nmov++].b = *b;
}

static int moving_take(struct fast *f, taddr_t addr, struct heap_block *b)
{
	for (size_t i = f->nmov; i-- > 0;)
		if (f->mov[i].addr == addr) {
			*b = f->mov[i].b;
			f->mov[i] = f->mov[--f->nmov];
			return 1;
		}
	return 0;
}

/* Where ID is in the open-addressing table T of CAP (a power of 2)
 * entries, or the empty entry where it would go. */
static size_t stk_slot(const struct fast_stk *t, size_t cap, uint64_t id)
{
	size_t i = (size_t)(id * 0x9e3779b97f4a7c15ull >> 40) & (cap - 1);

	while (t[i].id && t[i].id != id)
		i = (i + 1) & (cap - 1);
	return i;
}

/* The return addresses of the stack table's stack ID (*N of them), read
 * from the program the first time, and its memo (*MEMO, valid until the
 * next call); NULL if ID cannot be one. */
static const uint64_t *stk_pcs(struct proc *p, struct fast *f, uint64_t id,
			       unsigned *n, struct fast_memo **memo)
{
	uint64_t nn = STK_ID_N(id), off = STK_ID_OFF(id), w[1 + FAST_HDR_PCS];
	size_t i;

	if (!nn || nn > FAST_HDR_PCS || !(id & 0xffffffffu) ||
	    off > FAST_STKPOOL_W - nn - 1)
		return NULL;
	*n = (unsigned)nn;
	if (f->stk_cap && f->stk[i = stk_slot(f->stk, f->stk_cap, id)].id) {
		*memo = &f->stk[i].memo;
		return f->words + f->stk[i].at;
	}
	if (mem_read(p->pid, f->data + D_STKPOOL + off * 8, w, (nn + 1) * 8) !=
	    (long)((nn + 1) * 8))
		return NULL;
	if (2 * (f->nstk + 1) > f->stk_cap) {
		size_t cap = f->stk_cap ? f->stk_cap * 2 : 1024;
		struct fast_stk *t = xcalloc(cap, sizeof(*t));
		for (size_t j = 0; j < f->stk_cap; j++)
			if (f->stk[j].id)
				t[stk_slot(t, cap, f->stk[j].id)] = f->stk[j];
		free(f->stk);
		f->stk = t;
		f->stk_cap = cap;
	}
	i = stk_slot(f->stk, f->stk_cap, id);
	f->words =
	    xgrow(f->words, &f->words_cap, f->nwords + nn, sizeof(*f->words));
	memcpy(f->words + f->nwords, w + 1, nn * 8);
	f->stk[i] = (struct fast_stk){.id = id, .at = f->nwords};
	f->nwords += nn;
	f->nstk++;
	g_bp_stats.fast_stacks++;
	*memo = &f->stk[i].memo;
	return f->words + f->stk[i].at;
}

static uint64_t word_at(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/* One record: HDR, its header (H_*), EXT, its ring slot's S_PC..S_NPCS
 * at their offsets (NULL when H_STK says there is nothing there), and
 * DATA, what follows them in the slot: the walk's return addresses or
 * the stack bytes copied (S_LEN of them; in check mode after the return
 * addresses, at S_STACK + FAST_WALK_MAX * 8 - S_STACK in DATA). */
static void process(struct proc *p, const uint8_t *hdr, const uint8_t *ext,
		    const uint8_t *data)
{
	struct fast *f = p->fast;
	uint64_t kind = word_at(hdr + H_KIND), stk = word_at(hdr + H_STK);
	uint64_t len = ext ? word_at(ext + S_LEN) : 0;
	uint64_t npcs = ext ? word_at(ext + S_NPCS) : 0;
	arch_regs_t regs; /* (filled only where they are unwound from) */
	struct heap_block b;

	g_bp_stats.fast_records++;
	switch (kind) {
	case HOOK_FREE:
		bp_ev.fast_free(p, word_at(hdr + H_A0));
		return;
	case FAST_REALLOC_BEGIN:
		if (heap_table_remove(&p->heap, word_at(hdr + H_A0), &b))
			moving_add(f, word_at(hdr + H_A0), &b);
		return;
	default:
		break;
	}
	if (kind >= HOOK_NKINDS || len > FAST_STACK_MAX)
		return;
	{
		struct fast_call c = {
		    .kind = (uint8_t)kind,
		    .a = {word_at(hdr + H_A0), word_at(hdr + H_A1),
			  word_at(hdr + H_A2)},
		    .res = word_at(hdr + H_RES),
		    .fn = word_at(hdr + H_FN),
		    .stack = data,
		    .len = data ? len : 0,
		    .hi = ext ? word_at(ext + S_HI) : 0,
		    .sample = f->rate ? stk != FAST_UNSAMPLED : -1,
		};
		if (!c.sample)
			g_bp_stats.fast_unsampled++;
		if (stk && stk != FAST_UNSAMPLED) {
			/* the walk in the program, its stack in the table */
			c.pcs = stk_pcs(p, f, stk, &c.npcs, &c.memo);
			if (!c.pcs)
				c.npcs = 0;
			else
				g_bp_stats.fast_walked++;
		} else if (npcs && npcs <= f->maxpcs && data) {
			/* the walk in the program: its return addresses (and
			 * in check mode, D_CHECK, the copy after them) */
			c.pcs = (const uint64_t *)data;
			c.npcs = (unsigned)npcs;
			if (c.len > FAST_CHECK_MAX)
				c.len = 0;
			c.stack = c.len ? data + FAST_WALK_MAX * 8 : NULL;
			g_bp_stats.fast_walked++;
		}
		if (ext || !c.pcs) {
			/* the registers, where they may be unwound from (a
			 * stack of the table's that could not be read: from
			 * zeroes, to nothing) */
			memset(&regs, 0, sizeof(regs));
			if (ext) {
				regs.rip = word_at(ext + S_PC);
				regs.rsp = word_at(ext + S_SP);
				regs.rbp = word_at(ext + S_RBP);
				regs.rbx = word_at(ext + S_RBX);
				regs.r12 = word_at(ext + S_R12);
				regs.r13 = word_at(ext + S_R13);
				regs.r14 = word_at(ext + S_R14);
				regs.r15 = word_at(ext + S_R15);
			}
			c.regs = &regs;
		}
		if ((c.kind == HOOK_REALLOC || c.kind == HOOK_REALLOCARRAY) &&
		    c.a[0]) {
			/* its BEGIN took the old block out */
			c.moved = moving_take(f, c.a[0], &c.old);
			c.realloc_begun = 1;
		}
		if (bp_ev.fast_call(p, &c) == 1 && c.len >= f->win / 2) {
			g_bp_stats.fast_short++;
			grow_window(p);
		}
	}
}

/* Read the pieces IN[0..N) of the program into OUT[0..N) in batches of
 * at most 1024 (UIO_MAXIOV).  Returns 0 if all of it was read. */
static int read_pieces(pid_t pid, struct iovec *out, struct iovec *in, size_t n)
{
	for (size_t at = 0; at < n; at += 1024) {
		size_t k = n - at < 1024 ? n - at : 1024, sum = 0;
		for (size_t j = 0; j < k; j++)
			sum += out[at + j].iov_len;
		if (process_vm_readv(pid, out + at, k, in + at, k, 0) !=
		    (ssize_t)sum)
			return -1;
	}
	return 0;
}

/*
 * Read and record what the ring holds; returns the records read.  If
 * RESUME is a thread's tid, it is resumed once the slots are copied and
 * freed, so that the program runs while we unwind.  The program may be
 * running: a record is read only once D_DONE says it is written in full
 * (stored after the record), and the tail only grows.
 */
size_t fast_drain(struct proc *p, pid_t resume)
{
	struct fast *f = p->fast;
	uint64_t head, *want = NULL, *done = NULL;
	size_t nwant = 0, ndone = 0, nread = 0, *at = NULL;
	struct iovec *r = NULL, *ls = NULL;
	uint8_t *has_ext = NULL;
	ssize_t got;

	if (!f || f->draining) {
		if (resume > 0)
			task_resume(resume, 0);
		return 0;
	}
	f->draining = 1;
	if (mem_read(p->pid, f->data + D_HEAD, &head, sizeof(head)) !=
	    (long)sizeof(head))
		goto out;
	if (head - f->scan > f->nslots)
		head =
		    f->scan + f->nslots; /* cannot be: the ring holds no more */
	nwant = f->nholes + (size_t)(head - f->scan);
	if (!nwant)
		goto out;
	want = xmalloc(nwant * sizeof(*want));
	if (f->nholes)
		memcpy(want, f->holes, f->nholes * sizeof(*want));
	for (uint64_t i = f->scan; i < head; i++)
		want[f->nholes + (i - f->scan)] = i;
	f->scan = head;
	f->nholes = 0;
	g_bp_stats.fast_drains++;

	/* 1: which are written (D_DONE: their H_SEQ): the entries of the
	 * slots from the oldest wanted to the newest, in place in f->buf
	 * (two pieces where they wrap) */
	r = xmalloc((nwant > 2 ? nwant : 2) * sizeof(*r));
	ls = xmalloc((nwant > 2 ? nwant : 2) * sizeof(*ls));
	done = xmalloc(nwant * sizeof(*done));
	f->buf = xgrow(f->buf, &f->buf_cap, f->nslots * 8, 1);
	{
		uint64_t lo = head, n;
		size_t from, k, pieces = 0;
		for (size_t i = 0; i < nwant; i++)
			if (want[i] < lo)
				lo = want[i];
		n = head - lo; /* <= f->nslots but in a corrupt ring, where
				* all of D_DONE is read and the seqs tell */
		if (n > f->nslots) {
			lo = head - f->nslots;
			n = f->nslots;
		}
		from = (size_t)(lo & (f->nslots - 1));
		k = n < f->nslots - from ? (size_t)n : f->nslots - from;
		ls[pieces] = (struct iovec){f->buf + from * 8, k * 8};
		r[pieces++] = (struct iovec){
		    (void *)(uintptr_t)(f->data + D_DONE + from * 8), k * 8};
		if (n > k) {
			ls[pieces] = (struct iovec){f->buf, (n - k) * 8};
			r[pieces++] = (struct iovec){
			    (void *)(uintptr_t)(f->data + D_DONE), (n - k) * 8};
		}
		got = process_vm_readv(p->pid, ls, pieces, r, pieces, 0);
		if (got != (ssize_t)(n * 8))
			goto out;
	}
	for (size_t i = 0; i < nwant; i++) {
		uint64_t seq;
		memcpy(&seq, f->buf + (want[i] & (f->nslots - 1)) * 8, 8);
		if (seq == want[i] + 1)
			done[ndone++] = want[i];
		else {
			f->holes = xgrow(f->holes, &f->holes_cap, f->nholes + 1,
					 sizeof(*f->holes));
			f->holes[f->nholes++] = want[i];
		}
	}
	if (!ndone)
		goto out;
	/* 2: their headers (all of the record visible now that its H_SEQ
	 * was): a run of consecutive slots' headers is one piece of D_HDR,
	 * read into its place in f->hdrs */
	if (!f->hdrs)
		f->hdrs = xmalloc((size_t)f->nslots << FAST_HDR_SHIFT);
	if (!f->ext)
		f->ext = xmalloc((size_t)f->nslots * S_STACK);
	{
		size_t n2 = 0;
		for (size_t i = 0; i < ndone; i++) {
			size_t off = (size_t)(done[i] & (f->nslots - 1))
				     << FAST_HDR_SHIFT;
			if (n2 && (uint8_t *)ls[n2 - 1].iov_base +
					  ls[n2 - 1].iov_len ==
				      f->hdrs + off) {
				ls[n2 - 1].iov_len += 1u << FAST_HDR_SHIFT;
				r[n2 - 1].iov_len += 1u << FAST_HDR_SHIFT;
			} else {
				ls[n2] = (struct iovec){f->hdrs + off,
							1u << FAST_HDR_SHIFT};
				r[n2] = (struct iovec){
				    (void *)(uintptr_t)(f->data + D_HDR + off),
				    1u << FAST_HDR_SHIFT};
				n2++;
			}
		}
		if (read_pieces(p->pid, ls, r, n2))
			goto out;
	}
	/* 3: the ring slots of the records whose stack is there (H_STK 0:
	 * a copy, or return addresses the stack table had no room for):
	 * S_PC..S_NPCS; 4: what follows, one after the other into f->buf
	 * (at[i]: where record i's is, or -1) */
	has_ext = xcalloc(ndone, 1);
	at = xmalloc(ndone * sizeof(*at));
	{
		size_t n2 = 0, sum = 0;
		for (size_t i = 0; i < ndone; i++) {
			const uint8_t *hdr =
			    f->hdrs +
			    ((done[i] & (f->nslots - 1)) << FAST_HDR_SHIFT);
			uint64_t kind, stk;
			memcpy(&kind, hdr + H_KIND, 8);
			memcpy(&stk, hdr + H_STK, 8);
			if (kind == HOOK_FREE || kind == FAST_REALLOC_BEGIN ||
			    kind >= HOOK_NKINDS || stk)
				continue;
			has_ext[i] = 1;
			ls[n2] = (struct iovec){
			    f->ext + (done[i] & (f->nslots - 1)) * S_STACK +
				S_PC,
			    S_STACK - S_PC};
			r[n2++] = (struct iovec){
			    (void *)(uintptr_t)(f->data + D_RING +
						((done[i] & (f->nslots - 1))
						 << FAST_SLOT_SHIFT) +
						S_PC),
			    S_STACK - S_PC};
		}
		if (read_pieces(p->pid, ls, r, n2))
			goto out;
		n2 = 0;
		for (size_t i = 0; i < ndone; i++) {
			const uint8_t *ext =
			    f->ext + (done[i] & (f->nslots - 1)) * S_STACK;
			uint64_t len, npcs, off = S_STACK;

			at[i] = (size_t)-1;
			if (!has_ext[i])
				continue;
			memcpy(&len, ext + S_LEN, 8);
			memcpy(&npcs, ext + S_NPCS, 8);
			if (npcs && npcs <= f->maxpcs) {
				/* walked: the return addresses; check mode:
				 * the copy after them */
				if (len > FAST_CHECK_MAX)
					len = 0;
				len = len ? FAST_WALK_MAX * 8 + len : npcs * 8;
			} else if (npcs) {
				len = 0; /* cannot be */
			}
			if (len > (1u << FAST_SLOT_SHIFT) - off)
				len = 0;
			if (!len)
				continue;
			at[i] = sum;
			r[n2] = (struct iovec){
			    (void *)(uintptr_t)(f->data + D_RING +
						((done[i] & (f->nslots - 1))
						 << FAST_SLOT_SHIFT) +
						off),
			    len};
			ls[n2++].iov_len = len;
			sum += len;
		}
		f->buf = xgrow(f->buf, &f->buf_cap, sum ? sum : 1, 1);
		for (size_t i = 0, j = 0; i < ndone; i++)
			if (at[i] != (size_t)-1)
				ls[j++].iov_base = f->buf + at[i];
		if (read_pieces(p->pid, ls, r, n2))
			goto out;
	}
	/* the slots are ours: free them, let the program go on */
	{
		uint64_t tail = f->scan;
		for (size_t i = 0; i < f->nholes; i++)
			if (f->holes[i] < tail)
				tail = f->holes[i];
		if (tail != f->tail) {
			f->tail = tail;
			mem_write(p->pid, f->data + D_TAIL, &tail,
				  sizeof(tail));
		}
	}
	if (resume > 0) {
		task_resume(resume, 0);
		resume = 0;
	}
	for (size_t i = 0; i < ndone; i++) {
		size_t slot = (size_t)(done[i] & (f->nslots - 1));
		process(p, f->hdrs + (slot << FAST_HDR_SHIFT),
			has_ext[i] ? f->ext + slot * S_STACK : NULL,
			at[i] == (size_t)-1 ? NULL : f->buf + at[i]);
	}
	nread = ndone;
	if (f->rate)
		spool_fill(p->pid, f, 0); /* what its sampled calls took */
out:
	free(has_ext);
	free(at);
	free(ls);
	free(want);
	free(done);
	free(r);
	f->draining = 0;
	if (resume > 0)
		task_resume(resume, 0);
	return nread;
}

/* Is PC (a trap's int3) ours?  Handles it and resumes T if so.  A vfork
 * child runs in its parent's memory: its ring is the parent's. */
int fast_trap(struct thread *t, arch_regs_t *regs, taddr_t pc)
{
	struct proc *p = t->proc, *o = p;
	struct fast *f;

	if (!p->fast && p->fast_owner)
		o = proc_find(p->fast_owner);
	if (!o || !(f = o->fast))
		return 0;
	if (pc >= f->code && pc < f->code + BLOB_SIZE) {
		/* the ring is full */
		g_bp_stats.fast_full++;
		fast_drain(o, t->tid);
		return 1;
	}
	if (pc >= f->inst && pc < f->inst + f->ninst * FAST_INST_SIZE &&
	    (pc - f->inst) % FAST_INST_SIZE == FAST_INST_SLOW) {
		struct bp *b =
		    bp_find(p, f->inst_bp[(pc - f->inst) / FAST_INST_SIZE]);
		struct bp hit;
		size_t npend = t->npend;
		if (!b)
			return 0;
		g_bp_stats.fast_slow++;
		fast_drain(o, 0);
		hit = *b;
		if (o == p)
			fast_register(t, regs);
		bp_ev.entry(t, &hit, regs);
		if (o == p && t->npend > npend)
			fast_set_busy(t, t->pend[t->npend - 1].slot);
		ARCH_PC(regs) = hit.resume;
		ptrace(PTRACE_SETREGS, t->tid, 0, regs);
		task_resume(t->tid, 0);
		return 1;
	}
	return 0;
}

/*
 * PAGE is a page that a leakcheck killed while attached left in P
 * (leftover.c), every thread of P stopped: put the original bytes back
 * at the entries its fast path's jmps are still at, and the return
 * addresses of its calls still in progress back on their stacks (its
 * thread table has them, as fast_detach does).  Returns its fast path's
 * data mapping (to unmap), or 0; sets *KEEP if the page is still needed
 * (an entry it cannot put back: a leakcheck that did not keep the
 * bytes, or code other than ours).
 */
taddr_t fast_leftover(struct proc *p, taddr_t page, int *keep)
{
	taddr_t code = page + INJ_FAST, inst = page + INJ_FAST_INST, data;
	taddr_t ret = code + BLOB_OFF(lc_fast_return);
	size_t tsize = (size_t)FAST_THR_N << FAST_THR_SHIFT;
	uint8_t *blob = xmalloc(BLOB_SIZE), *table;

	if (mem_read(p->pid, code, blob, BLOB_SIZE) != (long)BLOB_SIZE ||
	    memcmp(blob + 16, lc_fast_blob + 16, BLOB_SIZE - 16)) {
		/* no fast path there, or another leakcheck's */
		free(blob);
		*keep |= mem_read(p->pid, code, &data, sizeof(data)) !=
			     (long)sizeof(data) ||
			 data != 0;
		return 0;
	}
	memcpy(&data, blob, sizeof(data));
	free(blob);
	if (!data)
		return 0;
	for (unsigned i = 0; i < FAST_INST_MAX; i++) {
		taddr_t ia = inst + i * FAST_INST_SIZE;
		uint64_t info[5];
		uint8_t now[5], jmp[5];
		int32_t rel;
		if (mem_read(p->pid, ia + FAST_INST_INFO, info, sizeof(info)) !=
			(long)sizeof(info) ||
		    !info[I_FN / 8])
			break;
		rel = (int32_t)((int64_t)ia - (int64_t)(info[I_FN / 8] + 5));
		jmp[0] = 0xe9;
		memcpy(jmp + 1, &rel, 4);
		if (mem_read_force(p, info[I_FN / 8], now, 5) != 5 ||
		    memcmp(now, jmp, 5))
			continue; /* not ours (any more) */
		if (!(info[I_FLAGS / 8] & FAST_I_ORIG) ||
		    mem_write_code(p, info[I_FN / 8], &info[I_ORIG / 8], 5))
			*keep = 1;
	}
	/* calls in progress: their return to lc_fast_return */
	table = xmalloc(tsize);
	if (mem_read(p->pid, data + D_THREADS, table, tsize) == (long)tsize)
		for (unsigned h = 0; h < FAST_THR_N; h++) {
			uint64_t e[T_RET / 8 + 1];
			taddr_t cur;
			memcpy(e, table + ((size_t)h << FAST_THR_SHIFT),
			       sizeof(e));
			if (e[T_KEY / 8] <= TOMBSTONE || !e[T_BUSY / 8] ||
			    mem_read(p->pid, e[T_BUSY / 8], &cur,
				     sizeof(cur)) != (long)sizeof(cur) ||
			    cur != ret)
				continue;
			mem_write(p->pid, e[T_BUSY / 8], &e[T_RET / 8],
				  sizeof(cur));
		}
	else
		*keep = 1;
	free(table);
	return data;
}

/*
 * T, stopped with registers R at a pc in our page, is to leave our code
 * before a signal is delivered (deliver.c).  What the fast path makes of
 * that pc: FAST_OUT, it was in an instance, where nothing is done yet,
 * and is back at the function's entry; FAST_ON, at a full ring's int3
 * and the ring has room now: it is past the int3; FAST_STUCK, at a full
 * ring's int3 that a drain did not free (the slot at the tail is another
 * thread's, stopped before it wrote it), or in the walk, which it gave
 * up (walk_abort): it is on its way to the stack copy; FAST_NOT, none of
 * these.  R and the thread's registers agree on return.
 */
/*
 * T, stopped with registers R, is inside the walk in the program
 * (fastwalk.c): put it where the walk is given up, sp at the frame the
 * walk was called from (its thread entry's T_WALK), so that it records
 * the stack copy instead.  Returns 1 if so (R and the thread's registers
 * agree), 0 if it is not in the walk.
 */
static int walk_abort(struct thread *t, struct fast *f, arch_regs_t *r)
{
	taddr_t pc = ARCH_PC(r), frame;

	if (pc < f->code + BLOB_OFF(lc_fast_walk_begin) ||
	    pc >= f->code + BLOB_OFF(lc_fast_walk_end) || t->fast_idx < 0 ||
	    mem_read(t->proc->pid,
		     f->data + D_THREADS +
			 ((taddr_t)t->fast_idx << FAST_THR_SHIFT) + T_WALK,
		     &frame, sizeof(frame)) != (long)sizeof(frame) ||
	    frame < ARCH_SP(r) || frame - ARCH_SP(r) > 65536)
		return 0;
	ARCH_SP(r) = frame;
	ARCH_PC(r) = f->code + BLOB_OFF(lc_fast_walk_abort);
	if (ptrace(PTRACE_SETREGS, t->tid, 0, r) < 0)
		return 0;
	g_bp_stats.fast_walk_aborts++;
	return 1;
}

int fast_leave(struct thread *t, arch_regs_t *r)
{
	struct proc *p = t->proc, *o = p;
	taddr_t pc = ARCH_PC(r);
	struct fast *f;
	uint64_t head;

	if (!p->fast && p->fast_owner)
		o = proc_find(p->fast_owner);
	if (!o || !(f = o->fast))
		return FAST_NOT;
	if (o == p && walk_abort(t, f, r))
		return FAST_ON;
	if (pc >= f->inst && pc < f->inst + f->ninst * FAST_INST_SIZE) {
		if ((pc - f->inst) % FAST_INST_SIZE > FAST_INST_SLOW)
			return FAST_NOT;
		ARCH_PC(r) = f->inst_bp[(pc - f->inst) / FAST_INST_SIZE];
		return ptrace(PTRACE_SETREGS, t->tid, 0, r) < 0 ? FAST_STUCK
								: FAST_OUT;
	}
	if (pc < f->code || pc >= f->code + BLOB_SIZE ||
	    lc_fast_blob[pc - f->code] != ARCH_BP_INSN)
		return FAST_NOT;
	fast_drain(o, 0);
	if (mem_read(o->pid, f->data + D_HEAD, &head, sizeof(head)) !=
		(long)sizeof(head) ||
	    head - f->tail >= f->nslots)
		return FAST_STUCK;
	ARCH_PC(r) = pc + 1;
	return ptrace(PTRACE_SETREGS, t->tid, 0, r) < 0 ? FAST_STUCK : FAST_ON;
}

/*
 * Every thread of P is stopped: move those in our code out of it.  A
 * thread about to take the slow path goes back to the function's entry
 * (nothing done yet); any other runs on, a step at a time, to where the
 * code leaves the page.  One that meets a full ring is drained for; if
 * that frees nothing (the slot at the tail belongs to a thread stopped
 * before it wrote it), the others go first and it is tried again.  With
 * DETACHING, recording is turned off first: what is under way finishes
 * without writing.
 */
void fast_settle(struct proc *p, int detaching)
{
	struct fast *f = p->fast;
	int left = 1;

	if (!f)
		return;
	if (detaching) {
		uint8_t one = 1;
		mem_write(p->pid, f->data + D_DISABLED, &one, 1);
	}
	for (int pass = 0; pass < 20 && left; pass++) {
		left = 0;
		for (struct thread *t = threads_of(p, NULL); t;
		     t = threads_of(p, t)) {
			pid_t tid = t->tid;
			int stepped = 0;
			if (!t->stopped_for_scan || t->pend_exit)
				continue;
			for (int steps = 0; steps < 100000; steps++) {
				arch_regs_t r;
				taddr_t pc;
				int status;
				uint64_t tail;

				if (ptrace(PTRACE_GETREGS, t->tid, 0, &r) < 0)
					break;
				pc = ARCH_PC(&r);
				if (pc < p->page + INJ_OOL ||
				    pc >= p->page + INJ_RET)
					break;
				if (!steps)
					g_bp_stats.fast_settled++;
				if (pc >= f->inst &&
				    pc < f->inst + f->ninst * FAST_INST_SIZE) {
					/* in an instance nothing is done yet:
					 * back to the entry.  Just past the
					 * int3 the SIGTRAP is pending; it is
					 * handled when the thread goes on, as
					 * any trap's (at detach, settle() took
					 * it). */
					taddr_t off =
					    (pc - f->inst) % FAST_INST_SIZE;
					if (off == FAST_INST_SLOW ||
					    detaching) {
						ARCH_PC(&r) =
						    f->inst_bp[(pc - f->inst) /
							       FAST_INST_SIZE];
						ptrace(PTRACE_SETREGS, t->tid,
						       0, &r);
					}
					break;
				}
				if (pc >= f->code && pc < f->code + BLOB_SIZE &&
				    lc_fast_blob[pc - f->code] ==
					ARCH_BP_INSN) {
					/* a full ring */
					tail = f->tail;
					fast_drain(p, 0);
					if (f->tail == tail && !detaching) {
						left = 1; /* the others first */
						break;
					}
					ARCH_PC(&r) = pc + 1;
					ptrace(PTRACE_SETREGS, t->tid, 0, &r);
					continue;
				}
				if (walk_abort(t, f, &r))
					continue;
				stepped = 1;
				if (fast_copy_at_once(t, &r))
					continue; /* the stack copy, at once */
				if (ptrace(PTRACE_SINGLESTEP, t->tid, 0, 0) <
					0 ||
				    wait_tid(t->tid, &status, __WALL) < 0)
					break;
				if (!WIFSTOPPED(status)) {
					task_dispatch(t->tid, status);
					break;
				}
				if ((status >> 16) == PTRACE_EVENT_EXIT) {
					t->pend_exit = 1;
					t->pend_status = status;
					break;
				}
				if (WSTOPSIG(status) != SIGTRAP &&
				    !t->pending_sig && (status >> 16) == 0)
					t->pending_sig = WSTOPSIG(status);
			}
			/* stopped by job control in our code: stopped again */
			if (stepped && thread_find(tid) == t && t->listening &&
			    !t->pend_exit)
				inject_restop(t);
		}
	}
}

/*
 * Detach: every thread stopped and settled.  Put back the return
 * addresses of recorded calls in progress.
 */
void fast_detach(struct proc *p, pid_t tid)
{
	struct fast *f = p->fast;

	if (!f)
		return;
	/* (fast_settle turned recording off: returns still to come record
	 * nothing) */
	for (unsigned h = 0; h < FAST_THR_N; h++) {
		uint64_t e[T_RET / 8 + 1];
		taddr_t at = f->data + D_THREADS +
			     ((taddr_t)h << FAST_THR_SHIFT),
			cur;
		if (f->used[h] != 1 ||
		    mem_read(p->pid, at, e, sizeof(e)) != (long)sizeof(e) ||
		    !e[T_BUSY / 8])
			continue;
		if (mem_read(p->pid, e[T_BUSY / 8], &cur, sizeof(cur)) ==
			(long)sizeof(cur) &&
		    cur == f->code + BLOB_OFF(lc_fast_return))
			mem_write(p->pid, e[T_BUSY / 8], &e[T_RET / 8],
				  sizeof(cur));
	}
	if (tid > 0) {
		unsigned long long a[6] = {f->data, FAST_DATA_SIZE, 0, 0, 0, 0};
		inject_syscall(p, tid, SYS_munmap, a);
	}
	fast_forget(p);
}

/*
 * P forked CHILD: the child has a copy of the ring and the table.  The
 * caller has drained P's ring (hook_harvest) before it copied P's
 * table; what the child's copy holds beyond that is drained into the
 * child here.  The child then starts with an empty ring (the slots its
 * copy holds unwritten have no writer in it) and an empty table.
 */
void fast_fork(struct proc *p, struct proc *child, int vfork)
{
	struct fast *f = p->fast, *cf;
	uint8_t *zero;
	uint64_t head;

	if (!f)
		return;
	if (vfork) {
		/* the same memory: its records are the parent's */
		child->fast = NULL;
		child->fast_owner = p->pid;
		return;
	}
	cf = xcalloc(1, sizeof(*cf));
	cf->refs = 1;
	cf->data = f->data;
	cf->code = f->code;
	cf->inst = f->inst;
	cf->ninst = f->ninst;
	memcpy(cf->inst_bp, f->inst_bp, sizeof(cf->inst_bp));
	cf->win = f->win;
	cf->maxpcs = f->maxpcs;
	cf->rate = f->rate;
	cf->sidx = f->sidx;
	cf->sampler = (struct sampler){0}; /* reseeded: its own draws */
	cf->tab_gen = f->tab_gen; /* its copy of the table is the parent's */
	cf->nslots = f->nslots;
	child->fast = cf;
	/* what the parent had not drained: the child's too */
	cf->tail = f->tail;
	cf->scan = f->scan;
	cf->holes = xmalloc((f->nholes + 1) * sizeof(*cf->holes));
	if (f->nholes)
		memcpy(cf->holes, f->holes, f->nholes * sizeof(*cf->holes));
	cf->nholes = cf->holes_cap = f->nholes;
	fast_drain(child, 0);
	if (mem_read(child->pid, cf->data + D_HEAD, &head, sizeof(head)) ==
	    (long)sizeof(head)) {
		cf->tail = cf->scan = head;
		cf->nholes = 0;
		mem_write(child->pid, cf->data + D_TAIL, &head, sizeof(head));
	}
	zero = xcalloc(1, FAST_THR_N << FAST_THR_SHIFT);
	mem_write(child->pid, cf->data + D_THREADS, zero,
		  FAST_THR_N << FAST_THR_SHIFT);
	free(zero);
}
