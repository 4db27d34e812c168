/* definite-many-stacks: 4,096 leaks, each from a stack of its own, the
 * way a program with many call paths into one allocation helper leaks:
 * main calls a_0..a_15, each calls b_0..b_15 (through a table), each
 * calls c_0..c_15, and c_k on the path (i, j, k) leaks
 * malloc(16 + 256 * i + 16 * j + k).  Every block has its own size and
 * its own stack, so a stack mixed up with another's shows: the size of
 * the block under "c_K <- b_J <- a_I" must be 16 + 256 I + 16 J + K
 * (tests/run.sh's many-stacks checks all 4,096).  Each block is filled,
 * as a program fills what it allocates: an unwritten one keeps
 * tcmalloc's and mimalloc's free-list links, which make most of them
 * "indirectly lost" there (allocators.sh).  More stacks than the
 * fast path's stack table has ever needed here before (its map in
 * leakcheck grows from 1,024 entries).
 *
 * Sum: 4096 * 16 + 256 * (256 * 120 + 16 * 120 + 120) = 8,452,096.
 *
 * EXPECT: definite=8452096/4096 indirect=0/0 possible=0/0 reachable=0/0
 * EXPECT-STACK: definite malloc <- c_15 <- b_15 <- a_15 <- main
 */
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

static void *volatile sink;

#define LEAF(k)                                                                \
	static NOINLINE void c_##k(int i, int j)                               \
	{                                                                      \
		size_t n = 16 + 256 * (size_t)i + 16 * (size_t)j + k;          \
		sink = memset(malloc(n), 'x', n);                              \
		sink = NULL;                                                   \
	}
#define MID(j)                                                                 \
	static NOINLINE void b_##j(int i)                                      \
	{                                                                      \
		for (int k = 0; k < 16; k++)                                   \
			cs[k](i, j);                                           \
		sink = NULL;                                                   \
	}
#define TOP(i)                                                                 \
	static NOINLINE void a_##i(void)                                       \
	{                                                                      \
		for (int j = 0; j < 16; j++)                                   \
			bs[j](i);                                              \
		sink = NULL;                                                   \
	}
#define SIXTEEN(m)                                                             \
	m(0) m(1) m(2) m(3) m(4) m(5) m(6) m(7) m(8) m(9) m(10) m(11) m(12)    \
	    m(13) m(14) m(15)
#define NAME_C(k) c_##k,
#define NAME_B(j) b_##j,
#define NAME_A(i) a_##i,

SIXTEEN(LEAF)
static void (*const cs[16])(int, int) = {SIXTEEN(NAME_C)};
SIXTEEN(MID)
static void (*const bs[16])(int) = {SIXTEEN(NAME_B)};
SIXTEEN(TOP)
static void (*const as[16])(void) = {SIXTEEN(NAME_A)};

int main(void)
{
	for (int i = 0; i < 16; i++)
		as[i]();
	return 0;
}
