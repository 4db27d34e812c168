/*
 * snapshot: numbered heap-profile snapshots of every traced process, on
 * SIGUSR2 to leakcheck and every --heap-profile-interval seconds, for the
 * two-snapshot method (go tool pprof -base first.pb.gz last.pb.gz).
 *
 * A snapshot is the heap table at one moment, not a leak report: no
 * scan, so its samples carry no leak_kind label.  The moment is made
 * consistent by stopping every thread of the process (proc_stop_all, as
 * for an on-demand report): events already queued -- a return trap whose
 * malloc has returned, a free's entry trap -- are handled first, so every
 * allocator call a thread completed before it stopped is in the table.
 * The table and /proc/PID/maps are copied while it is stopped; the
 * program is resumed before symbolizing and writing, which only read
 * those copies and the files on disk.
 *
 * Numbers are global to the run (snapshot N of every process is taken at
 * the same request), start at 1 and are never reused; the exit profile is
 * FILE itself (profile_path(), seq 0).
 */
#include <stdlib.h>
#include <time.h>

#include "internal.h"
#include "leakcheck/options.h"
#include "leakcheck/profile.h"
#include "leakcheck/scan.h"
#include "leakcheck/sym.h"
#include "leakcheck/util.h"

static unsigned snapshot_seq;

/* Snapshot SEQ of P, every thread of which is running or held by us.
 * Returns the number of outputs that could not be written. */
static int proc_snapshot(struct proc *p, unsigned seq, const char *why)
{
	struct heap_block *hb;
	struct scan_block *blocks;
	struct symbolizer *sym;
	struct sym_ctx sctx;
	struct timespec wall;
	char path[64], *maps;
	double t0, t1;
	size_t nb;
	int failed;

	t0 = now_seconds();
	proc_stop_all(p, NULL);
	hook_harvest_stopped(p);
	clock_gettime(CLOCK_REALTIME, &wall);
	hb = clientreq_blocks(p, 0, &nb);
	snprintf(path, sizeof(path), "/proc/%d/maps", p->pid);
	maps = read_file_text(path, NULL);
	proc_resume_all(p);
	t1 = now_seconds();

	blocks = xcalloc(nb + 1, sizeof(*blocks));
	for (size_t i = 0; i < nb; i++) {
		blocks[i].addr = hb[i].addr;
		blocks[i].size = hb[i].size;
		blocks[i].stack_id = hb[i].stack_id;
		blocks[i].flags = hb[i].flags;
	}
	free(hb);
	nb = clientreq_drop_pool_memory(blocks, nb);
	if (!maps && p->maps_text)
		maps = xstrdup(p->maps_text);
	sym = sym_new_from_maps(maps ? maps : "", p->pid);
	sctx.sym = sym;
	sctx.proc = p;
	failed = proc_write_profiles(
	    p, blocks, nb, 0, &sctx, maps,
	    (int64_t)wall.tv_sec * 1000000000 + wall.tv_nsec, seq, NULL);
	if (!opt.quiet && !failed) {
		char *name = profile_path(opt.heap_profile ? opt.heap_profile
					  : opt.flamegraph ? opt.flamegraph
							   : opt.folded_file,
					  p->pid, seq);
		fprintf(stderr,
			"leakcheck: pid %d: %s heap snapshot %u, %zu blocks, "
			"in '%s'; the program was stopped for %.1f ms\n",
			p->pid, why, seq, nb, name, (t1 - t0) * 1e3);
		free(name);
	}
	if (sym)
		sym_free(sym);
	free(maps);
	free(blocks);
	return failed;
}

/* The heap profiles --heap-profile, --folded and --flamegraph ask for, of
 * P's NB BLOCKS (CLASSIFIED: their kinds are set), symbolized through
 * SCTX, as snapshot SEQ (0: FILE itself).  Returns the files not written. */
int proc_write_profiles(struct proc *p, const struct scan_block *blocks,
			size_t nb, int classified, struct sym_ctx *sctx,
			const char *maps, int64_t time_nanos, unsigned seq,
			const struct scan_holders *holders)
{
	struct profile_request req = {
	    .pprof = opt.heap_profile,
	    .folded = opt.folded_file,
	    .flamegraph = opt.flamegraph,
	    .pid = p->pid,
	    .seq = seq,
	    .command = p->command,
	};
	struct profile_data pd = {
	    .blocks = blocks,
	    .nblocks = nb,
	    .classified = classified,
	    .depot = &g_depot,
	    .sym = proc_sym_cb,
	    .sym_ctx = sctx,
	    .maps_text = maps,
	    .sample_rate = opt.sample_rate,
	    .time_nanos = time_nanos,
	    .alloc = p->alloc_tot,
	    .nalloc = p->nalloc_tot,
	    .holders = holders,
	};

	return profile_write_outputs(&req, &pd);
}

unsigned snapshot_next_seq(void)
{
	return ++snapshot_seq;
}

void tracer_snapshot_all(const char *why)
{
	unsigned seq;

	if (!opt.heap_profile && !opt.folded_file && !opt.flamegraph) {
		warning(
		    "%s heap snapshot asked for, but there is nowhere to "
		    "write it: give --heap-profile, --folded or --flamegraph",
		    why);
		return;
	}
	seq = snapshot_next_seq();
	for (struct proc *p = proc_list(), *nx; p; p = nx) {
		nx = p->next;
		if (!(p->flags & PROC_TRACING) || (p->flags & PROC_REPORTED))
			continue;
		proc_snapshot(p, seq, why);
	}
}
