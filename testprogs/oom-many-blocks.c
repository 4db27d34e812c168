/* oom-many-blocks: many live blocks, on cue, to run leakcheck out of
 * memory (tests/safeio.sh).  Not a leak pattern: no EXPECT line.
 *
 *   writes its pid to READYFILE, waits until GOFILE exists, then
 *   allocates COUNT 16-byte blocks and keeps them all
 *
 * The test caps leakcheck's address space (prlimit --pid) between the
 * two files, so that the table of COUNT blocks cannot fit in it while the
 * program itself is not capped.  Usage: oom-many-blocks READYFILE GOFILE
 * [COUNT]
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long count = argc > 3 ? atol(argv[3]) : 4000000;
	void **v;
	FILE *f;

	if (argc < 3)
		return 2;
	v = malloc((size_t)count * sizeof(*v));
	if (!v)
		return 3;
	f = fopen(argv[1], "w");
	if (!f)
		return 4;
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
	while (access(argv[2], F_OK) != 0)
		usleep(10000);
	for (long i = 0; i < count; i++)
		v[i] = malloc(16);
	/* still here: leakcheck did not stop it */
	puts("oom-many-blocks: all allocated");
	return 0;
}
