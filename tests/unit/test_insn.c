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

	/* malloc: push %r12; push %rbp; push %rbx; mov %rdi,%rbx; ... */
	{
		static const uint8_t c[16] = {0x41, 0x54, 0x55, 0x53, 0x48, 0x89,
					      0xfb, 0x48, 0x83, 0xec, 0x10};
		CHECK(arch_prepare_displaced_n(c, sizeof(c), FROM, SLOT, 5, &d) == 0);
		CHECK_EQ_U(d.insn_len, 7);
		CHECK_EQ_U(d.slot_len, 7 + 14);
		CHECK(!memcmp(d.slot, c, 7));
		CHECK(is_jmp_back(d.slot + 7, FROM + 7));
		CHECK(!d.is_jump);
	}
	/* free: test %rdi,%rdi; je rel32 (+0xbf from its end) */
	{
		static const uint8_t c[16] = {0x48, 0x85, 0xff, 0x0f, 0x84, 0xbf,
					      0x00, 0x00, 0x00, 0x55};
		int32_t rel;
		CHECK(arch_prepare_displaced_n(c, sizeof(c), FROM, SLOT, 5, &d) == 0);
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
		static const uint8_t c[16] = {0x48, 0x85, 0xff, 0x74, 0x05, 0x55};
		int32_t rel;
		CHECK(arch_prepare_displaced_n(c, sizeof(c), FROM, SLOT, 5, &d) == 0);
		CHECK_EQ_U(d.insn_len, 5);
		CHECK(d.slot[3] == 0x0f && d.slot[4] == 0x84);
		memcpy(&rel, d.slot + 5, 4);
		CHECK_EQ_U(SLOT + 9 + (uint64_t)(int64_t)rel, FROM + 5 + 5);
		CHECK(is_jmp_back(d.slot + 9, FROM + 5));
	}
	/* memalign: cmpb $0,disp(%rip) -- relocated to the same address */
	{
		static const uint8_t c[16] = {0x80, 0x3d, 0x71, 0x0e, 0x14, 0x00,
					      0x00, 0x74, 0x07};
		int32_t disp;
		CHECK(arch_prepare_displaced_n(c, sizeof(c), FROM, SLOT, 5, &d) == 0);
		CHECK_EQ_U(d.insn_len, 7);
		memcpy(&disp, d.slot + 2, 4);
		CHECK_EQ_U(SLOT + 7 + (uint64_t)(int64_t)disp, FROM + 7 + 0x140e71);
		CHECK(is_jmp_back(d.slot + 7, FROM + 7));
	}
	/* a jmp last: no jump back after it; before the end: refused */
	{
		static const uint8_t ok[16] = {0x55, 0xe9, 0x10, 0x00, 0x00, 0x00};
		static const uint8_t bad[16] = {0xeb, 0x10, 0x55, 0x55, 0x55, 0x55};
		uint64_t to;
		CHECK(arch_prepare_displaced_n(ok, sizeof(ok), FROM, SLOT, 5, &d) == 0);
		CHECK_EQ_U(d.insn_len, 6);
		CHECK_EQ_U(d.slot_len, 1 + 14);
		memcpy(&to, d.slot + 1 + 6, 8);
		CHECK_EQ_U(to, FROM + 6 + 0x10);
		CHECK(arch_prepare_displaced_n(bad, sizeof(bad), FROM, SLOT, 5, &d) ==
		      -ENOTSUP);
	}
	/* a call is refused; a jcc target out of rel32 reach too */
	{
		static const uint8_t call[16] = {0xe8, 0, 0, 0, 0, 0x55};
		static const uint8_t jcc[16] = {0x0f, 0x84, 0, 0, 0, 0};
		CHECK(arch_prepare_displaced_n(call, sizeof(call), FROM, SLOT, 5, &d) < 0);
		CHECK(arch_prepare_displaced_n(jcc, sizeof(jcc), FROM,
					       FROM + (1ull << 33), 5, &d) == -ERANGE);
	}
	return check_done("insn");
}
