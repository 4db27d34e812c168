/*
 * tracer: launch a program under ptrace and run the event loop until it
 * and every followed child are gone, reporting leaks for each process.
 */
#ifndef LEAKCHECK_TRACER_H
#define LEAKCHECK_TRACER_H

#include "leakcheck/types.h"

struct trace_result {
	int status; /* wait status of the launched program */
	int errors; /* error-kind loss records over all processes */
};

/*
 * Launch PATH with ARGV (environment and cwd inherited) and trace it.
 * Returns 0 and fills *RES, or an LC_EXIT_* code after printing one line.
 */
int tracer_launch(const char *path, char *const argv[],
		  struct trace_result *res);

/*
 * Attach to the running processes PIDS (N of them; every thread; with
 * TREE[i] set, every process descended from PIDS[i] too), track their
 * allocator calls, report on each on demand (SIGUSR1, --interval) and at
 * its exit, and detach on SIGINT/SIGTERM/SIGHUP, --duration or --once,
 * leaving them running with no trace of us.  Every process is checked
 * before any is attached to.  Returns 0 and fills *RES (status 0), or an
 * LC_EXIT_* code after printing one line (having detached from any
 * process it had attached to).
 */
int tracer_attach(const int *pids, const int *tree, size_t n,
		  struct trace_result *res);

#endif
