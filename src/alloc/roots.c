/*
 * roots: the root set of a scan, as data, from a target's memory.
 *
 * Roots (DESIGN.md "The scan"): every thread's root register words (the
 * caller decides which: none for the thread that ends its process); every
 * thread's stack from the place the caller gives (sp, or below it by the
 * red zone) to the end of its mapping; a dead thread's stack only from its
 * struct pthread up; every other readable and writable mapping, less the
 * heap: [heap], the arena heaps and mmapped chunks of glibc are not roots
 * (a freed chunk's stale contents must not keep a block alive), nor the
 * memory the caller says is the allocator's; less memory the caller says
 * is not the program's (leakcheck's own), and the data of a library that
 * is only an allocator (alloc_lib).  Each
 * range and word says what it is (enum scan_root_kind), so that a holder
 * can be named.
 *
 * Everything is read through the target: no ptrace, no /proc.
 */
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "alloc/alloc.h"
#include "alloc/glibc.h"
#include "leakcheck/util.h"

struct gather {
	const struct target *tg;
	const struct roots_opts *o;
	struct root_set *out;
	struct scan_range as;	/* what the ranges being added are */
	struct scan_range *cut; /* not roots: the caller's exclusions and */
	size_t ncut, cut_cap;	/* the allocator libraries' data */
};

static long rd(struct gather *g, taddr_t a, void *buf, size_t len)
{
	return g->tg->read(g->tg->ctx, a, buf, len);
}

static void add_range_to(struct scan_range **v, size_t *n, size_t *cap,
			 const struct scan_range *as, taddr_t s, taddr_t e)
{
	if (e <= s)
		return;
	*v = xgrow(*v, cap, *n + 1, sizeof(**v));
	(*v)[*n] = *as;
	(*v)[*n].start = s;
	(*v)[*n].end = e;
	(*n)++;
}

static void add_root(struct gather *g, taddr_t s, taddr_t e)
{
	add_range_to(&g->out->ranges, &g->out->nranges, &g->out->ranges_cap,
		     &g->as, s, e);
}

static void add_word(struct root_set *r, taddr_t w, uint8_t kind, pid_t tid,
		     int index)
{
	if (r->nwords == r->words_cap) {
		size_t cap = r->words_cap;
		r->words =
		    xgrow(r->words, &cap, r->nwords + 1, sizeof(*r->words));
		r->word_info =
		    xrealloc(r->word_info, cap * sizeof(*r->word_info));
		r->words_cap = cap;
	}
	r->words[r->nwords] = w;
	r->word_info[r->nwords] =
	    (struct scan_root_word){.kind = kind, .tid = tid, .index = index};
	r->nwords++;
}

/*
 * The part of the mapping [S,E) that holds the tracked block B when B is
 * a glibc chunk: the chunk's own pages for an mmapped chunk, the arena's
 * heap for a chunk of a non-main arena.  The kernel merges neighbouring
 * anonymous mappings with the same protection, so one mapping can hold
 * an mmapped chunk next to memory the program mapped itself (Python's
 * object arenas, say): only the chunk is heap, the rest is a root.
 * Returns 0 and the range in *LO and *HI, or -1 when B's header is not one
 * glibc would write (another allocator, or a block inside a main arena
 * that went to mmap for lack of brk): the caller then treats the whole
 * mapping as heap.
 */
static int chunk_extent(struct gather *g, const struct scan_block *b, taddr_t s,
			taddr_t e, taddr_t *lo, taddr_t *hi)
{
	uint64_t hdr[2];
	taddr_t chunk = b->addr - CHUNK_HDR, size;

	if (b->addr < s + CHUNK_HDR ||
	    rd(g, chunk, hdr, sizeof(hdr)) != (long)sizeof(hdr))
		return -1;
	size = hdr[1] & ~SIZE_BITS;
	if (hdr[1] & IS_MMAPPED) {
		/* prev_size holds the offset of an aligned block's chunk
		 * from the start of its mapping */
		taddr_t start = chunk - hdr[0];
		if (hdr[0] > chunk || start < s || (start & 4095) ||
		    ((hdr[0] + size) & 4095) || size < b->size + CHUNK_HDR ||
		    start + hdr[0] + size > e)
			return -1;
		*lo = start;
		*hi = start + hdr[0] + size;
		return 0;
	}
	if (hdr[1] & NON_MAIN_ARENA) {
		taddr_t heap = chunk & ~(HEAP_MAX - 1);
		if (heap < s || size < b->size + 8)
			return -1;
		*lo = heap;
		*hi = heap + HEAP_MAX < e ? heap + HEAP_MAX : e;
		return 0;
	}
	return -1;
}

