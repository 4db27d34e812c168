/*
 * jemalloc: at attach, find the blocks jemalloc 5.3.0 already has live, as
 * heapwalk.c does for glibc, so that a leak made before we came is still
 * found and no block is held by memory we know nothing of.  They enter
 * the table with HB_PRE_ATTACH and no stack, with their usable size.
 *
 * Only a jemalloc that says it is 5.3.0 ("5.3.0-0-g..." in the module's
 * read-only data) built for x86-64 with 48-bit addresses, 4 KiB pages and
 * a 16-byte quantum (Debian 12's libjemalloc2, and upstream's default
 * build) is walked; the geometry below is that build's (jemalloc 5.3.0's
 * include/jemalloc/internal/{rtree,edata,bitmap,cache_bin,tcache_structs,
 * sc}.h), checked against Debian's libjemalloc_pic.a symbol sizes
 * (je_arena_emap_global is 0x200078 bytes) and on live processes.
 * Anything else, or anything in the target that does not add up, and the
 * caller falls back to treating the heap as unknown: nothing is guessed.
 *
 * What 5.3.0 keeps, and where:
 *   - je_arena_emap_global (hidden, in the module's .bss): an rtree_t
 *     {base_t *base; malloc_mutex_t init_lock (112 bytes); root[2^18]},
 *     a two-level radix tree over the 36 significant bits of a page
 *     number.  root[i] points to a leaf of 2^18 words (1 GiB of address
 *     space); a leaf word is an edata_t pointer (128-aligned) with the
 *     extent's slab bit (bit 0), is_head (1), state (2..4) and szind
 *     (48..55).  A slab's every page is in the tree, another extent's
 *     first and last; a cleared word has no edata_t (and szind
 *     SC_NSIZES).  It is found by its contents, not by symbol (the
 *     library has no .symtab): a word of the module's writable segment
 *     that points to a leaf whose entries name edata_t's whose addresses
 *     put that word at root[addr >> 30] of one and the same array, in
 *     that segment.
 *   - edata_t (128 bytes, in the arena's base memory): e_bits {arena_ind
 *     0..11, slab 12, committed 13, pai 14, zeroed 15, guarded 16, state
 *     17..19, szind 20..27, nfree 28..37, ...}, e_addr at 8, e_size_esn
 *     at 16 (size: the page bits), and for a slab its bitmap of regions at
 *     64: 8 words, a 1 bit is a free region, a 0 bit an allocated one.
 *   - an active extent is one large allocation (at e_addr, of
 *     sz_index2size(szind) bytes) or a slab of size-class szind regions,
 *     extent size / region size of them, nfree of them free.
 *   - regions allocated as far as the slab says but cached by a thread:
 *     each thread's tsd_t is the module's static TLS (one
 *     R_X86_64_TPOFF64 relocation gives its offset from the thread
 *     pointer); in it tcache_slow_t (its tcache at 168, its cache bins'
 *     allocation at 160) and tcache_t {tcache_slow; cache_bin_t bins[]}
 *     point at each other; cache_bin_t {void **stack_head; nrequests;
 *     u16 low_water, full, empty} holds (empty - low16(stack_head)) / 8
 *     pointers from stack_head up: free regions (and, from 16 KiB to
 *     tcache_max, free large extents).  The bins' allocation (dyn_alloc)
 *     is jemalloc's own, not the program's.  An explicit cache
 *     (tcache.create) is one allocation holding its bins' stacks, its
 *     tcache_t and its tcache_slow_t, found among the regions of its
 *     size.
 *
 * The emap's leaves, the edata_t's and the arenas are in jemalloc's base
 * memory, which points at every extent: the mappings that hold them, and
 * those that hold extents in any state (dirty ones hold stale pointers),
 * are not roots: je_heap_ranges gives them, exactly (the extents from
 * their edata_t's, the base blocks from their headers), at every report.
 * Nor is a thread's rtree_ctx_t (in its tsd_t, after tcache_slow_t): it
 * caches 16 + 8 leaf keys, the addresses of the 1 GiB boundaries below
 * the pages it last looked up, and a key points into a lost block that
 * spans its boundary: "possibly lost" for want of a key (a big buffer
 * always spans one; an 8 MiB heap sometimes does).
 *
 * Everything read is the target's memory: untrusted, every count bounded.
 * The heap must hold still (attach.c drains the allocator first).
 */
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc/alloc.h"
#include "leakcheck/util.h"

#define JE_VERSION "5.3.0-0-g"

