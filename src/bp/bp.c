/*
 * bp: int3 breakpoints with out-of-line execution of the displaced
 * instruction, and return slots.
 *
 * Protocol (no single-step, ever):
 *   insert:  copy the first instruction at ADDR, relocated, into a slot of
 *            the injected page followed by a jump back to ADDR + len; then
 *            write int3 at ADDR.
 *   hit:     the thread stops with PC = ADDR + 1.  The handler runs, then
 *            PC is set to the slot (or to the target when the displaced
 *            instruction is a jump) and the thread continues.  Other
 *            threads may hit the same breakpoint at the same time: the
 *            int3 never leaves, so there is nothing to race on.
 *   return:  a hooked call's return address R is replaced by the
 *            thread's return stub (see stubs_init), which stores the
 *            result and jumps to R with no trap; hooks.c harvests the
 *            results.  Where there is no stub (posix_memalign, vfork
 *            children, no data page), by R's return slot,
 *            `int3; jmp *(%rip); .quad R`, made the first time R is seen:
 *            the return traps with PC = slot + 1; the tracer reads the
 *            result and resumes it as it is: the jmp goes to R.
 *   detach:  original bytes back, replaced return addresses back.
 * The page is mapped once per address space and inherited by fork.
 *
 * If leakcheck dies (SIGKILL) while attached, the kernel detaches and the
 * program meets our int3s with no tracer.  Two things make that safe:
 *   - the page also holds a SIGTRAP handler, installed in attached programs
 *     whose SIGTRAP disposition is the default: for an int3 at a breakpoint
 *     it moves the pc to the breakpoint's resume address (the table at
 *     INJ_BPTAB), and for a return slot it does nothing (the jmp after the
 *     int3 returns to the caller).  This covers the threads that were stopped
 *     at one of our traps when leakcheck died.
 *   - a guard process (guard.c) that then turns the fast path's recording
 *     off, writes back the original bytes and turns the return slots'
 *     int3s into nops, so that nothing traps afterwards, also in threads
 *     that block SIGTRAP and programs with a SIGTRAP handler of their own
 *     (Go), where ours cannot be installed.
 * A thread that blocks SIGTRAP and meets an int3 makes the kernel reset
 * SIGTRAP to its default, for the whole process: our handler is put back
 * at once (bp_keep_handler), or a thread stopped at a trap when leakcheck
 * is killed would die of it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fast_layout.h"
#include "bp/bp.h"
#include "leakcheck/util.h"

struct bp_stats g_bp_stats;
struct bp_events bp_ev;

void bp_set_events(const struct bp_events *ev)
{
	bp_ev = *ev;
}

/* The handler, at INJ_HANDLER (see the header comment):
 *	rip = uc->uc_mcontext.gregs[REG_RIP] - 1;
 *	for (e = bptab; e < bptab + bptab->count; e++)
 *		if (e->addr == rip) { uc->...gregs[REG_RIP] = e->resume; return;
 *} if (fast_data) fast_data->disabled = 1; and the restorer, at INJ_RESTORER:
 *rt_sigreturn.  Any other int3 of ours goes on by itself (a return slot's jmp
 *follows it); the one that means the fast path's ring is full (fast.S) would
 *trap again and again, with no one left to drain the ring: recording stops
 *instead. Assembled from position-independent code; the lea reaches INJ_BPTAB,
 * the mov the fast path's variables at INJ_FAST (0 without it). */
