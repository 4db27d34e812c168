/*
 * json: the leak check result as one JSON document, for tools.
 *
 * Every loss record of every kind is written, shown or not, suppressed or
 * not, in the text report's order (so "record" matches "loss record N of
 * M" there).  Strings are escaped per RFC 8259; bytes that are not valid
 * UTF-8 become U+FFFD, so the file is always valid JSON whatever the
 * tracee's symbol names and paths contain.
 *
 * Schema (copied into man/leakcheck.1):
 *
 *   {
 *     "tool": "leakcheck",
 *     "version": STRING,            leakcheck's version
 *     "pid": NUMBER,                the process the report is about
 *     "command": STRING | null,     its command line
 *     "argv": [STRING, ...],        the same, an argument each (if known)
 *     "parent_pid": NUMBER,         its parent (if known)
 *     "classified": BOOL,           false: no scan was possible (the
 *                                   process was killed by SIGKILL); the
 *                                   summary kinds are then all 0,
 *                                   "unclassified" holds the live blocks
 *                                   and "loss_records" is empty
 *     "note": STRING | null,        extra remark printed before the summary
 *     "errors": NUMBER,             as in ERROR SUMMARY: loss records of the
 *                                   --errors-for-leak-kinds kinds, not
 *                                   suppressed; 0 unless --leak-check=full
 *     "summary": {                  each block counted once, by its kind
 *       "definitely_lost": {"bytes": NUMBER, "blocks": NUMBER},
 *       "indirectly_lost": {"bytes": NUMBER, "blocks": NUMBER},
 *       "possibly_lost":   {"bytes": NUMBER, "blocks": NUMBER},
 *       "still_reachable": {"bytes": NUMBER, "blocks": NUMBER},
 *       "suppressed":      {"bytes": NUMBER, "blocks": NUMBER},
 *                                   blocks of suppressed records (not in
 *                                   their kind's count above)
 *       "unclassified":    {"bytes": NUMBER, "blocks": NUMBER},
 *       "reachable_via_heuristic": {  valgrind's "of which reachable
 *                                   via heuristic": blocks of any kind
 *                                   the scan reached only through an
 *                                   interior pointer this heuristic took
 *         "stdstring":           {"bytes": NUMBER, "blocks": NUMBER},
 *         "length64":            {"bytes": NUMBER, "blocks": NUMBER},
 *         "newarray":            {"bytes": NUMBER, "blocks": NUMBER},
 *         "multipleinheritance": {"bytes": NUMBER, "blocks": NUMBER}
 *       }
 *     },
 *     "heap": {                     the HEAP SUMMARY numbers
 *       "in_use_bytes": NUMBER, "in_use_blocks": NUMBER,
 *       "total_allocs": NUMBER, "total_frees": NUMBER,
 *       "total_bytes": NUMBER
 *     },
 *     "loss_records": [             sorted as the text report: total bytes
 *       {                           ascending, then kind, then blocks
 *         "record": NUMBER,         1-based, as "loss record N of M"
 *         "kind": "definite" | "indirect" | "possible" | "reachable",
 *         "bytes": NUMBER,          direct bytes of the record's blocks
 *         "blocks": NUMBER,
 *         "indirect_bytes": NUMBER, definite/possible: bytes of the blocks
 *         "indirect_blocks": NUMBER,  they leak (also in their own
 *                                   "indirect" records); else 0
 *         "suppressed": BOOL,       a --suppressions entry matched
 *         "suppression": STRING | null,  its name (valgrind) or its
 *                                   "leak:PATTERN" line (LSan)
 *         "pre_attach": BOOL,       blocks found at attach, with no stack
 *         "frames": [               allocation stack, innermost first; at
 *           {                       most --num-callers addresses, each
 *                                   expanded into its inline chain
 *             "address": STRING,    "0x..." hex; frame 0 is the allocator
 *                                   entry, the others return addresses
 *             "function": STRING | null,
 *             "file": STRING | null,  source path as in the debug info
 *             "line": NUMBER | null,
 *             "module": STRING | null,  path of the ELF object
 *             "inlined": BOOL       true: inlined into the next frame,
 *                                   which has the same address
 *           }
 *         ]
 *       }
 *     ]
 *   }
 *
 * Numbers are unsigned integers.  Members may be added in later versions;
 * readers should ignore members they do not know.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "leakcheck/report.h"
#include "leakcheck/depot.h"
#include "leakcheck/heap.h"
#include "leakcheck/sym.h"
#include "leakcheck/util.h"

#ifndef LEAKCHECK_VERSION
#define LEAKCHECK_VERSION "unknown"
#endif

/* S as a JSON string, or null. */
void report_json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	while (*p) {
		uint32_t cp;
		size_t n;
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\b':
			fputs("\\b", f);
			break;
		case '\f':
			fputs("\\f", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*p < 0x20) {
				fprintf(f, "\\u%04x", *p);
				break;
			}
			n = utf8_seq(p, &cp);
			if (n == 0) {
				fputs("\\ufffd", f);
				break;
			}
			fwrite(p, 1, n, f);
			p += n;
			continue;
		}
		p++;
	}
	fputc('"', f);
}

