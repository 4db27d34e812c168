/* definite-vector-realloc: a growable array in a struct on main's stack,
 * grown by realloc in a helper, never freed.
 *
 *   main's frame: struct vec v = {data, len, cap}
 *   vec_push: cap 0 -> 4 -> 8 -> ... -> 128 by realloc (doubling);
 *             100 ints pushed
 *   main returns without free(v.data)
 *
 * Each realloc frees the old array; the last one, 128 ints = 512 bytes,
 * is pointed to only from v, in main's frame, which is dead once main
 * has returned and exit() runs: definitely lost.
 *
 * EXPECT: definite=512/1 indirect=0/0 possible=0/0 reachable=0/0
 * EXPECT-STACK: definite realloc <- vec_push <- main
 * VG-EXPECT-STACK[clang-O2]: definite realloc <- main
 * VG-DIFFERS[clang-O2]: valgrind 3.19 reads no inlined calls from clang 14's DWARF 5 (it does from gcc's, and from clang's -gdwarf-4): its stacks lack the inlined frames leakcheck shows
 */
#include <stdlib.h>

struct vec {
	int *data;
	size_t len, cap;
};

static void vec_push(struct vec *v, int x)
{
	if (v->len == v->cap) {
		v->cap = v->cap ? 2 * v->cap : 4;
		v->data = realloc(v->data, v->cap * sizeof(*v->data));
		if (!v->data)
			exit(1);
	}
	v->data[v->len++] = x;
}

/* v is published here, then dropped: gcc -O2 deletes an array that
 * nothing reads */
static void *volatile sink;

int main(void)
{
	struct vec v = {NULL, 0, 0};

	for (int i = 0; i < 100; i++)
		vec_push(&v, i * i);
	sink = v.data;
	sink = NULL;
	return 0; /* forgot free(v.data) */
}
