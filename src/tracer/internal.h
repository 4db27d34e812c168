/*
 * Private to src/tracer/: processes, threads, breakpoints and the
 * functions the tracer's files share.
 */
#ifndef LEAKCHECK_TRACER_INTERNAL_H
#define LEAKCHECK_TRACER_INTERNAL_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "arch_defs.h"
#include "leakcheck/arch.h"
#include "leakcheck/depot.h"
#include "leakcheck/heap.h"
#include "leakcheck/profile.h"
#include "leakcheck/types.h"
#include "leakcheck/unwind.h"

/* What an entry point does; the handler table in hooks.c. */
enum hook_kind {
	HOOK_MALLOC,         /* malloc(size) */
	HOOK_CALLOC,         /* calloc(n, size) */
	HOOK_REALLOC,        /* realloc(p, size) */
	HOOK_REALLOCARRAY,   /* reallocarray(p, n, size) */
	HOOK_FREE,           /* free(p) */
	HOOK_POSIX_MEMALIGN, /* posix_memalign(&p, align, size) */
	HOOK_MEMALIGN,       /* memalign/aligned_alloc(align, size) */
	HOOK_VALLOC,         /* valloc(size) */
	HOOK_PVALLOC,        /* pvalloc(size): rounded up to pages */
	HOOK_CLEAR_DEAD,     /* exit(), _dl_audit_preinit(): the dead stack
			      * below sp is cleared (exitpath.c) */
	HOOK_EXIT_FINAL,     /* _exit(): run the freeres functions (exitpath.c) */
	HOOK_DL_DEBUG,       /* _dl_debug_state: the module list changed */
	HOOK_NKINDS
};

/* Bits for the entry point names modules.c knows, with each prefix. */
#define HOOK_SLOTS 512

/* The freeres functions valgrind calls at exit, in this order. */
enum freeres_fn {
	FREERES_CXX,  /* libstdc++'s __gnu_cxx::__freeres() */
	FREERES_LIBC, /* glibc's __libc_freeres() */
	FREERES_N
};

/* A breakpoint: an int3 at ADDR whose displaced instruction runs in the
 * out-of-line slot at SLOT (or, for a jump, is emulated). */
struct bp {
	taddr_t addr;
	uint8_t orig;       /* the byte the int3 replaced */
	uint8_t kind;       /* enum hook_kind */
	uint8_t is_jump;
	uint8_t insn_len;   /* length of the displaced instruction */
	taddr_t resume;     /* where to continue: slot or jump target */
	const char *name;   /* symbol, for messages */
	uint8_t fast;       /* a jmp to the fast path, not an int3 (fast.c): */
	uint8_t orig5[5];   /*   the bytes it replaced */
	taddr_t trap;       /*   its slow path's int3 */
};

/* A block the heap walk found at attach: [addr, end). */
struct pre_block {
	taddr_t addr, end;
};

/* An allocator call whose return we wait for (return address replaced). */
struct pending {
	taddr_t slot;     /* stack address of the replaced return address */
	taddr_t orig_ret; /* the real return address */
	taddr_t via;      /* what replaced it (stub or return slot): while
			   * the slot holds it, the call is in progress */
	uint64_t a0, a1, a2;
	uint32_t stack_id;
	uint8_t kind;
	uint8_t via_stub; /* returns through the thread's stub: no trap */
};

enum thread_state {
	TS_RUNNING,   /* resumed, or stopped and about to be */
	TS_NEW,       /* created, first stop not seen yet */
	TS_EXITING,   /* held at PTRACE_EVENT_EXIT */
};

struct thread {
	pid_t tid;
	struct proc *proc;
	enum thread_state state;
	int in_alloc;           /* recorded allocator calls in progress */
	struct pending *pend;   /* stack of pending returns */
	size_t npend, pend_cap;
	taddr_t last_sp;        /* sp at the last trap we saw */
	int last_sig;           /* the last signal delivered to it */
	int in_exit;            /* at _exit: it ends its process */
	int have_held_regs;     /* held for freeres (exitpath.c): its */
	arch_regs_t held_regs;  /*   registers then, roots at the exit scan */
	int stopped_for_scan;   /* interrupted by the scan, resume after */
	int pend_exit;          /* that stop was its PTRACE_EVENT_EXIT */
	int pend_status;        /*   and its wait status, handled after */
	int listening;          /* in a group-stop (PTRACE_LISTEN) */
	int pending_sig;        /* signal to deliver when resumed (attach) */
	int stub;               /* its return stub, or -1 */
	int stub_busy;          /* a call returns through it (harvest pends) */
	int fast_idx;           /* its entry in the fast path's thread table;
				 * -1 not yet, -2 cannot (its stack) */
	taddr_t fast_hi;        /* the end of the stack it has there */
	taddr_t fast_busy;      /* its T_BUSY there, as we last wrote it */
	struct thread *next;    /* in the global hash chain */
};

