/* static-leak: leaks in a statically linked executable (no ld.so, no
 * .dynsym: malloc is found in .symtab, and glibc's start-up code calls it).
 *
 * BUILD: static
 * SKIP-VALGRIND: valgrind cannot replace malloc in a static executable (no preload, and --soname-synonyms=somalloc=NONE does not help): it sees no allocation
 *
 *   main: malloc(1024), dropped                    definitely lost
 *         global kept -> malloc(208)               still reachable
 *         global pad -> malloc(256 - origin size)  still reachable (below)
 *
 * Static glibc 2.36 allocates five blocks of its own at start-up, in
 * _dl_non_dynamic_init (listed by a gdb breakpoint census):
 *     28  _dl_get_origin: the executable's directory, strlen(dir) + 2
 *         bytes -- it depends on where the tree is checked out, so main
 *         allocates pad = 256 - that size, keeping the total fixed;
 *         pointed to from _dl_main_map (.data)     still reachable
 *   1225  _dl_new_object: the vDSO's link map, from _dl_sysinfo_map
 *                                                  still reachable
 *    320  _dl_init_paths: the system search-path entries, from
 *         _dl_all_dirs (.data)                     still reachable
 *     40  _dl_init_paths: __rtld_search_dirs.dirs
 *    160  _dl_find_object_init: _dlfo_nodelete_mappings
 * The last two are pointed to only from .data.rel.ro, which is writable
 * while relocating and mprotect'ed read-only (RELRO) before main.
 * valgrind scans only mappings that are readable and writable at the
 * time of the check (mc_leakcheck.c: "if (!(seg->hasR && seg->hasW))
 * continue;"), so in its model they are definitely lost; leakcheck
 * follows it.  (LSan scans whole PF_W segments, RELRO included, and would
 * call them still reachable: definite=1024/1 reachable=2209/7.)
 * With LD_LIBRARY_PATH set, _dl_init_paths allocates more: the program
 * refuses to run then (exit status 9).
 *
 * EXPECT: definite=1224/3 indirect=0/0 possible=0/0 reachable=2009/5
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

void *kept, *pad;

/* The size of _dl_get_origin's block: the directory part of
 * /proc/self/exe, its final '/' replaced by a NUL, plus one byte. */
static NOINLINE size_t origin_size(void)
{
	char buf[4096];
	ssize_t len = readlink("/proc/self/exe", buf, sizeof(buf));

	if (len <= 0 || buf[0] != '/')
		exit(8);
	while (len > 1 && buf[len - 1] != '/')
		len--;
	return len + 1;
}

static NOINLINE void leak(void)
{
	/* volatile, or -O2 deletes the unread block */
	char *volatile p = malloc(1024);
	size_t o = origin_size();

	if (o >= 256)
		exit(8);
	memset(p, 0, 1024);
	kept = malloc(208);
	pad = malloc(256 - o);
}

int main(void)
{
	if (getenv("LD_LIBRARY_PATH"))
		return 9;
	leak();
	return 0;
}