static void put_count(FILE *f, const char *name, uint64_t bytes,
		      uint64_t blocks, const char *sep)
{
	fprintf(f, "    \"%s\": {\"bytes\": %llu, \"blocks\": %llu}%s\n", name,
		(unsigned long long)bytes, (unsigned long long)blocks, sep);
}

static void put_frame(FILE *f, taddr_t pc, const struct sym_frame *fr, int last)
{
	fprintf(f, "        {\"address\": \"0x%llx\", \"function\": ",
		(unsigned long long)pc);
	report_json_str(f, fr->func);
	fputs(", \"file\": ", f);
	report_json_str(f, fr->file);
	if (fr->line > 0)
		fprintf(f, ", \"line\": %d", fr->line);
	else
		fputs(", \"line\": null", f);
	fputs(", \"module\": ", f);
	report_json_str(f, fr->module);
	fprintf(f, ", \"inlined\": %s}%s\n", fr->inlined ? "true" : "false",
		last ? "" : ",");
}

static void put_frames(FILE *f, const struct report_ctx *rc,
		       const struct loss_record *r)
{
	unsigned n;
	const taddr_t *pcs = report_stack(rc, r, &n);

	if (n == 0) {
		fputs("      \"frames\": []\n", f);
		return;
	}
	fputs("      \"frames\": [\n", f);
	for (unsigned i = 0; i < n; i++) {
		struct sym_frame fr[REPORT_MAX_INLINE];
		int nf = report_lookup(rc, pcs[i], i > 0, fr);
		for (int j = 0; j < nf; j++)
			put_frame(f, pcs[i], &fr[j], i == n - 1 && j == nf - 1);
	}
	fputs("      ]\n", f);
}

#define JSON_CHAIN_MAX 256

static void put_root(FILE *f, const struct report_ctx *rc, uint32_t hit)
{
	struct report_root r;

	report_holder_root(rc, hit, &r);
	fputs("{\"kind\": ", f);
	report_json_str(f, r.kind);
	fputs(", \"name\": ", f);
	report_json_str(f, r.name);
	fputs(", \"file\": ", f);
	report_json_str(f, r.file);
	fprintf(f, ", \"line\": %d, \"module\": ", r.line);
	report_json_str(f, r.module);
	if (r.tid)
		fprintf(f, ", \"thread\": %d", (int)r.tid);
	else
		fputs(", \"thread\": null", f);
	if (r.addr)
		fprintf(f, ", \"address\": \"0x%llx\"",
			(unsigned long long)r.addr);
	else
		fputs(", \"address\": null", f);
	fprintf(f,
		", \"offset\": %llu, \"frame\": ", (unsigned long long)r.off);
	report_json_str(f, r.frame_func);
	fputs(", \"text\": ", f);
	report_json_str(f, r.text);
	fputs("}", f);
	report_root_release(&r);
}

/* Block B's chain: {"block", "retained_*", "length", "root" (null when
 * it starts at a definitely lost block), "holders": the blocks between,
 * root end first, each with where the pointer to the next lies in it}. */