enum proc_flags {
	PROC_MAIN = 1 << 0,      /* the program we launched */
	PROC_TRACING = 1 << 1,   /* breakpoints in place, tracking */
	PROC_REPORTED = 1 << 2,  /* the leak report is done */
	PROC_VFORK_CHILD = 1 << 3,
	PROC_ATTACHED = 1 << 4,  /* --pid: detach at the end, never kill */
	PROC_SAME_CPU = 1 << 5,  /* one thread, on leakcheck's CPU (launch.c) */
};

struct proc {
	pid_t pid;
	unsigned flags;
	int memfd;                /* /proc/PID/mem, for writing code */
	struct heap_table heap;
	struct unwinder *unw;
	struct bp *bps;
	size_t nbps, bps_cap;
	taddr_t page;             /* injected page: trampoline and slots */
	unsigned nslots;
	unsigned nbptab;          /* entries in its INJ_BPTAB */
	taddr_t *ret_slots;       /* return address of each return slot */
	uint32_t *ret_hash;       /* return address -> slot index + 1 */
	unsigned nret_slots, ret_hash_cap;
	int handler_installed;    /* our SIGTRAP handler is the program's */
	int stat_fd;              /* /proc/PID/stat, to see that it still is */
	taddr_t data;             /* the data page, or 0: no stubs */
	unsigned nstubs;          /* stubs handed out so far */
	unsigned *stub_free;      /* stubs of threads that are gone */
	size_t nstub_free, stub_free_cap;
	struct thread **busy;     /* threads whose stub call is unharvested */
	size_t nbusy, busy_cap;
	int guard_fd;             /* pipe to the guard process, or -1 */
	struct fast *fast;        /* the fast path (fast.c), or NULL */
	int all_stopped;          /* every thread stopped: code may be patched */
	int no_fast;              /* a Go program: no fast path */
	pid_t fast_owner;         /* a vfork child: the parent, whose ring it
				   * writes to */
	struct alloc_total *alloc_tot; /* by stack id: pprof's alloc_* */
	size_t nalloc_tot;
	struct pre_block *pre;    /* the heap walk's blocks, by address */
	size_t npre;
	int pre_unknown;          /* attached, and the blocks from before
				   * could not be walked (another malloc):
				   * the heap is scanned as roots */
	taddr_t r_debug;          /* &_r_debug in ld.so, 0 if static */
	taddr_t ldso_base;
	uint64_t bound[HOOK_SLOTS / 64]; /* entry point names (and their
				   * prefixed forms) bound: modules.c */
	taddr_t freeres_fn[2];    /* enum freeres_fn: 0 if not defined */
	int freeres_state;        /* enum freeres_state */
	char *seen_modules;       /* "\n"-joined paths already processed */
	char *maps_text;          /* /proc/PID/maps at the last module change */
	int nthreads;
	int exit_code_status;     /* wait status at exit, from GETEVENTMSG */
	struct proc *next;
	char *command;            /* for reports */
	unsigned nreports;        /* on-demand reports made so far */
	struct loss_record *prev; /* the last report's records, for --report=new */
	size_t nprev;
	struct leak_summary *prev_sum;
};

/* Global tracer state. */
extern struct stack_depot g_depot;

/* mem.c */
long mem_read(pid_t pid, taddr_t addr, void *buf, size_t len);
int mem_write(pid_t pid, taddr_t addr, const void *buf, size_t len);
int mem_write_code(struct proc *p, taddr_t addr, const void *buf, size_t len);
long mem_read_force(struct proc *p, taddr_t addr, void *buf, size_t len);
int mem_fd(struct proc *p);

