/*
 * hooks: what each allocator entry point means.  Runs at the entry trap
 * (arguments in registers, stack captured, return address replaced by
 * the trampoline) and at the return trap (result in the return register).
 *
 * Invariants: only the outermost allocator call of a thread is recorded
 * (realloc(NULL, n) calling malloc, operator new calling malloc): a trap
 * while the thread has a pending call is stepped over.  Pending calls
 * whose stack slot lies below the current sp were skipped by longjmp or
 * an unwinding exception and are dropped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>

#include "internal.h"
#include "leakcheck/options.h"
#include "leakcheck/profile.h"
#include "leakcheck/util.h"

struct tracer_stats g_stats;

/*
 * --sample-rate: which allocations get a stack.  Decided at the entry
 * trap from the size in the arguments, before unwinding: an unsampled
 * allocation skips the unwind and the depot, and its block is tracked
 * all the same (the leak check needs every block) with the stack id
 * STACK_ID_UNSAMPLED.  One sampler for every traced thread and process:
 * each allocation is sampled with probability 1 - exp(-size/rate)
 * whatever came before it, so sharing it biases nothing.
 */
static struct sampler sampler;

static uint64_t sampled_size(uint8_t kind, arch_regs_t *regs)
{
	uint64_t a0 = arch_arg(regs, 0), a1 = arch_arg(regs, 1), r;

	switch (kind) {
	case HOOK_CALLOC:
		return __builtin_mul_overflow(a0, a1, &r) ? UINT64_MAX : r;
	case HOOK_REALLOCARRAY:
		return __builtin_mul_overflow(a1, arch_arg(regs, 2), &r)
			   ? UINT64_MAX
			   : r;
	case HOOK_REALLOC:
	case HOOK_MEMALIGN:
		return a1;
	case HOOK_POSIX_MEMALIGN:
		return arch_arg(regs, 2);
	default: /* malloc, valloc, pvalloc */
		return a0;
	}
}

/*
 * The blocks the heap walk entered, sorted: a block allocated later that
 * overlaps one of them proves it was freed meanwhile, by a free we could
 * not see (one that was under way when we attached).  Without this the
 * table would hold overlapping blocks.
 */
void pre_blocks_index(struct proc *p)
{
	size_t nb, n = 0;
	struct heap_block *b = heap_table_snapshot(&p->heap, &nb);

	free(p->pre);
	p->pre = xmalloc((nb + 1) * sizeof(*p->pre));
	for (size_t i = 0; i < nb; i++)
		if (b[i].flags & HB_PRE_ATTACH)
			p->pre[n++] = (struct pre_block){
				b[i].addr, b[i].addr + (b[i].size ? b[i].size : 1)};
	free(b);
	p->npre = n;
}

