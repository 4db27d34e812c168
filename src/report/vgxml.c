/*
 * vgxml: the leak check in valgrind's XML output protocol 4
 * (docs/internals/xml-output-protocol4.txt in valgrind's sources), as
 * memcheck 3.19 writes it with --xml=yes --leak-check=full, so that
 * existing consumers (IDE plugins, the Jenkins valgrind plugin, scripts)
 * read leakcheck's result unchanged:
 *
 *   <?xml version="1.0"?>
 *   <valgrindoutput>
 *   <protocolversion>4</protocolversion>
 *   <protocoltool>memcheck</protocoltool>
 *   <preamble> <line>...</line>... </preamble>
 *   <pid>N</pid> <ppid>N</ppid> <tool>memcheck</tool>
 *   <args> <vargv>leakcheck's</vargv> <argv>the program's</argv> </args>
 *   <status> <state>RUNNING</state> <time>...</time> </status>
 *   <status> <state>FINISHED</state> <time>...</time> </status>
 *   <error>
 *     <unique>0xN</unique> <tid>1</tid> <kind>Leak_DefinitelyLost</kind>
 *     <xwhat> <text>...</text> <leakedbytes>N</leakedbytes>
 *             <leakedblocks>N</leakedblocks> </xwhat>
 *     <stack> <frame> <ip>0x..</ip> <obj> <fn> <dir> <file> <line>
 *             </frame>... </stack>
 *   </error>...
 *   <errorcounts> </errorcounts>
 *   <suppcounts> </suppcounts>
 *   </valgrindoutput>
 *
 * As memcheck: errors only with --leak-check=full, for the shown kinds,
 * in loss-record order, after FINISHED; <text> is the text report's
 * record line; <leakedbytes> counts direct plus indirect bytes;
 * <errorcounts> stays empty (it counts non-leak errors, which leakcheck
 * does not detect).  The status times are the process's run time in
 * memcheck's "DD:HH:MM:SS.mmm " form.
 *
 * Differences: <tid> is always 1 (the allocating thread is not
 * recorded); the stack's frame 0 is the allocator entry the program
 * called in its own library (libc's malloc, not vgpreload's).
 * XXX: <suppcounts> stays empty: loss records do not say which
 * suppression matched them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "leakcheck/util.h"

#ifndef LEAKCHECK_VERSION
#define LEAKCHECK_VERSION "unknown"
#endif

static const char *vg_kind(enum leak_kind k)
{
	switch (k) {
	case LEAK_DEFINITE:
		return "Leak_DefinitelyLost";
	case LEAK_INDIRECT:
		return "Leak_IndirectlyLost";
	case LEAK_POSSIBLE:
		return "Leak_PossiblyLost";
	default:
		return "Leak_StillReachable";
	}
}

/* <NAME>escaped S</NAME> with INDENT spaces, if S is not NULL. */
static void put_elem(FILE *f, int indent, const char *name, const char *s)
{
	if (!s)
		return;
	fprintf(f, "%*s<%s>", indent, "", name);
	xml_put(f, s, 0);
	fprintf(f, "</%s>\n", name);
}

/* memcheck's elapsed time: "DD:HH:MM:SS.mmm " */
static void put_status(FILE *f, const char *state, double secs)
{
	unsigned long long ms =
	    secs > 0 ? (unsigned long long)(secs * 1000) : 0;
	fprintf(f,
		"<status>\n  <state>%s</state>\n  <time>%02llu:%02llu:%02llu:"
		"%02llu.%03llu </time>\n</status>\n",
		state, ms / 86400000, ms / 3600000 % 24, ms / 60000 % 60,
		ms / 1000 % 60, ms % 1000);
}

static void put_argv(FILE *f, const char *tag, char **argv)
{
	fprintf(f, "  <%s>\n", tag);
	put_elem(f, 4, "exe", argv && argv[0] ? argv[0] : "???");
	for (size_t i = 1; argv && argv[0] && argv[i]; i++)
		put_elem(f, 4, "arg", argv[i]);
	fprintf(f, "  </%s>\n", tag);
}

static void put_frame(FILE *f, const struct report_frame *fr)
{
	const struct sym_frame *s = &fr->f;
	fprintf(f, "    <frame>\n      <ip>0x%llX</ip>\n",
		(unsigned long long)fr->pc);
	put_elem(f, 6, "obj", s->module);
	put_elem(f, 6, "fn", s->func);
	if (s->file) {
		const char *base = report_base_name(s->file);
		if (base != s->file) {
			char *dir = xasprintf("%.*s", (int)(base - s->file - 1),
					      s->file);
			put_elem(f, 6, "dir", *dir ? dir : "/");
			free(dir);
		}
		put_elem(f, 6, "file", base);
		if (s->line > 0)
			fprintf(f, "      <line>%d</line>\n", s->line);
	}
	fputs("    </frame>\n", f);
}

