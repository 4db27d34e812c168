/*
 * stubs: which thread has a return stub, and which stub calls are in
 * flight.  A thread's outermost allocating call may return through the
 * thread's own stub in the injected page (bp.c), which leaves the result
 * in the stub's cell with no trap; until a harvest (alloc/hooks.c) reads
 * the cell, the thread is on its process's busy list.  A stub belongs to
 * one thread for its life; a gone thread's stub is reused.
 */
#include <stdlib.h>

#include "bp/bp.h"
#include "leakcheck/util.h"

void stub_busy_add(struct proc *p, struct thread *t)
{
	t->stub_busy = 1;
	p->busy = xgrow(p->busy, &p->busy_cap, p->nbusy + 1, sizeof(*p->busy));
	p->busy[p->nbusy++] = t;
}

void stub_busy_remove(struct proc *p, struct thread *t)
{
	t->stub_busy = 0;
	for (size_t i = 0; i < p->nbusy; i++)
		if (p->busy[i] == t) {
			p->busy[i] = p->busy[--p->nbusy];
			return;
		}
}

/* Can this call of T return through T's stub?  Gives T one if need be. */
int stub_take(struct thread *t, uint8_t kind)
{
	struct proc *p = t->proc;

	/* with the fast path, the slow path's calls return by a trap: in
	 * order with the ring's records (see fast.c) */
	if (!p->data || p->fast || kind == HOOK_POSIX_MEMALIGN ||
	    t->stub_busy || (p->flags & PROC_VFORK_CHILD))
		return 0;
	if (t->stub < 0) {
		if (p->nstub_free)
			t->stub = (int)p->stub_free[--p->nstub_free];
		else if (p->nstubs < INJ_STUB_MAX)
			t->stub = (int)p->nstubs++;
		else
			return 0;
	}
	return 1;
}

/* T is going: forget its stub call, if any. */
void stub_forget(struct thread *t)
{
	if (t->stub_busy)
		stub_busy_remove(t->proc, t);
}
