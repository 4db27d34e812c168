/* other-stacks: allocations made on stacks other than the thread's own,
 * which the fast path leaves to the trap path (it copies the stack top
 * only on a stack whose extent it knows):
 *
 *   a ucontext coroutine on a malloc'd 64 KiB stack: malloc(100),
 *     dropped                                            definitely lost
 *   a SIGUSR1 handler on a sigaltstack (static): malloc(200), kept
 *     in a global                                        still reachable
 *   back on the thread's own stack: malloc(300) kept in a global,
 *     and the coroutine's stack freed                    still reachable
 *
 * The coroutine's stack is freed as it is, dead frames and all: freed
 * memory is no root, so co_leak's stale pointer there keeps nothing.
 *
 * EXPECT: definite=100/1 indirect=0/0 possible=0/0 reachable=500/2
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#define NOINLINE __attribute__((noinline))

static ucontext_t main_ctx, co_ctx;
static char alt[65536];
void *kept, *kept_sig;

static NOINLINE void co_leak(void)
{
	/* volatile, or -O2 deletes the unread block */
	char *volatile p = malloc(100);

	memset(p, 'c', 100);
}

static void co_main(void)
{
	co_leak();
}

static void on_usr1(int sig)
{
	(void)sig;
	kept_sig = malloc(200);
}

int main(void)
{
	stack_t ss = {.ss_sp = alt, .ss_size = sizeof(alt)};
	struct sigaction sa;
	char *co_stack = malloc(65536);

	getcontext(&co_ctx);
	co_ctx.uc_stack.ss_sp = co_stack;
	co_ctx.uc_stack.ss_size = 65536;
	co_ctx.uc_link = &main_ctx;
	makecontext(&co_ctx, co_main, 0);
	swapcontext(&main_ctx, &co_ctx);
	free(co_stack);

	sigaltstack(&ss, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_ONSTACK;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);

	kept = malloc(300);
	return 0;
}
