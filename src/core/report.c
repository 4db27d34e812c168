/*
 * core report: `leakcheck --core=CORE [PROGRAM]`, the leak report of a
 * core file, with the pieces a live report uses (tracer/exitscan.c's
 * proc_report): glibc's heap walked (alloc/heapwalk.c), the roots
 * gathered (alloc/roots.c), every block classified (scan/), grouped into
 * loss records (report/loss.c) and written as text and through
 * report_writers[].
 *
 * A core holds no allocation stacks.  A block whose first word points
 * into a C++ vtable (a _ZTV symbol of a module named in NT_FILE, the word
 * before it pointing at a _ZTI typeinfo where the core holds it) is of
 * that class: its record's "stack" is one frame, the vtable address, which
 * the report names by the class ("blocks of class Session"); records
 * group other blocks by size.  Suppressions match that frame: valgrind's
 * fun: the vtable's symbol (_ZTV7Session), LSan's leak: the class name.
 *
 * Roots are those of a live report of a stopped process: every thread's
 * general and SSE registers (from NT_PRSTATUS, NT_PRFPREG) and its stack
 * from sp minus the red zone, except the thread a fatal signal killed
 * (the first thread of a kernel core): as at a live death by a signal,
 * its registers are not roots and its stack counts from sp.  gdb's gcore
 * of a running process has no such thread.
 *
 * Symbols come from the files NT_FILE names, PROGRAM standing for the
 * executable; a module whose build id differs from the one in the core
 * is said and not used.
 *
 * Holder paths (--show-holders, --top-holders) are the live report's
 * (report/holders.c over scan_classify's holders): the core stands where
 * the stopped process stands, its threads' sp and tp name stack and TLS
 * roots.  The heap profiles (--heap-profile, --folded, --flamegraph) have
 * no stacks either: each sample's one frame is the blocks' class, or for
 * a block of no known class a frame "blocks of N bytes" (N the usable
 * size of its chunk, so glibc's size class), a PC of its own outside the
 * address space (CORE_SIZE_PC) that the symbol callback names.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc/alloc.h"
#include "core/core.h"
#include "leakcheck/depot.h"
#include "leakcheck/heap.h"
#include "leakcheck/options.h"
#include "leakcheck/profile.h"
#include "leakcheck/report.h"
#include "leakcheck/scan.h"
#include "leakcheck/suppress.h"
#include "leakcheck/sym.h"
#include "leakcheck/util.h"

#define BUILD_ID_MAX 64

/* The profiles' frame for blocks of SIZE bytes of no known class: a PC no
 * x86-64 process can have (not canonical), so never a vtable's. */
#define CORE_SIZE_TAG (1ull << 63)
#define CORE_SIZE_PC(size) (CORE_SIZE_TAG | (size))

/* A vtable found as blocks' first word. */
struct vtype {
	taddr_t vptr;	    /* the address point the blocks hold */
	int is_vtable;	    /* 0: looked up, not a vtable */
	uint32_t stack_id;  /* its one-frame stack in the report's depot */
	struct sym_frame f; /* how the report names it */
	char *class_name;   /* "class Session" */
};

struct core_run {
	struct core core;
	struct target tg;
	struct symbolizer *sym;
	struct stack_depot depot;
	/* first words looked up: open addressing on vptr, index + 1 */
	struct vtype *types;
	size_t ntypes, types_cap;
	uint32_t *index;
	size_t index_mask;
	/* the profiles' size frames: "blocks of N bytes", by size */
	struct size_frame *sizes;
	size_t nsizes;
	/* the files the mappings are of, as symbol_files() gives them
	 * (NULL: the core's name, "": not to be used) */
	const char **files;
	/* holder_read()'s open file: PATH (one of the maps' names), or
	 * FD -1 */
	const char *open_path;
	int open_fd;
};

