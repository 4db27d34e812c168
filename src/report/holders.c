/*
 * holders (report): who holds a loss record's blocks, in words, and the
 * holders that retain the most.
 *
 * A record's chain is that of its block with the shortest chain
 * (scan_holders' links; ties: the lowest address), root end first.  A
 * root is named as precisely as the symbols allow: a global or static
 * variable (its symbol, the file:line of its declaration, its module), an
 * offset in a module's data, a thread's stack (with the frame holding the
 * word when a return address above it says), a register of a thread, a
 * DTV, a mapping.  A block is named by address, size and the first frame
 * of its allocation stack outside the allocator.
 *
 * The frame on a stack: the first word above the hit (toward the stack's
 * base, within 64 KiB) that is the return address of a call instruction
 * (a call rel32 whose target is known, or an indirect call) is taken as
 * the return address of the frame holding the word: that frame is the
 * callee of a direct call, else "a frame called from" the caller.  A
 * stale return address can mislead it; it says what it saw.
 *
 * Top holders: the hits grouped by their root's name, and the live
 * blocks grouped by allocation stack (a block whose immediate dominator
 * is a block of its own group is not counted again: a list's nodes are
 * counted once, at its head), by retained bytes.
 *
 * --holders-of: an address names the block that holds it (binary search
 * over the blocks, sorted by address); a pattern, the loss records with a
 * frame it matches (report_frames(), report_glob_match()), each shown by
 * its block with the shortest chain, as --show-holders shows a record.
 * --report=new (reports after the first): each record that grew is shown
 * by the shortest chain among its new blocks (the caller says which are
 * new), else among all.
 *
 * Tracee memory is read only to find frames on stacks (and the code at
 * a return address), through the read callback, while the process is
 * stopped for the report.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "arch_defs.h"
#include "internal.h"
#include "leakcheck/depot.h"
#include "leakcheck/heap.h"
#include "leakcheck/target.h"
#include "leakcheck/util.h"

#define FRAME_SEARCH (64u * 1024) /* how far up a stack to look */
#define TLS_BELOW (64u * 1024)	  /* static TLS: this far below tp */
#define TCB_ABOVE 4096u		  /* glibc's struct pthread: above tp */

/* S with each byte printable_seq() refuses as "\xHH"; malloc'd. */
static char *clean(const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	char *o, *out = xmalloc(strlen((const char *)p) * 4 + 1);
	size_t n;

	for (o = out; *p; p += n ? n : 1) {
		n = printable_seq(p);
		if (!n) {
			o += sprintf(o, "\\x%02x", *p);
			continue;
		}
		memcpy(o, p, n);
		o += n;
	}
	*o = 0;
	return out;
}

/* ---- choosing a record's block ---- */

static int rec_key_cmp(const struct loss_record *a, unsigned kind,
		       uint32_t stack_id, uint64_t size)
{
	if (a->kind != kind)
		return a->kind < kind ? -1 : 1;
	if (a->stack_id != stack_id)
		return a->stack_id < stack_id ? -1 : 1;
	if (a->stack_id == 0 && a->size != size)
		return a->size < size ? -1 : 1;
	return 0;
}

static const struct loss_record *sort_recs;

static int cmp_rec_idx(const void *va, const void *vb)
{
	const struct loss_record *a = &sort_recs[*(const uint32_t *)va];
	const struct loss_record *b = &sort_recs[*(const uint32_t *)vb];
	return rec_key_cmp(a, b->kind, b->stack_id, b->size);
}

/* A growable stack of block indices (as deep as the longest chain). */
struct ustack {
	uint32_t *v;
	size_t n, cap;
};

/* Depth of every block's chain (links form a tree), memoized, without
 * recursion: 0 for blocks not asked about. */
static uint32_t depth_of(const struct scan_holders *h, uint32_t *depth,
			 struct ustack *st, uint32_t i)
{
	uint32_t d;

	st->n = 0;
	while (!depth[i]) {
		uint32_t from = h->link[i].from;
		if (from == SCAN_NO_HOLDER || (from & SCAN_HOLDER_HIT)) {
			depth[i] = 1;
			break;
		}
		st->v = xgrow(st->v, &st->cap, st->n + 1, sizeof(*st->v));
		st->v[st->n++] = i;
		i = from;
	}
	d = depth[i];
	while (st->n) {
		i = st->v[--st->n];
		depth[i] = ++d;
	}
	return d;
}

