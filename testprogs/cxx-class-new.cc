/* cxx-class-new: a class with its own operator new/delete calling
 * malloc/free; one object freed, one leaked.
 *
 *   new Widget; delete                    freed
 *   new Widget (56 bytes), dropped        definitely lost (seen at malloc,
 *                                         called from Widget::operator new)
 *   emergency exception pool              72,704 bytes, malloc'd by
 *                                         libstdc++ at start-up: freed
 *                                         by its freeres at exit
 *
 * Natively the leaked block is the last one malloc'd, and 56 bytes is 8
 * mod 16, so glibc's main_arena.top points 48 bytes into it: the trap of
 * definite-arena-top (a scan that takes libc's .data as a root without
 * excluding the allocator's state calls it possibly lost).
 *
 * clang -O2 inlines operator new and merges its malloc with the zeroing
 * that "new Widget()" does into one calloc: frame 0 is calloc there.
 *
 * EXPECT: definite=56/1 indirect=0/0 possible=0/0 reachable=0/0
 * EXPECT-STACK: definite (malloc|calloc) <- (Widget::)?operator new <- work <- main
 * VG-EXPECT-STACK[clang-O2]: definite calloc <- work <- main
 * VG-DIFFERS[clang-O2]: valgrind 3.19 reads no inlined calls from clang 14's DWARF 5 (it does from gcc's, and from clang's -gdwarf-4): its stacks lack the inlined frames leakcheck shows
 */
#include <stdlib.h>
#include <new>

#define NOINLINE __attribute__((noinline))

class Widget {
      public:
	long data[7];
	static void *operator new(size_t sz)
	{
		void *p = malloc(sz);
		if (!p)
			throw std::bad_alloc();
		return p;
	}
	static void operator delete(void *p)
	{
		free(p);
	}
};

static NOINLINE void work()
{
	Widget *w = new Widget();
	w->data[0] = 1;
	delete w;
	Widget *volatile lost = new Widget();
	lost->data[6] = 1;
}

int main()
{
	work();
	return 0;
}
