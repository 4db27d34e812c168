/* supp-lsan.h: an allocation whose frame's source file is this header,
 * for the "leak:supp-lsan.h" suppression of supp-lsan.c. */
static __attribute__((noinline)) void header_leak(void)
{
	char *p = malloc(333);

	memset(p, 'h', 333);
}
