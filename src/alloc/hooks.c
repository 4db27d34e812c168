/*
 * hooks: what each allocator entry point means.  Runs at the entry trap
 * (arguments in registers, stack captured, return address replaced by
 * the trampoline) and at the return trap (result in the return register).
 *
 * Invariants: only the outermost allocator call of a thread is recorded
 * (realloc(NULL, n) calling malloc, operator new calling malloc): a trap
 * while the thread has a pending call is stepped over.  Pending calls
 * whose stack slot lies below the current sp, or no longer holds the
 * address that replaced the return address, were skipped by longjmp or
 * an unwinding exception and are dropped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <string.h>
#include <sys/ptrace.h>

#include "alloc/alloc.h"
#include "leakcheck/options.h"
#include "leakcheck/profile.h"
#include "leakcheck/util.h"

struct alloc_stats g_alloc_stats;
struct stack_depot g_depot;

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

/* The size a --malloc-like or --realloc-like call D asks for, from its
 * first three arguments A. */
static uint64_t decl_size(const struct decl_fn *d, const uint64_t a[3])
{
	uint64_t r = d->size ? a[d->size - 1] : 0;

	if (d->size2 && __builtin_mul_overflow(r, a[d->size2 - 1], &r))
		return UINT64_MAX;
	return r;
}

static uint64_t sampled_size(uint8_t kind, uint64_t a0, uint64_t a1,
			     uint64_t a2)
{
	uint64_t r;

	switch (kind) {
	case HOOK_CALLOC:
		return __builtin_mul_overflow(a0, a1, &r) ? UINT64_MAX : r;
	case HOOK_REALLOCARRAY:
		return __builtin_mul_overflow(a1, a2, &r) ? UINT64_MAX : r;
	case HOOK_REALLOC:
	case HOOK_MEMALIGN:
		return a1;
	case HOOK_POSIX_MEMALIGN:
		return a2;
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
void hook_index_pre_blocks(struct proc *p)
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
			g_alloc_stats.stale_pre_attach++;
		}
	}
}

static void hook_record(struct proc *p, taddr_t addr, uint64_t size,
			uint32_t stack_id, uint32_t flags)
{
	struct heap_block b = {
	    .addr = addr, .size = size, .stack_id = stack_id, .flags = flags};
	if (!addr)
		return;
	if (p->npre)
		drop_overlapped_pre(p, addr, size);
	if (stack_id && stack_id != STACK_ID_UNSAMPLED) {
		/* every allocation a stack makes, for the profiles' alloc_* */
		double w = opt.sample_rate
			       ? sampler_weight(opt.sample_rate, size)
			       : 1.0;
		if (stack_id >= p->nalloc_tot) {
			size_t n = p->nalloc_tot;
			p->alloc_tot =
			    xgrow(p->alloc_tot, &p->nalloc_tot, stack_id + 1,
				  sizeof(*p->alloc_tot));
			memset(p->alloc_tot + n, 0,
			       (p->nalloc_tot - n) * sizeof(*p->alloc_tot));
		}
		p->alloc_tot[stack_id].objects += w;
		p->alloc_tot[stack_id].bytes += w * (double)size;
	}
	heap_table_insert(&p->heap, &b);
	g_alloc_stats.allocs++;
}

static void hook_record_free(struct proc *p, taddr_t addr)
{
	if (!addr)
		return;
	if (p->mi_owner.count)
		heap_table_remove(&p->mi_owner, addr, NULL);
	if (heap_table_remove(&p->heap, addr, NULL))
		g_alloc_stats.frees++;
	else
		g_alloc_stats
		    .unknown_frees++; /* normal: tcache shutdown, pre-attach */
}

/*
 * Return stubs (bp.c): a thread's outermost allocating call returns
 * through the thread's own stub, which leaves the result in the stub's
 * cell with no trap; the call stays on the thread's pending stack, marked
 * via_stub, until a harvest reads the cell.  Every trap of the process,
 * every report and every exit harvests first, so results are recorded in
 * the order the program could have seen them: a block another thread
 * frees, or this one, was handed out by a call that returned before that
 * free's trap.  A stub belongs to one thread for its life, so a harvest
 * never races with the stub's own jmp.  posix_memalign's result is read
 * through its first argument, which the program may change after the
 * return: it keeps the trapping return slot.
 */
/* Pop T's top pending call, unrecorded (skipped by longjmp, or gone). */
static void pend_drop_top(struct thread *t)
{
	if (t->pend[--t->npend].via_stub)
		stub_busy_remove(t->proc, t);
}