static const uint8_t handler_code[] = {
    0x48,
    0x8b,
    0x82,
    0xa8,
    0x00,
    0x00,
    0x00, /* mov 0xa8(%rdx),%rax */
    0x48,
    0xff,
    0xc8, /* dec %rax */
    0x48,
    0x8d,
    0x0d,
    0xdf,
    0x00,
    0x00,
    0x00, /* lea bptab(%rip),%rcx */
    0x4c,
    0x8b,
    0x01, /* mov (%rcx),%r8 */
    0x49,
    0x81,
    0xf8,
    0xff,
    0x00,
    0x00,
    0x00, /* cmp $255,%r8 */
    0x77,
    0x1f, /* ja done */
    0x4d,
    0x85,
    0xc0, /* loop: test %r8,%r8 */
    0x74,
    0x1b, /* je notfound */
    0x48,
    0x3b,
    0x41,
    0x08, /* cmp 0x8(%rcx),%rax */
    0x74,
    0x09, /* je found */
    0x48,
    0x83,
    0xc1,
    0x10, /* add $16,%rcx */
    0x49,
    0xff,
    0xc8, /* dec %r8 */
    0xeb,
    0xec, /* jmp loop */
    0x48,
    0x8b,
    0x41,
    0x10, /* found: mov 0x10(%rcx),%rax */
    0x48,
    0x89,
    0x82,
    0xa8,
    0x00,
    0x00,
    0x00, /* mov %rax,0xa8(%rdx) */
    0xc3, /* done: ret */
    0x48,
    0x8b,
    0x05,
    (INJ_FAST - 0x54) & 0xff, /* notfound: mov fast(%rip),%rax */
    (INJ_FAST - 0x54) >> 8,
    0x00,
    0x00, /*   (it ends at INJ_HANDLER + 0x44) */
    0x48,
    0x85,
    0xc0, /* test %rax,%rax */
    0x74,
    0xf3, /* je done */
    0xc6,
    0x80,
    0x80,
    0x00,
    0x00,
    0x00,
    0x01, /* movb $1,D_DISABLED(%rax) */
    0xc3, /* ret */
};
static const uint8_t restorer_code[] = {
    0xb8, 0x0f, 0x00, 0x00, 0x00, /* mov $SYS_rt_sigreturn,%eax */
    0x0f, 0x05,			  /* syscall */
    0xf4,			  /* hlt */
};

/* The kernel's struct sigaction on x86-64 (not glibc's). */
struct ksigaction {
	uint64_t handler, flags, restorer, mask;
};
#define KSA_SIGINFO 0x4
#define KSA_RESTORER 0x04000000

/* Write the page's fixed contents: trampoline, handler, sigactions. */
static int page_init(struct proc *p)
{
	uint8_t buf[INJ_BPTAB + 8];
	struct ksigaction sa[3] = {
	    {p->page + INJ_HANDLER, KSA_SIGINFO | KSA_RESTORER,
	     p->page + INJ_RESTORER, 0},
	    {0 /* SIG_DFL */, KSA_RESTORER, p->page + INJ_RESTORER, 0},
	    {1 /* SIG_IGN */, KSA_RESTORER, p->page + INJ_RESTORER, 0},
	};

	_Static_assert(INJ_HANDLER == 0x10 && INJ_BPTAB == 0x100 &&
			   INJ_BPTAB_MAX == 255 && INJ_FAST == 0x2800 &&
			   D_DISABLED == 0x80,
		       "handler_code is assembled for this layout");
	_Static_assert(INJ_HANDLER + sizeof(handler_code) <= INJ_RESTORER,
		       "handler overlaps");
	_Static_assert(INJ_SIGACT_DFL + 2 * sizeof(struct ksigaction) <=
			       INJ_SYSCALL &&
			   INJ_SYSCALL + ARCH_SYSCALL_INSN_LEN <= INJ_BPTAB,
		       "sigactions overlap");
	memset(buf, ARCH_BP_INSN, sizeof(buf));
	memcpy(buf + INJ_HANDLER, handler_code, sizeof(handler_code));
	memcpy(buf + INJ_RESTORER, restorer_code, sizeof(restorer_code));
	memcpy(buf + INJ_SIGACT, sa, sizeof(sa));
	memset(buf + INJ_BPTAB, 0, 8); /* no breakpoints yet */
	return mem_write_code(p, p->page, buf, sizeof(buf));
}

/* Add {ADDR -> RESUME} to the handler's table: the entry first, then the
 * count, so the handler never sees a half-written entry. */
static void bptab_add(struct proc *p, taddr_t addr, taddr_t resume)
{
	uint64_t e[2] = {addr, resume}, n = p->nbptab + 1;

	if (p->nbptab >= INJ_BPTAB_MAX)
		return; /* the guard still covers it */
	mem_write_code(p, p->page + INJ_BPTAB + 8 + p->nbptab * 16, e,
		       sizeof(e));
	mem_write_code(p, p->page + INJ_BPTAB, &n, sizeof(n));
	p->nbptab++;
}

