/*
 * test_sym: the symbolizer on ourselves.  We read our own /proc/self/maps
 * and resolve addresses in this file (noinline functions, an inlined one,
 * main), in libc, and nowhere, plus synthetic maps whose files are gone.
 * Line expectations are __LINE__ markers in the same statement as the
 * call, so they hold at -O2 as at -O0 and survive clang-format.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "leakcheck/sym.h"
#include "leakcheck/util.h"

#if defined(__clang__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE __attribute__((noinline, noclone))
#endif

uintptr_t sym_test_callee(int *line);
uintptr_t sym_test_inline_caller(int *inner, int *outer);

/* Returns its own return address: a PC inside the caller. */
static NOINLINE uintptr_t here(void)
{
	uintptr_t ra = (uintptr_t)__builtin_return_address(0);
	__asm__ volatile("" : "+r"(ra));
	return ra;
}

NOINLINE uintptr_t sym_test_callee(int *line)
{
	uintptr_t ra = (*line = __LINE__, here());
	__asm__ volatile("" : "+r"(ra)); /* no tail call */
	return ra;
}

static inline __attribute__((always_inline)) uintptr_t sym_test_inl(int *line)
{
	uintptr_t ra = (*line = __LINE__, here());
	__asm__ volatile("" : "+r"(ra));
	return ra;
}

NOINLINE uintptr_t sym_test_inline_caller(int *inner, int *outer)
{
	uintptr_t ra = (*outer = __LINE__, sym_test_inl(inner));
	__asm__ volatile("" : "+r"(ra));
	return ra;
}

static char *read_file(const char *path)
{
	int fd = open(path, O_RDONLY);
	size_t len = 0, cap = 0;
	char *buf = NULL;
	ssize_t r;

	if (fd < 0)
		return NULL;
	do {
		buf = xgrow(buf, &cap, len + 4096, 1);
		r = read(fd, buf + len, cap - len - 1);
		if (r > 0)
			len += r;
	} while (r > 0);
	close(fd);
	buf[len] = 0;
	return buf;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n, m = strlen(suffix);
	if (!s)
		return 0;
	n = strlen(s);
	return n >= m && !strcmp(s + n - m, suffix);
}

static void test_noinline(struct symbolizer *s)
{
	struct sym_frame f[8], g[8];
	int line = 0;
	uintptr_t ra = sym_test_callee(&line);
	int n = sym_lookup(s, ra, 1, f, 8);

	CHECK_EQ_U(n, 1);
	CHECK_STR(f[0].func, "sym_test_callee");
	CHECK_STR(f[0].mangled, "sym_test_callee");
	CHECK(ends_with(f[0].file, "test_sym.c"));
	CHECK_EQ_U(f[0].line, line);
	CHECK(f[0].module && strstr(f[0].module, "test_sym"));
	CHECK_EQ_U(f[0].pc, ra);
	CHECK_EQ_U(f[0].inlined, 0);

	/* cached: the very same pointers */
	CHECK_EQ_U(sym_lookup(s, ra, 1, g, 8), n);
	CHECK(g[0].func == f[0].func);
	CHECK(g[0].file == f[0].file);
	CHECK(g[0].module == f[0].module);
	CHECK_EQ_U(g[0].line, f[0].line);

	/* the entry point, not a return address */
	n = sym_lookup(s, (uintptr_t)sym_test_callee, 0, g, 8);
	CHECK_EQ_U(n, 1);
	CHECK(g[0].func == f[0].func); /* interned */
	CHECK(g[0].module == f[0].module);
	CHECK(g[0].file == f[0].file);
}

static void test_inline(struct symbolizer *s)
{
	struct sym_frame f[8];
	int inner = 0, outer = 0;
	uintptr_t ra = sym_test_inline_caller(&inner, &outer);
	int n = sym_lookup(s, ra, 1, f, 8);

	CHECK_EQ_U(n, 2);
	CHECK_STR(f[0].func, "sym_test_inl");
	CHECK_STR(f[0].mangled, "sym_test_inl");
	CHECK(ends_with(f[0].file, "test_sym.c"));
	CHECK_EQ_U(f[0].line, inner);
	CHECK_EQ_U(f[0].inlined, 1);
	if (n == 2) {
		CHECK_STR(f[1].func, "sym_test_inline_caller");
		CHECK_STR(f[1].mangled, "sym_test_inline_caller");
		CHECK(ends_with(f[1].file, "test_sym.c"));
		CHECK_EQ_U(f[1].line, outer);
		CHECK_EQ_U(f[1].inlined, 0);
		CHECK(f[1].module == f[0].module);
		CHECK_EQ_U(f[1].pc, ra);
	}

	/* MAX cuts the chain, innermost kept */
	n = sym_lookup(s, ra, 1, f, 1);
	CHECK_EQ_U(n, 1);
	CHECK_STR(f[0].func, "sym_test_inl");
}

