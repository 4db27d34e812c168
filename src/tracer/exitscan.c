/*
 * exitscan: the leak report of a traced process: at its exit (its _exit
 * breakpoint or PTRACE_EVENT_EXIT stop, address space intact), after a
 * SIGKILL, or on demand.  Stop its other threads, say what each thread
 * gives the scan (thread_roots: which registers, its stack from where),
 * gather the roots (alloc/roots.c, from the process as a target), scan,
 * classify, and write the reports.
 *
 * For the thread that ends the process its registers are not roots and
 * its stack is scanned from sp (valgrind's rule for exit_group); every
 * other thread gives its general and SSE registers and its stack from sp
 * minus the red zone.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "leakcheck/options.h"
#include "leakcheck/profile.h"
#include "leakcheck/report.h"
#include "leakcheck/scan.h"
#include "leakcheck/suppress.h"
#include "leakcheck/sym.h"
#include "leakcheck/util.h"

_Static_assert(sizeof(struct scan_block) == sizeof(struct heap_block),
	       "the blocks are converted in place");

static int total_errors;

struct report_stats g_report_stats;

/* leakcheck's own VmRSS and VmHWM now, into PHASE of the report
 * statistics; only under --stats (it reads /proc/self/status). */
static void mem_phase(enum report_phase phase)
{
	if (opt.stats)
		stats_self_mem(&g_report_stats.rss_kib[phase],
			       &g_report_stats.hwm_kib[phase]);
}

int tracer_total_errors(void)
{
	return total_errors;
}

struct thread_sp {
	taddr_t sp;
};

const char *proc_module_cb(void *vctx, taddr_t pc, int is_return)
{
	struct sym_ctx *c = vctx;

	return c->sym ? sym_module_of(c->sym, pc, is_return) : NULL;
}

int proc_sym_cb(void *vctx, taddr_t pc, int is_return, struct sym_frame *out,
		int max)
{
	struct sym_ctx *c = vctx;
	struct bp *b = is_return ? NULL : bp_find(c->proc, pc);
	int n;

	if (!c->sym) {
		memset(out, 0, sizeof(*out));
		out->pc = pc;
		n = 1;
	} else {
		n = sym_lookup(c->sym, pc, is_return, out, max);
	}
	if (b && b->kind != HOOK_CLIENT_REQUEST && n >= 1) {
		/* frame 0 is the entry point we broke on: call it by the name
		 * the program called (malloc, not __libc_malloc), as valgrind
		 * does, and leave out the allocator's own source line */
		out[0].func = c->sym ? sym_func_name(c->sym, b->name) : b->name;
		out[0].mangled = b->name;
		out[0].file = NULL;
		out[0].line = 0;
		out[0].inlined = 0;
		n = 1;
	}
	return n;
}

/* Is any report file (report_writers[]) asked for? */
static int report_files_wanted(void)
{
	for (const struct report_writer *w = report_writers; w->name; w++)
		if (*w->file)
			return 1;
	return 0;
}

/* What a thread gives the scan besides its registers. */
/*
 * Did T end its process?  At the exit of a process (EXITING set), the
 * thread that called exit_group (or exit, as the last thread), or that
 * was given the fatal signal EXIT_SIG, is dying with it: its registers
 * are not roots (valgrind's rule for exit_group), only its stack is.
 * The other threads' registers are, as in valgrind and LSan.
 */
static int ends_process(const struct thread *t, const arch_regs_t *r,
			int exit_sig)
{
	long nr = (long)ARCH_SYSCALL_NR(r);

	return nr == SYS_exit_group || nr == SYS_exit ||
	       (exit_sig && t->last_sig == exit_sig);
}

