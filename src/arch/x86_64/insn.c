/*
 * insn: x86-64 instruction lengths and out-of-line relocation, enough for
 * the first instruction of an allocator entry point (push, mov, test, sub,
 * cmp with a rip-relative operand, endbr64, jmp...).  An instruction we do
 * not know gives -ENOTSUP and the caller skips that breakpoint rather than
 * guessing.
 *
 * The slot holds the relocated instruction followed by an absolute
 * `jmp *0(%rip); .quad back`, so only rip-relative operands limit where
 * the slot may lie (within +-2 GiB of the original).
 */
#include <errno.h>
#include <string.h>

#include "leakcheck/arch.h"

enum { IMM_NONE, IMM8, IMM16, IMM32, IMM_Z, IMM64_W };

/* Length of a ModRM operand starting at P (the ModRM byte); sets *RIPREL to
 * the offset of a rip-relative disp32 from P, or -1. */
static int modrm_len(const uint8_t *p, size_t n, int *riprel)
{
	uint8_t m;
	int mod, rm, len = 1;

	if (n < 1)
		return -ENOTSUP;
	m = p[0];
	mod = m >> 6;
	rm = m & 7;
	*riprel = -1;
	if (mod == 3)
		return 1;
	if (rm == 4) {
		if (n < 2)
			return -ENOTSUP;
		len++;
		if (mod == 0 && (p[1] & 7) == 5)
			len += 4;
	} else if (mod == 0 && rm == 5) {
		*riprel = 1;
		len += 4;
	}
	if (mod == 1)
		len += 1;
	else if (mod == 2)
		len += 4;
	return len;
}