/* task.c */
struct proc *proc_new(pid_t pid);
void proc_free(struct proc *p);
struct proc *proc_find(pid_t pid);
struct thread *thread_new(struct proc *p, pid_t tid);
struct thread *thread_find(pid_t tid);
void thread_free(struct thread *t);
struct proc *proc_list(void);
struct thread *threads_of(struct proc *p, struct thread *after);
char *read_file_text(const char *path);
/* waitpid(TID, ...) that goes on through EINTR (our ticker and request
 * signals); only the event loop wants to see those. */
pid_t wait_tid(pid_t tid, int *status, int flags);

/* inject.c: run syscall NR in stopped thread TID; returns its result or
 * -errno of the ptrace plumbing. */
int inject_settle(struct proc *p, pid_t tid);
long inject_syscall(struct proc *p, pid_t tid, long nr,
		    const unsigned long long args[6]);
/* inject.c: T, listening (in a group-stop) but made to run by us, back in
 * its group-stop trap where PTRACE_LISTEN works.  0 or -errno. */
int inject_restop(struct thread *t);

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

/* bp.c */
int bp_insert(struct proc *p, taddr_t addr, enum hook_kind kind,
	      const char *name);
struct bp *bp_find(struct proc *p, taddr_t addr);
void bp_remove_all(struct proc *p);
void bp_restore_returns(struct proc *p);

/* hooks.c */
void hook_entry(struct thread *t, struct bp *b, arch_regs_t *regs);
void hook_return(struct thread *t, arch_regs_t *regs);
/* The same, quietly: returns 0, or -ENOENT if no call of T was pending
 * at that return (REGS untouched then). */
int hook_return_ok(struct thread *t, arch_regs_t *regs);
/* Record the calls of P that returned through stubs since the last time
 * (every trap, report and exit of P does this first). */
void stubs_harvest(struct proc *p);
void stubs_harvest_stopped(struct proc *p);
/* T is going: forget its stub call, if any. */
void stub_forget(struct thread *t);
void busy_add_thread(struct thread *t);
void hooks_init(void);

/* exitscan.c: the leak report of P: at its exit (EXITING: the thread
 * that ended it), after SIGKILL (KILLED), or on demand (neither: every
 * thread is stopped for the scan and resumed after). */
struct loss_record;
struct leak_summary;
/* Returns the number of errors (loss records of --errors-for-leak-kinds)
 * it found. */
int proc_report(struct proc *p, struct thread *exiting, int killed);
void proc_stop_all(struct proc *p, struct thread *except);
void proc_resume_all(struct proc *p);
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

/* snapshot.c: heap-profile snapshots (SIGUSR2, --heap-profile-interval)
 * of every traced process, numbered 1, 2, ... across the run; WHY is for
 * the message ("on-demand", "periodic"). */
void tracer_snapshot_all(const char *why);
/* The next snapshot number (shared with on-demand leak reports, whose
 * profiles are numbered snapshots too, with leak kinds). */
unsigned snapshot_next_seq(void);
struct scan_block;
int proc_write_profiles(struct proc *p, const struct scan_block *blocks,
			size_t nb, int classified, struct sym_ctx *sctx,
			const char *maps, int64_t time_nanos, unsigned seq);
/* exitscan.c: the number for the profiles of the on-demand reports being
 * made now; 0 (FILE itself) otherwise: at exit and at detach. */
extern unsigned g_report_seq;

/* A PTRACE_EVENT_STOP with this signal is a group-stop (job control). */
static inline int is_group_stop_sig(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN ||
	       sig == SIGTTOU;
}

/* launch.c */
void tracer_dispatch(pid_t tid, int status);
void tracer_resume(pid_t tid, int sig);
void tracer_loop(int attached);
void tracer_signals(int attached);
/* deliver.c: resume T, in a signal-delivery-stop for SIG, so that the
 * signal is delivered where the program is and never in code of ours
 * (see there).  Never fails; T may be gone on return. */
void tracer_deliver(struct thread *t, int sig);
void explain_ptrace_error(int err, const char *what, pid_t pid);

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

/* heapwalk.c: enter the blocks glibc's malloc has live into P's table
 * (HB_PRE_ATTACH, no stack), every thread of P stopped. */
void heap_walk(struct proc *p);
/* hooks.c: remember the walk's blocks; drop those a new block overlaps */
void pre_blocks_index(struct proc *p);

/* drain.c: let every thread of P stopped inside the allocator finish its
 * call (every thread stopped, no breakpoint in yet); returns how many
 * were inside.  Never fails: a thread that does not come out is stopped
 * where it got to. */
int attach_drain_allocator(struct proc *p);