struct size_frame {
	uint64_t size;
	char *name;
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The build id of the ELF file PATH (notes in its program headers). */
static size_t file_build_id(const char *path, uint8_t *id, size_t max)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph[64];
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_phentsize != sizeof(Elf64_Phdr))
		goto out;
	{
		unsigned n = eh.e_phnum < 64 ? eh.e_phnum : 64;
		if (pread(fd, ph, n * sizeof(*ph), (off_t)eh.e_phoff) !=
		    (ssize_t)(n * sizeof(*ph)))
			goto out;
		for (unsigned i = 0; i < n && !got; i++) {
			uint8_t notes[1024];
			ssize_t len;
			size_t at = 0;
			if (ph[i].p_type != PT_NOTE)
				continue;
			len = pread(fd, notes,
				    ph[i].p_filesz < sizeof(notes)
					? ph[i].p_filesz
					: sizeof(notes),
				    (off_t)ph[i].p_offset);
			while (len > 0 && at + 12 <= (size_t)len) {
				uint32_t nsz, dsz, type;
				size_t d;
				memcpy(&nsz, notes + at, 4);
				memcpy(&dsz, notes + at + 4, 4);
				memcpy(&type, notes + at + 8, 4);
				d = at + 12 + ((nsz + 3u) & ~(size_t)3);
				if (nsz > (size_t)len || dsz > (size_t)len ||
				    d + dsz > (size_t)len)
					break;
				if (type == NT_GNU_BUILD_ID && nsz == 4 &&
				    !memcmp(notes + at + 12, "GNU", 4)) {
					got = dsz < max ? dsz : max;
					memcpy(id, notes + d, got);
					break;
				}
				at = d + ((dsz + 3u) & ~(size_t)3);
			}
		}
	}
out:
	close(fd);
	return got;
}

static void hex(char *out, const uint8_t *id, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", id[i]);
	out[2 * n] = 0;
}

/*
 * The names the symbolizer is to see for each mapping (NULL: the core's):
 * PROGRAM for the executable's, "" for a module whose build id is not the
 * one in the core.  Says each mismatch.  Returns a malloc'd array.
 */
static const char **symbol_files(struct core *c, const char *program)
{
	const char **names = xcalloc(c->nmaps + 1, sizeof(*names));
	const struct core_map *exe =
	    c->at_entry ? core_map_of(c, c->at_entry) : NULL;
	const char *exe_name = exe && *exe->name == '/' ? exe->name : NULL;

	if (program && !exe_name)
		warning("core: the executable's mapping is not named in the "
			"core; '%s' is not used",
			program);
	for (size_t i = 0; i < c->nmaps; i++) {
		const struct core_map *m = &c->maps[i];
		uint8_t in_core[BUILD_ID_MAX], in_file[BUILD_ID_MAX];
		size_t nc, nf;
		const char *path;
		if (*m->name != '/')
			continue;
		path = program && exe_name && !strcmp(m->name, exe_name)
			   ? program
			   : m->name;
		if (path != m->name)
			names[i] = path;
		if (m->pgoff)
			continue;
		/* the module's first mapping: its ELF header */
		nc = core_build_id(c, m->start, in_core, sizeof(in_core));
		if (!nc)
			continue;
		nf = file_build_id(path, in_file, sizeof(in_file));
		if (access(path, R_OK)) {
			debug("core: '%s' is not here: no symbols from it",
			      path);
		} else if (nf != nc || memcmp(in_core, in_file, nc)) {
			char a[2 * BUILD_ID_MAX + 1], b[2 * BUILD_ID_MAX + 1];
			hex(a, in_core, nc);
			hex(b, in_file, nf);
			warning("core: '%s' is not the file the process had "
				"mapped (build id %s, the core's %s): its "
				"symbols are not used",
				path, nf ? b : "none", a);
			/* every mapping of that module */
			for (size_t k = 0; k < c->nmaps; k++)
				if (!strcmp(c->maps[k].name, m->name))
					names[k] = "";
		}
	}
	return names;
}

static size_t vtype_hash(taddr_t w)
{
	return (size_t)(w * 0x9e3779b97f4a7c15ull >> 20);
}

