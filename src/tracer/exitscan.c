/*
 * exitscan: at the exit of a traced process (its PTRACE_EVENT_EXIT stop,
 * address space intact), stop its other threads, gather the roots, scan,
 * classify, and print the report.
 *
 * Roots (DESIGN.md "The scan"): every thread's general and SSE registers;
 * every thread's stack from sp minus the red zone to the end of its
 * mapping -- for the thread that called exit(), the sp and registers it
 * had on entering exit(), so the dead frames of the exit path do not keep
 * blocks alive; every other readable and writable mapping that holds no
 * tracked block ([heap], arena heaps and mmapped chunks are not roots: a
 * freed chunk's stale contents must not keep a block alive).
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
#include <unistd.h>

#include "internal.h"
#include "leakcheck/options.h"
#include "leakcheck/report.h"
#include "leakcheck/scan.h"
#include "leakcheck/sym.h"
#include "leakcheck/util.h"

static int total_errors;

int tracer_total_errors(void)
{
	return total_errors;
}

struct vec_ranges {
	struct scan_range *v;
	size_t n, cap;
};

static void add_range(struct vec_ranges *r, taddr_t s, taddr_t e)
{
	if (e <= s)
		return;
	r->v = xgrow(r->v, &r->cap, r->n + 1, sizeof(*r->v));
	r->v[r->n].start = s;
	r->v[r->n].end = e;
	r->n++;
}

struct thread_sp {
	taddr_t sp;
};

static int block_in(const struct scan_block *b, size_t n, taddr_t s, taddr_t e)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (b[mid].addr < s)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && b[lo].addr < e;
}

static long read_cb(void *ctx, taddr_t addr, void *buf, size_t len)
{
	struct proc *p = ctx;
	long n = mem_read(p->pid, addr, buf, len);
	if (n <= 0)
		n = mem_read_force(p, addr, buf, len);
	return n;
}

struct sym_ctx {
	struct symbolizer *sym;
	struct proc *proc;
};

static int sym_cb(void *vctx, taddr_t pc, int is_return, struct sym_frame *out,
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
	if (b && n >= 1) {
		/* frame 0 is the entry point we broke on: call it by the name
		 * the program called (malloc, not __libc_malloc), as valgrind
		 * does, and leave out the allocator's own source line */
		out[0].func = b->name;
		out[0].file = NULL;
		out[0].line = 0;
		out[0].inlined = 0;
		n = 1;
	}
	return n;
}

static char *expand_pid(const char *pat, pid_t pid)
{
	char *out = xstrdup(""), *n;
	for (const char *s = pat; *s; s++) {
		if (s[0] == '%' && s[1] == 'p') {
			n = xasprintf("%s%d", out, pid);
			s++;
		} else {
			n = xasprintf("%s%c", out, *s);
		}
		free(out);
		out = n;
	}
	return out;
}

/* Stop every thread of P but EXITING; collect registers and sps. */
static void stop_others(struct proc *p, struct thread *exiting)
{
	for (struct thread *t = threads_of(p, NULL); t; t = threads_of(p, t)) {
		int status;
		if (t == exiting || t->state == TS_EXITING)
			continue;
		if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) < 0)
			continue;
		for (;;) {
			pid_t r = waitpid(t->tid, &status, __WALL);
			if (r < 0)
				break;
			if (!WIFSTOPPED(status)) {
				/* gone; keep its struct for its last sp */
				t->state = TS_EXITING;
				t->stopped_for_scan = 0;
				break;
			}
			if ((status >> 16) == PTRACE_EVENT_STOP ||
			    (status >> 16) == PTRACE_EVENT_EXIT) {
				t->stopped_for_scan = 1;
				t->pend_exit = (status >> 16) == PTRACE_EVENT_EXIT;
				break;
			}
			/* another event first: deal with it, then wait on */
			tracer_dispatch(t->tid, status);
			if (!thread_find(t->tid))
				break;
		}
	}
}

