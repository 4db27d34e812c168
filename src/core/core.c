/*
 * core: an ELF core file as a struct target, so that the heap walk, the
 * root gathering and the classifier read a dead (or snapshotted) process
 * the way they read a live one.
 *
 * What a core holds (the kernel's fs/binfmt_elf.c, gdb's gcore):
 *   - one PT_LOAD per mapping, its bytes in the file (p_filesz) or not
 *     (0: coredump_filter left it out, or it is file-backed text the
 *     file itself holds);
 *   - a PT_NOTE with "CORE" notes: NT_PRPSINFO (pid, command line),
 *     NT_SIGINFO, NT_AUXV, NT_FILE (the path and file offset of every
 *     file mapping), and per thread an NT_PRSTATUS (tid, signal,
 *     registers, fs_base) followed by its NT_PRFPREG (SSE registers) and
 *     NT_X86_XSTATE ("LINUX"; not used: the live scan takes the general
 *     and SSE registers only, and a core must give the same answer).
 *
 * The maps text is what /proc/PID/maps would have said: a line per
 * PT_LOAD with its permissions and NT_FILE's path, and the names the
 * kernel gives without a file: [stack] (the mapping of the main
 * thread's sp), [vdso] (AT_SYSINFO_EHDR), [heap] (the brk heap, found
 * from glibc's main_arena by heap_brk_range(), as the core does not say).
 *
 * Everything in the file is untrusted: every offset and size is checked
 * against the file and against overflow before it is used; a note that
 * does not parse ends the notes; bounds on counts keep memory
 * proportional to the mappings and threads, never to the segments,
 * which are read on demand with pread (a truncated file gives short
 * reads, where an mmap would give SIGBUS).
 */
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc/alloc.h"
#include "core/core.h"
#include "leakcheck/util.h"

#ifndef NT_FILE
#define NT_FILE 0x46494c45
#endif
#ifndef NT_SIGINFO
#define NT_SIGINFO 0x53494749
#endif

/* bounds on what a core may make us allocate */
#define MAX_PHNUM (4u << 20)
#define MAX_NOTES (256u << 20)
#define MAX_THREADS (1u << 20)

/* struct elf_prstatus and elf_prpsinfo on x86-64 (linux/elfcore.h) */
#define PRSTATUS_CURSIG 12
#define PRSTATUS_PID 32
#define PRSTATUS_REG 112
#define PRSTATUS_NREG 27
#define PRSTATUS_MIN (PRSTATUS_REG + PRSTATUS_NREG * 8)
#define PRPSINFO_PID 24
#define PRPSINFO_PPID 28
#define PRPSINFO_FNAME 40
#define PRPSINFO_PSARGS 56
#define PRPSINFO_SIZE 136
#define FPREGS_XMM 160 /* fxsave: xmm0-15 */
#define FPREGS_SIZE 512

#define WIN_SIZE (64u << 10)

