/*
 * test_util: infile_read()'s bounds on files made here (every size
 * around its chunk and its limit, a NUL early and late, an empty file, a
 * directory, a FIFO with no writer) and outfile's modes on a regular
 * file: replaced, in place, appended, mode kept, nothing left behind, an
 * error keeps the old contents, an exit before the close leaves no
 * temporary file.  printable_seq() on the bytes the text
 * report escapes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "leakcheck/util.h"

static char dir[] = "/tmp/leakcheck-test-util.XXXXXX";

static char *path_of(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

/* NAME filled with LEN bytes of 'a' and a newline every 64, with a NUL
 * at NUL_AT unless it is (size_t)-1. */
static char *make_file(const char *name, size_t len, size_t nul_at)
{
	char *p = path_of(name), *buf = xmalloc(len + 1);
	FILE *f;

	for (size_t i = 0; i < len; i++)
		buf[i] = i % 64 == 63 ? '\n' : 'a';
	if (nul_at < len)
		buf[nul_at] = 0;
	f = fopen(p, "w");
	CHECK(f != NULL);
	if (f) {
		CHECK_EQ_U(fwrite(buf, 1, len, f), len);
		fclose(f);
	}
	free(buf);
	return p;
}

static void test_infile_sizes(void)
{
	/* around the 64 KiB chunk and the limit */
	static const size_t sizes[] = {0,     1,      65535,  65536,
				       65537, 131071, 131072, 200000};
	const size_t max = 131072;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char *p = make_file("sized", sizes[i], (size_t)-1), *out;
		size_t len;
		int ret = infile_read(p, max, &out, &len);

		if (sizes[i] <= max) {
			CHECK_EQ_U(ret, 0);
			CHECK_EQ_U(len, sizes[i]);
			if (!ret) {
				CHECK_EQ_U(strlen(out), sizes[i]);
				free(out);
			}
		} else {
			CHECK_EQ_U(ret, (unsigned long long)-EFBIG);
		}
		free(p);
	}
}

static void test_infile_errors(void)
{
	char *p, *out;
	size_t len;

	/* a NUL byte near the start and past the first chunk */
	p = make_file("nul-early", 1000, 10);
	CHECK_EQ_U(infile_read(p, 1 << 20, &out, &len),
		   (unsigned long long)-EILSEQ);
	free(p);
	p = make_file("nul-late", 300000, 299999);
	CHECK_EQ_U(infile_read(p, 1 << 20, &out, &len),
		   (unsigned long long)-EILSEQ);
	free(p);
	CHECK_EQ_U(infile_read(dir, 1 << 20, &out, &len),
		   (unsigned long long)-EISDIR);
	p = path_of("missing");
	CHECK_EQ_U(infile_read(p, 1 << 20, &out, &len),
		   (unsigned long long)-ENOENT);
	free(p);
	/* a FIFO nobody writes to: an error at once, not a wait */
	p = path_of("fifo");
	CHECK(mkfifo(p, 0600) == 0);
	CHECK_EQ_U(infile_read(p, 1 << 20, &out, &len),
		   (unsigned long long)-ENXIO);
	unlink(p);
	free(p);
	CHECK(strstr(infile_strerror(-EFBIG, 64u << 20), "64 MiB") != NULL);
}

static char *slurp(const char *p)
{
	char *out = NULL;
	size_t len;

	if (infile_read(p, 1 << 20, &out, &len))
		return NULL;
	return out;
}

/* Temporary files of NAME left in the directory. */
static int leftovers(const char *name)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *prefix = xasprintf(".%s.", name);
	int n = 0;

	while (d && (e = readdir(d)))
		n += !strncmp(e->d_name, prefix, strlen(prefix));
	free(prefix);
	if (d)
		closedir(d);
	return n;
}