static void put_chain(FILE *f, const struct report_ctx *rc, uint32_t b)
{
	const struct report_holders *rh = rc->holders;
	const struct scan_holders *h = rh->h;
	uint32_t chain[JSON_CHAIN_MAX];
	size_t len = scan_holders_chain(h, b, chain, JSON_CHAIN_MAX);
	size_t shown = len < JSON_CHAIN_MAX ? len : JSON_CHAIN_MAX, k = 0;

	fprintf(f,
		"{\"block\": \"0x%llx\", \"target_offset\": %u, "
		"\"retained_bytes\": %llu, \"retained_blocks\": %llu, "
		"\"length\": %zu, \"truncated\": %s,\n        \"root\": ",
		(unsigned long long)rh->blocks[b].addr,
		report_link_to_off(rh, b),
		(unsigned long long)h->retained_bytes[b],
		(unsigned long long)h->retained_blocks[b], len,
		len > shown ? "true" : "false");
	if (len > 1 && (chain[0] & SCAN_HOLDER_HIT)) {
		put_root(f, rc, chain[0] & ~SCAN_HOLDER_HIT);
		k = 1;
	} else {
		fputs("null", f);
	}
	fputs(",\n        \"holders\": [", f);
	for (size_t first = k; k + 1 < shown; k++) {
		uint32_t c = chain[k];
		const struct scan_block *blk = &rh->blocks[c];
		char *desc = report_holder_block(rc, c);
		fprintf(f,
			"%s\n          {\"address\": \"0x%llx\", \"size\": "
			"%llu, \"kind\": \"%s\", \"target_offset\": %u, "
			"\"pointer_offset\": %llu, \"text\": ",
			k == first ? "" : ",", (unsigned long long)blk->addr,
			(unsigned long long)blk->size,
			leak_kind_name(blk->kind), report_link_to_off(rh, c),
			(unsigned long long)h->link[chain[k + 1]].from_off);
		report_json_str(f, desc);
		fputs("}", f);
		free(desc);
	}
	fputs("]}", f);
}

static void put_held_by(FILE *f, const struct report_ctx *rc,
			const struct loss_record *r, size_t i)
{
	const struct report_holders *rh = rc->holders;

	if (!rh || !report_holders_shown(rh, r))
		return;
	fputs("      \"held_by\": ", f);
	if (i < rh->nrec && rh->rec_block[i] != UINT32_MAX)
		put_chain(f, rc, rh->rec_block[i]);
	else
		fputs("null", f);
	fputs(",\n", f);
}

/* --top-holders, after the records. */
static void put_top_holders(FILE *f, const struct report_ctx *rc)
{
	struct report_top *t;
	size_t n;

	if (!rc->holders || !rc->holders->top)
		return;
	n = report_top_holders(rc, &t);
	fputs(",\n  \"top_holders\": [", f);
	for (size_t i = 0; i < n; i++) {
		fprintf(f,
			"%s\n    {\"retained_bytes\": %llu, "
			"\"retained_blocks\": %llu, \"members\": %llu, ",
			i ? "," : "", (unsigned long long)t[i].bytes,
			(unsigned long long)t[i].blocks,
			(unsigned long long)t[i].members);
		if (t[i].is_root) {
			fputs("\"root\": ", f);
			report_json_str(f, t[i].name);
			fputs("}", f);
			continue;
		}
		struct loss_record fake = {.stack_id = t[i].stack_id};
		fputs("\"root\": null,\n", f);
		put_frames(f, rc, &fake);
		fputs("      , \"held_by\": ", f);
		put_chain(f, rc, t[i].index);
		fputs("}", f);
	}
	fputs("\n  ]", f);
	report_top_free(t, n);
}

/* --holders-of: {"query", "address" (null for a pattern), "matches":
 * [{"record" (its number, null if none), "kind", "bytes", "blocks",
 * "held_by"}]}, one per query. */
