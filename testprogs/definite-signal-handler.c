/* definite-signal-handler: a block allocated inside a signal handler, on
 * the thread's own stack, and dropped.  The allocation's stack goes
 * through the kernel's signal frame (glibc's __restore_rt) into the code
 * the signal interrupted:
 *
 *   main -> sig_send -> raise ... SIGUSR1 -> on_usr1 -> sig_leak:
 *     malloc(48), dropped                                definitely lost
 *   main: malloc(16) kept in a global                    still reachable
 *
 * Its stacks are what tests/cfiwalk.sh compares through a signal frame
 * (the compact tables stop there: a fallback).  The frames past the
 * signal frame are not checked: the fast path's first stack copy (1 KiB)
 * ends inside the signal frame, and the copies grow only after that.
 *
 * EXPECT: definite=48/1 indirect=0/0 possible=0/0 reachable=16/1
 * EXPECT-STACK: definite malloc <- sig_leak <- on_usr1
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

void *kept;
static void *volatile sink;

static NOINLINE void sig_leak(void)
{
	/* volatile, or -O2 deletes the unread block */
	sink = malloc(48);
	sink = NULL;
}

static void on_usr1(int sig)
{
	sig_leak();
	__asm__ volatile("" ::: "memory"); /* no tail call: a frame of its own */
}

static NOINLINE void sig_send(void)
{
	raise(SIGUSR1);
	__asm__ volatile("" ::: "memory");
}

int main(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	kept = malloc(16);
	sig_send();
	return 0;
}