int arch_insn_len(const uint8_t *code, size_t n, int *rip_rel_off)
{
	const uint8_t *p = code, *end = code + n;
	int opsize16 = 0, rexw = 0, has_modrm = 0, imm = IMM_NONE, ml, rr;
	uint8_t op;

	*rip_rel_off = -1;
	/* legacy prefixes */
	while (p < end &&
	       (*p == 0x66 || *p == 0x67 || *p == 0xf2 || *p == 0xf3 ||
		*p == 0x2e || *p == 0x3e || *p == 0x26 || *p == 0x36 ||
		*p == 0x64 || *p == 0x65 || *p == 0xf0)) {
		if (*p == 0x66)
			opsize16 = 1;
		p++;
	}
	if (p < end && (*p & 0xf0) == 0x40) {
		rexw = (*p & 8) != 0;
		p++;
	}
	if (p >= end)
		return -ENOTSUP;
	op = *p++;
	if (op == 0x0f) {
		if (p >= end)
			return -ENOTSUP;
		op = *p++;
		if (op == 0x38) {
			p++;
			has_modrm = 1;
		} else if (op == 0x3a) {
			p++;
			has_modrm = 1;
			imm = IMM8;
		} else if (op == 0x05 || op == 0x0b || op == 0xa2 ||
			   (op >= 0xc8 && op <= 0xcf)) {
			/* syscall, ud2, cpuid, bswap */
		} else if (op == 0x1e || op == 0x1f ||
			   (op >= 0x10 && op <= 0x17) ||
			   (op >= 0x28 && op <= 0x2f) ||
			   (op >= 0x40 && op <= 0x4f) ||
			   (op >= 0x51 && op <= 0x7f && op != 0x77) ||
			   (op >= 0x90 && op <= 0x9f) || op == 0xa3 ||
			   op == 0xab || op == 0xaf || op == 0xb0 ||
			   op == 0xb1 || op == 0xb3 || op == 0xb6 ||
			   op == 0xb7 || op == 0xbb || op == 0xbc ||
			   op == 0xbd || op == 0xbe || op == 0xbf ||
			   op == 0xc0 || op == 0xc1 ||
			   (op >= 0xd0 && op <= 0xfe)) {
			has_modrm = 1;
			if (op == 0x70 || op == 0x71 || op == 0x72 ||
			    op == 0x73)
				imm = IMM8;
		} else if (op == 0xba) {
			has_modrm = 1;
			imm = IMM8;
		} else {
			return -ENOTSUP; /* jcc rel32 and the rest */
		}
	} else if (op < 0x40 && (op & 7) < 6) {
		/* the eight ALU ops: r/m,reg / reg,r/m / al,imm8 / eax,imm */
		switch (op & 7) {
		case 0:
		case 1:
		case 2:
		case 3:
			has_modrm = 1;
			break;
		case 4:
			imm = IMM8;
			break;
		default:
			imm = IMM_Z;
			break;
		}
	} else if (op >= 0x50 && op <= 0x5f) {
		/* push/pop reg */
	} else if (op == 0x63 || (op >= 0x84 && op <= 0x8b) || op == 0x8d ||
		   op == 0x8f || (op >= 0xd0 && op <= 0xd3) || op == 0xfe) {
		has_modrm = 1;
	} else if (op == 0x68) {
		imm = IMM_Z;
	} else if (op == 0x6a || op == 0xa8 || (op >= 0xb0 && op <= 0xb7)) {
		imm = IMM8;
	} else if (op == 0x69) {
		has_modrm = 1;
		imm = IMM_Z;
	} else if (op == 0x6b || op == 0x80 || op == 0x83 || op == 0xc0 ||
		   op == 0xc1 || op == 0xc6) {
		has_modrm = 1;
		imm = IMM8;
	} else if (op == 0x81 || op == 0xc7) {
		has_modrm = 1;
		imm = IMM_Z;
	} else if (op == 0xa9) {
		imm = IMM_Z;
	} else if (op >= 0xb8 && op <= 0xbf) {
		imm = IMM64_W;
	} else if (op == 0x90 || op == 0xc3 || op == 0xc9 || op == 0xcc ||
		   op == 0x98 || op == 0x99 || op == 0xf4) {
		/* nop, ret, leave, int3, cdqe, cqo, hlt */
	} else if (op == 0xe9) {
		imm = IMM32;
	} else if (op == 0xeb) {
		imm = IMM8;
	} else if (op == 0xf6 || op == 0xf7) {
		has_modrm = 1;
		if (p < end && ((*p >> 3) & 7) < 2)
			imm = op == 0xf6 ? IMM8 : IMM_Z;
	} else if (op == 0xff) {
		/* inc/dec/push r/m; indirect call/jmp are not relocatable */
		if (p < end && (((*p >> 3) & 7) == 2 || ((*p >> 3) & 7) == 3 ||
				((*p >> 3) & 7) == 4 || ((*p >> 3) & 7) == 5))
			return -ENOTSUP;
		has_modrm = 1;
	} else {
		return -ENOTSUP;
	}
	if (has_modrm) {
		ml = modrm_len(p, (size_t)(end - p), &rr);
		if (ml < 0)
			return ml;
		if (rr >= 0)
			*rip_rel_off = (int)(p - code) + rr;
		p += ml;
	}
	switch (imm) {
	case IMM8:
		p += 1;
		break;
	case IMM16:
		p += 2;
		break;
	case IMM32:
		p += 4;
		break;
	case IMM_Z:
		p += opsize16 ? 2 : 4;
		break;
	case IMM64_W:
		p += rexw ? 8 : (opsize16 ? 2 : 4);
		break;
	default:
		break;
	}
	if (p > end)
		return -ENOTSUP;
	return (int)(p - code);
}

/*
 * A rip-relative load whose target is out of a rel32's reach from the
 * slot (a PIE executable's function, the page near the libraries): the
 * same load with an absolute address, into OUT.  Done for what function
 * entries start with: mov disp(%rip),%r64 (REX.W 8b), mov disp(%rip),%r32
 * (8b, zero-extending) and lea disp(%rip),%r64 (REX.W 8d), which become
 *     movabs $target, %r64          (lea: that is all)
 *     mov (%r64), %r64 / %r32       (the destination is the address: it is
 *                                    overwritten anyway; no flags change)
 * Returns the bytes written, or -ERANGE for any other instruction.
 */