/*
 * The heap of a non-main glibc arena starting at the HEAP_MAX aligned
 * address A in the mapping [S,E), if there is one: its heap_info header
 * (ar_ptr, prev, size, mprotect_size) is consistent and its read-write
 * part ends where the mapping does (the rest of the reserved 64 MiB is
 * PROT_NONE).  An arena whose blocks were all freed holds no tracked
 * block to find it by, but still holds stale pointers.
 */
static taddr_t arena_heap_end(struct gather *g, taddr_t a, taddr_t s, taddr_t e)
{
	uint64_t hi[4];

	if (a < s || a >= e || rd(g, a, hi, sizeof(hi)) != (long)sizeof(hi))
		return 0;
	if (!hi[0] || hi[2] < 4096 || hi[2] > hi[3] || hi[3] > HEAP_MAX ||
	    ((hi[2] | hi[3]) & 4095) || a + hi[3] > e ||
	    (a + hi[3] != e && hi[3] != HEAP_MAX))
		return 0;
	return a + hi[3];
}

static int cmp_range(const void *x, const void *y)
{
	const struct scan_range *a = x, *b = y;
	return a->start < b->start ? -1 : a->start > b->start;
}

/* The first of the sorted blocks B (NB) at or after S. */
static size_t first_block_from(const struct scan_block *b, size_t nb, taddr_t s)
{
	size_t lo = 0, hi = nb;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (b[mid].addr < s)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The blocks allocated before an attach that could not be walked (an
 * allocator other than glibc's) are unknown, and so is what points from
 * them to the blocks allocated since: the heap, less the tracked blocks
 * (which the scan reaches through the graph), is a root.  A stale word
 * in freed memory can then keep a block "still reachable", but no block
 * is called lost because its only pointer is in an older block.
 */
static void unknown_heap_roots(struct gather *g, const struct scan_block *b,
			       size_t nb, taddr_t s, taddr_t e, taddr_t from)
{
	taddr_t at = from;

	for (size_t i = first_block_from(b, nb, s); i < nb && b[i].addr < e;
	     i++) {
		if (b[i].addr > at)
			add_root(g, at, b[i].addr);
		if (b[i].addr + b[i].size > at)
			at = b[i].addr + b[i].size;
	}
	if (at < e)
		add_root(g, at, e);
}

/* Add as roots the parts of the mapping [S,E) that are not heap, from
 * FROM up (a stack is scanned from its sp).  B/NB: the tracked blocks,
 * sorted by address. */
static void mapping_roots(struct gather *g, const struct scan_block *b,
			  size_t nb, taddr_t s, taddr_t e, taddr_t from)
{
	struct scan_range *cut = NULL, none = {0};
	size_t ncut = 0, cut_cap = 0, n;
	taddr_t at = from;

	if (g->o->heap_unknown) {
		struct scan_range as = g->as;
		g->as.kind = ROOT_HEAP;
		unknown_heap_roots(g, b, nb, s, e, from);
		g->as = as;
		return;
	}

	/* arena heaps, found by their headers */
	for (taddr_t a = (s + HEAP_MAX - 1) & ~(HEAP_MAX - 1), k = 0;
	     a < e && a >= s && k < 1024; a += HEAP_MAX, k++) {
		taddr_t end = arena_heap_end(g, a, s, e);
		if (end)
			add_range_to(&cut, &ncut, &cut_cap, &none, a, end);
	}
	/* the allocator's memory the caller knows (jemalloc's extents and
	 * metadata): its blocks are inside */
	for (size_t k = 0; k < g->o->nheap; k++) {
		const struct scan_range *h = &g->o->heap[k];
		if (h->end > s && h->start < e)
			add_range_to(&cut, &ncut, &cut_cap, &none,
				     h->start > s ? h->start : s,
				     h->end < e ? h->end : e);
	}
	n = ncut;
	/* the chunks of tracked blocks outside them */
	for (size_t i = first_block_from(b, nb, s); i < nb && b[i].addr < e;
	     i++) {
		taddr_t hs, he;
		int inside = 0;
		for (size_t k = 0; k < n && !inside; k++)
			inside =
			    b[i].addr >= cut[k].start && b[i].addr < cut[k].end;
		if (ncut > n && b[i].addr < cut[ncut - 1].end)
			continue; /* in the heap of the block before */
		if (inside)
			continue;
		if (chunk_extent(g, &b[i], s, e, &hs, &he) < 0) {
			if (g->as.kind != ROOT_DATA) {
				/* not glibc's: an allocator's region, all
				 * of it heap */
				free(cut);
				return;
			}
			/* a module's data holding blocks (a static pool
			 * of the program's own allocator): its globals
			 * are roots, the blocks are not */
			hs = b[i].addr;
			he = b[i].addr + (b[i].size ? b[i].size : 1);
		}
		add_range_to(&cut, &ncut, &cut_cap, &none, hs, he);
	}
	if (ncut)
		qsort(cut, ncut, sizeof(*cut), cmp_range);
	for (size_t k = 0; k < ncut; k++) {
		add_root(g, at, cut[k].start);
		if (cut[k].end > at)
			at = cut[k].end;
	}
	add_root(g, at, e);
	free(cut);
}

/* mapping_roots() of [S,E) less the ranges in it that are not the
 * program's: the caller's (leakcheck's own memory: the stubs' cells, the
 * fast path's ring and table) and the allocator libraries' data. */
static void mapping_roots_cut(struct gather *g, const struct scan_block *b,
			      size_t nb, taddr_t s, taddr_t e, taddr_t from)
{
	for (size_t i = 0; i < g->ncut; i++) {
		taddr_t xs = g->cut[i].start, xe = g->cut[i].end;
		if (xs >= e || xe <= s)
			continue;
		if (xs > s)
			mapping_roots_cut(g, b, nb, s, xs,
					  from < xs ? from : xs);
		if (xe < e)
			mapping_roots_cut(g, b, nb, xe, e,
					  from > xe ? from : xe);
		return;
	}
	mapping_roots(g, b, nb, s, e, from);
}

/*
 * The TCB of a glibc thread whose stack is the anonymous mapping [S,E),
 * found by its signature near the end of the mapping: ARCH_TCB_TCB and
 * ARCH_TCB_SELF hold its own address, and its DTV pointer points
 * ARCH_TCB_DTV_BIAS bytes into a tracked block (B, NB: sorted).  A false
 * match would take a root away, so all three must hold.  0 if none.
 */
static taddr_t find_tcb(struct gather *g, const struct scan_block *b, size_t nb,
			taddr_t s, taddr_t e)
{
	uint64_t buf[ARCH_TCB_NEAR_END / 8];
	taddr_t lo = e - s > sizeof(buf) ? e - sizeof(buf) : s;
	long n = rd(g, lo, buf, (size_t)(e - lo));

	for (long i = n / 8 - ARCH_TCB_SELF / 8 - 1; i >= 0; i--) {
		taddr_t a = lo + (taddr_t)i * 8;
		uint64_t dtv = buf[i + ARCH_TCB_DTV / 8];
		long k;
		if ((a & 63) || buf[i + ARCH_TCB_TCB / 8] != a ||
		    buf[i + ARCH_TCB_SELF / 8] != a || dtv < ARCH_TCB_DTV_BIAS)
			continue;
		k = scan_find_block(b, nb, dtv - ARCH_TCB_DTV_BIAS);
		if (k >= 0 && b[k].addr == dtv - ARCH_TCB_DTV_BIAS)
			return a;
	}
	return 0;
}

/* glibc's own memory of the thread whose TCB is at TP: its DTV, which
 * the TCB points into (ARCH_TCB_DTV_BIAS bytes), as a start-pointer root
 * word, so that it is never a leak of the program's (nor are the dynamic
 * TLS blocks the DTV holds). */
static void tcb_roots(struct gather *g, taddr_t tp, pid_t tid)
{
	uint64_t dtv;

	if (!tp ||
	    rd(g, tp + ARCH_TCB_DTV, &dtv, sizeof(dtv)) != (long)sizeof(dtv) ||
	    dtv < ARCH_TCB_DTV_BIAS)
		return;
	add_word(g->out, dtv - ARCH_TCB_DTV_BIAS, ROOT_DTV, tid, 0);
}

/*
 * Libraries that are an allocator and nothing else.  Their writable data
 * (.data, .bss) is the allocator's state, which points at blocks it has
 * handed out: tcmalloc's central free lists keep the head and tail of
 * every batch they gave a thread cache in slots they do not clear (up to
 * 128 stale pointers per size class, each keeping a lost block "still
 * reachable"), mimalloc's main heap its random state.  What the program
 * keeps is not there.  (Not libtcmalloc_and_profiler: the CPU profiler's
 * buffers are blocks its data holds.)
 */
static int alloc_lib(const char *name)
{
	static const char *const libs[] = {
	    "libtcmalloc.so", "libtcmalloc_minimal", "libtcmalloc_debug",
	    "libjemalloc", "libmimalloc"};
	const char *base = strrchr(name, '/');

	base = base ? base + 1 : name;
	for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]); i++)
		if (!strncmp(base, libs[i], strlen(libs[i])))
			return 1;
	return 0;
}

