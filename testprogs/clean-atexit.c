/* clean-atexit: blocks kept in globals for the whole run, freed by an
 * atexit() handler.
 *
 *   main: cache = malloc(1024); table -> {rows -> 16 row pointers,
 *         each -> malloc(32)}; atexit(cleanup); return
 *   cleanup (at exit): frees the rows, the row array, the table, cache
 *
 * The handlers run before the process ends, and the heap is judged when
 * it ends (valgrind: at exit_group): nothing is live, "All heap blocks
 * were freed".  A checker that judges at exit() entry reports 1,024 +
 * 16 x 32 + 128 + 16 bytes still reachable.
 *
 * EXPECT: definite=0/0 indirect=0/0 possible=0/0 reachable=0/0
 */
#include <stdlib.h>

struct table {
	char **rows;
	size_t n;
};

static char *cache;
static struct table *table;

static void cleanup(void)
{
	for (size_t i = 0; i < table->n; i++)
		free(table->rows[i]);
	free(table->rows);
	free(table);
	free(cache);
}

int main(void)
{
	cache = malloc(1024);
	table = malloc(sizeof(*table));
	table->n = 16;
	table->rows = calloc(table->n, sizeof(*table->rows));
	for (size_t i = 0; i < table->n; i++)
		table->rows[i] = malloc(32);
	if (atexit(cleanup) != 0)
		return 1;
	return 0;
}
