/*
 * text: the report in memcheck's words and layout (valgrind 3.19), every
 * line prefixed "==PID== ".
 *
 *   ==PID==
 *   ==PID== HEAP SUMMARY:
 *   ==PID==     in use at exit: B bytes in N blocks
 *   ==PID==   total heap usage: N allocs, N frees, B bytes allocated
 *   ==PID==
 *   (--leak-check=full: each shown loss record, then a blank line)
 *   ==PID== LEAK SUMMARY:
 *   ...     five lines (with the "of which reachable via heuristic"
 *           lines when a heuristic was needed), then memcheck's hints
 *   ==PID==
 *   ==PID== ERROR SUMMARY: N errors from N contexts (suppressed: N from N)
 *
 * No blocks at all: "All heap blocks were freed -- no leaks are possible"
 * replaces the LEAK SUMMARY.  --leak-check=no: memcheck's "For a detailed
 * leak analysis, rerun with: --leak-check=full" does.  Errors are loss
 * records of the error kinds, counted with --leak-check=full only (see
 * report_error_count), as memcheck counts them.
 *
 * Numbers carry thousands separators, as memcheck's %'lu does.  Loss
 * record numbers count every record, shown or not, as memcheck does.
 *
 * Stacks: frame 0 of a depot stack is the allocator's entry point, the
 * others are return addresses.  Each PC can expand into several lines
 * (inlined calls share the PC).  As memcheck does without
 * --show-below-main, a stack stops after "main", and a frame below main
 * (__libc_start_main, ...) is printed as "(below main)" and ends it.
 * At most rc->num_callers PCs are printed (0: no limit).
 *
 * Suppressed records are not shown; their blocks are in the summary's
 * "suppressed:" line (supp_apply moved them there).  With
 * rc->gen_suppressions each shown record is followed by its suppression
 * in valgrind's format, unprefixed, as memcheck prints it.
 *
 * Differences from memcheck, on purpose: no "For lists of detected and
 * suppressed errors, rerun with: -s" (leakcheck has no -s); a process
 * killed by SIGKILL gets a "no scan was possible" line instead of the
 * LEAK SUMMARY; a record without a stack says so in one line.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "leakcheck/report.h"
#include "leakcheck/depot.h"
#include "leakcheck/heap.h"
#include "leakcheck/profile.h"
#include "leakcheck/suppress.h"
#include "leakcheck/sym.h"
#include "leakcheck/util.h"

/* Inline depth we print per PC; deeper chains are cut (innermost kept). */

static void __attribute__((format(printf, 2, 3)))
emit(const struct report_ctx *rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(rc->out, "==%d== ", (int)rc->pid);
	vfprintf(rc->out, fmt, ap);
	va_end(ap);
	fputc('\n', rc->out);
}

static void blank(const struct report_ctx *rc)
{
	fprintf(rc->out, "==%d== \n", (int)rc->pid);
}

/* Print TEXT, one prefixed line per line of it. */
static void emit_lines(const struct report_ctx *rc, const char *text)
{
	while (*text) {
		size_t len = strcspn(text, "\n");
		emit(rc, "%.*s", (int)len, text);
		text += len;
		if (*text == '\n')
			text++;
	}
}

/*
 * S, a name from the program (symbol, file, module path, argv), as the
 * report prints it: each byte that printable_seq() refuses (control
 * bytes, ESC among them, and bytes that are not UTF-8) as "\xHH", so
 * that a binary's strings cannot drive the terminal.  S itself when it
 * needs nothing (the usual case); else a copy in *COPY, caller frees.
 */
static const char *printable(const char *s, char **copy)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, extra = 0;
	char *o;

	*copy = NULL;
	if (!s)
		return s;
	for (; *p; p += n ? n : 1) {
		n = printable_seq(p);
		if (!n)
			extra += 3;
	}
	if (!extra)
		return s;
	o = *copy = xmalloc(strlen(s) + extra + 1);
	for (p = (const unsigned char *)s; *p;) {
		n = printable_seq(p);
		if (!n) {
			o += sprintf(o, "\\x%02x", *p++);
			continue;
		}
		memcpy(o, p, n);
		o += n;
		p += n;
	}
	*o = 0;
	return *copy;
}

