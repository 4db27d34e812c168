/* clean-printf: a program that prints with printf and exits; it
 * allocates nothing itself.
 *
 *   printf allocates stdout's buffer (4,096 bytes when stdout is a file
 *   or a pipe, 1,024 on a terminal), pointed to from libc's
 *   _IO_2_1_stdout_; exit() flushes it
 *
 * The buffer is glibc's: __libc_freeres frees it at exit, and valgrind
 * says "All heap blocks were freed".  A checker must report nothing.
 *
 * EXPECT: definite=0/0 indirect=0/0 possible=0/0 reachable=0/0
 */
#include <stdio.h>

int main(void)
{
	printf("hello, %s\n", "world");
	printf("%d + %d = %d\n", 2, 2, 4);
	return 0;
}