static void put_holders_of(FILE *f, const struct report_ctx *rc,
			   const struct loss_record *recs, size_t nrec)
{
	const struct report_holders *rh = rc->holders;

	if (!rh || !rh->nof || !rh->of_block)
		return;
	fputs(",\n  \"holders_of\": [", f);
	for (size_t q = 0; q < rh->nof; q++) {
		taddr_t a;
		int any = 0;
		fprintf(f, "%s\n    {\"query\": ", q ? "," : "");
		report_json_str(f, rh->of[q]);
		if (report_holders_of_parse(rh->of[q], &a) == 1) {
			uint32_t b = rh->of_block[q], r = rh->of_rec[q];
			fprintf(f, ", \"address\": \"0x%llx\", \"matches\": [",
				(unsigned long long)a);
			if (b != UINT32_MAX) {
				const struct scan_block *blk = &rh->blocks[b];
				if (r != UINT32_MAX)
					fprintf(f, "\n      {\"record\": %u, ",
						r + 1);
				else
					fputs("\n      {\"record\": null, ", f);
				fprintf(f,
					"\"kind\": \"%s\", \"bytes\": %llu, "
					"\"blocks\": 1, \"held_by\": ",
					leak_kind_name(blk->kind),
					(unsigned long long)blk->size);
				put_chain(f, rc, b);
				fputs("}", f);
				any = 1;
			}
			fputs(any ? "\n    ]}" : "]}", f);
			continue;
		}
		fputs(", \"address\": null, \"matches\": [", f);
		for (size_t i = 0; i < nrec; i++) {
			if (!(rh->rec_of[i] & (1u << q)) ||
			    rh->rec_block[i] == UINT32_MAX)
				continue;
			fprintf(f,
				"%s\n      {\"record\": %zu, \"kind\": \"%s\", "
				"\"bytes\": %llu, \"blocks\": %llu, "
				"\"held_by\": ",
				any ? "," : "", i + 1,
				leak_kind_name(recs[i].kind),
				(unsigned long long)recs[i].bytes,
				(unsigned long long)recs[i].blocks);
			put_chain(f, rc, rh->rec_block[i]);
			fputs("}", f);
			any = 1;
		}
		fputs(any ? "\n    ]}" : "]}", f);
	}
	fputs("\n  ]", f);
}

/* --report=new, after the first report: "grew": [{"record", "kind",
 * "bytes", "blocks", "new_blocks", "held_by"}] for each record that grew
 * (its old numbers are in the record's "old_*"). */
static void put_grew(FILE *f, const struct report_ctx *rc,
		     const struct loss_record *recs, size_t nrec)
{
	const struct report_holders *rh = rc->holders;
	int any = 0;

	if (!rh || !rh->grew || !rc->old_sum || !rh->rec_block)
		return;
	fputs(",\n  \"grew\": [", f);
	for (size_t i = 0; i < nrec; i++) {
		if (recs[i].suppressed || !recs[i].blocks ||
		    !loss_record_grew(&recs[i]) ||
		    rh->rec_block[i] == UINT32_MAX)
			continue;
		fprintf(f,
			"%s\n    {\"record\": %zu, \"kind\": \"%s\", "
			"\"bytes\": %llu, \"blocks\": %llu, \"old_bytes\": "
			"%llu, \"old_blocks\": %llu, \"new_blocks\": %llu, "
			"\"held_by\": ",
			any ? "," : "", i + 1, leak_kind_name(recs[i].kind),
			(unsigned long long)recs[i].bytes,
			(unsigned long long)recs[i].blocks,
			(unsigned long long)recs[i].old_bytes,
			(unsigned long long)recs[i].old_blocks,
			(unsigned long long)rh->rec_nfresh[i]);
		put_chain(f, rc, rh->rec_block[i]);
		fputs("}", f);
		any = 1;
	}
	fputs(any ? "\n  ]" : "]", f);
}

static void put_record(FILE *f, const struct report_ctx *rc,
		       const struct loss_record *r, size_t i, int last)
{
	fputs("    {\n", f);
	fprintf(f, "      \"record\": %zu,\n", i + 1);
	fprintf(f, "      \"kind\": \"%s\",\n", leak_kind_name(r->kind));
	fprintf(f, "      \"bytes\": %llu,\n", (unsigned long long)r->bytes);
	fprintf(f, "      \"blocks\": %llu,\n", (unsigned long long)r->blocks);
	fprintf(f, "      \"indirect_bytes\": %llu,\n",
		(unsigned long long)r->indirect_bytes);
	fprintf(f, "      \"indirect_blocks\": %llu,\n",
		(unsigned long long)r->indirect_blocks);
	fprintf(f, "      \"suppressed\": %s,\n",
		r->suppressed ? "true" : "false");
	fputs("      \"suppression\": ", f);
	report_json_str(f, r->suppressed ? r->suppression : NULL);
	fputs(",\n", f);
	fprintf(f, "      \"pre_attach\": %s,\n",
		(r->flags & HB_PRE_ATTACH) ? "true" : "false");
	put_held_by(f, rc, r, i);
	put_frames(f, rc, r);
	fprintf(f, "    }%s\n", last ? "" : ",");
}

