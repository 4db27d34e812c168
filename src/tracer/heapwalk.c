/*
 * heapwalk: at attach, find the blocks glibc's malloc already has live, so
 * that a leak made before we came is still found.  They enter the table
 * with HB_PRE_ATTACH and no stack.
 *
 * Everything read here is the target's memory: untrusted.  Every header
 * is checked before it is believed and every walk is bounded; a heap that
 * does not add up gets one warning naming the address, and the walk of
 * that heap stops there (never a crash, never a hang).
 *
 * What glibc 2.36 keeps, and where (malloc/malloc.c, arena.c):
 *   - main_arena, a struct malloc_state in libc's .data, not exported.
 *     We find it by its bins: an empty bin is a list head pointing at
 *     itself (fd == bk == bin_at(i)), and most of the 126 bins of any
 *     arena are empty, a pattern nothing else in libc's data has.
 *   - the other arenas, on main_arena.next's ring; each lives at the start
 *     of its first heap, a 64 MiB-aligned mapping with a heap_info header
 *     (ar_ptr, prev, size, mprotect_size), older heaps on ->prev.
 *   - the chunks: main arena from the start of [heap] up to its top chunk,
 *     an arena heap from after its headers.  A chunk is in use when the
 *     next chunk's PREV_INUSE bit is set, except chunks in a fastbin or a
 *     tcache, which keep the bit: fastbins hang off the arena (fd mangled
 *     by safe-linking, PROTECT_PTR), tcache entries off each thread's
 *     tcache_perthread_struct, itself a chunk (counts[64], entries[64])
 *     that we recognise by its shape and leave out.
 *   - mmapped chunks (large blocks) are on no list: found as page-aligned
 *     headers with IS_MMAPPED in anonymous mappings.
 *
 * Sizes: glibc does not keep the size asked for, only the chunk's; a block
 * found here has its usable size (malloc_usable_size), which is the
 * request rounded up to the chunk (at most 24 bytes more).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "leakcheck/util.h"

#define MS_FASTBINS 16      /* offsetof(struct malloc_state, fastbinsY) */
#define MS_NFASTBINS 10
#define MS_TOP 96
#define MS_BINS 112
#define MS_NBINS 127        /* bins 1..126, two words each */
#define MS_NEXT 2160
#define MS_SIZE 2200        /* sizeof(struct malloc_state) */
#define HEAP_MAX (64ull << 20)
#define PREV_INUSE 0x1ull
#define IS_MMAPPED 0x2ull
#define NON_MAIN_ARENA 0x4ull
#define SIZE_BITS 0x7ull
#define MINSIZE 32ull
#define TCACHE_BINS 64
#define TCACHE_CHUNK 0x290ull /* sizeof(tcache_perthread_struct) + header */
#define MAX_ARENAS 1024
#define MAX_CHUNKS (1ull << 28)

struct range {
	taddr_t start, end;
};

struct walk {
	struct proc *p;
	/* a read window over the target, so a chunk walk is not one
	 * syscall per chunk */
	uint8_t *win;
	taddr_t win_start;
	size_t win_len;
	/* addresses (user pointers) of free chunks that keep PREV_INUSE */
	taddr_t *freed;
	size_t nfreed, freed_cap;
	/* candidates: in-use chunks */
	struct heap_block *found;
	size_t nfound, found_cap;
	int warned;
};

#define WIN_SIZE (256u << 10)

static int rd(struct walk *w, taddr_t addr, void *buf, size_t len)
{
	if (addr >= w->win_start && addr + len <= w->win_start + w->win_len &&
	    addr + len > addr) {
		memcpy(buf, w->win + (addr - w->win_start), len);
		return 0;
	}
	if (len > WIN_SIZE)
		return mem_read(w->p->pid, addr, buf, len) == (long)len ? 0 : -1;
	{
		long n = mem_read(w->p->pid, addr, w->win, WIN_SIZE);
		if (n < (long)len) {
			/* the window crossed into an unmapped page */
			w->win_len = 0;
			return mem_read(w->p->pid, addr, buf, len) == (long)len
				   ? 0
				   : -1;
		}
		w->win_start = addr;
		w->win_len = (size_t)n;
	}
	memcpy(buf, w->win, len);
	return 0;
}

static uint64_t rd64(struct walk *w, taddr_t addr, int *ok)
{
	uint64_t v = 0;
	if (rd(w, addr, &v, sizeof(v)))
		*ok = 0;
	return v;
}

