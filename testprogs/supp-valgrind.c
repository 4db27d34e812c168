/* supp-valgrind: leaks from six stacks, four of them suppressed by
 * supp-valgrind.supp (valgrind's format: wildcards, "...", obj: on libc
 * and on valgrind's preload for frame 0, match-leak-kinds).
 *
 *   leak_a: p = malloc(100), dropped        definite, "fun:mal?oc fun:l*k_a"
 *   outer_b -> leak_b: malloc(200), dropped definite, "... fun:outer_b"
 *   keep_c: kept = malloc(300) in a global  reachable, match-leak-kinds:
 *                                           reachable
 *   leak_d: malloc(400), dropped            definite; its suppression has
 *                                           match-leak-kinds: reachable, so
 *                                           it is reported
 *   leak_e: malloc(500), dropped            definite, "obj:*vgpreload_
 *                                           memcheck* fun:leak_e"
 *   leak_f: strdup(600 chars), dropped      definite (601 bytes), "fun:malloc
 *                                           obj:*libc.so* fun:leak_f"
 *
 * The file also holds blocks for other kinds and tools, which are ignored.
 *
 * OPTS: --suppressions=../../testprogs/supp-valgrind.supp
 * EXPECT: definite=400/1 indirect=0/0 possible=0/0 reachable=0/0 suppressed=1701/5
 * SKIP-VALGRIND: suppressions are compared by tests/run.sh only
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

char *kept;

static NOINLINE void leak_sized(size_t n, char **out)
{
	*out = malloc(n);
	memset(*out, 'x', n);
}

static NOINLINE void leak_a(void)
{
	char *p = malloc(100);
	memset(p, 'a', 100);
}

static NOINLINE void leak_b(void)
{
	char *p = malloc(200);
	memset(p, 'b', 200);
}

static NOINLINE void outer_b(void)
{
	leak_b();
}

static NOINLINE void keep_c(void)
{
	leak_sized(300, &kept);
}

static NOINLINE void leak_d(void)
{
	char *p = malloc(400);
	memset(p, 'd', 400);
}

static NOINLINE void leak_e(void)
{
	char *p = malloc(500);
	memset(p, 'e', 500);
}

static NOINLINE void leak_f(void)
{
	char buf[601];
	char *p;

	memset(buf, 'f', 600);
	buf[600] = 0;
	p = strdup(buf);
	p[0] = 0;
}

int main(void)
{
	leak_a();
	outer_b();
	keep_c();
	leak_d();
	leak_e();
	leak_f();
	clear_stack();
	CLEAR_REGS();
	return 0;
}
