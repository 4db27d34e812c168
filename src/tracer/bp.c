/*
 * bp: int3 breakpoints with out-of-line execution of the displaced
 * instruction, and the return trampoline.
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
 *   return:  page + 0 holds an int3; a hooked call's return address is
 *            replaced by page + 0, so its return traps with PC = page + 1.
 *   detach:  original bytes back, replaced return addresses back.
 * The page is mapped once per address space and inherited by fork.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "internal.h"
#include "leakcheck/util.h"

#define SLOT_BASE 64

int bp_ensure_page(struct proc *p, pid_t tid, taddr_t hint);

int bp_ensure_page(struct proc *p, pid_t tid, taddr_t hint)
{
	unsigned long long a[6] = {hint, PAGE_SIZE_INJ, PROT_READ | PROT_EXEC,
				   MAP_PRIVATE | MAP_ANONYMOUS, (unsigned long long)-1, 0};
	long r;
	uint8_t int3 = ARCH_BP_INSN;

	if (p->page)
		return 0;
	r = inject_syscall(p, tid, SYS_mmap, a);
	debug("pid %d: mmap in tracee returned %#lx", p->pid, r);
	if (r < 0 && r > -4096)
		return (int)r;
	p->page = (taddr_t)r;
	p->nslots = 0;
	if (mem_write_code(p, p->page, &int3, 1))
		return -EFAULT;
	debug("pid %d: out-of-line page at %#llx", p->pid,
	      (unsigned long long)p->page);
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
	if ((SLOT_BASE + (p->nslots + 1) * ARCH_OOL_SLOT_SIZE) > PAGE_SIZE_INJ)
		return -ENOSPC;
	if (mem_read_force(p, addr, code, sizeof(code)) != (long)sizeof(code))
		return -EFAULT;
	if (code[0] == ARCH_BP_INSN)
		return -EEXIST; /* someone else's breakpoint (a debugger) */
	slot = p->page + SLOT_BASE + p->nslots * ARCH_OOL_SLOT_SIZE;
	ret = arch_prepare_displaced(code, sizeof(code), addr, slot, &d);
	if (ret)
		return ret;
	if (!d.is_jump) {
		ret = mem_write_code(p, slot, d.slot, d.slot_len);
		if (ret)
			return ret;
		p->nslots++;
	}
	ret = mem_write_code(p, addr, &int3, 1);
	if (ret)
		return ret;
	p->bps = xgrow(p->bps, &p->bps_cap, p->nbps + 1, sizeof(*p->bps));
	b = &p->bps[p->nbps++];
	b->addr = addr;
	b->orig = code[0];
	b->kind = (uint8_t)kind;
	b->is_jump = (uint8_t)d.is_jump;
	b->insn_len = (uint8_t)d.insn_len;
	b->resume = d.is_jump ? d.jump_target : slot;
	b->name = name;
	qsort(p->bps, p->nbps, sizeof(*p->bps), bp_cmp);
	debug("pid %d: breakpoint %s at %#llx", p->pid, name,
	      (unsigned long long)addr);
	return 0;
}

/* Put the original bytes back (before detaching from P). */
void bp_remove_all(struct proc *p)
{
	for (size_t i = 0; i < p->nbps; i++)
		mem_write_code(p, p->bps[i].addr, &p->bps[i].orig, 1);
	p->nbps = 0;
}

/* Put back every replaced return address on every thread's stack. */
void bp_restore_returns(struct proc *p)
{
	for (struct thread *t = threads_of(p, NULL); t; t = threads_of(p, t)) {
		for (size_t i = 0; i < t->npend; i++)
			mem_write(p->pid, t->pend[i].slot, &t->pend[i].orig_ret,
				  sizeof(taddr_t));
		t->npend = 0;
		t->in_alloc = 0;
	}
}
