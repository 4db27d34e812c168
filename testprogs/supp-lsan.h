/* supp-lsan.h: an allocation whose frame's source file is this header,
 * for the "leak:supp-lsan.h" suppression of supp-lsan.c. */
static __attribute__((noinline)) void header_leak(void)
{
	/* volatile, or -O2 deletes the unread block */
	char *volatile p = malloc(333);

	memset(p, 'h', 333);
}
