/* holders-via-block: blocks held only through another block.
 *
 *   global registry -> table (40 bytes, make_table)
 *     table +24 (slot[2]) -> entry "b" (32 bytes, make_entry)
 *     table +32 (cursor)  -> 16 bytes into entry "c" (32 bytes, make_entry)
 *
 * Entry b is still reachable, held only by the table: its chain is the
 * global, then the table with the pointer at +24.  Entry c is reached
 * only through an interior pointer: possibly lost, and its chain says
 * where into it the pointer points.  The table retains itself and both
 * entries (104 bytes in 3 blocks); each entry retains only itself.
 *
 * valgrind has no holder paths: the chains are checked in leakcheck's
 * report only (EXPECT-HELD); valgrind is the oracle for the kinds.
 *
 * EXPECT: definite=0/0 indirect=0/0 possible=32/1 reachable=72/2
 * EXPECT-HELD: reachable make_table :: ^held by: global 'registry' \(holders-via-block\.c:[0-9]+, in [^ ]+/holders-via-block\) \+0 \| -> this block \(0x[0-9A-F]+\), which retains 104 bytes in 3 blocks$
 * EXPECT-HELD: reachable make_entry :: ^held by: global 'registry' \(holders-via-block\.c:[0-9]+, in [^ ]+/holders-via-block\) \+0 \| -> 0x[0-9A-F]+ \(40 bytes, allocated at make_table \(holders-via-block\.c:[0-9]+\)\) \+24 \| -> this block \(0x[0-9A-F]+\), which retains 32 bytes in 1 blocks$
 * EXPECT-HELD: possible make_entry :: ^held by: global 'registry' \(holders-via-block\.c:[0-9]+, in [^ ]+/holders-via-block\) \+0 \| -> 0x[0-9A-F]+ \(40 bytes, allocated at make_table \(holders-via-block\.c:[0-9]+\)\) \+32 \| -> this block \(0x[0-9A-F]+, pointed into at \+16\), which retains 32 bytes in 1 blocks$
 */
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

struct entry {
	char name[32];
};

struct table {
	int n, cap;
	struct entry *slot[3];
	char *cursor; /* where a parse of the last entry stopped */
};

struct table *registry;

static NOINLINE struct entry *make_entry(const char *name)
{
	struct entry *e = calloc(1, sizeof(*e));

	strncpy(e->name, name, sizeof(e->name) - 1);
	return e;
}

static NOINLINE struct table *make_table(int cap)
{
	struct table *t = calloc(1, sizeof(*t));

	t->cap = cap;
	return t;
}

static NOINLINE void fill(void)
{
	struct table *t = make_table(3);
	struct entry *c;

	t->slot[2] = make_entry("b");
	t->n = 1;
	c = make_entry("c, the one being parsed");
	t->cursor = c->name + 16;
	registry = t;
}

int main(void)
{
	fill();
	return 0;
}
