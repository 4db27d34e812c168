/* cxx-template-leak: leaks from template functions whose demangled names
 * hold '<', '>' and '&' (what XML must escape), from two call sites with
 * the same functions, so two loss records get the same JUnit name.
 *
 *   make_box<Pair<int, char>>(Pair<int, char> const&) -> 16 bytes, dropped
 *   make_box<Pair<long, Tag<3>>>(...)                  -> 24 bytes, dropped
 *       called from keep_two() twice: two records, same three functions
 *
 * tests/formats.sh checks the JUnit names; run.sh the summary.
 *
 * EXPECT: definite=80/4 indirect=0/0 possible=0/0 reachable=72704/1
 */
#include <stdlib.h>

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

template <int N> struct Tag {
	long pad[N - 2];
};

template <typename A, typename B> struct Pair {
	A a;
	B b;
	long more;
};

template <typename T> NOINLINE T *make_box(const T &v)
{
	return new T(v);
}

static NOINLINE void keep_two(void)
{
	Pair<int, char> p1 = {1, 'x', 0};
	Pair<long, Tag<3>> p2 = {2, {{0}}, 0};
	Pair<int, char> *volatile a = make_box(p1);
	Pair<long, Tag<3>> *volatile b = make_box(p2);
	a = make_box(p1);
	b = make_box(p2);
	(void)a;
	(void)b;
}

int main()
{
	keep_two();
	clear_stack();
	CLEAR_REGS();
	return 0;
}