/* "   at 0xPC: func (file:line)", memcheck's VG_(describe_IP) forms. */
static void print_frame(const struct report_ctx *rc, const char *verb,
			taddr_t pc, const struct sym_frame *f,
			const char *fname)
{
	const char *name = fname ? fname : f->func ? f->func : "???";
	char *c1, *c2 = NULL;
	const char *fn = printable(name, &c1);

	if (f->file && f->line > 0)
		emit(rc, "   %s 0x%llX: %s (%s:%d)", verb,
		     (unsigned long long)pc, fn,
		     printable(report_base_name(f->file), &c2), f->line);
	else if (f->module)
		emit(rc, "   %s 0x%llX: %s (in %s)", verb,
		     (unsigned long long)pc, fn, printable(f->module, &c2));
	else
		emit(rc, "   %s 0x%llX: %s", verb, (unsigned long long)pc, fn);
	free(c1);
	free(c2);
}

static void print_stack(const struct report_ctx *rc,
			const struct loss_record *r)
{
	const taddr_t *pcs = NULL;
	unsigned n = 0, limit;
	int first = 1;

	if (rc->depot)
		pcs = stack_depot_get(rc->depot, r->stack_id, &n);
	if (!pcs || n == 0) {
		char sz[32];
		if (r->stack_id == STACK_ID_UNSAMPLED)
			emit(rc, "   (not sampled: --sample-rate records the "
				 "stacks of some allocations only)");
		else if (r->flags & HB_PRE_ATTACH)
			emit(rc,
			     "   (no stack: blocks of %s bytes allocated "
			     "before leakcheck attached)",
			     fmt_thousands(sz, r->size));
		else if (r->flags & HB_CORE)
			emit(rc,
			     "   (no stack: a core holds none; blocks of %s "
			     "bytes)",
			     fmt_thousands(sz, r->size));
		else
			emit(rc, "   (no stack recorded)");
		return;
	}
	if (r->flags & HB_CORE) {
		/* the one frame of a core's block: its class's vtable */
		struct sym_frame fr[REPORT_MAX_INLINE];
		char *c1, *c2 = NULL;
		report_lookup(rc, pcs[0], 0, fr);
		emit(rc, "   (no stack: a core holds none; %s at 0x%llX%s%s)",
		     printable(fr[0].mangled ? fr[0].mangled : "???", &c1),
		     (unsigned long long)pcs[0], fr[0].module ? " in " : "",
		     fr[0].module ? printable(fr[0].module, &c2) : "");
		free(c1);
		free(c2);
		return;
	}
	limit = rc->num_callers && rc->num_callers < n ? rc->num_callers : n;
	for (unsigned i = 0; i < limit; i++) {
		struct sym_frame fr[REPORT_MAX_INLINE];
		int nf = report_lookup(rc, pcs[i], i > 0, fr);
		/* the real (outermost) function decides, as memcheck's
		 * get_fnname_kind_from_IP does */
		enum report_fn_kind k = report_fn_kind(fr[nf - 1].func);
		for (int j = 0; j < nf; j++) {
			const char *fname = NULL;
			if (j == nf - 1 && k == RFN_BELOW)
				fname = "(below main)";
			print_frame(rc, first ? "at" : "by", pcs[i], &fr[j],
				    fname);
			first = 0;
		}
		if (k != RFN_NORMAL)
			break;
	}
}

/*
 * "held by:" and the chain of block B, root end first, each hop with the
 * offset of the pointer to the next one in it:
 *
 *    held by: global 'cache' (prog.c:12, in /usr/bin/prog) +8
 *          -> 0x4a5b040 (16 bytes, allocated at push (prog.c:20)) +0
 *          -> this block (0x4a5b0c0), which retains 48 bytes in 3 blocks
 */
#define CHAIN_MAX 64