/* The vtype for W if looked up already, else NULL. */
static struct vtype *vtype_find(const struct core_run *r, taddr_t w)
{
	if (!r->index)
		return NULL;
	for (size_t b = vtype_hash(w) & r->index_mask; r->index[b];
	     b = (b + 1) & r->index_mask)
		if (r->types[r->index[b] - 1].vptr == w)
			return &r->types[r->index[b] - 1];
	return NULL;
}

/* The vtype for first word W, looked up once. */
static struct vtype *vtype_of(struct core_run *r, taddr_t w)
{
	size_t b;
	struct vtype *t;
	struct sym_frame f[8];
	const struct core_map *m;
	uint64_t pre[2];
	int n;

	if (!r->index || 2 * (r->ntypes + 1) > r->index_mask + 1) {
		size_t cap = r->index ? 2 * (r->index_mask + 1) : 1024;
		free(r->index);
		r->index = xcalloc(cap, sizeof(*r->index));
		r->index_mask = cap - 1;
		for (size_t i = 0; i < r->ntypes; i++) {
			b = vtype_hash(r->types[i].vptr) & r->index_mask;
			while (r->index[b])
				b = (b + 1) & r->index_mask;
			r->index[b] = (uint32_t)(i + 1);
		}
	}
	for (b = vtype_hash(w) & r->index_mask; r->index[b];
	     b = (b + 1) & r->index_mask)
		if (r->types[r->index[b] - 1].vptr == w)
			return &r->types[r->index[b] - 1];
	r->types =
	    xgrow(r->types, &r->types_cap, r->ntypes + 1, sizeof(*r->types));
	t = &r->types[r->ntypes];
	memset(t, 0, sizeof(*t));
	t->vptr = w;
	r->index[b] = (uint32_t)++r->ntypes;
	/*
	 * Before the address point of a class's primary vtable: its
	 * offset-to-top, 0 for the object's own vptr, and its typeinfo
	 * pointer, into a module.  Checked first: a symbol lookup costs
	 * more, and most first words that point into a module are not
	 * vptrs (strings, functions).
	 */
	if (!r->sym || core_read(&r->core, w - 16, pre, 16) != 16 ||
	    pre[0] != 0 || !(m = core_map_of(&r->core, pre[1])) ||
	    *m->name != '/')
		return t;
	n = sym_lookup(r->sym, w, 0, f, 8);
	debug("core: first word %#llx: %s", (unsigned long long)w,
	      n >= 1 && f[n - 1].mangled ? f[n - 1].mangled : "no symbol");
	if (n < 1 || !f[n - 1].mangled || strncmp(f[n - 1].mangled, "_ZTV", 4))
		return t;
	{
		/* the word before the address point: its typeinfo */
		struct sym_frame g[8];
		int k = sym_lookup(r->sym, pre[1], 0, g, 8);
		if (k < 1 || !g[k - 1].mangled ||
		    strncmp(g[k - 1].mangled, "_ZTI", 4))
			return t;
	}
	t->is_vtable = 1;
	t->f = f[n - 1];
	{
		const char *name = t->f.func ? t->f.func : t->f.mangled;
		if (!strncmp(name, "vtable for ", 11))
			name += 11;
		t->class_name = xasprintf("class %s", name);
	}
	t->f.func = t->class_name;
	t->f.file = NULL;
	t->f.line = 0;
	t->f.inlined = 0;
	t->stack_id = stack_depot_intern(&r->depot, &w, 1);
	return t;
}

/* The size frame of PC (CORE_SIZE_PC), or NULL. */
static const struct size_frame *size_frame_find(const struct core_run *r,
						taddr_t pc)
{
	uint64_t size = pc & ~CORE_SIZE_TAG;
	size_t lo = 0, hi = r->nsizes;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (r->sizes[mid].size < size)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < r->nsizes && r->sizes[lo].size == size ? &r->sizes[lo]
							   : NULL;
}

static int cmp_u64(const void *va, const void *vb)
{
	uint64_t a = *(const uint64_t *)va, b = *(const uint64_t *)vb;
	return a < b ? -1 : a > b;
}

/*
 * For the profiles: every block of no class gets the one-frame stack of
 * its size, "blocks of N bytes".  Done after the reports, which group
 * such blocks by size themselves and say that a core holds no stack.
 */