static void test_libc(struct symbolizer *s)
{
	/* libc's own malloc, not a sanitizer's interceptor */
	void *h = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	void *m = h ? dlsym(h, "malloc") : NULL;
	struct sym_frame f[8];
	int n;

	CHECK(m != NULL);
	if (!m)
		return;
	n = sym_lookup(s, (uintptr_t)m, 0, f, 8);
	CHECK(n >= 1);
	CHECK(f[0].module && strstr(f[0].module, "libc.so.6"));
	CHECK(f[0].func && (!strcmp(f[0].func, "malloc") ||
			    !strcmp(f[0].func, "__libc_malloc")));
	/* inside it */
	n = sym_lookup(s, (uintptr_t)m + 4, 0, f, 8);
	CHECK(f[n - 1].func && (!strcmp(f[n - 1].func, "malloc") ||
				!strcmp(f[n - 1].func, "__libc_malloc")));
	dlclose(h);
}

/*
 * A library without DWARF here (libz, through libdw): the function comes
 * from .dynsym.
 */
static void test_no_dwarf(struct symbolizer *s)
{
	void *h = dlopen("libz.so.1", RTLD_NOW | RTLD_NOLOAD);
	void *fn = h ? dlsym(h, "zlibVersion") : NULL;
	struct sym_frame f[8];
	int n;

	CHECK(fn != NULL);
	if (!fn)
		return;
	n = sym_lookup(s, (uintptr_t)fn + 1, 0, f, 8);
	CHECK(n >= 1);
	CHECK_STR(f[n - 1].func, "zlibVersion");
	CHECK(f[0].module && strstr(f[0].module, "libz.so"));
	CHECK((f[0].file == NULL) == (f[0].line == 0));
	dlclose(h);
}

static void test_nowhere(struct symbolizer *s)
{
	struct sym_frame f[8];
	int n = sym_lookup(s, 0x10, 0, f, 8);

	CHECK_EQ_U(n, 1);
	CHECK_EQ_U(f[0].pc, 0x10);
	CHECK(f[0].func == NULL);
	CHECK(f[0].file == NULL);
	CHECK(f[0].module == NULL);
	CHECK_EQ_U(f[0].line, 0);
	CHECK_EQ_U(f[0].inlined, 0);

	n = sym_lookup(s, 0, 1, f, 8);
	CHECK_EQ_U(n, 1);
	CHECK(f[0].func == NULL);
}

/* Files that are gone give a module path and nothing else. */
static void test_gone_files(void)
{
	static const char maps[] =
	    "00400000-00401000 r-xp 00000000 08:01 1234 "
	    "/nonexistent/lc-deleted.so (deleted)\n"
	    "00500000-00501000 r-xp 00000000 08:01 1235 "
	    "/nonexistent/lc-missing.so\n"
	    "00600000-00601000 rw-p 00000000 00:00 0 \n"
	    "00700000-00701000 rw-p 00000000 00:00 0 [heap]\n"
	    "00800000-00801000 rw-s 00000000 00:05 77 /dev/zero (deleted)\n";
	struct symbolizer *s = sym_new_from_maps(maps, 1);
	struct sym_frame f[8];
	int n;

	CHECK(s != NULL);
	if (!s)
		return;
	n = sym_lookup(s, 0x400800, 1, f, 8);
	CHECK_EQ_U(n, 1);
	CHECK(f[0].module && strstr(f[0].module, "/nonexistent/lc-deleted.so"));
	CHECK(f[0].func == NULL);
	CHECK(f[0].file == NULL);
	CHECK_EQ_U(f[0].line, 0);

	n = sym_lookup(s, 0x500010, 0, f, 8);
	CHECK_EQ_U(n, 1);
	CHECK_STR(f[0].module, "/nonexistent/lc-missing.so");
	CHECK(f[0].func == NULL);

	n = sym_lookup(s, 0x600010, 0, f, 8);
	CHECK(f[0].module == NULL);
	n = sym_lookup(s, 0x700010, 0, f, 8);
	CHECK(f[0].module == NULL);
	n = sym_lookup(s, 0x800010, 0, f, 8);
	CHECK(f[0].func == NULL);
	sym_free(s);

	/* empty maps: a symbolizer that knows nothing */
	s = sym_new_from_maps("", 1);
	CHECK(s != NULL);
	if (s) {
		n = sym_lookup(s, 0x400800, 0, f, 8);
		CHECK_EQ_U(n, 1);
		CHECK(f[0].module == NULL);
		sym_free(s);
	}

	/* not maps at all */
	errno = 0;
	s = sym_new_from_maps("this is not a maps file\n", 1);
	CHECK(s == NULL);
	CHECK_EQ_U(errno, EINVAL);
	sym_free(s);
}

int main(void)
{
	char *maps = read_file("/proc/self/maps");
	struct symbolizer *s;
	struct sym_frame f[8];
	int n;

	CHECK(maps != NULL);
	if (!maps)
		return check_done("sym");
	s = sym_new_from_maps(maps, getpid());
	CHECK(s != NULL);
	if (s) {
		int line;
		uintptr_t ra = (line = __LINE__, here());
		__asm__ volatile("" : "+r"(ra));

		n = sym_lookup(s, ra, 1, f, 8);
		CHECK_EQ_U(n, 1);
		CHECK_STR(f[0].func, "main");
		CHECK(ends_with(f[0].file, "test_sym.c"));
		CHECK_EQ_U(f[0].line, line);

		test_noinline(s);
		test_inline(s);
		test_libc(s);
		test_no_dwarf(s);
		test_nowhere(s);
		sym_free(s);
	}
	test_gone_files();
	free(maps);
	return check_done("sym");
}