static void put_error(FILE *f, const struct report_ctx *rc,
		      const struct loss_record *r, size_t i, size_t nrec,
		      unsigned unique)
{
	char total[32], direct[32], indirect[32], blocks[32], num[32], of[32];
	struct report_frame *fr = NULL;
	size_t nf;
	char *text;

	fmt_thousands(blocks, r->blocks);
	fmt_thousands(num, i + 1);
	fmt_thousands(of, nrec);
	if (r->indirect_bytes > 0)
		text = xasprintf(
		    "%s (%s direct, %s indirect) bytes in %s "
		    "blocks are %s in loss record %s of %s",
		    fmt_thousands(total, r->bytes + r->indirect_bytes),
		    fmt_thousands(direct, r->bytes),
		    fmt_thousands(indirect, r->indirect_bytes), blocks,
		    leak_kind_phrase(r->kind), num, of);
	else
		text = xasprintf("%s bytes in %s blocks are %s in loss record "
				 "%s of %s",
				 fmt_thousands(direct, r->bytes), blocks,
				 leak_kind_phrase(r->kind), num, of);
	fprintf(f,
		"<error>\n  <unique>0x%x</unique>\n  <tid>1</tid>\n"
		"  <kind>%s</kind>\n  <xwhat>\n",
		unique, vg_kind(r->kind));
	put_elem(f, 4, "text", text);
	fprintf(f,
		"    <leakedbytes>%llu</leakedbytes>\n"
		"    <leakedblocks>%llu</leakedblocks>\n  </xwhat>\n",
		(unsigned long long)(r->bytes + r->indirect_bytes),
		(unsigned long long)r->blocks);
	free(text);
	nf = report_frames(rc, r, &fr);
	/* the protocol wants at least one frame in a <stack> */
	if (nf > 0) {
		fputs("  <stack>\n", f);
		for (size_t j = 0; j < nf; j++)
			put_frame(f, &fr[j]);
		fputs("  </stack>\n", f);
	}
	free(fr);
	fputs("</error>\n\n", f);
}

static void put_vgxml(FILE *f, const struct report_ctx *rc,
		      const struct report_result *res)
{
	const struct report_run *run = rc->run;
	const struct loss_record *recs = res->recs;
	size_t nrec = res->nrec;
	const struct leak_summary *sum = res->sum;
	double secs = run ? run->seconds : 0;
	unsigned unique = 0;
	char *cmd = NULL, *t;

	for (size_t i = 0; run && run->argv && run->argv[i]; i++) {
		t = xasprintf("%s%s%s", cmd ? cmd : "", cmd ? " " : "",
			      run->argv[i]);
		free(cmd);
		cmd = t;
	}
	fputs("<?xml version=\"1.0\"?>\n\n<valgrindoutput>\n\n"
	      "<protocolversion>4</protocolversion>\n"
	      "<protocoltool>memcheck</protocoltool>\n\n<preamble>\n",
	      f);
	put_elem(f, 2, "line",
		 "leakcheck, a memory leak detector "
		 "(memcheck's XML output)");
	put_elem(f, 2, "line", "Using leakcheck-" LEAKCHECK_VERSION);
	t = xasprintf("Command: %s", cmd ? cmd : "???");
	put_elem(f, 2, "line", t);
	free(t);
	free(cmd);
	fprintf(f,
		"</preamble>\n\n<pid>%d</pid>\n<ppid>%d</ppid>\n"
		"<tool>memcheck</tool>\n\n<args>\n",
		(int)rc->pid, run ? (int)run->ppid : 0);
	put_argv(f, "vargv", run ? run->tool_argv : NULL);
	put_argv(f, "argv", run ? run->argv : NULL);
	fputs("</args>\n\n", f);
	put_status(f, "RUNNING", 0);
	fputs("\n\n", f);
	put_status(f, "FINISHED", secs);
	fputs("\n", f);
	if (sum->classified && rc->mode == LEAK_CHECK_FULL)
		for (size_t i = 0; i < nrec; i++)
			if (!recs[i].suppressed && recs[i].blocks > 0 &&
			    (rc->show_kinds & (1u << recs[i].kind)))
				put_error(f, rc, &recs[i], i, nrec, unique++);
	fputs("<errorcounts>\n</errorcounts>\n\n<suppcounts>\n</suppcounts>\n\n"
	      "</valgrindoutput>\n\n",
	      f);
}

int report_vgxml(const struct report_ctx *rc, const char *path,
		 const struct report_run *run, const struct loss_record *recs,
		 size_t nrec, const struct leak_summary *sum)
{
	struct report_ctx c = *rc;
	struct report_result res = {recs, nrec, sum, ""};
	c.run = run;
	return report_put_file(path, put_vgxml, &c, &res);
}