static void size_frames(struct core_run *r, struct scan_block *b, size_t nb)
{
	uint64_t *sz = xmalloc((nb + 1) * sizeof(*sz));
	size_t n = 0;

	for (size_t i = 0; i < nb; i++)
		if (!b[i].stack_id)
			sz[n++] = b[i].size & ~CORE_SIZE_TAG;
	qsort(sz, n, sizeof(*sz), cmp_u64);
	r->sizes = xcalloc(n + 1, sizeof(*r->sizes));
	for (size_t i = 0; i < n; i++) {
		char num[32];
		if (r->nsizes && r->sizes[r->nsizes - 1].size == sz[i])
			continue;
		r->sizes[r->nsizes].size = sz[i];
		r->sizes[r->nsizes++].name =
		    xasprintf("blocks of %s bytes", fmt_thousands(num, sz[i]));
	}
	free(sz);
	for (size_t i = 0; i < nb; i++) {
		taddr_t pc;
		if (b[i].stack_id)
			continue;
		pc = CORE_SIZE_PC(b[i].size & ~CORE_SIZE_TAG);
		b[i].stack_id = stack_depot_intern(&r->depot, &pc, 1);
	}
}

/*
 * report_holders' reads: the core, and where it does not hold the bytes
 * (code: a core keeps a file's unwritten pages out), the mapped file
 * itself, if it is the one the process had (symbol_files()).  The holder
 * paths read code to tell return addresses on stacks.
 */
static long holder_read(void *ctx, taddr_t addr, void *buf, size_t len)
{
	struct core_run *r = ctx;
	long got = core_read(&r->core, addr, buf, len);
	const struct core_map *m;
	const char *path;
	ssize_t n;
	int fd;

	if (got == (long)len)
		return got;
	m = core_map_of(&r->core, addr);
	if (!m || m->filesz || addr + len > m->end || addr + len < addr)
		return got;
	path = r->files ? r->files[m - r->core.maps] : NULL;
	if (!path)
		path = m->name;
	if (*path != '/')
		return got;
	if (path != r->open_path) {
		/* the frames of a stack are in few modules: keep one open */
		if (r->open_fd >= 0)
			close(r->open_fd);
		r->open_fd = open(path, O_RDONLY | O_CLOEXEC);
		r->open_path = path;
	}
	fd = r->open_fd;
	if (fd < 0)
		return got;
	n = pread(fd, buf, len, (off_t)(m->pgoff + (addr - m->start)));
	return n == (ssize_t)len ? n : got;
}

/* report_holders' way to name a data address. */
static int core_data_cb(void *ctx, taddr_t addr, struct sym_data *out)
{
	return ctx ? sym_lookup_data(ctx, addr, out) : 0;
}

/* The report's symbolizer: a class frame for a vtable address, a size
 * frame for CORE_SIZE_PC. */
static int core_sym_cb(void *ctx, taddr_t pc, int is_return,
		       struct sym_frame *out, int max)
{
	struct core_run *r = ctx;
	const struct vtype *t = vtype_find(r, pc);

	if (t && t->is_vtable) {
		out[0] = t->f;
		return 1;
	}
	if ((pc & CORE_SIZE_TAG) && r->nsizes) {
		const struct size_frame *sf = size_frame_find(r, pc);
		memset(out, 0, sizeof(*out));
		out->pc = pc;
		out->func = sf ? sf->name : NULL;
		out->mangled = out->func;
		return 1;
	}
	if (!r->sym) {
		memset(out, 0, sizeof(*out));
		out->pc = pc;
		return 1;
	}
	return sym_lookup(r->sym, pc, is_return, out, max);
}

