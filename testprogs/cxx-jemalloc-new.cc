/* cxx-jemalloc-new: C++ objects in a program linked with jemalloc, whose
 * operator new and delete are jemalloc's own (they do not call malloc).
 *
 *   new Obj (100 bytes), dropped                      definitely lost
 *   new std::string(60 chars): its buffer 61 bytes; both deleted  freed
 *   new int[25] -> keep (a global)                    still reachable
 *
 * valgrind replaces operator new in every module (libjemalloc's too), so
 * it is the oracle here.  Frame 0 is jemalloc's operator new, named as
 * valgrind names it (demangled), not by its symbol _Znwm.
 *
 * LIBS: -ljemalloc
 * EXPECT: definite=100/1 indirect=0/0 possible=0/0 reachable=100/1
 * EXPECT-STACK: definite operator new <- leak.* <- main
 */
#include <cstring>
#include <string>

struct Obj {
	char buf[100];
};

int *keep;
static void *volatile sink;

static __attribute__((noinline)) void leak()
{
	Obj *o = new Obj;

	memset(o, 1, sizeof(*o));
	sink = o; /* what the optimiser cannot drop */
	sink = nullptr;
}

int main()
{
	leak();
	std::string *s = new std::string(60, 'x');
	delete s;
	keep = new int[25];
	return 0;
}