static void put_json(FILE *f, const struct report_ctx *rc,
		     const struct report_result *res)
{
	const char *command = res->command;
	const struct loss_record *recs = res->recs;
	size_t nrec = res->nrec;
	const struct leak_summary *sum = res->sum;
	static const char *const keys[LEAK_NKINDS] = {
	    "definitely_lost", "indirectly_lost", "possibly_lost",
	    "still_reachable"};
	static const char *const heur[REPORT_NHEURISTICS] = {
	    [SCAN_HEUR_NONE] = "none",
	    [SCAN_HEUR_STDSTRING] = "stdstring",
	    [SCAN_HEUR_LENGTH64] = "length64",
	    [SCAN_HEUR_NEWARRAY] = "newarray",
	    [SCAN_HEUR_MULTIPLEINHERITANCE] = "multipleinheritance",
	};
	struct leak_summary z;

	/* unclassified blocks have no kind: whatever SUM and RECS say about
	 * kinds is not to be written */
	if (!sum->classified) {
		memset(&z, 0, sizeof(z));
		z.suppressed_bytes = sum->suppressed_bytes;
		z.suppressed_blocks = sum->suppressed_blocks;
		z.unclassified_bytes = sum->unclassified_bytes;
		z.unclassified_blocks = sum->unclassified_blocks;
		sum = &z;
		nrec = 0;
	}

	fputs("{\n  \"tool\": \"leakcheck\",\n  \"version\": ", f);
	report_json_str(f, LEAKCHECK_VERSION);
	fprintf(f, ",\n  \"pid\": %d,\n  \"command\": ", (int)rc->pid);
	{
		/* the whole command line when known; COMMAND otherwise */
		char *line = rc->run ? report_argv_join(rc->run->argv) : NULL;
		report_json_str(f, line ? line : command);
		free(line);
	}
	if (rc->run && rc->run->argv) {
		fputs(",\n  \"argv\": [", f);
		for (size_t i = 0; rc->run->argv[i]; i++) {
			fputs(i ? ", " : "", f);
			report_json_str(f, rc->run->argv[i]);
		}
		fputs("]", f);
	}
	if (rc->run && rc->run->ppid)
		fprintf(f, ",\n  \"parent_pid\": %d", (int)rc->run->ppid);
	fprintf(f, ",\n  \"classified\": %s,\n  \"note\": ",
		sum->classified ? "true" : "false");
	report_json_str(f, rc->note);
	fprintf(f, ",\n  \"errors\": %zu,\n",
		report_error_count(rc, recs, nrec));

	fputs("  \"summary\": {\n", f);
	for (int k = 0; k < LEAK_NKINDS; k++)
		put_count(f, keys[k], sum->bytes[k], sum->blocks[k], ",");
	put_count(f, "suppressed", sum->suppressed_bytes,
		  sum->suppressed_blocks, ",");
	put_count(f, "unclassified", sum->unclassified_bytes,
		  sum->unclassified_blocks, ",");
	fputs("    \"reachable_via_heuristic\": {\n", f);
	for (int h = 1; h < REPORT_NHEURISTICS; h++)
		fprintf(f,
			"      \"%s\": {\"bytes\": %llu, \"blocks\": %llu}%s\n",
			heur[h], (unsigned long long)sum->heuristic_bytes[h],
			(unsigned long long)sum->heuristic_blocks[h],
			h == REPORT_NHEURISTICS - 1 ? "" : ",");
	fputs("    }\n  },\n", f);

	fprintf(f,
		"  \"heap\": {\"in_use_bytes\": %llu, \"in_use_blocks\": %llu, "
		"\"total_allocs\": %llu, \"total_frees\": %llu, "
		"\"total_bytes\": %llu},\n",
		(unsigned long long)rc->in_use_bytes,
		(unsigned long long)rc->in_use_blocks,
		(unsigned long long)rc->total_allocs,
		(unsigned long long)rc->total_frees,
		(unsigned long long)rc->total_bytes);

	if (nrec == 0) {
		fputs("  \"loss_records\": []", f);
	} else {
		fputs("  \"loss_records\": [\n", f);
		for (size_t i = 0; i < nrec; i++)
			put_record(f, rc, &recs[i], i, i == nrec - 1);
		fputs("  ]", f);
	}
	put_top_holders(f, rc);
	put_holders_of(f, rc, recs, nrec);
	put_grew(f, rc, recs, nrec);
	fputs("\n}\n", f);
}

int report_json(const struct report_ctx *rc, const char *path,
		const char *command, const struct loss_record *recs,
		size_t nrec, const struct leak_summary *sum)
{
	struct report_result res = {recs, nrec, sum, command};
	return report_put_file(path, put_json, rc, &res);
}
