/*
 * heapwalk: at attach, find the blocks glibc's malloc already has live, so
 * that a leak made before we came is still found.  They enter the table
 * with HB_PRE_ATTACH and no stack.
 *
 * Everything read here is the target's memory: untrusted.  Every header
 * is checked before it is believed, every pointer followed must lead to
 * a chunk the walk found, and every walk is bounded (a chunk walk always
 * moves forward; a list walk marks each chunk it passes, so it ends within
 * as many steps as there are chunks).  The first thing that does not add
 * up gets one warning line: what is wrong, where, and that the blocks
 * allocated before attach may be missing or wrong; the walk of that heap
 * or list stops there.  Never a crash, never a hang, never a write.
 *
 * What glibc 2.36 keeps, and where (malloc/malloc.c, arena.c):
 *   - main_arena, a struct malloc_state in libc's .data, not exported.
 *     We find it by its bins: an empty bin is a list head pointing at
 *     itself (fd == bk == bin_at(i)), and most of the 127 bins of any
 *     arena are empty, a pattern nothing else in libc's data has; its
 *     next pointer (itself, or an arena) settles it.
 *   - the other arenas, on main_arena.next's ring; each lives at the start
 *     of its first heap, a 64 MiB-aligned mapping with a heap_info header
 *     (ar_ptr, prev, size, mprotect_size), older heaps on ->prev.
 *   - the chunks: main arena from the start of [heap] up to its top chunk,
 *     an arena heap from after its headers.  A chunk is in use when the
 *     next chunk's PREV_INUSE bit is set, except chunks in a fastbin or a
 *     tcache, which keep the bit: fastbins hang off the arena (fd mangled
 *     by safe-linking, PROTECT_PTR), tcache entries off each thread's
 *     tcache_perthread_struct, itself a chunk (counts[64], entries[64])
 *     that we recognise by its shape and leave out.  The free chunks
 *     must be exactly those on the bins: checked, not used.
 *   - mmapped chunks (large blocks) are on no list: found as page-aligned
 *     headers with IS_MMAPPED in anonymous mappings, and counted against
 *     glibc's own count (mp_.n_mmaps, mp_ found by its sbrk_base).
 *
 * Sizes: glibc does not keep the size asked for, only the chunk's; a block
 * found here has its usable size (malloc_usable_size), which is the
 * request rounded up to the chunk (at most 24 bytes more).
 *
 * The heap must hold still: attach.c first lets every thread that was
 * inside the allocator finish its call (drain_allocator).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>

#include "alloc/alloc.h"
#include "alloc/glibc.h"
#include "leakcheck/util.h"

struct range {
	taddr_t start, end;
};

/* A chunk the walk found. */
struct chunk {
	taddr_t c;	 /* its header; the user pointer is c + 16 */
	uint64_t size;	 /* chunk size, flag bits off */
	uint64_t fd;	 /* first word of its user data: fd, tcache next */
	uint32_t list;	 /* the free list it was met on, 0: none */
	uint8_t mmapped; /* from mmap, on no list */
	uint8_t drop;	 /* free after all (fastbin, tcache), or a tcache */
	uint8_t first;	 /* the first chunk of its heap */
};

