/* underscore-exit: the program ends with _exit(5): no atexit handlers, no
 * exit() breakpoint; the scan is at the exit_group stop, with the stack
 * from that sp (the exiting thread's registers are no roots there, as in
 * register-exit-group).
 *
 *   malloc(1024), dropped          definitely lost
 *   global kept -> malloc(64)      still reachable
 *   _exit(5)
 *
 * EXPECT: definite=1024/1 indirect=0/0 possible=0/0 reachable=64/1
 * EXPECT-STATUS: 5
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

void *kept;

static NOINLINE void leak(void)
{
	/* volatile, or -O2 deletes the unread block */
	char *volatile p = malloc(1024);

	memset(p, 0, 1024);
	kept = malloc(64);
}

int main(void)
{
	leak();
	_exit(5);
}