static int riprel_absolute(const uint8_t *c, int len, uint64_t target,
			   uint8_t *out)
{
	int rex = (c[0] & 0xf0) == 0x40 ? c[0] : 0, at = rex ? 1 : 0;
	int op = c[at], modrm, reg, k = 0;

	if (len != at + 6 || (op != 0x8b && op != 0x8d) ||
	    (op == 0x8d && !(rex & 8)) || (rex & 0x3) /* X, B: no index */)
		return -ERANGE;
	modrm = c[at + 1];
	if ((modrm & 0xc7) != 0x05) /* mod 00, rm 101: rip-relative */
		return -ERANGE;
	reg = ((modrm >> 3) & 7) | (rex & 4 ? 8 : 0);
	out[k++] = (uint8_t)(0x48 | (reg >= 8 ? 1 : 0)); /* REX.W, B */
	out[k++] = (uint8_t)(0xb8 | (reg & 7));
	memcpy(out + k, &target, 8);
	k += 8;
	if (op == 0x8d)
		return k;
	/* mov (reg), reg: REX.R and REX.B for a high register, REX.W as the
	 * original; rsp/r12 need a SIB, rbp/r13 a zero disp8 */
	if ((rex & 8) || reg >= 8)
		out[k++] = (uint8_t)(0x40 | (rex & 8) | (reg >= 8 ? 5 : 0));
	out[k++] = 0x8b;
	if ((reg & 7) == 5) {
		out[k++] = (uint8_t)(0x45 | ((reg & 7) << 3));
		out[k++] = 0;
	} else {
		out[k++] = (uint8_t)(((reg & 7) << 3) | (reg & 7));
		if ((reg & 7) == 4)
			out[k++] = 0x24;
	}
	return k;
}

int arch_prepare_displaced(const uint8_t *code, size_t n, taddr_t from,
			   taddr_t slot_addr, struct arch_displaced *out)
{
	int riprel, len = arch_insn_len(code, n, &riprel), sl;
	taddr_t back;

	memset(out, 0, sizeof(*out));
	if (len < 0)
		return len;
	out->insn_len = (unsigned)len;
	if (code[0] == 0xe9 || code[0] == 0xeb) {
		int32_t rel;
		if (code[0] == 0xe9)
			memcpy(&rel, code + 1, 4);
		else
			rel = (int8_t)code[1];
		out->is_jump = 1;
		out->jump_target = from + (taddr_t)len + (taddr_t)(int64_t)rel;
		return 0;
	}
	memcpy(out->slot, code, (size_t)len);
	sl = len;
	if (riprel >= 0) {
		int32_t disp;
		int64_t target, ndisp;
		memcpy(&disp, code + riprel, 4);
		target = (int64_t)(from + (taddr_t)len) + disp;
		ndisp = target - (int64_t)(slot_addr + (taddr_t)len);
		if (ndisp != (int32_t)ndisp) {
			sl = riprel_absolute(code, len, (uint64_t)target,
					     out->slot);
			if (sl < 0)
				return sl;
		} else {
			disp = (int32_t)ndisp;
			memcpy(out->slot + riprel, &disp, 4);
		}
	}
	/* jmp *0(%rip); .quad back */
	back = from + (taddr_t)len;
	out->slot[sl] = 0xff;
	out->slot[sl + 1] = 0x25;
	memset(out->slot + sl + 2, 0, 4);
	memcpy(out->slot + sl + 6, &back, 8);
	out->slot_len = (unsigned)sl + 14;
	return 0;
}

/*
 * Displace whole instructions at FROM until at least MINLEN bytes are
 * covered (for a 5-byte jmp over a function's first instructions), into a
 * slot at SLOT_ADDR that runs them and jumps back.  Conditional jumps
 * (rel8 or rel32) are re-encoded as rel32 to the same target; an
 * unconditional jump or a ret may only be the last instruction (what
 * follows it could be another jump's target), and then no jump back is
 * needed.  Calls and indirect jumps are refused (-ENOTSUP).
 */
