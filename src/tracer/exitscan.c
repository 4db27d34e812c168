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

static long read_cb(void *ctx, taddr_t addr, void *buf, size_t len)
{
	struct proc *p = ctx;
	long n = mem_read(p->pid, addr, buf, len);
	if (n <= 0)
		n = mem_read_force(p, addr, buf, len);
	return n;
}

/* glibc's chunk header bits and the size of a non-main arena's heap
 * (HEAP_MAX_SIZE, 2 * DEFAULT_MMAP_THRESHOLD_MAX on 64-bit) */
#define CHUNK_IS_MMAPPED 0x2ull
#define CHUNK_NON_MAIN_ARENA 0x4ull
#define CHUNK_FLAGS 0x7ull
#define ARENA_HEAP_MAX (64ull << 20)

/*
 * The part of the mapping [S,E) that holds the tracked block B when B is
 * a glibc chunk: the chunk's own pages for an mmapped chunk, the arena's
 * heap for a chunk of a non-main arena.  The kernel merges neighbouring
 * anonymous mappings with the same protection, so one mapping can hold
 * an mmapped chunk next to memory the program mapped itself (Python's
 * object arenas, say): only the chunk is heap, the rest is a root.
 * Returns 0 and the range in *LO and *HI, or -1 when B's header is not one
 * glibc would write (another allocator, or a block inside a main arena
 * that went to mmap for lack of brk): the caller then treats the whole
 * mapping as heap.
 */
static int chunk_extent(struct proc *p, const struct scan_block *b, taddr_t s,
			taddr_t e, taddr_t *lo, taddr_t *hi)
{
	uint64_t hdr[2];
	taddr_t chunk = b->addr - 16, size;

	if (b->addr < s + 16 || read_cb(p, chunk, hdr, sizeof(hdr)) !=
					     (long)sizeof(hdr))
		return -1;
	size = hdr[1] & ~CHUNK_FLAGS;
	if (hdr[1] & CHUNK_IS_MMAPPED) {
		/* prev_size holds the offset of an aligned block's chunk
		 * from the start of its mapping */
		taddr_t start = chunk - hdr[0];
		if (hdr[0] > chunk || start < s || (start & 4095) ||
		    ((hdr[0] + size) & 4095) || size < b->size + 16 ||
		    start + hdr[0] + size > e)
			return -1;
		*lo = start;
		*hi = start + hdr[0] + size;
		return 0;
	}
	if (hdr[1] & CHUNK_NON_MAIN_ARENA) {
		taddr_t heap = chunk & ~(ARENA_HEAP_MAX - 1);
		if (heap < s || size < b->size + 8)
			return -1;
		*lo = heap;
		*hi = heap + ARENA_HEAP_MAX < e ? heap + ARENA_HEAP_MAX : e;
		return 0;
	}
	return -1;
}

/*
 * The heap of a non-main glibc arena starting at the ARENA_HEAP_MAX
 * aligned address A in the mapping [S,E), if there is one: its heap_info
 * header (ar_ptr, prev, size, mprotect_size) is consistent and its
 * read-write part ends where the mapping does (the rest of the reserved
 * 64 MiB is PROT_NONE).  An arena whose blocks were all freed holds no
 * tracked block to find it by, but still holds stale pointers.
 */
static taddr_t arena_heap_end(struct proc *p, taddr_t a, taddr_t s, taddr_t e)
{
	uint64_t hi[4];

	if (a < s || a >= e ||
	    read_cb(p, a, hi, sizeof(hi)) != (long)sizeof(hi))
		return 0;
	if (!hi[0] || hi[2] < 4096 || hi[2] > hi[3] || hi[3] > ARENA_HEAP_MAX ||
	    ((hi[2] | hi[3]) & 4095) || a + hi[3] > e ||
	    (a + hi[3] != e && hi[3] != ARENA_HEAP_MAX))
		return 0;
	return a + hi[3];
}

static int cmp_range(const void *x, const void *y)
{
	const struct scan_range *a = x, *b = y;
	return a->start < b->start ? -1 : a->start > b->start;
}

/*
 * The blocks allocated before an attach that could not be walked (an
 * allocator other than glibc's) are unknown, and so is what points from
 * them to the blocks allocated since: the heap, less the tracked blocks
 * (which the scan reaches through the graph), is a root.  A stale word
 * in freed memory can then keep a block "still reachable", but no block
 * is called lost because its only pointer is in an older block.
 */
static void unknown_heap_roots(const struct scan_block *b, size_t nb,
			       taddr_t s, taddr_t e, taddr_t from,
			       struct vec_ranges *roots)
{
	size_t i = 0, hi = nb;
	taddr_t at = from;