/* Type the blocks by their first word; returns how many got a class. */
static size_t type_blocks(struct core_run *r, struct scan_block *b, size_t nb)
{
	size_t typed = 0;

	for (size_t i = 0; i < nb; i++) {
		uint64_t w;
		const struct core_map *m;
		struct vtype *t;
		if (b[i].size < 8 ||
		    core_read(&r->core, b[i].addr, &w, 8) != 8 || (w & 7))
			continue;
		m = core_map_of(&r->core, w);
		if (!m || *m->name != '/' || !(m->flags & PF_R))
			continue;
		t = vtype_of(r, w);
		if (t->is_vtable) {
			b[i].stack_id = t->stack_id;
			typed++;
		}
	}
	return typed;
}

/*
 * The roots cut to the bytes the core holds.  A sound core holds every
 * writable mapping whole (core_check() says otherwise), so this changes
 * nothing there; a damaged program header can make a mapping terabytes
 * long, which the scan would otherwise try to read page by page.
 */
static void clip_roots(const struct core *c, struct root_set *rs)
{
	for (size_t i = 0; i < rs->nranges; i++) {
		struct scan_range *g = &rs->ranges[i];
		const struct core_map *m = core_map_of(c, g->start);
		taddr_t held;
		if (!m) {
			g->end = g->start;
			continue;
		}
		/* across adjacent mappings that are held whole */
		while (m->filesz == m->end - m->start && m->end < g->end &&
		       m + 1 < c->maps + c->nmaps && m[1].start == m->end)
			m++;
		held = m->start + m->filesz;
		if (g->end > held)
			g->end = held > g->start ? held : g->start;
	}
}

/* psargs split at spaces, NULL-ended; malloc'd, one block. */
static char **split_args(const char *s)
{
	size_t n = 1, len = strlen(s);
	char **v, *copy;

	for (const char *p = s; *p; p++)
		n += *p == ' ';
	v = xmalloc((n + 1) * sizeof(*v) + len + 1);
	copy = (char *)(v + n + 1);
	memcpy(copy, s, len + 1);
	n = 0;
	for (char *tok = strtok(copy, " "); tok; tok = strtok(NULL, " "))
		v[n++] = tok;
	v[n] = NULL;
	return v;
}

/* The threads as the scan sees them, their register words into *WORDS
 * (malloc'd, caller frees, as the result). */
static struct target_thread *core_threads(const struct core *c, taddr_t **words)
{
	struct target_thread *th = xcalloc(c->nthreads + 1, sizeof(*th));
	size_t per = ARCH_MAX_REG_WORDS + 32;
	taddr_t *w = xmalloc((c->nthreads + 1) * per * sizeof(*w));
	/* a kernel core: the first thread took the fatal signal */
	int dying = c->signo && c->threads[0].cursig == c->signo &&
		    c->signo != SIGSTOP && c->signo != SIGTRAP;

	for (size_t i = 0; i < c->nthreads; i++) {
		const struct core_thread *t = &c->threads[i];
		unsigned long long rw[ARCH_MAX_REG_WORDS];
		taddr_t *tw = w + i * per;
		size_t nw = 0;
		int n;
		th[i].tid = t->tid;
		th[i].sp = ARCH_SP(&t->regs);
		th[i].tp = ARCH_TP(&t->regs);
		th[i].from = th[i].sp - ARCH_RED_ZONE;
		if (i == 0 && dying) {
			/* as at a live death by a signal: its registers are
			 * not roots, its stack counts from sp */
			th[i].from = th[i].sp;
			continue;
		}
		n = arch_regs_words(&t->regs, rw);
		for (int k = 0; k < n; k++)
			tw[nw++] = rw[k];
		if (t->have_fp)
			for (int k = 0; k < 32; k++)
				tw[nw++] = t->xmm[k];
		th[i].words = tw;
		th[i].nwords = nw;
	}
	*words = w;
	return th;
}

static int status_exit(int status)
{
	switch (status) {
	case CORE_NOT_CORE:
		return LC_EXIT_NOTELF;
	case CORE_BAD_ARCH:
		return LC_EXIT_BADARCH;
	case CORE_TRUNCATED:
		return LC_EXIT_CORE_TRUNCATED;
	case CORE_FILTERED:
		return LC_EXIT_CORE_FILTERED;
	default:
		return LC_EXIT_INPUT;
	}
}

