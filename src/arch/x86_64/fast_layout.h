/*
 * fast_layout.h: the memory layout the in-program fast path (fast.S) and
 * the tracer (src/bp/fast.c) share.  Plain #defines: included by an
 * assembler file too.
 *
 * The data mapping, read-write in the program:
 */
#ifndef LEAKCHECK_FAST_LAYOUT_H
#define LEAKCHECK_FAST_LAYOUT_H

#define D_HEAD 0x00	/* u64: slots reserved so far (the program's) */
#define D_TAIL 0x40	/* u64: slots consumed so far (the tracer's) */
#define D_DISABLED 0x80 /* byte: record nothing (set by the guard) */
#define D_MAXPCS                                                               \
	0xc0 /* u64: return addresses a walk in the program                    \
	      * writes at most; 0: no walk, copy the stack */
#define D_CHECK                                                                \
	0xc8	     /* byte: copy the stack after a walk too, at              \
		      * S_STACK + FAST_WALK_MAX * 8 (LEAKCHECK_TEST_CFIWALK:   \
		      * leakcheck compares the two) */
#define D_DEDUP 0xc9 /* byte: the walk's stacks go into the stack table */
/* --sample-rate in the program: the walk (fastwalk.c) decides which
 * allocations get a stack, with a byte countdown per thread (T_LEFT) as
 * leakcheck's sampler does; an unsampled call is recorded with no walk
 * and no copy (H_STK = FAST_UNSAMPLED).  The random intervals come from
 * a pool leakcheck fills and refills at each drain: a sampled call takes
 * the next (D_SIDX, lock xadd). */
#define D_RATE 0xd8   /* u64: the mean interval in bytes; 0: no sampling */
#define D_SIDX 0x100  /* u64: intervals taken from the pool so far */
#define D_SPOOL 0x140 /* u64[FAST_SPOOL_N]: intervals, 0: not drawn */
#define FAST_SPOOL_N 256
#define FAST_UNSAMPLED (~0ull) /* H_STK of an unsampled record */
/* The stack table (--unwind-in-program): each distinct stack the walk
 * found, once.  A pool of words, [hash, pc 1, ..., pc n] per stack,
 * taken with a lock xadd on D_STKTOP (a word count), and an open-
 * addressing table of FAST_STK_N buckets, each 0 or a stack's id:
 * (n << 32) | (its offset in the pool, in words, + 1), set by lock
 * cmpxchg once the words are written.  A record carries the id (H_STK);
 * leakcheck reads a stack's words the first time it meets its id.  A
 * full pool or a bucket run with no room: the record carries its
 * return addresses itself, in its ring slot. */
#define D_STKTOP 0x980 /* u64: pool words taken */
#define FAST_STK_N (1 << 16)
#define FAST_STK_PROBES 8
#define FAST_STKPOOL_W (1 << 21) /* 16 MiB */
#define STK_ID_N(id) ((id) >> 32)
#define STK_ID_OFF(id) (((id)&0xffffffffu) - 1)
/* the kinds whose size is not their first argument (enum hook_kind) */
#define FAST_KIND_CALLOC 1
#define FAST_KIND_REALLOC 2
#define FAST_KIND_REALLOCARRAY 3
#define FAST_KIND_MEMALIGN 6
#define D_THREADS 0x1000 /* the thread table, FAST_THR_N entries */
#define FAST_THR_N 4096
#define FAST_THR_SHIFT 7   /* 128-byte entries */
#define FAST_THR_PROBES 16 /* a lookup gives up (slow path) after these */
#define D_RING (D_THREADS + (FAST_THR_N << FAST_THR_SHIFT))
/* The ring's slots: D_NSLOTS of them (a power of 2, written before any
 * record), FAST_NSLOTS at most, which the layout has room for: many,
 * for fewer full-ring traps, where records are headers alone (the walk
 * in the program); fewer where every record copies stack into its slot
 * (the pages it touches stay in the program's memory). */
#define FAST_NSLOTS 4096
#define FAST_NSLOTS_COPY 512
#define D_NSLOTS 0xe0	   /* u64 */
#define FAST_SLOT_SHIFT 14 /* 16 KiB slots */
/* The unwind table (include/leakcheck/cfitab.h) the walk in the program
 * reads (fastwalk.c), written by leakcheck as a seqlock (its gen odd
 * while it is rewritten); untouched pages of its room cost nothing. */
#define D_TABLE (D_RING + (FAST_NSLOTS << FAST_SLOT_SHIFT))
#define FAST_TABLE_MAX (32 << 20)
/* u64 per slot: what its H_SEQ holds, written after it (so after the
 * whole record): a drain reads these first, then only the records they
 * say are whole (a header's own H_SEQ, read in the same copy as its
 * fields, proves nothing about them) */
#define D_DONE (D_TABLE + FAST_TABLE_MAX)
/* Each slot's header (H_*, 64 bytes) lies here, apart from its slot in
 * D_RING: a drain reads the headers of consecutive slots in one piece.
 * A record whose stack is in the stack table, or that has none, is its
 * header alone. */
