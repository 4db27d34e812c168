/*
 * The ptrace layer (src/ptrace/): processes and threads as objects, their
 * memory, a system call run in a thread, stopping and resuming them all,
 * and the guard that outlives us.  The lowest layer: nothing here calls
 * into bp/, alloc/ or tracer/ (tests/layers.sh checks).  struct proc and
 * struct thread carry fields every layer owns; each says who writes it.
 */
#ifndef LEAKCHECK_PTRACE_H
#define LEAKCHECK_PTRACE_H

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

/* Bits for the entry point names modules.c knows, with each prefix. */
#define HOOK_SLOTS 512

/* A valgrind.h mempool: its chunks' addresses (alloc/clientreq.c). */
struct vg_pool {
	taddr_t id;
	taddr_t *chunks;
	size_t n, cap;
};

/* A block the heap walk found at attach: [addr, end). */
struct pre_block {
	taddr_t addr, end;
};

/* An allocator call whose return we wait for (return address replaced). */
struct pending {
	taddr_t slot;	  /* stack address of the replaced return address */
	taddr_t orig_ret; /* the real return address */
	taddr_t via;	  /* what replaced it (stub or return slot): while
			   * the slot holds it, the call is in progress */
	uint64_t a0, a1, a2;
	uint32_t stack_id;
	uint8_t kind;
	uint8_t decl;	  /* HOOK_DECLARED: its index in opt.decl */
	uint8_t via_stub; /* returns through the thread's stub: no trap */
	taddr_t mi_heap;  /* a mi_heap_* call: its heap, else 0 */
};

enum thread_state {
	TS_RUNNING, /* resumed, or stopped and about to be */
	TS_NEW,	    /* created, first stop not seen yet */
	TS_EXITING, /* held at PTRACE_EVENT_EXIT */
};

struct thread {
	pid_t tid;
	struct proc *proc;
	enum thread_state state;
	int in_alloc;	      /* recorded allocator calls in progress */
	struct pending *pend; /* stack of pending returns */
	size_t npend, pend_cap;
	taddr_t last_sp;       /* sp at the last trap we saw */
	int last_sig;	       /* the last signal delivered to it */
	int in_exit;	       /* at _exit: it ends its process */
	int have_held_regs;    /* held for freeres (exitpath.c): its */
	arch_regs_t held_regs; /*   registers then, roots at the exit scan */
	int stopped_for_scan;  /* interrupted by the scan, resume after */
	int pend_exit;	       /* that stop was its PTRACE_EVENT_EXIT */
	int pend_status;       /*   and its wait status, handled after */
	int listening;	       /* in a group-stop (PTRACE_LISTEN) */
	int pending_sig;       /* signal to deliver when resumed (attach) */
	int stub;	       /* its return stub, or -1 */
	int stub_busy;	       /* a call returns through it (harvest pends) */
	int fast_idx;	       /* its entry in the fast path's thread table;
				* -1 not yet, -2 cannot (its stack) */
	taddr_t fast_hi;       /* the end of the stack it has there */
	taddr_t fast_busy;     /* its T_BUSY there, as we last wrote it */
	struct thread *next;   /* in the global hash chain */
};

enum proc_flags {
	PROC_MAIN = 1 << 0,	/* the program we launched */
	PROC_TRACING = 1 << 1,	/* breakpoints in place, tracking */
	PROC_REPORTED = 1 << 2, /* the leak report is done */
	PROC_VFORK_CHILD = 1 << 3,
	PROC_ATTACHED = 1 << 4, /* --pid: detach at the end, never kill */
	PROC_SAME_CPU = 1 << 5, /* one thread, on leakcheck's CPU (launch.c) */
};

