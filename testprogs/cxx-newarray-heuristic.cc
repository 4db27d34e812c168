/* cxx-newarray-heuristic: the only pointer to a new[] array of objects
 * with a destructor is the one new[] returned, which points 8 bytes into
 * the malloc'd block (after the element count).
 *
 *   global arr -> (block + 8)     block: 8 + 10 * 16 = 168 bytes
 *
 * Plain rules make this "possibly lost" (interior pointer).  valgrind's
 * default --leak-check-heuristics=all includes "newarray": an interior
 * pointer at block + 8 whose first word is a plausible element count
 * (count * elem size fits the block) counts as reachable.  The expectation
 * follows valgrind's default: still reachable (LEAK SUMMARY also says
 * "of which reachable via heuristic: newarray: 168 bytes in 1 blocks").
 * This is the one test that depends on a heuristic; with
 * --leak-check-heuristics=none valgrind says possible=168/1.  (libstdc++'s
 * emergency pool is freed at exit: see cxx-new-delete.)
 *
 * EXPECT: definite=0/0 indirect=0/0 possible=0/0 reachable=168/1
 */
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

struct Obj {
	long a, b;
	~Obj()
	{
		a = 0;
	}
};

Obj *arr;

static NOINLINE void keep()
{
	arr = new Obj[10];
	arr[9].a = 1;
}

int main()
{
	keep();
	return 0;
}