static void print_chain(const struct report_ctx *rc, uint32_t b,
			const char *indent)
{
	const struct scan_holders *h = rc->holders->h;
	uint32_t chain[CHAIN_MAX];
	size_t len = scan_holders_chain(h, b, chain, CHAIN_MAX), shown, k;
	char by[32], bl[32], at[48] = "", *desc;

	shown = len < CHAIN_MAX ? len : CHAIN_MAX;
	fmt_thousands(by, h->retained_bytes[b]);
	fmt_thousands(bl, h->retained_blocks[b]);
	if (len == 1) {
		emit(rc,
		     "%sheld by: nothing (no pointer from a root or a "
		     "reachable block); it retains %s bytes in %s blocks",
		     indent, by, bl);
		return;
	}
	for (k = 0; k + 1 < shown; k++) {
		uint32_t c = chain[k];
		uint64_t off = h->link[chain[k + 1]].from_off;
		char *copy;
		uint32_t to = k ? report_link_to_off(rc->holders, c) : 0;
		if (to)
			snprintf(at, sizeof(at), " (pointed into at +%u)", to);
		else
			at[0] = 0;
		if (!k && (c & SCAN_HOLDER_HIT)) {
			struct report_root r;
			report_holder_root(rc, c & ~SCAN_HOLDER_HIT, &r);
			emit(rc, "%sheld by: %s", indent,
			     printable(r.text, &copy));
			report_root_release(&r);
			free(copy);
			continue;
		}
		desc = report_holder_block(rc, c);
		if (!k)
			emit(rc, "%sheld by: definitely lost block %s +%llu",
			     indent, printable(desc, &copy),
			     (unsigned long long)off);
		else
			emit(rc, "%s      -> %s%s +%llu", indent,
			     printable(desc, &copy), at,
			     (unsigned long long)off);
		free(copy);
		free(desc);
		if (k + 2 == shown && len > shown)
			emit(rc, "%s      -> ... (%zu more)", indent,
			     len - shown);
	}
	if (report_link_to_off(rc->holders, b))
		snprintf(at, sizeof(at), ", pointed into at +%u",
			 report_link_to_off(rc->holders, b));
	else
		at[0] = 0;
	emit(rc,
	     "%s      -> this block (0x%llX%s), which retains %s bytes in "
	     "%s blocks",
	     indent, (unsigned long long)rc->holders->blocks[b].addr, at, by,
	     bl);
}

static void print_holders(const struct report_ctx *rc,
			  const struct loss_record *r, size_t i)
{
	const struct report_holders *rh = rc->holders;

	if (!rh || i >= rh->nrec || !report_holders_shown(rh, r) ||
	    rh->rec_block[i] == UINT32_MAX)
		return;
	print_chain(rc, rh->rec_block[i], " ");
}

/* Growth of R since the last report, bytes (direct and indirect). */
static int64_t grew_bytes(const struct loss_record *r)
{
	return (int64_t)(r->bytes + r->indirect_bytes) -
	       (int64_t)(r->old_bytes + r->old_indirect_bytes);
}

static const struct loss_record *sort_grew;

static int cmp_grew(const void *va, const void *vb)
{
	const struct loss_record *a = &sort_grew[*(const size_t *)va];
	const struct loss_record *b = &sort_grew[*(const size_t *)vb];
	int64_t ga = grew_bytes(a), gb = grew_bytes(b);

	if (ga != gb)
		return ga > gb ? -1 : 1;
	return *(const size_t *)va < *(const size_t *)vb ? -1 : 1;
}

#define GREW_MAX 25 /* records the WHAT GREW section shows at most */

/* --report=new, after the first report: the records that grew, most
 * bytes first, each with the chain of one of its new blocks. */