/*
 * A jemalloc in the core (a module named libjemalloc*): its blocks into
 * TABLE, their number and bytes into *NB and *BYTES, where it is in *LAY.
 * Returns 0, -1 if there is none, or 1 with why it cannot be walked in
 * WHY.
 */
static int core_jemalloc(struct core_run *r, struct heap_table *table,
			 size_t *nb, uint64_t *bytes, struct je_layout *lay,
			 char *why, size_t why_len)
{
	taddr_t *tps;
	const char *mod = NULL;
	size_t len = 0;
	int ret;

	for (size_t i = 0; i < r->core.nmaps && !mod; i++) {
		const char *name = r->core.maps[i].name,
			   *slash = name ? strrchr(name, '/') : NULL;
		if (slash && !strncmp(slash + 1, "libjemalloc", 11)) {
			mod = name;
			len = strlen(name);
		}
	}
	if (!mod)
		return -1;
	if (je_locate(&r->tg, mod, len, lay, why, why_len))
		return 1;
	tps = xcalloc(r->core.nthreads + 1, sizeof(*tps));
	for (size_t i = 0; i < r->core.nthreads; i++)
		tps[i] = ARCH_TP(&r->core.threads[i].regs);
	ret = je_walk_target(&r->tg, lay, tps, r->core.nthreads, table, nb,
			     bytes, why, why_len);
	free(tps);
	return ret ? 1 : 0;
}