#define JE_PAGE 4096ull
#define HUGEPAGE (2ull << 20)
#define RT_BITS 18			  /* key bits per rtree level */
#define RT_NELM (1ull << RT_BITS)	  /* words in the root and a leaf */
#define RT_ROOT_OFF 0x78ull		  /* offsetof(rtree_t, root) */
#define RT_LEAF_BYTES (RT_NELM * 8)	  /* a leaf: 2 MiB */
#define LEAF_EDATA_MASK 0xffffffffff80ull /* bits 7..47 */
#define LEAF_SLAB 1ull
#define LEAF_STATE(w) (((w) >> 2) & 7)
#define LEAF_SZIND(w) ((unsigned)((w) >> 48))

#define ED_SIZE 128
#define ED_BITS_SLAB(b) (((b) >> 12) & 1)
#define ED_BITS_STATE(b) ((unsigned)(((b) >> 17) & 7))
#define ED_BITS_SZIND(b) ((unsigned)(((b) >> 20) & 0xff))
#define ED_BITS_NFREE(b) ((unsigned)(((b) >> 28) & 0x3ff))
#define ED_ADDR 8
#define ED_SIZE_ESN 16
#define ED_BITMAP 64
#define ED_BITMAP_WORDS 8
#define STATE_ACTIVE 0
#define STATE_MAX 5

#define SC_NSIZES 232
#define SC_NBINS 36 /* small size classes: up to 14 KiB */
#define SLAB_MAXREGS 512

/* tcache_slow_t and tcache_t, cache_bin_t */
#define TS_DYN_ALLOC 160
#define TS_TCACHE 168
#define TS_SIZE 176
#define CB_SIZE 24
#define CB_LOW_BITS_EMPTY 20
#define TCACHE_NBINS_MAX 73 /* SC_NBINS + 4 * (23 - 14) + 1 */
#define TC_SIZE (8 + TCACHE_NBINS_MAX * CB_SIZE) /* sizeof(tcache_t) */
/* tsd_t's rtree_ctx_t, just after its tcache_slow_t: 16 + 8 entries of
 * {leaf key, leaf} */
#define RTREE_CTX_SIZE ((16 + 8) * 16)

/* The most extents and regions one walk believes: 2^26 (a 64 GiB heap of
 * 1 KiB blocks is far less). */
#define MAX_ITEMS (1u << 26)

/* sz_index2size for this geometry (sc.c: LG_QUANTUM 4, LG_NGROUP 2,
 * LG_TINY_MIN 3). */
uint64_t je_size_class(unsigned szind)
{
	unsigned g, k;

	if (szind == 0)
		return 8;
	if (szind <= 4)
		return 16ull * szind;
	/* from 80 on: groups of 4 sizes between powers of two from 64 */
	g = (szind - 5) / 4;
	k = (szind - 5) % 4 + 1;
	return (64ull << g) + k * (16ull << g);
}

struct je_walk {
	const struct target *tg;
	char *why;
	size_t why_len;
};

static __attribute__((format(printf, 2, 3))) int fail(struct je_walk *w,
						      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->why, w->why_len, fmt, ap);
	va_end(ap);
	return -1;
}

static int rd(struct je_walk *w, taddr_t a, void *buf, size_t len)
{
	return target_read_all(w->tg, a, buf, len);
}

/* One line of a maps text: start, end, perms, file offset, name. */
struct je_map {
	taddr_t start, end;
	uint64_t off;
	char perms[8];
	const char *name;
	int name_len;
};

static int next_map(const char **cur, struct je_map *m)
{
	while (*cur && **cur) {
		const char *line = *cur, *nl = strchr(line, '\n');
		unsigned long long s, e, off;
		int n = 0;
		*cur = nl ? nl + 1 : NULL;
		memset(m->perms, 0, sizeof(m->perms));
		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s%n", &s, &e,
			   m->perms, &off, &n) < 4 ||
		    !n)
			continue;
		m->name = line + n;
		while (*m->name == ' ' || *m->name == '\t')
			m->name++;
		m->name_len = (int)strcspn(m->name, "\n");
		m->start = s;
		m->end = e;
		m->off = off;
		return 1;
	}
	return 0;
}

static int same_name(const struct je_map *m, const char *name, size_t len)
{
	return (size_t)m->name_len == len && !memcmp(m->name, name, len);
}

/* Is the module's version 5.3.0: JE_VERSION in one of its read-only
 * mappings? */
static int version_ok(struct je_walk *w, const char *mod, size_t len)
{
	const char *cur = w->tg->maps;
	struct je_map m;
	const size_t vl = sizeof(JE_VERSION) - 1;

	while (next_map(&cur, &m)) {
		uint8_t *buf;
		size_t n = (size_t)(m.end - m.start);
		int found = 0;
		if (!same_name(&m, mod, len) || m.perms[0] != 'r' ||
		    m.perms[1] == 'w' || m.perms[2] == 'x' || n > (64u << 20))
			continue;
		buf = xmalloc(n);
		if (!rd(w, m.start, buf, n))
			for (size_t i = 1; i + vl + 40 < n && !found; i++)
				found = !buf[i - 1] &&
					!memcmp(buf + i, JE_VERSION, vl);
		free(buf);
		if (found)
			return 1;
	}
	return 0;
}

