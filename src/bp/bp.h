/*
 * The breakpoint layer (src/bp/): how an allocator call is caught and
 * its return seen: int3 breakpoints with out-of-line execution, return
 * stubs and slots, the fast path's in-program recorder, the injected
 * page, signals delivered outside our code, and what a killed leakcheck
 * left behind.  Calls only down, into src/ptrace/.
 */
#ifndef LEAKCHECK_BP_H
#define LEAKCHECK_BP_H

#include "ptrace/ptrace.h"

/* What an entry point does; the handler table in hooks.c. */
enum hook_kind {
	HOOK_MALLOC,	     /* malloc(size) */
	HOOK_CALLOC,	     /* calloc(n, size) */
	HOOK_REALLOC,	     /* realloc(p, size) */
	HOOK_REALLOCARRAY,   /* reallocarray(p, n, size) */
	HOOK_FREE,	     /* free(p) */
	HOOK_POSIX_MEMALIGN, /* posix_memalign(&p, align, size) */
	HOOK_MEMALIGN,	     /* memalign/aligned_alloc(align, size) */
	HOOK_VALLOC,	     /* valloc(size) */
	HOOK_PVALLOC,	     /* pvalloc(size): rounded up to pages */
	HOOK_XALLOCX,	     /* jemalloc's xallocx(p, size, extra, flags):
			      * p resized in place; returns its real size */
	HOOK_HEAP_DESTROY,   /* mimalloc's mi_heap_destroy(heap): frees the
			      * blocks its mi_heap_* calls made */
	HOOK_HEAP_DELETE,    /* mi_heap_delete(heap): they move to the
			      * default heap, which is never destroyed */
	HOOK_CLEAR_DEAD,     /* exit(), _dl_audit_preinit(): the dead stack
			      * below sp is cleared (exitpath.c) */
	HOOK_EXIT_FINAL, /* _exit(): run the freeres functions (exitpath.c) */
	HOOK_DL_DEBUG,	 /* _dl_debug_state: the module list changed */
	HOOK_CLIENT_REQUEST, /* valgrind.h's client request, at its
			      * xchg %rbx,%rbx (alloc/clientreq.c) */
	HOOK_DECLARED,	     /* --malloc-like and co: opt.decl[bp.decl] */
	HOOK_NKINDS
};

/* A breakpoint: an int3 at ADDR whose displaced instruction runs in the
 * out-of-line slot at SLOT (or, for a jump, is emulated). */
struct bp {
	taddr_t addr;
	uint8_t orig; /* the byte the int3 replaced */
	uint8_t kind; /* enum hook_kind */
	uint8_t is_jump;
	uint8_t insn_len; /* length of the displaced instruction */
	taddr_t resume;	  /* where to continue: slot or jump target */
	const char *name; /* symbol, for messages */
	uint8_t fast;	  /* a jmp to the fast path, not an int3 (fast.c): */
	uint8_t orig5[5]; /*   the bytes it replaced */
	taddr_t trap;	  /*   its slow path's int3 */
	uint8_t decl;	  /* HOOK_DECLARED: its index in opt.decl */
	uint8_t heap_arg; /* the first argument is a mimalloc heap, the
			   * kind's arguments follow it (mi_heap_malloc) */
};

/* bp.c */
int bp_insert(struct proc *p, taddr_t addr, enum hook_kind kind,
	      const char *name);
/* The same for an entry point whose first argument is a mimalloc heap
 * (HEAP_ARG): KIND's arguments follow it.  Never on the fast path. */
int bp_insert_heap_arg(struct proc *p, taddr_t addr, enum hook_kind kind,
		       const char *name, int heap_arg);
struct bp *bp_find(struct proc *p, taddr_t addr);
void bp_remove_all(struct proc *p);
void bp_restore_returns(struct proc *p);

/*
 * What the layers above make of what bp/ catches.  The run sets the
 * handlers once (bp_set_events) before the first breakpoint goes in;
 * bp/ calls up only through them, never by name.
 */