static void print_grew(const struct report_ctx *rc,
		       const struct loss_record *recs, size_t nrec)
{
	const struct report_holders *rh = rc->holders;
	size_t *idx, n = 0;
	char num[32], of[32], gb[32], gn[32], nf[32], *msg;

	if (!rh || !rh->grew || !rc->old_sum || !rh->rec_block)
		return;
	idx = xmalloc((nrec + 1) * sizeof(*idx));
	for (size_t i = 0; i < nrec; i++)
		if (!recs[i].suppressed && recs[i].blocks &&
		    loss_record_grew(&recs[i]) &&
		    rh->rec_block[i] != UINT32_MAX)
			idx[n++] = i;
	sort_grew = recs;
	qsort(idx, n, sizeof(*idx), cmp_grew);
	emit(rc, "WHAT GREW since the last report, and who holds it:");
	if (!n)
		emit(rc, " nothing grew");
	fmt_thousands(of, nrec);
	for (size_t k = 0; k < n && k < GREW_MAX; k++) {
		const struct loss_record *r = &recs[idx[k]];
		int64_t g = grew_bytes(r);
		uint32_t b = rh->rec_block[idx[k]];
		fmt_thousands(num, idx[k] + 1);
		fmt_thousands(gb, (uint64_t)(g < 0 ? -g : g));
		fmt_thousands(gn, r->blocks - (r->blocks > r->old_blocks
						   ? r->old_blocks
						   : r->blocks));
		fmt_thousands(nf, rh->rec_nfresh[idx[k]]);
		msg = report_record_message(r);
		emit(rc,
		     "loss record %s of %s: %s%s bytes, +%s blocks, %s at new "
		     "addresses; now %s",
		     num, of, g < 0 ? "-" : "+", gb, gn, nf, msg);
		free(msg);
		print_stack(rc, r);
		if (rh->fresh && !rh->fresh[b])
			emit(rc, " (no new block: the chain of an old one)");
		print_chain(rc, b, " ");
	}
	if (n > GREW_MAX)
		emit(rc, " ... and %zu more records that grew", n - GREW_MAX);
	blank(rc);
	free(idx);
}

/* --holders-of: each query's block, or the records whose stack it
 * matches, with their chains. */
static void print_holders_of(const struct report_ctx *rc,
			     const struct loss_record *recs, size_t nrec)
{
	const struct report_holders *rh = rc->holders;
	char num[32], of[32], *copy, *msg;

	if (!rh || !rh->nof || !rh->of_block)
		return;
	fmt_thousands(of, nrec);
	for (size_t q = 0; q < rh->nof; q++) {
		taddr_t a;
		size_t shown = 0;
		const char *qs = printable(rh->of[q], &copy);
		if (report_holders_of_parse(rh->of[q], &a) == 1) {
			uint32_t b = rh->of_block[q], r = rh->of_rec[q];
			emit(rc, "HOLDERS OF 0x%llX:", (unsigned long long)a);
			free(copy);
			if (b == UINT32_MAX) {
				emit(rc, " no live block holds this address");
				blank(rc);
				continue;
			}
			const struct scan_block *blk = &rh->blocks[b];
			char sz[32];
			fmt_thousands(sz, blk->size);
			if (r != UINT32_MAX)
				fmt_thousands(num, (uint64_t)r + 1);
			emit(rc,
			     "0x%llX is %llu bytes into the block 0x%llX of %s "
			     "bytes, %s%s%s%s%s%s, allocated",
			     (unsigned long long)a,
			     (unsigned long long)(a - blk->addr),
			     (unsigned long long)blk->addr, sz,
			     leak_kind_phrase(blk->kind),
			     r != UINT32_MAX ? " (loss record " : "",
			     r != UINT32_MAX ? num : "",
			     r != UINT32_MAX ? " of " : "",
			     r != UINT32_MAX ? of : "",
			     r != UINT32_MAX ? ")" : "");
			struct loss_record fake = {.stack_id = blk->stack_id,
						   .size = blk->size,
						   .flags = blk->flags};
			print_stack(rc, &fake);
			print_chain(rc, b, " ");
			blank(rc);
			continue;
		}
		emit(rc,
		     "HOLDERS OF '%s' (blocks with a function it matches in "
		     "their allocation stack):",
		     qs);
		free(copy);
		for (size_t i = 0; i < nrec; i++) {
			if (!(rh->rec_of[i] & (1u << q)) ||
			    rh->rec_block[i] == UINT32_MAX)
				continue;
			fmt_thousands(num, i + 1);
			msg = report_record_message(&recs[i]);
			/* not a record's line: the records are listed
			 * above, and counted by what reads them */
			emit(rc, "loss record %s of %s: %s", num, of, msg);
			free(msg);
			print_stack(rc, &recs[i]);
			print_chain(rc, rh->rec_block[i], " ");
			shown++;
		}
		if (!shown)
			emit(rc,
			     " no live block has a function that matches it "
			     "in its allocation stack");
		blank(rc);
	}
}

