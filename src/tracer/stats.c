/*
 * stats: what --stats prints at the end, on stderr, so that users (and
 * bench/) see where the time and memory go.  Lines, each starting with
 * "leakcheck: stats: ":
 *
 *   N traps (E entry, R return), ...    the first line, unchanged since
 *                                       bench/run.sh parses it
 *   allocator calls: N (malloc N, ...)  outermost calls per entry point
 *   unwinds: ...                        count, frames, time
 *   caches: ...                         hit rates: "P% of N" (or "- of 0")
 *   time: ...                           wall, leakcheck's CPU, unwinding,
 *                                       scan and report
 *   memory: ...                         peak RSS, depot, the last report's
 *                                       RSS after each of its phases
 *
 * Invariant: nothing here costs anything per trap.  The counters are plain
 * increments the tracer and unwinder keep anyway; the clock, getrusage
 * and /proc/self/status are read once here (and, under --stats only, at
 * the phase boundaries of each report).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "leakcheck/options.h"
#include "leakcheck/util.h"

struct tracer_stats g_stats;

uint64_t stats_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* leakcheck's CPU time when the clock started */
static struct rusage start_ru;

/*
 * The times of --stats count from here, just before main (what comes
 * before is the dynamic loader's few milliseconds), so that the CPU time
 * and the wall time cover the same span.
 */
__attribute__((constructor)) static void stats_start(void)
{
	g_stats.start_ns = stats_now_ns();
	getrusage(RUSAGE_SELF, &start_ru);
}

int stats_self_mem(unsigned long *rss_kib, unsigned long *hwm_kib)
{
	char buf[4096];
	const char *s;
	ssize_t n;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	s = strstr(buf, "\nVmRSS:");
	*rss_kib = s ? strtoul(s + 7, NULL, 10) : 0;
	s = strstr(buf, "\nVmHWM:");
	*hwm_kib = s ? strtoul(s + 7, NULL, 10) : 0;
	return 0;
}

/* "P% of N WHAT" into BUF, or "- of 0 WHAT". */
static const char *rate(char *buf, size_t len, uint64_t hits, uint64_t of,
			const char *what)
{
	if (!of)
		snprintf(buf, len, "- of 0 %s", what);
	else
		snprintf(buf, len, "%.1f%% of %llu %s",
			 100.0 * (double)(hits < of ? hits : of) / (double)of,
			 (unsigned long long)of, what);
	return buf;
}

static double secs(uint64_t ns)
{
	return (double)ns / 1e9;
}

/* The seconds from A to B. */
static double tv_secs(struct timeval a, struct timeval b)
{
	return (double)(b.tv_sec - a.tv_sec) +
	       (double)(b.tv_usec - a.tv_usec) / 1e6;
}

