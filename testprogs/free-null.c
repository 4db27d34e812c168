/* free-null: frees of NULL, and realloc(p, 0), which frees p.
 *
 *   free(NULL) three times
 *   p = malloc(64); free(p)
 *   q = malloc(32); realloc(q, 0) frees q and returns NULL (glibc)
 *   r = calloc(1, 128); realloc(r, 256) then free
 *
 * Nothing is live at exit.
 *
 * EXPECT: definite=0/0 indirect=0/0 possible=0/0 reachable=0/0
 * ALLOC-SKIP[mimalloc]: mimalloc's realloc(q, 0) returns a block (C allows
 *   either); the program checks for glibc's NULL and exits 2
 */
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

/* Through volatiles: at -O2 the compiler deletes free(NULL), a malloc
 * and free pair, and a realloc(q, 0) whose result it takes for non-NULL. */
static void *volatile null;

static NOINLINE void frees(void)
{
	char *volatile p, *volatile q, *volatile r;
	void *volatile q0;

	free(null);
	free(null);
	p = malloc(64);
	free(p);
	free(null);
	q = malloc(32);
	q0 = realloc(q, 0);
	if (q0 != NULL)
		exit(2);
	r = calloc(1, 128);
	r = realloc(r, 256);
	free(r);
}

int main(void)
{
	frees();
	return 0;
}