/* --top-holders: the holders that retain the most, with their chains. */
static void print_top_holders(const struct report_ctx *rc)
{
	struct report_top *t;
	size_t n;
	char by[32], bl[32], nm[32], *copy;

	if (!rc->holders || !rc->holders->top)
		return;
	n = report_top_holders(rc, &t);
	emit(rc, "TOP HOLDERS, by the bytes each keeps alive alone:");
	if (!n)
		emit(rc, "   (none: no live block)");
	for (size_t i = 0; i < n; i++) {
		fmt_thousands(by, t[i].bytes);
		fmt_thousands(bl, t[i].blocks);
		fmt_thousands(nm, t[i].members);
		if (t[i].is_root) {
			emit(rc, "%zu: %s retains %s bytes in %s blocks", i + 1,
			     printable(t[i].name, &copy), by, bl);
			free(copy);
			continue;
		}
		struct loss_record fake = {
		    .stack_id = t[i].stack_id,
		    .size = rc->holders->blocks[t[i].index].size,
		    .flags = rc->holders->blocks[t[i].index].flags};
		emit(rc,
		     "%zu: %s blocks allocated here retain %s bytes in %s "
		     "blocks",
		     i + 1, nm, by, bl);
		print_stack(rc, &fake);
		print_chain(rc, t[i].index, " ");
	}
	report_top_free(t, n);
	blank(rc);
}

static int record_shown(const struct report_ctx *rc,
			const struct loss_record *r)
{
	return rc->mode == LEAK_CHECK_FULL && !r->suppressed && r->blocks > 0 &&
	       (rc->show_kinds & (1u << r->kind)) &&
	       (!rc->old_sum || loss_record_grew(r));
}

/* NOW with thousands separators, then " (+N)" or " (-N)" against OLD when
 * the report is a difference (valgrind's "leak_check increased" form). */
static const char *fmt_delta(char *buf, const struct report_ctx *rc,
			     uint64_t now, uint64_t old)
{
	char d[32];
	size_t n;

	fmt_thousands(buf, now);
	if (!rc->old_sum)
		return buf;
	n = strlen(buf);
	if (now >= old)
		snprintf(buf + n, 64 - n, " (+%s)",
			 fmt_thousands(d, now - old));
	else
		snprintf(buf + n, 64 - n, " (-%s)",
			 fmt_thousands(d, old - now));
	return buf;
}

/* What follows "N blocks": for a core's record of blocks of one C++
 * class " of class Session (96 bytes each)", else "", into BUF. */
static void core_class(const struct report_ctx *rc, const struct loss_record *r,
		       char *buf, size_t size)
{
	const taddr_t *pcs = NULL;
	unsigned n = 0;
	struct sym_frame fr[REPORT_MAX_INLINE];
	char each[32], *c1;

	buf[0] = 0;
	if (!(r->flags & HB_CORE) || !rc->depot || !r->blocks)
		return;
	pcs = stack_depot_get(rc->depot, r->stack_id, &n);
	if (!pcs || !n)
		return;
	report_lookup(rc, pcs[0], 0, fr);
	snprintf(buf, size, " of %s (%s bytes each)",
		 printable(fr[0].func ? fr[0].func : "???", &c1),
		 fmt_thousands(each, r->bytes / r->blocks));
	free(c1);
}

static void print_record(const struct report_ctx *rc,
			 const struct loss_record *r, size_t i, size_t nrec)
{
	char total[64], direct[64], indirect[64], blocks[64], num[32], of[32];
	char cls[256];

	fmt_delta(blocks, rc, r->blocks, r->old_blocks);
	core_class(rc, r, cls, sizeof(cls));
	fmt_thousands(num, i + 1);
	fmt_thousands(of, nrec);
	if (r->indirect_bytes > 0)
		emit(rc,
		     "%s (%s direct, %s indirect) bytes in %s blocks%s are %s "
		     "in loss record %s of %s",
		     fmt_delta(total, rc, r->bytes + r->indirect_bytes,
			       r->old_bytes + r->old_indirect_bytes),
		     fmt_delta(direct, rc, r->bytes, r->old_bytes),
		     fmt_delta(indirect, rc, r->indirect_bytes,
			       r->old_indirect_bytes),
		     blocks, cls, leak_kind_phrase(r->kind), num, of);
	else
		emit(rc,
		     "%s bytes in %s blocks%s are %s in loss record %s of %s",
		     fmt_delta(direct, rc, r->bytes, r->old_bytes), blocks, cls,
		     leak_kind_phrase(r->kind), num, of);
	print_stack(rc, r);
	print_holders(rc, r, i);
	blank(rc);
	/* memcheck's --gen-suppressions: after the record, no prefix */
	if (rc->gen_suppressions)
		supp_print_record(rc, r);
}