static void drop_overlapped_pre(struct proc *p, taddr_t addr, uint64_t size)
{
	taddr_t end = addr + (size ? size : 1);
	size_t lo = 0, hi = p->npre;

	/* the first walk block that ends after ADDR */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (p->pre[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < p->npre && p->pre[lo].addr < end; lo++) {
		struct heap_block b;
		if (p->pre[lo].addr != addr &&
		    heap_table_find(&p->heap, p->pre[lo].addr, &b) &&
		    (b.flags & HB_PRE_ATTACH)) {
			heap_table_remove(&p->heap, p->pre[lo].addr, NULL);
			g_stats.stale_pre_attach++;
		}
	}
}

static void record_alloc(struct proc *p, taddr_t addr, uint64_t size,
			 uint32_t stack_id)
{
	struct heap_block b = {.addr = addr, .size = size, .stack_id = stack_id};
	if (!addr)
		return;
	if (p->npre)
		drop_overlapped_pre(p, addr, size);
	if (stack_id && stack_id != STACK_ID_UNSAMPLED) {
		/* every allocation a stack makes, for the profiles' alloc_* */
		double w = opt.sample_rate ? sampler_weight(opt.sample_rate, size)
					   : 1.0;
		if (stack_id >= p->nalloc_tot) {
			size_t n = p->nalloc_tot;
			p->alloc_tot = xgrow(p->alloc_tot, &p->nalloc_tot,
					     stack_id + 1, sizeof(*p->alloc_tot));
			memset(p->alloc_tot + n, 0,
			       (p->nalloc_tot - n) * sizeof(*p->alloc_tot));
		}
		p->alloc_tot[stack_id].objects += w;
		p->alloc_tot[stack_id].bytes += w * (double)size;
	}
	heap_table_insert(&p->heap, &b);
	g_stats.allocs++;
}

static void record_free(struct proc *p, taddr_t addr)
{
	if (!addr)
		return;
	if (heap_table_remove(&p->heap, addr, NULL))
		g_stats.frees++;
	else
		g_stats.unknown_frees++; /* normal: tcache shutdown, pre-attach */
}

void hook_entry(struct thread *t, struct bp *b, arch_regs_t *regs)
{
	struct proc *p = t->proc;
	taddr_t pcs[STACK_MAX_FRAMES], ret_addr, tramp;
	struct pending *pd;
	int n, sampled;

	g_stats.entry_traps++;
	ARCH_PC(regs) = b->addr;
	t->last_sp = ARCH_SP(regs);
	switch (b->kind) {
	case HOOK_DL_DEBUG:
		modules_update(p, t->tid);
		return;
	case HOOK_EXIT:
		t->exit_regs = *regs;
		t->have_exit_regs = 1;
		return;
	case HOOK_FREE:
		if (t->npend) {
			g_stats.nested++;
			return;
		}
		g_stats.calls[HOOK_FREE]++;
		record_free(p, arch_arg(regs, 0));
		return;
	default:
		break;
	}
	/* an allocating call */
	while (t->npend && t->pend[t->npend - 1].slot < ARCH_SP(regs))
		t->npend--; /* skipped by longjmp */
	if (t->npend) {
		g_stats.nested++;
		return;
	}
	g_stats.calls[b->kind]++;
	if (mem_read(p->pid, ARCH_SP(regs), &ret_addr, sizeof(ret_addr)) !=
	    (long)sizeof(ret_addr))
		return;
	sampled = sampler_take(&sampler, opt.sample_rate,
			       sampled_size(b->kind, regs));
	/* unwind before the return address is replaced */
	n = p->unw && sampled ? unwind_stack(p->unw, t->tid, regs, pcs,
					     (int)opt.num_callers)
			      : 0;
	if (n < 1) {
		pcs[0] = b->addr;
		n = 1;
	}
	tramp = bp_ret_slot(p, ret_addr);
	if (mem_write(p->pid, ARCH_SP(regs), &tramp, sizeof(tramp)))
		return;
	t->pend = xgrow(t->pend, &t->pend_cap, t->npend + 1, sizeof(*t->pend));
	pd = &t->pend[t->npend++];
	pd->slot = ARCH_SP(regs);
	pd->orig_ret = ret_addr;
	pd->a0 = arch_arg(regs, 0);
	pd->a1 = arch_arg(regs, 1);
	pd->a2 = arch_arg(regs, 2);
	pd->kind = b->kind;
	pd->stack_id = sampled ? stack_depot_intern(&g_depot, pcs, (unsigned)n)
			       : STACK_ID_UNSAMPLED;
}

/* The trampoline trapped: the call on top of T's pending stack returned. */
int hook_return_ok(struct thread *t, arch_regs_t *regs);
int hook_return_ok(struct thread *t, arch_regs_t *regs)
{
	struct proc *p = t->proc;
	taddr_t slot = ARCH_SP(regs) - sizeof(taddr_t);
	taddr_t res = ARCH_RETVAL(regs);
	struct pending pd;

	g_stats.return_traps++;
	while (t->npend && t->pend[t->npend - 1].slot < slot)
		t->npend--;
	if (!t->npend || t->pend[t->npend - 1].slot != slot)
		return -ENOENT;
	pd = t->pend[--t->npend];
	ARCH_PC(regs) = pd.orig_ret;
	switch (pd.kind) {
	case HOOK_MALLOC:
		record_alloc(p, res, pd.a0, pd.stack_id);
		break;
	case HOOK_CALLOC:
		record_alloc(p, res, pd.a0 * pd.a1, pd.stack_id);
		break;
	case HOOK_REALLOC:
	case HOOK_REALLOCARRAY: {
		uint64_t size = pd.kind == HOOK_REALLOC ? pd.a1 : pd.a1 * pd.a2;
		if (res) {
			if (pd.a0)
				record_free(p, pd.a0);
			record_alloc(p, res, size, pd.stack_id);
		} else if (!size && pd.a0) {
			record_free(p, pd.a0); /* realloc(p, 0) frees */
		}
		break;
	}
	case HOOK_POSIX_MEMALIGN:
		if (res == 0) {
			taddr_t ptr;
			if (mem_read(p->pid, pd.a0, &ptr, sizeof(ptr)) ==
			    (long)sizeof(ptr))
				record_alloc(p, ptr, pd.a2, pd.stack_id);
		}
		break;
	case HOOK_MEMALIGN:
		record_alloc(p, res, pd.a1, pd.stack_id);
		break;
	case HOOK_VALLOC:
		record_alloc(p, res, pd.a0, pd.stack_id);
		break;
	case HOOK_PVALLOC:
		record_alloc(p, res, (pd.a0 + 4095) & ~(uint64_t)4095,
			     pd.stack_id);
		break;
	default:
		break;
	}
	return 0;
}

void hook_return(struct thread *t, arch_regs_t *regs)
{
	if (hook_return_ok(t, regs))
		error("thread %d returned through the trampoline with no "
		      "pending call at sp %#llx",
		      t->tid, (unsigned long long)ARCH_SP(regs));
}

void hooks_init(void)
{
}