/* Drop T's pending calls that were left before they returned, by longjmp
 * (out of a signal handler that interrupted the allocator) or an
 * exception: T is at sp SP, and a call in progress has its slot at or
 * above SP, still holding the address that replaced its return. */
static void pend_drop_left(struct thread *t, taddr_t sp)
{
	size_t n = t->npend;

	while (t->npend) {
		const struct pending *pd = &t->pend[t->npend - 1];
		taddr_t cur;
		if (pd->slot >= sp &&
		    (mem_read(t->proc->pid, pd->slot, &cur, sizeof(cur)) !=
			 (long)sizeof(cur) ||
		     cur == pd->via))
			break;
		pend_drop_top(t);
	}
	if (n && !t->npend)
		fast_set_busy(t, 0);
}

static void complete(struct proc *p, const struct pending *pd, taddr_t res);

void hook_harvest(struct proc *p)
{
	struct thread *stack_ts[64], **ts = stack_ts;
	uint64_t cells[64][2];
	struct iovec l[64], r[64];
	size_t nts = p->nbusy;

	fast_drain(p, 0); /* or the fast path's ring (never both) */
	if (!nts)
		return;
	/* a copy: what completes leaves p->busy as we go */
	if (nts > 64)
		ts = xmalloc(nts * sizeof(*ts));
	memcpy(ts, p->busy, nts * sizeof(*ts));
	for (size_t at = 0; at < nts; at += 64) {
		size_t n = nts - at < 64 ? nts - at : 64;

		for (size_t k = 0; k < n; k++) {
			l[k] = (struct iovec){cells[k], 16};
			r[k] = (struct iovec){
			    (void *)(uintptr_t)(p->data +
						(taddr_t)ts[at + k]->stub * 16),
			    16};
		}
		if (process_vm_readv(p->pid, l, n, r, n, 0) !=
		    (ssize_t)(n * 16))
			break; /* gone: nothing more to learn */
		g_alloc_stats.harvests++;
		for (size_t k = 0; k < n; k++) {
			struct thread *t = ts[at + k];
			struct pending pd;
			size_t j;

			if (cells[k][0] == STUB_PENDING)
				continue;
			stub_busy_remove(p, t);
			/* its via_stub call: there is one on its stack */
			for (j = t->npend; j > 0 && !t->pend[j - 1].via_stub;
			     j--)
				;
			if (!j)
				continue;
			pd = t->pend[j - 1];
			memmove(&t->pend[j - 1], &t->pend[j],
				(t->npend - j) * sizeof(*t->pend));
			t->npend--;
			g_alloc_stats.stub_returns++;
			complete(p, &pd, (taddr_t)cells[k][0]);
		}
	}
	if (ts != stack_ts)
		free(ts);
}

/* The same with P's threads stopped (reports, snapshots, detach): a
 * thread stopped on its stub's first instruction has its result in the
 * return register, not yet in the cell; put it there (the mov will write
 * the same) so the block is in the report. */
void hook_harvest_stopped(struct proc *p)
{
	for (size_t i = 0; i < p->nbusy; i++) {
		struct thread *t = p->busy[i];
		arch_regs_t r;
		taddr_t stub =
		    p->page + INJ_STUB + (taddr_t)t->stub * INJ_STUB_SLOT;
		if (t->stopped_for_scan &&
		    ptrace(PTRACE_GETREGS, t->tid, 0, &r) == 0 &&
		    ARCH_PC(&r) == stub) {
			uint64_t res = ARCH_RETVAL(&r);
			mem_write(p->pid, p->data + (taddr_t)t->stub * 16, &res,
				  sizeof(res));
		}
	}
	fast_settle(p, 0); /* no thread half-way through a record */
	hook_harvest(p);
}

/*
 * mimalloc's mi_heap_destroy(HEAP) frees every block still allocated in
 * HEAP (DESTROY), mi_heap_delete(HEAP) moves them to the default heap,
 * which cannot be destroyed: either way they leave mi_owner.
 */
static void heap_release(struct proc *p, taddr_t heap, int destroy)
{
	size_t n;
	struct heap_block *v;

	if (!heap || !p->mi_owner.count)
		return;
	v = heap_table_snapshot(&p->mi_owner, &n);
	for (size_t i = 0; i < n; i++) {
		if (v[i].size != heap)
			continue;
		heap_table_remove(&p->mi_owner, v[i].addr, NULL);
		if (destroy)
			hook_record_free(p, v[i].addr);
	}
	free(v);
}

