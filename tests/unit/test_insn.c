/*
 * test_insn: displacing an entry point's first instructions for the fast
 * path's 5-byte jmp (arch_prepare_displaced_n), on the prologues glibc
 * 2.36 has (malloc, free, memalign) and on what must be refused.  The
 * slot's bytes are compared exactly: relocated operands and the jump back.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "leakcheck/arch.h"

#define FROM 0x7f0000098930ull
#define SLOT 0x7f00001f1100ull

/* the absolute jmp back: ff 25 00000000 .quad TO */
static int is_jmp_back(const uint8_t *p, uint64_t to)
{
	uint64_t q;
	memcpy(&q, p + 6, 8);
	return p[0] == 0xff && p[1] == 0x25 && !p[2] && !p[3] && !p[4] &&
	       !p[5] && q == to;
}

int main(void)
{
	struct arch_displaced d;

	/*
	 * A rip-relative load out of a rel32's reach from the slot (a PIE
	 * executable's function, the page near the libraries): an absolute
	 * load, movabs $target then mov (reg), reg; lea is the movabs alone.
	 */
	{
		static const struct {
			uint8_t in[8];
			int len;
			uint8_t head[2]; /* the movabs: REX, b8+reg */
			uint8_t tail[4]; /* then the load, or nothing */
			int ntail;
		} t[] = {
		    /* mov 0x10(%rip),%rax -> mov (%rax),%rax */
		    {{0x48, 0x8b, 0x05, 0x10, 0, 0, 0},
		     7,
		     {0x48, 0xb8},
		     {0x48, 0x8b, 0x00},
		     3},
		    /* mov 0x10(%rip),%eax: 32 bits, zero-extended */
		    {{0x8b, 0x05, 0x10, 0, 0, 0},
		     6,
		     {0x48, 0xb8},
		     {0x8b, 0x00},
		     2},
		    /* mov 0x10(%rip),%r13 -> mov 0(%r13),%r13 (disp8) */
		    {{0x4c, 0x8b, 0x2d, 0x10, 0, 0, 0},
		     7,
		     {0x49, 0xbd},
		     {0x4d, 0x8b, 0x6d, 0x00},
		     4},
		    /* mov 0x10(%rip),%r12 -> mov (%r12),%r12 (SIB) */
		    {{0x4c, 0x8b, 0x25, 0x10, 0, 0, 0},
		     7,
		     {0x49, 0xbc},
		     {0x4d, 0x8b, 0x24, 0x24},
		     4},
		    /* mov 0x10(%rip),%rsp's register 4 in 64 bits: %rsp */
		    {{0x48, 0x8b, 0x25, 0x10, 0, 0, 0},
		     7,
		     {0x48, 0xbc},
		     {0x48, 0x8b, 0x24, 0x24},
		     4},
		    /* lea 0x10(%rip),%rdi -> movabs only */
		    {{0x48, 0x8d, 0x3d, 0x10, 0, 0, 0},
		     7,
		     {0x48, 0xbf},
		     {0},
		     0},
		};
		const uint64_t exe = 0x555555554000ull, far = 0x7ffff7f00000ull;
		for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
			uint8_t c[16] = {0};
			uint64_t imm;
			memcpy(c, t[i].in, (size_t)t[i].len);
			CHECK(arch_prepare_displaced(c, sizeof(c), exe, far,
						     &d) == 0);
			CHECK_EQ_U(d.insn_len, (unsigned)t[i].len);
			CHECK_EQ_U(d.slot_len, 10u + (unsigned)t[i].ntail + 14);
			CHECK(d.slot[0] == t[i].head[0] &&
			      d.slot[1] == t[i].head[1]);
			memcpy(&imm, d.slot + 2, 8);
			/* the target the instruction had: after it, + 0x10 */
			CHECK_EQ_U(imm, exe + (uint64_t)t[i].len + 0x10);
			CHECK(!memcmp(d.slot + 10, t[i].tail,
				      (size_t)t[i].ntail));
			CHECK(is_jmp_back(d.slot + 10 + t[i].ntail,
					  exe + (uint64_t)t[i].len));
		}
		/* anything else out of reach is refused: an operand-size
		 * prefix, a store, a compare */
		{
			static const uint8_t no[][8] = {
			    {0x66, 0x8b, 0x05, 0x10, 0, 0, 0},
			    {0x48, 0x89, 0x05, 0x10, 0, 0, 0},
			    {0x80, 0x3d, 0x10, 0, 0, 0, 0x00}};
			for (size_t i = 0; i < 3; i++) {
				uint8_t c[16] = {0};
				memcpy(c, no[i], 8);
				CHECK(arch_prepare_displaced(c, sizeof(c), exe,
							     far,
							     &d) == -ERANGE);
			}
		}
	}

	/* malloc: push %r12; push %rbp; push %rbx; mov %rdi,%rbx; ... */
	{
		static const uint8_t c[16] = {0x41, 0x54, 0x55, 0x53,
					      0x48, 0x89, 0xfb, 0x48,
					      0x83, 0xec, 0x10};
		CHECK(arch_prepare_displaced_n(c, sizeof(c), FROM, SLOT, 5,
					       &d) == 0);
		CHECK_EQ_U(d.insn_len, 7);
		CHECK_EQ_U(d.slot_len, 7 + 14);
		CHECK(!memcmp(d.slot, c, 7));
		CHECK(is_jmp_back(d.slot + 7, FROM + 7));
		CHECK(!d.is_jump);
	}
	/* free: test %rdi,%rdi; je rel32 (+0xbf from its end) */
	{
		static const uint8_t c[16] = {0x48, 0x85, 0xff, 0x0f, 0x84,
					      0xbf, 0x00, 0x00, 0x00, 0x55};
		int32_t rel;
		CHECK(arch_prepare_displaced_n(c, sizeof(c), FROM, SLOT, 5,
					       &d) == 0);
		CHECK_EQ_U(d.insn_len, 9);
		CHECK(!memcmp(d.slot, c, 3));
		CHECK(d.slot[3] == 0x0f && d.slot[4] == 0x84);
		memcpy(&rel, d.slot + 5, 4);
		/* the same target from the slot */
		CHECK_EQ_U(SLOT + 9 + (uint64_t)(int64_t)rel, FROM + 9 + 0xbf);
		CHECK(is_jmp_back(d.slot + 9, FROM + 9));
	}
	/* a short jcc becomes a rel32 one: test; jz +5; push */
	{
		static const uint8_t c[16] = {0x48, 0x85, 0xff,
					      0x74, 0x05, 0x55};
		int32_t rel;
		CHECK(arch_prepare_displaced_n(c, sizeof(c), FROM, SLOT, 5,
					       &d) == 0);
		CHECK_EQ_U(d.insn_len, 5);
		CHECK(d.slot[3] == 0x0f && d.slot[4] == 0x84);
		memcpy(&rel, d.slot + 5, 4);
		CHECK_EQ_U(SLOT + 9 + (uint64_t)(int64_t)rel, FROM + 5 + 5);
		CHECK(is_jmp_back(d.slot + 9, FROM + 5));
	}
	/* memalign: cmpb $0,disp(%rip) -- relocated to the same address */
	{
		static const uint8_t c[16] = {0x80, 0x3d, 0x71, 0x0e, 0x14,
					      0x00, 0x00, 0x74, 0x07};
		int32_t disp;
		CHECK(arch_prepare_displaced_n(c, sizeof(c), FROM, SLOT, 5,
					       &d) == 0);
		CHECK_EQ_U(d.insn_len, 7);
		memcpy(&disp, d.slot + 2, 4);
		CHECK_EQ_U(SLOT + 7 + (uint64_t)(int64_t)disp,
			   FROM + 7 + 0x140e71);
		CHECK(is_jmp_back(d.slot + 7, FROM + 7));
	}
	/* a jmp last: no jump back after it; before the end: refused */
	{
		static const uint8_t ok[16] = {0x55, 0xe9, 0x10,
					       0x00, 0x00, 0x00};
		static const uint8_t bad[16] = {0xeb, 0x10, 0x55,
						0x55, 0x55, 0x55};
		uint64_t to;
		CHECK(arch_prepare_displaced_n(ok, sizeof(ok), FROM, SLOT, 5,
					       &d) == 0);
		CHECK_EQ_U(d.insn_len, 6);
		CHECK_EQ_U(d.slot_len, 1 + 14);
		memcpy(&to, d.slot + 1 + 6, 8);
		CHECK_EQ_U(to, FROM + 6 + 0x10);
		CHECK(arch_prepare_displaced_n(bad, sizeof(bad), FROM, SLOT, 5,
					       &d) == -ENOTSUP);
	}
	/* a call is refused; a jcc target out of rel32 reach too */
	{
		static const uint8_t call[16] = {0xe8, 0, 0, 0, 0, 0x55};
		static const uint8_t jcc[16] = {0x0f, 0x84, 0, 0, 0, 0};
		CHECK(arch_prepare_displaced_n(call, sizeof(call), FROM, SLOT,
					       5, &d) < 0);
		CHECK(arch_prepare_displaced_n(jcc, sizeof(jcc), FROM,
					       FROM + (1ull << 33), 5,
					       &d) == -ERANGE);
	}
	return check_done("insn");
}
