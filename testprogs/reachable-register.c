/* reachable-register: at exit the only pointer is in a callee-saved
 * register.
 *
 *   exit_holding_r12 (assembly): r12 = alloc_block() -> block (2048 bytes)
 *                                clear the stack and the caller-saved
 *                                registers, exit(0) with r12 intact
 *
 * At -O0 a C local always has a stack slot, so the sequence is written in
 * assembly: the pointer goes from rax straight to r12 and never to memory.
 * exit() is entered with the pointer in r12 only: leakcheck takes the
 * exiting thread's registers at exit() entry and finds it there.
 * valgrind checks at the exit_group syscall and ignores the exiting
 * thread's registers (see register-exit-group), but by then exit()'s
 * callee __run_exit_handlers has saved r12 in its frame, above the
 * exit_group sp: valgrind finds the pointer on the stack.  Both: still
 * reachable.  (A callee-saved register at exit() entry is as good as a
 * stack word: any callee that uses it saves it there.)
 *
 * The setup is explicit, on purpose: this test is about a register root,
 * so the assembly zeroes the stack below it and the caller-saved
 * registers, leaving the pointer in r12 alone.  (The leak-pattern
 * testprogs do no such thing: they are written as users write them.)
 *
 * EXPECT: definite=0/0 indirect=0/0 possible=0/0 reachable=2048/1
 */
#include <stddef.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

__attribute__((used)) NOINLINE void *alloc_block(void)
{
	return calloc(1, 2048);
}

/* Zero the stack below the caller's frame: part of the setup (above). */
__attribute__((used)) NOINLINE void clear_stack_asm(void)
{
	volatile char buf[16384];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = 0;
}

void exit_holding_r12(void);

__asm__(".text\n"
	".globl exit_holding_r12\n"
	".type exit_holding_r12, @function\n"
	"exit_holding_r12:\n"
	"	sub $8, %rsp\n" /* 16-byte alignment at the calls */
	"	call alloc_block\n"
	"	mov %rax, %r12\n"
	"	call clear_stack_asm\n"
	"	xor %eax, %eax\n"
	"	xor %ecx, %ecx\n"
	"	xor %edx, %edx\n"
	"	xor %esi, %esi\n"
	"	xor %r8d, %r8d\n"
	"	xor %r9d, %r9d\n"
	"	xor %r10d, %r10d\n"
	"	xor %r11d, %r11d\n"
	"	pxor %xmm0, %xmm0\n"
	"	pxor %xmm1, %xmm1\n"
	"	xor %edi, %edi\n"
	"	call exit@PLT\n"
	"	ud2\n"
	".size exit_holding_r12, .-exit_holding_r12\n");

int main(void)
{
	exit_holding_r12();
	return 1;
}
