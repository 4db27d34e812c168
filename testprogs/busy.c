/*
 * busy: a program that keeps allocating until it is stopped, for the
 * signal tests of tests/run.sh (no EXPECT line: the suite's leak check
 * skips it).
 *
 * usage: busy SECONDS READYFILE
 *
 * Leaks one block of 100 bytes, writes READYFILE once it runs, then
 * allocates, fills and frees blocks, and makes no system call, for
 * SECONDS; exits 0.  It handles no signal: SIGTERM or SIGHUP ends it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void *volatile kept;

int main(int argc, char **argv)
{
	struct timespec now, end;
	FILE *f;

	if (argc < 3) {
		fprintf(stderr, "usage: busy SECONDS READYFILE\n");
		return 2;
	}
	kept = malloc(100);
	kept = NULL; /* lost */
	f = fopen(argv[2], "w");
	if (!f)
		return 2;
	fclose(f);
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += atol(argv[1]);
	do {
		for (int i = 0; i < 1000; i++) {
			char *volatile p = malloc(16 + (size_t)i);
			memset(p, i, 16);
			free(p);
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec < end.tv_sec ||
		 (now.tv_sec == end.tv_sec && now.tv_nsec < end.tv_nsec));
	return 0;
}
