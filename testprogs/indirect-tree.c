/* indirect-tree: a binary search tree built by recursive insertion, whose
 * root pointer is dropped without freeing.
 *
 *   keys inserted: 50 30 70 20 40 60 80 (a balanced tree of 7 nodes)
 *
 *          50            root: definitely lost
 *        /    \
 *      30      70        the 6 other nodes: indirectly lost
 *     /  \    /  \
 *   20   40  60   80
 *
 * Each node is malloc(24) (left, right, key): 24 bytes definitely lost,
 * 144 bytes in 6 blocks indirectly lost.
 *
 * EXPECT: definite=24/1 indirect=144/6 possible=0/0 reachable=0/0
 * EXPECT-STACK: definite malloc <- insert <- build <- main
 * EXPECT-STACK: indirect malloc <- insert <- insert <- build <- main
 * VG-EXPECT-STACK[clang-O2]: definite malloc <- main
 * VG-EXPECT-STACK[clang-O2]: indirect malloc <- insert <- insert <- main
 * VG-DIFFERS[clang-O2]: valgrind 3.19 reads no inlined calls from clang 14's DWARF 5 (it does from gcc's, and from clang's -gdwarf-4): its stacks lack the inlined frames leakcheck shows
 */
#include <stdlib.h>

struct node {
	struct node *left, *right;
	long key;
};

/* the tree, published here and then dropped: gcc -O2 deletes a tree
 * that nothing reads */
static void *volatile sink;

static struct node *insert(struct node *t, long key)
{
	if (!t) {
		t = malloc(sizeof(*t));
		t->left = t->right = NULL;
		t->key = key;
	} else if (key < t->key) {
		t->left = insert(t->left, key);
	} else {
		t->right = insert(t->right, key);
	}
	return t;
}

static struct node *build(void)
{
	static const long keys[] = {50, 30, 70, 20, 40, 60, 80};
	struct node *root = NULL;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		root = insert(root, keys[i]);
	return root;
}

int main(void)
{
	struct node *root = build();

	sink = root;
	sink = NULL;
	root = NULL; /* forgot to free the tree */
	return 0;
}
