/*
 * task: the processes and threads we trace.  Threads are found by tid in a
 * small hash; processes are a list (there are few).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ptrace/ptrace.h"
#include "leakcheck/util.h"

#define THREAD_HASH 1024

static struct proc *procs;
static struct thread *thread_hash[THREAD_HASH];

struct proc *proc_new(pid_t pid)
{
	struct proc *p = xcalloc(1, sizeof(*p));
	p->pid = pid;
	p->memfd = -1;
	p->guard_fd = -1;
	p->stat_fd = -1;
	heap_table_init(&p->heap);
	heap_table_init(&p->custom_heap);
	heap_table_init(&p->mi_owner);
	p->next = procs;
	procs = p;
	return p;
}

void proc_free(struct proc *p)
{
	struct proc **pp;
	for (pp = &procs; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	if (p->memfd >= 0)
		close(p->memfd);
	if (p->stat_fd >= 0)
		close(p->stat_fd);
	free(p->ret_slots);
	free(p->pre);
	free(p->busy);
	free(p->stub_free);
	free(p->alloc_tot);
	for (size_t i = 0; i < p->npools; i++)
		free(p->pools[i].chunks);
	free(p->pools);
	free(p->ret_hash);
	heap_table_release(&p->heap);
	heap_table_release(&p->custom_heap);
	heap_table_release(&p->mi_owner);
	if (p->unw)
		unwind_free(p->unw);
	free(p->bps);
	free(p->seen_modules);
	free(p->maps_text);
	free(p->command);
	free(p->prev);
	free(p->prev_sum);
	free(p->prev_addrs);
	free(p);
}

struct proc *proc_find(pid_t pid)
{
	for (struct proc *p = procs; p; p = p->next)
		if (p->pid == pid)
			return p;
	return NULL;
}

long proc_exe(pid_t pid, char *buf, size_t size)
{
	char link[64];
	ssize_t n;

	if (!size)
		return -EINVAL;
	snprintf(link, sizeof(link), "/proc/%d/exe", pid);
	n = readlink(link, buf, size - 1);
	buf[n < 0 ? 0 : n] = 0;
	return n < 0 ? -errno : n;
}

struct proc *proc_list(void)
{
	return procs;
}

struct thread *thread_new(struct proc *p, pid_t tid)
{
	struct thread *t = xcalloc(1, sizeof(*t));
	t->tid = tid;
	t->proc = p;
	t->state = TS_NEW;
	t->stub = -1;
	t->fast_idx = -1;
	t->next = thread_hash[tid % THREAD_HASH];
	thread_hash[tid % THREAD_HASH] = t;
	p->nthreads++;
	return t;
}

struct thread *thread_find(pid_t tid)
{
	for (struct thread *t = thread_hash[tid % THREAD_HASH]; t; t = t->next)
		if (t->tid == tid)
			return t;
	return NULL;
}

void thread_free(struct thread *t)
{
	struct thread **pp;
	for (pp = &thread_hash[t->tid % THREAD_HASH]; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	t->proc->nthreads--;
	if (t->stub >= 0) {
		struct proc *p = t->proc;
		p->stub_free = xgrow(p->stub_free, &p->stub_free_cap,
				     p->nstub_free + 1, sizeof(*p->stub_free));
		p->stub_free[p->nstub_free++] = (unsigned)t->stub;
	}
	free(t->pend);
	free(t);
}

/* Iterate the threads of P: pass NULL first, then the previous result. */
struct thread *threads_of(struct proc *p, struct thread *after)
{
	unsigned h = after ? after->tid % THREAD_HASH : 0;
	struct thread *t = after ? after->next : thread_hash[0];
	for (;;) {
		for (; t; t = t->next)
			if (t->proc == p)
				return t;
		if (++h >= THREAD_HASH)
			return NULL;
		t = thread_hash[h];
	}
}

pid_t wait_tid(pid_t tid, int *status, int flags)
{
	pid_t r;
	while ((r = waitpid(tid, status, flags)) < 0 && errno == EINTR)
		;
	return r;
}

void task_resume(pid_t tid, int sig)
{
	if (ptrace(PTRACE_CONT, tid, 0, (void *)(long)sig) < 0 &&
	    errno != ESRCH)
		debug("PTRACE_CONT %d: %s", tid, strerror(errno));
}

/* The run loop's handler for stops that come while a layer below it
 * waits for another (task_set_dispatch). */
static void (*dispatch_fn)(pid_t tid, int status);

void task_set_dispatch(void (*fn)(pid_t tid, int status))
{
	dispatch_fn = fn;
}

void task_dispatch(pid_t tid, int status)
{
	if (dispatch_fn)
		dispatch_fn(tid, status);
}