static struct target_thread thread_roots(struct thread *t,
					 const struct thread *exiting,
					 int exit_sig, taddr_t **w, size_t *nw,
					 size_t *cap)
{
	struct target_thread tr = {.tid = t->tid, .sp = t->last_sp};
	arch_regs_t r;
	struct user_fpregs_struct fp;
	unsigned long long words[ARCH_MAX_REG_WORDS];
	int n;

	if ((t == exiting || t->stopped_for_scan) &&
	    ptrace(PTRACE_GETREGS, t->tid, 0, &r) == 0) {
		/* r filled */
	} else if (t->have_held_regs) {
		r = t->held_regs; /* stopped for freeres, killed since */
	} else {
		tr.from = tr.sp ? tr.sp - ARCH_RED_ZONE : 0;
		return tr;
	}
	tr.sp = ARCH_SP(&r);
	tr.tp = ARCH_TP(&r);
	tr.from = tr.sp - ARCH_RED_ZONE;
	if (exiting && (t->in_exit || ends_process(t, &r, exit_sig))) {
		/* its stack from sp, not from below the red zone: in exit
		 * or _exit no leaf code keeps anything there, and what lies
		 * below sp is dead frames (atexit handlers, destructors,
		 * freeres).  After a fatal signal valgrind does not see the
		 * red zone either: a leak's pointer left there by the
		 * function that returned just before the crash is lost. */
		tr.from = tr.sp;
		return tr;
	}
	n = arch_regs_words(&r, words);
	*w = xgrow(*w, cap, *nw + (size_t)n + 32, sizeof(**w));
	for (int i = 0; i < n; i++)
		(*w)[(*nw)++] = words[i];
	if (ptrace(PTRACE_GETFPREGS, t->tid, 0, &fp) == 0) {
		uint64_t x[32];
		memcpy(x, fp.xmm_space, sizeof(x));
		for (int i = 0; i < 32; i++)
			(*w)[(*nw)++] = x[i];
	}
	return tr;
}

unsigned g_report_seq;

/* --log-file: replaced by this run's first report, as valgrind does;
 * appended to by its later ones (on-demand reports, other processes).
 * Standard error otherwise, or when the file cannot be opened; either way
 * buffered, and written at outfile_close().  *NAME: the file's malloc'd
 * name, or NULL for standard error. */
static FILE *open_log(pid_t pid, struct outfile *o, char **name)
{
	static char **opened;
	static size_t nopened, cap;
	char *path;
	size_t i;
	int ret;

	*name = NULL;
	if (!opt.log_file) {
		outfile_stderr(o);
		return o->f;
	}
	path = report_path(opt.log_file, pid);
	for (i = 0; i < nopened && strcmp(opened[i], path); i++)
		;
	ret =
	    outfile_open(o, path, i < nopened ? OUTFILE_APPEND : OUTFILE_TRUNC);
	if (!ret && i == nopened) {
		opened = xgrow(opened, &cap, nopened + 1, sizeof(*opened));
		opened[nopened++] = xstrdup(path);
	}
	if (ret) {
		error("cannot open log file '%s': %s; reporting on stderr",
		      path, strerror(-ret));
		free(path);
		outfile_stderr(o);
		return o->f;
	}
	*name = path;
	return o->f;
}

/* report_holders' way to name a data address. */
static int data_sym_cb(void *ctx, taddr_t addr, struct sym_data *out)
{
	return ctx ? sym_lookup_data(ctx, addr, out) : 0;
}

/* report_holders' way to name a TLS word: the executable's __thread
 * variables. */
struct tls_ctx {
	struct symbolizer *sym;
	char exe[4096];
};

static int tls_sym_cb(void *vctx, uint64_t below, struct sym_data *out)
{
	struct tls_ctx *c = vctx;

	return c->sym && c->exe[0] ? sym_lookup_tls(c->sym, c->exe, below, out)
				   : 0;
}