static int fail(struct core *c, char **err, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(struct core *c, char **err, int status, const char *fmt, ...)
{
	va_list ap;
	char buf[512];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	*err = xstrdup(buf);
	core_release(c);
	return status;
}

/* pread all of LEN at OFF, or -1 */
static int pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done,
				  (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static int cmp_map(const void *a, const void *b)
{
	const struct core_map *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* The mapping of the sorted V (N) holding ADDR, or NULL. */
static const struct core_map *map_in(const struct core_map *v, size_t n,
				     taddr_t addr)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (v[mid].end <= addr)
			lo = mid + 1;
		else if (v[mid].start > addr)
			hi = mid;
		else
			return &v[mid];
	}
	return NULL;
}

const struct core_map *core_map_of(const struct core *c, taddr_t addr)
{
	return map_in(c->maps, c->nmaps, addr);
}

/* LEN bytes at file offset OFF, through the window; bytes copied. */
static size_t file_read(struct core *c, uint64_t off, void *buf, size_t len)
{
	if (off >= c->size)
		return 0;
	if (len > c->size - off)
		len = (size_t)(c->size - off);
	if (len > WIN_SIZE / 2) {
		ssize_t n;
		do
			n = pread(c->fd, buf, len, (off_t)off);
		while (n < 0 && errno == EINTR);
		return n > 0 ? (size_t)n : 0;
	}
	if (!(off >= c->win_off && off + len <= c->win_off + c->win_len)) {
		uint64_t at = off & ~(uint64_t)4095;
		size_t want = WIN_SIZE;
		ssize_t n;
		if (!c->win)
			c->win = xmalloc(WIN_SIZE);
		if (want > c->size - at)
			want = (size_t)(c->size - at);
		do
			n = pread(c->fd, c->win, want, (off_t)at);
		while (n < 0 && errno == EINTR);
		c->win_off = at;
		c->win_len = n > 0 ? (size_t)n : 0;
		if (!(off >= c->win_off &&
		      off + len <= c->win_off + c->win_len))
			return 0;
	}
	memcpy(buf, c->win + (off - c->win_off), len);
	return len;
}

/* Is the file of the mapping M what was mapped: the first page of that
 * file as the core holds it (the ELF header, program headers and notes,
 * its build id among them; gcore and the kernel keep it) is the file's
 * first page now? */
static int file_same(struct core *c, const struct core_map *m)
{
	static uint8_t a[4096], b[4096];
	size_t n = 0;
	ssize_t got;
	int fd;

	for (size_t i = 0; i < c->nmaps && !n; i++) {
		const struct core_map *h = &c->maps[i];
		if (h->pgoff || !h->filesz || !h->name ||
		    strcmp(h->name, m->name))
			continue;
		n = h->filesz < sizeof(a) ? (size_t)h->filesz : sizeof(a);
		if (h->end - h->start < n)
			n = (size_t)(h->end - h->start);
		if (file_read(c, h->offset, a, n) != n)
			n = 0;
	}
	if (n < 64)
		return 0;
	fd = open(m->name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	do
		got = pread(fd, b, n, 0);
	while (got < 0 && errno == EINTR);
	close(fd);
	return got == (ssize_t)n && !memcmp(a, b, n);
}

/* Bytes of a read-only file mapping the core left out (clean pages: the
 * kernel's default coredump_filter and gdb's gcore leave them out), from
 * the file, if it is the one that was mapped.  Returns bytes read. */
static size_t file_fallback(struct core *c, struct core_map *m, uint64_t in,
			    void *buf, size_t len)
{
	ssize_t got;
	int fd;

	if (!m->name || m->name[0] != '/' || (m->flags & PF_W))
		return 0;
	if (!m->file_same)
		m->file_same = file_same(c, m) ? 1 : -1;
	if (m->file_same < 0 || m->pgoff + in < m->pgoff)
		return 0;
	fd = open(m->name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	do
		got = pread(fd, buf, len, (off_t)(m->pgoff + in));
	while (got < 0 && errno == EINTR);
	close(fd);
	return got > 0 ? (size_t)got : 0;
}

long core_read(void *ctx, taddr_t addr, void *buf, size_t len)
{
	struct core *c = ctx;
	size_t done = 0;

	while (done < len) {
		taddr_t a = addr + done;
		const struct core_map *m = core_map_of(c, a);
		uint64_t in, n, got;
		if (!m || a < addr)
			break;
		in = a - m->start;
		if (in >= m->filesz) {
			/* not dumped: clean file pages, from the file */
			n = m->end - a;
			if (n > len - done)
				n = len - done;
			got = file_fallback(c, (struct core_map *)m, in,
					    (char *)buf + done, (size_t)n);
			done += got;
			if (got < n)
				break;
			continue;
		}
		n = m->filesz - in;
		if (n > m->end - a)
			n = m->end - a;
		if (n > len - done)
			n = len - done;
		if (m->offset + in < m->offset)
			break;
		got =
		    file_read(c, m->offset + in, (char *)buf + done, (size_t)n);
		done += got;
		if (got < n)
			break; /* past the file's end */
	}
	return done ? (long)done : -EFAULT;
}

void core_target(struct core *c, struct target *tg)
{
	tg->pid = c->pid;
	tg->maps = c->maps_text;
	tg->read = core_read;
	tg->ctx = c;
}

/* NT_FILE: {count, page_size, count * {start, end, pgoff}, names}. */
static void parse_nt_file(struct core *c, const uint8_t *d, size_t n)
{
	uint64_t count, page;
	size_t names_len, nmaps;
	char *s, *end;

	if (n < 16 || c->names)
		return;
	count = get64(d);
	page = get64(d + 8);
	if (!page || (page & (page - 1)) || count > (n - 16) / 24)
		return;
	names_len = n - 16 - (size_t)count * 24;
	c->names = xmalloc(names_len + 1);
	memcpy(c->names, d + 16 + count * 24, names_len);
	c->names[names_len] = 0;
	/* a newline in a path would end its maps line */
	for (size_t i = 0; i < names_len; i++)
		if (c->names[i] == '\n')
			c->names[i] = '?';
	s = c->names;
	end = c->names + names_len;
	nmaps = c->nmaps;
	for (uint64_t i = 0; i < count && s < end; i++) {
		const uint8_t *e = d + 16 + i * 24;
		uint64_t start = get64(e), stop = get64(e + 8),
			 pgoff = get64(e + 16);
		struct core_map key = {.start = start}, *m;
		size_t len = strnlen(s, (size_t)(end - s));
		m = nmaps ? bsearch(&key, c->maps, nmaps, sizeof(*c->maps),
				    cmp_map)
			  : NULL;
		if (pgoff > UINT64_MAX / page || stop <= start) {
			/* nothing */
		} else if (m && m->end == stop) {
			m->name = s;
			m->pgoff = pgoff * page;
		} else if (!m && !map_in(c->maps, nmaps, start) &&
			   c->nmaps < MAX_PHNUM) {
			/*
			 * A file mapping with no PT_LOAD: gdb's gcore leaves
			 * out what it does not dump (a module's text); it is
			 * kept, with nothing in the core and its permissions
			 * unknown (read-only here), so that the module is
			 * whole for symbols.  Sorted in after the notes.
			 */
			c->maps = xgrow(c->maps, &c->maps_cap, c->nmaps + 1,
					sizeof(*c->maps));
			c->maps[c->nmaps++] = (struct core_map){
			    .start = start,
			    .end = stop,
			    .pgoff = pgoff * page,
			    .flags = PF_R,
			    .name = s,
			};
		}
		s += len + 1;
	}
}

static void parse_auxv(struct core *c, const uint8_t *d, size_t n)
{
	for (size_t i = 0; i + 16 <= n; i += 16) {
		uint64_t type = get64(d + i), val = get64(d + i + 8);
		if (type == AT_NULL)
			break;
		if (type == AT_ENTRY)
			c->at_entry = val;
		else if (type == AT_SYSINFO_EHDR)
			c->at_sysinfo_ehdr = val;
	}
}

/* Walk the notes NOTES (N bytes). */
static void parse_notes(struct core *c, const uint8_t *notes, size_t n,
			size_t *threads_cap)
{
	size_t at = 0;
	struct core_thread *t = NULL;

	while (at + 12 <= n) {
		uint32_t namesz = get32(notes + at),
			 descsz = get32(notes + at + 4),
			 type = get32(notes + at + 8);
		size_t name_at = at + 12, desc_at, next;
		const char *name = (const char *)notes + name_at;
		const uint8_t *d;
		int core_note, linux_note;
		if (namesz > n - name_at)
			break;
		desc_at = name_at + ((namesz + 3u) & ~(size_t)3);
		if (desc_at > n || descsz > n - desc_at)
			break;
		next = desc_at + ((descsz + 3u) & ~(size_t)3);
		d = notes + desc_at;
		core_note = namesz == 5 && !memcmp(name, "CORE", 5);
		linux_note = namesz == 6 && !memcmp(name, "LINUX", 6);
		if (core_note && type == NT_PRSTATUS &&
		    descsz >= PRSTATUS_MIN && c->nthreads < MAX_THREADS) {
			uint16_t sig;
			c->threads =
			    xgrow(c->threads, threads_cap, c->nthreads + 1,
				  sizeof(*c->threads));
			t = &c->threads[c->nthreads++];
			memset(t, 0, sizeof(*t));
			memcpy(&sig, d + PRSTATUS_CURSIG, 2);
			t->cursig = sig;
			t->tid = (pid_t)get32(d + PRSTATUS_PID);
			_Static_assert(sizeof(t->regs) == PRSTATUS_NREG * 8,
				       "user_regs_struct is prstatus's pr_reg");
			memcpy(&t->regs, d + PRSTATUS_REG, sizeof(t->regs));
		} else if (core_note && type == NT_PRFPREG && t &&
			   !t->have_fp && descsz >= FPREGS_SIZE) {
			memcpy(t->xmm, d + FPREGS_XMM, sizeof(t->xmm));
			t->have_fp = 1;
		} else if (core_note && type == NT_PRPSINFO &&
			   descsz >= PRPSINFO_SIZE) {
			c->pid = (pid_t)get32(d + PRPSINFO_PID);
			c->ppid = (pid_t)get32(d + PRPSINFO_PPID);
			memcpy(c->fname, d + PRPSINFO_FNAME, 16);
			c->fname[16] = 0;
			memcpy(c->psargs, d + PRPSINFO_PSARGS, 80);
			c->psargs[80] = 0;
		} else if (core_note && type == NT_SIGINFO && descsz >= 4) {
			c->signo = (int)get32(d);
		} else if (core_note && type == NT_AUXV) {
			parse_auxv(c, d, descsz);
		} else if (core_note && type == NT_FILE) {
			parse_nt_file(c, d, descsz);
		}
		(void)linux_note; /* NT_X86_XSTATE: not used (see above) */
		if (next <= at)
			break;
		at = next;
	}
}

char *core_maps_format(const struct core *c, const char *const *names)
{
	size_t cap = c->nmaps * 96 + 1, len = 0;
	char *s = xmalloc(cap);

	const char *prev = "";
	size_t ino = 0;

	s[0] = 0;
	for (size_t i = 0; i < c->nmaps; i++) {
		const struct core_map *m = &c->maps[i];
		const char *name = names && names[i] ? names[i] : m->name;
		int file = *name == '/';
		int n;
		/* libdwfl takes consecutive lines of one (device, inode) for
		 * one file: a number per run of lines of one path */
		if (file && strcmp(name, prev))
			ino = i + 1;
		prev = name;
		size_t need = strlen(name) + 96;
		if (len + need > cap)
			s = xgrow(s, &cap, len + need, 1);
		n = snprintf(
		    s + len, cap - len,
		    "%012llx-%012llx %c%c%cp %08llx %s %zu %s\n",
		    (unsigned long long)m->start, (unsigned long long)m->end,
		    m->flags & PF_R ? 'r' : '-', m->flags & PF_W ? 'w' : '-',
		    m->flags & PF_X ? 'x' : '-', (unsigned long long)m->pgoff,
		    file ? "00:01" : "00:00", file ? ino : 0, name);
		if (n > 0)
			len += (size_t)n;
	}
	return s;
}

static void make_maps_text(struct core *c)
{
	free(c->maps_text);
	c->maps_text = core_maps_format(c, NULL);
}

/* [stack], [vdso] and [heap]: the names the core does not give. */
static void name_special(struct core *c)
{
	struct core_map *m;
	struct target tg;
	taddr_t hs, he;

	if (c->nthreads) {
		size_t k = 0;
		for (size_t i = 0; i < c->nthreads; i++)
			if (c->threads[i].tid == c->pid)
				k = i;
		m = (struct core_map *)core_map_of(
		    c, ARCH_SP(&c->threads[k].regs));
		if (m && !*m->name)
			m->name = "[stack]";
	}
	m = c->at_sysinfo_ehdr
		? (struct core_map *)core_map_of(c, c->at_sysinfo_ehdr)
		: NULL;
	if (m && !*m->name && m->start == c->at_sysinfo_ehdr) {
		m->name = "[vdso]";
		if (m > c->maps && m[-1].end == m->start && !*m[-1].name &&
		    !(m[-1].flags & PF_W))
			m[-1].name = "[vvar]";
	}
	make_maps_text(c);
	core_target(c, &tg);
	if (heap_brk_range(&tg, &hs, &he) == 0) {
		for (size_t i = 0; i < c->nmaps; i++) {
			m = &c->maps[i];
			if (m->start < he && m->end > hs && !*m->name &&
			    (m->flags & PF_W))
				m->name = "[heap]";
		}
		make_maps_text(c);
	}
}

/* Sort the mappings; of overlapping ones, the first one stands. */
static void sort_maps(struct core *c)
{
	size_t k = 1;

	if (!c->nmaps)
		return;
	qsort(c->maps, c->nmaps, sizeof(*c->maps), cmp_map);
	for (size_t i = 1; i < c->nmaps; i++)
		if (c->maps[i].start >= c->maps[k - 1].end)
			c->maps[k++] = c->maps[i];
	c->nmaps = k;
}

static const char *machine_name(unsigned m)
{
	switch (m) {
	case EM_386:
		return "i386";
	case EM_ARM:
		return "arm";
	case EM_AARCH64:
		return "aarch64";
	case EM_PPC64:
		return "ppc64";
	case EM_S390:
		return "s390x";
	case EM_RISCV:
		return "riscv";
	case EM_MIPS:
		return "mips";
	default:
		return "another machine";
	}
}

int core_open(struct core *c, const char *path, char **err)
{
	unsigned char ident[EI_NIDENT];
	Elf64_Ehdr eh;
	struct stat st;
	uint64_t phnum;
	Elf64_Phdr *ph = NULL;
	size_t threads_cap = 0;
	int ret;

	memset(c, 0, sizeof(*c));
	*err = NULL;
	c->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (c->fd < 0) {
		int e = errno;
		c->fd = -1;
		return fail(c, err, CORE_UNREADABLE,
			    "cannot open core '%s': %s", path, strerror(e));
	}
	if (fstat(c->fd, &st) || !S_ISREG(st.st_mode))
		return fail(c, err, CORE_UNREADABLE,
			    "cannot read core '%s': not a regular file", path);
	c->size = (uint64_t)st.st_size;
	if (c->size < EI_NIDENT || pread_all(c->fd, ident, EI_NIDENT, 0) ||
	    memcmp(ident, ELFMAG, SELFMAG))
		return fail(c, err, CORE_NOT_CORE,
			    "'%s' is not a core file (not even an ELF file)",
			    path);
	if (ident[EI_CLASS] != ELFCLASS64 || ident[EI_DATA] != ELFDATA2LSB) {
		if (ident[EI_CLASS] == ELFCLASS32 &&
		    c->size >= sizeof(Elf32_Ehdr)) {
			Elf32_Ehdr e32;
			if (!pread_all(c->fd, &e32, sizeof(e32), 0) &&
			    e32.e_type != ET_CORE)
				return fail(c, err, CORE_NOT_CORE,
					    "'%s' is a 32-bit ELF file, not a "
					    "core",
					    path);
		}
		return fail(c, err, CORE_BAD_ARCH,
			    "'%s' is a core from another architecture (%s); "
			    "leakcheck reads x86-64 cores only",
			    path,
			    ident[EI_CLASS] == ELFCLASS32 ? "32-bit"
							  : "big-endian");
	}
	if (c->size < sizeof(eh) || pread_all(c->fd, &eh, sizeof(eh), 0))
		return fail(c, err, CORE_TRUNCATED,
			    "'%s' is cut short: its ELF header is incomplete",
			    path);
	if (eh.e_type != ET_CORE)
		return fail(c, err, CORE_NOT_CORE,
			    "'%s' is an ELF %s, not a core file", path,
			    eh.e_type == ET_EXEC || eh.e_type == ET_DYN
				? "executable or library"
				: "file");
	if (eh.e_machine != EM_X86_64)
		return fail(c, err, CORE_BAD_ARCH,
			    "'%s' is a core from another architecture (%s, "
			    "ELF machine %u); leakcheck reads x86-64 cores "
			    "only",
			    path, machine_name(eh.e_machine), eh.e_machine);
	if (eh.e_phentsize != sizeof(Elf64_Phdr))
		return fail(c, err, CORE_NOT_CORE,
			    "'%s' is not a core file leakcheck can read: "
			    "program headers of %u bytes",
			    path, eh.e_phentsize);
	phnum = eh.e_phnum;
	if (phnum == PN_XNUM) {
		/* more than 65534 mappings: the count is in section 0 */
		Elf64_Shdr sh0;
		if (eh.e_shoff > c->size ||
		    c->size - eh.e_shoff < sizeof(sh0) ||
		    pread_all(c->fd, &sh0, sizeof(sh0), eh.e_shoff))
			return fail(c, err, CORE_TRUNCATED,
				    "'%s' is cut short: its section header "
				    "(the count of mappings) is missing",
				    path);
		phnum = sh0.sh_info;
	}
	if (!phnum || phnum > MAX_PHNUM)
		return fail(c, err, CORE_NOT_CORE,
			    "'%s' is not a core file leakcheck can read: %llu "
			    "program headers",
			    path, (unsigned long long)phnum);
	if (eh.e_phoff > c->size ||
	    (c->size - eh.e_phoff) / sizeof(*ph) < phnum)
		return fail(c, err, CORE_TRUNCATED,
			    "'%s' is cut short: its program headers (the "
			    "list of mappings) are incomplete",
			    path);
	ph = xmalloc(phnum * sizeof(*ph));
	if (pread_all(c->fd, ph, phnum * sizeof(*ph), eh.e_phoff)) {
		free(ph);
		return fail(c, err, CORE_UNREADABLE, "cannot read core '%s'",
			    path);
	}
	for (uint64_t i = 0; i < phnum; i++) {
		if (ph[i].p_type != PT_LOAD || !ph[i].p_memsz ||
		    ph[i].p_vaddr + ph[i].p_memsz < ph[i].p_vaddr ||
		    ph[i].p_filesz > ph[i].p_memsz ||
		    ph[i].p_offset + ph[i].p_filesz < ph[i].p_offset)
			continue;
		/*
		 * A writable mapping is dumped whole or not at all, by the
		 * kernel and by gdb (only a file's unwritten first page is
		 * dumped alone, its ELF header); a shorter one is a damaged
		 * header, and its memsz may be terabytes that a heap walk
		 * would try page by page: the mapping is what the core
		 * holds of it.
		 */
		if ((ph[i].p_flags & PF_W) && ph[i].p_filesz &&
		    ph[i].p_filesz < ph[i].p_memsz)
			ph[i].p_memsz = ph[i].p_filesz;
		c->maps = xgrow(c->maps, &c->maps_cap, c->nmaps + 1,
				sizeof(*c->maps));
		c->maps[c->nmaps++] = (struct core_map){
		    .start = ph[i].p_vaddr,
		    .end = ph[i].p_vaddr + ph[i].p_memsz,
		    .offset = ph[i].p_offset,
		    .filesz = ph[i].p_filesz,
		    .flags = ph[i].p_flags,
		    .name = "",
		};
	}
	sort_maps(c);
	for (uint64_t i = 0; i < phnum; i++) {
		uint8_t *notes;
		size_t n;
		if (ph[i].p_type != PT_NOTE || !ph[i].p_filesz)
			continue;
		if (ph[i].p_offset > c->size ||
		    c->size - ph[i].p_offset < ph[i].p_filesz) {
			free(ph);
			return fail(c, err, CORE_TRUNCATED,
				    "'%s' is cut short: its notes (threads, "
				    "registers, mapped files) are incomplete",
				    path);
		}
		if (ph[i].p_filesz > MAX_NOTES) {
			unsigned long long sz = ph[i].p_filesz;
			free(ph);
			return fail(c, err, CORE_NOT_CORE,
				    "'%s' is not a core file leakcheck can "
				    "read: %llu bytes of notes",
				    path, sz);
		}
		n = (size_t)ph[i].p_filesz;
		notes = xmalloc(n);
		if (pread_all(c->fd, notes, n, ph[i].p_offset)) {
			free(notes);
			free(ph);
			return fail(c, err, CORE_UNREADABLE,
				    "cannot read core '%s'", path);
		}
		parse_notes(c, notes, n, &threads_cap);
		free(notes);
	}
	free(ph);
	sort_maps(c); /* with NT_FILE's mappings that have no PT_LOAD */
	if (!c->nthreads)
		return fail(c, err, CORE_NOT_CORE,
			    "'%s' is not a core file leakcheck can read: it "
			    "holds no thread (no NT_PRSTATUS note)",
			    path);
	if (!c->pid)
		c->pid = c->threads[0].tid;
	if (!c->signo)
		c->signo = c->threads[0].cursig;
	ret = CORE_OK;
	name_special(c);
	return ret;
}

/* "0x7f12...-0x7f13... (/usr/lib/x86_64-linux-gnu/libc.so.6)" into a
 * list of at most 4, "and N more" */
static void list_maps(char *buf, size_t size, const struct core_map *const *m,
		      size_t n)
{
	size_t len = 0;

	buf[0] = 0;
	for (size_t i = 0; i < n && i < 4; i++) {
		int k = snprintf(buf + len, size - len, "%s%#llx-%#llx%s%s%s",
				 i ? ", " : "", (unsigned long long)m[i]->start,
				 (unsigned long long)m[i]->end,
				 *m[i]->name ? " (" : "", m[i]->name,
				 *m[i]->name ? ")" : "");
		if (k < 0 || (size_t)k >= size - len)
			return;
		len += (size_t)k;
	}
	if (n > 4)
		snprintf(buf + len, size - len, " and %zu more", n - 4);
}

/* Must M have been written to?  The heap and every thread's stack were;
 * a never-written anonymous mapping is not dumped, and is all zeros. */
static int written(const struct core *c, const struct core_map *m)
{
	if (!strcmp(m->name, "[heap]") || !strcmp(m->name, "[stack]"))
		return 1;
	for (size_t i = 0; i < c->nthreads; i++) {
		taddr_t sp = ARCH_SP(&c->threads[i].regs);
		if (sp >= m->start && sp < m->end)
			return 1;
	}
	return 0;
}

int core_check(const struct core *c, char **err)
{
	const struct core_map **cut = xmalloc((c->nmaps + 1) * sizeof(*cut));
	const struct core_map **left = xmalloc((c->nmaps + 1) * sizeof(*left));
	size_t ncut = 0, nleft = 0, nanon_dumped = 0;
	uint64_t cut_bytes = 0;
	char list[400];
	int ret = CORE_OK;

	*err = NULL;
	for (size_t i = 0; i < c->nmaps; i++) {
		const struct core_map *m = &c->maps[i];
		int anon_rw =
		    (m->flags & PF_W) && (m->flags & PF_R) && *m->name != '/';
		nanon_dumped += anon_rw && m->filesz;
		if (m->filesz &&
		    (m->offset > c->size || c->size - m->offset < m->filesz)) {
			cut[ncut++] = m;
			cut_bytes += m->offset >= c->size
					 ? m->filesz
					 : m->filesz - (c->size - m->offset);
		}
	}
	/*
	 * Writable anonymous memory that is not in the core: left out by
	 * coredump_filter (bit 0, private; bit 1, shared) or MADV_DONTDUMP
	 * when it must have been written (a stack, the heap), or when no
	 * anonymous memory at all was dumped; otherwise it was never
	 * written (the kernel dumps a private mapping once it has pages of
	 * its own).  A file's writable mapping that is not in the core was
	 * never written either, or is shared (bit 3): not told apart here.
	 */
	for (size_t i = 0; i < c->nmaps; i++) {
		const struct core_map *m = &c->maps[i];
		if (!m->filesz && (m->flags & PF_W) && (m->flags & PF_R) &&
		    *m->name != '/' && (written(c, m) || !nanon_dumped))
			left[nleft++] = m;
	}
	if (ncut) {
		list_maps(list, sizeof(list), cut, ncut);
		*err = xasprintf(
		    "the core is truncated: %zu of its %zu mappings (%llu "
		    "bytes) are missing or cut short, so they cannot be "
		    "scanned: %s; the core limit (ulimit -c) or the disk was "
		    "too small",
		    ncut, c->nmaps, (unsigned long long)cut_bytes, list);
		ret = CORE_TRUNCATED;
	} else if (nleft) {
		list_maps(list, sizeof(list), left, nleft);
		*err = xasprintf(
		    "the core lacks %zu writable mapping%s that "
		    "coredump_filter "
		    "(or MADV_DONTDUMP) left out, so they cannot be scanned: "
		    "%s; take the core again after 'echo 0x37 > "
		    "/proc/PID/coredump_filter', or with gdb's gcore",
		    nleft, nleft == 1 ? "" : "s", list);
		ret = CORE_FILTERED;
	}
	free(cut);
	free(left);
	return ret;
}

/* The build id in the notes of the ELF image at BASE, read with READ. */
size_t core_build_id(struct core *c, taddr_t base, uint8_t *id, size_t max)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph[64];
	taddr_t bias = base;
	unsigned n;

	if (core_read(c, base, &eh, sizeof(eh)) != (long)sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_phentsize != sizeof(Elf64_Phdr) || !eh.e_phnum)
		return 0;
	n = eh.e_phnum < 64 ? eh.e_phnum : 64;
	if (core_read(c, base + eh.e_phoff, ph, n * sizeof(*ph)) !=
	    (long)(n * sizeof(*ph)))
		return 0;
	for (unsigned i = 0; i < n; i++)
		if (ph[i].p_type == PT_LOAD) {
			/* the first PT_LOAD maps the file's start at BASE */
			bias = base - (ph[i].p_vaddr & ~(taddr_t)4095);
			break;
		}
	for (unsigned i = 0; i < n; i++) {
		uint8_t notes[1024];
		size_t len, at = 0;
		if (ph[i].p_type != PT_NOTE)
			continue;
		len = ph[i].p_filesz < sizeof(notes) ? ph[i].p_filesz
						     : sizeof(notes);
		if (core_read(c, bias + ph[i].p_vaddr, notes, len) != (long)len)
			continue;
		while (at + 12 <= len) {
			uint32_t nsz = get32(notes + at),
				 dsz = get32(notes + at + 4),
				 type = get32(notes + at + 8);
			size_t d = at + 12 + ((nsz + 3u) & ~(size_t)3);
			if (nsz > len || dsz > len || d + dsz > len)
				break;
			if (type == NT_GNU_BUILD_ID && nsz == 4 &&
			    !memcmp(notes + at + 12, "GNU", 4)) {
				if (dsz > max)
					dsz = (uint32_t)max;
				memcpy(id, notes + d, dsz);
				return dsz;
			}
			at = d + ((dsz + 3u) & ~(size_t)3);
		}
	}
	return 0;
}

void core_release(struct core *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->maps);
	free(c->threads);
	free(c->maps_text);
	free(c->names);
	free(c->win);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}