void tracer_print_stats(void)
{
	static const char *const names[HOOK_NKINDS] = {
	    [HOOK_MALLOC] = "malloc",
	    [HOOK_CALLOC] = "calloc",
	    [HOOK_REALLOC] = "realloc",
	    [HOOK_REALLOCARRAY] = "reallocarray",
	    [HOOK_FREE] = "free",
	    [HOOK_POSIX_MEMALIGN] = "posix_memalign",
	    [HOOK_MEMALIGN] = "memalign",
	    [HOOK_VALLOC] = "valloc",
	    [HOOK_XALLOCX] = "xallocx",
	    [HOOK_HEAP_DESTROY] = "mi_heap_destroy",
	    [HOOK_HEAP_DELETE] = "mi_heap_delete",
	    [HOOK_PVALLOC] = "pvalloc",
	};
	static const char *const phases[RP_NPHASES] = {
	    "tracing", "blocks", "roots", "classify", "records", "report",
	};
	const struct report_stats *rs = &g_report_stats;
	struct unwind_stats u = *unwind_freed_stats();
	uint64_t ncalls = 0, wall = stats_now_ns() - g_stats.start_ns;
	unsigned long rss = 0, hwm = 0;
	char r1[64], r2[64], r3[64], r4[64], r5[64];
	struct rusage ru;
	double cpu, user, sys;
	int first = 1;

	if (!opt.stats)
		return;
	for (struct proc *p = proc_list(); p; p = p->next)
		if (p->unw)
			unwind_stats_add(&u, unwind_get_stats(p->unw));

	fprintf(stderr,
		"leakcheck: stats: %llu traps (%llu entry, %llu return), "
		"%llu allocs, %llu frees, %llu unknown frees, %llu "
		"nested, %llu signals, %zu stacks\n",
		(unsigned long long)g_stats.traps,
		(unsigned long long)g_alloc_stats.entry_traps,
		(unsigned long long)g_alloc_stats.return_traps,
		(unsigned long long)g_alloc_stats.allocs,
		(unsigned long long)g_alloc_stats.frees,
		(unsigned long long)g_alloc_stats.unknown_frees,
		(unsigned long long)g_alloc_stats.nested,
		(unsigned long long)g_stats.signals, g_depot.nstacks - 1);
	fprintf(stderr,
		"leakcheck: stats: returns: %llu through stubs (no trap, %llu "
		"reads of their cells), %llu trapped\n",
		(unsigned long long)g_alloc_stats.stub_returns,
		(unsigned long long)g_alloc_stats.harvests,
		(unsigned long long)g_alloc_stats.return_traps);
	fprintf(
	    stderr,
	    "leakcheck: stats: fast path: %llu calls recorded by the "
	    "program (no trap), %llu reads of its ring (%llu polls while it "
	    "ran), %llu full-ring traps, %llu slow-path traps, %llu stack "
	    "copies too short%s\n",
	    (unsigned long long)g_bp_stats.fast_records,
	    (unsigned long long)g_bp_stats.fast_drains,
	    (unsigned long long)g_bp_stats.fast_polls,
	    (unsigned long long)g_bp_stats.fast_full,
	    (unsigned long long)g_bp_stats.fast_slow,
	    (unsigned long long)g_bp_stats.fast_short,
	    opt.no_fast_path ? " (--fast-path=no)" : "");
	fprintf(stderr,
		"leakcheck: stats: walk in the program: %llu stacks walked "
		"there with unwind tables (%llu distinct, read from its "
		"stack table; %llu tables written, %llu walks "
		"given up for a signal), %llu calls not sampled there (no "
		"walk, no copy), the others copied%s\n",
		(unsigned long long)g_bp_stats.fast_walked,
		(unsigned long long)g_bp_stats.fast_stacks,
		(unsigned long long)g_bp_stats.fast_tables,
		(unsigned long long)g_bp_stats.fast_walk_aborts,
		(unsigned long long)g_bp_stats.fast_unsampled,
		opt.unwind_in_program ? "" : " (--unwind-in-program=no)");
	if (g_alloc_stats.fast_checked)
		fprintf(stderr,
			"leakcheck: stats: walk in the program: %llu compared "
			"with libunwind on a copy, %llu differ\n",
			(unsigned long long)g_alloc_stats.fast_checked,
			(unsigned long long)g_alloc_stats.fast_check_differ);
	if (g_alloc_stats.stale_pre_attach || g_bp_stats.ret_slots_full)
		fprintf(stderr,
			"leakcheck: stats: %llu blocks of the heap walk found "
			"freed later, %llu returns through the shared "
			"trampoline (return slots full)\n",
			(unsigned long long)g_alloc_stats.stale_pre_attach,
			(unsigned long long)g_bp_stats.ret_slots_full);

	for (int k = 0; k < HOOK_NKINDS; k++)
		ncalls += names[k] ? g_alloc_stats.calls[k] : 0;
	fprintf(stderr, "leakcheck: stats: allocator calls: %llu",
		(unsigned long long)ncalls);
	for (int k = 0; k < HOOK_NKINDS; k++) {
		if (!names[k] || !g_alloc_stats.calls[k])
			continue;
		fprintf(stderr, "%s%s %llu", first ? " (" : ", ", names[k],
			(unsigned long long)g_alloc_stats.calls[k]);
		first = 0;
	}
	fprintf(stderr, "%s\n", first ? "" : ")");

	fprintf(stderr,
		"leakcheck: stats: unwinds: %llu, %llu frames (%.1f each), "
		"%.3f s (%.2f us each)\n",
		(unsigned long long)u.unwinds, (unsigned long long)u.frames,
		u.unwinds ? (double)u.frames / (double)u.unwinds : 0.0,
		secs(u.ns),
		u.unwinds ? (double)u.ns / 1e3 / (double)u.unwinds : 0.0);

	if (u.cfi_walks)
		fprintf(stderr,
			"leakcheck: stats: cfiwalk: %llu walks compared with "
			"libunwind, %llu whole, %llu to a fallback frame, %llu "
			"where libunwind had no CFI, %llu differ; %llu "
			"frames\n",
			(unsigned long long)u.cfi_walks,
			(unsigned long long)u.cfi_full,
			(unsigned long long)u.cfi_fallback,
			(unsigned long long)u.cfi_nocfi,
			(unsigned long long)u.cfi_differ,
			(unsigned long long)u.cfi_frames);

	fprintf(stderr,
		"leakcheck: stats: caches: stack snapshot %s, unwind page "
		"cache %s, unwind info cache %s, no-unwind-info cache %s, "
		"stack depot %s\n",
		rate(r1, sizeof(r1), u.mem_reads - u.snap_misses, u.mem_reads,
		     "reads"),
		rate(r2, sizeof(r2), u.page_hits, u.page_lookups, "reads"),
		rate(r3, sizeof(r3),
		     u.steps > u.find_calls ? u.steps - u.find_calls : 0,
		     u.steps, "steps"),
		rate(r4, sizeof(r4), u.find_neg, u.find_calls, "lookups"),
		rate(r5, sizeof(r5), g_depot.hits, g_depot.lookups, "stacks"));

	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		char holders[64] = "";
		if (rs->holders_ns)
			snprintf(holders, sizeof(holders), "; holders %.3f s",
				 secs(rs->holders_ns));
		user = tv_secs(start_ru.ru_utime, ru.ru_utime);
		sys = tv_secs(start_ru.ru_stime, ru.ru_stime);
		cpu = user + sys;
		fprintf(stderr,
			"leakcheck: stats: time: %.3f s wall; leakcheck's CPU "
			"%.3f s (user %.3f, system %.3f), %.2f us per trap; "
			"unwinding %.3f s; scan and report %.3f s (%llu "
			"report%s%s)\n",
			secs(wall), cpu, user, sys,
			g_stats.traps ? cpu * 1e6 / (double)g_stats.traps : 0.0,
			secs(u.ns), secs(rs->ns),
			(unsigned long long)rs->reports,
			rs->reports == 1 ? "" : "s", holders);
	}

	stats_self_mem(&rss, &hwm);
	fprintf(stderr,
		"leakcheck: stats: memory: peak RSS %lu KiB; stack depot %zu "
		"KiB",
		hwm, (stack_depot_memory(&g_depot) + 1023) / 1024);
	if (rs->reports) {
		fprintf(stderr, "; last report (%llu blocks), RSS KiB after",
			(unsigned long long)rs->blocks);
		for (int i = 0; i < RP_NPHASES; i++)
			fprintf(stderr, "%s %s %lu", i ? "," : "", phases[i],
				rs->rss_kib[i]);
	}
	fputc('\n', stderr);
}