/* The module's load address: its mapping at file offset 0. */
static taddr_t module_base(struct je_walk *w, const char *mod, size_t len)
{
	const char *cur = w->tg->maps;
	struct je_map m;

	while (next_map(&cur, &m))
		if (same_name(&m, mod, len) && m.off == 0)
			return m.start;
	return 0;
}

/*
 * The offset from a thread's pointer of the module's static TLS block, and
 * its size, from its program headers, its dynamic section and its one
 * R_X86_64_TPOFF64 relocation (whose GOT word ld.so filled in); and where
 * its writable segment (.data, .bss) is, into *DS and *DE.  Returns 0 or
 * -1.
 */
static int tls_offset(struct je_walk *w, taddr_t base, int64_t *off,
		      uint64_t *size, taddr_t *ds, taddr_t *de)
{
	Elf64_Phdr ph[32];
	taddr_t dyn = 0, rela = 0;
	uint64_t relasz = 0, tls_size = 0;
	int found = 0, nph = target_phdrs(w->tg, base, ph, 32);

	for (int i = 0; i < nph; i++) {
		if (ph[i].p_type == PT_DYNAMIC)
			dyn = base + ph[i].p_vaddr;
		if (ph[i].p_type == PT_TLS)
			tls_size = ph[i].p_memsz;
		if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_W) && !*ds) {
			*ds = base + ph[i].p_vaddr;
			*de = *ds + ph[i].p_memsz;
		}
	}
	if (!dyn || !tls_size || tls_size > (1u << 20))
		return -1;
	for (int i = 0; i < 512; i++) {
		Elf64_Dyn d;
		if (rd(w, dyn + (taddr_t)i * sizeof(d), &d, sizeof(d)) ||
		    d.d_tag == DT_NULL)
			break;
		if (d.d_tag == DT_RELA)
			rela = d.d_un.d_ptr;
		if (d.d_tag == DT_RELASZ)
			relasz = d.d_un.d_val;
	}
	if (!rela || !relasz || relasz > (16u << 20))
		return -1;
	if (rela < base) /* ld.so relocates it in place, or not */
		rela += base;
	{
		size_t n = relasz / sizeof(Elf64_Rela);
		Elf64_Rela *r = xmalloc(n * sizeof(*r));
		if (rd(w, rela, r, n * sizeof(*r))) {
			free(r);
			return -1;
		}
		for (size_t i = 0; i < n; i++) {
			uint64_t got;
			if (ELF64_R_TYPE(r[i].r_info) != R_X86_64_TPOFF64 ||
			    ELF64_R_SYM(r[i].r_info))
				continue;
			if (rd(w, base + r[i].r_offset, &got, sizeof(got)))
				continue;
			if (found && *off != (int64_t)(got - r[i].r_addend)) {
				free(r);
				return -1;
			}
			*off = (int64_t)(got - r[i].r_addend);
			found = 1;
		}
		free(r);
	}
	if (!found || *off >= 0)
		return -1;
	*size = tls_size;
	return 0;
}

/* Is [A, A+LEN) in anonymous read-write mappings, one after another (the
 * kernel splits one where its flags differ: madvise)? */
static int in_anon(const char *maps, taddr_t a, uint64_t len)
{
	const char *cur = maps;
	struct je_map m;
	taddr_t at = a, end = a + len;

	if (end < a)
		return 0;
	while (next_map(&cur, &m) && at < end) {
		if (m.end <= at)
			continue;
		if (m.start > at || m.perms[0] != 'r' || m.perms[1] != 'w' ||
		    m.name_len)
			return 0;
		at = m.end;
	}
	return at >= end;
}

/*
 * Where the emap's root array is: in the module's writable segment [DS,
 * DE), a word that points to a leaf whose entries say that word is
 * root[addr >> 30] of an array that lies in that segment.  Returns its
 * address, or 0 (none, or two that disagree).
 */
