/* supp-cxx: C++ leaks against suppressions as valgrind writes them
 * (supp-cxx.supp): mangled names, frame 0 operator new or new[].
 *
 *   leak_new: new Obj (40 bytes), dropped      "fun:_Znwm fun:_Z8leak_newv"
 *   leak_arr: new int[25] (100 bytes), dropped "fun:_Znam fun:_Z8leak_arrv"
 *                                              (new[] tail-calls new in
 *                                              libstdc++: no _Znam frame)
 *   leak_demangled: new int[20] (80 bytes)     reported: "fun:leak_demangled()"
 *                                              is not the mangled name
 *   libstdc++'s emergency pool (72,704 bytes)  reachable: "fun:malloc
 *                                              obj:*libstdc++*", reachable
 *
 * OPTS: --suppressions=../../testprogs/supp-cxx.supp
 * EXPECT: definite=80/1 indirect=0/0 possible=0/0 reachable=0/0 suppressed=72844/3
 * SKIP-VALGRIND: suppressions are compared by tests/run.sh only
 */
#include <cstdlib>
#include <cstring>

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

struct Obj {
	long v[5];
};

NOINLINE void leak_new(void)
{
	Obj *o = new Obj();
	o->v[0] = 1;
}

NOINLINE void leak_arr(void)
{
	int *a = new int[25];
	a[0] = 1;
}

NOINLINE void leak_demangled(void)
{
	int *a = new int[20];
	a[0] = 1;
}

int main(void)
{
	leak_new();
	leak_arr();
	leak_demangled();
	clear_stack();
	CLEAR_REGS();
	return 0;
}
