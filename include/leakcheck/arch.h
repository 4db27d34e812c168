/*
 * arch: instruction-level help for the breakpoint engine, implemented per
 * architecture in src/arch/$(ARCH)/.
 */
#ifndef LEAKCHECK_ARCH_H
#define LEAKCHECK_ARCH_H

#include "leakcheck/types.h"

/* Room an out-of-line slot needs: a relocated instruction plus a jump back. */
#define ARCH_OOL_SLOT_SIZE 32

struct arch_displaced {
	unsigned insn_len;   /* bytes of the original instruction */
	int is_jump;	     /* the instruction is an unconditional jump: */
	taddr_t jump_target; /*   just set the PC here, no slot */
	uint8_t slot[ARCH_OOL_SLOT_SIZE];
	unsigned slot_len;
};

/*
 * Prepare to execute the instruction at FROM (whose bytes are CODE[0..n))
 * out of line at SLOT_ADDR: relocate it (rip-relative displacements are
 * rewritten) and append a jump back to FROM + insn_len.  Returns 0, or
 * -ENOTSUP for an instruction we cannot decode or relocate, -ERANGE when
 * SLOT_ADDR is too far for a rip-relative operand.
 */
int arch_prepare_displaced(const uint8_t *code, size_t n, taddr_t from,
			   taddr_t slot_addr, struct arch_displaced *out);

/* The same for whole instructions covering at least MINLEN bytes at
 * FROM (a jmp written over them goes to code that runs the slot); jcc is
 * relocated, a jmp or ret may only come last.  insn_len is the bytes
 * covered; is_jump is never set. */
int arch_prepare_displaced_n(const uint8_t *code, size_t n, taddr_t from,
			     taddr_t slot_addr, unsigned minlen,
			     struct arch_displaced *out);

/* Length of the instruction at CODE, or -ENOTSUP. */
int arch_insn_len(const uint8_t *code, size_t n, int *rip_rel_off);

#endif
