/*
 * fast.S: the fast path, code leakcheck copies into the traced program's
 * page (see src/bp/fast.c for the protocol).  It is data here, in a
 * read-only section, never run in leakcheck itself; everything in it is
 * position-independent and reaches its variables rip-relative, so the
 * copy works wherever the page is.
 *
 * A hooked allocator's first instructions are a jmp to its instance,
 * which loads its info block into %r11 and comes here.  At a function's
 * entry the registers no allocator takes as arguments (%rax, %rcx, %r8,
 * %r9, %r10, %r11) are free, and so is the red zone below %rsp; after
 * the return everything but %rax is ours and the caller's red zone is
 * dead (it made a call).  The flags are never live across a call.
 */
#include "fast_layout.h"

	.section .rodata.leakcheck_fast, "a"
	.globl lc_fast_blob, lc_fast_blob_end, lc_fast_vars
	.globl lc_fast_entry_alloc, lc_fast_entry_free, lc_fast_return
	.globl lc_fast_walk_abort, lc_fast_walk_begin, lc_fast_walk_end
	.p2align 6
lc_fast_blob:
lc_fast_vars:
.Lvars:
	.quad 0 /* the data mapping, written by the tracer */
	.quad 0

/* %r8 = this thread's entry in the table (data at %r10), or to MISS.
 * Clobbers %rax (the thread pointer), %rcx, %r9. */
.macro LOOKUP miss
	mov	%fs:0, %rax
	imul	$-1640531535, %rax, %rcx
	shr	$(64 - 12), %rcx
	mov	$FAST_THR_PROBES, %r9d
91:	mov	%rcx, %r8
	shl	$FAST_THR_SHIFT, %r8
	lea	D_THREADS(%r10,%r8), %r8
	cmp	%rax, T_KEY(%r8)
	je	93f
	cmpq	$0, T_KEY(%r8)
	je	\miss
	inc	%rcx
	and	$(FAST_THR_N - 1), %rcx
	dec	%r9d
	jnz	91b
	jmp	\miss
93:
.endm

/* %r9 = a free ring slot's header, %rcx = what its H_SEQ must hold once it is
 * written.  A full ring traps (int3) for the tracer to drain it, then
 * tries again; SKIP if recording is off, which is looked at before each
 * int3: once the guard has turned it off (leakcheck killed), a thread
 * must meet no int3, as one that blocks SIGTRAP dies of it whatever the
 * handler.  Clobbers %rax. */
.macro RESERVE skip
94:	mov	D_HEAD(%r10), %rax
	mov	%rax, %rcx
	sub	D_TAIL(%r10), %rcx
	cmp	D_NSLOTS(%r10), %rcx
	jb	95f
	cmpb	$0, D_DISABLED(%r10)
	jne	\skip
	int3
	jmp	94b
95:	lea	1(%rax), %rcx
	lock cmpxchg %rcx, D_HEAD(%r10)
	jne	94b
	mov	D_NSLOTS(%r10), %r9
	dec	%r9
	and	%rax, %r9
	shl	$FAST_HDR_SHIFT, %r9
	lea	D_HDR(%r10,%r9), %r9
.endm

/* %rdi = the D_RING slot of the record whose header is at %r9. */
.macro RINGSLOT
	mov	%r9, %rdi
	sub	%r10, %rdi
	sub	$D_HDR, %rdi
	shl	$(FAST_SLOT_SHIFT - FAST_HDR_SHIFT), %rdi
	lea	D_RING(%r10,%rdi), %rdi
.endm

/* A record in the slot at %r9 is written: SEQ (its index + 1) into its
 * H_SEQ, then into D_DONE, which leakcheck reads first.  Clobbers %rax. */
.macro PUBLISH seq
	mov	\seq, H_SEQ(%r9)
	mov	%r9, %rax
	sub	%r10, %rax
	sub	$D_HDR, %rax
	shr	$(FAST_HDR_SHIFT - 3), %rax
	mov	\seq, D_DONE(%r10,%rax)
.endm

/* The start of every entry: %r10 = the data, %r8 = the thread's entry
 * (or to SLOW); to SKIP if recording is off or the call is nested in a
 * recorded one (or is its tail call, at the same sp).  A recorded call
 * is in progress while the return address it replaced, at T_BUSY, still
 * comes back to our page (to lc_fast_return, or to the return slot of a
 * call the tracer took); a call left by longjmp (out of a signal handler
 * that interrupted the allocator) has its slot below sp, or overwritten
 * by the calls made since: this one is recorded.  Clobbers %rax, %rcx. */
