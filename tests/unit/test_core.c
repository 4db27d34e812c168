/*
 * test_core: the core file reader (src/core/core.c) on a core made here:
 * its notes (threads, registers, command line, mapped files), its
 * mappings as maps text, reads through it, and each refusal -- not a
 * core, another architecture, truncated, memory left out by
 * coredump_filter -- with its one line.  Then mutations of that core
 * (bit flips, bytes set, cut short, header fields set to extremes), a
 * fixed seed and count, every one opened, checked and read without a
 * crash; make check-asan runs it under ASan and UBSan.
 */
#include <elf.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "core/core.h"
#include "leakcheck/util.h"

#define FUZZ_N 3000

static unsigned long long rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
	return check_rand(&rng);
}

/* A growing byte buffer. */
struct buf {
	uint8_t *p;
	size_t n, cap;
};

static size_t put(struct buf *b, const void *d, size_t n)
{
	size_t at = b->n;
	b->p = xgrow(b->p, &b->cap, b->n + n, 1);
	memcpy(b->p + b->n, d, n);
	b->n += n;
	return at;
}

static void pad4(struct buf *b)
{
	static const uint8_t z[4];
	put(b, z, (4 - b->n % 4) % 4);
}

static void note(struct buf *b, const char *name, uint32_t type,
		 const void *desc, uint32_t len)
{
	uint32_t h[3] = {(uint32_t)strlen(name) + 1, len, type};
	put(b, h, sizeof(h));
	put(b, name, h[0]);
	pad4(b);
	put(b, desc, len);
	pad4(b);
}

#define STACK_AT 0x7ffd0000000ull
#define DATA_AT 0x500000ull
#define FILE_AT 0x400000ull
#define TID 4242

/*
 * A core of one thread: three mappings (a file's read-only page, an
 * anonymous read-write one, the stack holding sp), the notes the kernel
 * writes.  STACK_DUMPED 0: the stack is left out, as coredump_filter
 * without bit 0 does.
 */
static struct buf make_core(int stack_dumped)
{
	struct buf b = {0}, notes = {0};
	Elf64_Ehdr eh = {0};
	Elf64_Phdr ph[4] = {{0}};
	uint8_t prstatus[336] = {0}, fp[512] = {0}, psinfo[136] = {0};
	uint64_t auxv[4] = {AT_ENTRY, FILE_AT + 0x10, AT_NULL, 0};
	uint64_t file[3 + 3] = {1, 4096, FILE_AT, FILE_AT + 4096, 0};
	char fname[] = "/usr/bin/some-program";
	uint8_t page[4096];
	int32_t pid = TID, sig = 6;
	uint64_t sp = STACK_AT + 0x800, xmm0 = 0x1234;
	size_t off;

	memcpy(prstatus + 32, &pid, 4);
	memcpy(prstatus + 112 + 19 * 8, &sp, 8); /* rsp */
	memcpy(fp + 160, &xmm0, 8);
	memcpy(psinfo + 24, &pid, 4);
	memcpy(psinfo + 40, "some-program", 12);
	memcpy(psinfo + 56, "some-program --flag", 19);
	note(&notes, "CORE", NT_PRPSINFO, psinfo, sizeof(psinfo));
	note(&notes, "CORE", NT_SIGINFO, &sig, 4);
	note(&notes, "CORE", NT_AUXV, auxv, sizeof(auxv));
	{
		struct buf f = {0};
		put(&f, file, 5 * 8);
		put(&f, fname, sizeof(fname));
		note(&notes, "CORE", 0x46494c45, f.p, (uint32_t)f.n);
		free(f.p);
	}
	note(&notes, "CORE", NT_PRSTATUS, prstatus, sizeof(prstatus));
	note(&notes, "CORE", NT_PRFPREG, fp, sizeof(fp));

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_CORE;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = 4;
	off = sizeof(eh) + sizeof(ph);
	ph[0].p_type = PT_NOTE;
	ph[0].p_offset = off;
	ph[0].p_filesz = notes.n;
	off = (off + notes.n + 4095) & ~(size_t)4095;
	ph[1] = (Elf64_Phdr){.p_type = PT_LOAD,
			     .p_flags = PF_R,
			     .p_offset = off,
			     .p_vaddr = FILE_AT,
			     .p_filesz = 4096,
			     .p_memsz = 4096};
	ph[2] = (Elf64_Phdr){.p_type = PT_LOAD,
			     .p_flags = PF_R | PF_W,
			     .p_offset = off + 4096,
			     .p_vaddr = DATA_AT,
			     .p_filesz = 4096,
			     .p_memsz = 4096};
	ph[3] = (Elf64_Phdr){.p_type = PT_LOAD,
			     .p_flags = PF_R | PF_W,
			     .p_offset = off + 8192,
			     .p_vaddr = STACK_AT,
			     .p_filesz = stack_dumped ? 4096 : 0,
			     .p_memsz = 4096};
	put(&b, &eh, sizeof(eh));
	put(&b, ph, sizeof(ph));
	put(&b, notes.p, notes.n);
	while (b.n < off)
		put(&b, "", 1);
	for (int k = 0; k < 3; k++) {
		if (k == 2 && !stack_dumped)
			break;
		for (size_t i = 0; i < sizeof(page); i++)
			page[i] = (uint8_t)(i + 16 * k);
		put(&b, page, sizeof(page));
	}
	free(notes.p);
	return b;
}