	while (i < hi) { /* the first block at or after S */
		size_t mid = (i + hi) / 2;
		if (b[mid].addr < s)
			i = mid + 1;
		else
			hi = mid;
	}
	for (; i < nb && b[i].addr < e; i++) {
		if (b[i].addr > at)
			add_range(roots, at, b[i].addr);
		if (b[i].addr + b[i].size > at)
			at = b[i].addr + b[i].size;
	}
	if (at < e)
		add_range(roots, at, e);
}

/* Add as roots the parts of the mapping [S,E) that are not heap, from
 * FROM up (a stack is scanned from its sp).  B/NB: the tracked blocks,
 * sorted by address. */
static void mapping_roots(struct proc *p, const struct scan_block *b,
			  size_t nb, taddr_t s, taddr_t e, taddr_t from,
			  struct vec_ranges *roots)
{
	struct vec_ranges cut = {0};
	size_t lo = 0, hi = nb, n;
	taddr_t at = from;

	if (p->pre_unknown) {
		unknown_heap_roots(b, nb, s, e, from, roots);
		return;
	}

	/* arena heaps, found by their headers */
	for (taddr_t a = (s + ARENA_HEAP_MAX - 1) & ~(ARENA_HEAP_MAX - 1), k = 0;
	     a < e && a >= s && k < 1024; a += ARENA_HEAP_MAX, k++) {
		taddr_t end = arena_heap_end(p, a, s, e);
		if (end)
			add_range(&cut, a, end);
	}
	n = cut.n;
	/* the chunks of tracked blocks outside them */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (b[mid].addr < s)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < nb && b[i].addr < e; i++) {
		taddr_t hs, he;
		int inside = 0;
		for (size_t k = 0; k < n && !inside; k++)
			inside = b[i].addr >= cut.v[k].start &&
				 b[i].addr < cut.v[k].end;
		if (cut.n > n && b[i].addr < cut.v[cut.n - 1].end)
			continue; /* in the heap of the block before */
		if (inside)
			continue;
		if (chunk_extent(p, &b[i], s, e, &hs, &he) < 0) {
			free(cut.v); /* not glibc's: all of it is heap */
			return;
		}
		add_range(&cut, hs, he);
	}
	if (cut.n)
		qsort(cut.v, cut.n, sizeof(*cut.v), cmp_range);
	for (size_t k = 0; k < cut.n; k++) {
		add_range(roots, at, cut.v[k].start);
		if (cut.v[k].end > at)
			at = cut.v[k].end;
	}
	add_range(roots, at, e);
	free(cut.v);
}

/* mapping_roots() of [S,E) less leakcheck's own memory in it: the stubs'
 * cells (the last results) and the fast path's ring and table (copies
 * of stacks) are not the program's. */
static void mapping_roots_cut(struct proc *p, const struct scan_block *b,
			      size_t nb, taddr_t s, taddr_t e, taddr_t from,
			      struct vec_ranges *roots)
{
	taddr_t own[2][2];
	int n = 0;