static void print_summary_line(const struct report_ctx *rc, const char *what,
			       uint64_t bytes, uint64_t blocks,
			       uint64_t old_bytes, uint64_t old_blocks)
{
	char b[64], n[64];
	emit(rc, "%18s: %s bytes in %s blocks", what,
	     fmt_delta(b, rc, bytes, old_bytes),
	     fmt_delta(n, rc, blocks, old_blocks));
}

/* memcheck's "of which reachable via heuristic" lines, after "still
 * reachable", only when some block needed a heuristic. */
static void print_heuristics(const struct report_ctx *rc,
			     const struct leak_summary *sum)
{
	static const char *const names[REPORT_NHEURISTICS] = {
	    [SCAN_HEUR_NONE] = "none",
	    [SCAN_HEUR_STDSTRING] = "stdstring",
	    [SCAN_HEUR_LENGTH64] = "length64",
	    [SCAN_HEUR_NEWARRAY] = "newarray",
	    [SCAN_HEUR_MULTIPLEINHERITANCE] = "multipleinheritance",
	};
	char b[32], n[32];
	int any = 0;

	for (int h = 0; h < REPORT_NHEURISTICS; h++)
		any |= sum->heuristic_blocks[h] > 0;
	if (!any)
		return;
	emit(rc, "%22sof which reachable via heuristic:", "");
	for (int h = 0; h < REPORT_NHEURISTICS; h++)
		if (sum->heuristic_blocks[h] > 0)
			emit(rc, "%24s%-19s: %s bytes in %s blocks", "",
			     names[h] ? names[h] : "unknown",
			     fmt_thousands(b, sum->heuristic_bytes[h]),
			     fmt_thousands(n, sum->heuristic_blocks[h]));
}

static void print_leak_summary(const struct report_ctx *rc,
			       const struct leak_summary *sum)
{
	uint64_t lost_blocks = 0;

	emit(rc, "LEAK SUMMARY:");
	const struct leak_summary *old = rc->old_sum ? rc->old_sum : sum;

	for (int k = 0; k < LEAK_NKINDS; k++) {
		print_summary_line(rc, leak_kind_phrase(k), sum->bytes[k],
				   sum->blocks[k], old->bytes[k],
				   old->blocks[k]);
		lost_blocks += sum->blocks[k];
	}
	print_heuristics(rc, sum);
	print_summary_line(rc, "suppressed", sum->suppressed_bytes,
			   sum->suppressed_blocks, old->suppressed_bytes,
			   old->suppressed_blocks);
	if (rc->mode != LEAK_CHECK_FULL && lost_blocks > 0)
		emit(rc, "Rerun with --leak-check=full to see details of "
			 "leaked memory");
	if (rc->mode == LEAK_CHECK_FULL && sum->blocks[LEAK_REACHABLE] > 0 &&
	    !(rc->show_kinds & (1u << LEAK_REACHABLE))) {
		emit(rc,
		     "Reachable blocks (those to which a pointer was found) "
		     "are not shown.");
		emit(rc, "To see them, rerun with: --leak-check=full "
			 "--show-leak-kinds=all");
	}
}

/* Instead of the leak report when the scan was impossible, in any mode. */
static void print_unclassified(const struct report_ctx *rc,
			       const struct leak_summary *sum)
{
	char b[32], n[32];

	if (rc->note)
		emit_lines(rc, rc->note);
	emit(rc,
	     "no scan was possible: the process was killed by SIGKILL; "
	     "%s bytes in %s blocks were live, not classified",
	     fmt_thousands(b, sum->unclassified_bytes),
	     fmt_thousands(n, sum->unclassified_blocks));
	blank(rc);
}