static taddr_t find_root(struct je_walk *w, taddr_t ds, taddr_t de)
{
	uint64_t *leaf, *buf;
	taddr_t found = 0;
	size_t n;
	int nfound = 0;

	ds = (ds + 7) & ~7ull;
	if (de <= ds || de - ds > (64u << 20) ||
	    de - ds < RT_ROOT_OFF + RT_LEAF_BYTES)
		return 0;
	n = (size_t)(de - ds) / 8;
	buf = xmalloc(n * 8);
	if (rd(w, ds, buf, n * 8)) {
		free(buf);
		return 0;
	}
	leaf = xmalloc(RT_LEAF_BYTES);
	for (size_t i = 0; i < n; i++) {
		taddr_t at = ds + i * 8, root = 0;
		int agree = 0, disagree = 0;
		if (!buf[i] || (buf[i] & 63) ||
		    !in_anon(w->tg->maps, buf[i], RT_LEAF_BYTES) ||
		    rd(w, buf[i], leaf, RT_LEAF_BYTES))
			continue;
		for (size_t j = 0; j < RT_NELM && agree < 16; j++) {
			uint64_t ed[3];
			taddr_t e = leaf[j] & LEAF_EDATA_MASK, r;
			if (!e)
				continue;
			if (rd(w, e, ed, sizeof(ed))) {
				disagree++;
				break;
			}
			/* only an extent's first page says where its leaf
			 * is */
			if ((ed[1] >> 12 & (RT_NELM - 1)) != j)
				continue;
			r = at - ((ed[1] >> 30) & (RT_NELM - 1)) * 8;
			if ((root && r != root) || r < ds + RT_ROOT_OFF ||
			    r + RT_LEAF_BYTES > de) {
				disagree++;
				break;
			}
			root = r;
			agree++;
		}
		if (!agree || disagree)
			continue;
		if (found != root)
			nfound++;
		found = root;
	}
	free(leaf);
	free(buf);
	return nfound == 1 ? found : 0;
}

/* An extent the tree names: its edata_t, and the page it was met at. */
struct je_ext {
	taddr_t ed, page;
	uint64_t leaf; /* the leaf word */
};

static int cmp_ext(const void *a, const void *b)
{
	taddr_t x = ((const struct je_ext *)a)->ed,
		y = ((const struct je_ext *)b)->ed;
	return x < y ? -1 : x > y;
}

/* Every extent in the tree at ROOT (unique by edata_t, sorted), into
 * *OUT (*N), and the leaves' addresses into *LEAVES (*NLEAVES) if not
 * NULL.  Returns 0 or -1. */
static int rtree_extents(struct je_walk *w, taddr_t root, struct je_ext **out,
			 size_t *n, taddr_t **leaves, size_t *nleaves)
{
	uint64_t *top = xmalloc(RT_LEAF_BYTES), *leaf = NULL;
	struct je_ext *v = NULL;
	size_t nv = 0, cap = 0, lcap = 0;
	int ret = 0;

	if (leaves)
		*nleaves = 0;
	if (rd(w, root, top, RT_LEAF_BYTES)) {
		free(top);
		return fail(w, "its extent map at %#llx cannot be read",
			    (unsigned long long)root);
	}
	leaf = xmalloc(RT_LEAF_BYTES);
	for (size_t i = 0; i < RT_NELM && !ret; i++) {
		if (!top[i])
			continue;
		if ((top[i] & 63) || rd(w, top[i], leaf, RT_LEAF_BYTES)) {
			ret = fail(w,
				   "a leaf of its extent map, %#llx, cannot "
				   "be read",
				   (unsigned long long)top[i]);
			break;
		}
		if (leaves) {
			*leaves = xgrow(*leaves, &lcap, *nleaves + 1,
					sizeof(**leaves));
			(*leaves)[(*nleaves)++] = top[i];
		}
		for (size_t j = 0; j < RT_NELM; j++) {
			taddr_t e = leaf[j] & LEAF_EDATA_MASK;
			/* a cleared entry: no edata_t, szind SC_NSIZES */
			if (!e)
				continue;
			if (LEAF_STATE(leaf[j]) > STATE_MAX ||
			    nv >= MAX_ITEMS) {
				ret = fail(w,
					   "its extent map has a bad entry "
					   "%#llx",
					   (unsigned long long)leaf[j]);
				break;
			}
			/* a slab's pages in a row name one edata_t */
			if (nv && v[nv - 1].ed == e)
				continue;
			v = xgrow(v, &cap, nv + 1, sizeof(*v));
			v[nv++] = (struct je_ext){.ed = e,
						  .page = (i << 30) | (j << 12),
						  .leaf = leaf[j]};
		}
	}
	free(top);
	free(leaf);
	if (ret) {
		free(v);
		return ret;
	}
	if (nv)
		qsort(v, nv, sizeof(*v), cmp_ext);
	{
		size_t k = 0;
		for (size_t i = 0; i < nv; i++)
			if (!k || v[k - 1].ed != v[i].ed)
				v[k++] = v[i];
		nv = k;
	}
	*out = v;
	*n = nv;
	return 0;
}

/* A region the walk found allocated. */
struct je_reg {
	taddr_t addr;
	uint64_t size;
	uint8_t drop; /* in a thread cache, or a thread cache's own */
};