/*
 * Return stubs: the data page goes right before the code page (mmap
 * hands out addresses top-down, so that is where there is room) or else
 * right after it, within rip-relative reach, read-write; stub I is `mov %rax,
 * cell_I; jmp *cell_I+8`, so a call whose return address is replaced by its
 * thread's stub leaves its result in the cell and goes back to its caller with
 * no trap.  Without the data page (its place taken) every return traps, as
 * before.
 */
static void stubs_init(struct proc *p, pid_t tid)
{
	taddr_t want = p->page - DATA_SIZE_INJ;
	unsigned long long a[6] = {want,
				   DATA_SIZE_INJ,
				   PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS |
				       0x100000 /* MAP_FIXED_NOREPLACE */,
				   (unsigned long long)-1,
				   0};
	uint8_t *code;
	long r;

	p->data = 0;
	p->nstubs = 0;
	p->nstub_free = 0;
	p->nbusy = 0;
	r = inject_syscall(p, tid, SYS_mmap, a);
	if ((taddr_t)r != want) {
		a[0] = want = p->page + PAGE_SIZE_INJ;
		r = inject_syscall(p, tid, SYS_mmap, a);
	}
	if ((taddr_t)r != want) {
		debug("pid %d: no data page for stubs (%ld)", p->pid, r);
		if (r > 0) {
			unsigned long long u[6] = {
			    (unsigned long long)r, DATA_SIZE_INJ, 0, 0, 0, 0};
			inject_syscall(p, tid, SYS_munmap, u);
		}
		return;
	}
	code = xmalloc(INJ_STUB_MAX * INJ_STUB_SLOT);
	for (unsigned i = 0; i < INJ_STUB_MAX; i++) {
		uint8_t *c = code + i * INJ_STUB_SLOT;
		taddr_t s = p->page + INJ_STUB + i * INJ_STUB_SLOT;
		taddr_t cell = want + i * 16;
		int32_t d1 = (int32_t)(cell - (s + 7)),
			d2 = (int32_t)(cell + 8 - (s + 13));
		c[0] = 0x48, c[1] = 0x89, c[2] = 0x05; /* mov %rax,d1(%rip) */
		memcpy(c + 3, &d1, 4);
		c[7] = 0xff, c[8] = 0x25; /* jmp *d2(%rip) */
		memcpy(c + 9, &d2, 4);
		c[13] = c[14] = c[15] = ARCH_BP_INSN;
	}
	if (mem_write_code(p, p->page + INJ_STUB, code,
			   INJ_STUB_MAX * INJ_STUB_SLOT) == 0)
		p->data = want;
	free(code);
}

int bp_ensure_page(struct proc *p, pid_t tid, taddr_t hint)
{
	unsigned long long a[6] = {hint,
				   PAGE_SIZE_INJ,
				   PROT_READ | PROT_EXEC,
				   MAP_PRIVATE | MAP_ANONYMOUS,
				   (unsigned long long)-1,
				   0};
	long r;

	if (p->page)
		return 0;
	r = inject_syscall(p, tid, SYS_mmap, a);
	debug("pid %d: mmap in tracee returned %#lx", p->pid, r);
	if (r < 0 && r > -4096)
		return (int)r;
	p->page = (taddr_t)r;
	p->nslots = 0;
	p->nbptab = 0;
	p->nret_slots = 0;
	if (p->ret_hash)
		memset(p->ret_hash, 0, p->ret_hash_cap * sizeof(*p->ret_hash));
	if (page_init(p))
		return -EFAULT;
	debug("pid %d: out-of-line page at %#llx", p->pid,
	      (unsigned long long)p->page);
	stubs_init(p, tid);
	if (!p->no_fast)
		fast_init(p, tid);
	return 0;
}