static void print_leaks(const struct report_ctx *rc,
			const struct loss_record *recs, size_t nrec,
			const struct leak_summary *sum)
{
	uint64_t blocks = sum->suppressed_blocks;

	for (int k = 0; k < LEAK_NKINDS; k++)
		blocks += sum->blocks[k];
	if (blocks == 0) {
		if (rc->note)
			emit_lines(rc, rc->note);
		emit(rc, "All heap blocks were freed -- no leaks are possible");
		blank(rc);
		return;
	}
	for (size_t i = 0; i < nrec; i++)
		if (record_shown(rc, &recs[i]))
			print_record(rc, &recs[i], i, nrec);
	print_top_holders(rc);
	print_holders_of(rc, recs, nrec);
	print_grew(rc, recs, nrec);
	if (rc->note)
		emit_lines(rc, rc->note);
	print_leak_summary(rc, sum);
	blank(rc);
}

char *report_argv_join(char *const *argv)
{
	size_t len = 0;
	char *s;

	if (!argv || !argv[0])
		return NULL;
	for (size_t i = 0; argv[i]; i++)
		len += strlen(argv[i]) + 1;
	s = xmalloc(len);
	s[0] = 0;
	for (size_t i = 0; argv[i]; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

/* valgrind's first lines, which tell a process's log from another's:
 * the tool, "Command:" (the command line, space-separated, as valgrind
 * prints it) and "Parent PID:". */
static void print_preamble(const struct report_ctx *rc)
{
	char *cmd = rc->run ? report_argv_join(rc->run->argv) : NULL;
	char *copy = NULL;

	emit(rc, "leakcheck, a leak checker for unmodified programs");
	emit(rc, "Using leakcheck-%s; rerun with -h for help",
	     LEAKCHECK_VERSION);
	if (cmd)
		emit(rc, "Command: %s", printable(cmd, &copy));
	if (rc->run && rc->run->ppid)
		emit(rc, "Parent PID: %d", (int)rc->run->ppid);
	free(cmd);
	free(copy);
}

void report_text(const struct report_ctx *rc, const struct loss_record *recs,
		 size_t nrec, const struct leak_summary *sum)
{
	char a[32], b[32], c[32], d[32];
	size_t errors, suppressed = 0;

	/* records of blocks that were never classified mean nothing */
	if (!sum->classified)
		nrec = 0;
	if (rc->preamble)
		print_preamble(rc);
	blank(rc);
	emit(rc, "HEAP SUMMARY:");
	emit(rc,
	     rc->on_demand ? "            in use: %s bytes in %s blocks"
			   : "    in use at exit: %s bytes in %s blocks",
	     fmt_thousands(a, rc->in_use_bytes),
	     fmt_thousands(b, rc->in_use_blocks));
	emit(rc, "  total heap usage: %s allocs, %s frees, %s bytes allocated",
	     fmt_thousands(a, rc->total_allocs),
	     fmt_thousands(b, rc->total_frees),
	     fmt_thousands(c, rc->total_bytes));
	blank(rc);

	if (!sum->classified) {
		print_unclassified(rc, sum);
	} else if (rc->mode == LEAK_CHECK_NO) {
		if (rc->note)
			emit_lines(rc, rc->note);
		emit(rc, "For a detailed leak analysis, rerun with: "
			 "--leak-check=full");
		blank(rc);
	} else {
		print_leaks(rc, recs, nrec, sum);
	}

	errors = report_error_count(rc, recs, nrec);
	if (rc->mode == LEAK_CHECK_FULL)
		for (size_t i = 0; i < nrec; i++)
			if (recs[i].suppressed &&
			    (rc->error_kinds & (1u << recs[i].kind)))
				suppressed++;
	emit(rc,
	     "ERROR SUMMARY: %s errors from %s contexts (suppressed: %s "
	     "from %s)",
	     fmt_thousands(a, errors), fmt_thousands(b, errors),
	     fmt_thousands(c, suppressed), fmt_thousands(d, suppressed));
	fflush(rc->out);
}

size_t report_error_count(const struct report_ctx *rc,
			  const struct loss_record *recs, size_t nrec)
{
	size_t n = 0;

	/* memcheck counts no leak errors with --leak-check=summary: "you can
	 * get high error counts with few or no error messages" */
	if (rc->mode != LEAK_CHECK_FULL)
		return 0;
	for (size_t i = 0; i < nrec; i++)
		if (!recs[i].suppressed && recs[i].blocks > 0 &&
		    (rc->error_kinds & (1u << recs[i].kind)))
			n++;
	return n;
}