/* Argument I of the call B traps: after the heap, for mi_heap_*. */
static uint64_t hook_arg(const struct bp *b, const arch_regs_t *regs, int i)
{
	return arch_arg(regs, i + b->heap_arg);
}

void hook_entry(struct thread *t, struct bp *b, arch_regs_t *regs)
{
	struct proc *p = t->proc;
	taddr_t pcs[STACK_MAX_FRAMES], ret_addr, tramp;
	struct pending *pd;
	int n, sampled, via_stub;

	g_alloc_stats.entry_traps++;
	ARCH_PC(regs) = b->addr;
	t->last_sp = ARCH_SP(regs);
	switch (b->kind) {
	case HOOK_DECLARED:
		if (opt.decl[b->decl].kind != DECL_FREE)
			break;
		/* fall through */
	case HOOK_FREE:
		pend_drop_left(t, ARCH_SP(regs));
		if (t->npend) {
			g_alloc_stats.nested++;
			return;
		}
		g_alloc_stats.calls[b->kind]++;
		hook_record_free(p, hook_arg(b, regs,
					     b->kind == HOOK_FREE
						 ? 0
						 : opt.decl[b->decl].ptr - 1));
		return;
	case HOOK_HEAP_DESTROY:
	case HOOK_HEAP_DELETE:
		pend_drop_left(t, ARCH_SP(regs));
		if (t->npend)
			return; /* inside an allocator call: its own doing */
		g_alloc_stats.calls[b->kind]++;
		heap_release(p, arch_arg(regs, 0),
			     b->kind == HOOK_HEAP_DESTROY);
		return;
	default:
		break;
	}
	/* an allocating call */
	pend_drop_left(t, ARCH_SP(regs));
	if (t->npend) {
		g_alloc_stats.nested++;
		return;
	}
	g_alloc_stats.calls[b->kind]++;
	if (mem_read(p->pid, ARCH_SP(regs), &ret_addr, sizeof(ret_addr)) !=
	    (long)sizeof(ret_addr))
		return;
	if (b->kind == HOOK_DECLARED) {
		uint64_t a[3] = {arch_arg(regs, 0), arch_arg(regs, 1),
				 arch_arg(regs, 2)};
		sampled = sampler_take(&sampler, opt.sample_rate,
				       decl_size(&opt.decl[b->decl], a));
	} else if (b->kind == HOOK_XALLOCX) {
		sampled = 0; /* the block keeps the stack it was made with */
	} else {
		sampled = sampler_take(
		    &sampler, opt.sample_rate,
		    sampled_size(b->kind, hook_arg(b, regs, 0),
				 hook_arg(b, regs, 1), hook_arg(b, regs, 2)));
	}
	/* unwind before the return address is replaced */
	n = p->unw && sampled
		? unwind_stack(p->unw, t->tid, regs, pcs, (int)opt.num_callers)
		: 0;
	if (n < 1) {
		pcs[0] = b->addr;
		n = 1;
	}
	via_stub = stub_take(t, b->kind);
	if (via_stub) {
		/* the cell {pending, return address} and the stack, at once */
		taddr_t stub =
		    p->page + INJ_STUB + (taddr_t)t->stub * INJ_STUB_SLOT;
		tramp = stub;
		uint64_t cell[2] = {STUB_PENDING, ret_addr};
		struct iovec l[2] = {{cell, sizeof(cell)},
				     {&stub, sizeof(stub)}};
		struct iovec r[2] = {
		    {(void *)(uintptr_t)(p->data + (taddr_t)t->stub * 16),
		     sizeof(cell)},
		    {(void *)(uintptr_t)ARCH_SP(regs), sizeof(stub)}};
		if (process_vm_writev(p->pid, l, 2, r, 2, 0) !=
		    (ssize_t)(sizeof(cell) + sizeof(stub)))
			return;
		stub_busy_add(p, t);
	} else {
		tramp = bp_ret_slot(p, ret_addr);
		if (mem_write(p->pid, ARCH_SP(regs), &tramp, sizeof(tramp)))
			return;
	}
	t->pend = xgrow(t->pend, &t->pend_cap, t->npend + 1, sizeof(*t->pend));
	pd = &t->pend[t->npend++];
	pd->via_stub = (uint8_t)via_stub;
	pd->slot = ARCH_SP(regs);
	pd->orig_ret = ret_addr;
	pd->via = tramp;
	pd->a0 = hook_arg(b, regs, 0);
	pd->a1 = hook_arg(b, regs, 1);
	pd->a2 = hook_arg(b, regs, 2);
	pd->mi_heap = b->heap_arg ? arch_arg(regs, 0) : 0;
	pd->kind = b->kind;
	pd->decl = b->decl;
	pd->stack_id = sampled ? stack_depot_intern(&g_depot, pcs, (unsigned)n)
			       : STACK_ID_UNSAMPLED;
}