.macro ENTER skip, slow
	mov	.Lvars(%rip), %r10
	cmpb	$0, D_DISABLED(%r10)
	jne	\skip
	LOOKUP	\slow
	mov	T_BUSY(%r8), %r9
	test	%r9, %r9
	jz	96f
	cmp	%rsp, %r9
	jb	96f
	mov	(%r9), %rax
	lea	(lc_fast_blob - FAST_PAGE_OFF)(%rip), %rcx
	sub	%rcx, %rax
	cmp	$FAST_PAGE_SIZE, %rax
	jb	\skip
96:
.endm

/* malloc, calloc, realloc, memalign...: remember the call in the thread's
 * entry and make its return come to lc_fast_return. */
	.p2align 4
lc_fast_entry_alloc:
	ENTER	.Lresume, .Lslow
	cmp	T_LO(%r8), %rsp
	jb	.Lslow
	cmp	T_HI(%r8), %rsp
	jae	.Lslow
	/* the return first, then busy: a signal handler's call before
	 * T_BUSY is set is recorded on its own, and the fields below are
	 * written after it from registers; from T_BUSY on it is nested */
	mov	(%rsp), %rcx
	lea	.Lret(%rip), %rax
	mov	%rax, (%rsp)
	mov	%rsp, T_BUSY(%r8)
	mov	%rcx, T_RET(%r8)
	mov	I_KIND(%r11), %rax
	mov	%rax, T_KIND(%r8)
	mov	I_FN(%r11), %rax
	mov	%rax, T_FN(%r8)
	mov	%rdi, T_A0(%r8)
	mov	%rsi, T_A1(%r8)
	mov	%rdx, T_A2(%r8)
	testb	$FAST_I_BEGIN, I_FLAGS(%r11)
	jz	.Lresume
	test	%rdi, %rdi
	jz	.Lresume
	/* realloc(p, n): p may be freed before the return; say so first */
	RESERVE	.Lresume
	movq	$FAST_REALLOC_BEGIN, H_KIND(%r9)
	mov	%rdi, H_A0(%r9)
	PUBLISH	%rcx
/* (both entries) on to the displaced instructions, or to the int3 (not
 * with recording off: see RESERVE) */
.Lresume:
	jmp	*I_RESUME(%r11)
.Lslow:
	cmpb	$0, D_DISABLED(%r10)
	jne	.Lresume
	lea	(FAST_INST_SLOW - FAST_INST_INFO)(%r11), %r11
	jmp	*%r11

/* free: one record, before the block is freed. */
	.p2align 4
lc_fast_entry_free:
	test	%rdi, %rdi
	jz	.Lresume
	ENTER	.Lresume, .Lslow
	RESERVE	.Lresume
	mov	I_KIND(%r11), %rax
	mov	%rax, H_KIND(%r9)
	mov	%rdi, H_A0(%r9)
	mov	I_FN(%r11), %rax
	mov	%rax, H_FN(%r9)
	PUBLISH	%rcx
	jmp	.Lresume

/* One field of the thread's entry (%r8) into the header (%r9). */
.macro COPY from, to
	mov	\from(%r8), %rax
	mov	%rax, \to(%r9)
.endm

/* The registers the unwinder starts from, and the end of the stack, into
 * the ring slot at %rdi (S_PC..S_HI), at the return (the return address
 * at -32(%rsp)).  Clobbers %rax. */
.macro SAVEREGS
	mov	-32(%rsp), %rax
	mov	%rax, S_PC(%rdi)
	mov	%rsp, S_SP(%rdi)
	mov	%rbp, S_RBP(%rdi)
	mov	%rbx, S_RBX(%rdi)
	mov	%r12, S_R12(%rdi)
	mov	%r13, S_R13(%rdi)
	mov	%r14, S_R14(%rdi)
	mov	%r15, S_R15(%rdi)
	mov	T_HI(%r8), %rax
	mov	%rax, S_HI(%rdi)
.endm

/* The return of a recorded call: one record with the result, the
 * registers the unwinder starts from, and the caller's return addresses
 * from the walk (lc_fast_walk, fastwalk.c) or, where the walk cannot
 * describe a frame, the top of the stack; then back to the caller.  The
 * red zone holds the result (-16, cleared at the end: a copy left there
 * would be a stale root for the leak scan), the copy's length (-24) and
 * the return address (-32); -8, the slot at T_BUSY, keeps .Lret until
 * the call is over (see ENTER).  The walk is a C call on the stack below
 * all that (the caller's red zone is dead: it made a call), from a frame
 * that keeps our %r8-%r11 and the caller's callee-saved registers: a
 * signal that comes during the walk makes leakcheck abort it (rather than
 * single-step hundreds of instructions) by putting the thread at
 * lc_fast_walk_abort with sp at that frame (T_WALK), which records the
 * stack copy instead. */
	.p2align 4
