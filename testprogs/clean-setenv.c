/* clean-setenv: a program that sets environment variables and exits.
 *
 *   setenv("EXAMPLE_MODE", "fast", 1), setenv("EXAMPLE_LEVEL", "3", 1),
 *   setenv("EXAMPLE_MODE", "slow", 1): glibc mallocs the "NAME=value"
 *   strings and a new environ array, which stay until exit
 *
 * They are glibc's: __libc_freeres frees them at exit, and valgrind says
 * "All heap blocks were freed".  A checker must report nothing.
 *
 * VG-HEAP-DIFFERS: setenv's array holds the environment, and valgrind
 *   adds five variables to it (LD_PRELOAD...): 64 bytes more there
 * EXPECT: definite=0/0 indirect=0/0 possible=0/0 reachable=0/0
 */
#include <stdlib.h>
#include <string.h>

int main(void)
{
	if (setenv("EXAMPLE_MODE", "fast", 1) || setenv("EXAMPLE_LEVEL", "3", 1) ||
	    setenv("EXAMPLE_MODE", "slow", 1))
		return 2;
	return strcmp(getenv("EXAMPLE_MODE"), "slow") != 0;
}
