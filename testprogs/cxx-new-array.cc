/* cxx-new-array: arrays from new[] lost.
 *
 *   new int[100], dropped                 400 bytes: no array cookie for a
 *                                         trivially destructible type
 *   new Obj[10], dropped (Obj has a       8 + 10 * 16 = 168 bytes: the
 *   destructor, sizeof 16)                8-byte element count comes first
 *                                         and new[] returns block + 8
 *   emergency exception pool              72,704 bytes, malloc'd by
 *                                         libstdc++ at start-up: freed
 *                                         by its freeres at exit
 *
 * No pointer to either array survives, so no heuristic is involved:
 * 568 bytes in 2 blocks definitely lost.
 *
 * Natively the Obj array is the last block malloc'd, and 168 is 8 mod 16,
 * so glibc's main_arena.top points 160 bytes into it: the trap of
 * definite-arena-top.
 *
 * EXPECT: definite=568/2 indirect=0/0 possible=0/0 reachable=0/0
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

static NOINLINE void leak()
{
	int *volatile ints = new int[100];
	Obj *volatile objs = new Obj[10];

	ints[99] = 1;
	objs[9].a = 1;
}

int main()
{
	leak();
	return 0;
}