static void test_outfile(void)
{
	char *p = path_of("out"), *got;
	struct outfile o;
	unsigned fails = outfile_failures();
	struct stat st;

	/* a new file, then replaced: mode kept, nothing else left */
	CHECK_EQ_U(outfile_open(&o, p, OUTFILE_REPLACE), 0);
	fputs("first\n", o.f);
	CHECK_EQ_U(outfile_close(&o), 0);
	CHECK(chmod(p, 0640) == 0);
	CHECK_EQ_U(outfile_open(&o, p, OUTFILE_REPLACE), 0);
	fputs("second\n", o.f);
	/* not visible before the close */
	got = slurp(p);
	CHECK_STR(got, "first\n");
	free(got);
	CHECK_EQ_U(outfile_close(&o), 0);
	got = slurp(p);
	CHECK_STR(got, "second\n");
	free(got);
	CHECK(stat(p, &st) == 0 && (st.st_mode & 0777) == 0640);
	CHECK_EQ_U(leftovers("out"), 0);

	/* in place, appended */
	CHECK_EQ_U(outfile_open(&o, p, OUTFILE_TRUNC), 0);
	fputs("log 1\n", o.f);
	CHECK_EQ_U(outfile_close(&o), 0);
	CHECK_EQ_U(outfile_open(&o, p, OUTFILE_APPEND), 0);
	fputs("log 2\n", o.f);
	CHECK_EQ_U(outfile_close(&o), 0);
	got = slurp(p);
	CHECK_STR(got, "log 1\nlog 2\n");
	free(got);
	CHECK_EQ_U(outfile_failures(), fails);

	/* a failed write (a full device) is the close's error, counted */
	if (access("/dev/full", W_OK) == 0) {
		char *link = path_of("full");
		CHECK(symlink("/dev/full", link) == 0);
		CHECK_EQ_U(outfile_open(&o, link, OUTFILE_REPLACE), 0);
		fputs("x\n", o.f);
		CHECK_EQ_U(outfile_close(&o), (unsigned long long)-ENOSPC);
		CHECK_EQ_U(outfile_failures(), fails + 1);
		unlink(link);
		free(link);
	}
	unlink(p);
	free(p);
}

/* An exit between open and close (out of memory, a fatal error) leaves
 * neither the file nor its temporary file. */
static void test_outfile_exit(void)
{
	char *p = path_of("cut");
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		struct outfile o;
		if (outfile_open(&o, p, OUTFILE_REPLACE))
			_exit(2);
		fputs("half a report\n", o.f);
		exit(70);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 70);
	CHECK(access(p, F_OK) != 0);
	CHECK_EQ_U(leftovers("cut"), 0);
	free(p);
}

/* fmt_addrs: each address after a space, cut at a whole one */
static void test_fmt_addrs(void)
{
	const uint64_t v[] = {0x4005d0, 0x7f0011223344, 0};
	char big[64], small[24];

	CHECK_STR(fmt_addrs(big, sizeof(big), v, 3), " 4005d0 7f0011223344 0");
	CHECK_STR(fmt_addrs(big, sizeof(big), v, 0), "");
	CHECK_STR(fmt_addrs(small, sizeof(small), v, 3), " 4005d0");
}

static void test_printable(void)
{
	CHECK_EQ_U(printable_seq((const unsigned char *)"a"), 1);
	CHECK_EQ_U(printable_seq((const unsigned char *)" "), 1);
	CHECK_EQ_U(printable_seq((const unsigned char *)"\x1b[31m"), 0);
	CHECK_EQ_U(printable_seq((const unsigned char *)"\t"), 0);
	CHECK_EQ_U(printable_seq((const unsigned char *)"\x7f"), 0);
	CHECK_EQ_U(printable_seq((const unsigned char *)""), 0);
	/* e-acute: printable UTF-8; U+0085 and U+009B (CSI): C1 controls */
	CHECK_EQ_U(printable_seq((const unsigned char *)"\xc3\xa9"), 2);
	CHECK_EQ_U(printable_seq((const unsigned char *)"\xc2\x85"), 0);
	CHECK_EQ_U(printable_seq((const unsigned char *)"\xc2\x9b"), 0);
	CHECK_EQ_U(printable_seq((const unsigned char *)"\xc2\xa0"), 2);
	CHECK_EQ_U(printable_seq((const unsigned char *)"\xe2\x82\xac"), 3);
	/* not UTF-8: a lone continuation byte, an 8-bit CSI, 0xff */
	CHECK_EQ_U(printable_seq((const unsigned char *)"\x9b"), 0);
	CHECK_EQ_U(printable_seq((const unsigned char *)"\xff"), 0);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 99;
	}
	test_infile_sizes();
	test_infile_errors();
	test_outfile();
	test_outfile_exit();
	test_printable();
	test_fmt_addrs();
	for (DIR *d = opendir(dir); d;) {
		struct dirent *e = readdir(d);
		if (!e) {
			closedir(d);
			break;
		}
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			char *p = path_of(e->d_name);
			unlink(p);
			free(p);
		}
	}
	rmdir(dir);
	return check_done("util");
}
