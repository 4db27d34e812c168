/* dlopen-leak: leaks inside a dlopen'ed library, which stays loaded.
 *
 *   dlopen("./lib-dlopen-leak.so", RTLD_NOW): its constructor runs
 *     malloc(48), dropped                         definitely lost
 *     lib_kept (lib's .bss) -> malloc(96)         still reachable
 *   lib_leak(): malloc(784), dropped              definitely lost
 *   the handle is kept in a global; no dlclose
 *
 * glibc's own dlopen bookkeeping is malloc'd (by ld.so, through libc's
 * malloc) and reachable from ld.so's data, so it is still reachable,
 * less what __libc_freeres frees at exit (valgrind's default).  Measured
 * with valgrind on Debian 12 (glibc 2.36), 1,583 bytes in 5 blocks:
 *      96  lib_kept
 *      21  the name "./lib-dlopen-leak.so" (_dl_map_object)
 *      72  version table (_dl_check_map_versions)
 *     149  origin directory (_dl_new_object: realloc to strlen(name) + 1
 *          + 128, enough for the cwd when it is shorter than 128 bytes)
 *   1,245  the link map (_dl_new_object)
 * and freed by __libc_freeres: the dependency list (56 bytes,
 * _dl_map_object_deps) and _dl_find_object's mapping segment (2,304).
 *
 * EXPECT: definite=832/2 indirect=0/0 possible=0/0 reachable=1583/5
 */
#include <dlfcn.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

void *handle;

static NOINLINE void load(void)
{
	void (*fn)(void);

	handle = dlopen("./lib-dlopen-leak.so", RTLD_NOW);
	if (!handle)
		exit(2);
	fn = (void (*)(void))dlsym(handle, "lib_leak");
	if (!fn)
		exit(3);
	fn();
}

int main(void)
{
	load();
	return 0;
}
