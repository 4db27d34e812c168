/* definite-escape-name: a leak whose stack has names with control bytes,
 * as a hostile or broken binary can have them.
 *
 *   main -> "leak\x1b[31mred\x7f..." (an ESC sequence in its symbol, an
 *   assembler label) -> do_leak (its source file named with ESC too,
 *   by #line): p = malloc(16), dropped
 *
 * Definitely lost.  The text report must print those names with the
 * control bytes escaped (\x1b), never raw: tests/safeio.sh checks it;
 * valgrind 3.19 prints them raw.
 *
 * EXPECT: definite=16/1 indirect=0/0 possible=0/0 reachable=0/0
 * EXPECT-STACK: definite malloc <- do_leak <- leak.+red.+ <- main
 */
#include <stdlib.h>

void *volatile sink;

#line 1 "esc\033[7mfile.c"
__attribute__((noinline, used)) void do_leak(void)
{
	sink = malloc(16);
}
#line 25 "definite-escape-name.c"

/* The name: ESC [31m (red), DEL, a C1 control (U+0085 as UTF-8), an
 * e-acute (printable UTF-8: kept) and a byte that is not UTF-8.  gcc
 * cannot spell it as a label (gas takes it quoted only), so the function
 * is written in assembly; esc_entry, a plain name, jumps to it. */
#define ESC_NAME "\"leak\x1b[31mred\x7f\xc2\x85\xc3\xa9\xff\""
__asm__(".text\n"
	".globl esc_entry\n"
	".type esc_entry, @function\n"
	"esc_entry:\n"
	"\tjmp " ESC_NAME "\n"
	".size esc_entry, .-esc_entry\n"
	".globl " ESC_NAME "\n"
	".type " ESC_NAME ", @function\n" ESC_NAME ":\n"
	"\t.cfi_startproc\n"
	"\tsub $8, %rsp\n"
	"\t.cfi_def_cfa_offset 16\n"
	"\tcall do_leak\n"
	"\tadd $8, %rsp\n"
	"\t.cfi_def_cfa_offset 8\n"
	"\tret\n"
	"\t.cfi_endproc\n"
	".size " ESC_NAME ", .-" ESC_NAME "\n");

void esc_entry(void);

int main(void)
{
	esc_entry();
	sink = 0;
	return 0;
}
