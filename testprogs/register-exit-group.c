/* register-exit-group: the process ends with a raw exit_group system call
 * while the only pointer is in a register of the exiting thread.  exit()
 * is never called, so no exit() breakpoint fires: the scan happens at the
 * exit_group stop.
 *
 *   exit_group_holding_r12 (assembly): r12 = alloc_block() -> block (2064)
 *                                      clear stack and caller-saved regs
 *                                      syscall exit_group(7)
 *
 * valgrind does not take the registers of the thread that calls
 * exit_group as roots (syswrap-linux.c, PRE(sys_exit_group): "this thread
 * is the thread calling exit_group and so its registers must be considered
 * as not reachable"); the registers of the other threads it does take.
 * leakcheck follows: definitely lost.  (Compare reachable-register, where
 * exit() is called and the pointer is in a callee-saved register at exit()
 * entry, and reachable-other-thread-register.)  Exit status 7.
 *
 * The setup is explicit, on purpose: this test is about the exiting
 * thread's registers, so the assembly zeroes the stack below it and the
 * other caller-saved registers, leaving the pointer in r12 alone.
 *
 * EXPECT: definite=2064/1 indirect=0/0 possible=0/0 reachable=0/0
 * EXPECT-STATUS: 7
 * ALLOC-EXTRA[jemalloc,tcmalloc]: reachable=72704/1 (libstdc++'s emergency
 *   exception pool: jemalloc and tcmalloc load libstdc++, and a program
 *   that dies by a signal (or by exit_group) runs no freeres, under
 *   valgrind neither.)
 */
#include <stddef.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

__attribute__((used)) NOINLINE void *alloc_block(void)
{
	return calloc(1, 2064);
}

/* Zero the stack below the caller's frame: part of the setup (above). */
__attribute__((used)) NOINLINE void clear_stack_asm(void)
{
	volatile char buf[16384];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = 0;
}

void exit_group_holding_r12(void);

__asm__(".text\n"
	".globl exit_group_holding_r12\n"
	".type exit_group_holding_r12, @function\n"
	"exit_group_holding_r12:\n"
	"	sub $8, %rsp\n"
	"	call alloc_block\n"
	"	mov %rax, %r12\n"
	"	call clear_stack_asm\n"
	"	xor %ecx, %ecx\n"
	"	xor %edx, %edx\n"
	"	xor %esi, %esi\n"
	"	xor %r8d, %r8d\n"
	"	xor %r9d, %r9d\n"
	"	xor %r10d, %r10d\n"
	"	xor %r11d, %r11d\n"
	"	pxor %xmm0, %xmm0\n"
	"	pxor %xmm1, %xmm1\n"
	"	mov $7, %edi\n"
	"	mov $231, %eax\n" /* SYS_exit_group */
	"	syscall\n"
	"	ud2\n"
	".size exit_group_holding_r12, .-exit_group_holding_r12\n");

int main(void)
{
	exit_group_holding_r12();
	return 1;
}