/*
 * bp.c: the injected page.  Everything the program may run of ours lives
 * here, so that it still works after leakcheck is gone (see bp.c):
 */
#define PAGE_SIZE_INJ 65536
#define INJ_TRAMP 0x0000      /* shared return trampoline: int3 (fallback) */
#define INJ_HANDLER 0x0010    /* SIGTRAP handler for when no tracer is left */
#define INJ_RESTORER 0x0070   /* its rt_sigreturn */
#define INJ_SIGACT 0x0080     /* struct kernel_sigaction: our handler */
#define INJ_SIGACT_DFL 0x00a0 /*   and SIG_DFL, SIG_IGN after it */
#define INJ_SYSCALL 0x00e0    /* where we make a thread run a syscall */
#define INJ_BPTAB 0x0100      /* u64 count; {addr, resume} per breakpoint */
#define INJ_BPTAB_MAX 255
#define INJ_OOL 0x1100        /* out-of-line slots, ARCH_OOL_SLOT_SIZE each */
#define INJ_FAST 0x2800       /* the fast path's code (fast.S, with its walk) */
#define INJ_FAST_INST 0x3400  /* its instances, one per entry point */
#define FAST_INST_MAX 48
#define INJ_RET 0x4000        /* return slots, one per call site: */
#define INJ_RET_SLOT 16       /*   int3; jmp *(%rip); .quad return address */
#define INJ_RET_MAX ((INJ_STUB - INJ_RET) / INJ_RET_SLOT)
#define INJ_STUB 0x8000       /* return stubs, one per thread (no trap): */
#define INJ_STUB_SLOT 16      /*   mov %rax,cell; jmp *cell+8 */
#define INJ_STUB_MAX ((PAGE_SIZE_INJ - INJ_STUB) / INJ_STUB_SLOT)
/* The data page, right after the code page, read-write: the stubs' cells,
 * {result, return address} each. */
#define DATA_SIZE_INJ (INJ_STUB_MAX * 16)
#define STUB_PENDING 1 /* a cell's result before the call returns */
int bp_ensure_page(struct proc *p, pid_t tid, taddr_t hint);
taddr_t bp_ret_slot(struct proc *p, taddr_t ret);
int bp_ret_slot_target(struct proc *p, taddr_t pc, taddr_t *ret);
void bp_copy_ret_slots(struct proc *to, const struct proc *from);
int bp_install_handler(struct proc *p, pid_t tid);
void bp_keep_handler(struct thread *t);
int bp_is_our_page(struct proc *p, taddr_t page);
taddr_t bp_page_stub_data(struct proc *p, taddr_t page);
void bp_page_handler_off(struct proc *p, pid_t tid, taddr_t page);

/* leftover.c: what a leakcheck killed while attached to pid PID left in
 * it.  leftover_wait: until its guard, if still at work, is done (before
 * our own guard starts).  leftover_take: take it out, every thread of P
 * stopped, before our page goes in (see there).  Neither fails. */
void leftover_wait(pid_t pid);
void leftover_take(struct proc *p, pid_t tid);
void bp_remove_handler(struct proc *p, pid_t tid);

/* fast.c: allocator calls recorded by the program, with no trap */
void fast_init(struct proc *p, pid_t tid);
void fast_guard(struct proc *p);
/* P's module list changed: its unwind table for the walk in the program
 * is written again (fast.c). */
void fast_tables(struct proc *p);
void fast_forget(struct proc *p);
int fast_data_range(const struct proc *p, taddr_t *start, taddr_t *end);
int fast_patch(struct proc *p, struct bp *b, const uint8_t *code, size_t n,
	       taddr_t slot);
