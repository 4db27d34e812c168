/*
 * Private to src/tracer/: one run from start to finish: launch, attach,
 * the event loop, the exit path and the reports at exit and on demand,
 * snapshots, modules and stats.  The top layer below cli/: it may call
 * alloc/, bp/ and ptrace/, none of which calls it.
 */
#ifndef LEAKCHECK_TRACER_INTERNAL_H
#define LEAKCHECK_TRACER_INTERNAL_H

#include "alloc/alloc.h"

/* The freeres functions valgrind calls at exit, in this order. */
enum freeres_fn {
	FREERES_CXX,  /* libstdc++'s __gnu_cxx::__freeres() */
	FREERES_LIBC, /* glibc's __libc_freeres() */
	FREERES_N
};

/* modules.c */
int modules_start(struct proc *p, pid_t tid);
int modules_update(struct proc *p, pid_t tid);
int modules_attach(struct proc *p, pid_t tid);
void proc_forget_image(struct proc *p);

/* runinfo.c: fill RUN for P (at its exit stop); never fails.  Free its
 * contents with runinfo_release(). */
struct report_run;
void runinfo_fill(struct report_run *run, struct proc *p);
void runinfo_release(struct report_run *run);

/* exitscan.c: the leak report of P: at its exit (EXITING: the thread
 * that ended it), after SIGKILL (KILLED), or on demand (neither: every
 * thread is stopped for the scan and resumed after). */
struct loss_record;
struct leak_summary;
/* Returns the number of errors (loss records of --errors-for-leak-kinds)
 * it found. */
int proc_report(struct proc *p, struct thread *exiting, int killed);
int tracer_total_errors(void);
/* The reports' symbolizer callback (a report_sym_fn) over a struct
 * sym_ctx: frame 0, the entry point we broke on, is named as the program
 * called it (malloc, not __libc_malloc). */
struct symbolizer;
struct sym_frame;
struct sym_ctx {
	struct symbolizer *sym; /* NULL: frames are bare pcs */
	struct proc *proc;
};
int proc_sym_cb(void *ctx, taddr_t pc, int is_return, struct sym_frame *out,
		int max);
const char *proc_module_cb(void *ctx, taddr_t pc, int is_return);

/* snapshot.c: heap-profile snapshots (SIGUSR2, --heap-profile-interval)
 * of every traced process, numbered 1, 2, ... across the run; WHY is for
 * the message ("on-demand", "periodic"). */
void tracer_snapshot_all(const char *why);
/* The next snapshot number (shared with on-demand leak reports, whose
 * profiles are numbered snapshots too, with leak kinds). */
unsigned snapshot_next_seq(void);
struct scan_block;
struct scan_holders;
/* HOLDERS: the scan's holders of BLOCKS, for retained sizes, or NULL */
int proc_write_profiles(struct proc *p, const struct scan_block *blocks,
			size_t nb, int classified, struct sym_ctx *sctx,
			const char *maps, int64_t time_nanos, unsigned seq,
			const struct scan_holders *holders);
/* exitscan.c, set by launch.c's report_all: the number for the profiles
 * of the on-demand reports being made now; 0 (FILE itself) otherwise: at
 * exit and at detach. */
extern unsigned g_report_seq;

/* launch.c */
void tracer_dispatch(pid_t tid, int status);
/* thread_free() and proc_free() with the teardown of the layers above
 * ptrace/ first. */
void tracer_thread_free(struct thread *t);
void tracer_proc_free(struct proc *p);
void tracer_loop(int attached);
/* waitpid(-1, __WALL) that drains the fast path's rings meanwhile (ringpoll.c)
 */
pid_t ringpoll_wait(int *status);
void tracer_begin(int attached);
void tracer_signals(int attached);
/* deliver.c: resume T, in a signal-delivery-stop for SIG, so that the
 * signal is delivered where the program is and never in code of ours
 * (see there).  Never fails; T may be gone on return. */
void tracer_deliver(struct thread *t, int sig);
void tracer_explain_ptrace_error(int err, const char *what, pid_t pid);

/* jobctl.c: job control (see there).  jobctl_signals: our handlers for
 * the stop signals and SIGCONT.  The event loop tells it of every
 * group-stop (jobctl_group_stop, with its signal) and exit
 * (jobctl_changed); jobctl_want_stop says, when nothing else is waiting,
 * that leakcheck is to stop now, and jobctl_stop stops it until it is
 * continued or wanted.  jobctl_kill: kill(PID, SIG), then SIGCONT if PID
 * is stopped by job control, so that it acts on SIG.  None fails. */
void jobctl_signals(void);
void jobctl_group_stop(struct thread *t, int sig);
void jobctl_changed(void);
int jobctl_want_stop(void);
void jobctl_stop(void);
void jobctl_kill(pid_t pid, int sig);

/* attach.c: report (unless --once already did), take every trace of us
 * out of every traced process, and detach. */
void tracer_detach_all(const char *why);

/* exitpath.c: at the _exit breakpoint B, with T's registers REGS at its
 * entry: run the freeres functions in T to their end (the other threads
 * of its process held stopped for good, as valgrind does), make the
 * process's leak report, and leave REGS as they were for the caller to
 * resume _exit -- but for its status, --error-exitcode when the report
 * found errors (a launched program's, as valgrind does). */
void exitpath_final(struct thread *t, const struct bp *b, arch_regs_t *regs);
/* exitpath.c: at the entry of exit() or _dl_audit_preinit(), with T's
 * registers REGS: clear T's dead stack below sp, where frames that stay
 * live to the exit scan are about to be made (see there). */
void exitpath_clear_dead_stack(struct thread *t, const arch_regs_t *regs);

/* stats.c: --stats (the counters are kept whether or not it is given) */
void tracer_print_stats(void);
/* CLOCK_MONOTONIC in ns; in seconds */
uint64_t stats_now_ns(void);
static inline double now_seconds(void)
{
	return (double)stats_now_ns() / 1e9;
}
/* leakcheck's own VmRSS and VmHWM in KiB; 0 or -1 */
int stats_self_mem(unsigned long *rss_kib, unsigned long *hwm_kib);

/* The run's counters; written by launch.c, stats.c.  The layers below
 * keep their own: g_alloc_stats (alloc/), g_bp_stats (bp/). */
struct tracer_stats {
	uint64_t traps, signals;
	uint64_t start_ns; /* CLOCK_MONOTONIC when leakcheck started */
};
extern struct tracer_stats g_stats;

/* exitscan.c: the leak reports, for --stats.  Memory is leakcheck's own
 * VmRSS and VmHWM (KiB) at the end of each phase of the last report. */
enum report_phase {
	RP_START,    /* on entry: what tracing left */
	RP_BLOCKS,   /* the scan's block array built */
	RP_ROOTS,    /* threads stopped, roots gathered */
	RP_CLASSIFY, /* blocks classified */
	RP_RECORDS,  /* loss records built */
	RP_REPORT,   /* reports written, before freeing */
	RP_NPHASES
};
struct report_stats {
	uint64_t reports;    /* proc_report calls that scanned or reported */
	uint64_t ns;	     /* wall time in them */
	uint64_t holders_ns; /* of which: holder paths and dominators */
	uint64_t blocks;     /* blocks in the last one */
	unsigned long rss_kib[RP_NPHASES], hwm_kib[RP_NPHASES];
};
extern struct report_stats g_report_stats;

#endif