/* The call PD of P returned RES: record what it did. */
static void complete(struct proc *p, const struct pending *pd, taddr_t res)
{
	switch (pd->kind) {
	case HOOK_MALLOC:
		hook_record(p, res, pd->a0, pd->stack_id, 0);
		break;
	case HOOK_CALLOC:
		hook_record(p, res, pd->a0 * pd->a1, pd->stack_id, 0);
		break;
	case HOOK_REALLOC:
	case HOOK_REALLOCARRAY: {
		uint64_t size =
		    pd->kind == HOOK_REALLOC ? pd->a1 : pd->a1 * pd->a2;
		if (res) {
			if (pd->a0)
				hook_record_free(p, pd->a0);
			hook_record(p, res, size, pd->stack_id, 0);
		} else if (!size && pd->a0) {
			hook_record_free(p, pd->a0); /* realloc(p, 0) frees */
		}
		break;
	}
	case HOOK_POSIX_MEMALIGN:
		if (res == 0) {
			taddr_t ptr;
			if (mem_read(p->pid, pd->a0, &ptr, sizeof(ptr)) ==
			    (long)sizeof(ptr))
				hook_record(p, ptr, pd->a2, pd->stack_id, 0);
		}
		break;
	case HOOK_MEMALIGN:
		hook_record(p, res, pd->a1, pd->stack_id, 0);
		break;
	case HOOK_VALLOC:
		hook_record(p, res, pd->a0, pd->stack_id, 0);
		break;
	case HOOK_DECLARED: {
		const struct decl_fn *d = &opt.decl[pd->decl];
		uint64_t a[3] = {pd->a0, pd->a1, pd->a2},
			 size = decl_size(d, a);
		taddr_t old = d->ptr ? a[d->ptr - 1] : 0;
		if (d->kind == DECL_ALLOC) {
			hook_record(p, res, size, pd->stack_id, 0);
		} else if (res) { /* realloc-like, as realloc */
			if (old)
				hook_record_free(p, old);
			hook_record(p, res, size, pd->stack_id, 0);
		} else if (!size && old) {
			hook_record_free(p, old);
		}
		break;
	}
	case HOOK_PVALLOC:
		hook_record(p, res, (pd->a0 + 4095) & ~(uint64_t)4095,
			    pd->stack_id, 0);
		break;
	case HOOK_XALLOCX: {
		/* at least size bytes now (extra more if it could), or, when
		 * it could not grow, unchanged: RES is the real size either
		 * way.  A resize, not an allocation: the counts stay. */
		struct heap_block blk;
		uint64_t want = pd->a1, most;
		if (__builtin_add_overflow(pd->a1, pd->a2, &most))
			most = UINT64_MAX;
		if (res >= want && heap_table_find(&p->heap, pd->a0, &blk)) {
			blk.size = res < most ? res : most;
			heap_table_insert(&p->heap, &blk);
		}
		break;
	}
	default:
		break;
	}
	if (pd->mi_heap && res && heap_table_find(&p->heap, res, NULL)) {
		/* whose it is, for mi_heap_destroy */
		struct heap_block o = {.addr = res, .size = pd->mi_heap};
		heap_table_insert(&p->mi_owner, &o);
	}
}

/* The trampoline trapped: the call on top of T's pending stack returned. */
int hook_return_ok(struct thread *t, arch_regs_t *regs)
{
	taddr_t slot = ARCH_SP(regs) - sizeof(taddr_t);
	struct pending pd;

	g_alloc_stats.return_traps++;
	while (t->npend && t->pend[t->npend - 1].slot < slot)
		pend_drop_top(t);
	if (!t->npend || t->pend[t->npend - 1].slot != slot)
		return -ENOENT;
	pd = t->pend[--t->npend];
	ARCH_PC(regs) = pd.orig_ret;
	if (!t->npend)
		fast_set_busy(t, 0);
	complete(t->proc, &pd, ARCH_RETVAL(regs));
	return 0;
}

