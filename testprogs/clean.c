/* clean: every block is freed; no stdio, so glibc allocates nothing either.
 *
 *   malloc(100) -> free
 *   calloc(10, 20) -> realloc(, 4000) -> free
 *   a 10-node list built and freed node by node
 *
 * Nothing is live at exit: valgrind says "All heap blocks were freed".
 *
 * EXPECT: definite=0/0 indirect=0/0 possible=0/0 reachable=0/0
 */
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

struct node {
	struct node *next;
	long payload[3];
};

static NOINLINE void churn(void)
{
	/* volatile, or -O2 deletes pairs of calls: nothing would be tested */
	char *volatile a = malloc(100);
	char *volatile b = calloc(10, 20);

	a[0] = 1;
	b = realloc(b, 4000);
	b[3999] = 1;
	free(a);
	free(b);
}

static NOINLINE void list(void)
{
	struct node *volatile head = NULL; /* as in churn() */
	struct node *n;

	for (int i = 0; i < 10; i++) {
		n = malloc(sizeof(*n));
		n->next = head;
		head = n;
	}
	while (head) {
		n = head->next;
		free(head);
		head = n;
	}
}

int main(void)
{
	churn();
	list();
	return 0;
}
