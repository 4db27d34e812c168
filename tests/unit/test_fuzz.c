/*
 * test_fuzz: the parsers of what users hand leakcheck -- suppression files
 * (valgrind's and LSan's formats) and the JUnit and SARIF files
 * "leakcheck merge" reads -- fed mutations of valid inputs: bit flips,
 * bytes set, inserted and deleted, runs duplicated, cut short.  A fixed
 * seed and a fixed count (FUZZ_N per seed input), so every run is the
 * same run; make check-asan runs it under ASan and UBSan, where a bad
 * read, a leak or undefined behaviour fails it.
 *
 * What is checked besides not crashing: each parse returns 0 or its
 * documented error (with a message when it refuses), a suppression set
 * that parsed still matches a stack, and a merge that succeeded wrote a
 * file that merges again to the same bytes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "leakcheck/report.h"
#include "leakcheck/suppress.h"
#include "leakcheck/util.h"

#define FUZZ_N 2000

static unsigned long long rng = 0x2545f4914f6cdd1dull;

/* a fixed sequence, not randomness */
static uint64_t next(void)
{
	return check_rand(&rng);
}

/* A mutation of SEED (LEN bytes), malloc'd and NUL-terminated (it may
 * hold a NUL of its own: binary input is one of the mutations); its
 * length in *OUTLEN. */
static char *mutate(const char *seed, size_t len, size_t *outlen)
{
	size_t cap = len * 2 + 64, n = len;
	char *s = xmalloc(cap + 1);
	int rounds = 1 + (int)(next() % 4);

	memcpy(s, seed, len);
	for (int r = 0; r < rounds; r++) {
		size_t at = n ? next() % n : 0, k;
		switch (next() % 6) {
		case 0: /* flip a bit */
			if (n)
				s[at] ^= (char)(1u << (next() % 8));
			break;
		case 1: /* set a byte: text bytes mostly, sometimes any */
			if (n) {
				static const char text[] =
				    " {}[]:\",\n*?<>&'x0";
				s[at] =
				    (char)(next() % 8 ? text[next() %
							     (sizeof(text) - 1)]
						      : (int)(next() % 256));
			}
			break;
		case 2: /* insert a byte */
			if (n < cap) {
				memmove(s + at + 1, s + at, n - at);
				s[at] = "{\n}\"<:"[next() % 6];
				n++;
			}
			break;
		case 3: /* delete a run */
			k = n - at ? next() % (n - at < 16 ? n - at : 16) : 0;
			memmove(s + at, s + at + k, n - at - k);
			n -= k;
			break;
		case 4: /* duplicate a run */
			k = next() % 64;
			if (at + k <= n && n + k <= cap) {
				memmove(s + at + k, s + at, n - at);
				n += k;
			}
			break;
		default: /* cut short */
			n = at;
			break;
		}
	}
	s[n] = 0;
	*outlen = n;
	return s;
}

static const char *const supp_seeds[] = {
    "{\n   leak-in-lib\n   Memcheck:Leak\n   match-leak-kinds: "
    "definite,possible\n   fun:malloc\n   fun:make_*\n   ...\n   "
    "obj:*/libfoo.so*\n   fun:main\n}\n# comment\n{\n   other\n   "
    "Memcheck:Leak\n   fun:calloc\n   src:list.c:10\n}\n",
    "# LSan\nleak:make_node\nleak:libfoo.so\nleak:^build_\nleak:list.c\n",
};

static const struct supp_frame stack[] = {
    {"malloc", "malloc", "/lib/x86_64-linux-gnu/libc.so.6", NULL, 0, 0},
    {"make_node", "make_node", "/usr/bin/prog", "/src/list.c", 10, 0},
    {"main", "main", "/usr/bin/prog", "/src/main.c", 5, 0},
};

static void fuzz_suppressions(void)
{
	unsigned ok = 0, refused = 0;

	for (size_t s = 0; s < sizeof(supp_seeds) / sizeof(*supp_seeds); s++) {
		for (int i = 0; i < FUZZ_N; i++) {
			struct supp_set set;
			size_t len;
			char *text = mutate(supp_seeds[s],
					    strlen(supp_seeds[s]), &len),
			     *err = NULL;
			int ret;
			supp_set_init(&set);
			ret = supp_set_parse(&set, "fuzz.supp", text, &err);
			if (ret == 0) {
				ok++;
				/* whatever it holds, matching must work */
				(void)supp_match(&set, LEAK_DEFINITE, stack, 3,
						 1);
			} else {
				refused++;
				CHECK(ret == -EINVAL && err && *err);
			}
			free(err);
			free(text);
			supp_set_release(&set);
		}
	}
	/* the mutations reach both ends */
	CHECK(ok > 0 && refused > 0);
}