int proc_report(struct proc *p, struct thread *exiting, int killed)
{
	/* --show-holders, --top-holders: who holds the blocks */
	struct scan_holders holders = {0};
	struct report_holders rh = {0};
	/* --report=new, a report after the first: who holds what grew */
	int want_grew =
	    opt.report_new && !exiting && !killed && p->prev_sum != NULL;
	int want_holders = !killed && (opt.holder_kinds || opt.top_holders ||
				       opt.nholders_of || want_grew);
	uint8_t *fresh = NULL;
	struct tls_ctx tls = {0};
	struct heap_block *hb;
	struct scan_block *blocks;
	struct scan_clique *cliques = NULL;
	size_t nb, nrec, nw = 0, wcap = 0, ncliques = 0;
	struct root_set roots = {0};
	struct scan_range *je_heap = NULL;
	uint64_t in_use_bytes = 0, in_use_blocks = 0;
	struct target tg;
	taddr_t *words = NULL;
	struct target_thread *trs = NULL;
	size_t *trs_word_at = NULL;
	size_t ntrs = 0, trs_cap = 0;
	int exit_sig = 0;
	char *maps = NULL;
	struct symbolizer *sym = NULL;
	struct loss_record *recs;
	struct leak_summary sum;
	struct report_ctx rc;
	struct scan_stats st = {0};
	struct sym_ctx sctx;
	struct report_run run;
	int errors = 0, log_ret;
	struct outfile log;
	char *log_name;
	FILE *out;
	uint64_t t0;

	if (opt.leak_check == LEAK_CHECK_NO && !report_files_wanted() &&
	    !opt.heap_profile && !opt.folded_file && !opt.flamegraph)
		return 0;
	t0 = stats_now_ns();
	mem_phase(RP_START);
	/*
	 * The blocks, sorted.  The last report of a process makes them out
	 * of the table's own memory (it is left empty); an on-demand one
	 * copies them.  Either way each heap_block becomes a scan_block in
	 * place (both 24 bytes).
	 */
	if (!killed && !exiting) {
		/* calls that returned through stubs, up to the stop */
		proc_stop_all(p, NULL);
		hook_harvest_stopped(p);
	} else if (exiting) {
		hook_harvest(p);
	}
	hb = clientreq_blocks(p, exiting || killed, &nb);
	for (size_t i = 0; i < nb; i++) {
		struct heap_block h = hb[i];
		struct scan_block sb = {
		    .addr = h.addr,
		    .size = h.size,
		    .stack_id = h.stack_id,
		    .flags = (uint8_t)h.flags,
		};
		BUG_ON(h.flags > UINT8_MAX);
		memcpy(&hb[i], &sb, sizeof(sb));
	}
	blocks = (struct scan_block *)(void *)hb;
	/* in use: what memcheck counts, before a pool's memory leaves */
	for (size_t i = 0; i < nb; i++)
		if (!(blocks[i].flags & HB_POOL)) {
			in_use_bytes += blocks[i].size;
			in_use_blocks++;
		}
	nb = clientreq_drop_pool_memory(blocks, nb);
	mem_phase(RP_BLOCKS);

	if (!killed) {
		char path[64];
		proc_stop_all(p, exiting);
		/* a death by signal: the wait status of its exit event */
		if (exiting && WIFSIGNALED(p->exit_code_status))
			exit_sig = WTERMSIG(p->exit_code_status);
		for (struct thread *t = threads_of(p, NULL); t;
		     t = threads_of(p, t)) {
			size_t at = nw;
			struct target_thread tr = thread_roots(
			    t, exiting, exit_sig, &words, &nw, &wcap);
			if (!tr.sp) {
				nw = at;
				continue;
			}
			trs = xgrow(trs, &trs_cap, ntrs + 1, sizeof(*trs));
			trs_word_at = xrealloc(trs_word_at,
					       trs_cap * sizeof(*trs_word_at));
			tr.nwords = nw - at;
			trs_word_at[ntrs] = at;
			trs[ntrs++] = tr;
		}
		snprintf(path, sizeof(path), "/proc/%d/maps", p->pid);
		maps = read_file_text(path, NULL);
	}
	target_live(p, maps, 1, &tg);
	if (maps) {
		struct scan_range own[2] = {{0}};
		struct roots_opts ro = {.heap_unknown = p->pre_unknown,
					.exclude = own};

		if (p->data) {
			own[ro.nexclude].start = p->data;
			own[ro.nexclude++].end = p->data + DATA_SIZE_INJ;
		}
		if (fast_data_range(p, &own[ro.nexclude].start,
				    &own[ro.nexclude].end))
			ro.nexclude++;
		for (size_t i = 0; i < ntrs; i++)
			trs[i].words = words + trs_word_at[i];
		struct je_layout lay;
		/* jemalloc's memory is not a root, its blocks walked or
		 * not: a freed thread cache's stale pointers are in it */
		if (heap_je_layout(p, &tg, maps, &lay) == 0) {
			if (je_heap_ranges(&tg, &lay, trs, ntrs, &je_heap,
					   &ro.nheap))
				warning("pid %d: jemalloc's extent map cannot "
					"be read: its memory may be taken "
					"for roots",
					p->pid);
			ro.heap = je_heap;
		}
		roots_gather(&tg, trs, ntrs, blocks, nb, &ro, &roots);
	}

	mem_phase(RP_ROOTS);
	memset(&sum, 0, sizeof(sum));
	if (!killed) {
		struct scan_input in =
		    root_set_scan_input(&roots, &tg, blocks, nb);
		in.holders = want_holders ? &holders : NULL;
		scan_classify(&in, &st);
		g_report_stats.holders_ns += st.holders_ns;
		cliques = in.cliques;
		ncliques = in.ncliques;
	}
	mem_phase(RP_CLASSIFY);
	recs = loss_records_build(blocks, nb, cliques, ncliques, &nrec, &sum);
	free(cliques);
	mem_phase(RP_RECORDS);
	if (killed) {
		sum.classified = 0;
		for (size_t i = 0; i < nb; i++) {
			sum.unclassified_bytes += blocks[i].size;
			sum.unclassified_blocks++;
		}
	} else {
		sum.classified = 1;
	}

	sym = sym_new_from_maps(
	    maps ? maps : (p->maps_text ? p->maps_text : ""), p->pid);
	out = open_log(p->pid, &log, &log_name);
	memset(&rc, 0, sizeof(rc));
	rc.out = out;
	rc.pid = p->pid;
	rc.mode = opt.leak_check;
	rc.show_kinds = opt.show_kinds;
	rc.error_kinds = opt.error_kinds;
	rc.num_callers = opt.num_callers;
	rc.depot = &g_depot;
	sctx.sym = sym;
	sctx.proc = p;
	rc.sym = proc_sym_cb;
	rc.sym_ctx = &sctx;
	rc.module = proc_module_cb;
	rc.in_use_bytes = in_use_bytes;
	rc.in_use_blocks = in_use_blocks;
	rc.on_demand = !exiting && !killed;
	if (opt.report_new && rc.on_demand && p->prev_sum) {
		loss_records_diff(recs, nrec, p->prev, p->nprev);
		rc.old_sum = p->prev_sum;
	}
	rc.total_allocs = p->heap.total_allocs;
	rc.total_frees = p->heap.total_frees;
	rc.total_bytes = p->heap.total_bytes;
	rc.gen_suppressions = opt.gen_suppressions;
	if (p->je_root)
		rc.note = "The blocks allocated before leakcheck attached "
			  "were found by walking jemalloc 5.3.0's extents.";
	if (p->pre_unknown)
		rc.note = "The blocks allocated before leakcheck attached are "
			  "not known (malloc is not glibc's): the heap was "
			  "scanned as roots, so a leak may show as still "
			  "reachable, but no block is called lost for a "
			  "pointer held in one of them.";
	runinfo_fill(&run, p);
	rc.run = &run;
	rc.preamble = !opt.quiet && p->nreports == 0;
	if (want_grew) {
		/* new: at an address the last report had no block at */
		fresh = xmalloc(nb + 1);
		for (size_t i = 0, j = 0; i < nb; i++) {
			while (j < p->nprev_addrs &&
			       p->prev_addrs[j] < blocks[i].addr)
				j++;
			fresh[i] = !(j < p->nprev_addrs &&
				     p->prev_addrs[j] == blocks[i].addr);
		}
	}
	if (want_holders) {
		proc_exe(p->pid, tls.exe, sizeof(tls.exe));
		tls.sym = sym;
		rh = (struct report_holders){
		    .blocks = blocks,
		    .h = &holders,
		    .roots = roots.ranges,
		    .nroots = roots.nranges,
		    .words = roots.word_info,
		    .nwords = roots.nwords,
		    .threads = trs,
		    .nthreads = ntrs,
		    .read = tg.read,
		    .read_ctx = tg.ctx,
		    .data = data_sym_cb,
		    .data_ctx = sym,
		    .tls = tls_sym_cb,
		    .tls_ctx = &tls,
		    .kinds = opt.holder_kinds,
		    .top = opt.top_holders,
		    .grew = want_grew,
		    .fresh = fresh,
		    .of = opt.holders_of,
		    .nof = opt.nholders_of,
		};
		uint64_t t1 = stats_now_ns();
		report_holders_prepare(&rc, &rh, recs, nrec);
		g_report_stats.holders_ns += stats_now_ns() - t1;
		rc.holders = &rh;
	}
	if (!killed && opt.supps)
		supp_apply(opt.supps, &rc, recs, nrec, &sum);
	if (opt.leak_check != LEAK_CHECK_NO || killed)
		report_text(&rc, recs, nrec, &sum);
	log_ret = outfile_close(&log);
	if (log_ret && log_name)
		error("cannot write log file '%s': %s", log_name,
		      strerror(-log_ret));
	else if (log_ret)
		error("cannot write the report to standard error: %s",
		      strerror(-log_ret));
	free(log_name);
	{
		struct report_result res = {recs, nrec, &sum,
					    p->command ? p->command : ""};
		report_write_files(&rc, p->pid, &res);
	}
	if (opt.heap_profile || opt.folded_file || opt.flamegraph) {
		/* the heap profiles: from the same classified blocks */
		proc_write_profiles(
		    p, blocks, nb, !killed, &sctx, maps ? maps : p->maps_text,
		    (int64_t)time(NULL) * 1000000000, g_report_seq,
		    want_holders ? &holders : NULL);
	}
	if (!killed) {
		/* --error-exitcode counts leaks in summary mode too, though
		 * the text's ERROR SUMMARY follows valgrind (full mode only) */
		struct report_ctx full = rc;
		full.mode = LEAK_CHECK_FULL;
		errors = (int)report_error_count(&full, recs, nrec);
		total_errors += errors;
	}
	if (opt.report_new && rc.on_demand) {
		/* the base of the next --report=new */
		free(p->prev);
		p->prev = xmalloc((nrec + 1) * sizeof(*recs));
		memcpy(p->prev, recs, nrec * sizeof(*recs));
		p->nprev = nrec;
		if (!p->prev_sum)
			p->prev_sum = xmalloc(sizeof(*p->prev_sum));
		*p->prev_sum = sum;
		free(p->prev_addrs);
		p->prev_addrs = xmalloc((nb + 1) * sizeof(*p->prev_addrs));
		for (size_t i = 0; i < nb; i++)
			p->prev_addrs[i] = blocks[i].addr;
		p->nprev_addrs = nb;
	}
	p->nreports++;
	mem_phase(RP_REPORT);
	if (log_verbose)
		fprintf(stderr,
			"leakcheck: pid %d: scanned %llu bytes of roots, %llu "
			"bytes of blocks, %llu bytes unreadable\n",
			p->pid, (unsigned long long)st.root_bytes,
			(unsigned long long)st.heap_bytes,
			(unsigned long long)st.unreadable);
	if (!killed)
		proc_resume_all(p);
	if (sym)
		sym_free(sym);
	runinfo_release(&run);
	report_holders_release(&rh);
	scan_holders_release(&holders);
	free(fresh);
	free(recs);
	free(maps);
	free(words);
	free(je_heap);
	free(trs);
	free(trs_word_at);
	root_set_release(&roots);
	free(blocks);
	g_report_stats.reports++;
	g_report_stats.blocks = nb;
	g_report_stats.ns += stats_now_ns() - t0;
	return errors;
}
