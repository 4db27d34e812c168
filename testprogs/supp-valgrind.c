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
 * (The leaks' pointers are volatile: at -O2 the compiler deletes a block
 * that is never read.)
 *
 * At -O2 two stacks lose a frame, under valgrind too: outer_b tail-calls
 * leak_b (no outer_b frame: "... fun:outer_b" matches nothing) and keep_c
 * tail-calls leak_sized (gcc also clones it as leak_sized.constprop.0,
 * which "fun:leak_sized" does not name): leak_b's 200 bytes are reported
 * definitely lost and keep_c's 300 still reachable.
 *
 * OPTS: --suppressions=../../testprogs/supp-valgrind.supp
 * EXPECT: definite=400/1 indirect=0/0 possible=0/0 reachable=0/0 suppressed=1701/5
 * EXPECT[*-O2]: definite=600/2 indirect=0/0 possible=0/0 reachable=300/1 suppressed=1201/3
 * ALLOC-EXTRA[tcmalloc]: suppressed=24/2 (tcmalloc's own blocks, by the
 *   default suppressions)
 */
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

char *kept;

static NOINLINE void leak_sized(size_t n, char **out)
{
	*out = malloc(n);
	memset(*out, 'x', n);
}

static NOINLINE void leak_a(void)
{
	char *volatile p = malloc(100);
	memset(p, 'a', 100);
}

static NOINLINE void leak_b(void)
{
	char *volatile p = malloc(200);
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
	char *volatile p = malloc(400);
	memset(p, 'd', 400);
}

static NOINLINE void leak_e(void)
{
	char *volatile p = malloc(500);
	memset(p, 'e', 500);
}

static NOINLINE void leak_f(void)
{
	char buf[601];
	char *volatile p;

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
	return 0;
}