static char path[] = "/tmp/leakcheck-test-core.XXXXXX";
static int fd = -1;

static void write_core(const uint8_t *p, size_t n)
{
	if (ftruncate(fd, 0) || pwrite(fd, p, n, 0) != (ssize_t)n) {
		perror("test_core: write");
		exit(99);
	}
}

/* Open the core as it is in the file: status, *ERR; *OPENED: C is to
 * be released. */
static int open_core_at(struct core *c, char **err, int *opened)
{
	int ret = core_open(c, path, err);
	*opened = ret == CORE_OK;
	if (ret == CORE_OK)
		ret = core_check(c, err);
	return ret;
}

static int open_core(struct core *c, char **err)
{
	int opened;
	return open_core_at(c, err, &opened);
}

static void test_good(void)
{
	struct buf b = make_core(1);
	struct core c;
	char *err = NULL, *text;
	uint8_t x[16];
	int ret;

	write_core(b.p, b.n);
	ret = open_core(&c, &err);
	CHECK_EQ_U(ret, CORE_OK);
	CHECK(err == NULL);
	CHECK_EQ_U(c.nthreads, 1);
	CHECK_EQ_U(c.threads[0].tid, TID);
	CHECK_EQ_U(ARCH_SP(&c.threads[0].regs), STACK_AT + 0x800);
	CHECK(c.threads[0].have_fp);
	CHECK_EQ_U(c.threads[0].xmm[0], 0x1234);
	CHECK_EQ_U(c.pid, TID);
	CHECK_EQ_U(c.signo, 6);
	CHECK_STR(c.psargs, "some-program --flag");
	CHECK_EQ_U(c.nmaps, 3);
	CHECK_STR(c.maps[0].name, "/usr/bin/some-program");
	CHECK_STR(c.maps[1].name, "");
	CHECK_STR(c.maps[2].name, "[stack]");
	CHECK_EQ_U(c.at_entry, FILE_AT + 0x10);
	text = c.maps_text;
	CHECK(strstr(text, "000000400000-000000401000 r--p 00000000 00:01 1 "
			   "/usr/bin/some-program\n") != NULL);
	CHECK(strstr(text, "07ffd0000000-07ffd0001000 rw-p 00000000 00:00 0 "
			   "[stack]\n") != NULL);
	/* reads: within one mapping, across its end, outside any */
	CHECK_EQ_U(core_read(&c, DATA_AT + 0x10, x, 4), 4);
	CHECK_EQ_U(x[0], (0x10 + 16) & 0xff);
	CHECK_EQ_U(core_read(&c, DATA_AT + 4094, x, 8), 2);
	CHECK(core_read(&c, 0x1000, x, 8) < 0);
	CHECK(core_map_of(&c, STACK_AT + 5) == &c.maps[2]);
	CHECK(core_map_of(&c, STACK_AT + 4096) == NULL);
	core_release(&c);
	free(b.p);
}