void hook_fast_free(struct proc *p, taddr_t addr)
{
	g_alloc_stats.calls[HOOK_FREE]++;
	hook_record_free(p, addr);
}

/* A call the fast path recorded (fast.c). */
static int check_walk(struct proc *p, const struct fast_call *c,
		      const taddr_t *pcs, int n, int max);

int hook_fast_call(struct proc *p, const struct fast_call *c)
{
	taddr_t pcs[STACK_MAX_FRAMES];
	struct pending pd = {
	    .kind = c->kind, .a0 = c->a[0], .a1 = c->a[1], .a2 = c->a[2]};
	int n = 0, max = (int)opt.num_callers, ret = 0;

	g_alloc_stats.calls[c->kind]++;
	if (c->sample >= 0 ? c->sample
			   : sampler_take(&sampler, opt.sample_rate,
					  sampled_size(c->kind, c->a[0],
						       c->a[1], c->a[2]))) {
		pcs[0] = c->fn;
		n = 1;
		/* a stack of the program's stack table met before with this
		 * entry point: its depot id, without hashing and comparing
		 * its return addresses again (depot ids are never taken
		 * back) */
		if (c->memo && c->memo->fn == c->fn) {
			pd.stack_id = c->memo->id;
			goto recorded;
		}
		if (c->npcs) {
			/* walked in the program: nothing to unwind */
			for (unsigned i = 0; i < c->npcs && n < max; i++)
				pcs[n++] = c->pcs[i];
			if (c->len && p->unw)
				ret = check_walk(p, c, pcs + 1, n - 1, max - 1);
		} else if (p->unw && max > 1) {
			n += unwind_stack_saved(p->unw, p->pid, c->regs,
						c->stack, c->len, c->hi,
						pcs + 1, max - 1);
			ret = n < max && unwind_ran_out(p->unw);
		}
		pd.stack_id = stack_depot_intern(&g_depot, pcs, (unsigned)n);
		if (c->memo)
			*c->memo = (struct fast_memo){c->fn, pd.stack_id};
	} else {
		pd.stack_id = STACK_ID_UNSAMPLED;
	}
recorded:
	if (c->realloc_begun) {
		uint64_t size =
		    c->kind == HOOK_REALLOC ? c->a[1] : c->a[1] * c->a[2];
		/* the old block left the table at the BEGIN */
		if (c->res) {
			if (c->moved)
				g_alloc_stats.frees++;
			hook_record(p, c->res, size, pd.stack_id, 0);
		} else if (size && c->moved)
			heap_table_insert(&p->heap,
					  &c->old); /* failed: still there */
		return ret;
	}
	complete(p, &pd, c->res);
	return ret;
}

/*
 * LEAKCHECK_TEST_CFIWALK (tests/cfiwalk.sh): the program walked its
 * stack, PCS[0..N), and copied it too (C's stack): libunwind's stack
 * from the copy must be the same, or a prefix of it where the copy ran
 * out.  Counted, the first disagreements printed.  Returns 1 if the copy
 * was too short (its window grows, as on the copy path).
 */
static int check_walk(struct proc *p, const struct fast_call *c,
		      const taddr_t *pcs, int n, int max)
{
	taddr_t u[STACK_MAX_FRAMES];
	int nu = unwind_stack_saved(p->unw, p->pid, c->regs, c->stack, c->len,
				    c->hi, u, max);
	int out = nu < max && unwind_ran_out(p->unw);

	g_alloc_stats.fast_checked++;
	if (out ? nu <= n && !memcmp(u, pcs, (size_t)nu * sizeof(*u))
		: nu == n && !memcmp(u, pcs, (size_t)n * sizeof(*u)))
		return out;
	if (g_alloc_stats.fast_check_differ++ < 20) {
		char a[1024], b[1024];
		warning(
		    "cfiwalk: pid %d: libunwind [%s ] the program's walk [%s ]",
		    p->pid, fmt_addrs(a, sizeof(a), u, nu),
		    fmt_addrs(b, sizeof(b), pcs, n));
	}
	return out;
}

void hook_return(struct thread *t, arch_regs_t *regs)
{
	if (hook_return_ok(t, regs))
		error("thread %d returned through the trampoline with no "
		      "pending call at sp %#llx",
		      t->tid, (unsigned long long)ARCH_SP(regs));
}