static int cmp_reg(const void *a, const void *b)
{
	taddr_t x = ((const struct je_reg *)a)->addr,
		y = ((const struct je_reg *)b)->addr;
	return x < y ? -1 : x > y;
}

static struct je_reg *find_reg(struct je_reg *v, size_t n, taddr_t a)
{
	struct je_reg key = {.addr = a};
	return n ? bsearch(&key, v, n, sizeof(*v), cmp_reg) : NULL;
}

/* The allocated regions of the active extents X (NX) into *OUT (*N). */
static int extent_regions(struct je_walk *w, const struct je_ext *x, size_t nx,
			  struct je_reg **out, size_t *n)
{
	struct je_reg *v = NULL;
	size_t nv = 0, cap = 0;

	for (size_t i = 0; i < nx; i++) {
		uint64_t ed[ED_SIZE / 8], bits, esize, rsize;
		taddr_t addr;
		unsigned szind, nregs, nfree = 0;
		if (rd(w, x[i].ed, ed, sizeof(ed))) {
			free(v);
			return fail(w, "extent data at %#llx cannot be read",
				    (unsigned long long)x[i].ed);
		}
		bits = ed[0];
		addr = ed[ED_ADDR / 8];
		esize = ed[ED_SIZE_ESN / 8] & ~(JE_PAGE - 1);
		szind = ED_BITS_SZIND(bits);
		/* the tree and the extent agree on where, what and how */
		if (ED_BITS_STATE(bits) != LEAF_STATE(x[i].leaf) || !esize ||
		    x[i].page < (addr & ~(JE_PAGE - 1)) ||
		    x[i].page >= (addr & ~(JE_PAGE - 1)) + esize) {
			free(v);
			return fail(w,
				    "extent data at %#llx (bits %#llx, address "
				    "%#llx, size %#llx) does not match its map "
				    "entry %#llx for page %#llx",
				    (unsigned long long)x[i].ed,
				    (unsigned long long)bits,
				    (unsigned long long)addr,
				    (unsigned long long)esize,
				    (unsigned long long)x[i].leaf,
				    (unsigned long long)x[i].page);
		}
		/* an extent given back keeps the slab bit and size class it
		 * had; its map entry does not */
		if (ED_BITS_STATE(bits) != STATE_ACTIVE)
			continue;
		if (szind != LEAF_SZIND(x[i].leaf) || szind >= SC_NSIZES ||
		    ED_BITS_SLAB(bits) != (x[i].leaf & LEAF_SLAB)) {
			free(v);
			return fail(w,
				    "extent at %#llx has size class %u and "
				    "slab bit %u, its map entry %u and %u",
				    (unsigned long long)addr, szind,
				    (unsigned)ED_BITS_SLAB(bits),
				    LEAF_SZIND(x[i].leaf),
				    (unsigned)(x[i].leaf & LEAF_SLAB));
		}
		rsize = je_size_class(szind);
		if (!ED_BITS_SLAB(bits)) {
			if (rsize > esize || addr + rsize > addr + esize) {
				free(v);
				return fail(w,
					    "large extent at %#llx of %#llx "
					    "bytes holds a block of %#llx",
					    (unsigned long long)addr,
					    (unsigned long long)esize,
					    (unsigned long long)rsize);
			}
			v = xgrow(v, &cap, nv + 1, sizeof(*v));
			v[nv++] = (struct je_reg){.addr = addr, .size = rsize};
			continue;
		}
		nregs = (unsigned)(esize / rsize);
		if (szind >= SC_NBINS || (addr & (JE_PAGE - 1)) || !nregs ||
		    nregs > SLAB_MAXREGS) {
			free(v);
			return fail(w,
				    "slab at %#llx of %#llx bytes has size "
				    "class %u",
				    (unsigned long long)addr,
				    (unsigned long long)esize, szind);
		}
		for (unsigned r = 0; r < nregs; r++)
			nfree += (ed[ED_BITMAP / 8 + r / 64] >> (r % 64)) & 1;
		if (nfree != ED_BITS_NFREE(bits)) {
			free(v);
			return fail(w,
				    "slab at %#llx counts %u free regions, its "
				    "bitmap %u",
				    (unsigned long long)addr,
				    ED_BITS_NFREE(bits), nfree);
		}
		if (nv + nregs > MAX_ITEMS) {
			free(v);
			return fail(w, "more than %u regions", MAX_ITEMS);
		}
		v = xgrow(v, &cap, nv + nregs, sizeof(*v));
		for (unsigned r = 0; r < nregs; r++)
			if (!((ed[ED_BITMAP / 8 + r / 64] >> (r % 64)) & 1))
				v[nv++] = (struct je_reg){
				    .addr = addr + r * rsize, .size = rsize};
	}
	if (nv)
		qsort(v, nv, sizeof(*v), cmp_reg);
	for (size_t i = 1; i < nv; i++)
		if (v[i].addr < v[i - 1].addr + v[i - 1].size) {
			taddr_t at = v[i].addr;
			free(v);
			return fail(w, "extents overlap at %#llx",
				    (unsigned long long)at);
		}
	*out = v;
	*n = nv;
	return 0;
}

