/*
 * clientreq: valgrind.h's client requests, honoured as memcheck honours
 * them, so that a program that tells valgrind about its own allocator
 * (glib, Python --with-valgrind, LuaJIT, a pool of its own) gives under
 * leakcheck the leaks it gives under valgrind.
 *
 * A program built with valgrind.h (without NVALGRIND) carries each
 * request as a no-op sequence: four rolq of %rdi that add up to 128
 * (nothing), then xchgq %rbx,%rbx, with %rax pointing at six words
 * {request, arg1..arg5} and %rdx holding the default result, which the
 * sequence leaves as it is natively.  modules.c finds the sequences in
 * each module's code and puts a breakpoint on the xchg; here the request
 * is read and acted on, and the thread goes on with %rdx untouched (as
 * if not under valgrind: RUNNING_ON_VALGRIND stays 0).
 *
 * Requests honoured (memcheck's meaning, mc_main.c / mc_malloc_wrappers.c):
 *   MALLOCLIKE_BLOCK(addr, size, rz, zeroed)  a block, stack = here
 *   FREELIKE_BLOCK(addr, rz)                  its free
 *   RESIZEINPLACE_BLOCK(addr, old, new, rz)   its new size
 *   CREATE_MEMPOOL(pool, rz, zeroed[, flags]) a pool of chunks
 *   MEMPOOL_ALLOC(pool, addr, size)           a chunk, stack = here
 *   MEMPOOL_FREE(pool, addr)                  its free
 *   MEMPOOL_TRIM(pool, addr, size)            chunks outside freed
 *   MOVE_MEMPOOL(poolA, poolB)                the pool renamed
 *   MEMPOOL_CHANGE(pool, addrA, addrB, size)  a chunk moved
 *   DESTROY_MEMPOOL(pool)                     every chunk freed
 * The blocks and chunks are kept in their own table (custom_heap), as
 * memcheck keeps them apart from malloc's, and carry HB_CUSTOM (chunks
 * HB_POOL too): a malloc'd block that holds one is the allocator's memory
 * and leaves the leak check (the report drops it, as memcheck's
 * find_active_chunks does), so a pool's superblock is never called lost
 * for the chunks in it.  Counted as memcheck counts them: every block and
 * chunk is an alloc; a FREELIKE_BLOCK is a free, a chunk's free is not;
 * chunks are not "in use at exit".  Other requests are ignored.
 */
#include <stdlib.h>
#include <string.h>

#include "alloc/alloc.h"
#include "leakcheck/options.h"
#include "leakcheck/util.h"

enum vg_request {
	VG_MALLOCLIKE_BLOCK = 0x1301,
	VG_FREELIKE_BLOCK = 0x1302,
	VG_CREATE_MEMPOOL = 0x1303,
	VG_DESTROY_MEMPOOL = 0x1304,
	VG_MEMPOOL_ALLOC = 0x1305,
	VG_MEMPOOL_FREE = 0x1306,
	VG_MEMPOOL_TRIM = 0x1307,
	VG_MOVE_MEMPOOL = 0x1308,
	VG_MEMPOOL_CHANGE = 0x1309,
	VG_RESIZEINPLACE_BLOCK = 0x130b,
};

static struct vg_pool *pool_find(struct proc *p, taddr_t id)
{
	for (size_t i = 0; i < p->npools; i++)
		if (p->pools[i].id == id)
			return &p->pools[i];
	return NULL;
}

static void pool_add_chunk(struct vg_pool *pl, taddr_t addr)
{
	pl->chunks =
	    xgrow(pl->chunks, &pl->cap, pl->n + 1, sizeof(*pl->chunks));
	pl->chunks[pl->n++] = addr;
}

/* Take ADDR off PL's chunks; 0, or -1 if it is not one of them. */
static int pool_take_chunk(struct vg_pool *pl, taddr_t addr)
{
	/* XXX: linear; pools of many thousand live chunks would want a hash */
	for (size_t i = pl->n; i > 0; i--)
		if (pl->chunks[i - 1] == addr) {
			pl->chunks[i - 1] = pl->chunks[--pl->n];
			return 0;
		}
	return -1;
}

/* The stack of the request: the function that made it first. */
static uint32_t request_stack(struct thread *t, const arch_regs_t *regs,
			      taddr_t pc)
{
	taddr_t pcs[STACK_MAX_FRAMES];
	int n = t->proc->unw ? unwind_stack(t->proc->unw, t->tid, regs, pcs,
					    (int)opt.num_callers)
			     : 0;

	if (n < 1) {
		pcs[0] = pc;
		n = 1;
	}
	return stack_depot_intern(&g_depot, pcs, (unsigned)n);
}

/* A block or a pool's chunk (FLAGS): in the custom table, counted in the
 * heap's allocs as memcheck counts it. */
static void custom_new(struct proc *p, taddr_t addr, uint64_t size,
		       uint32_t stack_id, uint32_t flags)
{
	struct heap_block b = {.addr = addr,
			       .size = size,
			       .stack_id = stack_id,
			       .flags = HB_CUSTOM | flags};

	heap_table_insert(&p->custom_heap, &b);
	p->heap.total_allocs++;
	p->heap.total_bytes += size;
	g_alloc_stats.allocs++;
}

/* A chunk of a pool is gone: memcheck does not count it as a free. */
static void chunk_free(struct proc *p, taddr_t addr)
{
	heap_table_remove(&p->custom_heap, addr, NULL);
}

/* FREELIKE_BLOCK: a free, as memcheck counts it. */
static void custom_free(struct proc *p, taddr_t addr)
{
	if (heap_table_remove(&p->custom_heap, addr, NULL)) {
		p->heap.total_frees++;
		g_alloc_stats.frees++;
	}
}