lc_fast_return:
.Lret:
	mov	%rax, -16(%rsp)
	mov	.Lvars(%rip), %r10
	LOOKUP	.Lr_lost
	mov	T_RET(%r8), %rax
	mov	%rax, -32(%rsp)
	cmpb	$0, D_DISABLED(%r10)
	jne	.Lr_out
	mov	T_HI(%r8), %rcx
	sub	%rsp, %rcx
	cmp	T_WIN(%r8), %rcx
	jbe	2f
	mov	T_WIN(%r8), %rcx
2:	mov	%rcx, -24(%rsp)
	RESERVE	.Lr_out
	mov	%rcx, %r11
	COPY	T_KIND, H_KIND		/* the call, from its entry */
	COPY	T_A0, H_A0
	COPY	T_A1, H_A1
	COPY	T_A2, H_A2
	COPY	T_FN, H_FN
	mov	-16(%rsp), %rax
	mov	%rax, H_RES(%r9)
	cmpq	$0, D_MAXPCS(%r10)
	je	.Lr_copy
	mov	%rsp, %rax
	sub	$128, %rsp
	and	$-16, %rsp
	mov	%r8, 0(%rsp)
	mov	%r9, 8(%rsp)
	mov	%r10, 16(%rsp)
	mov	%r11, 24(%rsp)
	mov	%rax, 32(%rsp)
	mov	%rbx, 40(%rsp)
	mov	%rbp, 48(%rsp)
	mov	%r12, 56(%rsp)
	mov	%r13, 64(%rsp)
	mov	%r14, 72(%rsp)
	mov	%r15, 80(%rsp)
	mov	%rsp, T_WALK(%r8)
	mov	%r10, %rdi		/* data */
	mov	%r8, %rsi		/* the thread's entry */
	mov	%r9, %rdx		/* the header */
	mov	%rax, %rcx		/* sp */
	mov	%rbp, %r8		/* rbp */
	mov	-32(%rax), %r9		/* pc: the return address */
	call	lc_fast_walk
	mov	0(%rsp), %r8
	mov	8(%rsp), %r9
	mov	16(%rsp), %r10
	mov	24(%rsp), %r11
	mov	32(%rsp), %rsp
	test	%rax, %rax
	jz	.Lr_copy
	js	.Lr_done		/* unsampled: no stack at all */
	cmpb	$0, D_CHECK(%r10)
	je	.Lr_done
	/* check mode: the registers and the copy too, after the return
	 * addresses (in the ring slot: no stack table then) */
	RINGSLOT
	SAVEREGS
	mov	-24(%rsp), %rcx
	cmp	$FAST_CHECK_MAX, %rcx
	jbe	3f
	mov	$FAST_CHECK_MAX, %rcx
3:	mov	%rcx, S_LEN(%rdi)
	mov	%rsp, %rsi
	add	$(S_STACK + FAST_WALK_MAX * 8), %rdi
	rep movsb
	jmp	.Lr_done
lc_fast_walk_abort:		/* the walk aborted: sp at its frame */
	mov	40(%rsp), %rbx
	mov	48(%rsp), %rbp
	mov	56(%rsp), %r12
	mov	64(%rsp), %r13
	mov	72(%rsp), %r14
	mov	80(%rsp), %r15
	mov	0(%rsp), %r8
	mov	8(%rsp), %r9
	mov	16(%rsp), %r10
	mov	24(%rsp), %r11
	mov	32(%rsp), %rsp
.Lr_copy:
	movq	$0, H_STK(%r9)		/* in the ring slot: */
	RINGSLOT
	SAVEREGS
	movq	$0, S_NPCS(%rdi)
	mov	-24(%rsp), %rcx
	mov	%rcx, S_LEN(%rdi)
	mov	%rsp, %rsi
	add	$S_STACK, %rdi
	rep movsb
.Lr_done:
	PUBLISH	%r11
.Lr_out:
	movq	$0, T_BUSY(%r8)
	mov	-16(%rsp), %rax
	movq	$0, -16(%rsp)	/* no stale copy of the result below sp */
	jmp	*-32(%rsp)
.Lr_lost:
	ud2	/* our thread entry is gone: cannot happen (see fast.c) */

/* The walk, compiled from fastwalk.c (and walk.c) to position-independent
 * freestanding assembly by the Makefile, its section directives taken
 * out: it lies here, in the blob. */
	.p2align 4
lc_fast_walk_begin:
#include "fastwalk.s"
lc_fast_walk_end:
/* (where it lies in the blob, for tests/unit/test_cfitab.c) */
	.globl	lc_fast_walk_at
	.set	lc_fast_walk_at, lc_fast_walk

	.p2align 4
lc_fast_blob_end:
	.section .note.GNU-stack, "", @progbits
