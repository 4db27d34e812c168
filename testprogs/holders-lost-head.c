/* holders-lost-head: a definitely lost head holding an indirect list.
 *
 *   (no pointer) -> list (16 bytes, new_list) .first at +0 -> node 3
 *                   -> node 2 -> node 1 -> node 0 (32 bytes each, push)
 *
 * The list header is definitely lost and leaks the nodes (indirectly
 * lost).  With --show-holders=all the nodes' record shows the chain from
 * the lost header (the nearest node, held at +0 in it), and the header's
 * record says nothing holds it and what it retains: itself and the four
 * nodes, 144 bytes in 5 blocks.
 *
 * valgrind has no holder paths: the chains are checked in leakcheck's
 * report only (EXPECT-HELD); valgrind is the oracle for the kinds.
 *
 * ARGS: 4
 * EXPECT: definite=16/1 indirect=128/4 possible=0/0 reachable=0/0
 * EXPECT-HELD: indirect push :: ^held by: definitely lost block 0x[0-9A-F]+ \(16 bytes, allocated at new_list \(holders-lost-head\.c:[0-9]+\)\) \+0 \| -> this block \(0x[0-9A-F]+\), which retains 128 bytes in 4 blocks$
 * EXPECT-HELD: definite new_list :: ^held by: nothing \(no pointer from a root or a reachable block\); it retains 144 bytes in 5 blocks$
 */
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

struct node {
	struct node *next;
	char data[24];
};

struct list {
	struct node *first;
	long count;
};

static NOINLINE struct list *new_list(void)
{
	struct list *l = malloc(sizeof(*l));

	l->first = NULL;
	l->count = 0;
	return l;
}

static NOINLINE void push(struct list *l, const char *s)
{
	struct node *n = malloc(sizeof(*n));

	strncpy(n->data, s, sizeof(n->data));
	n->next = l->first;
	l->first = n;
	l->count++;
}

static NOINLINE void build(int n)
{
	struct list *l = new_list();

	for (int i = 0; i < n; i++)
		push(l, "item");
	/* forgotten: free the list */
}

int main(int argc, char **argv)
{
	build(argc > 1 ? atoi(argv[1]) : 4);
	return 0;
}
