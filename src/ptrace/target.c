/*
 * target: a live traced process as a struct target (leakcheck/target.h),
 * so that the heap walk and the root gathering read it the way they would
 * read a core.
 */
#include "ptrace/ptrace.h"
#include "leakcheck/target.h"

static long read_plain(void *ctx, taddr_t addr, void *buf, size_t len)
{
	struct proc *p = ctx;
	return mem_read(p->pid, addr, buf, len);
}

/* process_vm_readv, and /proc/PID/mem where it cannot read */
static long read_force(void *ctx, taddr_t addr, void *buf, size_t len)
{
	struct proc *p = ctx;
	long n = mem_read(p->pid, addr, buf, len);
	if (n <= 0)
		n = mem_read_force(p, addr, buf, len);
	return n;
}

void target_live(struct proc *p, const char *maps, int force, struct target *tg)
{
	tg->pid = p->pid;
	tg->maps = maps;
	tg->read = force ? read_force : read_plain;
	tg->ctx = p;
}