/*
 * The thread cache in BUF, SIZE bytes read at AT (a thread's TSD block,
 * or the allocation of an explicit cache, whose bins' allocation must
 * then be WANT_DYN, itself): its cached regions and its bins' allocation
 * marked to drop in R (NR), that allocation's size into *DYN_SIZE.  A
 * thread that never allocated has none.  Returns 1, 0 if none is there,
 * or -1.
 */
/*
 * The offset in BUF (SIZE bytes read at TSD) of a tcache_slow_t and its
 * tcache_t, which point at each other, with a bins' allocation (WANT_DYN
 * if not 0) in *DYN; the tcache_t's address in *T.  -1 if none is there.
 */
static int64_t find_tcache(taddr_t tsd, const uint8_t *buf, uint64_t size,
			   taddr_t want_dyn, uint64_t *t, uint64_t *dyn)
{
	for (uint64_t s = 0; s + TS_SIZE <= size; s += 8) {
		uint64_t back;
		memcpy(t, buf + s + TS_TCACHE, 8);
		if (*t < tsd || *t + 8 > tsd + size || (*t & 7))
			continue;
		memcpy(&back, buf + (*t - tsd), 8);
		memcpy(dyn, buf + s + TS_DYN_ALLOC, 8);
		if (back == tsd + s && *dyn && (!want_dyn || *dyn == want_dyn))
			return (int64_t)s;
	}
	return -1;
}

static int take_tcache(struct je_walk *w, taddr_t tsd, const uint8_t *buf,
		       uint64_t size, taddr_t want_dyn, struct je_reg *r,
		       size_t nr, uint64_t *dyn_size)
{
	uint64_t t, dyn, nbins;

	if (find_tcache(tsd, buf, size, want_dyn, &t, &dyn) < 0)
		return 0;
	/* tcache_slow and its tcache at T: the bins */
	{
		struct je_reg *d = find_reg(r, nr, dyn);
		if (!d)
			return fail(w,
				    "the thread cache at %#llx has its "
				    "bins in %#llx, not a block",
				    (unsigned long long)t,
				    (unsigned long long)dyn);
		d->drop = 1;
		*dyn_size = d->size;
	}
	nbins = (tsd + size - (t + 8)) / CB_SIZE;
	if (nbins > TCACHE_NBINS_MAX)
		nbins = TCACHE_NBINS_MAX;
	for (uint64_t b = 0; b < nbins; b++) {
		const uint8_t *cb = buf + (t + 8 - tsd) + b * CB_SIZE;
		uint64_t head, items[1024];
		uint16_t empty;
		unsigned n;
		memcpy(&head, cb, 8);
		memcpy(&empty, cb + CB_LOW_BITS_EMPTY, 2);
		if (!head)
			continue;
		n = (uint16_t)(empty - (uint16_t)head) / 8;
		if (!n)
			continue;
		if (n > 1024 || rd(w, head, items, n * 8))
			return fail(w,
				    "thread cache bin %llu at %#llx "
				    "holds %u regions that cannot be "
				    "read",
				    (unsigned long long)b,
				    (unsigned long long)head, n);
		for (unsigned k = 0; k < n; k++) {
			struct je_reg *x = find_reg(r, nr, items[k]);
			if (!x || x->drop ||
			    (b < SC_NSIZES &&
			     x->size != je_size_class((unsigned)b)))
				return fail(w,
					    "thread cache bin %llu holds "
					    "%#llx, not an allocated region of "
					    "its size",
					    (unsigned long long)b,
					    (unsigned long long)items[k]);
			x->drop = 1;
		}
	}
	return 1;
}

/*
 * The explicit thread caches (mallctl "tcache.create"): each is one
 * allocation, its bins' stacks, then its tcache_t and tcache_slow_t
 * (tcache.c: tcache_create_explicit), so of the size class of the
 * automatic caches' bins' allocation (AUTO_SIZE) plus those two, or the
 * one after.  The allocated regions of those sizes are searched for one.
 * Returns 0 or -1.
 */
static int take_explicit(struct je_walk *w, uint64_t auto_size,
			 struct je_reg *r, size_t nr)
{
	uint64_t lo = auto_size, hi = 0, unused;
	uint8_t *buf = NULL;
	int ret = 0;