static void resume_others(struct proc *p)
{
	for (struct thread *t = threads_of(p, NULL); t; t = threads_of(p, t)) {
		if (!t->stopped_for_scan)
			continue;
		t->stopped_for_scan = 0;
		if (t->pend_exit) {
			t->pend_exit = 0;
			t->state = TS_EXITING;
		}
		ptrace(PTRACE_CONT, t->tid, 0, 0);
	}
}

/* Registers of T as root words into W; returns its sp (0 if unknown). */
static taddr_t thread_roots(struct thread *t, struct thread *exiting,
			    taddr_t **w, size_t *nw, size_t *cap)
{
	arch_regs_t r;
	struct user_fpregs_struct fp;
	unsigned long long words[ARCH_MAX_REG_WORDS];
	int n;

	if (t == exiting && t->have_exit_regs) {
		r = t->exit_regs;
	} else if ((t == exiting || t->stopped_for_scan) &&
		   ptrace(PTRACE_GETREGS, t->tid, 0, &r) == 0) {
		/* r filled */
	} else {
		return t->last_sp;
	}
	/* valgrind: the registers of the thread calling exit_group are not
	 * roots (its stack from sp still is) */
	if (t == exiting && !t->have_exit_regs &&
	    ARCH_SYSCALL_NR(&r) == SYS_exit_group)
		return ARCH_SP(&r);
	n = arch_regs_words(&r, words);
	*w = xgrow(*w, cap, *nw + (size_t)n + 32, sizeof(**w));
	for (int i = 0; i < n; i++)
		(*w)[(*nw)++] = words[i];
	if (!(t == exiting && t->have_exit_regs) &&
	    ptrace(PTRACE_GETFPREGS, t->tid, 0, &fp) == 0) {
		uint64_t x[32];
		memcpy(x, fp.xmm_space, sizeof(x));
		for (int i = 0; i < 32; i++)
			(*w)[(*nw)++] = x[i];
	}
	return ARCH_SP(&r);
}

static FILE *open_log(pid_t pid, int *close_it)
{
	FILE *f;
	char *path;
	*close_it = 0;
	if (!opt.log_file)
		return stderr;
	path = expand_pid(opt.log_file, pid);
	f = fopen(path, "a");
	if (!f) {
		error("cannot open log file '%s': %s; reporting on stderr",
		      path, strerror(errno));
		free(path);
		return stderr;
	}
	free(path);
	*close_it = 1;
	return f;
}