struct proc {
	pid_t pid;
	unsigned flags;
	int memfd; /* /proc/PID/mem, for writing code */
	struct heap_table heap;
	struct unwinder *unw;
	struct bp *bps;
	size_t nbps, bps_cap;
	taddr_t page; /* injected page: trampoline and slots */
	unsigned nslots;
	unsigned nbptab;    /* entries in its INJ_BPTAB */
	taddr_t *ret_slots; /* return address of each return slot */
	uint32_t *ret_hash; /* return address -> slot index + 1 */
	unsigned nret_slots, ret_hash_cap;
	int handler_installed; /* our SIGTRAP handler is the program's */
	int stat_fd;	       /* /proc/PID/stat, to see that it still is */
	taddr_t data;	       /* the data page, or 0: no stubs */
	unsigned nstubs;       /* stubs handed out so far */
	unsigned *stub_free;   /* stubs of threads that are gone */
	size_t nstub_free, stub_free_cap;
	struct thread **busy; /* threads whose stub call is unharvested */
	size_t nbusy, busy_cap;
	int guard_fd;	       /* pipe to the guard process, or -1 */
	struct fast *fast;     /* the fast path (fast.c), or NULL */
	int all_stopped;       /* every thread stopped: code may be patched */
	int no_fast;	       /* a Go program: no fast path */
	pid_t fast_owner;      /* a vfork child: the parent, whose ring it
				* writes to */
	struct vg_pool *pools; /* valgrind.h's mempools (alloc/clientreq.c) */
	size_t npools, pools_cap;
	struct heap_table
	    custom_heap;	       /* the blocks and chunks the program
					* declares (alloc/clientreq.c), apart
					* from HEAP: one may start where the
					* malloc'd block it is carved from does */
	struct heap_table mi_owner;    /* the blocks of mimalloc's mi_heap_*
					* calls: block address -> its heap
					* (in .size), for mi_heap_destroy */
	struct alloc_total *alloc_tot; /* by stack id: pprof's alloc_* */
	size_t nalloc_tot;
	struct pre_block *pre; /* the heap walk's blocks, by address */
	size_t npre;
	int pre_unknown; /* attached, and the blocks from before
			  * could not be walked (another malloc):
			  * the heap is scanned as roots */
	taddr_t je_root; /* they were walked in jemalloc 5.3.0: its
			  * extent map (alloc/jemalloc.c), else 0 */
	int64_t je_tls_off;
	uint64_t je_tls_size;
	taddr_t r_debug; /* &_r_debug in ld.so, 0 if static */
	taddr_t ldso_base;
	uint32_t decl_bound;		 /* opt.decl entries bound: modules.c */
	uint64_t bound[HOOK_SLOTS / 64]; /* entry point names (and their
					  * prefixed forms) bound: modules.c */
	taddr_t freeres_fn[2];		 /* enum freeres_fn: 0 if not defined */
	int freeres_state;		 /* enum freeres_state */
	char *seen_modules; /* "\n"-joined paths already processed */
	char *maps_text;    /* /proc/PID/maps at the last module change */
	int nthreads;
	int exit_code_status; /* wait status at exit, from GETEVENTMSG */
	struct proc *next;
	char *command;	   /* for reports */
	unsigned nreports; /* on-demand reports made so far */
	struct loss_record
	    *prev; /* the last report's records, for --report=new */
	size_t nprev;
	struct leak_summary *prev_sum;
	/* tracer's: the last report's block addresses, sorted, for
	 * --report=new's holders of what is new */
	taddr_t *prev_addrs;
	size_t nprev_addrs;
};

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
/* PID's executable (/proc/PID/exe) into BUF of SIZE bytes, NUL-ended;
 * returns its length, or -errno with BUF "" */
long proc_exe(pid_t pid, char *buf, size_t size);
struct thread *threads_of(struct proc *p, struct thread *after);
/* waitpid(TID, ...) that goes on through EINTR (our ticker and request
 * signals); only the event loop wants to see those. */
pid_t wait_tid(pid_t tid, int *status, int flags);
/* target.c: P as a struct target (leakcheck/target.h), its mappings MAPS
 * (the caller's, which must outlive TG).  FORCE: a page process_vm_readv
 * cannot read is read through /proc/PID/mem (as the scan does). */
struct target;
void target_live(struct proc *p, const char *maps, int force,
		 struct target *tg);

/* stop.c: stop every thread of P but EXCEPT for a scan (see there), and
 * resume them after.  Neither fails: a thread that is gone is marked
 * TS_EXITING. */
void proc_stop_all(struct proc *p, struct thread *except);
/* Wait until T is in a PTRACE_EVENT_STOP or its exit event, and mark it
 * so (stopped_for_scan; listening for a job-control stop; pend_exit and
 * pend_status).  Stops of other kinds that come first go to the run loop
 * (task_dispatch), then, with REINTERRUPT, T is interrupted again (the
 * dispatch resumed it).  Returns 1 at such a stop; 0 if T ended (*STATUS
 * its wait status, not dispatched); -1 if waiting failed or T is gone
 * from the thread table. */
int task_wait_stopped(struct thread *t, int *status, int reinterrupt);
void proc_resume_all(struct proc *p);
/* PTRACE_CONT TID with SIG; a thread that is gone is not an error. */
void task_resume(pid_t tid, int sig);
/* A stop of TID (wait status STATUS) that came while waiting for another
 * thread is handed up to the run loop, which set the handler with
 * task_set_dispatch (the event loop's dispatch); the layers below it
 * never call the loop themselves.  TID may be gone on return. */
void task_set_dispatch(void (*fn)(pid_t tid, int status));
void task_dispatch(pid_t tid, int status);

/* inject.c: run syscall NR in stopped thread TID; returns its result or
 * -errno of the ptrace plumbing. */
int inject_settle(struct proc *p, pid_t tid);
long inject_syscall(struct proc *p, pid_t tid, long nr,
		    const unsigned long long args[6]);
/* inject.c: T, listening (in a group-stop) but made to run by us, back in
 * its group-stop trap where PTRACE_LISTEN works.  0 or -errno. */
int inject_restop(struct thread *t);

/* A PTRACE_EVENT_STOP with this signal is a group-stop (job control). */
static inline int is_group_stop_sig(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN ||
	       sig == SIGTTOU;
}

/* guard.c: a process that outlives a SIGKILLed leakcheck and takes our
 * int3s out of an attached program (see guard.c). */
/* 1: started now (then bp_guard_all), 0: has one or none wanted, -errno */
int guard_start(struct proc *p);
void guard_note(struct proc *p, taddr_t addr, uint8_t byte);
void guard_done(struct proc *p);

#endif
