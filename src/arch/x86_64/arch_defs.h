/*
 * arch_defs.h: what the tracer needs to know about x86-64 registers and
 * instructions.  Only src/arch/ and files that include this header name
 * registers; everything else goes through these macros.
 */
#ifndef LEAKCHECK_ARCH_DEFS_H
#define LEAKCHECK_ARCH_DEFS_H

#include <stdint.h>
#include <sys/user.h>

typedef struct user_regs_struct arch_regs_t;

#define ARCH_BP_INSN 0xcc /* int3 */
#define ARCH_BP_LEN 1	  /* PC after the trap = bp address + 1 */
#define ARCH_RED_ZONE 128 /* below sp, still in use by leaf code */
#define ARCH_SYSCALL_INSN "\x0f\x05\xcc" /* syscall; int3 */
#define ARCH_SYSCALL_INSN_LEN 3

#define ARCH_PC(r) ((r)->rip)
#define ARCH_SP(r) ((r)->rsp)
#define ARCH_RETVAL(r) ((r)->rax)
#define ARCH_SYSCALL_NR(r) ((r)->orig_rax)
/* the thread pointer: glibc's TCB (struct pthread) */
#define ARCH_TP(r) ((r)->fs_base)
/* A stopped thread's registers set elsewhere must not restart the system
 * call it was in. */
#define ARCH_NO_RESTART(r) ((r)->orig_rax = (unsigned long long)-1)

/*
 * glibc's tcbhead_t at the thread pointer: {tcb, dtv, self, ...}.  tcb
 * and self both hold the TCB's own address (a signature found nowhere
 * else by chance); dtv points 16 bytes into the DTV, a calloc'd block
 * whose first 16 bytes hold its length.
 */
#define ARCH_TCB_TCB 0
#define ARCH_TCB_DTV 8
#define ARCH_TCB_SELF 16
#define ARCH_TCB_DTV_BIAS 16
/* the TCB lies this close to the end of a thread's stack mapping (struct
 * pthread, 2304 bytes on glibc 2.36, rounded to the TLS alignment) */
#define ARCH_TCB_NEAR_END 8192

/* Set up REGS, stopped at a function's entry or anywhere, to call FN with
 * its return address at SP (already written there), no arguments. */
static inline void arch_set_call(arch_regs_t *r, unsigned long long fn,
				 unsigned long long sp)
{
	r->rip = fn;
	r->rsp = sp;
	r->rax = 0; /* no vector registers used by a variadic callee */
	ARCH_NO_RESTART(r);
}
/* Where to write the return address of a call made with arch_set_call()
 * from a thread whose sp is SP: below its red zone, so that sp + 8 is
 * 16-byte aligned at the callee's entry, as the ABI wants. */
static inline unsigned long long arch_call_sp(unsigned long long sp)
{
	return ((sp - ARCH_RED_ZONE - 256) & ~15ull) - 8;
}

/* Integer argument I (0-based) at function entry, SysV ABI. */
static inline unsigned long long arch_arg(const arch_regs_t *r, int i)
{
	switch (i) {
	case 0:
		return r->rdi;
	case 1:
		return r->rsi;
	case 2:
		return r->rdx;
	case 3:
		return r->rcx;
	case 4:
		return r->r8;
	default:
		return r->r9;
	}
}

/* Set integer argument I (0-based) at function entry. */
static inline void arch_set_arg(arch_regs_t *r, int i, unsigned long long v)
{
	switch (i) {
	case 0:
		r->rdi = v;
		break;
	case 1:
		r->rsi = v;
		break;
	case 2:
		r->rdx = v;
		break;
	case 3:
		r->rcx = v;
		break;
	case 4:
		r->r8 = v;
		break;
	default:
		r->r9 = v;
		break;
	}
}

/* Set up REGS for a syscall NR with up to 6 arguments at PC. */
static inline void arch_set_syscall(arch_regs_t *r, unsigned long long pc,
				    long nr, const unsigned long long *a)
{
	r->rip = pc;
	r->rax = nr;
	r->orig_rax = -1;
	r->rdi = a[0];
	r->rsi = a[1];
	r->rdx = a[2];
	r->r10 = a[3];
	r->r8 = a[4];
	r->r9 = a[5];
}

/* Is CODE, the 2 bytes at the pc of R, a forward `rep movsb` (the ABI
 * keeps the direction flag clear)?  Then *DST, *SRC and *LEN are the copy
 * it makes, and R is left as after it; the caller makes the copy. */
static inline int arch_rep_movsb(const uint8_t *code, arch_regs_t *r,
				 unsigned long long *dst,
				 unsigned long long *src,
				 unsigned long long *len)
{
	if (code[0] != 0xf3 || code[1] != 0xa4 || (r->eflags & 0x400))
		return 0;
	*dst = r->rdi;
	*src = r->rsi;
	*len = r->rcx;
	r->rdi += r->rcx;
	r->rsi += r->rcx;
	r->rcx = 0;
	r->rip += 2;
	return 1;
}

/* General registers as root words for the scan; returns the count. */
static inline int arch_regs_words(const arch_regs_t *r, unsigned long long *w)
{
	const unsigned long long v[] = {
	    r->rax, r->rbx, r->rcx, r->rdx, r->rsi,	r->rdi,
	    r->rbp, r->rsp, r->r8,  r->r9,  r->r10,	r->r11,
	    r->r12, r->r13, r->r14, r->r15, r->fs_base, r->gs_base};
	for (unsigned i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		w[i] = v[i];
	return (int)(sizeof(v) / sizeof(v[0]));
}
#define ARCH_MAX_REG_WORDS 18

/* The name of a thread's root word I: arch_regs_words() order, then the
 * SSE words the tracer appends (xmm0 low half, xmm0 high half, ...);
 * "?" when out of range. */
static inline const char *arch_reg_word_name(int i)
{
	static const char *const gp[ARCH_MAX_REG_WORDS] = {
	    "rax", "rbx", "rcx", "rdx", "rsi",	   "rdi",
	    "rbp", "rsp", "r8",	 "r9",	"r10",	   "r11",
	    "r12", "r13", "r14", "r15", "fs_base", "gs_base"};
	static const char *const xmm[32] = {
	    "xmm0",  "xmm0 (high)",  "xmm1",  "xmm1 (high)",
	    "xmm2",  "xmm2 (high)",  "xmm3",  "xmm3 (high)",
	    "xmm4",  "xmm4 (high)",  "xmm5",  "xmm5 (high)",
	    "xmm6",  "xmm6 (high)",  "xmm7",  "xmm7 (high)",
	    "xmm8",  "xmm8 (high)",  "xmm9",  "xmm9 (high)",
	    "xmm10", "xmm10 (high)", "xmm11", "xmm11 (high)",
	    "xmm12", "xmm12 (high)", "xmm13", "xmm13 (high)",
	    "xmm14", "xmm14 (high)", "xmm15", "xmm15 (high)"};

	if (i >= 0 && i < ARCH_MAX_REG_WORDS)
		return gp[i];
	if (i >= ARCH_MAX_REG_WORDS && i < ARCH_MAX_REG_WORDS + 32)
		return xmm[i - ARCH_MAX_REG_WORDS];
	return "?";
}

#endif