void proc_report(struct proc *p, struct thread *exiting, int killed)
{
	struct heap_block *hb;
	struct scan_block *blocks;
	size_t nb, nrec, nw = 0, wcap = 0;
	struct vec_ranges roots = {0};
	taddr_t *words = NULL;
	taddr_t sps[4096];
	size_t nsps = 0;
	char *maps = NULL;
	struct symbolizer *sym = NULL;
	struct loss_record *recs;
	struct leak_summary sum;
	struct report_ctx rc;
	struct scan_stats st = {0};
	struct sym_ctx sctx;
	int close_it;
	FILE *out;

	if (opt.leak_check == LEAK_CHECK_NO && !opt.json_file)
		return;
	hb = heap_table_snapshot(&p->heap, &nb);
	blocks = xcalloc(nb + 1, sizeof(*blocks));
	for (size_t i = 0; i < nb; i++) {
		blocks[i].addr = hb[i].addr;
		blocks[i].size = hb[i].size;
		blocks[i].stack_id = hb[i].stack_id;
		blocks[i].flags = hb[i].flags;
	}
	free(hb);

	if (!killed) {
		char path[64];
		stop_others(p, exiting);
		for (struct thread *t = threads_of(p, NULL); t;
		     t = threads_of(p, t)) {
			taddr_t sp = thread_roots(t, exiting, &words, &nw, &wcap);
			if (sp && nsps < ARRAY_SIZE(sps))
				sps[nsps++] = sp;
		}
		snprintf(path, sizeof(path), "/proc/%d/maps", p->pid);
		maps = read_file_text(path);
	}
	if (maps) {
		char *text = xstrdup(maps), *line, *save = NULL;
		for (line = strtok_r(text, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			unsigned long long s, e;
			char perms[8] = "";
			int off = 0;
			const char *name;
			taddr_t from;
			if (sscanf(line, "%llx-%llx %7s %*s %*s %*s %n", &s, &e,
				   perms, &off) < 3)
				continue;
			name = off ? line + off : "";
			if (perms[0] != 'r' || perms[1] != 'w')
				continue;
			if (!strcmp(name, "[heap]") || !strcmp(name, "[vvar]") ||
			    !strcmp(name, "[vsyscall]"))
				continue;
			if (block_in(blocks, nb, s, e))
				continue;
			from = s;
			/* a thread stack: only from sp (minus red zone) up */
			for (size_t i = 0; i < nsps; i++) {
				if (sps[i] >= s && sps[i] < e) {
					taddr_t lo = sps[i] - ARCH_RED_ZONE;
					from = lo > s ? lo : s;
				}
			}
			add_range(&roots, from, e);
		}
		free(text);
		/* a thread running on a malloc'd stack: scan that block from sp */
		for (size_t i = 0; i < nsps; i++) {
			long bi = scan_find_block(blocks, nb, sps[i]);
			if (bi >= 0)
				add_range(&roots, sps[i] - ARCH_RED_ZONE > blocks[bi].addr
							  ? sps[i] - ARCH_RED_ZONE
							  : blocks[bi].addr,
					  blocks[bi].addr + blocks[bi].size);
		}
	}

	memset(&sum, 0, sizeof(sum));
	if (!killed) {
		struct scan_input in = {
			.blocks = blocks,
			.nblocks = nb,
			.roots = roots.v,
			.nroots = roots.n,
			.root_words = words,
			.nroot_words = nw,
			.read = read_cb,
			.read_ctx = p,
			.flags = SCAN_GLIBC_CHUNKS | SCAN_HEURISTICS,
		};
		scan_classify(&in, &st);
	}
	recs = loss_records_build(blocks, nb, &nrec, &sum);
	if (killed) {
		sum.classified = 0;
		for (size_t i = 0; i < nb; i++) {
			sum.unclassified_bytes += blocks[i].size;
			sum.unclassified_blocks++;
		}
	} else {
		sum.classified = 1;
	}

	sym = sym_new_from_maps(maps ? maps : (p->maps_text ? p->maps_text : ""),
				p->pid);
	out = open_log(p->pid, &close_it);
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
	rc.sym = sym_cb;
	rc.sym_ctx = &sctx;
	for (size_t i = 0; i < nb; i++) {
		rc.in_use_bytes += blocks[i].size;
		rc.in_use_blocks++;
	}
	rc.total_allocs = p->heap.total_allocs;
	rc.total_frees = p->heap.total_frees;
	rc.total_bytes = p->heap.total_bytes;
	if (opt.leak_check != LEAK_CHECK_NO || killed)
		report_text(&rc, recs, nrec, &sum);
	if (opt.json_file) {
		char *path = expand_pid(opt.json_file, p->pid);
		int ret = report_json(&rc, path, p->command ? p->command : "",
				      recs, nrec, &sum);
		if (ret)
			error("cannot write JSON to '%s': %s", path,
			      strerror(-ret));
		free(path);
	}
	if (!killed) {
		/* --error-exitcode counts leaks in summary mode too, though
		 * the text's ERROR SUMMARY follows valgrind (full mode only) */
		struct report_ctx full = rc;
		full.mode = LEAK_CHECK_FULL;
		total_errors += (int)report_error_count(&full, recs, nrec);
	}
	if (close_it)
		fclose(out);
	else
		fflush(out);
	if (log_verbose)
		fprintf(stderr,
			"leakcheck: pid %d: scanned %llu bytes of roots, %llu "
			"bytes of blocks, %llu bytes unreadable\n",
			p->pid, (unsigned long long)st.root_bytes,
			(unsigned long long)st.heap_bytes,
			(unsigned long long)st.unreadable);
	if (!killed)
		resume_others(p);
	if (sym)
		sym_free(sym);
	free(recs);
	free(maps);
	free(words);
	free(roots.v);
	free(blocks);
}
