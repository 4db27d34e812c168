/* supp-cxx: C++ leaks against suppressions as valgrind writes them
 * (supp-cxx.supp): mangled names, frame 0 operator new or new[].
 *
 *   leak_new: new Obj (40 bytes), dropped      "fun:_Znwm fun:_Z8leak_newv"
 *   leak_arr: new int[25] (100 bytes), dropped "fun:_Znam fun:_Z8leak_arrv"
 *                                              (new[] tail-calls new in
 *                                              libstdc++: no _Znam frame)
 *   leak_demangled: new int[20] (80 bytes)     reported: "fun:leak_demangled()"
 *                                              is not the mangled name
 *   libstdc++'s emergency pool (72,704 bytes)  freed at exit by libstdc++'s
 *                                              freeres (as under valgrind):
 *                                              nothing to suppress
 *
 * OPTS: --suppressions=../../testprogs/supp-cxx.supp
 * EXPECT: definite=80/1 indirect=0/0 possible=0/0 reachable=0/0 suppressed=140/2
 * ALLOC-EXTRA[tcmalloc]: suppressed=24/2 (tcmalloc's own blocks, by the
 *   default suppressions)
 */
#include <cstdlib>
#include <cstring>

#define NOINLINE __attribute__((noinline))

struct Obj {
	long v[5];
};

NOINLINE void leak_new(void)
{
	Obj *volatile o = new Obj(); /* volatile, or -O2 deletes the new */
	o->v[0] = 1;
}

NOINLINE void leak_arr(void)
{
	int *volatile a = new int[25];
	a[0] = 1;
}

NOINLINE void leak_demangled(void)
{
	int *volatile a = new int[20];
	a[0] = 1;
}

int main(void)
{
	leak_new();
	leak_arr();
	leak_demangled();
	return 0;
}