	for (unsigned i = 0; i < SC_NSIZES && !hi; i++)
		if (je_size_class(i) >= auto_size + TC_SIZE + TS_SIZE + 8)
			hi = je_size_class(i + 1 < SC_NSIZES ? i + 1 : i);
	if (!hi || hi > (1u << 20))
		return 0;
	buf = xmalloc(hi);
	for (size_t i = 0; i < nr && ret >= 0; i++) {
		if (r[i].drop || r[i].size < lo || r[i].size > hi ||
		    rd(w, r[i].addr, buf, r[i].size))
			continue;
		ret = take_tcache(w, r[i].addr, buf, r[i].size, r[i].addr, r,
				  nr, &unused);
	}
	free(buf);
	return ret < 0 ? -1 : 0;
}

int je_locate(const struct target *tg, const char *mod, size_t len,
	      struct je_layout *out, char *why, size_t why_len)
{
	struct je_walk w = {.tg = tg, .why = why, .why_len = why_len};
	taddr_t base, ds = 0, de = 0;

	memset(out, 0, sizeof(*out));
	/* tests/attach.sh: the fallback, on a jemalloc this walks */
	if (getenv("LEAKCHECK_TEST_NO_JEMALLOC_WALK"))
		return fail(&w, "its walk is turned off "
				"(LEAKCHECK_TEST_NO_JEMALLOC_WALK)");
	if (!version_ok(&w, mod, len))
		return fail(&w, "its version is not %s...", JE_VERSION);
	base = module_base(&w, mod, len);
	if (!base ||
	    tls_offset(&w, base, &out->tls_off, &out->tls_size, &ds, &de))
		return fail(&w, "its thread-local data is not found");
	out->root = find_root(&w, ds, de);
	if (!out->root)
		return fail(&w, "its extent map is not found");
	return 0;
}

int je_walk_target(const struct target *tg, const struct je_layout *lay,
		   const taddr_t *tps, size_t ntp, struct heap_table *out,
		   size_t *nblocks, uint64_t *nbytes, char *why, size_t why_len)
{
	struct je_walk w = {.tg = tg, .why = why, .why_len = why_len};
	struct je_ext *x = NULL;
	struct je_reg *r = NULL;
	size_t nx = 0, nr = 0, kept = 0, cached = 0;
	uint64_t bytes = 0, auto_size = 0;
	uint8_t *tsd = NULL;
	int ret;

	*nblocks = 0;
	*nbytes = 0;
	ret = rtree_extents(&w, lay->root, &x, &nx, NULL, NULL);
	if (!ret)
		ret = extent_regions(&w, x, nx, &r, &nr);
	if (!ret && lay->tls_size) {
		tsd = xmalloc(lay->tls_size);
		for (size_t i = 0; i < ntp && !ret; i++) {
			taddr_t a = tps[i] + (uint64_t)lay->tls_off;
			if (!tps[i] || rd(&w, a, tsd, lay->tls_size))
				continue; /* no thread pointer: no cache */
			ret = take_tcache(&w, a, tsd, lay->tls_size, 0, r, nr,
					  &auto_size);
			ret = ret < 0 ? ret : 0;
		}
	}
	if (!ret && auto_size)
		ret = take_explicit(&w, auto_size, r, nr);
	if (!ret)
		for (size_t i = 0; i < nr; i++) {
			struct heap_block b = {.addr = r[i].addr,
					       .size = r[i].size,
					       .flags = HB_PRE_ATTACH};
			if (r[i].drop) {
				cached++;
				continue;
			}
			heap_table_insert(out, &b);
			kept++;
			bytes += r[i].size;
		}
	if (!ret)
		debug(
		    "pid %d: jemalloc: %zu extents, %zu regions allocated, %zu "
		    "of them in thread caches or theirs",
		    tg->pid, nx, nr, cached);
	free(tsd);
	free(x);
	free(r);
	*nblocks = kept;
	*nbytes = bytes;
	return ret;
}

/*
 * The base block (jemalloc's metadata: base.c's base_block_t {size, next,
 * edata_t edata} at a 2 MiB boundary, its edata_t the unused tail: e_addr
 * + e_bsize is the block's end) that holds A, into *R.  Returns 0 or -1.
 */
static int base_block_of(struct je_walk *w, taddr_t a, struct scan_range *r)
{
	taddr_t c = a & ~(HUGEPAGE - 1);

	for (int k = 0; k < 64 && c; k++, c -= HUGEPAGE) {
		uint64_t h[5];
		if (rd(w, c, h, sizeof(h)))
			continue;
		/* size, next, e_bits, e_addr, e_bsize */
		if (!h[0] || (h[0] & (HUGEPAGE - 1)) || c + h[0] <= a ||
		    c + h[0] < c || (h[1] & (HUGEPAGE - 1)) || h[3] <= c ||
		    h[3] > c + h[0] || h[3] + h[4] != c + h[0])
			continue;
		r->start = c;
		r->end = c + h[0];
		return 0;
	}
	return -1;
}

