/* cxx-new-delete: balanced new/delete and new[]/delete[], plus one
 * object whose pointer is dropped.
 *
 *   10 x (new Point; delete)          freed
 *   new int[10]; delete[]             freed
 *   new Point (40 bytes), dropped     definitely lost
 *   libstdc++'s emergency exception pool, malloc'd at start-up (72,704
 *   bytes in 1 block), pointed to from libstdc++'s .data: freed at exit by
 *   libstdc++'s __gnu_cxx::__freeres, which valgrind runs by default, so
 *   in no summary (a checker that does not run it must not report it)
 *
 * operator new reaches malloc, which is what is counted.
 *
 * Natively the leaked block is the last one malloc'd, and 40 bytes is 8
 * mod 16, so glibc's main_arena.top points 32 bytes into it: the trap of
 * definite-arena-top (a scan that takes libc's .data as a root without
 * excluding the allocator's state calls it possibly lost).
 *
 * EXPECT: definite=40/1 indirect=0/0 possible=0/0 reachable=0/0
 */
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

struct Point {
	long x, y, z, w, v;
};

static NOINLINE void work()
{
	for (int i = 0; i < 10; i++) {
		/* volatile, or -O2 deletes each new with its delete */
		Point *volatile p = new Point();
		p->x = i;
		delete p;
	}
	int *volatile a = new int[10];
	a[9] = 1;
	delete[] a;
	Point *volatile lost = new Point();
	lost->x = 1;
}

int main()
{
	work();
	return 0;
}