/* STATUS and a message that holds WHAT. */
static void refused(const char *name, int status, const char *what)
{
	struct core c;
	char *err = NULL;
	int opened, ret = open_core_at(&c, &err, &opened);

	CHECK_EQ_U(ret, status);
	if (!err || !strstr(err, what) || strchr(err, '\n')) {
		fprintf(stderr, "test_core: %s: \"%s\" lacks \"%s\"\n", name,
			err ? err : "(none)", what);
		CHECK(0);
	}
	if (opened)
		core_release(&c);
	free(err);
}

static void test_refusals(void)
{
	struct buf b = make_core(1);
	Elf64_Ehdr *eh;

	write_core((const uint8_t *)"hello\n", 6);
	refused("text", CORE_NOT_CORE, "is not a core file");
	eh = (Elf64_Ehdr *)(void *)b.p;
	eh->e_type = ET_DYN;
	write_core(b.p, b.n);
	refused("executable", CORE_NOT_CORE, "not a core file");
	eh->e_type = ET_CORE;
	eh->e_machine = EM_AARCH64;
	write_core(b.p, b.n);
	refused("aarch64", CORE_BAD_ARCH, "aarch64");
	eh->e_machine = EM_X86_64;
	eh->e_ident[EI_CLASS] = ELFCLASS32;
	write_core(b.p, b.n);
	refused("32-bit", CORE_BAD_ARCH, "32-bit");
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	/* cut in the middle of the second mapping: two are missing */
	write_core(b.p, b.n - 4096 - 100);
	refused("truncated", CORE_TRUNCATED,
		"2 of its 3 mappings (4196 bytes) are missing or cut short");
	write_core(b.p, 100);
	refused("truncated-header", CORE_TRUNCATED, "program headers");
	free(b.p);
	b = make_core(0);
	write_core(b.p, b.n);
	refused("filtered", CORE_FILTERED,
		"0x7ffd0000000-0x7ffd0001000 ([stack])");
	free(b.p);
}

/* Mutations of the good core: each opened, checked and read. */
static void test_fuzz(void)
{
	struct buf seed = make_core(1);
	uint8_t *m = xmalloc(seed.n);
	unsigned opened = 0;

	for (int i = 0; i < FUZZ_N; i++) {
		size_t n = seed.n, meta = 0x400; /* headers and notes */
		struct core c;
		char *err = NULL;
		int rounds = 1 + (int)(next() % 4), ret;
		memcpy(m, seed.p, n);
		for (int r = 0; r < rounds; r++) {
			size_t at = next() % meta;
			uint64_t v;
			switch (next() % 5) {
			case 0: /* flip a bit */
				m[at] ^= (uint8_t)(1u << (next() % 8));
				break;
			case 1: /* set a byte */
				m[at] = (uint8_t)next();
				break;
			case 2: /* an extreme word */
				v = next() % 2 ? ~0ull : 1ull << (next() % 64);
				if (at + 8 <= n)
					memcpy(m + (at & ~(size_t)3), &v, 8);
				break;
			case 3: /* cut short */
				n = next() % n;
				break;
			default: /* a count word somewhere in the notes */
				v = next() % 70000;
				if (at + 4 <= n)
					memcpy(m + (at & ~(size_t)3), &v, 4);
				break;
			}
		}
		write_core(m, n);
		ret = core_open(&c, path, &err);
		CHECK(ret >= CORE_OK && ret <= CORE_FILTERED);
		CHECK((ret == CORE_OK) == (err == NULL));
		free(err);
		if (ret != CORE_OK)
			continue;
		opened++;
		err = NULL;
		ret = core_check(&c, &err);
		CHECK((ret == CORE_OK) == (err == NULL));
		free(err);
		for (size_t k = 0; k < c.nmaps; k++) {
			uint8_t x[256], id[64];
			core_read(&c, c.maps[k].start, x, sizeof(x));
			core_read(&c, c.maps[k].end - 8, x, 16);
			core_build_id(&c, c.maps[k].start, id, sizeof(id));
		}
		CHECK(c.maps_text != NULL);
		core_release(&c);
	}
	/* most mutations leave a core that opens */
	CHECK(opened > FUZZ_N / 4);
	free(m);
	free(seed.p);
}

int main(void)
{
	fd = mkstemp(path);
	if (fd < 0) {
		perror("test_core: mkstemp");
		return 99;
	}
	test_good();
	test_refusals();
	test_fuzz();
	close(fd);
	unlink(path);
	return check_done("test_core");
}