/* The writable segments of the allocator library whose first page (its
 * ELF header) is at BASE, into G's cut ranges, from its program headers
 * as they are in memory (none if they cannot be read).  Its own mappings
 * come after that page in the maps, so they are cut as they are met. */
static void alloc_lib_data(struct gather *g, taddr_t base)
{
	Elf64_Phdr ph[32];
	struct scan_range none = {0};
	int n = target_phdrs(g->tg, base, ph, 32);

	for (int i = 0; i < n; i++)
		if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_W) &&
		    ph[i].p_memsz < (1ull << 32))
			add_range_to(&g->cut, &g->ncut, &g->cut_cap, &none,
				     base + ph[i].p_vaddr,
				     base + ph[i].p_vaddr + ph[i].p_memsz);
}

void roots_gather(const struct target *tg, const struct target_thread *th,
		  size_t nth, const struct scan_block *blocks, size_t nb,
		  const struct roots_opts *o, struct root_set *out)
{
	struct gather g = {.tg = tg, .o = o, .out = out};
	char *line, *save = NULL;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < nth; i++) {
		for (size_t k = 0; k < th[i].nwords; k++)
			add_word(out, th[i].words[k], ROOT_REGISTER, th[i].tid,
				 (int)k);
		tcb_roots(&g, th[i].tp, th[i].tid);
	}
	if (!tg->maps)
		return;
	for (size_t i = 0; i < o->nexclude; i++)
		add_range_to(&g.cut, &g.ncut, &g.cut_cap,
			     &(struct scan_range){0}, o->exclude[i].start,
			     o->exclude[i].end);
	out->text = xstrdup(tg->maps);
	for (line = strtok_r(out->text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned long long s, e, foff;
		char perms[8] = "";
		int off = 0, stack = 0;
		const char *name;
		taddr_t from;
		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &s, &e, perms,
			   &foff, &off) < 4)
			continue;
		name = off ? line + off : "";
		if (foff == 0 && *name == '/' && alloc_lib(name))
			alloc_lib_data(&g, s);
		if (perms[0] != 'r' || perms[1] != 'w')
			continue;
		if ((!strcmp(name, "[heap]") && !o->heap_unknown) ||
		    !strcmp(name, "[vvar]") || !strcmp(name, "[vsyscall]"))
			continue;
		from = s;
		g.as = (struct scan_range){
		    .kind = *name == '/' ? ROOT_DATA : ROOT_MMAP, .name = name};
		if (!strcmp(name, "[heap]"))
			g.as.kind = ROOT_HEAP;
		/* a thread stack: only from sp (minus red zone) up */
		for (size_t i = 0; i < nth; i++) {
			if (th[i].sp >= s && th[i].sp < e) {
				from = th[i].from > s ? th[i].from : s;
				stack = 1;
				g.as.kind = ROOT_STACK;
				g.as.tid = th[i].tid;
			}
		}
		if (!stack && !*name) {
			/*
			 * The stack of a thread that is gone (glibc keeps it
			 * cached, full of the dead thread's frames): only
			 * its struct pthread, which glibc still uses (a
			 * joinable thread's result), is a root.
			 */
			taddr_t tcb = find_tcb(&g, blocks, nb, s, e);
			size_t i;
			for (i = 0; i < nth && th[i].tp != tcb; i++)
				;
			if (tcb && i == nth) {
				from = tcb;
				g.as.kind = ROOT_DEAD_TCB;
				tcb_roots(&g, tcb, 0);
			}
		}
		mapping_roots_cut(&g, blocks, nb, s, e, from);
	}
	/* a thread running on a malloc'd stack: scan that block from sp */
	for (size_t i = 0; i < nth; i++) {
		long bi = scan_find_block(blocks, nb, th[i].sp);
		if (bi < 0)
			continue;
		g.as = (struct scan_range){.kind = ROOT_BLOCK_STACK,
					   .tid = th[i].tid};
		add_root(&g,
			 th[i].from > blocks[bi].addr ? th[i].from
						      : blocks[bi].addr,
			 blocks[bi].addr + blocks[bi].size);
	}
	free(g.cut);
}

struct scan_input root_set_scan_input(const struct root_set *r,
				      const struct target *tg,
				      struct scan_block *blocks, size_t nb)
{
	return (struct scan_input){
	    .blocks = blocks,
	    .nblocks = nb,
	    .roots = r->ranges,
	    .nroots = r->nranges,
	    .root_words = r->words,
	    .nroot_words = r->nwords,
	    .root_word_info = r->word_info,
	    .read = tg->read,
	    .read_ctx = tg->ctx,
	    .flags = SCAN_GLIBC_CHUNKS | SCAN_HEURISTICS,
	};
}

void root_set_release(struct root_set *r)
{
	free(r->ranges);
	free(r->words);
	free(r->word_info);
	free(r->text);
	memset(r, 0, sizeof(*r));
}
