/* supp-lsan: leaks from six stacks, five suppressed by supp-lsan.supp
 * (LSan's format: substrings of function, file or module names in any
 * frame, '*' and the '^'/'$' anchors).
 *
 *   lsan_one: malloc(111), dropped          "leak:lsan_on" (substring)
 *   outer_two -> two: malloc(222), dropped  "leak:^outer_two$" (not frame 0)
 *   header_leak (in supp-lsan.h): malloc(333)  "leak:supp-lsan.h" (file)
 *   keep_me: malloc(444), dropped           reported: "leak:^keep_m$" and
 *                                           "leak:eep_me_not" do not match
 *   lsan_x_star: malloc(555), dropped       "leak:lsan_*_star$"
 *   calloc_six: calloc(6, 111), dropped     "leak:calloc": frame 0's name
 *
 * OPTS: --suppressions=../../testprogs/supp-lsan.supp
 * EXPECT: definite=444/1 indirect=0/0 possible=0/0 reachable=0/0 suppressed=1887/5
 * SKIP-VALGRIND: LSan's format
 */
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

/* Overwrite the dead frames below the caller's with zeros, so that no stale
 * copy of a pointer is left where a scan from sp (less the red zone) finds it. */
static NOINLINE void clear_stack(void)
{
	volatile char buf[16384];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = 0;
}

/* Zero the caller-saved registers, like valgrind's CLEAR_CALLER_SAVED_REGS. */
#define CLEAR_REGS()                                                           \
	__asm__ __volatile__("xor %%eax, %%eax\n\txor %%ecx, %%ecx\n\t"        \
			     "xor %%edx, %%edx\n\txor %%esi, %%esi\n\t"        \
			     "xor %%edi, %%edi\n\txor %%r8d, %%r8d\n\t"        \
			     "xor %%r9d, %%r9d\n\txor %%r10d, %%r10d\n\t"      \
			     "xor %%r11d, %%r11d\n\tpxor %%xmm0, %%xmm0\n\t"   \
			     "pxor %%xmm1, %%xmm1\n\tpxor %%xmm2, %%xmm2\n\t"  \
			     "pxor %%xmm3, %%xmm3\n\tpxor %%xmm4, %%xmm4\n\t"  \
			     "pxor %%xmm5, %%xmm5\n\tpxor %%xmm6, %%xmm6\n\t"  \
			     "pxor %%xmm7, %%xmm7\n\t"                         \
			     :                                                 \
			     :                                                 \
			     : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9",  \
			       "r10", "r11", "xmm0", "xmm1", "xmm2", "xmm3",   \
			       "xmm4", "xmm5", "xmm6", "xmm7", "memory")

#include "supp-lsan.h"

static NOINLINE void lsan_one(void)
{
	char *p = malloc(111);
	memset(p, 1, 111);
}

static NOINLINE void two(void)
{
	char *p = malloc(222);
	memset(p, 2, 222);
}

static NOINLINE void outer_two(void)
{
	two();
}

static NOINLINE void keep_me(void)
{
	char *p = malloc(444);
	memset(p, 4, 444);
}

static NOINLINE void lsan_x_star(void)
{
	char *p = malloc(555);
	memset(p, 5, 555);
}

static NOINLINE void calloc_six(void)
{
	char *p = calloc(6, 111);
	p[0] = 6;
}

int main(void)
{
	lsan_one();
	outer_two();
	header_leak();
	keep_me();
	lsan_x_star();
	calloc_six();
	clear_stack();
	CLEAR_REGS();
	return 0;
}