static void corrupt(struct walk *w, const char *what, taddr_t at,
		    uint64_t val)
{
	if (w->warned++)
		return;
	warning("pid %d: glibc's heap looks corrupted: %s at %#llx (%#llx); "
		"blocks allocated before attach beyond it are not known",
		w->p->pid, what, (unsigned long long)at,
		(unsigned long long)val);
}

static void add_freed(struct walk *w, taddr_t user)
{
	w->freed = xgrow(w->freed, &w->freed_cap, w->nfreed + 1,
			 sizeof(*w->freed));
	w->freed[w->nfreed++] = user;
}

static int cmp_taddr(const void *a, const void *b)
{
	taddr_t x = *(const taddr_t *)a, y = *(const taddr_t *)b;
	return x < y ? -1 : x > y;
}

/* The mapping of MAPS holding ADDR, or 0. */
static int mapping_of(const char *maps, taddr_t addr, struct range *r,
		      char *perms, const char **name)
{
	const char *line = maps;
	while (line && *line) {
		unsigned long long s, e;
		int off = 0;
		char pr[8] = "";
		if (sscanf(line, "%llx-%llx %7s %*s %*s %*s %n", &s, &e, pr,
			   &off) >= 3 &&
		    addr >= s && addr < e) {
			r->start = s;
			r->end = e;
			if (perms)
				memcpy(perms, pr, 8);
			if (name)
				*name = off ? line + off : "";
			return 1;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return 0;
}

/* Where main_arena is: the rw mappings of libc (or of a static
 * executable) searched for 126 bin heads of which most point at
 * themselves.  Returns its address or 0. */
static taddr_t find_main_arena(struct walk *w, const char *maps)
{
	const char *line = maps;
	taddr_t best = 0;
	int best_score = 0;

	for (; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		unsigned long long s, e;
		int off = 0;
		char pr[8] = "";
		const char *name;
		uint64_t *buf;
		size_t n;
		if (sscanf(line, "%llx-%llx %7s %*s %*s %*s %n", &s, &e, pr,
			   &off) < 3 ||
		    pr[0] != 'r' || pr[1] != 'w' || !off)
			continue;
		name = line + off;
		if (*name != '/' || e - s > (4u << 20))
			continue;
		n = (size_t)(e - s) / 8;
		buf = xmalloc(n * 8 + 8);
		if (mem_read(w->p->pid, s, buf, n * 8) != (long)(n * 8)) {
			free(buf);
			continue;
		}
		for (size_t i = 0; i + (MS_SIZE / 8) <= n; i++) {
			taddr_t ms = s + i * 8;
			int self = 0, bad = 0;
			for (int b = 1; b < MS_NBINS && !bad; b++) {
				size_t k = i + (MS_BINS / 8) + (size_t)(b - 1) * 2;
				taddr_t head = ms + MS_BINS + (taddr_t)(b - 1) * 16 - 16;
				if (buf[k] == head && buf[k + 1] == head)
					self++;
				else if (!buf[k] || !buf[k + 1])
					bad = 1;
			}
			if (bad || self < 64)
				continue;
			if (!buf[i + MS_NEXT / 8] || !buf[i + MS_TOP / 8])
				continue;
			if (self > best_score) {
				best_score = self;
				best = ms;
			}
		}
		free(buf);
	}
	return best;
}

/* The tcache entries hanging off a tcache_perthread_struct at USER, if
 * its contents look like one; returns 1 and records them as freed. */
static int take_tcache(struct walk *w, taddr_t user)
{
	uint16_t counts[TCACHE_BINS];
	uint64_t entries[TCACHE_BINS];
	int any = 0;

	if (rd(w, user, counts, sizeof(counts)) ||
	    rd(w, user + sizeof(counts), entries, sizeof(entries)))
		return 0;
	for (int i = 0; i < TCACHE_BINS; i++) {
		if ((counts[i] == 0) != (entries[i] == 0) || counts[i] > 4096 ||
		    (entries[i] & 15))
			return 0;
		any |= counts[i] != 0;
	}
	for (int i = 0; i < TCACHE_BINS && any; i++) {
		taddr_t e = entries[i];
		for (unsigned k = 0; e && k < counts[i]; k++) {
			int ok = 1;
			uint64_t next = rd64(w, e, &ok);
			if (!ok || (e & 15))
				break;
			add_freed(w, e);
			e = (e >> 12) ^ next; /* REVEAL_PTR */
		}
	}
	return 1;
}

/* The fastbins of the arena at MS: their chunks look in use. */
static void take_fastbins(struct walk *w, taddr_t ms)
{
	for (int i = 0; i < MS_NFASTBINS; i++) {
		int ok = 1;
		taddr_t c = rd64(w, ms + MS_FASTBINS + (taddr_t)i * 8, &ok);
		for (unsigned k = 0; ok && c && k < 1000000; k++) {
			uint64_t fd;
			if (c & 15)
				break;
			fd = rd64(w, c + 16, &ok);
			if (!ok)
				break;
			add_freed(w, c + 16);
			c = ((c + 16) >> 12) ^ fd; /* REVEAL_PTR(&c->fd) */
		}
	}
}

/* Walk the chunks of one heap from FIRST to END (the top chunk, or the end
 * of an old arena heap, whose last chunks are fenceposts). */
static void walk_chunks(struct walk *w, taddr_t first, taddr_t end,
			taddr_t top)
{
	taddr_t c = first;
	uint64_t n = 0;

	while (c < end && c != top && n++ < MAX_CHUNKS) {
		int ok = 1;
		uint64_t hdr = rd64(w, c + 8, &ok), size = hdr & ~SIZE_BITS;
		uint64_t next_hdr;
		if (!ok)
			return corrupt(w, "unreadable chunk", c, 0);
		if (size < MINSIZE) {
			if (size == 16 && top == 0)
				return; /* the fencepost of an old heap */
			return corrupt(w, "chunk size", c, hdr);
		}
		if ((size & 15) || c + size > end || c + size < c)
			return corrupt(w, "chunk size", c, hdr);
		if (hdr & IS_MMAPPED)
			return corrupt(w, "mmapped bit in an arena chunk", c, hdr);
		next_hdr = rd64(w, c + size + 8, &ok);
		if (!ok)
			return corrupt(w, "unreadable chunk", c + size, 0);
		if (next_hdr & PREV_INUSE) {
			w->found = xgrow(w->found, &w->found_cap, w->nfound + 1,
					 sizeof(*w->found));
			w->found[w->nfound].addr = c + 16;
			w->found[w->nfound].size = size - 8;
			w->found[w->nfound].stack_id = 0;
			w->found[w->nfound].flags = HB_PRE_ATTACH;
			w->nfound++;
		}
		c += size;
	}
}

/* Chunks glibc allocated with mmap, in the anonymous mapping [S,E). */
static void walk_mmapped(struct walk *w, taddr_t s, taddr_t e)
{
	for (taddr_t a = s; a + 4096 <= e; a += 4096) {
		uint64_t h[2];
		taddr_t chunk, size;
		if (rd(w, a, h, sizeof(h)))
			continue;
		if (!(h[1] & IS_MMAPPED) || (h[1] & NON_MAIN_ARENA) ||
		    h[0] >= 4096 || (h[0] & 15))
			continue;
		chunk = a + h[0];
		if (h[0] && rd(w, chunk, h, sizeof(h)))
			continue;
		size = h[1] & ~SIZE_BITS;
		if (!(h[1] & IS_MMAPPED) || size < 4096 ||
		    ((chunk - a + size) & 4095) || chunk + size > e)
			continue;
		w->found = xgrow(w->found, &w->found_cap, w->nfound + 1,
				 sizeof(*w->found));
		w->found[w->nfound].addr = chunk + 16;
		w->found[w->nfound].size = size - 16;
		w->found[w->nfound].stack_id = 0;
		w->found[w->nfound].flags = HB_PRE_ATTACH;
		w->nfound++;
		a = chunk + size - 4096;
	}
}

/* Is malloc bound in libc (or a static executable)?  Another allocator
 * (jemalloc, tcmalloc) has heaps we cannot read. */
static const char *other_allocator(struct proc *p, const char *maps)
{
	for (size_t i = 0; i < p->nbps; i++) {
		struct range r;
		const char *name;
		if (strcmp(p->bps[i].name, "malloc"))
			continue;
		if (!mapping_of(maps, p->bps[i].addr, &r, NULL, &name))
			return NULL;
		if (!p->r_debug || strstr(name, "/libc.so") ||
		    strstr(name, "/libc-"))
			return NULL;
		return name;
	}
	return NULL;
}

void heap_walk(struct proc *p)
{
	struct walk w = {.p = p};
	char path[64], *maps;
	taddr_t main_ms, ms;
	const char *other;
	struct range heap = {0, 0};
	struct range arena_heaps[MAX_ARENAS];
	size_t narena_heaps = 0, kept = 0;
	uint64_t bytes = 0;
	int guard = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", p->pid);
	maps = read_file_text(path);
	if (!maps)
		return;
	other = other_allocator(p, maps);
	if (other) {
		warning("pid %d: malloc comes from %.*s, not glibc: blocks "
			"allocated before attach are not known, tracking "
			"from now on",
			p->pid, (int)strcspn(other, "\n"), other);
		free(maps);
		return;
	}
	w.win = xmalloc(WIN_SIZE);
	main_ms = find_main_arena(&w, maps);
	if (!main_ms) {
		warning("pid %d: cannot find glibc's main_arena: blocks "
			"allocated before attach are not known",
			p->pid);
		goto out;
	}
	debug("pid %d: main_arena at %#llx", p->pid,
	      (unsigned long long)main_ms);

	/* every arena: fastbins, then its heaps' chunks */
	ms = main_ms;
	do {
		int ok = 1;
		taddr_t top = rd64(&w, ms + MS_TOP, &ok), next;
		take_fastbins(&w, ms);
		if (ms == main_ms) {
			char *at = strstr(maps, "[heap]");
			if (at) {
				const char *ln = at;
				while (ln > maps && ln[-1] != '\n')
					ln--;
				sscanf(ln, "%llx-%llx", (unsigned long long *)&heap.start,
				       (unsigned long long *)&heap.end);
			}
			if (heap.start && top >= heap.start && top < heap.end)
				walk_chunks(&w, heap.start, heap.end, top);
			else if (top)
				debug("pid %d: main arena top %#llx not in "
				      "[heap]; not walked",
				      p->pid, (unsigned long long)top);
		} else {
			/* heaps from the one holding top, back along ->prev */
			taddr_t h = top & ~(HEAP_MAX - 1);
			int hops = 0;
			while (ok && h && hops++ < 4096) {
				uint64_t hi[4];
				taddr_t first;
				if (rd(&w, h, hi, sizeof(hi)) || hi[0] != ms ||
				    hi[2] > HEAP_MAX || hi[2] < 4096) {
					corrupt(&w, "arena heap header", h, hi[0]);
					break;
				}
				if (narena_heaps < MAX_ARENAS) {
					arena_heaps[narena_heaps].start = h;
					arena_heaps[narena_heaps++].end = h + hi[3];
				}
				if (h == (ms & ~(HEAP_MAX - 1))) {
					/* the arena's first heap: after the
					 * malloc_state, chunk2mem aligned */
					first = ms + MS_SIZE;
					first += (16 - ((first + 16) & 15)) & 15;
				} else {
					/* after heap_info (48 bytes in 2.36) */
					first = h + 48;
				}
				walk_chunks(&w, first, h + hi[2],
					    top >= h && top < h + hi[2] ? top : 0);
				h = hi[1];
			}
		}
		next = rd64(&w, ms + MS_NEXT, &ok);
		if (!ok || !next || (next & 7)) {
			corrupt(&w, "arena list", ms + MS_NEXT, next);
			break;
		}
		ms = next;
	} while (ms != main_ms && ++guard < MAX_ARENAS);

	/* mmapped chunks: anonymous read-write mappings that are not a
	 * heap, an arena heap or a stack */
	for (const char *line = maps; line && *line;
	     line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		unsigned long long s, e;
		int off = 0, skip = 0;
		char pr[8] = "";
		if (sscanf(line, "%llx-%llx %7s %*s %*s %*s %n", &s, &e, pr,
			   &off) < 3 ||
		    pr[0] != 'r' || pr[1] != 'w')
			continue;
		if (off && line[off] != '\n' && line[off])
			continue; /* a file or [heap]/[stack]/... */
		for (size_t i = 0; i < narena_heaps && !skip; i++)
			skip = s < arena_heaps[i].end && e > arena_heaps[i].start;
		if (!skip)
			walk_mmapped(&w, s, e);
	}

	/* in use, minus the tcache and fastbin chunks and the tcaches */
	for (size_t i = 0; i < w.nfound; i++) {
		struct heap_block *b = &w.found[i];
		if (b->size + 8 == TCACHE_CHUNK && take_tcache(&w, b->addr))
			b->addr = 0;
	}
	qsort(w.freed, w.nfreed, sizeof(*w.freed), cmp_taddr);
	for (size_t i = 0; i < w.nfound; i++) {
		struct heap_block *b = &w.found[i];
		if (!b->addr || bsearch(&b->addr, w.freed, w.nfreed,
					sizeof(*w.freed), cmp_taddr))
			continue;
		heap_table_insert(&p->heap, b);
		bytes += b->size;
		kept++;
	}
	/* the HEAP SUMMARY counts calls seen, not these */
	p->heap.total_allocs -= kept;
	p->heap.total_bytes -= bytes;
	debug("pid %d: heap walk: %zu blocks, %llu bytes live before attach",
	      p->pid, kept, (unsigned long long)bytes);
out:
	free(w.win);
	free(w.freed);
	free(w.found);
	free(maps);
}
