/*
 * stop: stop every thread of a process and resume them, for a scan, a
 * snapshot, an attach or a detach.  A thread is interrupted
 * (PTRACE_INTERRUPT) and waited for; a job-control stop or an exit event
 * that comes instead is kept to be acted on at the resume, and any other
 * stop is handed to the run loop (task_dispatch).
 */
#include <errno.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include "ptrace/ptrace.h"
#include "leakcheck/util.h"

/* Stop every thread of P but EXCEPT (and those at their exit, or stopped
 * already), each in a PTRACE_EVENT_STOP or its exit event, with
 * t->stopped_for_scan set; other stops that come first are dispatched. */
int task_wait_stopped(struct thread *t, int *status, int reinterrupt)
{
	pid_t tid = t->tid;

	for (;;) {
		if (wait_tid(tid, status, __WALL) < 0)
			return -1;
		if (!WIFSTOPPED(*status))
			return 0;
		if ((*status >> 16) == PTRACE_EVENT_STOP ||
		    (*status >> 16) == PTRACE_EVENT_EXIT) {
			t->stopped_for_scan = 1;
			/* a job-control stop that came first: it is to stay
			 * stopped after the scan */
			if ((*status >> 16) == PTRACE_EVENT_STOP &&
			    is_group_stop_sig(WSTOPSIG(*status)))
				t->listening = 1;
			t->pend_exit = (*status >> 16) == PTRACE_EVENT_EXIT;
			t->pend_status = *status;
			return 1;
		}
		/* another event first: deal with it, then wait on */
		task_dispatch(tid, *status);
		if (thread_find(tid) != t)
			return -1;
		if (reinterrupt)
			ptrace(PTRACE_INTERRUPT, tid, 0, 0);
	}
}

void proc_stop_all(struct proc *p, struct thread *except)
{
	for (struct thread *t = threads_of(p, NULL); t; t = threads_of(p, t)) {
		int status;
		if (t == except || t->state == TS_EXITING ||
		    t->stopped_for_scan)
			continue;
		if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) < 0)
			continue;
		if (task_wait_stopped(t, &status, 0) == 0) {
			/* gone; keep its struct for its last sp */
			t->state = TS_EXITING;
			t->stopped_for_scan = 0;
		}
	}
}

/* Resume every thread proc_stop_all() stopped (but those held for good at
 * the exit: t->have_held_regs): back into a group-stop if it was in one;
 * an exit event that came instead is dispatched now. */
void proc_resume_all(struct proc *p)
{
	struct thread *t, *exiting[64];
	int nexiting = 0;

	for (t = threads_of(p, NULL); t; t = threads_of(p, t)) {
		/* held at the exit (exitpath.c): stopped until killed */
		if (!t->stopped_for_scan || t->have_held_regs)
			continue;
		t->stopped_for_scan = 0;
		if (t->pend_exit && nexiting < (int)ARRAY_SIZE(exiting)) {
			/* its exit event, handled now that the scan is done */
			t->pend_exit = 0;
			exiting[nexiting++] = t;
			continue;
		}
		t->pend_exit = 0;
		if (t->listening)
			ptrace(PTRACE_LISTEN, t->tid, 0, 0);
		else
			ptrace(PTRACE_CONT, t->tid, 0,
			       (void *)(long)t->pending_sig);
		t->pending_sig = 0;
	}
	for (int i = 0; i < nexiting; i++) {
		pid_t tid = exiting[i]->tid;
		if (thread_find(tid) == exiting[i])
			task_dispatch(tid, exiting[i]->pend_status);
	}
}
