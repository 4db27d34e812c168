/*
 * holders1m: a heap of N live blocks (default 1,000,000) shaped as
 * services shape theirs, for timing holder paths and dominators
 * (--show-holders, --top-holders) against a plain scan: a global hash
 * table of 65,536 buckets, each a linked list of sessions (48 bytes), each
 * holding a payload (32 bytes) and, one in four, a pointer to another
 * session (a second holder: dominators are not a tree's); a tenth of the
 * sessions are unlinked from their list and leaked with their payloads
 * (definitely and indirectly lost).
 *
 * usage: holders1m [N]
 */
#include <stdio.h>
#include <stdlib.h>

#define NBUCKETS 65536

struct session {
	struct session *next;
	char *payload;
	struct session *peer;
	long id, pad[2];
};

struct session **table;

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000, nsess = n / 2, lost = 0;
	unsigned long x = 88172645463325252ul;

	table = calloc(NBUCKETS, sizeof(*table));
	if (!table)
		return 1;
	for (long i = 0; i < nsess; i++) {
		struct session *s = malloc(sizeof(*s));
		struct session **b;
		if (!s || !(s->payload = malloc(32)))
			return 1;
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		b = &table[x % NBUCKETS];
		s->id = i;
		s->peer = (i % 4 == 3 && *b) ? *b : NULL;
		s->payload[0] = (char)i;
		if (i % 10 == 9 && *b) {
			/* unlinked: leaked, with its payload */
			s->next = NULL;
			s->peer = NULL;
			lost++;
			continue;
		}
		s->next = *b;
		*b = s;
	}
	printf("%ld sessions, %ld lost\n", nsess, lost);
	return 0;
}
