/* clean: every block is freed; no stdio, so glibc allocates nothing either.
 *
 *   malloc(100) -> free
 *   calloc(10, 20) -> realloc(, 4000) -> free
 *   a 10-node list built and freed node by node
 *
 * Nothing is live at exit: valgrind says "All heap blocks were freed".
 *
 * EXPECT: definite=0/0 indirect=0/0 possible=0/0 reachable=0/0
 */
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

/* Overwrite the dead frames below the caller's with zeros, so that no stale
 * copy of a pointer is left where a scan from sp (less the red zone) finds it. */
static NOINLINE void clear_stack(void)
{
	volatile char buf[16384];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = 0;
}

/* Zero the caller-saved registers, like valgrind's CLEAR_CALLER_SAVED_REGS. */
#define CLEAR_REGS()                                                           \
	__asm__ __volatile__("xor %%eax, %%eax\n\txor %%ecx, %%ecx\n\t"        \
			     "xor %%edx, %%edx\n\txor %%esi, %%esi\n\t"        \
			     "xor %%edi, %%edi\n\txor %%r8d, %%r8d\n\t"        \
			     "xor %%r9d, %%r9d\n\txor %%r10d, %%r10d\n\t"      \
			     "xor %%r11d, %%r11d\n\tpxor %%xmm0, %%xmm0\n\t"   \
			     "pxor %%xmm1, %%xmm1\n\tpxor %%xmm2, %%xmm2\n\t"  \
			     "pxor %%xmm3, %%xmm3\n\tpxor %%xmm4, %%xmm4\n\t"  \
			     "pxor %%xmm5, %%xmm5\n\tpxor %%xmm6, %%xmm6\n\t"  \
			     "pxor %%xmm7, %%xmm7\n\t"                         \
			     :                                                 \
			     :                                                 \
			     : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9",  \
			       "r10", "r11", "xmm0", "xmm1", "xmm2", "xmm3",   \
			       "xmm4", "xmm5", "xmm6", "xmm7", "memory")

struct node {
	struct node *next;
	long payload[3];
};

static NOINLINE void churn(void)
{
	char *a = malloc(100);
	char *b = calloc(10, 20);

	a[0] = 1;
	b = realloc(b, 4000);
	b[3999] = 1;
	free(a);
	free(b);
}

static NOINLINE void list(void)
{
	struct node *head = NULL, *n;

	for (int i = 0; i < 10; i++) {
		n = malloc(sizeof(*n));
		n->next = head;
		head = n;
	}
	while (head) {
		n = head->next;
		free(head);
		head = n;
	}
}

int main(void)
{
	churn();
	list();
	clear_stack();
	CLEAR_REGS();
	return 0;
}