int report_holders_shown(const struct report_holders *rh,
			 const struct loss_record *r)
{
	return (rh->kinds & (1u << r->kind)) != 0;
}

int report_holders_of_parse(const char *q, taddr_t *addr)
{
	unsigned long long v = 0;
	const char *p;

	if (q[0] != '0' || (q[1] != 'x' && q[1] != 'X'))
		return 0;
	if (!q[2] || strlen(q + 2) > 16)
		return -1;
	for (p = q + 2; *p; p++) {
		int d = *p >= '0' && *p <= '9'	 ? *p - '0'
			: *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
			: *p >= 'A' && *p <= 'F' ? *p - 'A' + 10
						 : -1;
		if (d < 0)
			return -1;
		v = v << 4 | (unsigned)d;
	}
	if (addr)
		*addr = v;
	return 1;
}

/* The block that holds address A (its start up to its end; a block of 0
 * bytes: its start), or UINT32_MAX. */
static uint32_t block_at(const struct scan_block *b, size_t n, taddr_t a)
{
	size_t lo = 0, hi = n;

	while (lo < hi) { /* the first block that starts above A */
		size_t mid = lo + (hi - lo) / 2;
		if (b[mid].addr <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return UINT32_MAX;
	lo--;
	if (a < b[lo].addr + (b[lo].size ? b[lo].size : 1))
		return (uint32_t)lo;
	return UINT32_MAX;
}

/* Does a frame of R's stack (as the text shows it) match glob PAT? */
static int stack_matches(const struct report_ctx *rc,
			 const struct loss_record *r, const char *pat)
{
	struct report_frame *fr;
	size_t n = report_frames(rc, r, &fr);
	int m = 0;

	for (size_t k = 0; k < n && !m; k++)
		m = (fr[k].f.func && report_glob_match(pat, fr[k].f.func)) ||
		    (fr[k].f.mangled &&
		     report_glob_match(pat, fr[k].f.mangled));
	free(fr);
	return m;
}

/* report_holders_prepare's first step: --holders-of's queries */
static void match_queries(const struct report_ctx *rc,
			  struct report_holders *rh,
			  const struct loss_record *recs, size_t nrec)
{
	rh->rec_of = xcalloc(nrec + 1, sizeof(*rh->rec_of));
	rh->of_block = xmalloc((rh->nof + 1) * sizeof(*rh->of_block));
	rh->of_rec = xmalloc((rh->nof + 1) * sizeof(*rh->of_rec));
	for (size_t q = 0; q < rh->nof; q++) {
		taddr_t a;
		uint32_t b;
		rh->of_block[q] = rh->of_rec[q] = UINT32_MAX;
		if (report_holders_of_parse(rh->of[q], &a) == 1) {
			b = block_at(rh->blocks, rh->h->nblocks, a);
			if (b == UINT32_MAX)
				continue;
			rh->of_block[q] = b;
			for (size_t r = 0; r < nrec; r++)
				if (!rec_key_cmp(&recs[r], rh->blocks[b].kind,
						 rh->blocks[b].stack_id,
						 rh->blocks[b].size)) {
					rh->of_rec[q] = (uint32_t)r;
					break;
				}
			continue;
		}
		for (size_t r = 0; r < nrec; r++)
			if (recs[r].blocks &&
			    stack_matches(rc, &recs[r], rh->of[q]))
				rh->rec_of[r] |= 1u << q;
	}
}

void report_holders_prepare(const struct report_ctx *rc,
			    struct report_holders *rh,
			    const struct loss_record *recs, size_t nrec)
{
	const struct scan_holders *h = rh->h;
	size_t n = h->nblocks;
	uint32_t *idx = xmalloc((nrec + 1) * sizeof(*idx));
	uint32_t *depth = xcalloc(n + 1, sizeof(*depth));
	struct ustack stack = {0};
	uint64_t *best = xmalloc((nrec + 1) * sizeof(*best));
	uint8_t *want = xcalloc(nrec + 1, 1);

	if (rh->nof)
		match_queries(rc, rh, recs, nrec);
	rh->nrec = nrec;
	rh->rec_block = xmalloc((nrec + 1) * sizeof(*rh->rec_block));
	rh->rec_nfresh = xcalloc(nrec + 1, sizeof(*rh->rec_nfresh));
	for (size_t r = 0; r < nrec; r++) {
		idx[r] = (uint32_t)r;
		rh->rec_block[r] = UINT32_MAX;
		best[r] = UINT64_MAX;
		want[r] = report_holders_shown(rh, &recs[r]) ||
			  (rh->grew && loss_record_grew(&recs[r])) ||
			  (rh->rec_of && rh->rec_of[r]);
	}
	sort_recs = recs;
	qsort(idx, nrec, sizeof(*idx), cmp_rec_idx);
	for (size_t i = 0; i < n; i++) {
		const struct scan_block *b = &rh->blocks[i];
		size_t lo = 0, hi = nrec;
		uint64_t d;
		int fresh = rh->fresh && rh->fresh[i];
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (rec_key_cmp(&recs[idx[mid]], b->kind, b->stack_id,
					b->size) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == nrec ||
		    rec_key_cmp(&recs[idx[lo]], b->kind, b->stack_id, b->size))
			continue;
		lo = idx[lo];
		rh->rec_nfresh[lo] += fresh;
		if (!want[lo])
			continue;
		d = depth_of(h, depth, &stack, (uint32_t)i);
		/* a record that grew: one of its new blocks, if any */
		if (rh->grew && !fresh)
			d |= (uint64_t)1 << 32;
		/* blocks come in address order: the first of a depth wins */
		if (d < best[lo]) {
			best[lo] = d;
			rh->rec_block[lo] = (uint32_t)i;
		}
	}
	free(idx);
	free(depth);
	free(stack.v);
	free(best);
	free(want);
}

void report_holders_release(struct report_holders *rh)
{
	free(rh->rec_block);
	free(rh->rec_nfresh);
	free(rh->rec_of);
	free(rh->of_block);
	free(rh->of_rec);
	rh->rec_block = NULL;
	rh->rec_nfresh = NULL;
	rh->rec_of = rh->of_block = rh->of_rec = NULL;
	rh->nrec = 0;
}

/* ---- naming ---- */

/* "f (file:line)", "f (in module)", or "0xPC": where block B was
 * allocated, from the first frame outside the allocator. */
static char *alloc_site(const struct report_ctx *rc, uint32_t stack_id)
{
	const taddr_t *pcs = NULL;
	unsigned n = 0, at;
	struct sym_frame fr[REPORT_MAX_INLINE];
	char *func, *file, *s;

	if (rc->depot)
		pcs = stack_depot_get(rc->depot, stack_id, &n);
	if (!pcs || !n)
		return xstrdup("an unknown place");
	at = n > 1 ? 1 : 0;
	report_lookup(rc, pcs[at], at > 0, fr);
	if (!fr[0].func)
		return xasprintf("0x%llx", (unsigned long long)pcs[at]);
	func = clean(fr[0].func);
	if (fr[0].file && fr[0].line > 0) {
		file = clean(report_base_name(fr[0].file));
		s = xasprintf("%s (%s:%d)", func, file, fr[0].line);
	} else {
		file =
		    clean(fr[0].module ? report_base_name(fr[0].module) : "?");
		s = xasprintf("%s (in %s)", func, file);
	}
	free(func);
	free(file);
	return s;
}

char *report_holder_block(const struct report_ctx *rc, uint32_t b)
{
	const struct scan_block *blk = &rc->holders->blocks[b];
	char sz[32], *site, *s;

	if ((blk->flags & HB_CORE) && blk->stack_id) {
		/* a core's block has no stack; its one frame is its class */
		const taddr_t *pcs = NULL;
		unsigned n = 0;
		struct sym_frame fr[REPORT_MAX_INLINE];
		char *cls;
		if (rc->depot)
			pcs = stack_depot_get(rc->depot, blk->stack_id, &n);
		if (pcs && n) {
			report_lookup(rc, pcs[0], 0, fr);
			cls = clean(fr[0].func ? fr[0].func : "a class");
			s = xasprintf("0x%llX (%s bytes, %s)",
				      (unsigned long long)blk->addr,
				      fmt_thousands(sz, blk->size), cls);
			free(cls);
			return s;
		}
	}
	site = alloc_site(rc, blk->stack_id);

	s = xasprintf("0x%llX (%s bytes, allocated at %s)",
		      (unsigned long long)blk->addr,
		      fmt_thousands(sz, blk->size), site);
	free(site);
	return s;
}

static long rd(const struct report_holders *rh, taddr_t a, void *buf,
	       size_t len)
{
	return rh->read ? rh->read(rh->read_ctx, a, buf, len) : -1;
}

uint32_t report_link_to_off(const struct report_holders *rh, uint32_t b)
{
	const struct scan_link *l = &rh->h->link[b];
	taddr_t w, a = rh->blocks[b].addr;

	if (l->from == SCAN_NO_HOLDER)
		return 0;
	if (l->from & SCAN_HOLDER_HIT)
		return rh->h->hits[l->from & ~SCAN_HOLDER_HIT].to_off;
	if (l->from_off == UINT32_MAX ||
	    rd(rh, rh->blocks[l->from].addr + l->from_off, &w, sizeof(w)) !=
		(long)sizeof(w) ||
	    w < a)
		return 0;
	return w - a < UINT32_MAX ? (uint32_t)(w - a) : UINT32_MAX;
}

/* Is V the return address of a call?  *CALLEE: the target of a direct
 * call (0 for an indirect one). */
static int is_return_address(const struct report_ctx *rc, taddr_t v,
			     taddr_t *callee)
{
	const struct report_holders *rh = rc->holders;
	uint8_t c[7];
	struct sym_frame fr[REPORT_MAX_INLINE];
	int32_t rel;

	if (v < sizeof(c) ||
	    rd(rh, v - sizeof(c), c, sizeof(c)) != (long)sizeof(c))
		return 0;
	*callee = 0;
	if (c[2] == 0xe8) { /* call rel32 */
		memcpy(&rel, c + 3, 4);
		*callee = v + (taddr_t)(int64_t)rel;
	} else if (!((c[5] == 0xff && (c[6] & 0xf8) == 0xd0) || /* *%reg */
		     (c[4] == 0xff && (c[5] & 0xf8) == 0x50) || /* disp8 */
		     (c[1] == 0xff && (c[2] & 0xf8) == 0x90) || /* disp32 */
		     (c[5] == 0xff && (c[6] & 0xf8) == 0x10) || /* (%reg) */
		     (c[1] == 0xff && c[2] == 0x15) ||		/* (%rip) */
		     (c[4] == 0xff && c[5] == 0x14) ||		/* sib */
		     (c[3] == 0xff && c[4] == 0x54) ||		/* sib8 */
		     (c[0] == 0xff && c[1] == 0x94))) {		/* sib32 */
		return 0;
	}
	/* and it lies in a function we know */
	report_lookup(rc, v, 1, fr);
	return fr[0].func != NULL;
}

/* The return address nearest to A in [LO, HI) (from the top if DOWN,
 * else from the bottom), or 0; *CALLEE as is_return_address() sets it. */
static taddr_t nearest_return(const struct report_ctx *rc, taddr_t lo,
			      taddr_t hi, int down, taddr_t *callee)
{
	uint64_t w[512];

	while (lo + 8 <= hi) {
		size_t len =
		    hi - lo < sizeof(w) ? (size_t)(hi - lo) : sizeof(w);
		taddr_t at = down ? hi - len : lo;
		long r = rd(rc->holders, at, w, len);
		size_t nw;
		if (r != (long)len)
			return 0;
		nw = len / 8;
		for (size_t k = 0; k < nw; k++) {
			size_t j = down ? nw - 1 - k : k;
			if (is_return_address(rc, w[j], callee))
				return w[j];
		}
		if (down)
			hi -= len;
		else
			lo += len;
	}
	return 0;
}

/*
 * The frame on a stack ([LO, HI), scanned from LO, the thread's sp) that
 * holds the word at A: the function a return address just below A
 * returns into (it called the next frame down, so A lies in its frame),
 * else, above A, the callee of the call whose return address that is.
 */
static void stack_frame(const struct report_ctx *rc, taddr_t a, taddr_t lo,
			taddr_t hi, struct report_root *out)
{
	struct sym_frame fr[REPORT_MAX_INLINE];
	taddr_t callee, ra;
	int nf;

	lo = a - lo > FRAME_SEARCH ? a - FRAME_SEARCH : lo;
	hi = hi - a > FRAME_SEARCH ? a + FRAME_SEARCH : hi;
	ra = nearest_return(rc, lo, a, 1, &callee);
	if (ra) {
		nf = report_lookup(rc, ra, 1, fr);
		out->frame_func = fr[nf - 1].func; /* the real function */
		out->frame_file = fr[0].file;
		out->frame_line = fr[0].line;
		if (report_fn_kind(out->frame_func) == RFN_BELOW)
			out->frame_func = "main"; /* what libc called */
		return;
	}
	ra = nearest_return(rc, a + 8, hi, 0, &callee);
	if (!ra) {
		/* above every frame: the thread's TLS or TCB */
		out->kind = "tls";
		return;
	}
	nf = report_lookup(rc, ra, 1, fr);
	if (report_fn_kind(fr[nf - 1].func) == RFN_BELOW) {
		out->frame_func = "main";
		return;
	}
	if (callee) {
		nf = report_lookup(rc, callee, 0, fr);
		if (fr[nf - 1].func) {
			out->frame_func = fr[nf - 1].func;
			return;
		}
	}
	nf = report_lookup(rc, ra, 1, fr);
	out->frame_func = fr[nf - 1].func;
	out->frame_file = fr[0].file;
	out->frame_line = fr[0].line;
	out->frame_called_from = 1;
}

/* The text of OUT from its fields. */
static void root_text(struct report_root *o)
{
	char *name = clean(o->name), *mod = clean(o->module);
	char *file = clean(report_base_name(o->file));
	char *ff = clean(o->frame_func);
	char *fl = clean(report_base_name(o->frame_file));
	char *frame = NULL;

	if (o->frame_func && !o->frame_called_from && o->frame_file &&
	    o->frame_line > 0)
		frame = xasprintf(", in the frame of %s (%s:%d)", ff, fl,
				  o->frame_line);
	else if (o->frame_func && !o->frame_called_from)
		frame = xasprintf(", in the frame of %s", ff);
	else if (o->frame_func && o->frame_file && o->frame_line > 0)
		frame = xasprintf(", in a frame called from %s (%s:%d)", ff, fl,
				  o->frame_line);
	else if (o->frame_func)
		frame = xasprintf(", in a frame called from %s", ff);
	else
		frame = xstrdup("");

	if (!strcmp(o->kind, "global") || !strcmp(o->kind, "static")) {
		if (o->file && o->line > 0)
			o->text = xasprintf("%s '%s' (%s:%d, in %s) +%llu",
					    o->kind, name, file, o->line, mod,
					    (unsigned long long)o->off);
		else
			o->text =
			    xasprintf("%s '%s' (in %s) +%llu", o->kind, name,
				      mod, (unsigned long long)o->off);
	} else if (!strcmp(o->kind, "data")) {
		o->text = xasprintf("data of %s +0x%llx", mod,
				    (unsigned long long)o->off);
	} else if (!strcmp(o->kind, "stack") && o->sp && o->addr >= o->sp) {
		o->text =
		    xasprintf("stack of thread %d%s (0x%llx, sp+0x%llx)",
			      (int)o->tid, frame, (unsigned long long)o->addr,
			      (unsigned long long)(o->addr - o->sp));
	} else if (!strcmp(o->kind, "stack")) {
		o->text =
		    xasprintf("stack of thread %d%s (0x%llx)", (int)o->tid,
			      frame, (unsigned long long)o->addr);
	} else if (!strcmp(o->kind, "tls") && o->name && o->file &&
		   o->line > 0) {
		o->text = xasprintf("TLS variable '%s' of thread %d (%s:%d, "
				    "in %s) +%llu",
				    name, (int)o->tid, file, o->line, mod,
				    (unsigned long long)o->off);
	} else if (!strcmp(o->kind, "tls") && o->name) {
		o->text = xasprintf("TLS variable '%s' of thread %d (in %s) "
				    "+%llu",
				    name, (int)o->tid, mod,
				    (unsigned long long)o->off);
	} else if (!strcmp(o->kind, "tls") && o->tp && o->addr < o->tp) {
		o->text = xasprintf("TLS of thread %d (0x%llx, tp-0x%llx)",
				    (int)o->tid, (unsigned long long)o->addr,
				    (unsigned long long)(o->tp - o->addr));
	} else if (!strcmp(o->kind, "tls") && o->tp) {
		o->text = xasprintf("glibc's thread control block of thread %d "
				    "(0x%llx, tp+0x%llx)",
				    (int)o->tid, (unsigned long long)o->addr,
				    (unsigned long long)(o->addr - o->tp));
	} else if (!strcmp(o->kind, "tls")) {
		o->text = xasprintf("TLS or thread data of thread %d (0x%llx)",
				    (int)o->tid, (unsigned long long)o->addr);
	} else if (!strcmp(o->kind, "register")) {
		o->text =
		    xasprintf("register %s of thread %d", name, (int)o->tid);
	} else if (!strcmp(o->kind, "dtv")) {
		if (o->tid)
			o->text = xasprintf("glibc's DTV (TLS vector) of "
					    "thread %d",
					    (int)o->tid);
		else
			o->text = xstrdup("glibc's DTV (TLS vector) of a "
					  "dead thread");
	} else if (!strcmp(o->kind, "dead-thread")) {
		o->text = xasprintf("a dead thread's struct pthread (glibc's "
				    "stack cache) (0x%llx)",
				    (unsigned long long)o->addr);
	} else if (!strcmp(o->kind, "heap")) {
		o->text = xasprintf("heap leakcheck cannot walk (0x%llx)",
				    (unsigned long long)o->addr);
	} else if (o->module) {
		o->text = xasprintf("mapping of %s (0x%llx)", mod,
				    (unsigned long long)o->addr);
	} else {
		o->text = xasprintf("anonymous mapping (0x%llx)",
				    (unsigned long long)o->addr);
	}
	free(name);
	free(mod);
	free(file);
	free(ff);
	free(fl);
	free(frame);
}

/* A TLS word below its thread's pointer: its __thread variable, if the
 * symbols say.  Returns 1 if they do. */
static int tls_root(const struct report_ctx *rc, struct report_root *o)
{
	const struct report_holders *rh = rc->holders;
	struct sym_data d;

	if (!rh->tls || !o->tp || !o->addr || o->addr >= o->tp ||
	    o->tp - o->addr > TLS_BELOW ||
	    !rh->tls(rh->tls_ctx, o->tp - o->addr, &d) || !d.name)
		return 0;
	o->name = d.name;
	o->file = d.file;
	o->line = d.line;
	o->module = d.module;
	o->off = d.off;
	return 1;
}

/* A data address: a variable, else an offset in a module's data.
 * Returns 0 if no module holds it. */
static int data_root(const struct report_ctx *rc, taddr_t a,
		     struct report_root *o)
{
	const struct report_holders *rh = rc->holders;
	struct sym_data d;

	if (!rh->data || !rh->data(rh->data_ctx, a, &d) || !d.module)
		return 0;
	o->module = d.module;
	if (d.name) {
		o->kind = d.local ? "static" : "global";
		o->name = d.name;
		o->off = d.off;
		o->file = d.file;
		o->line = d.line;
	} else {
		o->kind = "data";
		o->off = a - d.module_base;
	}
	return 1;
}

void report_holder_root(const struct report_ctx *rc, uint32_t hit,
			struct report_root *o)
{
	const struct report_holders *rh = rc->holders;
	const struct scan_root_hit *h = &rh->h->hits[hit];

	memset(o, 0, sizeof(*o));
	if (h->root >= rh->nroots) {
		size_t k = h->root - rh->nroots;
		const struct scan_root_word *w =
		    rh->words && k < rh->nwords ? &rh->words[k] : NULL;
		o->addr = 0;
		o->tid = w ? w->tid : 0;
		if (w && w->kind == ROOT_DTV) {
			o->kind = "dtv";
		} else {
			o->kind = "register";
			o->name = arch_reg_word_name(w ? w->index : -1);
		}
		root_text(o);
		return;
	}
	const struct scan_range *r = &rh->roots[h->root];
	const struct target_thread *t = NULL;
	o->addr = r->start + h->off;
	o->tid = r->tid;
	for (size_t i = 0; i < rh->nthreads; i++) {
		const struct target_thread *u = &rh->threads[i];
		if (r->tid ? u->tid == r->tid
			   : u->tp && o->addr < u->tp + TCB_ABOVE &&
				 o->addr + TLS_BELOW > u->tp) {
			t = u;
			break;
		}
	}
	if (t) {
		o->sp = t->sp;
		o->tp = t->tp;
	}
	if (t && !r->tid && r->kind == ROOT_MMAP && !(r->name && *r->name)) {
		/* next to a thread's TCB, outside its stack: the main
		 * thread's TLS, set up by ld.so */
		o->kind = "tls";
		o->tid = t->tid;
		tls_root(rc, o);
		root_text(o);
		return;
	}
	switch (r->kind) {
	case ROOT_DATA:
	case ROOT_MMAP:
		if (data_root(rc, o->addr, o))
			break;
		/* no module's image holds it (or no symbols): the mapping */
		o->kind = "mmap";
		o->module = r->name && *r->name ? r->name : NULL;
		break;
	case ROOT_STACK:
	case ROOT_BLOCK_STACK:
		/* a thread's static TLS lies above its stack, in the same
		 * mapping: a __thread variable there is not a frame's */
		if (tls_root(rc, o)) {
			o->kind = "tls";
			break;
		}
		o->kind = "stack";
		/* below sp lie dead frames: their return addresses would
		 * name a frame that is gone */
		stack_frame(rc, o->addr,
			    o->sp > r->start && o->sp <= o->addr ? o->sp
								 : r->start,
			    r->end, o);
		break;
	case ROOT_DEAD_TCB:
		o->kind = "dead-thread";
		break;
	case ROOT_HEAP:
		o->kind = "heap";
		break;
	default:
		o->kind = "mmap";
		break;
	}
	if (!strcmp(o->kind, "tls") && !o->name)
		tls_root(rc, o); /* above every frame of a thread's stack */
	root_text(o);
}

void report_root_release(struct report_root *o)
{
	free(o->text);
	o->text = NULL;
}

/* ---- top holders ---- */

struct hgroup {
	char *name;	   /* a root's text, without its offset; or NULL */
	uint32_t stack_id; /* blocks: their allocation stack */
	uint32_t block;	   /* the block (or hit) that retains the most */
	int is_hit;
	uint64_t bytes, blocks, members;
	uint64_t best; /* bytes the best member retains */
};

static int cmp_group_name(const void *va, const void *vb)
{
	const struct hgroup *a = va, *b = vb;
	return strcmp(a->name, b->name);
}

static int cmp_group_bytes(const void *va, const void *vb)
{
	const struct hgroup *a = va, *b = vb;
	if (a->bytes != b->bytes)
		return a->bytes > b->bytes ? -1 : 1;
	if (a->blocks != b->blocks)
		return a->blocks > b->blocks ? -1 : 1;
	if (a->is_hit != b->is_hit)
		return a->is_hit ? -1 : 1;
	return a->block < b->block ? -1 : a->block > b->block;
}

static const struct scan_block *sort_blocks;

static int cmp_block_stack(const void *va, const void *vb)
{
	uint32_t a = *(const uint32_t *)va, b = *(const uint32_t *)vb;
	uint32_t sa = sort_blocks[a].stack_id, sb = sort_blocks[b].stack_id;
	if (sa != sb)
		return sa < sb ? -1 : 1;
	if (!sa && sort_blocks[a].size != sort_blocks[b].size)
		return sort_blocks[a].size < sort_blocks[b].size ? -1 : 1;
	return a < b ? -1 : a > b;
}

/* Blocks of one top-holders group: one stack; blocks of no stack (found
 * by a heap walk, or in a core) by size, as their loss records are. */
static int same_group(const struct scan_block *a, const struct scan_block *b)
{
	return a->stack_id == b->stack_id &&
	       (a->stack_id || a->size == b->size);
}

/* The root's name as a group key: its text less a trailing " +N". */
static char *group_name(const char *text)
{
	char *s = xstrdup(text), *plus = strrchr(s, '+');

	if (plus && plus > s && plus[-1] == ' ' && !strchr(plus, ' ') &&
	    !strchr(plus, ')'))
		plus[-1] = 0;
	return s;
}

static int live(const struct scan_block *b)
{
	return b->kind == LEAK_REACHABLE || b->kind == LEAK_POSSIBLE;
}

size_t report_top_holders(const struct report_ctx *rc, struct report_top **out)
{
	const struct report_holders *rh = rc->holders;
	const struct scan_holders *h = rh->h;
	struct hgroup *g = NULL;
	size_t ng = 0, cap = 0, nb = 0, k;
	uint32_t *idx, *depth;
	struct ustack dstack = {0};
	struct report_top *top;

	*out = NULL;
	if (!rh->top)
		return 0;
	/* the roots, by name */
	for (size_t i = 0; i < h->nhits; i++) {
		struct report_root r;
		if (!h->hits[i].retained_bytes)
			continue;
		report_holder_root(rc, (uint32_t)i, &r);
		g = xgrow(g, &cap, ng + 1, sizeof(*g));
		g[ng++] = (struct hgroup){
		    .name = group_name(r.text),
		    .block = (uint32_t)i,
		    .is_hit = 1,
		    .bytes = h->hits[i].retained_bytes,
		    .blocks = h->hits[i].retained_blocks,
		    .members = 1,
		    .best = h->hits[i].retained_bytes,
		};
		report_root_release(&r);
	}
	if (ng > 1)
		qsort(g, ng, sizeof(*g), cmp_group_name);
	for (size_t i = 0, j = 0; i < ng; i = j) {
		for (j = i + 1; j < ng && !strcmp(g[i].name, g[j].name); j++) {
			g[i].bytes += g[j].bytes;
			g[i].blocks += g[j].blocks;
			g[i].members++;
			if (g[j].best > g[i].best) {
				g[i].best = g[j].best;
				g[i].block = g[j].block;
			}
			free(g[j].name);
			g[j].name = NULL;
		}
	}
	for (size_t i = k = 0; i < ng; i++)
		if (g[i].name)
			g[k++] = g[i];
	ng = k;

	/* the live blocks, by allocation stack; of a group's blocks that
	 * retain the most, the one with the shortest chain is shown */
	depth = xcalloc(h->nblocks + 1, sizeof(*depth));
	idx = xmalloc((h->nblocks + 1) * sizeof(*idx));
	for (size_t i = 0; i < h->nblocks; i++)
		if (live(&rh->blocks[i]))
			idx[nb++] = (uint32_t)i;
	sort_blocks = rh->blocks;
	qsort(idx, nb, sizeof(*idx), cmp_block_stack);
	for (size_t i = 0, j; i < nb; i = j) {
		const struct scan_block *first = &rh->blocks[idx[i]];
		struct hgroup e = {.stack_id = first->stack_id,
				   .block = idx[i]};
		for (j = i; j < nb && same_group(&rh->blocks[idx[j]], first);
		     j++) {
			uint32_t b = idx[j], d = h->idom[b];
			e.members++;
			if (h->retained_bytes[b] > e.best ||
			    (h->retained_bytes[b] == e.best &&
			     depth_of(h, depth, &dstack, b) <
				 depth_of(h, depth, &dstack, e.block))) {
				e.best = h->retained_bytes[b];
				e.block = b;
			}
			/* nested in a block of its own group: counted there */
			if (d != SCAN_NO_HOLDER && !(d & SCAN_HOLDER_HIT) &&
			    same_group(&rh->blocks[d], first))
				continue;
			e.bytes += h->retained_bytes[b];
			e.blocks += h->retained_blocks[b];
		}
		g = xgrow(g, &cap, ng + 1, sizeof(*g));
		g[ng++] = e;
	}
	free(idx);
	free(depth);
	free(dstack.v);
	if (ng > 1)
		qsort(g, ng, sizeof(*g), cmp_group_bytes);
	if (ng > rh->top) {
		for (size_t i = rh->top; i < ng; i++)
			free(g[i].name);
		ng = rh->top;
	}
	top = xcalloc(ng + 1, sizeof(*top));
	for (size_t i = 0; i < ng; i++) {
		top[i].is_root = g[i].is_hit;
		top[i].name = g[i].name; /* handed over */
		top[i].index = g[i].block;
		top[i].stack_id = g[i].stack_id;
		top[i].bytes = g[i].bytes;
		top[i].blocks = g[i].blocks;
		top[i].members = g[i].members;
	}
	free(g);
	*out = top;
	return ng;
}

void report_top_free(struct report_top *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(t[i].name);
	free(t);
}