int arch_prepare_displaced_n(const uint8_t *code, size_t n, taddr_t from,
			     taddr_t slot_addr, unsigned minlen,
			     struct arch_displaced *out)
{
	unsigned at = 0, sl = 0;
	int ended = 0;

	memset(out, 0, sizeof(*out));
	while (at < minlen) {
		const uint8_t *c = code + at;
		size_t left = n - at;
		taddr_t pc = from + at;
		int64_t target, rel;
		int32_t rel32;

		if (ended || left < 1)
			return -ENOTSUP;
		if ((c[0] >= 0x70 && c[0] <= 0x7f) ||
		    (left >= 6 && c[0] == 0x0f && c[1] >= 0x80 &&
		     c[1] <= 0x8f)) {
			/* jcc: re-encoded as 0f 8x rel32 */
			int short_form = c[0] != 0x0f;
			unsigned len = short_form ? 2 : 6;
			uint8_t cc = short_form ? c[0] & 0xf : c[1] & 0xf;
			if (left < len || sl + 6 > sizeof(out->slot))
				return -ENOTSUP;
			if (short_form) {
				rel = (int8_t)c[1];
			} else {
				memcpy(&rel32, c + 2, 4);
				rel = rel32;
			}
			target = (int64_t)(pc + len) + rel;
			rel = target - (int64_t)(slot_addr + sl + 6);
			if (rel != (int32_t)rel)
				return -ERANGE;
			rel32 = (int32_t)rel;
			out->slot[sl] = 0x0f;
			out->slot[sl + 1] = (uint8_t)(0x80 | cc);
			memcpy(out->slot + sl + 2, &rel32, 4);
			sl += 6;
			at += len;
			continue;
		}
		if (c[0] == 0xe9 || c[0] == 0xeb) {
			/* jmp: absolute, and nothing after it */
			unsigned len = c[0] == 0xe9 ? 5 : 2;
			if (left < len || sl + 14 > sizeof(out->slot))
				return -ENOTSUP;
			if (c[0] == 0xe9) {
				memcpy(&rel32, c + 1, 4);
				rel = rel32;
			} else {
				rel = (int8_t)c[1];
			}
			target = (int64_t)(pc + len) + rel;
			out->slot[sl] = 0xff;
			out->slot[sl + 1] = 0x25;
			memset(out->slot + sl + 2, 0, 4);
			memcpy(out->slot + sl + 6, &target, 8);
			sl += 14;
			at += len;
			ended = 1;
			continue;
		}
		{
			int riprel, len = arch_insn_len(c, left, &riprel);
			if (len < 0)
				return len;
			if (sl + (unsigned)len > sizeof(out->slot))
				return -ENOTSUP;
			memcpy(out->slot + sl, c, (size_t)len);
			if (riprel >= 0) {
				int32_t disp;
				int64_t t, nd;
				memcpy(&disp, c + riprel, 4);
				t = (int64_t)(pc + (taddr_t)len) + disp;
				nd = t -
				     (int64_t)(slot_addr + sl + (taddr_t)len);
				if (nd != (int32_t)nd)
					return -ERANGE;
				disp = (int32_t)nd;
				memcpy(out->slot + sl + riprel, &disp, 4);
			}
			if (c[0] == 0xc3 || c[0] == 0xf4 || c[0] == 0xcc)
				ended = 1; /* ret, hlt, int3: nothing after */
			sl += (unsigned)len;
			at += (unsigned)len;
		}
	}
	if (!ended) {
		taddr_t back = from + at;
		if (sl + 14 > sizeof(out->slot))
			return -ENOTSUP;
		out->slot[sl] = 0xff;
		out->slot[sl + 1] = 0x25;
		memset(out->slot + sl + 2, 0, 4);
		memcpy(out->slot + sl + 6, &back, 8);
		sl += 14;
	}
	out->insn_len = at;
	out->slot_len = sl;
	return 0;
}