void fast_jmp(const struct bp *b, uint8_t jmp[5]);
void fast_thread_gone(struct thread *t);
void fast_set_busy(struct thread *t, taddr_t sp);
void fast_drain(struct proc *p, pid_t resume);
int fast_trap(struct thread *t, arch_regs_t *regs, taddr_t pc);
void fast_settle(struct proc *p, int detaching);
taddr_t fast_leftover(struct proc *p, taddr_t page, int *keep);
enum fast_leave {
	FAST_NOT,   /* not at a place of the fast path's own */
	FAST_OUT,   /* was in an instance: now at the function's entry */
	FAST_ON,    /* past a full ring's int3: the ring has room */
	FAST_STUCK, /* at a full ring's int3: the ring is still full */
};
int fast_leave(struct thread *t, arch_regs_t *r);
void fast_detach(struct proc *p, pid_t tid);
void fast_fork(struct proc *p, struct proc *child, int vfork);
int fast_is_go(const char *path);
/* hooks.c: what a record means */
struct fast_call {
	uint8_t kind;
	uint64_t a[3];
	uint64_t res;
	taddr_t fn;            /* the entry point: the stack's first frame */
	arch_regs_t regs;      /* at the return: rip, rsp, callee-saved */
	const uint8_t *stack;  /* the copy of [rsp, rsp + len) */
	uint64_t len;
	const uint64_t *pcs;   /* or the program's walk: return addresses */
	unsigned npcs;         /*   from regs.rip on (no copy then) */
	taddr_t hi;            /* the end of that stack */
	int realloc_begun;     /* realloc(p != 0): its BEGIN was recorded, */
	int moved;             /*   and took this block out of the table: */
	struct heap_block old;
};
/* Returns 1 if it unwound and the stack ended before opt.num_callers. */
int hook_fast_call(struct proc *p, const struct fast_call *c);
int fast_check(struct proc *p, const struct fast_call *c, const taddr_t *pcs,
	       int n, int max);
void hook_fast_free(struct proc *p, taddr_t addr);

/* exitpath.c: at the _exit breakpoint B, with T's registers REGS at its
 * entry: run the freeres functions in T to their end (the other threads
 * of its process held stopped for good, as valgrind does), make the
 * process's leak report, and leave REGS as they were for the caller to
 * resume _exit -- but for its status, --error-exitcode when the report
 * found errors (a launched program's, as valgrind does). */
void exit_final(struct thread *t, const struct bp *b, arch_regs_t *regs);
/* exitpath.c: at the entry of exit() or _dl_audit_preinit(), with T's
 * registers REGS: clear T's dead stack below sp, where frames that stay
 * live to the exit scan are about to be made (see there). */
void clear_dead_stack(struct thread *t, const arch_regs_t *regs);

/* guard.c: a process that outlives a SIGKILLed leakcheck and takes our
 * int3s out of an attached program (see guard.c). */
int guard_start(struct proc *p);
void guard_note(struct proc *p, taddr_t addr, uint8_t byte);
void guard_done(struct proc *p);

/* stats.c: --stats (the counters are kept whether or not it is given) */
void tracer_print_stats(void);
/* CLOCK_MONOTONIC in ns */
uint64_t stats_now_ns(void);
/* leakcheck's own VmRSS and VmHWM in KiB; 0 or -1 */
int stats_self_mem(unsigned long *rss_kib, unsigned long *hwm_kib);

struct tracer_stats {
	uint64_t traps, entry_traps, return_traps, allocs, frees,
		unknown_frees, nested, signals;
	uint64_t calls[HOOK_NKINDS]; /* outermost calls, per entry point kind */
	uint64_t start_ns;           /* CLOCK_MONOTONIC when leakcheck started */
	uint64_t ret_slots_full; /* returns through the shared trampoline */
	uint64_t stub_returns;   /* calls that returned through a stub */
	uint64_t harvests;       /* reads of stub cells */
	uint64_t stale_pre_attach; /* walk blocks found freed by an overlap */
	uint64_t fast_records;  /* records read from the fast path's ring */
	uint64_t fast_drains;   /* reads of the ring */
	uint64_t fast_full;     /* traps of a full ring */
	uint64_t fast_slow;     /* calls that took the slow path (a trap) */
	uint64_t fast_short;    /* stack copies too short: window doubled */
	uint64_t fast_walked;   /* records with the program's own walk */
	uint64_t fast_walk_aborts; /* walks given up for a signal or a stop */
	uint64_t fast_checked;  /* ... compared with libunwind's (check mode) */
	uint64_t fast_check_differ; /* ... that differed */
	uint64_t fast_tables;   /* unwind tables written into programs */
	uint64_t fast_settled;  /* threads run out of our code (reports) */
	uint64_t fast_win;      /* the window now, if it grew */
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
	uint64_t reports; /* proc_report calls that scanned or reported */
	uint64_t ns;      /* wall time in them */
	uint64_t blocks;  /* blocks in the last one */
	unsigned long rss_kib[RP_NPHASES], hwm_kib[RP_NPHASES];
};
extern struct report_stats g_report_stats;

#endif
