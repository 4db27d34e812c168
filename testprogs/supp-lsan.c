/* supp-lsan: leaks from six stacks, five suppressed by supp-lsan.supp
 * (LSan's format: substrings of function, file or module names in any
 * frame, '*' and the '^'/'$' anchors).
 *
 *   lsan_one: malloc(111), dropped          "leak:lsan_on" (substring)
 *   outer_two -> two: malloc(222), dropped  "leak:^outer_two$" (not frame 0)
 *   header_leak (in supp-lsan.h): malloc(333)  "leak:supp-lsan.h" (file)
 *   keep_me: malloc(444), dropped           reported: "leak:^keep_m$" and
 *                                           "leak:eep_me_not" do not match
 *   lsan_x_star: malloc(555), dropped       "leak:lsan_*_star$"
 *   calloc_six: calloc(6, 111), dropped     "leak:calloc": frame 0's name
 *
 * (The leaks' pointers are volatile: at -O2 the compiler deletes a block
 * that is never read.)
 *
 * At -O2 outer_two tail-calls two: the stack has no outer_two frame (under
 * valgrind too: malloc <- two <- main), "leak:^outer_two$" matches
 * nothing, and two's 222 bytes are reported.
 *
 * OPTS: --suppressions=../../testprogs/supp-lsan.supp
 * EXPECT: definite=444/1 indirect=0/0 possible=0/0 reachable=0/0 suppressed=1887/5
 * EXPECT[*-O2]: definite=666/2 indirect=0/0 possible=0/0 reachable=0/0 suppressed=1665/4
 * SKIP-VALGRIND: LSan's format
 * ALLOC-EXTRA[tcmalloc]: suppressed=24/2 (tcmalloc's own blocks, by the
 *   default suppressions)
 */
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

#include "supp-lsan.h"

static NOINLINE void lsan_one(void)
{
	char *volatile p = malloc(111);
	memset(p, 1, 111);
}

static NOINLINE void two(void)
{
	char *volatile p = malloc(222);
	memset(p, 2, 222);
}

static NOINLINE void outer_two(void)
{
	two();
}

static NOINLINE void keep_me(void)
{
	char *volatile p = malloc(444);
	memset(p, 4, 444);
}

static NOINLINE void lsan_x_star(void)
{
	char *volatile p = malloc(555);
	memset(p, 5, 555);
}

static NOINLINE void calloc_six(void)
{
	char *volatile p = calloc(6, 111);
	p[0] = 6;
}

int main(void)
{
	lsan_one();
	outer_two();
	header_leak();
	keep_me();
	lsan_x_star();
	calloc_six();
	return 0;
}