struct fast_call;
struct bp_events {
	/* T is at breakpoint B's entry; REGS are its registers (a trap's, or
	 * a fast path call that took the slow path), pc not yet moved */
	void (*entry)(struct thread *t, struct bp *b, arch_regs_t *regs);
	/* a call the fast path recorded: returns 1 if it unwound and the
	 * stack ended before --num-callers (the copy may be too short) */
	int (*fast_call)(struct proc *p, const struct fast_call *c);
	/* a free the fast path recorded */
	void (*fast_free)(struct proc *p, taddr_t addr);
};
void bp_set_events(const struct bp_events *ev);
extern struct bp_events bp_ev; /* set by bp_set_events only */

/* stubs.c: T's stub call is in flight (on P's busy list), or no longer;
 * stub_take: can this call of T (of KIND) return through T's stub?  It
 * gives T one if need be.  stub_forget: T is going. */
void stub_busy_add(struct proc *p, struct thread *t);
void stub_busy_remove(struct proc *p, struct thread *t);
int stub_take(struct thread *t, uint8_t kind);
void stub_forget(struct thread *t);

/* bp/'s counters, for --stats; written by bp.c and fast.c only. */
struct bp_stats {
	uint64_t ret_slots_full;   /* returns through the shared trampoline */
	uint64_t fast_records;	   /* records read from the fast path's ring */
	uint64_t fast_drains;	   /* reads of the ring */
	uint64_t fast_full;	   /* traps of a full ring */
	uint64_t fast_polls;	   /* drains by the event loop (ringpoll.c) */
	uint64_t fast_stacks;	   /* stacks read from programs' stack tables */
	uint64_t fast_unsampled;   /* --sample-rate: left by the program
				    * without a stack (no walk, no copy) */
	uint64_t fast_slow;	   /* calls that took the slow path (a trap) */
	uint64_t fast_short;	   /* stack copies too short: window doubled */
	uint64_t fast_settled;	   /* threads run out of our code (reports) */
	uint64_t fast_win;	   /* the window now, if it grew */
	uint64_t fast_walked;	   /* records with the program's own walk */
	uint64_t fast_walk_aborts; /* walks given up for a signal or a stop */
	uint64_t fast_tables;	   /* unwind tables written into programs */
};
extern struct bp_stats g_bp_stats;
/* After guard_start() returned 1: note every int3 and return slot P has. */
void bp_guard_all(struct proc *p);

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
#define INJ_OOL 0x1100	     /* out-of-line slots, ARCH_OOL_SLOT_SIZE each */
#define INJ_FAST 0x2800	     /* the fast path's code (fast.S, with its walk) */
#define INJ_FAST_INST 0x3800 /* its instances, one per entry point */
#define FAST_INST_MAX 48
#define INJ_RET 0x4400	/* return slots, one per call site: */
#define INJ_RET_SLOT 16 /*   int3; jmp *(%rip); .quad return address */
#define INJ_RET_MAX ((INJ_STUB - INJ_RET) / INJ_RET_SLOT)
#define INJ_STUB 0x8000	 /* return stubs, one per thread (no trap): */
#define INJ_STUB_SLOT 16 /*   mov %rax,cell; jmp *cell+8 */
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
void fast_mark_busy(struct thread *t, const arch_regs_t *r);
int fast_copy_at_once(struct thread *t, arch_regs_t *r);
size_t fast_drain(struct proc *p, pid_t resume);
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
/* What the alloc layer made of a stack of a program's stack table, kept
 * with the stack by fast.c: its depot id, for the entry point FN (0:
 * none yet).  A call site calls one function, so one entry is enough. */
struct fast_memo {
	taddr_t fn;
	uint32_t id;
};

struct fast_call {
	uint8_t kind;
	uint64_t a[3];
	uint64_t res;
	taddr_t fn;		 /* the entry point: the stack's first frame */
	const arch_regs_t *regs; /* at the return: rip, rsp, callee-saved;
				  * NULL where PCS give the stack */
	const uint8_t *stack;	 /* the copy of [rsp, rsp + len) */
	uint64_t len;
	const uint64_t *pcs;	/* or the program's walk: return addresses */
	unsigned npcs;		/*   from the return address on */
	taddr_t hi;		/* the end of that stack */
	struct fast_memo *memo; /* PCS are a stack of the program's stack
				 * table: its memo, else NULL */
	int sample;		/* --sample-rate: the program sampled it (1) or
				 * not (0); -1: leakcheck decides */
	int realloc_begun;	/* realloc(p != 0): its BEGIN was recorded, */
	int moved;		/*   and took this block out of the table: */
	struct heap_block old;
};

#endif
