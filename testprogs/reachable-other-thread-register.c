/* reachable-other-thread-register: the only pointer is in a callee-saved
 * register of a second thread, blocked in pause() while main calls exit().
 *
 *   holder thread (assembly): r12 = alloc_block() -> block (3008 bytes)
 *                             clear its stack, set ready = 1,
 *                             loop: pause() by raw syscall
 *
 * The registers of every thread other than the exiting one are roots
 * (valgrind: VG_(apply_to_GP_regs) includes the threads that exit_group
 * kills): still reachable.  The holder is alive at exit, so its DTV
 * (calloc'd by pthread_create) is live: 272 bytes that valgrind calls
 * possibly lost, because the TCB's dtv field points 16 bytes into it
 * (glibc stores dtv + 1) and no heuristic matches; glibc's own memory,
 * in use, that leakcheck counts still reachable.
 *
 * The setup is explicit, on purpose: this test is about another thread's
 * register, so the holder zeroes the stack below it and its caller-saved
 * registers, leaving the pointer in r12 alone.
 *
 * EXPECT: definite=0/0 indirect=0/0 possible=0/0 reachable=3280/2
 * VG-EXPECT: definite=0/0 indirect=0/0 possible=272/1 reachable=3008/1
 * VG-DIFFERS: the live thread's DTV: valgrind calls it possibly lost (its TCB points 16 bytes into it); it is glibc's own memory, which leakcheck counts as still reachable, never an error kind, as LSan does
 * ALLOC-EXTRA[jemalloc]: reachable=32/0 (a thread's DTV is 16 bytes longer
 *   for each module with TLS that the allocator brings: jemalloc and
 *   libstdc++)
 * ALLOC-EXTRA[tcmalloc]: reachable=48/0 (libtcmalloc, libstdc++, libunwind)
 * ALLOC-EXTRA[mimalloc]: reachable=16/0 (libmimalloc)
 */
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

volatile int ready;

__attribute__((used)) NOINLINE void *alloc_block(void)
{
	return calloc(1, 3008);
}

/* Zero the stack below the caller's frame: part of the setup (above). */
__attribute__((used)) NOINLINE void clear_stack_asm(void)
{
	volatile char buf[16384];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = 0;
}

void *holder(void *);

__asm__(".text\n"
	".globl holder\n"
	".type holder, @function\n"
	"holder:\n"
	"	sub $8, %rsp\n"
	"	call alloc_block\n"
	"	mov %rax, %r12\n"
	"	call clear_stack_asm\n"
	"	xor %eax, %eax\n"
	"	xor %ecx, %ecx\n"
	"	xor %edx, %edx\n"
	"	xor %esi, %esi\n"
	"	xor %edi, %edi\n"
	"	xor %r8d, %r8d\n"
	"	xor %r9d, %r9d\n"
	"	xor %r10d, %r10d\n"
	"	xor %r11d, %r11d\n"
	"	pxor %xmm0, %xmm0\n"
	"	pxor %xmm1, %xmm1\n"
	"	movl $1, ready(%rip)\n"
	"1:	mov $34, %eax\n" /* SYS_pause */
	"	syscall\n"
	"	jmp 1b\n"
	".size holder, .-holder\n");

static NOINLINE void start(void)
{
	pthread_t t;

	pthread_create(&t, NULL, holder, NULL);
	while (!ready)
		sched_yield();
}

int main(void)
{
	start();
	exit(0);
}