static int cmp_range(const void *a, const void *b)
{
	const struct scan_range *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

static void add_range(struct scan_range **v, size_t *n, size_t *cap, taddr_t s,
		      taddr_t e)
{
	*v = xgrow(*v, cap, *n + 1, sizeof(**v));
	memset(&(*v)[*n], 0, sizeof(**v));
	(*v)[*n].start = s;
	(*v)[*n].end = e;
	(*n)++;
}

/* Is A in one of the ranges V (N), the last ones added first? */
static int in_ranges(const struct scan_range *v, size_t n, taddr_t a)
{
	for (size_t i = n; i-- > 0;)
		if (a >= v[i].start && a < v[i].end)
			return 1;
	return 0;
}

int je_heap_ranges(const struct target *tg, const struct je_layout *lay,
		   const struct target_thread *th, size_t nth,
		   struct scan_range **out, size_t *nout)
{
	char why[160];
	struct je_walk w = {.tg = tg, .why = why, .why_len = sizeof(why)};
	struct je_ext *x = NULL;
	taddr_t *leaves = NULL;
	struct scan_range *v = NULL;
	size_t nx = 0, nl = 0, n = 0, cap = 0, k = 0, nbase = 0, nwhole = 0;
	size_t nctx = 0;

	*out = NULL;
	*nout = 0;
	if (rtree_extents(&w, lay->root, &x, &nx, &leaves, &nl))
		return -EIO;
	/* every extent, in any state */
	for (size_t i = 0; i < nx; i++) {
		uint64_t ed[3];
		taddr_t s;
		if (rd(&w, x[i].ed, ed, sizeof(ed)))
			continue;
		s = ed[1] & ~(JE_PAGE - 1);
		if (ed[2] >= JE_PAGE && s + ed[2] > s)
			add_range(&v, &n, &cap, s,
				  s + (ed[2] & ~(JE_PAGE - 1)));
	}
	/* the base blocks holding the edata_t's and the leaves, or where
	 * one is not found, the whole mapping */
	for (size_t i = 0; i < nx + nl; i++) {
		taddr_t a = i < nx ? x[i].ed : leaves[i - nx];
		struct scan_range r;
		const char *cur = tg->maps;
		struct je_map m;
		if (in_ranges(v, n, a))
			continue;
		if (!base_block_of(&w, a, &r)) {
			add_range(&v, &n, &cap, r.start, r.end);
			nbase++;
			continue;
		}
		nwhole++;
		while (next_map(&cur, &m))
			if (a >= m.start && a < m.end) {
				add_range(&v, &n, &cap, m.start, m.end);
				break;
			}
	}
	/* each thread's rtree_ctx_t (in its tsd_t, after the tcache_slow_t
	 * found as the walk finds it): its leaf keys are addresses of GiB
	 * boundaries, which point into a block that spans one.  Only that:
	 * a jemalloc linked into the executable shares its TLS block with
	 * the program's own thread-locals, which are roots. */
	if (lay->tls_size && lay->tls_size <= (1u << 20)) {
		uint8_t *buf = xmalloc(lay->tls_size);
		for (size_t i = 0; i < nth; i++) {
			taddr_t tsd = th[i].tp + (uint64_t)lay->tls_off;
			uint64_t t, dyn;
			int64_t at;
			if (!th[i].tp || rd(&w, tsd, buf, lay->tls_size))
				continue;
			at = find_tcache(tsd, buf, lay->tls_size, 0, &t, &dyn);
			if (at < 0 || (uint64_t)at + TS_SIZE + RTREE_CTX_SIZE >
					  lay->tls_size)
				continue;
			add_range(&v, &n, &cap, tsd + at + TS_SIZE,
				  tsd + at + TS_SIZE + RTREE_CTX_SIZE);
			nctx++;
		}
		free(buf);
	}
	debug("pid %d: jemalloc's memory: %zu extents, %zu base blocks, %zu "
	      "mappings with metadata outside a base block found, the "
	      "extent map caches of %zu of %zu threads",
	      tg->pid, nx, nbase, nwhole, nctx, nth);
	free(x);
	free(leaves);
	if (n)
		qsort(v, n, sizeof(*v), cmp_range);
	/* merged: sorted and apart */
	for (size_t i = 0; i < n; i++) {
		if (k && v[i].start <= v[k - 1].end) {
			if (v[i].end > v[k - 1].end)
				v[k - 1].end = v[i].end;
			continue;
		}
		v[k++] = v[i];
	}
	*out = v;
	*nout = k;
	return 0;
}