static const char junit_seed[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<!-- leakcheck 0.1.0 junit; combine files with: leakcheck merge "
    "OUT.xml IN.xml... -->\n"
    "<testsuites name=\"leakcheck\" tests=\"1\" failures=\"1\" errors=\"0\" "
    "skipped=\"0\" time=\"0.001\">\n"
    "  <testsuite name=\"./prog a\" tests=\"1\" failures=\"1\" errors=\"0\" "
    "skipped=\"0\" time=\"0.001\" timestamp=\"2026-12-05T12:00:00\" "
    "hostname=\"h\">\n"
    "    <testcase name=\"definitely lost in leak from main\" "
    "classname=\"prog\" time=\"0\" file=\"a.c\" line=\"3\">\n"
    "      <failure message=\"10 bytes in 1 blocks are definitely lost\" "
    "type=\"definitely lost\">   at 0x1: malloc\n</failure>\n"
    "    </testcase>\n  </testsuite>\n</testsuites>\n";

static const char sarif_seed[] =
    "{\n  \"version\": \"2.1.0\",\n  \"$schema\": \"x\",\n  \"runs\": [{\n"
    "  \"tool\": {\"driver\": {\"name\": \"leakcheck\"}},\n"
    "  \"results\": [{\"ruleId\": \"leak/definite\"}]\n  }]\n}\n";

static int write_file(const char *path, const char *s, size_t len)
{
	FILE *f = fopen(path, "w");
	int bad;

	if (!f)
		return -1;
	bad = fwrite(s, 1, len, f) != len;
	return fclose(f) || bad ? -1 : 0;
}

static char *slurp(const char *path)
{
	char *s = NULL;
	size_t len;

	return infile_read(path, 1 << 20, &s, &len) ? NULL : s;
}

typedef int (*merge_fn)(const char *, char *const *, size_t, char **, int *);

static void fuzz_merge(const char *what, merge_fn merge, const char *seed,
		       const char *dir, const char *ext)
{
	char *in = xasprintf("%s/in%s", dir, ext);
	char *out = xasprintf("%s/out%s", dir, ext);
	char *out2 = xasprintf("%s/out2%s", dir, ext);
	unsigned ok = 0, refused = 0;

	for (int i = 0; i < FUZZ_N; i++) {
		size_t len;
		char *text = mutate(seed, strlen(seed), &len), *err = NULL;
		char *const args[] = {in, NULL};
		int code = 0, ret;
		if (write_file(in, text, len)) {
			CHECK(!"cannot write the fuzz input");
			free(text);
			break;
		}
		ret = merge(out, args, 1, &err, &code);
		if (ret == 0) {
			/* what it wrote merges again, to the same bytes */
			char *const again[] = {out, NULL};
			char *a, *b, *err2 = NULL;
			int code2 = 0;
			ok++;
			CHECK(merge(out2, again, 1, &err2, &code2) == 0);
			a = slurp(out);
			b = slurp(out2);
			CHECK(a && b && !strcmp(a, b));
			free(a);
			free(b);
			free(err2);
		} else {
			refused++;
			CHECK(err && *err && (code == 65 || code == 66));
		}
		free(err);
		free(text);
	}
	if (!(ok > 0 && refused > 0))
		fprintf(stderr, "%s: %u merged, %u refused\n", what, ok,
			refused);
	/* the mutations reach both ends */
	CHECK(ok > 0 && refused > 0);
	unlink(in);
	unlink(out);
	unlink(out2);
	free(in);
	free(out);
	free(out2);
}

int main(void)
{
	char dir[] = "/tmp/leakcheck-fuzz.XXXXXX";

	fuzz_suppressions();
	if (!mkdtemp(dir)) {
		CHECK(!"mkdtemp");
		return check_done("fuzz");
	}
	fuzz_merge("junit", junit_merge, junit_seed, dir, ".xml");
	fuzz_merge("sarif", sarif_merge, sarif_seed, dir, ".sarif");
	rmdir(dir);
	return check_done("fuzz");
}