#define D_HDR (D_DONE + FAST_NSLOTS * 8)
#define FAST_HDR_SHIFT 6
/* the walk writes this many return addresses at most (its slot in
 * D_RING holds more; the record in leakcheck is S_STACK + this) */
#define FAST_HDR_PCS 46
/* Each thread's row lookup cache for the walk (struct cfiwalk_cache,
 * FAST_WCACHE_SIZE bytes; the thread table's entry N has the Nth):
 * untouched for threads that never walk. */
#define D_WCACHE (D_HDR + (FAST_NSLOTS << FAST_HDR_SHIFT))
#define FAST_WCACHE_SHIFT 13
#define D_STKTAB (D_WCACHE + (FAST_THR_N << FAST_WCACHE_SHIFT))
#define D_STKPOOL (D_STKTAB + FAST_STK_N * 8)
#define FAST_DATA_SIZE (D_STKPOOL + FAST_STKPOOL_W * 8)
#define FAST_WALK_MAX 256 /* D_MAXPCS at most */

/* The injected page (src/tracer/internal.h): its size, and where the
 * fast path's code lies in it. */
#define FAST_PAGE_SIZE 0x10000 /* PAGE_SIZE_INJ */
#define FAST_PAGE_OFF 0x2800   /* INJ_FAST */

/* A thread-table entry; the key is the thread pointer (%fs:0). */
#define T_KEY 0 /* 0: empty; 1: a thread that is gone */
#define T_LO 8	/* its stack: [lo, hi); lo = hi = 0: always slow */
#define T_HI 16
#define T_WIN 24 /* stack bytes to copy at most */
#define T_BUSY                                                                 \
	32	 /* sp at the entry of its recorded call in progress, or 0;    \
		  * in progress while the slot there holds an address in       \
		  * our page (fast.S, ENTER) */
#define T_RET 40 /* that call's return address */
#define T_KIND 48
#define T_A0 56
#define T_A1 64
#define T_A2 72
#define T_FN 80
#define T_WALK                                                                 \
	88 /* during the walk (fast.S): sp of the frame it was called          \
	    * from, where leakcheck can abort it (fast_leave) */
#define T_LEFT                                                                 \
	96 /* --sample-rate: bytes until the thread's next sample              \
	    * (0: none drawn yet) */

/* A record.  Its header, in D_HDR:
 *   H_SEQ   its index + 1 once written in full; anything else before
 *   H_KIND, H_A0..H_A2, H_RES: the call
 *   H_FN    the entry point called
 *   H_STK   its stack: an id in the stack table (STK_ID_*), none
 *           (FAST_UNSAMPLED), or 0: in its slot in D_RING, which then
 *           holds S_PC..S_NPCS (its bytes 0-47 and 120-127 unused: the
 *           call's fields, which the header holds) and from S_STACK on
 *           the stack bytes (S_LEN of them) or the walk's return
 *           addresses (S_NPCS of them; with D_CHECK followed at
 *           S_STACK + FAST_WALK_MAX * 8 by S_LEN stack bytes, at most
 *           FAST_CHECK_MAX).
 * leakcheck reads the header, and the slot's S_PC..S_NPCS and what
 * follows only for a record whose H_STK is 0 (fast.c: fast_drain). */
#define H_SEQ 0
#define H_KIND 8
#define H_A0 16
#define H_A1 24
#define H_A2 32
#define H_RES 40
#define H_FN 48
#define H_STK 56
#define S_PC 48 /* the return address: the first frame to unwind */
#define S_SP 56 /* sp just after the return */
#define S_RBP 64
#define S_RBX 72
#define S_R12 80
#define S_R13 88
#define S_R14 96
#define S_R15 104
#define S_LEN 112  /* stack bytes that follow */
#define S_HI 128   /* the end of the thread's stack */
#define S_NPCS 136 /* return addresses that follow (S_LEN is 0 then) */
#define S_STACK 144
#define FAST_STACK_MAX ((1 << FAST_SLOT_SHIFT) - S_STACK)
#define FAST_CHECK_MAX (FAST_STACK_MAX - FAST_WALK_MAX * 8)

/* Record kinds besides the hook kinds (enum hook_kind, < 64). */
#define FAST_REALLOC_BEGIN 64 /* realloc(p, ...) entered: p is moving */

/* A hooked function's instance in the code page:
 *   +0  lea info(%rip),%r11; jmp fast_entry_{alloc,free}
 *   +12 int3: the slow path (the tracer handles the call as a breakpoint)
 *   +13 jmp *resume(%rip): where an int3 that meets no tracer goes on
 *   +24 info: kind, resume (the displaced instructions), fn, flags, the
 *       original bytes at fn (for an attach after a kill: leftover.c) */
#define FAST_INST_SIZE 64
#define FAST_INST_SLOW 12
#define FAST_INST_INFO 24
#define I_KIND 0
#define I_RESUME 8
#define I_FN 16
#define I_FLAGS 24
#define I_ORIG 32      /* the 5 bytes the jmp at the entry replaced */
#define FAST_I_BEGIN 1 /* flags: record FAST_REALLOC_BEGIN at entry */
#define FAST_I_ORIG 2  /* flags: I_ORIG holds them */

#endif
