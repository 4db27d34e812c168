/* indirect-list: a linked list whose head pointer is dropped.
 *
 *   (nothing) -> n0 -> n1 -> n2 -> n3 -> n4      each node 32 bytes
 *
 * n0 is pointed to by nothing: definitely lost.  n1..n4 are pointed to
 * (by start pointers) only from lost blocks: indirectly lost, reported in
 * n0's loss record as valgrind does.
 *
 * EXPECT: definite=32/1 indirect=128/4 possible=0/0 reachable=0/0
 * EXPECT-STACK: definite malloc <- make_list <- leak_list <- main
 * EXPECT-STACK: indirect malloc <- make_list <- leak_list <- main
 */
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

struct node {
	struct node *next;
	long payload[3];
};

static NOINLINE struct node *make_list(int n)
{
	struct node *head = NULL, *nd;

	while (n-- > 0) {
		nd = malloc(sizeof(*nd));
		nd->next = head;
		nd->payload[0] = n;
		head = nd;
	}
	return head;
}

/* Where the list is published, then dropped: gcc -O2 deletes a list
 * that nothing reads. */
static void *volatile sink;

static NOINLINE void leak_list(void)
{
	struct node *list = make_list(5);

	sink = list;
	sink = NULL; /* dropped */
}

int main(void)
{
	leak_list();
	return 0;
}
