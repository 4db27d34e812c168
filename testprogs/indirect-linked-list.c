/* indirect-linked-list: a list of records built the usual way, each with
 * a strdup'd name, whose head pointer is dropped without freeing.
 *
 *   main: head -> rec "alice" -> rec "bob" -> rec "carol" -> NULL
 *         (push_front: rec = malloc(24), rec->name = strdup(name))
 *         head = NULL
 *
 *   rec "carol" (the last pushed, the head)   definitely lost, 24 bytes
 *   the other 2 records                       indirectly lost, 2 x 24
 *   the 3 names ("alice\0", "bob\0", "carol\0")  indirectly lost, 6+4+6
 *
 * Only the head has no pointer to it; everything else is reached from
 * it: 24 bytes definitely lost, 64 bytes in 5 blocks indirectly lost.
 *
 * EXPECT: definite=24/1 indirect=64/5 possible=0/0 reachable=0/0
 * EXPECT-STACK: definite malloc <- push_front <- main
 * EXPECT-STACK: indirect malloc <- (__)?strdup <- push_front <- main
 * VG-EXPECT-STACK[clang-O2]: definite malloc <- main
 * VG-EXPECT-STACK[clang-O2]: indirect malloc <- strdup <- main
 * VG-DIFFERS[clang-O2]: valgrind 3.19 reads no inlined calls from clang 14's DWARF 5 (it does from gcc's, and from clang's -gdwarf-4): its stacks lack the inlined frames leakcheck shows
 */
#include <stdlib.h>
#include <string.h>

struct rec {
	struct rec *next;
	char *name;
	int id;
};

/* the list, published here and then dropped: gcc -O2 deletes a list that
 * nothing reads */
static void *volatile sink;

static struct rec *push_front(struct rec *head, const char *name, int id)
{
	struct rec *r = malloc(sizeof(*r));

	r->next = head;
	r->name = strdup(name);
	r->id = id;
	return r;
}

int main(void)
{
	struct rec *head = NULL;

	head = push_front(head, "alice", 1);
	head = push_front(head, "bob", 2);
	head = push_front(head, "carol", 3);
	sink = head;
	sink = NULL;
	head = NULL; /* forgot to free the list */
	return 0;
}
