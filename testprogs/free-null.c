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
 */
#include <stdlib.h>

#include "scrub.h"

static NOINLINE void frees(void)
{
	char *p, *q, *r;

	free(NULL);
	free(NULL);
	p = malloc(64);
	free(p);
	free(NULL);
	q = malloc(32);
	if (realloc(q, 0) != NULL)
		exit(2);
	r = calloc(1, 128);
	r = realloc(r, 256);
	free(r);
}

int main(void)
{
	frees();
	clear_stack();
	CLEAR_REGS();
	return 0;
}
