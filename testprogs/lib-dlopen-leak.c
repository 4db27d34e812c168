/* lib-dlopen-leak: the shared library that dlopen-leak and dlclose-leak
 * load with dlopen ("./lib-dlopen-leak.so").  No expectations of its own.
 *
 * BUILD: shlib
 *
 *   constructor:     malloc(48), dropped                 (lost)
 *                    lib_kept = malloc(96)               (lib's .bss)
 *   lib_leak():      malloc(784), dropped                (lost)
 *
 * While the library is loaded, lib_kept is a root (a writable mapping of a
 * loaded module); once it is dlclose'd and unmapped, nothing points to the
 * 96-byte block any more.
 */
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

void *lib_kept;

static NOINLINE void lib_lose(size_t n)
{
	/* volatile, or -O2 deletes the unread block */
	char *volatile p = malloc(n);

	memset(p, 0, n);
}

__attribute__((constructor)) static void lib_init(void)
{
	lib_lose(48);
	lib_kept = malloc(96);
}

void lib_leak(void);

void lib_leak(void)
{
	lib_lose(784);
}
