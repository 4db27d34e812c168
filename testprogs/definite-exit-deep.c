/* definite-exit-deep: a leak, then exit(2) from deep in a call chain,
 * where a configuration file turns out to be bad.
 *
 *   main -> run -> load_config -> parse_line -> exit(2)
 *     run's frame:         path = strdup(...) (25 bytes)  still reachable
 *     load_config's frame: line = malloc(256)             still reachable
 *     open_log (returned): buf = malloc(100), dropped     definitely lost
 *
 * exit() is called with the chain's frames live: what they hold is a
 * root, so path and line are still reachable (valgrind scans the stack
 * from the exit_group sp up, which takes in those frames).  open_log's
 * frame is dead, below them: its buffer is definitely lost.  path and
 * line are volatile so that their frames hold them at -O2 too (else the
 * compiler may keep them in a register only, or not at all, since
 * exit() does not return); buf is, so that -O2 keeps the malloc.
 * open_log is noinline: inlined (gcc and clang do at -O2) its buf would
 * live in load_config's frame, live at exit, and be still reachable --
 * as valgrind then says.
 *
 * EXPECT: definite=100/1 indirect=0/0 possible=0/0 reachable=281/2
 * EXPECT-STATUS: 2
 * EXPECT-STACK: definite malloc <- open_log <- load_config <- run <- main
 * EXPECT-STACK: reachable malloc <- load_config <- run <- main
 * VG-EXPECT-STACK[clang-O2]: definite malloc <- open_log <- main
 * VG-EXPECT-STACK[clang-O2]: reachable malloc <- main
 * VG-DIFFERS[clang-O2]: valgrind 3.19 reads no inlined calls from clang 14's DWARF 5 (it does from gcc's, and from clang's -gdwarf-4): its stacks lack the inlined frames leakcheck shows
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static __attribute__((noinline)) void open_log(void)
{
	char *volatile buf = malloc(100);

	snprintf(buf, 100, "log opened");
	/* forgot free(buf) */
}

static int parse_line(const char *line)
{
	if (!strchr(line, '=')) {
		fprintf(stderr, "config: no '=' in \"%s\"\n", line);
		exit(2);
	}
	return 1;
}

static int load_config(const char *path)
{
	char *volatile line = malloc(256);
	int n;

	open_log();
	snprintf(line, 256, "%s: listen 8080", path);
	n = parse_line(line);
	free(line);
	return n;
}

static int run(void)
{
	char *volatile path = strdup("/etc/example/server.conf");
	int n = load_config(path);

	free(path);
	return n;
}

int main(void)
{
	return run() == 1 ? 0 : 1;
}