int core_report(const char *core_path, const char *program)
{
	struct core_run r;
	struct heap_table table;
	struct heap_block *hb;
	struct scan_block *blocks;
	struct root_set roots;
	struct roots_opts ro = {0};
	struct je_layout je_lay = {0};
	struct scan_range *je_heap = NULL;
	struct target_thread *th;
	taddr_t *words;
	struct scan_stats st = {0};
	struct loss_record *recs;
	struct leak_summary sum;
	struct report_ctx rc;
	struct report_run run = {0};
	struct outfile log;
	const char **sym_names;
	char *err = NULL, *sym_maps, *note, *log_name = NULL;
	char *program_abs = NULL;
	size_t nb, nrec, typed, ncliques;
	struct scan_clique *cliques;
	/* --show-holders, --top-holders: who holds the blocks */
	struct scan_holders holders = {0};
	struct report_holders rh = {0};
	int want_holders =
	    opt.holder_kinds || opt.top_holders || opt.nholders_of;
	struct stat cst;
	uint64_t walked_bytes, t0 = now_ns();
	int ret, errors, walk;
	char sig[32] = "";

	memset(&r, 0, sizeof(r));
	r.open_fd = -1;
	ret = core_open(&r.core, core_path, &err);
	if (ret != CORE_OK) {
		error("%s", err);
		free(err);
		return status_exit(ret);
	}
	ret = core_check(&r.core, &err);
	if (ret != CORE_OK) {
		error("core '%s': %s", core_path, err);
		free(err);
		core_release(&r.core);
		return status_exit(ret);
	}
	core_target(&r.core, &r.tg);

	heap_table_init(&table);
	walk = heap_walk_target(&r.tg, &table, &nb, &walked_bytes);
	if (walk != HEAP_WALK_OK) {
		/* no glibc heap in use: a jemalloc program's? */
		char why[256];
		int jw = core_jemalloc(&r, &table, &nb, &walked_bytes, &je_lay,
				       why, sizeof(why));
		if (jw > 0) {
			error("core '%s': malloc is jemalloc's, and %s: no "
			      "block can be classified",
			      core_path, why);
			heap_table_release(&table);
			core_release(&r.core);
			return LC_EXIT_CORE_HEAP;
		}
		if (jw == 0)
			walk = HEAP_WALK_OK;
	}
	/*
	 * EMPTY: no main_arena, where a live process would have no [heap]
	 * either (malloc not used yet); a core names no [heap], so that is
	 * as likely a damaged main_arena, and "no leaks are possible" would
	 * claim what is not known.
	 */
	if (walk == HEAP_WALK_UNKNOWN || walk == HEAP_WALK_EMPTY) {
		error("core '%s': glibc's heap is not found in it (malloc is "
		      "not glibc 2.36's, %sor its main_arena is damaged): no "
		      "block can be classified",
		      core_path,
		      walk == HEAP_WALK_EMPTY ? "was never used, " : "");
		heap_table_release(&table);
		core_release(&r.core);
		return LC_EXIT_CORE_HEAP;
	}
	hb = heap_table_take(&table, &nb);
	heap_table_release(&table);
	for (size_t i = 0; i < nb; i++) {
		struct scan_block sb = {
		    .addr = hb[i].addr, .size = hb[i].size, .flags = HB_CORE};
		memcpy(&hb[i], &sb, sizeof(sb));
	}
	blocks = (struct scan_block *)(void *)hb;

	/* symbols, for the classes; PROGRAM as a path from the root, as
	 * the maps name files */
	if (program) {
		program_abs = realpath(program, NULL);
		if (!program_abs)
			warning("core: cannot use '%s' as the program: %s",
				program, strerror(errno));
	}
	sym_names = symbol_files(&r.core, program_abs);
	sym_maps = core_maps_format(&r.core, sym_names);
	r.sym = sym_new_from_maps(sym_maps, r.core.pid);
	free(sym_maps);
	r.files = sym_names;
	stack_depot_init(&r.depot);
	typed = type_blocks(&r, blocks, nb);

	th = core_threads(&r.core, &words);
	if (je_lay.root && je_heap_ranges(&r.tg, &je_lay, th, r.core.nthreads,
					  &je_heap, &ro.nheap) == 0)
		ro.heap = je_heap;
	roots_gather(&r.tg, th, r.core.nthreads, blocks, nb, &ro, &roots);
	clip_roots(&r.core, &roots);
	{
		struct scan_input in =
		    root_set_scan_input(&roots, &r.tg, blocks, nb);
		in.holders = want_holders ? &holders : NULL;
		scan_classify(&in, &st);
		cliques = in.cliques;
		ncliques = in.ncliques;
	}
	recs = loss_records_build(blocks, nb, cliques, ncliques, &nrec, &sum);
	free(cliques);

	if (r.core.signo > 0 && r.core.signo < NSIG)
		snprintf(sig, sizeof(sig), "SIG%s",
			 sigabbrev_np(r.core.signo) ? sigabbrev_np(r.core.signo)
						    : "?");
	note = xasprintf(
	    "Core '%s' of pid %d%s%s: a core holds no allocation stacks, so "
	    "loss records group blocks by size, and by class where a block's "
	    "first word points into a C++ vtable.",
	    core_path, (int)r.core.pid, *sig ? ", signal " : "", sig);

	memset(&rc, 0, sizeof(rc));
	rc.pid = r.core.pid;
	rc.mode = opt.leak_check;
	rc.show_kinds = opt.show_kinds;
	rc.error_kinds = opt.error_kinds;
	rc.num_callers = opt.num_callers;
	rc.depot = &r.depot;
	rc.sym = core_sym_cb;
	rc.sym_ctx = &r;
	for (size_t i = 0; i < nb; i++) {
		rc.in_use_bytes += blocks[i].size;
		rc.in_use_blocks++;
	}
	rc.on_demand = 1;
	rc.note = note;
	rc.gen_suppressions = opt.gen_suppressions;
	run.argv = split_args(*r.core.psargs ? r.core.psargs : r.core.fname);
	run.ppid = r.core.ppid;
	rc.run = &run;
	rc.preamble = !opt.quiet;
	if (want_holders) {
		rh = (struct report_holders){
		    .blocks = blocks,
		    .h = &holders,
		    .roots = roots.ranges,
		    .nroots = roots.nranges,
		    .words = roots.word_info,
		    .nwords = roots.nwords,
		    .threads = th,
		    .nthreads = r.core.nthreads,
		    .read = holder_read,
		    .read_ctx = &r,
		    .data = core_data_cb,
		    .data_ctx = r.sym,
		    .kinds = opt.holder_kinds,
		    .top = opt.top_holders,
		    .of = opt.holders_of,
		    .nof = opt.nholders_of,
		};
		report_holders_prepare(&rc, &rh, recs, nrec);
		rc.holders = &rh;
	}
	if (opt.supps)
		supp_apply(opt.supps, &rc, recs, nrec, &sum);

	if (opt.log_file) {
		log_name = report_path(opt.log_file, r.core.pid);
		ret = outfile_open(&log, log_name, OUTFILE_TRUNC);
		if (ret) {
			error("cannot open log file '%s': %s; reporting on "
			      "stderr",
			      log_name, strerror(-ret));
			free(log_name);
			log_name = NULL;
			outfile_stderr(&log);
		}
	} else {
		outfile_stderr(&log);
	}
	rc.out = log.f;
	if (opt.leak_check != LEAK_CHECK_NO)
		report_text(&rc, recs, nrec, &sum);
	ret = outfile_close(&log);
	if (ret)
		error("cannot write the report to %s%s%s: %s",
		      log_name ? "'" : "standard error",
		      log_name ? log_name : "", log_name ? "'" : "",
		      strerror(-ret));
	free(log_name);
	{
		struct report_result res = {recs, nrec, &sum, r.core.psargs};
		report_write_files(&rc, r.core.pid, &res);
	}
	{
		struct report_ctx full = rc;
		full.mode = LEAK_CHECK_FULL;
		errors = (int)report_error_count(&full, recs, nrec);
	}
	if (opt.heap_profile || opt.folded_file || opt.flamegraph) {
		/* the heap profiles, last: they give the blocks of no class
		 * their size's frame; the time is the core's */
		struct profile_request req = {
		    .pprof = opt.heap_profile,
		    .folded = opt.folded_file,
		    .flamegraph = opt.flamegraph,
		    .pid = r.core.pid,
		    .command = *r.core.psargs ? r.core.psargs : r.core.fname,
		};
		struct profile_data pd = {
		    .blocks = blocks,
		    .nblocks = nb,
		    .classified = 1,
		    .depot = &r.depot,
		    .sym = core_sym_cb,
		    .sym_ctx = &r,
		    /* no mappings: no frame is code (a class's vtable, a
		     * size), and a core's text mappings may be unnamed or
		     * not executable, so that [vdso] would pass for the
		     * program */
		    .maps_text = NULL,
		    .holders = want_holders ? &holders : NULL,
		};
		if (fstat(r.core.fd, &cst) == 0)
			pd.time_nanos =
			    (int64_t)cst.st_mtim.tv_sec * 1000000000 +
			    cst.st_mtim.tv_nsec;
		size_frames(&r, blocks, nb);
		profile_write_outputs(&req, &pd);
	}
	if (log_verbose)
		fprintf(stderr,
			"leakcheck: core '%s': %zu mappings, %zu threads, %zu "
			"blocks (%zu of a C++ class), %llu bytes of roots and "
			"%llu of blocks scanned, %llu unreadable, %.3f s\n",
			core_path, r.core.nmaps, r.core.nthreads, nb, typed,
			(unsigned long long)st.root_bytes,
			(unsigned long long)st.heap_bytes,
			(unsigned long long)st.unreadable,
			(double)(now_ns() - t0) / 1e9);

	free(run.argv);
	free(note);
	report_holders_release(&rh);
	scan_holders_release(&holders);
	free(recs);
	free(words);
	free(th);
	root_set_release(&roots);
	free(je_heap);
	free(blocks);
	for (size_t i = 0; i < r.ntypes; i++)
		free(r.types[i].class_name);
	free(r.types);
	free(r.index);
	for (size_t i = 0; i < r.nsizes; i++)
		free(r.sizes[i].name);
	free(r.sizes);
	free(r.files);
	free(program_abs);
	if (r.open_fd >= 0)
		close(r.open_fd);
	stack_depot_release(&r.depot);
	if (r.sym)
		sym_free(r.sym);
	core_release(&r.core);
	if (outfile_failures())
		return LC_EXIT_OUTPUT;
	if (opt.error_exitcode && errors)
		return opt.error_exitcode;
	return 0;
}