	if (p->data)
		own[n][0] = p->data, own[n++][1] = p->data + DATA_SIZE_INJ;
	if (fast_data_range(p, &own[n][0], &own[n][1]))
		n++;
	for (int i = 0; i < n; i++) {
		if (own[i][0] >= e || own[i][1] <= s)
			continue;
		if (own[i][0] > s)
			mapping_roots_cut(p, b, nb, s, own[i][0],
					  from < own[i][0] ? from : own[i][0],
					  roots);
		if (own[i][1] < e)
			mapping_roots_cut(p, b, nb, own[i][1], e,
					  from > own[i][1] ? from : own[i][1],
					  roots);
		return;
	}
	mapping_roots(p, b, nb, s, e, from, roots);
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
	if (b && n >= 1) {
		/* frame 0 is the entry point we broke on: call it by the name
		 * the program called (malloc, not __libc_malloc), as valgrind
		 * does, and leave out the allocator's own source line */
		out[0].func = b->name;
		out[0].mangled = b->name;
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

/* --junit and --xml-file, if asked for. */
static void ci_reports(const struct report_ctx *rc, struct proc *p,
		       const struct loss_record *recs, size_t nrec,
		       const struct leak_summary *sum)
{
	char *path;
	int ret;

	if (opt.junit_file) {
		path = expand_pid(opt.junit_file, p->pid);
		ret = report_junit(rc, path, rc->run, recs, nrec, sum);
		if (ret)
			error("cannot write JUnit XML to '%s': %s", path,
			      strerror(-ret));
		free(path);
	}
	if (opt.sarif_file) {
		path = expand_pid(opt.sarif_file, p->pid);
		ret = report_sarif(rc, path, rc->run, recs, nrec);
		if (ret)
			error("cannot write SARIF to '%s': %s", path,
			      strerror(-ret));
		free(path);
	}
	if (opt.xml_file) {
		path = expand_pid(opt.xml_file, p->pid);
		ret = report_vgxml(rc, path, rc->run, recs, nrec, sum);
		if (ret)
			error("cannot write XML to '%s': %s", path,
			      strerror(-ret));
		free(path);
	}
}

/* What a thread gives the scan besides its registers. */
struct thread_root {
	taddr_t sp;   /* its sp, 0 if unknown */
	taddr_t from; /* its stack is a root from here up */
	taddr_t tp;   /* its thread pointer (glibc's TCB), 0 if unknown */
};

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

static struct thread_root thread_roots(struct thread *t,
				       const struct thread *exiting,
				       int exit_sig, taddr_t **w, size_t *nw,
				       size_t *cap)
{
	struct thread_root tr = {t->last_sp, 0, 0};
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

/*
 * The TCB of a glibc thread whose stack is the anonymous mapping [S,E),
 * found by its signature near the end of the mapping: ARCH_TCB_TCB and
 * ARCH_TCB_SELF hold its own address, and its DTV pointer points
 * ARCH_TCB_DTV_BIAS bytes into a tracked block (B, NB: sorted).  A false
 * match would take a root away, so all three must hold.  0 if none.
 */
static taddr_t find_tcb(struct proc *p, const struct scan_block *b, size_t nb,
			taddr_t s, taddr_t e)
{
	uint64_t buf[ARCH_TCB_NEAR_END / 8];
	taddr_t lo = e - s > sizeof(buf) ? e - sizeof(buf) : s;
	long n = read_cb(p, lo, buf, (size_t)(e - lo));

	for (long i = n / 8 - ARCH_TCB_SELF / 8 - 1; i >= 0; i--) {
		taddr_t a = lo + (taddr_t)i * 8;
		uint64_t dtv = buf[i + ARCH_TCB_DTV / 8];
		long k;
		if ((a & 63) || buf[i + ARCH_TCB_TCB / 8] != a ||
		    buf[i + ARCH_TCB_SELF / 8] != a || dtv < ARCH_TCB_DTV_BIAS)
			continue;
		k = scan_find_block(b, nb, dtv - ARCH_TCB_DTV_BIAS);
		if (k >= 0 && b[k].addr == dtv - ARCH_TCB_DTV_BIAS)
			return a;
	}
	return 0;
}

/* glibc's own memory of the thread whose TCB is at TP: its DTV, which
 * the TCB points into (ARCH_TCB_DTV_BIAS bytes), as a start-pointer root
 * word, so that it is never a leak of the program's (nor are the dynamic
 * TLS blocks the DTV holds). */
static void tcb_roots(struct proc *p, taddr_t tp, taddr_t **w, size_t *nw,
		      size_t *cap)
{
	uint64_t dtv;

	if (!tp || read_cb(p, tp + ARCH_TCB_DTV, &dtv, sizeof(dtv)) !=
			   (long)sizeof(dtv) ||
	    dtv < ARCH_TCB_DTV_BIAS)
		return;
	*w = xgrow(*w, cap, *nw + 1, sizeof(**w));
	(*w)[(*nw)++] = dtv - ARCH_TCB_DTV_BIAS;
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
	path = expand_pid(opt.log_file, pid);
	for (i = 0; i < nopened && strcmp(opened[i], path); i++)
		;
	ret = outfile_open(o, path,
			   i < nopened ? OUTFILE_APPEND : OUTFILE_TRUNC);
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

int proc_report(struct proc *p, struct thread *exiting, int killed)
{
	struct heap_block *hb;
	struct scan_block *blocks;
	struct scan_clique *cliques = NULL;
	size_t nb, nrec, nw = 0, wcap = 0, ncliques = 0;
	struct vec_ranges roots = {0};
	taddr_t *words = NULL;
	struct thread_root *trs = NULL;
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

	if (opt.leak_check == LEAK_CHECK_NO && !opt.json_file &&
	    !opt.junit_file && !opt.xml_file && !opt.sarif_file &&
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
		stubs_harvest_stopped(p);
	} else if (exiting) {
		stubs_harvest(p);
	}
	hb = exiting || killed ? heap_table_take(&p->heap, &nb)
			       : heap_table_snapshot(&p->heap, &nb);
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
	mem_phase(RP_BLOCKS);

	if (!killed) {
		char path[64];
		proc_stop_all(p, exiting);
		/* a death by signal: the wait status of its exit event */
		if (exiting && WIFSIGNALED(p->exit_code_status))
			exit_sig = WTERMSIG(p->exit_code_status);
		for (struct thread *t = threads_of(p, NULL); t;
		     t = threads_of(p, t)) {
			struct thread_root tr = thread_roots(t, exiting, exit_sig,
							     &words, &nw, &wcap);
			if (!tr.sp)
				continue;
			trs = xgrow(trs, &trs_cap, ntrs + 1, sizeof(*trs));
			trs[ntrs++] = tr;
			tcb_roots(p, tr.tp, &words, &nw, &wcap);
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
			int off = 0, stack = 0;
			const char *name;
			taddr_t from;
			if (sscanf(line, "%llx-%llx %7s %*s %*s %*s %n", &s, &e,
				   perms, &off) < 3)
				continue;
			name = off ? line + off : "";
			if (perms[0] != 'r' || perms[1] != 'w')
				continue;
			if ((!strcmp(name, "[heap]") && !p->pre_unknown) ||
			    !strcmp(name, "[vvar]") || !strcmp(name, "[vsyscall]"))
				continue;
			from = s;
			/* a thread stack: only from sp (minus red zone) up */
			for (size_t i = 0; i < ntrs; i++) {
				if (trs[i].sp >= s && trs[i].sp < e) {
					from = trs[i].from > s ? trs[i].from : s;
					stack = 1;
				}
			}
			if (!stack && !*name) {
				/*
				 * The stack of a thread that is gone (glibc
				 * keeps it cached, full of the dead thread's
				 * frames): only its struct pthread, which
				 * glibc still uses (a joinable thread's
				 * result), is a root.
				 */
				taddr_t tcb = find_tcb(p, blocks, nb, s, e);
				size_t i;
				for (i = 0; i < ntrs && trs[i].tp != tcb; i++)
					;
				if (tcb && i == ntrs) {
					from = tcb;
					tcb_roots(p, tcb, &words, &nw, &wcap);
				}
			}
			mapping_roots_cut(p, blocks, nb, s, e, from, &roots);
		}
		free(text);
		/* a thread running on a malloc'd stack: scan that block from sp */
		for (size_t i = 0; i < ntrs; i++) {
			long bi = scan_find_block(blocks, nb, trs[i].sp);
			if (bi >= 0)
				add_range(&roots, trs[i].from > blocks[bi].addr
							  ? trs[i].from
							  : blocks[bi].addr,
					  blocks[bi].addr + blocks[bi].size);
		}
	}

	mem_phase(RP_ROOTS);
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

	sym = sym_new_from_maps(maps ? maps : (p->maps_text ? p->maps_text : ""),
				p->pid);
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
	for (size_t i = 0; i < nb; i++) {
		rc.in_use_bytes += blocks[i].size;
		rc.in_use_blocks++;
	}
	rc.on_demand = !exiting && !killed;
	if (opt.report_new && rc.on_demand && p->prev_sum) {
		loss_records_diff(recs, nrec, p->prev, p->nprev);
		rc.old_sum = p->prev_sum;
	}
	rc.total_allocs = p->heap.total_allocs;
	rc.total_frees = p->heap.total_frees;
	rc.total_bytes = p->heap.total_bytes;
	rc.gen_suppressions = opt.gen_suppressions;
	if (p->pre_unknown)
		rc.note = "The blocks allocated before leakcheck attached are "
			  "not known (malloc is not glibc's): the heap was "
			  "scanned as roots, so a leak may show as still "
			  "reachable, but no block is called lost for a "
			  "pointer held in one of them.";
	runinfo_fill(&run, p);
	rc.run = &run;
	rc.preamble = !opt.quiet && p->nreports == 0;
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
	if (opt.json_file) {
		char *path = expand_pid(opt.json_file, p->pid);
		int ret = report_json(&rc, path, p->command ? p->command : "",
				      recs, nrec, &sum);
		if (ret)
			error("cannot write JSON to '%s': %s", path,
			      strerror(-ret));
		free(path);
	}
	if (opt.junit_file || opt.xml_file || opt.sarif_file)
		ci_reports(&rc, p, recs, nrec, &sum);
	if (opt.heap_profile || opt.folded_file || opt.flamegraph) {
		/* the heap profiles: from the same classified blocks */
		proc_write_profiles(p, blocks, nb, !killed, &sctx,
				    maps ? maps : p->maps_text,
				    (int64_t)time(NULL) * 1000000000,
				    g_report_seq);
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
	free(recs);
	free(maps);
	free(words);
	free(trs);
	free(roots.v);
	free(blocks);
	g_report_stats.reports++;
	g_report_stats.blocks = nb;
	g_report_stats.ns += stats_now_ns() - t0;
	return errors;
}