struct walk {
	const struct target *tg;
	/* a read window over the target, so a chunk walk is not one
	 * syscall per chunk */
	uint8_t *win;
	taddr_t win_start;
	size_t win_len;
	/* chunks in use as far as the header bits say, and free ones */
	struct chunk *used, *freec;
	size_t nused, used_cap, nfree, free_cap;
	taddr_t *arenas;
	size_t narenas, arenas_cap;
	struct range *heaps; /* the arenas' heaps (not [heap]) */
	size_t nheaps, heaps_cap;
	uint32_t list_id;
	uint64_t mm_count, mm_bytes; /* mmapped chunks found */
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
		return w->tg->read(w->tg->ctx, addr, buf, len) == (long)len
			   ? 0
			   : -1;
	{
		long n = w->tg->read(w->tg->ctx, addr, w->win, WIN_SIZE);
		if (n < (long)len) {
			/* the window crossed into an unmapped page */
			w->win_len = 0;
			return w->tg->read(w->tg->ctx, addr, buf, len) ==
				       (long)len
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

/* The heap does not add up: say what is wrong, once. */
static __attribute__((format(printf, 2, 3))) void corrupt(struct walk *w,
							  const char *fmt, ...)
{
	char what[256];
	va_list ap;

	if (w->warned++) {
		va_start(ap, fmt);
		vsnprintf(what, sizeof(what), fmt, ap);
		va_end(ap);
		debug("pid %d: heap walk: also: %s", w->tg->pid, what);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	warning("pid %d: heap walk: glibc's heap is corrupt: %s; the "
		"blocks it walks (allocated before attach, or in a core) may "
		"be missing or wrong in the report",
		w->tg->pid, what);
}

/* A free list (WHAT) goes from PREV (0: its head) to TO, which is not a
 * free chunk of its bin. */
static void bad_link(struct walk *w, const char *what, const char *entry,
		     taddr_t prev, taddr_t to)
{
	if (prev)
		corrupt(w,
			"%s links %s%#llx to %#llx, which is not a free chunk "
			"of that bin",
			what, entry, (unsigned long long)prev,
			(unsigned long long)to);
	else
		corrupt(w,
			"%s starts at %#llx, which is not a free chunk of "
			"that bin",
			what, (unsigned long long)to);
}

static void add_chunk(struct chunk **v, size_t *n, size_t *cap, taddr_t c,
		      uint64_t size, uint64_t fd, int mmapped)
{
	*v = xgrow(*v, cap, *n + 1, sizeof(**v));
	(*v)[*n] = (struct chunk){
	    .c = c, .size = size, .fd = fd, .mmapped = (uint8_t)mmapped};
	(*n)++;
}

static int cmp_chunk(const void *a, const void *b)
{
	taddr_t x = ((const struct chunk *)a)->c,
		y = ((const struct chunk *)b)->c;
	return x < y ? -1 : x > y;
}

static struct chunk *find_chunk(struct chunk *v, size_t n, taddr_t c)
{
	struct chunk key = {.c = c};
	if (!n)
		return NULL;
	return bsearch(&key, v, n, sizeof(*v), cmp_chunk);
}

/* One line of /proc/PID/maps. */
struct map_line {
	taddr_t start, end;
	char perms[8];
	const char *name; /* the path or [heap]..., "" when anonymous */
	int name_len;
};

/* Parse the line at *CUR into M and move *CUR to the next; returns 0 at
 * the end.  A line that does not parse is skipped. */
static int maps_next(const char **cur, struct map_line *m)
{
	while (*cur && **cur) {
		const char *line = *cur, *nl = strchr(line, '\n'), *name;
		unsigned long long s, e;
		int off = 0;
		*cur = nl ? nl + 1 : NULL;
		memset(m->perms, 0, sizeof(m->perms));
		/* no space before %n: it would skip the newline too */
		if (sscanf(line, "%llx-%llx %7s %*s %*s %*s%n", &s, &e,
			   m->perms, &off) < 3 ||
		    !off)
			continue;
		name = line + off;
		while (*name == ' ' || *name == '\t')
			name++;
		m->start = s;
		m->end = e;
		m->name = name;
		m->name_len = (int)strcspn(name, "\n");
		return 1;
	}
	return 0;
}

/* The mapping of MAPS holding ADDR: returns 1 and fills *M, or 0. */
static int mapping_of(const char *maps, taddr_t addr, struct map_line *m)
{
	const char *cur = maps;
	while (maps_next(&cur, m))
		if (addr >= m->start && addr < m->end)
			return 1;
	return 0;
}

/* Is MS, a malloc_state's next pointer, an arena of a heap?  Never
 * main_arena, which is in libc's data. */
static int is_arena_heap_ptr(taddr_t ms)
{
	return (ms & (HEAP_MAX - 1)) == HEAP_INFO_SIZE;
}

/* Is NEXT an arena: where one is, and named by its heap's ar_ptr? */
static int is_arena(struct walk *w, taddr_t next)
{
	int ok = 1;
	return is_arena_heap_ptr(next) &&
	       rd64(w, next & ~(HEAP_MAX - 1), &ok) == next && ok;
}

/* Where main_arena is: the rw mappings of libc (or of a static
 * executable) searched for 127 bin heads of which most point at
 * themselves.  Returns its address, and the mapping in *DATA, or 0. */
static taddr_t find_main_arena(struct walk *w, const char *maps,
			       struct range *data)
{
	const char *cur = maps;
	struct map_line m;
	taddr_t best = 0;
	int best_score = 0;

	while (maps_next(&cur, &m)) {
		taddr_t s = m.start, e = m.end;
		uint64_t *buf;
		size_t n;
		if (m.perms[0] != 'r' || m.perms[1] != 'w' || *m.name != '/' ||
		    e - s > (4u << 20))
			continue;
		n = (size_t)(e - s) / 8;
		buf = xmalloc(n * 8 + 8);
		if (w->tg->read(w->tg->ctx, s, buf, n * 8) != (long)(n * 8)) {
			free(buf);
			continue;
		}
		for (size_t i = 0; i + (MS_SIZE / 8) <= n; i++) {
			taddr_t ms = s + i * 8, next = buf[i + MS_NEXT / 8];
			int self = 0, bad = 0;
			for (int b = 1; b < MS_NBINS && !bad; b++) {
				size_t k =
				    i + (MS_BINS / 8) + (size_t)(b - 1) * 2;
				taddr_t head =
				    ms + MS_BINS + (taddr_t)(b - 1) * 16 - 16;
				if (buf[k] == head && buf[k + 1] == head)
					self++;
				else if (!buf[k] || !buf[k + 1] ||
					 ((buf[k] | buf[k + 1]) & 7))
					bad = 1;
			}
			if (bad || self < 64 || !buf[i + MS_TOP / 8])
				continue;
			if (next != ms && !is_arena_heap_ptr(next))
				continue;
			if (self > best_score) {
				best_score = self;
				best = ms;
				data->start = s;
				data->end = e;
			}
		}
		free(buf);
	}
	return best;
}

/* Where mp_ (struct malloc_par) is, in DATA beside main_arena: the one
 * place whose sbrk_base is the start of [heap] and whose counters are
 * sane.  Returns it copied into MP, or 0 when not found exactly once. */
static taddr_t find_mp(struct walk *w, struct range data, taddr_t sbrk_base,
		       uint8_t mp[MP_SIZE])
{
	size_t n = (size_t)(data.end - data.start);
	uint8_t *buf;
	taddr_t found = 0;
	int hits = 0;

	if (!sbrk_base || n > (4u << 20))
		return 0;
	buf = xmalloc(n);
	if (w->tg->read(w->tg->ctx, data.start, buf, n) != (long)n) {
		free(buf);
		return 0;
	}
	for (size_t o = 0; o + MP_SIZE <= n; o += 8) {
		int32_t nm, maxnm;
		uint64_t sb, mem, maxmem, tbins;
		memcpy(&sb, buf + o + MP_SBRK_BASE, 8);
		if (sb != sbrk_base)
			continue;
		memcpy(&nm, buf + o + MP_N_MMAPS, 4);
		memcpy(&maxnm, buf + o + MP_MAX_N_MMAPS, 4);
		memcpy(&mem, buf + o + MP_MMAPPED_MEM, 8);
		memcpy(&maxmem, buf + o + MP_MAX_MMAPPED_MEM, 8);
		memcpy(&tbins, buf + o + MP_TCACHE_BINS, 8);
		if (nm < 0 || maxnm < nm || mem > maxmem || (mem & 4095) ||
		    tbins > TCACHE_BINS || (nm == 0) != (mem == 0))
			continue;
		found = data.start + o;
		memcpy(mp, buf + o, MP_SIZE);
		hits++;
	}
	free(buf);
	return hits == 1 ? found : 0;
}

/* Walk the chunks of one heap from FIRST up to TOP, its top chunk, or when
 * TOP is 0 (an arena's older heap) to END, where its fenceposts are. */
static void walk_chunks(struct walk *w, taddr_t first, taddr_t end, taddr_t top)
{
	taddr_t c = first, limit = top ? top : end;

	while (c < limit) {
		int ok = 1;
		uint64_t hdr = rd64(w, c + 8, &ok), size = hdr & ~SIZE_BITS;
		uint64_t next_hdr, fd;
		if (!ok) {
			corrupt(w, "chunk at %#llx cannot be read",
				(unsigned long long)c);
			return;
		}
		if (size == 16 && !top)
			return; /* the fencepost of an old heap */
		/* a size larger than the whole heap is garbage, not a
		 * chunk that overlaps the top */
		if (size < MINSIZE || (size & 15) || (hdr & IS_MMAPPED) ||
		    size > end - first) {
			corrupt(w, "chunk at %#llx has an invalid size %#llx",
				(unsigned long long)c, (unsigned long long)hdr);
			return;
		}
		if (c + size > limit || c + size < c) {
			corrupt(
			    w,
			    "chunk at %#llx has size %#llx, past %s at %#llx",
			    (unsigned long long)c, (unsigned long long)size,
			    top ? "the top chunk" : "the end of its heap",
			    (unsigned long long)limit);
			return;
		}
		next_hdr = rd64(w, c + size + 8, &ok);
		fd = rd64(w, c + 16, &ok);
		if (!ok) {
			corrupt(w, "chunk at %#llx cannot be read",
				(unsigned long long)(c + size));
			return;
		}
		if (next_hdr & PREV_INUSE) {
			add_chunk(&w->used, &w->nused, &w->used_cap, c, size,
				  fd, 0);
			w->used[w->nused - 1].first = c == first;
		} else
			add_chunk(&w->freec, &w->nfree, &w->free_cap, c, size,
				  fd, 0);
		c += size;
	}
}

/* The heaps of the non-main arena MS, from the one holding its top
 * chunk back along ->prev. */
static void walk_arena_heaps(struct walk *w, taddr_t ms, taddr_t top)
{
	taddr_t h = top & ~(HEAP_MAX - 1);

	while (h) {
		uint64_t hi[4];
		taddr_t first;
		for (size_t i = 0; i < w->nheaps; i++)
			if (w->heaps[i].start == h) {
				corrupt(
				    w, "the heaps of arena %#llx loop at %#llx",
				    (unsigned long long)ms,
				    (unsigned long long)h);
				return;
			}
		if ((h & (HEAP_MAX - 1)) || rd(w, h, hi, sizeof(hi)) ||
		    hi[0] != ms || hi[2] > HEAP_MAX || hi[2] < 4096) {
			corrupt(
			    w,
			    "the heap at %#llx of arena %#llx has a bad header",
			    (unsigned long long)h, (unsigned long long)ms);
			return;
		}
		w->heaps = xgrow(w->heaps, &w->heaps_cap, w->nheaps + 1,
				 sizeof(*w->heaps));
		w->heaps[w->nheaps++] = (struct range){h, h + hi[3]};
		if (h == (ms & ~(HEAP_MAX - 1))) {
			/* the arena's first heap: after the malloc_state,
			 * chunk2mem aligned */
			first = ms + MS_SIZE;
			first += (16 - ((first + 16) & 15)) & 15;
		} else {
			first = h + HEAP_INFO_SIZE;
		}
		if (top >= h && top < h + hi[2]) {
			if (top < first || (top & 15)) {
				corrupt(w,
					"arena %#llx has its top chunk at "
					"%#llx, outside its heap",
					(unsigned long long)ms,
					(unsigned long long)top);
				return;
			}
			walk_chunks(w, first, h + hi[2], top);
		} else {
			walk_chunks(w, first, h + hi[2], 0);
		}
		h = hi[1];
	}
}

/* Chunks glibc allocated with mmap, in the anonymous mapping [S,E). */
static void walk_mmapped(struct walk *w, taddr_t s, taddr_t e)
{
	for (taddr_t a = s; a + 4096 <= e; a += 4096) {
		uint64_t h[2], off;
		taddr_t chunk, size;
		if (rd(w, a, h, sizeof(h)))
			continue;
		if (!(h[1] & IS_MMAPPED) || (h[1] & NON_MAIN_ARENA) ||
		    h[0] >= 4096 || (h[0] & 15))
			continue;
		off = h[0];
		chunk = a + off;
		if (off && rd(w, chunk, h, sizeof(h)))
			continue;
		size = h[1] & ~SIZE_BITS;
		if (!(h[1] & IS_MMAPPED) || size < 4096 ||
		    ((chunk - a + size) & 4095) || chunk + size > e)
			continue;
		add_chunk(&w->used, &w->nused, &w->used_cap, chunk, size, 0, 1);
		w->mm_count++;
		w->mm_bytes += size + off;
		a = chunk + size - 4096;
	}
}

/* A chunk met on free list LIST: mark it, or say why it cannot be on it.
 * Returns 0 to go on. */
static int mark(struct walk *w, struct chunk *k, uint32_t list,
		const char *what, taddr_t c)
{
	if (k->list == list) {
		corrupt(w, "%s loops back to chunk %#llx", what,
			(unsigned long long)c);
		return -1;
	}
	if (k->list) {
		corrupt(w, "chunk %#llx is on two free lists, one of them %s",
			(unsigned long long)c, what);
		return -1;
	}
	k->list = list;
	return 0;
}

/* The fastbins of the arena whose malloc_state is ST (at MS): each entry
 * must be a chunk that looks in use, of the bin's size; they are free. */
static void check_fastbins(struct walk *w, taddr_t ms, const uint64_t *st)
{
	for (int i = 0; i < MS_NFASTBINS; i++) {
		char what[64];
		uint32_t list = ++w->list_id;
		taddr_t c = st[MS_FASTBINS / 8 + i], prev = 0;
		snprintf(what, sizeof(what), "fastbin %d of arena %#llx", i,
			 (unsigned long long)ms);
		while (c) {
			struct chunk *k = find_chunk(w->used, w->nused, c);
			if (!k || k->mmapped ||
			    (k->size >> 4) - 2 != (uint64_t)i) {
				bad_link(w, what, "", prev, c);
				break;
			}
			if (mark(w, k, list, what, c))
				break;
			k->drop = 1;
			prev = c;
			c = ((c + 16) >> 12) ^ k->fd; /* REVEAL_PTR(&c->fd) */
		}
	}
}

/* The bins of the arena whose malloc_state is ST (at MS): each list must
 * come back to its head through free chunks only. */
static void check_bins(struct walk *w, taddr_t ms, const uint64_t *st)
{
	for (int b = 1; b < MS_NBINS; b++) {
		char what[64];
		uint32_t list = ++w->list_id;
		taddr_t head = ms + MS_BINS + (taddr_t)(b - 1) * 16 - 16;
		taddr_t c = st[MS_BINS / 8 + (size_t)(b - 1) * 2], prev = head;
		snprintf(what, sizeof(what), "bin %d of arena %#llx", b,
			 (unsigned long long)ms);
		while (c != head) {
			struct chunk *k = find_chunk(w->freec, w->nfree, c);
			if (!k) {
				corrupt(w,
					"%s links %#llx to %#llx, which is not "
					"a free chunk",
					what, (unsigned long long)prev,
					(unsigned long long)c);
				break;
			}
			if (mark(w, k, list, what, c))
				break;
			prev = c;
			c = k->fd;
		}
	}
}

/* The tcache entries hanging off the tcache_perthread_struct in chunk K,
 * if its contents look like one: marks them and K to drop; returns 1. */
static int take_tcache(struct walk *w, struct chunk *k)
{
	uint16_t counts[TCACHE_BINS];
	uint64_t entries[TCACHE_BINS];
	taddr_t user = k->c + 16;
	int any = 0;

	if (rd(w, user, counts, sizeof(counts)) ||
	    rd(w, user + sizeof(counts), entries, sizeof(entries)))
		return 0;
	for (int i = 0; i < TCACHE_BINS; i++) {
		if ((counts[i] == 0) != (entries[i] == 0) || (entries[i] & 15))
			return 0;
		any |= counts[i] != 0;
	}
	/*
	 * An empty one is all zeros, as is a block of the same size the
	 * program has not written to: only the first chunk of a heap is
	 * taken for it (a thread's first malloc makes its tcache before
	 * anything else, in the main heap or its own arena's).  A thread
	 * that shares an arena has its empty tcache further on, and it
	 * shows as a still reachable block (its TLS points to it).
	 */
	if (!any && !k->first)
		return 0;
	k->drop = 1;
	for (int i = 0; i < TCACHE_BINS && any; i++) {
		char what[80];
		uint32_t list = ++w->list_id;
		taddr_t e = entries[i], prev = 0;
		unsigned n = 0;
		snprintf(what, sizeof(what),
			 "tcache bin %d of the thread cache at %#llx", i,
			 (unsigned long long)user);
		for (; e && n < counts[i]; n++) {
			struct chunk *x = find_chunk(w->used, w->nused, e - 16);
			if (!x || x->mmapped ||
			    (x->size - 17) / 16 != (uint64_t)i) {
				bad_link(w, what, "entry ", prev, e);
				break;
			}
			if (mark(w, x, list, what, e - 16))
				break;
			x->drop = 1;
			prev = e;
			e = (e >> 12) ^ x->fd; /* REVEAL_PTR(&e->next) */
		}
		if (n == counts[i] && e)
			corrupt(w, "%s holds more entries than its count, %u",
				what, counts[i]);
	}
	return 1;
}

/* Is malloc bound in libc (or a static executable)?  Another allocator
 * (jemalloc, tcmalloc) has heaps we cannot read. */
static const char *other_allocator(struct proc *p, const char *maps)
{
	for (size_t i = 0; i < p->nbps; i++) {
		struct map_line m;
		if (strcmp(p->bps[i].name, "malloc"))
			continue;
		size_t len;
		if (!mapping_of(maps, p->bps[i].addr, &m))
			return NULL;
		/* the name is the line's end, not the rest of the maps: a
		 * libc mapped above the allocator made it glibc's (one
		 * attach in seven, as ASLR placed them) */
		len = (size_t)m.name_len;
		if (!p->r_debug || memmem(m.name, len, "/libc.so", 8) ||
		    memmem(m.name, len, "/libc-", 6))
			return NULL;
		return m.name;
	}
	return NULL;
}

/* Every arena on the ring from main_arena at MAIN_MS: its chunks. */
static void walk_arenas(struct walk *w, taddr_t main_ms, struct range heap)
{
	taddr_t ms = main_ms;
	uint64_t *st = xmalloc(MS_SIZE);

	for (;;) {
		taddr_t top, next;
		if (rd(w, ms, st, MS_SIZE)) {
			corrupt(w, "arena at %#llx cannot be read",
				(unsigned long long)ms);
			break;
		}
		w->arenas = xgrow(w->arenas, &w->arenas_cap, w->narenas + 1,
				  sizeof(*w->arenas));
		w->arenas[w->narenas++] = ms;
		top = st[MS_TOP / 8];
		if (ms != main_ms) {
			walk_arena_heaps(w, ms, top);
		} else if (heap.start && top >= heap.start && top < heap.end) {
			if (top & 15)
				corrupt(w,
					"main_arena's top chunk pointer %#llx "
					"is misaligned",
					(unsigned long long)top);
			else
				walk_chunks(w, heap.start, heap.end, top);
		} else if (top) {
			/* XXX: a main arena grown by mmap when brk failed
			 * (non-contiguous) is not walked */
			debug("pid %d: main arena top %#llx not in [heap]; not "
			      "walked",
			      w->tg->pid, (unsigned long long)top);
		}
		next = st[MS_NEXT / 8];
		if (next == main_ms)
			break;
		if (!is_arena(w, next)) {
			corrupt(w,
				"arena at %#llx links to %#llx, which is not "
				"an arena",
				(unsigned long long)ms,
				(unsigned long long)next);
			break;
		}
		for (size_t i = 0; i < w->narenas; i++)
			if (w->arenas[i] == next) {
				corrupt(w,
					"the list of arenas loops back to "
					"%#llx, not to main_arena",
					(unsigned long long)next);
				goto out;
			}
		if (w->narenas >= MAX_ARENAS) {
			corrupt(w, "the list of arenas goes on past %d arenas",
				MAX_ARENAS);
			break;
		}
		ms = next;
	}
out:
	free(st);
}

/* Check every arena's free lists against the chunks found. */
static void check_lists(struct walk *w)
{
	uint64_t *st = xmalloc(MS_SIZE);

	for (size_t i = 0; i < w->narenas; i++) {
		if (rd(w, w->arenas[i], st, MS_SIZE))
			continue;
		check_fastbins(w, w->arenas[i], st);
		check_bins(w, w->arenas[i], st);
	}
	for (size_t i = 0; i < w->nused; i++) {
		struct chunk *k = &w->used[i];
		if (k->size == TCACHE_CHUNK && !k->mmapped && !k->drop)
			take_tcache(w, k);
	}
	free(st);
}

int heap_walk_target(const struct target *tg, struct heap_table *out,
		     size_t *nblocks, uint64_t *nbytes)
{
	struct walk w = {.tg = tg};
	const char *maps = tg->maps, *cur;
	taddr_t main_ms, mp_at;
	struct map_line m;
	struct range heap = {0, 0}, data = {0, 0};
	size_t kept = 0;
	uint64_t bytes = 0;
	uint8_t mp[MP_SIZE];
	int ret = HEAP_WALK_OK;

	w.win = xmalloc(WIN_SIZE);
	main_ms = find_main_arena(&w, maps, &data);
	if (!main_ms && !strstr(maps, " [heap]\n")) {
		/* no brk heap: glibc's malloc has not set itself up, so
		 * nothing was allocated before attach (its bins are not
		 * initialised until the first call, hence not found) */
		debug(
		    "pid %d: no [heap] and no main_arena: malloc not used yet",
		    tg->pid);
		ret = HEAP_WALK_EMPTY;
		goto out;
	}
	if (!main_ms) {
		warning("pid %d: heap walk: cannot find glibc's main_arena "
			"(not glibc 2.36's layout, or its bins are corrupt): "
			"blocks allocated before attach are not known; the "
			"heap is scanned as roots",
			tg->pid);
		ret = HEAP_WALK_UNKNOWN;
		goto out;
	}
	debug("pid %d: main_arena at %#llx", tg->pid,
	      (unsigned long long)main_ms);
	/* [heap] can be several adjacent mappings (after a fork the
	 * kernel does not merge the parent's part with what brk added
	 * since): the brk heap is their union */
	cur = maps;
	while (maps_next(&cur, &m)) {
		if (m.name_len != 6 || strncmp(m.name, "[heap]", 6))
			continue;
		if (!heap.start)
			heap = (struct range){m.start, m.end};
		else if (m.start == heap.end)
			heap.end = m.end;
	}
	walk_arenas(&w, main_ms, heap);

	/* mmapped chunks: anonymous read-write mappings that are not a
	 * heap, an arena heap or a stack */
	cur = maps;
	while (maps_next(&cur, &m)) {
		int skip = 0;
		if (m.perms[0] != 'r' || m.perms[1] != 'w' || m.name_len)
			continue; /* a file or [heap]/[stack]/... */
		for (size_t i = 0; i < w.nheaps && !skip; i++)
			skip = m.start < w.heaps[i].end &&
			       m.end > w.heaps[i].start;
		if (!skip)
			walk_mmapped(&w, m.start, m.end);
	}

	if (w.nused)
		qsort(w.used, w.nused, sizeof(*w.used), cmp_chunk);
	if (w.nfree)
		qsort(w.freec, w.nfree, sizeof(*w.freec), cmp_chunk);
	check_lists(&w);

	mp_at = find_mp(&w, data, heap.start, mp);
	if (mp_at) {
		int32_t nm;
		uint64_t mem;
		memcpy(&nm, mp + MP_N_MMAPS, 4);
		memcpy(&mem, mp + MP_MMAPPED_MEM, 8);
		debug("pid %d: mp_ at %#llx: %d mmapped chunks, %llu bytes",
		      tg->pid, (unsigned long long)mp_at, nm,
		      (unsigned long long)mem);
		if ((uint64_t)nm > w.mm_count)
			corrupt(&w,
				"glibc counts %d mmapped chunks (%llu bytes) "
				"but only %llu %s found (%llu bytes): a "
				"header was overwritten",
				nm, (unsigned long long)mem,
				(unsigned long long)w.mm_count,
				w.mm_count == 1 ? "was" : "were",
				(unsigned long long)w.mm_bytes);
	} else {
		debug("pid %d: mp_ not found; mmapped chunks not counted",
		      tg->pid);
	}

	/* in use, minus the tcache and fastbin chunks and the tcaches */
	for (size_t i = 0; i < w.nused; i++) {
		struct chunk *k = &w.used[i];
		struct heap_block b = {
		    .addr = k->c + 16,
		    .size = k->size - (k->mmapped ? 16 : 8),
		    .flags = HB_PRE_ATTACH,
		};
		if (k->drop || (i && w.used[i - 1].c == k->c))
			continue;
		heap_table_insert(out, &b);
		bytes += b.size;
		kept++;
	}
out:
	free(w.win);
	free(w.used);
	free(w.freec);
	free(w.arenas);
	free(w.heaps);
	*nblocks = kept;
	*nbytes = bytes;
	return ret;
}

int heap_brk_range(const struct target *tg, taddr_t *start, taddr_t *end)
{
	struct walk w = {.tg = tg};
	struct range data;
	taddr_t ms, top, size, mem;
	int ok = 1;

	w.win = xmalloc(WIN_SIZE);
	ms = find_main_arena(&w, tg->maps, &data);
	top = ms ? rd64(&w, ms + MS_TOP, &ok) : 0;
	mem = ms ? rd64(&w, ms + MS_SYSTEM_MEM, &ok) : 0;
	size = top ? rd64(&w, top + 8, &ok) & ~SIZE_BITS : 0;
	free(w.win);
	if (!ok || !top || (top & 15) || !mem || (mem & 4095) ||
	    top + size < top || top + size < mem || top + size - mem > top)
		return -ENOENT;
	*start = top + size - mem;
	*end = top + size;
	return 0;
}

/*
 * The blocks of jemalloc 5.3.0 in MOD (LEN), if it is that: returns 0 with
 * them in P's table, or -1 with why not in WHY.  Every thread of P is
 * stopped: their thread pointers lead to their caches.
 */
static int je_walk(struct proc *p, const struct target *tg, const char *mod,
		   size_t len, char *why, size_t why_len)
{
	struct je_layout lay;
	taddr_t *tps = NULL;
	size_t ntp = 0, cap = 0, kept;
	uint64_t bytes;
	int ret;

	if (je_locate(tg, mod, len, &lay, why, why_len))
		return -1;
	for (struct thread *t = threads_of(p, NULL); t; t = threads_of(p, t)) {
		arch_regs_t r;
		if (ptrace(PTRACE_GETREGS, t->tid, 0, &r))
			continue;
		tps = xgrow(tps, &cap, ntp + 1, sizeof(*tps));
		tps[ntp++] = ARCH_TP(&r);
	}
	ret = je_walk_target(tg, &lay, tps, ntp, &p->heap, &kept, &bytes, why,
			     why_len);
	free(tps);
	if (ret)
		return -1;
	p->je_root = lay.root;
	p->je_tls_off = lay.tls_off;
	p->je_tls_size = lay.tls_size;
	/* the HEAP SUMMARY counts calls seen, not these */
	p->heap.total_allocs -= kept;
	p->heap.total_bytes -= bytes;
	debug("pid %d: jemalloc 5.3.0: extent map at %#llx, %zu blocks, %llu "
	      "bytes live before attach",
	      p->pid, (unsigned long long)lay.root, kept,
	      (unsigned long long)bytes);
	return 0;
}

int heap_je_layout(struct proc *p, const struct target *tg, const char *maps,
		   struct je_layout *out)
{
	const char *other;
	char why[256];

	if (p->je_root) {
		*out = (struct je_layout){.root = p->je_root,
					  .tls_off = p->je_tls_off,
					  .tls_size = p->je_tls_size};
		return 0;
	}
	other = other_allocator(p, maps);
	if (!other)
		return -1;
	return je_locate(tg, other, strcspn(other, "\n"), out, why, sizeof(why))
		   ? -1
		   : 0;
}

void heap_walk(struct proc *p)
{
	char path[64], *maps;
	const char *other;
	struct target tg;
	size_t kept;
	uint64_t bytes;
	int ret;

	snprintf(path, sizeof(path), "/proc/%d/maps", p->pid);
	maps = read_file_text(path, NULL);
	if (!maps)
		return;
	other = other_allocator(p, maps);
	target_live(p, maps, 0, &tg);
	if (other) {
		char why[256];
		int len = (int)strcspn(other, "\n");
		if (!je_walk(p, &tg, other, (size_t)len, why, sizeof(why))) {
			free(maps);
			return;
		}
		warning("pid %d: malloc comes from %.*s, not glibc, and %s: "
			"blocks allocated before attach are not known, "
			"tracking from now on; the heap is scanned as roots, "
			"so that none is called lost for a pointer held in "
			"them",
			p->pid, len, other, why);
		p->pre_unknown = 1;
		free(maps);
		return;
	}
	ret = heap_walk_target(&tg, &p->heap, &kept, &bytes);
	if (ret == HEAP_WALK_UNKNOWN)
		p->pre_unknown = 1;
	/* the HEAP SUMMARY counts calls seen, not these */
	p->heap.total_allocs -= kept;
	p->heap.total_bytes -= bytes;
	if (ret == HEAP_WALK_OK)
		debug("pid %d: heap walk: %zu blocks, %llu bytes live before "
		      "attach",
		      p->pid, kept, (unsigned long long)bytes);
	free(maps);
}