static void block_resize(struct proc *p, taddr_t addr, uint64_t size)
{
	struct heap_block b;

	if (heap_table_remove(&p->custom_heap, addr, &b)) {
		b.size = size;
		heap_table_insert(&p->custom_heap, &b);
	}
}

/* P's blocks, sorted: malloc's (taken out of P's table if TAKE: the last
 * report) and the program's declared ones (copied). */
struct heap_block *clientreq_blocks(struct proc *p, int take, size_t *n)
{
	struct heap_block *hb = take ? heap_table_take(&p->heap, n)
				     : heap_table_snapshot(&p->heap, n);
	struct heap_block *cb;
	size_t nc;

	if (!p->custom_heap.count)
		return hb;
	cb = heap_table_snapshot(&p->custom_heap, &nc);
	hb = xrealloc(hb, (*n + nc + 1) * sizeof(*hb));
	memcpy(hb + *n, cb, nc * sizeof(*cb));
	*n += nc;
	free(cb);
	heap_blocks_sort(hb, *n);
	return hb;
}

/*
 * memcheck's rule for a program's own allocator (find_active_chunks): a
 * malloc'd block that holds a block the program declared (HB_CUSTOM:
 * MALLOCLIKE_BLOCK, MEMPOOL_ALLOC) is that allocator's memory, not a
 * block of its own: it leaves the leak check, and the blocks in it are
 * checked instead.  B (NB, sorted) is compacted in place; returns the
 * number left.
 */
size_t clientreq_drop_pool_memory(struct scan_block *b, size_t nb)
{
	size_t out = 0;

	for (size_t i = 0; i < nb; i++) {
		int holds = 0;
		if (!(b[i].flags & HB_CUSTOM)) {
			for (size_t k = i + 1;
			     k < nb && b[k].addr < b[i].addr + b[i].size &&
			     !holds;
			     k++)
				holds = (b[k].flags & HB_CUSTOM) != 0;
			/* a chunk at the superblock's start may sort first */
			for (size_t k = i;
			     k > 0 && b[k - 1].addr == b[i].addr && !holds; k--)
				holds = (b[k - 1].flags & HB_CUSTOM) != 0;
		}
		if (!holds)
			b[out++] = b[i];
	}
	return out;
}

void hook_client_request(struct thread *t, struct bp *b, arch_regs_t *regs)
{
	struct proc *p = t->proc;
	uint64_t a[6];
	struct vg_pool *pl;

	if (mem_read(p->pid, ARCH_RETVAL(regs), a, sizeof(a)) !=
	    (long)sizeof(a))
		return;
	switch (a[0]) {
	case VG_MALLOCLIKE_BLOCK:
		if (a[1])
			custom_new(p, a[1], a[2],
				   request_stack(t, regs, b->addr), 0);
		break;
	case VG_FREELIKE_BLOCK:
		if (a[1])
			custom_free(p, a[1]);
		break;
	case VG_RESIZEINPLACE_BLOCK:
		block_resize(p, a[1], a[3]);
		break;
	case VG_CREATE_MEMPOOL:
		if (pool_find(p, a[1]))
			break;
		p->pools = xgrow(p->pools, &p->pools_cap, p->npools + 1,
				 sizeof(*p->pools));
		p->pools[p->npools++] = (struct vg_pool){.id = a[1]};
		break;
	case VG_DESTROY_MEMPOOL:
		if (!(pl = pool_find(p, a[1])))
			break;
		for (size_t i = 0; i < pl->n; i++)
			chunk_free(p, pl->chunks[i]);
		free(pl->chunks);
		*pl = p->pools[--p->npools];
		break;
	case VG_MEMPOOL_ALLOC:
		if (!(pl = pool_find(p, a[1])) || !a[2])
			break;
		custom_new(p, a[2], a[3], request_stack(t, regs, b->addr),
			   HB_POOL);
		pool_add_chunk(pl, a[2]);
		break;
	case VG_MEMPOOL_FREE:
		if ((pl = pool_find(p, a[1])) && !pool_take_chunk(pl, a[2]))
			chunk_free(p, a[2]);
		break;
	case VG_MEMPOOL_TRIM:
		if (!(pl = pool_find(p, a[1])))
			break;
		for (size_t i = pl->n; i > 0; i--) {
			taddr_t c = pl->chunks[i - 1], lo = a[2],
				hi = a[2] + a[3];
			struct heap_block hb;
			if (!heap_table_find(&p->custom_heap, c, &hb))
				continue;
			if (c + hb.size <= lo || c >= hi) {
				/* wholly outside: freed */
				chunk_free(p, c);
				pl->chunks[i - 1] = pl->chunks[--pl->n];
			} else if (c < lo || c + hb.size > hi) {
				/* partly: what is inside stays */
				taddr_t s = c < lo ? lo : c;
				taddr_t e = c + hb.size > hi ? hi : c + hb.size;
				heap_table_remove(&p->custom_heap, c, &hb);
				hb.addr = s;
				hb.size = e - s;
				heap_table_insert(&p->custom_heap, &hb);
				pl->chunks[i - 1] = s;
			}
		}
		break;
	case VG_MOVE_MEMPOOL:
		if ((pl = pool_find(p, a[1])) && !pool_find(p, a[2]))
			pl->id = a[2];
		break;
	case VG_MEMPOOL_CHANGE:
		if ((pl = pool_find(p, a[1])) && !pool_take_chunk(pl, a[2])) {
			struct heap_block hb;
			if (heap_table_remove(&p->custom_heap, a[2], &hb)) {
				hb.addr = a[3];
				hb.size = a[4];
				heap_table_insert(&p->custom_heap, &hb);
			}
			pool_add_chunk(pl, a[3]);
		}
		break;
	default:
		break;
	}
}