static int bp_cmp(const void *a, const void *b)
{
	const struct bp *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

struct bp *bp_find(struct proc *p, taddr_t addr)
{
	size_t lo = 0, hi = p->nbps;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (p->bps[mid].addr == addr)
			return &p->bps[mid];
		if (p->bps[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int bp_insert(struct proc *p, taddr_t addr, enum hook_kind kind,
	      const char *name)
{
	return bp_insert_heap_arg(p, addr, kind, name, 0);
}

int bp_insert_heap_arg(struct proc *p, taddr_t addr, enum hook_kind kind,
		       const char *name, int heap_arg)
{
	uint8_t code[16];
	struct arch_displaced d;
	taddr_t slot;
	uint8_t int3 = ARCH_BP_INSN;
	struct bp *b;
	int ret;

	if (bp_find(p, addr))
		return 0;
	if (!p->page)
		return -EINVAL;
	if ((INJ_OOL + (p->nslots + 1) * ARCH_OOL_SLOT_SIZE) > INJ_FAST)
		return -ENOSPC;
	if (mem_read_force(p, addr, code, sizeof(code)) != (long)sizeof(code))
		return -EFAULT;
	if (code[0] == ARCH_BP_INSN)
		return -EEXIST; /* someone else's breakpoint (a debugger) */
	slot = p->page + INJ_OOL + p->nslots * ARCH_OOL_SLOT_SIZE;
	p->bps = xgrow(p->bps, &p->bps_cap, p->nbps + 1, sizeof(*p->bps));
	b = &p->bps[p->nbps];
	memset(b, 0, sizeof(*b));
	b->addr = addr;
	b->orig = code[0];
	b->kind = (uint8_t)kind;
	b->name = name;
	b->heap_arg = heap_arg != 0;
	if (fast_patch(p, b, code, sizeof(code), slot) == 0) {
		/* a jmp to the fast path, and no int3.  The guard leaves
		 * the jmp: 5 bytes are not written back at once without an
		 * int3 in between, which kills a thread that blocks SIGTRAP;
		 * with recording off (its first write) the jmp only runs the
		 * displaced instructions.  A later attach takes it out
		 * (leftover.c). */
		uint8_t jmp[5];
		p->nslots++;
		/* its slow path's int3 */
		bptab_add(p, b->trap, b->resume);
		fast_jmp(b, jmp);
		if ((ret = mem_write_code(p, addr, jmp, sizeof(jmp))))
			return ret;
	} else {
		ret =
		    arch_prepare_displaced(code, sizeof(code), addr, slot, &d);
		if (ret)
			return ret;
		if (!d.is_jump) {
			ret = mem_write_code(p, slot, d.slot, d.slot_len);
			if (ret)
				return ret;
			p->nslots++;
		}
		b->is_jump = (uint8_t)d.is_jump;
		b->insn_len = (uint8_t)d.insn_len;
		b->resume = d.is_jump ? d.jump_target : slot;
		/* how to get past it without us, before it is there */
		bptab_add(p, addr, b->resume);
		guard_note(p, addr, code[0]);
		ret = mem_write_code(p, addr, &int3, 1);
		if (ret)
			return ret;
	}
	debug("pid %d: %s %s at %#llx", p->pid,
	      b->fast ? "fast path for" : "breakpoint", name,
	      (unsigned long long)addr);
	p->nbps++;
	qsort(p->bps, p->nbps, sizeof(*p->bps), bp_cmp);
	return 0;
}

/* Put the original bytes back (before detaching from P). */
void bp_remove_all(struct proc *p)
{
	for (size_t i = 0; i < p->nbps; i++)
		if (p->bps[i].fast)
			mem_write_code(p, p->bps[i].addr, p->bps[i].orig5, 5);
		else
			mem_write_code(p, p->bps[i].addr, &p->bps[i].orig, 1);
	p->nbps = 0;
}

/* Put back every replaced return address on every thread's stack (not
 * over a call's slot that was left by longjmp and is reused since). */
void bp_restore_returns(struct proc *p)
{
	for (struct thread *t = threads_of(p, NULL); t; t = threads_of(p, t)) {
		for (size_t i = 0; i < t->npend; i++) {
			taddr_t cur;
			if (mem_read(p->pid, t->pend[i].slot, &cur,
				     sizeof(cur)) == (long)sizeof(cur) &&
			    cur == t->pend[i].via)
				mem_write(p->pid, t->pend[i].slot,
					  &t->pend[i].orig_ret,
					  sizeof(taddr_t));
		}
		stub_forget(t);
		t->npend = 0;
		t->in_alloc = 0;
	}
}

#define RET_HASH_CAP 4096

static uint32_t ret_hash_of(taddr_t ret, unsigned cap)
{
	return (uint32_t)((ret * 0x9e3779b97f4a7c15ull) >> 32) & (cap - 1);
}

/*
 * The return slot for return address RET, made on first use: the address
 * to put in place of RET on the stack.  When the slots are used up (more
 * than INJ_RET_MAX call sites of the allocator), the shared trampoline,
 * which needs the tracer to return and so is not safe without it.
 */
taddr_t bp_ret_slot(struct proc *p, taddr_t ret)
{
	uint8_t code[INJ_RET_SLOT];
	taddr_t slot;
	uint32_t h;

	_Static_assert(
	    RET_HASH_CAP >= 2 * INJ_RET_MAX &&
		!(RET_HASH_CAP & (RET_HASH_CAP - 1)),
	    "the return-slot hash: a power of two, half empty at most");
	if (!p->ret_hash_cap) {
		p->ret_hash_cap = RET_HASH_CAP;
		p->ret_hash = xcalloc(p->ret_hash_cap, sizeof(*p->ret_hash));
		p->ret_slots = xcalloc(INJ_RET_MAX, sizeof(*p->ret_slots));
	}
	for (h = ret_hash_of(ret, p->ret_hash_cap); p->ret_hash[h];
	     h = (h + 1) & (p->ret_hash_cap - 1))
		if (p->ret_slots[p->ret_hash[h] - 1] == ret)
			return p->page + INJ_RET +
			       (p->ret_hash[h] - 1) * INJ_RET_SLOT;
	if (p->nret_slots >= INJ_RET_MAX) {
		g_bp_stats.ret_slots_full++;
		return p->page + INJ_TRAMP;
	}
	slot = p->page + INJ_RET + p->nret_slots * INJ_RET_SLOT;
	code[0] = ARCH_BP_INSN;
	code[1] = 0xff; /* jmp *0(%rip): the quad that follows */
	code[2] = 0x25;
	memset(code + 3, 0, 4);
	memcpy(code + 7, &ret, 8);
	code[15] = ARCH_BP_INSN;
	guard_note(p, slot, 0x90 /* nop: fall through to the jmp */);
	if (mem_write_code(p, slot, code, sizeof(code)))
		return p->page + INJ_TRAMP;
	p->ret_slots[p->nret_slots++] = ret;
	p->ret_hash[h] = p->nret_slots;
	return slot;
}

/* Is PC (a trap's address) the int3 of a return slot?  Its return
 * address in *RET. */
int bp_ret_slot_target(struct proc *p, taddr_t pc, taddr_t *ret)
{
	taddr_t off = pc - p->page - INJ_RET;

	if (!p->page || pc < p->page + INJ_RET || off % INJ_RET_SLOT ||
	    off / INJ_RET_SLOT >= p->nret_slots)
		return 0;
	*ret = p->ret_slots[off / INJ_RET_SLOT];
	return 1;
}

/* A forked child has the page as it was: the same slots. */
void bp_copy_ret_slots(struct proc *to, const struct proc *from)
{
	if (!from->ret_hash_cap)
		return;
	to->ret_hash_cap = from->ret_hash_cap;
	to->ret_hash = xmalloc(to->ret_hash_cap * sizeof(*to->ret_hash));
	memcpy(to->ret_hash, from->ret_hash,
	       to->ret_hash_cap * sizeof(*to->ret_hash));
	to->ret_slots = xmalloc(INJ_RET_MAX * sizeof(*to->ret_slots));
	memcpy(to->ret_slots, from->ret_slots,
	       INJ_RET_MAX * sizeof(*to->ret_slots));
	to->nret_slots = from->nret_slots;
}

/* SIGTRAP's disposition in P: 'C' caught, 'I' ignored, 'D' default. */
static int sigtrap_disposition(pid_t pid)
{
	char path[64], *text, *f;
	unsigned long long cgt = 0, ign = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	text = read_file_text(path, NULL);
	if (!text)
		return 'C';
	if ((f = strstr(text, "\nSigIgn:")))
		ign = strtoull(f + 8, NULL, 16);
	if ((f = strstr(text, "\nSigCgt:")))
		cgt = strtoull(f + 8, NULL, 16);
	free(text);
	if ((cgt >> (SIGTRAP - 1)) & 1)
		return 'C';
	return (ign >> (SIGTRAP - 1)) & 1 ? 'I' : 'D';
}

/* P's SIGTRAP handler now (TID stopped), or 0 if it cannot be read. */
static taddr_t current_handler(struct proc *p, pid_t tid)
{
	unsigned long long a[6] = {SIGTRAP, 0, 0, 8, 0, 0};
	struct ksigaction cur;
	arch_regs_t r;
	taddr_t scratch;

	/* read it into the stack, below the red zone */
	if (ptrace(PTRACE_GETREGS, tid, 0, &r) < 0)
		return 0;
	scratch = (ARCH_SP(&r) - 512) & ~(taddr_t)15;
	a[2] = scratch;
	if (inject_syscall(p, tid, SYS_rt_sigaction, a) != 0 ||
	    mem_read(p->pid, scratch, &cur, sizeof(cur)) != (long)sizeof(cur))
		return 0;
	return cur.handler;
}

/* Is the code at H the handler of an earlier leakcheck, killed before it
 * could put the disposition back? */
static int earlier_handler(struct proc *p, taddr_t h)
{
	uint8_t code[sizeof(handler_code)];

	return h && h != p->page + INJ_HANDLER &&
	       mem_read(p->pid, h, code, sizeof(code)) == (long)sizeof(code) &&
	       !memcmp(code, handler_code, sizeof(code));
}

/*
 * Make our handler P's SIGTRAP handler if the program has none (with
 * one, an int3 of ours that met no tracer would go to it; the guard
 * covers that case).  An earlier leakcheck's handler, left behind when
 * it was killed, is replaced: it knows that one's page, not ours (the
 * disposition to put back is then taken to be the default).  TID is
 * stopped.  Returns 0 or -errno.
 */
int bp_install_handler(struct proc *p, pid_t tid)
{
	int disp = sigtrap_disposition(p->pid);
	unsigned long long a[6] = {SIGTRAP, p->page + INJ_SIGACT, 0, 8, 0, 0};
	long r;

	if (!p->page)
		return -EBUSY;
	if (disp == 'C') {
		if (!earlier_handler(p, current_handler(p, tid)))
			return -EBUSY;
		disp = 'D';
	}
	r = inject_syscall(p, tid, SYS_rt_sigaction, a);
	if (r)
		return r < 0 ? (int)r : -EIO;
	p->handler_installed = disp; /* what to put back */
	return 0;
}

/* Is SIGTRAP caught in P, as /proc/PID/stat says (its sigcatch field)?
 * 1 if it cannot tell. */
static int sigtrap_caught(struct proc *p)
{
	char buf[1024], *s;
	unsigned long long mask;
	ssize_t n;

	if (p->stat_fd < 0) {
		snprintf(buf, sizeof(buf), "/proc/%d/stat", p->pid);
		p->stat_fd = open(buf, O_RDONLY | O_CLOEXEC);
		if (p->stat_fd < 0)
			return 1;
	}
	n = pread(p->stat_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 1;
	buf[n] = 0;
	/* after the command's ")": state is field 3, sigcatch field 34 */
	s = strrchr(buf, ')');
	for (int f = 2; s && f < 34; f++)
		s = strchr(s + 1, ' ');
	if (!s || sscanf(s, "%llu", &mask) != 1)
		return 1;
	return (mask >> (SIGTRAP - 1)) & 1;
}

/*
 * T, stopped at a trap: is our SIGTRAP handler still P's?  An int3 met
 * by a thread that blocks SIGTRAP (a worker that blocks every signal)
 * makes the kernel unblock it in that thread and reset the disposition
 * to the default, for the whole process, tracer or not; a thread stopped
 * at one of our traps when leakcheck is killed then dies of the SIGTRAP
 * it gets.  So it is put back, here, at once: T's run of the syscall is
 * made at a place of its own in our page (other threads run on), and the
 * thread, whose SIGTRAP is no longer blocked, does not reset it again.
 */
void bp_keep_handler(struct thread *t)
{
	struct proc *p = t->proc;
	unsigned long long a[6] = {SIGTRAP, p->page + INJ_SIGACT, 0, 8, 0, 0};
	arch_regs_t r, at;
	long ret;

	if (!p->handler_installed || !p->page || sigtrap_caught(p) ||
	    ptrace(PTRACE_GETREGS, t->tid, 0, &r) < 0)
		return;
	at = r;
	ARCH_PC(&at) = p->page + INJ_SYSCALL;
	ARCH_NO_RESTART(&at);
	if (ptrace(PTRACE_SETREGS, t->tid, 0, &at) < 0)
		return;
	ret = inject_syscall(p, t->tid, SYS_rt_sigaction, a);
	ptrace(PTRACE_SETREGS, t->tid, 0, &r);
	debug("pid %d: SIGTRAP was reset to its default (an int3 met with "
	      "SIGTRAP blocked); our handler is back: %ld",
	      t->tid, ret);
}

/* Is the mapping at PAGE in P one of our pages (a killed leakcheck's)? */
int bp_is_our_page(struct proc *p, taddr_t page)
{
	uint8_t code[sizeof(handler_code)], rest[sizeof(restorer_code)];

	return mem_read(p->pid, page + INJ_HANDLER, code, sizeof(code)) ==
		   (long)sizeof(code) &&
	       !memcmp(code, handler_code, sizeof(code)) &&
	       mem_read(p->pid, page + INJ_RESTORER, rest, sizeof(rest)) ==
		   (long)sizeof(rest) &&
	       !memcmp(rest, restorer_code, sizeof(rest));
}

/* Our page PAGE's stubs' data page, from the first stub's code, or 0. */
taddr_t bp_page_stub_data(struct proc *p, taddr_t page)
{
	uint8_t c[INJ_STUB_SLOT];
	int32_t d1, d2;

	if (mem_read(p->pid, page + INJ_STUB, c, sizeof(c)) !=
		(long)sizeof(c) ||
	    c[0] != 0x48 || c[1] != 0x89 || c[2] != 0x05 || c[7] != 0xff ||
	    c[8] != 0x25)
		return 0;
	memcpy(&d1, c + 3, 4);
	memcpy(&d2, c + 9, 4);
	if (d2 != d1 + 2)
		return 0;
	return page + INJ_STUB + 7 + (taddr_t)(int64_t)d1;
}

/* If P's SIGTRAP handler is the one in our page PAGE (a killed
 * leakcheck's, about to go), SIGTRAP goes back to its default.  TID is
 * stopped, and so are P's other threads. */
void bp_page_handler_off(struct proc *p, pid_t tid, taddr_t page)
{
	unsigned long long a[6] = {SIGTRAP, page + INJ_SIGACT_DFL, 0, 8, 0, 0};

	if (current_handler(p, tid) == page + INJ_HANDLER)
		inject_syscall(p, tid, SYS_rt_sigaction, a);
}

/* Put back P's SIGTRAP disposition, unless the program has since set a
 * handler of its own. */
void bp_remove_handler(struct proc *p, pid_t tid)
{
	unsigned long long a[6] = {SIGTRAP, 0, 0, 8, 0, 0};

	if (!p->handler_installed || !p->page)
		return;
	if (current_handler(p, tid) == p->page + INJ_HANDLER) {
		a[1] = p->page + INJ_SIGACT_DFL +
		       (p->handler_installed == 'I' ? sizeof(struct ksigaction)
						    : 0);
		inject_syscall(p, tid, SYS_rt_sigaction, a);
	}
	p->handler_installed = 0;
}

/* P's guard is new: tell it what P already has (a forked child's
 * breakpoints and return slots), the fast path's recording off first. */
void bp_guard_all(struct proc *p)
{
	fast_guard(p);
	for (size_t i = 0; i < p->nbps; i++)
		if (!p->bps[i].fast)
			guard_note(p, p->bps[i].addr, p->bps[i].orig);
	for (unsigned i = 0; i < p->nret_slots; i++)
		guard_note(p, p->page + INJ_RET + i * INJ_RET_SLOT, 0x90);
}
